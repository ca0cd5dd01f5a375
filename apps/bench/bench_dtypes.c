/* The dtypes experiment: numpy's other dtypes at the speed of memory.
 * For f64 (the reference) and f32, i16, u8 and c128:
 *   z = a + b with pa_binary and z = a*b + c with pa_eval, against the
 *   triad, and the sum (pa_reduce_value) against the read limit;
 * then pa_astype between pairs of dtypes that cover each kind of cast
 * (widen, narrow, int to float, float to int, to and from f16, bool and
 * complex), against the triad.
 * Every array holds the same bytes per node whatever its dtype: --size
 * f64's worth (default 2e7, 160 MB; 1e7 under --quick), so that each is out
 * of cache as the limits' arrays are. Rates count each dtype's own bytes:
 * three arrays for both expressions (the triad's count, as in the
 * elementwise experiment), one for the sum, and the source's plus the
 * destination's for astype. */
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

#define DT_BYTES_ELEMS ((size_t)20000000) /* f64 elements' worth of bytes per array per node */
#define DT_BYTES_ELEMS_QUICK ((size_t)10000000)

/* The dtypes whose element-wise ops and sums are measured. */
static const char *const compute_dtypes[] = {"f64", "f32", "i16", "u8", "c128"};

/* The casts measured: source, destination. */
static const char *const casts[][2] = {
    {"f64", "f32"},  {"f32", "f64"},  {"i16", "f32"},  {"u8", "f64"},
    {"f64", "i32"},  {"i64", "i16"},  {"f32", "f16"},  {"f16", "f32"},
    {"bool", "f64"}, {"f64", "c128"}, {"c128", "c64"},

};

typedef struct {
    pa_ctx *ctx;
    pa_array *a, *b, *c, *z;
    pa_value sink;
} dt;

static int failed(bench *b, dt *D, const char *what)
{
    return bench_fail(b, "dtypes: %s: %s", what, pa_errmsg(D->ctx));
}

static int binary_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return pa_binary(D->z, PA_OP_ADD, D->a, D->b) == PA_OK ? 0 : failed(b, D, "pa_binary");
}

static int eval_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    pa_binding bind[] = {PA_BIND_ARRAY("z", D->z), PA_BIND_ARRAY("a", D->a),
                         PA_BIND_ARRAY("b", D->b), PA_BIND_ARRAY("c", D->c)};
    return pa_eval(D->ctx, "z = a*b + c", bind, 4) == PA_OK ? 0 : failed(b, D, "pa_eval");
}

static int sum_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return pa_reduce_value(D->a, PA_RED_SUM, -1, &D->sink) == PA_OK
               ? 0
               : failed(b, D, "pa_reduce_value");
}

static int astype_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return pa_astype(D->z, D->a) == PA_OK ? 0 : failed(b, D, "pa_astype");
}

static int parse(bench *b, const char *name, pa_dtype *t)
{
    if (pa_dtype_parse(name, t) != PA_OK)
        return bench_fail(b, "dtypes: this build has no dtype %s", name);
    return 0;
}

/* Collective. Creates k arrays of n elements, *out[i] of dtype types[i],
 * filled with 1 or 2 (exact in every dtype). */
static int make(bench *b, dt *D, size_t n, pa_array **const *out, const pa_dtype *types, int k)
{
    int rc = 0;
    for (int i = 0; i < k && rc == 0; i++) {
        if (pa_array_create(D->ctx, types[i], 1, &n, PA_DISTRIBUTED, out[i]) != PA_OK)
            rc = bench_agree(b, failed(b, D, "pa_array_create"));
        else if (pa_full(*out[i], 1 + i % 2) != PA_OK)
            rc = bench_agree(b, failed(b, D, "pa_full"));
    }
    return rc;
}

static void unmake(dt *D)
{
    pa_array_free(&D->a);
    pa_array_free(&D->b);
    pa_array_free(&D->c);
    pa_array_free(&D->z);
}

/* The three figures of one dtype; ratios and targets against the limits
 * and against the f64 figures f64 (NULL while measuring f64 itself). */
static int compute_figures(bench *bm, dt *D, const char *name, size_t bytes, int ftriad,
                           int fread, int *f64, int *figs)
{
    pa_dtype t;
    if (bench_agree(bm, parse(bm, name, &t)) != 0)
        return -1;
    size_t n = bytes / pa_dtype_size(t);
    pa_array **arrs[] = {&D->a, &D->b, &D->c, &D->z};
    pa_dtype types[] = {t, t, t, t};
    int rc = make(bm, D, n, arrs, types, 4);
    if (rc != 0)
        return rc;
    double size = (double)pa_dtype_size(t) * (double)n;
    bench_spec s = {.size = (double)n, .size_elems = 1, .work = 3 * size};
    char method[3][64];
    snprintf(method[0], sizeof method[0], "%s z = a + b: pa_binary", name);
    snprintf(method[1], sizeof method[1], "%s z = a*b + c: pa_eval", name);
    snprintf(method[2], sizeof method[2], "%s sum: pa_reduce_value", name);
    s.method = method[0];
    if ((rc = bench_time(bm, &s, binary_rep, D, &figs[0])) == 0) {
        s.method = method[1];
        rc = bench_time(bm, &s, eval_rep, D, &figs[1]);
    }
    if (rc == 0) {
        s.method = method[2];
        s.work = size;
        rc = bench_time(bm, &s, sum_rep, D, &figs[2]);
    }
    unmake(D);
    if (rc != 0)
        return rc;
    for (int k = 0; k < 2; k++) {
        bench_ratio(bm, figs[k], ftriad, "triad");
        bench_target(bm, figs[k], ftriad, BENCH_AT_LEAST, 0.9, "triad");
    }
    bench_ratio(bm, figs[2], fread, "read");
    bench_target(bm, figs[2], fread, BENCH_AT_LEAST, 0.9, "read");
    for (int k = 0; f64 && k < 3; k++)
        bench_ratio(bm, figs[k], f64[k], "f64");
    return 0;
}

static int cast_figure(bench *bm, dt *D, const char *const names[2], size_t bytes, int ftriad)
{
    pa_dtype t[2];
    if (bench_agree(bm, parse(bm, names[0], &t[0]) || parse(bm, names[1], &t[1])) != 0)
        return -1;
    size_t wide = pa_dtype_size(t[0]) > pa_dtype_size(t[1]) ? pa_dtype_size(t[0])
                                                            : pa_dtype_size(t[1]);
    size_t n = bytes / wide;
    pa_array **arrs[] = {&D->a, &D->z};
    int rc = make(bm, D, n, arrs, t, 2);
    char method[64];
    snprintf(method, sizeof method, "astype %s -> %s", names[0], names[1]);
    bench_spec s = {.method = method,
                    .size = (double)n,
                    .size_elems = 1,
                    .work = (double)(pa_dtype_size(t[0]) + pa_dtype_size(t[1])) * (double)n};
    int fig;
    if (rc == 0)
        rc = bench_time(bm, &s, astype_rep, D, &fig);
    unmake(D);
    if (rc != 0)
        return rc;
    bench_ratio(bm, fig, ftriad, "triad");
    bench_target(bm, fig, ftriad, BENCH_AT_LEAST, 0.8, "triad");
    return 0;
}

static int dt_run(bench *bm)
{
    int ftriad, fread;
    if (bench_limit(bm, BENCH_LIMIT_TRIAD, &ftriad) != 0 ||
        bench_limit(bm, BENCH_LIMIT_READ, &fread) != 0)
        return -1;
    dt D = {.ctx = bench_ctx(bm)};
    size_t bytes = 8 * bench_elems(bm, DT_BYTES_ELEMS, DT_BYTES_ELEMS_QUICK);
    int f64[3], figs[3];
    int ncompute = (int)(sizeof compute_dtypes / sizeof compute_dtypes[0]);
    int rc = compute_figures(bm, &D, compute_dtypes[0], bytes, ftriad, fread, NULL, f64);
    for (int k = 1; k < ncompute && rc == 0; k++)
        rc = compute_figures(bm, &D, compute_dtypes[k], bytes, ftriad, fread, f64, figs);
    for (size_t k = 0; k < sizeof casts / sizeof casts[0] && rc == 0; k++)
        rc = cast_figure(bm, &D, casts[k], bytes, ftriad);
    if (rc == 0)
        bench_note(bm,
                   "dtypes: every array holds %zu bytes per node; rates count each dtype's own "
                   "bytes (3 arrays for the expressions, as the triad, 1 for the sum, source "
                   "plus destination for astype)",
                   bytes);
    return rc;
}

const bench_experiment bench_dtypes = {
    .name = "dtypes",
    .description =
        "z = a + b, z = a*b + c and sum on f32, i16, u8 and c128 beside f64, and astype "
        "between dtypes, against the triad and read",
    .run = dt_run,
};
