/* Reductions of the complex dtypes from the real tree sums: reduce.c sums
 * a complex array's real parts, then its imaginary parts, each read in
 * place from its elements (pa__part) by the fixed tree of a real array,
 * and each result combines the parts' results. A leaf is thus two
 * doubles, so every result is bit-identical for every rank count and node
 * layout as the real ones are, and no copy of the array is made. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compute.h"
#include "dtype.h"
#include "reduce_complex.h"

/* The result of op from its parts' results re and im (their sums for sum
 * and mean, over lines of len elements): *r (and *i for a complex result,
 * which it returns 1 for). */
static int combine(pa_reduce_op op, double re, double im, double len, double *r, double *i)
{
    *i = 0;
    switch (op) {
    /* numpy divides the complex sum by the complex n + 0j (Smith's
     * algorithm), so that a NaN or an inf in one part makes the other NaN
     * too: the same here, term for term. */
    case PA_RED_MEAN:
        *r = (re + im * 0.0) / len;
        *i = (im - re * 0.0) / len;
        return 1;
    case PA_RED_NORM2:
        *r = hypot(re, im);
        return 0; /* |z|^2 = re^2 + im^2 */
    /* The variance of z is the sum of its parts' (numpy's, real). */
    case PA_RED_VAR: *r = re + im; return 0;
    case PA_RED_STD: *r = sqrt(re + im); return 0;
    default: *r = re, *i = im; return 1; /* sum */
    }
}

/* Result j: re + im i as a c128 value (cplx), or the real re as f64. */
static void put(void *out, int typed, size_t j, int cplx, double re, double im)
{
    if (!typed) {
        ((double *)out)[j] = re;
        return;
    }
    pa_value *v = (pa_value *)out + j;
    memset(v, 0, sizeof *v); /* the replicated check hashes every byte */
    v->kind = cplx ? 'c' : 'f';
    v->dtype = cplx ? pa__dtype_find(PA__KIND_COMPLEX, 16) : pa__dtype_find(PA__KIND_FLOAT, 8);
    if (cplx) {
        v->v.c[0] = re;
        v->v.c[1] = im;
    } else {
        v->v.f = re;
    }
}

/* The reduction of each part whose results op's combine: the parts'
 * variances for var and std, their sums for mean. */
static pa_reduce_op part_op(pa_reduce_op op)
{
    return op == PA_RED_VAR || op == PA_RED_STD ? PA_RED_VAR
           : op == PA_RED_MEAN                  ? PA_RED_SUM
                                                : op;
}

/* Whether the complex reductions have op (the checks before them let no
 * other op through). */
static int has_op(pa_reduce_op op)
{
    return op == PA_RED_SUM || op == PA_RED_MEAN || op == PA_RED_NORM2 || op == PA_RED_VAR ||
           op == PA_RED_STD;
}

int pa__reduce_complex(const char *fn, const pa_array *a, pa_reduce_op op, int axis, double ddof,
                       void *out, int typed, size_t nout)
{
    pa_ctx *ctx = a->ctx;
    PA_CHECK_AS(ctx, fn, has_op(op), PA_ENOTSUP, "%s is not defined for %s", pa_reduce_name(op),
                pa_dtype_name(a->dtype));
    double *re = malloc(sizeof(double) * (2 * nout + 1)), *im = re + nout;
    int rc = pa__agree(ctx, ctx->comm, re ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory"));
    if (rc < 0) {
        free(re);
        return rc;
    }
    double len = (double)(axis < 0 ? a->size : a->shape[axis]); /* of each reduced line */
    rc = pa__reduce_parts(fn, a, part_op(op), axis, ddof, re, nout);
    for (size_t j = 0; rc == PA_OK && j < nout; j++) {
        double r, i;
        int cplx = combine(op, re[j], im[j], len, &r, &i);
        put(out, typed, j, cplx, r, i);
    }
    free(re);
    return rc;
}

int pa__reduce_lines_complex(const char *fn, const pa_array *a, pa_reduce_op op, double ddof,
                             const pa__red_geom *g, pa_array *out)
{
    pa_ctx *ctx = a->ctx;
    PA_CHECK_AS(ctx, fn, has_op(op), PA_ENOTSUP,
                "%s is not defined for %s (complex numbers have no order)", pa_reduce_name(op),
                pa_dtype_name(a->dtype));
    pa_array *res[2] = {NULL, NULL};
    int rc = PA_OK;
    for (int k = 0; k < 2 && rc == PA_OK; k++) {
        rc = pa_array_create(ctx, pa__dtype_find(PA__KIND_FLOAT, 8), out->ndim, out->shape,
                             out->dist, &res[k]);
        if (rc == PA_OK)
            rc = pa__array_sync_agree(res[k],
                                      pa__reduce_lines(fn, a, k ? PA__PART_IM : PA__PART_RE,
                                                       part_op(op), ddof, g, res[k]));
    }
    if (rc == PA_OK) {
        /* Each rank combines its own span of out from the same span of the
         * parts' results (one shape and distribution, one partition). */
        size_t lo, hi;
        pa__local_range(out, &lo, &hi);
        const double *re = pa__node_ptr(res[0], 0), *im = pa__node_ptr(res[1], 0);
        for (size_t j = lo; j < hi; j++) {
            double r, i;
            double *o = pa__node_ptr(out, j);
            if (combine(op, re[j], im[j], (double)g->len, &r, &i))
                o[1] = i;
            o[0] = r;
        }
    }
    pa_array_free(&res[0]);
    pa_array_free(&res[1]);
    return rc;
}

int pa__vdot_complex(const char *fn, const pa_array *a, const pa_array *b, pa_value *out)
{
    /* conj(a) b = (ar br + ai bi) + (ar bi - ai br) i. */
    static const pa__part parts[4] = {PA__PART_RE, PA__PART_IM, PA__PART_RE_IM, PA__PART_IM_RE};
    double d[4];
    int rc = pa__dot_parts(fn, a, b, parts, 4, d);
    double rr = d[0], ii = d[1], ri = d[2], ir = d[3];
    if (rc == PA_OK)
        put(out, 1, 0, 1, rr + ii, ri - ir);
    return rc;
}
