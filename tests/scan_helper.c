/* A small program for tests/scan_numpy.sh: runs a scan or a histogram of
 * libparray on raw data that numpy wrote, and writes the result raw (or
 * as text) for numpy to compare.
 *
 *   scan_helper cumsum|cumprod DTYPE AXIS IN OUT D0 [D1 ...]
 *       IN holds an array of DTYPE and shape (D0, D1, ...) in C order; OUT
 *       gets its scan along AXIS (-1: the whole array) in numpy's result
 *       dtype (pa_scan_dtype)
 *   scan_helper hist DTYPE BINS IN OUT N [LO HI]
 *       OUT gets three lines: the BINS + 1 edges (%.17g), the counts, and
 *       the NaN, below and above counts; the range [LO, HI] or the data's
 *   scan_helper edges DTYPE EDGES IN OUT N
 *       as hist, with the bins between the doubles in the file EDGES
 *
 * Exit status: 0 success, 1 failure (message on stderr from rank 0), 2 usage. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parray.h"

static int usage(void)
{
    fprintf(stderr, "usage: scan_helper cumsum|cumprod DTYPE AXIS IN OUT D0 [D1 ...]\n"
                    "       scan_helper hist DTYPE BINS IN OUT N [LO HI]\n"
                    "       scan_helper edges DTYPE EDGES IN OUT N\n");
    return 2;
}

/* The whole file path on rank 0 into buf (bytes of it), scattered into a. */
static int read_into(pa_ctx *ctx, pa_array *a, const char *path, size_t bytes)
{
    char *buf = malloc(bytes ? bytes : 1);
    int ok = 1;
    if (pa_ctx_rank(ctx) == 0) {
        FILE *f = fopen(path, "rb");
        ok = buf && f && fread(buf, 1, bytes, f) == bytes;
        if (f)
            fclose(f);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, pa_ctx_comm(ctx));
    int rc = ok ? pa_array_scatter(a, 0, buf) : PA_EIO;
    free(buf);
    return rc;
}

static int write_file(const char *path, const void *buf, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, bytes, f) == bytes;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

static int run_scan(pa_ctx *ctx, int prod, pa_dtype d, int axis, const char *in, const char *out,
                    int ndim, const size_t *shape)
{
    pa_array *a = NULL, *y = NULL;
    int rc = pa_array_create(ctx, d, ndim, shape, PA_DISTRIBUTED, &a);
    pa_dtype rd = pa_scan_dtype(d);
    if (rc == PA_OK)
        rc = read_into(ctx, a, in, pa_array_size(a) * pa_dtype_size(d));
    if (rc == PA_OK)
        rc = pa_array_create(ctx, rd, ndim, shape, PA_DISTRIBUTED, &y);
    if (rc == PA_OK)
        rc = prod ? pa_cumprod(y, a, axis) : pa_cumsum(y, a, axis);
    size_t bytes = pa_array_size(a) * pa_dtype_size(rd);
    char *buf = rc == PA_OK ? malloc(bytes ? bytes : 1) : NULL;
    if (rc == PA_OK)
        rc = pa_array_gather(y, 0, buf);
    if (rc == PA_OK && pa_ctx_rank(ctx) == 0 && write_file(out, buf, bytes) != 0)
        rc = PA_EIO;
    free(buf);
    pa_array_free(&a);
    pa_array_free(&y);
    return rc;
}

/* hist (edges_path NULL: range as given, or NULL) and edges. */
static int run_hist(pa_ctx *ctx, pa_dtype d, int bins, const char *edges_path,
                    const double *range, const char *in, const char *out, size_t n)
{
    pa_array *a = NULL;
    int rc = pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &a);
    if (rc == PA_OK)
        rc = read_into(ctx, a, in, n * pa_dtype_size(d));
    double *edges = malloc(sizeof(double) * ((size_t)bins + 1));
    uint64_t *counts = malloc(sizeof(uint64_t) * (size_t)bins);
    pa_hist_rest rest;
    if (rc == PA_OK && edges_path) {
        FILE *f = fopen(edges_path, "rb");
        size_t got = f ? fread(edges, sizeof(double), (size_t)bins + 1, f) : 0;
        if (f)
            fclose(f);
        rc = got == (size_t)bins + 1 ? pa_histogram_edges(a, bins, edges, counts, &rest) : PA_EIO;
    } else if (rc == PA_OK) {
        rc = pa_histogram(a, bins, range, edges, counts, &rest);
    }
    if (rc == PA_OK && pa_ctx_rank(ctx) == 0) {
        FILE *f = fopen(out, "w");
        for (int i = 0; f && i <= bins; i++)
            fprintf(f, "%.17g%c", edges[i], i == bins ? '\n' : ' ');
        for (int i = 0; f && i < bins; i++)
            fprintf(f, "%" PRIu64 "%c", counts[i], i + 1 == bins ? '\n' : ' ');
        if (f)
            fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", rest.nan, rest.below, rest.above);
        if (!f || fclose(f) != 0)
            rc = PA_EIO;
    }
    free(edges);
    free(counts);
    pa_array_free(&a);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 7)
        return usage();
    pa_dtype d;
    if (pa_dtype_parse(argv[2], &d) != PA_OK)
        return usage();
    pa_ctx *ctx = NULL;
    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "scan_helper: %s\n", pa_errmsg(NULL));
        return 1;
    }
    int rc, bad_usage = 0;
    if (!strcmp(argv[1], "cumsum") || !strcmp(argv[1], "cumprod")) {
        size_t shape[PA_MAXDIM];
        int ndim = argc - 6;
        for (int k = 0; k < ndim && k < PA_MAXDIM; k++)
            shape[k] = strtoull(argv[6 + k], NULL, 10);
        rc = run_scan(ctx, argv[1][3] == 'p', d, atoi(argv[3]), argv[4], argv[5], ndim, shape);
    } else if (!strcmp(argv[1], "hist")) {
        double range[2] = {argc > 8 ? atof(argv[7]) : 0, argc > 8 ? atof(argv[8]) : 0};
        rc = run_hist(ctx, d, atoi(argv[3]), NULL, argc > 8 ? range : NULL, argv[4], argv[5],
                      strtoull(argv[6], NULL, 10));
    } else if (!strcmp(argv[1], "edges")) {
        /* the bins: the edges file's doubles less one */
        FILE *f = fopen(argv[3], "rb");
        long bytes = 0;
        if (f && fseek(f, 0, SEEK_END) == 0)
            bytes = ftell(f);
        if (f)
            fclose(f);
        rc = run_hist(ctx, d, (int)(bytes / 8) - 1, argv[3], NULL, argv[4], argv[5],
                      strtoull(argv[6], NULL, 10));
    } else {
        bad_usage = 1;
        rc = PA_EINVAL;
    }
    if (rc != PA_OK && pa_ctx_rank(ctx) == 0 && !bad_usage)
        fprintf(stderr, "scan_helper: %s\n", pa_errmsg(ctx));
    pa_finalize(&ctx);
    return bad_usage ? usage() : rc == PA_OK ? 0 : 1;
}
