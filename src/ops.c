/* Element-wise ops: out = op(a), out = a op b, and the forms with a scalar
 * operand. The kernels are instantiated from the op lists of opdefs.h for
 * every dtype; the entry points check shapes, distributions and dtypes,
 * run the kernel over this rank's span and sync the node. Integer
 * division by zero is counted in the kernel and reported once, after
 * every rank has finished its span. */
#include <string.h>

#include "compute.h"

/* ------------------------------------------------------------ kernels */

/* T and U are typedefs in each kernel, the names the opdefs.h expressions
 * use; U is unused in the float kernels. */
#define UN_FN(DT, TT, UU, isint, NAME, name, ok, F, I)                                \
    static int un_##DT##_##name(void *out, const void *a, size_t n)                  \
    {                                                                                \
        typedef TT T;                                                                \
        typedef UU U __attribute__((unused));                                        \
        T *o = out;                                                                  \
        const T *p = a;                                                              \
        int err = 0;                                                                 \
        for (size_t i = 0; i < n; i++) {                                             \
            T x = p[i];                                                              \
            (void)x;                                                                 \
            o[i] = PA_SEL(isint, F, I);                                              \
        }                                                                            \
        return err;                                                                  \
    }

/* Three loops per op: array-array, array-scalar, scalar-array. */
#define BIN_FN(DT, TT, UU, isint, NAME, name, ok, F, I)                               \
    static int bin_##DT##_##name(void *out, const void *a, const void *b, size_t n)  \
    {                                                                                \
        typedef TT T;                                                                \
        typedef UU U __attribute__((unused));                                        \
        T *o = out;                                                                  \
        const T *p = a, *q = b;                                                      \
        int err = 0;                                                                 \
        for (size_t i = 0; i < n; i++) {                                             \
            T x = p[i], y = q[i];                                                    \
            (void)x, (void)y;                                                        \
            o[i] = PA_SEL(isint, F, I);                                              \
        }                                                                            \
        return err;                                                                  \
    }                                                                                \
    static int bins_##DT##_##name(void *out, const void *a, const void *b, size_t n) \
    {                                                                                \
        typedef TT T;                                                                \
        typedef UU U __attribute__((unused));                                        \
        T *o = out;                                                                  \
        const T *p = a, y = *(const T *)b;                                           \
        int err = 0;                                                                 \
        for (size_t i = 0; i < n; i++) {                                             \
            T x = p[i];                                                              \
            (void)x, (void)y;                                                        \
            o[i] = PA_SEL(isint, F, I);                                              \
        }                                                                            \
        return err;                                                                  \
    }                                                                                \
    static int sbin_##DT##_##name(void *out, const void *a, const void *b, size_t n) \
    {                                                                                \
        typedef TT T;                                                                \
        typedef UU U __attribute__((unused));                                        \
        T *o = out;                                                                  \
        const T x = *(const T *)a, *q = b;                                           \
        int err = 0;                                                                 \
        for (size_t i = 0; i < n; i++) {                                             \
            T y = q[i];                                                              \
            (void)x, (void)y;                                                        \
            o[i] = PA_SEL(isint, F, I);                                              \
        }                                                                            \
        return err;                                                                  \
    }

/* One adapter per dtype, since an X-macro entry carries only the op. */
#define UN_F64(N, n, ok, F, I) UN_FN(F64, double, double, 0, N, n, ok, F, I)
#define UN_F32(N, n, ok, F, I) UN_FN(F32, float, float, 0, N, n, ok, F, I)
#define UN_I64(N, n, ok, F, I) UN_FN(I64, int64_t, uint64_t, 1, N, n, ok, F, I)
#define UN_I32(N, n, ok, F, I) UN_FN(I32, int32_t, uint32_t, 1, N, n, ok, F, I)
#define UN_U8(N, n, ok, F, I) UN_FN(U8, uint8_t, uint8_t, 1, N, n, ok, F, I)
#define BIN_F64(N, n, ok, F, I) BIN_FN(F64, double, double, 0, N, n, ok, F, I)
#define BIN_F32(N, n, ok, F, I) BIN_FN(F32, float, float, 0, N, n, ok, F, I)
#define BIN_I64(N, n, ok, F, I) BIN_FN(I64, int64_t, uint64_t, 1, N, n, ok, F, I)
#define BIN_I32(N, n, ok, F, I) BIN_FN(I32, int32_t, uint32_t, 1, N, n, ok, F, I)
#define BIN_U8(N, n, ok, F, I) BIN_FN(U8, uint8_t, uint8_t, 1, N, n, ok, F, I)

PA_UNARY_OPS(UN_F64)
PA_UNARY_OPS(UN_F32)
PA_UNARY_OPS(UN_I64)
PA_UNARY_OPS(UN_I32)
PA_UNARY_OPS(UN_U8)
PA_BINARY_OPS(BIN_F64)
PA_BINARY_OPS(BIN_F32)
PA_BINARY_OPS(BIN_I64)
PA_BINARY_OPS(BIN_I32)
PA_BINARY_OPS(BIN_U8)

/* Tables by [dtype][op], with designated initialisers so that the order of
 * opdefs.h need not match the public enums (the names must). */
#define UN_ENTRY(DT, N, n) [PA_OP_##N] = un_##DT##_##n,
#define UN_E_F64(N, n, ok, F, I) UN_ENTRY(F64, N, n)
#define UN_E_F32(N, n, ok, F, I) UN_ENTRY(F32, N, n)
#define UN_E_I64(N, n, ok, F, I) UN_ENTRY(I64, N, n)
#define UN_E_I32(N, n, ok, F, I) UN_ENTRY(I32, N, n)
#define UN_E_U8(N, n, ok, F, I) UN_ENTRY(U8, N, n)
static const pa_unary_kernel un_table[PA_NDTYPES][PA_NUNARY] = {
    [PA_F64] = {PA_UNARY_OPS(UN_E_F64)}, [PA_F32] = {PA_UNARY_OPS(UN_E_F32)},
    [PA_I64] = {PA_UNARY_OPS(UN_E_I64)}, [PA_I32] = {PA_UNARY_OPS(UN_E_I32)},
    [PA_U8] = {PA_UNARY_OPS(UN_E_U8)},
};

#define BIN_ENTRY(pfx, DT, N, n) BIN_ENTRY2(pfx, DT, N, n) /* expands PFX first */
#define BIN_ENTRY2(pfx, DT, N, n) [PA_OP_##N] = pfx##_##DT##_##n,
#define BIN_E_F64(N, n, ok, F, I) BIN_ENTRY(PFX, F64, N, n)
#define BIN_E_F32(N, n, ok, F, I) BIN_ENTRY(PFX, F32, N, n)
#define BIN_E_I64(N, n, ok, F, I) BIN_ENTRY(PFX, I64, N, n)
#define BIN_E_I32(N, n, ok, F, I) BIN_ENTRY(PFX, I32, N, n)
#define BIN_E_U8(N, n, ok, F, I) BIN_ENTRY(PFX, U8, N, n)
#define BIN_ROWS                                                                      \
    {                                                                                 \
        [PA_F64] = {PA_BINARY_OPS(BIN_E_F64)}, [PA_F32] = {PA_BINARY_OPS(BIN_E_F32)}, \
        [PA_I64] = {PA_BINARY_OPS(BIN_E_I64)}, [PA_I32] = {PA_BINARY_OPS(BIN_E_I32)}, \
        [PA_U8] = {PA_BINARY_OPS(BIN_E_U8)},                                          \
    }
static const pa_binary_kernel bin_table[3][PA_NDTYPES][PA_NBINARY] = {
#define PFX bin
    BIN_ROWS,
#undef PFX
#define PFX bins
    BIN_ROWS,
#undef PFX
#define PFX sbin
    BIN_ROWS,
#undef PFX
};

#define OK_ENTRY(N, n, ok, F, I) [PA_OP_##N] = ok,
static const char un_int_ok[PA_NUNARY] = {PA_UNARY_OPS(OK_ENTRY)};
static const char bin_int_ok[PA_NBINARY] = {PA_BINARY_OPS(OK_ENTRY)};

#define NAME_ENTRY(N, n) [PA_OP_##N] = #n,
static const char *const un_names[PA_NUNARY] = {PA_UNARY_LIST(NAME_ENTRY)};
static const char *const bin_names[PA_NBINARY] = {PA_BINARY_LIST(NAME_ENTRY)};

/* Every op of the public lists has a kernel: the lists have equal lengths
 * (and the designated initialisers above fail to compile on a name that
 * is not in the public enum). */
#define COUNT(...) +1
_Static_assert(0 PA_UNARY_OPS(COUNT) == PA_NUNARY, "opdefs.h and PA_UNARY_LIST differ");
_Static_assert(0 PA_BINARY_OPS(COUNT) == PA_NBINARY, "opdefs.h and PA_BINARY_LIST differ");

pa_unary_kernel pa__unary_kernel(pa_unary_op op, pa_dtype d)
{
    return un_table[d][op];
}

pa_binary_kernel pa__binary_kernel(pa_binary_op op, pa_dtype d, int form)
{
    return bin_table[form][d][op];
}

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
    PA_TRY(pa__check_match(__func__, out, "out", a, "a", 1));
    pa_ctx *ctx = out->ctx;
    PA_CHECK(ctx, (int)op >= 0 && op < PA_NUNARY, PA_EINVAL, "op %d is not a unary op",
             (int)op);
    PA_CHECK(ctx, !pa__dtype_is_int(a->dtype) || un_int_ok[op], PA_ENOTSUP,
             "%s is not defined for %s (convert with pa_astype to f64 or f32)", un_names[op],
             pa_dtype_name(a->dtype));
    size_t lo, hi;
    pa__local_range(out, &lo, &hi);
    un_table[a->dtype][op](pa__node_ptr(out, lo), pa__node_ptr(a, lo), hi - lo);
    /* Publishes every rank's span of out to the node's ranks. */
    return pa__array_sync(out);
}

/* The binary forms. form: 0 a op b, 1 a op s, 2 s op a (then a is the
 * array operand and s is in *s). */
static int binary(const char *fn, pa_array *out, pa_binary_op op, const pa_array *a,
                  const pa_array *b, double s, int form)
{
    PA_TRY(pa__check_match(fn, out, "out", a, "a", 1));
    if (form == 0)
        PA_TRY(pa__check_match(fn, a, "a", b, "b", 1));
    pa_ctx *ctx = out->ctx;
    PA_CHECK_AS(ctx, fn, (int)op >= 0 && op < PA_NBINARY, PA_EINVAL,
                "op %d is not a binary op", (int)op);
    int is_int = pa__dtype_is_int(a->dtype);
    PA_CHECK_AS(ctx, fn, !is_int || bin_int_ok[op], PA_ENOTSUP,
                "%s is not defined for %s (convert with pa_astype to f64 or f32)",
                bin_names[op], pa_dtype_name(a->dtype));
    unsigned char sv[8];
    if (form != 0)
        PA_TRY(pa__scalar_to(ctx, fn, "s", s, a->dtype, 1, sv));

    size_t lo, hi;
    pa__local_range(out, &lo, &hi);
    void *o = pa__node_ptr(out, lo);
    const void *pa = pa__node_ptr(a, lo);
    int err;
    if (form == 0)
        err = bin_table[0][a->dtype][op](o, pa, pa__node_ptr(b, lo), hi - lo);
    else if (form == 1)
        err = bin_table[1][a->dtype][op](o, pa, sv, hi - lo);
    else
        err = bin_table[2][a->dtype][op](o, sv, pa, hi - lo);
    /* Publishes every rank's span of out to the node's ranks. */
    int rc = pa__array_sync(out);
    /* Only integer div, fmod and pow can fail, and the decision to agree
     * is the same on every rank (it depends on the arguments only). */
    if (is_int && (op == PA_OP_DIV || op == PA_OP_FMOD || op == PA_OP_POW)) {
        if (rc == PA_OK && (err & PA_OPERR_DIVZERO))
            rc = pa__err(ctx, fn, PA_EINVAL, "integer %s by zero (%s): those elements are 0",
                         op == PA_OP_FMOD ? "fmod" : "division", pa_dtype_name(a->dtype));
        else if (rc == PA_OK && (err & PA_OPERR_NEGPOW))
            rc = pa__err(ctx, fn, PA_EINVAL,
                         "integer pow with a negative exponent (%s): those elements are 0",
                         pa_dtype_name(a->dtype));
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
