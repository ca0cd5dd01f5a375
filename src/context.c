/* The context: parray's duplicate of the job communicator, its split into
 * nodes (real shared-memory nodes, or emulated ones with
 * PARRAY_RANKS_PER_NODE), the leaders' communicator, and the settings read
 * from the environment. Everything else hangs off it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collcheck.h"
#include "cores.h"

const char *pa_version(void)
{
    return PACKAGE_VERSION;
}

/* Reads a whole decimal integer in [min, max]: strtol alone would skip
 * leading blanks and take a '+', so the text must be digits, after a '-'
 * only where negative values are allowed. Returns 0, or -1 if it is not. */
static int parse_long(const char *s, long min, long max, long *value)
{
    const char *d = s + (*s == '-' && min < 0);
    if (!(*d >= '0' && *d <= '9'))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

int pa__env_int(pa_ctx *ctx, const char *fn, const char *name, long min, long max, long *value)
{
    const char *s = getenv(name);
    if (s && parse_long(s, min, max, value) != 0)
        return pa__err(ctx, fn, PA_EINVAL, "%s='%s' is not an integer in [%ld, %ld]", name, s,
                       min, max);
    return PA_OK;
}

static void ctx_free(pa_ctx *ctx)
{
    if (!ctx)
        return;
    pa__pool_destroy(ctx);
    pa__collcheck_free(ctx);
    pa__profile_free(ctx);
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
    pa__cores_free(ctx);
    free(ctx->topology);
    free(ctx->fault);
    free(ctx->log_file);
    if (ctx->mpiio_hints != MPI_INFO_NULL)
        (void)MPI_Info_free(&ctx->mpiio_hints);
    free(ctx);
}

/* ------------------------------------------------------------ settings */

/* THE LIBRARY'S SETTINGS: every environment variable that libparray reads is
 * one line of this table (a new setting is a new line, and a field of
 * pa_ctx for its value). pa_init reads each on every rank, checks that every
 * rank sees the same raw value (set or unset, and the same string: ranks
 * that split or plan differently would hang in the node split or later),
 * then parses them. Variables that only the programs or the tests read
 * (PARRAY_BENCH_DIR, PARRAY_TEST_*, PARRAY_SRCDIR) are not listed: they may
 * differ between hosts. */
typedef enum {
    SETTING_INT,    /* a decimal integer in [min, max]; default def */
    SETTING_CHOICE, /* one of the '|'-separated choices, stored as its index;
                       unset or "" is the first */
    SETTING_TEXT,   /* any text, strdup'ed into a char * field; "" is unset */
    SETTING_PARSED, /* text that parse() reads into its own fields; "" is unset */
} setting_kind;

typedef struct {
    const char *name;
    setting_kind kind;
    size_t field; /* offsetof(pa_ctx, ...): an int, or a char * for text */
    long min, max, def;
    const char *choices;
    const char *doc;
    /* SETTING_PARSED: reads s (set, not "") into ctx, or PA_EINVAL naming
     * the variable and the bad part */
    int (*parse)(pa_ctx *ctx, const char *name, const char *s);
} setting;

/* clang-format off */
#define INT_SETTING(name, field, min, max, def, doc)                           \
    {name, SETTING_INT, offsetof(pa_ctx, field), min, max, def, NULL, doc, NULL}
#define CHOICE_SETTING(name, field, choices, doc)                              \
    {name, SETTING_CHOICE, offsetof(pa_ctx, field), 0, 0, 0, choices, doc, NULL}
#define TEXT_SETTING(name, field, doc)                                         \
    {name, SETTING_TEXT, offsetof(pa_ctx, field), 0, 0, 0, NULL, doc, NULL}
#define PARSED_SETTING(name, parse, doc)                                       \
    {name, SETTING_PARSED, 0, 0, 0, 0, NULL, doc, parse}
/* clang-format on */

static const setting settings[] = {
    INT_SETTING("PARRAY_RANKS_PER_NODE", emulated, 1, INT_MAX, 0, "ranks per emulated node"),
    INT_SETTING("PARRAY_BLAS_THREADS", blas_threads, 1, 4096, 0, "BLAS threads per rank"),
    INT_SETTING("PARRAY_POOL_MB", pool_mb, 0, INT_MAX, 1024,
                "the memory pool's cap per rank in MiB"),
    CHOICE_SETTING("PARRAY_AFFINITY", affinity_keep, "share|keep",
                   "bind each rank to its share of cores, or keep the launcher's binding"),
    TEXT_SETTING("PARRAY_TOPOLOGY", topology,
                 "a testing aid: plan the cores of this machine, described to hwloc "
                 "(synthetic, or an XML file), instead of the real one"),
    TEXT_SETTING("PARRAY_FAULT", fault, "fault injection for tests: site@rank,..."),
    CHOICE_SETTING("PARRAY_CHECK", check_collectives, "none|collectives",
                   "debug checks of every collective call"),
    INT_SETTING("PARRAY_CHECK_TIMEOUT", check_timeout, 1, 1000000, 60,
                "seconds a rank waits in a checked collective call before it aborts the job"),
    INT_SETTING("PARRAY_LOCK_TIMEOUT", lock_timeout, 0, 1 << 30, 60,
                "seconds a save waits for another save's lock on its file"),
    CHOICE_SETTING("PARRAY_LOCK", lock_mode, "auto|require|off",
                   "lock saves; where the file system keeps no locks, warn (auto) or fail"),
    CHOICE_SETTING("PARRAY_SUM_READ", sum_read, "auto|intel|forward",
                   "the order in which tree sums read memory: by the CPU's maker, or this one"),
    CHOICE_SETTING("PARRAY_LOG", log, "off|summary",
                   "a profile of the collective calls, printed by pa_finalize from rank 0"),
    TEXT_SETTING("PARRAY_LOG_FILE", log_file,
                 "the file PARRAY_LOG's profile is written to, instead of stderr"),
    PARSED_SETTING("PARRAY_H5_ALIGN", pa__h5_align_parse,
                   "THRESHOLD,ALIGNMENT: HDF5 objects of at least THRESHOLD bytes start at "
                   "multiples of ALIGNMENT"),
    PARSED_SETTING("PARRAY_MPIIO_HINTS", pa__mpiio_hints_parse,
                   "KEY=VALUE,...: the MPI-IO hints every parallel HDF5 file is opened with"),
    INT_SETTING("PARRAY_REDIST_BUFFER_MB", redist_buffer_mb, 1, 4095, 64,
                "the buffer per node in MiB through which reshapes, slices, concatenations, "
                "transposes and redistributions move data between nodes"),
    INT_SETTING("PARRAY_SORT_BUFFER_MB", sort_buffer_mb, 1, 1 << 20, 256,
                "a sort's buffer per node for the pieces it receives from other nodes and an "
                "argsort's pieces of values (MiB)"),
};
#define NSETTINGS (int)(sizeof settings / sizeof settings[0])

/* The index of s in the '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *s)
{
    size_t len = strlen(s);
    int i = 0;
    for (const char *p = choices;; i++) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, s, n) == 0)
            return i;
        if (!end)
            return -1;
        p = end + 1;
    }
}

/* One setting's value s (NULL: unset) into its field of ctx. */
static int parse_setting(pa_ctx *ctx, const setting *set, const char *s)
{
    void *field = (char *)ctx + set->field;
    switch (set->kind) {
    case SETTING_INT: {
        long v = set->def;
        if (s && parse_long(s, set->min, set->max, &v) != 0)
            return pa__err(ctx, "pa_init", PA_EINVAL,
                           "%s='%s' is not an integer in [%ld, %ld] (%s)", set->name, s, set->min,
                           set->max, set->doc);
        *(int *)field = (int)v;
        return PA_OK;
    }
    case SETTING_CHOICE: {
        int i = s && *s ? choice_index(set->choices, s) : 0;
        if (i < 0)
            return pa__err(ctx, "pa_init", PA_EINVAL, "%s='%s' is not one of %s (%s)", set->name,
                           s, set->choices, set->doc);
        *(int *)field = i;
        return PA_OK;
    }
    case SETTING_TEXT:
        if (s && *s && !(*(char **)field = strdup(s)))
            return pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
        return PA_OK;
    case SETTING_PARSED: return s && *s ? set->parse(ctx, set->name, s) : PA_OK;
    }
    return PA_OK;
}

/* Collective over ctx->comm. Reads the settings: first checks that every
 * rank has the same raw values, so that a setting made on some ranks only
 * fails here, on every rank, and not in a split that the ranks would make
 * differently; then parses them (the caller agrees on the outcome). */
static int read_env(pa_ctx *ctx)
{
    const char *names[NSETTINGS], *values[NSETTINGS];
    for (int i = 0; i < NSETTINGS; i++) {
        names[i] = settings[i].name;
        values[i] = getenv(settings[i].name);
    }
    PA_TRY(pa__same_strings(ctx, ctx->comm, "pa_init", NSETTINGS, names, values));
    for (int i = 0; i < NSETTINGS; i++)
        PA_TRY(parse_setting(ctx, &settings[i], values[i]));
    return PA_OK;
}

/* Splits ctx->comm into nodes and builds the leaders' communicator. */
static int split_nodes(pa_ctx *ctx)
{
    MPI_Comm shared;
    PA_MPI(ctx, MPI_Comm_split_type(ctx->comm, MPI_COMM_TYPE_SHARED, ctx->rank, MPI_INFO_NULL,
                                    &shared));
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
    if (!ctx) {
        rc = pa__err(NULL, __func__, PA_ENOMEM, "out of memory");
    } else {
        ctx->comm = dup;
        dup = MPI_COMM_NULL;
        ctx->node_comm = ctx->leader_comm = MPI_COMM_NULL;
        ctx->gate_win = MPI_WIN_NULL;
        ctx->mpiio_hints = MPI_INFO_NULL;
        ctx->h5_align_threshold = ctx->h5_alignment = 1;
        rc = pa__mpi(ctx, __func__, MPI_Comm_rank(ctx->comm, &ctx->rank), "MPI_Comm_rank");
        if (rc == PA_OK)
            rc = pa__mpi(ctx, __func__, MPI_Comm_size(ctx->comm, &ctx->size), "MPI_Comm_size");
    }
    if ((rc = pa__agree(ctx, ctx ? ctx->comm : dup, rc)) < 0)
        goto out;
    /* Settings come from each rank's environment: agree on them before the
     * node split, which uses them, so that no rank splits alone. */
    if ((rc = pa__agree(ctx, ctx->comm, read_env(ctx))) < 0)
        goto out;
    if ((rc = pa__agree(ctx, ctx->comm, pa__collcheck_init(ctx))) < 0)
        goto out;
    if ((rc = pa__agree(ctx, ctx->comm, pa__profile_init(ctx))) < 0)
        goto out;
    ctx->watch_calls = ctx->check_collectives || ctx->profile;
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
        rc = pa__pool_init(ctx, (size_t)ctx->pool_mb << 20);
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
        PA_TRY(pa__mpi(NULL, __func__,
                       MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
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
    /* A mismatch keeps the context: freeing it is collective with ranks
     * that are elsewhere. */
    PA_COLLECTIVE_UNTIMED(ctx, "pa_finalize", "%s", "");
    /* The profile's table; a failure to write it (agreed) is reported
     * after the context is gone, like MPI_Finalize's. */
    int rc = pa__profile_report(ctx);
    if (rc < 0)
        memcpy(pa__init_errmsg(), ctx->errmsg, PA_ERRMSG_MAX);
    int owns = ctx->owns_mpi;
    *pctx = NULL;
    ctx_free(ctx);
    if (owns) {
        int mpi_rc = MPI_Finalize();
        if (mpi_rc != MPI_SUCCESS)
            return pa__mpi(NULL, __func__, mpi_rc, "MPI_Finalize");
    }
    return rc;
}

/* clang-format off */
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
/* clang-format on */
