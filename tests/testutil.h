/* Helpers shared by the Check suites: collective assertions, so that a
 * failure on one rank fails the test on every rank together, and the common
 * main() that runs a suite under MPI in no-fork mode.
 *
 * Why assertions must be collective: in no-fork mode a failing ck_assert
 * longjmps out of the test. If only one rank failed, it would go on to the
 * next test while the others wait in the next collective call of this one,
 * and the job would hang. Every TU_ check therefore makes one allreduce of
 * the condition over MPI_COMM_WORLD, and every rank fails together. A check
 * must be reached by every rank, in the same order: never put one inside a
 * branch that depends on the rank. */
#ifndef PARRAY_TESTUTIL_H
#define PARRAY_TESTUTIL_H

/* setenv, strdup and sched_getaffinity under -std=c11: include this header
 * first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parray.h"

/* size_t travels in MPI as MPI_UNSIGNED_LONG (LP64 Linux). */
_Static_assert(sizeof(size_t) == sizeof(unsigned long), "size_t is not unsigned long");
#define TU_MPI_SIZE_T MPI_UNSIGNED_LONG

/* Check's timeout applies only in fork mode; the launcher's timeout guards
 * no-fork runs. It is set anyway, generously, for runs with CK_FORK=yes. */
#define TU_TIMEOUT 600

static inline int tu_rank(void)
{
    int r;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

static inline int tu_size(void)
{
    int n;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

/* Printed by the rank whose condition failed, so that the detail is not lost
 * on ranks where Check prints nothing. */
static inline void tu_note(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void tu_note(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "rank %d: %s:%d: %s\n", tu_rank(), file, line, msg);
    fflush(stderr);
}

/* Collective. 1 when cond is true on every rank; *first_bad is the lowest
 * rank where it is false, or -1. */
static inline int tu_all(int cond, int *first_bad)
{
    int mine = cond ? INT_MAX : tu_rank(), low;
    MPI_Allreduce(&mine, &low, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    *first_bad = low == INT_MAX ? -1 : low;
    return low == INT_MAX;
}

/* Collective assertion: TU_ASSERT(cond, fmt, ...). The failing rank prints
 * fmt; every rank then fails with the condition and the first failing rank. */
#define TU_ASSERT(cond, ...)                                                                     \
    do {                                                                                         \
        int tu_ok_ = (cond) ? 1 : 0, tu_bad_;                                                    \
        if (!tu_ok_)                                                                             \
            tu_note(__FILE__, __LINE__, __VA_ARGS__);                                            \
        tu_ok_ = tu_all(tu_ok_, &tu_bad_);                                                       \
        ck_assert_msg(tu_ok_, "collective check '%s' failed, first on rank %d", #cond, tu_bad_); \
    } while (0)

#define TU_CHECK(cond) TU_ASSERT(cond, "%s", #cond)

/* Collective: the int value x is the same on every rank. */
#define TU_SAME_INT(x)                                                                           \
    do {                                                                                         \
        long long tu_v_ = (x), tu_in_[2] = {-tu_v_, tu_v_}, tu_out_[2];                          \
        MPI_Allreduce(tu_in_, tu_out_, 2, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);               \
        ck_assert_msg(-tu_out_[0] == tu_out_[1],                                                 \
                      "'%s' differs between ranks: min %lld, max %lld", #x, -tu_out_[0],         \
                      tu_out_[1]);                                                               \
    } while (0)

/* Collective: a call returned code `want` on every rank (and so the same
 * code everywhere). msgctx is the context whose pa_errmsg explains it. */
#define TU_RC(rc, want, msgctx)                                                                  \
    do {                                                                                         \
        int tu_rc_ = (rc);                                                                       \
        TU_ASSERT(tu_rc_ == (want), "got %s (%d), want %s: %s", pa_errname(tu_rc_), tu_rc_,      \
                  pa_errname(want), pa_errmsg(msgctx));                                          \
        TU_SAME_INT(tu_rc_);                                                                     \
    } while (0)

#define TU_OK(call, msgctx) TU_RC((call), PA_OK, (msgctx))

/* Collective: s (not NULL) is the same string on every rank. */
static inline int tu_same_str(const char *s)
{
    char root[1024], mine[1024];
    snprintf(mine, sizeof mine, "%s", s ? s : "(null)");
    memcpy(root, mine, sizeof root);
    MPI_Bcast(root, sizeof root, MPI_CHAR, 0, MPI_COMM_WORLD);
    int same = strcmp(root, mine) == 0, bad;
    if (!same)
        tu_note(__FILE__, __LINE__, "string differs from rank 0: '%s' vs '%s'", mine, root);
    return tu_all(same, &bad);
}

/* An environment variable saved before a test changes it and put back after,
 * so that a test never changes the launcher's configuration (the 2-node runs
 * set PARRAY_RANKS_PER_NODE) for the tests that follow. */
typedef struct {
    const char *name;
    char *value; /* NULL when it was unset */
} tu_env;

static inline tu_env tu_env_save(const char *name)
{
    tu_env e = {name, NULL};
    const char *v = getenv(name);
    if (v)
        e.value = strdup(v);
    return e;
}

static inline void tu_env_restore(tu_env *e)
{
    if (e->value)
        setenv(e->name, e->value, 1);
    else
        unsetenv(e->name);
    free(e->value);
    e->value = NULL;
}

/* Collective. A context on MPI_COMM_WORLD made with the setting name=value
 * (read at pa_init), the variable restored after; free it with
 * pa_finalize. */
static inline pa_ctx *tu_env_ctx(const char *name, const char *value)
{
    tu_env saved = tu_env_save(name);
    setenv(name, value, 1);
    pa_ctx *c = NULL;
    int rc = pa_init_comm(MPI_COMM_WORLD, &c);
    tu_env_restore(&saved);
    TU_RC(rc, PA_OK, NULL);
    return c;
}

/* Collective. tu_env_ctx with PARRAY_FAULT=spec ("site@rank,..."). */
static inline pa_ctx *tu_fault_ctx(const char *spec)
{
    return tu_env_ctx("PARRAY_FAULT", spec);
}

/* ------------------------------------------------------------- fixtures */

/* The suite's context on MPI_COMM_WORLD, which the tests use by this name.
 * Each suite includes this header once, so the static variable is its own;
 * a suite that makes its contexts itself leaves it unused. */
static pa_ctx *ctx __attribute__((unused));

/* Fixture: makes ctx. Good as a checked setup (afresh for each test) and as
 * an unchecked one (once for the test case): Check catches a failed check
 * in either kind of setup. */
static inline void tu_ctx_setup(void)
{
    ctx = NULL;
    int rc = pa_init_comm(MPI_COMM_WORLD, &ctx);
    TU_RC(rc, PA_OK, NULL);
    TU_CHECK(ctx != NULL);
}

/* Checked fixture: frees ctx and checks that every rank did. */
static inline void tu_ctx_teardown(void)
{
    int rc = pa_finalize(&ctx);
    TU_RC(rc, PA_OK, NULL);
    TU_CHECK(ctx == NULL);
}

/* Unchecked fixture: frees ctx without a check. In no-fork mode Check runs
 * an unchecked teardown outside any test, and a failing check there would
 * jump back into a test that has already returned; a failure is printed
 * instead. */
static inline void tu_ctx_free(void)
{
    int rc = pa_finalize(&ctx);
    if (rc != PA_OK)
        tu_note(__FILE__, __LINE__, "pa_finalize: %s: %s", pa_errname(rc), pa_errmsg(NULL));
}

/* A second context on MPI_COMM_SELF, for the suites that compute a serial
 * reference of the same arrays: this rank alone, as one node. */
static pa_ctx *self __attribute__((unused));

/* Checked fixture: ctx, then self. PARRAY_RANKS_PER_NODE is unset for the
 * call (and put back), so that self is one rank on one node whatever the
 * launcher's layout. */
static inline void tu_ctx_self_setup(void)
{
    self = NULL;
    tu_ctx_setup();
    tu_env e = tu_env_save("PARRAY_RANKS_PER_NODE");
    unsetenv("PARRAY_RANKS_PER_NODE");
    int rc = pa_init_comm(MPI_COMM_SELF, &self);
    tu_env_restore(&e);
    TU_RC(rc, PA_OK, NULL);
}

/* Checked fixture: frees self, then ctx. */
static inline void tu_ctx_self_teardown(void)
{
    TU_OK(pa_finalize(&self), NULL);
    tu_ctx_teardown();
}

/* Collective. Rank 0 makes a new directory $TMPDIR/parray-<name>.XXXXXX (or
 * under /tmp) and every rank gets its path in dir[len]; the check fails on
 * every rank when it cannot be made. */
static inline void tu_tmpdir_make(char *dir, size_t len, const char *name)
{
    if (tu_rank() == 0) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, len, "%s/parray-%s.XXXXXX", t && *t ? t : "/tmp", name);
        if (!mkdtemp(dir))
            dir[0] = '\0';
    }
    MPI_Bcast(dir, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
    TU_ASSERT(dir[0], "cannot make a temporary directory");
}

/* Removes path and everything under it, making directories that a test left
 * without permissions searchable first. */
static inline void tu_rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (snprintf(p, sizeof p, "%s/%s", path, e->d_name) >= (int)sizeof p)
            continue; /* a name too long for p: left in place */
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(p, 0700);
            tu_rm_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(path);
}

/* Not collective. The temporaries of crash-safe saves (".*.parray-tmp.*")
 * in directory dir: a save that failed must leave none. */
static inline int tu_stale_temps(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".parray-tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* Collective. Removes the directory of tu_tmpdir_make once every rank is
 * done with it (the barrier); no check, so that an unchecked teardown may
 * call it. */
static inline void tu_tmpdir_remove(const char *dir)
{
    MPI_Barrier(MPI_COMM_WORLD);
    if (tu_rank() == 0 && dir[0])
        tu_rm_tree(dir);
}

/* Not collective. Sends this process's stderr to the file path (made or
 * emptied) until tu_stderr_end(saved), for a test that reads what the
 * library said there; returns saved. */
static inline int tu_stderr_begin(const char *path)
{
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static inline void tu_stderr_end(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

/* A test case with the suite's timeout. */
static inline TCase *tu_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, TU_TIMEOUT);
    suite_add_tcase(s, tc);
    return tc;
}

/* The main of every suite: initialise MPI, run the suite in no-fork mode
 * (rank 0 reports, as CK_VERBOSITY says; the others are silent and their
 * failing checks print on stderr), agree on the failure count, finalise MPI,
 * and return the same status on every rank. */
static inline int tu_main(int argc, char **argv, Suite *(*make)(void))
{
    int provided, rank, size, nfail, total;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    Suite *s = make();
    if (rank == 0) {
        const char *k = getenv("PARRAY_RANKS_PER_NODE");
        printf("%s: %d rank%s%s%s\n", argv && argv[0] ? argv[0] : "suite", size,
               size == 1 ? "" : "s", k ? ", PARRAY_RANKS_PER_NODE=" : "", k ? k : "");
        fflush(stdout);
    }
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, rank == 0 ? CK_ENV : CK_SILENT);
    nfail = srunner_ntests_failed(sr);
    srunner_free(sr);
    MPI_Allreduce(&nfail, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0 && total)
        fprintf(stderr, "%d failed test%s, counted on each of %d ranks\n", total / size,
                total / size == 1 ? "" : "s", size);
    MPI_Finalize();
    return total ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------ elements by dtype */

/* Element i of a buffer of dtype d: tu_get_f as a double; tu_get_i as an
 * integer's value widened to 128 bits (signed or unsigned as the dtype);
 * tu_set_f stores v converted by C's rules (in range for integers);
 * tu_set_i stores v's low bits (numpy's wrap-around; a float dtype: v
 * rounded once). tu_is_int tells
 * an integer dtype. Written from the public dtype list
 * (its C types), not from the library's tables. */
#define TU_DT_SWITCH_(d, ...)                                                                    \
    switch (d) {                                                                                 \
        PA_DTYPE_LIST_WITH(TU_DT_BODY_, ~)                                                       \
    case PA_NDTYPES: break;                                                                      \
    }
static inline double tu_get_f(const void *buf, pa_dtype d, size_t i)
{
#define TU_DT_BODY_(C, NAME, nm, T, ...)                                                         \
    case PA_##NAME: return (double)((const T *)buf)[i];
    TU_DT_SWITCH_(d)
#undef TU_DT_BODY_
    return 0;
}
static inline __int128 tu_get_i(const void *buf, pa_dtype d, size_t i)
{
#define TU_DT_BODY_(C, NAME, nm, T, ...)                                                         \
    case PA_##NAME: return (__int128)((const T *)buf)[i];
    TU_DT_SWITCH_(d)
#undef TU_DT_BODY_
    return 0;
}
static inline void tu_set_f(void *buf, pa_dtype d, size_t i, double v)
{
#define TU_DT_BODY_(C, NAME, nm, T, ...)                                                         \
    case PA_##NAME: ((T *)buf)[i] = (T)v; return;
    TU_DT_SWITCH_(d)
#undef TU_DT_BODY_
}
static inline void tu_set_i(void *buf, pa_dtype d, size_t i, __int128 v)
{
#define TU_DT_BODY_(C, NAME, nm, T, ...)                                                         \
    case PA_##NAME: {                                                                            \
        uint64_t low_ = (uint64_t)(unsigned __int128)v;                                          \
        T t_;                                                                                    \
        if ((T)0.5 != (T)0) /* a float: v rounded, straight from 128 bits */                     \
            t_ = (T)v;                                                                           \
        else                                                                                     \
            memcpy(&t_, &low_, sizeof t_); /* little-endian: the low bytes */                    \
        ((T *)buf)[i] = t_;                                                                      \
        return;                                                                                  \
    }
    TU_DT_SWITCH_(d)
#undef TU_DT_BODY_
}
static inline int tu_is_int(pa_dtype d)
{
#define TU_DT_BODY_(C, NAME, nm, T, ...)                                                         \
    case PA_##NAME: return (T)0.5 == (T)0;
    TU_DT_SWITCH_(d)
#undef TU_DT_BODY_
    return 0;
}
/* v wrapped to dtype d's width (an integer dtype), as the array stores it. */
static inline __int128 tu_wrap_i(__int128 v, pa_dtype d)
{
    unsigned char b[16];
    tu_set_i(b, d, 0, v);
    return tu_get_i(b, d, 0);
}
/* v rounded to dtype d (a float dtype), as a double. */
static inline double tu_round_f(double v, pa_dtype d)
{
    unsigned char b[16];
    tu_set_f(b, d, 0, v);
    return tu_get_f(b, d, 0);
}

/* FNV-1a over n bytes at p, folded into h (start from 0xcbf29ce484222325):
 * a hash of results that every launcher configuration must give. */
static inline uint64_t tu_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

#endif
