/* Progress of a long subcommand on stderr, from rank 0 only.
 *
 * Whether it shows: --progress turns it on; else PARRAY_PROGRESS=1 on,
 * PARRAY_PROGRESS=0 off; unset, it is on only when rank 0's stderr is a
 * terminal. Under mpirun a rank's stderr is a pipe to the launcher, never
 * a terminal, so a batch job shows progress only when asked for it (-x
 * PARRAY_PROGRESS=1, or --progress).
 *
 * How it shows: on a terminal, one line redrawn in place,
 *   calc: [#########           ] 45% (4.5 of 10 GB), 3.1 GB/s, 12 s left
 * and elsewhere (a batch log) one line per step, printed when both 10 s
 * and 10% of the work have passed since the last one (so at most 10 lines,
 * and none more often than every 10 s), and a last line at 100%:
 *   calc: 45% (4.5 of 10 GB), 3.1 GB/s, 12 s left
 * The amounts are bytes read and written, in the unit of the total (B, kB,
 * MB, GB, TB).
 *
 *   progress pr;
 *   if (progress_init(&pr, ctx, "calc", flag) != 0) return 2;   // collective
 *   progress_start(&pr, total_bytes);
 *   ... progress_update(&pr, done_bytes); ...
 *   progress_end(&pr, status == 0);
 */
#ifndef PARRAY_PROGRESS_H
#define PARRAY_PROGRESS_H

#include "parray.h"

typedef struct {
    const char *what; /* the line's prefix: the subcommand */
    int on;           /* rank 0 shows progress */
    int tty;          /* as a redrawn bar */
    int drawn;        /* a bar is on the terminal's last line */
    char stage[128];  /* on a terminal: what is being done, shown after the bar */
    double total, done;
    double start;                /* MPI_Wtime at progress_start */
    double last_time, last_done; /* of the last line (a log) or drawing (a terminal) */
} progress;

/* Collective. Decides whether rank 0 shows progress (flag: --progress was
 * given). Returns 0, or 2 on every rank after a usage error: PARRAY_PROGRESS
 * set to anything but 0 or 1 on rank 0. */
int progress_init(progress *p, const pa_ctx *ctx, const char *what, int flag);

/* Not collective (each does something on rank 0 only). The work is total
 * bytes; the clock starts. */
void progress_start(progress *p, double total);
/* progress_start, and where rank 0 shows progress, o's progress callback
 * set to show it: a files call (pa_load_files, pa_save_files, pa_load_csv,
 * pa_load_npy) reports rank 0's share of the work, which stands for the
 * job's (the shares are of equal bytes). */
void progress_start_files(progress *p, double total, pa_files_opts *o);
/* done of the total bytes are done. */
void progress_update(progress *p, double done);
/* On a terminal: what is being done now, shown after the bar, e.g.
 * progress_stage(&pr, "loading %s", name). */
void progress_stage(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The work is over. When done: the last line (a log), or the bar at 100%
 * and a newline. When not (a failure follows): only the newline that ends
 * a bar. Does nothing on a progress that is zeroed or off. */
void progress_end(progress *p, int done);

#endif
