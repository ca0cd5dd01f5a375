/* Available memory: what a new allocation on this machine can count on,
 * so that a request that cannot fit is a clear PA_ENOMEM before anything
 * is allocated or touched, rather than a process killed on first touch
 * (the kernel overcommits, and a full tmpfs is a SIGBUS). The figure is
 * the smallest of MemAvailable (/proc/meminfo) and, for each cgroup from
 * this process's up to the hierarchy's root that sets a memory limit, that
 * limit minus the cgroup's usage (v2 memory.max - memory.current, v1
 * memory.limit_in_bytes - memory.usage_in_bytes). Each node's leader checks
 * the node's whole request against it; the caller agrees on the verdict. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collcheck.h"
#include "internal.h"

/* The whole number in the first line of path (digits, then a newline or
 * nothing): 0 and *v, 1 for "max" (no limit), -1 otherwise. */
static int read_number(const char *path, uint64_t *v)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[64];
    int rc = -1;
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        size_t n = strspn(line, "0123456789");
        if (strcmp(line, "max") == 0)
            rc = 1;
        else if (n > 0 && n <= 19 && line[n] == '\0')
            rc = (*v = strtoull(line, NULL, 10), 0);
    }
    fclose(f);
    return rc;
}

/* MemAvailable in bytes; -1 when /proc/meminfo does not give it (kernels
 * before 3.14, other systems). */
static int mem_available(uint64_t *bytes)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1;
    char line[256];
    int rc = -1;
    while (rc != 0 && fgets(line, sizeof line, f)) {
        unsigned long long kib;
        char unit[8];
        /* "MemAvailable:   24026420 kB" (kB is KiB) */
        if (sscanf(line, "MemAvailable: %llu %7s", &kib, unit) == 2 && strcmp(unit, "kB") == 0 &&
            kib <= UINT64_MAX >> 10)
            rc = (*bytes = (uint64_t)kib << 10, 0);
    }
    fclose(f);
    return rc;
}

/* v1 reports "no limit" as a huge page-rounded number, not "max". */
#define V1_UNLIMITED ((uint64_t)1 << 62)

/* The room left under the memory limits of this process's cgroups (v2 =
 * 1: the v2 hierarchy; 0: v1's memory controller): the smallest limit -
 * usage over its cgroup and every ancestor with a limit. Returns 0 with
 * *room, or -1 when no limit is set. */
static int cgroup_room(int v2, uint64_t *room)
{
    char dir[4096], file[4200];
    size_t top;
    if (pa__cgroup_dir(v2, "memory", dir, sizeof dir, &top) != 0)
        return -1;
    int found = -1;
    do {
        uint64_t limit, usage;
        snprintf(file, sizeof file, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
        if (read_number(file, &limit) != 0 || (!v2 && limit >= V1_UNLIMITED))
            continue;
        snprintf(file, sizeof file, "%s/%s", dir,
                 v2 ? "memory.current" : "memory.usage_in_bytes");
        if (read_number(file, &usage) != 0)
            continue;
        uint64_t r = limit > usage ? limit - usage : 0;
        if (found != 0 || r < *room)
            *room = r;
        found = 0;
    } while (pa__cgroup_up(dir, top) == 0);
    return found;
}

int pa__mem_available(pa_ctx *ctx, const char *fn, size_t *bytes, const char **source)
{
    /* A testing aid: the figure as given, so that tests can ask for more
     * than is available without needing that much memory. */
    long forced = -1;
    PA_TRY(pa__env_int(ctx, fn, "PARRAY_MEM_AVAILABLE", 0, LONG_MAX, &forced));
    if (forced >= 0) {
        *bytes = (size_t)forced;
        *source = "PARRAY_MEM_AVAILABLE";
        return PA_OK;
    }
    uint64_t best = UINT64_MAX, v;
    *source = NULL;
    if (mem_available(&v) == 0) {
        best = v;
        *source = "MemAvailable";
    }
    for (int v2 = 1; v2 >= 0; v2--)
        if (cgroup_room(v2, &v) == 0 && v < best) {
            best = v;
            *source = v2 ? "the cgroup's memory.max - memory.current"
                         : "the cgroup's memory.limit_in_bytes - memory.usage_in_bytes";
        }
    if (!*source) {
        /* Nothing to read: the machine's memory is the last resort. */
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        if (pages > 0 && page > 0 && (uint64_t)pages <= UINT64_MAX / (uint64_t)page) {
            best = (uint64_t)pages * (uint64_t)page;
            *source = "the physical memory";
        }
    }
    *bytes = best > SIZE_MAX ? SIZE_MAX : (size_t)best;
    if (!*source)
        *source = "no limit known";
    return PA_OK;
}

/* "30.0 GiB", "512.0 MiB", "4096 bytes". */
static const char *human(size_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = -1;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, len, "%zu bytes", bytes);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

int pa__mem_check(pa_ctx *ctx, const char *fn, size_t bytes, const char *what)
{
    size_t avail;
    const char *source;
    PA_TRY(pa__mem_available(ctx, fn, &avail, &source));
    if (bytes <= avail)
        return PA_OK;
    char need[32], have[32];
    return pa__err(ctx, fn, PA_ENOMEM,
                   "%s needs %s (%zu bytes) on node %d, but %s is available (%s)", what,
                   human(bytes, need, sizeof need), bytes, ctx->node,
                   human(avail, have, sizeof have), source);
}

int pa__mem_check_node(pa_ctx *ctx, const char *fn, size_t bytes, const char *what)
{
    /* The node's sum, on its leader. A share above 2^48 bytes (256 TiB)
     * fits no machine, so it is counted as that, and the sum cannot wrap
     * for any number of ranks a node holds. */
    unsigned long long mine = bytes < (1ULL << 48) ? bytes : 1ULL << 48, sum = 0;
    PA_TRY(pa__mpi(ctx, fn,
                   MPI_Reduce(&mine, &sum, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, ctx->node_comm),
                   "MPI_Reduce"));
    int rc = PA_OK;
    if (ctx->node_rank == 0)
        rc = pa__mem_check(ctx, fn, (size_t)sum, what);
    return pa__agree(ctx, ctx->comm, rc);
}

int pa_mem_check(pa_ctx *ctx, size_t bytes, const char *what)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    what = what ? what : "the allocation";
    /* bytes is each rank's own request: only the call is compared. */
    PA_COLLECTIVE(ctx, "pa_mem_check", "%s", what);
    return pa__mem_check_node(ctx, __func__, bytes, what);
}

/* A field of /proc/self/status in bytes ("VmHWM", "VmRSS"), or 0. */
static size_t status_bytes(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0, n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kb = strtoull(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return kb << 10;
}

void pa_mem_peak(pa_ctx *ctx, int reset, pa_mem_usage *u)
{
    if (u) {
        size_t hwm = ctx->rss_at_reset ? status_bytes("VmHWM") : 0;
        u->shared = ctx->shared_now;
        u->shared_peak = ctx->shared_peak;
        u->rss_growth = hwm > ctx->rss_at_reset ? hwm - ctx->rss_at_reset : 0;
    }
    if (!reset)
        return;
    ctx->shared_peak = ctx->shared_now;
    /* Writing 5 resets VmHWM to the present resident set (Linux 4.0). */
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int ok = f && fputs("5", f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    ctx->rss_at_reset = ok ? status_bytes("VmRSS") : 0;
}

void pa__mem_shared_add(pa_ctx *ctx, size_t bytes, int freed)
{
    ctx->shared_now = freed ? ctx->shared_now - bytes : ctx->shared_now + bytes;
    if (ctx->shared_now > ctx->shared_peak)
        ctx->shared_peak = ctx->shared_now;
}
