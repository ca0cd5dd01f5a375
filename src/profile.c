/* The per-call profile, PARRAY_LOG=summary: each rank's counters of the
 * public collective calls and of the waits, and the table pa_finalize
 * prints from rank 0. The protocol and its cost are in profile.h. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

enum {
#define PA__PROFILE_ROW(name, moves) ROW_##name,
    PA__PROFILE_CALLS(PA__PROFILE_ROW)
#undef PA__PROFILE_ROW
        NCALLS,
    NROWS = NCALLS + PA__NWAITS
};

static const struct {
    const char *name;
    int moves; /* its bytes are data it moves: show them and GB/s */
} calls[NCALLS] = {
#define PA__PROFILE_ROW(name, moves) {#name, moves},
    PA__PROFILE_CALLS(PA__PROFILE_ROW)
#undef PA__PROFILE_ROW
};

static const char *const wait_names[PA__NWAITS] = {"agreements", "barriers"};

/* One rank's totals for one row. */
typedef struct {
    double count, seconds, bytes;
} tally;

struct pa_profile {
    double start;        /* MPI_Wtime at pa_init */
    int depth;           /* public calls open on this rank (nested ones inside the first) */
    int open;            /* the outermost open call's row */
    double t0;           /* and its start */
    double arg_bytes;    /* the arrays named by the call about to open */
    int by_name[NCALLS]; /* the rows in the order of their names: the lookup */
    tally rows[NROWS];
    FILE *out; /* rank 0 with PARRAY_LOG_FILE: the file, else NULL */
};

/* ------------------------------------------------------------ counting */

static int by_name_cmp(const void *x, const void *y)
{
    return strcmp(calls[*(const int *)x].name, calls[*(const int *)y].name);
}

/* The row of the public call fn, or -1 for a name not in the list (a new
 * public call that PA__PROFILE_CALLS misses, which tests/profile.sh finds
 * in the headers; it is left out of the table). A binary search: only with
 * the profile on. */
static int row_of(const pa_profile *p, const char *fn)
{
    int lo = 0, hi = NCALLS - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(fn, calls[p->by_name[mid]].name);
        if (c == 0)
            return p->by_name[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

void pa__profile_begin(pa_ctx **scope, pa_ctx *ctx, const char *fn)
{
    pa_profile *p = ctx->profile;
    *scope = ctx;
    if (p->depth++ == 0) {
        p->open = row_of(p, fn);
        assert(p->open >= 0 && "a collective call that PA__PROFILE_CALLS misses");
        if (p->open >= 0)
            p->rows[p->open].bytes += calls[p->open].moves ? p->arg_bytes : 0;
        p->t0 = MPI_Wtime();
    }
    p->arg_bytes = 0;
}

void pa__profile_end(pa_ctx *ctx)
{
    pa_profile *p = ctx->profile;
    if (--p->depth == 0 && p->open >= 0) {
        p->rows[p->open].count += 1;
        p->rows[p->open].seconds += MPI_Wtime() - p->t0;
    }
}

static double bytes_of(const pa_array *a)
{
    return (double)a->size * (double)pa_dtype_size(a->dtype);
}

void pa__profile_arg(const pa_array *a)
{
    pa_profile *p = a->ctx->profile;
    if (p->depth == 0)
        p->arg_bytes += bytes_of(a);
}

void pa__profile_created(const pa_array *a)
{
    pa_profile *p = a->ctx->profile;
    if (p->depth > 0 && p->open >= 0 && calls[p->open].moves)
        p->rows[p->open].bytes += bytes_of(a);
}

void pa__profile_wait(pa_ctx *ctx, pa__wait_kind kind, double t0)
{
    tally *t = &ctx->profile->rows[NCALLS + kind];
    t->count += 1;
    t->seconds += MPI_Wtime() - t0;
}

/* ------------------------------------------------------------ set-up */

int pa__profile_init(pa_ctx *ctx)
{
    if (!ctx->log)
        return PA_OK;
    pa_profile *p = calloc(1, sizeof *p);
    PA_CHECK_AS(ctx, "pa_init", p, PA_ENOMEM, "out of memory");
    ctx->profile = p;
    for (int i = 0; i < NCALLS; i++)
        p->by_name[i] = i;
    qsort(p->by_name, NCALLS, sizeof p->by_name[0], by_name_cmp);
    if (ctx->rank == 0 && ctx->log_file && !(p->out = fopen(ctx->log_file, "w")))
        return pa__err(ctx, "pa_init", PA_EIO, "PARRAY_LOG_FILE='%s': cannot write it: %s",
                       ctx->log_file, strerror(errno));
    p->start = MPI_Wtime();
    return PA_OK;
}

void pa__profile_free(pa_ctx *ctx)
{
    pa_profile *p = ctx->profile;
    if (!p)
        return;
    if (p->out)
        (void)fclose(p->out); /* teardown: the report has checked its writes */
    free(p);
    ctx->profile = NULL;
}

/* ------------------------------------------------------------ the table */

/* The reduced figures of one row, on rank 0. */
typedef struct {
    const char *name;
    int moves;
    double count_min, count_max, max_s, min_s, bytes;
} line;

/* Per row, five values reduced with MPI_MIN: count, -count, seconds,
 * -seconds, -bytes (the minimum of a negation is the maximum), so one
 * MPI_Reduce gives the minima and maxima alike. Then the run's time. */
enum { PER_ROW = 5, NVALUES = NROWS * PER_ROW + 2 };

static int by_time_desc(const void *x, const void *y)
{
    const line *a = x, *b = y;
    return (a->max_s < b->max_s) - (a->max_s > b->max_s);
}

/* "72.0 MB": decimal units, as GB/s is. */
static const char *bytes_text(double b, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (b >= 1000 && u < 5) {
        b /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
    return buf;
}

static void print_line(FILE *f, const line *l, double run)
{
    char count[48], bytes[32] = "-", rate[32] = "-", ratio[32] = "-";
    if (l->count_min == l->count_max)
        snprintf(count, sizeof count, "%.0f", l->count_max);
    else
        snprintf(count, sizeof count, "%.0f-%.0f", l->count_min, l->count_max);
    if (l->min_s > 0)
        snprintf(ratio, sizeof ratio, "%.2f", l->max_s / l->min_s);
    if (l->moves && l->bytes > 0) {
        bytes_text(l->bytes, bytes, sizeof bytes);
        if (l->max_s > 0)
            snprintf(rate, sizeof rate, "%.3g", l->bytes / l->max_s / 1e9);
    }
    fprintf(f, "%-20s %9s %10.3e %10.3e %7s %6.1f%% %10s %8s\n", l->name, count, l->max_s,
            l->min_s, ratio, run > 0 ? 100 * l->max_s / run : 0.0, bytes, rate);
}

/* Row r's line from the reduced values m, or 0 when no rank counted it. */
static int line_of(const double *m, int r, line *l)
{
    const double *v = m + r * PER_ROW;
    *l = (line){r < NCALLS ? calls[r].name : wait_names[r - NCALLS],
                r < NCALLS && calls[r].moves,
                v[0],
                -v[1],
                -v[3],
                v[2],
                -v[4]};
    return l->count_max > 0;
}

/* Rank 0: the table from the reduced values m; returns whether it was
 * written whole. */
static int print_table(pa_ctx *ctx, FILE *f, const double *m)
{
    line lines[NCALLS], l;
    int n = 0;
    for (int r = 0; r < NCALLS; r++)
        n += line_of(m, r, &lines[n]);
    qsort(lines, (size_t)n, sizeof lines[0], by_time_desc);
    double run_max = -m[NROWS * PER_ROW + 1], run_min = m[NROWS * PER_ROW];
    fprintf(f,
            "parray profile (PARRAY_LOG=summary): %d rank%s on %d node%s, %.4g s from "
            "pa_init to pa_finalize (%.4g s on the quickest rank)\n",
            ctx->size, ctx->size > 1 ? "s" : "", ctx->nnodes, ctx->nnodes > 1 ? "s" : "", run_max,
            run_min);
    fprintf(f, "%-20s %9s %10s %10s %7s %7s %10s %8s\n", "call", "count", "max s", "min s",
            "max/min", "%time", "bytes", "GB/s");
    for (int i = 0; i < n; i++)
        print_line(f, &lines[i], run_max);
    fprintf(f, "waiting, inside the calls above:\n");
    for (int r = NCALLS; r < NROWS; r++)
        if (line_of(m, r, &l))
            print_line(f, &l, run_max);
    return fflush(f) == 0 && !ferror(f);
}

int pa__profile_report(pa_ctx *ctx)
{
    pa_profile *p = ctx->profile;
    if (!p)
        return PA_OK;
    double run = MPI_Wtime() - p->start;
    double v[NVALUES], m[NVALUES];
    for (int r = 0; r < NROWS; r++) {
        const tally *t = &p->rows[r];
        double *x = v + r * PER_ROW;
        x[0] = t->count;
        x[1] = -t->count;
        x[2] = t->seconds;
        x[3] = -t->seconds;
        x[4] = -t->bytes;
    }
    v[NROWS * PER_ROW] = run;
    v[NROWS * PER_ROW + 1] = -run;
    int rc = pa__mpi(ctx, "pa_finalize",
                     MPI_Reduce(v, m, NVALUES, MPI_DOUBLE, MPI_MIN, 0, ctx->comm),
                     "MPI_Reduce of the profile");
    if (rc == PA_OK && ctx->rank == 0) {
        FILE *f = p->out ? p->out : stderr;
        if (!print_table(ctx, f, m))
            rc = pa__err(ctx, "pa_finalize", PA_EIO, "writing the profile to %s failed",
                         p->out ? ctx->log_file : "stderr");
    }
    return pa__agree(ctx, ctx->comm, rc);
}
