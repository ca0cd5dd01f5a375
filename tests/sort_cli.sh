#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray sort` and `parray stats --percentiles/--median`: the sorted
# dataset, its argsort, and the percentiles are the same at 1, 2 and 3 ranks
# and at 4 ranks as 2 emulated nodes; the 0th and 100th percentiles are the
# min and the max; bad options are refused. Where numpy and h5py are
# installed, the results equal numpy.sort, argsort(kind="stable"),
# percentile and median.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 120).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 120
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

need_parray
need_mpirun
make_tmp sort

run gen_f "$PARRAY" gen "$tmp/in.h5:/f" --shape 30011 --random normal --seed 7
expect_rc 0 "gen f64"
run gen_i "$PARRAY" gen "$tmp/in.h5:/i" --shape 20000 --random integers --low -5 --high 5 --seed 8
expect_rc 0 "gen i64 with many ties"

# Each layout: its name, then the launcher's words.
for layout in "1:1" "2:2" "3:3" "4:4:2"; do
    n=${layout#*:}
    per=${n#*:}
    n=${n%%:*}
    lay=${layout%%:*}
    [ "$per" = "$n" ] && per=
    for ds in f i; do
        run "sort$lay$ds" env ${per:+PARRAY_RANKS_PER_NODE=$per} $mpirun -n $n \
            "$PARRAY" sort "$tmp/in.h5:/$ds" -o "$tmp/out$lay.h5:/$ds"
        expect_rc 0 "sort /$ds at $n ranks${per:+ ($per per node)}"
        run "arg$lay$ds" env ${per:+PARRAY_RANKS_PER_NODE=$per} $mpirun -n $n \
            "$PARRAY" sort "$tmp/in.h5:/$ds" -o "$tmp/out$lay.h5:/a$ds" --argsort
        expect_rc 0 "argsort /$ds at $n ranks${per:+ ($per per node)}"
        run "pct$lay$ds" env ${per:+PARRAY_RANKS_PER_NODE=$per} $mpirun -n $n \
            "$PARRAY" stats "$tmp/in.h5:/$ds" --percentiles 0,1,33.3,50,99,100 --median
        expect_rc 0 "stats --percentiles --median of /$ds at $n ranks"
    done
done

# The same results at every layout: equal datasets, equal text.
for lay in 2 3 4; do
    for ds in f i af ai; do
        run "eq$lay$ds" "$PARRAY" calc "e = a == b" "a=$tmp/out1.h5:/$ds" \
            "b=$tmp/out$lay.h5:/$ds" -o "$tmp/eq.h5:/e"
        run "all$lay$ds" "$PARRAY" stats "$tmp/eq.h5:/e"
        expect_in "all$lay$ds.out" "True True$" "/$ds at layout $lay equals 1 rank's"
    done
    for ds in f i; do
        if cmp -s "$tmp/pct1$ds.out" "$tmp/pct$lay$ds.out"; then
            pass "percentiles of /$ds at layout $lay equal 1 rank's"
        else
            fail "percentiles of /$ds at layout $lay differ from 1 rank's"
            show "$tmp/pct$lay$ds.out"
        fi
    done
done

# The 0th and 100th percentiles are the min and the max (as numbers: stats
# prints a dtype's min and max in its fewest digits).
for ds in f i; do
    if awk '/^count/ { getline; min = $5; max = $6 }
            /^percentile 0:/ { p0 = $3 } /^percentile 100:/ { p100 = $3 }
            END { exit !(p0 + 0 == min + 0 && p100 + 0 == max + 0) }' "$tmp/pct1$ds.out"; then
        pass "/$ds: percentiles 0 and 100 are the min and the max"
    else
        fail "/$ds: percentiles 0 and 100 are not the min and the max"
        show "$tmp/pct1$ds.out"
    fi
done

refused "sort without -o" "needs -o OUT.h5:/DATASET" "$PARRAY" sort "$tmp/in.h5:/f"
refused "a percentile past 100" "--percentiles: 101 is not a percentile" \
    "$PARRAY" stats "$tmp/in.h5:/f" --percentiles 1,101
refused "percentiles along an axis" "take the whole array" \
    "$PARRAY" stats "$tmp/in.h5:/f" --percentiles 50 --axis 0

find_python
need_system_python "to compare with numpy"
if "$py" -c 'import numpy, h5py' 2>/dev/null; then
    cat >"$tmp/check.py" <<'PY'
import sys
import h5py, numpy as np
tmp = sys.argv[1]
bad = 0
with h5py.File(tmp + "/in.h5", "r") as f, h5py.File(tmp + "/out3.h5", "r") as o:
    for ds in ("f", "i"):
        x = f[ds][...]
        if not np.array_equal(o[ds][...], np.sort(x, kind="stable")):
            print("sort of /%s differs from numpy's" % ds); bad = 1
        if not np.array_equal(o["a" + ds][...], np.argsort(x, kind="stable")):
            print("argsort of /%s differs from numpy's" % ds); bad = 1
        want = ["percentile %.15g: %.17g" % (p, v) for p, v in
                zip([0, 1, 33.3, 50, 99, 100], np.percentile(x, [0, 1, 33.3, 50, 99, 100]))]
        got = [l.strip() for l in open(tmp + "/pct3" + ds + ".out") if l.startswith("percentile")]
        if got != want:
            print("percentiles of /%s: %s, numpy %s" % (ds, got, want)); bad = 1
        med = [l.strip() for l in open(tmp + "/pct3" + ds + ".out") if l.startswith("median")]
        if med != ["median: %.17g" % np.median(x)]:
            print("median of /%s: %s, numpy %.17g" % (ds, med, np.median(x))); bad = 1
sys.exit(bad)
PY
    run numpy "$py" "$tmp/check.py" "$tmp"
    expect_rc 0 "sort, argsort, percentiles and median equal numpy's"
else
    echo "  (no numpy or h5py for $py: the comparison with numpy is skipped)"
fi

summary "sort_cli: all passed" "sort_cli: FAILED"
