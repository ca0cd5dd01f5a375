/* Private declarations of the order calls (sort.c, select.c): the
 * per-dtype kernels (sort_kernels.c) and the cuts of sorted runs held by
 * the ranks of a group (sort_runs.c).
 *
 * Every element has a key, an unsigned integer whose order is numpy's
 * order of the values: floats by value with every NaN last (one key for
 * all NaNs) and -0.0 equal to +0.0; signed integers offset by their
 * minimum. Equal keys keep their index order, so every sort is stable and
 * the result is one sequence for any rank count.
 *
 * Protocol of a distributed sort, over a group (the job, or a node for a
 * replicated array) whose ranks hold spans in global index order:
 *   1. each rank sorts its span (ops->radix) into a node-shared scratch:
 *      the values for a sort; for an argsort only the indices
 *      (pa__sort_index_span), whose values are read through them;
 *   2. pa__runs_cut gives each rank its cut of every output boundary;
 *   3. a rank merges (ops->merge) the pieces of its output range: those of
 *      its node straight from the scratch (an argsort gathers their values
 *      first, ops->gather), the others received. */
#ifndef PARRAY_SORT_PRIV_H
#define PARRAY_SORT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* One sorted run's piece that a merge reads: n values at v and, for an
 * argsort, their global indices at idx (else NULL). */
typedef struct {
    const void *v;
    const int64_t *idx;
    size_t n;
} pa__sort_piece;

/* A sorted run as the binary searches read it: m values at v, or, when
 * through is not NULL, the m values v[through[i] - shift] (the run of an
 * argsort: sorted global indices into the values). */
typedef struct {
    const void *v;
    const int64_t *through;
    int64_t shift;
    size_t m;
} pa__sort_run;

/* A heap entry of a k-way merge: the head key of a piece, ordered by (key,
 * piece) so that equal keys come from the earlier piece. */
typedef struct {
    uint64_t key;
    int piece;
} pa__sort_head;

static inline int pa__sort_head_before(pa__sort_head a, pa__sort_head b)
{
    return a.key < b.key || (a.key == b.key && a.piece < b.piece);
}

/* Restores the heap order of the n heads at h from entry i down. */
static inline void pa__sort_heap_down(pa__sort_head *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, m = i;
        if (l < n && pa__sort_head_before(h[l], h[m]))
            m = l;
        if (l + 1 < n && pa__sort_head_before(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        pa__sort_head t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

typedef struct {
    int key_bits; /* the width of the keys: the element's bits */
    /* The key of the element at p, and a key's value as a double (the
     * canonical value: +0.0 for a zero, NaN for the NaN key). */
    uint64_t (*key)(const void *p);
    double (*key_value)(uint64_t key);
    /* Stable sort of the n elements at in (with their indices: iin, or
     * ibase + i when iin is NULL; or none when ia is NULL) through the
     * buffers a and b (n elements each, and ia, ib for the indices).
     * Returns 0 when the result is in a (ia), 1 when in b (ib). in may be
     * b, not a. */
    int (*radix)(const void *in, const int64_t *iin, int64_t ibase, void *a, int64_t *ia, void *b,
                 int64_t *ib, size_t n);
    /* How many of the elements of the sorted run have a key below key,
     * or with le at most key: a binary search. */
    size_t (*count)(const pa__sort_run *run, uint64_t key, int le);
    /* The n values base[idx[i] - shift] into vals and their keys into
     * keys, either NULL to leave out. */
    void (*gather)(const void *base, const int64_t *idx, int64_t shift, size_t n, void *vals,
                   uint64_t *keys);
    /* Merges the pieces (in global index order, each sorted) into n
     * outputs: the values into outv and the indices into outi, either
     * NULL to leave out. Equal keys are taken from the earlier piece. */
    void (*merge)(const pa__sort_piece *pieces, int npieces, void *outv, int64_t *outi, size_t n);
    /* Counts over n elements at p for a selection between the keys lo <=
     * hi: cnt[0] below lo, cnt[1] equal to lo, cnt[2] between them (both
     * excluded), cnt[3] equal to hi (when hi > lo), cnt[4] NaN. The
     * elements between are copied to keep while they fit cap (cnt[2] may
     * pass cap: then keep's contents are not all of them). */
    void (*bracket)(const void *p, size_t n, uint64_t lo, uint64_t hi, void *keep, size_t cap,
                    uint64_t cnt[5]);
} pa__sort_ops;

/* The kernels of dtype d (a dtype whose values have an order). */
const pa__sort_ops *pa__sort_ops_of(pa_dtype d);

/* Not collective. PA_ENOTSUP, naming fn and a's dtype, when a's dtype has
 * no order here (complex), else PA_OK. */
int pa__sort_check_dtype(const char *fn, const pa_array *a);

/* Collective over comm, whose ranks hold sorted runs (run->m elements)
 * that come in the global order of their offsets (the first element's
 * global position, distinct among ranks with m > 0). For each of the nk
 * global positions k[j] in the sorted whole (0 <= k[j] <= total), the
 * number pos[j] of this rank's elements that come before it: stable, so
 * elements of equal keys come in the order of their ranks' offsets. */
int pa__runs_cut(pa_ctx *ctx, MPI_Comm comm, const pa__sort_ops *ops, const pa__sort_run *run,
                 size_t offset, int nk, const size_t *k, size_t *pos);

/* Collective over comm: the keys key[j] of the elements at the global
 * positions k[j] < total of the runs (as above). */
int pa__runs_key_at(pa_ctx *ctx, MPI_Comm comm, const pa__sort_ops *ops, const pa__sort_run *run,
                    int nk, const size_t *k, uint64_t *key);

/* Not collective. The global indices (ibase + i) of the m values at v in
 * their stable sorted order into run, through pong (m indices, whose
 * contents are lost) and at most about buffer bytes more: the span is
 * sorted in pieces that fit the buffer, which are merged with their keys
 * read through the indices. PA_ENOMEM (message from fn) when the buffer
 * cannot be allocated. */
int pa__sort_index_span(pa_ctx *ctx, const char *fn, const pa__sort_ops *ops, const void *v,
                        int64_t ibase, size_t m, int64_t *run, int64_t *pong, size_t buffer);

/* Collective. out = a's elements sorted, or idx (i64) = their global flat
 * indices (one of them, the other NULL; idx is not a), over the whole of
 * a's group as one flat sequence, whatever a's shape: pa_sort and
 * pa_argsort of a 1-D array, and the flat sort that pa_unique builds on.
 * out and idx have a's shape and distribution; fn names the call in
 * messages. */
int pa__sort_flat(const char *fn, pa_array *out, pa_array *idx, const pa_array *a);

#endif
