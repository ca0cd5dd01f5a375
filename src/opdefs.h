/* The one definition of every element-wise op: what each op computes on
 * one element, for the floating dtypes and (where defined) for the integer
 * dtypes, and which kinds of dtype have it. The kernel layer (kernels.c)
 * instantiates these lists once; pa_unary/pa_binary (ops.c) and the
 * expression VM both run those kernels, so both compute the same bits.
 *
 * Lists: X(NAME, name, INT_OK, FEXPR, IEXPR); the unary and binary ops in
 * the order of the public enums PA_UNARY_LIST/PA_BINARY_LIST. The
 * expressions are written on plain operands `x` (and `y`, `z`) of an
 * element type T, with these names in scope where they are expanded:
 *   T    the element type (PA_DTYPE_LIST's T column);
 *   U    for integer T, its unsigned type of the same width (the list's U
 *        column): signed arithmetic goes through U so that it wraps like
 *        numpy's instead of overflowing (undefined in C);
 *   err  an int lvalue to which integer ops OR PA_OPERR_* bits instead of
 *        trapping (integer division by zero would raise SIGFPE).
 * FEXPR is the float form: the PA_F1/PA_F2 wrappers call f for double and
 * ff for float, so f32 stays f32 (no tgmath.h, whose macros would leak into
 * every file). IEXPR is the integer form; it is only meaningful where
 * INT_OK is 1 (elsewhere it is PA_NOINT: no integer kernel of the op is
 * built, and the entry points refuse the op for integer dtypes). */
#ifndef PARRAY_OPDEFS_H
#define PARRAY_OPDEFS_H

#include <complex.h>
#include <math.h>
#include <stdint.h>
/* complex.h's short names, which the library's code uses for its own
 * variables: the complex code here writes _Complex and CMPLX. */
#undef complex
#undef I

#include "dtype.h"

/* Bits of err. */
#define PA_OPERR_DIVZERO 1 /* integer div or fmod by zero (the result is 0) */
#define PA_OPERR_NEGPOW 2  /* integer pow with a negative exponent (the result is 0) */

/* double f(double) or float ff(float), chosen by the operand's type; f16
 * computes in float (the result rounds to f16 where it is stored), as
 * numpy's float16 loops do. */
#define PA_F1(fn, x) _Generic((x), float: fn##f, PA_HALF: fn##f, default: fn)(x)
#define PA_F2(fn, x, y) _Generic((x), float: fn##f, PA_HALF: fn##f, default: fn)((x), (y))

/* floor, ceil and rint, whose NaN result is quiet on every instruction
 * set: the SSE4.1/AVX rounding instructions quiet a signalling NaN, and
 * glibc's floor for plain x86-64 returns it unchanged, so the clones of a
 * kernel gave different bits for one. */
#define PA_FROUND(fn, x) ((x) != (x) ? (x) + (x) : PA_F1(fn, x))

/* fabs whose NaN result is the same on every path: f16's fabs goes
 * through float, and gcc's vectorised loop clears the sign bit of the f16
 * directly (a signalling NaN stays signalling) where the scalar loop's
 * conversion quiets it; so an f16 NaN is quieted first, on every path. */
#define PA_FABS(x)                                                                     \
    _Generic((x), PA_HALF: ((x) != (x) ? (x) + (x) : PA_F1(fabs, x)), default: PA_F1(fabs, x))

/* sqrt, exp and log for a float or complex x: for complex, libm's csqrt,
 * cexp and clog (numpy's functions, which call them). */
#define PA_C1(fn, x)                                                                   \
    _Generic((x), float _Complex: c##fn##f, double _Complex: c##fn, float: fn##f,      \
             PA_HALF: fn##f, default: fn)(x)

/* Complex multiply and divide as numpy computes them, so that the bits
 * are numpy's: the schoolbook product (no C99 Annex G recovery of an inf
 * from NaN parts, which C's `*` does in a libgcc call that stops the loop
 * from vectorising) and Smith's division, with a zero divisor giving
 * numpy's inf or NaN parts. R is the part type, MK its CMPLX.
 *
 * Two things keep every loop's bits the same: the real part a*c - b*d is
 * written a*c + (-b)*d (the same value), a form in which gcc 12 does not
 * take the loop for a complex multiply, which it vectorises with a fused
 * multiply-add in spite of -std=c11; and a NaN part comes out as the
 * default quiet NaN (PA_CX_QNAN), because gcc rewrites these forms
 * differently in scalar and vector code, so the sign of a NaN would differ
 * between them (numpy's NaN parts may differ in sign and payload). */
#define PA_CX_QNAN(R, v) ((v) != (v) ? (R)NAN : (v))
#define PA_CX_FNS(R, MK, sfx)                                                          \
    static inline R _Complex pa_cmul_##sfx(R _Complex x, R _Complex y)                 \
    {                                                                                  \
        R a = __real__ x, b = __imag__ x, c = __real__ y, d = __imag__ y;              \
        R re = a * c + (-b) * d, im = a * d + b * c;                                   \
        return MK(PA_CX_QNAN(R, re), PA_CX_QNAN(R, im));                               \
    }                                                                                  \
    static inline R _Complex pa_cdiv_##sfx(R _Complex x, R _Complex y)                 \
    {                                                                                  \
        R a = __real__ x, b = __imag__ x, c = __real__ y, d = __imag__ y;              \
        R ac = (R)fabs(c), ad = (R)fabs(d), re, im;                                    \
        if (ac >= ad && ac == 0 && ad == 0) {                                          \
            re = a / ac;                                                               \
            im = b / ac;                                                               \
        } else if (ac >= ad) {                                                         \
            R rat = d / c, scl = (R)1 / (c + d * rat);                                 \
            re = (a + b * rat) * scl;                                                  \
            im = (b - a * rat) * scl;                                                  \
        } else {                                                                       \
            R rat = c / d, scl = (R)1 / (d + c * rat);                                 \
            re = (a * rat + b) * scl;                                                  \
            im = (b * rat - a) * scl;                                                  \
        }                                                                              \
        return MK(PA_CX_QNAN(R, re), PA_CX_QNAN(R, im));                               \
    }
PA_CX_FNS(float, CMPLXF, f)
PA_CX_FNS(double, CMPLX, d)
#undef PA_CX_FNS

/* x * y and x / y: numpy's complex forms above, C's for real floats. */
#define PA_CX2(fn, x, y, E)                                                            \
    _Generic((x), float _Complex: pa_c##fn##_f(x, y), double _Complex: pa_c##fn##_d(x, y), \
             default: (E))

/* The integer form of a float-only op: never compiled (see above). */
#define PA_NOINT ((T)0)

/* Whether dtypes of kind K have the op N whose INT_OK column is iok (0 or
 * 1, for the preprocessor): the float kind has every op, the integer kinds
 * those with INT_OK 1, the complex kind those named in PA__CX_HAS_<N>
 * (each in its float form, which is written to serve complex too). A new
 * kind adds its line here; until it does, the kernel layer does not
 * compile. */
#define PA__OP_HAS(K, N, iok) PA__OP_HAS_##K(N, iok)
#define PA__OP_HAS_FLOAT(N, iok) 1
#define PA__OP_HAS_SINT(N, iok) iok
#define PA__OP_HAS_UINT(N, iok) iok
#define PA__OP_HAS_COMPLEX(N, iok) PA__CX_PROBE(PA__CX_HAS_##N)
/* PA__CX_PROBE(PA__CX_HAS_N) is 1 where PA__CX_HAS_N is defined (as
 * `~, 1`), else 0: every other op, a new one included, is PA_ENOTSUP. */
#define PA__CX_PROBE(x) PA__CX_PROBE_(x, 0, ~)
#define PA__CX_PROBE_(...) PA__CX_SECOND(__VA_ARGS__)
#define PA__CX_SECOND(a, b, ...) b
#define PA__CX_HAS_NEG ~, 1
#define PA__CX_HAS_SQRT ~, 1
#define PA__CX_HAS_EXP ~, 1
#define PA__CX_HAS_LOG ~, 1
#define PA__CX_HAS_ADD ~, 1
#define PA__CX_HAS_SUB ~, 1
#define PA__CX_HAS_MUL ~, 1
#define PA__CX_HAS_DIV ~, 1
#define PA__CX_HAS_COPY ~, 1

/* Integer arithmetic that wraps: through U, then back to T (a conversion
 * to a signed type that gcc defines as modulo 2^N). A U narrower than int
 * promotes to int, where sums cannot overflow but uint16_t products can:
 * products take their operands through PA_UW, U promoted to at least
 * unsigned int, whose arithmetic wraps. */
#define PA_IWRAP(e) ((T)(U)(e))
#define PA_UW(x) (0u + (U)(x))
/* x < 0 without the always-false comparison that -Wtype-limits reports
 * for unsigned T. */
#define PA_INEG_P(x) ((x) < (T)1 && (x) != (T)0)

/* Floor division (numpy's //), C remainder (numpy.fmod) and power for the
 * integer dtypes, one definition for each width. y == -1 is taken apart
 * because INT_MIN / -1 overflows (it traps on x86). */
#define PA_INT_HELPERS(C, NAME, sfx, TT, UU, KIND, ...) PA__WHEN(PA__IS_INT(KIND), PA_INT_HELPERS_(TT, UU, sfx))
#define PA_INT_HELPERS_(TT, UU, sfx)                                                     \
    static inline TT pa_ifloordiv_##sfx(TT x, TT y, int *err)                          \
    {                                                                                  \
        typedef TT T;                                                                  \
        typedef UU U;                                                                  \
        if (y == 0) {                                                                  \
            *err |= PA_OPERR_DIVZERO;                                                  \
            return 0;                                                                  \
        }                                                                              \
        if (PA_INEG_P(y) && y == (T)-1)                                                \
            return PA_IWRAP((U)0 - (U)x);                                              \
        T q = (T)(x / y);                                                              \
        if ((T)(x % y) != 0 && (PA_INEG_P(x) != PA_INEG_P(y)))                         \
            q = (T)(q - 1);                                                            \
        return q;                                                                      \
    }                                                                                  \
    static inline TT pa_ifmod_##sfx(TT x, TT y, int *err)                              \
    {                                                                                  \
        typedef TT T;                                                                  \
        if (y == 0) {                                                                  \
            *err |= PA_OPERR_DIVZERO;                                                  \
            return 0;                                                                  \
        }                                                                              \
        if (PA_INEG_P(y) && y == (T)-1)                                                \
            return 0;                                                                  \
        return (T)(x % y);                                                             \
    }                                                                                  \
    static inline TT pa_ipow_##sfx(TT x, TT y, int *err)                               \
    {                                                                                  \
        typedef TT T;                                                                  \
        typedef UU U;                                                                  \
        if (PA_INEG_P(y)) {                                                            \
            *err |= PA_OPERR_NEGPOW;                                                   \
            return 0;                                                                  \
        }                                                                              \
        U r = 1, b = (U)x, e = (U)y;                                                   \
        while (e) {                                                                    \
            if (e & 1u)                                                                \
                r = (U)(PA_UW(r) * b);                                                 \
            b = (U)(PA_UW(b) * b);                                                     \
            e >>= 1;                                                                   \
        }                                                                              \
        return (T)r;                                                                   \
    }
PA_DTYPE_LIST_WITH(PA_INT_HELPERS, ~)
#undef PA_INT_HELPERS
#undef PA_INT_HELPERS_

/* The helper name for x's type: _Generic over the integer dtypes. */
#define PA_IHELPER(name, x, y)                                                         \
    _Generic((x)PA_DTYPE_LIST_WITH(PA_IHELPER_ASSOC, name))((x), (y), &err)
#define PA_IHELPER_ASSOC(name, NAME, sfx, T, U, KIND, ...)                             \
    PA__WHEN(PA__IS_INT(KIND), , T: pa_i##name##_##sfx)

/* Unary: X(NAME, name, INT_OK, FEXPR, IEXPR). round is rint, which rounds
 * half to even in the default rounding mode (numpy.round); floor, ceil and
 * round are the identity on integers. */
#define PA_UNARY_OPS(X)                                                                \
    X(NEG, neg, 1, (-x), PA_IWRAP((U)0 - (U)x))                                        \
    X(ABS, abs, 1, PA_FABS(x), (PA_INEG_P(x) ? PA_IWRAP((U)0 - (U)x) : x))          \
    X(SQRT, sqrt, 0, PA_C1(sqrt, x), PA_NOINT)                                         \
    X(EXP, exp, 0, PA_C1(exp, x), PA_NOINT)                                            \
    X(LOG, log, 0, PA_C1(log, x), PA_NOINT)                                            \
    X(LOG10, log10, 0, PA_F1(log10, x), PA_NOINT)                                      \
    X(LOG1P, log1p, 0, PA_F1(log1p, x), PA_NOINT)                                      \
    X(EXPM1, expm1, 0, PA_F1(expm1, x), PA_NOINT)                                      \
    X(SIN, sin, 0, PA_F1(sin, x), PA_NOINT)                                            \
    X(COS, cos, 0, PA_F1(cos, x), PA_NOINT)                                            \
    X(TAN, tan, 0, PA_F1(tan, x), PA_NOINT)                                            \
    X(TANH, tanh, 0, PA_F1(tanh, x), PA_NOINT)                                         \
    X(FLOOR, floor, 1, PA_FROUND(floor, x), x)                                         \
    X(CEIL, ceil, 1, PA_FROUND(ceil, x), x)                                            \
    X(ROUND, round, 1, PA_FROUND(rint, x), x)                                          \
    X(SQUARE, square, 1, (x * x), PA_IWRAP(PA_UW(x) * (U)x))                           \
    X(RECIPROCAL, reciprocal, 0, ((T)1 / x), PA_NOINT)

/* Binary: X(NAME, name, INT_OK, FEXPR, IEXPR). minimum/maximum return x
 * when x is NaN and y otherwise unless x wins, so a NaN on either side
 * propagates (numpy.minimum). Integer div is floor division (numpy's //)
 * and fmod has the sign of x (numpy.fmod). */
#define PA_BINARY_OPS(X)                                                               \
    X(ADD, add, 1, (x + y), PA_IWRAP((U)x + (U)y))                                     \
    X(SUB, sub, 1, (x - y), PA_IWRAP((U)x - (U)y))                                     \
    X(MUL, mul, 1, PA_CX2(mul, x, y, x * y), PA_IWRAP(PA_UW(x) * (U)y))                \
    X(DIV, div, 1, PA_CX2(div, x, y, x / y), PA_IHELPER(floordiv, x, y))               \
    X(POW, pow, 1, PA_F2(pow, x, y), PA_IHELPER(pow, x, y))                            \
    X(MINIMUM, minimum, 1, ((x != x || x < y) ? x : y), (x < y ? x : y))               \
    X(MAXIMUM, maximum, 1, ((x != x || x > y) ? x : y), (x > y ? x : y))               \
    X(HYPOT, hypot, 0, PA_F2(hypot, x, y), PA_NOINT)                                   \
    X(ATAN2, atan2, 0, PA_F2(atan2, x, y), PA_NOINT)                                   \
    X(FMOD, fmod, 1, PA_F2(fmod, x, y), PA_IHELPER(fmod, x, y))

/* The expression language's ops beyond the public ones, in the same
 * format. Comparisons (binary): 1 when true, 0 when false, in the
 * operands' dtype. */
#define PA_COMPARE_OPS(X)                                                              \
    X(LT, less, 1, (x < y ? (T)1 : (T)0), (x < y ? (T)1 : (T)0))                       \
    X(LE, less_equal, 1, (x <= y ? (T)1 : (T)0), (x <= y ? (T)1 : (T)0))               \
    X(GT, greater, 1, (x > y ? (T)1 : (T)0), (x > y ? (T)1 : (T)0))                    \
    X(GE, greater_equal, 1, (x >= y ? (T)1 : (T)0), (x >= y ? (T)1 : (T)0))            \
    X(EQ, equal, 1, (x == y ? (T)1 : (T)0), (x == y ? (T)1 : (T)0))                    \
    X(NE, not_equal, 1, (x != y ? (T)1 : (T)0), (x != y ? (T)1 : (T)0))

/* Ternary: where(x, y, z) (a NaN condition is true, as numpy's), and the
 * fused x*y + z and z + x*y, which round the product to T first so that
 * they give the bits of mul then add (no FMA: -std=c11 does not contract,
 * and the cast drops any excess precision). The expression VM fuses
 * a*b + c into them where the dtype has them. */
#define PA_TERNARY_OPS(X)                                                              \
    X(WHERE, where, 1, (x != 0 ? y : z), (x != 0 ? y : z))                             \
    X(MULADD, muladd, 0, ((T)(x * y) + z), PA_NOINT)                                   \
    X(ADDMUL, addmul, 0, (z + (T)(x * y)), PA_NOINT)

/* Unary: out = x (a copy, or with a stride-0 operand a fill). */
#define PA_COPY_OPS(X) X(COPY, copy, 1, x, x)

#endif
