/* Order: sorting and exact order statistics of distributed arrays.
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

#endif
