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
    "  --hist BINS  also a histogram of the whole array: BINS equal bins over\n"
    "               [min, max], the last one closed (numpy.histogram)\n"
    "  --json       one JSON object instead of text (NaN and inf as null)\n"
    "\n"
    "Example: mpirun -n 2 parray stats data.h5:/x --hist 10\n";

/* One number as the format says; JSON has no NaN or infinity. */
static void num(const char *fmt, double v, int json)
{
    if (json && !isfinite(v))
        fputs("null", stdout);
    else
        printf(fmt, v);
}

typedef struct {
    size_t n;                    /* results */
    double *count, *sum, *mean, *std, *min, *max;
} results;

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

/* Histogram of the whole array: every rank counts its own span, then one
 * allreduce. Bin edges are lo + i * (hi - lo) / bins; a value in bin i has
 * edges[i] <= x < edges[i+1], and the last bin includes hi. */
static int histogram(pa_ctx *ctx, pa_array *a, double lo, double hi, int bins, uint64_t *counts)
{
    pa_span s;
    pa_array_local(a, &s);
    uint64_t *mine = calloc((size_t)bins, sizeof *mine);
    int ok = mine != NULL, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, pa_ctx_comm(ctx));
    if (!all) {
        free(mine);
        return -1;
    }
    double w = (hi - lo) / bins;
    pa_dtype dt = pa_array_dtype(a);
    for (size_t i = 0; i < s.count; i++) {
        double x;
        switch (dt) {
        case PA_F64: x = ((const double *)s.ptr)[i]; break;
        case PA_F32: x = ((const float *)s.ptr)[i]; break;
        case PA_I64: x = (double)((const int64_t *)s.ptr)[i]; break;
        case PA_I32: x = ((const int32_t *)s.ptr)[i]; break;
        default: x = ((const uint8_t *)s.ptr)[i]; break;
        }
        if (!(x >= lo && x <= hi))
            continue;
        long b = (long)((x - lo) / w);
        if (b >= bins)
            b = bins - 1;
        /* Rounding of (x - lo) / w may put x one bin off its edges. */
        while (b > 0 && x < lo + (double)b * w)
            b--;
        while (b < bins - 1 && x >= lo + (double)(b + 1) * w)
            b++;
        mine[b]++;
    }
    MPI_Allreduce(mine, counts, bins, MPI_UINT64_T, MPI_SUM, pa_ctx_comm(ctx));
    free(mine);
    return 0;
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
    size_t shape[PA_MAXDIM];
    pa_array_shape(a, shape);
    int ndim = pa_array_ndim(a);
    pa_dtype dt = pa_array_dtype(a);
    if (axis >= 0 && ndim != 2) {
        status = cmd_fail(ctx, sub, "--axis needs a 2-D dataset; %s is %d-D", inarg, ndim);
        pa_array_free(&a);
        return status;
    }
    results r = {.n = axis < 0 ? 1 : axis == 0 ? shape[1] : shape[0]};
    /* Every rank holds the 6 results of each of r.n lines and the bins (r.n
     * of an empty array's other axis can be huge: SIZE_MAX fits nowhere). */
    size_t need = r.n > SIZE_MAX / 64 ? SIZE_MAX : (6 * r.n + 6 + (size_t)bins) * 8;
    if (pa_mem_check(ctx, need, "the results") != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        pa_array_free(&a);
        return status;
    }
    double *mem = malloc(6 * (r.n ? r.n : 1) * sizeof(double));
    uint64_t *counts = bins ? malloc((size_t)bins * sizeof *counts) : NULL;
    int ok = mem && (!bins || counts), all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, pa_ctx_comm(ctx));
    if (!all) {
        status = cmd_fail(ctx, sub, "out of memory");
        goto out;
    }
    r.count = mem;
    r.sum = mem + r.n;
    r.mean = mem + 2 * r.n;
    r.std = mem + 3 * r.n;
    r.min = mem + 4 * r.n;
    r.max = mem + 5 * r.n;
    size_t cnt = axis < 0 ? pa_array_size(a) : axis == 0 ? shape[0] : shape[1];
    for (size_t i = 0; i < r.n; i++)
        r.count[i] = (double)cnt;
    if (reduce_all(a, axis, &r) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    double lo = 0, hi = 0;
    if (bins) {
        double mn, mx;
        if (pa_array_size(a) == 0 || pa_reduce(a, PA_RED_MIN, -1, &mn) != PA_OK ||
            pa_reduce(a, PA_RED_MAX, -1, &mx) != PA_OK || !isfinite(mn) || !isfinite(mx)) {
            status = cmd_fail(ctx, sub,
                              "--hist: %s has no finite range (empty, NaN or infinite values)",
                              inarg);
            goto out;
        }
        /* numpy.histogram: a range of one value becomes [v - 0.5, v + 0.5]. */
        lo = mn == mx ? mn - 0.5 : mn;
        hi = mn == mx ? mx + 0.5 : mx;
        if (histogram(ctx, a, lo, hi, bins, counts) != 0) {
            status = cmd_fail(ctx, sub, "out of memory");
            goto out;
        }
    }

    if (pa_ctx_rank(ctx) == 0) {
        /* min and max are values of the dtype: %.9g round-trips f32; the
         * others are doubles. */
        const char *vf = dt == PA_F32 ? "%.9g" : "%.17g", *df = "%.17g";
        if (json) {
            printf("{\"dataset\": \"%s\", \"dtype\": \"%s\", \"shape\": [", inarg,
                   pa_dtype_name(dt));
            for (int k = 0; k < ndim; k++)
                printf(k ? ", %zu" : "%zu", shape[k]);
            printf("]");
            if (axis >= 0)
                printf(", \"axis\": %d", axis);
            const char *names[] = {"count", "sum", "mean", "std", "min", "max"};
            double *cols[] = {r.count, r.sum, r.mean, r.std, r.min, r.max};
            for (int k = 0; k < 6; k++) {
                printf(", \"%s\": ", names[k]);
                if (axis >= 0)
                    printf("[");
                for (size_t i = 0; i < r.n; i++) {
                    if (i)
                        printf(", ");
                    num(k >= 4 ? vf : df, cols[k][i], 1);
                }
                if (axis >= 0)
                    printf("]");
            }
            if (bins) {
                printf(", \"hist\": {\"edges\": [");
                for (int b = 0; b <= bins; b++) {
                    printf(b ? ", " : "");
                    num(df, b == bins ? hi : lo + (double)b * ((hi - lo) / bins), 1);
                }
                printf("], \"counts\": [");
                for (int b = 0; b < bins; b++)
                    printf(b ? ", %llu" : "%llu", (unsigned long long)counts[b]);
                printf("]}");
            }
            printf("}\n");
        } else {
            printf("%s: %s (", inarg, pa_dtype_name(dt));
            for (int k = 0; k < ndim; k++)
                printf(k ? ",%zu" : "%zu", shape[k]);
            printf("%s)\n", ndim == 1 ? "," : "");
            if (axis >= 0)
                printf("%-8s ", axis == 0 ? "column" : "row");
            printf("count sum mean std min max\n");
            for (size_t i = 0; i < r.n; i++) {
                if (axis >= 0)
                    printf("%-8zu ", i);
                printf("%.17g ", r.count[i]);
                num(df, r.sum[i], 0);
                putchar(' ');
                num(df, r.mean[i], 0);
                putchar(' ');
                num(df, r.std[i], 0);
                putchar(' ');
                num(vf, r.min[i], 0);
                putchar(' ');
                num(vf, r.max[i], 0);
                putchar('\n');
            }
            if (bins) {
                printf("histogram: %d bins\n", bins);
                for (int b = 0; b < bins; b++) {
                    double e0 = lo + (double)b * ((hi - lo) / bins);
                    double e1 = b + 1 == bins ? hi : lo + (double)(b + 1) * ((hi - lo) / bins);
                    printf("[%.17g, %.17g%s %llu\n", e0, e1, b + 1 == bins ? "]" : ")",
                           (unsigned long long)counts[b]);
                }
            }
        }
    }
out:
    free(counts);
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
