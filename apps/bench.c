/* The bench harness: the experiment registry, timed repetitions combined
 * over the ranks, figures and their statistics, the table on stdout and the
 * JSON Lines file, failure agreement, and the kernels that experiments
 * share (a vectorised sum and the STREAM triad). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BENCH_X86 1 /* gcc on x86-64: target attributes and intrinsics */
#include <immintrin.h>
#endif

#include "agree.h"
#include "bench.h"
#include "bench_load.h"
#include "json.h"

/* The registry. A new experiment adds its declaration to bench.h and its
 * entry here; `parray bench` with no name runs them in this order. The
 * limits come first so that later experiments find them measured. */
const bench_experiment *const bench_experiments[] = {
    &bench_limits,
    &bench_share,
    &bench_io,
    &bench_blas,
    &bench_init,
    &bench_elementwise,
    &bench_latency,
};
const int bench_nexperiments = sizeof(bench_experiments) / sizeof(bench_experiments[0]);

#define MSG_MAX 512
#define MAX_RATIOS 4

typedef struct {
    int ref;
    char label[32];
} ratio;

/* A figure's target (bench_target, bench_target_value). */
typedef struct {
    int set;
    int ref;            /* a ratio to this figure, or -1: the value times scale */
    double scale;
    bench_bound bound;
    double x;
    char label[32];     /* ref's name, or the value's unit */
} target;

/* The CPU, from /proc/cpuinfo (x86 names; "CPU implementer" and "Model"
 * elsewhere): the kernels' speeds and some of their tuning depend on its
 * maker and model. Empty strings where the file does not say. */
typedef struct {
    char vendor[64], model[256], family[16], model_id[16], stepping[16];
} cpu_info;

typedef struct {
    char experiment[32];
    char method[64];
    double size;
    int size_elems;
    double work;
    int calls;                /* > 0: the value is the time per call in us */
    char rate_unit[16];
    bench_role role;
    int n;
    double *t;                /* the measured times, s */
    double vmed, vmin, vmax;  /* the value: time in s, or rate */
    int nratios;
    ratio ratios[MAX_RATIOS];
    target target;
} figure;

struct bench {
    pa_ctx *ctx;
    MPI_Comm comm, node_comm;
    int rank, size;
    bench_opts opts;
    char *cmdline;
    FILE *json;                 /* rank 0 only */
    char *json_context;         /* rank 0: an object of the members that every JSON
                                   line carries (machine, layout, versions, ...) */
    cpu_info cpu;               /* rank 0: where the figures are measured */
    const char *expname;        /* the experiment whose figures are being made */
    figure *figs;
    int nfigs, capfigs, printed;
    char **notes;
    int nnotes;
    int limit_fig[BENCH_NLIMITS];
    int limits_done;
    double rep_time;
    int rep_time_set;
    size_t blas_n[BENCH_MAX_N];
    int blas_nn;
    struct old_fig *old;        /* --compare: the old file's figures, rank 0 */
    int nold;
    /* The load (bench_load.h), on rank 0's host: its ranks' communicator,
     * and on rank 0 the readings and verdicts. */
    MPI_Comm host_comm;
    int host_ranks, host_cores;
    double loadavg_start;
    bench_load_sample load0;    /* rank 0: when the experiment began */
    double cpu0, wall0;         /* this rank's CPU time, rank 0's clock, then */
    bench_load load;            /* rank 0: the verdict on the last experiment */
    char busy_exps[256];        /* rank 0: the experiments that ran while busy */
    int unjudged;               /* rank 0: experiments too short to judge the others' CPU */
    char errmsg[MSG_MAX];
};

static int load_compare(bench *b);
static void free_old(bench *b);

/* ------------------------------------------------------------ kernels */

/* The limit kernels come in three widths, chosen at run time: the widest
 * the CPU runs, as parray's own kernels are. A limit measured with
 * narrower loads than parray's understates the memory: on the 2-core VM
 * the 16-byte read ran at 0.8-0.9x of the 64-byte one, and the 16-byte
 * triad at 0.9x, because a core keeps fewer lines in flight when each line
 * takes four loads. Each adds in its own order, which the limits' checks
 * allow (they add whole numbers). */

/* One line per accumulator, and enough of them that the loads stream while
 * each add chain waits out its latency (-O2 does not unroll). */
#define SUM_BODY(V, W, ZERO, LOAD, ADD)                                                     \
    V s0 = ZERO, s1 = s0, s2 = s0, s3 = s0;                                              \
    size_t i = 0;                                                                        \
    for (; i + 4 * (W) <= n; i += 4 * (W)) {                                             \
        s0 = ADD(s0, LOAD(x + i));                                                       \
        s1 = ADD(s1, LOAD(x + i + (W)));                                                 \
        s2 = ADD(s2, LOAD(x + i + 2 * (W)));                                             \
        s3 = ADD(s3, LOAD(x + i + 3 * (W)));                                             \
    }                                                                                    \
    V t = ADD(ADD(s0, s1), ADD(s2, s3));                                                 \
    double lane[W], sum = 0;                                                             \
    memcpy(lane, &t, sizeof t);                                                          \
    for (int k = 0; k < (W); k++)                                                        \
        sum += lane[k];                                                                  \
    for (; i < n; i++)                                                                   \
        sum += x[i];                                                                     \
    return sum;

/* The STREAM triad with ordinary stores: STREAM does not use streaming
 * stores, so neither does the limit. */
#define TRIAD_BODY(V, W, SET1, LOAD, STORE, ADD, MUL)                                       \
    const V vs = SET1(s);                                                                \
    size_t i = 0;                                                                        \
    for (; i + 2 * (W) <= n; i += 2 * (W)) {                                             \
        STORE(a + i, ADD(LOAD(b + i), MUL(vs, LOAD(c + i))));                            \
        STORE(a + i + (W), ADD(LOAD(b + i + (W)), MUL(vs, LOAD(c + i + (W)))));          \
    }                                                                                    \
    for (; i < n; i++)                                                                   \
        a[i] = b[i] + s * c[i];

/* z = a*b + c with streaming stores of whole lines, each rank on its own
 * part: three reads and a write, the best this memory does for the
 * expression, side by side with pa_eval's. */
#define FMA_STREAM_BODY(W, LOAD, STREAM, ADD, MUL)                                          \
    size_t i = 0;                                                                        \
    for (; i < n && ((uintptr_t)(z + i) & 63); i++)                                      \
        z[i] = a[i] * b[i] + c[i];                                                       \
    for (; i + 8 <= n; i += 8)                                                           \
        for (int k = 0; k < 8; k += (W))                                                 \
            STREAM(z + i + k, ADD(MUL(LOAD(a + i + k), LOAD(b + i + k)), LOAD(c + i + k))); \
    for (; i < n; i++)                                                                   \
        z[i] = a[i] * b[i] + c[i];                                                       \
    STREAM_FENCE();

/* The three kernels for vectors V of W doubles, compiled with ATTR. */
#define WIDTH_KERNELS(W, ATTR, V, ZERO, SET1, LOAD, STORE, STREAM, ADD, MUL)                \
    ATTR static double sum_##W(const double *x, size_t n)                                \
    {                                                                                    \
        SUM_BODY(V, W, ZERO, LOAD, ADD)                                                  \
    }                                                                                    \
    ATTR static void triad_##W(double *restrict a, const double *restrict b,             \
                               const double *restrict c, double s, size_t n)            \
    {                                                                                    \
        TRIAD_BODY(V, W, SET1, LOAD, STORE, ADD, MUL)                                    \
    }                                                                                    \
    ATTR static void fma_stream_##W(double *restrict z, const double *restrict a,        \
                                    const double *restrict b, const double *restrict c, \
                                    size_t n)                                            \
    {                                                                                    \
        FMA_STREAM_BODY(W, LOAD, STREAM, ADD, MUL)                                       \
    }

/* 16 bytes: GNU vectors through memcpy (no alignment assumed), which any
 * target compiles and gcc keeps in SSE2 registers on x86-64; streaming
 * stores where the target has them. */
typedef double v2d __attribute__((vector_size(16)));
static inline v2d load2(const double *p)
{
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store2(double *p, v2d v)
{
    memcpy(p, &v, sizeof v);
}
static inline v2d set2(double s)
{
    return (v2d){s, s};
}
#define ADD2(a, b) ((a) + (b))
#define MUL2(a, b) ((a) * (b))
#ifdef BENCH_X86
#define STREAM2 _mm_stream_pd
#define STREAM_FENCE() _mm_sfence()
#else
#define STREAM2 store2
#define STREAM_FENCE() ((void)0)
#endif
WIDTH_KERNELS(2, , v2d, set2(0), set2, load2, store2, STREAM2, ADD2, MUL2)

#ifdef BENCH_X86
WIDTH_KERNELS(4, __attribute__((target("avx2"))), __m256d, _mm256_setzero_pd(), _mm256_set1_pd,
              _mm256_loadu_pd, _mm256_storeu_pd, _mm256_stream_pd, _mm256_add_pd,
              _mm256_mul_pd)
WIDTH_KERNELS(8, __attribute__((target("avx512f"))), __m512d, _mm512_setzero_pd(),
              _mm512_set1_pd, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_stream_pd,
              _mm512_add_pd, _mm512_mul_pd)
#endif

typedef struct {
    const char *width;
    double (*sum)(const double *x, size_t n);
    void (*triad)(double *restrict a, const double *restrict b, const double *restrict c,
                  double s, size_t n);
    void (*fma_stream)(double *restrict z, const double *restrict a,
                       const double *restrict b, const double *restrict c, size_t n);
} limit_kernels;

/* The widest kernels this CPU runs. */
static const limit_kernels *widest(void)
{
#ifdef BENCH_X86
    static const limit_kernels k2 = {"16-byte (SSE2)", sum_2, triad_2, fma_stream_2},
                               k4 = {"32-byte (AVX2)", sum_4, triad_4, fma_stream_4},
                               k8 = {"64-byte (AVX-512)", sum_8, triad_8, fma_stream_8};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return &k8;
    if (__builtin_cpu_supports("avx2"))
        return &k4;
#else
    static const limit_kernels k2 = {"16-byte", sum_2, triad_2, fma_stream_2};
#endif
    return &k2;
}

double bench_sum(const double *x, size_t n)
{
    return widest()->sum(x, n);
}

void bench_triad(double *restrict a, const double *restrict b, const double *restrict c,
                 double s, size_t n)
{
    widest()->triad(a, b, c, s, n);
}

void bench_fma_stream(double *restrict z, const double *restrict a, const double *restrict b,
                      const double *restrict c, size_t n)
{
    widest()->fma_stream(z, a, b, c, n);
}

const char *bench_vector_width(void)
{
    return widest()->width;
}

/* ------------------------------------------------------------ helpers */

void bench_size_str(double size, int elems, char *buf, size_t len)
{
    static const char *const dec[] = {"k", "M", "G", "T"};
    static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB"};
    const char *unit = elems ? " elem" : " B";
    /* Small counts (matrix orders, 1024) read best whole. */
    if (elems && size < 1e5 && size == floor(size)) {
        snprintf(buf, len, "%.0f", size);
        return;
    }
    /* A round decimal size reads best in decimal units, a round binary one
     * in binary units; anything else in decimal with 4 digits. */
    for (int k = 3; k >= 0; k--) {
        double u = pow(1e3, k + 1);
        if (size >= u && fmod(size, u) == 0) {
            snprintf(buf, len, "%.0f %s%s", size / u, dec[k], elems ? " elem" : "B");
            return;
        }
    }
    if (!elems)
        for (int k = 3; k >= 0; k--) {
            double u = ldexp(1, 10 * (k + 1));
            if (size >= u && fmod(size, u) == 0) {
                snprintf(buf, len, "%.0f %s", size / u, bin[k]);
                return;
            }
        }
    for (int k = 3; k >= 0; k--) {
        double u = pow(1e3, k + 1);
        if (size >= u) {
            snprintf(buf, len, "%.4g %s%s", size / u, dec[k], elems ? " elem" : "B");
            return;
        }
    }
    snprintf(buf, len, "%.0f%s", size, unit);
}

/* ------------------------------------------------------------ failures */

int bench_fail(bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->errmsg, sizeof b->errmsg, fmt, ap);
    va_end(ap);
    return -1;
}

int bench_agree(bench *b, int rc)
{
    return agree_failure(b->comm, rc != 0, b->errmsg, (int)sizeof b->errmsg);
}

/* The message of the last failed bench_create, for bench_errmsg(NULL). */
static char create_errmsg[MSG_MAX];

const char *bench_errmsg(const bench *b)
{
    return b ? b->errmsg : create_errmsg;
}

/* ------------------------------------------------------------ the run */

pa_ctx *bench_ctx(const bench *b) { return b->ctx; }
MPI_Comm bench_comm(const bench *b) { return b->comm; }
MPI_Comm bench_node_comm(const bench *b) { return b->node_comm; }
const bench_opts *bench_options(const bench *b) { return &b->opts; }

size_t bench_bytes(const bench *b, size_t full, size_t quick)
{
    return b->opts.bytes ? b->opts.bytes : b->opts.quick ? quick : full;
}

size_t bench_elems(const bench *b, size_t full, size_t quick)
{
    return b->opts.size ? b->opts.size : b->opts.quick ? quick : full;
}

int bench_blas_sizes(const bench *b, const size_t **n)
{
    *n = b->blas_n;
    return b->blas_nn;
}

/* The sizes the options give, for bench_create. */
static void set_blas_sizes(bench *b)
{
    static const size_t full[] = BENCH_BLAS_N, quick[] = BENCH_BLAS_N_QUICK;
    const size_t *src = b->opts.nn ? b->opts.n : b->opts.quick ? quick : full;
    int cnt = b->opts.nn ? b->opts.nn
            : b->opts.quick ? (int)(sizeof quick / sizeof quick[0])
                            : (int)(sizeof full / sizeof full[0]);
    for (int i = 0; i < cnt && i < BENCH_MAX_N; i++)
        b->blas_n[i] = src[i];
    b->blas_nn = cnt < BENCH_MAX_N ? cnt : BENCH_MAX_N;
}

/* A small appending printf, for the command line. */
typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *sb, const char *fmt, ...)
{
    if (sb->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = sb->cap - sb->len;
        int n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, sb->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            sb->failed = 1;
            return;
        }
        if (sb->buf && (size_t)n < room) {
            sb->len += (size_t)n;
            return;
        }
        size_t ncap = (sb->cap + (size_t)n + 64) * 2;
        char *nb = realloc(sb->buf, ncap);
        if (!nb) {
            sb->failed = 1;
            return;
        }
        sb->buf = nb;
        sb->cap = ncap;
    }
}

/* The shell-like command line: arguments joined by spaces, quoted where
 * they hold anything but safe characters. */
static char *join_cmdline(int argc, char **argv)
{
    sbuf sb = {0};
    sb_printf(&sb, "parray");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-_./=:,+@%") == strlen(a)) {
            sb_printf(&sb, " %s", a);
            continue;
        }
        sb_printf(&sb, " '");
        for (const char *p = a; *p; p++) {
            if (*p == '\'')
                sb_printf(&sb, "'\\''");
            else
                sb_printf(&sb, "%c", *p);
        }
        sb_printf(&sb, "'");
    }
    if (sb.failed) {
        free(sb.buf);
        return NULL;
    }
    return sb.buf;
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

static void read_cpu(cpu_info *c)
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

/* Collective. The "machine", "layout", "versions", "run" and "command"
 * members that every JSON line carries, built on rank 0. */
static int make_json_context(bench *b)
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

int bench_create(pa_ctx *ctx, const bench_opts *opts, int argc, char **argv, bench **out)
{
    *out = NULL;
    bench *b = calloc(1, sizeof *b);
    if (!agree_all_ok(pa_ctx_comm(ctx), b != NULL)) {
        snprintf(create_errmsg, sizeof create_errmsg, "out of memory");
        free(b);
        return -1;
    }
    b->ctx = ctx;
    b->opts = *opts;
    for (int k = 0; k < BENCH_NLIMITS; k++)
        b->limit_fig[k] = -1;
    /* The bench talks on its own duplicates, so that its messages can never
     * match the library's. An MPI failure inside a benchmark is fatal: the
     * methods it measures are plain MPI calls, and stopping the job beats
     * leaving a rank waiting in one. */
    MPI_Comm_dup(pa_ctx_comm(ctx), &b->comm);
    MPI_Comm_dup(pa_ctx_node_comm(ctx), &b->node_comm);
    MPI_Comm_set_errhandler(b->comm, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_set_errhandler(b->node_comm, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(b->comm, &b->rank);
    MPI_Comm_size(b->comm, &b->size);
    /* The ranks on rank 0's host (a real one, whatever nodes are emulated):
     * their CPU time is the bench's share of that host's load. Ordered by
     * job rank, so job rank 0 is the host's rank 0. */
    MPI_Comm_split_type(b->comm, MPI_COMM_TYPE_SHARED, b->rank, MPI_INFO_NULL, &b->host_comm);
    MPI_Comm_size(b->host_comm, &b->host_ranks);
    if (b->rank == 0) {
        bench_load_sample start;
        bench_load_read(bench_load_proc(), &start);
        b->loadavg_start = start.loadavg;
        b->host_cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    b->expname = "";
    set_blas_sizes(b);

    int rc = 0;
    if (b->rank == 0)
        read_cpu(&b->cpu);
    b->cmdline = join_cmdline(argc, argv);
    if (!b->cmdline)
        rc = bench_fail(b, "out of memory");
    if (bench_agree(b, rc) != 0 || make_json_context(b) != 0)
        goto fail;
    if (b->rank == 0 && opts->compare)
        rc = load_compare(b);
    if (bench_agree(b, rc) != 0)
        goto fail;
    if (b->rank == 0 && opts->json_stream) {
        b->json = opts->json_stream;
    } else if (b->rank == 0 && opts->json) {
        b->json = fopen(opts->json, "w");
        if (!b->json)
            rc = bench_fail(b, "--json %s: %s", opts->json, strerror(errno));
    }
    if (bench_agree(b, rc) != 0)
        goto fail;
    *out = b;
    return 0;

fail:
    snprintf(create_errmsg, sizeof create_errmsg, "%s", b->errmsg);
    bench_free(&b);
    return -1;
}

void bench_free(bench **bp)
{
    bench *b = *bp;
    if (!b)
        return;
    if (b->json && b->json != b->opts.json_stream)
        fclose(b->json);
    for (int i = 0; i < b->nfigs; i++)
        free(b->figs[i].t);
    free(b->figs);
    for (int i = 0; i < b->nnotes; i++)
        free(b->notes[i]);
    free(b->notes);
    free(b->cmdline);
    free(b->json_context);
    free_old(b);
    if (b->comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->comm);
    if (b->node_comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->node_comm);
    if (b->host_comm != MPI_COMM_NULL)
        MPI_Comm_free(&b->host_comm);
    free(b);
    *bp = NULL;
}

/* ------------------------------------------------------------ figures */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The value of one time sample: the time itself, the time per call in us,
 * or the rate. */
static double value_of(const figure *f, double t)
{
    return f->work > 0 ? f->work / t / 1e9 : f->calls > 0 ? t / f->calls * 1e6 : t;
}

static int add_figure(bench *b, const bench_spec *spec, const double *t, int n, int *fig)
{
    int rc = 0;
    figure *f = NULL;
    double *copy = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *vals = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (b->nfigs == b->capfigs) {
        int ncap = b->capfigs ? 2 * b->capfigs : 32;
        figure *nf = realloc(b->figs, sizeof(figure) * (size_t)ncap);
        if (nf) {
            b->figs = nf;
            b->capfigs = ncap;
        }
    }
    if (!copy || !vals || b->nfigs == b->capfigs)
        rc = bench_fail(b, "out of memory");
    if (bench_agree(b, rc) != 0) {
        free(copy);
        free(vals);
        return -1;
    }
    f = &b->figs[b->nfigs];
    memset(f, 0, sizeof *f);
    snprintf(f->experiment, sizeof f->experiment, "%s", b->expname);
    snprintf(f->method, sizeof f->method, "%s", spec->method);
    f->size = spec->size;
    f->size_elems = spec->size_elems;
    f->work = spec->work;
    f->calls = spec->work > 0 ? 0 : spec->calls;
    f->role = spec->role;
    if (f->role == BENCH_AUTO)
        f->role = strncmp(spec->method, "limit", 5) == 0   ? BENCH_LIMIT
                : strncmp(spec->method, "naive", 5) == 0 ? BENCH_NAIVE
                                                         : BENCH_PARRAY;
    snprintf(f->rate_unit, sizeof f->rate_unit, "%s",
             spec->work > 0 ? (spec->rate_unit ? spec->rate_unit : "GB/s")
             : f->calls > 0 ? "us"
                            : "s");
    f->n = n;
    memcpy(copy, t, sizeof(double) * (size_t)n);
    f->t = copy;
    for (int i = 0; i < n; i++)
        vals[i] = value_of(f, t[i]);
    f->vmed = median_of(vals, n);
    f->vmin = vals[0];
    f->vmax = vals[n - 1];
    free(vals);
    if (fig)
        *fig = b->nfigs;
    b->nfigs++;
    return 0;
}

int bench_record(bench *b, const bench_spec *spec, const double *seconds, int n, int *fig)
{
    return add_figure(b, spec, seconds, n, fig);
}

void bench_set_time(bench *b, double seconds)
{
    b->rep_time = seconds;
    b->rep_time_set = 1;
}

int bench_time_steps(bench *b, const bench_spec *specs, const bench_fn *fns, void *const *args,
                     int n, int *figs)
{
    int reps = b->opts.reps, total = b->opts.warmup + b->opts.reps;
    double *t = malloc(sizeof(double) * (size_t)reps * (size_t)(n > 0 ? n : 1));
    if (bench_agree(b, t ? 0 : bench_fail(b, "out of memory")) != 0) {
        free(t);
        return -1;
    }
    for (int r = 0; r < total; r++)
        for (int j = 0; j < n; j++) {
            /* Forward on even repetitions, backward on odd ones. */
            int i = r % 2 ? n - 1 - j : j;
            const bench_spec *spec = &specs[i];
            int rc = spec->prepare ? spec->prepare(b, args[i], r) : 0;
            /* Agreeing on the preparation also lines the ranks up: no rank
             * starts its clock before every rank has finished preparing. */
            if (bench_agree(b, rc) != 0) {
                free(t);
                return -1;
            }
            b->rep_time_set = 0;
            double t0 = MPI_Wtime();
            rc = fns[i](b, args[i], r);
            double dt = MPI_Wtime() - t0;
            if (b->rep_time_set)
                dt = b->rep_time;
            /* One allreduce (MAX) combines the times and the failure flags:
             * MIN is the negated MAX, and RANK0 lets rank 0's time win over
             * the others' -1. */
            double in[2], res[2];
            in[0] = spec->combine == BENCH_MIN     ? -dt
                    : spec->combine == BENCH_RANK0 ? (b->rank == 0 ? dt : -1.0)
                                                   : dt;
            in[1] = rc != 0;
            MPI_Allreduce(in, res, 2, MPI_DOUBLE, MPI_MAX, b->comm);
            if (res[1] > 0) {
                bench_agree(b, rc);
                free(t);
                return -1;
            }
            if (r >= b->opts.warmup)
                t[(size_t)i * (size_t)reps + (size_t)(r - b->opts.warmup)] =
                    spec->combine == BENCH_MIN ? -res[0] : res[0];
        }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = add_figure(b, &specs[i], t + (size_t)i * (size_t)reps, reps, figs ? &figs[i] : NULL);
    free(t);
    return rc;
}

int bench_time(bench *b, const bench_spec *spec, bench_fn fn, void *arg, int *fig)
{
    return bench_time_steps(b, spec, &fn, &arg, 1, fig);
}

void bench_ratio(bench *b, int fig, int ref, const char *label)
{
    if (fig < 0 || fig >= b->nfigs || ref < 0 || ref >= b->nfigs)
        return;
    figure *f = &b->figs[fig];
    if (f->nratios == MAX_RATIOS)
        return;
    ratio *q = &f->ratios[f->nratios++];
    q->ref = ref;
    snprintf(q->label, sizeof q->label, "%s", label);
}

double bench_value(const bench *b, int fig)
{
    return fig >= 0 && fig < b->nfigs ? b->figs[fig].vmed : NAN;
}

/* Speed relative to figure ref: rates divide, times divide the other way
 * round, so that above 1 is faster either way. */
static double speed_vs(const bench *b, const figure *f, int ref)
{
    const figure *r = &b->figs[ref];
    return f->work > 0 ? f->vmed / r->vmed : r->vmed / f->vmed;
}

/* The first ratio of f to a figure of the given role, or NAN. */
static double ratio_vs(const bench *b, const figure *f, bench_role role)
{
    for (int i = 0; i < f->nratios; i++)
        if (b->figs[f->ratios[i].ref].role == role)
            return speed_vs(b, f, f->ratios[i].ref);
    return NAN;
}

static void set_target(bench *b, int fig, int ref, double scale, bench_bound bound, double x,
                       const char *label)
{
    if (fig < 0 || fig >= b->nfigs || ref >= b->nfigs)
        return;
    target *t = &b->figs[fig].target;
    *t = (target){.set = 1, .ref = ref, .scale = scale, .bound = bound, .x = x};
    snprintf(t->label, sizeof t->label, "%s", label);
}

void bench_target(bench *b, int fig, int ref, bench_bound bound, double x, const char *label)
{
    if (ref >= 0)
        set_target(b, fig, ref, 1.0, bound, x, label);
}

void bench_target_value(bench *b, int fig, double scale, double x, const char *unit)
{
    set_target(b, fig, -1, scale, BENCH_AT_LEAST, x, unit);
}

void bench_target_value_bound(bench *b, int fig, double scale, bench_bound bound, double x,
                              const char *unit)
{
    set_target(b, fig, -1, scale, bound, x, unit);
}

/* What the target is measured on: the ratio or the scaled value. */
static double target_measured(const bench *b, const figure *f)
{
    const target *t = &f->target;
    return t->ref >= 0 ? speed_vs(b, f, t->ref) : f->vmed * t->scale;
}

/* 1 met, 0 not met, -1 not measured (a NAN). */
static int target_met(const bench *b, const figure *f)
{
    double m = target_measured(b, f);
    if (isnan(m))
        return -1;
    return f->target.bound == BENCH_AT_LEAST ? m >= f->target.x : m <= f->target.x;
}

/* At the physical limit: within BENCH_AT_LIMIT of the limit, or above. */
static int at_limit(const bench *b, const figure *f)
{
    return ratio_vs(b, f, BENCH_LIMIT) >= BENCH_AT_LIMIT;
}

static const char *role_name(bench_role r)
{
    switch (r) {
    case BENCH_LIMIT: return "limit";
    case BENCH_NAIVE: return "naive";
    case BENCH_PARRAY: return "parray";
    default: return "other";
    }
}

void bench_note(bench *b, const char *fmt, ...)
{
    char line[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **nn = realloc(b->notes, sizeof(char *) * (size_t)(b->nnotes + 1));
    if (!nn)
        return;
    b->notes = nn;
    b->notes[b->nnotes] = strdup(line);
    if (b->notes[b->nnotes])
        b->nnotes++;
}

/* ------------------------------------------------------------ output */

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
#define ADD(...) (len += (size_t)snprintf(line + len, len < sizeof line ? sizeof line - len : 0, __VA_ARGS__))
    if (chosen_has(chosen, nchosen, "limits") || chosen_has(chosen, nchosen, "init") ||
        chosen_has(chosen, nchosen, "elementwise")) {
        bench_size_str(b->opts.size ? 24.0 * (double)b->opts.size : (double)bench_limits_bytes(),
                       0, v, sizeof v);
        ADD("%slimits %s", len ? ", " : "", v);
    }
    if (chosen_has(chosen, nchosen, "share")) {
        bench_size_str((double)bench_bytes(b, BENCH_SHARE_BYTES, BENCH_SHARE_BYTES_QUICK), 0,
                       v, sizeof v);
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
        printf("quick: sizes scaled down to about 1/10 of the defaults (defaults: share %s, io %s, "
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

static void fmt_value(double v, char *buf, size_t len)
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
    int met = target_met(b, f);
    snprintf(buf, len, "%s%.3g%s %s: %s", t->bound == BENCH_AT_LEAST ? ">=" : "<=", t->x,
             t->ref >= 0 ? "x" : "", t->label,
             met < 0 ? "n/a" : met ? "met" : at_limit(b, f) ? "not met, at limit" : "not met");
}

static void print_figure(const bench *b, const figure *f)
{
    char size[32], med[32], mn[32], mx[32], vl[32], vn[32], tg[96];
    bench_size_str(f->size, f->size_elems, size, sizeof size);
    fmt_value(f->vmed, med, sizeof med);
    fmt_value(f->vmin, mn, sizeof mn);
    fmt_value(f->vmax, mx, sizeof mx);
    fmt_ratio(ratio_vs(b, f, BENCH_LIMIT), vl, sizeof vl);
    fmt_ratio(ratio_vs(b, f, BENCH_NAIVE), vn, sizeof vn);
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
    int met = target_met(b, f);
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
    json_key_double(w, "measured", target_measured(b, f));
    json_key(w, "met");
    if (met < 0)
        json_null(w);
    else
        json_bool(w, met);
    json_key(w, "at_limit");
    json_bool(w, at_limit(b, f));
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
    json_string(&w, role_name(f->role));
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
    json_key_double(&w, "vs_limit", ratio_vs(b, f, BENCH_LIMIT));
    json_key_double(&w, "vs_naive", ratio_vs(b, f, BENCH_NAIVE));
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
        json_string(&w, role_name(r->role));
        json_key_double(&w, "value", speed_vs(b, f, f->ratios[i].ref));
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
static void note_at_limit(bench *b)
{
    for (int above = 0; above < 2; above++) {
        char line[MSG_MAX];
        size_t len = 0;
        int n = 0;
        for (int i = b->printed; i < b->nfigs; i++) {
            const figure *f = &b->figs[i];
            double r = ratio_vs(b, f, BENCH_LIMIT);
            if (f->role != BENCH_PARRAY || !at_limit(b, f) || (r > 1 / BENCH_AT_LIMIT) != above)
                continue;
            if (len < sizeof line)
                len += (size_t)snprintf(line + len, sizeof line - len, "%s%s (%.2fx)",
                                        n ? "; " : "", f->method, r);
            n++;
        }
        if (n && !above)
            bench_note(b, "at the physical limit (%.2fx to %.2fx of this machine's limit: no "
                          "code runs faster here): %s",
                       BENCH_AT_LIMIT, 1 / BENCH_AT_LIMIT, line);
        else if (n)
            bench_note(b, "above this machine's limit as measured (the limit read low, or "
                          "parray beats the plain code that measures it): %s",
                       line);
    }
}

/* Rank 0 prints the figures made since the last call, then the notes; the
 * JSON file gets one line per figure. */
static int flush_output(bench *b)
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

/* This process's CPU time, all its threads (BLAS's too), in s. */
static double cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* Collective. The readings before an experiment. */
static void load_begin(bench *b)
{
    b->cpu0 = cpu_seconds();
    if (b->rank == 0) {
        bench_load_read(bench_load_proc(), &b->load0);
        b->wall0 = MPI_Wtime();
    }
}

/* Collective. The readings after it, and on rank 0 the verdict, with a note
 * when the machine was busy. */
static void load_end(bench *b, const char *name)
{
    double mine = cpu_seconds() - b->cpu0, ours = 0;
    MPI_Reduce(&mine, &ours, 1, MPI_DOUBLE, MPI_SUM, 0, b->host_comm);
    if (b->rank != 0)
        return;
    bench_load_sample after;
    bench_load_read(bench_load_proc(), &after);
    bench_load_judge(&b->load0, &after, ours, MPI_Wtime() - b->wall0,
                     (double)sysconf(_SC_CLK_TCK), b->host_cores, b->host_ranks, &b->load);
    b->unjudged += isnan(b->load.others);
    if (!b->load.busy)
        return;
    char why[256];
    bench_load_describe(&b->load, why, sizeof why);
    bench_note(b, "load: BUSY during %s: %s; these figures are noise, not a verdict: measure "
                  "on a quiet machine",
               name, why);
    size_t len = strlen(b->busy_exps);
    snprintf(b->busy_exps + len, sizeof b->busy_exps - len, "%s%s", len ? ", " : "", name);
}

int bench_run(bench *b, const bench_experiment *e)
{
    b->expname = e->name;
    load_begin(b);
    int rc = e->run(b);
    /* run agreed on rc already; print what was measured either way. */
    if (b->rank == 0)
        note_at_limit(b);
    load_end(b, e->name);
    int out = flush_output(b);
    b->expname = "";
    return rc != 0 ? -1 : out;
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

/* ------------------------------------------------------------ compare */

/* A figure of the --compare file: what identifies it, its median and its
 * min..max (NAN when the line has none: then the median stands for both). */
struct old_fig {
    char experiment[32];
    char method[64];
    char unit[16];
    double size;
    double median, min, max;
    int ranks;   /* layout.ranks, or -1 when the line has none */
    int line;
    int matched;
};

/* The JSON lines are read with json.h's reader: of each line's object only
 * some members matter, and every other value is skipped by its syntax, so
 * lines from newer or older versions with more or fewer members still
 * read. */

static int layout_member(json_reader *j, const char *key, void *arg)
{
    struct old_fig *o = arg;
    if (strcmp(key, "ranks") == 0) {
        double v;
        if (json_read_number(j, &v) != 0)
            return -1;
        o->ranks = v >= 1 && v <= INT_MAX ? (int)v : -1;
        return 0;
    }
    return json_skip(j);
}

/* Which of the needed members a line had, as bits. */
enum { HAS_EXP = 1, HAS_METHOD = 2, HAS_SIZE = 4, HAS_UNIT = 8, HAS_MEDIAN = 16, HAS_ALL = 31 };

typedef struct {
    struct old_fig *o;
    int has;
} fig_reader;

static int fig_member(json_reader *j, const char *key, void *arg)
{
    fig_reader *r = arg;
    struct old_fig *o = r->o;
    if (strcmp(key, "experiment") == 0)
        return r->has |= HAS_EXP, json_read_string(j, o->experiment, sizeof o->experiment);
    if (strcmp(key, "method") == 0)
        return r->has |= HAS_METHOD, json_read_string(j, o->method, sizeof o->method);
    if (strcmp(key, "unit") == 0)
        return r->has |= HAS_UNIT, json_read_string(j, o->unit, sizeof o->unit);
    if (strcmp(key, "size") == 0)
        return r->has |= HAS_SIZE, json_read_number(j, &o->size);
    if (strcmp(key, "median") == 0)
        return r->has |= HAS_MEDIAN, json_read_number(j, &o->median);
    if (strcmp(key, "min") == 0)
        return json_read_number(j, &o->min);
    if (strcmp(key, "max") == 0)
        return json_read_number(j, &o->max);
    if (strcmp(key, "layout") == 0)
        return json_read_object(j, layout_member, o);
    return json_skip(j);
}

static void free_old(bench *b)
{
    free(b->old);
    b->old = NULL;
    b->nold = 0;
}

/* Rank 0: reads the --compare file. Returns 0, or -1 after bench_fail with
 * the file and line. */
static int load_compare(bench *b)
{
    const char *path = b->opts.compare;
    FILE *f = fopen(path, "r");
    if (!f)
        return bench_fail(b, "--compare %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0, capold = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (b->nold == capold) {
            int ncap = capold ? 2 * capold : 64;
            struct old_fig *n = realloc(b->old, sizeof *n * (size_t)ncap);
            if (!n) {
                rc = bench_fail(b, "--compare %s: out of memory", path);
                break;
            }
            b->old = n;
            capold = ncap;
        }
        struct old_fig *o = &b->old[b->nold];
        memset(o, 0, sizeof *o);
        o->ranks = -1;
        o->min = o->max = NAN;
        o->line = lineno;
        fig_reader r = {o, 0};
        json_reader j;
        json_reader_init(&j, line, (size_t)got);
        if (json_read_object(&j, fig_member, &r) != 0 || json_read_end(&j) != 0) {
            rc = bench_fail(b, "--compare %s:%d:%zu: not a JSON object on one line (%s; write "
                               "the file with parray bench --json)",
                            path, lineno, j.err_at + 1, j.err);
            break;
        }
        if (r.has != HAS_ALL) {
            rc = bench_fail(b, "--compare %s:%d: not a figure of parray bench: it lacks %s", path,
                            lineno,
                            !(r.has & HAS_EXP)      ? "\"experiment\""
                            : !(r.has & HAS_METHOD) ? "\"method\""
                            : !(r.has & HAS_SIZE)   ? "\"size\""
                            : !(r.has & HAS_UNIT)   ? "\"unit\""
                                                    : "\"median\"");
            break;
        }
        b->nold++;
    }
    if (rc == 0 && ferror(f))
        rc = bench_fail(b, "--compare %s: read error: %s", path, strerror(errno));
    if (rc == 0 && b->nold == 0)
        rc = bench_fail(b, "--compare %s: no figures in the file", path);
    free(line);
    fclose(f);
    return rc;
}

/* Lower is better for a time, higher for a rate. */
static int is_time_unit(const char *unit)
{
    return strcmp(unit, "s") == 0 || strcmp(unit, "us") == 0;
}

/* The verdict on one figure, old against new: 1 for a regression (worse by
 * more than threshold percent, and the new min..max range wholly on the
 * worse side of the old one), -1 for faster (the same the other way
 * round), 0 otherwise. Worse is slower: a lower rate, or with is_time a
 * longer time. */
static int compare_verdict(double old_med, double old_min, double old_max, double new_med,
                           double new_min, double new_max, int is_time, double threshold)
{
    /* A missing end of a range is the median. */
    old_min = isnan(old_min) ? old_med : old_min;
    old_max = isnan(old_max) ? old_med : old_max;
    new_min = isnan(new_min) ? new_med : new_min;
    new_max = isnan(new_max) ? new_med : new_max;
    double pct = 100.0 * (new_med - old_med) / old_med;
    if (!isfinite(pct))
        return 0;
    /* Worse in percent, and the new range wholly on the worse side: for a
     * rate below the old minimum, for a time above the old maximum. */
    double worse = is_time ? pct : -pct;
    int below = new_max < old_min, above = new_min > old_max;
    if (worse > threshold && (is_time ? above : below))
        return 1;
    if (worse < -threshold && (is_time ? below : above))
        return -1;
    return 0;
}

/* "9.78..12.3" */
static void fmt_range(double lo, double hi, char *buf, size_t len)
{
    if (isnan(lo) || isnan(hi))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.4g..%.4g", lo, hi);
}

/* One row of the comparison; the verdict last, where its width moves
 * nothing. */
#define CMP_FMT "%-11s %-50s %9s %9s %9s %-9s %-19s %-19s %8s%s%s\n"

int bench_compare(bench *b)
{
    int nreg = 0;
    if (!b->opts.compare)
        return 0;
    if (b->rank == 0) {
        /* Match on the rank count too, unless the old file has no run at
         * this one: then any rank count matches, and the output says so. */
        int same_ranks = 0;
        for (int i = 0; i < b->nold; i++)
            same_ranks |= b->old[i].ranks == b->size;
        double thr = b->opts.threshold;
        printf("\ncompare: %s -> this run (%d rank%s); change of the median; a REGRESSION is "
               "worse than %g%% with the min..max ranges apart (ranges that overlap are "
               "noise)\n",
               b->opts.compare, b->size, b->size == 1 ? "" : "s", thr);
        if (!same_ranks)
            printf("compare: %s has no run at %d rank%s: figures matched whatever their rank "
                   "count\n",
                   b->opts.compare, b->size, b->size == 1 ? "" : "s");
        printf(CMP_FMT, "experiment", "method", "size", "old", "new", "unit", "old min..max",
               "new min..max", "change", "", "");
        int ncmp = 0, nnew = 0, ngone = 0, nnoise = 0;
        for (int i = 0; i < b->nold; i++)
            b->old[i].matched = 0;
        for (int k = 0; k < b->nfigs; k++) {
            const figure *f = &b->figs[k];
            struct old_fig *o = NULL;
            /* The last line that matches: a file appended to holds the
             * latest run last. */
            for (int i = 0; i < b->nold; i++) {
                struct old_fig *c = &b->old[i];
                if (strcmp(c->experiment, f->experiment) == 0 &&
                    strcmp(c->method, f->method) == 0 && c->size == f->size &&
                    strcmp(c->unit, f->rate_unit) == 0 && (!same_ranks || c->ranks == b->size))
                    o = c;
            }
            char size[32], oldv[32], newv[32], change[32], orange[48], nrange[48];
            bench_size_str(f->size, f->size_elems, size, sizeof size);
            fmt_value(f->vmed, newv, sizeof newv);
            if (!o) {
                nnew++;
                continue;
            }
            for (int i = 0; i < b->nold; i++) /* every duplicate of it is accounted for */
                if (strcmp(b->old[i].experiment, o->experiment) == 0 &&
                    strcmp(b->old[i].method, o->method) == 0 && b->old[i].size == o->size &&
                    strcmp(b->old[i].unit, o->unit) == 0 && b->old[i].ranks == o->ranks)
                    b->old[i].matched = 1;
            ncmp++;
            fmt_value(o->median, oldv, sizeof oldv);
            fmt_range(isnan(o->min) ? o->median : o->min, isnan(o->max) ? o->median : o->max,
                      orange, sizeof orange);
            fmt_range(f->vmin, f->vmax, nrange, sizeof nrange);
            double pct = 100.0 * (f->vmed - o->median) / o->median;
            int is_time = is_time_unit(f->rate_unit);
            int v = compare_verdict(o->median, o->min, o->max, f->vmed, f->vmin, f->vmax, is_time,
                                    thr);
            const char *flag = "";
            if (v > 0) {
                flag = "REGRESSION";
                nreg++;
            } else if (v < 0) {
                flag = "faster";
            } else if (isfinite(pct) && fabs(pct) > thr) {
                flag = "ranges overlap: noise";
                nnoise++;
            }
            if (isfinite(pct))
                snprintf(change, sizeof change, "%+.1f%%", pct);
            else
                snprintf(change, sizeof change, "n/a");
            printf(CMP_FMT, f->experiment, f->method, size, oldv, newv, f->rate_unit, orange,
                   nrange, change, flag[0] ? "  " : "", flag);
        }
        if (nnew) {
            printf("only in this run (no figure in %s):\n", b->opts.compare);
            for (int k = 0; k < b->nfigs; k++) {
                const figure *f = &b->figs[k];
                int found = 0;
                for (int i = 0; i < b->nold && !found; i++) {
                    const struct old_fig *c = &b->old[i];
                    found = c->matched && strcmp(c->experiment, f->experiment) == 0 &&
                            strcmp(c->method, f->method) == 0 && c->size == f->size &&
                            strcmp(c->unit, f->rate_unit) == 0;
                }
                if (!found) {
                    char size[32];
                    bench_size_str(f->size, f->size_elems, size, sizeof size);
                    printf("  %-11s %-50s %9s\n", f->experiment, f->method, size);
                }
            }
        }
        for (int i = 0; i < b->nold; i++) {
            const struct old_fig *c = &b->old[i];
            /* Figures of other rank counts are not missing from this run. */
            if (c->matched || (same_ranks && c->ranks != b->size))
                continue;
            if (ngone++ == 0)
                printf("only in %s (not measured in this run):\n", b->opts.compare);
            printf("  %-11s %-50s %9.4g  (line %d)\n", c->experiment, c->method, c->size,
                   c->line);
        }
        printf("compare: %d figure%s compared, %d REGRESSION%s (worse than %g%%, ranges apart), "
               "%d changed by more than %g%% within overlapping ranges (noise), %d only in "
               "this run, %d only in %s\n",
               ncmp, ncmp == 1 ? "" : "s", nreg, nreg == 1 ? "" : "S", thr, nnoise, thr, nnew,
               ngone, b->opts.compare);
        fflush(stdout);
    }
    MPI_Bcast(&nreg, 1, MPI_INT, 0, b->comm);
    return nreg;
}

/* ------------------------------------------------------------ limits */

void bench_set_limit(bench *b, bench_limit_kind kind, int fig)
{
    b->limit_fig[kind] = fig;
    if (fig >= 0 && fig < b->nfigs)
        b->figs[fig].role = BENCH_LIMIT;
}

int bench_limit(bench *b, bench_limit_kind kind, int *fig)
{
    if (!b->limits_done) {
        const char *save = b->expname;
        b->expname = "limits";
        int rc = bench_limits_measure(b);
        b->expname = save;
        if (rc != 0)
            return -1;
        b->limits_done = 1;
    }
    if (fig)
        *fig = b->limit_fig[kind];
    return 0;
}
