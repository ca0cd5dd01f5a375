/* The program's agreements between ranks: whether every rank is ok, and
 * which rank failed first with what message (see agree.h). */
#include "agree.h"

int agree_all_ok(MPI_Comm comm, int ok)
{
    int mine = ok != 0, all = 0;
    if (MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        return 0;
    return all;
}

int agree_failure(MPI_Comm comm, int failed, char *msg, int len)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    /* The lowest failing rank, or size when none failed. */
    int mine = failed ? rank : size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size)
        return 0;
    MPI_Bcast(msg, len, MPI_CHAR, first, comm);
    return -1;
}
