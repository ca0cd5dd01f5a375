#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray slice`, `reshape`, `transpose` and `concat`: each result is the
# same at 1, 2 and 3 ranks and at 4 ranks as 2 emulated nodes (where rows
# move between nodes), including datasets with fewer rows than ranks; bad
# options and shapes are refused with the option or dataset named. Where
# numpy and h5py are installed, the results equal numpy's slicing,
# reshape, .T and concatenate.
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
make_tmp reshape

# a: 2-D f64; b: 2-D i16 with a's rows; c: 3 rows, fewer than 4 ranks.
run gen_a "$PARRAY" gen "$tmp/in.h5:/a" --shape 1001,7 --random normal --seed 3
expect_rc 0 "gen /a"
run gen_b "$PARRAY" gen "$tmp/in.h5:/b" --shape 1001,3 --dtype i16 --random integers \
    --low -300 --high 300 --seed 4
expect_rc 0 "gen /b"
run gen_c "$PARRAY" gen "$tmp/in.h5:/c" --shape 3,7 --random uniform --seed 5
expect_rc 0 "gen /c"

# Each command of the test: a name, then its words after `parray`. The
# loops read them on descriptor 3, since mpirun reads its standard input.
cat >"$tmp/commands" <<CMDS
rows slice $tmp/in.h5:/a --rows 3:-2:2
back slice $tmp/in.h5:/a --rows ::-3 --cols 6,0,-1
cols slice $tmp/in.h5:/b --cols -1,1,1
none slice $tmp/in.h5:/c --rows 5:9
resh reshape $tmp/in.h5:/a --shape 7,-1,13
tran transpose $tmp/in.h5:/a
tinc transpose $tmp/in.h5:/c
cat0 concat $tmp/in.h5:/a $tmp/in.h5:/c $tmp/in.h5:/a
cat1 concat $tmp/in.h5:/a $tmp/in.h5:/a --axis -1
CMDS

for layout in "1:1" "2:2" "3:3" "4:4:2"; do
    n=${layout#*:}
    per=${n#*:}
    n=${n%%:*}
    lay=${layout%%:*}
    [ "$per" = "$n" ] && per=
    while read -r ds words <&3; do
        # shellcheck disable=SC2086 # the command's words, split on purpose
        run "$ds$lay" env ${per:+PARRAY_RANKS_PER_NODE=$per} $mpirun -n $n \
            "$PARRAY" $words -o "$tmp/out$lay.h5:/$ds"
        expect_rc 0 "$ds ($words) at $n ranks${per:+ ($per per node)}"
        [ "$failed" -eq 0 ] || break
    done 3<"$tmp/commands"
done

# The same results at every layout: equal shapes and statistics (stats'
# text after the line that names the file) and equal elements.
for lay in 2 3 4; do
    while read -r ds words <&3; do
        run "st1$ds" "$PARRAY" stats "$tmp/out1.h5:/$ds"
        run "st$lay$ds" "$PARRAY" stats "$tmp/out$lay.h5:/$ds"
        # (the first line names the file)
        if [ "$(tail -n +2 "$tmp/st1$ds.out")" = "$(tail -n +2 "$tmp/st$lay$ds.out")" ]; then
            pass "/$ds at layout $lay has 1 rank's shape and statistics"
        else
            fail "/$ds at layout $lay differs from 1 rank's"
            show "$tmp/st$lay$ds.out"
        fi
        run "eq$lay$ds" "$PARRAY" calc "e = a == b" "a=$tmp/out1.h5:/$ds" \
            "b=$tmp/out$lay.h5:/$ds" -o "$tmp/eq.h5:/e"
        run "all$lay$ds" "$PARRAY" stats "$tmp/eq.h5:/e"
        # (numpy's `all`, the last column, also holds for an empty slice)
        expect_in "all$lay$ds.out" " True$" "/$ds at layout $lay equals 1 rank's"
        [ "$failed" -eq 0 ] || break
    done 3<"$tmp/commands"
done

out="-o $tmp/bad.h5:/x"
refused "slice without -o" "needs -o OUT.h5:/DATASET" "$PARRAY" slice "$tmp/in.h5:/a"
refused "a slice with four parts" "--rows: '1:2:3:4' is not a slice" \
    "$PARRAY" slice "$tmp/in.h5:/a" --rows 1:2:3:4 $out
refused "a slice that is one number" "--rows: '5' is not a slice" \
    "$PARRAY" slice "$tmp/in.h5:/a" --rows 5 $out
refused "a column that is not a number" "--cols: '1,x'" \
    "$PARRAY" slice "$tmp/in.h5:/a" --cols 1,x $out
refused "reshape without --shape" "needs --shape" "$PARRAY" reshape "$tmp/in.h5:/a" $out
refused "a dimension below -1" "--shape: '-2,7': -2 is out of range" \
    "$PARRAY" reshape "$tmp/in.h5:/a" --shape -2,7 $out
refused "two inputs to transpose" "one input only" \
    "$PARRAY" transpose "$tmp/in.h5:/a" "$tmp/in.h5:/b" $out
refused "concat along axis 2" "--axis: 2 is out of range [-2, 1]" \
    "$PARRAY" concat "$tmp/in.h5:/a" --axis 2 $out

# Failures found once the data is read: exit 1, the option or input named,
# and nothing written.
failing() {
    what=$1
    want=$2
    shift 2
    run failing "$@"
    if [ "$rc" -eq 1 ] && grep -qF -- "$want" "$tmp/failing.err" && [ ! -e "$tmp/bad.h5" ]; then
        pass "$what: exit 1, '$want', nothing written"
    else
        fail "$what: exit $rc, not 1 with '$want' (or $tmp/bad.h5 was written)"
        show "$tmp/failing.err"
    fi
}
failing "a step of 0" "--rows: the slice's step must not be 0" \
    $mpirun -n 2 "$PARRAY" slice "$tmp/in.h5:/a" --rows ::0 $out
failing "a column out of range" "7" \
    $mpirun -n 2 "$PARRAY" slice "$tmp/in.h5:/a" --cols 0,7 $out
failing "a shape of another size" "--shape 5,5: cannot reshape" \
    $mpirun -n 2 "$PARRAY" reshape "$tmp/in.h5:/a" --shape 5,5 $out
failing "two unknown dimensions" "only one dimension may be -1" \
    $mpirun -n 2 "$PARRAY" reshape "$tmp/in.h5:/a" --shape -1,-1 $out
failing "a -1 that cannot fit" "--shape -1,10: cannot reshape" \
    $mpirun -n 2 "$PARRAY" reshape "$tmp/in.h5:/a" --shape -1,10 $out
failing "a transpose of 3-D" "transposes a 2-D dataset" \
    $mpirun -n 2 "$PARRAY" transpose "$tmp/out1.h5:/resh" $out
failing "concat of two dtypes" "in.h5:/b is i16, but" \
    $mpirun -n 2 "$PARRAY" concat "$tmp/in.h5:/a" "$tmp/in.h5:/b" $out

find_python
need_system_python "to compare with numpy"
if "$py" -c 'import numpy, h5py' 2>/dev/null; then
    cat >"$tmp/check.py" <<'PY'
import sys
import h5py, numpy as np
tmp = sys.argv[1]
with h5py.File(tmp + "/in.h5", "r") as f:
    a, b, c = f["a"][...], f["b"][...], f["c"][...]
want = {
    "rows": a[3:-2:2], "back": a[::-3][:, [6, 0, -1]], "cols": b[:, [-1, 1, 1]],
    "none": c[5:9], "resh": a.reshape(7, -1, 13), "tran": a.T, "tinc": c.T,
    "cat0": np.concatenate([a, c, a]), "cat1": np.concatenate([a, a], axis=-1),
}
bad = 0
for lay in (1, 3, 4):
    with h5py.File("%s/out%d.h5" % (tmp, lay), "r") as o:
        for k, v in want.items():
            got = o[k][...]
            if got.dtype != v.dtype or got.shape != v.shape or not np.array_equal(got, v):
                print("/%s at layout %d: %s %s, numpy %s %s" % (k, lay, got.dtype, got.shape,
                                                                  v.dtype, v.shape))
                bad = 1
sys.exit(bad)
PY
    run numpy "$py" "$tmp/check.py" "$tmp"
    expect_rc 0 "slice, reshape, transpose and concat equal numpy's"
else
    echo "  (no numpy or h5py for $py: the comparison with numpy is skipped)"
fi

summary "reshape_cli: all passed" "reshape_cli: FAILED"
