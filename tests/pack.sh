#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# `parray pack` and `parray unpack` from the outside, under mpirun -n 2 (and 3):
# CSV files -> HDF5 -> CSV files give back the same bytes (directory input);
# a glob input, .npy output, and .npy -> HDF5 -> .npy give the same bytes
# (also unpacked into the working directory, a pattern without a directory);
# -j 2 reader threads give the same dataset; with numpy (if python3 has it),
# files numpy wrote in both byte orders and versions pack, and numpy loads
# what unpack writes; bad input (a missing file, mixed shapes, a bad
# pattern, no -o, a glob matching nothing) fails clearly with no hang; a
# delimiter that is the comment character is refused, and with --no-comments
# every column is kept; unpack to a pattern without a directory; unpack
# --durable fsyncs (a failing fsync fails it), the default does not.
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
make_tmp pack

# expect RC WHAT [REGEX]: the status, and REGEX in stdout+stderr.
expect() {
    if [ "$rc" -ne "$1" ]; then
        fail "$2: exit $rc, not $1"
        sed 's/^/    | /' "$tmp/$name.out" "$tmp/$name.err"
        return
    fi
    if [ -n "$3" ] && ! cat "$tmp/$name.out" "$tmp/$name.err" | grep -Eq -- "$3"; then
        fail "$2: output lacks /$3/"
        sed 's/^/    | /' "$tmp/$name.out" "$tmp/$name.err"
        return
    fi
    pass "$2"
}

# same_files DIR1 DIR2 WHAT: the same file names with the same bytes.
same_files() {
    if [ "$(cd "$1" && ls)" != "$(cd "$2" && ls)" ]; then
        fail "$3: the file names differ"
        return
    fi
    for f in "$1"/*; do
        if ! cmp -s "$f" "$2/$(basename "$f")"; then
            fail "$3: $(basename "$f") differs"
            return
        fi
    done
    pass "$3"
}

summary='files, [0-9]+ bytes, [0-9.]+ s, [0-9.]+ GB/s'

echo "CSV files -> HDF5 -> CSV files"
mkdir "$tmp/in" "$tmp/out"
i=0
while [ $i -lt 7 ]; do
    # Numbers that parray's %.17g writes back exactly as they are here.
    printf '%d,%d.5,-%d,0.25\n%d,1e+20,%d,-7.125\n3,%d,%d,1\n' \
        $i $i $i $((i * 3)) $((i + 100)) $((i * i)) $i >"$tmp/in/t$i.csv"
    i=$((i + 1))
done
run pack1 $mpirun -n 2 "$PARRAY" pack "$tmp/in" -o "$tmp/p.h5:/grp/x"
expect 0 "pack of a directory of 7 CSV files" "^pack: 7 $summary \(.*p.h5:/grp/x \(7,3,4\) f64\)"
run unpack1 $mpirun -n 3 "$PARRAY" unpack "$tmp/p.h5:/grp/x" -o "$tmp/out/t%d.csv"
expect 0 "unpack to CSV files" "^unpack: 7 $summary"
same_files "$tmp/in" "$tmp/out" "CSV -> HDF5 -> CSV gives the same bytes"

echo "glob -> HDF5 -> .npy -> HDF5 -> .npy"
run pack2 $mpirun -n 2 "$PARRAY" pack "$tmp/out/t*.csv" -o "$tmp/q.h5:/y"
expect 0 "pack of a glob"
run unpack2 $mpirun -n 2 "$PARRAY" unpack "$tmp/q.h5:/y" -o "$tmp/npy/f-%02d.npy"
expect 0 "unpack to .npy files (directory created)"
run pack3 $mpirun -n 2 "$PARRAY" pack "$tmp/npy" -o "$tmp/r.h5:/z"
expect 0 "pack of a directory of .npy files"
run unpack3 $mpirun -n 2 "$PARRAY" unpack "$tmp/r.h5:/z" -o "$tmp/npy2/f-%02d.npy"
expect 0 "unpack again"
# --durable fsyncs: a failing fsync (fault site fsync_file on rank 1) fails
# it, and leaves whole files; without --durable nothing is fsynced.
run unpack_dur env PARRAY_FAULT=fsync_file@1 $mpirun -x PARRAY_FAULT -n 2 "$PARRAY" unpack \
    "$tmp/r.h5:/z" --durable -o "$tmp/npy2/f-%02d.npy"
expect 1 "unpack --durable fails where an fsync fails" "fsync .*injected fault"
same_files "$tmp/npy" "$tmp/npy2" "and leaves every file whole"
run unpack_nodur env PARRAY_FAULT=fsync_file@1 $mpirun -x PARRAY_FAULT -n 2 "$PARRAY" unpack \
    "$tmp/r.h5:/z" -o "$tmp/npy2/f-%02d.npy"
expect 0 "unpack without --durable makes no fsync"
run unpack_dur2 $mpirun -n 2 "$PARRAY" unpack "$tmp/r.h5:/z" --durable -o "$tmp/dur/f-%02d.npy"
expect 0 "unpack --durable"
same_files "$tmp/npy" "$tmp/dur" "unpack --durable writes the same files"
# A pattern without a directory: into the working directory.
mkdir "$tmp/here"
# shellcheck disable=SC2016 # $1 and $@ are the inner shell's
run unpack_here sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp/here" \
    $mpirun -n 2 "$PARRAY" unpack "$tmp/r.h5:/z" -o "f-%02d.npy"
expect 0 "unpack into the working directory"
same_files "$tmp/npy2" "$tmp/here" "the same files there"
same_files "$tmp/npy" "$tmp/npy2" ".npy -> HDF5 -> .npy gives the same bytes"
run pack4 $mpirun -n 2 "$PARRAY" pack -j 2 --place job "$tmp/npy" -o "$tmp/j.h5:/z"
expect 0 "pack -j 2 --place job"
run unpack4 $mpirun -n 2 "$PARRAY" unpack "$tmp/j.h5:/z" -o "$tmp/npy3/f-%02d.npy"
same_files "$tmp/npy" "$tmp/npy3" "-j 2 --place job gives the same dataset"
run unpack5 $mpirun -n 2 "$PARRAY" unpack "$tmp/r.h5:/z" --big-endian -o "$tmp/be/f-%02d.npy"
expect 0 "unpack --big-endian"
run pack5 $mpirun -n 2 "$PARRAY" pack "$tmp/be" -o "$tmp/be.h5:/z"
run unpack6 $mpirun -n 2 "$PARRAY" unpack "$tmp/be.h5:/z" -o "$tmp/npy4/f-%02d.npy"
same_files "$tmp/npy" "$tmp/npy4" "big-endian .npy files read back to the same values"

echo "numpy interop"
python=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' 2>/dev/null; then
        python=$p
        break
    fi
done
if [ -z "$python" ]; then
    echo "  note: no python3 with numpy here; numpy interop not checked"
else
    mkdir "$tmp/np"
    "$python" - "$tmp/np" <<'EOF'
import sys, numpy as np, numpy.lib.format as fmt
d = sys.argv[1]
for i in range(5):
    a = (np.arange(24, dtype='f8').reshape(4, 6) * (i + 1) / 3.0)
    # both byte orders and, for some, an explicit format version
    a = a.astype('>f8') if i % 2 else a
    with open(f"{d}/a{i}.npy", "wb") as f:
        fmt.write_array(f, a, version=(1, 0) if i < 2 else (2, 0) if i < 4 else (3, 0))
EOF
    run np1 $mpirun -n 2 "$PARRAY" pack "$tmp/np" -o "$tmp/np.h5:/a"
    expect 0 "pack of files numpy wrote (both byte orders, versions 1.0-3.0)"
    run np2 $mpirun -n 2 "$PARRAY" unpack "$tmp/np.h5:/a" -o "$tmp/npout/b%d.npy"
    expect 0 "unpack them"
    if "$python" - "$tmp" <<'EOF'
import sys, numpy as np
t = sys.argv[1]
for i in range(5):
    a = np.load(f"{t}/np/a{i}.npy")
    b = np.load(f"{t}/npout/b{i}.npy")
    assert b.dtype == np.dtype('<f8') and b.shape == (4, 6), (b.dtype, b.shape)
    assert np.array_equal(a, b), i
EOF
    then pass "numpy loads what unpack wrote, equal to what it saved"
    else fail "numpy interop"
    fi
fi

echo "bad input"
run bad1 $mpirun -n 2 "$PARRAY" pack "$tmp/in/t0.csv" "$tmp/in/nothere.csv" -o "$tmp/b.h5:/x"
expect 1 "a missing file" "nothere.csv.*No such file"
printf '1,2\n3,4\n' >"$tmp/odd.csv"
run bad2 $mpirun -n 2 "$PARRAY" pack "$tmp/in/t0.csv" "$tmp/in/t1.csv" "$tmp/odd.csv" -o "$tmp/b.h5:/x"
expect 1 "mixed shapes name the file" "odd.csv: holds \(2,2\), unlike the first file's \(3,4\)"
run bad3 $mpirun -n 2 "$PARRAY" unpack "$tmp/p.h5:/grp/x" -o "$tmp/o/%d-%d.npy"
expect 2 "a pattern with two conversions" "exactly one"
run bad4 $mpirun -n 2 "$PARRAY" unpack "$tmp/p.h5:/grp/x" -o "$tmp/o/%s.npy"
expect 2 "a pattern with %s" "not allowed"
run bad5 $mpirun -n 2 "$PARRAY" pack "$tmp/in"
expect 2 "pack without -o" "-o FILE.h5:/DATASET is required"
run bad6 $mpirun -n 2 "$PARRAY" pack "$tmp/none*.npy" -o "$tmp/b.h5:/x"
expect 1 "a glob that matches nothing" "no files match"
run bad7 $mpirun -n 2 "$PARRAY" unpack "$tmp/nothere.h5:/x" -o "$tmp/o/%d.npy"
expect 1 "unpack of a missing file" "nothere.h5"
[ ! -e "$tmp/b.h5" ] && pass "no output file left by the failed packs" || fail "b.h5 was created"

echo "a delimiter that is the comment character; comments off"
mkdir "$tmp/hash"
printf '1#2#3\n4#5.5#-6\n' >"$tmp/hash/h0.csv"
printf '7#8#9\n10#11#12.25\n' >"$tmp/hash/h1.csv"
run hash1 $mpirun -n 2 "$PARRAY" pack --delimiter '#' "$tmp/hash" -o "$tmp/b.h5:/x"
expect 1 "pack --delimiter '#' is refused" \
    "delimiter '#' is also the comment character.*switch comments off"
[ ! -e "$tmp/b.h5" ] && pass "and writes nothing" || fail "b.h5 was created"
run hash2 $mpirun -n 2 "$PARRAY" pack --delimiter ';' --comment ';' "$tmp/hash" -o "$tmp/b.h5:/x"
expect 1 "pack --delimiter ';' --comment ';' is refused" "delimiter ';' is also the comment"
run hash3 $mpirun -n 2 "$PARRAY" pack --delimiter '#' --no-comments "$tmp/hash" -o "$tmp/h.h5:/x"
expect 0 "pack --delimiter '#' --no-comments" "\(2,2,3\) f64"
# Every column kept, with its values: unpack as ','-separated text.
run hash4 $mpirun -n 2 "$PARRAY" unpack "$tmp/h.h5:/x" -o "$tmp/hash_out/h%d.csv"
expect 0 "unpack of the '#' pack"
if [ "$(cat "$tmp/hash_out/h0.csv" "$tmp/hash_out/h1.csv")" = "$(printf '1,2,3\n4,5.5,-6\n7,8,9\n10,11,12.25')" ]; then
    pass "every column kept, values equal"
else
    fail "the '#' pack holds: $(cat "$tmp/hash_out/h0.csv" "$tmp/hash_out/h1.csv")"
fi
run hash5 $mpirun -n 2 "$PARRAY" unpack "$tmp/h.h5:/x" -o "$tmp/hash_back/h%d.csv" --delimiter '#'
expect 1 "unpack --delimiter '#' is refused" "delimiter '#' is also the comment character"
run hash6 $mpirun -n 2 "$PARRAY" unpack "$tmp/h.h5:/x" -o "$tmp/hash_back/h%d.csv" \
    --delimiter '#' --no-comments
expect 0 "unpack --delimiter '#' --no-comments"
cmp -s "$tmp/hash_back/h1.csv" "$tmp/hash/h1.csv" && pass "writes the '#' text back" ||
    fail "unpack --no-comments wrote: $(cat "$tmp/hash_back/h1.csv")"
run hash7 $mpirun -n 2 "$PARRAY" pack --comment ' ' "$tmp/hash" -o "$tmp/b.h5:/x"
expect 1 "a blank comment character is refused" "comment character 0x20"

echo "unpack with a pattern without a directory"
here=$(pwd)
cd "$tmp" || exit 99
run nodir $mpirun -n 2 "$PARRAY" unpack "$tmp/h.h5:/x" -o "nodir-%d.npy"
expect 0 "unpack -o nodir-%d.npy (the current directory)"
cd "$here" || exit 99
[ -s "$tmp/nodir-1.npy" ] && pass "wrote nodir-1.npy" || fail "no nodir-1.npy"

finish
