/* The bench's output: the header and one row per figure on stdout (rank
 * 0), one JSON line per figure, the notes at the physical limit, and the
 * load over the run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "bench_private.h"

/* One row per figure. The method column is wide enough for the longest
 * method names; a longer one pushes the rest of its row right. The target
 * comes last, where its varying width moves nothing. */
#define ROW_FMT "%-11s %-50s %9s %9s %9s %9s %-9s %8s %8s%s%s\n"

/* "800 MB" for a byte size; "1e+07 elem" style for elements, which reads
 * the way --size is written. */
static void opt_size(char *buf, size_t len, double v, int elems)
{
    if (elems)
        snprintf(buf, len, "%.3g elem", v);
    else
        bench_size_str(v, 0, buf, len);
}

static int chosen_has(const bench_experiment *const *chosen, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(chosen[i]->name, name) == 0)
            return 1;
    return 0;
}

void bench_print_header(bench *b, const bench_experiment *const *chosen, int nchosen)
{
    if (b->rank != 0)
        return;
    int nnodes = pa_ctx_nnodes(b->ctx);
    int ncores = pa_ctx_cores(b->ctx, 1, NULL, 0);
    printf("parray bench: %d rank%s on %d node%s%s, host %s, %d core%s on node 0; "
           "%d rep%s after %d warm-up\n",
           b->size, b->size == 1 ? "" : "s", nnodes, nnodes == 1 ? "" : "s",
           pa_ctx_emulated(b->ctx) ? " (emulated)" : "", pa_ctx_hostname(b->ctx), ncores,
           ncores == 1 ? "" : "s", b->opts.reps, b->opts.reps == 1 ? "" : "s", b->opts.warmup);
    const cpu_info *c = &b->cpu;
    printf("cpu: %s, vendor %s", c->model[0] ? c->model : "unknown",
           c->vendor[0] ? c->vendor : "unknown");
    if (c->family[0])
        printf(", family %s model %s stepping %s", c->family, c->model_id, c->stepping);
    printf("\n");

    /* The sizes each chosen experiment will use, so that a quick run says
     * what it scaled down and an explicit option shows what it set. */
    char line[1024] = "", v[64];
    size_t len = 0;
#define ADD(...)                                                                                 \
    (len += (size_t)snprintf(line + len, len < sizeof line ? sizeof line - len : 0, __VA_ARGS__))
    if (chosen_has(chosen, nchosen, "limits") || chosen_has(chosen, nchosen, "init") ||
        chosen_has(chosen, nchosen, "elementwise")) {
        bench_size_str(b->opts.size ? 24.0 * (double)b->opts.size : (double)bench_limits_bytes(),
                       0, v, sizeof v);
        ADD("%slimits %s", len ? ", " : "", v);
    }
    if (chosen_has(chosen, nchosen, "share")) {
        bench_size_str((double)bench_bytes(b, BENCH_SHARE_BYTES, BENCH_SHARE_BYTES_QUICK), 0, v,
                       sizeof v);
        ADD("%sshare %s", len ? ", " : "", v);
    }
    if (chosen_has(chosen, nchosen, "io")) {
        bench_size_str((double)bench_bytes(b, BENCH_IO_BYTES, BENCH_IO_BYTES_QUICK), 0, v,
                       sizeof v);
        ADD("%sio %s", len ? ", " : "", v);
    }
    if (chosen_has(chosen, nchosen, "blas")) {
        ADD("%sblas n=", len ? ", " : "");
        for (int i = 0; i < b->blas_nn; i++)
            ADD("%s%zu", i ? "," : "", b->blas_n[i]);
    }
    if (chosen_has(chosen, nchosen, "init")) {
        opt_size(v, sizeof v, (double)bench_elems(b, BENCH_INIT_ELEMS, BENCH_INIT_ELEMS_QUICK),
                 1);
        ADD("%sinit %s", len ? ", " : "", v);
    }
    if (chosen_has(chosen, nchosen, "elementwise")) {
        opt_size(v, sizeof v, (double)bench_elems(b, BENCH_EW_ELEMS, BENCH_EW_ELEMS_QUICK), 1);
        ADD("%selementwise %s per array", len ? ", " : "", v);
    }
    if (chosen_has(chosen, nchosen, "latency")) {
        opt_size(v, sizeof v, (double)bench_elems(b, BENCH_LATENCY_ELEMS, BENCH_LATENCY_ELEMS),
                 1);
        ADD("%slatency 1000 and %s per array", len ? ", " : "", v);
    }
#undef ADD
    if (b->opts.quick) {
        char s[32], io[32], l[32];
        bench_size_str((double)BENCH_SHARE_BYTES, 0, s, sizeof s);
        bench_size_str((double)BENCH_IO_BYTES, 0, io, sizeof io);
        bench_size_str((double)bench_limits_bytes(), 0, l, sizeof l);
        printf(
            "quick: sizes scaled down to about 1/10 of the defaults (defaults: share %s, io %s, "
            "blas n=2048,4096, init %.0e elem, elementwise %.0e elem per array, "
            "limits %s unchanged); %d reps after %d warm-up (defaults %d and %d); "
            "every array stays larger than the caches\n",
            s, io, (double)BENCH_INIT_ELEMS, (double)BENCH_EW_ELEMS, l, b->opts.reps,
            b->opts.warmup, BENCH_REPS, BENCH_WARMUP);
    }
    if (line[0])
        printf("sizes: %s\n", line);
    if (bench_load_busy_at_start(b->loadavg_start, b->host_cores))
        printf("load: BUSY: 1-minute load average %.2f on %d cores before the run: other "
               "processes keep every core busy, so the figures are noise, not a verdict; "
               "measure on a quiet machine\n",
               b->loadavg_start, b->host_cores);
    else if (!isnan(b->loadavg_start))
        printf("load: 1-minute load average %.2f on %d core%s before the run; checked again "
               "around each experiment\n",
               b->loadavg_start, b->host_cores, b->host_cores == 1 ? "" : "s");
    printf("vs limit: speed relative to this machine's limit (1 = at the limit); "
           "vs naive: speed relative to the naive way (2 = twice as fast)\n");
    printf("target: the figure's goal, met or not met (\"at limit\": the figure is within "
           "%.0f%% of this machine's limit, so the machine cannot meet the goal)\n",
           100 * (1 - BENCH_AT_LIMIT));
    printf(ROW_FMT, "experiment", "method", "size", "median", "min", "max", "unit", "vs limit",
           "vs naive", "  ", "target");
    fflush(stdout);
}

void bench_fmt_value(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "inf");
    else
        snprintf(buf, len, "%.4g", v);
}

static void fmt_ratio(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, "%.3gx", v);
}

/* The target column: ">=0.9x raw write: met", ">=29 GB/s total: not met,
 * at limit"; "" without a target. */
static void fmt_target(const bench *b, const figure *f, char *buf, size_t len)
{
    const target *t = &f->target;
    if (!t->set) {
        buf[0] = '\0';
        return;
    }
    int met = bench_target_met(b, f);
    snprintf(buf, len, "%s%.3g%s %s: %s", t->bound == BENCH_AT_LEAST ? ">=" : "<=", t->x,
             t->ref >= 0 ? "x" : "", t->label,
             met < 0                ? "n/a"
             : met                  ? "met"
             : bench_at_limit(b, f) ? "not met, at limit"
                                    : "not met");
}

static void print_figure(const bench *b, const figure *f)
{
    char size[32], med[32], mn[32], mx[32], vl[32], vn[32], tg[96];
    bench_size_str(f->size, f->size_elems, size, sizeof size);
    bench_fmt_value(f->vmed, med, sizeof med);
    bench_fmt_value(f->vmin, mn, sizeof mn);
    bench_fmt_value(f->vmax, mx, sizeof mx);
    fmt_ratio(bench_ratio_vs(b, f, BENCH_LIMIT), vl, sizeof vl);
    fmt_ratio(bench_ratio_vs(b, f, BENCH_NAIVE), vn, sizeof vn);
    fmt_target(b, f, tg, sizeof tg);
    printf(ROW_FMT, f->experiment, f->method, size, med, mn, mx, f->rate_unit, vl, vn,
           tg[0] ? "  " : "", tg);
}

/* The figure's values by key, in the order of a JSON line. */
static void json_key_double(json_writer *w, const char *key, double v)
{
    json_key(w, key);
    json_double(w, v);
}

/* The figure's target: {"bound":">=","value":0.9,"of":"raw write",
 * "measured":0.93,"met":true,"at_limit":false}, or null. */
static void write_json_target(const bench *b, const figure *f, json_writer *w)
{
    const target *t = &f->target;
    if (!t->set) {
        json_null(w);
        return;
    }
    int met = bench_target_met(b, f);
    json_begin_object(w);
    json_key(w, "bound");
    json_string(w, t->bound == BENCH_AT_LEAST ? ">=" : "<=");
    json_key_double(w, "value", t->x);
    json_key(w, "kind");
    json_string(w, t->ref >= 0 ? "ratio" : "value");
    json_key(w, "of");
    json_string(w, t->ref >= 0 ? b->figs[t->ref].method : t->label);
    json_key(w, "label");
    json_string(w, t->label);
    json_key_double(w, "measured", bench_target_measured(b, f));
    json_key(w, "met");
    if (met < 0)
        json_null(w);
    else
        json_bool(w, met);
    json_key(w, "at_limit");
    json_bool(w, bench_at_limit(b, f));
    json_end_object(w);
}

/* The load around the figure's experiment (bench_load.h). */
static void write_json_load(const bench *b, json_writer *w)
{
    const bench_load *l = &b->load;
    static const struct {
        int bit;
        const char *name;
    } why[] = {{BENCH_BUSY_BY_OTHERS, "others"},
               {BENCH_BUSY_BY_STEAL, "steal"},
               {BENCH_BUSY_BY_LOADAVG, "loadavg"}};
    json_begin_object(w);
    json_key_double(w, "loadavg_before", l->loadavg_before);
    json_key_double(w, "loadavg_after", l->loadavg_after);
    json_key_double(w, "others_cores", l->others);
    json_key_double(w, "steal", l->steal);
    json_key(w, "cores");
    json_int(w, l->cores);
    json_key(w, "bench_ranks");
    json_int(w, b->host_ranks);
    json_key(w, "busy");
    json_bool(w, l->busy != 0);
    json_key(w, "why");
    json_begin_array(w);
    for (size_t k = 0; k < sizeof why / sizeof why[0]; k++)
        if (l->busy & why[k].bit)
            json_string(w, why[k].name);
    json_end_array(w);
    json_end_object(w);
}

static void write_json(bench *b, const figure *f)
{
    char size[32];
    bench_size_str(f->size, f->size_elems, size, sizeof size);
    json_writer w;
    json_init_file(&w, b->json);
    json_begin_object(&w);
    json_key(&w, "experiment");
    json_string(&w, f->experiment);
    json_key(&w, "method");
    json_string(&w, f->method);
    json_key(&w, "role");
    json_string(&w, bench_role_name(f->role));
    json_key_double(&w, "size", f->size);
    json_key(&w, "size_unit");
    json_string(&w, f->size_elems ? "elem" : "B");
    json_key(&w, "size_human");
    json_string(&w, size);
    json_key(&w, "unit");
    json_string(&w, f->rate_unit);
    json_key_double(&w, "median", f->vmed);
    json_key_double(&w, "min", f->vmin);
    json_key_double(&w, "max", f->vmax);
    json_key_double(&w, "vs_limit", bench_ratio_vs(b, f, BENCH_LIMIT));
    json_key_double(&w, "vs_naive", bench_ratio_vs(b, f, BENCH_NAIVE));
    if (f->work > 0)
        json_key_double(&w, "work", f->work);
    if (f->calls > 0) {
        json_key(&w, "calls");
        json_int(&w, f->calls);
    }
    json_key(&w, "reps");
    json_int(&w, f->n);
    json_key(&w, "warmup");
    json_int(&w, b->opts.warmup);
    json_key(&w, "times_s");
    json_begin_array(&w);
    for (int i = 0; i < f->n; i++)
        json_double(&w, f->t[i]);
    json_end_array(&w);
    json_key(&w, "target");
    write_json_target(b, f, &w);
    json_key(&w, "load");
    write_json_load(b, &w);
    json_key(&w, "ratios");
    json_begin_array(&w);
    for (int i = 0; i < f->nratios; i++) {
        const figure *r = &b->figs[f->ratios[i].ref];
        json_begin_object(&w);
        json_key(&w, "label");
        json_string(&w, f->ratios[i].label);
        json_key(&w, "experiment");
        json_string(&w, r->experiment);
        json_key(&w, "method");
        json_string(&w, r->method);
        json_key(&w, "role");
        json_string(&w, bench_role_name(r->role));
        json_key_double(&w, "value", bench_speed_vs(b, f, f->ratios[i].ref));
        json_end_object(&w);
    }
    json_end_array(&w);
    json_members(&w, b->json_context);
    json_end_object(&w);
    json_newline(&w);
}

/* Rank 0: notes naming the parray figures since the last output that run
 * at the physical limit, so that nobody hunts for speed that is not there,
 * and apart from them those that ran clearly above the limit measured:
 * there the limit read low (noise), or parray beats the plain code that
 * measures it, and the physical limit is not known. */
void bench_note_at_limit(bench *b)
{
    for (int above = 0; above < 2; above++) {
        char line[MSG_MAX];
        size_t len = 0;
        int n = 0;
        for (int i = b->printed; i < b->nfigs; i++) {
            const figure *f = &b->figs[i];
            double r = bench_ratio_vs(b, f, BENCH_LIMIT);
            if (f->role != BENCH_PARRAY || !bench_at_limit(b, f) ||
                (r > 1 / BENCH_AT_LIMIT) != above)
                continue;
            if (len < sizeof line)
                len += (size_t)snprintf(line + len, sizeof line - len, "%s%s (%.2fx)",
                                        n ? "; " : "", f->method, r);
            n++;
        }
        if (n && !above)
            bench_note(b,
                       "at the physical limit (%.2fx to %.2fx of this machine's limit: no "
                       "code runs faster here): %s",
                       BENCH_AT_LIMIT, 1 / BENCH_AT_LIMIT, line);
        else if (n)
            bench_note(b,
                       "above this machine's limit as measured (the limit read low, or "
                       "parray beats the plain code that measures it): %s",
                       line);
    }
}

/* Rank 0 prints the figures made since the last call, then the notes; the
 * JSON file gets one line per figure. */
int bench_flush_output(bench *b)
{
    int rc = 0;
    if (b->rank == 0) {
        for (int i = b->printed; i < b->nfigs; i++) {
            print_figure(b, &b->figs[i]);
            if (b->json)
                write_json(b, &b->figs[i]);
        }
        for (int i = 0; i < b->nnotes; i++)
            printf("  note: %s\n", b->notes[i]);
        fflush(stdout);
        if (b->json && (fflush(b->json) != 0 || ferror(b->json)))
            rc = bench_fail(b, "--json %s: write failed: %s", b->opts.json, strerror(errno));
    }
    b->printed = b->nfigs;
    for (int i = 0; i < b->nnotes; i++)
        free(b->notes[i]);
    b->nnotes = 0;
    return bench_agree(b, rc);
}

void bench_print_load(bench *b)
{
    if (b->rank != 0)
        return;
    if (b->busy_exps[0])
        printf("load: BUSY during %s (other processes or steal; see the notes): rerun those on "
               "a quiet machine before reading their figures as a verdict\n",
               b->busy_exps);
    else if (bench_load_busy_at_start(b->loadavg_start, b->host_cores))
        printf("load: the load average was above the cores before the run; the experiments "
               "themselves looked quiet\n");
    else if (b->unjudged)
        printf("load: no experiment looked busy (steal under %.0f%%, load average not above "
               "the cores; %d experiment%s under %.0f s judged by those alone)\n",
               100 * BENCH_BUSY_STEAL, b->unjudged, b->unjudged == 1 ? "" : "s",
               BENCH_BUSY_MIN_WALL);
    else
        printf("load: the machine was quiet during the run (no other process busy on more "
               "than %.0f%% of the cores, steal under %.0f%%)\n",
               100 * BENCH_BUSY_OTHERS, 100 * BENCH_BUSY_STEAL);
    fflush(stdout);
}
