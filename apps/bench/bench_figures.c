/* The bench harness's core, a run's figures: failures and their
 * agreement, the run's accessors, figures from timed repetitions combined
 * over the ranks, their ratios and targets, and the notes under an
 * experiment's rows. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../agree.h"
#include "bench_private.h"

/* ------------------------------------------------------------ helpers */

void bench_size_str(double size, int elems, char *buf, size_t len)
{
    static const char *const dec[] = {"k", "M", "G", "T"};
    static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB"};
    const char *unit = elems ? " elem" : " B";
    /* Small counts (matrix orders, 1024) read best whole. */
    if (elems && size < 1e5 && size == floor(size)) {
        snprintf(buf, len, "%.0f", size);
        return;
    }
    /* A round decimal size reads best in decimal units, a round binary one
     * in binary units; anything else in decimal with 4 digits. */
    for (int k = 3; k >= 0; k--) {
        double u = pow(1e3, k + 1);
        if (size >= u && fmod(size, u) == 0) {
            snprintf(buf, len, "%.0f %s%s", size / u, dec[k], elems ? " elem" : "B");
            return;
        }
    }
    if (!elems)
        for (int k = 3; k >= 0; k--) {
            double u = ldexp(1, 10 * (k + 1));
            if (size >= u && fmod(size, u) == 0) {
                snprintf(buf, len, "%.0f %s", size / u, bin[k]);
                return;
            }
        }
    for (int k = 3; k >= 0; k--) {
        double u = pow(1e3, k + 1);
        if (size >= u) {
            snprintf(buf, len, "%.4g %s%s", size / u, dec[k], elems ? " elem" : "B");
            return;
        }
    }
    snprintf(buf, len, "%.0f%s", size, unit);
}

/* ------------------------------------------------------------ failures */

int bench_fail(bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->errmsg, sizeof b->errmsg, fmt, ap);
    va_end(ap);
    return -1;
}

int bench_pa_fail(bench *b, const char *what)
{
    return bench_fail(b, "%s: %s: %s", b->expname, what, pa_errmsg(b->ctx));
}

int bench_pa_ok(bench *b, int rc, const char *what)
{
    return rc == PA_OK ? 0 : bench_pa_fail(b, what);
}

int bench_agree(bench *b, int rc)
{
    return agree_failure(b->comm, rc != 0, b->errmsg, (int)sizeof b->errmsg);
}

/* ------------------------------------------------------------ the run */

pa_ctx *bench_ctx(const bench *b)
{
    return b->ctx;
}
MPI_Comm bench_comm(const bench *b)
{
    return b->comm;
}
MPI_Comm bench_node_comm(const bench *b)
{
    return b->node_comm;
}
const bench_opts *bench_options(const bench *b)
{
    return &b->opts;
}

size_t bench_bytes(const bench *b, size_t full, size_t quick)
{
    return b->opts.bytes ? b->opts.bytes : b->opts.quick ? quick : full;
}

size_t bench_elems(const bench *b, size_t full, size_t quick)
{
    return b->opts.size ? b->opts.size : b->opts.quick ? quick : full;
}

int bench_blas_sizes(const bench *b, const size_t **n)
{
    *n = b->blas_n;
    return b->blas_nn;
}

/* ------------------------------------------------------------ figures */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The value of one time sample: the time itself, the time per call in us,
 * or the rate. */
static double value_of(const figure *f, double t)
{
    return f->work > 0 ? f->work / t / 1e9 : f->calls > 0 ? t / f->calls * 1e6 : t;
}

static int add_figure(bench *b, const bench_spec *spec, const double *t, int n, int *fig)
{
    int rc = 0;
    figure *f = NULL;
    double *copy = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *vals = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (b->nfigs == b->capfigs) {
        int ncap = b->capfigs ? 2 * b->capfigs : 32;
        figure *nf = realloc(b->figs, sizeof(figure) * (size_t)ncap);
        if (nf) {
            b->figs = nf;
            b->capfigs = ncap;
        }
    }
    if (!copy || !vals || b->nfigs == b->capfigs)
        rc = bench_fail(b, "out of memory");
    if (bench_agree(b, rc) != 0) {
        free(copy);
        free(vals);
        return -1;
    }
    f = &b->figs[b->nfigs];
    memset(f, 0, sizeof *f);
    snprintf(f->experiment, sizeof f->experiment, "%s", b->expname);
    snprintf(f->method, sizeof f->method, "%s", spec->method);
    f->size = spec->size;
    f->size_elems = spec->size_elems;
    f->work = spec->work;
    f->calls = spec->work > 0 ? 0 : spec->calls;
    f->role = spec->role;
    if (f->role == BENCH_AUTO)
        f->role = strncmp(spec->method, "limit", 5) == 0   ? BENCH_LIMIT
                  : strncmp(spec->method, "naive", 5) == 0 ? BENCH_NAIVE
                                                           : BENCH_PARRAY;
    snprintf(f->rate_unit, sizeof f->rate_unit, "%s",
             spec->work > 0 ? (spec->rate_unit ? spec->rate_unit : "GB/s")
             : f->calls > 0 ? "us"
                            : "s");
    f->n = n;
    memcpy(copy, t, sizeof(double) * (size_t)n);
    f->t = copy;
    for (int i = 0; i < n; i++)
        vals[i] = value_of(f, t[i]);
    f->vmed = median_of(vals, n);
    f->vmin = vals[0];
    f->vmax = vals[n - 1];
    free(vals);
    if (fig)
        *fig = b->nfigs;
    b->nfigs++;
    return 0;
}

int bench_record(bench *b, const bench_spec *spec, const double *seconds, int n, int *fig)
{
    return add_figure(b, spec, seconds, n, fig);
}

void bench_set_time(bench *b, double seconds)
{
    b->rep_time = seconds;
    b->rep_time_set = 1;
}

int bench_time_steps(bench *b, const bench_spec *specs, const bench_fn *fns, void *const *args,
                     int n, int *figs)
{
    int reps = b->opts.reps, total = b->opts.warmup + b->opts.reps;
    double *t = malloc(sizeof(double) * (size_t)reps * (size_t)(n > 0 ? n : 1));
    if (bench_agree(b, t ? 0 : bench_fail(b, "out of memory")) != 0) {
        free(t);
        return -1;
    }
    for (int r = 0; r < total; r++)
        for (int j = 0; j < n; j++) {
            /* Forward on even repetitions, backward on odd ones. */
            int i = r % 2 ? n - 1 - j : j;
            const bench_spec *spec = &specs[i];
            int rc = spec->prepare ? spec->prepare(b, args[i], r) : 0;
            /* Agreeing on the preparation also lines the ranks up: no rank
             * starts its clock before every rank has finished preparing. */
            if (bench_agree(b, rc) != 0) {
                free(t);
                return -1;
            }
            b->rep_time_set = 0;
            double t0 = MPI_Wtime();
            rc = fns[i](b, args[i], r);
            double dt = MPI_Wtime() - t0;
            if (b->rep_time_set)
                dt = b->rep_time;
            /* One allreduce (MAX) combines the times and the failure flags:
             * MIN is the negated MAX, and RANK0 lets rank 0's time win over
             * the others' -1. */
            double in[2], res[2];
            in[0] = spec->combine == BENCH_MIN     ? -dt
                    : spec->combine == BENCH_RANK0 ? (b->rank == 0 ? dt : -1.0)
                                                   : dt;
            in[1] = rc != 0;
            MPI_Allreduce(in, res, 2, MPI_DOUBLE, MPI_MAX, b->comm);
            if (res[1] > 0) {
                bench_agree(b, rc);
                free(t);
                return -1;
            }
            if (r >= b->opts.warmup)
                t[(size_t)i * (size_t)reps + (size_t)(r - b->opts.warmup)] = spec->combine ==
                                                                                     BENCH_MIN
                                                                                 ? -res[0]
                                                                                 : res[0];
        }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = add_figure(b, &specs[i], t + (size_t)i * (size_t)reps, reps, figs ? &figs[i] : NULL);
    free(t);
    return rc;
}

int bench_time(bench *b, const bench_spec *spec, bench_fn fn, void *arg, int *fig)
{
    return bench_time_steps(b, spec, &fn, &arg, 1, fig);
}

void bench_ratio(bench *b, int fig, int ref, const char *label)
{
    if (fig < 0 || fig >= b->nfigs || ref < 0 || ref >= b->nfigs)
        return;
    figure *f = &b->figs[fig];
    if (f->nratios == MAX_RATIOS)
        return;
    ratio *q = &f->ratios[f->nratios++];
    q->ref = ref;
    snprintf(q->label, sizeof q->label, "%s", label);
}

double bench_value(const bench *b, int fig)
{
    return fig >= 0 && fig < b->nfigs ? b->figs[fig].vmed : NAN;
}

/* Speed relative to figure ref: rates divide, times divide the other way
 * round, so that above 1 is faster either way. */
double bench_speed_vs(const bench *b, const figure *f, int ref)
{
    const figure *r = &b->figs[ref];
    return f->work > 0 ? f->vmed / r->vmed : r->vmed / f->vmed;
}

/* The first ratio of f to a figure of the given role, or NAN. */
double bench_ratio_vs(const bench *b, const figure *f, bench_role role)
{
    for (int i = 0; i < f->nratios; i++)
        if (b->figs[f->ratios[i].ref].role == role)
            return bench_speed_vs(b, f, f->ratios[i].ref);
    return NAN;
}

static void set_target(bench *b, int fig, int ref, double scale, bench_bound bound, double x,
                       const char *label)
{
    if (fig < 0 || fig >= b->nfigs || ref >= b->nfigs)
        return;
    target *t = &b->figs[fig].target;
    *t = (target){.set = 1, .ref = ref, .scale = scale, .bound = bound, .x = x};
    snprintf(t->label, sizeof t->label, "%s", label);
}

void bench_target(bench *b, int fig, int ref, bench_bound bound, double x, const char *label)
{
    if (ref >= 0)
        set_target(b, fig, ref, 1.0, bound, x, label);
}

void bench_target_value(bench *b, int fig, double scale, double x, const char *unit)
{
    set_target(b, fig, -1, scale, BENCH_AT_LEAST, x, unit);
}

void bench_target_value_bound(bench *b, int fig, double scale, bench_bound bound, double x,
                              const char *unit)
{
    set_target(b, fig, -1, scale, bound, x, unit);
}

void bench_ratio_at_least(bench *b, int fig, int ref, double x, const char *label)
{
    bench_ratio(b, fig, ref, label);
    bench_target(b, fig, ref, BENCH_AT_LEAST, x, label);
}

/* What the target is measured on: the ratio or the scaled value. */
double bench_target_measured(const bench *b, const figure *f)
{
    const target *t = &f->target;
    return t->ref >= 0 ? bench_speed_vs(b, f, t->ref) : f->vmed * t->scale;
}

/* 1 met, 0 not met, -1 not measured (a NAN). */
int bench_target_met(const bench *b, const figure *f)
{
    double m = bench_target_measured(b, f);
    if (isnan(m))
        return -1;
    return f->target.bound == BENCH_AT_LEAST ? m >= f->target.x : m <= f->target.x;
}

/* At the physical limit: within BENCH_AT_LIMIT of the limit, or above. */
int bench_at_limit(const bench *b, const figure *f)
{
    return bench_ratio_vs(b, f, BENCH_LIMIT) >= BENCH_AT_LIMIT;
}

const char *bench_role_name(bench_role r)
{
    switch (r) {
    case BENCH_LIMIT: return "limit";
    case BENCH_NAIVE: return "naive";
    case BENCH_PARRAY: return "parray";
    default: return "other";
    }
}

void bench_note(bench *b, const char *fmt, ...)
{
    char line[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **nn = realloc(b->notes, sizeof(char *) * (size_t)(b->nnotes + 1));
    if (!nn)
        return;
    b->notes = nn;
    b->notes[b->nnotes] = strdup(line);
    if (b->notes[b->nnotes])
        b->nnotes++;
}
