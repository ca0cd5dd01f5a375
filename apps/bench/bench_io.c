/* The io experiment (concern 1): save and load --bytes (default 1 GiB) of
 * f64 as one file. The limit is raw POSIX I/O of the same bytes: every rank
 * pwrites (preads) its own rows at their offset in one file. Against it:
 * parray's pa_h5_save / pa_h5_read, collective and independent, contiguous
 * and chunked; and the naive way, where rank 0 gathers the array and writes
 * it alone with serial HDF5 (and reads it alone and scatters it). Writes to
 * the page cache and durable writes (fsync) are separate figures. Reads
 * follow the writes and come from the page cache unless --cold drops the
 * caches first (root only). The file lives in PARRAY_BENCH_DIR,
 * else TMPDIR, else /tmp.
 *
 * The figures that the targets compare (raw vs HDF5 collective contiguous
 * write; raw vs HDF5 reads) are measured PAIRED: each repetition runs the
 * raw step and the HDF5 steps one after the other (in alternating order),
 * so both see the same machine state. On a machine shared with other jobs
 * figures taken minutes apart differ by 4x and more, which made earlier
 * ratios meaningless. The paired raw read reads the very bytes of the
 * dataset inside the HDF5 file (at H5Dget_offset), into the same existing,
 * already touched array that pa_h5_read fills, so the two differ only in
 * what HDF5 does. Chunked reads are paired with them too: the file of
 * parray's chunks (whole rows) and a file with the chunks h5py picks for
 * chunks=True (rows and columns cut), written beforehand. A gzip file as
 * h5py writes it (chunks=True, shuffle, gzip), of data whose inflating
 * costs CPU (signal_at), is read by all ranks, by one rank (its own context
 * on MPI_COMM_SELF) and by serial HDF5 in one process, as h5py reads it,
 * side by side. The
 * chunked saves are paired with the contiguous save (target: >= 0.8x), and
 * the deflate save on all ranks with one rank alone, on 1/8 of the bytes. */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bench_io.h"

#define ROW_ELEMS 512     /* f64 per row: 4 KiB rows */
#define CHECK_STRIDE 4099 /* elements between checked elements */

typedef struct {
    pa_ctx *ctx;
    MPI_Comm comm;
    int rank, size, cold;
    size_t nrows, n;         /* shape (nrows, ROW_ELEMS), n elements */
    pa_array *a;             /* the data, pattern a[i] = i */
    pa_array *r;             /* the array reads go into */
    char *mine;              /* this rank's rows in a's node block */
    size_t off, bytes;       /* their byte offset in the file and size */
    char dir[PATH_MAX - 64]; /* room for the file names below */
    char raw[PATH_MAX], h5[PATH_MAX], naive[PATH_MAX];
    char chunked[PATH_MAX], h5py[PATH_MAX]; /* parray's chunks, h5py's chunks */
    char gz[PATH_MAX];                      /* h5py's gzip file of signal_at */
    double gz_ratio;                        /* its data's bytes over its stored bytes */
    size_t h5py_chunk[2]; /* the chunk shape h5py picks for (nrows, ROW_ELEMS) */
    pa_ctx *solo;         /* rank 0: a context of its own (one-rank reads) */
    pa_array *solo_r;     /* rank 0: the whole array, on solo */
    size_t data_off;      /* the dataset's bytes in h5 start here */
    pa_h5_opts wopts, ropts;
    int durable;
    double *all; /* rank 0: the gathered array (naive way) */
} io;

/* The rows this rank moves in raw I/O: those whose first element lies in
 * its local span, the same rule parray's HDF5 transfers use. */
static void my_rows(io *S, pa_array *a, char **ptr, size_t *off, size_t *bytes)
{
    pa_span loc, node;
    pa_array_local(a, &loc);
    pa_array_node(a, &node);
    size_t lo = loc.offset - node.offset, hi = lo + loc.count;
    size_t f = (lo + ROW_ELEMS - 1) / ROW_ELEMS, e = (hi + ROW_ELEMS - 1) / ROW_ELEMS;
    *ptr = (char *)node.ptr + f * ROW_ELEMS * sizeof(double);
    *off = (node.offset + f * ROW_ELEMS) * sizeof(double);
    *bytes = (e - f) * ROW_ELEMS * sizeof(double);
    (void)S;
}

/* The value of element k of the arange data (a[k] = k). */
static double arange_at(size_t k)
{
    return (double)k;
}

/* The value of element k of the gzip file's data: a smooth signal plus
 * noise, in steps of 1/1024 as from an instrument, so that the low
 * mantissa bytes are zero and the rest vary: with shuffle and gzip it
 * compresses about 3x, and inflating it costs CPU, as h5py users' data
 * does (a[k] = k inflates at memory speed). The noise is a hash of k (two
 * 8-bit uniforms, so about +-4), the same on every rank. */
static double signal_at(size_t k)
{
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15u;
    h = (h ^ h >> 31) * 0xBF58476D1CE4E5B9u;
    h ^= h >> 29;
    double noise = ((double)(h & 255) + (double)(h >> 8 & 255) - 255.0) / 32.0;
    return nearbyint((1000.0 * sin((double)k * 1e-4) + noise) * 1024.0) / 1024.0;
}

/* Checks every CHECK_STRIDE-th element of this rank's span of x against
 * the data at(k). */
static int verify_as(bench *b, pa_array *x, const char *what, double (*at)(size_t))
{
    pa_span s;
    pa_array_local(x, &s);
    const double *p = s.ptr;
    for (size_t k = 0; k < s.count; k += CHECK_STRIDE)
        if (p[k] != at(s.offset + k))
            return bench_fail(b, "io: %s: element %zu is %.17g", what, s.offset + k, p[k]);
    if (s.count && p[s.count - 1] != at(s.offset + s.count - 1))
        return bench_fail(b, "io: %s: element %zu differs", what, s.offset + s.count - 1);
    return 0;
}

static int verify(bench *b, pa_array *x, const char *what)
{
    return verify_as(b, x, what, arange_at);
}

/* Every CHECK_STRIDE-th and the last of n doubles at p become NaN. */
static void poison(double *p, size_t n)
{
    for (size_t k = 0; k < n; k += CHECK_STRIDE)
        p[k] = NAN;
    if (n)
        p[n - 1] = NAN;
}

/* Before a read: poison the destinations (the array reads go into, rank
 * 0's one-rank array and its serial buffer) with NaN, so that a read that
 * moved nothing fails the check, whatever the data; and, with --cold, drop
 * the page cache. */
static int prepare_read(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    pa_span s;
    pa_array_local(S->r, &s);
    poison(s.ptr, s.count);
    if (S->solo_r) {
        pa_array_local(S->solo_r, &s);
        poison(s.ptr, s.count);
    }
    if (S->all)
        poison(S->all, S->n);
    int rc = 0;
    if (S->cold && pa_ctx_node_rank(S->ctx) == 0) {
        sync();
        FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
        if (!f || fputs("1\n", f) < 0 || fclose(f) != 0)
            rc = bench_fail(b, "io: --cold: cannot drop caches: %s", strerror(errno));
    }
    if (pa_array_sync(S->r) != PA_OK)
        rc = bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    return rc;
}

/* ------------------------------------------------------------ raw */

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
    while (len > 0) {
        size_t want = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t k = pwrite(fd, p, want, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, off += k, len -= (size_t)k;
    }
    return 0;
}

static int pread_all(int fd, char *p, size_t len, off_t off)
{
    while (len > 0) {
        size_t want = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ssize_t k = pread(fd, p, want, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        p += k, off += k, len -= (size_t)k;
    }
    return 0;
}

/* The raw write as a file save does it: a new file (the old one goes, as
 * a save's rename frees the old file), every rank's rows at their offset,
 * fsync when durable, close. */
static int raw_write_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    int rc = 0;
    if (S->rank == 0) {
        unlink(S->raw);
        int fd = open(S->raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || close(fd) != 0)
            rc = bench_fail(b, "io: raw: creating %s: %s", S->raw, strerror(errno));
    }
    MPI_Barrier(S->comm);
    int fd = open(S->raw, O_WRONLY);
    if (fd < 0 && rc == 0)
        rc = bench_fail(b, "io: raw: opening %s: %s", S->raw, strerror(errno));
    if (fd >= 0 && rc == 0 && pwrite_all(fd, S->mine, S->bytes, (off_t)S->off) != 0)
        rc = bench_fail(b, "io: raw: writing %s: %s", S->raw, strerror(errno));
    if (fd >= 0 && rc == 0 && S->durable && fsync(fd) != 0)
        rc = bench_fail(b, "io: raw: fsync %s: %s", S->raw, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = bench_fail(b, "io: raw: closing %s: %s", S->raw, strerror(errno));
    MPI_Barrier(S->comm);
    return rc;
}

/* The raw write as a crash-safe save does it: a new file beside the old
 * one, renamed over it when every rank has written and closed it. The old
 * file's page cache is freed only at the rename, after the writes: the
 * writes cannot reuse its pages, as they can after raw_write_rep's unlink
 * (on this VM, memory freed for more than ~2 s is slow to touch again, so
 * the two differ). */
static int raw_write_rename_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", S->raw);
    int rc = 0;
    if (S->rank == 0) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || close(fd) != 0)
            rc = bench_fail(b, "io: raw: creating %s: %s", tmp, strerror(errno));
    }
    MPI_Barrier(S->comm);
    int fd = open(tmp, O_WRONLY);
    if (fd < 0 && rc == 0)
        rc = bench_fail(b, "io: raw: opening %s: %s", tmp, strerror(errno));
    if (fd >= 0 && rc == 0 && pwrite_all(fd, S->mine, S->bytes, (off_t)S->off) != 0)
        rc = bench_fail(b, "io: raw: writing %s: %s", tmp, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = bench_fail(b, "io: raw: closing %s: %s", tmp, strerror(errno));
    MPI_Barrier(S->comm);
    if (S->rank == 0 && rename(tmp, S->raw) != 0 && rc == 0)
        rc = bench_fail(b, "io: raw: renaming %s: %s", tmp, strerror(errno));
    MPI_Barrier(S->comm);
    return rc;
}

/* Every rank preads its rows of the dataset stored in the HDF5 file (a
 * contiguous dataset: one extent from data_off), the same bytes that
 * pa_h5_read reads, into the same array. */
static int raw_read_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    char *ptr;
    size_t off, bytes;
    my_rows(S, S->r, &ptr, &off, &bytes);
    int rc = 0, fd = open(S->h5, O_RDONLY);
    if (fd < 0 || pread_all(fd, ptr, bytes, (off_t)(S->data_off + off)) != 0)
        rc = bench_fail(b, "io: raw: reading %s: %s", S->h5, strerror(errno));
    if (fd >= 0)
        close(fd);
    /* The node's ranks read rows of one block: publish them, as a load does. */
    if (pa_array_sync(S->r) != PA_OK && rc == 0)
        rc = bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    return rc ? rc : verify(b, S->r, "raw read");
}

/* ------------------------------------------------------------ parray */

static int h5_write_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    if (pa_h5_save(S->a, S->h5, "/data", &S->wopts) != PA_OK)
        return bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    return 0;
}

static int h5_read_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    if (pa_h5_read(S->r, S->h5, "/data", &S->ropts) != PA_OK)
        return bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    return verify(b, S->r, "parray read");
}

static int h5_load_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    pa_array *x = NULL;
    if (pa_h5_load(S->ctx, S->h5, "/data", &S->ropts, &x) != PA_OK)
        return bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    int rc = verify(b, x, "parray load");
    pa_array_free(&x);
    return rc;
}

/* The chunked files, each read into the same array as the others. */
static int read_file_rep(bench *b, io *S, const char *path, const char *what)
{
    if (pa_h5_read(S->r, path, "/data", &S->ropts) != PA_OK)
        return bench_fail(b, "io: %s: %s", what, pa_errmsg(S->ctx));
    return verify(b, S->r, what);
}

static int read_chunked_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    return read_file_rep(b, S, S->chunked, "parray's chunks");
}

static int read_h5py_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    return read_file_rep(b, S, S->h5py, "h5py's chunks");
}

/* The gzip file read by all ranks. */
static int read_gz_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    if (pa_h5_read(S->r, S->gz, "/data", NULL) != PA_OK)
        return bench_fail(b, "io: gzip: %s", pa_errmsg(S->ctx));
    return verify_as(b, S->r, "gzip, all ranks", signal_at);
}

/* Rank 0 alone reads the gzip file with parray on its own context. */
static int read_one_rank_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    if (S->rank != 0)
        return 0;
    if (pa_h5_read(S->solo_r, S->gz, "/data", NULL) != PA_OK)
        return bench_fail(b, "io: gzip, one rank: %s", pa_errmsg(S->solo));
    return verify_as(b, S->solo_r, "gzip, one rank", signal_at);
}

/* Rank 0 alone reads the gzip file with serial HDF5 into its buffer, as
 * h5py's f["data"][...] does. */
static int serial_read_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    if (S->rank != 0)
        return 0;
    hid_t f = H5Fopen(S->gz, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, "data", H5P_DEFAULT);
    int rc = 0;
    if (d < 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, S->all) < 0)
        rc = bench_fail(b, "io: serial HDF5: reading %s failed", S->gz);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    for (size_t k = 0; rc == 0 && k < S->n; k += CHECK_STRIDE)
        if (S->all[k] != signal_at(k))
            rc = bench_fail(b, "io: serial HDF5: element %zu is %.17g", k, S->all[k]);
    return rc;
}

/* The chunk shape h5py's guess_chunk (chunks=True) picks for a dataset of
 * shape (rows, cols) of 8-byte elements: a target of 16 KiB times
 * 2^log10(MiB of data), within [8 KiB, 1 MiB], reached by halving the
 * axes in turn. */
static void h5py_chunks(size_t rows, size_t cols, size_t *chunk)
{
    double c[2] = {(double)rows, (double)cols}, bytes = c[0] * c[1] * 8;
    double target = 16384.0 * pow(2.0, log10(bytes / 1048576.0));
    target = target > 1048576.0 ? 1048576.0 : target < 8192.0 ? 8192.0 : target;
    for (int i = 0;; i++) {
        double cb = c[0] * c[1] * 8;
        if ((cb < target || fabs(cb - target) / target < 0.5) && cb < 1048576.0)
            break;
        if (c[0] * c[1] == 1)
            break;
        c[i % 2] = ceil(c[i % 2] / 2.0);
    }
    chunk[0] = (size_t)c[0];
    chunk[1] = (size_t)c[1];
}

/* Not collective: rank 0 alone. Writes S->all as /data of a new file path
 * with serial HDF5 in h5py's chunks, as h5py's create_dataset(..., data=x,
 * chunks=True) does, and with gzip also compression="gzip", shuffle=True
 * (shuffle, then deflate at h5py's level 4); *ratio (when not NULL) the
 * data's bytes over the bytes stored. */
static int write_h5py_file(bench *b, io *S, const char *path, int gzip, double *ratio)
{
    int rc = 0;
    hsize_t dims[2] = {S->nrows, ROW_ELEMS}, cd[2] = {S->h5py_chunk[0], S->h5py_chunk[1]};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int bad = f < 0 || H5Pset_chunk(dcpl, 2, cd) < 0 ||
              (gzip && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, 4) < 0));
    hid_t d = bad ? -1
                  : H5Dcreate2(f, "data", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, S->all) < 0)
        rc = bench_fail(b, "io: writing %s failed", path);
    hsize_t stored = d < 0 ? 0 : H5Dget_storage_size(d);
    if (ratio)
        *ratio = stored ? (double)(S->n * sizeof(double)) / (double)stored : 0;
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0)
        rc = bench_fail(b, "io: closing %s failed", path);
    return rc;
}

/* Collective, untimed. The two chunked files: parray's chunked save, and
 * rank 0 writing the gathered array with serial HDF5 in h5py's chunks. */
static int write_chunked_files(bench *b, io *S)
{
    int rc = 0;
    pa_h5_opts o = {.layout = PA_H5_CHUNKED};
    if (pa_h5_save(S->a, S->chunked, "/data", &o) != PA_OK)
        rc = bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    if (pa_array_gather(S->a, 0, S->all) != PA_OK && rc == 0)
        rc = bench_fail(b, "io: %s", pa_errmsg(S->ctx));
    h5py_chunks(S->nrows, ROW_ELEMS, S->h5py_chunk);
    if (S->rank == 0 && rc == 0)
        rc = write_h5py_file(b, S, S->h5py, 0, NULL);
    MPI_Bcast(S->h5py_chunk, 2, MPI_UNSIGNED_LONG, 0, S->comm);
    return bench_agree(b, rc);
}

/* Collective, untimed. The gzip file as h5py writes it, of signal_at's
 * data, by rank 0 as one Python process would. */
static int write_gz_file(bench *b, io *S)
{
    int rc = 0;
    S->gz_ratio = 0;
    if (S->rank == 0) {
        for (size_t k = 0; k < S->n; k++)
            S->all[k] = signal_at(k);
        rc = write_h5py_file(b, S, S->gz, 1, &S->gz_ratio);
    }
    MPI_Bcast(&S->gz_ratio, 1, MPI_DOUBLE, 0, S->comm);
    return bench_agree(b, rc);
}

/* ------------------------------------------------------------ paired */

/* One step of a paired measurement. */
typedef struct {
    const char *method;
    bench_fn fn;
    int limit;       /* a raw step: the figure is a limit */
    int reading;     /* prepare_read before each repetition */
    pa_h5_opts opts; /* the read or write options of an HDF5 step */
    io *S;           /* set by paired() */
} step;

/* Untimed, before each repetition of a step: its options, and for a read
 * the poisoned destination. */
static int step_prepare(bench *b, void *arg, int rep)
{
    const step *st = arg;
    st->S->ropts = st->S->wopts = st->opts;
    return st->reading ? prepare_read(b, st->S, rep) : 0;
}

static int step_run(bench *b, void *arg, int rep)
{
    const step *st = arg;
    return st->fn(b, st->S, rep);
}

/* Collective. The steps side by side (bench_time_steps), one figure per
 * step (the slowest rank's time per repetition). Returns 0 or -1 on every
 * rank. */
static int paired(bench *b, io *S, step *st, int n, double size, int *figs)
{
    bench_spec specs[8];
    bench_fn fns[8];
    void *args[8];
    if (n > 8)
        return bench_agree(b, bench_fail(b, "io: %d paired steps, at most 8", n));
    for (int i = 0; i < n; i++) {
        st[i].S = S;
        specs[i] = (bench_spec){.method = st[i].method,
                                .size = size,
                                .work = size,
                                .role = st[i].limit ? BENCH_LIMIT : 0,
                                .prepare = step_prepare};
        fns[i] = step_run;
        args[i] = &st[i];
    }
    return bench_time_steps(b, specs, fns, args, n, figs);
}

/* Collective. The byte offset of /data's one extent in the (contiguous)
 * HDF5 file: rank 0 asks HDF5, everyone gets it. */
static int data_offset(bench *b, io *S)
{
    unsigned long off = 0;
    int rc = 0;
    if (S->rank == 0) {
        hid_t f = H5Fopen(S->h5, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = f < 0 ? -1 : H5Dopen2(f, "data", H5P_DEFAULT);
        haddr_t a = d < 0 ? HADDR_UNDEF : H5Dget_offset(d);
        if (a == HADDR_UNDEF)
            rc = bench_fail(b, "io: %s: no contiguous /data to find", S->h5);
        else
            off = (unsigned long)a;
        if (d >= 0)
            H5Dclose(d);
        if (f >= 0)
            H5Fclose(f);
    }
    MPI_Bcast(&off, 1, MPI_UNSIGNED_LONG, 0, S->comm);
    S->data_off = off;
    return bench_agree(b, rc);
}

/* ------------------------------------------------------------ naive */

/* Rank 0 gathers the array and writes it alone with serial HDF5. */
static int naive_write_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    int rc = 0;
    if (pa_array_gather(S->a, 0, S->all) != PA_OK)
        rc = bench_fail(b, "io: naive: %s", pa_errmsg(S->ctx));
    if (S->rank == 0 && rc == 0) {
        hsize_t dims[2] = {S->nrows, ROW_ELEMS};
        hid_t f = H5Fcreate(S->naive, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Screate_simple(2, dims, NULL);
        hid_t d = f < 0 ? -1
                        : H5Dcreate2(f, "data", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                     H5P_DEFAULT);
        if (d < 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, S->all) < 0)
            rc = bench_fail(b, "io: naive: writing %s failed", S->naive);
        if (d >= 0)
            H5Dclose(d);
        H5Sclose(sp);
        if (f >= 0 && H5Fclose(f) < 0 && rc == 0)
            rc = bench_fail(b, "io: naive: closing %s failed", S->naive);
    }
    return rc;
}

/* Rank 0 reads the file alone and scatters it. */
static int naive_read_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    io *S = arg;
    int rc = 0;
    if (S->rank == 0) {
        hid_t f = H5Fopen(S->naive, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = f < 0 ? -1 : H5Dopen2(f, "data", H5P_DEFAULT);
        if (d < 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, S->all) < 0)
            rc = bench_fail(b, "io: naive: reading %s failed", S->naive);
        if (d >= 0)
            H5Dclose(d);
        if (f >= 0)
            H5Fclose(f);
    }
    /* The scatter is collective: every rank makes it whatever happened. */
    if (pa_array_scatter(S->r, 0, S->all) != PA_OK && rc == 0)
        rc = bench_fail(b, "io: naive: %s", pa_errmsg(S->ctx));
    return rc ? rc : verify(b, S->r, "naive read");
}

/* ------------------------------------------------------------ deflate */

/* The deflate save on all ranks against one rank alone (rank 0 with a
 * context of its own), on the same smaller array: HDF5's collective
 * filtered write compresses each chunk on the rank that writes it, so the
 * compression, which costs far more than the write, should scale. */
typedef struct {
    pa_ctx *ctx; /* the job's context, or rank 0's own (one rank) */
    pa_array *a; /* the array, a[i] = i; NULL on the ranks left out */
    char path[PATH_MAX];
} zsave;

static int zsave_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    zsave *z = arg;
    pa_h5_opts o = {.deflate = 1};
    if (z->a && pa_h5_save(z->a, z->path, "/data", &o) != PA_OK)
        return bench_fail(b, "io: deflate: %s", pa_errmsg(z->ctx));
    return 0;
}

/* Collective. The array of zsave z: rows of ROW_ELEMS f64, a[i] = i. */
static int zsave_make(bench *b, zsave *z, size_t nrows)
{
    size_t shape[2] = {nrows, ROW_ELEMS};
    if (pa_array_create(z->ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &z->a) != PA_OK)
        return bench_fail(b, "io: deflate: %s", pa_errmsg(z->ctx));
    pa_span s;
    pa_array_local(z->a, &s);
    for (size_t k = 0; k < s.count; k++)
        ((double *)s.ptr)[k] = (double)(s.offset + k);
    return pa_array_sync(z->a) == PA_OK ? 0 : bench_fail(b, "io: deflate: %s", pa_errmsg(z->ctx));
}

/* Collective. The pair (all ranks, one rank) on 1/8 of the io array, so
 * that one rank compressing alone stays within seconds. */
static int deflate_scaling(bench *b, io *S, int figs[2])
{
    size_t nrows = S->nrows / 8 ? S->nrows / 8 : 1;
    double size = (double)(nrows * ROW_ELEMS * sizeof(double));
    zsave all = {.ctx = S->ctx}, one = {0};
    snprintf(all.path, sizeof all.path, "%s/deflate_all.h5", S->dir);
    snprintf(one.path, sizeof one.path, "%s/deflate_one.h5", S->dir);
    int rc = zsave_make(b, &all, nrows);
    if (rc == 0 && S->rank == 0 && pa_init_comm(MPI_COMM_SELF, &one.ctx) != PA_OK)
        rc = bench_fail(b, "io: deflate: %s", pa_errmsg(NULL));
    if (rc == 0 && one.ctx)
        rc = zsave_make(b, &one, nrows);
    if ((rc = bench_agree(b, rc)) == 0) {
        bench_spec specs[2] = {
            {.method = "parray h5 save chunked deflate=1, all ranks (paired)",
             .size = size,
             .work = size},
            {.method = "parray h5 save chunked deflate=1, one rank (paired)",
             .size = size,
             .work = size,
             .combine = BENCH_RANK0,
             .role = BENCH_OTHER},
        };
        bench_fn fns[2] = {zsave_rep, zsave_rep};
        void *args[2] = {&all, &one};
        rc = bench_time_steps(b, specs, fns, args, 2, figs);
    }
    pa_array_free(&all.a);
    pa_array_free(&one.a);
    if (one.ctx)
        pa_finalize(&one.ctx);
    if (S->rank == 0) {
        unlink(all.path);
        unlink(one.path);
    }
    return rc;
}

/* ------------------------------------------------------------ the run */

static const char *fs_name(const char *dir)
{
    struct statfs st;
    if (statfs(dir, &st) != 0)
        return "unknown";
    switch ((unsigned long)st.f_type) {
    case 0x01021994: return "tmpfs";
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794C7630: return "overlayfs";
    case 0x6969: return "nfs";
    case 0x0BD00BD0: return "lustre";
    default: return "other";
    }
}

static int io_run(bench *b)
{
    io S = {0};
    S.ctx = bench_ctx(b);
    S.comm = bench_comm(b);
    MPI_Comm_rank(S.comm, &S.rank);
    MPI_Comm_size(S.comm, &S.size);
    S.cold = bench_options(b)->cold;
    int rc = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    size_t bytes = bench_bytes(b, BENCH_IO_BYTES, BENCH_IO_BYTES_QUICK);
    S.nrows = bytes / (ROW_ELEMS * sizeof(double));
    if (S.nrows == 0)
        S.nrows = 1;
    S.n = S.nrows * ROW_ELEMS;
    double size = (double)(S.n * sizeof(double));
    if (S.n * sizeof(double) != bytes)
        bench_note(b, "io: --bytes %zu rounded to %zu (whole rows of %d f64)", bytes,
                   S.n * sizeof(double), ROW_ELEMS);

    const char *d = getenv("PARRAY_BENCH_DIR");
    if (!d || !*d)
        d = getenv("TMPDIR");
    if (!d || !*d)
        d = "/tmp";
    if (S.rank == 0) {
        snprintf(S.dir, sizeof S.dir, "%s/parray-bench-io.XXXXXX", d);
        if (!mkdtemp(S.dir))
            rc = bench_fail(b, "io: cannot make a directory in %s: %s", d, strerror(errno));
    }
    MPI_Bcast(S.dir, sizeof S.dir, MPI_CHAR, 0, S.comm);
    if ((rc = bench_agree(b, rc)) != 0)
        return rc;
    snprintf(S.raw, sizeof S.raw, "%s/raw.bin", S.dir);
    snprintf(S.h5, sizeof S.h5, "%s/parray.h5", S.dir);
    snprintf(S.naive, sizeof S.naive, "%s/naive.h5", S.dir);
    snprintf(S.chunked, sizeof S.chunked, "%s/chunked.h5", S.dir);
    snprintf(S.h5py, sizeof S.h5py, "%s/h5py.h5", S.dir);
    snprintf(S.gz, sizeof S.gz, "%s/gzip.h5", S.dir);

    size_t shape[2] = {S.nrows, ROW_ELEMS};
    if (pa_array_create(S.ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &S.a) != PA_OK ||
        pa_array_create(S.ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &S.r) != PA_OK) {
        bench_fail(b, "io: %s", pa_errmsg(S.ctx));
        rc = bench_agree(b, -1);
        goto out;
    }
    pa_span s;
    pa_array_local(S.a, &s);
    for (size_t k = 0; k < s.count; k++)
        ((double *)s.ptr)[k] = (double)(s.offset + k);
    pa_array_sync(S.a);
    my_rows(&S, S.a, &S.mine, &S.off, &S.bytes);
    if (pa_mem_check(S.ctx, S.rank == 0 ? S.n * sizeof(double) : 0, "io: the naive gather") !=
        PA_OK)
        rc = bench_fail(b, "io: %s", pa_errmsg(S.ctx));
    else if (S.rank == 0 && !(S.all = malloc(S.n * sizeof(double))))
        rc = bench_fail(b, "io: naive: out of memory for %zu bytes on rank 0",
                        S.n * sizeof(double));
    if (S.rank == 0 && S.all)
        memset(S.all, 0, S.n * sizeof(double));
    if (rc == 0 && S.rank == 0 &&
        (pa_init_comm(MPI_COMM_SELF, &S.solo) != PA_OK ||
         pa_array_create(S.solo, PA_F64, 2, shape, PA_DISTRIBUTED, &S.solo_r) != PA_OK))
        rc = bench_fail(b, "io: one rank: %s", pa_errmsg(S.solo));
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;

    bench_spec spec = {.size = size, .work = size};
    bench_spec rspec = {.size = size, .work = size, .prepare = prepare_read};
    /* Raw I/O is the limit. */
    bench_spec lspec = {.size = size, .work = size, .role = BENCH_LIMIT};
    int f_raw_w, f_raw_wd, f_raw_r, f_cc_w, f_ci_w, f_kc_w, f_ki_w, f_cc_wd, f_z_w;
    int f_cc_r, f_ci_r, f_kc_r, f_load, f_naive_w, f_naive_r;

    /* The target pairs, measured paired (see the top of the file): the raw
     * write and parray's collective contiguous save; then, from the file
     * that save leaves, the raw read of the dataset's bytes and parray's
     * reads into the same array. */
    int pw[3], pr[5], pz[3], f_raw_wr;
    step wsteps[] = {
        {"raw pwrite, every rank its rows (paired)", raw_write_rep, 1, 0, {0}, NULL},
        {"raw pwrite to a new file, renamed over (paired)", raw_write_rename_rep, 1, 0, {0}, NULL},
        {"parray h5 save collective contiguous (paired)", h5_write_rep, 0, 0, {0}, NULL},
    };
    if ((rc = paired(b, &S, wsteps, 3, size, pw)) != 0)
        goto out;
    f_raw_w = pw[0], f_raw_wr = pw[1], f_cc_w = pw[2];
    if (S.rank == 0)
        unlink(S.raw);
    if ((rc = data_offset(b, &S)) != 0 || (rc = write_chunked_files(b, &S)) != 0)
        goto out;
    step rsteps[] = {
        {"raw pread of the h5 dataset's bytes (paired)", raw_read_rep, 1, 1, {0}, NULL},
        {"parray h5 read collective contiguous (paired)",
         h5_read_rep,
         0,
         1,
         {.xfer = PA_H5_COLLECTIVE},
         NULL},
        {"parray h5 read independent contiguous (paired)",
         h5_read_rep,
         0,
         1,
         {.xfer = PA_H5_INDEPENDENT},
         NULL},
        {"parray h5 read collective, parray's chunks (paired)", read_chunked_rep, 0, 1, {0}, NULL},
        {"parray h5 read collective, h5py's chunks=True (paired)", read_h5py_rep, 0, 1, {0}, NULL},
    };
    if ((rc = paired(b, &S, rsteps, 5, size, pr)) != 0)
        goto out;
    if (S.rank == 0) {
        unlink(S.chunked);
        unlink(S.h5py);
    }
    f_raw_r = pr[0], f_cc_r = pr[1], f_ci_r = pr[2];
    S.ropts = (pa_h5_opts){0};
    /* A load makes a new array each time. The array pool may hand back the
     * window the previous load freed, so after the first repetition the
     * destination is warm again: the spread (min/max) shows the first
     * touch. */
    rspec.method = "parray h5 load (new array) collective";
    if ((rc = bench_time(b, &rspec, h5_load_rep, &S, &f_load)) != 0)
        goto out;

    /* The durable pair and the other variants, one figure after another. */
    S.durable = 1;
    lspec.method = "raw pwrite + fsync (durable)";
    if ((rc = bench_time(b, &lspec, raw_write_rep, &S, &f_raw_wd)) != 0)
        goto out;
    S.durable = 0;
    if (S.rank == 0)
        unlink(S.raw);
    static const struct {
        const char *method;
        pa_h5_opts o;
    } w[] = {
        {"parray h5 save independent contiguous", {.xfer = PA_H5_INDEPENDENT}},
        {"parray h5 save collective chunked", {.layout = PA_H5_CHUNKED}},
        {"parray h5 save independent chunked",
         {.layout = PA_H5_CHUNKED, .xfer = PA_H5_INDEPENDENT}},
        {"parray h5 save collective contiguous durable", {.durable = 1}},
        {"parray h5 save chunked deflate=1 (collective)", {.deflate = 1}},
    };
    int *wf[] = {&f_ci_w, &f_kc_w, &f_ki_w, &f_cc_wd, &f_z_w};
    for (int i = 0; i < 5; i++) {
        S.wopts = w[i].o;
        spec.method = w[i].method;
        if ((rc = bench_time(b, &spec, h5_write_rep, &S, wf[i])) != 0)
            goto out;
        if (i == 1) {
            /* Read the chunked file while it is there. */
            S.ropts = (pa_h5_opts){0};
            rspec.method = "parray h5 read collective chunked";
            if ((rc = bench_time(b, &rspec, h5_read_rep, &S, &f_kc_r)) != 0)
                goto out;
        }
    }
    /* The chunked saves against the contiguous one, paired (target:
     * >= 0.8x); the chunks are parray's automatic ones. */
    int pk[3];
    step ksteps[] = {
        {"parray h5 save collective contiguous (paired with chunked)",
         h5_write_rep,
         0,
         0,
         {0},
         NULL},
        {"parray h5 save collective chunked (paired)",
         h5_write_rep,
         0,
         0,
         {.layout = PA_H5_CHUNKED},
         NULL},
        {"parray h5 save independent chunked (paired)",
         h5_write_rep,
         0,
         0,
         {.layout = PA_H5_CHUNKED, .xfer = PA_H5_INDEPENDENT},
         NULL},
    };
    if ((rc = paired(b, &S, ksteps, 3, size, pk)) != 0)
        goto out;
    int f_z[2];
    if ((rc = deflate_scaling(b, &S, f_z)) != 0)
        goto out;
    S.wopts = (pa_h5_opts){0};
    /* The gzip file h5py would write: all ranks, one rank, and serial HDF5
     * as h5py reads it. */
    if ((rc = write_gz_file(b, &S)) != 0)
        goto out;
    step zsteps[] = {
        {"parray h5 read gzip+shuffle (h5py chunks), all ranks (paired)",
         read_gz_rep,
         0,
         1,
         {0},
         NULL},
        {"parray h5 read gzip+shuffle (h5py chunks), one rank (paired)",
         read_one_rank_rep,
         0,
         1,
         {0},
         NULL},
        {"naive: serial HDF5 read of the gzip file, one process as h5py (paired)",
         serial_read_rep,
         0,
         1,
         {0},
         NULL},
    };
    if ((rc = paired(b, &S, zsteps, 3, size, pz)) != 0)
        goto out;
    if (S.rank == 0) {
        unlink(S.gz);
        unlink(S.h5);
    }

    /* Naive. */
    spec.method = "naive: gather to rank 0, serial h5 write";
    if ((rc = bench_time(b, &spec, naive_write_rep, &S, &f_naive_w)) != 0)
        goto out;
    rspec.method = "naive: rank 0 serial h5 read, scatter";
    if ((rc = bench_time(b, &rspec, naive_read_rep, &S, &f_naive_r)) != 0)
        goto out;
    if (S.rank == 0)
        unlink(S.naive);

    int wr[] = {f_cc_w, f_ci_w, f_kc_w, f_ki_w, f_z_w, f_naive_w};
    for (int i = 0; i < 6; i++)
        bench_ratio(b, wr[i], f_raw_w, "raw write");
    bench_ratio(b, f_cc_wd, f_raw_wd, "raw durable");
    int rd[] = {f_cc_r, f_ci_r, f_kc_r, f_load, f_naive_r};
    for (int i = 0; i < 5; i++)
        bench_ratio(b, rd[i], f_raw_r, "raw read");
    for (int i = 0; i < 5; i++)
        bench_ratio(b, wr[i], f_naive_w, "naive write");
    for (int i = 0; i < 4; i++)
        bench_ratio(b, rd[i], f_naive_r, "naive read");

    bench_ratio(b, f_cc_w, f_raw_wr, "raw write + rename");
    bench_target(b, f_cc_w, f_raw_w, BENCH_AT_LEAST, 0.9, "raw write");
    bench_target(b, f_cc_r, f_raw_r, BENCH_AT_LEAST, 0.9, "raw read");
    bench_target(b, f_ci_r, f_raw_r, BENCH_AT_LEAST, 0.9, "raw read");
    bench_ratio_at_least(b, pk[1], pk[0], 0.8, "contiguous save");
    bench_ratio_at_least(b, pk[2], pk[0], 0.8, "contiguous save");
    bench_ratio(b, f_z[0], f_z[1], "one rank");
    double rwr = bench_value(b, f_cc_w) / bench_value(b, f_raw_wr);
    bench_ratio_at_least(b, pr[3], f_cc_r, 0.8, "contiguous read");
    bench_ratio_at_least(b, pr[4], f_cc_r, 0.8, "contiguous read");
    bench_ratio(b, pz[0], pz[1], "one rank");
    bench_ratio(b, pz[0], pz[2], "serial HDF5");
    /* A figure has one target: all ranks against one. The serial HDF5 read
     * (h5py's speed) is its "vs naive" ratio. */
    if (S.size >= 2)
        bench_target(b, pz[0], pz[1], BENCH_AT_LEAST, 1.8, "one rank");
    bench_note(b,
               "io: %zu rows of %d f64 in %s (%s); rates are the file's bytes over the "
               "slowest rank's time",
               S.nrows, ROW_ELEMS, S.dir, fs_name(S.dir));
    bench_note(b, "io: writes go to the page cache unless marked durable (fsync of the file "
                  "on every rank, and of the directory after the rename); parray saves are "
                  "crash-safe: a new temporary file renamed over the old one");
    bench_note(b, "io: (paired) figures alternate with their raw reference in every "
                  "repetition, so their ratios compare like with like on a busy machine; "
                  "the raw read reads the HDF5 dataset's own bytes into the same array");
    bench_note(b, "io: reads come %s",
               S.cold ? "from the disk (--cold dropped the page cache before each)"
                      : "from the page cache, right after the writes (--cold drops it before "
                        "each read; root only)");
    bench_note(b,
               "io: the h5 collective contiguous save runs at %.2fx of the raw write that, "
               "like a crash-safe save, writes a new file and renames it over the old one",
               rwr);

    bench_note(b,
               "io: h5py's chunks=True file has chunks of (%zu, %zu) elements; the "
               "gzip read's target against one rank needs 2 ranks or more",
               S.h5py_chunk[0], S.h5py_chunk[1]);
    bench_note(b,
               "io: the gzip file is h5py's chunks=True, shuffle, gzip level 4, of a smooth "
               "signal plus noise in steps of 1/1024 (not a[i] = i): it compresses %.2fx, and "
               "inflating it costs CPU, as most h5py users' data does",
               S.gz_ratio);
    bench_note(b,
               "io: the deflate=1 save all ranks vs one rank writes %zu rows; every rank "
               "compresses its own chunks",
               S.nrows / 8 ? S.nrows / 8 : 1);

    /* The many-files figures, where bench_files.c provides them. */
    if (bench_io_files)
        rc = bench_io_files(b, S.dir);
    else
        bench_note(b, "io: many files: not measured (no bench_io_files in this build)");

out:
    if (S.rank == 0) {
        char tmp[PATH_MAX + 8];
        snprintf(tmp, sizeof tmp, "%s.tmp", S.raw);
        unlink(tmp);
        unlink(S.raw);
        unlink(S.h5);
        unlink(S.naive);
        unlink(S.chunked);
        unlink(S.h5py);
        unlink(S.gz);
        rmdir(S.dir);
    }
    pa_array_free(&S.a);
    pa_array_free(&S.r);
    pa_array_free(&S.solo_r);
    if (S.solo)
        pa_finalize(&S.solo);
    free(S.all);
    return rc;
}

const bench_experiment bench_io = {
    .name = "io",
    .description = "save and load --bytes (default 1 GiB) of f64 as one file: raw POSIX "
                   "(the limit), parray parallel HDF5, naive gather-to-rank-0",
    .run = io_run,
};
