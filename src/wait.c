/* Quiet waits: a rank that waits while another rank computes must leave
 * its core to that rank. MPI_Barrier spins (Open MPI polls without
 * yielding), so a waiting rank would take a core from the BLAS threads of
 * the rank it waits for. Here the wait is a non-blocking request polled
 * with sleeps in between, which costs up to the longest sleep (1 ms) of
 * extra latency: keep MPI_Barrier where waits are short. */
#include <time.h>

#include "internal.h"
#include "linalg.h"

#define WAIT_FIRST_NS 50000L  /* 50 us: short waits end nearly as fast as spinning */
#define WAIT_MAX_NS 1000000L  /* 1 ms: the latency added to long waits */

int pa__wait_req(pa_ctx *ctx, const char *fn, MPI_Request *req)
{
    long ns = WAIT_FIRST_NS;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return pa__mpi(ctx, fn, rc, "MPI_Test");
        if (done)
            return PA_OK;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        ns = ns * 2 > WAIT_MAX_NS ? WAIT_MAX_NS : ns * 2;
    }
}

int pa__wait_quiet(pa_ctx *ctx, const char *fn, MPI_Comm comm)
{
    MPI_Request req;
    int rc = MPI_Ibarrier(comm, &req);
    if (rc != MPI_SUCCESS)
        return pa__mpi(ctx, fn, rc, "MPI_Ibarrier");
    return pa__wait_req(ctx, fn, &req);
}

int pa_wait_quiet(pa_ctx *ctx, MPI_Comm comm)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_CHECK(ctx, comm != MPI_COMM_NULL, PA_EINVAL, "comm is MPI_COMM_NULL");
    return pa__wait_quiet(ctx, __func__, comm);
}
