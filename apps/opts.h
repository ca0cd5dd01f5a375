/* Options on the command line: the one parser every subcommand goes
 * through, getopt_long underneath, so that every subcommand follows the
 * same conventions:
 *   --shape=10,3 and --shape 10,3 are the same; -o FILE and -oFILE too;
 *   a long option may be shortened to any prefix that names only it;
 *   options and positional arguments mix in any order (positionals are
 *   returned in their order); `--` ends the options;
 *   an option with an optional value (--json) takes it only after '=';
 *   --help and -h print the subcommand's usage;
 *   an unknown option is refused naming the nearest known one, e.g.
 *     "unknown option --dtpye (did you mean --dtype?)".
 * Messages go out through cmd_usage (rank 0 of ctx; ctx may be NULL before
 * MPI starts) and depend only on argv, so every rank reaches the same
 * verdict without talking.
 *
 *   static const opt_spec specs[] = {{"out", 'o', OPT_VALUE, O_OUT}, ...};
 *   opts p;
 *   opts_begin(&p, ctx, "calc", usage, specs, NSPECS, argc, argv);
 *   for (int k; (k = opts_next(&p)) != OPTS_END;)
 *       switch (k) {
 *       case OPTS_STOP: return p.status;        // --help, or a usage error
 *       case OPTS_ARG: ... p.value ...          // a positional argument
 *       case O_OUT: out = p.value; break;
 *       case O_ROWS: if (opts_uint(&p, 1, 100, &n)) return p.status; ...
 *       }
 */
#ifndef PARRAY_OPTS_H
#define PARRAY_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "parray.h"

/* Whether an option takes a value. */
enum { OPT_FLAG, OPT_VALUE, OPT_OPTIONAL };

typedef struct {
    const char *name; /* the long name without "--", e.g. "rows-per-block" */
    char letter;      /* the short form ('o' for -o), or 0 */
    int arg;          /* OPT_FLAG, OPT_VALUE or OPT_OPTIONAL (only as --name=VALUE) */
    int id;           /* what opts_next returns for it: > 0, not OPTS_ARG */
} opt_spec;

/* What opts_next returns besides an option's id. */
enum { OPTS_END = -1, OPTS_STOP = -2, OPTS_ARG = 1 };

/* The most options a subcommand has (--help included). */
#define OPTS_MAX 40

typedef struct {
    const pa_ctx *ctx;
    const char *sub, *usage;
    const opt_spec *specs;
    int nspecs, argc;
    char **argv;
    struct option longopts[OPTS_MAX + 1];
    char shortopts[3 * OPTS_MAX + 4];
    int ended; /* `--` was seen or the options stopped: the rest are positionals */
    int next;  /* then: the next positional's index in argv */
    char namebuf[130];
    const char *name;  /* the option just returned, as messages name it: "--shape", "-o" */
    const char *value; /* its value (NULL for a flag, or an optional value not given),
                        * or the positional argument */
    int status;        /* after OPTS_STOP: the exit status (0 after --help, 2 after an error) */
    char err[512];     /* the reason a num.h call gave for refusing the value */
} opts;

/* Starts parsing argv[1..argc) (argv[0] is the subcommand's name) against
 * specs. With in_order, options stop at the first positional argument,
 * which with all after it comes back as OPTS_ARG (for `parray [OPTIONS]
 * SUBCOMMAND ...`). Not collective. */
void opts_begin(opts *p, const pa_ctx *ctx, const char *sub, const char *usage,
                const opt_spec *specs, int nspecs, int argc, char **argv);
void opts_begin_in_order(opts *p, const char *sub, const char *usage, const opt_spec *specs,
                         int nspecs, int argc, char **argv);

/* The next option's id (p->name, p->value), OPTS_ARG (p->value), OPTS_END
 * when all are read, or OPTS_STOP with p->status: after --help (the usage
 * was printed from rank 0) or after a usage error (printed). */
int opts_next(opts *p);

/* For a subcommand that parses in a function of its own, which returns 0
 * for "go on and run": after OPTS_STOP it returns opts_stopped(p), never 0
 * (p->status, or OPTS_HELPED after --help), and the subcommand ends with
 * opts_exit_status(that): OPTS_HELPED becomes exit status 0. */
#define OPTS_HELPED (-1)
static inline int opts_stopped(const opts *p)
{
    return p->status ? p->status : OPTS_HELPED;
}
static inline int opts_exit_status(int status)
{
    return status == OPTS_HELPED ? 0 : status;
}

/* The next argument if it is not an option, without taking it, else NULL;
 * opts_take takes it. For an option whose value was optional in the past
 * (bench's --json FILE). */
const char *opts_peek(const opts *p);
void opts_take(opts *p);

/* A usage error about the option just returned: prints it as cmd_usage
 * does, sets p->status to 2 and returns 2. */
int opts_fail(opts *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The value of the option just returned, read by num.h under the option's
 * name. Each returns 0, or after a usage error (printed) p->status = 2. */
int opts_uint(opts *p, uint64_t lo, uint64_t hi, uint64_t *out);
int opts_real(opts *p, int finite, double *out);
int opts_size(opts *p, uint64_t lo, uint64_t hi, uint64_t *out);
int opts_uint_list(opts *p, uint64_t lo, uint64_t hi, size_t *out, int max, int *count);
int opts_int(opts *p, int64_t lo, int64_t hi, int64_t *out);
int opts_int_list(opts *p, int64_t lo, int64_t hi, int64_t *out, int max, int *count);
int opts_slice(opts *p, int64_t lo, int64_t hi, int64_t v[3], int given[3]);
int opts_real_pair(opts *p, int finite, double out[2]);
int opts_real_list(opts *p, int finite, double *out, int max, int *count);
/* A CSV delimiter or comment character: one character, not a newline, or
 * "tab" or "\t" for a tab (the library checks what the character may be). */
int opts_char(opts *p, char *out);
/* A dtype name: f64, f32, i64, ... (the message lists them all). */
int opts_dtype(opts *p, pa_dtype *out);

/* The known name nearest to word by edit distance (a swap of two
 * neighbouring letters counts as one edit), when it is near enough to be
 * a likely typo, else NULL. */
const char *opts_nearest(const char *word, const char *const *names, int n);

#endif
