/* numpy's type promotion over the dtype table: the dtype that an operation
 * on operands of two dtypes computes in (numpy.result_type), Python-style
 * scalars that do not widen an array's dtype (NEP 50's "weak" scalars),
 * and numpy's default `same_kind` rule for casting a result into an
 * output.
 *
 * Protocol: an entry point gives every operand a pa__type (an array's is
 * its dtype; a number's is pa__scalar_type of its value), folds them with
 * pa__promote into the computing type, converts the operands whose dtype
 * differs, and checks with pa__check_cast that the result may be stored
 * into the output's dtype:
 *
 *     pa__type t = pa__promote(pa__array_type(a), pa__scalar_type(s));
 *     PA_TRY(pa__check_cast(ctx, fn, t.dtype, out->dtype, "out"));
 *
 * Every rule is decided by the dtypes' kinds and sizes, never by naming a
 * dtype, so a dtype added to PA_DTYPE_LIST promotes as numpy's does. */
#ifndef PARRAY_PROMOTE_H
#define PARRAY_PROMOTE_H

#include "dtype.h"
#include "internal.h"

/* The type of an operand: a dtype, or with weak != 0 a Python-style
 * scalar (a number in an expression, a scalar binding, pa_binary_scalar's
 * s). A weak type's dtype is the default dtype of its kind (the largest:
 * i64 for integers, f64 for floats, c128 for complex), which is what it
 * computes in when it meets no array. */
typedef struct {
    pa_dtype dtype;
    int weak;
} pa__type;

static inline pa__type pa__strong_type(pa_dtype d)
{
    return (pa__type){d, 0};
}

/* The weak type of a number: a whole finite value is a Python int, any
 * other (a fraction, inf, NaN) a Python float. */
pa__type pa__scalar_type(double v);

/* The weak type of a Python int (integer != 0) or float. */
pa__type pa__weak_type(int integer);

/* numpy's promotion of two dtypes (numpy.promote_types): bool gives way to
 * anything; within a kind the larger wins; a signed and an unsigned
 * integer meet in the signed integer that holds both (a float when none
 * does: u64 and i64 give f64); an integer and a float or complex meet in
 * the smallest of that kind whose significand holds the integer (i8 + f16
 * is f16, i16 + f16 is f32, i32 + f32 is f64); a float and a complex in
 * the complex whose parts hold the float. */
pa_dtype pa__promote_dtypes(pa_dtype a, pa_dtype b);

/* NEP 50: two strong types promote as their dtypes; a weak type meeting a
 * strong one of its kind or a higher kind (an integer scalar and an
 * integer, float or complex array) takes the strong dtype; a weak type of
 * a higher kind gives its kind's default dtype (i8 and a float scalar give
 * f64), except that a float meeting a complex scalar gives the complex of
 * its precision (f32 and a complex scalar give c64); two weak types give
 * a weak type of the higher kind. */
pa__type pa__promote(pa__type a, pa__type b);

/* 1 when numpy's casting="same_kind" allows a cast from dtype from to
 * dtype to: a safe cast, or a cast to the same kind or a later one in the
 * order bool, unsigned, signed, float, complex (f64 -> f32 and u8 -> i8
 * are allowed; f64 -> i32 and i8 -> u8 are not). */
int pa__same_kind(pa_dtype from, pa_dtype to);

/* PA_OK when a result of dtype from may be stored into the output named
 * out of dtype to (pa__same_kind), else PA_EINVAL recorded for fn with
 * both dtypes named. */
int pa__check_cast(pa_ctx *ctx, const char *fn, pa_dtype from, pa_dtype to, const char *out);

#endif
