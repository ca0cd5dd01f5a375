/* The latency experiment: the time of one call of parray's collective
 * calls on small arrays, where the agreements, barriers and gathers a call
 * makes weigh more than its arithmetic (docs/scaling.md counts them):
 * pa_eval and pa_expr_eval of a compiled z = a*b + c, pa_binary z = a + b,
 * pa_reduce sum, and pa_h5_save and pa_h5_load of the array as one
 * dataset. Each repetition times a loop of calls after the warm-up
 * repetitions, and the figure is the median of the repetitions' time per
 * call. The compute calls are timed side by side in every repetition, as
 * are the two HDF5 calls, so that their ratios stay fair on a busy machine.
 * Sizes: 1,000 elements (whole array, all ranks together), and --size
 * elements as a second size (default 1e5). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* Calls per repetition on 1,000 elements: enough that a repetition lasts
 * milliseconds, so that the clock's resolution and the start of the loop
 * do not count. Larger arrays take fewer (calls_for). */
#define COMPUTE_CALLS 1000
#define H5_CALLS 10
#define TARGET_ELEMS 1000 /* the size the target is for */
/* The target of the compute calls, in microseconds per call. */
#define TARGET_US 10.0

typedef struct {
    pa_ctx *ctx;
    pa_array *a, *b, *c, *z;
    pa_expr *e;
    int calls, h5_calls; /* per repetition, at this size */
    char path[600];
    double sink;
} lat;

static int eval_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    lat *L = arg;
    pa_binding bind[] = {PA_BIND_ARRAY("z", L->z), PA_BIND_ARRAY("a", L->a),
                         PA_BIND_ARRAY("b", L->b), PA_BIND_ARRAY("c", L->c)};
    for (int i = 0; i < L->calls; i++)
        if (pa_eval(L->ctx, "z = a*b + c", bind, 4) != PA_OK)
            return bench_pa_fail(b, "pa_eval");
    return 0;
}

static int expr_eval_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    lat *L = arg;
    pa_binding bind[] = {PA_BIND_ARRAY("z", L->z), PA_BIND_ARRAY("a", L->a),
                         PA_BIND_ARRAY("b", L->b), PA_BIND_ARRAY("c", L->c)};
    for (int i = 0; i < L->calls; i++)
        if (pa_expr_eval(L->e, bind, 4) != PA_OK)
            return bench_pa_fail(b, "pa_expr_eval");
    return 0;
}

static int binary_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    lat *L = arg;
    for (int i = 0; i < L->calls; i++)
        if (pa_binary(L->z, PA_OP_ADD, L->a, L->b) != PA_OK)
            return bench_pa_fail(b, "pa_binary");
    return 0;
}

static int sum_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    lat *L = arg;
    for (int i = 0; i < L->calls; i++) {
        double s;
        if (pa_reduce(L->a, PA_RED_SUM, -1, &s) != PA_OK)
            return bench_pa_fail(b, "pa_reduce");
        L->sink += s;
    }
    return 0;
}

static int save_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    lat *L = arg;
    for (int i = 0; i < L->h5_calls; i++)
        if (pa_h5_save(L->a, L->path, "/a", NULL) != PA_OK)
            return bench_pa_fail(b, "pa_h5_save");
    return 0;
}

static int load_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    lat *L = arg;
    for (int i = 0; i < L->h5_calls; i++) {
        pa_array *t = NULL;
        int rc = pa_h5_load(L->ctx, L->path, "/a", NULL, &t);
        pa_array_free(&t);
        if (rc != PA_OK)
            return bench_pa_fail(b, "pa_h5_load");
    }
    return 0;
}

/* Calls per repetition for arrays of n elements: about as many elements
 * as calls on 1,000, and at least 3. */
static int calls_for(int calls, size_t n)
{
    size_t c = (size_t)calls * TARGET_ELEMS / (n > TARGET_ELEMS ? n : TARGET_ELEMS);
    return c < 3 ? 3 : (int)c;
}

/* The figures of one size n (elements of each whole array). */
static int run_size(bench *bm, lat *L, size_t n)
{
    int rc = 0;
    L->calls = calls_for(COMPUTE_CALLS, n);
    L->h5_calls = calls_for(H5_CALLS, n);
    pa_array **arrs[] = {&L->a, &L->b, &L->c, &L->z};
    for (int k = 0; k < 4 && rc == 0; k++)
        if (pa_array_create(L->ctx, PA_F64, 1, &n, PA_DISTRIBUTED, arrs[k]) != PA_OK)
            rc = bench_agree(bm, bench_pa_fail(bm, "pa_array_create"));
    if (rc == 0 && (pa_full(L->a, 1.5) != PA_OK || pa_full(L->b, 2.0) != PA_OK ||
                    pa_full(L->c, 0.25) != PA_OK))
        rc = bench_agree(bm, bench_pa_fail(bm, "pa_full"));
    if (rc != 0)
        goto out;

    bench_spec s = {.size = (double)n, .size_elems = 1, .calls = L->calls};
    bench_spec compute[4] = {s, s, s, s};
    compute[0].method = "pa_eval z = a*b + c";
    compute[1].method = "pa_expr_eval z = a*b + c (compiled once)";
    compute[2].method = "pa_binary z = a + b";
    compute[3].method = "pa_reduce sum";
    bench_fn fns[4] = {eval_rep, expr_eval_rep, binary_rep, sum_rep};
    void *args[4] = {L, L, L, L};
    int figs[4];
    if ((rc = bench_time_steps(bm, compute, fns, args, 4, figs)) != 0)
        goto out;
    for (int k = 0; k < 4 && n == TARGET_ELEMS; k++)
        bench_target_value_bound(bm, figs[k], 1, BENCH_AT_MOST, TARGET_US, "us/call");

    s.calls = L->h5_calls;
    bench_spec io[2] = {s, s};
    io[0].method = "pa_h5_save (the file replaced)";
    io[1].method = "pa_h5_load";
    bench_fn io_fns[2] = {save_rep, load_rep};
    /* load reads the file save wrote: one save first, untimed. */
    if (pa_h5_save(L->a, L->path, "/a", NULL) != PA_OK)
        rc = bench_pa_fail(bm, "pa_h5_save");
    if ((rc = bench_agree(bm, rc)) != 0 ||
        (rc = bench_time_steps(bm, io, io_fns, args, 2, NULL)) != 0)
        goto out;

out:
    for (int k = 0; k < 4; k++)
        pa_array_free(arrs[k]);
    return rc;
}

/* The directory the HDF5 file goes in: PARRAY_BENCH_DIR, else TMPDIR,
 * else /tmp, as for io. */
static const char *base_dir(void)
{
    const char *d = getenv("PARRAY_BENCH_DIR");
    if (!d || !*d)
        d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

static int latency_run(bench *bm)
{
    lat L = {.ctx = bench_ctx(bm)};
    int rc = 0;
    char dir[512] = "";
    const char *d = base_dir();
    if (pa_ctx_rank(L.ctx) == 0) {
        snprintf(dir, sizeof dir, "%s/parray-bench-latency.XXXXXX", d);
        if (!mkdtemp(dir))
            rc = bench_fail(bm, "latency: cannot make a directory in %s: %s", d, strerror(errno));
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, bench_comm(bm));
    if ((rc = bench_agree(bm, rc)) != 0)
        return rc;
    snprintf(L.path, sizeof L.path, "%s/latency.h5", dir);
    if (pa_expr_compile(L.ctx, "z = a*b + c", &L.e) != PA_OK)
        rc = bench_pa_fail(bm, "pa_expr_compile");
    if ((rc = bench_agree(bm, rc)) == 0) {
        size_t sizes[2] = {TARGET_ELEMS,
                           bench_elems(bm, BENCH_LATENCY_ELEMS, BENCH_LATENCY_ELEMS)};
        for (int k = 0; k < 2 && rc == 0; k++)
            rc = run_size(bm, &L, sizes[k]);
    }
    pa_expr_free(&L.e);
    if (pa_ctx_rank(L.ctx) == 0) {
        unlink(L.path);
        rmdir(dir);
    }
    int nr = pa_ctx_size(L.ctx), nn = pa_ctx_nnodes(L.ctx);
    bench_note(bm,
               "latency: %d rank%s on %d node%s; each repetition times a loop of calls "
               "(%d on %d elements, %d for HDF5; fewer on larger arrays), the figure is the "
               "time of one call; the HDF5 file is in %s",
               nr, nr == 1 ? "" : "s", nn, nn == 1 ? "" : "s", COMPUTE_CALLS, TARGET_ELEMS,
               H5_CALLS, d);
    bench_note(bm,
               "latency: the target (<= %g us per compute call on %d elements) is set for "
               "2 ranks on one node; docs/scaling.md counts each call's MPI collectives",
               TARGET_US, TARGET_ELEMS);
    return rc;
}

const bench_experiment bench_latency = {
    .name = "latency",
    .description = "time per call of pa_eval, pa_expr_eval, pa_binary, pa_reduce sum, "
                   "pa_h5_save and pa_h5_load on 1,000-element arrays",
    .run = latency_run,
};
