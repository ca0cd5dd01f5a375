/* Fused expressions: the parser (good texts, and bad ones with the column
 * and what was expected), precedence and associativity, every function
 * against a serial loop, where and comparisons, scalars, aliasing,
 * compile once and evaluate many times, empty arrays, the errors, the
 * integer dtypes, and bit equality with a serial evaluation at every rank
 * count and layout.
 *
 * Why the references are exact: an expression's element i is the ops of
 * the text applied in the text's order, in the array dtype, to element i
 * of the inputs, and the build has no FP contraction (-std=c11 implies
 * -ffp-contract=off). A serial C loop in this file that applies the same
 * functions in the same order must therefore give the same bits, so
 * results are compared bit for bit. The transcendental functions are the
 * library's (src/vmath.h: glibc's vector ones, not libm's scalar ones),
 * which VD and VF call for one element of f64 or f32. */
#include "testutil.h"

#include <math.h>

#include "expr.h" /* the program's register count */
#include "vmath.h"

#define VD(N, x, y) pa__vm1_f64(PA__VM_##N, (x), (y))
#define VF(N, x, y) pa__vm1_f32(PA__VM_##N, (x), (y))

/* ------------------------------------------------------------ helpers */

/* Input values of global element i: varied signs and magnitudes, some
 * exact zeros, away from the poles of tan. which picks one of several. */
static double val(int which, size_t i)
{
    double t = (double)((i * 2654435761u + (size_t)which * 40503u) % 10007) / 10007.0;
    switch (which) {
    case 0: return 8.0 * t - 4.0;         /* [-4, 4) */
    case 1: return 0.01 + 5.0 * t;        /* positive */
    case 2: return (double)(i % 7) - 3.0; /* small integers, zeros */
    default: return 1e-3 * (t - 0.5);     /* tiny */
    }
}

static pa_array *make(pa_dtype dt, size_t n, int which)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, dt, 1, &n, PA_DISTRIBUTED, &a), ctx);
    pa_span s;
    pa_array_local(a, &s);
    for (size_t i = 0; i < s.count; i++) {
        double v = val(which, s.offset + i);
        if (dt == PA_F64)
            ((double *)s.ptr)[i] = v;
        else if (dt == PA_F32)
            ((float *)s.ptr)[i] = (float)v;
        else if (dt == PA_I32)
            ((int32_t *)s.ptr)[i] = (int32_t)(v * 10);
        else if (dt == PA_I64)
            ((int64_t *)s.ptr)[i] = (int64_t)(v * 10);
    }
    TU_OK(pa_array_sync(a), ctx);
    return a;
}

/* The whole array on every rank (malloc'd). */
static void *whole(pa_array *a)
{
    size_t n = pa_array_size(a), es = pa_dtype_size(pa_array_dtype(a));
    void *buf = malloc(n * es + 1);
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    MPI_Bcast(buf, (int)(n * es), MPI_BYTE, 0, MPI_COMM_WORLD);
    return buf;
}

/* Collective: the f64 array a equals ref[] bit for bit (NaNs of any
 * payload equal). */
static void same_f64(pa_array *a, const double *ref, const char *what)
{
    size_t n = pa_array_size(a);
    double *got = whole(a);
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (memcmp(&got[i], &ref[i], 8) != 0 && !(isnan(got[i]) && isnan(ref[i])))
            bad = i;
    TU_ASSERT(bad == n, "%s: element %zu is %.17g, serial %.17g", what, bad,
              bad < n ? got[bad] : 0.0, bad < n ? ref[bad] : 0.0);
    free(got);
}

static void same_f32(pa_array *a, const float *ref, const char *what)
{
    size_t n = pa_array_size(a);
    float *got = whole(a);
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (memcmp(&got[i], &ref[i], 4) != 0 && !(isnan(got[i]) && isnan(ref[i])))
            bad = i;
    TU_ASSERT(bad == n, "%s: element %zu is %.9g, serial %.9g", what, bad,
              bad < n ? (double)got[bad] : 0.0, bad < n ? (double)ref[bad] : 0.0);
    free(got);
}

/* Collective: rc is want and the message contains every needle. */
static void fails(int rc, int want, const char *n1, const char *n2)
{
    const char *m = pa_errmsg(ctx);
    TU_RC(rc, want, ctx);
    TU_ASSERT(strstr(m, n1) != NULL, "message '%s' lacks '%s'", m, n1);
    if (n2)
        TU_ASSERT(strstr(m, n2) != NULL, "message '%s' lacks '%s'", m, n2);
}

/* Block size and more: several full blocks and a tail. */
#define N 5000

/* ------------------------------------------------------------ parser */

START_TEST(parse_good)
{
    static const char *const good[] = {
        "r = x",
        "r=1",
        "r = .5 + 1e-3 + 2.5E+2 + 7.",
        "r = sqrt(x*x + y*y) * k",
        "  out_1\t=  -x ** 2 ",
        "r = where(x < 0, -x, x)",
        "r = hypot(x, y) + atan2(y, x) + fmod(x, 3) + pow(x, 2) + minimum(x, y)",
        "r = ((((x))))",
        "r = x != y",
        "r = - - + x",
        "r = 2**-1",
        "r = x % y << 2 >> y + sinh(x) + arccosh(y) + mod(x, y) + left_shift(x, 1)",
        "r = arctan2(x, y) + power(x, 2) + absolute(x) + remainder(x, y) + copy(x)",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        pa_expr *e = NULL;
        int rc = pa_expr_compile(ctx, good[i], &e);
        TU_ASSERT(rc == PA_OK, "'%s': %s", good[i], pa_errmsg(ctx));
        pa_expr_free(&e);
        TU_CHECK(e == NULL);
    }
    pa_expr *e = NULL;
    TU_OK(pa_expr_compile(ctx, "r = sqrt(x*x + y*y) * k + x", &e), ctx);
    TU_CHECK(strcmp(pa_expr_output(e), "r") == 0);
    TU_CHECK(pa_expr_nnames(e) == 3);
    TU_CHECK(strcmp(pa_expr_name(e, 0), "x") == 0 && strcmp(pa_expr_name(e, 1), "y") == 0 &&
             strcmp(pa_expr_name(e, 2), "k") == 0 && pa_expr_name(e, 3) == NULL);
    pa_expr_free(&e);
    pa_expr_free(&e); /* NULL is a no-op */
    pa_expr_free(NULL);
}
END_TEST

START_TEST(parse_bad)
{
    static const struct {
        const char *text, *needle1, *needle2;
    } bad[] = {
        {"r = sqrt(x", "column 11:", "expected ')' after function arguments"},
        {"r = (x + y", "column 11:", "expected ')' to close '(' at column 5"},
        {"r = x +", "column 8:", "expected a number, a name"},
        {"r = x y", "column 7:", "expected an operator or end of expression"},
        {"r x", "column 3:", "expected '=' after the output name"},
        {"= x", "column 1:", "expected the output name"},
        {"", "column 1:", "found end of expression"},
        {"r = x $ 2", "column 7:", "unexpected character '$'"},
        {"r = 1e+", "column 5:", "malformed number"},
        {"r = 1.5x", "column 5:", "malformed number"},
        {"r = foo(x)", "column 5:", "unknown function 'foo'"},
        {"r = hypot(x)", "column 5:", "hypot() takes 2 arguments, got 1"},
        {"r = sqrt(x, y)", "column 5:", "sqrt() takes 1 argument, got 2"},
        {"r = where(x, y)", "column 5:", "takes 3 arguments"},
        {"r = copy(x, y)", "column 5:", "copy() takes 1 argument, got 2"},
        {"r = arctan2(x)", "column 5:", "arctan2() takes 2 arguments, got 1"},
        {"r = x % % y", "column 9:", "expected a number"},
        {"r = x <<< y", "column 9:", "expected a number"},
        {"r = a < b < c", "column 11:", "comparisons do not chain"},
        {"r = x)", "column 6:", "unmatched ')'"},
        {"r = x ** ", "column 10:", "expected a number"},
        {"r = sqrt(x,)", "column 12:", "expected a number"},
        {"r = (", "column 6:", "found end of expression"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pa_expr *e = (pa_expr *)&e; /* must come back NULL */
        int rc = pa_expr_compile(ctx, bad[i].text, &e);
        TU_ASSERT(rc == PA_EINVAL && e == NULL, "'%s' gave %d", bad[i].text, rc);
        const char *m = pa_errmsg(ctx);
        TU_ASSERT(strstr(m, "pa_expr_compile: ") == m && strstr(m, bad[i].needle1) &&
                      strstr(m, bad[i].needle2),
                  "'%s': message '%s' lacks '%s' / '%s'", bad[i].text, m, bad[i].needle1,
                  bad[i].needle2);
    }
    /* Deep nesting is refused, not recursed into. */
    char deep[2200];
    size_t k = 0;
    k += (size_t)sprintf(deep, "r = ");
    for (int i = 0; i < 1000; i++)
        deep[k++] = '(';
    deep[k++] = 'x';
    for (int i = 0; i < 1000; i++)
        deep[k++] = ')';
    deep[k] = 0;
    pa_expr *e = NULL;
    fails(pa_expr_compile(ctx, deep, &e), PA_EINVAL, "nested more than", NULL);
    /* At most 64 names, each found in a list that stays short. */
    char names[600] = "r = n0";
    for (int i = 1; i <= 64; i++)
        sprintf(names + strlen(names), " + n%d", i);
    fails(pa_expr_compile(ctx, names, &e), PA_EINVAL, "column 379: more than 64 different names",
          NULL);
    fails(pa_expr_compile(ctx, NULL, &e), PA_EINVAL, "text is NULL", NULL);
}
END_TEST

/* ------------------------------------------------------------ semantics */

/* Evaluates text with x, y, z bound to arrays 0, 1, 2 and k = 2.5, into
 * a new f64 array compared with ref. */
static void check_f64(const char *text, const double *ref)
{
    pa_array *x = make(PA_F64, N, 0), *y = make(PA_F64, N, 1), *z = make(PA_F64, N, 2);
    pa_array *r = make(PA_F64, N, 3);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("z", z),
                      PA_BIND_ARRAY("r", r), PA_BIND_SCALAR("k", 2.5)};
    int rc = pa_eval(ctx, text, b, 5);
    TU_ASSERT(rc == PA_OK, "'%s': %s", text, pa_errmsg(ctx));
    same_f64(r, ref, text);
    pa_array_free(&r);
    pa_array_free(&z);
    pa_array_free(&y);
    pa_array_free(&x);
}

START_TEST(precedence)
{
    double *ref = malloc(N * sizeof *ref);
#define CASE(text, expr)                                                                         \
    do {                                                                                         \
        for (size_t i = 0; i < N; i++) {                                                         \
            double x = val(0, i), y = val(1, i), z = val(2, i), k = 2.5;                         \
            (void)x, (void)y, (void)z, (void)k;                                                  \
            ref[i] = (expr);                                                                     \
        }                                                                                        \
        check_f64(text, ref);                                                                    \
    } while (0)
    CASE("r = -x**2", -(x * x));
    CASE("r = (-x)**2", x * x);
    CASE("r = y ** 0.5 ** 2", VD(POW, y, VD(POW, 0.5, 2))); /* right-associative */
    CASE("r = 2 ** 3 ** 2", 512.0);                         /* 2**9, folded */
    CASE("r = 2 ** -1 * x", 0.5 * x);
    CASE("r = -y ** -x", -VD(POW, y, -x));
    CASE("r = x - y - z", (x - y) - z); /* left-associative */
    CASE("r = x / y / k", (x / y) / k);
    CASE("r = x + y * z - x / y", (x + y * z) - x / y);
    CASE("r = (x + y) * z", (x + y) * z);
    CASE("r = x * y + z", x * y + z);
    CASE("r = sqrt(x*x + y*y) * k", sqrt(x * x + y * y) * k);
    CASE("r = x < y + z", (x < y + z) ? 1.0 : 0.0); /* + binds tighter */
    CASE("r = k * 2 + 1", 6.0);                     /* uniform: a fill */
    CASE("r = x * (k - 0.5) ** 2 / 3", x * ((k - 0.5) * (k - 0.5)) / 3);
    CASE("r = 1e-3 * x + .5", 1e-3 * x + .5);
    CASE("r = - - x", x);
    CASE("r = z", z);
    free(ref);
}
END_TEST

/* Every function at f64 and f32 against the same function in a serial
 * loop: tolerance zero, because the VM applies that very function (see
 * the file comment). */
static double rf64(int op, double x, double y)
{
    switch (op) {
    case 0: return -x;
    case 1: return fabs(x);
    case 2: return sqrt(y);
    case 3: return VD(EXP, x, 0);
    case 4: return VD(LOG, y, 0);
    case 5: return VD(LOG10, y, 0);
    case 6: return VD(LOG1P, y, 0);
    case 7: return VD(EXPM1, x, 0);
    case 8: return VD(SIN, x, 0);
    case 9: return VD(COS, x, 0);
    case 10: return VD(TAN, x, 0);
    case 11: return VD(TANH, x, 0);
    case 12: return floor(x);
    case 13: return ceil(x);
    case 14: return rint(x);
    case 15: return x * x;
    case 16: return 1.0 / y;
    case 17: return x + y;
    case 18: return x - y;
    case 19: return x * y;
    case 20: return x / y;
    case 21: return VD(POW, y, x);
    case 22: return (x != x || x < y) ? x : y;
    case 23: return (x != x || x > y) ? x : y;
    case 24: return VD(HYPOT, x, y);
    case 25: return VD(ATAN2, x, y);
    default: return fmod(x, y);
    }
}

static float rf32(int op, float x, float y)
{
    switch (op) {
    case 0: return -x;
    case 1: return fabsf(x);
    case 2: return sqrtf(y);
    case 3: return VF(EXP, x, 0);
    case 4: return VF(LOG, y, 0);
    case 5: return VF(LOG10, y, 0);
    case 6: return VF(LOG1P, y, 0);
    case 7: return VF(EXPM1, x, 0);
    case 8: return VF(SIN, x, 0);
    case 9: return VF(COS, x, 0);
    case 10: return VF(TAN, x, 0);
    case 11: return VF(TANH, x, 0);
    case 12: return floorf(x);
    case 13: return ceilf(x);
    case 14: return rintf(x);
    case 15: return x * x;
    case 16: return 1.0f / y;
    case 17: return x + y;
    case 18: return x - y;
    case 19: return x * y;
    case 20: return x / y;
    case 21: return VF(POW, y, x);
    case 22: return (x != x || x < y) ? x : y;
    case 23: return (x != x || x > y) ? x : y;
    case 24: return VF(HYPOT, x, y);
    case 25: return VF(ATAN2, x, y);
    default: return fmodf(x, y);
    }
}

static const char *const fn_text[] = {
    "r = neg(x)",        "r = abs(x)",      "r = sqrt(y)",       "r = exp(x)",
    "r = log(y)",        "r = log10(y)",    "r = log1p(y)",      "r = expm1(x)",
    "r = sin(x)",        "r = cos(x)",      "r = tan(x)",        "r = tanh(x)",
    "r = floor(x)",      "r = ceil(x)",     "r = round(x)",      "r = square(x)",
    "r = reciprocal(y)", "r = add(x, y)",   "r = sub(x, y)",     "r = mul(x, y)",
    "r = div(x, y)",     "r = pow(y, x)",   "r = minimum(x, y)", "r = maximum(x, y)",
    "r = hypot(x, y)",   "r = atan2(x, y)", "r = fmod(x, y)",
};
#define NFN ((int)(sizeof fn_text / sizeof fn_text[0]))

START_TEST(functions)
{
    for (int dt = 0; dt < 2; dt++) {
        pa_dtype d = dt ? PA_F32 : PA_F64;
        pa_array *x = make(d, N, 0), *y = make(d, N, 1), *r = make(d, N, 3);
        /* A NaN in x shows minimum/maximum propagate it. */
        pa_span s;
        pa_array_local(x, &s);
        for (size_t i = 0; i < s.count; i++)
            if ((s.offset + i) % 1001 == 5) {
                if (dt)
                    ((float *)s.ptr)[i] = NAN;
                else
                    ((double *)s.ptr)[i] = NAN;
            }
        TU_OK(pa_array_sync(x), ctx);
        void *xs = whole(x), *ys = whole(y);
        double *ref = malloc(N * sizeof *ref);
        float *reff = malloc(N * sizeof *reff);
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("r", r)};
        for (int op = 0; op < NFN; op++) {
            for (size_t i = 0; i < N; i++) {
                if (dt)
                    reff[i] = rf32(op, ((float *)xs)[i], ((float *)ys)[i]);
                else
                    ref[i] = rf64(op, ((double *)xs)[i], ((double *)ys)[i]);
            }
            int rc = pa_eval(ctx, fn_text[op], b, 3);
            TU_ASSERT(rc == PA_OK, "'%s': %s", fn_text[op], pa_errmsg(ctx));
            if (dt)
                same_f32(r, reff, fn_text[op]);
            else
                same_f64(r, ref, fn_text[op]);
        }
        free(ref);
        free(reff);
        free(xs);
        free(ys);
        pa_array_free(&r);
        pa_array_free(&y);
        pa_array_free(&x);
    }
}
END_TEST

START_TEST(where_compare)
{
    double *ref = malloc(N * sizeof *ref);
    CASE("r = where(x < 0, -x, x)", x < 0 ? -x : x);
    CASE("r = where(z, x, y)", z != 0 ? x : y);
    CASE("r = where(x > 1, 1, 0.5)", x > 1 ? 1.0 : 0.5); /* uniform branches */
    CASE("r = where(k > 2, x, y)", x);                   /* uniform condition */
    CASE("r = where(z >= 0, x, k)", z >= 0 ? x : 2.5);
    CASE("r = (x <= z) + 2 * (x == z) + 4 * (x != z) + 8 * (x >= z)",
         (x <= z ? 1.0 : 0.0) + 2 * (x == z ? 1.0 : 0.0) + 4 * (x != z ? 1.0 : 0.0) +
             8 * (x >= z ? 1.0 : 0.0));
    CASE("r = (y > x) * y", (y > x ? 1.0 : 0.0) * y);
    free(ref);
    /* NaN: comparisons are false except !=, and a NaN condition is true. */
    pa_array *x = make(PA_F64, 4, 0), *r = make(PA_F64, 4, 0);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r), PA_BIND_SCALAR("nan", NAN)};
    TU_OK(pa_eval(ctx, "r = (x < nan) + 2*(x == nan) + 4*(x != nan) + 8*where(nan, 1, 0)", b, 3),
          ctx);
    double got[4], want[4] = {12, 12, 12, 12};
    double *g = whole(r);
    memcpy(got, g, sizeof got);
    free(g);
    TU_CHECK(memcmp(got, want, sizeof got) == 0);
    pa_array_free(&r);
    pa_array_free(&x);
}
END_TEST

/* ------------------------------------------------------------ bindings */

START_TEST(aliasing)
{
    double *ref = malloc(N * sizeof *ref);
    pa_array *x = make(PA_F64, N, 0), *y = make(PA_F64, N, 1);
    for (size_t i = 0; i < N; i++)
        ref[i] = sqrt(val(0, i) * val(0, i) + val(1, i)) * val(0, i);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y)};
    TU_OK(pa_eval(ctx, "x = sqrt(x*x + y) * x", b, 2), ctx);
    same_f64(x, ref, "x = sqrt(x*x + y) * x");
    /* The output bound under another name too. */
    for (size_t i = 0; i < N; i++)
        ref[i] = ref[i] + val(1, i) * ref[i];
    pa_binding b2[] = {PA_BIND_ARRAY("r", x), PA_BIND_ARRAY("a", x), PA_BIND_ARRAY("y", y)};
    TU_OK(pa_eval(ctx, "r = a + y * a", b2, 3), ctx);
    same_f64(x, ref, "r = a + y * a (r is a)");
    TU_OK(pa_eval(ctx, "x = x", b, 2), ctx);
    same_f64(x, ref, "x = x");
    free(ref);
    pa_array_free(&y);
    pa_array_free(&x);
}
END_TEST

START_TEST(compile_once)
{
    pa_expr *e = NULL;
    TU_OK(pa_expr_compile(ctx, "r = a * x + b", &e), ctx);
    double *ref = malloc(N * sizeof *ref);
    pa_array *x = make(PA_F64, N, 0), *y = make(PA_F64, N, 1), *r = make(PA_F64, N, 3);
    for (int it = 0; it < 4; it++) {
        /* Scalars change between evaluations, and so does whether a and b
         * are arrays or scalars (a new program for a new signature). */
        double a = 0.5 + it, bb = -1.0 * it;
        pa_binding bs[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r), PA_BIND_SCALAR("a", a),
                           PA_BIND_SCALAR("b", bb), PA_BIND_SCALAR("unused", 1)};
        pa_binding ba[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r), PA_BIND_ARRAY("a", y),
                           PA_BIND_SCALAR("b", bb)};
        int arr = it % 2;
        for (size_t i = 0; i < N; i++)
            ref[i] = (arr ? val(1, i) : a) * val(0, i) + bb;
        TU_OK(pa_expr_eval(e, arr ? ba : bs, arr ? 4 : 5), ctx);
        same_f64(r, ref, "r = a * x + b");
    }
    free(ref);
    pa_array_free(&r);
    pa_array_free(&y);
    pa_array_free(&x);
    pa_expr_free(&e);
}
END_TEST

START_TEST(empty)
{
    size_t shape[2] = {0, 5};
    pa_array *x = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &x), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &r), ctx);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r)};
    TU_OK(pa_eval(ctx, "r = where(x > 0, sqrt(x), 1)", b, 2), ctx);
    TU_OK(pa_eval(ctx, "r = 3", b, 2), ctx);
    pa_array_free(&r);
    pa_array_free(&x);
}
END_TEST

START_TEST(errors)
{
    pa_array *x = make(PA_F64, N, 0), *r = make(PA_F64, N, 0), *s = make(PA_F64, N - 1, 0);
    pa_array *f = make(PA_F32, N, 0), *i32 = make(PA_I32, N, 0);
    size_t shape[2] = {N, 1};
    pa_array *m = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &m), ctx);
    {
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r)};
        fails(pa_eval(ctx, "r = x + y", b, 2), PA_EINVAL,
              "pa_eval: name 'y' (column 9) is not bound", NULL);
        fails(pa_eval(ctx, "q = x", b, 2), PA_EINVAL, "the output 'q' (column 1) is not bound",
              NULL);
        fails(pa_eval(ctx, "r = x +", b, 2), PA_EINVAL, "column 8", NULL);
    }
    {
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_SCALAR("r", 1)};
        fails(pa_eval(ctx, "r = x", b, 2), PA_EINVAL, "bound to a scalar", NULL);
    }
    {
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r), PA_BIND_SCALAR("x", 2)};
        fails(pa_eval(ctx, "r = x", b, 3), PA_EINVAL, "'x' is bound twice", NULL);
    }
    {
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", s), PA_BIND_ARRAY("r", r)};
        fails(pa_eval(ctx, "r = x + y", b, 3), PA_EINVAL,
              "operands could not be broadcast together with shapes (5000,) (4999,)", NULL);
        /* (5000,) with (5000,1) broadcasts to (5000,5000), not r's shape. */
        pa_binding b2[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", m), PA_BIND_ARRAY("r", r)};
        fails(pa_eval(ctx, "r = x + y", b2, 3), PA_EINVAL,
              "r has shape (5000,), but the operands broadcast to shape (5000,5000)", NULL);
    }
    {
        /* f64 + f32 is f64, which same_kind does not cast into an i32 output. */
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", f), PA_BIND_ARRAY("r", i32)};
        fails(pa_eval(ctx, "r = x + y", b, 3), PA_EINVAL, "from f64 to i32", NULL);
        pa_binding bi[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", i32)};
        fails(pa_eval(ctx, "r = x", bi, 2), PA_EINVAL, "cannot cast the result from f64 to i32",
              "same_kind");
    }
    {
        /* Nothing was written by the failed calls: r still holds val(0). */
        double *ref = malloc(N * sizeof *ref);
        for (size_t i = 0; i < N; i++)
            ref[i] = val(0, i);
        same_f64(r, ref, "r untouched after errors");
        free(ref);
    }
    {
        pa_binding b[] = {PA_BIND_ARRAY("x", i32), PA_BIND_ARRAY("r", i32)};
        fails(pa_eval(ctx, "r = sqrt(x)", b, 2), PA_ENOTSUP, "sqrt (column 5) is not defined",
              "i32");
        /* NEP 50: i32 with a float is f64, and an int must fit i32. */
        fails(pa_eval(ctx, "r = x * 2.5", b, 2), PA_EINVAL, "from f64 to i32", NULL);
        fails(pa_eval(ctx, "r = x + 3000000000", b, 2), PA_EINVAL,
              "the number at column 9 = 3000000000 is not in the range of i32", NULL);
        fails(pa_eval(ctx, "r = x / (1 - 1)", b, 2), PA_EINVAL, "division by zero", NULL);
    }
    {
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r)};
        /* Each left operand x/x is held in a register while the right
         * side is computed: 40 levels need more than 32. */
        char text[600] = "r = x/x";
        for (int i = 0; i < 40; i++)
            strcat(text, " + (x/x");
        for (int i = 0; i < 40; i++)
            strcat(text, ")");
        fails(pa_eval(ctx, text, b, 2), PA_EINVAL, "registers", NULL);
        fails(pa_expr_eval(NULL, b, 2), PA_EINVAL, "", NULL);
    }
    pa_array_free(&m);
    pa_array_free(&i32);
    pa_array_free(&f);
    pa_array_free(&s);
    pa_array_free(&r);
    pa_array_free(&x);
}
END_TEST

/* ------------------------------------------------------------ integers */

START_TEST(integers)
{
    for (int dt = 0; dt < 2; dt++) {
        pa_dtype d = dt ? PA_I64 : PA_I32;
        pa_array *x = make(d, N, 0), *y = make(d, N, 2), *r = make(d, N, 0);
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("r", r),
                          PA_BIND_SCALAR("k", 3)};
        TU_OK(pa_eval(ctx,
                      "r = where(x < 0, -x, x) * k + x / 7 - fmod(x, 3) + x**2 + "
                      "maximum(x, y) + (x == y)",
                      b, 4),
              ctx);
        void *got = whole(r);
        size_t bad = N;
        for (size_t i = 0; i < N && bad == N; i++) {
            int64_t xv = (int64_t)(val(0, i) * 10), yv = (int64_t)(val(2, i) * 10);
            int64_t fl = xv / 7 - ((xv % 7 != 0 && xv < 0) ? 1 : 0);
            int64_t want = (xv < 0 ? -xv : xv) * 3 + fl - xv % 3 + xv * xv + (xv > yv ? xv : yv) +
                           (xv == yv);
            int64_t g = dt ? ((int64_t *)got)[i] : ((int32_t *)got)[i];
            if (g != want)
                bad = i;
        }
        TU_ASSERT(bad == N, "%s: element %zu differs", pa_dtype_name(d), bad);
        free(got);
        /* Division by zero: reported once on every rank, 0 in those places. */
        fails(pa_eval(ctx, "r = x / y", b, 4), PA_EINVAL, "division by zero", NULL);
        pa_array_free(&r);
        pa_array_free(&y);
        pa_array_free(&x);
    }
}
END_TEST

/* ------------------------------------------------------------ bool, & | ^ ~, 0-d */

/* Collective: the dtype of text's value with x, y bound to arrays of dtypes
 * dx, dy (and k to the scalar 1.5 where the text reads it) is want. */
static void dtype_is(const char *text, pa_dtype dx, pa_dtype dy, pa_dtype want)
{
    pa_expr *e = NULL;
    TU_OK(pa_expr_compile(ctx, text, &e), ctx);
    pa_dtype dt[8];
    double v[8] = {0};
    for (int k = 0; k < pa_expr_nnames(e); k++) {
        const char *nm = pa_expr_name(e, k);
        dt[k] = strcmp(nm, "x") == 0 ? dx : strcmp(nm, "y") == 0 ? dy : PA_EXPR_SCALAR;
        v[k] = 1.5;
    }
    pa_dtype got;
    TU_OK(pa_expr_dtype(e, dt, v, &got), ctx);
    TU_ASSERT(got == want, "%s: %s, want %s", text, pa_dtype_name(got), pa_dtype_name(want));
    pa_expr_free(&e);
}

/* An array of dtype dt holding val(which, i) converted (pa_astype). */
static pa_array *make_as(pa_dtype dt, size_t n, int which)
{
    pa_array *f = make(PA_F64, n, which), *a = NULL;
    TU_OK(pa_array_create(ctx, dt, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_astype(a, f), ctx);
    pa_array_free(&f);
    return a;
}

START_TEST(bool_results)
{
    /* Comparisons and logical ops give bool whatever they compare in; a
     * bool in arithmetic promotes as numpy's. */
    dtype_is("m = x > 0.5", PA_F64, PA_F64, PA_BOOL);
    dtype_is("m = x == y", PA_I32, PA_F32, PA_BOOL);
    dtype_is("m = (x > 0) * x", PA_F32, PA_F32, PA_F32);
    dtype_is("m = (x > 0) + 1", PA_I16, PA_I16, PA_I64);
    dtype_is("m = (x > 0) * 2.5", PA_I32, PA_I32, PA_F64);
    dtype_is("m = logical_and(x, y)", PA_I32, PA_F64, PA_BOOL);
    dtype_is("m = logical_and(x, 1)", PA_BOOL, PA_BOOL, PA_BOOL);
    dtype_is("m = logical_not(x)", PA_F32, PA_F32, PA_BOOL);
    dtype_is("m = logical_xor(x, k)", PA_U8, PA_U8, PA_BOOL);
    dtype_is("m = where(x > 0, x, y)", PA_F32, PA_I8, PA_F32);

    pa_array *x = make(PA_F64, N, 0), *y = make_as(PA_I32, N, 2), *m = NULL, *r = NULL;
    pa_array *b = make_as(PA_BOOL, N, 2);
    size_t n = N;
    TU_OK(pa_array_create(ctx, PA_BOOL, 1, &n, PA_DISTRIBUTED, &m), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &r), ctx);
    pa_binding bd[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("m", m),
                       PA_BIND_ARRAY("r", r), PA_BIND_ARRAY("b", b), PA_BIND_SCALAR("nan", NAN)};
    static const struct {
        const char *text;
        int op; /* 0 x > 0.5, 1 logical_and(x, y), 2 logical_and(b, 1), 3 not x,
                   4 (x < 0) | b, 5 x < nan, 6 x != nan, 7 logical_or(nan, x) */
    } cases[] = {
        {"m = x > 0.5", 0},        {"m = logical_and(x, y)", 1},  {"m = logical_and(b, 1)", 2},
        {"m = logical_not(x)", 3}, {"m = (x < 0) | b", 4},        {"m = x < nan", 5},
        {"m = x != nan", 6},       {"m = logical_or(nan, x)", 7},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        TU_OK(pa_eval(ctx, cases[c].text, bd, 6), ctx);
        unsigned char *got = whole(m);
        size_t bad = N;
        for (size_t i = 0; i < N && bad == N; i++) {
            double xv = val(0, i);
            int yv = (int)val(2, i), bv = val(2, i) != 0, want = 0;
            switch (cases[c].op) {
            case 0: want = xv > 0.5; break;
            case 1: want = xv != 0 && yv != 0; break;
            case 2: want = bv; break;
            case 3: want = xv == 0; break;
            case 4: want = xv < 0 || bv; break;
            case 5: want = 0; break;
            case 6: want = 1; break;
            case 7: want = 1; break;
            }
            if (got[i] != want)
                bad = i;
        }
        TU_ASSERT(bad == N, "%s: element %zu is %d", cases[c].text, bad, bad < N ? got[bad] : 0);
        free(got);
    }
    /* A bool result into an f64 output (same_kind allows it), and a bool
     * temporary in arithmetic. */
    double *ref = malloc(N * sizeof *ref);
    for (size_t i = 0; i < N; i++)
        ref[i] = val(0, i) > 0.5 ? 1.0 : 0.0;
    TU_OK(pa_eval(ctx, "r = x > 0.5", bd, 6), ctx);
    same_f64(r, ref, "r = x > 0.5");
    for (size_t i = 0; i < N; i++)
        ref[i] = (val(0, i) > 0 ? 1.0 : 0.0) * val(0, i) + (double)(val(2, i) != 0);
    TU_OK(pa_eval(ctx, "r = (x > 0) * x + b", bd, 6), ctx);
    same_f64(r, ref, "r = (x > 0) * x + b");
    free(ref);
    pa_array_free(&b);
    pa_array_free(&r);
    pa_array_free(&m);
    pa_array_free(&y);
    pa_array_free(&x);
}
END_TEST

START_TEST(bitwise_operators)
{
    /* Python's precedence: & above ^ above |, all above comparisons. */
    dtype_is("r = x & y", PA_I32, PA_I16, PA_I32);
    dtype_is("r = x & 1", PA_BOOL, PA_BOOL, PA_I64);
    dtype_is("r = x ^ y", PA_BOOL, PA_BOOL, PA_BOOL);
    dtype_is("r = ~x", PA_U8, PA_U8, PA_U8);
    dtype_is("r = (x > 0) & (y < 1)", PA_F64, PA_F32, PA_BOOL);
    pa_array *x = make(PA_I64, N, 0), *y = make(PA_I64, N, 2), *r = make(PA_I64, N, 0);
    pa_array *f = make(PA_F64, N, 0);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("r", r),
                      PA_BIND_ARRAY("f", f)};
    TU_OK(pa_eval(ctx, "r = x | y & 3 ^ ~x << 1 | ~5 & x", b, 4), ctx);
    int64_t *got = whole(r);
    size_t bad = N;
    for (size_t i = 0; i < N && bad == N; i++) {
        int64_t xv = (int64_t)(val(0, i) * 10), yv = (int64_t)(val(2, i) * 10);
        int64_t want = xv | ((yv & 3) ^ (int64_t)((uint64_t)~xv << 1)) | (-6 & xv);
        if (got[i] != want)
            bad = i;
    }
    TU_ASSERT(bad == N, "x | y & 3 ^ ~x << 1 | ~5 & x: element %zu differs", bad);
    free(got);
    /* Comparisons bind looser: x > 0 & y < 1 is a chain, refused. */
    pa_expr *e = NULL;
    fails(pa_expr_compile(ctx, "r = x > 0 & y < 1", &e), PA_EINVAL, "column 15",
          "comparisons do not chain");
    /* Floats have no bitwise ops: the error names the operator and dtype. */
    fails(pa_eval(ctx, "r = x & f", b, 4), PA_ENOTSUP, "'&' (column 7)", "f64");
    fails(pa_eval(ctx, "r = ~f + x", b, 4), PA_ENOTSUP, "'~' (column 5)", "f64");
    fails(pa_eval(ctx, "r = bitwise_or(f, x)", b, 4), PA_ENOTSUP, "bitwise_or (column 5)", "f64");
    fails(pa_eval(ctx, "r = x ^ 1.5", b, 4), PA_ENOTSUP, "'^' (column 7)", "f64");
    pa_array_free(&f);
    pa_array_free(&r);
    pa_array_free(&y);
    pa_array_free(&x);
}
END_TEST

/* Collective: text's 0-d value, with k bound to 1.5, is want, of dtype d. */
static void scalar_is(const char *text, pa_dtype d, const char *want)
{
    pa_expr *e = NULL;
    TU_OK(pa_expr_compile(ctx, text, &e), ctx);
    pa_binding b[] = {PA_BIND_SCALAR("k", 1.5)};
    pa_value v;
    TU_OK(pa_expr_eval_scalar(e, b, 1, &v), ctx);
    char buf[64];
    pa_value_str(&v, buf, sizeof buf);
    TU_ASSERT(v.dtype == d && strcmp(buf, want) == 0, "%s: %s %s, want %s %s", text,
              pa_dtype_name(v.dtype), buf, pa_dtype_name(d), want);
    pa_expr_free(&e);
}

START_TEST(scalar_only)
{
    scalar_is("r = 2.0 * 3 + 1", PA_F64, "7");
    scalar_is("r = 7 / 2", PA_I64, "3");
    scalar_is("r = sqrt(2)", PA_F64, "1.4142135623730951");
    scalar_is("r = 2 < 3", PA_BOOL, "True");
    scalar_is("r = (1 < 2) + 1", PA_I64, "2");
    scalar_is("r = k * 2", PA_F64, "3");
    scalar_is("r = ~5 & 7", PA_I64, "2");
    scalar_is("r = where(k > 2, 1, 2.5)", PA_F64, "2.5");
    scalar_is("r = logical_and(k, 0)", PA_BOOL, "False");
    /* The output name, when bound, is ignored; arrays are refused. */
    pa_array *x = make(PA_F64, N, 0);
    pa_expr *e = NULL;
    pa_value v;
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_SCALAR("r", 1)};
    TU_OK(pa_expr_compile(ctx, "r = x + 1", &e), ctx);
    fails(pa_expr_eval_scalar(e, b, 2, &v), PA_EINVAL, "name 'x' (column 5) is bound to an array",
          NULL);
    pa_expr_free(&e);
    TU_OK(pa_expr_compile(ctx, "r = 1 / 0", &e), ctx);
    fails(pa_expr_eval_scalar(e, b, 2, &v), PA_EINVAL, "division by zero", NULL);
    pa_expr_free(&e);
    TU_OK(pa_expr_compile(ctx, "r = 1.5 & 1", &e), ctx);
    fails(pa_expr_eval_scalar(e, b, 2, &v), PA_ENOTSUP, "'&' (column 9)", "f64");
    pa_expr_free(&e);
    /* The same text over an array output fills it (a 0-d value broadcast). */
    pa_binding bx[] = {PA_BIND_ARRAY("x", x)};
    TU_OK(pa_eval(ctx, "x = sqrt(2)", bx, 1), ctx);
    double *ref = malloc(N * sizeof *ref);
    for (size_t i = 0; i < N; i++)
        ref[i] = sqrt(2.0);
    same_f64(x, ref, "x = sqrt(2)");
    free(ref);
    pa_array_free(&x);
}
END_TEST

/* ------------------------------------------------------------ long and deep texts */

/* head, then n copies of open, then mid, then n copies of close
 * (malloc'd). */
static char *nest(const char *head, const char *open, size_t n, const char *mid,
                  const char *close)
{
    size_t lo = strlen(open), lc = strlen(close), len = strlen(head);
    char *t = malloc(len + n * (lo + lc) + strlen(mid) + 1);
    strcpy(t, head);
    for (size_t i = 0; i < n; i++, len += lo)
        memcpy(t + len, open, lo);
    strcpy(t + len, mid);
    len += strlen(mid);
    for (size_t i = 0; i < n; i++, len += lc)
        memcpy(t + len, close, lc);
    t[len] = 0;
    return t;
}

/* Flat chains of any length compile without recursion, in two registers,
 * and compute what a serial loop in the text's order computes: a varying
 * chain (about 100 KB of text at 52,000 terms: one command line), one that
 * fuses each product into the add, and a uniform chain folded once per
 * evaluation. Small arrays (three blocks) keep the serial loops short. */
#define LONG_N 300
START_TEST(long_chains)
{
    static const size_t terms[] = {52000, 200000};
    pa_array *x = make(PA_F64, LONG_N, 0), *y = make(PA_F64, LONG_N, 1),
             *r = make(PA_F64, LONG_N, 3);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("r", r),
                      PA_BIND_SCALAR("k", 0.1)};
    double *ref = malloc(LONG_N * sizeof *ref);
    for (int t = 0; t < 2; t++) {
        size_t n = terms[t];
        char *text = nest("r = x", " + x", n - 1, "", "");
        pa_expr *e = NULL;
        TU_OK(pa_expr_compile(ctx, text, &e), ctx);
        TU_OK(pa_expr_eval(e, b, 4), ctx);
        TU_ASSERT(e->prog.nreg == 2, "%zu-term chain: %d registers, not 2", n, e->prog.nreg);
        pa_expr_free(&e);
        for (size_t i = 0; i < LONG_N; i++) {
            double acc = val(0, i);
            for (size_t j = 1; j < n; j++)
                acc += val(0, i);
            ref[i] = acc;
        }
        same_f64(r, ref, "x + x + ... + x");
        free(text);

        text = nest("r = x*y", " + x*y", n - 1, "", "");
        TU_OK(pa_expr_compile(ctx, text, &e), ctx);
        TU_OK(pa_expr_eval(e, b, 4), ctx);
        TU_ASSERT(e->prog.nreg == 2, "fused chain: %d registers, not 2", e->prog.nreg);
        pa_expr_free(&e);
        for (size_t i = 0; i < LONG_N; i++) {
            double acc = val(0, i) * val(1, i);
            for (size_t j = 1; j < n; j++)
                acc = acc + val(0, i) * val(1, i);
            ref[i] = acc;
        }
        same_f64(r, ref, "x*y + x*y + ... + x*y");
        free(text);

        text = nest("r = x * (k", " + k", n - 1, ")", "");
        TU_OK(pa_eval(ctx, text, b, 4), ctx);
        double acc = 0.1;
        for (size_t j = 1; j < n; j++)
            acc += 0.1;
        for (size_t i = 0; i < LONG_N; i++)
            ref[i] = val(0, i) * acc;
        same_f64(r, ref, "x * (k + k + ... + k)");
        free(text);
    }
    free(ref);
    pa_array_free(&r);
    pa_array_free(&y);
    pa_array_free(&x);
}
END_TEST

/* Each kind of nesting (parentheses, unary signs, function calls, the
 * right operand of **, and mixes) works at 256 levels and is refused past
 * them with the column of the level that is one too many: 100,000 levels
 * give the same clear error, never a stack overflow. */
START_TEST(deep_nesting)
{
    static const struct {
        const char *head, *open, *mid, *close;
        /* unit u opens its first level at column first_col + u * unit_len */
        int levels_per_unit, first_col, unit_len;
    } kinds[] = {
        {"r = ", "(", "x", ")", 1, 5, 1},     {"r = ", "-", "x", "", 1, 5, 1},
        {"r = ", "sqrt(", "x", ")", 1, 9, 5}, {"r = x", "**x", "", "", 1, 6, 3},
        {"r = ", "-(", "x", ")", 2, 5, 2},
    };
    pa_array *x = make(PA_F64, N, 1), *r = make(PA_F64, N, 3);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r)};
    double *ref = malloc(N * sizeof *ref);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t units = 256 / (size_t)kinds[k].levels_per_unit;
        char *text = nest(kinds[k].head, kinds[k].open, units, kinds[k].mid, kinds[k].close);
        TU_ASSERT(pa_eval(ctx, text, b, 2) == PA_OK, "256 levels of '%s': %s", kinds[k].open,
                  pa_errmsg(ctx));
        for (size_t i = 0; i < N; i++) {
            double v = val(1, i);
            for (size_t u = 0; u < units; u++)
                v = k == 2 ? sqrt(v) : k == 3 ? VD(POW, val(1, i), v) : k == 0 ? v : -v;
            ref[i] = v;
        }
        same_f64(r, ref, text);
        free(text);
        static const size_t too_deep[] = {0, 99744}; /* one unit more; 100,000 in all */
        for (int t = 0; t < 2; t++) {
            text = nest(kinds[k].head, kinds[k].open, units + 1 + too_deep[t], kinds[k].mid,
                        kinds[k].close);
            pa_expr *e = (pa_expr *)&e;
            char col[32];
            snprintf(col, sizeof col,
                     "column %d:", kinds[k].first_col + (int)units * kinds[k].unit_len);
            fails(pa_expr_compile(ctx, text, &e), PA_EINVAL, "nested more than 256 levels deep",
                  col);
            TU_CHECK(e == NULL);
            free(text);
        }
    }
    free(ref);
    pa_array_free(&r);
    pa_array_free(&x);
}
END_TEST

/* ------------------------------------------------------------ bit equality */

/* A large array (over the streaming threshold per rank at every launcher
 * configuration, so the non-temporal path runs, and of odd length, so the
 * last rank's streaming loop has a tail) and a small one: both equal a
 * serial evaluation bit for bit, at any rank count, with each kind of
 * last instruction: a binary op, the fused multiply-add, and f32 and i32
 * outputs (16 elements per 64-byte line instead of 8). */
START_TEST(bit_equality)
{
    static const size_t sizes[] = {N, 1200003};
    for (int s = 0; s < 2; s++) {
        size_t n = sizes[s];
        pa_array *x = make(PA_F64, n, 0), *y = make(PA_F64, n, 1), *r = make(PA_F64, n, 3);
        pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_ARRAY("r", r),
                          PA_BIND_SCALAR("k", 1.0 / 3.0)};
        TU_OK(pa_eval(ctx, "r = sqrt(x*x + y*y) * k - exp(-y) / (1 + x*x) + where(x > y, x, y)",
                      b, 4),
              ctx);
        double *ref = malloc(n * sizeof *ref);
        for (size_t i = 0; i < n; i++) {
            double xv = val(0, i), yv = val(1, i), k = 1.0 / 3.0;
            ref[i] = sqrt(xv * xv + yv * yv) * k - VD(EXP, -yv, 0) / (1 + xv * xv) +
                     (xv > yv ? xv : yv);
        }
        same_f64(r, ref, "large expression");
        TU_OK(pa_eval(ctx, "r = x * y + k", b, 4), ctx);
        for (size_t i = 0; i < n; i++)
            ref[i] = val(0, i) * val(1, i) + 1.0 / 3.0;
        same_f64(r, ref, "x * y + k");
        TU_OK(pa_eval(ctx, "r = x * y + x", b, 4), ctx);
        for (size_t i = 0; i < n; i++)
            ref[i] = val(0, i) * val(1, i) + val(0, i);
        same_f64(r, ref, "x * y + x");
        free(ref);
        pa_array_free(&r);
        pa_array_free(&y);
        pa_array_free(&x);

        pa_array *xf = make(PA_F32, n, 0), *yf = make(PA_F32, n, 1), *rf = make(PA_F32, n, 3);
        pa_binding bf[] = {PA_BIND_ARRAY("x", xf), PA_BIND_ARRAY("y", yf),
                           PA_BIND_ARRAY("r", rf)};
        TU_OK(pa_eval(ctx, "r = sqrt(x*x + y*y)", bf, 3), ctx);
        float *reff = malloc(n * sizeof *reff);
        for (size_t i = 0; i < n; i++) {
            float xv = (float)val(0, i), yv = (float)val(1, i);
            reff[i] = sqrtf(xv * xv + yv * yv);
        }
        same_f32(rf, reff, "f32 sqrt(x*x + y*y)");
        free(reff);
        pa_array_free(&rf);
        pa_array_free(&yf);
        pa_array_free(&xf);

        pa_array *xi = make(PA_I32, n, 0), *yi = make(PA_I32, n, 1), *ri = make(PA_I32, n, 3);
        pa_binding bi[] = {PA_BIND_ARRAY("x", xi), PA_BIND_ARRAY("y", yi),
                           PA_BIND_ARRAY("r", ri)};
        TU_OK(pa_eval(ctx, "r = x * y - x", bi, 3), ctx);
        int32_t *gi = whole(ri);
        size_t badi = n;
        for (size_t i = 0; i < n && badi == n; i++) {
            int32_t xv = (int32_t)(val(0, i) * 10), yv = (int32_t)(val(1, i) * 10);
            if (gi[i] != xv * yv - xv)
                badi = i;
        }
        TU_ASSERT(badi == n, "i32 x * y - x: element %zu differs", badi);
        free(gi);
        pa_array_free(&ri);
        pa_array_free(&yi);
        pa_array_free(&xi);
    }
}
END_TEST

/* Collective: arrays a and b of equal shape and dtype hold the same bytes. */
static void same_bytes(pa_array *a, pa_array *b, const char *what)
{
    size_t n = pa_array_size(a), es = pa_dtype_size(pa_array_dtype(a));
    unsigned char *x = whole(a), *y = whole(b);
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (memcmp(x + i * es, y + i * es, es) != 0)
            bad = i;
    TU_ASSERT(bad == n, "%s: element %zu differs", what, bad);
    free(x);
    free(y);
}

/* Blocks of 1 KiB of the program's widest dtype (1024 u8, 512 i16, 256
 * f32, 128 f64 and c128): at lengths around one and several blocks of
 * each (split between the ranks at other places), and above the streaming
 * threshold, z = a*b + c equals pa_binary's a*b then + c bit for bit, as
 * the same kernels in other blocks give; so do z = (a - b) / c on the
 * non-integers (one fused instruction on the floats, a sub and a div on
 * c128) and y = a*c + w with an f64 operand w and output y
 * (the block is f64's), and, with a broadcast row (blocks of 128),
 * z = x*r + x. */
START_TEST(narrow_blocks)
{
    static const pa_dtype dtypes[] = {PA_U8, PA_I16, PA_F32, PA_F64, PA_C128};
    static const size_t sizes[] = {1,    127,  129,  255,           511,
                                   1023, 1024, 1025, 3 * 1024 + 77, 4 * ((size_t)1 << 20) + 77};
    for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            pa_dtype dt = dtypes[d];
            size_t n = sizes[k];
            if (n * pa_dtype_size(dt) > 32 * ((size_t)1 << 20))
                continue;
            pa_array *a = make_as(dt, n, 1), *b = make_as(dt, n, 0), *c = make_as(dt, n, 2);
            pa_array *w = make_as(PA_F64, n, 0), *z = NULL, *t = NULL, *ref = NULL;
            pa_array *y = NULL, *yref = NULL;
            TU_OK(pa_array_create(ctx, dt, 1, &n, PA_DISTRIBUTED, &z), ctx);
            TU_OK(pa_array_create(ctx, dt, 1, &n, PA_DISTRIBUTED, &t), ctx);
            TU_OK(pa_array_create(ctx, dt, 1, &n, PA_DISTRIBUTED, &ref), ctx);
            TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &y), ctx);
            TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &yref), ctx);
            pa_binding bd[] = {PA_BIND_ARRAY("z", z), PA_BIND_ARRAY("a", a),
                               PA_BIND_ARRAY("b", b), PA_BIND_ARRAY("c", c),
                               PA_BIND_ARRAY("w", w), PA_BIND_ARRAY("y", y)};
            char what[64];
            snprintf(what, sizeof what, "%s z = a*b + c, n = %zu", pa_dtype_name(dt), n);
            TU_OK(pa_eval(ctx, "z = a*b + c", bd, 6), ctx);
            TU_OK(pa_binary(t, PA_OP_MUL, a, b), ctx);
            TU_OK(pa_binary(ref, PA_OP_ADD, t, c), ctx);
            same_bytes(z, ref, what);
            if (!pa__dtype_is_int(dt)) {
                snprintf(what, sizeof what, "%s z = (a - b) / c, n = %zu", pa_dtype_name(dt), n);
                TU_OK(pa_eval(ctx, "z = (a - b) / c", bd, 6), ctx);
                TU_OK(pa_binary(t, PA_OP_SUB, a, b), ctx);
                TU_OK(pa_binary(ref, PA_OP_DIV, t, c), ctx);
                same_bytes(z, ref, what);
            }
            if (dt != PA_C128) {
                snprintf(what, sizeof what, "%s y = a*c + w, n = %zu", pa_dtype_name(dt), n);
                TU_OK(pa_eval(ctx, "y = a*c + w", bd, 6), ctx);
                TU_OK(pa_binary(t, PA_OP_MUL, a, c), ctx);
                TU_OK(pa_binary(yref, PA_OP_ADD, t, w), ctx);
                same_bytes(y, yref, what);
            }
            pa_array *all[] = {a, b, c, w, z, t, ref, y, yref};
            for (int j = 0; j < 9; j++)
                pa_array_free(&all[j]);
        }
    /* A broadcast row of u8 over a (rows, 1000) u8 array. */
    size_t shape[2] = {37, 1000}, row = 1000, n = 37 * 1000;
    pa_array *x = make_as(PA_U8, n, 1), *x2 = NULL, *r = make_as(PA_U8, row, 0);
    pa_array *z = NULL, *t = NULL, *ref = NULL;
    TU_OK(pa_reshape(x, 2, shape, &x2), ctx);
    TU_OK(pa_array_create(ctx, PA_U8, 2, shape, PA_DISTRIBUTED, &z), ctx);
    TU_OK(pa_array_create(ctx, PA_U8, 2, shape, PA_DISTRIBUTED, &t), ctx);
    TU_OK(pa_array_create(ctx, PA_U8, 2, shape, PA_DISTRIBUTED, &ref), ctx);
    pa_binding bb[] = {PA_BIND_ARRAY("z", z), PA_BIND_ARRAY("x", x2), PA_BIND_ARRAY("r", r)};
    TU_OK(pa_eval(ctx, "z = x * r + x", bb, 3), ctx);
    TU_OK(pa_binary(t, PA_OP_MUL, x2, r), ctx);
    TU_OK(pa_binary(ref, PA_OP_ADD, t, x2), ctx);
    same_bytes(z, ref, "u8 z = x * r + x, r a broadcast row");
    pa_array *all[] = {x, x2, r, z, t, ref};
    for (int j = 0; j < 6; j++)
        pa_array_free(&all[j]);
    /* Standardising with broadcast rows, (x - mu) / sd, one fused
     * instruction on the floats (f16 rounds the difference to f16, as the
     * sub does), equals the sub then the div. */
    static const pa_dtype floats[] = {PA_F16, PA_F32, PA_F64};
    for (int d = 0; d < 3; d++) {
        pa_array *xs = make_as(floats[d], n, 1), *xf = NULL, *mu = make_as(floats[d], row, 0);
        pa_array *sd = make_as(floats[d], row, 2), *zf = NULL, *tf = NULL, *rf = NULL;
        TU_OK(pa_reshape(xs, 2, shape, &xf), ctx);
        pa_array **outs[] = {&zf, &tf, &rf};
        for (int j = 0; j < 3; j++)
            TU_OK(pa_array_create(ctx, floats[d], 2, shape, PA_DISTRIBUTED, outs[j]), ctx);
        pa_binding bs[] = {PA_BIND_ARRAY("z", zf), PA_BIND_ARRAY("x", xf),
                           PA_BIND_ARRAY("mu", mu), PA_BIND_ARRAY("sd", sd)};
        pa_expr *e = NULL;
        TU_OK(pa_expr_compile(ctx, "z = (x - mu) / sd", &e), ctx);
        TU_OK(pa_expr_eval(e, bs, 4), ctx);
        TU_ASSERT(e->prog.ninstr == 1 && e->prog.instr[0].op == EOP_SUBDIV,
                  "%s (x - mu) / sd: %d instructions, the first %s, not one subdiv",
                  pa_dtype_name(floats[d]), e->prog.ninstr,
                  e->prog.ninstr ? pa__expr_op_name(e->prog.instr[0].op) : "none");
        pa_expr_free(&e);
        TU_OK(pa_binary(tf, PA_OP_SUB, xf, mu), ctx);
        TU_OK(pa_binary(rf, PA_OP_DIV, tf, sd), ctx);
        char what[64];
        snprintf(what, sizeof what, "%s z = (x - mu) / sd, broadcast rows",
                 pa_dtype_name(floats[d]));
        same_bytes(zf, rf, what);
        pa_array *fall[] = {xs, xf, mu, sd, zf, tf, rf};
        for (int j = 0; j < 7; j++)
            pa_array_free(&fall[j]);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tu_tcase(s, "expr");
    tcase_add_unchecked_fixture(tc, tu_ctx_setup, tu_ctx_free);
    tcase_add_test(tc, parse_good);
    tcase_add_test(tc, parse_bad);
    tcase_add_test(tc, precedence);
    tcase_add_test(tc, functions);
    tcase_add_test(tc, where_compare);
    tcase_add_test(tc, aliasing);
    tcase_add_test(tc, compile_once);
    tcase_add_test(tc, empty);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, long_chains);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, bit_equality);
    tcase_add_test(tc, bool_results);
    tcase_add_test(tc, bitwise_operators);
    tcase_add_test(tc, scalar_only);
    tcase_add_test(tc, narrow_blocks);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
