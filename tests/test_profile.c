/* Tests of the per-call profile (PARRAY_LOG=summary): pa_finalize prints
 * one table from rank 0 alone, with exact counts and bytes for a known
 * sequence of calls (calls made inside other calls not counted), max >= min
 * times, and the waits; nothing when the profile is off; PARRAY_LOG_FILE
 * takes the table; bad settings fail pa_init on every rank by name. */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#define N 1000 /* f64 elements: 8000 bytes an array */

static char dir[512];

static void dir_setup(void)
{
    tu_tmpdir_make(dir, sizeof dir, "profile");
}

static void dir_teardown(void)
{
    tu_tmpdir_remove(dir);
}

/* Sets the profile's settings alike on every rank (NULL unsets). */
static void set_log(const char *log, const char *file)
{
    if (log)
        setenv("PARRAY_LOG", log, 1);
    else
        unsetenv("PARRAY_LOG");
    if (file)
        setenv("PARRAY_LOG_FILE", file, 1);
    else
        unsetenv("PARRAY_LOG_FILE");
}

/* The known sequence: 2 pa_array_create, 3 pa_eval, 2 pa_reduce, a save
 * and a load (whose pa_array_create inside is not counted), 3 frees. */
static void known_calls(pa_ctx *c)
{
    size_t shape[1] = {N};
    pa_array *x = NULL, *y = NULL, *z = NULL;
    TU_OK(pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &x), c);
    TU_OK(pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &y), c);
    pa_binding b[] = {PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y), PA_BIND_SCALAR("k", 2)};
    for (int i = 0; i < 3; i++)
        TU_OK(pa_eval(c, "y = x * k + 1", b, 3), c);
    double s = 0;
    for (int i = 0; i < 2; i++)
        TU_OK(pa_reduce(y, PA_RED_SUM, -1, &s), c);
    char path[600];
    snprintf(path, sizeof path, "%s/y.h5", dir);
    TU_OK(pa_h5_save(y, path, "/y", NULL), c);
    TU_OK(pa_h5_load(c, path, "/y", NULL, &z), c);
    TU_OK(pa_array_free(&z), c);
    TU_OK(pa_array_free(&y), c);
    TU_OK(pa_array_free(&x), c);
}

/* Not collective. Reads a whole small file into buf ("" if missing). */
static void read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* pa_finalize(c) with this rank's stderr going to a file, whose text ends
 * in out[len]. */
static int finalize_capturing(pa_ctx **c, char *out, size_t len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.%d", dir, tu_rank());
    int saved = tu_stderr_begin(path);
    int rc = pa_finalize(c);
    tu_stderr_end(saved);
    read_file(path, out, len);
    return rc;
}

static int occurrences(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* One row of the table: its count, max and min seconds and its bytes text
 * ("48.0 kB", or "-"). Returns 0 when the row is missing. */
typedef struct {
    char count[32];
    double max_s, min_s;
    char bytes[80];
} row;

static int find_row(const char *table, const char *name, row *r)
{
    size_t len = strlen(name);
    for (const char *p = table; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, len) != 0 || p[len] != ' ')
            continue;
        char ratio[32], pct[32], num[32], unit[32];
        int k = sscanf(p + len, "%31s %lf %lf %31s %31s %31s %31s", r->count, &r->max_s,
                       &r->min_s, ratio, pct, num, unit);
        if (k < 6)
            return 0;
        if (strcmp(num, "-") == 0)
            snprintf(r->bytes, sizeof r->bytes, "-");
        else
            snprintf(r->bytes, sizeof r->bytes, "%s %s", num, unit);
        return 1;
    }
    return 0;
}

/* Rank 0's table: each row of want has its count and bytes, max >= min. */
static int table_ok(const char *table, const char *const (*want)[3], int nwant)
{
    int ok = occurrences(table, "parray profile (PARRAY_LOG=summary)") == 1;
    if (!ok)
        tu_note(__FILE__, __LINE__, "the table is not there once:\n%s", table);
    for (int i = 0; i < nwant; i++) {
        row r;
        if (!find_row(table, want[i][0], &r)) {
            tu_note(__FILE__, __LINE__, "no row %s in:\n%s", want[i][0], table);
            ok = 0;
        } else if (strcmp(r.count, want[i][1]) != 0 || strcmp(r.bytes, want[i][2]) != 0 ||
                   !(r.max_s >= r.min_s && r.min_s >= 0)) {
            tu_note(__FILE__, __LINE__, "%s: count %s bytes '%s' max %g min %g, want %s '%s'",
                    want[i][0], r.count, r.bytes, r.max_s, r.min_s, want[i][1], want[i][2]);
            ok = 0;
        }
    }
    return ok;
}

/* The rows of known_calls: 8000 bytes an array; pa_eval touches x and y,
 * the load its result; the frees move no data. */
static const char *const known_rows[][3] = {
    {"pa_array_create", "2", "16.0 kB"}, {"pa_eval", "3", "48.0 kB"},
    {"pa_reduce", "2", "16.0 kB"},       {"pa_h5_save", "1", "8.0 kB"},
    {"pa_h5_load", "1", "8.0 kB"},       {"pa_array_free", "3", "-"},
};
#define NKNOWN (int)(sizeof known_rows / sizeof known_rows[0])

START_TEST(summary_on_stderr_of_rank_0)
{
    tu_env e1 = tu_env_save("PARRAY_LOG"), e2 = tu_env_save("PARRAY_LOG_FILE");
    set_log("summary", NULL);
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
    known_calls(c);
    static char err[16384];
    TU_OK(finalize_capturing(&c, err, sizeof err), NULL);
    tu_env_restore(&e1);
    tu_env_restore(&e2);
    if (tu_rank() == 0) {
        int ok = table_ok(err, known_rows, NKNOWN);
        /* Agreements and barriers are their own rows; nothing else is counted. */
        row r;
        ok = ok && find_row(err, "agreements", &r) && find_row(err, "barriers", &r);
        ok = ok && !find_row(err, "pa_array_sync", &r) && !find_row(err, "pa_finalize", &r);
        TU_ASSERT(ok, "rank 0's table:\n%s", err);
    } else {
        TU_ASSERT(err[0] == '\0', "rank %d printed:\n%s", tu_rank(), err);
    }
}
END_TEST

START_TEST(summary_into_a_file)
{
    tu_env e1 = tu_env_save("PARRAY_LOG"), e2 = tu_env_save("PARRAY_LOG_FILE");
    char path[600];
    snprintf(path, sizeof path, "%s/profile.txt", dir);
    set_log("summary", path);
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
    known_calls(c);
    static char err[16384], table[16384];
    TU_OK(finalize_capturing(&c, err, sizeof err), NULL);
    tu_env_restore(&e1);
    tu_env_restore(&e2);
    TU_ASSERT(err[0] == '\0', "rank %d printed on stderr:\n%s", tu_rank(), err);
    int ok = 1;
    if (tu_rank() == 0) {
        read_file(path, table, sizeof table);
        ok = table_ok(table, known_rows, NKNOWN);
    }
    TU_ASSERT(ok, "the table in %s:\n%s", path, table);
}
END_TEST

START_TEST(off_prints_nothing)
{
    tu_env e1 = tu_env_save("PARRAY_LOG"), e2 = tu_env_save("PARRAY_LOG_FILE");
    const char *off[] = {NULL, "", "off"};
    for (int i = 0; i < 3; i++) {
        set_log(off[i], NULL);
        pa_ctx *c = NULL;
        TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
        known_calls(c);
        static char err[16384];
        TU_OK(finalize_capturing(&c, err, sizeof err), NULL);
        TU_ASSERT(err[0] == '\0', "PARRAY_LOG=%s: rank %d printed:\n%s",
                  off[i] ? off[i] : "(unset)", tu_rank(), err);
    }
    tu_env_restore(&e1);
    tu_env_restore(&e2);
}
END_TEST

/* A bad value fails pa_init on every rank, naming the variable. */
static void init_fails(const char *log, const char *file, int code, const char *msg)
{
    tu_env e1 = tu_env_save("PARRAY_LOG"), e2 = tu_env_save("PARRAY_LOG_FILE");
    set_log(log, file);
    pa_ctx *c = NULL;
    int rc = pa_init_comm(MPI_COMM_WORLD, &c);
    tu_env_restore(&e1);
    tu_env_restore(&e2);
    TU_ASSERT(rc == code && c == NULL, "PARRAY_LOG=%s: rc %s", log, pa_errname(rc));
    TU_ASSERT(strstr(pa_errmsg(NULL), msg) != NULL, "message '%s', want '%s'", pa_errmsg(NULL),
              msg);
}

START_TEST(bad_settings)
{
    init_fails("bogus", NULL, PA_EINVAL, "PARRAY_LOG='bogus' is not one of off|summary");
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/dir/profile.txt", dir);
    char want[700];
    snprintf(want, sizeof want, "PARRAY_LOG_FILE='%s': cannot write it", path);
    init_fails("summary", path, PA_EIO, want);
}
END_TEST

static Suite *profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tu_tcase(s, "profile");
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, summary_on_stderr_of_rank_0);
    tcase_add_test(tc, summary_into_a_file);
    tcase_add_test(tc, off_prints_nothing);
    tcase_add_test(tc, bad_settings);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, profile_suite);
}
