/* Private declarations of the HDF5 concept: h5.c (the collective path,
 * and the basics that the serial path shares), h5_rows.c, h5_attr.c,
 * h5_settings.c; h5_serial.c's serial path, the HDF5 format of
 * pa_load_files / pa_save_files, is files.h's pa__h5f_format. */
#ifndef PARRAY_SRC_H5_H
#define PARRAY_SRC_H5_H

#include <hdf5.h>

#include "internal.h"
#include "safe_save.h"

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
 * one of that name; a variable-length UTF-8 scalar, which h5py reads as
 * str. In a file opened with the MPI-IO driver every rank must make the
 * same call. Returns 0, or -1 with the HDF5 error stack kept. In h5.c,
 * which stamps each saved dataset with it, so that the attribute calls
 * (h5_attr.c) build on h5.c and not the other way round. */
int pa__h5_attr_put_str(hid_t o, const char *name, const char *value);

/* The same for a scalar of file type ftype, its value at buf in memory
 * type mtype (the numeric attributes of h5_attr.c). */
int pa__h5_attr_put(hid_t o, const char *name, hid_t ftype, hid_t mtype, const void *buf);

/* Not collective. The parray dtype of an HDF5 datatype (either byte order),
 * or PA_ENOTSUP with a message naming the type ("16-bit unsigned integer",
 * "string", "compound"). what names the object in the message. */
int pa__h5_dtype_of(pa_ctx *ctx, const char *fn, hid_t type, const char *what, pa_dtype *dtype);

/* Not collective. The native memory type and the standard little-endian
 * file type of a dtype (library constants: not to be closed). */
hid_t pa__h5_mem_type(pa_dtype dtype);
hid_t pa__h5_file_type(pa_dtype dtype);

/* One read of a dataset, the session that the read helpers share from
 * the open of the file to its close: by the collective path
 * (pa__h5_read_begin to pa__h5_read_end, with the MPI-IO driver) or by one
 * rank alone (h5_serial.c, HDF5's serial driver).
 *
 *     pa__h5_read rd;
 *     PA_TRY(pa__h5_read_begin(ctx, fn, path, dataset, opts, rc, &rd));
 *     ... check rd.dtype, rd.ndim, rd.shape; create or check the array a ...
 *     return pa__h5_read_end(&rd, a, base, rc);
 */
typedef struct {
    pa_ctx *ctx;
    const char *fn;   /* the public call, for messages (not owned) */
    const char *path; /* the file as the caller named it (not owned) */
    char dname[1024]; /* the dataset, an absolute path */
    int collective;   /* the transfer mode: collective (opts->xfer) */
    hid_t f, d;       /* the open file and dataset, or H5I_INVALID_HID */
    pa_dtype dtype;   /* the dataset's dtype and geometry, once open */
    int ndim;
    size_t shape[PA_MAXDIM];
} pa__h5_read;

/* Not collective. A look at the file path before HDF5 opens it, so that a
 * missing file, a FIFO (whose open would block), a device, a directory or
 * a file that is not HDF5 gets a plain message. */
int pa__h5_check_existing(pa_ctx *ctx, const char *fn, const char *path);

/* Not collective. Reads rd->d's dtype and geometry into rd, checked
 * against what an array can hold (PA_ENOTSUP naming the dataset). */
int pa__h5_geometry(pa__h5_read *rd);

/* Opens the dataset rd->dname of the open file rd->f as rd->d (PA_EIO when
 * there is none, PA_EFORMAT when the object is not a dataset) and reads its
 * geometry (pa__h5_geometry). In a file opened with the MPI-IO driver every
 * rank must make the call (the caller agrees on the outcome). On failure
 * the caller closes rd->d if it is open. */
int pa__h5_open_dataset(pa__h5_read *rd);

/* Not collective. Reserves bytes of disk space past the end of the file
 * temp (path: the target, for messages) without changing its size, or
 * where the file system cannot, checks that they are free; *end is the
 * file's size at the start plus bytes. PA_EIO naming path on a full disk.
 * pa__h5_give_back gives the unused part back once the file is closed
 * (0, or -1 with errno). */
int pa__h5_reserve(pa_ctx *ctx, const char *fn, const char *path, const char *temp, size_t bytes,
                   off_t *end);
int pa__h5_give_back(const char *temp);

/* ------------------------------------------------------------ shared by
 * h5.c (whole datasets) and h5_rows.c (row blocks) */

/* The options NULL stands for: all zeros. */
extern const pa_h5_opts pa__h5_defaults;

/* Not collective. PA_EINVAL naming the first field of o out of range. */
int pa__h5_check_opts(pa_ctx *ctx, const char *fn, const pa_h5_opts *o);

/* Collective. The argument checks of a whole-dataset call, after the
 * caller's own (rc): path, dataset (normalised into dname) and opts.
 * Agreed. */
int pa__h5_check_args(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                      const pa_h5_opts *opts, int rc, char *dname, size_t dlen);

/* Not collective (h5_settings.c). A file access list for the MPI-IO
 * driver on ctx's communicator with collective metadata reads and writes,
 * the MPI-IO hints of PARRAY_MPIIO_HINTS and the alignment of
 * PARRAY_H5_ALIGN, or H5I_INVALID_HID with the error recorded. The caller
 * closes it. */
hid_t pa__h5_fapl(pa_ctx *ctx, const char *fn);

/* Not collective. This rank's whole rows of a: those whose first element
 * lies in its part [bound[r], bound[r+1]) of the node block (node 0's only
 * when writing a replicated a); *first is the global row index of the
 * first, *n their count, *ptr where they start in the node block. */
void pa__h5_io_rows(const pa_array *a, int writing, size_t *first, size_t *n, char **ptr);

/* Collective (in collective mode). Moves this rank's whole rows of a (those
 * whose first element lies in its part of the node block; node 0's only
 * when writing a replicated a) between the node block and dataset d, array
 * row i being dataset row base + i, in pieces of at most 512 MiB. The
 * caller has checked that the rows lie inside d and that the row shapes
 * agree. Behind the test fault site "h5_read" or "h5_write" (PARRAY_FAULT):
 * a rank where it fires fails with PA_EIO yet still takes part in the
 * collective calls. fn, path and dname name the call, the file and the
 * dataset in messages. Returns this rank's outcome, not agreed. */
int pa__h5_move(pa_array *a, const char *fn, const char *path, const char *dname, hid_t d,
                size_t base, int writing, int collective);

/* Not collective. The test fault site "h5_write" (writing) or "h5_read"
 * (PARRAY_FAULT): PA_EIO with "fn: path: dataset: injected ... fault" when
 * it fires on this rank, else PA_OK. */
int pa__h5_write_fault(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                       int writing);

/* Collective. The start of every read: with rc this rank's outcome of the
 * caller's own checks, checks path, dataset (normalised into rd->dname) and
 * opts, agrees, opens path read-only as rd->f and the dataset as rd->d,
 * and reads its dtype and geometry into rd. Agreed; on failure nothing is
 * left open, on success the caller ends with pa__h5_read_end (or closes
 * rd->d and rd->f). path must live until the end. */
int pa__h5_read_begin(pa_ctx *ctx, const char *fn, const char *path, const char *dataset,
                      const pa_h5_opts *opts, int rc, pa__h5_read *rd);

/* Collective. The end of every read, rc being the agreed outcome so far:
 * when PA_OK, reads a's rows from the dataset (array row i = dataset row
 * base + i) and publishes them to the node's ranks; always closes the
 * dataset and the file. Returns the agreed code; the caller frees an array
 * it created. */
int pa__h5_read_end(pa__h5_read *rd, pa_array *a, size_t base, int rc);

/* Not collective. The bytes a save of a dataset of dtype and shape with
 * opts (align: as pa__h5_save_dataset) may add to a file: its data,
 * their chunk index, a margin for metadata and the gap before each chunk
 * (or the dataset) that HDF5's alignment pad (1: none) may leave, what
 * pa__h5_save_begin reserves on the disk. */
size_t pa__h5_save_bytes(const pa_h5_opts *opts, pa_dtype dtype, int ndim, const size_t *shape,
                         size_t align, unsigned long long pad);

/* One save of a dataset into an HDF5 file, from pa__h5_save_begin to
 * pa__h5_save_end (pa_h5_save and the row writer), in one of two ways
 * (docs/io.md, "Crash-safe saves"):
 * - whole file: the data goes into a temporary file, a new one or (opts->copy)
 *   a copy of the old file, which the end renames over the target;
 * - in place: the target holds other objects, so the data goes into the
 *   target itself under a temporary dataset name beside the dataset
 *   (".<name>.parray-tmp"), which the end links over the dataset's name.
 * Either way the save holds the file's lock throughout (safe_save.h).
 *
 *     pa__h5_save sv;
 *     PA_TRY(pa__h5_save_begin(ctx, fn, path, dname, opts, bytes, &sv));
 *     hid_t d;
 *     int rc = pa__h5_save_dataset(&sv, opts, dtype, ndim, shape, 0, &d);
 *     ... write d, close it ...
 *     return pa__h5_save_end(&sv, rc);
 */
typedef struct {
    pa_ctx *ctx;
    const char *fn;    /* the public call, for messages (not owned) */
    const char *path;  /* the file as the caller named it (not owned) */
    const char *dname; /* the dataset, an absolute path (not owned) */
    char wname[1024];  /* the name the data is written under: dname, or in
                            place the temporary name beside it */
    int in_place;      /* the target itself is open */
    int durable;       /* opts->durable */
    off_t grow;        /* rank 0: the file's size at the start plus the
                            bytes reserved for the save */
    pa__safe s;        /* the lock, and the temporary file unless in place */
    hid_t f;           /* the open file (pa__safe_file), or H5I_INVALID_HID */
} pa__h5_save;

/* Collective. Starts a save of dataset dname (an absolute path) into the
 * file path: takes the file's lock (safe_save.h); decides under it how to
 * save (in place when an existing file holds other objects, unless
 * opts->truncate or opts->copy; with opts->copy the temporary becomes a copy
 * of the old file); reserves bytes of disk space (pa__h5_save_bytes) past
 * the end of the file to be written; only then opens that file with the
 * MPI-IO driver as sv->f (a new file with persistent free-space tracking, so
 * that later saves in place reuse the space of replaced datasets). path and
 * dname must live until the end. Agreed; on failure nothing is left open,
 * no temporary is left and the lock is free. */
int pa__h5_save_begin(pa_ctx *ctx, const char *fn, const char *path, const char *dname,
                      const pa_h5_opts *opts, size_t bytes, pa__h5_save *sv);

/* Collective. Creates the dataset of the save, of dtype and shape, under
 * sv->wname, with the layout of opts and the "parray_version" attribute;
 * a dataset of that name is replaced (in place: only a temporary name that
 * a killed save left behind; the old dataset stays until the end). An
 * object at dname that is not a dataset is PA_EFORMAT. When opts asks for
 * chunks without chunk_rows, chunks of about 4 MiB are picked, whose row
 * count divides align when it can (align: the greatest common divisor of the
 * rows where the writing ranks start, 0 when unknown), so that each chunk is
 * written by one rank. Agreed; on success the caller closes *d before the
 * end. */
int pa__h5_save_dataset(pa__h5_save *sv, const pa_h5_opts *opts, pa_dtype dtype, int ndim,
                        const size_t *shape, size_t align, hid_t *d);

/* Collective. Ends the save with rc, this rank's outcome so far (every
 * dataset closed). When the agreed outcome is PA_OK: in place, links the new
 * dataset over dname (durable: after a flush and an fsync of the file, so
 * that the data is on the disk before a name points at it); then closes
 * the file on every rank, gives back the unused reserved space and commits
 * (whole file: renames the temporary over path; durable: fsyncs first).
 * Otherwise removes the temporary name (in place) or the temporary file.
 * Returns the agreed code, with the lock free. */
int pa__h5_save_end(pa__h5_save *sv, int rc);

/* Collective (h5_map_write.c). Writes a into the dataset d, just created
 * by pa__h5_save_dataset, without HDF5 when it can: a contiguous dataset of
 * a whole-file save (not in place) on one node, with its place in the file
 * known. Then rank 0 allocates the temporary up to the data's end, and every
 * rank copies its whole rows (pa__h5_io_rows) through a shared memory map
 * of its own byte range; *mapped = 1 and the return is the agreed outcome.
 * Otherwise *mapped = 0 and nothing is written (the caller writes with
 * pa__h5_move). Agreed. */
int pa__h5_map_write(pa_array *a, pa__h5_save *sv, const pa_h5_opts *o, hid_t d, int *mapped);

/* Collective (h5_map_write.c). Whether the dataset d of bytes bytes, just
 * created by pa__h5_save_dataset, can be written by every rank straight
 * into the file, through shared mappings or write(2) (the conditions
 * above); when *fit, rank 0 has allocated the temporary up to the data's
 * end and *offset is the data's place in the file. Agreed. */
int pa__h5_map_begin(pa__h5_save *sv, const pa_h5_opts *o, hid_t d, size_t bytes, off_t *offset,
                     int *fit);

/* ------------------------------------------------------------ reading by layout */

/* Reading a dataset's rows into an array, by the dataset's layout
 * (h5_chunk_read.c). A chunked dataset whose filters parray can undo
 * itself (none, deflate,
 * shuffle, fletcher32) is read chunk by chunk by every rank straight from
 * the file, with the chunks' places asked of HDF5; every other dataset
 * goes through HDF5's own read (h5.c's pa__h5_move).
 *
 * Protocol: h5.c's pa__h5_read_end calls it once per read, on every rank,
 * with the dataset open on the job's communicator:
 *
 *     rc = pa__h5_chunk_read(rd, a, base);
 *     if (rc == PA_OK)
 *         rc = pa__array_sync(a);   // publish the rows to the node's ranks
 *
 * Collective. Reads the rows of a (array row i = dataset row base + i) of
 * the dataset of the read rd (open as rd->d, read collectively when
 * rd->collective), into a's node block:
 * - chunked, with no filter or only deflate, shuffle and fletcher32 (the
 *   checksum verified): the node's ranks share the node's chunks, each
 *   reading and decoding its own in this process, so decompression scales
 *   with the ranks; chunks that were never written read as the fill value
 *   (zero when the dataset has none). The transfer mode is not used.
 * - chunked with a filter that HDF5 applies (szip, nbit, scaleoffset, a
 *   plugin that HDF5 finds): HDF5's read, with a chunk cache that holds a
 *   band of chunks; collective (when asked) and, if that fails, again
 *   independent.
 * - chunked with a filter that this HDF5 lacks: PA_ENOTSUP naming the
 *   filter and its id, and how to convert the file (h5repack).
 * - contiguous or compact: HDF5's read (collective when asked), or the fill
 *   value when the dataset's space was never allocated.
 * Returns the agreed outcome. */
int pa__h5_chunk_read(const pa__h5_read *rd, pa_array *a, size_t base);

/* ------------------------------------------------------------ chunk places */

/* Where chunks lie in a file opened read-only through parray's own file
 * driver (h5_chunk_place.c): HDF5 finds the chunk (H5Dread_chunk), and the
 * driver notes its place instead of reading it, so that the reader can
 * read chunks that lie one after the other with one pread.
 *
 *     hid_t f; pa__h5_places *pl;
 *     PA_TRY(pa__h5_places_open(ctx, fn, path, &f, &pl));
 *     d = H5Dopen2(f, dname, H5P_DEFAULT);
 *     pa__h5_chunk_place(pl, d, org, scratch, &addr, &size, &mask);   // per chunk
 *     pa__pread_all(pl->fd, buf, size, addr);
 *     H5Dclose(d); H5Fclose(f);                            // closes pl->fd
 */
typedef struct {
    int fd;        /* the file, read-only, open until H5Fclose */
    uint64_t size; /* its bytes when opened */
    int noting;    /* raw data reads note their place instead of reading */
    haddr_t noted_addr;
    size_t noted_size;
} pa__h5_places;

/* Not collective. Opens path read-only through the driver: *f the file
 * (the caller closes it), *pl its places record. */
int pa__h5_places_open(pa_ctx *ctx, const char *fn, const char *path, hid_t *f,
                       pa__h5_places **pl);

/* Not collective. Where the stored bytes of the chunk at origin org of
 * dataset d (of pl's file) lie, in one lookup of the chunk index: *addr
 * (UINT64_MAX when HDF5 asked for bytes outside the file: a damaged chunk
 * index), *size, and *mask the filters that were skipped for it. scratch
 * has room for the chunk's stored bytes and is not written. Returns -1,
 * with HDF5's error stack kept, when HDF5 cannot find the chunk (also a
 * chunk never written). */
int pa__h5_chunk_place(pa__h5_places *pl, hid_t d, const hsize_t *org, void *scratch,
                       uint64_t *addr, size_t *size, unsigned *mask);

#endif
