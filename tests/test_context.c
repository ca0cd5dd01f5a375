/* Tests of the context: the split of the job into nodes and leaders checked
 * against the communicators themselves, emulated nodes, the cores of ranks
 * and nodes, initialisation when MPI is already running, and the
 * environment variables that make init fail cleanly on every rank. */
#include "testutil.h" /* first: it defines _GNU_SOURCE for sched_getaffinity */

#include <sched.h>
#include "internal.h"

/* k from PARRAY_RANKS_PER_NODE as the launcher set it, or 0. */
static int env_ranks_per_node(void)
{
    const char *v = getenv("PARRAY_RANKS_PER_NODE");
    return v ? atoi(v) : 0;
}

/* This rank's shared-memory node, made here independently of parray: its
 * communicator (key: job rank, so in job-rank order). */
static MPI_Comm shm_comm(void)
{
    MPI_Comm c;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, tu_rank(), MPI_INFO_NULL, &c);
    return c;
}

START_TEST(test_job)
{
    int rank = tu_rank(), size = tu_size(), cmp;
    TU_CHECK(pa_ctx_rank(ctx) == rank);
    TU_CHECK(pa_ctx_size(ctx) == size);
    /* parray's own duplicate, never the caller's communicator. */
    MPI_Comm_compare(pa_ctx_comm(ctx), MPI_COMM_WORLD, &cmp);
    TU_ASSERT(cmp == MPI_CONGRUENT, "MPI_Comm_compare = %d, want MPI_CONGRUENT", cmp);
    const char *h = pa_ctx_hostname(ctx);
    TU_CHECK(h != NULL && h[0] != '\0');
    const char *v = pa_version();
    TU_ASSERT(v != NULL && strchr(v, '.') != NULL, "pa_version() = '%s'", v ? v : "(null)");
    TU_CHECK(pa_errmsg(ctx) != NULL && pa_errmsg(ctx)[0] == '\0');
}
END_TEST

START_TEST(test_node_layout)
{
    int rank = tu_rank(), size = tu_size();
    int node = pa_ctx_node(ctx), nnodes = pa_ctx_nnodes(ctx);
    int nrank = pa_ctx_node_rank(ctx), nsize = pa_ctx_node_size(ctx);
    MPI_Comm nc = pa_ctx_node_comm(ctx), lc = pa_ctx_leader_comm(ctx);

    TU_ASSERT(nnodes >= 1 && nnodes <= size, "nnodes = %d", nnodes);
    TU_SAME_INT(nnodes);
    TU_ASSERT(node >= 0 && node < nnodes, "node %d of %d", node, nnodes);

    /* Node rank and size are those of the node communicator. */
    int r = -1, n = -1;
    TU_CHECK(nc != MPI_COMM_NULL);
    MPI_Comm_rank(nc, &r);
    MPI_Comm_size(nc, &n);
    TU_ASSERT(r == nrank && n == nsize, "node comm rank %d size %d, ctx says %d of %d", r, n,
              nrank, nsize);

    /* Ranks of one node share its id. */
    int lohi[2] = {-node, node}, out[2];
    MPI_Allreduce(lohi, out, 2, MPI_INT, MPI_MAX, nc);
    TU_ASSERT(-out[0] == node && out[1] == node, "node ids %d..%d in one node", -out[0], out[1]);

    /* Leaders: exactly node rank 0 has the leader communicator; its size is
     * nnodes, and the leader's rank in it is the node id. */
    TU_ASSERT((lc != MPI_COMM_NULL) == (nrank == 0), "node rank %d, leader comm %s", nrank,
              lc == MPI_COMM_NULL ? "null" : "set");
    int leaders, lead = nrank == 0;
    MPI_Allreduce(&lead, &leaders, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    TU_ASSERT(leaders == nnodes, "%d leaders, %d nodes", leaders, nnodes);
    int lsize = -1, lrank = -1, total = -1, ids_ok = 1;
    if (lc != MPI_COMM_NULL) {
        MPI_Comm_size(lc, &lsize);
        MPI_Comm_rank(lc, &lrank);
        /* Node sizes over the leaders add up to the job. */
        MPI_Allreduce(&nsize, &total, 1, MPI_INT, MPI_SUM, lc);
        /* Node ids are distinct: a permutation of 0..nnodes-1. */
        int *ids = malloc(sizeof(int) * (size_t)lsize);
        MPI_Allgather(&node, 1, MPI_INT, ids, 1, MPI_INT, lc);
        for (int i = 0; i < lsize; i++)
            if (ids[i] != i)
                ids_ok = 0;
        free(ids);
    }
    TU_ASSERT(lc == MPI_COMM_NULL || (lsize == nnodes && lrank == node),
              "leader comm size %d rank %d, nnodes %d node %d", lsize, lrank, nnodes, node);
    TU_ASSERT(lc == MPI_COMM_NULL || total == size, "node sizes add up to %d of %d", total, size);
    TU_ASSERT(ids_ok, "node ids over the leaders are not 0..nnodes-1 in leader order");

    /* The node's members are in job-rank order: node rank i is the i-th. */
    int *members = malloc(sizeof(int) * (size_t)nsize);
    MPI_Allgather(&rank, 1, MPI_INT, members, 1, MPI_INT, nc);
    int ordered = members[nrank] == rank;
    for (int i = 1; i < nsize; i++)
        if (members[i] <= members[i - 1])
            ordered = 0;
    free(members);
    TU_ASSERT(ordered, "node members are not in job-rank order");
}
END_TEST

START_TEST(test_node_is_shared_memory)
{
    int k = env_ranks_per_node();
    MPI_Comm shm = shm_comm();
    MPI_Comm nc = pa_ctx_node_comm(ctx);
    int shm_rank, shm_size, nsize = pa_ctx_node_size(ctx), nrank = pa_ctx_node_rank(ctx);
    MPI_Comm_rank(shm, &shm_rank);
    MPI_Comm_size(shm, &shm_size);

    /* Every member of my node is in my shared-memory node: compare the
     * shared-memory leader's job rank over the node. */
    int shm_id = shm_rank == 0 ? tu_rank() : 0, lohi[2], out[2];
    MPI_Bcast(&shm_id, 1, MPI_INT, 0, shm);
    lohi[0] = -shm_id;
    lohi[1] = shm_id;
    MPI_Allreduce(lohi, out, 2, MPI_INT, MPI_MAX, nc);
    TU_ASSERT(-out[0] == out[1], "one parray node spans two shared-memory nodes");

    /* Emulated nodes within my shared-memory node. */
    int leaders, lead = nrank == 0;
    MPI_Allreduce(&lead, &leaders, 1, MPI_INT, MPI_SUM, shm);
    TU_ASSERT(pa_ctx_emulated(ctx) == k, "pa_ctx_emulated = %d, PARRAY_RANKS_PER_NODE = %d",
              pa_ctx_emulated(ctx), k);
    if (k > 0) {
        TU_ASSERT(nsize <= k, "node of %d ranks with k = %d", nsize, k);
        TU_ASSERT(leaders == (shm_size + k - 1) / k,
                  "%d emulated nodes in a shared-memory node of %d ranks, k = %d", leaders,
                  shm_size, k);
    } else {
        TU_ASSERT(nsize == shm_size, "node of %d ranks, shared-memory node of %d", nsize,
                  shm_size);
        TU_CHECK(leaders == 1);
    }

    /* Members are consecutive ranks of the shared-memory node. */
    int *sr = malloc(sizeof(int) * (size_t)nsize);
    MPI_Allgather(&shm_rank, 1, MPI_INT, sr, 1, MPI_INT, nc);
    int consecutive = 1;
    for (int i = 1; i < nsize; i++)
        if (sr[i] != sr[0] + i)
            consecutive = 0;
    /* With k set, node j of a shared-memory node holds its ranks j*k .. */
    if (k > 0 && sr[0] % k != 0)
        consecutive = 0;
    free(sr);
    TU_ASSERT(consecutive, "node members are not consecutive in their shared-memory node");
    MPI_Comm_free(&shm);
}
END_TEST

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* 1 when cpus[0..n) is strictly ascending and non-negative. */
static int ascending(const int *cpus, int n)
{
    for (int i = 0; i < n; i++)
        if (cpus[i] < 0 || (i > 0 && cpus[i] <= cpus[i - 1]))
            return 0;
    return 1;
}

START_TEST(test_cores)
{
    int n = pa_ctx_cores(ctx, 0, NULL, 0);
    int nn = pa_ctx_cores(ctx, 1, NULL, 0);
    TU_ASSERT(n >= 1 && n <= CPU_SETSIZE, "rank has %d cores", n);
    TU_ASSERT(nn >= n && nn <= CPU_SETSIZE, "node has %d cores, rank %d", nn, n);
    if (n < 1 || nn < n || nn > CPU_SETSIZE)
        return; /* every rank returns: the check above is collective */

    int *mine = malloc(sizeof(int) * (size_t)n), *node = malloc(sizeof(int) * (size_t)nn);
    TU_CHECK(pa_ctx_cores(ctx, 0, mine, n) == n);
    TU_CHECK(pa_ctx_cores(ctx, 1, node, nn) == nn);
    TU_CHECK(ascending(mine, n) && ascending(node, nn));

    /* Truncation: max smaller than the count writes max, returns the count. */
    int one[2] = {-7, -7};
    TU_CHECK(pa_ctx_cores(ctx, 0, one, 1) == n && one[0] == mine[0] && one[1] == -7);

    /* The rank's set is its affinity (unchanged since init). */
    cpu_set_t set;
    CPU_ZERO(&set);
    int ok = sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == n;
    for (int i = 0; ok && i < n; i++)
        ok = CPU_ISSET(mine[i], &set);
    TU_ASSERT(ok, "cores differ from sched_getaffinity (%d of them)", CPU_COUNT(&set));

    /* Mine is a subset of my node's. */
    int sub = 1;
    for (int i = 0; i < n; i++)
        if (!bsearch(&mine[i], node, (size_t)nn, sizeof(int), cmp_int))
            sub = 0;
    TU_ASSERT(sub, "rank's cores are not a subset of the node's");

    /* The node's set is the union of its members' sets. */
    MPI_Comm nc = pa_ctx_node_comm(ctx);
    int nsize = pa_ctx_node_size(ctx);
    int *counts = malloc(sizeof(int) * (size_t)nsize),
        *displs = malloc(sizeof(int) * (size_t)nsize);
    MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, nc);
    int all = 0;
    for (int i = 0; i < nsize; i++) {
        displs[i] = all;
        all += counts[i];
    }
    int *cat = malloc(sizeof(int) * (size_t)all);
    MPI_Allgatherv(mine, n, MPI_INT, cat, counts, displs, MPI_INT, nc);
    qsort(cat, (size_t)all, sizeof(int), cmp_int);
    int u = 0;
    for (int i = 0; i < all; i++)
        if (u == 0 || cat[i] != cat[u - 1])
            cat[u++] = cat[i];
    int same = u == nn;
    for (int i = 0; same && i < u; i++)
        same = cat[i] == node[i];
    TU_ASSERT(same, "node cores (%d) are not the union of its ranks' cores (%d)", nn, u);

    /* The node's set is the same on every rank of the node. */
    int lohi[2] = {-nn, nn}, out[2];
    MPI_Allreduce(lohi, out, 2, MPI_INT, MPI_MAX, nc);
    TU_CHECK(-out[0] == out[1]);
    free(cat);
    free(counts);
    free(displs);
    free(mine);
    free(node);
}
END_TEST

START_TEST(test_hostname_in_node)
{
    char h[256], root[256];
    snprintf(h, sizeof h, "%s", pa_ctx_hostname(ctx));
    memcpy(root, h, sizeof h);
    MPI_Bcast(root, sizeof root, MPI_CHAR, 0, pa_ctx_node_comm(ctx));
    TU_ASSERT(strcmp(h, root) == 0, "host '%s' in a node whose leader is on '%s'", h, root);
}
END_TEST

START_TEST(test_blas_threads)
{
    TU_ASSERT(pa_blas_threads(ctx) >= 1, "planned BLAS threads %d", pa_blas_threads(ctx));
}
END_TEST

/* ------------------------------------------------------------ init */

START_TEST(test_finalize_null)
{
    pa_ctx *none = NULL;
    int rc = pa_finalize(&none);
    TU_RC(rc, PA_OK, NULL);
    TU_CHECK(none == NULL);
}
END_TEST

START_TEST(test_init_with_mpi_running)
{
    /* MPI is initialised by main: pa_init must not initialise it again and
     * pa_finalize must not finalise it. */
    pa_ctx *c = NULL;
    int argc = 1;
    char arg0[] = "test_context", *args[] = {arg0, NULL}, **argv = args;
    int rc = pa_init(&argc, &argv, &c);
    TU_RC(rc, PA_OK, NULL);
    TU_CHECK(c != NULL);
    TU_CHECK(c->owns_mpi == 0);
    TU_CHECK(pa_ctx_size(c) == tu_size());
    rc = pa_finalize(&c);
    TU_RC(rc, PA_OK, NULL);
    TU_CHECK(c == NULL);
    int fin = 1;
    MPI_Finalized(&fin);
    TU_CHECK(!fin);
    /* MPI still works. */
    int one = 1, sum = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    TU_CHECK(sum == tu_size());

    /* argc and argv may be NULL. */
    rc = pa_init(NULL, NULL, &c);
    TU_RC(rc, PA_OK, NULL);
    TU_OK(pa_finalize(&c), NULL);
    MPI_Finalized(&fin);
    TU_CHECK(!fin);
}
END_TEST

START_TEST(test_two_contexts)
{
    /* Contexts are independent: two at once, freed in creation order. */
    pa_ctx *a = NULL, *b = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &a), NULL);
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &b), NULL);
    int cmp;
    MPI_Comm_compare(pa_ctx_comm(a), pa_ctx_comm(b), &cmp);
    TU_ASSERT(cmp == MPI_CONGRUENT, "two contexts share a communicator (%d)", cmp);
    TU_CHECK(pa_ctx_node(a) == pa_ctx_node(b) && pa_ctx_nnodes(a) == pa_ctx_nnodes(b));
    TU_OK(pa_finalize(&a), NULL);
    size_t shape[1] = {10};
    pa_array *x = NULL;
    TU_OK(pa_array_create(b, PA_I32, 1, shape, PA_DISTRIBUTED, &x), b);
    TU_OK(pa_array_free(&x), b);
    TU_OK(pa_finalize(&b), NULL);
}
END_TEST

START_TEST(test_subcommunicator)
{
    /* A context over half the job (even and odd ranks): its ranks and nodes
     * are those of the sub-communicator. */
    MPI_Comm half;
    int rank = tu_rank();
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
    int hr, hs;
    MPI_Comm_rank(half, &hr);
    MPI_Comm_size(half, &hs);
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(half, &c), NULL);
    TU_CHECK(pa_ctx_rank(c) == hr && pa_ctx_size(c) == hs);
    int nn = pa_ctx_nnodes(c), lead = pa_ctx_node_rank(c) == 0, leaders;
    MPI_Allreduce(&lead, &leaders, 1, MPI_INT, MPI_SUM, half);
    TU_ASSERT(leaders == nn, "%d leaders, %d nodes in the half job", leaders, nn);
    size_t shape[2] = {7, 3};
    pa_array *x = NULL;
    TU_OK(pa_array_create(c, PA_F64, 2, shape, PA_DISTRIBUTED, &x), c);
    pa_span s;
    TU_OK(pa_array_local(x, &s), c);
    size_t cnt = s.count, total = 0;
    MPI_Allreduce(&cnt, &total, 1, TU_MPI_SIZE_T, MPI_SUM, half);
    TU_ASSERT(total == 21, "local counts add up to %zu of 21", total);
    TU_OK(pa_array_free(&x), c);
    TU_OK(pa_finalize(&c), NULL);
    MPI_Comm_free(&half);
}
END_TEST

START_TEST(test_init_null_out)
{
    int rc = pa_init_comm(MPI_COMM_WORLD, NULL);
    TU_RC(rc, PA_EINVAL, NULL);
}
END_TEST

/* ------------------------------------------------------------ environment */

/* Initialises with name=value on the ranks where on_rank says (all when
 * on_rank is -1), restores the variable, and returns the code. */
static int init_with(const char *name, const char *value, int on_rank, pa_ctx **out)
{
    tu_env saved = tu_env_save(name);
    if (on_rank < 0 || on_rank == tu_rank())
        setenv(name, value, 1);
    *out = (pa_ctx *)&saved; /* a sentinel that must become NULL on failure */
    int rc = pa_init_comm(MPI_COMM_WORLD, out);
    tu_env_restore(&saved);
    return rc;
}

static void expect_einval(const char *name, const char *value, int on_rank)
{
    pa_ctx *c;
    int rc = init_with(name, value, on_rank, &c);
    TU_ASSERT(rc == PA_EINVAL, "%s='%s' (on rank %d): got %s: %s", name, value, on_rank,
              pa_errname(rc), pa_errmsg(rc == PA_OK ? c : NULL));
    TU_SAME_INT(rc);
    TU_ASSERT(c == NULL, "%s='%s': *ctx not NULL on failure", name, value);
    const char *m = pa_errmsg(NULL);
    TU_ASSERT(m != NULL && strstr(m, name) != NULL, "%s='%s': message '%s' does not name it",
              name, value, m ? m : "(null)");
    TU_CHECK(tu_same_str(m));
}

START_TEST(test_env_ranks_per_node_invalid)
{
    /* Blanks and a '+' are refused too: the value is digits only. */
    const char *bad[] = {"0",  "-1", "abc", "2x",  "",   " ", "1.5", "99999999999999999999",
                         " 2", "+2", "2 ",  "\t2", " -1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_einval("PARRAY_RANKS_PER_NODE", bad[i], -1);
    /* Invalid on one rank only: every rank agrees on the failure. */
    expect_einval("PARRAY_RANKS_PER_NODE", "abc", tu_size() - 1);
    expect_einval("PARRAY_RANKS_PER_NODE", "0", 0);
    /* The original value is back. */
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
    TU_CHECK(pa_ctx_emulated(c) == env_ranks_per_node());
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_init_failure_keeps_mpi)
{
    /* pa_init fails on bad input, but it did not initialise MPI, so it must
     * not finalise it either. */
    tu_env saved = tu_env_save("PARRAY_RANKS_PER_NODE");
    setenv("PARRAY_RANKS_PER_NODE", "-3", 1);
    pa_ctx *c = (pa_ctx *)&saved;
    int rc = pa_init(NULL, NULL, &c);
    tu_env_restore(&saved);
    TU_RC(rc, PA_EINVAL, NULL);
    TU_CHECK(c == NULL);
    int fin = 1;
    MPI_Finalized(&fin);
    TU_CHECK(!fin);
    int one = 1, sum = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    TU_CHECK(sum == tu_size());
}
END_TEST

START_TEST(test_env_ranks_per_node_one)
{
    /* k = 1: every rank is its own node, in job-rank order. */
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_RANKS_PER_NODE", "1", -1, &c), NULL);
    TU_CHECK(pa_ctx_emulated(c) == 1);
    TU_CHECK(pa_ctx_nnodes(c) == tu_size());
    TU_CHECK(pa_ctx_node_size(c) == 1 && pa_ctx_node_rank(c) == 0);
    TU_CHECK(pa_ctx_leader_comm(c) != MPI_COMM_NULL);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_ranks_per_node_large)
{
    /* k larger than any node: the nodes are the shared-memory nodes. */
    char k[32];
    snprintf(k, sizeof k, "%d", tu_size() + 5);
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_RANKS_PER_NODE", k, -1, &c), NULL);
    TU_CHECK(pa_ctx_emulated(c) == tu_size() + 5);
    MPI_Comm shm = shm_comm();
    int shm_size;
    MPI_Comm_size(shm, &shm_size);
    TU_ASSERT(pa_ctx_node_size(c) == shm_size, "node of %d, shared-memory node of %d",
              pa_ctx_node_size(c), shm_size);
    MPI_Comm_free(&shm);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_ranks_per_node_two)
{
    /* k = 2: node j of a shared-memory node holds its ranks 2j and 2j+1. */
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_RANKS_PER_NODE", "2", -1, &c), NULL);
    TU_CHECK(pa_ctx_emulated(c) == 2);
    MPI_Comm shm = shm_comm();
    int sr, ss;
    MPI_Comm_rank(shm, &sr);
    MPI_Comm_size(shm, &ss);
    int want_size = ss - sr / 2 * 2 < 2 ? ss - sr / 2 * 2 : 2;
    TU_ASSERT(pa_ctx_node_rank(c) == sr % 2 && pa_ctx_node_size(c) == want_size,
              "shared-memory rank %d of %d is node rank %d of %d", sr, ss, pa_ctx_node_rank(c),
              pa_ctx_node_size(c));
    MPI_Comm_free(&shm);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_blas_threads)
{
    const char *bad[] = {"0", "-2", "x", "3y", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_einval("PARRAY_BLAS_THREADS", bad[i], -1);
    expect_einval("PARRAY_BLAS_THREADS", "nope", tu_size() - 1);
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_BLAS_THREADS", "1", -1, &c), NULL);
    TU_CHECK(pa_blas_threads(c) == 1);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_pool_mb)
{
    const char *bad[] = {"-1", "lots", "1M"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_einval("PARRAY_POOL_MB", bad[i], -1);
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_POOL_MB", "0", -1, &c), NULL);
    TU_OK(pa_finalize(&c), NULL);
    TU_OK(init_with("PARRAY_POOL_MB", "16", -1, &c), NULL);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_check)
{
    const char *bad[] = {"bogus", "collective", "1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_einval("PARRAY_CHECK", bad[i], -1);
    expect_einval("PARRAY_CHECK_TIMEOUT", "0", -1);
    expect_einval("PARRAY_CHECK_TIMEOUT", "soon", -1);
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_CHECK", "none", -1, &c), NULL);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_h5_settings)
{
    /* Refused on every rank, naming the variable, also when set badly on
     * one rank only (the others unset: the raw values differ). */
    const char *bad_align[] = {"4M",     "1M,4M,8M",       "1M,", ",4M", "1X,4M", "1M,0", "-1,4M",
                               "1 M,4M", "1M,20000000000T"};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++)
        expect_einval("PARRAY_H5_ALIGN", bad_align[i], -1);
    expect_einval("PARRAY_H5_ALIGN", "1M,x", tu_size() - 1);
    const char *bad_hints[] = {"cb_nodes",
                               "a=",
                               "=b",
                               "a=1,",
                               ",a=1",
                               "a=1,a=2",
                               "a_key_longer_than_mpi_takes_as_an_info_key=1"};
    for (size_t i = 0; i < sizeof bad_hints / sizeof bad_hints[0]; i++)
        expect_einval("PARRAY_MPIIO_HINTS", bad_hints[i], -1);
    expect_einval("PARRAY_MPIIO_HINTS", "oops", 0);

    unsigned long long threshold = 0, alignment = 0;
    MPI_Info hints = MPI_INFO_NULL;
    pa_ctx *c = NULL;
    TU_OK(init_with("PARRAY_H5_ALIGN", "1K,4MiB", -1, &c), NULL);
    TU_OK(pa_h5_settings(c, &threshold, &alignment, &hints), c);
    TU_CHECK(threshold == 1024 && alignment == 4u << 20 && hints == MPI_INFO_NULL);
    TU_OK(pa_finalize(&c), NULL);

    TU_OK(init_with("PARRAY_MPIIO_HINTS", "striping_factor=4,romio_cb_write=enable", -1, &c),
          NULL);
    TU_OK(pa_h5_settings(c, &threshold, &alignment, &hints), c);
    char value[MPI_MAX_INFO_VAL + 1] = "";
    int nkeys = 0, found = 0;
    MPI_Info_get_nkeys(hints, &nkeys);
    MPI_Info_get(hints, "romio_cb_write", MPI_MAX_INFO_VAL, value, &found);
    TU_CHECK(threshold == 1 && alignment == 1 && nkeys == 2 && found &&
             strcmp(value, "enable") == 0);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_env_differs_between_ranks)
{
    /* A valid setting made on the odd ranks only (and unset on the even
     * ones): before, the ranks split into nodes differently and pa_init
     * hung; now every rank fails with PA_EINVAL naming the variable and the
     * values. */
    const char *set[][2] = {{"PARRAY_RANKS_PER_NODE", "1"},
                            {"PARRAY_POOL_MB", "0"},
                            {"PARRAY_AFFINITY", "keep"},
                            {"PARRAY_CHECK", "collectives"},
                            {"PARRAY_FAULT", "h5_write@0"}};
    for (size_t i = 0; tu_size() > 1 && i < sizeof set / sizeof set[0]; i++) {
        const char *name = set[i][0], *value = set[i][1];
        tu_env saved = tu_env_save(name);
        if (tu_rank() % 2)
            setenv(name, value, 1);
        else
            unsetenv(name);
        pa_ctx *c = (pa_ctx *)&saved;
        int rc = pa_init_comm(MPI_COMM_WORLD, &c);
        tu_env_restore(&saved);
        TU_RC(rc, PA_EINVAL, NULL);
        TU_CHECK(c == NULL);
        const char *m = pa_errmsg(NULL);
        char want[128];
        snprintf(want, sizeof want, "'%s' on rank 1", value);
        TU_ASSERT(strstr(m, name) && strstr(m, "differs between ranks") && strstr(m, want) &&
                      strstr(m, "unset on rank 0"),
                  "%s on odd ranks: message '%s'", name, m);
        TU_CHECK(tu_same_str(m));
    }
    /* Alike on every rank again: pa_init works. */
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("context");
    TCase *tc = tu_tcase(s, "layout");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_job);
    tcase_add_test(tc, test_node_layout);
    tcase_add_test(tc, test_node_is_shared_memory);
    tcase_add_test(tc, test_cores);
    tcase_add_test(tc, test_hostname_in_node);
    tcase_add_test(tc, test_blas_threads);

    tc = tu_tcase(s, "init");
    tcase_add_test(tc, test_finalize_null);
    tcase_add_test(tc, test_init_with_mpi_running);
    tcase_add_test(tc, test_two_contexts);
    tcase_add_test(tc, test_subcommunicator);
    tcase_add_test(tc, test_init_null_out);

    tc = tu_tcase(s, "environment");
    tcase_add_test(tc, test_env_ranks_per_node_invalid);
    tcase_add_test(tc, test_init_failure_keeps_mpi);
    tcase_add_test(tc, test_env_ranks_per_node_one);
    tcase_add_test(tc, test_env_ranks_per_node_large);
    tcase_add_test(tc, test_env_ranks_per_node_two);
    tcase_add_test(tc, test_env_blas_threads);
    tcase_add_test(tc, test_env_pool_mb);
    tcase_add_test(tc, test_env_check);
    tcase_add_test(tc, test_env_h5_settings);
    tcase_add_test(tc, test_env_differs_between_ranks);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
