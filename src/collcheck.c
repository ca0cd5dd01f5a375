/* Checks that every rank does the same thing: the settings at pa_init, and,
 * in the debug mode PARRAY_CHECK=collectives, every collective call (its name
 * and scalar arguments) and every reduction of a replicated array. The
 * protocol and its cost are in collcheck.h. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"

#define RECORD_TAG 1
#define TEXT_MAX 248   /* a record's text; a longer call text is cut, its hash is whole */
#define MSG_TEXT "200" /* the most of each call's text in a mismatch message */

/* What one rank sends every other rank at a collective call: 256 bytes,
 * below every transport's eager limit, so a send completes without its
 * receiver. */
typedef struct {
    uint64_t hash;
    char text[TEXT_MAX];
} record;

struct pa_collcheck {
    MPI_Comm comm;     /* the job's, duplicated: the checker's messages alone */
    uint64_t calls;    /* collective calls checked so far */
    record *recs;      /* recs[r]: rank r's record of the current call */
    MPI_Request *reqs; /* the receives from, then the sends to, the other ranks */
    int *done;         /* MPI_Testsome's indices */
    uint64_t *hashes;  /* one per rank: the replicated check's results */
};

/* ------------------------------------------------------------ hashing */

#define HASH_SEED UINT64_C(0xcbf29ce484222325)

/* FNV-1a: enough to tell calls and settings apart; not for adversaries. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Collective over comm. *which is the index of the first of h[0..n) (n at
 * most MAX_SAME) that is not the same on every rank, or -1: one allreduce
 * of the minima of h and of ~h (whose minimum is ~ the maximum of h). */
#define MAX_SAME 64
static int first_difference(pa_ctx *ctx, const char *fn, MPI_Comm comm, int n, const uint64_t *h,
                            int *which)
{
    uint64_t v[2 * MAX_SAME] = {0}, m[2 * MAX_SAME];
    assert(n <= MAX_SAME);
    for (int i = 0; i < n; i++) {
        v[2 * i] = h[i];
        v[2 * i + 1] = ~h[i];
    }
    PA_TRY(pa__mpi(ctx, fn, MPI_Allreduce(v, m, 2 * n, MPI_UINT64_T, MPI_MIN, comm),
                   "MPI_Allreduce of the hashes"));
    *which = -1;
    for (int i = 0; i < n && *which < 0; i++)
        if (m[2 * i] != ~m[2 * i + 1])
            *which = i;
    return PA_OK;
}

/* ------------------------------------------------------------ settings */

/* Appends to msg (of size len, at *used): the rank list of one value. */
static void append(char *msg, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *msg, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg + *used, len - *used, fmt, ap);
    va_end(ap);
    *used = n < 0 ? len : *used + (size_t)n;
}

int pa__same_strings(pa_ctx *ctx, MPI_Comm comm, const char *fn, int n, const char *const *names,
                     const char *const *values)
{
    uint64_t h[MAX_SAME];
    for (int i = 0; i < n; i++) {
        unsigned char set = values[i] != NULL; /* unset is not "" */
        h[i] = hash_bytes(HASH_SEED, &set, 1);
        if (set)
            h[i] = hash_bytes(h[i], values[i], strlen(values[i]));
    }
    int which;
    PA_TRY(first_difference(ctx, fn, comm, n, h, &which));
    if (which < 0)
        return PA_OK;

    /* Every rank learns every rank's value (cut to 40 bytes) and writes the
     * same message: each distinct value with the first rank that has it. */
    enum { VALUE_MAX = 40 };
    int size;
    PA_TRY(pa__mpi(ctx, fn, MPI_Comm_size(comm, &size), "MPI_Comm_size"));
    char mine[VALUE_MAX + 2] = {0}; /* mine[0]: set or not */
    if (values[which]) {
        mine[0] = 1;
        snprintf(mine + 1, VALUE_MAX + 1, "%s", values[which]);
    }
    char *all = malloc((size_t)size * sizeof mine);
    int ok = all != NULL, all_ok = 0;
    PA_TRY(pa__mpi(ctx, fn, MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm),
                   "MPI_Allreduce"));
    int rc = all_ok ? pa__mpi(ctx, fn,
                              MPI_Allgather(mine, sizeof mine, MPI_CHAR, all, sizeof mine,
                                            MPI_CHAR, comm),
                              "MPI_Allgather of the settings")
                    : PA_OK;
    if (rc < 0 || !all_ok) {
        free(all);
        return rc < 0 ? rc
                      : pa__err(ctx, fn, PA_EINVAL, "%s differs between ranks", names[which]);
    }
    char msg[PA_ERRMSG_MAX];
    size_t used = 0;
    append(msg, sizeof msg, &used, "%s differs between ranks:", names[which]);
    for (int r = 0; r < size; r++) {
        const char *v = all + (size_t)r * sizeof mine;
        int seen = 0, count = 0;
        for (int q = 0; q < size && !seen; q++) {
            int same = memcmp(v, all + (size_t)q * sizeof mine, sizeof mine) == 0;
            seen = same && q < r;
            count += same;
        }
        if (seen)
            continue;
        append(msg, sizeof msg, &used, "%s ", r ? "," : "");
        if (v[0])
            append(msg, sizeof msg, &used, "'%s'", v + 1);
        else
            append(msg, sizeof msg, &used, "unset");
        append(msg, sizeof msg, &used, " on rank %d", r);
        if (count > 1)
            append(msg, sizeof msg, &used, " and %d other rank%s", count - 1,
                   count > 2 ? "s" : "");
    }
    free(all);
    return pa__err(ctx, fn, PA_EINVAL, "%s (set it alike on every rank, e.g. mpirun -x %s)", msg,
                   names[which]);
}

/* ------------------------------------------------------------ the checker */

int pa__collcheck_init(pa_ctx *ctx)
{
    if (!ctx->check_collectives)
        return PA_OK;
    MPI_Comm comm;
    PA_TRY(pa__mpi(ctx, "pa_init", MPI_Comm_dup(ctx->comm, &comm), "MPI_Comm_dup"));
    pa_collcheck *cc = calloc(1, sizeof *cc);
    if (!cc) {
        (void)MPI_Comm_free(&comm); /* cleanup of a failure reported below */
        return pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
    }
    cc->comm = comm;
    ctx->collcheck = cc;
    size_t p = (size_t)ctx->size;
    cc->recs = malloc(sizeof *cc->recs * p);
    cc->reqs = malloc(sizeof *cc->reqs * 2 * p);
    cc->done = malloc(sizeof *cc->done * 2 * p);
    cc->hashes = malloc(sizeof *cc->hashes * p);
    PA_CHECK_AS(ctx, "pa_init", cc->recs && cc->reqs && cc->done && cc->hashes, PA_ENOMEM,
                "out of memory");
    return pa__mpi(ctx, "pa_init", MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN),
                   "MPI_Comm_set_errhandler");
}

void pa__collcheck_free(pa_ctx *ctx)
{
    pa_collcheck *cc = ctx->collcheck;
    if (!cc)
        return;
    /* Every record of every checked call has been received (each check
     * waits for all of them), so nothing is pending on the communicator. */
    (void)MPI_Comm_free(&cc->comm); /* teardown: nothing to do on failure */
    free(cc->recs);
    free(cc->reqs);
    free(cc->done);
    free(cc->hashes);
    free(cc);
    ctx->collcheck = NULL;
}

/* Whether rank r's record of the current call has not come. The receive
 * from rank r is reqs[r - (r > rank)]. */
static int missing(const pa_ctx *ctx, const pa_collcheck *cc, int r)
{
    return r != ctx->rank && cc->reqs[r - (r > ctx->rank)] != MPI_REQUEST_NULL;
}

/* The timeout: the ranks not yet heard from will not come. Prints them
 * ("1, 3-5") and aborts the job. */
static void abort_job(pa_ctx *ctx, const pa_collcheck *cc, double waited)
{
    char list[PA_ERRMSG_MAX];
    size_t used = 0;
    int count = 0;
    list[0] = '\0';
    for (int r = 0; r < ctx->size; r++) {
        if (!missing(ctx, cc, r))
            continue;
        int e = r;
        while (e + 1 < ctx->size && missing(ctx, cc, e + 1))
            e++;
        append(list, sizeof list, &used, "%s%d", used ? ", " : "", r);
        if (e > r)
            append(list, sizeof list, &used, "-%d", e);
        count += e - r + 1;
        r = e;
    }
    fprintf(stderr,
            "parray: PARRAY_CHECK=collectives: rank %d has waited %.0f s in %s (collective call "
            "%" PRIu64 "), which rank%s %s %s not called: a collective call made on some ranks "
            "only. Aborting the job (PARRAY_CHECK_TIMEOUT=%d).\n",
            ctx->rank, waited, cc->recs[ctx->rank].text, cc->calls, count > 1 ? "s" : "", list,
            count > 1 ? "have" : "has", ctx->check_timeout);
    fflush(stderr);
    MPI_Abort(ctx->comm, 1);
}

/* Completes every receive and send of the current call, polling with
 * sleeps, and aborts the job after the timeout. */
static int wait_records(pa_ctx *ctx, pa_collcheck *cc, int nreq)
{
    double start = MPI_Wtime();
    long ns = 0;
    for (;;) {
        int outcount;
        int rc = MPI_Testsome(nreq, cc->reqs, &outcount, cc->done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS)
            return pa__mpi(ctx, "PARRAY_CHECK", rc, "MPI_Testsome");
        if (outcount == MPI_UNDEFINED) /* every request is complete */
            return PA_OK;
        double waited = MPI_Wtime() - start;
        if (waited > ctx->check_timeout)
            abort_job(ctx, cc, waited);
        if (outcount == 0)
            pa__wait_pause(&ns);
    }
}

/* The check of one call: its text from fmt and ap, then the records. */
static int check_call(pa_ctx *ctx, const char *fn, const char *fmt, va_list ap)
{
    pa_collcheck *cc = ctx->collcheck;
    cc->calls++;
    if (ctx->size == 1)
        return PA_OK;
    char text[8192];
    int n = snprintf(text, sizeof text, "%s(", fn);
    vsnprintf(text + n, sizeof text - (size_t)n - 1, fmt, ap);
    strcat(text, ")");
    record *mine = &cc->recs[ctx->rank];
    mine->hash = hash_bytes(HASH_SEED, text, strlen(text));
    snprintf(mine->text, sizeof mine->text, "%s", text);

    /* The receives first (rank order, skipping this rank), then the sends:
     * index r - (r > rank) of reqs is the receive from rank r. */
    int nreq = 0, rc = MPI_SUCCESS;
    for (int r = 0; r < ctx->size && rc == MPI_SUCCESS; r++)
        if (r != ctx->rank)
            rc = MPI_Irecv(&cc->recs[r], sizeof(record), MPI_BYTE, r, RECORD_TAG, cc->comm,
                           &cc->reqs[nreq++]);
    for (int r = 0; r < ctx->size && rc == MPI_SUCCESS; r++)
        if (r != ctx->rank)
            rc = MPI_Isend(mine, sizeof(record), MPI_BYTE, r, RECORD_TAG, cc->comm,
                           &cc->reqs[nreq++]);
    if (rc != MPI_SUCCESS) {
        /* Nothing is posted past the failure; take back what was. */
        for (int i = 0; i < nreq - 1; i++) {
            (void)MPI_Cancel(&cc->reqs[i]);
            (void)MPI_Request_free(&cc->reqs[i]);
        }
        return pa__mpi(ctx, fn, rc, "posting the collective check's records");
    }
    PA_TRY(wait_records(ctx, cc, nreq));

    /* Every rank holds the same records: all decide alike. */
    for (int r = 1; r < ctx->size; r++)
        if (cc->recs[r].hash != cc->recs[0].hash)
            return pa__err(ctx, fn, PA_EINVAL,
                           "collective mismatch at call %" PRIu64 ": rank 0 called %." MSG_TEXT
                           "s, rank %d called %." MSG_TEXT "s",
                           cc->calls, cc->recs[0].text, r, cc->recs[r].text);
    return PA_OK;
}

int pa__call_watch(pa_ctx **scope, pa_ctx *ctx, const char *fn, const char *fmt, ...)
{
    if (scope && ctx->profile)
        pa__profile_begin(scope, ctx, fn);
    if (!ctx->check_collectives)
        return PA_OK;
    va_list ap;
    va_start(ap, fmt);
    int rc = check_call(ctx, fn, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------ replicated arrays */

int pa__collcheck_replicated(const pa_array *a, const char *fn, int rc, const void *out,
                             size_t bytes)
{
    pa_ctx *ctx = a->ctx;
    pa_collcheck *cc = ctx->collcheck;
    if (ctx->nnodes == 1) /* one copy */
        return rc;
    /* A failure on some node is reported as it is: its node's ranks agree
     * on it, and there is no result to compare. */
    uint64_t h = rc < 0 ? 0 : hash_bytes(HASH_SEED, out, bytes);
    uint64_t v[3] = {h, ~h, rc < 0 ? 0 : 1}, m[3];
    PA_TRY(pa__mpi(ctx, fn, MPI_Allreduce(v, m, 3, MPI_UINT64_T, MPI_MIN, cc->comm),
                   "MPI_Allreduce of the replicated results"));
    if (m[2] == 0 || m[0] == ~m[1])
        return rc;
    PA_TRY(pa__mpi(ctx, fn,
                   MPI_Allgather(&h, 1, MPI_UINT64_T, cc->hashes, 1, MPI_UINT64_T, cc->comm),
                   "MPI_Allgather of the replicated results"));
    /* The nodes whose result differs from node 0's, each named once. */
    char nodes[PA_ERRMSG_MAX];
    size_t used = 0;
    int last = 0;
    nodes[0] = '\0';
    for (int r = 1; r < ctx->size; r++)
        if (cc->hashes[r] != cc->hashes[0] && ctx->node_of[r] > last) {
            last = ctx->node_of[r];
            append(nodes, sizeof nodes, &used, "%s%d", used ? ", " : "", last);
        }
    return pa__err(ctx, fn, PA_EINVAL,
                   "replicated array differs between nodes: its result on node 0 is not the "
                   "one on node%s %s. Did you write one node's copy without "
                   "pa_array_replicate?",
                   strchr(nodes, ',') ? "s" : "", nodes);
}

/* ------------------------------------------------------------ argument texts */

const char *pa__cc_dist(pa_dist d)
{
    return d == PA_DISTRIBUTED ? "distributed" : d == PA_REPLICATED ? "replicated" : "dist ?";
}

const char *pa__cc_array(const pa_array *a, char *buf)
{
    if (!a)
        return "NULL";
    if (a->ctx->profile)
        pa__profile_arg(a);
    if (!a->ctx->check_collectives)
        return "";
    char shape[PA_MAXDIM * 24];
    snprintf(buf, PA_CC_ITEM, "%s %s%s", pa_dtype_name(a->dtype),
             pa__shape_str(a->ndim, a->shape, shape, sizeof shape),
             a->dist == PA_REPLICATED ? " replicated" : "");
    return buf;
}

const char *pa__cc_shape(int ndim, const size_t *shape, char *buf)
{
    if (!shape || ndim < 0 || ndim > PA_MAXDIM)
        snprintf(buf, PA_CC_ITEM, "ndim %d", ndim);
    else
        pa__shape_str(ndim, shape, buf, PA_CC_ITEM);
    return buf;
}

/* For the options below, NULL reads as the defaults, as the calls read it. */
const char *pa__cc_h5_opts(const pa_h5_opts *o, char *buf)
{
    static const pa_h5_opts defaults = {0};
    o = o ? o : &defaults;
    snprintf(buf, PA_CC_ITEM,
             "xfer %d layout %d chunk_rows %zu deflate %d truncate %d "
             "durable %d dist %d copy %d",
             (int)o->xfer, (int)o->layout, o->chunk_rows, o->deflate, o->truncate, o->durable,
             (int)o->dist, o->copy);
    return buf;
}

const char *pa__cc_files_opts(const pa_files_opts *o, char *buf)
{
    static const pa_files_opts defaults = {0};
    o = o ? o : &defaults;
    /* threads and progress are this rank's business. */
    size_t used = 0;
    append(buf, PA_CC_ITEM, &used,
           "place %d delimiter %d comment %d no_comments %d header %d dtype %d "
           "shape %s dataset '%s' big_endian %d durable %d",
           (int)o->place, o->delimiter, o->comment, o->no_comments, o->header, (int)o->dtype,
           PA_CC_SHAPE(o->ndim, o->shape), PA_CC_STR(o->dataset), o->big_endian, o->durable);
    return buf;
}

const char *pa__cc_matmul_opts(const pa_matmul_opts *o, char *buf)
{
    static const pa_matmul_opts defaults = PA_MATMUL_OPTS_INIT;
    o = o ? o : &defaults;
    snprintf(buf, PA_CC_ITEM, "transA %d transB %d alpha %.17g beta %.17g mode %d", o->transA,
             o->transB, o->alpha, o->beta, (int)o->mode);
    return buf;
}

const char *pa__cc_bind(const pa_binding *b, int n, char *buf)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; b && i < n; i++) {
        char arr[PA_CC_ITEM];
        const char *text = b[i].array ? pa__cc_array(b[i].array, arr) : NULL;
        if (text && !b[i].array->ctx->check_collectives)
            continue; /* the profile alone: the array's bytes are counted */
        if (text)
            append(buf, PA_CC_ITEM, &used, "%s%s=%s", i ? " " : "", PA_CC_STR(b[i].name), text);
        else
            append(buf, PA_CC_ITEM, &used, "%s%s=%.17g", i ? " " : "", PA_CC_STR(b[i].name),
                   b[i].value);
    }
    return buf;
}

const char *pa__cc_paths(const char *const *paths, size_t n, char *buf)
{
    /* The whole list goes into the hash; the text shows its ends. */
    uint64_t h = HASH_SEED;
    for (size_t i = 0; paths && i < n; i++)
        h = hash_bytes(h, PA_CC_STR(paths[i]), strlen(PA_CC_STR(paths[i])) + 1);
    if (!paths || n == 0)
        snprintf(buf, PA_CC_ITEM, "%zu paths", n);
    else
        snprintf(buf, PA_CC_ITEM, "%zu paths '%.80s' .. '%.80s' #%016" PRIx64, n,
                 PA_CC_STR(paths[0]), PA_CC_STR(paths[n - 1]), h);
    return buf;
}
