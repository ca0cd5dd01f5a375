/* `parray stats`: count, sum, mean, std, min, max, any and all of an HDF5
 * dataset, for the whole array or along any one axis, and optionally a
 * histogram, exact percentiles by any of numpy's methods, the median and
 * the distinct values with their counts, printed exactly (integers as
 * integers, floats with the digits that round-trip) as text or JSON. The
 * reductions are
 * parray's, so the numbers are the same bits for every rank count. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agree.h"
#include "cmd.h"
#include "dsarg.h"
#include "json.h"
#include "opts.h"
#include "output.h"

static const char usage[] =
    "usage: [mpirun -n N] parray stats IN.h5:/DATASET [--axis K] [--hist BINS]\n"
    "                                  [--percentiles P,...] [--method NAME] [--median]\n"
    "                                  [--unique[=N]] [--json[=FILE]]\n"
    "\n"
    "Prints count, sum, mean, std (ddof 0), min, max, any and all of a dataset\n"
    "of any dtype: of the whole array, or along axis K, one line per index of\n"
    "the other axes (of a 2-D dataset, --axis 0 gives a line per column and\n"
    "--axis 1 one per row; of an N-D one each line starts with the index\n"
    "tuple, in C order). Each is of numpy's result\n"
    "type. Integer sums, mins and maxes are exact integers, printed as such\n"
    "(an i64 max of 2**53+3 is 9007199254740995): the sum of a signed integer\n"
    "dtype is an i64 and of an unsigned one a u64, wrapping around as numpy's\n"
    "does. Float sums, means and stds are taken in double by pairwise\n"
    "summation in a fixed order: the same bits for any rank count. any and all\n"
    "are True or False (NaN counts as true). NaN propagates as in numpy.\n"
    "Floats are printed with the digits that read back exactly: %.17g for\n"
    "doubles (means, stds, float sums), the fewest for the dtype's own min and\n"
    "max (%.9g for f32).\n"
    "Complex datasets (c64, c128): sum, mean, min and max are complex, printed\n"
    "as numpy's (re+imj); std is real (numpy's). min and max follow numpy's\n"
    "order: real parts first, then imaginary parts; the first value with a NaN\n"
    "part wins. --hist, --percentiles and --median are refused for them (no\n"
    "order on a line: take real(x) or abs(x) with parray calc first).\n"
    "\n"
    "  --axis K     along axis K (0 to ndim - 1), numpy's axis=K, instead of\n"
    "               the whole array\n"
    "  --hist BINS  also a histogram of the whole array: numpy.histogram's BINS\n"
    "               equal bins over [min, max] of the finite values, the last\n"
    "               one closed; NaN, inf and -inf are counted apart\n"
    "  --percentiles P,...  also the exact percentiles P (0 to 100, up to 64) of\n"
    "               the whole array, numpy.percentile's default method (linear),\n"
    "               found by selection, not a sort; NaN in the data gives nan\n"
    "  --method NAME  the method of --percentiles, numpy.percentile's names:\n"
    "               linear (the default), lower, higher, nearest, midpoint,\n"
    "               inverted_cdf, averaged_inverted_cdf, closest_observation,\n"
    "               interpolated_inverted_cdf, hazen, weibull, median_unbiased,\n"
    "               normal_unbiased\n"
    "  --median     also the exact median of the whole array, numpy.median's\n"
    "               (the mean of the two middle values when the count is even)\n"
    "  --unique[=N] also the number of distinct values of the whole array and\n"
    "               the first N of them (sorted, default 20; in JSON default\n"
    "               1000) with how often each occurs, numpy.unique's: -0.0 and\n"
    "               0.0 are one value, all NaNs one value, last\n"
    "  --json       one JSON object on stdout instead of the text\n"
    "  --json=FILE  the text on stdout, and the JSON object into FILE\n"
    "\n"
    "JSON: {\"dataset\": IN as given, \"dtype\", \"shape\": [...], \"axis\" (with\n"
    "--axis), \"count\", \"sum\", \"mean\", \"std\", \"min\", \"max\" (numbers: exact\n"
    "integers for integer sums, mins and maxes; NaN and inf as null; a complex\n"
    "number as the pair [re, im]), \"any\", \"all\" (true or false), each an\n"
    "array of one per index of the other axes (C order) with --axis; \"hist\"\n"
    "(with --hist): {\"edges\": [BINS+1], \"counts\": [BINS],\n"
    "\"nan\", \"posinf\", \"neginf\"}; \"percentiles\" (with --percentiles): {\"p\":\n"
    "[P...], \"values\": [...], \"method\"}; \"median\" (with --median);\n"
    "\"unique\" (with --unique): {\"count\", \"values\": [first N], \"counts\": [...]}.\n"
    "\n"
    "Example: mpirun -n 2 parray stats data.h5:/x --hist 10\n";

/* The columns after count: each one reduction, in the order printed. */
static const struct {
    const char *name;
    pa_reduce_op op;
} columns[] = {
    {"sum", PA_RED_SUM}, {"mean", PA_RED_MEAN}, {"std", PA_RED_STD}, {"min", PA_RED_MIN},
    {"max", PA_RED_MAX}, {"any", PA_RED_ANY},   {"all", PA_RED_ALL},
};
#define NCOLS (sizeof columns / sizeof columns[0])

typedef struct {
    size_t n;             /* results */
    size_t count;         /* elements in each */
    pa_value *col[NCOLS]; /* col[k][i]: result i of column k */
} results;

/* A histogram of the whole array: numpy.histogram's equal bins over the
 * finite values' range (pa_histogram), and the values in no bin. */
typedef struct {
    int bins;
    double *edges;     /* bins + 1 */
    uint64_t *counts;  /* bins */
    pa_hist_rest rest; /* NaN, -inf (below) and inf (above) */
} histogram;

/* The most percentiles one --percentiles asks for. */
#define PCT_MAX 64

/* The distinct values --unique lists by default: in the text, in JSON. */
#define UNIQUE_TEXT 20
#define UNIQUE_JSON 1000

/* The distinct values of the whole array (pa_unique): how many, and the
 * first few of them with their counts. */
typedef struct {
    uint64_t total;
    size_t n; /* listed: at most the larger of text and json */
    size_t text, json;
    pa_value *values;
    int64_t *counts;
} unique_list;

/* What stats prints. */
typedef struct {
    const char *name; /* the input as given */
    pa_dtype dtype;
    int ndim, axis; /* axis -1: the whole array */
    size_t shape[PA_MAXDIM];
    results r;
    histogram hist; /* bins 0: none */
    int npct;       /* --percentiles: how many, which, their values */
    const double *pct;
    double pct_value[PCT_MAX];
    pa_quantile_method method;
    int median; /* --median, and its value */
    double median_value;
    int unique; /* --unique, and what it found */
    unique_list uniq;
} report;

/* Collective. pa_histogram's bins of the whole of a into h, whose arrays
 * this allocates (histogram_free frees them). Returns PA_OK or the
 * library's code, on every rank. */
static int histogram_compute(pa_ctx *ctx, pa_array *a, int bins, histogram *h)
{
    h->edges = malloc(((size_t)bins + 1) * sizeof *h->edges);
    h->counts = malloc((size_t)bins * sizeof *h->counts);
    if (!agree_all_ok(pa_ctx_comm(ctx), h->edges && h->counts))
        return PA_ENOMEM;
    h->bins = bins;
    return pa_histogram(a, bins, NULL, h->edges, h->counts, &h->rest);
}

static void histogram_free(histogram *h)
{
    free(h->edges);
    free(h->counts);
}

/* Collective. The n results in r (an array of a reduction's result
 * dtype) as pa_values on rank 0, exact: read through the 8-byte dtype of
 * their kind (the dtype name's first letter: f, i, u, c, or b for bool). */
static int values_of(pa_ctx *ctx, pa_array *r, pa_value *out, size_t n)
{
    pa_dtype d = pa_array_dtype(r);
    char kind = pa_dtype_name(d)[0];
    pa_dtype wide = kind == 'f' ? PA_F64 : kind == 'i' ? PA_I64 : kind == 'c' ? PA_C128 : PA_U64;
    size_t shape[PA_MAXDIM];
    pa_array_shape(r, shape);
    pa_array *w = r;
    int rc = PA_OK;
    if (d != wide) {
        rc = pa_array_create(ctx, wide, pa_array_ndim(r), shape, pa_array_dist(r), &w);
        if (rc == PA_OK)
            rc = pa_astype(w, r);
    }
    double *buf = rc == PA_OK ? malloc(16 * (n + 1)) : NULL;
    if (rc == PA_OK && !agree_all_ok(pa_ctx_comm(ctx), buf != NULL))
        rc = PA_ENOMEM;
    if (rc == PA_OK)
        rc = pa_array_gather(w, 0, buf);
    for (size_t i = 0; rc == PA_OK && pa_ctx_rank(ctx) == 0 && i < n; i++) {
        pa_value v = {.dtype = d, .kind = kind};
        if (kind == 'f')
            v.v.f = buf[i];
        else if (kind == 'c')
            memcpy(v.v.c, buf + 2 * i, sizeof v.v.c);
        else
            memcpy(&v.v.u, buf + i, sizeof v.v.u);
        out[i] = v;
    }
    free(buf);
    if (w != r)
        pa_array_free(&w);
    return rc;
}

/* Collective. Every column of a, whole (axis -1) or along axis, into r
 * (on rank 0 along an axis of an N-D array). */
static int reduce_all(pa_ctx *ctx, pa_array *a, int axis, results *r)
{
    size_t total = pa_array_size(a);
    for (size_t k = 0; k < NCOLS; k++) {
        pa_reduce_op op = columns[k].op;
        if ((total == 0 || r->count == 0) && (op == PA_RED_MIN || op == PA_RED_MAX)) {
            /* No minimum of nothing: NaN, printed as nan (null in JSON). */
            pa_value nan = {.dtype = pa_array_dtype(a), .kind = 'f', .v.f = NAN};
            for (size_t i = 0; i < r->n; i++)
                r->col[k][i] = nan;
            continue;
        }
        int rc;
        if (axis < 0 || pa_array_ndim(a) == 1) { /* one result: the whole array's */
            rc = pa_reduce_value(a, op, -1, r->col[k]);
        } else if (pa_array_ndim(a) == 2) { /* pa_reduce_value has complex min and max too */
            rc = pa_reduce_value(a, op, axis, r->col[k]);
        } else {
            pa_array *res = NULL;
            rc = pa_reduce_axes(a, op, 1, &axis, 0, &res);
            if (rc == PA_OK)
                rc = values_of(ctx, res, r->col[k], r->n);
            pa_array_free(&res);
        }
        if (rc != PA_OK)
            return rc;
    }
    return PA_OK;
}

/* The label of result i along an axis: its index over the other axes,
 * one number for a 2-D dataset (the column or row), a tuple otherwise. */
static const char *index_label(const report *rep, size_t i, char *buf, size_t cap)
{
    if (rep->ndim == 2) {
        snprintf(buf, cap, "%zu", i);
        return buf;
    }
    size_t idx[PA_MAXDIM];
    int m = 0;
    for (int k = rep->ndim - 1; k >= 0; k--)
        if (k != rep->axis) {
            idx[m++] = rep->shape[k] ? i % rep->shape[k] : 0;
            i = rep->shape[k] ? i / rep->shape[k] : 0;
        }
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int k = m - 1; k >= 0 && n < cap; k--)
        n += (size_t)snprintf(buf + n, cap - n, k == m - 1 ? "%zu" : ",%zu", idx[k]);
    if (n < cap)
        snprintf(buf + n, cap - n, m == 1 ? ",)" : ")");
    return buf;
}

/* A histogram edge in JSON: of an f32 dataset with the digits of a float,
 * of anything else of a double. */
static void json_edge(json_writer *w, const report *rep, double v)
{
    if (rep->dtype == PA_F32 && isfinite(v))
        json_float(w, (float)v);
    else
        json_double(w, v);
}

/* A float result in JSON with the digits of its size in bytes (a
 * float's, or a double's). */
static void json_real(json_writer *w, double v, size_t size)
{
    if (size == 4 && isfinite(v))
        json_float(w, (float)v);
    else
        json_double(w, v);
}

/* A result in JSON, exactly: an integer, a bool, a float with the digits
 * of its dtype, or a complex number as [re, im] with its parts' digits. */
static void json_value(json_writer *w, const pa_value *v)
{
    switch (v->kind) {
    case 'i': json_int(w, v->v.i); break;
    case 'u': json_uint(w, v->v.u); break;
    case 'b': json_bool(w, v->v.u != 0); break;
    case 'c':
        json_begin_array(w);
        json_real(w, v->v.c[0], pa_dtype_size(v->dtype) / 2);
        json_real(w, v->v.c[1], pa_dtype_size(v->dtype) / 2);
        json_end_array(w);
        break;
    default: json_real(w, pa_value_double(v), pa_dtype_size(v->dtype));
    }
}

static void print_json(json_writer *w, const void *arg)
{
    const report *rep = arg;
    json_key(w, "dataset");
    json_string(w, rep->name);
    json_key(w, "dtype");
    json_string(w, pa_dtype_name(rep->dtype));
    json_key(w, "shape");
    output_shape_json(w, rep->ndim, rep->shape);
    if (rep->axis >= 0) {
        json_key(w, "axis");
        json_int(w, rep->axis);
    }
    const results *r = &rep->r;
    for (size_t k = 0; k <= NCOLS; k++) {
        json_key(w, k ? columns[k - 1].name : "count");
        if (rep->axis >= 0)
            json_begin_array(w);
        for (size_t i = 0; i < r->n; i++) {
            if (k)
                json_value(w, &r->col[k - 1][i]);
            else
                json_uint(w, r->count);
        }
        if (rep->axis >= 0)
            json_end_array(w);
    }
    const histogram *h = &rep->hist;
    if (h->bins) {
        json_key(w, "hist");
        json_begin_object(w);
        json_key(w, "edges");
        json_begin_array(w);
        for (int b = 0; b <= h->bins; b++)
            json_edge(w, rep, h->edges[b]);
        json_end_array(w);
        json_key(w, "counts");
        json_begin_array(w);
        for (int b = 0; b < h->bins; b++)
            json_uint(w, h->counts[b]);
        json_end_array(w);
        json_key(w, "nan");
        json_uint(w, h->rest.nan);
        json_key(w, "posinf");
        json_uint(w, h->rest.above);
        json_key(w, "neginf");
        json_uint(w, h->rest.below);
        json_end_object(w);
    }
    if (rep->npct) {
        json_key(w, "percentiles");
        json_begin_object(w);
        json_key(w, "p");
        json_begin_array(w);
        for (int i = 0; i < rep->npct; i++)
            json_double(w, rep->pct[i]);
        json_end_array(w);
        json_key(w, "values");
        json_begin_array(w);
        for (int i = 0; i < rep->npct; i++)
            json_double(w, rep->pct_value[i]);
        json_end_array(w);
        json_key(w, "method");
        json_string(w, pa_quantile_method_name(rep->method));
        json_end_object(w);
    }
    if (rep->median) {
        json_key(w, "median");
        json_double(w, rep->median_value);
    }
    if (rep->unique) {
        const unique_list *u = &rep->uniq;
        size_t n = u->json < u->n ? u->json : u->n;
        json_key(w, "unique");
        json_begin_object(w);
        json_key(w, "count");
        json_uint(w, u->total);
        json_key(w, "values");
        json_begin_array(w);
        for (size_t i = 0; i < n; i++)
            json_value(w, &u->values[i]);
        json_end_array(w);
        json_key(w, "counts");
        json_begin_array(w);
        for (size_t i = 0; i < n; i++)
            json_int(w, u->counts[i]);
        json_end_array(w);
        json_end_object(w);
    }
}

static void print_text(FILE *f, const void *arg)
{
    const report *rep = arg;
    /* The edges are values of the dtype: %.9g round-trips f32; the
     * others are doubles. */
    const char *vf = rep->dtype == PA_F32 ? "%.9g" : "%.17g";
    const results *r = &rep->r;
    char shape[PA_MAXDIM * 24], text[64], label[PA_MAXDIM * 24];
    fprintf(f, "%s: %s %s\n", rep->name, pa_dtype_name(rep->dtype),
            output_shape(shape, sizeof shape, rep->ndim, rep->shape));
    if (rep->axis >= 0)
        fprintf(f, "%-8s ", rep->ndim != 2 ? "index" : rep->axis == 0 ? "column" : "row");
    fprintf(f, "count");
    for (size_t k = 0; k < NCOLS; k++)
        fprintf(f, " %s", columns[k].name);
    fputc('\n', f);
    for (size_t i = 0; i < r->n; i++) {
        if (rep->axis >= 0)
            fprintf(f, "%-8s ", index_label(rep, i, label, sizeof label));
        fprintf(f, "%zu", r->count);
        for (size_t k = 0; k < NCOLS; k++)
            fprintf(f, " %s", pa_value_str(&r->col[k][i], text, sizeof text));
        fputc('\n', f);
    }
    for (int i = 0; i < rep->npct; i++)
        fprintf(f, "percentile %.15g: %.17g\n", rep->pct[i], rep->pct_value[i]);
    if (rep->median)
        fprintf(f, "median: %.17g\n", rep->median_value);
    if (rep->unique) {
        const unique_list *u = &rep->uniq;
        size_t n = u->text < u->n ? u->text : u->n;
        fprintf(f, "unique: %llu values\n", (unsigned long long)u->total);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "  %s: %lld\n", pa_value_str(&u->values[i], text, sizeof text),
                    (long long)u->counts[i]);
        if (u->total > n)
            fprintf(f, "  (%llu more)\n", (unsigned long long)(u->total - n));
    }
    const histogram *h = &rep->hist;
    if (!h->bins)
        return;
    fprintf(f, "histogram: %d bins\n", h->bins);
    for (int b = 0; b < h->bins; b++) {
        fputc('[', f);
        fprintf(f, vf, h->edges[b]);
        fprintf(f, ", ");
        fprintf(f, vf, h->edges[b + 1]);
        fprintf(f, "%s %llu\n", b + 1 == h->bins ? "]" : ")", (unsigned long long)h->counts[b]);
    }
    const pa_hist_rest *no = &h->rest;
    if (no->nan || no->above || no->below)
        fprintf(f, "in no bin: %llu nan, %llu inf, %llu -inf\n", (unsigned long long)no->nan,
                (unsigned long long)no->above, (unsigned long long)no->below);
}

enum { O_AXIS = 2, O_HIST, O_JSON, O_PERCENTILES, O_MEDIAN, O_METHOD, O_UNIQUE };

static const opt_spec specs[] = {
    {"axis", 0, OPT_VALUE, O_AXIS},        {"hist", 0, OPT_VALUE, O_HIST},
    {"json", 0, OPT_OPTIONAL, O_JSON},     {"percentiles", 0, OPT_VALUE, O_PERCENTILES},
    {"median", 0, OPT_FLAG, O_MEDIAN},     {"method", 0, OPT_VALUE, O_METHOD},
    {"unique", 0, OPT_OPTIONAL, O_UNIQUE},
};

/* What the command line asks for. */
typedef struct {
    const char *inarg; /* IN.h5:/DATASET as given */
    dsarg in;
    int axis, bins;   /* axis -1: the whole array; bins 0: no histogram */
    int npct, median; /* --percentiles (npct of pct) and --median */
    double pct[PCT_MAX];
    pa_quantile_method method; /* --method */
    int has_method;
    int unique; /* --unique, listing unique_n (0: the defaults) */
    uint64_t unique_n;
    output out;
} stats_args;

/* Parses the command line into s. Returns 0, or the exit status after a
 * usage error. */
static int parse_args(pa_ctx *ctx, int argc, char **argv, stats_args *s)
{
    const char *sub = "stats";
    uint64_t v;
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        switch (k) {
        case OPTS_STOP: return opts_stopped(&p);
        case O_AXIS:
            if (opts_uint(&p, 0, PA_MAXDIM - 1, &v))
                return p.status;
            s->axis = (int)v;
            break;
        case O_HIST:
            if (opts_uint(&p, 1, 1000000, &v))
                return p.status;
            s->bins = (int)v;
            break;
        case O_JSON:
            if (output_option(&s->out, &p))
                return p.status;
            break;
        case O_PERCENTILES:
            if (opts_real_list(&p, 1, s->pct, PCT_MAX, &s->npct))
                return p.status;
            for (int i = 0; i < s->npct; i++)
                if (!(s->pct[i] >= 0 && s->pct[i] <= 100))
                    return opts_fail(&p, "--percentiles: %g is not a percentile (0 to 100)",
                                     s->pct[i]);
            break;
        case O_MEDIAN: s->median = 1; break;
        case O_METHOD:
            if (pa_quantile_method_parse(p.value, &s->method) != PA_OK)
                return opts_fail(&p,
                                 "--method: '%s' is not one of numpy's quantile methods "
                                 "(linear, lower, higher, nearest, midpoint, ...: see "
                                 "--help)",
                                 p.value);
            s->has_method = 1;
            break;
        case O_UNIQUE:
            s->unique = 1;
            if (p.value && opts_uint(&p, 0, 1000000000, &s->unique_n))
                return p.status;
            break;
        default:
            if (s->inarg)
                return cmd_usage(ctx, sub, "one input only: '%s' is extra", p.value);
            s->inarg = p.value;
        }
    }
    if (!s->inarg)
        return cmd_usage(ctx, sub, "needs the input IN.h5:/DATASET");
    if (s->axis >= 0 && (s->npct || s->median || s->unique))
        return cmd_usage(ctx, sub,
                         "--percentiles, --median and --unique take the whole array, not --axis");
    if (s->has_method && !s->npct)
        return cmd_usage(ctx, sub, "--method is the method of --percentiles, which is missing");
    char err[512];
    if (dsarg_parse(s->inarg, &s->in, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    return 0;
}

/* Collective. Room for r->n results of every column, once the node has
 * the memory for them and bins bins; r->col points into *mem (free it).
 * Returns 0, or 1 after reporting. */
static int alloc_results(pa_ctx *ctx, results *r, int bins, pa_value **mem)
{
    /* Every rank holds the results of each of r->n lines and the bins (r->n
     * of an empty array's other axis can be huge: SIZE_MAX fits nowhere). */
    size_t row = NCOLS * sizeof(pa_value);
    size_t need = r->n > SIZE_MAX / 2 / row ? SIZE_MAX : (r->n + 1) * row + 2 * (size_t)bins * 8;
    if (pa_mem_check(ctx, need, "the results") != PA_OK)
        return cmd_fail(ctx, "stats", "%s", cmd_errmsg(ctx));
    *mem = malloc(NCOLS * (r->n ? r->n : 1) * sizeof(pa_value));
    if (!agree_all_ok(pa_ctx_comm(ctx), *mem != NULL))
        return cmd_fail(ctx, "stats", "out of memory");
    for (size_t k = 0; k < NCOLS; k++)
        r->col[k] = *mem + k * r->n;
    return 0;
}

/* Collective. --percentiles and --median of a into rep (an empty array
 * has neither: nan, as numpy's with its warning). */
static int order_stats(pa_array *a, report *rep)
{
    int empty = pa_array_size(a) == 0;
    for (int i = 0; empty && i < rep->npct; i++)
        rep->pct_value[i] = NAN;
    rep->median_value = NAN;
    if (empty)
        return PA_OK;
    if (rep->npct) {
        int rc = pa_percentile_by(a, rep->method, (size_t)rep->npct, rep->pct, rep->pct_value);
        if (rc != PA_OK)
            return rc;
    }
    return rep->median ? pa_median(a, &rep->median_value) : PA_OK;
}

/* The dtype that holds every value of dtype d exactly, and numpy's kind of
 * d (its name's first letter: f16 -> 'f', bool -> 'b'). */
static pa_dtype wide_of(pa_dtype d, char *kind)
{
    *kind = pa_dtype_name(d)[0];
    return *kind == 'f' ? PA_F64 : *kind == 'u' ? PA_U64 : PA_I64;
}

/* Collective. The first n of the replicated values (dtype d) as pa_values
 * into out: copied into an array of n (each rank its part), widened by
 * pa_astype, read from the node's copy. */
static int unique_first(pa_ctx *ctx, pa_array *values, size_t n, pa_value *out)
{
    pa_dtype d = pa_array_dtype(values);
    char kind;
    pa_dtype wide = wide_of(d, &kind);
    pa_array *first = NULL, *w = NULL;
    pa_span all, mine, got;
    int rc = pa_array_create(ctx, d, 1, &n, PA_REPLICATED, &first);
    if (rc == PA_OK)
        rc = pa_array_create(ctx, wide, 1, &n, PA_REPLICATED, &w);
    if (rc == PA_OK) {
        size_t es = pa_dtype_size(d);
        pa_array_node(values, &all);
        pa_array_local(first, &mine);
        memcpy(mine.ptr, (char *)all.ptr + mine.offset * es, mine.count * es);
        rc = pa_array_sync(first);
    }
    if (rc == PA_OK)
        rc = pa_astype(w, first);
    if (rc == PA_OK) {
        pa_array_node(w, &got);
        for (size_t i = 0; i < n; i++) {
            out[i] = (pa_value){.dtype = d, .kind = kind};
            memcpy(&out[i].v, (char *)got.ptr + i * 8, 8);
        }
    }
    pa_array_free(&first);
    pa_array_free(&w);
    return rc;
}

/* Collective. --unique of a into u (whose lists this allocates). Returns
 * 0, or 1 after reporting. */
static int unique_stats(pa_ctx *ctx, const stats_args *s, pa_array *a, unique_list *u)
{
    pa_array *values = NULL, *counts = NULL;
    if (pa_unique(a, &values, &counts, NULL) != PA_OK)
        return cmd_fail(ctx, "stats", "--unique: %s", cmd_errmsg(ctx));
    u->total = pa_array_size(values);
    u->text = s->unique_n ? (size_t)s->unique_n : UNIQUE_TEXT;
    u->json = s->unique_n ? (size_t)s->unique_n : UNIQUE_JSON;
    size_t want = u->text > u->json ? u->text : u->json;
    u->n = u->total < want ? (size_t)u->total : want;
    u->values = malloc((u->n + 1) * sizeof *u->values);
    u->counts = malloc((u->n + 1) * sizeof *u->counts);
    int status = 0;
    if (!agree_all_ok(pa_ctx_comm(ctx), u->values && u->counts))
        status = cmd_fail(ctx, "stats", "--unique: out of memory for %zu values", u->n);
    else if (u->n) {
        pa_span c;
        pa_array_node(counts, &c);
        memcpy(u->counts, c.ptr, u->n * sizeof *u->counts);
        if (unique_first(ctx, values, u->n, u->values) != PA_OK)
            status = cmd_fail(ctx, "stats", "--unique: %s", cmd_errmsg(ctx));
    }
    pa_array_free(&values);
    pa_array_free(&counts);
    return status;
}

/* The options that a complex dataset has no answer to: histograms and
 * percentiles need an order of the values on a line (numpy's histogram
 * drops the imaginary parts with a warning; a refusal is clearer). r's
 * sums say whether the data are complex. Returns 0, or 1 after reporting
 * the first such option. */
static int refuse_complex(pa_ctx *ctx, const stats_args *s, const report *rep)
{
    if (rep->r.n == 0 || rep->r.col[0][0].kind != 'c')
        return 0;
    const char *opt = s->bins     ? "--hist"
                      : s->npct   ? "--percentiles"
                      : s->median ? "--median"
                      : s->unique ? "--unique"
                                  : 0;
    if (!opt)
        return 0;
    return cmd_fail(ctx, "stats",
                    "%s: not defined for %s, whose dtype %s is complex (complex values have no "
                    "place on a line): take real(x) or abs(x) with parray calc first",
                    opt, s->inarg, pa_dtype_name(rep->dtype));
}

/* Collective. The statistics of the loaded array a, printed. Returns the
 * exit status. */
static int stats_of(pa_ctx *ctx, const stats_args *s, pa_array *a)
{
    const char *sub = "stats";
    int axis = s->axis;
    report rep = {.name = s->inarg,
                  .dtype = pa_array_dtype(a),
                  .ndim = pa_array_ndim(a),
                  .axis = axis,
                  .npct = s->npct,
                  .pct = s->pct,
                  .method = s->method,
                  .median = s->median,
                  .unique = s->unique};
    pa_array_shape(a, rep.shape);
    if (axis >= rep.ndim)
        return cmd_fail(ctx, sub, "--axis %d: %s has %d axes", axis, s->inarg, rep.ndim);
    results *r = &rep.r;
    r->n = 1; /* one per index of the other axes */
    for (int k = 0; axis >= 0 && k < rep.ndim; k++)
        r->n *= k == axis ? 1 : rep.shape[k];
    pa_value *mem = NULL;
    int status = alloc_results(ctx, r, s->bins, &mem);
    if (status)
        goto out;
    r->count = axis < 0 ? pa_array_size(a) : rep.shape[axis];
    if (reduce_all(ctx, a, axis, r) != PA_OK)
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    else if (refuse_complex(ctx, s, &rep))
        status = 1;
    else if (s->bins && histogram_compute(ctx, a, s->bins, &rep.hist) != PA_OK)
        status = cmd_fail(ctx, sub, "--hist %d: %s", s->bins,
                          rep.hist.bins ? cmd_errmsg(ctx) : "out of memory");
    else if (order_stats(a, &rep) != PA_OK)
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    else if (!s->unique || (status = unique_stats(ctx, s, a, &rep.uniq)) == 0)
        status = output_write(ctx, sub, &s->out, print_text, print_json, &rep);
out:
    histogram_free(&rep.hist);
    free(rep.uniq.values);
    free(rep.uniq.counts);
    free(mem);
    return status;
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    stats_args s = {.axis = -1, .method = PA_QUANTILE_LINEAR};
    int status = parse_args(ctx, argc, argv, &s);
    if (status)
        return opts_exit_status(status);
    pa_array *a = NULL;
    if (pa_h5_load(ctx, s.in.file, s.in.dataset, NULL, &a) != PA_OK)
        return cmd_fail(ctx, "stats", "%s", cmd_errmsg(ctx));
    status = stats_of(ctx, &s, a);
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_stats = {
    .name = "stats",
    .summary = "count, sum, mean, std, min, max, any, all and histogram of a dataset",
    .usage = usage,
    .run = run,
};
