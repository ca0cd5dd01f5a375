/* Reductions along lines of an array, shared by reduce.c (the engine and
 * the fixed tree) and reduce_axes.c (pa_reduce_axes: its arguments and
 * its result array).
 *
 * Protocol: the caller describes which axes are reduced as a geometry
 * (pa__red_geom_make, not collective), creates the result array (of
 * pa__reduce_dtype's dtype; distributed with a's rows when axis 0 is
 * kept, else replicated), and every rank calls pa__reduce_lines, which
 * writes this rank's share of the result; the caller then syncs it:
 *
 *     pa__red_geom g;
 *     pa__red_geom_make(a, reduced_mask, &g);
 *     rc = pa__reduce_lines(fn, a, PA__PART_WHOLE, op, ddof, &g, out);
 *     rc = pa__array_sync_agree(out, rc);
 */
#ifndef PARRAY_REDUCE_H
#define PARRAY_REDUCE_H

#include "internal.h"

/* The lines of a reduction: the kept axes and the reduced axes of a, each
 * in C order, with axes of length 1 left out and neighbours of one class
 * that lie next to each other in memory merged (element strides). Output j
 * (the C-order index over the kept axes) reduces the len positions q (the
 * C-order index over the reduced axes) at elements K(j) + R(q) of a. */
typedef struct {
    int nk, nr;
    size_t kshape[PA_MAXDIM], kstride[PA_MAXDIM];
    size_t rshape[PA_MAXDIM], rstride[PA_MAXDIM];
    size_t nout, len;
    int keeps_rows; /* axis 0 is kept: each line lies in one row of axis 0 */
} pa__red_geom;

/* Which part of each element a reduction reads: the element (of a real
 * array), or the real or imaginary part of a complex array's elements,
 * read in place; a dot's two mixed parts read one part of a and the
 * other of b. */
typedef enum {
    PA__PART_WHOLE,
    PA__PART_RE,
    PA__PART_IM,
    PA__PART_RE_IM, /* dot only: real parts of a, imaginary parts of b */
    PA__PART_IM_RE, /* dot only: imaginary parts of a, real parts of b */
    PA__NPARTS
} pa__part;

/* Not collective. The geometry of reducing the axes in reduced_mask (bit
 * k: axis k) of a. */
void pa__red_geom_make(const pa_array *a, unsigned reduced_mask, pa__red_geom *g);

/* Not collective. numpy's result dtype of op on dtype d (pa_reduce in
 * compute.h), for a real d. */
pa_dtype pa__reduce_dtype(pa_reduce_op op, pa_dtype d);

/* Collective over a's context. op (ddof for var and std) over the lines
 * of g of the real array a, or of a part of the complex array a (part;
 * sum, mean, norm2, var and std, into an f64 out) (g.nout > 0; g.len > 0
 * for min, max, argmin and argmax) into out, of shape g's outputs in C
 * order: when g keeps rows out has a's rows and distribution, and each
 * rank writes the results of the rows whose first element is in its span;
 * otherwise out is replicated and each rank writes its own span. argmin
 * and argmax give the position q. The outcome is agreed; out is not
 * synced. */
int pa__reduce_lines(const char *fn, const pa_array *a, pa__part part, pa_reduce_op op,
                     double ddof, const pa__red_geom *g, pa_array *out);

/* Collective over a's context. op (sum, norm2 or var; ddof for var) of
 * the real parts of the complex array a into out[0 .. nout), and of its
 * imaginary parts into out[nout .. 2 nout): whole (axis -1) or along
 * axis 0 or 1 of a 2-D a, as the same call on an f64 array of each part
 * would give (every rank the same bits). Whole, both parts' trees take
 * one read of a (var: two, the means and then the deviations); along an
 * axis, one read per part. The outcome is agreed. */
int pa__reduce_parts(const char *fn, const pa_array *a, pa_reduce_op op, int axis, double ddof,
                     double *out, size_t nout);

/* Collective over a's context. The dots out[k] of the parts part[k] (k <
 * n <= 4) of the complex arrays a and b (their shapes and distributions
 * checked equal), each the sum of products pa_dot of arrays of those
 * parts gives, in one read of a and b. */
int pa__dot_parts(const char *fn, const pa_array *a, const pa_array *b, const pa__part *part,
                  int n, double *out);

#endif
