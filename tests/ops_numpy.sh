#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# The element-wise ops that follow numpy by name against numpy itself
# (skipped without numpy and h5py: the Debian packages python3-numpy and
# python3-h5py): each expression below runs as `parray calc` on every
# dtype that has its ops, over inputs h5py wrote with the values that
# matter (+-0, +-inf, NaN, subnormals, the dtype's ends, shift counts
# outside [0, width)), and its result must be what numpy computes for the
# same text evaluated in Python (so also Python's operator precedence):
# bit for bit, except that the transcendental functions may differ from
# numpy's vectorised libraries by a few ulp on finite non-zero values.
# Floats under integer-only ops and integer mod by zero are refused.
# Environment (make check sets them): PARRAY, MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT
need_parray
need_mpirun
need_numpy_h5py
make_tmp opsnp

# ref.py write FILE: x_DT and y_DT of every dtype into FILE (the cross
# product of the values that matter, so that every pair meets);
# ref.py check FILE OUT LIST: each line "DS DT EXPR" of LIST says that
# OUT:/DS holds numpy's EXPR on x_DT, y_DT of FILE.
cat >"$tmp/ref.py" <<'PY'
import sys, h5py, numpy as np
names = dict(f64="float64", f32="float32", f16="float16", i64="int64", i32="int32",
             i16="int16", i8="int8", u64="uint64", u32="uint32", u16="uint16", u8="uint8")
fns = {k: getattr(np, k) for k in
       "sinh cosh arcsin arccos arctan arcsinh arccosh arctanh mod arctan2 power absolute "
       "left_shift right_shift copy".split()}
transcendental = "sinh cosh arcsin arccos arctan arcsinh arccosh arctanh arctan2 power".split()

def values(t):
    if t.kind == "f":
        fi = np.finfo(t)
        v = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -2.5, 3.0, -7.0, 0.999, -0.999, 20.0, 90.0,
             np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny, fi.tiny / 4, -fi.tiny / 4]
        with np.errstate(over="ignore"):
            return np.array(v).astype(t)
    i = np.iinfo(t)
    w = 8 * t.itemsize
    v = {i.min, i.min + 1, -w, -7, -1, 0, 1, 3, 7, w - 1, w, w + 1, 100, i.max - 1, i.max}
    return np.array(sorted(a for a in v if i.min <= a <= i.max), dtype=t)

def check(f, out, ds, dt, expr):
    t = np.dtype(names[dt])
    x, y = f["x_" + dt][:], f["y_" + dt][:]
    got = out[ds][:]
    want = eval(expr.split("=", 1)[1], dict(fns), dict(x=x, y=y))
    if want.dtype != t or got.dtype != t:
        return ["dtype %s, numpy's %s" % (got.dtype, want.dtype)]
    if t.kind == "f":
        u = "u%d" % t.itemsize
        same = (got.view(u) == want.view(u)) | (np.isnan(got) & np.isnan(want))
        if any(f in expr for f in transcendental):
            # A few ulp on finite non-zero values; specials exactly.
            err = np.abs(got.astype(float) - want.astype(float))
            same |= np.isfinite(want) & (want != 0) & (err <= 4 * np.spacing(np.abs(want)))
    else:
        same = got == want
    return ["x=%r y=%r: got %r, numpy %r" % (x[i], y[i], got[i], want[i])
            for i in np.flatnonzero(~same)[:5]]

if sys.argv[1] == "write":
    with h5py.File(sys.argv[2], "w") as f:
        for dt, name in names.items():
            v = values(np.dtype(name))
            f["x_" + dt], f["y_" + dt] = np.repeat(v, len(v)), np.tile(v, len(v))
    sys.exit(0)

bad = 0
with h5py.File(sys.argv[2], "r") as f, h5py.File(sys.argv[3], "r") as out:
    for line in open(sys.argv[4]):
        ds, dt, expr = line.rstrip("\n").split(" ", 2)
        with np.errstate(all="ignore"):
            msgs = check(f, out, ds, dt, expr)
        print("%s %s '%s': %s" % ("FAIL" if msgs else "ok", dt, expr,
                                  "differs from numpy" if msgs else "numpy's"))
        for m in msgs:
            print("    | " + m)
        bad += len(msgs) > 0
sys.exit(1 if bad else 0)
PY

run write "$py" "$tmp/ref.py" write "$tmp/in.h5"
expect_rc 0 "h5py writes the inputs"
[ "$rc" -eq 0 ] || finish

# calc DTYPES EXPR [LAUNCH]: parray calc EXPR on x_DT, y_DT (y when EXPR
# names it) of each of DTYPES (LAUNCH: how to start it, one process by
# default) into out.h5:/zK, listed in $tmp/list for ref.py to check.
k=0
: >"$tmp/list"
calc() {
    case " $2 " in *[!a-z_]y[!a-z_0-9]*) yarg=y=$tmp/in.h5:/y_ ;; *) yarg= ;; esac
    for dt in $1; do
        k=$((k + 1))
        run calc ${3:-} "$PARRAY" calc "$2" x="$tmp/in.h5:/x_$dt" ${yarg:+"$yarg$dt"} \
            -o "$tmp/out.h5:/z$k"
        if [ "$rc" -eq 0 ]; then
            echo "z$k $dt $2" >>"$tmp/list"
        else
            fail "$dt '$2': calc exits $rc"
            show "$tmp/calc.err"
        fi
    done
}

floats="f64 f32 f16"
ints="i64 i32 i16 i8 u64 u32 u16 u8"
for f in sinh cosh arcsin arccos arctan arcsinh arccosh arctanh; do
    calc "$floats" "z = $f(x)"
done
calc "$floats" "z = x % y"
calc "$floats" "z = mod(x, y) + absolute(copy(y))"
calc "f64" "z = arctan2(x, y)"
calc "f32" "z = power(x, y)"
calc "$ints" "z = left_shift(x, y)"
calc "$ints" "z = right_shift(x, y)"
# Python's precedence: % with * and /, << and >> below + and -.
calc "$ints" "z = x << y - 1 >> 1"
calc "f64 i32" "z = x + y % 5 * 2" "$mpirun -n 2"
calc "i16" "z = x >> y + 1" "$mpirun -n 2"

run cmp "$py" "$tmp/ref.py" check "$tmp/in.h5" "$tmp/out.h5" "$tmp/list"
sed 's/^ok /  ok: /; s/^FAIL /  FAIL: /' "$tmp/cmp.out"
show "$tmp/cmp.err"
[ "$rc" -eq 0 ] && [ -s "$tmp/list" ] || failed=1

# Integer mod needs a non-zero divisor: y's values (which hold 0) are
# refused like integer division by zero, at every rank count.
for dt in i32 u8; do
    run modzero "$PARRAY" calc "z = x % y" x="$tmp/in.h5:/x_$dt" y="$tmp/in.h5:/y_$dt" \
        -o "$tmp/out.h5:/m"
    [ "$rc" -ne 0 ] && grep -q "by zero" "$tmp/modzero.err" &&
        pass "$dt x % y with a zero divisor is refused" ||
        { fail "$dt x % y with a zero divisor: exit $rc"; show "$tmp/modzero.err"; }
done
# Shifts are integer ops: a float array is refused, naming the op.
run fshift "$PARRAY" calc "z = x << y" x="$tmp/in.h5:/x_f64" y="$tmp/in.h5:/y_f64" \
    -o "$tmp/out.h5:/s"
[ "$rc" -ne 0 ] && grep -q "left_shift" "$tmp/fshift.err" &&
    pass "f64 x << y is refused, naming left_shift" ||
    { fail "f64 x << y: exit $rc"; show "$tmp/fshift.err"; }

summary "PASS: the numpy-named ops are numpy's" "FAIL: ops differ from numpy"
