/* Partitions: how rows are cut into node blocks, and how a node block is
 * cut into one contiguous range per rank. Range boundaries fall on whole
 * cache lines (whole pages where the block is large enough), so that no two
 * ranks ever write one cache line and first touch places whole pages. */
#include <stdlib.h>

#include "internal.h"

static size_t align_of(size_t nelem, size_t elsize, int nranks)
{
    return nelem * elsize >= (size_t)nranks * PA_PAGE ? PA_PAGE : PA_CACHE_LINE;
}

size_t pa__partition_bound(size_t nelem, size_t elsize, int nranks, int r)
{
    size_t unit = align_of(nelem, elsize, nranks) / elsize; /* elements per aligned unit */
    size_t units = (nelem + unit - 1) / unit;
    size_t n = (size_t)nranks, rr = (size_t)r;
    /* floor(r * units / n) without overflowing. */
    size_t u = rr * (units / n) + rr * (units % n) / n;
    size_t b = u * unit;
    return b < nelem ? b : nelem;
}

int pa__partition_make(pa_ctx *ctx, size_t nelem, size_t elsize, int nranks, pa_partition *p)
{
    p->nelem = nelem;
    p->elsize = elsize;
    p->align = align_of(nelem, elsize, nranks);
    p->nranks = nranks;
    p->bound = malloc(sizeof(size_t) * ((size_t)nranks + 1));
    PA_CHECK(ctx, p->bound, PA_ENOMEM, "out of memory");
    for (int r = 0; r <= nranks; r++)
        p->bound[r] = pa__partition_bound(nelem, elsize, nranks, r);
    return PA_OK;
}

void pa__partition_free(pa_partition *p)
{
    free(p->bound);
    p->bound = NULL;
}

int pa__partition_find(size_t nelem, size_t elsize, int nranks, size_t i)
{
    int lo = 0, hi = nranks - 1; /* the last r whose range starts at or before i */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (pa__partition_bound(nelem, elsize, nranks, mid) <= i)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void pa__rows_of_node(size_t nrows, int nnodes, int k, size_t *row0, size_t *count)
{
    size_t n = (size_t)nnodes, kk = (size_t)k;
    size_t base = nrows / n, rem = nrows % n;
    *row0 = kk * base + (kk < rem ? kk : rem);
    *count = base + (kk < rem);
}

int pa__node_of_row(size_t nrows, int nnodes, size_t row)
{
    size_t n = (size_t)nnodes;
    size_t base = nrows / n, rem = nrows % n;
    if (row < rem * (base + 1))
        return (int)(row / (base + 1));
    return (int)(rem + (row - rem * (base + 1)) / base);
}
