#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# pa_cumsum, pa_cumprod, pa_histogram and pa_histogram_edges (through
# tests/scan_helper) against numpy, at 1 and 3 ranks and at 4 ranks as 2
# emulated nodes: integer scans exact with numpy's wrapping (i64 overflow,
# u8 products into u64, bool and i8 into i64), float scans bit for bit
# where a line fits one block (numpy's order), within the documented bound
# beyond, NaN and inf propagating, f16 as numpy's f32 cumsum rounded to
# f16, every axis of 2-D and 3-D arrays; histograms with numpy's edges and
# counts (the last bin closed, a range given, edges given, f16, i64's
# ends), and where numpy refuses (NaN, inf) or overflows (+-max) the
# counts numpy gives on the finite values or on the data divided by 4.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# SCAN_HELPER (default tests/scan_helper of the build); PARRAY_TEST_TIMEOUT
# (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

need_parray
need_mpirun
make_tmp scan
need_system_python "for numpy"
(cd "$tmp" && "$py" -c 'import numpy') 2>/dev/null ||
    { echo "SKIP: no numpy for $py (Debian package python3-numpy)"; exit 77; }
helper=${SCAN_HELPER:-$(pwd)/tests/scan_helper}
[ -x "$helper" ] || { echo "FAIL: $helper is not built"; exit 99; }

cat >"$tmp/scan.py" <<'PY'
import os, subprocess, sys
import numpy as np

np.seterr(all="ignore")  # numpy warns of the NaN its own cumprod makes

tmp, runner, helper = sys.argv[1], sys.argv[2].split(), sys.argv[3]
limit = int(os.environ.get("LIMIT", "60"))
B = 4096
failed = 0
NAME = {np.float64: "f64", np.float32: "f32", np.float16: "f16", np.int64: "i64",
        np.int8: "i8", np.uint8: "u8", np.bool_: "bool", np.uint64: "u64"}


def say(ok, what):
    global failed
    print(("  ok: " if ok else "  FAIL: ") + what)
    failed |= not ok


def helper_run(args):
    r = subprocess.run(runner + [helper] + args, capture_output=True, text=True, timeout=limit)
    if r.returncode != 0:
        print("    | " + r.stderr.replace("\n", "\n    | "))
    return r.returncode == 0


def scan(op, x, axis):
    x.tofile(f"{tmp}/in.bin")
    if not helper_run([op, NAME[x.dtype.type], str(axis), f"{tmp}/in.bin", f"{tmp}/out.bin"]
                      + [str(d) for d in x.shape]):
        return None
    want = getattr(np, op)(x, axis=None if axis < 0 else axis)
    return np.fromfile(f"{tmp}/out.bin", dtype=want.dtype).reshape(x.shape), want


def same_bits(got, want):
    g, w = got.reshape(-1), want.reshape(-1)
    return g.dtype == w.dtype and np.array_equal(g.view(np.uint8), w.view(np.uint8))


def check_exact(what, op, x, axis=-1):
    r = scan(op, x, axis)
    say(r is not None and same_bits(r[0], r[1].reshape(x.shape)), what)


rng = np.random.default_rng(16)
# Integers: exact, numpy's wrapping and result dtypes.
check_exact("i64 cumsum wraps as numpy's", "cumsum",
            rng.integers(2**61, 2**62, 3 * B + 7, dtype=np.int64))
check_exact("i8 cumsum is numpy's i64", "cumsum", rng.integers(-128, 128, 9000, dtype=np.int8))
check_exact("u8 cumprod is numpy's u64, wrapping", "cumprod",
            rng.integers(1, 256, 5000, dtype=np.uint8))
check_exact("bool cumsum is numpy's i64", "cumsum", rng.random(9000) < 0.5)
check_exact("u64 cumsum wraps", "cumsum", rng.integers(2**63, 2**64 - 1, 5000, dtype=np.uint64))
# Floats within one block: numpy's sequential order, bit for bit.
x = rng.standard_normal(B)
check_exact("f64 cumsum of one block is numpy's", "cumsum", x)
check_exact("f32 cumsum of one block is numpy's", "cumsum", x.astype(np.float32))
y = x.copy()
y[100], y[200], y[300] = np.nan, np.inf, -np.inf
check_exact("NaN and inf propagate as numpy's", "cumsum", y[:250])
check_exact("cumsum past inf is numpy's (inf + -inf = NaN)", "cumsum", y)
check_exact("f64 cumprod to +-max and inf", "cumprod",
            np.array([1e308, 1.5, -1.0, 1e-320, 0.0, -2.0, np.inf]))
check_exact("f64 axis 0 of (3000, 4)", "cumsum", rng.standard_normal((3000, 4)), 0)
check_exact("f64 axis 1 of (4, 3, 500)", "cumsum", rng.standard_normal((4, 3, 500)), 1)
check_exact("f32 cumprod axis 2 of (4, 3, 500)", "cumprod",
            (1 + rng.standard_normal((4, 3, 500)) * 1e-3).astype(np.float32), 2)
check_exact("i32-range axis 0 of (9000, 3) in i64", "cumsum",
            rng.integers(-2**40, 2**40, (9000, 3), dtype=np.int64), 0)
# f16: computed in f32, each result rounded to f16 (numpy rounds every step).
h = (rng.standard_normal(3000) * 4).astype(np.float16)
r = scan("cumsum", h, -1)
want32 = np.cumsum(h.astype(np.float32)).astype(np.float16)
say(r is not None and same_bits(r[0], want32), "f16 cumsum is numpy's f32 cumsum rounded to f16")
if r is not None:
    err = np.abs(r[0].astype(np.float64) - r[1].astype(np.float64))
    bound = np.arange(1, h.size + 1) * 2.0**-11 * np.cumsum(np.abs(h.astype(np.float64)))
    say(bool(np.all(err <= bound)), "f16 cumsum within n * eps16 * sum|x| of numpy's f16 cumsum")
# Past one block: the bound of the block rule (docs/order.md).
x = rng.standard_normal(40 * B + 3)
r = scan("cumsum", x, -1)
if r is not None:
    err = np.abs(r[0] - r[1])
    i = np.arange(x.size)
    bound = (i + B + i // B + 1) * 2.0**-53 * np.cumsum(np.abs(x))
    say(bool(np.all(err <= bound)), "f64 cumsum of 40 blocks within the bound of numpy's "
        f"(worst {float(np.max(err / bound)):.3g} of it)")


# Histograms.
def hist(x, bins, rng_=None, edges=None):
    x.tofile(f"{tmp}/in.bin")
    if edges is not None:
        np.asarray(edges, dtype=np.float64).tofile(f"{tmp}/edges.bin")
        args = ["edges", NAME[x.dtype.type], f"{tmp}/edges.bin"]
    else:
        args = ["hist", NAME[x.dtype.type], str(bins)]
    args += [f"{tmp}/in.bin", f"{tmp}/out.txt", str(x.size)]
    if rng_ is not None:
        args += [repr(float(rng_[0])), repr(float(rng_[1]))]
    if not helper_run(args):
        return None
    lines = open(f"{tmp}/out.txt").read().split("\n")
    return ([float(v) for v in lines[0].split()], [int(v) for v in lines[1].split()],
            [int(v) for v in lines[2].split()])


def check_hist(what, x, bins, rng_=None, edges=None, rest=(0, 0, 0), scale=1):
    got = hist(x, bins, rng_, edges)
    xs = x[np.isfinite(x)] / scale if x.dtype.kind == "f" else x
    c, e = np.histogram(xs, bins=edges if edges is not None else bins, range=rng_)
    ok = got is not None and got[1] == c.tolist() and tuple(got[2]) == tuple(rest)
    if edges is None:
        ok = ok and got[0] == [float(v) * scale for v in e]
    say(ok, what)
    if not ok and got is not None:
        print(f"    | got {got}\n    | numpy {c.tolist()} {e.tolist()}")


check_hist("last bin closed", np.arange(11, dtype=np.float64), 5)
check_hist("normal f64, 10 bins", rng.standard_normal(10000), 10)
check_hist("f32, 7 bins", rng.random(5000).astype(np.float32), 7)
check_hist("f16, 6 bins", (rng.standard_normal(3000) * 100).astype(np.float16), 6)
check_hist("i64 ends", np.array([-2**63, -5, 0, 7, 2**63 - 1], dtype=np.int64), 4)
check_hist("u8", rng.integers(0, 256, 1000, dtype=np.uint8), 9)
x = rng.standard_normal(5000)
check_hist("a range given", x, 7, rng_=(-1.0, 2.0),
           rest=(0, int(np.sum(x < -1)), int(np.sum(x > 2))))
check_hist("edges given, one repeated", x, 5, edges=[-3, -1, 0, 0, 2.5, 4],
           rest=(0, int(np.sum(x < -3)), int(np.sum(x > 4))))
y = np.concatenate([x, [np.nan, np.nan, np.inf, -np.inf]])
check_hist("NaN and inf counted apart (numpy: on the finite values)", y, 8, rest=(2, 1, 1))
m = np.finfo(np.float64).max
check_hist("+-max: numpy's counts on the data / 4, edges * 4",
           np.array([-m, -1e308, 0.0, 5e-324, 1e307, m, m]), 7, scale=4)
sys.exit(1 if failed else 0)
PY

for config in np1 np3 nodes2; do
    case $config in
    np1) runner="$mpirun -n 1" ;;
    np3) runner="$mpirun -n 3" ;;
    nodes2) runner="env PARRAY_RANKS_PER_NODE=2 $mpirun -n 4" ;;
    esac
    echo "$config:"
    LIMIT=$limit timeout -k 10 $((limit * 40)) "$py" "$tmp/scan.py" "$tmp" "$runner" "$helper" ||
        failed=1
done
summary "scan_numpy: all passed" "scan_numpy: FAILED"
