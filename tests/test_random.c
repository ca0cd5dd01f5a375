/* Tests of the random arrays: Philox4x32-10 against Random123's published
 * known-answer vectors; uniform (f64, f32) and integers (i64, i32, u8)
 * bit for bit against the documented mapping recomputed here from the
 * scalar generator; normal against Box-Muller with libm; the same bits in
 * every layout (the job's distributed and replicated arrays against one
 * generated on a one-rank context); statistics (mean, variance,
 * chi-square) with bounds from the sample size; streams; bad input; and
 * the vector Philox blocks against the scalar one at counters whose high
 * word is set, which no array in a test is big enough to reach. */
#include "testutil.h"

#include <math.h>

#include "philox.h"

static void *gather_all(pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    void *buf = malloc(bytes ? bytes : 1);
    TU_OK(pa_array_gather(a, 0, buf), pa_array_ctx(a));
    MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    return buf;
}

/* On a one-rank context: the array is this rank's own, no broadcast. */
static void *gather_self(pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    void *buf = malloc(bytes ? bytes : 1);
    int rc = pa_array_gather(a, 0, buf);
    TU_RC(rc, PA_OK, self);
    return buf;
}

/* ------------------------------------------------------------ KAT */

START_TEST(test_kat)
{
    /* Random123 kat_vectors, "philox4x32 10": counter, key, expected. */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        pa_philox4x32(kat[k], kat[k] + 4, out);
        TU_ASSERT(memcmp(out, kat[k] + 6, sizeof out) == 0, "KAT %d: got %08x %08x %08x %08x", k,
                  out[0], out[1], out[2], out[3]);
    }
}
END_TEST

/* ------------------------------------------------------------ exact mappings */

static void draw(uint64_t seed, uint64_t stream, uint64_t j, uint32_t out[4])
{
    uint32_t ctr[4] = {(uint32_t)j, (uint32_t)(j >> 32), (uint32_t)stream,
                       (uint32_t)(stream >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    pa_philox4x32(ctr, key, out);
}

/* Every Philox block form against the scalar generator, at counters
 * that carry into the high word and wrap at 2^64. */
typedef void lanes_fn(uint64_t, uint32_t, uint32_t, uint32_t, uint32_t,
                      uint32_t[4][PHILOX_LANES]);

static void lanes_portable(uint64_t j0, uint32_t s0, uint32_t s1, uint32_t k0, uint32_t k1,
                           uint32_t x[4][PHILOX_LANES])
{
    philox_lanes(j0, s0, s1, k0, k1, x);
}

#ifdef PHILOX_HAVE_AVX512
__attribute__((target("avx512f"))) static void lanes_avx512(uint64_t j0, uint32_t s0, uint32_t s1,
                                                            uint32_t k0, uint32_t k1,
                                                            uint32_t x[4][PHILOX_LANES])
{
    philox_lanes_avx512(j0, s0, s1, k0, k1, x);
}
#endif

static size_t lanes_mismatches(lanes_fn *fn)
{
    static const uint64_t starts[] = {0, 1000, 0xFFFFFFFFull - 20, 0x123456789ull,
                                      0xFFFFFFFFFFFFFFFFull - 30};
    size_t bad = 0;
    for (size_t t = 0; t < sizeof starts / sizeof *starts; t++) {
        uint32_t x[4][PHILOX_LANES], s0 = 0xDEADBEEFu, s1 = (uint32_t)t, k0 = 0x01234567u,
                                     k1 = 0x89ABCDEFu;
        fn(starts[t], s0, s1, k0, k1, x);
        for (int i = 0; i < PHILOX_LANES; i++) {
            uint64_t j = starts[t] + (uint64_t)i;
            uint32_t ctr[4] = {(uint32_t)j, (uint32_t)(j >> 32), s0, s1}, key[2] = {k0, k1}, w[4];
            pa_philox4x32(ctr, key, w);
            for (int k = 0; k < 4; k++)
                bad += x[k][i] != w[k];
        }
    }
    return bad;
}

START_TEST(test_lanes)
{
    size_t bad = lanes_mismatches(lanes_portable);
    TU_ASSERT(bad == 0, "portable Philox block: %zu words differ from the scalar generator", bad);
#ifdef PHILOX_HAVE_AVX512
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        bad = lanes_mismatches(lanes_avx512);
        TU_ASSERT(bad == 0, "AVX-512 Philox block: %zu words differ from the scalar generator",
                  bad);
    }
#endif
}
END_TEST

/* 2-D shapes whose node boundaries fall at odd element offsets. */
static const size_t shape[2] = {1001, 3};
#define N (1001 * 3)

START_TEST(test_uniform_exact)
{
    const uint64_t seed = 0x123456789abcdefULL, stream = 7;
    const double low = -2.5, high = 4.0;
    for (int k = 0; k < 2; k++) {
        pa_dist dist = k ? PA_REPLICATED : PA_DISTRIBUTED;
        pa_array *a = NULL, *f = NULL;
        TU_OK(pa_array_create(ctx, PA_F64, 2, shape, dist, &a), ctx);
        TU_OK(pa_array_create(ctx, PA_F32, 2, shape, dist, &f), ctx);
        TU_OK(pa_random_uniform(a, seed, stream, low, high), ctx);
        TU_OK(pa_random_uniform(f, seed, stream, low, high), ctx);
        double *x = gather_all(a);
        float *y = gather_all(f);
        size_t bad = 0, badf = 0, out = 0;
        for (size_t i = 0; i < N; i++) {
            uint32_t w[4];
            draw(seed, stream, i / 2, w);
            uint64_t r = i % 2 ? ((uint64_t)w[3] << 32 | w[2]) : ((uint64_t)w[1] << 32 | w[0]);
            double want = low + (high - low) * ((double)(r >> 11) * 0x1p-53);
            if (want >= high)
                want = nextafter(high, -INFINITY);
            bad += memcmp(&want, &x[i], 8) != 0;
            out += !(x[i] >= low && x[i] < high);
            draw(seed, stream, i / 4, w);
            float lf = (float)low, hf = (float)high, sf = hf - lf;
            float u = (float)(w[i % 4] >> 8) * 0x1p-24f;
            volatile float wf = lf + sf * u; /* rounded to float here */
            float wantf = wf < hf ? wf : nextafterf(hf, -INFINITY);
            badf += memcmp(&wantf, &y[i], 4) != 0;
        }
        TU_ASSERT(bad == 0 && badf == 0 && out == 0,
                  "uniform: %zu f64 and %zu f32 values differ from the mapping, %zu out of range",
                  bad, badf, out);
        free(x);
        free(y);
        pa_array_free(&a);
        pa_array_free(&f);
    }
}
END_TEST

START_TEST(test_integers_exact)
{
    const uint64_t seed = 99, stream = 3;
    static const struct {
        pa_dtype d;
        int64_t lo, hi;
        int closed; /* pa_random_unsigned over [lo, hi] (hi as uint64_t) */
    } cases[] = {{PA_I64, -1000, 1000, 0},
                 {PA_I64, INT64_MIN, INT64_MAX, 0},
                 {PA_I32, INT32_MIN, (int64_t)INT32_MAX + 1, 0},
                 {PA_I32, 5, 6, 0},
                 {PA_U8, 0, 256, 0},
                 {PA_U8, 10, 20, 0},
                 {PA_I8, -128, 128, 0},
                 {PA_I16, -300, 7, 0},
                 {PA_U16, 0, 65536, 0},
                 {PA_U32, 7, (int64_t)UINT32_MAX + 1, 0},
                 {PA_U64, 3, 1000, 0},
                 {PA_U64, 0, -1, 1},
                 {PA_U64, 5, -6, 1},
                 {PA_U16, 0, 65535, 1},
                 {PA_U8, 10, 19, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        pa_array *a = NULL;
        pa_dtype d = cases[c].d;
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, &a), ctx);
        if (cases[c].closed)
            TU_OK(
                pa_random_unsigned(a, seed, stream, (uint64_t)cases[c].lo, (uint64_t)cases[c].hi),
                ctx);
        else
            TU_OK(pa_random_integers(a, seed, stream, cases[c].lo, cases[c].hi), ctx);
        void *x = gather_all(a);
        size_t bad = 0;
        /* 0 stands for 2^64 values. */
        uint64_t range = (uint64_t)cases[c].hi - (uint64_t)cases[c].lo +
                         (uint64_t)cases[c].closed;
        for (size_t i = 0; i < N; i++) {
            uint32_t w[4];
            draw(seed, stream, i / 2, w);
            uint64_t r = i % 2 ? ((uint64_t)w[3] << 32 | w[2]) : ((uint64_t)w[1] << 32 | w[0]);
            uint64_t off = range ? (uint64_t)(((unsigned __int128)r * range) >> 64) : r;
            __int128 want = tu_wrap_i((__int128)((uint64_t)cases[c].lo + off), d);
            __int128 got = tu_get_i(x, d, i);
            bad += got != want || (range && (uint64_t)got - (uint64_t)cases[c].lo >= range);
        }
        TU_ASSERT(bad == 0, "integers case %zu (%s): %zu differ", c, pa_dtype_name(cases[c].d),
                  bad);
        free(x);
        pa_array_free(&a);
    }
}
END_TEST

/* normal against Box-Muller with libm: the library uses its own log and
 * sin/cos polynomials (accurate to a few ulp), so the values agree to a
 * few ulp of the largest term: r <= 8.6 and |cos|, |sin| <= 1 give an
 * absolute difference well under 1e-14 (measured differences are about
 * 1e-15; 1e-14 leaves room for libm's own error of about 1 ulp). */
START_TEST(test_normal_ref)
{
    const uint64_t seed = 5, stream = 0;
    const double mean = 1.0, sd = 2.0;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_random_normal(a, seed, stream, mean, sd), ctx);
    double *x = gather_all(a);
    double worst = 0;
    for (size_t i = 0; i < N; i++) {
        uint32_t w[4];
        draw(seed, stream, i / 2, w);
        double u1 = (double)((((uint64_t)w[1] << 32 | w[0]) >> 11) + 1) * 0x1p-53;
        double u2 = (double)(((uint64_t)w[3] << 32 | w[2]) >> 11) * 0x1p-53;
        double r = sqrt(-2.0 * log(u1)), t = 2.0 * M_PI * u2;
        double z = i % 2 ? r * sin(t) : r * cos(t);
        double d = fabs((x[i] - mean) / sd - z);
        worst = d > worst ? d : worst;
    }
    TU_ASSERT(worst < 1e-14, "normal differs from libm Box-Muller by %g", worst);
    free(x);
    pa_array_free(&a);
}
END_TEST

/* ------------------------------------------------------------ layouts */

/* One fill of kind (0 uniform, 1 normal for floats; 0 integers, 1
 * pa_random_unsigned's whole range for integers). */
static int fill_kind(pa_array *a, int kind)
{
    pa_dtype d = pa_array_dtype(a);
    if (d == PA_BOOL)
        return pa_random_bool(a, 42, 1, kind == 0 ? 0.3 : 0.5);
    if (!tu_is_int(d))
        return kind == 0 ? pa_random_uniform(a, 42, 1, 0, 1) : pa_random_normal(a, 42, 1, 0, 1);
    if (kind == 0)
        return pa_random_integers(a, 42, 1, tu_wrap_i(-1, d) < 0 ? -7 : 0, 100);
    return tu_wrap_i(-1, d) < 0 ? pa_random_integers(a, 42, 1, -7, 100)
                                : pa_random_unsigned(a, 42, 1, 0, (uint64_t)tu_wrap_i(-1, d));
}

/* The same bits from the job's distributed and replicated arrays and from
 * a one-rank context, for every distribution and dtype, on a shape whose
 * node boundaries fall at odd offsets and a large one (streaming path). */
START_TEST(test_bit_identity)
{
    size_t shapes[2][2] = {{1001, 3}, {100003, 5}};
    for (int s = 0; s < 2; s++)
        for (pa_dtype d = 0; d < PA_NDTYPES; d++)
            for (int kind = 0; kind < 2; kind++) {
                pa_array *a = NULL, *r = NULL, *one = NULL;
                TU_OK(pa_array_create(ctx, d, 2, shapes[s], PA_DISTRIBUTED, &a), ctx);
                TU_OK(pa_array_create(ctx, d, 2, shapes[s], PA_REPLICATED, &r), ctx);
                TU_RC(pa_array_create(self, d, 2, shapes[s], PA_DISTRIBUTED, &one), PA_OK, self);
                TU_OK(fill_kind(a, kind), ctx);
                TU_OK(fill_kind(r, kind), ctx);
                TU_RC(fill_kind(one, kind), PA_OK, self);
                void *x = gather_all(a), *y = gather_all(r), *z = gather_self(one);
                size_t bytes = pa_array_size(a) * pa_dtype_size(d);
                TU_ASSERT(memcmp(x, z, bytes) == 0 && memcmp(y, z, bytes) == 0,
                          "%s kind %d shape %zu: the job's array differs from the one-rank array",
                          pa_dtype_name(d), kind, shapes[s][0]);
                free(x);
                free(y);
                free(z);
                pa_array_free(&a);
                pa_array_free(&r);
                pa_array_free(&one);
            }
}
END_TEST

/* ------------------------------------------------------------ statistics */

/* Upper 1e-6 quantile of chi-square with df degrees of freedom by the
 * Wilson-Hilferty approximation (z = 4.753), accurate to a few percent
 * here: a correct generator fails a check about once in a million runs. */
static double chi2_limit(double df)
{
    double h = 2.0 / (9.0 * df);
    return df * pow(1.0 - h + 4.753 * sqrt(h), 3);
}

#define NS 200000

START_TEST(test_statistics)
{
    size_t n = NS;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a), ctx);

    /* uniform [0,1): mean 1/2 (sd of the sample mean sqrt(1/12/n)),
     * variance 1/12 (sd of the sample variance sqrt((1/80 - 1/144)/n)),
     * 5-sigma bounds; 100 equal bins. */
    TU_OK(pa_random_uniform(a, 2024, 0, 0, 1), ctx);
    double *x = gather_all(a), m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    v /= n;
    TU_ASSERT(fabs(m - 0.5) < 5 * sqrt(1.0 / 12 / n), "uniform mean %g", m);
    TU_ASSERT(fabs(v - 1.0 / 12) < 5 * sqrt((1.0 / 80 - 1.0 / 144) / n), "uniform var %g", v);
    double cnt[100] = {0}, chi = 0;
    for (size_t i = 0; i < n; i++)
        cnt[(int)(x[i] * 100)]++;
    for (int k = 0; k < 100; k++)
        chi += (cnt[k] - n / 100.0) * (cnt[k] - n / 100.0) / (n / 100.0);
    TU_ASSERT(chi < chi2_limit(99), "uniform chi-square %g >= %g", chi, chi2_limit(99));
    free(x);

    /* normal(0,1): mean within 5/sqrt(n), variance within 5 sqrt(2/n);
     * bins of width 0.25 on [-4, 4] plus two tails (expected >= 6 each). */
    TU_OK(pa_random_normal(a, 2024, 1, 0, 1), ctx);
    x = gather_all(a);
    m = v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    v /= n;
    TU_ASSERT(fabs(m) < 5 / sqrt(n), "normal mean %g", m);
    TU_ASSERT(fabs(v - 1) < 5 * sqrt(2.0 / n), "normal var %g", v);
    double nc[34] = {0};
    for (size_t i = 0; i < n; i++) {
        int k = x[i] < -4 ? 0 : x[i] >= 4 ? 33 : 1 + (int)((x[i] + 4) / 0.25);
        nc[k > 32 ? 32 : k]++;
    }
    chi = 0;
    for (int k = 0; k < 34; k++) {
        double lo = k == 0 ? -INFINITY : -4 + 0.25 * (k - 1),
               hi = k == 33 ? INFINITY : -4 + 0.25 * k;
        double p = 0.5 * erfc(-hi / sqrt(2)) - 0.5 * erfc(-lo / sqrt(2));
        chi += (nc[k] - n * p) * (nc[k] - n * p) / (n * p);
    }
    TU_ASSERT(chi < chi2_limit(33), "normal chi-square %g >= %g", chi, chi2_limit(33));
    free(x);

    /* Two streams of one seed: uncorrelated (|r| < 5/sqrt(n)). */
    pa_array *b = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_random_normal(b, 2024, 2, 0, 1), ctx);
    x = gather_all(a);
    double *y = gather_all(b), c = 0;
    for (size_t i = 0; i < n; i++)
        c += x[i] * y[i];
    c /= n;
    TU_ASSERT(fabs(c) < 5 / sqrt(n), "streams 1 and 2 correlate: %g", c);
    free(x);
    free(y);
    pa_array_free(&a);
    pa_array_free(&b);

    /* u8 over [0, 256): 256 equal bins. */
    TU_OK(pa_array_create(ctx, PA_U8, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_random_integers(a, 7, 0, 0, 256), ctx);
    uint8_t *u = gather_all(a);
    double uc[256] = {0};
    for (size_t i = 0; i < n; i++)
        uc[u[i]]++;
    chi = 0;
    for (int k = 0; k < 256; k++)
        chi += (uc[k] - n / 256.0) * (uc[k] - n / 256.0) / (n / 256.0);
    TU_ASSERT(chi < chi2_limit(255), "u8 chi-square %g >= %g", chi, chi2_limit(255));
    free(u);
    pa_array_free(&a);
}
END_TEST

/* bool: true exactly where the f64 uniform of the same (seed, stream, i)
 * is below p; p = 0 and p = 1 give all false and all true; other dtypes
 * and p outside [0, 1] are refused. */
START_TEST(test_bool)
{
    size_t n = 10007;
    pa_array *b = NULL, *u = NULL;
    TU_OK(pa_array_create(ctx, PA_BOOL, 1, &n, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &u), ctx);
    TU_OK(pa_random_uniform(u, 9, 4, 0, 1), ctx);
    double *uv = gather_all(u);
    static const double ps[] = {0, 0.25, 0.5, 1};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        TU_OK(pa_random_bool(b, 9, 4, ps[k]), ctx);
        unsigned char *bv = gather_all(b);
        size_t bad = 0, trues = 0;
        for (size_t i = 0; i < n; i++) {
            bad += bv[i] != (uv[i] < ps[k]);
            trues += bv[i];
        }
        TU_ASSERT(bad == 0, "p = %g: %zu elements differ from uniform < p", ps[k], bad);
        TU_CHECK(ps[k] != 0 || trues == 0);
        TU_CHECK(ps[k] != 1 || trues == n);
        free(bv);
    }
    TU_RC(pa_random_bool(b, 1, 0, -0.1), PA_EINVAL, ctx);
    TU_RC(pa_random_bool(b, 1, 0, 1.5), PA_EINVAL, ctx);
    TU_RC(pa_random_bool(b, 1, 0, NAN), PA_EINVAL, ctx);
    TU_RC(pa_random_bool(u, 1, 0, 0.5), PA_ENOTSUP, ctx);
    TU_RC(pa_random_uniform(b, 1, 0, 0, 1), PA_ENOTSUP, ctx);
    free(uv);
    pa_array_free(&b);
    pa_array_free(&u);
}
END_TEST

START_TEST(test_bad)
{
    size_t n = 10;
    pa_array *f = NULL, *i = NULL, *u = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &f), ctx);
    TU_OK(pa_array_create(ctx, PA_I64, 1, &n, PA_DISTRIBUTED, &i), ctx);
    TU_OK(pa_array_create(ctx, PA_U8, 1, &n, PA_DISTRIBUTED, &u), ctx);
    TU_RC(pa_random_uniform(f, 1, 0, 1, 1), PA_EINVAL, ctx);
    TU_RC(pa_random_uniform(f, 1, 0, 0, NAN), PA_EINVAL, ctx);
    TU_RC(pa_random_uniform(f, 1, 0, -INFINITY, 0), PA_EINVAL, ctx);
    TU_RC(pa_random_uniform(i, 1, 0, 0, 1), PA_ENOTSUP, ctx);
    TU_RC(pa_random_normal(f, 1, 0, 0, -1), PA_EINVAL, ctx);
    TU_RC(pa_random_normal(u, 1, 0, 0, 1), PA_ENOTSUP, ctx);
    TU_RC(pa_random_integers(f, 1, 0, 0, 10), PA_ENOTSUP, ctx);
    TU_RC(pa_random_integers(i, 1, 0, 5, 5), PA_EINVAL, ctx);
    TU_RC(pa_random_integers(u, 1, 0, 0, 257), PA_EINVAL, ctx);
    TU_RC(pa_random_integers(u, 1, 0, -1, 10), PA_EINVAL, ctx);
    TU_RC(pa_random_uniform(NULL, 1, 0, 0, 1), PA_EINVAL, NULL);
    pa_array_free(&f);
    pa_array_free(&i);
    pa_array_free(&u);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("random");
    TCase *tc = tu_tcase(s, "random");
    tcase_add_checked_fixture(tc, tu_ctx_self_setup, tu_ctx_self_teardown);
    tcase_add_test(tc, test_kat);
    tcase_add_test(tc, test_lanes);
    tcase_add_test(tc, test_uniform_exact);
    tcase_add_test(tc, test_integers_exact);
    tcase_add_test(tc, test_normal_ref);
    tcase_add_test(tc, test_bit_identity);
    tcase_add_test(tc, test_statistics);
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_bad);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
