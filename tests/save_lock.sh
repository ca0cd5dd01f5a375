#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# Saves into one file take turns (the advisory lock of safe_save.c):
#  - two jobs that save /a and /b at once into a file that holds /c, in
#    several trials: every trial ends with all three datasets;
#  - a save that finds the lock held waits, says so once, and goes on when
#    the holder lets go (the holder is python3's fcntl.lockf; skipped
#    without python3);
#  - a save whose lock another save holds (stalled at fault site h5_stall)
#    gives up after PARRAY_LOCK_TIMEOUT=1 with a clear error, and at once
#    with 0; the file is untouched; once the holder is killed the next save
#    goes through;
#  - a file system without locks (fault site lock_none) saves with one
#    warning, or fails with PARRAY_LOCK=require; a bad PARRAY_LOCK is refused;
#  - no lock file or temporary is left behind.
# Environment (make check sets them): PARRAY, MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT PARRAY_LOCK PARRAY_LOCK_TIMEOUT
need_parray
need_mpirun
make_tmp lock
find_python

f=$tmp/shared.h5
lockfile=$tmp/.shared.h5.parray-lock
leftovers() { find "$tmp" -maxdepth 1 -name '.shared.h5.parray-*' | wc -l; }
# has DATASET...: every dataset exists in $f.
has() {
    for d in "$@"; do
        if command -v h5ls >/dev/null 2>&1; then
            h5ls "$f/$d" >/dev/null 2>&1 || return 1
        else
            timeout -k 5 "$limit" "$PARRAY" stats "$f:/$d" >/dev/null 2>&1 || return 1
        fi
    done
}

echo "two jobs save into one file at once"
run in $mpirun -n 1 "$PARRAY" gen "$tmp/in.h5:/x" --shape 1000000 --full 2
expect_rc 0 "gen the input"
lost=0
for trial in 1 2 3 4 5 6 7 8 9 10; do
    rm -f "$f"
    run c $mpirun -n 1 "$PARRAY" gen "$f:/c" --shape 1000000 --full 3
    timeout -k 5 "$limit" $mpirun -n 1 "$PARRAY" calc 'y = x * 2' x="$tmp/in.h5:/x" \
        -o "$f:/a" >"$tmp/a.out" 2>&1 &
    pa=$!
    timeout -k 5 "$limit" $mpirun -n 2 "$PARRAY" calc 'y = x * 3' x="$tmp/in.h5:/x" \
        -o "$f:/b" >"$tmp/b.out" 2>&1 &
    pb=$!
    wait "$pa"
    ra=$?
    wait "$pb"
    rb=$?
    if [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ] || ! has a b c; then
        lost=$((lost + 1))
        echo "  trial $trial: exits $ra and $rb, datasets: $(h5ls "$f" 2>/dev/null | awk '{print $1}' | tr '\n' ' ')"
        show "$tmp/a.out"
        show "$tmp/b.out"
    fi
done
[ "$lost" -eq 0 ] && pass "10 trials: both saves exit 0 and /a, /b and /c all remain" ||
    fail "$lost of 10 trials lost a dataset or failed"
[ "$(leftovers)" -eq 0 ] && pass "no lock file or temporary left" ||
    fail "left behind: $(ls -a "$tmp")"

echo "a held lock: wait, then go on"
if [ -n "$python" ]; then
    # Holds a POSIX record lock (which excludes OFD locks) for 2 s.
    "$python" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(2)
os.close(fd)' "$lockfile" "$tmp/held" &
    holder=$!
    n=0
    while [ ! -e "$tmp/held" ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    run wait $mpirun -n 2 "$PARRAY" gen "$f:/d" --shape 10 --full 4
    wait "$holder"
    expect_rc 0 "a save that waited for the lock"
    [ "$(grep -c 'waiting for the lock on .*shared.h5 held by another save' "$tmp/wait.err")" -eq 1 ] &&
        pass "says once that it waits" || { fail "no single wait message"; show "$tmp/wait.err"; }
    has a b c d && pass "/d is added, /a /b /c kept" || fail "a dataset is missing"
    rm -f "$lockfile"
else
    echo "  (no python3 to hold the lock: skipped)"
fi

echo "a held lock: give up after PARRAY_LOCK_TIMEOUT"
cp "$f" "$tmp/before.h5"
# A save with --copy stalled for 30 s before its rename holds the lock all
# along (in place, the file would have its /e by then).
PARRAY_FAULT=h5_stall@0 timeout -k 5 "$limit" $mpirun -x PARRAY_FAULT -n 1 \
    "$PARRAY" gen "$f:/e" --shape 10 --full 5 --copy >"$tmp/stall.out" 2>&1 &
stall=$!
n=0
while [ "$n" -lt 100 ] && [ -z "$(find "$tmp" -maxdepth 1 -name '.shared.h5.parray-tmp.*')" ]; do
    sleep 0.1
    n=$((n + 1))
done
run late env PARRAY_LOCK_TIMEOUT=1 $mpirun -n 2 "$PARRAY" gen "$f:/f" \
    --shape 10 --full 6
expect_rc 1 "a save that waited 1 s"
expect_in late.err "parray: gen: .*shared.h5: another save into this file holds its lock .*gave up after 1 s \(PARRAY_LOCK_TIMEOUT\)" \
    "the error names the file and the setting"
run now env PARRAY_LOCK_TIMEOUT=0 $mpirun -n 1 "$PARRAY" gen "$f:/f" \
    --shape 10 --full 6
expect_rc 1 "PARRAY_LOCK_TIMEOUT=0: a save"
expect_in now.err "gave up after 0 s" "fails at once"
grep -q "waiting for the lock" "$tmp/now.err" && fail "it said it waits" || pass "without a wait message"
kill_job "$stall"
find "$tmp" -maxdepth 1 -name '.shared.h5.parray-tmp.*' -exec rm -f {} +
cmp -s "$f" "$tmp/before.h5" && pass "the file is untouched" || fail "the file changed"
# The killed holder left its lock file; no one holds it.
run after $mpirun -n 2 "$PARRAY" gen "$f:/f" --shape 10 --full 6
expect_rc 0 "after the holder was killed, a save"
has a b c f && pass "adds /f and keeps the rest" || fail "a dataset is missing"
[ "$(leftovers)" -eq 0 ] && pass "no lock file or temporary left" ||
    fail "left behind: $(ls -a "$tmp")"

echo "a file system without locks"
run nolock env PARRAY_FAULT=lock_none@0 $mpirun -n 2 "$PARRAY" gen "$f:/g" \
    --shape 10 --full 7
expect_rc 0 "a save without locks"
[ "$(grep -c 'warning: .*shared.h5: the file system keeps no locks' "$tmp/nolock.err")" -eq 1 ] &&
    pass "warns once" || { fail "no single warning"; show "$tmp/nolock.err"; }
has a b c f g && pass "adds /g" || fail "a dataset is missing"
run req env PARRAY_LOCK=require PARRAY_FAULT=lock_none@0 $mpirun -n 2 "$PARRAY" gen "$f:/h" --shape 10 --full 8
expect_rc 1 "PARRAY_LOCK=require without locks: a save"
expect_in req.err "shared.h5: the file system keeps no locks .*PARRAY_LOCK=require" \
    "fails naming the setting"
run off env PARRAY_LOCK=off $mpirun -n 1 "$PARRAY" gen "$f:/h" --shape 10 --full 8
expect_rc 0 "PARRAY_LOCK=off: a save"
run bad env PARRAY_LOCK=sometimes $mpirun -n 1 "$PARRAY" gen "$f:/i" --shape 10 --full 9
expect_rc 1 "PARRAY_LOCK=sometimes"
expect_in bad.err "PARRAY_LOCK='sometimes' is not one of auto\|require\|off" "is refused by name"
[ "$(leftovers)" -eq 0 ] && pass "no lock file or temporary left" ||
    fail "left behind: $(ls -a "$tmp")"

summary PASS FAIL
