/* A growing string for the program's text: appended to with printf
 * formats, taken out when done. Out of memory leaves the text as it was
 * (truncated, never broken) and sets failed; later appends do nothing.
 *
 *   strbuf b = {0};
 *   strbuf_printf(&b, "%d,", n);
 *   char *s = strbuf_take(&b);   // free it
 */
#ifndef PARRAY_STRBUF_H
#define PARRAY_STRBUF_H

#include <stddef.h>

typedef struct {
    char *s; /* the text, or NULL while empty */
    size_t len, cap;
    int failed; /* an append ran out of memory */
} strbuf;

void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An ascending list of integers in compact form: "0-3,8,10-11"; "none"
 * when n is 0. */
void strbuf_ranges(strbuf *b, const int *v, int n);

/* Takes the text out of b and empties b: "" for an empty b; NULL only when
 * out of memory then. Free it. */
char *strbuf_take(strbuf *b);

/* strdup, which -std=c11 does not declare: NULL when out of memory. */
char *strbuf_dup(const char *s);

#endif
