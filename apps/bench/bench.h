/* The `parray bench` harness: a registry of experiments, repetitions timed
 * across the ranks, figures with median/min/max and ratios to reference
 * figures, and their output as a table (stdout, rank 0) and as JSON Lines.
 * An experiment is one file with one bench_experiment and one entry in the
 * registry, bench_experiments.c. The harness's own files are listed in
 * bench_private.h. */
#ifndef PARRAY_BENCH_H
#define PARRAY_BENCH_H

#include <stddef.h>
#include <stdio.h>
#include <mpi.h>
#include "parray.h"

typedef struct bench bench; /* one run of `parray bench` */

/* One experiment. run is collective over the job: every rank calls it and
 * it returns the same value on every rank, 0 or -1 after bench_fail and
 * bench_agree (see below). A skipped experiment says why with bench_note
 * and returns 0. */
typedef struct {
    const char *name;        /* what `parray bench NAME` selects */
    const char *description; /* one line for --list and --help */
    int (*run)(bench *b);
} bench_experiment;

/* The registered experiments, in the order `parray bench` runs them. */
extern const bench_experiment bench_limits;      /* bench_limits.c */
extern const bench_experiment bench_share;       /* bench_share.c */
extern const bench_experiment bench_io;          /* bench_io.c */
extern const bench_experiment bench_blas;        /* bench_blas.c */
extern const bench_experiment bench_init;        /* bench_init.c */
extern const bench_experiment bench_elementwise; /* bench_elementwise.c */
extern const bench_experiment bench_latency;     /* bench_latency.c */
extern const bench_experiment bench_dtypes;      /* bench_dtypes.c */
extern const bench_experiment bench_order;       /* bench_order.c */
extern const bench_experiment bench_redist;      /* bench_redist.c */
extern const bench_experiment bench_broadcast;   /* bench_broadcast.c */
extern const bench_experiment bench_axes;        /* bench_axes.c */

extern const bench_experiment *const bench_experiments[];
extern const int bench_nexperiments;

/* The default problem sizes, full and under --quick (about a tenth, and
 * still several times larger than the caches). The limits have one size. */
#define BENCH_SHARE_BYTES ((size_t)800000000)
#define BENCH_SHARE_BYTES_QUICK ((size_t)80000000)
#define BENCH_IO_BYTES ((size_t)1 << 30)
#define BENCH_IO_BYTES_QUICK ((size_t)100 << 20)
#define BENCH_INIT_ELEMS ((size_t)50000000)
#define BENCH_INIT_ELEMS_QUICK ((size_t)10000000)
#define BENCH_EW_ELEMS ((size_t)100000000)
#define BENCH_EW_ELEMS_QUICK ((size_t)10000000)
#define BENCH_LATENCY_ELEMS ((size_t)100000) /* the second size; the first is 1000 */
/* clang-format off */
#define BENCH_BLAS_N {2048, 4096}
#define BENCH_BLAS_N_QUICK {1024}
/* clang-format on */
#define BENCH_LIMITS_BYTES ((size_t)240000000) /* at least; see bench_limits_bytes */
#define BENCH_REPS 5
#define BENCH_WARMUP 2
#define BENCH_REPS_QUICK 3
#define BENCH_WARMUP_QUICK 1
#define BENCH_MAX_N 8 /* sizes in --n */

/* The options of a run, as cmd_bench.c parsed them. A zero size means "not
 * given": each experiment takes its default (bench_bytes, bench_elems,
 * bench_blas_sizes). */
typedef struct {
    int quick;             /* --quick: the smaller defaults */
    size_t bytes;          /* --bytes: share and io */
    size_t csv_bytes;      /* --csv-bytes: io's CSV file (0: scaled with io's size) */
    size_t size;           /* --size: elements per array per node, init, elementwise, order;
                     latency: the second size, elements per array */
    size_t n[BENCH_MAX_N]; /* --n: blas matrix orders */
    int nn;                /* how many in n; 0: the default */
    int cold;              /* --cold: io drops the page cache before each read */
    int reps;              /* measured repetitions per figure (>= 1) */
    int warmup;            /* unmeasured repetitions before them (>= 0) */
    const char *json;      /* --json's FILE (or "stdout" with json_stream), or NULL */
    int json_stdout;       /* --json alone: the JSON lines on stdout */
    FILE *json_stream;     /* rank 0: with --json alone, where the JSON lines go
                          * (the program's stdout; not closed), else NULL */
    const char *compare;   /* --compare OLD.json, or NULL */
    double threshold;      /* --threshold: a change worse than this %% is a regression */
} bench_opts;

/* Collective. Sets up a run (its own duplicates of parray's job and node
 * communicators, the versions, the JSON file opened on rank 0) and frees
 * it. argc/argv is the command line recorded in the JSON. On failure
 * returns -1 on every rank with the message in bench_errmsg(NULL). */
int bench_create(pa_ctx *ctx, const bench_opts *opts, int argc, char **argv, bench **out);
void bench_free(bench **b);

/* Collective. Runs one experiment and prints its rows (and notes) when it
 * returns; writes its JSON lines. Returns 0, or -1 on every rank with the
 * message in bench_errmsg. */
int bench_run(bench *b, const bench_experiment *e);

/* Collective. Prints the header of the table from rank 0: the layout,
 * reps and warm-up, and the sizes the chosen experiments will use (and
 * under --quick how they were scaled down). */
void bench_print_header(bench *b, const bench_experiment *const *chosen, int nchosen);

/* Collective. With --compare: prints, from rank 0, each figure of this run
 * against the figure with the same experiment, method, size and rank count
 * in the old file (old and new median and min..max, the change), flags as
 * REGRESSION the changes worse than the threshold whose min..max ranges do
 * not overlap, and lists the figures found on one side only. The old file
 * is read and checked by bench_create, so a bad file fails before anything
 * runs. Returns the number of regressions (the same on every rank); 0
 * without --compare. */
int bench_compare(bench *b);

/* Not collective but call it on every rank alike. Prints, from rank 0, one
 * line on the machine's load over the run: quiet, or which experiments ran
 * while it was busy (bench_load.h). */
void bench_print_load(bench *b);

/* Not collective. Accessors. */
pa_ctx *bench_ctx(const bench *b);
MPI_Comm bench_comm(const bench *b);      /* the bench's job communicator */
MPI_Comm bench_node_comm(const bench *b); /* the bench's node communicator */
const bench_opts *bench_options(const bench *b);
/* --bytes, else full or (under --quick) quick. */
size_t bench_bytes(const bench *b, size_t full, size_t quick);
/* --size, else full or (under --quick) quick. */
size_t bench_elems(const bench *b, size_t full, size_t quick);
/* The blas matrix orders: --n, else the full or quick default. Returns how
 * many (at most BENCH_MAX_N) and points *n at them. */
int bench_blas_sizes(const bench *b, const size_t **n);
const char *bench_errmsg(const bench *b); /* NULL: of bench_create */

/* ------------------------------------------------------------ figures */

/* How the per-rank times of one repetition combine into the figure's
 * sample. The default is the slowest rank: a step is done when every rank
 * is done. */
typedef enum { BENCH_MAX = 0, BENCH_MIN, BENCH_RANK0 } bench_combine;

/* What a figure stands for. The table's "vs limit" and "vs naive" columns
 * show a figure's ratios (bench_ratio) to figures of role LIMIT and NAIVE.
 * With BENCH_AUTO the method decides: "limit..." is a limit, "naive..." is
 * naive, anything else is parray's. */
typedef enum { BENCH_AUTO = 0, BENCH_LIMIT, BENCH_NAIVE, BENCH_PARRAY, BENCH_OTHER } bench_role;

/* What a figure measures. With work > 0 the figure's value is a rate,
 * work / 1e9 per second in rate_unit ("GB/s" with work in bytes, "GFLOP/s"
 * with work in flops); with work == 0 the value is the time in s, or with
 * calls > 0 the time of one call in microseconds ("us"): a repetition that
 * makes calls calls, divided by calls. */
typedef struct {
    const char *method;    /* "MPI_Send/Recv", "triad a=b+s*c" */
    double size;           /* the problem size shown in the size column */
    int size_elems;        /* size counts elements (1) or bytes (0) */
    double work;           /* per repetition; 0 for a time figure */
    const char *rate_unit; /* default "GB/s" when work > 0 */
    int calls;             /* > 0: calls per repetition, the value per call in us */
    bench_combine combine;
    bench_role role;
    /* Optional, called untimed on every rank before each repetition (after
     * the previous one ended on every rank). Returns 0 or -1 after
     * bench_fail. */
    int (*prepare)(bench *b, void *arg, int rep);
} bench_spec;

/* One timed repetition, run on every rank. It must make the same
 * collective calls in the same order on every rank whatever happens:
 * on a failure it records it with bench_fail, goes on with its collective
 * calls, and returns -1. rep counts from 0 over warm-up and measured
 * repetitions together. */
typedef int (*bench_fn)(bench *b, void *arg, int rep);

/* Collective. Runs fn warmup + reps times. Each repetition: prepare (not
 * timed), an agreement that also synchronises the ranks, then fn timed
 * with MPI_Wtime on each rank, then one allreduce that combines the times
 * (spec->combine) and the failure flags. Stops at the first failed
 * repetition. On success adds a figure and sets *fig to its index (fig may
 * be NULL). Returns 0, or -1 on every rank (message in bench_errmsg). */
int bench_time(bench *b, const bench_spec *spec, bench_fn fn, void *arg, int *fig);

/* Collective. bench_time for n figures measured side by side: every
 * repetition runs step i (specs[i], fns[i] with args[i]) for each i, in
 * forward order on even repetitions and backward on odd ones, so that a
 * drift of the machine (another tenant, memory the host took back) falls
 * on all of them alike and their ratios stay fair. figs[i] (figs may be
 * NULL) gets step i's figure. */
int bench_time_steps(bench *b, const bench_spec *specs, const bench_fn *fns, void *const *args,
                     int n, int *figs);

/* Not collective but call it on every rank alike. Inside fn: overrides
 * this rank's time for the current repetition (for experiments that time
 * a phase themselves). */
void bench_set_time(bench *b, double seconds);

/* Collective. Adds a figure from samples measured another way (already
 * combined over the ranks, the same on every rank), e.g. a one-off first
 * touch. */
int bench_record(bench *b, const bench_spec *spec, const double *seconds, int n, int *fig);

/* Not collective but call it on every rank alike. Adds to figure fig its
 * speed relative to figure ref (the same kind of unit): the ratio of the
 * median rates, or for times the inverse ratio (ref's time over fig's), so
 * that above 1 always means fig is faster. Shown in the "vs limit" or "vs
 * naive" column by ref's role; label names ref in the JSON. */
void bench_ratio(bench *b, int fig, int ref, const char *label);

/* Not collective but call it on every rank alike. A target that figure fig
 * should reach, shown in the table's "target" column as met or not met,
 * and in the JSON. bench_target: fig's speed relative to figure ref (as
 * bench_ratio: above 1 is faster) at least or at most x; label names ref
 * ("raw write"). bench_target_value: fig's median times scale (nodes for a
 * total, 1/ranks for per rank) at least x; unit names what that is ("GB/s
 * total"). A figure has at most one target; a second replaces the first. */
typedef enum { BENCH_AT_LEAST = 0, BENCH_AT_MOST } bench_bound;
void bench_target(bench *b, int fig, int ref, bench_bound bound, double x, const char *label);
void bench_target_value(bench *b, int fig, double scale, double x, const char *unit);
/* bench_target_value with the bound given: BENCH_AT_MOST for a time
 * ("<=10 us/call"). */
void bench_target_value_bound(bench *b, int fig, double scale, bench_bound bound, double x,
                              const char *unit);
/* bench_ratio and bench_target at least x, both against ref under one
 * label: how a figure timed beside its limit or baseline is judged. */
void bench_ratio_at_least(bench *b, int fig, int ref, double x, const char *label);

/* A figure at this share of its limit or above is at the physical limit:
 * the table says so, and a target it misses is out of this machine's reach. */
#define BENCH_AT_LIMIT 0.95

/* Not collective but call it on every rank alike. A line printed (by rank
 * 0) under the experiment's rows: the setting, a caveat. */
void bench_note(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The median value of a figure (in its unit). */
double bench_value(const bench *b, int fig);

/* ------------------------------------------------------------ failures */

/* Not collective. Records this rank's failure message and returns -1. */
int bench_fail(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Not collective. A failed parray call of the running experiment:
 * bench_fail with "EXPERIMENT: what: " and the library's message.
 * bench_pa_ok does that when rc is not PA_OK, and returns 0 when it is. */
int bench_pa_fail(bench *b, const char *what);
int bench_pa_ok(bench *b, int rc, const char *what);

/* Collective. Agrees on rc (0 or -1) over the job: returns -1 on every
 * rank if any rank passed -1, and then every rank holds the message of the
 * lowest failing rank. */
int bench_agree(bench *b, int rc);

/* ------------------------------------------------------------ limits */

/* This machine's limits, measured once per run on first use (collective):
 * STREAM triad and read-only sum, in GB/s per node. */
typedef enum { BENCH_LIMIT_TRIAD, BENCH_LIMIT_READ, BENCH_NLIMITS } bench_limit_kind;

/* Collective. The figure index of a limit, measuring the limits first if
 * this run has not yet. Returns 0 or -1 on every rank. */
int bench_limit(bench *b, bench_limit_kind kind, int *fig);

/* The limits' size without --size: STREAM's rule, 3 arrays together at
 * least 4 times the last-level cache, and at least BENCH_LIMITS_BYTES. */
size_t bench_limits_bytes(void);

/* ------------------------------------------------------------ kernels */

/* Not collective. Sum of x[0..n): several vector accumulators, so the
 * read is limited by memory, not by the latency of one add chain. */
double bench_sum(const double *x, size_t n);

/* The vector width of bench_sum and bench_triad on this CPU, in words. */
const char *bench_vector_width(void);

/* Not collective. z[i] = a[i] * b[i] + c[i] with streaming stores: the
 * reference that pa_eval's z = a*b + c is measured beside. */
void bench_fma_stream(double *restrict z, const double *restrict a, const double *restrict b,
                      const double *restrict c, size_t n);

/* Not collective. z[i] = s * x[i] with streaming stores: one read and one
 * write, the limit of an expression's traffic with one full-size operand. */
void bench_scale_stream(double *restrict z, const double *restrict x, double s, size_t n);

/* Not collective. a[i] = b[i] + s * c[i], the STREAM triad. */
void bench_triad(double *restrict a, const double *restrict b, const double *restrict c, double s,
                 size_t n);

/* ------------------------------------------------------------ helpers */

/* Not collective. A human size: "800 MB", "1 GiB", "100 M elem". */
void bench_size_str(double size, int elems, char *buf, size_t len);

#endif
