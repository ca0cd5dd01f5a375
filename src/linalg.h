/* Private declarations of the linear-algebra concept: CPU masks and
 * affinity (cores.c), the quiet wait (wait.c), lending a node's cores to
 * one rank (blas.c), and the LAPACK routines parray calls (lapack.c). Not
 * installed. */
#ifndef PARRAY_LINALG_PRIVATE_H
#define PARRAY_LINALG_PRIVATE_H

#include <stdint.h>
#include <mpi.h>

#include "internal.h"

/* ------------------------------------------------------------ cores.c */

/* CPU masks: bit c of word c / 64, CPU_SETSIZE bits. */
#define PA__MASK_WORDS 16

int pa__mask_count(const uint64_t *mask);
/* Writes up to max CPU numbers of mask to cpus; returns how many in all. */
int pa__mask_list(const uint64_t *mask, int *cpus, int max);
/* The calling thread's affinity now. Returns 0 or -1. */
int pa__mask_now(uint64_t *mask);
/* Binds every thread of the process to mask. Returns 0, or -1 when the
 * calling thread could not be bound. */
int pa__affinity_all(const uint64_t *mask);
/* The same with the calling thread bound to mine and the others to others. */
int pa__affinity_split(const uint64_t *mine, const uint64_t *others);

/* ------------------------------------------------------------ wait.c */

/* Completes req without spinning: MPI_Test, then nanosleep from 50 us
 * doubling to 1 ms, until done. Returns PA_OK or PA_EMPI (as fn). */
int pa__wait_req(pa_ctx *ctx, const char *fn, MPI_Request *req);
/* A quiet barrier over comm: over ctx->node_comm the node gate (futex
 * sleep in shared memory, on Linux), else MPI_Ibarrier completed by
 * pa__wait_req. */
int pa__wait_quiet(pa_ctx *ctx, const char *fn, MPI_Comm comm);

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
#define PA__LAPACK_PROTOS(T, P)                                                            \
    void P##getrf_(const int *m, const int *n, T *a, const int *lda, int *ipiv, int *info); \
    void P##getrs_(const char *trans, const int *n, const int *nrhs, const T *a,            \
                   const int *lda, const int *ipiv, T *b, const int *ldb, int *info,        \
                   size_t trans_len);                                                       \
    void P##potrf_(const char *uplo, const int *n, T *a, const int *lda, int *info,         \
                   size_t uplo_len);                                                        \
    void P##potrs_(const char *uplo, const int *n, const int *nrhs, const T *a,             \
                   const int *lda, T *b, const int *ldb, int *info, size_t uplo_len);       \
    void P##syevd_(const char *jobz, const char *uplo, const int *n, T *a, const int *lda,  \
                   T *w, T *work, const int *lwork, int *iwork, const int *liwork,          \
                   int *info, size_t jobz_len, size_t uplo_len);                            \
    void P##gels_(const char *trans, const int *m, const int *n, const int *nrhs, T *a,     \
                  const int *lda, T *b, const int *ldb, T *work, const int *lwork,          \
                  int *info, size_t trans_len);
PA__LAPACK_PROTOS(double, d)
PA__LAPACK_PROTOS(float, s)

#endif
