"""matmul and @, and the LAPACK solvers, against numpy.linalg."""
import numpy as np
import pytest

import parray as pa
from conftest import check


def test_matmul_and_matvec():
    rng = np.random.default_rng(1)
    A, B, x = rng.random((33, 8)), rng.random((8, 5)), rng.random(8)
    a, b = pa.from_numpy(A), pa.from_numpy(B, dist="replicated")
    c = a @ b
    check(c.shape == (33, 5) and c.dist == "distributed", "C's layout")
    check(np.allclose(c.to_numpy(root=None), A @ B), "A @ B")
    check(np.allclose(pa.matmul(a, pa.from_numpy(B)).to_numpy(root=None), A @ B),
          "distributed B")
    y = a @ pa.from_numpy(x, dist="replicated")
    check(np.allclose(y.to_numpy(root=None), A @ x), "matvec")
    with pytest.raises(pa.Error):
        a @ a  # (33, 8) @ (33, 8)


def test_solvers():
    rng = np.random.default_rng(2)
    M = rng.random((6, 6))
    S = M @ M.T + 6 * np.eye(6)
    rhs = rng.random((6, 2))
    A = pa.from_numpy(S, dist="replicated")
    B = pa.from_numpy(rhs, dist="replicated")
    check(np.allclose(pa.solve(A, B).node(), np.linalg.solve(S, rhs)), "solve")
    check(np.allclose(pa.cholesky(A).node(), np.linalg.cholesky(S)), "cholesky")
    w, V = pa.eigh(A)
    ww, _ = np.linalg.eigh(S)
    check(np.allclose(w.node(), ww) and np.allclose(S @ V.node(), V.node() * w.node()), "eigh")
    T = rng.random((9, 4))
    Y = rng.random(9)
    got = pa.lstsq(pa.from_numpy(T, dist="replicated"), pa.from_numpy(Y, dist="replicated"))
    check(np.allclose(got.node(), np.linalg.lstsq(T, Y, rcond=None)[0]), "lstsq")
    with pytest.raises(pa.Error) as e:
        pa.cholesky(pa.from_numpy(-np.eye(3), dist="replicated"))
    check(e.value.name == "PA_ENUMERIC", "not positive definite, on every rank")
