/* Many files at once: a stack of n files of one shape loaded into one
 * (n, ...) distributed array, each rank reading its share of the files
 * straight into the rows they fill, and the reverse, one file per row.
 * Formats: .npy (read and write), CSV (one big CSV file is also parsed in
 * parallel by line-aligned byte ranges, and one big .npy file is read by
 * all ranks, each its own part), raw binary, and HDF5 (one dataset per
 * file). See docs/io.md, section "Many files". */
#ifndef PARRAY_FILES_H
#define PARRAY_FILES_H

#include <stddef.h>
#include "parray/array.h"
#include "parray/export.h"

/* The format of the files. PA_FORMAT_AUTO picks it from the name of the
 * first path (load) or of the pattern (save): .npy; .csv, .txt, .tsv
 * (tab-delimited when no delimiter is given); .raw, .bin; .h5, .hdf5. */
typedef enum {
    PA_FORMAT_AUTO = 0,
    PA_FORMAT_NPY,
    PA_FORMAT_CSV,
    PA_FORMAT_RAW,
    PA_FORMAT_H5
} pa_format;

/* Which rank reads which file in pa_load_files.
 * PA_PLACE_NODE (the default): each node reads exactly the files whose
 *   rows it holds, split among its ranks into contiguous ranges of equal
 *   bytes, and each file is read straight into its row of the node's block:
 *   no copy and no transfer between ranks.
 * PA_PLACE_JOB: the files are split among all ranks of the job into
 *   contiguous ranges of equal bytes, whatever node holds their rows; a
 *   file whose row is on another node is read into a buffer and sent there
 *   (one message per pair of rank and node). For stacks whose file sizes
 *   differ a lot between the nodes' row blocks (CSV with uneven text). */
typedef enum { PA_PLACE_NODE = 0, PA_PLACE_JOB = 1 } pa_place;

/* Options of the calls below. A NULL pointer, or a struct of zeros ({0}),
 * means the defaults; a field that a format or call does not use is
 * ignored. CSV: the delimiter and the comment character must differ
 * (unless no_comments), and neither may be a newline or a character of a
 * number (a digit, a letter, '+', '-', '.'); the comment character may not
 * be a blank either. Otherwise the calls fail with PA_EINVAL naming both,
 * when reading and when writing (so that what is written reads back with
 * the same options). */
typedef struct {
    pa_place place; /* pa_load_files: see pa_place */
    /* CSV */
    char delimiter;  /* field separator; 0: ',' ('\t' for .tsv).
                                ' ' or '\t': runs of spaces and tabs separate */
    char comment;    /* comment character; 0: '#'. A line whose first
                                non-blank is it is skipped, and it ends the
                                fields of a line ("1,2 # note") */
    int no_comments; /* 1: no comment character (comment is ignored):
                                every line that is not blank is data */
    int header;      /* read: skip the first line that is not blank or
                                a comment; write: not used */
    pa_dtype dtype;  /* CSV read: the result's dtype (default PA_F64);
                                raw: the files' element type */
    /* raw: the shape of one file (native byte order, C order). ndim 0: a
     * 1-D file whose length is the first file's size / element size. */
    int ndim;
    size_t shape[PA_MAXDIM];
    const char *dataset; /* HDF5: the dataset in every file; NULL: "/data" */
    int big_endian;      /* .npy write: store big-endian ('>f8'); default
                                little-endian ('<f8') */
    int durable;         /* pa_save_files, pa_save_csv: 1 fsyncs every file
                                before its rename and its directory after,
                                so that the new files survive a power loss.
                                0 (default): the files may still be in the
                                page cache on return (see pa_save_files) */
    int threads;         /* pa_load_files: reader threads per rank (0 or 1:
                                the calling thread alone). More threads keep
                                more reads in flight (network file systems) or
                                use idle cores when there are fewer ranks than
                                cores. HDF5 files are always read by one
                                thread (the HDF5 library is not thread-safe). */
    /* Progress, when not NULL: pa_load_files calls it on every rank after
     * each of that rank's files (done of total, both of this rank's share;
     * with threads from the reader threads, one call at a time);
     * pa_load_csv and pa_load_npy after each piece of this rank's part of
     * the file (done of total bytes of that part). */
    void (*progress)(void *arg, size_t done, size_t total);
    void *progress_arg;
} pa_files_opts;

/* Collective. Loads the n files paths[0..n) (n >= 1; the same list on every
 * rank), each holding an array of one dtype and shape S, into a new
 * distributed array *out of shape (n, S...): row i is file i. The dtype and
 * shape come from the first file (.npy header; CSV: (lines, fields); raw:
 * opts; HDF5: the dataset). Files are read by the ranks as opts->place says,
 * balanced by file size (sizes are taken with stat, each rank stating a
 * share and all sharing them).
 * On success the caller frees *out with pa_array_free. On failure *out is
 * NULL and every rank returns the same code, with the file named in
 * pa_errmsg: PA_EINVAL (arguments; a file whose dtype or shape differs from
 * the first file's), PA_EIO (a file missing or unreadable), PA_EFORMAT (a
 * file that is not valid in its format; CSV errors give file:line:column),
 * PA_ENOTSUP (a dtype parray does not hold; a Fortran-order .npy of 2 or
 * more dimensions), PA_ENOMEM. */
PA_EXTERN int pa_load_files(pa_ctx *ctx, const char *const *paths, size_t n, pa_format format,
                            const pa_files_opts *opts, pa_array **out);

/* Collective. Saves each row i of the distributed or replicated array a
 * (of shape (n, S...)) as one file holding an array of shape S, named by
 * pattern with i: pattern holds exactly one integer conversion (%d, %i or
 * %u, with optional flags, width and precision, e.g. "out/part-%05d.npy")
 * and no other % except "%%". The directory must exist. Each rank writes
 * the files of an equal share of its node's rows (of node 0 for a
 * replicated array), reading them straight from the node's block. Every
 * file is written to a temporary beside it and renamed over the name, so
 * an existing file is replaced whole or not at all: a reader, or a job
 * killed at any moment, sees the old file or the complete new one. That
 * holds after a power loss or a crash of the operating system only with
 * opts->durable = 1 (each file fsynced before its rename, each directory
 * once after its renames); without it (the default, as numpy.save), such a
 * crash soon after the call may leave a name with the old file, the new
 * one, or the new one empty or in part. .npy, CSV and raw files take no
 * lock (they are only ever written whole: the last rename wins); HDF5
 * files take the save lock (docs/io.md).
 * Formats: .npy (C order, little-endian unless opts->big_endian), CSV (a row
 * of 1 or 2 dimensions: one line per element of its first axis, %.17g for
 * f64 and %.9g for f32, so the text reads back to the same bits), raw, HDF5
 * (dataset opts->dataset). A 1-D a gives 0-d files (.npy, raw, CSV).
 * Returns PA_OK, or on every rank: PA_EINVAL (arguments, a bad pattern,
 * opts->durable not 0 or 1), PA_EIO (a file that cannot be written or
 * synced, named; the files of other rows may be replaced already),
 * PA_ENOTSUP (CSV of a row of more than 2 dimensions). */
PA_EXTERN int pa_save_files(pa_array *a, const char *pattern, pa_format format,
                            const pa_files_opts *opts);

/* Collective. Loads one CSV file into a new distributed 2-D array *out of
 * shape (data lines, fields) and opts->dtype, parsed in parallel: each rank
 * takes an equal byte range, moves its start to the next line start, counts
 * its lines and rows, and an exclusive scan gives it its first line number
 * and row; then it parses its rows into their places (rows held by another
 * node are sent there). Numbers parse exactly: every f64 is the correctly
 * rounded value of its text, as strtod gives (f32 as strtof); integer
 * dtypes take integers only, in range. Blank lines and comments are
 * skipped; every data line must have the same number of fields.
 * Errors (on every rank, the same): PA_EIO (the file), PA_EFORMAT with
 * "path:line:column: reason 'text'" (a bad number, an empty field, a ragged
 * line, no data), PA_EINVAL (arguments), PA_ENOMEM. */
PA_EXTERN int pa_load_csv(pa_ctx *ctx, const char *path, const pa_files_opts *opts,
                          pa_array **out);

/* Collective. Loads one .npy file into a new distributed array *out of
 * the file's dtype and shape (1 to PA_MAXDIM dimensions, C order or 1-D,
 * either byte order), read in parallel: every rank parses the header and
 * reads its own part of the node's block straight from the file (one
 * contiguous run of the data), so nothing moves between ranks. Of opts
 * (NULL: none) only progress is used.
 * On success the caller frees *out with pa_array_free. On failure *out is
 * NULL and every rank returns the same code, with the file named in
 * pa_errmsg: PA_EIO (missing or unreadable), PA_EFORMAT (not a .npy file;
 * a size that is not the header's), PA_ENOTSUP (a dtype parray does not
 * hold, Fortran order in 2 or more dimensions, a 0-d array), PA_EINVAL
 * (arguments), PA_ENOMEM. */
PA_EXTERN int pa_load_npy(pa_ctx *ctx, const char *path, const pa_files_opts *opts,
                          pa_array **out);

/* Collective. Saves a 1-D or 2-D array a as one CSV file (one line per row;
 * a 1-D array as one value per line), written in parallel: each rank
 * formats its rows and writes them at its offset in the file (an exclusive
 * scan of the byte counts). Numbers as in pa_save_files. The file is
 * written to a temporary beside path and renamed over it when complete
 * (opts->durable: fsynced by every rank first, and the directory after).
 * Returns PA_OK, or on every rank PA_EINVAL / PA_EIO / PA_ENOTSUP. */
PA_EXTERN int pa_save_csv(pa_array *a, const char *path, const pa_files_opts *opts);

/* Not collective. Checks a pa_save_files name pattern. Returns PA_OK, or
 * PA_EINVAL with the reason in pa_errmsg(ctx) (ctx may be NULL: then
 * pa_errmsg(NULL)). */
PA_EXTERN int pa_files_pattern_check(pa_ctx *ctx, const char *pattern);

/* Not collective. The format named by path's extension, or PA_FORMAT_AUTO
 * when it names none. */
PA_EXTERN pa_format pa_format_of(const char *path);

#endif
