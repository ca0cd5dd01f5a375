#!/bin/sh
# shellcheck disable=SC2015 # pass never fails, so A && pass || fail is if-then-else.
# `parray help` and the man page come from one source: checks that `parray help`
# prints what `parray --help` prints, that `parray help SUB` prints exactly
# `parray SUB --help` for every subcommand in the list, that bad arguments give
# exit status 2 and a message naming them, and that `parray --man` is valid roff
# (groff, when installed, renders it without warnings) whose rendered text holds
# the top-level help and every subcommand's help line for line. The man page the
# build made (man/parray.1 beside apps/) must be the program's current output.
# No MPI is needed: help never starts it.
#
# Environment (make check sets them): PARRAY (the program), PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60

need_parray
make_tmp help

# same A B WHAT: the two files are byte for byte equal.
same() {
    if cmp -s "$1" "$2"; then
        pass "$3"
    else
        fail "$3"
        diff "$1" "$2" | head -20 | sed 's/^/    | /'
    fi
}

# contains PAGE TEXT WHAT: the non-blank lines of TEXT, with leading and
# trailing blanks removed, occur one after another among those of PAGE.
contains() {
    sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1" >"$tmp/c.page"
    sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$2" >"$tmp/c.text"
    if awk 'NR == FNR { t[++n] = $0; next }
            { p[++m] = $0 }
            END {
                for (s = 1; s + n - 1 <= m; s++) {
                    for (i = 1; i <= n && p[s + i - 1] == t[i]; i++) ;
                    if (i > n) exit 0
                }
                exit 1
            }' "$tmp/c.text" "$tmp/c.page"; then
        pass "$3"
    else
        fail "$3"
    fi
}

echo "--- parray help"
run top "$PARRAY" help
expect_rc 0 "parray help"
run dashhelp "$PARRAY" --help
same "$tmp/top.out" "$tmp/dashhelp.out" "parray help prints what parray --help prints"

# The subcommands, from the list in the top-level help.
subs=$(awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' "$tmp/top.out")
[ -n "$subs" ] || fail "the top-level help lists no subcommands"
for want in info help; do
    echo "$subs" | grep -qx "$want" && pass "the list has $want" || fail "the list lacks $want"
done

echo "--- parray help SUBCOMMAND"
for s in $subs; do
    run "h-$s" "$PARRAY" help "$s"
    expect_rc 0 "parray help $s"
    run "d-$s" "$PARRAY" "$s" --help
    same "$tmp/h-$s.out" "$tmp/d-$s.out" "parray help $s prints exactly parray $s --help"
    if head -n 1 "$tmp/h-$s.out" | grep -q '^usage: '; then
        pass "the help of $s starts with its usage line"
    else
        fail "the help of $s does not start with 'usage: '"
    fi
done

echo "--- bad arguments"
run bad1 "$PARRAY" help nosuchcmd
expect_rc 2 "parray help nosuchcmd"
grep -q "parray: help: .*'nosuchcmd'" "$tmp/bad1.err" && pass "the message names nosuchcmd" ||
    { fail "no message naming nosuchcmd"; show "$tmp/bad1.err"; }
run bad2 "$PARRAY" help info stats
expect_rc 2 "parray help info stats"
run bad3 "$PARRAY" help --nosuch
expect_rc 2 "parray help --nosuch"
grep -q "unknown option --nosuch" "$tmp/bad3.err" && pass "the message names --nosuch" ||
    { fail "no message naming --nosuch"; show "$tmp/bad3.err"; }
run bad4 "$PARRAY" --man extra
expect_rc 2 "parray --man extra"
grep -q "'extra'" "$tmp/bad4.err" && pass "the message names extra" ||
    { fail "no message naming extra"; show "$tmp/bad4.err"; }
[ -s "$tmp/bad1.out" ] && fail "an error printed to stdout" || pass "errors print nothing to stdout"

echo "--- parray --man"
run man "$PARRAY" --man
expect_rc 0 "parray --man"
run man2 "$PARRAY" help --man
same "$tmp/man.out" "$tmp/man2.out" "parray help --man prints the same page"
head -n 2 "$tmp/man.out" | grep -q '^\.TH PARRAY 1 ' && pass "the page starts with .TH PARRAY 1" ||
    fail "no .TH PARRAY 1 line"
for s in $subs; do
    grep -q "^\.SS \"parray $s\"" "$tmp/man.out" || fail "the page has no section for $s"
done
built=$(dirname "$PARRAY")/../man/parray.1
if [ -f "$built" ]; then
    same "$built" "$tmp/man.out" "the built man/parray.1 is the program's current page"
else
    echo "  (no $built: the build's page is not checked)"
fi

if command -v groff >/dev/null 2>&1; then
    # -ww: every warning; -z: no output. Then the page as plain text, with no
    # bold or underline, the way man shows it on a terminal.
    LC_ALL=C groff -man -Tascii -ww -z "$tmp/man.out" 2>"$tmp/groff.err"
    if [ -s "$tmp/groff.err" ]; then
        fail "groff warns about the page"
        show "$tmp/groff.err"
    else
        pass "groff renders the page without warnings"
    fi
    LC_ALL=C groff -man -Tascii -P-cbou "$tmp/man.out" >"$tmp/page.txt" 2>/dev/null
    # The top-level help, part by part (the list and its heading are one block).
    awk '/^$/ { exit } { print }' "$tmp/top.out" >"$tmp/top.usage"
    contains "$tmp/page.txt" "$tmp/top.usage" "the page holds the top-level usage"
    awk '/^$/ { n++; next } n == 1 { print }' "$tmp/top.out" >"$tmp/top.desc"
    contains "$tmp/page.txt" "$tmp/top.desc" "the page holds the description"
    awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on { print }' "$tmp/top.out" >"$tmp/top.list"
    contains "$tmp/page.txt" "$tmp/top.list" "the page holds the subcommand list"
    awk '/^Options:/ { on = 1; next } on && /^$/ { exit } on { print }' "$tmp/top.out" >"$tmp/top.opts"
    contains "$tmp/page.txt" "$tmp/top.opts" "the page holds the options"
    awk '/^Environment:/ { on = 1; next } on && /^$/ { exit } on { print }' "$tmp/top.out" >"$tmp/top.env"
    contains "$tmp/page.txt" "$tmp/top.env" "the page holds the environment"
    for s in $subs; do
        contains "$tmp/page.txt" "$tmp/h-$s.out" "the page holds the help of $s, line for line"
    done
else
    echo "  (no groff: the page is not rendered)"
fi

summary "all passed" FAILED
