"""BLAS threads: C = A @ B with A's rows spread over the ranks. The
tutorial's way under `mpirun -n 2`: every rank multiplies its row stripe
with numpy's @, whose BLAS starts its default threads (as many as cores) in
every rank, so the ranks' threads fight for the cores. parray's way:
pa.matmul, which runs the library's BLAS plan (docs/blas.md): each rank
its stripe on its own share of the cores, or one rank per node on all of
them while the others wait quietly.

    mpirun -n 2 python3 blas_threads.py [--n 2048] [--quick]
"""
import numpy as np

import parray as pa
from parray.benchkit import check, example_main

EXPERIMENT = "blas"
SIZES = {"--n": ("matrix order", 2048, 256)}


def sizes(args):
    return f"f64 matrices of order {args.n:g}"


def run(b, args):
    n = int(args.n)
    A = pa.random.uniform((n, n), seed=3)
    B = pa.random.uniform((n, n), seed=3, stream=1, dist="replicated")
    rows = _my_rows(A, n)
    stripe = A.node()[rows]
    Bn = B.node()
    out = {}

    def numpy_default():
        out["numpy"] = stripe @ Bn

    def parray_plan():
        out["parray"] = pa.matmul(A, B)

    t = b.time_steps([numpy_default, parray_plan])
    C = out["parray"]
    check(np.allclose(C.node()[rows], out["numpy"], rtol=1e-12, atol=1e-9),
          "pa.matmul against numpy's @ on this rank's rows")
    flops = 2.0 * n ** 3
    naive = b.add(EXPERIMENT, "numpy @ on each rank's rows, default BLAS threads", "naive",
                  t[0], n, "n", "GFLOP/s", flops)
    plan = pa.blas_plan()
    row = b.add(EXPERIMENT, f"pa.matmul, parray's plan ({plan['threads']} thread(s)/rank)",
                "parray", t[1], n, "n", "GFLOP/s", flops)
    b.pair(row, naive, "numpy @")
    b.note(f"blas: rank 0's plan: {plan['threads']} BLAS thread(s) on CPUs {plan['share']} "
           f"(OpenBLAS's default: {plan['threads_default']})")


def _my_rows(A, n):
    """The rows whose first element lies in this rank's part, as a slice of
    the node view: the rows a rank multiplies (docs/blas.md)."""
    first = -(-A.local_offset // n)
    end = -(-(A.local_offset + A.local().size) // n)
    row0 = A.node_rows[0]
    return slice(first - row0, end - row0)


if __name__ == "__main__":
    import sys
    example_main(sys.modules[__name__])
