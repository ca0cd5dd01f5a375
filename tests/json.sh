#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# The program's JSON writer and reader (apps/json.c) from the outside.
# Writer: `stats --json` of a file whose name holds '"', '\', a newline, a tab,
# control characters, DEL, invalid UTF-8 and valid non-ASCII, and a name of 150
# such bytes; `info --json`; a bench JSON line whose command holds such a name.
# Each is parsed by Python's json module from strictly decoded UTF-8, and the
# name comes back with each invalid byte as U+FFFD. Reader: `bench --compare`
# of objects and arrays nested 400,000 deep, and of other broken lines, exits 1
# with the file, line and column and the reason (no crash), and it reads what
# the writer writes for a non-finite number (null).
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

need_parray
need_mpirun
make_tmp json
need_system_python "to check the JSON"

# valid_json NAME [PYEXPR WANT]: $tmp/NAME.out is strict UTF-8 holding one
# JSON text, or one per line; PYEXPR over the last (bound to j; os.environ
# at hand) prints WANT.
valid_json() {
    got=$($py -c 'import json, os, sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
j = [json.loads(l) for l in text.split("\n") if l.strip()][-1]
print(eval(sys.argv[2]))' "$tmp/$1.out" "${2:-True}" 2>&1)
    if [ "$got" = "${3:-True}" ]; then
        pass "$1: valid JSON${2:+, $2 is $3}"
    else
        fail "$1: $got"
        show "$tmp/$1.out"
    fi
}

# The hostile name: every kind of byte the writer must escape or replace,
# and valid UTF-8 (an e acute, a euro sign, an emoji) that it must pass
# through. Each invalid byte (\377, \200, the overlong \300\257, the
# surrogate \355\240\200) comes back as one U+FFFD, as Python's
# errors="replace" decodes these.
hostile=$(printf 'q"u\\o\nt\te\001d\037x\177e\377\200\300\257\355\240\200-\303\251\342\202\254\360\237\230\200')
TMP=$tmp
export TMP

echo "--- stats --json of files with hostile names"
run gen "$PARRAY" gen "$tmp/$hostile.h5:/x" --shape 10 --arange
expect_rc 0 "gen into a file named with quotes, backslash, newline, tab, control bytes, DEL, invalid UTF-8"
run stats1 "$PARRAY" stats "$tmp/$hostile.h5:/x" --json
expect_rc 0 "stats --json of it"
valid_json stats1 'j["sum"]' 45
valid_json stats1 'j["dataset"].count("\ufffd")' 7
path=$tmp/$hostile.h5:/x
PATHARG=$path
export PATHARG
valid_json stats1 'j["dataset"] == os.environb[b"PATHARG"].decode("utf-8", "replace")' True
# (150 bytes: at 2 ranks Open MPI 4.1's sharedfp component overflows a buffer
# on paths of about 220 bytes and more.)
long=$($py -c 'print("\"\\\x7f" * 50)')
run gen2 $mpirun -n 2 "$PARRAY" gen "$tmp/$long.h5:/x" --shape 10 --arange --dtype f32
expect_rc 0 "gen into a 153-byte name of quotes, backslashes and DEL"
run stats2 $mpirun -n 2 "$PARRAY" stats "$tmp/$long.h5:/x" --json --hist 3
expect_rc 0 "mpirun -n 2 stats --json --hist 3 of it"
valid_json stats2 'len(j["dataset"]) - len(os.environ["TMP"])' 157
valid_json stats2 'j["hist"]["counts"]' '[3, 3, 4]'

echo "--- info --json"
run info $mpirun -n 2 "$PARRAY" info --json
expect_rc 0 "mpirun -n 2 parray info --json"
valid_json info 'j["ranks"]' 2

echo "--- bench JSON lines with a hostile name in the command"
run bench "$PARRAY" bench blas --quick --n 64 --reps 1 --warmup 0 --json "$tmp/$hostile.json"
expect_rc 0 "bench blas --json FILE with the hostile name"
cp "$tmp/$hostile.json" "$tmp/benchlines.out"
valid_json benchlines '"q\"u" in j["command"] and j["median"] > 0' True

echo "--- bench --compare of hostile JSON"
# compare_bad NAME WHAT REGEX: bench --compare $tmp/NAME.json exits 1 and
# its message matches REGEX.
compare_bad() {
    run "$1" "$PARRAY" bench blas --n 64 --reps 1 --warmup 0 --compare "$tmp/$1.json"
    expect_rc 1 "bench --compare of $2"
    expect_in "$1.err" "$3" "the message says where and why ($2)"
}
$py -c 'print("{\"a\":" * 400000)' >"$tmp/deepobj.json"
compare_bad deepobj "objects nested 400,000 deep" \
    "deepobj.json:1:1281: not a JSON object on one line \(arrays and objects nested more than 256 deep"
$py -c 'print("{\"a\":" + "[" * 400000)' >"$tmp/deeparr.json"
compare_bad deeparr "arrays nested 400,000 deep in an object" "deeparr.json:1:261: .*nested more than 256 deep"
$py -c 'print("[" * 400000)' >"$tmp/toparr.json"
compare_bad toparr "an array nested 400,000 deep" "toparr.json:1:1: .*expected an object"
printf '{"experiment":"a\001b"}\n' >"$tmp/ctl.json"
compare_bad ctl "a raw control character in a string" "ctl.json:1:17: .*control character in a string"
printf '{"experiment":"a\\qb"}\n' >"$tmp/esc.json"
compare_bad esc "an invalid escape" "esc.json:1:18: .*invalid escape"
printf '{"experiment":"abc' >"$tmp/unterm.json"
compare_bad unterm "an unterminated string" "unterm.json:1:19: .*unterminated string"
printf '{"size":01}\n' >"$tmp/num.json"
compare_bad num "a number with a leading zero" "num.json:1:10: .*expected ',' or '}'"
printf '{"size":1}\000{}\n' >"$tmp/nul.json"
compare_bad nul "a NUL byte after the object" "nul.json:1:11: .*unexpected text after the value"

# What the writer writes for a non-finite median (null) reads back: the
# figure compares as n/a.
sed -n 1p "$tmp/$hostile.json" | sed 's/"median":[^,]*,/"median":null,/' >"$tmp/null.json"
run nullcmp "$PARRAY" bench blas --quick --n 64 --reps 1 --warmup 0 --compare "$tmp/null.json"
expect_rc 0 "bench --compare of a line whose median is null"
expect_in nullcmp.out " n/a" "the figure with a null median compares as n/a"

summary "json: PASSED" "json: FAILED"
