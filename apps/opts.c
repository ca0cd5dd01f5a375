/* The one option parser of the program: getopt_long in its "return in
 * order" mode (each positional comes back where it stands, so options may
 * follow positionals without argv being permuted), with the program's own
 * messages: getopt's are off, and a refused option is looked at again here
 * to say why (unknown, with the nearest known name; ambiguous; no value
 * allowed; value missing). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "num.h"
#include "opts.h"

/* getopt_long's val for spec k: its letter, or a code past every char. */
#define LONG_VAL(k) (256 + (k))

static void build(opts *p, int in_order)
{
    size_t s = 0;
    /* '-': positionals come back in order as option 1; '+': options stop
     * at the first positional. ':' (next): a missing value is ':', not '?',
     * and getopt prints nothing. */
    p->shortopts[s++] = in_order ? '+' : '-';
    p->shortopts[s++] = ':';
    int n = 0;
    for (int k = 0; k < p->nspecs && n < OPTS_MAX; k++, n++) {
        const opt_spec *o = &p->specs[k];
        p->longopts[n] = (struct option){o->name,
                                         o->arg == OPT_FLAG    ? no_argument
                                         : o->arg == OPT_VALUE ? required_argument
                                                               : optional_argument,
                                         NULL, o->letter ? o->letter : LONG_VAL(k)};
        if (o->letter) {
            p->shortopts[s++] = o->letter;
            if (o->arg != OPT_FLAG)
                p->shortopts[s++] = ':';
            if (o->arg == OPT_OPTIONAL)
                p->shortopts[s++] = ':';
        }
    }
    if (p->usage && n < OPTS_MAX) {
        p->longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
        p->shortopts[s++] = 'h';
    }
    p->longopts[n] = (struct option){0};
    p->shortopts[s] = '\0';
}

static void begin(opts *p, const pa_ctx *ctx, const char *sub, const char *usage,
                  const opt_spec *specs, int nspecs, int argc, char **argv, int in_order)
{
    *p = (opts){.ctx = ctx,
                .sub = sub,
                .usage = usage,
                .specs = specs,
                .nspecs = nspecs,
                .argc = argc,
                .argv = argv};
    build(p, in_order);
    /* 0, not 1: glibc starts afresh (the ordering is read from the option
     * string again), so a second parse in one process works too. */
    optind = 0;
    opterr = 0;
}

void opts_begin(opts *p, const pa_ctx *ctx, const char *sub, const char *usage,
                const opt_spec *specs, int nspecs, int argc, char **argv)
{
    begin(p, ctx, sub, usage, specs, nspecs, argc, argv, 0);
}

void opts_begin_in_order(opts *p, const char *sub, const char *usage, const opt_spec *specs,
                         int nspecs, int argc, char **argv)
{
    begin(p, NULL, sub, usage, specs, nspecs, argc, argv, 1);
}

/* ------------------------------------------------------------ suggestions */

/* Edit distance with swaps of neighbours (optimal string alignment),
 * capped: words longer than 63 bytes are never near anything. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 1 << 20;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *opts_nearest(const char *word, const char *const *names, int n)
{
    const char *best = NULL;
    int bestd = 1 << 20;
    for (int k = 0; k < n; k++) {
        int d = distance(word, names[k]);
        if (d < bestd) {
            bestd = d;
            best = names[k];
        }
    }
    /* Near enough to be a typo: at most 2 edits, and at most half the word
     * (so that "--x" does not become "--n"). */
    size_t len = strlen(word);
    return best && bestd <= 2 && (size_t)(2 * bestd) <= len ? best : NULL;
}

/* ------------------------------------------------------------ refusals */

int opts_fail(opts *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return p->status = cmd_usage(p->ctx, p->sub, "%s", msg);
}

/* The long names, --help included. */
static int long_names(const opts *p, const char **names)
{
    int n = 0;
    for (; p->longopts[n].name; n++)
        names[n] = p->longopts[n].name;
    return n;
}

/* Why getopt refused the long option arg ("--name" or "--name=value"),
 * into msg. */
static void why_long(const opts *p, const char *arg, char *msg, size_t size)
{
    char name[128];
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    snprintf(name, sizeof name, "%.*s", (int)(len < 100 ? len : 100), arg);
    const char *names[OPTS_MAX + 1], *match[OPTS_MAX + 1];
    int n = long_names(p, names), nmatch = 0, exact = -1;
    for (int k = 0; k < n; k++) {
        if (strcmp(names[k], name + 2) == 0)
            exact = k;
        if (strncmp(names[k], name + 2, strlen(name + 2)) == 0)
            match[nmatch++] = names[k];
    }
    if (exact >= 0 || nmatch == 1) {
        snprintf(msg, size, "--%s takes no value ('%s')", exact >= 0 ? names[exact] : match[0],
                 arg);
    } else if (nmatch > 1) {
        size_t at = (size_t)snprintf(msg, size, "option %s is ambiguous:", name);
        for (int k = 0; k < nmatch && at < size; k++)
            at += (size_t)snprintf(msg + at, size - at, "%s --%s", k ? "," : "", match[k]);
    } else {
        const char *near = opts_nearest(name + 2, names, n);
        snprintf(msg, size, "unknown option %s%s%s%s", name, near ? " (did you mean --" : "",
                 near ? near : "", near ? "?)" : "");
    }
}

/* Why getopt refused the short option c of arg ("-x..."), into msg.
 * "-shape" is most likely --shape with one dash too few. */
static void why_short(const opts *p, const char *arg, int c, char *msg, size_t size)
{
    const char *names[OPTS_MAX + 1];
    int n = long_names(p, names);
    const char *near = arg[0] == '-' && arg[1] == c && arg[2] ? opts_nearest(arg + 1, names, n)
                                                              : NULL;
    if (near)
        snprintf(msg, size, "unknown option %s (did you mean --%s?)", arg, near);
    else if (c > 0x20 && c < 0x7f)
        snprintf(msg, size, "unknown option -%c", c);
    else
        snprintf(msg, size, "unknown option '%s'", arg);
}

/* The spec whose getopt val is v, or -1. */
static int spec_of(const opts *p, int v)
{
    for (int k = 0; k < p->nspecs; k++)
        if ((p->specs[k].letter ? p->specs[k].letter : LONG_VAL(k)) == v)
            return k;
    return -1;
}

/* ------------------------------------------------------------ parsing */

int opts_next(opts *p)
{
    if (p->ended) {
        if (p->next >= p->argc)
            return OPTS_END;
        p->name = NULL;
        p->value = p->argv[p->next++];
        return OPTS_ARG;
    }
    int at = optind ? optind : 1; /* the element getopt is about to read */
    int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
    const char *arg = at < p->argc ? p->argv[at] : "";
    if (c == -1) {
        /* `--`, or with in_order the first positional: the rest are
         * positionals. */
        p->ended = 1;
        p->next = optind;
        return opts_next(p);
    }
    if (c == 1) {
        p->name = NULL;
        p->value = optarg;
        return OPTS_ARG;
    }
    if (c == '?') {
        char msg[600];
        if (strncmp(arg, "--", 2) == 0)
            why_long(p, arg, msg, sizeof msg);
        else
            why_short(p, arg, optopt, msg, sizeof msg);
        opts_fail(p, "%s", msg);
        return OPTS_STOP;
    }
    int k = spec_of(p, c == ':' ? optopt : c);
    if (k < 0) { /* the implicit --help, or a prefix of it, from rank 0 */
        if (!p->ctx || pa_ctx_rank(p->ctx) == 0)
            fputs(p->usage, stdout);
        p->status = 0;
        return OPTS_STOP;
    }
    const opt_spec *o = &p->specs[k];
    if (strncmp(arg, "--", 2) == 0 || !o->letter)
        snprintf(p->namebuf, sizeof p->namebuf, "--%s", o->name);
    else
        snprintf(p->namebuf, sizeof p->namebuf, "-%c", o->letter);
    p->name = p->namebuf;
    if (c == ':') {
        opts_fail(p, "%s needs a value", p->name);
        return OPTS_STOP;
    }
    p->value = optarg;
    return o->id;
}

const char *opts_peek(const opts *p)
{
    if (p->ended || optind >= p->argc || p->argv[optind][0] == '-')
        return NULL;
    return p->argv[optind];
}

void opts_take(opts *p)
{
    if (opts_peek(p))
        optind++;
}

/* ------------------------------------------------------------ values */

/* The result of a num.h call under the option's name. */
static int num_done(opts *p, int rc)
{
    if (rc == 0)
        return 0;
    return opts_fail(p, "%s", p->err);
}

int opts_uint(opts *p, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return num_done(p, num_uint(p->name, p->value, lo, hi, out, p->err, sizeof p->err));
}

int opts_real(opts *p, int finite, double *out)
{
    return num_done(p, num_real(p->name, p->value, finite, out, p->err, sizeof p->err));
}

int opts_size(opts *p, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return num_done(p, num_size(p->name, p->value, lo, hi, out, p->err, sizeof p->err));
}

int opts_uint_list(opts *p, uint64_t lo, uint64_t hi, size_t *out, int max, int *count)
{
    return num_done(
        p, num_uint_list(p->name, p->value, lo, hi, out, max, count, p->err, sizeof p->err));
}

int opts_int(opts *p, int64_t lo, int64_t hi, int64_t *out)
{
    return num_done(p, num_int(p->name, p->value, lo, hi, out, p->err, sizeof p->err));
}

int opts_int_list(opts *p, int64_t lo, int64_t hi, int64_t *out, int max, int *count)
{
    return num_done(
        p, num_int_list(p->name, p->value, lo, hi, out, max, count, p->err, sizeof p->err));
}

int opts_slice(opts *p, int64_t lo, int64_t hi, int64_t v[3], int given[3])
{
    return num_done(p, num_slice(p->name, p->value, lo, hi, v, given, p->err, sizeof p->err));
}

int opts_real_pair(opts *p, int finite, double out[2])
{
    return num_done(p, num_real_pair(p->name, p->value, finite, out, p->err, sizeof p->err));
}

int opts_real_list(opts *p, int finite, double *out, int max, int *count)
{
    return num_done(
        p, num_real_list(p->name, p->value, finite, out, max, count, p->err, sizeof p->err));
}

int opts_char(opts *p, char *out)
{
    const char *s = p->value;
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (strlen(s) != 1 || *s == '\n' || *s == '\r')
        return opts_fail(p, "%s takes one character or 'tab'", p->name);
    *out = *s;
    return 0;
}

int opts_dtype(opts *p, pa_dtype *out)
{
    if (pa_dtype_parse(p->value, out) == PA_OK)
        return 0;
    char names[256];
    size_t at = 0;
    for (int d = 0; d < PA_NDTYPES && at < sizeof names; d++)
        at += (size_t)snprintf(names + at, sizeof names - at, "%s%s",
                               d == 0                ? ""
                               : d + 1 == PA_NDTYPES ? " or "
                                                     : ", ",
                               pa_dtype_name((pa_dtype)d));
    return opts_fail(p, "%s '%s' is not %s", p->name, p->value, names);
}
