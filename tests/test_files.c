/* Many files at once: save one file per row and load the files back as one
 * stack, in every format (.npy, CSV, raw, HDF5) and with both placements
 * (each node reads its own rows; the job balances by size and sends rows
 * to their node), at every launcher configuration. Files are made by rank
 * 0 in a temporary directory, then every rank loads them. Bad input: a
 * file of another shape or dtype (named), a missing file (named), bad name
 * patterns, an unknown extension. Saves that fail (fault sites): a write
 * that fails halfway leaves no part of a file under its name and the old
 * files as they were; a durable save fsyncs every file and the directory
 * (an fsync that fails fails it), a default save none. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[256]; /* this run's directory, the same on every rank */

static void setup(void)
{
    tu_ctx_setup();
    tu_tmpdir_make(dir, sizeof dir, "files");
}

/* Unchecked, so without checks (see tu_ctx_free). */
static void teardown(void)
{
    tu_tmpdir_remove(dir);
    tu_ctx_free();
}

/* The value of element i (flat, C order) of the test arrays: distinct
 * whole numbers below 2^20 (exact in every dtype but u8, which wraps). */
static double val(size_t i)
{
    return (double)((i * 7919) % 1000003);
}

/* A new array of the given shape whose element i is val(i), converted to
 * the dtype (u8 takes it mod 256). Each rank fills its own span. */
static pa_array *make(pa_dtype d, int ndim, const size_t *shape, pa_dist dist)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, d, ndim, shape, dist, &a), ctx);
    pa_span s;
    pa_array_local(a, &s);
    for (size_t i = 0; i < s.count; i++) {
        double v = val(s.offset + i);
        switch (d) {
        case PA_F64: ((double *)s.ptr)[i] = v; break;
        case PA_F32: ((float *)s.ptr)[i] = (float)v; break;
        case PA_I64: ((int64_t *)s.ptr)[i] = (int64_t)v; break;
        case PA_I32: ((int32_t *)s.ptr)[i] = (int32_t)v; break;
        default: ((uint8_t *)s.ptr)[i] = (uint8_t)(int64_t)v; break;
        }
    }
    pa_array_sync(a);
    return a;
}

/* The whole array, gathered to every rank. */
static void *all_bytes(pa_array *a)
{
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    char *b = malloc(bytes + 1);
    pa_array_gather(a, 0, b);
    MPI_Bcast(b, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
    return b;
}

/* Collective: a and b hold the same dtype, shape and bytes. */
static int same(pa_array *a, pa_array *b)
{
    if (pa_array_dtype(a) != pa_array_dtype(b) || pa_array_ndim(a) != pa_array_ndim(b))
        return 0;
    size_t sa[PA_MAXDIM], sb[PA_MAXDIM];
    pa_array_shape(a, sa);
    pa_array_shape(b, sb);
    if (memcmp(sa, sb, sizeof(size_t) * (size_t)pa_array_ndim(a)) != 0)
        return 0;
    char *x = all_bytes(a), *y = all_bytes(b);
    int eq = memcmp(x, y, pa_array_size(a) * pa_dtype_size(pa_array_dtype(a))) == 0;
    free(x);
    free(y);
    return eq;
}

/* The names pattern gives for 0..n-1, NULL-terminated; free with
 * free_names. */
static char **names(const char *pattern, size_t n)
{
    char **p = calloc(n + 1, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        p[i] = malloc(512);
        snprintf(p[i], 512, pattern, (int)i);
    }
    return p;
}

static void free_names(char **p)
{
    for (size_t i = 0; p[i]; i++)
        free(p[i]);
    free(p);
}

static int progress_calls;
static void count_progress(void *arg, size_t done, size_t total)
{
    (void)arg;
    (void)total;
    progress_calls += done > 0;
}

/* ------------------------------------------------------------ round trips */

/* Every format and dtype: save one file per row, load them back with both
 * placements (the job placement with 3 reader threads per rank), get the
 * same array. 23 rows: the node blocks and the size
 * balance cut it unevenly at every rank count. */
START_TEST(round_trips)
{
    static const struct {
        const char *ext;
        pa_format f;
    } fmts[] = {{"npy", PA_FORMAT_AUTO},
                {"csv", PA_FORMAT_AUTO},
                {"bin", PA_FORMAT_RAW},
                {"h5", PA_FORMAT_H5}};
    static const pa_dtype dts[] = {PA_F64, PA_F32, PA_I64, PA_I32, PA_U8};
    size_t shape[3] = {23, 4, 6};
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++)
        for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++) {
            pa_array *a = make(dts[t], 3, shape, PA_DISTRIBUTED);
            char pattern[300];
            snprintf(pattern, sizeof pattern, "%s/rt-%s-%s-%%04d.%s", dir, fmts[f].ext,
                     pa_dtype_name(dts[t]), fmts[f].ext);
            pa_files_opts o = {0};
            o.dtype = dts[t]; /* raw and CSV need it */
            o.ndim = 2;
            o.shape[0] = 4;
            o.shape[1] = 6;
            o.dataset = "/grp/x";
            TU_OK(pa_save_files(a, pattern, fmts[f].f, &o), ctx);
            char **p = names(pattern, shape[0]);
            for (int place = 0; place <= 1; place++) {
                o.place = place ? PA_PLACE_JOB : PA_PLACE_NODE;
                o.threads = place ? 3 : 0; /* reader threads, with the job placement */
                o.progress = count_progress;
                progress_calls = 0;
                pa_array *b = NULL;
                TU_OK(pa_load_files(ctx, (const char *const *)p, shape[0], fmts[f].f, &o, &b),
                      ctx);
                TU_ASSERT(same(a, b), "%s %s place %d: the loaded stack differs", fmts[f].ext,
                          pa_dtype_name(dts[t]), place);
                int calls = 0;
                MPI_Allreduce(&progress_calls, &calls, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
                TU_CHECK(calls == (int)shape[0]);
                pa_array_free(&b);
            }
            free_names(p);
            pa_array_free(&a);
        }
}
END_TEST

/* CSV files of very different sizes (padding comments) with the
 * job-balanced placement, which reads files for other nodes and sends
 * them; and a replicated array saved once per row. */
START_TEST(uneven_and_replicated)
{
    enum { N = 17 };
    char **p = calloc(N + 1, sizeof *p);
    for (int i = 0; i < N; i++) {
        p[i] = malloc(512);
        snprintf(p[i], 512, "%s/u%02d.csv", dir, i);
        if (tu_rank() == 0) {
            FILE *f = fopen(p[i], "w");
            for (int pad = 0; pad < (i < 5 ? 400 : 1); pad++)
                fprintf(f, "# padding padding padding padding padding padding\n");
            fprintf(f, "%d,%d.5\n%d,-%d\n", i, i, 2 * i, i);
            fclose(f);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD); /* the files are complete before anyone reads them */
    for (int place = 0; place <= 1; place++) {
        pa_files_opts o = {0};
        o.place = place ? PA_PLACE_JOB : PA_PLACE_NODE;
        pa_array *b = NULL;
        TU_OK(pa_load_files(ctx, (const char *const *)p, N, PA_FORMAT_AUTO, &o, &b), ctx);
        size_t s[3];
        pa_array_shape(b, s);
        TU_CHECK(pa_array_ndim(b) == 3 && s[0] == N && s[1] == 2 && s[2] == 2);
        double *v = all_bytes(b);
        int bad = 0;
        for (int i = 0; i < N; i++)
            bad += v[4 * i] != i || v[4 * i + 1] != i + 0.5 || v[4 * i + 2] != 2 * i ||
                   v[4 * i + 3] != -i;
        TU_ASSERT(bad == 0, "place %d: %d files read wrong", place, bad);
        free(v);
        pa_array_free(&b);
    }
    free_names(p);

    size_t shape[2] = {9, 3};
    pa_array *r = make(PA_I32, 2, shape, PA_REPLICATED), *b = NULL;
    char pattern[300];
    snprintf(pattern, sizeof pattern, "%s/rep%%d.npy", dir);
    TU_OK(pa_save_files(r, pattern, PA_FORMAT_AUTO, NULL), ctx);
    p = names(pattern, 9);
    TU_OK(pa_load_files(ctx, (const char *const *)p, 9, PA_FORMAT_AUTO, NULL, &b), ctx);
    /* Loaded distributed; the same values in the same order. */
    pa_array *d = make(PA_I32, 2, shape, PA_DISTRIBUTED);
    TU_CHECK(same(d, b));
    free_names(p);
    pa_array_free(&r);
    pa_array_free(&b);
    pa_array_free(&d);
}
END_TEST

/* Raw files: the 1-D length is taken from the first file when no shape is
 * given; a file of another size is named. */
START_TEST(raw_inferred)
{
    size_t shape[2] = {6, 10};
    pa_array *a = make(PA_F32, 2, shape, PA_DISTRIBUTED), *b = NULL;
    char pattern[300];
    snprintf(pattern, sizeof pattern, "%s/raw%%d.raw", dir);
    pa_files_opts o = {0};
    o.dtype = PA_F32;
    TU_OK(pa_save_files(a, pattern, PA_FORMAT_AUTO, &o), ctx);
    char **p = names(pattern, 6);
    TU_OK(pa_load_files(ctx, (const char *const *)p, 6, PA_FORMAT_AUTO, &o, &b), ctx);
    TU_CHECK(same(a, b));
    pa_array_free(&b);
    int trunc_rc = tu_rank() == 0 ? truncate(p[4], 36) : 0;
    MPI_Barrier(MPI_COMM_WORLD); /* the file is cut before anyone reads it */
    TU_CHECK(trunc_rc == 0);
    TU_RC(pa_load_files(ctx, (const char *const *)p, 6, PA_FORMAT_AUTO, &o, &b), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), p[4]) && strstr(pa_errmsg(ctx), "36 bytes") && !b,
              "'%s' does not name %s", pa_errmsg(ctx), p[4]);
    /* No options: raw needs them. */
    TU_RC(pa_load_files(ctx, (const char *const *)p, 6, PA_FORMAT_AUTO, NULL, &b), PA_EINVAL,
          ctx);
    free_names(p);
    pa_array_free(&a);
}
END_TEST

/* ------------------------------------------------------------ bad input */

/* A file of another shape, or another dtype, among many: the error names
 * it, on every rank, whichever rank read it; a missing file likewise. */
START_TEST(mismatch_named)
{
    enum { N = 20 };
    size_t shape[3] = {N, 3, 2};
    pa_array *a = make(PA_F64, 3, shape, PA_DISTRIBUTED), *b = NULL;
    char pattern[300];
    snprintf(pattern, sizeof pattern, "%s/m%%02d.npy", dir);
    TU_OK(pa_save_files(a, pattern, PA_FORMAT_AUTO, NULL), ctx);
    char **p = names(pattern, N);
    size_t s2[2] = {3, 3}, s1 = 6;
    pa_array *odd = make(PA_F64, 2, s2, PA_REPLICATED),
             *oddt = make(PA_F32, 1, &s1, PA_REPLICATED);
    char opat[300];
    snprintf(opat, sizeof opat, "%s/odd%%d.npy", dir);
    TU_OK(pa_save_files(odd, opat, PA_FORMAT_AUTO, NULL), ctx); /* 3 files of (3,) */
    snprintf(opat, sizeof opat, "%s/oddt%%d.npy", dir);
    TU_OK(pa_save_files(oddt, opat, PA_FORMAT_AUTO, NULL), ctx); /* 0-d f32 files */
    char **q = names(opat, 1);
    for (int place = 0; place <= 1; place++) {
        pa_files_opts o = {0};
        o.place = place;
        /* (3,2) everywhere but file 13, which is (3,). */
        char keep[512];
        snprintf(keep, sizeof keep, "%s", p[13]);
        snprintf(p[13], 512, "%s/odd1.npy", dir);
        TU_RC(pa_load_files(ctx, (const char *const *)p, N, PA_FORMAT_AUTO, &o, &b), PA_EINVAL,
              ctx);
        TU_ASSERT(strstr(pa_errmsg(ctx), p[13]) && strstr(pa_errmsg(ctx), "(3,)") &&
                      strstr(pa_errmsg(ctx), "(3,2)") && !b,
                  "'%s'", pa_errmsg(ctx));
        TU_CHECK(tu_same_str(pa_errmsg(ctx)));
        /* Another dtype. */
        snprintf(p[13], 512, "%s", q[0]);
        TU_RC(pa_load_files(ctx, (const char *const *)p, N, PA_FORMAT_AUTO, &o, &b), PA_EINVAL,
              ctx);
        TU_ASSERT(strstr(pa_errmsg(ctx), q[0]) && strstr(pa_errmsg(ctx), "f32"), "'%s'",
                  pa_errmsg(ctx));
        /* Missing. */
        snprintf(p[13], 512, "%s/nothere.npy", dir);
        TU_RC(pa_load_files(ctx, (const char *const *)p, N, PA_FORMAT_AUTO, &o, &b), PA_EIO, ctx);
        TU_ASSERT(strstr(pa_errmsg(ctx), p[13]) && strstr(pa_errmsg(ctx), "No such file"), "'%s'",
                  pa_errmsg(ctx));
        snprintf(p[13], 512, "%s", keep);
    }
    /* A file that is not .npy at all, given as the first file. */
    char txt[300];
    snprintf(txt, sizeof txt, "%s/m00.npy", dir);
    if (tu_rank() == 0) {
        FILE *f = fopen(txt, "w");
        fputs("not numpy\n", f);
        fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    TU_RC(pa_load_files(ctx, (const char *const *)p, N, PA_FORMAT_AUTO, NULL, &b), PA_EFORMAT,
          ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), txt) != NULL);
    free_names(p);
    free_names(q);
    pa_array_free(&a);
    pa_array_free(&odd);
    pa_array_free(&oddt);
}
END_TEST

START_TEST(bad_arguments)
{
    static const char *const bad[] = {
        "x/%d-%d.npy", "x/plain.npy", "x/%s.npy", "x/%ld.npy", "x/%*d.npy", "x/%d%.npy", "x/%",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TU_RC(pa_files_pattern_check(ctx, bad[i]), PA_EINVAL, ctx);
        TU_ASSERT(strstr(pa_errmsg(ctx), bad[i]) != NULL, "'%s' does not quote '%s'",
                  pa_errmsg(ctx), bad[i]);
    }
    TU_OK(pa_files_pattern_check(ctx, "out/part-%05d.npy"), ctx);
    TU_OK(pa_files_pattern_check(ctx, "100%%/%-3i.npy%%"), ctx);
    TU_CHECK(pa_format_of("a/b.NPY") == PA_FORMAT_NPY && pa_format_of("a.tsv") == PA_FORMAT_CSV &&
             pa_format_of("x.hdf5") == PA_FORMAT_H5 && pa_format_of("a.b/c") == PA_FORMAT_AUTO);

    size_t shape[2] = {4, 2};
    pa_array *a = make(PA_F64, 2, shape, PA_DISTRIBUTED), *b = NULL;
    char pat[300];
    snprintf(pat, sizeof pat, "%s/x-%%d-%%d.npy", dir);
    TU_RC(pa_save_files(a, pat, PA_FORMAT_AUTO, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "exactly one") != NULL);
    snprintf(pat, sizeof pat, "%s/x-%%d.dat", dir);
    TU_RC(pa_save_files(a, pat, PA_FORMAT_AUTO, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "cannot tell the format") != NULL);
    snprintf(pat, sizeof pat, "%s/no/such/dir/x-%%d.npy", dir);
    TU_RC(pa_save_files(a, pat, PA_FORMAT_AUTO, NULL), PA_EIO, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "no/such/dir") != NULL);
    const char *none[1] = {"x"};
    TU_RC(pa_load_files(ctx, none, 0, PA_FORMAT_NPY, NULL, &b), PA_EINVAL, ctx);
    TU_RC(pa_load_files(ctx, NULL, 1, PA_FORMAT_NPY, NULL, &b), PA_EINVAL, ctx);
    /* HDF5 of a 1-D array's scalar rows is refused clearly. */
    size_t n = 3;
    pa_array *v = make(PA_F64, 1, &n, PA_DISTRIBUTED);
    snprintf(pat, sizeof pat, "%s/s%%d.h5", dir);
    TU_RC(pa_save_files(v, pat, PA_FORMAT_AUTO, NULL), PA_ENOTSUP, ctx);
    pa_array_free(&v);
    pa_array_free(&a);
}
END_TEST

/* ------------------------------------------------------------ failed saves */

/* The formats whose files pa_save_files writes itself (HDF5 goes through
 * the HDF5 library, whose writes do not pass the file_write site). */
static const char *const own_exts[] = {"npy", "csv", "bin", "h5"};

/* The options every format reads the test's (N, 3, 2) f64 files with. */
static pa_files_opts opts_32(void)
{
    pa_files_opts o = {0};
    o.dtype = PA_F64;
    o.ndim = 2;
    o.shape[0] = 3;
    o.shape[1] = 2;
    return o;
}

/* Collective: the files pattern names for 0..n-1 hold exactly the rows of
 * a (n = a's rows). */
static int files_hold(const char *pattern, pa_array *a)
{
    size_t s[PA_MAXDIM];
    pa_array_shape(a, s);
    char **p = names(pattern, s[0]);
    pa_files_opts o = opts_32();
    pa_array *b = NULL;
    int ok = pa_load_files(ctx, (const char *const *)p, s[0], PA_FORMAT_AUTO, &o, &b) == PA_OK &&
             same(a, b);
    pa_array_free(&b);
    free_names(p);
    return ok;
}

/* Collective: how many of the names pattern gives for [from, to) exist
 * (as rank 0 sees them). */
static int files_present(const char *pattern, int from, int to)
{
    int n = 0;
    char name[512];
    for (int i = from; i < to; i++) {
        struct stat st;
        snprintf(name, sizeof name, pattern, i);
        n += stat(name, &st) == 0;
    }
    MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return n;
}

/* A new (n, 3, 2) f64 array whose elements are val(i) + salt. */
static pa_array *make_salted(size_t n, double salt)
{
    size_t shape[3] = {n, 3, 2};
    pa_array *a = make(PA_F64, 3, shape, PA_DISTRIBUTED);
    pa_span sp;
    pa_array_local(a, &sp);
    for (size_t i = 0; i < sp.count; i++)
        ((double *)sp.ptr)[i] += salt;
    pa_array_sync(a);
    return a;
}

/* src's elements in a new array of context c (on the same ranks, so that
 * each rank's span is the same). */
static pa_array *copy_to(pa_ctx *c, pa_array *src)
{
    size_t shape[PA_MAXDIM];
    pa_array_shape(src, shape);
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, pa_array_dtype(src), pa_array_ndim(src), shape, PA_DISTRIBUTED, &a),
          c);
    pa_span to, from;
    pa_array_local(a, &to);
    pa_array_local(src, &from);
    memcpy(to.ptr, from.ptr, to.count * pa_dtype_size(pa_array_dtype(src)));
    TU_OK(pa_array_sync(a), c);
    return a;
}

/* A write that fails halfway through a file (file_write, on every rank or
 * on the last): the call fails on every rank naming the injected fault; no
 * name holds a part of a file: the 10 files that existed hold their old
 * rows, in every format, and where every rank failed at its first file no
 * file is replaced and none of the 2 new names exists; no temporary is
 * left. */
START_TEST(write_fails_midway)
{
    enum { OLD = 10, NEW = 12 };
    pa_array *old = make_salted(OLD, 0), *fresh = make_salted(NEW, 0.5);
    for (size_t f = 0; f < 3; f++) {
        char pattern[300];
        snprintf(pattern, sizeof pattern, "%s/mid-%s-%%02d.%s", dir, own_exts[f], own_exts[f]);
        pa_files_opts o = opts_32();
        TU_OK(pa_save_files(old, pattern, PA_FORMAT_AUTO, &o), ctx);
        for (int every = 1; every >= 0; every--) {
            char spec[64];
            snprintf(spec, sizeof spec, every ? "file_write@*" : "file_write@%d", tu_size() - 1);
            pa_ctx *c = tu_fault_ctx(spec);
            pa_array *a = copy_to(c, fresh);
            TU_RC(pa_save_files(a, pattern, PA_FORMAT_AUTO, &o), PA_EIO, c);
            TU_ASSERT(strstr(pa_errmsg(c), "injected fault after") != NULL, "%s: '%s'", spec,
                      pa_errmsg(c));
            TU_CHECK(tu_same_str(pa_errmsg(c)));
            pa_array_free(&a);
            TU_OK(pa_finalize(&c), NULL);
            if (every) {
                TU_ASSERT(files_hold(pattern, old), "%s %s: an old file changed", own_exts[f],
                          spec);
                TU_ASSERT(files_present(pattern, OLD, NEW) == 0, "%s %s: a new name exists",
                          own_exts[f], spec);
            } else {
                /* The other ranks' files are replaced whole: each name
                 * holds its old or its new row, and all read back. */
                char **p = names(pattern, OLD);
                pa_array *b = NULL;
                TU_OK(pa_load_files(ctx, (const char *const *)p, OLD, PA_FORMAT_AUTO, &o, &b),
                      ctx);
                free_names(p);
                pa_array_free(&b);
            }
            TU_CHECK(tu_stale_temps(dir) == 0);
        }
    }
    pa_array_free(&old);
    pa_array_free(&fresh);
}
END_TEST

/* Durable saves fsync: with the fsync of files failing (fsync_file, every
 * rank) a durable save fails before any rename, so every old file stays,
 * in every format; with the fsync of the directory failing (fsync_dir) it
 * fails after the renames (the new files are in place), naming the
 * directory. A default save makes neither fsync: the same faults do not
 * touch it. */
START_TEST(durable_syncs)
{
    enum { N = 7 };
    pa_array *old = make_salted(N, 0), *fresh = make_salted(N, 0.25);
    for (size_t f = 0; f < sizeof own_exts / sizeof own_exts[0]; f++) {
        char pattern[300];
        snprintf(pattern, sizeof pattern, "%s/dur-%s-%%d.%s", dir, own_exts[f], own_exts[f]);
        pa_files_opts o = opts_32();
        static const char *const sites[] = {"fsync_file@*", "fsync_dir@*"};
        for (int s = 0; s < 2; s++) {
            TU_OK(pa_save_files(old, pattern, PA_FORMAT_AUTO, &o), ctx);
            pa_ctx *c = tu_fault_ctx(sites[s]);
            pa_array *a = copy_to(c, fresh);
            o.durable = 1;
            TU_RC(pa_save_files(a, pattern, PA_FORMAT_AUTO, &o), PA_EIO, c);
            TU_ASSERT(strstr(pa_errmsg(c), "fsync") && strstr(pa_errmsg(c), "injected fault") &&
                          (s == 0 || strstr(pa_errmsg(c), dir)),
                      "%s %s: '%s'", own_exts[f], sites[s], pa_errmsg(c));
            TU_CHECK(tu_same_str(pa_errmsg(c)));
            /* fsync_file: the old rows throughout; fsync_dir: the new. */
            TU_ASSERT(files_hold(pattern, s ? fresh : old), "%s %s: the files differ",
                      own_exts[f], sites[s]);
            TU_CHECK(tu_stale_temps(dir) == 0);
            TU_OK(pa_save_files(old, pattern, PA_FORMAT_AUTO, &o), ctx);
            o.durable = 0;
            TU_OK(pa_save_files(a, pattern, PA_FORMAT_AUTO, &o), c);
            TU_CHECK(files_hold(pattern, fresh));
            pa_array_free(&a);
            TU_OK(pa_finalize(&c), NULL);
        }
        /* Durable without faults, and a value that is not 0 or 1. */
        o.durable = 1;
        TU_OK(pa_save_files(fresh, pattern, PA_FORMAT_AUTO, &o), ctx);
        TU_CHECK(files_hold(pattern, fresh));
        o.durable = 2;
        TU_RC(pa_save_files(fresh, pattern, PA_FORMAT_AUTO, &o), PA_EINVAL, ctx);
        TU_CHECK(strstr(pa_errmsg(ctx), "durable = 2") != NULL);
    }
    pa_array_free(&old);
    pa_array_free(&fresh);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tu_tcase(s, "files");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trips);
    tcase_add_test(tc, uneven_and_replicated);
    tcase_add_test(tc, raw_inferred);
    tcase_add_test(tc, mismatch_named);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, write_fails_midway);
    tcase_add_test(tc, durable_syncs);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, suite);
}
