/* Writing a contiguous dataset of a new HDF5 file through a memory map:
 * HDF5 creates the dataset and places its data (H5Dget_offset); each rank
 * then copies its rows into its own byte range of the file through a shared
 * mapping, and HDF5 writes only the metadata. Buffered writes by two ranks
 * into one file take turns on the file's lock in the kernel (one write(2)
 * at a time per inode), so a save through MPI-IO did not scale with the
 * ranks; page faults on a shared mapping do not take that lock. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h5.h"

/* The bytes mapped at a time, bounding the address space a save takes. */
#define MAP_PIECE_BYTES ((size_t)256 << 20)

/* Not collective (rank 0). Gives the temporary its data's blocks and size
 * up to the dataset's end (fallocate, which also extends the file): then
 * every page of the mapping lies inside the file and on allocated blocks,
 * so a write through it can meet neither the end of the file nor a full
 * disk (either would be SIGBUS). Returns 1 when done, 0 when the file
 * system cannot allocate (then the save goes through HDF5), or PA_EIO. */
static int size_file(pa_ctx *ctx, const char *fn, const pa__h5_save *sv, off_t end)
{
    int fd = open(pa__safe_file(&sv->s), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", pa__safe_file(&sv->s), strerror(errno));
    int rc = 1;
    if (fallocate(fd, 0, 0, end) < 0)
        rc = errno == EOPNOTSUPP || errno == ENOSYS
                 ? 0
                 : pa__err(ctx, fn, PA_EIO, "%s: cannot allocate %lld bytes for the new file: %s",
                           sv->path, (long long)end, strerror(errno));
    close(fd);
    return rc;
}

/* Not collective. Copies len bytes from src to the file at byte at, a
 * piece of the mapping at a time. Returns PA_OK or PA_EIO. */
static int copy_mapped(pa_ctx *ctx, const char *fn, const char *file, off_t at, const char *src,
                       size_t len)
{
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", file, strerror(errno));
    off_t page = (off_t)sysconf(_SC_PAGESIZE);
    int rc = PA_OK;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < MAP_PIECE_BYTES ? len - done : MAP_PIECE_BYTES;
        off_t pos = at + (off_t)done, start = pos - pos % page;
        size_t lead = (size_t)(pos - start);
        char *m = mmap(NULL, lead + n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
        if (m == MAP_FAILED) {
            rc = pa__err(ctx, fn, PA_EIO, "%s: cannot map %zu bytes: %s", file, lead + n,
                         strerror(errno));
            break;
        }
        memcpy(m + lead, src + done, n);
        if (munmap(m, lead + n) < 0) {
            rc = pa__err(ctx, fn, PA_EIO, "%s: cannot unmap: %s", file, strerror(errno));
            break;
        }
        done += n;
    }
    close(fd);
    return rc;
}

int pa__h5_map_begin(pa__h5_save *sv, const pa_h5_opts *o, hid_t d, size_t bytes, off_t *offset,
                     int *fit)
{
    pa_ctx *ctx = sv->ctx;
    /* The same on every rank: the options and the save are agreed, and the
     * offset comes from collective metadata. One node only: the pages that
     * one host writes reach another host's view of the file only through
     * MPI-IO's rules. */
    haddr_t at = H5Dget_offset(d);
    *offset = (off_t)at;
    *fit = !sv->in_place && ctx->nnodes == 1 && o->layout != PA_H5_CHUNKED && o->deflate == 0 &&
           bytes > 0 && at != HADDR_UNDEF;
    int rc = PA_OK;
    if (*fit && ctx->rank == 0) {
        rc = size_file(ctx, sv->fn, sv, *offset + (off_t)bytes);
        *fit = rc == 1;
        rc = rc < 0 ? rc : PA_OK;
    }
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    return pa__mpi(ctx, sv->fn, MPI_Bcast(fit, 1, MPI_INT, 0, ctx->comm), "MPI_Bcast");
}

int pa__h5_map_write(pa_array *a, pa__h5_save *sv, const pa_h5_opts *o, hid_t d, int *mapped)
{
    pa_ctx *ctx = a->ctx;
    const char *fn = sv->fn;
    size_t bytes = a->part.elsize;
    for (int i = 0; i < a->ndim; i++)
        bytes *= a->shape[i];
    off_t offset;
    PA_TRY(pa__h5_map_begin(sv, o, d, bytes, &offset, mapped));
    if (!*mapped)
        return PA_OK;
    /* Whole rows of this rank, as pa__h5_move writes them; the fault site
     * is the same, so a failure here is tested as one there. */
    int rc = pa__h5_write_fault(ctx, fn, sv->path, sv->dname, 1);
    size_t first, n;
    char *ptr;
    pa__h5_io_rows(a, 1, &first, &n, &ptr);
    size_t rowbytes = a->rowsize * a->part.elsize;
    if (rc == PA_OK && n > 0)
        rc = copy_mapped(ctx, fn, pa__safe_file(&sv->s), offset + (off_t)(first * rowbytes), ptr,
                         n * rowbytes);
    return pa__agree(ctx, ctx->comm, rc);
}
