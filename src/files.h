/* Private declarations of the many-files concept: one table of operations
 * per file format (npy.c, csv.c, raw.c, and HDF5 in files.c), the CSV parser
 * shared by the per-file and the parallel loaders, and the helpers that
 * files.c and csv.c share (whole-file I/O, temporaries, row delivery).
 * Not installed. */
#ifndef PARRAY_FILES_PRIV_H
#define PARRAY_FILES_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "file_check.h"
#include "internal.h"
#include "safe_save.h"

/* What one file holds: its dtype and shape (ndim 0: one element). */
typedef struct {
    pa_dtype dtype;
    int ndim;
    size_t shape[PA_MAXDIM];
} pa__finfo;

size_t pa__finfo_count(const pa__finfo *f); /* elements */
int pa__finfo_same(const pa__finfo *a, const pa__finfo *b);

/* One format. Each call is not collective: it works on one file on the
 * calling rank and records its errors as "fn: path: reason" in ctx, with
 * fn the public call that runs it.
 * probe: the dtype and shape of path.
 * read: reads path, which must hold exactly want (else PA_EINVAL naming the
 *   file and both shapes), into buf (pa__finfo_count(want) elements in
 *   native byte order).
 * write: writes buf (of info) as path, through a temporary beside it. */
typedef struct {
    const char *name;
    int (*probe)(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                 pa__finfo *info);
    int (*read)(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                const pa__finfo *want, void *buf);
    int (*write)(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                 const pa__finfo *info, const void *buf);
} pa__format;

extern const pa__format pa__npy_format; /* npy.c */
extern const pa__format pa__csv_format; /* csv.c */
extern const pa__format pa__raw_format; /* raw.c */
extern const pa__format pa__h5f_format; /* h5_serial.c */

/* ------------------------------------------------------------ .npy */

/* Parses a .npy header: buf holds the file's first len bytes. On success
 * *info is the array, *data_off the offset of the data, *swap whether the
 * data is in the other byte order. Returns PA_OK, PA_EFORMAT (not .npy,
 * truncated: *need > len tells how many bytes the header needs when that
 * is the only problem), PA_ENOTSUP (a dtype or Fortran order parray does
 * not hold). Records "fn: path: reason". */
int pa__npy_parse(pa_ctx *ctx, const char *fn, const char *path, const unsigned char *buf,
                  size_t len, pa__finfo *info, size_t *data_off, int *swap, size_t *need);

/* Formats the .npy header of info (version 1.0, or 2.0 when the header
 * needs it), padded with spaces and ended by '\n' so the data starts at a
 * multiple of 64 bytes. Returns its length (at most cap), or 0 if cap is
 * too small. */
size_t pa__npy_header(const pa__finfo *info, int big_endian, unsigned char *buf, size_t cap);

/* ------------------------------------------------------------ CSV */

/* The settings of a parse, from pa_files_opts. */
typedef struct {
    char delim; /* ',' or another; ' ' means runs of blanks */
    char comment;
    int header;
    pa_dtype dtype;
    const char *path; /* for messages */
    /* pa_load_csv: called after each piece of the text parsed (done of
     * total bytes of the text); NULL (pa__csv_init's): none. */
    void (*progress)(void *arg, size_t done, size_t total);
    void *progress_arg;
} pa__csv;

/* Not collective. The settings of opts (NULL: the defaults) for path. With
 * no_comments the comment character is '\n', which never occurs inside a
 * line. */
void pa__csv_init(pa__csv *c, const pa_files_opts *o, const char *path);

/* Not collective. Checks the CSV settings of o (NULL: the defaults), as
 * include/parray/files.h states them: PA_OK, or PA_EINVAL with "fn: ..."
 * naming the delimiter and the comment character. */
int pa__csv_check(pa_ctx *ctx, const char *fn, const pa_files_opts *o);
/* PA_ENOTSUP, recorded for fn, when CSV cannot hold dtype (complex). */
int pa__csv_dtype_check(pa_ctx *ctx, const char *fn, const char *path, pa_dtype dtype);

/* Not collective. Counts the lines (newlines, plus one for an unterminated
 * last line), the data lines (not blank, not comments) and the fields of
 * the first data line of text[0..len). *first_line is the 0-based line of
 * the first data line (or -1). */
void pa__csv_count(const pa__csv *c, const char *text, size_t len, size_t *lines, size_t *rows,
                   size_t *fields, long *first_line);

/* Not collective. Parses text[0..len) (text[len] must be readable and is
 * not part of the text: the caller puts a NUL there), whose first line is
 * line line0 (1-based) of the file, into rows of ncols elements of c->dtype.
 * Skips the first skip data lines (a header). Row r (0-based among this
 * text's rows) goes to dest(r, arg), in order of r; dest returns NULL
 * when it cannot take the row, having recorded why, and the parse stops
 * there with PA_EIO. Every data line must have ncols fields. Returns PA_OK,
 * PA_EIO or PA_EFORMAT with "fn: path:line:column: reason 'text'". */
int pa__csv_parse(pa_ctx *ctx, const char *fn, const pa__csv *c, const char *text, size_t len,
                  size_t line0, size_t skip, size_t ncols, void *(*dest)(size_t r, void *arg),
                  void *arg);

/* One big CSV file read by every rank (pa_load_csv, pa_import_csv): each
 * rank's line-aligned byte range of it (text[0..len), followed by a
 * readable NUL or newline successor), and what the count pass of all ranks
 * gave: the shape, this rank's first line number, the header lines it
 * skips, and its rows [r0, r0 + n) of the result.
 *
 *     pa__csv_job j;
 *     PA_TRY(pa__csv_job_begin(ctx, fn, path, opts, &j));
 *     int rc = pa__csv_job_parse(&j, dest, arg); (or pa__csv_job_load)
 *     pa__csv_job_end(&j);
 */
typedef struct {
    pa_ctx *ctx;
    const char *fn;
    pa__csv c;
    const char *text;
    size_t len;
    void *map;     /* the text's mapping, or NULL */
    size_t maplen; /* its length, a reserved page past the file's included */
    char *heap;    /* the text when it is not mapped */
    size_t line0, skip, r0, n;
    size_t shape[2];
} pa__csv_job;

/* Collective. Checks path and opts, maps this rank's byte range of the file
 * and counts the lines and rows of every rank. Agreed; on failure nothing
 * is held. */
int pa__csv_job_begin(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *opts,
                      pa__csv_job *j);
/* Not collective. Parses this rank's rows, row r (of its n) to dest(r, arg),
 * with opts' progress. This rank's outcome, not agreed. */
int pa__csv_job_parse(pa__csv_job *j, void *(*dest)(size_t r, void *arg), void *arg);
/* Collective. Parses the rows into a new distributed array *out (rows that
 * other nodes hold are sent there). Agreed; on failure *out is NULL. */
int pa__csv_job_load(pa__csv_job *j, pa_array **out);
/* Not collective. Unmaps the text. */
void pa__csv_job_end(pa__csv_job *j);

/* Not collective. Parses one number of text at p (p[..] ends before a
 * non-number character or the NUL): exactly as strtod_l / strtof_l in the
 * "C" locale (f64, f32) or as an integer in range (i64, i32, u8). Stores
 * it at out. Returns the end of the number, or NULL if p does not start
 * with a number of the dtype (*range is set if it was out of range). */
const char *pa__csv_number(const char *p, pa_dtype dtype, void *out, int *range);

/* Not collective. Formats one element as CSV text (shortest form that reads
 * back to the same bits: %.17g for f64, %.9g for f32). Returns the length. */
int pa__csv_format_elem(pa_dtype dtype, const void *elem, char *buf, size_t cap);

/* ------------------------------------------------------------ helpers */

/* Whole-file I/O on the calling rank with errors recorded as "fn: path:
 * what: strerror"; they loop over short transfers. Inputs are opened by
 * pa__file_open_input (file_check.h). The fault site "file_write" makes a
 * write fail halfway, after half of its bytes are written. */
int pa__read_at(pa_ctx *ctx, const char *fn, const char *path, int fd, void *buf, size_t len,
                size_t off);
int pa__write_at(pa_ctx *ctx, const char *fn, const char *path, int fd, const void *buf,
                 size_t len, size_t off);

/* pread of n bytes at off, again after EINTR and short reads: the bytes
 * read (fewer at the end of the file), or (size_t)-1 with errno. */
size_t pa__pread_all(int fd, void *buf, size_t n, uint64_t off);

/* One rank's crash-safe write of a whole file (safe_save.h on
 * MPI_COMM_SELF, without a lock: .npy, CSV and raw files are only ever
 * written whole): pa__tmp_open makes the temporary beside path and opens
 * it as fd; pa__tmp_commit closes it and renames it over path (with
 * o->durable it fsyncs it first; pa_save_files fsyncs the directory);
 * pa__tmp_abort closes and removes it and returns rc. o may be NULL. */
typedef struct {
    int fd;
    int flags; /* of pa__safe_commit */
    pa__safe s;
} pa__tmpfile;
int pa__tmp_open(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                 pa__tmpfile *t);
int pa__tmp_commit(pa_ctx *ctx, const char *fn, pa__tmpfile *t);
int pa__tmp_abort(pa_ctx *ctx, const char *fn, pa__tmpfile *t, int rc);

/* Not collective. Checks opts->durable (opts may be NULL): PA_OK, or
 * PA_EINVAL with "fn: opts->durable = N is not 0 or 1". */
int pa__files_durable_check(pa_ctx *ctx, const char *fn, const pa_files_opts *opts);

/* Collective. Delivers rows held by ranks that are not on their node:
 * every rank calls it with the contiguous rows [r0, r0 + n) of a that it
 * produced; it has already stored those of its own node in place, and the
 * others are in stage (the rows of [r0, r0 + n) before its node's rows
 * first, then those after them, packed). Each piece goes to the rank of
 * the receiving node that owns its first row, straight into the node
 * block. Ends with the node sync. Returns PA_OK or PA_EMPI, agreed. */
int pa__rows_deliver(pa_array *a, size_t r0, size_t n, const void *stage);

/* The rows of [r0, r0 + n) that are not on this rank's node: how many lie
 * before its node's rows and how many after (for sizing stage). */
void pa__rows_off_node(const pa_array *a, size_t r0, size_t n, size_t *before, size_t *after);

#endif
