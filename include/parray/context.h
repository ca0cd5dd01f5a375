/* The context: parray's view of the MPI job. It holds parray's own
 * duplicate of the job communicator, its split into nodes (ranks that share
 * memory) and the node leaders' communicator, and the cores of each rank. */
#ifndef PARRAY_CONTEXT_H
#define PARRAY_CONTEXT_H

#include <mpi.h>
#include "parray/export.h"

typedef struct pa_ctx pa_ctx;

/* Collective over MPI_COMM_WORLD. Initialises MPI (MPI_Init_thread with
 * MPI_THREAD_FUNNELED) unless it is already initialised, then behaves as
 * pa_init_comm(MPI_COMM_WORLD). argc and argv are passed to MPI_Init_thread
 * and may be NULL. On success *ctx is a new context to release with
 * pa_finalize. On failure *ctx is NULL, MPI is finalised again if this call
 * initialised it, and pa_errmsg(NULL) says why. */
PA_EXTERN int pa_init(int *argc, char ***argv, pa_ctx **ctx);

/* Collective over comm. For programs that initialise MPI themselves: parray
 * duplicates comm and never talks on the caller's communicator.
 * Environment (read on every rank, agreed on):
 *   PARRAY_RANKS_PER_NODE=k  split each node into emulated nodes of k
 *                            consecutive ranks (k >= 1);
 *   PARRAY_BLAS_THREADS=t    BLAS threads per rank instead of the plan;
 *   PARRAY_POOL_MB=m         memory pool cap per rank in MiB (0: no pool);
 *   PARRAY_LOCK_TIMEOUT=s    seconds a save waits for another save's lock
 *                            on its file (default 60; 0: no wait);
 *   PARRAY_LOCK=auto|require|off  lock saves; where the file system keeps
 *                            no locks warn (auto), fail (require); off. */
PA_EXTERN int pa_init_comm(MPI_Comm comm, pa_ctx **ctx);

/* Collective. Frees the context and everything it holds (the memory pool,
 * the communicators), sets *ctx to NULL, and finalises MPI if pa_init
 * initialised it. Arrays must be freed before. A NULL *ctx is a no-op. */
PA_EXTERN int pa_finalize(pa_ctx **ctx);

/* Not collective. The last error message of ctx, with the call that failed
 * ("pa_array_create: shape[1] = 0 ..."); "" when none. With ctx NULL, the
 * message of the last failed pa_init or pa_init_comm. */
PA_EXTERN const char *pa_errmsg(const pa_ctx *ctx);

/* Not collective. Layout getters. */
PA_EXTERN MPI_Comm pa_ctx_comm(const pa_ctx *ctx);        /* parray's duplicate */
PA_EXTERN MPI_Comm pa_ctx_node_comm(const pa_ctx *ctx);   /* ranks of my node */
PA_EXTERN MPI_Comm pa_ctx_leader_comm(const pa_ctx *ctx); /* MPI_COMM_NULL off leaders */
PA_EXTERN int pa_ctx_rank(const pa_ctx *ctx);
PA_EXTERN int pa_ctx_size(const pa_ctx *ctx);
PA_EXTERN int pa_ctx_node(const pa_ctx *ctx);       /* 0 .. nnodes-1 */
PA_EXTERN int pa_ctx_nnodes(const pa_ctx *ctx);
PA_EXTERN int pa_ctx_node_rank(const pa_ctx *ctx);  /* 0 is the node's leader */
PA_EXTERN int pa_ctx_node_size(const pa_ctx *ctx);
PA_EXTERN int pa_ctx_emulated(const pa_ctx *ctx);   /* k of PARRAY_RANKS_PER_NODE, or 0 */
PA_EXTERN const char *pa_ctx_hostname(const pa_ctx *ctx);

/* Not collective. The CPUs this rank may run on (its affinity at pa_init),
 * or with node != 0 the union over the ranks of its node. Writes up to max
 * CPU numbers in ascending order to cpus (which may be NULL when max is 0)
 * and returns how many there are in all. */
PA_EXTERN int pa_ctx_cores(const pa_ctx *ctx, int node, int *cpus, int max);

#endif
