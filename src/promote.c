/* numpy's type promotion and its same_kind casting rule, decided from the
 * kinds and sizes in the dtype table (promote.h has the rules). */
#include <math.h>
#include <stdint.h>

#include "promote.h"

/* numpy's order of the kinds for casting: a value casts same_kind to its
 * own kind and to every later one. */
static int kind_order(pa__kind k)
{
    switch (k) {
    case PA__KIND_BOOL: return 0;
    case PA__KIND_UINT: return 1;
    case PA__KIND_SINT: return 2;
    case PA__KIND_FLOAT: return 3;
    case PA__KIND_COMPLEX: return 4;
    }
    return -1;
}

/* The kinds as NEP 50 ranks Python's scalars: bool, int, float, complex
 * (signed and unsigned integers are one category). */
static int category(pa__kind k)
{
    switch (k) {
    case PA__KIND_BOOL: return 0;
    case PA__KIND_UINT:
    case PA__KIND_SINT: return 1;
    case PA__KIND_FLOAT: return 2;
    case PA__KIND_COMPLEX: return 3;
    }
    return -1;
}

static pa__kind kind_of(pa_dtype d)
{
    return pa__dtypes[d].kind;
}

/* The smallest dtype of kind k of at least size bytes, or when none is
 * that large (at_most != 0) the largest of the kind; -1 when there is
 * none. */
static int find_dtype(pa__kind k, size_t size, int at_most)
{
    int best = -1, largest = -1;
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (pa__dtypes[d].kind != k)
            continue;
        size_t s = pa__dtypes[d].size;
        if (s >= size && (best < 0 || s < pa__dtypes[best].size))
            best = d;
        if (largest < 0 || s > pa__dtypes[largest].size)
            largest = d;
    }
    return best >= 0 || !at_most ? best : largest;
}

/* The bytes of a float (of a complex: of each part) that hold every value
 * of an integer of isize bytes, as numpy's safe casts count them: a
 * significand wider than the integer, so twice its bytes; i64 and u64 are
 * taken as safe in f64, the largest float. */
static size_t float_for_int(size_t isize)
{
    return 2 * isize;
}

pa_dtype pa__promote_dtypes(pa_dtype a, pa_dtype b)
{
    pa__kind ka = kind_of(a), kb = kind_of(b);
    if (a == b || ka == PA__KIND_BOOL)
        return b;
    if (kb == PA__KIND_BOOL)
        return a;
    if (ka == kb)
        return pa__dtypes[a].size >= pa__dtypes[b].size ? a : b;
    if (kind_order(ka) > kind_order(kb)) {
        pa_dtype t = a;
        a = b;
        b = t;
        ka = kind_of(a);
        kb = kind_of(b);
    }
    /* Now a's kind comes before b's. */
    size_t sa = pa__dtypes[a].size, sb = pa__dtypes[b].size;
    int d = -1;
    switch (kb) {
    case PA__KIND_SINT: /* a is unsigned */
        d = find_dtype(PA__KIND_SINT, sb > 2 * sa ? sb : 2 * sa, 0);
        if (d < 0)
            d = find_dtype(PA__KIND_FLOAT, float_for_int(sa), 1);
        break;
    case PA__KIND_FLOAT: /* a is an integer */
        d = find_dtype(PA__KIND_FLOAT, sb > float_for_int(sa) ? sb : float_for_int(sa), 1);
        break;
    case PA__KIND_COMPLEX: {
        /* The size of each part that holds a (an integer or a float). */
        size_t part = ka == PA__KIND_FLOAT ? sa : float_for_int(sa);
        d = find_dtype(PA__KIND_COMPLEX, sb > 2 * part ? sb : 2 * part, 1);
        break;
    }
    case PA__KIND_BOOL:
    case PA__KIND_UINT: break; /* a kind before b's is bool, handled above */
    }
    return (pa_dtype)d;
}

pa__type pa__scalar_type(double v)
{
    return pa__weak_type(isfinite(v) && v == trunc(v));
}

pa__type pa__weak_type(int integer)
{
    /* The default dtype of the kind is its largest. */
    pa__kind k = integer ? PA__KIND_SINT : PA__KIND_FLOAT;
    return (pa__type){(pa_dtype)find_dtype(k, SIZE_MAX, 1), 1};
}

pa__type pa__promote(pa__type a, pa__type b)
{
    if (a.weak == b.weak)
        return (pa__type){pa__promote_dtypes(a.dtype, b.dtype), a.weak};
    pa__type w = a.weak ? a : b, s = a.weak ? b : a;
    pa__kind kw = kind_of(w.dtype), ks = kind_of(s.dtype);
    if (category(kw) <= category(ks))
        return s;
    if (ks == PA__KIND_FLOAT)
        return pa__strong_type(pa__promote_dtypes(s.dtype, (pa_dtype)find_dtype(kw, 0, 1)));
    return pa__strong_type(w.dtype);
}

int pa__same_kind(pa_dtype from, pa_dtype to)
{
    return kind_order(kind_of(from)) <= kind_order(kind_of(to));
}

int pa__check_cast(pa_ctx *ctx, const char *fn, pa_dtype from, pa_dtype to, const char *out)
{
    PA_CHECK_AS(ctx, fn, pa__same_kind(from, to), PA_EINVAL,
                "cannot cast the result from %s to %s (%s is %s) under numpy's same_kind "
                "rule: give %s the dtype %s, or convert an operand with pa_astype",
                pa_dtype_name(from), pa_dtype_name(to), out, pa_dtype_name(to), out,
                pa_dtype_name(from));
    return PA_OK;
}

int pa_dtype_promote(pa_dtype a, pa_dtype b, pa_dtype *out)
{
    PA_CHECK(NULL, out, PA_EINVAL, "out is NULL");
    PA_CHECK(NULL, pa__dtype_valid(a) && pa__dtype_valid(b), PA_EINVAL, "unknown dtype %d",
             pa__dtype_valid(a) ? (int)b : (int)a);
    *out = pa__promote_dtypes(a, b);
    return PA_OK;
}
