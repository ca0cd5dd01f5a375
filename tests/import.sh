#!/bin/sh
# shellcheck disable=SC2086,SC2015 # $mpirun and $opts are split on purpose; pass never fails.
# `parray import` from the outside: CSV files of several dtypes and layouts
# and .npy files of several shapes, dtypes and byte orders, imported at 1, 2
# and 3 ranks (some also at 4 as 2 emulated nodes), give datasets identical (dtype, shape, bits) to numpy's
# loadtxt / load of the same file; the byte split between ranks is tried
# where it is hardest (exactly at a line start, between the '\r' and '\n'
# of a CRLF, a rank whose range holds no line or only the header); header,
# CRLF, comments, blank lines, one line, one column, a last line without a
# newline; errors name the file, and for CSV the first bad line and column
# in the file whichever rank parsed it, the same with every rank count;
# a failed import (a bad line, a failed write) leaves an existing output
# file as it was; an import into a file with another dataset keeps it;
# usage errors;
# --chunked/--deflate, --json and --progress.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT PARRAY_PROGRESS

need_parray
need_mpirun
need_system_python "to write the inputs and read them with numpy"
"$py" -c 'import numpy, h5py' 2>/dev/null || { echo "SKIP: $py lacks numpy or h5py"; exit 77; }
make_tmp import
mkdir "$tmp/in" "$tmp/want" "$tmp/out"

# The inputs, numpy's reading of each (want/NAME.npy) and the cases: one
# line "NAME FILE RANKS OPTIONS..." each in $tmp/cases (RANKS: "1,2,3"; 4 is
# 4 ranks as 2 emulated nodes, so that rows cross nodes).
"$py" - "$tmp" <<'EOF' || { echo "FAIL: writing the inputs"; exit 1; }
import io, sys, numpy as np
tmp = sys.argv[1]
rng = np.random.default_rng(7)
cases = []

def case(name, text, ranks="1,2,3", opts="", **loadtxt):
    path = f"{tmp}/in/{name}.csv"
    with open(path, "wb") as f:
        f.write(text.encode())
    np.save(f"{tmp}/want/{name}.npy", np.loadtxt(path, ndmin=2, **({"delimiter": ","} | loadtxt)))
    cases.append(f"{name} {path} {ranks} {opts}")

def npy(name, a, version=None, ranks="1,2,3"):
    path = f"{tmp}/in/{name}.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=version)
    np.save(f"{tmp}/want/{name}.npy", np.load(path))
    cases.append(f"{name} {path} {ranks}")

def table(a, fmts, sep=",", end="\n"):
    return "".join(sep.join(fmts[j % len(fmts)] % v for j, v in enumerate(row)) + end
                   for row in a)

x = rng.random((41, 5)) * 10.0 ** rng.integers(-30, 30, (41, 5))
x[rng.random(x.shape) < 0.5] *= -1
# f64: round-trip digits, exponents, fixed, integers; lines straddle the
# splits at 2 and 3 ranks.
case("f64", table(x, ["%.17g", "%.6e", "%.3f", "%.0f", "%r"]), ranks="1,2,3,4")
# long: more rows than a rank parses between two writes into the new file
# (1 MiB of rows), at 1 and 2 ranks.
case("long", "".join(f"{k % 1000}\n" for k in range(300000)), ranks="1,2,3,4")
# f32 from the same kind of text.
case("f32", table(x[:23], ["%.9g", "%.17g"]), opts="--dtype f32", dtype=np.float32)
# i64 over its range, signs.
i = np.array([[-2**63, 2**63 - 1, 0], [-5, +7, 1234567890123]] * 9, dtype=np.int64)
case("i64", table(i, ["%d"]), opts="--dtype i64", dtype=np.int64)
# u8, separated by runs of tabs and spaces.
u = rng.integers(0, 256, (17, 4), dtype=np.uint8)
case("u8_blanks", table(u, ["%d"], sep=" \t "), opts="--dtype u8 --delimiter tab",
     dtype=np.uint8, delimiter=None)
# A header, CRLF endings, comments (whole-line and trailing), blank lines,
# blanks around fields and no newline after the last line.
body = "".join(("\r\n# a comment\r\n\r\n" if k % 5 == 3 else "") +
               f" {x[k, 0]!r} ,{x[k, 1]!r},{x[k, 2]!r}" + (" # note" if k % 4 == 1 else "") +
               ("\r\n" if k < 16 else "") for k in range(17))
case("header_crlf", "a,b,c\r\n" + body, opts="--header", skiprows=1)
# One line, and one column.
case("one_line", "1.5,-2,3e300")
case("one_column", table(x[:, :1], ["%r"]))

# Files whose split between ranks falls exactly where it is hardest, for 2
# and for 3 ranks: the nominal first split as pa_load_csv computes it.
def split(size, P, r=1):
    return (size // P) * r + (size % P) * r // P

def crafted(name, P, ok, make):
    for pad in range(200):
        text = make(pad)
        if ok(text, split(len(text), P)):
            case(f"{name}{P}", text, ranks=str(P))
            return
    raise SystemExit(f"cannot craft {name} for {P} ranks")

rows = lambda n, end="\n": "".join(f"{k}.25,{-k}.5{end}" for k in range(n))
for P in (2, 3):
    # The split is a line start (the byte before it is '\n').
    crafted("at_line_start", P, lambda t, s: t[s - 1] == "\n",
            lambda pad: " " * pad + rows(12))
    # The split falls between the '\r' and the '\n' of a line's end.
    crafted("in_crlf", P, lambda t, s: t[s - 1:s + 1] == "\r\n",
            lambda pad: " " * pad + rows(12, "\r\n"))
# A line longer than a rank's range: at 3 ranks the middle rank has no line.
case("long_line", "1,2\n3," + " " * 300 + "4\n5,6\n")
# A header longer than rank 0's range: rank 0 holds the header only.
case("long_header", "h" * 100 + ",b\n1,2\n3,4\n", opts="--header", skiprows=1)

# .npy: shapes, dtypes, both byte orders, format versions 1.0 and 2.0.
npy("npy_f64", rng.random((13, 3)))
npy("npy_f32_1d", rng.random(29).astype(np.float32))
npy("npy_i64_3d_be", np.arange(-30, 30, dtype=">i8").reshape(5, 4, 3), version=(2, 0),
    ranks="1,2,3,4")
npy("npy_i32", rng.integers(-2**31, 2**31, (7, 2), dtype=np.int32))
npy("npy_u8_one_row", np.array([[1, 2, 255]], dtype=np.uint8))
# Megabytes, so that the ranks' byte ranges of the saved data span many
# pages and start inside one (rows of 24 bytes).
npy("npy_f64_big", rng.random((100003, 3)), ranks="1,2,3,4")

with open(f"{tmp}/cases", "w") as f:
    f.write("\n".join(cases) + "\n")
EOF

echo "imports identical to numpy's loadtxt and load"
# The cases come on descriptor 3: mpirun reads the standard input.
while read -r case file ranks opts <&3; do
    for n in $(echo "$ranks" | tr , ' '); do
        nodes=
        [ "$n" -ne 4 ] || nodes="-x PARRAY_RANKS_PER_NODE=2"
        run "$case-$n" $mpirun $nodes -n "$n" "$PARRAY" import "$file" \
            -o "$tmp/out/$case-$n.h5:/x" $opts
        [ "$rc" -eq 0 ] || { fail "$case at $n ranks: exit $rc"; show "$tmp/$name.err"; }
    done
done 3<"$tmp/cases"
# Every output against numpy's reading: the same dtype, shape and bits.
if "$py" - "$tmp" >"$tmp/compare.out" 2>&1 <<'EOF'
import glob, os, sys, numpy as np, h5py
tmp = sys.argv[1]
bad = 0
outs = [f"{tmp}/out/{case}-{n}.h5" for case, _, ranks, *_ in map(str.split, open(f"{tmp}/cases"))
        for n in ranks.split(",")]
for path in outs:
    case = os.path.basename(path).rsplit("-", 1)[0]
    want = np.load(f"{tmp}/want/{case}.npy")
    if not os.path.exists(path):
        print(f"{os.path.basename(path)}: missing")
        bad += 1
        continue
    got = h5py.File(path, "r")["x"][...]
    if got.dtype != want.dtype.newbyteorder("=") or got.shape != want.shape or \
            got.astype(want.dtype.newbyteorder("=")).tobytes() != \
            want.astype(want.dtype.newbyteorder("=")).tobytes():
        print(f"{os.path.basename(path)}: {got.dtype} {got.shape}, numpy {want.dtype} {want.shape}")
        bad += 1
print(f"{len(outs)} outputs compared")
sys.exit(1 if bad else 0)
EOF
then pass "$(tail -1 "$tmp/compare.out"), all identical"
else fail "outputs differ from numpy's:"; show "$tmp/compare.out"
fi

echo "the saved files are laid out alike at every rank count"
# At 1 to 3 ranks (one node) the ranks write the data straight into the new
# file (a CSV's rows with write(2), a .npy's through a memory map), at 4
# ranks on 2 nodes through MPI-IO: the files have the
# same size, and the data lie at the same offset (what the map wrote is
# where HDF5 reads). The files differ only in the dataset's time stamp.
if "$py" - "$tmp" >"$tmp/layout.out" 2>&1 <<'EOF'
import os, sys, h5py
tmp = sys.argv[1]
bad = 0
for case in ("f64", "long", "npy_f64_big", "npy_i64_3d_be"):
    seen = set()
    for n in (1, 2, 3, 4):
        path = f"{tmp}/out/{case}-{n}.h5"
        with h5py.File(path, "r") as f:
            d = f["x"]
            at, size = d.id.get_offset(), d.id.get_storage_size()
            want = d[...].astype(d.dtype.newbyteorder("<")).tobytes()
        with open(path, "rb") as f:
            f.seek(at)
            raw = f.read(size)
        seen.add((os.path.getsize(path), at, size))
        if raw != want:
            print(f"{case}-{n}: the bytes at offset {at} are not the data")
            bad += 1
    if len(seen) != 1:
        print(f"{case}: (file size, data offset, data size) differ: {sorted(seen)}")
        bad += 1
print("4 cases at 1, 2, 3 and 4 ranks")
sys.exit(1 if bad else 0)
EOF
then pass "$(tail -1 "$tmp/layout.out"): same size, data in place"
else fail "layouts differ:"; show "$tmp/layout.out"
fi

echo "errors name the file, line and column, the same at every rank count"
# Two bad lines: the first in the file is the one reported, whichever
# rank parsed it; the ragged line lies in a later rank's part.
"$py" - "$tmp/in" <<'EOF'
import sys
d = sys.argv[1]
rows = "".join(f"{k},{k + 1},{k + 2}\n" for k in range(30))
open(f"{d}/bad.csv", "w").write(rows + "7,1.5q,9\n" + rows + "1,2,x\n")
open(f"{d}/ragged.csv", "w").write(rows + rows + "1,2\n" + rows)
open(f"{d}/empty.csv", "w").write("")
open(f"{d}/comments.csv", "w").write("# only\n\n# comments\n")
open(f"{d}/quoted.csv", "w").write('1,2\n"3",4\n')
open(f"{d}/range.csv", "w").write("1,2\n3,256\n")
with open(f"{d}/zero_d.npy", "wb") as f:
    import numpy as np
    np.save(f, np.float64(2.5))
data = open(f"{d}/npy_f64.npy", "rb").read()
open(f"{d}/short.npy", "wb").write(data[:-8])
EOF
for n in 1 2 3; do
    run "bad-$n" $mpirun -n $n "$PARRAY" import "$tmp/in/bad.csv" -o "$tmp/e.h5:/x"
    expect_rc 1 "a bad number at $n ranks"
    expect_in "bad-$n.err" "^parray: import: $tmp/in/bad.csv:31:3: bad number '1.5q'$" \
        "  names bad.csv:31:3 (the first of two bad lines)"
    run "ragged-$n" $mpirun -n $n "$PARRAY" import "$tmp/in/ragged.csv" -o "$tmp/e.h5:/x"
    expect_rc 1 "a ragged line at $n ranks"
    expect_in "ragged-$n.err" "$tmp/in/ragged.csv:61:4: ragged line: 2 fields, expected 3" \
        "  names ragged.csv:61:4"
done
check_error() { # NAME FILE REGEX WHAT [OPTIONS]
    ename=$1 efile=$2 eregex=$3 ewhat=$4
    shift 4
    run "$ename" $mpirun -n 2 "$PARRAY" import "$efile" -o "$tmp/e.h5:/x" "$@"
    expect_rc 1 "$ewhat"
    expect_in "$ename.err" "$eregex" "  $ewhat: the message names the file"
}
check_error empty "$tmp/in/empty.csv" "empty.csv: no data lines" "an empty file"
check_error comments "$tmp/in/comments.csv" "comments.csv: no data lines" "comments only"
check_error quoted "$tmp/in/quoted.csv" "quoted.csv:2:1: bad number '\"3\"'" "a quoted field"
check_error range "$tmp/in/range.csv" "range.csv:2:3: number out of range of the dtype '256'" \
    "a number beyond u8" --dtype u8
check_error missing "$tmp/in/nope.csv" "nope.csv: No such file or directory" "a missing file"
check_error zero_d "$tmp/in/zero_d.npy" "zero_d.npy: .npy holds a 0-d array" "a 0-d .npy"
check_error short "$tmp/in/short.npy" "short.npy: .npy file is [0-9]+ bytes; its header says" \
    "a truncated .npy"

echo "a failed import leaves the output file as it was"
cp "$tmp/out/f64-2.h5" "$tmp/keep.h5"
run keep $mpirun -n 2 "$PARRAY" import "$tmp/in/bad.csv" -o "$tmp/keep.h5:/x"
expect_rc 1 "the failed import"
cmp -s "$tmp/out/f64-2.h5" "$tmp/keep.h5" && pass "the file is unchanged" || fail "the file changed"
# A write that fails on one rank while the ranks parse into the new file.
run keep_fault $mpirun -x PARRAY_FAULT=h5_write@1 -n 2 "$PARRAY" import "$tmp/in/f64.csv" \
    -o "$tmp/keep.h5:/x"
expect_rc 1 "an import whose write fails on rank 1"
expect_in keep_fault.err "injected" "  the injected fault is reported"
cmp -s "$tmp/out/f64-2.h5" "$tmp/keep.h5" && pass "  the file is unchanged" ||
    fail "  the file changed"
# The save's temporary beside keep.h5 (.keep.h5.parray-tmp.XXXXXX) is gone.
no_temporary() { set -- "$tmp"/.keep.h5.parray-tmp.*; [ ! -e "$1" ]; }
no_temporary && pass "  no temporary is left" || fail "  a temporary is left"
# A write of the parsed rows that fails halfway, on rank 1 in the middle of
# its parse (long.csv gives it more rows than one write), or at its end.
for csv in long f64; do
    run "keep_write_$csv" $mpirun -x PARRAY_FAULT=file_write@1 -n 2 "$PARRAY" import \
        "$tmp/in/$csv.csv" -o "$tmp/keep.h5:/x"
    expect_rc 1 "an import of $csv.csv whose write of rows fails on rank 1"
    expect_in "keep_write_$csv.err" "keep.h5: write: injected fault after [0-9]+ of [0-9]+ bytes" \
        "  the failed write is reported"
    cmp -s "$tmp/out/f64-2.h5" "$tmp/keep.h5" && pass "  the file is unchanged" ||
        fail "  the file changed"
    no_temporary && pass "  no temporary is left" || fail "  a temporary is left"
done

echo "an import into a file that holds another dataset keeps it"
# The save is in place there, through the array rather than the mapping.
run inplace $mpirun -n 2 "$PARRAY" import "$tmp/in/f32.csv" -o "$tmp/keep.h5:/y" --dtype f32
expect_rc 0 "f32.csv into keep.h5:/y"
if "$py" - "$tmp" <<'EOF'
import sys, numpy as np, h5py
t = sys.argv[1]
f = h5py.File(f"{t}/keep.h5", "r")
sys.exit(0 if np.array_equal(f["y"][...], np.load(f"{t}/want/f32.npy")) and
         np.array_equal(f["x"][...], np.load(f"{t}/want/f64.npy")) else 1)
EOF
then pass "  /y is numpy's, /x stays"
else fail "  /y or /x differ from numpy's"
fi

echo "options and output"
run json $mpirun -n 2 "$PARRAY" import "$tmp/in/f64.csv" -o "$tmp/j.h5:/g/x" --json --chunked \
    --deflate 4
expect_rc 0 "--json --chunked --deflate 4"
expect_in json.out '^\{"input":".*f64.csv","bytes":[0-9]+,"seconds":[0-9.e-]+,"gb_per_s":[0-9.e-]+,"load_seconds":[0-9.e-]+,"file":".*j.h5","dataset":"/g/x","dtype":"f64","shape":\[41,5\]\}$' \
    "  one JSON object with the dataset's shape"
if "$py" - "$tmp" <<'EOF'
import sys, numpy as np, h5py
t = sys.argv[1]
d = h5py.File(f"{t}/j.h5", "r")["g/x"]
sys.exit(0 if d.chunks and d.compression == "gzip" and d.compression_opts == 4 and
         np.array_equal(d[...], np.load(f"{t}/want/f64.npy")) else 1)
EOF
then pass "  chunked, gzip level 4, the same data"
else fail "  the dataset is not chunked with gzip 4, or its data differ"
fi
run progress $mpirun -n 2 "$PARRAY" import "$tmp/in/f64.csv" -o "$tmp/p.h5:/x" --progress
expect_rc 0 "--progress"
expect_in progress.err "^import: 100% " "  a last progress line on stderr"
run text $mpirun -n 3 "$PARRAY" import "$tmp/in/npy_f64.npy" -o "$tmp/t.h5:/x"
expect_in text.out '^import: .*npy_f64.npy, [0-9]+ bytes, [0-9.]+ s, [0-9.]+ GB/s \(.*t.h5:/x \(13,3\) f64\)$' \
    "the summary line"

echo "usage errors"
refused "no output" "the output -o FILE.h5:/DATASET is required" \
    $mpirun -n 1 "$PARRAY" import "$tmp/in/f64.csv"
refused "no input" "no input file" $mpirun -n 1 "$PARRAY" import -o "$tmp/u.h5:/x"
refused "two inputs" "one input file only" \
    $mpirun -n 1 "$PARRAY" import "$tmp/in/f64.csv" "$tmp/in/f32.csv" -o "$tmp/u.h5:/x"
refused "unknown extension" "cannot tell the format of" \
    $mpirun -n 1 "$PARRAY" import "$tmp/keep.h5" -o "$tmp/u.h5:/x"
refused "CSV options for .npy" "are for CSV" \
    $mpirun -n 1 "$PARRAY" import "$tmp/in/npy_f64.npy" -o "$tmp/u.h5:/x" --dtype f32
refused "a bad --deflate" "--deflate" \
    $mpirun -n 1 "$PARRAY" import "$tmp/in/f64.csv" -o "$tmp/u.h5:/x" --deflate 10

summary "import: all checks passed" "import: FAILED"
