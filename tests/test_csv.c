/* CSV: one big file parsed in parallel by line-aligned byte ranges, at
 * every rank count (the small files here split in the middle of lines at 2,
 * 3 and 4 ranks); numbers bit for bit against strtod/strtof, the reference
 * that parray promises to match; comments, blank lines, headers, CRLF,
 * delimiters; errors with file:line:column and the bad text, ragged rows;
 * each rank's text mapped, not read (a file ending on a page boundary too);
 * a parallel save that reads back to the same bits; and pa_import_csv
 * against pa_load_csv, into a new file and in place. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

static char dir[256]; /* this run's directory, the same on every rank */

static void setup(void)
{
    tu_ctx_setup();
    tu_tmpdir_make(dir, sizeof dir, "csv");
}

/* Unchecked, so without checks (see tu_ctx_free). */
static void teardown(void)
{
    tu_tmpdir_remove(dir);
    tu_ctx_free();
}

/* Rank 0 writes text as dir/name; the barrier makes it complete first. */
static void put_text(const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    if (tu_rank() == 0) {
        FILE *f = fopen(path, "wb");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* The whole array on every rank (bytes). */
static void *all_bytes(pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    char *b = malloc(bytes + 1);
    pa_array_gather(a, 0, b);
    MPI_Bcast(b, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    return b;
}

/* A deterministic generator, the same on every rank. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t x = rng_state;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    return x ^ (x >> 29);
}

/* ------------------------------------------------------------ numbers */

/* clang-format off */
static const char *const hard[] = {
    "9007199254740993", "9007199254740992.5", "0.1", "0.3", "1e-27", "1e27", "1e28", "1e-28",
    "123456789012345678e-27", "1234567890123456789", "9999999999999999999",
    "18446744073709551615", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
    "1e400", "-0", "+1.5", ".5", "5.", "1E5", "1e+05", "0.000000000000000000000000001234",
    "7.038531e-26", "1.00000005960464477539062499", "1.0000000596046447753906250",
    "1.00000005960464477539062501", "3.4028235e38", "1e39", "nan", "inf", "-inf",
    "0x1.8p1", "2.9802322387695312e-8", "0.99999999999999994448884876874217", "5e-1",
    "1.7976931348623158e308", "6.103515625e-05", "00000012.5000", "1e-45", "1.4e-45",
};
/* clang-format on */
#define NHARD (sizeof hard / sizeof hard[0])
#define COLS 7

/* Token i of the number file: the hard cases first, then random doubles in
 * the formats programs write (%.17g round trip, numpy's %.18e, fixed point,
 * short %g, integers). */
static void token(size_t i, char *buf, size_t len)
{
    if (i < NHARD) {
        snprintf(buf, len, "%s", hard[i]);
        return;
    }
    uint64_t r = rng();
    double x;
    uint64_t bits = (r >> 2) & 0x7fffffffffffffffULL;
    memcpy(&x, &bits, 8);
    if (!isfinite(x) || (r & 3) == 0)
        x = (double)(int64_t)(rng() >> 11) * 1e-9 - 4e9;
    if (r & 4)
        x = -x;
    switch ((r >> 3) % 6) {
    case 0: snprintf(buf, len, "%.17g", x); break;
    case 1: snprintf(buf, len, "%.18e", x); break;
    case 2: snprintf(buf, len, "%.6f", fmod(x, 1e9)); break;
    case 3: snprintf(buf, len, "%g", x); break;
    case 4: snprintf(buf, len, "%lld", (long long)(int64_t)(rng() >> 4) - (1LL << 59)); break;
    default: snprintf(buf, len, "%.15g", fmod(x, 1e12) * 1e-7); break;
    }
}

static int same_f64(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, 8) == 0;
}

static int same_f32(float a, float b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, 4) == 0;
}

/* Every number reads to exactly what strtod (f64) and strtof (f32) give,
 * whichever rank parses it. */
START_TEST(exact_numbers)
{
    enum { LINES = 1500 };
    size_t n = (size_t)LINES * COLS, cap = n * 40 + 1;
    char *text = malloc(cap), tok[64], path[300];
    char **toks = malloc(sizeof(char *) * n);
    size_t len = 0;
    rng_state = 42;
    for (size_t i = 0; i < n; i++) {
        token(i, tok, sizeof tok);
        toks[i] = strdup(tok);
        len += (size_t)snprintf(text + len, cap - len, "%s%c", tok, (i + 1) % COLS ? ',' : '\n');
    }
    put_text("numbers.csv", text, path, sizeof path);
    pa_files_opts o = {0};
    for (int t = 0; t < 2; t++) {
        o.dtype = t ? PA_F32 : PA_F64;
        pa_array *a = NULL;
        TU_OK(pa_load_csv(ctx, path, &o, &a), ctx);
        size_t shape[2];
        pa_array_shape(a, shape);
        TU_CHECK(pa_array_ndim(a) == 2 && shape[0] == LINES && shape[1] == COLS);
        void *got = all_bytes(a);
        size_t bad = 0, first = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            int ok = t ? same_f32(((float *)got)[i], strtof(toks[i], NULL))
                       : same_f64(((double *)got)[i], strtod(toks[i], NULL));
            if (!ok && bad++ == 0)
                first = i;
        }
        TU_ASSERT(bad == 0, "%s: %zu numbers differ from %s, first '%s'", t ? "f32" : "f64", bad,
                  t ? "strtof" : "strtod", first < n ? toks[first] : "");
        free(got);
        pa_array_free(&a);
    }
    for (size_t i = 0; i < n; i++)
        free(toks[i]);
    free(toks);
    free(text);
}
END_TEST

/* ------------------------------------------------------------ layout */

/* Long lines in a small file: every rank count splits byte ranges in the
 * middle of a line. With comments (whole-line and trailing), blank lines,
 * a header after a comment, CRLF endings, spaces around fields and a last
 * line without a newline. */
START_TEST(split_mid_line)
{
    enum { R = 13, C = 3 };
    char text[8192], path[300];
    size_t len = (size_t)snprintf(text, sizeof text, "# made by test_csv\n\n  a , b , c\r\n");
    double want[R][C];
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < C; j++)
            want[i][j] = (i * C + j) * 1.0000000000000002 + 1e-3 * i;
        if (i == 4)
            len += (size_t)snprintf(text + len, sizeof text - len, "   # a comment line\n\n");
        len += (size_t)snprintf(text + len, sizeof text - len, " %.17g ,%.17g,  %.17g%s%s",
                                want[i][0], want[i][1], want[i][2],
                                i % 3 == 1 ? "  # trailing" : "",
                                i + 1 == R ? ""
                                : i % 2    ? "\r\n"
                                           : "\n");
    }
    put_text("split.csv", text, path, sizeof path);
    pa_files_opts o = {0};
    o.header = 1;
    pa_array *a = NULL;
    TU_OK(pa_load_csv(ctx, path, &o, &a), ctx);
    size_t shape[2];
    pa_array_shape(a, shape);
    TU_CHECK(shape[0] == R && shape[1] == C);
    double *got = all_bytes(a);
    TU_CHECK(memcmp(got, want, sizeof want) == 0);
    free(got);
    pa_array_free(&a);

    /* The header line, read as data, is a bad number on line 3. */
    o.header = 0;
    TU_RC(pa_load_csv(ctx, path, &o, &a), PA_EFORMAT, ctx);
    char m[400];
    snprintf(m, sizeof m, "%s:3:3: bad number 'a'", path);
    TU_ASSERT(strstr(pa_errmsg(ctx), m) != NULL, "'%s' lacks '%s'", pa_errmsg(ctx), m);
}
END_TEST

/* Delimiters: ';', runs of blanks (' ' or '\t'), and another comment
 * character. */
START_TEST(delimiters)
{
    char path[300];
    pa_files_opts o = {0};
    pa_array *a = NULL;
    double *got;
    put_text("semi.csv", "1;2;3\n4;5;6\n", path, sizeof path);
    o.delimiter = ';';
    TU_OK(pa_load_csv(ctx, path, &o, &a), ctx);
    got = all_bytes(a);
    TU_CHECK(got[0] == 1 && got[2] == 3 && got[5] == 6 && pa_array_size(a) == 6);
    free(got);
    pa_array_free(&a);

    put_text("blank.txt", "  1 \t 2   3\n\t4 5\t\t6  % six\n% gone\n", path, sizeof path);
    o.delimiter = '\t';
    o.comment = '%';
    TU_OK(pa_load_csv(ctx, path, &o, &a), ctx);
    got = all_bytes(a);
    TU_CHECK(pa_array_size(a) == 6 && got[1] == 2 && got[3] == 4 && got[5] == 6);
    free(got);
    pa_array_free(&a);

    /* Integers into i64, full range. */
    put_text("ints.csv", "-9223372036854775808,9223372036854775807\n+0,-0\n", path, sizeof path);
    o = (pa_files_opts){0};
    o.dtype = PA_I64;
    TU_OK(pa_load_csv(ctx, path, &o, &a), ctx);
    int64_t *gi = all_bytes(a);
    TU_CHECK(gi[0] == INT64_MIN && gi[1] == INT64_MAX && gi[2] == 0 && gi[3] == 0);
    free(gi);
    pa_array_free(&a);
}
END_TEST

/* ------------------------------------------------------------ errors */

/* Each bad file gives PA_EFORMAT on every rank with file:line:column and
 * the bad text. The long file puts its error on the last rank. */
START_TEST(errors)
{
    static const struct {
        const char *text;
        pa_dtype dtype;
        const char *want; /* after "path:" */
    } cases[] = {
        {"1,2,3\n4,x5,6\n", PA_F64, "2:3: bad number 'x5'"},
        {"1,2,3\n4,5\n", PA_F64, "2:4: ragged line: 2 fields, expected 3"},
        {"1,2\n3,4,5\n", PA_F64, "2:5: ragged line: more than 2 fields"},
        {"1,,3\n", PA_F64, "1:3: empty field 2 (of 3)"},
        {"1,2,\n", PA_F64, "1:5: empty field 3 (of 3)"},
        {"1,2.5.3\n", PA_F64, "1:3: bad number '2.5.3'"},
        {"1,2 3\n", PA_F64, "1:3: bad number '2 3'"},
        {"1e5,1e\n", PA_F64, "1:5: bad number '1e'"},
        {"1,2\n3,4.5\n", PA_I32, "2:3: bad integer '4.5'"},
        {"1,256\n", PA_U8, "1:3: number out of range of the dtype '256'"},
        {"1,-1\n", PA_U8, "1:3: number out of range of the dtype '-1'"},
        {"2147483648\n", PA_I32, "1:1: number out of range of the dtype '2147483648'"},
        {"# only\n\n   \n", PA_F64, "no data lines"},
        {"", PA_F64, "no data lines"},
    };
    char path[300], m[400];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.csv", c);
        put_text(name, cases[c].text, path, sizeof path);
        pa_files_opts o = {0};
        o.dtype = cases[c].dtype;
        pa_array *a = NULL;
        TU_RC(pa_load_csv(ctx, path, &o, &a), PA_EFORMAT, ctx);
        snprintf(m, sizeof m, "%s:%s", path, cases[c].want);
        if (strstr(cases[c].want, "no data"))
            snprintf(m, sizeof m, "%s: %s", path, cases[c].want);
        TU_ASSERT(strstr(pa_errmsg(ctx), m) && !a, "case %zu: '%s' lacks '%s'", c, pa_errmsg(ctx),
                  m);
    }

    /* 40 long lines, two bad numbers (lines 31 and 38): the message names
     * the first in the file, whichever rank parsed it. */
    char text[8192];
    size_t len = 0;
    for (int i = 1; i <= 40; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d.123456789,%s,3.25\n", i,
                                i == 31   ? "1.5q"
                                : i == 38 ? "z"
                                          : "2.5e-3");
    put_text("late.csv", text, path, sizeof path);
    pa_array *a = NULL;
    TU_RC(pa_load_csv(ctx, path, NULL, &a), PA_EFORMAT, ctx);
    snprintf(m, sizeof m, "%s:31:14: bad number '1.5q'", path);
    TU_ASSERT(strstr(pa_errmsg(ctx), m) != NULL, "'%s' lacks '%s'", pa_errmsg(ctx), m);

    /* A missing file; bad options. */
    snprintf(path, sizeof path, "%s/none.csv", dir);
    TU_RC(pa_load_csv(ctx, path, NULL, &a), PA_EIO, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), path) && strstr(pa_errmsg(ctx), "No such file"));
    pa_files_opts o = {0};
    o.delimiter = '#';
    TU_RC(pa_load_csv(ctx, path, &o, &a), PA_EINVAL, ctx);
}
END_TEST

/* A delimiter equal to the comment character would drop every field after
 * the first: pa_load_csv, pa_load_files and the saves refuse it with a
 * message naming both, unless comments are off; then every column is
 * kept. Characters of numbers and blanks are refused too. */
START_TEST(delimiter_is_comment)
{
    char path[300], m[400];
    put_text("hash.csv", "1#2#3\n4#5.5#-6\n", path, sizeof path);
    const char *one[1] = {path};
    pa_files_opts o = {0};
    o.delimiter = '#';
    pa_array *a = NULL;
    TU_RC(pa_load_csv(ctx, path, &o, &a), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "delimiter '#' is also the comment character") && !a, "%s",
              pa_errmsg(ctx));
    TU_RC(pa_load_files(ctx, one, 1, PA_FORMAT_CSV, &o, &a), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "pa_load_files: opts: the delimiter '#' is also the "
                                     "comment character") &&
                  !a,
              "%s", pa_errmsg(ctx));
    o.comment = ';';
    o.delimiter = ';';
    TU_RC(pa_load_files(ctx, one, 1, PA_FORMAT_CSV, &o, &a), PA_EINVAL, ctx);

    /* Comments off: every column is kept, with its values. */
    o.delimiter = '#';
    o.no_comments = 1;
    static const double want[] = {1, 2, 3, 4, 5.5, -6};
    TU_OK(pa_load_csv(ctx, path, &o, &a), ctx);
    double *got = all_bytes(a);
    TU_CHECK(pa_array_size(a) == 6 && memcmp(got, want, sizeof want) == 0);
    free(got);
    pa_array_free(&a);
    TU_OK(pa_load_files(ctx, one, 1, PA_FORMAT_CSV, &o, &a), ctx);
    got = all_bytes(a);
    size_t shape[3];
    pa_array_shape(a, shape);
    TU_CHECK(pa_array_ndim(a) == 3 && shape[1] == 2 && shape[2] == 3 &&
             memcmp(got, want, sizeof want) == 0);
    free(got);

    /* A save with '#' is refused too (it would not read back), and with
     * comments off it reads back to the same values. */
    snprintf(path, sizeof path, "%s/hash_out.csv", dir);
    pa_files_opts w = {0};
    w.delimiter = '#';
    pa_array *row = NULL;
    size_t rshape[2] = {2, 3};
    TU_OK(pa_array_create(ctx, PA_F64, 2, rshape, PA_DISTRIBUTED, &row), ctx);
    TU_OK(pa_arange(row, 1, 1), ctx);
    TU_RC(pa_save_csv(row, path, &w), PA_EINVAL, ctx);
    TU_CHECK(access(path, F_OK) != 0);
    w.no_comments = 1;
    TU_OK(pa_save_csv(row, path, &w), ctx);
    pa_array *back = NULL;
    TU_OK(pa_load_csv(ctx, path, &w, &back), ctx);
    double *b = all_bytes(back);
    TU_CHECK(pa_array_size(back) == 6 && b[0] == 1 && b[2] == 3 && b[5] == 6);
    free(b);
    pa_array_free(&back);
    snprintf(m, sizeof m, "%s/hash-%%d.csv", dir);
    w.no_comments = 0;
    TU_RC(pa_save_files(a, m, PA_FORMAT_CSV, &w), PA_EINVAL, ctx);
    pa_array_free(&row);
    pa_array_free(&a);

    /* A character of numbers or a blank as a delimiter or comment. */
    static const struct {
        char delimiter, comment;
    } bad[] = {{'.', 0}, {'-', 0},  {'e', 0}, {'5', 0}, {'\n', 0},
               {0, ' '}, {0, '\t'}, {0, 'x'}, {0, '+'}, {'\t', '\t'}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pa_files_opts b2 = {0};
        b2.delimiter = bad[i].delimiter;
        b2.comment = bad[i].comment;
        TU_RC(pa_load_files(ctx, one, 1, PA_FORMAT_CSV, &b2, &a), PA_EINVAL, ctx);
        TU_ASSERT(strstr(pa_errmsg(ctx), bad[i].comment ? "comment character" : "delimiter"),
                  "case %zu: %s", i, pa_errmsg(ctx));
    }
}
END_TEST

/* The text each rank reads is checked against its node's available memory
 * first (PARRAY_MEM_AVAILABLE, the testing aid, sets the figure). */
START_TEST(text_memory)
{
    char path[300], text[4096];
    size_t len = 0;
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,%d.5\n", i, i);
    put_text("mem.csv", text, path, sizeof path);
    tu_env saved = tu_env_save("PARRAY_MEM_AVAILABLE");
    setenv("PARRAY_MEM_AVAILABLE", "100", 1);
    pa_array *a = NULL;
    TU_RC(pa_load_csv(ctx, path, NULL, &a), PA_ENOMEM, ctx);
    tu_env_restore(&saved);
    TU_ASSERT(strstr(pa_errmsg(ctx), "pa_load_csv: the CSV text needs") && !a, "%s",
              pa_errmsg(ctx));
    TU_OK(pa_load_csv(ctx, path, NULL, &a), ctx);
    TU_CHECK(pa_array_size(a) == 200);
    pa_array_free(&a);
}
END_TEST

/* The bytes this process read with read calls so far (/proc/self/io's
 * rchar), or -1 when the kernel does not say. */
static long long bytes_read(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    long long n = -1;
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* Each rank's range of the text is mapped from the page cache, not read
 * into a buffer: the rank reads only the bytes that find its line starts
 * (at most 64 KiB at each end), far below its 2 MiB or more of text. */
START_TEST(text_mapped_not_copied)
{
    size_t lines = 400000, cap = lines * 24, len = 0;
    char *text = malloc(cap + 1), path[300];
    for (size_t i = 0; i < lines; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu,%zu.25\n", i, i);
    put_text("mapped.csv", text, path, sizeof path);
    free(text);
    pa_array *a = NULL;
    long long before = bytes_read();
    TU_OK(pa_load_csv(ctx, path, NULL, &a), ctx);
    long long read = bytes_read() - before, range = (long long)(len / (size_t)tu_size());
    TU_ASSERT(before >= 0 && read < range / 4, "rank %d read %lld bytes of its %lld-byte range",
              tu_rank(), read, range);
    double *got = all_bytes(a);
    TU_CHECK(pa_array_size(a) == 2 * lines && got[2 * lines - 1] == (double)(lines - 1) + 0.25);
    free(got);
    pa_array_free(&a);
}
END_TEST

/* A file that ends on a page boundary without a newline: the last number
 * runs to the mapping's end, where the page reserved behind it ends it. */
START_TEST(file_ending_on_a_page)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t lines = (size_t)page / 8, len = 0;
    char *text = malloc((size_t)page + 1), path[300];
    for (size_t i = 0; i + 1 < lines; i++)
        len += (size_t)sprintf(text + len, "%07zu\n", i);
    len += (size_t)sprintf(text + len, "12345678");
    TU_CHECK(len == (size_t)page);
    put_text("page.csv", text, path, sizeof path);
    free(text);
    pa_array *a = NULL;
    TU_OK(pa_load_csv(ctx, path, NULL, &a), ctx);
    double *got = all_bytes(a);
    TU_CHECK(pa_array_size(a) == lines && got[lines - 2] == (double)(lines - 2) &&
             got[lines - 1] == 12345678.0);
    free(got);
    pa_array_free(&a);
}
END_TEST

/* A run of zeros after the point longer than the fast path takes goes to
 * strtod and still gives the exact value. */
START_TEST(long_zero_run)
{
    size_t zeros = 100010;
    char *text = malloc(zeros + 64), path[300];
    size_t n = (size_t)sprintf(text, "0.");
    memset(text + n, '0', zeros);
    n += zeros;
    n += (size_t)sprintf(text + n, "1,0.%s\n", "000000000000000000000000000000000025");
    put_text("zeros.csv", text, path, sizeof path);
    free(text);
    pa_array *a = NULL;
    TU_OK(pa_load_csv(ctx, path, NULL, &a), ctx);
    double *got = all_bytes(a);
    TU_CHECK(got[0] == 0 && got[1] == 2.5e-35);
    free(got);
    pa_array_free(&a);
}
END_TEST

/* ------------------------------------------------------------ saving */

/* A parallel save reads back to the same bits: f64 with full mantissas,
 * f32, i32; a 1-D array saves one value per line. */
START_TEST(save_round_trip)
{
    static const pa_dtype dts[] = {PA_F64, PA_F32, PA_I32, PA_U8};
    char path[300];
    snprintf(path, sizeof path, "%s/saved.csv", dir);
    for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++)
        for (int nd = 1; nd <= 2; nd++) {
            size_t shape[2] = {37, 5}, es = pa_dtype_size(dts[t]);
            pa_array *a = NULL, *b = NULL;
            TU_OK(pa_array_create(ctx, dts[t], nd, shape, PA_DISTRIBUTED, &a), ctx);
            size_t n = pa_array_size(a);
            unsigned char *src = malloc(n * es);
            rng_state = 7 + t;
            for (size_t i = 0; i < n; i++) {
                uint64_t r = rng();
                double x;
                uint64_t bits = (r >> 2) & 0x7fefffffffffffffULL;
                memcpy(&x, &bits, 8);
                x = r & 1 ? -x : x;
                switch (dts[t]) {
                case PA_F64: memcpy(src + i * 8, &x, 8); break;
                case PA_F32: {
                    float f = (float)((double)(int64_t)r * 1e-12);
                    memcpy(src + i * 4, &f, 4);
                    break;
                }
                case PA_I32: {
                    int32_t v = (int32_t)r;
                    memcpy(src + i * 4, &v, 4);
                    break;
                }
                default: src[i] = (unsigned char)r; break;
                }
            }
            TU_OK(pa_array_scatter(a, 0, src), ctx);
            TU_OK(pa_save_csv(a, path, NULL), ctx);
            pa_files_opts o = {0};
            o.dtype = dts[t];
            TU_OK(pa_load_csv(ctx, path, &o, &b), ctx);
            size_t sb[2];
            pa_array_shape(b, sb);
            TU_CHECK(sb[0] == 37 && sb[1] == (nd == 2 ? 5u : 1u));
            unsigned char *got = all_bytes(b);
            TU_ASSERT(memcmp(got, src, n * es) == 0, "%s %d-D: the CSV reads back differently",
                      pa_dtype_name(dts[t]), nd);
            free(got);
            free(src);
            pa_array_free(&a);
            pa_array_free(&b);
        }
    /* No temporary is left beside it. */
    int left = 0;
    if (tu_rank() == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q parray-tmp", dir);
        left = system(cmd) == 0;
    }
    TU_CHECK(left == 0);
}
END_TEST

/* The dataset h5:/name as bytes on every rank, and its element count. */
static void *dataset_bytes(const char *h5, const char *name, size_t *count)
{
    pa_array *a = NULL;
    TU_OK(pa_h5_load(ctx, h5, name, NULL, &a), ctx);
    *count = pa_array_size(a);
    void *b = all_bytes(a);
    pa_array_free(&a);
    return b;
}

/* pa_import_csv writes pa_load_csv's array bit for bit: into a new file
 * (on one node parsed straight into it, with no node block for the array:
 * the node blocks' peak does not grow), and into a file that holds another
 * dataset (saved in place, through the array), which stays. */
START_TEST(import_csv)
{
    enum { IMPORT_ROWS = 20000, IMPORT_COLS = 4 };
    char path[300], h5[300], h5b[300];
    size_t cap = (size_t)IMPORT_ROWS * IMPORT_COLS * 32, len = 0;
    char *text = malloc(cap);
    rng_state = 11;
    for (size_t i = 0; i < (size_t)IMPORT_ROWS * IMPORT_COLS; i++)
        len += (size_t)snprintf(text + len, cap - len, "%.17g%c",
                                (double)(rng() >> 11) * 0x1p-53 * 1000.0,
                                i % IMPORT_COLS == IMPORT_COLS - 1 ? '\n' : ',');
    put_text("import.csv", text, path, sizeof path);
    free(text);
    snprintf(h5, sizeof h5, "%s/import.h5", dir);
    snprintf(h5b, sizeof h5b, "%s/import_b.h5", dir);
    pa_array *want = NULL, *other = NULL;
    TU_OK(pa_load_csv(ctx, path, NULL, &want), ctx);
    void *wb = all_bytes(want);
    size_t n, data = (size_t)IMPORT_ROWS * IMPORT_COLS * sizeof(double);

    pa_mem_peaks before, after;
    TU_OK(pa_mem_peak_reset(ctx), ctx);
    TU_OK(pa_mem_peak(ctx, &before), ctx);
    TU_OK(pa_import_csv(ctx, path, NULL, h5, "/x", NULL), ctx);
    TU_OK(pa_mem_peak(ctx, &after), ctx);
    if (pa_ctx_nnodes(ctx) == 1)
        TU_ASSERT(after.node_shm - before.node_shm < data, "node blocks grew by %zu bytes",
                  after.node_shm - before.node_shm);
    void *got = dataset_bytes(h5, "/x", &n);
    TU_ASSERT(n == (size_t)IMPORT_ROWS * IMPORT_COLS && memcmp(got, wb, data) == 0,
              "new file: %zu elements", n);
    free(got);

    size_t shape[1] = {7};
    TU_OK(pa_array_create(ctx, PA_F64, 1, shape, PA_DISTRIBUTED, &other), ctx);
    TU_OK(pa_arange(other, 0, 1), ctx);
    TU_OK(pa_h5_save(other, h5b, "/other", NULL), ctx);
    TU_OK(pa_import_csv(ctx, path, NULL, h5b, "/g/x", NULL), ctx);
    got = dataset_bytes(h5b, "/g/x", &n);
    TU_ASSERT(n == (size_t)IMPORT_ROWS * IMPORT_COLS && memcmp(got, wb, data) == 0,
              "in place: %zu elements", n);
    free(got);
    got = dataset_bytes(h5b, "/other", &n);
    TU_ASSERT(n == 7 && ((double *)got)[6] == 6.0, "the other dataset: %zu elements", n);
    free(got);
    free(wb);
    pa_array_free(&want);
    pa_array_free(&other);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tu_tcase(s, "csv");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, exact_numbers);
    tcase_add_test(tc, split_mid_line);
    tcase_add_test(tc, delimiters);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, delimiter_is_comment);
    tcase_add_test(tc, long_zero_run);
    tcase_add_test(tc, text_memory);
    tcase_add_test(tc, text_mapped_not_copied);
    tcase_add_test(tc, file_ending_on_a_page);
    tcase_add_test(tc, save_round_trip);
    tcase_add_test(tc, import_csv);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
