/* Element-wise math, initialisation, random numbers and reductions.
 *
 * Every call here is collective over the array's context: every rank makes
 * it with the same arguments. Each rank computes on its own span of each
 * array (pa_array_local) and the call ends with the node barrier that makes
 * the writes visible to the node's ranks, so the result can be read
 * anywhere in the node block as soon as the call returns. Arguments are
 * checked before anything is written: on an error no array is changed
 * (except where documented: integer division by zero) and every rank
 * returns the same code with the message in pa_errmsg(ctx).
 *
 * dtypes: every call takes f64 and f32; the rules for integer dtypes are
 * given per call. Arrays given to one call must have the same shape and
 * distribution (PA_DISTRIBUTED or PA_REPLICATED): a mismatch is PA_EINVAL
 * with both shapes in the message. pa_binary (and pa_eval, expr.h)
 * broadcast their operands as numpy does instead (see pa_binary). The element-wise ops, pa_astype and the
 * pa_map calls take arrays of different dtypes; the others need one dtype.
 * docs/compute.md has the details and measured speeds. */
#ifndef PARRAY_COMPUTE_H
#define PARRAY_COMPUTE_H

#include <stdint.h>
#include "parray/array.h"
#include "parray/export.h"

/* ------------------------------------------------------------ initialisation */

/* Collective. Sets every element of a to 0, to 1, or to value converted to
 * a's dtype. For an integer dtype value is truncated toward zero and must
 * lie in the dtype's range (PA_EINVAL for NaN or a value out of range).
 * Spans of more than PA_STREAM_MIN_BYTES per rank are written with
 * non-temporal stores. */
PA_EXTERN int pa_zeros(pa_array *a);
PA_EXTERN int pa_ones(pa_array *a);
PA_EXTERN int pa_full(pa_array *a, double value);

/* Per rank span size above which init calls write with streaming
 * (non-temporal) stores: larger spans would only evict the cache. */
#define PA_STREAM_MIN_BYTES ((size_t)1 << 20)

/* Collective. a[i] = start + i * step for every flat C-order index i,
 * computed in double and converted to a's dtype as pa_astype converts
 * (exact for integers up to 2^53). */
PA_EXTERN int pa_arange(pa_array *a, double start, double step);

/* Collective. n = size(a) values evenly spaced from start to stop, like
 * numpy.linspace: a[i] = start + i * (stop - start) / d with d = n - 1
 * when endpoint is non-zero (and a[n-1] = stop exactly), d = n otherwise. */
PA_EXTERN int pa_linspace(pa_array *a, double start, double stop, int endpoint);

/* Collective. dst = src: same shape, distribution and dtype. dst == src is
 * a no-op. */
PA_EXTERN int pa_copy(pa_array *dst, const pa_array *src);

/* Collective. dst = src converted to dst's dtype (same shape and
 * distribution; any pair of dtypes). Conversions follow numpy's casting
 * (astype with casting="unsafe") where numpy defines it:
 *   float -> float  rounds to nearest (overflow gives +-inf);
 *   int -> float    rounds to nearest;
 *   int -> int      keeps the low bits (two's complement wrap);
 *   float -> int    truncates toward zero. Where numpy's result is
 *                   undefined, parray defines it: NaN gives 0, and values
 *                   beyond the dtype's range saturate to its minimum or
 *                   maximum (so -1.5 -> u8 is 0, 300.0 -> u8 is 255);
 *   any -> bool     true where nonzero (NaN and 0.5 too), as numpy's;
 *   bool -> any     0 or 1. */
PA_EXTERN int pa_astype(pa_array *dst, const pa_array *src);

/* ------------------------------------------------------------ random numbers */

/* Random arrays from the counter-based generator Philox4x32-10 (Salmon et
 * al., SC'11; Random123). Philox is keyed by the 64-bit seed (key = {low
 * 32 bits, high 32 bits}); the 128-bit counter is {j low, j high, stream
 * low, stream high}, where j is the draw index derived from the global
 * element index i as each call says. So the value at index i depends only
 * on (seed, stream, i): an array is bit-identical for every rank count and
 * node layout, and different streams of one seed are independent arrays.
 *
 * Collective. uniform: values in [low, high) (low < high, both finite),
 * from 53 random bits (f64: one draw gives elements 2j and 2j+1) or 24
 * bits (f32: one draw gives elements 4j .. 4j+3). f16 arrays get the f32
 * values drawn between low and high rounded to f16, rounded to f16. A
 * value that rounding would carry to high is replaced by the largest value
 * below high. Floating dtypes only. */
PA_EXTERN int pa_random_uniform(pa_array *a, uint64_t seed, uint64_t stream, double low,
                                double high);

/* Collective. normal(mean, std) by the Box-Muller transform with no
 * rejection: draw j gives two 53-bit uniforms u1 in (0, 1], u2 in [0, 1)
 * and elements 2j and 2j+1 = mean + std * sqrt(-2 ln u1) * (cos, sin)(2 pi
 * u2). f32 and f16 arrays get the f64 value rounded to their dtype. std >= 0, both
 * finite. Floating dtypes only. */
PA_EXTERN int pa_random_normal(pa_array *a, uint64_t seed, uint64_t stream, double mean,
                               double std);

/* Collective. Integers in [low, high) (low < high, both within a's dtype),
 * one 64-bit draw half per element (draw j gives elements 2j and 2j+1),
 * mapped by Lemire's multiply-shift floor(r * (high - low) / 2^64). The
 * bias is bounded: every value's probability is within 2^-64 of 1 / (high
 * - low). Integer dtypes only; high <= 2^63 - 1, so u64 values above that
 * need pa_random_unsigned. */
PA_EXTERN int pa_random_integers(pa_array *a, uint64_t seed, uint64_t stream, int64_t low,
                                 int64_t high);

/* Collective. Integers in [low, last], both ends included (low <= last,
 * both within a's dtype), for the unsigned dtypes: u64's whole range is
 * [0, 2^64 - 1]. The same values as pa_random_integers(a, seed, stream,
 * low, last + 1) wherever that call takes the bounds; a range of 2^64
 * values takes each draw half as it is. */
PA_EXTERN int pa_random_unsigned(pa_array *a, uint64_t seed, uint64_t stream, uint64_t low,
                                 uint64_t last);

/* Collective. Bools, true with probability p (0 <= p <= 1): element i is
 * true when the value pa_random_uniform(f64 array, seed, stream, 0, 1)
 * gives index i is below p, so p = 0 gives all false and p = 1 all true.
 * bool arrays only. */
PA_EXTERN int pa_random_bool(pa_array *a, uint64_t seed, uint64_t stream, double p);

/* Not collective. One Philox4x32-10 block: out = philox(ctr, key), the
 * function that every random call above is built on (for tests and for
 * programs that draw their own values). */
PA_EXTERN void pa_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* ------------------------------------------------------------ element-wise */

/* The ops: X(NAME, name). PA_OP_<NAME> is the enum value; "name" is what
 * pa_unary_parse / pa_binary_parse accept. */
/* clang-format off */
#define PA_UNARY_LIST(X)                                                                  \
    X(NEG, neg) X(ABS, abs) X(SQRT, sqrt) X(EXP, exp) X(LOG, log) X(LOG10, log10)        \
    X(LOG1P, log1p) X(EXPM1, expm1) X(SIN, sin) X(COS, cos) X(TAN, tan) X(TANH, tanh)    \
    X(FLOOR, floor) X(CEIL, ceil) X(ROUND, round) X(SQUARE, square)                      \
    X(RECIPROCAL, reciprocal) X(SINH, sinh) X(COSH, cosh) X(ARCSIN, arcsin)             \
    X(ARCCOS, arccos) X(ARCTAN, arctan) X(ARCSINH, arcsinh) X(ARCCOSH, arccosh)          \
    X(ARCTANH, arctanh) X(LOGICAL_NOT, logical_not) X(INVERT, invert)   \
    X(CONJ, conj) X(REAL, real) X(IMAG, imag) X(ANGLE, angle)
#define PA_BINARY_LIST(X)                                                                 \
    X(ADD, add) X(SUB, sub) X(MUL, mul) X(DIV, div) X(POW, pow) X(MINIMUM, minimum)      \
    X(MAXIMUM, maximum) X(HYPOT, hypot) X(ATAN2, atan2) X(FMOD, fmod) X(MOD, mod)        \
    X(LEFT_SHIFT, left_shift) X(RIGHT_SHIFT, right_shift) X(LOGICAL_AND, logical_and)    \
    X(LOGICAL_OR, logical_or) X(LOGICAL_XOR, logical_xor) X(BITWISE_AND, bitwise_and)    \
    X(BITWISE_OR, bitwise_or) X(BITWISE_XOR, bitwise_xor)

typedef enum {
#define PA_UNARY_ENUM_(N, n) PA_OP_##N,
    PA_UNARY_LIST(PA_UNARY_ENUM_)
#undef PA_UNARY_ENUM_
    PA_NUNARY
} pa_unary_op;

typedef enum {
#define PA_BINARY_ENUM_(N, n) PA_OP_##N,
    PA_BINARY_LIST(PA_BINARY_ENUM_)
#undef PA_BINARY_ENUM_
    PA_NBINARY
} pa_binary_op;
/* clang-format on */

/* Not collective. The op's name ("sqrt"; "?" when out of range), and the
 * op of a name (PA_EINVAL for an unknown one). pa_*_int_ok says whether
 * the op is defined on the integer dtypes. */
PA_EXTERN const char *pa_unary_name(pa_unary_op op);
PA_EXTERN const char *pa_binary_name(pa_binary_op op);
PA_EXTERN int pa_unary_parse(const char *name, pa_unary_op *op);
PA_EXTERN int pa_binary_parse(const char *name, pa_binary_op *op);
PA_EXTERN int pa_unary_int_ok(pa_unary_op op);
PA_EXTERN int pa_binary_int_ok(pa_binary_op op);

/* Collective. out = op(a), element by element, computed in a's dtype and
 * cast into out's under numpy's same_kind rule (see pa_binary). out may be
 * a. Float semantics are C99/numpy's; round is half to even (numpy.round);
 * sinh cosh arcsin arccos arctan arcsinh arccosh arctanh are numpy's (C's
 * sinh ... atanh: NaN outside the domain, +-inf at arctanh(+-1)). The
 * transcendental functions (exp log ... arctanh, and pow hypot atan2 in
 * pa_binary) are glibc's vector math library's where the build has it:
 * within 4 ulp, libm's at +-0, +-inf and NaN, and an element's bits depend
 * on its value only (docs/compute.md). Integer
 * dtypes take neg abs square (wrapping like numpy), floor ceil round (the
 * identity) and invert (numpy's ~); the others are PA_ENOTSUP there.
 * logical_not takes every dtype and gives a bool (true where a is 0, as
 * numpy's: NaN is not 0), stored into out under same_kind (a bool into any
 * dtype is 0 or 1); bool takes logical_not, invert (both not) and abs (the
 * identity); a float has no invert.
 * conj, real and imag are numpy's on every float and integer dtype (a real
 * value is its own conj and real part, and its imag is 0); angle is
 * numpy's arctan2(imag, real) on the floats. The complex dtypes take neg,
 * abs, sqrt, exp, log, conj, real, imag and angle (numpy's values; abs is
 * hypot(real, imag)); abs, real, imag and angle of a complex dtype give its
 * part dtype (c64: f32, c128: f64), as numpy's, which out must be able to
 * take (same_kind); the other ops are PA_ENOTSUP on complex, naming the op
 * and the dtype. */
PA_EXTERN int pa_unary(pa_array *out, pa_unary_op op, const pa_array *a);

/* Collective. out = a op b, element by element; out may be a or b. a and
 * b broadcast as numpy's do (pa_broadcast_shape: an (n, m) a with an (m,)
 * or (1, m) row, an (n, 1) column, a (k, 1, m) with a (1, p, m)), and out
 * has the broadcast shape or one it broadcasts to (numpy's out=); else
 * PA_EINVAL with numpy's message, "operands could not be broadcast together
 * with shapes (100,3) (4,)", or naming out with both shapes. Arrays with
 * the same shape[0] on one context have the same rows on each node, so a
 * distributed operand with out's axis 0 is read at out's rows; a
 * replicated one is read in place; a distributed one without out's rows is
 * copied to every node for the call (make small operands replicated); a
 * distributed one with the rows of a replicated out is PA_EINVAL. The op
 * computes in numpy's promotion of a's and b's dtypes (pa_dtype_promote:
 * i32 and f32 give f64), converting an operand of another dtype tile by
 * tile, and the result is cast into out's dtype under numpy's default
 * same_kind rule: within a kind or to a later one of bool, unsigned,
 * signed, float, complex (f64 into f32 rounds, i64 into u8 wraps); a cast
 * it forbids (an f64 result into an i32 out) is PA_EINVAL naming both
 * dtypes. minimum and maximum propagate NaN (numpy.minimum). mod is
 * numpy.mod (Python's %): the remainder with the sign of b (a zero result
 * is +-0 with b's sign; a mod 0 and inf mod b are NaN). Integer dtypes take
 * add sub mul (wrapping), div (floor division, numpy's //), fmod (C's %,
 * the sign of a: numpy.fmod), mod (the sign of b), pow (wrapping; a
 * negative exponent is PA_EINVAL), minimum, maximum and bitwise_and/or/xor
 * (numpy's & | ^); hypot and atan2 are PA_ENOTSUP. left_shift and
 * right_shift are integer-only (PA_ENOTSUP on floats and bool) and numpy's:
 * a count outside [0, width) gives 0, or -1 for right_shift of a negative
 * value; left_shift wraps. Integer division (div, fmod, mod) by zero is
 * PA_EINVAL, reported once; out then holds 0 where b was 0 and is
 * otherwise complete. logical_and/or/xor take every dtype: they compute
 * in the promotion of a and b (nonzero, NaN included, is true) and give a
 * bool, as numpy's (logical_and of an i32 and an f64 is a bool; of a bool
 * array and the scalar 1 too, compared in i64), stored into out under
 * same_kind. bool takes the logical three, the
 * bitwise three, add (or), mul (and), minimum (and) and maximum (or), as
 * numpy; sub, div, pow, fmod, mod, hypot and atan2 are PA_ENOTSUP. Floats
 * have no bitwise ops. */
PA_EXTERN int pa_binary(pa_array *out, pa_binary_op op, const pa_array *a, const pa_array *b);

/* Collective. out = a op s (pa_binary_scalar) or out = s op a
 * (pa_scalar_binary), as pa_binary with b all s, where s is weak as a
 * Python scalar is in numpy (NEP 50): a whole number is an integer, which
 * takes a's dtype and must lie in its range when a is an integer array
 * (u8 + 300 is PA_EINVAL; for bool 0 or 1); any other value is a float,
 * which takes a's dtype when a is a float array (f32 * 2.5 is f32) and
 * gives f64 when a is an integer array (i32 * 2.5 is f64). */
PA_EXTERN int pa_binary_scalar(pa_array *out, pa_binary_op op, const pa_array *a, double s);
PA_EXTERN int pa_scalar_binary(pa_array *out, pa_binary_op op, double s, const pa_array *a);

/* ------------------------------------------------------------ user kernels */

/* A user kernel on one rank's part: span->count elements at span->ptr (of
 * the array's dtype), which are global elements [offset, offset + count).
 * Return 0, or a negative value to fail the call. */
typedef int (*pa_map_fn)(const pa_span *span, void *userdata);

/* Collective. Calls fn once on every rank with its own span of a (count
 * may be 0), then syncs, so that the writes fn made to its span are visible
 * to the node. fn must write only inside its span. If fn fails on any
 * rank, every rank returns its code (a PA_E* code, or PA_EINVAL when fn
 * returned another negative value) with "fn failed on rank R". */
PA_EXTERN int pa_map(pa_array *a, pa_map_fn fn, void *userdata);

/* A user kernel with an output and two inputs. The three spans cover the
 * same global elements: out is this rank's own part of the output, a and b
 * the same elements of the inputs (b is NULL when pa_map2 got no b). Each
 * span's ptr has its own array's dtype. */
typedef int (*pa_map2_fn)(const pa_span *out, const pa_span *a, const pa_span *b, void *userdata);

/* Collective. As pa_map, for out = f(a, b): out, a and b (b may be NULL)
 * must have the same shape and distribution; their dtypes may differ. out
 * may be a or b when the dtypes are the same. */
PA_EXTERN int pa_map2(pa_array *out, const pa_array *a, const pa_array *b, pa_map2_fn fn,
                      void *userdata);

/* ------------------------------------------------------------ reductions */

/* The reductions of pa_reduce. */
/* clang-format off */
#define PA_REDUCE_LIST(X)                                                                 \
    X(SUM, sum) X(MEAN, mean) X(MIN, min) X(MAX, max) X(ARGMIN, argmin) X(ARGMAX, argmax) \
    X(VAR, var) X(STD, std) X(NORM2, norm2) X(ANY, any) X(ALL, all)

typedef enum {
#define PA_REDUCE_ENUM_(N, n) PA_RED_##N,
    PA_REDUCE_LIST(PA_REDUCE_ENUM_)
#undef PA_REDUCE_ENUM_
    PA_NREDUCE
} pa_reduce_op;
/* clang-format on */

/* Not collective. The reduction's name ("sum"), and back. */
PA_EXTERN const char *pa_reduce_name(pa_reduce_op op);
PA_EXTERN int pa_reduce_parse(const char *name, pa_reduce_op *op);

/* A reduction's result, exact, in numpy's result type: dtype is the
 * parray dtype that holds it, kind numpy's kind of it, which says the member
 * of v that holds the value:
 *   'i' (signed integer)   v.i
 *   'u' (unsigned integer) v.u
 *   'b' (bool)             v.u, 0 or 1 (dtype: the bool dtype, or u8 while
 *                          parray has none: numpy stores a bool in a byte)
 *   'f' (float)            v.f (an f16 or f32 value is an exact double)
 *   'c' (complex)          v.c, real and imaginary part
 * The bytes of v that the member leaves out are 0. */
typedef struct {
    pa_dtype dtype;
    char kind;
    union {
        int64_t i;
        uint64_t u;
        double f;
        double c[2];
    } v;
} pa_value;

/* Collective. Reduces a (any dtype) over the whole array (axis = -1, one
 * result) or along axis 0 or 1 of a 2-D array (axis 0: one result per
 * column, shape[1] of them; axis 1: one per row, shape[0]). The results
 * are written to the plain buffer out, which the caller owns, on every
 * rank (every rank gets the same values, bit for bit): pa_reduce_value
 * writes them exactly, as pa_values of numpy's result type, and pa_reduce
 * as doubles (an integer result converted to the nearest double).
 *
 * Result types (numpy's on Linux): sum of a signed integer dtype is i64,
 * of an unsigned one u64 (i64 while parray has no 8-byte unsigned dtype),
 * both wrapping around as numpy's do; sum of a float dtype, mean, var, std
 * and norm2 are f64 (float sums are taken in double: numpy would sum f32
 * in f32 and return f32); min and max keep a's dtype, exact for every
 * integer width; argmin and argmax are i64 (numpy's intp); any and all are
 * bool.
 *
 * Tree sums (sum of a float dtype; mean, var, std and norm2 of every
 * dtype; pa_dot) are pairwise over a fixed binary tree of the global
 * indices (of the elements, or of the rows for axis 0), so the results are
 * bit-identical for every rank count and node layout. The leaves are the
 * elements converted to double, in aligned blocks of 64 indices: index
 * 64b + 8i + j is row i of lane j of block b. A lane is the pairwise sum
 * of its 8 rows, ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), and a
 * block the pairwise sum of its 8 lanes, in the same shape. Above the
 * blocks, the value of indices [k 2^L, (k+1) 2^L), L >= 6, is the value of
 * its left half plus the value of its right half. Whatever lies wholly
 * past the end is left out. mean = sum / n; var = sum((x - mean)^2) / (n
 * - ddof) by two passes, ddof 0 (pa_var for others); std = sqrt(var);
 * norm2 = sqrt(sum(x^2)). Integer sum is exact in its result type (modulo
 * 2^64), whatever the order.
 *
 * min/max compare in the dtype exactly; argmin/argmax give the first index
 * (within the row or column for an axis) of the min/max. any is whether
 * some element is not zero, all whether every one is (NaN is not zero, as
 * in numpy). NaN follows numpy's defaults: sum, mean, var, std, norm2, min
 * and max of data with a NaN are NaN, and argmin/argmax give the first
 * NaN's index. min of -0.0 and +0.0 is -0.0 (max: +0.0) whatever their
 * order, so that the result does not depend on the layout. Empty: sum and
 * norm2 are 0; mean, var, std are NaN; any is false and all true; min,
 * max, argmin and argmax are PA_EINVAL.
 *
 * Complex dtypes: sum and mean are c128 (mean is the sum divided by n +
 * 0j as numpy divides, so a NaN or an inf in one part makes the other
 * NaN); norm2, var and std f64. min, max, argmin and argmax compare as
 * numpy's, lexicographically: real parts first, then imaginary parts; the
 * first element with a NaN in either part is the min and the max (its
 * index argmin and argmax); among the values equal to the min, the one
 * whose zeros' signs come first in the order -0.0 < +0.0, real part
 * first (max: last), so that the result does not depend on the layout.
 * min and max keep a's dtype. pa_reduce refuses sum, mean, min and max of
 * a complex a (PA_ENOTSUP: a double cannot hold them). */
PA_EXTERN int pa_reduce(const pa_array *a, pa_reduce_op op, int axis, double *out);
PA_EXTERN int pa_reduce_value(const pa_array *a, pa_reduce_op op, int axis, pa_value *out);

/* Not collective. The value of v as the nearest double (the real part of
 * a complex value; NaN for a v of no known kind). */
PA_EXTERN double pa_value_double(const pa_value *v);

/* Not collective. The value of v as text into buf (cap bytes, at least 1):
 * integers in decimal, exactly; bool as True or False (numpy's); floats
 * with the digits that read back to the same value of the dtype (%.5g for
 * a 2-byte float, %.9g for 4 bytes, %.17g otherwise), nan, inf and -inf;
 * complex as numpy's: (re+imj), or imj alone where re is +0 (5j, 0j,
 * nanj; (-0+5j) keeps its -0). Returns buf (cut short to fit cap). */
PA_EXTERN const char *pa_value_str(const pa_value *v, char *buf, size_t cap);

/* Collective. var or std with ddof degrees of freedom removed (numpy's
 * ddof): sum((x - mean)^2) / (n - ddof); NaN when n - ddof <= 0. */
PA_EXTERN int pa_var(const pa_array *a, int axis, double ddof, double *out);
PA_EXTERN int pa_std(const pa_array *a, int axis, double ddof, double *out);

/* Collective. The dot product sum(a[i] * b[i]) of two arrays of one
 * shape, distribution and dtype, by the same tree as pa_reduce's sum
 * (products taken in double). */
PA_EXTERN int pa_dot(const pa_array *a, const pa_array *b, double *out);

/* Collective. pa_dot as a pa_value: f64 for the real dtypes (pa_dot's
 * value); for the complex dtypes numpy's vdot, sum(conj(a[i]) * b[i]) (a
 * is conjugated), as c128, whose real part is dot(re a, re b) + dot(im a,
 * im b) and imaginary part dot(re a, im b) - dot(im a, re b), each by
 * pa_dot's tree (pa_dot itself refuses complex arrays). */
PA_EXTERN int pa_dot_value(const pa_array *a, const pa_array *b, pa_value *out);

/* ------------------------------------------------------------ broadcasting */

/* Not collective. numpy's broadcast shape of n shapes (shape i has ndim[i]
 * dimensions, 0 to PA_MAXDIM, at shape[i]): aligned at the right, each
 * dimension equal or 1, missing leading ones 1. On success *out_ndim and
 * out_shape (PA_MAXDIM entries) hold it; otherwise PA_EINVAL with numpy's
 * message in pa_errmsg(ctx) (ctx may be NULL): "operands could not be
 * broadcast together with shapes (100,3) (4,)". pa_binary and pa_eval
 * broadcast their operands by this rule (docs/compute.md). */
PA_EXTERN int pa_broadcast_shape(pa_ctx *ctx, int n, const int *ndim, const size_t *const *shape,
                                 int *out_ndim, size_t *out_shape);
/* ------------------------------------------------------------ reductions over axes */

/* Collective. op over the axes axes[0 .. naxes) of a (any dtype, 1 to
 * PA_MAXDIM axes; a negative axis counts from the end, as numpy's; no
 * axis may come twice; naxes 0 or axes NULL is every axis, numpy's
 * axis=None) into *out, a new array that the caller frees: of numpy's
 * result dtype (pa_reduce's table; sum and mean of a complex dtype give
 * c128), with a's shape less the reduced axes, or with them set to 1 when
 * keepdims is not 0 (then the result broadcasts back against a: mu of
 * shape (1, m) against x of (n, m)).
 *
 * Distribution: when axis 0 is kept, out has a's rows and distribution
 * (the node partition of rows is a function of the rows and the nodes, so
 * each node holds the results of its own rows, which it reduces with no
 * communication). When axis 0 is reduced, out is replicated: every node
 * holds every result (such a result is as small as a row of a).
 * Reducing every axis without keepdims is PA_EINVAL (pa_reduce_value
 * gives that scalar); with keepdims it gives a replicated (1, ..., 1).
 *
 * The tree: result j (the C-order index over the kept axes) reduces its
 * line, the elements whose kept indices are j's, at positions q = the
 * C-order index over the reduced axes (for one axis, the index along it;
 * for every axis, the flat index). Tree sums are pa_reduce's fixed tree
 * over those positions, so every result is bit-identical for every rank
 * count and node layout, and equals pa_reduce's for axis 0 or 1 of a 2-D
 * array and for the whole array. argmin and argmax give q. Empty lines
 * and NaN are as pa_reduce's; min, max, argmin and argmax over a
 * zero-size line are PA_EINVAL. The complex dtypes take sum, mean, var,
 * std and norm2 (from their parts, as pa_reduce), any and all. */
PA_EXTERN int pa_reduce_axes(const pa_array *a, pa_reduce_op op, int naxes, const int *axes,
                             int keepdims, pa_array **out);

/* Collective. pa_reduce_axes of var or std (op) with ddof degrees of
 * freedom removed: sum((x - mean)^2) / (n - ddof), NaN when n - ddof <=
 * 0. */
PA_EXTERN int pa_reduce_axes_ddof(const pa_array *a, pa_reduce_op op, int naxes, const int *axes,
                                  int keepdims, double ddof, pa_array **out);

#endif
