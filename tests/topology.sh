#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray info` on machines this one is not, described to hwloc through
# PARRAY_TOPOLOGY: 2 packages x 2 NUMA nodes x 8 cores x 2 hardware threads at 4
# ranks (one NUMA node each), at 2 ranks (shares spanning NUMA nodes: warned), as
# 2 emulated nodes; a 4-core laptop; the same big machine restricted to CPUs 12-28
# by a Slurm job's cgroup (tests/data/slurm-2x2x8x2.xml, the synthetic machine with
# hwloc_topology_allow of 12-28, exported by hwloc_topology_export_xml); and a bad
# description (a clear error, exit 1). hwloc binds nothing on a described machine,
# so only the plan and the report are checked.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT SLURM_JOB_ID
# One BLAS thread per rank: the described machines have more cores than this one.
PARRAY_BLAS_THREADS=1
export PARRAY_BLAS_THREADS

need_parray
need_mpirun
make_tmp topology
find_python
[ -n "$python" ] || { echo "SKIP: no python3 to read the JSON"; exit 77; }

big="pack:2 numa:2 core:8 pu:2"

# info NAME TOPOLOGY NP [VAR=VALUE...]: parray info --json at NP ranks on TOPOLOGY,
# with the variables set on every rank; expects exit status 0.
info() {
    name=$1 topo=$2 np=$3
    shift 3
    xs="-x PARRAY_TOPOLOGY -x PARRAY_BLAS_THREADS"
    for v in "$@"; do xs="$xs -x ${v%%=*}"; done
    run "$name" env PARRAY_TOPOLOGY="$topo" "$@" $mpirun $xs -n "$np" "$PARRAY" info --json
    expect_rc 0 "$name: parray info --json at $np ranks"
}

# check NAME WHAT EXPR WANT: EXPR over the JSON object j of $tmp/NAME.out is WANT.
check() {
    got=$($python -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$tmp/$1.out" "$3" 2>"$tmp/$1.pyerr")
    if [ "$got" = "$4" ]; then
        pass "$2"
    else
        fail "$2: $3 is '$got', not '$4'"
        show "$tmp/$1.out"
        show "$tmp/$1.pyerr"
    fi
}

machine='[(n["packages"], n["numa_nodes"], n["physical_cores"], n["smt"]) for n in j["node_list"]]'
numa='[r["numa"] for r in j["rank_list"]]'
spans='[w for w in j["warnings"] if "NUMA" in w]'

echo "--- $big at 4 ranks: one NUMA node each"
info big4 "$big" 4
check big4 "the node shows 2 packages, 4 NUMA nodes, 32 cores, SMT 2" "$machine" '[(2, 4, 32, 2)]'
check big4 "each rank's cores lie in a NUMA node of its own" "$numa" '[[0], [1], [2], [3]]'
check big4 "each rank has 8 whole cores (16 CPUs)" '[len(r["cores"]) for r in j["rank_list"]]' \
    '[16, 16, 16, 16]'
check big4 "no warning about NUMA nodes" "$spans" '[]'
run big4_text env PARRAY_TOPOLOGY="$big" $mpirun -x PARRAY_TOPOLOGY -x PARRAY_BLAS_THREADS -n 4 \
    "$PARRAY" info
expect_rc 0 "big4: parray info (text)"
expect_in big4_text.out '^ +node +host +ranks +cores +BLAS threads +packages +NUMA nodes +physical cores +SMT$' \
    "the node table has the machine's columns, last"
expect_in big4_text.out '^ +0 +[^ ]+ +0-3 \(4\) +0-63 \(64\) +4 +2 +4 +32 +2$' "and its values"
expect_in big4_text.out '^ +rank +node +node rank +host +cores .* +affinity +NUMA$' \
    "the rank table has NUMA, last"

echo "--- $big at 2 ranks: a package each, spanning 2 NUMA nodes (warned)"
info big2 "$big" 2
check big2 "each rank's cores span 2 NUMA nodes" "$numa" '[[0, 1], [2, 3]]'
check big2 "one warning names both ranks and the span" \
    '[w.split(";")[0] for w in j["warnings"] if "NUMA" in w]' \
    "['ranks 0-1: their CPUs span 2 NUMA nodes each, so their memory cannot all lie near their threads']"

echo "--- $big at 4 ranks as 2 emulated nodes"
info emu "$big" 4 PARRAY_RANKS_PER_NODE=2
check emu "each emulated node shows its half: 1 package, 2 NUMA nodes, 16 cores" "$machine" \
    '[(1, 2, 16, 2), (1, 2, 16, 2)]'
check emu "the shares of the machine's 4 ranks stay one NUMA node each" "$numa" \
    '[[0], [1], [2], [3]]'

echo "--- a laptop: 1 package, 1 NUMA node, 4 cores, no SMT"
info laptop "pack:1 numa:1 core:4 pu:1" 3
check laptop "the node shows it" "$machine" '[(1, 1, 4, 1)]'
check laptop "3 ranks get 1, 1 and 2 cores" '[len(r["cores"]) for r in j["rank_list"]]' '[1, 1, 2]'
check laptop "no warning about NUMA nodes" "$spans" '[]'

echo "--- a Slurm job given CPUs 12-28 of $big"
info slurm "$srcdir/tests/data/slurm-2x2x8x2.xml" 3 SLURM_JOB_ID=1
check slurm "the node's cores are the job's" 'j["node_list"][0]["cores"] == list(range(12, 29))' True
check slurm "1 package, 2 NUMA nodes, 9 cores under them" "$machine" '[(1, 2, 9, 2)]'
check slurm "rank 0 has NUMA node 0's 2 cores, ranks 1-2 NUMA node 1's 7" \
    '[(r["cores"][0], r["cores"][-1], r["numa"]) for r in j["rank_list"]]' \
    '[(12, 15, [0]), (16, 21, [1]), (22, 28, [1])]'

echo "--- a description hwloc cannot read"
run bad env PARRAY_TOPOLOGY="pack:lots" "$PARRAY" info
expect_rc 1 "PARRAY_TOPOLOGY=pack:lots"
expect_in bad.err "PARRAY_TOPOLOGY='pack:lots' is neither an hwloc synthetic description" \
    "the message names the setting and what it must be"
run missing env PARRAY_TOPOLOGY="$tmp/none.xml" "$PARRAY" info
expect_rc 1 "PARRAY_TOPOLOGY=a missing XML file"

summary "topology: all checks passed" "topology: some checks FAILED"
