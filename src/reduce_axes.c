/* Reductions over any axes of an N-D array (pa_reduce_axes): the axes
 * argument as numpy reads it, the result array's shape (keepdims) and
 * distribution, and the hand-over to reduce.c's engine, which reduces
 * the lines by the same fixed tree as pa_reduce. */
#include <stdio.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "reduce.h"
#include "reduce_complex.h"

/* The axes as text for messages and the collective check: "(0, -1)", or
 * "None" for every axis. */
static const char *axes_str(int naxes, const int *axes, char *buf, size_t cap)
{
    if (naxes == 0 || !axes)
        return snprintf(buf, cap, "None"), buf;
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < naxes && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %d" : "%d", axes[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, naxes == 1 ? ",)" : ")");
    return buf;
}

/* The reduced axes of a as a mask (bit k: axis k), numpy's way: negative
 * axes count from the end, none twice; no axes is every axis. */
static int axes_mask(const char *fn, const pa_array *a, int naxes, const int *axes,
                     unsigned *mask)
{
    pa_ctx *ctx = a->ctx;
    PA_CHECK_AS(ctx, fn, naxes >= 0 && naxes <= a->ndim && (naxes == 0 || axes), PA_EINVAL,
                "naxes = %d: must be 0 (every axis) to %d (a has %d axes), with axes not NULL",
                naxes, a->ndim, a->ndim);
    if (naxes == 0) {
        *mask = (1u << a->ndim) - 1;
        return PA_OK;
    }
    *mask = 0;
    for (int i = 0; i < naxes; i++) {
        int k = axes[i] < 0 ? axes[i] + a->ndim : axes[i];
        PA_CHECK_AS(ctx, fn, k >= 0 && k < a->ndim, PA_EINVAL,
                    "axis %d is out of bounds for an array of dimension %d", axes[i], a->ndim);
        PA_CHECK_AS(ctx, fn, !(*mask >> k & 1), PA_EINVAL, "axis %d is given twice", k);
        *mask |= 1u << k;
    }
    return PA_OK;
}

/* The result's shape: a's with the reduced axes left out, or set to 1
 * (keepdims). */
static int result_shape(const pa_array *a, unsigned mask, int keepdims, size_t *shape)
{
    int nd = 0;
    for (int k = 0; k < a->ndim; k++)
        if (!(mask >> k & 1))
            shape[nd++] = a->shape[k];
        else if (keepdims)
            shape[nd++] = 1;
    return nd;
}

static int reduce_axes(const char *fn, const pa_array *a, pa_reduce_op op, int naxes,
                       const int *axes, int keepdims, double ddof, pa_array **out)
{
    PA_TRY(pa__check_array(fn, a, "a"));
    pa_ctx *ctx = a->ctx;
    char ab[PA_MAXDIM * 16 + 8], sb[PA_MAXDIM * 24];
    PA_COLLECTIVE(ctx, fn, "%s, %s, axes %s, keepdims %d, ddof %.17g", PA_CC_ARRAY(a),
                  pa_reduce_name(op), axes_str(naxes, axes, ab, sizeof ab), keepdims != 0, ddof);
    PA_CHECK_AS(ctx, fn, out, PA_EINVAL, "out is NULL");
    *out = NULL;
    PA_CHECK_AS(ctx, fn, (int)op >= 0 && op < PA_NREDUCE, PA_EINVAL, "op %d is not a reduction",
                (int)op);
    unsigned mask = 0;
    PA_TRY(axes_mask(fn, a, naxes, axes, &mask));
    size_t shape[PA_MAXDIM];
    int nd = result_shape(a, mask, keepdims, shape);
    PA_CHECK_AS(ctx, fn, nd > 0, PA_EINVAL,
                "reducing every axis of %s gives a scalar: use pa_reduce_value, or keepdims for "
                "an array of shape (1, ..., 1)",
                pa__array_shape_str(a, sb, sizeof sb));
    pa__red_geom g;
    pa__red_geom_make(a, mask, &g);
    int scan_op = op == PA_RED_MIN || op == PA_RED_MAX || op == PA_RED_ARGMIN ||
                  op == PA_RED_ARGMAX;
    PA_CHECK_AS(ctx, fn, g.len > 0 || g.nout == 0 || !scan_op, PA_EINVAL,
                "%s over zero-size axes %s of %s has no value", pa_reduce_name(op), ab,
                pa__array_shape_str(a, sb, sizeof sb));
    int cplx = pa__dtype_is_complex(a->dtype) && op != PA_RED_ANY && op != PA_RED_ALL;
    pa_dtype rd = pa__reduce_dtype(op, cplx ? pa__dtype_real(a->dtype) : a->dtype);
    if (cplx && (op == PA_RED_SUM || op == PA_RED_MEAN))
        rd = pa__dtype_find(PA__KIND_COMPLEX, 16);
    pa_dist dist = g.keeps_rows ? a->dist : PA_REPLICATED;
    /* The real path writes every result (its ranks' outputs cover each
     * node's), so it skips the zeroing pass: a tenth of the bytes of a (n,
     * 10) row sum. The complex path leaves some imaginary parts to it. */
    if (cplx)
        PA_TRY(pa_array_create(ctx, rd, nd, shape, dist, out));
    else
        PA_TRY(pa__array_create_unset(ctx, rd, nd, shape, dist, out));
    int rc = PA_OK;
    if (g.nout > 0)
        rc = cplx ? pa__reduce_lines_complex(fn, a, op, ddof, &g, *out)
                  : pa__reduce_lines(fn, a, PA__PART_WHOLE, op, ddof, &g, *out);
    rc = pa__array_sync_agree(*out, rc);
    if (rc < 0)
        pa_array_free(out);
    return rc;
}

int pa_reduce_axes(const pa_array *a, pa_reduce_op op, int naxes, const int *axes, int keepdims,
                   pa_array **out)
{
    return reduce_axes(__func__, a, op, naxes, axes, keepdims, 0.0, out);
}

int pa_reduce_axes_ddof(const pa_array *a, pa_reduce_op op, int naxes, const int *axes,
                        int keepdims, double ddof, pa_array **out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_CHECK(a->ctx, op == PA_RED_VAR || op == PA_RED_STD, PA_EINVAL,
             "op %s: ddof applies to var and std only", pa_reduce_name(op));
    return reduce_axes(__func__, a, op, naxes, axes, keepdims, ddof, out);
}
