#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with its options, split on purpose.
# `parray stats` on complex datasets (c64, c128, written by h5py) against
# numpy: sum and mean as complex numbers, std as a real, min and max in
# numpy's lexicographic order (real parts first) with ties in the real
# parts, NaN in either part (the first one wins, as numpy's), signed zeros
# (compared as numbers: numpy keeps the first of equal zeros, parray a
# fixed choice), empty; whole and along both axes of a 2-D dataset; the
# JSON the same text at 1, 2 and 3 ranks and at 4 ranks on 2 emulated
# nodes; the text's complex numbers; --hist, --percentiles and --median
# refused, naming the option and the dtype.
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
make_tmp stats_complex
need_numpy_h5py

# The cases: NAME.h5:/x and NAME.npy, one NAME a line in cases.
cat >"$tmp/make.py" <<'PY'
import sys
import h5py
import numpy as np

out = sys.argv[1]
names = []
rng = np.random.default_rng(13)
for t in ("complex64", "complex128"):
    dt = np.dtype(t)
    n = 1001
    # Real parts from a few integers, so that many tie and the imaginary
    # parts decide.
    ties = (rng.integers(-3, 4, n) + 1j * rng.standard_normal(n)).astype(dt)
    nanre = ties.copy()
    nanre[700] = complex(np.nan, 1)
    nanboth = ties.copy()
    nanboth[300] = complex(2, np.nan)
    nanboth[800] = complex(np.nan, np.nan)
    zeros = np.zeros(n, dt)
    zeros.real = rng.choice([-0.0, 0.0], n)
    zeros.imag = rng.choice([-0.0, 0.0], n)
    cases = {"ties": ties, "nanre": nanre, "nanboth": nanboth, "zeros": zeros,
             "empty": np.zeros(0, dt), "grid": ties[:1000].reshape(40, 25)}
    for k, v in cases.items():
        names.append(f"{t}_{k}")
        np.save(f"{out}/{t}_{k}.npy", v)
        with h5py.File(f"{out}/{t}_{k}.h5", "w") as f:
            f["x"] = v
with open(f"{out}/cases", "w") as f:
    f.write("\n".join(names) + "\n")
PY

# check.py CASE.npy JSON [AXIS]: the stats JSON against numpy's results.
cat >"$tmp/check.py" <<'PY'
import json, math, sys
import numpy as np

np.seterr(all="ignore")
a = np.load(sys.argv[1])
got = json.load(open(sys.argv[2]))
axis = int(sys.argv[3]) if len(sys.argv) > 3 else None
part = np.float32 if a.dtype == np.complex64 else np.float64
bad = []

def real(g, w, tol):
    """g from the JSON (null for NaN and inf) against numpy's w."""
    if not math.isfinite(w):
        return g is None
    if g is None:
        return False
    return abs(g - w) <= tol * max(abs(w), 1e-300) if tol else part(g) == w

def cplx(g, w, tol):
    return isinstance(g, list) and len(g) == 2 and real(g[0], w.real, tol) and real(g[1], w.imag, tol)

def same(key, want, test, tol=0.0):
    g = got[key] if axis is not None else [got[key]]
    w = np.atleast_1d(want)
    if len(g) != len(w) or not all(test(x, y, tol) for x, y in zip(g, w)):
        bad.append(f"{key} {got[key]!r}, numpy {want!r}")

n = a.size if axis is None else a.shape[axis]
same("count", [n] * (1 if axis is None else a.shape[1 - axis]), lambda g, w, t: g == w)
same("sum", np.sum(a.astype(np.complex128), axis=axis), cplx, 1e-12)
if n:
    same("mean", np.mean(a.astype(np.complex128), axis=axis), cplx, 1e-12)
    same("std", np.std(a.astype(np.complex128), axis=axis), real, 1e-9)
    # Exact, as numbers: -0.0 == +0.0 here.
    same("min", np.min(a, axis=axis), cplx)
    same("max", np.max(a, axis=axis), cplx)
else:
    same("min", float("nan"), real)
    same("max", float("nan"), real)
same("any", np.any(a, axis=axis), lambda g, w, t: g is bool(w))
same("all", np.all(a, axis=axis), lambda g, w, t: g is bool(w))
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY

"$py" "$tmp/make.py" "$tmp" || { fail "writing the data"; finish; }
# (A for loop, not `while read`: mpirun would read the rest of the list.)
for c in $(cat "$tmp/cases"); do
    case $c in *_grid) axes="0 1" ;; *) axes="-" ;; esac
    for ax in $axes; do
        opt=
        [ "$ax" = - ] || opt="--axis $ax"
        for np in 1 2 3 4; do
            nodes=
            [ $np -eq 4 ] && nodes="env PARRAY_RANKS_PER_NODE=2"
            run "$c$ax.$np" $nodes $mpirun -n $np "$PARRAY" stats "$tmp/$c.h5:/x" $opt --json
            [ "$rc" -eq 0 ] || { fail "$c $opt: stats at $np ranks exits $rc"; show "$tmp/$c$ax.$np.err"; }
        done
        if cmp -s "$tmp/$c$ax.1.out" "$tmp/$c$ax.2.out" && cmp -s "$tmp/$c$ax.1.out" "$tmp/$c$ax.3.out" &&
            cmp -s "$tmp/$c$ax.1.out" "$tmp/$c$ax.4.out"; then
            pass "$c $opt: the same JSON at 1, 2, 3 ranks and 2 nodes"
        else
            fail "$c $opt: the JSON differs between layouts"
            show "$tmp/$c$ax.1.out"
            show "$tmp/$c$ax.2.out"
        fi
        [ "$ax" = - ] && ax=
        if why=$("$py" "$tmp/check.py" "$tmp/$c.npy" "$tmp/$c${ax:--}.2.out" $ax); then
            pass "$c $opt: numpy's results"
        else
            fail "$c $opt: $why"
        fi
    done
done

# The text: complex numbers as numpy's ((re+imj), or imj where re is +0), the std a real.
"$py" -c "import h5py, numpy as np; h5py.File('$tmp/small.h5', 'w')['x'] = np.array([1+2j, 3-1j, 0-2j, 3+4j])"
run text $mpirun -n 2 "$PARRAY" stats "$tmp/small.h5:/x"
expect_rc 0 "stats of [1+2j, 3-1j, 0-2j, 3+4j]"
expect_in text.out '^4 \(7\+3j\) \(1\.75\+0\.75j\) [0-9.]+ -2j \(3\+4j\) True True$' \
    "the text prints sum, mean, min and max as complex numbers, std as a real"

# What complex numbers have no answer to: refused, naming the option and the dtype.
for opt in "--hist 4" "--percentiles 50" "--median"; do
    run refused $mpirun -n 2 "$PARRAY" stats "$tmp/small.h5:/x" $opt
    if [ "$rc" -eq 1 ] && grep -qF -- "stats: ${opt%% *}: not defined" "$tmp/refused.err" &&
        grep -qF c128 "$tmp/refused.err"; then
        pass "stats $opt of c128: refused"
    else
        fail "stats $opt of c128: exit $rc"
        show "$tmp/refused.err"
    fi
done
summary "stats of complex datasets is numpy's" "stats of complex datasets differs from numpy"
