/* Files as the ranks see them, checked before anything opens them: what a
 * path is (a regular file, or a device, FIFO, socket or directory that no
 * load reads and no save replaces), an open of an input that cannot block,
 * and the agreement of a communicator's ranks that they all see the same
 * file, before a collective open that a rank missing it would hang in.
 *
 * Protocol: every collective open of an input (parallel HDF5, the parallel
 * CSV load) is preceded by pa__file_agree over the ranks that open it; a
 * save's temporary is agreed by pa__safe_begin before the writers open it;
 * a file that one rank reads alone is checked by pa__file_regular, or
 * opened by pa__file_open_input, which also checks it.
 *
 *     PA_TRY(pa__file_agree(ctx, ctx->comm, fn, path, PA__FILE_INPUT, NULL));
 *     hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);   // every rank
 */
#ifndef PARRAY_FILE_CHECK_H
#define PARRAY_FILE_CHECK_H

#include <sys/stat.h>

#include "internal.h"

/* What pa__file_agree requires of the path on every rank. */
enum {
    /* A regular file (after symbolic links), readable, with the same size
     * and modification time on every rank. */
    PA__FILE_INPUT = 0,
    /* A directory that every rank can create files in. Only its kind and
     * access are compared, so node-local directories of one name agree. */
    PA__FILE_DIR = 1,
};

/* Not collective. "a directory", "a FIFO", ...: what a file of mode m is,
 * for messages. */
const char *pa__file_kind(mode_t m);

/* Not collective. PA_OK when path is a regular file (after symbolic links),
 * with its stat in *st (may be NULL). Otherwise records "fn: path: is a
 * FIFO, not a regular file" (PA_EINVAL) or "fn: path: <strerror>" (PA_EIO,
 * e.g. a missing file). Opens nothing. */
int pa__file_regular(pa_ctx *ctx, const char *fn, const char *path, struct stat *st);

/* Not collective. Opens the input path read-only: refuses what is not a
 * regular file before opening it, opens with O_NONBLOCK (so that a FIFO
 * put there meanwhile cannot block) and checks again what it opened.
 * *fd is the descriptor (blocking again) and *size the file's size; on
 * failure *fd is -1 and the error is recorded as pa__file_regular's. */
int pa__file_open_input(pa_ctx *ctx, const char *fn, const char *path, int *fd, size_t *size);

/* Collective over comm. Every rank stats path (an input: opens it without
 * blocking and fstats it, which on NFS revalidates cached attributes) and
 * one allreduce (of the minimum and maximum of a small record: kind, stat
 * error, access error, size, modification time in ns) tells whether all
 * ranks see the same thing.
 * Returns PA_OK when every rank sees what flags asks for (PA__FILE_INPUT
 * or PA__FILE_DIR). Otherwise every rank returns the same code with the
 * same message, which names the path as fmt and its arguments say (NULL:
 * the path itself; e.g. "%s: the directory %s", target, dir):
 *   - the ranks differ (PA_EIO): "fn: x.h5: missing on rank 1 (exists on
 *     rank 0)", "fn: x.h5: differs between ranks: size 8192 on ranks 0-1,
 *     4096 on rank 2" (only then are the ranks' records gathered);
 *   - all see the same wrong kind (PA_EINVAL): "fn: f.h5: is a FIFO, not a
 *     regular file", or the same error (PA_EIO): "fn: x.h5: No such file
 *     or directory", "...: Permission denied". */
int pa__file_agree(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *path, int flags,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
