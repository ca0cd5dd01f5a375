/* Crash-safe saves, for every writer of whole files (HDF5, .npy, CSV, raw):
 * write a temporary file in the target's directory, close it, then rename it
 * over the target. rename(2) within one directory is atomic, so a reader, or
 * a job killed at any moment, sees either the old file or the complete new
 * one. The temporary is named ".<name>.parray-tmp.XXXXXX"; it is removed on
 * every error, and only a killed process leaves one behind.
 *
 * Saves into one file take turns: from begin to the end of commit (or
 * abort), rank 0 of the writers holds an advisory write lock (an fcntl OFD
 * lock) on ".<name>.parray-lock" beside the target, so a save that keeps
 * part of the old file (pa__safe_copy) and its rename see no other save in
 * between. A second save waits for the lock up to PARRAY_LOCK_TIMEOUT
 * seconds, then fails. The holder removes the lock file as it lets go.
 *
 * Usage, by the ranks of comm together (MPI_COMM_SELF for a file that one
 * rank writes alone):
 *
 *     pa__safe s;
 *     PA_TRY(pa__safe_begin(ctx, comm, fn, target, &s));
 *     int rc = write_everything_to(s.temp);   // then close it on every rank
 *     return pa__safe_commit(ctx, &s, fn, rc, 0);
 */
#ifndef PARRAY_SAFE_SAVE_H
#define PARRAY_SAFE_SAVE_H

#include <limits.h>
#include <mpi.h>

#include "internal.h"

/* Flags of pa__safe_commit. */
enum {
    /* commit: fsync the temporary on every rank of comm (so each client's
     * cache reaches a network file system) and, after the rename, the
     * directory, so that the new file survives a power loss. */
    PA__SAFE_DURABLE = 2,
};

typedef struct {
    MPI_Comm comm;          /* the ranks that write the temporary (not owned) */
    char target[PATH_MAX];  /* the file to replace (symbolic links resolved) */
    char temp[PATH_MAX];    /* the temporary, in the same directory */
    int existed;            /* the target existed as a regular file at begin */
    int active;             /* the temporary exists and is ours to remove */
    char lock[PATH_MAX];    /* rank 0: the lock file beside the target */
    int lock_fd;            /* rank 0: the lock file, open and locked, or -1 */
} pa__safe;

/* Collective over comm. Rank 0 of comm takes the lock of the target (it
 * may wait; see above), checks the target (only a regular file is
 * replaced: a directory, device, FIFO or socket is PA_EINVAL), creates the
 * temporary, empty, with the target's permissions (those of a new file
 * when there is none), and sends the names to all; every rank of comm must
 * then see the temporary (file_check.h: else PA_EIO naming the directory
 * and the ranks). Errors are recorded as "fn: ..." (PA_EIO with the system
 * reason: a directory that does not exist or is not writable, the lock
 * held too long) and agreed over comm: every rank returns the same code,
 * and then nothing is left behind and the lock is free. On success the
 * save ends with pa__safe_commit or pa__safe_abort, which let go of the
 * lock. */
int pa__safe_begin(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *target, pa__safe *s);

/* Collective over comm. Rank 0 copies the target, when it existed at
 * begin, byte for byte into the temporary (for a save that modifies a
 * file, e.g. one dataset of many; under the lock, so nothing saved in
 * between is lost). Returns the agreed code; on failure the save is still
 * open: end it with pa__safe_abort. */
int pa__safe_copy(pa_ctx *ctx, pa__safe *s, const char *fn);

/* Collective over comm. Call after every rank has closed the temporary,
 * with rc this rank's outcome of writing it (PA_OK or a PA_E* code whose
 * message is recorded). Agrees on rc over comm; on success (PA__SAFE_DURABLE:
 * fsyncs, then) rank 0 renames the temporary over the target; otherwise,
 * or when the rename fails, rank 0 removes the temporary. Returns the
 * agreed code, the same on every rank of comm, with the lock free. */
int pa__safe_commit(pa_ctx *ctx, pa__safe *s, const char *fn, int rc, int flags);

/* Collective over comm. pa__safe_commit with a failure: removes the
 * temporary and returns rc (which must be < 0, agreed or not). */
int pa__safe_abort(pa_ctx *ctx, pa__safe *s, const char *fn, int rc);

#endif
