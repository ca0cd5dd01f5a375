/* Initialisation: constant fills, ranges, copies and dtype conversions.
 * Each rank writes only its own span (dst's partition) and reads the
 * source, if any, at the same node-block elements, which any rank of the
 * node may read. Every call ends with the node sync. Large spans are
 * written with streaming stores (see PA_STREAM_MIN_BYTES). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"

/* Elements converted per step through a stack buffer (8 KiB of doubles:
 * stays in L1 between the producing and the converting loop). */
#define CONV_BLOCK 1024

/* ------------------------------------------------------------ fills */

/* Writes this rank's span of a with copies of the element at elem, then
 * syncs the node. The 16-byte pattern holds whole elements. */
_Static_assert(16 % sizeof(pa__elem) == 0, "fill_elem's pattern holds whole elements");
static int fill_elem(pa_array *a, const void *elem)
{
    size_t es = a->part.elsize, lo, hi;
    pa__local_range(a, &lo, &hi);
    unsigned char pat[16];
    for (size_t k = 0; k < 16; k += es)
        memcpy(pat + k, elem, es);
    char *p = pa__node_ptr(a, lo);
    size_t bytes = (hi - lo) * es;
    if (bytes > PA_STREAM_MIN_BYTES) {
        /* The span starts on a cache line (partition bounds are 64-byte
         * multiples of a page-aligned block), as the 16-byte streaming
         * stores need. */
        pa__stream_fill(p, pat, bytes);
        pa__stream_fence();
    } else {
        size_t i = 0;
        for (; i + 16 <= bytes; i += 16)
            memcpy(p + i, pat, 16);
        memcpy(p + i, pat, bytes - i);
    }
    /* Publishes every rank's span to the node's ranks. */
    return pa__array_sync(a);
}

static int fill_checked(const char *fn, pa_array *a, double v)
{
    PA_TRY(pa__check_array(fn, a, "a"));
    PA_COLLECTIVE(a->ctx, fn, "%s, %.17g", PA_CC_ARRAY(a), v);
    pa__elem elem;
    PA_TRY(pa__scalar_to(a->ctx, fn, "value", v, a->dtype, 0, &elem));
    return fill_elem(a, &elem);
}

int pa_zeros(pa_array *a)
{
    return fill_checked(__func__, a, 0.0);
}
int pa_ones(pa_array *a)
{
    return fill_checked(__func__, a, 1.0);
}
int pa_full(pa_array *a, double value)
{
    return fill_checked(__func__, a, value);
}

/* ------------------------------------------------------------ ranges */

/* a[i] = start + i * step over this rank's span; for non-f64 dtypes
 * through a double buffer and pa__convert. last >= 0 overrides the value
 * of global index last with stop (linspace's endpoint). */
static int ramp(pa_array *a, double start, double step, size_t last, double stop)
{
    size_t lo, hi;
    pa__local_range(a, &lo, &hi);
    size_t g0 = a->row0 * a->rowsize; /* global index of node element 0 */
    double buf[CONV_BLOCK];
    for (size_t i = lo; i < hi; i += CONV_BLOCK) {
        size_t n = hi - i < CONV_BLOCK ? hi - i : CONV_BLOCK;
        double *d = a->dtype == PA_F64 ? (double *)pa__node_ptr(a, i) : buf;
        for (size_t k = 0; k < n; k++)
            d[k] = start + (double)(g0 + i + k) * step;
        if (last >= g0 + i && last < g0 + i + n)
            d[last - g0 - i] = stop;
        if (a->dtype != PA_F64)
            pa__convert(pa__node_ptr(a, i), a->dtype, buf, PA_F64, n);
    }
    return pa__array_sync(a);
}

int pa_arange(pa_array *a, double start, double step)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, start %.17g, step %.17g", PA_CC_ARRAY(a), start, step);
    return ramp(a, start, step, SIZE_MAX, 0.0);
}

int pa_linspace(pa_array *a, double start, double stop, int endpoint)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %.17g, %.17g, endpoint %d", PA_CC_ARRAY(a), start, stop,
                  endpoint);
    size_t n = a->size, d = endpoint ? (n ? n - 1 : 0) : n;
    double step = d ? (stop - start) / (double)d : 0.0;
    return ramp(a, start, step, endpoint && n > 1 ? n - 1 : SIZE_MAX, stop);
}

/* ------------------------------------------------------------ copies */

int pa_copy(pa_array *dst, const pa_array *src)
{
    PA_TRY(pa__check_array(__func__, dst, "dst"));
    PA_COLLECTIVE(dst->ctx, __func__, "%s, %s", PA_CC_ARRAY(dst), PA_CC_ARRAY(src));
    PA_TRY(pa__check_match(__func__, dst, "dst", src, "src", 1));
    if (dst == src)
        return PA_OK;
    size_t es = dst->part.elsize, lo, hi;
    pa__local_range(dst, &lo, &hi);
    size_t bytes = (hi - lo) * es;
    if (bytes > PA_STREAM_MIN_BYTES) {
        pa__stream_copy(pa__node_ptr(dst, lo), pa__node_ptr(src, lo), bytes);
        pa__stream_fence();
    } else {
        memcpy(pa__node_ptr(dst, lo), pa__node_ptr(src, lo), bytes);
    }
    return pa__array_sync(dst);
}

/* Asks for bytes at p to come into L2 (prefetcht1), a line at a time. */
static void prefetch_l2(const char *p, size_t bytes)
{
    for (size_t b = 0; b < bytes; b += PA_CACHE_LINE)
        __builtin_prefetch(p + b, 0, 2);
}

int pa_astype(pa_array *dst, const pa_array *src)
{
    PA_TRY(pa__check_array(__func__, dst, "dst"));
    PA_COLLECTIVE(dst->ctx, __func__, "%s, %s", PA_CC_ARRAY(dst), PA_CC_ARRAY(src));
    PA_TRY(pa__check_match(__func__, dst, "dst", src, "src", 0));
    if (dst == src)
        return PA_OK;
    if (dst->dtype == src->dtype)
        return pa_copy(dst, src);
    /* dst's partition decides who writes what; src's elements with the
     * same node-block index (the same global index: both arrays hold the
     * same rows on this node) may lie in a neighbour's span of src, which
     * is readable because src was synced by the call that last wrote it. */
    size_t lo, hi, ds = dst->part.elsize;
    pa__local_range(dst, &lo, &hi);
    if ((hi - lo) * ds <= PA_STREAM_MIN_BYTES) {
        pa__convert(pa__node_ptr(dst, lo), dst->dtype, pa__node_ptr(src, lo), src->dtype,
                    hi - lo);
        return pa__array_sync(dst);
    }
    /* A large output is converted a tile at a time into a buffer that
     * stays in the cache, and streamed out from there, so that its lines
     * are not read before they are written (a widening cast writes more
     * than it reads). On Intel the next tile's source is asked into L2
     * while this one converts: with the hardware prefetchers alone the
     * casts ran at 0.81-0.94x of the triad for f64 -> f32, f64 -> i32,
     * f32 -> f16 and c128 -> c64, and so at 0.97-1.12x (into L1: 0.93-1.06x),
     * the builds alternated; AMD, which met the target without, does not. */
    _Alignas(64) unsigned char tile[4096];
    size_t per = sizeof tile / ds, ss = src->part.elsize;
    int ahead = pa__cpu_is_intel();
    for (size_t i = lo; i < hi; i += per) {
        size_t len = hi - i < per ? hi - i : per;
        if (ahead && i + len < hi)
            prefetch_l2(pa__node_ptr(src, i + len),
                        (hi - i - len < per ? hi - i - len : per) * ss);
        pa__convert(tile, dst->dtype, pa__node_ptr(src, i), src->dtype, len);
        pa__stream_copy(pa__node_ptr(dst, i), tile, len * ds);
    }
    pa__stream_fence();
    return pa__array_sync(dst);
}
