#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray stats --axis K` of 3-D datasets (f64 and i32, written by numpy and
# imported by parray), every axis K, against numpy's sum, mean, std, min, max,
# any and all along axis=K (one entry per index of the other axes, C order):
# integer sums, mins and maxes exactly, means and stds to 1e-12; the JSON is
# the same text at 1, 2 and 3 ranks and at 4 ranks as 2 nodes; the text
# labels each line with its index tuple; an axis past the last is refused.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

need_parray
need_mpirun
make_tmp stats_axis
need_system_python "to write the data and compute numpy's results"
"$py" -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $py (python3-numpy)"; exit 77; }

cat >"$tmp/make.py" <<'PY'
import sys
import numpy as np

rng = np.random.default_rng(7)
np.save(sys.argv[1] + "/f64.npy", rng.standard_normal((5, 70, 3)) * 100)
i = rng.integers(-1000, 1000, (3, 4, 150)).astype(np.int32)
i[1, 2, :] = 0  # a line of zeros: any false
np.save(sys.argv[1] + "/i32.npy", i)
PY

# check.py NPY AXIS JSON: the stats JSON against numpy along AXIS.
cat >"$tmp/check.py" <<'PY'
import json, sys
import numpy as np

a = np.load(sys.argv[1])
k = int(sys.argv[2])
got = json.load(open(sys.argv[3]))
bad = []
d = a.astype(np.float64)
want = {"sum": np.sum(a, axis=k, dtype=np.int64 if a.dtype.kind == "i" else np.float64),
        "min": np.min(a, axis=k), "max": np.max(a, axis=k), "any": np.any(a, axis=k),
        "all": np.all(a, axis=k), "mean": np.mean(d, axis=k), "std": np.std(d, axis=k)}
for key, w in want.items():
    w = w.ravel()
    g = got[key]
    if len(g) != w.size:
        bad.append(f"{key}: {len(g)} results, numpy {w.size}")
    elif key in ("mean", "std") or (key == "sum" and a.dtype.kind == "f"):
        if not np.allclose(g, w, rtol=1e-12, atol=1e-12):
            bad.append(f"{key} differs")
    elif list(g) != [x.item() for x in w]:
        bad.append(f"{key} differs: {g[:4]} numpy {list(w[:4])}")
if got["count"] != [a.shape[k]] * (a.size // a.shape[k]):
    bad.append(f"count {got['count'][:4]}")
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY

"$py" "$tmp/make.py" "$tmp" || { fail "writing the data"; finish; }
for t in f64 i32; do
    run "import.$t" "$PARRAY" import "$tmp/$t.npy" -o "$tmp/$t.h5:/x"
    [ "$rc" -eq 0 ] || { fail "$t: import exits $rc"; show "$tmp/import.$t.err"; continue; }
    for k in 0 1 2; do
        for np in 1 2 3; do
            run "$t.$k.$np" $mpirun -n $np "$PARRAY" stats "$tmp/$t.h5:/x" --axis $k --json
            [ "$rc" -eq 0 ] || { fail "$t axis $k: stats at $np ranks exits $rc"; show "$tmp/$t.$k.$np.err"; }
        done
        PARRAY_RANKS_PER_NODE=2 run "$t.$k.4" $mpirun -n 4 "$PARRAY" stats "$tmp/$t.h5:/x" --axis $k --json
        [ "$rc" -eq 0 ] || { fail "$t axis $k: stats at 4 ranks as 2 nodes exits $rc"; show "$tmp/$t.$k.4.err"; }
        if cmp -s "$tmp/$t.$k.1.out" "$tmp/$t.$k.2.out" && cmp -s "$tmp/$t.$k.1.out" "$tmp/$t.$k.3.out" &&
            cmp -s "$tmp/$t.$k.1.out" "$tmp/$t.$k.4.out"; then
            pass "$t axis $k: the same JSON at 1, 2, 3 ranks and 2 nodes"
        else
            fail "$t axis $k: the JSON differs between layouts"
        fi
        if out=$("$py" "$tmp/check.py" "$tmp/$t.npy" $k "$tmp/$t.$k.1.out"); then
            pass "$t axis $k: numpy's results"
        else
            fail "$t axis $k: $out"
        fi
    done
done

run text $mpirun -n 2 "$PARRAY" stats "$tmp/i32.h5:/x" --axis 1
if grep -q '^index    count sum' "$tmp/text.out" && grep -q '^(2,149)  4 ' "$tmp/text.out"; then
    pass "the text labels each line with its index tuple"
else
    fail "the text's labels"
    show "$tmp/text.out"
fi
run past $mpirun -n 2 "$PARRAY" stats "$tmp/i32.h5:/x" --axis 3
expect_rc 1 "stats --axis 3 of a 3-D dataset"
expect_in past.err "--axis 3: .*i32.h5:/x has 3 axes" "the refusal names the axis and the axes"
finish
