/* `parray bench`: parses the options, then runs the chosen experiments
 * (all registered ones by default) through the harness in bench.c, and
 * with --compare sets the figures against an earlier run's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmd.h"
#include "num.h"

static const char usage[] =
    "usage: [mpirun -n N] parray bench [EXPERIMENT...] [--quick] [--bytes N] [--size N]\n"
    "                                  [--n LIST] [--cold] [--reps N] [--warmup N]\n"
    "                                  [--json FILE] [--compare OLD.json]\n"
    "                                  [--threshold PCT] [--list]\n"
    "\n"
    "Measures, on every rank of the job, this machine's limit, the naive way and\n"
    "parray's way for each of parray's five concerns, and prints one row per\n"
    "figure: median, min and max over the repetitions (each timed until the\n"
    "slowest rank is done), the unit, and the speed relative to the limit\n"
    "(\"vs limit\", 1 = at the limit) and to the naive way (\"vs naive\", 2 = twice\n"
    "as fast), and the figure's target, met or not met (\"at limit\": within 5%\n"
    "of this machine's limit). Notes under each experiment give the setting and\n"
    "name the figures at the physical limit. The load average and the CPU time\n"
    "of other processes and of the hypervisor (steal) are read before and after\n"
    "each experiment; one that ran while the machine was busy is flagged BUSY.\n"
    "With no EXPERIMENT it runs all five, after the limits they need:\n"
    "\n"
    "  limits       STREAM triad a=b+s*c (24 B/element) and a read-only sum over\n"
    "               all ranks of each node, GB/s per node; 3 arrays per node,\n"
    "               together 4x the last-level cache (at least 240 MB), or 3\n"
    "               arrays of --size f64 (init and elementwise measure them\n"
    "               when needed)\n"
    "  share        (concern 5) move --bytes (default 800 MB) of f64 from rank 0\n"
    "               to the other ranks of its node, until each has summed it:\n"
    "               MPI_Send/Recv, MPI_Bcast, MPI_Get, a file, and parray's\n"
    "               shared array (zero copy); the limit is a receiver summing an\n"
    "               array of its own; needs 2 or more ranks on rank 0's node\n"
    "  io           (concern 1) save and load --bytes (default 1 GiB) of f64 as\n"
    "               one file: raw POSIX pwrite/pread by every rank (the limit),\n"
    "               parray's parallel HDF5 (collective, independent, chunked,\n"
    "               deflate, durable; reads of parray's and h5py's chunks, the\n"
    "               deflate read by all ranks vs one rank vs serial HDF5), the\n"
    "               naive gather to rank 0; then many files (up to 1000 .npy of\n"
    "               100 KB saved and loaded, one rank and all ranks paired;\n"
    "               saves also durable) and CSV parsing (parray's parallel\n"
    "               exact parser vs strtod)\n"
    "  blas         (concern 2) n x n dgemm for each n of --n (default 2048,4096):\n"
    "               one process on all cores (the limit), the naive MPI ways\n"
    "               (launcher binding; peers spinning in MPI_Barrier), parray\n"
    "               split and lend; GFLOP/s\n"
    "  init         (concern 3) fill, uniform, normal and sum of --size f64 per\n"
    "               node (default 5e7): naive 1-rank loops vs parray on all\n"
    "               ranks vs streaming fill, triad and read\n"
    "  elementwise  (concern 4) z = a*b + c, sqrt(x*x + y*y) and sum over arrays\n"
    "               of --size f64 per node (default 1e8): naive 1-rank loop,\n"
    "               parray ops, pa_eval (fused), against the triad and read\n"
    "\n"
    "Options:\n"
    "  --quick          about a minute on 2 cores: share 80 MB, io 100 MiB,\n"
    "                   blas n=1024, init and elementwise 1e7 elements, 3 reps\n"
    "                   after 1 warm-up (the options below still override)\n"
    "  --bytes N        share and io size in bytes: 800000000, 8e8, 800M, 800MB,\n"
    "                   1GiB (k M G T = 10^3.., KiB MiB GiB TiB = 2^10..)\n"
    "  --size N         init and elementwise: f64 elements per array per node,\n"
    "                   e.g. 1e8 or 100M\n"
    "  --n LIST         blas matrix orders, comma-separated, e.g. 2048,4096\n"
    "                   (1..46340, at most 8)\n"
    "  --cold           io: drop the page cache before each read (root only)\n"
    "  --reps N         measured repetitions per figure (default 5)\n"
    "  --warmup N       unmeasured repetitions before them (default 2)\n"
    "  --json FILE      also write one JSON object per figure per line, with the\n"
    "                   machine, the rank layout, the versions and the command\n"
    "                   line (scripts/plot-bench draws it)\n"
    "  --compare OLD    after the run, each figure against the same figure\n"
    "                   (experiment, method, size, rank count) of an earlier\n"
    "                   --json file: old and new median, min..max and the change;\n"
    "                   a change worse than the threshold whose min..max ranges do\n"
    "                   not overlap is flagged REGRESSION (overlapping: noise)\n"
    "  --threshold PCT  the regression threshold in percent (default 10)\n"
    "  --list           list the experiments and exit\n"
    "\n"
    "Environment: PARRAY_BENCH_DIR, else TMPDIR, else /tmp: where io writes.\n"
    "PARRAY_BENCH_PROC (a test hook): a directory read instead of /proc for\n"
    "loadavg and stat.\n"
    "\n"
    "Examples:\n"
    "  mpirun -n 2 parray bench --quick --json bench.json\n"
    "  mpirun -n 2 parray bench share --bytes 800M\n"
    "  mpirun -n 2 parray bench elementwise --size 1e8\n"
    "  mpirun -n 2 parray bench blas --n 2048,4096 --compare bench.json\n";

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
    bench_opts opts = {.reps = -1, .warmup = -1, .threshold = 10.0};
    const bench_experiment **chosen = calloc((size_t)bench_nexperiments, sizeof *chosen);
    int nchosen = 0, list = 0, status = 0;
    char err[256];
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
#define VALUE(opt)                                                        \
    do {                                                                  \
        v = option_value(argc, argv, &i, opt);                            \
        if (!v || !*v) {                                                  \
            status = cmd_usage(ctx, sub, "%s needs a value", opt);        \
            goto out;                                                     \
        }                                                                 \
    } while (0)
#define USAGE()                                                           \
    do {                                                                  \
        status = cmd_usage(ctx, sub, "%s", err);                          \
        goto out;                                                         \
    } while (0)
        if (is_option(a, "--bytes") || is_option(a, "--size")) {
            int bytes = is_option(a, "--bytes");
            const char *opt = bytes ? "--bytes" : "--size";
            uint64_t n;
            VALUE(opt);
            if (num_size(opt, v, 1, (uint64_t)1 << 62, &n, err, sizeof err) != 0)
                USAGE();
            *(bytes ? &opts.bytes : &opts.size) = (size_t)n;
        } else if (is_option(a, "--n")) {
            VALUE("--n");
            if (num_uint_list("--n", v, 1, 46340, opts.n, BENCH_MAX_N, &opts.nn, err,
                              sizeof err) != 0)
                USAGE();
        } else if (is_option(a, "--reps") || is_option(a, "--warmup")) {
            int reps = is_option(a, "--reps");
            const char *opt = reps ? "--reps" : "--warmup";
            uint64_t n;
            VALUE(opt);
            if (num_uint(opt, v, reps ? 1 : 0, 1000000, &n, err, sizeof err) != 0)
                USAGE();
            *(reps ? &opts.reps : &opts.warmup) = (int)n;
        } else if (is_option(a, "--json")) {
            VALUE("--json");
            opts.json = v;
        } else if (is_option(a, "--compare")) {
            VALUE("--compare");
            opts.compare = v;
        } else if (is_option(a, "--threshold")) {
            VALUE("--threshold");
            if (num_real("--threshold", v, 1, &opts.threshold, err, sizeof err) != 0)
                USAGE();
            if (!(opts.threshold >= 0 && opts.threshold <= 1e6)) {
                status = cmd_usage(ctx, sub, "--threshold: %s is out of range [0, 1e6] (a "
                                   "percentage)", v);
                goto out;
            }
        } else if (strcmp(a, "--quick") == 0) {
            opts.quick = 1;
        } else if (strcmp(a, "--cold") == 0) {
            opts.cold = 1;
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
#undef USAGE
#undef VALUE
    }
    if (opts.json && opts.compare && strcmp(opts.json, opts.compare) == 0) {
        status = cmd_usage(ctx, sub,
                           "--json and --compare name the same file '%s': the new run would "
                           "overwrite the one to compare with",
                           opts.json);
        goto out;
    }
    if (opts.reps < 0)
        opts.reps = opts.quick ? BENCH_REPS_QUICK : BENCH_REPS;
    if (opts.warmup < 0)
        opts.warmup = opts.quick ? BENCH_WARMUP_QUICK : BENCH_WARMUP;

    if (list) {
        if (pa_ctx_rank(ctx) == 0)
            for (int k = 0; k < bench_nexperiments; k++)
                printf("%-12s %s\n", bench_experiments[k]->name,
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
    bench_print_header(b, chosen, nchosen);
    for (int k = 0; k < nchosen; k++)
        if (bench_run(b, chosen[k]) != 0) {
            status = cmd_fail(ctx, sub, "%s", bench_errmsg(b));
            break;
        }
    if (status == 0) {
        bench_print_load(b);
        bench_compare(b);
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
