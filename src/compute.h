/* Private declarations of the compute concept (initialisation, random
 * numbers, element-wise ops, user kernels, reductions) that its files and
 * the expression engine share: argument checks of the entry points,
 * element kernels selected by dtype, and streaming stores. */
#ifndef PARRAY_COMPUTE_PRIV_H
#define PARRAY_COMPUTE_PRIV_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dtype.h"
#include "internal.h"
#include "isa.h"
#include "opdefs.h"

/* 1 when Intel made this CPU (cpuid), else 0 (also off x86 or without
 * gcc), for the choices that are tuned per maker because the makers'
 * hardware prefetchers differ (the tree sums' read order in reduce.c). */
int pa__cpu_is_intel(void);

/* ------------------------------------------------------------ checks */

/* "(100,3)" (a 1-D shape is "(100,)") into buf, which it returns. */
const char *pa__array_shape_str(const pa_array *a, char *buf, size_t len);

/* Deterministic checks for the public call fn (the same result on every
 * rank that passes the same arguments, so no agreement is needed):
 * pa__check_array: a is not NULL (named by name);
 * pa__check_match: b has a's context, shape and distribution, and with
 * same_dtype its dtype too; the message names both arrays and shows both
 * shapes (or dtypes, suggesting pa_astype). */
int pa__check_array(const char *fn, const pa_array *a, const char *name);
int pa__check_match(const char *fn, const pa_array *a, const char *aname, const pa_array *b,
                    const char *bname, int same_dtype);

/* A double argument converted to an element of dtype d, stored at dst
 * (pa_dtype_size(d) bytes). For integer dtypes the value must be finite
 * and in range; with whole != 0 it must also be a whole number. Records
 * the error for fn and names the argument as name. */
int pa__scalar_to(pa_ctx *ctx, const char *fn, const char *name, double v, pa_dtype d, int whole,
                  void *dst);

/* ------------------------------------------------------------ local work */

/* This rank's part of a, as element offsets into the node block:
 * [*lo, *hi). */
void pa__local_range(const pa_array *a, size_t *lo, size_t *hi);

/* The address of element i (0-based in the node block) of a. */
static inline void *pa__node_ptr(const pa_array *a, size_t i)
{
    return a->block.base + i * a->part.elsize;
}

/* ------------------------------------------------------------ stores */

/* Copies bytes from src to dst, with non-temporal stores where the CPU has
 * them (SSE2, baseline on x86-64: from dst's first 16-byte boundary on);
 * otherwise memcpy. For output that is written once and not read again soon: the
 * stores bypass the cache, so the line is not read first. Call
 * pa__stream_fence before other ranks may read what was written. */
void pa__stream_copy(void *dst, const void *src, size_t bytes);

/* pa__stream_copy of a short piece (up to 256 bytes, as a chunk's row
 * that cuts a dataset's row): inline 16-byte streaming stores when dst and
 * bytes are multiples of 16, because a call per piece, not the stores,
 * made copying millions of 64-byte pieces half as fast as it could be. */
static inline void pa__stream_piece(void *dst, const void *src, size_t bytes)
{
#ifdef __SSE2__
    if (bytes <= 256 && !(((uintptr_t)dst | bytes) & 15)) {
        for (size_t i = 0; i < bytes; i += 16)
            _mm_stream_si128((__m128i *)((char *)dst + i),
                             _mm_loadu_si128((const __m128i *)((const char *)src + i)));
        return;
    }
#endif
    pa__stream_copy(dst, src, bytes);
}

/* pa__stream_piece of n rows of run bytes, dstride bytes apart at dst and
 * sstride at src; rows of whole 64-byte lines (8, 16, ... f64 columns) go
 * one store per line where the CPU has 64-byte stores, which fills each
 * write-combining buffer at once. */
void pa__stream_rows(void *dst, size_t dstride, const void *src, size_t sstride, size_t run,
                     size_t n);

/* Fills bytes at dst (16-byte aligned) with copies of the 16-byte pattern
 * pat, streaming where available. bytes need not be a multiple of 16: the
 * tail gets the pattern's first bytes. */
void pa__stream_fill(void *dst, const unsigned char pat[16], size_t bytes);

/* Orders the streaming stores before later stores and the window sync
 * (sfence on x86; nothing elsewhere). */
void pa__stream_fence(void);

/* *v = the element at elem of dtype d, exactly, as a pa_value of d
 * (value.c). */
void pa__value_of(pa_value *v, pa_dtype d, const void *elem);

#endif
