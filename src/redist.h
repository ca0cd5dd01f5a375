/* The redistribution engine: fills rows of one array (the destination)
 * from another (the source) across nodes, within a bounded buffer.
 *
 * Protocol. A move is described by a plan: a pure function (pieces) that
 * every rank computes alike, which says, for a rectangle of destination
 * elements (rows [ra, rb), columns [c0, c1) of the destination seen as
 * rows x rowsize) and the rows [sr0, sr1) that one source node holds,
 * which blocks of the source fill which part of the rectangle. The engine
 * cuts each destination node's rows into windows of at most the buffer's
 * share of elements and runs one round per window. Between two nodes the
 * round runs in lanes, one per rank of the smaller node: node rank l of
 * each node sends share l of every piece the other node's window needs
 * straight from the source block (an MPI vector type per piece), and
 * receives share l of every piece its own window needs straight into the
 * destination block; only a transpose packs its share, transposed, into
 * its rank's area of the node's buffer first, sends it as one message into
 * the receiving rank's area, and unpacks it from there (each rank reuses
 * only its own area, so no rank waits for another of its node between
 * rounds). Meanwhile every rank copies its share of the pieces within the
 * node. The sender and the receiver enumerate the same pieces in the same
 * order, so no piece is described on the wire. The allocations (and a
 * transpose's window size, the largest whose areas fit the buffer) are
 * agreed once, before the rounds; the rounds need no agreement (copies
 * cannot fail, and an MPI error is fatal by default), and the run ends
 * with one.
 *
 *     pa__redist_plan p = pa__redist_flat(src, dst, 0);
 *     rc = pa__redist_run(&p, "pa_reshape");   (collective over the job)
 *
 * src must be synced (as every call that writes an array leaves it);
 * pa__redist_run ends with dst synced and the outcome agreed over the job. */
#ifndef PARRAY_REDIST_H
#define PARRAY_REDIST_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* A block of rows x cols elements: source element (i, c) is the flat
 * C-order index src_off + i * src_stride + c; it goes to dst_off + i *
 * dst_stride + c, or with transpose to dst_off + c * dst_stride + i. */
typedef struct {
    size_t src_off, dst_off;
    ptrdiff_t src_stride, dst_stride;
    size_t rows, cols;
    int transpose;
} pa__piece;

typedef void (*pa__piece_fn)(const pa__piece *pc, void *arg);

typedef struct pa__redist_plan pa__redist_plan;
struct pa__redist_plan {
    pa_array *src, *dst;
    size_t dst_row0, dst_row1; /* the destination rows this plan fills */
    size_t min_window_rows;    /* windows of at least this many rows (tiles) */
    int packs;                 /* pieces are transposed: sent from the packed buffer */
    /* Calls emit for every piece that fills destination rows [ra, rb),
     * columns [c0, c1) from source rows [sr0, sr1). */
    void (*pieces)(const pa__redist_plan *p, size_t ra, size_t rb, size_t c0, size_t c1,
                   size_t sr0, size_t sr1, pa__piece_fn emit, void *arg);
    size_t offset;       /* flat: destination index of source element 0 */
    int64_t start, step; /* slice: destination row i is source row start + i * step */
};

/* Plans. Flat: the source's elements in C order fill the destination's
 * from flat index offset on (a reshape, one part of a concatenation, a
 * redistribution). Slice: destination row i is source row start + i *
 * step. Transpose: the destination is the 2-D source's transpose. */
pa__redist_plan pa__redist_flat(pa_array *src, pa_array *dst, size_t offset);
pa__redist_plan pa__redist_slice(pa_array *src, pa_array *dst, int64_t start, int64_t step);
pa__redist_plan pa__redist_transpose(pa_array *src, pa_array *dst);

/* Collective over the job. Runs the plan; fn names the public call in
 * messages. */
int pa__redist_run(const pa__redist_plan *p, const char *fn);

/* Not collective. Elements of a row of axis 0 (1 for a 1-D array), from
 * the shape alone (also for arrays with no elements). */
size_t pa__row_elems(const pa_array *a);

#endif
