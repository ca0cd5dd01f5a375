/* The broadcast experiment: the standardisation z = (x - mu) / sigma of a
 * (rows, 10) f64 array x by its column statistics, with pa_eval, measured
 * side by side with the STREAM triad on arrays of the same size
 * (bench_time_steps): once with mu and sigma replicated (10,) rows, read
 * in place by every rank, and once with full-size (rows, 10) mu and sigma.
 * Rates count bytes per node: the triad 24 per element (two reads and a
 * write), the rows' form 16 (x read, z written), the full-size form 32 (x,
 * mu and sigma read, z written); the rows' form should move its bytes no
 * slower than the full-size one does. A mix of reads and writes has a
 * speed of its own, so each form is also timed beside the limit of its
 * own traffic, streaming kernels with its reads and write: z = s*x (one
 * read, one write) and z = x*y + w (three reads, one write); per byte,
 * each form is compared with its limit. */
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

#define SEED 20261206u
#define COLS ((size_t)10)
#define BC_ROWS ((size_t)10000000) /* rows per node */
#define BC_ROWS_QUICK ((size_t)1000000)

typedef struct {
    pa_ctx *ctx;
    pa_array *x, *z, *mu, *sigma, *fmu, *fsigma; /* fmu, fsigma: full size */
    pa_span xs, zs, fs, gs;                      /* the limits' spans: x, z, fmu and fsigma */
} bc;

static int triad_rep(bench *b, void *arg, int rep)
{
    (void)b;
    bc *B = arg;
    bench_triad(B->zs.ptr, B->xs.ptr, B->fs.ptr, 1.0 + rep, B->xs.count);
    return 0;
}

/* The limit of the rows' form's traffic: one read, one write. */
static int scale_rep(bench *b, void *arg, int rep)
{
    (void)b;
    bc *B = arg;
    bench_scale_stream(B->zs.ptr, B->xs.ptr, 1.0 + rep, B->xs.count);
    return 0;
}

/* The limit of the full-size form's traffic: three reads, one write. */
static int fma_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    bc *B = arg;
    bench_fma_stream(B->zs.ptr, B->xs.ptr, B->fs.ptr, B->gs.ptr, B->xs.count);
    return 0;
}

static int standardise(bench *b, bc *B, pa_array *mu, pa_array *sigma)
{
    pa_binding bind[] = {PA_BIND_ARRAY("z", B->z), PA_BIND_ARRAY("x", B->x),
                         PA_BIND_ARRAY("mu", mu), PA_BIND_ARRAY("sigma", sigma)};
    return bench_pa_ok(b, pa_eval(B->ctx, "z = (x - mu) / sigma", bind, 4), "pa_eval");
}

static int rows_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    bc *B = arg;
    return standardise(b, B, B->mu, B->sigma);
}

static int full_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    bc *B = arg;
    return standardise(b, B, B->fmu, B->fsigma);
}

/* Collective. The arrays: x, fmu and fsigma random (fsigma in [1, 2)),
 * mu and sigma replicated rows of the same kind, z. */
static int make(bench *b, bc *B, size_t rows)
{
    size_t shape[2] = {rows, COLS}, row = COLS;
    pa_array **full[] = {&B->x, &B->z, &B->fmu, &B->fsigma}, **small[] = {&B->mu, &B->sigma};
    int rc = 0;
    for (int k = 0; k < 4 && rc == 0; k++)
        rc = bench_pa_ok(b, pa_array_create(B->ctx, PA_F64, 2, shape, PA_DISTRIBUTED, full[k]),
                         "pa_array_create");
    for (int k = 0; k < 2 && rc == 0; k++)
        rc = bench_pa_ok(b, pa_array_create(B->ctx, PA_F64, 1, &row, PA_REPLICATED, small[k]),
                         "pa_array_create");
    pa_array *fill[] = {B->x, B->fmu, B->fsigma, B->mu, B->sigma};
    double lo[] = {-1, -0.1, 1, -0.1, 1}, hi[] = {1, 0.1, 2, 0.1, 2};
    for (int k = 0; k < 5 && rc == 0; k++)
        rc = bench_pa_ok(b, pa_random_uniform(fill[k], SEED, (uint64_t)k, lo[k], hi[k]),
                         "pa_random_uniform");
    if ((rc = bench_agree(b, rc)) == 0) {
        pa_array_local(B->x, &B->xs);
        pa_array_local(B->z, &B->zs);
        pa_array_local(B->fmu, &B->fs);
        pa_array_local(B->fsigma, &B->gs);
    }
    return rc;
}

static int bc_run(bench *b)
{
    pa_ctx *ctx = bench_ctx(b);
    bc B = {.ctx = ctx};
    int nnodes = pa_ctx_nnodes(ctx);
    size_t rows = bench_elems(b, BC_ROWS, BC_ROWS_QUICK);
    if (rows > SIZE_MAX / 8 / COLS / (size_t)nnodes)
        return bench_agree(b, bench_fail(b, "broadcast: --size %zu is too large", rows));
    int rc = make(b, &B, rows * (size_t)nnodes);
    if (rc == 0) {
        double elems = (double)(rows * COLS), node = elems * 8;
        bench_spec specs[] = {
            {.method = "triad z=x+s*y, per node (paired)",
             .size = elems,
             .size_elems = 1,
             .work = 3 * node,
             .role = BENCH_LIMIT},
            {.method = "z = (x - mu) / sigma, mu and sigma (10,) rows",
             .size = elems,
             .size_elems = 1,
             .work = 2 * node},
            {.method = "z = (x - mu) / sigma, mu and sigma full size",
             .size = elems,
             .size_elems = 1,
             .work = 4 * node},
            {.method = "limit of 1 read + 1 write: z = s*x, streaming",
             .size = elems,
             .size_elems = 1,
             .work = 2 * node,
             .role = BENCH_LIMIT},
            {.method = "limit of 3 reads + 1 write: z = x*y + w, streaming",
             .size = elems,
             .size_elems = 1,
             .work = 4 * node,
             .role = BENCH_LIMIT},
        };
        bench_fn fns[] = {triad_rep, rows_rep, full_rep, scale_rep, fma_rep};
        void *args[] = {&B, &B, &B, &B, &B};
        int f[5];
        rc = bench_time_steps(b, specs, fns, args, 5, f);
        if (rc == 0) {
            bench_ratio_at_least(b, f[1], f[0], 0.9, "paired triad");
            bench_ratio(b, f[2], f[0], "paired triad");
            /* Per byte moved, the rows' form should be no slower (a
             * figure has one target: the triad's is the one shown). */
            bench_ratio(b, f[1], f[2], "full size");
            bench_ratio(b, f[1], f[3], "1 read + 1 write");
            bench_ratio(b, f[2], f[4], "3 reads + 1 write");
            bench_note(b,
                       "broadcast: (%zu, %zu) f64 per node; bytes per element: triad 24, rows "
                       "16, full size 32; each figure timed beside the triad in every "
                       "repetition",
                       rows, COLS);
            bench_note(b,
                       "broadcast: per byte, each form against the streaming limit of its own "
                       "mix of reads and writes: rows %.2fx of 1 read + 1 write, full size "
                       "%.2fx of 3 reads + 1 write",
                       bench_value(b, f[1]) / bench_value(b, f[3]),
                       bench_value(b, f[2]) / bench_value(b, f[4]));
        }
    }
    pa_array *all[] = {B.x, B.z, B.mu, B.sigma, B.fmu, B.fsigma};
    for (int k = 0; k < 6; k++)
        pa_array_free(&all[k]);
    return rc;
}

const bench_experiment bench_broadcast = {
    .name = "broadcast",
    .description = "z = (x - mu) / sigma on (--size, 10) f64 per node (default 1e7 rows), mu "
                   "and sigma replicated rows or full size, beside the triad",
    .run = bc_run,
};
