/* numpy.histogram over an array (pa_histogram, pa_histogram_edges): every
 * rank finds the range of its own span and counts its values into the
 * bins, and one allreduce sums the counts, exactly, so they are the same
 * for every layout. numpy/lib/histograms.py (_get_outer_edges, the
 * uniform-bins path of histogram, _search_sorted_inclusive) and
 * numpy.linspace are what is followed; scan.h states the rules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"

#define CHUNK 512 /* elements converted to double at a time */

/* Calls fn on this rank's elements of a, as doubles, a chunk at a time
 * (exact for every dtype but 64-bit integers beyond 2^53, which numpy
 * converts the same way). */
typedef void (*visit_fn)(const double *v, size_t n, void *arg);
static void visit(const pa_array *a, visit_fn fn, void *arg)
{
    size_t lo, hi;
    pa__local_range(a, &lo, &hi);
    double buf[CHUNK];
    for (size_t i = lo; i < hi; i += CHUNK) {
        size_t n = hi - i < CHUNK ? hi - i : CHUNK;
        pa__dtypes[a->dtype].to_f64(buf, pa__node_ptr(a, i), n);
        fn(buf, n, arg);
    }
}

/* The communicator a's elements are spread over: each node holds the whole
 * of a replicated array. */
static MPI_Comm hist_comm(const pa_array *a)
{
    return a->dist == PA_REPLICATED ? a->ctx->node_comm : a->ctx->comm;
}

/* ------------------------------------------------------------ the range */

/* The finite values' minimum and negated maximum, into arg's two
 * doubles (one MPI_MIN takes both). */
static void extent_of(const double *v, size_t n, void *arg)
{
    double *x = arg;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            x[0] = fmin(x[0], v[i]);
            x[1] = fmin(x[1], -v[i]);
        }
}

/* ------------------------------------------------------------ equal bins */

/* How values map to equal bins: numpy's estimate of the index is (x -
 * first) * norm, computed here on values times scale, which is 1/2 when
 * last - first overflows (halving is exact at that magnitude). */
typedef struct {
    int bins;
    const double *edges;
    double first, norm, scale;
} binning;

/* numpy.linspace(first, last, bins + 1) as numpy.histogram calls it: edge
 * i is i * step + first with step = (last - first) / bins, or (i / bins) *
 * (last - first) when step underflows to 0; the last edge is last. numpy
 * 1.x computes this in double for f32 and f16 arrays too and rounds each
 * edge to the array's dtype. When last - first overflows, the same is
 * computed on first / 2 and last / 2 and doubled, which gives the edges
 * numpy's formula gives with an unbounded exponent. */
static void make_edges(double first, double last, pa_dtype dt, binning *b, double *edges)
{
    int bins = b->bins;
    double scale = 1, delta = last - first;
    if (isinf(delta)) {
        scale = 0.5;
        delta = last * scale - first * scale;
    }
    double step = delta / bins, start = first * scale;
    for (int i = 0; i < bins; i++) {
        double y = step != 0 ? i * step : (double)i / bins * delta;
        edges[i] = (y + start) / scale;
    }
    edges[bins] = last;
    if (dt == PA_F32 || dt == PA_F16) /* rounded through the dtype, as numpy's astype */
        for (int i = 0; i <= bins; i++) {
            pa__elem e;
            pa__from_double(&e, dt, edges[i]);
            pa__dtypes[dt].to_f64(&edges[i], &e, 1);
        }
    b->edges = edges;
    b->first = start;
    b->norm = bins / delta; /* inf for a zero or subnormal width: see bin_of */
    b->scale = scale;
}

/* The last i in [lo, hi] with edges[i] <= x, or lo when there is none
 * (the edges do not decrease). */
static int last_edge_at_most(const double *edges, int lo, int hi, double x)
{
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (edges[mid] <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The bin of x, first <= x <= last: the largest i < bins with edges[i] <=
 * x. numpy's estimate is checked against the edges; where it is off (by
 * one near an edge, as numpy corrects, or by any amount when the norm
 * overflowed and the estimate is NaN or inf) a binary search over the
 * edges on the side of the estimate finds the bin. The estimate is
 * compared as a double before it becomes an index, so no value converts
 * out of range, and every loop ends. */
static int bin_of(const binning *b, double x)
{
    double f = (x * b->scale - b->first) * b->norm;
    int last = b->bins - 1;
    int i = f >= 0 && f < b->bins ? (int)f : f >= b->bins ? last : 0;
    int lo, hi;
    if (x < b->edges[i])
        lo = 0, hi = i - 1;
    else if (i < last && x >= b->edges[i + 1])
        lo = i + 1, hi = last;
    else
        return i;
    return hi < lo ? 0 : last_edge_at_most(b->edges, lo, hi, x);
}

/* A count in progress: bins counts, then nan, below and above, summed by
 * one allreduce; lo and hi bound the counted values. */
typedef struct {
    const binning *b; /* equal bins, or NULL: edges by search */
    const double *edges;
    int bins;
    double lo, hi;
    uint64_t *n; /* bins + 3 */
} counter;

static void count_uniform(const double *v, size_t n, void *arg)
{
    counter *c = arg;
    uint64_t *rest = c->n + c->bins;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (x >= c->lo && x <= c->hi)
            c->n[bin_of(c->b, x)]++;
        else
            rest[isnan(x) ? 0 : x < c->lo ? 1 : 2]++;
    }
}

/* Given edges: the last edge <= x by binary search (numpy's searchsorted
 * on the right), the last edge itself in the last bin. */
static void count_edges(const double *v, size_t n, void *arg)
{
    counter *c = arg;
    uint64_t *rest = c->n + c->bins;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!(x >= c->lo && x <= c->hi)) {
            rest[isnan(x) ? 0 : x < c->lo ? 1 : 2]++;
            continue;
        }
        c->n[last_edge_at_most(c->edges, 0, c->bins - 1, x)]++;
    }
}

/* Counts this rank's values with count and sums every rank's counts into
 * counts and rest. */
static int count_all(const char *fn, const pa_array *a, visit_fn count, counter *c,
                     uint64_t *counts, pa_hist_rest *rest)
{
    pa_ctx *ctx = a->ctx;
    MPI_Comm comm = hist_comm(a);
    size_t nv = (size_t)c->bins + 3;
    c->n = calloc(nv, sizeof *c->n);
    uint64_t *sum = malloc(nv * sizeof *sum);
    int rc = pa__agree(ctx, comm,
                       c->n && sum ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory"));
    if (rc == PA_OK) {
        visit(a, count, c);
        rc = pa__mpi(ctx, fn, MPI_Allreduce(c->n, sum, (int)nv, MPI_UINT64_T, MPI_SUM, comm),
                     "MPI_Allreduce");
    }
    if (rc == PA_OK) {
        memcpy(counts, sum, (size_t)c->bins * sizeof *counts);
        if (rest)
            *rest = (pa_hist_rest){sum[c->bins], sum[c->bins + 1], sum[c->bins + 2]};
    }
    free(c->n);
    free(sum);
    return rc;
}

/* ------------------------------------------------------------ entry points */

/* The checks both calls share. */
static int check_hist(const char *fn, const pa_array *a, int bins, const void *counts)
{
    pa_ctx *ctx = a->ctx;
    PA_CHECK_AS(ctx, fn, bins >= 1, PA_EINVAL, "bins = %d: must be at least 1", bins);
    PA_CHECK_AS(ctx, fn, counts, PA_EINVAL, "counts is NULL");
    PA_CHECK_AS(ctx, fn, !pa__dtype_is_complex(a->dtype), PA_ENOTSUP,
                "a is %s: a histogram of complex values is not defined (numpy's drops their "
                "imaginary parts): take their real part or absolute value first",
                pa_dtype_name(a->dtype));
    return PA_OK;
}

int pa_histogram(const pa_array *a, int bins, const double *range, double *edges,
                 uint64_t *counts, pa_hist_rest *rest)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, bins %d, range %.17g %.17g", PA_CC_ARRAY(a), bins,
                  range ? range[0] : NAN, range ? range[1] : NAN);
    PA_TRY(check_hist(__func__, a, bins, counts));
    PA_CHECK(ctx, edges, PA_EINVAL, "edges is NULL");
    double first, last;
    if (range) {
        PA_CHECK(ctx, isfinite(range[0]) && isfinite(range[1]) && range[0] <= range[1], PA_EINVAL,
                 "range = [%.17g, %.17g]: must be finite, the first <= the last", range[0],
                 range[1]);
        first = range[0];
        last = range[1];
    } else {
        double mine[2] = {INFINITY, INFINITY}, all[2];
        visit(a, extent_of, mine);
        PA_TRY(pa__mpi(ctx, __func__,
                       MPI_Allreduce(mine, all, 2, MPI_DOUBLE, MPI_MIN, hist_comm(a)),
                       "MPI_Allreduce"));
        first = all[0];
        last = -all[1];
        if (!isfinite(first)) { /* no finite value: numpy's range of an empty array */
            first = 0;
            last = 1;
        }
    }
    /* numpy widens a range of one value, in double (for f32 and f16 too). */
    if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    binning b = {.bins = bins};
    make_edges(first, last, a->dtype, &b, edges);
    /* A found range holds every finite value: only NaN and -inf and +inf
     * fall outside. */
    counter c = {.b = &b, .edges = edges, .bins = bins, .lo = first, .hi = last};
    int rc = count_all(__func__, a, count_uniform, &c, counts, rest);
    return PA_REPLICATED_RESULT(a, __func__, rc, counts, (size_t)bins * sizeof *counts);
}

int pa_histogram_edges(const pa_array *a, int bins, const double *edges, uint64_t *counts,
                       pa_hist_rest *rest)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, bins %d", PA_CC_ARRAY(a), bins);
    PA_TRY(check_hist(__func__, a, bins, counts));
    PA_CHECK(ctx, edges, PA_EINVAL, "edges is NULL");
    for (int i = 0; i <= bins; i++)
        PA_CHECK(ctx, !isnan(edges[i]) && (i == 0 || edges[i] >= edges[i - 1]), PA_EINVAL,
                 "edges[%d] = %.17g: the edges must not be NaN and must not decrease", i,
                 edges[i]);
    counter c = {.edges = edges, .bins = bins, .lo = edges[0], .hi = edges[bins]};
    int rc = count_all(__func__, a, count_edges, &c, counts, rest);
    return PA_REPLICATED_RESULT(a, __func__, rc, counts, (size_t)bins * sizeof *counts);
}
