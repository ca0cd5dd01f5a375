#!/bin/sh
# shellcheck disable=SC2086 # $mpirun and $launch are split on purpose.
# `parray calc` with operands of different shapes from different datasets
# against numpy (skipped without numpy and h5py): rows, (1, m) rows,
# columns, (k,1,m) with (1,p,m), a missing leading axis, mixed dtypes,
# whole and --rows-per-block, at 1, 2 and 3 ranks and at 4 ranks as 2
# emulated nodes; the broadcast shape is saved, and shapes that do not
# broadcast give numpy's message.
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
make_tmp calcbc

cat >"$tmp/ref.py" <<'PY'
import sys, h5py, numpy as np
if sys.argv[1] == "write":
    r = np.random.default_rng(5)
    with h5py.File(sys.argv[2], "w") as f:
        f["x"] = r.standard_normal((37, 10))
        f["mu"] = r.standard_normal(10)
        f["sigma"] = (r.random((1, 10)) + 1).astype(np.float32)
        f["col"] = r.integers(-50, 50, (37, 1)).astype(np.int16)
        f["a"] = r.integers(-9, 9, (5, 1, 4)).astype(np.int32)
        f["b"] = r.standard_normal((1, 6, 4))
        f["c"] = r.integers(0, 2, (6, 1)).astype(bool)
        f["bad"] = np.zeros(4)
    sys.exit(0)
# check IN OUT DS EXPR: OUT:/DS is numpy's EXPR over IN's datasets, bit for bit.
with h5py.File(sys.argv[2], "r") as f, h5py.File(sys.argv[3], "r") as o:
    env = {k: f[k][:] for k in f}
    want = eval(sys.argv[5].split("=", 1)[1], {"where": np.where}, env)
    got = o[sys.argv[4]][:]
    ok = got.dtype == want.dtype and got.shape == want.shape and (
        (got == want) | (np.isnan(got) & np.isnan(want))).all()
    print("%s %s %s %s" % ("ok" if ok else "FAIL", got.dtype, got.shape, sys.argv[5]))
    if not ok:
        print("    | numpy: %s %s" % (want.dtype, want.shape))
    sys.exit(0 if ok else 1)
PY

run write "$py" "$tmp/ref.py" write "$tmp/in.h5"
expect_rc 0 "h5py writes the inputs"
[ "$rc" -eq 0 ] || finish

# check LAUNCH EXPR [OPTION...]: calc EXPR over the datasets it names, then
# numpy's check of the result.
k=0
check() {
    launch=$1
    expr=$2
    shift 2
    k=$((k + 1))
    args=
    for v in x mu sigma col a b c; do
        case " $expr " in *[!a-z_]$v[!a-z_0-9]*) args="$args $v=$tmp/in.h5:/$v" ;; esac
    done
    run calc $launch "$PARRAY" calc "$expr" $args -o "$tmp/out.h5:/z$k" "$@"
    if [ "$rc" -ne 0 ]; then
        fail "'$expr' $*: calc exits $rc"
        show "$tmp/calc.err"
        return
    fi
    run ref "$py" "$tmp/ref.py" check "$tmp/in.h5" "$tmp/out.h5" "z$k" "$expr"
    [ "$rc" -eq 0 ] && pass "$(cat "$tmp/ref.out") $* ($launch)" || { fail "'$expr' $*"; show "$tmp/ref.out"; show "$tmp/ref.err"; }
}

for launch in "" "$mpirun -n 2" "$mpirun -n 3" "env PARRAY_RANKS_PER_NODE=2 $mpirun -n 4"; do
    check "$launch" "z = (x - mu) / sigma"
    check "$launch" "z = x * col + mu"
    check "$launch" "z = a * b - 1"
    check "$launch" "z = where(c, b, a)"
    check "$launch" "z = (x - mu) / sigma" --rows-per-block 5
    check "$launch" "z = col - mu" --rows-per-block 4
done

run bad "$PARRAY" calc "z = x + bad" x="$tmp/in.h5:/x" bad="$tmp/in.h5:/bad" -o "$tmp/out.h5:/zb"
[ "$rc" -ne 0 ] && grep -qF "operands could not be broadcast together with shapes (37,10) (4,)" "$tmp/bad.err" &&
    pass "(37,10) with (4,): numpy's message" || { fail "(37,10) with (4,): exit $rc"; show "$tmp/bad.err"; }
summary "calc broadcasts as numpy does" "calc broadcast checks failed"
