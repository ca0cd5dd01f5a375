/* `parray calc`: evaluates a fused expression over HDF5 datasets into a new
 * dataset: the inputs are loaded distributed by rows (those with fewer rows
 * than the broadcast result replicated), pa_expr_eval runs over every
 * rank's part in cache-sized blocks, and the result is saved (crash-safe). With --rows-per-block N the datasets stream through in
 * blocks of N rows (read, evaluate, write into a crash-safe writer), so
 * that datasets larger than the job's memory can be processed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agree.h"
#include "cmd.h"
#include "dsarg.h"
#include "num.h"
#include "opts.h"
#include "output.h"
#include "progress.h"

static const char usage[] =
    "usage: [mpirun -n N] parray calc 'OUT = EXPR' NAME=FILE.h5:/DS... [NAME=NUMBER...]\n"
    "                   -o FILE.h5:/DS [--dtype DT] [--rows-per-block N]\n"
    "                   [--copy] [--progress] [--json[=FILE]]\n"
    "\n"
    "Evaluates EXPR element by element over datasets and saves the result as a\n"
    "dataset. Shapes broadcast as numpy's do: aligned at the right, each\n"
    "dimension equal or 1, missing leading ones 1, so x=d.h5:/x of (n, m) and\n"
    "mu=stats.h5:/mu of (m,) or (1, m) give (n, m), a column (n, 1) too; the\n"
    "result has the broadcast shape. A dataset with fewer rows than the result\n"
    "is loaded whole on every node. Dtypes may differ: each operation\n"
    "computes in the dtype numpy's promotion gives its operands (i16 and f32\n"
    "give f32, u8 and i8 give i16, i32 and f32 give f64), and numbers are\n"
    "weak as Python's are in numpy (NEP 50): x * 2.5 stays f32 for an f32 x, an\n"
    "integer x with 2.5 gives f64, and an integer number (300, or k=300) must\n"
    "fit the integer dtype it meets. Every name of EXPR is bound on the\n"
    "command line to a dataset (x=in.h5:/x) or to a number (k=2.5), which is\n"
    "read as Python's float() reads it: subnormals such as 5e-324 exactly, inf,\n"
    "-inf and nan spelled out, and a number beyond the double range (1e400) is\n"
    "inf. The language (docs/expr.md): numbers, names, + - * / % ** (power),\n"
    "<< >> (integers), & | ^ ~ (bitwise, on integers and bool), unary minus,\n"
    "parentheses, comparisons < <= > >= == != (a bool: 'm = x > 0.5' saves a\n"
    "bool dataset), where(c, a, b), copy(x), and the functions neg abs sqrt exp\n"
    "log log10 log1p expm1 sin cos tan tanh sinh cosh arcsin arccos arctan\n"
    "arcsinh arccosh arctanh floor ceil round square reciprocal logical_not\n"
    "invert conj real imag angle add sub mul div pow minimum maximum hypot\n"
    "atan2 fmod mod\n"
    "left_shift right_shift logical_and logical_or logical_xor bitwise_and\n"
    "bitwise_or bitwise_xor (the logical ones on any dtype, giving a bool; the\n"
    "bitwise ones on bool and integers), and numpy's arctan2 power absolute\n"
    "remainder. % is numpy's mod (the sign of the divisor); precedence is\n"
    "Python's: comparisons bind looser than & | ^, so write (x > 0) & (y < 1).\n"
    "Complex arrays (c64, c128) take + - * / neg sqrt exp log conj, and abs\n"
    "real imag angle, which give the real dtype (f32, f64) as numpy's; other\n"
    "ops on them are refused.\n"
    "An expression of numbers alone ('r = sqrt(2)', 'r = k * 2' k=1.5) has a\n"
    "0-d value, which is printed ('r = 1.4142135623730951 (f64)'; with --json\n"
    "{\"name\", \"dtype\", \"shape\": [], \"value\"}) instead of saved.\n"
    "\n"
    "  -o, --out FILE.h5:/DS  where to save the result (required when EXPR\n"
    "                         reads a dataset)\n"
    "  --dtype DT             compute and save in DT (one of" CMD_DTYPES "):\n"
    "                         the inputs are converted to it first; a result\n"
    "                         of a higher kind (a float into an integer DT)\n"
    "                         is an error, as numpy's same_kind rule says. By\n"
    "                         default the result's dtype by promotion (the\n"
    "                         output's, when the output is also an input)\n"
    "  --rows-per-block N     stream the datasets through in blocks of N rows\n"
    "                         (of axis 0) instead of loading them whole: memory\n"
    "                         holds one block of each input and of the output,\n"
    "                         so datasets larger than memory can be processed.\n"
    "                         Datasets with fewer rows than the result are\n"
    "                         loaded whole once. The result\n"
    "                         is bit-identical to the whole-array calc; the\n"
    "                         output file changes only when every block is done.\n"
    "  --copy                 " CMD_COPY_HELP
    "  --progress             show progress on stderr even when it is not a\n"
    "                         terminal (a batch log): a line every 10 s or 10%,\n"
    "                         whichever is rarer, and one at the end:\n"
    "                         calc: 45% (4.5 of 10 GB), 3.1 GB/s, 12 s left\n"
    "                         (bytes read and written). Without it, progress\n"
    "                         shows when stderr is a terminal, or as\n"
    "                         PARRAY_PROGRESS=1 or 0 says ('parray help').\n"
    "  --json                 print the result as one JSON object instead of the\n"
    "                         text: {\"file\", \"dataset\", \"dtype\", \"shape\": [...]},\n"
    "                         with --rows-per-block also \"rows_per_block\" and\n"
    "                         \"blocks\"\n"
    "  --json=FILE            the text on stdout, and the JSON object into FILE\n"
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

/* The command line. */
typedef struct {
    const char *text, *outarg;
    dsarg out;
    pa_dtype want; /* --dtype, when have_want */
    int have_want;
    size_t rows_per_block; /* 0: whole arrays */
    binding b[MAXB];
    int nb;
    int progress;  /* --progress */
    pa_h5_opts h5; /* --copy */
    output dest;
} calc_args;

/* The inputs as stored, checked before any is read. */
typedef struct {
    pa_dtype dt[MAXB]; /* per dataset binding */
    int nd[MAXB];      /* per dataset binding: its ndim and shape */
    size_t sh[MAXB][PA_MAXDIM];
    int whole[MAXB]; /* per dataset binding: it lacks the result's rows, so it
                        is loaded replicated (and once, with --rows-per-block) */
    int first;       /* the first dataset binding */
    int ndim;        /* the result's (broadcast) shape */
    size_t shape[PA_MAXDIM];
    pa_dtype odtype;  /* of the result */
    double row_bytes; /* of one row of every input and the output: progress counts them */
} calc_plan;

/* What calc prints. */
typedef struct {
    const calc_args *args;
    const calc_plan *plan;
    size_t nblocks; /* 0: whole arrays */
} calc_result;

/* ------------------------------------------------------------ the command line */

/* NAME=FILE.h5:/DATASET or NAME=NUMBER. Returns 0 or the exit status. */
static int add_binding(pa_ctx *ctx, calc_args *c, const char *arg)
{
    const char *sub = "calc", *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : 0;
    if (!eq || len == 0 || len >= sizeof c->b[0].name)
        return cmd_usage(ctx, sub, "'%s' is not NAME=FILE.h5:/DATASET or NAME=NUMBER", arg);
    if (c->nb == MAXB)
        return cmd_usage(ctx, sub, "more than %d bindings", MAXB);
    binding *x = &c->b[c->nb];
    memcpy(x->name, arg, len);
    x->name[len] = 0;
    for (int k = 0; k < c->nb; k++)
        if (strcmp(c->b[k].name, x->name) == 0)
            return cmd_usage(ctx, sub, "'%s' is bound twice", x->name);
    const char *v = eq + 1;
    char err[512];
    if (num_real(x->name, v, 0, &x->value, NULL, 0) != 0) {
        if (dsarg_parse(v, &x->ds, err, sizeof err) != 0)
            return cmd_usage(ctx, sub, "%s: '%s' is neither a number nor a dataset: %s", x->name,
                             v, err);
        x->is_array = 1;
    }
    c->nb++;
    return 0;
}

enum { O_OUT = 'o', O_DTYPE = 2, O_ROWS, O_COPY, O_PROGRESS, O_JSON };

static const opt_spec specs[] = {
    {"out", 'o', OPT_VALUE, O_OUT},           {"dtype", 0, OPT_VALUE, O_DTYPE},
    {"rows-per-block", 0, OPT_VALUE, O_ROWS}, {"copy", 0, OPT_FLAG, O_COPY},
    {"progress", 0, OPT_FLAG, O_PROGRESS},    {"json", 0, OPT_OPTIONAL, O_JSON},
};

/* Returns 0 or the exit status. */
static int parse_args(pa_ctx *ctx, int argc, char **argv, calc_args *c)
{
    const char *sub = "calc";
    uint64_t n;
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        int status = 0;
        switch (k) {
        case OPTS_STOP: return opts_stopped(&p);
        case O_OUT: c->outarg = p.value; break;
        case O_DTYPE:
            c->have_want = 1;
            status = opts_dtype(&p, &c->want);
            break;
        case O_ROWS:
            /* At most the largest dimension an array can have. */
            status = opts_uint(&p, 1, PTRDIFF_MAX, &n);
            c->rows_per_block = (size_t)n;
            break;
        case O_COPY: c->h5.copy = 1; break;
        case O_PROGRESS: c->progress = 1; break;
        case O_JSON: status = output_option(&c->dest, &p); break;
        default:
            if (!c->text)
                c->text = p.value;
            else
                status = add_binding(ctx, c, p.value);
        }
        if (status)
            return status;
    }
    if (!c->text)
        return cmd_usage(ctx, sub, "needs the expression 'OUT = EXPR'");
    char err[512];
    if (c->outarg && dsarg_parse(c->outarg, &c->out, err, sizeof err) != 0)
        return cmd_usage(ctx, sub, "%s", err);
    return 0;
}

/* 1 when some name is bound to a dataset; else the expression is of
 * numbers alone and has a 0-d value. */
static int reads_datasets(const calc_args *c)
{
    for (int k = 0; k < c->nb; k++)
        if (c->b[k].is_array)
            return 1;
    return 0;
}

/* Every binding must be used and every name bound: a typo is an error
 * here rather than a silently ignored input. Returns 0 or 2. */
static int check_names(pa_ctx *ctx, const pa_expr *e, const calc_args *c)
{
    const char *sub = "calc", *oname = pa_expr_output(e);
    for (int k = 0; k < c->nb; k++) {
        int used = strcmp(c->b[k].name, oname) == 0 && c->b[k].is_array;
        for (int j = 0; j < pa_expr_nnames(e) && !used; j++)
            used = strcmp(c->b[k].name, pa_expr_name(e, j)) == 0;
        if (!used)
            return cmd_usage(ctx, sub, "'%s' is bound but the expression does not use it",
                             c->b[k].name);
    }
    for (int j = 0; j < pa_expr_nnames(e); j++) {
        const char *name = pa_expr_name(e, j);
        int bound = 0;
        for (int k = 0; k < c->nb; k++)
            bound |= strcmp(c->b[k].name, name) == 0;
        if (!bound)
            return cmd_usage(ctx, sub, "'%s' is not bound: add %s=FILE.h5:/DATASET or %s=NUMBER",
                             name, name, name);
    }
    return 0;
}

/* The dtype of the result: --dtype's; the output's when it is also an
 * input; else numpy's promotion over the expression (pa_expr_dtype). */
static pa_dtype result_dtype(const pa_expr *e, const calc_args *c, const calc_plan *plan)
{
    if (c->have_want)
        return c->want;
    for (int k = 0; k < c->nb; k++)
        if (c->b[k].is_array && strcmp(c->b[k].name, pa_expr_output(e)) == 0)
            return plan->dt[k];
    pa_dtype dt[MAXB];
    double val[MAXB];
    for (int j = 0; j < pa_expr_nnames(e); j++)
        for (int k = 0; k < c->nb; k++)
            if (strcmp(c->b[k].name, pa_expr_name(e, j)) == 0) {
                dt[j] = c->b[k].is_array ? plan->dt[k] : PA_EXPR_SCALAR;
                val[j] = c->b[k].value;
            }
    pa_dtype d = plan->dt[plan->first];
    /* Every name is bound (check_names), so this cannot fail. */
    pa_expr_dtype(e, dt, val, &d);
    return d;
}

/* Collective. Reads each dataset input's dtype and shape (not its data):
 * the shapes must broadcast together, and the result has the broadcast
 * shape. Returns 0 or the exit status. */
static int check_inputs(pa_ctx *ctx, const pa_expr *e, const calc_args *c, calc_plan *plan)
{
    const char *sub = "calc";
    int nds[MAXB], n = 0;
    const size_t *shapes[MAXB];
    plan->first = -1;
    for (int k = 0; k < c->nb; k++) {
        const binding *x = &c->b[k];
        if (!x->is_array)
            continue;
        if (pa_h5_info(ctx, x->ds.file, x->ds.dataset, &plan->dt[k], &plan->nd[k], plan->sh[k]) !=
            PA_OK)
            return cmd_fail(ctx, sub, "%s: %s", x->name, cmd_errmsg(ctx));
        if (plan->first < 0)
            plan->first = k;
        nds[n] = plan->nd[k];
        shapes[n++] = plan->sh[k];
    }
    if (pa_broadcast_shape(ctx, n, nds, shapes, &plan->ndim, plan->shape) != PA_OK)
        return cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    double in_bytes = 0;
    for (int k = 0; k < c->nb; k++)
        if (c->b[k].is_array) {
            plan->whole[k] = plan->nd[k] != plan->ndim || plan->sh[k][0] != plan->shape[0];
            if (!plan->whole[k])
                in_bytes += (double)pa_dtype_size(plan->dt[k]);
        }
    plan->odtype = result_dtype(e, c, plan);
    double row = 1;
    for (int i = 1; i < plan->ndim; i++)
        row *= (double)plan->shape[i];
    plan->row_bytes = row * (in_bytes + (double)pa_dtype_size(plan->odtype));
    return 0;
}

/* Collective. Loads dataset input k whole (replicated when it lacks the
 * result's rows, else distributed) into b->a, converted to --dtype.
 * Returns 0 or the exit status. */
static int load_input(pa_ctx *ctx, calc_args *c, const calc_plan *plan, int k)
{
    const char *sub = "calc";
    binding *b = &c->b[k];
    pa_h5_opts o = c->h5;
    o.dist = plan->whole[k] ? PA_REPLICATED : PA_DISTRIBUTED;
    if (pa_h5_load(ctx, b->ds.file, b->ds.dataset, &o, &b->a) != PA_OK)
        return cmd_fail(ctx, sub, "%s: %s", b->name, cmd_errmsg(ctx));
    if (!c->have_want || plan->dt[k] == c->want)
        return 0;
    pa_array *conv = NULL;
    int status = 0;
    if (pa_array_create(ctx, c->want, plan->nd[k], plan->sh[k], o.dist, &conv) != PA_OK ||
        pa_astype(conv, b->a) != PA_OK)
        status = cmd_fail(ctx, sub, "%s: %s", b->name, cmd_errmsg(ctx));
    pa_array_free(&b->a);
    b->a = conv;
    return status;
}

/* ------------------------------------------------------------ streaming */

/* The arrays of one block of n rows: per dataset input with the result's
 * rows its rows as stored (raw) and, with --dtype, converted (conv); the
 * output unless it is an input. Made once for the full blocks and once more for a shorter last
 * block. */
typedef struct {
    size_t n;
    pa_array *raw[MAXB], *conv[MAXB], *out;
} block_set;

static void set_free(block_set *s)
{
    pa_array_free(&s->out);
    for (int k = MAXB - 1; k >= 0; k--) {
        pa_array_free(&s->conv[k]);
        pa_array_free(&s->raw[k]);
    }
    s->n = 0;
}

/* Collective. Creates the arrays of a block of n rows: inputs with the
 * result's rows as stored (converted to --dtype when given and different),
 * the output when it is not an input. */
static int set_make(pa_ctx *ctx, block_set *s, const calc_args *c, const calc_plan *plan,
                    const char *oname, size_t n)
{
    size_t bs[PA_MAXDIM];
    memcpy(bs, plan->shape, sizeof(size_t) * (size_t)plan->ndim);
    bs[0] = n;
    s->n = n;
    int is_input = 0;
    for (int k = 0; k < c->nb; k++) {
        if (!c->b[k].is_array || plan->whole[k])
            continue;
        is_input |= strcmp(c->b[k].name, oname) == 0;
        size_t ks[PA_MAXDIM];
        memcpy(ks, plan->sh[k], sizeof(size_t) * (size_t)plan->nd[k]);
        ks[0] = n;
        int rc = pa_array_create(ctx, plan->dt[k], plan->nd[k], ks, PA_DISTRIBUTED, &s->raw[k]);
        if (rc == PA_OK && c->have_want && c->want != plan->dt[k])
            rc = pa_array_create(ctx, c->want, plan->nd[k], ks, PA_DISTRIBUTED, &s->conv[k]);
        if (rc != PA_OK)
            return rc;
    }
    if (!is_input)
        return pa_array_create(ctx, plan->odtype, plan->ndim, bs, PA_DISTRIBUTED, &s->out);
    return PA_OK;
}

/* Collective. One block: each input's rows from row r0 are read into the
 * set's arrays (converted), the inputs loaded whole are bound as they are,
 * the expression is evaluated and the output rows written. Returns 0 or
 * the exit status. */
static int run_block(pa_ctx *ctx, pa_expr *e, const calc_args *c, block_set *set, pa_h5_writer *w,
                     size_t r0)
{
    const char *sub = "calc", *oname = pa_expr_output(e);
    pa_binding pb[MAXB + 1];
    int npb = 0;
    pa_array *outa = set->out;
    for (int k = 0; k < c->nb; k++) {
        const binding *b = &c->b[k];
        pa_array *x = b->a;
        if (b->is_array && set->raw[k]) {
            x = set->raw[k];
            if (pa_h5_read_rows(x, b->ds.file, b->ds.dataset, r0, NULL) != PA_OK ||
                (set->conv[k] && pa_astype(set->conv[k], x) != PA_OK))
                return cmd_fail(ctx, sub, "%s: %s", b->name, cmd_errmsg(ctx));
            if (set->conv[k])
                x = set->conv[k];
            if (strcmp(b->name, oname) == 0)
                outa = x;
        }
        pb[npb++] = (pa_binding){b->name, x, b->value};
    }
    if (set->out)
        pb[npb++] = (pa_binding){oname, set->out, 0};
    if (pa_expr_eval(e, pb, npb) != PA_OK || pa_h5_write_rows(w, outa, r0) != PA_OK)
        return cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    return 0;
}

/* Collective. `calc --rows-per-block`: creates the output with a
 * crash-safe writer and streams the blocks through it. The writer is
 * committed after the last block and aborted on any failure, so the output
 * file changes only when the whole result is written. Returns the exit
 * status and the number of blocks. */
static int run_blocks(pa_ctx *ctx, pa_expr *e, calc_args *c, const calc_plan *plan, progress *pr,
                      size_t *nblocks)
{
    const char *sub = "calc";
    size_t rows = plan->shape[0], rpb = c->rows_per_block;
    *nblocks = rows / rpb + (rows % rpb != 0); /* rpb may be huge */
    int status = 0;
    pa_h5_writer *w = NULL;
    block_set set = {0};
    for (int k = 0; k < c->nb && status == 0; k++)
        if (c->b[k].is_array && plan->whole[k])
            status = load_input(ctx, c, plan, k);
    if (status == 0 && pa_h5_create(ctx, c->out.file, c->out.dataset, plan->odtype, plan->ndim,
                                    plan->shape, &c->h5, &w) != PA_OK)
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    if (status != 0)
        *nblocks = 0;
    for (size_t blk = 0; blk < *nblocks && status == 0; blk++) {
        size_t r0 = blk * rpb, n = rows - r0 < rpb ? rows - r0 : rpb;
        progress_stage(pr, "block %zu/%zu (rows %zu to %zu)", blk + 1, *nblocks, r0, r0 + n);
        /* Arrays are made once for the full blocks; a shorter last block
         * gets its own (the full ones are freed first, so memory never
         * holds both). */
        if (set.n != n) {
            set_free(&set);
            if (set_make(ctx, &set, c, plan, pa_expr_output(e), n) != PA_OK) {
                status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
                break;
            }
        }
        status = run_block(ctx, e, c, &set, w, r0);
        progress_update(pr, (double)(r0 + n) * plan->row_bytes);
    }
    set_free(&set);
    if (status == 0) {
        progress_stage(pr, "saving %s", c->outarg);
        if (pa_h5_commit(&w) != PA_OK)
            status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    }
    /* On a failure the temporary goes and the old output file stays. */
    pa_h5_abort(&w);
    for (int k = c->nb - 1; k >= 0; k--)
        pa_array_free(&c->b[k].a);
    return status;
}

/* ------------------------------------------------------------ whole arrays */

/* Collective. Loads every dataset input (converted to --dtype), creates the
 * output unless it is an input, evaluates and saves. Returns the exit
 * status. */
static int run_whole(pa_ctx *ctx, pa_expr *e, calc_args *c, const calc_plan *plan, progress *pr)
{
    const char *sub = "calc", *oname = pa_expr_output(e);
    double read = 0; /* bytes loaded so far */
    pa_array *outa = NULL, *created = NULL;
    int status = 0;
    for (int k = 0; k < c->nb && status == 0; k++) {
        binding *b = &c->b[k];
        if (!b->is_array)
            continue;
        progress_stage(pr, "loading %s", b->name);
        status = load_input(ctx, c, plan, k);
        if (status != 0)
            break;
        if (strcmp(b->name, oname) == 0)
            outa = b->a;
        read += (double)pa_array_size(b->a) * (double)pa_dtype_size(plan->dt[k]);
        progress_update(pr, read);
    }
    if (status == 0 && !outa) {
        if (pa_array_create(ctx, plan->odtype, plan->ndim, plan->shape, PA_DISTRIBUTED,
                            &created) != PA_OK)
            status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
        outa = created;
    }
    if (status == 0) {
        pa_binding pb[MAXB + 1];
        int npb = 0;
        for (int k = 0; k < c->nb; k++)
            pb[npb++] = (pa_binding){c->b[k].name, c->b[k].a, c->b[k].value};
        if (created)
            pb[npb++] = (pa_binding){oname, created, 0};
        progress_stage(pr, "evaluating");
        if (pa_expr_eval(e, pb, npb) != PA_OK)
            status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    }
    if (status == 0) {
        progress_stage(pr, "saving %s", c->outarg);
        if (pa_h5_save(outa, c->out.file, c->out.dataset, &c->h5) != PA_OK)
            status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    }
    pa_array_free(&created);
    for (int k = c->nb - 1; k >= 0; k--)
        pa_array_free(&c->b[k].a);
    return status;
}

/* ------------------------------------------------------------ a 0-d value */

/* An expression of numbers alone: its 0-d value, computed on every rank
 * alike (pa_expr_eval_scalar) and printed. */
typedef struct {
    const char *name;
    pa_value v;
} scalar_result;

static void print_scalar_text(FILE *f, const void *arg)
{
    const scalar_result *r = arg;
    char buf[64];
    fprintf(f, "%s = %s (%s)\n", r->name, pa_value_str(&r->v, buf, sizeof buf),
            pa_dtype_name(r->v.dtype));
}

static void print_scalar_json(json_writer *w, const void *arg)
{
    const scalar_result *r = arg;
    json_key(w, "name");
    json_string(w, r->name);
    json_key(w, "dtype");
    json_string(w, pa_dtype_name(r->v.dtype));
    json_key(w, "shape");
    output_shape_json(w, 0, NULL);
    json_key(w, "value");
    switch (r->v.kind) {
    case 'i': json_int(w, r->v.v.i); break;
    case 'u': json_uint(w, r->v.v.u); break;
    case 'b': json_bool(w, r->v.v.u != 0); break;
    default: json_double(w, pa_value_double(&r->v)); break;
    }
}

/* Returns the exit status. */
static int run_scalar(pa_ctx *ctx, pa_expr *e, const calc_args *c)
{
    const char *sub = "calc";
    if (c->outarg || c->have_want || c->rows_per_block)
        return cmd_usage(
            ctx, sub, "'%s' reads no dataset, so its value is 0-d and printed: drop %s", c->text,
            c->outarg      ? "-o"
            : c->have_want ? "--dtype"
                           : "--rows-per-block");
    pa_binding pb[MAXB];
    for (int k = 0; k < c->nb; k++)
        pb[k] = (pa_binding)PA_BIND_SCALAR(c->b[k].name, c->b[k].value);
    scalar_result r = {.name = pa_expr_output(e)};
    /* Every rank computes the same value from the same text: no agreement. */
    if (pa_expr_eval_scalar(e, pb, c->nb, &r.v) != PA_OK)
        return cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    return output_write(ctx, sub, &c->dest, print_scalar_text, print_scalar_json, &r);
}

/* ------------------------------------------------------------ results */

static void print_text(FILE *f, const void *arg)
{
    const calc_result *r = arg;
    char shape[PA_MAXDIM * 24];
    fprintf(f, "%s: %s %s", r->args->outarg, pa_dtype_name(r->plan->odtype),
            output_shape(shape, sizeof shape, r->plan->ndim, r->plan->shape));
    if (r->nblocks)
        fprintf(f, ", %zu block%s of %zu rows", r->nblocks, r->nblocks == 1 ? "" : "s",
                r->args->rows_per_block);
    fputc('\n', f);
}

static void print_json(json_writer *w, const void *arg)
{
    const calc_result *r = arg;
    json_key(w, "file");
    json_string(w, r->args->out.file);
    json_key(w, "dataset");
    json_string(w, r->args->out.dataset);
    json_key(w, "dtype");
    json_string(w, pa_dtype_name(r->plan->odtype));
    json_key(w, "shape");
    output_shape_json(w, r->plan->ndim, r->plan->shape);
    if (r->nblocks) {
        json_key(w, "rows_per_block");
        json_uint(w, r->args->rows_per_block);
        json_key(w, "blocks");
        json_uint(w, r->nblocks);
    }
}

static int run(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "calc";
    calc_args *c = calloc(1, sizeof *c);
    calc_plan plan = {0};
    pa_expr *e = NULL;
    progress pr = {0};
    if (!agree_all_ok(pa_ctx_comm(ctx), c != NULL)) {
        free(c);
        return cmd_fail(ctx, sub, "out of memory");
    }
    int status = parse_args(ctx, argc, argv, c);
    if (status == 0 && pa_expr_compile(ctx, c->text, &e) != PA_OK)
        status = cmd_usage(ctx, sub, "%s", cmd_errmsg(ctx));
    if (status == 0)
        status = check_names(ctx, e, c);
    if (status == 0 && !reads_datasets(c)) {
        status = run_scalar(ctx, e, c);
        pa_expr_free(&e);
        free(c);
        return opts_exit_status(status);
    }
    if (status == 0 && !c->outarg)
        status = cmd_usage(ctx, sub, "needs -o FILE.h5:/DATASET");
    if (status == 0)
        status = progress_init(&pr, ctx, sub, c->progress);
    if (status == 0)
        status = check_inputs(ctx, e, c, &plan);
    calc_result r = {.args = c, .plan = &plan};
    if (status == 0) {
        progress_start(&pr, (double)plan.shape[0] * plan.row_bytes);
        if (c->rows_per_block)
            status = run_blocks(ctx, e, c, &plan, &pr, &r.nblocks);
        else
            status = run_whole(ctx, e, c, &plan, &pr);
    }
    progress_end(&pr, status == 0);
    if (status == 0)
        status = output_write(ctx, sub, &c->dest, print_text, print_json, &r);
    pa_expr_free(&e);
    free(c);
    return opts_exit_status(status);
}

const pa_cmd cmd_calc = {
    .name = "calc",
    .summary = "evaluate an expression over HDF5 datasets into a new dataset",
    .usage = usage,
    .run = run,
};
