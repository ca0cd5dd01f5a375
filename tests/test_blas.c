/* Tests of the core and BLAS thread plan: the shares of a machine's ranks
 * are disjoint and cover its usable cores, each rank runs on its share, the
 * BLAS thread count read back matches the plan, PARRAY_AFFINITY=keep and
 * PARRAY_BLAS_THREADS are honoured, bad settings fail on every rank, lend
 * mode places the leader's threads and puts them back, and the quiet wait
 * is a barrier. Every check holds for any rank count and layout. */
#include "testutil.h"

#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "linalg.h" /* pa__lend_begin / pa__lend_end */

#define MAXCPU 1024

typedef struct {
    uint64_t w[MAXCPU / 64];
} mask;

static mask list_mask(const int *cpus, int n)
{
    mask m = {{0}};
    for (int i = 0; i < n; i++)
        m.w[cpus[i] / 64] |= UINT64_C(1) << (cpus[i] % 64);
    return m;
}

static mask plan_mask(const pa_ctx *ctx, pa_cores_kind kind, int *count)
{
    static int cpus[MAXCPU];
    int n = pa_blas_plan_cores(ctx, kind, cpus, MAXCPU);
    *count = n;
    return list_mask(cpus, n < 0 ? 0 : n);
}

static int popcount(const mask *m)
{
    int n = 0;
    for (int i = 0; i < MAXCPU / 64; i++)
        n += __builtin_popcountll(m->w[i]);
    return n;
}

static int subset(const mask *a, const mask *b)
{
    for (int i = 0; i < MAXCPU / 64; i++)
        if (a->w[i] & ~b->w[i])
            return 0;
    return 1;
}

static int equal(const mask *a, const mask *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static mask affinity_now(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    mask m = {{0}};
    for (int c = 0; c < MAXCPU && c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            m.w[c / 64] |= UINT64_C(1) << (c % 64);
    return m;
}

static pa_ctx *init_ok(void)
{
    pa_ctx *ctx = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &ctx), NULL);
    return ctx;
}

/* The ranks that MPI says share this machine: the plan's host. */
static MPI_Comm host_comm(void)
{
    MPI_Comm host;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, tu_rank(), MPI_INFO_NULL, &host);
    return host;
}

START_TEST(shares_disjoint_and_cover)
{
    pa_ctx *ctx = init_ok();
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(ctx, &plan), ctx);
    int nshare, nallow, nlaunch;
    mask share = plan_mask(ctx, PA_CORES_SHARE, &nshare);
    mask allow = plan_mask(ctx, PA_CORES_ALLOWED, &nallow);
    mask launch = plan_mask(ctx, PA_CORES_LAUNCH, &nlaunch);
    TU_ASSERT(nshare >= 1 && nshare == plan.nshare && nallow == plan.nallowed,
              "nshare %d (plan %d), nallowed %d (plan %d)", nshare, plan.nshare, nallow,
              plan.nallowed);
    TU_CHECK(subset(&share, &allow));
    TU_CHECK(subset(&launch, &allow));

    MPI_Comm host = host_comm();
    int hsize, hrank;
    MPI_Comm_size(host, &hsize);
    MPI_Comm_rank(host, &hrank);
    TU_ASSERT(plan.host_size == hsize && plan.host_rank == hrank, "host %d/%d, plan %d/%d", hrank,
              hsize, plan.host_rank, plan.host_size);
    mask *all = malloc(sizeof(mask) * (size_t)hsize);
    MPI_Allgather(&share, MAXCPU / 64, MPI_UINT64_T, all, MAXCPU / 64, MPI_UINT64_T, host);
    mask uni = {{0}};
    int disjoint = 1, sum = 0;
    for (int r = 0; r < hsize; r++) {
        for (int i = 0; i < MAXCPU / 64; i++) {
            if (uni.w[i] & all[r].w[i])
                disjoint = 0;
            uni.w[i] |= all[r].w[i];
        }
        sum += popcount(&all[r]);
    }
    /* With no more ranks than cores the shares tile the usable cores; with
     * more, each rank has one core and every core is used. */
    TU_ASSERT(equal(&uni, &allow), "the shares' union has %d cores, %d usable", popcount(&uni),
              nallow);
    if (hsize <= nallow)
        TU_ASSERT(disjoint && sum == nallow, "shares overlap: %d cores in %d shares", sum, hsize);
    else
        TU_ASSERT(nshare == 1, "%d ranks on %d cores, but a share of %d", hsize, nallow, nshare);
    free(all);
    MPI_Comm_free(&host);
    TU_OK(pa_finalize(&ctx), NULL);
}
END_TEST

START_TEST(runs_on_share_with_planned_threads)
{
    tu_env t = tu_env_save("PARRAY_BLAS_THREADS");
    unsetenv("PARRAY_BLAS_THREADS");
    pa_ctx *ctx = init_ok();
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(ctx, &plan), ctx);
    int nshare, nnow;
    mask share = plan_mask(ctx, PA_CORES_SHARE, &nshare);
    mask now = plan_mask(ctx, PA_CORES_NOW, &nnow);
    mask real = affinity_now();
    TU_ASSERT(plan.applied && !plan.keep, "applied %d keep %d", plan.applied, plan.keep);
    TU_ASSERT(equal(&now, &share) && equal(&real, &share), "running on %d cores, share %d",
              popcount(&real), nshare);
    TU_ASSERT(plan.threads == nshare && pa_blas_threads(ctx) == nshare, "threads %d, share %d",
              plan.threads, nshare);
    TU_ASSERT(pa_blas_threads_in_effect() == plan.threads, "BLAS runs %d threads, plan %d",
              pa_blas_threads_in_effect(), plan.threads);
    TU_CHECK(!(plan.warnings & PA_BLAS_WARN_THREADS));
    /* This build links pthreads OpenBLAS, whose dgemm parray calls. */
    TU_CHECK(!(plan.warnings & PA_BLAS_WARN_NOT_OPENBLAS));
    TU_CHECK(pa_blas_parallel() != 2 || (plan.warnings & PA_BLAS_WARN_OPENMP));
    /* The node's cores are its ranks' shares together. */
    int nnode;
    mask node = plan_mask(ctx, PA_CORES_NODE, &nnode);
    TU_CHECK(subset(&share, &node) && nnode == plan.nnode);
    TU_OK(pa_finalize(&ctx), NULL);
    tu_env_restore(&t);
}
END_TEST

START_TEST(set_threads_reads_back)
{
    pa_ctx *ctx = init_ok();
    int before = pa_blas_threads(ctx);
    TU_OK(pa_blas_set_threads(ctx, 3), ctx);
    TU_ASSERT(pa_blas_threads(ctx) == 3 && pa_blas_threads_in_effect() == 3,
              "plan %d, in effect %d", pa_blas_threads(ctx), pa_blas_threads_in_effect());
    TU_RC(pa_blas_set_threads(ctx, 0), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "at least 1") != NULL);
    TU_OK(pa_blas_set_threads(ctx, before), ctx);
    TU_CHECK(pa_blas_threads_in_effect() == before);
    TU_OK(pa_finalize(&ctx), NULL);
}
END_TEST

START_TEST(env_threads_override)
{
    tu_env t = tu_env_save("PARRAY_BLAS_THREADS");
    setenv("PARRAY_BLAS_THREADS", "2", 1);
    pa_ctx *ctx = init_ok();
    TU_ASSERT(pa_blas_threads(ctx) == 2 && pa_blas_threads_in_effect() == 2, "plan %d, BLAS %d",
              pa_blas_threads(ctx), pa_blas_threads_in_effect());
    TU_OK(pa_finalize(&ctx), NULL);
    tu_env_restore(&t);
}
END_TEST

START_TEST(keep_leaves_binding)
{
    tu_env a = tu_env_save("PARRAY_AFFINITY"), t = tu_env_save("PARRAY_BLAS_THREADS");
    unsetenv("PARRAY_BLAS_THREADS");
    /* Whatever this process runs on now stands for the launcher's binding. */
    mask before = affinity_now();
    setenv("PARRAY_AFFINITY", "keep", 1);
    pa_ctx *ctx = init_ok();
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(ctx, &plan), ctx);
    mask after = affinity_now();
    int nlaunch;
    mask launch = plan_mask(ctx, PA_CORES_LAUNCH, &nlaunch);
    TU_ASSERT(plan.keep && !plan.applied, "keep %d applied %d", plan.keep, plan.applied);
    TU_CHECK(equal(&before, &after) && equal(&before, &launch));
    int want = plan.nshare < nlaunch ? plan.nshare : nlaunch;
    TU_ASSERT(plan.threads == want && pa_blas_threads_in_effect() == want,
              "threads %d (BLAS %d), want min(share %d, launcher %d)", plan.threads,
              pa_blas_threads_in_effect(), plan.nshare, nlaunch);
    /* Switching at run time: to the share and back. */
    TU_OK(pa_blas_set_affinity(ctx, 0), ctx);
    int nshare;
    mask share = plan_mask(ctx, PA_CORES_SHARE, &nshare);
    mask now = affinity_now();
    TU_CHECK(equal(&now, &share) && pa_blas_threads_in_effect() == nshare);
    TU_OK(pa_blas_set_affinity(ctx, 1), ctx);
    now = affinity_now();
    TU_CHECK(equal(&now, &before));
    TU_OK(pa_finalize(&ctx), NULL);
    tu_env_restore(&a);
    tu_env_restore(&t);
}
END_TEST

START_TEST(bad_affinity_setting)
{
    tu_env a = tu_env_save("PARRAY_AFFINITY");
    /* Set on one rank only: the others must fail with it, not hang. */
    if (tu_rank() == tu_size() - 1)
        setenv("PARRAY_AFFINITY", "bogus", 1);
    pa_ctx *ctx = NULL;
    TU_RC(pa_init_comm(MPI_COMM_WORLD, &ctx), PA_EINVAL, NULL);
    TU_CHECK(ctx == NULL);
    TU_CHECK(strstr(pa_errmsg(NULL), "PARRAY_AFFINITY") != NULL);
    tu_env_restore(&a);
}
END_TEST

START_TEST(plan_queries)
{
    pa_ctx *ctx = init_ok();
    TU_RC(pa_blas_plan_get(ctx, NULL), PA_EINVAL, ctx);
    TU_RC(pa_blas_plan_cores(ctx, (pa_cores_kind)99, NULL, 0), PA_EINVAL, ctx);
    TU_CHECK(pa_blas_plan_cores(ctx, PA_CORES_SHARE, NULL, 0) >= 1);
    for (int bit = 1; bit < (1 << PA_BLAS_NWARN); bit <<= 1)
        TU_CHECK(strcmp(pa_blas_warning_text(bit), "unknown warning") != 0);
    TU_OK(pa_finalize(&ctx), NULL);
}
END_TEST

START_TEST(quiet_wait_is_a_barrier)
{
    pa_ctx *ctx = init_ok();
    /* The last rank arrives late; nobody may leave before it arrives: its
     * arrival time, sent after the wait, is never later than anyone's exit. */
    double arrive = 0;
    if (tu_rank() == tu_size() - 1) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        arrive = MPI_Wtime();
    }
    TU_OK(pa_wait_quiet(ctx, pa_ctx_comm(ctx)), ctx);
    double left = MPI_Wtime(), last;
    MPI_Bcast(&arrive, 1, MPI_DOUBLE, tu_size() - 1, MPI_COMM_WORLD);
    /* MPI_Wtime is one clock on one machine; on several hosts skip the order check. */
    int flag, global = 0, *g;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &g, &flag);
    global = flag && *g;
    MPI_Comm host = host_comm();
    int hsize;
    MPI_Comm_size(host, &hsize);
    MPI_Comm_free(&host);
    last = arrive;
    TU_CHECK(!(global || hsize == tu_size()) || left >= last);
    TU_RC(pa_wait_quiet(ctx, MPI_COMM_NULL), PA_EINVAL, ctx);
    TU_OK(pa_wait_quiet(ctx, pa_ctx_node_comm(ctx)), ctx);
    TU_OK(pa_finalize(&ctx), NULL);
}
END_TEST

/* The node's quiet barrier (the futex gate over the node communicator):
 * many rounds in which every node rank writes the round number into its
 * slot of a shared window, passes the barrier, and must then see every
 * slot at that round; a second barrier keeps the next round's writes
 * after everyone's reads. The last node rank arrives late in some rounds,
 * so that the others sleep in the gate. */
START_TEST(node_wait_orders_memory)
{
    pa_ctx *ctx = init_ok();
    MPI_Comm node = pa_ctx_node_comm(ctx);
    int nr, ns;
    MPI_Comm_rank(node, &nr);
    MPI_Comm_size(node, &ns);
    int *base = NULL;
    MPI_Win win;
    MPI_Aint size;
    int disp;
    TU_CHECK(MPI_Win_allocate_shared((MPI_Aint)(nr == 0 ? ns * (int)sizeof(int) : 0), sizeof(int),
                                     MPI_INFO_NULL, node, &base, &win) == MPI_SUCCESS);
    TU_CHECK(MPI_Win_shared_query(win, 0, &size, &disp, &base) == MPI_SUCCESS);
    volatile int *slot = base;
    /* No collective check inside the loop: it would synchronise the ranks
     * itself. */
    int bad = 0, failed = 0;
    for (int round = 1; round <= 300; round++) {
        if (nr == ns - 1 && round % 50 == 0) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
        slot[nr] = round;
        MPI_Win_sync(win);
        failed |= pa_wait_quiet(ctx, node) != PA_OK;
        MPI_Win_sync(win);
        for (int q = 0; q < ns; q++)
            bad += slot[q] != round;
        failed |= pa_wait_quiet(ctx, node) != PA_OK;
    }
    TU_CHECK(!failed);
    TU_ASSERT(bad == 0, "%d slots were not at their round after the node's quiet barrier", bad);
    MPI_Win_free(&win);
    TU_OK(pa_finalize(&ctx), NULL);
}
END_TEST

/* Every thread of this process other than the caller has an affinity that
 * is a non-empty subset of want; returns how many threads were checked
 * (-1 on a thread that fails). */
static int others_within(const mask *want)
{
    pid_t self = (pid_t)syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == self)
            continue;
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(tid, sizeof set, &set) != 0)
            continue; /* the thread has exited */
        mask m = {{0}};
        for (int c = 0; c < MAXCPU && c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                m.w[c / 64] |= UINT64_C(1) << (c % 64);
        if (popcount(&m) == 0 || !subset(&m, want)) {
            n = -1;
            break;
        }
        n++;
    }
    closedir(d);
    return n;
}

/* Lend mode on the node leader: the caller on one CPU of its share, every
 * other thread (the BLAS workers the lend makes among them) on the rest of
 * the node, the BLAS at the node's core count; afterwards every thread back
 * on the share and the planned thread count. */
START_TEST(lend_places_threads)
{
    pa_ctx *ctx = init_ok();
    int nshare, nnode;
    mask share = plan_mask(ctx, PA_CORES_SHARE, &nshare);
    mask node = plan_mask(ctx, PA_CORES_NODE, &nnode);
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(ctx, &plan), ctx);
    int ok_lend = 1, ok_back = 1;
    if (pa_ctx_node_rank(ctx) == 0 && !plan.keep && nnode > 1) {
        int n = pa__lend_begin(ctx);
        int first = -1;
        for (int c = 0; c < MAXCPU && first < 0; c++)
            if (share.w[c / 64] >> (c % 64) & 1)
                first = c;
        mask one = list_mask(&first, 1), rest = node;
        rest.w[first / 64] &= ~(UINT64_C(1) << (first % 64));
        mask now = affinity_now();
        ok_lend = n == nnode && pa_blas_threads_in_effect() == nnode && equal(&now, &one) &&
                  others_within(&rest) >= 1;
        pa__lend_end(ctx);
        now = affinity_now();
        ok_back = equal(&now, &share) && others_within(&share) >= 1 &&
                  pa_blas_threads_in_effect() == plan.threads;
    }
    TU_ASSERT(ok_lend,
              "lend: the leader's threads are not one on its CPU, the rest on the node's "
              "other cores, at the node's thread count");
    TU_ASSERT(ok_back, "after lend: the threads are not back on the share at the planned count");
    TU_OK(pa_finalize(&ctx), NULL);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("blas");
    TCase *tc = tu_tcase(s, "plan");
    /* First, before any test makes BLAS workers: under a one-core binding
     * (mpirun -n 2) the lend then makes them, and they must be moved too. */
    tcase_add_test(tc, lend_places_threads);
    tcase_add_test(tc, shares_disjoint_and_cover);
    tcase_add_test(tc, runs_on_share_with_planned_threads);
    tcase_add_test(tc, set_threads_reads_back);
    tcase_add_test(tc, env_threads_override);
    tcase_add_test(tc, keep_leaves_binding);
    tcase_add_test(tc, bad_affinity_setting);
    tcase_add_test(tc, plan_queries);
    tc = tu_tcase(s, "wait");
    tcase_add_test(tc, quiet_wait_is_a_barrier);
    tcase_add_test(tc, node_wait_orders_memory);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
