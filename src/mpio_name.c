/* A short name for MPI_File_open when a file's path is too long for Open
 * MPI's ompio: a descriptor under /proc/self/fd with the same number on
 * every rank. See mpio_name.h for why and how. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpio_name.h"

/* Rounds of renumbering before giving up: each round moves every rank's
 * descriptor to at least the highest number of the last round, so two
 * rounds settle it unless other threads open files meanwhile. */
enum { RENUMBER_ROUNDS = 16 };

/* Collective over comm. Moves n->fd until it has the same number on every
 * rank. Every rank leaves the loop in the same round with the same code. */
static int renumber(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *path,
                    pa__mpio_name *n)
{
    for (int round = 0; round < RENUMBER_ROUNDS; round++) {
        int v[2] = {n->fd, -n->fd}; /* the highest and the negated lowest */
        PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_INT, MPI_MAX, comm));
        if (v[0] == -v[1])
            return PA_OK;
        int rc = PA_OK;
        if (n->fd < v[0]) {
            int moved = fcntl(n->fd, F_DUPFD_CLOEXEC, v[0]);
            if (moved < 0) {
                rc = pa__err(ctx, fn, PA_EIO, "%s: cannot move its descriptor to %d: %s", path,
                             v[0], strerror(errno));
            } else {
                close(n->fd);
                n->fd = moved;
            }
        }
        PA_TRY(pa__agree(ctx, comm, rc));
    }
    return pa__err(ctx, fn, PA_EIO, "%s: its descriptors did not settle on one number", path);
}

/* Not collective. Whether n->name opens the file behind n->fd: /proc may be
 * missing, or mounted without the descriptor links. */
static int proc_name_works(pa_ctx *ctx, const pa__mpio_name *n)
{
    struct stat by_name, by_fd;
    if (pa__fault(ctx, "mpio_no_proc"))
        return 0;
    return stat(n->name, &by_name) == 0 && fstat(n->fd, &by_fd) == 0 &&
           by_name.st_dev == by_fd.st_dev && by_name.st_ino == by_fd.st_ino;
}

int pa__mpio_name_begin(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *path,
                        pa__mpio_name *n)
{
    n->fd = -1;
    size_t len = strlen(path);
    /* Agreed, so that every rank takes the same branch below. */
    int is_long = len > PA__MPIO_NAME_SAFE;
    PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &is_long, 1, MPI_INT, MPI_MAX, comm));
    if (!is_long) {
        snprintf(n->name, sizeof n->name, "%s", path);
        return PA_OK;
    }
    n->fd = open(path, O_PATH | O_CLOEXEC);
    int rc = n->fd < 0 ? pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno)) : PA_OK;
    rc = pa__agree(ctx, comm, rc);
    if (rc == PA_OK)
        rc = renumber(ctx, comm, fn, path, n);
    if (rc == PA_OK) {
        snprintf(n->name, sizeof n->name, "/proc/self/fd/%d", n->fd);
        if (!proc_name_works(ctx, n))
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "%s: the path is %zu bytes long, more than the %d that MPI-IO can be "
                         "given safely (Open MPI's ompio can crash or hang), and /proc/self/fd "
                         "cannot stand in for it here; use a shorter path or a symbolic link "
                         "to the directory",
                         path, len, PA__MPIO_NAME_SAFE);
        rc = pa__agree(ctx, comm, rc);
    }
    if (rc < 0)
        pa__mpio_name_end(n);
    return rc;
}

void pa__mpio_name_end(pa__mpio_name *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
