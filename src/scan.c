/* Cumulative sums and products (pa_cumsum, pa_cumprod) in a fixed block
 * order, so that a float scan is the same bits for every rank count and
 * node layout (scan.h states the order).
 *
 * Geometry. A scan along an axis sees the array as lines: global element
 * (o * len + p) * inner + q is position p of column q of line o, where len
 * is the axis's length and inner the product of the later axes (axis -1:
 * one line of every element, inner 1). Each column of a line is scanned
 * with a running state: the partial of its open block, its offset (the
 * totals of the blocks before, one after another) and whether it has one
 * (block 0 has none, so that a lone -0.0 stays -0.0). Position p = 0
 * starts a line, and p a multiple of PA_SCAN_BLOCK a block.
 *
 * Decomposition. A rank holds a contiguous range [s, e) of global elements
 * and writes nothing else; its result there depends only on the state in
 * which the elements before s leave each column (the carry). So:
 *  1. In parallel and reading only: the block values (totals and the last
 *     partial) of the last line in each rank's range from the first block
 *     that starts in the range, column by column; only for ranks with a
 *     successor. Lines of one column share this work evenly over the
 *     node's ranks (scan_share.h): any rank may read any part of the
 *     node's block, so the last rank of the job reads its range once, and
 *     a node's uneven ranges cost the same time on each rank. Lines of
 *     several columns (inner > 1) keep it on each rank for its own range.
 *  2. A chain in global order: each rank receives its carry from the rank
 *     before, runs it over its head (the elements before its first block
 *     start, at most one block per column), folds its block values from
 *     step 1 into it one after another, and sends the result on: a few
 *     numbers per column and block, not the elements.
 *  3. Every rank, in parallel: the scan of its range from its carry,
 *     written into the output.
 * Each step adds in the one order the rule defines, so no layout changes
 * a bit. Integer scans wrap in 64 bits, where any order gives the same
 * result, and take the same path. */
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "scan_share.h"
#include "wait.h"

#define BLOCK PA_SCAN_BLOCK

#define GROUP 4 /* blocks of one column scanned side by side (four named chains) */

/* GROUP blocks of f64 scanned side by side in the lanes of one vector,
 * with the offsets o of the blocks: the results streamed to y. */
typedef void (*lanes_fn)(const void *x, void *y, const void *o);

/* The lines' shape: len positions per line, inner columns; where a
 * group's results are staged before they are streamed to the output
 * (GROUP blocks of the widest result dtype), or NULL: stored directly;
 * and, for f64, the lanes kernel that streams a group's results from its
 * registers instead (where y is 16-byte aligned), or NULL. */
typedef struct {
    size_t len, inner;
    void *stage;
    lanes_fn lanes;
} geometry;

/* The running state of every column, one buffer (it is also the carry's
 * message): inner accumulators part, inner accumulators off, inner flags
 * has. In the block-value mode (step 1) has says whether a column has
 * started a block. */
typedef struct {
    unsigned char *buf;
    void *part, *off;
    unsigned char *has;
    size_t bytes;
} state;

/* Step 1's block values of the last line: value k of column q at val[k *
 * inner + q], n[q] of them per column (room for cap per column). */
typedef struct {
    void *val;
    size_t *n, cap;
} blocks;

/* The accumulator of a dtype: floats and complex add in their own type
 * (f16 in float), integers and bool in uint64_t (wrapping); and the result
 * type, numpy's. */
#define ACC_FLOAT(T) __typeof__((T)0 + 0.0f)
#define ACC_SINT(T) uint64_t
#define ACC_UINT(T) uint64_t
#define ACC_BOOL(T) uint64_t
#define ACC_COMPLEX(T) T
#define OUT_FLOAT(T) T
#define OUT_SINT(T) int64_t
#define OUT_UINT(T) uint64_t
#define OUT_BOOL(T) int64_t
#define OUT_COMPLEX(T) T
/* An element as its accumulator: a signed integer sign-extended first. */
#define CONV_FLOAT(A, v) ((A)(v))
#define CONV_SINT(A, v) ((A)(int64_t)(v))
#define CONV_UINT(A, v) ((A)(v))
#define CONV_BOOL(A, v) ((A)(v))
#define CONV_COMPLEX(A, v) ((A)(v))
#define OP_sum(a, b) ((a) + (b))
#define OP_prod(a, b) ((a) * (b))

/* ------------------------------------------------------------ f64 lanes */

/* The lanes kernels: GROUP blocks of f64 side by side, one in each lane of
 * a vector. Each lane adds (or multiplies) exactly as group's scalar
 * chains do, element after element, so the bits are theirs. A 4 x 4
 * transpose turns four rows (four elements of each block) into four
 * columns (one element of each block) and back, and each row of results
 * leaves the registers with streaming stores (SSE2, baseline on x86-64):
 * not staged and copied, which made the scan's writes wait on its adds. */
#ifdef __SSE2__
#define LANES 1
typedef double v4d __attribute__((vector_size(32)));
_Static_assert(GROUP == 4, "a group is one vector of four f64 lanes");

/* Four rows a, b, c, d (four elements of each block) become four columns
 * (one element of each block), and back. */
#define TRANSPOSE4(a, b, c, d)                                                                   \
    do {                                                                                         \
        v4d t0_ = __builtin_shufflevector(a, b, 0, 4, 2, 6);                                     \
        v4d t1_ = __builtin_shufflevector(a, b, 1, 5, 3, 7);                                     \
        v4d t2_ = __builtin_shufflevector(c, d, 0, 4, 2, 6);                                     \
        v4d t3_ = __builtin_shufflevector(c, d, 1, 5, 3, 7);                                     \
        a = __builtin_shufflevector(t0_, t2_, 0, 1, 4, 5);                                       \
        b = __builtin_shufflevector(t1_, t3_, 0, 1, 4, 5);                                       \
        c = __builtin_shufflevector(t0_, t2_, 2, 3, 6, 7);                                       \
        d = __builtin_shufflevector(t1_, t3_, 2, 3, 6, 7);                                       \
    } while (0)

static inline v4d load4(const double *p)
{
    v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void stream4(double *p, v4d v)
{
    _mm_stream_pd(p, (__m128d){v[0], v[1]});
    _mm_stream_pd(p + 2, (__m128d){v[2], v[3]});
}

#define LANES_KERNEL(OPN)                                                                        \
    static PA_SIMD_CLONES void lanes_##OPN(const void *xv, void *yv, const void *ov)             \
    {                                                                                            \
        const double *x = xv, *o = ov;                                                           \
        double *y = yv;                                                                          \
        v4d off = {o[0], o[1], o[2], o[3]}, r = {0, 0, 0, 0};                                    \
        for (size_t j = 0; j < BLOCK; j += 4) {                                                  \
            v4d a = load4(x + j), b = load4(x + BLOCK + j), c = load4(x + 2 * BLOCK + j),        \
                d = load4(x + 3 * BLOCK + j);                                                    \
            TRANSPOSE4(a, b, c, d);                                                              \
            r = j == 0 ? a : OP_##OPN(r, a); /* a block's first element starts it */             \
            a = OP_##OPN(off, r);                                                                \
            r = OP_##OPN(r, b);                                                                  \
            b = OP_##OPN(off, r);                                                                \
            r = OP_##OPN(r, c);                                                                  \
            c = OP_##OPN(off, r);                                                                \
            r = OP_##OPN(r, d);                                                                  \
            d = OP_##OPN(off, r);                                                                \
            TRANSPOSE4(a, b, c, d);                                                              \
            stream4(y + j, a);                                                                   \
            stream4(y + BLOCK + j, b);                                                           \
            stream4(y + 2 * BLOCK + j, c);                                                       \
            stream4(y + 3 * BLOCK + j, d);                                                       \
        }                                                                                        \
    }
LANES_KERNEL(sum)
LANES_KERNEL(prod)
#endif

/* One dtype's and op's kernels.
 *
 * run: the elements [g0, g1) at x (global indices; x is element g0) from
 * state s; writes each result to y (element g0 at y) unless y is NULL.
 * With b (step 1) it records each finished block's total and, at the end,
 * the open block's partial, instead of keeping offsets; a new line drops
 * the values of the line before.
 *
 * fold: the carry out of a range from s, the state at the range's first
 * block start (or its end), and the block values b after it: with cont,
 * the line of b continues the line of s (each column with values closes
 * its open block first); without, the line of b starts in the range. */
#define SCAN_KERNELS(C, DT, nm, T, U, KIND, ...)                                                 \
    SCAN_OP(DT, T, KIND, sum) SCAN_OP(DT, T, KIND, prod)
#define SCAN_OP(DT, T, KIND, OPN)                                                                \
    /* GROUP whole blocks of one column, none a line's first, at x: their     \
     * totals first, GROUP running sums side by side (so the adds do not wait \
     * on each other, and the blocks are read again from the cache), then    \
     * their results, the same bits as block by block. */                  \
    static void group_##DT##_##OPN(const T *x, OUT_##KIND(T) * y, state * s, blocks * b,         \
                                   const geometry *g)                                            \
    {                                                                                            \
        typedef ACC_##KIND(T) A;                                                                 \
        typedef OUT_##KIND(T) O;                                                                 \
        A t[GROUP], o[GROUP + 1], *part = s->part, *off = s->off, *val = b ? b->val : NULL;      \
        const T *x0 = x, *x1 = x + BLOCK, *x2 = x + 2 * BLOCK, *x3 = x + 3 * BLOCK;              \
        /* Four named chains: an array of them, gcc turns into one chain at a  \
         * time (a loop interchange), which waits on every add again. */                 \
        A t0 = CONV_##KIND(A, x0[0]), t1 = CONV_##KIND(A, x1[0]), t2 = CONV_##KIND(A, x2[0]),    \
          t3 = CONV_##KIND(A, x3[0]);                                                            \
        for (size_t j = 1; j < BLOCK; j++) {                                                     \
            t0 = OP_##OPN(t0, CONV_##KIND(A, x0[j]));                                            \
            t1 = OP_##OPN(t1, CONV_##KIND(A, x1[j]));                                            \
            t2 = OP_##OPN(t2, CONV_##KIND(A, x2[j]));                                            \
            t3 = OP_##OPN(t3, CONV_##KIND(A, x3[j]));                                            \
        }                                                                                        \
        t[0] = t0, t[1] = t1, t[2] = t2, t[3] = t3;                                              \
        if (b) { /* block values: the open block's, then GROUP - 1 totals */                     \
            for (int k = 0; k < GROUP; k++) {                                                    \
                if (s->has[0]) {                                                                 \
                    assert(b->n[0] < b->cap);                                                    \
                    val[b->n[0]++] = part[0];                                                    \
                }                                                                                \
                s->has[0] = 1;                                                                   \
                part[0] = t[k];                                                                  \
            }                                                                                    \
            return;                                                                              \
        }                                                                                        \
        o[0] = s->has[0] ? OP_##OPN(off[0], part[0]) : part[0];                                  \
        for (int k = 0; k < GROUP; k++)                                                          \
            o[k + 1] = OP_##OPN(o[k], t[k]);                                                     \
        if (y && g->lanes && g->stage && !((uintptr_t)y & 15)) {                                 \
            g->lanes(x, y, o);                                                                   \
        } else if (y) {                                                                          \
            O *z = g->stage ? g->stage : y;                                                      \
            A r0 = CONV_##KIND(A, x0[0]), r1 = CONV_##KIND(A, x1[0]),                            \
              r2 = CONV_##KIND(A, x2[0]), r3 = CONV_##KIND(A, x3[0]);                            \
            for (size_t j = 0;;) {                                                               \
                z[j] = (O)OP_##OPN(o[0], r0);                                                    \
                z[BLOCK + j] = (O)OP_##OPN(o[1], r1);                                            \
                z[2 * BLOCK + j] = (O)OP_##OPN(o[2], r2);                                        \
                z[3 * BLOCK + j] = (O)OP_##OPN(o[3], r3);                                        \
                if (++j == BLOCK)                                                                \
                    break;                                                                       \
                r0 = OP_##OPN(r0, CONV_##KIND(A, x0[j]));                                        \
                r1 = OP_##OPN(r1, CONV_##KIND(A, x1[j]));                                        \
                r2 = OP_##OPN(r2, CONV_##KIND(A, x2[j]));                                        \
                r3 = OP_##OPN(r3, CONV_##KIND(A, x3[j]));                                        \
            }                                                                                    \
            if (g->stage)                                                                        \
                pa__stream_copy(y, g->stage, sizeof(O) * GROUP * BLOCK);                         \
        }                                                                                        \
        off[0] = o[GROUP - 1];                                                                   \
        part[0] = t[GROUP - 1];                                                                  \
        s->has[0] = 1;                                                                           \
    }                                                                                            \
    static void run_##DT##_##OPN(const geometry *g, size_t g0, size_t g1, const void *xv,        \
                                 void *yv, state *s, blocks *b)                                  \
    {                                                                                            \
        typedef ACC_##KIND(T) A;                                                                 \
        typedef OUT_##KIND(T) O;                                                                 \
        const T *x = xv;                                                                         \
        O *y = yv;                                                                               \
        A *part = s->part, *off = s->off, *val = b ? b->val : NULL;                              \
        unsigned char *has = s->has;                                                             \
        size_t inner = g->inner, len = g->len;                                                   \
        for (size_t i = g0; i < g1;) {                                                           \
            size_t p = i / inner % len, q = i % inner, k = i - g0;                               \
            /* A run: one block of the one column, or one row's columns. */                      \
            size_t run = inner > 1                     ? inner - q                               \
                         : BLOCK - p % BLOCK < len - p ? BLOCK - p % BLOCK                       \
                                                       : len - p;                                \
            if (run > g1 - i)                                                                    \
                run = g1 - i;                                                                    \
            size_t c0 = 0;                                                                       \
            if (inner == 1 && p % BLOCK == 0 && p > 0 && p + GROUP * BLOCK <= len &&             \
                GROUP * BLOCK <= g1 - i) {                                                       \
                group_##DT##_##OPN(x + k, y ? y + k : NULL, s, b, g);                            \
                i += GROUP * BLOCK;                                                              \
                continue;                                                                        \
            }                                                                                    \
            if (p % BLOCK == 0) { /* each column starts a block, or a line */                    \
                for (size_t c = 0; c < (inner > 1 ? run : 1); c++) {                             \
                    size_t qq = q + c;                                                           \
                    if (b) {                                                                     \
                        if (p == 0)                                                              \
                            b->n[qq] = 0;                                                        \
                        else if (has[qq]) {                                                      \
                            assert(b->n[qq] < b->cap);                                           \
                            val[b->n[qq]++ * inner + qq] = part[qq];                             \
                        }                                                                        \
                        has[qq] = 1;                                                             \
                    } else if (p == 0) {                                                         \
                        has[qq] = 0;                                                             \
                    } else {                                                                     \
                        off[qq] = has[qq] ? OP_##OPN(off[qq], part[qq]) : part[qq];              \
                        has[qq] = 1;                                                             \
                    }                                                                            \
                    A v = CONV_##KIND(A, x[k + c]);                                              \
                    part[qq] = v;                                                                \
                    if (y)                                                                       \
                        y[k + c] = (O)(has[qq] ? OP_##OPN(off[qq], v) : v);                      \
                }                                                                                \
                c0 = inner > 1 ? run : 1;                                                        \
            }                                                                                    \
            if (inner > 1) {                                                                     \
                for (size_t c = c0; c < run; c++) {                                              \
                    A v = OP_##OPN(part[q + c], CONV_##KIND(A, x[k + c]));                       \
                    part[q + c] = v;                                                             \
                    if (y)                                                                       \
                        y[k + c] = (O)(has[q + c] ? OP_##OPN(off[q + c], v) : v);                \
                }                                                                                \
            } else { /* one column: the running value in a register */                           \
                A v = part[0], o = off[0];                                                       \
                if (!y)                                                                          \
                    for (size_t c = c0; c < run; c++)                                            \
                        v = OP_##OPN(v, CONV_##KIND(A, x[k + c]));                               \
                else if (has[0] && !b)                                                           \
                    for (size_t c = c0; c < run; c++) {                                          \
                        v = OP_##OPN(v, CONV_##KIND(A, x[k + c]));                               \
                        y[k + c] = (O)OP_##OPN(o, v);                                            \
                    }                                                                            \
                else                                                                             \
                    for (size_t c = c0; c < run; c++) {                                          \
                        v = OP_##OPN(v, CONV_##KIND(A, x[k + c]));                               \
                        y[k + c] = (O)v;                                                         \
                    }                                                                            \
                part[0] = v;                                                                     \
            }                                                                                    \
            i += run;                                                                            \
        }                                                                                        \
        if (b) /* the open blocks' partials close the lists */                                   \
            for (size_t q = 0; q < inner; q++)                                                   \
                if (has[q]) {                                                                    \
                    assert(b->n[q] < b->cap);                                                    \
                    val[b->n[q]++ * inner + q] = part[q];                                        \
                }                                                                                \
    }                                                                                            \
    static void fold_##DT##_##OPN(state *s, const blocks *b, size_t inner, int cont)             \
    {                                                                                            \
        typedef ACC_##KIND(T) A;                                                                 \
        A *part = s->part, *off = s->off;                                                        \
        const A *val = b->val;                                                                   \
        for (size_t q = 0; q < inner; q++) {                                                     \
            size_t n = b->n[q];                                                                  \
            if (n == 0) /* not in the last line: the state stays */                              \
                continue;                                                                        \
            int h = cont;                                                                        \
            A o = off[q], v = part[q];                                                           \
            if (cont)                                                                            \
                o = s->has[q] ? OP_##OPN(o, v) : v;                                              \
            else                                                                                 \
                v = val[q];                                                                      \
            for (size_t k = cont ? 0 : 1; k < n; k++) {                                          \
                if (k > 0 || !cont) {                                                            \
                    o = h ? OP_##OPN(o, v) : v;                                                  \
                    h = 1;                                                                       \
                }                                                                                \
                v = val[k * inner + q];                                                          \
            }                                                                                    \
            off[q] = o;                                                                          \
            part[q] = v;                                                                         \
            s->has[q] = (unsigned char)h;                                                        \
        }                                                                                        \
    }
PA_DTYPE_LIST_WITH(SCAN_KERNELS, ~)

typedef void (*run_fn)(const geometry *, size_t, size_t, const void *, void *, state *, blocks *);
typedef void (*fold_fn)(state *, const blocks *, size_t, int);

typedef struct {
    run_fn run[2];
    fold_fn fold[2];
    size_t acc_size;
    pa_dtype out;
} scan_kernels;

#define OUT_DTYPE_FLOAT(DT) PA_##DT
#define OUT_DTYPE_SINT(DT) PA_I64
#define OUT_DTYPE_UINT(DT) PA_U64
#define OUT_DTYPE_BOOL(DT) PA_I64
#define OUT_DTYPE_COMPLEX(DT) PA_##DT
#define SCAN_ENTRY(C, DT, nm, T, U, KIND, ...)                                                   \
    [PA_##DT] = {{run_##DT##_sum, run_##DT##_prod},                                              \
                 {fold_##DT##_sum, fold_##DT##_prod},                                            \
                 sizeof(ACC_##KIND(T)),                                                          \
                 OUT_DTYPE_##KIND(DT)},
static const scan_kernels kernels[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(SCAN_ENTRY, ~)};

pa_dtype pa_scan_dtype(pa_dtype d)
{
    return pa__dtype_valid(d) ? kernels[d].out : d;
}

/* ------------------------------------------------------------ the steps */

/* A state of inner columns with accumulators of acc bytes, all zero. */
static int state_alloc(state *s, size_t inner, size_t acc)
{
    s->bytes = inner * (2 * acc + 1);
    s->buf = calloc(s->bytes ? s->bytes : 1, 1);
    s->part = s->buf;
    s->off = s->buf + inner * acc;
    s->has = s->buf + 2 * inner * acc;
    return s->buf ? 0 : -1;
}

/* One scan's work on this rank: its range [s, e) of global elements at x
 * (elements of xsize bytes), its output y (of ysize), and its neighbours
 * in the chain; the node's block of the input (node_x, global elements
 * [node_first, node_first + node_n)) and the scan's size in all. */
typedef struct {
    pa_ctx *ctx;
    MPI_Comm comm;
    const scan_kernels *k;
    int op; /* 0 sum, 1 prod */
    geometry g;
    size_t s, e, size;
    const char *x, *node_x;
    size_t node_first, node_n;
    char *y;
    size_t xsize, ysize;
    int pred, succ; /* ranks in comm, or -1 */
} scan_job;

/* Step 1 shared over the node: the plan, the node's ranges (2 per rank),
 * the Alltoallv's counts and displacements in bytes, and the block values
 * of this rank's share (room for cap of them). */
typedef struct {
    pa_scan_share sh;
    uint64_t *ranges;
    int *scount, *sdispl, *rcount, *rdispl;
    char *send;
    size_t cap;
} node_share;

/* The tables of a node of m ranks, and room for the values of a share of
 * a node block of n elements (a share is at most n / m + BLOCK elements
 * in at most m pieces). -1: out of memory. */
static int node_share_alloc(node_share *ns, int m, size_t n, size_t acc)
{
    ns->cap = (n / (size_t)m + BLOCK) / BLOCK + (size_t)m + 1;
    ns->ranges = malloc(sizeof(uint64_t) * 2 * (size_t)m);
    ns->scount = malloc(sizeof(int) * 4 * (size_t)m);
    ns->send = malloc(ns->cap * acc);
    if (pa__scan_share_alloc(&ns->sh, m) != 0 || !ns->ranges || !ns->scount || !ns->send)
        return -1;
    ns->sdispl = ns->scount + m;
    ns->rcount = ns->sdispl + m;
    ns->rdispl = ns->rcount + m;
    return 0;
}

static void node_share_free(node_share *ns)
{
    pa__scan_share_free(&ns->sh);
    free(ns->ranges);
    free(ns->scount);
    free(ns->send);
}

/* The ranks whose non-empty ranges end where this one starts and start
 * where it ends: every rank's range from one allgather. */
static int find_neighbours(const char *fn, scan_job *j)
{
    int np;
    PA_MPI(j->ctx, MPI_Comm_size(j->comm, &np));
    uint64_t mine[2] = {j->s, j->e}, *all = malloc(sizeof(uint64_t) * 2 * (size_t)np);
    int rc = pa__agree(j->ctx, j->comm,
                       all ? PA_OK : pa__err(j->ctx, fn, PA_ENOMEM, "out of memory"));
    if (rc == PA_OK)
        rc = pa__mpi(j->ctx, fn,
                     MPI_Allgather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, j->comm),
                     "MPI_Allgather");
    j->pred = j->succ = -1;
    for (int r = 0; rc == PA_OK && j->s < j->e && r < np; r++) {
        if (all[2 * r] >= all[2 * r + 1])
            continue;
        if (all[2 * r + 1] == j->s)
            j->pred = r;
        if (all[2 * r] == j->e)
            j->succ = r;
    }
    free(all);
    return rc;
}

/* Step 1 shared over the node (lines of one column): the plan from every
 * node rank's range, this rank's share piece by piece (each piece's
 * values for the rank whose range it is in), then one Alltoallv over the
 * node that gives each rank the values of its own range into b, in order.
 * Returns 1 in *done, or 0 where the node's values are too many for int
 * counts (the caller then keeps step 1 on each rank); the same on every
 * rank of the node, from the same ranges. */
static int step1_shared(const char *fn, scan_job *j, node_share *ns, state *rec, blocks *b,
                        int *done)
{
    pa_ctx *ctx = j->ctx;
    pa_scan_share *sh = &ns->sh;
    int m = sh->m, me = ctx->node_rank;
    size_t acc = j->k->acc_size;
    uint64_t mine[2] = {j->s, j->e};
    PA_TRY(
        pa__mpi(ctx, fn,
                MPI_Allgather(mine, 2, MPI_UINT64_T, ns->ranges, 2, MPI_UINT64_T, ctx->node_comm),
                "MPI_Allgather"));
    pa__scan_share_plan(sh, ns->ranges, j->size, j->g.len);
    *done = (sh->w[m] / BLOCK + (size_t)m) * acc <= INT_MAX;
    if (!*done)
        return PA_OK;
    int sd = 0, rd = 0;
    for (int k = 0; k < m; k++) {
        size_t from, theirs = pa__scan_share_piece(sh, k, me, &from);
        ns->rcount[k] = (int)(PA_SCAN_VALUES(theirs) * acc);
        ns->rdispl[k] = rd;
        rd += ns->rcount[k];
        size_t first, n = pa__scan_share_piece(sh, me, k, &first);
        ns->scount[k] = (int)(PA_SCAN_VALUES(n) * acc);
        ns->sdispl[k] = sd;
        sd += ns->scount[k];
        if (n == 0)
            continue;
        /* Each piece starts at a block start, with no block open. */
        size_t count = 0;
        blocks piece = {ns->send + ns->sdispl[k], &count, PA_SCAN_VALUES(n)};
        assert((size_t)sd <= ns->cap * acc);
        memset(rec->buf, 0, rec->bytes);
        j->k->run[j->op](&j->g, first, first + n, j->node_x + (first - j->node_first) * j->xsize,
                         NULL, rec, &piece);
        assert(count == piece.cap);
    }
    PA_TRY(pa__mpi(ctx, fn,
                   MPI_Alltoallv(ns->send, ns->scount, ns->sdispl, MPI_BYTE, b->val, ns->rcount,
                                 ns->rdispl, MPI_BYTE, ctx->node_comm),
                   "MPI_Alltoallv"));
    b->n[0] = (size_t)rd / acc;
    /* In place, step 3 overwrites this rank's range, which other ranks of
     * the node read in their shares: the node's barrier orders every
     * rank's step-1 loads before any rank's step-3 stores. (Out of place
     * nothing that step 1 reads is written.) */
    if (j->y == j->x)
        PA_TRY(pa__wait_quiet(ctx, fn, ctx->node_comm));
    return PA_OK;
}

/* Step 1 into b: shared over the node where the lines have one column
 * and the node has several ranks, else over this rank's own values from
 * t0, where a rank after it waits for its carry. */
static int step1(const char *fn, scan_job *j, node_share *ns, state *rec, blocks *b, size_t t0)
{
    if (j->g.inner == 1 && ns->sh.m > 1) {
        int done;
        PA_TRY(step1_shared(fn, j, ns, rec, b, &done));
        if (done)
            return PA_OK;
    }
    if (t0 < j->e && j->succ >= 0)
        j->k->run[j->op](&j->g, t0, j->e, j->x + (t0 - j->s) * j->xsize, NULL, rec, b);
    return PA_OK;
}

/* Step 2: the carry into this range (received, or all zero at the start
 * of the array) into carry, and the carry out of it sent on. h is the
 * head's end, t0 where step 1's block values b begin. */
static int chain(const char *fn, scan_job *j, state *carry, state *work, const blocks *b,
                 size_t h, size_t t0)
{
    const geometry *g = &j->g;
    if (j->pred >= 0)
        PA_TRY(pa__mpi(j->ctx, fn,
                       MPI_Recv(carry->buf, (int)carry->bytes, MPI_BYTE, j->pred, 0, j->comm,
                                MPI_STATUS_IGNORE),
                       "MPI_Recv"));
    if (j->succ < 0)
        return PA_OK;
    memcpy(work->buf, carry->buf, carry->bytes);
    if (h > j->s)
        j->k->run[j->op](g, j->s, h, j->x, NULL, work, NULL);
    if (t0 < j->e) {
        /* The last line continues the head's line when its values begin
         * at a block start inside that line. */
        int cont = t0 == h && (h / g->inner) % g->len != 0;
        j->k->fold[j->op](work, b, g->inner, cont);
    }
    return pa__mpi(j->ctx, fn,
                   MPI_Send(work->buf, (int)work->bytes, MPI_BYTE, j->succ, 0, j->comm),
                   "MPI_Send");
}

/* Steps 1 to 3 on this rank (scan.c's opening comment). Collective over
 * j->comm; the caller agrees on the result. */
static int scan_range(const char *fn, scan_job *j)
{
    const geometry *g = &j->g;
    size_t acc = j->k->acc_size, inner = g->inner;
    size_t h = pa__scan_head_end(g->len, inner, j->s, j->e);
    size_t t0 = pa__scan_values_start(g->len, inner, j->s, j->e);
    state carry = {0}, work = {0}, rec = {0};
    blocks b = {NULL, NULL, (j->e - t0) / inner / BLOCK + 3};
    node_share ns = {0};
    int ok = state_alloc(&carry, inner, acc) == 0 && state_alloc(&work, inner, acc) == 0 &&
             state_alloc(&rec, inner, acc) == 0 &&
             node_share_alloc(&ns, j->ctx->node_size, inner == 1 ? j->node_n : 0, acc) == 0;
    b.val = malloc(b.cap * inner * acc + 1);
    b.n = calloc(inner + 1, sizeof *b.n);
    /* A large output that is not the input is written with streaming
     * stores: its lines are not read into the cache first. */
    if (j->y != j->x && (j->e - j->s) * j->ysize >= PA_STREAM_MIN_BYTES)
        ok = ok && (j->g.stage = aligned_alloc(64, GROUP * BLOCK * j->ysize)) != NULL;
    int rc = pa__agree(j->ctx, j->comm,
                       ok && b.val && b.n ? PA_OK
                                          : pa__err(j->ctx, fn, PA_ENOMEM, "out of memory"));
    if (rc == PA_OK)
        rc = find_neighbours(fn, j);
    if (rc == PA_OK)
        rc = step1(fn, j, &ns, &rec, &b, t0); /* 1 */
    if (rc == PA_OK)
        rc = chain(fn, j, &carry, &work, &b, h, t0); /* 2 */
    if (rc == PA_OK && j->s < j->e) {                /* 3 */
        j->k->run[j->op](g, j->s, j->e, j->x, j->y, &carry, NULL);
        pa__stream_fence();
    }
    node_share_free(&ns);
    free(j->g.stage);
    free(carry.buf);
    free(work.buf);
    free(rec.buf);
    free(b.val);
    free(b.n);
    return rc;
}

/* ------------------------------------------------------------ entry points */

static int scan_checked(const char *fn, pa_array *out, const pa_array *a, int axis, int op)
{
    PA_TRY(pa__check_array(fn, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, %s, axis %d", PA_CC_ARRAY(out), PA_CC_ARRAY(a), axis);
    PA_TRY(pa__check_match(fn, a, "a", out, "out", 0));
    char sb[PA_MAXDIM * 24];
    PA_CHECK_AS(ctx, fn, axis >= -1 && axis < a->ndim, PA_EINVAL,
                "axis = %d: must be -1 (the whole array) or an axis of a (0 .. %d; a is %s)",
                axis, a->ndim - 1, pa__array_shape_str(a, sb, sizeof sb));
    const scan_kernels *k = &kernels[a->dtype];
    PA_CHECK_AS(ctx, fn, out->dtype == k->out, PA_EINVAL,
                "out is %s: the %s of %s is %s (pa_scan_dtype)", pa_dtype_name(out->dtype),
                op ? "cumprod" : "cumsum", pa_dtype_name(a->dtype), pa_dtype_name(k->out));
    scan_job j = {
        .ctx = ctx, .k = k, .op = op, .xsize = a->part.elsize, .ysize = out->part.elsize};
    j.comm = a->dist == PA_REPLICATED ? ctx->node_comm : ctx->comm;
    j.g.len = axis < 0 ? a->size : a->shape[axis];
    j.g.inner = 1;
#ifdef LANES
    if (a->dtype == PA_F64)
        j.g.lanes = op ? lanes_prod : lanes_sum;
#endif
    for (int d = axis + 1; axis >= 0 && d < a->ndim; d++)
        j.g.inner *= a->shape[d];
    int rc = PA_OK;
    if (a->size > 0) {
        /* The output's node block has the same rows as a's, so element i
         * of a's node block is element i of out's, also where their
         * ranks' ranges differ (dtypes of other sizes): each rank writes
         * the results of its own range of a, and the sync shows them. */
        size_t lo, hi, first = a->row0 * a->rowsize;
        pa__local_range(a, &lo, &hi);
        j.s = first + lo;
        j.e = first + hi;
        j.size = a->size;
        j.node_first = first;
        j.node_n = a->part.nelem;
        j.node_x = pa__node_ptr(a, 0);
        j.x = pa__node_ptr(a, lo);
        j.y = pa__node_ptr(out, lo);
        /* In place (out == a) too: the chain carries states, never
         * elements, and where other ranks of the node read this range
         * in step 1, a node barrier ends their reads before step 3. */
        rc = scan_range(fn, &j);
    }
    return pa__array_sync_agree(out, rc);
}

int pa_cumsum(pa_array *out, const pa_array *a, int axis)
{
    return scan_checked(__func__, out, a, axis, 0);
}

int pa_cumprod(pa_array *out, const pa_array *a, int axis)
{
    return scan_checked(__func__, out, a, axis, 1);
}
