/* Tests of the scans (pa_cumsum, pa_cumprod) and histograms
 * (pa_histogram, pa_histogram_edges): every dtype's scans against a
 * serial reference of the same block rule, bit for bit, on the job's
 * layout and on one rank, and against a checksum fixed in this file, so
 * that every launcher configuration must give the same bits; the whole
 * array and every axis of 2-D and 3-D arrays, arrays with fewer elements
 * than ranks (empty ranks and nodes); in place; the difference to a
 * sequential sum within its bound; histograms against counts written
 * here, the extremes, and refusals. numpy's own results are checked in
 * tests/scan_numpy.sh. */
#include "testutil.h"

#include <float.h>
#include <math.h>

#include "dtype.h"
#include "scan_share.h"

#define B PA_SCAN_BLOCK

/* Element i of a test array of dtype d: small integers of both signs
 * (products wrap quickly, sums stay exact for narrow dtypes too), floats
 * with all their bits busy; near 1 for float products. */
static double val(size_t i, pa_dtype d, int prod)
{
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    if (pa__dtypes[d].kind == PA__KIND_FLOAT) {
        double u = (double)(h >> 11) * 0x1p-53;
        return prod ? 0.999 + u * 0.002 : (u - 0.3) * 1000;
    }
    if (d == PA_BOOL)
        return (double)(h >> 60 & 1);
    if (pa__dtypes[d].min < 0)
        return (double)((int64_t)(h % 41) - 20);
    return (double)(h % 30);
}

/* The reference: the block rule of scan.h, written plainly, over one line
 * of len positions inner apart, from x (as doubles) into y (as the result
 * dtype's values: doubles, or uint64_t bits for integers). */
#define REF_LINE(A)                                                                              \
    static void ref_line_##A(const double *x, size_t len, size_t inner, int prod,                \
                             void (*put)(void *, size_t, A), void *y)                            \
    {                                                                                            \
        A off = 0, part = 0;                                                                     \
        int has = 0;                                                                             \
        for (size_t p = 0; p < len; p++) {                                                       \
            A v = (A)x[p * inner];                                                               \
            if (p % B == 0) {                                                                    \
                if (p > 0) {                                                                     \
                    off = has ? (prod ? off * part : off + part) : part;                         \
                    has = 1;                                                                     \
                }                                                                                \
                part = v;                                                                        \
            } else {                                                                             \
                part = prod ? part * v : part + v;                                               \
            }                                                                                    \
            put(y, p *inner, has ? (prod ? off * part : off + part) : part);                     \
        }                                                                                        \
    }
typedef uint64_t u64;
REF_LINE(double)
REF_LINE(float)

/* The result element i of out (of dtype d) at buf. */
static pa_dtype put_dt;
static void put_double(void *y, size_t i, double v)
{
    pa__from_double((char *)y + i * pa_dtype_size(put_dt), put_dt, v);
}
static void put_float(void *y, size_t i, float v)
{
    put_double(y, i, (double)v);
}

/* The reference of pa_cumsum/pa_cumprod of x (doubles of dtype d) along
 * axis of shape into y (the result dtype's bytes). */
static void ref_scan(const double *x, pa_dtype d, int ndim, const size_t *shape, int axis,
                     int prod, void *y)
{
    size_t n = 1, len, inner = 1;
    for (int k = 0; k < ndim; k++)
        n *= shape[k];
    len = axis < 0 ? n : shape[axis];
    for (int k = axis + 1; axis >= 0 && k < ndim; k++)
        inner *= shape[k];
    put_dt = pa_scan_dtype(d);
    size_t es = pa_dtype_size(put_dt), lines = len ? n / len / inner : 0;
    for (size_t o = 0; o < lines; o++)
        for (size_t q = 0; q < inner; q++) {
            size_t first = o * len * inner + q;
            char *yl = (char *)y + first * es;
            if (pa__dtype_is_int(d)) {
                /* Integers wrap through uint64_t: the double holds a small
                 * integer, converted exactly. */
                u64 of = 0, pt = 0;
                int has = 0;
                for (size_t p = 0; p < len; p++) {
                    u64 v = (u64)(int64_t)x[first + p * inner];
                    if (p % B == 0) {
                        if (p > 0) {
                            of = has ? (prod ? of * pt : of + pt) : pt;
                            has = 1;
                        }
                        pt = v;
                    } else {
                        pt = prod ? pt * v : pt + v;
                    }
                    u64 r = has ? (prod ? of * pt : of + pt) : pt; /* i64, u64: the bits */
                    memcpy(yl + p * inner * 8, &r, 8);
                }
            } else if (d == PA_F64) {
                ref_line_double(x + first, len, inner, prod, put_double, yl);
            } else {
                ref_line_float(x + first, len, inner, prod, put_float, yl);
            }
        }
}

/* An array of dtype d and shape on context c, filled with val; its values
 * as doubles in *host (the caller frees). */
static pa_array *make_array(pa_ctx *c, pa_dtype d, int ndim, const size_t *shape, pa_dist dist,
                            int prod, double **host)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, d, ndim, shape, dist, &a), c);
    size_t n = pa_array_size(a), es = pa_dtype_size(d);
    double *x = malloc(sizeof(double) * (n ? n : 1));
    char *buf = malloc(es * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        x[i] = val(i, d, prod);
        pa__from_double(buf + i * es, d, x[i]);
        pa__dtypes[d].to_f64(&x[i], buf + i * es, 1); /* the value the dtype holds */
    }
    int rc = pa_array_scatter(a, 0, buf);
    TU_RC(rc, PA_OK, c);
    free(buf);
    *host = x;
    return a;
}

/* The whole of a on every rank of c's job (the caller frees). */
static void *gather_all(pa_ctx *c, pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    void *buf = malloc(bytes ? bytes : 1);
    TU_OK(pa_array_gather(a, 0, buf), c);
    MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, pa_ctx_comm(c));
    return buf;
}

/* FNV-1a over bytes, folded into h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Scans a (dtype d, shape) along axis with op on context c, compares the
 * result with the reference bit for bit, and folds its bits into *hash. */
static void check_scan(pa_ctx *c, pa_dtype d, int ndim, const size_t *shape, int axis, int prod,
                       pa_dist dist, uint64_t *hash)
{
    double *x;
    pa_array *a = make_array(c, d, ndim, shape, dist, prod, &x), *out = NULL;
    pa_dtype rd = pa_scan_dtype(d);
    TU_OK(pa_array_create(c, rd, ndim, shape, dist, &out), c);
    TU_OK(prod ? pa_cumprod(out, a, axis) : pa_cumsum(out, a, axis), c);
    size_t n = pa_array_size(a), es = pa_dtype_size(rd);
    char *got = gather_all(c, out), *want = malloc(es * (n ? n : 1));
    ref_scan(x, d, ndim, shape, axis, prod, want);
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (memcmp(got + i * es, want + i * es, es) != 0)
            bad = i;
    TU_ASSERT(bad == n, "%s of %s%s, %d-D, %zu elements, axis %d: element %zu is %g, not %g",
              prod ? "cumprod" : "cumsum", dist == PA_REPLICATED ? "replicated " : "",
              pa_dtype_name(d), ndim, n, axis, bad, bad < n ? tu_get_f(got, rd, bad) : 0.0,
              bad < n ? tu_get_f(want, rd, bad) : 0.0);
    *hash = fnv(*hash, got, n * es);
    free(got);
    free(want);
    free(x);
    pa_array_free(&a);
    pa_array_free(&out);
}

static const pa_dtype all_dtypes[] = {PA_F64, PA_F32, PA_F16, PA_I64, PA_I32, PA_I16,
                                      PA_I8,  PA_U64, PA_U32, PA_U16, PA_U8,  PA_BOOL};
#define NDT (sizeof all_dtypes / sizeof all_dtypes[0])

/* The whole array (axis -1) of every dtype and size, both ops. The hash
 * of every result is the same at every layout: the value below was
 * computed once, on one rank (and agreed at 2, 3 and 4 ranks as 2
 * nodes), and every configuration must give it. */
#define FLAT_HASH 0xe938f062e55396f7ull
START_TEST(test_flat)
{
    const size_t sizes[] = {0, 1, 2, 3, B - 1, B, B + 1, 3 * B + 5, 40000};
    uint64_t h = 0xcbf29ce484222325ull, hs = h;
    for (size_t k = 0; k < NDT; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int prod = 0; prod < 2; prod++) {
                check_scan(ctx, all_dtypes[k], 1, &sizes[s], -1, prod, PA_DISTRIBUTED, &h);
                check_scan(self, all_dtypes[k], 1, &sizes[s], -1, prod, PA_DISTRIBUTED, &hs);
            }
    TU_ASSERT(h == hs, "the job's results differ from one rank's");
    TU_ASSERT(h == FLAT_HASH, "hash %#llx, not %#llx", (unsigned long long)h,
              (unsigned long long)FLAT_HASH);
}
END_TEST

/* Every axis of 2-D and 3-D arrays (axis 0 crossing ranks and nodes,
 * lines longer than a block), the whole of them in C order, and a
 * replicated array. */
#define AXES_HASH 0x1de11ff529b9db91ull
START_TEST(test_axes)
{
    const size_t s2a[] = {2 * B + 7, 3}, s2b[] = {3, 2 * B + 7}, s2c[] = {5, 1},
                 s3[] = {3, B + 9, 2};
    const pa_dtype dts[] = {PA_F64, PA_F32, PA_F16, PA_I32, PA_U8};
    uint64_t h = 0xcbf29ce484222325ull, hs = h;
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++)
        for (int prod = 0; prod < 2; prod++) {
            for (int axis = -1; axis < 2; axis++) {
                check_scan(ctx, dts[k], 2, s2a, axis, prod, PA_DISTRIBUTED, &h);
                check_scan(ctx, dts[k], 2, s2b, axis, prod, PA_DISTRIBUTED, &h);
                check_scan(ctx, dts[k], 2, s2c, axis, prod, PA_DISTRIBUTED, &h);
                check_scan(self, dts[k], 2, s2a, axis, prod, PA_DISTRIBUTED, &hs);
                check_scan(self, dts[k], 2, s2b, axis, prod, PA_DISTRIBUTED, &hs);
                check_scan(self, dts[k], 2, s2c, axis, prod, PA_DISTRIBUTED, &hs);
            }
            for (int axis = -1; axis < 3; axis++) {
                check_scan(ctx, dts[k], 3, s3, axis, prod, PA_DISTRIBUTED, &h);
                check_scan(self, dts[k], 3, s3, axis, prod, PA_DISTRIBUTED, &hs);
            }
            check_scan(ctx, dts[k], 2, s2a, 0, prod, PA_REPLICATED, &h);
            check_scan(self, dts[k], 2, s2a, 0, prod, PA_REPLICATED, &hs);
        }
    TU_ASSERT(h == hs, "the job's results differ from one rank's");
    TU_ASSERT(h == AXES_HASH, "hash %#llx, not %#llx", (unsigned long long)h,
              (unsigned long long)AXES_HASH);
}
END_TEST

/* out == a: the scan in place gives the same bits as into a new array,
 * and both the reference's. The array is large enough (over 1 MiB per
 * rank at up to 4 ranks) that the new array is written through the
 * streaming stage, and in place directly. */
START_TEST(test_in_place)
{
    size_t n = 600000 + 11;
    double *x;
    pa_array *a = make_array(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, 0, &x), *out = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &out), ctx);
    TU_OK(pa_cumsum(out, a, -1), ctx);
    TU_OK(pa_cumsum(a, a, -1), ctx);
    double *p = gather_all(ctx, a), *q = gather_all(ctx, out), *want = malloc(n * sizeof *want);
    ref_scan(x, PA_F64, 1, &n, -1, 0, want);
    TU_CHECK(memcmp(p, q, n * sizeof *p) == 0);
    TU_CHECK(memcmp(q, want, n * sizeof *q) == 0);
    free(want);
    free(p);
    free(q);
    free(x);
    pa_array_free(&a);
    pa_array_free(&out);
}
END_TEST

/* The difference to numpy's order (one sequential sum in double) is
 * within the two orders' error bounds together: the element i of block k
 * is a sum of i + 1 terms with at most i roundings sequentially, and at
 * most (B - 1) + k + 1 by the block rule (inside the block, the offset's
 * k - 1 adds, and the last add); each rounding errs by at most u = 2^-53
 * of a partial sum, which is at most sum |x_j| (first order in u). */
START_TEST(test_bound)
{
    size_t n = 20 * B + 3;
    double *x;
    pa_array *a = make_array(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, 0, &x), *out = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &out), ctx);
    TU_OK(pa_cumsum(out, a, -1), ctx);
    double *y = gather_all(ctx, out), seq = 0, abs = 0;
    size_t bad = n;
    for (size_t i = 0; i < n; i++) {
        seq += x[i];
        abs += fabs(x[i]);
        double bound = (double)(i + B + i / B + 1) * 0x1p-53 * abs;
        double d = fabs(y[i] - seq);
        if (d > bound && bad == n)
            bad = i;
    }
    TU_ASSERT(bad == n, "element %zu: %.17g is beyond the bound of the sequential sum", bad,
              bad < n ? y[bad] : 0.0);
    free(y);
    free(x);
    pa_array_free(&a);
    pa_array_free(&out);
}
END_TEST

/* Lines of one column share their pass of block values over the node's
 * ranks (scan_share.h): arrays of many blocks whose shares' ends (and the
 * ranks' ranges) fall at odd places, not at block starts;
 * lines of a 2-D array that end inside chunks; both ops, a float and an
 * integer dtype, distributed and replicated; against the reference bit
 * for bit, and the job's results the same as one rank's. */
START_TEST(test_chunks)
{
    const size_t n1 = 72 * B + 4095, s2[] = {5, 40 * B + 1001};
    const pa_dtype dts[] = {PA_F64, PA_F32, PA_I32};
    uint64_t h = 0xcbf29ce484222325ull, hs = h;
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++)
        for (int prod = 0; prod < 2; prod++) {
            check_scan(ctx, dts[k], 1, &n1, -1, prod, PA_DISTRIBUTED, &h);
            check_scan(self, dts[k], 1, &n1, -1, prod, PA_DISTRIBUTED, &hs);
            check_scan(ctx, dts[k], 2, s2, 1, prod, PA_DISTRIBUTED, &h);
            check_scan(self, dts[k], 2, s2, 1, prod, PA_DISTRIBUTED, &hs);
            check_scan(ctx, dts[k], 1, &n1, -1, prod, PA_REPLICATED, &h);
            check_scan(self, dts[k], 1, &n1, -1, prod, PA_REPLICATED, &hs);
        }
    TU_ASSERT(h == hs, "the job's results differ from one rank's");
}
END_TEST

/* The node's block-value work split over its m ranks (scan_share.h), for
 * ranks' ranges r (m pairs) of a scan of size elements along lines of len:
 * NULL if right, else what is wrong. Right is: each rank's pieces, share
 * after share, tile exactly the range it needs values of (from
 * pa__scan_values_start to its end; none for the rank at the end) and
 * give the block values one pass over it gives; each piece starts at a
 * block start of its line; and every share is within a block of an even
 * share. */
static const char *plan_error(int m, const uint64_t *r, size_t size, size_t len)
{
    pa_scan_share sh;
    if (pa__scan_share_alloc(&sh, m) != 0)
        return "out of memory";
    pa__scan_share_plan(&sh, r, size, len);
    const char *err = NULL;
    size_t total = 0, shares[8] = {0};
    for (int k = 0; k < m && !err; k++) {
        size_t s = r[2 * k], e = r[2 * k + 1];
        size_t at = s < e && e < size ? pa__scan_values_start(len, 1, s, e) : e, values = 0;
        size_t want = PA_SCAN_VALUES(e - at);
        total += e - at;
        for (int i = 0; i < m && !err; i++) {
            size_t first, n = pa__scan_share_piece(&sh, i, k, &first);
            if (n == 0)
                continue;
            if (first != at)
                err = "a rank's pieces leave a gap or overlap";
            else if (first % len % B != 0)
                err = "a piece does not start at a block start";
            at += n;
            values += PA_SCAN_VALUES(n);
            shares[i] += n;
        }
        if (!err && at != e)
            err = "a rank's pieces do not end at its range's end";
        else if (!err && values != want)
            err = "the pieces give another number of block values than one pass";
    }
    for (int i = 0; i < m && !err; i++)
        if (shares[i] + B < total / (size_t)m || shares[i] > total / (size_t)m + B)
            err = "a share is not within a block of an even share";
    pa__scan_share_free(&sh);
    return err;
}

/* The split at layouts that the launcher's configurations do not all
 * reach: uneven ranges, empty ranks (first, middle, last) and empty
 * nodes, arrays smaller than a block, sizes that are not a multiple of a
 * block, lines shorter and longer than a block, ranks that are not the
 * last of the job (a node before others: all its ranges need values). */
START_TEST(test_share_plan)
{
    const size_t n = 10 * B + 123;
    const struct {
        int m;
        uint64_t r[8];
        size_t size, len;
    } c[] = {
        {2, {0, n / 2, n / 2, n}, n, n},                     /* even, last node */
        {2, {0, n / 2, n / 2, n}, 3 * n, 3 * n},             /* a node before others */
        {3, {0, 1000, 1000, 9 * B + 7, 9 * B + 7, n}, n, n}, /* uneven */
        {4, {0, 0, 0, 5 * B, 5 * B, 5 * B, 5 * B, n}, n, n}, /* empty ranks */
        {3, {0, 0, 0, 0, 0, 0}, 0, 1},                       /* an empty node */
        {2, {0, 0, 0, 0}, n, n},                             /* an empty node, others after */
        {3, {0, 10, 10, 20, 20, 33}, 33, 33},                /* smaller than a block */
        {3, {0, 10, 10, 20, 20, 33}, 100, 100},              /* ... with others after */
        {2, {0, B + 1, B + 1, 3 * B}, 3 * B, 3 * B},         /* a multiple of a block */
        {4, {0, 4000, 4000, 8000, 8000, 12000, 12000, n}, n, 3000},        /* short lines */
        {3, {0, 3 * B + 5, 3 * B + 5, 7 * B, 7 * B, n}, 2 * n, 2 * B + 9}, /* lines across ranks */
    };
    for (size_t t = 0; t < sizeof c / sizeof c[0]; t++) {
        const char *err = plan_error(c[t].m, c[t].r, c[t].size, c[t].len);
        TU_ASSERT(err == NULL, "layout %zu: %s", t, err);
    }
}
END_TEST

/* Refusals: the wrong output dtype, an axis out of range, a shape
 * mismatch; nothing is written. */
START_TEST(test_refusals)
{
    size_t shape[2] = {4, 3}, other[2] = {3, 4};
    pa_array *a = NULL, *o = NULL, *w = NULL;
    TU_OK(pa_array_create(ctx, PA_I32, 2, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_I32, 2, shape, PA_DISTRIBUTED, &w), ctx);
    TU_RC(pa_cumsum(w, a, 0), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "i64") != NULL);
    TU_OK(pa_array_create(ctx, PA_I64, 2, other, PA_DISTRIBUTED, &o), ctx);
    TU_RC(pa_cumsum(o, a, 0), PA_EINVAL, ctx);
    pa_array_free(&o);
    TU_OK(pa_array_create(ctx, PA_I64, 2, shape, PA_DISTRIBUTED, &o), ctx);
    TU_RC(pa_cumprod(o, a, 2), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "axis = 2") != NULL);
    TU_RC(pa_cumprod(o, a, -2), PA_EINVAL, ctx);
    TU_CHECK(pa_scan_dtype(PA_BOOL) == PA_I64 && pa_scan_dtype(PA_U8) == PA_U64 &&
             pa_scan_dtype(PA_F16) == PA_F16 && pa_scan_dtype(PA_I8) == PA_I64);
    pa_array_free(&a);
    pa_array_free(&o);
    pa_array_free(&w);
}
END_TEST

/* ------------------------------------------------------------ histograms */

/* A 1-D f64 array of the n values v on context c. */
static pa_array *from_values(pa_ctx *c, pa_dtype d, const double *v, size_t n)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, d, 1, &n, PA_DISTRIBUTED, &a), c);
    size_t es = pa_dtype_size(d);
    char *buf = malloc(es * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        pa__from_double(buf + i * es, d, v[i]);
    TU_OK(pa_array_scatter(a, 0, buf), c);
    free(buf);
    return a;
}

static int same_counts(const uint64_t *got, const uint64_t *want, int bins)
{
    return memcmp(got, want, sizeof *got * (size_t)bins) == 0;
}

/* numpy's rules on small arrays: the last bin closed, a found range,
 * NaN and inf apart, one value, no finite value. */
START_TEST(test_hist_rules)
{
    const double v[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NAN, INFINITY, -INFINITY, 10};
    pa_array *a = from_values(ctx, PA_F64, v, sizeof v / sizeof v[0]);
    double edges[6];
    uint64_t counts[5];
    pa_hist_rest rest;
    TU_OK(pa_histogram(a, 5, NULL, edges, counts, &rest), ctx);
    const uint64_t want[5] = {2, 2, 2, 2, 4}; /* [8, 10] closed: 8, 9, 10, 10 */
    const double want_edges[6] = {0, 2, 4, 6, 8, 10};
    TU_ASSERT(same_counts(counts, want, 5), "counts %llu %llu %llu %llu %llu",
              (unsigned long long)counts[0], (unsigned long long)counts[1],
              (unsigned long long)counts[2], (unsigned long long)counts[3],
              (unsigned long long)counts[4]);
    TU_CHECK(memcmp(edges, want_edges, sizeof edges) == 0);
    TU_CHECK(rest.nan == 1 && rest.below == 1 && rest.above == 1);
    /* A given range: outside values counted apart, the last edge closed. */
    const double range[2] = {2, 6};
    TU_OK(pa_histogram(a, 2, range, edges, counts, &rest), ctx);
    TU_CHECK(counts[0] == 2 && counts[1] == 3 && rest.below == 3 && rest.above == 6 &&
             rest.nan == 1);
    /* Given edges, uneven, with a repeated one. */
    const double e[5] = {1, 3, 3, 7, 9};
    TU_OK(pa_histogram_edges(a, 4, e, counts, &rest), ctx);
    const uint64_t want_e[4] = {2, 0, 4, 3};
    TU_CHECK(same_counts(counts, want_e, 4) && rest.below == 2 && rest.above == 3 &&
             rest.nan == 1);
    pa_array_free(&a);
    /* One value v: [v - 0.5, v + 0.5]; no finite value: [0, 1]. */
    const double one[] = {3.5, 3.5};
    a = from_values(ctx, PA_F32, one, 2);
    TU_OK(pa_histogram(a, 2, NULL, edges, counts, NULL), ctx);
    TU_CHECK(edges[0] == 3 && edges[1] == 3.5 && edges[2] == 4 && counts[0] == 0 &&
             counts[1] == 2);
    pa_array_free(&a);
    const double none[] = {NAN, INFINITY};
    a = from_values(ctx, PA_F64, none, 2);
    TU_OK(pa_histogram(a, 2, NULL, edges, counts, &rest), ctx);
    TU_CHECK(edges[0] == 0 && edges[2] == 1 && counts[0] == 0 && counts[1] == 0 &&
             rest.nan == 1 && rest.above == 1);
    pa_array_free(&a);
}
END_TEST

/* The extremes: a range as wide as the doubles (whose width overflows),
 * the largest integers, subnormal widths; every value lands in a bin and
 * the counts add up, at every layout. */
START_TEST(test_hist_extremes)
{
    const double v[] = {-DBL_MAX, -1e308, 0, 5e-324, 1e308, DBL_MAX, DBL_MAX};
    pa_array *a = from_values(ctx, PA_F64, v, 7);
    double edges[4];
    uint64_t counts[3];
    TU_OK(pa_histogram(a, 3, NULL, edges, counts, NULL), ctx);
    TU_CHECK(counts[0] == 2 && counts[1] == 2 && counts[2] == 3);
    TU_CHECK(edges[0] == -DBL_MAX && edges[3] == DBL_MAX && isfinite(edges[1]));
    pa_array_free(&a);
    const double sub[] = {0, 5e-324, 1e-323, 1.5e-323, 2e-323};
    a = from_values(ctx, PA_F64, sub, 5);
    TU_OK(pa_histogram(a, 3, NULL, edges, counts, NULL), ctx);
    TU_CHECK(counts[0] == 1 && counts[1] == 1 && counts[2] == 3);
    pa_array_free(&a);
    /* i64's ends convert to +-2^63; u64's top to 2^64. */
    const double ints[] = {-9223372036854775807.0 - 1, 0, 9223372036854775807.0};
    a = from_values(ctx, PA_I64, ints, 3);
    TU_OK(pa_histogram(a, 2, NULL, edges, counts, NULL), ctx);
    TU_CHECK(counts[0] == 1 && counts[1] == 2);
    pa_array_free(&a);
    const double f16[] = {-65504, 65504, 0, 1};
    a = from_values(ctx, PA_F16, f16, 4);
    TU_OK(pa_histogram(a, 2, NULL, edges, counts, NULL), ctx);
    TU_CHECK(counts[0] == 1 && counts[1] == 3 && edges[0] == -65504 && edges[2] == 65504);
    pa_array_free(&a);
}
END_TEST

START_TEST(test_hist_refusals)
{
    const double v[] = {1, 2};
    pa_array *a = from_values(ctx, PA_F64, v, 2);
    double edges[3];
    uint64_t counts[2];
    TU_RC(pa_histogram(a, 0, NULL, edges, counts, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "bins") != NULL);
    const double bad[2] = {2, 1}, inf[2] = {0, INFINITY};
    TU_RC(pa_histogram(a, 2, bad, edges, counts, NULL), PA_EINVAL, ctx);
    TU_RC(pa_histogram(a, 2, inf, edges, counts, NULL), PA_EINVAL, ctx);
    const double dec[3] = {0, 2, 1}, nan[3] = {0, NAN, 1};
    TU_RC(pa_histogram_edges(a, 2, dec, counts, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "edges[2]") != NULL);
    TU_RC(pa_histogram_edges(a, 2, nan, counts, NULL), PA_EINVAL, ctx);
    TU_RC(pa_histogram(a, 2, NULL, NULL, counts, NULL), PA_EINVAL, ctx);
    pa_array_free(&a);
    /* Complex values have no histogram: refused, not their real parts'. */
    size_t n = 4;
    TU_OK(pa_array_create(ctx, PA_C128, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_RC(pa_histogram(a, 2, NULL, edges, counts, NULL), PA_ENOTSUP, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "c128") != NULL);
    const double ok[3] = {0, 1, 2};
    TU_RC(pa_histogram_edges(a, 2, ok, counts, NULL), PA_ENOTSUP, ctx);
    pa_array_free(&a);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("scan");
    TCase *tc = tu_tcase(s, "scan");
    tcase_add_checked_fixture(tc, tu_ctx_self_setup, tu_ctx_self_teardown);
    tcase_add_test(tc, test_flat);
    tcase_add_test(tc, test_axes);
    tcase_add_test(tc, test_in_place);
    tcase_add_test(tc, test_bound);
    tcase_add_test(tc, test_chunks);
    tcase_add_test(tc, test_share_plan);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_hist_rules);
    tcase_add_test(tc, test_hist_extremes);
    tcase_add_test(tc, test_hist_refusals);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
