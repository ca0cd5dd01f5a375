/* numpy.histogram's equal bins over the whole of an array, for
 * `parray stats --hist`.
 *
 * The range is the minimum and maximum of the finite values (numpy's
 * autodetected range; a range of one value v becomes [v - 0.5, v + 0.5], and
 * no finite value at all gives numpy's empty range [0, 1]). NaN, inf and
 * -inf are in no bin: they are counted apart (numpy refuses them). The
 * edges are numpy.linspace's as numpy 1.x computes them (in double, and
 * for an f32 array rounded to float), and each value lands in bin i with
 * edges[i] <= x < edges[i+1], the last bin closed: numpy's counts wherever
 * numpy gives any. Where numpy's arithmetic overflows or underflows (a
 * range wider than the largest double, or a few subnormals wide) numpy
 * fails; here the edges are what numpy's formula gives with an unbounded
 * exponent, and the same rule places every value. Every loop ends, and the
 * counts are the same for any rank count. */
#ifndef PARRAY_APPS_HISTOGRAM_H
#define PARRAY_APPS_HISTOGRAM_H

#include <stdint.h>

#include "parray.h"

typedef struct {
    int bins;
    double *edges;      /* bins + 1 (float values for an f32 array) */
    uint64_t *counts;   /* bins */
    uint64_t nan, posinf, neginf; /* the values in no bin */
} histogram;

/* Collective. The histogram of every element of a in bins >= 1 bins into
 * *h, the same on every rank. Returns 0, or -1 on every rank when memory
 * ran out on any (h is then empty). */
int histogram_compute(pa_ctx *ctx, pa_array *a, int bins, histogram *h);

/* Not collective. Frees the arrays of h. */
void histogram_free(histogram *h);

#endif
