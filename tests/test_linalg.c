/* Tests of pa_matmul and pa_matvec against a naive triple loop, for every
 * combination of transposes, distributions, modes and dtypes, on shapes
 * that include non-square, empty and fewer rows than ranks; of the plan
 * being restored after lend mode; and of the LAPACK calls by their
 * residuals on well-conditioned random systems, with their error cases.
 * Every check holds for any rank count and node layout. */
#include "testutil.h"

#include <math.h>
#include <sched.h>

/* Small dyadic values (multiples of 1/4 in [-2, 2]) from a hash of the
 * index: every product and sum of the small sizes below is exact in f32 and
 * f64, so the comparison with the naive loop can be tight whatever order
 * the BLAS sums in. */
static double val(size_t i, unsigned salt)
{
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + salt * 0xD1B54A32D192ED03ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (double)((int)(x % 17) - 8) / 4.0;
}

/* A 1-D or 2-D array filled with val(., salt) on every node. */
static pa_array *make(pa_dtype dt, int ndim, size_t r, size_t c, pa_dist dist, unsigned salt,
                      double *copy)
{
    size_t shape[2] = {r, c}, n = ndim == 1 ? r : r * c;
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, dt, ndim, shape, dist, &a), ctx);
    void *buf = malloc((n ? n : 1) * 8);
    for (size_t i = 0; i < n; i++) {
        copy[i] = val(i, salt);
        if (dt == PA_F64)
            ((double *)buf)[i] = copy[i];
        else
            ((float *)buf)[i] = (float)copy[i];
    }
    TU_OK(pa_array_scatter(a, 0, buf), ctx);
    free(buf);
    return a;
}

/* The array on rank 0 as doubles. */
static void fetch(pa_array *a, size_t n, double *out)
{
    void *buf = malloc((n ? n : 1) * 8);
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    for (size_t i = 0; i < n; i++)
        out[i] = pa_array_dtype(a) == PA_F64 ? ((double *)buf)[i] : (double)((float *)buf)[i];
    free(buf);
}

/* Compares rank 0's result with the reference; the same verdict on all. */
static void expect_close(const double *got, const double *want, size_t n, double tol,
                         const char *what)
{
    size_t bad = (size_t)-1;
    if (tu_rank() == 0)
        for (size_t i = 0; i < n && bad == (size_t)-1; i++)
            if (!(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i]))))
                bad = i;
    TU_ASSERT(bad == (size_t)-1, "%s: element %zu is %.17g, want %.17g", what, bad,
              bad == (size_t)-1 ? 0 : got[bad], bad == (size_t)-1 ? 0 : want[bad]);
}

static const pa_matmul_mode modes[] = {PA_MATMUL_SPLIT, PA_MATMUL_LEND, PA_MATMUL_AUTO};

/* Puts the reference values back into c (rank 0 scatters them). */
static void reset(pa_array *c, size_t n, const double *copy)
{
    void *buf = malloc((n ? n : 1) * 8);
    for (size_t i = 0; i < n; i++) {
        if (pa_array_dtype(c) == PA_F64)
            ((double *)buf)[i] = copy[i];
        else
            ((float *)buf)[i] = (float)copy[i];
    }
    TU_OK(pa_array_scatter(c, 0, buf), ctx);
    free(buf);
}

/* One product C = alpha op(A) op(B) + beta C checked against the loop. */
static void check_product(pa_dtype dt, int vec, size_t m, size_t n, size_t k, int ta, int tb,
                          pa_dist da, pa_dist db, pa_dist dc, int nmodes, double alpha0,
                          double beta0)
{
    size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    double *A = malloc((m * k + 1) * 8), *B = malloc((k * n + 1) * 8),
           *C = malloc((m * n + 1) * 8);
    double *want = malloc((m * n + 1) * 8), *got = malloc((m * n + 1) * 8);
    pa_array *a = make(dt, 2, ar, ac, da, 1, A);
    pa_array *b = vec ? make(dt, 1, k, 1, db, 2, B) : make(dt, 2, br, bc, db, 2, B);
    pa_array *c = NULL;
    /* The same operands for every mode, so that one product costs few
     * collective calls (the 2-host runs go over TCP). */
    for (int md = 0; md < nmodes; md++) {
        pa_matmul_mode mode = modes[md];
        double alpha = md == 0 ? alpha0 : 0.5, beta = md == 0 ? beta0 : -2.0;
        if (!c)
            c = vec ? make(dt, 1, m, 1, dc, 3, C) : make(dt, 2, m, n, dc, 3, C);
        else
            reset(c, m * n, C);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                double s = 0;
                for (size_t p = 0; p < k; p++)
                    s += (ta ? A[p * m + i] : A[i * k + p]) * (tb ? B[j * k + p] : B[p * n + j]);
                want[i * n + j] = alpha * s + beta * C[i * n + j];
            }
        pa_matmul_opts o = PA_MATMUL_OPTS_INIT;
        o.transA = ta;
        o.transB = tb;
        o.alpha = alpha;
        o.beta = beta;
        o.mode = mode;
        int rc = vec ? pa_matvec(c, a, b, &o) : pa_matmul(c, a, b, &o);
        TU_RC(rc, PA_OK, ctx);
        fetch(c, m * n, got);
        char what[160];
        snprintf(what, sizeof what, "%s %s m=%zu n=%zu k=%zu tA=%d tB=%d dist A%d B%d C%d %s",
                 vec ? "matvec" : "matmul", pa_dtype_name(dt), m, n, k, ta, tb, da, db, dc,
                 pa_matmul_mode_name(mode));
        expect_close(got, want, m * n, 0, what); /* exact: see val() */
    }
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&c);
    free(A);
    free(B);
    free(C);
    free(want);
    free(got);
}

/* The layouts pa_matmul accepts, (A, B, C). */
static const pa_dist layouts[][3] = {
    {PA_DISTRIBUTED, PA_REPLICATED, PA_DISTRIBUTED},
    {PA_DISTRIBUTED, PA_DISTRIBUTED, PA_DISTRIBUTED},
    {PA_REPLICATED, PA_REPLICATED, PA_DISTRIBUTED},
    {PA_REPLICATED, PA_DISTRIBUTED, PA_REPLICATED},
};

static const size_t shapes[][3] = {{5, 3, 4}, {1, 7, 2}, {13, 6, 9}, {2, 1, 3}, {4, 3, 0}};

START_TEST(matmul_all_combinations)
{
    int dt = _i; /* the loop index: f64, f32 */
    pa_dtype dtype = dt == 0 ? PA_F64 : PA_F32;
    /* f32 shares the kernel template with f64: two shapes suffice for it. */
    size_t nshapes = dt == 0 ? sizeof shapes / sizeof shapes[0] : 2;
    for (size_t s = 0; s < nshapes; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int l = 0; l < 4; l++) {
                    if (ta && layouts[l][0] == PA_DISTRIBUTED)
                        continue; /* an error case, tested below */
                    /* auto is split or lend: once per shape and transpose is enough. */
                    check_product(dtype, 0, shapes[s][0], shapes[s][1], shapes[s][2], ta, tb,
                                  layouts[l][0], layouts[l][1], layouts[l][2], l == 0 ? 3 : 2,
                                  1.0, 0.0);
                }
}
END_TEST

START_TEST(matmul_empty_and_thin)
{
    /* No rows at all, no columns, and many more ranks than rows. */
    check_product(PA_F64, 0, 0, 3, 2, 0, 0, PA_DISTRIBUTED, PA_REPLICATED, PA_DISTRIBUTED, 2, 1,
                  0);
    check_product(PA_F64, 0, 3, 0, 2, 0, 0, PA_DISTRIBUTED, PA_REPLICATED, PA_DISTRIBUTED, 2, 1,
                  0);
    check_product(PA_F64, 0, 1, 40, 33, 0, 1, PA_DISTRIBUTED, PA_DISTRIBUTED, PA_DISTRIBUTED, 3,
                  2, 1);
}
END_TEST

START_TEST(matvec_all_combinations)
{
    for (int dt = 0; dt < 2; dt++)
        for (size_t s = 0; s < (dt == 0 ? sizeof shapes / sizeof shapes[0] : 1); s++)
            for (int ta = 0; ta < 2; ta++)
                for (int l = 0; l < 4; l++) {
                    if (ta && layouts[l][0] == PA_DISTRIBUTED)
                        continue;
                    check_product(dt ? PA_F32 : PA_F64, 1, shapes[s][0], 1, shapes[s][2], ta, 0,
                                  layouts[l][0], layouts[l][1], layouts[l][2], l == 0 ? 3 : 2,
                                  -1.5, 0.25);
                }
}
END_TEST

START_TEST(lend_restores_plan)
{
    /* Big enough for lend to thread: the plan must be back afterwards. */
    size_t n = 96;
    double *A = malloc(n * n * 8), *B = malloc(n * n * 8), *C = malloc(n * n * 8);
    pa_array *a = make(PA_F64, 2, n, n, PA_DISTRIBUTED, 4, A);
    pa_array *b = make(PA_F64, 2, n, n, PA_REPLICATED, 5, B);
    pa_array *c = make(PA_F64, 2, n, n, PA_DISTRIBUTED, 6, C);
    int cpus[1024], now[1024];
    int nshare = pa_blas_plan_cores(ctx, PA_CORES_SHARE, cpus, 1024);
    pa_matmul_opts o = PA_MATMUL_OPTS_INIT;
    o.mode = PA_MATMUL_LEND;
    TU_OK(pa_matmul(c, a, b, &o), ctx);
    TU_ASSERT(pa_blas_threads_in_effect() == pa_blas_threads(ctx), "BLAS %d threads, plan %d",
              pa_blas_threads_in_effect(), pa_blas_threads(ctx));
    int nnow = pa_blas_plan_cores(ctx, PA_CORES_NOW, now, 1024);
    TU_CHECK(nnow == nshare && memcmp(now, cpus, sizeof(int) * (size_t)nnow) == 0);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&c);
    free(A);
    free(B);
    free(C);
}
END_TEST

START_TEST(matmul_errors)
{
    double buf[64];
    pa_array *a = make(PA_F64, 2, 4, 3, PA_DISTRIBUTED, 1, buf);
    pa_array *b = make(PA_F64, 2, 4, 2, PA_REPLICATED, 2, buf);
    pa_array *c = make(PA_F64, 2, 4, 2, PA_DISTRIBUTED, 3, buf);
    pa_array *cr = make(PA_F64, 2, 4, 2, PA_REPLICATED, 3, buf);
    pa_array *bi = NULL, *bf = make(PA_F32, 2, 3, 2, PA_REPLICATED, 2, buf);
    size_t sh[2] = {3, 2};
    TU_OK(pa_array_create(ctx, PA_I64, 2, sh, PA_REPLICATED, &bi), ctx);
    TU_RC(pa_matmul(c, a, b, NULL), PA_EINVAL, ctx); /* (4,3) x (4,2) */
    TU_CHECK(strstr(pa_errmsg(ctx), "shape mismatch") && strstr(pa_errmsg(ctx), "(4,3)") &&
             strstr(pa_errmsg(ctx), "(4,2)"));
    pa_matmul_opts o = PA_MATMUL_OPTS_INIT;
    o.transA = 1; /* (3,4) x (4,2) = (3,2) fits shapes, but A is distributed */
    pa_array *c32 = make(PA_F64, 2, 3, 2, PA_DISTRIBUTED, 3, buf);
    TU_RC(pa_matmul(c32, a, b, &o), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "transA needs a replicated A") != NULL);
    pa_array *b32 = make(PA_F64, 2, 3, 2, PA_REPLICATED, 2, buf);
    TU_RC(pa_matmul(cr, a, b32, NULL), PA_EINVAL, ctx); /* C replicated, A distributed */
    TU_CHECK(strstr(pa_errmsg(ctx), "replicated") != NULL);
    TU_RC(pa_matmul(c, a, bf, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "dtypes differ") != NULL);
    TU_RC(pa_matmul(c, a, bi, NULL), PA_EINVAL, ctx);
    TU_RC(pa_matmul(a, a, b32, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "must not be the same array") != NULL);
    TU_RC(pa_matmul(NULL, a, b32, NULL), PA_EINVAL, NULL);
    o.transA = 0;
    o.mode = (pa_matmul_mode)7;
    TU_RC(pa_matmul(c, a, b32, &o), PA_EINVAL, ctx);
    o.mode = PA_MATMUL_AUTO;
    o.transB = 1;
    size_t v = 3;
    pa_array *x = NULL, *y = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &v, PA_REPLICATED, &x), ctx);
    v = 4;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &v, PA_DISTRIBUTED, &y), ctx);
    TU_RC(pa_matvec(y, a, x, &o), PA_EINVAL, ctx);
    TU_OK(pa_matvec(y, a, x, NULL), ctx);
    TU_RC(pa_matvec(x, a, y, NULL), PA_EINVAL, ctx);
    pa_matmul_mode md;
    TU_RC(pa_matmul_mode_parse("fast", &md), PA_EINVAL, NULL);
    TU_OK(pa_matmul_mode_parse("lend", &md), NULL);
    TU_CHECK(md == PA_MATMUL_LEND);
    pa_array *all[] = {a, b, c, cr, bi, bf, c32, b32, x, y};
    for (int i = 0; i < 10; i++)
        pa_array_free(&all[i]);
}
END_TEST

/* ------------------------------------------------------------ LAPACK */

/* A random replicated matrix: a well-conditioned one is random entries in
 * [-1, 1) plus shift on the diagonal. */
static pa_array *rmat(pa_dtype dt, size_t r, size_t c, int ndim, unsigned salt, double shift,
                      double *copy)
{
    size_t n = ndim == 1 ? r : r * c;
    for (size_t i = 0; i < n; i++)
        copy[i] = val(i, salt) / 2 + ((ndim == 2 && i / c == i % c) ? shift : 0);
    size_t shape[2] = {r, c};
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, dt, ndim, shape, PA_REPLICATED, &a), ctx);
    float *f = malloc((n + 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        f[i] = (float)copy[i];
    TU_OK(pa_array_scatter(a, 0, dt == PA_F64 ? (void *)copy : (void *)f), ctx);
    free(f);
    return a;
}

/* max |A X - B| / (|A| |X| + |B|), infinity norms, on rank 0, from copies. */
static double residual(const double *A, const double *X, const double *B, size_t m, size_t n,
                       size_t k)
{
    double num = 0, na = 0, nx = 0, nb = 0;
    for (size_t i = 0; i < m; i++) {
        double ra = 0;
        for (size_t p = 0; p < n; p++)
            ra += fabs(A[i * n + p]);
        na = fmax(na, ra);
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t p = 0; p < n; p++)
                s += A[i * n + p] * X[p * k + j];
            num = fmax(num, fabs(s - B[i * k + j]));
            nb = fmax(nb, fabs(B[i * k + j]));
        }
    }
    for (size_t i = 0; i < n * k; i++)
        nx = fmax(nx, fabs(X[i]));
    return num / (na * nx + nb);
}

/* Tolerances: a backward-stable solver's residual is a small multiple of
 * the unit roundoff (2.2e-16, 1.2e-7) for these 12-by-12 systems. */
static double tol_of(pa_dtype dt)
{
    return dt == PA_F64 ? 1e-13 : 1e-5;
}

START_TEST(solvers_by_residual)
{
    pa_dtype dt = _i == 0 ? PA_F64 : PA_F32;
    double tol = tol_of(dt);
    const size_t n = 12;
    for (int vec = 0; vec < 2; vec++) {
        size_t k = vec ? 1 : 3;
        double A[144], B[36], X[36], S[144], L[144], W[12], V[144], tmp[144];
        pa_array *a = rmat(dt, n, n, 2, 11, 4.0, A);
        pa_array *b = rmat(dt, n, k, vec ? 1 : 2, 12, 0, B);
        size_t xs[2] = {n, k};
        pa_array *x = NULL;
        TU_OK(pa_array_create(ctx, dt, vec ? 1 : 2, xs, PA_REPLICATED, &x), ctx);

        TU_OK(pa_solve(x, a, b), ctx);
        fetch(x, n * k, X);
        double r = tu_rank() == 0 ? residual(A, X, B, n, n, k) : 0;
        TU_ASSERT(r < tol, "pa_solve residual %g", r);
        /* X may be B itself. */
        TU_OK(pa_solve(b, a, b), ctx);
        fetch(b, n * k, tmp);
        expect_close(tmp, X, n * k, 0, "pa_solve in place");
        pa_array_free(&b);
        b = rmat(dt, n, k, vec ? 1 : 2, 12, 0, B);

        /* Symmetric positive definite S = A A^T / n + I. */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double s = 0;
                for (size_t p = 0; p < n; p++)
                    s += A[i * n + p] * A[j * n + p];
                S[i * n + j] = s / n + (i == j);
            }
        pa_array *s = NULL, *l = NULL;
        TU_OK(pa_array_create(ctx, dt, 2, (size_t[]){n, n}, PA_REPLICATED, &s), ctx);
        TU_OK(pa_array_create(ctx, dt, 2, (size_t[]){n, n}, PA_REPLICATED, &l), ctx);
        float sf[144];
        for (size_t i = 0; i < n * n; i++) {
            sf[i] = (float)S[i];
            if (dt == PA_F32)
                S[i] = sf[i];
        }
        TU_OK(pa_array_scatter(s, 0, dt == PA_F64 ? (void *)S : (void *)sf), ctx);
        TU_OK(pa_cholesky(l, s), ctx);
        fetch(l, n * n, L);
        /* L lower with L L^T = S. */
        double err = 0;
        int upper_zero = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double t = 0;
                for (size_t p = 0; p < n; p++)
                    t += L[i * n + p] * L[j * n + p];
                err = fmax(err, fabs(t - S[i * n + j]));
                if (j > i && L[i * n + j] != 0)
                    upper_zero = 0;
            }
        TU_ASSERT(tu_rank() != 0 || (upper_zero && err < tol * 10),
                  "cholesky: upper zero %d, |L L^T - S| %g", upper_zero, err);
        TU_OK(pa_cholesky_solve(x, l, b), ctx);
        fetch(x, n * k, X);
        r = tu_rank() == 0 ? residual(S, X, B, n, n, k) : 0;
        TU_ASSERT(r < tol, "pa_cholesky_solve residual %g", r);

        /* Eigen: S V = V diag(w), V orthonormal, w ascending. */
        pa_array *w = NULL, *v = NULL;
        TU_OK(pa_array_create(ctx, dt, 1, &n, PA_REPLICATED, &w), ctx);
        TU_OK(pa_array_create(ctx, dt, 2, (size_t[]){n, n}, PA_REPLICATED, &v), ctx);
        TU_OK(pa_eigh(w, v, s), ctx);
        fetch(w, n, W);
        fetch(v, n * n, V);
        double e1 = 0, e2 = 0;
        int asc = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double sv = 0, vv = 0;
                for (size_t p = 0; p < n; p++) {
                    sv += S[i * n + p] * V[p * n + j];
                    vv += V[p * n + i] * V[p * n + j];
                }
                e1 = fmax(e1, fabs(sv - W[j] * V[i * n + j]));
                e2 = fmax(e2, fabs(vv - (i == j)));
            }
        for (size_t i = 1; i < n; i++)
            asc &= W[i - 1] <= W[i];
        TU_ASSERT(tu_rank() != 0 || (asc && e1 < tol * 100 && e2 < tol * 100),
                  "eigh: ascending %d, |S V - V w| %g, |V^T V - I| %g", asc, e1, e2);
        double W2[12];
        TU_OK(pa_eigh(w, NULL, s), ctx); /* values only */
        fetch(w, n, W2);
        expect_close(W2, W, n, tol * 100, "eigh values only");

        /* Least squares: B2 = M x0 exactly consistent gives back x0; a random
         * B gives normal equations M^T (M X - B) = 0. */
        const size_t m = 20;
        double M[240], B2[60], X0[36];
        pa_array *mm = rmat(dt, m, n, 2, 13, 2.0, M);
        pa_array *x0 = rmat(dt, n, k, vec ? 1 : 2, 14, 0, X0);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < k; j++) {
                double t = 0;
                for (size_t p = 0; p < n; p++)
                    t += M[i * n + p] * X0[p * k + j];
                B2[i * k + j] = t;
            }
        pa_array *b2 = NULL;
        TU_OK(pa_array_create(ctx, dt, vec ? 1 : 2, (size_t[]){m, k}, PA_REPLICATED, &b2), ctx);
        float bf[60];
        for (size_t i = 0; i < m * k; i++)
            bf[i] = (float)B2[i];
        TU_OK(pa_array_scatter(b2, 0, dt == PA_F64 ? (void *)B2 : (void *)bf), ctx);
        TU_OK(pa_lstsq(x, mm, b2), ctx);
        fetch(x, n * k, X);
        expect_close(X, X0, n * k, tol * 1000, "lstsq of a consistent system");

        pa_array *arr[] = {a, b, x, s, l, w, v, mm, x0, b2};
        for (int i = 0; i < 10; i++)
            pa_array_free(&arr[i]);
    }
}
END_TEST

START_TEST(solver_errors)
{
    const size_t n = 5;
    double A[25], B[5];
    pa_array *z = NULL, *b = rmat(PA_F64, n, 1, 1, 3, 0, B), *x = NULL, *l = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, (size_t[]){n, n}, PA_REPLICATED, &z), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_REPLICATED, &x), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, (size_t[]){n, n}, PA_REPLICATED, &l), ctx);
    /* All zeros: singular, and not positive definite. */
    TU_RC(pa_solve(x, z, b), PA_ENUMERIC, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "singular") != NULL);
    TU_RC(pa_cholesky(l, z), PA_ENUMERIC, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "not positive definite") != NULL);
    /* Indefinite: diag(1, -1, 1, 1, 1). */
    for (size_t i = 0; i < n * n; i++)
        A[i] = (i % (n + 1) == 0) ? (i == n + 1 ? -1.0 : 1.0) : 0.0;
    pa_array *ind = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, (size_t[]){n, n}, PA_REPLICATED, &ind), ctx);
    TU_OK(pa_array_scatter(ind, 0, A), ctx);
    TU_RC(pa_cholesky(l, ind), PA_ENUMERIC, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "order 2") != NULL);
    TU_OK(pa_solve(x, ind, b), ctx); /* indefinite but regular */
    /* Rank-deficient least squares: a zero column. */
    double M[40];
    pa_array *mm = rmat(PA_F64, 8, n, 2, 5, 0, M), *b8 = rmat(PA_F64, 8, 1, 1, 6, 0, M);
    for (size_t i = 0; i < 8; i++)
        M[i * n + 2] = 0;
    for (size_t i = 0; i < 8 * n; i++)
        M[i] = val(i, 5) / 2 * (i % n != 2);
    TU_OK(pa_array_scatter(mm, 0, M), ctx);
    TU_RC(pa_lstsq(x, mm, b8), PA_ENUMERIC, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "not of full rank") != NULL);
    /* Shapes and layouts. */
    pa_array *rect = NULL, *dist = NULL, *x4 = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, (size_t[]){n, n + 1}, PA_REPLICATED, &rect), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, (size_t[]){n, n}, PA_DISTRIBUTED, &dist), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, (size_t[]){n - 1}, PA_REPLICATED, &x4), ctx);
    TU_RC(pa_solve(x, rect, b), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "square") != NULL);
    TU_RC(pa_solve(x, dist, b), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "replicated") != NULL);
    TU_RC(pa_solve(x4, ind, b), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "shape mismatch") != NULL);
    TU_RC(pa_solve(x, ind, x4), PA_EINVAL, ctx);
    TU_RC(pa_eigh(x4, NULL, ind), PA_EINVAL, ctx);
    TU_RC(pa_cholesky(rect, ind), PA_EINVAL, ctx);
    TU_RC(pa_solve(NULL, ind, b), PA_EINVAL, NULL);
    pa_array *arr[] = {z, b, x, l, ind, mm, b8, rect, dist, x4};
    for (int i = 0; i < 10; i++)
        pa_array_free(&arr[i]);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("linalg");
    TCase *tc = tu_tcase(s, "matmul");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_loop_test(tc, matmul_all_combinations, 0, 2);
    tcase_add_test(tc, matmul_empty_and_thin);
    tcase_add_test(tc, matvec_all_combinations);
    tcase_add_test(tc, lend_restores_plan);
    tcase_add_test(tc, matmul_errors);
    tc = tu_tcase(s, "lapack");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_loop_test(tc, solvers_by_residual, 0, 2);
    tcase_add_test(tc, solver_errors);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
