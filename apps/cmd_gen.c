/* `parray gen`: writes a reproducible dataset to HDF5: random (uniform,
 * normal, integers or bool, from the counter-based generator, so the file is the
 * same whatever the rank count), a range, evenly spaced values, or a
 * constant. Each rank fills its own part; the save is parallel. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dsarg.h"
#include "num.h"
#include "opts.h"
#include "output.h"

static const char usage[] =
    "usage: [mpirun -n N] parray gen OUT.h5:/DATASET --shape D0[,D1...] [--dtype DT]\n"
    "           [--copy] [--json[=FILE]]\n"
    "           (--random uniform|normal|integers|bool [--seed S] [--stream K]\n"
    "                     [--low L] [--high H] [--mean M] [--std S] [--p P]\n"
    "            | --arange [--start A] [--step S] | --linspace A,B | --full V)\n"
    "\n"
    "Writes a dataset of the given shape and dtype (f64 by default; i64 for\n"
    "--random integers, bool for --random bool) to an HDF5 file, replacing the dataset if it "
    "exists\n"
    "(crash-safe: see --copy).\n"
    "\n"
    "  --random uniform   values in [low, high), default [0, 1)\n"
    "  --random normal    normal(mean, std), default (0, 1)\n"
    "  --random integers  integers in [low, high): --high is required, low is 0\n"
    "                     by default; for the integer dtypes (bounds within\n"
    "                     int64: u64 values up to 2^63-1)\n"
    "  --random bool      true with probability --p (default 0.5): element i is\n"
    "                     true where --random uniform's f64 value i is below P\n"
    "  --seed S, --stream K  the generator's key (Philox4x32-10; default seed 0,\n"
    "                     stream 0). Element i depends only on (S, K, i): the\n"
    "                     same file for any number of ranks.\n"
    "  --arange           start + i * step over the flat index i (default 0, 1)\n"
    "  --linspace A,B     size values from A to B inclusive (numpy.linspace)\n"
    "  --full V           every element V (inf, -inf and nan too, for f64 and f32)\n"
    "  --dtype DT        " CMD_DTYPES "\n"
    "  --copy             " CMD_COPY_HELP
    "  --json             print the result as one JSON object instead of the text:\n"
    "                     {\"file\", \"dataset\", \"dtype\", \"shape\": [D0, ...]}\n"
    "  --json=FILE        the text on stdout, and the JSON object into FILE\n"
    "\n"
    "Numbers are read as Python's float() reads them (subnormals exactly);\n"
    "counts, seeds and --random integers' bounds are whole numbers, read\n"
    "exactly; a value outside an option's range is an error, never wrapped.\n"
    "\n"
    "Example: mpirun -n 2 parray gen data.h5:/x --shape 10000,100 --random normal --seed 42\n";

typedef enum {
    G_NONE,
    G_UNIFORM,
    G_NORMAL,
    G_INTEGERS,
    G_BOOL,
    G_ARANGE,
    G_LINSPACE,
    G_FULL
} gen_kind;

/* What the command line asks for. */
typedef struct {
    const char *outarg, *shapearg;
    pa_dtype dtype;
    int have_dtype;
    gen_kind kind;
    int nkinds;
    uint64_t seed, stream;
    /* --low and --high are read once the kind is known: exact integers
     * for --random integers, reals otherwise. */
    const char *lowarg, *higharg;
    double low, high, mean, std, start, step, lin[2], full, p;
    int64_t ilow, ihigh;
    int have_mean, have_std, have_ar, have_p;
    pa_h5_opts h5;
    output out;
} gen_args;

/* What gen prints. */
typedef struct {
    const char *outarg;
    dsarg ds;
    pa_dtype dtype;
    int ndim;
    size_t shape[PA_MAXDIM];
} gen_result;

enum {
    O_SHAPE = 2,
    O_DTYPE,
    O_RANDOM,
    O_SEED,
    O_STREAM,
    O_LOW,
    O_HIGH,
    O_MEAN,
    O_STD,
    O_START,
    O_STEP,
    O_ARANGE,
    O_LINSPACE,
    O_FULL,
    O_COPY,
    O_JSON,
    O_P
};

static const opt_spec specs[] = {
    {"shape", 0, OPT_VALUE, O_SHAPE},
    {"dtype", 0, OPT_VALUE, O_DTYPE},
    {"random", 0, OPT_VALUE, O_RANDOM},
    {"seed", 0, OPT_VALUE, O_SEED},
    {"stream", 0, OPT_VALUE, O_STREAM},
    {"low", 0, OPT_VALUE, O_LOW},
    {"high", 0, OPT_VALUE, O_HIGH},
    {"mean", 0, OPT_VALUE, O_MEAN},
    {"std", 0, OPT_VALUE, O_STD},
    {"start", 0, OPT_VALUE, O_START},
    {"step", 0, OPT_VALUE, O_STEP},
    {"arange", 0, OPT_FLAG, O_ARANGE},
    {"linspace", 0, OPT_VALUE, O_LINSPACE},
    {"full", 0, OPT_VALUE, O_FULL},
    {"copy", 0, OPT_FLAG, O_COPY},
    {"json", 0, OPT_OPTIONAL, O_JSON},
    {"p", 0, OPT_VALUE, O_P},
};

/* One option of gen into g. Returns 0, or the exit status after a usage
 * error. */
static int take_option(pa_ctx *ctx, opts *p, int k, gen_args *g)
{
    switch (k) {
    case O_SHAPE: g->shapearg = p->value; return 0;
    case O_DTYPE: g->have_dtype = 1; return opts_dtype(p, &g->dtype);
    case O_RANDOM:
        g->kind = strcmp(p->value, "uniform") == 0    ? G_UNIFORM
                  : strcmp(p->value, "normal") == 0   ? G_NORMAL
                  : strcmp(p->value, "integers") == 0 ? G_INTEGERS
                  : strcmp(p->value, "bool") == 0     ? G_BOOL
                                                      : G_NONE;
        g->nkinds++;
        if (g->kind == G_NONE)
            return opts_fail(p, "--random '%s' is not uniform, normal, integers or bool",
                             p->value);
        return 0;
    case O_SEED: return opts_uint(p, 0, UINT64_MAX, &g->seed);
    case O_STREAM: return opts_uint(p, 0, UINT64_MAX, &g->stream);
    case O_LOW: g->lowarg = p->value; return 0;
    case O_HIGH: g->higharg = p->value; return 0;
    case O_MEAN: g->have_mean = 1; return opts_real(p, 1, &g->mean);
    case O_STD: g->have_std = 1; return opts_real(p, 1, &g->std);
    case O_P: g->have_p = 1; return opts_real(p, 1, &g->p);
    case O_START: g->have_ar = 1; return opts_real(p, 1, &g->start);
    case O_STEP: g->have_ar = 1; return opts_real(p, 1, &g->step);
    case O_ARANGE:
        g->kind = G_ARANGE;
        g->nkinds++;
        return 0;
    case O_LINSPACE:
        g->kind = G_LINSPACE;
        g->nkinds++;
        return opts_real_pair(p, 1, g->lin);
    case O_FULL:
        /* Any value, inf and nan too: the library checks it against the
         * dtype. */
        g->kind = G_FULL;
        g->nkinds++;
        return opts_real(p, 0, &g->full);
    case O_COPY: g->h5.copy = 1; return 0;
    case O_JSON: return output_option(&g->out, p);
    default:
        if (g->outarg)
            return cmd_usage(ctx, "gen", "one output only: '%s' is extra", p->value);
        g->outarg = p->value;
        return 0;
    }
}

/* The checks that need the whole command line. Returns 0 or 2. */
static int check_args(pa_ctx *ctx, gen_args *g, gen_result *r)
{
    const char *sub = "gen";
    char err[512];
    if (!g->outarg)
        return cmd_usage(ctx, sub, "needs the output OUT.h5:/DATASET");
    if (!g->shapearg)
        return cmd_usage(ctx, sub, "needs --shape (e.g. --shape 10000,100)");
    if (g->nkinds != 1)
        return cmd_usage(ctx, sub,
                         g->nkinds ? "give one of --random, --arange, --linspace, --full"
                                   : "needs one of --random, --arange, --linspace, --full");
    gen_kind kind = g->kind;
    if ((g->lowarg || g->higharg) && kind != G_UNIFORM && kind != G_INTEGERS)
        return cmd_usage(ctx, sub, "--low and --high go with --random uniform or integers");
    if ((g->have_mean || g->have_std) && kind != G_NORMAL)
        return cmd_usage(ctx, sub, "--mean and --std go with --random normal");
    if (g->have_p && kind != G_BOOL)
        return cmd_usage(ctx, sub, "--p goes with --random bool");
    if (g->have_ar && kind != G_ARANGE)
        return cmd_usage(ctx, sub, "--start and --step go with --arange");
    if (dsarg_parse(g->outarg, &r->ds, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    if (num_uint_list("--shape", g->shapearg, 0, SIZE_MAX, r->shape, PA_MAXDIM, &r->ndim, err,
                      sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    r->outarg = g->outarg;
    r->dtype = g->have_dtype        ? g->dtype
               : kind == G_INTEGERS ? PA_I64
               : kind == G_BOOL     ? PA_BOOL
                                    : PA_F64;
    if (kind == G_INTEGERS && !g->higharg)
        return cmd_usage(ctx, sub, "--random integers needs --high (values are in [low, high))");
    if (kind == G_INTEGERS) {
        if ((g->lowarg &&
             num_int("--low", g->lowarg, INT64_MIN, INT64_MAX, &g->ilow, err, sizeof err)) ||
            num_int("--high", g->higharg, INT64_MIN, INT64_MAX, &g->ihigh, err, sizeof err))
            return cmd_usage(ctx, sub, "%s", err);
    } else if ((g->lowarg && num_real("--low", g->lowarg, 1, &g->low, err, sizeof err)) ||
               (g->higharg && num_real("--high", g->higharg, 1, &g->high, err, sizeof err))) {
        return cmd_usage(ctx, sub, "%s", err);
    }
    return 0;
}

/* Collective. Fills a with what g asks for. */
static int fill(pa_array *a, const gen_args *g)
{
    switch (g->kind) {
    case G_UNIFORM: return pa_random_uniform(a, g->seed, g->stream, g->low, g->high);
    case G_NORMAL: return pa_random_normal(a, g->seed, g->stream, g->mean, g->std);
    case G_INTEGERS: return pa_random_integers(a, g->seed, g->stream, g->ilow, g->ihigh);
    case G_BOOL: return pa_random_bool(a, g->seed, g->stream, g->have_p ? g->p : 0.5);
    case G_ARANGE: return pa_arange(a, g->start, g->step);
    case G_LINSPACE: return pa_linspace(a, g->lin[0], g->lin[1], 1);
    case G_FULL: return pa_full(a, g->full);
    case G_NONE: break;
    }
    return PA_OK;
}

static void print_text(FILE *f, const void *arg)
{
    const gen_result *r = arg;
    char shape[PA_MAXDIM * 24];
    fprintf(f, "%s: %s %s\n", r->outarg, pa_dtype_name(r->dtype),
            output_shape(shape, sizeof shape, r->ndim, r->shape));
}

static void print_json(json_writer *w, const void *arg)
{
    const gen_result *r = arg;
    json_key(w, "file");
    json_string(w, r->ds.file);
    json_key(w, "dataset");
    json_string(w, r->ds.dataset);
    json_key(w, "dtype");
    json_string(w, pa_dtype_name(r->dtype));
    json_key(w, "shape");
    output_shape_json(w, r->ndim, r->shape);
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "gen";
    gen_args g = {.high = 1, .std = 1, .step = 1};
    gen_result r = {0};
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        if (k == OPTS_STOP)
            return p.status;
        int status = take_option(ctx, &p, k, &g);
        if (status)
            return status;
    }
    int status = check_args(ctx, &g, &r);
    if (status)
        return status;

    pa_array *a = NULL;
    int rc = pa_array_create(ctx, r.dtype, r.ndim, r.shape, PA_DISTRIBUTED, &a);
    if (rc == PA_OK)
        rc = fill(a, &g);
    if (rc == PA_OK)
        rc = pa_h5_save(a, r.ds.file, r.ds.dataset, &g.h5);
    pa_array_free(&a);
    if (rc != PA_OK)
        return cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    return output_write(ctx, sub, &g.out, print_text, print_json, &r);
}

const pa_cmd cmd_gen = {
    .name = "gen",
    .summary = "write a reproducible random, range or constant dataset to HDF5",
    .usage = usage,
    .run = run,
};
