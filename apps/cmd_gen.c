/* `parray gen`: writes a reproducible dataset to HDF5: random (uniform,
 * normal or integers, from the counter-based generator, so the file is the
 * same whatever the rank count), a range, evenly spaced values, or a
 * constant. Each rank fills its own part; the save is parallel. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dsarg.h"

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
    "  --full V           every element V\n"
    "  --dtype DT         f64, f32, i64, i32 or u8\n"
    "\n"
    "Example: mpirun -n 2 parray gen data.h5:/x --shape 10000,100 --random normal --seed 42\n";

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && *end == 0 && errno != ERANGE && isfinite(*v) ? 0 : -1;
}

static int parse_u64(const char *s, unsigned long long *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    *v = strtoull(s, &end, 10);
    return *end == 0 && errno != ERANGE ? 0 : -1;
}

typedef enum { G_NONE, G_UNIFORM, G_NORMAL, G_INTEGERS, G_ARANGE, G_LINSPACE, G_FULL } gen_kind;

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "gen", *outarg = NULL, *shapearg = NULL, *dtarg = NULL;
    gen_kind kind = G_NONE;
    int nkinds = 0;
    unsigned long long seed = 0, stream = 0;
    double low = NAN, high = NAN, mean = 0, std = 1, start = 0, step = 1, lina = 0, linb = 0,
           full = 0;
    int have_low = 0, have_high = 0, have_mean = 0, have_std = 0, have_ar = 0;
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
        if (parse_double(v, &(dst)) != 0)                                               \
            return cmd_usage(ctx, sub, "%s '%s' is not a finite number", a, v);         \
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
            if (parse_u64(v, a[3] == 'e' ? &seed : &stream) != 0)
                return cmd_usage(ctx, sub, "%s '%s' is not an integer in [0, 2^64)", a, v);
        } else if (strcmp(a, "--low") == 0) {
            NUM(low, have_low);
        } else if (strcmp(a, "--high") == 0) {
            NUM(high, have_high);
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
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            char *comma = strchr(buf, ',');
            if (!comma)
                return cmd_usage(ctx, sub, "--linspace '%s' is not A,B", v);
            *comma = 0;
            if (parse_double(buf, &lina) != 0 || parse_double(comma + 1, &linb) != 0)
                return cmd_usage(ctx, sub, "--linspace '%s': A and B must be finite numbers", v);
            kind = G_LINSPACE;
            nkinds++;
        } else if (strcmp(a, "--full") == 0) {
            int dummy;
            NUM(full, dummy);
            (void)dummy;
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
    if ((have_low || have_high) && kind != G_UNIFORM && kind != G_INTEGERS)
        return cmd_usage(ctx, sub, "--low and --high go with --random uniform or integers");
    if ((have_mean || have_std) && kind != G_NORMAL)
        return cmd_usage(ctx, sub, "--mean and --std go with --random normal");
    if (have_ar && kind != G_ARANGE)
        return cmd_usage(ctx, sub, "--start and --step go with --arange");

    dsarg d;
    char err[512];
    if (dsarg_parse(outarg, &d, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    size_t shape[PA_MAXDIM];
    int ndim = 0;
    for (const char *p = shapearg; *p;) {
        char *end;
        errno = 0;
        unsigned long long v = *p == '-' ? 0 : strtoull(p, &end, 10);
        if (*p == '-' || end == p || errno == ERANGE || (*end != ',' && *end != 0))
            return cmd_usage(ctx, sub, "--shape '%s' is not D0[,D1...] of whole numbers",
                             shapearg);
        if (ndim == PA_MAXDIM)
            return cmd_usage(ctx, sub, "--shape '%s' has more than %d dimensions", shapearg,
                             PA_MAXDIM);
        shape[ndim++] = (size_t)v;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p)
            return cmd_usage(ctx, sub, "--shape '%s' ends with ','", shapearg);
    }
    if (ndim == 0)
        return cmd_usage(ctx, sub, "--shape is empty");
    pa_dtype dt = kind == G_INTEGERS ? PA_I64 : PA_F64;
    if (dtarg && pa_dtype_parse(dtarg, &dt) != PA_OK)
        return cmd_usage(ctx, sub, "--dtype '%s' is not f64, f32, i64, i32 or u8", dtarg);
    if (kind == G_INTEGERS && !have_high)
        return cmd_usage(ctx, sub, "--random integers needs --high (values are in [low, high))");
    if (!have_low)
        low = 0;
    /* The int64 conversion below needs whole numbers in [-2^63, 2^63). */
    if (kind == G_INTEGERS && (low != trunc(low) || high != trunc(high) || low < -0x1p63 ||
                               low >= 0x1p63 || high < -0x1p63 || high >= 0x1p63))
        return cmd_usage(ctx, sub, "--low and --high must be whole numbers in the int64 range");

    pa_array *a = NULL;
    int rc = pa_array_create(ctx, dt, ndim, shape, PA_DISTRIBUTED, &a);
    if (rc == PA_OK) {
        switch (kind) {
        case G_UNIFORM:
            rc = pa_random_uniform(a, seed, stream, have_low ? low : 0.0, have_high ? high : 1.0);
            break;
        case G_NORMAL: rc = pa_random_normal(a, seed, stream, mean, std); break;
        case G_INTEGERS:
            rc = pa_random_integers(a, seed, stream, (int64_t)low, (int64_t)high);
            break;
        case G_ARANGE: rc = pa_arange(a, start, step); break;
        case G_LINSPACE: rc = pa_linspace(a, lina, linb, 1); break;
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
