/* `parray info`'s table: the columns, each rank's value of each, and
 * their gather onto rank 0. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agree.h"
#include "cmd.h"
#include "info.h"

static int rank_cores(const pa_ctx *ctx, int *cpus, int max)
{
    return pa_ctx_cores(ctx, 0, cpus, max);
}

static int node_cores(const pa_ctx *ctx, int *cpus, int max)
{
    return pa_ctx_cores(ctx, 1, cpus, max);
}

static int blas_in_effect(const pa_ctx *ctx)
{
    (void)ctx;
    return pa_blas_threads_in_effect();
}

static int launch_cores(const pa_ctx *ctx, int *cpus, int max)
{
    return pa_blas_plan_cores(ctx, PA_CORES_LAUNCH, cpus, max);
}

static int plan_warnings(const pa_ctx *ctx)
{
    pa_blas_plan plan;
    return pa_blas_plan_get(ctx, &plan) == PA_OK ? plan.warnings : 0;
}

static int numa_nodes(const pa_ctx *ctx, int *nodes, int max)
{
    return pa_blas_plan_numa(ctx, nodes, max);
}

/* The node's machine, one field per column. */
static int node_topology(const pa_ctx *ctx, size_t field)
{
    pa_topology t;
    if (pa_blas_plan_topology(ctx, &t) != PA_OK)
        return 0;
    return *(const int *)((const char *)&t + field);
}

static int node_packages(const pa_ctx *ctx)
{
    return node_topology(ctx, offsetof(pa_topology, packages));
}

static int node_numa_nodes(const pa_ctx *ctx)
{
    return node_topology(ctx, offsetof(pa_topology, numa_nodes));
}

static int node_physical_cores(const pa_ctx *ctx)
{
    return node_topology(ctx, offsetof(pa_topology, cores));
}

static int node_smt(const pa_ctx *ctx)
{
    return node_topology(ctx, offsetof(pa_topology, smt));
}

static const char *affinity(const pa_ctx *ctx)
{
    pa_blas_plan plan;
    if (pa_blas_plan_get(ctx, &plan) != PA_OK)
        return "?";
    return plan.applied ? "share" : plan.keep ? "keep" : "launcher (share refused)";
}

const column info_columns[NCOLS] = {
    [COL_RANK] = {"rank", "rank", KIND_INT, pa_ctx_rank, NULL, NULL},
    [COL_NODE] = {"node", "node", KIND_INT, pa_ctx_node, NULL, NULL},
    [COL_NODE_RANK] = {"node_rank", "node rank", KIND_INT, pa_ctx_node_rank, NULL, NULL},
    [COL_HOST] = {"hostname", "host", KIND_STR, NULL, pa_ctx_hostname, NULL},
    [COL_CORES] = {"cores", "cores", KIND_CPUS, NULL, NULL, rank_cores},
    [COL_NUMA] = {"numa", "NUMA", KIND_CPUS, NULL, NULL, numa_nodes},
    [COL_LAUNCH] = {"launcher_cores", "launcher", KIND_CPUS, NULL, NULL, launch_cores},
    [COL_AFFINITY] = {"affinity", "affinity", KIND_STR, NULL, affinity, NULL},
    [COL_BLAS] = {"blas_threads", "BLAS threads", KIND_INT, pa_blas_threads, NULL, NULL},
    [COL_BLAS_EFFECT] = {"blas_threads_in_effect", "in effect", KIND_INT, blas_in_effect, NULL,
                         NULL},
    /* Gathered for the node summary and the warnings only. */
    [COL_NODE_CORES] = {NULL, NULL, KIND_CPUS, NULL, NULL, node_cores},
    [COL_PLAN_WARN] = {NULL, NULL, KIND_INT, plan_warnings, NULL, NULL},
    [COL_PACKAGES] = {NULL, NULL, KIND_INT, node_packages, NULL, NULL},
    [COL_NUMA_NODES] = {NULL, NULL, KIND_INT, node_numa_nodes, NULL, NULL},
    [COL_PHYSICAL_CORES] = {NULL, NULL, KIND_INT, node_physical_cores, NULL, NULL},
    [COL_SMT] = {NULL, NULL, KIND_INT, node_smt, NULL, NULL},
};

const machine_col info_machine_cols[NMACHINE] = {
    {"packages", "packages", COL_PACKAGES},
    {"NUMA nodes", "numa_nodes", COL_NUMA_NODES},
    {"physical cores", "physical_cores", COL_PHYSICAL_CORES},
    {"SMT", "smt", COL_SMT}};

void info_table_free(table *t)
{
    for (int c = 0; c < NCOLS; c++)
        free(t->bufs[c]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------ gather */

/* An MPI failure, reported the same way on every rank that sees it. */
static int mpi_failed(const pa_ctx *ctx, int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "error %d", rc);
    return cmd_fail(ctx, "info", "%s: %s", what, msg);
}

#define INFO_MPI(ctx, call)                                                                      \
    do {                                                                                         \
        int info_rc_ = (call);                                                                   \
        if (info_rc_ != MPI_SUCCESS)                                                             \
            return mpi_failed((ctx), info_rc_, #call);                                           \
    } while (0)

/* Collective. Every rank learns whether all of them are ok, so that an
 * allocation that fails on one rank fails everywhere before the next
 * collective call. Returns 0 when all are ok, 1 (after reporting) if not. */
static int agree_ok(const pa_ctx *ctx, int ok)
{
    return agree_all_ok(pa_ctx_comm(ctx), ok)
               ? 0
               : cmd_fail(ctx, "info", "out of memory while gathering the layout");
}

/* Collective. Gathers n items of type (each size bytes) from every rank into
 * one buffer on rank 0, whose address goes to *all (free it) and its offset
 * per rank to displs. counts must have room for every rank on rank 0. */
static int gather_var(const pa_ctx *ctx, const void *mine, int n, MPI_Datatype type, size_t size,
                      int *counts, int *displs, void **all)
{
    MPI_Comm comm = pa_ctx_comm(ctx);
    int root = pa_ctx_rank(ctx) == 0, nranks = pa_ctx_size(ctx);
    INFO_MPI(ctx, MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
    *all = NULL;
    int ok = 1;
    if (root) {
        long total = 0;
        for (int r = 0; r < nranks; r++) {
            displs[r] = (int)total;
            total += counts[r];
        }
        if (total > 0x7fffffffL)
            ok = 0;
        else
            ok = (*all = malloc((size_t)(total ? total : 1) * size)) != NULL;
    }
    if (agree_ok(ctx, ok))
        return 1;
    INFO_MPI(ctx, MPI_Gatherv(mine, n, type, *all, counts, displs, type, 0, comm));
    return 0;
}

int info_table_gather(const pa_ctx *ctx, table *t)
{
    int root = pa_ctx_rank(ctx) == 0, nranks = pa_ctx_size(ctx);
    memset(t, 0, sizeof *t);
    int *counts = NULL, *displs = NULL;
    int ok = 1;
    if (root) {
        t->nranks = nranks;
        t->cells = calloc((size_t)nranks * NCOLS, sizeof *t->cells);
        counts = calloc((size_t)nranks, sizeof *counts);
        displs = calloc((size_t)nranks, sizeof *displs);
        ok = t->cells && counts && displs;
    }
    int status = agree_ok(ctx, ok);
    for (int c = 0; c < NCOLS && !status; c++) {
        const column *col = &info_columns[c];
        int *mycpus = NULL;
        const void *mine;
        int n;
        MPI_Datatype type;
        size_t size;
        int one;
        switch (col->kind) {
        case KIND_INT:
            one = col->get_int(ctx);
            mine = &one, n = 1, type = MPI_INT, size = sizeof(int);
            break;
        case KIND_STR: {
            const char *s = col->get_str(ctx);
            if (!s)
                s = "";
            mine = s, n = (int)strlen(s) + 1, type = MPI_CHAR, size = 1;
            break;
        }
        case KIND_CPUS:
        default:
            n = col->get_cpus(ctx, NULL, 0);
            if (n < 0)
                n = 0;
            mycpus = malloc((size_t)(n ? n : 1) * sizeof *mycpus);
            if (mycpus)
                n = col->get_cpus(ctx, mycpus, n);
            else
                n = 0;
            mine = mycpus, type = MPI_INT, size = sizeof(int);
            status = agree_ok(ctx, mycpus != NULL);
            break;
        }
        if (!status)
            status = gather_var(ctx, mine, n, type, size, counts, displs, &t->bufs[c]);
        free(mycpus);
        if (status || !root)
            continue;
        for (int r = 0; r < nranks; r++) {
            cell *x = &CELL(t, r, c);
            char *at = (char *)t->bufs[c] + (size_t)displs[r] * size;
            if (col->kind == KIND_INT)
                x->i = *(const int *)at;
            else if (col->kind == KIND_STR)
                x->s = counts[r] > 0 ? at : "";
            else
                x->cpus = (const int *)at, x->n = counts[r];
        }
    }
    free(counts);
    free(displs);
    if (status)
        info_table_free(t);
    return status;
}
