/* Positions in the sorted whole of runs held by the ranks of a group: the
 * key at a global position, by bisection of the key range with one
 * allreduce of counts per bit, and each rank's cut of a position, which
 * is exact (not a sample's estimate), so every rank receives exactly its
 * output range. */
#include <stdlib.h>

#include "sort.h"

int pa__runs_key_at(pa_ctx *ctx, MPI_Comm comm, const pa__sort_ops *ops, const pa__sort_run *run,
                    int nk, const size_t *k, uint64_t *key)
{
    if (nk == 0)
        return PA_OK;
    uint64_t *lo = malloc(3 * (size_t)nk * sizeof *lo);
    int rc = pa__agree(ctx, comm,
                       lo ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory"));
    if (rc < 0) {
        free(lo);
        return rc;
    }
    uint64_t *hi = lo + nk, *cnt = hi + nk;
    uint64_t top = ops->key_bits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << ops->key_bits) - 1;
    for (int j = 0; j < nk; j++) {
        lo[j] = 0;
        hi[j] = top;
    }
    /* Invariant: the element at k[j] has a key in [lo[j], hi[j]]. Every
     * rank takes the same steps, since the counts are summed. */
    for (int bit = 0; bit <= ops->key_bits; bit++) {
        int open = 0;
        for (int j = 0; j < nk; j++) {
            uint64_t mid = lo[j] + (hi[j] - lo[j]) / 2;
            cnt[j] = lo[j] < hi[j] ? ops->count(run, mid, 1) : 0;
            open |= lo[j] < hi[j];
        }
        if (!open)
            break;
        int mrc = MPI_Allreduce(MPI_IN_PLACE, cnt, nk, MPI_UINT64_T, MPI_SUM, comm);
        if (mrc != MPI_SUCCESS) {
            free(lo);
            return pa__mpi(ctx, __func__, mrc, "MPI_Allreduce");
        }
        for (int j = 0; j < nk; j++) {
            if (lo[j] == hi[j])
                continue;
            uint64_t mid = lo[j] + (hi[j] - lo[j]) / 2;
            if (cnt[j] > k[j])
                hi[j] = mid;
            else
                lo[j] = mid + 1;
        }
    }
    for (int j = 0; j < nk; j++)
        key[j] = lo[j];
    free(lo);
    return PA_OK;
}

int pa__runs_cut(pa_ctx *ctx, MPI_Comm comm, const pa__sort_ops *ops, const pa__sort_run *run,
                 size_t offset, int nk, const size_t *k, size_t *pos)
{
    int size;
    PA_MPI(ctx, MPI_Comm_size(comm, &size));
    uint64_t total = run->m;
    PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_UINT64_T, MPI_SUM, comm));
    /* The positions inside the whole need a key; 0 and total do not. */
    size_t row = 1 + 2 * (size_t)nk; /* offset, then (below, equal) per position */
    size_t *inner = calloc((size_t)nk + 1, sizeof *inner);
    uint64_t *keys = malloc((size_t)nk * sizeof *keys);
    uint64_t *all = malloc(((size_t)size + 1) * row * sizeof *all);
    int rc = inner && keys && all ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    rc = pa__agree(ctx, comm, rc);
    if (rc < 0)
        goto out;
    int ni = 0;
    for (int j = 0; j < nk; j++)
        if (k[j] > 0 && k[j] < total)
            inner[ni++] = k[j];
    rc = pa__runs_key_at(ctx, comm, ops, run, ni, inner, keys);
    if (rc < 0)
        goto out;
    uint64_t *my_row = all + (size_t)size * row; /* the row after the gathered ones */
    my_row[0] = offset;
    for (int j = 0, i = 0; j < nk; j++) {
        my_row[1 + 2 * j] = my_row[2 + 2 * j] = 0;
        if (k[j] > 0 && k[j] < total) {
            size_t below = ops->count(run, keys[i], 0);
            my_row[1 + 2 * j] = below;
            my_row[2 + 2 * j] = ops->count(run, keys[i], 1) - below;
            i++;
        }
    }
    rc = pa__mpi(ctx, __func__,
                 MPI_Allgather(my_row, (int)row, MPI_UINT64_T, all, (int)row, MPI_UINT64_T, comm),
                 "MPI_Allgather");
    if (rc < 0)
        goto out;
    for (int j = 0; j < nk; j++) {
        if (k[j] == 0 || k[j] >= total) {
            pos[j] = k[j] == 0 ? 0 : run->m;
            continue;
        }
        /* Elements of the position's key come in the order of their
         * ranks' offsets: this rank takes what is left of them after the
         * smaller keys and the equal keys of ranks before it. */
        uint64_t below = 0, before = 0;
        for (int s = 0; s < size; s++) {
            const uint64_t *r = all + (size_t)s * row;
            below += r[1 + 2 * j];
            if (r[0] < offset)
                before += r[2 + 2 * j];
        }
        uint64_t eq = my_row[2 + 2 * j], need = k[j] - below;
        uint64_t take = need > before ? need - before : 0;
        pos[j] = my_row[1 + 2 * j] + (take < eq ? take : eq);
    }
out:
    free(inner);
    free(keys);
    free(all);
    return rc;
}
