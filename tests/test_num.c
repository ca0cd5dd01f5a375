/* The command line's number parser (apps/num.c): whole texts only, no
 * blank, no sign where none is allowed, no wrap-around, the option named in
 * every message; reals as Python's float() reads them, bit for bit
 * (subnormals, overflow to inf); sizes with units in exact integers. The
 * parser is not collective: every rank checks the same cases. */
#include "testutil.h"

#include <math.h>

#include "num.h"

static char err[512];

static uint64_t bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* The last message holds want. */
static int err_has(const char *want)
{
    return strstr(err, want) != NULL;
}

START_TEST(unsigned_integers)
{
    uint64_t v = 7;
    TU_CHECK(num_uint("--seed", "18446744073709551615", 0, UINT64_MAX, &v, err, sizeof err) ==
                 0 &&
             v == UINT64_MAX);
    TU_CHECK(num_uint("--seed", "0", 0, UINT64_MAX, &v, err, sizeof err) == 0 && v == 0);
    TU_CHECK(num_uint("--seed", "007", 0, UINT64_MAX, &v, err, sizeof err) == 0 && v == 7);
    /* 2^64 wraps nowhere. */
    v = 5;
    TU_CHECK(num_uint("--seed", "18446744073709551616", 0, UINT64_MAX, &v, err, sizeof err) < 0 &&
             v == 5);
    TU_ASSERT(err_has("--seed: 18446744073709551616 is out of range [0, 18446744073709551615]"),
              "%s", err);
    /* Signs, blanks, empty text and trailing junk. */
    static const char *const bad[] = {" -1", "-1",   "+1",  " 1",  "1 ",  "",
                                      "1x",  "0x10", "1e3", "1.0", "\t1", "1,2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = num_uint("--seed", bad[i], 0, UINT64_MAX, &v, err, sizeof err);
        char want[64];
        snprintf(want, sizeof want, "--seed: '%s' is not a non-negative integer", bad[i]);
        TU_ASSERT(rc < 0 && v == 5 && err_has(want), "'%s': rc %d, '%s'", bad[i], rc, err);
    }
    /* The option's own range. */
    TU_CHECK(num_uint("--rows-per-block", "18446744073709551615", 1, INT64_MAX, &v, err,
                      sizeof err) < 0);
    TU_ASSERT(err_has("--rows-per-block: 18446744073709551615 is out of range [1, "
                      "9223372036854775807]"),
              "%s", err);
    TU_CHECK(num_uint("-j", "0", 1, 256, &v, err, sizeof err) < 0 &&
             err_has("-j: 0 is out of range [1, 256]"));
    TU_CHECK(num_uint("-j", "256", 1, 256, &v, err, sizeof err) == 0 && v == 256);
}
END_TEST

START_TEST(signed_integers)
{
    int64_t v = 3;
    TU_CHECK(num_int("--low", "-9223372036854775808", INT64_MIN, INT64_MAX, &v, err,
                     sizeof err) == 0 &&
             v == INT64_MIN);
    TU_CHECK(num_int("--low", "9223372036854775807", INT64_MIN, INT64_MAX, &v, err, sizeof err) ==
                 0 &&
             v == INT64_MAX);
    TU_CHECK(num_int("--low", "+12", INT64_MIN, INT64_MAX, &v, err, sizeof err) == 0 && v == 12);
    /* Exact: 2^53 + 1 is not rounded to a double on the way. */
    TU_CHECK(num_int("--low", "9007199254740993", INT64_MIN, INT64_MAX, &v, err, sizeof err) ==
                 0 &&
             v == 9007199254740993LL);
    v = 3;
    TU_CHECK(num_int("--low", "9223372036854775808", INT64_MIN, INT64_MAX, &v, err, sizeof err) <
                 0 &&
             v == 3 && err_has("--low: 9223372036854775808 is out of range"));
    TU_CHECK(num_int("--low", "-9223372036854775809", INT64_MIN, INT64_MAX, &v, err, sizeof err) <
                 0 &&
             v == 3);
    static const char *const bad[] = {" -1", "- 1", "--1", "", "-", "+", "1.5", "1e2", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TU_ASSERT(num_int("--low", bad[i], INT64_MIN, INT64_MAX, &v, err, sizeof err) < 0 &&
                      v == 3 && err_has("--low: '") && err_has("is not an integer"),
                  "'%s': '%s'", bad[i], err);
}
END_TEST

START_TEST(reals)
{
    /* Each text gives exactly the bits that the C library's correctly
     * rounded conversion gives, as Python's float() does. */
    static const struct {
        const char *text;
        uint64_t bits;
    } good[] = {
        {"5e-324", 0x1ULL}, /* the smallest subnormal */
        {"-5e-324", 0x8000000000000001ULL},
        {"1e-310", 0x000012688b70e62bULL},                  /* a subnormal */
        {"2.2250738585072011e-308", 0x000fffffffffffffULL}, /* the largest subnormal */
        {"1e-400", 0x0ULL},                                 /* below every subnormal: 0 */
        {"-1e-400", 0x8000000000000000ULL},
        {"1e400", 0x7ff0000000000000ULL}, /* overflow: inf, as float('1e400') */
        {"-1e400", 0xfff0000000000000ULL},
        {"1.7976931348623157e308", 0x7fefffffffffffffULL},
        {"inf", 0x7ff0000000000000ULL},
        {"-Infinity", 0xfff0000000000000ULL},
        {"+INF", 0x7ff0000000000000ULL},
        {".5", 0x3fe0000000000000ULL},
        {"5.", 0x4014000000000000ULL},
        {"-0", 0x8000000000000000ULL},
        {"0.1", 0x3fb999999999999aULL},
        {"2.5E+3", 0x40a3880000000000ULL},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = 0;
        int rc = num_real("k", good[i].text, 0, &v, err, sizeof err);
        TU_ASSERT(rc == 0 && bits(v) == good[i].bits,
                  "'%s': rc %d, bits %016llx, want %016llx (%s)", good[i].text, rc,
                  (unsigned long long)bits(v), (unsigned long long)good[i].bits, err);
    }
    double v = 1;
    TU_CHECK(num_real("k", "nan", 0, &v, err, sizeof err) == 0 && isnan(v));
    TU_CHECK(num_real("k", "-NaN", 0, &v, err, sizeof err) == 0 && isnan(v));

    static const char *const bad[] = {" 1",  "1 ",  "",        ".",      "e5",
                                      "1e",  "1e+", "0x1p3",   "nan(1)", "1_000",
                                      "--1", "1,5", "infinit", "in f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 1;
        int rc = num_real("k", bad[i], 0, &v, err, sizeof err);
        TU_ASSERT(rc < 0 && v == 1 && err_has("k: '") && err_has("is not a number"),
                  "'%s': rc %d, '%s'", bad[i], rc, err);
    }
    /* finite: inf and nan are refused, and an overflow says that it is one. */
    TU_CHECK(num_real("--low", "1e400", 1, &v, err, sizeof err) < 0 && v == 1);
    TU_ASSERT(err_has("--low: '1e400' is beyond the range of a double (it would be inf)"), "%s",
              err);
    TU_CHECK(num_real("--low", "-inf", 1, &v, err, sizeof err) < 0 &&
             err_has("--low: '-inf' is not a finite number"));
    TU_CHECK(num_real("--low", "5e-324", 1, &v, err, sizeof err) == 0 && bits(v) == 1);

    double p[2] = {0, 0};
    TU_CHECK(num_real_pair("--linspace", "-1,1e-310", 1, p, err, sizeof err) == 0 && p[0] == -1 &&
             bits(p[1]) == 0x000012688b70e62bULL);
    TU_CHECK(num_real_pair("--linspace", "1,2,3", 1, p, err, sizeof err) < 0 &&
             err_has("--linspace: '1,2,3' is not two numbers A,B"));
    TU_CHECK(num_real_pair("--linspace", "1, 2", 1, p, err, sizeof err) < 0 &&
             err_has("--linspace: '1, 2': ' 2' is not a number"));
}
END_TEST

START_TEST(sizes)
{
    static const struct {
        const char *text;
        uint64_t value;
    } good[] = {
        {"800000000", 800000000},
        {"8e8", 800000000},
        {"800M", 800000000},
        {"800MB", 800000000},
        {"1GiB", 1ULL << 30},
        {"1.5Ki", 1536},
        {"0.5GiB", 1ULL << 29},
        {"100M", 100000000},
        {"1e8", 100000000},
        {"800.000", 800},
        {"12B", 12},
        {"4611686018427387904", 1ULL << 62},
        {"9007199254740993", 9007199254740993ULL}, /* exact, not through a double */
        /* more than 64 significant digits, the rest zeros */
        {"1.00000000000000000000000000000000000000000000000000000000000000000000000e3", 1000},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 0;
        int rc = num_size("--bytes", good[i].text, 1, UINT64_MAX, &v, err, sizeof err);
        TU_ASSERT(rc == 0 && v == good[i].value, "'%s': rc %d, %llu (%s)", good[i].text, rc,
                  (unsigned long long)v, err);
    }
    uint64_t v = 9;
    /* A nonzero digit past 64 significant ones: below the point, or too large. */
    TU_CHECK(
        num_size("--bytes",
                 "1.00000000000000000000000000000000000000000000000000000000000000000000001e3", 1,
                 UINT64_MAX, &v, err, sizeof err) < 0 &&
        v == 9 && err_has("is not a whole number"));
    TU_CHECK(
        num_size("--bytes",
                 "1.00000000000000000000000000000000000000000000000000000000000000000000001e70",
                 1, UINT64_MAX, &v, err, sizeof err) < 0 &&
        v == 9 && err_has("is out of range"));
    TU_CHECK(num_size("--bytes", "1.5", 1, UINT64_MAX, &v, err, sizeof err) < 0 &&
             err_has("--bytes: '1.5' is not a whole number"));
    TU_CHECK(num_size("--bytes", "1e-1000000", 1, UINT64_MAX, &v, err, sizeof err) < 0 &&
             err_has("is not a whole number"));
    TU_CHECK(num_size("--bytes", "18446744073709551616", 1, UINT64_MAX, &v, err, sizeof err) <
                 0 &&
             err_has("--bytes: 18446744073709551616 is out of range"));
    TU_CHECK(num_size("--bytes", "17TiB", 1, 1ULL << 62, &v, err, sizeof err) == 0 &&
             v == 17ULL << 40);
    TU_CHECK(num_size("--bytes", "5000000T", 1, 1ULL << 62, &v, err, sizeof err) < 0 &&
             err_has("--bytes: 5000000T is out of range [1, 4611686018427387904]"));
    TU_CHECK(num_size("--bytes", "1e99999999999999999999", 1, 1ULL << 62, &v, err, sizeof err) <
             0);
    TU_CHECK(num_size("--bytes", "0", 1, 10, &v, err, sizeof err) < 0 &&
             err_has("--bytes: 0 is out of range [1, 10]"));
    static const char *const bad[] = {" 1", "1 ",  "",    "-1", "+1", "1X",
                                      "M",  "1 M", "inf", "1e", ".",  "0x10"};
    v = 9;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TU_ASSERT(num_size("--size", bad[i], 1, UINT64_MAX, &v, err, sizeof err) < 0 && v == 9 &&
                      err_has("--size: '") && err_has("is not a size"),
                  "'%s': '%s'", bad[i], err);
}
END_TEST

START_TEST(lists)
{
    size_t out[4] = {0};
    int n = -1;
    TU_CHECK(num_uint_list("--shape", "10000,100", 0, SIZE_MAX, out, 4, &n, err, sizeof err) ==
                 0 &&
             n == 2 && out[0] == 10000 && out[1] == 100);
    TU_CHECK(num_uint_list("--shape", "0", 0, SIZE_MAX, out, 4, &n, err, sizeof err) == 0 &&
             n == 1 && out[0] == 0);
    TU_CHECK(num_uint_list("--shape", "10,-3", 0, SIZE_MAX, out, 4, &n, err, sizeof err) < 0 &&
             err_has("--shape: '10,-3': '-3' is not a non-negative integer"));
    TU_CHECK(num_uint_list("--shape", "10, 3", 0, SIZE_MAX, out, 4, &n, err, sizeof err) < 0 &&
             err_has("' 3' is not a non-negative integer"));
    TU_CHECK(num_uint_list("--shape", "10,", 0, SIZE_MAX, out, 4, &n, err, sizeof err) < 0 &&
             err_has("'' is not a non-negative integer"));
    TU_CHECK(num_uint_list("--shape", "", 0, SIZE_MAX, out, 4, &n, err, sizeof err) < 0);
    TU_CHECK(num_uint_list("--shape", "1,2,3,4,5", 0, SIZE_MAX, out, 4, &n, err, sizeof err) <
                 0 &&
             err_has("--shape: '1,2,3,4,5' has more than 4 values"));
    TU_CHECK(num_uint_list("--n", "2048,46341", 1, 46340, out, 4, &n, err, sizeof err) < 0 &&
             err_has("--n: '2048,46341': 46341 is out of range [1, 46340]"));
}
END_TEST

START_TEST(signed_lists_and_slices)
{
    int64_t out[4] = {0}, v[3];
    int n = -1, given[3];
    TU_CHECK(num_int_list("--cols", "6,0,-1", INT64_MIN, INT64_MAX, out, 4, &n, err,
                          sizeof err) == 0 &&
             n == 3 && out[0] == 6 && out[1] == 0 && out[2] == -1);
    TU_CHECK(num_int_list("--shape", "-2,7", -1, INT64_MAX, out, 4, &n, err, sizeof err) < 0 &&
             err_has("--shape: '-2,7': -2 is out of range [-1, 9223372036854775807]"));
    TU_CHECK(num_int_list("--cols", "1,x", INT64_MIN, INT64_MAX, out, 4, &n, err, sizeof err) <
                 0 &&
             err_has("--cols: '1,x': 'x' is not an integer"));
    TU_CHECK(num_slice("--rows", "3:-2:2", INT64_MIN, INT64_MAX, v, given, err, sizeof err) ==
                 0 &&
             given[0] && given[1] && given[2] && v[0] == 3 && v[1] == -2 && v[2] == 2);
    TU_CHECK(num_slice("--rows", "::-3", INT64_MIN, INT64_MAX, v, given, err, sizeof err) == 0 &&
             !given[0] && !given[1] && given[2] && v[2] == -3);
    TU_CHECK(num_slice("--rows", "5:", INT64_MIN, INT64_MAX, v, given, err, sizeof err) == 0 &&
             given[0] && !given[1] && !given[2] && v[0] == 5);
    TU_CHECK(num_slice("--rows", ":", INT64_MIN, INT64_MAX, v, given, err, sizeof err) == 0 &&
             !given[0] && !given[1] && !given[2]);
    TU_CHECK(num_slice("--rows", "5", INT64_MIN, INT64_MAX, v, given, err, sizeof err) < 0 &&
             err_has("--rows: '5' is not a slice START:STOP or START:STOP:STEP"));
    TU_CHECK(num_slice("--rows", "1:2:3:4", INT64_MIN, INT64_MAX, v, given, err, sizeof err) <
                 0 &&
             err_has("is not a slice"));
    TU_CHECK(num_slice("--rows", "1:a", INT64_MIN, INT64_MAX, v, given, err, sizeof err) < 0 &&
             err_has("--rows: '1:a': 'a' is not an integer"));
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("num");
    TCase *tc = tu_tcase(s, "num");
    tcase_add_test(tc, unsigned_integers);
    tcase_add_test(tc, signed_integers);
    tcase_add_test(tc, reals);
    tcase_add_test(tc, sizes);
    tcase_add_test(tc, lists);
    tcase_add_test(tc, signed_lists_and_slices);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
