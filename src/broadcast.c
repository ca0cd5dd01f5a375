/* numpy's broadcasting: the broadcast shape and its message, which
 * operands are read where (and the replicated copies of the distributed
 * operands that every node needs whole), and the reader that gives an
 * operand's elements for a block of the output's flat indices, in place
 * where they lie contiguously and copied into a block buffer elsewhere. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "compute.h"
#include "kernels.h"

/* ------------------------------------------------------------ shapes */

/* numpy's rule over n shapes; fn names the call in the message. */
static int broadcast_shapes(pa_ctx *ctx, const char *fn, int n, const int *ndim,
                            const size_t *const *shape, int *out_ndim, size_t *out)
{
    int nd = 0, ok = 1;
    for (int i = 0; i < n; i++)
        PA_CHECK_AS(ctx, fn, ndim[i] >= 0 && ndim[i] <= PA_MAXDIM && (shape[i] || !ndim[i]),
                    PA_EINVAL, "shape %d: ndim = %d is not in [0, %d], or its shape is NULL", i,
                    ndim[i], PA_MAXDIM);
    for (int i = 0; i < n; i++)
        nd = ndim[i] > nd ? ndim[i] : nd;
    for (int k = 0; k < nd; k++)
        out[k] = 1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ndim[i]; k++) {
            size_t d = shape[i][k], *o = &out[nd - ndim[i] + k];
            if (d != 1 && *o != 1 && d != *o)
                ok = 0;
            else if (d != 1)
                *o = d;
        }
    *out_ndim = nd;
    if (ok)
        return PA_OK;
    char msg[PA_ERRMSG_MAX] = "operands could not be broadcast together with shapes";
    size_t len = strlen(msg);
    for (int i = 0; i < n && len < sizeof msg; i++) {
        char s[PA_MAXDIM * 24];
        len += (size_t)snprintf(msg + len, sizeof msg - len, " %s",
                                pa__shape_str(ndim[i], shape[i], s, sizeof s));
    }
    return pa__err(ctx, fn, PA_EINVAL, "%s", msg);
}

int pa_broadcast_shape(pa_ctx *ctx, int n, const int *ndim, const size_t *const *shape,
                       int *out_ndim, size_t *out_shape)
{
    PA_CHECK(ctx, n >= 0 && ((ndim && shape) || n == 0) && out_ndim && out_shape, PA_EINVAL,
             "n = %d must not be negative, and ndim, shape, out_ndim and out_shape must not be "
             "NULL",
             n);
    return broadcast_shapes(ctx, __func__, n, ndim, shape, out_ndim, out_shape);
}

static int check_out(const char *fn, const pa_array *out, const char *name, int ndim,
                     const size_t *shape)
{
    /* numpy's rule for a ufunc's out=: the operands broadcast to out's
     * shape (an expression of scalars alone fills any output). */
    int same = out->ndim >= ndim;
    for (int k = 0; same && k < ndim; k++)
        same = shape[k] == 1 || shape[k] == out->shape[out->ndim - ndim + k];
    char so[PA_MAXDIM * 24], sb[PA_MAXDIM * 24];
    PA_CHECK_AS(out->ctx, fn, same, PA_EINVAL,
                "%s has shape %s, but the operands broadcast to shape %s", name,
                pa__shape_str(out->ndim, out->shape, so, sizeof so),
                pa__shape_str(ndim, shape, sb, sizeof sb));
    return PA_OK;
}

int pa__broadcast_check(const char *fn, const pa_array *out, const char *outname, int n,
                        const pa_array *const *ops, const char *const *names)
{
    pa_ctx *ctx = out->ctx;
    for (int i = 0; i < n; i++) {
        PA_CHECK_AS(ctx, fn, ops[i], PA_EINVAL, "%s is NULL", names[i]);
        PA_CHECK_AS(ctx, fn, ops[i]->ctx == ctx, PA_EINVAL,
                    "%s and %s belong to different contexts", outname, names[i]);
    }
    int nd, nds[PA__BROADCAST_MAXOPS];
    size_t shape[PA_MAXDIM];
    const size_t *shapes[PA__BROADCAST_MAXOPS];
    for (int i = 0; i < n; i++) {
        nds[i] = ops[i]->ndim;
        shapes[i] = ops[i]->shape;
    }
    PA_TRY(broadcast_shapes(ctx, fn, n, nds, shapes, &nd, shape));
    return check_out(fn, out, outname, nd, shape);
}

int pa__broadcast_same(const pa_array *out, const pa_array *op)
{
    if (op->ndim != out->ndim || op->dist != out->dist)
        return 0;
    for (int k = 0; k < op->ndim; k++)
        if (op->shape[k] != out->shape[k])
            return 0;
    return 1;
}

/* ------------------------------------------------------------ where operands are read */

/* Whether a distributed operand has the output's rows on every node: the
 * same axis 0 (same ndim and shape[0]) next to a distributed output. */
static int has_out_rows(const pa_array *out, const pa_array *op)
{
    return op->ndim == out->ndim && op->shape[0] == out->shape[0];
}

/* Collective. A replicated copy of the distributed array a: every node's
 * leader sends its rows to the other leaders (one allgather over the
 * leaders' communicator, in rows), then the node's ranks see the copy. */
static int replicated_copy(const char *fn, const pa_array *a, pa_array **copy)
{
    pa_ctx *ctx = a->ctx;
    PA_TRY(pa_array_create(ctx, a->dtype, a->ndim, a->shape, PA_REPLICATED, copy));
    int rc = PA_OK;
    size_t rowbytes = a->rowsize * a->part.elsize;
    if (ctx->leader_comm != MPI_COMM_NULL && a->size > 0) {
        int *counts = malloc(2 * sizeof(int) * (size_t)ctx->nnodes),
            *displs = counts + ctx->nnodes;
        MPI_Datatype row = MPI_DATATYPE_NULL;
        rc = counts ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        for (int k = 0; rc == PA_OK && k < ctx->nnodes; k++) {
            size_t r0, nr;
            pa__rows_of_node(a->shape[0], ctx->nnodes, k, &r0, &nr);
            if (r0 + nr > (size_t)INT_MAX || rowbytes > (size_t)INT_MAX)
                rc = pa__err(ctx, fn, PA_EINVAL,
                             "a broadcast operand of %zu rows of %zu bytes is too large to "
                             "copy to every node",
                             a->shape[0], rowbytes);
            else {
                counts[k] = (int)nr;
                displs[k] = (int)r0;
            }
        }
        if (rc == PA_OK)
            rc = pa__mpi(ctx, fn, MPI_Type_contiguous((int)rowbytes, MPI_BYTE, &row),
                         "MPI_Type_contiguous");
        if (rc == PA_OK)
            rc = pa__mpi(ctx, fn, MPI_Type_commit(&row), "MPI_Type_commit");
        if (rc == PA_OK)
            rc = pa__mpi(ctx, fn,
                         MPI_Allgatherv(a->block.base, (int)a->nrows, row, (*copy)->block.base,
                                        counts, displs, row, ctx->leader_comm),
                         "MPI_Allgatherv");
        if (row != MPI_DATATYPE_NULL)
            MPI_Type_free(&row);
        free(counts);
    }
    /* The leader's received rows become visible to the node's ranks, and
     * a failure on any leader is every rank's. */
    rc = pa__array_sync_agree(*copy, rc);
    if (rc != PA_OK)
        pa_array_free(copy);
    return rc;
}

int pa__broadcast_prepare(const char *fn, const pa_array *out, int n, const pa_array *const *ops,
                          const char *const *names, pa_array **copy)
{
    pa_ctx *ctx = out->ctx;
    int rc = PA_OK;
    for (int i = 0; i < n; i++) {
        const pa_array *a = ops[i];
        copy[i] = NULL;
        if (rc != PA_OK || !a || a->dist == PA_REPLICATED)
            continue;
        if (out->dist == PA_DISTRIBUTED && has_out_rows(out, a))
            continue;
        if (has_out_rows(out, a) && out->shape[0] > 1) {
            char so[PA_MAXDIM * 24];
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "%s is distributed with the rows of the replicated output %s: every "
                         "node has only its own rows of %s (make %s replicated, or the output "
                         "distributed)",
                         names[i], pa__shape_str(out->ndim, out->shape, so, sizeof so), names[i],
                         names[i]);
            continue;
        }
        rc = replicated_copy(fn, a, &copy[i]);
    }
    if (rc != PA_OK)
        for (int i = 0; i < n; i++)
            pa_array_free(&copy[i]);
    return rc;
}

/* ------------------------------------------------------------ the reader */

/* A periodic operand's pattern is kept when the piece is at most this
 * many blocks long; a longer piece wraps inside a block rarely. */
#define PATTERN_MAX_BLKS 8

void pa__bsrc_init(const pa_array *out, const pa_array *op, pa__bsrc *s)
{
    memset(s, 0, sizeof *s);
    s->data = op->block.base;
    s->es = op->part.elsize;
    s->first = (ptrdiff_t)(op->row0 * op->rowsize);
    /* The operand's stride along each output dimension (0 where it is
     * broadcast), dimensions of 1 dropped, and neighbours merged where the
     * outer stride is the inner one's whole extent (numpy's coalescing). */
    ptrdiff_t cstride = 1;
    size_t dims[PA_MAXDIM];
    ptrdiff_t strides[PA_MAXDIM];
    int nd = 0;
    for (int k = out->ndim - 1; k >= 0; k--) {
        int j = k - (out->ndim - op->ndim); /* the operand's dimension, or < 0 */
        size_t od = j >= 0 ? op->shape[j] : 1;
        ptrdiff_t st = od == 1 ? 0 : cstride;
        cstride *= (ptrdiff_t)od;
        if (out->shape[k] == 1)
            continue;
        if (nd > 0 && st == strides[nd - 1] * (ptrdiff_t)dims[nd - 1]) {
            dims[nd - 1] *= out->shape[k]; /* the inner stride stays */
            continue;
        }
        dims[nd] = out->shape[k];
        strides[nd++] = st;
    }
    if (nd == 0) { /* an output of one element */
        dims[0] = 1;
        strides[nd++] = 0;
    }
    /* Innermost first above; the reader wants outermost first. */
    s->ndim = nd;
    for (int k = 0; k < nd; k++) {
        s->dim[k] = dims[nd - 1 - k];
        s->stride[k] = strides[nd - 1 - k];
    }
    s->constant = 1;
    for (int k = 0; k < nd; k++)
        s->constant &= s->stride[k] == 0;
    /* A constant repeats one element; a row repeats its piece. */
    if (s->constant)
        s->period = 1;
    else if (nd == 2 && s->stride[0] == 0 && s->stride[1] == 1)
        s->period = s->dim[1];
    if (s->period && s->period <= PATTERN_MAX_BLKS * PA__KERNEL_BLK) {
        size_t count = s->period + PA__KERNEL_BLK;
        const char *piece = pa__bsrc_piece(s);
        /* Without it (out of memory) the reader copies instead. */
        s->pattern = malloc(count * s->es);
        for (size_t i = 0; s->pattern && i < count; i += s->period) {
            size_t m = count - i < s->period ? count - i : s->period;
            memcpy(s->pattern + i * s->es, piece, m * s->es);
        }
    }
}

void pa__bsrc_free(pa__bsrc *s)
{
    free(s->pattern);
    s->pattern = NULL;
}

const void *pa__bsrc_read(const pa__bsrc *s, size_t g, size_t len, void *buf)
{
    size_t es = s->es;
    if (s->ndim == 1 && s->stride[0] == 1)
        return s->data + ((ptrdiff_t)g - s->first) * (ptrdiff_t)es;
    if (s->period) {
        size_t ph = g % s->period;
        if (s->pattern)
            return s->pattern + ph * es;
        if (ph + len <= s->period)
            return pa__bsrc_piece(s) + ph * es;
    }
    /* g's index along each dimension, then runs along the innermost one. */
    size_t idx[PA_MAXDIM], rest = g;
    for (int k = s->ndim - 1; k >= 0; k--) {
        idx[k] = rest % s->dim[k];
        rest /= s->dim[k];
    }
    int in = s->ndim - 1;
    char *d = buf;
    for (size_t done = 0; done < len;) {
        ptrdiff_t off = -s->first;
        for (int k = 0; k < s->ndim; k++)
            off += (ptrdiff_t)idx[k] * s->stride[k];
        const char *src = s->data + off * (ptrdiff_t)es;
        size_t run = s->dim[in] - idx[in];
        if (run > len - done)
            run = len - done;
        if (s->stride[in] == 1)
            memcpy(d, src, run * es);
        else
            for (size_t i = 0; i < run; i++)
                memcpy(d + i * es, src, es);
        d += run * es;
        done += run;
        idx[in] += run;
        for (int k = in; k > 0 && idx[k] == s->dim[k]; k--) {
            idx[k] = 0;
            idx[k - 1]++;
        }
    }
    return buf;
}
