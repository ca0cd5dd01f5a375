/* Programs that are wrong on purpose, for tests/collcheck.sh and the debug
 * mode PARRAY_CHECK=collectives. Run under mpirun with 2 or more ranks:
 *
 *   collcheck_prog mismatch    rank 0 sums, the others take the mean; then
 *                              rank 0 creates a (100,3) array, the others a
 *                              (100,4) one: each call must fail on every rank
 *                              with a message that names both calls
 *   collcheck_prog finalize    rank 0 sums, the others finalise: both fail,
 *                              naming both calls, and then finalise together
 *   collcheck_prog missing     rank 0 sums, the others wait in MPI_Barrier:
 *                              the checker aborts the job after the timeout
 *   collcheck_prog replicated  node 1 changes its copy of a replicated array
 *                              without pa_array_replicate: the sum must fail
 *                              naming the node; after pa_array_replicate it
 *                              works (needs 2 nodes)
 *   collcheck_prog correct     a correct program; prints its results
 *
 * Prints "collcheck_prog: MODE: ok" from every rank whose checks passed.
 * Exit status: 0 when every rank's checks passed, 1 otherwise, 77 when the
 * layout does not fit the mode, 2 for usage. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "parray.h"

static int rank;
static int failures;

/* Records a failed expectation of this rank. */
static void expect(int cond, const char *what, const char *msg)
{
    if (!cond) {
        fprintf(stderr, "collcheck_prog: rank %d: %s (message: '%s')\n", rank, what,
                msg ? msg : "");
        failures++;
    }
}

/* The message of a call that must fail on every rank with PA_EINVAL and
 * name both texts. */
static void expect_mismatch(pa_ctx *ctx, int rc, const char *one, const char *other)
{
    const char *m = pa_errmsg(ctx);
    expect(rc == PA_EINVAL, "the mismatched call did not fail with PA_EINVAL", m);
    expect(strstr(m, "collective mismatch") != NULL, "no 'collective mismatch'", m);
    expect(strstr(m, one) != NULL, one, m);
    expect(strstr(m, other) != NULL, other, m);
}

static int mismatch(pa_ctx *ctx)
{
    size_t shape[2] = {100, 3};
    pa_array *a = NULL, *b = NULL;
    double out;
    if (pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a) != PA_OK ||
        pa_full(a, 1.0) != PA_OK)
        return 1;
    int rc = pa_reduce(a, rank == 0 ? PA_RED_SUM : PA_RED_MEAN, -1, &out);
    expect_mismatch(ctx, rc, "rank 0 called pa_reduce(f64 (100,3), sum, axis -1)",
                    "called pa_reduce(f64 (100,3), mean, axis -1)");
    shape[1] = rank == 0 ? 3 : 4;
    rc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &b);
    expect_mismatch(ctx, rc, "rank 0 called pa_array_create(f64, (100,3), distributed)",
                    "called pa_array_create(f64, (100,4), distributed)");
    expect(b == NULL, "the failed create made an array", "");
    /* The context still works: the same call on every rank passes. */
    rc = pa_reduce(a, PA_RED_SUM, -1, &out);
    expect(rc == PA_OK && out == 300.0, "the agreed sum failed", pa_errmsg(ctx));
    return pa_array_free(&a) != PA_OK;
}

static int finalize(pa_ctx **ctx)
{
    size_t shape[1] = {10};
    pa_array *a = NULL;
    double out;
    if (pa_array_create(*ctx, PA_F64, 1, shape, PA_DISTRIBUTED, &a) != PA_OK)
        return 1;
    int rc = rank == 0 ? pa_reduce(a, PA_RED_SUM, -1, &out) : pa_finalize(ctx);
    expect_mismatch(*ctx, rc, "rank 0 called pa_reduce(f64 (10,), sum, axis -1)",
                    "called pa_finalize()");
    expect(*ctx != NULL, "pa_finalize freed the context after a mismatch", "");
    return pa_array_free(&a) != PA_OK;
}

static int missing(pa_ctx *ctx)
{
    size_t shape[1] = {10};
    pa_array *a = NULL;
    double out;
    if (pa_array_create(ctx, PA_F64, 1, shape, PA_DISTRIBUTED, &a) != PA_OK)
        return 1;
    if (rank == 0)
        pa_reduce(a, PA_RED_SUM, -1, &out); /* aborts the job after the timeout */
    else
        MPI_Barrier(MPI_COMM_WORLD); /* never completes: rank 0 never comes */
    fprintf(stderr, "collcheck_prog: rank %d: the job was not aborted\n", rank);
    return 1;
}

static int replicated(pa_ctx *ctx)
{
    size_t shape[1] = {1000};
    pa_array *a = NULL;
    double out = 0;
    if (pa_array_create(ctx, PA_F64, 1, shape, PA_REPLICATED, &a) != PA_OK ||
        pa_full(a, 1.0) != PA_OK)
        return 1;
    /* Node 1 writes its own copy only: the others still hold ones. */
    if (pa_ctx_node(ctx) == 1) {
        pa_span s;
        pa_array_local(a, &s);
        for (size_t i = 0; i < s.count; i++)
            ((double *)s.ptr)[i] = 2.0;
    }
    if (pa_array_sync(a) != PA_OK)
        return 1;
    int rc = pa_reduce(a, PA_RED_SUM, -1, &out);
    const char *m = pa_errmsg(ctx);
    expect(rc == PA_EINVAL, "the sum of differing copies did not fail with PA_EINVAL", m);
    expect(strstr(m, "replicated array differs between nodes") != NULL, "no 'differs'", m);
    expect(strstr(m, "node 1") != NULL, "the message does not name node 1", m);
    expect(strstr(m, "pa_array_replicate") != NULL, "no pa_array_replicate hint", m);
    /* Published from node 1, every copy is alike again. */
    if (pa_array_replicate(a, 1) != PA_OK)
        return 1;
    rc = pa_reduce(a, PA_RED_SUM, -1, &out);
    expect(rc == PA_OK && out == 2000.0, "the sum after pa_array_replicate", pa_errmsg(ctx));
    return pa_array_free(&a) != PA_OK;
}

static int correct(pa_ctx *ctx)
{
    size_t shape[2] = {64, 5};
    pa_array *a = NULL, *r = NULL;
    double sum[5], dot;
    int rc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, PA_F64, 2, shape, PA_REPLICATED, &r);
    if (rc == PA_OK)
        rc = pa_random_uniform(a, 7, 0, -1.0, 1.0);
    if (rc == PA_OK)
        rc = pa_binary_scalar(a, PA_OP_MUL, a, 3.0);
    if (rc == PA_OK)
        rc = pa_arange(r, 0.0, 0.5);
    if (rc == PA_OK)
        rc = pa_reduce(a, PA_RED_SUM, 0, sum);
    if (rc == PA_OK)
        rc = pa_dot(r, r, &dot);
    expect(rc == PA_OK, "a correct call failed", pa_errmsg(ctx));
    if (rc == PA_OK && rank == 0)
        printf("sums %a %a %a %a %a dot %a\n", sum[0], sum[1], sum[2], sum[3], sum[4], dot);
    pa_array_free(&r);
    return pa_array_free(&a) != PA_OK;
}

int main(int argc, char **argv)
{
    const char *mode = argc == 2 ? argv[1] : "";
    pa_ctx *ctx = NULL;
    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "collcheck_prog: pa_init: %s\n", pa_errmsg(NULL));
        return 1;
    }
    rank = pa_ctx_rank(ctx);
    int size = pa_ctx_size(ctx), bad = 0;
    if (strcmp(mode, "correct") != 0 &&
        (size < 2 || (strcmp(mode, "replicated") == 0 && pa_ctx_nnodes(ctx) < 2))) {
        fprintf(stderr, "collcheck_prog: %s needs 2 ranks (and 2 nodes for replicated)\n", mode);
        pa_finalize(&ctx);
        return 77;
    }
    if (strcmp(mode, "mismatch") == 0)
        bad = mismatch(ctx);
    else if (strcmp(mode, "finalize") == 0)
        bad = finalize(&ctx);
    else if (strcmp(mode, "missing") == 0)
        bad = missing(ctx);
    else if (strcmp(mode, "replicated") == 0)
        bad = replicated(ctx);
    else if (strcmp(mode, "correct") == 0)
        bad = correct(ctx);
    else
        bad = 2;
    if (bad == 2)
        fprintf(stderr, "usage: collcheck_prog mismatch|finalize|missing|replicated|correct\n");
    if (failures == 0 && bad == 0)
        printf("collcheck_prog: %s: ok\n", mode);
    int rc = pa_finalize(&ctx);
    if (rc != PA_OK) {
        fprintf(stderr, "collcheck_prog: rank %d: pa_finalize: %s\n", rank, pa_errmsg(ctx));
        return 1;
    }
    return bad ? bad : failures > 0;
}
