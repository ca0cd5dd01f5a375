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

/* Where root gathers or scatters: every rank's count and displacement (in
 * elements), root's only. */
typedef struct {
    int *pairs; /* (displacement, count) of each rank, as gathered */
    int *counts, *displs;
} layout;

static void layout_free(layout *l)
{
    free(l->pairs);
    free(l->counts);
    free(l->displs);
    *l = (layout){NULL, NULL, NULL};
}

/* Checks that root is a rank and buf is there on root, and with l not
 * NULL, allocates root's layout: one agreement over the job for all of it
 * (only root can tell whether its buf is NULL or its memory ran out). */
static int check_root(pa_array *a, int root, const void *buf, const char *fn, layout *l)
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
        rc = pa__err(ctx, fn, PA_EINVAL,
                     "an array of %zu elements is too large to move "
                     "with int counts and displacements",
                     a->size);
    if (l) {
        *l = (layout){NULL, NULL, NULL};
        if (rc == PA_OK && ctx->rank == root) {
            l->pairs = malloc(sizeof(int) * 2 * (size_t)ctx->size);
            l->counts = malloc(sizeof(int) * (size_t)ctx->size);
            l->displs = malloc(sizeof(int) * (size_t)ctx->size);
            if (!l->pairs || !l->counts || !l->displs)
                rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        }
    }
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc < 0 && l)
        layout_free(l);
    return rc;
}

/* Root's counts and displacements of every rank's local part into l (which
 * check_root allocated), where only ranks of node `only` take part (-1:
 * every rank). */
static int layout_on_root(pa_array *a, int root, int only, layout *l)
{
    pa_ctx *ctx = a->ctx;
    pa_span s;
    pa_array_local(a, &s);
    int mine[2] = {(int)s.offset, (int)s.count};
    if (only >= 0 && ctx->node != only)
        mine[1] = 0;
    int rc = pa__mpi(ctx, __func__,
                     MPI_Gather(mine, 2, MPI_INT, l->pairs, 2, MPI_INT, root, ctx->comm),
                     "MPI_Gather");
    if (rc == PA_OK && ctx->rank == root)
        for (int q = 0; q < ctx->size; q++) {
            l->displs[q] = l->pairs[2 * q];
            l->counts[q] = l->pairs[2 * q + 1];
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
    layout l;
    PA_TRY(check_root(a, root, buf, __func__, a && a->dist == PA_DISTRIBUTED ? &l : NULL));
    pa_ctx *ctx = a->ctx;
    if (a->dist == PA_REPLICATED) {
        /* Root's node already holds the whole array: make the node's writes
         * visible to root and copy. */
        PA_TRY(pa__array_sync(a));
        if (ctx->rank == root && a->size)
            memcpy(buf, a->block.base, a->size * a->part.elsize);
        return PA_OK;
    }
    int rc = layout_on_root(a, root, -1, &l);
    MPI_Datatype t;
    if (rc == PA_OK && (rc = element_type(a, &t)) == PA_OK) {
        pa_span s;
        pa_array_local(a, &s);
        rc = pa__mpi(
            ctx, __func__,
            MPI_Gatherv(s.ptr, (int)s.count, t, buf, l.counts, l.displs, t, root, ctx->comm),
            "MPI_Gatherv");
        MPI_Type_free(&t);
    }
    layout_free(&l);
    return rc;
}

int pa_array_scatter(pa_array *a, int root, const void *buf)
{
    layout l;
    PA_TRY(check_root(a, root, buf, __func__, &l));
    pa_ctx *ctx = a->ctx;
    /* A replicated array is scattered into root's node copy, then published. */
    int root_node = ctx->node_of[root];
    int rc = layout_on_root(a, root, a->dist == PA_REPLICATED ? root_node : -1, &l);
    MPI_Datatype t;
    if (rc == PA_OK && (rc = element_type(a, &t)) == PA_OK) {
        pa_span s;
        pa_array_local(a, &s);
        int n = a->dist == PA_REPLICATED && ctx->node != root_node ? 0 : (int)s.count;
        rc = pa__mpi(ctx, __func__,
                     MPI_Scatterv(buf, l.counts, l.displs, t, s.ptr, n, t, root, ctx->comm),
                     "MPI_Scatterv");
        MPI_Type_free(&t);
    }
    layout_free(&l);
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
