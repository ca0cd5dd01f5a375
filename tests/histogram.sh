#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray stats --hist` (apps/histogram.c) on extreme data, at 1 rank and the
# cases spread over ranks also at 2 and 3: +-DBL_MAX and values spread across [-1.7e308, 1.7e308] (where the
# range's width overflows), subnormals, inf and NaN (counted apart), all
# values equal (also a huge one, where v +- 0.5 == v), a single value, no
# finite value, one bin, many bins, f32 (edges computed in float, also past
# FLT_MAX), f16 (edges rounded to f16, as numpy's) and i32. Every run ends (under a timeout), the counts and edges are
# the same at every rank count, equal the counts written in this test, and,
# where numpy is installed, equal numpy.histogram's: directly where numpy
# gives a result, on the data divided by 4 (exact) where numpy's width
# overflows, and by numpy.linspace's edges where numpy's norm overflows.
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
make_tmp hist
need_system_python "to write the data"

cat >"$tmp/hist.py" <<'PY'
import json, math, struct, sys

M = sys.float_info.max
nan, inf = float("nan"), float("inf")
# name: dtype, values, bins, counts, (nan, inf, -inf), edges or None, numpy
# reference: "numpy" (numpy.histogram gives it), "scaled" (numpy's width
# overflows: numpy on the values / 4, edges * 4), "linspace" (numpy's norm
# overflows: numpy.linspace's edges, each value in edges[i] <= x < edges[i+1]),
# or None (numpy fails and no formula of it applies).
CASES = {
    "extremes": ("f64", [-M, -1e308, -5e307, 0.0, 5e-324, 1e307, 8.9e307, M, nan, inf, -inf],
                 7, [1, 1, 1, 3, 0, 1, 1], (1, 1, 1), None, "scaled"),
    "extremes3": ("f64", [-M, -1e308, -5e307, 0.0, 5e-324, 1e307, 8.9e307, M, nan, inf, -inf],
                  3, [2, 4, 2], (1, 1, 1), None, "scaled"),
    "spread": ("f64", [1.7e308 / 500 * (i - 500) for i in range(1001)], 10,
               [100, 100, 100, 100, 100, 100, 101, 99, 100, 101], (0, 0, 0), None, "scaled"),
    "subnormal": ("f64", [0.0, 5e-324, 1e-323, 1.5e-323, 2e-323], 3, [1, 1, 3], (0, 0, 0),
                  [0.0, 5e-324, 1e-323, 2e-323], "linspace"),
    "ulps": ("f64", [1.0, 1.0 + 2.2e-16, 1.0 + 4.4e-16], 2, [1, 2], (0, 0, 0), None, "numpy"),
    "single": ("f64", [3.5], 4, [0, 0, 1, 0], (0, 0, 0), [3.0, 3.25, 3.5, 3.75, 4.0], "numpy"),
    "equal": ("f64", [2.0] * 7, 5, [0, 0, 7, 0, 0], (0, 0, 0), None, "numpy"),
    "equal_huge": ("f64", [1e308] * 5, 3, [0, 0, 5], (0, 0, 0), [1e308] * 4, None),
    "no_finite": ("f64", [nan, inf, -inf, nan], 2, [0, 0], (2, 1, 1), [0.0, 0.5, 1.0], None),
    "one_bin": ("f64", [-3.0, 1.0, 2.5, 9.0], 1, [4], (0, 0, 0), [-3.0, 9.0], "numpy"),
    "many_bins": ("f64", [float(i) for i in range(1000)], 999, [1] * 998 + [2], (0, 0, 0), None,
                  "numpy"),
    "f32": ("f32", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 7, [2, 1, 1, 2, 1, 1, 2],
            (0, 0, 0), None, "numpy"),
    "f32_extremes": ("f32", [-3.4e38, 3.4e38, 0.0, 1e-45, nan], 3, [1, 2, 1], (1, 0, 0), None,
                     "scaled"),
    "i32": ("i32", [-2147483648, -5, 0, 7, 2147483647], 4, [1, 1, 2, 1], (0, 0, 0), None, "numpy"),
    # f16: numpy's edges are f16 values (linspace's, rounded to the dtype).
    "f16": ("f16", [0.1, 0.2, 0.3, 0.7, 1.0, 1.3, 0.5, 0.9], 3, [3, 2, 3], (0, 0, 0),
            [0.0999755859375, 0.5, 0.89990234375, 1.2998046875], "numpy"),
}
FMT = {"f64": "d", "f32": "f", "i32": "i", "f16": "e"}


def as_dtype(dtype, v):
    """v rounded to the dtype (float32 for f32), as a Python number."""
    return struct.unpack("<" + FMT[dtype], struct.pack("<" + FMT[dtype], v))[0] \
        if dtype in ("f32", "f16") else v


def same(a, b):
    return len(a) == len(b) and all(x == y or (x != x and y != y) for x, y in zip(a, b))


def numpy_reference(dtype, values, bins, kind):
    """numpy's counts and edges, or None without numpy."""
    try:
        import numpy as np
    except ImportError:
        return None
    a = np.array(values, dtype={"f64": np.float64, "f32": np.float32, "i32": np.int32,
                                "f16": np.float16}[dtype])
    if a.dtype.kind == "f":
        a = a[np.isfinite(a)]
    if kind == "numpy":
        c, e = np.histogram(a, bins)
    elif kind == "scaled":
        c, e = np.histogram(a / a.dtype.type(4), bins)
        e = e * e.dtype.type(4)
    else:
        e = np.linspace(a.min(), a.max(), bins + 1)
        c = np.bincount(np.minimum(np.searchsorted(e, a, side="right") - 1, bins - 1),
                        minlength=bins)
    return c.tolist(), [float(x) for x in e]


def check(tmp, case, outs):
    dtype, values, bins, counts, apart, edges, kind = CASES[case]
    hists = [json.load(open(o))["hist"] for o in outs]
    got_edges = [as_dtype(dtype, e if e is not None else nan) for e in hists[0]["edges"]]
    bad = []
    for o, h in zip(outs[1:], hists[1:]):
        if h != hists[0]:
            bad.append("%s differs from %s" % (o, outs[0]))
    got = (hists[0]["counts"], (hists[0]["nan"], hists[0]["posinf"], hists[0]["neginf"]))
    if got != (counts, apart):
        bad.append("counts %s, in no bin %s; written here: %s, %s" % (got + (counts, apart)))
    if edges is not None and not same(got_edges, edges):
        bad.append("edges %s, written here: %s" % (got_edges, edges))
    ref = numpy_reference(dtype, values, bins, kind) if kind else None
    if ref is not None and (hists[0]["counts"], got_edges) != ref:
        bad.append("counts %s edges %s; numpy (%s): %s %s" % (
            hists[0]["counts"], got_edges, kind, ref[0], ref[1]))
    print("; ".join(bad) if bad else "same at every rank count, as written%s" % (
        " and as numpy (%s)" % kind if ref is not None else ""))
    return not bad


if sys.argv[1] == "write":
    for case, (dtype, values, bins, *_) in CASES.items():
        with open("%s/%s.raw" % (sys.argv[2], case), "wb") as f:
            f.write(struct.pack("<%d%s" % (len(values), FMT[dtype]), *values))
        print(case, dtype, bins)
else:
    sys.exit(0 if check(sys.argv[2], sys.argv[3], sys.argv[4:]) else 1)
PY

if ! $py "$tmp/hist.py" write "$tmp" >"$tmp/cases"; then
    echo "FAIL: the data could not be written"
    exit 1
fi
$py -c 'import numpy' 2>/dev/null || echo "  (no numpy: the counts are checked against the ones written in the test only)"

# The list is read on fd 3: mpirun reads stdin.
while read -r case dtype bins <&3; do
    echo "--- $case: $dtype, $bins bins"
    run "$case.pack" "$PARRAY" pack --format raw --dtype "$dtype" "$tmp/$case.raw" -o "$tmp/$case.h5:/x"
    [ "$rc" -eq 0 ] || { fail "pack $case exits $rc"; show "$tmp/$case.pack.err"; continue; }
    # One rank without mpirun; the cases where ranks see different ranges,
    # NaN and inf also at 2 and 3 ranks (mpirun costs a second each).
    outs=
    for np in 1 2 3; do
        case $np:$case in
        1:*) run "$case.np1" "$PARRAY" stats "$tmp/$case.h5:/x" --hist "$bins" --json ;;
        *:extremes* | *:spread | *:subnormal | *:no_finite | *:f32_extremes)
            run "$case.np$np" $mpirun -n $np "$PARRAY" stats "$tmp/$case.h5:/x" --hist "$bins" --json ;;
        *) continue ;;
        esac
        [ "$rc" -eq 0 ] || { fail "$case: stats --hist at $np ranks exits $rc"; show "$tmp/$case.np$np.err"; }
        outs="$outs $tmp/$case.np$np.out"
    done
    if got=$($py "$tmp/hist.py" check "$tmp" "$case" $outs 2>&1); then
        pass "$case: $got"
    else
        fail "$case: $got"
    fi
done 3<"$tmp/cases"

echo "--- the text form"
run text $mpirun -n 2 "$PARRAY" stats "$tmp/extremes.h5:/x" --hist 3
expect_rc 0 "stats --hist 3 of the extremes"
expect_in text.out '^\[-1\.7976931348623157e\+308, -5\.99231044954105[0-9]*e\+307\) 2$' "the first bin is half open"
expect_in text.out '^\[5\.99231044954105[0-9]*e\+307, 1\.7976931348623157e\+308\] 2$' "the last bin is closed"
expect_in text.out '^in no bin: 1 nan, 1 inf, 1 -inf$' "NaN, inf and -inf are counted apart"

summary "histogram: PASSED" "histogram: FAILED"
