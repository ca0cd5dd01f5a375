/* Tests of sorting and order statistics: pa_sort and pa_argsort of 1-D
 * arrays (across ranks and nodes) and along the last axis of 2-D arrays,
 * for every dtype of the list and both distributions, against a serial
 * stable sort written here, bit for bit (so every launcher configuration
 * gives the same bits); NaN (both signs), -0.0 and +0.0 in input order,
 * all-equal, sorted and reverse-sorted data, fewer elements than ranks;
 * in-place sorts; pa_quantile, pa_percentile and pa_median against
 * numpy's formulas over the serial sort; pa_topk and pa_unique against the
 * serial order (every dtype, both distributions, N-D, fewer elements than
 * ranks), every quantile method the same bits on every layout; bad
 * arguments. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

#include "dtype.h"

/* ------------------------------------------------------------ the reference */

typedef struct {
    const void *buf;
    pa_dtype d;
} ref_data;
static ref_data ref;

/* numpy's order: NaN last, -0.0 == +0.0; then the index. */
static int ref_cmp(const void *x, const void *y)
{
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = 0;
    if (tu_is_int(ref.d)) {
        __int128 a = tu_get_i(ref.buf, ref.d, i), b = tu_get_i(ref.buf, ref.d, j);
        c = (a > b) - (a < b);
    } else {
        double a = tu_get_f(ref.buf, ref.d, i), b = tu_get_f(ref.buf, ref.d, j);
        if (isnan(a) || isnan(b))
            c = isnan(a) - isnan(b);
        else
            c = (a > b) - (a < b);
    }
    return c ? c : (i > j) - (i < j);
}

/* The stable order of n elements of dtype d at buf. */
static size_t *ref_order(const void *buf, pa_dtype d, size_t n)
{
    size_t *ord = malloc((n + 1) * sizeof *ord);
    for (size_t i = 0; i < n; i++)
        ord[i] = i;
    ref = (ref_data){buf, d};
    qsort(ord, n, sizeof *ord, ref_cmp);
    return ord;
}

/* ------------------------------------------------------------ data */

enum { RANDOM, SORTED, REVERSE, EQUAL, FEW, SPECIAL, NPATTERNS };
static const char *pattern_name[] = {"random", "sorted", "reverse", "equal", "few", "special"};

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

/* n elements of dtype d in pattern p (the same on every rank). */
static void *make_data(pa_dtype d, size_t n, int p, uint64_t seed)
{
    size_t es = pa_dtype_size(d);
    char *buf = calloc(n + 1, es);
    uint64_t s = seed;
    const double special[] = {NAN, -NAN, -0.0, 0.0, INFINITY, -INFINITY, 1.0, -1.0, 0.5};
    for (size_t i = 0; i < n; i++) {
        __int128 v;
        switch (p) {
        case SORTED: v = (__int128)i - (__int128)(n / 2); break;
        case REVERSE: v = (__int128)(n / 2) - (__int128)i; break;
        case EQUAL: v = 3; break;
        case FEW: v = (__int128)(lcg(&s) % 4) - 1; break;
        default: v = (__int128)lcg(&s) - ((__int128)1 << 52); break;
        }
        if (p == SPECIAL && !tu_is_int(d))
            tu_set_f(buf, d, i, special[lcg(&s) % 9]);
        else if (!tu_is_int(d) && p == RANDOM)
            tu_set_f(buf, d, i, (double)(lcg(&s) % 2000001) / 1000.0 - 1000.0);
        else if (d == PA_BOOL)
            tu_set_i(buf, d, i, v & 1);
        else
            tu_set_i(buf, d, i, tu_is_int(d) ? v : (__int128)(v % 4096));
    }
    return buf;
}

static pa_array *array_of(pa_dtype d, int ndim, const size_t *shape, pa_dist dist,
                          const void *buf)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, d, ndim, shape, dist, &a), ctx);
    TU_OK(pa_array_scatter(a, 0, buf), ctx);
    return a;
}

static void *gathered(pa_array *a)
{
    void *buf = calloc(pa_array_size(a) + 1, pa_dtype_size(pa_array_dtype(a)));
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    return buf;
}

/* ------------------------------------------------------------ 1-D */

/* Sorts, argsorts and sorts in place one 1-D array; rank 0 compares. */
static void check_flat(pa_dtype d, size_t n, int p, pa_dist dist)
{
    size_t es = pa_dtype_size(d);
    void *data = make_data(d, n, p, 17 + n + (size_t)p);
    pa_array *a = array_of(d, 1, &n, dist, data), *out = NULL, *idx = NULL;
    TU_OK(pa_array_create(ctx, d, 1, &n, dist, &out), ctx);
    TU_OK(pa_array_create(ctx, PA_I64, 1, &n, dist, &idx), ctx);
    TU_OK(pa_sort(out, a), ctx);
    TU_OK(pa_argsort(idx, a), ctx);
    char *sorted = gathered(out);
    int64_t *ix = gathered(idx);
    TU_OK(pa_sort(a, a), ctx);
    char *inplace = gathered(a);
    int ok = 1;
    size_t bad = 0;
    if (tu_rank() == 0) {
        size_t *ord = ref_order(data, d, n);
        for (size_t i = 0; i < n && ok; i++) {
            ok = memcmp(sorted + i * es, (char *)data + ord[i] * es, es) == 0 &&
                 memcmp(inplace + i * es, sorted + i * es, es) == 0 && ix[i] == (int64_t)ord[i];
            bad = i;
        }
        free(ord);
    }
    TU_ASSERT(ok, "%s n=%zu %s %s: first difference at %zu", pa_dtype_name(d), n, pattern_name[p],
              dist == PA_DISTRIBUTED ? "distributed" : "replicated", bad);
    free(sorted);
    free(ix);
    free(inplace);
    free(data);
    pa_array_free(&a);
    pa_array_free(&out);
    pa_array_free(&idx);
}

START_TEST(sort_every_dtype)
{
    const size_t sizes[] = {0, 1, 2, 3, 5, 64, 1001};
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (pa__dtype_is_complex((pa_dtype)d))
            continue; /* no order: bad_arguments checks the refusal */
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            for (int p = 0; p < NPATTERNS; p++)
                check_flat((pa_dtype)d, sizes[k], p, PA_DISTRIBUTED);
    }
}
END_TEST

START_TEST(sort_large)
{
    const pa_dtype types[] = {PA_F64, PA_F32, PA_I32, PA_U8, PA_F16, PA_I64};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++)
        for (int p = 0; p < NPATTERNS; p++)
            check_flat(types[t], 60013, p, PA_DISTRIBUTED);
}
END_TEST

START_TEST(sort_replicated)
{
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (pa__dtype_is_complex((pa_dtype)d))
            continue;
        for (int p = 0; p < NPATTERNS; p++)
            check_flat((pa_dtype)d, 3001, p, PA_REPLICATED);
    }
}
END_TEST

/* ------------------------------------------------------------ bounded rounds */

/* Fixture: ctx made with PARRAY_SORT_BUFFER_MB=1, so that across nodes
 * every rank merges its range in several rounds of pieces. */
static void small_buffer_setup(void)
{
    tu_env saved = tu_env_save("PARRAY_SORT_BUFFER_MB");
    setenv("PARRAY_SORT_BUFFER_MB", "1", 1);
    tu_ctx_setup();
    tu_env_restore(&saved);
}

/* Rounds whose boundaries fall at odd places in every run, for values and
 * indices of several widths and every pattern of data. */
START_TEST(sort_rounds)
{
    const pa_dtype types[] = {PA_F64, PA_I32, PA_U8};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++)
        for (int p = 0; p < NPATTERNS; p++)
            check_flat(types[t], 200003, p, PA_DISTRIBUTED);
}
END_TEST

/* The memory bound of a sort (argsort: its indices) by its peaks: the
 * node's shared memory grows by at most the output (the scratch of the
 * runs: the values of a sort, the indices of an argsort), and across nodes
 * a rank's resident set grows by at most its scratch, the pieces it reads
 * from the node's other runs, its share of the 1 MiB buffer (twice: the
 * argsort's pieces, then its rounds) and, for an argsort, the pages of the
 * node's other spans of a whose values it reads through their indices.
 * With the pieces received all at once it grew by another half of its
 * range (the pieces of the other node's two runs, at 2 ranks per node);
 * an argsort that copied its values grew the node by their size. */
static void check_peak(int argsort)
{
    size_t n = (size_t)1 << 23, out_bytes;
    pa_array *a = NULL, *out = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, argsort ? PA_I64 : PA_F64, 1, &n, PA_DISTRIBUTED, &out), ctx);
    TU_OK(pa_random_uniform(a, 7, 0, -1, 1), ctx);
    pa_span s;
    pa_array_local(out, &s);
    size_t mine = s.count * 8;
    MPI_Allreduce(&mine, &out_bytes, 1, MPI_UINT64_T, MPI_SUM, pa_ctx_node_comm(ctx));
    pa_mem_peaks before, after;
    TU_OK(pa_mem_peak_reset(ctx), ctx);
    TU_OK(pa_mem_peak(ctx, &before), ctx);
    TU_OK(argsort ? pa_argsort(out, a) : pa_sort(out, a), ctx);
    TU_OK(pa_mem_peak(ctx, &after), ctx);
    const char *call = argsort ? "pa_argsort" : "pa_sort";
    /* Node blocks are whole pages: each rank's window may round up by one. */
    size_t node_peak = after.node_shm - before.node_shm,
           slack = (size_t)pa_ctx_node_size(ctx) * (size_t)sysconf(_SC_PAGESIZE);
    TU_ASSERT(node_peak <= out_bytes + slack,
              "%s: the node's shared memory grew by %zu bytes, over the %zu of the output (+%zu)",
              call, node_peak, out_bytes, slack);
    /* Its scratch (mine), a quarter of each other run of the node, the
     * buffer's share, and 2 MiB of the sort's other needs. */
    size_t others = (size_t)(pa_ctx_node_size(ctx) - 1), share = ((size_t)1 << 20) / (others + 1);
    size_t bound = mine + others * mine / 4 * 5 / 4 + share + ((size_t)2 << 20);
    if (argsort)
        bound += others * mine + share;
    size_t growth = after.rank_vmhwm - before.rank_vmhwm;
    int check = pa_ctx_nnodes(ctx) == 2 && pa_ctx_size(ctx) == 4;
    TU_ASSERT(!check || growth <= bound, "%s: a rank's resident peak grew by %zu bytes, over %zu",
              call, growth, bound);
    pa_array_free(&a);
    pa_array_free(&out);
}

START_TEST(sort_peak)
{
    check_peak(0);
}
END_TEST

START_TEST(argsort_peak)
{
    check_peak(1);
}
END_TEST

/* ------------------------------------------------------------ rows */

START_TEST(sort_rows)
{
    const size_t shapes[][2] = {{7, 33}, {5, 100}, {3, 1}, {1, 1000}, {4, 0}};
    const pa_dtype types[] = {PA_F64, PA_I16, PA_U64, PA_F16};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++)
        for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
            for (int dist = 0; dist < 2; dist++) {
                pa_dtype d = types[t];
                size_t es = pa_dtype_size(d), rows = shapes[k][0], len = shapes[k][1];
                void *data = make_data(d, rows * len, SPECIAL, 5 + k);
                pa_array *a = array_of(d, 2, shapes[k], (pa_dist)dist, data), *out = NULL,
                         *idx = NULL;
                TU_OK(pa_array_create(ctx, d, 2, shapes[k], (pa_dist)dist, &out), ctx);
                TU_OK(pa_array_create(ctx, PA_I64, 2, shapes[k], (pa_dist)dist, &idx), ctx);
                TU_OK(pa_sort(out, a), ctx);
                TU_OK(pa_argsort(idx, a), ctx);
                char *sorted = gathered(out);
                int64_t *ix = gathered(idx);
                int ok = 1;
                for (size_t r = 0; tu_rank() == 0 && r < rows; r++) {
                    char *row = (char *)data + r * len * es;
                    size_t *ord = ref_order(row, d, len);
                    for (size_t i = 0; i < len; i++)
                        ok &= memcmp(sorted + (r * len + i) * es, row + ord[i] * es, es) == 0 &&
                              ix[r * len + i] == (int64_t)ord[i];
                    free(ord);
                }
                TU_ASSERT(ok, "%s rows of shape (%zu,%zu)", pa_dtype_name(d), rows, len);
                free(sorted);
                free(ix);
                free(data);
                pa_array_free(&a);
                pa_array_free(&out);
                pa_array_free(&idx);
            }
}
END_TEST

/* ------------------------------------------------------------ quantiles */

/* numpy's linear quantile over the sorted values x of dtype d (as
 * doubles; for an integer dtype xi, whose difference is taken exactly;
 * numpy subtracts floats in their dtype). */
static double ref_quantile(pa_dtype d, const double *x, const __int128 *xi, size_t n, double q)
{
    double v = (double)(n - 1) * q, j = floor(v), g = v - j;
    size_t i = (size_t)j, i1 = i + 1 < n ? i + 1 : n - 1;
    double a = x[i], b = x[i1], diff = xi ? (double)(xi[i1] - xi[i]) : tu_round_f(b - a, d);
    return g >= 0.5 ? b - diff * (1 - g) : a + diff * g;
}

static void check_quantiles(pa_dtype d, size_t n, int p)
{
    void *data = make_data(d, n, p, 99 + n);
    pa_array *a = array_of(d, 1, &n, PA_DISTRIBUTED, data);
    const double q[] = {0, 0.01, 0.25, 1.0 / 3, 0.5, 0.75, 0.99, 1};
    enum { NQ = sizeof q / sizeof *q };
    double got[NQ], pct[NQ], pq[NQ], med;
    for (int i = 0; i < NQ; i++)
        pq[i] = q[i] * 100;
    TU_OK(pa_quantile(a, NQ, q, got), ctx);
    TU_OK(pa_percentile(a, NQ, pq, pct), ctx);
    TU_OK(pa_median(a, &med), ctx);
    size_t *ord = ref_order(data, d, n);
    double *x = malloc(n * sizeof *x);
    __int128 *xi = tu_is_int(d) ? malloc(n * sizeof *xi) : NULL;
    int nan = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = tu_get_f(data, d, ord[i]);
        if (xi)
            xi[i] = tu_get_i(data, d, ord[i]);
        nan |= isnan(x[i]);
    }
    int ok = 1;
    for (int i = 0; i < NQ; i++) {
        double want = nan ? NAN : ref_quantile(d, x, xi, n, q[i]);
        double want_pct = nan ? NAN : ref_quantile(d, x, xi, n, pq[i] / 100);
        ok &= (isnan(want) && isnan(got[i])) || want == got[i];
        ok &= (isnan(want_pct) && isnan(pct[i])) || want_pct == pct[i];
        TU_ASSERT(ok, "%s n=%zu %s q=%g: got %.17g and %.17g, want %.17g and %.17g",
                  pa_dtype_name(d), n, pattern_name[p], q[i], got[i], pct[i], want, want_pct);
    }
    double lo = x[(n - 1) / 2], hi = x[n / 2], want;
    if (d == PA_F32 || d == PA_F16)
        want = ((float)lo + (float)hi) / 2.0f;
    else
        want = (lo + hi) / 2;
    if (d == PA_F16)
        want = (double)(PA_HALF)want;
    if (nan)
        want = NAN;
    TU_ASSERT((isnan(want) && isnan(med)) || want == med,
              "%s n=%zu %s median: got %.17g, want %.17g", pa_dtype_name(d), n, pattern_name[p],
              med, want);
    /* One value on every rank, bit for bit. */
    long long bits;
    memcpy(&bits, &med, sizeof bits);
    TU_SAME_INT(bits);
    free(x);
    free(xi);
    free(ord);
    free(data);
    pa_array_free(&a);
}

START_TEST(quantile_every_dtype)
{
    const size_t sizes[] = {1, 2, 3, 10, 1001, 40009};
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (d == PA_BOOL || pa__dtype_is_complex((pa_dtype)d))
            continue;
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            for (int p = 0; p < NPATTERNS; p++)
                check_quantiles((pa_dtype)d, sizes[k], p);
    }
}
END_TEST

START_TEST(median_bool)
{
    size_t n = 5;
    const _Bool v[] = {1, 0, 1, 1, 0};
    pa_array *a = array_of(PA_BOOL, 1, &n, PA_DISTRIBUTED, v);
    double med;
    TU_OK(pa_median(a, &med), ctx);
    TU_CHECK(med == 1);
    double q = 0.5, out;
    TU_RC(pa_quantile(a, 1, &q, &out), PA_ENOTSUP, ctx);
    pa_array_free(&a);
}
END_TEST

START_TEST(bad_arguments)
{
    size_t n = 10, z = 0;
    pa_array *a = NULL, *b = NULL, *e = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_F32, 1, &n, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &z, PA_DISTRIBUTED, &e), ctx);
    TU_RC(pa_sort(b, a), PA_EINVAL, ctx);
    TU_RC(pa_argsort(b, a), PA_EINVAL, ctx);
    TU_RC(pa_sort(NULL, a), PA_EINVAL, NULL);
    /* An argsort reads its input's values while it writes the indices. */
    pa_array *i = NULL;
    TU_OK(pa_array_create(ctx, PA_I64, 1, &n, PA_DISTRIBUTED, &i), ctx);
    TU_RC(pa_argsort(i, i), PA_EINVAL, ctx);
    pa_array_free(&i);
    double q = 1.5, out;
    TU_RC(pa_quantile(a, 1, &q, &out), PA_EINVAL, ctx);
    q = 101;
    TU_RC(pa_percentile(a, 1, &q, &out), PA_EINVAL, ctx);
    TU_RC(pa_median(e, &out), PA_EINVAL, ctx);
    TU_OK(pa_sort(e, e), ctx);
    /* Complex has no order here: refused, naming the dtype. */
    pa_array *c = NULL;
    TU_OK(pa_array_create(ctx, PA_C128, 1, &n, PA_DISTRIBUTED, &c), ctx);
    TU_RC(pa_sort(c, c), PA_ENOTSUP, ctx);
    TU_RC(pa_median(c, &out), PA_ENOTSUP, ctx);
    pa_array_free(&c);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&e);
}
END_TEST

/* ------------------------------------------------------------ top k, unique */

/* Whether data's elements i and j are one value in numpy's order (NaNs
 * one value, -0.0 and +0.0 one value). */
static int ref_same(const void *data, pa_dtype d, size_t i, size_t j)
{
    if (tu_is_int(d))
        return tu_get_i(data, d, i) == tu_get_i(data, d, j);
    double a = tu_get_f(data, d, i), b = tu_get_f(data, d, j);
    return (isnan(a) && isnan(b)) || a == b;
}

/* pa_topk of one array, both ways and several k, against the serial stable
 * order (and for the largest that order reversed, ties by the lower index). */
static void check_topk(pa_dtype d, size_t n, int p, pa_dist dist)
{
    size_t es = pa_dtype_size(d);
    void *data = make_data(d, n, p, 31 + n + (size_t)p);
    pa_array *a = array_of(d, 1, &n, dist, data);
    size_t *ord = ref_order(data, d, n), *rev = malloc((n + 1) * sizeof *rev);
    /* Reversed: runs of equal values keep their index order. */
    for (size_t i = 0, o = n; i < n;) {
        size_t j = i;
        while (j < n && ref_same(data, d, ord[i], ord[j]))
            j++;
        o -= j - i;
        for (size_t t = i; t < j; t++)
            rev[o + t - i] = ord[t];
        i = j;
    }
    const size_t ks[] = {0, 1, 3, n, n + 2};
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++)
        for (int largest = 0; largest < 2; largest++) {
            pa_array *v = NULL, *ix = NULL;
            TU_OK(pa_topk(a, ks[t], largest, &v, &ix), ctx);
            size_t m = ks[t] < n ? ks[t] : n;
            pa_span sv, si;
            pa_array_node(v, &sv);
            pa_array_node(ix, &si);
            const size_t *want = largest ? rev : ord;
            int ok = pa_array_size(v) == m && pa_array_size(ix) == m &&
                     pa_array_dist(v) == PA_REPLICATED;
            for (size_t i = 0; ok && i < m; i++)
                ok = ((int64_t *)si.ptr)[i] == (int64_t)want[i] &&
                     memcmp((char *)sv.ptr + i * es, (char *)data + want[i] * es, es) == 0;
            TU_ASSERT(ok, "%s n=%zu %s %s top %zu %s", pa_dtype_name(d), n, pattern_name[p],
                      dist == PA_DISTRIBUTED ? "distributed" : "replicated", ks[t],
                      largest ? "largest" : "smallest");
            pa_array_free(&v);
            pa_array_free(&ix);
        }
    free(ord);
    free(rev);
    free(data);
    pa_array_free(&a);
}

/* pa_unique of one array (shape: n, or rows x n / rows) against the
 * serial order: the first element of each run of one value, the run's
 * length, and every element's run. */
static void check_unique(pa_dtype d, size_t n, int p, pa_dist dist, int ndim)
{
    size_t es = pa_dtype_size(d), shape[2] = {n, 1};
    if (ndim == 2 && n % 3 == 0)
        shape[0] = 3, shape[1] = n / 3;
    else
        ndim = 1;
    void *data = make_data(d, n, p, 7 + n + (size_t)p);
    pa_array *a = array_of(d, ndim, shape, dist, data), *v = NULL, *c = NULL, *inv = NULL;
    TU_OK(pa_unique(a, &v, &c, &inv), ctx);
    size_t *ord = ref_order(data, d, n);
    int64_t *want_inv = malloc((n + 1) * sizeof *want_inv);
    int64_t *ginv = calloc(n + 1, sizeof *ginv);
    TU_OK(pa_array_gather(inv, 0, ginv), ctx);
    pa_span sv, sc;
    pa_array_node(v, &sv);
    pa_array_node(c, &sc);
    int ok = pa_array_ndim(inv) == ndim && pa_array_dist(inv) == dist;
    size_t u = 0;
    for (size_t i = 0; i < n; u++) {
        size_t j = i;
        while (j < n && ref_same(data, d, ord[i], ord[j]))
            want_inv[ord[j++]] = (int64_t)u;
        ok &= u < pa_array_size(v) &&
              memcmp((char *)sv.ptr + u * es, (char *)data + ord[i] * es, es) == 0 &&
              ((int64_t *)sc.ptr)[u] == (int64_t)(j - i);
        i = j;
    }
    ok &= pa_array_size(v) == u && pa_array_size(c) == u;
    for (size_t i = 0; tu_rank() == 0 && i < n; i++)
        ok &= ginv[i] == want_inv[i];
    TU_ASSERT(ok, "%s n=%zu %s %s %d-D: unique", pa_dtype_name(d), n, pattern_name[p],
              dist == PA_DISTRIBUTED ? "distributed" : "replicated", ndim);
    free(ord);
    free(want_inv);
    free(ginv);
    free(data);
    pa_array_free(&a);
    pa_array_free(&v);
    pa_array_free(&c);
    pa_array_free(&inv);
}

START_TEST(topk_unique_every_dtype)
{
    const size_t sizes[] = {0, 1, 3, 1001};
    for (int d = 0; d < PA_NDTYPES; d++) {
        if (pa__dtype_is_complex((pa_dtype)d))
            continue;
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            for (int p = 0; p < NPATTERNS; p++) {
                check_topk((pa_dtype)d, sizes[k], p, PA_DISTRIBUTED);
                check_unique((pa_dtype)d, sizes[k], p, PA_DISTRIBUTED, 1);
            }
    }
    for (int p = 0; p < NPATTERNS; p++) {
        check_topk(PA_F64, 20011, p, PA_DISTRIBUTED);
        check_topk(PA_F32, 1001, p, PA_REPLICATED);
        check_unique(PA_F64, 30003, p, PA_DISTRIBUTED, 2);
        check_unique(PA_I16, 30003, p, PA_DISTRIBUTED, 1);
        check_unique(PA_F16, 3, p, PA_DISTRIBUTED, 2);
        check_unique(PA_F32, 1001, p, PA_REPLICATED, 1);
    }
}
END_TEST

/* Every method gives one value on every rank, the same bits for every
 * layout (the values against numpy: tests/order_numpy.sh); bool takes the
 * discrete methods only, as numpy. */
START_TEST(quantile_methods)
{
    size_t n = 40009;
    void *data = make_data(PA_F64, n, RANDOM, 3);
    pa_array *a = array_of(PA_F64, 1, &n, PA_DISTRIBUTED, data);
    const double q[] = {0, 0.3, 0.5, 0.999, 1};
    double out[5];
    int m = 0;
    for (; pa_quantile_method_name((pa_quantile_method)m); m++) {
        pa_quantile_method back;
        TU_CHECK(pa_quantile_method_parse(pa_quantile_method_name((pa_quantile_method)m),
                                          &back) == PA_OK &&
                 back == (pa_quantile_method)m);
        TU_OK(pa_quantile_by(a, (pa_quantile_method)m, 5, q, out), ctx);
        for (int i = 0; i < 5; i++) {
            long long bits;
            memcpy(&bits, &out[i], sizeof bits);
            TU_SAME_INT(bits);
        }
    }
    TU_CHECK(m == 13);
    pa_quantile_method none;
    TU_CHECK(pa_quantile_method_parse("median", &none) == PA_EINVAL);
    TU_RC(pa_quantile_by(a, (pa_quantile_method)13, 1, q, out), PA_EINVAL, ctx);
    double p = 50;
    TU_OK(pa_percentile_by(a, PA_QUANTILE_LINEAR, 1, &p, out), ctx);
    TU_OK(pa_quantile(a, 1, &q[2], &out[1]), ctx);
    TU_CHECK(out[0] == out[1]);
    size_t nb = 5;
    const _Bool b[] = {1, 0, 1, 1, 0};
    pa_array *ab = array_of(PA_BOOL, 1, &nb, PA_DISTRIBUTED, b);
    TU_OK(pa_quantile_by(ab, PA_QUANTILE_LOWER, 1, &q[2], out), ctx);
    TU_CHECK(out[0] == 1);
    TU_RC(pa_quantile_by(ab, PA_QUANTILE_HAZEN, 1, &q[2], out), PA_ENOTSUP, ctx);
    free(data);
    pa_array_free(&a);
    pa_array_free(&ab);
}
END_TEST

START_TEST(topk_unique_bad_arguments)
{
    size_t n = 10;
    pa_array *a = NULL, *c = NULL, *v = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_C64, 1, &n, PA_DISTRIBUTED, &c), ctx);
    TU_RC(pa_topk(a, PA_TOPK_MAX + 1, 0, &v, NULL), PA_EINVAL, ctx);
    TU_CHECK(v == NULL);
    TU_RC(pa_topk(c, 3, 1, &v, NULL), PA_ENOTSUP, ctx);
    TU_RC(pa_unique(c, &v, NULL, NULL), PA_ENOTSUP, ctx);
    TU_RC(pa_unique(a, NULL, NULL, NULL), PA_EINVAL, ctx);
    TU_RC(pa_topk(NULL, 1, 0, &v, NULL), PA_EINVAL, NULL);
    /* Only what is asked for: values alone. */
    TU_OK(pa_unique(a, &v, NULL, NULL), ctx);
    TU_CHECK(pa_array_size(v) == 1);
    pa_array_free(&v);
    pa_array_free(&a);
    pa_array_free(&c);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("sort");
    TCase *tc = tu_tcase(s, "sort");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, sort_every_dtype);
    tcase_add_test(tc, sort_large);
    tcase_add_test(tc, sort_replicated);
    tcase_add_test(tc, sort_rows);
    tcase_add_test(tc, quantile_every_dtype);
    tcase_add_test(tc, median_bool);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, topk_unique_every_dtype);
    tcase_add_test(tc, quantile_methods);
    tcase_add_test(tc, topk_unique_bad_arguments);
    TCase *tr = tu_tcase(s, "rounds");
    tcase_add_checked_fixture(tr, small_buffer_setup, tu_ctx_teardown);
    tcase_add_test(tr, sort_rounds);
    tcase_add_test(tr, sort_peak);
    tcase_add_test(tr, argsort_peak);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
