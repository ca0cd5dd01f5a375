/* Crash-safe saves: a temporary file beside the target, renamed over it
 * once every writer has closed it. See safe_save.h for the protocol. Rank 0
 * of the writers' communicator does every directory operation (lock,
 * create, copy, rename, remove), so there is exactly one of each, and the
 * outcome is agreed before and after the ranks write. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_check.h"
#include "safe_save.h"

/* The longest nap between two tries of a lock that another save holds. */
#define LOCK_NAP_MAX_NS 250000000L

/* The directory part of path (".": none) and the last component. */
static void split_path(const char *path, char *dir, char *base)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(dir, PATH_MAX, "%s", dirname(tmp));
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(base, PATH_MAX, "%s", basename(tmp));
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* Copies every byte of in to out: copy_file_range (in-kernel, reflinks
 * where the file system can), or read/write where it is not supported. */
static int copy_fd(int in, int out)
{
    for (;;) {
        ssize_t k = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
        if (k == 0)
            return 0;
        if (k > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
            break;
        return -1;
    }
    /* Fallback: start again from the beginning by plain reads. */
    if (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0)
        return -1;
    char buf[1 << 16];
    for (;;) {
        ssize_t k = read(in, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            return 0;
        if (write_all(out, buf, (size_t)k) < 0)
            return -1;
    }
}

/* The permissions a new file gets from open(..., 0666). */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* ------------------------------------------------------------ the lock */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* An error of fcntl that says the file system keeps no locks. */
static int no_locks(int e)
{
    return e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL;
}

/* Takes the write lock of fd, open on the lock file (an OFD lock: it
 * belongs to this open file, so two saves of one process exclude each
 * other too). Returns 0, or -1 with errno. The fault site "lock_none"
 * plays a file system without locks. */
static int try_lock(pa_ctx *ctx, int fd)
{
    if (pa__fault(ctx, "lock_none")) {
        errno = ENOLCK;
        return -1;
    }
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return fcntl(fd, F_OFD_SETLK, &l);
}

/* Whether the open file fd is the one at path now. The name is opened,
 * not stat'ed: an open revalidates the name on NFS (close-to-open), where
 * a stat may answer from a stale cache. Closing that second descriptor
 * keeps fd's OFD lock. */
static int same_file(int fd, const char *path)
{
    struct stat held, named;
    int now = open(path, O_RDONLY | O_CLOEXEC);
    int same = now >= 0 && fstat(fd, &held) == 0 && fstat(now, &named) == 0 &&
               held.st_dev == named.st_dev && held.st_ino == named.st_ino;
    if (now >= 0)
        close(now);
    return same;
}

/* Rank 0's part of begin: takes the advisory lock that makes saves into
 * one file take turns, on ".<name>.parray-lock" beside s->target, waiting
 * up to PARRAY_LOCK_TIMEOUT seconds for another save that holds it. The
 * holder removes the lock file before it lets go (lock_release), so a
 * lock taken on a file that is no longer at its path is void: try again
 * on the new one. Without locks on the file system the save goes on with
 * one warning per process (PARRAY_LOCK=require: fails). */
static int lock_take(pa_ctx *ctx, const char *fn, const char *target, pa__safe *s)
{
    static int warned;
    if (ctx->lock_mode == PA__LOCK_OFF)
        return PA_OK;
    char dir[PATH_MAX], base[PATH_MAX];
    split_path(s->target, dir, base);
    if (snprintf(s->lock, sizeof s->lock, "%s/.%s.parray-lock", dir, base) >= (int)sizeof s->lock)
        return pa__err(ctx, fn, PA_EINVAL, "%s: the path is too long", target);
    double start = now_seconds();
    long nap = 1000000L; /* ns, doubled up to LOCK_NAP_MAX_NS */
    int told = 0;
    for (;;) {
        int fd = open(s->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            return pa__err(ctx, fn, PA_EIO, "%s: cannot create the lock file %s: %s", target,
                           s->lock, strerror(errno));
        if (try_lock(ctx, fd) == 0) {
            if (same_file(fd, s->lock)) {
                s->lock_fd = fd;
                return PA_OK;
            }
            close(fd); /* the holder removed it as we waited: the next one */
            continue;
        }
        int e = errno;
        close(fd);
        if (no_locks(e)) {
            unlink(s->lock); /* no one can hold a lock on it */
            if (ctx->lock_mode == PA__LOCK_REQUIRE)
                return pa__err(ctx, fn, PA_EIO,
                               "%s: the file system keeps no locks (%s), and PARRAY_LOCK=require",
                               target, strerror(e));
            if (!warned)
                fprintf(stderr,
                        "parray: warning: %s: the file system keeps no locks (%s); saving "
                        "without one, so saves into one file at once are not kept apart\n",
                        target, strerror(e));
            warned = 1;
            return PA_OK;
        }
        if (e != EAGAIN && e != EACCES)
            return pa__err(ctx, fn, PA_EIO, "%s: cannot lock %s: %s", target, s->lock,
                           strerror(e));
        if (now_seconds() - start >= (double)ctx->lock_timeout)
            return pa__err(ctx, fn, PA_EIO,
                           "%s: another save into this file holds its lock %s; gave up after "
                           "%d s (PARRAY_LOCK_TIMEOUT)",
                           target, s->lock, ctx->lock_timeout);
        if (!told)
            fprintf(stderr,
                    "parray: waiting for the lock on %s held by another save (up to %d s, "
                    "PARRAY_LOCK_TIMEOUT)\n",
                    target, ctx->lock_timeout);
        told = 1;
        struct timespec t = {0, nap};
        nanosleep(&t, NULL);
        nap = 2 * nap < LOCK_NAP_MAX_NS ? 2 * nap : LOCK_NAP_MAX_NS;
    }
}

/* Rank 0. Removes the lock file, then lets go of the lock: a save that
 * waits on the removed file finds it gone and takes a new one. */
static void lock_release(pa__safe *s)
{
    if (s->lock_fd < 0)
        return;
    unlink(s->lock);
    close(s->lock_fd);
    s->lock_fd = -1;
}

/* ------------------------------------------------------------ the save */

/* Rank 0's part of begin: everything that touches the directory. */
static int begin_local(pa_ctx *ctx, const char *fn, const char *target, int flags, pa__safe *s)
{
    struct stat st;
    char dir[PATH_MAX], base[PATH_MAX];
    int fd = -1;

    /* Save through a symbolic link into the file it names, so that the
     * link stays a link. */
    char real[PATH_MAX];
    if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode) && realpath(target, real))
        snprintf(s->target, sizeof s->target, "%s", real);
    else if (snprintf(s->target, sizeof s->target, "%s", target) >= (int)sizeof s->target)
        return pa__err(ctx, fn, PA_EINVAL, "%s: the path is too long", target);
    /* Locked before anything looks at the target: what the save keeps of
     * it must be what it replaces. */
    if (!(flags & PA__SAFE_NO_LOCK))
        PA_TRY(lock_take(ctx, fn, target, s));

    /* Only a regular file is replaced: a rename over a device, a FIFO or
     * a socket would destroy it (think of /dev/null). */
    if (stat(s->target, &st) == 0) {
        PA_CHECK_AS(ctx, fn, S_ISREG(st.st_mode), PA_EINVAL, "%s: is %s, not a regular file",
                    target, pa__file_kind(st.st_mode));
        s->existed = 1;
    } else if (errno != ENOENT) {
        return pa__err(ctx, fn, PA_EIO, "%s: %s", target, strerror(errno));
    }
    split_path(s->target, dir, base);
    if (snprintf(s->temp, sizeof s->temp, "%s/.%s.parray-tmp.XXXXXX", dir, base) >=
        (int)sizeof s->temp)
        return pa__err(ctx, fn, PA_EINVAL, "%s: the path is too long", target);
    fd = mkstemp(s->temp);
    if (fd < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: cannot create a temporary file in %s: %s", target,
                       dir, strerror(errno));
    s->active = 1;
    int rc = PA_OK;
    if (fchmod(fd, s->existed ? (st.st_mode & 07777) : new_file_mode()) < 0)
        rc = pa__err(ctx, fn, PA_EIO, "%s: chmod: %s", s->temp, strerror(errno));
    if (close(fd) < 0 && rc == PA_OK)
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", s->temp, strerror(errno));
    return rc;
}

/* Rank 0, on a failed begin or at the end: removes the temporary when it
 * is ours, then lets go of the lock. */
static void end_local(pa__safe *s, int remove_temp)
{
    if (remove_temp && s->active)
        unlink(s->temp);
    s->active = 0;
    lock_release(s);
}

/* Collective over s->comm. Every writer must see the temporary that rank 0
 * made before any of them opens it collectively: a rank whose directory of
 * that name is missing or another one (node-local) would fail or hang in
 * the open. On failure the message names the directory and the ranks, and
 * the temporary is removed. */
static int see_temp(pa_ctx *ctx, const char *fn, pa__safe *s)
{
    int size;
    PA_MPI(ctx, MPI_Comm_size(s->comm, &size));
    if (size == 1)
        return PA_OK;
    char dir[PATH_MAX], base[PATH_MAX];
    split_path(s->temp, dir, base);
    int rc = pa__file_agree(ctx, s->comm, fn, s->temp, PA__FILE_INPUT,
                            "%s: the directory %s is not one directory on every rank: the "
                            "temporary %s",
                            s->target, dir, base);
    if (rc == PA_OK)
        return PA_OK;
    /* Rather say it of the directory, when the ranks differ on that. */
    char why[PA_ERRMSG_MAX];
    memcpy(why, ctx->errmsg, sizeof why);
    if (pa__file_agree(ctx, s->comm, fn, dir, PA__FILE_DIR, "%s: the directory %s", s->target,
                       dir) == PA_OK)
        memcpy(ctx->errmsg, why, sizeof why);
    return pa__safe_abort(ctx, s, fn, rc);
}

int pa__safe_begin(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *target, int flags,
                   pa__safe *s)
{
    int rank, size;
    memset(s, 0, sizeof *s);
    s->comm = comm;
    s->lock_fd = -1;
    PA_MPI(ctx, MPI_Comm_rank(comm, &rank));
    PA_MPI(ctx, MPI_Comm_size(comm, &size));
    int rc = PA_OK;
    if (rank == 0 && (rc = begin_local(ctx, fn, target, flags, s)) < 0)
        end_local(s, 1);
    rc = pa__agree(ctx, comm, rc);
    /* Everyone needs the names; the flag tells them who removes what. One
     * message carries all three. */
    if (rc == PA_OK && size > 1) {
        struct {
            char target[sizeof s->target], temp[sizeof s->temp];
            int existed;
        } names;
        if (rank == 0) {
            memcpy(names.target, s->target, sizeof names.target);
            memcpy(names.temp, s->temp, sizeof names.temp);
            names.existed = s->existed;
        }
        rc = pa__mpi(ctx, fn, MPI_Bcast(&names, sizeof names, MPI_BYTE, 0, comm), "MPI_Bcast");
        if (rc == PA_OK && rank != 0) {
            memcpy(s->target, names.target, sizeof s->target);
            memcpy(s->temp, names.temp, sizeof s->temp);
            s->existed = names.existed;
        }
    }
    if (rc < 0) {
        if (rank == 0)
            end_local(s, 1);
        s->active = 0;
        return rc;
    }
    s->active = 1;
    return see_temp(ctx, fn, s);
}

int pa__safe_copy(pa_ctx *ctx, pa__safe *s, const char *fn)
{
    int rank, rc = PA_OK;
    PA_MPI(ctx, MPI_Comm_rank(s->comm, &rank));
    if (rank == 0 && s->existed) {
        int in = open(s->target, O_RDONLY | O_CLOEXEC);
        int out = in < 0 ? -1 : open(s->temp, O_WRONLY | O_CLOEXEC);
        int ok = out >= 0 && copy_fd(in, out) == 0, e = errno;
        if (out >= 0 && close(out) < 0 && ok) { /* a full disk may only show here */
            ok = 0;
            e = errno;
        }
        if (in >= 0)
            close(in);
        /* The temporary is removed by the abort that follows: name the
         * target only. */
        if (!ok)
            rc = pa__err(ctx, fn, PA_EIO, "%s: cannot copy it into a temporary beside it: %s",
                         s->target, strerror(e));
    }
    return pa__agree(ctx, s->comm, rc);
}

/* fsyncs a file or a directory. The fault sites "fsync_file" and
 * "fsync_dir" make it fail (tests see by them that a durable save syncs). */
static int fsync_path(pa_ctx *ctx, const char *fn, const char *path, int dir)
{
    if (pa__fault(ctx, dir ? "fsync_dir" : "fsync_file"))
        return pa__err(ctx, fn, PA_EIO, "fsync %s: injected fault", path);
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno));
    int rc = PA_OK;
    if (fsync(fd) < 0 && !(dir && (errno == EINVAL || errno == EBADF)))
        rc = pa__err(ctx, fn, PA_EIO, "fsync %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

int pa__safe_sync_dir(pa_ctx *ctx, const char *fn, const char *dir)
{
    return fsync_path(ctx, fn, dir, 1);
}

int pa__safe_many_flags(const pa__safe *s, const char *path)
{
    return PA__SAFE_SYNC_FILE | (strcmp(s->target, path) != 0 ? PA__SAFE_SYNC_DIR : 0);
}

void pa__safe_in_place(pa__safe *s)
{
    int rank;
    /* The rank of a communicator that begin has used cannot fail to be read. */
    (void)MPI_Comm_rank(s->comm, &rank);
    if (rank == 0 && s->active)
        unlink(s->temp);
    s->active = 0;
    s->in_place = 1;
}

const char *pa__safe_file(const pa__safe *s)
{
    return s->in_place ? s->target : s->temp;
}

int pa__safe_sync_file(pa_ctx *ctx, const pa__safe *s, const char *fn)
{
    return fsync_path(ctx, fn, pa__safe_file(s), 0);
}

int pa__safe_commit(pa_ctx *ctx, pa__safe *s, const char *fn, int rc, int flags)
{
    int rank;
    PA_MPI(ctx, MPI_Comm_rank(s->comm, &rank));
    if (rc == PA_OK && (flags & PA__SAFE_SYNC_FILE))
        rc = pa__safe_sync_file(ctx, s, fn);
    if (rc == PA_OK && !s->in_place && pa__fault(ctx, "safe_commit"))
        rc = pa__err(ctx, fn, PA_EIO, "%s: injected fault before the rename", s->target);
    /* Every rank has closed the temporary (the caller's promise) and has
     * reported how writing it went: only then may it become the target. */
    rc = pa__agree(ctx, s->comm, rc);
    if (rank == 0 && s->active) {
        if (rc == PA_OK && rename(s->temp, s->target) < 0)
            rc = pa__err(ctx, fn, PA_EIO, "cannot rename %s to %s: %s", s->temp, s->target,
                         strerror(errno));
        if (rc < 0)
            unlink(s->temp);
        s->active = 0;
        if (rc == PA_OK && (flags & PA__SAFE_SYNC_DIR)) {
            char dir[PATH_MAX], base[PATH_MAX];
            split_path(s->target, dir, base);
            rc = fsync_path(ctx, fn, dir, 1);
        }
    }
    /* The rename is done or the temporary gone: the next save may look. */
    if (rank == 0)
        end_local(s, 0);
    s->active = 0;
    return pa__agree(ctx, s->comm, rc);
}

int pa__safe_abort(pa_ctx *ctx, pa__safe *s, const char *fn, int rc)
{
    if (rc >= 0)
        rc = pa__err(ctx, fn, PA_EIO, "%s: save abandoned", s->target);
    return pa__safe_commit(ctx, s, fn, rc, 0);
}
