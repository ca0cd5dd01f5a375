/* Cores: which CPUs each rank runs on. At pa_init each rank loads its
 * machine's topology from hwloc (packages, NUMA nodes, cores, hardware
 * threads, and the cpuset the job is allowed); the job's ranks on one
 * machine pool the CPUs the launcher let them run on, widen that union to
 * the allowed cpuset, and cut the result into fair, disjoint shares, one
 * per rank, to which each rank binds its threads (pa__cores_share says
 * how). The BLAS thread plan (blas.c) then gives each rank as many threads
 * as its share has CPUs, and each rank's part of a node block is bound to
 * its NUMA node before the rank first touches it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "cores.h"

#define WORDS PA__MASK_WORDS
_Static_assert(sizeof(((pa_ctx *)0)->share_mask) == PA__MASK_WORDS * 8, "ctx mask size");
_Static_assert(sizeof(unsigned long) == 8, "hwloc's bitmap words are the masks' words");

/* ------------------------------------------------------------ masks */

int pa__mask_count(const uint64_t *mask)
{
    int n = 0;
    for (int w = 0; w < WORDS; w++)
        n += __builtin_popcountll(mask[w]);
    return n;
}

int pa__mask_list(const uint64_t *mask, int *cpus, int max)
{
    int n = 0;
    for (int c = 0; c < WORDS * 64; c++)
        if ((mask[c / 64] >> (c % 64)) & 1) {
            if (n < max)
                cpus[n] = c;
            n++;
        }
    return n;
}

static int mask_to_list(pa_ctx *ctx, const uint64_t *mask, int **list, int *n)
{
    int count = pa__mask_count(mask);
    int *out = malloc(sizeof(int) * (size_t)(count ? count : 1));
    if (!out)
        return pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
    pa__mask_list(mask, out, count);
    free(*list);
    *list = out;
    *n = count;
    return PA_OK;
}

void pa__mask_from_list(const int *cpus, int n, uint64_t *mask)
{
    memset(mask, 0, WORDS * sizeof *mask);
    for (int i = 0; i < n; i++)
        if (cpus[i] >= 0 && cpus[i] < WORDS * 64)
            mask[cpus[i] / 64] |= UINT64_C(1) << (cpus[i] % 64);
}

/* hwloc's bitmaps and the context's masks: CPUs from WORDS * 64 on are
 * dropped, as the kernel's cpu_set_t drops them. A new bitmap of mask's
 * CPUs (free it), or NULL when out of memory. */
static hwloc_bitmap_t bitmap_of(const uint64_t *mask)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int w = 0; set && w < WORDS; w++)
        if (hwloc_bitmap_set_ith_ulong(set, (unsigned)w, (unsigned long)mask[w]) != 0) {
            hwloc_bitmap_free(set);
            set = NULL;
        }
    return set;
}

/* The NUMA nodes of mask's CPUs (free it), or NULL when out of memory. */
static hwloc_bitmap_t nodes_of(const pa_ctx *ctx, const uint64_t *mask)
{
    hwloc_bitmap_t cpus = bitmap_of(mask), nodes = hwloc_bitmap_alloc();
    if (cpus && nodes && hwloc_cpuset_to_nodeset(ctx->topo, cpus, nodes) != 0) {
        hwloc_bitmap_free(nodes);
        nodes = NULL;
    }
    hwloc_bitmap_free(cpus);
    return cpus ? nodes : NULL;
}

static void mask_from_bitmap(hwloc_const_bitmap_t set, uint64_t *mask)
{
    for (int w = 0; w < WORDS; w++)
        mask[w] = hwloc_bitmap_to_ith_ulong(set, (unsigned)w);
}

/* The CPUs this rank runs on: its share once that is applied, else the
 * launcher's binding (as ctx->cores). */
static const uint64_t *runs_on(const pa_ctx *ctx)
{
    return ctx->affinity_set ? ctx->share_mask : ctx->launch_mask;
}

/* ------------------------------------------------------------ the plan */

/* The allowed CPUs of a machine in the plan's order. */
typedef struct {
    int n, *cpu;           /* the CPUs (PU OS numbers) in hwloc's logical order */
    int ncores, *core;     /* core k's CPUs: cpu[core[k]] .. cpu[core[k + 1] - 1] */
    int ndomains, *domain; /* NUMA domain d's cores: domain[d] .. domain[d + 1] - 1 */
    int *ranks;            /* the ranks of each domain (rank_domain) */
} layout;

static int same_nodes(hwloc_const_nodeset_t a, hwloc_const_nodeset_t b)
{
    return a && b ? hwloc_bitmap_isequal(a, b) : a == b;
}

/* hwloc numbers PUs logically package by package, NUMA node by NUMA node,
 * and the hardware threads of a core side by side, however the kernel
 * numbers them (SMT siblings are often N apart). Returns 0 or -1. */
static int layout_make(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, layout *L)
{
    size_t max = (size_t)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    memset(L, 0, sizeof *L);
    if ((L->cpu = malloc(sizeof(int) * (4 * max + 3))) == NULL)
        return -1;
    L->core = L->cpu + max;
    L->domain = L->core + max + 1;
    L->ranks = L->domain + max + 1;
    hwloc_obj_t last_core = NULL;
    hwloc_const_nodeset_t last_nodes = NULL;
    for (hwloc_obj_t pu = NULL; (pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu));) {
        if (!hwloc_bitmap_isset(allowed, pu->os_index))
            continue;
        hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
        if (!core)
            core = pu; /* no core level: each CPU is a core of its own */
        if (L->n == 0 || core != last_core) {
            if (L->n == 0 || !same_nodes(pu->nodeset, last_nodes))
                L->domain[L->ndomains++] = L->ncores;
            L->core[L->ncores++] = L->n;
            last_core = core;
            last_nodes = pu->nodeset;
        }
        L->cpu[L->n++] = (int)pu->os_index;
    }
    L->core[L->ncores] = L->n;
    L->domain[L->ndomains] = L->ncores;
    return 0;
}

static int domain_cores(const layout *L, int d)
{
    return L->domain[d + 1] - L->domain[d];
}

/* Deals p >= ndomains ranks to the domains: one each, then each next rank
 * to the domain with the most cores per rank (the first of equals), so
 * that the counts follow the cores and no domain gets more ranks than
 * cores while the machine has cores to spare. */
static void rank_domains(layout *L, int p)
{
    for (int d = 0; d < L->ndomains; d++)
        L->ranks[d] = 1;
    for (int extra = p - L->ndomains; extra > 0; extra--) {
        int best = 0;
        for (int d = 1; d < L->ndomains; d++)
            if ((long long)domain_cores(L, d) * L->ranks[best] >
                (long long)domain_cores(L, best) * L->ranks[d])
                best = d;
        L->ranks[best]++;
    }
}

/* Rank i of k ranks on cores [c0, c1): a fair run of whole cores, or with
 * more ranks than cores a fair run of CPUs (at least one). Returns 0 or -1. */
static int cut(const layout *L, int c0, int c1, int k, int i, hwloc_cpuset_t share)
{
    int ncores = c1 - c0, lo, hi;
    if (k <= ncores) {
        lo = L->core[c0 + (int)((long long)i * ncores / k)];
        hi = L->core[c0 + (int)((long long)(i + 1) * ncores / k)];
    } else {
        int first = L->core[c0], ncpus = L->core[c1] - first;
        lo = first + (int)((long long)i * ncpus / k);
        hi = first + (int)((long long)(i + 1) * ncpus / k);
        if (hi <= lo)
            hi = lo + 1;
    }
    for (int j = lo; j < hi; j++)
        if (hwloc_bitmap_set(share, (unsigned)L->cpu[j]) != 0)
            return -1;
    return 0;
}

int pa__cores_share(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int r, int p,
                    hwloc_cpuset_t share)
{
    layout L;
    int rc = 0;
    hwloc_bitmap_zero(share);
    if (layout_make(topo, allowed, &L) != 0)
        return -1;
    if (L.n > 0 && p < L.ndomains) {
        rc = cut(&L, 0, L.ncores, p, r, share); /* shares of several domains each */
    } else if (L.n > 0) {
        rank_domains(&L, p);
        int d = 0, first = 0;
        while (r >= first + L.ranks[d])
            first += L.ranks[d++];
        rc = cut(&L, L.domain[d], L.domain[d + 1], L.ranks[d], r - first, share);
    }
    free(L.cpu);
    return rc;
}

/* ------------------------------------------------------------ the topology */

/* PARRAY_TOPOLOGY, a testing aid: a machine described to hwloc (a
 * synthetic description, or an XML file that lstopo wrote) instead of this
 * one. hwloc binds nothing on a described machine: its binding calls
 * succeed and do nothing. */
static int describe(hwloc_topology_t topo, const char *desc)
{
    size_t n = strlen(desc);
    if (n > 4 && strcmp(desc + n - 4, ".xml") == 0)
        return hwloc_topology_set_xml(topo, desc);
    return hwloc_topology_set_synthetic(topo, desc);
}

/* The machine, disallowed CPUs included (the allowed cpuset says which
 * the job may use). */
static int topology_load(pa_ctx *ctx)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return pa__err(ctx, "pa_init", PA_ENOMEM, "hwloc_topology_init failed: out of memory");
    int rc = hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
    /* Linux's sysfs gives all the plan reads; hwloc's x86 component would
     * add cpuid's details by moving this thread onto every CPU in turn. */
    if (rc == 0 && !ctx->topology)
        rc = hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "x86");
    if (rc == 0 && ctx->topology)
        rc = describe(topo, ctx->topology);
    if (rc == 0)
        rc = hwloc_topology_load(topo);
    if (rc != 0) {
        int e = errno;
        hwloc_topology_destroy(topo);
        if (ctx->topology)
            return pa__err(ctx, "pa_init", PA_EINVAL,
                           "PARRAY_TOPOLOGY='%s' is neither an hwloc synthetic description "
                           "(\"pack:2 numa:2 core:8 pu:2\") nor a readable hwloc XML file",
                           ctx->topology);
        return pa__err(ctx, "pa_init", PA_ENOTSUP, "hwloc cannot read this machine: %s",
                       strerror(e));
    }
    ctx->topo = topo;
    /* Whether topo is this machine as the kernel sees it: not described
     * through PARRAY_TOPOLOGY, nor through hwloc's own variables (which
     * hwloc obeys in every load, and which HWLOC_THISSYSTEM=1 makes it
     * take for this machine). Memory bound to a described machine's NUMA
     * nodes would ask the kernel for nodes that are not there, or are
     * other nodes. */
    ctx->topo_real = !ctx->topology && !getenv("HWLOC_XMLFILE") && !getenv("HWLOC_SYNTHETIC") &&
                     hwloc_topology_is_thissystem(topo);
    return PA_OK;
}

void pa__cores_free(pa_ctx *ctx)
{
    if (ctx->topo)
        hwloc_topology_destroy(ctx->topo);
    ctx->topo = NULL;
}

/* ------------------------------------------------------------ affinity */

int pa__mask_now(const pa_ctx *ctx, uint64_t *mask)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int rc = set ? hwloc_get_cpubind(ctx->topo, set, HWLOC_CPUBIND_THREAD) : -1;
    if (rc == 0)
        mask_from_bitmap(set, mask);
    hwloc_bitmap_free(set);
    return rc == 0 ? 0 : -1;
}

static int bind_threads(const pa_ctx *ctx, const uint64_t *mask, int which)
{
    hwloc_bitmap_t set = bitmap_of(mask);
    if (!set)
        return -1;
    int rc = hwloc_set_cpubind(ctx->topo, set, which);
    hwloc_bitmap_free(set);
    return rc == 0 ? 0 : -1;
}

/* Every thread of this process (the BLAS workers and MPI's progress
 * threads alike: threads made before inherit nothing from a later call)
 * to others, then the calling thread to mine. Threads made later inherit
 * the calling thread's mask. A thread that exited meanwhile is no error. */
int pa__affinity_split(const pa_ctx *ctx, const uint64_t *mine, const uint64_t *others)
{
    (void)bind_threads(ctx, others, HWLOC_CPUBIND_PROCESS);
    return bind_threads(ctx, mine, HWLOC_CPUBIND_THREAD);
}

int pa__affinity_all(const pa_ctx *ctx, const uint64_t *mask)
{
    return pa__affinity_split(ctx, mask, mask);
}

/* ------------------------------------------------------------ memory */

int pa__cores_membind_nodes(hwloc_topology_t topo, hwloc_const_cpuset_t share,
                            hwloc_nodeset_t nodes)
{
    hwloc_bitmap_zero(nodes);
    if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) < 2 || hwloc_bitmap_iszero(share))
        return 0;
    if (hwloc_cpuset_to_nodeset(topo, share, nodes) != 0)
        return -1;
    if (hwloc_bitmap_weight(nodes) != 1)
        hwloc_bitmap_zero(nodes);
    return 0;
}

void pa__cores_membind(pa_ctx *ctx, void *addr, size_t len)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)addr + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)addr + len) & ~(page - 1);
    if (hi <= lo)
        return;
    hwloc_bitmap_t cpus = bitmap_of(runs_on(ctx)), nodes = hwloc_bitmap_alloc();
    if (cpus && nodes && pa__cores_membind_nodes(ctx->topo, cpus, nodes) == 0 &&
        !hwloc_bitmap_iszero(nodes)) {
        errno = 0;
        int refused = pa__fault(ctx, "membind") ||
                      (ctx->topo_real &&
                       hwloc_set_area_membind(ctx->topo, (void *)lo, hi - lo, nodes,
                                              HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET) != 0);
        if (refused && !(ctx->plan_warn & PA_BLAS_WARN_MEMBIND))
            fprintf(stderr,
                    "parray: warning: rank %d: its memory cannot be bound to its NUMA node "
                    "(%s); its pages stay where it first touches them\n",
                    ctx->rank, errno ? strerror(errno) : "refused");
        if (refused)
            ctx->plan_warn |= PA_BLAS_WARN_MEMBIND;
    }
    hwloc_bitmap_free(cpus);
    hwloc_bitmap_free(nodes);
}

/* ------------------------------------------------------------ pa_init */

/* Split mode's weights (collective over node_comm, on every rank alike
 * even after an error elsewhere): each node rank takes
 * as many parts of the node's rows as its share has CPUs that no lower
 * node rank's share has. With more ranks than cores, ranks dealt the same
 * CPU leave its rows to the first of them, which would otherwise run two
 * BLAS calls on one core while another core finishes early; shares of
 * unequal size get rows in proportion. */
static int split_weights(pa_ctx *ctx)
{
    int p = ctx->node_size;
    uint64_t *all = malloc(sizeof(uint64_t) * WORDS * (size_t)p), claimed[WORDS] = {0};
    /* Every rank learns whether every rank has its buffer before the
     * allgather, so that none is left in it. */
    int have = all != NULL, all_have = 0;
    int mrc = MPI_Allreduce(&have, &all_have, 1, MPI_INT, MPI_MIN, ctx->node_comm);
    if (mrc == MPI_SUCCESS && !all_have) {
        free(all);
        return pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
    }
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Allgather(ctx->share_mask, WORDS, MPI_UINT64_T, all, WORDS, MPI_UINT64_T,
                            ctx->node_comm);
    if (mrc != MPI_SUCCESS) {
        free(all);
        return pa__mpi(ctx, "pa_init", mrc, "MPI_Allgather of the node's shares");
    }
    ctx->split_first = ctx->split_total = 0;
    ctx->split_even = 1;
    int w0 = -1;
    for (int r = 0; r < p; r++) {
        uint64_t fresh[WORDS];
        for (int w = 0; w < WORDS; w++) {
            fresh[w] = all[(size_t)r * WORDS + w] & ~claimed[w];
            claimed[w] |= all[(size_t)r * WORDS + w];
        }
        int weight = pa__mask_count(fresh);
        if (r < ctx->node_rank)
            ctx->split_first += weight;
        if (r == ctx->node_rank)
            ctx->split_weight = weight;
        ctx->split_total += weight;
        if (w0 < 0)
            w0 = weight;
        ctx->split_even &= weight == w0 && weight > 0;
    }
    free(all);
    return PA_OK;
}

/* What this rank may be widened to: the cpuset hwloc says the job is
 * allowed (its cgroup's, which the kernel enforces anyway) with its
 * launcher mask, or the launcher mask alone when the allowed cpuset is not
 * the job's own: Slurm with task/affinity but no task/cgroup binds a job
 * without confining it, and shows it the whole machine, other jobs' cores
 * included. Returns whether it widened. */
static int own_allowed(pa_ctx *ctx, uint64_t *own)
{
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(ctx->topo);
    int widen = !getenv("SLURM_JOB_ID") ||
                !hwloc_bitmap_isequal(allowed, hwloc_topology_get_topology_cpuset(ctx->topo));
    mask_from_bitmap(allowed, own);
    /* The kernel keeps the launcher's mask inside the allowed cpuset; on a
     * described machine (PARRAY_TOPOLOGY) hwloc reports the whole machine
     * as the binding, which this keeps inside it too. */
    uint64_t inside[WORDS];
    for (int w = 0; w < WORDS; w++)
        inside[w] = ctx->launch_mask[w] & own[w];
    if (pa__mask_count(inside) > 0)
        memcpy(ctx->launch_mask, inside, sizeof inside);
    for (int w = 0; w < WORDS; w++)
        own[w] = widen ? own[w] | ctx->launch_mask[w] : ctx->launch_mask[w];
    return widen;
}

/* This rank's share of host_allow, the CPUs of its machine's ranks. A rank
 * confined to a cpuset of its own (Slurm task cgroups) can only run inside
 * it: it keeps the part of the share it may use, or its launcher mask
 * when none. */
static int make_share(pa_ctx *ctx, const uint64_t *host_allow, const uint64_t *own, int widened)
{
    hwloc_bitmap_t allow = bitmap_of(host_allow), share = hwloc_bitmap_alloc();
    int rc = allow && share ? PA_OK : pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
    if (rc == PA_OK) {
        if (pa__cores_share(ctx->topo, allow, ctx->host_rank, ctx->host_size, share) != 0)
            rc = pa__err(ctx, "pa_init", PA_ENOMEM, "out of memory");
        mask_from_bitmap(share, ctx->share_mask);
    }
    hwloc_bitmap_free(allow);
    hwloc_bitmap_free(share);
    if (rc == PA_OK && widened) {
        uint64_t mine[WORDS];
        for (int w = 0; w < WORDS; w++)
            mine[w] = ctx->share_mask[w] & own[w];
        memcpy(ctx->share_mask, pa__mask_count(mine) > 0 ? mine : ctx->launch_mask, sizeof mine);
    }
    return rc;
}

int pa__cores_init(pa_ctx *ctx)
{
    uint64_t own_allow[WORDS] = {0}, host_allow[WORDS], node_union[WORDS];
    MPI_Comm host = MPI_COMM_NULL;
    int widened = 0, rc = topology_load(ctx);

    if (rc == PA_OK) {
        if (pa__mask_now(ctx, ctx->launch_mask) != 0 || pa__mask_count(ctx->launch_mask) == 0) {
            memset(ctx->launch_mask, 0, sizeof ctx->launch_mask);
            ctx->launch_mask[0] = 1; /* no affinity support: assume one CPU */
        }
        widened = own_allowed(ctx, own_allow);
    }

    /* The machine, not the (possibly emulated) node: emulated nodes on one
     * machine must not be given the same cores. Every rank takes part,
     * whatever its rc. */
    int mrc = MPI_Comm_split_type(ctx->comm, MPI_COMM_TYPE_SHARED, ctx->rank, MPI_INFO_NULL,
                                  &host);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_rank(host, &ctx->host_rank);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_size(host, &ctx->host_size);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Allreduce(own_allow, host_allow, WORDS, MPI_UINT64_T, MPI_BOR, host);
    if (host != MPI_COMM_NULL)
        MPI_Comm_free(&host);
    if (mrc != MPI_SUCCESS) {
        if (rc == PA_OK)
            rc = pa__mpi(ctx, "pa_init", mrc, "the machine's cores");
        goto agree;
    }
    if (rc == PA_OK) {
        memcpy(ctx->allow_mask, host_allow, sizeof host_allow);
        rc = make_share(ctx, host_allow, own_allow, widened);
    }
    if (rc == PA_OK && !ctx->affinity_keep) {
        if (pa__affinity_all(ctx, ctx->share_mask) == 0)
            ctx->affinity_set = 1;
        else
            ctx->plan_warn |= PA_BLAS_WARN_AFFINITY;
    }
    if (rc == PA_OK)
        rc = mask_to_list(ctx, runs_on(ctx), &ctx->cores, &ctx->ncores);
    /* The node's cores: where its ranks run, together. Lend mode gives them
     * to the node's leader. */
    mrc = MPI_Allreduce(runs_on(ctx), node_union, WORDS, MPI_UINT64_T, MPI_BOR, ctx->node_comm);
    if (mrc != MPI_SUCCESS && rc == PA_OK)
        rc = pa__mpi(ctx, "pa_init", mrc, "MPI_Allreduce of the node's cores");
    if (rc == PA_OK)
        rc = mask_to_list(ctx, node_union, &ctx->node_cores, &ctx->node_ncores);
    /* Collective: every rank takes part, whatever its rc. */
    int src = split_weights(ctx);
    if (rc == PA_OK)
        rc = src;
agree:
    /* pa_init goes on to further collectives only if every rank got here. */
    return pa__agree(ctx, ctx->comm, rc);
}

/* ------------------------------------------------------------ read-back */

int pa_ctx_cores(const pa_ctx *ctx, int node, int *cpus, int max)
{
    const int *list = node ? ctx->node_cores : ctx->cores;
    int n = node ? ctx->node_ncores : ctx->ncores;
    for (int i = 0; i < n && i < max; i++)
        cpus[i] = list[i];
    return n;
}

/* The objects of type that hold any CPU of set. */
static int count_touching(hwloc_topology_t topo, hwloc_obj_type_t type, hwloc_const_cpuset_t set)
{
    int n = 0;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(topo, type, o));)
        n += o->cpuset && hwloc_bitmap_intersects(o->cpuset, set);
    return n;
}

int pa_blas_plan_topology(const pa_ctx *ctx, pa_topology *t)
{
    PA_CHECK(NULL, ctx && t, PA_EINVAL, "ctx and t must not be NULL");
    memset(t, 0, sizeof *t);
    uint64_t node[WORDS];
    pa__mask_from_list(ctx->node_cores, ctx->node_ncores, node);
    hwloc_bitmap_t set = bitmap_of(node);
    PA_CHECK((pa_ctx *)ctx, set, PA_ENOMEM, "out of memory");
    hwloc_topology_t topo = ctx->topo;
    t->packages = count_touching(topo, HWLOC_OBJ_PACKAGE, set);
    t->numa_nodes = count_touching(topo, HWLOC_OBJ_NUMANODE, set);
    t->cpus = count_touching(topo, HWLOC_OBJ_PU, set);
    t->cores = count_touching(topo, HWLOC_OBJ_CORE, set);
    t->smt = 1;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, o));)
        if (hwloc_bitmap_intersects(o->cpuset, set) && hwloc_bitmap_weight(o->cpuset) > t->smt)
            t->smt = hwloc_bitmap_weight(o->cpuset);
    if (t->cores == 0) /* no core level: each CPU is a core */
        t->cores = t->cpus;
    hwloc_bitmap_free(set);
    return PA_OK;
}

int pa_blas_plan_numa(const pa_ctx *ctx, int *nodes, int max)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_CHECK(NULL, max == 0 || nodes, PA_EINVAL, "nodes is NULL with max = %d", max);
    hwloc_bitmap_t set = nodes_of(ctx, runs_on(ctx));
    int n = set ? 0 : pa__err((pa_ctx *)ctx, __func__, PA_ENOMEM, "out of memory");
    if (set) {
        unsigned i;
        hwloc_bitmap_foreach_begin(i, set)
        {
            if (n < max)
                nodes[n] = (int)i;
            n++;
        }
        hwloc_bitmap_foreach_end();
    }
    hwloc_bitmap_free(set);
    return n;
}
