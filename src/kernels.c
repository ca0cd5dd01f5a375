/* The kernel tables' lookups: which instruction set's table runs on this
 * CPU, and what each op is (arity, name, result dtype). The tables are
 * built by kernels_base.c, kernels_avx2.c and kernels_avx512.c from
 * kernels_template.h. */
#include "kernels.h"

/* ------------------------------------------------------------ lookups */

#define ARITY1_(N, ...) [PA__KOP_##N] = 1,
#define ARITY2_(N, ...) [PA__KOP_##N] = 2,
#define ARITY3_(N, ...) [PA__KOP_##N] = 3,
/* clang-format off */
static const unsigned char arity[PA__KOP_N] = {
    PA_UNARY_OPS(ARITY1_) PA_BINARY_OPS(ARITY2_) PA_COMPARE_OPS(ARITY2_)
        PA_TERNARY_OPS(ARITY3_) PA_COPY_OPS(ARITY1_)};
/* clang-format on */

#define NAME_(N, n, ...) [PA__KOP_##N] = #n,
static const char *const names[PA__KOP_N] = {PA__KERNEL_OPS(NAME_)};

int pa__kernel_arity(pa__kop op)
{
    return (unsigned)op < PA__KOP_N ? arity[op] : 0;
}

const char *pa__kernel_op_name(pa__kop op)
{
    return (unsigned)op < PA__KOP_N ? names[op] : "?";
}

/* Whether the AVX-512 table runs: it needs AVX512BW and AVX512DQ; without
 * them the AVX2 table stands in. */
static int avx512_table(void)
{
#ifdef PA_X86_DISPATCH
    return pa__cpu_has_avx512bw() && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

int pa__kernel_lines(void)
{
    return avx512_table();
}

pa__kernel pa__kernel_find_isa(pa__kop op, pa_dtype d, int nt, pa_isa isa)
{
    if ((unsigned)op >= PA__KOP_N || !pa__dtype_valid(d) || isa > pa__cpu_isa())
        return NULL;
    const pa__kernel_table *t = &pa__kernels_base;
#ifdef PA_X86_DISPATCH
    if (isa == PA_ISA_AVX512 && avx512_table())
        t = &pa__kernels_avx512;
    else if (isa >= PA_ISA_AVX2)
        t = &pa__kernels_avx2;
#endif
    return (*t)[d][op][nt != 0];
}

/* Per op and kind, whether the op gives the part type (PA__TO_PART). */
#define TO_PART_OP(N, ...) PA_DTYPE_LIST_WITH(TO_PART_DT, N)
#define TO_PART_DT(N, DT, dt, CT, CU, KIND, ...) [PA_##DT][PA__KOP_##N] = PA__TO_PART(KIND, N),
static const unsigned char to_part[PA_NDTYPES][PA__KOP_N] = {PA__KERNEL_OPS(TO_PART_OP)};

#define PREDICATE_(N, ...) [PA__KOP_##N] = PA__OP_IS_PREDICATE(N),
static const unsigned char predicate[PA__KOP_N] = {PA__KERNEL_OPS(PREDICATE_)};

int pa__kernel_predicate(pa__kop op)
{
    return (unsigned)op < PA__KOP_N && predicate[op];
}

pa_dtype pa__kernel_result(pa__kop op, pa_dtype d)
{
    if (pa__kernel_predicate(op))
        return PA_BOOL;
    return (unsigned)op < PA__KOP_N && pa__dtype_valid(d) && to_part[d][op] ? pa__dtype_real(d)
                                                                            : d;
}

const char *pa__kernel_hint(pa__kop op)
{
    return pa__kernel_has(op, PA_F64)    ? "convert with pa_astype to f64 or f32"
           : !pa__kernel_has(op, PA_I64) ? "convert with pa_astype to bool"
           : pa__kernel_has(op, PA_BOOL) ? "convert with pa_astype to an integer dtype or bool"
                                         : "convert with pa_astype to an integer dtype";
}

int pa__kernel_has(pa__kop op, pa_dtype d)
{
    return pa__kernel_find_isa(op, d, 0, PA_ISA_BASE) != NULL;
}

int pa__kernel_get(pa_ctx *ctx, const char *fn, pa__kop op, pa_dtype d, int nt, pa__kernel *k)
{
    *k = pa__kernel_find_isa(op, d, nt, pa__cpu_isa());
    PA_CHECK_AS(ctx, fn, *k, PA_ENOTSUP, "%s is not defined for %s", pa__kernel_op_name(op),
                pa_dtype_name(d));
    return PA_OK;
}
