"""Broadcasting in the operators and pa.eval, and the calls that make arrays
of other shapes (slices, column takes, reshape, transpose, concatenate,
redistribute), each against numpy; their errors; no array left behind."""
import gc
import operator

import numpy as np
import pytest

import parray as pa
from conftest import check


def settled():
    gc.collect()
    pa.collect()
    return pa.live_arrays()


@pytest.fixture(autouse=True)
def no_leak():
    """Every test here leaves as many live arrays as it found."""
    base = settled()
    yield
    check(settled() == base, "every array of the test freed")


def data(shape, dtype=np.float64):
    """The same values on every rank: 1, 2, ... (no zeros, for division)."""
    return (np.arange(int(np.prod(shape))) % 23 + 1).astype(dtype).reshape(shape)


def same(a, expect, what):
    got = a.to_numpy(root=None)
    check(got.shape == expect.shape, f"{what}: shape {got.shape}, numpy's {expect.shape}")
    check(got.dtype == expect.dtype, f"{what}: dtype {got.dtype}, numpy's {expect.dtype}")
    check(np.allclose(got.astype(np.float64), expect.astype(np.float64), rtol=1e-12, atol=0),
          f"{what}: values")


# ------------------------------------------------------------ broadcasting

OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.lt, operator.ge]


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
def test_broadcast_rules(op):
    x = data((7, 3))
    a = pa.from_numpy(x)
    forms = {
        "(m,) replicated row": (data((3,)), pa.replicate),
        "(1, m) replicated row": (data((1, 3)), pa.replicate),
        "(n, 1) distributed column": (data((7, 1)), pa.from_numpy),
        "(1,) one element": (data((1,)), pa.replicate),
        "(n, m) replicated": (data((7, 3)), pa.replicate),
    }
    for name, (y, make) in forms.items():
        b = make(y)
        same(op(a, b), op(x, y), f"(7, 3) {op.__name__} {name}")
        same(op(b, a), op(y, x), f"{name} {op.__name__} (7, 3)")
        check(op(a, b).dist == "distributed", f"{name}: the output is distributed")


def test_broadcast_both_sides_small_replicated():
    p, q = data((4, 1, 5)), data((1, 3, 5))
    a, b = pa.replicate(p), pa.replicate(q)
    r = a * b
    check(r.dist == "replicated", "replicated operands give a replicated output")
    same(r, p * q, "(4, 1, 5) * (1, 3, 5)")
    c = pa.from_numpy(data((6, 1)))  # a column against a row: an outer sum
    same(c + pa.replicate(data((4,))), data((6, 1)) + data((4,)), "(6, 1) + (4,)")


def test_broadcast_dtypes_follow_numpy():
    x = data((5, 4), np.int32)
    a = pa.from_numpy(x)
    row = pa.replicate(data((4,), np.float32))
    same(a + row, x + data((4,), np.float32), "i32 (5, 4) + f32 (4,)")
    same(a == pa.replicate(x[2]), x == x[2], "comparison with a row is a bool array")


def test_numpy_operands_are_replicated():
    x = data((9, 4))
    a = pa.from_numpy(x)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    same((a - mu) / sd, (x - mu) / sd, "(a - numpy row) / numpy row")
    same(mu * a, mu * x, "numpy row * a (numpy defers to the Array)")
    same(a > mu, x > mu, "a > numpy row")
    same(a * x[:, :1], x * x[:, :1], "a * numpy (n, 1) column")
    same(a + np.float64(2.0), x + 2.0, "a numpy scalar stays a scalar")
    n = settled()
    r = a + mu
    check(pa.live_arrays() == n + 1, "the replicated temporary is freed when the call returns")
    del r
    same(a + np.array(2.0), x + 2.0, "a 0-d numpy array is a scalar")
    keep = a
    a -= mu
    check(a is keep, "in place with a numpy row")
    same(a, x - mu, "a -= numpy row")
    check(mu.flags.writeable and mu[0] == x[:, 0].mean(), "the numpy operand is unchanged")


def test_eval_broadcasts():
    x = data((8, 3))
    a = pa.from_numpy(x)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    same(pa.eval("z = (x - mu) / sd", x=a, mu=pa.replicate(mu), sd=pa.replicate(sd)),
         (x - mu) / sd, "eval with replicated rows")
    same(pa.eval("z = (x - mu) / sd", x=a, mu=mu, sd=sd), (x - mu) / sd,
         "eval with numpy rows")
    same(pa.eval("z = c * x", c=pa.from_numpy(data((8, 1))), x=a), data((8, 1)) * x,
         "eval with a column first: the output has the broadcast shape")
    z = pa.zeros((8, 3))
    r = pa.eval("z = x + mu", x=a, mu=mu, z=z)
    check(r is z, "a bound output is filled")
    same(z, x + mu, "eval into a bound output")
    with pytest.raises(TypeError, match="the output z"):
        pa.eval("z = x + 1", x=a, z=np.zeros((8, 3)))


def test_broadcast_error_message():
    a, b = pa.from_numpy(data((100, 3))), pa.replicate(data((4,)))
    expect = "operands could not be broadcast together with shapes (100,3) (4,)"
    for f in (lambda: a + b, lambda: pa.eval("z = x * y", x=a, y=b), lambda: a + data((4,))):
        with pytest.raises(pa.Error) as e:
            f()
        check(e.value.name == "PA_EINVAL" and expect in e.value.message, e.value.message)
    with pytest.raises(pa.Error):
        a += pa.replicate(data((2, 3)))  # (100, 3) and (2, 3)
    same(a, data((100, 3)), "a failed in-place op leaves the array as it was")


# ------------------------------------------------------------ indexing

ROW_SLICES = [slice(2, 17, 3), slice(None, None, -1), slice(-5, None), slice(100, 200),
              slice(None, 4), slice(-3, 1, -1), slice(None), slice(1, 2)]


@pytest.mark.parametrize("dist", ["distributed", "replicated"])
def test_row_slices(dist):
    for shape in [(20,), (20, 3), (20, 2, 3), (2, 5)]:
        x = data(shape, np.int32)
        a = pa.from_numpy(x, dist=dist)
        for s in ROW_SLICES:
            r = a[s]
            same(r, x[s], f"{shape}[{s}]")
            check(r.dist == dist, "a slice keeps the distribution")
        if len(shape) > 1:
            same(a[1:3, :], x[1:3], f"{shape}[1:3, :]")
    y = data((20, 3)) % 2 == 0
    same(pa.from_numpy(y)[::2], y[::2], "a bool array's slice")


def test_column_takes():
    x = data((11, 5))
    a = pa.from_numpy(x)
    for idx in ([2, 0], [4, 4, -1], np.array([1, 3], dtype=np.int32), [],
                [True, False, True, False, False], slice(1, None, 2), slice(None, None, -1)):
        same(a[:, idx], x[:, idx], f"a[:, {idx!r}]")
    same(pa.replicate(x)[:, [3]], x[:, [3]], "a replicated array's column")
    with pytest.raises(pa.Error, match="out of bounds"):
        a[:, [5]]


def test_unsupported_indexing_names_what_works():
    a = pa.from_numpy(data((6, 4)))
    cases = [(lambda: a[3], "a[i:i+1]"), (lambda: a[np.int64(3)], "a[i:i+1]"),
             (lambda: a[[1, 2]], "a[i:j:k]"), (lambda: a[:, 1], "a[:, [j]]"),
             (lambda: a[1:3, [0]], "one axis at a time"),
             (lambda: a[:, :, 0], "too many indices"),
             (lambda: a[:, [[0]]], "1-D list"), (lambda: a[:, [0.5]], "integer"),
             (lambda: a[:, [True]], "boolean index did not match"),
             (lambda: pa.from_numpy(data((2, 3, 4)))[:, [0]], "2-D array")]
    for f, words in cases:
        with pytest.raises(IndexError) as e:
            f()
        check(words in str(e.value), f"{words!r} in {e.value}")
    with pytest.raises(pa.Error, match="step"):
        a[::0]


# ------------------------------------------------------------ shapes

def test_reshape():
    x = data((4, 6), np.float32)
    a = pa.from_numpy(x)
    for shape in [(3, -1), (24,), (-1,), (2, 3, 4), (6, 2, -1, 1)]:
        same(a.reshape(shape), x.reshape(shape), f"reshape{shape}")
    same(a.reshape(8, 3), x.reshape(8, 3), "reshape(8, 3)")
    same(a.reshape(-1), x.reshape(-1), "reshape(-1)")
    check(pa.replicate(x).reshape(-1).dist == "replicated", "reshape keeps the distribution")
    for shape, err, words in [((5, -1), ValueError, "cannot reshape array of size 24"),
                              ((-1, -1), ValueError, "one unknown dimension"),
                              ((-2, 12), ValueError, "negative"),
                              ((5, 3), pa.Error, "cannot reshape array of size 24 into shape (5,3)")]:
        with pytest.raises(err, match=words.replace("(", r"\(").replace(")", r"\)")):
            a.reshape(shape)


@pytest.mark.parametrize("shape", [(7, 3), (1, 5), (2, 9), (40, 33)])
def test_transpose(shape):
    x = data(shape, np.int64)
    a = pa.from_numpy(x)
    same(a.T, x.T, f"{shape}.T")
    same(a.transpose(), x.T, f"{shape}.transpose()")
    same(pa.replicate(x).T, x.T, f"replicated {shape}.T")
    with pytest.raises(pa.Error, match="2-D"):
        pa.from_numpy(data((3, 2, 2))).T


def test_concatenate():
    x, y, z = data((5, 3)), data((2, 3)) * 10, data((5, 2)) * 100
    a, b, c = pa.from_numpy(x), pa.replicate(y), pa.from_numpy(z)
    r = pa.concatenate([a, b, a])
    same(r, np.concatenate([x, y, x]), "axis 0")
    check(r.dist == "distributed", "distributed when any source is")
    same(pa.concatenate([a, c], axis=1), np.concatenate([x, z], axis=1), "axis 1")
    same(pa.concatenate((a, c), axis=-1), np.concatenate([x, z], axis=-1), "axis -1")
    check(pa.concatenate([b, b]).dist == "replicated", "replicated when every source is")
    with pytest.raises(pa.Error, match="i32"):
        pa.concatenate([a, pa.from_numpy(data((2, 3), np.int32))])
    with pytest.raises(pa.Error, match="dimension 1"):
        pa.concatenate([a, c])
    with pytest.raises(ValueError, match="at least one"):
        pa.concatenate([])
    with pytest.raises(TypeError, match=r"arrays\[1\]"):
        pa.concatenate([a, x])


def test_redistribute():
    x = data((13, 4), np.uint16)
    a = pa.from_numpy(x)
    r = a.redistribute("replicated")
    check(r.dist == "replicated" and r.node().shape == (13, 4), "every node holds every row")
    same(r, x, "distributed to replicated")
    d = r.redistribute(dist="distributed")
    check(d.dist == "distributed", "replicated to distributed")
    same(d, x, "replicated to distributed")
    with pytest.raises(ValueError, match="dist"):
        a.redistribute("everywhere")


def test_shape_calls_in_a_loop_free_their_results():
    base = settled()
    a = pa.from_numpy(data((12, 4)))
    for _ in range(20):
        a = pa.concatenate([a[1:], a[:1]]).T.T[:, [1, 2, 3, 0]]
    check(a.shape == (12, 4), "the loop's shape")
    check(pa.live_arrays() <= base + 8, "temporaries freed as the loop ran")
