#!/bin/sh
# The README's tour runs as written: the block after the README's line
# "<!-- tests/readme_tour.sh runs ... -->" is run line by line, in one shell,
# in a temporary directory whose apps/ is the build's (as the top of a clone
# after the quick start). Each line must exit 0, and each "#   " comment line
# under a command must appear in that command's output.
# Open MPI's own environment variables stand for what the README says to add
# as root (--allow-run-as-root) and on one core (--oversubscribe), so the
# lines run unchanged.
#
# Environment (make check sets them): PARRAY (the program: the build directory
# is its parent's parent), PARRAY_SRCDIR; PARRAY_TEST_TIMEOUT (seconds for the
# whole tour, default 300).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
need_parray
command -v mpirun >/dev/null 2>&1 || { echo "SKIP: no mpirun"; exit 77; }
find_builddir
set_limit 300
make_tmp tour
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT PARRAY_BLAS_THREADS PARRAY_AFFINITY
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

awk '/^<!-- tests\/readme_tour\.sh runs/ { marked = 1; next }
     marked && /^```sh/ { code = 1; next }
     code && /^```/ { exit }
     code' "$srcdir/README.md" >"$tmp/block"
[ -s "$tmp/block" ] || { echo "FAIL: README.md has no block marked for tests/readme_tour.sh"; exit 1; }

# The script: each command in braces (so export and cd hold for the next
# lines) with its output in $tmp/N.out and its status in $tmp/N.rc; each "#   "
# line is kept as an expected line of command N.
n=0
: >"$tmp/expected"
while IFS= read -r line; do
    case $line in
    '#   '*) printf '%s\t%s\n' "$n" "${line#'#   '}" >>"$tmp/expected" ;;
    '' | '#'*) ;;
    *)
        n=$((n + 1))
        printf '%s\n' "$line" >"$tmp/$n.cmd"
        printf '{ %s\n} >"%s/%s.out" 2>&1; echo $? >"%s/%s.rc"\n' "$line" "$tmp" "$n" "$tmp" "$n"
        ;;
    esac
done <"$tmp/block" >"$tmp/tour.sh"
echo "the tour has $n commands"
[ "$n" -gt 0 ] || fail "no commands in the tour"

mkdir "$tmp/clone" && ln -s "$builddir/apps" "$tmp/clone/apps" || exit 99
(cd "$tmp/clone" && timeout -k 10 "$limit" sh "$tmp/tour.sh") || fail "the tour did not finish in ${limit}s"

i=0
while [ "$i" -lt "$n" ]; do
    i=$((i + 1))
    cmd=$(cat "$tmp/$i.cmd")
    rc=$(cat "$tmp/$i.rc" 2>/dev/null || echo "not run")
    if [ "$rc" = 0 ]; then
        pass "$cmd"
    else
        fail "$cmd (exit $rc)"
        [ -f "$tmp/$i.out" ] && show "$tmp/$i.out"
    fi
done
while IFS="$(printf '\t')" read -r i want; do
    if grep -qxF -- "$want" "$tmp/$i.out" 2>/dev/null; then
        pass "command $i prints: $want"
    else
        fail "command $i does not print the README's line: $want"
        [ -f "$tmp/$i.out" ] && show "$tmp/$i.out"
    fi
done <"$tmp/expected"

finish
