/* vmath.h's functions: libmvec's vector functions, by the vector ABI's
 * names (_ZGV<isa>N<lanes><v per operand>_<fn>: isa b SSE, d AVX2, e
 * AVX-512), in loops of whole vectors and a padded last one; or libm's
 * scalar functions in a build without libmvec. */
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

#if defined(PA_HAVE_LIBMVEC) && defined(PA_X86_DISPATCH)
#include <immintrin.h>

/* The loop over n elements of type R in vectors V of W lanes (LD and ST
 * their unaligned load and store) of the vector function SYM. The last
 * vector's missing lanes repeat the last element, a value the function
 * computes at the speed of that element (a pad of 0 or 1 could send every
 * lane of acosh or atanh to the scalar path). */
#define VM_CALL_1(sym, x, y) sym(x)
#define VM_CALL_2(sym, x, y) sym(x, y)
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
/* One function's loops, double and float, in the instruction set of the
 * VM_* macros defined below. */
#define VM_FNS(N, fn, A)                                                                         \
    VM_LOOP(VM_CAT(VM_PFX, fn##_d), double, VM_VD, VM_WD, VM_LDD, VM_STD, A,                     \
            VM_CAT(VM_CAT(VM_CAT(VM_SYM, VM_WD), VM_VS_##A), _##fn))                             \
    VM_LOOP(VM_CAT(VM_PFX, fn##_f), float, VM_VF, VM_WF, VM_LDF, VM_STF, A,                      \
            VM_CAT(VM_CAT(VM_CAT(VM_SYM, VM_WF), VM_VS_##A), _##fn##f))

/* SSE: every x86-64 CPU. */
#define VM_PFX vm_b_
#define VM_SYM _ZGVbN
#define VM_WD 2
#define VM_WF 4
#define VM_VD __m128d
#define VM_VF __m128
#define VM_LDD _mm_loadu_pd
#define VM_STD _mm_storeu_pd
#define VM_LDF _mm_loadu_ps
#define VM_STF _mm_storeu_ps
PA_VMATH_FNS(VM_FNS)
VM_TABLE(table_b)
#undef VM_PFX
#undef VM_SYM
#undef VM_WD
#undef VM_WF
#undef VM_VD
#undef VM_VF
#undef VM_LDD
#undef VM_STD
#undef VM_LDF
#undef VM_STF

/* AVX2. */
#pragma GCC push_options
#pragma GCC target("avx2")
#define VM_PFX vm_d_
#define VM_SYM _ZGVdN
#define VM_WD 4
#define VM_WF 8
#define VM_VD __m256d
#define VM_VF __m256
#define VM_LDD _mm256_loadu_pd
#define VM_STD _mm256_storeu_pd
#define VM_LDF _mm256_loadu_ps
#define VM_STF _mm256_storeu_ps
PA_VMATH_FNS(VM_FNS)
VM_TABLE(table_d)
#pragma GCC pop_options
#undef VM_PFX
#undef VM_SYM
#undef VM_WD
#undef VM_WF
#undef VM_VD
#undef VM_VF
#undef VM_LDD
#undef VM_STD
#undef VM_LDF
#undef VM_STF

/* AVX-512 (F; libmvec's own dispatch uses DQ where the CPU has it). */
#pragma GCC push_options
#pragma GCC target("avx512f")
#define VM_PFX vm_e_
#define VM_SYM _ZGVeN
#define VM_WD 8
#define VM_WF 16
#define VM_VD __m512d
#define VM_VF __m512
#define VM_LDD _mm512_loadu_pd
#define VM_STD _mm512_storeu_pd
#define VM_LDF _mm512_loadu_ps
#define VM_STF _mm512_storeu_ps
PA_VMATH_FNS(VM_FNS)
VM_TABLE(table_e)
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

#define VM_CALL_1(f, x, y) f(x)
#define VM_CALL_2(f, x, y) f(x, y)
#define VM_FNS(N, fn, A)                                                                         \
    static void vm_s_##fn##_d(double *x, const double *y, size_t n)                              \
    {                                                                                            \
        (void)y;                                                                                 \
        for (size_t i = 0; i < n; i++)                                                           \
            x[i] = VM_CALL_##A(fn, x[i], y[i]);                                                  \
    }                                                                                            \
    static void vm_s_##fn##_f(float *x, const float *y, size_t n)                                \
    {                                                                                            \
        (void)y;                                                                                 \
        for (size_t i = 0; i < n; i++)                                                           \
            x[i] = VM_CALL_##A(fn##f, x[i], y[i]);                                               \
    }
#define VM_PFX vm_s_
PA_VMATH_FNS(VM_FNS)
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
