/* Parallel HDF5: pa_h5_save and pa_h5_load move one dataset between a file
 * and an array with the MPI-IO driver. Each rank moves the whole rows whose
 * first element lies in its part of the node block (the flat partition may
 * cut rows; I/O goes by whole rows), as one hyperslab per call, through the
 * node block that every rank of the node can reach. Saves are crash-safe
 * (safe_save.c). Metadata is read and written collectively, so every rank
 * sees the same outcome of every open and create, and the outcome of each
 * step is agreed before the next collective HDF5 call. The basics come
 * first (errors, types, object paths, the look at a file before it is
 * opened, a dataset's geometry, disk reservations), which h5_serial.c's
 * serial path for the many-files calls shares. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collcheck.h"
#include "dtype.h"
#include "file_check.h"
#include "h5.h"
#include "mpio_name.h"
#include "safe_save.h"

/* Rows per H5Dread/H5Dwrite call are capped at this many bytes, well below
 * the 2 GiB that one MPI-IO call can count. */
#define PIECE_BYTES ((size_t)512 << 20)
/* Automatic chunks hold about CHUNK_TARGET_BYTES, and between
 * CHUNK_MIN_BYTES and CHUNK_MAX_BYTES when a chunk of that size can start
 * where every writing rank's rows start (a row larger than the maximum
 * makes a chunk of one row). MiB-sized chunks keep the chunk index small,
 * each rank's chunks many enough to share the work, and a read of one row
 * cheap. */
#define CHUNK_TARGET_BYTES ((size_t)4 << 20)
#define CHUNK_MIN_BYTES ((size_t)1 << 20)
#define CHUNK_MAX_BYTES ((size_t)16 << 20)
/* The stall of the "h5_stall" fault site, for the crash test: long enough
 * for the test to kill the job, short enough never to hang anything. */
#define STALL_SECONDS 30
/* Bytes reserved beyond the data for the metadata that is still to come
 * (the attribute, the object headers' growth), and for each chunk its
 * share of the chunk index (a B-tree of half-full nodes in the worst
 * case); besides, 1/64 of the data for deflate's worst-case growth. */
#define RESERVE_MARGIN ((size_t)256 << 10)
#define CHUNK_INDEX_BYTES ((size_t)128)

/* ------------------------------------------------------------ errors */

void pa__h5_quiet(void)
{
    static int done;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

typedef struct {
    char desc[3][200]; /* the innermost three messages, innermost last */
    int n;
} stack_msgs;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    stack_msgs *m = data;
    if (!e->desc || !e->desc[0])
        return 0;
    /* The file drivers' messages of a failed system call run over lines
     * (time, descriptor, buffer address); their reason is the quoted
     * "error message = '...'". */
    char desc[200];
    const char *why = strstr(e->desc, "error message = '");
    if (why) {
        why += strlen("error message = '");
        snprintf(desc, sizeof desc, "%.*s", (int)strcspn(why, "'"), why);
    } else {
        snprintf(desc, sizeof desc, "%s", e->desc);
    }
    /* Walking downward goes from the API call to where the error began;
     * keep a sliding window of the last three distinct messages. */
    if (m->n > 0 && strcmp(m->desc[m->n - 1], desc) == 0)
        return 0;
    if (m->n == 3) {
        memmove(m->desc[0], m->desc[1], sizeof m->desc[0] * 2);
        m->n = 2;
    }
    snprintf(m->desc[m->n++], sizeof m->desc[0], "%s", desc);
    return 0;
}

int pa__h5_err(pa_ctx *ctx, const char *fn, int code, const char *fmt, ...)
{
    char what[PA_ERRMSG_MAX], hdf[PA_ERRMSG_MAX] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    stack_msgs m = {.n = 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, &m);
    H5Eclear2(H5E_DEFAULT);
    /* Innermost first: that is where the reason is (errno text, "truncated
     * file", "bad object header version"). */
    size_t len = 0;
    for (int i = m.n - 1; i >= 0 && len < sizeof hdf; i--)
        len += (size_t)snprintf(hdf + len, sizeof hdf - len, "%s%s", len ? "; " : "", m.desc[i]);
    if (hdf[0])
        return pa__err(ctx, fn, code, "%s: %s", what, hdf);
    return pa__err(ctx, fn, code, "%s", what);
}

/* ------------------------------------------------------------ types */

hid_t pa__h5_mem_type(pa_dtype d)
{
    return pa__dtype_valid(d) ? pa__dtypes[d].h5_mem() : H5I_INVALID_HID;
}

hid_t pa__h5_file_type(pa_dtype d)
{
    return pa__dtype_valid(d) ? pa__dtypes[d].h5_file() : H5I_INVALID_HID;
}

/* Member k of compound type t is a float named name of half t's size. */
static int float_member(hid_t t, unsigned k, const char *name)
{
    char *n = H5Tget_member_name(t, k);
    hid_t m = n ? H5Tget_member_type(t, k) : H5I_INVALID_HID;
    int ok = n && strcmp(n, name) == 0 && m >= 0 && H5Tget_class(m) == H5T_FLOAT &&
             2 * H5Tget_size(m) == H5Tget_size(t);
    if (m >= 0)
        H5Tclose(m);
    H5free_memory(n);
    return ok;
}

/* A compound type is complex as h5py stores it: the floats "r" and "i". */
static int complex_compound(hid_t t)
{
    return H5Tget_nmembers(t) == 2 && float_member(t, 0, "r") && float_member(t, 1, "i");
}

/* The dtype whose memory type has type's class, size and (integers) sign,
 * in either byte order; a compound only when complex_compound. */
int pa__h5_dtype_of(pa_ctx *ctx, const char *fn, hid_t type, const char *what, pa_dtype *dtype)
{
    H5T_class_t cls = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    H5T_sign_t sign = cls == H5T_INTEGER ? H5Tget_sign(type) : H5T_SGN_ERROR;
    for (int i = 0; i < PA_NDTYPES; i++) {
        hid_t m = pa__dtypes[i].h5_mem();
        if (H5Tget_class(m) == cls && H5Tget_size(m) == size &&
            (cls != H5T_INTEGER || H5Tget_sign(m) == sign) &&
            (cls != H5T_COMPOUND || complex_compound(type))) {
            *dtype = (pa_dtype)i;
            return PA_OK;
        }
    }
    char names[128];
    switch (cls) {
    case H5T_FLOAT:
        return pa__err(ctx, fn, PA_ENOTSUP, "%s: %zu-bit floats are not supported (%s)", what,
                       size * 8,
                       pa__dtype_names(PA__KINDS_FLOAT, PA__NAMES_PARRAY, names, sizeof names));
    case H5T_INTEGER:
        return pa__err(ctx, fn, PA_ENOTSUP, "%s: %zu-bit %s integers are not supported (%s)",
                       what, size * 8, sign == H5T_SGN_2 ? "signed" : "unsigned",
                       pa__dtype_names(PA__KINDS_INT, PA__NAMES_PARRAY, names, sizeof names));
    default: {
        static const char *cnames[] = {"time",     "integer",         "float",    "string",
                                       "bitfield", "opaque",          "compound", "reference",
                                       "enum",     "variable-length", "array"};
        const char *name = (int)cls >= 0 && (int)cls < (int)(sizeof cnames / sizeof cnames[0])
                               ? cnames[cls]
                               : "unknown";
        return pa__err(ctx, fn, PA_ENOTSUP, "%s: %s data is not supported (%s%s)", what, name,
                       pa__dtype_names(PA__KINDS_ALL, PA__NAMES_PARRAY, names, sizeof names),
                       cls == H5T_COMPOUND ? "; complex as h5py stores it, the floats 'r' and 'i'"
                                           : "");
    }
    }
}

/* ------------------------------------------------------------ paths */

/* "/a/b" from "a/b" or "/a/b"; refuses empty paths and empty components. */
int pa__h5_norm_path(pa_ctx *ctx, const char *fn, const char *dataset, char *out, size_t len)
{
    PA_CHECK_AS(ctx, fn, dataset, PA_EINVAL, "dataset is NULL");
    const char *p = dataset[0] == '/' ? dataset + 1 : dataset;
    PA_CHECK_AS(ctx, fn, *p, PA_EINVAL, "dataset '%s': the path is empty", dataset);
    PA_CHECK_AS(ctx, fn, !strstr(p, "//") && p[strlen(p) - 1] != '/', PA_EINVAL,
                "dataset '%s': the path has an empty component", dataset);
    PA_CHECK_AS(ctx, fn, (size_t)snprintf(out, len, "/%s", p) < len, PA_EINVAL,
                "dataset '%s': the path is too long", dataset);
    return PA_OK;
}

/* One component at a time, so that a missing group ends the walk and a
 * dataset on the way is named (h5.h says what the call promises). */
int pa__h5_walk(pa_ctx *ctx, const char *fn, hid_t f, const char *path, const char *dataset,
                int *found, H5O_type_t *type)
{
    char prefix[1024];
    *found = 0;
    for (const char *p = dataset + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        size_t n = (size_t)(p - dataset);
        memcpy(prefix, dataset, n);
        prefix[n] = '\0';
        htri_t e = H5Lexists(f, prefix, H5P_DEFAULT);
        if (e < 0)
            return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot look up '%s'", path, prefix);
        if (e == 0)
            return PA_OK;
        H5O_info_t info;
        if (H5Oget_info_by_name2(f, prefix, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
            return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read object '%s'", path, prefix);
        if (*p == '\0') {
            *found = 1;
            *type = info.type;
            return PA_OK;
        }
        if (info.type != H5O_TYPE_GROUP)
            return pa__err(ctx, fn, PA_EFORMAT, "%s: '%s' is not a group, so it cannot hold '%s'",
                           path, prefix, dataset);
    }
}

int pa__h5_attr_put(hid_t o, const char *name, hid_t ftype, hid_t mtype, const void *buf)
{
    hid_t space = H5Screate(H5S_SCALAR), at = H5I_INVALID_HID;
    herr_t st = space < 0 ? -1 : 0;
    if (st >= 0) {
        htri_t e = H5Aexists(o, name);
        st = e < 0 ? -1 : e > 0 ? H5Adelete(o, name) : 0;
    }
    if (st >= 0 && (at = H5Acreate2(o, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        st = -1;
    if (st >= 0)
        st = H5Awrite(at, mtype, buf);
    if (at >= 0 && H5Aclose(at) < 0)
        st = -1;
    if (space >= 0)
        H5Sclose(space);
    return st < 0 ? -1 : 0;
}

int pa__h5_attr_put_str(hid_t o, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    int st = -1;
    if (type >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(type, H5T_CSET_UTF8) >= 0)
        st = pa__h5_attr_put(o, name, type, type, &value);
    if (type >= 0)
        H5Tclose(type);
    return st;
}

/* ------------------------------------------------------------ files */

int pa__h5_check_existing(pa_ctx *ctx, const char *fn, const char *path)
{
    PA_TRY(pa__file_regular(ctx, fn, path, NULL));
    if (access(path, R_OK) < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno));
    htri_t is = H5Fis_hdf5(path);
    if (is == 0)
        return pa__err(ctx, fn, PA_EFORMAT, "%s: not an HDF5 file", path);
    if (is < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read it", path);
    return PA_OK;
}

/* The creation list of a new file: its free space is tracked in the file
 * (persistent free-space management, which parallel HDF5 1.10 supports), so
 * that a save in place reuses the space of the datasets that earlier saves
 * replaced instead of growing the file by each one. Such a file needs HDF5
 * 1.10 or later to be read. H5I_INVALID_HID with the error recorded. */
static hid_t new_file_fcpl(pa_ctx *ctx, const char *fn)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0 || H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_FSM_AGGR, 1, 1) < 0) {
        pa__h5_err(ctx, fn, PA_EIO, "cannot set up the file's free-space tracking");
        if (fcpl >= 0)
            H5Pclose(fcpl);
        return H5I_INVALID_HID;
    }
    return fcpl;
}

/* Collective. Opens file (flags H5F_ACC_RDONLY or H5F_ACC_RDWR), or with
 * H5F_ACC_TRUNC creates it anew (new_file_fcpl), with the MPI-IO driver,
 * under a name that MPI-IO can take (mpio_name.h). A failure is recorded as
 * "fn: path: cannot <what>" and agreed: then no rank holds *f. */
static int open_mpio(pa_ctx *ctx, const char *fn, const char *file, unsigned flags,
                     const char *path, const char *what, hid_t *f)
{
    *f = H5I_INVALID_HID;
    hid_t fapl = pa__h5_fapl(ctx, fn);
    hid_t fcpl = fapl >= 0 && (flags & H5F_ACC_TRUNC) ? new_file_fcpl(ctx, fn) : H5P_DEFAULT;
    int rc = pa__agree(ctx, ctx->comm, fapl < 0 || fcpl < 0 ? PA_EIO : PA_OK);
    pa__mpio_name n;
    if (rc == PA_OK)
        rc = pa__mpio_name_begin(ctx, ctx->comm, fn, file, &n);
    if (rc == PA_OK) {
        if (flags & H5F_ACC_TRUNC)
            *f = H5Fcreate(n.name, flags, fcpl, fapl);
        else
            *f = H5Fopen(n.name, flags, fapl);
        pa__mpio_name_end(&n);
        rc = *f < 0 ? pa__h5_err(ctx, fn, PA_EIO, "%s: cannot %s", path, what) : PA_OK;
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0 && fcpl != H5P_DEFAULT)
        H5Pclose(fcpl);
    /* HDF5's failed collective open holds nothing; close what the ranks
     * that opened hold. */
    if (rc < 0 && *f >= 0) {
        H5Fclose(*f);
        *f = H5I_INVALID_HID;
    }
    return rc;
}

/* Collective. Opens path read-only (or read-write) with the MPI-IO driver,
 * once every rank has agreed that it sees the same regular file (a rank
 * that lacks it would hang in the collective open, and a rank that sees
 * another file would read other numbers) and rank 0 has checked that it
 * is HDF5; agreed. */
int pa__h5_open(pa_ctx *ctx, const char *fn, const char *path, unsigned flags, hid_t *f)
{
    *f = H5I_INVALID_HID;
    PA_TRY(pa__file_agree(ctx, ctx->comm, fn, path, PA__FILE_INPUT, NULL));
    int rc = ctx->rank == 0 ? pa__h5_check_existing(ctx, fn, path) : PA_OK;
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    return open_mpio(ctx, fn, path, flags, path, "open it", f);
}

/* ------------------------------------------------------------ transfers */

/* The rows that this rank moves: those whose first element lies in its
 * flat part [bound[r], bound[r+1]) of the node block. Every row has exactly
 * one such rank, so the node's ranks together move each row once. *first is
 * the global row index; *ptr points at it in the node block. A replicated
 * array is written by node 0 only. */
void pa__h5_io_rows(const pa_array *a, int writing, size_t *first, size_t *n, char **ptr)
{
    const pa_ctx *ctx = a->ctx;
    *n = 0;
    *first = a->row0;
    *ptr = a->block.base;
    if (a->rowsize == 0 || a->nrows == 0 ||
        (writing && a->dist == PA_REPLICATED && ctx->node != 0))
        return;
    size_t r = (size_t)ctx->node_rank, lo = a->part.bound[r], hi = a->part.bound[r + 1];
    size_t f = (lo + a->rowsize - 1) / a->rowsize, e = (hi + a->rowsize - 1) / a->rowsize;
    *first = a->row0 + f;
    *n = e - f;
    *ptr = a->block.base + f * a->rowsize * a->part.elsize;
}

int pa__h5_write_fault(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                       int writing)
{
    return pa__fault(ctx, writing ? "h5_write" : "h5_read")
               ? pa__err(ctx, fn, PA_EIO, "%s: %s: injected %s fault", path, dataset,
                         writing ? "write" : "read")
               : PA_OK;
}

/* In collective mode every rank makes the same number of calls, selecting
 * nothing once its rows are done (or from the start, once it has failed).
 * Array row i is dataset row base + i. */
int pa__h5_move(pa_array *a, const char *fn, const char *path, const char *dataset, hid_t d,
                size_t base, int writing, int collective)
{
    pa_ctx *ctx = a->ctx;
    int failed = pa__h5_write_fault(ctx, fn, path, dataset, writing);
    size_t first, nrows;
    char *ptr;
    pa__h5_io_rows(a, writing, &first, &nrows, &ptr);
    if (failed < 0)
        nrows = 0;
    size_t rowbytes = a->rowsize * a->part.elsize;
    size_t per = rowbytes ? PIECE_BYTES / rowbytes : 1;
    if (per == 0)
        per = 1;
    unsigned long mine = (unsigned long)((nrows + per - 1) / per), pieces = mine;
    if (collective)
        PA_MPI(ctx, MPI_Allreduce(&mine, &pieces, 1, MPI_UNSIGNED_LONG, MPI_MAX, ctx->comm));

    int rc = failed;
    hid_t fspace = H5Dget_space(d);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if ((fspace < 0 || dxpl < 0 ||
         H5Pset_dxpl_mpio(dxpl, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT) < 0) &&
        rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot set up the transfer", path, dataset);
    hid_t mtype = pa__h5_mem_type(a->dtype);
    for (unsigned long k = 0; k < pieces; k++) {
        size_t r0 = (size_t)k * per, n = 0;
        if (rc == PA_OK && r0 < nrows)
            n = nrows - r0 < per ? nrows - r0 : per;
        if (rc < 0 && !collective)
            break;
        /* The memory space has the file selection's shape: HDF5 maps a
         * selection onto chunks with whole hyperslabs only when the two
         * shapes agree, and otherwise element by element (a chunked save
         * of 1 GiB then spent seconds in H5S_select_iterate). */
        hsize_t start[PA_MAXDIM] = {0}, count[PA_MAXDIM], mdim[PA_MAXDIM];
        for (int i = 1; i < a->ndim; i++)
            mdim[i] = count[i] = a->shape[i];
        start[0] = base + first + r0;
        count[0] = n;
        mdim[0] = n ? n : 1;
        hid_t mspace = H5Screate_simple(a->ndim, mdim, NULL);
        herr_t st = mspace < 0 ? -1 : 0;
        if (st >= 0 && n > 0)
            st = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
        else if (st >= 0)
            st = (H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0) ? -1 : 0;
        void *buf = ptr + r0 * rowbytes;
        if (st >= 0 && (fspace >= 0 && dxpl >= 0))
            st = writing ? H5Dwrite(d, mtype, mspace, fspace, dxpl, buf)
                         : H5Dread(d, mtype, mspace, fspace, dxpl, buf);
        else
            st = -1;
        if (st < 0 && rc == PA_OK)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot %s rows %zu to %zu", path, dataset,
                            writing ? "write" : "read", (size_t)start[0], (size_t)(start[0] + n));
        if (mspace >= 0)
            H5Sclose(mspace);
    }
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (fspace >= 0)
        H5Sclose(fspace);
    return rc;
}

/* ------------------------------------------------------------ load */

int pa__h5_geometry(pa__h5_read *rd)
{
    pa_ctx *ctx = rd->ctx;
    const char *fn = rd->fn;
    char what[PA_ERRMSG_MAX / 2 + sizeof rd->dname];
    snprintf(what, sizeof what, "%s: %s", rd->path, rd->dname);
    hid_t type = H5Dget_type(rd->d);
    if (type < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its type", what);
    int rc = pa__h5_dtype_of(ctx, fn, type, what, &rd->dtype);
    H5Tclose(type);
    PA_TRY(rc);
    hid_t space = H5Dget_space(rd->d);
    if (space < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its shape", what);
    H5S_class_t cls = H5Sget_simple_extent_type(space);
    int nd = H5Sget_simple_extent_ndims(space);
    hsize_t dims[H5S_MAX_RANK];
    if (cls == H5S_SIMPLE && nd >= 1 && nd <= PA_MAXDIM)
        H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    PA_CHECK_AS(ctx, fn, cls != H5S_SCALAR, PA_ENOTSUP,
                "%s: a scalar dataset is not supported (arrays have 1 to %d dimensions)", what,
                PA_MAXDIM);
    PA_CHECK_AS(ctx, fn, cls == H5S_SIMPLE, PA_ENOTSUP, "%s: a null dataspace is not supported",
                what);
    PA_CHECK_AS(ctx, fn, nd >= 1 && nd <= PA_MAXDIM, PA_ENOTSUP,
                "%s: %d dimensions are not supported (at most %d)", what, nd, PA_MAXDIM);
    rd->ndim = nd;
    for (int i = 0; i < nd; i++)
        rd->shape[i] = (size_t)dims[i];
    return PA_OK;
}

int pa__h5_open_dataset(pa__h5_read *rd)
{
    int found = 0;
    H5O_type_t type = H5O_TYPE_UNKNOWN;
    rd->d = H5I_INVALID_HID;
    PA_TRY(pa__h5_walk(rd->ctx, rd->fn, rd->f, rd->path, rd->dname, &found, &type));
    PA_CHECK_AS(rd->ctx, rd->fn, found, PA_EIO, "%s: no dataset '%s'", rd->path, rd->dname);
    PA_CHECK_AS(rd->ctx, rd->fn, type == H5O_TYPE_DATASET, PA_EFORMAT,
                "%s: '%s' is a %s, not a dataset", rd->path, rd->dname,
                type == H5O_TYPE_GROUP ? "group" : "named datatype");
    if ((rd->d = H5Dopen2(rd->f, rd->dname, H5P_DEFAULT)) < 0)
        return pa__h5_err(rd->ctx, rd->fn, PA_EIO, "%s: cannot open dataset '%s'", rd->path,
                          rd->dname);
    return pa__h5_geometry(rd);
}

int pa__h5_check_opts(pa_ctx *ctx, const char *fn, const pa_h5_opts *o)
{
    PA_CHECK_AS(ctx, fn, o->xfer == PA_H5_COLLECTIVE || o->xfer == PA_H5_INDEPENDENT, PA_EINVAL,
                "opts->xfer = %d is neither PA_H5_COLLECTIVE nor PA_H5_INDEPENDENT",
                (int)o->xfer);
    PA_CHECK_AS(ctx, fn, o->layout == PA_H5_CONTIGUOUS || o->layout == PA_H5_CHUNKED, PA_EINVAL,
                "opts->layout = %d is neither PA_H5_CONTIGUOUS nor PA_H5_CHUNKED",
                (int)o->layout);
    PA_CHECK_AS(ctx, fn, o->deflate >= 0 && o->deflate <= 9, PA_EINVAL,
                "opts->deflate = %d is not in [0, 9]", o->deflate);
    PA_CHECK_AS(ctx, fn, o->truncate == 0 || o->truncate == 1, PA_EINVAL,
                "opts->truncate = %d is not 0 or 1", o->truncate);
    PA_CHECK_AS(ctx, fn, o->durable == 0 || o->durable == 1, PA_EINVAL,
                "opts->durable = %d is not 0 or 1", o->durable);
    PA_CHECK_AS(ctx, fn, o->copy == 0 || o->copy == 1, PA_EINVAL, "opts->copy = %d is not 0 or 1",
                o->copy);
    PA_CHECK_AS(ctx, fn, o->dist == PA_DISTRIBUTED || o->dist == PA_REPLICATED, PA_EINVAL,
                "opts->dist = %d is neither PA_DISTRIBUTED nor PA_REPLICATED", (int)o->dist);
    return PA_OK;
}

const pa_h5_opts pa__h5_defaults = {0};

int pa__h5_check_args(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                      const pa_h5_opts *opts, int rc, char *dname, size_t dlen)
{
    if (rc == PA_OK && !path)
        rc = pa__err(ctx, fn, PA_EINVAL, "path is NULL");
    if (rc == PA_OK)
        rc = pa__h5_norm_path(ctx, fn, dataset, dname, dlen);
    if (rc == PA_OK)
        rc = pa__h5_check_opts(ctx, fn, opts);
    /* The arguments may differ between ranks by mistake: agree. */
    return pa__agree(ctx, ctx->comm, rc);
}

int pa__h5_read_begin(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                      const pa_h5_opts *opts, int rc, pa__h5_read *rd)
{
    *rd = (pa__h5_read){.ctx = ctx,
                        .fn = fn,
                        .path = path,
                        .collective = opts->xfer == PA_H5_COLLECTIVE,
                        .f = H5I_INVALID_HID,
                        .d = H5I_INVALID_HID};
    PA_TRY(pa__h5_check_args(ctx, fn, path, dataset, opts, rc, rd->dname, sizeof rd->dname));
    PA_TRY(pa__h5_open(ctx, fn, path, H5F_ACC_RDONLY, &rd->f));
    rc = pa__agree(ctx, ctx->comm, pa__h5_open_dataset(rd));
    if (rc < 0) {
        /* Agreed; the close errors would say less. */
        if (rd->d >= 0)
            H5Dclose(rd->d);
        H5Fclose(rd->f);
        rd->d = rd->f = H5I_INVALID_HID;
    }
    return rc;
}

int pa__h5_read_end(pa__h5_read *rd, pa_array *a, size_t base, int rc)
{
    pa_ctx *ctx = rd->ctx;
    if (rc == PA_OK)
        rc = pa__h5_chunk_read(rd, a, base);
    /* The node's ranks read different rows of one block: publish them to
     * each other (Win_sync, node barrier, Win_sync). */
    if (rc == PA_OK)
        rc = pa__array_sync(a);
    if (rd->d >= 0 && H5Dclose(rd->d) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, rd->fn, PA_EIO, "%s: cannot close '%s'", rd->path, rd->dname);
    if (H5Fclose(rd->f) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, rd->fn, PA_EIO, "%s: cannot close it", rd->path);
    rd->d = rd->f = H5I_INVALID_HID;
    return pa__agree(ctx, ctx->comm, rc);
}

int pa_h5_load(pa_ctx *ctx, const char *path, const char *dataset, const pa_h5_opts *opts,
               pa_array **out)
{
    static const char fn[] = "pa_h5_load";
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', '%s', %s", PA_CC_STR(path), PA_CC_STR(dataset),
                  PA_CC_H5_OPTS(opts));
    pa__h5_quiet();
    if (out)
        *out = NULL;
    if (!opts)
        opts = &pa__h5_defaults;
    pa__h5_read rd;
    pa_array *a = NULL;
    int rc = out ? PA_OK : pa__err(ctx, fn, PA_EINVAL, "out is NULL");
    PA_TRY(pa__h5_read_begin(ctx, fn, path, dataset, opts, rc, &rd));
    rc = pa_array_create(ctx, rd.dtype, rd.ndim, rd.shape, opts->dist, &a);
    rc = pa__h5_read_end(&rd, a, 0, rc);
    if (rc < 0) {
        pa_array_free(&a);
        return rc;
    }
    *out = a;
    return PA_OK;
}

int pa_h5_read(pa_array *a, const char *path, const char *dataset, const pa_h5_opts *opts)
{
    static const char fn[] = "pa_h5_read";
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, '%s', '%s', %s", PA_CC_ARRAY(a), PA_CC_STR(path),
                  PA_CC_STR(dataset), PA_CC_H5_OPTS(opts));
    pa__h5_quiet();
    if (!opts)
        opts = &pa__h5_defaults;
    pa__h5_read rd;
    PA_TRY(pa__h5_read_begin(ctx, fn, path, dataset, opts, PA_OK, &rd));
    int rc = PA_OK;
    if (rd.dtype != a->dtype || rd.ndim != a->ndim ||
        memcmp(rd.shape, a->shape, sizeof(size_t) * (size_t)rd.ndim) != 0) {
        char s1[PA_MAXDIM * 24], s2[PA_MAXDIM * 24];
        rc = pa__err(ctx, fn, PA_EFORMAT, "%s: %s is %s %s, the array is %s %s", path, rd.dname,
                     pa_dtype_name(rd.dtype), pa__shape_str(rd.ndim, rd.shape, s1, sizeof s1),
                     pa_dtype_name(a->dtype), pa__shape_str(a->ndim, a->shape, s2, sizeof s2));
    }
    return pa__h5_read_end(&rd, a, 0, rc);
}

int pa_h5_info(pa_ctx *ctx, const char *path, const char *dataset, pa_dtype *dtype, int *ndim,
               size_t *shape)
{
    static const char fn[] = "pa_h5_info";
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', '%s'", PA_CC_STR(path), PA_CC_STR(dataset));
    pa__h5_quiet();
    pa__h5_read rd;
    /* No options here: the defaults pass their check. */
    PA_TRY(pa__h5_read_begin(ctx, fn, path, dataset, &pa__h5_defaults, PA_OK, &rd));
    H5Dclose(rd.d);
    int rc = H5Fclose(rd.f) < 0 ? pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close it", path)
                                : PA_OK;
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    if (dtype)
        *dtype = rd.dtype;
    if (ndim)
        *ndim = rd.ndim;
    if (shape)
        memcpy(shape, rd.shape, sizeof(size_t) * (size_t)rd.ndim);
    return PA_OK;
}

/* ------------------------------------------------------------ save */

/* The bytes of one row of a chunk: the dataset's row, with 1 for an axis
 * of length 0 (HDF5 chunk dimensions are at least 1). */
static size_t chunk_row_bytes(int ndim, const size_t *shape, size_t elsize)
{
    size_t bytes = elsize;
    for (int i = 1; i < ndim; i++)
        bytes *= shape[i] ? shape[i] : 1;
    return bytes;
}

/* The rows of an automatic chunk of rows of rowbytes bytes, when the
 * writing ranks' first rows are all multiples of align (0: unknown): the
 * divisor of align whose chunk is nearest CHUNK_TARGET_BYTES within
 * [CHUNK_MIN_BYTES, CHUNK_MAX_BYTES], so that every chunk is written by one
 * rank; without one, the rows of CHUNK_TARGET_BYTES (a chunk that crosses
 * a rank boundary is written by both ranks). */
static size_t auto_rows_for(size_t rowbytes, size_t align)
{
    size_t target = CHUNK_TARGET_BYTES / rowbytes, lo = CHUNK_MIN_BYTES / rowbytes,
           hi = CHUNK_MAX_BYTES / rowbytes, best = 0;
    target = target ? target : 1;
    lo = lo ? lo : 1;
    hi = hi ? hi : 1;
    double best_off = 0;
    for (size_t d = 1; align && d <= align / d; d++) {
        if (align % d)
            continue;
        size_t pair[2] = {d, align / d};
        for (int k = 0; k < 2; k++) {
            size_t r = pair[k];
            double off = r > target ? (double)r / (double)target : (double)target / (double)r;
            if (r >= lo && r <= hi && (!best || off < best_off)) {
                best = r;
                best_off = off;
            }
        }
    }
    return best ? best : target;
}

/* The rows of a chunk: 0 for a contiguous dataset, else chunk_rows when
 * given, else the automatic rows for writers aligned to align rows
 * (auto_rows_for); at most the dataset's rows, at least 1. */
static size_t chunk_rows(const pa_h5_opts *o, int ndim, const size_t *shape, size_t elsize,
                         size_t align)
{
    if (o->layout != PA_H5_CHUNKED && o->deflate == 0)
        return 0;
    size_t rows = o->chunk_rows;
    if (rows == 0)
        rows = auto_rows_for(chunk_row_bytes(ndim, shape, elsize), align);
    if (rows > shape[0])
        rows = shape[0] ? shape[0] : 1;
    return rows;
}

size_t pa__h5_save_bytes(const pa_h5_opts *o, pa_dtype dtype, int ndim, const size_t *shape,
                         size_t align, unsigned long long pad)
{
    size_t elsize = pa_dtype_size(dtype), bytes = elsize;
    for (int i = 0; i < ndim; i++)
        bytes *= shape[i];
    size_t rows = chunk_rows(o, ndim, shape, elsize, align);
    size_t chunks = rows && bytes ? (shape[0] + rows - 1) / rows : 0;
    /* In double, capped where an off_t ends: a size beyond it fails to be
     * reserved, which is the right answer. */
    double want = (double)bytes * (1 + 1.0 / 64) + (double)chunks * (double)CHUNK_INDEX_BYTES +
                  (double)RESERVE_MARGIN;
    if (pad > 1)
        want += (double)(chunks ? chunks : 1) * (double)pad;
    return want < (double)INT64_MAX ? (size_t)want : (size_t)INT64_MAX;
}

/* The dataset creation list: contiguous, or chunks of whole rows
 * (chunk_rows), with deflate. Fill values are never written: every element
 * is written by the save itself (or, for a row writer, by its blocks), and
 * writing fills first would double the I/O. */
static int make_dcpl(pa_ctx *ctx, const char *fn, const pa_h5_opts *o, int ndim,
                     const size_t *shape, size_t elsize, size_t align, hid_t *dcpl)
{
    size_t rows = chunk_rows(o, ndim, shape, elsize, align), rowbytes = elsize;
    for (int i = 1; i < ndim; i++)
        rowbytes *= shape[i];
    int chunked = rows > 0;
    /* HDF5 chunks must hold fewer than 2^32 bytes. */
    PA_CHECK_AS(ctx, fn, !chunked || rowbytes == 0 || rows <= (((size_t)1 << 32) - 1) / rowbytes,
                PA_ENOTSUP, "a chunk of %zu rows of %zu bytes exceeds HDF5's 4 GiB chunk limit",
                rows, rowbytes);
    *dcpl = H5Pcreate(H5P_DATASET_CREATE);
    herr_t st = *dcpl < 0 ? -1 : H5Pset_fill_time(*dcpl, H5D_FILL_TIME_NEVER);
    if (st >= 0 && chunked) {
        hsize_t cdims[PA_MAXDIM];
        cdims[0] = rows;
        for (int i = 1; i < ndim; i++)
            cdims[i] = shape[i] ? shape[i] : 1;
        st = H5Pset_chunk(*dcpl, ndim, cdims);
        if (st >= 0 && o->deflate > 0)
            st = H5Pset_deflate(*dcpl, (unsigned)o->deflate);
    }
    if (st < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "cannot set up the dataset layout");
    return PA_OK;
}

/* Reserves the disk blocks of the temporary's next bytes bytes (beyond
 * what it holds), before HDF5 writes anything: a disk that is too full then
 * fails here, with a plain message and an agreed outcome. HDF5 itself must not meet a full disk: its metadata flush on close is
 * collective, and a write error on one rank there makes the ranks' flushes
 * diverge (they hang in different barriers), and a close that failed
 * leaves a file that crashes HDF5's cleanup at MPI_Finalize. Blocks are
 * reserved without changing the file size. A file system without
 * fallocate gets a check of its free space instead. */
int pa__h5_reserve(pa_ctx *ctx, const char *fn, const char *path, const char *temp, size_t bytes,
                   off_t *end)
{
    if (pa__fault(ctx, "h5_reserve"))
        return pa__err(ctx, fn, PA_EIO,
                       "%s: not enough space for %zu bytes in %s: injected fault", path, bytes,
                       temp);
    int fd = open(temp, O_WRONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int rc = pa__err(ctx, fn, PA_EIO, "%s: %s", temp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    int rc = PA_OK;
    struct statvfs vfs;
    *end = st.st_size + (off_t)bytes;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, (off_t)bytes) < 0) {
        double avail = 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
            rc = pa__err(ctx, fn, PA_EIO, "%s: cannot reserve %zu bytes for the new file: %s",
                         path, bytes, strerror(errno));
        else if (fstatvfs(fd, &vfs) == 0 &&
                 (avail = (double)vfs.f_bavail * (double)vfs.f_frsize) < (double)bytes)
            rc = pa__err(ctx, fn, PA_EIO, "%s: %s: the new file needs %zu bytes, %.0f are free",
                         path, strerror(ENOSPC), bytes, avail);
    }
    close(fd);
    return rc;
}

/* A truncate of the closed file to its own size frees the blocks
 * reserved past its end. */
int pa__h5_give_back(const char *file)
{
    struct stat st;
    return stat(file, &st) < 0 || truncate(file, st.st_size) < 0 ? -1 : 0;
}

/* Collective (every rank makes the same metadata calls: collective
 * metadata reads give each the same answer). Removes the link name from
 * the open file when there is one. Not agreed: this rank's outcome. */
static int remove_dataset(pa__h5_save *sv, const char *name, const char *what)
{
    int found = 0;
    H5O_type_t type = H5O_TYPE_UNKNOWN;
    int rc = pa__h5_walk(sv->ctx, sv->fn, sv->f, sv->path, name, &found, &type);
    if (rc == PA_OK && found && H5Ldelete(sv->f, name, H5P_DEFAULT) < 0)
        rc = pa__h5_err(sv->ctx, sv->fn, PA_EIO, "%s: cannot remove %s '%s'", sv->path, what,
                        name);
    return rc;
}

int pa__h5_save_dataset(pa__h5_save *sv, const pa_h5_opts *o, pa_dtype dtype, int ndim,
                        const size_t *shape, size_t align, hid_t *dout)
{
    pa_ctx *ctx = sv->ctx;
    const char *fn = sv->fn, *path = sv->path;
    *dout = H5I_INVALID_HID;
    int found = 0;
    H5O_type_t type = H5O_TYPE_UNKNOWN;
    int rc = pa__h5_walk(ctx, fn, sv->f, path, sv->dname, &found, &type);
    if (rc == PA_OK && found && type != H5O_TYPE_DATASET)
        rc = pa__err(ctx, fn, PA_EFORMAT, "%s: '%s' is a group; it is not replaced by a dataset",
                     path, sv->dname);
    /* In place the old dataset stays until the end; what is removed is a
     * temporary name that a killed save left behind. */
    if (rc == PA_OK)
        rc = remove_dataset(sv, sv->wname, sv->in_place ? "the temporary" : "the old");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));

    hid_t dcpl = H5I_INVALID_HID, lcpl = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hid_t d = H5I_INVALID_HID;
    rc = make_dcpl(ctx, fn, o, ndim, shape, pa_dtype_size(dtype), align, &dcpl);
    hsize_t dims[PA_MAXDIM];
    for (int i = 0; i < ndim; i++)
        dims[i] = shape[i];
    if (rc == PA_OK) {
        lcpl = H5Pcreate(H5P_LINK_CREATE);
        space = H5Screate_simple(ndim, dims, NULL);
        if (lcpl < 0 || space < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "cannot set up the dataset");
    }
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc == PA_OK) {
        d = H5Dcreate2(sv->f, sv->wname, pa__h5_file_type(dtype), space, lcpl, dcpl, H5P_DEFAULT);
        if (d < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot create dataset '%s'", path, sv->wname);
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    if (rc == PA_OK) {
        if (pa__h5_attr_put_str(d, "parray_version", pa_version()) < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot write attribute parray_version",
                            path, sv->dname);
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    if (space >= 0)
        H5Sclose(space);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (rc < 0) {
        if (d >= 0)
            H5Dclose(d);
        return rc;
    }
    *dout = d;
    return PA_OK;
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Collective. The rows that automatic chunks of a should divide: the
 * greatest common divisor of the first rows that the ranks write (0 when
 * one rank writes everything, or when opts leaves nothing automatic). */
static int chunk_align(pa_array *a, const pa_h5_opts *o, size_t *align)
{
    pa_ctx *ctx = a->ctx;
    *align = 0;
    if ((o->layout != PA_H5_CHUNKED && o->deflate == 0) || o->chunk_rows != 0)
        return PA_OK;
    size_t first, n;
    char *ptr;
    pa__h5_io_rows(a, 1, &first, &n, &ptr);
    unsigned long mine = n ? (unsigned long)first : 0;
    unsigned long *all = malloc(sizeof *all * (size_t)ctx->size);
    int rc = pa__agree(ctx, ctx->comm,
                       all ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory"));
    if (rc == PA_OK)
        rc = pa__mpi(
            ctx, __func__,
            MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG, all, 1, MPI_UNSIGNED_LONG, ctx->comm),
            "MPI_Allgather");
    for (int r = 0; rc == PA_OK && r < ctx->size; r++)
        *align = gcd(*align, (size_t)all[r]);
    free(all);
    return rc;
}

/* Collective. Writes the dataset of the save sv, with automatic chunks
 * aligned to align rows. */
static int write_dataset(pa_array *a, pa__h5_save *sv, const pa_h5_opts *o, size_t align)
{
    pa_ctx *ctx = a->ctx;
    hid_t d;
    PA_TRY(pa__h5_save_dataset(sv, o, a->dtype, a->ndim, a->shape, align, &d));
    int mapped;
    int rc = pa__h5_map_write(a, sv, o, d, &mapped);
    /* HDF5 writes through filters only collectively; its collective write
     * filters each chunk on the rank that writes most of it, so that every
     * rank compresses its own chunks. */
    int coll = o->xfer == PA_H5_COLLECTIVE || o->deflate > 0;
    if (rc == PA_OK && !mapped)
        rc = pa__agree(ctx, ctx->comm,
                       pa__h5_move(a, sv->fn, sv->path, sv->dname, d, 0, 1, coll));
    if (H5Dclose(d) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, sv->fn, PA_EIO, "%s: cannot close dataset '%s'", sv->path,
                        sv->dname);
    return pa__agree(ctx, ctx->comm, rc);
}

/* What holds_more looks for while visiting every object of a file. */
typedef struct {
    const char *dname; /* the dataset being saved, "/a/b/x" */
    int more;          /* something to keep was seen */
} visit_state;

static herr_t visit_cb(hid_t o, const char *name, const H5O_info_t *info, void *data)
{
    (void)o;
    visit_state *v = data;
    /* name is relative to the root: "." is the root, "a/b" a group. */
    size_t n = strlen(name);
    int root = strcmp(name, ".") == 0;
    int target = !root && strcmp(name, v->dname + 1) == 0;
    int on_path = root || (strncmp(name, v->dname + 1, n) == 0 && v->dname[1 + n] == '/');
    if (target)
        return 0; /* replaced, attributes and all */
    if (!on_path || info->type != H5O_TYPE_GROUP || info->num_attrs > 0) {
        v->more = 1;
        return 1; /* stop: the file must be kept */
    }
    return 0;
}

/* Not collective (rank 0). Whether the existing HDF5 file at path holds
 * anything besides dataset dname and the bare groups that lead to it: only
 * then must the save keep the file (copy it and modify the copy). A file
 * that holds just the dataset being replaced, the common case of saving
 * the same array again, is made anew, which costs no copy. */
static int holds_more(pa_ctx *ctx, const char *fn, const char *path, const char *dname, int *more)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot open it", path);
    visit_state v = {dname, 0};
    herr_t st = H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, visit_cb, &v,
                          H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS);
    int rc = st < 0 ? pa__h5_err(ctx, fn, PA_EIO, "%s: cannot list its objects", path) : PA_OK;
    if (H5Fclose(f) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close it", path);
    *more = v.more;
    return rc;
}

/* The temporary name of a save in place: ".<name>.parray-tmp" in the
 * dataset's group, so that the final H5Lmove stays within one group. */
static int temp_name(pa_ctx *ctx, const char *fn, const char *dname, char *out, size_t len)
{
    const char *base = strrchr(dname, '/') + 1;
    int n = snprintf(out, len, "%.*s.%s.parray-tmp", (int)(base - dname), dname, base);
    PA_CHECK_AS(ctx, fn, n >= 0 && (size_t)n < len, PA_EINVAL,
                "dataset '%s': the path is too long for the temporary name beside it", dname);
    return PA_OK;
}

int pa__h5_save_begin(pa_ctx *ctx, const char *fn, const char *path, const char *dname,
                      const pa_h5_opts *opts, size_t bytes, pa__h5_save *sv)
{
    memset(sv, 0, sizeof *sv);
    sv->ctx = ctx;
    sv->fn = fn;
    sv->path = path;
    sv->dname = dname;
    sv->durable = opts->durable;
    sv->f = H5I_INVALID_HID;
    snprintf(sv->wname, sizeof sv->wname, "%s", dname);
    int rc = PA_OK;
    if (opts->deflate > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
        rc = pa__err(ctx, fn, PA_ENOTSUP, "opts->deflate: this HDF5 has no deflate filter");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    pa__safe *s = &sv->s;
    PA_TRY(pa__safe_begin(ctx, ctx->comm, fn, path, 0, s));

    /* Under the save's lock, so that what is kept is what is replaced: an
     * existing file is kept (unless truncate) when it holds more than the
     * dataset, and then modified in place, or (copy) in a copy. It must be
     * HDF5, or the save would have to destroy it. */
    int keep = 0;
    if (ctx->rank == 0 && !opts->truncate && s->existed) {
        rc = pa__h5_check_existing(ctx, fn, path);
        if (rc == PA_OK)
            rc = holds_more(ctx, fn, path, dname, &keep);
    }
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc == PA_OK)
        rc = pa__mpi(ctx, fn, MPI_Bcast(&keep, 1, MPI_INT, 0, ctx->comm), "MPI_Bcast");
    sv->in_place = keep && !opts->copy;
    if (rc == PA_OK && sv->in_place) {
        /* The same on every rank: dname is agreed. */
        rc = temp_name(ctx, fn, dname, sv->wname, sizeof sv->wname);
        if (rc == PA_OK)
            pa__safe_in_place(s);
    } else if (rc == PA_OK && keep) {
        rc = pa__safe_copy(ctx, s, fn);
    }
    /* The space of everything to come, before HDF5 writes a byte: HDF5
     * must not meet a full disk (see pa__h5_reserve). The MPI-IO driver
     * truncates only a file that is not empty, so a new temporary keeps
     * its reservation through H5Fcreate. */
    if (rc == PA_OK) {
        if (ctx->rank == 0)
            rc = pa__h5_reserve(ctx, fn, path, pa__safe_file(s), bytes, &sv->grow);
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    if (rc < 0)
        return pa__safe_abort(ctx, s, fn, rc);
    char what[PATH_MAX + 64];
    if (sv->in_place)
        snprintf(what, sizeof what, "open it to write in place");
    else
        snprintf(what, sizeof what, "%s the temporary %s", keep ? "open" : "create", s->temp);
    rc = open_mpio(ctx, fn, pa__safe_file(s), keep ? H5F_ACC_RDWR : H5F_ACC_TRUNC, path, what,
                   &sv->f);
    if (rc < 0) {
        if (ctx->rank == 0 && sv->in_place)
            (void)pa__h5_give_back(s->target); /* the failure to report is the open's */
        return pa__safe_abort(ctx, s, fn, rc);
    }
    return PA_OK;
}

/* Collective (in place). Makes the file as long as it can become by this
 * save, before HDF5 flushes its metadata: its size at the start plus the
 * bytes reserved for the save (its data and a margin for the metadata),
 * sv->grow. The flush writes the superblock first (its writes go in address
 * order), with the new end of allocation in it, and only then the rest, at
 * the end of the file: a job killed in between would leave a file shorter
 * than its superblock says, which every reader refuses as truncated.
 * HDF5's close cuts the file back to its end of allocation. Rank 0 does it;
 * returns this rank's outcome, not agreed. */
static int extend_for_flush(pa__h5_save *sv)
{
    struct stat st;
    if (sv->ctx->rank == 0 && (stat(sv->s.target, &st) < 0 ||
                               (st.st_size < sv->grow && truncate(sv->s.target, sv->grow) < 0)))
        return pa__err(sv->ctx, sv->fn, PA_EIO, "%s: cannot extend it: %s", sv->path,
                       strerror(errno));
    return PA_OK;
}

/* Collective. The end of a save in place, before the file is closed: with
 * rc the outcome of writing (agreed here), links the new dataset over
 * dname, or removes its temporary name, so that dname names the old or the
 * new dataset and no temporary name is left. Until the close flushes
 * HDF5's metadata cache, the file on the disk keeps its old metadata: a
 * durable save flushes first (the data and the new dataset's headers,
 * under the temporary name) and fsyncs, so that what the link will name is
 * on the disk before the link. Agreed. */
static int publish(pa__h5_save *sv, int rc)
{
    pa_ctx *ctx = sv->ctx;
    const char *fn = sv->fn;
    /* Whatever rc: a failed save closes the file too. */
    int ext = extend_for_flush(sv);
    rc = rc < 0 ? rc : ext;
    if (sv->durable) {
        rc = pa__agree(ctx, ctx->comm, rc);
        if (rc == PA_OK && H5Fflush(sv->f, H5F_SCOPE_GLOBAL) < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot flush it", sv->path);
        if (rc == PA_OK)
            rc = pa__safe_sync_file(ctx, &sv->s, fn);
    }
    if (rc == PA_OK && pa__fault(ctx, "h5_link"))
        rc = pa__err(ctx, fn, PA_EIO, "%s: injected fault before linking '%s'", sv->path,
                     sv->dname);
    /* Every rank makes the same metadata calls, or none: agree first. */
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc == PA_OK) {
        rc = remove_dataset(sv, sv->dname, "the old");
        if (rc == PA_OK &&
            H5Lmove(sv->f, sv->wname, sv->f, sv->dname, H5P_DEFAULT, H5P_DEFAULT) < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot link the new '%s' over the old",
                            sv->path, sv->dname);
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    if (rc < 0)
        (void)remove_dataset(sv, sv->wname, "the temporary"); /* the failure to report is rc */
    return rc;
}

int pa__h5_save_end(pa__h5_save *sv, int rc)
{
    pa_ctx *ctx = sv->ctx;
    const char *fn = sv->fn;
    if (sv->in_place)
        rc = publish(sv, rc);
    /* Every rank closes the file before anyone may rename it. */
    if (sv->f >= 0 && H5Fclose(sv->f) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close %s", sv->path,
                        sv->in_place ? "it" : sv->s.temp);
    sv->f = H5I_INVALID_HID;
    /* The collective close has ended every rank's writes. A failed save in
     * place gives back the reservation too: it stays the file. */
    if (ctx->rank == 0 && (rc == PA_OK || sv->in_place) &&
        pa__h5_give_back(pa__safe_file(&sv->s)) < 0 && rc == PA_OK)
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", pa__safe_file(&sv->s), strerror(errno));
    if (rc == PA_OK && pa__fault(ctx, "h5_stall"))
        sleep(STALL_SECONDS);
    return pa__safe_commit(ctx, &sv->s, fn, rc, sv->durable ? PA__SAFE_DURABLE : 0);
}

int pa_h5_save(pa_array *a, const char *path, const char *dataset, const pa_h5_opts *opts)
{
    static const char fn[] = "pa_h5_save";
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, '%s', '%s', %s", PA_CC_ARRAY(a), PA_CC_STR(path),
                  PA_CC_STR(dataset), PA_CC_H5_OPTS(opts));
    pa__h5_quiet();
    if (!opts)
        opts = &pa__h5_defaults;
    char dname[1024];
    PA_TRY(pa__h5_check_args(ctx, fn, path, dataset, opts, PA_OK, dname, sizeof dname));

    pa__h5_save sv;
    size_t align;
    PA_TRY(chunk_align(a, opts, &align));
    size_t bytes = pa__h5_save_bytes(opts, a->dtype, a->ndim, a->shape, align, ctx->h5_alignment);
    PA_TRY(pa__h5_save_begin(ctx, fn, path, dname, opts, bytes, &sv));
    return pa__h5_save_end(&sv, write_dataset(a, &sv, opts, align));
}
