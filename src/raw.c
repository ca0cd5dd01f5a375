/* Raw binary files: the elements only, in native byte order and C order,
 * with the dtype and shape given by the caller (pa_files_opts). A file's
 * size must be exactly the shape's bytes. */
#include <unistd.h>

#include "files.h"

/* The shape the options give, or for ndim 0 a 1-D shape from size. */
static int raw_info(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                    size_t size, pa__finfo *info)
{
    PA_CHECK_AS(ctx, fn, o, PA_EINVAL, "raw files need opts with dtype and shape");
    PA_CHECK_AS(ctx, fn, (int)o->dtype >= 0 && o->dtype < PA_NDTYPES, PA_EINVAL,
                "opts->dtype %d is not a parray dtype", (int)o->dtype);
    PA_CHECK_AS(ctx, fn, o->ndim >= 0 && o->ndim <= PA_MAXDIM - 1, PA_EINVAL,
                "opts->ndim %d is not in [0, %d]", o->ndim, PA_MAXDIM - 1);
    size_t es = pa_dtype_size(o->dtype);
    info->dtype = o->dtype;
    if (o->ndim == 0) {
        PA_CHECK_AS(ctx, fn, size % es == 0, PA_EFORMAT,
                    "%s: %zu bytes is not a whole number of %s elements", path, size,
                    pa_dtype_name(o->dtype));
        info->ndim = 1;
        info->shape[0] = size / es;
        return PA_OK;
    }
    info->ndim = o->ndim;
    for (int i = 0; i < o->ndim; i++)
        info->shape[i] = o->shape[i];
    return PA_OK;
}

static int raw_probe(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     pa__finfo *info)
{
    int fd;
    size_t size;
    PA_TRY(pa__file_open_input(ctx, fn, path, &fd, &size));
    close(fd);
    return raw_info(ctx, fn, path, o, size, info);
}

static int raw_read(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                    const pa__finfo *want, void *buf)
{
    (void)o;
    int fd;
    size_t size, bytes = pa__finfo_count(want) * pa_dtype_size(want->dtype);
    PA_TRY(pa__file_open_input(ctx, fn, path, &fd, &size));
    int rc = PA_OK;
    if (size != bytes) {
        char s[PA_MAXDIM * 24];
        rc = pa__err(ctx, fn, PA_EINVAL, "%s: %zu bytes, but %s %s needs %zu", path, size,
                     pa_dtype_name(want->dtype),
                     pa__shape_str(want->ndim, want->shape, s, sizeof s), bytes);
    }
    if (rc == PA_OK)
        rc = pa__read_at(ctx, fn, path, fd, buf, bytes, 0);
    close(fd);
    return rc;
}

static int raw_write(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     const pa__finfo *info, const void *buf)
{
    pa__tmpfile t;
    PA_TRY(pa__tmp_open(ctx, fn, path, o, &t));
    int rc = pa__write_at(ctx, fn, path, t.fd, buf,
                          pa__finfo_count(info) * pa_dtype_size(info->dtype), 0);
    if (rc == PA_OK)
        return pa__tmp_commit(ctx, fn, &t);
    return pa__tmp_abort(ctx, fn, &t, rc);
}

const pa__format pa__raw_format = {"raw", raw_probe, raw_read, raw_write};
