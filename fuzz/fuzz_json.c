/* libFuzzer target: the program's JSON reader and writer (apps/json.c).
 * - The reader takes any bytes: it either reads one value followed by
 *   blanks only, or fails with a reason at an offset inside the text; it
 *   never recurses past its nesting limit (inputs nest up to 64 KiB deep).
 * - What the writer writes, the reader reads back: a string of the input's
 *   bytes comes back the same when they are valid UTF-8 (checked here by an
 *   independent decoder), and a double made of the input's first 8 bytes
 *   comes back with the same bits (NaN and the infinities, which JSON
 *   lacks, come back as NaN).
 * FUZZ_SOURCES: apps/json.c */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

/* Whether s[0..n) is UTF-8 as RFC 3629 defines it: no overlong forms, no
 * surrogates, nothing past U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        if (len == 0 || i + len > n)
            return 0;
        uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

typedef struct {
    char *s; /* the string read back */
    size_t cap;
    double d; /* the number read back */
    int seen; /* members read: 1 for "s", 2 for "d" */
} readback;

static int member(json_reader *j, const char *key, void *arg)
{
    readback *r = arg;
    if (strcmp(key, "s") == 0) {
        r->seen |= 1;
        return json_read_string(j, r->s, r->cap);
    }
    if (strcmp(key, "d") == 0) {
        r->seen |= 2;
        return json_read_number(j, &r->d);
    }
    return json_fail(j, "unexpected member");
}

static void read_any(const uint8_t *data, size_t size)
{
    json_reader j;
    json_reader_init(&j, (const char *)data, size);
    if (json_skip(&j) == 0 && json_read_end(&j) == 0)
        FUZZ_ASSERT(!j.err, "success with an error set: %s", j.err);
    else
        FUZZ_ASSERT(j.err && j.err_at <= size, "a failure without a reason, or at %zu of %zu",
                    j.err_at, size);
}

static void round_trip(const uint8_t *data, size_t size)
{
    /* The string ends at the first NUL, as the writer's C strings do. */
    size_t n = strnlen((const char *)data, size);
    char *s = malloc(n + 1);
    FUZZ_ASSERT(s, "out of memory");
    memcpy(s, data, n);
    s[n] = '\0';
    double d = 0;
    memcpy(&d, data, size < sizeof d ? size : sizeof d);

    json_writer w;
    json_init_buffer(&w);
    json_begin_object(&w);
    json_key(&w, "s");
    json_string(&w, s);
    json_key(&w, "d");
    json_double(&w, d);
    json_end_object(&w);
    FUZZ_ASSERT(!w.failed && w.buf, "the writer failed on %zu bytes", n);

    /* Every byte may become a 6-byte \u escape or 3-byte U+FFFD; the copy
     * back is cut at cap - 1, so give room for all of it. */
    readback r = {.cap = 3 * n + 1};
    r.s = malloc(r.cap);
    FUZZ_ASSERT(r.s, "out of memory");
    json_reader j;
    json_reader_init(&j, w.buf, w.len);
    int rc = json_read_object(&j, member, &r);
    FUZZ_ASSERT(rc == 0 && json_read_end(&j) == 0 && r.seen == 3,
                "the reader refused the writer's text at %zu (%s): %s", j.err_at,
                j.err ? j.err : "?", w.buf);
    if (valid_utf8((const unsigned char *)s, n))
        FUZZ_ASSERT(strcmp(r.s, s) == 0, "the string came back as '%s' from %s", r.s, w.buf);
    if (isfinite(d))
        FUZZ_ASSERT(memcmp(&r.d, &d, sizeof d) == 0, "%.17g came back as %.17g (%s)", d, r.d,
                    w.buf);
    else
        FUZZ_ASSERT(isnan(r.d), "%g came back as %.17g", d, r.d);
    free(r.s);
    free(w.buf);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_any(data, size);
    round_trip(data, size);
    return 0;
}
