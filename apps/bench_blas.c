/* The blas experiment (concern 2): n x n dgemm, C = A B, as GFLOP/s.
 *   limit: job rank 0 alone on all its machine's usable cores with plain
 *          OpenBLAS (threads = cores) while every other rank sleeps;
 *   naive, launcher binding: each rank multiplies its stripe of rows with
 *          OpenBLAS's default thread count under the launcher's binding;
 *   naive, MPI_Barrier: rank 0 on all cores while the others wait in
 *          MPI_Barrier (which spins);
 *   parray split and parray lend: pa_matmul in each mode.
 * Sizes: --n (default 2048,4096; 1024 under --quick). */
#include <cblas.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

typedef struct {
    pa_ctx *ctx;
    MPI_Comm comm;
    int rank, size;
    size_t n;
    double *a, *b, *c;      /* private n x n (a, c: this rank's stripe for naive) */
    size_t r0, rows;        /* this rank's stripe */
    double est;             /* rank 0's estimate of one limit repetition, s */
    pa_array *A, *B, *C;
    pa_matmul_opts opts;
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
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            (void)sched_setaffinity(atoi(e->d_name), sizeof set, &set);
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

static int limit_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    blas *S = arg;
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
    blas *S = arg;
    dgemm_rows(S, S->rows);
    return 0;
}

static int barrier_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    blas *S = arg;
    if (S->rank == 0)
        dgemm_rows(S, S->n);
    MPI_Barrier(S->comm);
    return 0;
}

static int parray_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    blas *S = arg;
    if (pa_matmul(S->C, S->A, S->B, &S->opts) != PA_OK)
        return bench_fail(b, "blas: pa_matmul: %s", pa_errmsg(S->ctx));
    return 0;
}

static int one_size(bench *b, blas *S)
{
    pa_ctx *ctx = S->ctx;
    size_t n = S->n;
    double work = 2.0 * (double)n * (double)n * (double)n;
    int rc = 0, ncpu;
    S->r0 = n * (size_t)S->rank / (size_t)S->size;
    S->rows = n * (size_t)(S->rank + 1) / (size_t)S->size - S->r0;
    size_t arows = S->rank == 0 ? n : S->rows;
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
        goto out;

    pa_blas_plan plan;
    pa_blas_plan_get(ctx, &plan);
    int allowed[1024];
    ncpu = pa_blas_plan_cores(ctx, PA_CORES_ALLOWED, allowed, 1024);
    if (ncpu > 1024)
        ncpu = 1024;
    char label[96];

    /* The limit: rank 0 alone on every usable core of its machine. */
    if (S->rank == 0) {
        bind_all(allowed, ncpu);
        openblas_set_num_threads(ncpu);
        double t0 = MPI_Wtime();
        dgemm_rows(S, n); /* warm and estimate, while the others wait quietly */
        S->est = MPI_Wtime() - t0;
    }
    pa_wait_quiet(ctx, S->comm);
    MPI_Bcast(&S->est, 1, MPI_DOUBLE, 0, S->comm);
    snprintf(label, sizeof label, "limit: rank 0 alone, %d threads on %d cores", ncpu, ncpu);
    bench_spec limit = {.method = label, .size = (double)n, .size_elems = 1, .work = work,
                        .rate_unit = "GFLOP/s", .combine = BENCH_RANK0};
    int flimit, fbar, fnaive, fsplit, flend;
    if ((rc = bench_time(b, &limit, limit_rep, S, &flimit)) != 0)
        goto restore;

    /* The naive leader: the same, while the others spin in MPI_Barrier. */
    bench_spec bar = {.method = "naive: rank 0 on all cores, others in MPI_Barrier",
                      .size = (double)n, .size_elems = 1, .work = work, .rate_unit = "GFLOP/s",
                      .combine = BENCH_RANK0};
    if ((rc = bench_time(b, &bar, barrier_rep, S, &fbar)) != 0)
        goto restore;

    /* Naive split: the launcher's binding and OpenBLAS's default threads. */
    pa_blas_set_affinity(ctx, 1);
    openblas_set_num_threads(plan.threads_default);
    snprintf(label, sizeof label, "naive: row stripes, launcher binding, %d thread%s/rank",
             plan.threads_default, plan.threads_default == 1 ? "" : "s");
    bench_spec naive = {.method = label, .size = (double)n, .size_elems = 1, .work = work,
                        .rate_unit = "GFLOP/s"};
    rc = bench_time(b, &naive, naive_split_rep, S, &fnaive);

restore:
    /* Back to the plan as pa_init made it. */
    pa_blas_set_affinity(ctx, plan.keep);
    pa_blas_set_threads(ctx, plan.threads);
    if (rc != 0)
        goto out;
    free(S->a);
    free(S->b);
    free(S->c);
    S->a = S->b = S->c = NULL;

    size_t shape[2] = {n, n};
    rc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &S->A);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, PA_F64, 2, shape, PA_REPLICATED, &S->B);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &S->C);
    if (rc != PA_OK) {
        bench_fail(b, "blas: %s", pa_errmsg(ctx));
        rc = bench_agree(b, -1);
        goto out;
    }
    pa_span sp;
    pa_array_local(S->A, &sp);
    fill(sp.ptr, sp.count, sp.offset);
    pa_array_local(S->B, &sp);
    fill(sp.ptr, sp.count, sp.offset + 7);
    pa_array_sync(S->A);
    pa_array_sync(S->B);

    S->opts = (pa_matmul_opts)PA_MATMUL_OPTS_INIT;
    S->opts.mode = PA_MATMUL_SPLIT;
    snprintf(label, sizeof label, "parray split: %d thread%s/rank on its share", plan.threads,
             plan.threads == 1 ? "" : "s");
    bench_spec split = {.method = label, .size = (double)n, .size_elems = 1, .work = work,
                        .rate_unit = "GFLOP/s"};
    if ((rc = bench_time(b, &split, parray_rep, S, &fsplit)) != 0)
        goto out;
    S->opts.mode = PA_MATMUL_LEND;
    char label2[96];
    snprintf(label2, sizeof label2, "parray lend: leader on %d cores, peers wait quietly",
             plan.nnode);
    bench_spec lend = {.method = label2, .size = (double)n, .size_elems = 1, .work = work,
                       .rate_unit = "GFLOP/s"};
    if ((rc = bench_time(b, &lend, parray_rep, S, &flend)) != 0)
        goto out;

    bench_ratio(b, fbar, flimit, "limit");
    bench_ratio(b, fnaive, flimit, "limit");
    bench_ratio(b, fsplit, flimit, "limit");
    bench_ratio(b, flend, flimit, "limit");
    /* Each parray mode against the naive way it replaces. */
    bench_ratio(b, fsplit, fnaive, "naive stripes");
    bench_ratio(b, flend, fbar, "naive MPI_Barrier");
    double rs = bench_value(b, fsplit) / bench_value(b, flimit);
    double rl = bench_value(b, flend) / bench_value(b, flimit);
    bench_note(b, "blas n=%zu: target split and lend >= 0.95x limit: %.2fx and %.2fx (%s); "
                  "auto picks %s here",
               n, rs, rl, rs >= 0.95 && rl >= 0.95 ? "met" : "NOT met",
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
    bench_note(b, "blas: limit and MPI_Barrier rows time rank 0; the others the slowest rank; "
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
