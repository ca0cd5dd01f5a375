/* Tests of numpy's broadcasting in pa_binary and pa_eval: every rule (a
 * row, a (1, m) row, a column, one element, (k,1,m) with (1,p,m), missing
 * leading dimensions, rows longer and shorter than a block), operands
 * replicated, distributed with the output's rows, and distributed but
 * needed whole (copied), dtypes of every family through promotion,
 * outputs with empty nodes, against a serial reference of numpy's rule;
 * numpy's message for shapes that do not broadcast; the row partition
 * that arrays with the same rows share. */
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

/* A value of operand `which` at flat index i that every dtype holds
 * exactly: 0/1 for bool, 0..10 for unsigned, -5..5 otherwise. */
static double val(size_t i, int which, pa_dtype d)
{
    size_t r = (i * 7 + (size_t)which * 3) % 11;
    if (d == PA_BOOL)
        return (double)(r & 1);
    if (d == PA_U8 || d == PA_U16 || d == PA_U32 || d == PA_U64)
        return (double)r;
    return (double)r - 5;
}

static pa_array *make(pa_dtype d, int ndim, const size_t *shape, pa_dist dist, int which)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, d, ndim, shape, dist, &a), ctx);
    size_t n = pa_array_size(a);
    void *buf = malloc(n * pa_dtype_size(d) + 1);
    for (size_t i = 0; i < n; i++)
        tu_set_f(buf, d, i, val(i, which, d));
    TU_OK(pa_array_scatter(a, 0, buf), ctx);
    free(buf);
    return a;
}

/* The whole array on every rank, as doubles (a complex's real part). */
static double *gather_f(pa_array *a)
{
    size_t n = pa_array_size(a), es = pa_dtype_size(pa_array_dtype(a));
    char *buf = malloc(n * es + 1);
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    MPI_Bcast(buf, (int)(n * es), MPI_BYTE, 0, MPI_COMM_WORLD);
    double *v = malloc(n * sizeof *v + 1);
    for (size_t i = 0; i < n; i++)
        v[i] = tu_get_f(buf, pa_array_dtype(a), i);
    free(buf);
    return v;
}

/* numpy's rule, serially: the flat index in an operand of shape (nd,
 * shape) of the output's flat index i (output shape (ond, oshape)). */
static size_t src_index(int ond, const size_t *oshape, size_t i, int nd, const size_t *shape)
{
    size_t idx[PA_MAXDIM];
    for (int k = ond - 1; k >= 0; k--) {
        idx[k] = i % oshape[k];
        i /= oshape[k];
    }
    size_t j = 0;
    for (int k = 0; k < nd; k++) {
        size_t ik = idx[ond - nd + k];
        j = j * shape[k] + (shape[k] == 1 ? 0 : ik);
    }
    return j;
}

typedef struct {
    int nda;
    size_t sa[3];
    pa_dist da;
    int ndb;
    size_t sb[3];
    pa_dist db;
    int ndo;
    size_t so[3];
    pa_dist dout;
} bcase;

#define D PA_DISTRIBUTED
#define R PA_REPLICATED

/* Every rule, with operands in every placement. */
static const bcase cases[] = {
    {2, {257, 3}, D, 1, {3}, R, 2, {257, 3}, D},          /* a row */
    {2, {257, 3}, D, 2, {1, 3}, R, 2, {257, 3}, D},       /* a (1, m) row */
    {2, {257, 3}, D, 2, {257, 1}, D, 2, {257, 3}, D},     /* a column, same rows */
    {2, {257, 3}, D, 1, {1}, R, 2, {257, 3}, D},          /* one element */
    {1, {3}, D, 2, {257, 3}, D, 2, {257, 3}, D},          /* a distributed row, copied */
    {2, {257, 1}, D, 2, {1, 3}, D, 2, {257, 3}, D},       /* outer product */
    {2, {257, 3}, R, 2, {257, 3}, D, 2, {257, 3}, D},     /* replicated, full size */
    {3, {5, 1, 4}, R, 3, {1, 6, 4}, R, 3, {5, 6, 4}, D},  /* (k,1,m) with (1,p,m) */
    {3, {5, 1, 4}, R, 3, {1, 6, 4}, D, 3, {5, 6, 4}, R},  /* the same, replicated out */
    {3, {6, 1, 5}, D, 3, {6, 7, 1}, D, 3, {6, 7, 5}, D},  /* two axes, same rows */
    {2, {40, 300}, D, 1, {300}, R, 2, {40, 300}, D},      /* a row of 300 */
    {2, {9, 2000}, D, 1, {2000}, R, 2, {9, 2000}, D},     /* a row longer than a block */
    {2, {1, 3}, D, 1, {3}, D, 2, {1, 3}, D},              /* fewer rows than ranks */
    {2, {2, 3}, D, 2, {2, 1}, R, 2, {2, 3}, D},           /* empty nodes, column */
    {3, {2, 1, 3}, D, 2, {300, 1}, R, 3, {2, 300, 3}, D}, /* a missing leading axis */
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

/* The dtype pairs: same, mixed through promotion, bool and complex. */
static const pa_dtype pairs[][3] = {
    /* a, b, out */
    {PA_F64, PA_F64, PA_F64},  {PA_F32, PA_I16, PA_F32},   {PA_I32, PA_I64, PA_I64},
    {PA_BOOL, PA_U8, PA_U8},   {PA_C128, PA_F64, PA_C128}, {PA_F16, PA_I8, PA_F16},
    {PA_U16, PA_BOOL, PA_F64},
};
#define NPAIRS (int)(sizeof pairs / sizeof pairs[0])

/* out = a + b (or a - b through pa_eval) against the reference. */
static void check_case(const bcase *c, const pa_dtype *dt, int use_eval)
{
    pa_array *a = make(dt[0], c->nda, c->sa, c->da, 1);
    pa_array *b = make(dt[1], c->ndb, c->sb, c->db, 2);
    pa_array *o = NULL;
    TU_OK(pa_array_create(ctx, dt[2], c->ndo, c->so, c->dout, &o), ctx);
    if (use_eval) {
        pa_binding bind[3] = {{"z", o, 0}, {"x", a, 0}, {"y", b, 0}};
        TU_OK(pa_eval(ctx, "z = x * 2 - y", bind, 3), ctx);
    } else {
        TU_OK(pa_binary(o, PA_OP_ADD, a, b), ctx);
    }
    double *got = gather_f(o);
    size_t n = pa_array_size(o), bad = n;
    for (size_t i = 0; i < n && bad == n; i++) {
        double x = val(src_index(c->ndo, c->so, i, c->nda, c->sa), 1, dt[0]);
        double y = val(src_index(c->ndo, c->so, i, c->ndb, c->sb), 2, dt[1]);
        double want = use_eval ? x * 2 - y : x + y;
        if (got[i] != want)
            bad = i;
    }
    TU_ASSERT(bad == n, "case (%zu,%zu,%zu)+(%zu,%zu,%zu) %s %s %s: element %zu", c->sa[0],
              c->sa[1], c->sa[2], c->sb[0], c->sb[1], c->sb[2], pa_dtype_name(dt[0]),
              pa_dtype_name(dt[1]), use_eval ? "eval" : "binary", bad);
    free(got);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&o);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_binary_rules)
{
    for (int c = 0; c < NCASES; c++)
        for (int p = 0; p < NPAIRS; p++)
            check_case(&cases[c], pairs[p], 0);
}
END_TEST

START_TEST(test_eval_rules)
{
    for (int c = 0; c < NCASES; c++)
        for (int p = 0; p < NPAIRS; p++)
            if (pairs[p][0] != PA_BOOL && pairs[p][1] != PA_BOOL) /* bool - bool is refused */
                check_case(&cases[c], pairs[p], 1);
}
END_TEST

/* The standardisation of columns: z = (x - mu) / sigma, mu a replicated
 * row, sigma a distributed (1, m) row, in one expression, and the output
 * also an input. */
START_TEST(test_standardise)
{
    size_t sx[2] = {1000, 10}, sr[1] = {10}, s1[2] = {1, 10};
    pa_array *x = make(PA_F64, 2, sx, D, 1), *mu = make(PA_F64, 1, sr, R, 2);
    pa_array *sg = make(PA_F64, 2, s1, D, 3), *z = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, sx, D, &z), ctx);
    TU_OK(pa_binary_scalar(sg, PA_OP_ADD, sg, 10), ctx); /* no zero */
    pa_binding bind[4] = {{"z", z, 0}, {"x", x, 0}, {"mu", mu, 0}, {"sigma", sg, 0}};
    TU_OK(pa_eval(ctx, "z = (x - mu) / sigma", bind, 4), ctx);
    bind[0].array = x; /* the output read as an input: x = (x - mu) / sigma */
    TU_OK(pa_eval(ctx, "x = (x - mu) / sigma", bind, 4), ctx);
    double *zv = gather_f(z), *xv = gather_f(x);
    size_t bad = sx[0] * sx[1];
    for (size_t i = 0; i < sx[0] * sx[1] && bad == sx[0] * sx[1]; i++) {
        double want = (val(i, 1, PA_F64) - val(i % 10, 2, PA_F64)) /
                      (val(i % 10, 3, PA_F64) + 10);
        if (zv[i] != want || xv[i] != want)
            bad = i;
    }
    TU_ASSERT(bad == sx[0] * sx[1], "element %zu", bad);
    free(zv);
    free(xv);
    pa_array_free(&x);
    pa_array_free(&mu);
    pa_array_free(&sg);
    pa_array_free(&z);
}
END_TEST

START_TEST(test_errors)
{
    size_t s1[2] = {100, 3}, s2[1] = {4}, s3[2] = {100, 1}, s4[1] = {3};
    pa_array *a = make(PA_F64, 2, s1, D, 1), *b = make(PA_F64, 1, s2, R, 2);
    pa_array *c = make(PA_F64, 2, s3, D, 3), *r = make(PA_F64, 1, s4, R, 4), *ra = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, s1, R, &ra), ctx);
    TU_RC(pa_binary(a, PA_OP_ADD, a, b), PA_EINVAL, ctx);
    TU_ASSERT(strcmp(pa_errmsg(ctx), "pa_binary: operands could not be broadcast together with "
                                     "shapes (100,3) (4,)") == 0,
              "message: %s", pa_errmsg(ctx));
    /* The operands must broadcast to the output's shape. */
    TU_RC(pa_binary(c, PA_OP_ADD, c, r), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "out has shape (100,1), but the operands broadcast to "
                                     "shape (100,3)") != NULL,
              "message: %s", pa_errmsg(ctx));
    /* A distributed operand with the rows of a replicated output. */
    TU_RC(pa_binary(ra, PA_OP_ADD, ra, a), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "b is distributed with the rows of the replicated output") !=
                  NULL,
              "message: %s", pa_errmsg(ctx));
    pa_binding bind[4] = {{"z", a, 0}, {"x", a, 0}, {"y", b, 0}, {"w", c, 0}};
    TU_RC(pa_eval(ctx, "z = x + w * y", bind, 4), PA_EINVAL, ctx);
    TU_ASSERT(strcmp(pa_errmsg(ctx), "pa_eval: operands could not be broadcast together with "
                                     "shapes (100,3) (100,1) (4,)") == 0,
              "message: %s", pa_errmsg(ctx));
    /* Nothing was written. */
    double *v = gather_f(a);
    TU_CHECK(v[0] == val(0, 1, PA_F64) && v[299] == val(299, 1, PA_F64));
    free(v);
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&c);
    pa_array_free(&r);
    pa_array_free(&ra);
}
END_TEST

/* Arrays with the same number of rows have the same rows on each node,
 * whatever their other dimensions and dtypes. */
START_TEST(test_same_rows)
{
    size_t s[][3] = {{257, 3, 1}, {257, 1, 1}, {257, 7, 2}};
    pa_dtype d[] = {PA_F64, PA_U8, PA_C64};
    size_t r0[3], nr[3];
    for (int k = 0; k < 3; k++) {
        pa_array *a = NULL;
        TU_OK(pa_array_create(ctx, d[k], 3, s[k], D, &a), ctx);
        TU_OK(pa_array_node_rows(a, &r0[k], &nr[k]), ctx);
        pa_array_free(&a);
    }
    TU_CHECK(r0[0] == r0[1] && r0[1] == r0[2] && nr[0] == nr[1] && nr[1] == nr[2]);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("broadcast");
    TCase *tc = tu_tcase(s, "broadcast");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_binary_rules);
    tcase_add_test(tc, test_eval_rules);
    tcase_add_test(tc, test_standardise);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_same_rows);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
