#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# What adding a small dataset to a large HDF5 file costs, in bytes written:
# a file of 256 MiB (one dataset whose space is allocated but never written,
# so the file is made in a moment), then a dataset of 10 numbers added, in
# place by 1 and 2 ranks, and with copy. tests/h5_helper iosave reads
# wchar (bytes given to write calls, copy_file_range included) and
# write_bytes (bytes sent towards the disk) of /proc/self/io around
# pa_h5_save, summed over the ranks:
#  - in place, both are under 1 MiB, and the big dataset is kept;
#  - with copy, wchar is at least the file's size (the measure sees the
#    copy that in place saves).
# Environment (make check sets them): MPIRUN, PARRAY_SRCDIR; H5_HELPER;
# PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
find_h5_helper
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT
need_mpirun
[ -r /proc/self/io ] || { echo "SKIP: no /proc/self/io"; exit 77; }
make_tmp cost

f=$tmp/big.h5
mib=256
timeout -k 5 "$limit" $mpirun -n 1 "$helper" sparse "$f:/big" $mib ||
    { echo "FAIL: cannot make the big file"; exit 99; }
size=$(stat -c %s "$f")
limit_bytes=1048576

# add NP NAME [copy]: adds /NAME (10 numbers); w and wb are the bytes written.
add() {
    out=$(timeout -k 5 "$limit" $mpirun -n "$1" "$helper" iosave "$f:/$2" 10 $3 2>&1)
    w=$(echo "$out" | awk '/^wchar/ { print $2 }')
    wb=$(echo "$out" | awk '/^wchar/ { print $4 }')
    [ -n "$w" ] || { fail "$2: $out"; w=0 wb=0; }
}
for np in 1 2; do
    add $np "small$np"
    [ "$w" -lt $limit_bytes ] && [ "$wb" -lt $limit_bytes ] &&
        pass "in place, $np rank(s): adding 10 numbers to $mib MiB wrote $w bytes (write_bytes $wb)" ||
        fail "in place, $np rank(s): wrote $w bytes (write_bytes $wb), want under $limit_bytes"
done
add 1 copied copy
[ "$w" -ge "$size" ] &&
    pass "with copy: $w bytes written (the file is $size)" ||
    fail "with copy: $w bytes written, want at least the file's $size"
list=$(h5ls "$f" 2>&1 | awk '{ print $1 }' | tr '\n' ' ')
[ "$list" = "big copied small1 small2 " ] && pass "the file holds $list" ||
    fail "the file holds '$list'"
run_check() { timeout -k 5 "$limit" $mpirun -n 1 "$helper" check "$f:/$1" 1 >/dev/null 2>&1; }
run_check small1 && run_check small2 && run_check copied && pass "the added datasets load" ||
    fail "an added dataset does not load"
[ "$failed" -eq 0 ] && echo PASS || echo FAIL
exit "$failed"
