/* The core and BLAS thread plan: which cores each rank runs on and how many
 * threads its BLAS may use, so that the ranks of a machine together never
 * run more BLAS threads than it has cores. The plan is made and applied at
 * pa_init; see docs/blas.md. */
#ifndef PARRAY_BLAS_H
#define PARRAY_BLAS_H

#include <mpi.h>
#include "parray/context.h"
#include "parray/export.h"

/* Not collective. The planned BLAS threads of this rank: the size of its
 * core share (see pa_blas_plan_get), or PARRAY_BLAS_THREADS when it is set,
 * or what pa_blas_set_threads set. */
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

/* Warnings about the plan, as bits of pa_blas_plan.warnings. */
/* clang-format off */
#define PA_BLAS_WARN_OPENMP 1      /* OpenMP-built OpenBLAS: OMP_NUM_THREADS and the
                                    * OpenMP runtime may override the thread count */
#define PA_BLAS_WARN_NOT_OPENBLAS 2 /* cblas_dgemm does not come from the OpenBLAS
                                    * that takes the thread count */
#define PA_BLAS_WARN_THREADS 4     /* the thread count read back differs from the plan */
#define PA_BLAS_WARN_OVERSUB 8     /* this machine's ranks x threads exceed its cores */
#define PA_BLAS_WARN_AFFINITY 16   /* the share could not be applied (sched_setaffinity) */
#define PA_BLAS_WARN_MEMBIND 32    /* a node block's pages could not be bound to this
                                    * rank's NUMA node (they stay where first touched) */
/* clang-format on */
#define PA_BLAS_NWARN 6

/* The plan of this rank. The CPU lists are read with pa_blas_plan_cores. */
typedef struct {
    int threads;           /* planned BLAS threads (pa_blas_threads) */
    int threads_in_effect; /* read back from the BLAS now */
    int threads_default;   /* what the BLAS had before parray planned */
    int keep;              /* 1: PARRAY_AFFINITY=keep, the launcher's binding is kept */
    int applied;           /* 1: this rank's threads are bound to its share */
    int host_rank;         /* this rank among the job's ranks on its machine */
    int host_size;         /* the job's ranks on its machine */
    int nallowed;          /* the machine's usable cores */
    int nshare;            /* cores in this rank's share */
    int nlaunch;           /* cores the launcher let this rank run on */
    int nnode;             /* cores of the node's shares together (lend mode) */
    int warnings;          /* PA_BLAS_WARN_* bits */
} pa_blas_plan;

/* Not collective. Fills *plan for this rank. Returns PA_EINVAL for NULL. */
PA_EXTERN int pa_blas_plan_get(const pa_ctx *ctx, pa_blas_plan *plan);

/* Which CPU list pa_blas_plan_cores reads. */
typedef enum {
    PA_CORES_LAUNCH,  /* the affinity the launcher gave this rank */
    PA_CORES_ALLOWED, /* the machine's usable cores: the union over the job's ranks
                       * on it, widened to the job's cgroup cpuset */
    PA_CORES_SHARE,   /* this rank's fair share of them */
    PA_CORES_NODE,    /* the shares of this rank's node together (what lend mode uses) */
    PA_CORES_NOW      /* the calling thread's affinity now */
} pa_cores_kind;

/* Not collective. Writes up to max CPU numbers of the list kind, in
 * ascending order, to cpus (NULL when max is 0) and returns how many there
 * are in all, or PA_EINVAL for a bad kind. */
PA_EXTERN int pa_blas_plan_cores(const pa_ctx *ctx, pa_cores_kind kind, int *cpus, int max);

/* The machine under a node's CPUs (PA_CORES_NODE), as hwloc sees it. */
typedef struct {
    int packages;   /* packages (sockets) that hold any of the node's CPUs */
    int numa_nodes; /* NUMA nodes that hold any of them */
    int cores;      /* physical cores that hold any of them */
    int cpus;       /* the CPUs (hardware threads) themselves */
    int smt;        /* hardware threads per core on the machine: 1 without SMT */
} pa_topology;

/* Not collective. Fills *t for this rank's node. Returns PA_EINVAL for
 * NULL, PA_ENOMEM when out of memory. */
PA_EXTERN int pa_blas_plan_topology(const pa_ctx *ctx, pa_topology *t);

/* Not collective. The NUMA nodes (the kernel's numbers) of the CPUs this
 * rank runs on: its share, or the launcher's binding when the share is not
 * applied. Writes up to max of them, ascending, to nodes (NULL when max is
 * 0) and returns how many there are in all: more than one when the rank's
 * CPUs span NUMA nodes. Returns PA_EINVAL for NULL, PA_ENOMEM. */
PA_EXTERN int pa_blas_plan_numa(const pa_ctx *ctx, int *nodes, int max);

/* Not collective. A one-line description of one warning bit (static). */
PA_EXTERN const char *pa_blas_warning_text(int bit);

/* Not collective. Binds every thread of this rank to its share (keep = 0)
 * or back to the launcher's binding (keep = 1), and sets the BLAS threads
 * to the plan (keep = 0) or to min(plan, launcher cores) (keep = 1). For
 * programs that want to switch at run time, and for benchmarks. Returns
 * PA_EINVAL when the kernel refuses the mask. */
PA_EXTERN int pa_blas_set_affinity(pa_ctx *ctx, int keep);

/* Collective over comm (a communicator of the caller's, or parray's:
 * pa_ctx_comm, pa_ctx_node_comm). A barrier that does not spin. Over
 * pa_ctx_node_comm (on Linux) the waiting ranks sleep in the kernel on a
 * word in node-shared memory (a futex) until the last rank arrives and
 * wakes them, within microseconds. Over any other communicator it starts
 * MPI_Ibarrier and polls it with MPI_Test, sleeping between polls from 50
 * microseconds up to 1 ms (doubling), which adds up to about 1 ms of
 * latency. Use it where a rank waits while others compute, so that the
 * waiting rank leaves its core to them. Returns PA_OK or PA_EMPI. */
PA_EXTERN int pa_wait_quiet(pa_ctx *ctx, MPI_Comm comm);

#endif
