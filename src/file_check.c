/* Files as the ranks see them: the kind of a path, a non-blocking open of
 * an input, and the ranks' agreement that they see the same file (see
 * file_check.h). The agreement costs one allreduce; only when the ranks
 * differ are their records gathered, to say who sees what. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file_check.h"
#include "profile.h"

const char *pa__file_kind(mode_t m)
{
    if (S_ISREG(m))
        return "a regular file";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

int pa__file_regular(pa_ctx *ctx, const char *fn, const char *path, struct stat *st)
{
    struct stat own;
    if (!st)
        st = &own;
    if (stat(path, st) < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno));
    PA_CHECK_AS(ctx, fn, S_ISREG(st->st_mode), PA_EINVAL, "%s: is %s, not a regular file", path,
                pa__file_kind(st->st_mode));
    return PA_OK;
}

int pa__file_open_input(pa_ctx *ctx, const char *fn, const char *path, int *fd, size_t *size)
{
    *fd = -1;
    PA_TRY(pa__file_regular(ctx, fn, path, NULL));
    /* The path may have been replaced since the stat: O_NONBLOCK makes the
     * open of a FIFO return at once, and fstat tells what was opened. */
    int d = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (d < 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    int rc = PA_OK;
    if (fstat(d, &st) < 0)
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = pa__err(ctx, fn, PA_EINVAL, "%s: is %s, not a regular file", path,
                     pa__file_kind(st.st_mode));
    else if (fcntl(d, F_SETFL, fcntl(d, F_GETFL) & ~O_NONBLOCK) < 0)
        rc = pa__err(ctx, fn, PA_EIO, "%s: fcntl: %s", path, strerror(errno));
    if (rc < 0) {
        close(d);
        return rc;
    }
    *fd = d;
    *size = (size_t)st.st_size;
    return PA_OK;
}

/* ------------------------------------------------------------ agreement */

/* One rank's view of the path, compared field by field in this order: the
 * first field that differs between ranks is the one the message names. */
enum {
    F_KIND,   /* st_mode & S_IFMT, or 0 when stat failed */
    F_ERR,    /* stat's errno, or 0 */
    F_ACCESS, /* errno of an input's open, of a directory's access(W_OK | X_OK), or 0 */
    F_SIZE,   /* inputs only; 0 otherwise */
    F_SEC,    /* modification time, inputs only */
    F_NSEC,
    NF
};

static void look(const char *path, int flags, int64_t *v)
{
    struct stat st;
    memset(v, 0, sizeof(int64_t) * NF);
    if (stat(path, &st) < 0) {
        v[F_ERR] = errno;
        return;
    }
    v[F_KIND] = st.st_mode & S_IFMT;
    if (flags == PA__FILE_DIR) {
        if (S_ISDIR(st.st_mode) && access(path, W_OK | X_OK) < 0)
            v[F_ACCESS] = errno;
        return;
    }
    if (!S_ISREG(st.st_mode))
        return;
    /* Size and time of the file as opened: on a network file system an
     * open revalidates the client's cached attributes (close-to-open
     * consistency), which a stat may not, so a file just replaced on
     * another node does not look different. O_NONBLOCK: it may have become
     * a FIFO since the stat. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        v[F_ACCESS] = errno;
        return;
    }
    if (fstat(fd, &st) < 0) {
        v[F_ACCESS] = errno;
    } else if ((v[F_KIND] = st.st_mode & S_IFMT) == S_IFREG) {
        v[F_SIZE] = st.st_size;
        v[F_SEC] = st.st_mtim.tv_sec;
        v[F_NSEC] = st.st_mtim.tv_nsec;
    }
    close(fd);
}

/* A message under construction, cut at the buffer's end. */
typedef struct {
    char *s;
    size_t cap, len;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    if (t->len + 1 >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len = t->len + (size_t)n < t->cap ? t->len + (size_t)n : t->cap - 1;
}

/* Whether ranks a and b agree on fields [f0, f1) of all (NF per rank). */
static int same(const int64_t *all, int a, int b, int f0, int f1)
{
    return memcmp(all + (size_t)a * NF + f0, all + (size_t)b * NF + f0,
                  sizeof(int64_t) * (size_t)(f1 - f0)) == 0;
}

/* "rank 2" or "ranks 0-1,3": the ranks that agree with rank r on [f0, f1). */
static void add_ranks(text *t, const int64_t *all, int P, int r, int f0, int f1)
{
    int n = 0;
    for (int q = 0; q < P; q++)
        n += same(all, q, r, f0, f1);
    add(t, n == 1 ? "rank " : "ranks ");
    for (int q = 0, first = 1; q < P; q++) {
        if (!same(all, q, r, f0, f1))
            continue;
        int e = q;
        while (e + 1 < P && same(all, e + 1, r, f0, f1))
            e++;
        add(t, e > q ? "%s%d-%d" : "%s%d", first ? "" : ",", q, e);
        first = 0;
        q = e;
    }
}

/* What rank r's record says, for the first differing field f. */
static void add_value(text *t, const int64_t *v, int f, int flags)
{
    int want = flags == PA__FILE_DIR ? S_IFDIR : S_IFREG;
    if (f == F_KIND && v[F_KIND] == 0)
        add(t, "%s", v[F_ERR] == ENOENT ? "missing" : strerror((int)v[F_ERR]));
    else if (f == F_KIND)
        add(t, "%s", v[F_KIND] == want ? "exists" : pa__file_kind((mode_t)v[F_KIND]));
    else if (f == F_ACCESS)
        add(t, "%s%s", v[F_ACCESS] ? "not " : "",
            flags == PA__FILE_DIR ? "writable" : "readable");
    else if (f == F_SIZE)
        add(t, "%lld", (long long)v[F_SIZE]);
    else {
        /* UTC, so that every rank writes the same text. */
        time_t sec = (time_t)v[F_SEC];
        struct tm tm;
        char day[64] = "?";
        if (gmtime_r(&sec, &tm))
            strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
        add(t, "%s.%09lld UTC", day, (long long)v[F_NSEC]);
    }
}

/* The message when the ranks differ, from every rank's record. Existence,
 * kind and access are told as "missing on rank 1 (exists on rank 0)": the
 * ranks that see the wanted thing go in parentheses. Size and time are
 * told as "differs between ranks: size 8192 on ranks 0-1, 4096 on rank 2". */
static void describe(const int64_t *all, int P, int flags, char *buf, size_t cap)
{
    text t = {buf, cap, 0};
    int f = 0;
    while (f < NF - 1) {
        int differ = 0;
        for (int q = 1; q < P && !differ; q++)
            differ = !same(all, q, 0, f, f + 1);
        if (differ)
            break;
        f++;
    }
    /* The kind and the stat error are one field of the message, and the
     * modification time is seconds and nanoseconds. */
    int f0 = f == F_ERR ? F_KIND : f == F_NSEC ? F_SEC : f;
    int f1 = f0 == F_KIND ? F_ERR + 1 : f0 == F_SEC ? F_NSEC + 1 : f0 + 1;
    int want = flags == PA__FILE_DIR ? S_IFDIR : S_IFREG, shown = 0, good = -1;
    if (f0 >= F_SIZE)
        add(&t, "differs between ranks: %s ", f0 == F_SIZE ? "size" : "modification time");
    /* Each distinct value once, at the lowest rank that has it. A few
     * values say enough; a hostile file system could give one per rank. */
    for (int r = 0; r < P && shown < 4; r++) {
        const int64_t *v = all + (size_t)r * NF;
        int seen = 0;
        for (int q = 0; q < r && !seen; q++)
            seen = same(all, q, r, f0, f1);
        if (seen)
            continue;
        int fine = f0 == F_KIND ? v[F_KIND] == want : f0 == F_ACCESS ? v[F_ACCESS] == 0 : 0;
        if (fine && good < 0) {
            good = r;
            continue;
        }
        add(&t, shown ? ", " : "");
        add_value(&t, v, f0, flags);
        add(&t, " on ");
        add_ranks(&t, all, P, r, f0, f1);
        shown++;
    }
    if (shown == 4)
        add(&t, ", ...");
    if (good >= 0) {
        add(&t, " (");
        add_value(&t, all + (size_t)good * NF, f0, flags);
        add(&t, " on ");
        add_ranks(&t, all, P, good, f0, f1);
        add(&t, ")");
    }
}

/* The ranks differ: gather every record and describe them (the same text
 * on every rank). Collective; returns PA_EIO, or PA_ENOMEM/PA_EMPI. */
static int disagree(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *name, int flags,
                    const int64_t *mine)
{
    int P;
    PA_MPI(ctx, MPI_Comm_size(comm, &P));
    int64_t *all = malloc(sizeof(int64_t) * NF * (size_t)P);
    PA_TRY(pa__agree(ctx, comm, all ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory")));
    int rc = pa__mpi(ctx, fn, MPI_Allgather(mine, NF, MPI_INT64_T, all, NF, MPI_INT64_T, comm),
                     "MPI_Allgather");
    if (rc == PA_OK) {
        char why[PA_ERRMSG_MAX];
        describe(all, P, flags, why, sizeof why);
        rc = pa__err(ctx, fn, PA_EIO, "%s: %s", name, why);
    }
    free(all);
    return rc;
}

int pa__file_agree(pa_ctx *ctx, MPI_Comm comm, const char *fn, const char *path, int flags,
                   const char *fmt, ...)
{
    char name[PA_ERRMSG_MAX];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(name, sizeof name, fmt, ap);
        va_end(ap);
    } else {
        snprintf(name, sizeof name, "%s", path);
    }

    /* The minimum of each field and of its negation: its minimum and
     * maximum over the ranks, in one allreduce. */
    int64_t mine[NF], span[2 * NF];
    look(path, flags, mine);
    for (int i = 0; i < NF; i++) {
        span[i] = mine[i];
        span[NF + i] = -mine[i];
    }
    PA_TRY(pa__mpi(
        ctx, __func__,
        PA_PROFILE_WAIT(ctx, PA__WAIT_AGREE,
                        MPI_Allreduce(MPI_IN_PLACE, span, 2 * NF, MPI_INT64_T, MPI_MIN, comm)),
        "MPI_Allreduce"));
    for (int i = 0; i < NF; i++)
        if (span[i] != -span[NF + i])
            return disagree(ctx, comm, fn, name, flags, mine);

    /* Every rank sees the same: the same verdict everywhere. */
    if (mine[F_KIND] == 0)
        return pa__err(ctx, fn, PA_EIO, "%s: %s", name, strerror((int)mine[F_ERR]));
    if (flags == PA__FILE_DIR)
        PA_CHECK_AS(ctx, fn, S_ISDIR(mine[F_KIND]), PA_EINVAL, "%s: is %s, not a directory", name,
                    pa__file_kind((mode_t)mine[F_KIND]));
    else
        PA_CHECK_AS(ctx, fn, S_ISREG(mine[F_KIND]), PA_EINVAL, "%s: is %s, not a regular file",
                    name, pa__file_kind((mode_t)mine[F_KIND]));
    if (mine[F_ACCESS])
        return pa__err(ctx, fn, PA_EIO, "%s: %s", name, strerror((int)mine[F_ACCESS]));
    return PA_OK;
}
