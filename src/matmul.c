/* Matrix products of arrays: C = alpha op(A) op(B) + beta C with A and C
 * cut into row blocks per node and B whole on every node. Each node
 * computes its own rows of C, either split among its ranks by whole rows
 * (each on its share of cores) or lent to its leader, who runs one BLAS
 * call on all the node's cores while the others wait without spinning. */
#include <cblas.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "internal.h"
#include "linalg.h"
#include "wait.h"

/* Below this many flops per rank a wait is short: plain MPI_Barrier. */
#define QUIET_FLOPS 1e8
/* Auto mode: thinner stripes than this run the BLAS below its best. */
#define AUTO_MIN_ROWS 64
/* Auto mode: below this many flops threads do not pay. */
#define AUTO_MIN_FLOPS 2e7

/* One product, checked: the geometry in elements and the node's pointers. */
typedef struct {
    pa_ctx *ctx;
    pa_dtype dtype;
    size_t es;
    int vec; /* matvec: B is a vector x, C a vector y */
    int transA, transB;
    double alpha, beta;
    size_t m, n, k; /* op(A) is m x k, op(B) k x n, C m x n */
    const char *a;  /* A's node block */
    size_t a_row0;  /* the global row of A's first row in it */
    const char *b;  /* all of B on this node */
    char *c;        /* C's node block */
    size_t c_row0, c_nrows;
} mm;

/* The kernels, one per dtype from one template: rows [i0, i1) of C's node
 * block (node-local row numbers). */
#define MM_KERNEL(T, P)                                                                          \
    static void kernel_##P(const mm *p, size_t i0, size_t i1)                                    \
    {                                                                                            \
        if (i1 <= i0)                                                                            \
            return;                                                                              \
        size_t rows = i1 - i0, g = p->c_row0 + i0; /* global row of op(A) */                     \
        T *c = (T *)(void *)p->c + i0 * p->n;                                                    \
        if (p->k == 0 || p->n == 0) { /* no product: C = beta C (BLAS needs k > 0) */            \
            for (size_t i = 0; i < rows * p->n; i++)                                             \
                c[i] = p->beta == 0 ? (T)0 : (T)p->beta * c[i];                                  \
            return;                                                                              \
        }                                                                                        \
        const T *a = (const T *)(const void *)p->a;                                              \
        const T *b = (const T *)(const void *)p->b;                                              \
        /* op(A)'s row g: row g of A, or column g of A stored k x m. */                          \
        const T *ar = p->transA ? a + g : a + (g - p->a_row0) * p->k;                            \
        int lda = (int)(p->transA ? p->m : p->k);                                                \
        if (p->vec) {                                                                            \
            if (p->transA)                                                                       \
                cblas_##P##gemv(CblasRowMajor, CblasTrans, (int)p->k, (int)rows, (T)p->alpha,    \
                                ar, lda, b, 1, (T)p->beta, c, 1);                                \
            else                                                                                 \
                cblas_##P##gemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)p->k, (T)p->alpha,  \
                                ar, lda, b, 1, (T)p->beta, c, 1);                                \
            return;                                                                              \
        }                                                                                        \
        cblas_##P##gemm(CblasRowMajor, p->transA ? CblasTrans : CblasNoTrans,                    \
                        p->transB ? CblasTrans : CblasNoTrans, (int)rows, (int)p->n, (int)p->k,  \
                        (T)p->alpha, ar, lda, b, (int)(p->transB ? p->k : p->n), (T)p->beta, c,  \
                        (int)p->n);                                                              \
    }
MM_KERNEL(double, d)
MM_KERNEL(float, s)

static void kernel(const mm *p, size_t i0, size_t i1)
{
    if (p->dtype == PA_F64)
        kernel_d(p, i0, i1);
    else
        kernel_s(p, i0, i1);
}

const char *pa_matmul_mode_name(pa_matmul_mode mode)
{
    switch (mode) {
    case PA_MATMUL_AUTO: return "auto";
    case PA_MATMUL_SPLIT: return "split";
    case PA_MATMUL_LEND: return "lend";
    }
    return "?";
}

int pa_matmul_mode_parse(const char *name, pa_matmul_mode *mode)
{
    PA_CHECK(NULL, name && mode, PA_EINVAL, "name and mode must not be NULL");
    for (int m = PA_MATMUL_AUTO; m <= PA_MATMUL_LEND; m++)
        if (strcmp(name, pa_matmul_mode_name((pa_matmul_mode)m)) == 0) {
            *mode = (pa_matmul_mode)m;
            return PA_OK;
        }
    return pa__err(NULL, __func__, PA_EINVAL, "unknown mode '%s' (auto, split, lend)", name);
}

static pa_matmul_mode auto_mode(const pa_ctx *ctx, size_t m, size_t n, size_t k, int nnodes_rows)
{
    if (ctx->node_size == 1)
        return PA_MATMUL_SPLIT; /* the same thing, without the wait */
    /* More ranks than cores needs no rule of its own: split gives the rows
     * of ranks that share a core to one of them (cores.c). */
    double flops = 2.0 * (double)m * (double)n * (double)k;
    size_t rows_per_rank = (size_t)nnodes_rows / (size_t)ctx->node_size;
    if (rows_per_rank < AUTO_MIN_ROWS && flops / ctx->nnodes >= AUTO_MIN_FLOPS)
        return PA_MATMUL_LEND;
    return PA_MATMUL_SPLIT;
}

pa_matmul_mode pa_matmul_auto(const pa_ctx *ctx, size_t m, size_t n, size_t k)
{
    size_t r0, nr;
    pa__rows_of_node(m, ctx->nnodes, ctx->node, &r0, &nr);
    return auto_mode(ctx, m, n, k, (int)(nr > INT_MAX ? INT_MAX : nr));
}

const char *pa__mat_shape_str(const pa_array *a, char *buf, size_t len)
{
    if (a->ndim == 1)
        snprintf(buf, len, "(%zu,)", a->shape[0]);
    else if (a->ndim == 2)
        snprintf(buf, len, "(%zu,%zu)", a->shape[0], a->shape[1]);
    else
        snprintf(buf, len, "%d-D", a->ndim);
    return buf;
}

/* The deterministic checks: the same verdict on every rank. */
static int check(const char *fn, pa_array *C, pa_array *A, pa_array *B, const pa_matmul_opts *o,
                 int vec, mm *p)
{
    const char *cn = vec ? "y" : "C", *bn = vec ? "x" : "B";
    PA_CHECK_AS(NULL, fn, C && A && B, PA_EINVAL, "%s, A and %s must not be NULL", cn, bn);
    pa_ctx *ctx = C->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, %s, %s, %s", PA_CC_ARRAY(C), PA_CC_ARRAY(A), PA_CC_ARRAY(B),
                  PA_CC_MATMUL_OPTS(o));
    PA_CHECK_AS(ctx, fn, A->ctx == ctx && B->ctx == ctx, PA_EINVAL,
                "A, %s and %s belong to different contexts", bn, cn);
    PA_CHECK_AS(ctx, fn, C != A && C != B, PA_EINVAL, "%s must not be the same array as A or %s",
                cn, bn);
    PA_CHECK_AS(ctx, fn, A->dtype == PA_F64 || A->dtype == PA_F32, PA_EINVAL,
                "dtype %s is not supported (f64, f32)", pa_dtype_name(A->dtype));
    PA_CHECK_AS(ctx, fn, B->dtype == A->dtype && C->dtype == A->dtype, PA_EINVAL,
                "dtypes differ: A is %s, %s is %s, %s is %s", pa_dtype_name(A->dtype), bn,
                pa_dtype_name(B->dtype), cn, pa_dtype_name(C->dtype));
    PA_CHECK_AS(ctx, fn, o->mode >= PA_MATMUL_AUTO && o->mode <= PA_MATMUL_LEND, PA_EINVAL,
                "opts->mode %d is not a pa_matmul_mode", (int)o->mode);
    PA_CHECK_AS(ctx, fn, !vec || !o->transB, PA_EINVAL, "opts->transB must be 0 for a vector x");
    int bdim = vec ? 1 : 2;
    PA_CHECK_AS(ctx, fn, A->ndim == 2 && B->ndim == bdim && C->ndim == bdim, PA_EINVAL,
                "A must be 2-D and %s and %s %d-D: they are %d-D, %d-D and %d-D", bn, cn, bdim,
                A->ndim, B->ndim, C->ndim);
    size_t m = o->transA ? A->shape[1] : A->shape[0], k = o->transA ? A->shape[0] : A->shape[1];
    size_t kb = vec ? B->shape[0] : (o->transB ? B->shape[1] : B->shape[0]);
    size_t n = vec ? 1 : (o->transB ? B->shape[0] : B->shape[1]);
    size_t cm = C->shape[0], cn_ = vec ? 1 : C->shape[1];
    char sa[48], sb[48], sc[48];
    PA_CHECK_AS(ctx, fn, kb == k && cm == m && cn_ == n, PA_EINVAL,
                "shape mismatch: op(A) is (%zu,%zu) (A %s%s), op(%s) is (%zu,%zu) (%s %s%s), "
                "%s is %s",
                m, k, pa__mat_shape_str(A, sa, sizeof sa), o->transA ? " transposed" : "", bn, kb,
                n, bn, pa__mat_shape_str(B, sb, sizeof sb), o->transB ? " transposed" : "", cn,
                pa__mat_shape_str(C, sc, sizeof sc));
    PA_CHECK_AS(ctx, fn, !(C->dist == PA_REPLICATED && A->dist == PA_DISTRIBUTED), PA_EINVAL,
                "%s is replicated but A is distributed: every node needs all rows of A (make A "
                "replicated, or %s distributed)",
                cn, cn);
    PA_CHECK_AS(ctx, fn, !(o->transA && A->dist == PA_DISTRIBUTED), PA_EINVAL,
                "transA needs a replicated A: a row of op(A) = A^T is a column of A, which spans "
                "every node's rows");
    PA_CHECK_AS(ctx, fn, m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, PA_EINVAL,
                "dimensions (%zu, %zu, %zu) exceed the BLAS's 32-bit integers", m, n, k);
    p->ctx = ctx;
    p->dtype = A->dtype;
    p->es = pa_dtype_size(A->dtype);
    p->vec = vec;
    p->transA = o->transA != 0;
    p->transB = o->transB != 0;
    p->alpha = o->alpha;
    p->beta = o->beta;
    p->m = m;
    p->n = n;
    p->k = k;
    p->a = A->block.base;
    p->a_row0 = A->row0;
    p->c = C->block.base;
    p->c_row0 = C->row0;
    p->c_nrows = C->nrows;
    return PA_OK;
}

/* B whole on this node: a replicated B as it is, a distributed B on one
 * node as it is (the node holds every row), else gathered by the node
 * leaders straight into a replicated temporary, once per node. */
static int whole_b(const char *fn, pa_array *B, pa_array **tmp, const char **b)
{
    pa_ctx *ctx = B->ctx;
    *tmp = NULL;
    if (B->dist == PA_REPLICATED || ctx->nnodes == 1) {
        *b = B->block.base;
        return PA_OK;
    }
    PA_TRY(pa_array_create(ctx, B->dtype, B->ndim, B->shape, PA_REPLICATED, tmp));
    pa_array *T = *tmp;
    int rc = PA_OK;
    if (ctx->leader_comm != MPI_COMM_NULL) {
        size_t row_bytes = B->rowsize * pa_dtype_size(B->dtype);
        int *counts = malloc(sizeof(int) * 2 * (size_t)ctx->nnodes), *displs = NULL;
        MPI_Datatype row = MPI_DATATYPE_NULL;
        if (!counts)
            rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        else if (row_bytes > INT_MAX || B->shape[0] > INT_MAX)
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "B's rows (%zu of %zu bytes) are too large to gather", B->shape[0],
                         row_bytes);
        if (rc == PA_OK && row_bytes > 0) {
            displs = counts + ctx->nnodes;
            for (int j = 0; j < ctx->nnodes; j++) {
                size_t r0, nr;
                pa__rows_of_node(B->shape[0], ctx->nnodes, j, &r0, &nr);
                counts[j] = (int)nr;
                displs[j] = (int)r0;
            }
            /* In place: the leader's own rows go to their place first. */
            memcpy(T->block.base + B->row0 * row_bytes, B->block.base, B->nrows * row_bytes);
            rc = pa__mpi(ctx, fn, MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &row),
                         "MPI_Type_contiguous");
            if (rc == PA_OK)
                rc = pa__mpi(ctx, fn, MPI_Type_commit(&row), "MPI_Type_commit");
            if (rc == PA_OK)
                rc = pa__mpi(ctx, fn,
                             MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, T->block.base,
                                            counts, displs, row, ctx->leader_comm),
                             "MPI_Allgatherv of B over the node leaders");
            if (row != MPI_DATATYPE_NULL)
                MPI_Type_free(&row);
        }
        free(counts);
    }
    /* The leaders' writes become visible to their node's ranks. */
    int src = pa__array_sync(T);
    rc = pa__agree(ctx, ctx->comm, rc < 0 ? rc : src);
    if (rc < 0) {
        pa_array_free(tmp);
        return rc;
    }
    *b = T->block.base;
    return PA_OK;
}

/* Makes the writes to C of this node's ranks visible to the whole node:
 * MPI_Win_sync publishes this rank's stores, the node barrier orders them
 * before the others' loads, the second MPI_Win_sync lets this rank see
 * theirs. The barrier is quiet when ranks may wait long. */
static int sync_c(pa_ctx *ctx, const char *fn, pa_array *C, int quiet)
{
    PA_TRY(pa__mpi(ctx, fn, MPI_Win_sync(C->block.win), "MPI_Win_sync"));
    if (quiet)
        PA_TRY(pa__wait_quiet(ctx, fn, ctx->node_comm));
    else
        PA_TRY(pa__mpi(ctx, fn,
                       PA_PROFILE_WAIT(ctx, PA__WAIT_BARRIER, MPI_Barrier(ctx->node_comm)),
                       "MPI_Barrier"));
    return pa__mpi(ctx, fn, MPI_Win_sync(C->block.win), "MPI_Win_sync");
}

static int run(const char *fn, pa_array *C, pa_array *A, pa_array *B, const pa_matmul_opts *opts,
               int vec)
{
    pa_matmul_opts dflt = PA_MATMUL_OPTS_INIT;
    const pa_matmul_opts *o = opts ? opts : &dflt;
    mm p;
    PA_TRY(check(fn, C, A, B, o, vec, &p));
    pa_ctx *ctx = p.ctx;

    pa_array *tmp = NULL;
    PA_TRY(whole_b(fn, B, &tmp, &p.b));

    pa_matmul_mode mode = o->mode;
    if (mode == PA_MATMUL_AUTO)
        mode = auto_mode(ctx, p.m, p.n, p.k, (int)(p.c_nrows > INT_MAX ? INT_MAX : p.c_nrows));
    double node_flops = 2.0 * (double)p.c_nrows * (double)p.n * (double)p.k;
    int quiet = node_flops / ctx->node_size >= QUIET_FLOPS;
    if (mode == PA_MATMUL_LEND) {
        if (ctx->node_rank == 0) {
            pa__lend_begin(ctx);
            kernel(&p, 0, p.c_nrows);
            pa__lend_end(ctx);
        }
        quiet = 1; /* the peers wait for the whole node's work */
    } else {
        size_t i0, i1;
        /* The choice depends only on node-wide facts, so that the node's
         * ranks agree on the rows and on the kind of barrier below. */
        if (ctx->split_even) {
            /* This rank's rows: those whose first element lies in its span. */
            size_t rs = p.n, r = (size_t)ctx->node_rank;
            i0 = rs ? (C->part.bound[r] + rs - 1) / rs : 0;
            i1 = rs ? (C->part.bound[r + 1] + rs - 1) / rs : 0;
            if (i1 > p.c_nrows)
                i1 = p.c_nrows;
        } else {
            /* Shares of unequal size, or ranks that share a core: rows in
             * proportion to the cores each rank has to itself (cores.c).
             * The node block is shared memory, so any rank may write any
             * of its rows. A rank without rows waits quietly. */
            i0 = p.c_nrows * (size_t)ctx->split_first / (size_t)ctx->split_total;
            i1 = p.c_nrows * (size_t)(ctx->split_first + ctx->split_weight) /
                 (size_t)ctx->split_total;
            quiet = 1;
        }
        kernel(&p, i0, i1);
    }
    int rc = sync_c(ctx, fn, C, quiet);
    int rc2 = pa_array_free(&tmp);
    return pa__agree(ctx, ctx->comm, rc < 0 ? rc : rc2);
}

int pa_matmul(pa_array *C, pa_array *A, pa_array *B, const pa_matmul_opts *opts)
{
    return run(__func__, C, A, B, opts, 0);
}

int pa_matvec(pa_array *y, pa_array *A, pa_array *x, const pa_matmul_opts *opts)
{
    return run(__func__, y, A, x, opts, 1);
}
