/* Exact order statistics without a sort: pa_quantile, pa_percentile and
 * pa_median find the elements at given sorted positions by a distributed
 * selection. A sorted random sample brackets each position with two keys;
 * one counting pass over the data keeps the elements between them (a
 * small fraction) and counts those below; the kept elements are sorted
 * and the position found in them. When the bracket misses or keeps too
 * much, the key range is halved by more counting passes instead. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "compute.h"
#include "sort.h"

/* The sample's size over the whole array: at most SAMPLE_TOTAL and a
 * SAMPLE_SHARE-th of the array. Its rank error is at most half the square
 * root (one standard deviation), so the bracket's margin on each side, in
 * sample places, is six of them. */
#define SAMPLE_TOTAL ((size_t)1 << 20)
#define SAMPLE_SHARE 40
#define SAMPLE_MARGIN(s) ((size_t)(3 * sqrt((double)(s))) + 8)
/* The elements a rank keeps between the keys: a 32nd of its span (and the
 * same again to sort them; the sample is sorted there too), at least
 * KEEP_MIN. With the sample, under a tenth of the span. */
#define KEEP_DIVISOR 32
#define KEEP_MIN 1024

typedef struct {
    const pa_array *a;
    const pa__sort_ops *ops;
    MPI_Comm comm;
    const void *span; /* this rank's elements (the whole node copy split among the node's ranks) */
    size_t m;
    uint64_t n;   /* elements in the group */
    char *sample; /* this rank's sample, sorted */
    size_t ns;
    uint64_t ns_total;
    char *keep, *pong;
    size_t cap;
    uint64_t top; /* the largest key */
} selection;

/* splitmix64: the sample's places, a function of the global index. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int selection_init(selection *s, const pa_array *a)
{
    pa_ctx *ctx = a->ctx;
    size_t es = a->part.elsize, lo, hi;
    pa__local_range(a, &lo, &hi);
    s->a = a;
    s->ops = pa__sort_ops_of(a->dtype);
    s->comm = a->dist == PA_DISTRIBUTED ? ctx->comm : ctx->node_comm;
    s->span = pa__node_ptr(a, lo);
    s->m = hi - lo;
    s->n = s->m;
    s->top = s->ops->key_bits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << s->ops->key_bits) - 1;
    PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &s->n, 1, MPI_UINT64_T, MPI_SUM, s->comm));
    /* One place drawn in each of ns equal cells of the span. */
    size_t total = s->n / SAMPLE_SHARE < SAMPLE_TOTAL ? s->n / SAMPLE_SHARE : SAMPLE_TOTAL;
    size_t want = s->n <= KEEP_MIN ? s->m : (size_t)((double)s->m * total / s->n) + 1;
    s->ns = want < s->m ? want : s->m;
    s->cap = s->m / KEEP_DIVISOR > KEEP_MIN ? s->m / KEEP_DIVISOR : KEEP_MIN;
    if (2 * s->cap < s->ns)
        s->cap = s->ns; /* the sample is drawn into keep and sorted through it */
    s->sample = malloc(s->ns * es + 1);
    s->keep = malloc(2 * s->cap * es);
    s->pong = s->keep + s->cap * es;
    int rc = s->sample && s->keep ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    char *draw = s->keep;
    size_t g0 = (a->dist == PA_DISTRIBUTED ? a->row0 * a->rowsize : 0) + lo;
    for (size_t j = 0; j < s->ns; j++) {
        size_t c0 = j * s->m / s->ns, c1 = (j + 1) * s->m / s->ns;
        size_t at = c0 + (size_t)(mix(g0 + c0) % (c1 - c0));
        memcpy(draw + j * es, (const char *)s->span + at * es, es);
    }
    if (s->ops->radix(draw, NULL, 0, s->sample, NULL, draw, NULL, s->ns))
        memcpy(s->sample, draw, s->ns * es);
    s->ns_total = s->ns;
    PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, &s->ns_total, 1, MPI_UINT64_T, MPI_SUM, s->comm));
    return PA_OK;
}

static void selection_free(selection *s)
{
    free(s->sample);
    free(s->keep);
}

/* The sample's keys that bracket the positions p0 <= p1 of the data, d
 * sample places beyond each, inside [L, H] (all of it when they are not). */
static int sample_bracket(selection *s, size_t p0, size_t p1, size_t d, uint64_t L, uint64_t H,
                          uint64_t *lo, uint64_t *hi)
{
    size_t q0 = (size_t)((double)p0 * s->ns_total / s->n),
           q1 = (size_t)((double)p1 * s->ns_total / s->n);
    size_t k[2];
    int nk = 0;
    if (q0 >= d)
        k[nk++] = q0 - d;
    if (q1 + d < s->ns_total)
        k[nk++] = q1 + d;
    uint64_t key[2];
    pa__sort_run sample = {.v = s->sample, .m = s->ns};
    PA_TRY(pa__runs_key_at(s->a->ctx, s->comm, s->ops, &sample, nk, k, key));
    *lo = q0 >= d && key[0] > L ? key[0] : L;
    *hi = q1 + d < s->ns_total && key[nk - 1] < H ? key[nk - 1] : H;
    if (*lo > *hi) {
        *lo = L;
        *hi = H;
    }
    return PA_OK;
}

/* The keys of the sorted positions p[0] <= p[1] (np = 1 or 2), or *nan
 * set when the data holds a NaN. Returns 1 in *missed when the one pass
 * of a pair could not place both (the caller then asks for each alone). */
static int select_keys(selection *s, int np, const size_t *p, uint64_t *key, int *nan,
                       int *missed)
{
    pa_ctx *ctx = s->a->ctx;
    uint64_t L = 0, H = s->top, lo, hi;
    size_t d = SAMPLE_MARGIN(s->ns_total);
    PA_TRY(sample_bracket(s, p[0], p[np - 1], d, L, H, &lo, &hi));
    *missed = 0;
    for (;;) {
        uint64_t local[5], cnt[6];
        s->ops->bracket(s->span, s->m, lo, hi, s->keep, s->cap, local);
        memcpy(cnt, local, sizeof local);
        cnt[5] = local[2] > s->cap; /* the ranks that could not keep theirs */
        PA_MPI(ctx, MPI_Allreduce(MPI_IN_PLACE, cnt, 6, MPI_UINT64_T, MPI_SUM, s->comm));
        if (cnt[4]) {
            *nan = 1;
            return PA_OK;
        }
        uint64_t below = cnt[0], inside = below + cnt[1], above = inside + cnt[2],
                 end = above + cnt[3];
        int out = p[0] < below || p[np - 1] >= end;
        int need_keep = 0;
        for (int i = 0; i < np; i++)
            need_keep |= p[i] >= inside && p[i] < above;
        if (np == 2 && (out || (need_keep && cnt[5]))) {
            *missed = 1;
            return PA_OK;
        }
        /* Narrow [L, H], the key range that holds the position, and
         * bracket it again: by the sample with half the margin after a
         * bracket that kept too much, by halves of the key range once the
         * margin is spent; or place the position. */
        int narrow = 1;
        if (p[0] < below)
            H = lo - 1; /* some key lies below lo, so lo > 0 */
        else if (p[0] >= end)
            L = hi + 1;
        else if (need_keep && cnt[5]) {
            L = lo;
            H = hi;
            d /= 2;
        } else
            narrow = 0;
        if (narrow) {
            if (d > 0)
                PA_TRY(sample_bracket(s, p[0], p[np - 1], d, L, H, &lo, &hi));
            else {
                lo = L;
                hi = L + (H - L) / 2;
            }
            continue;
        }
        /* Every rank kept all of its elements between the keys. */
        pa__sort_run run = {.v = s->keep, .m = (size_t)local[2]};
        if (need_keep &&
            s->ops->radix(s->keep, NULL, 0, s->pong, NULL, s->keep, NULL, run.m) == 0)
            run.v = s->pong;
        size_t k[2];
        int nk = 0;
        for (int i = 0; i < np; i++)
            if (p[i] >= inside && p[i] < above)
                k[nk++] = p[i] - inside;
        uint64_t found[2];
        PA_TRY(pa__runs_key_at(ctx, s->comm, s->ops, &run, nk, k, found));
        for (int i = 0, j = 0; i < np; i++)
            key[i] = p[i] < inside ? lo : p[i] >= above ? hi : found[j++];
        return PA_OK;
    }
}

/* The values at the sorted positions p and p + 1 (the last one when p + 1
 * is past the end), as keys; NaN flagged. */
static int select_pair(selection *s, size_t p, uint64_t key[2], int *nan)
{
    size_t pos[2] = {p, p + 1 < s->n ? p + 1 : p};
    int missed;
    *nan = 0;
    PA_TRY(select_keys(s, pos[1] > pos[0] ? 2 : 1, pos, key, nan, &missed));
    if (pos[1] == pos[0])
        key[1] = key[0];
    int alone;
    for (int i = 0; missed && i < 2; i++)
        PA_TRY(select_keys(s, 1, &pos[i], &key[i], nan, &alone));
    return PA_OK;
}

/* numpy's _lerp: a + (b - a) t, or b - (b - a)(1 - t) from t = 0.5 on,
 * in double, with b - a taken in the array's dtype as numpy takes it:
 * rounded to f32 or f16, and for integers exact (the difference of their
 * keys). */
static double lerp(const pa__sort_ops *ops, pa_dtype d, const uint64_t key[2], double t)
{
    double a = ops->key_value(key[0]), b = ops->key_value(key[1]);
    double diff = pa__dtype_is_int(d) ? (double)(key[1] - key[0])
                  : d == PA_F32       ? (double)(float)((float)b - (float)a)
                  : d == PA_F16       ? (double)(PA_HALF)((float)b - (float)a)
                                      : b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* The checks that every order statistic makes; *s ready on success. */
static int order_begin(const char *fn, const pa_array *a, selection *s)
{
    PA_CHECK_AS(a->ctx, fn, a->size > 0, PA_EINVAL, "a is empty: %s of no elements", fn + 3);
    PA_TRY(pa__sort_check_dtype(fn, a));
    int rc = selection_init(s, a);
    if (rc < 0)
        selection_free(s);
    return rc;
}

/* numpy's names of the methods, in the enum's order. */
static const char *const method_names[] = {
    [PA_QUANTILE_INVERTED_CDF] = "inverted_cdf",
    [PA_QUANTILE_AVERAGED_INVERTED_CDF] = "averaged_inverted_cdf",
    [PA_QUANTILE_CLOSEST_OBSERVATION] = "closest_observation",
    [PA_QUANTILE_INTERPOLATED_INVERTED_CDF] = "interpolated_inverted_cdf",
    [PA_QUANTILE_HAZEN] = "hazen",
    [PA_QUANTILE_WEIBULL] = "weibull",
    [PA_QUANTILE_LINEAR] = "linear",
    [PA_QUANTILE_MEDIAN_UNBIASED] = "median_unbiased",
    [PA_QUANTILE_NORMAL_UNBIASED] = "normal_unbiased",
    [PA_QUANTILE_LOWER] = "lower",
    [PA_QUANTILE_HIGHER] = "higher",
    [PA_QUANTILE_MIDPOINT] = "midpoint",
    [PA_QUANTILE_NEAREST] = "nearest",
};
#define NMETHODS (sizeof method_names / sizeof method_names[0])

const char *pa_quantile_method_name(pa_quantile_method method)
{
    return (unsigned)method < NMETHODS ? method_names[method] : NULL;
}

int pa_quantile_method_parse(const char *name, pa_quantile_method *method)
{
    for (size_t m = 0; name && m < NMETHODS; m++)
        if (strcmp(name, method_names[m]) == 0) {
            *method = (pa_quantile_method)m;
            return PA_OK;
        }
    return PA_EINVAL;
}

/* The methods that pick one element, with no interpolation. */
static int method_is_discrete(pa_quantile_method m)
{
    return m == PA_QUANTILE_INVERTED_CDF || m == PA_QUANTILE_CLOSEST_OBSERVATION ||
           m == PA_QUANTILE_LOWER || m == PA_QUANTILE_HIGHER || m == PA_QUANTILE_NEAREST;
}

/* numpy's _compute_virtual_index: n q + (alpha + q (1 - alpha - beta)) - 1. */
static double virtual_index(double n, double q, double alpha, double beta)
{
    return n * q + (alpha + q * (1 - alpha - beta)) - 1;
}

/* numpy's _discret_interpolation_to_boundaries: floor(v) where take_lower,
 * else floor(v) + 1, and never below 0. */
static size_t discrete_boundary(double v, int take_lower)
{
    double f = floor(v), r = take_lower ? f : f + 1;
    return r < 0 ? 0 : (size_t)r;
}

/* Where method m finds the q-quantile of n sorted elements, as numpy 1.24
 * computes it: the element at *prev alone (*discrete set), or numpy's
 * _lerp of the elements at *prev and *next (next = prev or prev + 1) by
 * *gamma. */
typedef struct {
    size_t prev, next;
    double gamma;
    int discrete;
} quantile_place;

static quantile_place place_of(pa_quantile_method m, uint64_t count, double q)
{
    double n = (double)count, v, f;
    quantile_place p = {.discrete = 1};
    switch (m) {
    case PA_QUANTILE_INVERTED_CDF:
        v = n * q - 1;
        p.prev = discrete_boundary(v, v - floor(v) == 0);
        return p;
    case PA_QUANTILE_CLOSEST_OBSERVATION:
        v = n * q - 1 - 0.5;
        f = floor(v);
        p.prev = discrete_boundary(v, v - f == 0 && fmod(f, 2) == 0);
        return p;
    case PA_QUANTILE_LOWER: p.prev = (size_t)floor((n - 1) * q); return p;
    case PA_QUANTILE_HIGHER: p.prev = (size_t)ceil((n - 1) * q); return p;
    case PA_QUANTILE_NEAREST:
        p.prev = (size_t)nearbyint((n - 1) * q);
        return p; /* np.around: to even */
    case PA_QUANTILE_AVERAGED_INVERTED_CDF: v = n * q - 1; break;
    case PA_QUANTILE_INTERPOLATED_INVERTED_CDF: v = virtual_index(n, q, 0, 1); break;
    case PA_QUANTILE_HAZEN: v = virtual_index(n, q, 0.5, 0.5); break;
    case PA_QUANTILE_WEIBULL: v = virtual_index(n, q, 0, 0); break;
    case PA_QUANTILE_MEDIAN_UNBIASED: v = virtual_index(n, q, 1 / 3.0, 1 / 3.0); break;
    case PA_QUANTILE_NORMAL_UNBIASED: v = virtual_index(n, q, 3 / 8.0, 3 / 8.0); break;
    case PA_QUANTILE_MIDPOINT: v = 0.5 * (floor((n - 1) * q) + ceil((n - 1) * q)); break;
    case PA_QUANTILE_LINEAR:
    default: v = (n - 1) * q; break;
    }
    /* numpy's _get_indexes: past the last element both are the last (and
     * numpy's gamma is taken from the index -1), before the first both are
     * the first. */
    p.discrete = 0;
    double prev = floor(v);
    p.prev = (size_t)prev;
    p.next = p.prev + 1;
    if (v >= n - 1) {
        prev = -1;
        p.prev = p.next = count - 1;
    }
    if (v < 0) {
        prev = 0;
        p.prev = p.next = 0;
    }
    p.gamma = v - prev;
    if (m == PA_QUANTILE_AVERAGED_INVERTED_CDF)
        p.gamma = p.gamma == 0 ? 0.5 : 1;
    else if (m == PA_QUANTILE_MIDPOINT)
        p.gamma = fmod(v, 1) == 0 ? 0 : 0.5;
    return p;
}

static int quantiles(const char *fn, const pa_array *a, pa_quantile_method method, size_t nq,
                     const double *q, double scale, double *out)
{
    PA_CHECK_AS(a->ctx, fn, nq == 0 || (q && out), PA_EINVAL, "q and out must not be NULL");
    PA_CHECK_AS(a->ctx, fn, pa_quantile_method_name(method), PA_EINVAL,
                "method %d is not a quantile method", (int)method);
    PA_CHECK_AS(a->ctx, fn, a->dtype != PA_BOOL || method_is_discrete(method), PA_ENOTSUP,
                "a is bool, which has no %s quantiles (numpy cannot subtract bools): use "
                "pa_astype first, or a method that interpolates nothing",
                pa_quantile_method_name(method));
    for (size_t i = 0; i < nq; i++)
        PA_CHECK_AS(a->ctx, fn, q[i] >= 0 && q[i] <= scale, PA_EINVAL,
                    "q[%zu] = %g is outside [0, %g]", i, q[i], scale);
    selection s = {0};
    PA_TRY(order_begin(fn, a, &s));
    int rc = PA_OK;
    for (size_t i = 0; rc == PA_OK && i < nq; i++) {
        /* numpy divides percentiles by 100 first. */
        quantile_place p = place_of(method, s.n, q[i] / scale);
        uint64_t key[2];
        int nan;
        rc = select_pair(&s, p.prev, key, &nan);
        if (p.discrete || p.next == p.prev)
            key[1] = key[0];
        out[i] = nan          ? NAN
                 : p.discrete ? s.ops->key_value(key[0])
                              : lerp(s.ops, a->dtype, key, p.gamma);
    }
    selection_free(&s);
    return rc;
}

int pa_quantile_by(const pa_array *a, pa_quantile_method method, size_t nq, const double *q,
                   double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %d, %zu", PA_CC_ARRAY(a), (int)method, nq);
    return quantiles(__func__, a, method, nq, q, 1, out);
}

int pa_percentile_by(const pa_array *a, pa_quantile_method method, size_t np, const double *p,
                     double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %d, %zu", PA_CC_ARRAY(a), (int)method, np);
    return quantiles(__func__, a, method, np, p, 100, out);
}

int pa_quantile(const pa_array *a, size_t nq, const double *q, double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %zu", PA_CC_ARRAY(a), nq);
    return quantiles(__func__, a, PA_QUANTILE_LINEAR, nq, q, 1, out);
}

int pa_percentile(const pa_array *a, size_t np, const double *p, double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %zu", PA_CC_ARRAY(a), np);
    return quantiles(__func__, a, PA_QUANTILE_LINEAR, np, p, 100, out);
}

int pa_median(const pa_array *a, double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s", PA_CC_ARRAY(a));
    PA_CHECK(a->ctx, out, PA_EINVAL, "out must not be NULL");
    selection s = {0};
    PA_TRY(order_begin(__func__, a, &s));
    uint64_t key[2];
    int nan;
    int rc = select_pair(&s, (s.n - 1) / 2, key, &nan);
    if (rc < 0) {
        selection_free(&s);
        return rc;
    }
    double x = s.ops->key_value(key[0]), y = s.n % 2 ? x : s.ops->key_value(key[1]);
    /* numpy's mean of the two: in f32 for f32 and f16 (then rounded to f16). */
    if (a->dtype == PA_F32)
        *out = ((float)x + (float)y) / 2.0f;
    else if (a->dtype == PA_F16)
        *out = (double)(PA_HALF)(((float)x + (float)y) / 2.0f);
    else
        *out = (x + y) / 2;
    if (nan)
        *out = NAN;
    selection_free(&s);
    return rc;
}
