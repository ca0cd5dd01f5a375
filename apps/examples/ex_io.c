/* Concern 1 of docs/guide.md: load and save arrays concurrently.
 *
 * 1. Parallel HDF5: pa_h5_save writes an array as one dataset, every rank
 *    writing its own rows (the save is crash-safe: a temporary file renamed
 *    over the target); pa_h5_load reads it back, on any number of ranks.
 * 2. Many files: pa_save_files writes each row as one .npy file, each rank
 *    writing a share of them at once; pa_load_files stacks the files back
 *    into one array, each rank reading its share straight into its rows.
 * 3. An error: a missing file gives PA_EIO, on every rank, naming the file.
 * Everything goes to a new temporary directory, removed at the end.
 *
 * Build: mpicc ex_io.c $(pkg-config --cflags --libs parray)
 * Run:   mpirun -n 2 ./ex_io              (exit status 0 when the checks pass) */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <parray.h>

#define ROWS 64 /* also the number of files */
#define COLS 1000

#define TRY(call)                                                                                \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_ != PA_OK) {                                                                      \
            if (pa_ctx_rank(ctx) == 0)                                                           \
                fprintf(stderr, "ex_io: %s: %s\n", pa_errname(rc_), pa_errmsg(ctx));             \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

static int everywhere(int ok)
{
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return ok;
}

/* Two arrays of one dtype, shape and distribution on one context have the
 * same split over the ranks: each rank compares its own parts, in place. */
static int same(const pa_array *a, const pa_array *b)
{
    pa_span sa, sb;
    pa_array_local(a, &sa);
    pa_array_local(b, &sb);
    size_t bytes = sa.count * pa_dtype_size(pa_array_dtype(a));
    int ok = sa.count == sb.count && memcmp(sa.ptr, sb.ptr, bytes) == 0;
    return everywhere(ok);
}

int main(int argc, char **argv)
{
    pa_ctx *ctx = NULL;
    pa_array *a = NULL, *h = NULL, *f = NULL, *missing = NULL;
    char dir[PATH_MAX] = "", file[PATH_MAX + 16], pattern[PATH_MAX + 16];
    char *paths_buf = NULL, *units = NULL;
    const char *paths[ROWS];
    int status = 1, made = 0;

    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "ex_io: %s\n", pa_errmsg(NULL));
        return 1;
    }
    int rank = pa_ctx_rank(ctx);

    /* A scratch directory: rank 0 makes it and tells the others its name. */
    if (rank == 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/parray-ex_io.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
            dir[0] = 0;
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (!dir[0]) {
        if (rank == 0)
            perror("ex_io: mkdtemp");
        goto out;
    }
    made = 1;

    TRY(pa_array_create(ctx, PA_F64, 2, (size_t[]){ROWS, COLS}, PA_DISTRIBUTED, &a));
    TRY(pa_random_normal(a, 11, 0, 0.0, 1.0));

    /* 1. One HDF5 dataset (groups on the way are created), and an attribute. */
    snprintf(file, sizeof file, "%s/data.h5", dir);
    TRY(pa_h5_save(a, file, "/results/a", NULL));
    TRY(pa_h5_attr_set_str(ctx, file, "/results/a", "units", "metres"));

    pa_dtype dt;
    int ndim;
    size_t shape[PA_MAXDIM];
    TRY(pa_h5_info(ctx, file, "/results/a", &dt, &ndim, shape));
    TRY(pa_h5_load(ctx, file, "/results/a", NULL, &h));
    TRY(pa_h5_attr_get_str(ctx, file, "/results/a", "units", &units)); /* ours to free */
    if (!(dt == PA_F64 && ndim == 2 && shape[0] == ROWS && shape[1] == COLS) || !same(a, h) ||
        strcmp(units, "metres") != 0) {
        if (rank == 0)
            fprintf(stderr, "ex_io: the HDF5 dataset does not read back as saved\n");
        goto out;
    }

    /* 2. Many files: row i of a becomes part-00i.npy, a (COLS,) array. */
    snprintf(pattern, sizeof pattern, "%s/part-%%03d.npy", dir);
    TRY(pa_save_files(a, pattern, PA_FORMAT_AUTO, NULL));
    size_t len = strlen(dir) + 32;
    paths_buf = malloc(ROWS * len);
    if (!everywhere(paths_buf != NULL)) {
        if (rank == 0)
            fprintf(stderr, "ex_io: out of memory\n");
        goto out;
    }
    for (int i = 0; i < ROWS; i++) {
        snprintf(paths_buf + i * len, len, "%s/part-%03d.npy", dir, i);
        paths[i] = paths_buf + i * len;
    }
    TRY(pa_load_files(ctx, paths, ROWS, PA_FORMAT_AUTO, NULL, &f)); /* (ROWS, COLS) */
    if (!same(a, f)) {
        if (rank == 0)
            fprintf(stderr, "ex_io: the .npy files do not read back as saved\n");
        goto out;
    }

    /* 3. A missing file: the same code and message on every rank, *out NULL. */
    snprintf(file, sizeof file, "%s/missing.h5", dir);
    int rc = pa_h5_load(ctx, file, "/x", NULL, &missing);
    if (rc != PA_EIO || missing || !strstr(pa_errmsg(ctx), "missing.h5")) {
        if (rank == 0)
            fprintf(stderr, "ex_io: expected PA_EIO naming missing.h5, got %s: %s\n",
                    pa_errname(rc), pa_errmsg(ctx));
        goto out;
    }
    if (rank == 0)
        printf("ex_io: ok: %d ranks saved and loaded one dataset and %d files; "
               "a missing file gives %s: %s\n",
               pa_ctx_size(ctx), ROWS, pa_errname(rc), pa_errmsg(ctx));
    status = 0;
out:
    free(units);
    free(paths_buf);
    pa_array_free(&f);
    pa_array_free(&h);
    pa_array_free(&a);
    /* Every collective call above has returned on every rank, so every file
     * is closed: rank 0 removes them. An rmdir that fails means a file was
     * left behind (a temporary of a failed save, say). */
    MPI_Barrier(MPI_COMM_WORLD);
    if (made && rank == 0) {
        snprintf(file, sizeof file, "%s/data.h5", dir);
        unlink(file);
        for (int i = 0; i < ROWS; i++) {
            snprintf(file, sizeof file, "%s/part-%03d.npy", dir, i);
            unlink(file);
        }
        if (rmdir(dir) != 0) {
            perror("ex_io: rmdir");
            status = 1;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    pa_finalize(&ctx);
    return status;
}
