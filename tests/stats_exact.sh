#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray stats` prints numpy's results exactly: for every integer and float
# dtype numpy has that parray loads (written by numpy as .npy, packed into
# HDF5 by parray), data at the dtype's limits (min, max, sums that wrap in
# 64 bits, u64 above 2^63), with zeros and NaN (any, all) and empty, against
# numpy's own sum, min, max, any and all, and its mean and std (taken in
# double) to 1e-12; the JSON is the same text at 1, 2 and 3 ranks; the text
# prints an i64 max of 2**53+3 as 9007199254740995.
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
make_tmp stats_exact
need_system_python "to write the data and compute numpy's results"
"$py" -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $py (python3-numpy)"; exit 77; }

# The cases: NAME.npy, one line each in cases.
cat >"$tmp/make.py" <<'PY'
import sys
import numpy as np

out = sys.argv[1]
names = []
for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64"):
    dt = np.dtype(t)
    n = 1001
    if dt.kind in "iu":
        info = np.iinfo(dt)
        a = np.ones(n, dt)
        # The limits in different ranks' spans; for 64 bits the sum wraps.
        a[[100, 600]] = info.min
        a[[300, 900]] = info.max
        a[950] = 3
        cases = {"limits": a}
    else:
        rng = np.random.default_rng(5)
        a = (rng.standard_normal(n) * 1000).astype(dt)
        a[[100, 800]] = np.finfo(dt).max / 4
        a[500] = -0.0
        b = np.zeros(n, dt)
        b[700] = np.nan
        cases = {"values": a, "nan": b}
    cases["zeros"] = np.zeros(n, dt)
    cases["empty"] = np.zeros(0, dt)
    for k, v in cases.items():
        names.append(f"{t}_{k}")
        np.save(f"{out}/{t}_{k}.npy", v)
with open(f"{out}/cases", "w") as f:
    f.write("\n".join(names) + "\n")
PY

# check.py CASE JSON: the stats JSON against numpy's results of CASE.npy.
cat >"$tmp/check.py" <<'PY'
import json, math, sys
import numpy as np

np.seterr(all="ignore")  # squares of the largest values overflow, as they should
a = np.load(sys.argv[1])
got = json.load(open(sys.argv[2]))
bad = []

def same(key, want, tol=0.0):
    g = got[key]
    if isinstance(want, (bool, np.bool_)):
        ok = g is bool(want)
    elif want is None or (isinstance(want, float) and not math.isfinite(want)):
        ok = g is None  # JSON has no NaN or inf
    elif tol:
        ok = g is not None and abs(g - want) <= tol * abs(want)
    else:
        ok = g == want
    if not ok:
        bad.append(f"{key} {g!r}, numpy {want!r}")

def exact(x):
    """numpy's value as JSON reads it: an int, or the float's exact value."""
    if a.dtype.kind in "iu":
        return int(x)
    return float(x) if np.isfinite(x) else None

same("count", a.size)
same("any", np.any(a))
same("all", np.all(a))
if a.dtype.kind in "iu":
    # numpy on Linux: the sum of a signed dtype is int64, of an unsigned
    # one uint64, wrapping.
    same("sum", int(np.sum(a, dtype=np.int64 if a.dtype.kind == "i" else np.uint64)))
else:
    same("sum", exact(np.sum(a, dtype=np.float64)), 1e-12)
if a.size:
    mn, mx = np.min(a), np.max(a)
    if a.dtype.kind == "f":
        # A float's text reads back to the same value of its dtype.
        ok = all(got[k] is None if np.isnan(w) else a.dtype.type(got[k]) == w
                 for k, w in (("min", mn), ("max", mx)))
        ok or bad.append(f"min/max {got['min']!r} {got['max']!r}, numpy {mn!r} {mx!r}")
    else:
        same("min", int(mn))
        same("max", int(mx))
    d = a.astype(np.float64)
    same("mean", float(np.mean(d)), 1e-12)
    same("std", float(np.std(d)), 1e-9)
else:
    same("min", None)
    same("max", None)
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY

"$py" "$tmp/make.py" "$tmp" || { fail "writing the data"; finish; }
# (A for loop, not `while read`: mpirun would read the rest of the list.)
for c in $(cat "$tmp/cases"); do
    run pack "$PARRAY" pack "$tmp/$c.npy" -o "$tmp/$c.h5:/x"
    if [ "$rc" -ne 0 ]; then
        case $c in
        int64_* | float64_*) fail "$c: pack exits $rc"; show "$tmp/pack.err" ;;
        *) echo "  ($c: parray has no such dtype: $(head -1 "$tmp/pack.err"))" ;;
        esac
        continue
    fi
    for np in 1 2 3; do
        run "$c.$np" $mpirun -n $np "$PARRAY" stats "$tmp/$c.h5:/x" --json
        [ "$rc" -eq 0 ] || { fail "$c: stats at $np ranks exits $rc"; show "$tmp/$c.$np.err"; }
    done
    if cmp -s "$tmp/$c.1.out" "$tmp/$c.2.out" && cmp -s "$tmp/$c.1.out" "$tmp/$c.3.out"; then
        pass "$c: the same JSON at 1, 2 and 3 ranks"
    else
        fail "$c: the JSON differs between rank counts"
        show "$tmp/$c.1.out"
        show "$tmp/$c.2.out"
    fi
    if why=$("$py" "$tmp/check.py" "$tmp/$c.npy" "$tmp/$c.2.out"); then
        pass "$c: numpy's results"
    else
        fail "$c: $why"
    fi
done

# The text: exact integers, True and False.
"$py" -c "import numpy as np; np.save('$tmp/big.npy', np.array([7, 2**53 + 3, -2**53 - 3, 0], np.int64))"
run pack "$PARRAY" pack "$tmp/big.npy" -o "$tmp/big.h5:/x"
run text $mpirun -n 2 "$PARRAY" stats "$tmp/big.h5:/x"
expect_rc 0 "stats of 2**53+3"
# (The mean is taken in double, where 7 + (2**53+4) rounds to 2**53+12.)
expect_in text.out '^4 7 2 [^ ]+ -9007199254740995 9007199254740995 True False$' \
    "the text prints the i64 min and max of +-(2**53+3) exactly"
summary "stats prints numpy's results exactly" "stats differs from numpy"
