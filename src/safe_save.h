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
 * A save that writes a whole file no parray save modifies in part may go
 * without (PA__SAFE_NO_LOCK).
 *
 * Nothing is fsynced unless the commit asks (PA__SAFE_SYNC_FILE,
 * PA__SAFE_SYNC_DIR): without, a power loss or a crash of the operating
 * system (not of the job) may leave the new file empty or incomplete under
 * the target's name, as any write that was never synced.
 *
 * Usage, by the ranks of comm together (MPI_COMM_SELF for a file that one
 * rank writes alone):
 *
 *     pa__safe s;
 *     PA_TRY(pa__safe_begin(ctx, comm, fn, target, 0, &s));
 *     int rc = write_everything_to(s.temp);   // then close it on every rank
 *     return pa__safe_commit(ctx, &s, fn, rc, 0);
 */
#ifndef PARRAY_SAFE_SAVE_H
#define PARRAY_SAFE_SAVE_H

#include <limits.h>
#include <mpi.h>

#include "internal.h"

/* Flags of pa__safe_begin and pa__safe_commit. */
enum {
    /* begin: take no lock. Only for a file that the save writes whole, of
     * a kind that no parray save modifies in part (.npy, CSV, raw): a save
     * that keeps nothing of the old file gains nothing from taking turns,
     * as the last rename wins either way. */
    PA__SAFE_NO_LOCK = 1,
    /* commit: fsync the temporary on every rank of comm before the rename
     * (so each client's cache reaches a network file system), so that the
     * name never points at data that a power loss can take back. */
    PA__SAFE_SYNC_FILE = 2,
    /* commit: fsync the directory after the rename, so that the rename
     * itself survives a power loss. */
    PA__SAFE_SYNC_DIR = 4,
    PA__SAFE_DURABLE = PA__SAFE_SYNC_FILE | PA__SAFE_SYNC_DIR,
};

typedef struct {
    MPI_Comm comm;         /* the ranks that write the temporary (not owned) */
    char target[PATH_MAX]; /* the file to replace (symbolic links resolved) */
    char temp[PATH_MAX];   /* the temporary, in the same directory */
    int existed;           /* the target existed as a regular file at begin */
    int active;            /* the temporary exists and is ours to remove */
    char lock[PATH_MAX];   /* rank 0: the lock file beside the target */
    int lock_fd;           /* rank 0: the lock file, open and locked, or -1 */
    int in_place;          /* the save modifies the target itself (pa__safe_in_place) */
} pa__safe;

/* Collective over comm. Rank 0 of comm takes the lock of the target (it
 * may wait; see above; none with PA__SAFE_NO_LOCK in flags), checks the
 * target (only a regular file is replaced: a directory, device, FIFO or
 * socket is PA_EINVAL), creates the
 * temporary, empty, with the target's permissions (those of a new file
 * when there is none), and sends the names to all; every rank of comm must
 * then see the temporary (file_check.h: else PA_EIO naming the directory
 * and the ranks). Errors are recorded as "fn: ..." (PA_EIO with the system
 * reason: a directory that does not exist or is not writable, the lock
 * held too long) and agreed over comm: every rank returns the same code,
 * and then nothing is left behind and the lock is free. On success the
 * save ends with pa__safe_commit or pa__safe_abort, which let go of the
 * lock. */
int pa__safe_begin(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *target, int flags,
                   pa__safe *s);

/* Collective over comm. Rank 0 copies the target, when it existed at
 * begin, byte for byte into the temporary (for a save that modifies a
 * file, e.g. one dataset of many; under the lock, so nothing saved in
 * between is lost). Returns the agreed code; on failure the save is still
 * open: end it with pa__safe_abort. */
int pa__safe_copy(pa_ctx *ctx, pa__safe *s, const char *fn);

/* Not collective: call on every rank of comm, after begin and before
 * anyone opens the temporary. Turns the save into one that modifies the
 * target itself, for a format that keeps the old data readable while new
 * data is added (an HDF5 dataset written under a temporary name, then
 * linked over the old one: h5.c): rank 0 removes the temporary, the lock
 * is kept until commit or abort, and these rename nothing (commit with
 * PA__SAFE_SYNC_FILE fsyncs the target; PA__SAFE_SYNC_DIR is moot). */
void pa__safe_in_place(pa__safe *s);

/* Not collective. The file that the writers open: the temporary, or the
 * target itself once the save is in place. */
const char *pa__safe_file(const pa__safe *s);

/* Not collective. fsyncs this rank's view of pa__safe_file(s) (each rank's
 * cache of a network file system), for a save in place that orders its
 * data before the link that publishes it. Returns PA_OK or PA_EIO with
 * "fn: fsync <file>: reason". */
int pa__safe_sync_file(pa_ctx *ctx, const pa__safe *s, const char *fn);

/* Collective over comm. Call after every rank has closed the temporary,
 * with rc this rank's outcome of writing it (PA_OK or a PA_E* code whose
 * message is recorded). Agrees on rc over comm; on success (PA__SAFE_SYNC_FILE
 * in flags: fsyncs, then) rank 0 renames the temporary over the target
 * (PA__SAFE_SYNC_DIR: then fsyncs its directory); otherwise, or when the
 * rename fails, rank 0 removes the temporary. Returns the agreed code, the
 * same on every rank of comm, with the lock free. */
int pa__safe_commit(pa_ctx *ctx, pa__safe *s, const char *fn, int rc, int flags);

/* Collective over comm. pa__safe_commit with a failure: removes the
 * temporary and returns rc (which must be < 0, agreed or not). */
int pa__safe_abort(pa_ctx *ctx, pa__safe *s, const char *fn, int rc);

/* Not collective. The commit flags of a durable save of one of many files
 * by one rank, whose caller fsyncs the directory of path once after all of
 * them: PA__SAFE_SYNC_FILE, plus PA__SAFE_SYNC_DIR when path is a symbolic
 * link (s->target then lies in another directory, synced at once). */
int pa__safe_many_flags(const pa__safe *s, const char *path);

/* Not collective. fsyncs the directory dir, so that the renames made in
 * it survive a power loss (PA__SAFE_SYNC_DIR, once for many files). A file
 * system that cannot fsync a directory (EINVAL) counts as done. Returns
 * PA_OK or PA_EIO with "fn: fsync dir: reason". */
int pa__safe_sync_dir(pa_ctx *ctx, const char *fn, const char *dir);

#endif
