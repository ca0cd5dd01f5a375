/* numpy.histogram's equal bins over a distributed array: every rank finds
 * the range and counts the bins of its own span, and one allreduce each
 * sums them. histogram.h has the rules; numpy/lib/histograms.py
 * (_get_outer_edges, _get_bin_edges, the uniform-bins path of histogram)
 * and numpy.linspace are what is followed. */
#include "histogram.h"
#include "agree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Element i of a span of dtype dt, as a double (exact for every dtype but
 * i64 beyond 2^53, which numpy converts the same way). */
static double value_at(const void *p, pa_dtype dt, size_t i)
{
    switch (dt) {
#define VALUE_CASE(NAME, name, T, ...)                                                 \
    case PA_##NAME: return (double)((const T *)p)[i];
        PA_DTYPE_LIST(VALUE_CASE)
#undef VALUE_CASE
    case PA_NDTYPES: break;
    }
    return NAN;
}

/* How values map to bins: numpy's estimate of the index is
 * (x - first) * norm, computed here on values times scale, which is 1/2
 * when last - first overflows (halving is exact at that magnitude). */
typedef struct {
    int bins;
    const double *edges;
    double first, norm, scale;
} binning;

/* numpy.linspace(first, last, bins + 1) as numpy.histogram calls it: edge
 * i is i * step + first with step = (last - first) / bins, or
 * (i / bins) * (last - first) when step underflows to 0; the last edge is
 * last. numpy 1.x computes this in double for an f32 array too (its
 * linspace multiplies by the Python float 1.0) and rounds each edge to
 * float. When last - first overflows, the same is computed on first / 2
 * and last / 2 and doubled, which gives the edges numpy's formula gives
 * with an unbounded exponent. */
static void make_edges(double first, double last, int f32, binning *b, double *edges)
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
    if (f32)
        for (int i = 0; i <= bins; i++)
            edges[i] = (float)edges[i];
    b->edges = edges;
    b->first = start;
    b->norm = bins / delta; /* inf for a zero or subnormal width: see bin_of */
    b->scale = scale;
}

/* The bin of x, first <= x <= last: the largest i < bins with
 * edges[i] <= x. numpy's estimate is checked against the edges; where it
 * is off (by one near an edge, as numpy corrects, or by any amount when the
 * norm overflowed and the estimate is NaN or inf) a binary search over the
 * edges on the side of the estimate finds the bin, so the loop ends for
 * every input. */
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
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (b->edges[mid] <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int histogram_compute(pa_ctx *ctx, pa_array *a, int bins, histogram *h)
{
    MPI_Comm comm = pa_ctx_comm(ctx);
    memset(h, 0, sizeof *h);
    h->bins = bins;
    h->edges = malloc(((size_t)bins + 1) * sizeof *h->edges);
    h->counts = calloc((size_t)bins, sizeof *h->counts);
    uint64_t *mine = calloc((size_t)bins, sizeof *mine);
    if (!agree_all_ok(comm, h->edges && h->counts && mine)) {
        free(mine);
        histogram_free(h);
        return -1;
    }

    /* The range of the finite values and the count of the others. */
    pa_span s;
    pa_array_local(a, &s);
    pa_dtype dt = pa_array_dtype(a);
    double range[2] = {INFINITY, INFINITY}; /* min and -max, for one MPI_MIN */
    uint64_t apart[3] = {0, 0, 0};          /* NaN, inf, -inf */
    for (size_t i = 0; i < s.count; i++) {
        double x = value_at(s.ptr, dt, i);
        if (isfinite(x)) {
            range[0] = fmin(range[0], x);
            range[1] = fmin(range[1], -x);
        } else {
            apart[isnan(x) ? 0 : x > 0 ? 1 : 2]++;
        }
    }
    double all_range[2];
    uint64_t all_apart[3];
    MPI_Allreduce(range, all_range, 2, MPI_DOUBLE, MPI_MIN, comm);
    MPI_Allreduce(apart, all_apart, 3, MPI_UINT64_T, MPI_SUM, comm);
    h->nan = all_apart[0];
    h->posinf = all_apart[1];
    h->neginf = all_apart[2];

    /* numpy's outer edges: [0, 1] without data, v -/+ 0.5 around one value
     * (in double, for f32 too). */
    double first = all_range[0], last = -all_range[1];
    if (!isfinite(first)) {
        first = 0;
        last = 1;
    } else if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    binning b = {.bins = bins};
    make_edges(first, last, dt == PA_F32, &b, h->edges);
    for (size_t i = 0; i < s.count; i++) {
        double x = value_at(s.ptr, dt, i);
        if (isfinite(x))
            mine[bin_of(&b, x)]++;
    }
    MPI_Allreduce(mine, h->counts, bins, MPI_UINT64_T, MPI_SUM, comm);
    free(mine);
    return 0;
}

void histogram_free(histogram *h)
{
    free(h->edges);
    free(h->counts);
    h->edges = NULL;
    h->counts = NULL;
    h->bins = 0;
}
