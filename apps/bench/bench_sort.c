/* The sort figures of the order experiment: sorting --size random f64
 * (default 1e7 in all) with pa_sort on every rank against one process's
 * qsort of the same values, and the exact median (pa_median) against the
 * sort, measured side by side in one run. Each repetition sorts fresh data:
 * the values are drawn again (untimed) before it. Then the peak extra
 * memory of one pa_sort, pa_argsort and pa_median each. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_order.h"

#define SEED 20261206u
#define BENCH_SORT_ELEMS ((size_t)10000000)
#define BENCH_SORT_ELEMS_QUICK ((size_t)1000000)

typedef struct {
    pa_ctx *ctx;
    pa_array *a, *out, *idx;
    double *naive; /* rank 0: a private copy of the values for qsort */
    size_t n;
    double sink;
} sort_bench;

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int fail_if(bench *b, sort_bench *S, int rc, const char *what)
{
    return rc == PA_OK ? 0 : bench_fail(b, "sort: %s: %s", what, pa_errmsg(S->ctx));
}

/* Fresh values before each repetition: the array's, and rank 0's copy. */
static int refill(bench *b, void *arg, int rep)
{
    sort_bench *S = arg;
    int rc = fail_if(b, S, pa_random_uniform(S->a, SEED, (uint64_t)rep, 0, 1),
                     "pa_random_uniform");
    if (rc == 0 && pa_array_gather(S->a, 0, S->naive) != PA_OK)
        rc = bench_fail(b, "sort: pa_array_gather: %s", pa_errmsg(S->ctx));
    return rc;
}

static int qsort_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    sort_bench *S = arg;
    if (pa_ctx_rank(S->ctx) == 0) {
        qsort(S->naive, S->n, sizeof(double), cmp_double);
        S->sink += S->naive[S->n / 2];
    }
    return 0;
}

static int sort_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    sort_bench *S = arg;
    return fail_if(b, S, pa_sort(S->out, S->a), "pa_sort");
}

static int median_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    sort_bench *S = arg;
    double m = 0;
    int rc = fail_if(b, S, pa_median(S->a, &m), "pa_median");
    S->sink += m;
    return rc;
}

static int argsort_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    sort_bench *S = arg;
    return fail_if(b, S, pa_argsort(S->idx, S->a), "pa_argsort");
}

/* The peak extra memory of one call of fn, in MB (pa_mem_peak): the
 * largest node's node-block memory above what it held before, and the
 * largest rank's resident peak above its resident memory before (it counts
 * the shared pages the rank touched as well as its private memory). */
static int peak_memory(bench *b, sort_bench *S, bench_fn fn, double mb[2])
{
    pa_ctx *ctx = S->ctx;
    pa_mem_peaks before, after;
    int rc = pa_mem_peak_reset(ctx);
    if (rc == PA_OK)
        rc = pa_mem_peak(ctx, &before);
    if (rc != PA_OK)
        return fail_if(b, S, rc, "pa_mem_peak");
    rc = fn(b, S, 0);
    if (rc == 0 && (rc = pa_mem_peak(ctx, &after)) != PA_OK)
        return fail_if(b, S, rc, "pa_mem_peak");
    mb[0] = (double)(after.node_shm - before.node_shm) / 1e6;
    mb[1] = (double)(after.rank_vmhwm - before.rank_vmhwm) / 1e6;
    return rc;
}

/* A context of its own for the peaks, made without a memory pool: a pooled
 * block that served a call (the timed calls leave their scratch in the
 * pool) would hide the call's memory from pa_mem_peak. */
static int peak_context(bench *b, pa_ctx *ctx, pa_ctx **pctx)
{
    const char *old = getenv("PARRAY_POOL_MB");
    char *saved = old ? strdup(old) : NULL;
    setenv("PARRAY_POOL_MB", "0", 1);
    int rc = pa_init_comm(pa_ctx_comm(ctx), pctx);
    if (saved)
        setenv("PARRAY_POOL_MB", saved, 1);
    else
        unsetenv("PARRAY_POOL_MB");
    free(saved);
    return rc == PA_OK ? 0 : bench_fail(b, "sort: pa_init_comm: %s", pa_errmsg(NULL));
}

/* Notes the peak extra memory of sort, argsort and median, on arrays like
 * S's in a context without a pool. */
static int peak_figures(bench *b, sort_bench *S)
{
    static const char *const name[] = {"pa_sort", "pa_argsort", "pa_median"};
    const bench_fn fns[] = {sort_rep, argsort_rep, median_rep};
    sort_bench P = {.n = S->n};
    double mb[3][2];
    int rc = bench_agree(b, peak_context(b, S->ctx, &P.ctx));
    if (rc != 0)
        return rc;
    if (pa_array_create(P.ctx, PA_F64, 1, &P.n, PA_DISTRIBUTED, &P.a) != PA_OK ||
        pa_array_create(P.ctx, PA_F64, 1, &P.n, PA_DISTRIBUTED, &P.out) != PA_OK ||
        pa_array_create(P.ctx, PA_I64, 1, &P.n, PA_DISTRIBUTED, &P.idx) != PA_OK ||
        pa_random_uniform(P.a, SEED, 0, 0, 1) != PA_OK)
        rc = bench_fail(b, "sort: %s", pa_errmsg(P.ctx));
    rc = bench_agree(b, rc);
    for (int k = 0; k < 3 && rc == 0; k++)
        rc = bench_agree(b, peak_memory(b, &P, fns[k], mb[k]));
    double input = (double)S->n * 8 / pa_ctx_nnodes(S->ctx) / 1e6;
    for (int k = 0; k < 3 && rc == 0; k++)
        bench_note(b,
                   "peak extra memory of %s: node shared memory %.1f MB, a rank's VmHWM growth "
                   "up to %.1f MB (input and output %.1f MB per node)",
                   name[k], mb[k][0], mb[k][1], input);
    pa_array_free(&P.idx);
    pa_array_free(&P.out);
    pa_array_free(&P.a);
    pa_finalize(&P.ctx);
    return rc;
}

int bench_order_sort(bench *b)
{
    pa_ctx *ctx = bench_ctx(b);
    sort_bench S = {.ctx = ctx};
    S.n = bench_elems(b, BENCH_SORT_ELEMS, BENCH_SORT_ELEMS_QUICK);
    if (S.n > INT32_MAX)
        return bench_agree(b, bench_fail(b,
                                         "sort: --size %zu is above 2^31-1 (the gather "
                                         "that copies the values for qsort)",
                                         S.n));
    int rc = 0;
    if (pa_array_create(ctx, PA_F64, 1, &S.n, PA_DISTRIBUTED, &S.a) != PA_OK ||
        pa_array_create(ctx, PA_F64, 1, &S.n, PA_DISTRIBUTED, &S.out) != PA_OK ||
        pa_array_create(ctx, PA_I64, 1, &S.n, PA_DISTRIBUTED, &S.idx) != PA_OK)
        rc = bench_fail(b, "sort: %s", pa_errmsg(ctx));
    else if (pa_ctx_rank(ctx) == 0 && !(S.naive = malloc(S.n * sizeof(double) + 1)))
        rc = bench_fail(b, "sort: out of memory for qsort's copy (%zu bytes)", S.n * 8);
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;

    double elems = (double)S.n;
    bench_spec specs[] = {
        {.method = "naive qsort, 1 rank",
         .size = elems,
         .size_elems = 1,
         .combine = BENCH_RANK0,
         .role = BENCH_NAIVE,
         .prepare = refill},
        {.method = "parray pa_sort f64", .size = elems, .size_elems = 1, .prepare = refill},
        {.method = "parray pa_median f64 (exact)",
         .size = elems,
         .size_elems = 1,
         .prepare = refill},
    };
    const bench_fn fns[] = {qsort_rep, sort_rep, median_rep};
    void *const args[] = {&S, &S, &S};
    int figs[3];
    if ((rc = bench_time_steps(b, specs, fns, args, 3, figs)) != 0)
        goto out;
    bench_ratio_at_least(b, figs[1], figs[0], 2, "qsort");
    bench_ratio_at_least(b, figs[2], figs[1], 2, "pa_sort");
    bench_note(b,
               "sort: %zu uniform f64 in all, drawn afresh before each repetition; qsort on "
               "rank 0 over a private copy; parray on all %d rank%s",
               S.n, pa_ctx_size(ctx), pa_ctx_size(ctx) == 1 ? "" : "s");
    rc = peak_figures(b, &S);

out:
    free(S.naive);
    pa_array_free(&S.idx);
    pa_array_free(&S.out);
    pa_array_free(&S.a);
    if (S.sink == 12345.678) /* keeps qsort's result alive */
        bench_note(b, "sort: sink");
    return rc;
}
