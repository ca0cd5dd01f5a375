/* `bench --compare OLD.json`: the old file's figures (JSON lines read
 * with json.h's reader) against this run's, each change judged against the
 * threshold and the two runs' min..max ranges. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../json.h"
#include "bench_private.h"

/* A figure of the --compare file: what identifies it, its median and its
 * min..max (NAN when the line has none: then the median stands for both). */
struct old_fig {
    char experiment[32];
    char method[64];
    char unit[16];
    double size;
    double median, min, max;
    int ranks; /* layout.ranks, or -1 when the line has none */
    int line;
    int matched;
};

/* The JSON lines are read with json.h's reader: of each line's object only
 * some members matter, and every other value is skipped by its syntax, so
 * lines from newer or older versions with more or fewer members still
 * read. */

static int layout_member(json_reader *j, const char *key, void *arg)
{
    struct old_fig *o = arg;
    if (strcmp(key, "ranks") == 0) {
        double v;
        if (json_read_number(j, &v) != 0)
            return -1;
        o->ranks = v >= 1 && v <= INT_MAX ? (int)v : -1;
        return 0;
    }
    return json_skip(j);
}

/* Which of the needed members a line had, as bits. */
enum { HAS_EXP = 1, HAS_METHOD = 2, HAS_SIZE = 4, HAS_UNIT = 8, HAS_MEDIAN = 16, HAS_ALL = 31 };

typedef struct {
    struct old_fig *o;
    int has;
} fig_reader;

static int fig_member(json_reader *j, const char *key, void *arg)
{
    fig_reader *r = arg;
    struct old_fig *o = r->o;
    if (strcmp(key, "experiment") == 0)
        return r->has |= HAS_EXP, json_read_string(j, o->experiment, sizeof o->experiment);
    if (strcmp(key, "method") == 0)
        return r->has |= HAS_METHOD, json_read_string(j, o->method, sizeof o->method);
    if (strcmp(key, "unit") == 0)
        return r->has |= HAS_UNIT, json_read_string(j, o->unit, sizeof o->unit);
    if (strcmp(key, "size") == 0)
        return r->has |= HAS_SIZE, json_read_number(j, &o->size);
    if (strcmp(key, "median") == 0)
        return r->has |= HAS_MEDIAN, json_read_number(j, &o->median);
    if (strcmp(key, "min") == 0)
        return json_read_number(j, &o->min);
    if (strcmp(key, "max") == 0)
        return json_read_number(j, &o->max);
    if (strcmp(key, "layout") == 0)
        return json_read_object(j, layout_member, o);
    return json_skip(j);
}

void bench_compare_free(bench *b)
{
    free(b->old);
    b->old = NULL;
    b->nold = 0;
}

int bench_compare_read(bench *b)
{
    const char *path = b->opts.compare;
    FILE *f = fopen(path, "r");
    if (!f)
        return bench_fail(b, "--compare %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0, capold = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (b->nold == capold) {
            int ncap = capold ? 2 * capold : 64;
            struct old_fig *n = realloc(b->old, sizeof *n * (size_t)ncap);
            if (!n) {
                rc = bench_fail(b, "--compare %s: out of memory", path);
                break;
            }
            b->old = n;
            capold = ncap;
        }
        struct old_fig *o = &b->old[b->nold];
        memset(o, 0, sizeof *o);
        o->ranks = -1;
        o->min = o->max = NAN;
        o->line = lineno;
        fig_reader r = {o, 0};
        json_reader j;
        json_reader_init(&j, line, (size_t)got);
        if (json_read_object(&j, fig_member, &r) != 0 || json_read_end(&j) != 0) {
            rc = bench_fail(b,
                            "--compare %s:%d:%zu: not a JSON object on one line (%s; write "
                            "the file with parray bench --json)",
                            path, lineno, j.err_at + 1, j.err);
            break;
        }
        if (r.has != HAS_ALL) {
            rc = bench_fail(b, "--compare %s:%d: not a figure of parray bench: it lacks %s", path,
                            lineno,
                            !(r.has & HAS_EXP)      ? "\"experiment\""
                            : !(r.has & HAS_METHOD) ? "\"method\""
                            : !(r.has & HAS_SIZE)   ? "\"size\""
                            : !(r.has & HAS_UNIT)   ? "\"unit\""
                                                    : "\"median\"");
            break;
        }
        b->nold++;
    }
    if (rc == 0 && ferror(f))
        rc = bench_fail(b, "--compare %s: read error: %s", path, strerror(errno));
    if (rc == 0 && b->nold == 0)
        rc = bench_fail(b, "--compare %s: no figures in the file", path);
    free(line);
    fclose(f);
    return rc;
}

/* Lower is better for a time, higher for a rate. */
static int is_time_unit(const char *unit)
{
    return strcmp(unit, "s") == 0 || strcmp(unit, "us") == 0;
}

/* The verdict on one figure, old against new: 1 for a regression (worse by
 * more than threshold percent, and the new min..max range wholly on the
 * worse side of the old one), -1 for faster (the same the other way
 * round), 0 otherwise. Worse is slower: a lower rate, or with is_time a
 * longer time. */
static int compare_verdict(double old_med, double old_min, double old_max, double new_med,
                           double new_min, double new_max, int is_time, double threshold)
{
    /* A missing end of a range is the median. */
    old_min = isnan(old_min) ? old_med : old_min;
    old_max = isnan(old_max) ? old_med : old_max;
    new_min = isnan(new_min) ? new_med : new_min;
    new_max = isnan(new_max) ? new_med : new_max;
    double pct = 100.0 * (new_med - old_med) / old_med;
    if (!isfinite(pct))
        return 0;
    /* Worse in percent, and the new range wholly on the worse side: for a
     * rate below the old minimum, for a time above the old maximum. */
    double worse = is_time ? pct : -pct;
    int below = new_max<old_min, above = new_min> old_max;
    if (worse > threshold && (is_time ? above : below))
        return 1;
    if (worse < -threshold && (is_time ? below : above))
        return -1;
    return 0;
}

/* "9.78..12.3" */
static void fmt_range(double lo, double hi, char *buf, size_t len)
{
    if (isnan(lo) || isnan(hi))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.4g..%.4g", lo, hi);
}

/* One row of the comparison; the verdict last, where its width moves
 * nothing. */
#define CMP_FMT "%-11s %-50s %9s %9s %9s %-9s %-19s %-19s %8s%s%s\n"

int bench_compare(bench *b)
{
    int nreg = 0;
    if (!b->opts.compare)
        return 0;
    if (b->rank == 0) {
        /* Match on the rank count too, unless the old file has no run at
         * this one: then any rank count matches, and the output says so. */
        int same_ranks = 0;
        for (int i = 0; i < b->nold; i++)
            same_ranks |= b->old[i].ranks == b->size;
        double thr = b->opts.threshold;
        printf("\ncompare: %s -> this run (%d rank%s); change of the median; a REGRESSION is "
               "worse than %g%% with the min..max ranges apart (ranges that overlap are "
               "noise)\n",
               b->opts.compare, b->size, b->size == 1 ? "" : "s", thr);
        if (!same_ranks)
            printf("compare: %s has no run at %d rank%s: figures matched whatever their rank "
                   "count\n",
                   b->opts.compare, b->size, b->size == 1 ? "" : "s");
        printf(CMP_FMT, "experiment", "method", "size", "old", "new", "unit", "old min..max",
               "new min..max", "change", "", "");
        int ncmp = 0, nnew = 0, ngone = 0, nnoise = 0;
        for (int i = 0; i < b->nold; i++)
            b->old[i].matched = 0;
        for (int k = 0; k < b->nfigs; k++) {
            const figure *f = &b->figs[k];
            struct old_fig *o = NULL;
            /* The last line that matches: a file appended to holds the
             * latest run last. */
            for (int i = 0; i < b->nold; i++) {
                struct old_fig *c = &b->old[i];
                if (strcmp(c->experiment, f->experiment) == 0 &&
                    strcmp(c->method, f->method) == 0 && c->size == f->size &&
                    strcmp(c->unit, f->rate_unit) == 0 && (!same_ranks || c->ranks == b->size))
                    o = c;
            }
            char size[32], oldv[32], newv[32], change[32], orange[48], nrange[48];
            bench_size_str(f->size, f->size_elems, size, sizeof size);
            bench_fmt_value(f->vmed, newv, sizeof newv);
            if (!o) {
                nnew++;
                continue;
            }
            for (int i = 0; i < b->nold; i++) /* every duplicate of it is accounted for */
                if (strcmp(b->old[i].experiment, o->experiment) == 0 &&
                    strcmp(b->old[i].method, o->method) == 0 && b->old[i].size == o->size &&
                    strcmp(b->old[i].unit, o->unit) == 0 && b->old[i].ranks == o->ranks)
                    b->old[i].matched = 1;
            ncmp++;
            bench_fmt_value(o->median, oldv, sizeof oldv);
            fmt_range(isnan(o->min) ? o->median : o->min, isnan(o->max) ? o->median : o->max,
                      orange, sizeof orange);
            fmt_range(f->vmin, f->vmax, nrange, sizeof nrange);
            double pct = 100.0 * (f->vmed - o->median) / o->median;
            int is_time = is_time_unit(f->rate_unit);
            int v = compare_verdict(o->median, o->min, o->max, f->vmed, f->vmin, f->vmax, is_time,
                                    thr);
            const char *flag = "";
            if (v > 0) {
                flag = "REGRESSION";
                nreg++;
            } else if (v < 0) {
                flag = "faster";
            } else if (isfinite(pct) && fabs(pct) > thr) {
                flag = "ranges overlap: noise";
                nnoise++;
            }
            if (isfinite(pct))
                snprintf(change, sizeof change, "%+.1f%%", pct);
            else
                snprintf(change, sizeof change, "n/a");
            printf(CMP_FMT, f->experiment, f->method, size, oldv, newv, f->rate_unit, orange,
                   nrange, change, flag[0] ? "  " : "", flag);
        }
        if (nnew) {
            printf("only in this run (no figure in %s):\n", b->opts.compare);
            for (int k = 0; k < b->nfigs; k++) {
                const figure *f = &b->figs[k];
                int found = 0;
                for (int i = 0; i < b->nold && !found; i++) {
                    const struct old_fig *c = &b->old[i];
                    found = c->matched && strcmp(c->experiment, f->experiment) == 0 &&
                            strcmp(c->method, f->method) == 0 && c->size == f->size &&
                            strcmp(c->unit, f->rate_unit) == 0;
                }
                if (!found) {
                    char size[32];
                    bench_size_str(f->size, f->size_elems, size, sizeof size);
                    printf("  %-11s %-50s %9s\n", f->experiment, f->method, size);
                }
            }
        }
        for (int i = 0; i < b->nold; i++) {
            const struct old_fig *c = &b->old[i];
            /* Figures of other rank counts are not missing from this run. */
            if (c->matched || (same_ranks && c->ranks != b->size))
                continue;
            if (ngone++ == 0)
                printf("only in %s (not measured in this run):\n", b->opts.compare);
            printf("  %-11s %-50s %9.4g  (line %d)\n", c->experiment, c->method, c->size,
                   c->line);
        }
        printf("compare: %d figure%s compared, %d REGRESSION%s (worse than %g%%, ranges apart), "
               "%d changed by more than %g%% within overlapping ranges (noise), %d only in "
               "this run, %d only in %s\n",
               ncmp, ncmp == 1 ? "" : "s", nreg, nreg == 1 ? "" : "S", thr, nnoise, thr, nnew,
               ngone, b->opts.compare);
        fflush(stdout);
    }
    MPI_Bcast(&nreg, 1, MPI_INT, 0, b->comm);
    return nreg;
}
