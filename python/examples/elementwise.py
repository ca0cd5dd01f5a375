"""Element-wise math: z = a*b + c the tutorial's way, in one process (numpy
with out=, so without temporaries, and numexpr on 2 threads), and parray's
way, pa.eval on every rank, all on the same memory (numpy works on the node
views of parray's arrays); then what a call costs from Python: pa.eval and
a sum on 1,000 elements, each beside the library call it makes (pa_expr_eval
of the compiled text, pa_reduce_value) looped in C on the same arrays.

    mpirun -n 2 python3 elementwise.py [--size 1e8] [--calls 1000] [--quick]
"""
import os

import numpy as np

import parray as pa
from parray.benchkit import check, example_main

EXPERIMENT = "elementwise"
SMALL = 1000  # the size of the per-call figures


SIZES = {"--size": ("f64 elements per array", 1e8, 1e6),
         "--calls": ("calls per repetition on 1,000 elements", 1000, 200)}


def sizes(args):
    return f"z = a*b + c on {args.size:.3g} f64 per array; {args.calls:g} calls on {SMALL}"


def _numexpr():
    try:
        import numexpr
    except ImportError:
        return None
    numexpr.set_num_threads(2)
    return numexpr


def run_large(b, n):
    ctx = pa.context()
    a = pa.random.uniform((n,), seed=1)
    x = pa.random.uniform((n,), seed=1, stream=1)
    c = pa.random.uniform((n,), seed=1, stream=2)
    z = pa.empty((n,))
    leader = ctx.node_rank == 0  # the one process of the tutorial's ways, per node
    an, xn, cn, zn = a.node(), x.node(), c.node(), z.node()
    ne = _numexpr()

    def numpy_out():
        if leader:
            np.multiply(an, xn, out=zn)
            np.add(zn, cn, out=zn)

    def numexpr_2():
        if leader:
            ne.evaluate("a*b + c", local_dict={"a": an, "b": xn, "c": cn}, out=zn)

    def parray_eval():
        pa.eval("z = a*b + c", z=z, a=a, b=x, c=c)

    def c_eval():
        pa._parray._c_loop("eval", 1, z, a, x, c)

    # Each way's result, checked against pa.eval's.
    parray_eval()
    want = z.local().copy()
    for way in [numpy_out] + ([numexpr_2] if ne else []):
        z.local()[:] = 0
        z.sync()
        way()
        z.sync()
        check(np.allclose(z.local(), want, rtol=1e-15, atol=0), f"{way.__name__} vs pa.eval")
    check(np.allclose(want, a.local() * x.local() + c.local(), rtol=1e-15, atol=0),
          "pa.eval's z = a*b + c")

    steps = [numpy_out, parray_eval, c_eval] + ([numexpr_2] if ne else [])
    t = b.time_steps(steps)
    work = 24 * n  # three arrays' bytes, as the triad counts (and `parray bench`)
    per = "1 process" if ctx.nnodes == 1 else "1 process per node"
    npy = b.add(EXPERIMENT, f"numpy out= ({per})", "naive", t[0], n, "elem", "GB/s", work)
    pe = b.add(EXPERIMENT, "pa.eval from Python", "parray", t[1], n, "elem", "GB/s", work)
    ce = b.add(EXPERIMENT, "pa_expr_eval from C (same arrays)", "parray", t[2], n, "elem",
               "GB/s", work)
    b.pair(pe, ce, "C", 0.98)
    if ne:
        nex = b.add(EXPERIMENT, f"numexpr 2 threads ({per})", "naive", t[3], n, "elem",
                    "GB/s", work)
        b.pair(pe, nex, "numexpr", 1.1)
    else:
        b.note("elementwise: numexpr: not installed (Debian: python3-numexpr)")
    b.pair(pe, npy, "numpy out=", 2.0)


def run_calls(b, calls):
    a = pa.full((SMALL,), 1.5)
    x = pa.full((SMALL,), 2.0)
    c = pa.full((SMALL,), 0.25)
    z = pa.empty((SMALL,))

    def py_eval():
        for _ in range(calls):
            pa.eval("z = a*b + c", z=z, a=a, b=x, c=c)

    def c_eval():
        pa._parray._c_loop("eval", calls, z, a, x, c)

    def py_sum():
        for _ in range(calls):
            a.sum()

    def c_sum():
        pa._parray._c_loop("sum", calls, z, a, x, c)

    t = b.time_steps([py_eval, c_eval, py_sum, c_sum])
    check(np.all(z.local() == 1.5 * 2.0 + 0.25), "pa.eval on 1,000 elements")
    check(a.sum() == 1.5 * SMALL and pa._parray._c_loop("sum", 1, z, a, x, c) == a.sum(),
          "the sum on 1,000 elements")
    rows = [b.add(EXPERIMENT, m, "parray", t[k], SMALL, "elem", "us", calls=calls)
            for k, m in enumerate(("pa.eval per call, Python", "pa_expr_eval per call, C",
                                   "a.sum() per call, Python", "pa_reduce sum per call, C"))]
    b.within(rows[0], rows[1], "C", 2.0)
    b.within(rows[2], rows[3], "C", 2.0)
    if pa.context().size != 1:
        b.note("elementwise: the per-call targets (within 2 us of C) are set for 1 rank")


def run(b, args):
    run_large(b, int(args.size))
    run_calls(b, int(args.calls))
    b.note(f"elementwise: numpy and numexpr run on each node's leader over the node's "
           f"block, the other ranks wait asleep; {os.cpu_count()} cores")


if __name__ == "__main__":
    import sys
    example_main(sys.modules[__name__])
