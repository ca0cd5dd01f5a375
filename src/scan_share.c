/* The block-value pass of a scan (scan.c's step 1) shared evenly by a
 * node's ranks: which rank computes which piece of which rank's range.
 * The block values are defined by global index, and every rank of a node
 * can read the node's block, so any of them may compute any piece; only
 * ranks with a successor need values at all. scan_share.h states the
 * protocol. */
#include <stdlib.h>

#include "scan_share.h"

#define BLOCK PA_SCAN_BLOCK

size_t pa__scan_head_end(size_t len, size_t inner, size_t s, size_t e)
{
    size_t row = s / inner, p = row % len, line = row / len;
    if (s % inner == 0 && p % BLOCK == 0)
        return s;
    size_t next = (p / BLOCK + 1) * BLOCK;
    if (next > len)
        next = len;
    size_t h = (line * len + next) * inner;
    return h < e ? h : e;
}

size_t pa__scan_values_start(size_t len, size_t inner, size_t s, size_t e)
{
    size_t h = pa__scan_head_end(len, inner, s, e);
    size_t last_line = e > s ? (e - 1) / inner / len : 0;
    size_t t0 = last_line * len * inner; /* the last line's first element */
    return t0 < h ? h : t0;
}

int pa__scan_share_alloc(pa_scan_share *sh, int m)
{
    size_t n = (size_t)m;
    sh->m = m;
    sh->t0 = malloc(sizeof(size_t) * (3 * n + 2));
    if (!sh->t0)
        return -1;
    sh->w = sh->t0 + n;
    sh->cut = sh->w + n + 1;
    return 0;
}

void pa__scan_share_free(pa_scan_share *sh)
{
    free(sh->t0);
    sh->t0 = sh->w = sh->cut = NULL;
}

/* The block start at or before target (end to end; target < w[m]) in
 * the range it falls in: ranges start at block starts (or are empty). */
static size_t snap(const pa_scan_share *sh, size_t target)
{
    int k = 0;
    while (sh->w[k + 1] <= target)
        k++;
    return sh->w[k] + (target - sh->w[k]) / BLOCK * BLOCK;
}

void pa__scan_share_plan(pa_scan_share *sh, const uint64_t *ranges, size_t size, size_t len)
{
    size_t m = (size_t)sh->m;
    sh->w[0] = 0;
    for (size_t k = 0; k < m; k++) {
        size_t s = ranges[2 * k], e = ranges[2 * k + 1];
        /* A rank at the end of the scan has no successor: nothing of its
         * range is read twice. */
        sh->t0[k] = s < e && e < size ? pa__scan_values_start(len, 1, s, e) : e;
        sh->w[k + 1] = sh->w[k] + (e - sh->t0[k]);
    }
    size_t total = sh->w[m];
    for (size_t i = 0; i <= m; i++) {
        size_t target = total / m * i + total % m * i / m; /* total * i / m without overflow */
        sh->cut[i] = target < total ? snap(sh, target) : total;
    }
}

size_t pa__scan_share_piece(const pa_scan_share *sh, int i, int k, size_t *first)
{
    size_t lo = sh->cut[i] > sh->w[k] ? sh->cut[i] : sh->w[k];
    size_t hi = sh->cut[i + 1] < sh->w[k + 1] ? sh->cut[i + 1] : sh->w[k + 1];
    *first = sh->t0[k] + (lo - sh->w[k]);
    return hi > lo ? hi - lo : 0;
}
