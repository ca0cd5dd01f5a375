/* `parray calc`: evaluates a fused expression over HDF5 datasets into a new
 * dataset: the inputs are loaded distributed by rows, pa_expr_eval runs
 * over every rank's part in cache-sized blocks, and the result is saved
 * (crash-safe). With --rows-per-block N the datasets stream through in
 * blocks of N rows (read, evaluate, write into a crash-safe writer), so
 * that datasets larger than the job's memory can be processed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dsarg.h"
#include "num.h"

static const char usage[] =
    "usage: [mpirun -n N] parray calc 'OUT = EXPR' NAME=FILE.h5:/DS... [NAME=NUMBER...]\n"
    "                   -o FILE.h5:/DS [--dtype DT] [--rows-per-block N]\n"
    "\n"
    "Evaluates EXPR element by element over datasets of one shape and saves the\n"
    "result as a dataset of that shape. Every name of EXPR is bound on the\n"
    "command line to a dataset (x=in.h5:/x) or to a number (k=2.5), which is\n"
    "read as Python's float() reads it: subnormals such as 5e-324 exactly, inf,\n"
    "-inf and nan spelled out, and a number beyond the double range (1e400) is\n"
    "inf. The language (docs/expr.md): numbers, names, + - * / ** (power),\n"
    "unary minus, parentheses, comparisons < <= > >= == != (1 or 0),\n"
    "where(c, a, b), and the functions neg abs sqrt exp log log10 log1p expm1\n"
    "sin cos tan tanh floor ceil round square reciprocal add sub mul div pow\n"
    "minimum maximum hypot atan2 fmod.\n"
    "\n"
    "  -o, --out FILE.h5:/DS  where to save the result (required)\n"
    "  --dtype DT             compute and save in DT (one of" CMD_DTYPES "):\n"
    "                         inputs are converted (pa_astype); by default the\n"
    "                         inputs' dtype, which must be the same for all\n"
    "  --rows-per-block N     stream the datasets through in blocks of N rows\n"
    "                         (of axis 0) instead of loading them whole: memory\n"
    "                         holds one block of each input and of the output,\n"
    "                         so datasets larger than memory can be processed.\n"
    "                         All inputs must have the same shape. The result\n"
    "                         is bit-identical to the whole-array calc; the\n"
    "                         output file changes only when every block is done.\n"
    "\n"
    "Progress is shown on stderr when it is a terminal.\n"
    "\n"
    "Example: mpirun -n 2 parray calc 'r = sqrt(x*x + y*y) * k' x=in.h5:/x y=in.h5:/y "
    "k=0.5 -o out.h5:/r\n";

#define MAXB 64

typedef struct {
    char name[64];
    int is_array;
    double value;
    dsarg ds;
    pa_array *a;
} binding;

static void progress(pa_ctx *ctx, const char *fmt, const char *what)
{
    if (pa_ctx_rank(ctx) == 0 && isatty(STDERR_FILENO)) {
        fprintf(stderr, "\rparray calc: ");
        fprintf(stderr, fmt, what);
        fprintf(stderr, "\033[K");
        fflush(stderr);
    }
}

/* ------------------------------------------------------------ streaming */

/* The arrays of one block of n rows: per dataset input its rows as stored
 * (raw) and, with --dtype, converted (conv); the output unless it is an
 * input. Made once for the full blocks and once more for a shorter last
 * block. */
typedef struct {
    size_t n;
    pa_array *raw[MAXB], *conv[MAXB], *out;
} block_set;

static void set_free(block_set *s)
{
    pa_array_free(&s->out);
    for (int k = MAXB - 1; k >= 0; k--) {
        pa_array_free(&s->conv[k]);
        pa_array_free(&s->raw[k]);
    }
    s->n = 0;
}

/* Collective. Creates the arrays of a block of n rows: inputs of dtype
 * dt[k] (converted to *want when given and different), the output of
 * odtype when oname is not an input. Row shape: shape[1..ndim). */
static int set_make(pa_ctx *ctx, block_set *s, const binding *b, int nb, const pa_dtype *dt,
                    const pa_dtype *want, pa_dtype odtype, const char *oname, int ndim,
                    const size_t *shape, size_t n)
{
    size_t bs[PA_MAXDIM];
    memcpy(bs, shape, sizeof(size_t) * (size_t)ndim);
    bs[0] = n;
    s->n = n;
    int is_input = 0;
    for (int k = 0; k < nb; k++) {
        if (!b[k].is_array)
            continue;
        is_input |= strcmp(b[k].name, oname) == 0;
        int rc = pa_array_create(ctx, dt[k], ndim, bs, PA_DISTRIBUTED, &s->raw[k]);
        if (rc == PA_OK && want && *want != dt[k])
            rc = pa_array_create(ctx, *want, ndim, bs, PA_DISTRIBUTED, &s->conv[k]);
        if (rc != PA_OK)
            return rc;
    }
    if (!is_input)
        return pa_array_create(ctx, odtype, ndim, bs, PA_DISTRIBUTED, &s->out);
    return PA_OK;
}

static void block_progress(pa_ctx *ctx, size_t k, size_t nblocks, size_t r0, size_t r1)
{
    if (pa_ctx_rank(ctx) == 0 && isatty(STDERR_FILENO)) {
        fprintf(stderr, "\rparray calc: block %zu/%zu (rows %zu to %zu)\033[K", k, nblocks, r0,
                r1);
        fflush(stderr);
    }
}

/* Collective. `calc --rows-per-block rpb`: checks that the dataset inputs
 * have one shape (and one dtype unless want), creates the output with a
 * crash-safe writer, and streams: per block, each input's rows are read
 * into the block's arrays (converted to *want), the compiled expression is
 * evaluated, and the output rows are written. The writer is committed
 * after the last block and aborted on any failure, so the output file
 * changes only when the whole result is written. Returns the exit status. */
static int run_blocks(pa_ctx *ctx, pa_expr *e, binding *b, int nb, const dsarg *od,
                      const char *outarg, const pa_dtype *want, size_t rpb)
{
    const char *sub = "calc", *oname = pa_expr_output(e);
    pa_dtype dt[MAXB];
    size_t shape[PA_MAXDIM], sh[PA_MAXDIM];
    int ndim = 0, first = -1, nd;
    for (int k = 0; k < nb; k++) {
        if (!b[k].is_array)
            continue;
        progress(ctx, "checking %s", b[k].name);
        if (pa_h5_info(ctx, b[k].ds.file, b[k].ds.dataset, &dt[k], &nd, sh) != PA_OK)
            return cmd_fail(ctx, sub, "%s: %s", b[k].name, pa_errmsg(ctx));
        if (first < 0) {
            first = k;
            ndim = nd;
            memcpy(shape, sh, sizeof(size_t) * (size_t)nd);
            continue;
        }
        char s1[PA_MAXDIM * 24], s2[PA_MAXDIM * 24];
        size_t l1 = 0, l2 = 0;
        for (int i = 0; i < ndim; i++)
            l1 += (size_t)snprintf(s1 + l1, sizeof s1 - l1, i ? ",%zu" : "%zu", shape[i]);
        for (int i = 0; i < nd; i++)
            l2 += (size_t)snprintf(s2 + l2, sizeof s2 - l2, i ? ",%zu" : "%zu", sh[i]);
        if (nd != ndim || sh[0] != shape[0])
            return cmd_fail(ctx, sub,
                            "--rows-per-block: every input must have the same number of rows: "
                            "%s is (%s), %s is (%s)",
                            b[first].name, s1, b[k].name, s2);
        if (memcmp(sh, shape, sizeof(size_t) * (size_t)nd) != 0)
            return cmd_fail(ctx, sub, "the inputs must have one shape: %s is (%s), %s is (%s)",
                            b[first].name, s1, b[k].name, s2);
        if (!want && dt[k] != dt[first])
            return cmd_fail(ctx, sub,
                            "the inputs must have one dtype: %s is %s, %s is %s (give --dtype "
                            "to convert them)",
                            b[first].name, pa_dtype_name(dt[first]), b[k].name,
                            pa_dtype_name(dt[k]));
    }
    if (first < 0)
        return cmd_fail(ctx, sub, "needs at least one dataset input (all names are numbers)");
    pa_dtype odtype = want ? *want : dt[first];
    size_t rows = shape[0], nblocks = rows / rpb + (rows % rpb != 0); /* rpb may be huge */

    int status = 0;
    pa_h5_writer *w = NULL;
    block_set set = {0};
    if (pa_h5_create(ctx, od->file, od->dataset, odtype, ndim, shape, NULL, &w) != PA_OK)
        return cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
    pa_binding pb[MAXB + 1];
    for (size_t blk = 0; blk < nblocks && status == 0; blk++) {
        size_t r0 = blk * rpb, n = rows - r0 < rpb ? rows - r0 : rpb;
        block_progress(ctx, blk + 1, nblocks, r0, r0 + n);
        /* Arrays are made once for the full blocks; a shorter last block
         * gets its own (the full ones are freed first, so memory never
         * holds both). */
        if (set.n != n) {
            set_free(&set);
            if (set_make(ctx, &set, b, nb, dt, want, odtype, oname, ndim, shape, n) != PA_OK) {
                status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
                break;
            }
        }
        int npb = 0;
        pa_array *outa = set.out;
        for (int k = 0; k < nb && status == 0; k++) {
            pa_array *x = NULL;
            if (b[k].is_array) {
                if (pa_h5_read_rows(set.raw[k], b[k].ds.file, b[k].ds.dataset, r0, NULL) !=
                    PA_OK) {
                    status = cmd_fail(ctx, sub, "%s: %s", b[k].name, pa_errmsg(ctx));
                    break;
                }
                x = set.raw[k];
                if (set.conv[k]) {
                    if (pa_astype(set.conv[k], x) != PA_OK) {
                        status = cmd_fail(ctx, sub, "%s: %s", b[k].name, pa_errmsg(ctx));
                        break;
                    }
                    x = set.conv[k];
                }
                if (strcmp(b[k].name, oname) == 0)
                    outa = x;
            }
            pb[npb++] = (pa_binding){b[k].name, x, b[k].value};
        }
        if (status)
            break;
        if (set.out)
            pb[npb++] = (pa_binding){oname, set.out, 0};
        if (pa_expr_eval(e, pb, npb) != PA_OK || pa_h5_write_rows(w, outa, r0) != PA_OK) {
            status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
            break;
        }
    }
    set_free(&set);
    if (status == 0) {
        progress(ctx, "saving %s", outarg);
        if (pa_h5_commit(&w) != PA_OK)
            status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
    }
    /* On a failure the temporary goes and the old output file stays. */
    pa_h5_abort(&w);
    if (status)
        return status;
    progress(ctx, "%s", "done");
    if (pa_ctx_rank(ctx) == 0 && isatty(STDERR_FILENO))
        fputc('\n', stderr);
    if (pa_ctx_rank(ctx) == 0) {
        printf("%s: %s (", outarg, pa_dtype_name(odtype));
        for (int k = 0; k < ndim; k++)
            printf(k ? ",%zu" : "%zu", shape[k]);
        printf("%s), %zu block%s of %zu rows\n", ndim == 1 ? "," : "", nblocks,
               nblocks == 1 ? "" : "s", rpb);
    }
    return 0;
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "calc", *text = NULL, *outarg = NULL, *dtarg = NULL;
    size_t rows_per_block = 0; /* 0: whole arrays */
    binding *b = calloc(MAXB, sizeof *b);
    int nb = 0, status = 0;
    if (!b)
        return cmd_fail(ctx, sub, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
            if (i + 1 >= argc) {
                status = cmd_usage(ctx, sub, "%s needs FILE.h5:/DATASET", a);
                goto out;
            }
            outarg = argv[++i];
        } else if (strcmp(a, "--dtype") == 0) {
            if (i + 1 >= argc) {
                status = cmd_usage(ctx, sub, "--dtype needs a value");
                goto out;
            }
            dtarg = argv[++i];
        } else if (strcmp(a, "--rows-per-block") == 0) {
            uint64_t n;
            char err[256];
            if (i + 1 >= argc) {
                status = cmd_usage(ctx, sub, "--rows-per-block needs a value");
                goto out;
            }
            /* At most the largest dimension an array can have. */
            if (num_uint(a, argv[++i], 1, PTRDIFF_MAX, &n, err, sizeof err) != 0) {
                status = cmd_usage(ctx, sub, "%s", err);
                goto out;
            }
            rows_per_block = (size_t)n;
        } else if (a[0] == '-' && a[1] != 0 && !strchr(a, '=')) {
            status = cmd_usage(ctx, sub, "unknown option '%s'", a);
            goto out;
        } else if (!text) {
            text = a;
        } else {
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : 0;
            if (!eq || len == 0 || len >= sizeof b[0].name) {
                status = cmd_usage(ctx, sub, "'%s' is not NAME=FILE.h5:/DATASET or NAME=NUMBER",
                                   a);
                goto out;
            }
            if (nb == MAXB) {
                status = cmd_usage(ctx, sub, "more than %d bindings", MAXB);
                goto out;
            }
            binding *x = &b[nb];
            memcpy(x->name, a, len);
            x->name[len] = 0;
            for (int k = 0; k < nb; k++)
                if (strcmp(b[k].name, x->name) == 0) {
                    status = cmd_usage(ctx, sub, "'%s' is bound twice", x->name);
                    goto out;
                }
            const char *v = eq + 1;
            if (num_real(x->name, v, 0, &x->value, NULL, 0) == 0) {
                x->is_array = 0;
            } else {
                char err[512];
                if (dsarg_parse(v, &x->ds, err, sizeof err) != 0) {
                    status = cmd_usage(ctx, sub, "%s: '%s' is neither a number nor a dataset: %s",
                                       x->name, v, err);
                    goto out;
                }
                x->is_array = 1;
            }
            nb++;
        }
    }
    if (!text) {
        status = cmd_usage(ctx, sub, "needs the expression 'OUT = EXPR'");
        goto out;
    }
    if (!outarg) {
        status = cmd_usage(ctx, sub, "needs -o FILE.h5:/DATASET");
        goto out;
    }
    dsarg od;
    char err[512];
    if (dsarg_parse(outarg, &od, err, sizeof err) != 0) {
        status = cmd_usage(ctx, sub, "%s", err);
        goto out;
    }
    pa_dtype want = PA_F64;
    if (dtarg && pa_dtype_parse(dtarg, &want) != PA_OK) {
        status = cmd_usage(ctx, sub, "--dtype '%s' is not one of" CMD_DTYPES, dtarg);
        goto out;
    }

    pa_expr *e = NULL;
    if (pa_expr_compile(ctx, text, &e) != PA_OK) {
        status = cmd_usage(ctx, sub, "%s", pa_errmsg(ctx));
        goto out;
    }
    /* Every binding must be used and every name bound: a typo is an error
     * here rather than a silently ignored input. */
    const char *oname = pa_expr_output(e);
    for (int k = 0; k < nb && status == 0; k++) {
        int used = strcmp(b[k].name, oname) == 0 && b[k].is_array;
        for (int j = 0; j < pa_expr_nnames(e) && !used; j++)
            used = strcmp(b[k].name, pa_expr_name(e, j)) == 0;
        if (!used)
            status = cmd_usage(ctx, sub, "'%s' is bound but the expression does not use it",
                               b[k].name);
    }
    for (int j = 0; j < pa_expr_nnames(e) && status == 0; j++) {
        int bound = 0;
        for (int k = 0; k < nb; k++)
            bound |= strcmp(b[k].name, pa_expr_name(e, j)) == 0;
        if (!bound)
            status = cmd_usage(ctx, sub, "'%s' is not bound: add %s=FILE.h5:/DATASET or %s=NUMBER",
                               pa_expr_name(e, j), pa_expr_name(e, j), pa_expr_name(e, j));
    }
    if (status)
        goto out_e;
    if (rows_per_block) {
        status = run_blocks(ctx, e, b, nb, &od, outarg, dtarg ? &want : NULL, rows_per_block);
        goto out_e;
    }

    pa_array *first = NULL, *outa = NULL, *created = NULL;
    for (int k = 0; k < nb; k++) {
        if (!b[k].is_array)
            continue;
        progress(ctx, "loading %s", b[k].name);
        if (pa_h5_load(ctx, b[k].ds.file, b[k].ds.dataset, NULL, &b[k].a) != PA_OK) {
            status = cmd_fail(ctx, sub, "%s: %s", b[k].name, pa_errmsg(ctx));
            goto out_arrays;
        }
        if (dtarg && pa_array_dtype(b[k].a) != want) {
            size_t shape[PA_MAXDIM];
            pa_array_shape(b[k].a, shape);
            pa_array *c = NULL;
            if (pa_array_create(ctx, want, pa_array_ndim(b[k].a), shape, PA_DISTRIBUTED, &c) !=
                    PA_OK ||
                pa_astype(c, b[k].a) != PA_OK) {
                pa_array_free(&c);
                status = cmd_fail(ctx, sub, "%s: %s", b[k].name, pa_errmsg(ctx));
                goto out_arrays;
            }
            pa_array_free(&b[k].a);
            b[k].a = c;
        }
        if (!first)
            first = b[k].a;
        if (strcmp(b[k].name, oname) == 0)
            outa = b[k].a;
    }
    if (!first) {
        status = cmd_fail(ctx, sub, "needs at least one dataset input (all names are numbers)");
        goto out_arrays;
    }
    if (!outa) {
        size_t shape[PA_MAXDIM];
        pa_array_shape(first, shape);
        if (pa_array_create(ctx, pa_array_dtype(first), pa_array_ndim(first), shape,
                            PA_DISTRIBUTED, &created) != PA_OK) {
            status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
            goto out_arrays;
        }
        outa = created;
    }
    pa_binding pb[MAXB + 1];
    int npb = 0;
    for (int k = 0; k < nb; k++)
        pb[npb++] = (pa_binding){b[k].name, b[k].a, b[k].value};
    if (created)
        pb[npb++] = (pa_binding){oname, created, 0};
    progress(ctx, "%s", "evaluating");
    if (pa_expr_eval(e, pb, npb) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out_arrays;
    }
    progress(ctx, "saving %s", outarg);
    if (pa_h5_save(outa, od.file, od.dataset, NULL) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        goto out_arrays;
    }
    progress(ctx, "%s", "done");
    if (pa_ctx_rank(ctx) == 0 && isatty(STDERR_FILENO))
        fputc('\n', stderr);
    if (pa_ctx_rank(ctx) == 0) {
        size_t shape[PA_MAXDIM];
        pa_array_shape(outa, shape);
        printf("%s: %s (", outarg, pa_dtype_name(pa_array_dtype(outa)));
        for (int k = 0; k < pa_array_ndim(outa); k++)
            printf(k ? ",%zu" : "%zu", shape[k]);
        printf("%s)\n", pa_array_ndim(outa) == 1 ? "," : "");
    }
out_arrays:
    pa_array_free(&created);
    for (int k = nb - 1; k >= 0; k--)
        pa_array_free(&b[k].a);
out_e:
    pa_expr_free(&e);
out:
    free(b);
    return status;
}

const pa_cmd cmd_calc = {
    .name = "calc",
    .summary = "evaluate an expression over HDF5 datasets into a new dataset",
    .usage = usage,
    .run = run,
};
