/* The redistribution engine (see redist.h for its protocol): windows of
 * destination rows, rounds of packing into the node's shared buffer, one
 * MPI_Alltoallv between the leaders per round, and unpacking, with pieces
 * inside a node copied directly; and the plans that reshape.c's calls run
 * on it. Every rank of a node copies its own share of every piece. */
#include <stdlib.h>
#include <string.h>

#include "redist.h"

/* The side of a transposed tile in elements: a 32 x 32 tile of the widest
 * dtype (16 bytes) is 16 KiB, so a source tile and its destination tile
 * both stay in L1 while it is copied. */
#define TILE 32

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

/* Element (i, c) of from (row stride fs) to (c, i) of to (row stride ts),
 * tile by tile. Each element size is its own loop, so that the compiler
 * turns every memcpy into one move. */
#define TRANSPOSE_TILES(ES)                                                                      \
    for (size_t i0 = 0; i0 < rows; i0 += TILE)                                                   \
        for (size_t c0 = 0; c0 < cols; c0 += TILE) {                                             \
            size_t i1 = min_size(i0 + TILE, rows), c1 = min_size(c0 + TILE, cols);               \
            for (size_t c = c0; c < c1; c++)                                                     \
                for (size_t i = i0; i < i1; i++)                                                 \
                    memcpy(to + ((ptrdiff_t)c * ts + (ptrdiff_t)i) * (ES),                       \
                           from + ((ptrdiff_t)i * fs + (ptrdiff_t)c) * (ES), (ES));              \
        }

static void copy_transposed(const char *from, ptrdiff_t fs, char *to, ptrdiff_t ts, size_t rows,
                            size_t cols, size_t es)
{
    if (es == 1)
        TRANSPOSE_TILES(1)
    else if (es == 2)
        TRANSPOSE_TILES(2)
    else if (es == 4)
        TRANSPOSE_TILES(4)
    else if (es == 8)
        TRANSPOSE_TILES(8)
    else
        TRANSPOSE_TILES(es)
}

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
        copy_transposed(from, fs, to, ts, rows, cols, es);
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

/* What one walk over a window's pieces does with each. */
typedef enum {
    WALK_COUNT,  /* add up the bytes */
    WALK_PACK,   /* source -> buffer */
    WALK_UNPACK, /* buffer -> destination */
    WALK_LOCAL,  /* source -> destination, both in this node */
} walk_mode;

typedef struct {
    walk_mode mode;
    size_t es;
    int share, nshares; /* this rank's share of each piece */
    const char *src_base;
    size_t src_first; /* flat index of the source node block's first element */
    char *dst_base;
    size_t dst_first;
    char *buf;  /* the slot of the buffer this walk packs or unpacks */
    size_t pos; /* bytes of the slot walked so far */
} walk;

static void on_piece(const pa__piece *pc, void *arg)
{
    walk *w = arg;
    size_t bytes = pc->rows * pc->cols * w->es;
    if (w->mode != WALK_COUNT) {
        /* Rows are shared out, or for a piece of fewer rows than sharers
         * (a run of one row, say) its columns. */
        size_t n = (size_t)w->nshares, r = (size_t)w->share;
        size_t i0 = 0, i1 = pc->rows, c0 = 0, c1 = pc->cols;
        if (pc->rows >= n || pc->rows >= pc->cols) {
            i0 = part_start(pc->rows, r, n);
            i1 = part_start(pc->rows, r + 1, n);
        } else {
            c0 = part_start(pc->cols, r, n);
            c1 = part_start(pc->cols, r + 1, n);
        }
        const char *src = w->src_base + (pc->src_off - w->src_first) * w->es;
        char *dst = w->dst_base + (pc->dst_off - w->dst_first) * w->es;
        char *buf = w->buf + w->pos;
        ptrdiff_t packed = (ptrdiff_t)pc->cols;
        if (w->mode == WALK_PACK)
            copy_part(src, pc->src_stride, buf, packed, 0, w->es, i0, i1, c0, c1);
        else if (w->mode == WALK_UNPACK)
            copy_part(buf, packed, dst, pc->dst_stride, pc->transpose, w->es, i0, i1, c0, c1);
        else
            copy_part(src, pc->src_stride, dst, pc->dst_stride, pc->transpose, w->es, i0, i1, c0,
                      c1);
    }
    w->pos += bytes;
}

/* ------------------------------------------------------------ windows */

/* A destination node's rows of the plan cut into windows: bands of h rows,
 * each cut into chunks of w columns, h * w at most the elements a buffer
 * slot holds. */
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
    size_t w = slot_elems / h ? slot_elems / h : 1;
    x.h = h;
    x.w = min_size(x.rowsize, w);
    x.nbands = (x.nrows + h - 1) / h;
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
    size_t band = k / x->nchunks, chunk = k % x->nchunks;
    size_t ra = x->row0 + band * x->h, rb = min_size(ra + x->h, x->row0 + x->nrows);
    size_t c0 = chunk * x->w, c1 = min_size(c0 + x->w, x->rowsize);
    w->pos = 0;
    p->pieces(p, ra, rb, c0, c1, sr0, sr1, on_piece, w);
}

/* ------------------------------------------------------------ the engine */

/* The leaders' exchange of one round: counts in bytes per node, each
 * node's slot at a multiple of slot bytes. */
static int exchange(pa_ctx *ctx, char *base, size_t slot, int *counts)
{
    int nn = ctx->nnodes;
    int *send = counts, *recv = counts + nn, *sdisp = counts + 2 * nn, *rdisp = counts + 3 * nn;
    for (int k = 0; k < nn; k++)
        sdisp[k] = rdisp[k] = (int)((size_t)k * slot);
    /* The receive slots start after the send slots; its own base keeps
     * every displacement under the buffer's half (an int). */
    return pa__mpi(ctx, "pa__redist_run",
                   MPI_Alltoallv(base, send, sdisp, MPI_BYTE, base + (size_t)nn * slot, recv,
                                 rdisp, MPI_BYTE, ctx->leader_comm),
                   "MPI_Alltoallv");
}

int pa__redist_run(const pa__redist_plan *p, const char *fn)
{
    pa_array *src = p->src, *dst = p->dst;
    pa_ctx *ctx = dst->ctx;
    int nn = ctx->nnodes, me = ctx->node;
    size_t es = dst->part.elsize;
    /* The source was synced by the call that last wrote it, so every rank
     * of a node reads the whole node block. */
    /* A replicated source is whole on every node: nothing crosses nodes. */
    int remote = nn > 1 && src->dist == PA_DISTRIBUTED;
    /* Half the buffer sends, half receives: one slot per node each. */
    size_t slot_elems = ((size_t)ctx->redist_buffer_mb << 20) / (2 * (size_t)nn * es);
    if (slot_elems == 0)
        slot_elems = 1;
    size_t slot = slot_elems * es;
    windows mine = windows_of(p, me, slot_elems);
    size_t rounds = windows_count(&mine);
    for (int j = 0; j < nn && remote; j++) {
        windows x = windows_of(p, j, slot_elems);
        if (windows_count(&x) > rounds)
            rounds = windows_count(&x);
    }
    size_t sr0, sn;
    node_rows(src, me, &sr0, &sn);
    walk w = {.es = es,
              .share = ctx->node_rank,
              .nshares = ctx->node_size,
              .src_base = src->block.base,
              .src_first = src->row0 * pa__row_elems(src),
              .dst_base = dst->block.base,
              .dst_first = dst->row0 * pa__row_elems(dst)};

    pa_array *buf = NULL;
    int *counts = NULL, rc = PA_OK;
    remote = remote && rounds > 0;
    if (remote) {
        size_t bytes = 2 * (size_t)nn * slot;
        PA_TRY(pa_array_create(ctx, PA_U8, 1, &bytes, PA_REPLICATED, &buf));
        counts = calloc(4 * (size_t)nn, sizeof *counts);
        if (!counts)
            rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    for (size_t r = 0; r < rounds && rc == PA_OK; r++) {
        if (r < windows_count(&mine)) {
            w.mode = WALK_LOCAL;
            walk_window(p, &mine, r, sr0, sr0 + sn, &w);
        }
        if (!remote)
            continue;
        char *base = buf->block.base;
        for (int j = 0; j < nn; j++) {
            windows x = windows_of(p, j, slot_elems);
            counts[j] = 0;
            if (j == me || r >= windows_count(&x))
                continue;
            w.mode = WALK_PACK;
            w.buf = base + (size_t)j * slot;
            walk_window(p, &x, r, sr0, sr0 + sn, &w);
            counts[j] = (int)w.pos;
        }
        /* The node's packed slots, to its leader, which sends them. */
        rc = pa__array_sync(buf);
        for (int k = 0; k < nn; k++) {
            counts[nn + k] = 0;
            if (k == me || r >= windows_count(&mine))
                continue;
            size_t k0, kn;
            node_rows(src, k, &k0, &kn);
            w.mode = WALK_COUNT;
            walk_window(p, &mine, r, k0, k0 + kn, &w);
            counts[nn + k] = (int)w.pos;
        }
        if (rc == PA_OK && ctx->leader_comm != MPI_COMM_NULL)
            rc = exchange(ctx, base, slot, counts);
        /* What the leader received, to the node's ranks; and the round's
         * outcome, to every rank before the next round's exchange. */
        rc = pa__array_sync_agree(buf, rc);
        for (int k = 0; k < nn && rc == PA_OK; k++) {
            if (k == me || r >= windows_count(&mine))
                continue;
            size_t k0, kn;
            node_rows(src, k, &k0, &kn);
            w.mode = WALK_UNPACK;
            w.buf = base + (size_t)(nn + k) * slot;
            walk_window(p, &mine, r, k0, k0 + kn, &w);
        }
    }
    free(counts);
    int rc_free = pa_array_free(&buf);
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
    emit_block((size_t)(st + lo * s) * rs + c0, (size_t)lo * rs + c0, (ptrdiff_t)s * (ptrdiff_t)rs,
               (ptrdiff_t)rs, (size_t)(hi - lo), c1 - c0, 0, emit, arg);
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
static void transpose_pieces(const pa__redist_plan *p, size_t ra, size_t rb, size_t c0,
                             size_t c1, size_t sr0, size_t sr1, pa__piece_fn emit, void *arg)
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
                             .pieces = transpose_pieces};
}
