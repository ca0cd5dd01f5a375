/* What every JSON line of the bench carries: the machine (the CPU from
 * /proc/cpuinfo, the cores and memory), the ranks' layout, the versions,
 * the run's settings, the load at the start and the command line. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "../json.h"
#include "../strbuf.h"
#include "bench_private.h"

/* The shell-like command line: arguments joined by spaces, quoted where
 * they hold anything but safe characters. */
char *bench_join_cmdline(int argc, char **argv)
{
    strbuf sb = {0};
    strbuf_printf(&sb, "parray");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-_./=:,+@%") == strlen(a)) {
            strbuf_printf(&sb, " %s", a);
            continue;
        }
        strbuf_printf(&sb, " '");
        for (const char *p = a; *p; p++) {
            if (*p == '\'')
                strbuf_printf(&sb, "'\\''");
            else
                strbuf_printf(&sb, "%c", *p);
        }
        strbuf_printf(&sb, "'");
    }
    if (sb.failed) {
        free(sb.s);
        return NULL;
    }
    return sb.s;
}

/* The value of the first line of a /proc file that starts with key (up to
 * the colon), without leading blanks and the newline; "" when none. */
static void proc_field(const char *file, const char *key, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(file, "r");
    if (!f)
        return;
    char line[512];
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        const char *p = line + klen;
        p += strspn(p, " \t");
        if (*p != ':')
            continue;
        p++;
        p += strspn(p, " \t");
        snprintf(out, len, "%s", p);
        out[strcspn(out, "\r\n")] = '\0';
        break;
    }
    fclose(f);
}

void bench_read_cpu(cpu_info *c)
{
    proc_field("/proc/cpuinfo", "vendor_id", c->vendor, sizeof c->vendor);
    if (!c->vendor[0])
        proc_field("/proc/cpuinfo", "CPU implementer", c->vendor, sizeof c->vendor);
    proc_field("/proc/cpuinfo", "model name", c->model, sizeof c->model);
    if (!c->model[0])
        proc_field("/proc/cpuinfo", "Model", c->model, sizeof c->model);
    proc_field("/proc/cpuinfo", "cpu family", c->family, sizeof c->family);
    proc_field("/proc/cpuinfo", "model", c->model_id, sizeof c->model_id);
    proc_field("/proc/cpuinfo", "stepping", c->stepping, sizeof c->stepping);
}

/* A number field of /proc/cpuinfo as a JSON number, or null. */
static void json_cpu_number(json_writer *w, const char *key, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    json_key(w, key);
    if (v[0] && !*end)
        json_int(w, n);
    else
        json_null(w);
}

int bench_make_json_context(bench *b)
{
    int nnodes = pa_ctx_nnodes(b->ctx);
    int node = pa_ctx_node(b->ctx);
    int *nodes = NULL, *per = NULL;
    int rc = 0;
    if (b->rank == 0) {
        nodes = malloc(sizeof(int) * (size_t)b->size);
        per = calloc((size_t)nnodes, sizeof(int));
        if (!nodes || !per)
            rc = bench_fail(b, "out of memory");
    }
    if (bench_agree(b, rc) != 0)
        goto out;
    MPI_Gather(&node, 1, MPI_INT, nodes, 1, MPI_INT, 0, b->comm);

    /* Every rank calls MPI_Get_library_version; only rank 0 keeps it. */
    char mpiver[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(mpiver, &len);
    mpiver[strcspn(mpiver, "\r\n")] = '\0';

    if (b->rank == 0) {
        for (int r = 0; r < b->size; r++)
            if (nodes[r] >= 0 && nodes[r] < nnodes)
                per[nodes[r]]++;
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        char mem[64], h5ver[48], date[32];
        proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
        unsigned h5maj = 0, h5min = 0, h5rel = 0;
        H5get_libversion(&h5maj, &h5min, &h5rel);
        snprintf(h5ver, sizeof h5ver, "%u.%u.%u", h5maj, h5min, h5rel);
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
        const char *cfg = pa_blas_config();

        json_writer w;
        json_init_buffer(&w);
        json_begin_object(&w);
        json_key(&w, "machine");
        json_begin_object(&w);
        json_key(&w, "hostname");
        json_string(&w, pa_ctx_hostname(b->ctx));
        json_key(&w, "cores");
        json_int(&w, online);
        json_key(&w, "node_cores");
        json_int(&w, pa_ctx_cores(b->ctx, 1, NULL, 0));
        json_key(&w, "cpu_vendor");
        json_string(&w, b->cpu.vendor);
        json_key(&w, "cpu_model");
        json_string(&w, b->cpu.model);
        json_cpu_number(&w, "cpu_family", b->cpu.family);
        json_cpu_number(&w, "cpu_model_number", b->cpu.model_id);
        json_cpu_number(&w, "cpu_stepping", b->cpu.stepping);
        json_key(&w, "memory_bytes");
        json_double(&w, strtod(mem, NULL) * 1024.0); /* MemTotal is in kB (KiB) */
        json_end_object(&w);
        json_key(&w, "layout");
        json_begin_object(&w);
        json_key(&w, "ranks");
        json_int(&w, b->size);
        json_key(&w, "nodes");
        json_int(&w, nnodes);
        json_key(&w, "ranks_per_node");
        json_begin_array(&w);
        for (int k = 0; k < nnodes; k++)
            json_int(&w, per[k]);
        json_end_array(&w);
        json_key(&w, "emulated_nodes");
        json_bool(&w, pa_ctx_emulated(b->ctx));
        json_end_object(&w);
        json_key(&w, "versions");
        json_begin_object(&w);
        json_key(&w, "parray");
        json_string(&w, pa_version());
        json_key(&w, "mpi");
        json_string(&w, mpiver);
        json_key(&w, "openblas");
        json_string(&w, cfg ? cfg : "");
        json_key(&w, "hdf5");
        json_string(&w, h5ver);
        json_end_object(&w);
        json_key(&w, "run");
        json_begin_object(&w);
        json_key(&w, "quick");
        json_bool(&w, b->opts.quick);
        json_key(&w, "reps");
        json_int(&w, b->opts.reps);
        json_key(&w, "warmup");
        json_int(&w, b->opts.warmup);
        json_end_object(&w);
        json_key(&w, "load_start");
        json_begin_object(&w);
        json_key(&w, "loadavg");
        json_double(&w, b->loadavg_start);
        json_key(&w, "cores");
        json_int(&w, b->host_cores);
        json_key(&w, "busy");
        json_bool(&w, bench_load_busy_at_start(b->loadavg_start, b->host_cores));
        json_end_object(&w);
        json_key(&w, "command");
        json_string(&w, b->cmdline ? b->cmdline : "parray bench");
        json_key(&w, "date");
        json_string(&w, date);
        json_end_object(&w);
        if (w.failed) {
            free(w.buf);
            rc = bench_fail(b, "out of memory");
        } else {
            b->json_context = w.buf;
        }
    }
    rc = bench_agree(b, rc);
out:
    free(nodes);
    free(per);
    return rc;
}
