/* The many-files part of `parray bench io` (bench_io.h): up to 1000 .npy
 * files of 100 KB (one per MiB of the io experiment's --bytes, at least 10)
 * saved one per row and loaded back as one stack, by one rank alone
 * (rank 0 with a context of its own, the same code) and by all ranks; and
 * CSV parsing, in MB/s per rank: parray's parallel exact parser against
 * the naive way, one rank reading the file and calling strtod per number
 * (numpy's loadtxt runs at about 180 MB/s on the reference machine); and
 * what `parray import` does with that CSV file (pa_import_csv), by one
 * rank alone and by all ranks.
 *
 * One rank and all ranks are measured PAIRED (bench_time_steps): every
 * repetition runs both, in alternating order, so that a machine shared with
 * other jobs weighs on both alike and their ratio compares like with like.
 * Saves replace the files of the previous repetition, as a program that
 * saves its results again does; durable saves (fsync) are a figure of
 * their own. */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_io.h"

#define NFILES 1000      /* at the default 1 GiB; fewer for smaller --bytes */
#define FILE_ELEMS 12800 /* f64 per file: 100 KiB of data (plus a 128-byte header) */
#define CSV_ROWS 300000  /* of CSV_COLS f64 as %.17g: about 50 MB, scaled like the files */
#define CSV_COLS 8
#define CSV_ROW_BYTES 152 /* about, of CSV_COLS numbers in [0, 1000) as %.17g: for --csv-bytes */

typedef struct {
    pa_ctx *ctx, *solo; /* the job's context; rank 0's own (other ranks: NULL) */
    pa_files_opts save; /* the options of all-ranks saves (durable or not) */
    int rank, size;
    int nfiles; /* files in the stack */
    size_t csv_rows;
    char dir[PATH_MAX - 64];
    char pattern[PATH_MAX], csv[PATH_MAX];
    char h5_one[PATH_MAX], h5_all[PATH_MAX]; /* the imports' outputs */
    char **paths;
    double file_bytes, csv_bytes;
    pa_array *src;      /* the (nfiles, FILE_ELEMS) array, a[i] = i */
    pa_array *solo_src; /* rank 0: the same array in solo */
    double sink;
} files;

/* Checks one element per file of a loaded stack, on this rank's span. */
static int check_stack(bench *b, pa_array *a, const char *what)
{
    pa_span s;
    pa_array_local(a, &s);
    const double *p = s.ptr;
    for (size_t k = 0; k < s.count; k += FILE_ELEMS / 2)
        if (p[k] != (double)(s.offset + k))
            return bench_fail(b, "io files: %s: element %zu is %.17g", what, s.offset + k, p[k]);
    return 0;
}

static int save_all_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    if (pa_save_files(F->src, F->pattern, PA_FORMAT_NPY, &F->save) != PA_OK)
        return bench_fail(b, "io files: %s", pa_errmsg(F->ctx));
    return 0;
}

static int save_one_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    if (F->rank == 0 && pa_save_files(F->solo_src, F->pattern, PA_FORMAT_NPY, NULL) != PA_OK)
        return bench_fail(b, "io files: one rank: %s", pa_errmsg(F->solo));
    return 0;
}

/* Loads the files as one stack on ctx and checks it; who ("one rank",
 * "all ranks") names the load in messages. */
static int load_stack(bench *b, files *F, pa_ctx *ctx, const char *who)
{
    pa_array *a = NULL;
    int rc = 0;
    if (pa_load_files(ctx, (const char *const *)F->paths, (size_t)F->nfiles, PA_FORMAT_NPY, NULL,
                      &a) != PA_OK)
        rc = bench_fail(b, "io files: %s: %s", who, pa_errmsg(ctx));
    else
        rc = check_stack(b, a, who);
    pa_array_free(&a);
    return rc;
}

static int load_one_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    return F->rank == 0 ? load_stack(b, F, F->solo, "one rank") : 0;
}

static int load_all_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    return load_stack(b, F, F->ctx, "all ranks");
}

static int csv_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    pa_array *a = NULL;
    int rc = 0;
    if (pa_load_csv(F->ctx, F->csv, NULL, &a) != PA_OK)
        rc = bench_fail(b, "io files: csv: %s", pa_errmsg(F->ctx));
    pa_array_free(&a);
    return rc;
}

/* `parray import` of the CSV file into one dataset (pa_import_csv). */
static int import_rep(bench *b, pa_ctx *ctx, const char *csv, const char *h5, const char *what)
{
    if (pa_import_csv(ctx, csv, NULL, h5, "/x", NULL) != PA_OK)
        return bench_fail(b, "io files: import, %s: %s", what, pa_errmsg(ctx));
    return 0;
}

static int import_one_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    return F->rank == 0 ? import_rep(b, F->solo, F->csv, F->h5_one, "one rank") : 0;
}

static int import_all_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    return import_rep(b, F->ctx, F->csv, F->h5_all, "all ranks");
}

/* The naive way: rank 0 reads the whole file and converts every number
 * with strtod_l (C locale), the per-number call most parsers make. */
static int csv_naive_rep(bench *b, void *arg, int rep)
{
    (void)rep;
    files *F = arg;
    if (F->rank != 0)
        return 0;
    FILE *f = fopen(F->csv, "rb");
    if (!f)
        return bench_fail(b, "io files: %s: %s", F->csv, strerror(errno));
    size_t len = (size_t)F->csv_bytes;
    char *text = malloc(len + 1);
    int rc = 0;
    if (!text || fread(text, 1, len, f) != len)
        rc = bench_fail(b, "io files: cannot read %s", F->csv);
    fclose(f);
    if (rc == 0) {
        text[len] = '\0';
        locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        double *out = calloc(CSV_COLS * 1024, sizeof(double));
        size_t k = 0;
        for (char *p = text, *e; out && *p; p = e + (*e != '\0')) {
            out[k++ % (CSV_COLS * 1024)] = strtod_l(p, &e, c);
            if (e == p)
                break;
        }
        F->sink += (out ? out[0] : 0) + (double)k;
        if (k != F->csv_rows * CSV_COLS)
            rc = bench_fail(b, "io files: naive csv parsed %zu numbers", k);
        free(out);
        freelocale(c);
    }
    free(text);
    return rc;
}

int bench_io_files(bench *b, const char *dir)
{
    files F = {0};
    F.ctx = bench_ctx(b);
    F.rank = pa_ctx_rank(F.ctx);
    F.size = pa_ctx_size(F.ctx);
    snprintf(F.dir, sizeof F.dir, "%s/files", dir);
    snprintf(F.pattern, sizeof F.pattern, "%s/part-%%05d.npy", F.dir);
    snprintf(F.csv, sizeof F.csv, "%s/table.csv", dir);
    snprintf(F.h5_one, sizeof F.h5_one, "%s/import-one.h5", dir);
    snprintf(F.h5_all, sizeof F.h5_all, "%s/import-all.h5", dir);
    int rc = 0, f_save = -1, f_save_one = -1, f_durable = -1, f_one = -1, f_all = -1;
    int f_csv = -1, f_naive = -1, f_imp_one = -1, f_imp_all = -1;
    /* One file per MiB of the io experiment's size, at least 10 and at
     * most NFILES (1000 at the default 1 GiB, 100 under --quick), and the
     * CSV table in proportion: small runs stay small. */
    size_t mib = bench_bytes(b, BENCH_IO_BYTES, BENCH_IO_BYTES_QUICK) >> 20;
    F.nfiles = mib < 10 ? 10 : mib > NFILES ? NFILES : (int)mib;
    size_t csv_bytes = bench_options(b)->csv_bytes;
    F.csv_rows = csv_bytes ? (csv_bytes + CSV_ROW_BYTES - 1) / CSV_ROW_BYTES
                           : (size_t)CSV_ROWS * (size_t)F.nfiles / NFILES;

    /* Setup, untimed: the directory, rank 0's own context, the source array
     * a[i] = i and its names. */
    if (F.rank == 0 && mkdir(F.dir, 0777) < 0 && errno != EEXIST)
        rc = bench_fail(b, "io files: mkdir %s: %s", F.dir, strerror(errno));
    if (rc == 0 && F.rank == 0 && pa_init_comm(MPI_COMM_SELF, &F.solo) != PA_OK)
        rc = bench_fail(b, "io files: %s", pa_errmsg(NULL));
    if ((rc = bench_agree(b, rc)) != 0)
        return rc;
    size_t shape[2] = {(size_t)F.nfiles, FILE_ELEMS};
    if (pa_array_create(F.ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &F.src) != PA_OK) {
        bench_fail(b, "io files: %s", pa_errmsg(F.ctx));
        rc = bench_agree(b, -1);
        goto out;
    }
    if (F.rank == 0 &&
        pa_array_create(F.solo, PA_F64, 2, shape, PA_DISTRIBUTED, &F.solo_src) != PA_OK)
        rc = bench_fail(b, "io files: one rank: %s", pa_errmsg(F.solo));
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;
    pa_array *srcs[2] = {F.src, F.solo_src};
    pa_span s;
    for (int k = 0; k < 2 && srcs[k]; k++) {
        pa_array_local(srcs[k], &s);
        for (size_t i = 0; i < s.count; i++)
            ((double *)s.ptr)[i] = (double)(s.offset + i);
        pa_array_sync(srcs[k]);
    }
    F.paths = calloc((size_t)F.nfiles, sizeof *F.paths);
    for (int i = 0; F.paths && i < F.nfiles; i++) {
        F.paths[i] = malloc(PATH_MAX);
        snprintf(F.paths[i], PATH_MAX, F.pattern, i);
    }
    F.file_bytes = F.nfiles * (128.0 + FILE_ELEMS * 8.0);

    /* Saves, then loads of what they leave: one rank and all ranks paired;
     * then durable saves alone. */
    char lab[5][96];
    snprintf(lab[0], sizeof lab[0], "naive: one rank saves %d x 100 KB .npy", F.nfiles);
    snprintf(lab[1], sizeof lab[1], "parray save_files %d x 100 KB .npy, all ranks", F.nfiles);
    snprintf(lab[2], sizeof lab[2], "parray save_files durable (fsync), all ranks");
    snprintf(lab[3], sizeof lab[3], "naive: one rank loads %d x 100 KB .npy", F.nfiles);
    snprintf(lab[4], sizeof lab[4], "parray load_files %d x 100 KB .npy, all ranks", F.nfiles);
    bench_spec pair[2] = {
        {.size = F.file_bytes, .work = F.file_bytes, .combine = BENCH_RANK0},
        {.size = F.file_bytes, .work = F.file_bytes, .combine = BENCH_MAX},
    };
    void *args[2] = {&F, &F};
    int figs[2];
    pair[0].method = lab[0], pair[1].method = lab[1];
    bench_fn saves[2] = {save_one_rep, save_all_rep};
    if ((rc = bench_time_steps(b, pair, saves, args, 2, figs)) != 0)
        goto out;
    f_save_one = figs[0], f_save = figs[1];
    bench_ratio(b, f_save, f_save_one, "one rank");
    F.save.durable = 1;
    pair[1].method = lab[2];
    rc = bench_time(b, &pair[1], save_all_rep, &F, &f_durable);
    F.save.durable = 0;
    if (rc != 0)
        goto out;
    bench_ratio(b, f_durable, f_save, "save_files");
    pair[0].method = lab[3], pair[1].method = lab[4];
    bench_fn loads[2] = {load_one_rep, load_all_rep};
    if ((rc = bench_time_steps(b, pair, loads, args, 2, figs)) != 0)
        goto out;
    f_one = figs[0], f_all = figs[1];
    bench_ratio(b, f_all, f_one, "one rank");

    /* CSV: a table of random-looking f64 written as %.17g (round-trip
     * text, 17 significant digits: the hard case for exact parsing). */
    size_t cshape[2] = {F.csv_rows, CSV_COLS};
    pa_array *t = NULL;
    rc = pa_array_create(F.ctx, PA_F64, 2, cshape, PA_DISTRIBUTED, &t) == PA_OK ? 0 : -1;
    if (rc == 0) {
        pa_array_local(t, &s);
        for (size_t i = 0; i < s.count; i++) {
            uint64_t x = (s.offset + i) * 0x9E3779B97F4A7C15ULL;
            ((double *)s.ptr)[i] = (double)(x >> 11) * 0x1p-53 * 1000.0;
        }
        pa_array_sync(t);
        rc = pa_save_csv(t, F.csv, NULL) == PA_OK ? 0 : -1;
    }
    if (rc < 0)
        bench_fail(b, "io files: csv: %s", pa_errmsg(F.ctx));
    pa_array_free(&t);
    if ((rc = bench_agree(b, rc)) != 0)
        goto out;
    struct stat st;
    F.csv_bytes = stat(F.csv, &st) == 0 ? (double)st.st_size : 0;
    MPI_Bcast(&F.csv_bytes, 1, MPI_DOUBLE, 0, pa_ctx_comm(F.ctx));
    /* work in MB per rank x 1e3: the figure reads in MB/s per rank. */
    bench_spec cspec = {.method = "parray load_csv (exact), per rank",
                        .size = F.csv_bytes,
                        .work = F.csv_bytes * 1e3 / F.size,
                        .rate_unit = "MB/s/rank",
                        .combine = BENCH_MAX};
    if ((rc = bench_time(b, &cspec, csv_rep, &F, &f_csv)) != 0)
        goto out;
    cspec.method = "naive: one rank, strtod per number";
    cspec.work = F.csv_bytes * 1e3;
    cspec.combine = BENCH_RANK0;
    if ((rc = bench_time(b, &cspec, csv_naive_rep, &F, &f_naive)) != 0)
        goto out;
    bench_ratio(b, f_csv, f_naive, "strtod");

    /* The import, one rank and all ranks paired. */
    bench_spec ipair[2] = {
        {.method = "parray import CSV (pa_import_csv), one rank",
         .size = F.csv_bytes,
         .work = F.csv_bytes,
         .combine = BENCH_RANK0,
         .role = BENCH_NAIVE},
        {.method = "parray import CSV (pa_import_csv), all ranks",
         .size = F.csv_bytes,
         .work = F.csv_bytes,
         .combine = BENCH_MAX},
    };
    bench_fn imports[2] = {import_one_rep, import_all_rep};
    if ((rc = bench_time_steps(b, ipair, imports, args, 2, figs)) != 0)
        goto out;
    f_imp_one = figs[0], f_imp_all = figs[1];
    bench_ratio(b, f_imp_all, f_imp_one, "one rank");

    if (F.size >= 2) {
        bench_target(b, f_all, f_one, BENCH_AT_LEAST, 1.8, "one rank");
        bench_target(b, f_imp_all, f_imp_one, BENCH_AT_LEAST, 1.8, "one rank");
    }
    bench_target_value(b, f_csv, 1, 200, "MB/s/rank");
    bench_note(b, "io files: %d .npy files of %d f64 in %s; loads come from the page cache%s",
               F.nfiles, FILE_ELEMS, F.dir,
               F.size < 2 ? "; the all-ranks target (1.8x one rank) needs 2 ranks" : "");
    bench_note(b, "io files: one rank and all ranks alternate in every repetition (paired); "
                  "saves replace the files of the repetition before, each through a new "
                  "temporary renamed over it, and return with the data in the page cache "
                  "unless durable (fsync of every file, and of the directory once)");
    bench_note(b,
               "io files: CSV of %zu rows x %d f64 as %%.17g, %.0f MB (--csv-bytes); its "
               "target is above numpy's loadtxt (~180 MB/s); the import saves it to %s, "
               "one rank and all ranks paired%s",
               F.csv_rows, CSV_COLS, F.csv_bytes / 1e6, dir,
               F.size < 2 ? "; its target (1.8x one rank) needs 2 ranks" : "");

out:
    MPI_Barrier(pa_ctx_comm(F.ctx)); /* every rank is done with the files */
    if (F.rank == 0) {
        for (int i = 0; F.paths && i < F.nfiles; i++)
            unlink(F.paths[i]);
        unlink(F.csv);
        unlink(F.h5_one);
        unlink(F.h5_all);
        rmdir(F.dir);
    }
    for (int i = 0; F.paths && i < F.nfiles; i++)
        free(F.paths[i]);
    free(F.paths);
    pa_array_free(&F.src);
    pa_array_free(&F.solo_src);
    if (F.solo)
        pa_finalize(&F.solo);
    return rc;
}
