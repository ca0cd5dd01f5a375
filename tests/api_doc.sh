#!/bin/sh
# docs/api.md against the built library and the headers:
#   - every pa_* function that libparray.so exports is declared in a ```c
#     block of docs/api.md, and every function declared there is exported;
#   - the library exports nothing outside the pa_ namespace (names that start
#     with '_' belong to the compiler and its runtimes and are not counted);
#   - every exported function has a man 3 page in man/man3/ of the build (which
#     make writes with scripts/gen-api-doc --man), and groff reads every page
#     there without a warning;
#   - docs/api.md is what scripts/gen-api-doc writes from the headers now
#     (skipped, with a note, when python3 is missing).
# Each check prints what it checks; the script fails if any check fails.
#
# Environment (make check sets them): PARRAY (the program: the build
# directory is its parent's parent), PARRAY_SRCDIR.

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
find_builddir
lib=$builddir/src/.libs/libparray.so
doc=$srcdir/docs/api.md

command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
[ -f "$doc" ] || { echo "FAIL: $doc is missing"; exit 1; }
[ -e "$lib" ] || { echo "SKIP: $lib is not built (a static-only build?)"; exit 77; }

make_tmp apidoc

# The exported, defined symbols: code (T), data (D), bss (B), read-only (R).
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' |
    sort -u >"$tmp/exported" || { echo "FAIL: nm $lib"; exit 1; }
grep '^pa_' "$tmp/exported" >"$tmp/exported_pa"
grep -v '^pa_' "$tmp/exported" | grep -v '^_' >"$tmp/foreign"

# The functions declared in docs/api.md: inside ```c blocks, a name followed by
# '(' that is not a comment, a macro, a typedef or a function-pointer type.
awk '
    /^```c[ \t]*$/ { code = 1; next }
    /^```/ { code = 0; next }
    !code { next }
    {
        line = $0
        gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", line)   # comments on the line
        if (line ~ /^[ \t]*(\*|\/\*|#|typedef)/) next
        while (match(line, /pa_[a-z0-9_]+[ \t]*\(/)) {
            before = RSTART > 1 ? substr(line, RSTART - 1, 1) : " "
            name = substr(line, RSTART, RLENGTH)
            sub(/[ \t]*\($/, "", name)
            if (before !~ /[A-Za-z0-9_(]/) print name
            line = substr(line, RSTART + RLENGTH)
        }
    }' "$doc" | sort -u >"$tmp/documented"

n_exp=$(wc -l <"$tmp/exported_pa")
n_doc=$(wc -l <"$tmp/documented")
echo "libparray.so exports $n_exp pa_* symbols; docs/api.md declares $n_doc functions"
[ "$n_exp" -gt 0 ] || fail "no pa_* symbol exported by $lib"

undocumented=$(comm -23 "$tmp/exported_pa" "$tmp/documented")
if [ -n "$undocumented" ]; then
    echo "  FAIL: exported but not documented in docs/api.md:"
    echo "$undocumented" | sed 's/^/    /'
    failed=1
else
    pass "every exported pa_* symbol is documented"
fi

unexported=$(comm -13 "$tmp/exported_pa" "$tmp/documented")
if [ -n "$unexported" ]; then
    echo "  FAIL: documented in docs/api.md but not exported by libparray.so:"
    echo "$unexported" | sed 's/^/    /'
    failed=1
else
    pass "every documented function is exported"
fi

if [ -s "$tmp/foreign" ]; then
    echo "  FAIL: exported outside the pa_ namespace:"
    sed 's/^/    /' "$tmp/foreign"
    failed=1
else
    pass "nothing is exported outside pa_*"
fi

# The man 3 pages that make writes from the same comments (man/man3/ of the
# build): one for every exported function, each read by groff without a warning.
man3=$builddir/man/man3
if [ -e "$builddir/man/man3.stamp" ]; then
    nopage=$(while read -r f; do [ -f "$man3/$f.3" ] || echo "$f"; done <"$tmp/exported_pa")
    if [ -n "$nopage" ]; then
        echo "  FAIL: exported but without a page in $man3:"
        echo "$nopage" | sed 's/^/    /'
        failed=1
    else
        pass "every exported pa_* function has a man 3 page"
    fi
    if command -v groff >/dev/null 2>&1; then
        for page in "$man3"/*.3; do
            groff -man -ww -z -Tutf8 "$page" 2>&1 | sed "s|^|${page##*/}: |"
        done >"$tmp/groff.err"
        if [ -s "$tmp/groff.err" ]; then
            fail "groff warns about man 3 pages:"
            head -20 "$tmp/groff.err" | sed 's/^/    /'
        else
            pass "groff reads every man 3 page ($(find "$man3" -name '*.3' | wc -l)) without a warning"
        fi
    else
        echo "  note: no groff, so the man 3 pages were not read"
    fi
else
    echo "  note: the man 3 pages are not built (no python3 at configure time)"
fi

if command -v python3 >/dev/null 2>&1 && python3 -c 'import re, os, sys' 2>/dev/null; then
    if python3 "$srcdir/scripts/gen-api-doc" "$srcdir/include" >"$tmp/api.md"; then
        if cmp -s "$tmp/api.md" "$doc"; then
            pass "docs/api.md is what scripts/gen-api-doc writes from the headers"
        else
            echo "  FAIL: docs/api.md is out of date with the headers; run"
            echo "        scripts/gen-api-doc > docs/api.md"
            diff -u "$doc" "$tmp/api.md" | head -40 | sed 's/^/    /'
            failed=1
        fi
    else
        fail "scripts/gen-api-doc failed"
    fi
else
    echo "  note: no python3, so docs/api.md was not compared with scripts/gen-api-doc"
fi

finish
