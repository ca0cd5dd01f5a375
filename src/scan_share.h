/* Private declarations of a scan's block-value pass shared by a node's
 * ranks (scan_share.c), for lines of one column (inner 1). Not installed.
 *
 * Protocol (scan.c, every rank of a node alike; not collective itself):
 * each rank gathers the node's ranges in node-rank order, then
 *     pa__scan_share_plan(&sh, ranges, size, len);
 *     for (k = 0; k < sh.m; k++)   // this rank's share, piece by piece
 *         n = pa__scan_share_piece(&sh, me, k, &first);  // values for rank k
 * and sends the block values of each piece to its rank k; rank k receives
 * the pieces of its range in share order, which is the list that one pass
 * over its whole range gives. */
#ifndef PARRAY_SCAN_SHARE_H
#define PARRAY_SCAN_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include <parray/scan.h>

/* The block values of a piece of n elements that starts at a block start:
 * one per block that starts in it (the last one a partial). */
#define PA_SCAN_VALUES(n) (((n) + PA_SCAN_BLOCK - 1) / PA_SCAN_BLOCK)

/* The end of the head of [s, e) on lines of len positions with inner
 * columns: the first element from which every column's block starts
 * inside the range (s itself when s starts a row at a block start),
 * clipped to the line's end and to e. */
size_t pa__scan_head_end(size_t len, size_t inner, size_t s, size_t e);

/* Where the block values of [s, e) begin: the later of the head's end and
 * the last line's first element (step 1 needs the last line's values only). */
size_t pa__scan_values_start(size_t len, size_t inner, size_t s, size_t e);

/* A node's block-value work: rank k's range from t0[k] (empty where no
 * rank after it waits for its carry), those ranges laid end to end (rank
 * k's is [w[k], w[k + 1]) there, w[m] in all), cut into m shares: share i is
 * [cut[i], cut[i + 1]) end to end. Every cut is a block start of the
 * range it falls in, and each share is within a block of total / m. */
typedef struct {
    int m;
    size_t *t0, *w, *cut;
} pa_scan_share;

/* Allocates the tables of a node of m ranks (-1: out of memory) or frees
 * them (NULL-safe, sets the pointers to NULL). */
int pa__scan_share_alloc(pa_scan_share *sh, int m);
void pa__scan_share_free(pa_scan_share *sh);

/* The plan from the node's ranges (ranges[2k], ranges[2k + 1]: rank k's
 * [s, e), in node-rank order, which is global order) of a scan of size
 * elements in all (a rank whose range ends before size has a successor)
 * along lines of len positions (inner 1). */
void pa__scan_share_plan(pa_scan_share *sh, const uint64_t *ranges, size_t size, size_t len);

/* The piece of share i in rank k's range: its length (0: none), and in
 * *first its first global element, a block start. */
size_t pa__scan_share_piece(const pa_scan_share *sh, int i, int k, size_t *first);

#endif
