/* Cores: the CPUs each rank may run on (its affinity mask at pa_init) and
 * their union over the node, which bound the BLAS thread plan. */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MASK_WORDS (CPU_SETSIZE / 64)

static int mask_to_list(pa_ctx *ctx, const uint64_t *mask, int **list, int *n)
{
    int count = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        count += (int)((mask[c / 64] >> (c % 64)) & 1);
    int *out = malloc(sizeof(int) * (size_t)(count ? count : 1));
    if (!out)
        return pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
    count = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if ((mask[c / 64] >> (c % 64)) & 1)
            out[count++] = c;
    *list = out;
    *n = count;
    return PA_OK;
}

int pa__cores_init(pa_ctx *ctx)
{
    cpu_set_t set;
    uint64_t mine[MASK_WORDS] = {0}, node[MASK_WORDS];
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                mine[c / 64] |= UINT64_C(1) << (c % 64);
    } else {
        mine[0] = 1; /* no affinity support: assume one CPU */
    }
    PA_MPI(ctx, MPI_Allreduce(mine, node, MASK_WORDS, MPI_UINT64_T, MPI_BOR, ctx->node_comm));
    PA_TRY(mask_to_list(ctx, mine, &ctx->cores, &ctx->ncores));
    PA_TRY(mask_to_list(ctx, node, &ctx->node_cores, &ctx->node_ncores));
    return PA_OK;
}

int pa_ctx_cores(const pa_ctx *ctx, int node, int *cpus, int max)
{
    const int *list = node ? ctx->node_cores : ctx->cores;
    int n = node ? ctx->node_ncores : ctx->ncores;
    for (int i = 0; i < n && i < max; i++)
        cpus[i] = list[i];
    return n;
}
