/* Many files at once: pa_load_files stacks n files of one shape into an
 * (n, ...) array with each rank reading its share of the files straight
 * into their rows, and pa_save_files writes one file per row. This file
 * holds the placement (who reads which file, balanced by size), the
 * delivery of rows read on another node, the name patterns, whole-file I/O
 * helpers, and HDF5 files as a format (through the serial calls of h5.c:
 * each file is read or written by one rank, so the default sec2 driver,
 * not MPI-IO, whose opens are collective). The formats themselves are in
 * npy.c, csv.c and raw.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collcheck.h"
#include "files.h"
#include "h5.h"

/* The cost of one file beyond its bytes (an open, a stat, a close), in
 * bytes: balancing by size + this keeps tiny files balanced by count. */
#define FILE_COST 4096
/* The largest piece of one MPI message (int counts of bytes). */
#define MSG_BYTES ((size_t)1 << 30)
#define TAG_ROWS 0x7061

/* ------------------------------------------------------------ shapes */

size_t pa__finfo_count(const pa__finfo *f)
{
    size_t n = 1;
    for (int i = 0; i < f->ndim; i++)
        n *= f->shape[i];
    return n;
}

int pa__finfo_same(const pa__finfo *a, const pa__finfo *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

/* ------------------------------------------------------------ file I/O */

size_t pa__pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return (size_t)-1;
        if (k == 0)
            break;
        done += (size_t)k;
    }
    return done;
}

int pa__read_at(pa_ctx *ctx, const char *fn, const char *path, int fd, void *buf, size_t len,
                size_t off)
{
    size_t got = pa__pread_all(fd, buf, len, off);
    if (got == (size_t)-1)
        return pa__err(ctx, fn, PA_EIO, "%s: read: %s", path, strerror(errno));
    if (got < len)
        return pa__err(ctx, fn, PA_EIO, "%s: read: the file ended early (it shrank?)", path);
    return PA_OK;
}

int pa__write_at(pa_ctx *ctx, const char *fn, const char *path, int fd, const void *buf,
                 size_t len, size_t off)
{
    const char *p = buf;
    size_t todo = pa__fault(ctx, "file_write") ? len / 2 : len;
    for (size_t left = todo; left > 0;) {
        ssize_t k = pwrite(fd, p, left < MSG_BYTES ? left : MSG_BYTES, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return pa__err(ctx, fn, PA_EIO, "%s: write: %s", path,
                           k < 0 ? strerror(errno) : "no progress");
        p += k;
        off += (size_t)k;
        left -= (size_t)k;
    }
    if (todo < len)
        return pa__err(ctx, fn, PA_EIO, "%s: write: injected fault after %zu of %zu bytes", path,
                       todo, len);
    return PA_OK;
}

int pa__tmp_open(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                 pa__tmpfile *t)
{
    t->fd = -1;
    PA_TRY(pa__safe_begin(ctx, MPI_COMM_SELF, fn, path, PA__SAFE_NO_LOCK, &t->s));
    t->flags = o && o->durable ? pa__safe_many_flags(&t->s, path) : 0;
    t->fd = open(t->s.temp, O_WRONLY | O_CLOEXEC);
    if (t->fd < 0)
        return pa__safe_abort(ctx, &t->s, fn,
                              pa__err(ctx, fn, PA_EIO, "%s: cannot open the temporary %s: %s",
                                      path, t->s.temp, strerror(errno)));
    return PA_OK;
}

int pa__tmp_commit(pa_ctx *ctx, const char *fn, pa__tmpfile *t)
{
    int rc = PA_OK;
    if (close(t->fd) < 0) /* a full disk may only show here */
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", t->s.target, strerror(errno));
    t->fd = -1;
    return pa__safe_commit(ctx, &t->s, fn, rc, t->flags);
}

int pa__tmp_abort(pa_ctx *ctx, const char *fn, pa__tmpfile *t, int rc)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    return pa__safe_abort(ctx, &t->s, fn, rc);
}

/* ------------------------------------------------------------ names */

pa_format pa_format_of(const char *path)
{
    static const struct {
        const char *ext;
        pa_format f;
    } exts[] = {
        {".npy", PA_FORMAT_NPY}, {".csv", PA_FORMAT_CSV}, {".txt", PA_FORMAT_CSV},
        {".tsv", PA_FORMAT_CSV}, {".raw", PA_FORMAT_RAW}, {".bin", PA_FORMAT_RAW},
        {".h5", PA_FORMAT_H5},   {".hdf5", PA_FORMAT_H5},
    };
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/'))
        return PA_FORMAT_AUTO;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i].ext) == 0)
            return exts[i].f;
    return PA_FORMAT_AUTO;
}

int pa_files_pattern_check(pa_ctx *ctx, const char *pattern)
{
    const char *fn = "pa_save_files";
    PA_CHECK_AS(ctx, fn, pattern, PA_EINVAL, "pattern is NULL");
    int convs = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        const char *q = p + 1;
        while (*q && strchr("-+ #0", *q))
            q++;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q == '.')
            for (q++; *q >= '0' && *q <= '9'; q++)
                ;
        if (!*q || !strchr("diu", *q))
            return pa__err(ctx, fn, PA_EINVAL,
                           "pattern '%s': '%.*s' at offset %zu is not allowed: a pattern has "
                           "one integer conversion (%%d, %%i or %%u, e.g. %%05d) and no other "
                           "%% but %%%%",
                           pattern, (int)(q - p + (*q != 0)), p, (size_t)(p - pattern));
        convs++;
        p = q;
    }
    PA_CHECK_AS(ctx, fn, convs == 1, PA_EINVAL,
                "pattern '%s' has %d integer conversions; it needs exactly one, such as "
                "'out/part-%%05d.npy'",
                pattern, convs);
    return PA_OK;
}

/* The format to use and the options as the format reads them. */
static int pick_format(pa_ctx *ctx, const char *fn, pa_format format, const char *name,
                       const pa_files_opts *opts, pa_files_opts *o, const pa__format **fmt)
{
    static const pa_files_opts zero = {0};
    *o = opts ? *opts : zero;
    PA_CHECK_AS(ctx, fn, (int)o->dtype >= 0 && o->dtype < PA_NDTYPES, PA_EINVAL,
                "opts->dtype %d is not a parray dtype", (int)o->dtype);
    PA_CHECK_AS(ctx, fn, o->place == PA_PLACE_NODE || o->place == PA_PLACE_JOB, PA_EINVAL,
                "opts->place %d is neither PA_PLACE_NODE nor PA_PLACE_JOB", (int)o->place);
    pa_format f = format == PA_FORMAT_AUTO ? pa_format_of(name) : format;
    const char *dot = strrchr(name, '.');
    if (format == PA_FORMAT_AUTO && f == PA_FORMAT_CSV && o->delimiter == 0 && dot &&
        strcasecmp(dot, ".tsv") == 0)
        o->delimiter = '\t';
    switch (f) {
    case PA_FORMAT_NPY: *fmt = &pa__npy_format; return PA_OK;
    case PA_FORMAT_CSV: *fmt = &pa__csv_format; return pa__csv_check(ctx, fn, o);
    case PA_FORMAT_RAW:
        PA_CHECK_AS(ctx, fn, opts, PA_EINVAL, "raw files need opts with dtype and shape");
        *fmt = &pa__raw_format;
        return PA_OK;
    case PA_FORMAT_H5: *fmt = &pa__h5f_format; return PA_OK;
    case PA_FORMAT_AUTO:
        return pa__err(ctx, fn, PA_EINVAL,
                       "cannot tell the format of '%s' from its extension (.npy, .csv, .txt, "
                       ".tsv, .raw, .bin, .h5, .hdf5); give the format",
                       name);
    }
    return pa__err(ctx, fn, PA_EINVAL, "format %d is not a pa_format", (int)format);
}

/* ------------------------------------------------------------ placement */

/* Part j of parts of the items [lo, hi) whose running weights are cum
 * (cum[i] = the weight of the items before i): [*b0, *b1), cut where the
 * running weight crosses j/parts of the range's weight. */
static void split_by_weight(const uint64_t *cum, size_t lo, size_t hi, int parts, int j,
                            size_t *b0, size_t *b1)
{
    uint64_t total = cum[hi] - cum[lo];
    size_t cut[2];
    for (int e = 0; e < 2; e++) {
        unsigned __int128 goal = (unsigned __int128)total * (unsigned)(j + e) / (unsigned)parts;
        size_t a = lo, b = hi; /* the first i in [lo, hi] with cum[i]-cum[lo] >= goal */
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (cum[m] - cum[lo] >= goal)
                b = m;
            else
                a = m + 1;
        }
        cut[e] = a;
    }
    *b0 = cut[0];
    *b1 = j + 1 == parts ? hi : cut[1];
}

void pa__rows_off_node(const pa_array *a, size_t r0, size_t n, size_t *before, size_t *after)
{
    size_t lo = a->row0, hi = a->row0 + a->nrows, end = r0 + n;
    *before = r0 < lo ? (end < lo ? end : lo) - r0 : 0;
    *after = end > hi ? end - (r0 > hi ? r0 : hi) : 0;
}

int pa__rows_deliver(pa_array *a, size_t r0, size_t n, const void *stage)
{
    pa_ctx *ctx = a->ctx;
    const char *fn = "pa_load_files";
    int P = ctx->size;
    size_t rb = a->rowsize * pa_dtype_size(a->dtype);
    uint64_t mine[2] = {r0, n}, *all = malloc(16 * (size_t)P);
    MPI_Request *req = NULL;
    int nreq = 0, cap = 0, rc = all ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    if ((rc = pa__agree(ctx, ctx->comm, rc)) < 0)
        return rc;
    rc = pa__mpi(ctx, fn, MPI_Allgather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, ctx->comm),
                 "MPI_Allgather");
    /* Every rank walks the same list of pieces: (source s, node k) for each
     * node k other than s's that holds some of s's rows. s sends the piece
     * from its stage; the rank of k that owns the piece's first row
     * receives it straight into k's block. */
    for (int s = 0; rc == PA_OK && s < P; s++) {
        size_t s0 = all[2 * s], s1 = s0 + all[2 * s + 1];
        int sn = ctx->node_of[s];
        size_t sn0, snn;
        pa__rows_of_node(a->shape[0], ctx->nnodes, sn, &sn0, &snn);
        size_t sbefore = s0 < sn0 ? (s1 < sn0 ? s1 : sn0) - s0 : 0;
        for (int k = 0; rc == PA_OK && k < ctx->nnodes; k++) {
            if (k == sn)
                continue;
            size_t k0, kn;
            pa__rows_of_node(a->shape[0], ctx->nnodes, k, &k0, &kn);
            size_t lo = s0 > k0 ? s0 : k0, hi = s1 < k0 + kn ? s1 : k0 + kn;
            if (lo >= hi)
                continue;
            int recv;
            pa_array_row_owner(a, lo, NULL, &recv);
            if (ctx->rank != s && ctx->rank != recv)
                continue;
            char *buf;
            if (ctx->rank == s) {
                size_t at = lo < sn0 ? lo - s0 : sbefore + lo - (sn0 + snn);
                buf = (char *)stage + at * rb;
            } else {
                buf = a->block.base + (lo - a->row0) * rb;
            }
            size_t bytes = (hi - lo) * rb;
            for (size_t off = 0; rc == PA_OK && off < bytes; off += MSG_BYTES) {
                if (nreq == cap) {
                    cap = cap ? 2 * cap : 16;
                    MPI_Request *r2 = realloc(req, sizeof *req * (size_t)cap);
                    if (!r2) {
                        rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
                        break;
                    }
                    req = r2;
                }
                int cnt = (int)(bytes - off < MSG_BYTES ? bytes - off : MSG_BYTES);
                rc = ctx->rank == s ? pa__mpi(ctx, fn,
                                              MPI_Isend(buf + off, cnt, MPI_BYTE, recv, TAG_ROWS,
                                                        ctx->comm, &req[nreq]),
                                              "MPI_Isend")
                                    : pa__mpi(ctx, fn,
                                              MPI_Irecv(buf + off, cnt, MPI_BYTE, s, TAG_ROWS,
                                                        ctx->comm, &req[nreq]),
                                              "MPI_Irecv");
                nreq += rc == PA_OK;
            }
        }
    }
    /* Complete what was started even after a failure, so no buffer stays
     * in use; a posted message always has its partner (both sides walk the
     * same list), unless MPI itself failed. */
    if (nreq > 0) {
        int wrc = pa__mpi(ctx, fn, MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE), "MPI_Waitall");
        if (rc == PA_OK)
            rc = wrc;
    }
    free(req);
    free(all);
    rc = pa__agree(ctx, ctx->comm, rc);
    /* The rows received by one rank of a node, to the node's other ranks. */
    int src = pa__array_sync(a);
    return rc < 0 ? rc : src;
}

/* ------------------------------------------------------------ load */

/* One rank's reading of its files [f0, f1) into their rows (of its node's
 * block, or of stage for rows of other nodes), by one or more threads. */
typedef struct {
    pa_ctx *ctx;
    const char *fn;
    const pa__format *fmt;
    const pa_files_opts *o;
    const pa__finfo *info;
    const char *const *paths;
    pa_array *a;
    char *stage;
    size_t before, rb, f0, f1;
    size_t done; /* files read, for progress (under lock) */
    pthread_mutex_t lock;
} reader;

typedef struct {
    reader *r;
    size_t lo, hi; /* this thread's files */
    pa_ctx ctx;    /* a private copy, so that its error message is its own */
    int rc;
    size_t bad; /* the file that failed */
} reader_thread;

static void *read_range(void *arg)
{
    reader_thread *t = arg;
    reader *r = t->r;
    pa_array *a = r->a;
    t->rc = PA_OK;
    for (size_t i = t->lo; i < t->hi; i++) {
        char *dst = i < a->row0 ? r->stage + (i - r->f0) * r->rb
                    : i >= a->row0 + a->nrows
                        ? r->stage + (r->before + i - a->row0 - a->nrows) * r->rb
                        : a->block.base + (i - a->row0) * r->rb;
        if ((t->rc = r->fmt->read(&t->ctx, r->fn, r->paths[i], r->o, r->info, dst)) < 0) {
            t->bad = i;
            break;
        }
        if (r->o->progress) {
            pthread_mutex_lock(&r->lock);
            r->o->progress(r->o->progress_arg, ++r->done, r->f1 - r->f0);
            pthread_mutex_unlock(&r->lock);
        }
    }
    return NULL;
}

static int read_files(reader *r)
{
    size_t n = r->f1 - r->f0;
    int nt = r->o->threads > 1 && r->fmt != &pa__h5f_format ? r->o->threads : 1;
    if ((size_t)nt > n)
        nt = n ? (int)n : 1;
    reader_thread *t = calloc((size_t)nt, sizeof *t);
    pthread_t *tid = calloc((size_t)nt, sizeof *tid);
    if (!t || !tid) {
        free(t);
        free(tid);
        return pa__err(r->ctx, r->fn, PA_ENOMEM, "out of memory");
    }
    int started = 0, rc = PA_OK;
    for (int k = 0; k < nt; k++) {
        t[k].r = r;
        t[k].lo = r->f0 + n * (size_t)k / (size_t)nt;
        t[k].hi = r->f0 + n * (size_t)(k + 1) / (size_t)nt;
        t[k].ctx = *r->ctx;
    }
    /* Thread 0's files are read by the calling thread itself. */
    for (int k = 1; k < nt; k++, started++)
        if (pthread_create(&tid[k], NULL, read_range, &t[k]) != 0) {
            rc = pa__err(r->ctx, r->fn, PA_ENOMEM, "cannot start reader thread %d", k);
            break;
        }
    if (rc == PA_OK)
        read_range(&t[0]);
    for (int k = 1; k <= started; k++)
        pthread_join(tid[k], NULL);
    /* Report the failure of the lowest file, as one thread would have. */
    for (int k = 0; rc == PA_OK && k < nt; k++)
        if (t[k].rc < 0) {
            memcpy(r->ctx->errmsg, t[k].ctx.errmsg, sizeof r->ctx->errmsg);
            rc = t[k].rc;
        }
    free(t);
    free(tid);
    return rc;
}

/* The words of the first file's dtype and shape at the front of the
 * gathered sizes (size_info). */
#define INFO_WORDS (2 + PA_MAXDIM)

/* Collective. Each rank stats its equal share of the files, and rank 0
 * probes the first file (its dtype and shape decide the stack's); one
 * agreement, then one MPI_Allgatherv gives every rank all sizes and the
 * first file's info. Fixed costs only: no step per file is collective.
 * On success *sizes (n + 1 words, the caller frees it) holds file i's
 * size at [i + 1]. Returns the agreed code. */
static int size_info(pa_ctx *ctx, const char *fn, const pa__format *fmt, const pa_files_opts *o,
                     const char *const *paths, size_t n, uint64_t **sizes, pa__finfo *info)
{
    int P = ctx->size, *counts = malloc(sizeof(int) * 2 * (size_t)P);
    uint64_t *all = malloc(sizeof *all * (INFO_WORDS + n));
    *sizes = malloc(sizeof **sizes * (n + 1));
    int rc = counts && all && *sizes ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    int *displs = counts ? counts + P : NULL;
    for (int q = 0; rc == PA_OK && q < P; q++) {
        size_t lo = n * (size_t)q / (size_t)P, hi = n * (size_t)(q + 1) / (size_t)P;
        displs[q] = q ? INFO_WORDS + (int)lo : 0;
        counts[q] = (int)(hi - lo) + (q ? 0 : INFO_WORDS);
    }
    size_t lo = n * (size_t)ctx->rank / (size_t)P, hi = n * (size_t)(ctx->rank + 1) / (size_t)P;
    for (size_t i = lo; rc == PA_OK && i < hi; i++) {
        /* Each file is read by one rank, so its kind is checked here (no
         * FIFO or device reaches an open), not its agreement. */
        struct stat st;
        if ((rc = pa__file_regular(ctx, fn, paths[i], &st)) == PA_OK)
            all[INFO_WORDS + i] = (uint64_t)st.st_size;
    }
    if (rc == PA_OK && ctx->rank == 0 && (rc = fmt->probe(ctx, fn, paths[0], o, info)) == PA_OK) {
        all[0] = (uint64_t)info->dtype;
        all[1] = (uint64_t)info->ndim;
        for (int d = 0; d < PA_MAXDIM; d++)
            all[2 + d] = d < info->ndim ? info->shape[d] : 0;
    }
    if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa__mpi(ctx, fn,
                     MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_UINT64_T, all, counts, displs,
                                    MPI_UINT64_T, ctx->comm),
                     "MPI_Allgatherv");
    if (rc == PA_OK) {
        info->dtype = (pa_dtype)all[0];
        info->ndim = (int)all[1];
        for (int d = 0; d < PA_MAXDIM; d++)
            info->shape[d] = (size_t)all[2 + d];
        memcpy(*sizes + 1, all + INFO_WORDS, sizeof **sizes * n);
    }
    free(counts);
    free(all);
    if (rc < 0) {
        free(*sizes);
        *sizes = NULL;
    }
    return rc;
}

int pa_load_files(pa_ctx *ctx, const char *const *paths, size_t n, pa_format format,
                  const pa_files_opts *opts, pa_array **out)
{
    const char *fn = __func__;
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "%s, format %d, %s", PA_CC_PATHS(paths, n), (int)format,
                  PA_CC_FILES_OPTS(opts));
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    *out = NULL;
    PA_CHECK(ctx, paths, PA_EINVAL, "paths is NULL");
    PA_CHECK(ctx, n >= 1 && n <= INT_MAX - INFO_WORDS, PA_EINVAL, "n = %zu is not in [1, %d]", n,
             INT_MAX - INFO_WORDS);
    for (size_t i = 0; i < n; i++)
        PA_CHECK(ctx, paths[i], PA_EINVAL, "paths[%zu] is NULL", i);
    pa_files_opts o;
    const pa__format *fmt;
    PA_TRY(pick_format(ctx, fn, format, paths[0], opts, &o, &fmt));

    /* The sizes (then the running weights); the first file decides the
     * dtype and shape. */
    uint64_t *cum;
    pa__finfo info = {0};
    int rc = size_info(ctx, fn, fmt, &o, paths, n, &cum, &info);
    if (rc < 0)
        return rc;
    if (info.ndim + 1 > PA_MAXDIM) {
        rc = pa__err(ctx, fn, PA_ENOTSUP,
                     "%s holds %d dimensions; a stack of them needs %d, "
                     "more than %d",
                     paths[0], info.ndim, info.ndim + 1, PA_MAXDIM);
        goto out;
    }
    size_t shape[PA_MAXDIM] = {n};
    memcpy(shape + 1, info.shape, sizeof(size_t) * (size_t)info.ndim);
    /* Every row is written by its file's read (or the load fails): a block
     * from the pool needs no zeroing pass first. */
    if ((rc = pa__array_create_unset(ctx, info.dtype, info.ndim + 1, shape, PA_DISTRIBUTED,
                                     out)) < 0)
        goto out;
    pa_array *a = *out;

    /* Running weights: bytes plus the cost of a file. */
    cum[0] = 0;
    for (size_t i = 0; i < n; i++)
        cum[i + 1] = cum[i] + cum[i + 1] + FILE_COST;
    size_t f0, f1;
    if (o.place == PA_PLACE_NODE)
        split_by_weight(cum, a->row0, a->row0 + a->nrows, ctx->node_size, ctx->node_rank, &f0,
                        &f1);
    else
        split_by_weight(cum, 0, n, ctx->size, ctx->rank, &f0, &f1);

    size_t rb = a->rowsize * pa_dtype_size(a->dtype), before, after;
    pa__rows_off_node(a, f0, f1 - f0, &before, &after);
    char *stage = NULL;
    if (before + after > 0 && !(stage = malloc((before + after) * rb)))
        rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory for %zu rows", before + after);
    if (rc == PA_OK) {
        reader r = {ctx,   fn,     fmt, &o, &info, paths, a,
                    stage, before, rb,  f0, f1,    0,     PTHREAD_MUTEX_INITIALIZER};
        rc = read_files(&r);
    }
    /* Agree before the delivery, which a failed rank must not skip alone;
     * with the node placement the agreement is the sync that shows each
     * rank's files to its node. */
    if (o.place == PA_PLACE_NODE)
        rc = pa__array_sync_agree(a, rc);
    else if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa__rows_deliver(a, f0, f1 - f0, stage);
    free(stage);
    if (rc < 0)
        pa_array_free(out);
out:
    free(cum);
    return rc;
}

/* ------------------------------------------------------------ save */

int pa__files_durable_check(pa_ctx *ctx, const char *fn, const pa_files_opts *opts)
{
    PA_CHECK_AS(ctx, fn, !opts || opts->durable == 0 || opts->durable == 1, PA_EINVAL,
                "opts->durable = %d is not 0 or 1", opts->durable);
    return PA_OK;
}

/* A durable save's directories: each file's directory is fsynced once
 * after the renames into it (one fsync for a pattern whose directory is
 * fixed, one per file for a pattern that numbers the directory). */
typedef struct {
    char dir[PATH_MAX]; /* the directory with renames not yet synced; "" */
} dir_sync;

/* Notes that a file was renamed into the directory of name, after syncing
 * the previous directory when this one differs. */
static int dir_sync_note(pa_ctx *ctx, const char *fn, dir_sync *d, const char *name)
{
    const char *slash = strrchr(name, '/');
    char dir[PATH_MAX];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == name ? 1 : (int)(slash - name), name);
    if (strcmp(dir, d->dir) == 0)
        return PA_OK;
    int rc = d->dir[0] ? pa__safe_sync_dir(ctx, fn, d->dir) : PA_OK;
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    return rc;
}

/* Syncs the last directory noted. */
static int dir_sync_end(pa_ctx *ctx, const char *fn, const dir_sync *d)
{
    return d->dir[0] ? pa__safe_sync_dir(ctx, fn, d->dir) : PA_OK;
}

/* Collective. Every rank writes its files into the pattern's directory:
 * it must exist and be writable on every rank, or some ranks would write
 * their files and the others fail. A directory named by the number itself
 * (a '%' before the last '/') is each file's own, and is not checked. */
static int check_out_dir(pa_ctx *ctx, const char *fn, const char *pattern)
{
    const char *slash = strrchr(pattern, '/');
    size_t len = slash ? (size_t)(slash - pattern) : 0;
    char dir[PATH_MAX];
    if (memchr(pattern, '%', len) || len >= sizeof dir)
        return PA_OK;
    /* "out/p%d.npy": "out"; "p%d.npy": "."; "/p%d.npy": "/" */
    snprintf(dir, sizeof dir, "%.*s", (int)len, pattern);
    if (len == 0)
        snprintf(dir, sizeof dir, "%s", slash ? "/" : ".");
    return pa__file_agree(ctx, ctx->comm, fn, dir, PA__FILE_DIR, "pattern '%s': the directory %s",
                          pattern, dir);
}

int pa_save_files(pa_array *a, const char *pattern, pa_format format, const pa_files_opts *opts)
{
    const char *fn = __func__;
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, '%s', format %d, %s", PA_CC_ARRAY(a), PA_CC_STR(pattern),
                  (int)format, PA_CC_FILES_OPTS(opts));
    PA_TRY(pa_files_pattern_check(ctx, pattern));
    PA_TRY(pa__files_durable_check(ctx, fn, opts));
    PA_CHECK(ctx, a->shape[0] <= INT_MAX, PA_EINVAL, "a has %zu rows; at most %d files",
             a->shape[0], INT_MAX);
    pa_files_opts o;
    const pa__format *fmt;
    PA_TRY(pick_format(ctx, fn, format, pattern, opts, &o, &fmt));
    pa__finfo info = {a->dtype, a->ndim - 1, {0}};
    memcpy(info.shape, a->shape + 1, sizeof(size_t) * (size_t)(a->ndim - 1));
    PA_TRY(check_out_dir(ctx, fn, pattern));
    PA_TRY(pa__array_sync(a)); /* writes made through pointers, to this rank */

    /* This rank's rows: an equal share of its node's rows, or of all rows
     * for a replicated array (every node holds them all). */
    size_t lo, cnt, first;
    if (a->dist == PA_REPLICATED) {
        pa__rows_of_node(a->shape[0], ctx->size, ctx->rank, &lo, &cnt);
        first = lo;
    } else {
        pa__rows_of_node(a->nrows, ctx->node_size, ctx->node_rank, &lo, &cnt);
        first = a->row0 + lo;
    }
    size_t rb = a->rowsize * pa_dtype_size(a->dtype);
    int rc = PA_OK;
    char name[PATH_MAX];
    dir_sync dirs = {""};
    for (size_t i = 0; rc == PA_OK && i < cnt; i++) {
        int len = snprintf(name, sizeof name, pattern, (int)(first + i));
        if (len < 0 || (size_t)len >= sizeof name)
            rc = pa__err(ctx, fn, PA_EINVAL, "pattern '%s': the name of file %zu is too long",
                         pattern, first + i);
        else
            rc = fmt->write(ctx, fn, name, &o, &info, a->block.base + (lo + i) * rb);
        if (rc == PA_OK && o.durable)
            rc = dir_sync_note(ctx, fn, &dirs, name);
        if (rc == PA_OK && o.progress)
            o.progress(o.progress_arg, i + 1, cnt);
    }
    if (rc == PA_OK)
        rc = dir_sync_end(ctx, fn, &dirs);
    return pa__agree(ctx, ctx->comm, rc);
}
