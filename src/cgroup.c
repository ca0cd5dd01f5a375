/* This process's cgroups, as its mount namespace shows them: the directory
 * of its cgroup in the v2 hierarchy or in the hierarchy of a v1 controller,
 * and the walk from there up to the hierarchy's mount point. memory.c
 * reads the memory limits there (hwloc gives cores.c the cpuset, but not
 * the memory limits). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Whether the comma-separated list holds name. */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list;; p++) {
        size_t k = strcspn(p, ",");
        if (k == n && strncmp(p, name, n) == 0)
            return 1;
        p += k;
        if (!*p)
            return 0;
    }
}

/* This process's cgroup path in the v2 hierarchy (v2 = 1) or in the v1
 * hierarchy of controller, from /proc/self/cgroup. Returns 0 when found. */
static int cgroup_path(int v2, const char *controller, char *path, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return -1;
    char line[4096];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, f)) {
        /* "id:controllers:path"; v2 is "0::path". */
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrl = c1 + 1;
        int match = v2 ? strcmp(line, "0") == 0 && *ctrl == '\0' : in_list(ctrl, controller);
        if (match) {
            snprintf(path, len, "%s", c2 + 1);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

/* The mount point of the v2 hierarchy or of controller's v1 hierarchy, and
 * the root of this namespace's view of it, from /proc/self/mountinfo.
 * Returns 0 when found. */
static int cgroup_mount(int v2, const char *controller, char *point, size_t plen, char *root,
                        size_t rlen)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return -1;
    char line[4096];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, f)) {
        /* "id parent major:minor root mountpoint opts... - fstype source superopts" */
        char r[1024], mp[1024], fstype[64], super[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", r, mp) != 2 ||
            sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
            continue;
        int match = v2 ? strcmp(fstype, "cgroup2") == 0
                       : strcmp(fstype, "cgroup") == 0 && in_list(super, controller);
        if (match) {
            snprintf(point, plen, "%s", mp);
            snprintf(root, rlen, "%s", r);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

int pa__cgroup_dir(int v2, const char *controller, char *dir, size_t len, size_t *top)
{
    char path[2048], point[1024], root[1024];
    if (cgroup_path(v2, controller, path, sizeof path) != 0 ||
        cgroup_mount(v2, controller, point, sizeof point, root, sizeof root) != 0)
        return -1;
    /* Inside a cgroup namespace the path is relative to the mount's root. */
    const char *p = path;
    size_t rl = strlen(root);
    if (rl > 1 && strncmp(p, root, rl) == 0)
        p += rl;
    snprintf(dir, len, "%s%s", point, strcmp(p, "/") == 0 ? "" : p);
    *top = strlen(point);
    return 0;
}

int pa__cgroup_up(char *dir, size_t top)
{
    char *slash = strrchr(dir, '/');
    if (!slash || (size_t)(slash - dir) < top)
        return -1;
    *slash = '\0';
    return 0;
}
