/* An LD_PRELOAD library for tests/h5_crash.sh: kills its process with
 * SIGKILL at the Nth write into one file, to see what a save killed at that
 * moment leaves. It wraps the calls that HDF5's and Open MPI's writers use
 * (write, pwrite, pwritev and their 64-bit names) and counts those whose
 * descriptor is open on the file, or on a save's temporary beside it.
 *
 *   KILL_WRITE_FILE=PATH   the file whose writes count (required), and those
 *                          of ".NAME.parray-tmp.*" beside it
 *   KILL_WRITE_AT=N        kill at the Nth write (1-based); 0 never
 *   KILL_WRITE_TORN=1      first write half of that write's bytes: a torn write
 *   KILL_WRITE_RANK=R      count only in the process of that job rank
 *                          (OMPI_COMM_WORLD_RANK, so under mpirun only;
 *                          default 0)
 *   KILL_WRITE_COUNT=PATH  at exit, append the number of writes counted
 *                          (for KILL_WRITE_AT=0: how many points there are)
 *   KILL_WRITE_LOG=PATH    append "N OFFSET BYTES" for each write counted */
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long counted;
static int active = -1; /* -1 not set up yet, 0 off, 1 counting */
static long kill_at;
static int torn;
static char target[PATH_MAX], temps[PATH_MAX];

static void setup(void)
{
    if (active >= 0)
        return;
    active = 0;
    const char *file = getenv("KILL_WRITE_FILE");
    const char *rank = getenv("OMPI_COMM_WORLD_RANK");
    const char *want = getenv("KILL_WRITE_RANK");
    if (!file || !realpath(file, target))
        return;
    const char *base = strrchr(target, '/') + 1;
    snprintf(temps, sizeof temps, "%.*s.%s.parray-tmp.", (int)(base - target), target, base);
    if (!rank || atoi(rank) != atoi(want ? want : "0"))
        return; /* not a rank (mpirun itself), or another rank */
    const char *at = getenv("KILL_WRITE_AT");
    kill_at = at ? atol(at) : 0;
    torn = getenv("KILL_WRITE_TORN") && atoi(getenv("KILL_WRITE_TORN")) == 1;
    active = 1;
}

/* Whether fd is open on the target file. */
static int on_target(int fd)
{
    setup();
    if (!active)
        return 0;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return 0;
    path[n] = '\0';
    return strcmp(path, target) == 0 || strncmp(path, temps, strlen(temps)) == 0;
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);

/* Counts one write of len bytes at off (-1: at the file position) into fd;
 * at the chosen one, writes half of it when torn, then dies. */
static void count(int fd, const void *buf, size_t len, off_t off)
{
    if (!on_target(fd))
        return;
    ++counted;
    const char *log = getenv("KILL_WRITE_LOG");
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "%ld %lld %zu\n", counted, (long long)off, len);
        fclose(f);
    }
    if (counted != kill_at)
        return;
    if (torn && buf && len > 1) {
        pwrite_fn real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
        if (off >= 0)
            real(fd, buf, len / 2, off);
    }
    raise(SIGKILL);
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t write(int fd, const void *buf, size_t len)
{
    count(fd, buf, len, -1);
    return REAL("write", ssize_t(*)(int, const void *, size_t))(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    count(fd, buf, len, off);
    return REAL("pwrite", pwrite_fn)(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    count(fd, buf, len, off);
    return REAL("pwrite64", pwrite_fn)(fd, buf, len, off);
}

/* A vector write counts once; torn, it writes half of its first piece. */
ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    count(fd, n > 0 ? iov[0].iov_base : NULL, n > 0 ? iov[0].iov_len : 0, off);
    return REAL("pwritev", ssize_t(*)(int, const struct iovec *, int, off_t))(fd, iov, n, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
    count(fd, n > 0 ? iov[0].iov_base : NULL, n > 0 ? iov[0].iov_len : 0, off);
    return REAL("pwritev64", ssize_t(*)(int, const struct iovec *, int, off_t))(fd, iov, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    count(fd, NULL, 0, -1);
    return REAL("writev", ssize_t(*)(int, const struct iovec *, int))(fd, iov, n);
}

__attribute__((destructor)) static void report(void)
{
    const char *out = getenv("KILL_WRITE_COUNT");
    if (active != 1 || !out)
        return;
    FILE *f = fopen(out, "a");
    if (f) {
        fprintf(f, "%ld\n", counted);
        fclose(f);
    }
}
