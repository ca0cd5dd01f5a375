/* The dtype descriptor table (src/dtype.c) against itself and against the
 * formats it describes: every dtype's name parses back to it, its .npy
 * descr in both byte orders goes through parray's header writer and parser
 * to the same dtype, its HDF5 types have its size, class and sign and map
 * back to it, its conversions keep pa_astype's rules, and its CSV text
 * reads back to the same bits. A dtype added to PA_DTYPE_LIST is checked
 * here without a line of this file changing. */
#include "testutil.h"

#include <math.h>

#include "compute.h"
#include "dtype.h"
#include "files.h"
#include "h5.h"

static void setup(void)
{
    tu_ctx_setup();
}

/* Unchecked, so without checks (see tu_ctx_free). */
static void teardown(void)
{
    tu_ctx_free();
}

static const int host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

START_TEST(names_parse_back)
{
    int bad = 0;
    for (int i = 0; i < PA_NDTYPES; i++) {
        pa_dtype d = (pa_dtype)i, back = PA_NDTYPES;
        const pa__dtype_info *t = &pa__dtypes[d];
        bad += pa_dtype_parse(pa_dtype_name(d), &back) != PA_OK || back != d;
        bad += pa_dtype_size(d) != t->size || strcmp(pa_dtype_name(d), t->name) != 0;
        if (t->kind == PA__KIND_BOOL) {
            /* numpy's and parray's name are both "bool", its code '?'. */
            bad += strcmp(t->numpy, "bool") != 0 || strcmp(t->name, "bool") != 0 ||
                   t->numpy_char != '?' || t->size != 1;
            continue;
        }
        /* numpy's name ends in the bits: "float64" for 8 bytes. */
        const char *digits = t->numpy + strcspn(t->numpy, "0123456789");
        bad += strtol(digits, NULL, 10) != (long)(8 * t->size) || t->numpy_char == 0;
        /* The name is kind letter and bits as well: "f64". */
        bad += strtol(t->name + 1, NULL, 10) != (long)(8 * t->size);
    }
    TU_ASSERT(bad == 0, "%d name facts differ", bad);
    /* An unknown name is refused with every name in the message. */
    pa_dtype d;
    TU_ASSERT(pa_dtype_parse("f65", &d) == PA_EINVAL, "f65 parsed");
    const char *msg = pa_errmsg(NULL);
    for (int i = 0; i < PA_NDTYPES; i++)
        TU_ASSERT(strstr(msg, pa__dtypes[i].name) != NULL, "'%s' lacks %s", msg,
                  pa__dtypes[i].name);
}
END_TEST

/* The .npy kind letter of each kind. */
static char npy_kind(pa__kind k)
{
    switch (k) {
    case PA__KIND_BOOL: return 'b';
    case PA__KIND_SINT: return 'i';
    case PA__KIND_UINT: return 'u';
    case PA__KIND_FLOAT: return 'f';
    case PA__KIND_COMPLEX: return 'c';
    }
    return '?';
}

START_TEST(npy_descr_round_trips)
{
    int bad = 0;
    for (int i = 0; i < PA_NDTYPES; i++) {
        const pa__dtype_info *t = &pa__dtypes[i];
        for (int big = 0; big < 2; big++) {
            const char *descr = t->npy_descr[big];
            char order = t->size == 1 ? '|' : big ? '>' : '<';
            bad += descr[0] != order || descr[1] != npy_kind(t->kind) ||
                   strtol(descr + 2, NULL, 10) != (long)t->size;
            pa__finfo info = {(pa_dtype)i, 1, {3}}, back;
            unsigned char head[256];
            size_t hl = pa__npy_header(&info, big, head, sizeof head), off, need;
            char want[32];
            snprintf(want, sizeof want, "'descr': '%s'", descr);
            int swap = -1;
            bad += hl == 0 || !memmem(head, hl, want, strlen(want));
            bad += pa__npy_parse(ctx, "test", "x.npy", head, hl, &back, &off, &swap, &need) !=
                       PA_OK ||
                   back.dtype != (pa_dtype)i || off != hl ||
                   swap != (t->size > 1 && big != host_big);
        }
    }
    TU_ASSERT(bad == 0, "%d .npy descrs do not round-trip", bad);
}
END_TEST

START_TEST(h5_types_match)
{
    int bad = 0;
    for (int i = 0; i < PA_NDTYPES; i++) {
        const pa__dtype_info *t = &pa__dtypes[i];
        hid_t be = H5Tcopy(t->h5_file());
        ck_assert(be >= 0);
        if (t->size > 1)
            ck_assert(H5Tset_order(be, H5T_ORDER_BE) >= 0);
        hid_t types[3] = {t->h5_mem(), t->h5_file(), be};
        for (int k = 0; k < 3; k++) {
            hid_t h = types[k];
            H5T_class_t cls = H5Tget_class(h);
            bad += H5Tget_size(h) != t->size;
            bad += (t->kind == PA__KIND_FLOAT) != (cls == H5T_FLOAT);
            if (cls == H5T_INTEGER)
                bad += (H5Tget_sign(h) == H5T_SGN_2) != (t->kind == PA__KIND_SINT);
            pa_dtype back = PA_NDTYPES;
            bad += pa__h5_dtype_of(ctx, "test", h, "x", &back) != PA_OK || back != (pa_dtype)i;
        }
        bad += H5Tget_order(t->h5_file()) != H5T_ORDER_LE && t->size > 1;
        H5Tclose(be);
    }
    TU_ASSERT(bad == 0, "%d HDF5 facts differ", bad);
}
END_TEST

/* Element 0 of dtype d at p as a double, through the table. */
static double as_f64(pa_dtype d, const void *p)
{
    double v;
    pa__dtypes[d].to_f64(&v, p, 1);
    return v;
}

START_TEST(conversions_keep_astype_rules)
{
    int bad = 0;
    for (int i = 0; i < PA_NDTYPES; i++) {
        pa_dtype d = (pa_dtype)i;
        const pa__dtype_info *t = &pa__dtypes[d];
        unsigned char x[16], y[16];
        int64_t m3 = -3, back;
        if (t->kind == PA__KIND_BOOL) {
            /* numpy's astype(bool): nonzero, NaN and inf are true. */
            static const double vals[] = {0.0, -0.0, 0.5, -2.75, NAN, INFINITY, 1e300, 7.0};
            for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
                pa__from_double(x, d, vals[k]);
                bad += x[0] != (vals[k] != 0) || as_f64(d, x) != (double)(vals[k] != 0);
            }
            t->from_i64(x, &m3, 1);
            t->to_i64(&back, x, 1);
            bad += x[0] != 1 || back != 1;
            int64_t two56 = (int64_t)1 << 56; /* no bit in the low byte: still true */
            t->from_i64(x, &two56, 1);
            bad += x[0] != 1;
            continue;
        }
        pa__from_double(x, d, 7.0);
        pa__convert(y, d, &(double){7.0}, PA_F64, 1);
        bad += as_f64(d, x) != 7.0 || memcmp(x, y, t->size) != 0;
        t->from_i64(x, &m3, 1);
        t->to_i64(&back, x, 1);
        if (pa__dtype_is_int(d)) {
            /* Integers keep the low bits; floats truncate toward zero and
             * saturate; NaN is 0. */
            bad += back != (t->kind == PA__KIND_SINT ? -3 : (int64_t)(t->max - 2));
            pa__from_double(x, d, NAN);
            bad += as_f64(d, x) != 0.0;
            pa__from_double(x, d, 1e300);
            bad += as_f64(d, x) != (double)t->max;
            pa__from_double(x, d, -1e300);
            bad += as_f64(d, x) != (double)t->min;
            pa__from_double(x, d, -2.75);
            bad += as_f64(d, x) != (t->kind == PA__KIND_SINT ? -2.0 : 0.0);
        } else {
            bad += back != -3;
            pa__from_double(x, d, 0.5);
            bad += as_f64(d, x) != 0.5;
        }
    }
    TU_ASSERT(bad == 0, "%d conversions differ", bad);
}
END_TEST

/* Every pair's conversion compiled for each instruction set this CPU has
 * gives, over whole tiles and a remainder, the bits of the plain per-element
 * cast (a one-element call runs only the remainder loop). The sources are
 * random bits (NaN payloads, infinities, subnormals, out-of-range floats)
 * and, one element in three, a double just beside an f16 rounding tie,
 * where converting f64 -> f16 through float could round twice. */
START_TEST(conversions_agree_across_isas)
{
    enum { N = 3 * 64 + 5 };
    static unsigned char src[N * 16], got[N * 16], want[N * 16];
    uint64_t r = 88172645463325252u;
    int bad = 0;
    for (int sd = 0; sd < PA_NDTYPES; sd++) {
        size_t ss = pa__dtypes[sd].size;
        for (size_t i = 0; i < N; i++) {
            for (size_t b = 0; b < ss; b++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                src[i * ss + b] = pa__dtypes[sd].kind == PA__KIND_BOOL ? (unsigned char)(r & 1)
                                                                       : (unsigned char)r;
            }
            if (i % 3 == 0 && pa__dtypes[sd].kind != PA__KIND_BOOL) {
                /* An odd 12-bit number times a power of two: a tie between
                 * two f16 neighbours, nudged by less than a float ulp. */
                double tie = ldexp((double)(2048 + 2 * (r % 1024) + 1),
                                   (int)((r >> 40) % 24) - 30);
                double v = tie * (1 + (i % 2 ? 1 : -1) * ldexp(1, -30));
                pa__from_double(src + i * ss, (pa_dtype)sd, v);
            }
        }
        for (int dd = 0; dd < PA_NDTYPES; dd++) {
            size_t ds = pa__dtypes[dd].size;
            for (size_t i = 0; i < N; i++)
                pa__convert_isa(want + i * ds, (pa_dtype)dd, src + i * ss, (pa_dtype)sd, 1,
                                PA_ISA_BASE);
            for (int isa = PA_ISA_BASE; isa <= PA_ISA_AVX512; isa++) {
                if (pa__convert_isa(got, (pa_dtype)dd, src, (pa_dtype)sd, N, isa) != 0)
                    continue; /* this CPU lacks it */
                if (memcmp(got, want, N * ds) != 0) {
                    if (bad++ < 5)
                        fprintf(stderr, "%s -> %s differs from the cast on instruction set %d\n",
                                pa__dtypes[sd].name, pa__dtypes[dd].name, isa);
                }
            }
        }
    }
    TU_ASSERT(bad == 0, "%d conversions differ from the per-element cast", bad);
}
END_TEST

/* f64 -> i32 at the edges of i32's range, on every instruction set:
 * truncation inside it, saturation beyond it, NaN 0, in whole vectors,
 * whole tiles of the generic conversions (CONV_TILE, 64) and the
 * remainder. */
START_TEST(f64_to_i32_edges)
{
    const double v[] = {NAN,           -NAN,          INFINITY,      -INFINITY,     -0.0,
                        -0.7,          2147483647.0,  2147483647.5,  2147483648.0,  2147483648.5,
                        -2147483648.0, -2147483648.5, -2147483649.0, -2147483647.5, 1e300,
                        -1e300,        4294967296.5,  -12.9};
    const int32_t want[] = {0,         0,          INT32_MAX, INT32_MIN, 0,         0,
                            INT32_MAX, INT32_MAX,  INT32_MAX, INT32_MAX, INT32_MIN, INT32_MIN,
                            INT32_MIN, -INT32_MAX, INT32_MAX, INT32_MIN, INT32_MAX, -12};
    enum { K = sizeof v / sizeof v[0], N = 8 * K + 5 };
    double src[N];
    int32_t got[N];
    for (int i = 0; i < N; i++)
        src[i] = v[i % K];
    for (int isa = PA_ISA_BASE; isa <= PA_ISA_AVX512; isa++) {
        if (pa__convert_isa(got, PA_I32, src, PA_F64, N, isa) != 0)
            continue;
        for (int i = 0; i < N; i++)
            TU_ASSERT(got[i] == want[i % K], "instruction set %d: %.17g -> %d, not %d", isa,
                      src[i], (int)got[i], (int)want[i % K]);
    }
}
END_TEST

START_TEST(csv_text_round_trips)
{
    int bad = 0;
    for (int i = 0; i < PA_NDTYPES; i++) {
        pa_dtype d = (pa_dtype)i;
        const pa__dtype_info *t = &pa__dtypes[d];
        unsigned char x[16], y[16];
        char text[64];
        int range = -1;
        if (pa__dtype_is_complex(d)) {
            /* CSV holds no complex dtype: nothing formats or parses. */
            memset(x, 0, sizeof x);
            bad += pa__csv_format_elem(d, x, text, sizeof text) != 0 ||
                   pa__csv_number("1", d, y, &range) != NULL;
            continue;
        }
        /* The extremes of an integer dtype; a value with every mantissa
         * bit for a float one. */
        double vals[2] = {pa__dtype_is_int(d) ? (double)t->min : 0.1,
                          pa__dtype_is_int(d) ? (double)t->max : -1.0 / 3.0};
        for (int k = 0; k < 2; k++) {
            range = -1;
            pa__from_double(x, d, vals[k]);
            int len = pa__csv_format_elem(d, x, text, sizeof text);
            const char *end = pa__csv_number(text, d, y, &range);
            bad += len <= 0 || end != text + len || range != 0 || memcmp(x, y, t->size) != 0;
        }
    }
    TU_ASSERT(bad == 0, "%d CSV texts do not read back", bad);
    /* bool reads numpy's loadtxt integers (nonzero is true) and Python's
     * True and False; a fraction or another word is not a bool. */
    static const struct {
        const char *text;
        int value; /* -1: refused */
    } bools[] = {{"0", 0},     {"1", 1},    {"2", 1},     {"-1", 1}, {"True", 1},
                 {"False", 0}, {"1.5", -1}, {"true", -1}, {"x", -1}};
    for (size_t k = 0; k < sizeof bools / sizeof bools[0]; k++) {
        unsigned char y = 0xA5;
        int range = -1;
        const char *text = bools[k].text;
        const char *end = pa__csv_number(text, PA_BOOL, &y, &range);
        int whole = end == text + strlen(text);
        bad += bools[k].value < 0 ? whole : !whole || y != bools[k].value;
    }
    TU_ASSERT(bad == 0, "%d bool texts read wrong", bad);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("dtype");
    TCase *tc = tu_tcase(s, "dtype");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, names_parse_back);
    tcase_add_test(tc, npy_descr_round_trips);
    tcase_add_test(tc, h5_types_match);
    tcase_add_test(tc, conversions_keep_astype_rules);
    tcase_add_test(tc, conversions_agree_across_isas);
    tcase_add_test(tc, f64_to_i32_edges);
    tcase_add_test(tc, csv_text_round_trips);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
