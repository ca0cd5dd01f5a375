/* Transposed copies of a block of fixed-size elements: the copy kernel of
 * a transpose (redist.c packs and copies with it). Blocks of N x N
 * elements are transposed in vector registers (N = 8 for 8-byte elements
 * with AVX-512, 16 for 4-byte ones; one macro builds every element size of
 * 1, 2, 4, 8 and 16 bytes), walked tile by tile so that the source and
 * destination lines of a tile stay in cache until they are used whole; on
 * Intel a large output of 4-, 8- or 16-byte elements is walked in strips
 * instead, so that every store but each row's first and last line (and
 * the ragged edges, copied element by element) is a whole aligned line,
 * streamed.
 * The kernels only move bytes, so every instruction set gives the same
 * bytes.
 *
 *     pa__transpose_copy(from, fs, to, ts, rows, cols, es);
 *
 * writes element (i, c) of from (row stride fs elements) to (c, i) of to
 * (row stride ts elements), for i < rows and c < cols. Not collective. */
#ifndef PARRAY_TRANSPOSE_TILE_H
#define PARRAY_TRANSPOSE_TILE_H

#include <stddef.h>

#include "isa.h"

/* With the kernels of the best instruction set this CPU runs. */
void pa__transpose_copy(const char *from, ptrdiff_t fs, char *to, ptrdiff_t ts, size_t rows,
                        size_t cols, size_t es);

/* The same with the kernels of isa, which this CPU must run, and with
 * strips where they apply when `strips` is not 0, as pa__transpose_copy
 * takes them on Intel with AVX-512 (the tests compare every set's and
 * both walks' bytes on any CPU). */
void pa__transpose_copy_isa(pa_isa isa, int strips, const char *from, ptrdiff_t fs, char *to,
                            ptrdiff_t ts, size_t rows, size_t cols, size_t es);

#endif
