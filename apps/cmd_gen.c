/* `parray gen`: writes a reproducible dataset to HDF5: random (uniform,
 * normal or integers, from the counter-based generator, so the file is the
 * same whatever the rank count), a range, evenly spaced values, or a
 * constant. Each rank fills its own part; the save is parallel. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dsarg.h"
#include "num.h"

static const char usage[] =
    "usage: [mpirun -n N] parray gen OUT.h5:/DATASET --shape D0[,D1...] [--dtype DT]\n"
    "           (--random uniform|normal|integers [--seed S] [--stream K]\n"
    "                     [--low L] [--high H] [--mean M] [--std S]\n"
    "            | --arange [--start A] [--step S] | --linspace A,B | --full V)\n"
    "\n"
    "Writes a dataset of the given shape and dtype (f64 by default; i64 for\n"
    "--random integers) to an HDF5 file, replacing the dataset if it exists\n"
    "(crash-safe: the file is replaced only when complete).\n"
    "\n"
    "  --random uniform   values in [low, high), default [0, 1)\n"
    "  --random normal    normal(mean, std), default (0, 1)\n"
    "  --random integers  integers in [low, high): --high is required, low is 0\n"
    "                     by default; for i64, i32 or u8\n"
    "  --seed S, --stream K  the generator's key (Philox4x32-10; default seed 0,\n"
    "                     stream 0). Element i depends only on (S, K, i): the\n"
    "                     same file for any number of ranks.\n"
    "  --arange           start + i * step over the flat index i (default 0, 1)\n"
    "  --linspace A,B     size values from A to B inclusive (numpy.linspace)\n"
    "  --full V           every element V (inf, -inf and nan too, for f64 and f32)\n"
    "  --dtype DT        " CMD_DTYPES "\n"
    "\n"
    "Numbers are read as Python's float() reads them (subnormals exactly);\n"
    "counts, seeds and --random integers' bounds are whole numbers, read\n"
    "exactly; a value outside an option's range is an error, never wrapped.\n"
    "\n"
    "Example: mpirun -n 2 parray gen data.h5:/x --shape 10000,100 --random normal --seed 42\n";

typedef enum { G_NONE, G_UNIFORM, G_NORMAL, G_INTEGERS, G_ARANGE, G_LINSPACE, G_FULL } gen_kind;

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "gen", *outarg = NULL, *shapearg = NULL, *dtarg = NULL;
    gen_kind kind = G_NONE;
    int nkinds = 0;
    uint64_t seed = 0, stream = 0;
    /* --low and --high are read once the kind is known: exact integers
     * for --random integers, reals otherwise. */
    const char *lowarg = NULL, *higharg = NULL;
    double low = 0, high = 1, mean = 0, std = 1, start = 0, step = 1, lin[2] = {0, 0}, full = 0;
    int have_mean = 0, have_std = 0, have_ar = 0;
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                                         \
    do {                                                                                \
        if (!v)                                                                         \
            return cmd_usage(ctx, sub, "%s needs a value", a);                          \
        i++;                                                                            \
    } while (0)
#define NUM(dst, flag)                                                                  \
    do {                                                                                \
        NEEDV();                                                                        \
        if (num_real(a, v, 1, &(dst), err, sizeof err) != 0)                            \
            return cmd_usage(ctx, sub, "%s", err);                                      \
        flag = 1;                                                                       \
    } while (0)
        if (strcmp(a, "--shape") == 0) {
            NEEDV();
            shapearg = v;
        } else if (strcmp(a, "--dtype") == 0) {
            NEEDV();
            dtarg = v;
        } else if (strcmp(a, "--random") == 0) {
            NEEDV();
            kind = strcmp(v, "uniform") == 0    ? G_UNIFORM
                   : strcmp(v, "normal") == 0   ? G_NORMAL
                   : strcmp(v, "integers") == 0 ? G_INTEGERS
                                                : G_NONE;
            if (kind == G_NONE)
                return cmd_usage(ctx, sub, "--random '%s' is not uniform, normal or integers", v);
            nkinds++;
        } else if (strcmp(a, "--seed") == 0 || strcmp(a, "--stream") == 0) {
            NEEDV();
            if (num_uint(a, v, 0, UINT64_MAX, a[3] == 'e' ? &seed : &stream, err, sizeof err))
                return cmd_usage(ctx, sub, "%s", err);
        } else if (strcmp(a, "--low") == 0 || strcmp(a, "--high") == 0) {
            NEEDV();
            *(a[2] == 'l' ? &lowarg : &higharg) = v;
        } else if (strcmp(a, "--mean") == 0) {
            NUM(mean, have_mean);
        } else if (strcmp(a, "--std") == 0) {
            NUM(std, have_std);
        } else if (strcmp(a, "--start") == 0) {
            NUM(start, have_ar);
        } else if (strcmp(a, "--step") == 0) {
            NUM(step, have_ar);
        } else if (strcmp(a, "--arange") == 0) {
            kind = G_ARANGE;
            nkinds++;
        } else if (strcmp(a, "--linspace") == 0) {
            NEEDV();
            if (num_real_pair(a, v, 1, lin, err, sizeof err) != 0)
                return cmd_usage(ctx, sub, "%s", err);
            kind = G_LINSPACE;
            nkinds++;
        } else if (strcmp(a, "--full") == 0) {
            /* Any value, inf and nan too: the library checks it against
             * the dtype. */
            NEEDV();
            if (num_real(a, v, 0, &full, err, sizeof err) != 0)
                return cmd_usage(ctx, sub, "%s", err);
            kind = G_FULL;
            nkinds++;
        } else if (a[0] == '-' && a[1] != 0) {
            return cmd_usage(ctx, sub, "unknown option '%s'", a);
        } else if (!outarg) {
            outarg = a;
        } else {
            return cmd_usage(ctx, sub, "one output only: '%s' is extra", a);
        }
#undef NUM
#undef NEEDV
    }
    if (!outarg)
        return cmd_usage(ctx, sub, "needs the output OUT.h5:/DATASET");
    if (!shapearg)
        return cmd_usage(ctx, sub, "needs --shape (e.g. --shape 10000,100)");
    if (nkinds != 1)
        return cmd_usage(ctx, sub,
                         nkinds ? "give one of --random, --arange, --linspace, --full"
                                : "needs one of --random, --arange, --linspace, --full");
    if ((lowarg || higharg) && kind != G_UNIFORM && kind != G_INTEGERS)
        return cmd_usage(ctx, sub, "--low and --high go with --random uniform or integers");
    if ((have_mean || have_std) && kind != G_NORMAL)
        return cmd_usage(ctx, sub, "--mean and --std go with --random normal");
    if (have_ar && kind != G_ARANGE)
        return cmd_usage(ctx, sub, "--start and --step go with --arange");

    dsarg d;
    if (dsarg_parse(outarg, &d, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    size_t shape[PA_MAXDIM];
    int ndim = 0;
    if (num_uint_list("--shape", shapearg, 0, SIZE_MAX, shape, PA_MAXDIM, &ndim, err,
                      sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    pa_dtype dt = kind == G_INTEGERS ? PA_I64 : PA_F64;
    if (dtarg && pa_dtype_parse(dtarg, &dt) != PA_OK)
        return cmd_usage(ctx, sub, "--dtype '%s' is not one of" CMD_DTYPES, dtarg);
    if (kind == G_INTEGERS && !higharg)
        return cmd_usage(ctx, sub, "--random integers needs --high (values are in [low, high))");
    int64_t ilow = 0, ihigh = 0;
    if (kind == G_INTEGERS) {
        if ((lowarg && num_int("--low", lowarg, INT64_MIN, INT64_MAX, &ilow, err, sizeof err)) ||
            num_int("--high", higharg, INT64_MIN, INT64_MAX, &ihigh, err, sizeof err))
            return cmd_usage(ctx, sub, "%s", err);
    } else if ((lowarg && num_real("--low", lowarg, 1, &low, err, sizeof err)) ||
               (higharg && num_real("--high", higharg, 1, &high, err, sizeof err))) {
        return cmd_usage(ctx, sub, "%s", err);
    }

    pa_array *a = NULL;
    int rc = pa_array_create(ctx, dt, ndim, shape, PA_DISTRIBUTED, &a);
    if (rc == PA_OK) {
        switch (kind) {
        case G_UNIFORM: rc = pa_random_uniform(a, seed, stream, low, high); break;
        case G_NORMAL: rc = pa_random_normal(a, seed, stream, mean, std); break;
        case G_INTEGERS:
            rc = pa_random_integers(a, seed, stream, ilow, ihigh);
            break;
        case G_ARANGE: rc = pa_arange(a, start, step); break;
        case G_LINSPACE: rc = pa_linspace(a, lin[0], lin[1], 1); break;
        case G_FULL: rc = pa_full(a, full); break;
        case G_NONE: break;
        }
    }
    if (rc == PA_OK)
        rc = pa_h5_save(a, d.file, d.dataset, NULL);
    int status = rc == PA_OK ? 0 : cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
    if (status == 0 && pa_ctx_rank(ctx) == 0) {
        printf("%s: %s (", outarg, pa_dtype_name(dt));
        for (int k = 0; k < ndim; k++)
            printf(k ? ",%zu" : "%zu", shape[k]);
        printf("%s)\n", ndim == 1 ? "," : "");
    }
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_gen = {
    .name = "gen",
    .summary = "write a reproducible random, range or constant dataset to HDF5",
    .usage = usage,
    .run = run,
};
