/* Element-wise ops: out = op(a), out = a op b, and the forms with a scalar
 * operand. The entry points check shapes and distributions, pick the
 * computing dtype by numpy's promotion (promote.h), run the expressions'
 * kernel of the op over this rank's span (converting operands of other
 * dtypes tile by tile) and sync the node. Integer division by zero is
 * counted in the kernel and reported once, after every rank has finished
 * its span. */
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "expr.h"
#include "promote.h"

/* ------------------------------------------------------------ kernels */

/* The kernels are the expressions' (expr_eval.c): opdefs.h's ops, built
 * per dtype for the best instruction set this CPU runs, with a streaming
 * form. The public op enums list the ops in the order of the expression
 * opcodes (expr.h), so op maps to EOP_UNARY0 + op or EOP_BINARY0 + op.
 *
 * Runs kernel form `form` of op over this rank's n elements: x is the
 * array operand and y the second one (an array, or for F_VS and F_SV the
 * scalar; for F_SV the kernel takes the scalar first). A large output that
 * is not also an input is written in one pass of streaming stores; else
 * block by block, the kernels' vectorised trip count, and through a
 * buffer when the output is an input (the kernels' pointers are
 * restrict). Returns the PA_OPERR_* bits. */
static int run_op(pa_dtype d, expr_op op, int form, char *o, const char *x, const char *y,
                  size_t n)
{
    size_t es = pa_dtype_size(d);
    int alias = o == x || (form == F_VV && o == y);
    const char *sv = form == F_SV ? y : NULL; /* the scalar, first for F_SV */
    if (!alias && n * es > PA_STREAM_MIN_BYTES) {
        int err = pa__expr_kernel(d, op, form, 1)(o, sv ? sv : x, sv ? x : y, NULL, n);
        pa__stream_fence();
        return err;
    }
    expr_kernel k = pa__expr_kernel(d, op, form, 0);
    pa__elem buf[EXPR_BLK];
    int err = 0;
    for (size_t off = 0; off < n; off += EXPR_BLK) {
        size_t len = n - off < EXPR_BLK ? n - off : EXPR_BLK;
        const char *xa = x + off * es;
        const char *yb = form == F_VV ? y + off * es : y;
        void *dst = alias ? (void *)buf : (void *)(o + off * es);
        err |= k(dst, sv ? sv : xa, sv ? xa : yb, NULL, len);
        if (alias)
            memcpy(o + off * es, buf, len * es);
    }
    return err;
}

/* Elements per tile of run_converted: three tiles of the widest dtype
 * stay in L1 with room to spare. */
#define TILE (4 * EXPR_BLK)

/* The operand a at element off of the node block, in dtype d: in place
 * when a has that dtype, else len elements converted into buf. */
static const char *tile_in(const pa_array *a, size_t off, size_t len, pa_dtype d, pa__elem *buf)
{
    if (a->dtype == d)
        return pa__node_ptr(a, off);
    pa__convert(buf, d, pa__node_ptr(a, off), a->dtype, len);
    return (const char *)buf;
}

/* run_op when an operand or the output has another dtype than the
 * computing dtype d: tile by tile, the array operands a and b (b only for
 * F_VV) are converted into d where their dtype differs, the kernel runs,
 * and its result is converted into out where out's dtype differs, so no
 * temporary is larger than a tile and a dtype that matches is never
 * copied. sv is the scalar of F_VS and F_SV, already in d. Returns the
 * PA_OPERR_* bits. */
static int run_converted(pa_dtype d, expr_op op, int form, pa_array *out, const pa_array *a,
                         const pa_array *b, const void *sv)
{
    pa__elem ta[TILE], tb[TILE], to[TILE];
    size_t lo, hi;
    pa__local_range(out, &lo, &hi);
    int err = 0;
    for (size_t off = lo; off < hi; off += TILE) {
        size_t len = hi - off < TILE ? hi - off : TILE;
        const char *x = tile_in(a, off, len, d, ta);
        const char *y = form == F_VV ? tile_in(b, off, len, d, tb) : (const char *)sv;
        char *o = out->dtype == d ? (char *)pa__node_ptr(out, off) : (char *)to;
        err |= run_op(d, op, form, o, x, y, len);
        if (out->dtype != d)
            pa__convert(pa__node_ptr(out, off), out->dtype, to, d, len);
    }
    return err;
}

#define OK_ENTRY(N, n, ok, F, I) [PA_OP_##N] = ok,
static const char un_int_ok[PA_NUNARY] = {PA_UNARY_OPS(OK_ENTRY)};
static const char bin_int_ok[PA_NBINARY] = {PA_BINARY_OPS(OK_ENTRY)};

#define NAME_ENTRY(N, n) [PA_OP_##N] = #n,
static const char *const un_names[PA_NUNARY] = {PA_UNARY_LIST(NAME_ENTRY)};
static const char *const bin_names[PA_NBINARY] = {PA_BINARY_LIST(NAME_ENTRY)};

/* Every op of the public lists has a kernel: the lists have equal lengths
 * (and the designated initialisers above fail to compile on a name that
 * is not in the public enum), and the expression opcodes list them in the
 * same order. */
#define COUNT(...) +1
_Static_assert(0 PA_UNARY_OPS(COUNT) == PA_NUNARY, "opdefs.h and PA_UNARY_LIST differ");
_Static_assert(0 PA_BINARY_OPS(COUNT) == PA_NBINARY, "opdefs.h and PA_BINARY_LIST differ");
_Static_assert(EOP_BINARY0 - EOP_UNARY0 == PA_NUNARY && EOP_LT - EOP_BINARY0 == PA_NBINARY,
               "the expression opcodes do not follow PA_UNARY_LIST and PA_BINARY_LIST");

/* ------------------------------------------------------------ names */

const char *pa_unary_name(pa_unary_op op)
{
    return (int)op >= 0 && op < PA_NUNARY ? un_names[op] : "?";
}

const char *pa_binary_name(pa_binary_op op)
{
    return (int)op >= 0 && op < PA_NBINARY ? bin_names[op] : "?";
}

int pa_unary_parse(const char *name, pa_unary_op *op)
{
    PA_CHECK(NULL, name && op, PA_EINVAL, "name and op must not be NULL");
    for (int i = 0; i < PA_NUNARY; i++)
        if (strcmp(name, un_names[i]) == 0) {
            *op = (pa_unary_op)i;
            return PA_OK;
        }
    return pa__err(NULL, __func__, PA_EINVAL, "unknown unary op '%s'", name);
}

int pa_binary_parse(const char *name, pa_binary_op *op)
{
    PA_CHECK(NULL, name && op, PA_EINVAL, "name and op must not be NULL");
    for (int i = 0; i < PA_NBINARY; i++)
        if (strcmp(name, bin_names[i]) == 0) {
            *op = (pa_binary_op)i;
            return PA_OK;
        }
    return pa__err(NULL, __func__, PA_EINVAL, "unknown binary op '%s'", name);
}

int pa_unary_int_ok(pa_unary_op op)
{
    return (int)op >= 0 && op < PA_NUNARY && un_int_ok[op];
}

int pa_binary_int_ok(pa_binary_op op)
{
    return (int)op >= 0 && op < PA_NBINARY && bin_int_ok[op];
}

/* ------------------------------------------------------------ entry points */

int pa_unary(pa_array *out, pa_unary_op op, const pa_array *a)
{
    PA_TRY(pa__check_array(__func__, out, "out"));
    PA_COLLECTIVE(out->ctx, __func__, "%s, %s, %s", PA_CC_ARRAY(out), pa_unary_name(op),
                  PA_CC_ARRAY(a));
    PA_TRY(pa__check_match(__func__, out, "out", a, "a", 0));
    pa_ctx *ctx = out->ctx;
    PA_CHECK(ctx, (int)op >= 0 && op < PA_NUNARY, PA_EINVAL, "op %d is not a unary op",
             (int)op);
    PA_CHECK(ctx, !pa__dtype_is_int(a->dtype) || un_int_ok[op], PA_ENOTSUP,
             "%s is not defined for %s (convert with pa_astype to f64 or f32)", un_names[op],
             pa_dtype_name(a->dtype));
    PA_TRY(pa__check_cast(ctx, __func__, a->dtype, out->dtype, "out"));
    expr_op eop = (expr_op)(EOP_UNARY0 + (int)op);
    if (out->dtype != a->dtype) {
        run_converted(a->dtype, eop, F_V, out, a, NULL, NULL);
    } else {
        size_t lo, hi;
        pa__local_range(out, &lo, &hi);
        run_op(a->dtype, eop, F_V, pa__node_ptr(out, lo), pa__node_ptr(a, lo), NULL, hi - lo);
    }
    /* Publishes every rank's span of out to the node's ranks. */
    return pa__array_sync(out);
}

/* The binary forms. form: 0 a op b, 1 a op s, 2 s op a (then a is the
 * array operand and s is in *s). The op computes in the dtype that
 * numpy's promotion gives a and b (or a and the weak scalar s). */
static int binary(const char *fn, pa_array *out, pa_binary_op op, const pa_array *a,
                  const pa_array *b, double s, int form)
{
    PA_TRY(pa__check_array(fn, out, "out"));
    PA_COLLECTIVE(out->ctx, fn, "%s, %s, %s, %s, %.17g", PA_CC_ARRAY(out), pa_binary_name(op),
                  PA_CC_ARRAY(a), PA_CC_ARRAY(b), form ? s : 0.0);
    PA_TRY(pa__check_match(fn, out, "out", a, "a", 0));
    if (form == 0)
        PA_TRY(pa__check_match(fn, a, "a", b, "b", 0));
    pa_ctx *ctx = out->ctx;
    PA_CHECK_AS(ctx, fn, (int)op >= 0 && op < PA_NBINARY, PA_EINVAL,
                "op %d is not a binary op", (int)op);
    pa_dtype d = pa__promote(pa__strong_type(a->dtype),
                             form == 0 ? pa__strong_type(b->dtype) : pa__scalar_type(s))
                     .dtype;
    int is_int = pa__dtype_is_int(d);
    PA_CHECK_AS(ctx, fn, !is_int || bin_int_ok[op], PA_ENOTSUP,
                "%s is not defined for %s (convert with pa_astype to f64 or f32)",
                bin_names[op], pa_dtype_name(d));
    PA_TRY(pa__check_cast(ctx, fn, d, out->dtype, "out"));
    pa__elem sv;
    if (form != 0)
        PA_TRY(pa__scalar_to(ctx, fn, "s", s, d, 1, &sv));

    static const int forms[3] = {F_VV, F_VS, F_SV};
    expr_op eop = (expr_op)(EOP_BINARY0 + (int)op);
    int err;
    if (out->dtype != d || a->dtype != d || (form == 0 && b->dtype != d)) {
        err = run_converted(d, eop, forms[form], out, a, b, &sv);
    } else {
        size_t lo, hi;
        pa__local_range(out, &lo, &hi);
        err = run_op(d, eop, forms[form], pa__node_ptr(out, lo), pa__node_ptr(a, lo),
                     form == 0 ? (const char *)pa__node_ptr(b, lo) : (const char *)&sv, hi - lo);
    }
    /* Publishes every rank's span of out to the node's ranks. */
    int rc = pa__array_sync(out);
    /* Only integer div, fmod and pow can fail, and the decision to agree
     * is the same on every rank (it depends on the arguments only). */
    if (is_int && (op == PA_OP_DIV || op == PA_OP_FMOD || op == PA_OP_POW)) {
        if (rc == PA_OK && (err & PA_OPERR_DIVZERO))
            rc = pa__err(ctx, fn, PA_EINVAL, "integer %s by zero (%s): those elements are 0",
                         op == PA_OP_FMOD ? "fmod" : "division", pa_dtype_name(d));
        else if (rc == PA_OK && (err & PA_OPERR_NEGPOW))
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "integer pow with a negative exponent (%s): those elements are 0",
                         pa_dtype_name(d));
        rc = pa__agree(ctx, ctx->comm, rc);
    }
    return rc;
}

int pa_binary(pa_array *out, pa_binary_op op, const pa_array *a, const pa_array *b)
{
    return binary(__func__, out, op, a, b, 0.0, 0);
}

int pa_binary_scalar(pa_array *out, pa_binary_op op, const pa_array *a, double s)
{
    return binary(__func__, out, op, a, NULL, s, 1);
}

int pa_scalar_binary(pa_array *out, pa_binary_op op, double s, const pa_array *a)
{
    return binary(__func__, out, op, a, NULL, s, 2);
}
