/* The sorted run of an argsort: a rank's span sorted into its global
 * indices only, within a bounded buffer. The values are never copied whole:
 * pieces that fit the buffer are radix-sorted with their indices, and the
 * pieces' index runs are merged with their keys read through the indices,
 * a window at a time. */
#include <stdlib.h>
#include <string.h>

#include "sort.h"

/* The fewest elements of a piece, and keys of a run's window, however
 * small the buffer: smaller ones would spend more on their set-up than on
 * sorting. A run's window is then at most 1/64 of its indices. */
#define PIECE_MIN ((size_t)4096)
#define WINDOW_MIN ((size_t)64)

/* The k-way merge of the sorted index runs at in (k of them, each `piece`
 * long but the last) into out, stable: ties are taken from the earlier run,
 * whose indices are the smaller. Each run's next keys are gathered from v
 * (element ibase + i at v[i]) into a window of `window` keys. */
typedef struct {
    const pa__sort_ops *ops;
    const void *v;
    int64_t ibase;
    const int64_t *in;
    size_t m, piece, window;
    int k;
    uint64_t *keys;         /* k windows */
    size_t *at, *end, *got; /* per run: next index, end, next key in the window */
    pa__sort_head *h;       /* the heap of the runs' heads */
} index_merge;

/* Gathers run r's keys from its position on into its window. */
static void refill(index_merge *x, int r)
{
    size_t n = x->end[r] - x->at[r];
    n = n < x->window ? n : x->window;
    x->ops->gather(x->v, x->in + x->at[r], x->ibase, n, NULL, x->keys + (size_t)r * x->window);
    x->got[r] = 0;
}

static void merge_runs(index_merge *x, int64_t *out)
{
    pa__sort_head *h = x->h;
    for (int r = 0; r < x->k; r++) {
        x->at[r] = (size_t)r * x->piece;
        x->end[r] = x->at[r] + x->piece < x->m ? x->at[r] + x->piece : x->m;
        refill(x, r);
        h[r] = (pa__sort_head){x->keys[(size_t)r * x->window], r};
    }
    int nh = x->k;
    for (int i = nh / 2 - 1; i >= 0; i--)
        pa__sort_heap_down(h, nh, i);
    for (size_t o = 0; o < x->m; o++) {
        int r = h[0].piece;
        out[o] = x->in[x->at[r]++];
        if (x->at[r] == x->end[r])
            h[0] = h[--nh];
        else {
            if (++x->got[r] == x->window)
                refill(x, r);
            h[0].key = x->keys[(size_t)r * x->window + x->got[r]];
        }
        pa__sort_heap_down(h, nh, 0);
    }
}

int pa__sort_index_span(pa_ctx *ctx, const char *fn, const pa__sort_ops *ops, const void *v,
                        int64_t ibase, size_t m, int64_t *run, int64_t *pong, size_t buffer)
{
    size_t es = (size_t)ops->key_bits / 8;
    /* A piece's radix sort takes two value buffers; its indices ping-pong
     * between the piece's places in pong and run. */
    size_t piece = buffer / (2 * es);
    piece = piece < PIECE_MIN ? PIECE_MIN : piece;
    piece = piece < m ? piece : m;
    size_t k = piece ? (m + piece - 1) / piece : 0;
    /* One piece ends in run; several end in pong, to be merged into run. */
    int to_run = k <= 1;
    char *va = malloc(piece * es + 1), *vb = malloc(piece * es + 1);
    int rc = va && vb ? PA_OK
                      : pa__err(ctx, fn, PA_ENOMEM,
                                "out of memory for the argsort's pieces of %zu elements", piece);
    for (size_t at = 0; rc == PA_OK && at < m; at += piece) {
        size_t n = m - at < piece ? m - at : piece;
        int in_run = ops->radix((const char *)v + at * es, NULL, ibase + (int64_t)at, va,
                                pong + at, vb, run + at, n);
        if (in_run != to_run)
            memcpy(to_run ? run + at : pong + at, to_run ? pong + at : run + at,
                   n * sizeof(int64_t));
    }
    free(va);
    free(vb);
    if (rc < 0 || k <= 1)
        return rc;
    index_merge x = {
        .ops = ops, .v = v, .ibase = ibase, .in = pong, .m = m, .piece = piece, .k = (int)k};
    x.window = buffer / (k * sizeof(uint64_t));
    x.window = x.window < WINDOW_MIN ? WINDOW_MIN : x.window;
    x.keys = malloc(k * x.window * sizeof *x.keys);
    x.at = malloc(3 * k * sizeof *x.at);
    x.h = malloc(k * sizeof *x.h);
    if (x.keys && x.at && x.h) {
        x.end = x.at + k;
        x.got = x.end + k;
        merge_runs(&x, run);
    } else
        rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory for the argsort's merge of %zu pieces",
                     k);
    free(x.keys);
    free(x.at);
    free(x.h);
    return rc;
}
