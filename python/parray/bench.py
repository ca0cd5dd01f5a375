"""python -m parray.bench: the tutorial's five experiments (parray.examples)
in one run, as one table in the form of `parray bench`: every figure, the
figure it is paired with (measured side by side in every repetition), the
ratio, and the target where parray has one; the CPU model and the machine's
load around each experiment.

    mpirun -n 2 python3 -m parray.bench [--quick] [--json FILE] [experiment ...]

The C figures of the per-call and pa.eval targets come from the library
calls that pa.eval and a.sum() make (pa_expr_eval, pa_reduce_value),
looped in C by the extension (parray._parray._c_loop) on the same arrays
and timed beside the Python loop, so their difference is the cost of the
step from Python. Each example runs alone too, with its own sizes:
`mpirun -n 2 python3 -m parray.examples.elementwise --size 1e8`.
"""
import importlib
import sys

from . import benchkit

EXAMPLES = ("sharing", "load_save", "blas_threads", "fill_random", "elementwise")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = benchkit.parser(__doc__.split("\n\n")[0])
    p.add_argument("experiments", nargs="*", metavar="experiment",
                   help=f"some of {', '.join(EXAMPLES)} (default: all, in that order)")
    args = p.parse_args(argv)
    bad = [e for e in args.experiments if e not in EXAMPLES]
    if bad:
        p.error(f"no experiment named {', '.join(bad)} (there are {', '.join(EXAMPLES)})")
    examples = [importlib.import_module(f"parray.examples.{e}")
                for e in args.experiments or EXAMPLES]
    common = (["--quick"] if args.quick else []) + ["--warmup", str(args.warmup)] + \
        (["--reps", str(args.reps)] if args.reps else [])
    each = [benchkit.example_args(ex, common) for ex in examples]
    b = benchkit.start(args)
    b.header("parray.bench", "; ".join(f"{ex.EXPERIMENT}: {ex.sizes(a)}"
                                       for ex, a in zip(examples, each)))
    for ex, a in zip(examples, each):
        benchkit.measure(b, ex, a)
    benchkit.finish(b, args, ["python -m parray.bench"] + argv)


if __name__ == "__main__":
    main()
