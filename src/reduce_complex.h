/* The reductions of the complex dtypes: the sums built on the real ones,
 * and the order reductions. reduce.c hands them a complex array after its
 * own checks.
 *
 * Protocol: collective over a's context, called by every rank with the
 * same arguments (as the public call that reaches it). out has nout
 * results: pa_values when typed, else doubles (then op gives a real
 * result: norm2, var, std):
 *
 *     if (pa__dtype_is_complex(a->dtype))
 *         return pa__reduce_complex(fn, a, PA_RED_SUM, -1, 0.0, out, 1, 1);
 */
#ifndef PARRAY_REDUCE_COMPLEX_H
#define PARRAY_REDUCE_COMPLEX_H

#include "internal.h"
#include "reduce.h"

/* sum and mean (c128 results), norm2, var and std (f64: numpy's real
 * results; ddof for var and std) of the complex array a, whole (axis -1)
 * or along axis 0 or 1. */
int pa__reduce_complex(const char *fn, const pa_array *a, pa_reduce_op op, int axis, double ddof,
                       void *out, int typed, size_t nout);

/* min, max, argmin and argmax of the complex array a (nout >= 1 results),
 * in numpy's lexicographic order (reduce_order_complex.c): min and max as
 * pa_values of a's dtype (PA_ENOTSUP into doubles), argmin and argmax as
 * i64 values or doubles. */
int pa__reduce_order_complex(const char *fn, const pa_array *a, pa_reduce_op op, int axis,
                             void *out, int typed, size_t nout);
/* pa__reduce_lines (reduce.h) of the complex array a for sum and mean (out
 * c128), norm2, var and std (out f64): each part's lines reduced into an
 * f64 array of out's shape, then combined span by span. */
int pa__reduce_lines_complex(const char *fn, const pa_array *a, pa_reduce_op op, double ddof,
                             const pa__red_geom *g, pa_array *out);

/* numpy's vdot of the complex arrays a and b (a conjugated) as a c128
 * value. */
int pa__vdot_complex(const char *fn, const pa_array *a, const pa_array *b, pa_value *out);

#endif
