/* Parallel HDF5: load and save one dataset of a file with the MPI-IO
 * driver, every rank moving its own whole rows as one hyperslab; string and
 * numeric attributes. Files hold standard little-endian HDF5 types, so h5py
 * reads them as the matching NumPy dtype; both byte orders are read. A save
 * writes a temporary file beside the target and renames it over the target
 * when it is complete, so a job killed during a save leaves the old file
 * intact (see docs/io.md). */
#ifndef PARRAY_H5_H
#define PARRAY_H5_H

#include <stdint.h>
#include "parray/array.h"
#include "parray/export.h"

/* How the ranks' hyperslabs reach the file: one collective MPI-IO call
 * (the default) or one independent call per rank. */
typedef enum { PA_H5_COLLECTIVE = 0, PA_H5_INDEPENDENT = 1 } pa_h5_xfer;

/* How a saved dataset is laid out: one contiguous extent (the default) or
 * chunks of whole rows, aligned to the rank partition. */
typedef enum { PA_H5_CONTIGUOUS = 0, PA_H5_CHUNKED = 1 } pa_h5_layout;

/* Options of pa_h5_save and pa_h5_load. A NULL pointer, or a struct of
 * zeros ({0}), means the defaults; a field that one call does not use is
 * ignored by it. */
typedef struct {
    pa_h5_xfer xfer;     /* load, save: collective (default) or independent */
    pa_h5_layout layout; /* save: contiguous (default) or chunked */
    size_t chunk_rows;   /* save, chunked: rows per chunk; 0 picks it from
                            the partition (the rows of one rank, at most
                            64 MiB per chunk) */
    int deflate;         /* save: gzip level 1-9 (implies chunked); 0 none.
                            Writes through filters are always collective. */
    int truncate;        /* save: 1 makes the file anew with only this
                            dataset; 0 (default) keeps the file's other
                            datasets and replaces only this one */
    int durable;         /* save: 1 fsyncs the file and its directory
                            before the save returns; 0 (default) leaves
                            the data in the page cache */
    pa_dist dist;        /* load: PA_DISTRIBUTED (default) or PA_REPLICATED
                            (every node gets a whole copy) */
} pa_h5_opts;

/* Collective. Saves array a as dataset `dataset` ("x", "/group/x"; groups
 * on the way are created) of the HDF5 file `path`.
 * - A missing file is created. An existing HDF5 file keeps its other
 *   objects; an existing object at `dataset` is replaced (unless
 *   opts->truncate, which makes the file anew). An existing file that is not
 *   HDF5 is an error and is left alone, unless opts->truncate.
 * - Crash safety: the save writes a temporary file ".<name>.parray-tmp.XXXXXX"
 *   in the target's directory (a copy of the old file when it is kept),
 *   closes it and renames it over the target. A job killed at any moment
 *   leaves the old file intact (and, when killed, the temporary behind); on
 *   an error the temporary is removed.
 * - The dataset holds a's dtype as a standard little-endian type
 *   (H5T_IEEE_F64LE, H5T_IEEE_F32LE, H5T_STD_I64LE, H5T_STD_I32LE,
 *   H5T_STD_U8LE) and a's shape, with the string attribute "parray_version".
 *   A replicated array is written once (by the ranks of node 0).
 * - opts: see pa_h5_opts; NULL for the defaults.
 * Returns PA_OK, or on every rank the same code and message: PA_EINVAL for
 * bad arguments, PA_EIO for a file that cannot be read, written or renamed
 * (the HDF5 or system reason in pa_errmsg), PA_EFORMAT for an existing file
 * that is not HDF5 or an object on the path that is not a group, PA_ENOTSUP
 * for options HDF5 cannot do here. */
PA_EXTERN int pa_h5_save(pa_array *a, const char *path, const char *dataset,
                         const pa_h5_opts *opts);

/* Collective. Loads dataset `dataset` of the HDF5 file `path` into a new
 * array *out with the dtype and shape stored in the file: f64, f32, i64,
 * i32 or u8 in either byte order, 1 to PA_MAXDIM dimensions. The array is
 * distributed by rows, or replicated when opts->dist is PA_REPLICATED.
 * A file written by any number of ranks loads on any number. On success the
 * caller frees *out with pa_array_free; on failure *out is NULL and every
 * rank returns the same code: PA_EINVAL (arguments), PA_EIO (missing,
 * unreadable, truncated or corrupt file; missing dataset), PA_EFORMAT (not
 * an HDF5 file; the object is not a dataset), PA_ENOTSUP (a type, rank or
 * shape parray does not hold: strings, compounds, 16-bit integers, scalars,
 * more than PA_MAXDIM dimensions), PA_ENOMEM. */
PA_EXTERN int pa_h5_load(pa_ctx *ctx, const char *path, const char *dataset,
                         const pa_h5_opts *opts, pa_array **out);

/* Collective. Reads dataset `dataset` of `path` into the existing array a,
 * whose dtype and shape must be the dataset's (PA_EFORMAT naming both
 * otherwise): for loops that reload data of a known geometry without
 * allocating. opts->xfer applies; a replicated a gets the data on every
 * node. Errors as pa_h5_load; on failure a's contents are unspecified. */
PA_EXTERN int pa_h5_read(pa_array *a, const char *path, const char *dataset,
                         const pa_h5_opts *opts);

/* Collective. The dtype, ndim and shape (PA_MAXDIM entries at most are
 * written) of a dataset, without reading its data. Any output may be NULL.
 * Errors as pa_h5_load. */
PA_EXTERN int pa_h5_info(pa_ctx *ctx, const char *path, const char *dataset, pa_dtype *dtype,
                         int *ndim, size_t *shape);

/* Collective. Sets attribute `name` of the object `object` (a dataset or
 * group path; "/" for the file) of an existing HDF5 file to a string, a
 * double (stored as H5T_IEEE_F64LE) or an int64 (H5T_STD_I64LE); an
 * existing attribute of that name is replaced. These write the file in
 * place (they are small metadata writes, not crash-safe like pa_h5_save).
 * Returns PA_OK or, on every rank, PA_EINVAL / PA_EIO / PA_EFORMAT as
 * pa_h5_save. */
PA_EXTERN int pa_h5_attr_set_str(pa_ctx *ctx, const char *path, const char *object,
                                 const char *name, const char *value);
PA_EXTERN int pa_h5_attr_set_num(pa_ctx *ctx, const char *path, const char *object,
                                 const char *name, double value);
PA_EXTERN int pa_h5_attr_set_int(pa_ctx *ctx, const char *path, const char *object,
                                 const char *name, int64_t value);

/* Collective. Reads attribute `name` of `object`. get_str takes a string
 * attribute (fixed or variable length, scalar or one element) and sets
 * *value to a new NUL-terminated string that the caller frees with free().
 * get_num takes any integer or float scalar, converted to double; get_int
 * takes an integer scalar that fits int64. Returns PA_OK, or on every rank
 * PA_EIO (missing file, object or attribute) or PA_EFORMAT (an attribute of
 * another kind or not a scalar), with *value untouched. */
PA_EXTERN int pa_h5_attr_get_str(pa_ctx *ctx, const char *path, const char *object,
                                 const char *name, char **value);
PA_EXTERN int pa_h5_attr_get_num(pa_ctx *ctx, const char *path, const char *object,
                                 const char *name, double *value);
PA_EXTERN int pa_h5_attr_get_int(pa_ctx *ctx, const char *path, const char *object,
                                 const char *name, int64_t *value);

#endif
