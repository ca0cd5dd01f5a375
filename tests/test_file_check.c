/* Files as the ranks see them (src/file_check.c). What is not a regular
 * file (a FIFO, a socket, a directory, a character device when root, and
 * symbolic links to them) is never read and never replaced: every load and
 * save refuses it with PA_EINVAL naming it, without blocking, and leaves it
 * as it was with no temporary. A symbolic link to a regular file is saved
 * through. Files that differ between ranks: each rank works in its own
 * directory with relative paths, as on nodes with local disks; a file that
 * only rank 0 has, files of one name but another size or modification time,
 * and an output directory that only rank 0 has, or that is another
 * directory on each rank, are errors on every rank with the same message
 * naming the ranks. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "file_check.h"

static char dir[256]; /* this run's directory, the same on every rank */

static void setup(void)
{
    tu_ctx_self_setup();
    tu_tmpdir_make(dir, sizeof dir, "fcheck");
}

static void teardown(void)
{
    tu_tmpdir_remove(dir);
    tu_ctx_self_teardown();
}

static char *file(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static pa_array *small(pa_ctx *c, double v)
{
    size_t shape[2] = {6, 4};
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, PA_F64, 2, shape, PA_DISTRIBUTED, &a), c);
    TU_OK(pa_full(a, v), c);
    return a;
}

/* ------------------------------------------------------------ kinds */

/* Rank 0 makes a socket file at path (bound, then closed). */
static int make_socket(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

typedef struct {
    const char *name; /* in the run's directory */
    const char *kind; /* in the message */
    mode_t type;
} special;

/* A load and a save of every kind of call on path, each refused with
 * PA_EINVAL saying what path is; path keeps its type; no temporary. */
static void refused(const special *sp, pa_array *a, pa_array *row)
{
    const char *p = file(sp->name);
    char want[128], pat[600];
    snprintf(want, sizeof want, "is %s, not a regular file", sp->kind);
    pa_array *b = NULL;
    pa_files_opts raw = {.dtype = PA_F64, .ndim = 1, .shape = {4}};
    const char *paths[1] = {p};
    /* Every name ends in 0: ".../fifo0" is row 0 of ".../fifo%d". */
    snprintf(pat, sizeof pat, "%.*s%%d", (int)strlen(p) - 1, p);
    for (int k = 0; k < 8; k++) {
        int rc;
        switch (k) {
        case 0: rc = pa_h5_save(a, p, "x", NULL); break;
        case 1: rc = pa_h5_load(ctx, p, "x", NULL, &b); break;
        case 2: rc = pa_save_csv(a, p, NULL); break;
        case 3: rc = pa_load_csv(ctx, p, NULL, &b); break;
        case 4: rc = pa_load_files(ctx, paths, 1, PA_FORMAT_NPY, NULL, &b); break;
        case 5: rc = pa_load_files(ctx, paths, 1, PA_FORMAT_RAW, &raw, &b); break;
        case 6: rc = pa_save_files(row, pat, PA_FORMAT_NPY, NULL); break;
        default: rc = pa_h5_info(ctx, p, "x", NULL, NULL, NULL); break;
        }
        TU_ASSERT(rc == PA_EINVAL && strstr(pa_errmsg(ctx), want) &&
                      strstr(pa_errmsg(ctx), sp->name),
                  "%s, call %d: %s: %s", sp->name, k, pa_errname(rc), pa_errmsg(ctx));
        TU_CHECK(tu_same_str(pa_errmsg(ctx)));
        TU_CHECK(b == NULL);
    }
    struct stat st;
    TU_ASSERT(lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == sp->type, "%s was changed",
              sp->name);
    TU_CHECK(tu_stale_temps(dir) == 0);
}

START_TEST(not_regular)
{
    /* Character devices only as root; never a real one, and never
     * /dev/null: a new node with null's numbers in the run's directory. */
    int root = geteuid() == 0;
    special sp[] = {
        {"fifo0", "a FIFO", S_IFIFO},
        {"sock0", "a socket", S_IFSOCK},
        {"dir0", "a directory", S_IFDIR},
        {"dev0", "a character device", S_IFCHR},
    };
    int n = root ? 4 : 3, made = 1;
    if (tu_rank() == 0)
        made = mkfifo(file("fifo0"), 0666) == 0 && make_socket(file("sock0")) &&
               mkdir(file("dir0"), 0777) == 0 &&
               (!root || mknod(file("dev0"), S_IFCHR | 0666, makedev(1, 3)) == 0);
    TU_ASSERT(made, "cannot make the special files");
    pa_array *a = small(ctx, 1), *row = NULL;
    size_t one[2] = {1, 4};
    TU_OK(pa_array_create(ctx, PA_F64, 2, one, PA_DISTRIBUTED, &row), ctx);
    for (int i = 0; i < n; i++)
        refused(&sp[i], a, row);

    /* A symbolic link to any of them is refused the same way. */
    if (tu_rank() == 0)
        made = symlink(sp[n - 1].name, file("link0")) == 0;
    TU_CHECK(made);
    special link = sp[n - 1];
    link.name = "link0";
    link.type = S_IFLNK;
    refused(&link, a, row);

    /* A link to a regular file is followed: the file is replaced, the link
     * stays a link. */
    TU_OK(pa_h5_save(a, file("real.h5"), "x", NULL), ctx);
    if (tu_rank() == 0)
        made = symlink("real.h5", file("link.h5")) == 0;
    TU_CHECK(made);
    pa_array *two = small(ctx, 2), *b = NULL;
    TU_OK(pa_h5_save(two, file("link.h5"), "x", NULL), ctx);
    struct stat st;
    TU_CHECK(lstat(file("link.h5"), &st) == 0 && S_ISLNK(st.st_mode));
    TU_OK(pa_h5_load(ctx, file("real.h5"), "x", NULL, &b), ctx);
    double sum = 0;
    TU_OK(pa_reduce(b, PA_RED_SUM, -1, &sum), ctx);
    TU_CHECK(sum == 48);
    pa_array_free(&b);
    pa_array_free(&two);
    pa_array_free(&row);
    pa_array_free(&a);
}
END_TEST

/* ------------------------------------------------------------ agreement */

static char home[1024]; /* the working directory before a test moved it */

/* Every rank moves into its own directory <dir>/rK, as if each had its own
 * disk; relative paths then name different files. */
static void own_dirs(void)
{
    char mine[600];
    snprintf(mine, sizeof mine, "%s/r%d", dir, tu_rank());
    TU_CHECK(getcwd(home, sizeof home) != NULL);
    TU_CHECK(mkdir(mine, 0777) == 0 && chdir(mine) == 0);
}

/* Not collective: 1 when path now holds text. */
static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0;
    return f && fclose(f) == 0 && ok;
}

/* Sets path's modification time to sec (whole seconds). */
static void set_mtime(const char *path, long sec)
{
    struct timespec t[2] = {{sec, 0}, {sec, 0}};
    TU_CHECK(utimensat(AT_FDCWD, path, t, 0) == 0);
}

/* The call failed with PA_EIO on every rank, with the same message that
 * holds every piece of want (NULL-ended). */
static void failed_with(int rc, const char *const *want)
{
    int ok = rc == PA_EIO;
    for (int i = 0; want[i]; i++)
        ok = ok && strstr(pa_errmsg(ctx), want[i]);
    TU_ASSERT(ok, "%s: %s", pa_errname(rc), pa_errmsg(ctx));
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
}

/* "0" / "0,2" / "0,2-3": the ranks but rank 1 of P, as the messages write
 * them. */
static void others(int P, char *buf, size_t cap)
{
    snprintf(buf, cap, "0");
    if (P == 3)
        snprintf(buf, cap, "0,2");
    else if (P > 3)
        snprintf(buf, cap, "0,2-%d", P - 1);
}

START_TEST(differs_between_ranks)
{
    int P = tu_size(), r = tu_rank();
    if (P == 1)
        return; /* one rank sees one file */
    own_dirs();
    char rest[64], want[256];
    others(P, rest, sizeof rest);

    /* A file that only rank 0 has. */
    pa_array *a = small(ctx, 1), *b = NULL;
    pa_array *mine = small(self, 1 + r);
    int rc = r == 0 ? pa_h5_save(mine, "only0.h5", "x", NULL) : PA_OK;
    TU_OK(rc, self);
    TU_CHECK(r != 0 || write_text("only0.csv", "1,2\n3,4\n"));
    failed_with(pa_h5_load(ctx, "only0.h5", "x", NULL, &b),
                (const char *[]){"only0.h5: missing on rank", "(exists on rank 0)", NULL});
    failed_with(pa_h5_info(ctx, "only0.h5", "x", NULL, NULL, NULL),
                (const char *[]){"only0.h5: missing on rank", NULL});
    failed_with(pa_load_csv(ctx, "only0.csv", NULL, &b),
                (const char *[]){"only0.csv: missing on rank", NULL});

    /* Files of one name and one shape but other numbers: the same size,
     * told apart by their modification times. */
    TU_OK(pa_h5_save(mine, "x.h5", "x", NULL), self);
    set_mtime("x.h5", 1000000000L + r);
    failed_with(pa_h5_load(ctx, "x.h5", "x", NULL, &b),
                (const char *[]){"x.h5: differs between ranks: modification time "
                                 "2001-09-09 01:46:40.000000000 UTC on rank 0, ",
                                 NULL});
    TU_CHECK(b == NULL);
    TU_CHECK(write_text("x.csv", r == 1 ? "5,6\n7,8\n" : "1,2\n3,4\n"));
    set_mtime("x.csv", 1000000000L + r);
    failed_with(pa_load_csv(ctx, "x.csv", NULL, &b),
                (const char *[]){"x.csv: differs between ranks: modification time", NULL});
    /* ... and by their sizes, with the ranks of each size. */
    TU_CHECK(write_text("y.csv", r == 1 ? "10,2\n" : "1,2\n"));
    snprintf(want, sizeof want,
             "t: y.csv: differs between ranks: size 4 on rank%s %s, 5 on rank 1",
             P > 2 ? "s" : "", rest);
    TU_RC(pa__file_agree(ctx, MPI_COMM_WORLD, "t", "y.csv", PA__FILE_INPUT, NULL), PA_EIO, ctx);
    TU_ASSERT(strcmp(pa_errmsg(ctx), want) == 0, "'%s', want '%s'", pa_errmsg(ctx), want);

    /* An output directory that only rank 0 has: nothing is written. */
    TU_CHECK(r != 0 || mkdir("out", 0777) == 0);
    const char *gone[] = {"the directory out: missing on rank", "(exists on rank 0)", NULL};
    failed_with(pa_h5_save(a, "out/y.h5", "y", NULL), gone);
    failed_with(pa_save_csv(a, "out/y.csv", NULL), gone);
    failed_with(
        pa_save_files(a, "out/p%d.npy", PA_FORMAT_NPY, NULL),
        (const char *[]){"pattern 'out/p%d.npy': the directory out: missing on rank", NULL});
    /* ... or that is another directory on every rank: a rank cannot see the
     * temporary that rank 0 made. Per-rank files may go there, though. */
    TU_CHECK(r == 0 || mkdir("out", 0777) == 0);
    failed_with(
        pa_h5_save(a, "out/y.h5", "y", NULL),
        (const char *[]){"out/y.h5: the directory out is not one directory on every rank: "
                         "the temporary .y.h5.parray-tmp.",
                         ": missing on rank", NULL});
    struct stat st;
    TU_CHECK(stat("out/y.h5", &st) < 0 && tu_stale_temps("out") == 0);
    TU_OK(pa_save_files(a, "out/p%d.npy", PA_FORMAT_NPY, NULL), ctx);

    pa_array_free(&mine);
    pa_array_free(&a);
    TU_CHECK(chdir(home) == 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("file_check");
    TCase *tc = tu_tcase(s, "file_check");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, not_regular);
    tcase_add_test(tc, differs_between_ranks);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, suite);
}
