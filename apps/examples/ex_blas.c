/* Concern 2 of docs/guide.md: BLAS and LAPACK on the right number of
 * threads.
 *
 * At pa_init parray gives each rank a share of its machine's cores and sets
 * its BLAS threads to the size of that share, so ranks x threads never
 * exceed the cores. pa_matmul(C, A, B) multiplies a row-distributed A by a
 * replicated B into a row-distributed C:
 *   split: each rank multiplies its own rows on its own share;
 *   lend:  one rank per node multiplies the node's rows on all the node's
 *          cores while its peers wait without spinning;
 *   auto:  parray picks one of the two.
 * Each mode is checked against a plain triple loop on rank 0. Then pa_solve
 * (LAPACK, lend mode) solves a system whose solution is known.
 *
 * Build: mpicc ex_blas.c $(pkg-config --cflags --libs parray) -lm
 * Run:   mpirun -n 2 ./ex_blas            (exit status 0 when the checks pass) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <parray.h>

#define M 300 /* C (M, N) = A (M, K) . B (K, N) */
#define K 200
#define N 100
#define NS 50 /* the linear system */

#define TRY(call)                                                                                \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_ != PA_OK) {                                                                      \
            if (pa_ctx_rank(ctx) == 0)                                                           \
                fprintf(stderr, "ex_blas: %s: %s\n", pa_errname(rc_), pa_errmsg(ctx));           \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

/* Rank 0 decides; every rank gets its verdict. */
static int from_root(int ok)
{
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return ok;
}

int main(int argc, char **argv)
{
    pa_ctx *ctx = NULL;
    pa_array *A = NULL, *B = NULL, *C = NULL, *S = NULL, *x = NULL, *b = NULL, *X = NULL;
    double *a = NULL, *bb = NULL, *c = NULL, *xs = NULL;
    int status = 1, rank;

    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "ex_blas: %s\n", pa_errmsg(NULL));
        return 1;
    }
    rank = pa_ctx_rank(ctx);

    /* The plan of this rank (not collective: each rank asks for its own). */
    pa_blas_plan plan;
    pa_blas_plan_get(ctx, &plan);
    printf("ex_blas: rank %d: %d BLAS threads on %d cores of its own, %d cores on its node\n",
           rank, plan.threads, plan.nshare, plan.nnode);

    TRY(pa_array_create(ctx, PA_F64, 2, (size_t[]){M, K}, PA_DISTRIBUTED, &A));
    TRY(pa_array_create(ctx, PA_F64, 2, (size_t[]){K, N}, PA_REPLICATED, &B));
    TRY(pa_array_create(ctx, PA_F64, 2, (size_t[]){M, N}, PA_DISTRIBUTED, &C));
    TRY(pa_random_uniform(A, 1, 0, -1.0, 1.0));
    TRY(pa_random_uniform(B, 1, 1, -1.0, 1.0));

    /* The reference on rank 0, from the gathered operands. */
    if (rank == 0) {
        a = malloc(sizeof(double) * M * K);
        bb = malloc(sizeof(double) * K * N);
        c = malloc(sizeof(double) * M * N);
    }
    int have = from_root(rank != 0 || (a && bb && c));
    if (!have) {
        if (rank == 0)
            fprintf(stderr, "ex_blas: out of memory\n");
        goto out;
    }
    TRY(pa_array_gather(A, 0, a));
    TRY(pa_array_gather(B, 0, bb));

    const pa_matmul_mode modes[] = {PA_MATMUL_SPLIT, PA_MATMUL_LEND, PA_MATMUL_AUTO};
    for (int t = 0; t < 3; t++) {
        pa_matmul_opts o = PA_MATMUL_OPTS_INIT; /* C = 1 * A.B + 0 * C */
        o.mode = modes[t];
        TRY(pa_matmul(C, A, B, &o));
        TRY(pa_array_gather(C, 0, c));
        /* |error| <= K * eps * sum |a||b| <= K * eps * K for entries in [-1, 1). */
        double err = 0;
        if (rank == 0)
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int l = 0; l < K; l++)
                        s += a[i * K + l] * bb[l * N + j];
                    err = fmax(err, fabs(s - c[i * N + j]));
                }
        if (!from_root(err <= K * K * 2.3e-16)) {
            if (rank == 0)
                fprintf(stderr, "ex_blas: %s: max error %g\n", pa_matmul_mode_name(modes[t]),
                        err);
            goto out;
        }
    }
    if (rank == 0)
        printf("ex_blas: pa_matmul (%d,%d).(%d,%d) ok in split, lend and auto (auto picks %s)\n",
               M, K, K, N, pa_matmul_mode_name(pa_matmul_auto(ctx, M, N, K)));

    /* LAPACK: S x = b with S = U + NS*I (diagonally dominant, so well
     * conditioned) and a known x; all replicated. b = S x by pa_matvec. */
    TRY(pa_array_create(ctx, PA_F64, 2, (size_t[]){NS, NS}, PA_REPLICATED, &S));
    TRY(pa_array_create(ctx, PA_F64, 1, (size_t[]){NS}, PA_REPLICATED, &x));
    TRY(pa_array_create(ctx, PA_F64, 1, (size_t[]){NS}, PA_REPLICATED, &b));
    TRY(pa_array_create(ctx, PA_F64, 1, (size_t[]){NS}, PA_REPLICATED, &X));
    TRY(pa_random_uniform(S, 3, 0, 0.0, 1.0));
    /* Add NS on the diagonal through the node copy: the node's leader
     * writes, then publishes the writes to its node (every node does the
     * same to its own copy, so the copies stay identical). */
    pa_span s;
    pa_array_node(S, &s);
    if (pa_ctx_node_rank(ctx) == 0)
        for (int i = 0; i < NS; i++)
            ((double *)s.ptr)[i * NS + i] += NS;
    TRY(pa_array_sync(S));
    TRY(pa_arange(x, 1.0, 1.0)); /* x = 1, 2, ..., NS */
    TRY(pa_matvec(b, S, x, NULL));
    TRY(pa_solve(X, S, b));
    xs = malloc(sizeof(double) * NS);
    if (!from_root(rank != 0 || xs)) {
        if (rank == 0)
            fprintf(stderr, "ex_blas: out of memory\n");
        goto out;
    }
    TRY(pa_array_gather(X, 0, xs));
    double err = 0;
    if (rank == 0)
        for (int i = 0; i < NS; i++)
            err = fmax(err, fabs(xs[i] - (i + 1)) / (i + 1));
    if (!from_root(err < 1e-10)) {
        if (rank == 0)
            fprintf(stderr, "ex_blas: pa_solve: relative error %g\n", err);
        goto out;
    }
    if (rank == 0)
        printf("ex_blas: ok: pa_solve recovers x (relative error %.1e)\n", err);
    status = 0;
out:
    free(xs);
    free(c);
    free(bb);
    free(a);
    pa_array_free(&X);
    pa_array_free(&b);
    pa_array_free(&x);
    pa_array_free(&S);
    pa_array_free(&C);
    pa_array_free(&B);
    pa_array_free(&A);
    pa_finalize(&ctx);
    return status;
}
