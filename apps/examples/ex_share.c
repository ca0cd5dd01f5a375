/* Concern 5 of docs/guide.md: share arrays between the processes of a node
 * without copies.
 *
 * 1. A lookup table that every rank needs whole is a replicated array: one
 *    copy per node, not one per rank. One rank fills it through a plain
 *    pointer, pa_array_replicate publishes it to the other nodes, and then
 *    every rank reads it in place.
 * 2. A big distributed array: each rank writes its own part through a
 *    pointer; after pa_array_sync every rank of the node reads the whole
 *    node block, its peers' parts included, in place: no messages, no copies.
 *
 * Build: mpicc ex_share.c $(pkg-config --cflags --libs parray) -lm
 * Run:   mpirun -n 4 ./ex_share           (exit status 0 when the checks pass) */
#include <math.h>
#include <stdio.h>

#include <parray.h>

#define TABLE 4096 /* entries of the lookup table */
#define ROWS 2000  /* rows of the big array */
#define COLS 300

/* Every parray call returns the same code on every rank, so every rank takes
 * the same branch here and no rank is left waiting in a collective. */
#define TRY(call)                                                                                \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_ != PA_OK) {                                                                      \
            if (pa_ctx_rank(ctx) == 0)                                                           \
                fprintf(stderr, "ex_share: %s: %s\n", pa_errname(rc_), pa_errmsg(ctx));          \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

/* A check on values that differ by rank: true only if it holds on every rank. */
static int everywhere(int ok)
{
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return ok;
}

static double table_value(size_t i)
{
    return sin(6.283185307179586 * (double)i / TABLE);
}

int main(int argc, char **argv)
{
    pa_ctx *ctx = NULL;
    pa_array *table = NULL, *big = NULL;
    int status = 1;

    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "ex_share: %s\n", pa_errmsg(NULL));
        return 1;
    }
    int rank = pa_ctx_rank(ctx);

    /* 1. The table: rank 0 of node 0 computes it into node 0's copy. */
    TRY(pa_array_create(ctx, PA_F64, 1, (size_t[]){TABLE}, PA_REPLICATED, &table));
    pa_span tab;
    pa_array_node(table, &tab); /* this node's copy: all TABLE entries */
    if (pa_ctx_node(ctx) == 0 && pa_ctx_node_rank(ctx) == 0) {
        double *t = tab.ptr;
        for (size_t i = 0; i < tab.count; i++)
            t[i] = table_value(i);
    }
    /* Collective: syncs node 0 (so its leader sees the writes), sends the
     * copy to the other nodes' leaders, and syncs every node. */
    TRY(pa_array_replicate(table, 0));

    /* Every rank reads its node's copy in place. */
    const double *t = tab.ptr;
    int ok = tab.count == TABLE;
    for (size_t i = 0; ok && i < TABLE; i++)
        ok = t[i] == table_value(i);
    if (!everywhere(ok)) {
        if (rank == 0)
            fprintf(stderr, "ex_share: the table is wrong on some rank\n");
        goto out;
    }

    /* 2. The big array: each rank fills its own part from the table. */
    TRY(pa_array_create(ctx, PA_F64, 2, (size_t[]){ROWS, COLS}, PA_DISTRIBUTED, &big));
    pa_span mine, node;
    pa_array_local(big, &mine);
    double *m = mine.ptr;
    for (size_t j = 0; j < mine.count; j++)
        m[j] = t[(mine.offset + j) % TABLE]; /* global index = offset + j */

    /* Before another rank may read those elements: make them visible. */
    TRY(pa_array_sync(big));

    /* Every rank checks the whole node block, its peers' parts included. */
    pa_array_node(big, &node);
    const double *b = node.ptr;
    ok = 1;
    for (size_t j = 0; ok && j < node.count; j++)
        ok = b[j] == t[(node.offset + j) % TABLE];
    if (!everywhere(ok)) {
        if (rank == 0)
            fprintf(stderr, "ex_share: a rank read a wrong value from its node block\n");
        goto out;
    }

    /* A collective reduction over the whole array, against the same sum
     * taken serially (the two orders of summation differ: a tolerance). */
    double sum, ref = 0;
    TRY(pa_reduce(big, PA_RED_SUM, -1, &sum));
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++)
        ref += table_value(i % TABLE);
    if (fabs(sum - ref) > 1e-9 * ROWS * COLS) {
        if (rank == 0)
            fprintf(stderr, "ex_share: sum %.17g, expected %.17g\n", sum, ref);
        goto out;
    }

    if (rank == 0)
        printf("ex_share: ok: %d ranks on %d nodes read one %zu-byte table per node and "
               "each other's parts of a %dx%d array in place\n",
               pa_ctx_size(ctx), pa_ctx_nnodes(ctx), TABLE * sizeof(double), ROWS, COLS);
    status = 0;
out:
    pa_array_free(&big);
    pa_array_free(&table);
    pa_finalize(&ctx);
    return status;
}
