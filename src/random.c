/* Random arrays from Philox4x32-10. The value at global index i is a fixed
 * function of (seed, stream, i): draw j = i / E of the stream (E elements
 * per draw) is philox({j low, j high, stream low, stream high}, {seed low,
 * seed high}), and element i takes its (i mod E)-th share of the draw's 128
 * bits. Each rank generates the draws that cover its span, PHILOX_LANES at
 * a time into an L1 buffer, and copies its elements out, so the array is
 * bit-identical for every rank count and layout.
 *
 * The generators (random_gen.h) are compiled for AVX-512 (with the Philox
 * block in intrinsics), AVX2 and baseline x86-64, and picked by the CPU
 * at run time; all three give the same bits. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "philox.h"

void pa_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    philox4x32_10(ctr, key, out);
}

/* ------------------------------------------------------------ bits to numbers */

static inline uint64_t as_u64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double as_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* A whole number k < 2^52 as a double, exactly, without an int -> float
 * conversion that baseline x86-64 cannot vectorise: 2^52 + k has k as its
 * mantissa. */
static inline double small_to_f64(uint64_t k)
{
    return as_f64(0x4330000000000000u | k) - 0x1p52;
}

/* A 53-bit k as a double, exactly, in two parts of at most 32 bits. */
static inline double u53_to_f64(uint64_t k)
{
    return small_to_f64(k >> 21) * 0x1p21 + small_to_f64(k & 0x1FFFFFu);
}

/* ln(K) - 53 ln 2 = ln(K 2^-53) for a whole K in [1, 2^53] given as a
 * double. K = 2^e m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(t),
 * t = (m - 1) / (m + 1), |t| <= 0.1716, by its series to t^19: the first
 * term left out is below 2.3e-17 relative. ln 2 is split so that e ln2_hi
 * is exact. Accurate to about 1 ulp; no branches, so it vectorises. */
static inline double log_u53(double K)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    uint64_t b = as_u64(K);
    double m = as_f64((b & 0x000FFFFFFFFFFFFFu) | 0x3FF0000000000000u);
    double e = small_to_f64(b >> 52) - (1023.0 + 53.0);
    /* Branch-free select (the vectoriser gives up on control flow): for
     * m > sqrt 2, halve m (one less in the exponent field) and add 1 to e. */
    uint64_t big = -(uint64_t)(m > 1.41421356237309504880);
    m = as_f64(as_u64(m) - (big & 0x0010000000000000u));
    e += as_f64(big & 0x3FF0000000000000u);
    double t = (m - 1.0) / (m + 1.0), s = t * t;
    double p = 1.0 / 19;
    p = p * s + 1.0 / 17;
    p = p * s + 1.0 / 15;
    p = p * s + 1.0 / 13;
    p = p * s + 1.0 / 11;
    p = p * s + 1.0 / 9;
    p = p * s + 1.0 / 7;
    p = p * s + 1.0 / 5;
    p = p * s + 1.0 / 3;
    p = p * s + 1.0;
    return e * ln2_hi + (2.0 * t * p + e * ln2_lo);
}

/* cos and sin of 2 pi u for u = k 2^-53 in [0, 1): 4u = q + d exactly,
 * q = round(4u) (the 0x1.8p52 trick rounds to nearest without SSE4.1),
 * |d| <= 1/2, phi = d pi/2 in [-pi/4, pi/4]; Taylor series to phi^17 and
 * phi^18 (next terms below 1e-19), then a rotation by q quarter turns. */
static inline void cossin_2pi(double u, double *c, double *s)
{
    double x = 4.0 * u;
    double big = x + 0x1.8p52;
    uint64_t q = as_u64(big) & 3u;
    double d = x - (big - 0x1.8p52);
    double phi = d * 1.57079632679489661923, p2 = phi * phi;
    double sp = -1.0 / 355687428096000.0;
    sp = sp * p2 + 1.0 / 1307674368000.0;
    sp = sp * p2 - 1.0 / 6227020800.0;
    sp = sp * p2 + 1.0 / 39916800.0;
    sp = sp * p2 - 1.0 / 362880.0;
    sp = sp * p2 + 1.0 / 5040.0;
    sp = sp * p2 - 1.0 / 120.0;
    sp = sp * p2 + 1.0 / 6.0;
    double sn = phi - phi * p2 * sp;
    double cp = 1.0 / 6402373705728000.0;
    cp = cp * p2 - 1.0 / 20922789888000.0;
    cp = cp * p2 + 1.0 / 87178291200.0;
    cp = cp * p2 - 1.0 / 479001600.0;
    cp = cp * p2 + 1.0 / 3628800.0;
    cp = cp * p2 - 1.0 / 40320.0;
    cp = cp * p2 + 1.0 / 720.0;
    cp = cp * p2 - 1.0 / 24.0;
    double cs = 1.0 - 0.5 * p2 - p2 * p2 * cp;
    /* Rotation by q quarter turns, as bit operations: odd q swaps cos and
     * sin; q = 1, 2 negate the cos, q = 2, 3 the sin. */
    uint64_t swap = -(q & 1u), ub = as_u64(sn), uc = as_u64(cs);
    uint64_t cc = (ub & swap) | (uc & ~swap), ss = (uc & swap) | (ub & ~swap);
    *c = as_f64(cc ^ (((q + 1u) & 2u) << 62));
    *s = as_f64(ss ^ ((q & 2u) << 62));
}

/* ------------------------------------------------------------ generators */

/* The parameters of one fill, shared by the generators in random_gen.h. */
typedef struct {
    uint32_t s0, s1, k0, k1; /* stream and seed words */
    double low, span, high,
        below; /* uniform: low, high - low, high, the largest value below high */
    float lowf, spanf, highf, belowf;
    float belowh; /* f16: the largest f16 below highf (an f16 value) */
    double mean, std;
    uint64_t range, low_int; /* integers: high - low, low */
    double p;                /* bool: the probability of true */
} gen_args;

/* random_gen.h once per instruction set; pick_generators() takes the best
 * the CPU has. */
typedef struct {
    void (*uniform_f64)(const gen_args *, uint64_t, double *restrict);
    void (*uniform_f32)(const gen_args *, uint64_t, float *restrict);
    void (*normal_f64)(const gen_args *, uint64_t, double *restrict);
    void (*integers)(const gen_args *, uint64_t, uint64_t *);
} generators;

#define GEN_CAT(name, isa) gen_##name##_##isa
#define GEN_CAT2(name, isa) GEN_CAT(name, isa)
#define GEN(name) GEN_CAT2(name, GEN_ISA)
/* clang-format off */
#define GEN_TABLE(isa) \
    { GEN_CAT(uniform_f64, isa), GEN_CAT(uniform_f32, isa), GEN_CAT(normal_f64, isa), \
      GEN_CAT(integers, isa) }
/* clang-format on */

#define GEN_ISA base
#define GEN_TARGET
#define GEN_LANES philox_lanes
#include "random_gen.h"
static const generators gen_base = GEN_TABLE(base);

#ifdef PHILOX_HAVE_AVX512
#define GEN_ISA avx2
#define GEN_TARGET __attribute__((target("avx2")))
#define GEN_LANES philox_lanes
#include "random_gen.h"
static const generators gen_avx2 = GEN_TABLE(avx2);

#define GEN_ISA avx512
#define GEN_TARGET __attribute__((target("avx512f")))
#define GEN_LANES philox_lanes_avx512
#include "random_gen.h"
static const generators gen_avx512 = GEN_TABLE(avx512);
#endif

static const generators *pick_generators(void)
{
#ifdef PHILOX_HAVE_AVX512
    pa_isa isa = pa__cpu_isa();
    if (isa != PA_ISA_BASE)
        return isa == PA_ISA_AVX512 ? &gen_avx512 : &gen_avx2;
#endif
    return &gen_base;
}

/* ------------------------------------------------------------ the driver */

typedef enum { UNIFORM, NORMAL, INTEGERS, BERNOULLI, NDIST } dist_kind;

/* One step of a fill: the elements of the PHILOX_LANES draws from draw j0
 * on, as dtype d, into buf (the dtype's elements per draw each). */
typedef void (*step_fn)(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                        void *buf);

static void uniform_f64_step(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                             void *buf)
{
    (void)d;
    G->uniform_f64(g, j0, buf);
}

static void uniform_f32_step(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                             void *buf)
{
    (void)d;
    G->uniform_f32(g, j0, buf);
}

/* f16 draws are f32 draws (between low and high rounded to f16) rounded
 * to f16; one that rounds up to high becomes the largest f16 below it. */
static void uniform_f16_step(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                             void *buf)
{
    (void)d;
    float t[4 * PHILOX_LANES];
    G->uniform_f32(g, j0, t);
    PA_HALF *o = buf;
    for (int i = 0; i < 4 * PHILOX_LANES; i++) {
        PA_HALF v = (PA_HALF)t[i];
        o[i] = v < g->highf ? v : (PA_HALF)g->belowh;
    }
}

/* The largest f16 below the finite f16 value h: its bits one step toward
 * -inf (from +0 to the negative subnormal nearest 0). */
static float half_below(float h)
{
    PA_HALF x = (PA_HALF)h;
    uint16_t b;
    memcpy(&b, &x, sizeof b);
    b = b == 0 ? 0x8001u : (b & 0x8000u) ? (uint16_t)(b + 1) : (uint16_t)(b - 1);
    memcpy(&x, &b, sizeof b);
    return (float)x;
}

/* v rounded to dtype d (pa__convert's rounding), as a double. */
static double rounded_to(pa_dtype d, double v)
{
    pa__elem e;
    pa__from_double(&e, d, v);
    pa__dtypes[d].to_f64(&v, &e, 1);
    return v;
}

/* Normal numbers are computed in double and rounded to d (to its part
 * dtype for complex: a draw's two numbers are one element's real and
 * imaginary parts). */
static void normal_step(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                        void *buf)
{
    pa_dtype part = pa__dtype_real(d);
    if (part == PA_F64) {
        G->normal_f64(g, j0, buf);
        return;
    }
    double t[2 * PHILOX_LANES];
    G->normal_f64(g, j0, t);
    pa__dtypes[part].from_f64(buf, t, 2 * PHILOX_LANES);
}

/* Integer offsets plus low, wrapping, kept to d's low bits. */
static void integers_step(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                          void *buf)
{
    uint64_t t[2 * PHILOX_LANES];
    G->integers(g, j0, t);
    for (int i = 0; i < 2 * PHILOX_LANES; i++)
        t[i] += g->low_int;
    pa__dtypes[d].from_i64(buf, t, 2 * PHILOX_LANES);
}

/* Bools: true where the f64 uniform in [0, 1) of the same index is below
 * p (g's uniform parameters are [0, 1)). */
static void bernoulli_step(const generators *G, const gen_args *g, uint64_t j0, pa_dtype d,
                           void *buf)
{
    (void)d;
    double t[2 * PHILOX_LANES];
    G->uniform_f64(g, j0, t);
    _Bool *o = buf;
    for (int i = 0; i < 2 * PHILOX_LANES; i++)
        o[i] = t[i] < g->p;
}

/* Each dtype's steps and elements per draw by distribution, by its kind
 * (NULL where the distribution is not defined): uniform f32 takes four
 * 32-bit shares of a draw, the others two 64-bit halves. A complex
 * element is two consecutive numbers of its part dtype, real then
 * imaginary (independent: two shares of a draw, or a normal draw's pair),
 * so a complex array of n elements holds the bits of the f32 or f64 array
 * of 2n elements drawn with the same seed and stream. */
/* clang-format off */
#define UNIFORM_STEP(T)                                                                \
    _Generic((T)0, double: uniform_f64_step, float: uniform_f32_step, PA_HALF: uniform_f16_step)
#define UNIFORM_PER_DRAW(T) _Generic((T)0, double: 2, float: 4, PA_HALF: 4)
#define STEPS_FLOAT(T)                                                                 \
    {{[UNIFORM] = UNIFORM_STEP(T), [NORMAL] = normal_step},                            \
     {[UNIFORM] = UNIFORM_PER_DRAW(T), [NORMAL] = 2}}
#define STEPS_SINT(T) {{[INTEGERS] = integers_step}, {[INTEGERS] = 2}}
#define STEPS_UINT(T) STEPS_SINT(T)
#define STEPS_BOOL(T) {{[BERNOULLI] = bernoulli_step}, {[BERNOULLI] = 2}}
#define STEPS_COMPLEX(T)                                                               \
    {{[UNIFORM] = _Generic((T)0, double _Complex: uniform_f64_step,                    \
                           float _Complex: uniform_f32_step),                           \
      [NORMAL] = normal_step},                                                         \
     {[UNIFORM] = _Generic((T)0, double _Complex: 1, float _Complex: 2), [NORMAL] = 1}}
#define STEPS_ROW(C, NAME, nm, T, U, K, ...) [PA_##NAME] = STEPS_##K(T),
/* clang-format on */
static const struct {
    step_fn step[NDIST];
    int per_draw[NDIST];
} steps[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(STEPS_ROW, ~)};

static int generate(pa_array *a, dist_kind kind, const gen_args *g)
{
    size_t lo, hi, es = a->part.elsize;
    pa__local_range(a, &lo, &hi);
    size_t g0 = a->row0 * a->rowsize; /* global index of node element 0 */
    step_fn step = steps[a->dtype].step[kind];
    uint64_t E = (uint64_t)steps[a->dtype].per_draw[kind]; /* elements per draw */
    int stream = (hi - lo) * es > PA_STREAM_MIN_BYTES;
    const generators *G = pick_generators();
    /* The L1 buffer of one step: PHILOX_LANES draws of at most 4 elements
     * (a draw is 128 bits) of any dtype. */
    pa__elem buf[4 * PHILOX_LANES];
    for (size_t p = g0 + lo; p < g0 + hi;) {
        uint64_t j0 = p / E;
        size_t first = (size_t)(j0 * E), end = first + (size_t)(PHILOX_LANES * E);
        if (end > g0 + hi)
            end = g0 + hi;
        size_t n = end - p, skip = p - first;
        step(G, g, j0, a->dtype, buf);
        const void *src = (const unsigned char *)buf + skip * es;
        void *dst = pa__node_ptr(a, p - g0);
        if (stream)
            pa__stream_copy(dst, src, n * es);
        else
            memcpy(dst, src, n * es);
        p = end;
    }
    if (stream)
        pa__stream_fence();
    /* Publishes every rank's span to the node's ranks. */
    return pa__array_sync(a);
}

static void keys(gen_args *g, uint64_t seed, uint64_t stream)
{
    g->k0 = (uint32_t)seed;
    g->k1 = (uint32_t)(seed >> 32);
    g->s0 = (uint32_t)stream;
    g->s1 = (uint32_t)(stream >> 32);
}

/* Fails with PA_ENOTSUP unless a's dtype has the distribution kind and is
 * of kinds; the message names the public call fn's distribution, what
 * dtypes it takes ("a float or complex") and which, and ends with hint. */
static int check_dtype(const char *fn, const pa_array *a, dist_kind kind, unsigned kinds,
                       const char *what, const char *hint)
{
    char names[128];
    PA_CHECK_AS(a->ctx, fn,
                steps[a->dtype].step[kind] && (1u << pa__dtypes[a->dtype].kind & kinds),
                PA_ENOTSUP, "%s needs %s array (%s), a is %s%s", fn + sizeof "pa_random_" - 1,
                what, pa__dtype_names(kinds, PA__NAMES_PARRAY, names, sizeof names),
                pa_dtype_name(a->dtype), hint);
    return PA_OK;
}

int pa_random_uniform(pa_array *a, uint64_t seed, uint64_t stream, double low, double high)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, seed %" PRIu64 ", stream %" PRIu64 ", %.17g, %.17g",
                  PA_CC_ARRAY(a), seed, stream, low, high);
    PA_TRY(check_dtype(__func__, a, UNIFORM, PA__KINDS_FLOAT | PA__KINDS_COMPLEX,
                       "a float or complex", " (use pa_random_integers)"));
    PA_CHECK(ctx, isfinite(low) && isfinite(high) && low < high && isfinite(high - low),
             PA_EINVAL, "low = %.17g and high = %.17g must be finite with low < high", low, high);
    gen_args g = {0};
    keys(&g, seed, stream);
    g.low = low;
    g.span = high - low;
    g.high = high;
    g.below = nextafter(high, -INFINITY); /* >= low, since low < high */
    /* f32 and f16 arrays draw in f32 between low and high rounded to
     * their dtype. */
    g.lowf = (float)rounded_to(a->dtype, low);
    g.highf = (float)rounded_to(a->dtype, high);
    g.spanf = g.highf - g.lowf;
    PA_CHECK(ctx,
             steps[a->dtype].step[UNIFORM] == uniform_f64_step ||
                 (isfinite(g.spanf) && g.spanf > 0),
             PA_EINVAL, "low = %.9g and high = %.9g are not distinct finite values in %s", low,
             high, pa_dtype_name(a->dtype));
    g.belowf = nextafterf(g.highf, -INFINITY);
    g.belowh = half_below(g.highf);
    return generate(a, UNIFORM, &g);
}

int pa_random_normal(pa_array *a, uint64_t seed, uint64_t stream, double mean, double std)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, seed %" PRIu64 ", stream %" PRIu64 ", %.17g, %.17g",
                  PA_CC_ARRAY(a), seed, stream, mean, std);
    PA_TRY(check_dtype(__func__, a, NORMAL, PA__KINDS_FLOAT | PA__KINDS_COMPLEX,
                       "a float or complex", ""));
    PA_CHECK(ctx, isfinite(mean) && isfinite(std) && std >= 0, PA_EINVAL,
             "mean = %.17g and std = %.17g must be finite with std >= 0", mean, std);
    gen_args g = {0};
    keys(&g, seed, stream);
    g.mean = mean;
    g.std = std;
    return generate(a, NORMAL, &g);
}

/* The integers of a's dtype from low (its bits) on, range of them (0 for
 * 2^64), checked by the caller. */
static int integers_fill(pa_array *a, uint64_t seed, uint64_t stream, uint64_t low,
                         uint64_t range)
{
    gen_args g = {0};
    keys(&g, seed, stream);
    g.range = range;
    g.low_int = low;
    return generate(a, INTEGERS, &g);
}

int pa_random_integers(pa_array *a, uint64_t seed, uint64_t stream, int64_t low, int64_t high)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__,
                  "%s, seed %" PRIu64 ", stream %" PRIu64 ", %" PRId64 ", %" PRId64,
                  PA_CC_ARRAY(a), seed, stream, low, high);
    PA_TRY(check_dtype(__func__, a, INTEGERS, PA__KINDS_INT, "an integer",
                       " (use pa_random_uniform)"));
    int64_t mn = pa__dtypes[a->dtype].min;
    uint64_t mx = pa__dtypes[a->dtype].max;
    /* high is exclusive, so it may be one past the dtype's maximum (which
     * int64_t cannot express for i64 and u64: pa_random_unsigned takes
     * u64's whole range). */
    PA_CHECK(ctx, low < high && low >= mn && (high - 1 < 0 || (uint64_t)(high - 1) <= mx),
             PA_EINVAL, "[low, high) = [%lld, %lld) must be non-empty and within %s",
             (long long)low, (long long)high, pa_dtype_name(a->dtype));
    return integers_fill(a, seed, stream, (uint64_t)low, (uint64_t)high - (uint64_t)low);
}

int pa_random_unsigned(pa_array *a, uint64_t seed, uint64_t stream, uint64_t low, uint64_t last)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__,
                  "%s, seed %" PRIu64 ", stream %" PRIu64 ", %" PRIu64 ", %" PRIu64,
                  PA_CC_ARRAY(a), seed, stream, low, last);
    PA_TRY(check_dtype(__func__, a, INTEGERS, 1u << PA__KIND_UINT, "an unsigned integer",
                       " (use pa_random_uniform)"));
    PA_CHECK(ctx, low <= last && last <= pa__dtypes[a->dtype].max, PA_EINVAL,
             "[low, last] = [%" PRIu64 ", %" PRIu64 "] must be non-empty and within %s", low,
             last, pa_dtype_name(a->dtype));
    return integers_fill(a, seed, stream, low, last - low + 1);
}

int pa_random_bool(pa_array *a, uint64_t seed, uint64_t stream, double p)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    pa_ctx *ctx = a->ctx;
    PA_COLLECTIVE(ctx, __func__, "%s, seed %" PRIu64 ", stream %" PRIu64 ", %.17g",
                  PA_CC_ARRAY(a), seed, stream, p);
    PA_CHECK(ctx, steps[a->dtype].step[BERNOULLI], PA_ENOTSUP, "bool needs a bool array, a is %s",
             pa_dtype_name(a->dtype));
    PA_CHECK(ctx, p >= 0 && p <= 1, PA_EINVAL, "p = %.17g must be within [0, 1]", p);
    gen_args g = {0};
    keys(&g, seed, stream);
    g.low = 0;
    g.span = g.high = 1;
    g.below = nextafter(1.0, 0.0);
    g.p = p;
    return generate(a, BERNOULLI, &g);
}
