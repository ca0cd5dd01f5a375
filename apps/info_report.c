/* `parray info`'s report, on rank 0: the node summary from the table, the
 * versions of the libraries parray runs on, and warnings about layouts
 * that waste cores. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "info.h"
#include "strbuf.h"

static const char *parallel_name(int model)
{
    switch (model) {
    case 0: return "sequential";
    case 1: return "pthreads";
    case 2: return "OpenMP";
    default: return "unknown";
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
    strbuf b = {0};
    if (v)
        strbuf_ranges(&b, v, n);
    else
        strbuf_printf(&b, "%d and others", r0);
    free(v);
    *count = n;
    return strbuf_take(&b);
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
            if (strcmp(CELL(t, q, COL_HOST).s, host) == 0 && c->n > 0 &&
                c->cpus[c->n - 1] > maxcpu)
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
        warn(rep,
             "rank%s %s: the BLAS runs %d thread%s, but the plan is %d: the setting did "
             "not take effect",
             many > 1 ? "s" : "", who, effect, effect == 1 ? "" : "s", planned);
        free(who);
    }

    /* What the plan itself found on each rank: the BLAS build, and an
     * affinity the kernel refused. (Thread counts are checked above.) */
    static const int plan_bits[] = {PA_BLAS_WARN_OPENMP, PA_BLAS_WARN_NOT_OPENBLAS,
                                    PA_BLAS_WARN_AFFINITY, PA_BLAS_WARN_MEMBIND};
    for (size_t b = 0; b < sizeof plan_bits / sizeof plan_bits[0]; b++) {
        strbuf who = {0};
        int count = 0;
        for (int r = 0; r < n; r++)
            if (CELL(t, r, COL_PLAN_WARN).i & plan_bits[b])
                strbuf_printf(&who, "%s%d", count++ ? "," : "", r);
        char *list = strbuf_take(&who);
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

void info_report_free(report *rep)
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

int info_report_make(const pa_ctx *ctx, const table *t, report *rep)
{
    rep->nnodes = pa_ctx_nnodes(ctx);
    rep->emulated = pa_ctx_emulated(ctx);
    libraries(rep);
    if (summarize(rep, t))
        return 1;
    find_warnings(rep, t);
    return 0;
}
