/* The transcendental functions of the float dtypes, computed a vector at a
 * time by glibc's vector math library (libmvec) where configure found it,
 * and one element at a time by libm where it did not.
 *
 * An element's result depends on its value alone: the last, partial
 * vector of a call is padded with copies of its last element, and each
 * lane of a libmvec function is computed apart from the others (a lane
 * that needs libm's scalar path takes it alone). So a kernel that computes
 * blocks gives every element the bits that pa__vm1_* gives it alone
 * (opdefs.h's element form), wherever the element falls in a rank's range,
 * and the results are the same for every rank count and layout.
 *
 * The widest instruction set of the CPU is chosen once (AVX-512, AVX2 or
 * SSE), not the kernel table's: every table gives the same bits on one
 * CPU, as libm's own CPU-selected variants do. libmvec's functions are
 * within 4 ulp of the exact result (glibc's manual), the class of numpy's
 * own vectorised loops; special values (+-0, +-inf, NaN) are libm's. */
#ifndef PARRAY_VMATH_H
#define PARRAY_VMATH_H

#include <stddef.h>

/* X(NAME, fn, ARITY): the kernel op NAME (opdefs.h) is libm's fn (the
 * double form; float's is fn##f) of ARITY operands, computed by libmvec. */
#define PA_VMATH_LIBMVEC(X)                                                                      \
    X(EXP, exp, 1)                                                                               \
    X(LOG, log, 1)                                                                               \
    X(LOG10, log10, 1)                                                                           \
    X(LOG1P, log1p, 1)                                                                           \
    X(EXPM1, expm1, 1)                                                                           \
    X(SIN, sin, 1)                                                                               \
    X(COS, cos, 1)                                                                               \
    X(TAN, tan, 1)                                                                               \
    X(TANH, tanh, 1)                                                                             \
    X(SINH, sinh, 1)                                                                             \
    X(COSH, cosh, 1)                                                                             \
    X(ARCSIN, asin, 1)                                                                           \
    X(ARCCOS, acos, 1)                                                                           \
    X(ARCTAN, atan, 1)                                                                           \
    X(ARCSINH, asinh, 1)                                                                         \
    X(ARCCOSH, acosh, 1)                                                                         \
    X(ARCTANH, atanh, 1)                                                                         \
    X(POW, pow, 2)                                                                               \
    X(HYPOT, hypot, 2)                                                                           \
    X(ATAN2, atan2, 2)

/* The same for the functions vmath.c computes in its own vector loops,
 * exactly: fmod (C's, numpy.fmod) and mod (numpy.mod, Python's %: the
 * remainder with the divisor's sign). An exact result is libm's whatever
 * computes it, so these hold the bit-for-bit promise on any CPU. */
#define PA_VMATH_EXACT(X)                                                                        \
    X(FMOD, fmod, 2)                                                                             \
    X(MOD, mod, 2)

#define PA_VMATH_FNS(X) PA_VMATH_LIBMVEC(X) PA_VMATH_EXACT(X)

typedef enum {
#define PA__VM_ENUM_(N, ...) PA__VM_##N,
    PA_VMATH_FNS(PA__VM_ENUM_)
#undef PA__VM_ENUM_
        PA__VM_N
} pa__vm_fn;

/* x[i] = f(x[i]), or f(x[i], y[i]) for a function of two operands, for i
 * in [0, n), in place. A unary f reads no y (which may be NULL). */
void pa__vm_f64(pa__vm_fn f, double *x, const double *y, size_t n);
void pa__vm_f32(pa__vm_fn f, float *x, const float *y, size_t n);

/* One element, as the block functions compute it. */
static inline double pa__vm1_f64(pa__vm_fn f, double x, double y)
{
    pa__vm_f64(f, &x, &y, 1);
    return x;
}
static inline float pa__vm1_f32(pa__vm_fn f, float x, float y)
{
    pa__vm_f32(f, &x, &y, 1);
    return x;
}

#endif
