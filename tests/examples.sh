#!/bin/sh
# shellcheck disable=SC2086 # $mpirun and $opts are commands with options, split on purpose.
# The guide's example programs (apps/examples/ex_*), each run as a user would
# run it, under mpirun at 1, 2 and 3 ranks and at 4 ranks as 2 emulated nodes
# (PARRAY_RANKS_PER_NODE=2). Each example checks its own results and exits
# non-zero when one is wrong. On top of that this script checks that
#   - an example that prints a "checksum:" line prints the same one in every
#     configuration (parray's random arrays and reductions are bit-identical
#     for every rank count and node layout);
#   - the examples leave nothing behind in their TMPDIR.
#
# Environment (make check sets them): PARRAY (the program: the build directory
# is its parent's parent), MPIRUN, PARRAY_SRCDIR; PARRAY_TEST_TIMEOUT (seconds
# per run, default 120).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
find_builddir
set_limit 120
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT PARRAY_AFFINITY

examples="ex_share ex_init ex_elementwise ex_blas ex_io"
for e in $examples; do
    [ -x "$builddir/apps/examples/$e" ] || { echo "FAIL: $builddir/apps/examples/$e is not built"; exit 99; }
done
need_mpirun

make_tmp examples
mkdir "$tmp/scratch" || exit 99

# More ranks than cores must be allowed explicitly: over N gives
# --oversubscribe where N ranks outnumber the cores.
mpirun="$MPIRUN${allow_root:+ $allow_root}"
ncores=$(nproc 2>/dev/null || echo 1)
over() { [ "$1" -le "$ncores" ] || echo --oversubscribe; }

configs="np1 np2 np3 nodes2"
opts_of() {
    case $1 in
    np1) echo "-n 1" ;;
    np2) echo "-n 2 $(over 2)" ;;
    np3) echo "-n 3 --oversubscribe" ;;
    nodes2) echo "-n 4 --oversubscribe -x PARRAY_RANKS_PER_NODE=2" ;;
    esac
}

for e in $examples; do
    first=
    for c in $configs; do
        opts=$(opts_of $c)
        out=$tmp/$e.$c.out
        start=$(date +%s)
        TMPDIR=$tmp/scratch timeout "$limit" $mpirun $opts -x TMPDIR "$builddir/apps/examples/$e" \
            >"$out" 2>&1
        rc=$?
        secs=$(($(date +%s) - start))
        if [ $rc -ne 0 ]; then
            [ $rc -eq 124 ] && why="timed out after ${limit} s" || why="exit $rc"
            echo "  FAIL: $e $c ($why): mpirun $opts $e"
            sed 's/^/    | /' "$out"
            failed=1
            continue
        fi
        sum=$(grep '^checksum:' "$out")
        if [ -n "$sum" ]; then
            if [ -z "$first" ]; then
                first="$sum ($c)"
            elif [ "${first%% (*}" != "$sum" ]; then
                fail "$e $c: $sum, but $first"
                continue
            fi
        fi
        pass "$e $c (${secs} s)${sum:+, $sum}"
    done
done

left=$(ls -A "$tmp/scratch")
if [ -n "$left" ]; then
    fail "the examples left files in their TMPDIR: $left"
else
    pass "the examples left no files behind"
fi
finish
