#!/bin/sh
# shellcheck disable=SC2086 # $mpirun and $tiny are word lists, split on purpose.
# `parray bench` as a suite, from the outside: --help and --list name every
# experiment and option; bad options exit 2 with a message naming them; a tiny
# run of all five experiments (and the limits) under mpirun -n 2 prints a row
# for each and writes valid JSON lines with the required keys (the CPU's
# model and vendor as /proc/cpuinfo names them, also in the header); --compare
# against that file prints the changes, flags a made-up regression and lists
# the figures missing on either side; scripts/plot-bench draws a PNG per
# experiment and a scaling chart from runs at 1 and 2 ranks. Sizes are tiny
# so that it takes seconds; nothing here checks a timing.
#
# Environment (make check sets them): PARRAY, MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 300).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 300
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT

need_parray
need_mpirun
make_tmp bench-test
# io writes its files here, not in a shared /tmp.
PARRAY_BENCH_DIR=$tmp
export PARRAY_BENCH_DIR
mpirun="$mpirun -x PARRAY_BENCH_DIR"
find_python

# Tiny sizes: every experiment runs in seconds.
tiny="--bytes 8M --size 1e5 --n 64 --reps 2 --warmup 1"

experiments="share io blas init elementwise"

echo "--- parray bench --help"
run help "$PARRAY" bench --help
expect_rc 0 "parray bench --help"
for e in limits $experiments; do
    expect_in help.out "^  $e " "the usage describes $e on its own line"
done
for o in --quick --bytes --size --n --cold --reps --warmup --json --compare --threshold --list; do
    expect_in help.out "^  $o " "the usage describes $o"
done

echo "--- parray bench --list"
run list "$PARRAY" bench --list
expect_rc 0 "parray bench --list"
for e in limits $experiments; do
    expect_in list.out "^$e " "it lists $e"
done

echo "--- bad options exit 2 with a message naming them"
bad() {
    what=$1
    want=$2
    shift 2
    run bad "$PARRAY" bench "$@"
    expect_rc 2 "parray bench $what"
    expect_in bad.err "$want" "the message names $what"
}
bad "--reps 0" "--reps: 0 is out of range \\[1, 1000000\\]" --reps 0
bad "--warmup -1" "--warmup: '-1' is not a non-negative integer" --warmup -1
bad "--warmup ' 1'" "--warmup: ' 1' is not a non-negative integer" --warmup ' 1'
bad "--bytes lots" "--bytes: 'lots' is not a size" --bytes lots
bad "--bytes 2^64" "--bytes: 18446744073709551616 is out of range" --bytes 18446744073709551616
bad "--size 1.5" "--size: '1.5' is not a whole number" --size 1.5
bad "--n 0" "--n: '0': 0 is out of range \\[1, 46340\\]" --n 0
bad "--n 64,,128" "--n: '64,,128': '' is not a non-negative integer" --n 64,,128
bad "--n 99999" "--n: '99999': 99999 is out of range" --n 99999
bad "--threshold -5" "--threshold: -5 is out of range" --threshold -5
bad "--threshold nan" "--threshold: 'nan' is not a finite number" --threshold nan
bad "--json with no file" "--json needs a value" --json
bad "an unknown option" "unknown option '--fast'" --fast
bad "an unknown experiment" "unknown experiment 'gpu'" gpu
bad "--json and --compare on one file" "same file" --json "$tmp/x.json" --compare "$tmp/x.json"

echo "--- --compare with a file that is not bench JSON: exit 1 before running"
printf '{"experiment":"io","method":"x"}\n' >"$tmp/partial.json"
run badcmp "$PARRAY" bench blas $tiny --compare "$tmp/partial.json"
expect_rc 1 "--compare with a line lacking keys"
expect_in badcmp.err "partial.json:1: .*lacks" "the message names the file, the line and what lacks"
if grep -q '^blas ' "$tmp/badcmp.out"; then fail "blas ran before the bad file was noticed"; fi
printf 'not json\n' >"$tmp/junk.json"
run badcmp2 "$PARRAY" bench blas $tiny --compare "$tmp/junk.json"
expect_rc 1 "--compare with a line that is not JSON"
expect_in badcmp2.err "junk.json:1:1: not a JSON object" "the message names the file, line and column"
run badcmp3 "$PARRAY" bench blas $tiny --compare "$tmp/none.json"
expect_rc 1 "--compare with a missing file"
expect_in badcmp3.err "none.json: No such file" "the message names the file"

echo "--- --quick states its sizes"
run quick "$PARRAY" bench blas --quick --n 64 --reps 1 --warmup 0
expect_rc 0 "parray bench blas --quick --n 64"
expect_in quick.out "^quick: sizes scaled down" "a quick run says how it scaled the sizes"
expect_in quick.out "^sizes: blas n=64$" "it shows the sizes it uses (--n overrides)"
expect_in quick.out "1 rep after 0 warm-up" "explicit --reps/--warmup override the quick ones"

echo "--- mpirun -n 2 parray bench (all five, tiny sizes) --json"
run all $mpirun -n 2 "$PARRAY" bench $tiny --json "$tmp/all.json"
expect_rc 0 "mpirun -n 2 parray bench $tiny"
expect_in all.out "^experiment +method +size +median +min +max +unit +vs limit +vs naive$" \
    "the table has the header with the vs limit and vs naive columns"
for e in limits $experiments; do
    expect_in all.out "^$e " "the table has rows for $e"
done
expect_in all.out "^share +parray shared array .* s +[0-9.e+-]+x +[0-9.e+-]+x$" \
    "the shared-array row has its ratios to the limit and to the naive way"
expect_in all.out "^elementwise +z = a\*b \+ c: parray pa_eval .*GB/s +[0-9.e+-]+x +[0-9.e+-]+x$" \
    "the pa_eval row has its ratios to the triad and to the naive loop"
expect_in all.out "^blas +parray split: .*GFLOP/s +[0-9.e+-]+x +[0-9.e+-]+x$" \
    "the blas split row has its ratios to the limit and to the naive stripes"
expect_in all.out "^  note: io: target " "the experiments' notes follow their rows"
expect_in all.out "^cpu: .*, vendor [^,]" "the header names the CPU's model and vendor"
if [ "$(grep -c '^parray bench: ' "$tmp/all.out")" -eq 1 ]; then
    pass "only rank 0 prints"
else
    fail "the header is printed more than once"
fi
rows=$(grep -Ec "^(limits|$(echo $experiments | tr ' ' '|')) " "$tmp/all.out")
lines=$(grep -c . "$tmp/all.json" 2>/dev/null || echo 0)
if [ "$rows" -gt 0 ] && [ "$rows" -eq "$lines" ]; then
    pass "the JSON file has one line per row ($rows)"
else
    fail "the table has $rows rows, the JSON file $lines lines"
fi

if [ -n "$python" ]; then
    if $python - "$tmp/all.json" >"$tmp/keys.out" 2>&1 <<'PY'
import json, sys
need = ["experiment", "method", "role", "size", "size_unit", "unit", "median", "min", "max",
        "vs_limit", "vs_naive", "reps", "warmup", "times_s", "ratios", "machine", "layout",
        "versions", "run", "command", "date"]
bad = 0
exps = set()
# The CPU as /proc/cpuinfo names it (x86), which every line must carry.
cpu = None
try:
    f = dict(l.split(":", 1) for l in open("/proc/cpuinfo").read().split("\n\n")[0].splitlines() if ":" in l)
    f = {k.strip(): x.strip() for k, x in f.items()}
    if "vendor_id" in f:
        cpu = (f["vendor_id"], f.get("model name", ""), int(f["cpu family"]))
except (OSError, ValueError, KeyError):
    pass
for n, line in enumerate(open(sys.argv[1]), 1):
    j = json.loads(line)
    exps.add(j["experiment"])
    miss = [k for k in need if k not in j]
    if miss:
        print("line %d lacks %s" % (n, miss)); bad = 1; continue
    m, l, v = j["machine"], j["layout"], j["versions"]
    for k in ("hostname", "cores", "cpu_vendor", "cpu_model", "cpu_family", "cpu_model_number",
              "cpu_stepping", "memory_bytes"):
        if k not in m: print("line %d: machine lacks %s" % (n, k)); bad = 1
    if cpu and (m.get("cpu_vendor"), m.get("cpu_model"), m.get("cpu_family")) != cpu:
        print("line %d: cpu %r, /proc/cpuinfo says %r" % (n, m, cpu)); bad = 1
    if l.get("ranks") != 2 or l.get("nodes") != 1 or l.get("ranks_per_node") != [2] or "emulated_nodes" not in l:
        print("line %d: layout is %s" % (n, l)); bad = 1
    for k in ("parray", "mpi", "openblas", "hdf5"):
        if not v.get(k): print("line %d: versions lack %s" % (n, k)); bad = 1
    if not j["command"].startswith("parray bench --bytes 8M"):
        print("line %d: command is %r" % (n, j["command"])); bad = 1
    if j["role"] not in ("limit", "naive", "parray", "other"):
        print("line %d: role %r" % (n, j["role"])); bad = 1
    if not (j["min"] <= j["median"] <= j["max"]):
        print("line %d: median %r outside [%r, %r]" % (n, j["median"], j["min"], j["max"])); bad = 1
    # Figures measured once (a first touch) hold one sample; the others --reps.
    if len(j["times_s"]) != j["reps"] or j["warmup"] != 1 or (j["reps"] != 2 and j["role"] != "other"):
        print("line %d: reps %r warmup %r times %r" % (n, j["reps"], j["warmup"], j["times_s"])); bad = 1
want = {"limits", "share", "io", "blas", "init", "elementwise"}
if exps != want:
    print("experiments %s, not %s" % (sorted(exps), sorted(want))); bad = 1
sys.exit(bad)
PY
    then
        pass "every JSON line is valid and has the figure, machine (with the CPU), layout, versions and command"
    else
        fail "the JSON lines are incomplete:"
        show "$tmp/keys.out"
    fi
fi

echo "--- --compare against the same run's file"
run cmp $mpirun -n 2 "$PARRAY" bench init $tiny --compare "$tmp/all.json"
expect_rc 0 "parray bench init --compare all.json"
expect_in cmp.out "^compare: .*all.json -> this run \(2 ranks\)" "it names the old file"
expect_in cmp.out "^init +parray pa_full, per node +100 k elem +[0-9.e+-]+ +[0-9.e+-]+ +GB/s +[+-][0-9.]+%" \
    "each figure shows the old and new median and the change"
expect_in cmp.out "^only in .*all.json \(not measured in this run\):" \
    "the figures of the other experiments are listed as missing from this run"
expect_in cmp.out "^compare: [0-9]+ figures compared, [0-9]+ REGRESSIONS? " "a summary line counts them"

if [ -n "$python" ]; then
    echo "--- --compare flags a regression"
    # An old run 100 times faster at everything: every rate figure of the
    # new run is a regression, whatever this machine's noise.
    $python - "$tmp/all.json" "$tmp/fast.json" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        j = json.loads(line)
        if j["unit"] == "s":
            j["median"] /= 100
        else:
            j["median"] *= 100
        if j["method"] == "parray sum (tree), per node":
            j["method"] = "an old method"
        out.write(json.dumps(j) + "\n")
PY
    run reg $mpirun -n 2 "$PARRAY" bench init $tiny --compare "$tmp/fast.json" --threshold 50
    expect_rc 0 "parray bench init --compare fast.json"
    expect_in reg.out "^init +parray pa_full, per node .* -9[0-9.]+% +REGRESSION$" \
        "a figure 100x slower than before is flagged REGRESSION"
    expect_in reg.out "^only in this run" "a figure missing from the old file is listed"
    expect_in reg.out "^  init +parray sum \(tree\), per node" "... by name"
    expect_in reg.out "^  init +an old method " "a figure missing from this run is listed"
    expect_in reg.out "REGRESSIONS \(worse than 50%\)" "the summary gives the threshold"
fi

echo "--- scripts/plot-bench"
if ! command -v gnuplot >/dev/null 2>&1 || [ -z "$python" ]; then
    echo "  note: skipped: scripts/plot-bench needs gnuplot (gnuplot-nox) and python3"
else
    run one "$PARRAY" bench init $tiny --json "$tmp/one.json"
    expect_rc 0 "parray bench init with 1 rank"
    cat "$tmp/one.json" "$tmp/all.json" >"$tmp/merged.json"
    run plot $python "$srcdir/scripts/plot-bench" "$tmp/merged.json" "$tmp/png"
    expect_rc 0 "scripts/plot-bench merged.json"
    for e in limits $experiments scaling-init; do
        if [ "$(head -c 4 "$tmp/png/$e.png" 2>/dev/null | od -An -c | tr -d ' \n')" = "211PNG" ]; then
            pass "it drew $e.png"
        else
            fail "no PNG $e.png"
            show "$tmp/plot.out"
            show "$tmp/plot.err"
        fi
    done
    run plotbad $python "$srcdir/scripts/plot-bench" "$tmp/junk.json" "$tmp/png2"
    expect_rc 1 "scripts/plot-bench on a file that is not bench JSON"
    expect_in plotbad.err "junk.json:1: not a JSON line" "the message names the file and line"
fi

finish
