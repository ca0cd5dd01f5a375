/* pa_unique: numpy.unique of a distributed array, built on the flat sort.
 * The sorted copy is cut into runs of equal keys; each rank takes the runs
 * that start in its span, writes their first elements and lengths into the
 * replicated results at its offset in its node's copy, and the node
 * leaders broadcast their node's part to the other nodes. The inverse is a
 * binary search of each element in the replicated values. */
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "sort.h"

/* The largest piece of one broadcast between node leaders (bytes). */
#define UNIQUE_BCAST_MAX ((size_t)1 << 30)

/* What every rank of the group tells the others, indexed by group rank. */
typedef struct {
    uint64_t start, m; /* its span of the sorted copy: global positions */
    uint64_t last;     /* the key of its last element (when m > 0) */
    uint64_t nruns;    /* runs that start in its span */
    uint64_t first;    /* the global position of the first of them */
    uint64_t offset;   /* runs that start before its span */
} unique_span;

/* One pa_unique over a's group. */
typedef struct {
    const pa_array *a;
    const pa__sort_ops *ops;
    pa_array *sorted;
    MPI_Comm comm;
    int me, size;
    size_t es, lo, m;
    unique_span *spans;
    uint64_t total; /* distinct values in the group */
} unique_run;

/* Collective over the group: every rank's span, and which run its first
 * element continues. */
static int share_spans(unique_run *u)
{
    pa_ctx *ctx = u->a->ctx;
    size_t gbase = u->a->dist == PA_DISTRIBUTED ? u->a->row0 * u->a->rowsize : 0;
    const char *run = pa__node_ptr(u->sorted, u->lo);
    unique_span *me = &u->spans[u->me];
    me->start = gbase + u->lo;
    me->m = u->m;
    me->last = u->m ? u->ops->key(run + (u->m - 1) * u->es) : 0;
    PA_MPI(ctx, MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, u->spans,
                              (int)(sizeof *u->spans), MPI_BYTE, u->comm));
    /* The element before this span: the last of the nonempty span that
     * ends where this one starts. */
    int has_prev = 0;
    uint64_t prev = 0;
    for (int s = 0; s < u->size; s++)
        if (u->spans[s].m && u->spans[s].start + u->spans[s].m == me->start) {
            has_prev = 1;
            prev = u->spans[s].last;
        }
    me->nruns = 0;
    for (size_t i = 0; i < u->m; i++) {
        uint64_t key = u->ops->key(run + i * u->es);
        if (i ? key != prev : !has_prev || key != prev) {
            if (!me->nruns)
                me->first = me->start + i;
            me->nruns++;
        }
        prev = key;
    }
    PA_MPI(ctx, MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, u->spans,
                              (int)(sizeof *u->spans), MPI_BYTE, u->comm));
    u->total = 0;
    for (int s = 0; s < u->size; s++) {
        u->total += u->spans[s].nruns;
        u->spans[s].offset = 0;
        for (int t = 0; t < u->size; t++)
            if (u->spans[t].start < u->spans[s].start)
                u->spans[s].offset += u->spans[t].nruns;
    }
    return PA_OK;
}

/* Writes this rank's runs into its node's copy of values and counts
 * (either NULL): their first elements and their lengths. */
static void write_runs(const unique_run *u, pa_array *values, pa_array *counts)
{
    const unique_span *me = &u->spans[u->me];
    if (!me->nruns)
        return;
    /* The run after this span's last one starts at the next span's first
     * run, or at the end. */
    uint64_t end = u->a->size;
    for (int s = 0; s < u->size; s++)
        if (u->spans[s].nruns && u->spans[s].start > me->start && u->spans[s].first < end)
            end = u->spans[s].first;
    const char *run = pa__node_ptr(u->sorted, u->lo);
    size_t i = (size_t)(me->first - me->start);
    uint64_t j = me->offset, begin = me->first, key = u->ops->key(run + i * u->es);
    if (values)
        memcpy(pa__node_ptr(values, j), run + i * u->es, u->es);
    for (i++; i < u->m; i++) {
        uint64_t k = u->ops->key(run + i * u->es);
        if (k == key)
            continue;
        if (counts)
            *(int64_t *)pa__node_ptr(counts, j) = (int64_t)(me->start + i - begin);
        j++;
        if (values)
            memcpy(pa__node_ptr(values, j), run + i * u->es, u->es);
        begin = me->start + i;
        key = k;
    }
    if (counts)
        *(int64_t *)pa__node_ptr(counts, j) = (int64_t)(end - begin);
}

/* Collective. Every node's part of the replicated r (element size es) to
 * every other node: the leaders broadcast the parts, node by node, in
 * pieces of at most UNIQUE_BCAST_MAX bytes. */
static int publish_parts(const unique_run *u, pa_array *r)
{
    pa_ctx *ctx = u->a->ctx;
    /* The node's ranks' parts, to the leader. */
    int rc = pa__array_sync_agree(r, PA_OK);
    if (rc == PA_OK && ctx->leader_comm != MPI_COMM_NULL) {
        for (int k = 0; rc == PA_OK && k < ctx->nnodes; k++) {
            uint64_t from = UINT64_MAX, to = 0;
            for (int s = 0; s < u->size; s++)
                if (ctx->node_of[s] == k && u->spans[s].nruns) {
                    from = u->spans[s].offset < from ? u->spans[s].offset : from;
                    to = u->spans[s].offset + u->spans[s].nruns > to
                             ? u->spans[s].offset + u->spans[s].nruns
                             : to;
                }
            size_t es = r->part.elsize, bytes = to > from ? (size_t)(to - from) * es : 0;
            char *base = to > from ? pa__node_ptr(r, (size_t)from) : NULL;
            for (size_t at = 0; rc == PA_OK && at < bytes; at += UNIQUE_BCAST_MAX) {
                size_t n = bytes - at < UNIQUE_BCAST_MAX ? bytes - at : UNIQUE_BCAST_MAX;
                rc = pa__mpi(ctx, __func__,
                             MPI_Bcast(base + at, (int)n, MPI_BYTE, k, ctx->leader_comm),
                             "MPI_Bcast");
            }
        }
    }
    return pa__array_sync_agree(r, rc);
}

/* The replicated results: the arrays, the runs written, and published. */
static int make_results(unique_run *u, pa_array **values, pa_array **counts)
{
    pa_ctx *ctx = u->a->ctx;
    size_t n = (size_t)u->total;
    PA_TRY(pa_array_create(ctx, u->a->dtype, 1, &n, PA_REPLICATED, values));
    if (counts)
        PA_TRY(pa_array_create(ctx, PA_I64, 1, &n, PA_REPLICATED, counts));
    write_runs(u, *values, counts ? *counts : NULL);
    int across = u->a->dist == PA_DISTRIBUTED && ctx->nnodes > 1;
    PA_TRY(across ? publish_parts(u, *values) : pa__array_sync_agree(*values, PA_OK));
    if (counts)
        PA_TRY(across ? publish_parts(u, *counts) : pa__array_sync_agree(*counts, PA_OK));
    return PA_OK;
}

/* Collective. inverse = the index in values of each element of a: the
 * number of distinct values whose key is below the element's. */
static int make_inverse(unique_run *u, const pa_array *values, pa_array **inverse)
{
    const pa_array *a = u->a;
    PA_TRY(pa_array_create(a->ctx, PA_I64, a->ndim, a->shape, a->dist, inverse));
    size_t lo, hi;
    pa__local_range(a, &lo, &hi);
    const char *p = pa__node_ptr(a, lo);
    pa__sort_run run = {.v = pa__node_ptr(values, 0), .m = (size_t)u->total};
    int64_t *out = pa__node_ptr(*inverse, lo);
    for (size_t i = 0; i < hi - lo; i++)
        out[i] = (int64_t)u->ops->count(&run, u->ops->key(p + i * u->es), 0);
    return pa__array_sync_agree(*inverse, PA_OK);
}

int pa_unique(const pa_array *a, pa_array **values, pa_array **counts, pa_array **inverse)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %d, %d", PA_CC_ARRAY(a), counts != NULL,
                  inverse != NULL);
    pa_ctx *ctx = a->ctx;
    PA_CHECK(ctx, values, PA_EINVAL, "values must not be NULL");
    *values = NULL;
    if (counts)
        *counts = NULL;
    if (inverse)
        *inverse = NULL;
    PA_TRY(pa__sort_check_dtype(__func__, a));
    int dist = a->dist == PA_DISTRIBUTED;
    unique_run u = {.a = a, .ops = pa__sort_ops_of(a->dtype), .es = a->part.elsize};
    u.comm = dist ? ctx->comm : ctx->node_comm;
    u.me = dist ? ctx->rank : ctx->node_rank;
    u.size = dist ? ctx->size : ctx->node_size;
    size_t hi;
    pa__local_range(a, &u.lo, &hi);
    u.m = hi - u.lo;
    u.spans = calloc((size_t)u.size, sizeof *u.spans);
    int rc = u.spans ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, a->dtype, a->ndim, a->shape, a->dist, &u.sorted);
    if (rc == PA_OK && a->size)
        rc = pa__sort_flat(__func__, u.sorted, NULL, a);
    if (rc == PA_OK)
        rc = share_spans(&u);
    if (rc == PA_OK)
        rc = make_results(&u, values, counts);
    if (rc == PA_OK && inverse)
        rc = make_inverse(&u, *values, inverse);
    free(u.spans);
    int frc = pa_array_free(&u.sorted);
    rc = rc < 0 ? rc : frc;
    if (rc < 0) {
        pa_array_free(values);
        if (counts)
            pa_array_free(counts);
        if (inverse)
            pa_array_free(inverse);
    }
    return rc;
}
