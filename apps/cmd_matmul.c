/* `parray matmul`: C = op(A) op(B) of two HDF5 datasets, A loaded
 * distributed by rows and B replicated, under the core and thread plan;
 * writes C and prints the multiply's GFLOP/s. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dsarg.h"

static const char usage[] =
    "usage: [mpirun -n N] parray matmul A.h5:/A B.h5:/B -o C.h5:/C\n"
    "                     [--mode split|lend|auto] [--transA] [--transB]\n"
    "\n"
    "Multiplies two 2-D f64 or f32 datasets, C = op(A) op(B), and saves C\n"
    "(crash-safe: the file is replaced only when complete). A and C are\n"
    "distributed by rows (A is loaded whole on every node with --transA), B is\n"
    "loaded whole on every node. Prints the shapes, the mode and the GFLOP/s of\n"
    "the multiply (load and save not included) from rank 0.\n"
    "\n"
    "  -o, --out FILE:/DS  where to save C (required)\n"
    "  --mode MODE         split: each rank multiplies its rows on its cores;\n"
    "                      lend: one rank per node uses all the node's cores;\n"
    "                      auto (default): see docs/blas.md\n"
    "  --transA, --transB  use the transpose of A or of B\n"
    "\n"
    "Example: mpirun -n 2 parray matmul a.h5:/A b.h5:/B -o c.h5:/C --mode lend\n";

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "matmul";
    const char *in[2] = {NULL, NULL}, *out = NULL;
    int nin = 0;
    pa_matmul_opts o = PA_MATMUL_OPTS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
            if (i + 1 >= argc)
                return cmd_usage(ctx, sub, "%s needs FILE:/DATASET", a);
            out = argv[++i];
        } else if (strcmp(a, "--mode") == 0 || strncmp(a, "--mode=", 7) == 0) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || pa_matmul_mode_parse(v, &o.mode) != PA_OK)
                return cmd_usage(ctx, sub, "--mode '%s' is not split, lend or auto", v ? v : "");
        } else if (strcmp(a, "--transA") == 0) {
            o.transA = 1;
        } else if (strcmp(a, "--transB") == 0) {
            o.transB = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cmd_usage(ctx, sub, "unknown option '%s'", a);
        } else if (nin < 2) {
            in[nin++] = a;
        } else {
            return cmd_usage(ctx, sub, "too many inputs: '%s' (A and B are two)", a);
        }
    }
    if (nin < 2)
        return cmd_usage(ctx, sub, "needs two inputs, A.h5:/A and B.h5:/B");
    if (!out)
        return cmd_usage(ctx, sub, "needs -o C.h5:/C");
    dsarg da, db, dc;
    char err[512];
    if (dsarg_parse(in[0], &da, err, sizeof err) || dsarg_parse(in[1], &db, err, sizeof err) ||
        dsarg_parse(out, &dc, err, sizeof err))
        return cmd_usage(ctx, sub, "%s", err);

    pa_array *A = NULL, *B = NULL, *C = NULL;
    int status = 0;
    pa_h5_opts ra = {0}, rb = {0};
    /* A row of A^T is a column of A: with --transA every node needs all of A. */
    ra.dist = o.transA ? PA_REPLICATED : PA_DISTRIBUTED;
    rb.dist = PA_REPLICATED;
    if (pa_h5_load(ctx, da.file, da.dataset, &ra, &A) != PA_OK ||
        pa_h5_load(ctx, db.file, db.dataset, &rb, &B) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    size_t sa[PA_MAXDIM], sb[PA_MAXDIM];
    pa_array_shape(A, sa);
    pa_array_shape(B, sb);
    if (pa_array_ndim(A) != 2 || pa_array_ndim(B) != 2) {
        status = cmd_fail(ctx, sub, "%s and %s must be 2-D: they are %d-D and %d-D", in[0], in[1],
                          pa_array_ndim(A), pa_array_ndim(B));
        goto out;
    }
    size_t m = o.transA ? sa[1] : sa[0], k = o.transA ? sa[0] : sa[1];
    size_t kb = o.transB ? sb[1] : sb[0], n = o.transB ? sb[0] : sb[1];
    if (k != kb) {
        status = cmd_fail(ctx, sub,
                          "shape mismatch: op(A) is (%zu,%zu) (%s is (%zu,%zu)%s), op(B) is "
                          "(%zu,%zu) (%s is (%zu,%zu)%s)",
                          m, k, in[0], sa[0], sa[1], o.transA ? ", transposed" : "", kb, n, in[1],
                          sb[0], sb[1], o.transB ? ", transposed" : "");
        goto out;
    }
    size_t sc[2] = {m, n};
    if (pa_array_create(ctx, pa_array_dtype(A), 2, sc, PA_DISTRIBUTED, &C) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    pa_matmul_mode used = o.mode == PA_MATMUL_AUTO ? pa_matmul_auto(ctx, m, n, k) : o.mode;
    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    int rc = pa_matmul(C, A, B, &o);
    double t = MPI_Wtime() - t0, tmax;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, pa_ctx_comm(ctx));
    if (rc != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    if (pa_h5_save(C, dc.file, dc.dataset, NULL) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    if (pa_ctx_rank(ctx) == 0) {
        double flops = 2.0 * (double)m * (double)n * (double)k;
        printf("C (%zu,%zu) %s = op(A) (%zu,%zu) x op(B) (%zu,%zu): mode %s%s, %d rank%s, "
               "%.4f s, %.2f GFLOP/s\n",
               m, n, pa_dtype_name(pa_array_dtype(A)), m, k, k, n, pa_matmul_mode_name(used),
               o.mode == PA_MATMUL_AUTO ? " (auto)" : "", pa_ctx_size(ctx),
               pa_ctx_size(ctx) == 1 ? "" : "s", tmax, tmax > 0 ? flops / tmax / 1e9 : 0.0);
    }
out:
    pa_array_free(&A);
    pa_array_free(&B);
    pa_array_free(&C);
    return status;
}

const pa_cmd cmd_matmul = {
    .name = "matmul",
    .summary = "C = A x B of HDF5 datasets, under the core and thread plan",
    .usage = usage,
    .run = run,
};
