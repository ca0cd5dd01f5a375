/* The one definition of every element-wise op: what each op computes on
 * one element, for the floating dtypes and (where defined) for the integer
 * dtypes, and which kinds of dtype have it. The kernel layer (kernels_template.h)
 * instantiates these lists once; pa_unary/pa_binary (ops.c) and the
 * expression VM both run those kernels, so both compute the same bits.
 *
 * Lists: X(NAME, name, KINDS, FEXPR, IEXPR); the unary and binary ops in
 * the order of the public enums PA_UNARY_LIST/PA_BINARY_LIST. The
 * expressions are written on plain operands `x` (and `y`, `z`) of an
 * element type T, with these names in scope where they are expanded:
 *   T    the element type (PA_DTYPE_LIST's T column);
 *   U    for integer T, its unsigned type of the same width (the list's U
 *        column): signed arithmetic goes through U so that it wraps like
 *        numpy's instead of overflowing (undefined in C);
 *   err  an int lvalue to which integer ops OR PA_OPERR_* bits instead of
 *        trapping (integer division by zero would raise SIGFPE).
 * KINDS says which dtypes have the op: 0 the float dtypes only, 1 the float
 * and the integer dtypes, 2 the integer dtypes only (bit shifts).
 * FEXPR is the float form: the PA_F1/PA_F2 wrappers call f for double and
 * ff for float, so f32 stays f32 (no tgmath.h, whose macros would leak into
 * every file). IEXPR is the integer form. A form the op's KINDS excludes is
 * PA_NOINT or PA_NOFLOAT: no kernel of it is built, and the entry points
 * refuse the op for those dtypes with PA_ENOTSUP. KINDS 2 (bitwise ops and
 * shifts) is the integers and, where PA__BOOL_HAS_<NAME> lists it, bool
 * (see PA__OP_HAS). A predicate (PA__OP_IS_PREDICATE: comparisons and
 * logical ops) writes a bool whatever T is: its expressions are truth
 * values. */
#ifndef PARRAY_OPDEFS_H
#define PARRAY_OPDEFS_H

#include <complex.h>
/* glibc defines CMPLX and CMPLXF for gcc only; clang (the fuzz build) has
 * the same builtin. */
#ifndef CMPLX
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif
#ifndef CMPLXF
#define CMPLXF(x, y) __builtin_complex((float)(x), (float)(y))
#endif
#include <math.h>
#include <stdint.h>
/* complex.h's short names, which the library's code uses for its own
 * variables: the complex code here writes _Complex and CMPLX. */
#undef complex
#undef I

#include "dtype.h"
#include "vmath.h"

/* Bits of err. */
#define PA_OPERR_DIVZERO 1 /* integer div or fmod by zero (the result is 0) */
#define PA_OPERR_NEGPOW 2  /* integer pow with a negative exponent (the result is 0) */

/* double f(double) or float ff(float), chosen by the operand's type. f16
 * computes in f32's kernels (kernels_template.h's K_WIDE), so no form here takes
 * an f16. (default, not double: clang keeps a const operand's qualifier in
 * the selection.) */
/* clang-format off */
#define PA_F1(fn, x) _Generic((x), float: fn##f, default: fn)(x)
#define PA_F2(fn, x, y) _Generic((x), float: fn##f, default: fn)((x), (y))

/* floor, ceil and rint, whose NaN result is quiet on every instruction
 * set: the SSE4.1/AVX rounding instructions quiet a signalling NaN, and
 * glibc's floor for plain x86-64 returns it unchanged, so the clones of a
 * kernel gave different bits for one. */
#define PA_FROUND(fn, x) ((x) != (x) ? (x) + (x) : PA_F1(fn, x))

/* abs; of a complex x, hypot(real, imag) as vmath.h computes it (numpy's
 * npy_cabs is libm's hypot). */
#define PA_FABS(x)                                                                     \
    _Generic((x), float _Complex: PA_CABS(x), double _Complex: PA_CABS(x),             \
             default: PA_F1(fabs, __real__(x)))
#define PA_CABS(x) PA_VM2(HYPOT, __real__(x), __imag__(x))

/* The complex functions on a float or complex x (a real x is a complex
 * number with imaginary part +0, as numpy's conj, real, imag and angle
 * take it): conj negates the imaginary part; real and imag are GNU C's
 * __real__ and __imag__ (x and +0 for a real x); angle is numpy's,
 * arctan2(imag, real), in the part type. */
#define PA_CONJ(x)                                                                     \
    _Generic((x), float _Complex: conjf(x), double _Complex: conj(x), default: (x))
#define PA_ANGLE(x)                                                                    \
    _Generic((x), float _Complex: PA_CANGLE(x), double _Complex: PA_CANGLE(x),         \
             default: PA_RANGLE(x))
#define PA_CANGLE(x) PA_VM2(ATAN2, __imag__(x), __real__(x))
/* The angle of a real x, atan2(+0, x): +0 for x >= +0 and +inf, pi (in x's
 * type) for x <= -0 and -inf, x's NaN quieted for a NaN, as libm's atan2
 * gives them; a select, where libm's atan2 an element at a time ran f32
 * angle at 0.16x of the triad. */
#define PA_RANGLE(x)                                                                   \
    ((x) != (x) ? (x) + (x)                                                            \
     : PA_F2(copysign, (__typeof__(__real__(x)))1, __real__(x)) < 0                    \
         ? (__typeof__(x))3.14159265358979323846                                       \
         : (__typeof__(x))0)

/* sqrt for a float or complex x: for complex, libm's csqrt (numpy's
 * function, which calls it). */
#define PA_C1(fn, x)                                                                   \
    _Generic((x), float _Complex: c##fn##f, double _Complex: c##fn, float: fn##f,      \
             default: fn)(x)

/* The transcendental functions of vmath.h, by their kernel op N: one
 * element as a block computes it, in double for f64 and in float for f32.
 * PA_CVM is exp or log, whose complex forms are libm's cexp and
 * clog. The kernels compute these a block at a time (kernels_template.h's
 * K_VMATH); the forms here are the same bits for one element. */
#define PA_VM2(N, x, y)                                                                \
    _Generic((x), float: pa__vm1_f32, default: pa__vm1_f64)(                           \
        PA__VM_##N, (x), (y))
#define PA_VM1(N, x) PA_VM2(N, x, x)
#define PA_CVM(N, fn, x)                                                               \
    _Generic((x), float _Complex: c##fn##f(x), double _Complex: c##fn(x),              \
             default: PA_VM1(N, x))

/* An f16 NaN result of an op of two or three operands is the default
 * quiet NaN (kernels_template.h's K_WIDE gives it so for the ops f16 computes in
 * f32's kernels); the fused ops take it here, so that they give what their
 * two ops give. */
#define PA_HALF_NAN(x, E) _Generic((x), PA_HALF: pa_half_nan((float)(E)), default: (E))
static inline float pa_half_nan(float v)
{
    return v != v ? (float)NAN : v;
}

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
/* clang-format on */

/* The integer form of a float-only op and the float form of an
 * integer-only op: never compiled (see above). */
#define PA_NOINT ((T)0)
#define PA_NOFLOAT ((T)0)

/* Whether dtypes of kind K have the op NAME whose INT_OK column is iok,
 * as 0 or 1 for the preprocessor. iok: 0 float only, 1 float and
 * integers, 2 integers (and bool where listed: numpy's bitwise ops; bit
 * shifts are integers only), 3 bool only (the logical ops). Bool has the ops numpy gives a bool result, by name
 * (PA__BOOL_HAS_<NAME>; a name without a line is 0). A new kind adds its
 * line here; until it does, the kernel layer does not compile. Complex has
 * the ops named in PA__CX_HAS_<NAME>, each in its float form, which is
 * written to serve complex too; every other op, a new one included, is
 * PA_ENOTSUP for complex. */
#define PA__OP_HAS(K, NAME, iok) PA__OP_HAS_##K(NAME, iok)
#define PA__OP_HAS_FLOAT(NAME, iok) PA__OP_FLOAT_##iok
#define PA__OP_HAS_SINT(NAME, iok) PA__OP_INT_##iok
#define PA__OP_HAS_UINT(NAME, iok) PA__OP_INT_##iok
#define PA__OP_HAS_BOOL(NAME, iok) PA__PROBE(PA__BOOL_HAS_##NAME)
#define PA__OP_HAS_COMPLEX(NAME, iok) PA__PROBE(PA__CX_HAS_##NAME)
#define PA__OP_FLOAT_0 1
#define PA__OP_FLOAT_1 1
#define PA__OP_FLOAT_2 0
#define PA__OP_INT_0 0
#define PA__OP_INT_1 1
#define PA__OP_INT_2 1
/* PA__PROBE(x) is 1 when x expands to `~, 1` and 0 for any other token. */
#define PA__PROBE(...) PA__PROBE_(__VA_ARGS__, 0, ~)
#define PA__PROBE_(x, v, ...) v
/* Bool's ops: abs is the identity, + is or, * is and, minimum is and,
 * maximum is or (the integer forms on _Bool), the bitwise ops, the logical ops;
 * the others (-, //, **, fmod, square, floor, ...) numpy refuses or
 * computes in another dtype. */
#define PA__BOOL_HAS_ABS ~, 1
#define PA__BOOL_HAS_ADD ~, 1
#define PA__BOOL_HAS_MUL ~, 1
#define PA__BOOL_HAS_MINIMUM ~, 1
#define PA__BOOL_HAS_MAXIMUM ~, 1
#define PA__BOOL_HAS_LOGICAL_NOT ~, 1
#define PA__BOOL_HAS_INVERT ~, 1
#define PA__BOOL_HAS_LOGICAL_AND ~, 1
#define PA__BOOL_HAS_LOGICAL_OR ~, 1
#define PA__BOOL_HAS_LOGICAL_XOR ~, 1
#define PA__BOOL_HAS_BITWISE_AND ~, 1
#define PA__BOOL_HAS_BITWISE_OR ~, 1
#define PA__BOOL_HAS_BITWISE_XOR ~, 1
#define PA__BOOL_HAS_LT ~, 1
#define PA__BOOL_HAS_LE ~, 1
#define PA__BOOL_HAS_GT ~, 1
#define PA__BOOL_HAS_GE ~, 1
#define PA__BOOL_HAS_EQ ~, 1
#define PA__BOOL_HAS_NE ~, 1
#define PA__BOOL_HAS_WHERE ~, 1
#define PA__BOOL_HAS_COPY ~, 1
#define PA__CX_HAS_NEG ~, 1
#define PA__CX_HAS_SQRT ~, 1
#define PA__CX_HAS_EXP ~, 1
#define PA__CX_HAS_LOG ~, 1
#define PA__CX_HAS_ADD ~, 1
#define PA__CX_HAS_SUB ~, 1
#define PA__CX_HAS_MUL ~, 1
#define PA__CX_HAS_DIV ~, 1
#define PA__CX_HAS_WHERE ~, 1
#define PA__CX_HAS_COPY ~, 1
#define PA__CX_HAS_ABS ~, 1
#define PA__CX_HAS_CONJ ~, 1
#define PA__CX_HAS_REAL ~, 1
#define PA__CX_HAS_IMAG ~, 1
#define PA__CX_HAS_ANGLE ~, 1
#define PA__CX_HAS_MULADD ~, 1
#define PA__CX_HAS_ADDMUL ~, 1
/* The ops whose result on a complex dtype is its part dtype (c128: f64),
 * as numpy's: their kernels for complex store the part type. On every
 * other dtype every op's result has the operands' dtype. */
#define PA__TO_PART_ABS ~, 1
#define PA__TO_PART_REAL ~, 1
#define PA__TO_PART_IMAG ~, 1
#define PA__TO_PART_ANGLE ~, 1
#define PA__TO_PART(K, NAME) PA__SEL(PA__IS_COMPLEX(K), 0, PA__PROBE(PA__TO_PART_##NAME))

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

/* Integers that are not bool (bool has none of the ops below). */
#define PA__IS_NUMINT(K) PA__SEL(PA__IS_BOOL(K), PA__IS_INT(K), 0)

/* The quotient of integers x, y of at most 32 bits, truncated or floored,
 * in floating point: x86 has no vector integer division (i16 // ran at
 * 0.28x of the triad, and at 0.80-0.87x in float; u8 at 0.16x, and 0.37x,
 * as it needs twice the float divisions per byte; i32 at 0.44x, with
 * idiv). Exact: x and y are exact in the float type, and a quotient that
 * is not whole lies at least 1/|y| from the nearest whole number, more
 * than the rounding error |x/y| 2^-p (|x| < 2^p), so the rounded
 * quotient has the same floor and truncation as the exact one. Up to 16
 * bits in float and int32 (pa_inarrow_quot), 32 bits in double
 * (pa_iwide_quot; kernels_template.h's K_IDIV64 takes it for 64-bit blocks that
 * allow it). kernels_template.h's k_div8 computes the 8-bit ones by a table of
 * reciprocals instead, on CPUs with AVX-512 VBMI; the bits are these.
 *
 * The dtypes that divide in double: their division helpers (and kernels,
 * kernels_template.h's K_ATTRS) may assume no trapping math, without which gcc
 * vectorises neither the conversions nor floor and trunc; a helper inlines
 * only into a kernel compiled with the same option. On the narrow types
 * the option made gcc's i16 mod loop slower (0.70x -> 0.47x of the
 * triad). */
#define PA__DIV_IN_DOUBLE_I32 ~, 1
#define PA__DIV_IN_DOUBLE_U32 ~, 1
#define PA__DIV_IN_DOUBLE_I64 ~, 1
#define PA__DIV_IN_DOUBLE_U64 ~, 1
#define PA_NO_TRAPS __attribute__((optimize("no-trapping-math")))
#define PA_NO_TRAPS_IF(DT) PA__WHEN(PA__PROBE(PA__DIV_IN_DOUBLE_##DT), PA_NO_TRAPS)
static inline int32_t pa_inarrow_quot(int32_t x, int32_t y, int floored)
{
    float q = (float)x / (float)y;
    int32_t t = (int32_t)q;
    return floored ? t - (int32_t)((float)t > q) : t;
}
PA_NO_TRAPS static inline double pa_iwide_quot(double x, double y, int floored)
{
    const double q = x / y;
    return floored ? floor(q) : trunc(q);
}
#define PA_IQUOT(x, y, floored)                                                                  \
    _Generic((x), double : pa_iwide_quot, default : pa_inarrow_quot)(x, y, floored)

/* Floor division (numpy's //), C remainder (numpy.fmod), the remainder
 * with the sign of the divisor (numpy.mod, Python's %) and power for the
 * integer dtypes, one definition for each width. y == -1 is taken apart
 * because INT_MIN / -1 overflows (it traps on x86). Up to 32 bits, the
 * first three divide in floating point (PA_IQUOT), with masks for
 * branches, so that gcc vectorises them (with a ?: it did not); a zero
 * divisor divides by 1 there, and the result is masked to 0. A 32-bit
 * result, a whole double in [-2^31, 2^32) (2^31 is INT_MIN // -1), wraps
 * to T through uint32_t. The kernels compute power a block at a time
 * (kernels_template.h's K_IPOW, with these bits); pa_ipow is its element form. */
#define PA_IDIV_IN_FLOAT(x, y, err, E)                                                           \
    if (sizeof(T) <= 2) {                                                                        \
        const int32_t nz = (y) != 0, xi = (int32_t)(x), yi = (int32_t)(y) + !nz;                 \
        *(err) |= !nz * PA_OPERR_DIVZERO;                                                        \
        return PA_IWRAP((E) & -nz);                                                              \
    }                                                                                            \
    if (sizeof(T) == 4) {                                                                        \
        const int nz = (y) != 0;                                                                 \
        const double xi = (double)(x), yi = (double)(y) + !nz, v_ = (E)*nz;                      \
        *(err) |= !nz * PA_OPERR_DIVZERO;                                                        \
        return PA_IWRAP((uint32_t)(v_ < 0 ? v_ + 4294967296.0 : v_));                            \
    }
#define PA_INT_HELPERS(C, NAME, sfx, TT, UU, KIND, ...)                                          \
    PA__WHEN(PA__IS_NUMINT(KIND), PA_INT_HELPERS_(TT, UU, NAME))
#define PA_INT_HELPERS_(TT, UU, sfx)                                                             \
    PA_NO_TRAPS_IF(sfx) static inline TT pa_ifloordiv_##sfx(TT x, TT y, int *err)                \
    {                                                                                            \
        typedef TT T;                                                                            \
        typedef UU U;                                                                            \
        PA_IDIV_IN_FLOAT(x, y, err, PA_IQUOT(xi, yi, 1))                                         \
        if (y == 0) {                                                                            \
            *err |= PA_OPERR_DIVZERO;                                                            \
            return 0;                                                                            \
        }                                                                                        \
        if (PA_INEG_P(y) && y == (T)-1)                                                          \
            return PA_IWRAP((U)0 - (U)x);                                                        \
        T q = (T)(x / y);                                                                        \
        if ((T)(x % y) != 0 && (PA_INEG_P(x) != PA_INEG_P(y)))                                   \
            q = (T)(q - 1);                                                                      \
        return q;                                                                                \
    }                                                                                            \
    PA_NO_TRAPS_IF(sfx) static inline TT pa_ifmod_##sfx(TT x, TT y, int *err)                    \
    {                                                                                            \
        typedef TT T;                                                                            \
        typedef UU U;                                                                            \
        PA_IDIV_IN_FLOAT(x, y, err, xi - PA_IQUOT(xi, yi, 0) * yi)                               \
        if (y == 0) {                                                                            \
            *err |= PA_OPERR_DIVZERO;                                                            \
            return 0;                                                                            \
        }                                                                                        \
        if (PA_INEG_P(y) && y == (T)-1)                                                          \
            return 0;                                                                            \
        return (T)(x % y);                                                                       \
    }                                                                                            \
    PA_NO_TRAPS_IF(sfx) static inline TT pa_imod_##sfx(TT x, TT y, int *err)                     \
    {                                                                                            \
        typedef TT T;                                                                            \
        typedef UU U;                                                                            \
        PA_IDIV_IN_FLOAT(x, y, err, xi - PA_IQUOT(xi, yi, 1) * yi)                               \
        T r = pa_ifmod_##sfx(x, y, err);                                                         \
        /* r and y of opposite signs: |r| < |y|, so r + y cannot overflow. */                    \
        if (r != 0 && PA_INEG_P(r) != PA_INEG_P(y))                                              \
            r = (T)(r + y);                                                                      \
        return r;                                                                                \
    }                                                                                            \
    static inline TT pa_ipow_##sfx(TT x, TT y, int *err)                                         \
    {                                                                                            \
        typedef TT T;                                                                            \
        typedef UU U;                                                                            \
        if (PA_INEG_P(y)) {                                                                      \
            *err |= PA_OPERR_NEGPOW;                                                             \
            return 0;                                                                            \
        }                                                                                        \
        U r = 1, b = (U)x, e = (U)y;                                                             \
        while (e) {                                                                              \
            if (e & 1u)                                                                          \
                r = (U)(PA_UW(r) * b);                                                           \
            b = (U)(PA_UW(b) * b);                                                               \
            e >>= 1;                                                                             \
        }                                                                                        \
        return (T)r;                                                                             \
    }
PA_DTYPE_LIST_WITH(PA_INT_HELPERS, ~)
#undef PA_INT_HELPERS
#undef PA_INT_HELPERS_

/* numpy's left_shift and right_shift: a count outside [0, width) shifts
 * every bit out (0, or -1 for >> of a negative value), as numpy's
 * npy_lshift/npy_rshift; a left shift goes through U, so that bits moved
 * into the sign bit wrap instead of overflowing. */
#define PA_SHIFT_IN_RANGE(y) ((uint64_t)(U)(y) < sizeof(T) * 8u)
#define PA_ILSHIFT(x, y) (PA_SHIFT_IN_RANGE(y) ? PA_IWRAP(PA_UW(x) << (y)) : (T)0)
#define PA_IRSHIFT(x, y) (PA_SHIFT_IN_RANGE(y) ? (T)((x) >> (y)) : PA_INEG_P(x) ? (T)-1 : (T)0)

/* The helper name for x's type: _Generic over the integer dtypes. */
/* clang-format off */
#define PA_IHELPER(name, x, y)                                                         \
    _Generic((x)PA_DTYPE_LIST_WITH(PA_IHELPER_ASSOC, name))((x), (y), &err)
#define PA_IHELPER_ASSOC(name, NAME, sfx, T, U, KIND, ...)                             \
    PA__WHEN(PA__IS_NUMINT(KIND), , T: pa_i##name##_##NAME)
/* clang-format on */

/* Unary: X(NAME, name, KINDS, FEXPR, IEXPR). round is rint, which rounds
 * half to even in the default rounding mode (numpy.round); floor, ceil and
 * round are the identity on integers. */
#define PA_UNARY_OPS(X)                                                                          \
    X(NEG, neg, 1, (-x), PA_IWRAP((U)0 - (U)x))                                                  \
    X(ABS, abs, 1, PA_FABS(x), (PA_INEG_P(x) ? PA_IWRAP((U)0 - (U)x) : x))                       \
    X(SQRT, sqrt, 0, PA_C1(sqrt, x), PA_NOINT)                                                   \
    X(EXP, exp, 0, PA_CVM(EXP, exp, x), PA_NOINT)                                                \
    X(LOG, log, 0, PA_CVM(LOG, log, x), PA_NOINT)                                                \
    X(LOG10, log10, 0, PA_VM1(LOG10, x), PA_NOINT)                                               \
    X(LOG1P, log1p, 0, PA_VM1(LOG1P, x), PA_NOINT)                                               \
    X(EXPM1, expm1, 0, PA_VM1(EXPM1, x), PA_NOINT)                                               \
    X(SIN, sin, 0, PA_VM1(SIN, x), PA_NOINT)                                                     \
    X(COS, cos, 0, PA_VM1(COS, x), PA_NOINT)                                                     \
    X(TAN, tan, 0, PA_VM1(TAN, x), PA_NOINT)                                                     \
    X(TANH, tanh, 0, PA_VM1(TANH, x), PA_NOINT)                                                  \
    X(FLOOR, floor, 1, PA_FROUND(floor, x), x)                                                   \
    X(CEIL, ceil, 1, PA_FROUND(ceil, x), x)                                                      \
    X(ROUND, round, 1, PA_FROUND(rint, x), x)                                                    \
    X(SQUARE, square, 1, (x * x), PA_IWRAP(PA_UW(x) * (U)x))                                     \
    X(RECIPROCAL, reciprocal, 0, ((T)1 / x), PA_NOINT)                                           \
    X(SINH, sinh, 0, PA_VM1(SINH, x), PA_NOINT)                                                  \
    X(COSH, cosh, 0, PA_VM1(COSH, x), PA_NOINT)                                                  \
    X(ARCSIN, arcsin, 0, PA_VM1(ARCSIN, x), PA_NOINT)                                            \
    X(ARCCOS, arccos, 0, PA_VM1(ARCCOS, x), PA_NOINT)                                            \
    X(ARCTAN, arctan, 0, PA_VM1(ARCTAN, x), PA_NOINT)                                            \
    X(ARCSINH, arcsinh, 0, PA_VM1(ARCSINH, x), PA_NOINT)                                         \
    X(ARCCOSH, arccosh, 0, PA_VM1(ARCCOSH, x), PA_NOINT)                                         \
    X(ARCTANH, arctanh, 0, PA_VM1(ARCTANH, x), PA_NOINT)                                         \
    X(LOGICAL_NOT, logical_not, 1, (!x), (!x))                                                   \
    X(INVERT, invert, 2, PA_NOFLOAT, PA_IWRAP((U)x ^ (U)-1))                                     \
    X(CONJ, conj, 1, PA_CONJ(x), x)                                                              \
    X(REAL, real, 1, (__real__(x)), x)                                                           \
    X(IMAG, imag, 1, (__imag__(x)), (T)0)                                                        \
    X(ANGLE, angle, 0, PA_ANGLE(x), PA_NOINT)

/* Binary: X(NAME, name, KINDS, FEXPR, IEXPR). minimum/maximum return x
 * when x is NaN and y otherwise unless x wins, so a NaN on either side
 * propagates (numpy.minimum). Integer div is floor division (numpy's //),
 * fmod has the sign of x (numpy.fmod) and mod the sign of y (numpy.mod,
 * Python's %). mul's `& (U)-1` keeps the bits U holds (the compiler drops
 * it), so that bool's product converts to _Bool as an integer, not as a
 * `*` in a boolean context (a warning). */
#define PA_BINARY_OPS(X)                                                                         \
    X(ADD, add, 1, (x + y), PA_IWRAP((U)x + (U)y))                                               \
    X(SUB, sub, 1, (x - y), PA_IWRAP((U)x - (U)y))                                               \
    X(MUL, mul, 1, PA_CX2(mul, x, y, x *y), PA_IWRAP(PA_UW(x) * (U)y & (U)-1))                   \
    X(DIV, div, 1, PA_CX2(div, x, y, x / y), PA_IHELPER(floordiv, x, y))                         \
    X(POW, pow, 1, PA_VM2(POW, x, y), PA_IHELPER(pow, x, y))                                     \
    X(MINIMUM, minimum, 1, ((x != x || x < y) ? x : y), (x < y ? x : y))                         \
    X(MAXIMUM, maximum, 1, ((x != x || x > y) ? x : y), (x > y ? x : y))                         \
    X(HYPOT, hypot, 0, PA_VM2(HYPOT, x, y), PA_NOINT)                                            \
    X(ATAN2, atan2, 0, PA_VM2(ATAN2, x, y), PA_NOINT)                                            \
    X(FMOD, fmod, 1, PA_VM2(FMOD, x, y), PA_IHELPER(fmod, x, y))                                 \
    X(MOD, mod, 1, PA_VM2(MOD, x, y), PA_IHELPER(mod, x, y))                                     \
    X(LEFT_SHIFT, left_shift, 2, PA_NOFLOAT, PA_ILSHIFT(x, y))                                   \
    X(RIGHT_SHIFT, right_shift, 2, PA_NOFLOAT, PA_IRSHIFT(x, y))                                 \
    X(LOGICAL_AND, logical_and, 1, (x && y), (x && y))                                           \
    X(LOGICAL_OR, logical_or, 1, (x || y), (x || y))                                             \
    X(LOGICAL_XOR, logical_xor, 1, (!x != !y), (!x != !y))                                       \
    X(BITWISE_AND, bitwise_and, 2, PA_NOFLOAT, (T)(x & y))                                       \
    X(BITWISE_OR, bitwise_or, 2, PA_NOFLOAT, (T)(x | y))                                         \
    X(BITWISE_XOR, bitwise_xor, 2, PA_NOFLOAT, (T)(x ^ y))

/* The expression language's ops beyond the public ones, in the same
 * format. Comparisons (binary): true or false, a bool (see below); a NaN
 * compares unequal to everything, +0 equals -0. */
#define PA_COMPARE_OPS(X)                                                                        \
    X(LT, less, 1, (x < y), (x < y))                                                             \
    X(LE, less_equal, 1, (x <= y), (x <= y))                                                     \
    X(GT, greater, 1, (x > y), (x > y))                                                          \
    X(GE, greater_equal, 1, (x >= y), (x >= y))                                                  \
    X(EQ, equal, 1, (x == y), (x == y))                                                          \
    X(NE, not_equal, 1, (x != y), (x != y))

/* The predicates: the ops whose result is a bool whatever the dtype they
 * compute in (numpy's comparisons and logical ops), by name as
 * PA__BOOL_HAS_<NAME> (PA__PROBE). Their kernels read operands of the
 * dtype and write _Bool; the others write the dtype they read. On a
 * float, a NaN is true (not zero), as numpy's logical ops take it. */
#define PA__OP_IS_PREDICATE(NAME) PA__PROBE(PA__PREDICATE_##NAME)
#define PA__PREDICATE_LT ~, 1
#define PA__PREDICATE_LE ~, 1
#define PA__PREDICATE_GT ~, 1
#define PA__PREDICATE_GE ~, 1
#define PA__PREDICATE_EQ ~, 1
#define PA__PREDICATE_NE ~, 1
#define PA__PREDICATE_LOGICAL_NOT ~, 1
#define PA__PREDICATE_LOGICAL_AND ~, 1
#define PA__PREDICATE_LOGICAL_OR ~, 1
#define PA__PREDICATE_LOGICAL_XOR ~, 1

/* Ternary: where(x, y, z) (a NaN condition is true, as numpy's), and the
 * fused x*y + z, z + x*y and (x - y) / z, which round the inner op's result
 * to T first so that they give the bits of the two ops apart (no FMA:
 * -std=c11 does not contract, and the cast drops any excess precision; a
 * complex product is mul's); integers wrap as mul then add do (both are
 * exact modulo the width). The expression VM fuses a*b + c and
 * (a - b) / c into them where the dtype has them, so that the inner
 * result never goes through a register (complex products on Intel only,
 * see expr_eval.c). (x - y) / z is for the floats: standardising,
 * (x - mean) / std, whose division is the core's slowest op. */
#define PA_TERNARY_OPS(X)                                                                        \
    X(WHERE, where, 1, (x != 0 ? y : z), (x != 0 ? y : z))                                       \
    X(MULADD, muladd, 1, PA_HALF_NAN(x, (T)PA_CX2(mul, x, y, x *y) + z),                         \
      PA_IWRAP((PA_UW(x) * (U)y & (U)-1) + (U)z))                                                \
    X(ADDMUL, addmul, 1, PA_HALF_NAN(x, z + (T)PA_CX2(mul, x, y, x * y)),                        \
      PA_IWRAP((U)z + (PA_UW(x) * (U)y & (U)-1)))                                                \
    X(SUBDIV, subdiv, 0, PA_HALF_NAN(x, (T)(x - y) / z), PA_NOINT)

/* Unary: out = x (a copy, or with a stride-0 operand a fill). */
#define PA_COPY_OPS(X) X(COPY, copy, 1, x, x)

#endif
