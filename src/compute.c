/* What the entry points of the compute concept share: argument checks with
 * messages that name the arrays and show their shapes, scalar arguments
 * converted to a dtype, and streaming (non-temporal) stores for output
 * that is written once. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "compute.h"

const char *pa__array_shape_str(const pa_array *a, char *buf, size_t len)
{
    return pa__shape_str(a->ndim, a->shape, buf, len);
}

int pa__check_array(const char *fn, const pa_array *a, const char *name)
{
    if (!a)
        return pa__err(NULL, fn, PA_EINVAL, "%s is NULL", name);
    return PA_OK;
}

int pa__check_match(const char *fn, const pa_array *a, const char *aname, const pa_array *b,
                    const char *bname, int same_dtype)
{
    /* A NULL array's message goes to the other array's context. */
    if (!a || !b)
        return pa__err(a   ? a->ctx
                       : b ? b->ctx
                           : NULL,
                       fn, PA_EINVAL, "%s is NULL", a ? bname : aname);
    pa_ctx *ctx = a->ctx;
    PA_CHECK_AS(ctx, fn, a->ctx == b->ctx, PA_EINVAL, "%s and %s belong to different contexts",
                aname, bname);
    char sa[PA_MAXDIM * 24], sb[PA_MAXDIM * 24];
    int same = a->ndim == b->ndim;
    for (int i = 0; same && i < a->ndim; i++)
        same = a->shape[i] == b->shape[i];
    PA_CHECK_AS(ctx, fn, same, PA_EINVAL, "shape mismatch: %s is %s, %s is %s", aname,
                pa__array_shape_str(a, sa, sizeof sa), bname,
                pa__array_shape_str(b, sb, sizeof sb));
    PA_CHECK_AS(ctx, fn, a->dist == b->dist, PA_EINVAL,
                "distribution mismatch: %s is %s, %s is %s", aname,
                a->dist == PA_REPLICATED ? "replicated" : "distributed", bname,
                b->dist == PA_REPLICATED ? "replicated" : "distributed");
    PA_CHECK_AS(ctx, fn, !same_dtype || a->dtype == b->dtype, PA_EINVAL,
                "dtype mismatch: %s is %s, %s is %s (convert one with pa_astype)", aname,
                pa_dtype_name(a->dtype), bname, pa_dtype_name(b->dtype));
    return PA_OK;
}

int pa__scalar_to(pa_ctx *ctx, const char *fn, const char *name, double v, pa_dtype d, int whole,
                  void *dst)
{
    /* A bool takes any value where it need not be whole (a fill: nonzero
     * is true, as numpy's); as an operand it is 0 or 1. */
    if (pa__dtype_is_int(d) && (whole || pa__dtypes[d].kind != PA__KIND_BOOL)) {
        double lo = pa__dtypes[d].lo, hi = pa__dtypes[d].hi; /* hi exclusive */
        PA_CHECK_AS(ctx, fn, isfinite(v) && trunc(v) >= lo && trunc(v) < hi, PA_EINVAL,
                    "%s = %.17g is not in the range of %s", name, v, pa_dtype_name(d));
        PA_CHECK_AS(ctx, fn, !whole || v == trunc(v), PA_EINVAL,
                    "%s = %.17g is not a whole number, as an %s operand must be (convert the "
                    "array with pa_astype to use a fraction)",
                    name, v, pa_dtype_name(d));
    }
    pa__from_double(dst, d, v);
    return PA_OK;
}

void pa__local_range(const pa_array *a, size_t *lo, size_t *hi)
{
    int r = a->ctx->node_rank;
    *lo = a->part.bound[r];
    *hi = a->part.bound[r + 1];
}

/* ------------------------------------------------------------ stores */

pa_isa pa__cpu_isa(void)
{
#ifdef PA_X86_DISPATCH
    /* Asked once: the copies of small pieces ask at every call. */
    static _Atomic int known = -1;
    int isa = known;
    if (isa >= 0)
        return (pa_isa)isa;
    __builtin_cpu_init();
    /* The AVX2 and AVX-512 code may also use FMA (vmath.c) and F16C (f16
     * conversions), which every CPU with AVX2 has; asked all the same. */
    int fma_f16c = __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    isa = !fma_f16c                           ? PA_ISA_BASE
          : __builtin_cpu_supports("avx512f") ? PA_ISA_AVX512
          : __builtin_cpu_supports("avx2")    ? PA_ISA_AVX2
                                              : PA_ISA_BASE;
    known = isa;
    return (pa_isa)isa;
#else
    return PA_ISA_BASE;
#endif
}

int pa__cpu_has_avx512bw(void)
{
#ifdef PA_X86_DISPATCH
    static _Atomic int known = -1;
    int bw = known;
    if (bw < 0) {
        __builtin_cpu_init();
        bw = pa__cpu_isa() == PA_ISA_AVX512 && __builtin_cpu_supports("avx512bw");
        known = bw;
    }
    return bw;
#else
    return 0;
#endif
}

int pa__cpu_is_intel(void)
{
#ifdef PA_X86_DISPATCH
    __builtin_cpu_init();
    return __builtin_cpu_is("intel") != 0;
#else
    return 0;
#endif
}

#ifdef PA_X86_DISPATCH
/* Whole 64-byte lines per store: with 16-byte streaming stores the
 * write-combining buffers fill a quarter at a time, and a kernel whose
 * output goes through here ran 10% slower. d is 64-byte aligned. */
__attribute__((target("avx512f"))) static size_t stream_lines_avx512(char *d, const char *s,
                                                                     size_t bytes)
{
    size_t i = 0;
    for (; i + 64 <= bytes; i += 64)
        _mm512_stream_si512((void *)(d + i), _mm512_loadu_si512((const void *)(s + i)));
    return i;
}
#endif

void pa__stream_copy(void *dst, const void *src, size_t bytes)
{
    char *d = dst;
    const char *s = src;
#ifdef __SSE2__
    /* Ordinary stores up to the first 64-byte boundary of dst, then
     * streaming stores, then the tail. */
    size_t head = (64 - ((uintptr_t)d & 63)) & 63;
    if (head > bytes)
        head = bytes;
    memcpy(d, s, head);
    size_t i = head;
#ifdef PA_X86_DISPATCH
    if (pa__cpu_isa() == PA_ISA_AVX512)
        i += stream_lines_avx512(d + i, s + i, bytes - i);
#endif
    for (; i + 64 <= bytes; i += 64) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(s + i + 16));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(s + i + 32));
        __m128i v3 = _mm_loadu_si128((const __m128i *)(s + i + 48));
        _mm_stream_si128((__m128i *)(d + i), v0);
        _mm_stream_si128((__m128i *)(d + i + 16), v1);
        _mm_stream_si128((__m128i *)(d + i + 32), v2);
        _mm_stream_si128((__m128i *)(d + i + 48), v3);
    }
    for (; i + 16 <= bytes; i += 16)
        _mm_stream_si128((__m128i *)(d + i), _mm_loadu_si128((const __m128i *)(s + i)));
    memcpy(d + i, s + i, bytes - i);
#else
    memcpy(d, s, bytes);
#endif
}

#ifdef PA_X86_DISPATCH
/* n rows of run bytes (whole 64-byte lines) each, one store per line. */
__attribute__((target("avx512f"))) static void
stream_rows_avx512(char *d, size_t dstride, const char *s, size_t sstride, size_t run, size_t n)
{
    for (size_t r = 0; r < n; r++, d += dstride, s += sstride)
        for (size_t i = 0; i < run; i += 64)
            _mm512_stream_si512((void *)(d + i), _mm512_loadu_si512((const void *)(s + i)));
}
#endif

void pa__stream_rows(void *dst, size_t dstride, const void *src, size_t sstride, size_t run,
                     size_t n)
{
    char *d = dst;
    const char *s = src;
#ifdef PA_X86_DISPATCH
    if (!(((uintptr_t)d | dstride | run) & 63) && pa__cpu_isa() == PA_ISA_AVX512) {
        stream_rows_avx512(d, dstride, s, sstride, run, n);
        return;
    }
#endif
    for (size_t r = 0; r < n; r++, d += dstride, s += sstride)
        pa__stream_piece(d, s, run);
}

void pa__stream_fill(void *dst, const unsigned char pat[16], size_t bytes)
{
    char *d = dst;
    size_t i = 0;
#ifdef __SSE2__
    __m128i v = _mm_loadu_si128((const __m128i *)pat);
    for (; i + 64 <= bytes; i += 64) {
        _mm_stream_si128((__m128i *)(d + i), v);
        _mm_stream_si128((__m128i *)(d + i + 16), v);
        _mm_stream_si128((__m128i *)(d + i + 32), v);
        _mm_stream_si128((__m128i *)(d + i + 48), v);
    }
#else
    for (; i + 16 <= bytes; i += 16)
        memcpy(d + i, pat, 16);
#endif
    for (; i + 16 <= bytes; i += 16)
        memcpy(d + i, pat, 16);
    memcpy(d + i, pat, bytes - i);
}

void pa__stream_fence(void)
{
#ifdef __SSE2__
    _mm_sfence();
#endif
}
