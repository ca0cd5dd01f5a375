/* The context: parray's view of the MPI job. It holds parray's own
 * duplicate of the job communicator, its split into nodes (ranks that share
 * memory) and the node leaders' communicator, and the cores of each rank. */
#ifndef PARRAY_CONTEXT_H
#define PARRAY_CONTEXT_H

#include <stddef.h>
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
 * Environment (read on every rank; a value that is not the same on every
 * rank, or set on some ranks only, is PA_EINVAL on every rank with a
 * message that names the variable and the ranks' values):
 *   PARRAY_RANKS_PER_NODE=k  split each node into emulated nodes of k
 *                            consecutive ranks (k >= 1);
 *   PARRAY_BLAS_THREADS=t    BLAS threads per rank instead of the plan;
 *   PARRAY_POOL_MB=m         memory pool cap per rank in MiB (0: no pool);
 *   PARRAY_SORT_BUFFER_MB=m  a sort's buffer per node in MiB for the pieces
 *                            it receives from other nodes and an argsort's
 *                            pieces of values (default 256);
 *   PARRAY_AFFINITY=keep     keep the launcher's binding (default share);
 *   PARRAY_CHECK=collectives debug mode: every collective call checks that
 *                            every rank makes the same call with the same
 *                            arguments (PA_EINVAL on every rank otherwise);
 *   PARRAY_CHECK_TIMEOUT=s   in that mode, a rank that waits s seconds
 *                            (default 60) for the others in a collective
 *                            call prints it and the missing ranks and calls
 *                            MPI_Abort: the one case where parray ends the
 *                            job;
 *   PARRAY_LOCK_TIMEOUT=s    seconds a save waits for another save's lock
 *                            on its file (default 60; 0: no wait);
 *   PARRAY_LOCK=auto|require|off  lock saves; where the file system keeps
 *                            no locks warn (auto), fail (require); off;
 *   PARRAY_SUM_READ=auto|intel|forward  the order in which tree sums read
 *                            memory: by the CPU's maker (auto), or this one;
 *                            the same bits either way;
 *   PARRAY_LOG=off|summary   summary: a profile of the collective calls
 *                            (count, max and min time over the ranks,
 *                            bytes and GB/s; time in agreements and
 *                            barriers), which pa_finalize prints from rank
 *                            0 as one table (one MPI_Reduce); off (the
 *                            default) costs a few tests of a flag a call;
 *   PARRAY_LOG_FILE=path     rank 0 writes that table to path (created or
 *                            replaced at pa_init; PA_EIO if it cannot be)
 *                            instead of stderr;
 *   PARRAY_H5_ALIGN=t,a      HDF5 objects of at least t bytes start at
 *                            multiples of a (sizes with K, M, G or T:
 *                            "1M,4M"); default none;
 *   PARRAY_MPIIO_HINTS=k=v,...  MPI-IO hints every parallel HDF5 file is
 *                            opened with (any key passes through). Both:
 *                            pa_h5_settings;
 *   PARRAY_REDIST_BUFFER_MB=m  the buffer per node, in MiB (default 64,
 *                            1 to 4095), through which reshape.h's calls
 *                            move data between nodes. */
PA_EXTERN int pa_init_comm(MPI_Comm comm, pa_ctx **ctx);

/* Collective. Frees the context and everything it holds (the memory pool,
 * the communicators), sets *ctx to NULL, and finalises MPI if pa_init
 * initialised it. Arrays must be freed before. A NULL *ctx is a no-op.
 * Under PARRAY_LOG=summary it first prints the profile from rank 0; a
 * failure to write it is PA_EIO on every rank (pa_errmsg(NULL) says why),
 * and the context is freed all the same.
 * Under PARRAY_CHECK=collectives, a call that the other ranks do not make
 * at the same point is PA_EINVAL and keeps *ctx. */
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
PA_EXTERN int pa_ctx_node(const pa_ctx *ctx); /* 0 .. nnodes-1 */
PA_EXTERN int pa_ctx_nnodes(const pa_ctx *ctx);
PA_EXTERN int pa_ctx_node_rank(const pa_ctx *ctx); /* 0 is the node's leader */
PA_EXTERN int pa_ctx_node_size(const pa_ctx *ctx);
PA_EXTERN int pa_ctx_emulated(const pa_ctx *ctx); /* k of PARRAY_RANKS_PER_NODE, or 0 */
PA_EXTERN const char *pa_ctx_hostname(const pa_ctx *ctx);

/* Not collective. The CPUs this rank may run on (its affinity at pa_init),
 * or with node != 0 the union over the ranks of its node. Writes up to max
 * CPU numbers in ascending order to cpus (which may be NULL when max is 0)
 * and returns how many there are in all. */
PA_EXTERN int pa_ctx_cores(const pa_ctx *ctx, int node, int *cpus, int max);

/* Collective. Checks, before a program allocates, that every rank may
 * allocate `bytes` more (0 on a rank that allocates nothing), as
 * pa_array_create checks its node blocks: each node's leader compares the
 * sum over the node's ranks with the memory the node has available, the
 * smallest of MemAvailable (/proc/meminfo) and the room under the memory
 * limit of the process's cgroup and of each of its ancestors (v2
 * memory.max - memory.current, v1 memory.limit_in_bytes -
 * memory.usage_in_bytes). PARRAY_MEM_AVAILABLE=BYTES, a testing aid,
 * replaces that figure. what names the allocation in the message. Returns
 * PA_OK, or on every rank PA_ENOMEM ("pa_mem_check: <what> needs 30.0 GiB
 * (...) on node 0, but 22.1 GiB is available (MemAvailable)") or PA_EINVAL
 * (a bad PARRAY_MEM_AVAILABLE). */
PA_EXTERN int pa_mem_check(pa_ctx *ctx, size_t bytes, const char *what);

#endif
