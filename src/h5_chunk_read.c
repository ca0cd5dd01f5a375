/* Reading chunked HDF5 datasets in parallel at the speed of a contiguous
 * read. HDF5's own parallel read of a chunked dataset maps the selection
 * onto the chunks element by element and moves each chunk through MPI-IO
 * datatypes, and its filtered collective read fails on chunks that were
 * never written. Instead, each rank asks HDF5 only where its chunks lie
 * (through a serial handle of the file of its own, so that no rank waits
 * for another's metadata reads). Unfiltered chunks are read with large
 * preads (the chunks of a band that lie one after the other in the file
 * at once) and their rows copied into the node block; filtered ones are
 * read with H5Dread_chunk (bypassing HDF5's filter pipeline), and the
 * filters parray knows (fletcher32, deflate with zlib, shuffle) undone in
 * this process. Other filters go through HDF5. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "compute.h"
#include "files.h"
#include "h5.h"

/* Unfiltered chunks that are not read straight into the node block are
 * read into a stage of this size, those that lie one after the other in
 * the file with one pread, and their rows copied out together. */
#define STAGE_BYTES ((size_t)512 << 10)
/* The chunk cache of HDF5's read of a filtered dataset holds one band of
 * chunks (those that a run of rows crosses), up to this size. */
#define CACHE_MAX_BYTES ((size_t)256 << 20)

/* How a dataset is read. */
typedef enum {
    WAY_HDF5,        /* HDF5's read of a contiguous or compact dataset */
    WAY_HDF5_CHUNKS, /* HDF5's read of chunks: a filter or a type only HDF5 handles */
    WAY_CHUNKS,      /* parray reads the chunks */
} read_way;

typedef struct {
    H5Z_filter_t id;
    unsigned cd0; /* the first client value: shuffle's element size */
} filter;

/* What every rank knows of the dataset, the same on every rank. */
typedef struct {
    read_way way;
    int ndim;
    size_t dims[PA_MAXDIM], cdims[PA_MAXDIM]; /* the dataset's and a chunk's shape */
    size_t nchunks[PA_MAXDIM];                /* chunks along each axis */
    size_t elsize, chunk_bytes, crow_bytes;   /* an element, a chunk, a chunk's row */
    size_t stored_max;                        /* the most bytes a chunk is stored in */
    size_t row_bytes;                         /* a dataset row */
    int full_rows;                            /* a chunk row is a whole dataset row */
    int swap;                                 /* the file's byte order is not the host's */
    int nfilters;
    filter filters[H5Z_MAX_NFILTERS]; /* in the order they were applied */
    pa__elem fill;                    /* the fill value, native */
    int fill_zero;                    /* it is all zero bytes */
} plan;

/* One rank's reading state. */
typedef struct {
    pa_ctx *ctx;
    const char *fn, *path, *dname;
    const plan *p;
    pa_array *a;
    size_t node_lo, node_hi; /* the node's dataset rows */
    hid_t sf, sd;            /* the serial handle of the file and dataset */
    pa__h5_places *pl;       /* where sf's chunks lie */
    char *buf[2];            /* decoding buffers, cap bytes each */
    size_t cap;
    z_stream zs;
    int zs_ready;
} reader;

/* ------------------------------------------------------------ filters */

/* Filters that HDF5 registers ids for, named for the error of a missing
 * one (the file's own name for it is used for others). */
static const struct {
    H5Z_filter_t id;
    const char *name;
} known_filters[] = {
    {H5Z_FILTER_SZIP, "szip"},
    {307, "bzip2"},
    {32000, "lzf"},
    {32001, "blosc"},
    {32004, "lz4"},
    {32008, "bitshuffle"},
    {32013, "zfp"},
    {32015, "zstd"},
    {32017, "sz"},
    {32026, "blosc2"},
};

static const char *filter_name(H5Z_filter_t id, const char *stored)
{
    for (size_t i = 0; i < sizeof known_filters / sizeof known_filters[0]; i++)
        if (known_filters[i].id == id)
            return known_filters[i].name;
    return stored[0] ? stored : "unregistered";
}

/* Whether parray undoes filter id itself. */
static int own_filter(H5Z_filter_t id)
{
    return id == H5Z_FILTER_DEFLATE || id == H5Z_FILTER_SHUFFLE || id == H5Z_FILTER_FLETCHER32;
}

/* The filters of dcpl into p; a filter that HDF5 lacks is PA_ENOTSUP
 * naming it (HDF5's own error would list the plugin directories it
 * searched). */
static int read_filters(pa_ctx *ctx, const char *fn, const char *what, hid_t dcpl, plan *p,
                        int *hdf5_only)
{
    int n = H5Pget_nfilters(dcpl);
    if (n < 0 || n > H5Z_MAX_NFILTERS)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its filters", what);
    p->nfilters = n;
    *hdf5_only = 0;
    for (int i = 0; i < n; i++) {
        unsigned flags, config, cd[8];
        size_t ncd = sizeof cd / sizeof cd[0];
        char stored[64] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof stored,
                                         stored, &config);
        if (id < 0)
            return pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read filter %d", what, i);
        htri_t avail = own_filter(id) ? 1 : H5Zfilter_avail(id);
        /* A plugin that is not found leaves HDF5's search on the stack. */
        H5Eclear2(H5E_DEFAULT);
        if (avail <= 0)
            return pa__err(ctx, fn, PA_ENOTSUP,
                           "%s: needs the HDF5 filter '%s' (id %d), which this HDF5 does not "
                           "have (no plugin for it in HDF5_PLUGIN_PATH); install the filter's "
                           "plugin, or convert the file where that filter is installed: "
                           "h5repack -f NONE in.h5 out.h5",
                           what, filter_name(id, stored), (int)id);
        p->filters[i] = (filter){id, ncd > 0 ? cd[0] : 0};
        if (!own_filter(id))
            *hdf5_only = 1;
    }
    return PA_OK;
}

/* Fletcher's checksum as HDF5 computes it: 16-bit big-endian words, the
 * sums folded every 360 words. */
static uint32_t fletcher32(const unsigned char *p, size_t len)
{
    uint32_t s1 = 0, s2 = 0;
    for (size_t words = len / 2; words > 0;) {
        size_t n = words > 360 ? 360 : words;
        words -= n;
        for (; n > 0; n--, p += 2) {
            s1 += (uint32_t)p[0] << 8 | p[1];
            s2 += s1;
        }
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    if (len % 2) {
        s1 += (uint32_t)*p << 8;
        s2 += s1;
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
    return s2 << 16 | s1;
}

/* The checksum at the end of the n bytes at p (little-endian) matches the
 * data before it; HDF5 before 1.6.3 stored it with the bytes of each half
 * swapped, which HDF5 still accepts. */
static int fletcher32_ok(const unsigned char *p, size_t n)
{
    const unsigned char *t = p + n - 4;
    uint32_t stored = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
                      (uint32_t)t[3] << 24;
    uint32_t sum = fletcher32(p, n - 4);
    uint32_t swapped = (sum & 0x00ff00ffu) << 8 | (sum & 0xff00ff00u) >> 8;
    return stored == sum || stored == swapped;
}

#ifdef __SSE2__
/* Elements [i0, i0 + 16) of an 8-byte unshuffle: 16 bytes of each of the
 * 8 byte planes, interleaved by bytes, then pairs, then quads. */
static void unshuffle8x16(char *dst, const char *src, size_t count, size_t i0)
{
    __m128i a[8], b[8], c[8];
    for (int j = 0; j < 8; j++)
        a[j] = _mm_loadu_si128((const __m128i *)(src + (size_t)j * count + i0));
    for (int j = 0; j < 8; j += 2) {
        b[j] = _mm_unpacklo_epi8(a[j], a[j + 1]);     /* elements 0-7, bytes j, j+1 */
        b[j + 1] = _mm_unpackhi_epi8(a[j], a[j + 1]); /* elements 8-15 */
    }
    for (int j = 0; j < 8; j += 4)
        for (int h = 0; h < 2; h++) {
            c[j + 2 * h] = _mm_unpacklo_epi16(b[j + h], b[j + h + 2]);
            c[j + 2 * h + 1] = _mm_unpackhi_epi16(b[j + h], b[j + h + 2]);
        }
    /* c[0..3]: elements 0-3, 4-7, 8-11, 12-15, bytes 0-3; c[4..7] bytes 4-7. */
    for (int q = 0; q < 4; q++) {
        _mm_storeu_si128((__m128i *)(dst + (i0 + 4 * (size_t)q) * 8),
                         _mm_unpacklo_epi32(c[q], c[q + 4]));
        _mm_storeu_si128((__m128i *)(dst + (i0 + 4 * (size_t)q + 2) * 8),
                         _mm_unpackhi_epi32(c[q], c[q + 4]));
    }
}
#endif

/* Undoes HDF5's shuffle: byte j of element i was stored at j * count + i;
 * bytes past the last whole element were left in place. 8-byte elements
 * (f64, i64: most shuffled data) go 16 at a time with SSE2 byte
 * interleaves, several times faster than byte by byte. */
static void unshuffle(char *dst, const char *src, size_t n, size_t esize)
{
    size_t count = n / esize, i0 = 0;
#ifdef __SSE2__
    if (esize == 8)
        for (; i0 + 16 <= count; i0 += 16)
            unshuffle8x16(dst, src, count, i0);
#endif
    for (size_t j = 0; j < esize; j++) {
        const char *s = src + j * count;
        char *d = dst + j;
        for (size_t i = i0; i < count; i++)
            d[i * esize] = s[i];
    }
    memcpy(dst + count * esize, src + count * esize, n - count * esize);
}

static void byteswap(char *p, size_t n, size_t esize)
{
    for (char *e = p + n; p + esize <= e; p += esize)
        for (size_t i = 0; i < esize / 2; i++) {
            char t = p[i];
            p[i] = p[esize - 1 - i];
            p[esize - 1 - i] = t;
        }
}

/* ------------------------------------------------------------ plan */

/* The file's type is the dtype's native type, or that with the other byte
 * order (*swap); anything else (padding, another float format) is left to
 * HDF5's conversion. */
static int plain_type(hid_t ftype, hid_t mtype, int *plain, int *swap)
{
    *plain = *swap = 0;
    htri_t same = H5Tequal(ftype, mtype);
    if (same < 0)
        return -1;
    if (same) {
        *plain = 1;
        return 0;
    }
    hid_t other = H5Tcopy(mtype);
    if (other < 0)
        return -1;
    H5T_order_t o = H5Tget_order(mtype);
    herr_t st = H5Tset_order(other, o == H5T_ORDER_LE ? H5T_ORDER_BE : H5T_ORDER_LE);
    htri_t eq = st < 0 ? -1 : H5Tequal(ftype, other);
    H5Tclose(other);
    if (eq < 0)
        return -1;
    *plain = *swap = eq > 0;
    return 0;
}

/* The chunk shape of an untrusted file: every dimension at least 1 and a
 * chunk of at most 4 GiB, HDF5's own limit (so no product overflows). */
static int chunk_shape_ok(const hsize_t *cdims, int ndim, size_t elsize)
{
    uint64_t bytes = elsize;
    for (int i = 0; i < ndim; i++) {
        if (cdims[i] < 1 || cdims[i] > UINT32_MAX / bytes)
            return 0;
        bytes *= cdims[i];
    }
    return 1;
}

/* The most bytes a chunk of p can be stored in, so that a chunk index's
 * size is trusted only that far: fletcher32 adds its 4 bytes, shuffle
 * none, and deflate (zlib, whatever its settings) at most deflateBound's
 * worst, n/8 + n/256 + n/512 + 10 (every byte a 9-bit literal of the fixed
 * code), which n/8 + n/64 + 64 exceeds. */
static size_t stored_bound(const plan *p)
{
    size_t n = p->chunk_bytes;
    for (int i = 0; i < p->nfilters && n < SIZE_MAX / 2; i++)
        if (p->filters[i].id == H5Z_FILTER_FLETCHER32)
            n += 4;
        else if (p->filters[i].id == H5Z_FILTER_DEFLATE)
            n += n / 8 + n / 64 + 64;
    return n < SIZE_MAX / 2 ? n : SIZE_MAX;
}

/* Not collective (the same answer on every rank: it reads only metadata).
 * How dataset d is read, and what the chunk reader needs of it. */
static int make_plan(pa_ctx *ctx, const char *fn, const char *what, hid_t d, pa_dtype dtype,
                     plan *p)
{
    memset(p, 0, sizeof *p);
    p->way = WAY_HDF5;
    hid_t dcpl = H5Dget_create_plist(d), ftype = H5Dget_type(d), space = H5Dget_space(d);
    int rc = PA_OK, hdf5_only = 0, plain = 0;
    H5D_layout_t layout = dcpl < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(dcpl);
    hsize_t dims[PA_MAXDIM], cdims[PA_MAXDIM];
    p->ndim = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (layout < 0 || ftype < 0 || p->ndim < 1 || p->ndim > PA_MAXDIM ||
        H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its layout", what);
    if (rc == PA_OK && layout == H5D_CHUNKED) {
        if (H5Pget_chunk(dcpl, p->ndim, cdims) != p->ndim)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its chunk shape", what);
        else if (!chunk_shape_ok(cdims, p->ndim, pa_dtype_size(dtype)))
            rc = pa__err(ctx, fn, PA_EFORMAT,
                         "%s: its chunk shape is not valid (a dimension of 0, or a chunk over "
                         "4 GiB)",
                         what);
        else
            rc = read_filters(ctx, fn, what, dcpl, p, &hdf5_only);
    }
    if (rc == PA_OK && plain_type(ftype, pa__h5_mem_type(dtype), &plain, &p->swap) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot compare its type", what);
    H5D_fill_value_t defined = H5D_FILL_VALUE_UNDEFINED;
    if (rc == PA_OK && H5Pfill_value_defined(dcpl, &defined) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its fill value", what);
    /* No fill value reads as zeros, as from HDF5 into a zeroed array. */
    if (rc == PA_OK && defined != H5D_FILL_VALUE_UNDEFINED &&
        H5Pget_fill_value(dcpl, pa__h5_mem_type(dtype), &p->fill) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot read its fill value", what);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    PA_TRY(rc);

    p->elsize = pa_dtype_size(dtype);
    p->crow_bytes = p->row_bytes = p->elsize;
    p->full_rows = 1;
    for (int i = 0; i < p->ndim; i++) {
        p->dims[i] = (size_t)dims[i];
        p->cdims[i] = layout == H5D_CHUNKED ? (size_t)cdims[i] : 1;
        p->nchunks[i] = (p->dims[i] + p->cdims[i] - 1) / p->cdims[i];
        if (i > 0) {
            p->crow_bytes *= p->cdims[i];
            p->row_bytes *= p->dims[i];
            p->full_rows &= p->cdims[i] == p->dims[i];
        }
    }
    p->chunk_bytes = p->crow_bytes * p->cdims[0];
    p->stored_max = stored_bound(p);
    /* The bytes past the element are zero (the memset above). */
    static const pa__elem zero;
    p->fill_zero = memcmp(&p->fill, &zero, sizeof zero) == 0;
    if (layout == H5D_CHUNKED)
        p->way = plain && !hdf5_only ? WAY_CHUNKS : WAY_HDF5_CHUNKS;
    return PA_OK;
}

/* ------------------------------------------------------------ copies */

/* A box of elements copied out of a chunk into the node block: ext
 * elements along each axis, byte strides per axis in the destination
 * (dstr) and in the source (sstr); the last axis is contiguous in both,
 * run bytes per line. */
typedef struct {
    int nd;
    size_t ext[PA_MAXDIM], dstr[PA_MAXDIM], sstr[PA_MAXDIM];
    size_t run;
    const plan *p;
} box;

/* One line of the box: from src, or the fill value when src is NULL. */
static void put_line(const box *b, char *dst, const char *src)
{
    if (src)
        pa__stream_copy(dst, src, b->run);
    else if (b->p->fill_zero)
        memset(dst, 0, b->run);
    else
        for (size_t k = 0; k < b->run; k += b->p->elsize)
            memcpy(dst + k, &b->p->fill, b->p->elsize);
}

static void copy_box(const box *b, int axis, char *dst, const char *src)
{
    if (axis == b->nd - 1) {
        put_line(b, dst, src);
        return;
    }
    for (size_t i = 0; i < b->ext[axis]; i++)
        copy_box(b, axis + 1, dst + i * b->dstr[axis], src ? src + i * b->sstr[axis] : NULL);
}

/* The box of the chunk at origin org (element coordinates) that lies in
 * dataset rows [lo, hi) and inside the dataset, and where it starts in the
 * node block. */
static char *box_of(const reader *R, const size_t *org, size_t lo, size_t hi, box *b)
{
    const plan *p = R->p;
    size_t ds = p->elsize, cs = p->elsize, off = 0;
    b->nd = p->ndim;
    b->p = p;
    for (int i = p->ndim - 1; i >= 0; i--) {
        b->dstr[i] = ds;
        b->sstr[i] = cs;
        b->ext[i] = p->dims[i] - org[i] < p->cdims[i] ? p->dims[i] - org[i] : p->cdims[i];
        off += i > 0 ? org[i] * ds : 0;
        ds *= p->dims[i];
        cs *= p->cdims[i];
    }
    b->ext[0] = hi - lo;
    b->run = b->ext[p->ndim - 1] * p->elsize;
    return (char *)R->a->block.base + (lo - R->node_lo) * p->row_bytes + off;
}

/* That box into the node block, from src: the chunk's rows from row
 * lo - org[0] on, in the chunk's layout (NULL: the fill value). */
static void put_rows(const reader *R, const size_t *org, size_t lo, size_t hi, const char *src)
{
    box b;
    char *dst = box_of(R, org, lo, hi, &b);
    copy_box(&b, 0, dst, src);
}

/* ------------------------------------------------------------ reading */

static herr_t unallocated_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0)
        *(int *)data = e->desc && strstr(e->desc, "chunk storage is not allocated") != NULL;
    return 0;
}

/* Whether the chunk at origin org was never written, asked after a failed
 * lookup: by its storage size, which HDF5 1.10 reports as an error of its
 * own for such a chunk (later versions as size 0), told apart from a
 * failed lookup by its innermost message. */
static int chunk_unwritten(const reader *R, const hsize_t *org)
{
    hsize_t sz = 0;
    if (H5Dget_chunk_storage_size(R->sd, org, &sz) >= 0)
        return sz == 0;
    int unallocated = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, unallocated_cb, &unallocated);
    H5Eclear2(H5E_DEFAULT);
    return unallocated;
}

/* Where the chunk at origin org lies, in one lookup of the chunk index
 * (HDF5 1.10's H5Dget_chunk_info_by_coord walks the whole index for each
 * chunk, and asking for the storage size first would look it up twice):
 * *size 0 for a chunk never written, else its stored bytes at *addr, and
 * *mask the filters skipped for it. R->buf[0] has room for the chunk. */
static int chunk_find(const reader *R, const hsize_t *org, uint64_t *addr, size_t *size,
                      unsigned *mask)
{
    *size = 0;
    if (pa__h5_chunk_place(R->pl, R->sd, org, R->buf[0], addr, size, mask) < 0) {
        /* Keep HDF5's reason for the message while the size is asked. */
        hid_t why = H5Eget_current_stack();
        int unwritten = chunk_unwritten(R, org);
        if (why >= 0)
            H5Eset_current_stack(why); /* which also closes it */
        if (unwritten) {
            H5Eclear2(H5E_DEFAULT);
            *size = 0;
            return PA_OK;
        }
        return pa__h5_err(R->ctx, R->fn, PA_EIO, "%s: %s: cannot find the chunk at row %zu",
                          R->path, R->dname, (size_t)org[0]);
    }
    if (*addr == UINT64_MAX)
        return pa__err(R->ctx, R->fn, PA_EFORMAT,
                       "%s: %s: the chunk at row %zu lies past the end of the file", R->path,
                       R->dname, (size_t)org[0]);
    return PA_OK;
}

/* Chunk number k of band (axis-0 chunk index) band, axes 1.. in C order:
 * its origin. */
static void chunk_origin(const plan *p, size_t band, size_t k, size_t *org, hsize_t *horg)
{
    org[0] = band * p->cdims[0];
    for (int i = p->ndim - 1; i > 0; i--) {
        org[i] = k % p->nchunks[i] * p->cdims[i];
        k /= p->nchunks[i];
    }
    for (int i = 0; i < p->ndim; i++)
        horg[i] = org[i];
}

/* The first nbuf buffers (1 or 2) hold at least need bytes. */
static int reserve(reader *R, size_t need, int nbuf)
{
    if (need <= R->cap && (nbuf == 1 || R->buf[1]))
        return PA_OK;
    for (int i = 0; i < nbuf; i++) {
        char *q = realloc(R->buf[i], need);
        if (!q)
            return pa__err(R->ctx, R->fn, PA_ENOMEM, "%s: %s: no memory for a chunk of %zu bytes",
                           R->path, R->dname, need);
        R->buf[i] = q;
    }
    R->cap = need;
    return PA_OK;
}

/* Rows [lo, hi) of the chunk at origin org, decoded at src. */
typedef struct {
    size_t org[PA_MAXDIM];
    size_t lo, hi;
    uint64_t addr; /* the chunk's place in the file */
    const char *src;
} piece;

/* Copies n pieces of one band (the same rows) into the node block a few
 * rows at a time across the pieces, so that the writes run along each
 * destination row: chunk by chunk they would stride by a whole row, which
 * for rows of a power of two bytes keeps hitting one set of the cache. */
static void put_band(const reader *R, const piece *pc, size_t n)
{
    enum { BATCH = 64, ROWS = 16 };
    const plan *p = R->p;
    box b[BATCH];
    char *dst[BATCH];
    for (size_t k0 = 0; k0 < n; k0 += BATCH) {
        size_t m = n - k0 < BATCH ? n - k0 : BATCH, nrows = pc[k0].hi - pc[k0].lo;
        for (size_t k = 0; k < m; k++)
            dst[k] = box_of(R, pc[k0 + k].org, pc[k0 + k].lo, pc[k0 + k].lo + 1, &b[k]);
        for (size_t r = 0; r < nrows; r += ROWS) {
            size_t rows = nrows - r < ROWS ? nrows - r : ROWS;
            for (size_t k = 0; k < m; k++) {
                char *d = dst[k] + r * p->row_bytes;
                const char *s = pc[k0 + k].src + r * p->crow_bytes;
                /* In two dimensions a piece's row is one line. */
                if (p->ndim == 2)
                    pa__stream_rows(d, p->row_bytes, s, p->crow_bytes, b[k].run, rows);
                else
                    for (size_t i = 0; i < rows; i++)
                        copy_box(&b[k], 0, d + i * p->row_bytes, s + i * p->crow_bytes);
            }
        }
    }
}

/* The bytes chunks of the band at row b0 at file offset addr into dst. */
static int read_at(const reader *R, char *dst, size_t bytes, uint64_t addr, size_t b0)
{
    size_t got = pa__pread_all(R->pl->fd, dst, bytes, addr);
    if (got == bytes)
        return PA_OK;
    return pa__err(R->ctx, R->fn, PA_EIO, "%s: %s: cannot read the chunks at row %zu: %s",
                   R->path, R->dname, b0,
                   got == (size_t)-1 ? strerror(errno) : "the file ends before them");
}

/* Reads the n pieces' chunks (of the band at row b0, their places in
 * pc[].addr) into the stage and puts them: chunks that lie one after the
 * other in the file are read together, up to a stage full at once. */
static int read_group(reader *R, piece *pc, size_t n, size_t b0)
{
    const plan *p = R->p;
    size_t per = STAGE_BYTES / p->chunk_bytes ? STAGE_BYTES / p->chunk_bytes : 1;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && j - i < per && pc[j].addr == pc[j - 1].addr + p->chunk_bytes;
             j++)
            ;
        PA_TRY(read_at(R, R->buf[0], (j - i) * p->chunk_bytes, pc[i].addr, b0));
        for (size_t k = i; k < j; k++)
            pc[k].src = R->buf[0] + (k - i) * p->chunk_bytes + (pc[k].lo - b0) * p->crow_bytes;
        put_band(R, pc + i, j - i);
    }
    return PA_OK;
}

/* Unfiltered chunks in the host's byte order: this rank puts exactly its
 * own rows [lo, hi), band by band. A chunk that holds whole rows, all of
 * them this rank's, is read straight into the node block; the others are
 * read into the stage, those that lie one after the other in the file with
 * one pread, and their rows copied out. */
static int read_plain(reader *R, size_t lo, size_t hi)
{
    const plan *p = R->p;
    size_t ncols = 1;
    for (int i = 1; i < p->ndim; i++)
        ncols *= p->nchunks[i];
    size_t per = STAGE_BYTES / p->chunk_bytes ? STAGE_BYTES / p->chunk_bytes : 1;
    piece *pc = malloc(ncols * sizeof *pc);
    /* The stage; also the room HDF5 is handed for a chunk it only finds. */
    int rc = pc ? reserve(R, per * p->chunk_bytes, 1)
                : pa__err(R->ctx, R->fn, PA_ENOMEM, "%s: %s: no memory", R->path, R->dname);
    for (size_t band = lo / p->cdims[0]; rc == PA_OK && band * p->cdims[0] < hi; band++) {
        size_t b0 = band * p->cdims[0], n = 0;
        size_t r0 = lo > b0 ? lo : b0, r1 = hi < b0 + p->cdims[0] ? hi : b0 + p->cdims[0];
        for (size_t k = 0; rc == PA_OK && k < ncols; k++) {
            size_t org[PA_MAXDIM], size = 0;
            hsize_t horg[PA_MAXDIM];
            uint64_t addr = UINT64_MAX;
            unsigned mask = 0;
            chunk_origin(p, band, k, org, horg);
            if ((rc = chunk_find(R, horg, &addr, &size, &mask)) < 0)
                break;
            if (size == 0) {
                put_rows(R, org, r0, r1, NULL);
                continue;
            }
            if (size != p->chunk_bytes) {
                rc = pa__err(R->ctx, R->fn, PA_EFORMAT,
                             "%s: %s: the chunk at row %zu holds %zu bytes, not %zu", R->path,
                             R->dname, b0, size, p->chunk_bytes);
                break;
            }
            if (p->full_rows && r0 == b0 && r1 == b0 + p->cdims[0]) {
                rc = read_at(R, (char *)R->a->block.base + (r0 - R->node_lo) * p->row_bytes, size,
                             addr, b0);
                continue;
            }
            pc[n] = (piece){.lo = r0, .hi = r1, .addr = addr};
            memcpy(pc[n++].org, org, sizeof org);
        }
        if (rc == PA_OK)
            rc = read_group(R, pc, n, b0);
    }
    free(pc);
    return rc;
}

/* Inflates the n bytes at src into dst (room for cap bytes); *out the
 * bytes it made. PA_EFORMAT: damaged data, or more than cap bytes. */
static int inflate_into(reader *R, const char *src, size_t n, char *dst, size_t cap, size_t *out)
{
    if (!R->zs_ready) {
        memset(&R->zs, 0, sizeof R->zs);
        if (inflateInit(&R->zs) != Z_OK)
            return pa__err(R->ctx, R->fn, PA_ENOMEM, "zlib: cannot start inflating");
        R->zs_ready = 1;
    } else if (inflateReset(&R->zs) != Z_OK) {
        return pa__err(R->ctx, R->fn, PA_EIO, "zlib: cannot reset the inflater");
    }
    R->zs.next_in = (Bytef *)src;
    R->zs.avail_in = (uInt)n;
    R->zs.next_out = (Bytef *)dst;
    R->zs.avail_out = cap < UINT32_MAX ? (uInt)cap : UINT32_MAX;
    int z = inflate(&R->zs, Z_FINISH);
    *out = R->zs.total_out;
    return z == Z_STREAM_END ? PA_OK : PA_EFORMAT;
}

/* The chunk at org, its size stored bytes in R->buf[0] (mask: the
 * filters skipped for it): undoes its filters in the reverse of the order
 * they were applied. With final (room for exactly a chunk: the chunk's
 * place in the node block) the last step decodes into it, which saves a
 * copy and the touch of a second buffer; otherwise *out is the decoded
 * chunk in one of the buffers. */
static int decode(reader *R, const hsize_t *org, size_t size, unsigned mask, char *final,
                  const char **out)
{
    const plan *p = R->p;
    /* The last step is the first filter applied to this chunk. It decodes
     * into final only when its output is the chunk: fletcher32's input has
     * the checksum at its end, 4 bytes more than final holds. */
    int last = -1;
    for (int i = p->nfilters - 1; i >= 0; i--)
        if (!(mask >> i & 1u))
            last = i;
    if (last >= 0 && p->filters[last].id == H5Z_FILTER_FLETCHER32)
        last = -1;
    char *in = R->buf[0], *spare = R->buf[1];
    const char *bad = NULL;
    size_t n = size;
    for (int i = p->nfilters - 1; i >= 0 && !bad; i--) {
        if (mask >> i & 1u)
            continue; /* not applied to this chunk (an optional filter that failed) */
        char *to = final && i == last ? final : spare;
        size_t room = to == final ? p->chunk_bytes : R->cap;
        switch (p->filters[i].id) {
        case H5Z_FILTER_FLETCHER32:
            if (n < 4 || !fletcher32_ok((const unsigned char *)in, n))
                bad = "fails its fletcher32 checksum (the file is damaged)";
            else
                n -= 4;
            continue;
        case H5Z_FILTER_DEFLATE: {
            int rc = inflate_into(R, in, n, to, room, &n);
            if (rc == PA_EFORMAT)
                bad = n == room ? "does not decode to a whole chunk"
                                : "does not inflate (damaged deflate data)";
            else if (rc < 0)
                return rc;
            break;
        }
        default: /* H5Z_FILTER_SHUFFLE */
            if (n > room)
                bad = "does not decode to a whole chunk";
            else
                unshuffle(to, in, n, p->filters[i].cd0 ? p->filters[i].cd0 : p->elsize);
            break;
        }
        if (in != final)
            spare = in;
        in = to;
    }
    if (!bad && n != p->chunk_bytes)
        bad = "does not decode to a whole chunk";
    if (bad)
        return pa__err(R->ctx, R->fn, PA_EFORMAT, "%s: %s: the chunk at row %zu %s", R->path,
                       R->dname, (size_t)org[0], bad);
    if (final && in != final)
        memcpy(final, in, n);
    if (final)
        in = final;
    if (p->swap)
        byteswap(in, n, p->elsize);
    *out = in;
    return PA_OK;
}

/* Filtered chunks (or chunks in the other byte order: swapping is their
 * filter): the chunks that hold the node's rows, in C order, are
 * cut into equal shares, one per rank of the node; each rank reads and
 * decodes its share and puts every row of it that the node holds. A chunk
 * of whole rows that the node holds all of is decoded in place. */
static int read_filtered(reader *R)
{
    const plan *p = R->p;
    const pa_ctx *ctx = R->ctx;
    size_t ncols = 1;
    for (int i = 1; i < p->ndim; i++)
        ncols *= p->nchunks[i];
    size_t band0 = R->node_lo / p->cdims[0], band1 = (R->node_hi - 1) / p->cdims[0];
    size_t total = (band1 - band0 + 1) * ncols, P = (size_t)ctx->node_size;
    size_t r = (size_t)ctx->node_rank, k0 = total * r / P, k1 = total * (r + 1) / P;
    /* Room for a stored chunk, and for a decoded one with the slack that
     * tells a chunk that decodes to more. */
    size_t room = p->stored_max > p->chunk_bytes + 64 ? p->stored_max : p->chunk_bytes + 64;
    PA_TRY(reserve(R, room, 2));
    for (size_t k = k0; k < k1; k++) {
        size_t org[PA_MAXDIM], size = 0;
        hsize_t horg[PA_MAXDIM];
        uint64_t addr = UINT64_MAX;
        unsigned mask = 0;
        chunk_origin(p, band0 + k / ncols, k % ncols, org, horg);
        PA_TRY(chunk_find(R, horg, &addr, &size, &mask));
        size_t lo = R->node_lo > org[0] ? R->node_lo : org[0];
        size_t hi = org[0] + p->cdims[0] < R->node_hi ? org[0] + p->cdims[0] : R->node_hi;
        int whole = p->full_rows && lo == org[0] && hi == org[0] + p->cdims[0];
        char *final = whole ? (char *)R->a->block.base + (lo - R->node_lo) * p->row_bytes : NULL;
        const char *src = NULL;
        if (size > p->stored_max)
            return pa__err(R->ctx, R->fn, PA_EFORMAT,
                           "%s: %s: the chunk at row %zu is stored in %zu bytes, more than its "
                           "filters make of %zu bytes",
                           R->path, R->dname, org[0], size, p->chunk_bytes);
        if (size > 0) {
            PA_TRY(read_at(R, R->buf[0], size, addr, org[0]));
            PA_TRY(decode(R, horg, size, mask, final, &src));
        }
        if (!final || size == 0)
            put_rows(R, org, lo, hi, src ? src + (lo - org[0]) * p->crow_bytes : NULL);
    }
    return PA_OK;
}

/* Not collective. Opens path and dataset dname through parray's driver
 * (h5_chunk_place.c), with its own metadata reads, none collective, so
 * each rank looks up only its own chunks. The driver takes no file lock:
 * the file is only read, and the parallel open holds no lock either. */
static int open_serial(reader *R)
{
    int rc = pa__h5_places_open(R->ctx, R->fn, R->path, &R->sf, &R->pl);
    if (rc == PA_OK && (R->sd = H5Dopen2(R->sf, R->dname, H5P_DEFAULT)) < 0)
        rc = pa__h5_err(R->ctx, R->fn, PA_EIO, "%s: cannot open dataset '%s'", R->path, R->dname);
    return rc;
}

/* Not collective. This rank's part of reading a's rows of a dataset that
 * plan p reads chunk by chunk. */
static int read_chunks(pa_array *a, const char *fn, const char *path, const char *dname,
                       const plan *p, size_t base)
{
    reader R = {.ctx = a->ctx,
                .fn = fn,
                .path = path,
                .dname = dname,
                .p = p,
                .a = a,
                .sf = H5I_INVALID_HID,
                .sd = H5I_INVALID_HID};
    R.node_lo = base + a->row0;
    R.node_hi = R.node_lo + a->nrows;
    size_t first, n;
    char *ptr;
    pa__h5_io_rows(a, 0, &first, &n, &ptr);
    /* Chunks that need decoding, or their bytes swapped, are decoded in a
     * buffer, the node's chunks shared among its ranks. */
    int filtered = p->nfilters > 0 || p->swap;
    if (a->size == 0 || (filtered ? a->nrows == 0 : n == 0))
        return PA_OK;
    int rc = open_serial(&R);
    if (rc == PA_OK)
        rc = filtered ? read_filtered(&R) : read_plain(&R, base + first, base + first + n);
    /* The copies into the node block are streaming stores: order them
     * before the sync that publishes the block. */
    pa__stream_fence();
    if (R.zs_ready)
        inflateEnd(&R.zs);
    free(R.buf[0]);
    free(R.buf[1]);
    if (R.sd >= 0)
        H5Dclose(R.sd);
    if (R.sf >= 0)
        H5Fclose(R.sf);
    return rc;
}

/* ------------------------------------------------------------ HDF5's way */

static size_t prime_at_least(size_t n)
{
    for (;; n++) {
        size_t d = 2;
        while (d * d <= n && n % d)
            d++;
        if (n >= 2 && d * d > n)
            return n;
    }
}

/* Collective. HDF5's read of a chunked dataset, through a second handle
 * of it whose chunk cache holds a band of chunks, so that no chunk is read
 * and decoded twice where the rows of two reads meet in it; collective
 * when asked, and independent if that fails (HDF5 1.10's filtered
 * collective read fails on chunks never written). Agreed. */
static int read_by_hdf5(pa_array *a, const char *fn, const char *path, const char *dname, hid_t d,
                        const plan *p, size_t base, int collective)
{
    pa_ctx *ctx = a->ctx;
    size_t band = p->chunk_bytes;
    for (int i = 1; i < p->ndim; i++)
        band *= p->nchunks[i];
    size_t bytes = band < CACHE_MAX_BYTES ? band : CACHE_MAX_BYTES;
    size_t chunks = p->chunk_bytes ? bytes / p->chunk_bytes + 1 : 1;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS), f = H5Iget_file_id(d), d2 = H5I_INVALID_HID;
    int rc = PA_OK;
    if (dapl < 0 || f < 0 ||
        H5Pset_chunk_cache(dapl,
                           prime_at_least(chunks * 10 < (1u << 20) ? chunks * 10 : 1u << 20),
                           bytes, 1.0) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot set up its chunk cache", path, dname);
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc == PA_OK) {
        d2 = pa__fault(ctx, "h5_reopen") ? H5I_INVALID_HID : H5Dopen2(f, dname, dapl);
        if (d2 < 0)
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot open dataset '%s'", path, dname);
    }
    /* Whether to read, and to retry, is decided on agreed values only: a
     * rank's own d2 would send the ranks into different collectives. */
    rc = pa__agree(ctx, ctx->comm, rc);
    int opened = rc == PA_OK;
    if (opened)
        rc = pa__agree(ctx, ctx->comm, pa__h5_move(a, fn, path, dname, d2, base, 0, collective));
    if (opened && collective && rc < 0 && rc != PA_ENOMEM)
        rc = pa__agree(ctx, ctx->comm, pa__h5_move(a, fn, path, dname, d2, base, 0, 0));
    if (d2 >= 0 && H5Dclose(d2) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close '%s'", path, dname);
    if (f >= 0)
        H5Fclose(f);
    if (dapl >= 0)
        H5Pclose(dapl);
    return pa__agree(ctx, ctx->comm, rc);
}

/* ------------------------------------------------------------ entry */

int pa__h5_chunk_read(const pa__h5_read *rd, pa_array *a, size_t base)
{
    pa_ctx *ctx = a->ctx;
    const char *fn = rd->fn, *path = rd->path, *dname = rd->dname;
    hid_t d = rd->d;
    int collective = rd->collective;
    char what[PA_ERRMSG_MAX / 2 + sizeof rd->dname];
    snprintf(what, sizeof what, "%s: %s", path, dname);
    plan p;
    PA_TRY(pa__agree(ctx, ctx->comm, make_plan(ctx, fn, what, d, a->dtype, &p)));
    if (p.way == WAY_HDF5)
        return pa__agree(ctx, ctx->comm, pa__h5_move(a, fn, path, dname, d, base, 0, collective));
    if (p.way == WAY_HDF5_CHUNKS)
        return read_by_hdf5(a, fn, path, dname, d, &p, base, collective);
    int rc = pa__fault(ctx, "h5_read") ? pa__err(ctx, fn, PA_EIO, "%s: injected read fault", what)
                                       : read_chunks(a, fn, path, dname, &p, base);
    return pa__agree(ctx, ctx->comm, rc);
}
