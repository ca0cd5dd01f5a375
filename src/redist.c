/* The redistribution engine (see redist.h for its protocol): windows of
 * destination rows, rounds in which each lane's ranks send their share of
 * every piece from the source (or, for a transpose, from their buffer area)
 * and receive into the destination, with pieces inside a node copied
 * directly; and the plans that reshape.c's calls run on it. Every rank of a
 * node copies its own share of every piece. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "compute.h"
#include "redist.h"
#include "transpose_tile.h"

size_t pa__row_elems(const pa_array *a)
{
    size_t n = 1;
    for (int i = 1; i < a->ndim; i++)
        n *= a->shape[i];
    return n;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* ------------------------------------------------------------ copies */

/* Rows [i0, i1) and columns [c0, c1) of a block from `from` (row stride
 * fs elements) to `to` (row stride ts; with transpose, block row i is
 * column i of to). */
static void copy_part(const char *from, ptrdiff_t fs, char *to, ptrdiff_t ts, int transpose,
                      size_t es, size_t i0, size_t i1, size_t c0, size_t c1)
{
    if (i0 >= i1 || c0 >= c1)
        return;
    ptrdiff_t e = (ptrdiff_t)es, i = (ptrdiff_t)i0, c = (ptrdiff_t)c0;
    size_t rows = i1 - i0, cols = c1 - c0;
    from += (i * fs + c) * e;
    to += (transpose ? c * ts + i : i * ts + c) * e;
    if (transpose)
        pa__transpose_copy(from, fs, to, ts, rows, cols, es);
    else if (fs == (ptrdiff_t)cols && ts == (ptrdiff_t)cols)
        memcpy(to, from, rows * cols * es);
    else
        for (size_t r = 0; r < rows; r++)
            memcpy(to + (ptrdiff_t)r * ts * e, from + (ptrdiff_t)r * fs * e, cols * es);
}

/* Part r of n when total is cut into n near-equal parts: its first index. */
static size_t part_start(size_t total, size_t r, size_t n)
{
    return r * (total / n) + r * (total % n) / n;
}

/* Share r of n of a piece: its rows, or for a piece of fewer rows than
 * sharers (a run of one row, say) its columns. */
static void share_of(const pa__piece *pc, int r, int n, size_t *i0, size_t *i1, size_t *c0,
                     size_t *c1)
{
    size_t un = (size_t)n, ur = (size_t)r;
    *i0 = 0, *i1 = pc->rows, *c0 = 0, *c1 = pc->cols;
    if (pc->rows >= un || pc->rows >= pc->cols) {
        *i0 = part_start(pc->rows, ur, un);
        *i1 = part_start(pc->rows, ur + 1, un);
    } else {
        *c0 = part_start(pc->cols, ur, un);
        *c1 = part_start(pc->cols, ur + 1, un);
    }
}

/* What one walk over a window's pieces does with each. */
typedef enum {
    WALK_COUNT,  /* count the pieces, and the elements of this share's transposed ones */
    WALK_LOCAL,  /* source -> destination, both in this node */
    WALK_SEND,   /* source (or the packed buffer, for a transpose) -> a peer */
    WALK_RECV,   /* a peer -> destination (or the buffer, for a transpose) */
    WALK_UNPACK, /* a transpose's received pieces: the buffer -> destination */
} walk_mode;

typedef struct {
    walk_mode mode;
    size_t es;
    int share, nshares; /* this rank's share of each piece */
    const char *src_base;
    size_t src_first; /* flat index of the source node block's first element */
    char *dst_base;
    size_t dst_first;
    char *buf;      /* this rank's area that transposed pieces are packed into or received in */
    size_t pos;     /* elements of the round's shares in the area so far */
    int stream;     /* unpack with streaming stores: the destination is large */
    size_t npieces; /* WALK_COUNT: pieces walked */
    MPI_Comm comm;  /* WALK_SEND, WALK_RECV: the job, and the peer's rank */
    int peer;
    MPI_Request *reqs; /* the round's requests so far */
    size_t nreqs;
    int strided; /* a message of the round has a vector type */
    int mpi_rc;  /* the first failure of the walk's MPI calls */
} walk;

/* Tag of the engine's messages: every round's messages complete before the
 * next round, and no other call of parray has messages open meanwhile. */
#define REDIST_TAG 0x7d

/* Posts a send or receive of count blocks of len bytes, stride bytes apart
 * from at (one run of count * len bytes when they touch). */
static void post(walk *w, void *at, size_t count, size_t len, ptrdiff_t stride)
{
    MPI_Request *req = &w->reqs[w->nreqs++];
    MPI_Datatype t = MPI_BYTE;
    int n = (int)(count * len), rc = MPI_SUCCESS;
    *req = MPI_REQUEST_NULL;
    if (count > 1 && stride != (ptrdiff_t)len) {
        rc = MPI_Type_create_hvector((int)count, (int)len, (MPI_Aint)stride, MPI_BYTE, &t);
        if (rc == MPI_SUCCESS && (rc = MPI_Type_commit(&t)) != MPI_SUCCESS)
            MPI_Type_free(&t);
        n = 1;
    }
    if (rc == MPI_SUCCESS)
        rc = w->mode == WALK_SEND ? MPI_Isend(at, n, t, w->peer, REDIST_TAG, w->comm, req)
                                  : MPI_Irecv(at, n, t, w->peer, REDIST_TAG, w->comm, req);
    /* A type may be freed while its messages are pending. */
    if (t != MPI_BYTE)
        MPI_Type_free(&t);
    if (rc != MPI_SUCCESS && w->mpi_rc == MPI_SUCCESS)
        w->mpi_rc = rc;
}

/* n rows of len bytes, packed at from, to rows stride bytes apart at to. */
static void unpack_rows(const char *from, size_t len, char *to, ptrdiff_t stride, size_t n,
                        int stream)
{
    if (stream) {
        pa__stream_rows(to, (size_t)stride, from, len, len, n);
        return;
    }
    for (size_t k = 0; k < n; k++, from += len, to += stride)
        memcpy(to, from, len);
}

static void on_piece(const pa__piece *pc, void *arg)
{
    walk *w = arg;
    size_t i0, i1, c0, c1, es = w->es;
    w->npieces++;
    share_of(pc, w->share, w->nshares, &i0, &i1, &c0, &c1);
    if (i0 >= i1 || c0 >= c1)
        return;
    size_t rows = i1 - i0, cols = c1 - c0, packed_at = w->pos;
    /* A transpose's shares lie back to back in the rank's area, in the
     * order both ends walk them. */
    if (pc->transpose && w->mode != WALK_LOCAL)
        w->pos += rows * cols;
    if (w->mode == WALK_COUNT)
        return;
    ptrdiff_t e = (ptrdiff_t)es, i = (ptrdiff_t)i0, c = (ptrdiff_t)c0;
    /* Both ends of a message see the same piece, so they agree on it. */
    if (w->mode != WALK_LOCAL && !pc->transpose) {
        int whole_rows = rows == 1 ||
                         (pc->src_stride == (ptrdiff_t)cols && pc->dst_stride == (ptrdiff_t)cols);
        w->strided |= !whole_rows;
    }
    const char *src = w->src_base + (pc->src_off - w->src_first) * es;
    char *dst = w->dst_base + (pc->dst_off - w->dst_first) * es;
    if (w->mode == WALK_LOCAL) {
        copy_part(src, pc->src_stride, dst, pc->dst_stride, pc->transpose, es, i0, i1, c0, c1);
    } else if (w->mode == WALK_SEND && pc->transpose) {
        /* Packed transposed, so that it lands in the destination's rows. */
        char *to = w->buf + packed_at * es;
        pa__transpose_copy(src + (i * pc->src_stride + c) * e, pc->src_stride, to,
                           (ptrdiff_t)rows, rows, cols, es);
        post(w, to, 1, rows * cols * es, 0);
    } else if (w->mode == WALK_SEND) {
        post(w, (char *)src + (i * pc->src_stride + c) * e, rows, cols * es, pc->src_stride * e);
    } else if (pc->transpose) {
        /* Received whole into this rank's area, and unpacked once the
         * round's messages are in (WALK_UNPACK): one contiguous message
         * per piece, which MPI moves in one copy, where its destination
         * rows would be many short messages or one strided one, moved in
         * fragments that are copied twice (a strided receive measured
         * 0.2x of the alltoallv, this 0.65x). */
        char *at = w->buf + packed_at * es;
        if (w->mode == WALK_RECV)
            post(w, at, 1, rows * cols * es, 0);
        else
            unpack_rows(at, rows * es, dst + (c * pc->dst_stride + i) * e, pc->dst_stride * e,
                        cols, w->stream);
    } else {
        post(w, dst + (i * pc->dst_stride + c) * e, rows, cols * es, pc->dst_stride * e);
    }
}

/* ------------------------------------------------------------ windows */

/* A destination node's rows of the plan cut into windows: bands of h rows,
 * each cut into chunks of w columns, h * w at most a given number of
 * elements. */
typedef struct {
    size_t row0, nrows, rowsize, h, w, nbands, nchunks;
} windows;

static void node_rows(const pa_array *a, int node, size_t *row0, size_t *nrows)
{
    if (a->dist == PA_REPLICATED) {
        *row0 = 0;
        *nrows = a->shape[0];
    } else {
        pa__rows_of_node(a->shape[0], a->ctx->nnodes, node, row0, nrows);
    }
}

static windows windows_of(const pa__redist_plan *p, int node, size_t slot_elems)
{
    windows x = {0};
    size_t r0, n;
    node_rows(p->dst, node, &r0, &n);
    size_t lo = r0 > p->dst_row0 ? r0 : p->dst_row0;
    size_t hi = min_size(r0 + n, p->dst_row1);
    x.rowsize = pa__row_elems(p->dst);
    if (hi <= lo || x.rowsize == 0 || p->dst->size == 0)
        return x;
    x.row0 = lo;
    x.nrows = hi - lo;
    size_t h = x.rowsize <= slot_elems ? slot_elems / x.rowsize : 1;
    size_t at_least = min_size(p->min_window_rows, slot_elems);
    h = min_size(h > at_least ? h : at_least, x.nrows);
    /* Bands of near-equal height, so that no round is a sliver. */
    x.nbands = (x.nrows + h - 1) / h;
    h = (x.nrows + x.nbands - 1) / x.nbands;
    size_t w = slot_elems / h ? slot_elems / h : 1;
    x.h = h;
    x.w = min_size(x.rowsize, w);
    x.nchunks = (x.rowsize + x.w - 1) / x.w;
    return x;
}

static size_t windows_count(const windows *x)
{
    return x->nbands * x->nchunks;
}

/* Walks the pieces of window k of x that come from source rows [sr0, sr1). */
static void walk_window(const pa__redist_plan *p, const windows *x, size_t k, size_t sr0,
                        size_t sr1, walk *w)
{
    if (k >= windows_count(x))
        return;
    size_t band = k / x->nchunks, chunk = k % x->nchunks;
    size_t ra = x->row0 + band * x->h, rb = min_size(ra + x->h, x->row0 + x->nrows);
    size_t c0 = chunk * x->w, c1 = min_size(c0 + x->w, x->rowsize);
    p->pieces(p, ra, rb, c0, c1, sr0, sr1, on_piece, w);
}

/* ------------------------------------------------------------ the engine */

/* The exchange between two nodes runs in lanes, one per rank of the
 * smaller node: node rank l of one node sends share l of every piece to
 * node rank l of the other, which receives it. Returns the job rank of node
 * k's rank with this rank's node rank, or -1 when node k has no such lane. */
static int lane_peer(const pa_ctx *ctx, int k)
{
    for (int q = 0, seen = 0; q < ctx->size; q++)
        if (ctx->node_of[q] == k && seen++ == ctx->node_rank)
            return q;
    return -1;
}

static int node_size_of(const pa_ctx *ctx, int k)
{
    int n = 0;
    for (int q = 0; q < ctx->size; q++)
        n += ctx->node_of[q] == k;
    return n;
}

/* The engine's state for one run: the plan's windows on every node, the
 * source rows of every node, and each lane's peer. */
typedef struct {
    const pa__redist_plan *p;
    int nn, me, remote;
    size_t rounds;
    windows *win;      /* per destination node */
    size_t *src_rows;  /* per source node: first row, count */
    int *peer, *lanes; /* per node: this rank's lane peer (or -1), the lane count */
} engine;

/* Walks the pieces share w->share of this node (this rank's node rank, but
 * for counting) sends (sending) or receives in round r on its lanes, in
 * w's mode. */
static void post_round(const engine *g, size_t r, int sending, walk *w)
{
    const windows *mine = &g->win[g->me];
    for (int k = 0; k < g->nn; k++) {
        if (k == g->me || !g->remote || w->share >= g->lanes[k])
            continue;
        w->peer = g->peer[k];
        w->nshares = g->lanes[k];
        if (sending) {
            walk_window(g->p, &g->win[k], r, g->src_rows[2 * g->me],
                        g->src_rows[2 * g->me] + g->src_rows[2 * g->me + 1], w);
        } else {
            walk_window(g->p, mine, r, g->src_rows[2 * k],
                        g->src_rows[2 * k] + g->src_rows[2 * k + 1], w);
        }
    }
}

/* Cuts every node's rows of the plan into windows of at most slot
 * elements; the rounds are the most windows a node this rank exchanges
 * with has. */
static void plan_windows(engine *g, size_t slot)
{
    g->rounds = 0;
    for (int k = 0; k < g->nn; k++) {
        g->win[k] = windows_of(g->p, k, slot ? slot : 1);
        if ((k == g->me || g->remote) && windows_count(&g->win[k]) > g->rounds)
            g->rounds = windows_count(&g->win[k]);
    }
}

/* Over the rounds of the planned windows, for share s of this node: the
 * most pieces it posts in one round, and the elements its area of a
 * transpose's buffer must hold, the most it packs in a round (*sent) and
 * after them the most it receives. */
static void count_rounds(const engine *g, int s, size_t *pieces, size_t *sent, size_t *area)
{
    *pieces = *sent = 0;
    size_t received = 0;
    walk w = {.mode = WALK_COUNT, .share = s};
    for (size_t r = 0; r < g->rounds; r++) {
        w.npieces = w.pos = 0;
        post_round(g, r, 1, &w);
        size_t out = w.pos;
        post_round(g, r, 0, &w);
        *pieces = w.npieces > *pieces ? w.npieces : *pieces;
        *sent = out > *sent ? out : *sent;
        received = w.pos - out > received ? w.pos - out : received;
    }
    *area = *sent + received;
}

/* A transpose's buffer holds an area per rank of the node, in node rank
 * order: with the planned windows, the elements of the node's areas, and
 * where this rank's starts and how much of it is for packing. */
typedef struct {
    size_t total, at, sent;
} areas;

static areas areas_of(const engine *g)
{
    const pa_ctx *ctx = g->p->dst->ctx;
    areas x = {0};
    for (int s = 0; s < ctx->node_size; s++) {
        size_t pieces, sent, area;
        count_rounds(g, s, &pieces, &sent, &area);
        if (s == ctx->node_rank) {
            x.at = x.total;
            x.sent = sent;
        }
        x.total += area;
    }
    return x;
}

/* The rounds, once every allocation is agreed. Packing and copying cannot
 * fail, and an MPI error is fatal by default (parray's communicators return
 * it, but a peer may then wait for a message that never comes, as in any
 * collective): so no round needs an agreement, a failure is kept, every
 * rank still posts every round's messages, and the run's end agrees. A
 * transpose packs into and receives in an area of the buffer that only
 * this rank uses (area), and its own waits end each round's use of it, so
 * no rank waits for another of its node between rounds. */
static int rounds_run(const engine *g, char *area, size_t sent, MPI_Request *reqs, walk *w)
{
    pa_ctx *ctx = g->p->dst->ctx;
    const windows *mine = &g->win[g->me];
    size_t sr0 = g->src_rows[2 * g->me], sr1 = sr0 + g->src_rows[2 * g->me + 1];
    char *send_area = area, *recv_area = area ? area + sent * w->es : NULL;
    int rc = PA_OK;
    for (size_t r = 0; r < g->rounds; r++) {
        w->reqs = reqs;
        w->nreqs = 0;
        w->strided = 0;
        /* Receives first, so that every send finds its receive posted. */
        w->mode = WALK_RECV;
        w->buf = recv_area;
        w->pos = 0;
        post_round(g, r, 0, w);
        w->mode = WALK_SEND;
        w->buf = send_area;
        w->pos = 0;
        post_round(g, r, 1, w);
        /* The node's own pieces while the messages move: a receiver can
         * take a contiguous message in one copy whatever the sender does
         * meanwhile, but MPI moves a strided one (a slice's rows) in
         * fragments that each need both sides in an MPI call; so a round
         * with one completes its messages first. */
        int strided = w->strided, mrc = MPI_SUCCESS;
        if (strided)
            mrc = MPI_Waitall((int)w->nreqs, reqs, MPI_STATUSES_IGNORE);
        w->mode = WALK_LOCAL;
        w->nshares = ctx->node_size;
        walk_window(g->p, mine, r, sr0, sr1, w);
        if (!strided)
            mrc = MPI_Waitall((int)w->nreqs, reqs, MPI_STATUSES_IGNORE);
        if (mrc == MPI_SUCCESS)
            mrc = w->mpi_rc;
        if (mrc == MPI_SUCCESS && area) {
            w->mode = WALK_UNPACK;
            w->buf = recv_area;
            w->pos = 0;
            post_round(g, r, 0, w);
        }
        if (mrc != MPI_SUCCESS && rc == PA_OK)
            rc = pa__mpi(ctx, "pa__redist_run", mrc, "the exchange between nodes");
    }
    /* The unpacked rows are read by other ranks after the run's sync. */
    if (area)
        pa__stream_fence();
    return rc;
}

/* Window sizes a transpose tries, largest first: twice the buffer's
 * elements (a window's pieces from this node and to it are about a share
 * of it each; at most a message's int count of bytes), then 3/4 of the
 * size before, and last the buffer over twice the nodes. A round's pieces
 * take at most as many windows as there are nodes (what each other node's
 * window needs from this node, and this node's window), so the last try's
 * take at most half the buffer together, which leaves the rest for the
 * ranks' shares rounded up. */
#define FIT_TRIES 32

typedef struct {
    size_t slot[FIT_TRIES];
    int n;
} fit_sizes;

static fit_sizes fit_sizes_of(size_t buffer_elems, size_t es, int nn)
{
    fit_sizes x = {.n = 0};
    size_t last = buffer_elems / (2 * (size_t)nn);
    size_t s = min_size(2 * buffer_elems, (size_t)INT_MAX / es);
    for (; s > last && x.n < FIT_TRIES - 1; s = s / 4 * 3)
        x.slot[x.n++] = s;
    x.slot[x.n++] = last ? last : 1;
    return x;
}

/* A transpose's windows and buffer, collectively: tries every window size
 * of fit_sizes_of, agrees over the job (one allreduce) on the most elements a
 * node's areas take in each, and keeps the largest windows whose areas fit
 * the buffer. Sets the windows, this rank's area in *mine and the buffer's
 * elements in *total. Every rank calls it, also after a failure (failed),
 * so that no rank is left in the allreduce. */
static int fit_windows(engine *g, size_t buffer_elems, int failed, areas *mine, size_t *total)
{
    pa_ctx *ctx = g->p->dst->ctx;
    fit_sizes sizes = fit_sizes_of(buffer_elems, g->p->dst->part.elsize, g->nn);
    int tries = sizes.n;
    unsigned long long need[FIT_TRIES] = {0}, most[FIT_TRIES];
    for (int t = 0; t < tries && !failed; t++) {
        plan_windows(g, sizes.slot[t]);
        need[t] = areas_of(g).total;
    }
    int mrc = MPI_Allreduce(need, most, tries, MPI_UNSIGNED_LONG_LONG, MPI_MAX, ctx->comm);
    if (mrc != MPI_SUCCESS)
        return pa__mpi(ctx, "pa__redist_run", mrc, "agreeing on the buffer");
    int t = 0;
    while (t + 1 < tries && most[t] > buffer_elems)
        t++;
    *total = (size_t)most[t];
    if (!failed) {
        plan_windows(g, sizes.slot[t]);
        *mine = areas_of(g);
    }
    return PA_OK;
}

int pa__redist_run(const pa__redist_plan *p, const char *fn)
{
    pa_array *src = p->src, *dst = p->dst;
    pa_ctx *ctx = dst->ctx;
    int nn = ctx->nnodes, me = ctx->node;
    size_t es = dst->part.elsize;
    /* A replicated source is whole on every node: nothing crosses nodes. */
    int remote = nn > 1 && src->dist == PA_DISTRIBUTED;
    /* The buffer bounds each round. A transpose packs its pieces into it
     * and receives them in it (fit_windows). The other plans send from the
     * source and receive into the destination: their windows take half the
     * buffer split among the other nodes, which keeps every message's byte
     * count an int. */
    size_t peers = nn > 1 ? (size_t)nn - 1 : 1;
    size_t buffer_elems = ((size_t)ctx->redist_buffer_mb << 20) / es;
    int packs = remote && p->packs;
    engine g = {.p = p, .nn = nn, .me = me, .remote = remote};
    g.win = malloc(sizeof *g.win * (size_t)nn);
    g.src_rows = malloc(sizeof *g.src_rows * 2 * (size_t)nn);
    g.peer = malloc(sizeof *g.peer * 2 * (size_t)nn);
    MPI_Request *reqs = NULL;
    pa_array *buf = NULL;
    areas mine = {0};
    size_t total = 0, pieces = 0;
    int rc = g.win && g.src_rows && g.peer ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    if (rc == PA_OK) {
        g.lanes = g.peer + nn;
        for (int k = 0; k < nn; k++) {
            node_rows(src, k, &g.src_rows[2 * k], &g.src_rows[2 * k + 1]);
            g.peer[k] = remote && k != me ? lane_peer(ctx, k) : -1;
            int other = node_size_of(ctx, k);
            g.lanes[k] = other < ctx->node_size ? other : ctx->node_size;
        }
        if (!packs)
            plan_windows(&g, buffer_elems / (2 * peers));
    }
    if (packs) {
        int frc = fit_windows(&g, buffer_elems, rc != PA_OK, &mine, &total);
        rc = rc == PA_OK ? frc : rc;
    }
    if (rc == PA_OK) {
        size_t sent, area;
        count_rounds(&g, ctx->node_rank, &pieces, &sent, &area);
        reqs = malloc(sizeof *reqs * (pieces ? pieces : 1));
        if (!reqs)
            rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    }
    rc = pa__agree(ctx, ctx->comm, rc);
    /* The areas of the node that needs the most: fewer bytes than the
     * buffer allows when the output is smaller. */
    if (rc == PA_OK && total > 0) {
        size_t bytes = total * es;
        rc = pa__array_create_unset(ctx, PA_U8, 1, &bytes, PA_REPLICATED, &buf);
    }
    if (rc == PA_OK) {
        /* The source was synced by the call that last wrote it, so every
         * rank of a node reads the whole node block. */
        walk w = {.es = es,
                  .share = ctx->node_rank,
                  .src_base = src->block.base,
                  .src_first = src->row0 * pa__row_elems(src),
                  .dst_base = dst->block.base,
                  .dst_first = dst->row0 * pa__row_elems(dst),
                  .stream = dst->block.bytes >= PA_STREAM_MIN_BYTES,
                  .comm = ctx->comm};
        char *area = buf ? (char *)buf->block.base + mine.at * es : NULL;
        rc = rounds_run(&g, area, mine.sent, reqs, &w);
    }
    int rc_free = pa_array_free(&buf);
    free(reqs);
    free(g.win);
    free(g.src_rows);
    free(g.peer);
    return pa__array_sync_agree(dst, rc < 0 ? rc : rc_free);
}

/* ------------------------------------------------------------ plans */

static void emit_block(size_t src_off, size_t dst_off, ptrdiff_t src_stride, ptrdiff_t dst_stride,
                       size_t rows, size_t cols, int transpose, pa__piece_fn emit, void *arg)
{
    pa__piece pc = {src_off, dst_off, src_stride, dst_stride, rows, cols, transpose};
    emit(&pc, arg);
}

/* Destination elements [d0, d1) from the source's [d0 - offset, d1 -
 * offset), as far as the source elements lie in [s_lo, s_hi). */
static void flat_range(const pa__redist_plan *p, size_t d0, size_t d1, size_t s_lo, size_t s_hi,
                       pa__piece_fn emit, void *arg)
{
    size_t a = d0 - p->offset, b = d1 - p->offset;
    a = a > s_lo ? a : s_lo;
    b = min_size(b, s_hi);
    if (a < b)
        emit_block(a, a + p->offset, (ptrdiff_t)(b - a), (ptrdiff_t)(b - a), 1, b - a, 0, emit,
                   arg);
}

static void flat_pieces(const pa__redist_plan *p, size_t ra, size_t rb, size_t c0, size_t c1,
                        size_t sr0, size_t sr1, pa__piece_fn emit, void *arg)
{
    size_t rs = pa__row_elems(p->dst), srs = pa__row_elems(p->src);
    if (c0 == 0 && c1 == rs)
        flat_range(p, ra * rs, rb * rs, sr0 * srs, sr1 * srs, emit, arg);
    else
        for (size_t r = ra; r < rb; r++)
            flat_range(p, r * rs + c0, r * rs + c1, sr0 * srs, sr1 * srs, emit, arg);
}

pa__redist_plan pa__redist_flat(pa_array *src, pa_array *dst, size_t offset)
{
    size_t rs = pa__row_elems(dst);
    size_t row0 = rs ? offset / rs : 0, row1 = rs ? (offset + src->size) / rs : 0;
    return (pa__redist_plan){.src = src,
                             .dst = dst,
                             .dst_row0 = row0,
                             .dst_row1 = row1,
                             .pieces = flat_pieces,
                             .offset = offset};
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Destination rows i whose source row start + i * step lies in [sr0, sr1):
 * one strided block. */
static void slice_pieces(const pa__redist_plan *p, size_t ra, size_t rb, size_t c0, size_t c1,
                         size_t sr0, size_t sr1, pa__piece_fn emit, void *arg)
{
    int64_t st = p->start, s = p->step, lo, hi;
    int64_t s0 = (int64_t)sr0, s1 = (int64_t)sr1;
    if (s > 0) {
        lo = -floor_div(st - s0, s);
        hi = -floor_div(st - s1, s);
    } else {
        lo = floor_div(st - s1, -s) + 1;
        hi = floor_div(st - s0, -s) + 1;
    }
    lo = lo > (int64_t)ra ? lo : (int64_t)ra;
    hi = hi < (int64_t)rb ? hi : (int64_t)rb;
    if (lo >= hi)
        return;
    size_t rs = pa__row_elems(p->dst);
    emit_block((size_t)(st + lo * s) * rs + c0, (size_t)lo * rs + c0,
               (ptrdiff_t)s * (ptrdiff_t)rs, (ptrdiff_t)rs, (size_t)(hi - lo), c1 - c0, 0, emit,
               arg);
}

pa__redist_plan pa__redist_slice(pa_array *src, pa_array *dst, int64_t start, int64_t step)
{
    return (pa__redist_plan){.src = src,
                             .dst = dst,
                             .dst_row1 = dst->shape[0],
                             .pieces = slice_pieces,
                             .start = start,
                             .step = step};
}

/* Destination rows [ra, rb) are source columns, and destination columns
 * [c0, c1) source rows: the source rows among them that lie in [sr0, sr1),
 * columns [ra, rb), transposed. */
static void transpose_pieces(const pa__redist_plan *p, size_t ra, size_t rb, size_t c0, size_t c1,
                             size_t sr0, size_t sr1, pa__piece_fn emit, void *arg)
{
    size_t x0 = c0 > sr0 ? c0 : sr0, x1 = min_size(c1, sr1);
    if (x0 >= x1)
        return;
    size_t n = p->src->shape[0], m = p->src->shape[1];
    emit_block(x0 * m + ra, ra * n + x0, (ptrdiff_t)m, (ptrdiff_t)n, x1 - x0, rb - ra, 1, emit,
               arg);
}

pa__redist_plan pa__redist_transpose(pa_array *src, pa_array *dst)
{
    /* Windows of at least 64 destination rows, so that packing reads at
     * least 64 consecutive elements of each source row. */
    return (pa__redist_plan){.src = src,
                             .dst = dst,
                             .dst_row1 = dst->shape[0],
                             .min_window_rows = 64,
                             .packs = 1,
                             .pieces = transpose_pieces};
}
