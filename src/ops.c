/* Element-wise ops: out = op(a), out = a op b, and the forms with a scalar
 * operand. The entry points check shapes and distributions, pick the
 * computing dtype by numpy's promotion (promote.h), run the kernel layer's
 * kernel of the op for that dtype over this rank's span (converting
 * operands of other dtypes tile by tile) and sync the node. Integer
 * division by zero is counted in the kernel and reported once, after every
 * rank has finished its span. */
#include <string.h>

#include "broadcast.h"
#include "collcheck.h"
#include "compute.h"
#include "kernels.h"
#include "promote.h"

/* ------------------------------------------------------------ kernels */

/* The public op enums list the ops in the order of the kernel ops
 * (kernels.h), so op is the kernel op PA__KOP_UNARY0 + op or
 * PA__KOP_BINARY0 + op.
 *
 * Runs op over this rank's n elements, out = op(a, b) with the operands'
 * strides st (1, or 0 for a scalar; b is NULL for a unary op), in one
 * kernel call (the kernels run every whole PA__KERNEL_BLK of it
 * vectorised). A large output that is not also an input is written with
 * streaming stores; an output that is an input is written in place with
 * ordinary ones (the kernels allow that at equal strides; a streaming
 * store would evict the line just read). The operands have dtype d, the
 * output the op's result dtype (pa__kernel_result). *err gets the
 * PA_OPERR_* bits. */
static int run_op(pa_ctx *ctx, const char *fn, pa__kop op, pa_dtype d, char *o, const char *a,
                  const char *b, const pa__strides *st, size_t n, int *err)
{
    size_t oes = pa_dtype_size(pa__kernel_result(op, d));
    int alias = (st->a && o == a) || (st->b && o == b);
    int stream = !alias && n * oes > PA_STREAM_MIN_BYTES;
    pa__kernel k;
    PA_TRY(pa__kernel_get(ctx, fn, op, d, stream, &k));
    *err = k(o, a, b, NULL, n, st);
    if (stream)
        pa__stream_fence();
    return PA_OK;
}

/* Operand j of one block of the output's flat indices [g, g + len): the
 * scalar sv (already in d, stride 0) when its reader is NULL; a constant
 * operand's one element with stride 0; else len elements, in place where
 * the reader finds them contiguous. An operand of dtype from is converted
 * into d in conv. */
static const void *block_operand(const pa__bsrc *s, const void *sv, pa_dtype from, pa_dtype d,
                                 size_t g, size_t len, pa__elem *raw, pa__elem *conv,
                                 ptrdiff_t *st)
{
    if (!s) {
        *st = 0;
        return sv;
    }
    *st = s->constant ? 0 : 1;
    size_t n = s->constant ? 1 : len;
    const void *p = s->constant ? pa__bsrc_piece(s) : pa__bsrc_read(s, g, len, raw);
    if (from == d)
        return p;
    pa__convert(conv, d, p, from, n);
    return conv;
}

/* run_op for operands that are broadcast, or whose dtype or the output's
 * differs from the computing dtype d: block by block, the kernels'
 * vectorised trip count, each array operand x, y (in the kernel's order;
 * NULL for the scalar sv, already in d, or for a unary op's missing b) is
 * read through its reader (broadcast.h) and converted into d where its
 * dtype differs; the kernel writes the output in place when it has the
 * result's dtype and is no operand, else a buffer that is converted into
 * it. No temporary is larger than a block. *err gets the PA_OPERR_* bits. */
static int run_blocks(pa_ctx *ctx, const char *fn, pa__kop op, pa_dtype d, pa_array *out,
                      const pa_array *x, const pa_array *y, const void *sv, int *err)
{
    const pa_array *arr[2] = {x, y};
    int nargs = pa__kernel_arity(op);
    pa__bsrc src[2];
    pa__kernel k;
    PA_TRY(pa__kernel_get(ctx, fn, op, d, 0, &k));
    for (int j = 0; j < nargs; j++)
        if (arr[j])
            pa__bsrc_init(out, arr[j], &src[j]);
    pa_dtype rd = pa__kernel_result(op, d);
    int direct = out->dtype == rd && out != x && out != y;
    size_t lo, hi, g0 = out->row0 * out->rowsize;
    pa__local_range(out, &lo, &hi);
    *err = 0;
    for (size_t off = lo; off < hi; off += PA__KERNEL_BLK) {
        size_t len = hi - off < PA__KERNEL_BLK ? hi - off : PA__KERNEL_BLK;
        pa__elem raw[2][PA__KERNEL_BLK], conv[2][PA__KERNEL_BLK], to[PA__KERNEL_BLK];
        const void *p[2] = {NULL, NULL};
        ptrdiff_t st[2] = {0, 0};
        for (int j = 0; j < nargs; j++)
            p[j] = block_operand(arr[j] ? &src[j] : NULL, sv, arr[j] ? arr[j]->dtype : d, d,
                                 g0 + off, len, raw[j], conv[j], &st[j]);
        pa__strides bst = {.o = 1, .a = st[0], .b = st[1]};
        char *o = pa__node_ptr(out, off);
        *err |= k(direct ? (void *)o : (void *)to, p[0], p[1], NULL, len, &bst);
        if (!direct)
            pa__convert(o, out->dtype, to, rd, len);
    }
    for (int j = 0; j < nargs; j++)
        if (arr[j])
            pa__bsrc_free(&src[j]);
    return PA_OK;
}

#define OK_ENTRY(N, n, ok, F, I) [PA_OP_##N] = PA__OP_INT_##ok,
static const char un_int_ok[PA_NUNARY] = {PA_UNARY_OPS(OK_ENTRY)};
static const char bin_int_ok[PA_NBINARY] = {PA_BINARY_OPS(OK_ENTRY)};

#define NAME_ENTRY(N, n) [PA_OP_##N] = #n,
static const char *const un_names[PA_NUNARY] = {PA_UNARY_LIST(NAME_ENTRY)};
static const char *const bin_names[PA_NBINARY] = {PA_BINARY_LIST(NAME_ENTRY)};

/* Every op of the public lists is the kernel op at its position: the
 * lists have equal lengths, and each op of opdefs.h's lists is a public
 * op at the same position. */
#define COUNT(...) +1
_Static_assert(0 PA_UNARY_OPS(COUNT) == PA_NUNARY, "opdefs.h and PA_UNARY_LIST differ");
_Static_assert(0 PA_BINARY_OPS(COUNT) == PA_NBINARY, "opdefs.h and PA_BINARY_LIST differ");
#define SAME_POSITION(FIRST, N)                                                                  \
    _Static_assert((int)PA__KOP_##N - (int)FIRST == (int)PA_OP_##N,                              \
                   "opdefs.h lists " #N " at another position than the public list");
#define SAME_POSITION_UN(N, ...) SAME_POSITION(PA__KOP_UNARY0, N)
#define SAME_POSITION_BIN(N, ...) SAME_POSITION(PA__KOP_BINARY0, N)
PA_UNARY_OPS(SAME_POSITION_UN)
PA_BINARY_OPS(SAME_POSITION_BIN)

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
    PA_CHECK(ctx, (int)op >= 0 && op < PA_NUNARY, PA_EINVAL, "op %d is not a unary op", (int)op);
    pa__kop kop = (pa__kop)(PA__KOP_UNARY0 + (int)op);
    PA_CHECK(ctx, pa__kernel_has(kop, a->dtype), PA_ENOTSUP, "%s is not defined for %s (%s)",
             un_names[op], pa_dtype_name(a->dtype), pa__kernel_hint(kop));
    pa_dtype rd = pa__kernel_result(kop, a->dtype);
    PA_TRY(pa__check_cast(ctx, __func__, rd, out->dtype, "out"));
    static const pa__strides st = {.o = 1, .a = 1};
    int err;
    if (out->dtype != rd) {
        PA_TRY(run_blocks(ctx, __func__, kop, a->dtype, out, a, NULL, NULL, &err));
    } else {
        size_t lo, hi;
        pa__local_range(out, &lo, &hi);
        PA_TRY(run_op(ctx, __func__, kop, a->dtype, pa__node_ptr(out, lo), pa__node_ptr(a, lo),
                      NULL, &st, hi - lo, &err));
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
    const pa_array *ops[2] = {a, b};
    static const char *const names[2] = {"a", "b"};
    int nops = form == 0 ? 2 : 1;
    PA_TRY(pa__broadcast_check(fn, out, "out", nops, ops, names));
    pa_ctx *ctx = out->ctx;
    PA_CHECK_AS(ctx, fn, (int)op >= 0 && op < PA_NBINARY, PA_EINVAL, "op %d is not a binary op",
                (int)op);
    pa_dtype d = pa__promote(pa__strong_type(a->dtype),
                             form == 0 ? pa__strong_type(b->dtype) : pa__scalar_type(s))
                     .dtype;
    int is_int = pa__dtype_is_int(d);
    pa__kop kop = (pa__kop)(PA__KOP_BINARY0 + (int)op);
    PA_CHECK_AS(ctx, fn, pa__kernel_has(kop, d), PA_ENOTSUP, "%s is not defined for %s (%s)",
                bin_names[op], pa_dtype_name(d), pa__kernel_hint(kop));
    pa_dtype rd = pa__kernel_result(kop, d);
    PA_TRY(pa__check_cast(ctx, fn, rd, out->dtype, "out"));
    pa__elem sv;
    if (form != 0)
        PA_TRY(pa__scalar_to(ctx, fn, "s", s, d, 1, &sv));

    /* The operands in order, with the scalar's stride 0. */
    static const pa__strides forms[3] = {
        {.o = 1, .a = 1, .b = 1}, {.o = 1, .a = 1, .b = 0}, {.o = 1, .a = 0, .b = 1}};
    const pa_array *y = form == 0 ? b : NULL; /* NULL: the scalar */
    int err, same = pa__broadcast_same(out, a) && (!y || pa__broadcast_same(out, y));
    if (same && out->dtype == rd && a->dtype == d && (!y || y->dtype == d)) {
        size_t lo, hi;
        pa__local_range(out, &lo, &hi);
        const char *x = pa__node_ptr(a, lo);
        const char *yp = y ? (const char *)pa__node_ptr(y, lo) : (const char *)&sv;
        PA_TRY(run_op(ctx, fn, kop, d, pa__node_ptr(out, lo), form == 2 ? yp : x,
                      form == 2 ? x : yp, &forms[form], hi - lo, &err));
    } else {
        /* Broadcast operands that must be whole on every node and are
         * distributed are read from replicated copies. */
        pa_array *copy[2] = {NULL, NULL};
        if (!same)
            PA_TRY(pa__broadcast_prepare(fn, out, nops, ops, names, copy));
        const pa_array *xa = copy[0] ? copy[0] : a, *ya = copy[1] ? copy[1] : y;
        int rb = run_blocks(ctx, fn, kop, d, out, form == 2 ? NULL : xa, form == 2 ? xa : ya, &sv,
                            &err);
        pa_array_free(&copy[0]);
        pa_array_free(&copy[1]);
        PA_TRY(rb);
    }
    /* Publishes every rank's span of out to the node's ranks. */
    int rc = pa__array_sync(out);
    /* Only integer div, fmod, mod and pow can fail, and the decision to
     * agree is the same on every rank (it depends on the arguments only). */
    if (is_int && (op == PA_OP_DIV || op == PA_OP_FMOD || op == PA_OP_MOD || op == PA_OP_POW)) {
        if (rc == PA_OK && (err & PA_OPERR_DIVZERO))
            rc = pa__err(ctx, fn, PA_EINVAL, "integer %s by zero (%s): those elements are 0",
                         op == PA_OP_DIV ? "division" : bin_names[op], pa_dtype_name(d));
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
