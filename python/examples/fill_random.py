"""Fill and random: an array of --size f64 filled with a constant, with
uniform and with normal random numbers. The tutorial's way, in one process:
a ThreadPoolExecutor with a thread per core, each filling its slice, and
numpy generators spawned from one SeedSequence, one per thread. parray's
way: pa.full and pa.random.uniform / normal on every rank (counter-based:
the same values at any rank count). Both allocate the array, fill it and
let it go in every repetition.

    mpirun -n 2 python3 fill_random.py [--size 5e7] [--quick]
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import parray as pa
from parray.benchkit import check, example_main

EXPERIMENT = "fill"
SIZES = {"--size": ("f64 elements", 5e7, 1e6)}


def sizes(args):
    return f"{args.size:.3g} f64"


def run(b, args):
    ctx = pa.context()
    n = int(args.size)
    threads = os.cpu_count() or 1
    leader = ctx.rank == 0  # the one process of the tutorial's way
    pool = ThreadPoolExecutor(threads)
    bounds = [(n * k // threads, n * (k + 1) // threads) for k in range(threads)]
    got = {}

    def threaded(fill):
        """A new array filled slice by slice on the pool's threads."""
        if not leader:
            return None
        x = np.empty(n)
        gens = [np.random.default_rng(s) for s in np.random.SeedSequence(7).spawn(threads)]
        list(pool.map(lambda k: fill(gens[k], x[bounds[k][0]:bounds[k][1]]), range(threads)))
        return x

    def np_fill():
        got["fill"] = threaded(lambda g, s: s.fill(1.5))

    def np_uniform():
        got["uniform"] = threaded(lambda g, s: g.random(out=s))

    def np_normal():
        got["normal"] = threaded(lambda g, s: g.standard_normal(out=s))

    def pa_fill():
        got["pa_fill"] = pa.full((n,), 1.5)

    def pa_uniform():
        got["pa_uniform"] = pa.random.uniform((n,), seed=7)

    def pa_normal():
        got["pa_normal"] = pa.random.normal((n,), seed=7)

    t = b.time_steps([np_fill, pa_fill, np_uniform, pa_uniform, np_normal, pa_normal])
    pool.shutdown()
    _check(got, n)
    work = 8 * n
    for k, what in enumerate(("fill", "uniform", "normal")):
        naive = b.add(EXPERIMENT, f"numpy {what}, {threads}-thread pool (rank 0)", "naive",
                      t[2 * k], n, "elem", "GB/s", work)
        row = b.add(EXPERIMENT, f"parray {what}, every rank", "parray", t[2 * k + 1], n,
                    "elem", "GB/s", work)
        b.pair(row, naive, "thread pool")
    b.note("fill: numpy's generators are PCG64, spawned from one SeedSequence; parray's "
           "Philox4x32-10 (docs/compute.md); rates are bytes written per second")


def _check(got, n):
    """Each way's values: the fills exact, the random numbers in range and
    their mean and standard deviation within 6 standard errors (a false
    alarm about once in 10^8 runs). An Array's figures are collective;
    numpy's arrays are rank 0's (None elsewhere)."""
    se = 6 / np.sqrt(n)
    want = {"fill": lambda lo, hi, m, s: lo == hi == 1.5,
            "uniform": lambda lo, hi, m, s: (0 <= lo and hi < 1 and abs(m - 0.5) < se
                                             and abs(s - np.sqrt(1 / 12)) < se),
            "normal": lambda lo, hi, m, s: abs(m) < se and abs(s - 1) < se}
    for what, ok in want.items():
        for way, x in (("numpy", got[what]), ("parray", got["pa_" + what])):
            check(x is None or ok(x.min(), x.max(), x.mean(), x.std()), f"{way} {what}")


if __name__ == "__main__":
    import sys
    example_main(sys.modules[__name__])
