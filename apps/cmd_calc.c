/* `parray calc`: evaluates a fused expression over HDF5 datasets into a new
 * dataset: the inputs are loaded distributed by rows, pa_expr_eval runs
 * over every rank's part in cache-sized blocks, and the result is saved
 * (crash-safe). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dsarg.h"

static const char usage[] =
    "usage: [mpirun -n N] parray calc 'OUT = EXPR' NAME=FILE.h5:/DS... [NAME=NUMBER...]\n"
    "                   -o FILE.h5:/DS [--dtype DT]\n"
    "\n"
    "Evaluates EXPR element by element over datasets of one shape and saves the\n"
    "result as a dataset of that shape. Every name of EXPR is bound on the\n"
    "command line to a dataset (x=in.h5:/x) or to a number (k=2.5). The\n"
    "language (docs/expr.md): numbers, names, + - * / ** (power), unary minus,\n"
    "parentheses, comparisons < <= > >= == != (1 or 0), where(c, a, b), and\n"
    "the functions neg abs sqrt exp log log10 log1p expm1 sin cos tan tanh\n"
    "floor ceil round square reciprocal add sub mul div pow minimum maximum\n"
    "hypot atan2 fmod.\n"
    "\n"
    "  -o, --out FILE.h5:/DS  where to save the result (required)\n"
    "  --dtype DT             compute and save in DT (f64, f32, i64, i32, u8):\n"
    "                         inputs are converted (pa_astype); by default the\n"
    "                         inputs' dtype, which must be the same for all\n"
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

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "calc", *text = NULL, *outarg = NULL, *dtarg = NULL;
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
            char *end;
            errno = 0;
            x->value = strtod(v, &end);
            if (*v && *end == 0 && errno != ERANGE) {
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
        status = cmd_usage(ctx, sub, "--dtype '%s' is not f64, f32, i64, i32 or u8", dtarg);
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
