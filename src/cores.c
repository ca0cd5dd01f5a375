/* Cores: which CPUs each rank runs on. At pa_init the job's ranks on one
 * machine pool the CPUs the launcher let them run on, widen that union to
 * the cgroup cpuset the job was given, and cut the result into fair,
 * disjoint shares, one per rank, to which each rank binds its threads. The
 * BLAS thread plan (blas.c) then gives each rank as many threads as its
 * share has cores. */
#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "cores.h"

#define WORDS PA__MASK_WORDS
_Static_assert(PA__MASK_WORDS * 64 == CPU_SETSIZE, "mask words must cover CPU_SETSIZE");
_Static_assert(sizeof(((pa_ctx *)0)->share_mask) == PA__MASK_WORDS * 8, "ctx mask size");

int pa__mask_count(const uint64_t *mask)
{
    int n = 0;
    for (int w = 0; w < WORDS; w++)
        n += __builtin_popcountll(mask[w]);
    return n;
}

static int mask_has(const uint64_t *mask, int c)
{
    return (int)((mask[c / 64] >> (c % 64)) & 1);
}

static void mask_set(uint64_t *mask, int c)
{
    mask[c / 64] |= UINT64_C(1) << (c % 64);
}

int pa__mask_list(const uint64_t *mask, int *cpus, int max)
{
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (mask_has(mask, c)) {
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

static void mask_from_set(const cpu_set_t *set, uint64_t *mask)
{
    memset(mask, 0, WORDS * sizeof *mask);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, set))
            mask_set(mask, c);
}

static void set_from_mask(const uint64_t *mask, cpu_set_t *set)
{
    CPU_ZERO(set);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (mask_has(mask, c))
            CPU_SET(c, set);
}

int pa__mask_now(uint64_t *mask)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    mask_from_set(&set, mask);
    return 0;
}

/* A kernel CPU list ("0-3,8,10-11") into mask. Returns 0, or -1 when the
 * text is not a list or names no CPU. */
static int parse_cpulist(const char *s, uint64_t *mask)
{
    memset(mask, 0, WORDS * sizeof *mask);
    int any = 0;
    while (*s && *s != '\n') {
        char *end;
        long lo = strtol(s, &end, 10), hi = lo;
        if (end == s || lo < 0 || lo >= CPU_SETSIZE)
            return -1;
        s = end;
        if (*s == '-') {
            hi = strtol(s + 1, &end, 10);
            if (end == s + 1 || hi < lo || hi >= CPU_SETSIZE)
                return -1;
            s = end;
        }
        for (long c = lo; c <= hi; c++)
            mask_set(mask, (int)c);
        any = 1;
        if (*s == ',')
            s++;
        else if (*s && *s != '\n')
            return -1;
    }
    return any ? 0 : -1;
}

static int read_cpulist_file(const char *path, uint64_t *mask)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[4096];
    int rc = fgets(buf, sizeof buf, f) ? parse_cpulist(buf, mask) : -1;
    fclose(f);
    return rc;
}

/* The cpuset this process's cgroup allows: cgroup v2
 * (<mount>/<path>/cpuset.cpus.effective, walking up to the nearest cgroup
 * that has the file) or the v1 cpuset controller (cpuset.effective_cpus,
 * or cpuset.cpus). Returns 0 when one was read. */
static int cgroup_cpus(uint64_t *mask)
{
    char dir[4096], file[4200];
    size_t top;
    for (int v2 = 1; v2 >= 0; v2--) {
        if (pa__cgroup_dir(v2, "cpuset", dir, sizeof dir, &top) != 0)
            continue;
        /* No cpuset file in a cgroup (v2 without the controller in this
         * subtree): the parent's applies, up to the mount point. */
        do {
            const char *names[2] = {v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus",
                                    v2 ? NULL : "cpuset.cpus"};
            for (int k = 0; k < 2; k++) {
                if (!names[k])
                    continue;
                snprintf(file, sizeof file, "%s/%s", dir, names[k]);
                if (read_cpulist_file(file, mask) == 0)
                    return 0;
            }
        } while (pa__cgroup_up(dir, top) == 0);
    }
    return -1;
}

/* Binds the calling thread to mine and every other thread of this process
 * (the BLAS workers and MPI's progress threads alike: sched_setaffinity
 * binds one thread, and threads made before inherit nothing from a later
 * call) to others. Threads made later inherit the calling thread's mask.
 * Returns 0, or -1 when the calling thread could not be bound. */
int pa__affinity_split(const uint64_t *mine, const uint64_t *others)
{
    cpu_set_t set, other_set;
    set_from_mask(mine, &set);
    set_from_mask(others, &other_set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        return -1;
    pid_t self = (pid_t)syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*e->d_name == '.' || *end != '\0' || tid <= 0 || (pid_t)tid == self)
            continue;
        /* A thread that has exited since the listing is no error. */
        (void)sched_setaffinity((pid_t)tid, sizeof other_set, &other_set);
    }
    closedir(d);
    return 0;
}

/* Every thread of this process to mask. */
int pa__affinity_all(const uint64_t *mask)
{
    return pa__affinity_split(mask, mask);
}

/* The share of host rank r of p on the sorted list of n usable cores:
 * cores [r*n/p, (r+1)*n/p), or with more ranks than cores the single core
 * r*n/p, so that the ranks spread evenly over the cores. */
/* The physical core of a CPU, as one number (package and core id), from
 * sysfs; the CPU number itself when the topology cannot be read. */
static long core_of(int cpu)
{
    char path[96];
    long pkg = 0, core = -1;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%ld", &pkg) != 1)
            pkg = 0;
        fclose(f);
    }
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
    if ((f = fopen(path, "r")) != NULL) {
        if (fscanf(f, "%ld", &core) != 1)
            core = -1;
        fclose(f);
    }
    return core < 0 ? -1 - cpu : pkg * 65536 + core;
}

/* Rank r of p gets a fair, contiguous part of the allowed CPUs. The parts
 * are cut between physical cores, so that two ranks never get the two
 * hardware threads of one core (on SMT machines sibling CPUs are often
 * numbered N apart); only with more ranks than cores are CPUs dealt
 * singly. */
static void make_share(const uint64_t *allow, int r, int p, uint64_t *share)
{
    int cpus[CPU_SETSIZE], n = pa__mask_list(allow, cpus, CPU_SETSIZE);
    long core[CPU_SETSIZE];
    for (int i = 0; i < n; i++)
        core[i] = core_of(cpus[i]);
    /* Group the CPUs of each core together, in the order of their first CPU. */
    int order[CPU_SETSIZE], m = 0, ncores = 0, first[CPU_SETSIZE];
    char placed[CPU_SETSIZE] = {0};
    for (int i = 0; i < n; i++) {
        if (placed[i])
            continue;
        first[ncores++] = m;
        for (int j = i; j < n; j++)
            if (!placed[j] && core[j] == core[i]) {
                placed[j] = 1;
                order[m++] = cpus[j];
            }
    }
    first[ncores] = n;
    int lo, hi;
    if (p <= ncores) { /* whole cores */
        lo = first[(long)r * ncores / p];
        hi = first[(long)(r + 1) * ncores / p];
    } else {
        lo = (int)((long)r * n / p);
        hi = (int)((long)(r + 1) * n / p);
        if (hi <= lo)
            hi = lo + 1;
    }
    memset(share, 0, WORDS * sizeof *share);
    for (int i = lo; i < hi && i < n; i++)
        mask_set(share, order[i]);
}

/* The job owns the cores it was bound to but not the rest of the machine
 * when a batch system bound it without confining it to a cgroup: Slurm
 * with task/affinity only shows the whole machine as the cgroup. Then the
 * union is not widened. */
static int cgroup_trusted(const uint64_t *cg)
{
    if (!getenv("SLURM_JOB_ID"))
        return 1;
    uint64_t online[WORDS];
    if (read_cpulist_file("/sys/devices/system/cpu/online", online) != 0)
        return 0;
    return memcmp(cg, online, sizeof online) != 0;
}

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

int pa__cores_init(pa_ctx *ctx)
{
    uint64_t cg[WORDS], own_allow[WORDS], host_allow[WORDS], node_union[WORDS];
    MPI_Comm host = MPI_COMM_NULL;
    int rc = PA_OK;

    if (pa__mask_now(ctx->launch_mask) != 0) {
        memset(ctx->launch_mask, 0, sizeof ctx->launch_mask);
        mask_set(ctx->launch_mask, 0); /* no affinity support: assume one CPU */
    }
    /* What this rank may be widened to: its cgroup cpuset (which the kernel
     * enforces anyway), or its launcher mask when there is none. */
    int have_cg = cgroup_cpus(cg) == 0 && cgroup_trusted(cg);
    for (int w = 0; w < WORDS; w++)
        own_allow[w] = have_cg ? (cg[w] | ctx->launch_mask[w]) : ctx->launch_mask[w];

    /* The machine, not the (possibly emulated) node: emulated nodes on one
     * machine must not be given the same cores. */
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
        rc = pa__mpi(ctx, "pa_init", mrc, "the machine's cores");
        goto agree;
    }
    memcpy(ctx->allow_mask, host_allow, sizeof host_allow);
    make_share(host_allow, ctx->host_rank, ctx->host_size, ctx->share_mask);
    /* A rank confined to a cgroup of its own (Slurm task cgroups) can only
     * run inside it: keep the part of the share it may use, or its launcher
     * mask when none. */
    if (have_cg) {
        uint64_t mine[WORDS];
        for (int w = 0; w < WORDS; w++)
            mine[w] = ctx->share_mask[w] & own_allow[w];
        if (pa__mask_count(mine) > 0)
            memcpy(ctx->share_mask, mine, sizeof mine);
        else
            memcpy(ctx->share_mask, ctx->launch_mask, sizeof mine);
    }

    const uint64_t *runs_on = ctx->launch_mask;
    if (!ctx->affinity_keep) {
        if (pa__affinity_all(ctx->share_mask) == 0) {
            ctx->affinity_set = 1;
            runs_on = ctx->share_mask;
        } else {
            ctx->plan_warn |= PA_BLAS_WARN_AFFINITY;
        }
    }
    if (rc == PA_OK)
        rc = mask_to_list(ctx, runs_on, &ctx->cores, &ctx->ncores);
    /* The node's cores: where its ranks run, together. Lend mode gives them
     * to the node's leader. */
    mrc = MPI_Allreduce(runs_on, node_union, WORDS, MPI_UINT64_T, MPI_BOR, ctx->node_comm);
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

int pa_ctx_cores(const pa_ctx *ctx, int node, int *cpus, int max)
{
    const int *list = node ? ctx->node_cores : ctx->cores;
    int n = node ? ctx->node_ncores : ctx->ncores;
    for (int i = 0; i < n && i < max; i++)
        cpus[i] = list[i];
    return n;
}
