/* The share experiment (concern 5): rank 0 holds an array of --bytes of
 * f64, and the other ranks of its node need to read all of it. Each method
 * is timed until every receiving rank has summed the whole array: MPI
 * Send/Recv, Bcast, Get from a window, a file, and parray's node-shared
 * array, which needs no copy at all. The baseline is a receiver summing an
 * array of its own. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* Elements per MPI call: 2^27 doubles = 1 GiB, below INT_MAX in both
 * elements and bytes. */
#define CHUNK ((size_t)1 << 27)
/* The source pattern x[i] = i % PERIOD: whole numbers, so every partial
 * sum is exact and a sum in any order must equal the closed form. */
#define PERIOD 1024
/* Receivers poison one element in every POISON_STRIDE of their buffer
 * before each repetition, so a part that was not transferred shows as NaN. */
#define POISON_STRIDE 4096
#define TAG 7

typedef struct {
    int active;          /* on rank 0's node */
    MPI_Comm comm;       /* the ranks of rank 0's node; MPI_COMM_NULL elsewhere */
    int me, nr;          /* rank and size in comm; 0 is the source */
    size_t n;            /* elements */
    double *src;         /* rank 0: the data, in its private memory */
    double *recv;        /* receivers: their own buffer */
    pa_array *shared;    /* replicated: rank 0's node copy holds the data */
    double *shared_ptr;  /* the node copy, seen by every rank of the node */
    MPI_Win win;         /* exposes src on rank 0 */
    char path[PATH_MAX]; /* the file method's file */
    double base;         /* sum of the pattern */
    double expected;     /* the sum receivers must see in this repetition */
    double sink;
} share;

static double pattern_sum(size_t n)
{
    size_t periods = n / PERIOD, rest = n % PERIOD;
    return (double)periods * (PERIOD * (PERIOD - 1) / 2) + (double)(rest * (rest - 1) / 2);
}

static void fill_pattern(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(i % PERIOD);
}

static int verify(bench *b, share *S, const double *x, const char *method)
{
    double s = bench_sum(x, S->n);
    S->sink += s;
    if (s != S->expected)
        return bench_fail(b, "share: %s: rank %d read sum %.17g, expected %.17g", method, S->me,
                          s, S->expected);
    return 0;
}

/* Before each repetition of a transfer: rank 0 stamps the repetition into
 * element 0 (pattern value 0), so a receiver that saw stale data fails,
 * and receivers poison their buffers. */
static int prepare_transfer(bench *b, void *arg, int rep)
{
    (void)b;
    share *S = arg;
    S->expected = S->base + (double)(rep + 1);
    if (!S->active)
        return 0;
    if (S->me == 0) {
        /* src is also MPI_Get's window memory: a store by its owner goes in
         * an exclusive epoch of its own, so the gets that follow see it in
         * either memory model. */
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, S->win);
        S->src[0] = (double)(rep + 1);
        MPI_Win_unlock(0, S->win);
    } else {
        for (size_t i = 0; i < S->n; i += POISON_STRIDE)
            S->recv[i] = NAN;
    }
    return 0;
}

/* ------------------------------------------------------------ methods */

static int own_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    share *S = arg;
    if (!S->active || S->me == 0)
        return 0;
    return verify(b, S, S->recv, "own array");
}

static int sendrecv_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    share *S = arg;
    if (!S->active)
        return 0;
    if (S->me == 0) {
        for (int dst = 1; dst < S->nr; dst++)
            for (size_t off = 0; off < S->n; off += CHUNK) {
                size_t cnt = S->n - off < CHUNK ? S->n - off : CHUNK;
                MPI_Send(S->src + off, (int)cnt, MPI_DOUBLE, dst, TAG, S->comm);
            }
        return 0;
    }
    for (size_t off = 0; off < S->n; off += CHUNK) {
        size_t cnt = S->n - off < CHUNK ? S->n - off : CHUNK;
        MPI_Recv(S->recv + off, (int)cnt, MPI_DOUBLE, 0, TAG, S->comm, MPI_STATUS_IGNORE);
    }
    return verify(b, S, S->recv, "MPI_Send/Recv");
}

static int bcast_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    share *S = arg;
    if (!S->active)
        return 0;
    double *buf = S->me == 0 ? S->src : S->recv;
    for (size_t off = 0; off < S->n; off += CHUNK) {
        size_t cnt = S->n - off < CHUNK ? S->n - off : CHUNK;
        MPI_Bcast(buf + off, (int)cnt, MPI_DOUBLE, 0, S->comm);
    }
    return S->me == 0 ? 0 : verify(b, S, S->recv, "MPI_Bcast");
}

static int get_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    share *S = arg;
    if (!S->active || S->me == 0)
        return 0;
    /* Passive target: rank 0 takes no part. The unlock completes the gets. */
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, S->win);
    for (size_t off = 0; off < S->n; off += CHUNK) {
        size_t cnt = S->n - off < CHUNK ? S->n - off : CHUNK;
        MPI_Get(S->recv + off, (int)cnt, MPI_DOUBLE, 0, (MPI_Aint)off, (int)cnt, MPI_DOUBLE,
                S->win);
    }
    MPI_Win_unlock(0, S->win);
    return verify(b, S, S->recv, "MPI_Get");
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        size_t want = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t k = write(fd, p, want);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static int read_all(int fd, char *p, size_t len)
{
    while (len > 0) {
        size_t want = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t k = read(fd, p, want);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0) {
            errno = EIO; /* the file is shorter than written */
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* Rank 0 writes the whole array over the file (in place, so the page
 * cache keeps its pages between repetitions) and closes it; the barrier
 * tells the receivers it is complete; they open, read and sum it. */
static int file_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    share *S = arg;
    if (!S->active)
        return 0;
    int rc = 0;
    if (S->me == 0) {
        int fd = open(S->path, O_WRONLY);
        if (fd < 0 || write_all(fd, (const char *)S->src, S->n * sizeof(double)) != 0)
            rc = bench_fail(b, "share: file: writing %s: %s", S->path, strerror(errno));
        if (fd >= 0 && close(fd) != 0 && rc == 0)
            rc = bench_fail(b, "share: file: closing %s: %s", S->path, strerror(errno));
    }
    MPI_Barrier(S->comm);
    if (S->me == 0)
        return rc;
    int fd = open(S->path, O_RDONLY);
    if (fd < 0 || read_all(fd, (char *)S->recv, S->n * sizeof(double)) != 0)
        rc = bench_fail(b, "share: file: reading %s: %s", S->path, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        return rc;
    return verify(b, S, S->recv, "file");
}

/* Before each repetition of the shared array: rank 0 stamps element 0 of
 * its node's copy with a plain store, as a producer that has just
 * written its data. The timed part then starts with pa_array_sync, which
 * publishes that store to the node. */
static int prepare_shared(bench *b, void *arg, int rep)
{
    (void)b;
    share *S = arg;
    S->expected = S->base + (double)(rep + 1);
    if (S->active && S->me == 0)
        S->shared_ptr[0] = (double)(rep + 1);
    return 0;
}

static int shared_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    share *S = arg;
    /* Collective over the job: every rank syncs, and on rank 0's node it
     * makes rank 0's stores visible to the readers. */
    int rc = pa_array_sync(S->shared);
    if (rc != PA_OK)
        return bench_pa_fail(b, "pa_array_sync");
    if (!S->active || S->me == 0)
        return 0;
    return verify(b, S, S->shared_ptr, "parray shared array");
}

/* ------------------------------------------------------------ the run */

static int share_run(bench *b)
{
    pa_ctx *ctx = bench_ctx(b);
    MPI_Comm comm = bench_comm(b);
    share S = {0};
    S.comm = MPI_COMM_NULL;
    S.win = MPI_WIN_NULL;
    int rc = 0;

    /* Who shares: the ranks of rank 0's node. */
    int node0[2] = {pa_ctx_node(ctx), pa_ctx_node_size(ctx)};
    MPI_Bcast(node0, 2, MPI_INT, 0, comm);
    if (node0[1] < 2) {
        bench_note(b, "share: skipped: rank 0's node has no other rank to share with "
                      "(run with 2 or more ranks per node)");
        return 0;
    }
    S.active = pa_ctx_node(ctx) == node0[0];
    int rank;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_split(comm, S.active ? 0 : MPI_UNDEFINED, rank, &S.comm);
    if (S.active) {
        MPI_Comm_rank(S.comm, &S.me);
        MPI_Comm_size(S.comm, &S.nr);
    }

    size_t bytes = bench_bytes(b, BENCH_SHARE_BYTES, BENCH_SHARE_BYTES_QUICK);
    S.n = bytes / sizeof(double);
    if (S.n == 0)
        S.n = 1;
    S.base = pattern_sum(S.n);
    double size = (double)(S.n * sizeof(double));
    if (S.n * sizeof(double) != bytes)
        bench_note(b, "share: --bytes %zu rounded to %zu (whole f64 elements)", bytes,
                   S.n * sizeof(double));

    /* Rank 0's source, the receivers' buffers: allocated and touched once,
     * before any timing, and kept for every method (freed memory comes back
     * slowly on some machines). The first touch is a figure of its own. */
    if (pa_mem_check(ctx, S.active ? S.n * sizeof(double) : 0, "share: the buffers") != PA_OK) {
        bench_fail(b, "share: %s", pa_errmsg(ctx));
        rc = bench_agree(b, -1);
        goto out;
    }
    double t0 = MPI_Wtime();
    if (S.active && S.me == 0) {
        S.src = malloc(S.n * sizeof(double));
        if (!S.src)
            rc = bench_fail(b, "share: out of memory for %zu bytes on rank 0", bytes);
        else
            fill_pattern(S.src, S.n);
    } else if (S.active) {
        S.recv = malloc(S.n * sizeof(double));
        if (!S.recv)
            rc = bench_fail(b, "share: out of memory for %zu bytes on rank %d", bytes, rank);
        else
            fill_pattern(S.recv, S.n);
    }
    double touch = MPI_Wtime() - t0, touch_max;
    MPI_Allreduce(&touch, &touch_max, 1, MPI_DOUBLE, MPI_MAX, comm);
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;
    bench_spec first_touch = {.method = "first touch: malloc+fill, max rank",
                              .size = size,
                              .work = size,
                              .role = BENCH_OTHER};
    if ((rc = bench_record(b, &first_touch, &touch_max, 1, NULL)) != 0)
        goto out;

    /* The shared array: one copy per node, filled on rank 0's node by rank
     * 0 through the node span. */
    size_t shape = S.n;
    rc = pa_array_create(ctx, PA_F64, 1, &shape, PA_REPLICATED, &S.shared);
    if (rc != PA_OK) {
        bench_fail(b, "share: %s", pa_errmsg(ctx));
        rc = bench_agree(b, -1);
        goto out;
    }
    pa_span node;
    pa_array_node(S.shared, &node);
    S.shared_ptr = node.ptr;
    if (S.active && S.me == 0)
        fill_pattern(S.shared_ptr, S.n);
    if (pa_array_sync(S.shared) != PA_OK) {
        bench_fail(b, "share: %s", pa_errmsg(ctx));
        rc = bench_agree(b, -1);
        goto out;
    }

    /* The window for MPI_Get exposes rank 0's private source. */
    if (S.active) {
        MPI_Win_create(S.me == 0 ? S.src : NULL, S.me == 0 ? (MPI_Aint)(S.n * sizeof(double)) : 0,
                       sizeof(double), MPI_INFO_NULL, S.comm, &S.win);
        MPI_Win_set_errhandler(S.win, MPI_ERRORS_ARE_FATAL);
    }

    /* The file, written once here so that its page-cache pages exist before
     * the timed repetitions overwrite them in place. */
    if (S.active && S.me == 0) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = "/tmp";
        snprintf(S.path, sizeof S.path, "%s/parray-bench-share-%ld.bin", dir, (long)getpid());
        int fd = open(S.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write_all(fd, (const char *)S.src, S.n * sizeof(double)) != 0)
            rc = bench_fail(b, "share: file: writing %s: %s", S.path, strerror(errno));
        if (fd >= 0 && close(fd) != 0 && rc == 0)
            rc = bench_fail(b, "share: file: closing %s: %s", S.path, strerror(errno));
    }
    if (S.active)
        MPI_Bcast(S.path, (int)sizeof S.path, MPI_CHAR, 0, S.comm);
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;

    /* The baseline first, while the receivers' buffers hold the pattern. */
    S.expected = S.base;
    /* The limit is what a receiver needs to read data of its own; the
     * copies are the naive ways. */
    bench_spec own = {
        .method = "limit: receivers sum their own array", .size = size, .role = BENCH_LIMIT};
    bench_spec shared = {
        .method = "parray shared array (zero copy)", .size = size, .prepare = prepare_shared};
    bench_spec sendrecv = {
        .method = "naive: MPI_Send/Recv", .size = size, .prepare = prepare_transfer};
    bench_spec bcast = {.method = "naive: MPI_Bcast", .size = size, .prepare = prepare_transfer};
    bench_spec get = {
        .method = "naive: MPI_Get from a window", .size = size, .prepare = prepare_transfer};
    bench_spec file = {.method = "naive: file write+read (page cache)",
                       .size = size,
                       .prepare = prepare_transfer};
    int fown, fshared, fsend, fbcast, fget, ffile;
    if ((rc = bench_time(b, &own, own_rep, &S, &fown)) != 0 ||
        (rc = bench_time(b, &shared, shared_rep, &S, &fshared)) != 0 ||
        (rc = bench_time(b, &sendrecv, sendrecv_rep, &S, &fsend)) != 0 ||
        (rc = bench_time(b, &bcast, bcast_rep, &S, &fbcast)) != 0 ||
        (rc = bench_time(b, &get, get_rep, &S, &fget)) != 0 ||
        (rc = bench_time(b, &file, file_rep, &S, &ffile)) != 0)
        goto out;

    /* Speeds relative to the limit (own sum) for every method, and the
     * shared array's relative to the fastest naive way: the gain it
     * claims is over the best copy, not the worst. */
    int naive[] = {fsend, fbcast, fget, ffile}, fastest = fsend;
    bench_ratio(b, fshared, fown, "own sum");
    for (int k = 0; k < 4; k++) {
        bench_ratio(b, naive[k], fown, "own sum");
        if (bench_value(b, naive[k]) < bench_value(b, fastest))
            fastest = naive[k];
    }
    bench_ratio(b, fshared, fastest, "fastest naive");

    /* The targets are on times: shared at most 1.2x the own-array sum's,
     * Send/Recv and Bcast at least 3.5x shared's; as speeds, inverted. */
    bench_target(b, fshared, fown, BENCH_AT_LEAST, 1 / 1.2, "own sum");
    bench_target(b, fsend, fshared, BENCH_AT_MOST, 1 / 3.5, "shared");
    bench_target(b, fbcast, fshared, BENCH_AT_MOST, 1 / 3.5, "shared");
    bench_note(b,
               "share: rank 0 -> %d receiver%s on its node; a method's time ends when every "
               "receiver has summed all %zu elements and checked the sum",
               node0[1] - 1, node0[1] == 2 ? "" : "s", S.n);
    bench_note(b, "share: targets: the shared array takes at most 1.2x the own-array sum's "
                  "time, Send/Recv and Bcast at least 3.5x the shared array's");
    bench_note(b, "share: the file is %s, written without fsync and read from the page cache",
               S.path);

out:
    if (S.active && S.me == 0 && S.path[0])
        unlink(S.path);
    if (S.win != MPI_WIN_NULL)
        MPI_Win_free(&S.win);
    pa_array_free(&S.shared);
    if (S.comm != MPI_COMM_NULL)
        MPI_Comm_free(&S.comm);
    free(S.src);
    free(S.recv);
    /* Every exit above was agreed; rc is the same on every rank. */
    return rc;
}

const bench_experiment bench_share = {
    .name = "share",
    .description = "move --bytes (default 800 MB) of f64 from rank 0 to its node: "
                   "Send/Recv, Bcast, Get, file, parray shared array",
    .run = share_run,
};
