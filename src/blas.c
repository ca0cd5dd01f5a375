/* The BLAS thread plan: each rank gets a fair share of its node's cores
 * (node cores / node ranks, at least 1), no more than the cores it may run
 * on, so that the node's ranks together never oversubscribe it. */
#include <cblas.h>

#include "internal.h"

int pa__blas_plan(pa_ctx *ctx)
{
    ctx->blas_threads_default = openblas_get_num_threads();
    if (ctx->blas_threads == 0) { /* not set by PARRAY_BLAS_THREADS */
        int share = ctx->node_ncores / ctx->node_size;
        if (share < 1)
            share = 1;
        if (share > ctx->ncores)
            share = ctx->ncores;
        ctx->blas_threads = share;
    }
    openblas_set_num_threads(ctx->blas_threads);
    return PA_OK;
}

int pa_blas_threads(const pa_ctx *ctx)
{
    return ctx->blas_threads;
}

int pa_blas_set_threads(pa_ctx *ctx, int n)
{
    PA_CHECK(ctx, n >= 1, PA_EINVAL, "n = %d: thread count must be at least 1", n);
    ctx->blas_threads = n;
    openblas_set_num_threads(n);
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
