/* The program's one JSON writer (escaping per RFC 8259, numbers that read
 * back exactly, null for NaN and infinity) and one JSON reader (bounded
 * nesting, errors with their byte offset). json.h has the rules. */
#include "json.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ writer */

void json_init_file(json_writer *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
}

void json_init_buffer(json_writer *w)
{
    memset(w, 0, sizeof *w);
}

static void put(json_writer *w, const char *s, size_t n)
{
    if (w->failed)
        return;
    if (w->f) {
        fwrite(s, 1, n, w->f);
        return;
    }
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (w->len + n + 1 > cap)
            cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
            w->failed = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_(json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* Before a value or a key: the comma that separates it from the one
 * before at this level. A key's value follows its colon directly. */
static void separate(json_writer *w)
{
    if (w->need_comma[w->depth])
        put(w, ",", 1);
    w->need_comma[w->depth] = 1;
}

static void value_start(json_writer *w)
{
    if (w->need_comma[w->depth] == 2) /* right after a key */
        w->need_comma[w->depth] = 1;
    else
        separate(w);
}

static void open_(json_writer *w, const char *c)
{
    value_start(w);
    put(w, c, 1);
    if (w->depth == JSON_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    w->need_comma[++w->depth] = 0;
}

static void close_(json_writer *w, const char *c)
{
    if (w->depth > 0)
        w->depth--;
    put(w, c, 1);
}

void json_begin_object(json_writer *w)
{
    open_(w, "{");
}
void json_end_object(json_writer *w)
{
    close_(w, "}");
}
void json_begin_array(json_writer *w)
{
    open_(w, "[");
}
void json_end_array(json_writer *w)
{
    close_(w, "]");
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

static void string_(json_writer *w, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    put(w, "\"", 1);
    for (size_t i = 0; i < n;) {
        /* The longest run that needs no escape goes out at once. */
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
            run++;
        put(w, str + i, run - i);
        if ((i = run) == n)
            break;
        unsigned char c = s[i];
        char esc[8];
        if (c >= 0x80) {
            size_t len = utf8_len(s + i, n - i);
            if (len) {
                put(w, str + i, len);
                i += len;
                continue;
            }
            puts_(w, "\\ufffd");
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(w, esc, 2);
        } else {
            const char *shorts = "\b\f\n\r\t", *names = "bfnrt", *k = strchr(shorts, c);
            if (c && k)
                snprintf(esc, sizeof esc, "\\%c", names[k - shorts]);
            else
                snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(w, esc);
        }
        i++;
    }
    put(w, "\"", 1);
}

void json_key(json_writer *w, const char *key)
{
    separate(w);
    string_(w, key);
    put(w, ":", 1);
    w->need_comma[w->depth] = 2;
}

void json_string(json_writer *w, const char *s)
{
    value_start(w);
    string_(w, s);
}

/* The fewest significant digits from lo to hi that read back to v (in
 * float when is_float). From lo = DBL_DIG (FLT_DIG) there are at most
 * three tries, and %g drops trailing zeros, so 0.1 is still "0.1". */
static void number(json_writer *w, double v, int lo, int hi, int is_float)
{
    value_start(w);
    if (!isfinite(v)) {
        puts_(w, "null");
        return;
    }
    char s[40];
    for (int d = lo; d <= hi; d++) {
        snprintf(s, sizeof s, "%.*g", d, v);
        if (d == hi || (is_float ? strtof(s, NULL) == (float)v : strtod(s, NULL) == v))
            break;
    }
    puts_(w, s);
}

void json_double(json_writer *w, double v)
{
    number(w, v, DBL_DIG, DBL_DECIMAL_DIG, 0);
}
void json_float(json_writer *w, float v)
{
    number(w, v, FLT_DIG, FLT_DECIMAL_DIG, 1);
}

void json_int(json_writer *w, long long v)
{
    char s[32];
    value_start(w);
    snprintf(s, sizeof s, "%lld", v);
    puts_(w, s);
}

void json_uint(json_writer *w, unsigned long long v)
{
    char s[32];
    value_start(w);
    snprintf(s, sizeof s, "%llu", v);
    puts_(w, s);
}

void json_bool(json_writer *w, int v)
{
    value_start(w);
    puts_(w, v ? "true" : "false");
}

void json_null(json_writer *w)
{
    value_start(w);
    puts_(w, "null");
}

void json_members(json_writer *w, const char *object_text)
{
    size_t n = strlen(object_text);
    if (n <= 2 || object_text[0] != '{' || object_text[n - 1] != '}')
        return; /* {} has no members */
    separate(w);
    put(w, object_text + 1, n - 2);
}

void json_newline(json_writer *w)
{
    put(w, "\n", 1);
}

/* ------------------------------------------------------------ reader */

void json_reader_init(json_reader *j, const char *buf, size_t len)
{
    memset(j, 0, sizeof *j);
    j->start = j->p = buf;
    j->end = buf + len;
}

int json_fail(json_reader *j, const char *why)
{
    if (!j->err) {
        j->err = why;
        j->err_at = (size_t)(j->p - j->start);
    }
    return -1;
}

static void ws(json_reader *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

/* The next byte after blanks, or -1 at the end. */
static int peek(json_reader *j)
{
    ws(j);
    return j->p < j->end ? (unsigned char)*j->p : -1;
}

static int expect(json_reader *j, char c, const char *why)
{
    if (peek(j) != (unsigned char)c)
        return json_fail(j, why);
    j->p++;
    return 0;
}

/* Appends code point cp as UTF-8 to out (k bytes used of len - 1). */
static void put_utf8(char *out, size_t len, size_t *k, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    for (size_t i = 0; i < n; i++)
        if (out && *k + 1 < len)
            out[(*k)++] = u[i];
}

/* Four hex digits after \u. */
static int hex4(json_reader *j, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++, j->p++) {
        if (j->p >= j->end)
            return json_fail(j, "unterminated string");
        char h = *j->p;
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0)
            return json_fail(j, "expected four hex digits after \\u");
        *v = *v * 16 + (unsigned)d;
    }
    return 0;
}

int json_read_string(json_reader *j, char *out, size_t len)
{
    size_t k = 0;
    if (j->err || expect(j, '"', "expected a string") != 0)
        return -1;
    for (;;) {
        if (j->p >= j->end)
            return json_fail(j, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return json_fail(j, "raw control character in a string");
        j->p++;
        if (c != '\\') {
            if (out && k + 1 < len)
                out[k++] = (char)c;
            continue;
        }
        if (j->p >= j->end)
            return json_fail(j, "unterminated string");
        char e = *j->p++;
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *m = strchr(from, e);
        if (e && m) {
            if (out && k + 1 < len)
                out[k++] = to[m - from];
            continue;
        }
        if (e != 'u') {
            j->p--;
            return json_fail(j, "invalid escape in a string");
        }
        unsigned cp;
        if (hex4(j, &cp) != 0)
            return -1;
        if (cp >= 0xd800 && cp <= 0xdbff && j->end - j->p >= 6 && j->p[0] == '\\' &&
            j->p[1] == 'u') {
            /* A high surrogate: with the low one after it, one code point. */
            const char *save = j->p;
            unsigned lo;
            j->p += 2;
            if (hex4(j, &lo) != 0)
                return -1;
            if (lo >= 0xdc00 && lo <= 0xdfff)
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            else
                j->p = save;
        }
        if (cp >= 0xd800 && cp <= 0xdfff)
            cp = 0xfffd; /* a lone surrogate */
        put_utf8(out, len, &k, cp);
    }
    j->p++;
    if (out && len)
        out[k] = '\0';
    return 0;
}

/* The length of the JSON number at s (n bytes): -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?,
 * or 0 when there is none. */
static size_t number_len(const char *s, size_t n)
{
    size_t i = 0;
#define DIGIT(k) ((k) < n && s[k] >= '0' && s[k] <= '9')
    if (i < n && s[i] == '-')
        i++;
    if (!DIGIT(i))
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (DIGIT(i))
            i++;
    if (i < n && s[i] == '.') {
        if (!DIGIT(i + 1))
            return 0;
        i++;
        while (DIGIT(i))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t k = i + 1;
        if (k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        if (!DIGIT(k))
            return 0;
        while (DIGIT(k))
            k++;
        i = k;
    }
#undef DIGIT
    return i;
}

/* A literal word (true, false, null) at the current position. */
static int word(json_reader *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return 0;
    j->p += n;
    return 1;
}

int json_read_number(json_reader *j, double *v)
{
    if (j->err)
        return -1;
    ws(j);
    if (word(j, "null")) {
        *v = NAN;
        return 0;
    }
    size_t n = number_len(j->p, (size_t)(j->end - j->p));
    char buf[512];
    if (n == 0)
        return json_fail(j, "expected a number");
    if (n >= sizeof buf)
        return json_fail(j, "number longer than 511 characters");
    /* strtod needs a terminated copy; the text is not NUL-terminated. */
    memcpy(buf, j->p, n);
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    j->p += n;
    return 0;
}

/* Entering an array or object: one level deeper, or refused. */
static int enter(json_reader *j)
{
    if (j->depth == JSON_MAX_DEPTH)
        return json_fail(j, "arrays and objects nested more than 256 deep");
    j->depth++;
    j->p++;
    return 0;
}

/* The rest of a container after one element: ',' and more, or its close.
 * Returns 1 for more, 0 at the close, -1 on error. */
static int next_element(json_reader *j, char close)
{
    int c = peek(j);
    if (c == ',') {
        j->p++;
        return 1;
    }
    if (c == (unsigned char)close) {
        j->p++;
        j->depth--;
        return 0;
    }
    return json_fail(j, close == '}' ? "expected ',' or '}' in an object"
                                     : "expected ',' or ']' in an array");
}

/* An empty container's close right after its open. */
static int empty_close(json_reader *j, char close)
{
    if (peek(j) != (unsigned char)close)
        return 0;
    j->p++;
    j->depth--;
    return 1;
}

int json_read_object(json_reader *j, json_member_fn member, void *arg)
{
    if (j->err)
        return -1;
    if (peek(j) != '{')
        return json_fail(j, "expected an object");
    if (enter(j) != 0)
        return -1;
    if (empty_close(j, '}'))
        return 0;
    for (;;) {
        char key[64];
        if (json_read_string(j, key, sizeof key) != 0 || expect(j, ':', "expected ':'") != 0)
            return -1;
        if (member(j, key, arg) != 0)
            return json_fail(j, "invalid value");
        int more = next_element(j, '}');
        if (more <= 0)
            return more;
    }
}

static int skip_member(json_reader *j, const char *key, void *arg)
{
    (void)key;
    (void)arg;
    return json_skip(j);
}

/* Recursion through arrays and objects is bounded by enter()'s limit. */
int json_skip(json_reader *j)
{
    if (j->err)
        return -1;
    int c = peek(j);
    if (c == '"')
        return json_read_string(j, NULL, 0);
    if (c == '{')
        return json_read_object(j, skip_member, NULL);
    if (c == '[') {
        if (enter(j) != 0)
            return -1;
        if (empty_close(j, ']'))
            return 0;
        for (;;) {
            if (json_skip(j) != 0)
                return -1;
            int more = next_element(j, ']');
            if (more <= 0)
                return more;
        }
    }
    if (word(j, "true") || word(j, "false"))
        return 0;
    double v;
    if (c == 'n' || c == '-' || (c >= '0' && c <= '9'))
        return json_read_number(j, &v);
    return json_fail(j, "expected a value");
}

int json_read_end(json_reader *j)
{
    if (j->err)
        return -1;
    if (peek(j) != -1)
        return json_fail(j, "unexpected text after the value");
    return 0;
}
