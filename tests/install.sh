#!/bin/sh
# shellcheck disable=SC2086 # $mpirun is a command with options, split on purpose.
# An install into a prefix of one's own runs without LD_LIBRARY_PATH, as a user
# without root makes it (./configure --prefix=DIR && make install):
#   - a copy of the sources (make distdir) is configured with the build's own
#     configure arguments and --prefix=TMP/prefix; the build's objects are
#     copied in, so make install only links (for the prefix's runpath), and
#     the build itself, which other tests run, is left as it is;
#   - the README's first program, built as the README says with
#     `mpicc prog.c $(pkg-config --cflags --libs parray)`, and with gcc instead
#     of mpicc, runs under mpirun, and so does the installed `parray info`;
#   - `man 3` finds a page for every function the library exports, and parray(3);
#   - a CMake program with find_package(parray) and parray::parray builds and
#     runs (skipped without cmake);
#   - make uninstall leaves no file in the prefix;
#   - make install prefix=OTHER in the same tree links the library again, so
#     the program installed there runs too, and OTHER's parray.pc names OTHER.
#
# Environment (make check sets them): PARRAY (the program: the build directory
# is its parent's parent), MPIRUN, PARRAY_SRCDIR; PARRAY_TEST_TIMEOUT (seconds
# per step, default 300).

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$srcdir/tests/common.sh"
need_parray
need_mpirun
find_builddir
set_limit 300
[ -x "$builddir/config.status" ] || { echo "SKIP: $builddir has no config.status"; exit 77; }
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
make_tmp install
unset LD_LIBRARY_PATH PARRAY_RANKS_PER_NODE PARRAY_FAULT

# ---- configure and install a copy
copy_sources
install_copy

# ---- the README's first program, with pkg-config
PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PKG_CONFIG_PATH
mkdir "$tmp/prog" || exit 99
awk '/^## A first program/ { sect = 1 } sect && /^```c/ { code = 1; next }
     code && /^```/ { exit } code' "$srcdir/README.md" >"$tmp/prog/prog.c"
[ -s "$tmp/prog/prog.c" ] || { fail "no C block under '## A first program' in README.md"; finish; }
# shellcheck disable=SC2016 # the README's text, not an expansion
grep -q 'mpicc prog.c $(pkg-config --cflags --libs parray)' "$srcdir/README.md" ||
    fail "README.md no longer builds its first program with mpicc prog.c \$(pkg-config --cflags --libs parray)"
echo "pkg-config --cflags --libs parray: $(pkg-config --cflags --libs parray)"
case " $(pkg-config --libs parray) " in
*" -Wl,-rpath,$prefix/lib "*) pass "parray.pc's Libs give the prefix's runpath" ;;
*) fail "parray.pc's Libs have no -Wl,-rpath,$prefix/lib" ;;
esac
# shellcheck disable=SC2046 # pkg-config's flags, split on purpose
step mpicc env -C "$tmp/prog" mpicc prog.c $(pkg-config --cflags --libs parray)
run first_program env -C "$tmp/prog" $mpirun -n 2 ./a.out
expect_rc 0 "the README's first program, built with mpicc and pkg-config, under mpirun -n 2"
if command -v gcc >/dev/null 2>&1; then
    # shellcheck disable=SC2046
    step gcc env -C "$tmp/prog" gcc prog.c $(pkg-config --cflags --libs parray) -o gcc.out
    run first_program_gcc env -C "$tmp/prog" $mpirun -n 2 ./gcc.out
    expect_rc 0 "the README's first program, built with gcc and pkg-config, under mpirun -n 2"
fi

# ---- the installed program
run info $mpirun -n 2 "$prefix/bin/parray" info
expect_rc 0 "the installed parray info under mpirun -n 2"
expect_in info.out 'ranks' "parray info prints the job's layout"

# ---- man 3 pages
nm -D --defined-only "$prefix/lib/libparray.so" | awk '$2 == "T" && $3 ~ /^pa_/ { print $3 }' |
    sed 's/@.*//' | sort -u >"$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
    fail "no pa_* function exported by $prefix/lib/libparray.so"
elif [ -e "$tree/man/man3.stamp" ]; then
    missing=$(while read -r f; do [ -f "$prefix/share/man/man3/$f.3" ] || echo "$f"; done <"$tmp/exported")
    if [ -z "$missing" ]; then
        pass "every exported function ($(wc -l <"$tmp/exported")) has a page in share/man/man3"
    else
        fail "exported functions without a man 3 page:" $missing
    fi
    [ -f "$prefix/share/man/man3/parray.3" ] || fail "parray(3) is not installed"
    if command -v man >/dev/null 2>&1; then
        # man finds the pages through PATH, as the README says.
        run man_w env -u MANPATH PATH="$prefix/bin:$PATH" man -w 3 pa_array_create
        expect_in man_w.out "^$prefix/share/man/man3/pa_array_create\\.3" \
            "man -w 3 pa_array_create finds the installed page, with the prefix's bin on PATH"
    fi
else
    echo "  note: the man 3 pages were not built (no python3 at configure time)"
fi

# ---- a CMake program
if command -v cmake >/dev/null 2>&1; then
    mkdir "$tmp/cmake" || exit 99
    cp "$tmp/prog/prog.c" "$tmp/cmake/" || exit 99
    cat >"$tmp/cmake/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.10)
project(first_program C)
find_package(parray 0.1 REQUIRED)
add_executable(first_program prog.c)
target_link_libraries(first_program PRIVATE parray::parray)
EOF
    step cmake_configure cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -DCMAKE_PREFIX_PATH="$prefix"
    if grep -q "^parray_DIR:PATH=$prefix/lib/cmake/parray\$" "$tmp/cmake/build/CMakeCache.txt"; then
        pass "find_package(parray) takes the package of the prefix"
    else
        fail "find_package(parray) found $(grep '^parray_DIR' "$tmp/cmake/build/CMakeCache.txt")"
    fi
    step cmake_build cmake --build "$tmp/cmake/build"
    run cmake_program $mpirun -n 2 "$tmp/cmake/build/first_program"
    expect_rc 0 "the README's first program, built by CMake with find_package(parray), under mpirun -n 2"
else
    echo "  note: no cmake, so find_package(parray) was not tried"
fi

# ---- make uninstall
step uninstall make -C "$tree" uninstall
left=$(find "$prefix" -type f)
if [ -z "$left" ]; then
    pass "make uninstall removes every installed file"
else
    fail "make uninstall leaves:" $left
fi

# ---- the same tree, installed into another prefix (as after ./configure
# --prefix=... in a tree built for another one): linked again for it
other=$tmp/other
step install_other make -C "$tree" install prefix="$other" V=0
run info_other "$other/bin/parray" --version
expect_rc 0 "parray --version, installed by make install prefix=... into a second prefix,"
expect_in install_other.out 'CCLD +src/libparray\.la' "the library is linked again for the second prefix"
if grep -q "^Libs: .*-Wl,-rpath,\${libdir}" "$other/lib/pkgconfig/parray.pc" &&
    grep -q "^libdir=$other/lib\$" "$other/lib/pkgconfig/parray.pc"; then
    pass "the second prefix's parray.pc names it, with the runpath"
else
    fail "the second prefix's parray.pc:"
    show "$other/lib/pkgconfig/parray.pc"
fi

finish
