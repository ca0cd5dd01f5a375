/* vmath.h's functions: libmvec's vector functions, by the vector ABI's
 * names (_ZGV<isa>N<lanes><v per operand>_<fn>: isa b SSE, d AVX2, e
 * AVX-512), in loops of whole vectors and a padded last one, and the exact
 * functions in loops of their own; or libm's scalar functions in a build
 * without libmvec. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "isa.h"
#include "vmath.h"

typedef void (*vm_fn_d)(double *x, const double *y, size_t n);
typedef void (*vm_fn_f)(float *x, const float *y, size_t n);
typedef struct {
    vm_fn_d d[PA__VM_N];
    vm_fn_f f[PA__VM_N];
} vm_table;

#define VM_CAT_(a, b) a##b
#define VM_CAT(a, b) VM_CAT_(a, b)
#define VM_ROW_D(N, fn, A) [PA__VM_##N] = VM_CAT(VM_PFX, fn##_d),
#define VM_ROW_F(N, fn, A) [PA__VM_##N] = VM_CAT(VM_PFX, fn##_f),
#define VM_TABLE(name)                                                                           \
    static const vm_table name = {{PA_VMATH_FNS(VM_ROW_D)}, {PA_VMATH_FNS(VM_ROW_F)}};

/* A call of f on one operand, or two. */
#define VM_CALL_1(f, x, y) f(x)
#define VM_CALL_2(f, x, y) f(x, y)

/* ------------------------------------------------------------ exact */

/* numpy.mod from fmod's remainder r of x by y (numpy's npy_remainder): r
 * moved to y's sign, and a zero result with y's sign; NaN stays NaN. */
#define VM_PYMOD(R, L, r, y)                                                                     \
    ((r) == 0 ? copysign##L((R)0, y) : ((y) < 0) != ((r) < 0) ? (r) + (y) : (r))

/* The exact functions' scalar forms: libm's fmod, and mod from it. */
#define VM_SCALAR_FMOD(R, S, L)                                                                  \
    static R fmod_##S(R x, R y)                                                                  \
    {                                                                                            \
        return fmod##L(x, y);                                                                    \
    }                                                                                            \
    static R mod_##S(R x, R y)                                                                   \
    {                                                                                            \
        R r = fmod##L(x, y);                                                                     \
        return VM_PYMOD(R, L, r, y);                                                             \
    }
VM_SCALAR_FMOD(double, d, )
VM_SCALAR_FMOD(float, f, f)

/* An exact function's loop that calls its scalar form. */
#define VM_EXACT_SCALAR(pfx, fn, R, S)                                                           \
    static void pfx##fn##_##S(R *x, const R *y, size_t n)                                        \
    {                                                                                            \
        for (size_t i = 0; i < n; i++)                                                           \
            x[i] = fn##_##S(x[i], y[i]);                                                         \
    }
#define VM_EXACT_SCALARS(pfx)                                                                    \
    VM_EXACT_SCALAR(pfx, fmod, double, d)                                                        \
    VM_EXACT_SCALAR(pfx, fmod, float, f)                                                         \
    VM_EXACT_SCALAR(pfx, mod, double, d) VM_EXACT_SCALAR(pfx, mod, float, f)

#if defined(PA_HAVE_LIBMVEC) && defined(PA_X86_DISPATCH)
#include <immintrin.h>

/* The loop over n elements of type R in vectors V of W lanes (LD and ST
 * their unaligned load and store) of the vector function SYM. The last
 * vector's missing lanes repeat the last element, a value the function
 * computes at the speed of that element (a pad of 0 or 1 could send every
 * lane of acosh or atanh to the scalar path). */
#define VM_LOOP(name, R, V, W, LD, ST, A, sym)                                                   \
    V sym(VM_ARGS_##A(V));                                                                       \
    static void name(R *x, const R *y, size_t n)                                                 \
    {                                                                                            \
        (void)y;                                                                                 \
        size_t i = 0;                                                                            \
        for (; i + (W) <= n; i += (W))                                                           \
            ST(x + i, VM_CALL_##A(sym, LD(x + i), LD(y + i)));                                   \
        if (i < n) {                                                                             \
            R px[W], py[W];                                                                      \
            for (size_t k = 0; k < (W); k++) {                                                   \
                size_t j = i + k < n ? i + k : n - 1;                                            \
                px[k] = x[j];                                                                    \
                py[k] = (A) == 2 ? y[j] : 0;                                                     \
            }                                                                                    \
            (void)py;                                                                            \
            ST(px, VM_CALL_##A(sym, LD(px), LD(py)));                                            \
            memcpy(x + i, px, (n - i) * sizeof(R));                                              \
        }                                                                                        \
    }
#define VM_ARGS_1(V) V
#define VM_ARGS_2(V) V, V
#define VM_VS_1 v
#define VM_VS_2 vv
/* One function's loops, double and float, for the instruction set whose
 * libmvec names start SYM, with WD doubles or WF floats to a vector V
 * (V##d for doubles) that P's intrinsics load and store. */
#define VM_FNS(N, fn, A, SYM, WD, WF, V, P)                                                      \
    VM_LOOP(VM_CAT(VM_PFX, fn##_d), double, V##d, WD, P##_loadu_pd, P##_storeu_pd, A,            \
            VM_CAT(VM_CAT(VM_CAT(SYM, WD), VM_VS_##A), _##fn))                                   \
    VM_LOOP(VM_CAT(VM_PFX, fn##_f), float, V, WF, P##_loadu_ps, P##_storeu_ps, A,                \
            VM_CAT(VM_CAT(VM_CAT(SYM, WF), VM_VS_##A), _##fn##f))

/* fmod a vector at a time, with fused multiply-adds. q = trunc(x / y) is
 * the quotient's whole part, or one more in magnitude when x / y rounds up
 * to a whole number; it is exact while |q| < QMAX (2^52 for double, 2^23
 * for float). x - q*y in one fused multiply-add is then exact, as fmod's
 * result is representable; a nonzero remainder without x's sign says q was
 * one too many, and the second multiply-add takes one less. A zero takes
 * x's sign. The lanes outside that range (y zero, infinite or NaN, x
 * infinite or NaN, |x / y| huge) keep x and are left for libm's fmod, in a
 * second pass that a block without any skips. That pass finds them again
 * by the same test: a fast lane's result r, |r| <= |y|, passes it. mod
 * (PY) moves the remainder to y's sign as the scalar form does. Every
 * branch is a select of values computed in every lane, which gcc
 * vectorises; x and y are the caller's two buffers, never one. Against
 * libm's fmod an element at a time, f32 % ran at 0.06x of the triad. */
/* gcc vectorises trunc only when no floating-point exception may trap
 * (parray never enables one), and these loops only by its full cost
 * model. */
#define VM_EXACT_ATTRS __attribute__((optimize("no-trapping-math", "vect-cost-model=dynamic")))
/* Whether the vector method holds for x by y (q = trunc(x / y)). */
#define VM_EXACT_FAST(L, QMAX, q, y) ((fabs##L(q) < (QMAX)) & (fabs##L(y) < INFINITY))
#define VM_EXACT_LOOP(pfx, fn, R, S, L, QMAX, PY)                                                \
    VM_EXACT_ATTRS static void pfx##fn##_##S(R *restrict x, const R *restrict y, size_t n)       \
    {                                                                                            \
        int slow = 0;                                                                            \
        for (size_t i = 0; i < n; i++) {                                                         \
            R a = x[i], b = y[i], q = trunc##L(a / b), one = copysign##L((R)1, q);               \
            int fast = VM_EXACT_FAST(L, QMAX, q, b);                                             \
            R r = fma##L(-q, b, a);                                                              \
            int over = (r != 0) & ((r < 0) != (a < 0));                                          \
            R q1 = q - (over ? one : (R)0);                                                      \
            r = copysign##L(fma##L(-q1, b, a), a);                                               \
            if (PY)                                                                              \
                r = VM_PYMOD(R, L, r, b);                                                        \
            x[i] = fast ? r : a;                                                                 \
            slow |= !fast;                                                                       \
        }                                                                                        \
        if (slow)                                                                                \
            for (size_t i = 0; i < n; i++) {                                                     \
                R a = x[i], b = y[i];                                                            \
                if (!VM_EXACT_FAST(L, QMAX, trunc##L(a / b), b))                                 \
                    x[i] = fn##_##S(a, b);                                                       \
            }                                                                                    \
    }
#define VM_EXACT_LOOPS(pfx)                                                                      \
    VM_EXACT_LOOP(pfx, fmod, double, d, , 0x1p52, 0)                                             \
    VM_EXACT_LOOP(pfx, fmod, float, f, f, 0x1p23f, 0)                                            \
    VM_EXACT_LOOP(pfx, mod, double, d, , 0x1p52, 1)                                              \
    VM_EXACT_LOOP(pfx, mod, float, f, f, 0x1p23f, 1)

/* SSE: every x86-64 CPU; its exact functions are libm's (no FMA). */
#define VM_PFX vm_b_
#define VM_B(N, fn, A) VM_FNS(N, fn, A, _ZGVbN, 2, 4, __m128, _mm)
PA_VMATH_LIBMVEC(VM_B)
VM_EXACT_SCALARS(vm_b_)
VM_TABLE(table_b)
#undef VM_PFX

/* AVX2. */
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VM_PFX vm_d_
#define VM_D(N, fn, A) VM_FNS(N, fn, A, _ZGVdN, 4, 8, __m256, _mm256)
PA_VMATH_LIBMVEC(VM_D)
VM_EXACT_LOOPS(vm_d_)
VM_TABLE(table_d)
#undef VM_PFX
#pragma GCC pop_options

/* AVX-512 (F; libmvec's own dispatch uses DQ where the CPU has it). */
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#define VM_PFX vm_e_
#define VM_E(N, fn, A) VM_FNS(N, fn, A, _ZGVeN, 8, 16, __m512, _mm512)
PA_VMATH_LIBMVEC(VM_E)
VM_EXACT_LOOPS(vm_e_)
VM_TABLE(table_e)
#undef VM_PFX
#pragma GCC pop_options

static const vm_table *vm_table_of_cpu(void)
{
    switch (pa__cpu_isa()) {
    case PA_ISA_AVX512: return &table_e;
    case PA_ISA_AVX2: return &table_d;
    case PA_ISA_BASE: break;
    }
    return &table_b;
}

#else /* no libmvec: libm, an element at a time */

#define VM_SCALAR(name, R, f, A)                                                                 \
    static void name(R *x, const R *y, size_t n)                                                 \
    {                                                                                            \
        (void)y;                                                                                 \
        for (size_t i = 0; i < n; i++)                                                           \
            x[i] = VM_CALL_##A(f, x[i], y[i]);                                                   \
    }
#define VM_FNS(N, fn, A)                                                                         \
    VM_SCALAR(vm_s_##fn##_d, double, fn, A) VM_SCALAR(vm_s_##fn##_f, float, fn##f, A)
#define VM_PFX vm_s_
PA_VMATH_LIBMVEC(VM_FNS)
VM_EXACT_SCALARS(vm_s_)
VM_TABLE(table_s)

static const vm_table *vm_table_of_cpu(void)
{
    return &table_s;
}
#endif

void pa__vm_f64(pa__vm_fn f, double *x, const double *y, size_t n)
{
    vm_table_of_cpu()->d[f](x, y, n);
}

void pa__vm_f32(pa__vm_fn f, float *x, const float *y, size_t n)
{
    vm_table_of_cpu()->f[f](x, y, n);
}
