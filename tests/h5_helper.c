/* A small program for tests/h5.sh: saves and checks HDF5 datasets through
 * libparray, so the script can kill a save midway, fill a disk, or run as
 * another user, and it parses dataset arguments with apps/dsarg.c.
 *
 *   h5_helper save FILE:/DSET DTYPE ROWS VALUE [copy]
 *                                                an array (ROWS, 1000) of VALUE
 *                                                (copy: with opts.copy, a copy
 *                                                of the whole file)
 *   h5_helper loop FILE:/DSET ROWS [copy]        saves VALUE = 1, 2, 3, ...
 *                                                forever, printing each VALUE
 *                                                once its save has returned
 *   h5_helper check FILE:/DSET [VALUE]           loads; every element must be
 *                                                equal (to VALUE if given);
 *                                                prints the value
 *   h5_helper sparse FILE:/DSET MIB              a new file (serial HDF5) holding an
 *                                                f64 dataset of MIB MiB whose space is
 *                                                allocated but never written (sparse)
 *   h5_helper iosave FILE:/DSET N [copy]         saves an f64 array of N elements and
 *                                                prints the bytes the save wrote, summed
 *                                                over the ranks: "wchar W write_bytes B"
 *                                                (/proc/self/io before and after)
 *   h5_helper dsarg ARG                          prints FILE and DSET, or the error
 *   h5_helper same FILE DSET...                  loads each dataset (collective,
 *                                                then independent) and compares it
 *                                                with rank 0's serial HDF5 read;
 *                                                prints "same DSET" for each
 *   h5_helper arange FILE:/DSET ROWS COLS CHUNK_ROWS DEFLATE
 *                                                saves f64 (ROWS, COLS) holding its
 *                                                flat index, chunked (CHUNK_ROWS
 *                                                rows, 0: automatic) with deflate
 *                                                level DEFLATE (0: none), loads it
 *                                                back and checks every element
 *
 * Exit status: 0 success, 1 failure (message on stderr from rank 0), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5.h"
#include "parray.h"
#include "../apps/dsarg.h"

static int usage(void)
{
    fprintf(stderr, "usage: h5_helper save|loop|check|same|arange|sparse|iosave|dsarg ...\n");
    return 2;
}

static void fill(pa_array *a, double v)
{
    pa_span s;
    pa_array_local(a, &s);
    size_t es = pa_dtype_size(pa_array_dtype(a));
    for (size_t k = 0; k < s.count; k++) {
        char *p = (char *)s.ptr + k * es;
        switch (pa_array_dtype(a)) {
        case PA_F64: *(double *)p = v; break;
        case PA_F32: *(float *)p = (float)v; break;
        case PA_I64: *(int64_t *)p = (int64_t)v; break;
        case PA_I32: *(int32_t *)p = (int32_t)v; break;
        default: *(uint8_t *)p = (uint8_t)v; break;
        }
    }
    pa_array_sync(a);
}

static double elem(pa_dtype t, const char *p)
{
    switch (t) {
    case PA_F64: return *(const double *)p;
    case PA_F32: return *(const float *)p;
    case PA_I64: return (double)*(const int64_t *)p;
    case PA_I32: return *(const int32_t *)p;
    default: return *(const uint8_t *)p;
    }
}

static int fail(pa_ctx *ctx, const char *what)
{
    if (pa_ctx_rank(ctx) == 0)
        fprintf(stderr, "h5_helper: %s: %s\n", what, pa_errmsg(ctx));
    return 1;
}

static int save(pa_ctx *ctx, const dsarg *d, pa_dtype t, size_t rows, double v, int copy)
{
    pa_h5_opts o = {.copy = copy};
    size_t shape[2] = {rows, 1000};
    pa_array *a = NULL;
    if (pa_array_create(ctx, t, 2, shape, PA_DISTRIBUTED, &a) != PA_OK)
        return fail(ctx, "create");
    fill(a, v);
    int rc = pa_h5_save(a, d->file, d->dataset, &o);
    pa_array_free(&a);
    return rc == PA_OK ? 0 : fail(ctx, "save");
}

/* A sparse dataset of mib MiB: its space allocated at once (the file is
 * that long), never written. */
static int sparse(const dsarg *d, unsigned long mib)
{
    hsize_t n = (hsize_t)mib << 17; /* doubles */
    hid_t f = H5Fcreate(d->file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int ok = f >= 0 && space >= 0 && dcpl >= 0 &&
             H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 &&
             H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0;
    hid_t ds = ok ? H5Dcreate2(f, d->dataset, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                               H5P_DEFAULT)
                  : -1;
    ok = ds >= 0 && H5Dclose(ds) >= 0;
    H5Pclose(dcpl);
    H5Sclose(space);
    ok = H5Fclose(f) >= 0 && ok;
    if (!ok)
        fprintf(stderr, "h5_helper: sparse: cannot make %s\n", d->file);
    return ok ? 0 : 1;
}

/* This process's counters "wchar" and "write_bytes" of /proc/self/io. */
static void io_counters(unsigned long long v[2])
{
    v[0] = v[1] = 0;
    FILE *f = fopen("/proc/self/io", "r");
    char key[64];
    unsigned long long x;
    while (f && fscanf(f, "%63[^:]: %llu\n", key, &x) == 2) {
        if (strcmp(key, "wchar") == 0)
            v[0] = x;
        else if (strcmp(key, "write_bytes") == 0)
            v[1] = x;
    }
    if (f)
        fclose(f);
}

static int iosave(pa_ctx *ctx, const dsarg *d, size_t n, int copy)
{
    pa_h5_opts o = {.copy = copy};
    pa_array *a = NULL;
    if (pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &a) != PA_OK)
        return fail(ctx, "create");
    fill(a, 1);
    unsigned long long before[2], after[2], mine[2], sum[2];
    io_counters(before);
    int rc = pa_h5_save(a, d->file, d->dataset, &o);
    io_counters(after);
    pa_array_free(&a);
    if (rc != PA_OK)
        return fail(ctx, "save");
    mine[0] = after[0] - before[0];
    mine[1] = after[1] - before[1];
    MPI_Allreduce(mine, sum, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, pa_ctx_comm(ctx));
    if (pa_ctx_rank(ctx) == 0)
        printf("wchar %llu write_bytes %llu\n", sum[0], sum[1]);
    return 0;
}

static int check(pa_ctx *ctx, const dsarg *d, int given, double want)
{
    pa_array *a = NULL;
    if (pa_h5_load(ctx, d->file, d->dataset, NULL, &a) != PA_OK)
        return fail(ctx, "load");
    pa_span s;
    pa_array_local(a, &s);
    pa_dtype t = pa_array_dtype(a);
    size_t es = pa_dtype_size(t);
    double first = 0;
    /* Element 0 decides the value when none is given. */
    if (pa_ctx_rank(ctx) == 0 && s.count)
        first = elem(t, s.ptr);
    MPI_Bcast(&first, 1, MPI_DOUBLE, 0, pa_ctx_comm(ctx));
    if (!given)
        want = first;
    int bad = 0, anybad;
    for (size_t k = 0; k < s.count && !bad; k++)
        bad = elem(t, (const char *)s.ptr + k * es) != want;
    MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, pa_ctx_comm(ctx));
    pa_array_free(&a);
    if (pa_ctx_rank(ctx) == 0) {
        if (anybad)
            fprintf(stderr, "h5_helper: check: elements differ from %.17g\n", want);
        else
            printf("%.17g\n", want);
    }
    return anybad ? 1 : 0;
}

/* Rank 0 reads dataset ds of path whole with serial HDF5 (its own filter
 * pipeline) into a new buffer of n elements of t; *ok = 0 on failure. */
static char *serial_read(const char *path, const char *ds, pa_dtype t, size_t n, int *ok)
{
    hid_t mt = pa__h5_mem_type(t);
    char *buf = malloc(n * pa_dtype_size(t) + 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, ds, H5P_DEFAULT);
    *ok = buf && d >= 0 && (n == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    return buf;
}

/* Each dataset, loaded collectively and independently by every rank,
 * equals rank 0's serial read. */
static int same(pa_ctx *ctx, const char *path, char **names, int n)
{
    int root = pa_ctx_rank(ctx) == 0;
    for (int k = 0; k < n; k++) {
        for (int mode = 0; mode < 2; mode++) {
            pa_h5_opts o = {.xfer = mode ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE};
            pa_array *a = NULL;
            if (pa_h5_load(ctx, path, names[k], &o, &a) != PA_OK)
                return fail(ctx, names[k]);
            size_t cnt = pa_array_size(a), es = pa_dtype_size(pa_array_dtype(a));
            int ok = 1, eq = 0;
            char *got = root ? malloc(cnt * es + 1) : NULL;
            char *want = root ? serial_read(path, names[k], pa_array_dtype(a), cnt, &ok) : NULL;
            int rc = pa_array_gather(a, 0, got);
            pa_array_free(&a);
            if (root)
                eq = rc == PA_OK && ok && got && memcmp(got, want, cnt * es) == 0;
            free(got);
            free(want);
            MPI_Bcast(&eq, 1, MPI_INT, 0, pa_ctx_comm(ctx));
            if (!eq) {
                if (root)
                    fprintf(stderr, "h5_helper: same: %s (%s) differs from HDF5's serial read\n",
                            names[k], mode ? "independent" : "collective");
                return 1;
            }
        }
        if (root)
            printf("same %s\n", names[k]);
    }
    return 0;
}

static int arange(pa_ctx *ctx, const dsarg *d, size_t rows, size_t cols, size_t chunk_rows,
                  int deflate)
{
    size_t shape[2] = {rows, cols};
    pa_array *a = NULL, *b = NULL;
    if (pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a) != PA_OK)
        return fail(ctx, "create");
    pa_span s;
    pa_array_local(a, &s);
    for (size_t k = 0; k < s.count; k++)
        ((double *)s.ptr)[k] = (double)(s.offset + k);
    pa_array_sync(a);
    pa_h5_opts o = {.layout = PA_H5_CHUNKED, .chunk_rows = chunk_rows, .deflate = deflate};
    int rc = pa_h5_save(a, d->file, d->dataset, &o);
    pa_array_free(&a);
    if (rc != PA_OK)
        return fail(ctx, "save");
    if (pa_h5_load(ctx, d->file, d->dataset, NULL, &b) != PA_OK)
        return fail(ctx, "load");
    pa_array_local(b, &s);
    int bad = 0, anybad;
    for (size_t k = 0; k < s.count && !bad; k++)
        bad = ((const double *)s.ptr)[k] != (double)(s.offset + k);
    MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, pa_ctx_comm(ctx));
    pa_array_free(&b);
    if (anybad && pa_ctx_rank(ctx) == 0)
        fprintf(stderr, "h5_helper: arange: the loaded array differs\n");
    return anybad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    dsarg d;
    char err[512];
    if (strcmp(argv[1], "dsarg") == 0) {
        if (dsarg_parse(argv[2], &d, err, sizeof err) != 0) {
            printf("error: %s\n", err);
            return 1;
        }
        printf("file=%s dataset=%s\n", d.file, d.dataset);
        return 0;
    }
    if (strcmp(argv[1], "same") != 0 && dsarg_parse(argv[2], &d, err, sizeof err) != 0) {
        fprintf(stderr, "h5_helper: %s\n", err);
        return 2;
    }
    pa_ctx *ctx = NULL;
    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "h5_helper: %s\n", pa_errmsg(NULL));
        return 1;
    }
    int status = 2;
    pa_dtype t;
    /* A last word "copy" asks save and loop for opts.copy. */
    int copy = strcmp(argv[argc - 1], "copy") == 0;
    if (strcmp(argv[1], "save") == 0 && argc == 6 + copy &&
        pa_dtype_parse(argv[3], &t) == PA_OK) {
        status = save(ctx, &d, t, strtoul(argv[4], NULL, 10), atof(argv[5]), copy);
    } else if (strcmp(argv[1], "loop") == 0 && argc == 4 + copy) {
        for (long k = 1;; k++) {
            if ((status = save(ctx, &d, PA_F64, strtoul(argv[3], NULL, 10), (double)k, copy)) !=
                0)
                break;
            if (pa_ctx_rank(ctx) == 0) {
                printf("%ld\n", k);
                fflush(stdout);
            }
        }
    } else if (strcmp(argv[1], "sparse") == 0 && argc == 4) {
        status = sparse(&d, strtoul(argv[3], NULL, 10));
    } else if (strcmp(argv[1], "iosave") == 0 && argc == 4 + copy) {
        status = iosave(ctx, &d, strtoul(argv[3], NULL, 10), copy);
    } else if (strcmp(argv[1], "same") == 0 && argc >= 4) {
        status = same(ctx, argv[2], argv + 3, argc - 3);
    } else if (strcmp(argv[1], "arange") == 0 && argc == 7) {
        status = arange(ctx, &d, strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10),
                        strtoul(argv[5], NULL, 10), atoi(argv[6]));
    } else if (strcmp(argv[1], "check") == 0 && (argc == 3 || argc == 4)) {
        status = check(ctx, &d, argc == 4, argc == 4 ? atof(argv[3]) : 0);
    } else {
        usage();
    }
    pa_finalize(&ctx);
    return status;
}
