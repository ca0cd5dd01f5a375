/* The machine's load around the bench's measurements: was anything else
 * busy while the figures were taken? The bench reads the 1-minute load
 * average (/proc/loadavg) and the CPU time counters of /proc/stat before
 * and after each experiment, takes its own ranks' CPU time out, and judges
 * the rest. A figure measured while other processes ran, or while the
 * hypervisor took CPU time (steal), is noise, not a verdict. Not
 * collective, no MPI: bench_run.c samples and gathers, this file reads and
 * judges.
 *
 *   bench_load_sample before, after;
 *   bench_load_read(bench_load_proc(), &before);
 *   ... the experiment ...
 *   bench_load_read(bench_load_proc(), &after);
 *   bench_load l;
 *   bench_load_judge(&before, &after, ours, wall, hz, cores, ranks, &l);
 *   if (l.busy) ... bench_load_describe(&l, buf, sizeof buf) ... */
#ifndef PARRAY_BENCH_LOAD_H
#define PARRAY_BENCH_LOAD_H

#include <stddef.h>

/* Other processes busy on more than this share of the cores, on average
 * over an experiment, make it busy. */
#define BENCH_BUSY_OTHERS 0.10
/* The hypervisor taking more than this share of the CPU time makes it busy. */
#define BENCH_BUSY_STEAL 0.03
/* Shorter experiments are not judged by the others' CPU time: /proc/stat
 * counts in ticks (1/100 s per core), too coarse for them. */
#define BENCH_BUSY_MIN_WALL 1.0

/* One reading of the proc files. */
typedef struct {
    double loadavg;          /* 1-minute load average; NAN when unreadable */
    unsigned long long busy; /* ticks: user, nice, system, irq, softirq */
    unsigned long long steal;
    unsigned long long total; /* ticks: user .. steal */
    int have_stat;            /* the "cpu" line of stat was read */
} bench_load_sample;

/* Why an interval was busy, as bits. */
enum {
    BENCH_BUSY_BY_LOADAVG = 1, /* load average, less the bench's ranks, above the cores */
    BENCH_BUSY_BY_OTHERS = 2,  /* other processes' CPU time */
    BENCH_BUSY_BY_STEAL = 4,   /* steal time */
};

/* The verdict on one interval. */
typedef struct {
    double loadavg_before, loadavg_after; /* NAN when unknown */
    double others;                        /* cores' worth of CPU others used; NAN: unknown */
    double steal;                         /* share of the CPU time stolen; NAN: unknown */
    int cores;
    int busy; /* BENCH_BUSY_BY_* bits; 0 when quiet */
} bench_load;

/* The directory read as /proc: PARRAY_BENCH_PROC when set (a test hook:
 * a directory with files named loadavg and stat), else "/proc". */
const char *bench_load_proc(void);

/* Reads PROC/loadavg and the "cpu" line of PROC/stat into s. Missing or
 * malformed files leave NAN and have_stat 0. Returns 0 when both were read,
 * -1 otherwise. */
int bench_load_read(const char *proc, bench_load_sample *s);

/* Judges the interval between two readings of the same host: ours is the
 * CPU time (s) the bench's own processes on it used meanwhile, wall the
 * interval (s), hz the ticks per second of /proc/stat, cores the host's
 * online cores and ranks the bench's ranks on it (their load counts in the
 * load average while they run). */
void bench_load_judge(const bench_load_sample *before, const bench_load_sample *after,
                      double ours, double wall, double hz, int cores, int ranks, bench_load *out);

/* True when a load average taken before the bench started is above the
 * cores: other processes alone kept every core busy. */
int bench_load_busy_at_start(double loadavg, int cores);

/* One sentence on l, "other processes used 1.3 of 2 cores, the hypervisor
 * took 4% (steal), load average 7.9 -> 8.1", naming first what made it
 * busy. */
void bench_load_describe(const bench_load *l, char *buf, size_t len);

#endif
