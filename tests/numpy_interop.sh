#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# Every dtype to and from numpy and h5py (skipped without them: the Debian
# packages python3-numpy and python3-h5py), with the values that matter for
# each (the range's ends, -0, inf, NaN, f16's subnormals; complex parts of
# each sign, inf and NaN; bool as h5py's enum of FALSE and TRUE):
#  - an HDF5 dataset h5py wrote is loaded by 2 ranks (parray calc 'z = x')
#    and saved; h5py reads the result back as the same numpy dtype, bit for
#    bit (f16 as IEEE half, complex as the compound of "r" and "i", as h5py
#    stores them);
#  - .npy files numpy wrote are packed (parray pack) and unpacked to .npy
#    again (parray unpack); numpy and h5py read them as the same dtype, bit
#    for bit;
#  - CSV: the rows unpacked to CSV and packed again with --dtype give the
#    same bits (f16 printed with the digits that read back to it); complex
#    is refused, naming CSV and the dtype.
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
make_tmp interop


# The dtypes as parray lists them (gen --help), each with numpy's name.
dtypes=$("$PARRAY" gen --help | sed -n 's/^ *--dtype DT  *//p')
[ -n "$dtypes" ] || { echo "FAIL: no dtype list in parray gen --help"; exit 1; }
echo "dtypes: $dtypes"

# write DT: in.h5:/x and r0.npy, r1.npy of DT's values; check DT FILE...:
# each .npy or HDF5 dataset (FILE:/DS) is DT's values, bit for bit.
cat >"$tmp/vals.py" <<'PY'
import sys, numpy as np
names = dict(f64="float64", f32="float32", f16="float16", i64="int64", i32="int32",
             i16="int16", i8="int8", u64="uint64", u32="uint32", u16="uint16", u8="uint8",
             bool="bool", c64="complex64", c128="complex128")
def values(dt):
    t = np.dtype(names[dt])
    if t.kind == "b":
        v = np.array([True, False] * 7)
    elif t.kind == "c":
        p = np.finfo(t).dtype
        re = np.array([0, -0.0, 1.5, np.inf, np.nan, np.finfo(p).max, 1 / 3], dtype=p)
        v = np.empty(14, dtype=t)
        v.real[:7], v.imag[:7] = re, re[::-1]
        v.real[7:], v.imag[7:] = -re, re
    elif t.kind == "f":
        v = [0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, np.finfo(t).max, np.finfo(t).tiny,
             np.finfo(t).tiny / 4, 1 / 3, -1e3, 65504, 6e-8]
        with np.errstate(over="ignore"):
            v = np.array(v).astype(t)
    else:
        i = np.iinfo(t)
        v = np.array([i.min, i.max, 0, 1, i.max - 1, i.min + 1, 100, 7, 3, 5, 9, 11, 13, 15], dtype=t)
    return v.reshape(2, 7)
PY
cat >"$tmp/write.py" <<'PY'
import sys, numpy as np, h5py
sys.path.insert(0, sys.argv[1]); from vals import values
v = values(sys.argv[2])
with h5py.File(sys.argv[3] + "/in.h5", "w") as f:
    f["x"] = v
for r in range(2):
    np.save(sys.argv[3] + "/r%d.npy" % r, v[r])
PY
cat >"$tmp/check.py" <<'PY'
import sys, numpy as np, h5py
sys.path.insert(0, sys.argv[1]); from vals import values, names
dt = sys.argv[2]; v = values(dt); bad = []
for arg in sys.argv[3:]:
    if ":/" in arg:
        path, ds = arg.rsplit(":/", 1)
        got, want = h5py.File(path, "r")[ds][...], v
    else:
        r = int(arg[-5]); got, want = np.load(arg), v[r]
    if arg.endswith(":/q"):  # CSV rows come back as columns: (7, 1)
        got = got.reshape(want.shape) if got.size == want.size else got
    if got.dtype != np.dtype(names[dt]) or got.shape != want.shape or got.tobytes() != want.tobytes():
        bad.append("%s: %s %s %s, want %s" % (arg, got.dtype, got.shape, got.ravel()[:7], want.ravel()[:7]))
print("\n".join(bad) if bad else "ok")
PY

t=$tmp
for dt in $dtypes; do
    rm -f "$t"/*.h5 "$t"/*.npy "$t"/*.csv
    "$py" "$t/write.py" "$t" "$dt" "$t" || { fail "$dt: numpy and h5py could not write"; continue; }
    run calc_$dt $mpirun -n 2 "$PARRAY" calc 'z = x' "x=$t/in.h5:/x" -o "$t/out.h5:/z"
    expect_rc 0 "$dt: 2 ranks load h5py's dataset and save it"
    run pack_$dt "$PARRAY" pack "$t/r0.npy" "$t/r1.npy" -o "$t/p.h5:/p"
    expect_rc 0 "$dt: numpy's .npy files packed"
    run unpack_$dt "$PARRAY" unpack "$t/p.h5:/p" -o "$t/u%d.npy"
    expect_rc 0 "$dt: unpacked to .npy"
    run csv_$dt "$PARRAY" unpack "$t/p.h5:/p" -o "$t/c%d.csv"
    case $dt in
    c*)
        expect_rc 1 "$dt: unpacking to CSV refused"
        expect_in "csv_$dt.err" "CSV does not hold $dt" "$dt: the refusal names CSV and $dt"
        csvq=
        ;;
    *)
        expect_rc 0 "$dt: unpacked to CSV"
        run csvpack_$dt "$PARRAY" pack "$t/c0.csv" "$t/c1.csv" --dtype "$dt" -o "$t/q.h5:/q"
        expect_rc 0 "$dt: the CSV files packed again"
        csvq="$t/q.h5:/q"
        ;;
    esac
    out=$("$py" "$t/check.py" "$t" "$dt" "$t/out.h5:/z" "$t/p.h5:/p" "$t/u0.npy" "$t/u1.npy" $csvq 2>&1)
    [ "$out" = ok ] && pass "$dt: h5py and numpy read each file as $dt, bit for bit" ||
        { fail "$dt: $out"; }
done

# Complex arithmetic against numpy's, bit for bit (a NaN part as any NaN):
# + - * / neg sqrt exp log conj, and abs real imag angle (numpy's real
# dtype: c64 gives f32, c128 f64; abs and angle, glibc's vector hypot and
# arctan2, within 4 ulp of numpy's, as the real transcendental functions
# are), on values with inf, NaN and zero parts.
cat >"$tmp/cx.py" <<'PY'
import sys, numpy as np, h5py
t = np.dtype(dict(c64="complex64", c128="complex128")[sys.argv[1]])
path, ops = sys.argv[2], sys.argv[3:]
f = h5py.File(path + "/cx.h5", "r")
x, y = f["x"][...], f["y"][...]
with np.errstate(all="ignore"):
    ref = dict(add=x + y, sub=x - y, mul=x * y, div=x / y, neg=-x, sqrt=np.sqrt(x),
               exp=np.exp(x), log=np.log(x), conj=np.conj(x), abs=np.abs(x),
               real=np.real(x).copy(), imag=np.imag(x).copy(), angle=np.angle(x))
part = np.finfo(t).dtype
bad = []
for op in ops:
    got, want = h5py.File(path + "/cx_%s.h5" % op, "r")["z"][...], ref[op]
    if got.dtype != want.dtype:
        bad.append("%s: %s, numpy's %s" % (op, got.dtype, want.dtype))
        continue
    g, w = got.view(part), want.view(part)
    same = (g.view(np.uint8).reshape(len(g), -1) == w.view(np.uint8).reshape(len(w), -1)).all(1) | (np.isnan(g) & np.isnan(w))
    if op in ("abs", "angle"):  # glibc's vector hypot and arctan2: within 4 ulp
        with np.errstate(all="ignore"):
            same |= np.isfinite(w) & (np.abs(g - w) <= 4 * np.spacing(np.abs(w)))
    if not same.all():
        i = np.flatnonzero(~same)[0] * len(got) // len(g)
        bad.append("%s: %s: element %d is %r, numpy's %r" % (op, got.dtype, i, got[i], want[i]))
print("\n".join(bad) if bad else "ok")
PY
for dt in c64 c128; do
    "$py" - "$dt" "$tmp" <<'PY' || { fail "$dt: numpy could not write the operands"; continue; }
import sys, numpy as np, h5py
t = np.dtype(dict(c64="complex64", c128="complex128")[sys.argv[1]])
v = [0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, 1e-30, 1e30, 0.75]
z = np.array([complex(a, b) for a in v for b in v], dtype=t)
x, y = np.repeat(z, len(z)), np.tile(z, len(z))
with h5py.File(sys.argv[2] + "/cx.h5", "w") as f:
    f["x"], f["y"] = x, y
PY
    ops=
    for e in add:'x + y' sub:'x - y' mul:'x * y' div:'x / y' neg:'-x' sqrt:'sqrt(x)' exp:'exp(x)' \
        log:'log(x)' conj:'conj(x)' abs:'abs(x)' real:'real(x)' imag:'imag(x)' angle:'angle(x)'; do
        op=${e%%:*}
        case $op in add | sub | mul | div) bind="y=$tmp/cx.h5:/y" ;; *) bind= ;; esac
        run cx_${dt}_$op $mpirun -n 2 "$PARRAY" calc "z = ${e#*:}" "x=$tmp/cx.h5:/x" $bind -o "$tmp/cx_$op.h5:/z"
        [ "$rc" -eq 0 ] && ops="$ops $op" || expect_rc 0 "$dt: $op"
    done
    out=$("$py" "$tmp/cx.py" "$dt" "$tmp" $ops 2>&1)
    [ "$out" = ok ] && pass "$dt:$ops as numpy computes them, bit for bit" || fail "$dt: $out"
    # Complex numbers have no order, no floor and no mod: refused, naming
    # the op and the dtype.
    k=0
    for e in 'floor:floor(x)' '%:x % y' '<:x < y' 'maximum:maximum(x, y)'; do
        op=${e%%:*} k=$((k + 1))
        case $e in *y*) bind="y=$tmp/cx.h5:/y" ;; *) bind= ;; esac
        run cxno_${dt}_$k "$PARRAY" calc "z = ${e#*:}" "x=$tmp/cx.h5:/x" $bind -o "$tmp/cx_no.h5:/z"
        expect_rc 1 "$dt: ${e#*:} refused"
        grep -q "$op.*not defined for $dt" "$tmp/cxno_${dt}_$k.err" &&
            pass "$dt: the refusal names $op and $dt" ||
            { fail "$dt: the refusal of $op"; show "$tmp/cxno_${dt}_$k.err"; }
    done
done
exit $failed
