/* The MPI calls of the hot calls stay as docs/scaling.md counts them: the
 * PMPI shim (tests/mpi_count.c) counts what pa_binary, pa_eval, pa_map,
 * pa_array_create and pa_array_gather send over parray's communicators,
 * and pa_h5_save's broadcasts,
 * on 1,000-element arrays, at every launcher configuration. Counts, not
 * times: a new agreement on one of these paths fails here. */
#include "testutil.h"

#include "mpi_count.h"

static pa_ctx *ctx;
static pa_array *a, *b, *z;

static void setup(void)
{
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &ctx), NULL);
    mpi_count_watch(ctx);
    size_t n = 1000;
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &b), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &z), ctx);
    TU_OK(pa_full(a, 1.5), ctx);
    TU_OK(pa_full(b, 2.0), ctx);
}

static void teardown(void)
{
    pa_array_free(&a);
    pa_array_free(&b);
    pa_array_free(&z);
    pa_finalize(&ctx);
}

/* Allreduces over the job that a call with `agreements` agreements makes:
 * none on one rank (pa__agree sends nothing alone). */
static long job_agreements(int agreements)
{
    return tu_size() > 1 ? agreements : 0;
}

/* Nothing but kinds listed is counted on the job's communicator. */
static long job_total(void)
{
    long t = 0;
    for (int k = 0; k < MPI_COUNT_NKINDS; k++)
        t += mpi_count_calls(k, MPI_COUNT_JOB);
    return t;
}

static int scale(const pa_span *s, void *u)
{
    (void)u;
    for (size_t i = 0; i < s->count; i++)
        ((double *)s->ptr)[i] *= 2;
    return 0;
}

START_TEST(test_binary)
{
    mpi_count_reset();
    TU_OK(pa_binary(z, PA_OP_ADD, a, b), ctx);
    /* Nothing over the job: one node barrier between two window syncs. */
    TU_CHECK(job_total() == 0);
    TU_CHECK(mpi_count_calls(MPI_COUNT_BARRIER, MPI_COUNT_NODE) == 1);
    TU_CHECK(mpi_count_calls(MPI_COUNT_WIN_SYNC, MPI_COUNT_OTHER) == 2);
}
END_TEST

START_TEST(test_eval)
{
    pa_binding bind[] = {PA_BIND_ARRAY("z", z), PA_BIND_ARRAY("a", a), PA_BIND_ARRAY("b", b)};
    pa_expr *e;
    TU_OK(pa_expr_compile(ctx, "z = a*b + 1", &e), ctx);
    for (int compiled = 0; compiled < 2; compiled++) {
        mpi_count_reset();
        TU_OK(compiled ? pa_expr_eval(e, bind, 3) : pa_eval(ctx, "z = a*b + 1", bind, 3), ctx);
        /* At most one agreement over the job (today one), one node barrier. */
        TU_CHECK(mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB) <= job_agreements(1));
        TU_CHECK(job_total() == mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB));
        TU_CHECK(mpi_count_calls(MPI_COUNT_BARRIER, MPI_COUNT_NODE) <= 1);
    }
    pa_expr_free(&e);
}
END_TEST

START_TEST(test_map)
{
    mpi_count_reset();
    TU_OK(pa_map(z, scale, NULL), ctx);
    /* The sync and the agreement on fn's outcome are one allreduce. */
    TU_CHECK(mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB) == job_agreements(1));
    TU_CHECK(job_total() == mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB));
    TU_CHECK(mpi_count_calls(MPI_COUNT_BARRIER, MPI_COUNT_NODE) == 0);
}
END_TEST

START_TEST(test_create)
{
    size_t n = 1000;
    pa_array *t;
    mpi_count_reset();
    TU_OK(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &t), ctx);
    /* One agreement over the node before its window, one over the job
     * that also publishes the first touch: no node barrier. */
    TU_CHECK(mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB) == job_agreements(1));
    TU_CHECK(job_total() == mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB));
    TU_CHECK(mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_NODE) == (pa_ctx_node_size(ctx) > 1));
    TU_CHECK(mpi_count_calls(MPI_COUNT_BARRIER, MPI_COUNT_NODE) == 0);
    pa_array_free(&t);
}
END_TEST

START_TEST(test_gather)
{
    double *buf = malloc(1000 * sizeof *buf);
    mpi_count_reset();
    TU_OK(pa_array_gather(a, 0, buf), ctx);
    /* One agreement (the arguments and root's buffers), the layout's
     * gather and the data's. */
    TU_CHECK(mpi_count_calls(MPI_COUNT_ALLREDUCE, MPI_COUNT_JOB) == job_agreements(1));
    TU_CHECK(mpi_count_calls(MPI_COUNT_GATHER, MPI_COUNT_JOB) == 2);
    TU_CHECK(job_total() == job_agreements(1) + 2);
    free(buf);
}
END_TEST

START_TEST(test_h5_save_new)
{
    char dir[512], path[600];
    tu_tmpdir_make(dir, sizeof dir, "scaling");
    snprintf(path, sizeof path, "%s/a.h5", dir);
    pa_h5_opts o = {.truncate = 1};
    TU_OK(pa_h5_save(a, path, "/a", &o), ctx); /* unmeasured: HDF5's first open */
    mpi_count_reset();
    TU_OK(pa_h5_save(a, path, "/a", &o), ctx);
    /* Rank 0 sends the temporary's and the target's names and whether the
     * target existed in one broadcast (none on one rank), whether the file
     * is sized for writes through a map in another, and whether to keep
     * the old file in a third. */
    TU_CHECK(mpi_count_calls(MPI_COUNT_BCAST, MPI_COUNT_JOB) == 2 + (tu_size() > 1));
    tu_tmpdir_remove(dir);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("scaling");
    TCase *tc = tu_tcase(s, "counts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_binary);
    tcase_add_test(tc, test_eval);
    tcase_add_test(tc, test_map);
    tcase_add_test(tc, test_create);
    tcase_add_test(tc, test_gather);
    tcase_add_test(tc, test_h5_save_new);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
