/* numpy's type promotion (src/promote.c): every row of numpy's own table
 * (tests/data/promotion.txt, written by scripts/gen-promotion-table) whose
 * dtypes parray has, so that a dtype added to PA_DTYPE_LIST is checked
 * without a line of this file changing; then mixed dtypes end to end in
 * pa_unary, pa_binary and pa_eval against serial references, with NEP 50's
 * weak scalars and the same_kind errors. */
#include "testutil.h"

#include <math.h>

#include "dtype.h"
#include "promote.h"

static void setup(void)
{
    tu_ctx_setup();
}

static void teardown(void)
{
    tu_ctx_free();
}

/* ------------------------------------------------------------ numpy's table */

/* The type a name of the table stands for: a dtype, or a Python scalar
 * (int, float, complex: weak, in its kind's default dtype). 0 when parray
 * has no such dtype. */
static int table_type(const char *name, pa__type *t)
{
    static const struct {
        const char *python, *dtype;
    } weak[] = {{"int", "i64"}, {"float", "f64"}, {"complex", "c128"}};
    t->weak = 0;
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++)
        if (strcmp(name, weak[i].python) == 0) {
            t->weak = 1;
            name = weak[i].dtype;
        }
    return pa_dtype_parse(name, &t->dtype) == PA_OK;
}

/* Every row of the table of kind `what` whose names parray has is passed
 * to check (which returns 0 when parray disagrees with numpy); returns the
 * number of rows checked, and counts the disagreements in *bad. */
typedef int (*row_check)(const pa__type *a, const char *b, const char *want);

static int table_rows(const char *what, row_check check, int *bad)
{
    char path[1024];
    const char *src = getenv("PARRAY_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/promotion.txt", src && *src ? src : ".");
    FILE *f = fopen(path, "r");
    TU_ASSERT(f != NULL, "cannot open %s", path);
    char line[256], kind[32], a[32], b[32], want[32];
    int checked = 0;
    *bad = 0;
    while (fgets(line, sizeof line, f)) {
        pa__type ta;
        if (line[0] == '#' || sscanf(line, "%31s %31s %31s %31s", kind, a, b, want) != 4 ||
            strcmp(kind, what) != 0 || !table_type(a, &ta))
            continue;
        int r = check(&ta, b, want);
        if (r < 0)
            continue; /* a name parray does not have */
        checked++;
        if (!r) {
            *bad += 1;
            tu_note(__FILE__, __LINE__, "numpy: %s", line);
        }
    }
    fclose(f);
    return checked;
}

static int check_promote(const pa__type *a, const char *b, const char *want)
{
    pa__type tb, tw;
    if (!table_type(b, &tb) || !table_type(want, &tw))
        return -1;
    pa__type got = pa__promote(*a, tb);
    if (got.dtype != tw.dtype)
        return 0;
    if (a->weak || tb.weak)
        return 1;
    pa_dtype pub;
    return pa_dtype_promote(a->dtype, tb.dtype, &pub) == PA_OK && pub == tw.dtype;
}

static int check_same_kind(const pa__type *a, const char *b, const char *want)
{
    pa__type tb;
    if (!table_type(b, &tb))
        return -1;
    return pa__same_kind(a->dtype, tb.dtype) == atoi(want);
}

/* numpy.ones(1, a) + v for the Python int v: an error (out of a's range)
 * or an array of dtype want, here by pa_binary_scalar and by pa_eval with
 * v written as a number. Collective: every rank reads the same rows. */
static int check_weak_int(const pa__type *a, const char *v, const char *want)
{
    pa__type tw = *a;
    int error = strcmp(want, "error") == 0;
    if (!error && !table_type(want, &tw))
        return -1;
    size_t n = 7;
    pa_array *x = NULL, *r = NULL;
    if (pa_array_create(ctx, a->dtype, 1, &n, PA_DISTRIBUTED, &x) != PA_OK ||
        pa_array_create(ctx, tw.dtype, 1, &n, PA_DISTRIBUTED, &r) != PA_OK)
        return 0;
    char text[64];
    snprintf(text, sizeof text, "r = x + (%s)", v);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("r", r)};
    int want_rc = error ? PA_EINVAL : PA_OK;
    int ok = pa_binary_scalar(r, PA_OP_ADD, x, strtod(v, NULL)) == want_rc &&
             pa_eval(ctx, text, b, 2) == want_rc;
    pa_array_free(&r);
    pa_array_free(&x);
    return ok;
}

/* Collective: at least min rows of kind what are checked, and all agree
 * with numpy. */
static void check_table(const char *what, row_check check, int min)
{
    int bad;
    int n = table_rows(what, check, &bad);
    TU_ASSERT(n >= min, "only %d %s rows checked", n, what);
    TU_ASSERT(bad == 0, "%d of %d %s rows differ from numpy", bad, n, what);
}

/* The minimums: every pair of today's ten dtypes (and each with a Python
 * int and float in both orders), each with 20 Python ints. */
START_TEST(numpy_promote_types)
{
    check_table("promote", check_promote, 10 * 10 + 10 * 4);
}
END_TEST

START_TEST(numpy_same_kind)
{
    check_table("same_kind", check_same_kind, 10 * 10);
}
END_TEST

START_TEST(numpy_weak_ints)
{
    check_table("weak_int", check_weak_int, 10 * 20);
}
END_TEST

/* ------------------------------------------------------------ arrays */

#define N 5000 /* several tiles of ops.c's conversions, uneven over the ranks */

/* A distributed array of dtype d holding v[i], converted as pa_astype does. */
static pa_array *make(pa_dtype d, size_t n, const double *v)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, d, 1, &n, PA_DISTRIBUTED, &a), ctx);
    void *buf = malloc(n * sizeof(pa__elem) + 1);
    pa__convert(buf, d, v, PA_F64, n);
    TU_OK(pa_array_scatter(a, 0, buf), ctx);
    free(buf);
    return a;
}

/* a's elements as doubles, on every rank; the caller frees them. */
static double *values(pa_array *a)
{
    size_t n = pa_array_size(a);
    pa_dtype d = pa_array_dtype(a);
    void *buf = malloc(n * sizeof(pa__elem) + 1);
    double *v = malloc(n * sizeof *v + 1);
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    MPI_Bcast(buf, (int)(n * pa_dtype_size(d)), MPI_BYTE, 0, MPI_COMM_WORLD);
    pa__convert(v, PA_F64, buf, d, n);
    free(buf);
    return v;
}

/* Collective: a holds want[i] exactly (both NaN counts as equal). */
static void same(pa_array *a, const double *want, const char *what)
{
    double *got = values(a);
    size_t bad = 0;
    for (size_t i = 0; i < pa_array_size(a); i++)
        if (!(got[i] == want[i] || (isnan(got[i]) && isnan(want[i]))) && bad++ == 0)
            tu_note(__FILE__, __LINE__, "%s: [%zu] = %.17g, want %.17g", what, i, got[i],
                    want[i]);
    free(got);
    TU_ASSERT(bad == 0, "%s: %zu elements differ", what, bad);
}

/* Collective: rc is want and the message holds needle. */
static void fails(int rc, int want, const char *needle)
{
    TU_RC(rc, want, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), needle) != NULL, "message '%s' lacks '%s'", pa_errmsg(ctx),
              needle);
}

/* The inputs: whole numbers in [-1000, 1000] (i), in [0, 255] (u), and
 * fractions exact in f32 (f). */
static double in_i(size_t i)
{
    return (double)((i * 7919) % 2001) - 1000.0;
}
static double in_u(size_t i)
{
    return (double)((i * 104729) % 256);
}
static double in_f(size_t i)
{
    return (double)(float)((double)((i * 31) % 997) * 0.37 - 150.0);
}

typedef struct {
    pa_array *i32, *u8, *f32, *f64;
    double vi[N], vu[N], vf[N], ref[N];
} inputs;

static inputs *inputs_make(void)
{
    inputs *in = calloc(1, sizeof *in);
    for (size_t i = 0; i < N; i++) {
        in->vi[i] = in_i(i);
        in->vu[i] = in_u(i);
        in->vf[i] = in_f(i);
    }
    in->i32 = make(PA_I32, N, in->vi);
    in->u8 = make(PA_U8, N, in->vu);
    in->f32 = make(PA_F32, N, in->vf);
    in->f64 = make(PA_F64, N, in->vf);
    return in;
}

static void inputs_free(inputs *in)
{
    pa_array_free(&in->f64);
    pa_array_free(&in->f32);
    pa_array_free(&in->u8);
    pa_array_free(&in->i32);
    free(in);
}

START_TEST(binary_mixed)
{
    inputs *in = inputs_make();
    double *ref = in->ref;
    pa_array *o64 = make(PA_F64, N, in->vi), *o32 = make(PA_F32, N, in->vi);
    pa_array *oi = make(PA_I32, N, in->vi);

    /* i32 + f32 computes in f64. */
    TU_OK(pa_binary(o64, PA_OP_ADD, in->i32, in->f32), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vi[i] + in->vf[i];
    same(o64, ref, "f64 = i32 + f32");
    /* ... and is cast into an f32 output (same_kind: float to float). */
    TU_OK(pa_binary(o32, PA_OP_ADD, in->i32, in->f32), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = (float)(in->vi[i] + in->vf[i]);
    same(o32, ref, "f32 = i32 + f32");
    /* u8 and i32 meet in i32. */
    TU_OK(pa_binary(oi, PA_OP_MUL, in->u8, in->i32), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vu[i] * in->vi[i];
    same(oi, ref, "i32 = u8 * i32");
    /* A weak float scalar keeps f32 in f32 (NEP 50): the product is an f32's. */
    TU_OK(pa_binary_scalar(o32, PA_OP_MUL, in->f32, 2.2), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = (float)in->vf[i] * 2.2f;
    same(o32, ref, "f32 = f32 * 2.2");
    /* ... and takes an integer array to f64. */
    TU_OK(pa_scalar_binary(o64, PA_OP_SUB, 2.5, in->i32), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = 2.5 - in->vi[i];
    same(o64, ref, "f64 = 2.5 - i32");
    /* An integer result cast into a float output; the output is an input. */
    TU_OK(pa_binary(o64, PA_OP_SUB, o64, in->i32), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = 2.5 - 2 * in->vi[i];
    same(o64, ref, "f64 = f64 - i32, in place");
    TU_OK(pa_unary(o64, PA_OP_NEG, in->i32), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = -in->vi[i];
    same(o64, ref, "f64 = -i32");

    /* same_kind forbids f64 into i32, and an int that does not fit u8;
     * the output stays as it was. */
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vu[i] * in->vi[i];
    fails(pa_binary(oi, PA_OP_ADD, in->i32, in->f32), PA_EINVAL,
          "cannot cast the result from f64 to i32");
    fails(pa_binary_scalar(oi, PA_OP_MUL, in->i32, 0.5), PA_EINVAL, "from f64 to i32");
    fails(pa_unary(oi, PA_OP_NEG, in->f32), PA_EINVAL, "from f32 to i32");
    same(oi, ref, "i32 untouched after errors");
    fails(pa_binary_scalar(in->u8, PA_OP_ADD, in->u8, -1), PA_EINVAL,
          "s = -1 is not in the range of u8");
    /* Integer division by zero in the computing dtype i32. */
    pa_array *zero = make(PA_U8, N, (double[N]){0});
    fails(pa_binary(oi, PA_OP_DIV, in->i32, zero), PA_EINVAL, "division by zero (i32)");
    pa_array_free(&zero);
    pa_array_free(&oi);
    pa_array_free(&o32);
    pa_array_free(&o64);
    inputs_free(in);
}
END_TEST

/* Evaluates text with x (i32), u (u8), f (f32), d (f64), c (a condition)
 * and k bound, into r. */
static int eval(const char *text, inputs *in, pa_array *r, pa_array *c, double k)
{
    pa_binding b[] = {PA_BIND_ARRAY("x", in->i32), PA_BIND_ARRAY("u", in->u8),
                      PA_BIND_ARRAY("f", in->f32), PA_BIND_ARRAY("d", in->f64),
                      PA_BIND_ARRAY("c", c),       PA_BIND_SCALAR("k", k),
                      PA_BIND_ARRAY("r", r)};
    return pa_eval(ctx, text, b, 7);
}

START_TEST(eval_mixed)
{
    inputs *in = inputs_make();
    double *ref = in->ref, cond[N];
    /* Conditions: 0, 0.5, NaN, -0 and the rest (true where not 0). */
    static const double special[] = {0.0, 0.5, NAN, -0.0};
    for (size_t i = 0; i < N; i++)
        cond[i] = i < 4 ? special[i] : (double)(i % 3);
    pa_array *c = make(PA_F64, N, cond);
    pa_array *r64 = make(PA_F64, N, ref), *r32 = make(PA_F32, N, ref);
    pa_array *ri = make(PA_I32, N, ref), *ru = make(PA_U8, N, ref);

    /* i32 * f32 is f64, then + f64: the fused multiply-add of one dtype. */
    TU_OK(eval("r = x * f + d", in, r64, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vi[i] * in->vf[i] + in->vf[i];
    same(r64, ref, "x * f + d");
    /* f32 with a weak float stays f32, whether the output is f32 or f64. */
    TU_OK(eval("r = f * 2.2 + k", in, r32, c, 0.1), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = (float)in->vf[i] * 2.2f + 0.1f;
    same(r32, ref, "f32: f * 2.2 + k");
    TU_OK(eval("r = f * 2.2 + k", in, r64, c, 0.1), ctx);
    same(r64, ref, "f64: f * 2.2 + k");
    /* An i32 with a float is f64; with an integer (literal, or a whole
     * scalar) it stays i32, and a constant part computes in i32. */
    TU_OK(eval("r = x * 2.5", in, r64, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vi[i] * 2.5;
    same(r64, ref, "x * 2.5");
    TU_OK(eval("r = x * k + (7 / 2)", in, ri, c, 3), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vi[i] * 3 + 3;
    same(ri, ref, "x * k + (7 / 2)");
    /* u8 + 1 stays u8 and wraps. */
    TU_OK(eval("r = u + 1", in, ru, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = (double)(uint8_t)(in->vu[i] + 1);
    same(ru, ref, "u + 1");
    /* Comparisons compute in the promoted dtype, where() in its values'. */
    TU_OK(eval("r = x < f", in, r64, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vi[i] < in->vf[i];
    same(r64, ref, "x < f");
    TU_OK(eval("r = where(c, x, u)", in, ri, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = cond[i] != 0 || isnan(cond[i]) ? in->vi[i] : in->vu[i];
    same(ri, ref, "where(c, x, u)");
    TU_OK(eval("r = where(k, x, u)", in, ri, c, 0.5), ctx);
    same(ri, in->vi, "where(0.5, x, u)");
    TU_OK(eval("r = where(k, x, u)", in, ri, c, 1e300), ctx);
    same(ri, in->vi, "where(1e300, x, u)");
    /* where() of numbers over an array is an array of the numbers'
     * default dtype, f64 here, as numpy's: f32 + f64 is f64. */
    TU_OK(eval("r = f + where(c, 2.2, 1)", in, r64, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vf[i] + (cond[i] != 0 || isnan(cond[i]) ? 2.2 : 1.0);
    same(r64, ref, "f + where(c, 2.2, 1)");
    TU_OK(eval("r = where(1 / 2, x, u)", in, ri, c, 0), ctx);
    same(ri, in->vi, "where(1 / 2, x, u): 0.5, as Python divides");
    /* The output read as an input of another dtype; a bare name converted. */
    TU_OK(eval("r = x", in, r64, c, 0), ctx);
    TU_OK(eval("r = r + u", in, r64, c, 0), ctx);
    for (size_t i = 0; i < N; i++)
        ref[i] = in->vi[i] + in->vu[i];
    same(r64, ref, "r = r + u");

    /* same_kind and NEP 50 errors, before anything is written. */
    fails(eval("r = x * 2.5", in, ri, c, 0), PA_EINVAL,
          "cannot cast the result from f64 to i32 (r is i32)");
    fails(eval("r = 2.5", in, ri, c, 0), PA_EINVAL, "from f64 to i32");
    fails(eval("r = u + 300", in, ru, c, 0), PA_EINVAL,
          "the number at column 9 = 300 is not in the range of u8");
    fails(eval("r = u - k", in, ru, c, 256), PA_EINVAL, "k = 256 is not in the range of u8");
    fails(eval("r = sqrt(x + u)", in, r64, c, 0), PA_ENOTSUP, "sqrt (column 5) is not defined");
    for (size_t i = 0; i < N; i++)
        ref[i] = (double)(uint8_t)(in->vu[i] + 1);
    same(ru, ref, "u8 untouched after errors");

    pa_array_free(&ru);
    pa_array_free(&ri);
    pa_array_free(&r32);
    pa_array_free(&r64);
    pa_array_free(&c);
    inputs_free(in);
}
END_TEST

/* Outputs large enough for the streaming store: the last instruction
 * streams when the result has the output's dtype, and converts into it
 * otherwise. */
START_TEST(eval_mixed_large)
{
    size_t n = (size_t)tu_size() * (PA_STREAM_MIN_BYTES / 8 + 1000);
    double *v = malloc(n * sizeof *v), *ref = malloc(n * sizeof *ref);
    for (size_t i = 0; i < n; i++)
        v[i] = in_i(i);
    pa_array *x = make(PA_I32, n, v), *f = make(PA_F32, n, v), *r = make(PA_F64, n, v);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("f", f), PA_BIND_ARRAY("r", r)};
    TU_OK(pa_eval(ctx, "r = x * f + 0.5", b, 3), ctx);
    for (size_t i = 0; i < n; i++)
        ref[i] = v[i] * v[i] + 0.5;
    same(r, ref, "r_f64 = x * f + 0.5");
    TU_OK(pa_eval(ctx, "r = f * 0.1", b, 3), ctx);
    for (size_t i = 0; i < n; i++)
        ref[i] = (float)v[i] * 0.1f;
    same(r, ref, "r_f64 = f * 0.1 (f32)");
    pa_array_free(&r);
    pa_array_free(&f);
    pa_array_free(&x);
    free(ref);
    free(v);
}
END_TEST

/* The narrow dtypes mixed, by pa_binary and pa_eval: f16 + i8 computes in
 * f16 (in f32, rounded to f16 on store), u64 + i64 in f64, i16 * u16 in
 * i32, and a where() over an f16 condition (0, -0, NaN) picks i8 or i16
 * values in i16. */
START_TEST(narrow_mixed)
{
    double vh[N], v8[N], v16[N], vu[N], cond[N], ref[N];
    static const double special[] = {0.0, -0.0, NAN, 0.5};
    for (size_t i = 0; i < N; i++) {
        vh[i] = (double)(PA_HALF)in_f(i);
        v8[i] = (double)((i * 37) % 255) - 127.0;
        v16[i] = in_i(i) * 30;
        vu[i] = in_u(i) * 200;
        cond[i] = i < 4 ? special[i] : (double)(i % 3);
    }
    pa_array *h = make(PA_F16, N, vh), *b = make(PA_I8, N, v8), *s = make(PA_I16, N, v16);
    pa_array *w = make(PA_U16, N, vu), *c = make(PA_F16, N, cond);
    pa_array *ul = make(PA_U64, N, vu), *il = make(PA_I64, N, v16);
    pa_array *rh = make(PA_F16, N, vh), *r64 = make(PA_F64, N, vh);
    pa_array *ri = make(PA_I32, N, vh), *rs = make(PA_I16, N, vh);
    pa_binding bind[] = {
        PA_BIND_ARRAY("h", h),   PA_BIND_ARRAY("b", b),   PA_BIND_ARRAY("s", s),
        PA_BIND_ARRAY("w", w),   PA_BIND_ARRAY("c", c),   PA_BIND_ARRAY("ul", ul),
        PA_BIND_ARRAY("il", il), PA_BIND_ARRAY("rh", rh), PA_BIND_ARRAY("r64", r64),
        PA_BIND_ARRAY("ri", ri), PA_BIND_ARRAY("rs", rs)};
    int nb = (int)(sizeof bind / sizeof bind[0]);

    for (size_t i = 0; i < N; i++)
        ref[i] = (double)(PA_HALF)((float)vh[i] + (float)v8[i]);
    TU_OK(pa_binary(rh, PA_OP_ADD, h, b), ctx);
    same(rh, ref, "f16 = f16 + i8");
    TU_OK(pa_eval(ctx, "rh = h + b", bind, nb), ctx);
    same(rh, ref, "rh = h + b");
    fails(pa_binary(rs, PA_OP_ADD, h, b), PA_EINVAL, "cannot cast the result from f16 to i16");

    for (size_t i = 0; i < N; i++)
        ref[i] = vu[i] + v16[i];
    TU_OK(pa_binary(r64, PA_OP_ADD, ul, il), ctx);
    same(r64, ref, "f64 = u64 + i64");
    TU_OK(pa_eval(ctx, "r64 = ul + il", bind, nb), ctx);
    same(r64, ref, "r64 = ul + il");

    for (size_t i = 0; i < N; i++)
        ref[i] = v16[i] * vu[i];
    TU_OK(pa_binary(ri, PA_OP_MUL, s, w), ctx);
    same(ri, ref, "i32 = i16 * u16");
    TU_OK(pa_eval(ctx, "ri = s * w", bind, nb), ctx);
    same(ri, ref, "ri = s * w");

    for (size_t i = 0; i < N; i++)
        ref[i] = cond[i] != 0 || isnan(cond[i]) ? v8[i] : v16[i];
    TU_OK(pa_eval(ctx, "rs = where(c, b, s)", bind, nb), ctx);
    same(rs, ref, "rs = where(c_f16, b, s)");

    pa_dtype d;
    TU_OK(pa_dtype_promote(PA_F16, PA_I8, &d), ctx);
    TU_CHECK(d == PA_F16);
    TU_OK(pa_dtype_promote(PA_U64, PA_I64, &d), ctx);
    TU_CHECK(d == PA_F64);
    TU_OK(pa_dtype_promote(PA_I16, PA_F16, &d), ctx);
    TU_CHECK(d == PA_F32);
    pa_array *all[] = {h, b, s, w, c, ul, il, rh, r64, ri, rs};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        pa_array_free(&all[k]);
}
END_TEST

START_TEST(expr_dtype)
{
    pa_expr *e = NULL;
    pa_dtype d;
    TU_OK(pa_expr_compile(ctx, "r = x * k", &e), ctx);
    double vals[2] = {0, 2.5};
    TU_OK(pa_expr_dtype(e, (pa_dtype[]){PA_I32, PA_EXPR_SCALAR}, vals, &d), ctx);
    TU_CHECK(d == PA_F64);
    TU_OK(pa_expr_dtype(e, (pa_dtype[]){PA_F32, PA_EXPR_SCALAR}, vals, &d), ctx);
    TU_CHECK(d == PA_F32);
    vals[1] = 2;
    TU_OK(pa_expr_dtype(e, (pa_dtype[]){PA_U8, PA_EXPR_SCALAR}, vals, &d), ctx);
    TU_CHECK(d == PA_U8);
    TU_RC(pa_expr_dtype(e, (pa_dtype[]){PA_U8, PA_EXPR_SCALAR}, NULL, &d), PA_EINVAL, ctx);
    TU_RC(pa_expr_dtype(e, (pa_dtype[]){(pa_dtype)99, PA_EXPR_SCALAR}, vals, &d), PA_EINVAL, ctx);
    pa_expr_free(&e);
    TU_OK(pa_expr_compile(ctx, "r = 2 + 3 * 4", &e), ctx);
    TU_OK(pa_expr_dtype(e, NULL, NULL, &d), ctx);
    TU_CHECK(d == PA_I64);
    pa_expr_free(&e);
    TU_OK(pa_expr_compile(ctx, "r = 2 + 3.0", &e), ctx);
    TU_OK(pa_expr_dtype(e, NULL, NULL, &d), ctx);
    TU_CHECK(d == PA_F64);
    pa_expr_free(&e);
    TU_RC(pa_dtype_promote(PA_F64, (pa_dtype)99, &d), PA_EINVAL, NULL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("promote");
    TCase *tc = tu_tcase(s, "promote");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, numpy_promote_types);
    tcase_add_test(tc, numpy_same_kind);
    tcase_add_test(tc, numpy_weak_ints);
    tcase_add_test(tc, binary_mixed);
    tcase_add_test(tc, eval_mixed);
    tcase_add_test(tc, eval_mixed_large);
    tcase_add_test(tc, narrow_mixed);
    tcase_add_test(tc, expr_dtype);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
