#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# parray gen, calc and stats end to end on small files, with 1 and 2 ranks:
# values checked against closed forms (arange sums, constants, column sums,
# histogram counts), the same random file for any rank count, calc
# --rows-per-block equal to the in-memory calc, and clear errors for bad
# input.
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
make_tmp compute

# run NP CMD...: parray under mpirun -n NP, stdout in $tmp/out, stderr in
# $tmp/err, exit status in $rc.
run() {
    np=$1
    shift
    timeout -k 10 "$limit" $mpirun -n "$np" "$PARRAY" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# expect_line WHAT WANT: the stats line (the line after the header) is WANT.
expect_line() {
    got=$(sed -n 3p "$tmp/out")
    if [ "$rc" -eq 0 ] && [ "$got" = "$2" ]; then
        pass "$1"
    else
        fail "$1: exit $rc, got '$got', want '$2'"
        sed 's/^/    | /' "$tmp/out" "$tmp/err"
    fi
}

# same_as_mem FILE DATASET WHAT [MEMDS]: dataset FILE:DATASET holds exactly
# the values of $d/mem.h5:MEMDS (default /r): h5diff with no tolerance when
# it is installed (hdf5-tools), else a calc that counts where a != b.
same_as_mem() {
    mds=${4:-/r}
    if command -v h5diff >/dev/null 2>&1; then
        if h5diff "$d/mem.h5" "$1" "$mds" "$2" >"$tmp/diff" 2>&1; then
            pass "$3: h5diff finds no difference"
        else
            fail "$3: h5diff: $(head -5 "$tmp/diff")"
        fi
        return
    fi
    run $np calc 'c = a != b' "a=$d/mem.h5:$mds" "b=$1:$2" -o "$d/cmp.h5:/c"
    run $np stats "$d/cmp.h5:/c"
    ndiff=$(sed -n 3p "$tmp/out" | awk '{print $2}')
    if [ "$rc" -eq 0 ] && [ "$ndiff" = 0 ]; then
        pass "$3: every element equal"
    else
        fail "$3: $ndiff elements differ (exit $rc)"
        sed 's/^/    | /' "$tmp/out" "$tmp/err"
    fi
}

for np in 1 2; do
    echo "with $np rank(s):"
    d=$tmp/$np
    mkdir -p "$d"

    # arange(1000) as (100,10): sum n(n-1)/2 = 499500, mean 499.5, min 0, max 999,
    # any True, all False (a 0);
    # std = sqrt((n^2 - 1) / 12) = 288.67499025720952 (to 17 digits).
    run $np gen "$d/a.h5:/x" --shape 100,10 --arange
    [ "$rc" -eq 0 ] || fail "gen --arange exits $rc: $(cat "$tmp/err")"
    run $np stats "$d/a.h5:/x"
    expect_line "stats of arange(1000)" "1000 499500 499.5 288.67499025720952 0 999 True False"

    # Column j of arange(1000).reshape(100,10) sums 10*4950 + 100*j.
    run $np stats "$d/a.h5:/x" --axis 0
    c0=$(sed -n 3p "$tmp/out" | awk '{print $3}')
    c9=$(sed -n 12p "$tmp/out" | awk '{print $3}')
    if [ "$rc" -eq 0 ] && [ "$c0" = 49500 ] && [ "$c9" = 50400 ]; then
        pass "stats --axis 0 column sums"
    else
        fail "stats --axis 0: exit $rc, column sums '$c0' '$c9', want 49500 50400"
    fi

    # 10 equal bins over [0, 999]: 100 values each.
    run $np stats "$d/a.h5:/x" --hist 10
    n100=$(grep -c ' 100$' "$tmp/out")
    if [ "$rc" -eq 0 ] && [ "$n100" -eq 10 ]; then
        pass "stats --hist 10 of arange(1000): 100 per bin"
    else
        fail "stats --hist: exit $rc, $n100 bins of 100"
        sed 's/^/    | /' "$tmp/out" "$tmp/err"
    fi

    run $np gen "$d/b.h5:/y" --shape 100,10 --full 2.5
    run $np stats "$d/b.h5:/y"
    expect_line "stats of full 2.5" "1000 2500 2.5 0 2.5 2.5 True True"

    # r = x * y + 1: sum 2.5 * 499500 + 1000, min 1, max 999 * 2.5 + 1.
    run $np calc 'r = x * y + 1' "x=$d/a.h5:/x" "y=$d/b.h5:/y" -o "$d/c.h5:/r"
    [ "$rc" -eq 0 ] || fail "calc exits $rc: $(cat "$tmp/err")"
    run $np stats "$d/c.h5:/r"
    sum=$(sed -n 3p "$tmp/out" | awk '{print $2, $5, $6}')
    if [ "$rc" -eq 0 ] && [ "$sum" = "1249750 1 2498.5" ]; then
        pass "calc r = x * y + 1"
    else
        fail "calc r = x * y + 1: sum min max '$sum', want '1249750 1 2498.5'"
    fi

    # Scalars, where, --dtype f32: where(x < k, 0, 1) counts x >= 500.
    run $np calc 'r = where(x < k, 0, 1)' "x=$d/a.h5:/x" k=500 --dtype f32 -o "$d/c.h5:/w"
    [ "$rc" -eq 0 ] || fail "calc where exits $rc: $(cat "$tmp/err")"
    run $np stats "$d/c.h5:/w"
    if [ "$rc" -eq 0 ] && head -1 "$tmp/out" | grep -q 'f32 (100,10)' &&
        [ "$(sed -n 3p "$tmp/out" | awk '{print $2}')" = 500 ]; then
        pass "calc where with a scalar, --dtype f32"
    else
        fail "calc where: exit $rc"
        sed 's/^/    | /' "$tmp/out" "$tmp/err"
    fi

    # Mixed dtypes: numpy's promotion picks the output dtype (i32 * f32 is
    # f64, f32 with a number stays f32, i32 with a fraction is f64, i32
    # with an integer stays i32), in memory and by blocks alike.
    run $np gen "$d/m.h5:/i" --shape 100,10 --full 3 --dtype i32
    run $np gen "$d/m.h5:/f" --shape 100,10 --full 2.5 --dtype f32
    run $np gen "$d/m.h5:/u" --shape 100,10 --full 200 --dtype u8
    for case in 'i * f|f64|7500' 'f * 2|f32|5000' 'i + 0.5|f64|3500' 'i * k|i32|9000' \
        'u + i|i32|203000' 'u + 100|u8|44000'; do
        text=${case%%|*}
        want=${case#*|}
        # Bind only the names the text uses.
        binds=
        for name in i f u; do
            case " $text " in *" $name "*) binds="$binds $name=$d/m.h5:/$name" ;; esac
        done
        case $text in *k*) binds="$binds k=3" ;; esac
        for blocks in "" "--rows-per-block 7"; do
            run $np calc "r = $text" $binds -o "$d/m.h5:/r" $blocks
            got=$(awk '{print $2}' "$tmp/out")
            cp "$tmp/err" "$tmp/calc.err"
            run $np stats "$d/m.h5:/r"
            got="$got|$(sed -n 3p "$tmp/out" | awk '{print $2}')"
            if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
                pass "calc r = $text $blocks: $want"
            else
                fail "calc r = $text $blocks: exit $rc, got dtype|sum '$got', want '$want'"
                sed 's/^/    | /' "$tmp/calc.err" "$tmp/err"
            fi
        done
    done
    # same_kind: an f64 result does not go into --dtype i32; an integer
    # number must fit u8 (NEP 50).
    run $np calc 'r = i * 0.5' "i=$d/m.h5:/i" --dtype i32 -o "$d/m.h5:/r"
    if [ "$rc" -ne 0 ] &&
        grep -qF 'cannot cast the result from f64 to i32 (r is i32) under numpy' "$tmp/err" &&
        grep -qF 'give r the dtype f64 (with --dtype)' "$tmp/err" && ! grep -q 'pa_' "$tmp/err"; then
        pass "calc --dtype i32 of an f64 result: same_kind error"
    else
        fail "calc --dtype i32 of an f64 result: exit $rc"
        sed 's/^/    | /' "$tmp/err"
    fi
    run $np calc 'r = u + 300' "u=$d/m.h5:/u" -o "$d/m.h5:/r"
    if [ "$rc" -ne 0 ] && grep -qF '300 is not in the range of u8' "$tmp/err"; then
        pass "calc u8 + 300: the number does not fit u8"
    else
        fail "calc u8 + 300: exit $rc"
        sed 's/^/    | /' "$tmp/err"
    fi

    # The same random file for any rank count (compared after the loop).
    run $np gen "$d/r.h5:/z" --shape 1000,3 --random normal --seed 42 --mean 1 --std 2
    run $np stats "$d/r.h5:/z" --json
    sed 's/"dataset":"[^"]*",//' "$tmp/out" >"$d/rstats"
    run $np gen "$d/u.h5:/u" --shape 5000 --random integers --low 0 --high 10 --dtype i32 --seed 7
    run $np stats "$d/u.h5:/u"
    mm=$(sed -n 3p "$tmp/out" | awk '{print $1, $5, $6}')
    if [ "$rc" -eq 0 ] && [ "$mm" = "5000 0 9" ]; then
        pass "gen --random integers [0, 10): min 0, max 9"
    else
        fail "gen integers: '$mm'"
    fi

    # --rows-per-block streams in blocks: the result equals the in-memory
    # calc element for element (h5diff without tolerance where installed,
    # else a calc of a != b summed), for a block size that divides the 1003
    # = 17 * 59 rows and one that does not (with 2 ranks also one row per
    # block and one block of all); with --dtype and with the output bound
    # to an input.
    run $np gen "$d/p.h5:/x" --shape 1003,7 --random normal --seed 5
    run $np gen "$d/q.h5:/y" --shape 1003,7 --random uniform --seed 6
    run $np calc 'r = sqrt(x*x + y*y) * k - where(x < y, x, y)' "x=$d/p.h5:/x" "y=$d/q.h5:/y" \
        k=0.5 -o "$d/mem.h5:/r"
    [ "$rc" -eq 0 ] || fail "calc in memory exits $rc: $(cat "$tmp/err")"
    sizes="17 100"
    [ "$np" -eq 1 ] || sizes="17 100 1 5000"
    for n in $sizes; do
        run $np calc 'r = sqrt(x*x + y*y) * k - where(x < y, x, y)' "x=$d/p.h5:/x" \
            "y=$d/q.h5:/y" k=0.5 -o "$d/blk.h5:/g/r" --rows-per-block $n
        [ "$rc" -eq 0 ] || fail "calc --rows-per-block $n exits $rc: $(cat "$tmp/err")"
        same_as_mem "$d/blk.h5" /g/r "calc --rows-per-block $n"
    done
    run $np calc 'r = x * 3' "x=$d/a.h5:/x" --dtype f32 -o "$d/mem.h5:/f"
    run $np calc 'r = x * 3' "x=$d/a.h5:/x" --dtype f32 -o "$d/blk.h5:/f" --rows-per-block 7
    [ "$rc" -eq 0 ] || fail "calc --dtype f32 --rows-per-block exits $rc: $(cat "$tmp/err")"
    same_as_mem "$d/blk.h5" /f "calc --dtype f32 --rows-per-block 7" /f
    run $np calc 'x = x + 1' "x=$d/a.h5:/x" -o "$d/mem.h5:/o"
    run $np calc 'x = x + 1' "x=$d/a.h5:/x" -o "$d/blk.h5:/o" --rows-per-block 33
    same_as_mem "$d/blk.h5" /o "calc with the output bound to an input, --rows-per-block 33" /o
    # Inputs of different row counts are refused, and the old output stays.
    run $np gen "$d/short.h5:/s" --shape 1000,7 --full 1
    run $np calc 'r = x + s' "x=$d/p.h5:/x" "s=$d/short.h5:/s" -o "$d/blk.h5:/g/r" \
        --rows-per-block 100
    if [ "$rc" -eq 1 ] && grep -q "operands could not be broadcast together with shapes (1003,7) (1000,7)" "$tmp/err"; then
        pass "calc --rows-per-block with inputs of different row counts exits 1"
    else
        fail "calc --rows-per-block, different rows: exit $rc: $(cat "$tmp/err")"
    fi
    same_as_mem "$d/blk.h5" /g/r "the old output after a refused calc --rows-per-block"
    run $np calc 'r = x' "x=$d/p.h5:/x" -o "$d/blk.h5:/g/r" --rows-per-block 0
    if [ "$rc" -eq 2 ] && grep -q -- "--rows-per-block: 0 is out of range \\[1, " "$tmp/err"; then
        pass "calc --rows-per-block 0 exits 2"
    else
        fail "calc --rows-per-block 0: exit $rc: $(cat "$tmp/err")"
    fi
    if [ "$(find "$d" -name '.*.parray-tmp.*' | wc -l)" -eq 0 ]; then
        pass "no temporary left behind"
    else
        fail "temporaries left behind: $(find "$d" -name '.*.parray-tmp.*')"
    fi

    # Errors: clear messages and the right exit status, no hang.
    run $np calc 'r = x + q' "x=$d/a.h5:/x" -o "$d/c.h5:/e"
    if [ "$rc" -eq 2 ] && grep -q "'q' is not bound" "$tmp/err"; then
        pass "calc with an unbound name exits 2"
    else
        fail "calc unbound: exit $rc: $(cat "$tmp/err")"
    fi
    run $np calc 'r = sqrt(x' "x=$d/a.h5:/x" -o "$d/c.h5:/e"
    if [ "$rc" -eq 2 ] && grep -q "column 11: expected ')'" "$tmp/err"; then
        pass "calc with a syntax error names the column"
    else
        fail "calc syntax: exit $rc: $(cat "$tmp/err")"
    fi
    # Hostile texts of 100 KB, one command-line argument each: a flat chain
    # of 50,000 terms computes (50000 * x of arange, exact), deep nesting is
    # a clear error naming the limit and the column, never a crash.
    chain="r = x$(printf '%49999s' | sed 's/ /+x/g')"
    run $np calc "$chain" "x=$d/a.h5:/x" -o "$d/c.h5:/chain"
    run $np stats "$d/c.h5:/chain"
    expect_line "calc of x+x+...+x (50,000 terms, 100 KB)" \
        "1000 24975000000 24975000 14433749.512860475 0 49950000 True False"
    for deep in "$(printf '%50000s' | sed 's/ /(/g')x" "x$(printf '%33333s' | sed 's/ /**x/g')" \
        "$(printf '%25000s' | sed 's/ /-(/g')x" "$(printf '%20000s' | sed 's/ /sqrt(/g')x"; do
        run $np calc "r = $deep" "x=$d/a.h5:/x" -o "$d/c.h5:/deep"
        if [ "$rc" -eq 2 ] && grep -q "column [0-9]*: expression nested more than 256 levels deep" "$tmp/err"; then
            pass "calc of 100 KB nested '$(echo "$deep" | cut -c1-6)...' exits 2 naming the limit"
        else
            fail "calc nested '$(echo "$deep" | cut -c1-6)...': exit $rc: $(head -c 300 "$tmp/err")"
        fi
    done
    run $np stats "$d/missing.h5:/x"
    if [ "$rc" -eq 1 ] && grep -q "parray: stats:" "$tmp/err"; then
        pass "stats of a missing file exits 1"
    else
        fail "stats missing: exit $rc: $(cat "$tmp/err")"
    fi
    run $np gen "$d/a.h5:/x" --shape 10 --arange --full 1
    if [ "$rc" -eq 2 ]; then pass "gen with two kinds exits 2"; else fail "gen two kinds: exit $rc"; fi
done

if cmp -s "$tmp/1/rstats" "$tmp/2/rstats"; then
    pass "random normal file: the same stats (bits) with 1 and 2 ranks"
else
    fail "random stats differ between 1 and 2 ranks"
    cat "$tmp/1/rstats" "$tmp/2/rstats"
fi

finish
