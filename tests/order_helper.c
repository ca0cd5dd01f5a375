/* A small program for tests/order_numpy.sh: runs libparray's quantiles (by
 * every method), pa_unique and pa_topk on the .npy files numpy wrote, all
 * in one job, and writes the results for numpy to compare.
 *
 *   order_helper DIR
 *       DIR/cases names the cases, one a line; DIR/q.bin holds the
 *       quantiles (doubles). For each case NAME, DIR/NAME.npy is loaded
 *       distributed and rank 0 writes:
 *         NAME.q.txt      one line per method: its name, then each quantile
 *                         as %a, or "err CODE" when the call refused
 *         NAME.uv.bin     pa_unique's values (raw), .uc.bin the counts,
 *                         .ui.bin the inverse (i64, C order)
 *         NAME.sK.v.bin   pa_topk's K smallest (raw), .sK.i.bin their
 *                         indices; lK for the K largest, for K in TOPK_K
 *
 * Exit status: 0 success, 1 failure (message on stderr from rank 0), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parray.h"

static const size_t TOPK_K[] = {3, 4096};
#define NQ_MAX 64

/* Rank 0 writes bytes at buf to DIR/NAME.SUFFIX. */
static int write_out(pa_ctx *ctx, const char *dir, const char *name, const char *suffix,
                     const void *buf, size_t bytes)
{
    if (pa_ctx_rank(ctx) != 0)
        return PA_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, suffix);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, bytes, f) == bytes;
    return f && fclose(f) == 0 && ok ? PA_OK : PA_EIO;
}

/* A replicated result, from the node's copy. */
static int write_replicated(pa_ctx *ctx, const char *dir, const char *name, const char *suffix,
                            const pa_array *r)
{
    pa_span s;
    pa_array_node(r, &s);
    return write_out(ctx, dir, name, suffix, s.ptr,
                     pa_array_size(r) * pa_dtype_size(pa_array_dtype(r)));
}

static int run_quantiles(pa_ctx *ctx, const char *dir, const char *name, const pa_array *a,
                         const double *q, size_t nq)
{
    char text[NQ_MAX * 32 * 14], *t = text;
    double out[NQ_MAX];
    for (int m = 0; pa_quantile_method_name((pa_quantile_method)m); m++) {
        int rc = pa_quantile_by(a, (pa_quantile_method)m, nq, q, out);
        t += sprintf(t, "%s", pa_quantile_method_name((pa_quantile_method)m));
        if (rc != PA_OK)
            t += sprintf(t, " err %s", pa_errname(rc));
        for (size_t i = 0; rc == PA_OK && i < nq; i++)
            t += sprintf(t, " %a", out[i]);
        t += sprintf(t, "\n");
    }
    return write_out(ctx, dir, name, "q.txt", text, (size_t)(t - text));
}

static int run_unique(pa_ctx *ctx, const char *dir, const char *name, const pa_array *a)
{
    pa_array *v = NULL, *c = NULL, *inv = NULL;
    int rc = pa_unique(a, &v, &c, &inv);
    size_t bytes = pa_array_size(a) * sizeof(int64_t);
    char *buf = malloc(bytes + 1);
    if (rc == PA_OK)
        rc = pa_array_gather(inv, 0, buf);
    if (rc == PA_OK)
        rc = write_out(ctx, dir, name, "ui.bin", buf, bytes);
    if (rc == PA_OK)
        rc = write_replicated(ctx, dir, name, "uv.bin", v);
    if (rc == PA_OK)
        rc = write_replicated(ctx, dir, name, "uc.bin", c);
    free(buf);
    pa_array_free(&v);
    pa_array_free(&c);
    pa_array_free(&inv);
    return rc;
}

static int run_topk(pa_ctx *ctx, const char *dir, const char *name, const pa_array *a)
{
    int rc = PA_OK;
    for (size_t j = 0; rc == PA_OK && j < sizeof TOPK_K / sizeof *TOPK_K; j++)
        for (int largest = 0; rc == PA_OK && largest < 2; largest++) {
            pa_array *v = NULL, *ix = NULL;
            char sv[32], si[32];
            snprintf(sv, sizeof sv, "%c%zu.v.bin", largest ? 'l' : 's', TOPK_K[j]);
            snprintf(si, sizeof si, "%c%zu.i.bin", largest ? 'l' : 's', TOPK_K[j]);
            rc = pa_topk(a, TOPK_K[j], largest, &v, &ix);
            if (rc == PA_OK)
                rc = write_replicated(ctx, dir, name, sv, v);
            if (rc == PA_OK)
                rc = write_replicated(ctx, dir, name, si, ix);
            pa_array_free(&v);
            pa_array_free(&ix);
        }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: order_helper DIR\n");
        return 2;
    }
    pa_ctx *ctx = NULL;
    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "order_helper: %s\n", pa_errmsg(NULL));
        return 1;
    }
    const char *dir = argv[1];
    char path[4096], name[256];
    double q[NQ_MAX];
    snprintf(path, sizeof path, "%s/q.bin", dir);
    FILE *qf = fopen(path, "rb");
    size_t nq = qf ? fread(q, sizeof *q, NQ_MAX, qf) : 0;
    snprintf(path, sizeof path, "%s/cases", dir);
    FILE *cases = fopen(path, "r");
    int rc = qf && cases ? PA_OK : PA_EIO;
    while (rc == PA_OK && fscanf(cases, "%255s", name) == 1) {
        pa_array *a = NULL;
        snprintf(path, sizeof path, "%s/%s.npy", dir, name);
        rc = pa_load_npy(ctx, path, NULL, &a);
        if (rc == PA_OK)
            rc = run_quantiles(ctx, dir, name, a, q, nq);
        if (rc == PA_OK)
            rc = run_unique(ctx, dir, name, a);
        if (rc == PA_OK)
            rc = run_topk(ctx, dir, name, a);
        if (rc != PA_OK && pa_ctx_rank(ctx) == 0)
            fprintf(stderr, "order_helper: %s: %s\n", name, pa_errmsg(ctx));
        pa_array_free(&a);
    }
    if (qf)
        fclose(qf);
    if (cases)
        fclose(cases);
    pa_finalize(&ctx);
    return rc == PA_OK ? 0 : 1;
}
