/* The init experiment (concern 3): fill, uniform and normal random
 * numbers, and a sum, each measured three ways in one run: this machine's
 * limit (STREAM triad and read from the harness, and a streaming-store
 * fill measured here), the naive per-element loop on one rank, and parray
 * on every rank. The array has --size f64 per node (bench_elems); the naive
 * loops run on rank 0 over a private array of one node's size. Rates count
 * the bytes of the f64 array written (or read for the sum), per node like
 * the limits. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bench.h"

#define SEED 20240611u

typedef struct {
    pa_ctx *ctx;
    pa_array *a;  /* the distributed f64 array */
    double *mine; /* this rank's span of it */
    size_t nmine;
    double *naive; /* rank 0: a private array of one node's size, for the naive loops */
    size_t n;      /* the naive array's elements: the node's share */
    double sink;
} init_bench;

/* ------------------------------------------------------------ limit */

/* Streaming-store fill of this rank's span: what the memory can take when
 * nothing is read first. */
static int stream_rep(bench *b, void *arg, int rep)
{
    (void)b;
    init_bench *I = arg;
    double v = (double)rep;
#ifdef __SSE2__
    __m128d x = _mm_set1_pd(v);
    size_t i = 0;
    for (; i + 8 <= I->nmine; i += 8) {
        _mm_stream_pd(I->mine + i, x);
        _mm_stream_pd(I->mine + i + 2, x);
        _mm_stream_pd(I->mine + i + 4, x);
        _mm_stream_pd(I->mine + i + 6, x);
    }
    for (; i < I->nmine; i++)
        I->mine[i] = v;
    _mm_sfence();
#else
    for (size_t i = 0; i < I->nmine; i++)
        I->mine[i] = v;
#endif
    return 0;
}

/* ------------------------------------------------------------ naive: one rank */

static int naive_fill_rep(bench *b, void *arg, int rep)
{
    (void)b;
    init_bench *I = arg;
    if (pa_ctx_rank(I->ctx) != 0)
        return 0;
    for (size_t i = 0; i < I->n; i++)
        I->naive[i] = 1.5 + rep;
    return 0;
}

/* Per element: one scalar Philox call, the way a loop over an array with
 * the library's scalar generator would do it. */
static int naive_uniform_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    init_bench *I = arg;
    if (pa_ctx_rank(I->ctx) != 0)
        return 0;
    uint32_t key[2] = {SEED, 0}, out[4];
    for (size_t i = 0; i < I->n; i++) {
        uint32_t ctr[4] = {(uint32_t)i, (uint32_t)(i >> 32), 0, 0};
        pa_philox4x32(ctr, key, out);
        uint64_t r = ((uint64_t)out[1] << 32 | out[0]) >> 11;
        I->naive[i] = (double)r * 0x1p-53;
    }
    return 0;
}

/* Per element pair: Box-Muller with libm. */
static int naive_normal_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    init_bench *I = arg;
    if (pa_ctx_rank(I->ctx) != 0)
        return 0;
    uint32_t key[2] = {SEED, 0}, out[4];
    for (size_t i = 0; i + 1 < I->n; i += 2) {
        uint32_t ctr[4] = {(uint32_t)(i / 2), (uint32_t)(i >> 33), 0, 0};
        pa_philox4x32(ctr, key, out);
        double u1 = (double)((((uint64_t)out[1] << 32 | out[0]) >> 11) + 1) * 0x1p-53;
        double u2 = (double)(((uint64_t)out[3] << 32 | out[2]) >> 11) * 0x1p-53;
        double r = sqrt(-2.0 * log(u1)), t = 6.283185307179586 * u2;
        I->naive[i] = r * cos(t);
        I->naive[i + 1] = r * sin(t);
    }
    return 0;
}

static int naive_sum_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    init_bench *I = arg;
    if (pa_ctx_rank(I->ctx) != 0)
        return 0;
    double s = 0;
    for (size_t i = 0; i < I->n; i++)
        s += I->naive[i];
    I->sink += s;
    return 0;
}

/* ------------------------------------------------------------ parray: all ranks */

static int pa_fill_rep(bench *b, void *arg, int rep)
{
    init_bench *I = arg;
    return bench_pa_ok(b, pa_full(I->a, 1.5 + rep), "pa_full");
}

static int pa_uniform_rep(bench *b, void *arg, int rep)
{
    init_bench *I = arg;
    return bench_pa_ok(b, pa_random_uniform(I->a, SEED, (uint64_t)rep, 0.0, 1.0),
                       "pa_random_uniform");
}

static int pa_normal_rep(bench *b, void *arg, int rep)
{
    init_bench *I = arg;
    return bench_pa_ok(b, pa_random_normal(I->a, SEED, (uint64_t)rep, 0.0, 1.0),
                       "pa_random_normal");
}

static int pa_sum_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    init_bench *I = arg;
    double s;
    int rc = bench_pa_ok(b, pa_reduce(I->a, PA_RED_SUM, -1, &s), "pa_reduce sum");
    I->sink += s;
    return rc;
}

/* The operations, each timed naive and then with parray. */
enum { OP_FILL, OP_UNIFORM, OP_NORMAL, OP_SUM, NOPS };
static const struct {
    const char *naive_method, *parray_method;
    bench_fn naive, parray;
} ops[NOPS] = {
    [OP_FILL] = {"naive fill loop, 1 rank", "parray pa_full, per node", naive_fill_rep,
                 pa_fill_rep},
    [OP_UNIFORM] = {"naive uniform loop, 1 rank", "parray uniform f64, per node",
                    naive_uniform_rep, pa_uniform_rep},
    [OP_NORMAL] = {"naive normal loop (libm), 1 rank", "parray normal f64, per node",
                   naive_normal_rep, pa_normal_rep},
    [OP_SUM] = {"naive sum loop, 1 rank", "parray sum (tree), per node", naive_sum_rep,
                pa_sum_rep},
};

static int init_run(bench *b)
{
    pa_ctx *ctx = bench_ctx(b);
    init_bench I = {.ctx = ctx};
    int nnodes = pa_ctx_nnodes(ctx), nr = pa_ctx_node_size(ctx), rc;
    int ftriad, fread;
    if ((rc = bench_limit(b, BENCH_LIMIT_TRIAD, &ftriad)) != 0 ||
        (rc = bench_limit(b, BENCH_LIMIT_READ, &fread)) != 0)
        return rc;

    I.n = bench_elems(b, BENCH_INIT_ELEMS, BENCH_INIT_ELEMS_QUICK);
    if (I.n > SIZE_MAX / 8 / (size_t)nnodes)
        return bench_agree(b, bench_fail(b, "init: --size %zu is too large", I.n));
    size_t total = I.n * (size_t)nnodes;
    rc = pa_array_create(ctx, PA_F64, 1, &total, PA_DISTRIBUTED, &I.a);
    if (rc != PA_OK) {
        bench_fail(b, "init: %s", pa_errmsg(ctx));
        return bench_agree(b, -1);
    }
    pa_span s;
    pa_array_local(I.a, &s);
    I.mine = s.ptr;
    I.nmine = s.count;
    rc = 0;
    if (pa_mem_check(ctx, pa_ctx_rank(ctx) == 0 ? I.n * sizeof(double) : 0,
                     "init: the naive array") != PA_OK)
        rc = bench_fail(b, "init: %s", pa_errmsg(ctx));
    else if (pa_ctx_rank(ctx) == 0) {
        I.naive = malloc(I.n * sizeof(double));
        if (!I.naive)
            rc = bench_fail(b, "init: out of memory for the naive array (%zu bytes)", I.n * 8);
        else
            memset(I.naive, 0, I.n * sizeof(double)); /* first touch, untimed */
    }
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;

    double size = (double)I.n * 8, node_bytes = size, elems = (double)I.n;
    bench_spec lim = {.method = "limit: stream-store fill, per node",
                      .size = elems,
                      .size_elems = 1,
                      .work = node_bytes};
    int flim;
    if ((rc = bench_time(b, &lim, stream_rep, &I, &flim)) != 0)
        goto out;
    /* Each operation naive, then parray; the naive loops run on rank 0
     * alone over one node's worth. */
    int fnaive[NOPS], fpa[NOPS];
    for (int k = 0; k < NOPS; k++) {
        bench_spec naive = {.method = ops[k].naive_method,
                            .size = elems,
                            .size_elems = 1,
                            .work = size,
                            .combine = BENCH_RANK0};
        bench_spec pa = {
            .method = ops[k].parray_method, .size = elems, .size_elems = 1, .work = node_bytes};
        if ((rc = bench_time(b, &naive, ops[k].naive, &I, &fnaive[k])) != 0 ||
            (rc = bench_time(b, &pa, ops[k].parray, &I, &fpa[k])) != 0)
            goto out;
    }
    int fpf = fpa[OP_FILL], fpu = fpa[OP_UNIFORM], fpn = fpa[OP_NORMAL], fps = fpa[OP_SUM];

    bench_ratio(b, flim, ftriad, "triad");
    bench_ratio(b, fpf, flim, "stream fill");
    for (int k = 0; k < OP_SUM; k++)
        bench_ratio(b, fpa[k], fnaive[k], "naive");
    bench_ratio_at_least(b, fps, fread, 0.9, "read");
    bench_ratio(b, fps, fnaive[OP_SUM], "naive");

    bench_target_value(b, fpf, nnodes, 29, "GB/s total");
    bench_target_value(b, fpu, 1.0 / nr, 5.6, "GB/s/rank");
    bench_target_value(b, fpn, 1.0 / nr, 1.6, "GB/s/rank");
    bench_note(b,
               "init: %zu f64 (%.0f MB) per node; naive loops on rank 0 over a private array; "
               "parray on all %d rank%s; rates per node (%d rank%s on node 0)",
               I.n, size / 1e6, pa_ctx_size(ctx), pa_ctx_size(ctx) == 1 ? "" : "s", nr,
               nr == 1 ? "" : "s");
    bench_note(b,
               "init: a target per rank is the rate per node over its %d rank%s; the total, "
               "the rate per node times %d node%s",
               nr, nr == 1 ? "" : "s", nnodes, nnodes == 1 ? "" : "s");

out:
    free(I.naive);
    pa_array_free(&I.a);
    if (I.sink == 12345.678) /* keeps the naive results alive */
        bench_note(b, "init: sink");
    return rc;
}

const bench_experiment bench_init = {
    .name = "init",
    .description = "initialisation: fill, uniform, normal and sum of --size f64 per node "
                   "(default 5e7): naive 1-rank loops vs parray vs the machine's limits",
    .run = init_run,
};
