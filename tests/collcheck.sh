#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is split on purpose.
# The debug mode PARRAY_CHECK=collectives, with tests/collcheck_prog (programs
# that are wrong on purpose), at 2 and 3 ranks:
#  - different collective calls on different ranks (pa_reduce sum and mean;
#    pa_array_create of two shapes; pa_reduce and pa_finalize) fail on every
#    rank with a message that names both calls;
#  - a collective call made on rank 0 only aborts the job after
#    PARRAY_CHECK_TIMEOUT seconds, naming the call and the missing ranks;
#  - a replicated array that one node changed without pa_array_replicate
#    fails its reduction, naming the node (2 emulated nodes);
#  - a correct program gives the same results with the mode off and on;
#  - a setting made on one rank only fails pa_init on every rank, naming it
#    and the values (MPMD: one environment per application context).
# Environment (make check sets them): MPIRUN, PARRAY_SRCDIR, PARRAY;
# COLLCHECK_PROG (default tests/collcheck_prog next to this script's build);
# PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
prog=${COLLCHECK_PROG:-$(pwd)/tests/collcheck_prog}
[ -x "$prog" ] || prog=$srcdir/tests/collcheck_prog
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT PARRAY_CHECK PARRAY_CHECK_TIMEOUT

[ -x "$prog" ] || { echo "FAIL: $prog is not built"; exit 99; }
need_parray
need_mpirun
make_tmp collcheck

check="env PARRAY_CHECK=collectives"
for np in 2 3; do
    echo "== $np ranks"
    for mode in mismatch finalize; do
        run "$mode$np" $check $mpirun -n $np "$prog" $mode
        expect_rc 0 "$mode at $np ranks"
        n=$(grep -c "$mode: ok" "$tmp/$mode$np.out")
        [ "$n" -eq "$np" ] && pass "$mode: every rank's checks passed" ||
            fail "$mode: $n of $np ranks passed"
    done

    # rank 0 waits in pa_reduce for the others, which wait in MPI_Barrier.
    run "missing$np" env PARRAY_CHECK=collectives PARRAY_CHECK_TIMEOUT=2 \
        $mpirun -n $np "$prog" missing
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] &&
        pass "missing at $np ranks: the job was aborted (exit $rc)" ||
        fail "missing at $np ranks: exit $rc"
    if [ "$np" -eq 2 ]; then who="which rank 1 has not called"; else who="which ranks 1-2 have not called"; fi
    expect_in "missing$np.err" "rank 0 has waited [0-9]+ s in pa_reduce\(f64 \(10,\), sum, axis -1\)" \
        "missing: stderr names the call"
    expect_in "missing$np.err" "$who" "missing: stderr names the missing ranks"
    if grep -q "was not aborted" "$tmp/missing$np.err"; then fail "missing: a rank went on"; fi

    # Two emulated nodes; node 1 writes its copy alone.
    run "replicated$np" $check PARRAY_RANKS_PER_NODE=$((np - 1)) \
        $mpirun -x PARRAY_RANKS_PER_NODE -n $np "$prog" replicated
    expect_rc 0 "replicated at $np ranks, 2 nodes"

    run "off$np" $mpirun -n $np "$prog" correct
    expect_rc 0 "a correct program, mode off"
    run "on$np" $check $mpirun -n $np "$prog" correct
    expect_rc 0 "a correct program, mode on"
    # The ranks' lines interleave in any order: compare them sorted.
    sort "$tmp/off$np.out" >"$tmp/off$np.sorted"
    sort "$tmp/on$np.out" >"$tmp/on$np.sorted"
    grep -q "^sums " "$tmp/on$np.sorted" && cmp -s "$tmp/off$np.sorted" "$tmp/on$np.sorted" &&
        pass "the same results with the mode on" ||
        { fail "the results differ"; show "$tmp/off$np.out"; show "$tmp/on$np.out"; }
done

echo "== a setting on some ranks only"
run mpmd $mpirun -n 1 env PARRAY_RANKS_PER_NODE=1 "$PARRAY" info : -n 1 "$PARRAY" info
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && pass "pa_init failed (exit $rc)" ||
    fail "MPMD with PARRAY_RANKS_PER_NODE on rank 0 only: exit $rc"
expect_in mpmd.err "PARRAY_RANKS_PER_NODE differs between ranks: '1' on rank 0, unset on rank 1" \
    "the message names the variable and the values"

summary "collcheck: ok" "collcheck: FAILED"
