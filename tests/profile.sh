#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is split on purpose.
# The per-call profile through the program (tests/test_profile checks the
# library's table at every launcher configuration):
#  - the profile's list of calls (src/profile.h) is every call the public
#    headers say is collective, less pa_init, pa_init_comm, pa_finalize and
#    pa_wait_quiet;
#  - `parray gen` at 2 ranks with PARRAY_LOG=summary prints the table once on
#    stderr, with the calls it made, and the same stdout as with it off;
#    with PARRAY_CHECK=collectives as well, both modes work together;
#  - PARRAY_LOG=bogus fails, naming the variable and its choices.
# Environment (make check sets them): MPIRUN, PARRAY_SRCDIR, PARRAY;
# PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT PARRAY_CHECK PARRAY_LOG PARRAY_LOG_FILE

need_parray
need_mpirun
need_system_python "to list the headers' collective calls"
make_tmp profile

echo "== the profile's calls are the headers' collective calls"
"$py" "$srcdir/scripts/gen-api-doc" --collective "$srcdir/include" |
    grep -vxE 'pa_init|pa_init_comm|pa_finalize|pa_wait_quiet' | sort >"$tmp/headers"
sed -n 's/^ *X(\(pa_[a-z0-9_]*\), [01]).*/\1/p' "$srcdir/src/profile.h" | sort >"$tmp/profile"
if [ -s "$tmp/headers" ] && cmp -s "$tmp/headers" "$tmp/profile"; then
    pass "$(wc -l <"$tmp/profile") calls, the same in both"
else
    fail "PA__PROFILE_CALLS differs from the headers (< headers, > src/profile.h):"
    diff "$tmp/headers" "$tmp/profile" | sed 's/^/    | /'
fi

echo "== parray gen with the profile off and on"
gen="$PARRAY gen $tmp/x.h5:/x --shape 1000 --random uniform"
run off $mpirun -n 2 $gen
expect_rc 0 "off"
run on env PARRAY_LOG=summary $mpirun -n 2 $gen
expect_rc 0 "PARRAY_LOG=summary"
n=$(grep -c "^parray profile (PARRAY_LOG=summary): 2 ranks" "$tmp/on.err")
[ "$n" -eq 1 ] && pass "the table is printed once" || { fail "the table is printed $n times"; show "$tmp/on.err"; }
expect_in on.err "^pa_h5_save +1 " "its pa_h5_save row"
expect_in on.err "^pa_random_uniform +1 .* 8\.0 kB " "its pa_random_uniform row, with 8000 bytes"
expect_in on.err "^agreements +[0-9]+ " "the agreements' row"
cmp -s "$tmp/off.out" "$tmp/on.out" && pass "stdout is the same" ||
    { fail "stdout differs"; show "$tmp/off.out"; show "$tmp/on.out"; }
[ ! -s "$tmp/off.err" ] && pass "off: nothing on stderr" || { fail "off: stderr"; show "$tmp/off.err"; }

run both env PARRAY_LOG=summary PARRAY_CHECK=collectives $mpirun -n 2 $gen
expect_rc 0 "PARRAY_LOG=summary with PARRAY_CHECK=collectives"
expect_in both.err "^pa_h5_save +1 " "both modes: the profile's rows"

echo "== a bad value"
run bogus env PARRAY_LOG=bogus $mpirun -n 2 $gen
[ "$rc" -ne 0 ] && pass "PARRAY_LOG=bogus fails (exit $rc)" || fail "PARRAY_LOG=bogus exits 0"
expect_in bogus.err "PARRAY_LOG='bogus' is not one of off\|summary" "the message names the variable"

summary "profile: ok" "profile: FAILED"
