#!/bin/sh
# The Python examples (python/examples/) and `python -m parray.bench --quick`, each under
# mpirun at 1 and 2 ranks (PARRAY_TEST_CONFIGS overrides, as for tests/launch), at their
# smallest sizes: every example checks its own results collectively (parray's against
# numpy's, every rank together) and fails the run when one is wrong, so this test asserts
# the results and the table's form, never the timings. Skips where the module was not
# built, or without mpi4py.
srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/common.sh"
need_mpirun
set_limit 120
need_python_module bench.py
make_tmp python-examples
# PARRAY_BENCH_DIR: the io example's files go in this test's own directory.
pyrun="env PYTHONPATH=$stage PYTHONDONTWRITEBYTECODE=1 PARRAY_BENCH_DIR=$tmp $py"
tiny="--quick --reps 1 --warmup 0"

for c in ${PARRAY_TEST_CONFIGS:-np1 np2}; do
    case $c in np[1-9]) n=${c#np} ;; *) continue ;; esac
    echo "== $n rank(s)"
    for ex in load_save blas_threads fill_random elementwise sharing; do
        # shellcheck disable=SC2086 # options, split on purpose
        run "$ex-$n" $mpirun -n "$n" $pyrun "$srcdir/python/examples/$ex.py" $tiny
        expect_rc 0 "examples/$ex.py at $n rank(s)"
        expect_in "$ex-$n.out" '^experiment +method' "$ex.py prints its table"
    done
    # shellcheck disable=SC2086
    run "bench-$n" $mpirun -n "$n" $pyrun -m parray.bench --quick --reps 1 --warmup 0 \
        --json "$tmp/bench-$n.json"
    expect_rc 0 "python -m parray.bench --quick at $n rank(s)"
    for row in 'sharing +parray node view' 'io +pa.load_files' 'blas +pa.matmul' \
               'fill +parray uniform' 'elementwise +pa.eval from Python' \
               'pa.eval per call, Python' '^cpu: ' '^load: '; do
        expect_in "bench-$n.out" "$row" "the bench's table has /$row/ at $n rank(s)"
    done
    if $py -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert {r["experiment"] for r in rows} == {"sharing", "io", "blas", "fill", "elementwise"}
assert all(r["median"] > 0 and r["layout"]["ranks"] == int(sys.argv[2]) for r in rows)' \
        "$tmp/bench-$n.json" "$n" 2>"$tmp/json.err"; then
        pass "--json has every experiment's figures at $n rank(s)"
    else
        fail "--json at $n rank(s)"
        show "$tmp/json.err"
    fi
done

refused "an unknown experiment" "no experiment named nosuch" $pyrun -m parray.bench nosuch
summary "python examples: all passed" "python examples: FAILED"
