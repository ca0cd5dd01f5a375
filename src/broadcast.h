/* numpy's broadcasting for the element-wise calls (ops.c) and the
 * expression VM (expr_eval.c): the broadcast shape of the operands, the
 * operands made readable by every rank of the output's span, and a reader
 * that gives an operand's elements for any flat range of the output.
 *
 * Protocol. All of it runs on every rank with the same arguments; only
 * pa__broadcast_prepare is collective (it may make replicated copies). n
 * is at most PA__BROADCAST_MAXOPS:
 *
 *     PA_TRY(pa__broadcast_check(fn, out, "out", n, ops, names));
 *     pa_array *copy[n]; // a replicated copy of ops[i], or NULL
 *     rc = pa__broadcast_prepare(fn, out, n, ops, names, copy);  // agreed
 *     pa__bsrc s; pa__bsrc_init(out, copy[i] ? copy[i] : ops[i], &s);
 *     p = pa__bsrc_read(&s, g, len, buf);  // g: the output's flat index
 *     ... pa__bsrc_free(&s); pa_array_free(&copy[i]);
 *
 * Which operand is read where: arrays with the same shape[0] on one
 * context have the same rows on each node (pa__rows_of_node is a function
 * of the row count and the node count alone), so a distributed operand
 * whose axis 0 is the output's (same ndim, same shape[0]) is read in its
 * own node block at the output's rows. Any other operand must be whole on
 * every node: a replicated one is read in place; a distributed one gets a
 * replicated copy (it is small: it spans one row of the output's axis 0,
 * or fewer dimensions); a distributed operand with the output's rows next
 * to a replicated output is an error. */
#ifndef PARRAY_BROADCAST_H
#define PARRAY_BROADCAST_H

#include <stddef.h>

#include "internal.h"

/* The most operands of one call (an expression's names). */
#define PA__BROADCAST_MAXOPS 64

/* Not collective. The checks of the n operands ops (named names) of an
 * element-wise call with output out (named outname): none is NULL, all
 * belong to out's context, their shapes broadcast (pa_broadcast_shape),
 * and to out's shape (numpy's rule for out=: out has the broadcast shape,
 * or one it broadcasts to, as an expression of scalars alone fills any
 * output); else PA_EINVAL naming out and showing both shapes. */
int pa__broadcast_check(const char *fn, const pa_array *out, const char *outname, int n,
                        const pa_array *const *ops, const char *const *names);

/* Whether operand op is read at the output's own element offsets (same
 * shape, and the same node rows): then no reader is needed. */
int pa__broadcast_same(const pa_array *out, const pa_array *op);

/* Collective. For each operand ops[i] (NULL entries skipped) that is
 * distributed but must be whole on every node, copy[i] becomes a
 * replicated copy (free it with pa_array_free); other entries stay NULL.
 * A distributed operand with the output's rows next to a replicated
 * output is PA_EINVAL naming names[i]. Returns the agreed code; on failure
 * every copy is freed. */
int pa__broadcast_prepare(const char *fn, const pa_array *out, int n, const pa_array *const *ops,
                          const char *const *names, pa_array **copy);

/* A broadcast operand's reader. The operand's offset of the output's flat
 * index g is sum(i_k * stride[k]) - first over the coalesced dimensions
 * dim[] of the output (i_k: g's index along dimension k), where the stride
 * of a broadcast dimension is 0. An operand that repeats one contiguous
 * piece of `period` elements along the output (a row next to a matrix)
 * keeps that piece followed by its first PA__KERNEL_BLK elements again
 * (pattern), so that a block of any phase is read in place. */
typedef struct {
    const char *data; /* the operand's node block */
    size_t es;
    ptrdiff_t first; /* the flat index of the node block's first element */
    int ndim;
    size_t dim[PA_MAXDIM];
    ptrdiff_t stride[PA_MAXDIM];
    size_t period; /* > 0: the operand repeats data[0 .. period) */
    char *pattern; /* a periodic operand's piece and its repeated head, or NULL */
    int constant;  /* the operand is one element along the output (period 1) */
} pa__bsrc;

/* The first element of a periodic operand's piece (a constant's element). */
static inline const char *pa__bsrc_piece(const pa__bsrc *s)
{
    return s->data - s->first * (ptrdiff_t)s->es;
}

/* Not collective. The reader of operand op (whole on this node, or with
 * the output's rows) for output out. It cannot fail: without memory for a
 * pattern the reader copies. */
void pa__bsrc_init(const pa_array *out, const pa_array *op, pa__bsrc *s);
void pa__bsrc_free(pa__bsrc *s);

/* Not collective. The operand's elements for the output's flat indices
 * [g, g + len), len <= PA__KERNEL_BLK, contiguous: in place where they
 * are, else copied into buf (len elements). */
const void *pa__bsrc_read(const pa__bsrc *s, size_t g, size_t len, void *buf);

#endif
