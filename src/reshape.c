/* Reshapes, row slices, column takes, concatenation, transposes and
 * redistribution (include/parray/reshape.h): each checks its arguments,
 * creates its result and fills it, through the redistribution engine
 * (redist.c) where elements cross nodes, or row by row inside each node
 * where the result keeps its source's rows (column takes, concatenation
 * along axis 1). Argument checks are the same on every rank that passes
 * the same arguments, so they need no agreement. Every call writes each
 * element of its result, so the result is not zeroed first. */
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "redist.h"

/* Runs p into *out, which the caller created; frees it on failure. */
static int fill(pa__redist_plan p, const char *fn, pa_array **out)
{
    int rc = pa__redist_run(&p, fn);
    if (rc < 0)
        pa_array_free(out);
    return rc;
}

int pa_reshape(pa_array *src, int ndim, const size_t *shape, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_TRY(pa__check_array(__func__, src, "src"));
    pa_ctx *ctx = src->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, %s", PA_CC_ARRAY(src), PA_CC_SHAPE(ndim, shape));
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    PA_CHECK(ctx, shape, PA_EINVAL, "shape is NULL");
    PA_CHECK(ctx, ndim >= 1 && ndim <= PA_MAXDIM, PA_EINVAL, "ndim = %d is not in [1, %d]", ndim,
             PA_MAXDIM);
    /* The product, skipping a factor that would overflow (then it can
     * only match through a later 0). */
    size_t size = 1;
    int fits = 1, zero = 0;
    for (int i = 0; i < ndim; i++) {
        zero |= shape[i] == 0;
        if (shape[i] && size > SIZE_MAX / shape[i])
            fits = 0;
        else
            size *= shape[i];
    }
    char sb[PA_MAXDIM * 24];
    PA_CHECK(ctx, (fits || zero) && size == src->size, PA_EINVAL,
             "shape: cannot reshape array of size %zu into shape %s", src->size,
             pa__shape_str(ndim, shape, sb, sizeof sb));
    PA_TRY(pa__array_create_unset(ctx, src->dtype, ndim, shape, src->dist, out));
    return fill(pa__redist_flat(src, *out, 0), __func__, out);
}

/* numpy's slice.indices: a bound that was left out, counted from the end,
 * or past an end, made a row index (or -1 before the first row, for a
 * negative step). */
static int64_t slice_bound(int64_t b, int64_t n, int64_t step, int is_start)
{
    int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
    if (b == PA_SLICE_NONE)
        return (step < 0) == is_start ? upper : lower;
    if (b < 0) {
        b += n;
        return b < lower ? lower : b;
    }
    return b > upper ? upper : b;
}

int pa_slice_rows(pa_array *src, int64_t start, int64_t stop, int64_t step, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_TRY(pa__check_array(__func__, src, "src"));
    pa_ctx *ctx = src->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, %lld:%lld:%lld", PA_CC_ARRAY(src), (long long)start,
                  (long long)stop, (long long)step);
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    PA_CHECK(ctx, step != 0, PA_EINVAL, "step: slice step cannot be zero");
    PA_CHECK(ctx, step != PA_SLICE_NONE, PA_EINVAL, "step %lld is out of range", (long long)step);
    PA_CHECK(ctx, src->shape[0] <= INT64_MAX, PA_EINVAL, "src has too many rows to slice");
    int64_t n = (int64_t)src->shape[0];
    int64_t a = slice_bound(start, n, step, 1), b = slice_bound(stop, n, step, 0), count = 0;
    if (step > 0 && b > a)
        count = (b - a - 1) / step + 1;
    else if (step < 0 && a > b)
        count = (a - b - 1) / -step + 1;
    size_t shape[PA_MAXDIM];
    memcpy(shape, src->shape, sizeof(size_t) * (size_t)src->ndim);
    shape[0] = (size_t)count;
    PA_TRY(pa__array_create_unset(ctx, src->dtype, src->ndim, shape, src->dist, out));
    return fill(pa__redist_slice(src, *out, a, step), __func__, out);
}

/* Destination columns, in order, as runs of consecutive source columns. */
typedef struct {
    const pa_array *src;
    size_t col, len;
} col_run;

/* Not collective on its own: fills this rank's span of the 2-D dst from
 * the runs, row by row, reading each source's rows of this node (the same
 * rows as dst's, or all rows of a replicated source). */
static void take_runs(pa_array *dst, const col_run *runs, size_t nruns)
{
    size_t lo, hi, n = dst->shape[1], es = dst->part.elsize;
    pa__local_range(dst, &lo, &hi);
    for (size_t e = lo; e < hi;) {
        size_t r = e / n, c = e % n, end = r * n + n < hi ? n : hi - r * n, at = 0;
        size_t row = dst->row0 + r;
        char *to = pa__node_ptr(dst, e);
        for (size_t k = 0; k < nruns && c < end; at += runs[k++].len) {
            if (at + runs[k].len <= c)
                continue;
            const pa_array *s = runs[k].src;
            size_t take = (at + runs[k].len < end ? at + runs[k].len : end) - c;
            size_t from = (row - s->row0) * s->shape[1] + runs[k].col + (c - at);
            memcpy(to, s->block.base + from * es, take * es);
            to += take * es;
            c += take;
        }
        e = r * n + end;
    }
}

/* Creates *out of shape (rows, cols) with dist and fills it from the runs
 * inside each node; frees it on failure. */
static int take_into(pa_array *like, pa_dist dist, size_t rows, size_t cols, const col_run *runs,
                     size_t nruns, pa_array **out)
{
    size_t shape[2] = {rows, cols};
    PA_TRY(pa__array_create_unset(like->ctx, like->dtype, 2, shape, dist, out));
    take_runs(*out, runs, nruns);
    int rc = pa__array_sync_agree(*out, PA_OK);
    if (rc < 0)
        pa_array_free(out);
    return rc;
}

int pa_take_cols(pa_array *src, const int64_t *idx, size_t n, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_TRY(pa__check_array(__func__, src, "src"));
    pa_ctx *ctx = src->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, %zu columns", PA_CC_ARRAY(src), n);
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    char sb[PA_MAXDIM * 24];
    PA_CHECK(ctx, src->ndim == 2, PA_EINVAL, "src of shape %s is not 2-D",
             pa__shape_str(src->ndim, src->shape, sb, sizeof sb));
    PA_CHECK(ctx, idx || n == 0, PA_EINVAL, "idx is NULL");
    int64_t m = (int64_t)src->shape[1];
    for (size_t i = 0; i < n; i++)
        PA_CHECK(ctx, idx[i] >= -m && idx[i] < m, PA_EINVAL,
                 "idx[%zu] = %lld is out of bounds for axis 1 with size %lld", i,
                 (long long)idx[i], (long long)m);
    col_run *runs = malloc(sizeof *runs * (n ? n : 1));
    int rc = runs ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++) {
        size_t col = (size_t)(idx[i] < 0 ? idx[i] + m : idx[i]);
        if (nruns && runs[nruns - 1].col + runs[nruns - 1].len == col)
            runs[nruns - 1].len++;
        else
            runs[nruns++] = (col_run){src, col, 1};
    }
    rc = take_into(src, src->dist, src->shape[0], n, runs, nruns, out);
    free(runs);
    return rc;
}

/* The checks of pa_concat, in numpy's words: srcs share the context, the
 * dtype, the number of dimensions and every dimension but axis. */
static int check_concat(pa_ctx *ctx, pa_array *const *srcs, int n, int axis)
{
    const pa_array *a = srcs[0];
    for (int i = 1; i < n; i++) {
        const pa_array *b = srcs[i];
        PA_CHECK_AS(ctx, "pa_concat", b, PA_EINVAL, "srcs[%d] is NULL", i);
        PA_CHECK_AS(ctx, "pa_concat", b->ctx == ctx, PA_EINVAL,
                    "srcs[%d] belongs to another context than srcs[0]", i);
        PA_CHECK_AS(ctx, "pa_concat", b->dtype == a->dtype, PA_EINVAL,
                    "srcs[%d] is %s, but srcs[0] is %s (convert with pa_astype)", i,
                    pa_dtype_name(b->dtype), pa_dtype_name(a->dtype));
        PA_CHECK_AS(ctx, "pa_concat", b->ndim == a->ndim, PA_EINVAL,
                    "all the input arrays must have same number of dimensions, but the array at "
                    "index 0 has %d dimension(s) and the array at index %d has %d dimension(s)",
                    a->ndim, i, b->ndim);
        for (int d = 0; d < a->ndim; d++)
            PA_CHECK_AS(ctx, "pa_concat", d == axis || b->shape[d] == a->shape[d], PA_EINVAL,
                        "all the input array dimensions except for the concatenation axis must "
                        "match exactly, but along dimension %d, the array at index 0 has size "
                        "%zu and the array at index %d has size %zu",
                        d, a->shape[d], i, b->shape[d]);
    }
    return PA_OK;
}

int pa_concat(pa_array *const *srcs, int n, int axis, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_CHECK(NULL, srcs, PA_EINVAL, "srcs is NULL");
    PA_CHECK(NULL, n >= 1, PA_EINVAL, "n = %d: need at least one array to concatenate", n);
    PA_TRY(pa__check_array(__func__, srcs[0], "srcs[0]"));
    pa_ctx *ctx = srcs[0]->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, %d arrays, axis %d", PA_CC_ARRAY(srcs[0]), n, axis);
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    int nd = srcs[0]->ndim;
    PA_CHECK(ctx, axis >= -nd && axis < nd, PA_EINVAL,
             "axis %d is out of bounds for arrays of dimension %d", axis, nd);
    axis = axis < 0 ? axis + nd : axis;
    PA_CHECK(ctx, axis == 0 || nd == 2, PA_EINVAL,
             "axis %d: arrays are concatenated along axis 0, or axis 1 of 2-D arrays", axis);
    PA_TRY(check_concat(ctx, srcs, n, axis));
    size_t shape[PA_MAXDIM];
    memcpy(shape, srcs[0]->shape, sizeof(size_t) * (size_t)nd);
    shape[axis] = 0;
    pa_dist dist = PA_REPLICATED;
    for (int i = 0; i < n; i++) {
        shape[axis] += srcs[i]->shape[axis];
        if (srcs[i]->dist == PA_DISTRIBUTED)
            dist = PA_DISTRIBUTED;
    }
    if (axis == 1) {
        /* A distributed result has the distributed sources' rows on each
         * node, and a replicated source has them all: no data moves. */
        col_run *runs = malloc(sizeof *runs * (size_t)n);
        int rc = runs ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
        PA_TRY(pa__agree(ctx, ctx->comm, rc));
        for (int i = 0; i < n; i++)
            runs[i] = (col_run){srcs[i], 0, srcs[i]->shape[1]};
        rc = take_into(srcs[0], dist, shape[0], shape[1], runs, (size_t)n, out);
        free(runs);
        return rc;
    }
    PA_TRY(pa__array_create_unset(ctx, srcs[0]->dtype, nd, shape, dist, out));
    int rc = PA_OK;
    for (size_t i = 0, offset = 0; i < (size_t)n && rc == PA_OK; offset += srcs[i++]->size) {
        pa__redist_plan p = pa__redist_flat(srcs[i], *out, offset);
        rc = pa__redist_run(&p, __func__);
    }
    if (rc < 0)
        pa_array_free(out);
    return rc;
}

int pa_transpose(pa_array *src, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_TRY(pa__check_array(__func__, src, "src"));
    pa_ctx *ctx = src->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s", PA_CC_ARRAY(src));
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    char sb[PA_MAXDIM * 24];
    PA_CHECK(ctx, src->ndim == 2, PA_EINVAL, "src of shape %s is not 2-D",
             pa__shape_str(src->ndim, src->shape, sb, sizeof sb));
    size_t shape[2] = {src->shape[1], src->shape[0]};
    PA_TRY(pa__array_create_unset(ctx, src->dtype, 2, shape, src->dist, out));
    return fill(pa__redist_transpose(src, *out), __func__, out);
}

int pa_redistribute(pa_array *src, pa_dist dist, pa_array **out)
{
    if (out)
        *out = NULL;
    PA_TRY(pa__check_array(__func__, src, "src"));
    pa_ctx *ctx = src->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, %s", PA_CC_ARRAY(src), pa__cc_dist(dist));
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    PA_CHECK(ctx, dist == PA_DISTRIBUTED || dist == PA_REPLICATED, PA_EINVAL,
             "dist %d is neither PA_DISTRIBUTED nor PA_REPLICATED", (int)dist);
    PA_TRY(pa__array_create_unset(ctx, src->dtype, src->ndim, src->shape, dist, out));
    return fill(pa__redist_flat(src, *out, 0), __func__, out);
}
