/* The reductions' serial reference for the reduction tests: the
 * documented tree written as a plain recursion (unlike the library's
 * blocked one), every reduction over lines of a host copy, the test
 * arrays' data, and numpy's result dtypes. Included by test_reduce.c and
 * test_reduce_axes.c after testutil.h and dtype.h. */
#ifndef PARRAY_TESTS_REDUCE_REF_H
#define PARRAY_TESTS_REDUCE_REF_H

#include <math.h>

/* ------------------------------------------------------------ the reference */

/* A line: element k is x[(off + k * stride)] as a double, transformed. */
typedef struct {
    const double *x, *y; /* the data as doubles; y for products */
    size_t off, stride;
    int xf; /* 0 x, 1 (x - mu)^2, 2 x^2, 3 x y */
    double mu;
} line;

static inline double leaf(const line *l, size_t k)
{
    double v = l->x[l->off + k * l->stride];
    switch (l->xf) {
    case 1: return (v - l->mu) * (v - l->mu);
    case 2: return v * v;
    case 3: return v * l->y[l->off + k * l->stride];
    default: return v;
    }
}

/* The documented tree. Leaves come in aligned blocks of 64, position
 * 8i + j of a block being row i of lane j. A lane is the pairwise sum of
 * its 8 rows, a block the pairwise sum of its 8 lanes, and node (L >= 6,
 * start) = left + right over [start, start + 2^L). Whatever lies wholly
 * past n is left out. */
static inline double rows_of_lane(const line *l, size_t n, size_t block, size_t lane, int L,
                                  size_t i0)
{
    if (L == 0)
        return leaf(l, block + 8 * i0 + lane);
    size_t half = (size_t)1 << (L - 1);
    double v = rows_of_lane(l, n, block, lane, L - 1, i0);
    if (block + 8 * (i0 + half) + lane >= n)
        return v;
    return v + rows_of_lane(l, n, block, lane, L - 1, i0 + half);
}

static inline double lanes_of_block(const line *l, size_t n, size_t block, int L, size_t j0)
{
    if (L == 0)
        return rows_of_lane(l, n, block, j0, 3, 0);
    size_t half = (size_t)1 << (L - 1);
    double v = lanes_of_block(l, n, block, L - 1, j0);
    if (block + j0 + half >= n)
        return v;
    return v + lanes_of_block(l, n, block, L - 1, j0 + half);
}

static inline double node(const line *l, int L, size_t start, size_t n)
{
    if (L == 6)
        return lanes_of_block(l, n, start, 3, 0);
    size_t half = (size_t)1 << (L - 1);
    double v = node(l, L - 1, start, n);
    if (start + half >= n)
        return v;
    return v + node(l, L - 1, start + half, n);
}

static inline double tree(const line *l, size_t n)
{
    if (n == 0)
        return 0;
    int L = 6;
    while (((size_t)1 << L) < n)
        L++;
    return node(l, L, 0, n);
}

/* The data of test arrays: deterministic, a mix of signs and magnitudes
 * (so that the summation order shows in the last bits), exact in every
 * dtype: floats rounded to the dtype, integers within +-10^6 and the
 * dtype's range. */
static inline double val(size_t i, pa_dtype d)
{
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    const pa__dtype_info *t = &pa__dtypes[d];
    if (!pa__dtype_is_int(d)) {
        double v = ((double)(h >> 11) * 0x1p-53 - 0.5) * pow(10, (double)(h % 7) - 3);
        pa__elem e;
        t->from_f64(&e, &v, 1);
        t->to_f64(&v, &e, 1);
        return v;
    }
    uint64_t span = t->max < 1000000 ? t->max : 1000000;
    if (t->min < 0) /* [-span, span] */
        return (double)((int64_t)(h % (2 * span + 1)) - (int64_t)span);
    return (double)(h % (span + 1));
}

static inline pa_array *make_array(pa_ctx *c, pa_dtype d, int ndim, const size_t *shape,
                                   pa_dist dist, double **host)
{
    pa_array *a = NULL;
    int rc = pa_array_create(c, d, ndim, shape, dist, &a);
    TU_RC(rc, PA_OK, c);
    size_t n = pa_array_size(a), es = pa_dtype_size(d);
    double *x = malloc(sizeof(double) * (n ? n : 1));
    char *buf = malloc(es * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        x[i] = val(i, d);
        pa__from_double(buf + i * es, d, x[i]);
    }
    rc = pa_array_scatter(a, 0, buf);
    if (c != self)
        TU_RC(rc, PA_OK, c);
    free(buf);
    if (host)
        *host = x;
    else
        free(x);
    return a;
}

/* The reference of op over nl lines of length n each (line j starts at
 * j * lstep, elements step apart). */
static inline void ref_reduce(pa_reduce_op op, const double *x, int is_int, size_t nl,
                              size_t lstep, size_t n, size_t step, double *out)
{
    for (size_t j = 0; j < nl; j++) {
        line l = {x, NULL, j * lstep, step, 0, 0};
        double s = tree(&l, n);
        switch (op) {
        case PA_RED_SUM:
            if (is_int) { /* exact */
                int64_t t = 0;
                for (size_t k = 0; k < n; k++)
                    t += (int64_t)x[j * lstep + k * step];
                s = (double)t;
            }
            out[j] = s;
            break;
        case PA_RED_MEAN: out[j] = s / (double)n; break;
        case PA_RED_VAR:
        case PA_RED_STD:
            l.xf = 1;
            l.mu = s / (double)n;
            out[j] = tree(&l, n) / (double)n;
            if (op == PA_RED_STD)
                out[j] = sqrt(out[j]);
            break;
        case PA_RED_NORM2:
            l.xf = 2;
            out[j] = sqrt(tree(&l, n));
            break;
        case PA_RED_ANY:
        case PA_RED_ALL: {
            size_t nonzero = 0;
            for (size_t k = 0; k < n; k++)
                nonzero += x[j * lstep + k * step] != 0;
            out[j] = op == PA_RED_ANY ? nonzero > 0 : nonzero == n;
            break;
        }
        default: {
            int mx = op == PA_RED_MAX || op == PA_RED_ARGMAX;
            size_t best = 0;
            for (size_t k = 1; k < n; k++) {
                double v = x[j * lstep + k * step], b = x[j * lstep + best * step];
                if (mx ? v > b : v < b)
                    best = k;
            }
            out[j] = op == PA_RED_ARGMIN || op == PA_RED_ARGMAX ? (double)best
                                                                : x[j * lstep + best * step];
        }
        }
    }
}

static inline int same_bits(const double *a, const double *b, size_t n, size_t *first)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(double)) != 0) {
            *first = i;
            return 0;
        }
    return 1;
}

/* The first dtype from d on that has the tree sums and scans (not a
 * complex one), or PA_NDTYPES. */
static inline int tree_dtype(int d)
{
    while (d < PA_NDTYPES && pa__dtype_is_complex((pa_dtype)d))
        d++;
    return d;
}

/* The dtype of kind k and size bytes, or PA_NDTYPES. */
static inline pa_dtype dtype_of(pa__kind k, size_t size)
{
    for (int d = 0; d < PA_NDTYPES; d++)
        if (pa__dtypes[d].kind == k && pa__dtypes[d].size == size)
            return (pa_dtype)d;
    return PA_NDTYPES;
}

/* numpy's result type of op on d (numpy on Linux), as parray holds it:
 * integer sums in the 8-byte dtype of their kind (i64 for a kind that
 * has none), float results in f64, indices in i64, any and all as u8
 * while there is no bool dtype (the kind says bool). */
static inline pa_dtype result_dtype(pa_reduce_op op, pa_dtype d, char *kind)
{
    pa_dtype i64 = dtype_of(PA__KIND_SINT, 8), f64 = dtype_of(PA__KIND_FLOAT, 8), r = d;
    switch (op) {
    case PA_RED_SUM:
        r = dtype_of(pa__dtypes[d].kind, 8);
        r = r == PA_NDTYPES ? i64 : r;
        break;
    case PA_RED_ARGMIN:
    case PA_RED_ARGMAX: r = i64; break;
    case PA_RED_ANY:
    case PA_RED_ALL:
        r = dtype_of(PA__KIND_BOOL, 1);
        r = r == PA_NDTYPES ? dtype_of(PA__KIND_UINT, 1) : r;
        *kind = 'b';
        return r;
    case PA_RED_MIN:
    case PA_RED_MAX: break;
    default: r = f64;
    }
    static const char kinds[] = {[PA__KIND_BOOL] = 'b',
                                 [PA__KIND_SINT] = 'i',
                                 [PA__KIND_UINT] = 'u',
                                 [PA__KIND_FLOAT] = 'f',
                                 [PA__KIND_COMPLEX] = 'c'};
    *kind = kinds[pa__dtypes[r].kind];
    return r;
}

/* 1 when the exact results v[0 .. n) of op on d have numpy's result type
 * and, as doubles, the bits of got[0 .. n) (pa_reduce's); *first is the
 * first that differs. */
static inline int values_match(const pa_value *v, const double *got, size_t n, pa_reduce_op op,
                               pa_dtype d, size_t *first)
{
    char kind;
    pa_dtype want = result_dtype(op, d, &kind);
    for (size_t i = 0; i < n; i++) {
        double x = pa_value_double(&v[i]);
        if (v[i].dtype != want || v[i].kind != kind || memcmp(&x, &got[i], sizeof x) != 0) {
            *first = i;
            return 0;
        }
    }
    return 1;
}

#endif
