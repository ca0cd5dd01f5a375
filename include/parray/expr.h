/* Fused expressions: "r = sqrt(x*x + y*y) * k" over whole arrays, compiled
 * once into a small register program that each rank runs over its own span
 * in cache-sized blocks, so that no full-size temporary is ever made (the
 * idea of numexpr, carried across ranks and nodes). docs/expr.md has the
 * language, the rules and measured speeds.
 *
 * The language (the whole text is one assignment, OUT = EXPR):
 *   numbers    1, 2.5, .5, 1e-3, 6.02E23 (decimal only)
 *   names      [A-Za-z_][A-Za-z0-9_]*, bound at evaluation to arrays or
 *              scalars
 *   operators  + - * / % ** (power, right-associative, binding tighter
 *              than unary minus as in Python: -x**2 is -(x**2), 2**-1 is
 *              0.5), << >> (integers; below + -, as in Python), & ^ |
 *              (bitwise on integers and bool; below << >>, in that order,
 *              as in Python), unary -, + and ~, parentheses, comparisons
 *              < <= > >= == != (a bool; they bind looser than & ^ | and
 *              do not chain: write (a < b) & (b < c)); % is mod, <<
 *              left_shift, >> right_shift, & ^ | ~ bitwise_and,
 *              bitwise_xor, bitwise_or, invert
 *   functions  where(cond, a, b) (a where cond != 0, else b), copy(x)
 *              (x), the unary and binary ops of compute.h by name (PA_UNARY_LIST,
 *              PA_BINARY_LIST: sqrt(x), hypot(x, y), arcsinh(x), mod(x, y),
 *              ...), and numpy's spellings arctan2 power absolute remainder
 *              for atan2 pow abs mod; each means what pa_unary and pa_binary
 *              mean
 * x**2 is computed as x*x (exactly square(x)), as numexpr does; every other
 * power calls pow.
 *
 * Semantics: element i of the output is the expression evaluated on element
 * i of every array, with the operations of the text in the order the text
 * gives (no reassociation, no contraction into fused multiply-adds), so a
 * result is bit-identical to a serial C loop doing the same operations,
 * for every rank count and node layout. Each operation computes in the
 * dtype that numpy's promotion gives its operands (pa_dtype_promote: x_i16
 * + y_f32 computes in f32, u8 and i8 meet in i16), and an operand of
 * another dtype is converted block by block. Numbers and scalar bindings
 * are weak, as Python's scalars are in numpy (NEP 50): they take the dtype
 * of what they meet (x_f32 * 2.5 stays f32, x_i8 + 1 stays i8), except
 * that a float meeting an integer array gives f64 (x_i32 * 2.5 is f64). A
 * number written without '.' or exponent (2) is an integer, otherwise (2.0,
 * 1e3) a float; a scalar binding is an integer when its value is a whole
 * number. An integer must fit the integer dtype it meets (x_u8 + 300 and
 * x_u8 - (-1) are PA_EINVAL, as numpy raises OverflowError). Subexpressions
 * of numbers and scalars alone are computed once per evaluation (constant
 * folding), in i64 (integers) or f64. The result is cast into the output's
 * dtype by numpy's default same_kind rule: a cast to a lower kind (an f64
 * result into an i32 output) is PA_EINVAL naming both dtypes. */
#ifndef PARRAY_EXPR_H
#define PARRAY_EXPR_H

#include "parray/array.h"
#include "parray/compute.h"
#include "parray/export.h"

/* A compiled expression. */
typedef struct pa_expr pa_expr;

/* A name of the expression bound to an array (array != NULL) or, when
 * array is NULL, to the scalar value. The array of the output name (the
 * name left of '=') is written; every other array is only read. */
typedef struct {
    const char *name;
    pa_array *array;
    double value;
} pa_binding;

/* Initialisers for a pa_binding array:
 *   pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_SCALAR("k", 2.5)}; */
/* clang-format off */
#define PA_BIND_ARRAY(name, array) {(name), (array), 0.0}
#define PA_BIND_SCALAR(name, value) {(name), NULL, (value)}
/* clang-format on */

/* The most registers (block-sized temporaries) one expression may use. An
 * expression needs about one per level of nesting of its right operands;
 * only pathological texts come near. */
#define PA_EXPR_MAXREG 32

/* Not collective (it computes nothing across ranks; every rank given the
 * same text gets the same result). Parses text ("OUT = EXPR") into a new
 * compiled expression *out, which the caller frees with pa_expr_free. ctx
 * receives the error message. Returns PA_OK, PA_EINVAL for a syntax error
 * with the 1-based column and what was expected, e.g.
 *   "pa_expr_compile: column 7: expected ')' after function arguments",
 * PA_EINVAL for a text nested more than 256 levels deep (each '(', function
 * call, unary sign and '**' nests one level) or reading more than 64
 * different names, or PA_ENOMEM. Flat chains (x + x + ... + x) have no
 * length limit. On failure *out is NULL. */
PA_EXTERN int pa_expr_compile(pa_ctx *ctx, const char *text, pa_expr **out);

/* Collective over the arrays' context. Evaluates e with the names bound by
 * bind[0 .. nbind) (names that e does not use are ignored; a name bound
 * twice is an error). The output name must be bound to an array, which may
 * also be an input ("x = x * 2"); the arrays broadcast as pa_binary's
 * operands do ("z = (x - mu) / sigma" with (m,) rows mu and sigma of an
 * (n, m) x; numpy's message for shapes that do not), the output has their
 * broadcast shape (or one they broadcast to), and their dtypes may differ (see Semantics above: numpy's
 * promotion, and same_kind into the output; pa_expr_dtype gives the
 * result's dtype). The output is written only when every check has
 * passed, and is complete and visible to every rank of the node when the
 * call returns.
 * dtypes: an operation on f64 and f32 computes in that dtype. On the
 * integer dtypes operations compute with the integer semantics of
 * pa_binary (wrapping + - * and **, floor division for /, C's % for fmod,
 * numpy's % for % and mod, << and >>, comparisons, where, minimum,
 * maximum, neg, abs, square, and floor, ceil, round as the identity); the
 * other functions are PA_ENOTSUP there, and integer division by zero is
 * PA_EINVAL, reported once, with 0 in those elements. A comparison and a
 * logical op compute in their operands' promotion and give a bool (a bool
 * in arithmetic promotes as numpy's: (x > 0) * x has x's dtype). & | ^ ~
 * on a float are PA_ENOTSUP naming the operator. where's condition is
 * tested for non-zero in its own dtype. An expression of scalars alone
 * fills the output with its value (see pa_expr_eval_scalar for the 0-d
 * value itself).
 * Returns PA_OK or, on every rank, the same code: PA_EINVAL (an unbound or
 * doubly bound name, a scalar output, mismatched arrays, naming each),
 * PA_ENOTSUP (a function not defined on the dtype). A pa_expr is used by
 * one call at a time. */
PA_EXTERN int pa_expr_eval(pa_expr *e, const pa_binding *bind, int nbind);

/* Not collective. The dtype of e's value by numpy's promotion (before it
 * is cast into the output's dtype) when name i of e (pa_expr_name(e, i), i
 * < pa_expr_nnames(e)) is bound to an array of dtype dtypes[i], or to the
 * scalar values[i] where dtypes[i] is PA_EXPR_SCALAR (values may be NULL
 * when no name is a scalar). An expression of scalars alone has the dtype
 * it is computed in: i64 (integers) or f64. Returns PA_OK, PA_EINVAL (a
 * dtype that is neither a dtype nor PA_EXPR_SCALAR) or PA_ENOMEM. */
#define PA_EXPR_SCALAR ((pa_dtype)-1)
PA_EXTERN int pa_expr_dtype(const pa_expr *e, const pa_dtype *dtypes, const double *values,
                            pa_dtype *out);

/* Not collective (it reads no array; every rank given the same text and
 * bindings gets the same value). Evaluates e, whose names are all bound
 * to scalars (the output name need not be bound, and is ignored if it is),
 * to its 0-d value *out in numpy's dtype for it: Python-style scalars,
 * so "r = 2.0 * 3 + 1" is the f64 7.0, "r = 7 / 2" the i64 3 (integer /
 * floors), "r = sqrt(2)" an f64, "r = 2 < 3" the bool True. Returns PA_OK, PA_EINVAL (a name unbound, bound twice or
 * bound to an array, an integer division by zero) or PA_ENOTSUP (a
 * function not defined on the dtype, e.g. "r = 1.5 & 1"). */
PA_EXTERN int pa_expr_eval_scalar(pa_expr *e, const pa_binding *bind, int nbind, pa_value *out);

/* Collective. Compiles text, evaluates it once and frees it: pa_expr_compile
 * followed by pa_expr_eval, with their errors. */
PA_EXTERN int pa_eval(pa_ctx *ctx, const char *text, const pa_binding *bind, int nbind);

/* Not collective. Frees *e and sets it to NULL; NULL is a no-op. */
PA_EXTERN void pa_expr_free(pa_expr **e);

/* Not collective. The output name, and the names the expression reads
 * (nnames of them, each once, in order of first appearance; the output
 * name is among them only when the expression also reads it). The strings
 * belong to e. pa_expr_name returns NULL for i out of range. */
PA_EXTERN const char *pa_expr_output(const pa_expr *e);
PA_EXTERN int pa_expr_nnames(const pa_expr *e);
PA_EXTERN const char *pa_expr_name(const pa_expr *e, int i);

#endif
