/* Concern 3 of docs/guide.md: initialise arrays in parallel, and random
 * numbers that do not depend on the number of ranks.
 *
 * Each init call fills every rank's own part at once. Random arrays come
 * from the counter-based generator Philox: the value at global index i
 * depends only on (seed, stream, i), so an array, and any reduction of it,
 * is bit-identical for every rank count and node layout. The program checks
 * that inside one run (a distributed and a replicated array hold the same
 * values), and prints a checksum that is the same under mpirun -n 1, 2, 3
 * or any other layout (tests/examples.sh compares them).
 *
 * Build: mpicc ex_init.c $(pkg-config --cflags --libs parray) -lm
 * Run:   mpirun -n 3 ./ex_init            (exit status 0 when the checks pass) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <parray.h>

#define N ((size_t)1 << 20) /* elements */
#define SEED 2024

#define TRY(call)                                                                                \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_ != PA_OK) {                                                                      \
            if (pa_ctx_rank(ctx) == 0)                                                           \
                fprintf(stderr, "ex_init: %s: %s\n", pa_errname(rc_), pa_errmsg(ctx));           \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

/* Checks of values that every rank got alike (the results of collective
 * calls): no agreement needed, every rank takes the same branch. */
#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            if (pa_ctx_rank(ctx) == 0) {                                                         \
                fprintf(stderr, "ex_init: check failed: " __VA_ARGS__);                          \
                fputc('\n', stderr);                                                             \
            }                                                                                    \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

static int everywhere(int ok)
{
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return ok;
}

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

int main(int argc, char **argv)
{
    pa_ctx *ctx = NULL;
    pa_array *x = NULL, *y = NULL, *r = NULL;
    int status = 1;
    double v[4];

    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "ex_init: %s\n", pa_errmsg(NULL));
        return 1;
    }
    size_t shape[1] = {N};
    TRY(pa_array_create(ctx, PA_F64, 1, shape, PA_DISTRIBUTED, &x));
    TRY(pa_array_create(ctx, PA_F64, 1, shape, PA_DISTRIBUTED, &y));

    /* Constants and ranges, checked against closed forms. Every partial sum
     * here is an integer below 2^53, so the sums are exact. */
    TRY(pa_full(x, 2.5));
    TRY(pa_reduce(x, PA_RED_MIN, -1, &v[0]));
    TRY(pa_reduce(x, PA_RED_MAX, -1, &v[1]));
    CHECK(v[0] == 2.5 && v[1] == 2.5, "full: min %g max %g", v[0], v[1]);
    TRY(pa_arange(x, 0.0, 1.0)); /* x[i] = i */
    TRY(pa_reduce(x, PA_RED_SUM, -1, &v[0]));
    CHECK(v[0] == (double)N * (N - 1) / 2, "arange: sum %.17g", v[0]);

    /* Uniform [0, 1): the statistics, with bounds of many standard errors
     * (the standard error of the mean of N uniforms is 0.29 / sqrt(N)). */
    TRY(pa_random_uniform(x, SEED, 0, 0.0, 1.0));
    TRY(pa_reduce(x, PA_RED_MEAN, -1, &v[0]));
    TRY(pa_reduce(x, PA_RED_MIN, -1, &v[1]));
    TRY(pa_reduce(x, PA_RED_MAX, -1, &v[2]));
    CHECK(fabs(v[0] - 0.5) < 0.005 && v[1] >= 0 && v[2] < 1, "uniform: mean %g min %g max %g",
          v[0], v[1], v[2]);

    /* Streams: the same seed, another stream, an independent array: the
     * mean of x*y is 1/4 for independent x and y (standard error 0.22 /
     * sqrt(N)), and 1/3 if y were x. */
    TRY(pa_random_uniform(y, SEED, 1, 0.0, 1.0));
    TRY(pa_dot(x, y, &v[0]));
    CHECK(fabs(v[0] / N - 0.25) < 0.005, "streams 0 and 1: mean of x*y %g", v[0] / N);

    /* Normal(0, 1). */
    TRY(pa_random_normal(y, SEED, 2, 0.0, 1.0));
    TRY(pa_reduce(y, PA_RED_MEAN, -1, &v[0]));
    TRY(pa_reduce(y, PA_RED_STD, -1, &v[1]));
    CHECK(fabs(v[0]) < 0.01 && fabs(v[1] - 1) < 0.01, "normal: mean %g std %g", v[0], v[1]);

    /* Layout independence inside one run: a replicated array has another
     * split over the ranks (each node holds it all), yet the same seed and
     * stream give the same values. Each rank compares the elements of x that
     * its node holds with the same elements of r, in place. */
    TRY(pa_array_create(ctx, PA_F64, 1, shape, PA_REPLICATED, &r));
    TRY(pa_random_uniform(r, SEED, 0, 0.0, 1.0));
    pa_span xs, rs;
    pa_array_node(x, &xs);
    pa_array_node(r, &rs); /* the whole array: rs.offset is 0 */
    int same = memcmp(xs.ptr, (double *)rs.ptr + xs.offset, xs.count * sizeof(double)) == 0;
    CHECK(everywhere(same), "replicated and distributed uniform arrays differ");

    /* Reductions are bit-identical too (a fixed summation tree), so this
     * checksum is the same for every rank count and node layout. */
    TRY(pa_reduce(x, PA_RED_SUM, -1, &v[0]));
    TRY(pa_reduce(r, PA_RED_SUM, -1, &v[1]));
    CHECK(bits(v[0]) == bits(v[1]), "sums differ: %.17g and %.17g", v[0], v[1]);

    if (pa_ctx_rank(ctx) == 0)
        printf("ex_init: ok: %d ranks on %d nodes\nchecksum: %016" PRIx64 "\n", pa_ctx_size(ctx),
               pa_ctx_nnodes(ctx), bits(v[0]));
    status = 0;
out:
    pa_array_free(&r);
    pa_array_free(&y);
    pa_array_free(&x);
    pa_finalize(&ctx);
    return status;
}
