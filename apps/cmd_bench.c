/* `parray bench`: parses the options, then runs the chosen experiments
 * (all registered ones by default) through the harness in bench.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmd.h"

#define DEFAULT_REPS 5
#define DEFAULT_WARMUP 2

static const char usage[] =
    "usage: [mpirun -n N] parray bench [EXPERIMENT...] [--bytes N] [--reps N]\n"
    "                                  [--warmup N] [--json FILE] [--list]\n"
    "\n"
    "Measures this machine's limits, the naive way and parray's way, on every\n"
    "rank of the job, and prints one row per figure: median, min and max over\n"
    "the repetitions, each repetition timed until the slowest rank is done, and\n"
    "ratios to reference figures. With no EXPERIMENT it runs them all:\n"
    "\n"
    "  limits   STREAM triad a=b+s*c (24 B/element) and a read-only sum\n"
    "           (8 B/element) over all ranks of each node, in GB/s per node;\n"
    "           --bytes is the node's total over 3 arrays (default 240 MB)\n"
    "  share    move --bytes (default 800 MB) of f64 from rank 0 to the other\n"
    "           ranks of its node, until each has summed it: MPI_Send/Recv,\n"
    "           MPI_Bcast, MPI_Get, a file, and parray's shared array;\n"
    "           needs 2 or more ranks on rank 0's node\n"
    "\n"
    "Options:\n"
    "  --bytes N    problem size in bytes: 800000000, 8e8, 800M, 800MB, 1GiB\n"
    "               (k M G T = 10^3.., KiB MiB GiB TiB = 2^10..)\n"
    "  --reps N     measured repetitions per figure (default 5)\n"
    "  --warmup N   unmeasured repetitions before them (default 2)\n"
    "  --json FILE  also write one JSON object per figure per line, with the\n"
    "               machine, the rank layout, the versions and the command line\n"
    "  --list       list the experiments and exit\n"
    "\n"
    "Example: mpirun -n 2 parray bench share --bytes 800M --json share.json\n";

/* A whole number in [min, max]. */
static int parse_int(const char *s, int min, int max, int *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static const bench_experiment *find_experiment(const char *name)
{
    for (int i = 0; i < bench_nexperiments; i++)
        if (strcmp(bench_experiments[i]->name, name) == 0)
            return bench_experiments[i];
    return NULL;
}

/* Takes an option's value from "--opt=VALUE" or from the next argument. */
static const char *option_value(int argc, char **argv, int *i, const char *opt)
{
    size_t len = strlen(opt);
    if (strncmp(argv[*i], opt, len) == 0 && argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (strcmp(argv[*i], opt) == 0) {
        if (*i + 1 >= argc)
            return NULL;
        return argv[++*i];
    }
    return NULL;
}

static int is_option(const char *arg, const char *opt)
{
    size_t len = strlen(opt);
    return strncmp(arg, opt, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "bench";
    bench_opts opts = {.bytes = 0, .reps = DEFAULT_REPS, .warmup = DEFAULT_WARMUP, .json = NULL};
    const bench_experiment **chosen = calloc((size_t)bench_nexperiments, sizeof *chosen);
    int nchosen = 0, list = 0, status = 0;
    int ok = chosen != NULL, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, pa_ctx_comm(ctx));
    if (!all) {
        free(chosen);
        return cmd_fail(ctx, sub, "out of memory");
    }

    /* Parsing depends only on argv, which is the same on every rank, so
     * every rank reaches the same verdict without talking. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (is_option(a, "--bytes")) {
            v = option_value(argc, argv, &i, "--bytes");
            if (!v) {
                status = cmd_usage(ctx, sub, "--bytes needs a value");
                goto out;
            }
            if (bench_parse_size(v, &opts.bytes) != 0) {
                status = cmd_usage(ctx, sub,
                                   "--bytes '%s' is not a size (e.g. 800000000, 8e8, 800M, 1GiB)",
                                   v);
                goto out;
            }
        } else if (is_option(a, "--reps")) {
            v = option_value(argc, argv, &i, "--reps");
            if (!v) {
                status = cmd_usage(ctx, sub, "--reps needs a value");
                goto out;
            }
            if (parse_int(v, 1, 1000000, &opts.reps) != 0) {
                status = cmd_usage(ctx, sub,
                                   "--reps '%s' is not a whole number from 1 to 1000000", v);
                goto out;
            }
        } else if (is_option(a, "--warmup")) {
            v = option_value(argc, argv, &i, "--warmup");
            if (!v) {
                status = cmd_usage(ctx, sub, "--warmup needs a value");
                goto out;
            }
            if (parse_int(v, 0, 1000000, &opts.warmup) != 0) {
                status = cmd_usage(ctx, sub,
                                   "--warmup '%s' is not a whole number from 0 to 1000000",
                                   v);
                goto out;
            }
        } else if (is_option(a, "--json")) {
            v = option_value(argc, argv, &i, "--json");
            if (!v || !*v) {
                status = cmd_usage(ctx, sub, "--json needs a file name");
                goto out;
            }
            opts.json = v;
        } else if (strcmp(a, "--list") == 0) {
            list = 1;
        } else if (a[0] == '-') {
            status = cmd_usage(ctx, sub, "unknown option '%s'", a);
            goto out;
        } else {
            const bench_experiment *e = find_experiment(a);
            if (!e) {
                char names[256] = "";
                size_t len = 0;
                for (int k = 0; k < bench_nexperiments && len < sizeof names; k++)
                    len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                            k ? ", " : "", bench_experiments[k]->name);
                status = cmd_usage(ctx, sub, "unknown experiment '%s' (experiments: %s)", a,
                                   names);
                goto out;
            }
            int seen = 0;
            for (int k = 0; k < nchosen; k++)
                seen |= chosen[k] == e;
            if (!seen)
                chosen[nchosen++] = e;
        }
    }

    if (list) {
        if (pa_ctx_rank(ctx) == 0)
            for (int k = 0; k < bench_nexperiments; k++)
                printf("%-10s %s\n", bench_experiments[k]->name,
                       bench_experiments[k]->description);
        goto out;
    }
    if (nchosen == 0)
        for (int k = 0; k < bench_nexperiments; k++)
            chosen[nchosen++] = bench_experiments[k];

    bench *b = NULL;
    if (bench_create(ctx, &opts, argc, argv, &b) != 0) {
        status = cmd_fail(ctx, sub, "%s", bench_errmsg(NULL));
        goto out;
    }
    bench_print_header(b);
    for (int k = 0; k < nchosen; k++)
        if (bench_run(b, chosen[k]) != 0) {
            status = cmd_fail(ctx, sub, "%s", bench_errmsg(b));
            break;
        }
    if (status == 0 && opts.json && pa_ctx_rank(ctx) == 0)
        fprintf(stderr, "parray: bench: wrote %s\n", opts.json);
    bench_free(&b);

out:
    free(chosen);
    return status;
}

const pa_cmd cmd_bench = {
    .name = "bench",
    .summary = "measure the machine's limits, the naive way and parray's way",
    .usage = usage,
    .run = run,
};
