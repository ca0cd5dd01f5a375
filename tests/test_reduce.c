/* Tests of the reductions: every reduction on whole arrays and along axis
 * 0 and 1 of 2-D arrays, for every dtype of the list and both
 * distributions, compared bit for bit with a serial implementation of the
 * documented tree written here (a plain recursion, unlike the library's
 * blocked one), so that the results are the same bits in every launcher
 * configuration; against a one-rank context too; in both orders of reading
 * memory; the exact results of pa_reduce_value and their result types;
 * integers at their dtype's limits and sums that wrap; any and all; NaN
 * and signed-zero rules; complex numbers' order; empty arrays; bad input. What depends on the
 * dtype is chosen by its kind, so a dtype added to the list is tested
 * here without a line changing. */
#include "testutil.h"

#include <math.h>

#include "dtype.h"
#include "reduce_ref.h"

/* ------------------------------------------------------------ tests */

/* Every reduction and pa_dot of whole arrays on context c against the
 * reference and against one rank (self). */
static void check_whole(pa_ctx *c)
{
    static const size_t sizes[] = {1, 7, 4096, 4097, 100003};
    for (int di = tree_dtype(0); di < PA_NDTYPES; di = tree_dtype(di + 1))
        for (int k = 0; k < 2; k++)
            for (int s = 0; s < 5; s++) {
                pa_dtype d = (pa_dtype)di;
                pa_dist dist = k ? PA_REPLICATED : PA_DISTRIBUTED;
                size_t n = sizes[s];
                double *x;
                pa_array *a = make_array(c, d, 1, &n, dist, &x);
                pa_array *one = make_array(self, d, 1, &n, PA_DISTRIBUTED, NULL);
                int is_int = pa__dtype_is_int(d);
                for (int op = 0; op < PA_NREDUCE; op++) {
                    double got = -1, want = -2, serial = -3;
                    pa_value v;
                    TU_OK(pa_reduce(a, op, -1, &got), c);
                    TU_OK(pa_reduce_value(a, op, -1, &v), c);
                    TU_RC(pa_reduce(one, op, -1, &serial), PA_OK, self);
                    ref_reduce(op, x, is_int, 1, 0, n, 1, &want);
                    size_t f;
                    TU_ASSERT(same_bits(&got, &want, 1, &f) && same_bits(&got, &serial, 1, &f),
                              "%s of %zu %s (%s): %.17g, reference %.17g, one rank %.17g",
                              pa_reduce_name(op), n, pa_dtype_name(d),
                              k ? "replicated" : "distributed", got, want, serial);
                    TU_ASSERT(values_match(&v, &got, 1, op, d, &f),
                              "pa_reduce_value %s of %zu %s: %s %c %.17g", pa_reduce_name(op), n,
                              pa_dtype_name(d), pa_dtype_name(v.dtype), v.kind,
                              pa_value_double(&v));
                }
                /* dot(a, a) is the tree of the squares. */
                double dot, want;
                TU_OK(pa_dot(a, a, &dot), c);
                line l = {x, x, 0, 1, 3, 0};
                want = tree(&l, n);
                TU_ASSERT(memcmp(&dot, &want, 8) == 0, "dot %.17g, reference %.17g", dot, want);
                free(x);
                pa_array_free(&a);
                pa_array_free(&one);
            }
}

START_TEST(test_whole)
{
    check_whole(ctx);
}
END_TEST

/* Every reduction along both axes of 2-D arrays on context c against the
 * reference, and pa_var with ddof 1. */
static void check_axes(pa_ctx *c)
{
    static const size_t shapes[][2] = {{1, 1}, {37, 5}, {1001, 3}, {5, 5000}, {4100, 2}};
    for (int di = tree_dtype(0); di < PA_NDTYPES; di = tree_dtype(di + 1))
        for (int k = 0; k < 2; k++)
            for (int s = 0; s < 5; s++) {
                pa_dtype d = (pa_dtype)di;
                pa_dist dist = k ? PA_REPLICATED : PA_DISTRIBUTED;
                size_t m = shapes[s][0], nc = shapes[s][1];
                double *x;
                pa_array *a = make_array(c, d, 2, shapes[s], dist, &x);
                int is_int = pa__dtype_is_int(d);
                double *got = malloc(sizeof(double) * (m + nc)),
                       *want = malloc(sizeof(double) * (m + nc));
                pa_value *v = malloc(sizeof(pa_value) * (m + nc));
                for (int op = 0; op < PA_NREDUCE; op++)
                    for (int axis = 0; axis < 2; axis++) {
                        size_t nout = axis == 0 ? nc : m, f = 0;
                        TU_OK(pa_reduce(a, op, axis, got), c);
                        TU_OK(pa_reduce_value(a, op, axis, v), c);
                        TU_ASSERT(
                            values_match(v, got, nout, op, d, &f),
                            "pa_reduce_value %s axis %d of %s: [%zu] %s %.17g, pa_reduce %.17g",
                            pa_reduce_name(op), axis, pa_dtype_name(d), f,
                            pa_dtype_name(v[f].dtype), pa_value_double(&v[f]), got[f]);
                        if (axis == 0)
                            ref_reduce(op, x, is_int, nc, 1, m, nc, want);
                        else
                            ref_reduce(op, x, is_int, m, nc, nc, 1, want);
                        int ok = same_bits(got, want, nout, &f);
                        TU_ASSERT(ok,
                                  "%s axis %d of (%zu,%zu) %s %s: [%zu] %.17g, reference %.17g",
                                  pa_reduce_name(op), axis, m, nc, pa_dtype_name(d),
                                  k ? "replicated" : "distributed", f, got[f], want[f]);
                    }
                /* var with ddof 1 along axis 1. */
                TU_OK(pa_var(a, 1, 1.0, got), c);
                size_t bad = 0;
                for (size_t r = 0; r < m; r++) {
                    line l = {x, NULL, r * nc, 1, 0, 0};
                    l.mu = tree(&l, nc) / (double)nc;
                    l.xf = 1;
                    double w = nc > 1 ? tree(&l, nc) / (double)(nc - 1) : NAN;
                    bad += memcmp(&w, &got[r], 8) != 0;
                }
                TU_ASSERT(bad == 0, "var ddof=1 axis 1: %zu rows differ", bad);
                free(got);
                free(want);
                free(v);
                free(x);
                pa_array_free(&a);
            }
}

START_TEST(test_axes)
{
    check_axes(ctx);
}
END_TEST

/* The block kernels read memory in one of two orders, chosen by the CPU's
 * maker (docs/compute.md); PARRAY_SUM_READ forces one. Both must give the
 * reference's bits, whichever maker runs the tests, and an order that is
 * not one of them fails pa_init with a message that names the setting. */
START_TEST(test_read_orders)
{
    static const char *const orders[] = {"intel", "forward"};
    tu_env e = tu_env_save("PARRAY_SUM_READ");
    for (int k = 0; k < 2; k++) {
        setenv("PARRAY_SUM_READ", orders[k], 1);
        pa_ctx *c = NULL;
        TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
        check_whole(c);
        check_axes(c);
        TU_OK(pa_finalize(&c), NULL);
    }
    setenv("PARRAY_SUM_READ", "backward", 1);
    pa_ctx *c = NULL;
    TU_RC(pa_init_comm(MPI_COMM_WORLD, &c), PA_EINVAL, NULL);
    TU_CHECK(strstr(pa_errmsg(NULL), "PARRAY_SUM_READ='backward'") != NULL);
    tu_env_restore(&e);
}
END_TEST

/* NaN: sums and min/max are NaN, argmin/argmax the first NaN; zeros: min
 * -0.0, max +0.0 whatever the order. The special elements sit at indices
 * that fall in different ranks' spans. */
START_TEST(test_nan_zero)
{
    size_t n = 10000;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    double *x = calloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(i % 17) + 1;
    x[9000] = NAN;
    x[7000] = NAN;
    x[100] = 0.5;
    x[8000] = 99;
    TU_OK(pa_array_scatter(a, 0, x), ctx);
    double v[PA_NREDUCE];
    for (int op = 0; op < PA_NREDUCE; op++)
        TU_OK(pa_reduce(a, op, -1, &v[op]), ctx);
    TU_CHECK(isnan(v[PA_RED_SUM]) && isnan(v[PA_RED_MEAN]) && isnan(v[PA_RED_MIN]) &&
             isnan(v[PA_RED_MAX]) && isnan(v[PA_RED_VAR]) && isnan(v[PA_RED_STD]));
    TU_ASSERT(v[PA_RED_ARGMIN] == 7000 && v[PA_RED_ARGMAX] == 7000, "argmin %g argmax %g",
              v[PA_RED_ARGMIN], v[PA_RED_ARGMAX]);
    x[9000] = x[7000] = 1;
    TU_OK(pa_array_scatter(a, 0, x), ctx);
    TU_OK(pa_reduce(a, PA_RED_ARGMIN, -1, &v[0]), ctx);
    TU_OK(pa_reduce(a, PA_RED_ARGMAX, -1, &v[1]), ctx);
    TU_ASSERT(v[0] == 100 && v[1] == 8000, "argmin %g argmax %g", v[0], v[1]);
    /* Ties: the first index. */
    x[9999] = 0.5;
    TU_OK(pa_array_scatter(a, 0, x), ctx);
    TU_OK(pa_reduce(a, PA_RED_ARGMIN, -1, &v[0]), ctx);
    TU_CHECK(v[0] == 100);
    /* Zeros of both signs, the +0 first. */
    for (size_t i = 0; i < n; i++)
        x[i] = i < n / 2 ? 0.0 : -0.0;
    TU_OK(pa_array_scatter(a, 0, x), ctx);
    TU_OK(pa_reduce(a, PA_RED_MIN, -1, &v[0]), ctx);
    TU_OK(pa_reduce(a, PA_RED_MAX, -1, &v[1]), ctx);
    TU_ASSERT(v[0] == 0 && signbit(v[0]) && v[1] == 0 && !signbit(v[1]), "min %g max %g", v[0],
              v[1]);
    free(x);
    pa_array_free(&a);
}
END_TEST

/* Every integer dtype at its limits, exactly: min and max are the dtype's
 * own (u64's above 2^63, i64's beyond any double), argmin and argmax their
 * first indices, and the sum is numpy's: the 64-bit total modulo 2^64 (i64
 * and u64 sums wrap; narrower dtypes' sums leave their range but not
 * 64 bits). The elements sit in different ranks' spans. Also an i64 max of
 * 2^53 + 3, which pa_reduce can only round (to 2^53 + 4). */
/* A distributed 1-D array of n elements of d from rank 0's buf, and every
 * reduction of it into v (PA_NREDUCE of them); the caller frees it. */
static pa_array *reduce_every_op(pa_dtype d, size_t n, const void *buf, pa_value *v)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_scatter(a, 0, buf), ctx);
    for (int op = 0; op < PA_NREDUCE; op++)
        TU_OK(pa_reduce_value(a, op, -1, &v[op]), ctx);
    return a;
}

/* bool as numpy: the sum counts the trues as an i64, min and max are
 * bool, any and all, mean is the fraction of trues; 300 trues spread over
 * the ranks' spans. */
START_TEST(test_bool)
{
    size_t n = 1000;
    _Bool *x = calloc(n, 1);
    for (size_t i = 0; i < n; i += 3)
        x[i] = i < 900;
    pa_value v[PA_NREDUCE];
    pa_array *a = reduce_every_op(PA_BOOL, n, x, v);
    TU_ASSERT(v[PA_RED_SUM].dtype == PA_I64 && v[PA_RED_SUM].kind == 'i' &&
                  v[PA_RED_SUM].v.i == 300,
              "sum: %s %c %lld", pa_dtype_name(v[PA_RED_SUM].dtype), v[PA_RED_SUM].kind,
              (long long)v[PA_RED_SUM].v.i);
    TU_CHECK(v[PA_RED_MIN].dtype == PA_BOOL && v[PA_RED_MIN].v.u == 0);
    TU_CHECK(v[PA_RED_MAX].dtype == PA_BOOL && v[PA_RED_MAX].v.u == 1);
    TU_CHECK(v[PA_RED_ARGMIN].v.i == 1 && v[PA_RED_ARGMAX].v.i == 0);
    TU_CHECK(v[PA_RED_ANY].v.u == 1 && v[PA_RED_ALL].v.u == 0);
    TU_CHECK(v[PA_RED_ANY].dtype == PA_BOOL && v[PA_RED_MEAN].v.f == 0.3);
    TU_OK(pa_ones(a), ctx);
    TU_OK(pa_reduce_value(a, PA_RED_SUM, -1, &v[0]), ctx);
    TU_OK(pa_reduce_value(a, PA_RED_ALL, -1, &v[1]), ctx);
    TU_CHECK(v[0].v.i == (int64_t)n && v[1].v.u == 1);
    pa_array_free(&a);
    free(x);
}
END_TEST

START_TEST(test_int_limits)
{
    size_t n = 1000;
    for (int di = tree_dtype(0); di < PA_NDTYPES; di = tree_dtype(di + 1)) {
        pa_dtype d = (pa_dtype)di;
        if (!pa__dtype_is_int(d) || d == PA_BOOL) /* bool: test_bool */
            continue;
        const pa__dtype_info *t = &pa__dtypes[d];
        size_t es = t->size;
        char *buf = malloc(n * es);
        /* Ones, but min at 300 and 800, max at 700 and 900, 3 at 950:
         * integers of any width from their 64 bits (the low bits, as
         * pa_astype keeps). */
        uint64_t bits[] = {(uint64_t)t->min, t->max, t->max, (uint64_t)t->min, 3};
        size_t at[] = {300, 700, 900, 800, 950};
        uint64_t sum = n - 5;
        for (size_t i = 0; i < n; i++)
            pa__from_double(buf + i * es, d, 1.0);
        for (int k = 0; k < 5; k++) {
            int64_t v = (int64_t)bits[k];
            t->from_i64(buf + at[k] * es, &v, 1);
            sum += bits[k];
        }
        pa_value v[PA_NREDUCE];
        pa_array *a = reduce_every_op(d, n, buf, v);
        int is_signed = t->kind == PA__KIND_SINT;
        uint64_t mn = is_signed ? (uint64_t)v[PA_RED_MIN].v.i : v[PA_RED_MIN].v.u;
        uint64_t mx = is_signed ? (uint64_t)v[PA_RED_MAX].v.i : v[PA_RED_MAX].v.u;
        uint64_t sm = v[PA_RED_SUM].kind == 'i' ? (uint64_t)v[PA_RED_SUM].v.i : v[PA_RED_SUM].v.u;
        TU_ASSERT(mn == (uint64_t)t->min && mx == t->max && v[PA_RED_MIN].dtype == d,
                  "%s: min %llu max %llu, want %llu %llu", t->name, (unsigned long long)mn,
                  (unsigned long long)mx, (unsigned long long)t->min, (unsigned long long)t->max);
        TU_ASSERT(v[PA_RED_ARGMIN].v.i == 300 && v[PA_RED_ARGMAX].v.i == 700,
                  "%s: argmin %lld argmax %lld", t->name, (long long)v[PA_RED_ARGMIN].v.i,
                  (long long)v[PA_RED_ARGMAX].v.i);
        TU_ASSERT(sm == sum, "%s: sum bits %llu, want %llu", t->name, (unsigned long long)sm,
                  (unsigned long long)sum);
        TU_CHECK(v[PA_RED_ANY].v.u == 1 && v[PA_RED_ALL].v.u == (t->min != 0));
        char text[64];
        pa_value_str(&v[PA_RED_MAX], text, sizeof text);
        TU_ASSERT(strtoull(text, NULL, 10) == t->max, "%s: max printed as %s", t->name, text);
        pa_array_free(&a);
        free(buf);
    }
    /* 2^53 + 3 in i64 (the 8-byte signed dtype). */
    pa_dtype i64 = dtype_of(PA__KIND_SINT, 8);
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, i64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    int64_t *x = calloc(n, sizeof *x);
    x[600] = ((int64_t)1 << 53) + 3;
    x[10] = -x[600];
    TU_OK(pa_array_scatter(a, 0, x), ctx);
    pa_value v;
    double dv;
    char text[64];
    TU_OK(pa_reduce_value(a, PA_RED_MAX, -1, &v), ctx);
    TU_OK(pa_reduce(a, PA_RED_MAX, -1, &dv), ctx);
    TU_ASSERT(strcmp(pa_value_str(&v, text, sizeof text), "9007199254740995") == 0 &&
                  dv == 9007199254740996.0,
              "max of 2^53 + 3: %s, pa_reduce %.17g", text, dv);
    TU_OK(pa_reduce_value(a, PA_RED_MIN, -1, &v), ctx);
    TU_CHECK(strcmp(pa_value_str(&v, text, sizeof text), "-9007199254740995") == 0);
    TU_OK(pa_reduce_value(a, PA_RED_SUM, -1, &v), ctx);
    TU_CHECK(v.kind == 'i' && v.v.i == 0);
    free(x);
    pa_array_free(&a);
}
END_TEST

/* Integer sums of long arrays at the dtype's limits on one rank, so that
 * one kernel call spans several of the narrow sums' int32 runs, and their
 * ends: in both orders of reading memory, which take different kernels. */
START_TEST(test_int_sums)
{
    static const char *const orders[] = {"intel", "forward"};
    static const size_t sizes[] = {1, 63, 64, 129, 4 * 1024 * 1024 + 77};
    tu_env e = tu_env_save("PARRAY_SUM_READ"), rpn = tu_env_save("PARRAY_RANKS_PER_NODE");
    unsetenv("PARRAY_RANKS_PER_NODE"); /* one rank, one node */
    for (int k = 0; k < 2; k++) {
        setenv("PARRAY_SUM_READ", orders[k], 1);
        pa_ctx *c = NULL;
        TU_OK(pa_init_comm(MPI_COMM_SELF, &c), NULL);
        for (int di = tree_dtype(0); di < PA_NDTYPES; di = tree_dtype(di + 1))
            for (int s = 0; s < 5; s++) {
                pa_dtype d = (pa_dtype)di;
                if (!pa__dtype_is_int(d) || d == PA_BOOL)
                    continue;
                const pa__dtype_info *t = &pa__dtypes[d];
                size_t n = sizes[s], es = t->size;
                /* The large size also all min, all max and all zero: one
                 * sign's extreme in every element of the narrow sums'
                 * int32 runs. */
                for (int pat = 0; pat < (n > 4096 ? 4 : 1); pat++) {
                    char *buf = malloc(n * es);
                    int64_t *w = malloc(n * sizeof *w);
                    /* Runs of min, runs of max and a mix, read back as stored. */
                    for (size_t i = 0; i < n; i++) {
                        uint64_t r = (i * 0x9e3779b97f4a7c15u) >> 29;
                        w[i] = pat == 1          ? t->min
                               : pat == 2        ? (int64_t)t->max
                               : pat == 3        ? 0
                               : i % 4096 < 2048 ? t->min
                               : i % 4096 < 3000 ? (int64_t)t->max
                                                 : (int64_t)r;
                    }
                    t->from_i64(buf, w, n);
                    t->to_i64(w, buf, n);
                    uint64_t want = 0;
                    for (size_t i = 0; i < n; i++)
                        want += (uint64_t)w[i];
                    pa_array *a = NULL;
                    TU_OK(pa_array_create(c, d, 1, &n, PA_DISTRIBUTED, &a), c);
                    TU_OK(pa_array_scatter(a, 0, buf), c);
                    pa_value v;
                    TU_OK(pa_reduce_value(a, PA_RED_SUM, -1, &v), c);
                    TU_ASSERT(v.v.u == want, "%s sum of %zu (%s, pattern %d): %llu, want %llu",
                              t->name, n, orders[k], pat, (unsigned long long)v.v.u,
                              (unsigned long long)want);
                    pa_array_free(&a);
                    free(w);
                    free(buf);
                }
            }
        TU_OK(pa_finalize(&c), NULL);
    }
    tu_env_restore(&rpn);
    tu_env_restore(&e);
}
END_TEST

/* Complex values as text, as Python and numpy print them: the real part
 * left out where it is +0. */
START_TEST(test_complex_text)
{
    static const struct {
        double re, im;
        const char *want;
    } cases[] = {{0, 5, "5j"},
                 {-0.0, 5, "(-0+5j)"},
                 {-0.0, -5, "(-0-5j)"},
                 {1, 2, "(1+2j)"},
                 {1, -2, "(1-2j)"},
                 {0, 0, "0j"},
                 {0, -0.0, "-0j"},
                 {0, NAN, "nanj"},
                 {INFINITY, 1, "(inf+1j)"},
                 {0.5, 0.25, "(0.5+0.25j)"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pa_value v = {.dtype = PA_C128, .kind = 'c', .v.c = {cases[k].re, cases[k].im}};
        char text[64];
        pa_value_str(&v, text, sizeof text);
        TU_ASSERT(strcmp(text, cases[k].want) == 0, "complex(%g, %g): %s, numpy %s", cases[k].re,
                  cases[k].im, text, cases[k].want);
    }
}
END_TEST

/* any and all of every dtype: a zero or a non-zero (NaN for floats, which
 * is true) at places in different ranks' spans, whole and along both axes;
 * empty arrays: any false, all true. */
START_TEST(test_any_all)
{
    size_t shape[2] = {250, 4}, n = 1000;
    for (int di = tree_dtype(0); di < PA_NDTYPES; di = tree_dtype(di + 1)) {
        pa_dtype d = (pa_dtype)di;
        size_t es = pa_dtype_size(d);
        char *buf = malloc(n * es);
        pa_array *a = NULL;
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, &a), ctx);
        pa_value any, all, cols[4], rows[250];
        /* All zeros but one element (NaN where the dtype has it), and all
         * ones but one zero: the one at index 999 - i for column 3. */
        for (int ones = 0; ones < 2; ones++) {
            for (size_t i = 0; i < n; i++)
                pa__from_double(buf + i * es, d, ones);
            size_t at = 999 - 4 * 10; /* row 239, column 3 */
            pa__from_double(buf + at * es, d, ones ? 0.0 : pa__dtype_is_int(d) ? 1.0 : NAN);
            TU_OK(pa_array_scatter(a, 0, buf), ctx);
            TU_OK(pa_reduce_value(a, PA_RED_ANY, -1, &any), ctx);
            TU_OK(pa_reduce_value(a, PA_RED_ALL, -1, &all), ctx);
            TU_ASSERT(any.kind == 'b' && any.v.u == 1 && all.v.u == 0,
                      "%s (%s): any %llu all %llu", pa_dtype_name(d), ones ? "ones" : "zeros",
                      (unsigned long long)any.v.u, (unsigned long long)all.v.u);
            pa_reduce_op op = ones ? PA_RED_ALL : PA_RED_ANY;
            TU_OK(pa_reduce_value(a, op, 0, cols), ctx);
            TU_OK(pa_reduce_value(a, op, 1, rows), ctx);
            int ok = 1;
            for (int j = 0; j < 4; j++)
                ok &= cols[j].v.u == (uint64_t)(ones ? j != 3 : j == 3);
            for (size_t r = 0; r < 250; r++)
                ok &= rows[r].v.u == (uint64_t)(ones ? r != 239 : r == 239);
            TU_ASSERT(ok, "%s of %s along the axes", pa_reduce_name(op), pa_dtype_name(d));
        }
        pa_array_free(&a);
        size_t z = 0;
        TU_OK(pa_array_create(ctx, d, 1, &z, PA_DISTRIBUTED, &a), ctx);
        TU_OK(pa_reduce_value(a, PA_RED_ANY, -1, &any), ctx);
        TU_OK(pa_reduce_value(a, PA_RED_ALL, -1, &all), ctx);
        TU_CHECK(any.v.u == 0 && all.v.u == 1 && all.kind == 'b');
        pa_array_free(&a);
        free(buf);
    }
}
END_TEST

/* A complex array of shape (ndim, shape) on c with parts re[i] = val(i)
 * and im[i] = val(n + i) of the part dtype (the other way round with
 * swap), and on self the two part arrays of those values. */
static pa_array *make_complex(pa_ctx *c, pa_dtype d, int ndim, const size_t *shape, pa_dist dist,
                              int swap, pa_array **re, pa_array **im)
{
    pa_dtype p = pa__dtype_real(d);
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, d, ndim, shape, dist, &a), c);
    TU_RC(pa_array_create(self, p, ndim, shape, PA_DISTRIBUTED, re), PA_OK, self);
    TU_RC(pa_array_create(self, p, ndim, shape, PA_DISTRIBUTED, im), PA_OK, self);
    size_t n = pa_array_size(a), ps = pa_dtype_size(p);
    char *buf = malloc(2 * ps * n + 1), *rb = malloc(ps * n + 1), *ib = malloc(ps * n + 1);
    for (size_t i = 0; i < n; i++) {
        pa__from_double(rb + i * ps, p, val(swap ? n + i : i, p));
        pa__from_double(ib + i * ps, p, val(swap ? i : n + i, p));
        memcpy(buf + 2 * i * ps, rb + i * ps, ps);
        memcpy(buf + (2 * i + 1) * ps, ib + i * ps, ps);
    }
    TU_OK(pa_array_scatter(a, 0, buf), c);
    TU_RC(pa_array_scatter(*re, 0, rb), PA_OK, self);
    TU_RC(pa_array_scatter(*im, 0, ib), PA_OK, self);
    free(buf);
    free(rb);
    free(ib);
    return a;
}

/* 1 when the doubles x and y have the same bits. */
static int same(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

/* pa_dot_value(a, b) of complex a and b against pa_dot of their parts on
 * one rank: numpy's vdot, bit for bit. */
static void check_vdot(const pa_array *a, const pa_array *b, const pa_array *are,
                       const pa_array *aim, const pa_array *bre, const pa_array *bim)
{
    pa_value v;
    double rr, ii, ri, ir;
    TU_OK(pa_dot_value(a, b, &v), ctx);
    TU_RC(pa_dot(are, bre, &rr), PA_OK, self);
    TU_RC(pa_dot(aim, bim, &ii), PA_OK, self);
    TU_RC(pa_dot(are, bim, &ri), PA_OK, self);
    TU_RC(pa_dot(aim, bre, &ir), PA_OK, self);
    TU_CHECK(v.kind == 'c' && same(v.v.c[0], rr + ii) && same(v.v.c[1], ri - ir));
}

/* Complex arrays: sum and mean are c128 values whose parts have the bits
 * of the parts' tree sums on one rank, norm2, var and std f64 values made
 * from them, and dot numpy's vdot, on both distributions, whole and along
 * both axes, so the same bits in every launcher configuration; sum, mean,
 * min and max into doubles are PA_ENOTSUP naming the op and the dtype, and
 * so is pa_dot; argmax into a double is an index; any and all count. */
START_TEST(test_complex)
{
    static const size_t shapes[][2] = {{7, 1}, {4097, 1}, {100003, 1}, {37, 5}, {5, 1001}};
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (!pa__dtype_is_complex((pa_dtype)d))
            continue;
        for (int k = 0; k < 2; k++)
            for (int s = 0; s < 5; s++) {
                int ndim = s < 3 ? 1 : 2;
                pa_array *re = NULL, *im = NULL;
                pa_array *a = make_complex(ctx, (pa_dtype)d, ndim, shapes[s],
                                           k ? PA_REPLICATED : PA_DISTRIBUTED, 0, &re, &im);
                size_t nmax = shapes[s][0] + shapes[s][1];
                pa_value *v = malloc(sizeof(pa_value) * nmax);
                double *r = malloc(sizeof(double) * nmax), *i = malloc(sizeof(double) * nmax);
                static const pa_reduce_op ops[] = {PA_RED_SUM, PA_RED_MEAN, PA_RED_NORM2,
                                                   PA_RED_VAR, PA_RED_STD};
                for (int axis = -1; axis < (ndim == 2 ? 2 : 0); axis++)
                    for (int o = 0; o < 5; o++) {
                        pa_reduce_op op = ops[o];
                        int part = op == PA_RED_SUM || op == PA_RED_MEAN;
                        size_t nout = axis < 0 ? 1 : shapes[s][1 - axis], bad = 0;
                        TU_OK(pa_reduce_value(a, op, axis, v), ctx);
                        pa_reduce_op pop = op == PA_RED_STD ? PA_RED_VAR : op;
                        TU_RC(pa_reduce(re, pop, axis, r), PA_OK, self);
                        TU_RC(pa_reduce(im, pop, axis, i), PA_OK, self);
                        for (size_t j = 0; j < nout; j++) {
                            double w = op == PA_RED_NORM2 ? hypot(r[j], i[j])
                                       : op == PA_RED_VAR ? r[j] + i[j]
                                                          : sqrt(r[j] + i[j]);
                            bad += part ? v[j].kind != 'c' || v[j].dtype != PA_C128 ||
                                              !same(v[j].v.c[0], r[j]) || !same(v[j].v.c[1], i[j])
                                        : v[j].kind != 'f' || v[j].dtype != PA_F64 ||
                                              !same(v[j].v.f, w);
                        }
                        TU_ASSERT(bad == 0, "%s axis %d of %s %s: %zu results differ",
                                  pa_reduce_name(op), axis, pa_dtype_name((pa_dtype)d),
                                  k ? "replicated" : "distributed", bad);
                    }
                /* pa_var with ddof 1 is the sum of the parts'. */
                TU_OK(pa_var(a, -1, 1.0, r), ctx);
                double vr, vi;
                TU_RC(pa_var(re, -1, 1.0, &vr), PA_OK, self);
                TU_RC(pa_var(im, -1, 1.0, &vi), PA_OK, self);
                TU_CHECK(same(r[0], vr + vi));
                /* vdot(a, a), and of another b: each product reads a's
                 * part and b's own. */
                pa_array *bre = NULL, *bim = NULL;
                pa_array *b = make_complex(ctx, (pa_dtype)d, ndim, shapes[s],
                                           k ? PA_REPLICATED : PA_DISTRIBUTED, 1, &bre, &bim);
                check_vdot(a, a, re, im, re, im);
                check_vdot(a, b, re, im, bre, bim);
                pa_array_free(&b);
                pa_array_free(&bre);
                pa_array_free(&bim);
                free(v);
                free(r);
                free(i);
                pa_array_free(&a);
                pa_array_free(&re);
                pa_array_free(&im);
            }
        size_t n = 100;
        double x = -1;
        pa_value pv;
        pa_array *a = NULL;
        TU_OK(pa_array_create(ctx, (pa_dtype)d, 1, &n, PA_DISTRIBUTED, &a), ctx);
        TU_OK(pa_reduce(a, PA_RED_ANY, -1, &x), ctx);
        TU_CHECK(x == 0);
        static const pa_reduce_op refused[] = {PA_RED_SUM, PA_RED_MEAN, PA_RED_MIN, PA_RED_MAX};
        for (int o = 0; o < 4; o++) {
            TU_RC(pa_reduce(a, refused[o], -1, &x), PA_ENOTSUP, ctx);
            TU_ASSERT(strstr(pa_errmsg(ctx), pa_reduce_name(refused[o])) &&
                          strstr(pa_errmsg(ctx), pa_dtype_name((pa_dtype)d)) &&
                          strstr(pa_errmsg(ctx), "pa_reduce_value"),
                      "message '%s'", pa_errmsg(ctx));
        }
        TU_OK(pa_reduce(a, PA_RED_ARGMAX, -1, &x), ctx); /* an index: a double holds it */
        TU_CHECK(x == 0);
        (void)pv;
        TU_RC(pa_dot(a, a, &x), PA_ENOTSUP, ctx);
        TU_CHECK(strstr(pa_errmsg(ctx), "pa_dot_value") != NULL);
        pa_array_free(&a);
    }
}
END_TEST

/* The serial reference of a complex min or max (want_max) over n elements
 * (re[i k], im[i k]) for i from off, k = step: numpy's first element with
 * a NaN part if any; else the first index of the lexicographic best (the
 * real parts first), and as the value, of the elements equal to it, the
 * one whose zeros' signs come first in the order -0.0 < +0.0 (max: last),
 * real part first. */
static void ref_order(const double *re, const double *im, size_t off, size_t step, size_t n,
                      int want_max, double *z, size_t *idx)
{
    size_t b = SIZE_MAX;
    for (size_t k = 0; k < n && b == SIZE_MAX; k++)
        if (isnan(re[off + k * step]) || isnan(im[off + k * step]))
            b = k;
    for (size_t k = 0; k < n && b == SIZE_MAX; k++) {
        size_t i = off + k * step, j = off + *idx * step;
        int better = want_max ? re[i] > re[j] || (re[i] == re[j] && im[i] > im[j])
                              : re[i] < re[j] || (re[i] == re[j] && im[i] < im[j]);
        if (k == 0 || better)
            *idx = k;
    }
    if (b != SIZE_MAX)
        *idx = b;
    size_t v = off + *idx * step;
    z[0] = re[v];
    z[1] = im[v];
    for (size_t k = 0; k < n && b == SIZE_MAX; k++) {
        size_t i = off + k * step;
        if (re[i] != z[0] || im[i] != z[1])
            continue;
        /* The zeros' signs as a number, 0 for (-, -) to 3 for (+, +). */
        int si = 2 * !signbit(re[i]) + !signbit(im[i]), sz = 2 * !signbit(z[0]) + !signbit(z[1]);
        if (want_max ? si > sz : si < sz) {
            z[0] = re[i];
            z[1] = im[i];
        }
    }
}

/* Complex min, max, argmin and argmax in numpy's lexicographic order
 * against ref_order, bit for bit, for each complex dtype, both
 * distributions, whole and along both axes, on data with many ties (parts
 * from a few values), only signed zeros, and NaN in either part; so the
 * same bits at every launcher configuration. */
START_TEST(test_complex_order)
{
    static const size_t shapes[][2] = {{7, 1}, {4097, 1}, {100003, 1}, {37, 5}, {5, 1001}};
    static const double few[] = {-1.5, -0.0, 0.0, 1.0, 2.0};
    static const pa_reduce_op ops[] = {PA_RED_MIN, PA_RED_MAX, PA_RED_ARGMIN, PA_RED_ARGMAX};
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (!pa__dtype_is_complex((pa_dtype)d))
            continue;
        size_t ps = pa_dtype_size((pa_dtype)d) / 2;
        for (int s = 0; s < 5; s++)
            for (int mode = 0; mode < 3; mode++) { /* ties, zeros, NaN */
                int ndim = s < 3 ? 1 : 2;
                size_t n = shapes[s][0] * shapes[s][1];
                double *re = malloc(sizeof(double) * n), *im = malloc(sizeof(double) * n);
                char *buf = malloc(2 * ps * n);
                for (size_t i = 0; i < n; i++) {
                    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
                    re[i] = few[(mode == 1 ? 1 : 0) + (h >> 40) % (mode == 1 ? 2 : 5)];
                    im[i] = few[(mode == 1 ? 1 : 0) + (h >> 20) % (mode == 1 ? 2 : 5)];
                    if (mode == 2 && i % 1009 == 600)
                        (i % 2 ? re : im)[i] = NAN;
                    pa__from_double(buf + 2 * i * ps, pa__dtype_real((pa_dtype)d), re[i]);
                    pa__from_double(buf + (2 * i + 1) * ps, pa__dtype_real((pa_dtype)d), im[i]);
                }
                for (int k = 0; k < 2; k++) {
                    pa_array *a = NULL;
                    TU_OK(pa_array_create(ctx, (pa_dtype)d, ndim, shapes[s],
                                          k ? PA_REPLICATED : PA_DISTRIBUTED, &a),
                          ctx);
                    TU_OK(pa_array_scatter(a, 0, buf), ctx);
                    pa_value v[1001];
                    for (int axis = -1; axis < (ndim == 2 ? 2 : 0); axis++)
                        for (int o = 0; o < 4; o++) {
                            int want_max = ops[o] == PA_RED_MAX || ops[o] == PA_RED_ARGMAX;
                            int want_index = ops[o] == PA_RED_ARGMIN || ops[o] == PA_RED_ARGMAX;
                            size_t nout = axis < 0 ? 1 : shapes[s][1 - axis], bad = 0;
                            size_t len = axis < 0 ? n : shapes[s][axis];
                            TU_OK(pa_reduce_value(a, ops[o], axis, v), ctx);
                            for (size_t j = 0; j < nout; j++) {
                                size_t off = axis == 1 ? j * shapes[s][1] : j;
                                size_t step = axis == 0 ? shapes[s][1] : 1, idx = 0;
                                double z[2];
                                ref_order(re, im, off, step, len, want_max, z, &idx);
                                bad += want_index
                                           ? v[j].kind != 'i' || v[j].dtype != PA_I64 ||
                                                 v[j].v.i != (int64_t)idx
                                           : v[j].kind != 'c' || v[j].dtype != (pa_dtype)d ||
                                                 !same(v[j].v.c[0], z[0]) ||
                                                 !same(v[j].v.c[1], z[1]);
                            }
                            TU_ASSERT(bad == 0, "%s axis %d of %s %s mode %d: %zu results differ",
                                      pa_reduce_name(ops[o]), axis, pa_dtype_name((pa_dtype)d),
                                      k ? "replicated" : "distributed", mode, bad);
                        }
                    pa_array_free(&a);
                }
                free(re);
                free(im);
                free(buf);
            }
        size_t z = 0;
        pa_array *e = NULL;
        pa_value v;
        TU_OK(pa_array_create(ctx, (pa_dtype)d, 1, &z, PA_DISTRIBUTED, &e), ctx);
        TU_RC(pa_reduce_value(e, PA_RED_MIN, -1, &v), PA_EINVAL, ctx);
        TU_RC(pa_reduce_value(e, PA_RED_ARGMAX, -1, &v), PA_EINVAL, ctx);
        pa_array_free(&e);
    }
}
END_TEST

START_TEST(test_empty_and_bad)
{
    size_t z = 0, s2[2] = {0, 3}, s3[3] = {2, 2, 2};
    pa_array *e = NULL, *e2 = NULL, *t = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &z, PA_DISTRIBUTED, &e), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s2, PA_DISTRIBUTED, &e2), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 3, s3, PA_DISTRIBUTED, &t), ctx);
    double v = 1, cols[3];
    TU_OK(pa_reduce(e, PA_RED_SUM, -1, &v), ctx);
    TU_CHECK(v == 0);
    TU_OK(pa_reduce(e, PA_RED_MEAN, -1, &v), ctx);
    TU_CHECK(isnan(v));
    TU_RC(pa_reduce(e, PA_RED_MIN, -1, &v), PA_EINVAL, ctx);
    TU_RC(pa_reduce(e, PA_RED_ARGMAX, -1, &v), PA_EINVAL, ctx);
    TU_OK(pa_reduce(e2, PA_RED_SUM, 0, cols), ctx);
    TU_CHECK(cols[0] == 0 && cols[2] == 0);
    TU_OK(pa_reduce(e2, PA_RED_STD, 0, cols), ctx);
    TU_CHECK(isnan(cols[1]));
    TU_RC(pa_reduce(e2, PA_RED_MAX, 0, cols), PA_EINVAL, ctx);
    TU_OK(pa_reduce(e2, PA_RED_MAX, 1, cols), ctx); /* no rows: nothing to write */
    TU_RC(pa_reduce(t, PA_RED_SUM, 0, cols), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "axis") != NULL);
    TU_RC(pa_reduce(e, PA_RED_SUM, 1, &v), PA_EINVAL, ctx);
    TU_RC(pa_reduce(t, PA_RED_SUM, -1, NULL), PA_EINVAL, ctx);
    TU_RC(pa_reduce(t, PA_NREDUCE, -1, &v), PA_EINVAL, ctx);
    TU_RC(pa_reduce(NULL, PA_RED_SUM, -1, &v), PA_EINVAL, NULL);
    TU_RC(pa_dot(t, e, &v), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "shape") != NULL);
    pa_reduce_op op;
    TU_CHECK(pa_reduce_parse("argmax", &op) == PA_OK && op == PA_RED_ARGMAX);
    pa_array_free(&e);
    pa_array_free(&e2);
    pa_array_free(&t);
}
END_TEST

/* The complex reductions read the parts in place: the node blocks do not
 * grow by a copy of the array (the old way made two arrays of its parts,
 * its size together), whole or along an axis. */
START_TEST(test_complex_in_place)
{
    size_t shape[2] = {((size_t)1 << 20) + 17, 2}, bytes = shape[0] * shape[1] * 16;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_C128, 2, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_random_uniform(a, 7, 0, -1, 1), ctx);
    pa_value v[2];
    double d[2];
    pa_mem_peaks before, after;
    TU_OK(pa_mem_peak_reset(ctx), ctx);
    TU_OK(pa_mem_peak(ctx, &before), ctx);
    TU_OK(pa_reduce_value(a, PA_RED_SUM, -1, v), ctx);
    TU_OK(pa_reduce_value(a, PA_RED_MEAN, 0, v), ctx);
    TU_OK(pa_var(a, 0, 0.0, d), ctx);
    TU_OK(pa_reduce(a, PA_RED_NORM2, -1, d), ctx);
    TU_OK(pa_dot_value(a, a, v), ctx);
    TU_OK(pa_mem_peak(ctx, &after), ctx);
    TU_ASSERT(after.node_shm - before.node_shm < bytes / 8,
              "node blocks grew by %zu bytes for an array of %zu",
              after.node_shm - before.node_shm, bytes);
    pa_array_free(&a);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("reduce");
    TCase *tc = tu_tcase(s, "reduce");
    tcase_add_checked_fixture(tc, tu_ctx_self_setup, tu_ctx_self_teardown);
    tcase_add_test(tc, test_whole);
    tcase_add_test(tc, test_axes);
    tcase_add_test(tc, test_read_orders);
    tcase_add_test(tc, test_nan_zero);
    tcase_add_test(tc, test_int_limits);
    tcase_add_test(tc, test_int_sums);
    tcase_add_test(tc, test_any_all);
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_empty_and_bad);
    tcase_add_test(tc, test_complex);
    tcase_add_test(tc, test_complex_order);
    tcase_add_test(tc, test_complex_text);
    tcase_add_test(tc, test_complex_in_place);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
