/* `parray matmul`: C = op(A) op(B) of two HDF5 datasets, A loaded
 * distributed by rows and B replicated, under the core and thread plan;
 * writes C and prints the multiply's GFLOP/s. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dsarg.h"
#include "output.h"

static const char usage[] =
    "usage: [mpirun -n N] parray matmul A.h5:/A B.h5:/B -o C.h5:/C\n"
    "                     [--mode split|lend|auto] [--transA] [--transB] [--copy]\n"
    "                     [--json[=FILE]]\n"
    "\n"
    "Multiplies two 2-D f64 or f32 datasets, C = op(A) op(B), and saves C\n"
    "(crash-safe: see --copy). A and C are\n"
    "distributed by rows (A is loaded whole on every node with --transA), B is\n"
    "loaded whole on every node. Prints the shapes, the mode and the GFLOP/s of\n"
    "the multiply (load and save not included) from rank 0.\n"
    "\n"
    "  -o, --out FILE:/DS  where to save C (required)\n"
    "  --copy              " CMD_COPY_HELP
    "  --mode MODE         split: each rank multiplies its rows on its cores;\n"
    "                      lend: one rank per node uses all the node's cores;\n"
    "                      auto (default): see docs/blas.md\n"
    "  --transA, --transB  use the transpose of A or of B\n"
    "  --json              print the result as one JSON object instead of the text:\n"
    "                      {\"output\": C as given, \"dtype\", \"shape\": [m, n], \"k\",\n"
    "                      \"mode\": the mode used, \"auto\": true when it was chosen,\n"
    "                      \"ranks\", \"seconds\", \"gflops\"} (the multiply only)\n"
    "  --json=FILE         the text on stdout, and the JSON object into FILE\n"
    "\n"
    "Example: mpirun -n 2 parray matmul a.h5:/A b.h5:/B -o c.h5:/C --mode lend\n";

/* What matmul prints. */
typedef struct {
    const char *out;
    pa_dtype dtype;
    size_t m, n, k;
    pa_matmul_mode mode;
    int automatic, ranks;
    double seconds;
} matmul_result;

static double gflops(const matmul_result *r)
{
    double flops = 2.0 * (double)r->m * (double)r->n * (double)r->k;
    return r->seconds > 0 ? flops / r->seconds / 1e9 : 0.0;
}

static void print_text(FILE *f, const void *arg)
{
    const matmul_result *r = arg;
    fprintf(f,
            "C (%zu,%zu) %s = op(A) (%zu,%zu) x op(B) (%zu,%zu): mode %s%s, %d rank%s, "
            "%.4f s, %.2f GFLOP/s\n",
            r->m, r->n, pa_dtype_name(r->dtype), r->m, r->k, r->k, r->n,
            pa_matmul_mode_name(r->mode), r->automatic ? " (auto)" : "", r->ranks,
            r->ranks == 1 ? "" : "s", r->seconds, gflops(r));
}

static void print_json(json_writer *w, const void *arg)
{
    const matmul_result *r = arg;
    size_t shape[2] = {r->m, r->n};
    json_key(w, "output");
    json_string(w, r->out);
    json_key(w, "dtype");
    json_string(w, pa_dtype_name(r->dtype));
    json_key(w, "shape");
    output_shape_json(w, 2, shape);
    json_key(w, "k");
    json_uint(w, r->k);
    json_key(w, "mode");
    json_string(w, pa_matmul_mode_name(r->mode));
    json_key(w, "auto");
    json_bool(w, r->automatic);
    json_key(w, "ranks");
    json_int(w, r->ranks);
    json_key(w, "seconds");
    json_double(w, r->seconds);
    json_key(w, "gflops");
    json_double(w, gflops(r));
}

enum { O_OUT = 'o', O_MODE = 2, O_TRANSA, O_TRANSB, O_COPY, O_JSON };

static const opt_spec specs[] = {
    {"out", 'o', OPT_VALUE, O_OUT},    {"mode", 0, OPT_VALUE, O_MODE},
    {"transA", 0, OPT_FLAG, O_TRANSA}, {"transB", 0, OPT_FLAG, O_TRANSB},
    {"copy", 0, OPT_FLAG, O_COPY},     {"json", 0, OPT_OPTIONAL, O_JSON},
};

/* What the command line asks for. */
typedef struct {
    const char *in[2], *out; /* A.h5:/A, B.h5:/B and C.h5:/C as given */
    dsarg a, b, c;
    pa_matmul_opts o;
    pa_h5_opts h5;
    output dest;
} matmul_args;

/* Parses the command line into m. Returns 0, or the exit status after a
 * usage error. */
static int parse_args(pa_ctx *ctx, int argc, char **argv, matmul_args *m)
{
    const char *sub = "matmul";
    int nin = 0;
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        switch (k) {
        case OPTS_STOP: return opts_stopped(&p);
        case O_OUT: m->out = p.value; break;
        case O_MODE:
            if (pa_matmul_mode_parse(p.value, &m->o.mode) != PA_OK)
                return opts_fail(&p, "--mode '%s' is not split, lend or auto", p.value);
            break;
        case O_TRANSA: m->o.transA = 1; break;
        case O_TRANSB: m->o.transB = 1; break;
        case O_COPY: m->h5.copy = 1; break;
        case O_JSON:
            if (output_option(&m->dest, &p))
                return p.status;
            break;
        default:
            if (nin == 2)
                return cmd_usage(ctx, sub, "too many inputs: '%s' (A and B are two)", p.value);
            m->in[nin++] = p.value;
        }
    }
    if (nin < 2)
        return cmd_usage(ctx, sub, "needs two inputs, A.h5:/A and B.h5:/B");
    if (!m->out)
        return cmd_usage(ctx, sub, "needs -o C.h5:/C");
    char err[512];
    if (dsarg_parse(m->in[0], &m->a, err, sizeof err) ||
        dsarg_parse(m->in[1], &m->b, err, sizeof err) ||
        dsarg_parse(m->out, &m->c, err, sizeof err))
        return cmd_usage(ctx, sub, "%s", err);
    return 0;
}

/* Collective. The product's shape (m,n) and inner size k from A's and B's
 * shapes and the transposes. Returns 0, or 1 after reporting a mismatch. */
static int product_shape(pa_ctx *ctx, const matmul_args *m, const pa_array *A, const pa_array *B,
                         size_t mnk[3])
{
    const char *sub = "matmul";
    size_t sa[PA_MAXDIM], sb[PA_MAXDIM];
    pa_array_shape(A, sa);
    pa_array_shape(B, sb);
    if (pa_array_ndim(A) != 2 || pa_array_ndim(B) != 2)
        return cmd_fail(ctx, sub, "%s and %s must be 2-D: they are %d-D and %d-D", m->in[0],
                        m->in[1], pa_array_ndim(A), pa_array_ndim(B));
    int ta = m->o.transA, tb = m->o.transB;
    size_t rows = ta ? sa[1] : sa[0], k = ta ? sa[0] : sa[1];
    size_t kb = tb ? sb[1] : sb[0], n = tb ? sb[0] : sb[1];
    if (k != kb)
        return cmd_fail(ctx, sub,
                        "shape mismatch: op(A) is (%zu,%zu) (%s is (%zu,%zu)%s), op(B) is "
                        "(%zu,%zu) (%s is (%zu,%zu)%s)",
                        rows, k, m->in[0], sa[0], sa[1], ta ? ", transposed" : "", kb, n,
                        m->in[1], sb[0], sb[1], tb ? ", transposed" : "");
    mnk[0] = rows, mnk[1] = n, mnk[2] = k;
    return 0;
}

/* Collective. Loads A and B, multiplies them into C (timed: the slowest
 * rank), saves C and prints the result. Returns the exit status. */
static int multiply(pa_ctx *ctx, const matmul_args *m)
{
    const char *sub = "matmul";
    pa_array *A = NULL, *B = NULL, *C = NULL;
    int status = 0;
    pa_h5_opts ra = {0}, rb = {0};
    /* A row of A^T is a column of A: with --transA every node needs all of A. */
    ra.dist = m->o.transA ? PA_REPLICATED : PA_DISTRIBUTED;
    rb.dist = PA_REPLICATED;
    size_t mnk[3] = {0, 0, 0};
    if (pa_h5_load(ctx, m->a.file, m->a.dataset, &ra, &A) != PA_OK ||
        pa_h5_load(ctx, m->b.file, m->b.dataset, &rb, &B) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
        goto out;
    }
    if ((status = product_shape(ctx, m, A, B, mnk)) != 0)
        goto out;
    size_t sc[2] = {mnk[0], mnk[1]};
    if (pa_array_create(ctx, pa_array_dtype(A), 2, sc, PA_DISTRIBUTED, &C) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
        goto out;
    }
    pa_matmul_mode used = m->o.mode == PA_MATMUL_AUTO
                              ? pa_matmul_auto(ctx, mnk[0], mnk[1], mnk[2])
                              : m->o.mode;
    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    int rc = pa_matmul(C, A, B, &m->o);
    double t = MPI_Wtime() - t0, tmax;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, pa_ctx_comm(ctx));
    if (rc != PA_OK || pa_h5_save(C, m->c.file, m->c.dataset, &m->h5) != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
        goto out;
    }
    matmul_result r = {.out = m->out,
                       .dtype = pa_array_dtype(A),
                       .m = mnk[0],
                       .n = mnk[1],
                       .k = mnk[2],
                       .mode = used,
                       .automatic = m->o.mode == PA_MATMUL_AUTO,
                       .ranks = pa_ctx_size(ctx),
                       .seconds = tmax};
    status = output_write(ctx, sub, &m->dest, print_text, print_json, &r);
out:
    pa_array_free(&A);
    pa_array_free(&B);
    pa_array_free(&C);
    return status;
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    matmul_args m = {.o = PA_MATMUL_OPTS_INIT};
    int status = parse_args(ctx, argc, argv, &m);
    return status ? opts_exit_status(status) : multiply(ctx, &m);
}

const pa_cmd cmd_matmul = {
    .name = "matmul",
    .summary = "C = A x B of HDF5 datasets, under the core and thread plan",
    .usage = usage,
    .run = run,
};
