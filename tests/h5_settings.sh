#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# The settings for parallel file systems, from the outside:
#  - PARRAY_H5_ALIGN=1K,64K: the datasets that saves by 1 and 2 ranks write
#    (a new file, then another dataset added in place, then one replaced in
#    place) start at multiples of 64 KiB, as h5dump shows their offsets;
#    without it the first dataset is not so aligned (the test would pass on
#    nothing);
#  - parray info shows the alignment and the MPI-IO hints, in text and in
#    --json;
#  - bad values of either are refused at 1 and 2 ranks (exit 1) with a message
#    that names the variable and the bad part.
# Environment (make check sets them): PARRAY, MPIRUN, PARRAY_SRCDIR; H5_HELPER;
# PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
find_h5_helper
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT PARRAY_H5_ALIGN PARRAY_MPIIO_HINTS
need_parray
need_mpirun
[ -x "$helper" ] || { echo "FAIL: $helper is not built"; exit 99; }
command -v h5dump >/dev/null 2>&1 || { echo "SKIP: no h5dump"; exit 77; }
make_tmp h5set

# offsets FILE: every dataset's offset in the file, one a line.
offsets() { h5dump -p -H "$1" | awk '/OFFSET/ { print $2 }'; }
# aligned FILE ALIGN WHAT: passes when there are datasets and all are aligned.
aligned() {
    list=$(offsets "$1" | tr '\n' ' ')
    bad=$(for o in $list; do [ $((o % $2)) -eq 0 ] || echo "$o"; done)
    [ -n "$list" ] && [ -z "$bad" ] && pass "$3: offsets $list" ||
        fail "$3: offsets '$list' not all multiples of $2"
}
save() { # save NP FILE:/DSET ROWS: a save by NP ranks with the settings of the environment
    timeout -k 5 "$limit" $mpirun -x PARRAY_H5_ALIGN -x PARRAY_MPIIO_HINTS -n "$1" \
        "$helper" save "$2" f64 "$3" 1.5 >"$tmp/save.out" 2>&1 || {
        fail "save $2 by $1 rank(s)"
        show "$tmp/save.out"
    }
}

export PARRAY_H5_ALIGN=1K,64K
export PARRAY_MPIIO_HINTS=cb_nodes=1,romio_cb_write=enable,striping_unit=1048576
for np in 1 2; do
    f=$tmp/a$np.h5
    save $np "$f:/x" 7
    aligned "$f" 65536 "$np rank(s), a new file"
    save $np "$f:/y" 3
    aligned "$f" 65536 "$np rank(s), a dataset added in place"
    save $np "$f:/x" 5
    aligned "$f" 65536 "$np rank(s), a dataset replaced in place"
done
unset PARRAY_H5_ALIGN PARRAY_MPIIO_HINTS
save 1 "$tmp/plain.h5:/x" 7
o=$(offsets "$tmp/plain.h5")
[ -n "$o" ] && [ $((o % 65536)) -ne 0 ] && pass "unset, HDF5's own offset $o" ||
    fail "unset: offset '$o' (the aligned ones above prove nothing)"

export PARRAY_H5_ALIGN=1K,64K
export PARRAY_MPIIO_HINTS=cb_nodes=1,romio_cb_write=enable
run info $mpirun -x PARRAY_H5_ALIGN -x PARRAY_MPIIO_HINTS -n 2 "$PARRAY" info
expect_rc 0 "info at 2 ranks"
expect_in info.out 'alignment +objects of 1024 bytes or more start at multiples of 65536' \
    "info shows the alignment"
expect_in info.out 'MPI-IO hints +cb_nodes=1,romio_cb_write=enable' "info shows the hints"
run json $mpirun -x PARRAY_H5_ALIGN -x PARRAY_MPIIO_HINTS -n 2 "$PARRAY" info --json
expect_rc 0 "info --json at 2 ranks"
expect_in json.out '"h5_align":\{"threshold":1024,"alignment":65536\}' "--json has h5_align"
expect_in json.out '"mpiio_hints":\{"cb_nodes":"1","romio_cb_write":"enable"\}' \
    "--json has mpiio_hints"
unset PARRAY_H5_ALIGN PARRAY_MPIIO_HINTS
run json0 "$PARRAY" info --json
expect_in json0.out '"h5_align":\{"threshold":1,"alignment":1\},"mpiio_hints":\{\}' \
    "--json unset: no alignment, no hints"

# bad VAR VALUE PART: refused by parray info at 1 and 2 ranks, naming VAR and PART.
bad() {
    for np in 1 2; do
        run bad env "$1=$2" $mpirun -x "$1" -n $np "$PARRAY" info
        if [ "$rc" -ne 0 ] && grep -qF -- "$1='$2'" "$tmp/bad.err" &&
            grep -qF -- "$3" "$tmp/bad.err"; then
            pass "$1='$2' at $np rank(s): exit $rc, names '$3'"
        else
            fail "$1='$2' at $np rank(s): exit $rc, want a message naming '$3'"
            show "$tmp/bad.err"
        fi
    done
}
bad PARRAY_H5_ALIGN 4M "is not THRESHOLD,ALIGNMENT"
bad PARRAY_H5_ALIGN 1M,4Q "'4Q' is not a size"
bad PARRAY_H5_ALIGN x,4M "'x' is not a size"
bad PARRAY_H5_ALIGN 1M,0 "'0' is not a size"
bad PARRAY_H5_ALIGN 1M,99999999999T "'99999999999T' is not a size"
bad PARRAY_MPIIO_HINTS cb_nodes=2,romio_cb_write "'romio_cb_write' is not KEY=VALUE"
bad PARRAY_MPIIO_HINTS cb_nodes=2,,a=b "'' is not KEY=VALUE"
bad PARRAY_MPIIO_HINTS =4 "'=4' is not KEY=VALUE"
bad PARRAY_MPIIO_HINTS a=1,a=2 "hint 'a' is given twice"
summary PASS FAIL
