/* `parray slice`, `reshape`, `transpose` and `concat`: new datasets made of
 * other datasets' elements, as numpy's slicing, reshape, .T and
 * concatenate. The elements move between nodes within the memory bound of
 * parray/reshape.h (the output plus a bounded buffer per node); each
 * command loads its inputs, makes the new array, frees the inputs and
 * saves the result as every command saves. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "dsarg.h"
#include "opts.h"

/* The four commands share one parser and one run; kind says which. */
typedef enum { K_SLICE, K_RESHAPE, K_TRANSPOSE, K_CONCAT } kind;

#define SHAPE_OPTIONS_HELP                                                                       \
    "  -o, --out FILE.h5:/DS  where to save the result (required)\n"                             \
    "  --copy                 " CMD_COPY_HELP                                                    \
    "The memory each node needs is the output's rows there plus a buffer of\n"                   \
    "PARRAY_REDIST_BUFFER_MB (default 64 MiB); no rank ever holds a whole\n"                     \
    "dataset that is not its share.\n"

static const char slice_usage[] =
    "usage: [mpirun -n N] parray slice IN.h5:/DATASET -o OUT.h5:/DATASET\n"
    "                                  [--rows START:STOP[:STEP]] [--cols I,J,...]\n"
    "                                  [--copy]\n"
    "\n"
    "Saves a slice of a dataset of any dtype, as numpy's x[START:STOP:STEP]\n"
    "along axis 0 and x[:, [I, J, ...]] for the columns of a 2-D dataset.\n"
    "Each part of the slice may be left out, or negative to count from the\n"
    "end, and the step may be negative; bounds past either end are clamped.\n"
    "\n"
    "  --rows START:STOP[:STEP]  the rows to keep (default: all)\n"
    "  --cols I,J,...            the columns to keep, in this order (2-D only;\n"
    "                            negative ones count from the end, repeats "
    "allowed)\n" SHAPE_OPTIONS_HELP
    "Example: mpirun -n 2 parray slice data.h5:/x --rows ::10 --cols 0,-1 -o thin.h5:/x\n";

static const char reshape_usage[] =
    "usage: [mpirun -n N] parray reshape IN.h5:/DATASET --shape D0,D1,...\n"
    "                                    -o OUT.h5:/DATASET [--copy]\n"
    "\n"
    "Saves a dataset of any dtype with a new shape and the same elements in C\n"
    "order, as numpy.reshape. One dimension may be -1: it is whatever makes\n"
    "the sizes equal.\n"
    "\n"
    "  --shape D0,D1,...      the new shape (1 to 8 dimensions; required)\n" SHAPE_OPTIONS_HELP
    "Example: mpirun -n 2 parray reshape flat.h5:/x --shape -1,100 -o rows.h5:/x\n";

static const char transpose_usage[] =
    "usage: [mpirun -n N] parray transpose IN.h5:/DATASET -o OUT.h5:/DATASET [--copy]\n"
    "\n"
    "Saves the transpose of a 2-D dataset of any dtype (numpy's x.T): shape\n"
    "(cols, rows).\n"
    "\n" SHAPE_OPTIONS_HELP "Example: mpirun -n 2 parray transpose data.h5:/x -o data_t.h5:/x\n";

static const char concat_usage[] =
    "usage: [mpirun -n N] parray concat IN.h5:/DATASET... -o OUT.h5:/DATASET [--axis 0|1]\n"
    "                                   [--copy]\n"
    "\n"
    "Saves the inputs joined end to end, as numpy.concatenate: along axis 0\n"
    "(any number of dimensions; the others must match), or along axis 1 for\n"
    "2-D datasets with the same number of rows. The inputs must have one\n"
    "dtype (convert one with `parray calc` and --dtype first).\n"
    "\n"
    "  --axis 0|1             the axis to join along (default 0; -1 is the\n"
    "                         last)\n" SHAPE_OPTIONS_HELP
    "Example: mpirun -n 2 parray concat a.h5:/x b.h5:/x -o ab.h5:/x\n";

enum { O_OUT = 'o', O_COPY = 2, O_ROWS, O_COLS, O_SHAPE, O_AXIS };

/* The most columns --cols takes. */
#define MAX_COLS 1000000

typedef struct {
    kind k;
    const char *sub, *usage;
    const char **inargs; /* as given: argc entries */
    int nin;
    const char *outarg;
    dsarg out;
    pa_h5_opts h5; /* --copy */
    int64_t rows[3];
    int rows_given[3], has_rows;
    int64_t *cols; /* --cols, ncols of them */
    int ncols;
    const char *shapearg;     /* --shape as given */
    int64_t shape[PA_MAXDIM]; /* --shape, ndim of them (0: not given) */
    int ndim;
    int64_t axis;
} shape_args;

/* Parses the command line into s. Returns 0, or the exit status after a
 * usage error. */
static int parse_args(pa_ctx *ctx, const opt_spec *specs, int nspecs, int argc, char **argv,
                      shape_args *s)
{
    opts p;
    opts_begin(&p, ctx, s->sub, s->usage, specs, nspecs, argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        switch (k) {
        case OPTS_STOP: return opts_stopped(&p);
        case O_OUT: s->outarg = p.value; break;
        case O_COPY: s->h5.copy = 1; break;
        case O_ROWS:
            if (opts_slice(&p, INT64_MIN + 1, INT64_MAX, s->rows, s->rows_given))
                return p.status;
            s->has_rows = 1;
            break;
        case O_COLS:
            if (!s->cols && !(s->cols = malloc(MAX_COLS * sizeof *s->cols)))
                return opts_fail(&p, "%s: out of memory", p.name);
            if (opts_int_list(&p, INT64_MIN + 1, INT64_MAX, s->cols, MAX_COLS, &s->ncols))
                return p.status;
            break;
        case O_SHAPE:
            if (opts_int_list(&p, -1, INT64_MAX, s->shape, PA_MAXDIM, &s->ndim))
                return p.status;
            s->shapearg = p.value;
            break;
        case O_AXIS:
            if (opts_int(&p, -2, 1, &s->axis))
                return p.status;
            break;
        default:
            if (s->nin > 0 && s->k != K_CONCAT)
                return cmd_usage(ctx, s->sub, "one input only: '%s' is extra", p.value);
            s->inargs[s->nin++] = p.value;
        }
    }
    if (s->nin == 0)
        return cmd_usage(ctx, s->sub, "needs the input IN.h5:/DATASET");
    if (!s->outarg)
        return cmd_usage(ctx, s->sub, "needs -o OUT.h5:/DATASET");
    if (s->k == K_RESHAPE && s->ndim == 0)
        return cmd_usage(ctx, s->sub, "needs --shape D0,D1,...");
    char err[512];
    if (dsarg_parse(s->outarg, &s->out, err, sizeof err) != 0)
        return cmd_usage(ctx, s->sub, "%s", err);
    for (int i = 0; i < s->nin; i++) {
        dsarg in;
        if (dsarg_parse(s->inargs[i], &in, err, sizeof err) != 0)
            return cmd_usage(ctx, s->sub, "%s", err);
    }
    return 0;
}

/* --shape with its -1 worked out against the size of a, numpy's way. */
static int resolve_shape(pa_ctx *ctx, const shape_args *s, const pa_array *a, size_t *shape)
{
    size_t size = pa_array_size(a), known = 1;
    int unknown = -1;
    for (int d = 0; d < s->ndim; d++) {
        if (s->shape[d] >= 0) {
            shape[d] = (size_t)s->shape[d];
            known *= shape[d];
        } else if (unknown >= 0) {
            return cmd_fail(ctx, s->sub, "--shape %s: only one dimension may be -1", s->shapearg);
        } else {
            unknown = d;
        }
    }
    if (unknown >= 0 && known != 0 && size % known == 0)
        shape[unknown] = size / known;
    else if (unknown >= 0 || known != size)
        return cmd_fail(ctx, s->sub, "--shape %s: cannot reshape %s of size %zu into it",
                        s->shapearg, s->inargs[0], size);
    return 0;
}

/* The new array from the loaded inputs (in[0..nin)), into *out. Returns a
 * PA_* code, or 1 after a failure this file reported itself. */
static int make(pa_ctx *ctx, const shape_args *s, pa_array **in, pa_array **out)
{
    switch (s->k) {
    case K_SLICE: {
        pa_array *rows = NULL, *src = in[0];
        if (s->ncols > 0 && pa_array_ndim(src) != 2)
            return cmd_fail(ctx, s->sub, "--cols takes a 2-D dataset; %s has %d dimensions",
                            s->inargs[0], pa_array_ndim(src));
        if (s->has_rows || s->ncols == 0) {
            int64_t v[3];
            for (int k = 0; k < 3; k++)
                v[k] = s->has_rows && s->rows_given[k] ? s->rows[k] : PA_SLICE_NONE;
            if (v[2] == 0)
                return cmd_fail(ctx, s->sub, "--rows: the slice's step must not be 0");
            int rc = pa_slice_rows(src, v[0], v[1], v[2] == PA_SLICE_NONE ? 1 : v[2], &rows);
            if (rc != PA_OK || s->ncols == 0) {
                *out = rows;
                return rc;
            }
            src = rows;
        }
        int rc = pa_take_cols(src, s->cols, (size_t)s->ncols, out);
        pa_array_free(&rows);
        return rc;
    }
    case K_RESHAPE: {
        size_t shape[PA_MAXDIM];
        return resolve_shape(ctx, s, in[0], shape) ? 1 : pa_reshape(in[0], s->ndim, shape, out);
    }
    case K_TRANSPOSE:
        if (pa_array_ndim(in[0]) != 2)
            return cmd_fail(ctx, s->sub, "transposes a 2-D dataset; %s has %d dimensions",
                            s->inargs[0], pa_array_ndim(in[0]));
        return pa_transpose(in[0], out);
    case K_CONCAT: return pa_concat(in, s->nin, (int)s->axis, out);
    }
    return PA_EINVAL;
}

static int run_kind(pa_ctx *ctx, int argc, char **argv, kind k, const char *sub,
                    const char *usage, const opt_spec *specs, int nspecs)
{
    shape_args s = {.k = k, .sub = sub, .usage = usage};
    pa_array **in = NULL, *out = NULL;
    s.inargs = calloc((size_t)argc, sizeof *s.inargs);
    in = calloc((size_t)argc, sizeof *in);
    int status = s.inargs && in ? parse_args(ctx, specs, nspecs, argc, argv, &s)
                                : cmd_fail(ctx, sub, "out of memory");
    int rc = status ? PA_EINVAL : PA_OK;
    for (int i = 0; rc == PA_OK && i < s.nin; i++) {
        dsarg ds;
        dsarg_parse(s.inargs[i], &ds, NULL, 0);
        rc = pa_h5_load(ctx, ds.file, ds.dataset, NULL, &in[i]);
    }
    if (!status && rc == PA_OK)
        rc = make(ctx, &s, in, &out);
    for (int i = 0; i < s.nin; i++)
        pa_array_free(&in[i]);
    if (!status && rc == 1)
        status = 1;
    else if (!status && rc == PA_OK)
        rc = pa_h5_save(out, s.out.file, s.out.dataset, &s.h5);
    if (!status && rc != PA_OK)
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg_inputs(ctx, "srcs", s.inargs, s.nin));
    pa_array_free(&out);
    free(in);
    free(s.inargs);
    free(s.cols);
    return opts_exit_status(status);
}

#define COMMON_SPECS                                                                             \
    {"out", 'o', OPT_VALUE, O_OUT},                                                              \
    {                                                                                            \
        "copy", 0, OPT_FLAG, O_COPY                                                              \
    }
#define NSPECS(specs) ((int)(sizeof specs / sizeof specs[0]))

static int run_slice(pa_ctx *ctx, int argc, char **argv)
{
    static const opt_spec specs[] = {
        COMMON_SPECS, {"rows", 0, OPT_VALUE, O_ROWS}, {"cols", 0, OPT_VALUE, O_COLS}};
    return run_kind(ctx, argc, argv, K_SLICE, "slice", slice_usage, specs, NSPECS(specs));
}

static int run_reshape(pa_ctx *ctx, int argc, char **argv)
{
    static const opt_spec specs[] = {COMMON_SPECS, {"shape", 0, OPT_VALUE, O_SHAPE}};
    return run_kind(ctx, argc, argv, K_RESHAPE, "reshape", reshape_usage, specs, NSPECS(specs));
}

static int run_transpose(pa_ctx *ctx, int argc, char **argv)
{
    static const opt_spec specs[] = {COMMON_SPECS};
    return run_kind(ctx, argc, argv, K_TRANSPOSE, "transpose", transpose_usage, specs,
                    NSPECS(specs));
}

static int run_concat(pa_ctx *ctx, int argc, char **argv)
{
    static const opt_spec specs[] = {COMMON_SPECS, {"axis", 0, OPT_VALUE, O_AXIS}};
    return run_kind(ctx, argc, argv, K_CONCAT, "concat", concat_usage, specs, NSPECS(specs));
}

const pa_cmd cmd_slice = {
    .name = "slice",
    .summary = "save rows (START:STOP:STEP) and columns of a dataset",
    .usage = slice_usage,
    .run = run_slice,
};
const pa_cmd cmd_reshape = {
    .name = "reshape",
    .summary = "save a dataset with a new shape (C order)",
    .usage = reshape_usage,
    .run = run_reshape,
};
const pa_cmd cmd_transpose = {
    .name = "transpose",
    .summary = "save the transpose of a 2-D dataset",
    .usage = transpose_usage,
    .run = run_transpose,
};
const pa_cmd cmd_concat = {
    .name = "concat",
    .summary = "save datasets joined along axis 0 or 1",
    .usage = concat_usage,
    .run = run_concat,
};
