/* The machine's load around the bench's measurements: reads /proc/loadavg
 * and /proc/stat, and judges an interval busy or quiet (bench_load.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_load.h"

const char *bench_load_proc(void)
{
    const char *p = getenv("PARRAY_BENCH_PROC");
    return p && *p ? p : "/proc";
}

/* Opens PROC/name. */
static FILE *open_proc(const char *proc, const char *name)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", proc, name) >= (int)sizeof path)
        return NULL;
    return fopen(path, "r");
}

int bench_load_read(const char *proc, bench_load_sample *s)
{
    memset(s, 0, sizeof *s);
    s->loadavg = NAN;
    FILE *f = open_proc(proc, "loadavg");
    if (f) {
        double v;
        if (fscanf(f, "%lf", &v) == 1 && v >= 0)
            s->loadavg = v;
        fclose(f);
    }
    f = open_proc(proc, "stat");
    if (f) {
        /* cpu  user nice system idle iowait irq softirq steal ...: older
         * kernels stop before steal, which then counts as 0. */
        unsigned long long v[8] = {0};
        char line[512];
        if (fgets(line, sizeof line, f) && strncmp(line, "cpu ", 4) == 0) {
            int n = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                           &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            if (n >= 4) {
                s->busy = v[0] + v[1] + v[2] + v[5] + v[6];
                s->steal = v[7];
                s->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
                s->have_stat = 1;
            }
        }
        fclose(f);
    }
    return !isnan(s->loadavg) && s->have_stat ? 0 : -1;
}

void bench_load_judge(const bench_load_sample *before, const bench_load_sample *after,
                      double ours, double wall, double hz, int cores, int ranks, bench_load *out)
{
    out->loadavg_before = before->loadavg;
    out->loadavg_after = after->loadavg;
    out->others = NAN;
    out->steal = NAN;
    out->cores = cores;
    out->busy = 0;

    /* The bench's own ranks are runnable while they compute or spin in MPI,
     * so they count in the load average: what is left is the others'. */
    double la = fmax(before->loadavg, after->loadavg); /* fmax ignores a NAN */
    if (!isnan(la) && la - ranks > cores)
        out->busy |= BENCH_BUSY_BY_LOADAVG;

    /* The counters only grow; a reading from another host or a reset
     * (a test's file) gives no verdict. */
    if (before->have_stat && after->have_stat && after->total > before->total &&
        after->busy >= before->busy && after->steal >= before->steal) {
        double total = (double)(after->total - before->total);
        out->steal = (double)(after->steal - before->steal) / total;
        if (out->steal > BENCH_BUSY_STEAL)
            out->busy |= BENCH_BUSY_BY_STEAL;
        if (wall >= BENCH_BUSY_MIN_WALL && hz > 0) {
            double others = ((double)(after->busy - before->busy) / hz - ours) / wall;
            out->others = others > 0 ? others : 0;
            if (out->others > BENCH_BUSY_OTHERS * cores)
                out->busy |= BENCH_BUSY_BY_OTHERS;
        }
    }
}

int bench_load_busy_at_start(double loadavg, int cores)
{
    return !isnan(loadavg) && loadavg > cores;
}

void bench_load_describe(const bench_load *l, char *buf, size_t len)
{
    char part[3][128];
    int n = 0;
    double la = fmax(l->loadavg_before, l->loadavg_after);
    /* The reasons it was busy first, then the other measures. */
    static const int order[3] = {BENCH_BUSY_BY_OTHERS, BENCH_BUSY_BY_STEAL,
                                 BENCH_BUSY_BY_LOADAVG};
    int done = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < 3; k++) {
            int why = order[k];
            if ((done & why) || (pass == 0 && !(l->busy & why)))
                continue;
            done |= why;
            if (why == BENCH_BUSY_BY_OTHERS && !isnan(l->others))
                snprintf(part[n++], sizeof part[0], "other processes used %.2g of %d core%s",
                         l->others, l->cores, l->cores == 1 ? "" : "s");
            else if (why == BENCH_BUSY_BY_STEAL && !isnan(l->steal))
                snprintf(part[n++], sizeof part[0], "steal %.1f%% (CPU time the hypervisor took)",
                         100 * l->steal);
            else if (why == BENCH_BUSY_BY_LOADAVG && !isnan(la))
                snprintf(part[n++], sizeof part[0], "load average %.2f on %d core%s%s", la,
                         l->cores, l->cores == 1 ? "" : "s",
                         l->busy & why ? ", above the cores without the bench's own ranks" : "");
        }
    if (n == 0) {
        snprintf(buf, len, "no load figures (loadavg and stat unreadable)");
        return;
    }
    snprintf(buf, len, "%s%s%s%s%s", part[0], n > 1 ? "; " : "", n > 1 ? part[1] : "",
             n > 2 ? "; " : "", n > 2 ? part[2] : "");
}
