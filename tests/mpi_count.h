/* A PMPI counting shim for tests and for docs/scaling.md: every MPI call
 * parray makes to move data or to synchronise is counted here, by kind and
 * by communicator (parray's job communicator, its node communicator, the
 * node leaders', or another), with the bytes each rank puts into it.
 *
 * It works because the test programs link libparray_core statically: the
 * library's MPI_Allreduce and the rest resolve to the definitions in
 * tests/mpi_count.c, which count and call PMPI_Allreduce. HDF5's calls
 * from its shared library bind to them too (counted on "other", HDF5's
 * own communicator); MPI's internal traffic is not seen.
 *
 * Usage, on every rank:
 *     mpi_count_watch(ctx);                  the communicators to tell apart
 *     mpi_count_reset();
 *     pa_reduce(a, PA_RED_SUM, -1, &s);
 *     long n = mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB); */
#ifndef PARRAY_TEST_MPI_COUNT_H
#define PARRAY_TEST_MPI_COUNT_H

#include "parray.h"

/* The counted calls. */
#define MPI_COUNT_KINDS(X)                                                                       \
    X(ALLREDUCE, "allreduce")                                                                    \
    X(BCAST, "bcast")                                                                            \
    X(REDUCE, "reduce")                                                                          \
    X(BARRIER, "barrier")                                                                        \
    X(IBARRIER, "ibarrier")                                                                      \
    X(IBCAST, "ibcast")                                                                          \
    X(GATHER, "gather")                                                                          \
    X(ALLGATHER, "allgather")                                                                    \
    X(SCATTER, "scatter")                                                                        \
    X(SEND, "isend")                                                                             \
    X(WIN_SYNC, "win_sync")                                                                      \
    X(WIN_ALLOC, "win_allocate_shared")                                                          \
    X(COMM_NEW, "comm_dup/split")

typedef enum {
#define MPI_COUNT_ENUM(k, name) MPI_COUNT_##k,
    MPI_COUNT_KINDS(MPI_COUNT_ENUM)
#undef MPI_COUNT_ENUM
        MPI_COUNT_NKINDS
} mpi_count_kind;

/* The communicator a call was made on. */
typedef enum {
    MPI_COUNT_JOB,     /* pa_ctx_comm */
    MPI_COUNT_NODE,    /* pa_ctx_node_comm */
    MPI_COUNT_LEADERS, /* pa_ctx_leader_comm */
    MPI_COUNT_OTHER,   /* any other (a window's calls count here too) */
    MPI_COUNT_NCOMMS
} mpi_count_comm;

extern const char *const mpi_count_kind_names[MPI_COUNT_NKINDS];
extern const char *const mpi_count_comm_names[MPI_COUNT_NCOMMS];

/* Not collective. Tells the context's communicators apart from now on. */
void mpi_count_watch(const pa_ctx *ctx);
/* Not collective. Sets every count of this rank to zero. */
void mpi_count_reset(void);
/* Not collective. This rank's calls and bytes of kind on comm since the
 * last reset. */
long mpi_count_calls(mpi_count_kind kind, mpi_count_comm comm);
long mpi_count_bytes(mpi_count_kind kind, mpi_count_comm comm);

#endif
