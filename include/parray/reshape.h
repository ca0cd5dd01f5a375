/* Reshapes, slices, concatenation, transposes and redistribution: calls
 * that give a new array whose elements come from other arrays, moved
 * between nodes within a memory bound. Each node needs the output's node
 * block plus a buffer of at most PARRAY_REDIST_BUFFER_MB (default 64 MiB)
 * while the call runs; the input is never copied whole, and nothing is
 * gathered to one rank. Every call's result is a new array that the caller
 * frees with pa_array_free; on failure *out is NULL and every rank returns
 * the same code. The calls move bytes, so they take every dtype. */
#ifndef PARRAY_RESHAPE_H
#define PARRAY_RESHAPE_H

#include <stdint.h>
#include "parray/array.h"
#include "parray/export.h"

/* A slice bound that was left out (numpy's None): the start or the end of
 * axis 0, by the sign of step. */
#define PA_SLICE_NONE INT64_MIN

/* Collective. The elements of src in C order, in a new array of shape
 * (ndim dimensions) and src's distribution (numpy.reshape with order='C').
 * PA_EINVAL when the sizes differ ("cannot reshape array of size 12 into
 * shape (5,3)") or ndim is not in [1, PA_MAXDIM]. */
PA_EXTERN int pa_reshape(pa_array *src, int ndim, const size_t *shape, pa_array **out);

/* Collective. src[start:stop:step] along axis 0, as numpy slices: negative
 * start and stop count from the end, bounds past either end are clamped,
 * a negative step walks backwards, and PA_SLICE_NONE leaves a bound out.
 * The result has src's other dimensions and distribution, its rows spread
 * evenly over the nodes (it may have no rows). PA_EINVAL for step 0. */
PA_EXTERN int pa_slice_rows(pa_array *src, int64_t start, int64_t stop, int64_t step,
                            pa_array **out);

/* Collective. The columns idx[0..n) of the 2-D array src, in that order
 * (numpy's src[:, idx]; an index may repeat, negative ones count from the
 * end), in a new array of shape (rows, n) and src's distribution. Each
 * node reads only its own rows: no data moves between nodes. PA_EINVAL
 * for an index out of range (the message names it) or a src that is not
 * 2-D; n may be 0 (then idx may be NULL). */
PA_EXTERN int pa_take_cols(pa_array *src, const int64_t *idx, size_t n, pa_array **out);

/* Collective. numpy.concatenate(srcs[0..n), axis): along axis 0 (any
 * ndim; the other dimensions must match) or axis 1 (2-D arrays with the
 * same number of rows); a negative axis counts from the end. The arrays
 * share one context and one dtype. The result is replicated when every
 * src is, else distributed. Along axis 1 each node reads only its own rows.
 * PA_EINVAL names the first src whose dtype or shape does not fit. */
PA_EXTERN int pa_concat(pa_array *const *srcs, int n, int axis, pa_array **out);

/* Collective. The transpose of the 2-D array src: shape (cols, rows), src's
 * distribution. Each node receives its rows' sub-blocks from every node
 * and transposes them in cache-sized tiles. PA_EINVAL for a src that is
 * not 2-D. */
PA_EXTERN int pa_transpose(pa_array *src, pa_array **out);

/* Collective. A copy of src with distribution dist: replicated to
 * distributed is local (each node keeps its rows), distributed to
 * replicated sends every node every other node's rows through the leaders
 * in bounded rounds. The same distribution gives a plain copy. */
PA_EXTERN int pa_redistribute(pa_array *src, pa_dist dist, pa_array **out);

/* The memory high-water marks of pa_mem_peak, in bytes: the most, over
 * the nodes, of a node's memory in node blocks (shared windows: arrays,
 * pooled blocks, buffers), and the most, over the ranks, of a rank's peak
 * resident memory (VmHWM in /proc/self/status, which counts the pages of
 * node blocks the rank touched as well as its own). */
typedef struct {
    size_t node_shm;
    size_t rank_vmhwm;
} pa_mem_peaks;

/* Collective. The high-water marks since pa_init or the last
 * pa_mem_peak_reset, which lowers both to the memory held now (the
 * resident one through /proc/self/clear_refs; where that cannot be
 * written, VmHWM keeps counting from the process's start). */
PA_EXTERN int pa_mem_peak(pa_ctx *ctx, pa_mem_peaks *peaks);
PA_EXTERN int pa_mem_peak_reset(pa_ctx *ctx);

#endif
