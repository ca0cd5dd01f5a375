/* The HDF5 format of the many-files calls (pa_load_files, pa_save_files):
 * each file holds one whole dataset, which one rank reads or writes alone
 * through HDF5's serial driver (no MPI-IO, no collective call); a write is
 * crash-safe through pa__safe_* on MPI_COMM_SELF. The collective path of
 * pa_h5_load and pa_h5_save is h5.c. */
#include <errno.h>
#include <string.h>

#include "files.h"
#include "h5.h"

static const char *dataset_of(const pa_files_opts *o)
{
    return o && o->dataset ? o->dataset : "/data";
}

static void close_read(pa__h5_read *rd)
{
    if (rd->d >= 0)
        H5Dclose(rd->d);
    if (rd->f >= 0)
        H5Fclose(rd->f);
    rd->d = rd->f = H5I_INVALID_HID;
}

/* Opens path and o's dataset in it with the serial driver as rd, with the
 * dataset's dtype and geometry. On failure nothing is left open. */
static int open_read(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     pa__h5_read *rd)
{
    pa__h5_quiet();
    *rd = (pa__h5_read){
        .ctx = ctx, .fn = fn, .path = path, .f = H5I_INVALID_HID, .d = H5I_INVALID_HID};
    PA_CHECK_AS(ctx, fn, path, PA_EINVAL, "path is NULL");
    PA_TRY(pa__h5_norm_path(ctx, fn, dataset_of(o), rd->dname, sizeof rd->dname));
    PA_TRY(pa__h5_check_existing(ctx, fn, path));
    if ((rd->f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot open it", path);
    int rc = pa__h5_open_dataset(rd);
    if (rc < 0)
        close_read(rd);
    return rc;
}

static int h5f_probe(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     pa__finfo *info)
{
    pa__h5_read rd;
    PA_TRY(open_read(ctx, fn, path, o, &rd));
    close_read(&rd);
    info->dtype = rd.dtype;
    info->ndim = rd.ndim;
    memcpy(info->shape, rd.shape, sizeof(size_t) * (size_t)rd.ndim);
    return PA_OK;
}

static int h5f_read(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                    const pa__finfo *want, void *buf)
{
    pa__h5_read rd;
    PA_TRY(open_read(ctx, fn, path, o, &rd));
    pa__finfo info = {.dtype = rd.dtype, .ndim = rd.ndim};
    memcpy(info.shape, rd.shape, sizeof(size_t) * (size_t)rd.ndim);
    int rc = PA_OK;
    if (!pa__finfo_same(&info, want)) {
        char s1[PA_MAXDIM * 24], s2[PA_MAXDIM * 24];
        rc = pa__err(ctx, fn, PA_EINVAL, "%s:%s holds %s %s, unlike the first file's %s %s", path,
                     dataset_of(o), pa_dtype_name(info.dtype),
                     pa__shape_str(info.ndim, info.shape, s1, sizeof s1),
                     pa_dtype_name(want->dtype),
                     pa__shape_str(want->ndim, want->shape, s2, sizeof s2));
    }
    if (rc == PA_OK && pa__finfo_count(want) > 0 &&
        H5Dread(rd.d, pa__h5_mem_type(want->dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read %s", path, rd.dname);
    close_read(&rd);
    return rc;
}

/* A new file holding only o's dataset (groups created) of info's dtype and
 * shape, from buf in C order, with the "parray_version" attribute, through
 * a temporary renamed over path. durable: fsyncs the file before the
 * rename (and its directory only when path is a link: the caller fsyncs
 * path's directory, pa__safe_many_flags). */
static int h5f_write(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     const pa__finfo *info, const void *buf)
{
    pa__h5_quiet();
    int ndim = info->ndim;
    PA_CHECK_AS(ctx, fn, ndim >= 1, PA_ENOTSUP,
                "%s: HDF5 files hold datasets of 1 or more dimensions; the rows of a 1-D "
                "array are scalars",
                path);
    char dname[1024];
    PA_CHECK_AS(ctx, fn, path, PA_EINVAL, "path is NULL");
    PA_CHECK_AS(ctx, fn, ndim <= PA_MAXDIM, PA_EINVAL, "ndim = %d", ndim);
    PA_TRY(pa__h5_norm_path(ctx, fn, dataset_of(o), dname, sizeof dname));
    pa__safe s;
    PA_TRY(pa__safe_begin(ctx, MPI_COMM_SELF, fn, path, 0, &s));
    hsize_t dims[PA_MAXDIM];
    for (int i = 0; i < ndim; i++)
        dims[i] = info->shape[i];
    int rc = PA_OK;
    off_t end; /* unused: the file is written whole */
    hid_t lcpl = H5I_INVALID_HID, space = H5I_INVALID_HID, d = H5I_INVALID_HID;
    hid_t f = H5Fcreate(s.temp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot create the temporary %s", path, s.temp);
    /* After the create: the default driver truncates the file as it opens
     * it, which would give back space reserved before. */
    if (rc == PA_OK)
        rc = pa__h5_reserve(
            ctx, fn, path, s.temp,
            pa__h5_save_bytes(&pa__h5_defaults, info->dtype, ndim, info->shape, 0, 1), &end);
    if (rc == PA_OK) {
        lcpl = H5Pcreate(H5P_LINK_CREATE);
        space = H5Screate_simple(ndim, dims, NULL);
        if (lcpl < 0 || space < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "cannot set up the dataset");
    }
    if (rc == PA_OK && (d = H5Dcreate2(f, dname, pa__h5_file_type(info->dtype), space, lcpl,
                                       H5P_DEFAULT, H5P_DEFAULT)) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot create dataset '%s'", path, dname);
    if (rc == PA_OK && pa__finfo_count(info) > 0 &&
        H5Dwrite(d, pa__h5_mem_type(info->dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot write '%s'", path, dname);
    if (rc == PA_OK && pa__h5_attr_put_str(d, "parray_version", pa_version()) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot write attribute parray_version", path);
    if (d >= 0 && H5Dclose(d) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close '%s'", path, dname);
    if (space >= 0)
        H5Sclose(space);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (f >= 0 && H5Fclose(f) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close the temporary %s", path, s.temp);
    if (rc == PA_OK && pa__h5_give_back(s.temp) < 0)
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", s.temp, strerror(errno));
    return pa__safe_commit(ctx, &s, fn, rc, o && o->durable ? pa__safe_many_flags(&s, path) : 0);
}

const pa__format pa__h5f_format = {"HDF5", h5f_probe, h5f_read, h5f_write};
