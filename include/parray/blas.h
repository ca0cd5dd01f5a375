/* The BLAS thread plan: how many threads each rank's BLAS may use so that
 * the ranks of a node together never run more threads than the node has
 * cores. The plan is made and applied at pa_init. */
#ifndef PARRAY_BLAS_H
#define PARRAY_BLAS_H

#include "parray/context.h"
#include "parray/export.h"

/* Not collective. The planned BLAS threads of this rank: the node's cores
 * divided by its ranks (at least 1), at most the cores this rank may run
 * on, or PARRAY_BLAS_THREADS when it is set. */
PA_EXTERN int pa_blas_threads(const pa_ctx *ctx);

/* Not collective. Sets this rank's planned BLAS threads to n (n >= 1) and
 * applies it to the BLAS. Returns PA_EINVAL for n < 1. */
PA_EXTERN int pa_blas_set_threads(pa_ctx *ctx, int n);

/* Not collective. What the BLAS reports now: its thread count (read back
 * from the library), its name and build configuration (static strings),
 * and its threading model: 0 sequential, 1 pthreads, 2 OpenMP. */
PA_EXTERN int pa_blas_threads_in_effect(void);
PA_EXTERN const char *pa_blas_config(void);
PA_EXTERN int pa_blas_parallel(void);

#endif
