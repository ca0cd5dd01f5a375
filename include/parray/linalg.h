/* Matrix multiply and LAPACK solvers under the BLAS thread plan. Matrices
 * are 2-D arrays in C (row-major) order, f64 or f32. See docs/blas.md. */
#ifndef PARRAY_LINALG_H
#define PARRAY_LINALG_H

#include <stddef.h>
#include "parray/array.h"
#include "parray/export.h"

/* How pa_matmul spreads the work over a node's ranks.
 *   PA_MATMUL_SPLIT: each rank multiplies its own rows of C (the rows whose
 *                    first element lies in its local span) on its share of
 *                    cores, with its planned BLAS threads; when the shares
 *                    differ in size, or ranks share a core, the node's rows
 *                    go in proportion to the cores each rank has to itself;
 *   PA_MATMUL_LEND:  the node's leader multiplies all the node's rows on all
 *                    the node's cores while the other ranks wait without
 *                    spinning; the plan is restored afterwards;
 *   PA_MATMUL_AUTO:  lend when a rank's stripe would be thinner than 64 rows
 *                    (and the product is large enough to thread), else
 *                    split. */
typedef enum { PA_MATMUL_AUTO, PA_MATMUL_SPLIT, PA_MATMUL_LEND } pa_matmul_mode;

/* Options of pa_matmul and pa_matvec: C = alpha * op(A) * op(B) + beta * C
 * as in GEMM, op(X) = X or its transpose. */
typedef struct {
    int transA; /* op(A) = A^T; A must then be replicated */
    int transB; /* op(B) = B^T (pa_matmul only) */
    double alpha, beta;
    pa_matmul_mode mode;
} pa_matmul_opts;

/* The defaults: no transposes, alpha 1, beta 0, auto mode. */
/* clang-format off */
#define PA_MATMUL_OPTS_INIT {0, 0, 1.0, 0.0, PA_MATMUL_AUTO}
/* clang-format on */

/* Collective. C = alpha * op(A) * op(B) + beta * C, with op(A) of shape
 * (m, k), op(B) of shape (k, n) and C of shape (m, n), all 2-D and of one
 * dtype, f64 or f32. C is distributed by rows (or replicated, and then A
 * must be replicated too); A is distributed like C or replicated; B is
 * replicated, or distributed and then gathered once per node into a
 * replicated temporary. transA needs a replicated A: a row of A^T is a
 * column of A, which spans every node. C must be distinct from A and B.
 * opts may be NULL for PA_MATMUL_OPTS_INIT. Returns PA_OK, PA_EINVAL (shape
 * mismatches name the three shapes), PA_ENOMEM or PA_EMPI, the same on
 * every rank; on failure C is unchanged unless the failure is PA_EMPI. */
PA_EXTERN int pa_matmul(pa_array *C, pa_array *A, pa_array *B, const pa_matmul_opts *opts);

/* Collective. y = alpha * op(A) * x + beta * y with A 2-D (m, k) (or (k, m)
 * with transA), x 1-D of k and y 1-D of m, the distributions as in
 * pa_matmul (x for B, y for C). opts->transB must be 0. */
PA_EXTERN int pa_matvec(pa_array *y, pa_array *A, pa_array *x, const pa_matmul_opts *opts);

/* Not collective. The mode PA_MATMUL_AUTO picks on this rank's node for C
 * of m rows and n columns and an inner dimension k. */
PA_EXTERN pa_matmul_mode pa_matmul_auto(const pa_ctx *ctx, size_t m, size_t n, size_t k);

/* Not collective. "auto", "split", "lend"; parse returns PA_EINVAL for an
 * unknown name. */
PA_EXTERN const char *pa_matmul_mode_name(pa_matmul_mode mode);
PA_EXTERN int pa_matmul_mode_parse(const char *name, pa_matmul_mode *mode);

/* LAPACK on replicated matrices. Every node computes the result for its
 * own copy; on a node the leader runs LAPACK on all the node's cores (lend
 * mode) while the other ranks wait quietly. Inputs are not modified (their
 * data are copied first), and an output may be the same array as an input
 * of the same shape. All arrays are replicated, of one dtype, f64 or f32.
 * A numerical failure (LAPACK info > 0) returns PA_ENUMERIC on every rank
 * with the reason in pa_errmsg: "singular", "not positive definite", "did
 * not converge", "not of full rank"; the outputs are then unspecified. */

/* Collective. Solves A X = B (LU with partial pivoting, ?getrf/?getrs): A
 * is (n, n), B and X are (n,) or (n, nrhs). */
PA_EXTERN int pa_solve(pa_array *X, pa_array *A, pa_array *B);

/* Collective. The Cholesky factor L of a symmetric positive definite A
 * (n, n), A = L L^T, L lower triangular with zeros above the diagonal
 * (?potrf). Only the lower triangle of A is read. */
PA_EXTERN int pa_cholesky(pa_array *L, pa_array *A);

/* Collective. Solves A X = B given L from pa_cholesky (?potrs). */
PA_EXTERN int pa_cholesky_solve(pa_array *X, pa_array *L, pa_array *B);

/* Collective. Eigenvalues w (n,) in ascending order and, when V is not
 * NULL, eigenvectors V (n, n) of a symmetric A (n, n): column j of V is the
 * unit eigenvector of w[j], as numpy.linalg.eigh (?syevd). Only the lower
 * triangle of A is read. */
PA_EXTERN int pa_eigh(pa_array *w, pa_array *V, pa_array *A);

/* Collective. Least squares: X minimises ||A X - B|| for A (m, n) of full
 * rank with m >= n, or is the minimum-norm solution when m < n (?gels). B
 * is (m,) or (m, nrhs); X is (n,) or (n, nrhs). */
PA_EXTERN int pa_lstsq(pa_array *X, pa_array *A, pa_array *B);

#endif
