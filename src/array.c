/* Arrays: creation and validation, the spans each rank and node holds,
 * ownership queries, and the node memory barrier. A distributed array gives
 * node k the k-th block of rows; a replicated one gives every node all rows.
 * Either way the node's rows are one block (see block.c), split among the
 * node's ranks by a partition (see partition.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "cores.h"
#include "dtype.h"
#include "internal.h"

size_t pa_dtype_size(pa_dtype d)
{
    return pa__dtype_valid(d) ? pa__dtypes[d].size : 0;
}

const char *pa_dtype_name(pa_dtype d)
{
    return pa__dtype_valid(d) ? pa__dtypes[d].name : "?";
}

int pa_dtype_parse(const char *name, pa_dtype *d)
{
    PA_CHECK(NULL, name && d, PA_EINVAL, "name and dtype must not be NULL");
    for (int i = 0; i < PA_NDTYPES; i++)
        if (strcmp(name, pa__dtypes[i].name) == 0) {
            *d = (pa_dtype)i;
            return PA_OK;
        }
    char names[128];
    return pa__err(NULL, __func__, PA_EINVAL, "unknown dtype '%s' (%s)", name,
                   pa__dtype_names(PA__KINDS_ALL, PA__NAMES_PARRAY, names, sizeof names));
}

const char *pa__shape_str(int ndim, const size_t *shape, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, i ? ",%zu" : "%zu", shape[i]);
    if (n < len)
        snprintf(buf + n, len - n, ndim == 1 ? ",)" : ")");
    return buf;
}

/* Deterministic checks of the arguments: the same on every rank that
 * passes the same arguments. Fills in the array's geometry. */
static int check_args(pa_ctx *ctx, pa_dtype dtype, int ndim, const size_t *shape, pa_dist dist,
                      pa_array **out, pa_array *a)
{
    PA_CHECK_AS(ctx, "pa_array_create", out, PA_EINVAL, "out is NULL");
    PA_CHECK_AS(ctx, "pa_array_create", pa__dtype_valid(dtype), PA_EINVAL,
                "dtype %d is not a parray dtype", (int)dtype);
    PA_CHECK_AS(ctx, "pa_array_create", ndim >= 1 && ndim <= PA_MAXDIM, PA_EINVAL,
                "ndim = %d is not in [1, %d]", ndim, PA_MAXDIM);
    PA_CHECK_AS(ctx, "pa_array_create", shape, PA_EINVAL, "shape is NULL");
    PA_CHECK_AS(ctx, "pa_array_create", dist == PA_DISTRIBUTED || dist == PA_REPLICATED,
                PA_EINVAL, "dist %d is neither PA_DISTRIBUTED nor PA_REPLICATED", (int)dist);
    char buf[PA_MAXDIM * 24];
    size_t es = pa__dtypes[dtype].size, size = 1, rowsize = 1, zero = 0;
    for (int i = 0; i < ndim; i++)
        zero |= shape[i] == 0;
    for (int i = 0; i < ndim && !zero; i++) {
        PA_CHECK_AS(ctx, "pa_array_create", shape[i] <= SIZE_MAX / size, PA_EINVAL,
                    "shape %s: the element count overflows size_t",
                    pa__shape_str(ndim, shape, buf, sizeof buf));
        size *= shape[i];
    }
    if (zero)
        size = 0;
    PA_CHECK_AS(ctx, "pa_array_create", size <= (size_t)PTRDIFF_MAX / es, PA_EINVAL,
                "shape %s of %s: the byte size overflows",
                pa__shape_str(ndim, shape, buf, sizeof buf), pa__dtypes[dtype].name);
    for (int i = 1; i < ndim; i++)
        rowsize *= zero ? 1 : shape[i];
    a->ctx = ctx;
    a->dtype = dtype;
    a->dist = dist;
    a->ndim = ndim;
    memcpy(a->shape, shape, sizeof(size_t) * (size_t)ndim);
    a->size = size;
    a->rowsize = zero ? 0 : rowsize;
    if (dist == PA_REPLICATED) {
        a->row0 = 0;
        a->nrows = shape[0];
    } else {
        pa__rows_of_node(shape[0], ctx->nnodes, ctx->node, &a->row0, &a->nrows);
    }
    return PA_OK;
}

/* pa_array_create, and pa__array_create_unset when zero is 0. */
static int create(pa_ctx *ctx, pa_dtype dtype, int ndim, const size_t *shape, pa_dist dist,
                  int zero, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_CHECK_AS(NULL, "pa_array_create", ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, "pa_array_create", "%s, %s, %s", pa_dtype_name(dtype),
                  PA_CC_SHAPE(ndim, shape), pa__cc_dist(dist));
    pa_array *a = calloc(1, sizeof *a);
    if (a) {
        a->ctx = ctx; /* for the agreement below, whatever check_args finds */
        a->block.win = MPI_WIN_NULL;
    }
    int rc = a ? check_args(ctx, dtype, ndim, shape, dist, out, a)
               : pa__err(ctx, "pa_array_create", PA_ENOMEM, "out of memory");
    if (rc == PA_OK)
        rc = pa__partition_make(ctx, a->nrows * a->rowsize, pa_dtype_size(dtype), ctx->node_size,
                                &a->part);
    /* The node's leader checks that the node block (and the page the
     * leader adds) fits the memory the node has left, unless a pooled block
     * of this layout will serve; the node's agreement below makes the
     * verdict every node rank's before the node allocates anything. */
    if (rc == PA_OK && ctx->node_rank == 0 && !pa__pool_has(ctx, &a->part)) {
        char what[PA_MAXDIM * 24 + 64];
        size_t shape_bytes = a->nrows * a->rowsize * pa_dtype_size(dtype);
        char sb[PA_MAXDIM * 24];
        snprintf(what, sizeof what, "the node block of shape %s %s",
                 pa__shape_str(ndim, shape, sb, sizeof sb), pa_dtype_name(dtype));
        rc = pa__mem_check(ctx, "pa_array_create", shape_bytes + (shape_bytes ? PA_PAGE : 0),
                           what);
    }
    /* The window is allocated over the node, so the node's ranks agree
     * among themselves before it (the checks above, the leader's memory
     * check): an allreduce in the node's shared memory, not over the job.
     * A node that failed skips the allocation and still joins the job's
     * agreement below, which tells every node. */
    rc = pa__agree(ctx, ctx->node_comm, rc);
    int reused = rc == PA_OK && pa__pool_take(ctx, &a->part, &a->block);
    if (rc == PA_OK && !reused) {
        rc = pa__block_alloc(ctx, &a->part, &a->block);
        if (rc == PA_OK)
            rc = pa__mpi(ctx, "pa_array_create", MPI_Win_lock_all(MPI_MODE_NOCHECK, a->block.win),
                         "MPI_Win_lock_all");
    }
    /* First touch: each rank zeroes its own range, so its pages are placed
     * near it (and a reused block holds no old data). A new block's range
     * is bound to the rank's NUMA node first, so that its pages stay there
     * whichever thread touches them again (after a swap-out, say). A
     * reused block was placed when it was new, so a caller that writes
     * every element (zero == 0) skips the pass. */
    if (rc == PA_OK && (zero || !reused)) {
        size_t es = a->part.elsize, r = (size_t)ctx->node_rank;
        char *mine = a->block.base + a->part.bound[r] * es;
        size_t mine_bytes = (a->part.bound[r + 1] - a->part.bound[r]) * es;
        if (!reused)
            pa__cores_membind(ctx, mine, mine_bytes);
        memset(mine, 0, mine_bytes);
    }
    /* One allreduce over the job agrees on the memory of every node and
     * publishes the zeroes to the node's ranks (it orders them as the node
     * barrier of pa__array_sync would). */
    rc = a ? pa__array_sync_agree(a, rc) : pa__agree(ctx, ctx->comm, rc);
    if (rc < 0)
        goto fail;
    PA_PROFILE_CREATED(a);
    *out = a;
    return PA_OK;

fail:
    if (a && a->block.win != MPI_WIN_NULL) {
        /* Every rank of the node gets here alike (the codes were agreed). */
        /* Cleanup after an agreed failure: the code is already decided. */
        (void)MPI_Win_unlock_all(a->block.win);
        (void)pa__block_free(ctx, &a->block);
    }
    if (a)
        pa__partition_free(&a->part);
    free(a);
    return rc;
}

int pa_array_create(pa_ctx *ctx, pa_dtype dtype, int ndim, const size_t *shape, pa_dist dist,
                    pa_array **out)
{
    return create(ctx, dtype, ndim, shape, dist, 1, out);
}

int pa__array_create_unset(pa_ctx *ctx, pa_dtype dtype, int ndim, const size_t *shape,
                           pa_dist dist, pa_array **out)
{
    return create(ctx, dtype, ndim, shape, dist, 0, out);
}

int pa_array_free(pa_array **pa)
{
    if (!pa || !*pa)
        return PA_OK;
    pa_array *a = *pa;
    PA_COLLECTIVE(a->ctx, "pa_array_free", "%s", PA_CC_ARRAY(a));
    *pa = NULL;
    /* Every rank must be done with the block before it is reused or freed:
     * the barrier inside the sync orders the node's last accesses before it. */
    int rc = pa__array_sync(a);
    int rc2 = pa__pool_give(a->ctx, &a->part, &a->block);
    pa__partition_free(&a->part);
    free(a);
    return rc < 0 ? rc : rc2;
}

int pa__array_sync(pa_array *a)
{
    pa_ctx *ctx = a->ctx;
    /* Win_sync publishes this rank's stores to the window's memory; the node
     * barrier orders them before every other node rank's next loads; the
     * second Win_sync makes the other ranks' stores visible to this rank. */
    PA_MPI(ctx, MPI_Win_sync(a->block.win));
    PA_TRY(pa__mpi(ctx, __func__,
                   PA_PROFILE_WAIT(ctx, PA__WAIT_BARRIER, MPI_Barrier(ctx->node_comm)),
                   "MPI_Barrier"));
    PA_MPI(ctx, MPI_Win_sync(a->block.win));
    return PA_OK;
}

int pa__array_sync_agree(pa_array *a, int rc)
{
    pa_ctx *ctx = a->ctx;
    /* A failed creation may have no window yet; its rc is already < 0. */
    int has_win = a->block.win != MPI_WIN_NULL;
    int src = has_win ? pa__mpi(ctx, __func__, MPI_Win_sync(a->block.win), "MPI_Win_sync")
                      : PA_OK;
    /* Every rank of the node takes part in the job's allreduce, so after it
     * every rank's stores published above are ordered before the loads
     * that follow the second Win_sync, as after the node barrier. */
    rc = pa__agree(ctx, ctx->comm, rc < 0 ? rc : src);
    /* Only the agreed outcome is returned, the same on every rank: this
     * second sync is a local memory barrier on a window the first one
     * already synced. */
    if (has_win)
        MPI_Win_sync(a->block.win);
    return rc;
}

int pa_array_sync(pa_array *a)
{
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    PA_COLLECTIVE(a->ctx, "pa_array_sync", "%s", PA_CC_ARRAY(a));
    return pa__array_sync(a);
}

/* clang-format off */
pa_ctx *pa_array_ctx(const pa_array *a) { return a->ctx; }
pa_dtype pa_array_dtype(const pa_array *a) { return a->dtype; }
pa_dist pa_array_dist(const pa_array *a) { return a->dist; }
int pa_array_ndim(const pa_array *a) { return a->ndim; }
size_t pa_array_size(const pa_array *a) { return a->size; }
/* clang-format on */

void pa_array_shape(const pa_array *a, size_t *shape)
{
    memcpy(shape, a->shape, sizeof(size_t) * (size_t)a->ndim);
}

int pa_array_local(const pa_array *a, pa_span *span)
{
    PA_CHECK(NULL, a && span, PA_EINVAL, "a and span must not be NULL");
    size_t r = (size_t)a->ctx->node_rank, b = a->part.bound[r];
    span->ptr = a->block.base + b * a->part.elsize;
    span->offset = a->row0 * a->rowsize + b;
    span->count = a->part.bound[r + 1] - b;
    return PA_OK;
}

int pa_array_node(const pa_array *a, pa_span *span)
{
    PA_CHECK(NULL, a && span, PA_EINVAL, "a and span must not be NULL");
    span->ptr = a->block.base;
    span->offset = a->row0 * a->rowsize;
    span->count = a->part.nelem;
    return PA_OK;
}

int pa_array_node_rows(const pa_array *a, size_t *row0, size_t *nrows)
{
    PA_CHECK(NULL, a && row0 && nrows, PA_EINVAL, "a, row0 and nrows must not be NULL");
    *row0 = a->row0;
    *nrows = a->nrows;
    return PA_OK;
}

int pa_array_owner(const pa_array *a, size_t index, int *node, int *rank)
{
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    PA_CHECK(a->ctx, index < a->size, PA_EINVAL, "index %zu is out of range (size %zu)", index,
             a->size);
    const pa_ctx *ctx = a->ctx;
    size_t row = index / a->rowsize, row0 = 0, nrows = a->shape[0];
    int k = ctx->node;
    if (a->dist == PA_DISTRIBUTED) {
        k = pa__node_of_row(a->shape[0], ctx->nnodes, row);
        pa__rows_of_node(a->shape[0], ctx->nnodes, k, &row0, &nrows);
    }
    /* Node k's ranks in node-rank order are its job ranks in ascending order. */
    int nranks = 0;
    for (int q = 0; q < ctx->size; q++)
        nranks += ctx->node_of[q] == k;
    size_t nelem = nrows * a->rowsize, i = index - row0 * a->rowsize;
    int lo = pa__partition_find(nelem, a->part.elsize, nranks, i);
    int owner = -1;
    for (int q = 0, seen = 0; q < ctx->size; q++)
        if (ctx->node_of[q] == k && seen++ == lo) {
            owner = q;
            break;
        }
    if (node)
        *node = k;
    if (rank)
        *rank = owner;
    return PA_OK;
}

int pa_array_row_owner(const pa_array *a, size_t row, int *node, int *rank)
{
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    PA_CHECK(a->ctx, row < a->shape[0] && a->rowsize > 0, PA_EINVAL,
             "row %zu is out of range (%zu rows)", row, a->rowsize ? a->shape[0] : 0);
    return pa_array_owner(a, row * a->rowsize, node, rank);
}
