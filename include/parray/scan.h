/* Scans and histograms: cumulative sums and products, and numpy's
 * histogram, with results that are the same bits for every rank count and
 * node layout.
 *
 * Every call here is collective over the array's context, as the calls of
 * compute.h are: every rank makes it with the same arguments, arguments are
 * checked before anything is written, and on an error every rank returns
 * the same code with the message in pa_errmsg(ctx). docs/order.md has the
 * rounding of the float scans against numpy's and the measured speeds. */
#ifndef PARRAY_SCAN_H
#define PARRAY_SCAN_H

#include <stdint.h>
#include "parray/array.h"
#include "parray/export.h"

/* ------------------------------------------------------------ scans */

/* The elements of a scan's line are cut into blocks of this many, placed
 * by the position along the line (block k holds positions [k B, (k+1) B)),
 * never by rank. */
#define PA_SCAN_BLOCK 4096

/* Not collective. The dtype numpy gives cumsum and cumprod of dtype d: a
 * float dtype keeps its dtype; bool and the signed integer dtypes give i64,
 * the unsigned ones u64 (numpy's on Linux x86-64). */
PA_EXTERN pa_dtype pa_scan_dtype(pa_dtype d);

/* Collective. out = the cumulative sum (pa_cumsum) or product
 * (pa_cumprod) of a along axis: axis -1 scans the whole array in C order
 * as one line (numpy's axis=None, whose result numpy flattens: here it
 * keeps a's shape); axis 0 .. ndim-1 scans each line along that axis
 * (axis 0 crosses ranks and nodes). out has a's shape and distribution and
 * the dtype pa_scan_dtype(a's dtype); out may be a when that is a's own
 * dtype (a float array, i64 or u64), which scans in place.
 *
 * Integer scans (and bool's) are exact, wrapping around in 64 bits as
 * numpy's do. Float scans use this order, the same at every layout: each
 * line is cut into blocks of PA_SCAN_BLOCK positions; inside a block the
 * elements are accumulated one after another (p_j = p_{j-1} + x_j, as
 * numpy does over the whole line); block k's offset is the sum of the
 * totals of blocks 0 .. k-1 taken one after another; and each element of
 * block k >= 1 is its offset plus its block's partial p_j (block 0 is
 * its partials alone). cumprod is the same with products. f32 computes in
 * f32, f64 in f64, and f16 in f32 with every result rounded to f16 (numpy
 * rounds the running sum to f16 at every step). The difference to numpy's
 * sequential cumsum is bounded in docs/order.md. */
PA_EXTERN int pa_cumsum(pa_array *out, const pa_array *a, int axis);
PA_EXTERN int pa_cumprod(pa_array *out, const pa_array *a, int axis);

/* ------------------------------------------------------------ histograms */

/* The values a histogram counts in no bin. */
typedef struct {
    uint64_t nan;   /* NaN values */
    uint64_t below; /* values below the first edge (-inf when the range was found) */
    uint64_t above; /* values above the last edge (+inf when the range was found) */
} pa_hist_rest;

/* Collective. numpy.histogram(a, bins, range) over every element of a
 * (any dtype but complex): bins >= 1 equal bins over range[0] <= range[1]
 * (finite), or, for range NULL, over the smallest and largest finite value
 * of a. A range of one value v is [v - 0.5, v + 0.5] and an array with no
 * finite value gets [0, 1], as numpy. NaN and, for a found range, inf and
 * -inf are in no bin and counted in *rest (numpy refuses them in a found
 * range; with a range given it leaves them out too). The edges (bins + 1,
 * written to edges) are numpy.linspace's, in double, rounded to the data's
 * dtype for f32 and f16; a value x is in bin i when edges[i] <= x <
 * edges[i+1], the last bin closed; values outside are counted in *rest.
 * The bin of a value is found without overflow for every input (a range
 * as wide as the largest double, ranges a few subnormals wide): where
 * numpy's arithmetic overflows, the edges are what its formula gives with
 * an unbounded exponent. counts (bins of them) are exact and the same on
 * every rank. edges and counts are caller-owned; rest may be NULL. */
PA_EXTERN int pa_histogram(const pa_array *a, int bins, const double *range, double *edges,
                           uint64_t *counts, pa_hist_rest *rest);

/* Collective. numpy.histogram(a, bins=edges): bins >= 1 bins between the
 * bins + 1 given edges, which must not be NaN and must not decrease; x is
 * in bin i when edges[i] <= x < edges[i+1], the last bin closed (numpy's
 * searchsorted path). NaN and values outside [edges[0], edges[bins]] are
 * counted in *rest (rest may be NULL). */
PA_EXTERN int pa_histogram_edges(const pa_array *a, int bins, const double *edges,
                                 uint64_t *counts, pa_hist_rest *rest);

#endif
