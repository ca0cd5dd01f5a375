/* libFuzzer target: the CSV parser (src/csv.c) on any text, each number
 * checked bit for bit against the C library.
 * The first byte picks the settings (delimiter, comment character, dtype,
 * header); the rest is the text. The parse (pa__csv_parse, with the column
 * count of pa__csv_count, as the loaders call them) is compared with a
 * reference written here from the documented rules:
 * - lines end at '\n', and a '\r' before it is not content;
 * - a line that is blank or whose first non-blank is the comment character
 *   is not data; the comment character ends a line's fields;
 * - fields are separated by the delimiter (blanks around a field do not
 *   count), or by runs of blanks when the delimiter is ' ' or '\t';
 * - a field is valid when it does not start with white space and strtod
 *   (f64), strtof (f32) or strtoll in the dtype's range (integers;
 *   strtoull for u64) reads all of it; the value is what that call gives,
 *   compared bit for bit; f16 is strtod's value rounded down and rounded up
 *   when both round to the same f16, else (a text within a double's
 *   rounding of a tie between two f16) that rounded to odd, then to f16;
 * - the text parses when every data line after the header has the first
 *   row's number of valid fields. */
#include <errno.h>
#include <fenv.h>
#include <stdint.h>
#include <string.h>

#include "dtype.h"
#include "files.h"
#include "fuzz.h"

/* Delimiters that cannot be part of a number ("0x1p3", "1e5", "nan"). */
static const char delims[] = {',', ' ', '\t', ';', '|', ':'};
static const char comments[] = {'#', '%'};
/* The dtypes CSV holds: all but complex. */
#define DTYPE_ENTRY(NAME, nm, T, U, K, ...) PA__WHEN(PA__NOT(PA__IS_COMPLEX(K)), PA_##NAME, )
static const pa_dtype dtypes[] = {PA_DTYPE_LIST(DTYPE_ENTRY)};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

/* The reference's integer reading: v in [lo, hi], stored as T. */
#define REF_INT(T, lo, hi)                                                                       \
    {                                                                                            \
        long long v = strtoll(buf, &end, 10);                                                    \
        if (errno == ERANGE || v < (lo) || v > (hi))                                             \
            return 0;                                                                            \
        T x = (T)v;                                                                              \
        memcpy(out, &x, sizeof x);                                                               \
        break;                                                                                   \
    }

/* An unsigned 64-bit reading: strtoull, which would negate a '-' text. */
static int ref_u64(const char *buf, char **end, void *out)
{
    if (buf[0] == '-') {
        long long v = strtoll(buf, end, 10);
        if (errno == ERANGE || v != 0)
            return 0;
    }
    uint64_t x = buf[0] == '-' ? 0 : strtoull(buf, end, 10);
    memcpy(out, &x, sizeof x);
    return errno != ERANGE;
}

/* f16, as the header says. */
static void ref_f16(const char *buf, char **end, void *out)
{
    int mode = fegetround();
    fesetround(FE_DOWNWARD);
    double down = strtod(buf, end);
    fesetround(FE_UPWARD);
    double up = strtod(buf, end);
    fesetround(mode);
    PA_HALF h = (PA_HALF)down;
    if (h != (PA_HALF)up && !(h != h)) {
        double t = down < 0 ? up : down;
        uint64_t b;
        memcpy(&b, &t, sizeof b);
        b |= 1;
        memcpy(&t, &b, sizeof t);
        h = (PA_HALF)t;
    }
    memcpy(out, &h, sizeof h);
}

/* The reference's reading of one field [p, q) into out; 0 if invalid. */
static int ref_field(const char *p, const char *q, pa_dtype dt, void *out)
{
    static char *buf;
    static size_t cap;
    size_t n = (size_t)(q - p);
    if (n == 0 || *p == ' ' || (*p >= '\t' && *p <= '\r'))
        return 0;
    if (n + 1 > cap) {
        free(buf);
        cap = 2 * n + 1;
        buf = malloc(cap);
        FUZZ_ASSERT(buf, "out of memory");
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    switch (dt) {
    case PA_F64: {
        double v = strtod(buf, &end);
        memcpy(out, &v, sizeof v);
        break;
    }
    case PA_F32: {
        float v = strtof(buf, &end);
        memcpy(out, &v, sizeof v);
        break;
    }
    case PA_I64: REF_INT(int64_t, INT64_MIN, INT64_MAX)
    case PA_I32: REF_INT(int32_t, INT32_MIN, INT32_MAX)
    case PA_U8: REF_INT(uint8_t, 0, UINT8_MAX)
    case PA_I8: REF_INT(int8_t, INT8_MIN, INT8_MAX)
    case PA_I16: REF_INT(int16_t, INT16_MIN, INT16_MAX)
    case PA_U16: REF_INT(uint16_t, 0, UINT16_MAX)
    case PA_U32: REF_INT(uint32_t, 0, UINT32_MAX)
    case PA_U64:
        if (!ref_u64(buf, &end, out))
            return 0;
        break;
    case PA_F16: ref_f16(buf, &end, out); break;
    case PA_BOOL: {
        /* numpy's loadtxt(dtype=bool): an integer, nonzero is true; and
         * Python's True and False. */
        _Bool x;
        if ((n == 4 && memcmp(buf, "True", 4) == 0) || (n == 5 && memcmp(buf, "False", 5) == 0)) {
            x = buf[0] == 'T';
            end = buf + n;
        } else {
            long long v = strtoll(buf, &end, 10);
            if (errno == ERANGE)
                return 0;
            x = v != 0;
        }
        memcpy(out, &x, sizeof x);
        break;
    }
    case PA_C64:
    case PA_C128:
    case PA_NDTYPES: return 0;
    }
    return end == buf + n;
}

static int blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The reference's split of a text into data lines and fields. */
typedef struct {
    const pa__csv *c;
    const char *p, *end;
} splitter;

/* The next data line [*ls, *le) with its content ending at the comment
 * or the '\r' of "\r\n"; 0 at the end of the text. */
static int next_line(splitter *s, const char **ls, const char **le)
{
    while (s->p < s->end) {
        const char *a = s->p, *b = memchr(a, '\n', (size_t)(s->end - a));
        s->p = b ? b + 1 : s->end;
        if (!b)
            b = s->end;
        if (b > a && b[-1] == '\r')
            b--;
        const char *q = a;
        while (q < b && (blank(*q) || *q == '\r'))
            q++;
        if (q == b || *q == s->c->comment)
            continue;
        const char *h = memchr(a, s->c->comment, (size_t)(b - a));
        *ls = a;
        *le = h ? h : b;
        return 1;
    }
    return 0;
}

/* The fields of a line into vals (at most max of them); returns how many,
 * or -1 when one is not a valid number. */
static long ref_line(const pa__csv *c, const char *p, const char *le, char *vals, size_t max)
{
    size_t es = pa_dtype_size(c->dtype), n = 0;
    int ws = c->delim == ' ';
    for (;;) {
        if (ws)
            while (p < le && blank(*p))
                p++;
        if (ws && p == le)
            return (long)n;
        const char *fe = p;
        while (fe < le && (ws ? !blank(*fe) : *fe != c->delim))
            fe++;
        const char *a = p, *b = fe;
        while (a < b && blank(*a))
            a++;
        while (b > a && blank(b[-1]))
            b--;
        char scratch[8];
        if (!ref_field(a, b, c->dtype, n < max ? vals + n * es : scratch))
            return -1;
        n++;
        if (fe == le)
            return (long)n;
        p = fe + !ws;
    }
}

typedef struct {
    const pa__csv *c;
    splitter ref;
    size_t ncols, rows;
    char *row;  /* the row the parser is filling */
    char *want; /* the reference's values of that row */
    int ref_ok; /* the reference found every row valid so far */
} check;

/* Compares the row the parser filled with the reference's. */
static void compare_row(check *k)
{
    const char *ls, *le;
    int more = next_line(&k->ref, &ls, &le);
    FUZZ_ASSERT(more, "the parser filled row %zu; the reference has no such line", k->rows);
    long n = ref_line(k->c, ls, le, k->want, k->ncols);
    FUZZ_ASSERT(n == (long)k->ncols,
                "row %zu parsed; the reference finds %ld of %zu fields: %.*s", k->rows, n,
                k->ncols, (int)(le - ls), ls);
    size_t es = pa_dtype_size(k->c->dtype);
    for (size_t j = 0; j < k->ncols; j++)
        FUZZ_ASSERT(memcmp(k->row + j * es, k->want + j * es, es) == 0,
                    "row %zu field %zu differs from the C library's: %.*s", k->rows, j,
                    (int)(le - ls), ls);
}

/* The parser's dest: row r is about to be parsed, so row r - 1 is done. */
static void *dest(size_t r, void *arg)
{
    check *k = arg;
    FUZZ_ASSERT(r == k->rows, "row %zu asked after %zu rows", r, k->rows);
    if (r > 0)
        compare_row(k);
    k->rows++;
    memset(k->row, 0xa5, k->ncols * pa_dtype_size(k->c->dtype));
    return k->row;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    pa_files_opts o = {0};
    o.delimiter = delims[sel % sizeof delims];
    o.comment = comments[sel / 8 % 2];
    o.dtype = dtypes[sel / 16 % NDTYPES];
    o.header = sel >= 160;
    pa__csv c;
    pa__csv_init(&c, &o, "t.csv");

    /* The parser reads text[len], which must be a NUL. */
    size_t len = size - 1;
    char *text = malloc(len + 1);
    FUZZ_ASSERT(text, "out of memory");
    memcpy(text, data + 1, len);
    text[len] = '\0';

    size_t lines, rows, fields[2];
    long first;
    pa__csv_count(&c, text, len, &lines, &rows, fields, &first);
    if (rows > (size_t)c.header) {
        size_t ncols = fields[c.header], es = pa_dtype_size(c.dtype);
        check k = {.c = &c, .ref = {&c, text, text + len}, .ncols = ncols};
        k.row = malloc(ncols * es + 1);
        k.want = malloc(ncols * es + 1);
        FUZZ_ASSERT(k.row && k.want, "out of memory");
        /* The reference skips the header too. */
        const char *ls, *le;
        for (int h = 0; h < c.header; h++)
            next_line(&k.ref, &ls, &le);
        splitter all = k.ref;
        int ref_ok = 1;
        while (next_line(&all, &ls, &le))
            if (ref_line(&c, ls, le, k.want, 0) != (long)ncols)
                ref_ok = 0;
        int rc = pa__csv_parse(NULL, "fuzz", &c, text, len, 1, (size_t)c.header, ncols, dest, &k);
        if (rc == PA_OK) {
            if (k.rows > 0)
                compare_row(&k);
            FUZZ_ASSERT(!next_line(&k.ref, &ls, &le), "the reference has more rows than %zu",
                        k.rows);
            FUZZ_ASSERT(k.rows == rows - (size_t)c.header, "%zu rows parsed, %zu counted", k.rows,
                        rows);
        } else {
            FUZZ_ASSERT(rc == PA_EFORMAT, "code %d", rc);
            FUZZ_ASSERT(strncmp(pa_errmsg(NULL), "fuzz: t.csv:", 12) == 0, "message '%s'",
                        pa_errmsg(NULL));
        }
        FUZZ_ASSERT((rc == PA_OK) == ref_ok, "the parser says %s, the reference %s",
                    rc == PA_OK ? "valid" : pa_errmsg(NULL), ref_ok ? "valid" : "invalid");
        free(k.row);
        free(k.want);
    }
    free(text);
    return 0;
}
