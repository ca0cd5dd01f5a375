/* Where a chunk's stored bytes lie in its file, for the chunk reader
 * (h5_chunk_read.c): a read-only HDF5 file driver over pread. HDF5 1.10
 * tells a chunk's file address only by walking the chunk index from its
 * start for each chunk (so a dataset's n chunks cost n^2 steps), while
 * H5Dread_chunk looks the chunk up directly. So the reader asks for the
 * chunk with H5Dread_chunk, and this driver, instead of reading the
 * chunk's bytes, notes where they lie; the reader then reads the chunks
 * that lie one after the other in the file with one pread, large reads
 * instead of one per chunk. Every other read (metadata) is a pread. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "h5.h"

/* One open file: HDF5's public part first, as in every driver. */
typedef struct {
    H5FD_t pub;
    pa__h5_places pl;
    haddr_t eoa;
} place_file;

/* The largest address a 64-bit off_t reaches, as HDF5's sec2 driver's. */
#define PLACE_MAXADDR (((haddr_t)1 << (8 * sizeof(off_t) - 1)) - 1)

static H5FD_t *place_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)fapl;
    if ((flags & (H5F_ACC_RDWR | H5F_ACC_CREAT | H5F_ACC_TRUNC)) || maxaddr == 0 ||
        maxaddr > PLACE_MAXADDR)
        return NULL;
    place_file *p = calloc(1, sizeof *p);
    struct stat st;
    if (!p)
        return NULL;
    p->pl.fd = open(name, O_RDONLY | O_CLOEXEC);
    if (p->pl.fd < 0 || fstat(p->pl.fd, &st) < 0) {
        if (p->pl.fd >= 0)
            close(p->pl.fd);
        free(p);
        return NULL;
    }
    p->pl.size = (uint64_t)st.st_size;
    return &p->pub;
}

static herr_t place_close(H5FD_t *file)
{
    place_file *p = (place_file *)file;
    int bad = close(p->pl.fd) < 0;
    free(p);
    return bad ? -1 : 0;
}

static haddr_t place_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const place_file *)file)->eoa;
}

static herr_t place_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((place_file *)file)->eoa = addr;
    return 0;
}

static haddr_t place_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return (haddr_t)((const place_file *)file)->pl.size;
}

/* The handle is the places record, for pa__h5_places_open. */
static herr_t place_get_handle(H5FD_t *file, hid_t fapl, void **handle)
{
    (void)fapl;
    *handle = &((place_file *)file)->pl;
    return 0;
}

/* A raw data read while the driver is noting places only notes where the
 * bytes lie; the others read them, zeros past the end of the file, as
 * HDF5's sec2 driver does. */
static herr_t place_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                         void *buf)
{
    (void)dxpl;
    pa__h5_places *pl = &((place_file *)file)->pl;
    if (type == H5FD_MEM_DRAW && pl->noting) {
        pl->noted_addr = addr;
        pl->noted_size = size;
        return 0;
    }
    if (addr > PLACE_MAXADDR || size > PLACE_MAXADDR - addr)
        return -1;
    size_t have = pa__pread_all(pl->fd, buf, size, addr);
    if (have == (size_t)-1)
        return -1;
    memset((char *)buf + have, 0, size - have);
    return 0;
}

static herr_t place_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                          const void *buf)
{
    (void)file, (void)type, (void)dxpl, (void)addr, (void)size, (void)buf;
    return -1; /* read-only */
}

static const H5FD_class_t place_class = {
    .name = "parray_chunk_place",
    .maxaddr = PLACE_MAXADDR,
    .fc_degree = H5F_CLOSE_WEAK,
    .open = place_open,
    .close = place_close,
    .get_eoa = place_get_eoa,
    .set_eoa = place_set_eoa,
    .get_eof = place_get_eof,
    .get_handle = place_get_handle,
    .read = place_read,
    .write = place_write,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

int pa__h5_places_open(pa_ctx *ctx, const char *fn, const char *path, hid_t *f,
                       pa__h5_places **pl)
{
    /* Registered once per HDF5 session (H5close drops the id). */
    static hid_t driver = H5I_INVALID_HID;
    *f = H5I_INVALID_HID;
    *pl = NULL;
    if (driver < 0 || H5Iis_valid(driver) <= 0)
        driver = H5FDregister(&place_class);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int rc = PA_OK;
    void *handle = NULL;
    if (driver < 0 || fapl < 0 || H5Pset_driver(fapl, driver, NULL) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "cannot set up a file access list");
    if (rc == PA_OK && (*f = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot open it", path);
    if (rc == PA_OK && H5Fget_vfd_handle(*f, fapl, &handle) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot reach its file driver", path);
    if (rc == PA_OK)
        *pl = handle;
    if (rc < 0 && *f >= 0) {
        H5Fclose(*f);
        *f = H5I_INVALID_HID;
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    return rc;
}

int pa__h5_chunk_place(pa__h5_places *pl, hid_t d, const hsize_t *org, void *scratch,
                       uint64_t *addr, size_t *size, unsigned *mask)
{
    uint32_t m = 0;
    pl->noting = 1;
    pl->noted_addr = HADDR_UNDEF;
    pl->noted_size = 0;
    herr_t st = H5Dread_chunk(d, H5P_DEFAULT, org, &m, scratch);
    pl->noting = 0;
    if (st < 0)
        return -1;
    *addr = UINT64_MAX;
    *size = pl->noted_size;
    *mask = m;
    if (pl->noted_addr != HADDR_UNDEF && pl->noted_addr <= pl->size &&
        pl->noted_size <= pl->size - pl->noted_addr)
        *addr = pl->noted_addr;
    return 0;
}
