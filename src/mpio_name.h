/* The name under which a file is given to MPI_File_open (through HDF5's
 * MPI-IO driver). Open MPI's ompio derives names from it in its
 * shared-file-pointer components during every open, and a long name breaks
 * them: before Open MPI 5.0.10, "lockedfile" writes "<name>.locktest.<rank>"
 * into a 256-byte buffer (a name of 245 bytes or more aborts every rank with
 * "buffer overflow detected"), and a last component near NAME_MAX makes its
 * "<name>-<jobid>-<pid>.lock" fail on rank 0 alone while the others wait in
 * a barrier forever. So a name longer than PA__MPIO_NAME_SAFE bytes is
 * replaced by /proc/self/fd/N, a descriptor of the same file that every rank
 * holds under the same number N (the components derive per-rank names from
 * it, so it must be the same string everywhere). Where that name cannot be
 * used, the open is refused with a message before MPI sees the path.
 *
 * Usage, by the ranks of comm together, for a file that exists:
 *
 *     pa__mpio_name n;
 *     PA_TRY(pa__mpio_name_begin(ctx, comm, fn, path, &n));
 *     hid_t f = H5Fopen(n.name, flags, fapl);     // MPI_File_open(comm, n.name, ...)
 *     pa__mpio_name_end(&n);
 */
#ifndef PARRAY_MPIO_NAME_H
#define PARRAY_MPIO_NAME_H

#include <limits.h>
#include <mpi.h>

#include "internal.h"

/* The longest name given to MPI-IO as it is. The components append at most
 * 31 bytes ("_cid-%d-%d.sm": two ints of up to 11 characters), so every name
 * they derive from one of 224 bytes fits both their 256-byte buffer and
 * NAME_MAX (255) for its last component. */
#define PA__MPIO_NAME_SAFE (NAME_MAX - 31)

typedef struct {
    char name[PATH_MAX]; /* what to give MPI_File_open */
    int fd;              /* the descriptor behind name, or -1 */
} pa__mpio_name;

/* Collective over comm. Sets n->name to path when it is at most
 * PA__MPIO_NAME_SAFE bytes long; otherwise every rank opens path (O_PATH:
 * neither reads nor blocks), the descriptors are given one number N on every
 * rank, and n->name is "/proc/self/fd/N". Errors (path cannot be opened;
 * /proc/self/fd is not there: PA_EINVAL naming the path, its length and the
 * limit, and the way around it) are recorded as "fn: ..." and agreed over
 * comm; then nothing is held. On success call pa__mpio_name_end after the
 * open. */
int pa__mpio_name_begin(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *path,
                        pa__mpio_name *n);

/* Not collective. Closes the descriptor, if any (an open MPI file holds
 * its own). */
void pa__mpio_name_end(pa__mpio_name *n);

#endif
