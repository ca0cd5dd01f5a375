/* The dtypes experiment: numpy's other dtypes at the speed of memory.
 * For f64 (the reference) and f32, i16, u8 and c128:
 *   z = a + b with pa_binary and z = a*b + c with pa_eval (and z = a / b
 *   with pa_binary on the float and complex dtypes, and z = sin(a), a
 *   transcendental function, with pa_unary on the float ones), against
 *   the triad, and the sum (pa_reduce_value) against the read-only sum;
 * then pa_astype between pairs of dtypes that cover each kind of cast
 * (widen, narrow, int to float, float to int, to and from f16, bool and
 * complex), against the triad.
 * Each figure is timed beside its limit in every repetition
 * (bench_time_steps), on f64 arrays of the same bytes per node, so that
 * the ratios hold while the machine's bandwidth drifts.
 * Every array holds the same bytes per node whatever its dtype: --size
 * f64's worth (default 2e7, 160 MB; 1e7 under --quick), so that each is out
 * of cache as the limits' arrays are. Rates count each dtype's own bytes
 * per node: three arrays for both expressions (the triad's count, as in the
 * elementwise experiment), two for sin, one for the sum, and the source's
 * plus the destination's for astype (the wider dtype's array holds the
 * bytes). */
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
    int nnodes;
    pa_array *a, *b, *c, *z;
    pa_value sink;
    pa_array *lx, *ly, *lz, *lw; /* the limits' f64 arrays, of the same bytes per node */
    pa_span xs, ys, zs, ws;      /* their spans on this rank */
    double read_sink;
} dt;

/* The limits, on this rank's spans: the STREAM triad and the read-only sum. */
static int triad_rep(bench *b, void *arg, int rep)
{
    (void)b;
    dt *D = arg;
    bench_triad(D->zs.ptr, D->xs.ptr, D->ys.ptr, 1.0 + rep, D->xs.count);
    return 0;
}

/* The most this memory gives z = a*b + c's three reads and a write: the
 * same expression in f64 with streaming stores, each rank on its span. */
static int fma_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    dt *D = arg;
    bench_fma_stream(D->zs.ptr, D->xs.ptr, D->ys.ptr, D->ws.ptr, D->xs.count);
    return 0;
}

static int read_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    dt *D = arg;
    D->read_sink += bench_sum(D->xs.ptr, D->xs.count);
    return 0;
}

static int binary_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return bench_pa_ok(b, pa_binary(D->z, PA_OP_ADD, D->a, D->b), "pa_binary");
}

/* The quotient, for the float and complex dtypes (an integer / is
 * another op, with its division by zero). */
static int divide_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return bench_pa_ok(b, pa_binary(D->z, PA_OP_DIV, D->a, D->b), "pa_binary");
}

static int eval_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    pa_binding bind[] = {PA_BIND_ARRAY("z", D->z), PA_BIND_ARRAY("a", D->a),
                         PA_BIND_ARRAY("b", D->b), PA_BIND_ARRAY("c", D->c)};
    return bench_pa_ok(b, pa_eval(D->ctx, "z = a*b + c", bind, 4), "pa_eval");
}

/* A transcendental function, for the float dtypes: computed by the
 * core more than moved, so reported beside the triad, not held to it. */
static int sin_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return bench_pa_ok(b, pa_unary(D->z, PA_OP_SIN, D->a), "pa_unary");
}

static int sum_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return bench_pa_ok(b, pa_reduce_value(D->a, PA_RED_SUM, -1, &D->sink), "pa_reduce_value");
}

static int astype_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    dt *D = arg;
    return bench_pa_ok(b, pa_astype(D->z, D->a), "pa_astype");
}

static int parse(bench *b, const char *name, pa_dtype *t)
{
    if (pa_dtype_parse(name, t) != PA_OK)
        return bench_fail(b, "dtypes: this build has no dtype %s", name);
    return 0;
}

/* Collective. Creates k arrays of n elements per node, *out[i] of dtype
 * types[i], filled with 1 or 2 (exact in every dtype). */
static int make(bench *b, dt *D, size_t n, pa_array **const *out, const pa_dtype *types, int k)
{
    size_t total = n * (size_t)D->nnodes;
    int rc = 0;
    for (int i = 0; i < k && rc == 0; i++) {
        if (pa_array_create(D->ctx, types[i], 1, &total, PA_DISTRIBUTED, out[i]) != PA_OK)
            rc = bench_agree(b, bench_pa_fail(b, "pa_array_create"));
        else if (pa_full(*out[i], 1 + i % 2) != PA_OK)
            rc = bench_agree(b, bench_pa_fail(b, "pa_full"));
    }
    return rc;
}

/* Frees the figure's arrays (with limits, the limits' too). */
static void unmake(dt *D, int limits)
{
    pa_array *all[] = {D->a, D->b, D->c, D->z, D->lx, D->ly, D->lz, D->lw};
    for (int k = 0; k < (limits ? 8 : 4); k++)
        pa_array_free(&all[k]);
    D->a = D->b = D->c = D->z = NULL;
    if (limits)
        D->lx = D->ly = D->lz = D->lw = NULL;
}

/* Collective. The limits' four f64 arrays of elems per node, made once
 * for every figure, and this rank's spans of them. */
static int make_limits(bench *b, dt *D, size_t elems)
{
    pa_array **arrs[] = {&D->lx, &D->ly, &D->lz, &D->lw};
    pa_dtype types[] = {PA_F64, PA_F64, PA_F64, PA_F64};
    int rc = make(b, D, elems, arrs, types, 4);
    if (rc == 0) {
        pa_array_local(D->lx, &D->xs);
        pa_array_local(D->ly, &D->ys);
        pa_array_local(D->lz, &D->zs);
        pa_array_local(D->lw, &D->ws);
    }
    return rc;
}

/* The paired limits' spec: the triad over 3 arrays, or the read of one,
 * of `bytes` per node each. */
static bench_spec limit_spec(const char *method, double bytes, int arrays)
{
    return (bench_spec){.method = method,
                        .size = bytes / 8,
                        .size_elems = 1,
                        .work = arrays * bytes,
                        .role = BENCH_LIMIT};
}

/* The figures of one dtype beside the paired triad and read; ratios and
 * targets against those, and against the f64 figures f64 (NULL while
 * measuring f64 itself). */
static int compute_figures(bench *bm, dt *D, const char *name, size_t bytes, int *f64, int *figs,
                           double *stream)
{
    pa_dtype t;
    if (bench_agree(bm, parse(bm, name, &t)) != 0)
        return -1;
    size_t n = bytes / pa_dtype_size(t);
    double size = (double)pa_dtype_size(t) * (double)n;
    char method[5][64];
    snprintf(method[0], sizeof method[0], "%s z = a + b: pa_binary", name);
    snprintf(method[1], sizeof method[1], "%s z = a*b + c: pa_eval", name);
    snprintf(method[2], sizeof method[2], "%s sum: pa_reduce_value", name);
    snprintf(method[3], sizeof method[3], "%s z = a / b: pa_binary", name);
    snprintf(method[4], sizeof method[4], "%s z = sin(a): pa_unary", name);
    int quotient = name[0] == 'f' || name[0] == 'c'; /* a float or complex dtype */
    int sine = name[0] == 'f';                       /* a float dtype */
    bench_spec specs[] = {
        limit_spec("triad a=b+s*c, per node (paired)", (double)bytes, 3),
        {.method = method[0], .size = (double)n, .size_elems = 1, .work = 3 * size},
        {.method = method[1], .size = (double)n, .size_elems = 1, .work = 3 * size},
        limit_spec("read-only sum, per node (paired)", (double)bytes, 1),
        {.method = method[2], .size = (double)n, .size_elems = 1, .work = size},
        limit_spec("limit of 3 reads + 1 write: z = x*y + w, streaming", (double)bytes, 3),
        {.method = method[3], .size = (double)n, .size_elems = 1, .work = 3 * size},
        {.method = method[4], .size = (double)n, .size_elems = 1, .work = 2 * size},
    };
    bench_fn fns[] = {triad_rep, binary_rep, eval_rep,   read_rep,
                      sum_rep,   fma_rep,    divide_rep, sin_rep};
    void *args[] = {D, D, D, D, D, D, D, D};
    int f[8];
    pa_array **arrs[] = {&D->a, &D->b, &D->c, &D->z};
    pa_dtype types[] = {t, t, t, t};
    int rc = make(bm, D, n, arrs, types, 4);
    if (rc == 0)
        rc = bench_time_steps(bm, specs, fns, args, 6 + quotient + sine, f);
    unmake(D, 0);
    if (rc != 0)
        return rc;
    for (int k = 1; k <= 2; k++)
        bench_ratio_at_least(bm, f[k], f[0], 0.9, "paired triad");
    if (quotient)
        bench_ratio_at_least(bm, f[6], f[0], 0.9, "paired triad");
    if (sine)
        bench_ratio(bm, f[7], f[0], "paired triad");
    /* Per byte counted alike (3 arrays), so this says how near pa_eval
     * comes to the best code for its own mix of reads and writes. */
    bench_ratio(bm, f[2], f[5], "3 reads + 1 write streaming");
    *stream = bench_value(bm, f[2]) / bench_value(bm, f[5]);
    bench_ratio_at_least(bm, f[4], f[3], 0.9, "paired read");
    int mine[3] = {f[1], f[2], f[4]};
    for (int k = 0; k < 3; k++) {
        if (f64)
            bench_ratio(bm, mine[k], f64[k], "f64");
        figs[k] = mine[k];
    }
    return 0;
}

/* One cast beside the paired triad; the wider of the two arrays holds
 * the triad's bytes. */
static int cast_figure(bench *bm, dt *D, const char *const names[2], size_t bytes)
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
    bench_spec specs[] = {
        limit_spec("triad a=b+s*c, per node (paired)", (double)bytes, 3),
        {.method = method,
         .size = (double)n,
         .size_elems = 1,
         .work = (double)(pa_dtype_size(t[0]) + pa_dtype_size(t[1])) * (double)n},
    };
    bench_fn fns[] = {triad_rep, astype_rep};
    void *args[] = {D, D};
    int f[2];
    if (rc == 0)
        rc = bench_time_steps(bm, specs, fns, args, 2, f);
    unmake(D, 0);
    if (rc != 0)
        return rc;
    bench_ratio_at_least(bm, f[1], f[0], 0.8, "paired triad");
    return 0;
}

static int dt_run(bench *bm)
{
    dt D = {.ctx = bench_ctx(bm), .nnodes = pa_ctx_nnodes(bench_ctx(bm))};
    size_t elems = bench_elems(bm, DT_BYTES_ELEMS, DT_BYTES_ELEMS_QUICK);
    if (elems > SIZE_MAX / 8 / (size_t)D.nnodes)
        return bench_agree(bm, bench_fail(bm, "dtypes: --size %zu is too large", elems));
    size_t bytes = 8 * elems;
    enum { NCOMPUTE = sizeof compute_dtypes / sizeof compute_dtypes[0] };
    int f64[3], figs[3];
    double stream[NCOMPUTE];
    int rc = make_limits(bm, &D, elems);
    if (rc == 0)
        rc = compute_figures(bm, &D, compute_dtypes[0], bytes, NULL, f64, &stream[0]);
    for (int k = 1; k < NCOMPUTE && rc == 0; k++)
        rc = compute_figures(bm, &D, compute_dtypes[k], bytes, f64, figs, &stream[k]);
    for (size_t k = 0; k < sizeof casts / sizeof casts[0] && rc == 0; k++)
        rc = cast_figure(bm, &D, casts[k], bytes);
    unmake(&D, 1);
    if (rc == 0)
        bench_note(
            bm,
            "dtypes: every array holds %zu bytes per node; rates count each dtype's own "
            "bytes per node (3 arrays for the expressions, as the triad, 2 for sin, 1 for "
            "the sum, source plus destination for astype); each figure timed beside the triad "
            "(the sums beside the read-only sum) on f64 arrays of the same bytes, in "
            "every repetition",
            bytes);
    if (rc == 0) {
        char line[256];
        int len = snprintf(line, sizeof line,
                           "dtypes: per byte, pa_eval z = a*b + c against the streaming limit of "
                           "its 3 reads + 1 write (paired):");
        for (int k = 0; k < NCOMPUTE && len > 0 && (size_t)len < sizeof line; k++)
            len += snprintf(line + len, sizeof line - (size_t)len, " %s %.2fx%s",
                            compute_dtypes[k], stream[k], k + 1 < NCOMPUTE ? "," : "");
        bench_note(bm, "%s", line);
    }
    return rc;
}

const bench_experiment bench_dtypes = {
    .name = "dtypes",
    .description =
        "z = a + b, z = a*b + c and sum on f32, i16, u8 and c128 beside f64 (z = a / b on "
        "the float and complex ones, z = sin(a) on the float ones), and astype between "
        "dtypes, each beside the triad (the sums beside the read-only sum)",
    .run = dt_run,
};
