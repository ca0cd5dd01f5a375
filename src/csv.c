/* CSV: numbers only, one row per data line. The parser is shared by the
 * per-file format (a file per row of a stack) and by pa_load_csv, which
 * parses one big file in parallel by line-aligned byte ranges. Numbers
 * parse exactly: a fast path handles decimals of up to 19 significant
 * digits and decimal exponents within 27 with exact 128-bit integer
 * arithmetic, and everything else goes to strtod_l/strtof_l in the "C"
 * locale (f16 through strtod_l rounded to odd), so every value is the
 * correctly rounded one, as strtod gives. */
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collcheck.h"
#include "dtype.h"
#include "files.h"

void pa__csv_init(pa__csv *c, const pa_files_opts *o, const char *path)
{
    c->delim = o && o->delimiter ? o->delimiter : ',';
    if (c->delim == '\t')
        c->delim = ' '; /* runs of blanks, whichever of the two */
    c->comment = o && o->no_comments ? '\n' : o && o->comment ? o->comment : '#';
    c->header = o ? o->header != 0 : 0;
    c->dtype = o ? o->dtype : PA_F64;
    c->path = path;
    c->progress = NULL;
    c->progress_arg = NULL;
}

/* A character that can be part of a number as the parser reads it (a sign,
 * digits, a point, an exponent, inf, nan, hexadecimal): as a delimiter or a
 * comment it would cut numbers apart silently. */
static int in_number(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           ch == '+' || ch == '-' || ch == '.';
}

int pa__csv_check(pa_ctx *ctx, const char *fn, const pa_files_opts *o)
{
    char d = o && o->delimiter ? o->delimiter : ',';
    PA_CHECK_AS(ctx, fn, d != '\n' && d != '\r' && !in_number(d), PA_EINVAL,
                "opts: the delimiter 0x%02x ('%c') is a newline or a character of numbers",
                (unsigned char)d, d >= 32 && d < 127 ? d : '?');
    if (o && o->no_comments)
        return PA_OK;
    char c = o && o->comment ? o->comment : '#';
    PA_CHECK_AS(ctx, fn, c != '\n' && c != '\r' && c != ' ' && c != '\t' && !in_number(c),
                PA_EINVAL,
                "opts: the comment character 0x%02x ('%c') is a blank, a newline or a "
                "character of numbers",
                (unsigned char)c, c >= 32 && c < 127 ? c : '?');
    PA_CHECK_AS(ctx, fn, d != c, PA_EINVAL,
                "opts: the delimiter '%c' is also the comment character, so every field after "
                "the first would be dropped: give another comment character or switch "
                "comments off (no_comments)",
                d);
    return PA_OK;
}

static int blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* ------------------------------------------------------------ numbers */

/* The "C" locale, made once: strtod_l must not depend on the program's
 * LC_NUMERIC (a decimal comma would change what parses). */
static locale_t c_locale(void)
{
    static locale_t loc;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

/* 5^k for k <= 27, all below 2^63: a table, since a loop of multiplies
 * took a fifth of the fast path's time. */
/* clang-format off */
static const uint64_t pow5[28] = {
    1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u, 48828125u,
    244140625u, 1220703125u, 6103515625u, 30517578125u, 152587890625u, 762939453125u,
    3814697265625u, 19073486328125u, 95367431640625u, 476837158203125u, 2384185791015625u,
    11920928955078125u, 59604644775390625u, 298023223876953125u, 1490116119384765625u,
    7450580596923828125u,
};
/* clang-format on */

static int bitlen128(unsigned __int128 n)
{
    uint64_t hi = (uint64_t)(n >> 64), lo = (uint64_t)n;
    return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) : 0;
}

/* The value (n + f) * 2^e, where 0 <= f < 1 and sticky says f > 0, rounded
 * to p significant bits, half to even. n has more than p bits or sticky is
 * 0. The result is a normal double (the callers' ranges ensure it). */
static double round_bits(unsigned __int128 n, int sticky, int e, int p)
{
    int b = bitlen128(n);
    if (b <= p)
        return ldexp((double)(uint64_t)n, e);
    int s = b - p;
    uint64_t m = (uint64_t)(n >> s);
    unsigned __int128 rem = n & (((unsigned __int128)1 << s) - 1);
    unsigned __int128 half = (unsigned __int128)1 << (s - 1);
    if (rem > half || (rem == half && (sticky || (m & 1))))
        m++; /* may carry to 2^p: still exact in a double */
    /* m * 2^(e+s) as the bits of a double (normal by the callers' ranges):
     * m moved to 53 bits, the implicit leading 1 dropped. */
    int x = e + s - (53 - p);
    m <<= 53 - p;
    if (m >> 53) {
        m >>= 1;
        x++;
    }
    uint64_t bits = (uint64_t)(x + 52 + 1023) << 52 | (m & ((1ULL << 52) - 1));
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The digits at *s, added to *w (w * 10 + digit each; past 19 digits it
 * wraps, which the caller refuses by the count), *s moved past them.
 * Returns how many. One compare per digit: this loop is most of a parse. */
static size_t digits(const char **s, uint64_t *w)
{
    const char *t = *s;
    uint64_t v = *w;
    unsigned d;
    while ((d = (unsigned)(unsigned char)*t - '0') < 10) {
        v = v * 10 + d;
        t++;
    }
    size_t n = (size_t)(t - *s);
    *s = t;
    *w = v;
    return n;
}

/* The fast path: a plain decimal [+-]digits[.digits][(e|E)[+-]digits] with
 * at most 19 significant digits and a decimal exponent within 27, as an
 * exact value rounded to p bits. Returns the end, or NULL to leave the
 * text to strtod (which then decides what it is). */
static const char *fast_decimal(const char *p, int pbits, double *out)
{
    const char *s = p;
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    uint64_t w = 0;
    int exp10 = 0;
    const char *z = s;
    while (*s == '0')
        s++;
    int any = s > z;
    size_t nd = digits(&s, &w);
    if (nd > 19)
        return NULL;
    any |= nd > 0;
    if (*s == '.') {
        s++;
        if (nd == 0) {
            z = s;
            while (*s == '0')
                s++;
            /* A run of zeros too long for the fast path (exp10 must not
             * wrap): strtod takes it. */
            if (s - z >= 100000)
                return NULL;
            exp10 = -(int)(s - z);
            any |= s > z;
        }
        size_t nf = digits(&s, &w);
        if (nd + nf > 19)
            return NULL;
        nd += nf;
        exp10 -= (int)nf;
        any |= nf > 0;
    }
    if (!any || *s == 'x' || *s == 'X') /* none, or a hexadecimal float */
        return NULL;
    if (*s == 'e' || *s == 'E') {
        const char *t = s + 1;
        int eneg = 0;
        if (*t == '+' || *t == '-')
            eneg = *t++ == '-';
        if (*t >= '0' && *t <= '9') {
            int ev = 0;
            while (*t >= '0' && *t <= '9') {
                if (ev < 100000)
                    ev = ev * 10 + (*t - '0');
                t++;
            }
            exp10 += eneg ? -ev : ev;
            s = t;
        }
    }
    if (w == 0) {
        *out = neg ? -0.0 : 0.0;
        return s;
    }
    if (exp10 > 27 || exp10 < -27)
        return NULL;
    double v;
    if (exp10 >= 0) {
        /* w * 10^k = (w * 5^k) * 2^k, exact in 128 bits (< 2^64 * 2^63). */
        v = round_bits((unsigned __int128)w * pow5[exp10], 0, exp10, pbits);
    } else {
        /* w / 10^k = (w / 5^k) * 2^-k. Normalise w to 64 bits and shift it
         * up further; the remainder says whether anything is left below
         * the quotient's bits. */
        uint64_t d = pow5[-exp10];
        int lz = __builtin_clzll(w), sh = 63 - __builtin_clzll(d);
        /* Shifting by bitlen(d) - 1 keeps the quotient below 2^64 (one
         * hardware division) and at least 2^62 (63 bits, more than the 54
         * that rounding needs). */
        unsigned __int128 num = (unsigned __int128)(w << lz) << sh;
        uint64_t q, r;
#if defined(__x86_64__)
        __asm__("divq %4"
                : "=a"(q), "=d"(r)
                : "a"((uint64_t)num), "d"((uint64_t)(num >> 64)), "r"(d));
#else
        q = (uint64_t)(num / d);
        r = (uint64_t)(num % d);
#endif
        v = round_bits(q, r != 0, -sh - lz + exp10, pbits);
    }
    *out = neg ? -v : v;
    return s;
}

/* An integer [+-]digits within [lo, hi], as its two's complement bits. */
static const char *parse_int(const char *p, int64_t lo, uint64_t hi, uint64_t *out, int *range)
{
    const char *s = p;
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s < '0' || *s > '9')
        return NULL;
    uint64_t v = 0, lim = neg ? (uint64_t)(-(lo + 1)) + 1 : hi;
    int over = 0;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s++ - '0');
        if (v > (lim - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (over || (neg && lo == 0 && v != 0)) {
        *range = 1;
        return NULL;
    }
    *out = neg ? 0 - v : v;
    return s;
}

/* A decimal text as the double whose conversion to f16 is the text
 * correctly rounded, for what fast_decimal does not take (f16 has no
 * strtod): strtod rounded down and up tells whether the text is exact in a
 * double; if not, the one nearer zero with its last bit set is the value
 * rounded to odd, whose rounding to f16's 11 bits is then the correct one
 * (53 >= 11 + 2 bits). A double, not an f16, because clang before 15 has
 * f16 only as __fp16, which no function may return. */
static double strtoh_l(const char *p, char **end, locale_t loc)
{
    int mode = fegetround();
    fesetround(FE_DOWNWARD);
    double down = strtod_l(p, end, loc);
    fesetround(FE_UPWARD);
    double up = strtod_l(p, end, loc);
    fesetround(mode);
    if (down == up || down != down)
        return down;
    double t = down < 0 ? up : down;
    uint64_t b;
    memcpy(&b, &t, sizeof b);
    b |= 1;
    memcpy(&t, &b, sizeof t);
    return t;
}

/* One number of each dtype, by kind: parse the text at p into *out (NULL
 * when it is not a number, *range set when an integer is out of the
 * dtype's range) and format (the digits that read back to the same
 * value). A float is rounded straight from the exact decimal value to its
 * mantissa's bits, not through a double, which could round twice; what
 * fast_decimal does not take (and a value beyond the type's range) goes to
 * the C library's strtod or strtof. */
/* clang-format off */
#define CSV_MANT(T) _Generic((T)0, float: FLT_MANT_DIG, double: DBL_MANT_DIG, PA_HALF: 11)
#define CSV_MAXV(T) _Generic((T)0, float: FLT_MAX, double: HUGE_VAL, PA_HALF: 65504.0)
/* The fast path rounds to the mantissa's bits, which is the correct
 * rounding only for the type's normal numbers: below this (f16's
 * subnormals; it never reaches float's or double's) strto* decides. */
#define CSV_MINV(T) _Generic((T)0, float: 0.0, double: 0.0, PA_HALF: 0x1p-14)
#define CSV_STRTO(T) _Generic((T)0, float: strtof_l, double: strtod_l, PA_HALF: strtoh_l)
#define CSV_DIGITS(T) _Generic((T)0, float: FLT_DECIMAL_DIG, double: DBL_DECIMAL_DIG, PA_HALF: 5)
/* clang-format on */
#define CSV_FNS_FLOAT(NAME, T, U, K)                                                             \
    static const char *parse_##NAME(const char *p, void *out, int *range)                        \
    {                                                                                            \
        (void)range;                                                                             \
        char *end;                                                                               \
        double d;                                                                                \
        const char *e = fast_decimal(p, CSV_MANT(T), &d);                                        \
        if (e && fabs(d) <= CSV_MAXV(T) && (d == 0 || fabs(d) >= CSV_MINV(T))) {                 \
            *(T *)out = (T)d;                                                                    \
            return e;                                                                            \
        }                                                                                        \
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')     \
            return NULL; /* strtod would skip it */                                              \
        *(T *)out = CSV_STRTO(T)(p, &end, c_locale());                                           \
        return end == p ? NULL : end;                                                            \
    }                                                                                            \
    static int format_##NAME(const void *elem, char *buf, size_t cap)                            \
    {                                                                                            \
        return snprintf(buf, cap, "%.*g", CSV_DIGITS(T), (double)*(const T *)elem);              \
    }
#define CSV_PARSE_INT(NAME, T, U, K)                                                             \
    static const char *parse_##NAME(const char *p, void *out, int *range)                        \
    {                                                                                            \
        uint64_t i;                                                                              \
        const char *e = parse_int(p, PA__IMIN(K, T, U), PA__IMAX(K, T, U), &i, range);           \
        if (e)                                                                                   \
            *(T *)out = (T)i;                                                                    \
        return e;                                                                                \
    }
#define CSV_FNS_SINT(NAME, T, U, K)                                                              \
    CSV_PARSE_INT(NAME, T, U, K)                                                                 \
    static int format_##NAME(const void *elem, char *buf, size_t cap)                            \
    {                                                                                            \
        return snprintf(buf, cap, "%lld", (long long)*(const T *)elem);                          \
    }
#define CSV_FNS_UINT(NAME, T, U, K)                                                              \
    CSV_PARSE_INT(NAME, T, U, K)                                                                 \
    static int format_##NAME(const void *elem, char *buf, size_t cap)                            \
    {                                                                                            \
        return snprintf(buf, cap, "%llu", (unsigned long long)*(const T *)elem);                 \
    }
/* bool reads as numpy's loadtxt(dtype=bool) does, an integer (nonzero is
 * true), and also as Python writes it, True or False; it is written 1 or 0,
 * which loadtxt reads. */
#define CSV_FNS_BOOL(NAME, T, U, K)                                                              \
    static const char *parse_##NAME(const char *p, void *out, int *range)                        \
    {                                                                                            \
        static const char *const words[2] = {"False", "True"};                                   \
        for (int w = 0; w < 2; w++)                                                              \
            if (strncmp(p, words[w], strlen(words[w])) == 0) {                                   \
                *(T *)out = (T)w;                                                                \
                return p + strlen(words[w]);                                                     \
            }                                                                                    \
        uint64_t i;                                                                              \
        const char *e = parse_int(p, INT64_MIN, INT64_MAX, &i, range);                           \
        if (e)                                                                                   \
            *(T *)out = (T)(i != 0);                                                             \
        return e;                                                                                \
    }                                                                                            \
    static int format_##NAME(const void *elem, char *buf, size_t cap)                            \
    {                                                                                            \
        return snprintf(buf, cap, "%d", (int)*(const T *)elem);                                  \
    }
/* numpy writes complex as "(1+2j)", which its own loadtxt reads back only
 * with a converter: CSV holds no complex dtype (pa__csv_dtype_check). */
#define CSV_FNS_COMPLEX(NAME, T, U, K)
#define CSV_FNS(C, NAME, nm, T, U, K, ...) CSV_FNS_##K(NAME, T, U, K)
PA_DTYPE_LIST_WITH(CSV_FNS, ~)

static const struct {
    const char *(*parse)(const char *p, void *out, int *range);
    int (*format)(const void *elem, char *buf, size_t cap);
} csv_num[PA_NDTYPES] = {
#define CSV_ROW(C, NAME, nm, T, U, K, ...)                                                       \
    PA__WHEN(PA__NOT(PA__IS_COMPLEX(K)), [PA_##NAME] = {parse_##NAME, format_##NAME}, )
    PA_DTYPE_LIST_WITH(CSV_ROW, ~)
#undef CSV_ROW
};

const char *pa__csv_number(const char *p, pa_dtype dtype, void *out, int *range)
{
    *range = 0;
    return pa__dtype_valid(dtype) && csv_num[dtype].parse ? csv_num[dtype].parse(p, out, range)
                                                          : NULL;
}

int pa__csv_format_elem(pa_dtype dtype, const void *elem, char *buf, size_t cap)
{
    return pa__dtype_valid(dtype) && csv_num[dtype].format ? csv_num[dtype].format(elem, buf, cap)
                                                           : 0;
}

int pa__csv_dtype_check(pa_ctx *ctx, const char *fn, const char *path, pa_dtype dtype)
{
    PA_CHECK_AS(ctx, fn, !pa__dtype_valid(dtype) || csv_num[dtype].parse, PA_ENOTSUP,
                "%s: CSV does not hold %s (complex) arrays: use .npy or HDF5", path,
                pa_dtype_name(dtype));
    return PA_OK;
}

/* ------------------------------------------------------------ lines */

/* The end of the fields of the line [p, le): le, or the comment character. */
static const char *fields_end(const pa__csv *c, const char *p, const char *le)
{
    const char *h = memchr(p, c->comment, (size_t)(le - p));
    return h ? h : le;
}

/* Whether [p, le) is a data line: not blank (spaces, tabs, a '\r' before
 * the newline) and not a comment. */
static int data_line(const pa__csv *c, const char *p, const char *le)
{
    while (p < le && (blank(*p) || *p == '\r'))
        p++;
    return p < le && *p != c->comment;
}

/* The number of fields of a data line, by its separators (the parse checks
 * each field). */
static size_t count_fields(const pa__csv *c, const char *p, const char *le)
{
    const char *fe = fields_end(c, p, le);
    size_t n = 0;
    if (c->delim == ' ') {
        int in = 0;
        for (; p < fe; p++) {
            int sep = blank(*p) || *p == '\r';
            n += !sep && !in;
            in = !sep;
        }
        return n;
    }
    for (n = 1; (p = memchr(p, c->delim, (size_t)(fe - p))); p++)
        n++;
    return n;
}

void pa__csv_count(const pa__csv *c, const char *text, size_t len, size_t *lines, size_t *rows,
                   size_t *fields, long *first_line)
{
    const char *p = text, *end = text + len;
    size_t nl = 0, nr = 0;
    fields[0] = fields[1] = 0;
    *first_line = -1;
    while (p < end) {
        const char *le = memchr(p, '\n', (size_t)(end - p));
        const char *next = le ? le + 1 : end;
        if (!le)
            le = end;
        if (data_line(c, p, le)) {
            if (nr < 2)
                fields[nr] = count_fields(c, p, le);
            if (nr == 0)
                *first_line = (long)nl;
            nr++;
        }
        nl += next > le;
        p = next;
    }
    *lines = nl;
    *rows = nr;
}

/* The text parsed between two progress calls. */
#define CSV_PROGRESS_PIECE ((size_t)16 << 20)

/* "abc" of a bad field: the text from p to the next separator, at most 40
 * characters. */
static void field_text(const pa__csv *c, const char *p, const char *le, char *buf, size_t cap)
{
    size_t n = 0;
    while (p + n < le && n + 1 < cap && n < 40 && p[n] != c->delim && p[n] != c->comment &&
           p[n] != '\r' && !(c->delim == ' ' && blank(p[n])))
        n++;
    while (n > 0 && blank(p[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++)
        buf[i] = p[i] >= 32 && p[i] < 127 ? p[i] : '?';
    buf[n] = '\0';
}

int pa__csv_parse(pa_ctx *ctx, const char *fn, const pa__csv *c, const char *text, size_t len,
                  size_t line0, size_t skip, size_t ncols, void *(*dest)(size_t r, void *arg),
                  void *arg)
{
    const char *p = text, *end = text + len;
    const char *shown = text; /* where the progress was last reported */
    size_t line = line0, row = 0, es = pa_dtype_size(c->dtype);
    int ws = c->delim == ' ';
    char bad[48];
    for (; p < end; line++) {
        if (c->progress && (size_t)(p - shown) >= CSV_PROGRESS_PIECE) {
            c->progress(c->progress_arg, (size_t)(p - text), len);
            shown = p;
        }
        const char *le = memchr(p, '\n', (size_t)(end - p));
        const char *next = le ? le + 1 : end;
        if (!le)
            le = end;
        const char *ls = p;
        p = next;
        if (!data_line(c, ls, le))
            continue;
        if (skip) {
            skip--;
            continue;
        }
        /* The line's content ends before a '\r' of a "\r\n" ending. */
        const char *ce = le > ls && le[-1] == '\r' ? le - 1 : le;
        char *dst = dest(row++, arg);
        if (!dst)
            return PA_EIO; /* dest recorded why */
        const char *q = ls;
        size_t f = 0;
        for (;;) {
            while (q < ce && blank(*q))
                q++;
            if (q == ce || *q == c->comment || (!ws && *q == c->delim)) {
                if (ws && f > 0)
                    break; /* trailing blanks */
                return pa__err(ctx, fn, PA_EFORMAT, "%s:%zu:%zu: empty field %zu (of %zu)",
                               c->path, line, (size_t)(q - ls) + 1, f + 1, ncols);
            }
            if (f == ncols)
                return pa__err(ctx, fn, PA_EFORMAT,
                               "%s:%zu:%zu: ragged line: more than %zu fields", c->path, line,
                               (size_t)(q - ls) + 1, ncols);
            int range;
            const char *e = pa__csv_number(q, c->dtype, dst + f * es, &range);
            const char *after = e;
            if (e)
                while (after < ce && blank(*after))
                    after++;
            /* A number must end its field: at a separator, the end of the
             * line or a comment. */
            int ends = e && e <= ce &&
                       (after == ce || *after == c->comment || (!ws && *after == c->delim) ||
                        (ws && after > e));
            if (!ends) {
                field_text(c, q, ce, bad, sizeof bad);
                return pa__err(ctx, fn, PA_EFORMAT, "%s:%zu:%zu: %s '%s'", c->path, line,
                               (size_t)(q - ls) + 1,
                               range                        ? "number out of range of the dtype"
                               : pa__dtype_is_int(c->dtype) ? "bad integer"
                                                            : "bad number",
                               bad);
            }
            f++;
            q = after;
            if (q == ce || *q == c->comment)
                break;
            if (!ws)
                q++; /* the delimiter */
        }
        if (f != ncols)
            return pa__err(ctx, fn, PA_EFORMAT,
                           "%s:%zu:%zu: ragged line: %zu fields, expected %zu", c->path, line,
                           (size_t)(q - ls) + 1, f, ncols);
    }
    return PA_OK;
}

/* ------------------------------------------------------------ one file per row */

/* Reads a whole file into a new NUL-terminated buffer. */
static int slurp(pa_ctx *ctx, const char *fn, const char *path, char **text, size_t *len)
{
    int fd;
    PA_TRY(pa__file_open_input(ctx, fn, path, &fd, len));
    *text = malloc(*len + 1);
    int rc = *text ? pa__read_at(ctx, fn, path, fd, *text, *len, 0)
                   : pa__err(ctx, fn, PA_ENOMEM, "%s: out of memory for %zu bytes", path, *len);
    close(fd);
    if (rc < 0) {
        free(*text);
        *text = NULL;
        return rc;
    }
    (*text)[*len] = '\0';
    return PA_OK;
}

/* The shape of a CSV text: (data lines - header, fields of the first row). */
static int csv_shape(pa_ctx *ctx, const char *fn, const pa__csv *c, const char *text, size_t len,
                     pa__finfo *info)
{
    size_t lines, rows, fields[2];
    long first;
    pa__csv_count(c, text, len, &lines, &rows, fields, &first);
    if (rows <= (size_t)c->header)
        return pa__err(ctx, fn, PA_EFORMAT, "%s: no data lines", c->path);
    info->dtype = c->dtype;
    info->ndim = 2;
    info->shape[0] = rows - (size_t)c->header;
    info->shape[1] = fields[c->header];
    return PA_OK;
}

/* The settings c of o for path, path's whole text (NUL-terminated, len
 * bytes before the NUL: the caller frees it) and its shape. On failure
 * text is not left allocated. */
static int csv_load(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                    pa__csv *c, char **text, size_t *len, pa__finfo *info)
{
    pa__csv_init(c, o, path);
    PA_TRY(pa__csv_dtype_check(ctx, fn, path, c->dtype));
    PA_TRY(slurp(ctx, fn, path, text, len));
    int rc = csv_shape(ctx, fn, c, *text, *len, info);
    if (rc < 0) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

static int csv_probe(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     pa__finfo *info)
{
    pa__csv c;
    char *text;
    size_t len;
    PA_TRY(csv_load(ctx, fn, path, o, &c, &text, &len, info));
    free(text);
    return PA_OK;
}

/* Rows one after another from base, as pa__csv_parse's dest: row r at
 * base + r * rowbytes. */
typedef struct {
    char *base;
    size_t rowbytes;
} csv_flat;

static void *csv_flat_row(size_t r, void *arg)
{
    csv_flat *d = arg;
    return d->base + r * d->rowbytes;
}

static int csv_read(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                    const pa__finfo *want, void *buf)
{
    pa__csv c;
    char *text;
    size_t len;
    pa__finfo info;
    PA_TRY(csv_load(ctx, fn, path, o, &c, &text, &len, &info));
    int rc = PA_OK;
    if (!pa__finfo_same(&info, want)) {
        char s1[64], s2[PA_MAXDIM * 24];
        rc = pa__err(ctx, fn, PA_EINVAL, "%s: holds %s, unlike the first file's %s", path,
                     pa__shape_str(info.ndim, info.shape, s1, sizeof s1),
                     pa__shape_str(want->ndim, want->shape, s2, sizeof s2));
    }
    if (rc == PA_OK) {
        csv_flat d = {buf, info.shape[1] * pa_dtype_size(c.dtype)};
        rc = pa__csv_parse(ctx, fn, &c, text, len, 1, (size_t)c.header, info.shape[1],
                           csv_flat_row, &d);
    }
    free(text);
    return rc;
}

/* Appends the text of `lines` lines of `cols` elements at buf to *out. */
static int format_rows(pa_dtype dtype, const char *buf, size_t lines, size_t cols, char delim,
                       char **out, size_t *len, size_t *cap)
{
    size_t es = pa_dtype_size(dtype);
    for (size_t r = 0; r < lines; r++)
        for (size_t j = 0; j < cols; j++) {
            if (*cap - *len < 64) {
                size_t nc = *cap ? *cap * 2 : 1 << 16;
                char *p = realloc(*out, nc);
                if (!p)
                    return -1;
                *out = p;
                *cap = nc;
            }
            *len += (size_t)pa__csv_format_elem(dtype, buf + (r * cols + j) * es, *out + *len,
                                                *cap - *len);
            (*out)[(*len)++] = j + 1 == cols ? '\n' : delim;
        }
    return 0;
}

static char out_delim(const pa_files_opts *o)
{
    return o && o->delimiter ? o->delimiter : ',';
}

static int csv_write(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     const pa__finfo *info, const void *buf)
{
    PA_CHECK_AS(ctx, fn, info->ndim <= 2, PA_ENOTSUP,
                "%s: CSV holds arrays of at most 2 dimensions, not %d", path, info->ndim);
    PA_TRY(pa__csv_dtype_check(ctx, fn, path, info->dtype));
    size_t lines = info->ndim == 0 ? 1 : info->shape[0];
    size_t cols = info->ndim == 2 ? info->shape[1] : 1;
    char *text = NULL;
    size_t len = 0, cap = 0;
    if (cols > 0 && format_rows(info->dtype, buf, lines, cols, out_delim(o), &text, &len, &cap))
        return pa__err(ctx, fn, PA_ENOMEM, "%s: out of memory", path);
    pa__tmpfile t;
    int rc = pa__tmp_open(ctx, fn, path, o, &t);
    if (rc == PA_OK) {
        rc = pa__write_at(ctx, fn, path, t.fd, text, len, 0);
        rc = rc == PA_OK ? pa__tmp_commit(ctx, fn, &t) : pa__tmp_abort(ctx, fn, &t, rc);
    }
    free(text);
    return rc;
}

const pa__format pa__csv_format = {"CSV", csv_probe, csv_read, csv_write};

/* ------------------------------------------------------------ one big file */

/* The first line start at or after x: 0, or just after a '\n', or size. */
static int line_start(pa_ctx *ctx, const char *fn, const char *path, int fd, size_t size,
                      size_t x, size_t *out)
{
    if (x == 0) {
        *out = 0;
        return PA_OK;
    }
    char buf[1 << 16];
    for (size_t at = x - 1; at < size; at += sizeof buf) {
        size_t n = size - at < sizeof buf ? size - at : sizeof buf;
        PA_TRY(pa__read_at(ctx, fn, path, fd, buf, n, at));
        const char *nl = memchr(buf, '\n', n);
        if (nl) {
            *out = at + (size_t)(nl - buf) + 1;
            return PA_OK;
        }
    }
    *out = size;
    return PA_OK;
}

/* A rank's byte range of the file, as text the parser reads: mapped from
 * the page cache where the file system can (no copy, and no fresh memory
 * to fault in, which costs as much as the parse on some VMs), else read
 * into a buffer. The text is followed by a NUL or by a newline's
 * successor: the range ends just after a '\n' unless it ends the file, and
 * past the file's end the mapping reads zeros (an anonymous page is
 * reserved behind it for a file that ends on a page boundary). */
static int range_map(pa_ctx *ctx, const char *fn, const char *path, int fd, size_t start,
                     size_t len, pa__csv_job *j)
{
    static const char none[1] = "";
    j->text = none;
    j->len = len;
    if (len == 0)
        return PA_OK;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), lead = start % page;
    size_t filelen = (lead + len + page - 1) / page * page;
    void *res = mmap(NULL, filelen + page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (res != MAP_FAILED && mmap(res, filelen, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE,
                                  fd, (off_t)(start - lead)) != MAP_FAILED) {
        j->map = res;
        j->maplen = filelen + page;
        j->text = (const char *)res + lead;
        return PA_OK;
    }
    if (res != MAP_FAILED)
        munmap(res, filelen + page);
    /* Not mapped: read into a buffer of its own. */
    if (!(j->heap = malloc(len + 1)))
        return pa__err(ctx, fn, PA_ENOMEM, "%s: out of memory for %zu bytes", path, len);
    j->heap[len] = '\0';
    j->text = j->heap;
    return pa__read_at(ctx, fn, path, fd, j->heap, len, start);
}

void pa__csv_job_end(pa__csv_job *j)
{
    if (j->map)
        munmap(j->map, j->maplen);
    free(j->heap);
    j->map = NULL;
    j->heap = NULL;
}

/* What each rank learned in its first pass, shared with all. */
typedef struct {
    uint64_t newlines, rows, fields[2];
} range_count;

/* Collective. Every rank finds its byte range [start, end) of the file at
 * path: the nominal range moved to line starts, so that each line belongs to
 * exactly one rank; maps it and counts its lines. Fills *mine. Not agreed. */
static int range_take(pa__csv_job *j, const char *path, range_count *mine)
{
    pa_ctx *ctx = j->ctx;
    const char *fn = j->fn;
    int fd = -1, P = ctx->size, r = ctx->rank;
    size_t size = 0, start = 0, end = 0, len = 0;
    int rc = pa__file_open_input(ctx, fn, path, &fd, &size);
    if (rc == PA_OK) {
        size_t lo = (size / (size_t)P) * (size_t)r + (size % (size_t)P) * (size_t)r / (size_t)P;
        size_t hi = r + 1 == P ? size
                               : (size / (size_t)P) * (size_t)(r + 1) +
                                     (size % (size_t)P) * (size_t)(r + 1) / (size_t)P;
        rc = line_start(ctx, fn, path, fd, size, lo, &start);
        if (rc == PA_OK)
            rc = r + 1 == P ? (end = size, PA_OK) : line_start(ctx, fn, path, fd, size, hi, &end);
    }
    if (rc == PA_OK)
        len = end > start ? end - start : 0;
    /* Every rank holds its range of the text: the node's sum must fit its
     * memory (a rank that failed above asks for none; its code stays). */
    int mrc = pa__mem_check_node(ctx, fn, len, "the CSV text");
    if (rc == PA_OK)
        rc = mrc;
    if (rc == PA_OK)
        rc = range_map(ctx, fn, path, fd, start, len, j);
    if (fd >= 0)
        close(fd);
    /* First pass: lines, data lines, and the fields of the first two. */
    if (rc == PA_OK) {
        size_t nl, nr, f[2];
        long first;
        pa__csv_count(&j->c, j->text, j->len, &nl, &nr, f, &first);
        *mine = (range_count){nl, nr, {f[0], f[1]}};
    }
    return rc;
}

int pa__csv_job_begin(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *opts,
                      pa__csv_job *j)
{
    memset(j, 0, sizeof *j);
    j->ctx = ctx;
    j->fn = fn;
    PA_CHECK_AS(ctx, fn, path, PA_EINVAL, "path is NULL");
    pa__csv *c = &j->c;
    pa__csv_init(c, opts, path);
    PA_CHECK_AS(ctx, fn, (int)c->dtype >= 0 && c->dtype < PA_NDTYPES, PA_EINVAL,
                "opts->dtype %d is not a parray dtype", (int)c->dtype);
    PA_TRY(pa__csv_check(ctx, fn, opts));
    PA_TRY(pa__csv_dtype_check(ctx, fn, path, c->dtype));
    if (opts && opts->progress) {
        c->progress = opts->progress;
        c->progress_arg = opts->progress_arg;
    }

    /* Every rank reads its part of the file: all must see the same one, or
     * the rows would come from different files. */
    PA_TRY(pa__file_agree(ctx, ctx->comm, fn, path, PA__FILE_INPUT, NULL));

    int P = ctx->size, r = ctx->rank;
    range_count mine = {0}, *all = malloc(sizeof *all * (size_t)P);
    int rc = all ? range_take(j, path, &mine) : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa__mpi(ctx, fn,
                     MPI_Allgather(&mine, 4, MPI_UINT64_T, all, 4, MPI_UINT64_T, ctx->comm),
                     "MPI_Allgather");
    /* The ranks before this one give its first line number and its first
     * data line; the header is the first data line of the file; the
     * columns are the fields of the first row after it. */
    size_t before = 0, total = 0, ncols = 0, h = (size_t)c->header;
    j->line0 = 1;
    for (int q = 0; rc == PA_OK && q < P; q++) {
        if (q < r) {
            j->line0 += all[q].newlines;
            before += all[q].rows;
        }
        if (h >= total && h < total + all[q].rows)
            ncols = all[q].fields[h - total];
        total += all[q].rows;
    }
    free(all);
    if (rc == PA_OK && total <= h)
        rc = pa__err(ctx, fn, PA_EFORMAT, "%s: no data lines", path);
    if (rc < 0) {
        pa__csv_job_end(j);
        return rc;
    }
    j->skip = c->header && before == 0 && mine.rows > 0;
    j->r0 = before + j->skip - h;
    j->n = mine.rows - j->skip;
    j->shape[0] = total - h;
    j->shape[1] = ncols;
    return PA_OK;
}

int pa__csv_job_parse(pa__csv_job *j, void *(*dest)(size_t r, void *arg), void *arg)
{
    int rc = pa__csv_parse(j->ctx, j->fn, &j->c, j->text, j->len, j->line0, j->skip, j->shape[1],
                           dest, arg);
    if (rc == PA_OK && j->c.progress)
        j->c.progress(j->c.progress_arg, j->len, j->len);
    return rc;
}

typedef struct {
    char *node_base; /* this node's block */
    size_t node_row0, node_nrows;
    char *stage; /* rows of this rank that other nodes hold */
    size_t r0, before, rowbytes;
} range_dest;

static void *range_row(size_t r, void *arg)
{
    range_dest *d = arg;
    size_t g = d->r0 + r;
    if (g >= d->node_row0 && g < d->node_row0 + d->node_nrows)
        return d->node_base + (g - d->node_row0) * d->rowbytes;
    if (g < d->node_row0)
        return d->stage + (g - d->r0) * d->rowbytes;
    return d->stage + (d->before + g - d->node_row0 - d->node_nrows) * d->rowbytes;
}

int pa__csv_job_load(pa__csv_job *j, pa_array **out)
{
    pa_ctx *ctx = j->ctx;
    /* The parse writes every row (or the load fails): a block from the
     * pool needs no zeroing pass first. */
    int rc = pa__array_create_unset(ctx, j->c.dtype, 2, j->shape, PA_DISTRIBUTED, out);
    if (rc < 0)
        return rc;
    pa_array *a = *out;
    range_dest d = {.node_base = a->block.base,
                    .node_row0 = a->row0,
                    .node_nrows = a->nrows,
                    .r0 = j->r0,
                    .rowbytes = j->shape[1] * pa_dtype_size(j->c.dtype)};
    size_t after;
    pa__rows_off_node(a, j->r0, j->n, &d.before, &after);
    if (d.before + after > 0 && !(d.stage = malloc((d.before + after) * d.rowbytes)))
        rc = pa__err(ctx, j->fn, PA_ENOMEM, "out of memory for %zu rows", d.before + after);
    if (rc == PA_OK)
        rc = pa__csv_job_parse(j, range_row, &d);
    /* Agree before the delivery, which a failed rank would not enter. */
    if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa__rows_deliver(a, j->r0, j->n, d.stage);
    free(d.stage);
    if (rc < 0)
        pa_array_free(out);
    return rc;
}

int pa_load_csv(pa_ctx *ctx, const char *path, const pa_files_opts *opts, pa_array **out)
{
    const char *fn = __func__;
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', %s", PA_CC_STR(path), PA_CC_FILES_OPTS(opts));
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    *out = NULL;
    pa__csv_job j;
    PA_TRY(pa__csv_job_begin(ctx, fn, path, opts, &j));
    int rc = pa__csv_job_load(&j, out);
    pa__csv_job_end(&j);
    return rc;
}

int pa_save_csv(pa_array *a, const char *path, const pa_files_opts *opts)
{
    const char *fn = __func__;
    PA_CHECK(NULL, a, PA_EINVAL, "a is NULL");
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, fn, "%s, '%s', %s", PA_CC_ARRAY(a), PA_CC_STR(path),
                  PA_CC_FILES_OPTS(opts));
    PA_CHECK(ctx, path, PA_EINVAL, "path is NULL");
    PA_CHECK(ctx, a->ndim <= 2, PA_ENOTSUP, "CSV holds 1-D or 2-D arrays; a has %d dimensions",
             a->ndim);
    PA_TRY(pa__csv_check(ctx, fn, opts));
    PA_TRY(pa__csv_dtype_check(ctx, fn, path, a->dtype));
    PA_TRY(pa__files_durable_check(ctx, fn, opts));
    PA_TRY(pa__array_sync(a)); /* any writes through pointers, to this rank */

    /* This rank's rows: an equal share of its node's rows (of the whole job
     * for a replicated array, whose every node holds all rows). */
    size_t rb0, rbn, lo, hi;
    if (a->dist == PA_REPLICATED)
        pa__rows_of_node(a->shape[0], ctx->size, ctx->rank, &rb0, &rbn);
    else
        pa__rows_of_node(a->nrows, ctx->node_size, ctx->node_rank, &rb0, &rbn);
    lo = rb0;
    hi = rb0 + rbn;
    size_t cols = a->ndim == 2 ? a->shape[1] : 1, es = pa_dtype_size(a->dtype);
    size_t first = (a->dist == PA_REPLICATED ? 0 : a->row0) + lo;
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = PA_OK;
    if (hi > lo && cols > 0 &&
        format_rows(a->dtype, a->block.base + lo * cols * es, hi - lo, cols, out_delim(opts),
                    &text, &len, &cap))
        rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");

    /* Offsets: the bytes of every rank whose rows come before this rank's.
     * Ranks are not in row order across hosts, so sort by first row. */
    uint64_t me[2] = {hi > lo ? first : UINT64_MAX, len}, *all = malloc(16 * (size_t)ctx->size);
    if (rc == PA_OK && !all)
        rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
    if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa__mpi(ctx, fn, MPI_Allgather(me, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, ctx->comm),
                     "MPI_Allgather");
    /* The whole job writes one temporary beside path, which becomes path
     * once every rank has written and closed it (safe_save.h). */
    pa__safe s;
    if (rc == PA_OK && (rc = pa__safe_begin(ctx, ctx->comm, fn, path, 0, &s)) == PA_OK) {
        size_t off = 0;
        for (int q = 0; q < ctx->size; q++)
            if (all[2 * q] < me[0])
                off += all[2 * q + 1];
        int wrc = PA_OK;
        if (len > 0) {
            int fd = open(s.temp, O_WRONLY | O_CLOEXEC);
            if (fd < 0)
                wrc = pa__err(ctx, fn, PA_EIO, "%s: cannot open the temporary %s: %s", path,
                              s.temp, strerror(errno));
            else {
                wrc = pa__write_at(ctx, fn, path, fd, text, len, off);
                if (close(fd) < 0 && wrc == PA_OK)
                    wrc = pa__err(ctx, fn, PA_EIO, "%s: %s", s.temp, strerror(errno));
            }
        }
        rc = pa__safe_commit(ctx, &s, fn, wrc, opts && opts->durable ? PA__SAFE_DURABLE : 0);
    }
    free(all);
    free(text);
    return rc;
}
