/* The io experiment (concern 1): raw POSIX file I/O as the limit, parray's
 * parallel HDF5 with its options, and the naive gather-to-rank-0 way.
 * bench_io.c owns the experiment; the many-files figures come from
 * bench_files.c through the hook below. */
#ifndef PARRAY_BENCH_IO_H
#define PARRAY_BENCH_IO_H

#include "bench.h"

/* The many-files part of `parray bench io` (e.g. 1000 x 100 KB .npy loaded
 * by one rank and by all ranks), provided by bench_files.c. Collective,
 * with the rules of bench_experiment.run: it adds its figures and notes to
 * b and returns 0, or -1 on every rank after bench_fail/bench_agree. dir is
 * the directory the io experiment writes in (the same on every rank). It
 * is a weak symbol: when no file defines it, the io experiment says so in
 * a note and goes on. */
int bench_io_files(bench *b, const char *dir) __attribute__((weak));

#endif
