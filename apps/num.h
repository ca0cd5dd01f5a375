/* Numbers on the command line: the one parser that every number of every
 * option goes through. A value is its whole text or nothing: no empty text,
 * no leading or trailing blanks, no sign where the option takes none, no
 * wrap-around (each value is checked against the option's own range before
 * it is stored), and every message names the option, e.g.
 *   "--rows-per-block: 18446744073709551615 is out of range [1, 9223372036854775807]"
 *   "--seed: ' -1' is not a non-negative integer (digits 0-9 only)"
 * All calls are not collective and depend only on their arguments, so
 * every rank reaches the same verdict on the same command line. Each
 * returns 0, or -1 with a one-line message in err (err may be NULL). */
#ifndef PARRAY_NUM_H
#define PARRAY_NUM_H

#include <stddef.h>
#include <stdint.h>

/* A whole number in [lo, hi] written in the digits 0-9 only (no sign). */
int num_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
             size_t errlen);

/* A whole number in [lo, hi]: an optional '+' or '-', then digits 0-9. */
int num_int(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, char *err,
            size_t errlen);

/* A real number as Python's float() reads it: [+-]digits[.digits][e[+-]digits]
 * (also ".5", "5."), or inf, infinity, nan in any case with an optional
 * sign. The value is the correctly rounded double, subnormals included; a
 * number too small for a double is 0 (with its sign) and one too large is
 * inf, as in Python. With finite set, inf and nan (spelled or reached by
 * overflow) are refused with a message that says so. Hexadecimal floats,
 * "nan(...)" and underscores are refused. */
int num_real(const char *opt, const char *s, int finite, double *out, char *err, size_t errlen);

/* A count with an optional unit: a decimal number ("800000000", "8e8",
 * "1.5"), then k M G T (10^3..10^12) or Ki Mi Gi Ti (2^10..2^40), each
 * optionally followed by B ("800MB", "1GiB"; "B" alone is 1). The value is
 * computed exactly, in integers, and must be a whole number in [lo, hi]. */
int num_size(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
             size_t errlen);

/* A comma-separated list of 1 to max whole numbers (num_uint each), such as
 * a shape "10000,100". *count is how many were stored in out. */
int num_uint_list(const char *opt, const char *s, uint64_t lo, uint64_t hi, size_t *out, int max,
                  int *count, char *err, size_t errlen);

/* A comma-separated list of 1 to max whole numbers in [lo, hi], each with
 * an optional sign (num_int each), such as column indices "0,-1". */
int num_int_list(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out, int max,
                 int *count, char *err, size_t errlen);

/* A slice as Python writes one, START:STOP or START:STOP:STEP, where each
 * part is a whole number in [lo, hi] (num_int) or empty (left out):
 * v[k] is part k and given[k] whether it was written (a missing :STEP is
 * not given). */
int num_slice(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t v[3], int given[3],
              char *err, size_t errlen);

/* A comma-separated list of 1 to max real numbers (num_real each), such
 * as "1,50,99.5". */
int num_real_list(const char *opt, const char *s, int finite, double *out, int max, int *count,
                  char *err, size_t errlen);

/* Two real numbers "A,B" (num_real each). */
int num_real_pair(const char *opt, const char *s, int finite, double out[2], char *err,
                  size_t errlen);

#endif
