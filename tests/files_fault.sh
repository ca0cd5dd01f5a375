#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# Paths that are not plain files, and files that differ between ranks, from
# the outside, under mpirun -n 2 (each run under a timeout: a hang fails):
#  - a FIFO, a socket (when python3 can bind one), a directory, a character
#    device (root only: a new node in the temporary directory, never
#    /dev/null) and a symbolic link to one, as the target of gen, calc (whole
#    and by row blocks), matmul and unpack, and as the input of stats, calc,
#    matmul and pack (.npy, CSV, raw): an error naming the path and what it
#    is, the path left as it was, no temporary; a link to a regular file is
#    saved through, and stays a link;
#  - per-rank views, as on nodes with local disks: a wrapper moves rank 1
#    into its own directory before it starts parray, and paths are relative.
#    An input that only rank 0 has, or that is another file on rank 1 (same
#    shape, other numbers), and an output directory that only rank 0 has:
#    stats, calc, gen, unpack, pack (and matmul for the first) fail on every rank with a
#    message naming the path and the ranks, nothing written, no temporary.
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 30).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 30
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT

need_parray
need_mpirun
find_python
make_tmp ffault

# fails_with REGEX WHAT: the last run exited 1 with REGEX in stderr.
fails_with() {
    if [ "$rc" -eq 1 ] && grep -Eq -- "$1" "$tmp/$name.err"; then
        pass "$2"
    else
        fail "$2: exit $rc, want 1 and /$1/"
        show "$tmp/$name.out"
        show "$tmp/$name.err"
    fi
}

# temps DIR: the temporaries under DIR.
temps() { find "$1" -name '.*.parray-tmp.*' | wc -l; }

# ---------------------------------------------------------------- kinds
echo "targets and inputs that are not regular files"
k=$tmp/k
mkdir "$k"
run gen_good $mpirun -n 2 "$PARRAY" gen "$k/good.h5:/x" --shape 4,3 --full 1
expect_rc 0 "gen a 4x3 input"
run gen_row $mpirun -n 2 "$PARRAY" gen "$k/good.h5:/row" --shape 1,3 --full 1
expect_rc 0 "gen a 1x3 input"

# The special files: a FIFO, a directory, a socket, a character device and
# a link to it (to the FIFO when not root), with the extensions that the
# commands below want.
for f in fifo0.h5 fifo0.npy fifo0.csv fifo0.raw; do mkfifo "$k/$f"; done
mkdir "$k/dir0.h5"
targets="fifo0.h5:FIFO dir0.h5:directory"
if [ -n "$python" ] &&
    $python -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$k/sock0.h5"; then
    targets="$targets sock0.h5:socket"
else
    echo "  (no python3: sockets skipped)"
fi
dev=fifo0 devkind=FIFO
if [ "$(id -u)" -eq 0 ]; then
    for f in dev0.h5 dev0.npy dev0.csv; do mknod -m 666 "$k/$f" c 1 3; done
    dev=dev0 devkind=character.device
else
    echo "  (not root: devices skipped)"
fi
ln -s "$dev.h5" "$k/link0.h5"
targets="$targets $dev.h5:$devkind link0.h5:$devkind"
kinds() { find "$k" -mindepth 1 ! -name out.h5 -printf '%M %f %l\n' | sort; }
kinds >"$tmp/kinds.before"

# refused FILE KIND WHAT CMD...: CMD fails, saying what FILE is.
refused() {
    f=$1 kind=$(echo "$2" | tr . ' ') what=$3
    shift 3
    run refused $mpirun -n 2 "$PARRAY" "$@"
    fails_with "$f: is an? $kind, not a regular file" "$what"
}
for t in $targets; do
    refused "${t%%:*}" "${t#*:}" "gen into ${t%%:*}" gen "$k/${t%%:*}:/x" --shape 4,3 --full 2
done
# Saves whose rename would replace the device (or the FIFO).
refused $dev.h5 $devkind "calc -o $dev.h5" calc 'y = x + 1' "x=$k/good.h5:/x" -o "$k/$dev.h5:/y"
refused $dev.h5 $devkind "calc --rows-per-block -o $dev.h5" \
    calc 'y = x + 1' "x=$k/good.h5:/x" -o "$k/$dev.h5:/y" --rows-per-block 2
refused $dev.h5 $devkind "matmul -o $dev.h5" \
    matmul "$k/good.h5:/x" "$k/good.h5:/row" -o "$k/$dev.h5:/c" --transB
for e in npy csv; do # unpack writes row 0 of a 1-row dataset as <name>0.<ext>
    refused $dev.$e $devkind "unpack into $dev.$e" unpack "$k/good.h5:/row" -o "$k/${dev%0}%d.$e"
done
# Inputs whose open would block.
refused fifo0.h5 FIFO "stats fifo0.h5" stats "$k/fifo0.h5:/x"
refused fifo0.h5 FIFO "calc x=fifo0.h5" calc 'y = x + 1' "x=$k/fifo0.h5:/x" -o "$k/out.h5:/y"
refused fifo0.h5 FIFO "calc --rows-per-block x=fifo0.h5" \
    calc 'y = x + 1' "x=$k/fifo0.h5:/x" -o "$k/out.h5:/y" --rows-per-block 2
refused fifo0.h5 FIFO "matmul fifo0.h5" matmul "$k/fifo0.h5:/x" "$k/good.h5:/row" -o "$k/out.h5:/c"
for e in npy csv raw; do
    refused fifo0.$e FIFO "pack fifo0.$e" pack "$k/fifo0.$e" -o "$k/out.h5:/p" --dtype f64
done
kinds >"$tmp/kinds.after"
if diff "$tmp/kinds.before" "$tmp/kinds.after" >/dev/null && [ "$(temps "$k")" -eq 0 ]; then
    pass "every special file is as it was, no temporary"
else
    fail "the directory changed"
    diff "$tmp/kinds.before" "$tmp/kinds.after" | show /dev/stdin
fi

# A link to a regular file is saved through: the file is replaced, the
# link stays.
run gen_real $mpirun -n 2 "$PARRAY" gen "$k/real.h5:/x" --shape 5 --full 1
ln -s real.h5 "$k/link.h5"
run gen_link $mpirun -n 2 "$PARRAY" gen "$k/link.h5:/x" --shape 5 --full 7
expect_rc 0 "gen through a link to a regular file"
run stats_real $mpirun -n 2 "$PARRAY" stats "$k/real.h5:/x"
[ -L "$k/link.h5" ] && grep -Eq '^5 35 7 ' "$tmp/stats_real.out" &&
    pass "the file it names holds the new data, the link is still a link" ||
    { fail "save through a link"; show "$tmp/stats_real.out"; kinds | show /dev/stdin; }

# ---------------------------------------------------------------- per rank
echo "files that differ between ranks (rank 1 in its own directory)"
v=$tmp/v
mkdir "$v" "$v/r0" "$v/r1"
cat >"$v/parray" <<EOF
#!/bin/sh
# Rank 1 sees its own directory, the others r0: node-local disks.
if [ "\${OMPI_COMM_WORLD_RANK:-0}" = 1 ]; then cd "$v/r1"; else cd "$v/r0"; fi || exit 98
exec "$PARRAY" "\$@"
EOF
chmod +x "$v/parray"
on() { # on NAME ARGS...: runs the wrapper at 2 ranks
    n=$1
    shift
    run "$n" $mpirun -n 2 "$v/parray" "$@"
}
# The state of both views; compared after each failure: nothing written.
snap() { (cd "$v" && find r0 r1 | sort && find r0 r1 -type f -exec cksum {} +) >"$tmp/$1"; }
same_as() { # same_as SNAP WHAT
    snap now
    if cmp -s "$tmp/$1" "$tmp/now"; then pass "$2: nothing written"; else
        fail "$2: files changed"
        diff "$tmp/$1" "$tmp/now" | show /dev/stdin
    fi
}

(cd "$v/r0" && "$PARRAY" gen x.h5:/x --shape 40,3 --random uniform --seed 1 >/dev/null &&
    "$PARRAY" gen x.npy.h5:/x --shape 2,3 --full 1 >/dev/null &&
    "$PARRAY" unpack x.npy.h5:/x -o 'in%d.npy' >/dev/null) ||
    { fail "cannot make the inputs"; finish; }

# readers_fail REGEX: every command that reads x.h5 fails with REGEX.
readers_fail() {
    on stats stats x.h5:/x
    fails_with "$1" "stats"
    on calc calc 'y = 2 * x' x=x.h5:/x -o y.h5:/y
    fails_with "$1" "calc"
    on calc_rows calc 'y = 2 * x' x=x.h5:/x -o y.h5:/y --rows-per-block 7
    fails_with "$1" "calc --rows-per-block"
    on matmul matmul x.h5:/x x.h5:/x -o y.h5:/c --transB
    fails_with "$1" "matmul"
    on unpack unpack x.h5:/x -o 'u%d.npy'
    fails_with "$1" "unpack"
}

echo " (a) an input that only rank 0 has"
snap a
readers_fail 'x\.h5: missing on rank 1 \(exists on rank 0\)'
# pack gives each file to one rank, which must have it.
on a_pack pack in0.npy in1.npy -o p.h5:/p
fails_with 'in[01]\.npy: No such file or directory' "pack"
same_as a "(a)"

echo " (b) rank 1 has another file of the same shape"
(cd "$v/r1" && "$PARRAY" gen x.h5:/x --shape 40,3 --random uniform --seed 2 >/dev/null &&
    touch -d '2001-01-01 12:00:00 UTC' x.h5) || fail "cannot make rank 1's file"
snap b
readers_fail 'x\.h5: differs between ranks: modification time .* UTC on rank 0, 2001-01-01 .* on rank 1'
same_as b "(b)"

echo " (c) an output directory that only rank 0 has"
cp -p "$v/r0/x.h5" "$v/r1/x.h5"
cp -p "$v/r0/in0.npy" "$v/r0/in1.npy" "$v/r1/"
mkdir "$v/r0/out"
snap c
on c_gen gen out/g.h5:/x --shape 1000,10 --full 1
fails_with 'out/g\.h5: the directory out: missing on rank 1 \(exists on rank 0\)' "gen"
on c_calc calc 'y = 2 * x' x=x.h5:/x -o out/y.h5:/y
fails_with 'out/y\.h5: the directory out: missing on rank 1' "calc"
on c_calc_rows calc 'y = 2 * x' x=x.h5:/x -o out/y.h5:/y --rows-per-block 7
fails_with 'out/y\.h5: the directory out: missing on rank 1' "calc --rows-per-block"
on c_pack pack in0.npy in1.npy -o out/p.h5:/p
fails_with 'out/p\.h5: the directory out: missing on rank 1' "pack"
on c_unpack unpack x.h5:/x -o 'out/u%d.npy'
fails_with "pattern 'out/u%d\.npy': the directory out: missing on rank 1 \(exists on rank 0\)" "unpack"
same_as c "(c)"
# A directory that unpack makes itself (rank 0 makes it, rank 1 does not see
# it) is removed again when the unpack fails.
on c_unpack_made unpack x.h5:/x -o 'made/sub/u%d.npy'
fails_with "pattern 'made/sub/u%d\.npy': the directory made/sub: missing on rank 1" "unpack into new directories"
same_as c "unpack into new directories: they are removed again, and"
# Two directories of one name: a file that all ranks write is refused,
# files that each rank writes alone go to its own.
mkdir "$v/r1/out"
snap c2
on c2_gen gen out/g.h5:/x --shape 1000,10 --full 1
fails_with 'out/g\.h5: the directory out is not one directory on every rank: the temporary \.g\.h5\.parray-tmp\.[^:]*: missing on rank 1 \(exists on rank 0\)' "gen into node-local directories"
same_as c2 "gen into node-local directories"
on c2_unpack unpack x.h5:/x -o 'out/u%d.npy'
expect_rc 0 "unpack into node-local directories"
[ "$(find "$v/r0/out" "$v/r1/out" -name 'u*.npy' | wc -l)" -eq 40 ] &&
    pass "each rank wrote its own rows' files" || fail "unpack: not 40 files"

# The control: the same file on both ranks works.
on ok_stats stats x.h5:/x
expect_rc 0 "stats of a file both ranks have"

summary "files_fault.sh: all checks passed" "files_fault.sh: FAILED"
