/* The dtype descriptor table and the conversions between dtypes, both
 * generated from PA_DTYPE_LIST: a dtype's line there is all this file
 * needs to describe it. */
#include <hdf5.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compute.h"
#include "dtype.h"
#include "isa.h"

/* The enum's values are part of the ABI. */
_Static_assert(PA_F64 == 0 && PA_F32 == 1 && PA_I64 == 2 && PA_I32 == 3 && PA_U8 == 4 &&
                   PA_I8 == 5 && PA_I16 == 6 && PA_U16 == 7 && PA_U32 == 8 && PA_U64 == 9 &&
                   PA_F16 == 10 && PA_BOOL == 11 && PA_C64 == 12 && PA_C128 == 13,
               "pa_dtype's values changed: a new dtype goes at the end of PA_DTYPE_LIST");

/* ------------------------------------------------------------ conversions */

/* float -> integer: truncation, with NaN -> 0 and saturation, written so
 * that the C conversion only ever sees values in range (an out-of-range
 * float -> int conversion is undefined in C). */
#define SAT(KD, TD, UD, v)                                                                       \
    ((v) != (v)                                  ? (TD)0                                         \
     : (v) < (double)PA__IMIN(KD, TD, UD)        ? (TD)PA__IMIN(KD, TD, UD)                      \
     : (v) >= (double)PA__IMAX(KD, TD, UD) + 1.0 ? (TD)PA__IMAX(KD, TD, UD)                      \
                                                 : (TD)(v))

/* One conversion by (destination is bool, destination is integer, source
 * is integer). To bool is C's conversion to _Bool: nonzero (and NaN) is 1,
 * as numpy's astype(bool). */
#define CONV(KD, KS, TD, UD, x)                                                                  \
    CONV_(PA__IS_BOOL(KD), PA__IS_INT(KD), PA__IS_INT(KS), KD, TD, UD, x)
#define CONV_(b, di, si, KD, TD, UD, x) CONV__(b, di, si, KD, TD, UD, x)
#define CONV__(b, di, si, KD, TD, UD, x) CONV_##b##di##si(KD, TD, UD, x)
#define CONV_000(KD, TD, UD, x) ((TD)(x))
#define CONV_001(KD, TD, UD, x) ((TD)(x))
#define CONV_010(KD, TD, UD, x) SAT(KD, TD, UD, (double)(x))
#define CONV_011(KD, TD, UD, x) ((TD)(UD)(x))
#define CONV_110(KD, TD, UD, x) ((TD)(x))
#define CONV_111(KD, TD, UD, x) ((TD)(x))

/* f16 <-> f32 for a tile of CONV_TILE elements, per instruction set: gcc
 * 12 does not vectorise _Float16 conversions, so the vector forms use
 * F16C's (AVX2 builds) and AVX-512's conversion instructions, which round
 * to nearest even and quiet NaNs as the scalar casts do. */
#define CONV_TILE 64
#define HALF_TILE_SCALAR(K)                                                                      \
    K static void CV(half_from_float)(PA_HALF *restrict d, const float *restrict s)              \
    {                                                                                            \
        for (int j = 0; j < CONV_TILE; j++)                                                      \
            d[j] = (PA_HALF)s[j];                                                                \
    }                                                                                            \
    K static void CV(float_from_half)(float *restrict d, const PA_HALF *restrict s)              \
    {                                                                                            \
        for (int j = 0; j < CONV_TILE; j++)                                                      \
            d[j] = (float)s[j];                                                                  \
    }
#define HALF_TILE_VECTOR(K, W, VF, VH, LOADF, STOREF, LOADH, STOREH, TOH, TOF)                   \
    K static void CV(half_from_float)(PA_HALF *restrict d, const float *restrict s)              \
    {                                                                                            \
        for (int j = 0; j < CONV_TILE; j += W)                                                   \
            STOREH((VH *)(d + j), TOH(LOADF(s + j), _MM_FROUND_TO_NEAREST_INT));                 \
    }                                                                                            \
    K static void CV(float_from_half)(float *restrict d, const PA_HALF *restrict s)              \
    {                                                                                            \
        for (int j = 0; j < CONV_TILE; j += W)                                                   \
            STOREF(d + j, TOF(LOADH((const VH *)(s + j))));                                      \
    }

/* v rounded to float toward zero, with the last bit set when that is
 * inexact ("round to odd"): rounding this float again to f16 gives v
 * rounded once to f16 (float keeps more than two bits beyond f16's), so
 * f64 -> f16 can use the float tile above and still round as the direct
 * cast does. NaN keeps its top bits, which are all f16 keeps. Branch-free,
 * so that the tile's loop vectorises. */
static inline float round_to_odd(double v)
{
    float t = (float)v;
    uint32_t b;
    memcpy(&b, &t, sizeof b);
    uint32_t inexact = (double)t != v && v == v;
    uint32_t away = fabs((double)t) > fabs(v); /* then the float next to t toward zero */
    b = (b - (inexact & away)) | inexact;
    memcpy(&t, &b, sizeof t);
    return t;
}

/* One conversion function per pair of dtypes and instruction set (CV
 * names it). It runs in tiles of a constant trip count, each an inline
 * function whose restrict-qualified parameters (gcc ignores restrict on
 * local pointers) let -O2 vectorise it; a pair with an f16 side goes
 * through a float tile. A bool source is read as its bytes, 0 or 1, which
 * gcc vectorises and _Bool it does not. */
#define CONV_FN(DD, TD, UD, KD, DS, TS, US, KS)                                                  \
    CONV_TARGET static inline __attribute__((always_inline)) void CV(tile_##DD##_##DS)(          \
        TD *restrict d, const PA__SEL(PA__IS_BOOL(KS), TS, uint8_t) *restrict s)                 \
    {                                                                                            \
        const int from_half = PA__IS_FLOAT(KS) && sizeof(TS) == 2;                               \
        const int to_half = PA__IS_FLOAT(KD) && sizeof(TD) == 2;                                 \
        float t[CONV_TILE];                                                                      \
        if (from_half) {                                                                         \
            CV(float_from_half)(t, (const PA_HALF *)s);                                          \
            for (int j = 0; j < CONV_TILE; j++)                                                  \
                d[j] = CONV(KD, FLOAT, TD, UD, t[j]);                                            \
        } else if (to_half) {                                                                    \
            for (int j = 0; j < CONV_TILE; j++)                                                  \
                t[j] = round_to_odd((double)s[j]);                                               \
            CV(half_from_float)((PA_HALF *)d, t);                                                \
        } else {                                                                                 \
            for (int j = 0; j < CONV_TILE; j++)                                                  \
                d[j] = CONV(KD, KS, TD, UD, s[j]);                                               \
        }                                                                                        \
    }                                                                                            \
    CONV_TARGET static void CV(conv_##DD##_##DS)(void *dst, const void *src, size_t n)           \
    {                                                                                            \
        TD *d = dst;                                                                             \
        const TS *s = src;                                                                       \
        size_t i = 0;                                                                            \
        if (!(PA__IS_FLOAT(KS) && sizeof(TS) == 2 && PA__IS_FLOAT(KD) && sizeof(TD) == 2))       \
            for (; i + CONV_TILE <= n; i += CONV_TILE)                                           \
                CV(tile_##DD##_##DS)(d + i, (const void *)(s + i));                              \
        for (; i < n; i++)                                                                       \
            d[i] = CONV(KD, KS, TD, UD, s[i]);                                                   \
    }
#define CONV_ENTRY(DD, TD, UD, KD, DS, TS, US, KS) [PA_##DD][PA_##DS] = CV(conv_##DD##_##DS),
#define CONV_ALL()                                                                               \
    PA__DTYPE_PAIRS(CONV_FN)                                                                     \
    static const pa__conv_fn CV(conv_table)[PA_NDTYPES][PA_NDTYPES] = {                          \
        PA__DTYPE_PAIRS(CONV_ENTRY)};

#define CV_CAT(name, isa) name##_##isa
#define CV_CAT2(name, isa) CV_CAT(name, isa)
#define CV(name) CV_CAT2(name, CONV_ISA)

#define CONV_ISA base
#define CONV_TARGET
HALF_TILE_SCALAR(CONV_TARGET)
CONV_ALL()
#undef CONV_ISA
#undef CONV_TARGET

#ifdef PA_X86_DISPATCH
#define CONV_ISA avx2
#define CONV_TARGET __attribute__((target("avx2,f16c")))
HALF_TILE_VECTOR(CONV_TARGET, 8, __m256, __m128i, _mm256_loadu_ps, _mm256_storeu_ps,
                 _mm_loadu_si128, _mm_storeu_si128, _mm256_cvtps_ph, _mm256_cvtph_ps)
CONV_ALL()
#undef CONV_ISA
#undef CONV_TARGET

#define CONV_ISA avx512
#define CONV_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,f16c")))
HALF_TILE_VECTOR(CONV_TARGET, 16, __m512, __m256i, _mm512_loadu_ps, _mm512_storeu_ps,
                 _mm256_loadu_si256, _mm256_storeu_si256, _mm512_cvtps_ph, _mm512_cvtph_ps)
CONV_ALL()

/* f64 -> i32 for Intel: gcc turns SAT's three tests into some 30 mask
 * register instructions per 16 elements, which Intel runs on one or two
 * ports, slower than memory (0.5 ns an element in the cache). Clamped to
 * [INT32_MIN, INT32_MAX] first (both exact in f64), a value needs only
 * the NaN test: the same results, 3x faster. AMD keeps the tile above. */
CONV_TARGET static void conv_I32_F64_intel(void *dst, const void *src, size_t n)
{
    int32_t *d = dst;
    const double *s = src;
    const __m512d lo = _mm512_set1_pd(INT32_MIN), hi = _mm512_set1_pd(INT32_MAX);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_loadu_pd(s + i);
        __mmask8 num = _mm512_cmp_pd_mask(v, v, _CMP_ORD_Q);
        v = _mm512_min_pd(_mm512_max_pd(v, lo), hi);
        _mm256_storeu_si256((__m256i *)(d + i), _mm512_maskz_cvttpd_epi32(num, v));
    }
    conv_I32_F64_avx512(d + i, s + i, n - i);
}
#undef CONV_ISA
#undef CONV_TARGET
#endif

/* The instruction set of the conversions: the kernels' (which implies
 * F16C), and for AVX-512 also DQ, BW and VL (64-bit integer <-> float
 * conversions and byte and word packing; every AVX-512 CPU since Skylake-SP
 * and Zen 4 has them). Asked once. */
static pa_isa conv_isa(void)
{
#ifdef PA_X86_DISPATCH
    static _Atomic int known = -1;
    int isa = known;
    if (isa < 0) {
        __builtin_cpu_init();
        isa = (int)pa__cpu_isa();
        if (isa == PA_ISA_AVX512 &&
            !(pa__cpu_has_avx512bw() && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512vl")))
            isa = PA_ISA_AVX2;
        known = isa;
    }
    return (pa_isa)isa;
#else
    return PA_ISA_BASE;
#endif
}

int pa__convert_isa(void *dst, pa_dtype dd, const void *src, pa_dtype sd, size_t n, int isa)
{
    if (isa < 0 || isa > (int)conv_isa())
        return -1;
    const pa__conv_fn(*t)[PA_NDTYPES] = conv_table_base;
#ifdef PA_X86_DISPATCH
    if (isa == PA_ISA_AVX512) {
        if (dd == PA_I32 && sd == PA_F64 && pa__cpu_is_intel()) {
            conv_I32_F64_intel(dst, src, n);
            return 0;
        }
        t = conv_table_avx512;
    } else if (isa == PA_ISA_AVX2)
        t = conv_table_avx2;
#endif
    t[dd][sd](dst, src, n);
    return 0;
}

void pa__convert(void *dst, pa_dtype dd, const void *src, pa_dtype sd, size_t n)
{
    pa__convert_isa(dst, dd, src, sd, n, (int)conv_isa());
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
#define H5_FNS(C, NAME, name, T, U, K, np, npc, descr, H5MEM, H5FILE)                            \
    static hid_t h5_mem_##name(void)                                                             \
    {                                                                                            \
        return H5T_##H5MEM;                                                                      \
    }                                                                                            \
    static hid_t h5_file_##name(void)                                                            \
    {                                                                                            \
        return H5T_##H5FILE;                                                                     \
    }
PA_DTYPE_LIST_WITH(H5_FNS, ~)

/* A one-byte type has no byte order: numpy writes '|'. */
#define DESCR(T, order, descr) (sizeof(T) == 1 ? "|" #descr : order #descr)

#define INFO_ROW(C, NAME, nm, T, U, K, np, npc, descr, H5MEM, H5FILE)                            \
    [PA_##NAME] = {                                                                              \
        .name = #nm,                                                                             \
        .size = sizeof(T),                                                                       \
        .kind = PA__KIND(K),                                                                     \
        .numpy = #np,                                                                            \
        .numpy_char = npc,                                                                       \
        .npy_descr = {DESCR(T, "<", descr), DESCR(T, ">", descr)},                               \
        .h5_mem = h5_mem_##nm,                                                                   \
        .h5_file = h5_file_##nm,                                                                 \
        .min = PA__IMIN(K, T, U),                                                                \
        .max = PA__IMAX(K, T, U),                                                                \
        .lo = (double)PA__IMIN(K, T, U),                                                         \
        .hi = (double)PA__IMAX(K, T, U) + 1.0,                                                   \
        .to_f64 = conv_F64_##NAME##_base,                                                        \
        .from_f64 = conv_##NAME##_F64_base,                                                      \
        .to_i64 = conv_I64_##NAME##_base,                                                        \
        .from_i64 = conv_##NAME##_I64_base,                                                      \
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
