/* Private declarations of the linear-algebra concept: lending a node's
 * cores to one rank (blas.c), matmul's shape strings (matmul.c), and the
 * LAPACK routines parray calls (lapack.c). CPU masks are in cores.h, the
 * quiet wait in wait.h. Not installed. */
#ifndef PARRAY_LINALG_PRIVATE_H
#define PARRAY_LINALG_PRIVATE_H

#include <stddef.h>

#include "internal.h"

/* ------------------------------------------------------------ blas.c */

/* Lend mode: the node leader takes every core of the node's shares (its
 * threads bound to them, the BLAS set to that many threads); pa__lend_end
 * puts the plan back. Not collective; the peers wait quietly meanwhile.
 * Returns the thread count lent. */
int pa__lend_begin(pa_ctx *ctx);
void pa__lend_end(pa_ctx *ctx);

/* Recomputes the warnings that depend on the thread count. */
void pa__blas_check(pa_ctx *ctx);

/* ------------------------------------------------------------ matmul.c */

/* Not collective. A vector or matrix shape as "(n,)" or "(m,n)", else
 * "3-D", into buf; returns buf. The shapes in matmul's and LAPACK's
 * messages. */
const char *pa__mat_shape_str(const pa_array *a, char *buf, size_t len);

/* ------------------------------------------------------------ lapack.c */

/* LAPACK through OpenBLAS, called by its Fortran names: OpenBLAS exports
 * them whether or not LAPACKE's headers are installed (liblapacke-dev is
 * not a build dependency). Integers are 32-bit (OpenBLAS's LP64 build);
 * matrices are column-major; each character argument has a hidden length
 * argument at the end (gfortran passes it as size_t), given as 1. */
#define PA__LAPACK_PROTOS(T, P)                                                                  \
    void P##getrf_(const int *m, const int *n, T *a, const int *lda, int *ipiv, int *info);      \
    void P##getrs_(const char *trans, const int *n, const int *nrhs, const T *a, const int *lda, \
                   const int *ipiv, T *b, const int *ldb, int *info, size_t trans_len);          \
    void P##potrf_(const char *uplo, const int *n, T *a, const int *lda, int *info,              \
                   size_t uplo_len);                                                             \
    void P##potrs_(const char *uplo, const int *n, const int *nrhs, const T *a, const int *lda,  \
                   T *b, const int *ldb, int *info, size_t uplo_len);                            \
    void P##syevd_(const char *jobz, const char *uplo, const int *n, T *a, const int *lda, T *w, \
                   T *work, const int *lwork, int *iwork, const int *liwork, int *info,          \
                   size_t jobz_len, size_t uplo_len);                                            \
    void P##gels_(const char *trans, const int *m, const int *n, const int *nrhs, T *a,          \
                  const int *lda, T *b, const int *ldb, T *work, const int *lwork, int *info,    \
                  size_t trans_len);
PA__LAPACK_PROTOS(double, d)
PA__LAPACK_PROTOS(float, s)

#endif
