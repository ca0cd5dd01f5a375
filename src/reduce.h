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
 *     rc = pa__reduce_lines(fn, a, op, ddof, &g, out);
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

/* Not collective. The geometry of reducing the axes in reduced_mask (bit
 * k: axis k) of a. */
void pa__red_geom_make(const pa_array *a, unsigned reduced_mask, pa__red_geom *g);

/* Not collective. numpy's result dtype of op on dtype d (pa_reduce in
 * compute.h), for a real d. */
pa_dtype pa__reduce_dtype(pa_reduce_op op, pa_dtype d);

/* Collective over a's context. op (ddof for var and std) over the lines
 * of g of the real array a (g.nout > 0; g.len > 0 for min, max, argmin
 * and argmax) into out, of shape g's outputs in C order: when g keeps
 * rows out has a's rows and distribution, and each rank writes the
 * results of the rows whose first element is in its span; otherwise out
 * is replicated and each rank writes its own span. argmin and argmax give
 * the position q. The outcome is agreed; out is not synced. */
int pa__reduce_lines(const char *fn, const pa_array *a, pa_reduce_op op, double ddof,
                     const pa__red_geom *g, pa_array *out);

#endif
