/* Tests of the element-wise kernel layer, called directly: every op of
 * opdefs.h on every dtype whose kind has it, in every instruction set this
 * CPU runs, plain and streaming, at the stride patterns the layer
 * specialises (all 1, one or two operands 0) and general ones (2/3, a
 * negative stride, a strided output), at lengths around the vector width
 * and the block and from unaligned starts, against a scalar reference
 * built here from opdefs.h's expressions: the same bits, the same error
 * bits, and not one byte written outside the output's elements. Also the
 * table of what each kind has: PA_ENOTSUP naming op and dtype, never a
 * NULL kernel. Nothing here names a dtype: a new line of PA_DTYPE_LIST is
 * tested as it is. */
#include "testutil.h"

#include <assert.h>
#include <math.h>

#include "kernels.h"

/* ------------------------------------------------------------ reference */

/* One element of op on dtype DT: opdefs.h's expression on the operands at
 * px, py, pz (read whatever the op's arity), stored at o; returns the
 * PA_OPERR_* bits. Built where the kernel layer builds a kernel. */
typedef int (*ref_fn)(void *o, const void *px, const void *py, const void *pz);
#define REF_FN(DT, CT, CU, OT, N, E)                                                             \
    static int ref_##DT##_##N(void *o, const void *px, const void *py, const void *pz)           \
    {                                                                                            \
        typedef CT T;                                                                            \
        typedef CU U;                                                                            \
        (void)sizeof(U);                                                                         \
        int err = 0;                                                                             \
        T x, y, z;                                                                               \
        memcpy(&x, px, sizeof x);                                                                \
        memcpy(&y, py, sizeof y);                                                                \
        memcpy(&z, pz, sizeof z);                                                                \
        (void)x;                                                                                 \
        (void)y;                                                                                 \
        (void)z;                                                                                 \
        OT r = (E);                                                                              \
        memcpy(o, &r, sizeof r);                                                                 \
        return err;                                                                              \
    }
/* A dtype that computes in another's kernels (kernels.h's PA__WIDE): the
 * other's reference on the operands converted to it, rounded once. The
 * conversions go through memory: gcc, which assumes no signalling NaNs,
 * would drop a conversion to float and back, which quiets one. */
#define REF_WIDE_FN(DT, CT, OT, N, W, WT) REF_WIDE_FN_(DT, CT, OT, N, W, WT)
#define REF_WIDE_FN_(DT, CT, OT, N, W, WT)                                                       \
    static int ref_##DT##_##N(void *o, const void *px, const void *py, const void *pz)           \
    {                                                                                            \
        CT x, y, z;                                                                              \
        memcpy(&x, px, sizeof x);                                                                \
        memcpy(&y, py, sizeof y);                                                                \
        memcpy(&z, pz, sizeof z);                                                                \
        volatile WT vx = x, vy = y, vz = z; /* no folding of a round trip away */                \
        WT wx = vx, wy = vy, wz = vz;                                                            \
        __typeof__(_Generic((OT)0, CT : (WT)0, default : (OT)0)) wr;                             \
        int err = ref_##W##_##N(&wr, &wx, &wy, &wz);                                             \
        if (pa__kernel_arity(PA__KOP_##N) > 1)                                                   \
            wr = pa_half_nan(wr); /* the default quiet NaN, as the kernels give it */            \
        OT r = (OT)wr;                                                                           \
        memcpy(o, &r, sizeof r);                                                                 \
        return err;                                                                              \
    }
#define REF_OP(N, n, iok, FE, IE) PA_DTYPE_LIST_WITH(REF_DT, (N, iok, FE, IE))
#define REF_DT(OP, DT, dt, CT, CU, KIND, ...)                                                    \
    PA__DT_CALL(REF_DT_, DT, CT, CU, KIND, PA__DT_UNPACK OP)
#define REF_DT_(DT, CT, CU, KIND, N, iok, FE, IE)                                                \
    PA__WHEN(PA__OP_HAS(KIND, N, iok),                                                           \
             REF_DT_OUT(                                                                         \
                 DT, CT, CU, KIND, N, FE, IE,                                                    \
                 PA__SEL(PA__OP_IS_PREDICATE(N), PA__SEL(PA__TO_PART(KIND, N), CT, CU), _Bool)))
#define REF_DT_OUT(DT, CT, CU, KIND, N, FE, IE, OT)                                              \
    PA__WHEN(PA__IN_WIDE(DT, N), REF_WIDE_FN(DT, CT, OT, N, PA__WIDE_OF_##DT, PA__WIDE_T_##DT))  \
    PA__WHEN(PA__NOT(PA__IN_WIDE(DT, N)),                                                        \
             REF_FN(DT, CT, CU, OT, N, PA__SEL(PA__IS_INT(KIND), FE, IE)))
PA__KERNEL_OPS(REF_OP)

#define REFT_OP(N, n, iok, FE, IE) PA_DTYPE_LIST_WITH(REFT_DT, (N, iok))
#define REFT_DT(OP, DT, dt, CT, CU, KIND, ...) PA__DT_CALL(REFT_DT_, DT, KIND, PA__DT_UNPACK OP)
#define REFT_DT_(DT, KIND, N, iok)                                                               \
    PA__WHEN(PA__OP_HAS(KIND, N, iok), [PA_##DT][PA__KOP_##N] = ref_##DT##_##N, )
static const ref_fn refs[PA_NDTYPES][PA__KOP_N] = {PA__KERNEL_OPS(REFT_OP)};

/* ------------------------------------------------------------ inputs */

/* Elements per operand buffer: room for the longest run at stride 5. */
#define NBUF 2048

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 11;
}

/* Operand j's buffer of dtype d: specials (for complex in both parts) and
 * a spread through pa__from_double (the second and third operands also small whole numbers,
 * divisors and exponents), every third element random bits (wrapping
 * integers, NaN payloads, subnormals; for bool a random 0 or 1). */
static void make_input(char *buf, pa_dtype d, int j)
{
    static const double special[] = {0.0,  -0.0,   0.5,   1.5,   2.5,      -2.5,
                                     -0.5, 1.0,    -1.0,  3.0,   INFINITY, -INFINITY,
                                     NAN,  1e-300, 700.0, 1e300, -7.0};
    size_t es = pa_dtype_size(d), nsp = sizeof special / sizeof special[0];
    uint64_t s = 12345u + (uint64_t)j * 977u + (uint64_t)d * 31u;
    for (size_t i = 0; i < NBUF; i++) {
        char *p = buf + i * es;
        if (i % 3 == 2 && pa__dtypes[d].kind == PA__KIND_BOOL) {
            p[0] = (char)(lcg(&s) & 1); /* a bool's byte is only ever 0 or 1 */
        } else if (i % 3 == 2) {
            for (size_t q = 0; q < es; q++)
                p[q] = (char)lcg(&s);
        } else if (i < 2 * nsp) {
            pa__from_double(p, d, special[(i + (size_t)j * 5) % nsp]);
            /* A complex special has a special imaginary part too, so that
             * the swapped and negated lanes of the products meet them. */
            if (pa__dtype_is_complex(d))
                pa__from_double(p + es / 2, pa__dtype_real(d),
                                special[(7 * i + (size_t)j * 3 + 4) % nsp]);
        } else if (j > 0 && i % 2) {
            pa__from_double(p, d, (double)((int)(lcg(&s) % 19) - 9));
        } else {
            pa__from_double(p, d, -300.0 + (double)(lcg(&s) % 60001) / 100.0);
        }
    }
}

/* ------------------------------------------------------------ the sweep */

typedef struct {
    char *in[3];      /* operand buffers, NBUF elements each */
    char *out, *want; /* output buffers */
    size_t outcap;    /* bytes of each output buffer */
    long calls, fails;
    char first[512]; /* the first failure */
} sweep;

static const char *const isa_names[] = {"base", "avx2", "avx512"};

/* One call of kernel k against the reference: n elements from element off
 * of every buffer (the last element, for a negative stride). The operands
 * are of dtype d, the output of the op's result dtype (a bool for a
 * predicate). */
static void check_call(sweep *w, pa__kernel k, ref_fn ref, pa__kop op, pa_dtype d,
                       const pa__strides *st, size_t n, size_t off, int nt, pa_isa isa)
{
    /* Operands of d, the output of the op's result dtype on d. */
    size_t es = pa_dtype_size(d), eo = pa_dtype_size(pa__kernel_result(op, d));
    const ptrdiff_t s[4] = {st->o, st->a, st->b, st->c};
    const char *p[3];
    for (int j = 0; j < 3; j++) {
        ptrdiff_t sj = s[j + 1];
        size_t first = off + (sj < 0 && n ? (n - 1) * (size_t)-sj : 0);
        p[j] = w->in[j] + first * es;
    }
    size_t span = (off + (n ? (n - 1) * (size_t)s[0] + 1 : 0) + 8) * eo;
    assert(s[0] > 0 && span <= w->outcap);
    memset(w->out, 0xA5, span);
    memset(w->want, 0xA5, span);
    char *o = w->out + off * eo, *want = w->want + off * eo;
    int got_err = k(o, p[0], p[1], p[2], n, st), want_err = 0;
    for (size_t i = 0; i < n; i++) {
        ptrdiff_t ii = (ptrdiff_t)i;
        want_err |= ref(want + ii * s[0] * (ptrdiff_t)eo, p[0] + ii * s[1] * (ptrdiff_t)es,
                        p[1] + ii * s[2] * (ptrdiff_t)es, p[2] + ii * s[3] * (ptrdiff_t)es);
    }
    w->calls++;
    size_t bad = 0;
    while (bad < span && w->out[bad] == w->want[bad])
        bad++;
    if (bad == span && got_err == want_err)
        return;
    if (w->fails++ > 0)
        return;
    /* The element's bytes, as the kernel wrote them and as they should be. */
    size_t e = (bad < span ? bad : 0) / eo * eo, ec = eo < 8 ? eo : 8;
    uint64_t got = 0, exp = 0;
    memcpy(&got, w->out + e, ec);
    memcpy(&exp, w->want + e, ec);
    snprintf(w->first, sizeof w->first,
             "%s %s %s%s strides o=%td a=%td b=%td c=%td n=%zu off=%zu: %s; output element "
             "%td is %#llx, not %#llx; error bits %d, not %d",
             pa__kernel_op_name(op), pa_dtype_name(d), isa_names[isa], nt ? " streaming" : "",
             s[0], s[1], s[2], s[3], n, off, bad < span ? "bytes differ" : "error bits differ",
             (ptrdiff_t)(e / eo) - (ptrdiff_t)off, (unsigned long long)got,
             (unsigned long long)exp, got_err, want_err);
}

/* The stride patterns of each arity: the specialised ones first, then
 * general ones. */
static const pa__strides pat1[] = {
    {1, 1, 0, 0}, {1, 0, 0, 0}, {2, 3, 0, 0}, {1, -1, 0, 0}, {3, 1, 0, 0}};
static const pa__strides pat2[] = {{1, 1, 1, 0}, {1, 1, 0, 0}, {1, 0, 1, 0}, {2, 2, 3, 0},
                                   {1, 2, 3, 0}, {1, 0, 0, 0}, {1, -1, 1, 0}};
static const pa__strides pat3[] = {{1, 1, 1, 1}, {1, 0, 1, 1}, {1, 1, 0, 1},
                                   {1, 1, 1, 0}, {1, 1, 0, 0}, {1, 0, 1, 0},
                                   {1, 0, 0, 1}, {2, 2, 3, 5}, {1, 3, 2, 1}};
static const size_t lengths[] = {0, 1, 7, 31, 127, PA__KERNEL_BLK, 129, 333};

static void sweep_op_dtype(sweep *w, pa__kop op, pa_dtype d)
{
    const pa__strides *pats = pat1;
    size_t npat = sizeof pat1 / sizeof pat1[0];
    if (pa__kernel_arity(op) == 2) {
        pats = pat2;
        npat = sizeof pat2 / sizeof pat2[0];
    } else if (pa__kernel_arity(op) == 3) {
        pats = pat3;
        npat = sizeof pat3 / sizeof pat3[0];
    }
    for (int isa = PA_ISA_BASE; isa <= (int)pa__cpu_isa(); isa++)
        for (int nt = 0; nt < 2; nt++) {
            pa__kernel k = pa__kernel_find_isa(op, d, nt, (pa_isa)isa);
            if (!k) {
                if (w->fails++ == 0)
                    snprintf(w->first, sizeof w->first, "%s %s %s: no kernel",
                             pa__kernel_op_name(op), pa_dtype_name(d), isa_names[isa]);
                continue;
            }
            for (size_t q = 0; q < npat; q++)
                for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
                    for (size_t off = 0; off < 2; off++)
                        check_call(w, k, refs[d][op], op, d, &pats[q], lengths[l], off, nt,
                                   (pa_isa)isa);
        }
}

/* Every op and dtype that has a kernel, against the reference. */
START_TEST(test_every_op_dtype_stride)
{
    sweep w = {.outcap = (NBUF + 16) * sizeof(pa__elem)};
    for (int j = 0; j < 3; j++)
        w.in[j] = aligned_alloc(PA_CACHE_LINE, NBUF * sizeof(pa__elem));
    w.out = aligned_alloc(PA_CACHE_LINE, w.outcap);
    w.want = aligned_alloc(PA_CACHE_LINE, w.outcap);
    long ops = 0;
    for (int d = 0; d < PA_NDTYPES; d++) {
        for (int j = 0; j < 3; j++)
            make_input(w.in[j], (pa_dtype)d, j);
        for (int op = 0; op < PA__KOP_N; op++)
            if (refs[d][op]) {
                sweep_op_dtype(&w, (pa__kop)op, (pa_dtype)d);
                ops++;
            }
    }
    TU_ASSERT(w.fails == 0, "%ld of %ld kernel calls wrong; first: %s", w.fails, w.calls,
              w.first);
    /* Every dtype has some ops, and every op some dtype. */
    TU_ASSERT(ops >= PA__KOP_N && w.calls > 0, "%ld (op, dtype) pairs tested", ops);
    for (int j = 0; j < 3; j++)
        free(w.in[j]);
    free(w.out);
    free(w.want);
}
END_TEST

/* A kernel that pa__kernel_get must overwrite. */
static int not_a_kernel(void *o, const void *a, const void *b, const void *c, size_t n,
                        const pa__strides *st)
{
    (void)o, (void)a, (void)b, (void)c, (void)n, (void)st;
    return -1;
}

/* The table: a kernel exactly where the reference exists (opdefs.h's
 * PA__OP_HAS), and PA_ENOTSUP naming the op and the dtype elsewhere. */
START_TEST(test_support_table)
{
    int bad = 0;
    char first[256] = "";
    for (int d = 0; d < PA_NDTYPES; d++)
        for (int op = 0; op < PA__KOP_N; op++) {
            pa__kernel k = not_a_kernel;
            int rc = pa__kernel_get(ctx, "test", (pa__kop)op, (pa_dtype)d, 0, &k);
            int has = pa__kernel_has((pa__kop)op, (pa_dtype)d);
            int ok = refs[d][op] ? rc == PA_OK && k && has
                                 : rc == PA_ENOTSUP && !k && !has &&
                                       strstr(pa_errmsg(ctx), pa__kernel_op_name((pa__kop)op)) &&
                                       strstr(pa_errmsg(ctx), pa_dtype_name((pa_dtype)d));
            if (!ok && bad++ == 0)
                snprintf(first, sizeof first, "%s %s: rc %d, has %d, message '%s'",
                         pa__kernel_op_name((pa__kop)op), pa_dtype_name((pa_dtype)d), rc, has,
                         rc == PA_OK ? "" : pa_errmsg(ctx));
        }
    TU_ASSERT(bad == 0, "%d wrong; first: %s", bad, first);
    /* Out of range: no kernel, no crash. */
    TU_CHECK(pa__kernel_find_isa(PA__KOP_N, 0, 0, PA_ISA_BASE) == NULL);
    TU_CHECK(pa__kernel_find_isa(PA__KOP_ADD, PA_NDTYPES, 0, PA_ISA_BASE) == NULL);
    TU_CHECK(pa__kernel_find_isa(PA__KOP_ADD, (pa_dtype)-1, 0, PA_ISA_BASE) == NULL);
    TU_CHECK(pa__kernel_arity(PA__KOP_NEG) == 1 && pa__kernel_arity(PA__KOP_ADD) == 2 &&
             pa__kernel_arity(PA__KOP_WHERE) == 3 && pa__kernel_arity(PA__KOP_COPY) == 1);
    TU_CHECK(strcmp(pa__kernel_op_name(PA__KOP_LT), "less") == 0);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tu_tcase(s, "kernels");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_every_op_dtype_stride);
    tcase_add_test(tc, test_support_table);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
