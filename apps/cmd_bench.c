/* `parray bench`: parses the options, then runs the chosen experiments
 * (all registered ones by default) through the harness in bench.c, and
 * with --compare sets the figures against an earlier run's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agree.h"
#include "bench/bench.h"
#include "cmd.h"
#include "opts.h"

static const char usage[] =
    "usage: [mpirun -n N] parray bench [EXPERIMENT...] [--quick] [--bytes N] [--size N]\n"
    "                                  [--csv-bytes N] [--n LIST] [--cold] [--reps N]\n"
    "                                  [--warmup N]\n"
    "                                  [--json[=FILE]] [--compare OLD.json]\n"
    "                                  [--threshold PCT] [--list]\n"
    "\n"
    "Measures, on every rank of the job, this machine's limit, the naive way and\n"
    "parray's way for each of parray's five concerns, and the time per call of\n"
    "parray's calls on small arrays. It prints one row per figure: median, min\n"
    "and max over the repetitions (each timed until the slowest rank is done),\n"
    "the unit, and the speed relative to the limit\n"
    "(\"vs limit\", 1 = at the limit) and to the naive way (\"vs naive\", 2 = twice\n"
    "as fast), and the figure's target, met or not met (\"at limit\": within 5%\n"
    "of this machine's limit). Notes under each experiment give the setting and\n"
    "name the figures at the physical limit. The load average and the CPU time\n"
    "of other processes and of the hypervisor (steal) are read before and after\n"
    "each experiment; one that ran while the machine was busy is flagged BUSY.\n"
    "With no EXPERIMENT it runs all ten, after the limits they need:\n"
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
    "               deflate, durable; reads of parray's and h5py's chunks, an\n"
    "               h5py-style gzip+shuffle file of signal data read by all\n"
    "               ranks vs one rank vs serial HDF5), the\n"
    "               naive gather to rank 0; then many files (up to 1000 .npy of\n"
    "               100 KB saved and loaded, one rank and all ranks paired;\n"
    "               saves also durable), CSV parsing (parray's parallel\n"
    "               exact parser vs strtod) and the import of that CSV into\n"
    "               HDF5 (parray import: one rank and all ranks paired)\n"
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
    "  latency      time per call (us) of pa_eval and pa_expr_eval (z = a*b + c),\n"
    "               pa_binary, pa_reduce sum, pa_h5_save and pa_h5_load on\n"
    "               arrays of 1,000 elements and of --size (default 1e5):\n"
    "               a loop of calls per repetition; target <= 10 us per\n"
    "               compute call on 1,000 elements (set for 2 ranks)\n"
    "  dtypes       z = a + b (pa_binary), z = a*b + c (pa_eval) and sum on f32,\n"
    "               i16, u8 and c128 beside f64 (and z = a / b on the float and\n"
    "               complex ones, z = sin(a) on the float ones), and astype\n"
    "               between pairs of dtypes; every array holds --size f64's\n"
    "               worth of bytes per node (default 2e7): each timed beside\n"
    "               the triad (the sums beside the read-only sum) in every\n"
    "               repetition, pa_eval also beside a streaming z = x*y + w\n"
    "  order        cumsum of --size f64 per node (default 1e8) beside the\n"
    "               triad on the same arrays; target >= 0.8x the triad. Then\n"
    "               pa_sort of --size random f64 in all (default 1e7) vs one\n"
    "               process's qsort, the exact pa_median vs the sort, and the\n"
    "               peak memory of pa_sort, pa_argsort and pa_median\n"
    "  redist       transpose, reshape and replication of --size f64 per node\n"
    "               (default 2^24) beside MPI_Alltoallv of the same bytes, and\n"
    "               the peak extra memory; target >= 0.8x the alltoallv\n"
    "  broadcast    z = (x - mu) / sigma on a (--size, 10) f64 array (default\n"
    "               1e7 rows per node) with mu and sigma (10,) rows, and with\n"
    "               full-size mu and sigma; target >= 0.9x the triad\n"
    "  axes         mean over axis 0 and sum over axis 1 (pa_reduce_axes) of a\n"
    "               (--size, 10) f64 array (default 1e7 rows): targets >= 0.9x\n"
    "               and >= 0.8x the read limit\n"
    "\n"
    "Options:\n"
    "  --quick          about a minute on 2 cores: share 80 MB, io 100 MiB,\n"
    "                   blas n=1024, init, elementwise and order 1e7 elements\n"
    "                   (order's sort 1e6), 3 reps\n"
    "                   after 1 warm-up (the options below still override)\n"
    "  --bytes N        share and io size in bytes: 800000000, 8e8, 800M, 800MB,\n"
    "                   1GiB (k M G T = 10^3.., KiB MiB GiB TiB = 2^10..)\n"
    "  --size N         init, elementwise, order: f64 elements per array per node,\n"
    "                   e.g. 1e8 or 100M (order's sort: in all); latency: its\n"
    "                   second array size; dtypes: f64 elements' worth of bytes\n"
    "                   per array; redist: f64 elements per node;\n"
    "                   broadcast and axes: rows of 10 f64 per node\n"
    "  --csv-bytes N    io: the CSV file's size, e.g. 1G (default about 50 MB at\n"
    "                   io's default 1 GiB, in proportion to a smaller --bytes)\n"
    "  --n LIST         blas matrix orders, comma-separated, e.g. 2048,4096\n"
    "                   (1..46340, at most 8)\n"
    "  --cold           io: drop the page cache before each read (root only)\n"
    "  --reps N         measured repetitions per figure (default 5)\n"
    "  --warmup N       unmeasured repetitions before them (default 2)\n"
    "  --json           one JSON object per figure per line on stdout, with the\n"
    "                   machine, the rank layout, the versions and the command\n"
    "                   line (scripts/plot-bench draws it; fields: docs/bench.md);\n"
    "                   the table then goes to stderr\n"
    "  --json=FILE      the table on stdout, and the JSON lines into FILE\n"
    "                   (also written --json FILE, FILE not an experiment's name)\n"
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
    "  mpirun -n 2 parray bench --quick --json=bench.json\n"
    "  mpirun -n 2 parray bench share --bytes 800M\n"
    "  mpirun -n 2 parray bench elementwise --size 1e8\n"
    "  mpirun -n 2 parray bench latency --json=latency.json\n"
    "  mpirun -n 2 parray bench blas --n 2048,4096 --compare bench.json\n";

static const bench_experiment *find_experiment(const char *name)
{
    for (int i = 0; i < bench_nexperiments; i++)
        if (strcmp(bench_experiments[i]->name, name) == 0)
            return bench_experiments[i];
    return NULL;
}

enum {
    O_QUICK = 2,
    O_BYTES,
    O_SIZE,
    O_N,
    O_COLD,
    O_REPS,
    O_WARMUP,
    O_JSON,
    O_COMPARE,
    O_THRESHOLD,
    O_LIST,
    O_CSV_BYTES
};

static const opt_spec specs[] = {
    {"quick", 0, OPT_FLAG, O_QUICK},      {"bytes", 0, OPT_VALUE, O_BYTES},
    {"size", 0, OPT_VALUE, O_SIZE},       {"n", 0, OPT_VALUE, O_N},
    {"cold", 0, OPT_FLAG, O_COLD},        {"reps", 0, OPT_VALUE, O_REPS},
    {"warmup", 0, OPT_VALUE, O_WARMUP},   {"json", 0, OPT_OPTIONAL, O_JSON},
    {"compare", 0, OPT_VALUE, O_COMPARE}, {"threshold", 0, OPT_VALUE, O_THRESHOLD},
    {"list", 0, OPT_FLAG, O_LIST},        {"csv-bytes", 0, OPT_VALUE, O_CSV_BYTES},
};

/* An experiment named on the command line, added to chosen once.
 * Returns 0 or 2. */
static int choose(pa_ctx *ctx, const char *name, const bench_experiment **chosen, int *nchosen)
{
    const bench_experiment *e = find_experiment(name);
    if (!e) {
        char names[256] = "";
        size_t len = 0;
        for (int k = 0; k < bench_nexperiments && len < sizeof names; k++)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", k ? ", " : "",
                                    bench_experiments[k]->name);
        return cmd_usage(ctx, "bench", "unknown experiment '%s' (experiments: %s)", name, names);
    }
    for (int k = 0; k < *nchosen; k++)
        if (chosen[k] == e)
            return 0;
    chosen[(*nchosen)++] = e;
    return 0;
}

/* --json: alone, the JSON lines on stdout; --json=FILE into FILE; and, as
 * bench has always read it, --json FILE when FILE is not an experiment's
 * name. */
static void take_json(opts *p, bench_opts *o)
{
    const char *next = opts_peek(p);
    o->json = p->value;
    if (!o->json && next && !find_experiment(next)) {
        o->json = next;
        opts_take(p);
    }
    o->json_stdout = o->json == NULL;
}

/* One option into o (list: --list). Returns 0 or 2. */
static int take_option(opts *p, int k, bench_opts *o, int *list)
{
    uint64_t n;
    switch (k) {
    case O_QUICK: o->quick = 1; return 0;
    case O_COLD: o->cold = 1; return 0;
    case O_LIST: *list = 1; return 0;
    case O_BYTES:
    case O_SIZE:
        if (opts_size(p, 1, (uint64_t)1 << 62, &n))
            return 2;
        *(k == O_BYTES ? &o->bytes : &o->size) = (size_t)n;
        return 0;
    case O_CSV_BYTES:
        if (opts_size(p, 1000, (uint64_t)1 << 40, &n))
            return 2;
        o->csv_bytes = (size_t)n;
        return 0;
    case O_N: return opts_uint_list(p, 1, 46340, o->n, BENCH_MAX_N, &o->nn);
    case O_REPS:
    case O_WARMUP:
        if (opts_uint(p, k == O_REPS ? 1 : 0, 1000000, &n))
            return 2;
        *(k == O_REPS ? &o->reps : &o->warmup) = (int)n;
        return 0;
    case O_JSON:
        if (p->value && !*p->value)
            return opts_fail(p, "--json=FILE: the file name is empty (--json alone writes to "
                                "stdout)");
        take_json(p, o);
        return 0;
    case O_COMPARE: o->compare = p->value; return 0;
    case O_THRESHOLD:
        if (opts_real(p, 1, &o->threshold))
            return 2;
        if (!(o->threshold >= 0 && o->threshold <= 1e6))
            return opts_fail(p, "--threshold: %s is out of range [0, 1e6] (a percentage)",
                             p->value);
        return 0;
    }
    return 0;
}

/* Rank 0, with --json alone: the JSON lines get the program's stdout to
 * themselves, and the table (printed with printf all through the bench)
 * goes to stderr. Returns the JSON lines' stream, or NULL. */
static FILE *table_to_stderr(void)
{
    fflush(stdout);
    int fd = dup(STDOUT_FILENO);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    dup2(STDERR_FILENO, STDOUT_FILENO);
    return f;
}

/* Undoes table_to_stderr. */
static void table_to_stdout(FILE *json)
{
    fflush(stdout);
    fflush(json);
    dup2(fileno(json), STDOUT_FILENO);
    fclose(json);
}

/* What the command line asks for: the options, and the experiments chosen
 * (room for every one). */
typedef struct {
    bench_opts o;
    const bench_experiment **chosen;
    int nchosen;
    int list; /* --list */
} bench_args;

/* Parses the command line into a, with the defaults the options leave.
 * Returns 0, or the exit status after a usage error. Parsing depends only
 * on argv, which is the same on every rank, so every rank reaches the same
 * verdict without talking. */
static int parse_args(pa_ctx *ctx, int argc, char **argv, bench_args *a)
{
    bench_opts *bo = &a->o;
    int status = 0;
    opts p;
    opts_begin(&p, ctx, "bench", usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    for (int k; status == 0 && (k = opts_next(&p)) != OPTS_END;) {
        if (k == OPTS_STOP)
            status = opts_stopped(&p);
        else if (k == OPTS_ARG)
            status = choose(ctx, p.value, a->chosen, &a->nchosen);
        else
            status = take_option(&p, k, bo, &a->list);
    }
    if (status)
        return status;
    if (bo->json && bo->compare && strcmp(bo->json, bo->compare) == 0)
        return cmd_usage(ctx, "bench",
                         "--json and --compare name the same file '%s': the new run would "
                         "overwrite the one to compare with",
                         bo->json);
    if (bo->reps < 0)
        bo->reps = bo->quick ? BENCH_REPS_QUICK : BENCH_REPS;
    if (bo->warmup < 0)
        bo->warmup = bo->quick ? BENCH_WARMUP_QUICK : BENCH_WARMUP;
    if (a->nchosen == 0)
        for (int k = 0; k < bench_nexperiments; k++)
            a->chosen[a->nchosen++] = bench_experiments[k];
    return 0;
}

/* Rank 0: --list. */
static void print_list(void)
{
    for (int k = 0; k < bench_nexperiments; k++)
        printf("%-12s %s\n", bench_experiments[k]->name, bench_experiments[k]->description);
}

/* Collective. Runs the chosen experiments, then the load's line and the
 * comparison. Returns the exit status. */
static int run_experiments(pa_ctx *ctx, int argc, char **argv, bench_args *a)
{
    const char *sub = "bench";
    bench_opts *bo = &a->o;
    if (bo->json_stdout) {
        bo->json = "stdout";
        int ok = pa_ctx_rank(ctx) != 0 || (bo->json_stream = table_to_stderr()) != NULL;
        if (!agree_all_ok(pa_ctx_comm(ctx), ok))
            return cmd_fail(ctx, sub, "--json: cannot set stdout apart for the JSON lines");
    }
    int status = 0;
    bench *b = NULL;
    if (bench_create(ctx, bo, argc, argv, &b) != 0) {
        status = cmd_fail(ctx, sub, "%s", bench_errmsg(NULL));
        goto out;
    }
    bench_print_header(b, a->chosen, a->nchosen);
    for (int k = 0; k < a->nchosen; k++)
        if (bench_run(b, a->chosen[k]) != 0) {
            status = cmd_fail(ctx, sub, "%s", bench_errmsg(b));
            break;
        }
    if (status == 0) {
        bench_print_load(b);
        bench_compare(b);
    }
    if (status == 0 && bo->json && !bo->json_stdout && pa_ctx_rank(ctx) == 0)
        fprintf(stderr, "parray: bench: wrote %s\n", bo->json);
    bench_free(&b);
out:
    if (bo->json_stream)
        table_to_stdout(bo->json_stream);
    return status;
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    bench_args a = {.o = {.reps = -1, .warmup = -1, .threshold = 10.0}};
    a.chosen = calloc((size_t)bench_nexperiments, sizeof *a.chosen);
    if (!agree_all_ok(pa_ctx_comm(ctx), a.chosen != NULL)) {
        free(a.chosen);
        return cmd_fail(ctx, "bench", "out of memory");
    }
    int status = parse_args(ctx, argc, argv, &a);
    if (status == 0 && a.list && pa_ctx_rank(ctx) == 0)
        print_list();
    else if (status == 0 && !a.list)
        status = run_experiments(ctx, argc, argv, &a);
    free(a.chosen);
    return opts_exit_status(status);
}

const pa_cmd cmd_bench = {
    .name = "bench",
    .summary = "measure the machine's limits, the naive way and parray's way",
    .usage = usage,
    .run = run,
};
