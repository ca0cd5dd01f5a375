/* The BLAS thread plan: each rank's BLAS runs as many threads as its core
 * share has cores (cores.c), so that the ranks of a machine together never
 * oversubscribe it; PARRAY_BLAS_THREADS or pa_blas_set_threads override it.
 * Also the checks that the thread count can take effect, and lend mode,
 * where one rank borrows its node peers' cores for one call. */
#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cores.h"
#include "linalg.h"

/* True when cblas_dgemm, the routine parray calls, lives in the same
 * shared object as openblas_set_num_threads, the call that sets the thread
 * count. A preloaded or interposed BLAS (MKL, BLIS, the reference BLAS)
 * would take the dgemm calls but not the thread count. */
static int blas_is_openblas(void)
{
    Dl_info gemm, ob;
    if (!dladdr((void *)cblas_dgemm, &gemm) || !dladdr((void *)openblas_get_config, &ob))
        return 1; /* static link: one library by construction */
    return gemm.dli_fbase == ob.dli_fbase;
}

void pa__blas_check(pa_ctx *ctx)
{
    /* What binding found stays; the rest is checked again. */
    int w = ctx->plan_warn & (PA_BLAS_WARN_AFFINITY | PA_BLAS_WARN_MEMBIND);
    if (openblas_get_parallel() == 2)
        w |= PA_BLAS_WARN_OPENMP;
    if (!blas_is_openblas())
        w |= PA_BLAS_WARN_NOT_OPENBLAS;
    if (openblas_get_num_threads() != ctx->blas_threads)
        w |= PA_BLAS_WARN_THREADS;
    /* Every rank of a machine is assumed to run the same thread count. */
    if ((long)ctx->host_size * ctx->blas_threads > pa__mask_count(ctx->allow_mask))
        w |= PA_BLAS_WARN_OVERSUB;
    ctx->plan_warn = w;
}

/* The threads this rank can use: its share, or under PARRAY_AFFINITY=keep
 * no more than the launcher let it run on. */
static int planned_threads(const pa_ctx *ctx)
{
    int share = pa__mask_count(ctx->share_mask);
    if (ctx->affinity_keep || !ctx->affinity_set) {
        int launch = pa__mask_count(ctx->launch_mask);
        if (share > launch)
            share = launch;
    }
    return share < 1 ? 1 : share;
}

int pa__blas_plan(pa_ctx *ctx)
{
    ctx->blas_threads_default = openblas_get_num_threads();
    if (ctx->blas_threads == 0) /* not set by PARRAY_BLAS_THREADS */
        ctx->blas_threads = planned_threads(ctx);
    /* The calling thread is bound to the share already, so the workers
     * OpenBLAS makes now inherit it. */
    openblas_set_num_threads(ctx->blas_threads);
    pa__blas_check(ctx);
    return PA_OK;
}

int pa_blas_threads(const pa_ctx *ctx)
{
    return ctx->blas_threads;
}

int pa_blas_set_threads(pa_ctx *ctx, int n)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_CHECK(ctx, n >= 1, PA_EINVAL, "n = %d: thread count must be at least 1", n);
    ctx->blas_threads = n;
    openblas_set_num_threads(n);
    pa__blas_check(ctx);
    return PA_OK;
}

int pa_blas_threads_in_effect(void)
{
    return openblas_get_num_threads();
}

const char *pa_blas_config(void)
{
    return openblas_get_config();
}

int pa_blas_parallel(void)
{
    return openblas_get_parallel();
}

int pa_blas_plan_get(const pa_ctx *ctx, pa_blas_plan *plan)
{
    PA_CHECK(NULL, ctx && plan, PA_EINVAL, "ctx and plan must not be NULL");
    memset(plan, 0, sizeof *plan);
    plan->threads = ctx->blas_threads;
    plan->threads_in_effect = openblas_get_num_threads();
    plan->threads_default = ctx->blas_threads_default;
    plan->keep = ctx->affinity_keep;
    plan->applied = ctx->affinity_set;
    plan->host_rank = ctx->host_rank;
    plan->host_size = ctx->host_size;
    plan->nallowed = pa__mask_count(ctx->allow_mask);
    plan->nshare = pa__mask_count(ctx->share_mask);
    plan->nlaunch = pa__mask_count(ctx->launch_mask);
    plan->nnode = ctx->node_ncores;
    plan->warnings = ctx->plan_warn;
    if (plan->threads_in_effect != plan->threads)
        plan->warnings |= PA_BLAS_WARN_THREADS;
    return PA_OK;
}

int pa_blas_plan_cores(const pa_ctx *ctx, pa_cores_kind kind, int *cpus, int max)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_CHECK(NULL, max == 0 || cpus, PA_EINVAL, "cpus is NULL with max = %d", max);
    uint64_t now[PA__MASK_WORDS];
    switch (kind) {
    case PA_CORES_LAUNCH: return pa__mask_list(ctx->launch_mask, cpus, max);
    case PA_CORES_ALLOWED: return pa__mask_list(ctx->allow_mask, cpus, max);
    case PA_CORES_SHARE: return pa__mask_list(ctx->share_mask, cpus, max);
    case PA_CORES_NODE: return pa_ctx_cores(ctx, 1, cpus, max);
    case PA_CORES_NOW:
        if (pa__mask_now(ctx, now) != 0)
            return pa__err((pa_ctx *)ctx, __func__, PA_EINVAL,
                           "the calling thread's affinity cannot be read");
        return pa__mask_list(now, cpus, max);
    }
    return pa__err((pa_ctx *)ctx, __func__, PA_EINVAL, "kind %d is not a pa_cores_kind",
                   (int)kind);
}

const char *pa_blas_warning_text(int bit)
{
    switch (bit) {
    case PA_BLAS_WARN_OPENMP:
        return "OpenBLAS is built with OpenMP: OMP_NUM_THREADS and the OpenMP runtime may "
               "override the planned thread count";
    case PA_BLAS_WARN_NOT_OPENBLAS:
        return "cblas_dgemm does not come from OpenBLAS: the planned thread count does not "
               "reach the BLAS in use";
    case PA_BLAS_WARN_THREADS: return "the BLAS thread count read back differs from the plan";
    case PA_BLAS_WARN_OVERSUB:
        return "ranks x BLAS threads on this machine exceed its usable cores";
    case PA_BLAS_WARN_AFFINITY:
        return "the rank could not be bound to its core share (sched_setaffinity failed)";
    case PA_BLAS_WARN_MEMBIND:
        return "the pages of the rank's part of a node block could not be bound to its NUMA "
               "node; they stay where the rank first touches them";
    }
    return "unknown warning";
}

int pa_blas_set_affinity(pa_ctx *ctx, int keep)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    const uint64_t *mask = keep ? ctx->launch_mask : ctx->share_mask;
    PA_CHECK(ctx, pa__affinity_all(ctx, mask) == 0, PA_EINVAL, "the kernel refused the %s mask",
             keep ? "launcher's" : "share");
    ctx->affinity_keep = keep;
    ctx->affinity_set = !keep;
    ctx->plan_warn &= ~PA_BLAS_WARN_AFFINITY;
    int t = planned_threads(ctx);
    ctx->blas_threads = t;
    free(ctx->cores);
    ctx->cores = NULL;
    int n = pa__mask_count(mask);
    if ((ctx->cores = malloc(sizeof(int) * (size_t)(n ? n : 1))) == NULL)
        return pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    ctx->ncores = pa__mask_list(mask, ctx->cores, n);
    openblas_set_num_threads(t);
    pa__blas_check(ctx);
    return PA_OK;
}

int pa__lend_begin(pa_ctx *ctx)
{
    int n = ctx->node_ncores;
    if (ctx->affinity_keep || !ctx->affinity_set) {
        /* The launcher's binding stays: no more threads than it allows. */
        int launch = pa__mask_count(ctx->launch_mask);
        if (n > launch)
            n = launch;
    } else {
        /* The calling thread stays on one CPU of its share and the others
         * (the BLAS workers among them) go to the rest of the node, so
         * that no worker starts on the caller's CPU and waits for the
         * scheduler to move it: with all threads widened to the whole
         * node the dgemm ran 2-6% slower. The BLAS makes any missing
         * workers first (they inherit the caller's share), so that the
         * split moves them too. */
        uint64_t node[PA__MASK_WORDS], mine[PA__MASK_WORDS] = {0};
        pa__mask_from_list(ctx->node_cores, ctx->node_ncores, node);
        int first = -1;
        pa__mask_list(ctx->share_mask, &first, 1);
        if (first >= 0 && n > 1) {
            mine[first / 64] |= UINT64_C(1) << (first % 64);
            node[first / 64] &= ~(UINT64_C(1) << (first % 64));
        } else {
            memcpy(mine, node, sizeof mine);
        }
        openblas_set_num_threads(n > 1 ? n : 1);
        if (pa__affinity_split(ctx, mine, node) != 0)
            n = pa__mask_count(ctx->share_mask); /* could not widen: stay on the share */
    }
    if (n < 1)
        n = 1;
    openblas_set_num_threads(n);
    return n;
}

void pa__lend_end(pa_ctx *ctx)
{
    if (!ctx->affinity_keep && ctx->affinity_set)
        (void)pa__affinity_all(ctx, ctx->share_mask); /* it was applied once: it applies again */
    openblas_set_num_threads(ctx->blas_threads);
}
