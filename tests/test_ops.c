/* Tests of the element-wise ops: every unary and binary op on every dtype
 * that takes it, in the array-array, array-scalar and scalar-array forms,
 * against a serial reference written here from libm and integer
 * arithmetic (not from the library's op table); out aliasing an input,
 * also at the kernels' block edges;
 * empty arrays; both distributions; integer division by zero reported
 * once; user kernels (pa_map, pa_map2); bad input with clear messages. */
#include "testutil.h"

#include <math.h>

#include "dtype.h"
#include "kernels.h"

static void *gather_all(pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    void *buf = malloc(bytes ? bytes : 1);
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    return buf;
}

static const size_t shape[2] = {257, 3};
#define N (257 * 3)

/* ------------------------------------------------------------ inputs */

static double fin(size_t i, int which)
{
    static const double special[] = {0.0,  -0.0,     0.5,       1.5, 2.5,    -2.5,  -0.5, 1.0,
                                     -1.0, INFINITY, -INFINITY, NAN, 1e-300, 700.0, 1e300};
    if (i < 15 && which == 0)
        return special[i];
    if (i >= 15 && i < 30 && which == 1)
        return special[i - 15];
    /* A spread over [-3, 3] that differs between a and b. */
    return -3.0 + 6.0 * (double)((i * (which ? 7919 : 104729)) % 1000) / 999.0;
}

static __int128 iin(size_t i, int which, pa_dtype d)
{
    static const int64_t special[] = {0,   1,         -1,        2,         -2,        7,
                                      -7,  INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX, 255,
                                      128, 3,         INT16_MIN, INT16_MAX, 65535,     127};
    int64_t v = i < 18 ? special[i] : (int64_t)((i * (which ? 7919u : 104729u)) % 2001) - 1000;
    if (which == 1 && i >= 18)
        v = (int64_t)((i * 7919u) % 19) - 9; /* small, for div, fmod and pow */
    /* Into the dtype's range by wrapping, as the array stores them. */
    return tu_wrap_i(v, d);
}

/* fin rounded to the float dtype d. */
static double fin_d(size_t i, int which, pa_dtype d)
{
    return tu_round_f(fin(i, which), d);
}

static void fill(pa_array *a, int which)
{
    pa_dtype d = pa_array_dtype(a);
    size_t n = pa_array_size(a);
    char *buf = malloc(n * 8 + 1);
    for (size_t i = 0; i < n; i++) {
        if (tu_is_int(d))
            tu_set_i(buf, d, i, iin(i, which, d));
        else
            tu_set_f(buf, d, i, fin(i, which));
    }
    TU_OK(pa_array_scatter(a, 0, buf), ctx);
    free(buf);
}

/* ------------------------------------------------------------ references */

/* Half to even, from floor: the definition, not rint. */
static double round_even(double x)
{
    if (!isfinite(x))
        return x;
    double f = floor(x), d = x - f;
    if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0))
        f += 1.0;
    return copysign(f, x);
}

static double ref_unary_f64(pa_unary_op op, double x)
{
    switch (op) {
    case PA_OP_NEG: return -x;
    case PA_OP_ABS: return fabs(x);
    case PA_OP_SQRT: return sqrt(x);
    case PA_OP_EXP: return exp(x);
    case PA_OP_LOG: return log(x);
    case PA_OP_LOG10: return log10(x);
    case PA_OP_LOG1P: return log1p(x);
    case PA_OP_EXPM1: return expm1(x);
    case PA_OP_SIN: return sin(x);
    case PA_OP_COS: return cos(x);
    case PA_OP_TAN: return tan(x);
    case PA_OP_TANH: return tanh(x);
    case PA_OP_FLOOR: return floor(x);
    case PA_OP_CEIL: return ceil(x);
    case PA_OP_ROUND: return round_even(x);
    case PA_OP_SQUARE: return x * x;
    case PA_OP_SINH: return sinh(x);
    case PA_OP_COSH: return cosh(x);
    case PA_OP_ARCSIN: return asin(x);
    case PA_OP_ARCCOS: return acos(x);
    case PA_OP_ARCTAN: return atan(x);
    case PA_OP_ARCSINH: return asinh(x);
    case PA_OP_ARCCOSH: return acosh(x);
    case PA_OP_ARCTANH: return atanh(x);
    case PA_OP_CONJ:
    case PA_OP_REAL: return x;
    case PA_OP_IMAG: return 0.0;
    case PA_OP_ANGLE: return atan2(0.0, x);
    default: return 1.0 / x;
    }
}

static float ref_unary_f32(pa_unary_op op, float x)
{
    switch (op) {
    case PA_OP_NEG: return -x;
    case PA_OP_ABS: return fabsf(x);
    case PA_OP_SQRT: return sqrtf(x);
    case PA_OP_EXP: return expf(x);
    case PA_OP_LOG: return logf(x);
    case PA_OP_LOG10: return log10f(x);
    case PA_OP_LOG1P: return log1pf(x);
    case PA_OP_EXPM1: return expm1f(x);
    case PA_OP_SIN: return sinf(x);
    case PA_OP_COS: return cosf(x);
    case PA_OP_TAN: return tanf(x);
    case PA_OP_TANH: return tanhf(x);
    case PA_OP_FLOOR: return floorf(x);
    case PA_OP_CEIL: return ceilf(x);
    case PA_OP_ROUND: return (float)round_even(x);
    case PA_OP_SQUARE: return x * x;
    case PA_OP_SINH: return sinhf(x);
    case PA_OP_COSH: return coshf(x);
    case PA_OP_ARCSIN: return asinf(x);
    case PA_OP_ARCCOS: return acosf(x);
    case PA_OP_ARCTAN: return atanf(x);
    case PA_OP_ARCSINH: return asinhf(x);
    case PA_OP_ARCCOSH: return acoshf(x);
    case PA_OP_ARCTANH: return atanhf(x);
    case PA_OP_CONJ:
    case PA_OP_REAL: return x;
    case PA_OP_IMAG: return 0.0f;
    case PA_OP_ANGLE: return atan2f(0.0f, x);
    default: return 1.0f / x;
    }
}

/* numpy.mod (Python's %): the remainder x - floor(x / y) * y, which has
 * the sign of y: fmod's exact remainder, moved by y when the signs differ;
 * a zero result has y's sign. */
#define REF_PYMOD(r, y)                                                                          \
    ((r) == 0 ? copysign(0.0, y) : !signbit(r) != !signbit(y) ? (r) + (y) : (r))

/* numpy.minimum/maximum: NaN on either side wins. */
static double ref_binary_f64(pa_binary_op op, double x, double y)
{
    switch (op) {
    case PA_OP_ADD: return x + y;
    case PA_OP_SUB: return x - y;
    case PA_OP_MUL: return x * y;
    case PA_OP_DIV: return x / y;
    case PA_OP_POW: return pow(x, y);
    case PA_OP_MINIMUM: return isnan(x) || isnan(y) ? NAN : x < y ? x : y;
    case PA_OP_MAXIMUM: return isnan(x) || isnan(y) ? NAN : x > y ? x : y;
    case PA_OP_HYPOT: return hypot(x, y);
    case PA_OP_ATAN2: return atan2(x, y);
    case PA_OP_MOD: {
        double r = fmod(x, y);
        return REF_PYMOD(r, y);
    }
    default: return fmod(x, y);
    }
}

static float ref_binary_f32(pa_binary_op op, float x, float y)
{
    switch (op) {
    case PA_OP_ADD: return x + y;
    case PA_OP_SUB: return x - y;
    case PA_OP_MUL: return x * y;
    case PA_OP_DIV: return x / y;
    case PA_OP_POW: return powf(x, y);
    case PA_OP_MINIMUM: return isnan(x) || isnan(y) ? NAN : x < y ? x : y;
    case PA_OP_MAXIMUM: return isnan(x) || isnan(y) ? NAN : x > y ? x : y;
    case PA_OP_HYPOT: return hypotf(x, y);
    case PA_OP_ATAN2: return atan2f(x, y);
    case PA_OP_MOD: {
        float r = fmodf(x, y);
        return (float)REF_PYMOD(r, y);
    }
    default: return fmodf(x, y);
    }
}

/* The float references of a dtype by its size: f16 computes in float and
 * rounds, as numpy's float16 loops do. */
static double ref_unary_f(pa_unary_op op, double x, pa_dtype d)
{
    if (op == PA_OP_LOGICAL_NOT) /* a bool (NaN is true), stored as 0 or 1 */
        return x == 0;
    size_t es = pa_dtype_size(d);
    return es == 8 ? ref_unary_f64(op, x) : tu_round_f(ref_unary_f32(op, (float)x), d);
}

/* numpy's logical ops: nonzero is true (NaN too); a bool, 0 or 1. */
static int ref_logical(pa_binary_op op, double x, double y)
{
    int p = x != 0, q = y != 0;
    return op == PA_OP_LOGICAL_AND ? p && q : op == PA_OP_LOGICAL_OR ? p || q : p != q;
}

static int is_logical(pa_binary_op op)
{
    return op == PA_OP_LOGICAL_AND || op == PA_OP_LOGICAL_OR || op == PA_OP_LOGICAL_XOR;
}

static double ref_binary_f(pa_binary_op op, double x, double y, pa_dtype d)
{
    if (is_logical(op))
        return ref_logical(op, x, y);
    size_t es = pa_dtype_size(d);
    return es == 8 ? ref_binary_f64(op, x, y)
                   : tu_round_f(ref_binary_f32(op, (float)x, (float)y), d);
}

/* Integer references in 128-bit arithmetic, then wrapped to the dtype's
 * width (numpy's wrap-around). */

static __int128 ref_unary_int(pa_unary_op op, __int128 x, pa_dtype d)
{
    switch (op) {
    case PA_OP_NEG: return tu_wrap_i(-(__int128)x, d);
    case PA_OP_ABS: return tu_wrap_i(x < 0 ? -(__int128)x : x, d);
    case PA_OP_SQUARE: return tu_wrap_i((__int128)x * x, d);
    case PA_OP_INVERT: return tu_wrap_i(-x - 1, d); /* two's complement ~x */
    case PA_OP_IMAG: return 0;
    case PA_OP_LOGICAL_NOT: return x == 0;
    default: return x; /* floor, ceil, round, conj, real */
    }
}

static __int128 ref_binary_int(pa_binary_op op, __int128 x, __int128 y, pa_dtype d)
{
    if (is_logical(op))
        return ref_logical(op, (double)x, (double)y);
    __int128 a = x, b = y;
    switch (op) {
    case PA_OP_ADD: return tu_wrap_i(a + b, d);
    case PA_OP_SUB: return tu_wrap_i(a - b, d);
    case PA_OP_MUL: return tu_wrap_i((__int128)(uint64_t)((uint64_t)x * (uint64_t)y), d);
    case PA_OP_DIV: {
        if (y == 0)
            return 0;
        __int128 q = a / b;
        if (q * b != a && ((a < 0) != (b < 0)))
            q -= 1;
        return tu_wrap_i(q, d);
    }
    case PA_OP_FMOD: return y == 0 ? 0 : tu_wrap_i(a % b, d);
    case PA_OP_MOD: {
        if (y == 0)
            return 0;
        __int128 r = a % b;
        return tu_wrap_i(r != 0 && (r < 0) != (b < 0) ? r + b : r, d);
    }
    case PA_OP_LEFT_SHIFT:
    case PA_OP_RIGHT_SHIFT: {
        /* A count outside [0, width) shifts every bit out (numpy). */
        int width = (int)pa_dtype_size(d) * 8;
        if (y < 0 || y >= width)
            return op == PA_OP_RIGHT_SHIFT && x < 0 ? -1 : 0;
        if (op == PA_OP_RIGHT_SHIFT)
            return x >> (int)y;
        return tu_wrap_i((__int128)((unsigned __int128)x << (int)y), d);
    }
    case PA_OP_POW: {
        if (y < 0)
            return 0;
        unsigned __int128 r = 1;
        for (__int128 k = 0; k < y; k++)
            r = (uint64_t)(r * (uint64_t)x);
        return tu_wrap_i((__int128)r, d);
    }
    case PA_OP_MINIMUM: return x < y ? x : y;
    case PA_OP_BITWISE_AND: return tu_wrap_i((__int128)((uint64_t)x & (uint64_t)y), d);
    case PA_OP_BITWISE_OR: return tu_wrap_i((__int128)((uint64_t)x | (uint64_t)y), d);
    case PA_OP_BITWISE_XOR: return tu_wrap_i((__int128)((uint64_t)x ^ (uint64_t)y), d);
    default: return x > y ? x : y;
    }
}

/* ------------------------------------------------------------ comparison */

/* Distance in units in the last place of float dtype d between two
 * values (NaN equals NaN; below the smallest normal, the subnormals' ulp). */
static double ulps(double got, double want, pa_dtype d)
{
    size_t es = pa_dtype_size(d);
    int mant = es == 8 ? 52 : es == 4 ? 23 : 10, emin = es == 8 ? -1022 : es == 4 ? -126 : -14;
    if (isnan(got) && isnan(want))
        return 0;
    if (isnan(got) || isnan(want))
        return INFINITY;
    if (got == want)
        return 0;
    if (isinf(got) || isinf(want))
        return INFINITY;
    int e = want == 0 ? emin : ilogb(want);
    return fabs(got - want) / ldexp(1.0, (e < emin ? emin : e) - mant);
}

/* Tolerances in ulp. Exact ops (+ - * /, sqrt, floor, ceil, round, abs,
 * neg, fmod, minimum, maximum) are correctly rounded and must agree with
 * the reference exactly. The transcendental ops are glibc's vector math
 * library's (src/vmath.h), within 4 ulp of the exact result, and the
 * reference is libm's scalar function: the two are held to 4 ulp apart
 * (3 was the most seen). */
static double tol_unary(pa_unary_op op)
{
    switch (op) {
    case PA_OP_EXP:
    case PA_OP_LOG:
    case PA_OP_LOG10:
    case PA_OP_LOG1P:
    case PA_OP_EXPM1:
    case PA_OP_SIN:
    case PA_OP_COS:
    case PA_OP_TAN:
    case PA_OP_TANH:
    case PA_OP_SINH:
    case PA_OP_COSH:
    case PA_OP_ARCSIN:
    case PA_OP_ARCCOS:
    case PA_OP_ARCTAN:
    case PA_OP_ARCSINH:
    case PA_OP_ARCCOSH:
    case PA_OP_ARCTANH: return 4;
    default: return 0;
    }
}

static double tol_binary(pa_binary_op op)
{
    return op == PA_OP_POW || op == PA_OP_HYPOT || op == PA_OP_ATAN2 ? 4 : 0;
}

/* ------------------------------------------------------------ tests */

/* The ops numpy defines on integers and bool only (bitwise): a float
 * array is refused. The logical ops take every dtype and give a bool,
 * which the tests below store into an out of the operands' dtype (0 or 1,
 * as same_kind allows). */
static int float_lacks(int unary, int op)
{
    return unary ? op == PA_OP_INVERT
                 : op == PA_OP_BITWISE_AND || op == PA_OP_BITWISE_OR || op == PA_OP_BITWISE_XOR;
}

/* Every dtype but bool (test_bool_ops) and complex (test_complex_ops). */
START_TEST(test_unary)
{
    for (pa_dtype d = 0; d < PA_NDTYPES; d++)
        for (int k = 0; k < 2 && d != PA_BOOL && !pa__dtype_is_complex(d); k++) {
            int is_int = tu_is_int(d);
            pa_dist dist = k ? PA_REPLICATED : PA_DISTRIBUTED;
            pa_array *a = NULL, *a0 = NULL, *out = NULL;
            TU_OK(pa_array_create(ctx, d, 2, shape, dist, &a), ctx);
            TU_OK(pa_array_create(ctx, d, 2, shape, dist, &a0), ctx);
            TU_OK(pa_array_create(ctx, d, 2, shape, dist, &out), ctx);
            fill(a0, 0); /* once: a is restored from it locally, with no traffic */
            for (int op = 0; op < PA_NUNARY; op++) {
                TU_OK(pa_copy(a, a0), ctx);
                if (is_int ? !pa_unary_int_ok(op) : float_lacks(1, op)) {
                    TU_RC(pa_unary(out, op, a), PA_ENOTSUP, ctx);
                    TU_CHECK(strstr(pa_errmsg(ctx), "pa_astype") != NULL);
                    continue;
                }
                /* In place on odd ops (out = a), into out on even ones. */
                pa_array *dst = op % 2 ? a : out;
                TU_OK(pa_unary(dst, op, a), ctx);
                void *got = gather_all(dst);
                double worst = 0;
                size_t bad = 0;
                for (size_t i = 0; i < N; i++) {
                    if (is_int) {
                        __int128 x = iin(i, 0, d);
                        bad += tu_get_i(got, d, i) != ref_unary_int(op, x, d);
                    } else {
                        double want = ref_unary_f(op, fin_d(i, 0, d), d);
                        double e = ulps(tu_get_f(got, d, i), want, d);
                        worst = e > worst ? e : worst;
                    }
                }
                TU_ASSERT(bad == 0 && worst <= tol_unary(op), "%s on %s (%s): %zu wrong, %g ulp",
                          pa_unary_name(op), pa_dtype_name(d), op % 2 ? "in place" : "out", bad,
                          worst);
                free(got);
            }
            pa_array_free(&a);
            pa_array_free(&a0);
            pa_array_free(&out);
        }
}
END_TEST

START_TEST(test_binary)
{
    for (pa_dtype d = 0; d < PA_NDTYPES; d++) {
        if (d == PA_BOOL || pa__dtype_is_complex(d))
            continue; /* test_bool_ops, test_complex_ops */
        int is_int = tu_is_int(d);
        pa_array *a = NULL, *b = NULL, *b0 = NULL, *out = NULL;
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, &a), ctx);
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, &b), ctx);
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, &b0), ctx);
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, &out), ctx);
        fill(a, 0);
        fill(b0, 1); /* b is restored from it locally before each case */
        for (int op = 0; op < PA_NBINARY; op++)
            for (int form = 0; form < 3; form++) {
                TU_OK(pa_copy(b, b0), ctx);
                const double s = 3;
                if (is_int ? !pa_binary_int_ok(op) : float_lacks(0, op)) {
                    TU_RC(pa_binary(out, op, a, b), PA_ENOTSUP, ctx);
                    continue;
                }
                if (!is_int && (op == PA_OP_LEFT_SHIFT || op == PA_OP_RIGHT_SHIFT)) {
                    TU_RC(pa_binary(out, op, a, b), PA_ENOTSUP, ctx);
                    TU_CHECK(strstr(pa_errmsg(ctx), "an integer dtype") != NULL);
                    continue;
                }
                /* Integer div/fmod/pow: b avoids 0 and negatives here
                 * (they are tested apart); a avoids nothing. */
                int divlike = is_int && (op == PA_OP_DIV || op == PA_OP_FMOD || op == PA_OP_MOD ||
                                         op == PA_OP_POW);
                if (divlike) {
                    TU_OK(pa_binary_scalar(b, PA_OP_MAXIMUM, b, 1), ctx);
                    if (op == PA_OP_POW)
                        TU_OK(pa_binary_scalar(b, PA_OP_MINIMUM, b, 9), ctx);
                }
                /* out aliases b in form 0 for odd ops. */
                pa_array *dst = form == 0 && op % 2 ? b : out;
                /* s op array: for integer div/fmod/pow the array is b
                 * (no zero or negative divisor or exponent). */
                int rc = form == 0   ? pa_binary(dst, op, a, b)
                         : form == 1 ? pa_binary_scalar(dst, op, a, s)
                                     : pa_scalar_binary(dst, op, s, divlike ? b : a);
                TU_OK(rc, ctx);
                void *got = gather_all(dst);
                double worst = 0;
                size_t bad = 0;
                for (size_t i = 0; i < N; i++) {
                    if (is_int) {
                        __int128 x = iin(i, 0, d), y = iin(i, 1, d);
                        if (divlike) {
                            y = y < 1 ? 1 : y;
                            y = op == PA_OP_POW && y > 9 ? 9 : y;
                        }
                        __int128 want = form == 0 ? ref_binary_int(op, x, y, d)
                                        : form == 1
                                            ? ref_binary_int(op, x, (__int128)s, d)
                                            : ref_binary_int(op, (__int128)s, divlike ? y : x, d);
                        bad += tu_get_i(got, d, i) != want;
                    } else {
                        double x = fin_d(i, 0, d), y = fin_d(i, 1, d);
                        double p = form == 0   ? x
                                   : form == 1 ? x
                                               : s,
                               q = form == 0   ? y
                                   : form == 1 ? s
                                               : x;
                        double want = ref_binary_f(op, p, q, d);
                        double e = ulps(tu_get_f(got, d, i), want, d);
                        worst = e > worst ? e : worst;
                    }
                }
                TU_ASSERT(bad == 0 && worst <= tol_binary(op),
                          "%s on %s form %d: %zu wrong, %g ulp", pa_binary_name(op),
                          pa_dtype_name(d), form, bad, worst);
                free(got);
            }
        pa_array_free(&a);
        pa_array_free(&b);
        pa_array_free(&b0);
        pa_array_free(&out);
    }
}
END_TEST

/* Operand arrays a and b of dtype d (shape), their elements from the
 * buffers x and y, and an output array out of d; and their release. */
static void operands_make(pa_dtype d, const void *x, const void *y, pa_array **a, pa_array **b,
                          pa_array **out)
{
    pa_array **arrs[] = {a, b, out};
    for (int k = 0; k < 3; k++)
        TU_OK(pa_array_create(ctx, d, 2, shape, PA_DISTRIBUTED, arrs[k]), ctx);
    TU_OK(pa_array_scatter(*a, 0, x), ctx);
    TU_OK(pa_array_scatter(*b, 0, y), ctx);
}

static void operands_free(pa_array **a, pa_array **b, pa_array **out)
{
    pa_array_free(a);
    pa_array_free(b);
    pa_array_free(out);
}

/* A pair of operands for fmod and mod whose remainder is hard to get
 * exactly: x just below a whole multiple k*y (x / y rounds up to k), x a
 * whole multiple (a zero remainder, signed), a quotient past 2^53 or
 * 2^24, subnormals, and the specials; every sign combination. */
static void fmod_pair(size_t i, double *x, double *y)
{
    static const double special[][2] = {{1, 0},
                                        {-1, -0.0},
                                        {INFINITY, 2},
                                        {-INFINITY, 2},
                                        {NAN, 2},
                                        {2, NAN},
                                        {2, INFINITY},
                                        {-2, -INFINITY},
                                        {0, 3},
                                        {-0.0, 3},
                                        {1e300, 3.7},
                                        {-1e300, 1e-300},
                                        {0x1p60 + 3 * 0x1p8, 3},
                                        {5e-324, 3e-323},
                                        {7e-310, 3e-320},
                                        {1e-310, 0.75},
                                        {3, 1e300}};
    size_t ns = sizeof special / sizeof special[0];
    if (i < ns) {
        *x = special[i][0];
        *y = special[i][1];
        return;
    }
    double m = 0.1 + (double)((i * 7919u) % 1000) / 97.0,
           k = (double)(1 + (i * 104729u) % 100000);
    double sx = i % 2 ? -1 : 1, sy = i / 2 % 2 ? -1 : 1;
    switch (i / 4 % 3) {
    case 0: *x = sx * nextafter(k * m, 0); break; /* x / m rounds up to k */
    case 1: *x = sx * k * m; break;
    default: *x = sx * m * ldexp(1.0, (int)(i % 120) - 60); break;
    }
    *y = sy * m;
}

/* fmod and mod of the float dtypes are exact, so they must equal libm's
 * fmod (and numpy.mod's definition from it) bit for bit, the sign of a
 * zero included: computed a vector at a time, x / y may round up to a
 * whole number and a lane past the vectors' exact range goes to libm. */
START_TEST(test_fmod_exact)
{
    const pa_dtype dts[] = {PA_F64, PA_F32};
    for (int t = 0; t < 2; t++) {
        pa_dtype d = dts[t];
        pa_array *a = NULL, *b = NULL, *out = NULL;
        double *xs = malloc(N * sizeof *xs), *ys = malloc(N * sizeof *ys);
        char *bx = malloc(N * 8), *by = malloc(N * 8);
        for (size_t i = 0; i < N; i++) {
            fmod_pair(i, &xs[i], &ys[i]);
            tu_set_f(bx, d, i, xs[i]);
            tu_set_f(by, d, i, ys[i]);
        }
        operands_make(d, bx, by, &a, &b, &out);
        const pa_binary_op ops[] = {PA_OP_FMOD, PA_OP_MOD};
        for (int o = 0; o < 2; o++) {
            TU_OK(pa_binary(out, ops[o], a, b), ctx);
            void *got = gather_all(out);
            size_t bad = 0, first = N;
            for (size_t i = 0; i < N; i++) {
                double g = tu_get_f(got, d, i), want;
                if (d == PA_F64) {
                    want = ops[o] == PA_OP_MOD ? ref_binary_f64(PA_OP_MOD, xs[i], ys[i])
                                               : fmod(xs[i], ys[i]);
                } else {
                    float x = (float)xs[i], y = (float)ys[i];
                    want = ops[o] == PA_OP_MOD ? ref_binary_f32(PA_OP_MOD, x, y) : fmodf(x, y);
                }
                int same = isnan(g) ? isnan(want) : g == want && !signbit(g) == !signbit(want);
                if (!same && bad++ == 0)
                    first = i;
            }
            TU_ASSERT(bad == 0, "%s on %s: %zu wrong, first at %zu: %a %s %a",
                      pa_binary_name(ops[o]), pa_dtype_name(d), bad, first,
                      first < N ? xs[first] : 0.0, pa_binary_name(ops[o]),
                      first < N ? ys[first] : 0.0);
            free(got);
        }
        free(xs);
        free(ys);
        free(bx);
        free(by);
        operands_free(&a, &b, &out);
    }
}
END_TEST

/* Complex arrays: abs, real, imag and angle give the part dtype, which
 * out must take under same_kind; the ops complex numbers lack (no order,
 * no rounding, no mod) are PA_ENOTSUP naming the op and the dtype. */
START_TEST(test_complex_ops)
{
    size_t n = 1003;
    for (pa_dtype d = 0; d < PA_NDTYPES; d++) {
        if (!pa__dtype_is_complex(d))
            continue;
        pa_dtype part = pa__dtype_real(d);
        pa_array *a = NULL, *re = NULL, *i64 = NULL, *out = NULL;
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &a), ctx);
        TU_OK(pa_array_create(ctx, part, 1, &n, PA_DISTRIBUTED, &re), ctx);
        TU_OK(pa_array_create(ctx, PA_I64, 1, &n, PA_DISTRIBUTED, &i64), ctx);
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &out), ctx);
        /* a = 3 - 4i everywhere: abs 5, real 3, imag -4, from rank 0. */
        size_t ps = pa_dtype_size(part);
        char *buf = malloc(2 * ps * n);
        for (size_t i = 0; i < n; i++) {
            pa__from_double(buf + 2 * i * ps, part, 3.0);
            pa__from_double(buf + (2 * i + 1) * ps, part, -4.0);
        }
        TU_OK(pa_array_scatter(a, 0, buf), ctx);
        free(buf);
        static const struct {
            pa_unary_op op;
            double want;
        } to_part[] = {{PA_OP_REAL, 3},
                       {PA_OP_ABS, 5},
                       {PA_OP_IMAG, -4},
                       {PA_OP_ANGLE, -0.927295218001612232}};
        for (int k = 0; k < 4; k++) {
            TU_OK(pa_unary(re, to_part[k].op, a), ctx);
            double lo, hi;
            TU_OK(pa_reduce(re, PA_RED_MIN, -1, &lo), ctx);
            TU_OK(pa_reduce(re, PA_RED_MAX, -1, &hi), ctx);
            /* angle within f32's rounding; the others exact. */
            TU_ASSERT(lo == hi && fabs(hi - to_part[k].want) <= 1e-7, "%s of %s: %.17g",
                      pa_unary_name(to_part[k].op), pa_dtype_name(d), hi);
            TU_RC(pa_unary(i64, to_part[k].op, a), PA_EINVAL, ctx);
            TU_CHECK(strstr(pa_errmsg(ctx), pa_dtype_name(part)) != NULL);
        }
        /* The same functions in an expression: its value is of the part dtype. */
        pa_binding eb[] = {PA_BIND_ARRAY("a", a), PA_BIND_ARRAY("r", re)};
        TU_OK(pa_eval(ctx, "r = abs(a) * 2 + real(conj(a)) - imag(conj(a))", eb, 2), ctx);
        double lo, hi;
        TU_OK(pa_reduce(re, PA_RED_MIN, -1, &lo), ctx);
        TU_OK(pa_reduce(re, PA_RED_MAX, -1, &hi), ctx);
        TU_ASSERT(lo == 9 && hi == 9, "abs(a) * 2 + real(conj(a)) - imag(conj(a)): %g %g", lo,
                  hi);
        static const pa_unary_op no_un[] = {PA_OP_FLOOR, PA_OP_ROUND, PA_OP_SIN};
        for (int k = 0; k < 3; k++) {
            TU_RC(pa_unary(out, no_un[k], a), PA_ENOTSUP, ctx);
            TU_CHECK(strstr(pa_errmsg(ctx), pa_unary_name(no_un[k])) &&
                     strstr(pa_errmsg(ctx), pa_dtype_name(d)));
        }
        static const pa_binary_op no_bin[] = {PA_OP_MINIMUM, PA_OP_MAXIMUM, PA_OP_MOD, PA_OP_FMOD,
                                              PA_OP_POW};
        for (int k = 0; k < 5; k++) {
            TU_RC(pa_binary(out, no_bin[k], a, a), PA_ENOTSUP, ctx);
            TU_CHECK(strstr(pa_errmsg(ctx), pa_binary_name(no_bin[k])) &&
                     strstr(pa_errmsg(ctx), pa_dtype_name(d)));
        }
        pa_binding cb[] = {PA_BIND_ARRAY("a", a), PA_BIND_ARRAY("z", out)};
        TU_RC(pa_eval(ctx, "z = a < a", cb, 2), PA_ENOTSUP, ctx);
        TU_CHECK(strstr(pa_errmsg(ctx), "<") && strstr(pa_errmsg(ctx), pa_dtype_name(d)));
        pa_array_free(&a);
        pa_array_free(&re);
        pa_array_free(&i64);
        pa_array_free(&out);
    }
}
END_TEST

/* bool: every op on the four pairs of operands (repeated down an array
 * that spans the ranks) against numpy's truth tables, written out here;
 * the ops numpy refuses on bool or computes in another dtype are
 * PA_ENOTSUP; a scalar operand is 0 or 1. */
START_TEST(test_bool_ops)
{
    enum { F = 0, T = 1, NO = -1 };
    /* want[op][x][y] for x, y in {0, 1} (unary: [op][x][0]); NO: refused. */
    static const signed char bin[PA_NBINARY][2][2] = {
        [PA_OP_ADD] = {{F, T}, {T, T}},
        [PA_OP_SUB] = {{NO, NO}, {NO, NO}},
        [PA_OP_MUL] = {{F, F}, {F, T}},
        [PA_OP_DIV] = {{NO, NO}, {NO, NO}},
        [PA_OP_POW] = {{NO, NO}, {NO, NO}},
        [PA_OP_MINIMUM] = {{F, F}, {F, T}},
        [PA_OP_MAXIMUM] = {{F, T}, {T, T}},
        [PA_OP_HYPOT] = {{NO, NO}, {NO, NO}},
        [PA_OP_ATAN2] = {{NO, NO}, {NO, NO}},
        [PA_OP_FMOD] = {{NO, NO}, {NO, NO}},
        [PA_OP_LOGICAL_AND] = {{F, F}, {F, T}},
        [PA_OP_LOGICAL_OR] = {{F, T}, {T, T}},
        [PA_OP_LOGICAL_XOR] = {{F, T}, {T, F}},
        [PA_OP_BITWISE_AND] = {{F, F}, {F, T}},
        [PA_OP_BITWISE_OR] = {{F, T}, {T, T}},
        [PA_OP_BITWISE_XOR] = {{F, T}, {T, F}},
        [PA_OP_MOD] = {{NO, NO}, {NO, NO}},
        [PA_OP_LEFT_SHIFT] = {{NO, NO}, {NO, NO}},
        [PA_OP_RIGHT_SHIFT] = {{NO, NO}, {NO, NO}},
    };
    _Static_assert(PA_NBINARY == 19, "a new binary op: add its bool row");
    /* Unary ops are refused on bool unless set below. */
    _Static_assert(PA_NUNARY == 31, "a new unary op: add its bool row");
    signed char un[PA_NUNARY][2];
    for (int op = 0; op < PA_NUNARY; op++)
        un[op][0] = un[op][1] = NO;
    un[PA_OP_ABS][0] = F, un[PA_OP_ABS][1] = T;
    un[PA_OP_LOGICAL_NOT][0] = T, un[PA_OP_LOGICAL_NOT][1] = F;
    un[PA_OP_INVERT][0] = T, un[PA_OP_INVERT][1] = F;
    size_t n = 1003;
    pa_array *a = NULL, *b = NULL, *out = NULL;
    TU_OK(pa_array_create(ctx, PA_BOOL, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_BOOL, 1, &n, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_BOOL, 1, &n, PA_DISTRIBUTED, &out), ctx);
    /* x = bit 0 of i, y = bit 1 of i, scattered from rank 0. */
    _Bool *x = malloc(n), *y = malloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = i & 1, y[i] = (i >> 1) & 1;
    TU_OK(pa_array_scatter(a, 0, x), ctx);
    TU_OK(pa_array_scatter(b, 0, y), ctx);
    /* A number is a weak integer (NEP 50), so bool with 1 computes in i64, as
     * numpy's does, and that result does not cast into a bool out under
     * same_kind: the ops are checked on two bool arrays. */
    TU_RC(pa_binary_scalar(out, PA_OP_ADD, a, 1), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "same_kind") != NULL);
    /* The logical ops give a bool whatever they compute in (numpy's): bool
     * with 1 computes in i64 and stores a bool; an i32 and an f64 operand
     * (promoted to f64; +-0 false, NaN true) give a bool, and so does not
     * of an f64. */
    pa_array *i = NULL, *f = NULL;
    TU_OK(pa_array_create(ctx, PA_I32, 1, &n, PA_DISTRIBUTED, &i), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &f), ctx);
    TU_OK(pa_astype(i, a), ctx);
    TU_OK(pa_astype(f, b), ctx);
    TU_OK(pa_binary_scalar(f, PA_OP_MUL, f, -0.0), ctx); /* -0.0 and 0.0: both false */
    for (int c = 0; c < 4; c++) {
        int rc = c == 0   ? pa_binary_scalar(out, PA_OP_LOGICAL_AND, a, 1)
                 : c == 1 ? pa_binary(out, PA_OP_LOGICAL_OR, i, f)
                 : c == 2 ? pa_unary(out, PA_OP_LOGICAL_NOT, f)
                          : pa_binary_scalar(out, PA_OP_LOGICAL_OR, f, NAN);
        TU_OK(rc, ctx);
        unsigned char *got = gather_all(out);
        size_t bad = 0;
        for (size_t k = 0; k < n; k++)
            bad += got[k] != (c == 0 ? x[k] : c == 1 ? x[k] : 1);
        TU_ASSERT(bad == 0, "logical case %d on mixed dtypes: %zu wrong", c, bad);
        free(got);
    }
    pa_array_free(&i);
    pa_array_free(&f);
    for (int op = 0; op < PA_NBINARY; op++)
        for (int form = 0; form < 1; form++) {
            int rc = pa_binary(out, op, a, b);
            if (bin[op][0][0] == NO) {
                TU_RC(rc, PA_ENOTSUP, ctx);
                TU_CHECK(strstr(pa_errmsg(ctx), "bool") != NULL);
                continue;
            }
            TU_OK(rc, ctx);
            unsigned char *got = gather_all(out);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                int p = form == 2 ? 1 : x[i], q = form == 1 ? 1 : y[i];
                bad += got[i] != bin[op][p][q];
            }
            TU_ASSERT(bad == 0, "%s on bool form %d: %zu wrong", pa_binary_name(op), form, bad);
            free(got);
        }
    for (int op = 0; op < PA_NUNARY; op++) {
        int rc = pa_unary(out, op, a);
        if (un[op][0] == NO) {
            TU_RC(rc, PA_ENOTSUP, ctx);
            continue;
        }
        TU_OK(rc, ctx);
        unsigned char *got = gather_all(out);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += got[i] != un[op][x[i]];
        TU_ASSERT(bad == 0, "%s on bool: %zu wrong", pa_unary_name(op), bad);
        free(got);
    }
    TU_RC(pa_binary_scalar(out, PA_OP_ADD, a, 2), PA_EINVAL, ctx);
    TU_RC(pa_binary_scalar(out, PA_OP_ADD, a, 0.5), PA_EINVAL, ctx);
    free(x);
    free(y);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&out);
}
END_TEST

/* Integer power over the whole range of the exponent (the narrow types
 * compute every bit of it), with bases of both parities and signs, against
 * the reference's repeated multiplication; a negative exponent anywhere is
 * PA_EINVAL with 0 there and the other elements right. */
START_TEST(test_int_pow)
{
    for (pa_dtype d = 0; d < PA_NDTYPES; d++) {
        if (!tu_is_int(d) || d == PA_BOOL)
            continue;
        size_t es = pa_dtype_size(d);
        int is_signed = tu_wrap_i(-1, d) < 0;
        pa_array *a = NULL, *b = NULL, *out = NULL;
        /* Exponents up to the type's largest (u16: 65535), 5000 past 16 bits. */
        __int128 emax = es <= 2 ? ((__int128)1 << (8 * es - (size_t)is_signed)) - 1 : 5000;
        char *bx = malloc(N * 8), *by = malloc(N * 8);
        for (size_t i = 0; i < N; i++) {
            tu_set_i(bx, d, i, (__int128)(i % 7) - 3 + (i % 5 == 0 ? 1000 : 0));
            tu_set_i(by, d, i,
                     i < 4 ? emax - (__int128)i
                           : (__int128)((i * 104729u) % (uint64_t)(emax + 1)));
        }
        int neg_at = is_signed ? 100 : -1;
        if (neg_at >= 0)
            tu_set_i(by, d, (size_t)neg_at, -2);
        operands_make(d, bx, by, &a, &b, &out);
        TU_RC(pa_binary(out, PA_OP_POW, a, b), neg_at >= 0 ? PA_EINVAL : PA_OK, ctx);
        void *got = gather_all(out);
        size_t bad = 0, first = N;
        for (size_t i = 0; i < N; i++) {
            __int128 x = tu_get_i(bx, d, i), y = tu_get_i(by, d, i);
            if (tu_get_i(got, d, i) != ref_binary_int(PA_OP_POW, x, y, d) && bad++ == 0)
                first = i;
        }
        TU_ASSERT(bad == 0, "pow on %s: %zu wrong, first at %zu", pa_dtype_name(d), bad, first);
        free(got);
        free(bx);
        free(by);
        operands_free(&a, &b, &out);
    }
}
END_TEST

/* Floor division, fmod and mod of every integer dtype over its whole
 * range: dividends anywhere in it, divisors of every bit length, exact
 * multiples and their neighbours (where a rounded quotient would cross a
 * whole number), and the extremes, against the reference. The 64-bit
 * dtypes also over the range the kernels divide in double, [-2^52, 2^52)
 * (to its edges), where every block takes that way. */
/* op of a by b into out, against the reference on the operands' values
 * bx, by (n of them): how many elements are wrong, and the first. */
static size_t int_op_wrong(pa_binary_op op, pa_array *out, pa_array *a, pa_array *b,
                           const void *bx, const void *by, size_t n, size_t *first)
{
    pa_dtype d = pa_array_dtype(out);
    TU_OK(pa_binary(out, op, a, b), ctx);
    void *got = gather_all(out);
    size_t bad = 0;
    *first = n;
    for (size_t i = 0; i < n; i++) {
        __int128 x = tu_get_i(bx, d, i), y = tu_get_i(by, d, i);
        if (tu_get_i(got, d, i) != ref_binary_int(op, x, y, d) && bad++ == 0)
            *first = i;
    }
    free(got);
    return bad;
}

static void int_div_range(pa_dtype d, int bits)
{
    static const pa_binary_op ops[] = {PA_OP_DIV, PA_OP_FMOD, PA_OP_MOD};
    int is_signed = tu_wrap_i(-1, d) < 0;
    __int128 lo = is_signed ? -((__int128)1 << (bits - 1)) : 0;
    __int128 hi = ((__int128)1 << (bits - is_signed)) - 1;
    char *bx = malloc(N * 8), *by = malloc(N * 8);
    uint64_t s = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        uint64_t r = s ^ (s >> 29);
        int len = 1 + (int)(r % (uint64_t)(bits - is_signed));
        __int128 y = (__int128)(r >> 7) & (((__int128)1 << len) - 1);
        y = y ? (is_signed && (r & 1) ? -y : y) : 1;
        __int128 x = lo + (__int128)s % (hi - lo + 1), k = x / y;
        switch (i % 4) {
        case 1: x = k * y; break;
        case 2: x = k * y - 1; break;
        case 3: x = k * y + 1; break;
        default: break;
        }
        if (i < 6) { /* the extremes */
            static const int xi[] = {0, 0, 1, 1, 0, 1}, yi[] = {0, 1, 0, 1, 2, 2};
            x = xi[i] ? hi : lo, y = yi[i] == 0 ? lo : yi[i] == 1 ? hi : -1;
        }
        tu_set_i(bx, d, i, tu_wrap_i(x, d));
        tu_set_i(by, d, i, tu_wrap_i(y, d) ? tu_wrap_i(y, d) : 1);
    }
    pa_array *a = NULL, *b = NULL, *out = NULL;
    operands_make(d, bx, by, &a, &b, &out);
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        size_t first, bad = int_op_wrong(ops[o], out, a, b, bx, by, N, &first);
        TU_ASSERT(bad == 0, "%s on %s (%d bits): %zu wrong, first at %zu", pa_binary_name(ops[o]),
                  pa_dtype_name(d), bits, bad, first);
    }
    free(bx);
    free(by);
    operands_free(&a, &b, &out);
}

START_TEST(test_int_div_range)
{
    for (pa_dtype d = 0; d < PA_NDTYPES; d++) {
        if (!tu_is_int(d) || d == PA_BOOL)
            continue;
        int bits = 8 * (int)pa_dtype_size(d);
        int_div_range(d, bits);
        if (bits == 64)
            int_div_range(d, tu_wrap_i(-1, d) < 0 ? 53 : 52);
    }
}
END_TEST

/* //, fmod and mod of the 8-bit dtypes at every pair of operands (y != 0),
 * as arrays and with y a scalar: the kernels compute them in their own way
 * (kernels_template.h's k_div8) on CPUs that allow it. The scalar divisors
 * go straight to the kernel that pa_binary_scalar runs (stride 0, plain
 * and streaming), on every rank: 1530 collective calls took 16 s between
 * two test hosts. */
START_TEST(test_int_div_8bit_all)
{
    static const pa_dtype dts[] = {PA_U8, PA_I8};
    static const pa_binary_op ops[] = {PA_OP_DIV, PA_OP_FMOD, PA_OP_MOD};
    size_t n = 256 * 255;
    uint8_t *bx = malloc(n), *by = malloc(n);
    for (size_t i = 0; i < n; i++) {
        bx[i] = (uint8_t)(i & 255);
        by[i] = (uint8_t)(1 + i / 256); /* 1 .. 255: every nonzero byte */
    }
    /* The output one byte into a line, so that the streaming form's first
     * and last lines are partial. */
    uint8_t got[1 + 256] __attribute__((aligned(64)));
    for (size_t t = 0; t < 2; t++) {
        pa_dtype d = dts[t];
        pa_array *a = NULL, *b = NULL, *out = NULL;
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &a), ctx);
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &b), ctx);
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &out), ctx);
        TU_OK(pa_array_scatter(a, 0, bx), ctx);
        TU_OK(pa_array_scatter(b, 0, by), ctx);
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            size_t first, bad = int_op_wrong(ops[o], out, a, b, bx, by, n, &first);
            TU_ASSERT(bad == 0, "%s on %s: %zu of %zu pairs wrong, first x %d y %d",
                      pa_binary_name(ops[o]), pa_dtype_name(d), bad, n,
                      first < n ? (int)tu_get_i(bx, d, first) : 0,
                      first < n ? (int)tu_get_i(by, d, first) : 0);
            /* Every x by each scalar y: the first wrong one, and how many. */
            pa__kop kop = (pa__kop)(PA__KOP_BINARY0 + (int)ops[o]);
            const pa__strides st = {.o = 1, .a = 1, .b = 0};
            size_t wrong = 0;
            int wx = 0, wy = 0, wnt = 0;
            for (int nt = 0; nt < 2; nt++) {
                pa__kernel k;
                TU_OK(pa__kernel_get(ctx, "test", kop, d, nt, &k), ctx);
                for (size_t yi = 0; yi < 255; yi++) {
                    __int128 y = tu_get_i(by, d, yi * 256);
                    wrong += k(got + 1, bx, &by[yi * 256], NULL, 256, &st) != 0;
                    pa__stream_fence();
                    for (size_t i = 0; i < 256; i++) {
                        __int128 x = tu_get_i(bx, d, i);
                        if (tu_get_i(got + 1, d, i) != ref_binary_int(ops[o], x, y, d) &&
                            wrong++ == 0)
                            wx = (int)x, wy = (int)y, wnt = nt;
                    }
                }
            }
            TU_ASSERT(wrong == 0,
                      "%s on %s: %zu wrong by a scalar, first x %d by %d (streaming %d)",
                      pa_binary_name(ops[o]), pa_dtype_name(d), wrong, wx, wy, wnt);
        }
        pa_array_free(&a);
        pa_array_free(&b);
        pa_array_free(&out);
    }
    free(bx);
    free(by);
}
END_TEST

/* ** of the 8- and 16-bit dtypes: every 8-bit base to every exponent in
 * [0, 128), 256 bases to an exponent in a row, so that each vector's
 * largest exponent (the kernels' step count) is each value in turn. */
START_TEST(test_int_pow_narrow_all)
{
    static const pa_dtype dts[] = {PA_U8, PA_I8, PA_U16, PA_I16};
    size_t n = 256 * 128;
    for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++) {
        pa_dtype d = dts[t];
        size_t es = pa_dtype_size(d);
        char *bx = malloc(n * es), *by = malloc(n * es);
        for (size_t i = 0; i < n; i++) {
            tu_set_i(bx, d, i, tu_wrap_i((__int128)(i & 255) - (es == 2 ? 128 : 0), d));
            tu_set_i(by, d, i, (__int128)(i / 256));
        }
        pa_array *a = NULL, *b = NULL, *out = NULL;
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &a), ctx);
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &b), ctx);
        TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &out), ctx);
        TU_OK(pa_array_scatter(a, 0, bx), ctx);
        TU_OK(pa_array_scatter(b, 0, by), ctx);
        size_t first, bad = int_op_wrong(PA_OP_POW, out, a, b, bx, by, n, &first);
        TU_ASSERT(bad == 0, "pow on %s: %zu of %zu wrong, first x %d e %d", pa_dtype_name(d), bad,
                  n, first < n ? (int)tu_get_i(bx, d, first) : 0,
                  first < n ? (int)tu_get_i(by, d, first) : 0);
        pa_array_free(&a);
        pa_array_free(&b);
        pa_array_free(&out);
        free(bx);
        free(by);
    }
}
END_TEST

/* Integer division by zero: PA_EINVAL on every rank with one message; the
 * elements divided by zero are 0 and the others are right. */
START_TEST(test_int_div_zero)
{
    size_t n = 1000;
    pa_array *a = NULL, *b = NULL, *out = NULL;
    TU_OK(pa_array_create(ctx, PA_I32, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_I32, 1, &n, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_I32, 1, &n, PA_DISTRIBUTED, &out), ctx);
    TU_OK(pa_full(a, 100), ctx);
    TU_OK(pa_full(b, 7), ctx);
    /* One zero divisor, near the end (the last rank's span). */
    int32_t *bv = gather_all(b);
    bv[n - 3] = 0;
    TU_OK(pa_array_scatter(b, 0, bv), ctx);
    free(bv);
    TU_RC(pa_binary(out, PA_OP_DIV, a, b), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "by zero") != NULL);
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
    int32_t *o = gather_all(out);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += o[i] != (i == n - 3 ? 0 : 14);
    TU_ASSERT(bad == 0, "%zu wrong after a division by zero", bad);
    free(o);
    TU_RC(pa_binary(out, PA_OP_FMOD, a, b), PA_EINVAL, ctx);
    TU_RC(pa_binary(out, PA_OP_MOD, a, b), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "integer mod by zero") != NULL);
    TU_RC(pa_binary_scalar(out, PA_OP_DIV, a, 0), PA_EINVAL, ctx);
    TU_RC(pa_scalar_binary(out, PA_OP_POW, 2, a), PA_OK, ctx);
    TU_RC(pa_binary_scalar(out, PA_OP_POW, a, -1), PA_EINVAL, ctx);
    /* INT_MIN / -1 wraps (numpy), no trap. */
    TU_OK(pa_full(a, INT32_MIN), ctx);
    TU_OK(pa_binary_scalar(out, PA_OP_DIV, a, -1), ctx);
    o = gather_all(out);
    TU_CHECK(o[0] == INT32_MIN && o[n - 1] == INT32_MIN);
    free(o);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&out);
}
END_TEST

START_TEST(test_empty_and_bad)
{
    size_t z = 0, s1[2] = {100, 3}, s2[2] = {100, 4};
    pa_array *e = NULL, *a = NULL, *c = NULL, *f = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &z, PA_DISTRIBUTED, &e), ctx);
    TU_OK(pa_unary(e, PA_OP_SQRT, e), ctx);
    TU_OK(pa_binary(e, PA_OP_ADD, e, e), ctx);
    TU_OK(pa_binary_scalar(e, PA_OP_MUL, e, 2), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s2, PA_DISTRIBUTED, &c), ctx);
    TU_OK(pa_array_create(ctx, PA_F32, 2, s1, PA_DISTRIBUTED, &f), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, PA_REPLICATED, &r), ctx);
    TU_OK(pa_full(c, 5), ctx);
    TU_RC(pa_binary(c, PA_OP_ADD, a, a), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "(100,4)") && strstr(pa_errmsg(ctx), "(100,3)"),
              "message: %s", pa_errmsg(ctx));
    TU_RC(pa_binary(a, PA_OP_ADD, a, c), PA_EINVAL, ctx);
    /* A replicated operand is read by a distributed output; a distributed
     * one with the rows of a replicated output is refused. */
    TU_RC(pa_binary(r, PA_OP_ADD, r, a), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "b is distributed with the rows of the replicated output"));
    TU_RC(pa_unary(a, PA_NUNARY, a), PA_EINVAL, ctx);
    TU_RC(pa_binary(a, (pa_binary_op)-1, a, a), PA_EINVAL, ctx);
    TU_RC(pa_binary(a, PA_OP_ADD, a, NULL), PA_EINVAL, ctx);
    TU_RC(pa_unary(NULL, PA_OP_NEG, a), PA_EINVAL, ctx);
    double *cv = gather_all(c);
    TU_CHECK(cv[0] == 5 && cv[399] == 5);
    free(cv);
    pa_array *i8 = NULL;
    TU_OK(pa_array_create(ctx, PA_U8, 2, s1, PA_DISTRIBUTED, &i8), ctx);
    /* u8 + 2.5 is f64 (NEP 50), which same_kind does not cast into u8;
     * f64 + f32 is f64, neither into u8; 256 does not fit u8. */
    TU_RC(pa_binary_scalar(i8, PA_OP_ADD, i8, 2.5), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "from f64 to u8") != NULL);
    TU_RC(pa_binary(i8, PA_OP_ADD, a, f), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "from f64 to u8") != NULL);
    TU_RC(pa_binary_scalar(i8, PA_OP_ADD, i8, 256), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "256 is not in the range of u8") != NULL);
    TU_RC(pa_binary(i8, PA_OP_HYPOT, i8, i8), PA_ENOTSUP, ctx);
    /* Names. */
    pa_unary_op uo;
    pa_binary_op bo;
    TU_CHECK(pa_unary_parse("log1p", &uo) == PA_OK && uo == PA_OP_LOG1P);
    TU_CHECK(pa_binary_parse("atan2", &bo) == PA_OK && bo == PA_OP_ATAN2);
    TU_CHECK(pa_unary_parse("nope", &uo) == PA_EINVAL);
    TU_CHECK(strcmp(pa_unary_name(PA_OP_RECIPROCAL), "reciprocal") == 0);
    pa_array_free(&i8);
    pa_array_free(&e);
    pa_array_free(&a);
    pa_array_free(&c);
    pa_array_free(&f);
    pa_array_free(&r);
}
END_TEST

/* ------------------------------------------------------------ user kernels */

static int scale_fn(const pa_span *s, void *ud)
{
    double k = *(double *)ud, *x = s->ptr;
    for (size_t i = 0; i < s->count; i++)
        x[i] = k * (double)(s->offset + i);
    return 0;
}

static int fail_on_rank1(const pa_span *s, void *ud)
{
    (void)s;
    (void)ud;
    return tu_rank() == tu_size() - 1 ? -42 : 0;
}

/* out (f64) = a (f32) + b (i32), element by element. */
static int mixed_fn(const pa_span *o, const pa_span *a, const pa_span *b, void *ud)
{
    (void)ud;
    double *y = o->ptr;
    const float *p = a->ptr;
    const int32_t *q = b->ptr;
    if (o->offset != a->offset || o->count != b->count)
        return -1;
    for (size_t i = 0; i < o->count; i++)
        y[i] = p[i] + q[i];
    return 0;
}

START_TEST(test_map)
{
    pa_array *a = NULL, *f = NULL, *i = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_F32, 2, shape, PA_DISTRIBUTED, &f), ctx);
    TU_OK(pa_array_create(ctx, PA_I32, 2, shape, PA_DISTRIBUTED, &i), ctx);
    double k = 0.5;
    TU_OK(pa_map(a, scale_fn, &k), ctx);
    double *x = gather_all(a);
    size_t bad = 0;
    for (size_t j = 0; j < N; j++)
        bad += x[j] != 0.5 * (double)j;
    free(x);
    TU_ASSERT(bad == 0, "pa_map: %zu wrong", bad);
    TU_RC(pa_map(a, fail_on_rank1, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "fn failed") != NULL);
    TU_RC(pa_map(a, NULL, NULL), PA_EINVAL, ctx);

    TU_OK(pa_arange(f, 0.5, 1), ctx);
    TU_OK(pa_arange(i, 0, 2), ctx);
    TU_OK(pa_map2(a, f, i, mixed_fn, NULL), ctx);
    x = gather_all(a);
    bad = 0;
    for (size_t j = 0; j < N; j++)
        bad += x[j] != (double)(0.5f + (float)j) + 2.0 * (double)j;
    free(x);
    TU_ASSERT(bad == 0, "pa_map2: %zu wrong", bad);
    pa_array_free(&a);
    pa_array_free(&f);
    pa_array_free(&i);
}
END_TEST

/* In place at the kernels' block edges: out is a or b, in the
 * array-array and both scalar forms, with each rank's span 127, 128, 129
 * or 1000 elements (one block less one, one, one more, several and a
 * tail), for every dtype; against a serial reference. sub tells a from b
 * (bool: logical_xor, numpy has no bool sub). A complex dtype is checked
 * part by part: sub is exact on each part. Small integer values keep
 * every dtype exact (f16 included). */
static double edge_value(size_t i, int which)
{
    return which ? (double)((i * 7) % 13) : (double)(i % 50) + 20;
}

START_TEST(test_inplace_block_edges)
{
    static const size_t spans[] = {127, 128, 129, 1000};
    const double s = 3;
    for (pa_dtype d = 0; d < PA_NDTYPES; d++)
        for (size_t k = 0; k < sizeof spans / sizeof *spans; k++) {
            int cplx = pa__dtype_is_complex(d);
            pa_dtype pd = cplx ? pa__dtype_real(d) : d; /* the dtype of the values */
            pa_binary_op op = d == PA_BOOL ? PA_OP_LOGICAL_XOR : PA_OP_SUB;
            size_t n = spans[k] * (size_t)tu_size(), m = cplx ? 2 * n : n;
            char *init[2];
            for (int w = 0; w < 2; w++) {
                init[w] = malloc(m * 16);
                for (size_t i = 0; i < m; i++)
                    tu_set_f(init[w], pd, i,
                             d == PA_BOOL ? (i + (size_t)w) % 3 == 0 : edge_value(i, w));
            }
            /* case: 0 a = a op b, 1 b = a op b, 2 a = a op s, 3 b = s op b */
            for (int c = 0; c < 4; c++) {
                pa_array *x[2] = {NULL, NULL};
                for (int w = 0; w < 2; w++) {
                    TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &x[w]), ctx);
                    TU_OK(pa_array_scatter(x[w], 0, init[w]), ctx);
                }
                pa_array *dst = x[c % 2];
                TU_OK(c < 2    ? pa_binary(dst, op, x[0], x[1])
                      : c == 2 ? pa_binary_scalar(dst, op, dst, s)
                               : pa_scalar_binary(dst, op, s, dst),
                      ctx);
                void *got = gather_all(dst);
                size_t bad = 0;
                for (size_t i = 0; i < m; i++) {
                    /* The scalar is a real number: 0 on a complex imaginary part. */
                    double sv = cplx && i % 2 ? 0 : s;
                    double p = c == 3 ? sv : tu_get_f(init[0], pd, i);
                    double q = c == 2 ? sv : tu_get_f(init[1], pd, i);
                    double want = d == PA_BOOL   ? (p != 0) != (q != 0)
                                  : tu_is_int(d) ? (double)tu_wrap_i((__int128)p - (__int128)q, d)
                                                 : p - q;
                    bad += tu_get_f(got, pd, i) != want;
                }
                TU_ASSERT(bad == 0, "%s in place, case %d, %zu elements per rank: %zu wrong",
                          pa_dtype_name(d), c, spans[k], bad);
                free(got);
                pa_array_free(&x[0]);
                pa_array_free(&x[1]);
            }
            free(init[0]);
            free(init[1]);
        }
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tu_tcase(s, "ops");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_unary);
    tcase_add_test(tc, test_binary);
    tcase_add_test(tc, test_fmod_exact);
    tcase_add_test(tc, test_bool_ops);
    tcase_add_test(tc, test_complex_ops);
    tcase_add_test(tc, test_int_pow);
    tcase_add_test(tc, test_int_div_range);
    tcase_add_test(tc, test_int_div_8bit_all);
    tcase_add_test(tc, test_int_pow_narrow_all);
    tcase_add_test(tc, test_int_div_zero);
    tcase_add_test(tc, test_empty_and_bad);
    tcase_add_test(tc, test_map);
    tcase_add_test(tc, test_inplace_block_edges);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
