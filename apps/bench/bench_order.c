/* The order experiment: the calls whose results depend on the order of
 * the elements. The scans are measured side by side with the STREAM triad
 * on the same arrays in one run (bench_time_steps), so their ratio to the
 * triad holds on a busy machine too. The arrays hold --size f64 per node
 * (bench_elems, default 1e8). Rates count bytes per node: the triad 24 per
 * element (two reads and a write), cumsum 16 (one read and one write, the
 * least any scan into a new array moves). Then, on arrays of their own,
 * the sort figures (bench_sort.c): sort against qsort, the median against
 * the sort, and the peak memory of sort, argsort and median. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_order.h"

#define SEED 20261206u
#define ORDER_ELEMS ((size_t)100000000)
#define ORDER_ELEMS_QUICK ((size_t)10000000)

typedef struct {
    pa_ctx *ctx;
    pa_array *x, *y, *z; /* input, output, and the triad's third array */
    pa_span xs, ys, zs;  /* this rank's spans */
} order_bench;

/* The reference: y = x + s * z over this rank's spans. */
static int triad_rep(bench *b, void *arg, int rep)
{
    (void)b;
    order_bench *O = arg;
    bench_triad(O->ys.ptr, O->xs.ptr, O->zs.ptr, 1.0 + rep, O->xs.count);
    return 0;
}

static int cumsum_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    order_bench *O = arg;
    return bench_pa_ok(b, pa_cumsum(O->y, O->x, -1), "pa_cumsum");
}

/* Measures the scans beside the triad. */
static int run_scans(bench *b, order_bench *O, double elems)
{
    double node = elems * 8;
    bench_spec specs[] = {
        {.method = "triad y=x+s*z, per node (paired)",
         .size = elems,
         .size_elems = 1,
         .work = 3 * node,
         .role = BENCH_LIMIT},
        {.method = "parray cumsum f64, per node",
         .size = elems,
         .size_elems = 1,
         .work = 2 * node},
    };
    bench_fn fns[] = {triad_rep, cumsum_rep};
    void *args[] = {O, O};
    int f[2];
    if (bench_time_steps(b, specs, fns, args, 2, f) != 0)
        return -1;
    bench_ratio_at_least(b, f[1], f[0], 0.8, "paired triad");
    return 0;
}

static int order_run(bench *b)
{
    pa_ctx *ctx = bench_ctx(b);
    order_bench O = {.ctx = ctx};
    int nnodes = pa_ctx_nnodes(ctx);
    size_t n = bench_elems(b, ORDER_ELEMS, ORDER_ELEMS_QUICK);
    if (n > SIZE_MAX / 8 / (size_t)nnodes)
        return bench_agree(b, bench_fail(b, "order: --size %zu is too large", n));
    size_t total = n * (size_t)nnodes;
    int rc = bench_pa_ok(b, pa_array_create(ctx, PA_F64, 1, &total, PA_DISTRIBUTED, &O.x),
                         "pa_array_create");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_array_create(ctx, PA_F64, 1, &total, PA_DISTRIBUTED, &O.y),
                         "pa_array_create");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_array_create(ctx, PA_F64, 1, &total, PA_DISTRIBUTED, &O.z),
                         "pa_array_create");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_random_uniform(O.x, SEED, 0, -1.0, 1.0), "pa_random_uniform");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_random_uniform(O.z, SEED, 1, -1.0, 1.0), "pa_random_uniform");
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;
    pa_array_local(O.x, &O.xs);
    pa_array_local(O.y, &O.ys);
    pa_array_local(O.z, &O.zs);
    if ((rc = run_scans(b, &O, (double)n)) != 0)
        goto out;
    bench_note(b,
               "order: %zu f64 per node; bytes per element: triad 24, cumsum 16; each "
               "figure timed beside the triad in every repetition",
               n);
out:
    pa_array_free(&O.x);
    pa_array_free(&O.y);
    pa_array_free(&O.z);
    return rc;
}

/* The scans, then the sort figures once the scans' arrays are freed. */
static int order_all(bench *b)
{
    int rc = order_run(b);
    return rc != 0 ? rc : bench_order_sort(b);
}

const bench_experiment bench_order = {
    .name = "order",
    .description = "cumsum of --size f64 per node (default 1e8) beside the triad; pa_sort of "
                   "--size random f64 in all (default 1e7) vs one process's qsort, the exact "
                   "pa_median vs the sort, and the peak memory of sort, argsort and median",
    .run = order_all,
};
