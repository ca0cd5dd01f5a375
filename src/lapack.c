/* LAPACK on replicated matrices, in lend mode: on each node the leader
 * copies the inputs, runs LAPACK on all the node's cores while the other
 * ranks wait quietly, and writes the outputs into the node's copies.
 *
 * Row-major vs column-major: a row-major n x n array is, read as
 * column-major, its transpose. So the leader factors the transpose in
 * place and asks LAPACK for the transposed solve ('T'), or, for symmetric
 * input, reads the other triangle ('U' of the column-major view is the
 * lower triangle of the row-major array). Right-hand sides with more than
 * one column are copy-transposed into column-major buffers and back. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "internal.h"
#include "linalg.h"
#include "wait.h"

/* One call: its arrays and sizes, checked. */
typedef struct {
    pa_ctx *ctx;
    const char *fn;
    pa_dtype dtype;
    int n, m, nrhs; /* A is n x n (lstsq: m x n); B has nrhs columns */
    const void *a, *b;
    void *x, *w, *v;
} job;

static void *alloc(job *j, size_t count, size_t es, int *rc)
{
    void *p = malloc((count ? count : 1) * es);
    if (!p && *rc == PA_OK)
        *rc = pa__err(j->ctx, j->fn, PA_ENOMEM, "out of memory for %zu elements", count);
    return p;
}

/* The leader's kernels, one set per dtype from one template. Each returns
 * PA_OK or an error recorded in ctx; they write only the output arrays. */
#define LAPACK_KERNELS(T, P)                                                                     \
    /* Row-major r x c (ld c) into column-major with ld ldt, and back. */                        \
    static void to_cm_##P(const T *src, int r, int c, T *dst, int ldt)                           \
    {                                                                                            \
        for (int i = 0; i < r; i++)                                                              \
            for (int k = 0; k < c; k++)                                                          \
                dst[(size_t)k * ldt + i] = src[(size_t)i * c + k];                               \
    }                                                                                            \
    static void from_cm_##P(const T *src, int ldt, int r, int c, T *dst)                         \
    {                                                                                            \
        for (int i = 0; i < r; i++)                                                              \
            for (int k = 0; k < c; k++)                                                          \
                dst[(size_t)i * c + k] = src[(size_t)k * ldt + i];                               \
    }                                                                                            \
    static int solve_##P(job *j)                                                                 \
    {                                                                                            \
        int rc = PA_OK, n = j->n, nrhs = j->nrhs, info = 0, ld = n > 1 ? n : 1;                  \
        T *a = alloc(j, (size_t)n * n, sizeof(T), &rc);                                          \
        T *b = alloc(j, (size_t)n * nrhs, sizeof(T), &rc);                                       \
        int *ipiv = alloc(j, (size_t)n, sizeof(int), &rc);                                       \
        if (rc == PA_OK && n > 0) {                                                              \
            /* a holds A^T column-major: its LU solves A X = B with 'T'. */                      \
            memcpy(a, j->a, sizeof(T) * (size_t)n * n);                                          \
            to_cm_##P(j->b, n, nrhs, b, ld);                                                     \
            P##getrf_(&n, &n, a, &ld, ipiv, &info);                                              \
            if (info > 0)                                                                        \
                rc = pa__err(j->ctx, j->fn, PA_ENUMERIC,                                         \
                             "A is singular: U[%d,%d] of its LU factors is exactly zero",        \
                             info - 1, info - 1);                                                \
            else if (nrhs > 0)                                                                   \
                P##getrs_("T", &n, &nrhs, a, &ld, ipiv, b, &ld, &info, 1);                       \
            if (rc == PA_OK)                                                                     \
                from_cm_##P(b, ld, n, nrhs, j->x);                                               \
        }                                                                                        \
        free(a);                                                                                 \
        free(b);                                                                                 \
        free(ipiv);                                                                              \
        return rc;                                                                               \
    }                                                                                            \
    static int chol_##P(job *j)                                                                  \
    {                                                                                            \
        int rc = PA_OK, n = j->n, info = 0, ld = n > 1 ? n : 1;                                  \
        T *a = alloc(j, (size_t)n * n, sizeof(T), &rc);                                          \
        if (rc == PA_OK && n > 0) {                                                              \
            /* 'U' of the column-major view is A's lower triangle; the factor U           \
             * with A = U^T U, read row-major, is L = U^T with A = L L^T. */      \
            memcpy(a, j->a, sizeof(T) * (size_t)n * n);                                          \
            P##potrf_("U", &n, a, &ld, &info, 1);                                                \
            if (info > 0)                                                                        \
                rc = pa__err(j->ctx, j->fn, PA_ENUMERIC,                                         \
                             "A is not positive definite: its leading minor of order %d "        \
                             "is not",                                                           \
                             info);                                                              \
            for (int i = 0; i < n && rc == PA_OK; i++)                                           \
                for (int k = i + 1; k < n; k++)                                                  \
                    a[(size_t)i * n + k] = 0; /* above the diagonal: A's leftovers */            \
            if (rc == PA_OK)                                                                     \
                memcpy(j->x, a, sizeof(T) * (size_t)n * n);                                      \
        }                                                                                        \
        free(a);                                                                                 \
        return rc;                                                                               \
    }                                                                                            \
    static int cholsolve_##P(job *j)                                                             \
    {                                                                                            \
        int rc = PA_OK, n = j->n, nrhs = j->nrhs, info = 0, ld = n > 1 ? n : 1;                  \
        T *b = alloc(j, (size_t)n * nrhs, sizeof(T), &rc);                                       \
        if (rc == PA_OK && n > 0) {                                                              \
            /* L read column-major is U = L^T, upper: A = U^T U. */                              \
            to_cm_##P(j->b, n, nrhs, b, ld);                                                     \
            if (nrhs > 0)                                                                        \
                P##potrs_("U", &n, &nrhs, j->a, &ld, b, &ld, &info, 1);                          \
            from_cm_##P(b, ld, n, nrhs, j->x);                                                   \
        }                                                                                        \
        free(b);                                                                                 \
        return rc;                                                                               \
    }                                                                                            \
    static int eigh_##P(job *j)                                                                  \
    {                                                                                            \
        int rc = PA_OK, n = j->n, info = 0, ld = n > 1 ? n : 1, lwork = -1, liwork = -1;         \
        const char *jobz = j->v ? "V" : "N";                                                     \
        T *a = alloc(j, (size_t)n * n, sizeof(T), &rc), wq;                                      \
        T *w = alloc(j, (size_t)n, sizeof(T), &rc), *work = NULL;                                \
        int iwq, *iwork = NULL;                                                                  \
        if (rc == PA_OK && n > 0) {                                                              \
            memcpy(a, j->a, sizeof(T) * (size_t)n * n);                                          \
            P##syevd_(jobz, "U", &n, a, &ld, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);        \
            lwork = (int)wq;                                                                     \
            liwork = iwq;                                                                        \
            work = alloc(j, (size_t)lwork, sizeof(T), &rc);                                      \
            iwork = alloc(j, (size_t)liwork, sizeof(int), &rc);                                  \
        }                                                                                        \
        if (rc == PA_OK && n > 0) {                                                              \
            P##syevd_(jobz, "U", &n, a, &ld, w, work, &lwork, iwork, &liwork, &info, 1, 1);      \
            if (info > 0)                                                                        \
                rc = pa__err(j->ctx, j->fn, PA_ENUMERIC,                                         \
                             "the eigensolver did not converge (%d off-diagonal elements "       \
                             "left)",                                                            \
                             info);                                                              \
            if (rc == PA_OK) {                                                                   \
                memcpy(j->w, w, sizeof(T) * (size_t)n);                                          \
                if (j->v) /* column j of the column-major result is vector j */                  \
                    from_cm_##P(a, ld, n, n, j->v);                                              \
            }                                                                                    \
        }                                                                                        \
        free(a);                                                                                 \
        free(w);                                                                                 \
        free(work);                                                                              \
        free(iwork);                                                                             \
        return rc;                                                                               \
    }                                                                                            \
    static int lstsq_##P(job *j)                                                                 \
    {                                                                                            \
        int rc = PA_OK, m = j->m, n = j->n, nrhs = j->nrhs, info = 0, lwork = -1;                \
        int lda = n > 1 ? n : 1, ldb = m > n ? m : n;                                            \
        if (ldb < 1)                                                                             \
            ldb = 1;                                                                             \
        T *a = alloc(j, (size_t)m * n, sizeof(T), &rc), wq, *work = NULL;                        \
        T *b = alloc(j, (size_t)ldb * nrhs, sizeof(T), &rc);                                     \
        if (rc == PA_OK && m > 0 && n > 0 && nrhs > 0) {                                         \
            /* a is A^T column-major (n x m): 'T' solves min ||A X - B||. */                     \
            memcpy(a, j->a, sizeof(T) * (size_t)m * n);                                          \
            memset(b, 0, sizeof(T) * (size_t)ldb * nrhs);                                        \
            to_cm_##P(j->b, m, nrhs, b, ldb);                                                    \
            P##gels_("T", &n, &m, &nrhs, a, &lda, b, &ldb, &wq, &lwork, &info, 1);               \
            lwork = (int)wq;                                                                     \
            work = alloc(j, (size_t)lwork, sizeof(T), &rc);                                      \
            if (rc == PA_OK)                                                                     \
                P##gels_("T", &n, &m, &nrhs, a, &lda, b, &ldb, work, &lwork, &info, 1);          \
            if (rc == PA_OK && info > 0)                                                         \
                rc = pa__err(j->ctx, j->fn, PA_ENUMERIC,                                         \
                             "A is not of full rank: element %d of the diagonal of its "         \
                             "triangular factor is zero",                                        \
                             info - 1);                                                          \
            if (rc == PA_OK)                                                                     \
                from_cm_##P(b, ldb, n, nrhs, j->x);                                              \
        } else if (rc == PA_OK) {                                                                \
            memset(j->x, 0, sizeof(T) * (size_t)n * nrhs); /* empty: X = 0 */                    \
        }                                                                                        \
        free(a);                                                                                 \
        free(b);                                                                                 \
        free(work);                                                                              \
        return rc;                                                                               \
    }
LAPACK_KERNELS(double, d)
LAPACK_KERNELS(float, s)

typedef int (*kernel_fn)(job *);

/* The lend-mode frame: the leader runs the kernel on all the node's cores
 * while the others wait in a quiet broadcast of its outcome, then every
 * rank agrees over the job. */
static int lend(job *j, kernel_fn kd, kernel_fn ks, pa_array **outs, int nout)
{
    pa_ctx *ctx = j->ctx;
    int rc = PA_OK;
    if (ctx->node_rank == 0) {
        pa__lend_begin(ctx);
        rc = j->dtype == PA_F64 ? kd(j) : ks(j);
        pa__lend_end(ctx);
        /* Publish the leader's stores to the outputs before the broadcast
         * that releases the node's other ranks. */
        for (int i = 0; i < nout; i++)
            if (outs[i] && MPI_Win_sync(outs[i]->block.win) != MPI_SUCCESS && rc == PA_OK)
                rc = pa__err(ctx, j->fn, PA_EMPI, "MPI_Win_sync failed");
    }
    MPI_Request req;
    int mrc = MPI_Ibcast(&rc, 1, MPI_INT, 0, ctx->node_comm, &req);
    int wrc = mrc == MPI_SUCCESS ? pa__wait_req(ctx, j->fn, &req)
                                 : pa__mpi(ctx, j->fn, mrc, "MPI_Ibcast");
    if (ctx->node_rank != 0)
        for (int i = 0; i < nout && wrc == PA_OK; i++)
            if (outs[i]) /* see the leader's stores */
                wrc = pa__mpi(ctx, j->fn, MPI_Win_sync(outs[i]->block.win), "MPI_Win_sync");
    /* The leaders are the lowest job ranks of their nodes, so agreement
     * carries a failing leader's message to every rank. */
    return pa__agree(ctx, ctx->comm, wrc < 0 ? wrc : rc);
}

/* Checks common to all: non-NULL, one context, replicated, one dtype. */
static int check_arrays(const char *fn, pa_array **arr, const char **names, int count)
{
    pa_array *first = NULL;
    for (int i = 0; i < count; i++) {
        PA_CHECK_AS(first ? first->ctx : NULL, fn, arr[i], PA_EINVAL, "%s is NULL", names[i]);
        if (!first)
            first = arr[i];
    }
    pa_ctx *ctx = first->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, %s, %s", PA_CC_ARRAY(arr[0]), PA_CC_ARRAY(arr[1]),
                  count > 2 ? PA_CC_ARRAY(arr[2]) : "-");
    PA_CHECK_AS(ctx, fn, first->dtype == PA_F64 || first->dtype == PA_F32, PA_EINVAL,
                "dtype %s is not supported (f64, f32)", pa_dtype_name(first->dtype));
    for (int i = 0; i < count; i++) {
        PA_CHECK_AS(ctx, fn, arr[i]->ctx == ctx, PA_EINVAL, "%s belongs to another context",
                    names[i]);
        PA_CHECK_AS(ctx, fn, arr[i]->dtype == first->dtype, PA_EINVAL,
                    "dtypes differ: %s is %s, %s is %s", names[0], pa_dtype_name(first->dtype),
                    names[i], pa_dtype_name(arr[i]->dtype));
        PA_CHECK_AS(ctx, fn, arr[i]->dist == PA_REPLICATED, PA_EINVAL,
                    "%s is distributed: LAPACK calls need replicated arrays", names[i]);
    }
    return PA_OK;
}

static int check_square(const char *fn, pa_array *A, const char *name)
{
    char s[48];
    PA_CHECK_AS(A->ctx, fn, A->ndim == 2 && A->shape[0] == A->shape[1], PA_EINVAL,
                "%s must be square (n,n): it is %s", name, pa__mat_shape_str(A, s, sizeof s));
    PA_CHECK_AS(A->ctx, fn, A->shape[0] <= 46340, PA_EINVAL,
                "%s is %s: n*n exceeds LAPACK's 32-bit integers", name,
                pa__mat_shape_str(A, s, sizeof s));
    return PA_OK;
}

/* B (rows,) or (rows, nrhs), and X of the shape (xrows,) or (xrows, nrhs). */
static int check_rhs(const char *fn, pa_array *A, pa_array *B, pa_array *X, size_t rows,
                     size_t xrows, int *nrhs)
{
    char sa[48], sb[48], sx[48];
    pa_ctx *ctx = A->ctx;
    PA_CHECK_AS(ctx, fn, (B->ndim == 1 || B->ndim == 2) && B->shape[0] == rows, PA_EINVAL,
                "shape mismatch: A is %s, so B must be (%zu,) or (%zu,k): it is %s",
                pa__mat_shape_str(A, sa, sizeof sa), rows, rows,
                pa__mat_shape_str(B, sb, sizeof sb));
    size_t k = B->ndim == 2 ? B->shape[1] : 1;
    char want[64];
    if (B->ndim == 2)
        snprintf(want, sizeof want, "(%zu,%zu)", xrows, k);
    else
        snprintf(want, sizeof want, "(%zu,)", xrows);
    PA_CHECK_AS(ctx, fn,
                X->ndim == B->ndim && X->shape[0] == xrows && (X->ndim == 1 || X->shape[1] == k),
                PA_EINVAL, "shape mismatch: A is %s and B is %s, so X must be %s: it is %s",
                pa__mat_shape_str(A, sa, sizeof sa), pa__mat_shape_str(B, sb, sizeof sb), want,
                pa__mat_shape_str(X, sx, sizeof sx));
    PA_CHECK_AS(ctx, fn, k <= INT_MAX && (size_t)rows * k <= INT_MAX, PA_EINVAL,
                "B is %s: too large for LAPACK's 32-bit integers",
                pa__mat_shape_str(B, sb, sizeof sb));
    *nrhs = (int)k;
    return PA_OK;
}

/* X from the square A (named aname) and B by the kernels kd (f64) and ks
 * (f32): the frame of pa_solve and pa_cholesky_solve. */
static int square_solve(const char *fn, pa_array *X, pa_array *A, const char *aname, pa_array *B,
                        kernel_fn kd, kernel_fn ks)
{
    pa_array *arr[] = {X, A, B};
    const char *names[] = {"X", aname, "B"};
    PA_TRY(check_arrays(fn, arr, names, 3));
    PA_TRY(check_square(fn, A, aname));
    job j = {A->ctx,        fn,   A->dtype, (int)A->shape[0], 0, 0, A->block.base, B->block.base,
             X->block.base, NULL, NULL};
    PA_TRY(check_rhs(fn, A, B, X, A->shape[0], A->shape[0], &j.nrhs));
    return lend(&j, kd, ks, &X, 1);
}

int pa_solve(pa_array *X, pa_array *A, pa_array *B)
{
    return square_solve(__func__, X, A, "A", B, solve_d, solve_s);
}

int pa_cholesky(pa_array *L, pa_array *A)
{
    pa_array *arr[] = {L, A};
    const char *names[] = {"L", "A"};
    PA_TRY(check_arrays(__func__, arr, names, 2));
    PA_TRY(check_square(__func__, A, "A"));
    char sa[48], sl[48];
    PA_CHECK(A->ctx, L->ndim == 2 && L->shape[0] == A->shape[0] && L->shape[1] == A->shape[1],
             PA_EINVAL, "shape mismatch: A is %s, L is %s", pa__mat_shape_str(A, sa, sizeof sa),
             pa__mat_shape_str(L, sl, sizeof sl));
    job j = {A->ctx,        __func__, A->dtype, (int)A->shape[0], 0, 0, A->block.base, NULL,
             L->block.base, NULL,     NULL};
    return lend(&j, chol_d, chol_s, &L, 1);
}

int pa_cholesky_solve(pa_array *X, pa_array *L, pa_array *B)
{
    return square_solve(__func__, X, L, "L", B, cholsolve_d, cholsolve_s);
}

int pa_eigh(pa_array *w, pa_array *V, pa_array *A)
{
    pa_array *arr[] = {w, A, V};
    const char *names[] = {"w", "A", "V"};
    PA_TRY(check_arrays(__func__, arr, names, V ? 3 : 2));
    PA_TRY(check_square(__func__, A, "A"));
    char sa[48], s2[48];
    PA_CHECK(A->ctx, w->ndim == 1 && w->shape[0] == A->shape[0], PA_EINVAL,
             "shape mismatch: A is %s, so w must be (%zu,): it is %s",
             pa__mat_shape_str(A, sa, sizeof sa), A->shape[0],
             pa__mat_shape_str(w, s2, sizeof s2));
    PA_CHECK(A->ctx,
             !V || (V->ndim == 2 && V->shape[0] == A->shape[0] && V->shape[1] == A->shape[0]),
             PA_EINVAL, "shape mismatch: A is %s, V is %s", pa__mat_shape_str(A, sa, sizeof sa),
             V ? pa__mat_shape_str(V, s2, sizeof s2) : "");
    PA_CHECK(A->ctx, w != V, PA_EINVAL, "w and V must be different arrays");
    job j = {A->ctx, __func__, A->dtype,      (int)A->shape[0],        0, 0, A->block.base,
             NULL,   NULL,     w->block.base, V ? V->block.base : NULL};
    pa_array *outs[] = {w, V};
    return lend(&j, eigh_d, eigh_s, outs, 2);
}

int pa_lstsq(pa_array *X, pa_array *A, pa_array *B)
{
    pa_array *arr[] = {X, A, B};
    const char *names[] = {"X", "A", "B"};
    PA_TRY(check_arrays(__func__, arr, names, 3));
    char sa[48];
    PA_CHECK(A->ctx, A->ndim == 2, PA_EINVAL, "A must be 2-D (m,n): it is %s",
             pa__mat_shape_str(A, sa, sizeof sa));
    PA_CHECK(A->ctx,
             A->shape[0] <= INT_MAX && A->shape[1] <= INT_MAX &&
                 A->shape[0] * A->shape[1] <= INT_MAX,
             PA_EINVAL, "A is %s: too large for LAPACK's 32-bit integers",
             pa__mat_shape_str(A, sa, sizeof sa));
    job j = {A->ctx,           __func__, A->dtype,      (int)A->shape[1],
             (int)A->shape[0], 0,        A->block.base, B->block.base,
             X->block.base,    NULL,     NULL};
    PA_TRY(check_rhs(__func__, A, B, X, A->shape[0], A->shape[1], &j.nrhs));
    return lend(&j, lstsq_d, lstsq_s, &X, 1);
}
