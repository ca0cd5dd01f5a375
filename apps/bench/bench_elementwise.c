/* The elementwise experiment (concern 4): z = a*b + c, sqrt(x*x + y*y)
 * and sum over distributed f64 arrays of m elements per node, against this
 * machine's STREAM triad and read measured in the same run:
 *   naive: one rank (job rank 0) runs a plain per-element C loop over its
 *          node's block while the others wait (what one NumPy process
 *          without threads does);
 *   parray ops: one pa_binary/pa_unary call per operation, each over all
 *          ranks, with a full-size temporary (NumPy's way of evaluating);
 *   parray pa_eval: the fused expression, over all ranks, side by side
 *          with a hand-written loop with streaming stores for z = a*b + c
 *          (three reads and a write: what this memory gives the expression);
 *   parray sum: pa_reduce.
 * Every rate is per node, counting 24 bytes per element for the two
 * expressions (3 arrays of 8 bytes, the triad's count) and 8 for the sum,
 * so the ratios compare with the triad and the read limit directly.
 * --size is the elements per array per node (default 1e8, 1e7 under
 * --quick); 5 arrays of that size are made. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

typedef struct {
    pa_ctx *ctx;
    size_t m; /* elements per array per node */
    pa_array *a, *b, *c, *z, *t;
    double *pa, *pb, *pc, *pz; /* node blocks */
    double *la, *lb, *lc, *lz; /* this rank's spans */
    size_t ln;                 /* their length */
    int naive;                 /* this rank runs the naive loops */
    double sink;
} ew;

/* ------------------------------------------------------------ naive */

/* Plain loops as one would write them: no restrict, no blocking. */
static void naive_fma(double *z, const double *a, const double *b, const double *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        z[i] = a[i] * b[i] + c[i];
}

static void naive_hyp(double *z, const double *x, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        z[i] = sqrt(x[i] * x[i] + y[i] * y[i]);
}

static double naive_sum(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

static int naive_fma_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    ew *E = arg;
    if (E->naive)
        naive_fma(E->pz, E->pa, E->pb, E->pc, E->m);
    return 0;
}

static int naive_hyp_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    ew *E = arg;
    if (E->naive)
        naive_hyp(E->pz, E->pa, E->pb, E->m);
    return 0;
}

static int naive_sum_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    ew *E = arg;
    if (E->naive)
        E->sink += naive_sum(E->pa, E->m);
    return 0;
}

/* The reference beside pa_eval: a hand-written loop with streaming
 * stores, every rank on its own span. */
static int stream_fma_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    ew *E = arg;
    bench_fma_stream(E->lz, E->la, E->lb, E->lc, E->ln);
    return 0;
}

/* ------------------------------------------------------------ parray */

static int ops_fma_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    ew *E = arg;
    if (pa_binary(E->t, PA_OP_MUL, E->a, E->b) != PA_OK ||
        pa_binary(E->z, PA_OP_ADD, E->t, E->c) != PA_OK)
        return bench_pa_fail(b, "pa_binary");
    return 0;
}

static int eval_fma_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    ew *E = arg;
    pa_binding bind[] = {PA_BIND_ARRAY("z", E->z), PA_BIND_ARRAY("a", E->a),
                         PA_BIND_ARRAY("b", E->b), PA_BIND_ARRAY("c", E->c)};
    if (pa_eval(E->ctx, "z = a*b + c", bind, 4) != PA_OK)
        return bench_pa_fail(b, "pa_eval");
    return 0;
}

static int ops_hyp_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    ew *E = arg;
    /* t = x*x, z = y*y, t = t + z, z = sqrt(t): NumPy's four passes. */
    if (pa_unary(E->t, PA_OP_SQUARE, E->a) != PA_OK ||
        pa_unary(E->z, PA_OP_SQUARE, E->b) != PA_OK ||
        pa_binary(E->t, PA_OP_ADD, E->t, E->z) != PA_OK ||
        pa_unary(E->z, PA_OP_SQRT, E->t) != PA_OK)
        return bench_pa_fail(b, "pa_unary/pa_binary");
    return 0;
}

static int eval_hyp_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    ew *E = arg;
    pa_binding bind[] = {PA_BIND_ARRAY("z", E->z), PA_BIND_ARRAY("x", E->a),
                         PA_BIND_ARRAY("y", E->b)};
    if (pa_eval(E->ctx, "z = sqrt(x*x + y*y)", bind, 3) != PA_OK)
        return bench_pa_fail(b, "pa_eval");
    return 0;
}

static int sum_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    ew *E = arg;
    double s;
    if (pa_reduce(E->a, PA_RED_SUM, -1, &s) != PA_OK)
        return bench_pa_fail(b, "pa_reduce");
    E->sink += s;
    return 0;
}

/* The result of the last timed expression, checked on node 0's first
 * element (the inputs are constants, so the value is known exactly). */
static int check_z(bench *b, ew *E, double want, const char *what)
{
    int rc = 0;
    if (pa_ctx_node(E->ctx) == 0 && E->m > 0 && E->pz[0] != want)
        rc = bench_fail(b, "elementwise: %s gave z[0] = %.17g, expected %.17g", what, E->pz[0],
                        want);
    return bench_agree(b, rc);
}

static int ew_run(bench *bm)
{
    pa_ctx *ctx = bench_ctx(bm);
    int ftriad, fread;
    if (bench_limit(bm, BENCH_LIMIT_TRIAD, &ftriad) != 0 ||
        bench_limit(bm, BENCH_LIMIT_READ, &fread) != 0)
        return -1;

    int nnodes = pa_ctx_nnodes(ctx);
    ew E = {.ctx = ctx, .m = bench_elems(bm, BENCH_EW_ELEMS, BENCH_EW_ELEMS_QUICK)};
    if (E.m > SIZE_MAX / 8 / (size_t)nnodes)
        return bench_agree(bm, bench_fail(bm, "elementwise: --size %zu is too large", E.m));
    E.naive = pa_ctx_rank(ctx) == 0;
    size_t n = E.m * (size_t)nnodes;
    pa_array **arrs[] = {&E.a, &E.b, &E.c, &E.z, &E.t};
    int rc = 0;
    for (int k = 0; k < 5 && rc == 0; k++)
        if (pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, arrs[k]) != PA_OK)
            rc = bench_agree(bm, bench_pa_fail(bm, "pa_array_create"));
    /* Whole numbers and halves: every result below is exact. */
    if (rc == 0 &&
        (pa_full(E.a, 1.5) != PA_OK || pa_full(E.b, 2.0) != PA_OK ||
         pa_full(E.c, 0.25) != PA_OK || pa_full(E.z, 0) != PA_OK || pa_full(E.t, 0) != PA_OK))
        rc = bench_agree(bm, bench_pa_fail(bm, "pa_full"));
    if (rc != 0)
        goto out;
    pa_array *ops[] = {E.a, E.b, E.c, E.z};
    double **node[] = {&E.pa, &E.pb, &E.pc, &E.pz}, **local[] = {&E.la, &E.lb, &E.lc, &E.lz};
    for (int k = 0; k < 4; k++) {
        pa_span s;
        pa_array_node(ops[k], &s);
        *node[k] = s.ptr;
        pa_array_local(ops[k], &s);
        *local[k] = s.ptr;
        E.ln = s.count; /* the same for all four: equal shapes, one distribution */
    }

    double work = 24.0 * (double)E.m, size = (double)E.m;
    bench_spec naive = {
        .size = size, .size_elems = 1, .work = work, .combine = BENCH_RANK0, .role = BENCH_NAIVE};
    bench_spec all = {.size = size, .size_elems = 1, .work = work};
    int f[8];
    naive.method = "z = a*b + c: naive loop, 1 rank";
    if ((rc = bench_time(bm, &naive, naive_fma_rep, &E, &f[0])) != 0)
        goto out;
    /* The naive loop wrote node 0's block without a sync. */
    pa_array_sync(E.z);
    all.method = "z = a*b + c: parray ops (2 calls)";
    if ((rc = bench_time(bm, &all, ops_fma_rep, &E, &f[1])) != 0 ||
        (rc = check_z(bm, &E, 3.25, "ops")) != 0)
        goto out;
    /* pa_eval side by side with the hand-written streaming loop: the ratio
     * says what is left in the kernel whatever the machine does meanwhile. */
    bench_spec pair[2] = {all, all};
    pair[0].method = "z = a*b + c: hand-written streaming loop";
    pair[0].role = BENCH_OTHER;
    pair[1].method = "z = a*b + c: parray pa_eval";
    bench_fn pair_fns[2] = {stream_fma_rep, eval_fma_rep};
    void *pair_args[2] = {&E, &E};
    int pair_figs[2], fhand;
    rc = bench_time_steps(bm, pair, pair_fns, pair_args, 2, pair_figs);
    /* The hand-written loop may have run last, without a node sync. */
    pa_array_sync(E.z);
    if (rc != 0 || (rc = check_z(bm, &E, 3.25, "pa_eval and the hand-written loop")) != 0)
        goto out;
    fhand = pair_figs[0];
    f[2] = pair_figs[1];
    naive.method = "sqrt(x*x + y*y): naive loop, 1 rank";
    if ((rc = bench_time(bm, &naive, naive_hyp_rep, &E, &f[3])) != 0)
        goto out;
    pa_array_sync(E.z);
    all.method = "sqrt(x*x + y*y): parray ops (4 calls)";
    if ((rc = bench_time(bm, &all, ops_hyp_rep, &E, &f[4])) != 0 ||
        (rc = check_z(bm, &E, 2.5, "ops")) != 0)
        goto out;
    all.method = "sqrt(x*x + y*y): parray pa_eval";
    if ((rc = bench_time(bm, &all, eval_hyp_rep, &E, &f[5])) != 0 ||
        (rc = check_z(bm, &E, 2.5, "pa_eval")) != 0)
        goto out;
    naive.method = "sum: naive loop, 1 rank";
    naive.work = 8.0 * (double)E.m;
    if ((rc = bench_time(bm, &naive, naive_sum_rep, &E, &f[6])) != 0)
        goto out;
    all.method = "sum: parray pa_reduce";
    all.work = 8.0 * (double)E.m;
    if ((rc = bench_time(bm, &all, sum_rep, &E, &f[7])) != 0)
        goto out;

    for (int k = 0; k < 6; k++)
        bench_ratio(bm, f[k], ftriad, "triad");
    bench_ratio(bm, fhand, ftriad, "triad");
    bench_ratio(bm, f[2], fhand, "hand-written streaming loop");
    for (int k = 6; k < 8; k++)
        bench_ratio(bm, f[k], fread, "read");
    for (int k = 1; k < 3; k++) {
        bench_ratio(bm, f[k], f[0], "naive loop");
        bench_ratio(bm, f[k + 3], f[3], "naive loop");
    }
    bench_ratio(bm, f[7], f[6], "naive loop");
    bench_target(bm, f[2], ftriad, BENCH_AT_LEAST, 1.0, "triad");
    bench_target(bm, f[5], ftriad, BENCH_AT_LEAST, 0.8, "triad");
    bench_target(bm, f[7], fread, BENCH_AT_LEAST, 0.9, "read");
    double hand = bench_value(bm, fhand) / bench_value(bm, ftriad);
    double of_hand = bench_value(bm, f[2]) / bench_value(bm, fhand);
    bench_note(bm,
               "elementwise: %zu elements per array per node (f64); rates per node, "
               "24 B/element for the expressions (the triad's count), 8 for the sum",
               E.m);
    /* z = a*b + c moves 32 bytes per element (three reads, a write), the
     * triad 24 plus the read for ownership: the streaming loop is the most
     * this memory gives it, so pa_eval near that loop is at the limit. */
    bench_note(bm,
               "elementwise: z = a*b + c: the hand-written streaming loop beside pa_eval, the "
               "most this memory gives three reads and a write, runs at %.2fx of the triad; "
               "pa_eval runs at %.2fx of that loop%s",
               hand, of_hand,
               of_hand >= BENCH_AT_LIMIT ? ", so it is at the physical limit for this expression"
                                         : "");
out:
    for (int k = 4; k >= 0; k--)
        pa_array_free(arrs[k]);
    return rc;
}

const bench_experiment bench_elementwise = {
    .name = "elementwise",
    .description = "z = a*b + c, sqrt(x*x + y*y) and sum of --size f64 per node (default "
                   "1e8): naive loop, parray ops, pa_eval",
    .run = ew_run,
};
