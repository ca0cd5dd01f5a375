/* The program's one JSON writer and one JSON reader (RFC 8259).
 *
 * Writer: every JSON text parray prints (stats --json, info --json, the
 * bench's JSON lines) goes through it, into a FILE or a growing buffer.
 * Commas and colons are placed by the writer; strings are escaped ('"',
 * '\\', the control characters below 0x20 and DEL as \n \t ... or \u00XX);
 * valid UTF-8 passes through, and each byte of an invalid UTF-8 sequence
 * becomes U+FFFD (written \ufffd), so the output is always valid UTF-8.
 * Finite numbers are written with the fewest digits from 15 to 17 (6 to 9
 * for a float) that read back to the same double (float), so every number
 * round-trips; NaN and the infinities, which JSON lacks, are null.
 *
 *   json_writer w;
 *   json_init_file(&w, stdout);
 *   json_begin_object(&w);
 *   json_key(&w, "dataset"); json_string(&w, name);
 *   json_key(&w, "sum"); json_double(&w, sum);
 *   json_end_object(&w);           // {"dataset":"...","sum":1.5}
 *   json_newline(&w);
 *
 * Reader: a pull reader over a buffer and its length (no terminating NUL
 * needed: a fuzz target can hand it any bytes). It reads strings, numbers
 * (and null, as NaN: what the writer writes for a non-finite number),
 * objects member by member through a callback, and skips any other value.
 * Containers nest at most JSON_MAX_DEPTH deep; past that, and on any other
 * error, the reader stops with a message and the byte offset. Nothing
 * recurses deeper than the nesting limit. */
#ifndef PARRAY_APPS_JSON_H
#define PARRAY_APPS_JSON_H

#include <stddef.h>
#include <stdio.h>

/* The deepest nesting of arrays and objects either side handles. */
#define JSON_MAX_DEPTH 256

/* ------------------------------------------------------------ writer */

typedef struct {
    FILE *f;   /* written here, or when NULL into buf */
    char *buf; /* NUL-terminated text (malloc'd; the caller frees) */
    size_t len, cap;
    int failed; /* out of memory or nesting too deep: text incomplete */
    int depth;
    unsigned char need_comma[JSON_MAX_DEPTH + 1]; /* per level: a value came before */
} json_writer;

void json_init_file(json_writer *w, FILE *f);
void json_init_buffer(json_writer *w);

void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
/* The key of the next member of the object being written. */
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s);
void json_double(json_writer *w, double v);
/* A value of a float array: the fewest digits that read back to the float. */
void json_float(json_writer *w, float v);
void json_int(json_writer *w, long long v);
void json_uint(json_writer *w, unsigned long long v);
void json_bool(json_writer *w, int v);
void json_null(json_writer *w);
/* The members of an object that another json_writer wrote (its whole text,
 * braces included) as members of the object being written. */
void json_members(json_writer *w, const char *object_text);
/* A newline after a complete text (JSON Lines). */
void json_newline(json_writer *w);

/* ------------------------------------------------------------ reader */

typedef struct {
    const char *start, *p, *end; /* the text, the next byte, its end */
    int depth;
    const char *err; /* what went wrong (static text), or NULL */
    size_t err_at;   /* the byte offset where it went wrong */
} json_reader;

void json_reader_init(json_reader *j, const char *buf, size_t len);

/* Each returns 0, or -1 with j->err and j->err_at set (and stays failed). */

/* A string into out, cut to len - 1 bytes and NUL-terminated (out may be
 * NULL to skip it). \u escapes become UTF-8; a lone surrogate is U+FFFD. */
int json_read_string(json_reader *j, char *out, size_t len);
/* A number, or null as NaN. */
int json_read_number(json_reader *j, double *v);
/* Any value, skipped. */
int json_skip(json_reader *j);
/* An object: member(j, key, arg) is called at each member's value and must
 * read or skip it (returning 0) or fail (-1, after json_fail). Keys are cut
 * to 63 bytes. */
typedef int (*json_member_fn)(json_reader *j, const char *key, void *arg);
int json_read_object(json_reader *j, json_member_fn member, void *arg);
/* Only blanks are left. */
int json_read_end(json_reader *j);
/* Records an error at the current position (for member callbacks). */
int json_fail(json_reader *j, const char *why);

#endif
