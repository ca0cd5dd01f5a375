/* The context: parray's duplicate of the job communicator, its split into
 * nodes (real shared-memory nodes, or emulated ones with
 * PARRAY_RANKS_PER_NODE), the leaders' communicator, and the settings read
 * from the environment. Everything else hangs off it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *pa_version(void)
{
    return PACKAGE_VERSION;
}

int pa__env_int(pa_ctx *ctx, const char *fn, const char *name, long min, long max, long *value)
{
    const char *s = getenv(name);
    if (!s)
        return PA_OK;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
        return pa__err(ctx, fn, PA_EINVAL, "%s='%s' is not an integer in [%ld, %ld]", name,
                       s, min, max);
    *value = v;
    return PA_OK;
}

static void ctx_free(pa_ctx *ctx)
{
    if (!ctx)
        return;
    pa__pool_destroy(ctx);
    /* Teardown frees what exists and goes on: a failed free leaves nothing
     * for the caller to do. */
    pa__gate_free(ctx);
    if (ctx->leader_comm != MPI_COMM_NULL)
        (void)MPI_Comm_free(&ctx->leader_comm);
    if (ctx->node_comm != MPI_COMM_NULL)
        (void)MPI_Comm_free(&ctx->node_comm);
    if (ctx->comm != MPI_COMM_NULL)
        (void)MPI_Comm_free(&ctx->comm);
    free(ctx->node_of);
    free(ctx->cores);
    free(ctx->node_cores);
    free(ctx->fault);
    free(ctx);
}

/* PARRAY_LOCK: "auto" (the default), "require" or "off" (safe_save.c). */
static int read_lock_env(pa_ctx *ctx)
{
    static const char *const modes[] = {[PA__LOCK_AUTO] = "auto",
                                        [PA__LOCK_REQUIRE] = "require",
                                        [PA__LOCK_OFF] = "off"};
    const char *s = getenv("PARRAY_LOCK");
    ctx->lock_mode = PA__LOCK_AUTO;
    if (!s || !*s)
        return PA_OK;
    for (int i = 0; i < (int)(sizeof modes / sizeof modes[0]); i++)
        if (strcmp(s, modes[i]) == 0) {
            ctx->lock_mode = i;
            return PA_OK;
        }
    return pa__err(ctx, "pa_init", PA_EINVAL, "PARRAY_LOCK='%s' is not auto, require or off", s);
}

/* Reads the PARRAY_* settings (not collective; the caller agrees). */
static int read_env(pa_ctx *ctx, long *pool_mb)
{
    long k = 0;
    PA_TRY(pa__env_int(ctx, "pa_init", "PARRAY_RANKS_PER_NODE", 1, INT_MAX, &k));
    ctx->emulated = (int)k;
    long t = 0;
    PA_TRY(pa__env_int(ctx, "pa_init", "PARRAY_BLAS_THREADS", 1, 4096, &t));
    ctx->blas_threads = (int)t;
    PA_TRY(pa__env_int(ctx, "pa_init", "PARRAY_POOL_MB", 0, LONG_MAX / (1L << 20), pool_mb));
    ctx->lock_timeout = 60;
    PA_TRY(pa__env_int(ctx, "pa_init", "PARRAY_LOCK_TIMEOUT", 0, 1L << 30, &ctx->lock_timeout));
    PA_TRY(read_lock_env(ctx));
    const char *fault = getenv("PARRAY_FAULT");
    if (fault && *fault && !(ctx->fault = strdup(fault)))
        return pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
    return PA_OK;
}

/* Splits ctx->comm into nodes and builds the leaders' communicator. */
static int split_nodes(pa_ctx *ctx)
{
    MPI_Comm shared;
    PA_MPI(ctx, MPI_Comm_split_type(ctx->comm, MPI_COMM_TYPE_SHARED, ctx->rank,
                                    MPI_INFO_NULL, &shared));
    if (ctx->emulated > 0) {
        /* Emulated nodes: k consecutive job ranks that also share memory. */
        int rc = MPI_Comm_split(shared, ctx->rank / ctx->emulated, ctx->rank, &ctx->node_comm);
        (void)MPI_Comm_free(&shared); /* only the split's result matters */
        PA_MPI(ctx, rc);
    } else {
        ctx->node_comm = shared;
    }
    PA_MPI(ctx, MPI_Comm_set_errhandler(ctx->node_comm, MPI_ERRORS_RETURN));
    PA_MPI(ctx, MPI_Comm_rank(ctx->node_comm, &ctx->node_rank));
    PA_MPI(ctx, MPI_Comm_size(ctx->node_comm, &ctx->node_size));
    PA_MPI(ctx, MPI_Comm_split(ctx->comm, ctx->node_rank == 0 ? 0 : MPI_UNDEFINED, ctx->rank,
                               &ctx->leader_comm));
    int ids[2] = {0, 0}; /* node id, node count: known on the leader */
    if (ctx->leader_comm != MPI_COMM_NULL) {
        PA_MPI(ctx, MPI_Comm_set_errhandler(ctx->leader_comm, MPI_ERRORS_RETURN));
        PA_MPI(ctx, MPI_Comm_rank(ctx->leader_comm, &ids[0]));
        PA_MPI(ctx, MPI_Comm_size(ctx->leader_comm, &ids[1]));
    }
    PA_MPI(ctx, MPI_Bcast(ids, 2, MPI_INT, 0, ctx->node_comm));
    ctx->node = ids[0];
    ctx->nnodes = ids[1];
    /* Every rank's node, for owner queries about other nodes. */
    ctx->node_of = malloc(sizeof(int) * (size_t)ctx->size);
    PA_CHECK(ctx, ctx->node_of, PA_ENOMEM, "out of memory");
    PA_MPI(ctx, MPI_Allgather(&ctx->node, 1, MPI_INT, ctx->node_of, 1, MPI_INT, ctx->comm));
    return PA_OK;
}

int pa_init_comm(MPI_Comm comm, pa_ctx **out)
{
    int flag = 0;
    MPI_Initialized(&flag);
    PA_CHECK(NULL, flag, PA_ESTATE, "MPI is not initialised: call pa_init or MPI_Init first");
    PA_CHECK(NULL, out, PA_EINVAL, "ctx is NULL");
    *out = NULL;
    pa__init_errmsg()[0] = '\0';

    pa_ctx *ctx = calloc(1, sizeof *ctx);
    MPI_Comm dup = MPI_COMM_NULL;
    int rc = pa__mpi(NULL, __func__, MPI_Comm_dup(comm, &dup), "MPI_Comm_dup");
    if (rc < 0)
        goto out;
    rc = MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS) {
        rc = pa__mpi(NULL, __func__, rc, "MPI_Comm_set_errhandler");
        goto out;
    }
    long pool_mb = 1024;
    if (!ctx) {
        rc = pa__err(NULL, __func__, PA_ENOMEM, "out of memory");
    } else {
        ctx->comm = dup;
        dup = MPI_COMM_NULL;
        ctx->node_comm = ctx->leader_comm = MPI_COMM_NULL;
        ctx->gate_win = MPI_WIN_NULL;
        rc = pa__mpi(ctx, __func__, MPI_Comm_rank(ctx->comm, &ctx->rank), "MPI_Comm_rank");
        if (rc == PA_OK)
            rc = pa__mpi(ctx, __func__, MPI_Comm_size(ctx->comm, &ctx->size), "MPI_Comm_size");
        if (rc == PA_OK)
            rc = read_env(ctx, &pool_mb);
    }
    /* Settings come from each rank's environment: agree before the node
     * split, which uses them, so that no rank splits alone. */
    if ((rc = pa__agree(ctx, ctx ? ctx->comm : dup, rc)) < 0)
        goto out;
    if ((rc = split_nodes(ctx)) < 0)
        goto out;
    if (gethostname(ctx->hostname, sizeof ctx->hostname) != 0)
        strcpy(ctx->hostname, "unknown");
    ctx->hostname[sizeof ctx->hostname - 1] = '\0';
    if ((rc = pa__cores_init(ctx)) < 0)
        goto out;
    if ((rc = pa__agree(ctx, ctx->comm, pa__gate_init(ctx))) < 0)
        goto out;
    rc = pa__blas_plan(ctx);
    if (rc == PA_OK)
        rc = pa__pool_init(ctx, (size_t)pool_mb << 20);
    rc = pa__agree(ctx, ctx->comm, rc);

out:
    if (rc < 0) {
        /* The context goes away: keep its message for pa_errmsg(NULL). */
        if (ctx)
            memcpy(pa__init_errmsg(), ctx->errmsg, PA_ERRMSG_MAX);
        ctx_free(ctx);
        if (dup != MPI_COMM_NULL)
            (void)MPI_Comm_free(&dup); /* cleanup after a failure already reported */
        return rc;
    }
    *out = ctx;
    return PA_OK;
}

int pa_init(int *argc, char ***argv, pa_ctx **ctx)
{
    int flag = 0, finalized = 0, owns = 0;
    MPI_Finalized(&finalized);
    PA_CHECK(NULL, !finalized, PA_ESTATE, "MPI has been finalised already");
    MPI_Initialized(&flag);
    if (!flag) {
        int provided;
        PA_TRY(pa__mpi(NULL, __func__, MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
                       "MPI_Init_thread"));
        owns = 1;
    }
    int rc = pa_init_comm(MPI_COMM_WORLD, ctx);
    if (rc < 0) {
        if (owns)
            MPI_Finalize(); /* every rank failed alike (agreed), so all finalise */
        return rc;
    }
    (*ctx)->owns_mpi = owns;
    return PA_OK;
}

int pa_finalize(pa_ctx **pctx)
{
    if (!pctx || !*pctx)
        return PA_OK;
    pa_ctx *ctx = *pctx;
    int owns = ctx->owns_mpi;
    *pctx = NULL;
    ctx_free(ctx);
    if (owns) {
        int rc = MPI_Finalize();
        if (rc != MPI_SUCCESS)
            return pa__mpi(NULL, __func__, rc, "MPI_Finalize");
    }
    return PA_OK;
}

MPI_Comm pa_ctx_comm(const pa_ctx *ctx) { return ctx->comm; }
MPI_Comm pa_ctx_node_comm(const pa_ctx *ctx) { return ctx->node_comm; }
MPI_Comm pa_ctx_leader_comm(const pa_ctx *ctx) { return ctx->leader_comm; }
int pa_ctx_rank(const pa_ctx *ctx) { return ctx->rank; }
int pa_ctx_size(const pa_ctx *ctx) { return ctx->size; }
int pa_ctx_node(const pa_ctx *ctx) { return ctx->node; }
int pa_ctx_nnodes(const pa_ctx *ctx) { return ctx->nnodes; }
int pa_ctx_node_rank(const pa_ctx *ctx) { return ctx->node_rank; }
int pa_ctx_node_size(const pa_ctx *ctx) { return ctx->node_size; }
int pa_ctx_emulated(const pa_ctx *ctx) { return ctx->emulated; }
const char *pa_ctx_hostname(const pa_ctx *ctx) { return ctx->hostname; }
