/* `parray stats`: count, sum, mean, std, min and max of an HDF5 dataset,
 * for the whole array or along axis 0 or 1 of a 2-D one, and optionally a
 * histogram, printed at full precision (every number round-trips) as text
 * or JSON. The reductions are parray's, so the numbers are the same bits
 * for every rank count. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dsarg.h"
#include "histogram.h"
#include "json.h"
#include "num.h"

static const char usage[] =
    "usage: [mpirun -n N] parray stats IN.h5:/DATASET [--axis 0|1] [--json] [--hist BINS]\n"
    "\n"
    "Prints count, sum, mean, std (ddof 0), min and max of a dataset of any\n"
    "dtype: of the whole array, or with --axis 0 one line per column, with\n"
    "--axis 1 one line per row (2-D datasets). Sums are taken in double by\n"
    "pairwise summation in a fixed order: the same bits for any rank count.\n"
    "NaN propagates as in numpy. Numbers are printed with %.17g (f64 and the\n"
    "sums of every dtype) or %.9g (min and max of f32), so they read back\n"
    "exactly.\n"
    "\n"
    "  --axis 0|1   per column (0) or per row (1) instead of the whole array\n"
    "  --hist BINS  also a histogram of the whole array: numpy.histogram's BINS\n"
    "               equal bins over [min, max] of the finite values, the last\n"
    "               one closed; NaN, inf and -inf are counted apart\n"
    "  --json       one JSON object instead of text (NaN and inf as null)\n"
    "\n"
    "Example: mpirun -n 2 parray stats data.h5:/x --hist 10\n";

typedef struct {
    size_t n;                    /* results */
    double *count, *sum, *mean, *std, *min, *max;
} results;

/* What stats prints. */
typedef struct {
    const char *name;            /* the input as given */
    pa_dtype dtype;
    int ndim, axis;              /* axis -1: the whole array */
    size_t shape[PA_MAXDIM];
    results r;
    histogram hist;              /* bins 0: none */
} report;

static int reduce_all(pa_array *a, int axis, results *r)
{
    pa_reduce_op ops[] = {PA_RED_SUM, PA_RED_MEAN, PA_RED_STD, PA_RED_MIN, PA_RED_MAX};
    double *dst[] = {r->sum, r->mean, r->std, r->min, r->max};
    size_t total = pa_array_size(a);
    for (int k = 0; k < 5; k++) {
        if (total == 0 && (ops[k] == PA_RED_MIN || ops[k] == PA_RED_MAX)) {
            /* No minimum of nothing: NaN, printed as nan (null in JSON). */
            for (size_t i = 0; i < r->n; i++)
                dst[k][i] = NAN;
            continue;
        }
        int rc = pa_reduce(a, ops[k], axis, dst[k]);
        if (rc != PA_OK)
            return rc;
    }
    return PA_OK;
}

/* A value of the dtype (min, max, a histogram edge) in JSON: an f32 value
 * with the digits of a float, anything else of a double. */
static void json_value(json_writer *w, const report *rep, double v)
{
    if (rep->dtype == PA_F32 && isfinite(v))
        json_float(w, (float)v);
    else
        json_double(w, v);
}

static void print_json(const report *rep)
{
    json_writer w;
    json_init_file(&w, stdout);
    json_begin_object(&w);
    json_key(&w, "dataset");
    json_string(&w, rep->name);
    json_key(&w, "dtype");
    json_string(&w, pa_dtype_name(rep->dtype));
    json_key(&w, "shape");
    json_begin_array(&w);
    for (int k = 0; k < rep->ndim; k++)
        json_uint(&w, rep->shape[k]);
    json_end_array(&w);
    if (rep->axis >= 0) {
        json_key(&w, "axis");
        json_int(&w, rep->axis);
    }
    const results *r = &rep->r;
    const char *names[] = {"count", "sum", "mean", "std", "min", "max"};
    const double *cols[] = {r->count, r->sum, r->mean, r->std, r->min, r->max};
    for (int k = 0; k < 6; k++) {
        json_key(&w, names[k]);
        if (rep->axis >= 0)
            json_begin_array(&w);
        for (size_t i = 0; i < r->n; i++) {
            if (k >= 4)
                json_value(&w, rep, cols[k][i]);
            else
                json_double(&w, cols[k][i]);
        }
        if (rep->axis >= 0)
            json_end_array(&w);
    }
    const histogram *h = &rep->hist;
    if (h->bins) {
        json_key(&w, "hist");
        json_begin_object(&w);
        json_key(&w, "edges");
        json_begin_array(&w);
        for (int b = 0; b <= h->bins; b++)
            json_value(&w, rep, h->edges[b]);
        json_end_array(&w);
        json_key(&w, "counts");
        json_begin_array(&w);
        for (int b = 0; b < h->bins; b++)
            json_uint(&w, h->counts[b]);
        json_end_array(&w);
        json_key(&w, "nan");
        json_uint(&w, h->nan);
        json_key(&w, "posinf");
        json_uint(&w, h->posinf);
        json_key(&w, "neginf");
        json_uint(&w, h->neginf);
        json_end_object(&w);
    }
    json_end_object(&w);
    json_newline(&w);
}

static void print_text(const report *rep)
{
    /* min, max and the edges are values of the dtype: %.9g round-trips
     * f32; the others are doubles. */
    const char *vf = rep->dtype == PA_F32 ? "%.9g" : "%.17g", *df = "%.17g";
    const results *r = &rep->r;
    printf("%s: %s (", rep->name, pa_dtype_name(rep->dtype));
    for (int k = 0; k < rep->ndim; k++)
        printf(k ? ",%zu" : "%zu", rep->shape[k]);
    printf("%s)\n", rep->ndim == 1 ? "," : "");
    if (rep->axis >= 0)
        printf("%-8s ", rep->axis == 0 ? "column" : "row");
    printf("count sum mean std min max\n");
    for (size_t i = 0; i < r->n; i++) {
        if (rep->axis >= 0)
            printf("%-8zu ", i);
        printf("%.17g ", r->count[i]);
        printf(df, r->sum[i]);
        putchar(' ');
        printf(df, r->mean[i]);
        putchar(' ');
        printf(df, r->std[i]);
        putchar(' ');
        printf(vf, r->min[i]);
        putchar(' ');
        printf(vf, r->max[i]);
        putchar('\n');
    }
    const histogram *h = &rep->hist;
    if (!h->bins)
        return;
    printf("histogram: %d bins\n", h->bins);
    for (int b = 0; b < h->bins; b++) {
        putchar('[');
        printf(vf, h->edges[b]);
        printf(", ");
        printf(vf, h->edges[b + 1]);
        printf("%s %llu\n", b + 1 == h->bins ? "]" : ")", (unsigned long long)h->counts[b]);
    }
    if (h->nan || h->posinf || h->neginf)
        printf("in no bin: %llu nan, %llu inf, %llu -inf\n", (unsigned long long)h->nan,
               (unsigned long long)h->posinf, (unsigned long long)h->neginf);
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "stats", *inarg = NULL;
    int axis = -1, json = 0, bins = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--axis") == 0 || strcmp(a, "--hist") == 0) {
            int is_axis = a[2] == 'a';
            uint64_t v;
            char err[256];
            if (i + 1 >= argc)
                return cmd_usage(ctx, sub, "%s needs a value", a);
            if (num_uint(a, argv[++i], is_axis ? 0 : 1, is_axis ? 1 : 1000000, &v, err,
                         sizeof err) != 0)
                return cmd_usage(ctx, sub, "%s", err);
            *(is_axis ? &axis : &bins) = (int)v;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (a[0] == '-' && a[1] != 0) {
            return cmd_usage(ctx, sub, "unknown option '%s'", a);
        } else if (!inarg) {
            inarg = a;
        } else {
            return cmd_usage(ctx, sub, "one input only: '%s' is extra", a);
        }
    }
    if (!inarg)
        return cmd_usage(ctx, sub, "needs the input IN.h5:/DATASET");
    dsarg d;
    char err[512];
    if (dsarg_parse(inarg, &d, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);

    pa_array *a = NULL;
    if (pa_h5_load(ctx, d.file, d.dataset, NULL, &a) != PA_OK)
        return cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
    int status = 0;
    report rep = {.name = inarg, .dtype = pa_array_dtype(a), .ndim = pa_array_ndim(a),
                  .axis = axis};
    pa_array_shape(a, rep.shape);
    if (axis >= 0 && rep.ndim != 2) {
        status = cmd_fail(ctx, sub, "--axis needs a 2-D dataset; %s is %d-D", inarg, rep.ndim);
        pa_array_free(&a);
        return status;
    }
    results *r = &rep.r;
    r->n = axis < 0 ? 1 : axis == 0 ? rep.shape[1] : rep.shape[0];
    /* Every rank holds the 6 results of each of r->n lines and the bins (r->n
     * of an empty array's other axis can be huge: SIZE_MAX fits nowhere). */
    size_t need = r->n > SIZE_MAX / 64 ? SIZE_MAX : (6 * r->n + 6 + 2 * (size_t)bins) * 8;
    if (pa_mem_check(ctx, need, "the results") != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        pa_array_free(&a);
        return status;
    }
    double *mem = malloc(6 * (r->n ? r->n : 1) * sizeof(double));
    int ok = mem != NULL, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, pa_ctx_comm(ctx));
    if (!all) {
        status = cmd_fail(ctx, sub, "out of memory");
        goto out;
    }
    r->count = mem;
    r->sum = mem + r->n;
    r->mean = mem + 2 * r->n;
    r->std = mem + 3 * r->n;
    r->min = mem + 4 * r->n;
    r->max = mem + 5 * r->n;
    size_t cnt = axis < 0 ? pa_array_size(a) : axis == 0 ? rep.shape[0] : rep.shape[1];
    for (size_t i = 0; i < r->n; i++)
        r->count[i] = (double)cnt;
    if (reduce_all(a, axis, r) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    if (bins && histogram_compute(ctx, a, bins, &rep.hist) != 0) {
        status = cmd_fail(ctx, sub, "--hist %d: out of memory", bins);
        goto out;
    }
    if (pa_ctx_rank(ctx) == 0) {
        if (json)
            print_json(&rep);
        else
            print_text(&rep);
    }
out:
    histogram_free(&rep.hist);
    free(mem);
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_stats = {
    .name = "stats",
    .summary = "count, sum, mean, std, min, max and histogram of a dataset",
    .usage = usage,
    .run = run,
};
