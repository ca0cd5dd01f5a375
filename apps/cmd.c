/* How the subcommands report a failure: once, from rank 0, as
 * "parray: <subcommand>: <message>", in the program's words. The library's
 * messages are written for C callers: they begin with the C call
 * ("pa_h5_load: ...") and some suggest another call ("convert one with
 * pa_astype"). cmd_errmsg drops the call's name and puts the program's
 * option where the library names a call, so that a user of the program
 * reads only about the program. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void vreport(const pa_ctx *ctx, const char *sub, const char *fmt, va_list ap)
{
    if (ctx && pa_ctx_rank(ctx) != 0)
        return;
    fprintf(stderr, "parray: %s%s", sub ? sub : "", sub ? ": " : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cmd_fail(const pa_ctx *ctx, const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ctx, sub, fmt, ap);
    va_end(ap);
    return 1;
}

int cmd_usage(const pa_ctx *ctx, const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ctx, sub, fmt, ap);
    va_end(ap);
    if (!ctx || pa_ctx_rank(ctx) == 0)
        fprintf(stderr, "Try 'parray %s%s--help'.\n", sub ? sub : "", sub ? " " : "");
    return 2;
}

/* What the library says to a C caller, and what the program says instead.
 * The left side is matched before the call's name is dropped, so that it
 * can be tied to one call. */
static const struct {
    const char *library, *program;
} wording[] = {
    {"(convert one with pa_astype)", "(give --dtype to compute in one dtype)"},
    {", or convert an operand with pa_astype", " (with --dtype)"},
    {"(convert the array with pa_astype to use a fraction)",
     "(give --dtype f64 to use a fraction)"},
    {"(convert with pa_astype to f64 or f32)", "(give --dtype f64)"},
    {"(convert with pa_astype to an integer dtype or bool)",
     "(give --dtype with an integer dtype or bool)"},
    {"(convert with pa_astype to bool)", "(give --dtype bool)"},
    {"(convert with pa_astype to an integer dtype)", "(give --dtype with an integer dtype)"},
    {"(convert with pa_astype)", "(convert one first: parray calc with --dtype)"},
    {"(use pa_random_integers)", "(use --random integers)"},
    {"(use pa_random_uniform)", "(use --random uniform)"},
    {"pa_random_uniform: uniform needs a float or complex array (",
     "--random uniform needs a float or complex --dtype ("},
    {"pa_random_normal: normal needs a float or complex array (",
     "--random normal needs a float or complex --dtype ("},
    {"), a is ", "), not "},
    {"pa_full: value = ", "--full "},
    {"; give the format", "; give --format"},
};

/* Replaces the first from in s (of size bytes) by to, cutting what does not fit. */
static void replace(char *s, size_t size, const char *from, const char *to)
{
    char *at = strstr(s, from);
    if (!at)
        return;
    char rest[1024];
    snprintf(rest, sizeof rest, "%s", at + strlen(from));
    snprintf(at, size - (size_t)(at - s), "%s%s", to, rest);
}

/* The size of cmd_errmsg's text. */
#define ERRMSG_SIZE 1024

const char *cmd_errmsg(const pa_ctx *ctx)
{
    static char msg[ERRMSG_SIZE];
    snprintf(msg, sizeof msg, "%s", pa_errmsg(ctx));
    for (size_t k = 0; k < sizeof wording / sizeof wording[0]; k++)
        replace(msg, sizeof msg, wording[k].library, wording[k].program);
    /* "pa_h5_load: b.h5: No such file" -> "b.h5: No such file". */
    size_t call = 0;
    if (strncmp(msg, "pa_", 3) == 0)
        call = 3 + strspn(msg + 3, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (call && strncmp(msg + call, ": ", 2) == 0)
        memmove(msg, msg + call + 2, strlen(msg + call + 2) + 1);
    return msg;
}

const char *cmd_errmsg_inputs(const pa_ctx *ctx, const char *argname, const char *const *inputs,
                              int n)
{
    char *msg = (char *)cmd_errmsg(ctx);
    for (int k = 0; k < n; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s[%d]", argname, k);
        while (strstr(msg, name))
            replace(msg, ERRMSG_SIZE, name, inputs[k]);
    }
    return msg;
}
