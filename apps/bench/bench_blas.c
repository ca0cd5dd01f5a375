/* The blas experiment (concern 2): n x n dgemm, C = A B, as GFLOP/s.
 *   limit: job rank 0 alone on all its machine's usable cores with plain
 *          OpenBLAS (threads = cores) while every other rank sleeps;
 *   naive, launcher binding: each rank multiplies its stripe of rows with
 *          OpenBLAS's default thread count under the launcher's binding;
 *   naive, MPI_Barrier: rank 0 on all cores while the others wait in
 *          MPI_Barrier (which spins);
 *   parray split and parray lend: pa_matmul in each mode.
 * The five are measured side by side (bench_time_steps): every repetition
 * runs each once, with its own threads and affinity set untimed first, so
 * that the ratios compare figures taken under the same machine state (the
 * limit alone moved by 6% between runs a minute apart).
 * Sizes: --n (default 2048,4096; 1024 under --quick). */
#include <cblas.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "../num.h"

#define MAX_CPUS 1024

typedef struct {
    pa_ctx *ctx;
    MPI_Comm comm;
    int rank, size;
    size_t n;
    double *a, *b, *c; /* private n x n (a, c: this rank's stripe for naive) */
    size_t r0, rows;   /* this rank's stripe */
    double est;        /* rank 0's estimate of one limit repetition, s */
    pa_array *A, *B, *C;
    pa_matmul_opts opts;
    pa_blas_plan plan;     /* as pa_init made it */
    int allowed[MAX_CPUS]; /* the machine's usable cores, for the limit */
    int nallowed;
} blas;

/* Binds every thread of this process to cpus (the bench sets the limit's
 * affinity itself: it is not parray's plan). */
static int bind_all(const int *cpus, int n)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < n; i++)
        CPU_SET(cpus[i], &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        return -1;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    struct dirent *e;
    uint64_t tid;
    while ((e = readdir(d)) != NULL)
        if (num_uint("task", e->d_name, 1, INT32_MAX, &tid, NULL, 0) == 0)
            (void)sched_setaffinity((pid_t)tid, sizeof set, &set);
    closedir(d);
    return 0;
}

static void fill(double *x, size_t count, size_t offset)
{
    for (size_t i = 0; i < count; i++)
        x[i] = (double)((i + offset) % 97) / 97.0 - 0.5;
}

static void dgemm_rows(const blas *S, size_t rows)
{
    int n = (int)S->n;
    if (rows)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, n, n, 1.0, S->a, n,
                    S->b, n, 0.0, S->c, n);
}

/* A step's setting of threads and affinity, made untimed before each of
 * its repetitions (the steps alternate, so each sets its own). */
typedef enum { SET_LIMIT, SET_NAIVE, SET_PLAN } setting;

typedef struct {
    blas *S;
    setting set;
    pa_matmul_mode mode; /* for the parray steps */
} step;

static int limit_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    blas *S = ((step *)arg)->S;
    if (S->rank == 0) {
        double t0 = MPI_Wtime();
        dgemm_rows(S, S->n);
        bench_set_time(b, MPI_Wtime() - t0);
    } else {
        /* Asleep, not polling: rank 0 is alone on the machine. */
        double s = S->est * 1.2 + 0.005;
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int naive_split_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    blas *S = ((step *)arg)->S;
    dgemm_rows(S, S->rows);
    return 0;
}

static int barrier_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    blas *S = ((step *)arg)->S;
    if (S->rank == 0)
        dgemm_rows(S, S->n);
    MPI_Barrier(S->comm);
    return 0;
}

static int step_prepare(bench *b, void *arg, int rep)
{
    (void)rep;
    step *st = arg;
    blas *S = st->S;
    switch (st->set) {
    case SET_LIMIT: /* rank 0 alone on every usable core of its machine */
        if (S->rank == 0) {
            if (bind_all(S->allowed, S->nallowed) != 0)
                return bench_fail(b, "blas: sched_setaffinity to all %d cores failed",
                                  S->nallowed);
            openblas_set_num_threads(S->nallowed);
        }
        return 0;
    case SET_NAIVE: /* the launcher's binding and OpenBLAS's default threads */
        if (pa_blas_set_affinity(S->ctx, 1) != PA_OK)
            return bench_fail(b, "blas: %s", pa_errmsg(S->ctx));
        openblas_set_num_threads(S->plan.threads_default);
        return 0;
    default: /* the plan as pa_init made it */
        if (pa_blas_set_affinity(S->ctx, S->plan.keep) != PA_OK ||
            pa_blas_set_threads(S->ctx, S->plan.threads) != PA_OK)
            return bench_fail(b, "blas: %s", pa_errmsg(S->ctx));
        S->opts.mode = st->mode;
        return 0;
    }
}

static int parray_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    blas *S = ((step *)arg)->S;
    if (pa_matmul(S->C, S->A, S->B, &S->opts) != PA_OK)
        return bench_fail(b, "blas: pa_matmul: %s", pa_errmsg(S->ctx));
    return 0;
}

/* Collective. The private arrays of the naive steps (rank 0 holds all of
 * A and C, the others their stripe) and parray's arrays, filled alike. */
static int make_arrays(bench *b, blas *S)
{
    size_t n = S->n;
    int rc = 0;
    S->r0 = n * (size_t)S->rank / (size_t)S->size;
    S->rows = n * (size_t)(S->rank + 1) / (size_t)S->size - S->r0;
    size_t arows = S->rank == 0 ? n : S->rows;
    if (pa_mem_check(S->ctx, (2 * arows + n) * n * sizeof(double), "blas: the naive matrices") !=
        PA_OK) {
        bench_fail(b, "blas: %s", pa_errmsg(S->ctx));
        return bench_agree(b, -1);
    }
    S->a = malloc(arows * n * sizeof(double));
    S->b = malloc(n * n * sizeof(double));
    S->c = malloc(arows * n * sizeof(double));
    if (!S->a || !S->b || !S->c)
        rc = bench_fail(b, "blas: out of memory for n = %zu", n);
    else {
        fill(S->a, arows * n, S->rank == 0 ? 0 : S->r0 * n);
        fill(S->b, n * n, 7);
        memset(S->c, 0, arows * n * sizeof(double));
    }
    if ((rc = bench_agree(b, rc)) != 0)
        return rc;
    size_t shape[2] = {n, n};
    pa_ctx *ctx = S->ctx;
    int prc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &S->A);
    if (prc == PA_OK)
        prc = pa_array_create(ctx, PA_F64, 2, shape, PA_REPLICATED, &S->B);
    if (prc == PA_OK)
        prc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &S->C);
    if (prc != PA_OK)
        return bench_agree(b, bench_fail(b, "blas: %s", pa_errmsg(ctx)));
    pa_span sp;
    pa_array_local(S->A, &sp);
    fill(sp.ptr, sp.count, sp.offset);
    pa_array_local(S->B, &sp);
    fill(sp.ptr, sp.count, sp.offset + 7);
    pa_array_sync(S->A);
    pa_array_sync(S->B);
    S->opts = (pa_matmul_opts)PA_MATMUL_OPTS_INIT;
    return 0;
}

static int one_size(bench *b, blas *S)
{
    pa_ctx *ctx = S->ctx;
    size_t n = S->n;
    double work = 2.0 * (double)n * (double)n * (double)n;
    int rc = make_arrays(b, S);
    if (rc != 0)
        goto out;

    pa_blas_plan_get(ctx, &S->plan);
    S->nallowed = pa_blas_plan_cores(ctx, PA_CORES_ALLOWED, S->allowed, MAX_CPUS);
    if (S->nallowed > MAX_CPUS)
        S->nallowed = MAX_CPUS;

    /* The limit's time, for how long the others sleep through it: rank 0
     * warms up and measures while they wait quietly. */
    step lim = {S, SET_LIMIT, PA_MATMUL_AUTO};
    rc = step_prepare(b, &lim, 0);
    if (S->rank == 0 && rc == 0) {
        double t0 = MPI_Wtime();
        dgemm_rows(S, n);
        S->est = MPI_Wtime() - t0;
    }
    pa_wait_quiet(ctx, S->comm);
    MPI_Bcast(&S->est, 1, MPI_DOUBLE, 0, S->comm);
    if ((rc = bench_agree(b, rc)) != 0)
        goto restore;

    /* The five figures side by side: each repetition runs every step. */
    char lim_label[96], naive_label[96], split_label[96], lend_label[96];
    snprintf(lim_label, sizeof lim_label, "limit: rank 0 alone, %d threads on %d cores",
             S->nallowed, S->nallowed);
    snprintf(naive_label, sizeof naive_label,
             "naive: row stripes, launcher binding, %d thread%s/rank", S->plan.threads_default,
             S->plan.threads_default == 1 ? "" : "s");
    snprintf(split_label, sizeof split_label, "parray split: %d thread%s/rank on its share",
             S->plan.threads, S->plan.threads == 1 ? "" : "s");
    snprintf(lend_label, sizeof lend_label, "parray lend: leader on %d cores, peers wait quietly",
             S->plan.nnode);
    step steps[5] = {
        lim,
        {S, SET_LIMIT, PA_MATMUL_AUTO},
        {S, SET_NAIVE, PA_MATMUL_AUTO},
        {S, SET_PLAN, PA_MATMUL_SPLIT},
        {S, SET_PLAN, PA_MATMUL_LEND},
    };
    const char *labels[5] = {lim_label, "naive: rank 0 on all cores, others in MPI_Barrier",
                             naive_label, split_label, lend_label};
    const bench_fn fns[5] = {limit_rep, barrier_rep, naive_split_rep, parray_rep, parray_rep};
    bench_spec specs[5];
    void *args[5];
    for (int i = 0; i < 5; i++) {
        specs[i] = (bench_spec){.method = labels[i],
                                .size = (double)n,
                                .size_elems = 1,
                                .work = work,
                                .rate_unit = "GFLOP/s",
                                .prepare = step_prepare,
                                .combine = i < 2 ? BENCH_RANK0 : BENCH_MAX};
        args[i] = &steps[i];
    }
    int f[5];
    rc = bench_time_steps(b, specs, fns, args, 5, f);

restore:
    /* Back to the plan as pa_init made it. */
    pa_blas_set_affinity(ctx, S->plan.keep);
    pa_blas_set_threads(ctx, S->plan.threads);
    if (rc != 0)
        goto out;
    int flimit = f[0], fbar = f[1], fnaive = f[2], fsplit = f[3], flend = f[4];
    bench_ratio(b, fbar, flimit, "limit");
    bench_ratio(b, fnaive, flimit, "limit");
    bench_ratio_at_least(b, fsplit, flimit, 0.95, "limit");
    bench_ratio_at_least(b, flend, flimit, 0.95, "limit");
    /* Each parray mode against the naive way it replaces. */
    bench_ratio(b, fsplit, fnaive, "naive stripes");
    bench_ratio(b, flend, fbar, "naive MPI_Barrier");
    bench_note(b, "blas n=%zu: auto picks %s here", n,
               pa_matmul_mode_name(pa_matmul_auto(ctx, n, n, n)));
out:
    free(S->a);
    free(S->b);
    free(S->c);
    S->a = S->b = S->c = NULL;
    pa_array_free(&S->A);
    pa_array_free(&S->B);
    pa_array_free(&S->C);
    return rc;
}

static int blas_run(bench *b)
{
    blas S = {0};
    S.ctx = bench_ctx(b);
    S.comm = bench_comm(b);
    MPI_Comm_rank(S.comm, &S.rank);
    MPI_Comm_size(S.comm, &S.size);
    const size_t *sizes;
    int count = bench_blas_sizes(b, &sizes);
    bench_note(b,
               "blas: limit and MPI_Barrier rows time rank 0; the others the slowest rank; "
               "%d rank%s, %d node%s",
               S.size, S.size == 1 ? "" : "s", pa_ctx_nnodes(S.ctx),
               pa_ctx_nnodes(S.ctx) == 1 ? "" : "s");
    for (int i = 0; i < count; i++) {
        S.n = sizes[i];
        if (one_size(b, &S) != 0)
            return -1;
    }
    return 0;
}

const bench_experiment bench_blas = {
    .name = "blas",
    .description = "n x n dgemm: one process on all cores, naive MPI ways, parray split "
                   "and lend (GFLOP/s)",
    .run = blas_run,
};
