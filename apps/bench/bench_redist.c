/* The redist experiment: redistribution on the engine of reshape.h (a
 * transpose, a reshape that moves the node boundary, distributed to
 * replicated), each timed side by side with one MPI_Alltoallv over the job
 * that moves the same bytes as the call writes (bench_time_steps), so
 * their ratio holds on a busy machine too; and the peak extra memory of a
 * transpose, measured by pa_mem_peak, against its bound (the output's node
 * block plus PARRAY_REDIST_BUFFER_MB). The input is an f64 array of --size
 * elements per node (default 2^24) with 4096 columns. Rates count the
 * output's bytes (every element is copied once into it, across nodes or
 * within one). The baseline is fair to MPI: it moves every output byte
 * once, between the job's ranks (a quarter of them to the rank itself on
 * 4 ranks as 2 nodes), where the calls copy the bytes that stay within a
 * node without MPI; so it is what a call would cost if MPI moved its data. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define SEED 20261206u
#define REDIST_ELEMS ((size_t)1 << 24)
#define REDIST_ELEMS_QUICK ((size_t)1 << 22)
#define COLS ((size_t)4096)

typedef struct {
    pa_ctx *ctx;
    pa_array *x;       /* the input, (rows, COLS) distributed */
    char *send, *recv; /* this rank's alltoallv buffers */
    int *counts, *displs;
    size_t out_shape[2];
    pa_dist out_dist;
    int kind; /* 0 transpose, 1 reshape, 2 to replicated */
} redist_bench;

/* The reference: the same bytes, each rank's share to every rank alike. */
static int alltoallv_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    redist_bench *R = arg;
    int rc = MPI_Alltoallv(R->send, R->counts, R->displs, MPI_BYTE, R->recv, R->counts, R->displs,
                           MPI_BYTE, pa_ctx_comm(R->ctx));
    return rc == MPI_SUCCESS ? 0 : bench_fail(b, "redist: MPI_Alltoallv failed");
}

static int call_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    redist_bench *R = arg;
    pa_array *y = NULL;
    int rc = R->kind == 0   ? pa_transpose(R->x, &y)
             : R->kind == 1 ? pa_reshape(R->x, 2, R->out_shape, &y)
                            : pa_redistribute(R->x, PA_REPLICATED, &y);
    int ok = bench_pa_ok(b, rc, "the call");
    pa_array_free(&y);
    return ok;
}

/* Times call kind beside the alltoallv of its output's bytes per node. */
static int run_kind(bench *b, redist_bench *R, int kind, const char *method, double out_bytes)
{
    int size = pa_ctx_size(R->ctx), nnodes = pa_ctx_nnodes(R->ctx);
    /* Every rank sends its share of a node's output bytes, in equal
     * pieces to every rank. */
    size_t per_rank = (size_t)out_bytes * (size_t)nnodes / (size_t)size;
    size_t piece = per_rank / (size_t)size;
    if (piece > INT32_MAX / 2)
        return bench_fail(b, "redist: --size is too large for the alltoallv's int counts");
    R->kind = kind;
    for (int q = 0; q < size; q++) {
        R->counts[q] = (int)piece;
        R->displs[q] = (int)(piece * (size_t)q);
    }
    bench_spec specs[] = {
        {.method = "MPI_Alltoallv of the same bytes (paired)",
         .size = out_bytes,
         .work = out_bytes,
         .role = BENCH_LIMIT},
        {.method = method, .size = out_bytes, .work = out_bytes},
    };
    bench_fn fns[] = {alltoallv_rep, call_rep};
    void *args[] = {R, R};
    int f[2];
    if (bench_time_steps(b, specs, fns, args, 2, f) != 0)
        return -1;
    bench_ratio(b, f[1], f[0], "paired MPI_Alltoallv");
    if (kind < 2)
        bench_target(b, f[1], f[0], BENCH_AT_LEAST, 0.8, "paired MPI_Alltoallv");
    return 0;
}

/* The peak extra memory of one transpose, as a note with its bound. */
static int memory_note(bench *b, redist_bench *R, size_t rows)
{
    pa_mem_peaks before, after;
    pa_array *y = NULL;
    int rc = bench_pa_ok(b, pa_mem_peak_reset(R->ctx), "pa_mem_peak_reset");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_mem_peak(R->ctx, &before), "pa_mem_peak");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_transpose(R->x, &y), "pa_transpose");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_mem_peak(R->ctx, &after), "pa_mem_peak");
    pa_array_free(&y);
    if ((rc = bench_agree(b, rc)) != 0)
        return rc;
    int nnodes = pa_ctx_nnodes(R->ctx);
    double mib = 1 << 20;
    double out_node = (double)((COLS + (size_t)nnodes - 1) / (size_t)nnodes) * (double)rows * 8;
    const char *env = getenv("PARRAY_REDIST_BUFFER_MB");
    double buffer = (env && *env ? atof(env) : 64) * mib;
    bench_note(b,
               "redist: peak extra memory of a transpose: shared %.1f MiB per node, resident "
               "%.1f MiB per rank; bound: output %.1f MiB per node + buffer %.0f MiB",
               (double)(after.node_shm - before.node_shm) / mib,
               (double)(after.rank_vmhwm - before.rank_vmhwm) / mib, out_node / mib,
               buffer / mib);
    return 0;
}

static int redist_run(bench *b)
{
    pa_ctx *ctx = bench_ctx(b);
    int nnodes = pa_ctx_nnodes(ctx), size = pa_ctx_size(ctx);
    size_t n = bench_elems(b, REDIST_ELEMS, REDIST_ELEMS_QUICK);
    if (n > SIZE_MAX / 16 / (size_t)nnodes)
        return bench_agree(b, bench_fail(b, "redist: --size %zu is too large", n));
    /* Rows a multiple of 3, so that the reshape to (3, total / 3) exists. */
    size_t rows = ((n * (size_t)nnodes + 3 * COLS - 1) / (3 * COLS)) * 3, total = rows * COLS;
    size_t shape[2] = {rows, COLS};
    redist_bench R = {.ctx = ctx};
    /* The most any figure moves: every node receives the whole array. */
    size_t per_rank = total * 8 * (size_t)nnodes / (size_t)size + 1;
    R.send = malloc(per_rank);
    R.recv = malloc(per_rank);
    R.counts = malloc(sizeof(int) * (size_t)size);
    R.displs = malloc(sizeof(int) * (size_t)size);
    int rc = R.send && R.recv && R.counts && R.displs ? 0
                                                      : bench_fail(b, "redist: out of memory");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &R.x),
                         "pa_array_create");
    if (rc == 0)
        rc = bench_pa_ok(b, pa_random_uniform(R.x, SEED, 0, -1.0, 1.0), "pa_random_uniform");
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;
    for (size_t i = 0; i < per_rank; i++) /* first touch, off the clock */
        R.send[i] = R.recv[i] = (char)i;
    double node_bytes = (double)total * 8 / nnodes;
    /* (3, total / 3) moves the node boundary from half of the elements to
     * two thirds: a sixth of them cross between 2 nodes. */
    R.out_shape[0] = 3;
    R.out_shape[1] = total / 3;
    /* The memory first, while no output block or buffer of these layouts
     * waits in the pool (later calls reuse them and need nothing more). */
    if ((rc = memory_note(b, &R, rows)) != 0)
        goto out;
    if ((rc = run_kind(b, &R, 0, "parray transpose f64, per node", node_bytes)) != 0)
        goto out;
    if ((rc = run_kind(b, &R, 1, "parray reshape to (3,n/3) f64, per node", node_bytes)) != 0)
        goto out;
    if ((rc = run_kind(b, &R, 2, "parray distributed to replicated f64, per node",
                       (double)total * 8)) != 0)
        goto out;
    bench_note(b,
               "redist: (%zu,%zu) f64 over %d nodes; rates count the bytes each node's output "
               "receives, the alltoallv moves as many; each figure timed beside it in every "
               "repetition",
               rows, COLS, nnodes);
out:
    pa_array_free(&R.x);
    free(R.send);
    free(R.recv);
    free(R.counts);
    free(R.displs);
    return rc;
}

const bench_experiment bench_redist = {
    .name = "redist",
    .description = "transpose, reshape and replication of --size f64 per node (default 2^24) "
                   "beside MPI_Alltoallv, and the peak extra memory",
    .run = redist_run,
};
