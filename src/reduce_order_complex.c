/* min, max, argmin and argmax of the complex dtypes in numpy's order:
 * lexicographic, the real parts first, then the imaginary ones. Each rank
 * scans the elements of its own span into one partial per result, and one
 * MPI_Allreduce with a commutative merge combines them; the merge gives
 * the same result in every order, so the results are the same bits for
 * every rank count and node layout. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compute.h"
#include "dtype.h"
#include "reduce_complex.h"

/* A partial min or max over some elements of a line. best is the best
 * value by the order below; idx the first position of a value equal to it
 * as numpy compares (-0.0 == +0.0: argmin and argmax give the first of
 * those); nanv the first element with a NaN part and nidx its position
 * (numpy propagates it: it is the min, the max, and their index). */
typedef struct {
    double best[2], nanv[2];
    uint64_t idx, nidx;
    int32_t has, nan, want_max, pad;
} cscan;

/* The value order: numpy's lexicographic one, and where that finds two
 * values equal, -0.0 below +0.0 in the real part, then in the imaginary
 * part, so that the min of zeros has the negative zeros and the max the
 * positive ones, whatever the order the elements come in. Returns < 0, 0
 * or > 0; *equal is set when numpy finds x and y equal. */
static int order(const double *x, const double *y, int *equal)
{
    *equal = 0;
    for (int k = 0; k < 2; k++)
        if (x[k] != y[k])
            return x[k] < y[k] ? -1 : 1;
    *equal = 1;
    for (int k = 0; k < 2; k++)
        if (signbit(x[k]) != signbit(y[k]))
            return signbit(x[k]) ? -1 : 1;
    return 0;
}

/* Takes the value z at position pos into s (positions come to s in
 * increasing order, or through cscan_merge). */
static void cscan_take(cscan *s, const double *z, uint64_t pos)
{
    int equal = 0, c = s->has ? order(z, s->best, &equal) : -1;
    if (s->want_max && s->has)
        c = -c;
    if (equal && pos < s->idx)
        s->idx = pos; /* numpy's first of the equal values */
    else if (!equal && c < 0)
        s->idx = pos;
    if (c < 0) {
        s->best[0] = z[0];
        s->best[1] = z[1];
        s->has = 1;
    }
}

static void cscan_nan(cscan *s, const double *z, uint64_t pos)
{
    if (!s->nan || pos < s->nidx) {
        s->nan = 1;
        s->nidx = pos;
        s->nanv[0] = z[0];
        s->nanv[1] = z[1];
    }
}

/* MPI_User_function: inout[i] = the merge of in[i] and inout[i]. */
static void cscan_merge(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    const cscan *b = in;
    cscan *a = inout;
    for (int i = 0; i < *len; i++) {
        if (b[i].nan)
            cscan_nan(&a[i], b[i].nanv, b[i].nidx);
        if (b[i].has)
            cscan_take(&a[i], b[i].best, b[i].idx);
    }
}

/* Scans n elements at x (stride apart, in elements) into the lines at s
 * (line_step apart: 0 keeps one line, 1 gives each element its own), at
 * positions pos0, pos0 + pos_step, ... A line that holds a NaN takes
 * nothing more: its later elements cannot change its result. */
typedef void (*cscan_fn)(const void *x, size_t n, cscan *s, size_t line_step, uint64_t pos0,
                         uint64_t pos_step);
#define CSCAN_FN(C, DT, nm, T, U, KIND, ...) PA__WHEN(PA__IS_COMPLEX(KIND), CSCAN_FN_(DT, U))
#define CSCAN_FN_(DT, U)                                                                         \
    static void cscan_##DT(const void *x, size_t n, cscan *s, size_t line_step, uint64_t pos0,   \
                           uint64_t pos_step)                                                    \
    {                                                                                            \
        const U *p = x;                                                                          \
        for (size_t k = 0; k < n; k++) {                                                         \
            cscan *l = s + k * line_step;                                                        \
            double z[2] = {p[2 * k], p[2 * k + 1]};                                              \
            uint64_t pos = pos0 + k * pos_step;                                                  \
            if (l->nan)                                                                          \
                continue;                                                                        \
            if (isnan(z[0]) || isnan(z[1]))                                                      \
                cscan_nan(l, z, pos);                                                            \
            else                                                                                 \
                cscan_take(l, z, pos);                                                           \
        }                                                                                        \
    }
PA_DTYPE_LIST_WITH(CSCAN_FN, ~)
#define CSCAN_ENTRY(C, DT, nm, T, U, KIND, ...)                                                  \
    PA__WHEN(PA__IS_COMPLEX(KIND), [PA_##DT] = cscan_##DT, )
static const cscan_fn cscan_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(CSCAN_ENTRY, ~)};

/* This rank's elements of a into the nout lines at s along axis: the
 * whole array (-1), its columns (0) or its rows (1), row by row. */
static void scan_span(const pa_array *a, int axis, cscan *s)
{
    cscan_fn fn = cscan_table[a->dtype];
    size_t lo, hi, c = a->rowsize, g0 = a->row0 * c;
    pa__local_range(a, &lo, &hi);
    while (lo < hi) {
        size_t row = (g0 + lo) / c, col = (g0 + lo) % c;
        size_t n = c - col < hi - lo ? c - col : hi - lo;
        const void *x = pa__node_ptr(a, lo);
        if (axis < 0)
            fn(x, n, s, 0, g0 + lo, 1);
        else if (axis == 0)
            fn(x, n, s + col, 1, row, 0);
        else
            fn(x, n, s + row, 0, col, 1);
        lo += n;
    }
}

/* Collective over comm. Merges every rank's partials s[0 .. nout) into
 * each rank's s. */
static int merge_all(pa_ctx *ctx, MPI_Comm comm, cscan *s, size_t nout)
{
    MPI_Datatype t;
    MPI_Op op;
    PA_MPI(ctx, MPI_Type_contiguous((int)sizeof(cscan), MPI_BYTE, &t));
    int rc = pa__mpi(ctx, __func__, MPI_Type_commit(&t), "MPI_Type_commit");
    if (rc == PA_OK)
        rc = pa__mpi(ctx, __func__, MPI_Op_create(cscan_merge, 1, &op), "MPI_Op_create");
    if (rc == PA_OK) {
        rc = pa__mpi(ctx, __func__, MPI_Allreduce(MPI_IN_PLACE, s, (int)nout, t, op, comm),
                     "MPI_Allreduce");
        MPI_Op_free(&op);
    }
    MPI_Type_free(&t);
    return rc;
}

/* Result j from its merged partial s: the index (i64) or the value (a's
 * dtype), into pa_values (typed) or doubles. */
static void put(const pa_array *a, void *out, int typed, size_t j, const cscan *s, int want_index)
{
    uint64_t idx = s->nan ? s->nidx : s->idx;
    const double *z = s->nan ? s->nanv : s->best;
    if (!typed) {
        ((double *)out)[j] = (double)idx; /* the caller refuses values into doubles */
        return;
    }
    pa_value *v = (pa_value *)out + j;
    memset(v, 0, sizeof *v); /* the replicated check hashes every byte */
    if (want_index) {
        v->dtype = pa__dtype_find(PA__KIND_SINT, 8);
        v->kind = 'i';
        v->v.i = (int64_t)idx;
    } else {
        v->dtype = a->dtype;
        v->kind = 'c';
        v->v.c[0] = z[0];
        v->v.c[1] = z[1];
    }
}

int pa__reduce_order_complex(const char *fn, const pa_array *a, pa_reduce_op op, int axis,
                             void *out, int typed, size_t nout)
{
    pa_ctx *ctx = a->ctx;
    int want_index = op == PA_RED_ARGMIN || op == PA_RED_ARGMAX;
    PA_CHECK_AS(ctx, fn, typed || want_index, PA_ENOTSUP,
                "the %s of %s is complex, which a double cannot hold: use pa_reduce_value",
                pa_reduce_name(op), pa_dtype_name(a->dtype));
    MPI_Comm comm = a->dist == PA_REPLICATED ? ctx->node_comm : ctx->comm;
    cscan *s = calloc(nout ? nout : 1, sizeof *s);
    int rc = pa__agree(ctx, comm, s ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory"));
    if (rc < 0) {
        free(s);
        return rc;
    }
    for (size_t j = 0; j < nout; j++)
        s[j].want_max = op == PA_RED_MAX || op == PA_RED_ARGMAX;
    scan_span(a, axis, s);
    rc = merge_all(ctx, comm, s, nout);
    for (size_t j = 0; rc == PA_OK && j < nout; j++)
        put(a, out, typed, j, &s[j], want_index);
    free(s);
    return rc;
}
