#!/bin/sh
# The Python module's pytest suite (python/tests/) under mpirun at every launcher
# configuration, as the C suites run: tests/launch starts `python -m pytest` on every
# rank, each test's outcome is agreed over the ranks (python/tests/conftest.py), any
# rank's failure fails the run, and a hang is a timeout. Skips where the module was not
# built (configure found no Python with numpy, or --disable-python), or without pytest
# or mpi4py.
srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/common.sh"
need_mpirun
set_limit 300
need_python_module __init__.py
"$py" -c 'import pytest' 2>/dev/null || { echo "SKIP: $py has no pytest"; exit 77; }

# PYTHONPATH through env, as the test hosts' launcher passes only PARRAY_* variables.
# -p no:cacheprovider: the ranks would race to write .pytest_cache into the sources.
PARRAY_TEST_TIMEOUT=$limit sh "$srcdir/tests/launch" env PYTHONPATH="$stage" \
    PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -q -p no:cacheprovider --color=no \
    --rootdir="$srcdir/python/tests" "$srcdir/python/tests" "$@"
