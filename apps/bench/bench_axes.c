/* The axes experiment: reductions over one axis of a (rows, 10) f64 array
 * (default 1e7 rows, 800 MB; 2e6 under --quick) against the read limit:
 * the column means (axis 0, a replicated row: one pass over the rows with
 * 10 column accumulators in the tree's shape) and the row sums (axis 1, a
 * distributed column: each rank reads its rows whole, no communication).
 * Rates count the array's bytes, read once. */
#include <stdio.h>

#include "bench.h"

#define AX_ROWS ((size_t)10000000)
#define AX_ROWS_QUICK ((size_t)2000000)
#define AX_COLS 10

typedef struct {
    pa_ctx *ctx;
    pa_array *x;
    int axis;
    pa_reduce_op op;
} ax;

static int reduce_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    ax *A = arg;
    pa_array *r = NULL;
    int rc = pa_reduce_axes(A->x, A->op, 1, &A->axis, 0, &r);
    pa_array_free(&r);
    return bench_pa_ok(b, rc, "pa_reduce_axes");
}

static int ax_run(bench *bm)
{
    int fread;
    if (bench_limit(bm, BENCH_LIMIT_READ, &fread) != 0)
        return -1;
    ax A = {.ctx = bench_ctx(bm)};
    size_t shape[2] = {bench_elems(bm, AX_ROWS, AX_ROWS_QUICK), AX_COLS};
    if (pa_array_create(A.ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &A.x) != PA_OK)
        return bench_agree(bm, bench_pa_fail(bm, "pa_array_create"));
    int rc = bench_agree(
        bm, bench_pa_ok(bm, pa_random_uniform(A.x, 1, 0, -1, 1), "pa_random_uniform"));
    static const struct {
        int axis;
        pa_reduce_op op;
        const char *method;
        double target;
    } runs[] = {{0, PA_RED_MEAN, "(n, 10) f64 mean axis=0: pa_reduce_axes", 0.9},
                {1, PA_RED_SUM, "(n, 10) f64 sum axis=1: pa_reduce_axes", 0.8}};
    for (int k = 0; k < 2 && rc == 0; k++) {
        A.axis = runs[k].axis;
        A.op = runs[k].op;
        bench_spec s = {.method = runs[k].method,
                        .size = (double)shape[0] * AX_COLS,
                        .size_elems = 1,
                        .work = 8.0 * (double)shape[0] * AX_COLS};
        int fig;
        rc = bench_time(bm, &s, reduce_rep, &A, &fig);
        if (rc == 0)
            bench_ratio_at_least(bm, fig, fread, runs[k].target, "read");
    }
    pa_array_free(&A.x);
    return rc;
}

const bench_experiment bench_axes = {
    .name = "axes",
    .description = "mean over axis 0 and sum over axis 1 of a (n, 10) f64 array with "
                   "pa_reduce_axes, against read",
    .run = ax_run,
};
