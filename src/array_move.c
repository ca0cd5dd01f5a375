/* Whole-array moves: gather to one rank, scatter from one rank, and
 * publishing one node's copy of a replicated array to the other nodes.
 * Gather and scatter are for small arrays and tests: they move elements
 * with int counts, so each rank's part must stay under 2^31 elements. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "internal.h"

/* The largest piece moved by one broadcast. */
#define CHUNK_BYTES ((size_t)1 << 30)

/* Checks that root is a rank and buf is there on root, agreed over the job
 * (only root can tell whether its buf is NULL). */
static int check_root(pa_array *a, int root, const void *buf, const char *fn)
{
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, root %d", PA_CC_ARRAY(a), root);
    int rc = PA_OK;
    if (root < 0 || root >= ctx->size)
        rc = pa__err(ctx, fn, PA_EINVAL, "root %d is not a rank (0..%d)", root, ctx->size - 1);
    else if (ctx->rank == root && !buf && a->size > 0)
        rc = pa__err(ctx, fn, PA_EINVAL, "buf is NULL on root %d", root);
    else if (a->size > INT_MAX)
        rc = pa__err(ctx, fn, PA_EINVAL, "an array of %zu elements is too large to move "
                     "with int counts and displacements", a->size);
    return pa__agree(ctx, ctx->comm, rc);
}

/* Root's counts and displacements (in elements) of every rank's local part,
 * where only ranks of node `only` take part (-1: every rank). */
static int layout_on_root(pa_array *a, int root, int only, int **counts, int **displs)
{
    pa_ctx *ctx = a->ctx;
    pa_span s;
    pa_array_local(a, &s);
    int mine[2] = {(int)s.offset, (int)s.count};
    if (only >= 0 && ctx->node != only)
        mine[1] = 0;
    int *all = NULL;
    *counts = *displs = NULL;
    int rc = PA_OK;
    if (ctx->rank == root) {
        all = malloc(sizeof(int) * 2 * (size_t)ctx->size);
        *counts = malloc(sizeof(int) * (size_t)ctx->size);
        *displs = malloc(sizeof(int) * (size_t)ctx->size);
        if (!all || !*counts || !*displs)
            rc = pa__err(ctx, "pa_array_gather", PA_ENOMEM, "out of memory");
    }
    if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa__mpi(ctx, __func__, MPI_Gather(mine, 2, MPI_INT, all, 2, MPI_INT, root, ctx->comm),
                     "MPI_Gather");
    if (rc == PA_OK && ctx->rank == root)
        for (int q = 0; q < ctx->size; q++) {
            (*displs)[q] = all[2 * q];
            (*counts)[q] = all[2 * q + 1];
        }
    free(all);
    if (rc < 0) {
        free(*counts);
        free(*displs);
        *counts = *displs = NULL;
    }
    return rc;
}

static int element_type(pa_array *a, MPI_Datatype *t)
{
    PA_MPI(a->ctx, MPI_Type_contiguous((int)a->part.elsize, MPI_BYTE, t));
    PA_MPI(a->ctx, MPI_Type_commit(t));
    return PA_OK;
}

int pa_array_gather(pa_array *a, int root, void *buf)
{
    PA_TRY(check_root(a, root, buf, __func__));
    pa_ctx *ctx = a->ctx;
    if (a->dist == PA_REPLICATED) {
        /* Root's node already holds the whole array: make the node's writes
         * visible to root and copy. */
        PA_TRY(pa__array_sync(a));
        if (ctx->rank == root && a->size)
            memcpy(buf, a->block.base, a->size * a->part.elsize);
        return PA_OK;
    }
    int *counts, *displs;
    PA_TRY(layout_on_root(a, root, -1, &counts, &displs));
    MPI_Datatype t;
    int rc = element_type(a, &t);
    if (rc == PA_OK) {
        pa_span s;
        pa_array_local(a, &s);
        rc = pa__mpi(ctx, __func__,
                     MPI_Gatherv(s.ptr, (int)s.count, t, buf, counts, displs, t, root, ctx->comm),
                     "MPI_Gatherv");
        MPI_Type_free(&t);
    }
    free(counts);
    free(displs);
    return rc;
}

int pa_array_scatter(pa_array *a, int root, const void *buf)
{
    PA_TRY(check_root(a, root, buf, __func__));
    pa_ctx *ctx = a->ctx;
    /* A replicated array is scattered into root's node copy, then published. */
    int root_node = ctx->node_of[root];
    int *counts, *displs;
    PA_TRY(layout_on_root(a, root, a->dist == PA_REPLICATED ? root_node : -1, &counts, &displs));
    MPI_Datatype t;
    int rc = element_type(a, &t);
    if (rc == PA_OK) {
        pa_span s;
        pa_array_local(a, &s);
        int n = a->dist == PA_REPLICATED && ctx->node != root_node ? 0 : (int)s.count;
        rc = pa__mpi(ctx, __func__,
                     MPI_Scatterv(buf, counts, displs, t, s.ptr, n, t, root, ctx->comm),
                     "MPI_Scatterv");
        MPI_Type_free(&t);
    }
    free(counts);
    free(displs);
    PA_TRY(rc);
    if (a->dist == PA_REPLICATED)
        return pa_array_replicate(a, root_node);
    return pa__array_sync(a); /* the received parts, to the rest of each node */
}

int pa_array_replicate(pa_array *a, int from_node)
{
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, from node %d", PA_CC_ARRAY(a), from_node);
    PA_CHECK(ctx, a->dist == PA_REPLICATED, PA_EINVAL, "a is distributed, not replicated");
    PA_CHECK(ctx, from_node >= 0 && from_node < ctx->nnodes, PA_EINVAL,
             "from_node %d is not a node (0..%d)", from_node, ctx->nnodes - 1);
    /* The source node's writes, to its leader, which sends them. */
    PA_TRY(pa__array_sync(a));
    if (ctx->leader_comm != MPI_COMM_NULL && ctx->nnodes > 1) {
        size_t bytes = a->part.nelem * a->part.elsize;
        for (size_t done = 0; done < bytes; done += CHUNK_BYTES) {
            size_t n = bytes - done < CHUNK_BYTES ? bytes - done : CHUNK_BYTES;
            PA_MPI(ctx, MPI_Bcast(a->block.base + done, (int)n, MPI_BYTE, from_node,
                                  ctx->leader_comm));
        }
    }
    /* What each leader received, to the rest of its node. */
    return pa__array_sync(a);
}
