/* Tests of parallel HDF5: round trips of every dtype in 1 to 4 dimensions
 * with every transfer and layout option; files written by one rank and read
 * by all and the reverse; replicated loads and saves; the stored types
 * (standard little-endian, what h5py maps to NumPy dtypes) and files with
 * big-endian types written through the plain HDF5 C API as h5py would;
 * attributes; groups; replacing one dataset among others; and bad input:
 * missing, foreign, truncated and corrupt files, unsupported types and
 * shapes, bad paths and options, and injected failures on one rank, after
 * which every rank reports the same error and the old file is intact with
 * no temporary left behind. Every check holds for any rank count and node
 * layout. */
#include "testutil.h"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "files.h"
#include "h5.h"
#include "internal.h"
#include "mpio_name.h"

static char dir[512]; /* this run's directory, the same on every rank */

static void setup(void)
{
    tu_ctx_setup();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    tu_tmpdir_make(dir, sizeof dir, "h5");
}

static void teardown(void)
{
    tu_tmpdir_remove(dir);
    tu_ctx_teardown();
}

static char *file(const char *name)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Temporaries left in the run's directory. */
static int stale_temps(void)
{
    return tu_stale_temps(dir);
}

/* ------------------------------------------------------------ patterns */

/* The value of global element i for a salt, exact in every dtype. */
static void pat(pa_dtype t, size_t i, unsigned salt, void *out)
{
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    /* clang-format off */
    switch (t) {
    case PA_F64: { double v = (double)(h >> 12) * 0x1p-20 - 1e6; memcpy(out, &v, 8); break; }
    case PA_F32: { float v = (float)(h >> 41) * 0.25f - 1000.0f; memcpy(out, &v, 4); break; }
    case PA_I64: { int64_t v = (int64_t)h; memcpy(out, &v, 8); break; }
    case PA_I32: { int32_t v = (int32_t)(uint32_t)(h >> 17); memcpy(out, &v, 4); break; }
    default: { uint8_t v = (uint8_t)(h >> 40); memcpy(out, &v, 1); break; }
    }
    /* clang-format on */
}

static void fill_buf(pa_dtype t, size_t off, size_t n, unsigned salt, void *buf)
{
    size_t es = pa_dtype_size(t);
    for (size_t k = 0; k < n; k++)
        pat(t, off + k, salt, (char *)buf + k * es);
}

/* Fills a (each rank its own span; every node's copy when replicated). */
static void fill(pa_array *a, unsigned salt)
{
    pa_span s;
    pa_array_local(a, &s);
    fill_buf(pa_array_dtype(a), s.offset, s.count, salt, s.ptr);
    TU_OK(pa_array_sync(a), ctx);
}

/* 1 when the span buf (count elements from global offset off) holds the
 * pattern; *bad is the first mismatch. */
static int buf_ok(pa_dtype t, size_t off, size_t n, unsigned salt, const void *buf, size_t *bad)
{
    size_t es = pa_dtype_size(t);
    unsigned char want[8];
    for (size_t k = 0; k < n; k++) {
        pat(t, off + k, salt, want);
        if (memcmp(want, (const char *)buf + k * es, es) != 0) {
            *bad = off + k;
            return 0;
        }
    }
    return 1;
}

/* Collective: the whole node block of a holds the pattern. */
static void check_array(pa_array *a, unsigned salt, const char *what)
{
    pa_span s;
    pa_array_node(a, &s);
    size_t bad = 0;
    int ok = buf_ok(pa_array_dtype(a), s.offset, s.count, salt, s.ptr, &bad);
    TU_ASSERT(ok, "%s: element %zu differs", what, bad);
}

/* Collective: dataset dname of the file at path holds the pattern. */
static void check_file(const char *path, const char *dname, unsigned salt, const char *what)
{
    pa_array *r = NULL;
    TU_OK(pa_h5_load(ctx, path, dname, NULL, &r), ctx);
    check_array(r, salt, what);
    pa_array_free(&r);
}

static int same_shape(const pa_array *a, int ndim, const size_t *shape)
{
    size_t sh[PA_MAXDIM];
    if (pa_array_ndim(a) != ndim)
        return 0;
    pa_array_shape(a, sh);
    return memcmp(sh, shape, sizeof(size_t) * (size_t)ndim) == 0;
}

static const pa_dtype dtypes[] = {PA_F64, PA_F32, PA_I64, PA_I32, PA_U8};
#define NDTYPES 5

/* The standard type each dtype must be stored as. */
static hid_t std_type(pa_dtype t)
{
    switch (t) {
    case PA_F64: return H5T_IEEE_F64LE;
    case PA_F32: return H5T_IEEE_F32LE;
    case PA_I64: return H5T_STD_I64LE;
    case PA_I32: return H5T_STD_I32LE;
    default: return H5T_STD_U8LE;
    }
}

/* Rank 0 checks a dataset with the serial HDF5 C API: its type is exactly
 * want and its shape is shape. Collective (the result is shared). */
static void check_stored(const char *path, const char *ds, hid_t want, int ndim,
                         const size_t *shape)
{
    int ok = 1;
    char why[256] = "";
    if (tu_rank() == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = f >= 0 ? H5Dopen2(f, ds, H5P_DEFAULT) : -1;
        hid_t t = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t dims[H5S_MAX_RANK];
        int nd = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
        if (t < 0 || H5Tequal(t, want) <= 0)
            ok = 0, snprintf(why, sizeof why, "stored type is not the standard one");
        if (nd != ndim)
            ok = 0, snprintf(why, sizeof why, "stored rank %d, not %d", nd, ndim);
        for (int i = 0; ok && i < ndim; i++)
            if (dims[i] != shape[i])
                ok = 0, snprintf(why, sizeof why, "dim %d is %llu, not %zu", i,
                                 (unsigned long long)dims[i], shape[i]);
        if (t >= 0)
            H5Tclose(t);
        if (sp >= 0)
            H5Sclose(sp);
        if (d >= 0)
            H5Dclose(d);
        if (f >= 0)
            H5Fclose(f);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(ok, "%s:%s: %s", path, ds, why);
}

/* ------------------------------------------------------------ round trips */

static const struct {
    int ndim;
    size_t shape[4];
} shapes[] = {
    {1, {1000}},    {1, {1}},          {2, {37, 3}}, {2, {5, 1000}},
    {3, {9, 7, 5}}, {4, {3, 4, 5, 6}}, {2, {0, 4}},  {3, {4, 0, 2}},
};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

START_TEST(roundtrip_every_dtype_and_shape)
{
    const char *path = file("rt.h5");
    for (int t = 0; t < NDTYPES; t++)
        for (int k = 0; k < NSHAPES; k++) {
            pa_array *a = NULL, *b = NULL;
            unsigned salt = (unsigned)(t * 100 + k);
            TU_OK(pa_array_create(ctx, dtypes[t], shapes[k].ndim, shapes[k].shape, PA_DISTRIBUTED,
                                  &a),
                  ctx);
            fill(a, salt);
            char ds[64];
            snprintf(ds, sizeof ds, "/t%d/s%d", t, k);
            TU_OK(pa_h5_save(a, path, ds, NULL), ctx);
            check_stored(path, ds, std_type(dtypes[t]), shapes[k].ndim, shapes[k].shape);
            TU_OK(pa_h5_load(ctx, path, ds, NULL, &b), ctx);
            TU_CHECK(pa_array_dtype(b) == dtypes[t]);
            TU_CHECK(same_shape(b, shapes[k].ndim, shapes[k].shape));
            check_array(b, salt, ds);
            pa_array_free(&a);
            pa_array_free(&b);
        }
    TU_CHECK(stale_temps() == 0);
}
END_TEST

/* Every option combination on a shape whose rows are cut by the flat
 * partition (rows of 13 u8 / f32 elements, boundaries every 64 bytes). */
START_TEST(roundtrip_options)
{
    const char *path = file("opts.h5");
    static const pa_h5_opts variants[] = {
        {.xfer = PA_H5_COLLECTIVE},
        {.xfer = PA_H5_INDEPENDENT},
        {.layout = PA_H5_CHUNKED},
        {.layout = PA_H5_CHUNKED, .xfer = PA_H5_INDEPENDENT},
        {.layout = PA_H5_CHUNKED, .chunk_rows = 7},
        {.deflate = 6},
        {.layout = PA_H5_CHUNKED, .deflate = 1, .xfer = PA_H5_INDEPENDENT},
        {.durable = 1},
    };
    size_t shape[2] = {2003, 13};
    for (int t = 0; t < NDTYPES; t++)
        for (int v = 0; v < (int)(sizeof variants / sizeof variants[0]); v++) {
            pa_array *a = NULL, *b = NULL;
            unsigned salt = (unsigned)(7 + t * 10 + v);
            TU_OK(pa_array_create(ctx, dtypes[t], 2, shape, PA_DISTRIBUTED, &a), ctx);
            fill(a, salt);
            TU_OK(pa_h5_save(a, path, "x", &variants[v]), ctx);
            check_stored(path, "/x", std_type(dtypes[t]), 2, shape);
            pa_h5_opts lo = {.xfer = variants[v].xfer};
            TU_OK(pa_h5_load(ctx, path, "x", &lo, &b), ctx);
            char what[64];
            snprintf(what, sizeof what, "dtype %d variant %d", t, v);
            check_array(b, salt, what);
            pa_array_free(&a);
            pa_array_free(&b);
        }
    /* The chunked layouts are chunked, with the deflate filter when asked. */
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 3);
    pa_h5_opts o = {.deflate = 4};
    TU_OK(pa_h5_save(a, path, "z", &o), ctx);
    pa_array_free(&a);
    int ok = 1;
    if (tu_rank() == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, "z", H5P_DEFAULT);
        hid_t p = H5Dget_create_plist(d);
        unsigned flags, cd[4];
        size_t ncd = 4;
        ok = H5Pget_layout(p) == H5D_CHUNKED && H5Pget_nfilters(p) == 1 &&
             H5Pget_filter2(p, 0, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE;
        H5Pclose(p);
        H5Dclose(d);
        H5Fclose(f);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(ok, "dataset z is not chunked with deflate");
}
END_TEST

/* Rank 0 reads dataset ds of path with serial HDF5 (the default driver, as
 * any other program would) and checks it against the pattern, and reads
 * its layout: *chunk_rows (0 when contiguous), *filters and, for deflate,
 * *level (-1 without). Collective (the results are shared). */
static void check_serial(const char *path, const char *ds, pa_dtype t, size_t n, unsigned salt,
                         size_t *chunk_rows, int *filters, int *level)
{
    long long info[4] = {1, 0, 0, -1}; /* ok, chunk rows, filters, level */
    size_t bad = 0;
    if (tu_rank() == 0) {
        void *buf = malloc(n ? n * pa_dtype_size(t) : 1);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = f >= 0 ? H5Dopen2(f, ds, H5P_DEFAULT) : -1;
        hid_t p = d >= 0 ? H5Dget_create_plist(d) : -1;
        hid_t mt = pa__h5_mem_type(t);
        if (!buf || p < 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            info[0] = 0;
        else
            info[0] = buf_ok(t, 0, n, salt, buf, &bad);
        hsize_t cd[PA_MAXDIM];
        if (p >= 0 && H5Pget_layout(p) == H5D_CHUNKED && H5Pget_chunk(p, PA_MAXDIM, cd) > 0)
            info[1] = (long long)cd[0];
        info[2] = p >= 0 ? H5Pget_nfilters(p) : 0;
        for (int i = 0; i < info[2]; i++) {
            unsigned flags, v[4];
            size_t nv = 4;
            if (H5Pget_filter2(p, (unsigned)i, &flags, &nv, v, 0, NULL, NULL) ==
                    H5Z_FILTER_DEFLATE &&
                nv >= 1)
                info[3] = v[0];
        }
        if (p >= 0)
            H5Pclose(p);
        if (d >= 0)
            H5Dclose(d);
        if (f >= 0)
            H5Fclose(f);
        free(buf);
    }
    MPI_Bcast(info, 4, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    MPI_Bcast(&bad, 1, MPI_UNSIGNED_LONG, 0, MPI_COMM_WORLD);
    TU_ASSERT(info[0], "%s:%s read by serial HDF5: element %zu differs", path, ds, bad);
    *chunk_rows = (size_t)info[1];
    *filters = (int)info[2];
    *level = (int)info[3];
}

/* Chunked and deflated saves, read back by parray (both transfers) and by
 * serial HDF5: odd row counts and row sizes, chunk rows given that do not
 * divide the ranks' parts, deflate at several levels (the pipeline holds
 * deflate at the level asked, alone), independent transfers. */
START_TEST(chunked_saves_read_back)
{
    const char *path = file("chunks.h5");
    static const struct {
        pa_dtype t;
        size_t shape[2];
        pa_h5_opts o;
    } cases[] = {
        {PA_F64, {1001, 7}, {.layout = PA_H5_CHUNKED}},
        {PA_F64, {1001, 7}, {.layout = PA_H5_CHUNKED, .chunk_rows = 333}},
        {PA_F32,
         {2003, 13},
         {.layout = PA_H5_CHUNKED, .chunk_rows = 7, .xfer = PA_H5_INDEPENDENT}},
        {PA_U8, {2003, 13}, {.deflate = 1, .chunk_rows = 61}},
        {PA_I32, {777, 3}, {.deflate = 9}},
        {PA_I64, {3, 5}, {.deflate = 4, .chunk_rows = 2, .xfer = PA_H5_INDEPENDENT}},
        {PA_F64, {40001, 1}, {.layout = PA_H5_CHUNKED, .deflate = 6, .chunk_rows = 999}},
        {PA_F64, {0, 3}, {.deflate = 1}},
    };
    for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        pa_array *a = NULL, *b = NULL;
        unsigned salt = (unsigned)(100 + k);
        TU_OK(pa_array_create(ctx, cases[k].t, 2, cases[k].shape, PA_DISTRIBUTED, &a), ctx);
        fill(a, salt);
        TU_OK(pa_h5_save(a, path, "c", &cases[k].o), ctx);
        char what[64];
        for (int x = 0; x < 2; x++) {
            pa_h5_opts lo = {.xfer = x ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE};
            TU_OK(pa_h5_load(ctx, path, "c", &lo, &b), ctx);
            snprintf(what, sizeof what, "case %d, read %s", k, x ? "independent" : "collective");
            TU_CHECK(same_shape(b, 2, cases[k].shape));
            check_array(b, salt, what);
            pa_array_free(&b);
        }
        size_t rows, n = cases[k].shape[0] * cases[k].shape[1];
        int filters, level;
        check_serial(path, "/c", cases[k].t, n, salt, &rows, &filters, &level);
        size_t want = cases[k].o.chunk_rows;
        if (want > cases[k].shape[0] && cases[k].shape[0] > 0)
            want = cases[k].shape[0];
        TU_ASSERT(rows > 0 && (want == 0 || rows == want), "case %d: chunk rows %zu, want %zu", k,
                  rows, want);
        int lv = cases[k].o.deflate;
        TU_ASSERT(filters == (lv ? 1 : 0) && level == (lv ? lv : -1),
                  "case %d: %d filters, deflate level %d; want deflate %d alone", k, filters,
                  level, lv);
        pa_array_free(&a);
    }
    TU_CHECK(stale_temps() == 0);
}
END_TEST

/* Automatic chunks are MiB-sized and start where every rank's rows start,
 * so that each chunk is written by one rank: rows of 8 KiB and 3072 rows,
 * whose rank parts at 1, 2 and 3 ranks and at 2 nodes of 2 start at
 * multiples of 384 or 512 rows (chunks of 3 or 4 MiB). */
START_TEST(automatic_chunks_follow_the_ranks)
{
    const char *path = file("auto.h5");
    size_t shape[2] = {3072, 1024}, rowbytes = 1024 * sizeof(double);
    for (int deflate = 0; deflate <= 1; deflate++) {
        pa_array *a = NULL, *b = NULL;
        TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
        fill(a, 5);
        pa_h5_opts o = {.layout = PA_H5_CHUNKED, .deflate = deflate};
        TU_OK(pa_h5_save(a, path, "x", &o), ctx);
        TU_OK(pa_h5_load(ctx, path, "x", NULL, &b), ctx);
        check_array(b, 5, "automatic chunks");
        size_t rows;
        int filters, level;
        check_serial(path, "/x", PA_F64, shape[0] * shape[1], 5, &rows, &filters, &level);
        TU_ASSERT(rows * rowbytes >= ((size_t)1 << 20) && rows * rowbytes <= ((size_t)16 << 20),
                  "a chunk of %zu rows holds %zu bytes, not 1 to 16 MiB", rows, rows * rowbytes);
        /* The first row this rank writes: that of its first element. */
        pa_span s;
        pa_array_local(a, &s);
        size_t first = (s.offset + shape[1] - 1) / shape[1];
        TU_ASSERT(s.count == 0 || rows == 0 || first % rows == 0,
                  "this rank writes from row %zu, inside a chunk of %zu rows", first, rows);
        pa_array_free(&a);
        pa_array_free(&b);
    }
}
END_TEST

/* ------------------------------------------------------------ N ranks to M */

/* Rank 0 alone (a context on MPI_COMM_SELF) writes; all read. Then all
 * write and rank 0 alone reads the whole array back. */
START_TEST(written_by_one_read_by_all_and_back)
{
    const char *path = file("nm.h5");
    size_t shape[3] = {101, 3, 7};
    pa_ctx *one = NULL;
    int rc = PA_OK;
    if (tu_rank() == 0) {
        rc = pa_init_comm(MPI_COMM_SELF, &one);
        pa_array *a = NULL;
        if (rc == PA_OK)
            rc = pa_array_create(one, PA_I32, 3, shape, PA_DISTRIBUTED, &a);
        if (rc == PA_OK) {
            pa_span s;
            pa_array_local(a, &s);
            fill_buf(PA_I32, s.offset, s.count, 41, s.ptr);
            rc = pa_h5_save(a, path, "/g/one", NULL);
        }
        pa_array_free(&a);
    }
    TU_ASSERT(rc == PA_OK, "one-rank save: %s", pa_errmsg(one));
    pa_array *b = NULL;
    TU_OK(pa_h5_load(ctx, path, "/g/one", NULL, &b), ctx);
    TU_CHECK(same_shape(b, 3, shape));
    check_array(b, 41, "written by one");
    pa_array_free(&b);

    TU_OK(pa_array_create(ctx, PA_F32, 3, shape, PA_DISTRIBUTED, &b), ctx);
    fill(b, 42);
    TU_OK(pa_h5_save(b, path, "/g/all", NULL), ctx);
    pa_array_free(&b);
    int ok = 1;
    size_t bad = 0;
    if (tu_rank() == 0) {
        pa_array *c = NULL;
        rc = pa_h5_load(one, path, "/g/all", NULL, &c);
        pa_span s;
        if (rc == PA_OK) {
            pa_array_node(c, &s);
            ok = s.count == 101 * 21 && buf_ok(PA_F32, 0, s.count, 42, s.ptr, &bad);
        }
        pa_array_free(&c);
        pa_finalize(&one);
    }
    TU_ASSERT(rc == PA_OK, "one-rank load failed");
    TU_ASSERT(ok, "read by one: element %zu differs", bad);
}
END_TEST

/* A replicated load gives every node the whole array; a replicated save
 * writes it once, and it reads back as a distributed array. */
START_TEST(replicated_load_and_save)
{
    const char *path = file("rep.h5");
    size_t shape[2] = {57, 11};
    pa_array *a = NULL, *r = NULL, *b = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 5);
    TU_OK(pa_h5_save(a, path, "d", NULL), ctx);
    pa_h5_opts rep = {.dist = PA_REPLICATED};
    TU_OK(pa_h5_load(ctx, path, "d", &rep, &r), ctx);
    TU_CHECK(pa_array_dist(r) == PA_REPLICATED);
    pa_span s;
    pa_array_node(r, &s);
    TU_CHECK(s.offset == 0 && s.count == 57 * 11);
    check_array(r, 5, "replicated load");

    /* pa_h5_read into the existing replicated array, and into a distributed
     * one; an array of another geometry is refused. */
    TU_OK(pa_h5_save(a, path, "d2", NULL), ctx);
    fill(a, 0);
    TU_OK(pa_h5_read(r, path, "d", NULL), ctx);
    check_array(r, 5, "read into a replicated array");
    pa_h5_opts ind = {.xfer = PA_H5_INDEPENDENT};
    TU_OK(pa_h5_read(a, path, "d", &ind), ctx);
    check_array(a, 5, "read into a distributed array");
    TU_RC(pa_h5_read(r, path, "missing", NULL), PA_EIO, ctx);
    pa_array_free(&r);
    size_t other[2] = {57, 10};
    TU_OK(pa_array_create(ctx, PA_F64, 2, other, PA_DISTRIBUTED, &r), ctx);
    TU_RC(pa_h5_read(r, path, "d", NULL), PA_EFORMAT, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "is f64 (57,11), the array is f64 (57,10)") != NULL);
    pa_array_free(&r);

    TU_OK(pa_array_create(ctx, PA_U8, 2, shape, PA_REPLICATED, &r), ctx);
    fill(r, 6);
    TU_OK(pa_h5_save(r, path, "r", NULL), ctx);
    TU_OK(pa_h5_load(ctx, path, "r", NULL, &b), ctx);
    check_array(b, 6, "replicated save");
    pa_array_free(&a);
    pa_array_free(&r);
    pa_array_free(&b);
}
END_TEST

/* ------------------------------------------------------------ foreign files */

/* Rank 0 writes a file as h5py would (contiguous, the default property
 * lists), with the given file types, from the test pattern. */
static int write_foreign(const char *path, const char *ds, hid_t ftype, pa_dtype t, int ndim,
                         const size_t *shape, unsigned salt, int trunc)
{
    hsize_t dims[H5S_MAX_RANK];
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        dims[i] = shape[i], n *= shape[i];
    void *buf = malloc(n * 8 + 8);
    fill_buf(t, 0, n, salt, buf);
    hid_t f = trunc ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)
                    : H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(ndim, dims, NULL);
    hid_t d = H5Dcreate2(f, ds, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : H5Dwrite(d, pa__h5_mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    if (f >= 0 && H5Fclose(f) < 0)
        st = -1;
    free(buf);
    return f >= 0 && st >= 0;
}

START_TEST(reads_both_byte_orders)
{
    const char *path = file("be.h5");
    static const struct {
        hid_t *type;
        pa_dtype t;
    } be[] = {
        {&H5T_IEEE_F64BE_g, PA_F64}, {&H5T_IEEE_F32BE_g, PA_F32}, {&H5T_STD_I64BE_g, PA_I64},
        {&H5T_STD_I32BE_g, PA_I32},  {&H5T_STD_U8BE_g, PA_U8},    {&H5T_IEEE_F64LE_g, PA_F64},
        {&H5T_STD_I32LE_g, PA_I32},
    };
    size_t shape[2] = {29, 5};
    int n = (int)(sizeof be / sizeof be[0]), ok = 1;
    if (tu_rank() == 0) {
        H5open();
        for (int i = 0; i < n && ok; i++) {
            char ds[16];
            snprintf(ds, sizeof ds, "v%d", i);
            ok = write_foreign(path, ds, *be[i].type, be[i].t, 2, shape, (unsigned)(60 + i),
                               i == 0);
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(ok, "cannot write the foreign file");
    for (int i = 0; i < n; i++) {
        char ds[16];
        snprintf(ds, sizeof ds, "v%d", i);
        pa_array *a = NULL;
        TU_OK(pa_h5_load(ctx, path, ds, NULL, &a), ctx);
        TU_CHECK(pa_array_dtype(a) == be[i].t);
        TU_CHECK(same_shape(a, 2, shape));
        check_array(a, (unsigned)(60 + i), ds);
        pa_h5_opts ind = {.xfer = PA_H5_INDEPENDENT, .dist = PA_REPLICATED};
        pa_array_free(&a);
        TU_OK(pa_h5_load(ctx, path, ds, &ind, &a), ctx);
        check_array(a, (unsigned)(60 + i), ds);
        pa_array_free(&a);
    }
    pa_dtype t;
    int nd;
    size_t sh[PA_MAXDIM];
    TU_OK(pa_h5_info(ctx, path, "/v1", &t, &nd, sh), ctx);
    TU_CHECK(t == PA_F32 && nd == 2 && sh[0] == 29 && sh[1] == 5);
}
END_TEST

/* ------------------------------------------------------------ chunks */

/* tests/data/chunked.h5 (written by tests/data/make_chunked.py with h5py),
 * the same path on every rank; PARRAY_SRCDIR is set by make check. */
static const char *fixture(void)
{
    static char path[1024];
    if (tu_rank() == 0) {
        const char *src = getenv("PARRAY_SRCDIR");
        snprintf(path, sizeof path, "%s/tests/data/chunked.h5", src && *src ? src : ".");
    }
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    return path;
}

/* Whether the node's rows of a equal rows [row0, ...) of want, a whole
 * dataset read by serial HDF5 (its own filters and conversions). */
static int node_equals(pa_array *a, const char *want, size_t row0)
{
    pa_span s;
    size_t es = pa_dtype_size(pa_array_dtype(a)), rowsize = 1, sh[PA_MAXDIM];
    pa_array_shape(a, sh);
    for (int i = 1; i < pa_array_ndim(a); i++)
        rowsize *= sh[i];
    pa_array_node(a, &s);
    return s.count == 0 ||
           memcmp(s.ptr, want + (row0 * rowsize + s.offset) * es, s.count * es) == 0;
}

/* Every chunked dataset of the fixture loads as serial HDF5 reads it:
 * collective and independent, distributed and replicated, and as a block
 * of rows that starts and ends inside chunks. */
START_TEST(chunked_datasets_match_a_serial_read)
{
    static const char *names[] = {
        "rows_cut",
        "odd",
        "rows_filters",
        "auto",
        "auto_gzip",
        "gzip1",
        "gzip6",
        "gzip9",
        "shuffle_gzip",
        "fletcher32",
        "all_filters",
        "big_endian",
        "one_d",
        "three_d",
        "u8",
        "random_gzip",
        "szip",
        "partial",
        "partial_gzip",
        "partial_szip",
        "partial_fill",
        "empty_gzip",
        "fletcher_deflate",
        "fletcher_shuffle",
    };
    const char *path = fixture();
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        pa_dtype t;
        int nd;
        size_t sh[PA_MAXDIM], n = 1;
        TU_OK(pa_h5_info(ctx, path, names[k], &t, &nd, sh), ctx);
        for (int i = 0; i < nd; i++)
            n *= sh[i];
        char *want = malloc(n * pa_dtype_size(t));
        TU_ASSERT(want != NULL, "no memory");
        pa_files_opts fo = {.dataset = names[k]};
        pa__finfo info = {.dtype = t, .ndim = nd};
        memcpy(info.shape, sh, sizeof(size_t) * (size_t)nd);
        TU_OK(pa__h5f_format.read(ctx, "test", path, &fo, &info, want), ctx);
        for (int mode = 0; mode < 4; mode++) {
            pa_h5_opts o = {.xfer = mode & 1 ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE,
                            .dist = mode & 2 ? PA_REPLICATED : PA_DISTRIBUTED};
            pa_array *a = NULL;
            TU_OK(pa_h5_load(ctx, path, names[k], &o, &a), ctx);
            TU_ASSERT(node_equals(a, want, 0), "%s: mode %d differs from HDF5's read", names[k],
                      mode);
            pa_array_free(&a);
        }
        size_t row0 = sh[0] / 3, rows = sh[0] / 2;
        pa_array *b = NULL;
        TU_OK(pa_h5_load_rows(ctx, path, names[k], row0, rows, NULL, &b), ctx);
        TU_ASSERT(node_equals(b, want, row0), "%s: rows %zu + %zu differ", names[k], row0, rows);
        pa_array_free(&b);
        free(want);
    }
}
END_TEST

/* Once rank 0 wrote dataset "v" of path (ok: it could), the dataset loads
 * as the f64 data v: whole, and its rows [row0, row0 + n). */
static void loads_as(const char *path, int ok, const double *v, size_t row0, size_t n)
{
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(ok, "cannot write the chunked file");
    pa_array *a = NULL;
    TU_OK(pa_h5_load(ctx, path, "v", NULL, &a), ctx);
    TU_ASSERT(node_equals(a, (const char *)v, 0), "the node's rows differ from the data");
    pa_array_free(&a);
    TU_OK(pa_h5_load_rows(ctx, path, "v", row0, n, NULL, &a), ctx);
    TU_ASSERT(node_equals(a, (const char *)v, row0), "rows %zu + %zu differ from the data", row0,
              n);
    pa_array_free(&a);
}

/* Rank 0 writes v, (rows, cols) f64, as dataset "v" of a new file path
 * in chunks of cdims, shuffled and deflated (level 4, h5py's gzip) when
 * gzip: 1 when it could (other ranks: 1). */
static int write_v(const char *path, hsize_t rows, hsize_t cols, const hsize_t *cdims, int gzip,
                   const double *v)
{
    if (tu_rank() != 0)
        return 1;
    hsize_t dims[2] = {rows, cols};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int ok = H5Pset_chunk(dcpl, 2, cdims) >= 0;
    if (gzip)
        ok &= H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, 4) >= 0;
    hid_t d = H5Dcreate2(f, "v", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ok &= d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    ok &= H5Fclose(f) >= 0;
    return ok;
}

/* Unfiltered chunks of 8 f64 columns (64-byte lines, h5py's chunks=True
 * for wide f64 arrays), with chunk rows that the ranks' rows and the
 * copy's groups of rows cut: read as serial HDF5 reads them. */
START_TEST(chunks_of_line_wide_columns_match_a_serial_read)
{
    const char *path = file("lines.h5");
    enum { ROWS = 45, COLS = 64 };
    static double v[ROWS * COLS];
    for (int i = 0; i < ROWS * COLS; i++)
        v[i] = i;
    static const hsize_t cdims[2] = {20, 8};
    loads_as(path, write_v(path, ROWS, COLS, cdims, 0, v), v, 7, 30);
}
END_TEST

/* Shuffled and deflated f64 of random bits in chunks of 299 elements (the
 * unshuffle goes 16 elements at a time, and the 11 left over byte by byte),
 * and unfiltered chunks of 16 f64 columns (128-byte lines, copied in 64-byte
 * stores): both read as the data was written. */
START_TEST(shuffled_chunks_and_wide_lines_read_back)
{
    enum { ROWS = 203, COLS = 37 };
    static double v[ROWS * COLS];
    uint64_t h = 88172645463325252u;
    for (int i = 0; i < ROWS * COLS; i++) {
        h ^= h << 13, h ^= h >> 7, h ^= h << 17; /* xorshift64 */
        v[i] = ((double)(h >> 11) - 4503599627370496.0) * 0x1p-40;
    }
    static const hsize_t cdims[2][2] = {{23, 13}, {40, 16}};
    for (int k = 0; k < 2; k++) {
        const char *path = file(k == 0 ? "shuffled.h5" : "lines16.h5");
        loads_as(path, write_v(path, ROWS, COLS, cdims[k], k == 0, v), v, 31, 150);
    }
}
END_TEST

/* Unfiltered chunks that cut rows and columns, written band by band in
 * alternating file order (band 0 in C order, band 1 backwards, ...), 128
 * KiB each and 5 to a band, so that the reader's runs of chunks that lie
 * one after the other in the file are cut by the stage, by the reverse
 * order and by the edge chunks: read as the data was written, whole and as
 * a block of rows that starts and ends inside chunks. */
START_TEST(chunks_in_any_file_order_read_back)
{
    const char *path = file("order.h5");
    enum { ROWS = 70, COLS = 4600, CR = 16, CC = 1024 };
    double *v = malloc(sizeof(double) * ROWS * COLS), *c = malloc(sizeof(double) * CR * CC);
    TU_ASSERT(v && c, "no memory");
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++)
        v[i] = (double)i;
    int ok = 1;
    if (tu_rank() == 0) {
        hsize_t dims[2] = {ROWS, COLS}, cdims[2] = {CR, CC};
        hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
        ok &= H5Pset_chunk(dcpl, 2, cdims) >= 0;
        hid_t d = H5Dcreate2(f, "v", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        ok &= d >= 0;
        int nr = (ROWS + CR - 1) / CR, nc = (COLS + CC - 1) / CC;
        for (int b = 0; ok && b < nr; b++)
            for (int k = 0; ok && k < nc; k++) {
                int j = b % 2 ? nc - 1 - k : k;
                /* The chunk's elements, zero past the dataset's edge. */
                for (int r = 0; r < CR; r++)
                    for (int q = 0; q < CC; q++) {
                        size_t gr = (size_t)b * CR + (size_t)r, gc = (size_t)j * CC + (size_t)q;
                        c[r * CC + q] = gr < ROWS && gc < COLS ? v[gr * COLS + gc] : 0;
                    }
                hsize_t org[2] = {(hsize_t)b * CR, (hsize_t)j * CC};
                ok &= H5Dwrite_chunk(d, H5P_DEFAULT, 0, org, sizeof(double) * CR * CC, c) >= 0;
            }
        H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(sp);
        ok &= H5Fclose(f) >= 0;
    }
    loads_as(path, ok, v, 5, 60);
    free(v);
    free(c);
}
END_TEST

/* A filter that this HDF5 lacks (h5py's lzf) is named, with its id and the
 * way to convert the file, not HDF5's plugin search. */
START_TEST(missing_filter_is_named)
{
    pa_array *a = NULL;
    TU_RC(pa_h5_load(ctx, fixture(), "lzf", NULL, &a), PA_ENOTSUP, ctx);
    const char *msg = pa_errmsg(ctx);
    TU_ASSERT(strstr(msg, "'lzf' (id 32000)") && strstr(msg, "h5repack -f NONE") &&
                  !strstr(msg, "plugins"),
              "message: %s", msg);
    TU_CHECK(a == NULL);
}
END_TEST

/* A chunk whose fletcher32 checksum does not match is an error naming the
 * chunk, on every rank; so is deflate data that does not inflate. */
START_TEST(damaged_chunks_are_refused)
{
    const char *path = file("damaged.h5");
    int ok = 1;
    if (tu_rank() == 0) {
        hsize_t dims[2] = {40, 6}, cdims[2] = {10, 6};
        double v[240];
        for (int i = 0; i < 240; i++)
            v[i] = i;
        hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Screate_simple(2, dims, NULL);
        for (int k = 0; k < 2; k++) {
            hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
            ok &= H5Pset_chunk(dcpl, 2, cdims) >= 0 &&
                  (k == 0 ? H5Pset_fletcher32(dcpl) : H5Pset_deflate(dcpl, 1)) >= 0;
            hid_t d = H5Dcreate2(f, k == 0 ? "sum" : "zip", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl,
                                 H5P_DEFAULT);
            ok &= d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
            /* Damage the chunk at row 20: one byte of its data. */
            hsize_t org[2] = {20, 0}, size = 0;
            haddr_t addr = HADDR_UNDEF;
            unsigned mask;
            ok &= H5Dget_chunk_info_by_coord(d, org, &mask, &addr, &size) >= 0;
            H5Dclose(d);
            H5Pclose(dcpl);
            H5Fflush(f, H5F_SCOPE_GLOBAL);
            int fd = open(path, O_RDWR);
            unsigned char c;
            off_t at = (off_t)addr + (off_t)size / 2;
            ok &= fd >= 0 && pread(fd, &c, 1, at) == 1;
            c ^= 0x5a;
            ok &= fd >= 0 && pwrite(fd, &c, 1, at) == 1;
            if (fd >= 0)
                close(fd);
        }
        H5Sclose(sp);
        ok &= H5Fclose(f) >= 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(ok, "cannot write the damaged file");
    pa_array *a = NULL;
    TU_RC(pa_h5_load(ctx, path, "sum", NULL, &a), PA_EFORMAT, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "the chunk at row 20 fails its fletcher32 checksum"),
              "message: %s", pa_errmsg(ctx));
    TU_RC(pa_h5_load(ctx, path, "zip", NULL, &a), PA_EFORMAT, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "the chunk at row 20"), "message: %s", pa_errmsg(ctx));
    TU_CHECK(a == NULL);
}
END_TEST

/* Rank 0 writes dataset name (40 x 6 doubles, chunks of 10 whole rows,
 * shuffle then deflate) into f, all chunks valid but the last (row 30):
 * that one stored as the n bytes at data, with filter mask mask. */
static int write_hostile(hid_t f, const char *name, uint32_t mask, const void *data, size_t n)
{
    hsize_t dims[2] = {40, 6}, cdims[2] = {10, 6}, org[2] = {30, 0};
    double v[240] = {0};
    hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int ok = H5Pset_chunk(dcpl, 2, cdims) >= 0 && H5Pset_shuffle(dcpl) >= 0 &&
             H5Pset_deflate(dcpl, 1) >= 0;
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ok &= d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 &&
          H5Dwrite_chunk(d, H5P_DEFAULT, mask, org, n, data) >= 0;
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return ok;
}

/* A chunk that decodes to more bytes than a chunk is refused, on every
 * rank, and nothing is written past its place in the node block (the
 * decoding into the node block is capped): stored raw (deflate skipped by
 * its filter mask) 64 bytes or 8 MiB too long, or deflate data that
 * inflates to 64 bytes too many. */
START_TEST(oversized_chunks_are_refused)
{
    const char *path = file("oversized.h5");
    enum { CHUNK = 480, BIG = 8 << 20 };
    int ok = 1;
    if (tu_rank() == 0) {
        unsigned char *raw = calloc(1, BIG), zip[1024];
        uLongf zn = sizeof zip;
        ok = raw && compress2(zip, &zn, raw, CHUNK + 64, 1) == Z_OK;
        hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        /* Filter 1 (deflate) skipped. */
        ok &= ok && write_hostile(f, "raw", 2u, raw, CHUNK + 64) &&
              write_hostile(f, "raw_big", 2u, raw, BIG) && write_hostile(f, "zip", 0, zip, zn);
        ok &= H5Fclose(f) >= 0;
        free(raw);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(ok, "cannot write the file");
    static const char *names[] = {"raw", "raw_big", "zip"};
    for (int k = 0; k < 3; k++) {
        pa_array *a = NULL;
        TU_RC(pa_h5_load(ctx, path, names[k], NULL, &a), PA_EFORMAT, ctx);
        /* 8 MiB is refused by its size before anything is read. */
        const char *want = k == 1 ? "the chunk at row 30 is stored in 8388608 bytes, more than "
                                    "its filters make of 480 bytes"
                                  : "the chunk at row 30 does not decode to a whole chunk";
        TU_ASSERT(strstr(pa_errmsg(ctx), want) && tu_same_str(pa_errmsg(ctx)), "%s: message: %s",
                  names[k], pa_errmsg(ctx));
        TU_CHECK(a == NULL);
    }
}
END_TEST

/* ------------------------------------------------------------ attributes */

START_TEST(attributes)
{
    const char *path = file("attr.h5");
    size_t shape[1] = {10};
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_I64, 1, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_h5_save(a, path, "/grp/x", NULL), ctx);
    pa_array_free(&a);

    char *s = NULL;
    TU_OK(pa_h5_attr_get_str(ctx, path, "/grp/x", "parray_version", &s), ctx);
    TU_ASSERT(s && strcmp(s, pa_version()) == 0, "parray_version is '%s'", s ? s : "(null)");
    free(s);

    static const char *objs[] = {"/grp/x", "grp", "/"};
    for (int i = 0; i < 3; i++) {
        double v;
        int64_t iv;
        TU_OK(pa_h5_attr_set_str(ctx, path, objs[i], "units", "metres per second"), ctx);
        TU_OK(pa_h5_attr_set_num(ctx, path, objs[i], "scale", 0.1 * (i + 1)), ctx);
        TU_OK(pa_h5_attr_set_int(ctx, path, objs[i], "count", -((int64_t)1 << 60) + i), ctx);
        /* Replacing an attribute, with another kind of value. */
        TU_OK(pa_h5_attr_set_str(ctx, path, objs[i], "note", "first"), ctx);
        TU_OK(pa_h5_attr_set_str(ctx, path, objs[i], "note", "second, longer"), ctx);
        s = NULL;
        TU_OK(pa_h5_attr_get_str(ctx, path, objs[i], "units", &s), ctx);
        TU_ASSERT(s && strcmp(s, "metres per second") == 0, "units '%s'", s ? s : "");
        free(s);
        s = NULL;
        TU_OK(pa_h5_attr_get_str(ctx, path, objs[i], "note", &s), ctx);
        TU_ASSERT(s && strcmp(s, "second, longer") == 0, "note '%s'", s ? s : "");
        free(s);
        TU_OK(pa_h5_attr_get_num(ctx, path, objs[i], "scale", &v), ctx);
        TU_CHECK(v == 0.1 * (i + 1));
        TU_OK(pa_h5_attr_get_int(ctx, path, objs[i], "count", &iv), ctx);
        TU_CHECK(iv == -((int64_t)1 << 60) + i);
        /* An integer reads as a number too; a float is not an integer. */
        TU_OK(pa_h5_attr_get_num(ctx, path, objs[i], "count", &v), ctx);
        TU_CHECK(v == (double)(-((int64_t)1 << 60) + i));
        TU_RC(pa_h5_attr_get_int(ctx, path, objs[i], "scale", &iv), PA_EFORMAT, ctx);
        TU_RC(pa_h5_attr_get_num(ctx, path, objs[i], "units", &v), PA_EFORMAT, ctx);
        TU_RC(pa_h5_attr_get_str(ctx, path, objs[i], "scale", &s), PA_EFORMAT, ctx);
        TU_RC(pa_h5_attr_get_str(ctx, path, objs[i], "nope", &s), PA_EIO, ctx);
        TU_CHECK(strstr(pa_errmsg(ctx), "no attribute 'nope'") != NULL);
    }
    /* Attributes written by the plain C API as h5py does (a fixed-length
     * string, a 32-bit unsigned and a float32) read back. */
    int ok = 1;
    if (tu_rank() == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), sp = H5Screate(H5S_SCALAR);
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, 5);
        hid_t a1 = H5Acreate2(f, "fixed", st, sp, H5P_DEFAULT, H5P_DEFAULT);
        hid_t a2 = H5Acreate2(f, "u32", H5T_STD_U32BE, sp, H5P_DEFAULT, H5P_DEFAULT);
        hid_t a3 = H5Acreate2(f, "f32", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        uint32_t u = 4000000000u;
        float fl = 2.5f;
        ok = H5Awrite(a1, st, "hello") >= 0 && H5Awrite(a2, H5T_NATIVE_UINT32, &u) >= 0 &&
             H5Awrite(a3, H5T_NATIVE_FLOAT, &fl) >= 0;
        H5Aclose(a1), H5Aclose(a2), H5Aclose(a3), H5Tclose(st), H5Sclose(sp);
        ok = ok && H5Fclose(f) >= 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_CHECK(ok);
    s = NULL;
    TU_OK(pa_h5_attr_get_str(ctx, path, "/", "fixed", &s), ctx);
    TU_ASSERT(s && strcmp(s, "hello") == 0, "fixed '%s'", s ? s : "");
    free(s);
    int64_t iv = 0;
    double v = 0;
    TU_OK(pa_h5_attr_get_int(ctx, path, "/", "u32", &iv), ctx);
    TU_CHECK(iv == 4000000000);
    TU_OK(pa_h5_attr_get_num(ctx, path, "/", "f32", &v), ctx);
    TU_CHECK(v == 2.5);

    /* Bad input. */
    TU_RC(pa_h5_attr_set_str(ctx, path, "/missing", "a", "b"), PA_EIO, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "no object '/missing'") != NULL);
    TU_RC(pa_h5_attr_set_str(ctx, file("none.h5"), "/", "a", "b"), PA_EIO, ctx);
    TU_RC(pa_h5_attr_set_str(ctx, path, "/", "", "b"), PA_EINVAL, ctx);
    TU_RC(pa_h5_attr_set_str(ctx, path, "/", "a", NULL), PA_EINVAL, ctx);
    TU_RC(pa_h5_attr_get_str(ctx, path, "/", "a", NULL), PA_EINVAL, ctx);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

/* ------------------------------------------------------------ groups */

START_TEST(groups_and_replacing)
{
    const char *path = file("multi.h5");
    size_t s1[2] = {40, 3}, s2[1] = {17}, s3[3] = {5, 4, 3};
    pa_array *a = NULL, *b = NULL, *c = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_I32, 1, s2, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_U8, 3, s3, PA_DISTRIBUTED, &c), ctx);
    fill(a, 11), fill(b, 12), fill(c, 13);
    TU_OK(pa_h5_save(a, path, "/a/b/c/x", NULL), ctx);
    TU_OK(pa_h5_save(b, path, "/a/y", NULL), ctx);
    TU_OK(pa_h5_save(b, path, "top", NULL), ctx);
    TU_OK(pa_h5_attr_set_str(ctx, path, "/a", "kept", "yes"), ctx);
    /* Replace /a/b/c/x by an array of another dtype and shape. */
    TU_OK(pa_h5_save(c, path, "/a/b/c/x", NULL), ctx);
    pa_array *r = NULL;
    TU_OK(pa_h5_load(ctx, path, "/a/b/c/x", NULL, &r), ctx);
    TU_CHECK(pa_array_dtype(r) == PA_U8 && same_shape(r, 3, s3));
    check_array(r, 13, "replaced");
    pa_array_free(&r);
    check_file(path, "/a/y", 12, "kept /a/y");
    check_file(path, "/top", 12, "kept /top");
    char *s = NULL;
    TU_OK(pa_h5_attr_get_str(ctx, path, "/a", "kept", &s), ctx);
    TU_CHECK(s && strcmp(s, "yes") == 0);
    free(s);

    /* A dataset cannot hold a dataset, and a group is not replaced. */
    TU_RC(pa_h5_save(a, path, "/a/y/z", NULL), PA_EFORMAT, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "'/a/y' is not a group") != NULL);
    TU_RC(pa_h5_save(a, path, "/a/b", NULL), PA_EFORMAT, ctx);
    TU_RC(pa_h5_load(ctx, path, "/a/b", NULL, &r), PA_EFORMAT, ctx);
    TU_CHECK(r == NULL);
    TU_CHECK(stale_temps() == 0);

    /* A file that holds only the dataset being saved is made anew; one
     * with more keeps the rest. */
    const char *single = file("single.h5");
    TU_OK(pa_h5_save(a, single, "/g/x", NULL), ctx);
    TU_OK(pa_h5_save(c, single, "/g/x", NULL), ctx);
    check_file(single, "/g/x", 13, "saved again");
    TU_OK(pa_h5_save(b, single, "/g/y", NULL), ctx);
    TU_OK(pa_h5_save(a, single, "/g/x", NULL), ctx);
    check_file(single, "/g/y", 12, "kept /g/y");
    check_file(single, "/g/x", 11, "replaced /g/x");
    TU_OK(pa_h5_attr_set_num(ctx, single, "/g", "k", 1.0), ctx);
    TU_OK(pa_h5_save(c, single, "/g/y", NULL), ctx);
    double k = 0;
    TU_OK(pa_h5_attr_get_num(ctx, single, "/g", "k", &k), ctx);
    TU_CHECK(k == 1.0);

    /* truncate makes the file anew. */
    pa_h5_opts tr = {.truncate = 1};
    TU_OK(pa_h5_save(a, path, "only", &tr), ctx);
    TU_RC(pa_h5_load(ctx, path, "/a/y", NULL, &r), PA_EIO, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "no dataset '/a/y'") != NULL);
    check_file(path, "only", 11, "truncated file");
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&c);
}
END_TEST

/* ------------------------------------------------------------ bad input */

/* Collective: rank 0 runs fn(arg) and shares its success. */
static int on_rank0(int (*fn)(const char *), const char *arg)
{
    int ok = tu_rank() == 0 ? fn(arg) : 1;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return ok;
}

static int write_text(const char *p)
{
    FILE *f = fopen(p, "w");
    if (!f)
        return 0;
    fputs("this is not HDF5\n", f);
    return fclose(f) == 0;
}

/* Keeps the first 3000 bytes of a file (the superblock survives, the
 * object headers and data do not). */
static int truncate_file(const char *p)
{
    return truncate(p, 3000) == 0;
}

/* Overwrites the bytes after the superblock with garbage. */
static int corrupt_file(const char *p)
{
    FILE *f = fopen(p, "r+b");
    if (!f)
        return 0;
    char junk[2048];
    memset(junk, 0xA5, sizeof junk);
    int ok = fseek(f, 96, SEEK_SET) == 0 && fwrite(junk, 1, sizeof junk, f) == sizeof junk;
    return fclose(f) == 0 && ok;
}

/* Datasets parray does not hold, written by rank 0. */
static int write_unsupported(const char *p)
{
    hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d1[1] = {4}, d9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 2};
    hid_t sp1 = H5Screate_simple(1, d1, NULL), sp9 = H5Screate_simple(9, d9, NULL);
    hid_t sc = H5Screate(H5S_SCALAR), sn = H5Screate(H5S_NULL);
    hid_t str = H5Tcopy(H5T_C_S1), cmp = H5Tcreate(H5T_COMPOUND, 12);
    H5Tset_size(str, 8);
    H5Tinsert(cmp, "a", 0, H5T_NATIVE_INT);
    H5Tinsert(cmp, "b", 4, H5T_NATIVE_DOUBLE);
    /* Integers of widths no dtype has: 128-bit signed, 24-bit unsigned. */
    hid_t i128 = H5Tcopy(H5T_STD_I64LE), u24 = H5Tcopy(H5T_STD_U32LE);
    H5Tset_precision(i128, 128);
    H5Tset_precision(u24, 24);
    H5Tset_size(u24, 3);
    struct {
        const char *name;
        hid_t type, space;
    } ds[] = {
        {"i128", i128, sp1},
        {"u24", u24, sp1},
        {"f128", H5T_NATIVE_LDOUBLE, sp1},
        {"str", str, sp1},
        {"cmp", cmp, sp1},
        {"scalar", H5T_IEEE_F64LE, sc},
        {"null", H5T_IEEE_F64LE, sn},
        {"dim9", H5T_IEEE_F64LE, sp9},
    };
    int ok = f >= 0;
    for (size_t i = 0; ok && i < sizeof ds / sizeof ds[0]; i++) {
        hid_t d = H5Dcreate2(f, ds[i].name, ds[i].type, ds[i].space, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        ok = d >= 0;
        if (d >= 0)
            H5Dclose(d);
    }
    hid_t g = H5Gcreate2(f, "grp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Tclose(str), H5Tclose(cmp), H5Tclose(i128), H5Tclose(u24), H5Sclose(sp1), H5Sclose(sp9),
        H5Sclose(sc), H5Sclose(sn);
    return H5Fclose(f) >= 0 && ok;
}

/* A load that must fail with code on every rank, the same message
 * everywhere, containing want. */
static void load_fails(const char *path, const char *ds, int code, const char *want)
{
    pa_array *a = (pa_array *)&a;
    TU_RC(pa_h5_load(ctx, path, ds, NULL, &a), code, ctx);
    TU_CHECK(a == NULL);
    TU_ASSERT(strstr(pa_errmsg(ctx), want) != NULL, "message '%s' lacks '%s'", pa_errmsg(ctx),
              want);
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
}

START_TEST(bad_files)
{
    load_fails(file("missing.h5"), "x", PA_EIO, "No such file or directory");
    load_fails(dir, "x", PA_EINVAL, "is a directory, not a regular file");
    const char *txt = file("text.h5");
    TU_CHECK(on_rank0(write_text, txt));
    load_fails(txt, "x", PA_EFORMAT, "not an HDF5 file");

    size_t shape[2] = {300, 10};
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 1);
    const char *good = file("good.h5");
    TU_OK(pa_h5_save(a, good, "x", NULL), ctx);
    load_fails(good, "y", PA_EIO, "no dataset '/y'");
    load_fails(good, "", PA_EINVAL, "empty");
    load_fails(good, "/a//b", PA_EINVAL, "empty component");

    const char *tr = file("trunc.h5");
    TU_OK(pa_h5_save(a, tr, "x", NULL), ctx);
    TU_CHECK(on_rank0(truncate_file, tr));
    load_fails(tr, "x", PA_EIO, tr);
    const char *bad = file("corrupt.h5");
    TU_OK(pa_h5_save(a, bad, "x", NULL), ctx);
    TU_CHECK(on_rank0(corrupt_file, bad));
    load_fails(bad, "x", PA_EIO, bad);

    /* A save into a foreign or damaged file leaves it alone. */
    TU_RC(pa_h5_save(a, txt, "x", NULL), PA_EFORMAT, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "not an HDF5 file") != NULL);
    struct stat st;
    TU_CHECK(stat(txt, &st) == 0 && st.st_size == 17);
    TU_RC(pa_h5_save(a, tr, "y", NULL), PA_EIO, ctx);
    TU_CHECK(stat(tr, &st) == 0 && st.st_size == 3000);
    /* ... unless asked to make the file anew. */
    pa_h5_opts anew = {.truncate = 1};
    TU_OK(pa_h5_save(a, txt, "x", &anew), ctx);
    pa_array *b = NULL;
    TU_OK(pa_h5_load(ctx, txt, "x", NULL, &b), ctx);
    check_array(b, 1, "saved over a text file");
    pa_array_free(&b);

    /* Paths that cannot be written. */
    TU_RC(pa_h5_save(a, file("no/such/dir/x.h5"), "x", NULL), PA_EIO, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "No such file or directory") != NULL);
    TU_RC(pa_h5_save(a, dir, "x", NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "is a directory") != NULL);
    if (geteuid() != 0) {
        /* Root passes permission checks, so this part runs as a normal user
         * (tests/h5.sh runs the same check as root, through setpriv). */
        const char *ro = file("ro");
        if (tu_rank() == 0)
            mkdir(ro, 0500);
        MPI_Barrier(MPI_COMM_WORLD);
        char p[1024];
        snprintf(p, sizeof p, "%s/x.h5", ro);
        TU_RC(pa_h5_save(a, p, "x", NULL), PA_EIO, ctx);
        TU_CHECK(strstr(pa_errmsg(ctx), "Permission denied") != NULL);
    }
    pa_array_free(&a);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

START_TEST(unsupported_datasets)
{
    const char *p = file("unsup.h5");
    TU_CHECK(on_rank0(write_unsupported, p));
    load_fails(p, "i128", PA_ENOTSUP, "128-bit signed integers are not supported");
    load_fails(p, "u24", PA_ENOTSUP, "24-bit unsigned integers are not supported");
    load_fails(p, "f128", PA_ENOTSUP, "-bit floats are not supported");
    load_fails(p, "str", PA_ENOTSUP, "string data is not supported");
    load_fails(p, "cmp", PA_ENOTSUP, "compound data is not supported");
    load_fails(p, "scalar", PA_ENOTSUP, "scalar dataset");
    load_fails(p, "null", PA_ENOTSUP, "null dataspace");
    load_fails(p, "dim9", PA_ENOTSUP, "9 dimensions are not supported");
    load_fails(p, "grp", PA_EFORMAT, "is a group, not a dataset");
    pa_dtype t;
    TU_RC(pa_h5_info(ctx, p, "cmp", &t, NULL, NULL), PA_ENOTSUP, ctx);
}
END_TEST

START_TEST(bad_arguments)
{
    size_t shape[1] = {8};
    pa_array *a = NULL, *b = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, shape, PA_DISTRIBUTED, &a), ctx);
    const char *p = file("args.h5");
    TU_RC(pa_h5_save(NULL, p, "x", NULL), PA_EINVAL, NULL);
    TU_RC(pa_h5_save(a, NULL, "x", NULL), PA_EINVAL, ctx);
    TU_RC(pa_h5_save(a, p, NULL, NULL), PA_EINVAL, ctx);
    TU_RC(pa_h5_save(a, p, "/", NULL), PA_EINVAL, ctx);
    TU_RC(pa_h5_save(a, p, "x/", NULL), PA_EINVAL, ctx);
    pa_h5_opts o = {.deflate = 10};
    TU_RC(pa_h5_save(a, p, "x", &o), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "opts->deflate") != NULL);
    pa_h5_opts o2 = {.xfer = (pa_h5_xfer)5};
    TU_RC(pa_h5_save(a, p, "x", &o2), PA_EINVAL, ctx);
    pa_h5_opts o3 = {.dist = (pa_dist)9};
    TU_RC(pa_h5_load(ctx, p, "x", &o3, &b), PA_EINVAL, ctx);
    TU_RC(pa_h5_load(ctx, p, "x", NULL, NULL), PA_EINVAL, ctx);
    TU_RC(pa_h5_load(NULL, p, "x", NULL, &b), PA_EINVAL, NULL);
    /* An argument that differs between ranks is agreed, not a hang. */
    TU_RC(pa_h5_save(a, tu_rank() == tu_size() - 1 ? NULL : p, "x", NULL), PA_EINVAL, ctx);
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
    pa_array_free(&a);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

/* ------------------------------------------------------------ faults */

/* The PARRAY_FAULT spec of a failure test's pass: 0, the last rank (rank 0
 * for a site that only rank 0 reaches); 1, every rank. */
static void fault_spec(char *spec, size_t len, const char *site, int pass, int rank0_only)
{
    if (pass == 0)
        snprintf(spec, len, "%s@%d", site, rank0_only ? 0 : tu_size() - 1);
    else
        snprintf(spec, len, "%s@*", site);
}

/* A new i64 array of c of that shape, holding the pattern of salt. */
static pa_array *pattern_array(pa_ctx *c, const size_t *shape, unsigned salt)
{
    pa_array *n = NULL;
    TU_OK(pa_array_create(c, PA_I64, 2, shape, PA_DISTRIBUTED, &n), c);
    pa_span sp;
    pa_array_local(n, &sp);
    fill_buf(PA_I64, sp.offset, sp.count, salt, sp.ptr);
    TU_OK(pa_array_sync(n), c);
    return n;
}

START_TEST(failures_on_one_rank)
{
    const char *path = file("old.h5");
    size_t shape[2] = {64, 5};
    pa_array *a = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, PA_I64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 21);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    pa_array_free(&a);

    /* h5_reserve is rank 0's space reservation; the others fail where any
     * rank may. */
    static const char *sites[] = {"h5_write", "safe_commit", "h5_reserve"};
    char spec[64];
    for (int s = 0; s < 3; s++)
        for (int pass = 0; pass < 2; pass++) {
            /* The last rank (rank 0 for h5_reserve), then every rank. */
            fault_spec(spec, sizeof spec, sites[s], pass, s == 2);
            pa_ctx *c = tu_fault_ctx(spec);
            pa_array *n = pattern_array(c, shape, 22);
            for (int mode = 0; mode < 2; mode++) {
                pa_h5_opts o = {.truncate = mode, .xfer = mode ? PA_H5_INDEPENDENT : 0};
                TU_RC(pa_h5_save(n, path, "x", &o), PA_EIO, c);
                TU_CHECK(strstr(pa_errmsg(c), "injected") != NULL);
                TU_CHECK(tu_same_str(pa_errmsg(c)));
            }
            pa_array_free(&n);
            TU_OK(pa_finalize(&c), NULL);
            /* The old file is intact and no temporary is left. */
            check_file(path, "x", 21, spec);
            TU_CHECK(stale_temps() == 0);
        }

    pa_ctx *c = tu_fault_ctx("h5_read@0");
    TU_RC(pa_h5_load(c, path, "x", NULL, &r), PA_EIO, c);
    TU_CHECK(r == NULL && strstr(pa_errmsg(c), "injected read fault") != NULL);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

/* The inode and size of path (0, 0 when missing). */
static void file_id(const char *path, ino_t *ino, off_t *size)
{
    struct stat st;
    int ok = stat(path, &st) == 0;
    *ino = ok ? st.st_ino : 0;
    *size = ok ? st.st_size : 0;
}

/* A file that holds other datasets is saved into in place: the same file
 * (inode) is modified, the dataset replaced and added, everything else
 * kept, no temporary name left; with copy a new file is renamed over it.
 * Replacing a dataset again and again reuses the space of the one replaced
 * before (free space tracked in the file), so the file stops growing. */
START_TEST(saves_in_place)
{
    const char *path = file("inplace.h5");
    size_t shape[2] = {300, 50};
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 1);
    TU_OK(pa_h5_save(a, path, "keep", NULL), ctx);
    fill(a, 2);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    ino_t ino0, ino;
    off_t size0, size;
    file_id(path, &ino0, &size0);
    off_t sizes[4];
    for (int k = 0; k < 4; k++) {
        fill(a, 10 + k);
        TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
        file_id(path, &ino, &sizes[k]);
        TU_CHECK(ino == ino0);
        check_file(path, "x", 10 + k, "x replaced in place");
        check_file(path, "keep", 1, "keep, after x was replaced in place");
        TU_RC(pa_h5_info(ctx, path, ".x.parray-tmp", NULL, NULL, NULL), PA_EIO, ctx);
    }
    /* Each replacement writes the new data before the old is freed, so the
     * file holds two copies of x, and then reuses the space of the one
     * replaced before: two more replacements add a few kB of metadata, not
     * two copies of x (240 kB) as without free space kept in the file. */
    off_t xbytes = 300 * 50 * 8;
    TU_ASSERT(sizes[3] - sizes[1] < xbytes / 4, "the file grew from %lld to %lld bytes",
              (long long)sizes[1], (long long)sizes[3]);
    fill(a, 20);
    TU_OK(pa_h5_save(a, path, "/g/h/new", NULL), ctx);
    file_id(path, &ino, &size);
    TU_CHECK(ino == ino0);
    check_file(path, "/g/h/new", 20, "a dataset added in place, groups made");
    TU_RC(pa_h5_info(ctx, path, "/g/h/.new.parray-tmp", NULL, NULL, NULL), PA_EIO, ctx);
    /* A temporary name that a killed save left is replaced, then gone. */
    TU_OK(pa_h5_save(a, path, ".x.parray-tmp", NULL), ctx);
    fill(a, 21);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    check_file(path, "x", 21, "x, saved over a stale temporary name");
    TU_RC(pa_h5_info(ctx, path, ".x.parray-tmp", NULL, NULL, NULL), PA_EIO, ctx);
    /* durable: flushed and fsynced before the link, the same file. */
    pa_h5_opts dur = {.durable = 1};
    fill(a, 23);
    TU_OK(pa_h5_save(a, path, "x", &dur), ctx);
    file_id(path, &ino, &size);
    TU_CHECK(ino == ino0);
    check_file(path, "x", 23, "x, saved in place with durable");
    /* copy: a new file with everything. */
    pa_h5_opts o = {.copy = 1};
    fill(a, 22);
    TU_OK(pa_h5_save(a, path, "x", &o), ctx);
    file_id(path, &ino, &size);
    TU_CHECK(ino != ino0);
    check_file(path, "x", 22, "x, saved with copy");
    check_file(path, "keep", 1, "keep, after a save with copy");
    check_file(path, "/g/h/new", 20, "new, after a save with copy");
    pa_h5_opts bad = {.copy = 2};
    TU_RC(pa_h5_save(a, path, "x", &bad), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "opts->copy = 2") != NULL);
    pa_array_free(&a);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

/* A save in place that fails on one rank or on every rank, at each step
 * (the data write, the link over the old dataset, the space reservation),
 * fails on every rank and leaves the file as it was: the old dataset, the
 * others, no temporary name; a new dataset is not added. */
START_TEST(in_place_failures_on_one_rank)
{
    const char *path = file("inplace_fail.h5");
    size_t shape[2] = {64, 5};
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_I64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 31);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    fill(a, 32);
    TU_OK(pa_h5_save(a, path, "keep", NULL), ctx);
    pa_array_free(&a);
    ino_t ino0, ino;
    off_t size;
    file_id(path, &ino0, &size);
    static const char *sites[] = {"h5_write", "h5_link", "h5_reserve"};
    char spec[64];
    for (int s = 0; s < 3; s++)
        for (int pass = 0; pass < 2; pass++) {
            fault_spec(spec, sizeof spec, sites[s], pass, s == 2);
            pa_ctx *c = tu_fault_ctx(spec);
            pa_array *n = pattern_array(c, shape, 33);
            for (int mode = 0; mode < 2; mode++) {
                pa_h5_opts o = {.xfer = mode ? PA_H5_INDEPENDENT : 0};
                TU_RC(pa_h5_save(n, path, mode ? "added" : "x", &o), PA_EIO, c);
                TU_ASSERT(strstr(pa_errmsg(c), "injected") != NULL, "%s: %s", spec, pa_errmsg(c));
                TU_CHECK(tu_same_str(pa_errmsg(c)));
            }
            pa_array_free(&n);
            TU_OK(pa_finalize(&c), NULL);
            check_file(path, "x", 31, spec);
            check_file(path, "keep", 32, spec);
            TU_RC(pa_h5_info(ctx, path, "added", NULL, NULL, NULL), PA_EIO, ctx);
            TU_RC(pa_h5_info(ctx, path, ".x.parray-tmp", NULL, NULL, NULL), PA_EIO, ctx);
            TU_RC(pa_h5_info(ctx, path, ".added.parray-tmp", NULL, NULL, NULL), PA_EIO, ctx);
            file_id(path, &ino, &size);
            TU_CHECK(ino == ino0);
            TU_CHECK(stale_temps() == 0);
        }
}
END_TEST

/* HDF5's read of a chunked dataset (szip) opens it again; that open
 * failing on one rank fails the load on every rank, collective or not,
 * instead of leaving the ranks that opened it in a retry of their own. */
START_TEST(reopen_fails_on_one_rank)
{
    char spec[64];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            snprintf(spec, sizeof spec, "h5_reopen@%d", tu_size() - 1);
        else
            snprintf(spec, sizeof spec, "h5_reopen@*");
        pa_ctx *c = tu_fault_ctx(spec);
        for (int mode = 0; mode < 2; mode++) {
            pa_h5_opts o = {.xfer = mode ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE};
            pa_array *a = NULL;
            TU_RC(pa_h5_load(c, fixture(), "szip", &o, &a), PA_EIO, c);
            TU_ASSERT(a == NULL && strstr(pa_errmsg(c), "cannot open dataset '/szip'"),
                      "message: %s", pa_errmsg(c));
            TU_CHECK(tu_same_str(pa_errmsg(c)));
        }
        TU_OK(pa_finalize(&c), NULL);
    }
}
END_TEST

/* The descriptors this process holds. */
static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Paths longer than MPI-IO is given as they are (Open MPI's ompio crashed on
 * them): saves (new, and keeping another dataset) and loads work through
 * /proc/self/fd, whose number every rank agrees on even when the ranks'
 * next free descriptors differ; nothing stays open. Without /proc/self/fd
 * (on rank 0 only) they fail on every rank with one message, and the old
 * file is left intact with no temporary. */
START_TEST(long_paths)
{
    char longdir[1024], path[1100], name[241];
    memset(name, 'L', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(longdir, sizeof longdir, "%s/%s", dir, name);
    snprintf(path, sizeof path, "%s/x.h5", longdir);
    int made = tu_rank() == 0 ? mkdir(longdir, 0755) == 0 : 1;
    TU_CHECK(made); /* and, being collective, every rank now sees it */
    /* The last rank holds two more descriptors than the others. */
    int extra[2] = {-1, -1};
    for (int i = 0; i < 2 && tu_rank() == tu_size() - 1; i++)
        extra[i] = open("/", O_RDONLY | O_CLOEXEC);
    int fds = open_fds();

    pa__mpio_name n;
    int rc = pa__mpio_name_begin(ctx, ctx->comm, "test", longdir, &n);
    TU_RC(rc, PA_OK, ctx);
    struct stat by_name, by_path;
    TU_CHECK(strncmp(n.name, "/proc/self/fd/", 14) == 0 && atoi(n.name + 14) == n.fd);
    TU_SAME_INT(n.fd);
    TU_CHECK(stat(n.name, &by_name) == 0 && stat(longdir, &by_path) == 0 &&
             by_name.st_ino == by_path.st_ino);
    pa__mpio_name_end(&n);

    size_t shape[2] = {40, 3};
    pa_array *a = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 31);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    fill(a, 32);
    TU_OK(pa_h5_save(a, path, "y", NULL), ctx); /* keeps x: a copy, opened read-write */
    check_file(path, "x", 31, "x");
    check_file(path, "y", 32, "y");
    TU_CHECK(open_fds() == fds);

    pa_ctx *c = tu_fault_ctx("mpio_no_proc@0");
    pa_array *b = NULL;
    TU_OK(pa_array_create(c, PA_F64, 2, shape, PA_DISTRIBUTED, &b), c);
    TU_RC(pa_h5_save(b, path, "x", NULL), PA_EINVAL, c);
    TU_CHECK(strstr(pa_errmsg(c), "bytes long, more than the 224") != NULL);
    TU_CHECK(tu_same_str(pa_errmsg(c)));
    TU_RC(pa_h5_load(c, path, "x", NULL, &r), PA_EINVAL, c);
    TU_CHECK(r == NULL);
    pa_array_free(&b);
    TU_OK(pa_finalize(&c), NULL);
    check_file(path, "x", 31, "x after the refused save");
    TU_CHECK(tu_stale_temps(longdir) == 0);
    TU_CHECK(open_fds() == fds);

    pa_array_free(&a);
    for (int i = 0; i < 2; i++)
        if (extra[i] >= 0)
            close(extra[i]);
}
END_TEST

/* ------------------------------------------------------------ row blocks */

/* Collective: a's node block holds the pattern of dataset rows from row0. */
static void check_rows(pa_array *a, size_t row0, size_t rowsize, unsigned salt, const char *what)
{
    pa_span s;
    pa_array_node(a, &s);
    size_t bad = 0;
    int ok = buf_ok(pa_array_dtype(a), row0 * rowsize + s.offset, s.count, salt, s.ptr, &bad);
    TU_ASSERT(ok, "%s: element %zu differs", what, bad);
}

static const struct {
    pa_dtype t;
    int ndim;
    size_t shape[3];
} row_cases[] = {
    {PA_F32, 2, {2003, 13}},
    {PA_I32, 3, {101, 3, 7}},
    {PA_U8, 1, {1000}},
    {PA_F64, 2, {5, 4}},
};

/* A dataset read in blocks of n rows (n dividing the rows or not, n larger
 * than the rows), through pa_h5_read_rows into one reused array and
 * pa_h5_load_rows for the last, shorter block; and written back block by
 * block, in reverse order, by a writer, with every transfer and layout. */
START_TEST(row_blocks_round_trip)
{
    const char *path = file("rows.h5"), *out = file("rows_out.h5");
    static const size_t blocks[] = {1, 7, 64, 100000};
    static const pa_h5_opts wopts[] = {
        {0},
        {.xfer = PA_H5_INDEPENDENT},
        {.layout = PA_H5_CHUNKED},
        {.deflate = 1},
        {.layout = PA_H5_CHUNKED, .chunk_rows = 5, .xfer = PA_H5_INDEPENDENT},
    };
    for (int c = 0; c < (int)(sizeof row_cases / sizeof row_cases[0]); c++) {
        pa_array *a = NULL;
        unsigned salt = 300u + (unsigned)c;
        const size_t *shape = row_cases[c].shape;
        int nd = row_cases[c].ndim;
        size_t rows = shape[0], rowsize = 1, bshape[3];
        for (int i = 1; i < nd; i++)
            rowsize *= shape[i];
        TU_OK(pa_array_create(ctx, row_cases[c].t, nd, shape, PA_DISTRIBUTED, &a), ctx);
        fill(a, salt);
        TU_OK(pa_h5_save(a, path, "/g/x", NULL), ctx);
        pa_array_free(&a);
        for (int k = 0; k < (int)(sizeof blocks / sizeof blocks[0]); k++) {
            size_t n = blocks[k] < rows ? blocks[k] : rows;
            if (n == 1 && rows > 200)
                continue; /* one row per block: only on the small cases */
            char what[96];
            pa_h5_opts ro = {.xfer = k % 2 ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE};
            memcpy(bshape, shape, sizeof bshape);
            bshape[0] = n;
            pa_array *blk = NULL, *tail = NULL;
            TU_OK(pa_array_create(ctx, row_cases[c].t, nd, bshape, PA_DISTRIBUTED, &blk), ctx);
            /* Read every block; then write them back in reverse order. */
            pa_h5_writer *w = NULL;
            const pa_h5_opts *wo = &wopts[(c + k) % (int)(sizeof wopts / sizeof wopts[0])];
            TU_OK(pa_h5_create(ctx, out, "/r/y", row_cases[c].t, nd, shape, wo, &w), ctx);
            size_t nblk = (rows + n - 1) / n;
            for (size_t b = nblk; b-- > 0;) {
                size_t r0 = b * n, m = rows - r0 < n ? rows - r0 : n;
                snprintf(what, sizeof what, "case %d block %zu rows [%zu, %zu)", c, n, r0,
                         r0 + m);
                pa_array *x = blk;
                if (m == n) {
                    TU_OK(pa_h5_read_rows(blk, path, "g/x", r0, &ro), ctx);
                } else {
                    TU_OK(pa_h5_load_rows(ctx, path, "/g/x", r0, m, &ro, &tail), ctx);
                    size_t ts[3];
                    pa_array_shape(tail, ts);
                    TU_CHECK(pa_array_ndim(tail) == nd && ts[0] == m &&
                             pa_array_dtype(tail) == row_cases[c].t);
                    x = tail;
                }
                check_rows(x, r0, rowsize, salt, what);
                TU_OK(pa_h5_write_rows(w, x, r0), ctx);
                pa_array_free(&tail);
            }
            TU_OK(pa_h5_commit(&w), ctx);
            TU_CHECK(w == NULL);
            pa_array_free(&blk);
            check_stored(out, "/r/y", std_type(row_cases[c].t), nd, shape);
            TU_OK(pa_h5_load(ctx, out, "/r/y", NULL, &a), ctx);
            snprintf(what, sizeof what, "case %d written in blocks of %zu", c, n);
            check_array(a, salt, what);
            pa_array_free(&a);
        }
    }
    /* Replicated blocks: every node gets the rows; a replicated block is
     * written once. */
    pa_array *r = NULL, *b = NULL;
    pa_h5_opts rep = {.dist = PA_REPLICATED};
    TU_OK(pa_h5_load_rows(ctx, path, "/g/x", 1, 3, &rep, &r), ctx);
    TU_CHECK(pa_array_dist(r) == PA_REPLICATED);
    check_rows(r, 1, 4, 303, "replicated rows [1, 4)");
    size_t sh[2] = {5, 4};
    pa_h5_writer *w = NULL;
    TU_OK(pa_h5_create(ctx, out, "z", PA_F64, 2, sh, NULL, &w), ctx);
    TU_OK(pa_h5_write_rows(w, r, 1), ctx);
    TU_OK(pa_h5_load_rows(ctx, path, "/g/x", 0, 1, NULL, &b), ctx);
    TU_OK(pa_h5_write_rows(w, b, 0), ctx);
    pa_array_free(&b);
    TU_OK(pa_h5_load_rows(ctx, path, "/g/x", 4, 1, NULL, &b), ctx);
    TU_OK(pa_h5_write_rows(w, b, 4), ctx);
    TU_OK(pa_h5_commit(&w), ctx);
    pa_array_free(&b);
    pa_array_free(&r);
    TU_OK(pa_h5_load(ctx, out, "z", NULL, &b), ctx);
    check_array(b, 303, "written from replicated and distributed blocks");
    pa_array_free(&b);
    /* An empty block, and zero rows at the end. */
    TU_OK(pa_h5_load_rows(ctx, path, "/g/x", 5, 0, NULL, &b), ctx);
    TU_CHECK(pa_array_size(b) == 0);
    pa_array_free(&b);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

START_TEST(row_blocks_bad_input)
{
    const char *path = file("rowsbad.h5");
    size_t shape[2] = {10, 3}, bs[2] = {4, 3};
    pa_array *a = NULL, *b = NULL;
    TU_OK(pa_array_create(ctx, PA_I64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 77);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    TU_OK(pa_h5_save(a, path, "keep", NULL), ctx);
    pa_array_free(&a);

    /* Reads outside the dataset. */
    TU_RC(pa_h5_load_rows(ctx, path, "x", 8, 3, NULL, &b), PA_EINVAL, ctx);
    TU_CHECK(b == NULL && strstr(pa_errmsg(ctx), "rows [8, 8 + 3) are outside its 10 rows"));
    TU_RC(pa_h5_load_rows(ctx, path, "x", 11, 0, NULL, &b), PA_EINVAL, ctx);
    TU_RC(pa_h5_load_rows(ctx, path, "x", SIZE_MAX, 2, NULL, &b), PA_EINVAL, ctx);
    TU_RC(pa_h5_load_rows(ctx, path, "x", 2, SIZE_MAX, NULL, &b), PA_EINVAL, ctx);
    TU_RC(pa_h5_load_rows(ctx, path, "nope", 0, 1, NULL, &b), PA_EIO, ctx);
    TU_RC(pa_h5_load_rows(ctx, file("missing.h5"), "x", 0, 1, NULL, &b), PA_EIO, ctx);
    TU_RC(pa_h5_load_rows(ctx, path, "x", 0, 1, NULL, NULL), PA_EINVAL, ctx);
    TU_RC(pa_h5_load_rows(NULL, path, "x", 0, 1, NULL, &b), PA_EINVAL, NULL);
    /* A row range that differs between ranks is agreed, not a hang. */
    TU_RC(pa_h5_load_rows(ctx, path, "x", tu_rank() == tu_size() - 1 ? 9 : 0, 4, NULL, &b),
          PA_EINVAL, ctx);
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
    TU_OK(pa_array_create(ctx, PA_I64, 2, bs, PA_DISTRIBUTED, &b), ctx);
    TU_RC(pa_h5_read_rows(b, path, "x", 7, NULL), PA_EINVAL, ctx);
    TU_OK(pa_h5_read_rows(b, path, "x", 6, NULL), ctx);
    check_rows(b, 6, 3, 77, "rows [6, 10)");
    pa_array_free(&b);
    /* A block of another row shape or dtype. */
    size_t wrong[2] = {4, 2};
    TU_OK(pa_array_create(ctx, PA_I64, 2, wrong, PA_DISTRIBUTED, &b), ctx);
    TU_RC(pa_h5_read_rows(b, path, "x", 0, NULL), PA_EFORMAT, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "a block of its rows is i64 (4,3); the array is i64 (4,2)"));
    pa_array_free(&b);
    TU_OK(pa_array_create(ctx, PA_F64, 2, bs, PA_DISTRIBUTED, &b), ctx);
    TU_RC(pa_h5_read_rows(b, path, "x", 0, NULL), PA_EFORMAT, ctx);

    /* The writer: bad arguments to create. */
    pa_h5_writer *w = NULL;
    TU_RC(pa_h5_create(ctx, path, "y", PA_F64, 0, shape, NULL, &w), PA_EINVAL, ctx);
    TU_RC(pa_h5_create(ctx, path, "y", (pa_dtype)42, 2, shape, NULL, &w), PA_EINVAL, ctx);
    TU_RC(pa_h5_create(ctx, path, "y", PA_F64, 2, NULL, NULL, &w), PA_EINVAL, ctx);
    TU_RC(pa_h5_create(ctx, path, "y/", PA_F64, 2, shape, NULL, &w), PA_EINVAL, ctx);
    size_t huge[2] = {SIZE_MAX / 2, 4};
    TU_RC(pa_h5_create(ctx, path, "y", PA_F64, 2, huge, NULL, &w), PA_EINVAL, ctx);
    TU_RC(pa_h5_create(ctx, path, "y", PA_F64, 2, shape, NULL, NULL), PA_EINVAL, ctx);
    TU_CHECK(w == NULL && stale_temps() == 0);
    TU_RC(pa_h5_commit(NULL), PA_EINVAL, NULL);
    TU_RC(pa_h5_commit(&w), PA_EINVAL, NULL);
    TU_OK(pa_h5_abort(&w), NULL);

    /* Bad writes leave the writer usable; missing rows refuse the commit
     * and keep the old file. */
    TU_OK(pa_h5_create(ctx, path, "x", PA_F64, 2, shape, NULL, &w), ctx);
    TU_RC(pa_h5_write_rows(w, b, 7), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "rows [7, 7 + 4) are outside its 10 rows"));
    TU_RC(pa_h5_write_rows(w, b, SIZE_MAX), PA_EINVAL, ctx);
    TU_RC(pa_h5_write_rows(w, NULL, 0), PA_EINVAL, ctx);
    TU_RC(pa_h5_write_rows(NULL, b, 0), PA_EINVAL, NULL);
    pa_array_free(&b);
    TU_OK(pa_array_create(ctx, PA_I64, 2, bs, PA_DISTRIBUTED, &b), ctx);
    TU_RC(pa_h5_write_rows(w, b, 0), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "is f64 (10,3), so a block of its rows is f64 (4,3); a is "
                                    "i64 (4,3)"));
    pa_array_free(&b);
    TU_OK(pa_array_create(ctx, PA_F64, 2, bs, PA_DISTRIBUTED, &b), ctx);
    fill(b, 1);
    TU_OK(pa_h5_write_rows(w, b, 0), ctx);
    TU_OK(pa_h5_write_rows(w, b, 6), ctx);
    TU_OK(pa_h5_write_rows(w, b, 3), ctx); /* overlaps: [0, 10) minus nothing... */
    pa_array_free(&b);
    TU_RC(pa_h5_commit(&w), PA_OK, ctx); /* ...so every row is written */
    size_t b2[2] = {3, 3};
    TU_OK(pa_array_create(ctx, PA_F64, 2, b2, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_h5_create(ctx, path, "x", PA_F64, 2, shape, NULL, &w), ctx);
    TU_OK(pa_h5_write_rows(w, b, 0), ctx);
    TU_OK(pa_h5_write_rows(w, b, 7), ctx);
    TU_RC(pa_h5_commit(&w), PA_EINVAL, ctx);
    TU_CHECK(w == NULL && strstr(pa_errmsg(ctx), "rows [3, 7) were never written"));
    pa_array_free(&b);
    pa_dtype t;
    TU_OK(pa_h5_info(ctx, path, "x", &t, NULL, NULL), ctx);
    TU_CHECK(t == PA_F64); /* the committed f64 dataset, not the refused one */
    TU_OK(pa_h5_load(ctx, path, "keep", NULL, &a), ctx);
    check_array(a, 77, "the other dataset after the writers");
    pa_array_free(&a);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

/* An aborted writer, and one whose write failed on one rank, leave the old
 * file exactly as it was, with no temporary. */
START_TEST(row_writer_abort_keeps_old_file)
{
    const char *path = file("rowsold.h5");
    size_t shape[2] = {40, 6}, bs[2] = {16, 6};
    pa_array *a = NULL, *b = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    fill(a, 91);
    TU_OK(pa_h5_save(a, path, "x", NULL), ctx);
    pa_array_free(&a);
    /* A new file (truncate), a kept file copied (copy), and in place. */
    for (int mode = 0; mode < 3; mode++) {
        int keep = mode > 0;
        pa_h5_writer *w = NULL;
        pa_h5_opts o = {.truncate = !keep, .copy = mode == 1};
        TU_OK(pa_h5_create(ctx, path, keep ? "other" : "x", PA_F64, 2, shape, &o, &w), ctx);
        /* The temporary file exists until the abort (with 2 hosts, Open
         * MPI's shared-file-pointer file named after it may sit beside it);
         * in place there is none. */
        int nt = stale_temps();
        TU_ASSERT(mode == 2 ? nt == 0 : nt >= 1, "%d temporaries in %s during a write (mode %d)",
                  nt, dir, mode);
        TU_OK(pa_array_create(ctx, PA_F64, 2, bs, PA_DISTRIBUTED, &b), ctx);
        fill(b, 5);
        TU_OK(pa_h5_write_rows(w, b, 0), ctx);
        TU_OK(pa_h5_write_rows(w, b, 16), ctx);
        pa_array_free(&b);
        TU_OK(pa_h5_abort(&w), ctx);
        TU_CHECK(w == NULL);
        TU_OK(pa_h5_load(ctx, path, "x", NULL, &a), ctx);
        check_array(a, 91, "old file after an abort");
        pa_array_free(&a);
        TU_RC(pa_h5_info(ctx, path, "other", NULL, NULL, NULL), PA_EIO, ctx);
        TU_RC(pa_h5_info(ctx, path, ".other.parray-tmp", NULL, NULL, NULL), PA_EIO, ctx);
        TU_CHECK(stale_temps() == 0);
    }
    /* A write that fails on the last rank fails on every rank; the commit
     * then refuses and the old file stays. */
    for (int pass = 0; pass < 2; pass++) {
        char spec[64];
        snprintf(spec, sizeof spec, pass ? "h5_write@*" : "h5_write@%d", tu_size() - 1);
        pa_ctx *c = tu_fault_ctx(spec);
        pa_h5_writer *w = NULL;
        TU_OK(pa_h5_create(c, path, "x", PA_F64, 2, shape, NULL, &w), c);
        TU_OK(pa_array_create(c, PA_F64, 2, shape, PA_DISTRIBUTED, &b), c);
        TU_RC(pa_h5_write_rows(w, b, 0), PA_EIO, c);
        TU_CHECK(strstr(pa_errmsg(c), "injected write fault") && tu_same_str(pa_errmsg(c)));
        TU_RC(pa_h5_write_rows(w, b, 0), PA_EINVAL, c);
        TU_RC(pa_h5_commit(&w), PA_EIO, c);
        TU_CHECK(w == NULL && strstr(pa_errmsg(c), "a write failed; the old file is kept"));
        pa_array_free(&b);
        TU_OK(pa_finalize(&c), NULL);
        TU_OK(pa_h5_load(ctx, path, "x", NULL, &a), ctx);
        check_array(a, 91, spec);
        pa_array_free(&a);
        TU_CHECK(stale_temps() == 0);
    }
    /* A reservation that fails (a full disk) fails the create. */
    pa_ctx *c = tu_fault_ctx("h5_reserve@0");
    pa_h5_writer *w = NULL;
    TU_RC(pa_h5_create(c, path, "x", PA_F64, 2, shape, NULL, &w), PA_EIO, c);
    TU_CHECK(w == NULL);
    TU_OK(pa_finalize(&c), NULL);
    TU_CHECK(stale_temps() == 0);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("h5");
    TCase *tc = tu_tcase(s, "h5");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, roundtrip_every_dtype_and_shape);
    tcase_add_test(tc, roundtrip_options);
    tcase_add_test(tc, chunked_saves_read_back);
    tcase_add_test(tc, automatic_chunks_follow_the_ranks);
    tcase_add_test(tc, written_by_one_read_by_all_and_back);
    tcase_add_test(tc, replicated_load_and_save);
    tcase_add_test(tc, reads_both_byte_orders);
    tcase_add_test(tc, chunked_datasets_match_a_serial_read);
    tcase_add_test(tc, missing_filter_is_named);
    tcase_add_test(tc, chunks_of_line_wide_columns_match_a_serial_read);
    tcase_add_test(tc, chunks_in_any_file_order_read_back);
    tcase_add_test(tc, shuffled_chunks_and_wide_lines_read_back);
    tcase_add_test(tc, damaged_chunks_are_refused);
    tcase_add_test(tc, oversized_chunks_are_refused);
    tcase_add_test(tc, attributes);
    tcase_add_test(tc, groups_and_replacing);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, unsupported_datasets);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, failures_on_one_rank);
    tcase_add_test(tc, saves_in_place);
    tcase_add_test(tc, in_place_failures_on_one_rank);
    tcase_add_test(tc, reopen_fails_on_one_rank);
    tcase_add_test(tc, long_paths);
    tcase_add_test(tc, row_blocks_round_trip);
    tcase_add_test(tc, row_blocks_bad_input);
    tcase_add_test(tc, row_writer_abort_keeps_old_file);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
