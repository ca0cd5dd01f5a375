/* The dtype descriptor: every fact about each dtype in one table
 * (pa__dtypes, generated from PA_DTYPE_LIST in parray/array.h), and the
 * preprocessor tools that generate per-dtype code from that list.
 *
 * Protocol: code that differs by dtype is written once, as a macro over the
 * list's columns, and instantiated with PA_DTYPE_LIST (one per dtype),
 * PA_DTYPE_LIST_WITH (one per dtype, inside another list: per op and
 * dtype, say) or PA__DTYPE_PAIRS (one per pair of dtypes). What depends on
 * the kind is chosen with PA__WHEN and the PA__IS_* tests, never by
 * naming a dtype, so a new dtype of a known kind needs only its line in the
 * list. For example:
 *
 *     #define ZERO_FN(C, NAME, name, T, ...) \
 *         static void zero_##name(void *p) { *(T *)p = 0; }
 *     PA_DTYPE_LIST_WITH(ZERO_FN, ~)
 */
#ifndef PARRAY_DTYPE_H
#define PARRAY_DTYPE_H

#include <H5Ipublic.h>
#include <stddef.h>
#include <stdint.h>

#include "parray/array.h"

/* ------------------------------------------------------------ kinds */

/* The list's KIND column as an enum (PA__KIND(FLOAT)), and as 0 or 1 for
 * the preprocessor: PA__IS_INT(KIND) (signed or unsigned integer, or
 * bool), PA__IS_FLOAT(KIND) (real floats only), PA__IS_BOOL(KIND) and
 * PA__IS_COMPLEX(KIND). Bool computes in the integer form on C's _Bool,
 * whose conversion of any value is value != 0, so the integer expressions
 * that numpy gives bool (+ is or, * is and) come out right. */
typedef enum {
    PA__KIND_BOOL,
    PA__KIND_SINT,
    PA__KIND_UINT,
    PA__KIND_FLOAT,
    PA__KIND_COMPLEX
} pa__kind;
#define PA__KIND(K) PA__KIND_##K
#define PA__IS_INT(K) PA__IS_INT_##K
#define PA__IS_INT_FLOAT 0
#define PA__IS_INT_SINT 1
#define PA__IS_INT_UINT 1
#define PA__IS_INT_BOOL 1
#define PA__IS_FLOAT(K) PA__IS_FLOAT_##K
#define PA__IS_FLOAT_FLOAT 1
#define PA__IS_FLOAT_SINT 0
#define PA__IS_FLOAT_UINT 0
#define PA__IS_FLOAT_BOOL 0
#define PA__IS_INT_COMPLEX 0
#define PA__IS_FLOAT_COMPLEX 0
#define PA__IS_BOOL(K) PA__IS_BOOL_##K
#define PA__IS_BOOL_FLOAT 0
#define PA__IS_BOOL_SINT 0
#define PA__IS_BOOL_UINT 0
#define PA__IS_BOOL_BOOL 1
#define PA__IS_BOOL_COMPLEX 0
#define PA__IS_COMPLEX(K) PA__IS_COMPLEX_##K
#define PA__IS_COMPLEX_FLOAT 0
#define PA__IS_COMPLEX_SINT 0
#define PA__IS_COMPLEX_UINT 0
#define PA__IS_COMPLEX_BOOL 0
#define PA__IS_COMPLEX_COMPLEX 1

/* An integer T's range as int64_t (PA__IMIN) and uint64_t (PA__IMAX),
 * from its kind, T and U; 0 for a float or complex T, [0, 1] for bool. */
#define PA__IMIN(K, T, U) PA__IMIN_##K(T, U)
#define PA__IMIN_SINT(T, U) ((int64_t)(T)((U)1 << (sizeof(T) * 8 - 1)))
#define PA__IMIN_UINT(T, U) ((int64_t)0)
#define PA__IMIN_BOOL(T, U) ((int64_t)0)
#define PA__IMIN_FLOAT(T, U) ((int64_t)0)
#define PA__IMIN_COMPLEX(T, U) ((int64_t)0)
#define PA__IMAX(K, T, U) PA__IMAX_##K(T, U)
#define PA__IMAX_SINT(T, U) ((uint64_t)((U) ~(U)0 >> 1))
#define PA__IMAX_UINT(T, U) ((uint64_t)(U) ~(U)0)
#define PA__IMAX_BOOL(T, U) ((uint64_t)1)
#define PA__IMAX_FLOAT(T, U) ((uint64_t)0)
#define PA__IMAX_COMPLEX(T, U) ((uint64_t)0)

/* ------------------------------------------------------------ selection */

/* PA__WHEN(c, ...) is the tokens ... when c expands to 1, nothing when it
 * expands to 0; PA__NOT(c) is 1 for 0 and 0 for 1. PA__SEL(c, a, b) is a when c is 0 and b when it is 1. */
#define PA__WHEN(c, ...) PA__WHEN_(c, __VA_ARGS__)
#define PA__WHEN_(c, ...) PA__WHEN_##c(__VA_ARGS__)
#define PA__WHEN_0(...)
#define PA__WHEN_1(...) __VA_ARGS__
#define PA__NOT(c) PA__NOT_(c)
#define PA__NOT_(c) PA__NOT_##c
#define PA__NOT_0 1
#define PA__NOT_1 0
#define PA__SEL(c, a, b) PA__SEL_(c, a, b)
#define PA__SEL_(c, a, b) PA__SEL_##c(a, b)
#define PA__SEL_0(a, b) a
#define PA__SEL_1(a, b) b

/* ------------------------------------------------------------ pairs */

/* PA__DTYPE_PAIRS(P) expands P(DD, TD, UD, KD, DS, TS, US, KS) for every
 * pair of a destination dtype DD and a source dtype DS (NAME, T, U and
 * KIND of each). The preprocessor does not expand a macro inside its own
 * expansion, so the inner list is deferred: the outer expansion leaves
 * `PA_DTYPE_LIST_WITH (...)` behind, unexpanded, and PA__DT_EXPAND's
 * rescan expands it once the outer list is done. */
#define PA__DT_EMPTY()
#define PA__DT_DEFER(m) m PA__DT_EMPTY()
#define PA__DT_EXPAND(...) __VA_ARGS__
#define PA__DT_LIST() PA_DTYPE_LIST_WITH
#define PA__DT_CALL(M, ...) M(__VA_ARGS__)
#define PA__DT_APPLY(P, ...) P(__VA_ARGS__)
#define PA__DT_UNPACK(...) __VA_ARGS__
#define PA__DT_OUTER(P, DD, dn, TD, UD, KD, ...)                                                 \
    PA__DT_DEFER(PA__DT_LIST)()(PA__DT_INNER, (P, DD, TD, UD, KD))
#define PA__DT_INNER(D, DS, sn, TS, US, KS, ...)                                                 \
    PA__DT_CALL(PA__DT_APPLY, PA__DT_UNPACK D, DS, TS, US, KS)
#define PA__DTYPE_PAIRS(P) PA__DT_EXPAND(PA_DTYPE_LIST_WITH(PA__DT_OUTER, P))

/* ------------------------------------------------------------ the table */

/* n elements at src converted into n at dst (pa_astype's rules, below). */
typedef void (*pa__conv_fn)(void *dst, const void *src, size_t n);

typedef struct {
    const char *name; /* parray's: "f64" */
    size_t size;      /* bytes per element */
    pa__kind kind;
    const char *numpy;        /* numpy's name: "float64" */
    char numpy_char;          /* numpy's character code: 'd' */
    const char *npy_descr[2]; /* the .npy descr, little- and big-endian: "<f8", ">f8" */
    hid_t (*h5_mem)(void);    /* the HDF5 memory type (H5T_NATIVE_*, not constants) */
    hid_t (*h5_file)(void);   /* the HDF5 type written to files (little-endian) */
    int64_t min;              /* integers: the range [min, max] */
    uint64_t max;
    double lo, hi; /* integers: [lo, hi) holds the doubles that truncate into range */
    /* The computing types: double (reductions, scalars), int64_t (exact
     * integer sums; from_i64 keeps the low bits, so it serves uint64_t
     * values too). */
    pa__conv_fn to_f64, from_f64, to_i64, from_i64;
} pa__dtype_info;

/* Room for one element of any dtype: buffers that hold an element, or a
 * block of elements, of whichever dtype size them by this. */
#define PA__ELEM_MEMBER(C, NAME, nm, T, ...) T e_##NAME;
typedef union {
    PA_DTYPE_LIST_WITH(PA__ELEM_MEMBER, ~)
} pa__elem;

/* Indexed by pa_dtype. */
extern const pa__dtype_info pa__dtypes[PA_NDTYPES];

/* 1 when d is one of the dtypes. */
static inline int pa__dtype_valid(pa_dtype d)
{
    return (int)d >= 0 && d < PA_NDTYPES;
}

/* 1 for the integer dtypes (signed or unsigned) and bool, which computes
 * as an integer of the range [0, 1] (PA__IS_INT). */
static inline int pa__dtype_is_int(pa_dtype d)
{
    pa__kind k = pa__dtypes[d].kind;
    return k == PA__KIND_SINT || k == PA__KIND_UINT || k == PA__KIND_BOOL;
}

/* 1 for the complex dtypes. */
static inline int pa__dtype_is_complex(pa_dtype d)
{
    return pa__dtypes[d].kind == PA__KIND_COMPLEX;
}

/* The dtype of kind k and size bytes, or PA_NDTYPES when the list has none. */
static inline pa_dtype pa__dtype_find(pa__kind k, size_t size)
{
    for (int d = 0; d < PA_NDTYPES; d++)
        if (pa__dtypes[d].kind == k && pa__dtypes[d].size == size)
            return (pa_dtype)d;
    return PA_NDTYPES;
}

/* A complex dtype's part dtype (c128: f64, c64: f32, the float of half
 * its size); any other dtype itself. */
static inline pa_dtype pa__dtype_real(pa_dtype d)
{
    return pa__dtype_is_complex(d) ? pa__dtype_find(PA__KIND_FLOAT, pa__dtypes[d].size / 2) : d;
}

/* dst[i] = src[i] converted from dtype sd to dtype dd for n elements:
 * float -> integer truncates, NaN becomes 0 and out-of-range values
 * saturate; integer -> integer wraps (keeps the low bits); anything ->
 * float rounds to nearest; complex -> real takes the real part (numpy's
 * cast, which warns ComplexWarning) and real -> complex has imaginary
 * part 0. */
void pa__convert(void *dst, pa_dtype dd, const void *src, pa_dtype sd, size_t n);
/* pa__convert with the conversions compiled for instruction set isa (a
 * pa_isa, for the tests that compare them). Returns -1 when this CPU
 * lacks it. */
int pa__convert_isa(void *dst, pa_dtype dd, const void *src, pa_dtype sd, size_t n, int isa);

/* v converted to dtype d (pa__convert's rules), stored at dst. */
void pa__from_double(void *dst, pa_dtype d, double v);

/* Which names pa__dtype_names writes. */
typedef enum { PA__NAMES_PARRAY, PA__NAMES_NPY } pa__names;

/* The names of the dtypes whose kind is in the mask kinds (bits
 * 1 << PA__KIND_*), for messages, into buf: "f64, f32" (with
 * PA__NAMES_NPY the .npy descrs without byte order, "f8, f4"); returns buf. */
#define PA__KINDS_ALL (~0u)
#define PA__KINDS_INT (1u << PA__KIND_SINT | 1u << PA__KIND_UINT)
#define PA__KINDS_FLOAT (1u << PA__KIND_FLOAT)
#define PA__KINDS_COMPLEX (1u << PA__KIND_COMPLEX)
const char *pa__dtype_names(unsigned kinds, pa__names which, char *buf, size_t cap);

#endif
