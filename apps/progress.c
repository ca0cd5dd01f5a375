/* Progress lines and bars on rank 0's stderr (see progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"

/* A log gets a line when both have passed since the last one. */
#define LOG_SECONDS 10.0
#define LOG_FRACTION 0.1
/* A terminal's bar is redrawn at most this often. */
#define BAR_SECONDS 0.1
#define BAR_WIDTH 20

int progress_init(progress *p, const pa_ctx *ctx, const char *what, int flag)
{
    *p = (progress){.what = what};
    int status = 0;
    if (pa_ctx_rank(ctx) == 0) {
        const char *env = getenv("PARRAY_PROGRESS");
        p->tty = isatty(STDERR_FILENO);
        if (env && strcmp(env, "0") != 0 && strcmp(env, "1") != 0)
            status = cmd_usage(ctx, what,
                               "PARRAY_PROGRESS='%s' is not 0 or 1 (unset: progress only "
                               "when stderr is a terminal)",
                               env);
        p->on = flag || (env ? strcmp(env, "1") == 0 : p->tty);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, pa_ctx_comm(ctx));
    return status;
}

/* An amount in the unit that suits scale: "4.5 GB" style, into buf. */
static const char *unit_of(double scale, double *div)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int k = 0;
    for (*div = 1; k < 4 && scale >= 1000 * *div; k++)
        *div *= 1000;
    return units[k];
}

static int number(char *buf, size_t size, double v)
{
    return snprintf(buf, size, v < 10 ? "%.1f" : "%.0f", v);
}

/* The line without a bar: "45% (4.5 of 10 GB), 3.1 GB/s, 12 s left". */
static void format_line(const progress *p, double now, char *buf, size_t size)
{
    double frac = p->total > 0 ? p->done / p->total : 1.0, div, rdiv;
    const char *unit = unit_of(p->total, &div);
    size_t at = (size_t)snprintf(buf, size, "%.0f%% (", 100.0 * frac);
    at += (size_t)number(buf + at, size - at, p->done / div);
    at += (size_t)snprintf(buf + at, size - at, " of ");
    at += (size_t)number(buf + at, size - at, p->total / div);
    at += (size_t)snprintf(buf + at, size - at, " %s)", unit);
    double elapsed = now - p->start;
    if (p->done > 0 && elapsed > 0 && at < size) {
        double rate = p->done / elapsed;
        const char *runit = unit_of(rate, &rdiv);
        at += (size_t)snprintf(buf + at, size - at, ", ");
        at += (size_t)number(buf + at, size - at, rate / rdiv);
        if (at < size)
            snprintf(buf + at, size - at, " %s/s, %.0f s left", runit,
                     (p->total - p->done) / rate);
    }
}

static void draw_bar(progress *p, double now)
{
    char line[256], bar[BAR_WIDTH + 1];
    double frac = p->total > 0 ? p->done / p->total : 1.0;
    int fill = (int)(frac * BAR_WIDTH);
    for (int k = 0; k < BAR_WIDTH; k++)
        bar[k] = k < fill ? '#' : ' ';
    bar[BAR_WIDTH] = '\0';
    format_line(p, now, line, sizeof line);
    fprintf(stderr, "\r%s: [%s] %s%s%s\033[K", p->what, bar, line, p->stage[0] ? " - " : "",
            p->stage);
    fflush(stderr);
    p->last_time = now;
    p->drawn = 1;
}

static void log_line(progress *p, double now)
{
    char line[256];
    format_line(p, now, line, sizeof line);
    fprintf(stderr, "%s: %s\n", p->what, line);
    fflush(stderr);
    p->last_time = now;
    p->last_done = p->done;
}

void progress_start(progress *p, double total)
{
    p->total = total;
    p->done = p->last_done = 0;
    p->start = p->last_time = MPI_Wtime();
    if (p->on && p->tty)
        draw_bar(p, p->start);
}

/* A files call's progress callback: done of total of rank 0's share. */
static void files_progress(void *arg, size_t done, size_t total)
{
    progress *p = arg;
    progress_update(p, total ? p->total * (double)done / (double)total : p->total);
}

void progress_start_files(progress *p, double total, pa_files_opts *o)
{
    progress_start(p, total);
    if (p->on) {
        o->progress = files_progress;
        o->progress_arg = p;
    }
}

void progress_update(progress *p, double done)
{
    if (!p->on)
        return;
    p->done = done;
    double now = MPI_Wtime();
    if (p->tty) {
        if (now - p->last_time >= BAR_SECONDS)
            draw_bar(p, now);
    } else if (now - p->last_time >= LOG_SECONDS &&
               p->done - p->last_done >= LOG_FRACTION * p->total) {
        log_line(p, now);
    }
}

void progress_stage(progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->stage, sizeof p->stage, fmt, ap);
    va_end(ap);
    if (p->on && p->tty)
        draw_bar(p, MPI_Wtime());
}

void progress_end(progress *p, int done)
{
    if (!p->on)
        return;
    if (done) {
        p->done = p->total;
        p->stage[0] = '\0';
        if (p->tty)
            draw_bar(p, MPI_Wtime());
        else
            log_line(p, MPI_Wtime());
    }
    if (p->drawn)
        fputc('\n', stderr);
    p->drawn = 0;
}
