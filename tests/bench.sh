#!/bin/sh
# shellcheck disable=SC2086 # $mpirun and $tiny are word lists, split on purpose.
# `parray bench` as a suite, from the outside: --help and --list name every
# experiment and option; bad options exit 2 with a message naming them; a tiny
# run of all six experiments (and the limits) under mpirun -n 2 prints a row
# for each, the targets once each in the target column (met / not met, no
# "NOT met" notes), and writes valid JSON lines with the required keys (the
# CPU's model and vendor as /proc/cpuinfo names them, also in the header; the
# target and the load); the load read from a made-up /proc (the
# PARRAY_BENCH_PROC test hook) is BUSY above the cores, in the header, the
# notes, the last line and the JSON, and quiet below; --compare against that
# file prints the changes, flags a made-up regression whose min..max range
# lies apart from the old one, calls a change within overlapping ranges noise
# and lists the figures missing on either side; scripts/plot-bench draws a
# PNG per experiment, with the titles, legend, panels and side columns it
# should have, from the committed tests/bench-sample.json, and a scaling
# chart from runs at 1 and 2 ranks. Sizes are tiny so that it takes seconds;
# nothing here checks a timing.
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

experiments="share io blas init elementwise latency dtypes order redist broadcast axes"
# The committed sample (tests/bench-sample.json) predates latency, dtypes and order.
sample_experiments="share io blas init elementwise"

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
bad "--json= with no file" "--json=FILE: the file name is empty" --json=
bad "an unknown option" "unknown option --fast" --fast
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

echo "--- mpirun -n 2 parray bench (all six, tiny sizes) --json"
run all $mpirun -n 2 "$PARRAY" bench $tiny --json "$tmp/all.json"
expect_rc 0 "mpirun -n 2 parray bench $tiny"
expect_in all.out "^experiment +method +size +median +min +max +unit +vs limit +vs naive +target$" \
    "the table has the header with the vs limit, vs naive and target columns"
for e in limits $experiments; do
    expect_in all.out "^$e " "the table has rows for $e"
done
expect_in all.out "^share +parray shared array .* s +[0-9.e+-]+x +[0-9.e+-]+x  >=0.833x own sum: (met|not met)$" \
    "the shared-array row has its ratios to the limit and to the naive way, and its target"
expect_in all.out "^elementwise +z = a\*b \+ c: parray pa_eval .*GB/s +[0-9.e+-]+x +[0-9.e+-]+x  >=1x triad: (met|not met(, at limit)?)$" \
    "the pa_eval row has its ratios to the triad and to the naive loop"
expect_in all.out "^blas +parray split: .*GFLOP/s +[0-9.e+-]+x +[0-9.e+-]+x  >=0.95x limit: (met|not met)$" \
    "the blas split row has its ratios to the limit and to the naive stripes"
expect_in all.out "^latency +pa_binary z = a \+ b +1000 .* us +  <=10 us/call: (met|not met)$" \
    "the latency rows give the time per call in us, with the target on 1,000 elements"
expect_in all.out "^latency +pa_h5_save .* us *$" "pa_h5_save's latency has no target"
expect_in all.out "^  note: io: " "the experiments' notes follow their rows"
# Each target once, in its row: as many target cells in the table as figures
# with a target in the JSON (checked below), and at least one per experiment.
targets=$(grep -Ec "  (>=|<=)[0-9.]+x? [^:]+: (met|not met|not met, at limit)$" "$tmp/all.out")
for e in share io blas init elementwise latency dtypes order redist broadcast axes; do
    expect_in all.out "^$e .*  (>=|<=)[0-9.]+x? [^:]+: (met|not met|not met, at limit)$" \
        "the $e rows have targets in the target column"
done
if grep -Eiq "note: .*(target.*NOT met|NOT met)" "$tmp/all.out"; then
    fail "a note still says NOT met"
else
    pass "no note says NOT met"
fi
expect_in all.out "^target: the figure's goal, met or not met" "the header explains the target column"
expect_in all.out "^load: " "the run ends with a line on the machine's load"
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
    if $python - "$tmp/all.json" "$targets" >"$tmp/keys.out" 2>&1 <<'PY'
import json, sys
need = ["experiment", "method", "role", "size", "size_unit", "unit", "median", "min", "max",
        "vs_limit", "vs_naive", "reps", "warmup", "times_s", "target", "load", "ratios", "machine",
        "layout", "versions", "run", "load_start", "command", "date"]
bad = 0
ntargets = 0
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
    t = j["target"]
    if t is not None:
        ntargets += 1
        if t.get("bound") not in (">=", "<=") or t.get("met") not in (True, False) or \
                not isinstance(t.get("value"), (int, float)) or not t.get("of") or "at_limit" not in t:
            print("line %d: target %r" % (n, t)); bad = 1
    ld = j["load"]
    for k in ("loadavg_before", "loadavg_after", "others_cores", "steal", "cores", "bench_ranks",
              "busy", "why"):
        if k not in ld: print("line %d: load lacks %s" % (n, k)); bad = 1
    if ld.get("bench_ranks") != 2 or not isinstance(ld.get("busy"), bool):
        print("line %d: load %r" % (n, ld)); bad = 1
    if set(j["load_start"]) != {"loadavg", "cores", "busy"}:
        print("line %d: load_start %r" % (n, j["load_start"])); bad = 1
if ntargets != int(sys.argv[2]):
    print("%d figures with a target in the JSON, %s in the table" % (ntargets, sys.argv[2])); bad = 1
want = {"limits", "share", "io", "blas", "init", "elementwise", "latency", "dtypes", "order",
        "redist", "broadcast", "axes"}
if exps != want:
    print("experiments %s, not %s" % (sorted(exps), sorted(want))); bad = 1
sys.exit(bad)
PY
    then
        pass "every JSON line is valid and has the figure, machine (with the CPU), layout, versions and command"
        pass "the $targets targets of the JSON are shown once each, in the table's target column"
    else
        fail "the JSON lines are incomplete:"
        show "$tmp/keys.out"
    fi
fi

echo "--- the load: BUSY above the cores, from a made-up /proc (PARRAY_BENCH_PROC)"
mkdir -p "$tmp/proc"
cores=$(getconf _NPROCESSORS_ONLN)
# The stat counters stand still, so only the load average judges.
printf 'cpu  100 0 50 1000 0 0 0 0 0 0\n' >"$tmp/proc/stat"
printf '%s.50 %s.50 %s.50 9/300 1234\n' $((cores + 2)) $((cores + 2)) $((cores + 2)) >"$tmp/proc/loadavg"
PARRAY_BENCH_PROC=$tmp/proc run busy "$PARRAY" bench blas $tiny --json "$tmp/busy.json"
expect_rc 0 "parray bench blas with a made-up load above the cores"
expect_in busy.out "^load: BUSY: 1-minute load average $((cores + 2))\.50 on $cores cores before the run" \
    "the header says the machine was busy"
expect_in busy.out "^  note: load: BUSY during blas: load average $((cores + 2))\.50 on $cores cores?, above the cores" \
    "a note under the experiment says why"
expect_in busy.out "^load: BUSY during blas " "the last line names the busy experiments"
if [ -n "$python" ] && $python - "$tmp/busy.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = lines and all(j["load"]["busy"] and j["load"]["why"] == ["loadavg"] and j["load_start"]["busy"]
                   for j in lines)
sys.exit(0 if ok else 1)
PY
then
    pass "the JSON lines say busy, why, and busy at the start"
elif [ -n "$python" ]; then
    fail "the JSON lines do not say busy:"
    show "$tmp/busy.json"
fi
printf '0.00 0.00 0.00 1/300 1234\n' >"$tmp/proc/loadavg"
PARRAY_BENCH_PROC=$tmp/proc run quiet "$PARRAY" bench blas $tiny
expect_rc 0 "parray bench blas with a made-up load of 0"
expect_in quiet.out "^load: 1-minute load average 0\.00 on $cores cores? before the run" \
    "the header gives the load average"
if grep -q "BUSY" "$tmp/quiet.out"; then
    fail "a quiet machine is called busy"
    show "$tmp/quiet.out"
else
    pass "a quiet machine is not called busy"
fi
expect_in quiet.out "^load: no experiment looked busy" \
    "the last line says so, and that the counters (standing still) did not judge"

echo "--- --compare against the same run's file"
run cmp $mpirun -n 2 "$PARRAY" bench init $tiny --compare "$tmp/all.json"
expect_rc 0 "parray bench init --compare all.json"
expect_in cmp.out "^compare: .*all.json -> this run \(2 ranks\)" "it names the old file"
num="[0-9.e+-]+"
expect_in cmp.out "^init +parray pa_full, per node +100 k elem +$num +$num +GB/s +$num\.\.$num +$num\.\.$num +[+-][0-9.]+%" \
    "each figure shows the old and new median, their min..max ranges and the change"
expect_in cmp.out "^only in .*all.json \(not measured in this run\):" \
    "the figures of the other experiments are listed as missing from this run"
expect_in cmp.out "^compare: [0-9]+ figures compared, [0-9]+ REGRESSIONS? " "a summary line counts them"

if [ -n "$python" ]; then
    echo "--- --compare flags a regression only when the min..max ranges are apart"
    # An old run a million times faster at everything, every repetition of
    # it: every figure of the new run is a regression, whatever this
    # machine's noise (a loaded machine spreads one figure's repetitions
    # over 200x). Then the same medians, but an old run whose range spans the new
    # one (a repetition 10 times slower, another 100 times faster): noise.
    $python - "$tmp/all.json" "$tmp/fast.json" "$tmp/wide.json" <<'PY'
import json, sys
fast, wide = open(sys.argv[2], "w"), open(sys.argv[3], "w")
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["method"] == "parray sum (tree), per node":
        j["method"] = "an old method"
    time = j["unit"] == "s"
    f = 1e-6 if time else 1e6  # a million times faster
    lo, hi = j["min"], j["max"]
    j["median"], j["min"], j["max"] = j["median"] * f, lo * f, hi * f
    fast.write(json.dumps(j) + "\n")
    # The slowest old repetition 1000 times slower than the new run's
    # slowest: the old range spans the new one.
    j["min"], j["max"] = (lo * f, hi * 1000) if time else (lo / 1000, hi * f)
    wide.write(json.dumps(j) + "\n")
PY
    run reg $mpirun -n 2 "$PARRAY" bench init $tiny --compare "$tmp/fast.json" --threshold 50
    expect_rc 0 "parray bench init --compare fast.json"
    expect_in reg.out "^init +parray pa_full, per node .* -(9[0-9.]+|100\.0)% +REGRESSION$" \
        "a figure a million times slower than before is flagged REGRESSION"
    expect_in reg.out "^only in this run" "a figure missing from the old file is listed"
    expect_in reg.out "^  init +parray sum \(tree\), per node" "... by name"
    expect_in reg.out "^  init +an old method " "a figure missing from this run is listed"
    expect_in reg.out "REGRESSIONS \(worse than 50%, ranges apart\)" "the summary gives the rule"
    run noise $mpirun -n 2 "$PARRAY" bench init $tiny --compare "$tmp/wide.json" --threshold 50
    expect_rc 0 "parray bench init --compare wide.json"
    expect_in noise.out "^init +parray pa_full, per node .* -(9[0-9.]+|100\.0)% +ranges overlap: noise$" \
        "a figure far slower in its median, within the old run's range, is noise"
    if grep -q "REGRESSION$" "$tmp/noise.out"; then
        fail "a change within overlapping ranges is flagged REGRESSION"
        show "$tmp/noise.out"
    else
        pass "no change within overlapping ranges is flagged REGRESSION"
    fi
    expect_in noise.out "^compare: [0-9]+ figures compared, 0 REGRESSIONS .*, [1-9][0-9]* changed by more than 50% within overlapping ranges \(noise\)" \
        "the summary counts the noise apart"
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

    # The committed sample: a quick run at 2 ranks on a 2-core AMD EPYC,
    # busy, with every role and io's three kinds of figures.
    mkdir -p "$tmp/gp"
    PARRAY_PLOT_SCRIPTS=$tmp/gp run sample $python "$srcdir/scripts/plot-bench" \
        "$srcdir/tests/bench-sample.json" "$tmp/sample"
    expect_rc 0 "scripts/plot-bench tests/bench-sample.json"
    for e in limits $sample_experiments; do
        if [ "$(head -c 4 "$tmp/sample/$e.png" 2>/dev/null | od -An -c | tr -d ' \n')" != "211PNG" ]; then
            fail "no PNG $e.png from the sample"
            continue
        fi
        expect_in "gp/$e.gp" "parray bench $e: .*, 2 ranks on 1 node, quick run" \
            "$e.png's title names the experiment, its size, the ranks and quick"
        expect_in "gp/$e.gp" "AMD EPYC, 2 cores .*; higher is better" \
            "$e.png's title names the machine and says higher is better"
        expect_in "gp/$e.gp" "BUSY while these were measured" "$e.png warns that the machine was busy"
    done
    expect_in gp/io.gp "set title \"HDF5: GB/s, size" "io.png has an HDF5 panel"
    expect_in gp/io.gp "set title \"many files: GB/s, size" "... a many-files panel"
    expect_in gp/io.gp "set title \"CSV: MB/s/rank, size" "... and a CSV panel"
    expect_in gp/io.gp "set label \"vs limit\"" "the ratios are drawn beside the bars"
    expect_in gp/io.gp "set label \"0.231x\" at graph" "... with their values"
    expect_in gp/io.gp "set label \"not met\" at graph .* tc rgb" "... and the targets"
    expect_in gp/io.gp "with labels left" "every bar's value is written at its end, however small"
    # The legend names the roles shown: share has another reference (the
    # first touch), blas none; io has no other reference either.
    expect_in gp/share.gp "set label \"another reference\"" "share's legend names the other reference"
    for e in blas io; do
        if grep -q "another reference" "$tmp/gp/$e.gp"; then
            fail "$e's legend names a role it does not show"
        else
            pass "$e's legend names only the roles it shows"
        fi
    done
    # Every bar colour has its legend entry: each role among an experiment's
    # figures (and the limits drawn from the limits experiment) is named.
    if $python - "$srcdir/tests/bench-sample.json" "$tmp/gp" >"$tmp/legend.out" 2>&1 <<'PY'
import json, os, sys
names = {"limit": "this machine's limit", "naive": "the naive way", "parray": "parray",
         "other": "another reference"}
roles = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    r = roles.setdefault(j["experiment"], set())
    r.add(j["role"])
    if any(x["role"] == "limit" for x in j["ratios"]):
        r.add("limit")
bad = 0
for e, rs in roles.items():
    gp = open(os.path.join(sys.argv[2], e + ".gp")).read()
    for role in rs:
        if 'set label "%s"' % names[role] not in gp:
            print("%s.png: no legend entry for %s" % (e, role)); bad = 1
sys.exit(bad)
PY
    then
        pass "every bar colour has a legend entry"
    else
        fail "bars without a legend entry:"
        show "$tmp/legend.out"
    fi

    run plotbad $python "$srcdir/scripts/plot-bench" "$tmp/junk.json" "$tmp/png2"
    expect_rc 1 "scripts/plot-bench on a file that is not bench JSON"
    expect_in plotbad.err "junk.json:1: not a JSON line" "the message names the file and line"
fi

finish
