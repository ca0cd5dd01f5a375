/* The order kernels of every dtype, generated from the one dtype list:
 * keys (numpy's order as unsigned integers), a stable LSD radix sort, the
 * binary searches, the gather through indices, the k-way merge and the
 * selection's counting pass. */
#include <stdlib.h>
#include <string.h>

#include "dtype.h"
#include "sort.h"

/* Spans up to this many elements are sorted by insertion: a radix sort's
 * histograms cost more than the sort. */
#define SORT_SMALL 48
/* The widest digit of a radix pass (11 bits: 6 passes over 64-bit keys,
 * with 2048 counters that stay in L1/L2 while scattering). */
#define RADIX_MAX_BITS 11
#define RADIX_MAX_PASSES 6

/* ------------------------------------------------------------ keys */

static inline uint64_t bits_of(const void *p, size_t size)
{
    uint64_t u = 0;
    memcpy(&u, p, size); /* little-endian: the low bytes */
    return u;
}

static inline uint64_t mask_of(size_t size)
{
    return size == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

/* IEEE binary16/32/64: the bits of +inf, per width. */
static inline uint64_t inf_bits(size_t size)
{
    return size == 8 ? 0x7ff0000000000000ull : size == 4 ? 0x7f800000ull : 0x7c00ull;
}

/* Positive floats keep their bits under the sign bit set, negatives are
 * inverted; every NaN is the largest key and both zeros are +0.0's. */
static inline uint64_t key_float(const void *p, size_t size)
{
    uint64_t u = bits_of(p, size), sign = (uint64_t)1 << (8 * size - 1);
    uint64_t mag = u & ~sign;
    if (mag > inf_bits(size))
        return mask_of(size);
    if (mag == 0)
        return sign;
    return u & sign ? ~u & mask_of(size) : u | sign;
}

static inline uint64_t key_sint(const void *p, size_t size)
{
    return bits_of(p, size) ^ (uint64_t)1 << (8 * size - 1);
}

static inline uint64_t key_uint(const void *p, size_t size)
{
    return bits_of(p, size);
}

/* The element whose key is key, written at p. */
static inline void unkey_float(uint64_t key, void *p, size_t size)
{
    uint64_t sign = (uint64_t)1 << (8 * size - 1);
    uint64_t u = key == mask_of(size) ? inf_bits(size) | 1 /* a quiet-enough NaN */
                 : key & sign         ? key & ~sign
                                      : ~key & mask_of(size);
    memcpy(p, &u, size);
}

static inline void unkey_sint(uint64_t key, void *p, size_t size)
{
    uint64_t u = key ^ (uint64_t)1 << (8 * size - 1);
    memcpy(p, &u, size);
}

static inline void unkey_uint(uint64_t key, void *p, size_t size)
{
    memcpy(p, &key, size);
}

#define KEY_FLOAT key_float
#define KEY_SINT key_sint
#define KEY_UINT key_uint
#define KEY_BOOL key_uint
#define UNKEY_FLOAT unkey_float
#define UNKEY_SINT unkey_sint
#define UNKEY_UINT unkey_uint
#define UNKEY_BOOL unkey_uint

/* ------------------------------------------------------------ the template */

#define SORT_KERNELS(NAME, nm, T, U, KIND, ...)                                                  \
    static inline uint64_t key_##nm(const T *p)                                                  \
    {                                                                                            \
        return KEY_##KIND(p, sizeof(T));                                                         \
    }                                                                                            \
    static uint64_t key_any_##nm(const void *p)                                                  \
    {                                                                                            \
        return key_##nm(p);                                                                      \
    }                                                                                            \
    static double key_value_##nm(uint64_t key)                                                   \
    {                                                                                            \
        T x;                                                                                     \
        UNKEY_##KIND(key, &x, sizeof(T));                                                        \
        return (double)x;                                                                        \
    }                                                                                            \
    /* Stable insertion sort of n elements in place (with their indices). */                     \
    static void insertion_##nm(T *v, int64_t *ix, size_t n)                                      \
    {                                                                                            \
        for (size_t i = 1; i < n; i++) {                                                         \
            T x = v[i];                                                                          \
            int64_t xi = ix ? ix[i] : 0;                                                         \
            uint64_t k = key_##nm(&x);                                                           \
            size_t j = i;                                                                        \
            for (; j > 0 && key_##nm(&v[j - 1]) > k; j--) {                                      \
                v[j] = v[j - 1];                                                                 \
                if (ix)                                                                          \
                    ix[j] = ix[j - 1];                                                           \
            }                                                                                    \
            v[j] = x;                                                                            \
            if (ix)                                                                              \
                ix[j] = xi;                                                                      \
        }                                                                                        \
    }                                                                                            \
    static int radix_##nm(const void *in_, const int64_t *iin, int64_t ibase, void *a_,          \
                          int64_t *ia, void *b_, int64_t *ib, size_t n)                          \
    {                                                                                            \
        const T *in = in_;                                                                       \
        T *a = a_, *b = b_;                                                                      \
        if (n <= SORT_SMALL) {                                                                   \
            memmove(a, in, n * sizeof(T));                                                       \
            for (size_t i = 0; ia && i < n; i++)                                                 \
                ia[i] = iin ? iin[i] : ibase + (int64_t)i;                                       \
            insertion_##nm(a, ia, n);                                                            \
            return 0;                                                                            \
        }                                                                                        \
        enum { W = 8 * (int)sizeof(T) };                                                         \
        enum { DB = W > 16 ? RADIX_MAX_BITS : 8 };                                               \
        enum { NP = (W + DB - 1) / DB, NB = 1 << DB };                                           \
        static _Thread_local size_t hist[NP][NB];                                                \
        memset(hist, 0, sizeof hist);                                                            \
        for (size_t i = 0; i < n; i++) {                                                         \
            uint64_t k = key_##nm(&in[i]);                                                       \
            for (int p = 0; p < NP; p++)                                                         \
                hist[p][(k >> (p * DB)) & (NB - 1)]++;                                           \
        }                                                                                        \
        const T *src = in;                                                                       \
        const int64_t *isrc = iin;                                                               \
        int cur = -1; /* where the data is: -1 in, 0 a, 1 b */                                   \
        uint64_t k0 = key_##nm(&in[0]);                                                          \
        for (int p = 0; p < NP; p++) {                                                           \
            /* A digit that every key shares moves nothing. */                                   \
            if (hist[p][(k0 >> (p * DB)) & (NB - 1)] == n)                                       \
                continue;                                                                        \
            size_t sum = 0;                                                                      \
            for (int d = 0; d < NB; d++) {                                                       \
                size_t c = hist[p][d];                                                           \
                hist[p][d] = sum;                                                                \
                sum += c;                                                                        \
            }                                                                                    \
            int to = cur == 0 ? 1 : 0;                                                           \
            T *dst = to ? b : a;                                                                 \
            int64_t *idst = to ? ib : ia;                                                        \
            for (size_t i = 0; i < n; i++) {                                                     \
                size_t at = hist[p][(key_##nm(&src[i]) >> (p * DB)) & (NB - 1)]++;               \
                dst[at] = src[i];                                                                \
                if (idst)                                                                        \
                    idst[at] = isrc ? isrc[i] : ibase + (int64_t)i;                              \
            }                                                                                    \
            src = dst;                                                                           \
            isrc = idst;                                                                         \
            cur = to;                                                                            \
        }                                                                                        \
        if (cur >= 0)                                                                            \
            return cur;                                                                          \
        memmove(a, in, n * sizeof(T));                                                           \
        for (size_t i = 0; ia && i < n; i++)                                                     \
            ia[i] = iin ? iin[i] : ibase + (int64_t)i;                                           \
        return 0;                                                                                \
    }                                                                                            \
    static size_t count_##nm(const pa__sort_run *run, uint64_t key, int le)                      \
    {                                                                                            \
        const T *v = run->v;                                                                     \
        size_t lo = 0, hi = run->m;                                                              \
        while (lo < hi) {                                                                        \
            size_t mid = lo + (hi - lo) / 2;                                                     \
            uint64_t k = key_##nm(run->through ? &v[run->through[mid] - run->shift] : &v[mid]);  \
            if (k < key || (le && k == key))                                                     \
                lo = mid + 1;                                                                    \
            else                                                                                 \
                hi = mid;                                                                        \
        }                                                                                        \
        return lo;                                                                               \
    }                                                                                            \
    static void gather_##nm(const void *base, const int64_t *idx, int64_t shift, size_t n,       \
                            void *vals, uint64_t *keys)                                          \
    {                                                                                            \
        const T *v = base;                                                                       \
        T *ov = vals;                                                                            \
        for (size_t i = 0; i < n; i++) {                                                         \
            const T *p = &v[idx[i] - shift];                                                     \
            if (ov)                                                                              \
                ov[i] = *p;                                                                      \
            if (keys)                                                                            \
                keys[i] = key_##nm(p);                                                           \
        }                                                                                        \
    }                                                                                            \
    /* The two-piece merge, the common case (two ranks, or a split piece). */                    \
    static void merge2_##nm(const pa__sort_piece *p, T *ov, int64_t *oi)                         \
    {                                                                                            \
        const T *x = p[0].v, *y = p[1].v;                                                        \
        size_t i = 0, j = 0, o = 0;                                                              \
        while (i < p[0].n && j < p[1].n) {                                                       \
            int take_y = key_##nm(&y[j]) < key_##nm(&x[i]);                                      \
            if (ov)                                                                              \
                ov[o] = take_y ? y[j] : x[i];                                                    \
            if (oi)                                                                              \
                oi[o] = take_y ? p[1].idx[j] : p[0].idx[i];                                      \
            o++;                                                                                 \
            j += take_y;                                                                         \
            i += !take_y;                                                                        \
        }                                                                                        \
        for (int s = 0; s < 2; s++) {                                                            \
            size_t at = s ? j : i, left = p[s].n - at;                                           \
            if (ov)                                                                              \
                memcpy(ov + o, (const T *)p[s].v + at, left * sizeof(T));                        \
            if (oi)                                                                              \
                memcpy(oi + o, p[s].idx + at, left * sizeof(int64_t));                           \
            o += left;                                                                           \
        }                                                                                        \
    }                                                                                            \
    static void merge_##nm(const pa__sort_piece *pieces, int np, void *outv, int64_t *outi,      \
                           size_t n)                                                             \
    {                                                                                            \
        T *ov = outv;                                                                            \
        pa__sort_piece live[2];                                                                  \
        int nlive = 0;                                                                           \
        for (int s = 0; s < np && nlive <= 2; s++)                                               \
            if (pieces[s].n) {                                                                   \
                if (nlive < 2)                                                                   \
                    live[nlive] = pieces[s];                                                     \
                nlive++;                                                                         \
            }                                                                                    \
        if (nlive == 1) {                                                                        \
            if (ov)                                                                              \
                memcpy(ov, live[0].v, n * sizeof(T));                                            \
            if (outi)                                                                            \
                memcpy(outi, live[0].idx, n * sizeof(int64_t));                                  \
            return;                                                                              \
        }                                                                                        \
        if (nlive == 2) {                                                                        \
            merge2_##nm(live, ov, outi);                                                         \
            return;                                                                              \
        }                                                                                        \
        pa__sort_head h[np];                                                                     \
        size_t at[np];                                                                           \
        int nh = 0;                                                                              \
        for (int s = 0; s < np; s++) {                                                           \
            at[s] = 0;                                                                           \
            if (pieces[s].n)                                                                     \
                h[nh++] = (pa__sort_head){key_##nm(pieces[s].v), s};                             \
        }                                                                                        \
        for (int i = nh / 2 - 1; i >= 0; i--)                                                    \
            pa__sort_heap_down(h, nh, i);                                                        \
        for (size_t o = 0; o < n; o++) {                                                         \
            int s = h[0].piece;                                                                  \
            const T *v = pieces[s].v;                                                            \
            if (ov)                                                                              \
                ov[o] = v[at[s]];                                                                \
            if (outi)                                                                            \
                outi[o] = pieces[s].idx[at[s]];                                                  \
            if (++at[s] < pieces[s].n)                                                           \
                h[0].key = key_##nm(&v[at[s]]);                                                  \
            else                                                                                 \
                h[0] = h[--nh];                                                                  \
            pa__sort_heap_down(h, nh, 0);                                                        \
        }                                                                                        \
    }                                                                                            \
    static void bracket_##nm(const void *p, size_t n, uint64_t lo, uint64_t hi, void *keep,      \
                             size_t cap, uint64_t cnt[5])                                        \
    {                                                                                            \
        const T *v = p;                                                                          \
        T *kv = keep;                                                                            \
        uint64_t below = 0, at_lo = 0, between = 0, at_hi = 0, nan = 0;                          \
        uint64_t nan_key = mask_of(sizeof(T));                                                   \
        for (size_t i = 0; i < n; i++) {                                                         \
            uint64_t k = key_##nm(&v[i]);                                                        \
            below += k < lo;                                                                     \
            at_lo += k == lo;                                                                    \
            at_hi += k == hi && hi != lo;                                                        \
            nan += k == nan_key && PA__IS_FLOAT(KIND);                                           \
            if (k > lo && k < hi) {                                                              \
                if (between < cap)                                                               \
                    kv[between] = v[i];                                                          \
                between++;                                                                       \
            }                                                                                    \
        }                                                                                        \
        cnt[0] = below;                                                                          \
        cnt[1] = at_lo;                                                                          \
        cnt[2] = between;                                                                        \
        cnt[3] = at_hi;                                                                          \
        cnt[4] = nan;                                                                            \
    }                                                                                            \
    static const pa__sort_ops ops_##nm = {8 * (int)sizeof(T), key_any_##nm, key_value_##nm,      \
                                          radix_##nm,         count_##nm,   gather_##nm,         \
                                          merge_##nm,         bracket_##nm};
/* Complex has no key of 64 bits (numpy orders it by real, then imaginary
 * part): no kernels, and pa__sort_ops_of gives NULL. */
#define SORT_KERNELS_ORDERED(NAME, nm, T, U, KIND, ...)                                          \
    PA__WHEN(PA__NOT(PA__IS_COMPLEX(KIND)), SORT_KERNELS(NAME, nm, T, U, KIND))
PA_DTYPE_LIST(SORT_KERNELS_ORDERED)
#undef SORT_KERNELS
#undef SORT_KERNELS_ORDERED

const pa__sort_ops *pa__sort_ops_of(pa_dtype d)
{
    switch (d) {
#define SORT_CASE(NAME, nm, T, U, KIND, ...)                                                     \
    case PA_##NAME: return PA__SEL(PA__IS_COMPLEX(KIND), &ops_##nm, NULL);
        PA_DTYPE_LIST(SORT_CASE)
#undef SORT_CASE
    case PA_NDTYPES: break;
    }
    return NULL;
}

int pa__sort_check_dtype(const char *fn, const pa_array *a)
{
    PA_CHECK_AS(a->ctx, fn, pa__sort_ops_of(a->dtype) != NULL, PA_ENOTSUP,
                "a is %s, which parray does not order (numpy orders complex values by real "
                "part, then imaginary part): sort its real part (PA_OP_REAL) instead",
                pa_dtype_name(a->dtype));
    return PA_OK;
}
