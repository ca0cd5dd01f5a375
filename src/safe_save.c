/* Crash-safe saves: a temporary file beside the target, renamed over it
 * once every writer has closed it. See safe_save.h for the protocol. Rank 0
 * of the writers' communicator does every directory operation (create,
 * copy, rename, remove), so there is exactly one of each, and the outcome
 * is agreed before and after the ranks write. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_check.h"
#include "safe_save.h"

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

/* Rank 0's part of begin: everything that touches the directory. */
static int begin_local(pa_ctx *ctx, const char *fn, const char *target, int flags, pa__safe *s)
{
    struct stat st;
    char dir[PATH_MAX], base[PATH_MAX];
    int fd = -1, in = -1;

    /* Save through a symbolic link into the file it names, so that the
     * link stays a link. */
    char real[PATH_MAX];
    if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode) && realpath(target, real))
        snprintf(s->target, sizeof s->target, "%s", real);
    else if (snprintf(s->target, sizeof s->target, "%s", target) >= (int)sizeof s->target)
        return pa__err(ctx, fn, PA_EINVAL, "%s: the path is too long", target);

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
    if (rc == PA_OK && (flags & PA__SAFE_COPY) && s->existed) {
        in = open(s->target, O_RDONLY | O_CLOEXEC);
        if (in < 0 || copy_fd(in, fd) < 0)
            rc = pa__err(ctx, fn, PA_EIO, "%s: cannot copy it to %s: %s", target, s->temp,
                         strerror(errno));
        if (in >= 0)
            close(in);
    }
    if (close(fd) < 0 && rc == PA_OK)
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", s->temp, strerror(errno));
    return rc;
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
                            "temporary %s", s->target, dir, base);
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
    int rank;
    memset(s, 0, sizeof *s);
    s->comm = comm;
    PA_MPI(ctx, MPI_Comm_rank(comm, &rank));
    int rc = PA_OK;
    if (rank == 0) {
        rc = begin_local(ctx, fn, target, flags, s);
        if (rc < 0 && s->active) {
            unlink(s->temp);
            s->active = 0;
        }
    }
    rc = pa__agree(ctx, comm, rc);
    if (rc < 0) {
        s->active = 0;
        return rc;
    }
    /* Everyone needs the names; the flag tells them who removes what. */
    PA_MPI(ctx, MPI_Bcast(s->target, sizeof s->target, MPI_CHAR, 0, comm));
    PA_MPI(ctx, MPI_Bcast(s->temp, sizeof s->temp, MPI_CHAR, 0, comm));
    PA_MPI(ctx, MPI_Bcast(&s->existed, 1, MPI_INT, 0, comm));
    s->active = 1;
    return see_temp(ctx, fn, s);
}

static int fsync_path(pa_ctx *ctx, const char *fn, const char *path, int dir)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno));
    int rc = PA_OK;
    if (fsync(fd) < 0 && !(dir && (errno == EINVAL || errno == EBADF)))
        rc = pa__err(ctx, fn, PA_EIO, "fsync %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

int pa__safe_commit(pa_ctx *ctx, pa__safe *s, const char *fn, int rc, int flags)
{
    int rank;
    PA_MPI(ctx, MPI_Comm_rank(s->comm, &rank));
    if (rc == PA_OK && (flags & PA__SAFE_DURABLE))
        rc = fsync_path(ctx, fn, s->temp, 0);
    if (rc == PA_OK && pa__fault(ctx, "safe_commit"))
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
        if (rc == PA_OK && (flags & PA__SAFE_DURABLE)) {
            char dir[PATH_MAX], base[PATH_MAX];
            split_path(s->target, dir, base);
            rc = fsync_path(ctx, fn, dir, 1);
        }
    }
    s->active = 0;
    return pa__agree(ctx, s->comm, rc);
}

int pa__safe_abort(pa_ctx *ctx, pa__safe *s, const char *fn, int rc)
{
    if (rc >= 0)
        rc = pa__err(ctx, fn, PA_EIO, "%s: save abandoned", s->target);
    return pa__safe_commit(ctx, s, fn, rc, 0);
}
