/* Row blocks of HDF5 datasets, for data larger than memory: read rows
 * [row0, row0 + n) of a dataset into an array of n rows, and write a new
 * dataset block by block through a writer that holds a crash-safe temporary
 * open until the commit renames it over the file. Transfers are h5.c's:
 * each rank moves the whole rows of its span as one hyperslab, shifted by
 * row0 in the file. */
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "h5.h"

struct pa_h5_writer {
    pa_ctx *ctx;
    char path[PATH_MAX];
    char dname[1024];
    pa_dtype dtype;
    int ndim;
    size_t shape[PA_MAXDIM];
    int collective; /* the writes' transfer mode */
    int failed;     /* a write failed: only an abort is left */
    pa__h5_save sv; /* the save, from create to commit or abort */
    hid_t d;
    /* The row ranges written so far, [lo, hi) pairs, sorted and disjoint
     * (touching ranges merged): the commit checks that they cover the
     * dataset. The same on every rank (the calls are collective with the
     * same arguments, agreed). */
    size_t *iv;
    int niv, cap;
};

/* ------------------------------------------------------------ reads */

/* Checks rows [row0, row0 + n) against a dataset of `rows` rows. */
static int check_range(pa_ctx *ctx, const char *fn, const char *path, const char *dname,
                       size_t row0, size_t n, size_t rows)
{
    PA_CHECK_AS(ctx, fn, row0 <= rows && n <= rows - row0, PA_EINVAL,
                "%s: %s: rows [%zu, %zu + %zu) are outside its %zu rows", path, dname, row0, row0,
                n, rows);
    return PA_OK;
}

/* "(n, shape[1], ...)": a block of n rows of a dataset of that shape. */
static void block_shape(int ndim, const size_t *shape, size_t n, size_t *out)
{
    memcpy(out, shape, sizeof(size_t) * (size_t)ndim);
    out[0] = n;
}

/* Collective. The common part of the two reads: opens path and the dataset,
 * checks the range; with *a NULL creates an array of nrows rows, else checks
 * that *a holds rows of the dataset's dtype and row shape (nrows is then
 * its row count); reads; publishes the rows. Agreed. */
static int read_rows(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                     size_t row0, size_t nrows, const pa_h5_opts *opts, pa_array **a)
{
    pa__h5_read rd;
    size_t bshape[PA_MAXDIM];
    pa_array *created = NULL;
    PA_TRY(pa__h5_read_begin(ctx, fn, path, dataset, opts, PA_OK, &rd));
    pa_dtype dtype = rd.dtype;
    int ndim = rd.ndim;
    const size_t *shape = rd.shape;
    const char *dname = rd.dname;
    int rc = PA_OK;
    if (*a) {
        const pa_array *x = *a;
        block_shape(ndim, shape, x->shape[0], bshape);
        if (dtype != x->dtype || ndim != x->ndim ||
            memcmp(bshape + 1, x->shape + 1, sizeof(size_t) * (size_t)(ndim - 1)) != 0) {
            char s1[PA_MAXDIM * 24], s2[PA_MAXDIM * 24], s3[PA_MAXDIM * 24];
            rc = pa__err(ctx, fn, PA_EFORMAT,
                         "%s: %s is %s %s, so a block of its rows is %s %s; the array is %s %s",
                         path, dname, pa_dtype_name(dtype),
                         pa__shape_str(ndim, shape, s1, sizeof s1), pa_dtype_name(dtype),
                         pa__shape_str(ndim, bshape, s2, sizeof s2), pa_dtype_name(x->dtype),
                         pa__shape_str(x->ndim, x->shape, s3, sizeof s3));
        }
        nrows = x->shape[0];
    }
    if (rc == PA_OK)
        rc = check_range(ctx, fn, path, dname, row0, nrows, shape[0]);
    /* The row range may differ between ranks by mistake: agree before
     * pa_array_create, which a failed rank would skip. */
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc == PA_OK && !*a) {
        block_shape(ndim, shape, nrows, bshape);
        rc = pa_array_create(ctx, dtype, ndim, bshape, opts->dist, &created);
    }
    /* Agreed: pa_array_create agrees on its outcome. */
    rc = pa__h5_read_end(&rd, *a ? *a : created, row0, rc);
    if (rc < 0) {
        pa_array_free(&created);
        return rc;
    }
    if (!*a)
        *a = created;
    return PA_OK;
}

int pa_h5_load_rows(pa_ctx *ctx, const char *path, const char *dataset, size_t row0, size_t nrows,
                    const pa_h5_opts *opts, pa_array **out)
{
    static const char fn[] = "pa_h5_load_rows";
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', '%s', row0 %zu, nrows %zu, %s", PA_CC_STR(path),
                  PA_CC_STR(dataset), row0, nrows, PA_CC_H5_OPTS(opts));
    pa__h5_quiet();
    if (out)
        *out = NULL;
    int rc = out ? PA_OK : pa__err(ctx, fn, PA_EINVAL, "out is NULL");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    pa_array *a = NULL;
    PA_TRY(read_rows(ctx, fn, path, dataset, row0, nrows, opts ? opts : &pa__h5_defaults, &a));
    *out = a;
    return PA_OK;
}

int pa_h5_read_rows(pa_array *a, const char *path, const char *dataset, size_t row0,
                    const pa_h5_opts *opts)
{
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    PA_COLLECTIVE(a->ctx, __func__, "%s, '%s', '%s', row0 %zu, %s", PA_CC_ARRAY(a),
                  PA_CC_STR(path), PA_CC_STR(dataset), row0, PA_CC_H5_OPTS(opts));
    pa__h5_quiet();
    return read_rows(a->ctx, "pa_h5_read_rows", path, dataset, row0, 0,
                     opts ? opts : &pa__h5_defaults, &a);
}

/* ------------------------------------------------------------ the writer */

/* Not collective. Records rows [lo, hi) as written, keeping the list
 * sorted with touching ranges merged. */
static int mark_written(pa_h5_writer *w, size_t lo, size_t hi)
{
    if (lo == hi)
        return PA_OK;
    if (w->niv == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        size_t *iv = realloc(w->iv, sizeof(size_t) * 2 * (size_t)cap);
        if (!iv)
            return pa__err(w->ctx, "pa_h5_write_rows", PA_ENOMEM, "out of memory");
        w->iv = iv;
        w->cap = cap;
    }
    /* Insert in order of lo, then merge every range that overlaps or
     * touches its neighbour. */
    int k = w->niv;
    while (k > 0 && w->iv[2 * (k - 1)] > lo) {
        w->iv[2 * k] = w->iv[2 * (k - 1)];
        w->iv[2 * k + 1] = w->iv[2 * (k - 1) + 1];
        k--;
    }
    w->iv[2 * k] = lo;
    w->iv[2 * k + 1] = hi;
    w->niv++;
    int n = 0;
    for (int i = 0; i < w->niv; i++) {
        size_t a = w->iv[2 * i], b = w->iv[2 * i + 1];
        if (n > 0 && a <= w->iv[2 * (n - 1) + 1]) {
            if (b > w->iv[2 * (n - 1) + 1])
                w->iv[2 * (n - 1) + 1] = b;
        } else {
            w->iv[2 * n] = a;
            w->iv[2 * n + 1] = b;
            n++;
        }
    }
    w->niv = n;
    return PA_OK;
}

static void writer_free(pa_h5_writer *w)
{
    free(w->iv);
    free(w);
}

int pa_h5_create(pa_ctx *ctx, const char *path, const char *dataset, pa_dtype dtype, int ndim,
                 const size_t *shape, const pa_h5_opts *opts, pa_h5_writer **out)
{
    static const char fn[] = "pa_h5_create";
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', '%s', %s, %s, %s", PA_CC_STR(path), PA_CC_STR(dataset),
                  pa_dtype_name(dtype), PA_CC_SHAPE(ndim, shape), PA_CC_H5_OPTS(opts));
    pa__h5_quiet();
    if (out)
        *out = NULL;
    if (!opts)
        opts = &pa__h5_defaults;
    pa_h5_writer *w = calloc(1, sizeof *w);
    int rc = w ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    if (rc == PA_OK && !out)
        rc = pa__err(ctx, fn, PA_EINVAL, "out is NULL");
    if (rc == PA_OK && !path)
        rc = pa__err(ctx, fn, PA_EINVAL, "path is NULL");
    if (rc == PA_OK && strlen(path) >= sizeof w->path)
        rc = pa__err(ctx, fn, PA_EINVAL, "%s: the path is too long", path);
    if (rc == PA_OK)
        rc = pa__h5_norm_path(ctx, fn, dataset, w->dname, sizeof w->dname);
    if (rc == PA_OK && pa_dtype_size(dtype) == 0)
        rc = pa__err(ctx, fn, PA_EINVAL, "dtype = %d is not a dtype", (int)dtype);
    if (rc == PA_OK && (ndim < 1 || ndim > PA_MAXDIM))
        rc = pa__err(ctx, fn, PA_EINVAL, "ndim = %d is not in [1, %d]", ndim, PA_MAXDIM);
    if (rc == PA_OK && !shape)
        rc = pa__err(ctx, fn, PA_EINVAL, "shape is NULL");
    /* The dataset's bytes must fit a size_t (the space reserved for it). */
    size_t bytes = rc == PA_OK ? pa_dtype_size(dtype) : 0;
    for (int i = 0; rc == PA_OK && i < ndim; i++) {
        if (shape[i] && bytes > SIZE_MAX / shape[i])
            rc = pa__err(ctx, fn, PA_EINVAL, "shape: the dataset's size overflows");
        else
            bytes *= shape[i];
    }
    if (rc == PA_OK)
        rc = pa__h5_check_opts(ctx, fn, opts);
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc < 0) {
        free(w);
        return rc;
    }
    w->ctx = ctx;
    snprintf(w->path, sizeof w->path, "%s", path);
    w->dtype = dtype;
    w->ndim = ndim;
    memcpy(w->shape, shape, sizeof(size_t) * (size_t)ndim);
    /* HDF5 writes through filters only collectively. */
    w->collective = opts->xfer == PA_H5_COLLECTIVE || opts->deflate > 0;
    w->d = H5I_INVALID_HID;

    /* Automatic chunks: where the blocks will start is not known yet, so
     * they are MiB-sized, aligned to nothing (0). The save names the
     * writer's own copies of path and dname, which live as long as it. */
    rc = pa__h5_save_begin(ctx, fn, w->path, w->dname, opts,
                           pa__h5_save_bytes(opts, dtype, ndim, shape, 0, ctx->h5_alignment),
                           &w->sv);
    if (rc < 0) {
        free(w);
        return rc;
    }
    rc = pa__h5_save_dataset(&w->sv, opts, dtype, ndim, shape, 0, &w->d);
    if (rc < 0) {
        rc = pa__h5_save_end(&w->sv, rc);
        free(w);
        return rc;
    }
    *out = w;
    return PA_OK;
}

int pa_h5_write_rows(pa_h5_writer *w, pa_array *a, size_t row0)
{
    static const char fn[] = "pa_h5_write_rows";
    PA_CHECK(NULL, w, PA_EINVAL, "w is NULL");
    pa_ctx *ctx = w->ctx;
    PA_COLLECTIVE(ctx, fn, "'%s', '%s', %s, row0 %zu", w->path, w->dname, PA_CC_ARRAY(a), row0);
    int rc = a ? PA_OK : pa__err(ctx, fn, PA_EINVAL, "a is NULL");
    if (rc == PA_OK && a->ctx != ctx)
        rc = pa__err(ctx, fn, PA_EINVAL, "a belongs to another context than the writer");
    if (rc == PA_OK && w->failed)
        rc = pa__err(ctx, fn, PA_EINVAL,
                     "%s: an earlier write failed; the writer can only be aborted", w->path);
    if (rc == PA_OK) {
        size_t bshape[PA_MAXDIM];
        block_shape(w->ndim, w->shape, a->shape[0], bshape);
        if (a->dtype != w->dtype || a->ndim != w->ndim ||
            memcmp(bshape + 1, a->shape + 1, sizeof(size_t) * (size_t)(w->ndim - 1)) != 0) {
            char s1[PA_MAXDIM * 24], s2[PA_MAXDIM * 24], s3[PA_MAXDIM * 24];
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "%s: %s is %s %s, so a block of its rows is %s %s; a is %s %s", w->path,
                         w->dname, pa_dtype_name(w->dtype),
                         pa__shape_str(w->ndim, w->shape, s1, sizeof s1), pa_dtype_name(w->dtype),
                         pa__shape_str(w->ndim, bshape, s2, sizeof s2), pa_dtype_name(a->dtype),
                         pa__shape_str(a->ndim, a->shape, s3, sizeof s3));
        }
    }
    if (rc == PA_OK)
        rc = check_range(ctx, fn, w->path, w->dname, row0, a->shape[0], w->shape[0]);
    /* Bad arguments leave the writer usable; they may differ by rank. */
    PA_TRY(pa__agree(ctx, ctx->comm, rc));

    rc = pa__h5_move(a, fn, w->path, w->dname, w->d, row0, 1, w->collective);
    if (rc == PA_OK)
        rc = mark_written(w, row0, row0 + a->shape[0]);
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc < 0)
        w->failed = 1;
    return rc;
}

/* Collective. Closes the dataset and ends the save with rc: commit when
 * it is PA_OK on every rank, else remove the temporary. Frees w. */
static int writer_end(pa_h5_writer *w, const char *fn, int rc)
{
    pa_ctx *ctx = w->ctx;
    if (w->d >= 0 && H5Dclose(w->d) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close dataset '%s'", w->path, w->dname);
    w->sv.fn = fn;
    rc = pa__h5_save_end(&w->sv, rc);
    writer_free(w);
    return rc;
}

int pa_h5_commit(pa_h5_writer **wp)
{
    static const char fn[] = "pa_h5_commit";
    PA_CHECK(NULL, wp && *wp, PA_EINVAL, "w is NULL");
    pa_h5_writer *w = *wp;
    PA_COLLECTIVE(w->ctx, fn, "'%s', '%s'", w->path, w->dname);
    *wp = NULL;
    pa_ctx *ctx = w->ctx;
    int rc = PA_OK;
    if (w->failed) {
        rc = pa__err(ctx, fn, PA_EIO, "%s: a write failed; the old file is kept", w->path);
    } else {
        /* Rows never written would hold whatever the disk held: refuse. */
        size_t lo = 0, hi = w->shape[0];
        if (w->niv > 0 && w->iv[0] == 0) {
            lo = w->iv[1];
            hi = w->niv > 1 ? w->iv[2] : w->shape[0];
        } else if (w->niv > 0) {
            hi = w->iv[0];
        }
        if (lo < hi)
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "%s: %s: rows [%zu, %zu) were never written; the old file is kept",
                         w->path, w->dname, lo, hi);
    }
    return writer_end(w, fn, rc);
}

int pa_h5_abort(pa_h5_writer **wp)
{
    static const char fn[] = "pa_h5_abort";
    if (!wp || !*wp)
        return PA_OK;
    pa_h5_writer *w = *wp;
    PA_COLLECTIVE(w->ctx, fn, "'%s', '%s'", w->path, w->dname);
    *wp = NULL;
    pa_ctx *ctx = w->ctx;
    int rc = PA_OK;
    if (w->d >= 0 && H5Dclose(w->d) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close dataset '%s'", w->path, w->dname);
    rc = pa__agree(ctx, ctx->comm, rc);
    /* Ends the save as a failure, which removes the temporary file or name
     * (the abort was asked for, so only a failed close is reported). */
    w->sv.fn = fn;
    (void)pa__h5_save_end(&w->sv,
                          rc < 0 ? rc : pa__err(ctx, fn, PA_EIO, "%s: save abandoned", w->path));
    writer_free(w);
    return rc;
}
