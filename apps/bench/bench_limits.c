/* This machine's memory limits, measured in the same run as the
 * experiments that compare against them: a STREAM triad a = b + s*c and a
 * read-only sum, each rank on its own part of distributed arrays, with the
 * rates counted per node. */
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

#include "bench_private.h"

/* The size is bench_limits_bytes() unless --size is given: 3 arrays
 * together at least 4 times the last-level cache (STREAM's rule), and the
 * same figure in a quick run as in a full one. A fixed 240 MB was below
 * the 480 MiB L3 this VM reports: the triad read 28-30 GB/s on some days
 * and 37 on others, when the cache held part of it, against 30 at 720 MB
 * and 2.4 GB. */
#define TRIAD_SCALAR 3.0

typedef struct {
    double *a, *b, *c;
    size_t n;    /* this rank's elements in each array */
    double sink; /* keeps the sums alive */
    int bad;     /* a sum that did not match */
} limits;

static int triad_rep(bench *b, void *arg, int rep)
{
    (void)b;
    (void)rep;
    limits *L = arg;
    bench_triad(L->a, L->b, L->c, TRIAD_SCALAR, L->n);
    return 0;
}

static int read_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    limits *L = arg;
    double s = bench_sum(L->a, L->n) + bench_sum(L->b, L->n) + bench_sum(L->c, L->n);
    L->sink += s;
    /* After the triad a = 1 + 3*2 = 7, so each element of a, b, c adds
     * 7 + 1 + 2: whole numbers, exact in any order. */
    if (s != 10.0 * (double)L->n)
        return bench_fail(b, "limits: read sum is %.17g, expected %.17g", s, 10.0 * (double)L->n);
    return 0;
}

/* The last-level cache in bytes (glibc's sysconf), 0 when unknown. */
static size_t llc_bytes(void)
{
    long c = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (c <= 0)
        c = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return c > 0 ? (size_t)c : 0;
}

size_t bench_limits_bytes(void)
{
    size_t rule = 4 * llc_bytes();
    return rule > BENCH_LIMITS_BYTES ? rule : BENCH_LIMITS_BYTES;
}

/* Registers figure fig as the limit of that kind. */
static void set_limit(bench *b, bench_limit_kind kind, int fig)
{
    b->limit_fig[kind] = fig;
    if (fig >= 0 && fig < b->nfigs)
        b->figs[fig].role = BENCH_LIMIT;
}

/* Measures the limits, under the experiment name "limits", and registers
 * each figure. Only bench_limit calls it. */
static int limits_measure(bench *bm)
{
    pa_ctx *ctx = bench_ctx(bm);
    /* With --size the limits use arrays of that size, so that init and
     * elementwise compare with a limit measured on arrays like theirs (a
     * cache-sized --size against a cache-sized limit). */
    size_t elems = bench_options(bm)->size;
    size_t bytes = elems && elems <= SIZE_MAX / 24 ? 24 * elems : bench_limits_bytes();
    int nnodes = pa_ctx_nnodes(ctx);
    size_t m = bytes / 24; /* elements per array per node */
    if (m == 0)
        m = 1;
    if (m > SIZE_MAX / (size_t)nnodes)
        return bench_agree(bm, bench_fail(bm, "limits: --bytes %zu is too large", bytes));

    /* One distributed array per operand, node_bytes/3 per node: every rank
     * owns (and has first touched) one contiguous part of each, and the
     * three parts of a rank line up element for element. */
    size_t shape = m * (size_t)nnodes;
    pa_array *A = NULL, *B = NULL, *C = NULL;
    int rc = pa_array_create(ctx, PA_F64, 1, &shape, PA_DISTRIBUTED, &A);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, PA_F64, 1, &shape, PA_DISTRIBUTED, &B);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, PA_F64, 1, &shape, PA_DISTRIBUTED, &C);
    /* pa_array_create agrees on its outcome: rc is the same on every rank. */
    if (rc != PA_OK) {
        bench_fail(bm, "limits: %s", pa_errmsg(ctx));
        rc = bench_agree(bm, -1);
        goto out;
    }

    limits L = {0};
    pa_span sa, sb, sc;
    pa_array_local(A, &sa);
    pa_array_local(B, &sb);
    pa_array_local(C, &sc);
    L.a = sa.ptr;
    L.b = sb.ptr;
    L.c = sc.ptr;
    L.n = sa.count;
    for (size_t i = 0; i < L.n; i++) {
        L.b[i] = 1.0;
        L.c[i] = 2.0;
    }

    char size[32];
    bench_size_str((double)(3 * m * 8), 0, size, sizeof size);
    int nr = pa_ctx_node_size(ctx);
    bench_spec triad = {
        .method = "triad a=b+s*c, per node",
        .size = (double)(3 * m * 8),
        .work = 24.0 * (double)m,
    };
    bench_spec read = {
        .method = "read sum(a,b,c), per node",
        .size = (double)(3 * m * 8),
        .work = 24.0 * (double)m,
    };
    int ftriad, fread;
    rc = bench_time(bm, &triad, triad_rep, &L, &ftriad);
    if (rc == 0)
        rc = bench_time(bm, &read, read_rep, &L, &fread);
    if (rc == 0) {
        set_limit(bm, BENCH_LIMIT_TRIAD, ftriad);
        set_limit(bm, BENCH_LIMIT_READ, fread);
        bench_note(bm,
                   "limits: 3 arrays of %zu MB per node, each rank of the node on its own "
                   "part (%d rank%s on node 0), %s vectors; triad counts 24 B/element, read "
                   "8 B/element",
                   m * 8 / 1000000, nr, nr == 1 ? "" : "s", bench_vector_width());
        if (bytes < 4 * llc_bytes())
            bench_note(bm,
                       "limits: %s is under 4x the last-level cache (%zu MiB) and may be "
                       "served partly from it",
                       size, llc_bytes() >> 20);
    }

out:
    pa_array_free(&C);
    pa_array_free(&B);
    pa_array_free(&A);
    return rc;
}

static int limits_run(bench *b)
{
    return bench_limit(b, BENCH_LIMIT_TRIAD, NULL);
}

const bench_experiment bench_limits = {
    .name = "limits",
    .description = "this machine's memory limits: STREAM triad and read-only sum, GB/s per node",
    .run = limits_run,
};

int bench_limit(bench *b, bench_limit_kind kind, int *fig)
{
    if (!b->limits_done) {
        const char *save = b->expname;
        b->expname = "limits";
        int rc = limits_measure(b);
        b->expname = save;
        if (rc != 0)
            return -1;
        b->limits_done = 1;
    }
    if (fig)
        *fig = b->limit_fig[kind];
    return 0;
}
