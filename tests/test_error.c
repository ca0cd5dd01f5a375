/* Tests of the error codes: the X-macro list, pa_strerror and pa_errname for
 * every code and for values that are not codes, and pa_errmsg: a failed call
 * records a message that names the call and the argument, the same on every
 * rank. */
#include "testutil.h"

/* The list, expanded here independently of the library's tables. */
typedef struct {
    int code;
    const char *name;
    const char *text;
} code_entry;

static const code_entry codes[] = {
#define ENTRY(name, value, text) {value, "PA_" #name, text},
    PA_ERRNO_MAP(ENTRY)
#undef ENTRY
};
static const int ncodes = (int)(sizeof codes / sizeof codes[0]);

START_TEST(test_codes_distinct)
{
    int bad = 0;
    for (int i = 0; i < ncodes; i++) {
        if (codes[i].code > 0 || (codes[i].code == 0) != (i == 0))
            bad++;
        for (int j = 0; j < i; j++)
            if (codes[i].code == codes[j].code || strcmp(codes[i].name, codes[j].name) == 0)
                bad++;
    }
    TU_ASSERT(bad == 0, "%d codes are positive, misplaced or repeated", bad);
    TU_CHECK(PA_OK == 0);
    TU_CHECK(PA_EINVAL < 0 && PA_ENOMEM < 0 && PA_EMPI < 0 && PA_EIO < 0);
    TU_CHECK(PA_ENOTSUP < 0 && PA_EFORMAT < 0 && PA_ESTATE < 0);
}
END_TEST

START_TEST(test_strerror_every_code)
{
    int bad = 0;
    for (int i = 0; i < ncodes; i++) {
        const char *s = pa_strerror(codes[i].code);
        const char *n = pa_errname(codes[i].code);
        if (!s || strcmp(s, codes[i].text) != 0) {
            tu_note(__FILE__, __LINE__, "pa_strerror(%d) = '%s', want '%s'", codes[i].code,
                    s ? s : "(null)", codes[i].text);
            bad++;
        }
        if (!n || strcmp(n, codes[i].name) != 0) {
            tu_note(__FILE__, __LINE__, "pa_errname(%d) = '%s', want '%s'", codes[i].code,
                    n ? n : "(null)", codes[i].name);
            bad++;
        }
    }
    TU_ASSERT(bad == 0, "%d wrong strings", bad);
    TU_CHECK(strcmp(pa_errname(PA_EINVAL), "PA_EINVAL") == 0);
    TU_CHECK(strcmp(pa_strerror(PA_ENOMEM), "out of memory") == 0);
}
END_TEST

START_TEST(test_strerror_unknown)
{
    /* Values next to the list and far from it. */
    int lowest = 0;
    for (int i = 0; i < ncodes; i++)
        if (codes[i].code < lowest)
            lowest = codes[i].code;
    const int unknown[] = {1, 2, lowest - 1, lowest - 100, 100, -1000, INT_MAX, INT_MIN};
    int bad = 0;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = pa_strerror(unknown[i]);
        const char *n = pa_errname(unknown[i]);
        if (!s || strcmp(s, "unknown error") != 0) {
            tu_note(__FILE__, __LINE__, "pa_strerror(%d) = '%s'", unknown[i], s ? s : "(null)");
            bad++;
        }
        if (!n || strcmp(n, "PA_EUNKNOWN") != 0) {
            tu_note(__FILE__, __LINE__, "pa_errname(%d) = '%s'", unknown[i], n ? n : "(null)");
            bad++;
        }
    }
    TU_ASSERT(bad == 0, "%d wrong strings for unknown codes", bad);
}
END_TEST

/* ------------------------------------------------------------ pa_errmsg */

START_TEST(test_errmsg_empty_at_start)
{
    const char *m = pa_errmsg(ctx);
    TU_ASSERT(m != NULL && m[0] == '\0', "fresh context has message '%s'", m ? m : "(null)");
}
END_TEST

START_TEST(test_errmsg_names_call_and_argument)
{
    size_t shape[2] = {4, 4};
    pa_array *a = (pa_array *)&shape; /* a sentinel that must become NULL */
    int rc = pa_array_create(ctx, PA_F64, 0, shape, PA_DISTRIBUTED, &a);
    TU_RC(rc, PA_EINVAL, ctx);
    TU_CHECK(a == NULL);
    const char *m = pa_errmsg(ctx);
    TU_ASSERT(strstr(m, "pa_array_create") != NULL, "message '%s' lacks the call", m);
    TU_ASSERT(strstr(m, "ndim") != NULL, "message '%s' lacks the argument", m);
    TU_CHECK(tu_same_str(m));

    /* A later failure replaces the message. */
    rc = pa_array_create(ctx, (pa_dtype)99, 2, shape, PA_DISTRIBUTED, &a);
    TU_RC(rc, PA_EINVAL, ctx);
    m = pa_errmsg(ctx);
    TU_ASSERT(strstr(m, "dtype") != NULL, "message '%s' lacks the argument", m);
    TU_CHECK(tu_same_str(m));

    /* The context still works after bad input. */
    rc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a);
    TU_RC(rc, PA_OK, ctx);
    TU_CHECK(a != NULL);
    TU_OK(pa_array_free(&a), ctx);
    TU_CHECK(a == NULL);
}
END_TEST

START_TEST(test_errmsg_init_failure)
{
    /* pa_errmsg(NULL) holds the message of the last failed init. */
    tu_env saved = tu_env_save("PARRAY_RANKS_PER_NODE");
    setenv("PARRAY_RANKS_PER_NODE", "zero", 1);
    pa_ctx *bad = (pa_ctx *)&saved;
    int rc = pa_init_comm(MPI_COMM_WORLD, &bad);
    tu_env_restore(&saved);
    TU_RC(rc, PA_EINVAL, NULL);
    TU_CHECK(bad == NULL);
    const char *m = pa_errmsg(NULL);
    TU_ASSERT(m && strstr(m, "PARRAY_RANKS_PER_NODE") != NULL, "init message '%s'",
              m ? m : "(null)");
    TU_CHECK(tu_same_str(m));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tu_tcase(s, "codes");
    tcase_add_test(tc, test_codes_distinct);
    tcase_add_test(tc, test_strerror_every_code);
    tcase_add_test(tc, test_strerror_unknown);
    tc = tu_tcase(s, "errmsg");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_errmsg_empty_at_start);
    tcase_add_test(tc, test_errmsg_names_call_and_argument);
    tcase_add_test(tc, test_errmsg_init_failure);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
