/* Tests of the core plan (cores.c) on machines this one is not, described
 * to hwloc: 2 packages x 2 NUMA nodes x 8 cores x 2 hardware threads at
 * 1 to 64 ranks, a 4-core laptop, and the same big machine restricted to a
 * Slurm-style allowed cpuset that cuts a NUMA node and a core. Every plan
 * is checked for disjoint shares, no core split between ranks, NUMA
 * locality and every allowed CPU used. Then pa_init itself plans for a
 * described machine (PARRAY_TOPOLOGY), reports its topology and NUMA
 * nodes, and survives a refused memory binding. The NUMA node each rank's
 * memory is bound to follows its share on the same machines, and a machine
 * given in HWLOC_XMLFILE gets no real binding. The plan is computed alike
 * on every rank, so each check holds for any rank count and layout. */
#include "testutil.h"

#include "cores.h"

#define BIG "pack:2 numa:2 core:8 pu:2"
#define LAPTOP "pack:1 numa:1 core:4 pu:1"

static hwloc_topology_t machine(const char *synthetic)
{
    hwloc_topology_t topo;
    ck_assert_int_eq(hwloc_topology_init(&topo), 0);
    ck_assert_int_eq(hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED), 0);
    ck_assert_int_eq(hwloc_topology_set_synthetic(topo, synthetic), 0);
    ck_assert_int_eq(hwloc_topology_load(topo), 0);
    return topo;
}

/* The objects of type whose CPUs meet set. */
static int touching(hwloc_topology_t topo, hwloc_obj_type_t type, hwloc_const_cpuset_t set)
{
    int n = 0;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(topo, type, o));)
        n += hwloc_bitmap_intersects(o->cpuset, set);
    return n;
}

/* The shares of p ranks (free with shares_free). */
static hwloc_bitmap_t *plan(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int p)
{
    hwloc_bitmap_t *share = calloc((size_t)p, sizeof *share);
    ck_assert_ptr_nonnull(share);
    for (int r = 0; r < p; r++) {
        share[r] = hwloc_bitmap_alloc();
        ck_assert_int_eq(pa__cores_share(topo, allowed, r, p, share[r]), 0);
    }
    return share;
}

static void shares_free(hwloc_bitmap_t *share, int p)
{
    for (int r = 0; r < p; r++)
        hwloc_bitmap_free(share[r]);
    free(share);
}

/* What every plan promises; returns "" or the first promise broken. */
static const char *broken(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int p,
                          hwloc_bitmap_t *share)
{
    static char why[256];
    int ncpus = hwloc_bitmap_weight(allowed);
    int ncores = touching(topo, HWLOC_OBJ_CORE, allowed);
    int nnuma = touching(topo, HWLOC_OBJ_NUMANODE, allowed);
    hwloc_bitmap_t all = hwloc_bitmap_alloc(), part = hwloc_bitmap_alloc();
    why[0] = '\0';
    for (int r = 0; r < p && !why[0]; r++) {
        if (hwloc_bitmap_iszero(share[r]) || !hwloc_bitmap_isincluded(share[r], allowed))
            snprintf(why, sizeof why, "rank %d: share empty or outside the allowed CPUs", r);
        else if (p <= ncpus && hwloc_bitmap_intersects(share[r], all))
            snprintf(why, sizeof why, "rank %d: share overlaps a lower rank's", r);
        else if (p >= nnuma && touching(topo, HWLOC_OBJ_NUMANODE, share[r]) != 1)
            snprintf(why, sizeof why, "rank %d: share spans %d NUMA nodes with %d ranks on %d", r,
                     touching(topo, HWLOC_OBJ_NUMANODE, share[r]), p, nnuma);
        hwloc_bitmap_or(all, all, share[r]);
    }
    if (!why[0] && !hwloc_bitmap_isequal(all, allowed))
        snprintf(why, sizeof why, "the shares do not cover the allowed CPUs");
    /* No SMT sibling split: with no more ranks than cores, each core's
     * allowed CPUs lie in one share, whole. */
    for (hwloc_obj_t core = NULL;
         p <= ncores && !why[0] &&
         (core = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, core));) {
        hwloc_bitmap_and(part, core->cpuset, allowed);
        int holders = 0, whole = 1;
        for (int r = 0; r < p; r++)
            if (hwloc_bitmap_intersects(share[r], part)) {
                holders++;
                whole &= hwloc_bitmap_isincluded(part, share[r]);
            }
        if (!hwloc_bitmap_iszero(part) && (holders != 1 || !whole))
            snprintf(why, sizeof why, "core %u: its CPUs are in %d shares", core->logical_index,
                     holders);
    }
    hwloc_bitmap_free(all);
    hwloc_bitmap_free(part);
    return why;
}

/* The CPUs of share r. */
static int cpus_of(hwloc_bitmap_t *share, int r)
{
    return hwloc_bitmap_weight(share[r]);
}

START_TEST(big_machine_every_rank_count)
{
    hwloc_topology_t topo = machine(BIG);
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
    ck_assert_int_eq(hwloc_bitmap_weight(allowed), 64);
    static const int counts[] = {1, 2, 3, 4, 5, 8, 16, 24, 32, 33, 64, 65, 100};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        int p = counts[i];
        hwloc_bitmap_t *share = plan(topo, allowed, p);
        const char *why = broken(topo, allowed, p, share);
        TU_ASSERT(!why[0], "%s, %d ranks: %s", BIG, p, why);
        /* Where p divides the 64 CPUs: equal shares; 2 ranks take one
         * package each, 4 one NUMA node each, 16 two whole cores each. */
        int equal = 1, packages = 1;
        for (int r = 0; r < p && 64 % p == 0; r++) {
            equal &= cpus_of(share, r) == 64 / p;
            packages &= touching(topo, HWLOC_OBJ_PACKAGE, share[r]) == 1 || p == 1;
        }
        TU_ASSERT(equal && packages, "%d ranks: unequal shares, or one spans packages", p);
        if (p == 16)
            TU_CHECK(touching(topo, HWLOC_OBJ_CORE, share[5]) == 2);
        shares_free(share, p);
    }
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(laptop)
{
    hwloc_topology_t topo = machine(LAPTOP);
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
    for (int p = 1; p <= 8; p++) {
        hwloc_bitmap_t *share = plan(topo, allowed, p);
        const char *why = broken(topo, allowed, p, share);
        TU_ASSERT(!why[0], "%s, %d ranks: %s", LAPTOP, p, why);
        /* 3 ranks on 4 cores: 1, 1 and 2; more ranks than cores: one each. */
        int most = 0;
        for (int r = 0; r < p; r++)
            most = cpus_of(share, r) > most ? cpus_of(share, r) : most;
        TU_ASSERT(most == (p >= 4 ? 1 : (4 + p - 1) / p), "%d ranks: a share of %d", p, most);
        shares_free(share, p);
    }
    hwloc_topology_destroy(topo);
}
END_TEST

/* SMT siblings numbered N apart, as Linux numbers them on most x86
 * machines: the PUs of core k are k and k + 16. The plan keeps them
 * together by hwloc's order, not by their numbers. */
START_TEST(siblings_numbered_apart)
{
    hwloc_topology_t topo = machine("pack:2 core:8 pu:2(indexes=0,16,1,17,2,18,3,19,4,20,5,21,"
                                    "6,22,7,23,8,24,9,25,10,26,11,27,12,28,13,29,14,30,15,31)");
    hwloc_obj_t core3 = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, 3);
    TU_ASSERT(hwloc_bitmap_isset(core3->cpuset, 3) && hwloc_bitmap_isset(core3->cpuset, 19),
              "the synthetic numbering is not the one this test wants");
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
    for (int p = 1; p <= 16; p++) {
        hwloc_bitmap_t *share = plan(topo, allowed, p);
        const char *why = broken(topo, allowed, p, share);
        TU_ASSERT(!why[0], "siblings N apart, %d ranks: %s", p, why);
        shares_free(share, p);
    }
    hwloc_topology_destroy(topo);
}
END_TEST

/* Slurm gives a job CPUs 12-28 of the big machine: cores 6-7 of NUMA node
 * 0, cores 8-13 and one hardware thread of core 14 in NUMA node 1, through
 * its cgroup, which hwloc reports as the allowed cpuset. */
START_TEST(slurm_restricted_cpuset)
{
    hwloc_topology_t topo = machine(BIG);
    hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
    hwloc_bitmap_set_range(cpus, 12, 28);
    ck_assert_int_eq(hwloc_topology_allow(topo, cpus, NULL, HWLOC_ALLOW_FLAG_CUSTOM), 0);
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
    TU_CHECK(hwloc_bitmap_isequal(allowed, cpus));
    for (int p = 1; p <= 20; p++) {
        hwloc_bitmap_t *share = plan(topo, allowed, p);
        const char *why = broken(topo, allowed, p, share);
        TU_ASSERT(!why[0], "CPUs 12-28, %d ranks: %s", p, why);
        if (p == 2) /* one rank per NUMA node: its cores there */
            TU_ASSERT(cpus_of(share, 0) == 4 && cpus_of(share, 1) == 13,
                      "2 ranks: shares of %d and %d CPUs", cpus_of(share, 0), cpus_of(share, 1));
        if (p == 9) { /* one core each: 2 in NUMA node 0, 7 in node 1 */
            int ones = 0;
            for (int r = 0; r < p; r++)
                ones += touching(topo, HWLOC_OBJ_CORE, share[r]) == 1;
            TU_ASSERT(ones == 9, "9 ranks on 9 cores: %d have one core", ones);
        }
        shares_free(share, p);
    }
    hwloc_bitmap_free(cpus);
    hwloc_topology_destroy(topo);
}
END_TEST

/* The NUMA nodes each rank's memory is bound to, for the plan's shares:
 * exactly the NUMA node holding the share when it lies in one (always when
 * the ranks are at least as many as the NUMA nodes), none when it spans
 * several or the machine has one. */
static void check_membind_nodes(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int p,
                                const char *what)
{
    int nnuma = touching(topo, HWLOC_OBJ_NUMANODE, allowed);
    int machine_numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    hwloc_bitmap_t *share = plan(topo, allowed, p);
    hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
    for (int r = 0; r < p; r++) {
        ck_assert_int_eq(pa__cores_membind_nodes(topo, share[r], nodes), 0);
        int spans = touching(topo, HWLOC_OBJ_NUMANODE, share[r]);
        if (machine_numa < 2 || spans > 1) {
            TU_ASSERT(hwloc_bitmap_iszero(nodes),
                      "%s, %d ranks: rank %d (%d NUMA nodes) is "
                      "bound to %d",
                      what, p, r, spans, hwloc_bitmap_weight(nodes));
            TU_ASSERT(p < nnuma || machine_numa < 2, "%s, %d ranks: rank %d spans %d NUMA nodes",
                      what, p, r, spans);
            continue;
        }
        hwloc_obj_t numa = hwloc_get_numanode_obj_by_os_index(
            topo, (unsigned)hwloc_bitmap_first(nodes));
        TU_ASSERT(hwloc_bitmap_weight(nodes) == 1 && numa &&
                      hwloc_bitmap_isincluded(share[r], numa->cpuset),
                  "%s, %d ranks: rank %d is not bound to the NUMA node of its CPUs", what, p, r);
    }
    hwloc_bitmap_free(nodes);
    shares_free(share, p);
}

START_TEST(membind_nodes_follow_the_shares)
{
    static const int counts[] = {1, 2, 3, 4, 8, 16, 64};
    hwloc_topology_t big = machine(BIG), laptop = machine(LAPTOP);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        check_membind_nodes(big, hwloc_topology_get_allowed_cpuset(big), counts[i], BIG);
        check_membind_nodes(laptop, hwloc_topology_get_allowed_cpuset(laptop), counts[i], LAPTOP);
    }
    /* The Slurm job of CPUs 12-28: 2 ranks and more are one NUMA node each. */
    hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
    hwloc_bitmap_set_range(cpus, 12, 28);
    ck_assert_int_eq(hwloc_topology_allow(big, cpus, NULL, HWLOC_ALLOW_FLAG_CUSTOM), 0);
    for (int p = 1; p <= 20; p++)
        check_membind_nodes(big, hwloc_topology_get_allowed_cpuset(big), p, "CPUs 12-28");
    /* 9 ranks: 2 on NUMA node 0 (cores 6-7), 7 on node 1. */
    hwloc_bitmap_t *share = plan(big, hwloc_topology_get_allowed_cpuset(big), 9);
    hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
    int on[2] = {0, 0};
    for (int r = 0; r < 9; r++) {
        ck_assert_int_eq(pa__cores_membind_nodes(big, share[r], nodes), 0);
        int n = hwloc_bitmap_first(nodes);
        on[n == 1] += n == 0 || n == 1;
    }
    TU_ASSERT(on[0] == 2 && on[1] == 7, "9 ranks: %d bound to node 0, %d to node 1", on[0],
              on[1]);
    hwloc_bitmap_free(nodes);
    shares_free(share, 9);
    hwloc_bitmap_free(cpus);
    hwloc_topology_destroy(big);
    hwloc_topology_destroy(laptop);
}
END_TEST

/* pa_init_comm with PARRAY_TOPOLOGY=desc and PARRAY_FAULT=fault (unset
 * when NULL), both restored after. */
static int init_described(const char *desc, const char *fault, pa_ctx **c)
{
    tu_env t = tu_env_save("PARRAY_TOPOLOGY"), f = tu_env_save("PARRAY_FAULT");
    setenv("PARRAY_TOPOLOGY", desc, 1);
    if (fault)
        setenv("PARRAY_FAULT", fault, 1);
    else
        unsetenv("PARRAY_FAULT");
    int rc = pa_init_comm(MPI_COMM_WORLD, c);
    tu_env_restore(&t);
    tu_env_restore(&f);
    return rc;
}

/* A context that plans for the described machine desc. */
static pa_ctx *described_ctx(const char *desc, const char *fault)
{
    pa_ctx *c = NULL;
    TU_OK(init_described(desc, fault, &c), NULL);
    return c;
}

/* The job's ranks on this machine, and this rank among them. */
static void host_layout(int *hrank, int *hsize)
{
    MPI_Comm host;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, tu_rank(), MPI_INFO_NULL, &host);
    MPI_Comm_rank(host, hrank);
    MPI_Comm_size(host, hsize);
    MPI_Comm_free(&host);
}

START_TEST(init_plans_described_machine)
{
    pa_ctx *c = described_ctx(BIG, NULL);
    int hrank, hsize;
    host_layout(&hrank, &hsize);
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(c, &plan), c);
    /* hwloc binds nothing on a described machine, and says it did. */
    TU_ASSERT(plan.nallowed == 64 && plan.applied, "allowed %d, applied %d", plan.nallowed,
              plan.applied);
    /* The share is what the plan says for this rank. */
    hwloc_topology_t topo = machine(BIG);
    hwloc_bitmap_t want = hwloc_bitmap_alloc(), node = hwloc_bitmap_alloc();
    ck_assert_int_eq(
        pa__cores_share(topo, hwloc_topology_get_allowed_cpuset(topo), hrank, hsize, want), 0);
    int cpus[64], n = pa_blas_plan_cores(c, PA_CORES_SHARE, cpus, 64);
    int same = n == hwloc_bitmap_weight(want) && n == plan.nshare;
    for (int i = 0; i < n && i < 64; i++)
        same &= hwloc_bitmap_isset(want, (unsigned)cpus[i]);
    TU_ASSERT(same, "rank %d's share is not the plan's", tu_rank());
    int nodes[4], nn = pa_blas_plan_numa(c, nodes, 4);
    TU_ASSERT(nn == touching(topo, HWLOC_OBJ_NUMANODE, want),
              "%d ranks: a share in %d NUMA nodes", hsize, nn);

    /* The node's machine: its ranks' shares together. */
    n = pa_blas_plan_cores(c, PA_CORES_NODE, cpus, 64);
    for (int i = 0; i < n && i < 64; i++)
        hwloc_bitmap_set(node, (unsigned)cpus[i]);
    pa_topology t;
    TU_OK(pa_blas_plan_topology(c, &t), c);
    TU_ASSERT(t.cpus == n && t.cores == touching(topo, HWLOC_OBJ_CORE, node) && t.smt == 2 &&
                  t.packages == touching(topo, HWLOC_OBJ_PACKAGE, node) &&
                  t.numa_nodes == touching(topo, HWLOC_OBJ_NUMANODE, node),
              "node topology: %d packages, %d NUMA, %d cores, %d cpus, smt %d", t.packages,
              t.numa_nodes, t.cores, t.cpus, t.smt);
    hwloc_bitmap_free(want);
    hwloc_bitmap_free(node);
    hwloc_topology_destroy(topo);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(bad_topology_fails_everywhere)
{
    pa_ctx *c = NULL;
    TU_RC(init_described("pack:two", NULL, &c), PA_EINVAL, NULL);
    TU_ASSERT(c == NULL && strstr(pa_errmsg(NULL), "PARRAY_TOPOLOGY='pack:two'"), "message: %s",
              pa_errmsg(NULL));
}
END_TEST

/* The lines of file path that hold text. */
static int lines_with(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* Binding a node block's pages is refused (the fault) on a machine of 2
 * NUMA nodes (where 2 ranks or more bind): two arrays are made all the
 * same, zeroed; the refusal is said once on stderr, and the plan keeps
 * saying it. */
START_TEST(refused_membind_is_a_warning)
{
    pa_ctx *c = described_ctx("pack:1 numa:2 core:4 pu:1", "membind@*");
    char dir[512], path[600];
    tu_tmpdir_make(dir, sizeof dir, "membind");
    snprintf(path, sizeof path, "%s/stderr.%d", dir, tu_rank());
    int saved = tu_stderr_begin(path);
    pa_array *a = NULL, *b = NULL;
    size_t shape[1] = {(size_t)1 << 16};
    int rca = pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &a);
    int rcb = pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &b);
    tu_stderr_end(saved);
    TU_OK(rca, c);
    TU_OK(rcb, c);
    double sum = -1;
    TU_OK(pa_reduce(b, PA_RED_SUM, -1, &sum), c);
    TU_CHECK(sum == 0);

    /* Only a rank whose share lies in one NUMA node binds at all. */
    int bound = pa_blas_plan_numa(c, NULL, 0) == 1;
    int said = lines_with(path, "cannot be bound to its NUMA node");
    TU_ASSERT(said == bound, "rank %d: said %d times, share in one NUMA node %d", tu_rank(), said,
              bound);
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(c, &plan), c);
    TU_ASSERT(!(plan.warnings & PA_BLAS_WARN_MEMBIND) == !bound,
              "rank %d: warnings %d, share in one NUMA node %d", tu_rank(), plan.warnings, bound);
    /* A later check of the thread plan keeps it. */
    TU_OK(pa_blas_set_threads(c, 1), c);
    TU_OK(pa_blas_plan_get(c, &plan), c);
    TU_ASSERT(!(plan.warnings & PA_BLAS_WARN_MEMBIND) == !bound, "rank %d: warnings %d",
              tu_rank(), plan.warnings);
    pa_array_free(&a);
    pa_array_free(&b);
    TU_OK(pa_finalize(&c), NULL);
    tu_tmpdir_remove(dir);
}
END_TEST

/* A machine given to hwloc in HWLOC_XMLFILE, which hwloc obeys in every
 * topology load, with HWLOC_THISSYSTEM=1, which makes hwloc bind for real:
 * 2 NUMA nodes of 2 cores, this machine's CPUs 0 and 1 in NUMA node 1.
 * SLURM_JOB_ID with the whole machine allowed keeps each rank to its
 * launcher's CPUs, so every rank's share lies in node 1, which this
 * machine need not have: the binding must not reach the kernel (here it
 * would be refused with a warning). The fault site still fires. */
static void xml_machine_run(const char *xml, const char *fault, const char *out, int *bound,
                            int *said, int *flagged)
{
    const char *names[] = {"HWLOC_XMLFILE", "HWLOC_THISSYSTEM", "SLURM_JOB_ID", "PARRAY_FAULT"};
    tu_env saved[4];
    for (int i = 0; i < 4; i++)
        saved[i] = tu_env_save(names[i]);
    setenv("HWLOC_XMLFILE", xml, 1);
    setenv("HWLOC_THISSYSTEM", "1", 1);
    setenv("SLURM_JOB_ID", "1", 1);
    if (fault)
        setenv("PARRAY_FAULT", fault, 1);
    else
        unsetenv("PARRAY_FAULT");
    pa_ctx *c = NULL;
    int rc = pa_init_comm(MPI_COMM_WORLD, &c);
    for (int i = 0; i < 4; i++)
        tu_env_restore(&saved[i]);
    TU_OK(rc, NULL);
    int saved_err = tu_stderr_begin(out);
    pa_array *a = NULL;
    size_t shape[1] = {(size_t)1 << 16};
    rc = pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &a);
    tu_stderr_end(saved_err);
    TU_OK(rc, c);
    int nodes[4];
    *bound = pa_blas_plan_numa(c, nodes, 4) == 1 && nodes[0] == 1;
    *said = lines_with(out, "cannot be bound to its NUMA node");
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(c, &plan), c);
    *flagged = (plan.warnings & PA_BLAS_WARN_MEMBIND) != 0;
    pa_array_free(&a);
    TU_OK(pa_finalize(&c), NULL);
}

START_TEST(xml_machine_binds_nothing_real)
{
    char dir[512], xml[600], out[600];
    tu_tmpdir_make(dir, sizeof dir, "xmlfile");
    snprintf(xml, sizeof xml, "%s/numa2.xml", dir);
    snprintf(out, sizeof out, "%s/stderr.%d", dir, tu_rank());
    int made = 1;
    if (tu_rank() == 0) {
        hwloc_topology_t topo = machine("pack:1 numa:2 core:2 pu:1(indexes=2,3,0,1)");
        hwloc_obj_t numa1 = hwloc_get_numanode_obj_by_os_index(topo, 1);
        made = numa1 && hwloc_bitmap_isset(numa1->cpuset, 0) &&
               hwloc_bitmap_isset(numa1->cpuset, 1) &&
               hwloc_topology_export_xml(topo, xml, 0) == 0;
        hwloc_topology_destroy(topo);
    }
    MPI_Bcast(&made, 1, MPI_INT, 0, MPI_COMM_WORLD);
    TU_ASSERT(made, "the synthetic numbering is not the one this test wants, or no XML");
    int bound, said, flagged;
    xml_machine_run(xml, NULL, out, &bound, &said, &flagged);
    TU_ASSERT(bound && !said && !flagged,
              "rank %d: share in node 1 %d; a real binding was tried: said %d, flagged %d",
              tu_rank(), bound, said, flagged);
    xml_machine_run(xml, "membind@*", out, &bound, &said, &flagged);
    TU_ASSERT(bound && said == 1 && flagged, "rank %d: the fault: said %d, flagged %d", tu_rank(),
              said, flagged);
    tu_tmpdir_remove(dir);
}
END_TEST

/* On this machine (one NUMA node here) nothing is bound and nothing warns. */
START_TEST(this_machine_plans_without_warning)
{
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
    pa_array *a = NULL;
    size_t shape[1] = {(size_t)1 << 16};
    TU_OK(pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &a), c);
    pa_blas_plan plan;
    TU_OK(pa_blas_plan_get(c, &plan), c);
    pa_topology t;
    TU_OK(pa_blas_plan_topology(c, &t), c);
    TU_ASSERT(!(plan.warnings & PA_BLAS_WARN_MEMBIND) && t.cpus == pa_ctx_cores(c, 1, NULL, 0) &&
                  t.cores >= 1 && t.cores <= t.cpus && t.packages >= 1 && t.numa_nodes >= 1 &&
                  pa_blas_plan_numa(c, NULL, 0) >= 1,
              "warnings %d; %d packages, %d NUMA, %d cores, %d cpus", plan.warnings, t.packages,
              t.numa_nodes, t.cores, t.cpus);
    pa_array_free(&a);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cores");
    TCase *tc = tu_tcase(s, "plan");
    tcase_add_test(tc, big_machine_every_rank_count);
    tcase_add_test(tc, laptop);
    tcase_add_test(tc, siblings_numbered_apart);
    tcase_add_test(tc, slurm_restricted_cpuset);
    tcase_add_test(tc, membind_nodes_follow_the_shares);
    tc = tu_tcase(s, "init");
    tcase_add_test(tc, init_plans_described_machine);
    tcase_add_test(tc, bad_topology_fails_everywhere);
    tcase_add_test(tc, refused_membind_is_a_warning);
    tcase_add_test(tc, xml_machine_binds_nothing_real);
    tcase_add_test(tc, this_machine_plans_without_warning);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
