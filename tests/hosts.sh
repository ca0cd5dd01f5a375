#!/bin/sh
# parray across two real (test) hosts: scripts/testhosts runs 4 ranks on two network
# namespaces, and Open MPI puts 2 ranks on each. This checks that
#   a) `parray info` sees 2 nodes named testhost1 and testhost2;
#   b) an allocation that fails on one rank of one host fails on every rank with one
#      error message, and nothing hangs;
#   c) a host that vanishes mid-run (link cut, processes killed) ends the job with an
#      error within a bounded time.
# It exits 77 (skip) with the reason where the test hosts cannot be made (not root, no
# iproute2, no network namespaces).
#
# Environment (make check sets them): PARRAY (the program), PARRAY_SRCDIR, MPIRUN;
# PARRAY_TEST_TIMEOUT (seconds per job, default 120).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 120
th="$srcdir/scripts/testhosts"
export MPIRUN
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT
make_tmp hosts

if ! why=$(bash "$th" status 2>&1 >/dev/null); then
    echo "SKIP: ${why#testhosts: status: }"
    exit 77
fi
need_parray

# Here a failure is printed unindented: this script prints no ok lines.
fail() { echo "FAIL: $*"; failed=1; }

# ---------------------------------------------------------------- a) two hosts, two nodes
echo "--- a) parray info on 2 test hosts"
timeout -k 10 "$limit" bash "$th" run -n 4 -- "$PARRAY" info --json >"$tmp/info.json" 2>"$tmp/info.err"
rc=$?
show "$tmp/info.json"; show "$tmp/info.err"
if [ $rc -ne 0 ]; then
    fail "parray info --json exited $rc"
else
    # One JSON object from rank 0; match its keys without a JSON parser.
    tr -d ' \n' <"$tmp/info.json" >"$tmp/info.flat"
    grep -q '"nodes":2[,}]' "$tmp/info.flat" || fail 'info --json does not say "nodes":2'
    grep -q '"emulated":0[,}]' "$tmp/info.flat" || fail 'info --json says the nodes are emulated'
    for h in testhost1 testhost2; do
        grep -q "\"hostname\":\"$h\"" "$tmp/info.flat" || fail "info --json has no node with hostname $h"
    done
fi
timeout -k 10 "$limit" bash "$th" run -n 4 -- "$PARRAY" info >"$tmp/info.txt" 2>&1
rc=$?
show "$tmp/info.txt"
[ $rc -eq 0 ] || fail "parray info exited $rc"
for h in testhost1 testhost2; do
    grep -q "$h" "$tmp/info.txt" || fail "parray info does not name $h"
done

# ---------------------------------------------------------------- b) one rank fails
# Rank 3 runs on testhost2 (Open MPI fills testhost1's 2 slots first); its array
# allocations fail, and every rank must agree on the error.
echo "--- b) allocation failure on rank 3 (testhost2)"
start=$(date +%s)
PARRAY_FAULT=array_alloc@3 timeout -k 10 60 bash "$th" run -n 4 -- \
    "$PARRAY" bench share --bytes 1048576 --reps 1 >"$tmp/fault.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
show "$tmp/fault.out"
echo "exit $rc after ${took}s"
if [ $rc -eq 0 ]; then
    fail "the job succeeded although rank 3 could not allocate"
elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    fail "the job hung: killed after 60s"
else
    n=$(grep -c '^parray: bench' "$tmp/fault.out")
    [ "$n" -eq 1 ] || fail "expected the error once (parray: bench...), got it $n times"
    grep -qiE 'ENOMEM|memory|allocate' "$tmp/fault.out" || fail "the error does not say it is out of memory"
    grep -qiE 'signal|core dumped|Segmentation|MPI_ABORT' "$tmp/fault.out" &&
        fail "a rank crashed or aborted instead of returning the error"
fi

# ---------------------------------------------------------------- c) a host vanishes
# --exclusive: no other test's job runs on the hosts while one of them is crashed.
echo "--- c) testhost2 vanishes mid-run"
bound=60
timeout -k 10 $((limit + bound)) bash "$th" run --exclusive -n 4 -- \
    "$PARRAY" bench share --bytes 16777216 --reps 100000 >"$tmp/crash.out" 2>&1 &
job=$!
# Wait until the job runs on testhost2 (the exclusive run may wait for other tests).
i=0
while [ $i -lt $((limit * 5)) ]; do
    [ "$(ip netns pids pa-h2 2>/dev/null | xargs -r ps -o comm= -p 2>/dev/null | grep -cE '^(lt-)?parray$')" -ge 2 ] && break
    kill -0 $job 2>/dev/null || break
    sleep 0.2
    i=$((i + 1))
done
if ! kill -0 $job 2>/dev/null; then
    wait $job
    show "$tmp/crash.out"
    fail "the job ended (exit $?) before the host could be crashed"
else
    sleep 1
    bash "$th" crash 2
    start=$(date +%s)
    while kill -0 $job 2>/dev/null && [ $(($(date +%s) - start)) -lt $bound ]; do
        sleep 0.5
    done
    took=$(($(date +%s) - start))
    if kill -0 $job 2>/dev/null; then
        kill -TERM $job
        wait $job
        show "$tmp/crash.out"
        fail "the job still ran ${bound}s after testhost2 vanished"
    else
        wait $job
        rc=$?
        show "$tmp/crash.out"
        echo "exit $rc, ${took}s after testhost2 vanished"
        [ $rc -ne 0 ] || fail "the job exited 0 although testhost2 vanished"
    fi
fi

summary PASS FAILED
