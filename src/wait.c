/* Quiet waits: a rank that waits while another rank computes must leave
 * its core to that rank. MPI_Barrier spins (Open MPI polls without
 * yielding), so a waiting rank would take a core from the BLAS threads of
 * the rank it waits for.
 *
 * Over the job (or any communicator): a non-blocking request polled with
 * sleeps in between, 50 us doubling to 1 ms, which adds up to 1 ms of
 * latency to a long wait: keep MPI_Barrier where waits are short.
 *
 * Over the node (Linux): a barrier in a cache line of node-shared memory
 * where the waiters sleep in the kernel (futex) until the last rank to
 * arrive wakes them. The waiters cost nothing while they wait, and they
 * wake within microseconds. Polling with 1 ms sleeps cost the leader of
 * a lend-mode dgemm 3-5% of its speed here (1000 wake-ups a second per
 * waiter, each preempting a BLAS thread), and a longer cap added its
 * length to every wait. */
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "internal.h"
#include "wait.h"
#include "profile.h"

#define WAIT_FIRST_NS 50000L /* 50 us: short waits end nearly as fast as spinning */
#define WAIT_MAX_NS 1000000L /* 1 ms: the latency added to long waits */

void pa__wait_pause(long *ns)
{
    *ns = *ns <= 0 ? WAIT_FIRST_NS : *ns * 2 > WAIT_MAX_NS ? WAIT_MAX_NS : *ns * 2;
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
}

int pa__wait_req(pa_ctx *ctx, const char *fn, MPI_Request *req)
{
    long ns = 0;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return pa__mpi(ctx, fn, rc, "MPI_Test");
        if (done)
            return PA_OK;
        pa__wait_pause(&ns);
    }
}

/* ------------------------------------------------------------ the node barrier */

/* In node rank 0's part of a shared window, one cache line. */
struct pa_node_gate {
    _Atomic uint32_t arrived;    /* ranks at the current barrier */
    _Atomic uint32_t generation; /* barriers completed; the futex word */
};

#ifdef __linux__
/* Not FUTEX_PRIVATE: the word is shared between processes. */
static void futex_wait(_Atomic uint32_t *word, uint32_t seen)
{
    /* The timeout only bounds one sleep; the loop in the caller re-checks. */
    struct timespec ts = {0, 100000000L};
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* The barrier: the last to arrive resets the count, then advances the
 * generation with release order (so that a rank that sees the new
 * generation also sees the count at 0, and every store made before the
 * other ranks arrived) and wakes the sleepers. The generation is read
 * before arriving, so the last arrival cannot have advanced it yet. */
static void gate_pass(pa_ctx *ctx)
{
    struct pa_node_gate *g = ctx->gate;
    uint32_t gen = atomic_load_explicit(&g->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&g->arrived, 1, memory_order_acq_rel) ==
        (uint32_t)ctx->node_size - 1) {
        atomic_store_explicit(&g->arrived, 0, memory_order_relaxed);
        atomic_store_explicit(&g->generation, gen + 1, memory_order_release);
        futex_wake_all(&g->generation);
        return;
    }
    while (atomic_load_explicit(&g->generation, memory_order_acquire) == gen)
        futex_wait(&g->generation, gen);
}
#endif

int pa__gate_init(pa_ctx *ctx)
{
    ctx->gate = NULL;
    ctx->gate_win = MPI_WIN_NULL;
#ifdef __linux__
    void *base = NULL;
    MPI_Aint size = ctx->node_rank == 0 ? PA_CACHE_LINE : 0, qsize;
    int disp;
    int rc = pa__mpi(
        ctx, "pa_init",
        MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, ctx->node_comm, &base, &ctx->gate_win),
        "MPI_Win_allocate_shared of the node gate");
    if (rc == PA_OK)
        rc = pa__mpi(ctx, "pa_init", MPI_Win_shared_query(ctx->gate_win, 0, &qsize, &disp, &base),
                     "MPI_Win_shared_query of the node gate");
    if (rc == PA_OK && ctx->node_rank == 0)
        memset(base, 0, PA_CACHE_LINE);
    /* Rank 0's zeroes become visible to the node's ranks before any of
     * them uses the gate. Every rank comes to the barrier, even after a
     * failure above, so that none waits in it alone. */
    if (rc == PA_OK)
        rc = pa__mpi(ctx, "pa_init", MPI_Win_sync(ctx->gate_win), "MPI_Win_sync");
    int brc = pa__mpi(ctx, "pa_init", MPI_Barrier(ctx->node_comm), "MPI_Barrier");
    if (rc == PA_OK)
        rc = brc;
    if (rc == PA_OK)
        rc = pa__mpi(ctx, "pa_init", MPI_Win_sync(ctx->gate_win), "MPI_Win_sync");
    if (rc != PA_OK)
        return rc;
    ctx->gate = base;
#endif
    return PA_OK;
}

void pa__gate_free(pa_ctx *ctx)
{
    if (ctx->gate_win != MPI_WIN_NULL)
        (void)MPI_Win_free(&ctx->gate_win); /* teardown: nothing to do on failure */
    ctx->gate = NULL;
}

/* The quiet barrier itself; pa__wait_quiet times it for the profile. */
static int wait_quiet(pa_ctx *ctx, const char *fn, MPI_Comm comm)
{
#ifdef __linux__
    if (ctx->gate && comm == ctx->node_comm) {
        gate_pass(ctx);
        return PA_OK;
    }
#endif
    MPI_Request req;
    int rc = MPI_Ibarrier(comm, &req);
    if (rc != MPI_SUCCESS)
        return pa__mpi(ctx, fn, rc, "MPI_Ibarrier");
    return pa__wait_req(ctx, fn, &req);
}

int pa__wait_quiet(pa_ctx *ctx, const char *fn, MPI_Comm comm)
{
    return PA_PROFILE_WAIT(ctx, PA__WAIT_BARRIER, wait_quiet(ctx, fn, comm));
}

int pa_wait_quiet(pa_ctx *ctx, MPI_Comm comm)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_CHECK(ctx, comm != MPI_COMM_NULL, PA_EINVAL, "comm is MPI_COMM_NULL");
    return pa__wait_quiet(ctx, __func__, comm);
}
