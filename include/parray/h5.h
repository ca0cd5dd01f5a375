/* Parallel HDF5: load and save one dataset of a file with the MPI-IO
 * driver, every rank moving its own whole rows as one hyperslab; string and
 * numeric attributes. Files hold standard little-endian HDF5 types, so h5py
 * reads them as the matching NumPy dtype; both byte orders are read. A save
 * writes a temporary file beside the target and renames it over the target
 * when it is complete, so a job killed during a save leaves the old file
 * intact (see docs/io.md). Row blocks serve data larger than memory: read
 * rows [row0, row0 + n) of a dataset, and write a new dataset block by block
 * through a writer that is just as crash-safe. */
#ifndef PARRAY_H5_H
#define PARRAY_H5_H

#include <stdint.h>
#include "parray/array.h"
#include "parray/export.h"
#include "parray/files.h"

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
    size_t chunk_rows;   /* save, chunked: rows per chunk; 0 picks chunks of
                            1 to 16 MiB (about 4 MiB) that start where the
                            ranks' rows start, so each is written by one
                            rank (docs/io.md) */
    int deflate;         /* save: gzip level 1-9 (implies chunked); 0 none.
                            Writes through filters are always collective;
                            each rank compresses the chunks it writes. */
    int truncate;        /* save: 1 makes the file anew with only this
                            dataset; 0 (default) keeps the file's other
                            datasets and replaces only this one */
    int durable;         /* save: 1 fsyncs the file and its directory
                            before the save returns; 0 (default) leaves
                            the data in the page cache */
    pa_dist dist;        /* load: PA_DISTRIBUTED (default) or PA_REPLICATED
                            (every node gets a whole copy) */
    int copy;            /* save into a file that holds other objects: 1
                            copies the whole file into a temporary and
                            renames it over the file (a killed save leaves
                            the old file as it was); 0 (default) writes in
                            place, copying nothing (docs/io.md) */
} pa_h5_opts;

/* Collective. Saves array a as dataset `dataset` ("x", "/group/x"; groups
 * on the way are created) of the HDF5 file `path`.
 * - A missing file is created. An existing HDF5 file keeps its other
 *   objects; an existing object at `dataset` is replaced (unless
 *   opts->truncate, which makes the file anew). An existing file that is not
 *   HDF5 is an error and is left alone, unless opts->truncate.
 * - Crash safety, whole file: a new file, or one that holds only `dataset`
 *   (or opts->truncate, or opts->copy), is written as a temporary file
 *   ".<name>.parray-tmp.XXXXXX" in the target's directory (with opts->copy a
 *   copy of the old file), closed and renamed over the target. A job killed
 *   at any moment leaves the old file intact (and, when killed, the
 *   temporary behind); on an error the temporary is removed.
 * - In place: into a file that holds other objects the save writes the
 *   dataset under a temporary name beside it (".<name>.parray-tmp") in the
 *   file itself, then links it over `dataset` and closes the file: nothing
 *   else is copied or deleted. On an error the old dataset stays and the
 *   temporary name is removed; a job killed during the final close may
 *   leave the file's metadata inconsistent (docs/io.md says when to use
 *   opts->copy).
 * - Saves into one file take turns: the save holds an advisory lock on
 *   ".<name>.parray-lock" beside the target from before it looks at the
 *   target to the rename, and a save that finds it held waits up to
 *   PARRAY_LOCK_TIMEOUT seconds (default 60), then fails with PA_EIO.
 * - The disk space of the new data is reserved before HDF5 writes: a full
 *   disk is PA_EIO ("cannot reserve N bytes ...") on every rank.
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
 * i32, u8, i8, i16, u16, u32, u64, f16 (IEEE half, as h5py stores
 * float16) or bool (h5py's enum of FALSE and TRUE) in either byte order, 1 to PA_MAXDIM dimensions. The array is
 * distributed by rows, or replicated when opts->dist is PA_REPLICATED.
 * A file written by any number of ranks loads on any number. On success the
 * caller frees *out with pa_array_free; on failure *out is NULL and every
 * rank returns the same code: PA_EINVAL (arguments), PA_EIO (missing,
 * unreadable, truncated or corrupt file; missing dataset), PA_EFORMAT (not
 * an HDF5 file; the object is not a dataset), PA_ENOTSUP (a type, rank or
 * shape parray does not hold: strings, compounds, 128-bit integers, scalars,
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

/* Not collective. The settings every parallel HDF5 file is opened with,
 * read by pa_init from the environment (docs/io.md, "Parallel file
 * systems"): PARRAY_H5_ALIGN's threshold and alignment in bytes (HDF5 puts
 * objects of at least *threshold bytes at multiples of *alignment; both 1
 * when unset, no alignment) and PARRAY_MPIIO_HINTS's hints as given to
 * MPI-IO (MPI_INFO_NULL when unset; ctx owns it: do not free it). Any
 * output may be NULL. Returns PA_OK, or PA_EINVAL for a NULL ctx. */
PA_EXTERN int pa_h5_settings(const pa_ctx *ctx, unsigned long long *threshold,
                             unsigned long long *alignment, MPI_Info *hints);

/* Collective. The MPI-IO hints in effect for a parallel HDF5 file in the
 * directory dir (NULL or "": $TMPDIR, else /tmp): a temporary file there is
 * opened on ctx's communicator with PARRAY_MPIIO_HINTS's hints, as HDF5's
 * MPI-IO driver opens files, asked for its hints (MPI_File_get_info) and
 * removed. MPI-IO reports the hints it took, with the values it uses, and
 * its own defaults; a hint it ignored is absent or has another value. The
 * answer depends on the file system of dir (ROMIO and OMPIO pick drivers by
 * it). *in_effect is a new MPI_Info that the caller frees with
 * MPI_Info_free (MPI_INFO_NULL on error). Returns PA_OK, PA_EIO naming dir
 * when the file cannot be made there, or PA_EMPI. */
PA_EXTERN int pa_h5_hints_in_effect(pa_ctx *ctx, const char *dir, MPI_Info *in_effect);

/* ------------------------------------------------------------ row blocks */

/* Collective. Loads rows [row0, row0 + nrows) of dataset `dataset` of the
 * HDF5 file `path` into a new array *out of shape (nrows, shape[1], ...)
 * (the dataset's other dimensions) and the dataset's dtype, distributed by
 * rows (or replicated: opts->dist). Each rank reads the whole rows of its
 * span, as pa_h5_load does; opts->xfer applies. nrows may be 0 (an empty
 * array). On success the caller frees *out with pa_array_free; on failure
 * *out is NULL and every rank returns the same code: PA_EINVAL for a row
 * range outside the dataset (row0 + nrows > rows, the message giving both)
 * or bad arguments, else the errors of pa_h5_load. */
PA_EXTERN int pa_h5_load_rows(pa_ctx *ctx, const char *path, const char *dataset, size_t row0,
                              size_t nrows, const pa_h5_opts *opts, pa_array **out);

/* Collective. Reads rows [row0, row0 + n) of dataset `dataset` of `path`
 * into the existing array a of shape (n, ...): a's dtype and its shape past
 * axis 0 must be the dataset's (PA_EFORMAT naming both otherwise), and the
 * rows must lie inside the dataset (PA_EINVAL). For loops over the blocks
 * of a dataset that reuse one array. opts->xfer applies; a replicated a
 * gets the rows on every node. Errors as pa_h5_load; on failure a's
 * contents are unspecified. */
PA_EXTERN int pa_h5_read_rows(pa_array *a, const char *path, const char *dataset, size_t row0,
                              const pa_h5_opts *opts);

/* A dataset being written block by block (pa_h5_create). */
typedef struct pa_h5_writer pa_h5_writer;

/* Collective. Starts a crash-safe save of a new dataset `dataset` of dtype
 * and shape (ndim dimensions, 1 to PA_MAXDIM) into the file `path`, to be
 * filled by pa_h5_write_rows and made visible by pa_h5_commit. As
 * pa_h5_save: the data goes into a temporary file beside `path` (a copy of
 * the old file when that holds other objects and not opts->truncate; an
 * existing dataset of that name is replaced in the copy), so `path` is not
 * touched until pa_h5_commit renames the temporary over it. A job killed
 * before the commit, or a pa_h5_abort, leaves the old file intact. The
 * disk space of the whole dataset is reserved here (a full disk fails
 * here). opts: layout, chunk_rows (0 with a chunked layout picks chunks
 * of about 4 MiB, as where the blocks will start is not known), deflate,
 * truncate, durable (at commit), xfer (for every write; writes through
 * deflate are collective). On success *out is a new writer, which the caller ends with
 * exactly one of pa_h5_commit or pa_h5_abort; on failure *out is NULL, no
 * temporary is left, and every rank returns the same code: PA_EINVAL
 * (arguments, including a shape whose size overflows), then the errors of
 * pa_h5_save. */
PA_EXTERN int pa_h5_create(pa_ctx *ctx, const char *path, const char *dataset, pa_dtype dtype,
                           int ndim, const size_t *shape, const pa_h5_opts *opts,
                           pa_h5_writer **out);

/* Collective. Writes the array a, of shape (n, ...), into rows [row0,
 * row0 + n) of w's dataset; each rank writes the whole rows of its span (a
 * replicated a is written once, by node 0). a belongs to the writer's
 * context; its dtype and its shape past axis 0 must be the dataset's
 * (PA_EINVAL naming both), and the rows must lie inside it (PA_EINVAL).
 * Rows may be written in any order and more than once (the last write
 * wins). Returns PA_OK, or on every rank the same code (PA_EINVAL, PA_EIO);
 * after a failure the writer can only be aborted (pa_h5_commit then aborts
 * and returns PA_EIO). w stays owned by the caller. */
PA_EXTERN int pa_h5_write_rows(pa_h5_writer *w, pa_array *a, size_t row0);

/* Collective. Ends a writer: when every row of the dataset has been written
 * and no write failed, closes the temporary and renames it over the file
 * (fsyncing first with opts->durable), so readers see the old file or the
 * complete new one. Otherwise removes the temporary, keeps the old file,
 * and fails: PA_EINVAL when rows were never written (the message gives the
 * first such range), PA_EIO after a failed write or when the close or the
 * rename fails. Frees *w and sets it to NULL in every case; a NULL *w is
 * PA_EINVAL. */
PA_EXTERN int pa_h5_commit(pa_h5_writer **w);

/* Collective. Ends a writer without saving: closes and removes the
 * temporary, so the file is as it was before pa_h5_create. Frees *w and
 * sets it to NULL; NULL or a NULL *w is a no-op. Returns PA_OK, or
 * PA_EIO if the temporary could not be closed (it is removed all the
 * same). */
PA_EXTERN int pa_h5_abort(pa_h5_writer **w);

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

/* Collective. Imports one CSV file into dataset `dataset` of the HDF5 file
 * `path`, as pa_load_csv then pa_h5_save would (the same dataset, bit for
 * bit, and the same errors and crash safety), without the array in
 * between where it can: on one node, for a contiguous dataset of a save
 * that replaces the whole file, each rank parses its line-aligned byte
 * range of the CSV into a small buffer of rows and writes it to its rows
 * of the new file, buffer after buffer, so the data is parsed and written
 * in one pass, in parallel, with no memory for the array. Otherwise (several nodes,
 * chunks or deflate, a save in place) it loads the array and saves it.
 * csv_opts: the CSV settings as pa_load_csv's opts (NULL: the defaults);
 * h5_opts: as pa_h5_save's opts (NULL: the defaults). Returns PA_OK or, on
 * every rank, an error of pa_load_csv or pa_h5_save; on an error the file
 * at path is as it was. */
PA_EXTERN int pa_import_csv(pa_ctx *ctx, const char *csv, const pa_files_opts *csv_opts,
                            const char *path, const char *dataset, const pa_h5_opts *h5_opts);

#endif
