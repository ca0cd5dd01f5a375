/* The command line's number parser (num.h): whole texts only, exact
 * integers with range checks before anything is stored, reals as Python's
 * float() reads them, sizes with units in exact integer arithmetic. The
 * scanners below work on a range [s, s + n) so that lists are parsed in
 * place; each writes its reason without the option's name, and the public
 * calls put the name (and the whole list) in front. */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "num.h"

/* Reasons are short: the text itself is cut at this many characters. */
#define SHOWN 64

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A whole value's failure (rc != 0, the reason in why) under the option's
 * name. */
static int under_opt(int rc, const char *opt, const char *why, char *err, size_t errlen)
{
    return rc != 0 ? fail(err, errlen, "%s: %s", opt, why) : 0;
}

static int shown(size_t n)
{
    return n > SHOWN ? SHOWN : (int)n;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t count_digits(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_digit(s[i]))
        i++;
    return i;
}

/* The value of s[0..n) when it is one or more digits and nothing else:
 * returns 0, with *over set when the value exceeds UINT64_MAX (then *v is
 * meaningless); -1 when it is not only digits. */
static int digits_value(const char *s, size_t n, uint64_t *v, int *over)
{
    if (n == 0 || count_digits(s, n) != n)
        return -1;
    *v = 0;
    *over = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (*v > (UINT64_MAX - d) / 10)
            *over = 1;
        else
            *v = *v * 10 + d;
    }
    return 0;
}

static int uint_at(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *out, char *why,
                   size_t whylen)
{
    uint64_t v;
    int over;
    if (digits_value(s, n, &v, &over) != 0)
        return fail(why, whylen, "'%.*s' is not a non-negative integer (digits 0-9 only)",
                    shown(n), s);
    if (over || v < lo || v > hi)
        return fail(why, whylen, "%.*s is out of range [%llu, %llu]", shown(n), s,
                    (unsigned long long)lo, (unsigned long long)hi);
    *out = v;
    return 0;
}

int num_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
             size_t errlen)
{
    char why[256];
    return under_opt(uint_at(s, strlen(s), lo, hi, out, why, sizeof why), opt, why, err, errlen);
}

/* A whole number in [lo, hi] at s[0..n): an optional sign, then digits. */
static int int_at(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out, char *why,
                  size_t whylen)
{
    int neg = n > 0 && s[0] == '-', sign = n > 0 && (s[0] == '-' || s[0] == '+');
    uint64_t mag;
    int over;
    if (digits_value(s + sign, n - (size_t)sign, &mag, &over) != 0)
        return fail(why, whylen, "'%.*s' is not an integer (an optional sign, then digits)",
                    shown(n), s);
    /* The magnitude is checked before it becomes signed: -2^63 is the one
     * value whose magnitude does not fit int64. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int64_t v = 0;
    if (!over && mag <= limit)
        v = neg ? (mag == limit ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    if (over || mag > limit || v < lo || v > hi)
        return fail(why, whylen, "%.*s is out of range [%lld, %lld]", shown(n), s, (long long)lo,
                    (long long)hi);
    *out = v;
    return 0;
}

int num_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, char *err,
            size_t errlen)
{
    char why[256];
    return under_opt(int_at(s, strlen(s), lo, hi, out, why, sizeof why), opt, why, err, errlen);
}

int num_slice(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t v[3], int given[3],
              char *err, size_t errlen)
{
    char why[256];
    size_t n = strlen(s);
    const char *p = s;
    int k = 0;
    for (;; k++) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (k == 3 || (k == 0 && !colon))
            return fail(err, errlen, "%s: '%.*s' is not a slice START:STOP or START:STOP:STEP",
                        opt, shown(n), s);
        given[k] = len > 0;
        if (given[k] && int_at(p, len, lo, hi, &v[k], why, sizeof why) != 0)
            return fail(err, errlen, "%s: '%.*s': %s", opt, shown(n), s, why);
        if (!colon)
            break;
        p = colon + 1;
    }
    for (k++; k < 3; k++)
        given[k] = 0;
    return 0;
}

/* ------------------------------------------------------------ reals */

/* The length of a decimal digits[.digits][(e|E)[+-]digits] (".5" and "5."
 * too) at the start of s[0..n), or 0 when none starts there. */
static size_t decimal_len(const char *s, size_t n)
{
    size_t i = count_digits(s, n), nd = i;
    if (i < n && s[i] == '.') {
        size_t f = count_digits(s + i + 1, n - i - 1);
        nd += f;
        i += 1 + f;
    }
    if (nd == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t ed = count_digits(s + j, n - j);
        if (ed == 0)
            return 0;
        i = j + ed;
    }
    return i;
}

/* The "C" locale, made once: the decimal point must not depend on the
 * program's LC_NUMERIC. */
static locale_t c_locale(void)
{
    static locale_t loc;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

static int real_at(const char *s, size_t n, int finite, double *out, char *why, size_t whylen)
{
    size_t sign = n > 0 && (s[0] == '+' || s[0] == '-');
    const char *w = s + sign;
    size_t wn = n - sign;
    double v;
    int spelled = 1;
    if ((wn == 3 && strncasecmp(w, "inf", 3) == 0) ||
        (wn == 8 && strncasecmp(w, "infinity", 8) == 0)) {
        v = INFINITY;
    } else if (wn == 3 && strncasecmp(w, "nan", 3) == 0) {
        v = NAN;
    } else if (wn > 0 && decimal_len(w, wn) == wn) {
        /* The text is a plain decimal, so strtod_l reads exactly it and no
         * more; it rounds correctly, subnormals included, and gives 0 or
         * inf past the double's range (errno's ERANGE only says so). */
        char *copy = strndup(w, wn);
        if (!copy)
            return fail(why, whylen, "out of memory");
        v = c_locale() ? strtod_l(copy, NULL, c_locale()) : strtod(copy, NULL);
        free(copy);
        spelled = 0;
    } else {
        return fail(why, whylen, "'%.*s' is not a number (such as 2.5, -1e-3, inf or nan)",
                    shown(n), s);
    }
    if (s[0] == '-')
        v = -v;
    if (finite && !isfinite(v))
        return spelled ? fail(why, whylen, "'%.*s' is not a finite number", shown(n), s)
                       : fail(why, whylen,
                              "'%.*s' is beyond the range of a double (it would be inf); "
                              "a finite number is needed",
                              shown(n), s);
    *out = v;
    return 0;
}

int num_real(const char *opt, const char *s, int finite, double *out, char *err, size_t errlen)
{
    char why[256];
    return under_opt(real_at(s, strlen(s), finite, out, why, sizeof why), opt, why, err, errlen);
}

int num_real_pair(const char *opt, const char *s, int finite, double out[2], char *err,
                  size_t errlen)
{
    const char *comma = strchr(s, ',');
    if (!comma || strchr(comma + 1, ','))
        return fail(err, errlen, "%s: '%.*s' is not two numbers A,B", opt, shown(strlen(s)), s);
    char why[256];
    if (real_at(s, (size_t)(comma - s), finite, &out[0], why, sizeof why) != 0 ||
        real_at(comma + 1, strlen(comma + 1), finite, &out[1], why, sizeof why) != 0)
        return fail(err, errlen, "%s: '%.*s': %s", opt, shown(strlen(s)), s, why);
    return 0;
}

/* ------------------------------------------------------------ sizes */

/* a * b, or -1 when it exceeds UINT64_MAX. */
static int mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (b != 0 && a > UINT64_MAX / b)
        return -1;
    *out = a * b;
    return 0;
}

/* The exact value of the decimal s[0..n) (as decimal_len accepts it)
 * times 10^pow10 * 2^pow2 (pow2 <= 40). Returns 0; 1 when it is not a
 * whole number; 2 when it exceeds UINT64_MAX. */
static int decimal_whole(const char *s, size_t n, int pow10, int pow2, uint64_t *out)
{
    const char *e = memchr(s, 'e', n);
    if (!e)
        e = memchr(s, 'E', n);
    size_t mn = e ? (size_t)(e - s) : n;
    /* The exponent, saturated far beyond any value a uint64 can take. */
    long exp10 = pow10;
    if (e) {
        const char *p = e + 1, *end = s + n;
        int eneg = *p == '-';
        long x = 0;
        for (p += *p == '-' || *p == '+'; p < end; p++)
            if (x < 1000000)
                x = x * 10 + (*p - '0');
        exp10 += eneg ? -x : x;
    }
    /* The significant digits D, so that the value is D * 10^exp10 * 2^pow2. */
    char d[64];
    size_t nd = 0;
    int lead = 1, after_point = 0, dropped = 0;
    for (size_t i = 0; i < mn; i++) {
        if (s[i] == '.') {
            after_point = 1;
            continue;
        }
        exp10 -= after_point;
        if (lead && s[i] == '0')
            continue;
        lead = 0;
        if (nd < sizeof d) {
            d[nd++] = s[i];
        } else {
            /* Past 64 significant digits: the digit's place is kept in the
             * exponent, and a nonzero one remembered. */
            exp10++;
            dropped |= s[i] != '0';
        }
    }
    while (nd > 0 && d[nd - 1] == '0') {
        nd--;
        exp10++;
    }
    if (nd == 0) {
        *out = 0;
        return 0;
    }
    /* D starts with a nonzero digit: the value is at least
     * 10^(nd - 1 + exp10), beyond UINT64_MAX from 21 integer digits on. */
    if ((long)nd + exp10 > 20)
        return 2;
    /* D ends with a nonzero digit, so D * 2^pow2 / 10^m (m = -exp10 > 0)
     * is whole only if 10 divides it m times, which takes m <= pow2 twos;
     * a dropped nonzero digit lies further below than that. */
    long m = exp10 < 0 ? -exp10 : 0;
    if (dropped || m > pow2)
        return 1;
    /* D / 5^m by long division (5^40 < 2^94: the remainder times 10 fits
     * 128 bits), then times 10^exp10 (if positive) and 2^(pow2 - m). */
    unsigned __int128 five = 1, rem = 0;
    for (long k = 0; k < m; k++)
        five *= 5;
    uint64_t v = 0;
    for (size_t i = 0; i < nd; i++) {
        rem = rem * 10 + (unsigned)(d[i] - '0');
        uint64_t q = (uint64_t)(rem / five);
        rem %= five;
        if (mul_u64(v, 10, &v) != 0 || v > UINT64_MAX - q)
            return 2;
        v += q;
    }
    if (rem != 0)
        return 1;
    for (long k = 0; k < exp10; k++)
        if (mul_u64(v, 10, &v) != 0)
            return 2;
    return mul_u64(v, (uint64_t)1 << (pow2 - m), out) != 0 ? 2 : 0;
}

int num_size(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
             size_t errlen)
{
    static const struct {
        const char *suffix;
        int pow10, pow2;
    } units[] = {
        {"", 0, 0},     {"B", 0, 0},   {"k", 3, 0},    {"kB", 3, 0},   {"K", 3, 0},
        {"KB", 3, 0},   {"M", 6, 0},   {"MB", 6, 0},   {"G", 9, 0},    {"GB", 9, 0},
        {"T", 12, 0},   {"TB", 12, 0}, {"Ki", 0, 10},  {"KiB", 0, 10}, {"Mi", 0, 20},
        {"MiB", 0, 20}, {"Gi", 0, 30}, {"GiB", 0, 30}, {"Ti", 0, 40},  {"TiB", 0, 40},
    };
    size_t n = strlen(s), len = decimal_len(s, n);
    for (size_t i = 0; len > 0 && i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(s + len, units[i].suffix) != 0)
            continue;
        uint64_t v = 0;
        int rc = decimal_whole(s, len, units[i].pow10, units[i].pow2, &v);
        if (rc == 1)
            return fail(err, errlen, "%s: '%.*s' is not a whole number", opt, shown(n), s);
        if (rc == 2 || v < lo || v > hi)
            return fail(err, errlen, "%s: %.*s is out of range [%llu, %llu]", opt, shown(n), s,
                        (unsigned long long)lo, (unsigned long long)hi);
        *out = v;
        return 0;
    }
    return fail(err, errlen,
                "%s: '%.*s' is not a size (a number such as 800000000, 8e8 or 1.5, then "
                "optionally k M G T or Ki Mi Gi Ti, and B)",
                opt, shown(n), s);
}

/* ------------------------------------------------------------ lists */

/* One field of a list: the whole numbers' bounds or the reals' rule, and
 * where the values go. */
typedef struct {
    uint64_t lo, hi;  /* uints' bounds */
    int64_t slo, shi; /* ints' bounds */
    int finite;
    size_t *uints;
    int64_t *ints;
    double *reals;
} list_items;

static int list_item(const list_items *it, const char *p, size_t len, int i, char *why,
                     size_t whylen)
{
    if (it->reals)
        return real_at(p, len, it->finite, &it->reals[i], why, whylen);
    if (it->ints)
        return int_at(p, len, it->slo, it->shi, &it->ints[i], why, whylen);
    uint64_t v;
    if (uint_at(p, len, it->lo, it->hi, &v, why, whylen) != 0)
        return -1;
    it->uints[i] = (size_t)v;
    return 0;
}

/* The comma-separated fields of s (1 to max) into it's values. */
static int list_parse(const char *opt, const char *s, const list_items *it, int max, int *count,
                      char *err, size_t errlen)
{
    char why[256];
    size_t n = strlen(s);
    *count = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (*count == max)
            return fail(err, errlen, "%s: '%.*s' has more than %d values", opt, shown(n), s, max);
        if (list_item(it, p, len, *count, why, sizeof why) != 0)
            return fail(err, errlen, "%s: '%.*s': %s", opt, shown(n), s, why);
        ++*count;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int num_uint_list(const char *opt, const char *s, uint64_t lo, uint64_t hi, size_t *out, int max,
                  int *count, char *err, size_t errlen)
{
    list_items it = {.lo = lo, .hi = hi, .uints = out};
    return list_parse(opt, s, &it, max, count, err, errlen);
}

int num_int_list(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, int max,
                 int *count, char *err, size_t errlen)
{
    list_items it = {.slo = lo, .shi = hi, .ints = out};
    return list_parse(opt, s, &it, max, count, err, errlen);
}

int num_real_list(const char *opt, const char *s, int finite, double *out, int max, int *count,
                  char *err, size_t errlen)
{
    list_items it = {.finite = finite, .reals = out};
    return list_parse(opt, s, &it, max, count, err, errlen);
}
