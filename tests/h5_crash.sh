#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# What a save killed with SIGKILL at each of its writes leaves in the file,
# read back by h5dump (HDF5's own tool, not parray): tests/kill_write.so,
# preloaded, kills the saving process at its Nth write into the file (or
# into the save's temporary), optionally after writing half of it (a torn
# write). The file holds /keep and /x; the save replaces /x.
#  - with copy (a temporary renamed over the file), at every write: /keep
#    and the old /x are intact; a complete save leaves the new /x;
#  - in place, at every write before HDF5's metadata flush in the close (the
#    data), torn or not: /keep and the old /x are intact, and a complete save
#    leaves the new /x and /keep, by 1 and 2 ranks;
#  - in place, at every write of the close's metadata flush: the outcome is
#    printed, as docs/io.md reports it (HDF5 1.10 has no journal: the file
#    may be left unreadable), and the test asserts only that the run ends.
# Environment (make check sets them): MPIRUN, PARRAY_SRCDIR; H5_HELPER and
# KILL_WRITE (defaults: next to this script's build); PARRAY_TEST_TIMEOUT
# (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
find_h5_helper
shim=${KILL_WRITE:-$(pwd)/tests/.libs/kill_write.so}
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT
need_mpirun
[ -x "$helper" ] || { echo "FAIL: $helper is not built"; exit 99; }
[ -f "$shim" ] || { echo "FAIL: $shim is not built"; exit 99; }
command -v h5dump >/dev/null 2>&1 || { echo "SKIP: no h5dump (Debian package hdf5-tools)"; exit 77; }
make_tmp crash

# values FILE DSET: the distinct values of the dataset as h5dump prints
# them, or "unreadable: <h5dump's last line>".
values() {
    if h5dump -A 0 -d "$2" -y -w 0 "$1" >"$tmp/dump" 2>&1; then
        sed -n '/DATA {/,/}/p' "$tmp/dump" | grep -v 'DATA {\|}' | tr ', ' '\n\n' |
            grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'
    else
        echo "unreadable: $(grep -v '^ *$' "$tmp/dump" | tail -n 1 | cut -c1-70)"
    fi
}

f=$tmp/f.h5
base=$tmp/base.h5
run_helper() { # run_helper NP ARGS...: the helper at NP ranks, output dropped
    np=$1
    shift
    timeout -k 5 "$limit" $mpirun -n "$np" -x LD_PRELOAD -x KILL_WRITE_FILE -x KILL_WRITE_AT \
        -x KILL_WRITE_TORN -x KILL_WRITE_COUNT -x KILL_WRITE_LOG "$helper" "$@" \
        >"$tmp/run.out" 2>&1
}
$mpirun -n 1 "$helper" save "$base:/keep" i32 10 3 >/dev/null &&
    $mpirun -n 1 "$helper" save "$base:/x" f64 20 7 >/dev/null || { echo "FAIL: setup"; exit 99; }

# sweep NP HOW TORN: kills the save of /x = 9 (HOW: copy, or "" in place) at
# each of its writes.
sweep() {
    np=$1 how=$2 torn=$3
    what="${how:-in place}, $np rank(s)$([ "$torn" = 1 ] && echo ', torn')"
    cp "$base" "$f"
    rm -f "$tmp/count" "$tmp/log"
    LD_PRELOAD=$shim KILL_WRITE_FILE=$f KILL_WRITE_AT=0 KILL_WRITE_TORN=0 \
        KILL_WRITE_COUNT=$tmp/count KILL_WRITE_LOG=$tmp/log \
        run_helper "$np" save "$f:/x" f64 20 9 $how
    n=$(cat "$tmp/count" 2>/dev/null)
    [ -n "$n" ] && [ "$n" -gt 0 ] || { fail "$what: no writes counted"; return; }
    [ "$(values "$f" /x)" = 9 ] && [ "$(values "$f" /keep)" = 3 ] &&
        pass "$what: a complete save ($n writes): /x = 9, /keep = 3" ||
        fail "$what: a complete save: /x = $(values "$f" /x), /keep = $(values "$f" /keep)"
    # In place, the metadata flush starts with the superblock (offset 0).
    flush=$(awk '$2 == 0 { print $1; exit }' "$tmp/log")
    [ -z "$how" ] && [ -z "$flush" ] && fail "$what: no superblock write seen"
    k=1
    while [ "$k" -le "$n" ]; do
        cp "$base" "$f"
        LD_PRELOAD=$shim KILL_WRITE_FILE=$f KILL_WRITE_AT=$k KILL_WRITE_TORN=$torn \
            KILL_WRITE_COUNT= KILL_WRITE_LOG= run_helper "$np" save "$f:/x" f64 20 9 $how
        x=$(values "$f" /x) keep=$(values "$f" /keep)
        got="/x = $x, /keep = $keep"
        if [ -n "$how" ] || [ "$k" -lt "$flush" ]; then
            [ "$x" = 7 ] && [ "$keep" = 3 ] && pass "$what: killed at write $k of $n: $got" ||
                fail "$what: killed at write $k of $n: $got, want the old /x = 7, /keep = 3"
        else
            echo "  (in the metadata flush) $what: killed at write $k of $n: $got"
        fi
        find "$tmp" -maxdepth 1 -name '.f.h5.parray-*' -exec rm -f {} +
        k=$((k + 1))
    done
}

# A torn write into the temporary of a save with copy is never seen: the
# temporary is removed or renamed whole.
echo "saves with copy, killed at each write"
sweep 1 copy 0
echo "saves in place, killed at each write"
sweep 1 "" 0
sweep 1 "" 1
sweep 2 "" 0
[ "$failed" -eq 0 ] && echo PASS || echo FAIL
exit "$failed"
