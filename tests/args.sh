#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# Numbers on the command line (apps/num.c, the one parser): a value that wraps, a sign
# or a blank where none is allowed, or a value outside the option's range is refused
# with exit 2 and a message naming the option, on every rank, and nothing is written;
# valid reals are read as Python's float() reads them, subnormals bit for bit and
# 1e400 as inf. The values written are read back as raw bits (unpack to .raw, od).
# A PARRAY_* setting with a blank is refused by pa_init.
#
# Environment (make check sets them): PARRAY (the program), MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run, default 60).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
set_limit 60
unset PARRAY_RANKS_PER_NODE PARRAY_BLAS_THREADS PARRAY_FAULT PARRAY_POOL_MB

need_parray
need_mpirun
make_tmp args

# bits FILE.h5:/DS: the dataset's f64 values as 16-digit hex words, one line.
bits() {
    rm -f "$tmp"/bits-*.raw
    "$PARRAY" unpack "$1" -o "$tmp/bits-%d.raw" >/dev/null 2>"$tmp/bits.err" || {
        show "$tmp/bits.err"
        return 1
    }
    od -An -v -tx8 "$tmp/bits-0.raw" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

# expect_bits WHAT FILE.h5:/DS REGEX: every word of the dataset matches REGEX.
expect_bits() {
    got=$(bits "$2")
    if [ -n "$got" ] && [ -z "$(echo "$got" | tr ' ' '\n' | grep -Ev "^($3)$")" ]; then
        pass "$1: $got"
    else
        fail "$1: bits '$got', want /$3/"
    fi
}

run gen "$PARRAY" gen "$tmp/in.h5:/x" --shape 1,4 --arange
expect_rc 0 "gen the input"

echo "--- counts: no wrap, no sign, no blank; the option named"
refused "--rows-per-block 2^64-1" \
    "--rows-per-block: 18446744073709551615 is out of range [1, 9223372036854775807]" \
    "$PARRAY" calc 'r = x' "x=$tmp/in.h5:/x" -o "$tmp/out.h5:/r" \
    --rows-per-block 18446744073709551615
refused "--rows-per-block ' -1' at 2 ranks" \
    "--rows-per-block: ' -1' is not a non-negative integer" \
    $mpirun -n 2 "$PARRAY" calc 'r = x' "x=$tmp/in.h5:/x" -o "$tmp/out.h5:/r" \
    --rows-per-block ' -1'
refused "--rows-per-block ''" "--rows-per-block: '' is not a non-negative integer" \
    "$PARRAY" calc 'r = x' "x=$tmp/in.h5:/x" -o "$tmp/out.h5:/r" --rows-per-block ''
if [ -e "$tmp/out.h5" ]; then fail "a refused calc wrote $tmp/out.h5"; else pass "nothing written"; fi
# The largest value is allowed: one block of all rows (no overflow in the block count).
run rpbmax "$PARRAY" calc 'r = x + 1' "x=$tmp/in.h5:/x" -o "$tmp/out.h5:/r" \
    --rows-per-block 9223372036854775807
expect_rc 0 "--rows-per-block 2^63-1"
expect_in rpbmax.out "1 block of 9223372036854775807 rows" "one block"
expect_bits "--rows-per-block 2^63-1 wrote x + 1" "$tmp/out.h5:/r" \
    "3ff0000000000000|4000000000000000|4008000000000000|4010000000000000"

refused "--seed ' -1'" "--seed: ' -1' is not a non-negative integer" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --random uniform --seed ' -1'
refused "--seed -1" "--seed: '-1' is not a non-negative integer" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --random uniform --seed -1
refused "--seed 2^64" "--seed: 18446744073709551616 is out of range [0, 18446744073709551615]" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --random uniform --seed 18446744073709551616
refused "--stream '1 '" "--stream: '1 ' is not a non-negative integer" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --random uniform --stream '1 '
refused "--shape 4,-1" "--shape: '4,-1': '-1' is not a non-negative integer" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4,-1 --full 1
refused "--shape 18446744073709551616" "--shape: '18446744073709551616': 18446744073709551616 is out of range" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 18446744073709551616 --full 1
refused "--high 2^63" "--high: 9223372036854775808 is out of range" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --random integers --high 9223372036854775808
refused "--low 1e400" "--low: '1e400' is beyond the range of a double (it would be inf)" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --random uniform --low 1e400
refused "--linspace 0,nan" "--linspace: '0,nan': 'nan' is not a finite number" \
    "$PARRAY" gen "$tmp/g.h5:/x" --shape 4 --linspace 0,nan
refused "stats --hist ' 3'" "--hist: ' 3' is not a non-negative integer" \
    "$PARRAY" stats "$tmp/in.h5:/x" --hist ' 3'
refused "stats --axis 8" "--axis: 8 is out of range [0, 7]" \
    "$PARRAY" stats "$tmp/in.h5:/x" --axis 8
refused "pack -j +2" "-j: '+2' is not a non-negative integer" \
    "$PARRAY" pack -j +2 "$tmp/none.npy" -o "$tmp/p.h5:/p"
refused "pack --shape 3,,1" "--shape: '3,,1': '' is not a non-negative integer" \
    "$PARRAY" pack --format raw --shape 3,,1 "$tmp/none.raw" -o "$tmp/p.h5:/p"
if [ -e "$tmp/g.h5" ] || [ -e "$tmp/p.h5" ]; then fail "a refused command wrote a file"; else pass "nothing written"; fi

# --low/--high of --random integers are exact int64s: 2^53 + 1 is not rounded.
run ints "$PARRAY" gen "$tmp/i.h5:/x" --shape 1,8 --random integers --low 9007199254740993 \
    --high 9007199254740994
expect_rc 0 "--random integers --low 2^53+1 --high 2^53+2"
expect_bits "every value is 2^53 + 1" "$tmp/i.h5:/x" "0020000000000001"

echo "--- reals as Python's float(): subnormals exact, 1e400 is inf"
run zeros "$PARRAY" gen "$tmp/z.h5:/z" --shape 1,4 --full 0
for case in 5e-324:0000000000000001 -5e-324:8000000000000001 1e-310:000012688b70e62b \
    2.2250738585072011e-308:000fffffffffffff 1e-400:0000000000000000 \
    1e400:7ff0000000000000 -1e400:fff0000000000000 inf:7ff0000000000000 \
    -Infinity:fff0000000000000 nan:7ff8000000000000 0.1:3fb999999999999a; do
    k=${case%%:*}
    want=${case#*:}
    run "calc$k" "$PARRAY" calc 'r = x*0 + k' "x=$tmp/z.h5:/z" "k=$k" -o "$tmp/k.h5:/r"
    expect_rc 0 "calc k=$k"
    expect_bits "calc k=$k" "$tmp/k.h5:/r" "$want"
done
run full "$PARRAY" gen "$tmp/f.h5:/f" --shape 1,4 --full 5e-324
expect_rc 0 "gen --full 5e-324"
expect_bits "gen --full 5e-324" "$tmp/f.h5:/f" "0000000000000001"
run fullst "$PARRAY" stats "$tmp/f.h5:/f"
expect_in fullst.out " 4.9406564584124654e-324 4.9406564584124654e-324 True True$" \
    "stats reads the subnormal back as min and max"
refused "calc k=' 1'" "k: ' 1' is neither a number nor a dataset" \
    "$PARRAY" calc 'r = x*0 + k' "x=$tmp/z.h5:/z" "k= 1" -o "$tmp/k2.h5:/r"
refused "calc k=0x10" "k: '0x10' is neither a number nor a dataset" \
    "$PARRAY" calc 'r = x*0 + k' "x=$tmp/z.h5:/z" "k=0x10" -o "$tmp/k2.h5:/r"

echo "--- PARRAY_* settings: digits only"
for v in ' 2' '+2' '2 '; do
    run "pool$v" env PARRAY_POOL_MB="$v" "$PARRAY" info
    expect_rc 1 "PARRAY_POOL_MB='$v'"
    if grep -qF "PARRAY_POOL_MB='$v' is not an integer" "$tmp/pool$v.err"; then
        pass "the message names PARRAY_POOL_MB and '$v'"
    else
        fail "PARRAY_POOL_MB='$v': $(cat "$tmp/pool$v.err")"
    fi
done

summary "PASS: all checks passed" "FAIL: some checks failed"
