#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# pa_quantile_by (every one of numpy's 13 methods), pa_unique and pa_topk
# (through tests/order_helper) against numpy, at 1 and 3 ranks and at 4
# ranks as 2 emulated nodes: sizes 1, 2, 3, 5, 10 and thousands,
# ties, all-equal, sorted and reverse-sorted data, NaN, -0.0 and +0.0, inf,
# every ordered dtype (bool with the methods numpy takes for it), fewer
# elements than ranks. Quantiles bit for bit (as doubles; a zero as +0.0,
# where numpy's sign is its partition's accident); unique values,
# counts and inverse, and the top k's values and indices exactly (numpy's
# stable argsort, reversed for the largest with ties by the lower index).
# `parray stats --percentiles --method` and `--unique` on one dataset.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# ORDER_HELPER (default tests/order_helper of the build); PARRAY_TEST_TIMEOUT
# (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

need_parray
need_mpirun
make_tmp order
need_numpy_h5py
helper=${ORDER_HELPER:-$(pwd)/tests/order_helper}
[ -x "$helper" ] || { echo "FAIL: $helper is not built"; exit 99; }

cat >"$tmp/make.py" <<'PY'
import sys
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(16)
q = np.array([0, 0.001, 0.01, 0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.75, 0.8, 0.9,
              0.99, 0.999, 1])
q.tofile(f"{out}/q.bin")
cases = {}
for n in (1, 2, 3, 5, 10, 1001):
    cases[f"f64_n{n}"] = rng.standard_normal(n)
    cases[f"i32_ties_n{n}"] = rng.integers(-3, 4, n).astype(np.int32)
cases["f64_big"] = rng.standard_normal(30011)
cases["f64_ties"] = np.round(rng.standard_normal(20000) * 4) / 4
cases["f64_equal"] = np.full(999, 2.5)
cases["f64_sorted"] = np.arange(3001, dtype=np.float64)
cases["f64_reverse"] = np.arange(3001, dtype=np.float64)[::-1].copy()
sp = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, -1.0, 0.5])
cases["f64_special"] = sp[rng.integers(0, sp.size, 777)]
cases["f64_zeros"] = np.array([0.0, -0.0, 1.0, -0.0, 0.0, -1.0, 0.0])
cases["f64_negzero_first"] = np.array([-0.0, 0.0, 2.0, 0.0])
cases["f64_inf"] = np.array([1.0, np.inf, -np.inf, 3.0, np.inf])
cases["f32"] = (rng.standard_normal(5003) * 100).astype(np.float32)
cases["f16"] = (rng.standard_normal(4001) * 10).astype(np.float16)
for t in ("int8", "int16", "int64", "uint8", "uint16", "uint32", "uint64"):
    info = np.iinfo(t)
    # Values whose differences fit the dtype: numpy subtracts in it.
    cases[t] = rng.integers(max(info.min, -1000), min(info.max, 1000) // 2, 2003).astype(t)
cases["bool"] = rng.random(1001) < 0.3
for k, v in cases.items():
    np.save(f"{out}/{k}.npy", v)
with open(f"{out}/cases", "w") as f:
    f.write("\n".join(cases) + "\n")
PY

cat >"$tmp/check.py" <<'PY'
import sys
import numpy as np

np.seterr(all="ignore")  # numpy's inf - inf in its interpolation
tmp = sys.argv[1]
q = np.fromfile(f"{tmp}/q.bin")
METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
           "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
           "normal_unbiased", "lower", "higher", "midpoint", "nearest"]
failed = 0


def say(ok, what):
    global failed
    if not ok:
        print("  FAIL: " + what)
    failed |= not ok
    return ok


def load(name, suffix, dtype):
    return np.fromfile(f"{tmp}/{name}.{suffix}", dtype=dtype)


def same_bits(got, want):
    return got.dtype == want.dtype and got.shape == want.shape and \
        np.array_equal(got.view(np.uint8), want.view(np.uint8))


nchecks = 0
for name in open(f"{tmp}/cases").read().split():
    x = np.load(f"{tmp}/{name}.npy")
    n = x.size
    lines = {l.split()[0]: l.split()[1:] for l in open(f"{tmp}/{name}.q.txt")}
    for m in METHODS:
        got = lines.get(m)
        try:
            want = np.asarray(np.quantile(x, q, method=m), dtype=np.float64)
        except TypeError:
            want = None  # numpy cannot subtract bools
        if want is None:
            ok = got is not None and got[0] == "err"
        else:
            # Bit for bit, but for the sign of a zero: parray's is +0.0,
            # numpy's that of whichever zero its partition left there.
            g = np.array([float.fromhex(v) for v in got]) if got and got[0] != "err" else None
            ok = g is not None and g.size == want.size and \
                np.array_equal(g, want, equal_nan=True)
        nchecks += 1
        if not say(ok, f"{name} quantile {m}"):
            print(f"    | got  {got}\n    | want {None if want is None else want.tolist()}")
    # unique: numpy's values (the first zero in a's order, the first NaN),
    # counts and inverse.
    v, inv, c = np.unique(x, return_inverse=True, return_counts=True)
    gv = load(name, "uv.bin", x.dtype)
    ok = gv.size == v.size and np.array_equal(gv, v, equal_nan=x.dtype.kind == "f")
    if ok and x.dtype.kind == "f" and np.any(x == 0):
        zero = x[x == 0][0]
        ok = bool(np.signbit(gv[gv == 0][0]) == np.signbit(zero))
    ok = ok and np.array_equal(load(name, "uc.bin", np.int64), c) and \
        np.array_equal(load(name, "ui.bin", np.int64), inv.reshape(-1))
    nchecks += 1
    say(ok, f"{name} unique")
    # topk: the first k of the stable argsort, or of the reversed order
    # with ties by the lower index (NaN the largest).
    order = np.argsort(x, kind="stable")
    rev = (n - 1 - np.argsort(x[::-1], kind="stable"))[::-1]
    for k in (3, 4096):
        for tag, o in (("s", order), ("l", rev)):
            want = o[:k]
            gi = load(name, f"{tag}{k}.i.bin", np.int64)
            gv = load(name, f"{tag}{k}.v.bin", x.dtype)
            nchecks += 1
            if not say(np.array_equal(gi, want) and same_bits(gv, x[want]),
                       f"{name} top {k} {'largest' if tag == 'l' else 'smallest'}"):
                print(f"    | got {gi[:10].tolist()} want {want[:10].tolist()}")
print(f"  {nchecks} checks, {'FAILED' if failed else 'all passed'}")
sys.exit(1 if failed else 0)
PY

(cd "$tmp" && "$py" "$tmp/make.py" "$tmp") || { echo "FAIL: numpy could not write the data"; exit 99; }
for config in np1 np3 nodes2; do
    case $config in
    np1) runner="$mpirun -n 1" ;;
    np3) runner="$mpirun -n 3" ;;
    nodes2) runner="env PARRAY_RANKS_PER_NODE=2 $mpirun -n 4" ;;
    esac
    echo "$config:"
    if timeout -k 10 $((limit * 4)) $runner "$helper" "$tmp" >"$tmp/out" 2>&1; then
        (cd "$tmp" && "$py" "$tmp/check.py" "$tmp") || failed=1
    else
        fail "order_helper at $config"
        show "$tmp/out"
    fi
done

# The command line: --percentiles with --method, and --unique, against numpy.
"$py" -c '
import sys, h5py, numpy as np
x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], dtype=np.int16)
with h5py.File(sys.argv[1], "w") as f:
    f["x"] = x
' "$tmp/x.h5"
check_stats() { # CONFIG-RUNNER ARGS...: compares the JSON against numpy
    timeout -k 10 $limit "$@" --json >"$tmp/stats.json" 2>"$tmp/stats.err" ||
        { fail "parray stats $*"; show "$tmp/stats.err"; return; }
    if "$py" - "$tmp/stats.json" <<'PY'
import json, sys
import numpy as np
got = json.load(open(sys.argv[1]))
x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], dtype=np.int16)
p = got["percentiles"]
want = np.percentile(x, p["p"], method=p["method"]).tolist()
v, c = np.unique(x, return_counts=True)
u = got["unique"]
ok = p["values"] == want and u["count"] == v.size and u["values"] == v[:3].tolist() and \
    u["counts"] == c[:3].tolist()
sys.exit(0 if ok else 1)
PY
    then pass "stats $*"; else fail "stats $*"; show "$tmp/stats.json"; fi
}
check_stats $mpirun -n 2 "$PARRAY" stats "$tmp/x.h5:/x" --percentiles 10,50,95 --method hazen --unique=3
check_stats $mpirun -n 3 "$PARRAY" stats "$tmp/x.h5:/x" --percentiles 0,33,100 --method nearest --unique=3
timeout -k 10 $limit $mpirun -n 1 "$PARRAY" stats "$tmp/x.h5:/x" --unique >"$tmp/text" 2>&1
if grep -q '^unique: 7 values$' "$tmp/text" && grep -q '^  5: 3$' "$tmp/text"; then
    pass "stats --unique prints the count and each value with its count"
else
    fail "stats --unique text"; show "$tmp/text"
fi
if timeout -k 10 $limit $mpirun -n 1 "$PARRAY" stats "$tmp/x.h5:/x" --percentiles 5 --method bogus \
    >"$tmp/bad" 2>&1; then
    fail "--method bogus was taken"
elif grep -q "method: 'bogus'" "$tmp/bad"; then
    pass "--method bogus is refused, named"
else
    fail "--method bogus message"; show "$tmp/bad"
fi
summary "order_numpy: all passed" "order_numpy: FAILED"
