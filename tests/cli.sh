#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# The parray program from the outside: --help and --version, a subcommand's --help,
# an unknown subcommand, and `parray info` with one rank without mpirun, with 2
# ranks on one node (text and --json), with 2 emulated nodes, and with invalid
# PARRAY_RANKS_PER_NODE values (a clear error and exit status 1, no hang); an array
# larger than the available memory is refused at once with a message.
# Each check prints what it checks; the script fails if any check fails.
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
make_tmp cli
find_python

# json NAME EXPR: evaluates a Python expression over the JSON object in
# $tmp/NAME.out (bound to j) and prints the result; exit status 1 if the file is
# not one valid JSON object.
json() {
    $python -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert isinstance(j, dict)
print(eval(sys.argv[2]))' "$tmp/$1.out" "$2" 2>"$tmp/$1.pyerr"
}

# check_json NAME WHAT EXPR WANT: JSON field check with python3, else a grep of the
# flattened text for the fallback pattern FALLBACK (optional fifth argument).
check_json() {
    if [ -n "$python" ]; then
        got=$(json "$1" "$3")
        if [ "$got" = "$4" ]; then
            pass "$2"
        else
            fail "$2: $3 is '$got', not '$4'"
            show "$tmp/$1.out"
            [ -s "$tmp/$1.pyerr" ] && show "$tmp/$1.pyerr"
        fi
    elif [ -n "${5:-}" ]; then
        tr -d ' \n' <"$tmp/$1.out" >"$tmp/$1.flat"
        expect_in "$1.flat" "$5" "$2 (grep)"
    fi
}

echo "--- parray --help"
run help "$PARRAY" --help
expect_rc 0 "parray --help"
expect_in help.out '^usage: parray' "--help prints the usage"
expect_in help.out '^ +info ' "--help lists the info subcommand"

echo "--- parray --version"
run version "$PARRAY" --version
expect_rc 0 "parray --version"
expect_in version.out '^parray [0-9]+\.[0-9]+' "--version prints 'parray X.Y...'"

echo "--- parray with no arguments"
run noargs "$PARRAY"
expect_rc 2 "parray with no arguments"
expect_in noargs.err 'usage: parray' "it prints the usage on stderr"

echo "--- parray info --help"
run infohelp "$PARRAY" info --help
expect_rc 0 "parray info --help"
expect_in infohelp.out '^usage: parray info' "it prints the info usage"
expect_in infohelp.out '--json' "the usage names --json"

echo "--- unknown subcommand"
run unknown "$PARRAY" no-such-subcommand
expect_rc 2 "parray no-such-subcommand"
expect_in unknown.err "unknown subcommand 'no-such-subcommand'" "the message names the subcommand"

echo "--- parray info with an unknown option"
run badopt "$PARRAY" info --no-such-option
expect_rc 2 "parray info --no-such-option"
expect_in badopt.err "parray: info: unknown option --no-such-option" "the message names the option"

echo "--- parray info, 1 rank without mpirun"
run single "$PARRAY" info
expect_rc 0 "parray info (no mpirun)"
expect_in single.out '^ +ranks +1$' "it shows 1 rank"
expect_in single.out '^ +nodes +1$' "it shows 1 node, not emulated"
expect_in single.out '^ +BLAS +' "it shows the BLAS"
expect_in single.out '^ +MPI +' "it shows the MPI library"
expect_in single.out '^ +HDF5 +[0-9]+\.[0-9]+\.[0-9]+ \(parallel\)' "it shows parallel HDF5"
expect_in single.out "^ +parray +[0-9]" "it shows parray's version"

echo "--- parray info --json, 1 rank without mpirun"
run single_json "$PARRAY" info --json
expect_rc 0 "parray info --json (no mpirun)"
if [ -n "$python" ]; then
    if json single_json 1 >/dev/null; then
        pass "the output is one valid JSON object"
    else
        fail "the output is not valid JSON"
        show "$tmp/single_json.out"
        show "$tmp/single_json.pyerr"
    fi
fi
check_json single_json "it shows 1 rank" 'j["ranks"]' 1 '"ranks":1,'
check_json single_json "the rank's planned BLAS threads took effect" \
    'all(r["blas_threads"] == r["blas_threads_in_effect"] for r in j["rank_list"])' True

echo "--- mpirun -n 2 parray info"
run np2 $mpirun -n 2 "$PARRAY" info
expect_rc 0 "mpirun -n 2 parray info"
expect_in np2.out '^ +ranks +2$' "it shows 2 ranks"
expect_in np2.out '^ +nodes +1$' "it shows 1 node, not emulated"
if [ "$(grep -c '^parray ' "$tmp/np2.out")" -eq 1 ]; then
    pass "only rank 0 prints"
else
    fail "the report is printed more than once"
fi

echo "--- mpirun -n 2 parray info --json"
run np2_json $mpirun -n 2 "$PARRAY" info --json
expect_rc 0 "mpirun -n 2 parray info --json"
check_json np2_json "it shows 2 ranks" 'j["ranks"]' 2 '"ranks":2,'
check_json np2_json "it shows 1 node" 'j["nodes"]' 1 '"nodes":1,'
check_json np2_json "the node is not emulated" 'j["emulated"]' 0 '"emulated":0,'
check_json np2_json "node 0 holds ranks 0 and 1" 'j["node_list"][0]["ranks"]' '[0, 1]' \
    '"ranks":\[0,1\]'
check_json np2_json "the rank list has ranks 0 and 1 on node 0" \
    '[(r["rank"], r["node"], r["node_rank"]) for r in j["rank_list"]]' '[(0, 0, 0), (1, 0, 1)]'
check_json np2_json "each rank has a host name and cores" \
    'all(r["hostname"] and r["cores"] for r in j["rank_list"])' True
check_json np2_json "the JSON names the BLAS, MPI and HDF5" \
    'bool(j["blas"]["config"] and j["mpi_library"] and j["hdf5_version"] and j["parray_version"])' True
check_json np2_json "warnings is a list" 'type(j["warnings"]).__name__' list

echo "--- mpirun -n 2 with PARRAY_RANKS_PER_NODE=1: 2 emulated nodes"
run emu env PARRAY_RANKS_PER_NODE=1 $mpirun -x PARRAY_RANKS_PER_NODE -n 2 "$PARRAY" info
expect_rc 0 "parray info with PARRAY_RANKS_PER_NODE=1"
expect_in emu.out '^ +nodes +2 \(emulated, PARRAY_RANKS_PER_NODE=1\)$' \
    "it shows 2 nodes marked emulated"
run emu_json env PARRAY_RANKS_PER_NODE=1 $mpirun -x PARRAY_RANKS_PER_NODE -n 2 "$PARRAY" info --json
expect_rc 0 "parray info --json with PARRAY_RANKS_PER_NODE=1"
check_json emu_json "it shows 2 nodes" 'j["nodes"]' 2 '"nodes":2,'
check_json emu_json "they are emulated with k=1" 'j["emulated"]' 1 '"emulated":1,'
check_json emu_json "one rank on each node" '[n["ranks"] for n in j["node_list"]]' '[[0], [1]]'

echo "--- a BLAS thread count above a rank's cores is warned about"
# mpirun binds each rank to one core when it starts 2 ranks or fewer.
run bound env PARRAY_BLAS_THREADS=2 $mpirun --bind-to core -x PARRAY_BLAS_THREADS -n 2 \
    "$PARRAY" info --json
expect_rc 0 "parray info with PARRAY_BLAS_THREADS=2 and one core per rank"
if [ -n "$python" ] &&
    [ "$(json bound 'min(len(r["cores"]) for r in j["rank_list"])')" = 1 ]; then
    check_json bound "a warning says the threads exceed the rank's core" \
        'any("allowed core" in w for w in j["warnings"])' True
fi

echo "--- a request beyond the available memory fails at once, touching nothing"
# 32 GB (more than MemAvailable, and than the test machines' RAM): refused by the
# node's leader before any window exists; the timeout catches a check that touches.
run mem32 $mpirun -n 2 "$PARRAY" gen "$tmp/mem.h5:/x" --shape 4000000000 --full 1
expect_rc 1 "gen of 32 GB"
expect_in mem32.err 'parray: gen: the node block of shape \(4000000000,\) f64 needs 29\.8 GiB \(32000004096 bytes\) on node 0, but .* is available \((MemAvailable|the cgroup)' \
    "the message names the need and the available memory"
# PARRAY_MEM_AVAILABLE, the testing aid, sets the figure: 8 MB needed, 1 MB there.
run mem1 env PARRAY_MEM_AVAILABLE=1000000 $mpirun -x PARRAY_MEM_AVAILABLE -n 2 "$PARRAY" \
    gen "$tmp/mem.h5:/x" --shape 1000000 --full 1
expect_rc 1 "gen of 8 MB with PARRAY_MEM_AVAILABLE=1000000"
expect_in mem1.err 'needs 7\.6 MiB \(8004096 bytes\) on node 0, but 976\.6 KiB is available \(PARRAY_MEM_AVAILABLE\)' \
    "the message names PARRAY_MEM_AVAILABLE"
if [ -e "$tmp/mem.h5" ]; then fail "a refused gen wrote $tmp/mem.h5"; else pass "nothing written"; fi

echo "--- invalid PARRAY_RANKS_PER_NODE"
for v in 0 -1 abc; do
    run "bad$v" env PARRAY_RANKS_PER_NODE="$v" "$PARRAY" info
    expect_rc 1 "PARRAY_RANKS_PER_NODE=$v, no mpirun,"
    expect_in "bad$v.err" 'PARRAY_RANKS_PER_NODE' "the message names PARRAY_RANKS_PER_NODE"
    run "badmpi$v" env PARRAY_RANKS_PER_NODE="$v" $mpirun -x PARRAY_RANKS_PER_NODE -n 2 "$PARRAY" info
    expect_rc 1 "PARRAY_RANKS_PER_NODE=$v under mpirun -n 2"
    expect_in "badmpi$v.err" 'PARRAY_RANKS_PER_NODE' "the message names PARRAY_RANKS_PER_NODE"
done

summary "PASS: all checks passed" "FAIL: some checks failed"
