"""Arrays: creation for every dtype, moving data, zero-copy views."""
import gc

import numpy as np
import pytest

import parray as pa
from conftest import DTYPES, check


@pytest.mark.parametrize("dtype", DTYPES)
def test_create_every_dtype(dtype):
    for dist in ("distributed", "replicated"):
        z = pa.zeros((7, 3), dtype=dtype, dist=dist)
        o = pa.ones((7, 3), dtype=dtype, dist=dist)
        f = pa.full(5, 1, dtype=dtype, dist=dist)
        check(z.shape == (7, 3) and z.dtype == np.dtype(dtype) and z.dist == dist, "getters")
        check(z.size == 21 and z.ndim == 2 and len(z) == 7, "size")
        check(np.array_equal(z.to_numpy(root=None), np.zeros((7, 3), dtype)), "zeros")
        check(np.array_equal(o.to_numpy(root=None), np.ones((7, 3), dtype)), "ones")
        check(np.array_equal(f.to_numpy(root=None), np.full(5, 1, dtype)), "full")


def test_unknown_dtype_and_dist():
    with pytest.raises(TypeError):
        pa.zeros(3, dtype=np.dtype("U3"))
    with pytest.raises(ValueError):
        pa.zeros(3, dist="everywhere")


def test_arange_linspace():
    check(np.array_equal(pa.arange(10).to_numpy(root=None), np.arange(10)), "arange(10)")
    a = pa.arange(2, 11, 3)
    check(a.dtype == np.int64 and np.array_equal(a.to_numpy(root=None), np.arange(2, 11, 3)),
          "int arange")
    b = pa.arange(0.5, 3.0, 0.25)
    check(np.array_equal(b.to_numpy(root=None), np.arange(0.5, 3.0, 0.25)), "float arange")
    c = pa.arange(5, dtype=np.float32)
    check(c.dtype == np.float32, "arange dtype")
    for endpoint in (True, False):
        ln = pa.linspace(-1, 2, num=13, endpoint=endpoint)
        check(np.allclose(ln.to_numpy(root=None), np.linspace(-1, 2, 13, endpoint=endpoint),
                          rtol=0, atol=1e-15), "linspace")


def test_random():
    u1 = pa.random.uniform(1000, low=-2, high=3, seed=7).to_numpy(root=None)
    u2 = pa.random.uniform(1000, low=-2, high=3, seed=7).to_numpy(root=None)
    u3 = pa.random.uniform(1000, low=-2, high=3, seed=7, stream=1).to_numpy(root=None)
    check(np.array_equal(u1, u2) and not np.array_equal(u1, u3), "seed and stream")
    check(u1.min() >= -2 and u1.max() < 3, "uniform range")
    n = pa.random.normal(20000, mean=5, std=2, seed=3, dtype=np.float32)
    check(n.dtype == np.float32 and abs(n.mean() - 5) < 0.1 and abs(n.std() - 2) < 0.1,
          "normal moments")
    i = pa.random.integers(-5, 9, 4000, dtype=np.int16, seed=1).to_numpy(root=None)
    check(i.dtype == np.int16 and i.min() == -5 and i.max() == 8, "integers range")
    u = pa.random.integers(2**63, 2**64, 100, dtype=np.uint64, seed=1).to_numpy(root=None)
    check(u.min() >= 2**63, "u64 integers above 2^63")
    b = pa.random.bool(10000, p=0.25, seed=2)
    check(b.dtype == np.bool_ and abs(b.mean() - 0.25) < 0.03, "bool")


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_to_numpy_every_dtype(ctx, dtype):
    src = (np.arange(24).reshape(6, 4) % 7).astype(dtype)
    for root in (0, ctx.size - 1):
        a = pa.from_numpy(src if ctx.rank == root else None, root=root)
        back = a.to_numpy(root=root)
        check((back is None) == (ctx.rank != root), "result on root only")
        if ctx.rank == root:
            check_here = back.dtype == src.dtype and np.array_equal(back, src)
        else:
            check_here = True
        check(check_here, "round trip")


def test_from_numpy_bad_root_input(ctx):
    """Root's input is bad: every rank raises, none waits."""
    with pytest.raises((pa.Error, TypeError)):
        pa.from_numpy(np.array(["x"]) if ctx.rank == 0 else None)
    check(np.array_equal(pa.arange(3).to_numpy(root=None), [0, 1, 2]), "still working")


def test_replicate_is_a_read_only_node_table(ctx):
    table = np.arange(50, dtype=np.float64) * 0.5
    t = pa.replicate(table if ctx.rank == 0 else None)
    node = t.node()
    check(t.dist == "replicated" and t.readonly and not node.flags.writeable, "read-only")
    check(np.array_equal(node, table), "every rank sees the whole table")


def test_views_are_zero_copy(ctx):
    n = 1000
    a = pa.zeros((n, 3), dtype=np.int64)
    local, node = a.local(), a.node()
    row0, nrows = a.node_rows
    check(node.shape == (nrows, 3), "node view shape")
    # by address: this rank's part lies inside the node block at its offset
    off = a.local_offset - row0 * 3
    check(local.ctypes.data == node.ctypes.data + off * 8, "local() is inside node()")
    counts = ctx.comm.allgather(local.size)
    check(sum(counts) == n * 3, "local parts cover the array")
    # a write through the node leader's view, seen by every rank of the node after sync
    if ctx.node_rank == 0:
        node[...] = np.arange(nrows * 3).reshape(nrows, 3) + row0 * 3
    a.sync()
    check(np.array_equal(local, np.arange(local.size) + a.local_offset), "seen after sync")
    # and the other way: each rank writes its own part, the leader reads all
    local[...] = -1
    a.sync()
    check((node == -1).all(), "leader sees every rank's writes")
    check(a.sum() == -n * 3, "and so does the library")


def test_view_keeps_array_alive():
    a = pa.arange(100, dtype=np.float64)
    v = a.node()
    row0, nrows = a.node_rows
    live = pa.live_arrays()
    del a
    gc.collect()
    pa.collect()
    check(pa.live_arrays() == live, "not freed while a view lives")
    check(np.array_equal(v, np.arange(row0, row0 + nrows)), "the view still reads the data")
    del v
    gc.collect()
    pa.collect()
    check(pa.live_arrays() == live - 1, "freed after the view went")
