/* Private declarations of the HDF5 concept (h5.c, h5_attr.c), including
 * the serial calls that other concepts use to move one whole dataset from
 * one rank (pa_load_files / pa_save_files with the HDF5 format). */
#ifndef PARRAY_SRC_H5_H
#define PARRAY_SRC_H5_H

#include <hdf5.h>

#include "internal.h"

/* Not collective. Records "fn: what: <HDF5 error stack, innermost
 * messages>" in ctx and returns code. Call right after the HDF5 call that
 * failed, before any other HDF5 call resets the stack. */
int pa__h5_err(pa_ctx *ctx, const char *fn, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Not collective. Turns off HDF5's automatic error printing (once per
 * process; HDF5's messages go into pa_errmsg instead). */
void pa__h5_quiet(void);

/* Collective. Opens an existing file with the MPI-IO driver on ctx's
 * communicator (flags H5F_ACC_RDONLY or H5F_ACC_RDWR), with collective
 * metadata operations, after rank 0 has checked that it exists and is
 * HDF5. Agreed: on failure no rank holds *f. */
int pa__h5_open(pa_ctx *ctx, const char *fn, const char *path, unsigned flags, hid_t *f);

/* Not collective. An object path as given ("a/b", "/a/b") made absolute
 * into out; PA_EINVAL naming it when it is empty or has an empty component. */
int pa__h5_norm_path(pa_ctx *ctx, const char *fn, const char *dataset, char *out, size_t len);

/* The object at absolute path obj (not "/") in open file f: *found = 1 when
 * it exists, with its type in *type. Every component on the way must be a
 * group (else PA_EFORMAT); a missing one ends the walk with *found = 0. In
 * a file opened with the MPI-IO driver every rank must make the call. */
int pa__h5_walk(pa_ctx *ctx, const char *fn, hid_t f, const char *path, const char *obj,
                int *found, H5O_type_t *type);

/* Sets the string attribute name = value on the open object o, replacing
 * one of that name; a fixed-length, NUL-terminated ASCII string, which h5py
 * reads as bytes. In a file opened with the MPI-IO driver every rank must
 * make the same call. Returns 0, or -1 with the HDF5 error stack kept. */
int pa__h5_attr_put_str(hid_t o, const char *name, const char *value);

/* Not collective. The parray dtype of an HDF5 datatype (either byte order),
 * or PA_ENOTSUP with a message naming the type ("16-bit unsigned integer",
 * "string", "compound"). what names the object in the message. */
int pa__h5_dtype_of(pa_ctx *ctx, const char *fn, hid_t type, const char *what, pa_dtype *dtype);

/* Not collective. The native memory type and the standard little-endian
 * file type of a dtype (library constants: not to be closed). */
hid_t pa__h5_mem_type(pa_dtype dtype);
hid_t pa__h5_file_type(pa_dtype dtype);

/* Not collective (serial driver; one rank, one file). The dtype, ndim and
 * shape of a dataset (outputs may be NULL). Errors as pa_h5_load, recorded
 * as "fn: ..." and not agreed. */
int pa__h5_probe(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                 pa_dtype *dtype, int *ndim, size_t *shape);

/* Not collective (serial driver). Reads the whole dataset into buf,
 * converted to dtype's native type; the dataset must hold exactly nelem
 * elements of a type that pa__h5_dtype_of maps to dtype (else PA_EFORMAT
 * naming the file). */
int pa__h5_read_serial(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                       pa_dtype dtype, size_t nelem, void *buf);

/* Not collective (serial driver, crash-safe through pa__safe_* on
 * MPI_COMM_SELF). Writes a new file `path` holding only `dataset` (groups
 * created) of dtype and shape from buf in C order, with the
 * "parray_version" attribute. */
int pa__h5_write_serial(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                        pa_dtype dtype, int ndim, const size_t *shape, const void *buf);

#endif
