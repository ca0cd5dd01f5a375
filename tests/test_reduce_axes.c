/* Tests of pa_reduce_axes: every reduction over every set of axes of 1-D
 * to 4-D arrays, with and without keepdims, against the serial reference
 * of the documented tree over each line's positions (the C-order index
 * over the reduced axes), bit for bit; the results' dtypes, shapes and
 * distributions; a hash of every result that every launcher
 * configuration must give; complex arrays; empty axes, fewer rows than
 * ranks (and so nodes without rows); the float dtypes' axis kernels at
 * their edges; bad input. */
#include "testutil.h"

#include "dtype.h"
#include "reduce_ref.h"

/* The reference of op over the axes in mask of the host copy x (shape of
 * nd axes) into want[nout]; returns nout. */
static size_t ref_axes(pa_reduce_op op, const double *x, int is_int, int nd, const size_t *shape,
                       unsigned mask, double ddof, double *want)
{
    size_t nout = 1, len = 1, stride[PA_MAXDIM];
    for (int k = nd - 1, s = 1; k >= 0; k--) {
        stride[k] = (size_t)s;
        s *= (int)shape[k];
        *(mask >> k & 1 ? &len : &nout) *= shape[k];
    }
    double *line_x = malloc(sizeof(double) * (len + 1));
    for (size_t j = 0; j < nout; j++) {
        for (size_t q = 0; q < len; q++) {
            size_t jr = j, qr = q, at = 0;
            for (int k = nd - 1; k >= 0; k--) {
                size_t *r = mask >> k & 1 ? &qr : &jr;
                at += *r % shape[k] * stride[k];
                *r /= shape[k];
            }
            line_x[q] = x[at];
        }
        ref_reduce(op, line_x, is_int, 1, 0, len, 1, &want[j]);
        if (ddof != 0 && len > 0) { /* var and std: the squares' tree over n - ddof */
            line l = {line_x, NULL, 0, 1, 0, 0};
            l.mu = tree(&l, len) / (double)len;
            l.xf = 1;
            double v = (double)len - ddof > 0 ? tree(&l, len) / ((double)len - ddof) : NAN;
            want[j] = op == PA_RED_STD ? sqrt(v) : v;
        }
    }
    free(line_x);
    return nout;
}

/* One reduction of a (host copy x) over mask, checked against the
 * reference: dtype, shape, distribution and every result's bits; folds
 * the results into *hash (rank 0's). */
static void check_one(pa_array *a, const double *x, pa_reduce_op op, unsigned mask, int keepdims,
                      double ddof, uint64_t *hash)
{
    pa_ctx *c = pa_array_ctx(a);
    int nd = pa_array_ndim(a), naxes = 0, axes[PA_MAXDIM];
    size_t shape[PA_MAXDIM];
    pa_array_shape(a, shape);
    for (int k = 0; k < nd; k++)
        if (mask >> k & 1) { /* every other axis as a negative one */
            axes[naxes] = naxes % 2 ? k - nd : k;
            naxes++;
        }
    pa_array *r = NULL;
    if (ddof != 0)
        TU_OK(pa_reduce_axes_ddof(a, op, naxes, axes, keepdims, ddof, &r), c);
    else
        TU_OK(pa_reduce_axes(a, op, naxes, axes, keepdims, &r), c);
    pa_dtype d = pa_array_dtype(a);
    char kind;
    pa_dtype rd = result_dtype(op, d, &kind);
    size_t rshape[PA_MAXDIM], want_shape[PA_MAXDIM];
    int rnd = pa_array_ndim(r), wnd = 0;
    pa_array_shape(r, rshape);
    for (int k = 0; k < nd; k++)
        if (!(mask >> k & 1) || keepdims)
            want_shape[wnd++] = mask >> k & 1 ? 1 : shape[k];
    pa_dist want_dist = mask & 1 ? PA_REPLICATED : pa_array_dist(a);
    TU_ASSERT(pa_array_dtype(r) == rd && rnd == wnd && pa_array_dist(r) == want_dist &&
                  memcmp(rshape, want_shape, sizeof(size_t) * (size_t)wnd) == 0,
              "%s over mask %#x of %s (keepdims %d): dtype %s, ndim %d, dist %d",
              pa_reduce_name(op), mask, pa_dtype_name(d), keepdims,
              pa_dtype_name(pa_array_dtype(r)), rnd, (int)pa_array_dist(r));
    size_t n = pa_array_size(r), es = pa_dtype_size(rd), f = 0;
    char *buf = malloc(es * (n + 1));
    double *got = malloc(sizeof(double) * (n + 1)), *want = malloc(sizeof(double) * (n + 1));
    TU_OK(pa_array_gather(r, 0, buf), c);
    int ok = 1;
    if (tu_rank() == 0) {
        for (size_t i = 0; i < n; i++)
            got[i] = tu_get_f(buf, rd, i);
        ref_axes(op, x, pa__dtype_is_int(d), nd, shape, mask, ddof, want);
        ok = same_bits(got, want, n, &f);
        *hash = tu_fnv(*hash, buf, n * es);
    }
    TU_ASSERT(ok, "%s over mask %#x of %s %s (keepdims %d): [%zu] %.17g, reference %.17g",
              pa_reduce_name(op), mask, pa_dtype_name(d),
              pa_array_dist(a) == PA_REPLICATED ? "replicated" : "distributed", keepdims, f,
              got[f], want[f]);
    free(buf);
    free(got);
    free(want);
    pa_array_free(&r);
}

/* The shapes: 1-D to 4-D, lines longer than a block and than 2^12 (a
 * node read in halves), first axes shorter than the ranks (nodes without
 * rows), axes of length 1 between others. */
static const size_t shapes[][PA_MAXDIM] = {{1000},       {130, 7},      {3, 300},
                                           {1, 5000},    {9, 5, 70},    {70, 3, 4},
                                           {2, 4100, 1}, {7, 3, 5, 20}, {2, 1, 66, 3}};
static const int ndims[] = {1, 2, 2, 2, 3, 3, 3, 4, 4};
#define NSHAPES (sizeof ndims / sizeof ndims[0])

/* The shapes every dtype is checked on: 2-D, 3-D and 4-D, with a first
 * axis shorter than the ranks. f64, i64 and bool (a float, an integer and
 * a count's kind) take all shapes; the rest of the suite's collectives
 * would be as many again for little more (their leaves differ, not the
 * engine), and 4 ranks on 2 cores must finish in the launcher's time. */
static const size_t few[] = {1, 4, 8};
#define NFEW (sizeof few / sizeof few[0])

/* Every op over every non-empty set of axes (keepdims on odd sets) of
 * every shape (all: else the few), for dtype d; the hash of the results. */
static uint64_t check_dtype(pa_dtype d, pa_dist dist, int all_shapes)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < (all_shapes ? NSHAPES : NFEW); i++) {
        size_t s = all_shapes ? i : few[i];
        double *x;
        pa_array *a = make_array(ctx, d, ndims[s], shapes[s], dist, &x);
        for (unsigned mask = 1; mask < 1u << ndims[s]; mask++) {
            int all = mask == (1u << ndims[s]) - 1;
            for (int op = 0; op < PA_NREDUCE; op++)
                check_one(a, x, op, mask, all || (mask & 1), 0.0, &h);
        }
        free(x);
        pa_array_free(&a);
    }
    return h;
}

/* The hash of every dtype's results (distributed; f64, i64 and bool over
 * all shapes, the others over the few) and f64's replicated: computed once
 * on one rank; every layout must give it. */
#define AXES_HASH 0x90eb4e8ff646cbe5ull
START_TEST(test_every_axis)
{
    uint64_t h = 0xcbf29ce484222325ull;
    pa_dtype f64 = dtype_of(PA__KIND_FLOAT, 8), i64 = dtype_of(PA__KIND_SINT, 8),
             b = dtype_of(PA__KIND_BOOL, 1);
    for (int di = tree_dtype(0); di < PA_NDTYPES; di = tree_dtype(di + 1)) {
        pa_dtype d = (pa_dtype)di;
        uint64_t hd = check_dtype(d, PA_DISTRIBUTED, d == f64 || d == i64 || d == b);
        h = tu_fnv(h, &hd, sizeof hd);
    }
    uint64_t hr = check_dtype(f64, PA_REPLICATED, 1);
    h = tu_fnv(h, &hr, sizeof hr);
    if (tu_rank() == 0)
        printf("pa_reduce_axes hash %#llx\n", (unsigned long long)h);
    TU_ASSERT(tu_rank() != 0 || h == AXES_HASH, "hash %#llx, not %#llx", (unsigned long long)h,
              (unsigned long long)AXES_HASH);
}
END_TEST

/* The float dtypes' axis kernels at their edges, against the reference
 * bit for bit (check_one): column counts below 8 (which read past a
 * row's columns), not a multiple of 8 (a last vector that overlaps), past
 * a tile of 256 with a tail of 4, and row counts that are not a multiple
 * of 64 or of 8 lines, fewer than the ranks (nodes without rows), or cut
 * mid-block between ranks (1000 rows: 500, 333 and 250 a rank); axis 0
 * of a (n, 2, 5) (its 10 kept columns merge) and axis 2 of it (short
 * lines of 5), each sum of the tree and its transforms. */
START_TEST(test_float_lines)
{
    static const size_t cols[] = {1, 3, 7, 8, 10, 17, 64, 260};
    static const size_t rows[] = {2, 67, 130, 1000};
    static const pa_reduce_op ops[] = {PA_RED_SUM, PA_RED_MEAN, PA_RED_VAR, PA_RED_NORM2};
    uint64_t h = 0;
    for (size_t bytes = 2; bytes <= 8; bytes *= 2) {
        pa_dtype d = dtype_of(PA__KIND_FLOAT, bytes);
        for (size_t ci = 0; ci < sizeof cols / sizeof cols[0]; ci++)
            for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
                size_t shape[] = {rows[ri], cols[ci]};
                double *x;
                pa_array *a = make_array(ctx, d, 2, shape, PA_DISTRIBUTED, &x);
                for (unsigned mask = 1; mask <= 2; mask++)
                    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
                        check_one(a, x, ops[o], mask, 0, 0.0, &h);
                free(x);
                pa_array_free(&a);
            }
        const size_t shape3[] = {203, 2, 5};
        double *x;
        pa_array *a = make_array(ctx, d, 3, shape3, PA_DISTRIBUTED, &x);
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            check_one(a, x, ops[o], 1, 0, 0.0, &h);
            check_one(a, x, ops[o], 4, 1, 0.0, &h);
        }
        free(x);
        pa_array_free(&a);
    }
}
END_TEST

/* Axis 0 of arrays of 1 to 33 columns (whole rows of up to 32 take the
 * narrow kernel, whose vectors span rows: column counts below 8, not a
 * multiple of 8, and one past its widest), f32 and f64, each transform
 * (sum, var's deviations, norm2's squares), against the reference bit for
 * bit; rows that are not a multiple of 64, fewer than the ranks, cut
 * mid-block between ranks (1000: 333 a rank at 3), and 4500 (more than
 * one kernel call of 64 blocks, a node past 2^12 rows) for some. */
START_TEST(test_narrow_columns)
{
    static const size_t rows[] = {2, 130, 1000};
    static const pa_reduce_op ops[] = {PA_RED_SUM, PA_RED_VAR, PA_RED_NORM2};
    uint64_t h = 0;
    for (size_t bytes = 4; bytes <= 8; bytes *= 2) {
        pa_dtype d = dtype_of(PA__KIND_FLOAT, bytes);
        for (size_t c = 1; c <= 33; c++)
            for (size_t ri = 0; ri < sizeof rows / sizeof rows[0] + (c % 8 == 1); ri++) {
                size_t shape[] = {ri < sizeof rows / sizeof rows[0] ? rows[ri] : 4500, c};
                double *x;
                pa_array *a = make_array(ctx, d, 2, shape, PA_DISTRIBUTED, &x);
                for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
                    check_one(a, x, ops[o], 1, 0, 0.0, &h);
                free(x);
                pa_array_free(&a);
            }
    }
}
END_TEST

/* Row sums, means and norms of arrays whose every rank has more than
 * PA_STREAM_MIN_BYTES of f64 results (the Intel way streams them from the
 * short-line kernel, 8 to a line, after the results before its output's
 * first line: a rank whose rows start mid-line has some), f32 ones (not
 * streamed), and the same arrays' column sums, in both ways of reading
 * memory, against the reference bit for bit. */
START_TEST(test_large_lines)
{
    static const char *const ways[] = {"intel", "forward"};
    static const size_t cols[] = {3, 10};
    uint64_t h = 0;
    for (int w = 0; w < 2; w++) {
        pa_ctx *c = tu_env_ctx("PARRAY_SUM_READ", ways[w]);
        for (size_t bytes = 4; bytes <= 8; bytes *= 2)
            for (size_t k = 0; k < 2; k++) {
                size_t shape[] = {600011, cols[k]};
                double *x;
                pa_array *a = make_array(c, dtype_of(PA__KIND_FLOAT, bytes), 2, shape,
                                         PA_DISTRIBUTED, &x);
                check_one(a, x, PA_RED_SUM, 2, 0, 0.0, &h);
                check_one(a, x, PA_RED_MEAN, 2, 0, 0.0, &h);
                check_one(a, x, PA_RED_NORM2, 2, 0, 0.0, &h);
                check_one(a, x, PA_RED_SUM, 1, 0, 0.0, &h);
                free(x);
                pa_array_free(&a);
            }
        TU_OK(pa_finalize(&c), NULL);
    }
}
END_TEST

/* var and std with ddof over axes of a 3-D array. */
START_TEST(test_ddof)
{
    const size_t shape[] = {9, 5, 70};
    double *x;
    uint64_t h = 0;
    pa_array *a = make_array(ctx, dtype_of(PA__KIND_FLOAT, 8), 3, shape, PA_DISTRIBUTED, &x);
    for (unsigned mask = 1; mask < 8; mask++) {
        check_one(a, x, PA_RED_VAR, mask, 1, 1.0, &h);
        check_one(a, x, PA_RED_STD, mask, mask == 7, 2.5, &h);
    }
    pa_array *r = NULL;
    int axis = 0;
    TU_RC(pa_reduce_axes_ddof(a, PA_RED_SUM, 1, &axis, 0, 1.0, &r), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "ddof applies to var and std only") != NULL);
    free(x);
    pa_array_free(&a);
}
END_TEST

/* A complex array: sum and mean (c128) and var, std and norm2 (f64) from
 * its parts' trees, as numpy's. */
START_TEST(test_complex)
{
    pa_dtype c128 = dtype_of(PA__KIND_COMPLEX, 16), f64 = dtype_of(PA__KIND_FLOAT, 8);
    const size_t shape[] = {6, 3, 80};
    size_t n = 6 * 3 * 80;
    double *z = malloc(sizeof(double) * 2 * n), *re = malloc(sizeof(double) * n),
           *im = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        re[i] = z[2 * i] = val(2 * i, f64);
        im[i] = z[2 * i + 1] = val(2 * i + 1, f64);
    }
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, c128, 3, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_scatter(a, 0, z), ctx);
    const pa_reduce_op ops[] = {PA_RED_SUM, PA_RED_MEAN, PA_RED_VAR, PA_RED_STD, PA_RED_NORM2};
    double *wr = malloc(sizeof(double) * n), *wi = malloc(sizeof(double) * n),
           *got = malloc(sizeof(double) * 2 * n);
    for (unsigned mask = 1; mask < 8; mask++)
        for (int k = 0; k < 5; k++) {
            pa_reduce_op op = ops[k], part = op == PA_RED_STD ? PA_RED_VAR : op;
            int axes[3], na = 0;
            for (int d = 0; d < 3; d++)
                if (mask >> d & 1)
                    axes[na++] = d;
            pa_array *r = NULL;
            TU_OK(pa_reduce_axes(a, op, na, axes, 1, &r), ctx);
            int cplx = op == PA_RED_SUM || op == PA_RED_MEAN;
            TU_CHECK(pa_array_dtype(r) == (cplx ? c128 : f64));
            TU_OK(pa_array_gather(r, 0, got), ctx);
            int bad = 0;
            if (tu_rank() == 0) {
                size_t m = ref_axes(part, re, 0, 3, shape, mask, 0, wr);
                ref_axes(part, im, 0, 3, shape, mask, 0, wi);
                for (size_t j = 0; j < m; j++) {
                    double w0 = wr[j], w1 = wi[j];
                    if (op == PA_RED_VAR)
                        w0 = wr[j] + wi[j];
                    else if (op == PA_RED_STD)
                        w0 = sqrt(wr[j] + wi[j]);
                    else if (op == PA_RED_NORM2)
                        w0 = hypot(wr[j], wi[j]);
                    bad += memcmp(&got[cplx ? 2 * j : j], &w0, 8) != 0 ||
                           (cplx && memcmp(&got[2 * j + 1], &w1, 8) != 0);
                }
            }
            TU_ASSERT(bad == 0, "%s of c128 over mask %#x: %d results differ", pa_reduce_name(op),
                      mask, bad);
            pa_array_free(&r);
        }
    pa_array *r = NULL;
    int axis = 1;
    TU_RC(pa_reduce_axes(a, PA_RED_MIN, 1, &axis, 0, &r), PA_ENOTSUP, ctx);
    free(z);
    free(re);
    free(im);
    free(wr);
    free(wi);
    free(got);
    pa_array_free(&a);
}
END_TEST

/* Zero-size axes: sums 0, means NaN, any false, all true; min has no
 * value. */
START_TEST(test_empty)
{
    pa_dtype f64 = dtype_of(PA__KIND_FLOAT, 8);
    const size_t shape[] = {4, 0, 3};
    pa_array *a = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, f64, 3, shape, PA_DISTRIBUTED, &a), ctx);
    int axis = 1;
    double got[12];
    const pa_reduce_op ops[] = {PA_RED_SUM, PA_RED_MEAN, PA_RED_ALL};
    for (int k = 0; k < 3; k++) {
        TU_OK(pa_reduce_axes(a, ops[k], 1, &axis, 0, &r), ctx);
        unsigned char b[12];
        TU_OK(pa_array_gather(r, 0, k == 2 ? (void *)b : (void *)got), ctx);
        int ok = 1;
        for (int i = 0; tu_rank() == 0 && i < 12; i++)
            ok &= k == 0 ? got[i] == 0 && !signbit(got[i]) : k == 1 ? isnan(got[i]) : b[i] == 1;
        TU_ASSERT(ok, "%s over an empty axis", pa_reduce_name(ops[k]));
        pa_array_free(&r);
    }
    TU_RC(pa_reduce_axes(a, PA_RED_MIN, 1, &axis, 0, &r), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "has no value") != NULL);
    axis = 2; /* results of nothing: an empty array */
    TU_OK(pa_reduce_axes(a, PA_RED_MIN, 1, &axis, 0, &r), ctx);
    TU_CHECK(pa_array_size(r) == 0);
    pa_array_free(&r);
    pa_array_free(&a);
}
END_TEST

START_TEST(test_bad)
{
    const size_t shape[] = {4, 5};
    pa_array *a = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, dtype_of(PA__KIND_FLOAT, 8), 2, shape, PA_DISTRIBUTED, &a), ctx);
    int two[] = {1, -1}, out_of[] = {2};
    TU_RC(pa_reduce_axes(a, PA_RED_SUM, 2, two, 0, &r), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "axis 1 is given twice") != NULL);
    TU_RC(pa_reduce_axes(a, PA_RED_SUM, 1, out_of, 0, &r), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "axis 2 is out of bounds for an array of dimension 2") !=
             NULL);
    TU_RC(pa_reduce_axes(a, PA_RED_SUM, 0, NULL, 0, &r), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "use pa_reduce_value") != NULL);
    TU_RC(pa_reduce_axes(a, PA_RED_SUM, 3, two, 0, &r), PA_EINVAL, ctx);
    TU_RC(pa_reduce_axes(a, PA_RED_SUM, 1, NULL, 0, &r), PA_EINVAL, ctx);
    TU_RC(pa_reduce_axes(a, PA_NREDUCE, 1, out_of, 0, &r), PA_EINVAL, ctx);
    TU_RC(pa_reduce_axes(a, PA_RED_SUM, 1, two, 0, NULL), PA_EINVAL, ctx);
    TU_RC(pa_reduce_axes(NULL, PA_RED_SUM, 1, two, 0, &r), PA_EINVAL, NULL);
    TU_CHECK(r == NULL);
    pa_array_free(&a);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("reduce_axes");
    TCase *tc = tu_tcase(s, "reduce_axes");
    tcase_add_checked_fixture(tc, tu_ctx_self_setup, tu_ctx_self_teardown);
    tcase_add_test(tc, test_every_axis);
    tcase_add_test(tc, test_float_lines);
    tcase_add_test(tc, test_narrow_columns);
    tcase_add_test(tc, test_large_lines);
    tcase_add_test(tc, test_ddof);
    tcase_add_test(tc, test_complex);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_bad);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
