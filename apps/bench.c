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
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BENCH_X86 1 /* gcc on x86-64: target attributes and intrinsics */
#include <immintrin.h>
#endif

#include "bench.h"
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
};
const int bench_nexperiments = sizeof(bench_experiments) / sizeof(bench_experiments[0]);

#define MSG_MAX 512
#define MAX_RATIOS 4

typedef struct {
    int ref;
    char label[32];
} ratio;

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
    char rate_unit[16];
    bench_role role;
    int n;
    double *t;                /* the measured times, s */
    double vmed, vmin, vmax;  /* the value: time in s, or rate */
    int nratios;
    ratio ratios[MAX_RATIOS];
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
    /* The lowest failing rank, or size when none failed. This allreduce
     * also synchronises: no rank leaves it before every rank entered. */
    int mine = rc != 0 ? b->rank : b->size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, b->comm);
    if (first == b->size)
        return 0;
    MPI_Bcast(b->errmsg, (int)sizeof b->errmsg, MPI_CHAR, first, b->comm);
    return -1;
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
    int ok = b != NULL, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, pa_ctx_comm(ctx));
    if (!all) {
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
    if (b->rank == 0 && opts->json) {
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
    if (b->json)
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

/* The value of one time sample: the time itself, or the rate. */
static double value_of(const figure *f, double t)
{
    return f->work > 0 ? f->work / t / 1e9 : t;
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
    f->role = spec->role;
    if (f->role == BENCH_AUTO)
        f->role = strncmp(spec->method, "limit", 5) == 0   ? BENCH_LIMIT
                : strncmp(spec->method, "naive", 5) == 0 ? BENCH_NAIVE
                                                         : BENCH_PARRAY;
    snprintf(f->rate_unit, sizeof f->rate_unit, "%s",
             spec->work > 0 ? (spec->rate_unit ? spec->rate_unit : "GB/s") : "s");
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

/* Speed relative to the reference: rates divide, times divide the other
 * way round, so that above 1 is faster either way. */
static double ratio_value(const bench *b, const figure *f, const ratio *q)
{
    const figure *r = &b->figs[q->ref];
    return f->work > 0 ? f->vmed / r->vmed : r->vmed / f->vmed;
}

/* The first ratio of f to a figure of the given role, or NAN. */
static double ratio_vs(const bench *b, const figure *f, bench_role role)
{
    for (int i = 0; i < f->nratios; i++)
        if (b->figs[f->ratios[i].ref].role == role)
            return ratio_value(b, f, &f->ratios[i]);
    return NAN;
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
 * method names; a longer one pushes the rest of its row right. */
#define ROW_FMT "%-11s %-50s %9s %9s %9s %9s %-9s %8s %8s\n"

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
    printf("vs limit: speed relative to this machine's limit (1 = at the limit); "
           "vs naive: speed relative to the naive way (2 = twice as fast)\n");
    printf(ROW_FMT, "experiment", "method", "size", "median", "min", "max", "unit", "vs limit",
           "vs naive");
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

static void print_figure(const bench *b, const figure *f)
{
    char size[32], med[32], mn[32], mx[32], vl[32], vn[32];
    bench_size_str(f->size, f->size_elems, size, sizeof size);
    fmt_value(f->vmed, med, sizeof med);
    fmt_value(f->vmin, mn, sizeof mn);
    fmt_value(f->vmax, mx, sizeof mx);
    fmt_ratio(ratio_vs(b, f, BENCH_LIMIT), vl, sizeof vl);
    fmt_ratio(ratio_vs(b, f, BENCH_NAIVE), vn, sizeof vn);
    printf(ROW_FMT, f->experiment, f->method, size, med, mn, mx, f->rate_unit, vl, vn);
}

/* The figure's values by key, in the order of a JSON line. */
static void json_key_double(json_writer *w, const char *key, double v)
{
    json_key(w, key);
    json_double(w, v);
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
    json_key(&w, "reps");
    json_int(&w, f->n);
    json_key(&w, "warmup");
    json_int(&w, b->opts.warmup);
    json_key(&w, "times_s");
    json_begin_array(&w);
    for (int i = 0; i < f->n; i++)
        json_double(&w, f->t[i]);
    json_end_array(&w);
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
        json_key_double(&w, "value", ratio_value(b, f, &f->ratios[i]));
        json_end_object(&w);
    }
    json_end_array(&w);
    json_members(&w, b->json_context);
    json_end_object(&w);
    json_newline(&w);
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

int bench_run(bench *b, const bench_experiment *e)
{
    b->expname = e->name;
    int rc = e->run(b);
    /* run agreed on rc already; print what was measured either way. */
    int out = flush_output(b);
    b->expname = "";
    return rc != 0 ? -1 : out;
}

/* ------------------------------------------------------------ compare */

/* A figure of the --compare file: what identifies it and its median. */
struct old_fig {
    char experiment[32];
    char method[64];
    char unit[16];
    double size;
    double median;
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
    return strcmp(unit, "s") == 0;
}

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
        printf("\ncompare: %s -> this run (%d rank%s); change of the median, a change worse "
               "than %g%% is a REGRESSION\n",
               b->opts.compare, b->size, b->size == 1 ? "" : "s", thr);
        if (!same_ranks)
            printf("compare: %s has no run at %d rank%s: figures matched whatever their rank "
                   "count\n",
                   b->opts.compare, b->size, b->size == 1 ? "" : "s");
        printf("%-11s %-50s %9s %9s %9s %-9s %8s\n", "experiment", "method", "size", "old", "new",
               "unit", "change");
        int ncmp = 0, nnew = 0, ngone = 0;
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
            char size[32], oldv[32], newv[32], change[32];
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
            double pct = 100.0 * (f->vmed - o->median) / o->median;
            const char *flag = "";
            if (isfinite(pct)) {
                double worse = is_time_unit(f->rate_unit) ? pct : -pct;
                if (worse > thr) {
                    flag = "  REGRESSION";
                    nreg++;
                } else if (worse < -thr) {
                    flag = "  faster";
                }
                snprintf(change, sizeof change, "%+.1f%%", pct);
            } else {
                snprintf(change, sizeof change, "n/a");
            }
            printf("%-11s %-50s %9s %9s %9s %-9s %8s%s\n", f->experiment, f->method, size, oldv,
                   newv, f->rate_unit, change, flag);
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
        printf("compare: %d figure%s compared, %d REGRESSION%s (worse than %g%%), %d only in "
               "this run, %d only in %s\n",
               ncmp, ncmp == 1 ? "" : "s", nreg, nreg == 1 ? "" : "S", thr, nnew, ngone,
               b->opts.compare);
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
