#!/bin/sh
# docs/api.md against the built library and the headers:
#   - every pa_* function that libparray.so exports is declared in a ```c
#     block of docs/api.md, and every function declared there is exported;
#   - the library exports nothing outside the pa_ namespace (names that start
#     with '_' belong to the compiler and its runtimes and are not counted);
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
