#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# The command-line conventions every subcommand shares (apps/opts.c, output.c,
# progress.c, cmd.c): --opt=value and --opt value; options before or after the
# positional arguments; `--` ends the options; an unknown option is refused with
# exit 2 naming the nearest known one; --json prints one JSON object (bench: one
# per line) that parses, on stdout or with --json=FILE into FILE; --progress
# (or PARRAY_PROGRESS=1) prints progress lines into a log, from rank 0 only, and
# nothing without it; messages name the program's options, not C calls.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT PARRAY_POOL_MB PARRAY_PROGRESS

need_parray
need_mpirun
need_system_python "to parse the JSON outputs"
make_tmp options

# same_out A B WHAT: the stdout of runs A and B are the same.
same_out() {
    if cmp -s "$tmp/$1.out" "$tmp/$2.out"; then pass "$3"; else
        fail "$3: the outputs differ"
        show "$tmp/$1.out"
        show "$tmp/$2.out"
    fi
}

# json_ok NAME WHAT: $tmp/NAME.out is one JSON object (with --lines, one per line).
json_ok() {
    if "$py" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines() if sys.argv[2] == "lines" else [open(sys.argv[1]).read()]
assert lines and all(isinstance(json.loads(l), dict) for l in lines)
' "$tmp/$1.out" "${3:-one}" 2>"$tmp/json.err"; then
        pass "$2 parses as JSON"
    else
        fail "$2 is not JSON:"
        show "$tmp/$1.out"
        show "$tmp/json.err"
    fi
}

echo "--- --opt=value and --opt value; options after the positionals"
run eq "$PARRAY" gen "$tmp/a.h5:/x" --shape=4,3 --arange --json
expect_rc 0 "gen --shape=4,3"
run sp "$PARRAY" gen --shape 4,3 --arange --json "$tmp/a.h5:/x"
expect_rc 0 "gen --shape 4,3 with the output last"
same_out eq sp "--shape=4,3 and --shape 4,3 write the same dataset"
run st1 "$PARRAY" stats "$tmp/a.h5:/x" --axis=0
run st2 "$PARRAY" stats --axis 0 "$tmp/a.h5:/x"
expect_rc 0 "stats --axis 0 before the input"
same_out st1 st2 "stats --axis=0 after the input and --axis 0 before it agree"
run calc1 "$PARRAY" calc --out="$tmp/b.h5:/r" 'r = x * 2' "x=$tmp/a.h5:/x" --rows-per-block=3
expect_rc 0 "calc --out=... --rows-per-block=3"
expect_in calc1.out "2 blocks of 3 rows" "--rows-per-block=3 took its value"
run calc2 "$PARRAY" calc 'r = x * 2' -o"$tmp/b.h5:/r" "x=$tmp/a.h5:/x" --rows 3
expect_rc 0 "calc -oFILE and --rows (a prefix of --rows-per-block)"
same_out calc1 calc2 "the two spellings do the same"

echo "--- -- ends the options"
run dash "$PARRAY" gen --shape 3 --full 7 -- "$tmp/-odd.h5:/x"
expect_rc 0 "gen -- OUT"
(cd "$tmp" && timeout -k 10 "$limit" "$PARRAY" gen --shape 2 --arange -- -lead.h5:/x) \
    >"$tmp/lead.out" 2>&1 && pass "gen -- -lead.h5:/x" || { fail "gen -- -lead.h5:/x"; show "$tmp/lead.out"; }
(cd "$tmp" && timeout -k 10 "$limit" "$PARRAY" stats -- -lead.h5:/x) >"$tmp/lead2.out" 2>&1
grep -q '^2 1 0.5 ' "$tmp/lead2.out" && pass "stats -- -lead.h5:/x reads it" ||
    { fail "stats -- -lead.h5:/x"; show "$tmp/lead2.out"; }
refused usage "unknown option -l" sh -c "cd '$tmp' && '$PARRAY' stats -lead.h5:/x"
refused usage "'-o' is not NAME=FILE.h5:/DATASET" \
    "$PARRAY" calc 'r = x' "x=$tmp/a.h5:/x" -- -o "$tmp/b.h5:/r"

echo "--- unknown options name the nearest known one"
refused usage "parray: calc: unknown option --dtpye (did you mean --dtype?)" \
    "$PARRAY" calc 'r = x' "x=$tmp/a.h5:/x" -o "$tmp/b.h5:/r" --dtpye f32
refused usage "unknown option --shpe (did you mean --shape?)" "$PARRAY" gen "$tmp/c.h5:/x" --shpe 3 --arange
refused usage "unknown option --axsi (did you mean --axis?)" "$PARRAY" stats "$tmp/a.h5:/x" --axsi 0
refused usage "unknown option --mdoe (did you mean --mode?)" \
    "$PARRAY" matmul "$tmp/a.h5:/x" "$tmp/a.h5:/x" -o "$tmp/c.h5:/c" --mdoe lend
refused usage "unknown option --formt (did you mean --format?)" "$PARRAY" pack "$tmp" -o "$tmp/c.h5:/p" --formt npy
refused usage "unknown option --big-endain (did you mean --big-endian?)" \
    "$PARRAY" unpack "$tmp/a.h5:/x" -o "$tmp/u-%d.npy" --big-endain
refused usage "unknown option --jsno (did you mean --json?)" "$PARRAY" info --jsno
refused usage "unknown option --quik (did you mean --quick?)" "$PARRAY" bench --quik
refused usage "unknown option --mna (did you mean --man?)" "$PARRAY" help --mna
refused usage "parray: unknown option --verison (did you mean --version?)" "$PARRAY" --verison
refused usage "unknown subcommand 'stat' (did you mean stats?)" "$PARRAY" stat
refused usage "unknown option -shape (did you mean --shape?)" "$PARRAY" gen "$tmp/c.h5:/x" -shape 3 --arange
refused usage "unknown option --frobnicate" "$PARRAY" stats "$tmp/a.h5:/x" --frobnicate
if grep -q "did you mean" "$tmp/refused.err"; then fail "a suggestion for --frobnicate"; else pass "none when nothing is near"; fi
refused usage "option --s is ambiguous: --shape, --seed, --stream, --std, --start, --step" \
    "$PARRAY" gen "$tmp/c.h5:/x" --s 3 --arange
refused usage "--transA takes no value ('--transA=1')" \
    "$PARRAY" matmul "$tmp/a.h5:/x" "$tmp/a.h5:/x" -o "$tmp/c.h5:/c" --transA=1
refused usage "--shape needs a value" "$PARRAY" gen "$tmp/c.h5:/x" --arange --shape
refused usage "--json=FILE: the file name is empty" "$PARRAY" stats "$tmp/a.h5:/x" --json=
refused usage "unknown option --dtpye (did you mean --dtype?)" \
    $mpirun -n 2 "$PARRAY" calc 'r = x' "x=$tmp/a.h5:/x" -o "$tmp/b.h5:/r" --dtpye f32
[ "$(grep -c 'unknown option' "$tmp/refused.err")" -eq 1 ] && pass "printed once at 2 ranks" ||
    { fail "not printed once at 2 ranks"; show "$tmp/refused.err"; }
run abbrev "$PARRAY" stats --hel
expect_rc 0 "stats --hel (a prefix of --help)"
expect_in abbrev.out "^usage: .*parray stats" "it prints the usage"
run abbrev2 $mpirun -n 2 "$PARRAY" stats --hel
[ "$(grep -c '^usage: ' "$tmp/abbrev2.out")" -eq 1 ] && pass "... once at 2 ranks" ||
    { fail "the usage is not printed once at 2 ranks"; show "$tmp/abbrev2.out"; }
# A prefix of --help on every subcommand prints the usage and ends there: no
# error about a missing argument after it, and nothing run (bench ran its
# experiments, matmul and stats tried to load '').
for sub in info gen calc stats matmul pack unpack import bench; do
    run abbrev_$sub "$PARRAY" $sub --hel
    expect_rc 0 "$sub --hel"
    [ -s "$tmp/abbrev_$sub.err" ] && { fail "$sub --hel wrote to stderr:"; show "$tmp/abbrev_$sub.err"; } ||
        pass "$sub --hel: nothing on stderr"
    expect_in abbrev_$sub.out "^usage: .*parray $sub" "$sub --hel prints the usage"
done

echo "--- --json on every subcommand that prints results"
"$PARRAY" gen "$tmp/m.h5:/A" --shape 8,8 --random uniform --seed 1 >/dev/null
run j_info "$PARRAY" info --json
json_ok j_info "info --json"
run j_gen $mpirun -n 2 "$PARRAY" gen "$tmp/g.h5:/x" --shape 6,2 --random normal --json
json_ok j_gen "gen --json at 2 ranks (one object)"
run j_stats "$PARRAY" stats "$tmp/g.h5:/x" --json --hist 3
json_ok j_stats "stats --json"
run j_calc "$PARRAY" calc 'r = x + 1' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r" --json
json_ok j_calc "calc --json"
run j_calcb $mpirun -n 2 "$PARRAY" calc 'r = x + 1' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r" --json \
    --rows-per-block 4
json_ok j_calcb "calc --rows-per-block --json at 2 ranks"
run j_matmul "$PARRAY" matmul "$tmp/m.h5:/A" "$tmp/m.h5:/A" -o "$tmp/c.h5:/C" --json
json_ok j_matmul "matmul --json"
run j_unpack "$PARRAY" unpack "$tmp/g.h5:/x" -o "$tmp/rows/r-%d.npy" --json
json_ok j_unpack "unpack --json"
run j_pack $mpirun -n 2 "$PARRAY" pack "$tmp/rows" -o "$tmp/p.h5:/p" --json
json_ok j_pack "pack --json at 2 ranks"
run j_bench "$PARRAY" bench blas --quick --n 32 --reps 1 --warmup 0 --json
json_ok j_bench "bench --json (one object per line)" lines
expect_in j_bench.err "^blas " "bench --json: the table goes to stderr"
run j_bench_old "$PARRAY" bench blas --quick --n 32 --reps 1 --warmup 0 --json "$tmp/old.json"
expect_rc 0 "bench --json FILE (the old spelling)"
expect_in j_bench_old.out "^blas " "... the table on stdout"
cp "$tmp/old.json" "$tmp/j_bench_file.out"
json_ok j_bench_file "the file of bench --json FILE" lines
# Each one's keys, as their help says.
run keys "$py" -c '
import json, sys
d = sys.argv[1]
want = {"j_info": ["ranks", "nodes", "rank_list"], "j_gen": ["file", "dataset", "dtype", "shape"],
        "j_stats": ["count", "sum", "hist"], "j_calc": ["file", "dataset", "dtype", "shape"],
        "j_calcb": ["rows_per_block", "blocks"], "j_matmul": ["shape", "mode", "gflops"],
        "j_unpack": ["files", "bytes", "pattern"], "j_pack": ["files", "bytes", "shape"]}
for name, keys in want.items():
    o = json.load(open(d + "/" + name + ".out"))
    missing = [k for k in keys if k not in o]
    assert not missing, (name, missing)
assert json.load(open(d + "/j_gen.out"))["shape"] == [6, 2]
assert json.load(open(d + "/j_calcb.out"))["blocks"] == 2
' "$tmp"
expect_rc 0 "each JSON object has the documented keys"
run jfile "$PARRAY" stats "$tmp/g.h5:/x" --json="$tmp/s.json"
expect_rc 0 "stats --json=FILE"
expect_in jfile.out "^count sum mean std min max any all$" "--json=FILE keeps the text on stdout"
cp "$tmp/s.json" "$tmp/jfile_json.out"
json_ok jfile_json "the file of --json=FILE"
run jbad "$PARRAY" stats "$tmp/g.h5:/x" --json="$tmp/no/such/dir/s.json"
expect_rc 1 "--json=FILE in a missing directory"
expect_in jbad.err "--json=.*no/such/dir/s.json: No such file" "the message names the file"

echo "--- --progress in a log"
# progress_line NAME WHAT: stderr holds one progress line of the documented form.
line='^calc: [0-9]+% \([0-9.]+ of [0-9.]+ [kMGT]?B\), [0-9.]+ [kMGT]?B/s, [0-9]+ s left$'
run p0 "$PARRAY" calc 'r = x * 3' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r"
if grep -Eq "$line" "$tmp/p0.err"; then fail "a progress line without --progress"; else pass "no progress line without --progress"; fi
run p1 "$PARRAY" calc 'r = x * 3' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r" --progress
expect_rc 0 "calc --progress"
expect_in p1.err "$line" "calc --progress prints a line of the documented form into a log"
expect_in p1.err '^calc: 100% ' "... and the last one is at 100%"
run p2 env PARRAY_PROGRESS=1 $mpirun -x PARRAY_PROGRESS -n 2 "$PARRAY" calc 'r = x * 3' \
    "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r" --rows-per-block 2
expect_rc 0 "PARRAY_PROGRESS=1 calc --rows-per-block at 2 ranks"
[ "$(grep -Ec "^calc: 100% " "$tmp/p2.err")" -eq 1 ] && pass "one last line, from rank 0 only" ||
    { fail "not one last line at 2 ranks"; show "$tmp/p2.err"; }
run p3 env PARRAY_PROGRESS=0 "$PARRAY" calc 'r = x * 3' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r" --progress
expect_in p3.err "$line" "--progress wins over PARRAY_PROGRESS=0"
run p4 env PARRAY_PROGRESS=0 "$PARRAY" calc 'r = x * 3' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r"
if [ -s "$tmp/p4.err" ]; then fail "PARRAY_PROGRESS=0 printed"; show "$tmp/p4.err"; else pass "PARRAY_PROGRESS=0: nothing on stderr"; fi
refused usage "PARRAY_PROGRESS='yes' is not 0 or 1" env PARRAY_PROGRESS=yes \
    "$PARRAY" calc 'r = x' "x=$tmp/g.h5:/x" -o "$tmp/r.h5:/r"
run p5 "$PARRAY" pack "$tmp/rows" -o "$tmp/p.h5:/p" --progress
expect_in p5.err '^pack: 100% \([0-9.]+ of [0-9.]+ [kMGT]?B\), ' "pack --progress"
run p6 "$PARRAY" unpack "$tmp/g.h5:/x" -o "$tmp/rows2/r-%d.npy" --progress
expect_in p6.err '^unpack: 100% \([0-9.]+ of [0-9.]+ [kMGT]?B\), ' "unpack --progress"
run p7 "$PARRAY" pack "$tmp/rows" -o "$tmp/p.h5:/p"
if grep -q '%' "$tmp/p7.err"; then fail "pack printed progress unasked"; else pass "pack: none unasked"; fi

echo "--- messages name the program's options, not C calls"
"$PARRAY" gen "$tmp/d.h5:/f32" --shape 4,3 --arange --dtype f32 >/dev/null
"$PARRAY" gen "$tmp/d.h5:/i64" --shape 4,3 --arange --dtype i64 >/dev/null
# words NAME WANT CMD...: CMD fails with WANT in its message and no C call's name.
words() {
    name=$1
    want=$2
    shift 2
    run "$name" "$@"
    if [ "$rc" -ne 0 ] && grep -qF -- "$want" "$tmp/$name.err" && ! grep -q 'pa_[a-z]' "$tmp/$name.err"; then
        pass "$name: '$want', no pa_ call named"
    else
        fail "$name: exit $rc, want '$want' and no pa_ call"
        show "$tmp/$name.err"
    fi
}
words samekind "give r the dtype f64 (with --dtype)" \
    "$PARRAY" calc 'r = x * 2.5' "x=$tmp/d.h5:/i64" -o "$tmp/r.h5:/r" --dtype i64
words samekind_blocks "give r the dtype f64 (with --dtype)" \
    "$PARRAY" calc 'r = x + 0.5' "x=$tmp/d.h5:/i64" -o "$tmp/r.h5:/r" --dtype i32 --rows-per-block 2
words intfn "(give --dtype f64)" "$PARRAY" calc 'r = sqrt(x)' "x=$tmp/d.h5:/i64" -o "$tmp/r.h5:/r"
# The float dtypes' list is the library's (it grows with the dtypes).
words normal "--random normal needs a float or complex --dtype (f64, f32" \
    "$PARRAY" gen "$tmp/e.h5:/x" --shape 3 --random normal --dtype i64
words uniform "(use --random integers)" \
    "$PARRAY" gen "$tmp/e.h5:/x" --shape 3 --random uniform --dtype i32
words full "--full 1e+30 is not in the range of i32" \
    "$PARRAY" gen "$tmp/e.h5:/x" --shape 3 --full 1e30 --dtype i32
words format "give --format" "$PARRAY" pack "$tmp/nothere" -o "$tmp/p.h5:/p"
words missing "$tmp/none.h5: No such file" $mpirun -n 2 "$PARRAY" stats "$tmp/none.h5:/x"
run usage_calc "$PARRAY" calc --help
if grep -q 'pa_[a-z]' "$tmp/usage_calc.out"; then fail "calc's help names a C call"; else pass "calc's help names no C call"; fi

echo "--- the help documents PARRAY_PROGRESS and --json"
run top "$PARRAY" help
expect_in top.out "PARRAY_PROGRESS" "parray help describes PARRAY_PROGRESS"
for s in info stats calc matmul gen pack unpack import bench; do
    run "u_$s" "$PARRAY" "$s" --help
    expect_in "u_$s.out" "^ +--json" "$s --help describes --json"
done

summary "options: all checks passed" "options: some checks FAILED"
