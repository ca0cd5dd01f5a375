/* pa_import_csv: one big CSV file into a dataset of an HDF5 file in one
 * pass. Where the save can be written by the ranks themselves (one node, a
 * contiguous dataset of a whole-file save), each rank parses its byte range
 * of the CSV into a small buffer of rows and writes it to its rows of the
 * new file, a piece at a time: no array in between, so no memory to fault
 * in for it and no second pass to copy it into the file. Elsewhere the
 * array is loaded and saved as pa_h5_save would. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collcheck.h"
#include "files.h"
#include "h5.h"

/* The rows written at a time: a buffer that stays in the cache between
 * writes, and few enough writes that the ranks seldom queue for the file's
 * lock (a write(2) holds it; the parse between two writes is ~10x longer
 * than the write). */
#define WRITE_PIECE_BYTES ((size_t)1 << 20)

/* A rank's rows on their way to the file: parsed into buf, written when
 * it is full. A write copies the buffer into the page cache; a shared
 * mapping of the file instead faulted in every page twice (a read fault
 * that zeroes the page, the file's blocks being unwritten, then the first
 * store), which cost a sixth of the import's time. */
typedef struct {
    pa_ctx *ctx;
    const char *fn, *path; /* path: the save's target, named in messages */
    int fd;
    char *buf;
    size_t rowbytes, cap, held; /* bytes of a row; rows buf holds, and now holds */
    off_t at;                   /* the file offset of buf's first row */
    int rc;                     /* the first failure, or PA_OK */
} row_writer;

/* Not collective. Writes the rows held; PA_OK or PA_EIO, recorded. */
static int writer_flush(row_writer *w)
{
    size_t len = w->held * w->rowbytes;
    if (w->rc == PA_OK && len > 0)
        w->rc = pa__write_at(w->ctx, w->fn, w->path, w->fd, w->buf, len, (size_t)w->at);
    w->at += (off_t)len;
    w->held = 0;
    return w->rc;
}

/* pa__csv_parse's dest: the rows come in order, so row r is the next
 * place of the buffer, after a write when it is full (NULL when that
 * fails). */
static void *writer_row(size_t r, void *arg)
{
    (void)r;
    row_writer *w = arg;
    if (w->held == w->cap && writer_flush(w) < 0)
        return NULL;
    return w->buf + w->held++ * w->rowbytes;
}

/* Collective. Parses this rank's rows into their bytes of the file at
 * offset (the dataset's data, allocated by pa__h5_map_begin). Agreed. */
static int parse_into_file(pa__csv_job *j, pa__h5_save *sv, off_t offset)
{
    pa_ctx *ctx = j->ctx;
    size_t rowbytes = j->shape[1] * pa_dtype_size(j->c.dtype);
    row_writer w = {.ctx = ctx,
                    .fn = j->fn,
                    .path = sv->path,
                    .fd = -1,
                    .rowbytes = rowbytes,
                    .cap = WRITE_PIECE_BYTES > rowbytes ? WRITE_PIECE_BYTES / rowbytes : 1,
                    .at = offset + (off_t)(j->r0 * rowbytes)};
    /* The fault site of the save's writes, so that a failure here is
     * tested as one there. */
    int rc = pa__h5_write_fault(ctx, w.fn, sv->path, sv->dname, 1);
    if (rc == PA_OK && j->n > 0) {
        const char *file = pa__safe_file(&sv->s);
        if ((w.fd = open(file, O_WRONLY | O_CLOEXEC)) < 0)
            rc = pa__err(ctx, w.fn, PA_EIO, "%s: %s", file, strerror(errno));
        else if (!(w.buf = malloc(w.cap * rowbytes)))
            rc = pa__err(ctx, w.fn, PA_ENOMEM, "out of memory for %zu rows", w.cap);
        if (rc == PA_OK)
            rc = pa__csv_job_parse(j, writer_row, &w);
        /* A write that failed stopped the parse: its failure is the one
         * to report. */
        rc = w.rc < 0 ? w.rc : rc == PA_OK ? writer_flush(&w) : rc;
        if (w.fd >= 0 && close(w.fd) < 0 && rc == PA_OK)
            rc = pa__err(ctx, w.fn, PA_EIO, "%s: close: %s", w.path, strerror(errno));
        free(w.buf);
    }
    return pa__agree(ctx, ctx->comm, rc);
}

/* Collective. The rows into the new dataset d of the save sv: parsed into
 * the file, or (a save that the ranks cannot write themselves) loaded and
 * written by HDF5. Agreed. */
static int import_rows(pa__csv_job *j, pa__h5_save *sv, const pa_h5_opts *o, hid_t d)
{
    pa_ctx *ctx = j->ctx;
    size_t bytes = j->shape[0] * j->shape[1] * pa_dtype_size(j->c.dtype);
    off_t offset;
    int fit;
    PA_TRY(pa__h5_map_begin(sv, o, d, bytes, &offset, &fit));
    if (fit)
        return parse_into_file(j, sv, offset);
    pa_array *a = NULL;
    int rc = pa__csv_job_load(j, &a);
    if (rc == PA_OK)
        rc = pa__agree(
            ctx, ctx->comm,
            pa__h5_move(a, j->fn, sv->path, sv->dname, d, 0, 1, o->xfer == PA_H5_COLLECTIVE));
    pa_array_free(&a);
    return rc;
}

int pa_import_csv(pa_ctx *ctx, const char *csv, const pa_files_opts *csv_opts, const char *path,
                  const char *dataset, const pa_h5_opts *h5_opts)
{
    static const char fn[] = "pa_import_csv";
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', %s, '%s', '%s', %s", PA_CC_STR(csv), PA_CC_FILES_OPTS(csv_opts),
                  PA_CC_STR(path), PA_CC_STR(dataset), PA_CC_H5_OPTS(h5_opts));
    pa__h5_quiet();
    const pa_h5_opts *o = h5_opts ? h5_opts : &pa__h5_defaults;
    char dname[1024];
    PA_TRY(pa__h5_check_args(ctx, fn, path, dataset, o, PA_OK, dname, sizeof dname));

    /* Chunks, deflate or several nodes: the save writes through HDF5, from
     * an array. */
    if (ctx->nnodes > 1 || o->layout == PA_H5_CHUNKED || o->deflate > 0) {
        pa_array *a = NULL;
        int rc = pa_load_csv(ctx, csv, csv_opts, &a);
        if (rc == PA_OK)
            rc = pa_h5_save(a, path, dataset, h5_opts);
        pa_array_free(&a);
        return rc;
    }
    pa__csv_job j;
    PA_TRY(pa__csv_job_begin(ctx, fn, csv, csv_opts, &j));
    size_t bytes = pa__h5_save_bytes(o, j.c.dtype, 2, j.shape, 0, ctx->h5_alignment);
    pa__h5_save sv;
    int rc = pa__h5_save_begin(ctx, fn, path, dname, o, bytes, &sv);
    if (rc < 0) {
        pa__csv_job_end(&j);
        return rc;
    }
    hid_t d;
    rc = pa__h5_save_dataset(&sv, o, j.c.dtype, 2, j.shape, 0, &d);
    if (rc == PA_OK) {
        rc = import_rows(&j, &sv, o, d);
        if (H5Dclose(d) < 0 && rc == PA_OK)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close dataset '%s'", path, dname);
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    pa__csv_job_end(&j);
    return pa__h5_save_end(&sv, rc);
}
