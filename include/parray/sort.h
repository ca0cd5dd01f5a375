/* Order: sorting, exact order statistics (quantiles by numpy's methods),
 * the top k and the distinct values of distributed arrays.
 *
 * The order is numpy's: ascending, NaN last, and -0.0 equal to +0.0. Every
 * sort is stable (equal values keep their index order), so the result is
 * the same bits for every rank count and node layout. Every dtype with an
 * order is taken (floats, integers, bool).
 *
 * Every call here is collective over the array's context: every rank makes
 * it with the same arguments. Arguments are checked before anything is
 * written; on an error no array is changed and every rank returns the
 * same code with the message in pa_errmsg(ctx). docs/order.md has the
 * algorithms, their memory and measured speeds. */
#ifndef PARRAY_SORT_H
#define PARRAY_SORT_H

#include <stddef.h>
#include "parray/array.h"
#include "parray/export.h"

/* Collective. out = a sorted ascending: a 1-D array over its whole length
 * (across ranks and nodes), an N-D array along its last axis (each row
 * apart). out has a's dtype, shape and distribution; out == a sorts in
 * place. Each rank sorts its span with a radix sort, and the ranks merge
 * their runs through the node's shared memory, across nodes after one
 * exchange of the pieces each rank's output range needs. Extra memory: a
 * scratch array of a's size (and across nodes the pieces received from
 * other nodes, at most the rank's output range). */
PA_EXTERN int pa_sort(pa_array *out, const pa_array *a);

/* Collective. idx = the indices that sort a, stably (numpy's argsort with
 * kind="stable"): for a 1-D array the global indices, for an N-D array the
 * indices inside each row of the last axis. idx is an i64 array of a's
 * shape and distribution. */
PA_EXTERN int pa_argsort(pa_array *idx, const pa_array *a);

/* Collective. The nq quantiles q[i] (0 <= q <= 1) of all of a's elements
 * (flattened), exact, by numpy's default method "linear": with v = (n - 1)
 * q, j = floor(v) and g = v - j, out[i] = x_j + (x_{j+1} - x_j) g in
 * double (numpy's formula: b - (b - a)(1 - g) when g >= 0.5), where x is a
 * sorted. Found by a distributed selection (a sample, then one counting
 * pass in the common case), not a sort: extra memory under a tenth of the
 * input. NaN in a gives NaN, as numpy's. PA_EINVAL for an empty array or
 * a q outside [0, 1]; bool arrays are PA_ENOTSUP (numpy refuses them
 * too). pa_percentile takes p in [0, 100] (q = p / 100). */
PA_EXTERN int pa_quantile(const pa_array *a, size_t nq, const double *q, double *out);
PA_EXTERN int pa_percentile(const pa_array *a, size_t np, const double *p, double *out);

/* Collective. numpy's median of all of a's elements: the middle element
 * of the sorted array, or the mean of the two middle ones ((x + y) / 2 in
 * f32 for f32 and f16 arrays, in double otherwise, as numpy's mean).
 * NaN in a gives NaN. PA_EINVAL for an empty array. */
PA_EXTERN int pa_median(const pa_array *a, double *out);

/* ------------------------------------------------------------ methods,
 * top k, unique */

/* numpy's quantile methods (numpy.quantile(method=...)), each one or two
 * order statistics at positions computed from n and q exactly as numpy
 * 1.24 computes them. The discrete ones (inverted_cdf,
 * closest_observation, lower, higher, nearest) return an element; the
 * others interpolate between two neighbours with numpy's _lerp. */
typedef enum {
    PA_QUANTILE_INVERTED_CDF,
    PA_QUANTILE_AVERAGED_INVERTED_CDF,
    PA_QUANTILE_CLOSEST_OBSERVATION,
    PA_QUANTILE_INTERPOLATED_INVERTED_CDF,
    PA_QUANTILE_HAZEN,
    PA_QUANTILE_WEIBULL,
    PA_QUANTILE_LINEAR,
    PA_QUANTILE_MEDIAN_UNBIASED,
    PA_QUANTILE_NORMAL_UNBIASED,
    PA_QUANTILE_LOWER,
    PA_QUANTILE_HIGHER,
    PA_QUANTILE_MIDPOINT,
    PA_QUANTILE_NEAREST,
} pa_quantile_method;

/* Not collective. The method's numpy name ("linear"), or NULL for a value
 * outside the enum. */
PA_EXTERN const char *pa_quantile_method_name(pa_quantile_method method);

/* Not collective. The method named name (numpy's names) into *method:
 * PA_OK, or PA_EINVAL for an unknown name (nothing recorded: there is no
 * context). */
PA_EXTERN int pa_quantile_method_parse(const char *name, pa_quantile_method *method);

/* Collective. pa_quantile and pa_percentile by any of numpy's methods: the
 * nq quantiles q[i] in [0, 1] (pa_percentile_by: p[i] in [0, 100]) of all
 * of a's elements into out, numpy.quantile(a, q, method=...)'s values as
 * doubles. NaN in a gives NaN. PA_EINVAL for an empty array, a q out of
 * range or an unknown method; bool arrays have only the discrete methods
 * (numpy cannot subtract bools): PA_ENOTSUP for the others. */
PA_EXTERN int pa_quantile_by(const pa_array *a, pa_quantile_method method, size_t nq,
                             const double *q, double *out);
PA_EXTERN int pa_percentile_by(const pa_array *a, pa_quantile_method method, size_t np,
                               const double *p, double *out);

/* The largest k pa_topk takes: its candidates travel as one MPI message of
 * 24 bytes each. */
#define PA_TOPK_MAX ((size_t)1 << 22)

/* Collective. The k smallest (largest = 0) or largest (largest != 0)
 * elements of all of a's elements (flattened, C order), in order: the first
 * k of a's stable argsort, or of the order reversed with ties still by the
 * lower index first. NaN counts as the largest value (numpy's sort puts it
 * last), so the largest k begin with the NaNs; -0.0 and +0.0 are equal.
 * *values (a's dtype) and *indices (i64, flat indices into a) are new
 * replicated 1-D arrays of min(k, size) elements; either pointer may be
 * NULL to leave that result out; free them with pa_array_free. Each rank
 * keeps its k best, then one allreduce merges them (k per rank in
 * memory). PA_EINVAL for k > PA_TOPK_MAX (sort with pa_sort instead). */
PA_EXTERN int pa_topk(const pa_array *a, size_t k, int largest, pa_array **values,
                      pa_array **indices);

/* Collective. numpy.unique of all of a's elements (flattened): *values, a
 * new replicated 1-D array of a's dtype, the sorted distinct values; with
 * counts, *counts (i64, replicated, as values) how often each occurs; with
 * inverse, *inverse (i64, a's shape and distribution) the index in values
 * of each element of a. counts and inverse may be NULL to leave them out.
 * -0.0 and +0.0 are one value, given as the first of them in a's order;
 * every NaN is one value, last (numpy's equal_nan=True), given as the first
 * NaN. Found by pa_sort of a copy (extra memory: two arrays of a's size
 * while sorting); the results are replicated, so every node holds all
 * distinct values (8 + the element size per value). */
PA_EXTERN int pa_unique(const pa_array *a, pa_array **values, pa_array **counts,
                        pa_array **inverse);

#endif
