/* `parray info`: the layout of the job (nodes, ranks, host names, cores),
 * each rank's BLAS thread plan, the libraries parray runs on, and warnings
 * about layouts that waste cores. numpy.show_config() plus threadpoolctl, for
 * a whole MPI job. Rank 0 gathers one row per rank and prints it as text or
 * as one JSON object.
 *
 * To report something new per rank, add a column: an entry in the enum and
 * one line in `columns`. The gather, the rank table and the JSON follow from
 * that table; warnings and the node summary read the columns they need. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "agree.h"
#include "cmd.h"
#include "json.h"
#include "opts.h"
#include "output.h"

/* ------------------------------------------------------------ columns */

typedef enum { KIND_INT, KIND_STR, KIND_CPUS } col_kind;

typedef struct {
    const char *key;   /* JSON key in "rank_list"; NULL: not listed per rank */
    const char *title; /* rank table header; NULL: not in the table */
    col_kind kind;
    int (*get_int)(const pa_ctx *ctx);
    const char *(*get_str)(const pa_ctx *ctx);
    int (*get_cpus)(const pa_ctx *ctx, int *cpus, int max); /* as pa_ctx_cores */
} column;

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

enum {
    COL_RANK,
    COL_NODE,
    COL_NODE_RANK,
    COL_HOST,
    COL_CORES,
    COL_BLAS,
    COL_BLAS_EFFECT,
    COL_LAUNCH,
    COL_AFFINITY,
    COL_NUMA, /* the last shown, so that the columns before keep their places */
    COL_NODE_CORES,
    COL_PLAN_WARN,
    COL_PACKAGES,
    COL_NUMA_NODES,
    COL_PHYSICAL_CORES,
    COL_SMT,
    NCOLS
};

static const column columns[NCOLS] = {
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

/* The node's machine in the node summary (the values of its leader). */
static const struct {
    const char *title, *key;
    int col;
} machine_cols[] = {{"packages", "packages", COL_PACKAGES},
                    {"NUMA nodes", "numa_nodes", COL_NUMA_NODES},
                    {"physical cores", "physical_cores", COL_PHYSICAL_CORES},
                    {"SMT", "smt", COL_SMT}};
#define NMACHINE (int)(sizeof machine_cols / sizeof machine_cols[0])

/* One rank's value of one column, on rank 0. Strings and CPU lists point
 * into the column's gather buffer. */
typedef struct {
    int i;
    const char *s;
    const int *cpus;
    int n;
} cell;

typedef struct {
    int nranks;
    cell *cells;       /* nranks rows of NCOLS */
    void *bufs[NCOLS]; /* what the cells point into */
} table;

#define CELL(t, r, c) ((t)->cells[(size_t)(r) * NCOLS + (c)])

static void table_free(table *t)
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

#define INFO_MPI(ctx, call)                                                    \
    do {                                                                       \
        int info_rc_ = (call);                                                 \
        if (info_rc_ != MPI_SUCCESS)                                           \
            return mpi_failed((ctx), info_rc_, #call);                         \
    } while (0)

/* Collective. Every rank learns whether all of them are ok, so that an
 * allocation that fails on one rank fails everywhere before the next
 * collective call. Returns 0 when all are ok, 1 (after reporting) if not. */
static int agree_ok(const pa_ctx *ctx, int ok)
{
    return agree_all_ok(pa_ctx_comm(ctx), ok) ? 0 : cmd_fail(ctx, "info", "out of memory while gathering the layout");
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

/* Collective. Fills t (on rank 0) with every rank's value of every column.
 * Returns 0, or an exit status after reporting. */
static int table_gather(const pa_ctx *ctx, table *t)
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
        const column *col = &columns[c];
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
        table_free(t);
    return status;
}

/* ------------------------------------------------------------ text helpers */

/* A growing string. Out of memory leaves it truncated, never broken. */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = 2 * (b->len + (size_t)n + 1);
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s, b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* strdup, which -std=c11 does not declare. */
static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

/* Takes the string out of b (never NULL; free it). */
static char *sb_take(sbuf *b)
{
    char *s = b->s ? b->s : dupstr("");
    memset(b, 0, sizeof *b);
    return s;
}

/* An ascending list of integers in compact form: "0-3,8,10-11"; "none" when
 * empty. */
static void sb_list(sbuf *b, const int *v, int n)
{
    if (n == 0) {
        sb_printf(b, "none");
        return;
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1)
            j++;
        sb_printf(b, "%s%d", i ? "," : "", v[i]);
        if (j > i)
            sb_printf(b, "-%d", v[j]);
        i = j + 1;
    }
}

/* Prints a table of nrows rows (the first is the header) of ncols cells,
 * each column as wide as its widest cell, indented by two spaces. */
static void print_table(FILE *f, char **cells, int nrows, int ncols)
{
    size_t width[16] = {0};
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncols && c < 16; c++) {
            size_t w = strlen(cells[r * ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (int r = 0; r < nrows; r++) {
        fputs("  ", f);
        for (int c = 0; c < ncols; c++) {
            const char *s = cells[r * ncols + c];
            if (c == ncols - 1)
                fprintf(f, "%s\n", s);
            else
                fprintf(f, "%-*s  ", (int)width[c < 16 ? c : 15], s);
        }
    }
}

static void json_ints(json_writer *w, const int *v, int n)
{
    json_begin_array(w);
    for (int i = 0; i < n; i++)
        json_int(w, v[i]);
    json_end_array(w);
}

/* ------------------------------------------------------------ the report */

typedef struct {
    int nranks;
    int *ranks;        /* the node's ranks, ascending */
    int leader;        /* its node rank 0 */
    const char **host; /* distinct host names of its ranks */
    int nhosts;
    int threads;       /* planned BLAS threads summed over its ranks */
} node_sum;

typedef struct {
    char parray[64];
    char mpi_library[MPI_MAX_LIBRARY_VERSION_STRING];
    char mpi_version[32];
    int mpi_yield;          /* mpi_yield_when_idle: 1, 0, or -1 unknown */
    char hdf5_version[32];
    int hdf5_parallel;
    const char *blas_config;
    const char *blas_parallel;
    int nnodes, emulated;
    node_sum *nodes;
    char **warnings;
    int nwarnings;
} report;

static const char *parallel_name(int model)
{
    switch (model) {
    case 0:
        return "sequential";
    case 1:
        return "pthreads";
    case 2:
        return "OpenMP";
    default:
        return "unknown";
    }
}

static void warn(report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(report *rep, const char *fmt, ...)
{
    char **w = realloc(rep->warnings, (size_t)(rep->nwarnings + 1) * sizeof *w);
    if (!w)
        return;
    rep->warnings = w;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s)
        return;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w[rep->nwarnings++] = s;
}

/* One warning covers every rank in the same state: the ranks from r0 on
 * that are not done yet and have rank r0's values in columns ca and cb (and
 * as many CPUs in column cc, unless it is -1). Marks them done and returns
 * them as a compact list (free it), with their number in *count. */
static char *ranks_alike(const table *t, int r0, int ca, int cb, int cc, char *done, int *count)
{
    int *v = malloc((size_t)t->nranks * sizeof *v), n = 0;
    for (int r = r0; r < t->nranks; r++) {
        if (done[r] || CELL(t, r, ca).i != CELL(t, r0, ca).i ||
            CELL(t, r, cb).i != CELL(t, r0, cb).i ||
            (cc >= 0 && CELL(t, r, cc).n != CELL(t, r0, cc).n))
            continue;
        done[r] = 1;
        if (v)
            v[n] = r;
        n++;
    }
    sbuf b = {0};
    if (v)
        sb_list(&b, v, n);
    else
        sb_printf(&b, "%d and others", r0);
    free(v);
    *count = n;
    return sb_take(&b);
}

static void find_warnings(report *rep, const table *t)
{
    int n = t->nranks, many;
    if (n < 1)
        return;
    char *done = calloc((size_t)n, 1);
    if (!done)
        return;

    /* BLAS threads above the cores a rank may run on: the threads take
     * turns on too few cores (mpirun binds each rank to one core by
     * default when it starts 2 ranks or fewer). */
    for (int r = 0; r < n; r++) {
        int threads = CELL(t, r, COL_BLAS).i, ncores = CELL(t, r, COL_CORES).n;
        if (done[r] || threads <= ncores)
            continue;
        char *who = ranks_alike(t, r, COL_BLAS, COL_BLAS, COL_CORES, done, &many);
        warn(rep,
             "rank%s %s: %d BLAS threads on %d allowed core%s: the threads share cores; "
             "give each rank more cores (e.g. mpirun --bind-to none) or set PARRAY_BLAS_THREADS",
             many > 1 ? "s" : "", who, threads, ncores, ncores == 1 ? "" : "s");
        free(who);
    }

    /* Ranks x threads above the node's cores. */
    for (int k = 0; k < rep->nnodes; k++) {
        const node_sum *nd = &rep->nodes[k];
        if (nd->nranks == 0)
            continue;
        int ncores = CELL(t, nd->leader, COL_NODE_CORES).n;
        if (nd->threads > ncores)
            warn(rep,
                 "node %d (%s): its %d rank%s run %d BLAS threads in all on %d core%s: "
                 "oversubscribed",
                 k, nd->nhosts ? nd->host[0] : "?", nd->nranks, nd->nranks == 1 ? "" : "s",
                 nd->threads, ncores, ncores == 1 ? "" : "s");
    }

    /* Emulated nodes on one host share its cores, so ranks x threads is
     * checked per host as well: the union of the cores of the host's ranks
     * against the threads of all of them. */
    memset(done, 0, (size_t)n);
    for (int r = 0; r < n; r++) {
        if (done[r])
            continue;
        const char *host = CELL(t, r, COL_HOST).s;
        int node = CELL(t, r, COL_NODE).i, nodes_differ = 0, threads = 0, nranks = 0;
        int maxcpu = -1;
        for (int q = r; q < n; q++) {
            const cell *c = &CELL(t, q, COL_CORES);
            if (strcmp(CELL(t, q, COL_HOST).s, host) == 0 && c->n > 0 && c->cpus[c->n - 1] > maxcpu)
                maxcpu = c->cpus[c->n - 1];
        }
        char *used = calloc((size_t)maxcpu + 2, 1);
        int ncores = 0;
        for (int q = r; q < n; q++) {
            if (strcmp(CELL(t, q, COL_HOST).s, host) != 0)
                continue;
            done[q] = 1;
            nranks++;
            threads += CELL(t, q, COL_BLAS).i;
            nodes_differ |= CELL(t, q, COL_NODE).i != node;
            const cell *c = &CELL(t, q, COL_CORES);
            for (int i = 0; used && i < c->n; i++)
                if (c->cpus[i] >= 0 && !used[c->cpus[i]])
                    used[c->cpus[i]] = 1, ncores++;
        }
        free(used);
        if (used && nodes_differ && threads > ncores)
            warn(rep,
                 "host %s: its %d ranks on several%s nodes run %d BLAS threads in all on %d "
                 "core%s: oversubscribed",
                 host, nranks, rep->emulated ? " emulated" : "", threads, ncores,
                 ncores == 1 ? "" : "s");
    }

    /* A rank whose CPUs span NUMA nodes: its memory is bound to none of
     * them, and part of it lies far from its threads. */
    memset(done, 0, (size_t)n);
    for (int r = 0; r < n; r++) {
        int span = CELL(t, r, COL_NUMA).n;
        if (done[r] || span <= 1)
            continue;
        char *who = ranks_alike(t, r, COL_NUMA_NODES, COL_NUMA_NODES, COL_NUMA, done, &many);
        const char *its = many > 1 ? "their" : "its";
        warn(rep,
             "rank%s %s: %s CPUs span %d NUMA nodes%s, so %s memory cannot all lie near %s "
             "threads; with at least as many ranks per node as it has NUMA nodes (%d), each "
             "rank's share stays inside one",
             many > 1 ? "s" : "", who, its, span, many > 1 ? " each" : "", its, its,
             CELL(t, r, COL_NUMA_NODES).i);
        free(who);
    }

    /* A thread count that the BLAS did not take. */
    memset(done, 0, (size_t)n);
    for (int r = 0; r < n; r++) {
        int planned = CELL(t, r, COL_BLAS).i, effect = CELL(t, r, COL_BLAS_EFFECT).i;
        if (done[r] || planned == effect)
            continue;
        char *who = ranks_alike(t, r, COL_BLAS, COL_BLAS_EFFECT, -1, done, &many);
        warn(rep, "rank%s %s: the BLAS runs %d thread%s, but the plan is %d: the setting did "
                  "not take effect",
             many > 1 ? "s" : "", who, effect, effect == 1 ? "" : "s", planned);
        free(who);
    }

    /* What the plan itself found on each rank: the BLAS build, and an
     * affinity the kernel refused. (Thread counts are checked above.) */
    static const int plan_bits[] = {PA_BLAS_WARN_OPENMP, PA_BLAS_WARN_NOT_OPENBLAS,
                                    PA_BLAS_WARN_AFFINITY, PA_BLAS_WARN_MEMBIND};
    for (size_t b = 0; b < sizeof plan_bits / sizeof plan_bits[0]; b++) {
        sbuf who = {0};
        int count = 0;
        for (int r = 0; r < n; r++)
            if (CELL(t, r, COL_PLAN_WARN).i & plan_bits[b])
                sb_printf(&who, "%s%d", count++ ? "," : "", r);
        char *list = sb_take(&who);
        if (count)
            warn(rep, "rank%s %s: %s", count > 1 ? "s" : "", list ? list : "?",
                 pa_blas_warning_text(plan_bits[b]));
        free(list);
    }
    free(done);
}

/* On rank 0: the node summary from the table. Returns 0, or 1 when out of
 * memory. */
static int summarize(report *rep, const table *t)
{
    rep->nodes = calloc((size_t)rep->nnodes, sizeof *rep->nodes);
    if (!rep->nodes)
        return 1;
    for (int r = 0; r < t->nranks; r++) {
        int k = CELL(t, r, COL_NODE).i;
        if (k < 0 || k >= rep->nnodes)
            continue;
        node_sum *nd = &rep->nodes[k];
        if (!nd->ranks) {
            nd->ranks = calloc((size_t)t->nranks, sizeof *nd->ranks);
            nd->host = calloc((size_t)t->nranks, sizeof *nd->host);
            if (!nd->ranks || !nd->host)
                return 1;
            nd->leader = r;
        }
        nd->ranks[nd->nranks++] = r;
        if (CELL(t, r, COL_NODE_RANK).i == 0)
            nd->leader = r;
        nd->threads += CELL(t, r, COL_BLAS).i;
        const char *h = CELL(t, r, COL_HOST).s;
        int known = 0;
        for (int i = 0; i < nd->nhosts; i++)
            known |= strcmp(nd->host[i], h) == 0;
        if (!known)
            nd->host[nd->nhosts++] = h;
    }
    return 0;
}

static void report_free(report *rep)
{
    if (rep->nodes)
        for (int k = 0; k < rep->nnodes; k++) {
            free(rep->nodes[k].ranks);
            free(rep->nodes[k].host);
        }
    free(rep->nodes);
    for (int i = 0; i < rep->nwarnings; i++)
        free(rep->warnings[i]);
    free(rep->warnings);
}

/* Open MPI's mpi_yield_when_idle, read through the MPI tool interface:
 * 1 when ranks that wait in MPI yield their core, 0 when they spin, -1 when
 * the MPI has no such variable. A spinning waiter takes a core away from the
 * BLAS threads of a rank that computes while it waits. */
static int mpi_yield(void)
{
    int provided, n = 0, value = -1;
    if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS)
        return -1;
    if (MPI_T_cvar_get_num(&n) != MPI_SUCCESS)
        n = 0;
    for (int i = 0; i < n && value < 0; i++) {
        char name[256], desc[1024];
        int namelen = sizeof name, desclen = sizeof desc, verbosity, bind, scope, count, size = 0;
        MPI_Datatype type;
        MPI_T_enum enumtype;
        MPI_T_cvar_handle h;
        if (MPI_T_cvar_get_info(i, name, &namelen, &verbosity, &type, &enumtype, desc, &desclen,
                                &bind, &scope) != MPI_SUCCESS ||
            strcmp(name, "mpi_yield_when_idle") != 0)
            continue;
        if (MPI_Type_size(type, &size) != MPI_SUCCESS || size < 1 || size > 16 ||
            MPI_T_cvar_handle_alloc(i, NULL, &h, &count) != MPI_SUCCESS)
            break;
        /* Open MPI keeps it as a bool of its own size: any non-zero byte is
         * true. */
        unsigned char buf[64] = {0};
        if (count == 1 && MPI_T_cvar_read(h, buf) == MPI_SUCCESS) {
            value = 0;
            for (int b = 0; b < size; b++)
                value |= buf[b] != 0;
        }
        MPI_T_cvar_handle_free(&h);
    }
    MPI_T_finalize();
    return value;
}

/* The versions of what parray runs on (this rank's view). */
static void libraries(report *rep)
{
    snprintf(rep->parray, sizeof rep->parray, "%s", pa_version());

    int len = 0;
    if (MPI_Get_library_version(rep->mpi_library, &len) != MPI_SUCCESS)
        snprintf(rep->mpi_library, sizeof rep->mpi_library, "unknown");
    rep->mpi_library[strcspn(rep->mpi_library, "\r\n")] = '\0';
    len = (int)strlen(rep->mpi_library);
    while (len > 0 && (rep->mpi_library[len - 1] == ' ' || rep->mpi_library[len - 1] == ','))
        rep->mpi_library[--len] = '\0';
    int major = 0, minor = 0;
    if (MPI_Get_version(&major, &minor) == MPI_SUCCESS)
        snprintf(rep->mpi_version, sizeof rep->mpi_version, "%d.%d", major, minor);
    else
        snprintf(rep->mpi_version, sizeof rep->mpi_version, "unknown");
    rep->mpi_yield = mpi_yield();

    unsigned hmaj = 0, hmin = 0, hrel = 0;
    if (H5get_libversion(&hmaj, &hmin, &hrel) >= 0)
        snprintf(rep->hdf5_version, sizeof rep->hdf5_version, "%u.%u.%u", hmaj, hmin, hrel);
    else
        snprintf(rep->hdf5_version, sizeof rep->hdf5_version, "unknown");
#ifdef H5_HAVE_PARALLEL
    rep->hdf5_parallel = 1;
#else
    rep->hdf5_parallel = 0;
#endif

    rep->blas_config = pa_blas_config() ? pa_blas_config() : "unknown";
    rep->blas_parallel = parallel_name(pa_blas_parallel());
}

/* ------------------------------------------------------------ output */

static char *cell_text(const table *t, int r, int c)
{
    sbuf b = {0};
    const cell *x = &CELL(t, r, c);
    switch (columns[c].kind) {
    case KIND_INT:
        sb_printf(&b, "%d", x->i);
        break;
    case KIND_STR:
        sb_printf(&b, "%s", x->s);
        break;
    case KIND_CPUS:
        sb_list(&b, x->cpus, x->n);
        break;
    }
    return sb_take(&b);
}

static void free_cells(char **cells, int n)
{
    if (!cells)
        return;
    for (int i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

static void print_ranks(FILE *f, const table *t)
{
    int shown[NCOLS], ncols = 0;
    for (int c = 0; c < NCOLS; c++)
        if (columns[c].title)
            shown[ncols++] = c;
    int nrows = t->nranks + 1, n = nrows * ncols;
    char **cells = calloc((size_t)n, sizeof *cells);
    if (!cells)
        return;
    for (int j = 0; j < ncols; j++)
        cells[j] = dupstr(columns[shown[j]].title);
    for (int r = 0; r < t->nranks; r++)
        for (int j = 0; j < ncols; j++)
            cells[(r + 1) * ncols + j] = cell_text(t, r, shown[j]);
    for (int i = 0; i < n; i++)
        if (!cells[i])
            goto out;
    print_table(f, cells, nrows, ncols);
out:
    free_cells(cells, n);
}

static void print_nodes(FILE *f, const report *rep, const table *t)
{
    enum { NC = 5 + NMACHINE };
    int nrows = rep->nnodes + 1, n = nrows * NC;
    char **cells = calloc((size_t)n, sizeof *cells);
    if (!cells)
        return;
    /* The machine's columns last, so that the others keep their places. */
    const char *head[NC] = {"node", "host", "ranks", "cores", "BLAS threads"};
    for (int j = 0; j < NMACHINE; j++)
        head[5 + j] = machine_cols[j].title;
    for (int j = 0; j < NC; j++)
        cells[j] = dupstr(head[j]);
    for (int k = 0; k < rep->nnodes; k++) {
        const node_sum *nd = &rep->nodes[k];
        sbuf b[NC] = {{0}};
        sb_printf(&b[0], "%d", k);
        for (int i = 0; i < nd->nhosts; i++)
            sb_printf(&b[1], "%s%s", i ? "," : "", nd->host[i]);
        sb_list(&b[2], nd->ranks, nd->nranks);
        sb_printf(&b[2], " (%d)", nd->nranks);
        if (nd->nranks) {
            const cell *x = &CELL(t, nd->leader, COL_NODE_CORES);
            sb_list(&b[3], x->cpus, x->n);
            sb_printf(&b[3], " (%d)", x->n);
            for (int j = 0; j < NMACHINE; j++)
                sb_printf(&b[5 + j], "%d", CELL(t, nd->leader, machine_cols[j].col).i);
        }
        sb_printf(&b[4], "%d", nd->threads);
        for (int j = 0; j < NC; j++)
            cells[(k + 1) * NC + j] = sb_take(&b[j]);
    }
    for (int i = 0; i < n; i++)
        if (!cells[i])
            goto out;
    print_table(f, cells, nrows, NC);
out:
    free_cells(cells, n);
}

/* "2", or "2,2,1" when the nodes differ. */
static void sb_per_node(sbuf *b, const report *rep)
{
    int same = 1;
    for (int k = 1; k < rep->nnodes; k++)
        same &= rep->nodes[k].nranks == rep->nodes[0].nranks;
    for (int k = 0; k < (same ? 1 : rep->nnodes); k++)
        sb_printf(b, "%s%d", k ? "," : "", rep->nodes[k].nranks);
}

/* What info prints: the report and rank 0's table. */
typedef struct {
    const report *rep;
    const table *t;
} info_results;

static void print_text(FILE *f, const void *arg)
{
    const report *rep = ((const info_results *)arg)->rep;
    const table *t = ((const info_results *)arg)->t;
    sbuf per = {0};
    sb_per_node(&per, rep);
    char *pn = sb_take(&per);
    fprintf(f, "parray %s\n\nJob\n", rep->parray);
    fprintf(f, "  ranks           %d\n", t->nranks);
    fprintf(f, "  nodes           %d", rep->nnodes);
    if (rep->emulated)
        fprintf(f, " (emulated, PARRAY_RANKS_PER_NODE=%d)", rep->emulated);
    fprintf(f, "\n  ranks per node  %s\n", pn);
    free(pn);

    fprintf(f, "\nNodes\n");
    print_nodes(f, rep, t);
    fprintf(f, "\nRanks\n");
    print_ranks(f, t);

    fprintf(f, "\nLibraries\n");
    fprintf(f, "  parray  %s\n", rep->parray);
    fprintf(f, "  BLAS    %s (%s)\n", rep->blas_config, rep->blas_parallel);
    fprintf(f, "  MPI     %s (MPI standard %s)\n", rep->mpi_library, rep->mpi_version);
    if (rep->mpi_yield >= 0)
        fprintf(f, "          ranks waiting in MPI %s (mpi_yield_when_idle=%d)\n",
                rep->mpi_yield ? "yield their core" : "spin on their core", rep->mpi_yield);
    fprintf(f, "  HDF5    %s (%s)\n", rep->hdf5_version,
            rep->hdf5_parallel ? "parallel" : "serial, no parallel support");

    if (rep->nwarnings == 0) {
        fprintf(f, "\nWarnings: none\n");
        return;
    }
    fprintf(f, "\nWarnings\n");
    for (int i = 0; i < rep->nwarnings; i++)
        fprintf(f, "  - %s\n", rep->warnings[i]);
}

static void json_key_string(json_writer *w, const char *key, const char *v)
{
    json_key(w, key);
    json_string(w, v);
}

static void json_key_int(json_writer *w, const char *key, int v)
{
    json_key(w, key);
    json_int(w, v);
}

static void print_json(json_writer *w, const void *arg)
{
    const report *rep = ((const info_results *)arg)->rep;
    const table *t = ((const info_results *)arg)->t;
    json_key_string(w, "parray_version", rep->parray);
    json_key_string(w, "mpi_library", rep->mpi_library);
    json_key_string(w, "mpi_version", rep->mpi_version);
    json_key(w, "mpi_yield_when_idle");
    if (rep->mpi_yield < 0)
        json_null(w);
    else
        json_bool(w, rep->mpi_yield);
    json_key_string(w, "hdf5_version", rep->hdf5_version);
    json_key(w, "hdf5_parallel");
    json_bool(w, rep->hdf5_parallel);
    json_key(w, "blas");
    json_begin_object(w);
    json_key_string(w, "config", rep->blas_config);
    json_key_string(w, "parallel", rep->blas_parallel);
    json_end_object(w);
    json_key_int(w, "ranks", t->nranks);
    json_key_int(w, "nodes", rep->nnodes);
    json_key_int(w, "emulated", rep->emulated);

    json_key(w, "node_list");
    json_begin_array(w);
    for (int k = 0; k < rep->nnodes; k++) {
        const node_sum *nd = &rep->nodes[k];
        json_begin_object(w);
        json_key_int(w, "node", k);
        json_key_string(w, "hostname", nd->nhosts ? nd->host[0] : "");
        json_key(w, "hostnames");
        json_begin_array(w);
        for (int i = 0; i < nd->nhosts; i++)
            json_string(w, nd->host[i]);
        json_end_array(w);
        json_key(w, "ranks");
        json_ints(w, nd->ranks, nd->nranks);
        json_key(w, "cores");
        if (nd->nranks) {
            const cell *x = &CELL(t, nd->leader, COL_NODE_CORES);
            json_ints(w, x->cpus, x->n);
        } else {
            json_ints(w, NULL, 0);
        }
        for (int j = 0; j < NMACHINE; j++)
            json_key_int(w, machine_cols[j].key,
                         nd->nranks ? CELL(t, nd->leader, machine_cols[j].col).i : 0);
        json_key_int(w, "blas_threads", nd->threads);
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "rank_list");
    json_begin_array(w);
    for (int r = 0; r < t->nranks; r++) {
        json_begin_object(w);
        for (int c = 0; c < NCOLS; c++) {
            const column *col = &columns[c];
            const cell *x = &CELL(t, r, c);
            if (!col->key)
                continue;
            json_key(w, col->key);
            if (col->kind == KIND_INT)
                json_int(w, x->i);
            else if (col->kind == KIND_STR)
                json_string(w, x->s);
            else
                json_ints(w, x->cpus, x->n);
        }
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "warnings");
    json_begin_array(w);
    for (int i = 0; i < rep->nwarnings; i++)
        json_string(w, rep->warnings[i]);
    json_end_array(w);
}

/* ------------------------------------------------------------ the command */

static const opt_spec specs[] = {{"json", 0, OPT_OPTIONAL, 2}};

static int run(pa_ctx *ctx, int argc, char **argv)
{
    output out = {0};
    opts p;
    opts_begin(&p, ctx, "info", cmd_info.usage, specs, 1, argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        if (k == OPTS_STOP)
            return p.status;
        if (k == OPTS_ARG)
            return cmd_usage(ctx, "info", "unexpected argument '%s'", p.value);
        if (output_option(&out, &p))
            return p.status;
    }

    table t;
    int status = table_gather(ctx, &t);
    if (status)
        return status;
    if (pa_ctx_rank(ctx) != 0)
        return 0;

    /* Only rank 0 has the table; the other ranks are done. Nothing below
     * talks to them, so a failure here is rank 0's alone, reported and
     * returned as this rank's exit status. */
    report rep = {0};
    rep.nnodes = pa_ctx_nnodes(ctx);
    rep.emulated = pa_ctx_emulated(ctx);
    libraries(&rep);
    if (summarize(&rep, &t)) {
        status = cmd_fail(ctx, "info", "out of memory");
        goto out;
    }
    find_warnings(&rep, &t);
    info_results results = {&rep, &t};
    status = output_write_rank0(ctx, "info", &out, print_text, print_json, &results);
out:
    report_free(&rep);
    table_free(&t);
    return status;
}

const pa_cmd cmd_info = {
    .name = "info",
    .summary = "nodes, ranks, cores, BLAS threads and libraries of this job, with warnings",
    .usage = "usage: parray info [--json[=FILE]]\n"
             "       mpirun -n N parray info [--json[=FILE]]\n"
             "\n"
             "Reports the layout of the MPI job and what parray runs on, from rank 0:\n"
             "  - the ranks and nodes (emulated ones are marked), the ranks per node and\n"
             "    each node's host name and cores, and the machine under them (from\n"
             "    hwloc): its packages, NUMA nodes, physical cores and hardware threads\n"
             "    per core (SMT);\n"
             "  - for each rank: its node, node rank, host name, the cores it may run on\n"
             "    and their NUMA nodes, its planned BLAS threads and the threads the BLAS\n"
             "    reports in effect;\n"
             "  - the BLAS (openblas_get_config() and its threading model), the MPI\n"
             "    library and standard versions, the HDF5 version and whether it is\n"
             "    parallel, and parray's version;\n"
             "  - warnings: BLAS threads above a rank's cores, ranks x threads above a\n"
             "    node's cores, a rank whose cores span NUMA nodes, a thread count that\n"
             "    did not take effect, an OpenMP BLAS.\n"
             "\n"
             "Options:\n"
             "  --json       print the same as one JSON object on stdout instead\n"
             "  --json=FILE  the text on stdout, and the JSON object into FILE\n"
             "  --help       print this text\n"
             "\n"
             "JSON: {\"parray_version\", \"mpi_library\", \"mpi_version\",\n"
             "\"mpi_yield_when_idle\" (true, false or null: unknown), \"hdf5_version\",\n"
             "\"hdf5_parallel\", \"blas\": {\"config\", \"parallel\"}, \"ranks\", \"nodes\",\n"
             "\"emulated\" (PARRAY_RANKS_PER_NODE, or 0), \"node_list\": [{\"node\",\n"
             "\"hostname\", \"hostnames\", \"ranks\", \"cores\", \"packages\", \"numa_nodes\",\n"
             "\"physical_cores\", \"smt\", \"blas_threads\"}], \"rank_list\": [{\"rank\", \"node\",\n"
             "\"node_rank\", \"hostname\", \"cores\", \"numa\", \"launcher_cores\", \"affinity\",\n"
             "\"blas_threads\", \"blas_threads_in_effect\"}], \"warnings\": [text]}; cores\n"
             "are lists of CPU numbers, numa a list of NUMA node numbers.\n"
             "\n"
             "Environment: PARRAY_RANKS_PER_NODE=k splits the job into emulated nodes of\n"
             "k ranks; PARRAY_BLAS_THREADS=t sets the BLAS threads per rank.\n",
    .run = run,
};
