/* The element-wise kernel layer: every op of opdefs.h for every dtype of
 * PA_DTYPE_LIST, compiled once per instruction set, with a stride per
 * operand as numpy's inner loops take them. ops.c and the expression VM
 * both call it; it knows nothing of either.
 *
 * Protocol (not collective, no MPI): look a kernel up once with
 * pa__kernel_get, which fails with PA_ENOTSUP when the dtype's kind lacks
 * the op (the table of what each kind has is opdefs.h's KINDS column
 * through PA__OP_HAS), then call it as often as needed:
 *
 *     pa__kernel k;
 *     PA_TRY(pa__kernel_get(ctx, fn, PA__KOP_ADD, d, 0, &k));
 *     pa__strides st = {.o = 1, .a = 1, .b = 0};  // out = a + scalar
 *     int err = k(out, a, &s, NULL, n, &st);
 *
 * A predicate's kernel (pa__kernel_result: comparisons, logical ops) reads
 * operands of d and writes bools. Strides are in elements of each operand's
 * and the output's dtype; a stride of 0 reads one element in place for
 * every i (a scalar, or a broadcast row). The patterns with a unit-stride
 * output whose operands have strides 1 or 0 run vectorised loops (a full
 * PA__KERNEL_BLK with a constant trip count); any other stride, the output's
 * included, runs a general loop with the same results. */
#ifndef PARRAY_KERNELS_H
#define PARRAY_KERNELS_H

#include <stddef.h>

#include "compute.h"

/* The kernel ops, in the order of their lists in opdefs.h: the public
 * unary and binary ops (so PA__KOP_UNARY0 + a pa_unary_op is its kernel
 * op), the comparisons, where and the fused mul-adds, copy. */
#define PA__KERNEL_OPS(X)                                                                        \
    PA_UNARY_OPS(X) PA_BINARY_OPS(X) PA_COMPARE_OPS(X) PA_TERNARY_OPS(X) PA_COPY_OPS(X)
/* A dtype that computes in another's kernels: f16 in f32's, as numpy's
 * float16 loops compute in float (PA__WIDE(DT) is 1, PA__WIDE_OF_##DT
 * names the other dtype and PA__WIDE_T_##DT its C type). It keeps its own
 * element loops for the ops in which it must: a copy and where move its
 * bits (a conversion would quiet a signalling NaN), and the fused ops
 * round their intermediate result to it, as two of numpy's ops would.
 * PA__IN_WIDE(DT, N) is 1 when op N of DT runs in the other's kernels. */
#define PA__WIDE_F16 ~, 1
#define PA__WIDE_OF_F16 F32
#define PA__WIDE_T_F16 float
#define PA__OWN_COPY ~, 1
#define PA__OWN_WHERE ~, 1
#define PA__OWN_MULADD ~, 1
#define PA__OWN_ADDMUL ~, 1
#define PA__OWN_SUBDIV ~, 1
#define PA__WIDE(DT) PA__PROBE(PA__WIDE_##DT)
#define PA__IN_WIDE(DT, N) PA__SEL(PA__WIDE(DT), 0, PA__NOT(PA__PROBE(PA__OWN_##N)))

typedef enum {
#define PA__KOP_ENUM_(N, ...) PA__KOP_##N,
    PA__KERNEL_OPS(PA__KOP_ENUM_)
#undef PA__KOP_ENUM_
        PA__KOP_N
} pa__kop;

#define PA__KOP_UNARY0 PA__KOP_NEG
#define PA__KOP_BINARY0 PA__KOP_ADD

/* The strides of the output o and the operands a, b, c, in elements. */
typedef struct {
    ptrdiff_t o, a, b, c;
} pa__strides;

/* o[i * st->o] = op(a[i * st->a], b[i * st->b], c[i * st->c]) for i in
 * [0, n); a unary op reads a only, a binary op a and b. o holds elements
 * of pa__kernel_result's dtype. The output may be an operand at the same
 * stride (o == a, st->o == st->a: in place); else no element written may
 * be an element read.
 * Returns the PA_OPERR_* bits of the integer ops (opdefs.h). */
typedef int (*pa__kernel)(void *o, const void *a, const void *b, const void *c, size_t n,
                          const pa__strides *st);

/* The length whose contiguous loops run with a constant trip count, which
 * gcc vectorises at -O2 without a scalar epilogue: callers that cut work
 * into blocks (the expression VM, ops.c) use blocks of this length. */
#define PA__KERNEL_BLK 128

/* Not collective. The number of operands of op (1, 2 or 3) and its name
 * ("add", "less", "where"). */
int pa__kernel_arity(pa__kop op);
const char *pa__kernel_op_name(pa__kop op);

/* Not collective. 1 when dtype d has op (its kind has it), else 0. */
int pa__kernel_has(pa__kop op, pa_dtype d);

/* Not collective. Whether op is a predicate (a comparison or a logical
 * op), and the dtype of op's result when it computes in d: bool for a
 * predicate; for abs, real, imag and angle of a complex dtype its part
 * dtype (c128: f64), as numpy's; else d. The kernel's output points at
 * elements of that dtype. */
int pa__kernel_predicate(pa__kop op);
pa_dtype pa__kernel_result(pa__kop op, pa_dtype d);

/* Not collective. What to convert to for an op that a dtype lacks, for
 * messages: the floats for most, an integer dtype (or bool) for the
 * bitwise ops and shifts, bool for bool's own. */
const char *pa__kernel_hint(pa__kop op);

/* Not collective. The kernel of op for dtype d, built for the best
 * instruction set this CPU runs; with nt its form whose contiguous output
 * goes out with streaming stores (call pa__stream_fence before others read
 * it). PA_ENOTSUP, recorded for fn in ctx, when d has no such op. */
int pa__kernel_get(pa_ctx *ctx, const char *fn, pa__kop op, pa_dtype d, int nt, pa__kernel *k);

/* Not collective. 1 when pa__kernel_get's kernels compute the products
 * that kernels_template.h lists in K_VLINE (u8 and i8 products, complex x*y + z) a
 * line at a time, as the AVX-512 table does; 0 where they run gcc's
 * element loops, in which complex x*y + z is slower than a mul and an add
 * apart. */
int pa__kernel_lines(void);

/* Not collective. The kernel as pa__kernel_get, for the instruction set
 * isa (which this CPU must run), or NULL: for tests of every set. */
pa__kernel pa__kernel_find_isa(pa__kop op, pa_dtype d, int nt, pa_isa isa);

/* The kernels of one instruction set: [dtype][op][streaming], NULL where
 * the dtype's kind lacks the op. One table per file, kernels_<isa>.c, so
 * that make compiles them in parallel; the AVX2 and AVX-512 ones exist
 * where PA_X86_DISPATCH does. Only kernels.c reads them. */
typedef pa__kernel pa__kernel_table[PA_NDTYPES][PA__KOP_N][2];
extern const pa__kernel_table pa__kernels_base, pa__kernels_avx2, pa__kernels_avx512;

#endif
