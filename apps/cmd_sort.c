/* `parray sort`: sorts an HDF5 dataset (a 1-D one over its whole length,
 * an N-D one along its last axis) into a new dataset, or with --argsort
 * saves the i64 indices that sort it. */
#include <stdio.h>

#include "cmd.h"
#include "dsarg.h"
#include "opts.h"

static const char usage[] =
    "usage: [mpirun -n N] parray sort IN.h5:/DATASET -o OUT.h5:/DATASET [--argsort]\n"
    "                                 [--copy]\n"
    "\n"
    "Sorts a dataset of any dtype ascending, as numpy.sort(kind=\"stable\"): a\n"
    "1-D dataset over its whole length (across every rank), an N-D one along\n"
    "its last axis. NaN sorts last and -0.0 equals +0.0 (equal values keep\n"
    "their order), so the result is the same bits for any rank count.\n"
    "\n"
    "  -o, --out FILE.h5:/DS  where to save the result (required)\n"
    "  --argsort              save the indices that sort the dataset (i64, of\n"
    "                         its shape; inside each row for N-D) instead\n"
    "  --copy                 " CMD_COPY_HELP "\n"
    "Example: mpirun -n 2 parray sort data.h5:/x -o sorted.h5:/x\n";

enum { O_OUT = 'o', O_ARGSORT = 2, O_COPY };

static const opt_spec specs[] = {
    {"out", 'o', OPT_VALUE, O_OUT},
    {"argsort", 0, OPT_FLAG, O_ARGSORT},
    {"copy", 0, OPT_FLAG, O_COPY},
};

typedef struct {
    const char *inarg, *outarg; /* as given */
    dsarg in, out;
    int argsort;
    pa_h5_opts h5; /* --copy */
} sort_args;

/* Parses the command line into s. Returns 0, or the exit status after a
 * usage error. */
static int parse_args(pa_ctx *ctx, int argc, char **argv, sort_args *s)
{
    const char *sub = "sort";
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        switch (k) {
        case OPTS_STOP: return opts_stopped(&p);
        case O_OUT: s->outarg = p.value; break;
        case O_ARGSORT: s->argsort = 1; break;
        case O_COPY: s->h5.copy = 1; break;
        default:
            if (s->inarg)
                return cmd_usage(ctx, sub, "one input only: '%s' is extra", p.value);
            s->inarg = p.value;
        }
    }
    if (!s->inarg)
        return cmd_usage(ctx, sub, "needs the input IN.h5:/DATASET");
    if (!s->outarg)
        return cmd_usage(ctx, sub, "needs -o OUT.h5:/DATASET");
    char err[512];
    if (dsarg_parse(s->inarg, &s->in, err, sizeof err) != 0 ||
        dsarg_parse(s->outarg, &s->out, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    return 0;
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    sort_args s = {0};
    int status = parse_args(ctx, argc, argv, &s);
    if (status)
        return opts_exit_status(status);
    pa_array *a = NULL, *out = NULL;
    int rc = pa_h5_load(ctx, s.in.file, s.in.dataset, NULL, &a);
    if (rc == PA_OK) {
        size_t shape[PA_MAXDIM];
        pa_array_shape(a, shape);
        rc = s.argsort
                 ? pa_array_create(ctx, PA_I64, pa_array_ndim(a), shape, PA_DISTRIBUTED, &out)
                 : PA_OK;
    }
    if (rc == PA_OK)
        rc = s.argsort ? pa_argsort(out, a) : pa_sort(a, a);
    if (rc == PA_OK)
        rc = pa_h5_save(s.argsort ? out : a, s.out.file, s.out.dataset, &s.h5);
    status = rc == PA_OK ? 0 : cmd_fail(ctx, "sort", "%s", cmd_errmsg(ctx));
    pa_array_free(&out);
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_sort = {
    .name = "sort",
    .summary = "sort a dataset (or save its argsort) into a new dataset",
    .usage = usage,
    .run = run,
};
