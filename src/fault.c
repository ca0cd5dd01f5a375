/* Fault injection for tests. PARRAY_FAULT="site@rank,..." makes the named
 * failure sites fail on the given job ranks ("*" for every rank), so that
 * tests can force one rank to fail and check that every rank agrees. The
 * sites are listed in docs/architecture.md. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int pa__fault(const pa_ctx *ctx, const char *site)
{
    if (!ctx || !ctx->fault)
        return 0;
    size_t len = strlen(site);
    for (const char *p = ctx->fault; *p;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if ((size_t)(end - p) > len && strncmp(p, site, len) == 0 && p[len] == '@') {
            const char *who = p + len + 1;
            if (*who == '*')
                return 1;
            /* The rank in digits only (strtol would skip a blank). */
            char *stop;
            long r = *who >= '0' && *who <= '9' ? strtol(who, &stop, 10) : -1;
            if (r >= 0 && stop == end && r == ctx->rank)
                return 1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}
