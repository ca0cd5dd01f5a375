"""Operators, eval, unary functions and reductions against numpy."""
import operator

import numpy as np
import pytest

import parray as pa
from conftest import check

OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
       operator.mod, operator.lt, operator.le, operator.eq, operator.ne, operator.gt,
       operator.ge]


def pair(dtype, n=37):
    x = (np.arange(n) % 11 + 1).astype(dtype)
    y = (np.arange(n) % 5 + 1).astype(dtype)
    return x, y, pa.from_numpy(x), pa.from_numpy(y)


def same(r, expect, what):
    got = r.to_numpy(root=None)
    if got.dtype.kind in "biu" and expect.dtype == np.bool_:
        got = got.astype(bool)  # comparisons: 1/0 in the dtype compared, or bool
    ok = np.allclose(got.astype(np.float64), expect.astype(np.float64), rtol=1e-6, atol=0)
    check(ok, what)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8])
@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
def test_binary_operators(dtype, op):
    x, y, a, b = pair(dtype)
    same(op(a, b), op(x, y), f"array {op.__name__} array")
    same(op(a, 3), op(x, dtype(3)) if op is not operator.truediv else x / 3, "array op int")
    same(op(2, b), op(dtype(2), y) if op is not operator.truediv else 2 / y, "int op array")


def test_result_dtypes_follow_numpy():
    x, y, a, b = pair(np.int32)
    check((a / b).dtype == np.float64, "i32 / i32 is f64")
    check((a * 2.5).dtype == np.float64, "i32 * 2.5 is f64 (NEP 50)")
    check((a + 1).dtype == np.int32, "i32 + 1 stays i32")
    f = pa.ones(37, dtype=np.float32)
    check((f * 2.5).dtype == np.float32, "f32 * 2.5 stays f32")
    check((pa.ones(37, dtype=np.int16) + f).dtype == np.float32, "i16 + f32 is f32")
    r = np.float64(3.0) * a  # numpy defers to the Array: a parray op
    check(isinstance(r, pa.Array) and r.sum() == 3 * x.sum(), "numpy scalar * array")


def test_power_and_unary():
    x, y, a, b = pair(np.float64)
    same(a ** 2, x ** 2, "a ** 2")
    same(a ** b, x ** y, "a ** b")
    same(-a, -x, "neg")
    same(abs(-a), x, "abs")
    i = pa.from_numpy(np.arange(-5, 5, dtype=np.int32))
    same(~i, ~np.arange(-5, 5, dtype=np.int32), "invert")
    same(i << 2, np.arange(-5, 5, dtype=np.int32) << 2, "left shift")
    same(i & 3, np.arange(-5, 5, dtype=np.int32) & 3, "bitwise and")
    for name in ("sqrt", "exp", "log", "sin", "cos", "tanh", "floor", "arcsinh"):
        same(getattr(pa, name)(a), getattr(np, name)(x), name)


def test_inplace_operators():
    x, y, a, b = pair(np.float64)
    keep = a
    a += b
    a *= 2
    check(a is keep, "in place")
    same(a, (x + y) * 2, "a += b; a *= 2")
    i = pa.ones(10, dtype=np.int32)
    with pytest.raises(pa.Error) as e:
        i += 2.5  # same_kind: f64 into i32
    check(e.value.name == "PA_EINVAL", "f64 into an i32 array is refused")


def test_eval_and_compiled():
    x, y, a, b = pair(np.float64)
    r = pa.eval("r = sqrt(x*x + y*y) * k", x=a, y=b, k=2.5)
    same(r, np.sqrt(x * x + y * y) * 2.5, "eval with a new output")
    out = pa.zeros(37)
    got = pa.eval("z = x*y + 1", z=out, x=a, y=b)
    check(got is out, "eval writes a bound output and returns it")
    same(out, x * y + 1, "eval into out")
    e = pa.compile("w = where(x > y, x, -y)")
    check(e.output == "w" and set(e.names) == {"x", "y"}, "Expr names")
    same(e(x=a, y=b), np.where(x > y, x, -y), "compiled expression")
    i16 = pa.ones(37, dtype=np.int16)
    check(pa.eval("r = i + f", i=i16, f=pa.ones(37, dtype=np.float32)).dtype == np.float32,
          "eval promotes as numpy")


def test_eval_errors_raise_on_every_rank():
    a = pa.ones(10)
    with pytest.raises(pa.Error) as e:
        pa.eval("r = (a + ", a=a)
    check(e.value.code == -1 and "column" in e.value.message, "syntax error message")
    with pytest.raises(pa.Error):
        pa.eval("r = a + b", a=a, b=pa.ones(11))
    with pytest.raises(pa.Error):
        a + pa.ones(11)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int16, np.uint8,
                                   np.bool_])
def test_reductions(dtype):
    base = (np.arange(60).reshape(12, 5) * 7 % 13).astype(dtype)
    a = pa.from_numpy(base)
    for name in ("sum", "min", "max", "argmin", "argmax", "any", "all"):
        got, want = getattr(a, name)(), getattr(base, name)()
        check(got == want and type(got) is type(want.item()), f"{name}: {got!r} vs {want!r}")
        for axis in (0, 1):
            got = getattr(a, name)(axis=axis)
            check(np.array_equal(got, getattr(base, name)(axis=axis)), f"{name} axis {axis}")
    for name in ("mean", "var", "std"):
        check(np.isclose(getattr(a, name)(), getattr(base.astype(np.float64), name)()), name)
    check(np.isclose(a.var(ddof=1), base.astype(np.float64).var(ddof=1)), "var ddof=1")
    check(np.allclose(a.std(axis=0, ddof=1), base.astype(np.float64).std(axis=0, ddof=1)),
          "std axis 0 ddof=1")


def test_integer_sum_is_exact():
    big = np.full(10, 2**60 + 1, dtype=np.int64)
    got = pa.from_numpy(big).sum()
    check(type(got) is int and got == int(big.sum()), "wrapping i64 sum, exactly numpy's")
    u = np.full(3, 2**63 + 5, dtype=np.uint64)
    check(pa.from_numpy(u).max() == 2**63 + 5, "u64 max exact")


def test_dot():
    x, y, a, b = pair(np.float64)
    check(np.isclose(pa.dot(a, b), x @ y), "dot")


def test_python_exception_on_one_rank(ctx):
    """A Python error on one rank: agree on it before the next collective
    call, then every rank raises, and parray goes on working."""
    def work():
        if ctx.rank == ctx.size - 1:
            raise ValueError("only on the last rank")
    err = None
    try:
        work()
    except ValueError as e:
        err = e
    bad = pa.agree(err is None)
    check(bad == ctx.size - 1, "every rank learns which rank failed")
    check(pa.arange(4).sum() == 6, "parray still works on every rank")
