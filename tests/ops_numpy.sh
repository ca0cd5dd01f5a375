#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# The element-wise ops that follow numpy by name against numpy itself
# (skipped without numpy and h5py: the Debian packages python3-numpy and
# python3-h5py): each expression below runs as `parray calc` on every
# dtype that has its ops, over inputs h5py wrote with the values that
# matter (+-0, +-inf, NaN, subnormals, the dtype's ends, shift counts
# outside [0, width)), or on a pair of dtypes (x of one, y of another),
# and its result (its dtype too) must be what numpy computes for the
# same text evaluated in Python (so also Python's operator precedence):
# bit for bit, except that the transcendental functions may differ from
# numpy's vectorised libraries by a few ulp on finite non-zero values.
# Floats under integer-only ops (shifts, & | ^ ~) and integer mod by zero
# are refused.
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
# OUT:/DS holds numpy's EXPR on x_DT, y_DT of FILE (DT "DX,DY": x_DX,
# y_DY).
cat >"$tmp/ref.py" <<'PY'
import sys, h5py, numpy as np
names = dict(f64="float64", f32="float32", f16="float16", i64="int64", i32="int32",
             i16="int16", i8="int8", u64="uint64", u32="uint32", u16="uint16", u8="uint8",
             bool="bool")
fns = {k: getattr(np, k) for k in
       "sinh cosh arcsin arccos arctan arcsinh arccosh arctanh mod arctan2 power absolute "
       "left_shift right_shift copy logical_and logical_or logical_xor logical_not".split()}
transcendental = "sinh cosh arcsin arccos arctan arcsinh arccosh arctanh arctan2 power".split()

def values(t):
    if t.kind == "b":
        return np.array([False, True])
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
    x, y = (f[v + dt.replace(",", "_")][:] for v in ("x_", "y_"))
    got = out[ds][:]
    want = eval(expr.split("=", 1)[1], dict(fns), dict(x=x, y=y))
    t = want.dtype
    if got.dtype != t:
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
    # x_DT, y_DT, and for each pair of dtypes DX,DY on the command line
    # x_DX_DY, y_DX_DY: every value of DX meets every value of DY.
    pairs = [(dt, dt) for dt in names] + [p.split(",") for p in sys.argv[3:]]
    with h5py.File(sys.argv[2], "w") as f:
        for dx, dy in pairs:
            vx, vy = values(np.dtype(names[dx])), values(np.dtype(names[dy]))
            sfx = dx if dx == dy else dx + "_" + dy
            f["x_" + sfx], f["y_" + sfx] = np.repeat(vx, len(vy)), np.tile(vy, len(vx))
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

pairs="i32,f32 u8,i8 u64,i64 bool,f64 f16,i16 bool,u8 i8,u16"
# shellcheck disable=SC2086 # one argument per pair
run write "$py" "$tmp/ref.py" write "$tmp/in.h5" $pairs
expect_rc 0 "h5py writes the inputs"
[ "$rc" -eq 0 ] || finish

# calc DTYPES EXPR [LAUNCH]: parray calc EXPR on x_DT, y_DT (y when EXPR
# names it) of each of DTYPES (DX,DY: a pair, x_DX_DY and y_DX_DY; LAUNCH:
# how to start it, one process by default) into out.h5:/zK, listed in
# $tmp/list for ref.py to check.
k=0
: >"$tmp/list"
calc() {
    case " $2 " in *[!a-z_]y[!a-z_0-9]*) yarg=y=$tmp/in.h5:/y_ ;; *) yarg= ;; esac
    for dt in $1; do
        k=$((k + 1))
        sfx=$(echo "$dt" | tr , _)
        run calc ${3:-} "$PARRAY" calc "$2" x="$tmp/in.h5:/x_$sfx" ${yarg:+"$yarg$sfx"} \
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
# Comparisons give bool (NaN unequal to all, +-0 equal, the integers' ends,
# mixed dtypes compared in their promotion); & | ^ ~ are bitwise on
# integers and bool, below + - << >> and above comparisons (Python's); the
# logical ops take any dtype and give bool.
calc "$floats $ints bool $pairs" \
    "z = (x < y) + (x <= y) * 2 + (x > y) * 4 + (x >= y) * 8 + (x == y) * 16 + (x != y) * 32"
calc "$floats $ints bool" "z = x != y"
calc "$ints bool u8,i8 bool,u8 i8,u16" "z = x & y | ~x ^ y"
calc "$ints" "z = (x & y > 0) == (x | 1 << 2 < y)" "$mpirun -n 2"
calc "$floats $ints bool $pairs" \
    "z = logical_and(x, y) ^ logical_or(x, y) | logical_not(x) & logical_xor(x, y)"

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
# & is an integer and bool op: a float array is refused, naming it.
run fand "$PARRAY" calc "z = x & ~y" x="$tmp/in.h5:/x_i32_f32" y="$tmp/in.h5:/y_i32_f32" \
    -o "$tmp/out.h5:/s"
[ "$rc" -ne 0 ] && grep -q "'&' (column 7) is not defined for f64" "$tmp/fand.err" &&
    pass "i32 & f32 (f64) is refused, naming '&' and f64" ||
    { fail "i32 x & f32 y: exit $rc"; show "$tmp/fand.err"; }
# Shifts are integer ops: a float array is refused, naming the operator.
run fshift "$PARRAY" calc "z = x << y" x="$tmp/in.h5:/x_f64" y="$tmp/in.h5:/y_f64" \
    -o "$tmp/out.h5:/s"
[ "$rc" -ne 0 ] && grep -q "'<<' (column 7) is not defined for f64" "$tmp/fshift.err" &&
    pass "f64 x << y is refused, naming '<<'" ||
    { fail "f64 x << y: exit $rc"; show "$tmp/fshift.err"; }

summary "PASS: the numpy-named ops are numpy's" "FAIL: ops differ from numpy"
