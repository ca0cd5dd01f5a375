/* pa_topk: the k smallest or largest elements of an array and their flat
 * indices. Each rank keeps its k best candidates in a heap while it reads
 * its span once; one allreduce with a merging operation then leaves the k
 * best of the group on every rank. A candidate is ordered by (key, global
 * index), a total order, so the merge is associative and commutative and
 * the result is the same for every rank count. */
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "sort.h"

/* One candidate: its order key (for the largest k the key reversed, so
 * that smaller is always better), its global flat index and its bits. */
typedef struct {
    uint64_t key;
    int64_t idx;
    uint64_t bits;
} candidate;

/* A slot no element fills: after every real candidate, NaN included. */
static const candidate no_candidate = {UINT64_MAX, INT64_MAX, 0};

static int better(const candidate *x, const candidate *y)
{
    return x->key < y->key || (x->key == y->key && x->idx < y->idx);
}

/* Sifts the heap's root (the worst of h candidates) down to its place. */
static void sift_down(candidate *heap, size_t h, size_t i)
{
    for (;;) {
        size_t w = i, l = 2 * i + 1, r = l + 1;
        if (l < h && better(&heap[w], &heap[l]))
            w = l;
        if (r < h && better(&heap[w], &heap[r]))
            w = r;
        if (w == i)
            return;
        candidate t = heap[i];
        heap[i] = heap[w];
        heap[w] = t;
        i = w;
    }
}

static void sift_up(candidate *heap, size_t i)
{
    while (i > 0 && better(&heap[(i - 1) / 2], &heap[i])) {
        candidate t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* This rank's k best candidates of its m elements at span (global index
 * of the first: g0), sorted best first, the slots after them empty. */
static void local_best(const pa__sort_ops *ops, size_t es, const char *span, size_t m, size_t g0,
                       uint64_t flip, size_t k, candidate *best)
{
    size_t h = 0;
    for (size_t i = 0; i < m; i++) {
        const char *p = span + i * es;
        candidate c = {ops->key(p) ^ flip, (int64_t)(g0 + i), 0};
        if (h < k) {
            memcpy(&c.bits, p, es);
            best[h] = c;
            sift_up(best, h++);
        } else if (better(&c, &best[0])) {
            memcpy(&c.bits, p, es);
            best[0] = c;
            sift_down(best, h, 0);
        }
    }
    /* Heap sort: the worst goes to the end, one at a time. */
    for (size_t n = h; n > 1; n--) {
        candidate t = best[0];
        best[0] = best[n - 1];
        best[n - 1] = t;
        sift_down(best, n - 1, 0);
    }
    for (size_t i = h; i < k; i++)
        best[i] = no_candidate;
}

/* The allreduce's operation: inout = the k best of the two sorted lists in
 * and inout (each datatype element is one list of k). Merges from the
 * back, so that it needs no buffer: inout's unread candidates always lie
 * before the place being written. */
static void merge_best(void *in, void *inout, int *len, MPI_Datatype *type)
{
    int bytes;
    MPI_Type_size(*type, &bytes);
    size_t k = (size_t)bytes / sizeof(candidate);
    for (int l = 0; l < *len; l++) {
        const candidate *x = (const candidate *)in + (size_t)l * k;
        candidate *y = (candidate *)inout + (size_t)l * k;
        size_t i = 0, j = 0;
        while (i + j < k) {
            if (better(&x[i], &y[j]))
                i++;
            else
                j++;
        }
        for (size_t w = k; w-- > 0;) {
            if (j == 0 || (i > 0 && better(&y[j - 1], &x[i - 1])))
                y[w] = x[--i];
            else
                y[w] = y[--j];
        }
    }
}

/* The group's k best into best (k slots, sorted), on every rank of comm. */
static int group_best(pa_ctx *ctx, MPI_Comm comm, size_t k, candidate *best)
{
    MPI_Datatype list;
    MPI_Op op;
    PA_MPI(ctx, MPI_Type_contiguous((int)(k * sizeof(candidate)), MPI_BYTE, &list));
    int rc = pa__mpi(ctx, __func__, MPI_Type_commit(&list), "MPI_Type_commit");
    if (rc == PA_OK)
        rc = pa__mpi(ctx, __func__, MPI_Op_create(merge_best, 1, &op), "MPI_Op_create");
    if (rc == PA_OK) {
        rc = pa__mpi(ctx, __func__, MPI_Allreduce(MPI_IN_PLACE, best, 1, list, op, comm),
                     "MPI_Allreduce");
        MPI_Op_free(&op);
    }
    MPI_Type_free(&list);
    return rc;
}

/* Writes the n best into the new replicated arrays (either may be NULL):
 * the node's first rank writes, the sync publishes to the node. */
static int write_results(const pa_array *a, const candidate *best, size_t n, pa_array *values,
                         pa_array *indices)
{
    if (a->ctx->node_rank == 0)
        for (size_t i = 0; i < n; i++) {
            if (values)
                memcpy(pa__node_ptr(values, i), &best[i].bits, a->part.elsize);
            if (indices)
                memcpy(pa__node_ptr(indices, i), &best[i].idx, sizeof(int64_t));
        }
    if (values)
        PA_TRY(pa__array_sync_agree(values, PA_OK));
    return indices ? pa__array_sync_agree(indices, PA_OK) : PA_OK;
}

int pa_topk(const pa_array *a, size_t k, int largest, pa_array **values, pa_array **indices)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %zu, %d", PA_CC_ARRAY(a), k, largest != 0);
    pa_ctx *ctx = a->ctx;
    if (values)
        *values = NULL;
    if (indices)
        *indices = NULL;
    PA_CHECK(ctx, k <= PA_TOPK_MAX, PA_EINVAL,
             "k = %zu is more than pa_topk takes (%zu): sort with pa_sort instead", k,
             PA_TOPK_MAX);
    PA_TRY(pa__sort_check_dtype(__func__, a));
    const pa__sort_ops *ops = pa__sort_ops_of(a->dtype);
    uint64_t top = ops->key_bits == 64 ? UINT64_MAX : ((uint64_t)1 << ops->key_bits) - 1;
    size_t n = k < a->size ? k : a->size, lo, hi;
    pa__local_range(a, &lo, &hi);
    candidate *best = n ? malloc(n * sizeof *best) : NULL;
    int rc = n && !best ? pa__err(ctx, __func__, PA_ENOMEM, "out of memory for %zu candidates", n)
                        : PA_OK;
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    if (n) {
        size_t g0 = (a->dist == PA_DISTRIBUTED ? a->row0 * a->rowsize : 0) + lo;
        local_best(ops, a->part.elsize, pa__node_ptr(a, lo), hi - lo, g0, largest ? top : 0, n,
                   best);
        MPI_Comm comm = a->dist == PA_DISTRIBUTED ? ctx->comm : ctx->node_comm;
        rc = group_best(ctx, comm, n, best);
    }
    rc = pa__agree(ctx, ctx->comm, rc);
    pa_array *v = NULL, *ix = NULL;
    if (rc == PA_OK && values)
        rc = pa_array_create(ctx, a->dtype, 1, &n, PA_REPLICATED, &v);
    if (rc == PA_OK && indices)
        rc = pa_array_create(ctx, PA_I64, 1, &n, PA_REPLICATED, &ix);
    if (rc == PA_OK)
        rc = write_results(a, best, n, v, ix);
    free(best);
    if (rc < 0) {
        pa_array_free(&v);
        pa_array_free(&ix);
        return rc;
    }
    if (values)
        *values = v;
    if (indices)
        *indices = ix;
    return PA_OK;
}
