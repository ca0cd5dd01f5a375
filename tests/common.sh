# shellcheck shell=sh
# shellcheck disable=SC2034 # The variables set here are used by the scripts that source it.
# The preamble that the shell tests tests/*.sh share. A script sources it with
#
#   srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
#   . "$srcdir/tests/common.sh"
#
# which works under make check (PARRAY_SRCDIR is the absolute source directory,
# also in a VPATH build such as make distcheck's) and by hand (`sh tests/x.sh`
# from anywhere: the script's own directory is tests/).
#
# Sourcing sets PARRAY (default $srcdir/apps/parray), MPIRUN (default mpirun),
# allow_root (--allow-run-as-root when root, else empty), mpirun ($MPIRUN with
# --oversubscribe and $allow_root) and failed=0. It runs nothing else; the
# functions below do the rest.
#
# Environment (make check sets them): PARRAY, MPIRUN, PARRAY_SRCDIR;
# PARRAY_TEST_TIMEOUT (seconds per run; each script has its own default).

PARRAY=${PARRAY:-$srcdir/apps/parray}
MPIRUN=${MPIRUN:-mpirun}

# As root, Open MPI refuses to start without --allow-run-as-root; more ranks
# than cores must be allowed explicitly (--oversubscribe).
allow_root=
[ "$(id -u)" -ne 0 ] || allow_root=--allow-run-as-root
mpirun="$MPIRUN --oversubscribe${allow_root:+ $allow_root}"

# set_limit DEFAULT: limit is the seconds a run may take, PARRAY_TEST_TIMEOUT
# or DEFAULT.
set_limit() {
    limit=${PARRAY_TEST_TIMEOUT:-$1}
}

# find_builddir: builddir is the build directory: PARRAY's parent's parent
# (the source directory when PARRAY is not set).
find_builddir() {
    builddir=$(cd "$(dirname "$PARRAY")/.." && pwd)
}

# find_h5_helper: helper is tests/h5_helper of the build directory the
# tests run in (H5_HELPER overrides; else the source directory's).
find_h5_helper() {
    helper=${H5_HELPER:-$(pwd)/tests/h5_helper}
    [ -x "$helper" ] || helper=$srcdir/tests/h5_helper
}

# need_parray: the program must be built (exit 99, a hard error, if not).
need_parray() {
    [ -x "$PARRAY" ] || { echo "FAIL: $PARRAY is not built"; exit 99; }
}

# need_mpirun: skip (exit 77) without $MPIRUN.
need_mpirun() {
    command -v "$MPIRUN" >/dev/null 2>&1 || { echo "SKIP: no $MPIRUN"; exit 77; }
}

# make_tmp NAME: tmp is a new directory ${TMPDIR:-/tmp}/parray-NAME.XXXXXX,
# removed when the script exits (exit 99 if it cannot be made). A script that
# must clean up more sets its own EXIT trap afterwards, removing $tmp too.
make_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/parray-$1.XXXXXX") || exit 99
    trap 'rm -rf "$tmp"' EXIT
}

# find_python: python is python3 when it runs and has the json module, else
# empty.
find_python() {
    python=
    command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null && python=python3
}

# need_system_python WHY: py is /usr/bin/python3, the system's, which has the
# distribution's modules such as numpy (a pyenv shim may stand first in PATH),
# else python3 from PATH; skip (exit 77) without either, saying WHY it was
# needed.
need_system_python() {
    py=/usr/bin/python3
    [ -x "$py" ] || py=$(command -v python3) || { echo "SKIP: no python3 $1"; exit 77; }
}

# need_numpy_h5py: py as need_system_python sets it, which must import numpy
# and h5py; skip (exit 77) without them.
need_numpy_h5py() {
    need_system_python "for numpy and h5py"
    "$py" -c 'import numpy, h5py' 2>/dev/null ||
        { echo "SKIP: no numpy or h5py for $py (Debian packages python3-numpy, python3-h5py)"; exit 77; }
}

# need_python_module FILE: py is the Python configure found (PARRAY_PYTHON, else
# /usr/bin/python3) and stage the built package's directory (for PYTHONPATH); skip
# (exit 77) where python/stage/parray/FILE was not built (no Python with numpy, or
# --disable-python), or where py has no mpi4py.
need_python_module() {
    find_builddir
    py=${PARRAY_PYTHON:-/usr/bin/python3}
    stage=$builddir/python/stage
    [ -f "$stage/parray/$1" ] || { echo "SKIP: the Python module is not built"; exit 77; }
    "$py" -c 'import mpi4py' 2>/dev/null || { echo "SKIP: $py has no mpi4py"; exit 77; }
}

# The check counter and printers: fail marks the script failed.
failed=0
fail() { echo "  FAIL: $*"; failed=1; }
pass() { echo "  ok: $*"; }
show() { sed 's/^/    | /' "$1"; }

# run NAME CMD...: runs CMD under the timeout with stdout in $tmp/NAME.out and
# stderr in $tmp/NAME.err; its exit status is in $rc.
run() {
    name=$1
    shift
    timeout -k 10 "$limit" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    case $rc in 124 | 137) echo "  (timed out after ${limit}s)" ;; esac
}

# kill_job PID: kills PID (a background `timeout ... mpirun ...`), its
# children and theirs with SIGKILL, and waits until they are gone.
kill_job() {
    kids=$(pgrep -P "$1" 2>/dev/null; for k in $(pgrep -P "$1" 2>/dev/null); do pgrep -P "$k"; done)
    # shellcheck disable=SC2086 # one argument per process
    kill -9 $kids "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    for k in $kids; do while kill -0 "$k" 2>/dev/null; do sleep 0.1; done; done
}

# expect_rc WANT WHAT: checks $rc after run, showing the output when it differs.
expect_rc() {
    if [ "$rc" -eq "$1" ]; then
        pass "$2 exits $1"
    else
        fail "$2 exits $rc, not $1"
        show "$tmp/$name.out"
        show "$tmp/$name.err"
    fi
}

# expect_in FILE REGEX WHAT: REGEX (extended) matches a line of $tmp/FILE.
expect_in() {
    if grep -Eq -- "$2" "$tmp/$1"; then
        pass "$3"
    else
        fail "$3 (no /$2/ in:)"
        show "$tmp/$1"
    fi
}

# refused WHAT WANT CMD...: CMD exits 2 (a usage error) with WANT (a fixed
# string) in its stderr, which is kept in $tmp/refused.err.
refused() {
    what=$1
    want=$2
    shift 2
    run refused "$@"
    if [ "$rc" -eq 2 ] && grep -qF -- "$want" "$tmp/refused.err"; then
        pass "$what: exit 2, '$want'"
    else
        fail "$what: exit $rc, not 2 with '$want'"
        show "$tmp/refused.err"
    fi
}

# finish: exits 0 when every check passed, else 1.
finish() {
    [ "$failed" -eq 0 ] || exit 1
    exit 0
}

# summary PASSED FAILED: prints PASSED when every check passed, else FAILED;
# then finish.
summary() {
    if [ "$failed" -eq 0 ]; then echo "$1"; else echo "$2"; fi
    finish
}

# step NAME CMD...: run, and stop here (with the output) when it fails.
step() {
    run "$@"
    [ "$rc" -eq 0 ] || { fail "$1 exits $rc"; show "$tmp/$1.out"; show "$tmp/$1.err"; finish; }
}

# An install into a prefix of one's own, as a user without root makes it
# (./configure --prefix=DIR && make install), that leaves the build (which
# other tests run) as it is. After find_builddir and make_tmp:
#   copy_sources: tree=$tmp/src is a copy of the sources (make distdir);
#   install_copy: prefix=$tmp/prefix; the copy is configured with the build's
#     own configure arguments and --prefix=$prefix, the build's objects are
#     copied in, so make install only links (for the prefix's runpath).
# Both stop the script when a step fails; make install's output is in
# $tmp/install.out.
copy_sources() {
    # The makes below are not part of the make that runs this test.
    unset MAKEFLAGS MFLAGS MAKELEVEL
    tree=$tmp/src
    step distdir make -C "$builddir" distdir distdir="$tree"
}
install_copy() {
    prefix=$tmp/prefix
    # The build's configure arguments, without those that name its directories.
    eval "set -- $("$builddir/config.status" --config)"
    for arg do
        shift
        case $arg in --prefix=* | --srcdir=* | --cache-file=* | -C) ;; *) set -- "$@" "$arg" ;; esac
    done
    step configure env -C "$tree" ./configure --prefix="$prefix" "$@"
    # The build's objects, newer than the copied sources and than their
    # directories' stamps (extracted first): make links, compiles nothing.
    (cd "$builddir" && find src apps python -name .dirstamp && find src apps python -name '*.o' -o -name '*.lo') \
        >"$tmp/objects"
    tar -C "$builddir" -cf - -T "$tmp/objects" | tar -C "$tree" -xmf - ||
        { fail "copying the build's objects"; finish; }
    step install make -C "$tree" -j2 install V=0
    compiled=$(grep -c ' CC .*\.l\?o$' "$tmp/install.out")
    [ "$compiled" -eq 0 ] || echo "  note: make install compiled $compiled objects again"
}
