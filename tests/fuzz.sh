#!/bin/sh
# The libFuzzer targets of fuzz/ as a regression test: scripts/fuzz builds
# them with clang in the build tree (build-fuzz/test/, at -O0 so that the
# build takes seconds) and runs each over its corpus fuzz/corpus/<target>/, then
# fuzzes it a few seconds more. Any crash, sanitizer report, leak,
# timeout or failed property fails the test, naming the reproducer.
# Skipped (77) with the reason where clang or libFuzzer is missing.
#
# Environment (make check sets them): PARRAY (the program; its build tree is
# used), PARRAY_SRCDIR; PARRAY_TEST_TIMEOUT (seconds for the whole run,
# default 300); PARRAY_FUZZ_SECONDS (fuzzing time per target, default 3).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 300
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

command -v bash >/dev/null 2>&1 || { echo "SKIP: scripts/fuzz needs bash"; exit 77; }
command -v "${CLANG:-clang}" >/dev/null 2>&1 ||
    { echo "SKIP: no ${CLANG:-clang} (Debian packages clang and libclang-rt-14-dev)"; exit 77; }
find_builddir
make_tmp fuzz

# The inputs earlier runs found are not replayed: the corpus in the tree is
# the regression set.
rm -rf "$builddir/build-fuzz/test/new"
PARRAY_FUZZ_BUILD="$builddir/build-fuzz/test" PARRAY_FUZZ_OPT=-O0 \
    timeout -k 10 "$limit" bash "$srcdir/scripts/fuzz" "${PARRAY_FUZZ_SECONDS:-3}" \
    >"$tmp/fuzz.out" 2>&1
rc=$?
cat "$tmp/fuzz.out"
case $rc in
0) pass "every fuzz target runs clean over its corpus" ;;
77) exit 77 ;;
124 | 137) fail "scripts/fuzz timed out after ${limit}s" ;;
*) fail "scripts/fuzz exits $rc" ;;
esac
finish
