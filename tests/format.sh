#!/bin/sh
# The C sources are laid out as .clang-format says: scripts/check-format over every
# C file except those scripts/format-exempt lists. Skipped (exit 77) where
# clang-format 14 is not installed. A file that differs fails the test with its diff
# (`scripts/check-format --fix` reformats).
#
# Environment (make check sets it): PARRAY_SRCDIR.

srcdir=${PARRAY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
exec timeout 120 "$srcdir/scripts/check-format"
