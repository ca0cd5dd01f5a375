/* The memory kernels that the experiments share and the limits measure
 * with: a vectorised sum, the STREAM triad, and z = a*b + c and z = s*x
 * with streaming stores, each in the widest vectors this CPU runs. */
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BENCH_X86 1 /* gcc on x86-64: target attributes and intrinsics */
#include <immintrin.h>
#endif

#include "bench.h"

/* The limit kernels come in three widths, chosen at run time: the widest
 * the CPU runs, as parray's own kernels are. A limit measured with
 * narrower loads than parray's understates the memory: on the 2-core VM
 * the 16-byte read ran at 0.8-0.9x of the 64-byte one, and the 16-byte
 * triad at 0.9x, because a core keeps fewer lines in flight when each line
 * takes four loads. Each adds in its own order, which the limits' checks
 * allow (they add whole numbers). */

/* One line per accumulator, and enough of them that the loads stream while
 * each add chain waits out its latency (-O2 does not unroll). */
#define SUM_BODY(V, W, ZERO, LOAD, ADD)                                                          \
    V s0 = ZERO, s1 = s0, s2 = s0, s3 = s0;                                                      \
    size_t i = 0;                                                                                \
    for (; i + 4 * (W) <= n; i += 4 * (W)) {                                                     \
        s0 = ADD(s0, LOAD(x + i));                                                               \
        s1 = ADD(s1, LOAD(x + i + (W)));                                                         \
        s2 = ADD(s2, LOAD(x + i + 2 * (W)));                                                     \
        s3 = ADD(s3, LOAD(x + i + 3 * (W)));                                                     \
    }                                                                                            \
    V t = ADD(ADD(s0, s1), ADD(s2, s3));                                                         \
    double lane[W], sum = 0;                                                                     \
    memcpy(lane, &t, sizeof t);                                                                  \
    for (int k = 0; k < (W); k++)                                                                \
        sum += lane[k];                                                                          \
    for (; i < n; i++)                                                                           \
        sum += x[i];                                                                             \
    return sum

/* The STREAM triad with ordinary stores: STREAM does not use streaming
 * stores, so neither does the limit. */
#define TRIAD_BODY(V, W, SET1, LOAD, STORE, ADD, MUL)                                            \
    const V vs = SET1(s);                                                                        \
    size_t i = 0;                                                                                \
    for (; i + 2 * (W) <= n; i += 2 * (W)) {                                                     \
        STORE(a + i, ADD(LOAD(b + i), MUL(vs, LOAD(c + i))));                                    \
        STORE(a + i + (W), ADD(LOAD(b + i + (W)), MUL(vs, LOAD(c + i + (W)))));                  \
    }                                                                                            \
    for (; i < n; i++)                                                                           \
    a[i] = b[i] + s * c[i]

/* z = a*b + c with streaming stores of whole lines, each rank on its own
 * part: three reads and a write, the best this memory does for the
 * expression, side by side with pa_eval's. */
#define FMA_STREAM_BODY(W, LOAD, STREAM, ADD, MUL)                                               \
    size_t i = 0;                                                                                \
    for (; i < n && ((uintptr_t)(z + i) & 63); i++)                                              \
        z[i] = a[i] * b[i] + c[i];                                                               \
    for (; i + 8 <= n; i += 8)                                                                   \
        for (int k = 0; k < 8; k += (W))                                                         \
            STREAM(z + i + k, ADD(MUL(LOAD(a + i + k), LOAD(b + i + k)), LOAD(c + i + k)));      \
    for (; i < n; i++)                                                                           \
        z[i] = a[i] * b[i] + c[i];                                                               \
    STREAM_FENCE()

/* z = s*x with streaming stores: one read and one write, the most this
 * memory moves for an expression of one operand. */
#define SCALE_STREAM_BODY(W, SET1, LOAD, STREAM, MUL)                                            \
    size_t i = 0;                                                                                \
    for (; i < n && ((uintptr_t)(z + i) & 63); i++)                                              \
        z[i] = s * x[i];                                                                         \
    for (; i + 8 <= n; i += 8)                                                                   \
        for (int k = 0; k < 8; k += (W))                                                         \
            STREAM(z + i + k, MUL(SET1(s), LOAD(x + i + k)));                                    \
    for (; i < n; i++)                                                                           \
        z[i] = s * x[i];                                                                         \
    STREAM_FENCE()

/* The four kernels for vectors V of W doubles, compiled with ATTR. */
#define WIDTH_KERNELS(W, ATTR, V, ZERO, SET1, LOAD, STORE, STREAM, ADD, MUL)                     \
    ATTR static double sum_##W(const double *x, size_t n)                                        \
    {                                                                                            \
        SUM_BODY(V, W, ZERO, LOAD, ADD);                                                         \
    }                                                                                            \
    ATTR static void triad_##W(double *restrict a, const double *restrict b,                     \
                               const double *restrict c, double s, size_t n)                     \
    {                                                                                            \
        TRIAD_BODY(V, W, SET1, LOAD, STORE, ADD, MUL);                                           \
    }                                                                                            \
    ATTR static void fma_stream_##W(double *restrict z, const double *restrict a,                \
                                    const double *restrict b, const double *restrict c,          \
                                    size_t n)                                                    \
    {                                                                                            \
        FMA_STREAM_BODY(W, LOAD, STREAM, ADD, MUL);                                              \
    }                                                                                            \
    ATTR static void scale_stream_##W(double *restrict z, const double *restrict x, double s,    \
                                      size_t n)                                                  \
    {                                                                                            \
        SCALE_STREAM_BODY(W, SET1, LOAD, STREAM, MUL);                                           \
    }

/* 16 bytes: GNU vectors through memcpy (no alignment assumed), which any
 * target compiles and gcc keeps in SSE2 registers on x86-64; streaming
 * stores where the target has them. */
typedef double v2d __attribute__((vector_size(16)));
static inline v2d load2(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store2(double *p, v2d v)
{
    memcpy(p, &v, sizeof v);
}
static inline v2d set2(double s)
{
    return (v2d){s, s};
}
#define ADD2(a, b) ((a) + (b))
#define MUL2(a, b) ((a) * (b))
#ifdef BENCH_X86
#define STREAM2 _mm_stream_pd
#define STREAM_FENCE() _mm_sfence()
#else
#define STREAM2 store2
#define STREAM_FENCE() ((void)0)
#endif
WIDTH_KERNELS(2, , v2d, set2(0), set2, load2, store2, STREAM2, ADD2, MUL2)

#ifdef BENCH_X86
WIDTH_KERNELS(4, __attribute__((target("avx2"))), __m256d, _mm256_setzero_pd(), _mm256_set1_pd,
              _mm256_loadu_pd, _mm256_storeu_pd, _mm256_stream_pd, _mm256_add_pd, _mm256_mul_pd)
WIDTH_KERNELS(8, __attribute__((target("avx512f"))), __m512d, _mm512_setzero_pd(), _mm512_set1_pd,
              _mm512_loadu_pd, _mm512_storeu_pd, _mm512_stream_pd, _mm512_add_pd, _mm512_mul_pd)
#endif

typedef struct {
    const char *width;
    double (*sum)(const double *x, size_t n);
    void (*triad)(double *restrict a, const double *restrict b, const double *restrict c,
                  double s, size_t n);
    void (*fma_stream)(double *restrict z, const double *restrict a, const double *restrict b,
                       const double *restrict c, size_t n);
    void (*scale_stream)(double *restrict z, const double *restrict x, double s, size_t n);
} limit_kernels;

/* The widest kernels this CPU runs. */
static const limit_kernels *widest(void)
{
#ifdef BENCH_X86
    static const limit_kernels k2 = {"16-byte (SSE2)", sum_2, triad_2, fma_stream_2,
                                     scale_stream_2},
                               k4 = {"32-byte (AVX2)", sum_4, triad_4, fma_stream_4,
                                     scale_stream_4},
                               k8 = {"64-byte (AVX-512)", sum_8, triad_8, fma_stream_8,
                                     scale_stream_8};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return &k8;
    if (__builtin_cpu_supports("avx2"))
        return &k4;
#else
    static const limit_kernels k2 = {"16-byte", sum_2, triad_2, fma_stream_2, scale_stream_2};
#endif
    return &k2;
}

double bench_sum(const double *x, size_t n)
{
    return widest()->sum(x, n);
}

void bench_triad(double *restrict a, const double *restrict b, const double *restrict c, double s,
                 size_t n)
{
    widest()->triad(a, b, c, s, n);
}

void bench_fma_stream(double *restrict z, const double *restrict a, const double *restrict b,
                      const double *restrict c, size_t n)
{
    widest()->fma_stream(z, a, b, c, n);
}

void bench_scale_stream(double *restrict z, const double *restrict x, double s, size_t n)
{
    widest()->scale_stream(z, x, s, n);
}

const char *bench_vector_width(void)
{
    return widest()->width;
}
