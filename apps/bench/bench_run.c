/* A run of `parray bench`: its set-up (its own communicators, the CPU,
 * the JSON context and file, the --compare file), each experiment run
 * between two readings of the machine's load, and its end. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../agree.h"
#include "bench_private.h"

/* The message of the last failed bench_create, for bench_errmsg(NULL). */
static char create_errmsg[MSG_MAX];

const char *bench_errmsg(const bench *b)
{
    return b ? b->errmsg : create_errmsg;
}

/* The sizes the options give, for bench_create. */
static void set_blas_sizes(bench *b)
{
    static const size_t full[] = BENCH_BLAS_N, quick[] = BENCH_BLAS_N_QUICK;
    const size_t *src = b->opts.nn ? b->opts.n : b->opts.quick ? quick : full;
    int cnt = b->opts.nn      ? b->opts.nn
              : b->opts.quick ? (int)(sizeof quick / sizeof quick[0])
                              : (int)(sizeof full / sizeof full[0]);
    for (int i = 0; i < cnt && i < BENCH_MAX_N; i++)
        b->blas_n[i] = src[i];
    b->blas_nn = cnt < BENCH_MAX_N ? cnt : BENCH_MAX_N;
}

int bench_create(pa_ctx *ctx, const bench_opts *opts, int argc, char **argv, bench **out)
{
    *out = NULL;
    bench *b = calloc(1, sizeof *b);
    if (!agree_all_ok(pa_ctx_comm(ctx), b != NULL)) {
        snprintf(create_errmsg, sizeof create_errmsg, "out of memory");
        free(b);
        return -1;
    }
    b->ctx = ctx;
    b->opts = *opts;
    for (int k = 0; k < BENCH_NLIMITS; k++)
        b->limit_fig[k] = -1;
    /* The bench talks on its own duplicates, so that its messages can never
     * match the library's. An MPI failure inside a benchmark is fatal: the
     * methods it measures are plain MPI calls, and stopping the job beats
     * leaving a rank waiting in one. */
    MPI_Comm_dup(pa_ctx_comm(ctx), &b->comm);
    MPI_Comm_dup(pa_ctx_node_comm(ctx), &b->node_comm);
    MPI_Comm_set_errhandler(b->comm, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_set_errhandler(b->node_comm, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(b->comm, &b->rank);
    MPI_Comm_size(b->comm, &b->size);
    /* The ranks on rank 0's host (a real one, whatever nodes are emulated):
     * their CPU time is the bench's share of that host's load. Ordered by
     * job rank, so job rank 0 is the host's rank 0. */
    MPI_Comm_split_type(b->comm, MPI_COMM_TYPE_SHARED, b->rank, MPI_INFO_NULL, &b->host_comm);
    MPI_Comm_size(b->host_comm, &b->host_ranks);
    if (b->rank == 0) {
        bench_load_sample start;
        bench_load_read(bench_load_proc(), &start);
        b->loadavg_start = start.loadavg;
        b->host_cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    b->expname = "";
    set_blas_sizes(b);

    int rc = 0;
    if (b->rank == 0)
        bench_read_cpu(&b->cpu);
    b->cmdline = bench_join_cmdline(argc, argv);
    if (!b->cmdline)
        rc = bench_fail(b, "out of memory");
    if (bench_agree(b, rc) != 0 || bench_make_json_context(b) != 0)
        goto fail;
    if (b->rank == 0 && opts->compare)
        rc = bench_compare_read(b);
    if (bench_agree(b, rc) != 0)
        goto fail;
    if (b->rank == 0 && opts->json_stream) {
        b->json = opts->json_stream;
    } else if (b->rank == 0 && opts->json) {
        b->json = fopen(opts->json, "w");
        if (!b->json)
            rc = bench_fail(b, "--json %s: %s", opts->json, strerror(errno));
    }
    if (bench_agree(b, rc) != 0)
        goto fail;
    *out = b;
    return 0;

fail:
    snprintf(create_errmsg, sizeof create_errmsg, "%s", b->errmsg);
    bench_free(&b);
    return -1;
}

void bench_free(bench **bp)
{
    bench *b = *bp;
    if (!b)
        return;
    if (b->json && b->json != b->opts.json_stream)
        fclose(b->json);
    for (int i = 0; i < b->nfigs; i++)
        free(b->figs[i].t);
    free(b->figs);
    for (int i = 0; i < b->nnotes; i++)
        free(b->notes[i]);
    free(b->notes);
    free(b->cmdline);
    free(b->json_context);
    bench_compare_free(b);
    if (b->comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->comm);
    if (b->node_comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->node_comm);
    if (b->host_comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->host_comm);
    free(b);
    *bp = NULL;
}

/* This process's CPU time, all its threads (BLAS's too), in s. */
static double cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* Collective. The readings before an experiment. */
static void load_begin(bench *b)
{
    b->cpu0 = cpu_seconds();
    if (b->rank == 0) {
        bench_load_read(bench_load_proc(), &b->load0);
        b->wall0 = MPI_Wtime();
    }
}

/* Collective. The readings after it, and on rank 0 the verdict, with a note
 * when the machine was busy. */
static void load_end(bench *b, const char *name)
{
    double mine = cpu_seconds() - b->cpu0, ours = 0;
    MPI_Reduce(&mine, &ours, 1, MPI_DOUBLE, MPI_SUM, 0, b->host_comm);
    if (b->rank != 0)
        return;
    bench_load_sample after;
    bench_load_read(bench_load_proc(), &after);
    bench_load_judge(&b->load0, &after, ours, MPI_Wtime() - b->wall0,
                     (double)sysconf(_SC_CLK_TCK), b->host_cores, b->host_ranks, &b->load);
    b->unjudged += isnan(b->load.others);
    if (!b->load.busy)
        return;
    char why[256];
    bench_load_describe(&b->load, why, sizeof why);
    bench_note(b,
               "load: BUSY during %s: %s; these figures are noise, not a verdict: measure "
               "on a quiet machine",
               name, why);
    size_t len = strlen(b->busy_exps);
    snprintf(b->busy_exps + len, sizeof b->busy_exps - len, "%s%s", len ? ", " : "", name);
}

int bench_run(bench *b, const bench_experiment *e)
{
    b->expname = e->name;
    load_begin(b);
    int rc = e->run(b);
    /* run agreed on rc already; print what was measured either way. */
    if (b->rank == 0)
        bench_note_at_limit(b);
    load_end(b, e->name);
    int out = bench_flush_output(b);
    b->expname = "";
    return rc != 0 ? -1 : out;
}
