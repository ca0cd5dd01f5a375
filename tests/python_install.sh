#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with options, split on purpose.
# The Python module's two install paths, each run without LD_LIBRARY_PATH (the
# runpath must find libparray) and without the build tree:
#   - make install, into a prefix of one's own (a configured copy of the
#     sources, as tests/install.sh makes it), puts the package into the
#     directory where the Python configure found reads packages under that
#     prefix; imported from there with PYTHONPATH, under mpirun -n 1 and -n 2,
#     it computes right (full + sum, eval, a numpy view, to_numpy) over the
#     prefix's libparray;
#   - `pip install --no-build-isolation --no-index ./python`, from a copy of
#     the sources, offline, into a venv made with --system-site-packages by
#     that Python, against the installed libparray (PKG_CONFIG_PATH): the
#     venv's python runs the same checks;
#   - make uninstall leaves no file of the package in the prefix.
# Skips where the module was not built (configure found no Python with numpy,
# or --disable-python), or where that Python has no venv module.
#
# Environment (make check sets them): PARRAY (the program: the build directory
# is its parent's parent), MPIRUN, PARRAY_SRCDIR, PARRAY_PYTHON (the Python
# configure found); PARRAY_TEST_TIMEOUT (seconds per step, default 300).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
need_parray
need_mpirun
set_limit 300
need_python_module __init__.py
[ -x "$builddir/config.status" ] || { echo "SKIP: $builddir has no config.status"; exit 77; }
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
"$py" -c 'import venv, ensurepip' 2>/dev/null ||
    { echo "SKIP: $py has no venv or ensurepip module (Debian package python3-venv)"; exit 77; }
make_tmp python-install
unset LD_LIBRARY_PATH PYTHONPATH PYTHONHOME PARRAY_RANKS_PER_NODE PARRAY_FAULT
# No user site directory, no writes outside $tmp (bytecode, pip's cache).
PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 PIP_CACHE_DIR=$tmp/pip-cache
export PYTHONNOUSERSITE PYTHONDONTWRITEBYTECODE PIP_CACHE_DIR

# The checks every rank runs: argv[1] is the directory the package must come
# from, argv[2] the prefix whose lib/ must hold the libparray it runs on; each
# rank that passes writes the file ok.RANK into the directory argv[3] (a file,
# since mpirun may splice the ranks' lines of output together).
cat >"$tmp/check.py" <<'EOF'
import os
import sys

import numpy as np
import parray as pa

want_pkg, prefix, oks = sys.argv[1:4]
ctx = pa.init()
n = 1000
a = pa.full((n,), 2.5)
assert isinstance(a.sum(), float) and a.sum() == 2.5 * n, a.sum()
x = pa.arange(n, dtype=np.float64)
r = pa.eval("r = a * x + 1", a=a, x=x)
assert r.sum() == 2.5 * n * (n - 1) / 2 + n, r.sum()
view = r.local()
first = r.local_offset
assert np.array_equal(view, 2.5 * np.arange(first, first + view.size) + 1)
assert np.array_equal(r.to_numpy(root=None), 2.5 * np.arange(n) + 1)
pkg = os.path.dirname(os.path.realpath(pa.__file__))
assert pkg == os.path.realpath(want_pkg), f"parray imported from {pkg}, not {want_pkg}"
libs = {line.split()[-1] for line in open("/proc/self/maps") if "/libparray." in line}
assert libs and all(lib.startswith(prefix + "/lib/") for lib in libs), f"libparray from {libs}"
open(f"{oks}/ok.{ctx.rank}", "w").close()
EOF

# checks WHAT PACKAGE CMD...: CMD (a python) runs check.py under mpirun -n 1
# and -n 2 with the package from PACKAGE, and every rank passes.
checks() {
    what=$1
    package=$2
    shift 2
    for n in 1 2; do
        oks=$tmp/oks_$n
        rm -rf "$oks" && mkdir "$oks" || exit 99
        run "checks_$n" $mpirun -n $n "$@" "$tmp/check.py" "$package" "$prefix" "$oks"
        expect_rc 0 "$what under mpirun -n $n"
        if [ "$(find "$oks" -name 'ok.*' | wc -l)" -eq $n ]; then
            pass "$what: full + sum, eval, a numpy view and to_numpy right on every rank of $n"
        else
            fail "$what: not every rank of $n passes the checks"
            show "$tmp/checks_$n.out"
            show "$tmp/checks_$n.err"
        fi
    done
}

# ---- make install into a prefix
copy_sources
cp -R "$tree/python" "$tmp/python" || exit 99 # pip's copy, as distributed
install_copy
pkgdir=$(find "$prefix" -path '*/parray/__init__.py')
pkgdir=${pkgdir%/__init__.py}
case $pkgdir in
"$prefix"/*/parray) pass "make install puts the package into $pkgdir" ;;
*)
    fail "make install puts the package's __init__.py at '$pkgdir'"
    finish
    ;;
esac
# That directory, under the prefix this Python reads packages from by itself
# (Debian's reads /usr/local/lib/python3.X/dist-packages, others their own
# prefix's), is on its sys.path.
under=${pkgdir#"$prefix"/}
under=${under%/parray}
# shellcheck disable=SC2016 # Python's text
run sys_path "$py" -c '
import sys, sysconfig
base = "/usr/local" if sysconfig.get_default_scheme() == "posix_local" else sys.prefix
print(base + "/" + sys.argv[1] in sys.path, base)' "$under"
expect_in sys_path.out '^True ' \
    "$py reads packages from <prefix>/$under for its own prefix"
checks "make install's package (on PYTHONPATH)" "$pkgdir" \
    env PYTHONPATH="$prefix/$under" "$py"

# ---- pip install into a venv, offline, against the installed libparray
step venv "$py" -m venv --system-site-packages "$tmp/venv"
step pip env -C "$tmp" PKG_CONFIG_PATH="$prefix/lib/pkgconfig" \
    venv/bin/pip install --no-build-isolation --no-index ./python
pass "pip install --no-build-isolation --no-index ./python into a venv, offline"
venv_pkg=$(cd "$tmp" && venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("platlib"))')/parray
checks "pip's package in the venv" "$venv_pkg" "$tmp/venv/bin/python"

# ---- make uninstall
step uninstall make -C "$tree" uninstall
left=$(find "$prefix" -type f -path '*python*')
if [ -z "$left" ]; then
    pass "make uninstall removes every file of the Python package"
else
    fail "make uninstall leaves:" $left
fi

finish
