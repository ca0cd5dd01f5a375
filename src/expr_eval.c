/* The expression VM: from the syntax tree and one set of bindings it
 * generates a register program (uniform subexpressions hoisted out and
 * computed once, registers allocated from the tree), and runs it over this
 * rank's span in blocks of 1 KiB (expr.h): per block, one kernel call
 * per instruction, each a tight loop that the compiler vectorises, reading
 * the input arrays in place and writing the last result straight to the
 * output (with streaming stores when the output is large, or through a
 * register when the output is also an input). The kernels are the kernel
 * layer's (kernels.h); a uniform operand is read in place with stride 0.
 * Each instruction computes in the dtype that numpy's promotion gives its
 * operands (promote.h) and picks that dtype's kernel; an operand of
 * another dtype is converted by a conversion instruction first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "collcheck.h"
#include "compute.h"
#include "expr.h"
#include "promote.h"

_Static_assert(EXPR_MAXNAMES <= PA__BROADCAST_MAXOPS, "an expression reads more arrays than "
                                                      "broadcast.h checks");

/* ------------------------------------------------------------ types */

/* The uniform value s of a program. */
#define UNI(p, s) ((p)->uni + (size_t)(s) * sizeof(pa__elem))

/* The type of every node, children before parents, and the dtype each op
 * computes in (cdt): numpy's promotion of its operands (of where(), of its
 * two values: the condition does not count), where numbers and scalars
 * are weak (NEP 50). A function of numbers alone that has no integer form
 * (sqrt(2)) is a float, as numpy computes it. An op computes in that
 * dtype, and its value has the dtype of its result there
 * (pa__kernel_result): a bool for a predicate (a comparison or a logical
 * op), the real dtype for abs, real, imag and angle of a complex. */
static void infer_types(const pa_expr *e, const pa__type *name_type, pa__type *type,
                        pa_dtype *cdt)
{
    for (int k = 0; k < e->nnodes; k++) {
        const expr_node *nd = &e->nodes[k];
        if (nd->kind == EN_NUM) {
            type[k] = pa__weak_type(nd->is_int);
        } else if (nd->kind == EN_NAME) {
            type[k] = name_type[nd->name];
        } else {
            int first = nd->op == EOP_WHERE;
            pa__type t = type[nd->arg[first]];
            for (int j = first + 1; j < nd->nargs; j++)
                t = pa__promote(t, type[nd->arg[j]]);
            if (t.weak && !pa__kernel_has((pa__kop)nd->op, t.dtype))
                t = pa__weak_type(0);
            /* where(c, 2.5, 1) over an array c is an array, as numpy's. */
            if (first && !type[nd->arg[0]].weak)
                t.weak = 0;
            cdt[k] = t.dtype;
            type[k] = pa__strong_type(pa__kernel_result((pa__kop)nd->op, t.dtype));
            if (type[k].dtype == t.dtype)
                type[k] = t;
        }
    }
}

/* The dtype of e's value for names of the types name_type. */
static int root_dtype(const char *fn, const pa_expr *e, const pa__type *name_type, pa_dtype *out)
{
    pa__type *type = malloc((size_t)e->nnodes * sizeof *type);
    pa_dtype *cdt = malloc((size_t)e->nnodes * sizeof *cdt);
    int rc = type && cdt ? PA_OK : pa__err(e->ctx, fn, PA_ENOMEM, "out of memory");
    if (rc == PA_OK) {
        infer_types(e, name_type, type, cdt);
        *out = type[e->root].dtype;
    }
    free(type);
    free(cdt);
    return rc;
}

int pa_expr_dtype(const pa_expr *e, const pa_dtype *dtypes, const double *values, pa_dtype *out)
{
    PA_CHECK(NULL, e && out, PA_EINVAL, "e and out must not be NULL");
    PA_CHECK(e->ctx, dtypes || e->nnames == 0, PA_EINVAL, "dtypes is NULL");
    pa__type name_type[EXPR_MAXNAMES];
    for (int k = 0; k < e->nnames; k++) {
        if (dtypes[k] == PA_EXPR_SCALAR) {
            PA_CHECK(e->ctx, values, PA_EINVAL, "values is NULL, but name '%s' is a scalar",
                     e->names[k]);
            name_type[k] = pa__scalar_type(values[k]);
        } else {
            PA_CHECK(e->ctx, pa__dtype_valid(dtypes[k]), PA_EINVAL,
                     "dtypes[%d] = %d is not a dtype", k, (int)dtypes[k]);
            name_type[k] = pa__strong_type(dtypes[k]);
        }
    }
    return root_dtype(__func__, e, name_type, out);
}

/* ------------------------------------------------------------ code generation */

typedef struct {
    pa_ctx *ctx;
    const char *fn;
    const pa_expr *e;
    expr_prog *p;
    const pa_binding *const *bind; /* per name */
    const pa__type *name_type;     /* per name */
    char *uniform;                 /* per node */
    pa__type *type;                /* per node: its value's type (infer_types) */
    pa_dtype *cdt;                 /* per op node: the dtype it computes in */
    pa_dtype *want;                /* per node: the dtype its consumer reads it in */
    int *in_slot;                  /* per name: input slot, or -1 */
    uint64_t busy;                 /* registers in use */
    int capu, capd, capi, capui;
} codegen;

static int grow(codegen *g, void **arr, int *cap, int need, size_t elsize)
{
    if (need <= *cap)
        return PA_OK;
    int c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *n = realloc(*arr, (size_t)c * elsize);
    if (!n)
        return pa__err(g->ctx, g->fn, PA_ENOMEM, "out of memory");
    *arr = n;
    *cap = c;
    return PA_OK;
}

/* A new uniform value of dtype d, loaded from leaf node (or -1). */
static int new_uni(codegen *g, int node, pa_dtype d, int *slot)
{
    expr_prog *p = g->p;
    PA_TRY(grow(g, (void **)&p->uni_node, &g->capu, p->nuni + 1, sizeof(int)));
    PA_TRY(grow(g, (void **)&p->uni_dtype, &g->capd, p->nuni + 1, sizeof(pa_dtype)));
    p->uni_node[p->nuni] = node;
    p->uni_dtype[p->nuni] = d;
    *slot = p->nuni++;
    return PA_OK;
}

static int emit(codegen *g, int uniform, const expr_instr *in)
{
    expr_prog *p = g->p;
    if (uniform) {
        PA_TRY(grow(g, (void **)&p->uinstr, &g->capui, p->nuinstr + 1, sizeof *in));
        p->uinstr[p->nuinstr++] = *in;
    } else {
        PA_TRY(grow(g, (void **)&p->instr, &g->capi, p->ninstr + 1, sizeof *in));
        p->instr[p->ninstr++] = *in;
    }
    return PA_OK;
}

/* A free register. */
static int alloc_reg(codegen *g, int col, int *r)
{
    for (int k = 0; k < PA_EXPR_MAXREG; k++)
        if (!(g->busy >> k & 1)) {
            g->busy |= (uint64_t)1 << k;
            if (k >= g->p->nreg)
                g->p->nreg = k + 1;
            *r = k;
            return PA_OK;
        }
    return pa__err(g->ctx, g->fn, PA_EINVAL,
                   "the expression needs more than %d registers at column %d: split it "
                   "into several evaluations",
                   PA_EXPR_MAXREG, col);
}

static void release(codegen *g, expr_opd o)
{
    if (o.kind == ED_REG)
        g->busy &= ~((uint64_t)1 << o.idx);
}

/* The strides of an instruction's operands: a uniform value is one
 * element read for the whole block. */
static pa__strides block_strides(const expr_instr *in)
{
    ptrdiff_t s[3] = {1, 1, 1};
    for (int j = 0; j < in->nargs; j++)
        s[j] = in->a[j].kind == ED_UNI ? 0 : 1;
    return (pa__strides){.o = 1, .a = s[0], .b = s[1], .c = s[2]};
}

/* Emits the conversion `how` of operand *o from dtype from into dtype to,
 * and makes *o the converted value: a uniform one a new uniform value
 * (converted once per evaluation), a varying one a new register
 * (converted block by block). The destination is taken while *o is
 * still held, so that the two never overlap. */
static int convert(codegen *g, expr_conv how, pa_dtype from, pa_dtype to, int col, expr_opd *o)
{
    expr_instr in = {
        .op = EOP_COPY, .nargs = 1, .a = {*o}, .dtype = to, .conv = how, .from = from};
    int uniform = o->kind == ED_UNI, s;
    if (uniform) {
        PA_TRY(new_uni(g, -1, to, &s));
        in.dst = (expr_opd){ED_UNI, s};
    } else {
        PA_TRY(alloc_reg(g, col, &s));
        release(g, *o);
        in.dst = (expr_opd){ED_REG, s};
    }
    *o = in.dst;
    return emit(g, uniform, &in);
}

/* Node k's value *o, of its type's dtype, in the dtype its consumer
 * reads it in. */
static int coerce(codegen *g, int k, expr_opd *o)
{
    if (g->type[k].dtype == g->want[k])
        return PA_OK;
    return convert(g, EXPR_CONV_VALUE, g->type[k].dtype, g->want[k], g->e->nodes[k].col, o);
}

/* Operand *o, node k's value in the dtype want[k], as the condition of a
 * where() that computes in dtype d: 1 where it is not 0 (NaN included, as
 * numpy tests it), 0 elsewhere. A uniform condition is converted so once
 * per evaluation; a varying one is compared with 0 in its own dtype (the
 * zero is a uniform value that nothing writes, read with stride 0) unless
 * it is a bool already, and the bools are converted. */
static int condition(codegen *g, int k, pa_dtype d, expr_opd *o)
{
    pa_dtype c = g->want[k];
    int col = g->e->nodes[k].col, zero, r;
    if (o->kind == ED_UNI)
        return convert(g, EXPR_CONV_TRUTH, c, d, col, o);
    if (c != PA_BOOL) {
        PA_TRY(new_uni(g, -1, c, &zero));
        expr_instr ne = {.op = EOP_NE, .nargs = 2, .a = {*o, {ED_UNI, zero}}, .dtype = c};
        ne.st = block_strides(&ne);
        PA_TRY(pa__kernel_get(g->ctx, g->fn, PA__KOP_NE, c, 0, &ne.fn));
        PA_TRY(alloc_reg(g, col, &r));
        release(g, *o);
        ne.dst = *o = (expr_opd){ED_REG, r};
        PA_TRY(emit(g, 0, &ne));
    }
    return d == PA_BOOL ? PA_OK : convert(g, EXPR_CONV_VALUE, PA_BOOL, d, col, o);
}

/* The fused op of a varying node, or -1, and in *inner which of its
 * operands is a varying op of its own dtype that fuses with it into one
 * pass: a*b + c and c + a*b where the dtype has them, and (a - b) / c on
 * the floats (on Intel, where the division is slow, (x - mu) / sigma with
 * rows mu and sigma ran at 0.83-0.90x of the triad as a sub and a div,
 * and at 0.93-1.11x fused, which divides as soon as it loads). Complex products fuse
 * on Intel with the AVX-512 kernels only, and only where all three
 * operands vary (the line kernel's case): there a mul and an add apart ran
 * c128 a*b + c at 0.87x of the triad, and the fused kernel (kernels_template.h's
 * K_VLINE: the product within each pair of lanes, one pass) at
 * 0.89-0.92x. AMD, where the targets were met with the mul and the add,
 * keeps them, and so do the narrower tables and a scalar operand, whose
 * fused complex loop is gcc's, which ran slower than the two apart
 * (pa__kernel_lines). Every fused op's operands are the inner op's two,
 * then the outer op's other one. */
static int fused_op(const codegen *g, int node, int *inner)
{
    const expr_node *nd = &g->e->nodes[node];
    pa_dtype d = g->type[node].dtype;
    if (nd->kind != EN_OP || g->uniform[node])
        return -1;
    for (int j = 0; j < 2 && nd->nargs == 2; j++) {
        const expr_node *m = &g->e->nodes[nd->arg[j]];
        if (m->kind != EN_OP || g->uniform[nd->arg[j]] || g->type[nd->arg[j]].dtype != d)
            continue;
        *inner = j;
        if (nd->op == EOP_DIV && j == 0 && m->op == EOP_SUB && pa__kernel_has(PA__KOP_SUBDIV, d))
            return EOP_SUBDIV;
        if (nd->op == EOP_ADD && m->op == EOP_MUL && pa__kernel_has(PA__KOP_MULADD, d) &&
            (!pa__dtype_is_complex(d) ||
             (pa__cpu_is_intel() && pa__kernel_lines() && !g->uniform[nd->arg[1 - j]] &&
              !g->uniform[m->arg[0]] && !g->uniform[m->arg[1]])))
            return j == 0 ? EOP_MULADD : EOP_ADDMUL;
    }
    return -1;
}

/* The nodes whose value the program computes: the root; every operand of
 * a computed node, except that a fused product gives its own operands
 * instead; every node of a uniform subtree (a uniform value is computed
 * from its operands' uniform values). A child's index is below its
 * parent's, so one pass down from the root marks them all. */
static void mark_needed(const codegen *g, char *needed)
{
    const pa_expr *e = g->e;
    memset(needed, 0, (size_t)e->nnodes);
    needed[e->root] = 1;
    for (int k = e->root; k >= 0; k--) {
        const expr_node *nd = &e->nodes[k];
        if (!needed[k] || nd->kind != EN_OP)
            continue;
        int inner = -1, fused = fused_op(g, k, &inner);
        for (int j = 0; j < nd->nargs; j++) {
            const expr_node *m = &e->nodes[nd->arg[j]];
            if (fused >= 0 && j == inner)
                needed[m->arg[0]] = needed[m->arg[1]] = 1;
            else
                needed[nd->arg[j]] = 1;
        }
    }
}

/* The instruction of computed node k, whose operands' values are in
 * val[]: a uniform one into a new uniform slot, a varying one into a new
 * register. */
static int gen_node(codegen *g, int k, expr_opd *val)
{
    const expr_node *nd = &g->e->nodes[k];
    pa_dtype d = g->cdt[k];
    expr_instr in = {.op = nd->op, .nargs = nd->nargs, .dtype = d};
    int inner = -1, fused = fused_op(g, k, &inner);
    if (fused >= 0) {
        const expr_node *m = &g->e->nodes[nd->arg[inner]];
        in.op = (expr_op)fused;
        in.nargs = 3;
        in.a[0] = val[m->arg[0]];
        in.a[1] = val[m->arg[1]];
        in.a[2] = val[nd->arg[1 - inner]];
    } else {
        for (int j = 0; j < nd->nargs; j++)
            in.a[j] = val[nd->arg[j]];
    }
    if (nd->op == EOP_WHERE && g->want[nd->arg[0]] != d)
        PA_TRY(condition(g, nd->arg[0], d, &in.a[0]));
    PA_TRY(pa__kernel_get(g->ctx, g->fn, (pa__kop)in.op, d, 0, &in.fn));
    in.st = block_strides(&in);
    if (g->uniform[k]) {
        /* Run once per evaluation, at n = 1. */
        int s;
        PA_TRY(new_uni(g, -1, g->type[k].dtype, &s));
        in.dst = val[k] = (expr_opd){ED_UNI, s};
        return emit(g, 1, &in);
    }
    /* The destination is taken while the operands are still held, so it is
     * never one of them (the kernels allow that only at the same stride,
     * which a uniform operand's 0 is not). */
    int r;
    PA_TRY(alloc_reg(g, nd->col, &r));
    for (int j = 0; j < in.nargs; j++)
        release(g, in.a[j]);
    in.dst = val[k] = (expr_opd){ED_REG, r};
    return emit(g, 0, &in);
}

/* The program of the tree, in one pass over the nodes in index order
 * without recursion, so that a chain of any length compiles. The index
 * order is the parse's post-order (operands left to right, then the op),
 * the order in which a recursive walk would emit the instructions: a value
 * is held in its register from its instruction to its parent's, and a
 * left-deep chain such as x + x + ... + x needs two registers. Each value
 * is converted, right after it is made, into the dtype its consumer reads
 * it in. */
static int gen_tree(codegen *g, expr_opd *res)
{
    const pa_expr *e = g->e;
    expr_prog *p = g->p;
    char *needed = malloc((size_t)e->nnodes);
    expr_opd *val = malloc((size_t)e->nnodes * sizeof *val);
    int rc = needed && val ? PA_OK : pa__err(g->ctx, g->fn, PA_ENOMEM, "out of memory");
    if (rc == PA_OK)
        mark_needed(g, needed);
    for (int k = 0; rc == PA_OK && k <= e->root; k++) {
        const expr_node *nd = &e->nodes[k];
        if (!needed[k])
            continue;
        if (nd->kind == EN_OP) {
            rc = gen_node(g, k, val);
        } else if (g->uniform[k]) {
            int s;
            rc = new_uni(g, k, g->type[k].dtype, &s);
            val[k] = (expr_opd){ED_UNI, s};
        } else {
            int *slot = &g->in_slot[nd->name];
            if (*slot < 0) {
                *slot = p->nin++;
                p->in_name[*slot] = nd->name;
            }
            val[k] = (expr_opd){ED_IN, *slot};
        }
        if (rc == PA_OK)
            rc = coerce(g, k, &val[k]);
    }
    if (rc == PA_OK)
        *res = val[e->root];
    free(needed);
    free(val);
    return rc;
}

/* How a message names node nd's op: the operator as written ('&',
 * '<='), or the function's name. */
static const char *op_label(const pa_expr *e, const expr_node *nd, char *buf, size_t cap)
{
    const char *at = e->text + nd->col - 1;
    size_t n = strspn(at, "<>=!&|^~*/%+-");
    if (n == 0)
        return pa__expr_op_name(nd->op);
    snprintf(buf, cap, "'%.*s'", (int)(n < 2 ? n : 2), at);
    return buf;
}

/* The types (infer_types) and the dtypes the nodes compute in and are
 * read in. A node is read in its parent's dtype (a where()'s condition is
 * converted by condition() from its own, or from f64 when it is uniform);
 * the root in its own, or the output's when it is uniform. A uniform node
 * (numbers and scalars alone, weak) computes in the dtype it is read in,
 * as the numbers would before numpy's promotion existed: 2 ** -1 * x is
 * 0.5 * x for a float x; a number is loaded straight into that dtype,
 * with NEP 50's check that an integer fits. A uniform predicate keeps the
 * dtype it compares in and its bool value (converted where it is read).
 * Then the checks that depend on the dtypes: every op is defined on its
 * dtype, and the result casts into the output under same_kind. */
static int type_nodes(codegen *g)
{
    const pa_expr *e = g->e;
    pa_dtype od = g->p->dtype;
    infer_types(e, g->name_type, g->type, g->cdt);
    pa_dtype rd = g->type[e->root].dtype;
    for (int k = 0; k < e->nnodes; k++)
        g->want[k] = g->type[k].dtype;
    if (g->uniform[e->root])
        g->want[e->root] = od;
    /* Parents before children. */
    for (int k = e->nnodes - 1; k >= 0; k--) {
        const expr_node *nd = &e->nodes[k];
        /* An op whose result has another dtype than it computes in (a
         * comparison's bool, abs of a complex) keeps the dtype it computes in. */
        int retype = nd->kind == EN_OP &&
                     pa__kernel_result((pa__kop)nd->op, g->cdt[k]) != g->cdt[k];
        if (g->uniform[k] && !retype)
            g->type[k].dtype = g->cdt[k] = g->want[k];
        if (nd->kind != EN_OP)
            continue;
        char label[8];
        PA_CHECK_AS(g->ctx, g->fn, pa__kernel_has((pa__kop)nd->op, g->cdt[k]), PA_ENOTSUP,
                    "%s (column %d) is not defined for %s arrays (%s)",
                    op_label(e, nd, label, sizeof label), nd->col, pa_dtype_name(g->cdt[k]),
                    pa__kernel_hint((pa__kop)nd->op));
        for (int j = nd->op == EOP_WHERE; j < nd->nargs; j++)
            g->want[nd->arg[j]] = g->cdt[k];
        /* A uniform condition computes in the default float, which holds
         * every scalar (1e300 is a whole number, but no integer). */
        if (nd->op == EOP_WHERE && g->uniform[nd->arg[0]])
            g->want[nd->arg[0]] = pa__weak_type(0).dtype;
    }
    return pa__check_cast(g->ctx, g->fn, rd, od, e->out_name);
}

/* Builds g->p for the signature already stored in it. */
static int generate(codegen *g)
{
    const pa_expr *e = g->e;
    expr_prog *p = g->p;
    g->uniform = malloc((size_t)e->nnodes);
    g->type = malloc((size_t)e->nnodes * sizeof *g->type);
    g->cdt = malloc((size_t)e->nnodes * sizeof *g->cdt);
    g->want = malloc((size_t)e->nnodes * sizeof *g->want);
    g->in_slot = malloc((size_t)e->nnames * sizeof(int));
    p->in_name = malloc(((size_t)e->nnames + 1) * sizeof(int));
    if (!g->uniform || !g->type || !g->cdt || !g->want || !g->in_slot || !p->in_name)
        return pa__err(g->ctx, g->fn, PA_ENOMEM, "out of memory");
    for (int k = 0; k < e->nnames; k++)
        g->in_slot[k] = -1;
    /* Children come before their parents in e->nodes. */
    for (int k = 0; k < e->nnodes; k++) {
        const expr_node *nd = &e->nodes[k];
        if (nd->kind == EN_NUM)
            g->uniform[k] = 1;
        else if (nd->kind == EN_NAME)
            g->uniform[k] = !(p->array_mask >> nd->name & 1);
        else {
            g->uniform[k] = 1;
            for (int j = 0; j < nd->nargs; j++)
                g->uniform[k] &= g->uniform[nd->arg[j]];
        }
    }
    PA_TRY(type_nodes(g));
    expr_opd res;
    PA_TRY(gen_tree(g, &res));
    if (p->store == EXPR_STORE_SCALAR) {
        /* Scalars alone: the uniform section computes the value, in the
         * root's own dtype (the program's). */
        p->result_uni = res.idx;
        p->valid = 1;
        return PA_OK;
    }
    pa_dtype rd = g->want[e->root];
    if (rd != p->dtype)
        PA_TRY(convert(g, EXPR_CONV_VALUE, rd, p->dtype, 1, &res));
    if (res.kind != ED_REG) {
        /* A bare name or a uniform value: one copy instruction (a fill, with
         * the uniform value's stride 0). */
        int r;
        PA_TRY(alloc_reg(g, 1, &r));
        expr_instr in = {
            .op = EOP_COPY, .nargs = 1, .a = {res}, .dst = {ED_REG, r}, .dtype = p->dtype};
        in.st = block_strides(&in);
        PA_TRY(pa__kernel_get(g->ctx, g->fn, PA__KOP_COPY, p->dtype, 0, &in.fn));
        PA_TRY(emit(g, 0, &in));
    }
    expr_instr *last = &p->instr[p->ninstr - 1];
    if (last->conv) {
        /* The conversion into the output's dtype stores straight into the
         * output: its source is a register or an input of another dtype
         * (not the output), and it runs after every other read of the
         * block. */
        last->dst = (expr_opd){ED_IN, -1};
        p->final_reg = -1;
    } else if (p->store == EXPR_STORE_REG) {
        p->final_reg = last->dst.idx;
    } else {
        /* The last instruction stores straight into the output. */
        last->dst = (expr_opd){ED_IN, -1};
        PA_TRY(pa__kernel_get(g->ctx, g->fn, (pa__kop)last->op, last->dtype,
                              p->store == EXPR_STORE_STREAM, &last->fn));
        p->final_reg = -1;
    }
    p->widest = pa_dtype_size(p->dtype);
    for (int k = 0; k < p->ninstr; k++) {
        const expr_instr *I = &p->instr[k];
        size_t w = pa_dtype_size(I->conv ? I->from : I->dtype);
        if (pa_dtype_size(I->dtype) > w)
            w = pa_dtype_size(I->dtype);
        if (w > p->widest)
            p->widest = w;
    }
    p->valid = 1;
    return PA_OK;
}

/* The elements per block of p (expr.h): EXPR_BLK_BYTES of its widest
 * dtype, at least PA__KERNEL_BLK; PA__KERNEL_BLK with broadcast inputs. */
static size_t block_len(const expr_prog *p, int broadcast)
{
    size_t n = EXPR_BLK_BYTES / p->widest;
    return broadcast || n < PA__KERNEL_BLK ? PA__KERNEL_BLK : n;
}

/* ------------------------------------------------------------ evaluation */

/* Runs the program over n elements in blocks of blk: inputs in[slot] (ies[slot] bytes per
 * element) and output out (es bytes) all start at this rank's first
 * element, whose flat index in the output is g0. An input with a reader
 * src[slot] (a broadcast one) is read through it instead, block by block:
 * in place where its block lies contiguously (a row's repeated pattern),
 * else loaded into its block buffer lbuf[slot]. Returns the PA_OPERR_* bits. */
static int run(const expr_prog *p, size_t es, const size_t *ies, char *const *reg,
               char *const *in, const pa__bsrc *const *src, char *const *lbuf, char *out,
               size_t g0, size_t n, size_t blk)
{
    int err = 0;
    const char *cur[EXPR_MAXNAMES];
    for (size_t off = 0; off < n; off += blk) {
        size_t len = n - off < blk ? n - off : blk;
        for (int s = 0; s < p->nin; s++)
            cur[s] = src[s] ? pa__bsrc_read(src[s], g0 + off, len, lbuf[s])
                            : in[s] + off * ies[s];
        for (int k = 0; k < p->ninstr; k++) {
            const expr_instr *I = &p->instr[k];
            const void *x[3] = {NULL, NULL, NULL};
            for (int j = 0; j < I->nargs; j++) {
                expr_opd o = I->a[j];
                x[j] = o.kind == ED_REG  ? (const void *)reg[o.idx]
                       : o.kind == ED_IN ? (const void *)cur[o.idx]
                                         : (const void *)UNI(p, o.idx);
            }
            void *dst = I->dst.kind == ED_REG ? (void *)reg[I->dst.idx] : out + off * es;
            if (I->conv)
                pa__convert(dst, I->dtype, x[0], I->from, len);
            else
                err |= I->fn(dst, x[0], x[1], x[2], len, &I->st);
        }
        if (p->final_reg >= 0)
            memcpy(out + off * es, reg[p->final_reg], len * es);
    }
    return err;
}

/* 1 when an instruction of the blocks computes in an integer dtype, whose
 * division by zero is reported after the evaluation. */
static int has_int_ops(const expr_prog *p)
{
    for (int k = 0; k < p->ninstr; k++)
        if (!p->instr[k].conv && pa__dtype_is_int(p->instr[k].dtype))
            return 1;
    return 0;
}

/* The binding of a name, or NULL. */
static const pa_binding *find_binding(const pa_binding *bind, int nbind, const char *name)
{
    for (int i = 0; i < nbind; i++)
        if (strcmp(bind[i].name, name) == 0)
            return &bind[i];
    return NULL;
}

/* The uniform values of an evaluation: numbers and scalars loaded into
 * their dtypes (an integer must fit an integer dtype, as NEP 50 says),
 * then the uniform instructions in order. */
static int load_uniforms(const char *fn, const pa_expr *e, const pa_binding *const *nb)
{
    pa_ctx *ctx = e->ctx;
    const expr_prog *p = &e->prog;
    for (int s = 0; s < p->nuni; s++) {
        int node = p->uni_node[s];
        if (node < 0)
            continue;
        const expr_node *nd = &e->nodes[node];
        char label[64];
        double v;
        if (nd->kind == EN_NUM) {
            snprintf(label, sizeof label, "the number at column %d", nd->col);
            v = nd->num;
        } else {
            snprintf(label, sizeof label, "%s", e->names[nd->name]);
            v = nb[nd->name]->value;
        }
        PA_TRY(pa__scalar_to(ctx, fn, label, v, p->uni_dtype[s], 1, UNI(p, s)));
    }
    int err = 0;
    for (int k = 0; k < p->nuinstr; k++) {
        const expr_instr *I = &p->uinstr[k];
        const void *x[3] = {NULL, NULL, NULL};
        for (int j = 0; j < I->nargs; j++)
            x[j] = UNI(p, I->a[j].idx);
        if (I->conv == EXPR_CONV_TRUTH) {
            /* A condition (condition()): 1 where it is not 0. */
            double v;
            pa__dtypes[I->from].to_f64(&v, x[0], 1);
            pa__from_double(UNI(p, I->dst.idx), I->dtype, v != 0);
        } else if (I->conv == EXPR_CONV_VALUE) {
            /* A uniform predicate's bool, read in another dtype. */
            pa__convert(UNI(p, I->dst.idx), I->dtype, x[0], I->from, 1);
        } else {
            err |= I->fn(UNI(p, I->dst.idx), x[0], x[1], x[2], 1, &I->st);
        }
    }
    PA_CHECK_AS(ctx, fn, !(err & PA_OPERR_DIVZERO), PA_EINVAL,
                "integer division by zero in a constant part of the expression");
    PA_CHECK_AS(ctx, fn, !(err & PA_OPERR_NEGPOW), PA_EINVAL,
                "integer power with a negative exponent in a constant part of the expression");
    return PA_OK;
}

/* The checks of the bindings themselves (no name twice), and the binding
 * of each name e reads (nb), its type and its part of the program's
 * signature (sig, mask: which names are arrays). */
static int bind_names(const char *fn, const pa_expr *e, const pa_binding *bind, int nbind,
                      const pa_binding **nb, pa__type *name_type, unsigned char *sig,
                      uint64_t *mask)
{
    pa_ctx *ctx = e->ctx;
    PA_CHECK_AS(ctx, fn, nbind >= 0 && (bind || nbind == 0), PA_EINVAL,
                "bind is NULL with nbind = %d", nbind);
    for (int i = 0; i < nbind; i++) {
        PA_CHECK_AS(ctx, fn, bind[i].name, PA_EINVAL, "bind[%d].name is NULL", i);
        for (int j = 0; j < i; j++)
            PA_CHECK_AS(ctx, fn, strcmp(bind[i].name, bind[j].name) != 0, PA_EINVAL,
                        "name '%s' is bound twice (bind[%d] and bind[%d])", bind[i].name, j, i);
    }
    *mask = 0;
    for (int k = 0; k < e->nnames; k++) {
        nb[k] = find_binding(bind, nbind, e->names[k]);
        PA_CHECK_AS(ctx, fn, nb[k], PA_EINVAL, "name '%s' (column %d) is not bound", e->names[k],
                    e->name_col[k]);
        if (nb[k]->array) {
            *mask |= (uint64_t)1 << k;
            name_type[k] = pa__strong_type(nb[k]->array->dtype);
            sig[k] = (unsigned char)nb[k]->array->dtype;
        } else {
            name_type[k] = pa__scalar_type(nb[k]->value);
            sig[k] = (unsigned char)(PA_NDTYPES + !pa__dtype_is_int(name_type[k].dtype));
        }
    }
    return PA_OK;
}

/* e->prog for the signature of want (its dtype, array_mask, name_type,
 * out_read and store): the cached one when it matches, else a new one. */
static int program(const char *fn, pa_expr *e, const pa_binding *const *nb,
                   const pa__type *name_type, const expr_prog *want)
{
    expr_prog *p = &e->prog;
    size_t nsig = (size_t)e->nnames;
    if (p->valid && p->dtype == want->dtype && p->array_mask == want->array_mask &&
        memcmp(p->name_type, want->name_type, nsig) == 0 && p->out_read == want->out_read &&
        p->store == want->store)
        return PA_OK;
    pa__expr_prog_free(p);
    p->dtype = want->dtype;
    p->array_mask = want->array_mask;
    memcpy(p->name_type, want->name_type, nsig);
    p->out_read = want->out_read;
    p->store = want->store;
    codegen g = {.ctx = e->ctx, .fn = fn, .e = e, .p = p, .bind = nb, .name_type = name_type};
    int rc = generate(&g);
    free(g.uniform);
    free(g.type);
    free(g.cdt);
    free(g.want);
    free(g.in_slot);
    /* Zeroed: a condition's zero is a uniform value that nothing writes. */
    if (rc == PA_OK && !(p->uni = calloc((size_t)p->nuni + 1, sizeof(pa__elem))))
        rc = pa__err(e->ctx, fn, PA_ENOMEM, "out of memory");
    if (rc != PA_OK)
        pa__expr_prog_free(p);
    return rc;
}

/* Every check of an evaluation, then the program (from the cache when the
 * signature matches) and the uniform values. Writes nothing to any array. */
static int prepare(const char *fn, pa_expr *e, const pa_binding *bind, int nbind, pa_array **outp,
                   pa_array **ins)
{
    pa_ctx *ctx = e->ctx;
    const pa_binding *nb[EXPR_MAXNAMES];
    pa__type name_type[EXPR_MAXNAMES];
    expr_prog want = {0};
    PA_TRY(bind_names(fn, e, bind, nbind, nb, name_type, want.name_type, &want.array_mask));
    const pa_binding *ob = find_binding(bind, nbind, e->out_name);
    PA_CHECK_AS(ctx, fn, ob, PA_EINVAL, "the output '%s' (column %d) is not bound", e->out_name,
                e->out_col);
    PA_CHECK_AS(ctx, fn, ob->array, PA_EINVAL,
                "the output '%s' is bound to a scalar; it must be an array (create it with "
                "the inputs' shape and the result's dtype, or take the value of an "
                "expression of scalars alone with pa_expr_eval_scalar)",
                e->out_name);
    pa_array *out = ob->array;
    PA_CHECK_AS(ctx, fn, out->ctx == ctx, PA_EINVAL,
                "the output '%s' belongs to another context than the expression", e->out_name);
    const pa_array *ops[EXPR_MAXNAMES];
    const char *names[EXPR_MAXNAMES];
    int nops = 0;
    for (int k = 0; k < e->nnames; k++)
        if (nb[k]->array) {
            ops[nops] = nb[k]->array;
            names[nops++] = e->names[k];
            want.out_read |= nb[k]->array == out;
        }
    PA_TRY(pa__broadcast_check(fn, out, e->out_name, nops, ops, names));

    size_t lo, hi, es = out->part.elsize;
    pa__local_range(out, &lo, &hi);
    want.store = want.out_read                           ? EXPR_STORE_REG
                 : (hi - lo) * es >= PA_STREAM_MIN_BYTES ? EXPR_STORE_STREAM
                                                         : EXPR_STORE_DIRECT;
    want.dtype = out->dtype;
    PA_TRY(program(fn, e, nb, name_type, &want));
    PA_TRY(load_uniforms(fn, e, nb));

    /* The registers, then a block buffer per input for broadcast loads. */
    expr_prog *p = &e->prog;
    if (e->nregs < p->nreg + p->nin) {
        free(e->regs);
        e->nregs = 0;
        e->regs = aligned_alloc(PA_CACHE_LINE, (size_t)(p->nreg + p->nin) * EXPR_REG_BYTES);
        if (!e->regs)
            return pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        e->nregs = p->nreg + p->nin;
    }
    for (int s = 0; s < p->nin; s++)
        ins[s] = nb[p->in_name[s]]->array;
    *outp = out;
    return PA_OK;
}

static int eval(const char *fn, pa_expr *e, const pa_binding *bind, int nbind)
{
    pa_ctx *ctx = e->ctx;
    pa_array *out = NULL, *ins[EXPR_MAXNAMES];
    int rc = prepare(fn, e, bind, nbind, &out, ins);
    /* The checks are deterministic, but an allocation can fail on one rank:
     * agree before any rank starts to write or enters the node sync. */
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc != PA_OK)
        return rc;

    /* Inputs that are broadcast are read through readers, from replicated
     * copies where they are distributed but needed whole on every node. */
    const expr_prog *p = &e->prog;
    const pa_array *bin[EXPR_MAXNAMES];
    const char *bname[EXPR_MAXNAMES];
    pa_array *copy[EXPR_MAXNAMES];
    for (int s = 0; s < p->nin; s++) {
        bin[s] = pa__broadcast_same(out, ins[s]) ? NULL : ins[s];
        bname[s] = e->names[p->in_name[s]];
    }
    PA_TRY(pa__broadcast_prepare(fn, out, p->nin, bin, bname, copy));
    size_t lo, hi, es = out->part.elsize, ies[EXPR_MAXNAMES];
    pa__local_range(out, &lo, &hi);
    char *in[EXPR_MAXNAMES], *reg[PA_EXPR_MAXREG], *lbuf[EXPR_MAXNAMES];
    pa__bsrc bsrc[EXPR_MAXNAMES];
    const pa__bsrc *src[EXPR_MAXNAMES];
    int broadcast = 0;
    for (int s = 0; s < p->nin; s++) {
        in[s] = bin[s] ? NULL : (char *)pa__node_ptr(ins[s], lo);
        ies[s] = ins[s]->part.elsize;
        lbuf[s] = (char *)e->regs + (size_t)(p->nreg + s) * EXPR_REG_BYTES;
        src[s] = NULL;
        if (bin[s]) {
            broadcast = 1;
            pa__bsrc_init(out, copy[s] ? copy[s] : ins[s], &bsrc[s]);
            src[s] = &bsrc[s];
        }
    }
    for (int r = 0; r < p->nreg; r++)
        reg[r] = (char *)e->regs + (size_t)r * EXPR_REG_BYTES;
    int err = run(p, es, ies, reg, in, src, lbuf, pa__node_ptr(out, lo),
                  out->row0 * out->rowsize + lo, hi - lo, block_len(p, broadcast));
    for (int s = 0; s < p->nin; s++)
        if (bin[s]) {
            pa__bsrc_free(&bsrc[s]);
            pa_array_free(&copy[s]);
        }
    if (p->store == EXPR_STORE_STREAM)
        pa__stream_fence();
    if (has_int_ops(p)) {
        /* Integer division by zero happens on some ranks only. The output
         * is complete anyway (0 in those elements), so sync it first. */
        rc = err & PA_OPERR_DIVZERO
                 ? pa__err(
                       ctx, fn, PA_EINVAL,
                       "integer division by zero (in /, %%, mod or fmod): those elements are 0")
             : err & PA_OPERR_NEGPOW
                 ? pa__err(ctx, fn, PA_EINVAL,
                           "integer power with a negative exponent: those elements are 0")
                 : PA_OK;
        int rs = pa__array_sync(out);
        rc = pa__agree(ctx, ctx->comm, rc < 0 ? rc : rs);
        return rc;
    }
    /* The output's stores (the streaming ones fenced above) become visible
     * to every rank of the node. */
    return pa__array_sync(out);
}

int pa_expr_eval(pa_expr *e, const pa_binding *bind, int nbind)
{
    PA_CHECK(NULL, e, PA_EINVAL, "e is NULL");
    PA_COLLECTIVE(e->ctx, __func__, "'%s', %s", e->text, PA_CC_BIND(bind, nbind));
    return eval(__func__, e, bind, nbind);
}

int pa_eval(pa_ctx *ctx, const char *text, const pa_binding *bind, int nbind)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, __func__, "'%s', %s", PA_CC_STR(text), PA_CC_BIND(bind, nbind));
    pa_expr *e = NULL;
    PA_TRY(pa_expr_compile(ctx, text, &e));
    int rc = eval(__func__, e, bind, nbind);
    pa_expr_free(&e);
    return rc;
}

int pa_expr_eval_scalar(pa_expr *e, const pa_binding *bind, int nbind, pa_value *out)
{
    const char *fn = __func__;
    PA_CHECK(NULL, e && out, PA_EINVAL, "e and out must not be NULL");
    const pa_binding *nb[EXPR_MAXNAMES];
    pa__type name_type[EXPR_MAXNAMES];
    expr_prog want = {.store = EXPR_STORE_SCALAR};
    PA_TRY(bind_names(fn, e, bind, nbind, nb, name_type, want.name_type, &want.array_mask));
    for (int k = 0; k < e->nnames; k++)
        PA_CHECK_AS(e->ctx, fn, !nb[k]->array, PA_EINVAL,
                    "name '%s' (column %d) is bound to an array: an expression of scalars "
                    "alone has a 0-d value (evaluate one over arrays with pa_expr_eval)",
                    e->names[k], e->name_col[k]);
    PA_TRY(root_dtype(fn, e, name_type, &want.dtype));
    PA_TRY(program(fn, e, nb, name_type, &want));
    PA_TRY(load_uniforms(fn, e, nb));
    pa__value_of(out, want.dtype, UNI(&e->prog, e->prog.result_uni));
    return PA_OK;
}
