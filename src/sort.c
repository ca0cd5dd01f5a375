/* Sorting, pa_sort and pa_argsort: along the last axis of an N-D array each
 * rank sorts the rows that start in its span; a 1-D array is sorted over
 * its group (the job, or the node for a replicated array) by the protocol
 * of sort.h: local radix sorts into a node-shared scratch, exact cuts, a
 * merge that reads the node's runs in place and receives only the pieces
 * of other nodes. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "sort.h"

/* The largest message of the exchange between nodes (bytes): MPI counts
 * are ints, and pieces go in messages of this size. */
#define SORT_MSG_MAX ((size_t)1 << 26)

/* The fewest elements of a round, however small the buffer: rounds of
 * fewer would spend more on the cuts than on the merge. */
#define SORT_ROUND_MIN ((size_t)4096)

/* ------------------------------------------------------------ rows */

/* Sorts each row of the last axis that starts in this rank's span into
 * out (values) and idx (indices inside the row), either NULL to leave
 * out; then the node sync of the written array, agreed. */
static int sort_rows(pa_array *out, pa_array *idx, const pa_array *a)
{
    const pa__sort_ops *ops = pa__sort_ops_of(a->dtype);
    pa_array *dst = out ? out : idx;
    size_t es = a->part.elsize, len = a->shape[a->ndim - 1], lo, hi;
    pa__local_range(a, &lo, &hi);
    size_t r0 = len ? (lo + len - 1) / len : 0, r1 = len ? (hi + len - 1) / len : 0;
    char *buf = len && r1 > r0 ? malloc(2 * len * (es + sizeof(int64_t))) : NULL;
    int rc = len && r1 > r0 && !buf ? pa__err(a->ctx, __func__, PA_ENOMEM, "out of memory")
                                    : PA_OK;
    rc = pa__agree(a->ctx, a->ctx->comm, rc);
    if (rc < 0)
        return rc;
    int64_t *ia = (int64_t *)(buf + 2 * len * es), *ib = ia + len;
    for (size_t r = r0; r < r1; r++) {
        int in_b = ops->radix(pa__node_ptr(a, r * len), NULL, 0, buf, idx ? ia : NULL,
                              buf + len * es, idx ? ib : NULL, len);
        if (out)
            memcpy(pa__node_ptr(out, r * len), buf + (in_b ? len * es : 0), len * es);
        if (idx)
            memcpy(pa__node_ptr(idx, r * len), in_b ? ib : ia, len * sizeof(int64_t));
    }
    free(buf);
    /* Publishes the rows to the node's ranks. */
    return pa__array_sync_agree(dst, PA_OK);
}

/* ------------------------------------------------------------ 1-D */

/* One sort of a 1-D array over its group: a sort (out) or an argsort
 * (idx). Each rank's output range is merged in rounds of at most `round`
 * elements, so that the pieces received from other nodes take a bounded
 * buffer (rv, ri); an argsort's runs hold only indices, so it merges in
 * rounds inside a node too, and gathers every piece's values into rv. */
typedef struct {
    const char *fn;
    const pa_array *a;
    pa_array *out, *idx; /* the output: one of them */
    pa_array *sv, *si;   /* the node-shared scratch: sorted values (sort), indices (argsort) */
    pa__sort_run run;    /* this rank's run as the cuts read it */
    size_t buffer;       /* this rank's share of PARRAY_SORT_BUFFER_MB, in bytes */
    const pa__sort_ops *ops;
    MPI_Comm comm;
    int me, size;
    size_t es, lo, m,
        gbase; /* this rank's span: node elements [lo, lo + m); gbase: node element 0's index */
    uint64_t *spans; /* per group rank: offset, count */
    size_t round;    /* the elements of one round's merge */
    int nk; /* the rounds' boundaries in all: each rank's output start, then its rounds' ends */
    int *first;   /* per group rank: the index of its first boundary (size + 1 of them) */
    size_t *cuts; /* per group rank: its cut at each boundary (nk of them) */
    char *rv;     /* the values of one round's pieces that piece_buffered names */
    int64_t *ri;  /* an argsort's indices of one round's pieces from other nodes */
    char *send;   /* an argsort's values of the pieces it sends in one round */
} flat_sort;

static int group_is_local(const flat_sort *f, int s)
{
    return f->a->dist == PA_REPLICATED || f->a->ctx->node_of[s] == f->a->ctx->node;
}

/* Pieces whose values a round's merge reads from rv: the other nodes',
 * and for an argsort every piece (its runs hold indices only). */
static int piece_buffered(const flat_sort *f, int s)
{
    return f->si || !group_is_local(f, s);
}

/* Sorts this rank's span into the scratch (its own part of it), with the
 * output's span as the ping-pong buffer. */
static int sort_span(flat_sort *f)
{
    const void *v = pa__node_ptr(f->a, f->lo);
    int64_t ibase = (int64_t)(f->gbase + f->lo);
    int rc = PA_OK;
    if (f->si)
        rc = pa__sort_index_span(f->a->ctx, f->fn, f->ops, v, ibase, f->m,
                                 pa__node_ptr(f->si, f->lo), pa__node_ptr(f->idx, f->lo),
                                 f->buffer);
    else {
        void *run = pa__node_ptr(f->sv, f->lo), *pong = pa__node_ptr(f->out, f->lo);
        if (f->ops->radix(v, NULL, ibase, run, NULL, pong, NULL, f->m))
            memcpy(run, pong, f->m * f->es);
    }
    /* Publishes every rank's run to the node's ranks, which merge from
     * them next. */
    return pa__array_sync_agree(f->si ? f->si : f->sv, rc);
}

/* The number of rounds of group rank s's output range. */
static int rounds_of(const flat_sort *f, int s)
{
    return f->first[s + 1] - f->first[s] - 1;
}

/* The group's spans, the rounds' boundaries, and every rank's cuts at
 * every boundary. */
static int cut_runs(flat_sort *f)
{
    pa_ctx *ctx = f->a->ctx;
    uint64_t mine[2] = {f->gbase + f->lo, f->m};
    PA_MPI(ctx, MPI_Allgather(mine, 2, MPI_UINT64_T, f->spans, 2, MPI_UINT64_T, f->comm));
    size_t nk = 0;
    for (int s = 0; s < f->size; s++) {
        f->first[s] = (int)nk;
        nk += 1 + (f->spans[2 * s + 1] + f->round - 1) / f->round;
    }
    f->first[f->size] = (int)nk;
    f->nk = (int)nk;
    size_t *k = malloc(nk * sizeof *k), *pos = malloc(nk * sizeof *pos);
    f->cuts = malloc((size_t)f->size * nk * sizeof *f->cuts);
    int rc = pa__agree(ctx, f->comm,
                       k && pos && f->cuts ? PA_OK
                                           : pa__err(ctx, __func__, PA_ENOMEM, "out of memory"));
    for (int s = 0; rc == PA_OK && s < f->size; s++)
        for (int t = 0; t <= rounds_of(f, s); t++) {
            size_t at = (size_t)t * f->round;
            k[f->first[s] + t] = f->spans[2 * s] +
                                 (at < f->spans[2 * s + 1] ? at : f->spans[2 * s + 1]);
        }
    if (rc == PA_OK)
        rc = pa__runs_cut(ctx, f->comm, f->ops, &f->run, mine[0], f->nk, k, pos);
    _Static_assert(sizeof(size_t) == sizeof(uint64_t), "cuts travel as MPI_UINT64_T");
    if (rc == PA_OK)
        rc = pa__mpi(
            ctx, __func__,
            MPI_Allgather(pos, f->nk, MPI_UINT64_T, f->cuts, f->nk, MPI_UINT64_T, f->comm),
            "MPI_Allgather");
    free(k);
    free(pos);
    return rc;
}

/* The piece of group rank s's run that goes to group rank r's round t. */
static void piece_range(const flat_sort *f, int s, int r, int t, size_t *from, size_t *n)
{
    const size_t *c = f->cuts + (size_t)s * (size_t)f->nk + f->first[r] + t;
    *from = c[0];
    *n = c[1] - c[0];
}

/* Sends (or receives) count elements of es bytes at p in messages of at
 * most SORT_MSG_MAX bytes; MPI keeps their order between one pair. */
static int post_piece(flat_sort *f, int send, void *p, size_t es, size_t count, int peer,
                      MPI_Request **req)
{
    size_t per = SORT_MSG_MAX / es;
    for (size_t at = 0; at < count; at += per) {
        int n = (int)((count - at < per ? count - at : per) * es);
        char *q = (char *)p + at * es;
        int mrc = send ? MPI_Isend(q, n, MPI_BYTE, peer, 0, f->comm, (*req)++)
                       : MPI_Irecv(q, n, MPI_BYTE, peer, 0, f->comm, (*req)++);
        PA_TRY(pa__mpi(f->a->ctx, __func__, mrc, send ? "MPI_Isend" : "MPI_Irecv"));
    }
    return PA_OK;
}

/* Round t's exchange: the pieces of other nodes' runs for this rank's
 * round t into rv (and ri), at their places among the buffered pieces in
 * group-rank order, and the pieces of this rank's run for the other nodes'
 * ranks' rounds t (an argsort's values gathered through its indices). */
static int exchange(flat_sort *f, int t)
{
    size_t nmsg = 0, per = SORT_MSG_MAX / (f->es > 8 ? f->es : 8);
    for (int s = 0; s < f->size; s++) {
        size_t from, n_in = 0, n_out = 0;
        if (group_is_local(f, s))
            continue;
        if (t < rounds_of(f, f->me))
            piece_range(f, s, f->me, t, &from, &n_in);
        if (t < rounds_of(f, s))
            piece_range(f, f->me, s, t, &from, &n_out);
        nmsg += 2 * ((n_in + per - 1) / per + (n_out + per - 1) / per);
    }
    MPI_Request *reqs = malloc((nmsg + 1) * sizeof *reqs), *req = reqs;
    int rc = reqs ? PA_OK : pa__err(f->a->ctx, __func__, PA_ENOMEM, "out of memory");
    size_t at = 0, sent = 0;
    for (int s = 0; rc == PA_OK && s < f->size; s++) {
        int local = group_is_local(f, s);
        size_t from, n;
        if (t < rounds_of(f, f->me) && piece_buffered(f, s)) {
            piece_range(f, s, f->me, t, &from, &n);
            if (!local)
                rc = post_piece(f, 0, f->rv + at * f->es, f->es, n, s, &req);
            if (rc == PA_OK && !local && f->ri)
                rc = post_piece(f, 0, f->ri + at, sizeof(int64_t), n, s, &req);
            at += n;
        }
        if (rc == PA_OK && !local && t < rounds_of(f, s)) {
            piece_range(f, f->me, s, t, &from, &n);
            void *v = pa__node_ptr(f->sv ? f->sv : f->a, f->lo + from);
            int64_t *ix = f->si ? pa__node_ptr(f->si, f->lo + from) : NULL;
            if (ix) {
                v = f->send + sent * f->es;
                f->ops->gather(pa__node_ptr(f->a, 0), ix, (int64_t)f->gbase, n, v, NULL);
                sent += n;
            }
            rc = post_piece(f, 1, v, f->es, n, s, &req);
            if (rc == PA_OK && ix)
                rc = post_piece(f, 1, ix, sizeof(int64_t), n, s, &req);
        }
    }
    if (rc == PA_OK)
        rc = pa__mpi(f->a->ctx, __func__,
                     MPI_Waitall((int)(req - reqs), reqs, MPI_STATUSES_IGNORE), "MPI_Waitall");
    free(reqs);
    return rc;
}

/* Merges round t of this rank's output range from the pieces of every
 * run, in the order of the runs' offsets: the node's runs read in the
 * scratch (an argsort's values gathered into rv through its indices), the
 * others' from what exchange received. */
static int merge_round(flat_sort *f, int t)
{
    pa__sort_piece *pieces = malloc((size_t)f->size * sizeof *pieces);
    int *order = malloc((size_t)f->size * sizeof *order);
    int rc = pieces && order ? PA_OK : pa__err(f->a->ctx, __func__, PA_ENOMEM, "out of memory");
    if (rc == PA_OK) {
        /* Buffered pieces lie in rv in group-rank order. */
        size_t at = 0, out_at = f->lo + (size_t)t * f->round, n_out = 0;
        for (int s = 0; s < f->size; s++) {
            size_t from, n;
            piece_range(f, s, f->me, t, &from, &n);
            pa__sort_piece *p = &pieces[s];
            p->n = n;
            n_out += n;
            size_t node_el = f->spans[2 * s] - f->gbase + from;
            const int64_t *ix = f->si ? pa__node_ptr(f->si, node_el) : NULL;
            if (!group_is_local(f, s)) {
                p->v = f->rv + at * f->es;
                p->idx = f->ri ? f->ri + at : NULL;
            } else if (ix) {
                p->v = f->rv + at * f->es;
                p->idx = ix;
                f->ops->gather(pa__node_ptr(f->a, 0), ix, (int64_t)f->gbase, n,
                               f->rv + at * f->es, NULL);
            } else {
                p->v = pa__node_ptr(f->sv, node_el);
                p->idx = NULL;
            }
            at += piece_buffered(f, s) ? n : 0;
        }
        /* Insertion by offset: the group's ranks in global index order. */
        for (int s = 0; s < f->size; s++) {
            int j = s;
            for (; j > 0 && f->spans[2 * order[j - 1]] > f->spans[2 * s]; j--)
                order[j] = order[j - 1];
            order[j] = s;
        }
        pa__sort_piece sorted[f->size];
        for (int s = 0; s < f->size; s++)
            sorted[s] = pieces[order[s]];
        f->ops->merge(sorted, f->size, f->out ? pa__node_ptr(f->out, out_at) : NULL,
                      f->idx ? pa__node_ptr(f->idx, out_at) : NULL, n_out);
    }
    free(pieces);
    free(order);
    return rc;
}

/* The rounds' size and buffers. Across nodes a round's pieces from other
 * nodes take at most this rank's share of PARRAY_SORT_BUFFER_MB, and an
 * argsort's pieces of its own run for them up to that for each other
 * node's rank; an argsort also gathers all of a round's values. Inside a
 * node, where nothing is received, a sort's round is the whole range. */
static int alloc_rounds(flat_sort *f, int remote)
{
    pa_ctx *ctx = f->a->ctx;
    size_t nremote = 0;
    for (int s = 0; s < f->size; s++)
        nremote += !group_is_local(f, s);
    size_t per_elem = f->si ? f->es + (remote ? sizeof(int64_t) + nremote * f->es : 0) : f->es;
    uint64_t round = f->si || remote ? f->buffer / per_elem : f->a->size;
    if (round < SORT_ROUND_MIN)
        round = SORT_ROUND_MIN;
    /* Every rank cuts every range at the same rounds: the smallest of the
     * group's (nodes of fewer ranks have larger shares). */
    PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &round, 1, MPI_UINT64_T, MPI_MIN, f->comm));
    f->round = (size_t)round;
    size_t buf = f->m < f->round ? f->m : f->round, sent = nremote * f->round;
    int buffered = f->si || remote;
    f->spans = malloc(2 * (size_t)f->size * sizeof *f->spans);
    f->first = malloc(((size_t)f->size + 1) * sizeof *f->first);
    f->rv = buffered ? malloc(buf * f->es + 1) : NULL;
    f->ri = remote && f->si ? malloc(buf * sizeof(int64_t) + 1) : NULL;
    f->send = remote && f->si ? malloc((f->m < sent ? f->m : sent) * f->es + 1) : NULL;
    int rc = f->spans && f->first && (!buffered || f->rv) &&
                     (!remote || !f->si || (f->ri && f->send))
                 ? PA_OK
                 : pa__err(ctx, f->fn, PA_ENOMEM, "out of memory for the sort's %zu elements",
                           f->m);
    return pa__agree(ctx, ctx->comm, rc);
}

int pa__sort_flat(const char *fn, pa_array *out, pa_array *idx, const pa_array *a)
{
    pa_ctx *ctx = a->ctx;
    assert(!out != !idx);
    flat_sort f = {.fn = fn,
                   .a = a,
                   .out = out,
                   .idx = idx,
                   .ops = pa__sort_ops_of(a->dtype),
                   .es = a->part.elsize};
    f.comm = a->dist == PA_DISTRIBUTED ? ctx->comm : ctx->node_comm;
    f.me = a->dist == PA_DISTRIBUTED ? ctx->rank : ctx->node_rank;
    f.size = a->dist == PA_DISTRIBUTED ? ctx->size : ctx->node_size;
    f.gbase = a->dist == PA_DISTRIBUTED ? a->row0 * a->rowsize : 0;
    f.buffer = ((size_t)ctx->sort_buffer_mb << 20) / (size_t)ctx->node_size;
    size_t hi;
    pa__local_range(a, &f.lo, &hi);
    f.m = hi - f.lo;
    int remote = a->dist == PA_DISTRIBUTED && ctx->nnodes > 1;
    /* Everything is allocated before any output is written, so that a
     * failure leaves the outputs as they were. The scratch is the size of
     * the output: a sort's values, or an argsort's indices. */
    int rc = out ? pa_array_create(ctx, a->dtype, a->ndim, a->shape, a->dist, &f.sv)
                 : pa_array_create(ctx, PA_I64, a->ndim, a->shape, a->dist, &f.si);
    if (rc < 0)
        return rc;
    f.run = f.si ? (pa__sort_run){.v = pa__node_ptr(a, 0),
                                  .through = pa__node_ptr(f.si, f.lo),
                                  .shift = (int64_t)f.gbase,
                                  .m = f.m}
                 : (pa__sort_run){.v = pa__node_ptr(f.sv, f.lo), .m = f.m};
    rc = alloc_rounds(&f, remote);
    if (rc == PA_OK)
        rc = sort_span(&f);
    if (rc == PA_OK)
        rc = cut_runs(&f);
    int nrounds = 0;
    for (int s = 0; rc == PA_OK && s < f.size; s++)
        if (rounds_of(&f, s) > nrounds)
            nrounds = rounds_of(&f, s);
    /* Every rank takes every round, so that it sends its pieces for the
     * others' rounds; each round is agreed before the next one's
     * messages. */
    for (int t = 0; rc == PA_OK && t < nrounds; t++) {
        if (remote)
            rc = exchange(&f, t);
        if (rc == PA_OK && t < rounds_of(&f, f.me))
            rc = merge_round(&f, t);
        rc = pa__agree(ctx, f.comm, rc);
    }
    /* Publishes every rank's output range to the node's ranks; after it
     * no rank reads the scratch any more. */
    rc = pa__array_sync_agree(out ? out : idx, rc);
    free(f.spans);
    free(f.first);
    free(f.cuts);
    free(f.rv);
    free(f.ri);
    free(f.send);
    int frc = pa_array_free(&f.si);
    int frc2 = pa_array_free(&f.sv);
    return rc < 0 ? rc : frc < 0 ? frc : frc2;
}

/* ------------------------------------------------------------ entry points */

int pa_sort(pa_array *out, const pa_array *a)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_TRY(pa__check_array(__func__, out, "out"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %s", PA_CC_ARRAY(out), PA_CC_ARRAY(a));
    PA_TRY(pa__check_match(__func__, a, "a", out, "out", 1));
    PA_TRY(pa__sort_check_dtype(__func__, a));
    return a->ndim == 1 ? pa__sort_flat(__func__, out, NULL, a) : sort_rows(out, NULL, a);
}

int pa_argsort(pa_array *idx, const pa_array *a)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_TRY(pa__check_array(__func__, idx, "idx"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %s", PA_CC_ARRAY(idx), PA_CC_ARRAY(a));
    PA_TRY(pa__check_match(__func__, a, "a", idx, "idx", 0));
    PA_CHECK(a->ctx, idx->dtype == PA_I64, PA_EINVAL, "idx must be i64, not %s",
             pa_dtype_name(idx->dtype));
    PA_CHECK(a->ctx, idx != a, PA_EINVAL,
             "idx is a: pa_argsort reads a's values while it writes idx, so idx must be "
             "another array");
    PA_TRY(pa__sort_check_dtype(__func__, a));
    return a->ndim == 1 ? pa__sort_flat(__func__, NULL, idx, a) : sort_rows(NULL, idx, a);
}
