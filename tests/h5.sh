#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun is split on purpose; pass never fails, so A && pass || fail is if-then-else.
# Parallel HDF5 from the outside, with tests/h5_helper:
#  - chunked and deflated saves (odd row counts, chunk rows that do not divide
#    the ranks' parts, automatic chunks) at 1, 2 and 3 ranks and 2 emulated
#    nodes, loaded back by parray and read by h5py where it is installed
#    (the data, the chunk rows, the gzip level);
#  - the stored types, as h5dump shows them (what h5py maps to NumPy dtypes);
#  - dataset arguments FILE:/DATASET (split at the last ":/", clear errors);
#  - crash safety: a save with copy killed (SIGKILL) after writing its
#    temporary, and saves with copy killed at random moments, by 1 and 2
#    ranks, leave the old file intact and loadable, and the other datasets
#    of the file too (tests/h5_crash.sh kills saves in place at every write);
#  - paths too long for Open MPI's MPI-IO (a 230-byte directory, so
#    temporaries of 255 bytes and more, relative and absolute; a last
#    component of 244 bytes) at 1, 2 and 3 ranks: saves and loads work;
#    without /proc/self/fd (a fault site) a clear error, the old file
#    intact, no temporary left;
#  - a full disk (a 2 MiB tmpfs; root only), with room for a small file but
#    not a big one, then with 0 bytes and with about 4 KiB free: saves of
#    every kind (gen into a new and into an existing file, calc, calc by row
#    blocks, unpack to .npy, CSV and HDF5) by 1, 2 and 3 ranks fail with
#    exit 1 and the reason, within the time limit, no crash, the old file
#    intact, no temporary or lock file left (unpack's files that fitted
#    are complete);
#  - a path without permission (as user nobody through setpriv when root):
#    a clear error on every rank, no hang;
#  - chunked and compressed datasets as h5py writes them (the committed
#    tests/data/chunked.h5, and one made anew where h5py is installed) load as
#    HDF5's serial read gives them at 1, 2 and 3 ranks; a missing filter is
#    named.
# Environment (make check sets them): MPIRUN, PARRAY_SRCDIR; H5_HELPER (default
# tests/h5_helper next to this script's build); PARRAY_TEST_TIMEOUT (default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
find_h5_helper
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_FAULT

[ -x "$helper" ] || { echo "FAIL: $helper is not built"; exit 99; }
need_mpirun

make_tmp h5sh
mounted=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -z "$mounted" ] || umount "$mounted" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

temps() { find "$1" -maxdepth 1 -name '.*.parray-tmp.*' | wc -l; }
expect() { # expect RC WHAT
    if [ "$rc" -eq "$1" ]; then pass "$2"; else
        fail "$2 (exit $rc, want $1)"; sed 's/^/    | /' "$tmp/$name.out" "$tmp/$name.err"
    fi
}
expect_err() { # expect_err REGEX WHAT
    if grep -Eq -- "$1" "$tmp/$name.err"; then pass "$2"; else
        fail "$2: no '$1' in stderr"; sed 's/^/    | /' "$tmp/$name.err"
    fi
}

echo "stored types (h5dump)"
if command -v h5dump >/dev/null 2>&1; then
    for p in f64:H5T_IEEE_F64LE f32:H5T_IEEE_F32LE i64:H5T_STD_I64LE i32:H5T_STD_I32LE u8:H5T_STD_U8LE; do
        t=${p%%:*} want=${p#*:}
        run save_$t $mpirun -n 2 "$helper" save "$tmp/types.h5:/g/$t" "$t" 7 5
        expect 0 "save $t with 2 ranks"
        h5dump -H -d "/g/$t" "$tmp/types.h5" >"$tmp/dump_$t" 2>&1
        if grep -q "DATATYPE  *$want" "$tmp/dump_$t" && grep -q "SIMPLE { ( 7, 1000 )" "$tmp/dump_$t"; then
            pass "$t is stored as $want, shape (7, 1000)"
        else
            fail "$t is not stored as $want (7, 1000)"; sed 's/^/    | /' "$tmp/dump_$t"
        fi
    done
    h5dump -a /g/f64/parray_version "$tmp/types.h5" >"$tmp/dump_attr" 2>&1
    if grep -q 'H5T_STRING' "$tmp/dump_attr" && grep -q 'H5T_CSET_UTF8' "$tmp/dump_attr"; then
        pass "parray_version is a UTF-8 string attribute"
    else
        fail "parray_version attribute"; sed 's/^/    | /' "$tmp/dump_attr"
    fi
else
    echo "  (h5dump not found: Debian package hdf5-tools; type checks skipped)"
fi

echo "chunked and deflated saves, read back by parray and by h5py"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || py=
if [ -n "$py" ] && "$py" -c 'import h5py, numpy' 2>/dev/null; then have_h5py=1; else
    have_h5py=
    echo "  (h5py not found for ${py:-python3}: Debian package python3-h5py; the h5py comparisons are skipped)"
fi
# h5py_check FILE ROWS COLS CHUNK_ROWS LEVEL: the dataset /x holds its flat
# index, in chunks of CHUNK_ROWS rows (0: automatic, 1 to 16 MiB unless the
# dataset is smaller), deflated at LEVEL (0: no filter).
h5py_check() {
    "$py" - "$@" <<'PY'
import sys, h5py, numpy as np
path, rows, cols, crows, level = sys.argv[1], *map(int, sys.argv[2:])
d = h5py.File(path, "r")["x"]
x = d[...]
want = np.arange(rows * cols, dtype=np.float64).reshape(rows, cols)
c = d.chunks[0] if d.chunks else 0
cbytes = c * cols * 8
if x.shape != want.shape or not np.array_equal(x, want):
    print("the data differ")
elif crows and c != min(crows, rows):
    print("chunks of %d rows, want %d" % (c, min(crows, rows)))
elif not crows and not (c == rows or (1 << 20) <= cbytes <= (16 << 20)):
    print("automatic chunks of %d rows, %d bytes" % (c, cbytes))
elif (d.compression, d.compression_opts) != (("gzip", level) if level else (None, None)):
    print("filter %s %s, want gzip %d" % (d.compression, d.compression_opts, level))
else:
    print("ok")
PY
}
for cfg in 1 2 3 nodes2; do
    case $cfg in
        nodes2) job="env PARRAY_RANKS_PER_NODE=2 $mpirun -x PARRAY_RANKS_PER_NODE -n 4" ;;
        *) job="$mpirun -n $cfg" ;;
    esac
    for c in "1001 7 0 1" "2003 13 7 0" "6000 512 0 6" "4099 3 333 9"; do
        # shellcheck disable=SC2086 # job and c are split on purpose
        run chunked $job "$helper" arange "$tmp/chunked.h5:/x" $c
        expect 0 "$cfg: (rows cols chunk_rows deflate) = ($c): saved, loaded back equal"
        [ -n "$have_h5py" ] || continue
        # shellcheck disable=SC2086
        out=$(h5py_check "$tmp/chunked.h5" $c 2>&1)
        [ "$out" = ok ] && pass "$cfg: ($c): h5py reads the same, chunks and filter as asked" ||
            fail "$cfg: ($c): h5py: $out"
    done
done

echo "dataset arguments"
dsarg() { # dsarg ARG EXPECTED-OUTPUT
    out=$("$helper" dsarg "$1")
    if [ "$out" = "$2" ]; then pass "'$1' -> $out"; else fail "'$1' -> '$out', want '$2'"; fi
}
dsarg "a.h5:/x" "file=a.h5 dataset=/x"
dsarg "dir/a.h5:/g/h/x" "file=dir/a.h5 dataset=/g/h/x"
dsarg "run:12:00.h5:/x" "file=run:12:00.h5 dataset=/x"
dsarg "C:/data/a.h5:/x" "file=C:/data/a.h5 dataset=/x"
dsarg "a.h5" "error: 'a.h5': expected FILE:/DATASET (no ':/' found)"
dsarg "a.h5:x" "error: 'a.h5:x': expected FILE:/DATASET (no ':/' found)"
dsarg ":/x" "error: ':/x': the file name is empty"
dsarg "a.h5:/" "error: 'a.h5:/': the dataset path is empty"
dsarg "a.h5:/x//y" "error: 'a.h5:/x//y': the dataset path has an empty component"
dsarg "a.h5:/x/" "error: 'a.h5:/x/': the dataset path has an empty component"
long=$(printf '%05000d' 0)
dsarg "$long.h5" "error: '$(printf '%064d' 0)...': expected FILE:/DATASET (no ':/' found)"

echo "crash safety"
f=$tmp/crash.h5
run old1 $mpirun -n 2 "$helper" save "$f:/other" i32 10 3
run old2 $mpirun -n 2 "$helper" save "$f:/x" f64 4000 7
expect 0 "the old file: /other = 3, /x = 7 (32 MB)"
# A save with copy stalled after writing and closing its temporary, just
# before the rename (fault site h5_stall), killed there.
PARRAY_FAULT=h5_stall@0 timeout -k 5 "$limit" $mpirun -x PARRAY_FAULT -n 2 \
    "$helper" save "$f:/x" f64 4000 9 copy >"$tmp/stall.out" 2>&1 &
pid=$!
n=0
while [ "$n" -lt 100 ] && [ "$(temps "$tmp")" -eq 0 ]; do sleep 0.1; n=$((n + 1)); done
sleep 2
kill_job "$pid"
left=$(temps "$tmp")
[ "$left" -eq 1 ] && pass "the killed save left its temporary behind (documented)" ||
    fail "$left temporaries after the kill, want 1"
run chk1 $mpirun -n 2 "$helper" check "$f:/x" 7
expect 0 "after a kill before the rename, /x is the old array (all 7)"
run chk2 $mpirun -n 1 "$helper" check "$f:/other" 3
expect 0 "and /other is intact"
find "$tmp" -maxdepth 1 -name '.*.parray-tmp.*' -exec rm -f {} +

# Saves with copy killed at random moments: whatever the moment, the file
# loads and holds one complete array (every element equal), and /other is
# intact. (Saves in place promise less: tests/h5_crash.sh.)
i=0
for np in 1 2 1 2 1 2; do
    i=$((i + 1))
    timeout -k 5 "$limit" $mpirun -n $np "$helper" loop "$f:/x" 2000 copy >"$tmp/loop.out" 2>&1 &
    pid=$!
    # 0.3 s to 2.2 s: within the first saves or between them.
    sleep "$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 1.9 }')"
    kill_job "$pid"
    done_saves=$(grep -c . "$tmp/loop.out")
    run chk_loop $mpirun -n 2 "$helper" check "$f:/x"
    expect 0 "kill $i ($np rank(s), after $done_saves complete saves): /x loads, one value ($(cat "$tmp/chk_loop.out"))"
    run chk_other $mpirun -n 1 "$helper" check "$f:/other" 3
    expect 0 "kill $i: /other intact"
    find "$tmp" -maxdepth 1 -name '.*.parray-tmp.*' -exec rm -f {} +
done

echo "long paths"
# Open MPI's ompio (before 5.0.10) overflows a 256-byte buffer in
# MPI_File_open for a name of 245 bytes or more, and hangs for a last
# component near NAME_MAX: parray gives MPI-IO such files as /proc/self/fd/N.
long=$(printf '%0230d' 0 | tr 0 e)
mkdir "$tmp/$long"
cd "$tmp" || exit 99
for np in 1 2 3; do
    for p in "$long/l$np.h5" "$tmp/$long/a$np.h5"; do
        case $p in /*) how=absolute ;; *) how=relative ;; esac
        run long_save $mpirun -n $np "$helper" save "$p:/x" f64 10 $np
        expect 0 "a save to the $how path of $((${#p} + 19)) bytes (its temporary) with $np rank(s)"
        run long_load $mpirun -n $np "$helper" check "$p:/x" $np
        expect 0 "and its load with $np rank(s)"
    done
done
[ "$(temps "$tmp/$long")" -eq 0 ] && pass "no temporary left" || fail "temporaries left"
# A last component of 244 bytes: ompio's lock file beside it cannot be named.
near=$(printf '%0241d' 0 | tr 0 n).h5
mv "$long/l2.h5" "$near"
run long_name $mpirun -n 2 "$helper" check "$near:/x" 2
expect 0 "a load of a file named with ${#near} bytes"
# Without /proc/self/fd (emulated on every rank) the open is refused before
# MPI sees the name: exit 1, nothing touched.
for np in 1 2 3; do
    run long_refused env PARRAY_FAULT='mpio_no_proc@*' $mpirun -x PARRAY_FAULT -n $np \
        "$helper" save "$long/l1.h5:/x" f64 10 9
    expect 1 "without /proc/self/fd, the long save fails with $np rank(s)"
    expect_err "bytes long, more than the 224 .*use a shorter path or a symbolic link" \
        "naming the length, the limit and the way around it"
    [ "$(temps "$tmp/$long")" -eq 0 ] && pass "no temporary left" || fail "temporary left"
    run long_intact $mpirun -n $np "$helper" check "$long/l1.h5:/x" 1
    expect 0 "the old file is intact"
done
cd - >/dev/null || exit 99

echo "full disk"
full=$tmp/full
mkdir "$full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m parray-h5-test "$full" 2>/dev/null; then
    mounted=$full
    run small $mpirun -n 2 "$helper" save "$full/d.h5:/x" f64 10 4
    expect 0 "a small save fits in 2 MiB"
    run big $mpirun -n 2 "$helper" save "$full/d.h5:/x" f64 2000 5
    expect 1 "a 16 MB save into 2 MiB fails with exit 1"
    expect_err "pa_h5_save: .*(No space left|space|write)" "with the reason"
    [ "$(temps "$full")" -eq 0 ] && pass "no temporary left" || fail "temporary left on the full disk"
    run small_chk $mpirun -n 2 "$helper" check "$full/d.h5:/x" 4
    expect 0 "the old file is intact"

    # The disk filled up to the last block: a file of all but KEEP free
    # bytes, then (at 0) one-byte files until even they fail.
    run in $mpirun -n 1 "$PARRAY" gen "$tmp/in.h5:/a" --shape 20,100 --full 2
    expect 0 "the input of calc and unpack"
    cp "$full/d.h5" "$tmp/d.before"
    for keep in 0 4096; do
        rm -f "$full"/fill*
        dd if=/dev/zero of="$full/fill" bs=64k 2>/dev/null
        k=0
        while [ "$k" -lt 100 ] && echo x >"$full/fill$k" 2>/dev/null && [ -s "$full/fill$k" ]; do
            k=$((k + 1))
        done
        rm -f "$full/fill$k"
        if [ "$keep" -gt 0 ]; then rm -f "$full"/fill?*; truncate -s "-$keep" "$full/fill"; fi
        echo "  $(df -B1 --output=avail "$full" | tail -1 | tr -d ' ') bytes free"
        for np in 1 2 3; do
            for job in "gen:$PARRAY gen $full/new.h5:/x --shape 1000 --full 1" \
                "gen_old:$PARRAY gen $full/d.h5:/x --shape 1000 --full 1" \
                "calc:$PARRAY calc y=a*2 a=$tmp/in.h5:/a -o $full/d.h5:/y" \
                "calc_rows:$PARRAY calc y=a*2 a=$tmp/in.h5:/a --rows-per-block 5 -o $full/d.h5:/y" \
                "unpack_npy:$PARRAY unpack $tmp/in.h5:/a -o $full/p%d.npy" \
                "unpack_csv:$PARRAY unpack $tmp/in.h5:/a -o $full/p%d.csv" \
                "unpack_h5:$PARRAY unpack $tmp/in.h5:/a -o $full/p%d.h5"; do
                run "${job%%:*}" $mpirun -n $np ${job#*:}
                what="$keep bytes free, $np rank(s), ${job%%:*}"
                if [ "$rc" -eq 1 ] && grep -q "No space left on device" "$tmp/$name.err"; then
                    pass "$what: exit 1, No space left on device"
                else
                    fail "$what: exit $rc"
                    show "$tmp/$name.err"
                fi
                # The files of unpack that fitted are complete; they go, to
                # keep the free space.
                rm -f "$full"/p*
            done
            left=$(find "$full" -maxdepth 1 -name '.*.parray-*' -o -name 'new.h5' | wc -l)
            [ "$left" -eq 0 ] && pass "$keep bytes free, $np rank(s): no temporary or lock file left" ||
                fail "$keep bytes free, $np rank(s): left behind: $(ls -a "$full")"
            cmp -s "$full/d.h5" "$tmp/d.before" && pass "$keep bytes free, $np rank(s): the old file is intact" ||
                fail "$keep bytes free, $np rank(s): the old file changed"
        done
    done
    umount "$full" && mounted=
else
    echo "  (not root or tmpfs cannot be mounted: skipped; the C suite injects write faults)"
fi

echo "permission denied"
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp TMPDIR=/tmp"
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && chmod 755 "$tmp" &&
    $nobody test -x "$helper" >/dev/null 2>&1
nobody_runs=$?
if [ "$nobody_runs" -eq 0 ]; then
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    cp "$f" "$tmp/ro/private.h5" && chmod 600 "$tmp/ro/private.h5"
    run perm_save $nobody "$helper" save "$tmp/ro/new.h5:/x" f64 10 1
    expect 1 "saving into a read-only directory fails"
    expect_err "Permission denied" "saying Permission denied"
    run perm_load $nobody "$helper" check "$tmp/ro/private.h5:/x"
    expect 1 "loading an unreadable file fails"
    expect_err "private.h5: Permission denied" "saying Permission denied"
else
    # A build inside a private directory (mktemp -d is 0700) is out of
    # reach of user nobody.
    echo "  (needs root, setpriv, and a build that user nobody can run: skipped; as a normal user the C suite checks it)"
fi

echo "chunked and compressed datasets (h5py's chunks, gzip, shuffle, fletcher32, szip, written in part)"
# The committed fixture, and where h5py is installed the same file made anew by
# tests/data/make_chunked.py: every dataset loads (collective and independent)
# as HDF5's serial read gives it, at 1, 2 and 3 ranks; lzf is named.
fixtures=$srcdir/tests/data/chunked.h5
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
if [ -n "$py" ] && "$py" -c 'import h5py' 2>/dev/null; then
    if "$py" "$srcdir/tests/data/make_chunked.py" "$tmp/chunked.h5" >"$tmp/mk.err" 2>&1; then
        fixtures="$fixtures $tmp/chunked.h5"
    else
        fail "make_chunked.py with h5py"; show "$tmp/mk.err"
    fi
else
    echo "  (no h5py: the committed fixture only)"
fi
names="rows_cut odd rows_filters auto auto_gzip gzip1 gzip6 gzip9 shuffle_gzip fletcher32 all_filters big_endian
       one_d three_d u8 random_gzip szip partial partial_gzip partial_szip partial_fill empty_gzip
       fletcher_deflate fletcher_shuffle"
for fx in $fixtures; do
    label="the committed fixture"
    case $fx in "$tmp"/*) label="the fixture made anew by h5py" ;; esac
    for np in 1 2 3; do
        run same $mpirun -n $np "$helper" same "$fx" $names
        expect 0 "$label at $np ranks: every dataset as HDF5 reads it"
    done
done
run lzf $mpirun -n 2 "$helper" check "$srcdir/tests/data/chunked.h5:/lzf"
expect 1 "a dataset with lzf, a filter this HDF5 lacks, is refused"
expect_err "needs the HDF5 filter 'lzf' \(id 32000\).*h5repack -f NONE" "naming the filter and the conversion"

summary PASS FAIL
