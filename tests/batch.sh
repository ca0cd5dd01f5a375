#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# The batch scripts in scripts/slurm and scripts/pbs, run for real on this
# machine with small sizes: `bash -n` on each, then each script as a whole,
# its parray command lines started
#   - by the script's own mpirun line (LAUNCHER=mpirun: its --map-by ppr:R:node:pe=T
#     --bind-to core flags), with R x T fitting this machine's cores, and with
#     PARRAY_AFFINITY=keep, so that the launcher's binding alone must give each
#     rank its T cores (parray's own plan would widen a wrong binding here);
#   - by its srun line (LAUNCHER=srun), with a stand-in srun on PATH that runs the
#     same program under mpirun with the binding srun's options ask for
#     (--cpus-per-task=T --cpu-bind=cores: --map-by slot:pe=T --bind-to core);
#   - at 4 ranks on 2 emulated nodes, oversubscribed (LAUNCH given whole).
# Each run checks what the scripts promise: every rank has T cores of its own
# (disjoint) and T BLAS threads in effect, with no warning where R x T fits; and
# the results are right: the stats count, pack's stack holds exactly the data it
# was unpacked from (equal sums, bit for bit), and the matmul's sum matches
# sum_k colsum(A)_k rowsum(B)_k.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per script run, default 300).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 300

need_parray
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
need_mpirun

# What the scripts read from the environment or the batch system: none of it
# may leak in from the caller (a make check inside a Slurm job, say).
unset LAUNCH LAUNCHER RANKS_PER_NODE THREADS MPIRUN_FLAGS WORK ROWS FILES FILE_ROWS N MODE \
    OMP_NUM_THREADS OPENBLAS_NUM_THREADS PARRAY_BLAS_THREADS PARRAY_AFFINITY \
    PARRAY_RANKS_PER_NODE PARRAY_FAULT PBS_NODEFILE PBS_O_WORKDIR PBS_JOBID \
    SLURM_JOB_ID SLURM_JOBID SLURM_NTASKS_PER_NODE SLURM_CPUS_PER_TASK SLURM_SUBMIT_DIR

make_tmp batch

# The scripts' launch lines get only --allow-run-as-root (when root): they
# choose their own mapping.
flags=$allow_root
cores=$(nproc 2>/dev/null || echo 1)

# Only the last lines of a long output are shown.
show() { sed 's/^/    | /' "$1" | tail -n 40; }

slurm="$srcdir/scripts/slurm"
pbs="$srcdir/scripts/pbs"
scripts="$slurm/one-node.sbatch $slurm/multi-node.sbatch $slurm/hybrid.sbatch $pbs/hybrid.pbs"

echo "--- syntax (bash -n)"
for s in $scripts; do
    if [ ! -f "$s" ]; then
        fail "$s is missing"
    elif bash -n "$s" 2>"$tmp/syntax.err"; then
        pass "bash -n $(basename "$s")"
    else
        fail "bash -n $(basename "$s")"
        show "$tmp/syntax.err"
    fi
done
for s in "$slurm"/* "$pbs"/*; do
    case " $scripts " in *" $s "*) ;; *) fail "$s is not run by this test" ;; esac
done

# The srun stand-in. srun inside an allocation starts the job's tasks; here
# BATCH_NP says how many. It records its options in srun.log.
mkdir "$tmp/bin"
cat >"$tmp/bin/srun" <<'EOF'
#!/bin/sh
pe=1 bind=core
echo "srun $*" >>"$BATCH_TMP/srun.log"
while [ $# -gt 0 ]; do
    case $1 in
    --cpus-per-task=*) pe=${1#*=} ;;
    --cpu-bind=cores) bind=core ;;
    --cpu-bind=none) bind=none ;;
    --) shift; break ;;
    -*) echo "srun stand-in: option $1 is not emulated" >&2; exit 99 ;;
    *) break ;;
    esac
    shift
done
if [ "$bind" = core ]; then
    exec $BATCH_MPIRUN -n "$BATCH_NP" --map-by "slot:pe=$pe" --bind-to core "$@"
fi
exec $BATCH_MPIRUN -n "$BATCH_NP" --bind-to none "$@"
EOF
chmod +x "$tmp/bin/srun"

# run NAME SCRIPT VAR=VALUE...: runs the script with bash under the timeout, in
# its own directory $tmp/NAME, with stdout in $tmp/NAME.out and stderr in
# $tmp/NAME.err; checks that it exits 0.
run() {
    name=$1
    script=$2
    shift 2
    mkdir -p "$tmp/$name"
    (cd "$tmp/$name" && env PATH="$tmp/bin:$PATH" BATCH_TMP="$tmp" BATCH_MPIRUN="$MPIRUN $flags" \
        PARRAY="$PARRAY" MPIRUN="$MPIRUN" MPIRUN_FLAGS="$flags" WORK="$tmp/$name/work" "$@" \
        timeout -k 10 "$limit" bash "$script") >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    case $rc in
    0) pass "$name: $(basename "$script") exits 0" ;;
    124 | 137) fail "$name: timed out after ${limit}s" ;;
    *) fail "$name: $(basename "$script") exits $rc" ;;
    esac
    [ "$rc" -eq 0 ] || { show "$tmp/$name.out"; show "$tmp/$name.err"; }
}

# plan NAME NP T: the Ranks table of the script's `parray info` shows NP ranks,
# each with T cores, T BLAS threads planned and T in effect, the ranks' cores
# disjoint, and no warning.
plan() {
    if awk -v np="$2" -v t="$3" '
        function ncpus(list,   n, i, a, r) {
            n = split(list, a, ",")
            c = 0
            for (i = 1; i <= n; i++) {
                if (split(a[i], r, "-") == 2) { for (k = r[1]; k <= r[2]; k++) if (used[k]++) dup = 1; c += r[2] - r[1] + 1 }
                else { if (used[a[i]]++) dup = 1; c++ }
            }
            return c
        }
        /^Ranks$/ { on = 1; next }
        on && /^ *rank +node/ { if ($0 !~ /cores +BLAS threads +in effect/) bad = "columns " $0; next }
        on && /^$/ { on = 0; next }
        on { rows++; if (ncpus($5) != t || $6 != t || $7 != t) bad = bad " [" $0 "]" }
        /^Warnings: none$/ { none = 1 }
        END {
            if (rows != np) bad = bad " rows " rows
            if (dup) bad = bad " shared cores"
            if (!none) bad = bad " warnings"
            if (bad != "") { print bad; exit 1 }
        }' "$tmp/$1.out" >"$tmp/plan.err"; then
        pass "$1: $2 rank(s), each with $3 core(s) of its own and $3 BLAS thread(s), no warning"
    else
        fail "$1: the plan is not $2 x $3: $(cat "$tmp/plan.err")"
        show "$tmp/$1.out"
    fi
}

# stat NAME FIELD: the FIELD (1 count, 2 sum, 5 min) of the last stats table of
# NAME's output.
stat() {
    awk -v f="$2" '/^count sum mean std min max any all$/ { getline; v = $f } END { print v }' "$tmp/$1.out"
}

# expect NAME WHAT GOT WANT
expect() {
    if [ "$3" = "$4" ]; then pass "$1: $2 = $4"; else fail "$1: $2 = '$3', not '$4'"; fi
}

# --- one node: r = sqrt(x^2 + y^2) over (ROWS, 2) inputs.
check_one_node() {
    expect "$1" "count of r" "$(stat "$1" 1)" 2000
    awk -v m="$(stat "$1" 5)" 'BEGIN { exit !(m >= 0) }' && pass "$1: min of r >= 0" ||
        fail "$1: min of r is $(stat "$1" 5)"
}
echo "--- slurm/one-node.sbatch"
if [ "$cores" -ge 2 ]; then
    run one-mpirun "$slurm/one-node.sbatch" LAUNCHER=mpirun PARRAY_AFFINITY=keep RANKS_PER_NODE=2 ROWS=1000
    plan one-mpirun 2 1
    check_one_node one-mpirun
fi
run one-srun "$slurm/one-node.sbatch" LAUNCHER=srun BATCH_NP=2 ROWS=1000
[ "$cores" -lt 2 ] || plan one-srun 2 1
check_one_node one-srun
grep -q -- '--cpus-per-task=1 --cpu-bind=cores' "$tmp/srun.log" &&
    pass "one-srun: srun got --cpus-per-task=1 --cpu-bind=cores" || fail "one-srun: srun's options"

# --- several nodes: gen, unpack to 12 files, pack them back, stats.
check_multi() {
    expect "$1" "count of the stack" "$(stat "$1" 1)" $((12 * 8 * 16))
    grep -q '^pack: 12 files' "$tmp/$1.out" && pass "$1: pack read 12 files" || fail "$1: pack's line"
    # The source, summed the same way: the stack must hold exactly its data.
    src=$(timeout -k 10 60 "$PARRAY" stats "$tmp/$1/work/src.h5:/x" |
        awk '/^count sum/ { getline; print $2 }')
    expect "$1" "sum of the stack" "$(stat "$1" 2)" "$src"
}
echo "--- slurm/multi-node.sbatch"
if [ "$cores" -ge 2 ]; then
    run multi-mpirun "$slurm/multi-node.sbatch" LAUNCHER=mpirun PARRAY_AFFINITY=keep RANKS_PER_NODE=2 FILES=12 FILE_ROWS=8
    plan multi-mpirun 2 1
    check_multi multi-mpirun
fi
run multi-nodes2 "$slurm/multi-node.sbatch" PARRAY_RANKS_PER_NODE=2 FILES=12 FILE_ROWS=8 \
    LAUNCH="$MPIRUN $flags -n 4 --oversubscribe -x PARRAY_RANKS_PER_NODE"
grep -Eq '^ +nodes +2( |$)' "$tmp/multi-nodes2.out" && pass "multi-nodes2: info shows 2 nodes" ||
    fail "multi-nodes2: info does not show 2 nodes"
check_multi multi-nodes2

# --- hybrid: C = A x B, n = 96; the reference sum of C from A's column sums
# and B's row sums.
check_hybrid() {
    grep -q 'GFLOP/s' "$tmp/$1.out" && pass "$1: matmul reports GFLOP/s" || fail "$1: no matmul line"
    expect "$1" "count of C" "$(stat "$1" 1)" $((96 * 96))
    timeout -k 10 60 "$PARRAY" stats "$tmp/$1/work/a.h5:/A" --axis 0 >"$tmp/cols" &&
        timeout -k 10 60 "$PARRAY" stats "$tmp/$1/work/b.h5:/B" --axis 1 >"$tmp/rows" ||
        fail "$1: stats of A and B"
    if awk -v got="$(stat "$1" 2)" '
        FNR == 1 { file++ } $1 ~ /^[0-9]+$/ { s[file, $1] = $3 }
        END {
            for (k = 0; k < 96; k++) ref += s[1, k] * s[2, k]
            d = got - ref; if (d < 0) d = -d
            printf "sum %s, reference %.17g\n", got, ref
            exit !(ref > 0 && d <= 1e-9 * ref)
        }' "$tmp/cols" "$tmp/rows" >"$tmp/ref.out"; then
        pass "$1: sum of C matches the reference ($(cat "$tmp/ref.out"))"
    else
        fail "$1: sum of C is wrong ($(cat "$tmp/ref.out"))"
    fi
}
echo "--- slurm/hybrid.sbatch"
if [ "$cores" -ge 2 ]; then
    run hybrid-mpirun "$slurm/hybrid.sbatch" LAUNCHER=mpirun PARRAY_AFFINITY=keep RANKS_PER_NODE=1 THREADS=2 N=96
    plan hybrid-mpirun 1 2
    check_hybrid hybrid-mpirun
    run hybrid-mpirun2 "$slurm/hybrid.sbatch" LAUNCHER=mpirun PARRAY_AFFINITY=keep RANKS_PER_NODE=2 THREADS=1 N=96 \
        MODE=split
    plan hybrid-mpirun2 2 1
    check_hybrid hybrid-mpirun2
    run hybrid-srun "$slurm/hybrid.sbatch" LAUNCHER=srun BATCH_NP=1 THREADS=2 N=96 MODE=lend
    plan hybrid-srun 1 2
    check_hybrid hybrid-srun
    grep -q -- '--cpus-per-task=2 --cpu-bind=cores' "$tmp/srun.log" &&
        pass "hybrid-srun: srun got --cpus-per-task=2 --cpu-bind=cores" || fail "hybrid-srun: srun's options"
fi
run hybrid-nodes2 "$slurm/hybrid.sbatch" PARRAY_RANKS_PER_NODE=2 THREADS=1 N=96 MODE=split \
    LAUNCH="$MPIRUN $flags -n 4 --oversubscribe -x PARRAY_RANKS_PER_NODE -x PARRAY_BLAS_THREADS"
check_hybrid hybrid-nodes2

# --- PBS: the same hybrid job through $PBS_NODEFILE (this host, one slot).
echo "--- pbs/hybrid.pbs"
if [ "$cores" -ge 2 ]; then
    hostname >"$tmp/nodefile"
    run pbs-mpirun "$pbs/hybrid.pbs" PARRAY_AFFINITY=keep PBS_NODEFILE="$tmp/nodefile" PBS_O_WORKDIR="$tmp" \
        RANKS_PER_NODE=1 THREADS=2 N=96
    plan pbs-mpirun 1 2
    check_hybrid pbs-mpirun
    grep -q -- "--hostfile $tmp/nodefile" "$tmp/pbs-mpirun.out" && pass "pbs-mpirun: mpirun got the node file" ||
        fail "pbs-mpirun: no --hostfile in the launch line"
fi
[ "$cores" -ge 2 ] || echo "  (1 core: the configurations with 2 ranks or 2 threads are skipped)"

summary "all passed" FAILED
