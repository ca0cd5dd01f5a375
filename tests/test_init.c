/* Tests of initialisation: zeros/ones/full for every dtype and both
 * distributions (small arrays on ordinary stores and large ones on
 * streaming stores), arange and linspace against numpy's formulas
 * recomputed here, copy, astype between every pair of dtypes against a
 * conversion written independently here, empty arrays, and bad input
 * (shape, distribution and dtype mismatches, values out of range, NULL),
 * which must leave the arrays unchanged. */
#include "testutil.h"

#include <math.h>

static const pa_dist dists[] = {PA_DISTRIBUTED, PA_REPLICATED};

/* The whole array on every rank: gathered to rank 0, then broadcast. */
static void *gather_all(pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    void *buf = malloc(bytes ? bytes : 1);
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    return buf;
}

/* Sizes: empty, one element, a few cache lines, and large enough that
 * every rank's span passes PA_STREAM_MIN_BYTES for f64 at up to 4 ranks
 * (6 MB of f64) so the streaming path runs too. */
static const size_t sizes[] = {0, 1, 1001, 750007};
#define NSIZES 4

static void check_const(pa_array *a, double want, const char *what)
{
    pa_dtype d = pa_array_dtype(a);
    size_t n = pa_array_size(a), bad = 0;
    void *buf = gather_all(a);
    for (size_t i = 0; i < n; i++)
        bad += tu_get_f(buf, d, i) != want;
    TU_ASSERT(bad == 0, "%s: %zu of %zu elements of %s differ from %g", what, bad, n,
              pa_dtype_name(d), want);
    free(buf);
}

START_TEST(test_fill)
{
    for (pa_dtype d = 0; d < PA_NDTYPES; d++)
        for (int k = 0; k < 2; k++)
            for (int s = 0; s < NSIZES; s++) {
                pa_array *a = NULL;
                size_t n = sizes[s];
                if (dists[k] == PA_REPLICATED && n > 2000)
                    continue;
                TU_OK(pa_array_create(ctx, d, 1, &n, dists[k], &a), ctx);
                TU_OK(pa_ones(a), ctx);
                check_const(a, 1.0, "ones");
                TU_OK(pa_full(a, 7.9), ctx); /* truncated to 7 for integers */
                check_const(a, tu_is_int(d) ? 7.0 : tu_round_f(7.9, d), "full");
                TU_OK(pa_zeros(a), ctx);
                check_const(a, 0.0, "zeros");
                TU_OK(pa_array_free(&a), ctx);
            }
}
END_TEST

START_TEST(test_fill_bad)
{
    size_t n = 100;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_U8, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_full(a, 5), ctx);
    TU_RC(pa_full(a, 256), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "value") != NULL);
    TU_RC(pa_full(a, -1), PA_EINVAL, ctx);
    TU_RC(pa_full(a, NAN), PA_EINVAL, ctx);
    check_const(a, 5.0, "u8 after rejected fills");
    TU_RC(pa_full(NULL, 1.0), PA_EINVAL, NULL);
    TU_OK(pa_array_free(&a), ctx);
    /* The edges of i64: 2^63 is out, -2^63 is in. */
    TU_OK(pa_array_create(ctx, PA_I64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_RC(pa_full(a, 0x1p63), PA_EINVAL, ctx);
    TU_OK(pa_full(a, -0x1p63), ctx);
    TU_OK(pa_array_free(&a), ctx);
}
END_TEST

START_TEST(test_arange_linspace)
{
    size_t shapes[][2] = {{1, 1}, {37, 13}, {1000, 7}, {3, 0}};
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < 4; s++) {
            pa_array *a = NULL, *b = NULL;
            TU_OK(pa_array_create(ctx, PA_F64, 2, shapes[s], dists[k], &a), ctx);
            TU_OK(pa_array_create(ctx, PA_I32, 2, shapes[s], dists[k], &b), ctx);
            size_t n = pa_array_size(a), bad = 0;
            TU_OK(pa_arange(a, 1.5, 0.25), ctx);
            TU_OK(pa_arange(b, -5, 3), ctx);
            double *x = gather_all(a);
            int32_t *y = gather_all(b);
            for (size_t i = 0; i < n; i++)
                bad += x[i] != 1.5 + (double)i * 0.25 || y[i] != -5 + 3 * (int32_t)i;
            TU_ASSERT(bad == 0, "arange: %zu elements differ", bad);
            free(x);
            free(y);
            /* numpy.linspace: start + i * step, step = (stop - start) / div,
             * the last element exactly stop with the endpoint. */
            for (int ep = 0; ep < 2; ep++) {
                TU_OK(pa_linspace(a, -1.0, 2.0, ep), ctx);
                x = gather_all(a);
                size_t div = ep ? (n > 1 ? n - 1 : 0) : n;
                double step = div ? 3.0 / (double)div : 0.0;
                bad = 0;
                for (size_t i = 0; i < n; i++) {
                    double want = -1.0 + (double)i * step;
                    if (ep && n > 1 && i == n - 1)
                        want = 2.0;
                    bad += x[i] != want;
                }
                TU_ASSERT(bad == 0, "linspace endpoint=%d: %zu of %zu differ", ep, bad, n);
                free(x);
            }
            TU_OK(pa_array_free(&a), ctx);
            TU_OK(pa_array_free(&b), ctx);
        }
}
END_TEST

/* The expected conversion, written from the documented rules: float ->
 * int truncates, NaN -> 0, saturates; int -> int keeps the low bits;
 * anything -> float rounds once (a C conversion, defined for these values). */
static void ref_convert(pa_dtype dd, void *dst, pa_dtype sd, const void *src, size_t i)
{
    if (tu_is_int(sd)) {
        tu_set_i(dst, dd, i, tu_get_i(src, sd, i));
        return;
    }
    double fv = tu_get_f(src, sd, i);
    if (!tu_is_int(dd)) {
        tu_set_f(dst, dd, i, fv);
        return;
    }
    int bits = 8 * (int)pa_dtype_size(dd), sgn = tu_wrap_i(-1, dd) < 0;
    __int128 mn = sgn ? -((__int128)1 << (bits - 1)) : 0;
    __int128 mx = sgn ? ((__int128)1 << (bits - 1)) - 1 : ((__int128)1 << bits) - 1;
    __int128 r = isnan(fv)                ? 0
                 : fv < (double)mn        ? mn
                 : fv >= (double)mx + 1.0 ? mx
                                          : (__int128)trunc(fv);
    tu_set_i(dst, dd, i, r);
}

START_TEST(test_astype)
{
    static const double fvals[] = {0.0,
                                   -0.0,
                                   1.5,
                                   -1.5,
                                   2.99,
                                   -2.99,
                                   255.9,
                                   256.0,
                                   300.7,
                                   -300.7,
                                   2147483647.9,
                                   2147483648.0,
                                   -2147483648.9,
                                   1e12 + 0.5,
                                   0x1p62,
                                   0x1p63,
                                   -0x1p63,
                                   -0x1p64,
                                   1e300,
                                   INFINITY,
                                   -INFINITY,
                                   NAN,
                                   3.4e38,
                                   1e39,
                                   127.9,
                                   128.0,
                                   -128.9,
                                   -129.0,
                                   32767.9,
                                   32768.0,
                                   -32768.9,
                                   65503.9,
                                   65504.0,
                                   65519.9,
                                   65520.0,
                                   65535.9,
                                   65536.0,
                                   4294967295.9,
                                   4294967296.0,
                                   0x1p64,
                                   0x1.fffffffffffffp63,
                                   6e-8,
                                   -3e-8,
                                   1e-5};
    static const int64_t ivals[] = {0,
                                    1,
                                    -1,
                                    255,
                                    256,
                                    300,
                                    -300,
                                    INT32_MAX,
                                    (int64_t)INT32_MAX + 1,
                                    INT32_MIN,
                                    (int64_t)1 << 40 | 5,
                                    INT64_MAX,
                                    INT64_MIN,
                                    (int64_t)1 << 53 | 1};
    size_t nf = sizeof fvals / sizeof fvals[0], ni = sizeof ivals / sizeof ivals[0];
    /* Both distributions on 4001 elements, and distributed on 300007, where
     * an 8-byte output of 1 or 2 ranks is large enough to be streamed. */
    for (int k = 0; k < 3; k++)
        for (pa_dtype sd = 0; sd < PA_NDTYPES; sd++) {
            /* Source values: each of fvals or ivals, repeated so that the
             * pattern crosses rank boundaries. */
            size_t n = k < 2 ? 4001 : 300007;
            pa_array *src = NULL;
            TU_OK(pa_array_create(ctx, sd, 1, &n, dists[k % 2], &src), ctx);
            size_t es = pa_dtype_size(sd);
            char *sbuf = malloc(n * es);
            for (size_t i = 0; i < n; i++) {
                if (!tu_is_int(sd))
                    tu_set_f(sbuf, sd, i, fvals[i % nf]); /* beyond the range: inf */
                else
                    tu_set_i(sbuf, sd, i, ivals[i % ni]); /* wrapped to the dtype */
            }
            TU_OK(pa_array_scatter(src, 0, sbuf), ctx);
            for (pa_dtype dd = 0; dd < PA_NDTYPES; dd++) {
                pa_array *dst = NULL;
                TU_OK(pa_array_create(ctx, dd, 1, &n, dists[k % 2], &dst), ctx);
                TU_OK(pa_astype(dst, src), ctx);
                char *got = gather_all(dst);
                char *want = malloc(n * pa_dtype_size(dd));
                for (size_t i = 0; i < n; i++)
                    ref_convert(dd, want, sd, sbuf, i);
                size_t bad = 0, first = n;
                for (size_t i = 0; i < n; i++)
                    if (memcmp(got + i * pa_dtype_size(dd), want + i * pa_dtype_size(dd),
                               pa_dtype_size(dd)) != 0) {
                        bad++;
                        first = first < i ? first : i;
                    }
                TU_ASSERT(bad == 0,
                          "astype %s -> %s: %zu differ, first at %zu (%g -> %g, want %g)",
                          pa_dtype_name(sd), pa_dtype_name(dd), bad, first,
                          first < n ? tu_get_f(sbuf, sd, first) : 0,
                          first < n ? tu_get_f(got, dd, first) : 0,
                          first < n ? tu_get_f(want, dd, first) : 0);
                free(got);
                free(want);
                TU_OK(pa_array_free(&dst), ctx);
            }
            free(sbuf);
            TU_OK(pa_array_free(&src), ctx);
        }
}
END_TEST

START_TEST(test_copy_and_mismatch)
{
    size_t s1[2] = {100, 3}, s2[2] = {100, 4};
    pa_array *a = NULL, *b = NULL, *c = NULL, *r = NULL, *f = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s2, PA_DISTRIBUTED, &c), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, PA_REPLICATED, &r), ctx);
    TU_OK(pa_array_create(ctx, PA_F32, 2, s1, PA_DISTRIBUTED, &f), ctx);
    TU_OK(pa_arange(a, 0, 1), ctx);
    TU_OK(pa_full(b, 42), ctx);
    TU_OK(pa_copy(b, a), ctx);
    double *x = gather_all(b);
    size_t bad = 0;
    for (size_t i = 0; i < 300; i++)
        bad += x[i] != (double)i;
    free(x);
    TU_ASSERT(bad == 0, "copy: %zu differ", bad);
    TU_OK(pa_copy(a, a), ctx);

    TU_OK(pa_full(c, 9), ctx);
    TU_RC(pa_copy(c, a), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "(100,4)") && strstr(pa_errmsg(ctx), "(100,3)"),
              "message without both shapes: %s", pa_errmsg(ctx));
    check_const(c, 9.0, "c after a rejected copy");
    TU_RC(pa_copy(r, a), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "distribution") != NULL);
    TU_RC(pa_copy(f, a), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "pa_astype") != NULL);
    TU_RC(pa_copy(NULL, a), PA_EINVAL, ctx);
    TU_RC(pa_astype(f, NULL), PA_EINVAL, ctx);
    TU_RC(pa_astype(c, a), PA_EINVAL, ctx);
    /* astype into a replicated array of the same shape is a mismatch too;
     * astype between dtypes works. */
    TU_RC(pa_astype(r, a), PA_EINVAL, ctx);
    TU_OK(pa_astype(f, a), ctx);
    float *y = gather_all(f);
    bad = 0;
    for (size_t i = 0; i < 300; i++)
        bad += y[i] != (float)i;
    free(y);
    TU_ASSERT(bad == 0, "astype f64 -> f32: %zu differ", bad);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&c);
    pa_array_free(&r);
    pa_array_free(&f);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tu_tcase(s, "init");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_fill_bad);
    tcase_add_test(tc, test_arange_linspace);
    tcase_add_test(tc, test_astype);
    tcase_add_test(tc, test_copy_and_mismatch);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
