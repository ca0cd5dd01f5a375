/* The dtype descriptor table and the conversions between dtypes, both
 * generated from PA_DTYPE_LIST: a dtype's line there is all this file
 * needs to describe it. */
#include <hdf5.h>
#include <stdio.h>

#include "dtype.h"

/* The enum's values are part of the ABI. */
_Static_assert(PA_F64 == 0 && PA_F32 == 1 && PA_I64 == 2 && PA_I32 == 3 && PA_U8 == 4 &&
                   PA_I8 == 5 && PA_I16 == 6 && PA_U16 == 7 && PA_U32 == 8 && PA_U64 == 9 &&
                   PA_F16 == 10 && PA_BOOL == 11 && PA_C64 == 12 && PA_C128 == 13,
               "pa_dtype's values changed: a new dtype goes at the end of PA_DTYPE_LIST");

/* ------------------------------------------------------------ conversions */

/* float -> integer: truncation, with NaN -> 0 and saturation, written so
 * that the C conversion only ever sees values in range (an out-of-range
 * float -> int conversion is undefined in C). */
#define SAT(KD, TD, UD, v)                                                             \
    ((v) != (v)                                    ? (TD)0                             \
     : (v) < (double)PA__IMIN(KD, TD, UD)          ? (TD)PA__IMIN(KD, TD, UD)          \
     : (v) >= (double)PA__IMAX(KD, TD, UD) + 1.0   ? (TD)PA__IMAX(KD, TD, UD)          \
                                                   : (TD)(v))

/* One conversion by (destination is bool, destination is integer, source
 * is integer). To bool is C's conversion to _Bool: nonzero (and NaN) is 1,
 * as numpy's astype(bool). */
#define CONV(KD, KS, TD, UD, x)                                                        \
    CONV_(PA__IS_BOOL(KD), PA__IS_INT(KD), PA__IS_INT(KS), KD, TD, UD, x)
#define CONV_(b, di, si, KD, TD, UD, x) CONV__(b, di, si, KD, TD, UD, x)
#define CONV__(b, di, si, KD, TD, UD, x) CONV_##b##di##si(KD, TD, UD, x)
#define CONV_000(KD, TD, UD, x) ((TD)(x))
#define CONV_001(KD, TD, UD, x) ((TD)(x))
#define CONV_010(KD, TD, UD, x) SAT(KD, TD, UD, (double)(x))
#define CONV_011(KD, TD, UD, x) ((TD)(UD)(x))
#define CONV_110(KD, TD, UD, x) ((TD)(x))
#define CONV_111(KD, TD, UD, x) ((TD)(x))

#define CONV_FN(DD, TD, UD, KD, DS, TS, US, KS)                                        \
    static void conv_##DD##_##DS(void *dst, const void *src, size_t n)                 \
    {                                                                                  \
        TD *d = dst;                                                                   \
        const TS *s = src;                                                             \
        for (size_t i = 0; i < n; i++)                                                 \
            d[i] = CONV(KD, KS, TD, UD, s[i]);                                         \
    }
PA__DTYPE_PAIRS(CONV_FN)

#define CONV_ENTRY(DD, TD, UD, KD, DS, TS, US, KS) [PA_##DD][PA_##DS] = conv_##DD##_##DS,
static const pa__conv_fn conv_table[PA_NDTYPES][PA_NDTYPES] = {PA__DTYPE_PAIRS(CONV_ENTRY)};

void pa__convert(void *dst, pa_dtype dd, const void *src, pa_dtype sd, size_t n)
{
    conv_table[dd][sd](dst, src, n);
}

void pa__from_double(void *dst, pa_dtype d, double v)
{
    pa__dtypes[d].from_f64(dst, &v, 1);
}

/* ------------------------------------------------------------ the table */

/* A type built once and locked, cached in *cache: the cached id is used
 * while it still names a type of class cls and size bytes (after the
 * library was closed and reopened it does not, and the type is built
 * again). */
static int cached_type_ok(hid_t cache, H5T_class_t cls, size_t size)
{
    return cache > 0 && H5Iis_valid(cache) > 0 && H5Iget_type(cache) == H5I_DATATYPE &&
           H5Tget_class(cache) == cls && H5Tget_size(cache) == size;
}

static hid_t cache_locked(hid_t t, hid_t *cache)
{
    if (t < 0 || H5Tlock(t) < 0) {
        if (t >= 0)
            H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return *cache = t;
}

/* HDF5 1.10 has no half float (1.14.4 names H5T_IEEE_F16LE and, where the
 * compiler has _Float16, H5T_NATIVE_FLOAT16): build it as h5py does, from
 * a copy of the 32-bit float of the same byte order with IEEE half's
 * fields (sign bit 15, exponent at 10 of 5 bits, mantissa at 0 of 10) and
 * bias, so that h5py reads it as float16. */
static hid_t half_type(hid_t single, hid_t *cache)
{
    if (cached_type_ok(*cache, H5T_FLOAT, 2))
        return *cache;
    hid_t t = H5Tcopy(single);
    if (t >= 0 && (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 ||
                   H5Tset_ebias(t, 15) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return cache_locked(t, cache);
}
#ifndef H5T_IEEE_F16LE
static hid_t half_le = H5I_INVALID_HID;
#define H5T_IEEE_F16LE half_type(H5T_IEEE_F32LE, &half_le)
#endif
#ifndef H5T_NATIVE_FLOAT16
static hid_t half_native = H5I_INVALID_HID;
#define H5T_NATIVE_FLOAT16 half_type(H5T_NATIVE_FLOAT, &half_native)
#endif

/* bool as h5py stores it: an enum over int8 with the members FALSE = 0 and
 * TRUE = 1, which h5py reads as numpy's bool. */
static hid_t bool_type(hid_t base, hid_t *cache)
{
    if (cached_type_ok(*cache, H5T_ENUM, 1))
        return *cache;
    hid_t t = H5Tenum_create(base);
    int8_t no = 0, yes = 1;
    if (t >= 0 && (H5Tenum_insert(t, "FALSE", &no) < 0 || H5Tenum_insert(t, "TRUE", &yes) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return cache_locked(t, cache);
}
static hid_t bool_native = H5I_INVALID_HID, bool_le = H5I_INVALID_HID;
#define H5T_PA_BOOL_MEM bool_type(H5T_NATIVE_INT8, &bool_native)
#define H5T_PA_BOOL_FILE bool_type(H5T_STD_I8LE, &bool_le)

/* Complex as h5py stores it: a compound of the members "r" and "i", each
 * the float part type, at offsets 0 and its size (h5py reads such a
 * compound back as complex64 or complex128). */
static hid_t complex_type(hid_t part, hid_t *cache)
{
    size_t ps = H5Tget_size(part);
    if (cached_type_ok(*cache, H5T_COMPOUND, 2 * ps))
        return *cache;
    hid_t t = H5Tcreate(H5T_COMPOUND, 2 * ps);
    if (t >= 0 && (H5Tinsert(t, "r", 0, part) < 0 || H5Tinsert(t, "i", ps, part) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return cache_locked(t, cache);
}
static hid_t c64_native = H5I_INVALID_HID, c64_le = H5I_INVALID_HID;
static hid_t c128_native = H5I_INVALID_HID, c128_le = H5I_INVALID_HID;
#define H5T_PA_C64 complex_type(H5T_NATIVE_FLOAT, &c64_native)
#define H5T_PA_C64LE complex_type(H5T_IEEE_F32LE, &c64_le)
#define H5T_PA_C128 complex_type(H5T_NATIVE_DOUBLE, &c128_native)
#define H5T_PA_C128LE complex_type(H5T_IEEE_F64LE, &c128_le)

/* The HDF5 types are variables that H5open sets, not constants: one
 * function each returns them. */
#define H5_FNS(C, NAME, name, T, U, K, np, npc, descr, H5MEM, H5FILE)                  \
    static hid_t h5_mem_##name(void)                                                   \
    {                                                                                  \
        return H5T_##H5MEM;                                                            \
    }                                                                                  \
    static hid_t h5_file_##name(void)                                                  \
    {                                                                                  \
        return H5T_##H5FILE;                                                           \
    }
PA_DTYPE_LIST_WITH(H5_FNS, ~)

/* A one-byte type has no byte order: numpy writes '|'. */
#define DESCR(T, order, descr) (sizeof(T) == 1 ? "|" #descr : order #descr)

#define INFO_ROW(C, NAME, nm, T, U, K, np, npc, descr, H5MEM, H5FILE)                  \
    [PA_##NAME] = {                                                                    \
        .name = #nm,                                                                   \
        .size = sizeof(T),                                                             \
        .kind = PA__KIND(K),                                                           \
        .numpy = #np,                                                                  \
        .numpy_char = npc,                                                             \
        .npy_descr = {DESCR(T, "<", descr), DESCR(T, ">", descr)},                     \
        .h5_mem = h5_mem_##nm,                                                         \
        .h5_file = h5_file_##nm,                                                       \
        .min = PA__IMIN(K, T, U),                                                      \
        .max = PA__IMAX(K, T, U),                                                      \
        .lo = (double)PA__IMIN(K, T, U),                                               \
        .hi = (double)PA__IMAX(K, T, U) + 1.0,                                         \
        .to_f64 = conv_F64_##NAME,                                                     \
        .from_f64 = conv_##NAME##_F64,                                                 \
        .to_i64 = conv_I64_##NAME,                                                     \
        .from_i64 = conv_##NAME##_I64,                                                 \
    },
const pa__dtype_info pa__dtypes[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(INFO_ROW, ~)};

const char *pa__dtype_names(unsigned kinds, pa__names which, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int d = 0; d < PA_NDTYPES && n < cap; d++) {
        const pa__dtype_info *t = &pa__dtypes[d];
        if (!(kinds & 1u << t->kind))
            continue;
        const char *s = which == PA__NAMES_NPY ? t->npy_descr[0] + 1 : t->name;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", s);
    }
    return buf;
}
