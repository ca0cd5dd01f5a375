/* The .npy format against fixtures built here, byte by byte, from NumPy's
 * format specification (versions 1.0, 2.0 and 3.0; both byte orders; the
 * five dtypes): parray writes exactly the bytes of the specification, and
 * reads every fixture to the values they encode, as stacks of files and as
 * one big file that every rank reads its part of. Fortran order of 2 or more
 * dimensions and unsupported or broken files are refused naming the file. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[256]; /* this run's directory, the same on every rank */

static void setup(void)
{
    tu_ctx_setup();
    tu_tmpdir_make(dir, sizeof dir, "npy");
}

/* Unchecked, so without checks (see tu_ctx_free). */
static void teardown(void)
{
    tu_tmpdir_remove(dir);
    tu_ctx_free();
}

/* ------------------------------------------------------------ the spec */

static const struct {
    pa_dtype dtype;
    const char *kind; /* descr without the byte order */
    int size;
} types[] = {
    {PA_F64, "f8", 8}, {PA_F32, "f4", 4}, {PA_I64, "i8", 8}, {PA_I32, "i4", 4}, {PA_U8, "u1", 1},
};
#define NTYPES 5

/* The value of element j of fixture k: whole numbers below 250 (every
 * dtype holds them exactly), with a quarter added for the float types. */
static double value(pa_dtype d, int k, size_t j)
{
    double v = (double)((k * 37 + (int)j * 11) % 250);
    return d == PA_F64 || d == PA_F32 ? v + 0.25 : v;
}

/* The bytes of v as dtype d in byte order big (or little), built by
 * shifting, independently of the host's order. */
static void encode(pa_dtype d, double v, int big, unsigned char *out)
{
    uint64_t bits = 0;
    int size = 0;
    /* clang-format off */
    switch (d) {
    case PA_F64: { double x = v; memcpy(&bits, &x, 8); size = 8; break; }
    case PA_F32: { float x = (float)v; uint32_t b; memcpy(&b, &x, 4); bits = b; size = 4; break; }
    case PA_I64: bits = (uint64_t)(int64_t)v; size = 8; break;
    case PA_I32: bits = (uint32_t)(int32_t)v; size = 4; break;
    default: bits = (uint8_t)v; size = 1; break;
    }
    /* clang-format on */
    for (int i = 0; i < size; i++)
        out[big ? size - 1 - i : i] = (unsigned char)(bits >> (8 * i));
}

/* A .npy file from the specification: "\x93NUMPY", major, minor, the
 * header length (little-endian, 2 bytes in 1.0, 4 in 2.0/3.0), the dict
 * padded with spaces and ended by '\n' so that the data starts at a
 * multiple of 64, then the data. Returns the length. */
static size_t build(int major, const char *dict, const unsigned char *data, size_t dlen,
                    unsigned char *out)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t total = (pre + dl + 1 + 63) / 64 * 64, hlen = total - pre;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        out[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', hlen - dl - 1);
    out[total - 1] = '\n';
    memcpy(out + total, data, dlen);
    return total + dlen;
}

static void put_file(const char *path, const unsigned char *buf, size_t len)
{
    if (tu_rank() == 0) {
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(buf, 1, len, f);
            fclose(f);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD); /* the file is complete before anyone reads it */
}

static unsigned char *get_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

/* The whole array on every rank, as doubles. */
static double *all_values(pa_array *a)
{
    size_t n = pa_array_size(a), es = pa_dtype_size(pa_array_dtype(a));
    unsigned char *raw = malloc(n * es + 1);
    double *v = malloc(sizeof(double) * n + 1);
    pa_array_gather(a, 0, raw);
    MPI_Bcast(raw, (int)(n * es), MPI_BYTE, 0, MPI_COMM_WORLD);
    for (size_t i = 0; i < n; i++)
        switch (pa_array_dtype(a)) {
        case PA_F64: v[i] = ((double *)raw)[i]; break;
        case PA_F32: v[i] = ((float *)raw)[i]; break;
        case PA_I64: v[i] = (double)((int64_t *)raw)[i]; break;
        case PA_I32: v[i] = ((int32_t *)raw)[i]; break;
        default: v[i] = raw[i]; break;
        }
    free(raw);
    return v;
}

/* ------------------------------------------------------------ reading */

/* Every version x byte order x dtype: NF fixtures of shape (3, 4), loaded
 * as one (NF, 3, 4) stack, hold the values they encode. */
START_TEST(read_fixtures)
{
    enum { NF = 5, R = 3, C = 4 };
    for (int major = 1; major <= 3; major++)
        for (int t = 0; t < NTYPES; t++)
            for (int big = 0; big <= 1; big++) {
                if (types[t].size == 1 && big)
                    continue; /* '|u1' has no byte order */
                char dict[200], *paths[NF];
                char order = types[t].size == 1 ? '|' : big ? '>' : '<';
                /* Keys in another order than parray writes, double quotes
                 * and a version 3.0 header are all valid per the spec. */
                if (major == 3)
                    snprintf(
                        dict, sizeof dict,
                        "{\"shape\": (%d, %d), \"fortran_order\": False, \"descr\": \"%c%s\"}", R,
                        C, order, types[t].kind);
                else
                    snprintf(dict, sizeof dict,
                             "{'descr': '%c%s', 'fortran_order': False, 'shape': (%d, %d), }",
                             order, types[t].kind, R, C);
                for (int k = 0; k < NF; k++) {
                    unsigned char data[R * C * 8], file[512];
                    for (size_t j = 0; j < R * C; j++)
                        encode(types[t].dtype, value(types[t].dtype, k, j), big,
                               data + j * (size_t)types[t].size);
                    size_t len = build(major, dict, data, R * C * (size_t)types[t].size, file);
                    paths[k] = malloc(300);
                    snprintf(paths[k], 300, "%s/v%d-%s-%d-%d.npy", dir, major, types[t].kind, big,
                             k);
                    put_file(paths[k], file, len);
                }
                pa_array *a = NULL;
                TU_OK(
                    pa_load_files(ctx, (const char *const *)paths, NF, PA_FORMAT_AUTO, NULL, &a),
                    ctx);
                size_t shape[3];
                pa_array_shape(a, shape);
                TU_CHECK(pa_array_dtype(a) == types[t].dtype && pa_array_ndim(a) == 3 &&
                         shape[0] == NF && shape[1] == R && shape[2] == C);
                double *v = all_values(a);
                int bad = 0;
                for (int k = 0; k < NF; k++)
                    for (size_t j = 0; j < R * C; j++)
                        bad += v[k * R * C + j] != value(types[t].dtype, k, j);
                TU_ASSERT(bad == 0, "v%d %c%s: %d wrong values", major, order, types[t].kind,
                          bad);
                free(v);
                pa_array_free(&a);
                for (int k = 0; k < NF; k++)
                    free(paths[k]);
            }
}
END_TEST

/* A 0-d file per row makes a 1-D stack; a 1-D Fortran-order file is the
 * same bytes as C order and is accepted. */
START_TEST(read_scalar_and_1d_fortran)
{
    char p0[300], p1[300], q0[300];
    unsigned char data[8], file[256];
    encode(PA_I32, 7, 0, data);
    size_t len = build(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", data, 4,
                       file);
    snprintf(p0, sizeof p0, "%s/s0.npy", dir);
    put_file(p0, file, len);
    encode(PA_I32, 9, 1, data);
    len = build(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (), }", data, 4, file);
    snprintf(p1, sizeof p1, "%s/s1.npy", dir);
    put_file(p1, file, len);
    const char *paths[2] = {p0, p1};
    pa_array *a = NULL;
    TU_OK(pa_load_files(ctx, paths, 2, PA_FORMAT_NPY, NULL, &a), ctx);
    TU_CHECK(pa_array_ndim(a) == 1 && pa_array_size(a) == 2);
    double *v = all_values(a);
    TU_CHECK(v[0] == 7 && v[1] == 9);
    free(v);
    pa_array_free(&a);

    unsigned char d3[3];
    for (int i = 0; i < 3; i++)
        encode(PA_U8, 10 + i, 0, d3 + i);
    len = build(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (3,), }", d3, 3, file);
    snprintf(q0, sizeof q0, "%s/f1.npy", dir);
    put_file(q0, file, len);
    const char *one[1] = {q0};
    TU_OK(pa_load_files(ctx, one, 1, PA_FORMAT_AUTO, NULL, &a), ctx);
    v = all_values(a);
    TU_CHECK(v[0] == 10 && v[1] == 11 && v[2] == 12);
    free(v);
    pa_array_free(&a);
}
END_TEST

/* A header longer than the reader's first read (4 KiB; NumPy pads a dict
 * with spaces freely): the reader reads the whole header, then the data
 * that follows it. */
START_TEST(read_long_header)
{
    enum { PAD = 5000, N = 3 };
    char *dict = malloc(PAD + 128);
    unsigned char *file = malloc(PAD + 256), data[N * 8];
    int n = snprintf(dict, PAD + 128, "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), ",
                     N);
    memset(dict + n, ' ', PAD);
    strcpy(dict + n + PAD, "}");
    for (int i = 0; i < N; i++)
        encode(PA_F64, value(PA_F64, 1, (size_t)i), 0, data + 8 * i);
    size_t len = build(2, dict, data, sizeof data, file);
    TU_CHECK(len > 4096 + sizeof data);
    char p[300];
    snprintf(p, sizeof p, "%s/long.npy", dir);
    put_file(p, file, len);
    const char *one[1] = {p};
    pa_array *a = NULL;
    TU_OK(pa_load_files(ctx, one, 1, PA_FORMAT_NPY, NULL, &a), ctx);
    TU_CHECK(pa_array_size(a) == N);
    double *v = all_values(a);
    for (int i = 0; i < N; i++)
        TU_CHECK(v[i] == value(PA_F64, 1, (size_t)i));
    free(v);
    pa_array_free(&a);
    free(file);
    free(dict);
}
END_TEST

/* One big file read by every rank's part (pa_load_npy): every dtype in both
 * byte orders, in shapes whose rank parts start mid-row (the parts are cut
 * at page or 64-byte bounds, not rows) and whose rows cross the emulated
 * nodes, a 3-D file with a version 2.0 header, a file of no rows, and the
 * refusals (0-d, Fortran order), each naming the file. */
START_TEST(load_one_file)
{
    enum { R = 1000, C = 7 };
    size_t cap = 256 + (size_t)R * C * 8;
    unsigned char *data = malloc(cap), *file = malloc(cap + 256);
    char dict[200], p[300];
    pa_array *a = NULL;
    for (int t = 0; t < NTYPES; t++)
        for (int big = 0; big <= (types[t].size > 1); big++) {
            char order = types[t].size == 1 ? '|' : big ? '>' : '<';
            int major = big ? 2 : 1, nd = big ? 3 : 2;
            if (nd == 3)
                snprintf(dict, sizeof dict,
                         "{'descr': '%c%s', 'fortran_order': False, 'shape': (%d, %d, %d), }",
                         order, types[t].kind, R / 10, 10, C);
            else
                snprintf(dict, sizeof dict,
                         "{'descr': '%c%s', 'fortran_order': False, 'shape': (%d, %d), }", order,
                         types[t].kind, R, C);
            for (size_t j = 0; j < (size_t)R * C; j++)
                encode(types[t].dtype, value(types[t].dtype, t, j), big,
                       data + j * (size_t)types[t].size);
            size_t len = build(major, dict, data, (size_t)R * C * (size_t)types[t].size, file);
            snprintf(p, sizeof p, "%s/one-%c%s.npy", dir, big ? 'b' : 'l', types[t].kind);
            put_file(p, file, len);
            TU_OK(pa_load_npy(ctx, p, NULL, &a), ctx);
            size_t shape[3];
            pa_array_shape(a, shape);
            TU_CHECK(pa_array_dtype(a) == types[t].dtype && pa_array_ndim(a) == nd &&
                     (nd == 2 ? shape[0] == R && shape[1] == C
                              : shape[0] == R / 10 && shape[1] == 10 && shape[2] == C));
            double *v = all_values(a);
            int bad = 0;
            for (size_t j = 0; j < (size_t)R * C; j++)
                bad += v[j] != value(types[t].dtype, t, j);
            TU_ASSERT(bad == 0, "%c%s: %d wrong values", order, types[t].kind, bad);
            free(v);
            pa_array_free(&a);
        }

    size_t len = build(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", data, 0,
                       file);
    snprintf(p, sizeof p, "%s/none.npy", dir);
    put_file(p, file, len);
    TU_OK(pa_load_npy(ctx, p, NULL, &a), ctx);
    TU_CHECK(pa_array_ndim(a) == 2 && pa_array_size(a) == 0);
    pa_array_free(&a);

    static const struct {
        const char *dict, *name, *why;
        size_t bytes;
    } refused[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }", "zero_d.npy",
         "holds a 0-d array", 8},
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", "fortran.npy",
         "Fortran order", 48},
    };
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        memset(data, 0, refused[k].bytes);
        len = build(1, refused[k].dict, data, refused[k].bytes, file);
        snprintf(p, sizeof p, "%s/%s", dir, refused[k].name);
        put_file(p, file, len);
        TU_RC(pa_load_npy(ctx, p, NULL, &a), PA_ENOTSUP, ctx);
        TU_ASSERT(!a && strstr(pa_errmsg(ctx), refused[k].name) &&
                      strstr(pa_errmsg(ctx), refused[k].why),
                  "%s", pa_errmsg(ctx));
    }
    free(file);
    free(data);
}
END_TEST

/* Each bad file gives the expected code on every rank and a message that
 * names the file and the reason. */
START_TEST(read_refused)
{
    static const struct {
        const char *dict;
        int major;
        size_t datalen; /* bytes of data after the header */
        int code;
        const char *why;
    } cases[] = {
        {"{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 1, 48, PA_ENOTSUP,
         "Fortran order"},
        {"{'descr': '<c32', 'fortran_order': False, 'shape': (2,), }", 1, 64, PA_ENOTSUP,
         "not one parray holds"},
        {"{'descr': '<i16', 'fortran_order': False, 'shape': (2,), }", 1, 32, PA_ENOTSUP,
         "not one parray holds"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", 1, 16, PA_ENOTSUP,
         "structured"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 1, 40, PA_EFORMAT,
         "its header says"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 2, 56, PA_EFORMAT,
         "its header says"},
        {"{'descr': '<f8', 'fortran_order': False, }", 1, 0, PA_EFORMAT, "lacks"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 1, 48, PA_EFORMAT,
         "unknown key"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }", 1, 48, PA_EFORMAT,
         "not a valid dict"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 4, 48, PA_EFORMAT,
         "version 4.0"},
        /* The item size is digits only: no blank, no sign. */
        {"{'descr': '<f 8', 'fortran_order': False, 'shape': (2, 3), }", 1, 48, PA_EFORMAT,
         "not a NumPy type string"},
        {"{'descr': '<f+8', 'fortran_order': False, 'shape': (2, 3), }", 1, 48, PA_EFORMAT,
         "not a NumPy type string"},
        {"{'descr': '<f', 'fortran_order': False, 'shape': (2, 3), }", 1, 48, PA_EFORMAT,
         "not a NumPy type string"},
    };
    unsigned char data[64] = {0}, file[512];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char p[300];
        snprintf(p, sizeof p, "%s/bad%zu.npy", dir, c);
        size_t len = build(cases[c].major, cases[c].dict, data, cases[c].datalen, file);
        put_file(p, file, len);
        const char *one[1] = {p};
        pa_array *a = NULL;
        TU_RC(pa_load_files(ctx, one, 1, PA_FORMAT_AUTO, NULL, &a), cases[c].code, ctx);
        const char *m = pa_errmsg(ctx);
        TU_ASSERT(strstr(m, p) && strstr(m, cases[c].why) && a == NULL,
                  "case %zu: message '%s' lacks '%s' or the file", c, m, cases[c].why);
    }
    /* Not .npy at all, and a header cut short. */
    char p[300];
    snprintf(p, sizeof p, "%s/text.npy", dir);
    put_file(p, (const unsigned char *)"hello, world\n", 13);
    const char *one[1] = {p};
    pa_array *a = NULL;
    TU_RC(pa_load_files(ctx, one, 1, PA_FORMAT_AUTO, NULL, &a), PA_EFORMAT, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "not a .npy file") != NULL);
    size_t len = build(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data, 0,
                       file);
    put_file(p, file, len - 30);
    TU_RC(pa_load_files(ctx, one, 1, PA_FORMAT_AUTO, NULL, &a), PA_EFORMAT, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "truncated") != NULL);
}
END_TEST

/* ------------------------------------------------------------ writing */

/* parray writes exactly the specification's bytes: version 1.0, the dict
 * in sorted key order as NumPy writes it, padding to 64 bytes, the data in
 * the asked byte order; for every dtype and both orders. */
START_TEST(write_bytes)
{
    enum { N = 4, R = 2, C = 3 };
    for (int t = 0; t < NTYPES; t++)
        for (int big = 0; big <= 1; big++) {
            pa_dtype d = types[t].dtype;
            size_t shape[3] = {N, R, C};
            pa_array *a = NULL;
            TU_OK(pa_array_create(ctx, d, 3, shape, PA_DISTRIBUTED, &a), ctx);
            pa_span s;
            pa_array_local(a, &s);
            size_t es = pa_dtype_size(d);
            for (size_t i = 0; i < s.count; i++) {
                size_t g = s.offset + i;
                unsigned char b[8];
                encode(d, value(d, (int)(g / (R * C)), g % (R * C)),
                       !(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__), b);
                memcpy((char *)s.ptr + i * es, b, es);
            }
            pa_array_sync(a);
            char pattern[300];
            snprintf(pattern, sizeof pattern, "%s/w-%s-%d-%%03d.npy", dir, types[t].kind, big);
            pa_files_opts o = {0};
            o.big_endian = big;
            TU_OK(pa_save_files(a, pattern, PA_FORMAT_AUTO, &o), ctx);
            MPI_Barrier(MPI_COMM_WORLD);
            int bad = 0;
            if (tu_rank() == 0)
                for (int k = 0; k < N; k++) {
                    char dict[200], p[300];
                    char order = types[t].size == 1 ? '|' : big ? '>' : '<';
                    snprintf(dict, sizeof dict,
                             "{'descr': '%c%s', 'fortran_order': False, 'shape': (%d, %d), }",
                             order, types[t].kind, R, C);
                    unsigned char data[R * C * 8], want[512];
                    for (size_t j = 0; j < R * C; j++)
                        encode(d, value(d, k, j), big, data + j * es);
                    size_t wl = build(1, dict, data, R * C * es, want), gl = 0;
                    snprintf(p, sizeof p, pattern, k);
                    unsigned char *got = get_file(p, &gl);
                    if (!got || gl != wl || memcmp(got, want, wl) != 0) {
                        tu_note(__FILE__, __LINE__, "%s differs from the specification's bytes",
                                p);
                        bad++;
                    }
                    free(got);
                }
            TU_ASSERT(bad == 0, "%d files differ", bad);
            /* And they read back to the same array. */
            const char *paths[N];
            char names[N][300];
            for (int k = 0; k < N; k++) {
                snprintf(names[k], sizeof names[k], pattern, k);
                paths[k] = names[k];
            }
            pa_array *b = NULL;
            TU_OK(pa_load_files(ctx, paths, N, PA_FORMAT_AUTO, NULL, &b), ctx);
            double *va = all_values(a), *vb = all_values(b);
            TU_CHECK(memcmp(va, vb, sizeof(double) * N * R * C) == 0);
            free(va);
            free(vb);
            pa_array_free(&b);
            pa_array_free(&a);
        }
}
END_TEST

/* Rows of a 1-D array are 0-d files: shape (). */
START_TEST(write_scalars)
{
    size_t n = 3;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_REPLICATED, &a), ctx);
    double src[3] = {1.5, -2.0, 1e300};
    TU_OK(pa_array_scatter(a, 0, src), ctx);
    char pattern[300];
    snprintf(pattern, sizeof pattern, "%s/s%%d.npy", dir);
    TU_OK(pa_save_files(a, pattern, PA_FORMAT_AUTO, NULL), ctx);
    MPI_Barrier(MPI_COMM_WORLD);
    int bad = 0;
    if (tu_rank() == 0)
        for (int k = 0; k < 3; k++) {
            unsigned char data[8], want[256];
            encode(PA_F64, src[k], 0, data);
            size_t wl = build(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", data,
                              8, want),
                   gl;
            char p[300];
            snprintf(p, sizeof p, pattern, k);
            unsigned char *got = get_file(p, &gl);
            bad += !got || gl != wl || memcmp(got, want, wl) != 0;
            free(got);
        }
    TU_ASSERT(bad == 0, "%d scalar files differ", bad);
    pa_array_free(&a);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tu_tcase(s, "npy");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_fixtures);
    tcase_add_test(tc, read_scalar_and_1d_fortran);
    tcase_add_test(tc, read_long_header);
    tcase_add_test(tc, load_one_file);
    tcase_add_test(tc, read_refused);
    tcase_add_test(tc, write_bytes);
    tcase_add_test(tc, write_scalars);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
