/* The bench harness's private parts, shared by its files and not by the
 * experiments: the run (struct bench), its figures, and the calls between
 * the harness's files. The harness is layered, each file calling only
 * those above it:
 *   bench_figures.c  failures, accessors, figures, targets, notes
 *   bench_kernels.c  the memory kernels (no state)
 *   bench_context.c  the machine and run that every JSON line carries
 *   bench_table.c    the table on stdout and the JSON lines
 *   bench_compare.c  --compare: the old file's figures against this run's
 *   bench_limits.c   the limits experiment and bench_limit
 *   bench_run.c      a run: bench_create, bench_run, bench_free
 */
#ifndef PARRAY_BENCH_PRIVATE_H
#define PARRAY_BENCH_PRIVATE_H

#include "bench.h"
#include "bench_load.h"

#define MSG_MAX 512
#define MAX_RATIOS 4

typedef struct {
    int ref;
    char label[32];
} ratio;

/* A figure's target (bench_target, bench_target_value). */
typedef struct {
    int set;
    int ref; /* a ratio to this figure, or -1: the value times scale */
    double scale;
    bench_bound bound;
    double x;
    char label[32]; /* ref's name, or the value's unit */
} target;

/* The CPU, from /proc/cpuinfo (x86 names; "CPU implementer" and "Model"
 * elsewhere): the kernels' speeds and some of their tuning depend on its
 * maker and model. Empty strings where the file does not say. */
typedef struct {
    char vendor[64], model[256], family[16], model_id[16], stepping[16];
} cpu_info;

typedef struct {
    char experiment[32];
    char method[64];
    double size;
    int size_elems;
    double work;
    int calls; /* > 0: the value is the time per call in us */
    char rate_unit[16];
    bench_role role;
    int n;
    double *t;               /* the measured times, s */
    double vmed, vmin, vmax; /* the value: time in s, or rate */
    int nratios;
    ratio ratios[MAX_RATIOS];
    target target;
} figure;

struct bench {
    pa_ctx *ctx;
    MPI_Comm comm, node_comm;
    int rank, size;
    bench_opts opts;
    char *cmdline;
    FILE *json;          /* rank 0 only */
    char *json_context;  /* rank 0: an object of the members that every JSON
                                   line carries (machine, layout, versions, ...) */
    cpu_info cpu;        /* rank 0: where the figures are measured */
    const char *expname; /* the experiment whose figures are being made */
    figure *figs;
    int nfigs, capfigs, printed;
    char **notes;
    int nnotes;
    int limit_fig[BENCH_NLIMITS];
    int limits_done;
    double rep_time;
    int rep_time_set;
    size_t blas_n[BENCH_MAX_N];
    int blas_nn;
    struct old_fig *old; /* --compare: the old file's figures, rank 0 */
    int nold;
    /* The load (bench_load.h), on rank 0's host: its ranks' communicator,
     * and on rank 0 the readings and verdicts. */
    MPI_Comm host_comm;
    int host_ranks, host_cores;
    double loadavg_start;
    bench_load_sample load0; /* rank 0: when the experiment began */
    double cpu0, wall0;      /* this rank's CPU time, rank 0's clock, then */
    bench_load load;         /* rank 0: the verdict on the last experiment */
    char busy_exps[256];     /* rank 0: the experiments that ran while busy */
    int unjudged;            /* rank 0: experiments too short to judge the others' CPU */
    char errmsg[MSG_MAX];
};

/* ------------------------------------------------------------ bench_figures.c */

/* Figure f's speed relative to figure ref: rates divide, times divide the
 * other way round, so that above 1 is faster either way. */
double bench_speed_vs(const bench *b, const figure *f, int ref);
/* The first ratio of f to a figure of the given role, or NAN. */
double bench_ratio_vs(const bench *b, const figure *f, bench_role role);
/* What f's target is measured on: the ratio or the scaled value. */
double bench_target_measured(const bench *b, const figure *f);
/* 1 met, 0 not met, -1 not measured (a NAN). */
int bench_target_met(const bench *b, const figure *f);
/* At the physical limit: within BENCH_AT_LIMIT of the limit, or above. */
int bench_at_limit(const bench *b, const figure *f);
/* "limit", "naive", "parray" or "other". */
const char *bench_role_name(bench_role r);

/* ------------------------------------------------------------ bench_context.c */

/* Not collective. The CPU from /proc/cpuinfo. */
void bench_read_cpu(cpu_info *c);
/* The shell-like command line "parray ARGS", quoted where needed; NULL
 * when out of memory. Free it. */
char *bench_join_cmdline(int argc, char **argv);
/* Collective. The "machine", "layout", "versions", "run" and "command"
 * members that every JSON line carries, built on rank 0 into
 * b->json_context. Returns 0 or -1 on every rank. */
int bench_make_json_context(bench *b);

/* ------------------------------------------------------------ bench_table.c */

/* A figure's value as the table prints it ("%.4g", "inf"). */
void bench_fmt_value(double v, char *buf, size_t len);
/* Rank 0: notes on the figures since the last output that run at or above
 * the physical limit. */
void bench_note_at_limit(bench *b);
/* Collective. Rank 0 prints the figures made since the last call, then the
 * notes; the JSON file gets one line per figure. Returns 0 or -1 on every
 * rank. */
int bench_flush_output(bench *b);

/* ------------------------------------------------------------ bench_compare.c */

/* Rank 0: reads the --compare file into b->old. Returns 0, or -1 after
 * bench_fail with the file and line. */
int bench_compare_read(bench *b);
void bench_compare_free(bench *b);

#endif
