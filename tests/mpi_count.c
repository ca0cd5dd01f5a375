/* The PMPI counting shim (see mpi_count.h): one definition of each
 * counted MPI call, which notes the call and hands it to its PMPI_ twin. */
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <mpi.h>

#include "mpi_count.h"

const char *const mpi_count_kind_names[MPI_COUNT_NKINDS] = {
#define MPI_COUNT_NAME(k, name) name,
    MPI_COUNT_KINDS(MPI_COUNT_NAME)
#undef MPI_COUNT_NAME
};
const char *const mpi_count_comm_names[MPI_COUNT_NCOMMS] = {"job", "node", "leaders", "other"};

static MPI_Comm watched[3] = {MPI_COMM_NULL, MPI_COMM_NULL, MPI_COMM_NULL};
static long calls[MPI_COUNT_NKINDS][MPI_COUNT_NCOMMS], bytes[MPI_COUNT_NKINDS][MPI_COUNT_NCOMMS];

void mpi_count_watch(const pa_ctx *ctx)
{
    watched[MPI_COUNT_JOB] = pa_ctx_comm(ctx);
    watched[MPI_COUNT_NODE] = pa_ctx_node_comm(ctx);
    watched[MPI_COUNT_LEADERS] = pa_ctx_leader_comm(ctx);
}

void mpi_count_reset(void)
{
    for (int k = 0; k < MPI_COUNT_NKINDS; k++)
        for (int c = 0; c < MPI_COUNT_NCOMMS; c++)
            calls[k][c] = bytes[k][c] = 0;
}

long mpi_count_calls(mpi_count_kind kind, mpi_count_comm comm)
{
    return calls[kind][comm];
}
long mpi_count_bytes(mpi_count_kind kind, mpi_count_comm comm)
{
    return bytes[kind][comm];
}

/* One call of kind on comm that puts count elements of type in. With
 * MPI_COUNT_TRACE set, rank 0 prints each call's kind and the addresses
 * of its callers, for addr2line (a program built with -no-pie). */
#define note(kind, comm, count, type)                                                            \
    note_at(kind, comm, count, type, __builtin_return_address(0))
static void note_at(mpi_count_kind kind, MPI_Comm comm, long count, MPI_Datatype type, void *from)
{
    int c = MPI_COUNT_OTHER, size = 0;
    for (int i = 0; i < MPI_COUNT_OTHER; i++)
        if (comm != MPI_COMM_NULL && comm == watched[i]) {
            c = i;
            break;
        }
    if (count > 0 && type != MPI_DATATYPE_NULL)
        PMPI_Type_size(type, &size);
    static int trace = -1;
    if (trace < 0) {
        int rank = 0; /* rank 0 alone prints */
        PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
        trace = getenv("MPI_COUNT_TRACE") != NULL && rank == 0;
    }
    if (trace) {
        /* The caller, and the callers of a helper such as pa__agree. */
        void *frames[5];
        int n = backtrace(frames, 5);
        fprintf(stderr, "mpi_count: %s@%s from %p", mpi_count_kind_names[kind],
                mpi_count_comm_names[c], from);
        for (int i = 2; i < n; i++)
            fprintf(stderr, " %p", frames[i]);
        fprintf(stderr, "\n");
    }
    calls[kind][c]++;
    bytes[kind][c] += count * size;
}

int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm comm)
{
    note(MPI_COUNT_ALLREDUCE, comm, n, t);
    return PMPI_Allreduce(s, r, n, t, op, comm);
}

int MPI_Bcast(void *buf, int n, MPI_Datatype t, int root, MPI_Comm comm)
{
    note(MPI_COUNT_BCAST, comm, n, t);
    return PMPI_Bcast(buf, n, t, root, comm);
}

int MPI_Ibcast(void *buf, int n, MPI_Datatype t, int root, MPI_Comm comm, MPI_Request *req)
{
    note(MPI_COUNT_IBCAST, comm, n, t);
    return PMPI_Ibcast(buf, n, t, root, comm, req);
}

int MPI_Reduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm comm)
{
    note(MPI_COUNT_REDUCE, comm, n, t);
    return PMPI_Reduce(s, r, n, t, op, root, comm);
}

int MPI_Barrier(MPI_Comm comm)
{
    note(MPI_COUNT_BARRIER, comm, 0, MPI_DATATYPE_NULL);
    return PMPI_Barrier(comm);
}

int MPI_Ibarrier(MPI_Comm comm, MPI_Request *req)
{
    note(MPI_COUNT_IBARRIER, comm, 0, MPI_DATATYPE_NULL);
    return PMPI_Ibarrier(comm, req);
}

int MPI_Gather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, int root,
               MPI_Comm comm)
{
    note(MPI_COUNT_GATHER, comm, sn, st);
    return PMPI_Gather(s, sn, st, r, rn, rt, root, comm);
}

int MPI_Gatherv(const void *s, int sn, MPI_Datatype st, void *r, const int rn[],
                const int displs[], MPI_Datatype rt, int root, MPI_Comm comm)
{
    note(MPI_COUNT_GATHER, comm, sn, st);
    return PMPI_Gatherv(s, sn, st, r, rn, displs, rt, root, comm);
}

int MPI_Allgather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt,
                  MPI_Comm comm)
{
    note(MPI_COUNT_ALLGATHER, comm, sn, st);
    return PMPI_Allgather(s, sn, st, r, rn, rt, comm);
}

int MPI_Allgatherv(const void *s, int sn, MPI_Datatype st, void *r, const int rn[],
                   const int displs[], MPI_Datatype rt, MPI_Comm comm)
{
    note(MPI_COUNT_ALLGATHER, comm, sn, st);
    return PMPI_Allgatherv(s, sn, st, r, rn, displs, rt, comm);
}

int MPI_Scatterv(const void *s, const int sn[], const int displs[], MPI_Datatype st, void *r,
                 int rn, MPI_Datatype rt, int root, MPI_Comm comm)
{
    note(MPI_COUNT_SCATTER, comm, rn, rt);
    return PMPI_Scatterv(s, sn, displs, st, r, rn, rt, root, comm);
}

int MPI_Isend(const void *buf, int n, MPI_Datatype t, int dest, int tag, MPI_Comm comm,
              MPI_Request *req)
{
    note(MPI_COUNT_SEND, comm, n, t);
    return PMPI_Isend(buf, n, t, dest, tag, comm, req);
}

int MPI_Win_sync(MPI_Win win)
{
    note(MPI_COUNT_WIN_SYNC, MPI_COMM_NULL, 0, MPI_DATATYPE_NULL);
    return PMPI_Win_sync(win);
}

int MPI_Win_allocate_shared(MPI_Aint size, int disp, MPI_Info info, MPI_Comm comm, void *base,
                            MPI_Win *win)
{
    note(MPI_COUNT_WIN_ALLOC, comm, 0, MPI_DATATYPE_NULL);
    return PMPI_Win_allocate_shared(size, disp, info, comm, base, win);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *out)
{
    note(MPI_COUNT_COMM_NEW, comm, 0, MPI_DATATYPE_NULL);
    return PMPI_Comm_dup(comm, out);
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *out)
{
    note(MPI_COUNT_COMM_NEW, comm, 0, MPI_DATATYPE_NULL);
    return PMPI_Comm_split(comm, color, key, out);
}
