/* `parray pack` stacks many files of one shape (.npy, CSV, raw, HDF5) into
 * one dataset of an HDF5 file, every rank reading its share of the files
 * and writing its rows with parallel HDF5; `parray unpack` writes the rows
 * of a dataset back as one file each. Both show progress on stderr from
 * rank 0 when it is a terminal and end with a one-line summary. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "dsarg.h"
#include "num.h"

static const char pack_usage[] =
    "usage: [mpirun -n N] parray pack [OPTIONS] FILE... | DIR | 'GLOB' -o OUT.h5:/DATASET\n"
    "\n"
    "Stacks n files that hold arrays of one dtype and shape S into the dataset\n"
    "(n, S...) of an HDF5 file: file i becomes row i. Each rank reads its share of\n"
    "the files straight into its rows, then the rows are written with parallel\n"
    "HDF5 (the file is replaced safely: a temporary, renamed when complete).\n"
    "Inputs are files in the order given, a directory (its files with a known\n"
    "extension, in name order; not hidden ones) or a quoted glob (in name order).\n"
    "\n"
    "Options:\n"
    "  -o FILE.h5:/DATASET  the output dataset (required); other datasets of an\n"
    "                       existing file are kept\n"
    "  -j N                 reader threads per rank (default 1): more reads in\n"
    "                       flight on network file systems, or idle cores used\n"
    "                       when there are fewer ranks than cores. The files are\n"
    "                       always shared among the ranks.\n"
    "  --format F           npy, csv, raw or h5 (default: from the extension)\n"
    "  --dtype D            CSV: the dtype to parse into (default f64);\n"
    "                       raw: the element type, one of" CMD_DTYPES "\n"
    "  --shape A,B,...      raw: each file's shape (default: 1-D from its size)\n"
    "  --delimiter C        CSV: the field separator (default ','; 'tab' or ' ':\n"
    "                       runs of blanks)\n"
    "  --comment C          CSV: the comment character (default '#'): a line\n"
    "                       that starts with it is skipped, and it ends a line's\n"
    "                       fields\n"
    "  --no-comments        CSV: no comment character; needed for a delimiter\n"
    "                       of '#' (a delimiter equal to the comment character\n"
    "                       is an error: it would drop every field after the\n"
    "                       first)\n"
    "  --header             CSV: skip each file's first line of data\n"
    "  --dataset /PATH      HDF5 inputs: the dataset in every file (default /data)\n"
    "  --place node|job     node (default): each node reads the files of its own\n"
    "                       rows, no copies; job: all ranks share all files by\n"
    "                       size and send rows to their node\n"
    "  --chunked            write the dataset chunked (default contiguous), in\n"
    "                       chunks of about 4 MiB that each rank writes whole\n"
    "\n"
    "Prints: pack: FILES files, BYTES bytes, SECONDS s, GB/s (bytes read from the\n"
    "input files over the whole time, reading and writing).\n"
    "Example: mpirun -n 2 parray pack 'frames/*.npy' -o frames.h5:/frames\n";

static const char unpack_usage[] =
    "usage: [mpirun -n N] parray unpack IN.h5:/DATASET -o PATTERN [OPTIONS]\n"
    "\n"
    "Writes row i of the dataset (n, S...) as one file holding an array of shape\n"
    "S, named PATTERN with i, e.g. 'out/part-%05d.npy': one file per row block of\n"
    "axis 0. The pattern holds exactly one integer conversion (%d, %i, %u with\n"
    "flags and width) and no other % but %%; the format comes from its extension\n"
    "(.npy, .csv, .raw/.bin, .h5). A missing directory is created. Each rank\n"
    "writes the files of its own rows; each file is written to a temporary and\n"
    "renamed, so an existing file is replaced whole or not at all, even when the\n"
    "job is killed. Without --durable the files may still be in the page cache\n"
    "when unpack ends (as numpy.save leaves them), so a power loss or a crash of\n"
    "the operating system soon after may leave a name with its old file, or with\n"
    "the new one empty or in part.\n"
    "\n"
    "Options:\n"
    "  -o PATTERN        the file names (required)\n"
    "  --durable         fsync every file before its rename and the directory\n"
    "                    after, so that the files survive a power loss (slower:\n"
    "                    every file waits for the disk)\n"
    "  --format F        npy, csv, raw or h5 (default: from the extension)\n"
    "  --big-endian      .npy: store big-endian ('>f8'; default little-endian)\n"
    "  --delimiter C     CSV: the field separator (default ',')\n"
    "  --comment C, --no-comments\n"
    "                    CSV: as for pack; the delimiter must differ from the\n"
    "                    comment character unless comments are off, so that\n"
    "                    the files read back with the same options\n"
    "  --dataset /PATH   HDF5 outputs: the dataset in every file (default /data)\n"
    "\n"
    "Prints: unpack: FILES files, BYTES bytes, SECONDS s, GB/s (bytes of data).\n"
    "Example: mpirun -n 2 parray unpack frames.h5:/frames -o 'out/f-%05d.npy'\n";

/* ------------------------------------------------------------ options */

static int parse_format(const char *s, pa_format *f)
{
    static const struct {
        const char *name;
        pa_format f;
    } names[] = {{"npy", PA_FORMAT_NPY}, {"csv", PA_FORMAT_CSV}, {"raw", PA_FORMAT_RAW},
                 {"h5", PA_FORMAT_H5},   {"hdf5", PA_FORMAT_H5}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    return -1;
}

/* A delimiter or comment character: one character (not a newline), or
 * "tab"; the library checks the pair. */
static int parse_char(const char *s, char *d)
{
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) {
        *d = '\t';
        return 0;
    }
    if (strlen(s) != 1 || *s == '\n' || *s == '\r')
        return -1;
    *d = *s;
    return 0;
}

/* ------------------------------------------------------------ progress */

typedef struct {
    const char *what;
    double start, last;
} progress;

static void show_progress(void *arg, size_t done, size_t total)
{
    progress *p = arg;
    double now = MPI_Wtime();
    if (done < total && now - p->last < 0.2)
        return;
    p->last = now;
    fprintf(stderr, "\r%s: %zu/%zu files on rank 0 (%.0f%%), %.1f s", p->what, done, total,
            total ? 100.0 * (double)done / (double)total : 100.0, now - p->start);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Installs the progress display on rank 0 when stderr is a terminal. */
static void want_progress(pa_ctx *ctx, pa_files_opts *o, progress *p, const char *what)
{
    p->what = what;
    p->start = p->last = MPI_Wtime();
    if (pa_ctx_rank(ctx) == 0 && isatty(STDERR_FILENO)) {
        o->progress = show_progress;
        o->progress_arg = p;
    }
}

static void summary(pa_ctx *ctx, const char *sub, size_t files, double bytes, double secs,
                    const char *detail)
{
    if (pa_ctx_rank(ctx) == 0)
        printf("%s: %zu files, %.0f bytes, %.3f s, %.3f GB/s (%s)\n", sub, files, bytes, secs,
               secs > 0 ? bytes / secs / 1e9 : 0.0, detail);
}

/* ------------------------------------------------------------ inputs */

typedef struct {
    char **v;
    size_t n, cap;
    double bytes;
} list;

static int add(list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, sizeof *v * c);
        if (!v)
            return -1;
        l->v = v;
        l->cap = c;
    }
    return (l->v[l->n++] = strdup(s)) ? 0 : -1;
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (list){0};
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rank 0: expands the arguments into files. Returns 0 or -1 with err. */
static int expand(char **args, int nargs, pa_format want, list *l, char *err, size_t errlen)
{
    for (int i = 0; i < nargs; i++) {
        const char *a = args[i];
        struct stat st;
        size_t first = l->n;
        if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(a);
            if (!d) {
                snprintf(err, errlen, "%s: %s", a, strerror(errno));
                return -1;
            }
            struct dirent *e;
            char path[PATH_MAX];
            while ((e = readdir(d))) {
                pa_format f = pa_format_of(e->d_name);
                if (e->d_name[0] == '.' || f == PA_FORMAT_AUTO || (want && f != want))
                    continue;
                snprintf(path, sizeof path, "%s/%s", a, e->d_name);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && add(l, path) < 0)
                    break;
            }
            closedir(d);
            if (l->n == first) {
                snprintf(err, errlen, "directory %s has no files with a known extension", a);
                return -1;
            }
        } else if (strpbrk(a, "*?[") && stat(a, &st) != 0) {
            glob_t g;
            int rc = glob(a, 0, NULL, &g);
            if (rc == GLOB_NOMATCH) {
                snprintf(err, errlen, "no files match '%s'", a);
                return -1;
            }
            for (size_t k = 0; rc == 0 && k < g.gl_pathc; k++)
                add(l, g.gl_pathv[k]);
            globfree(&g);
        } else {
            add(l, a); /* a missing file is reported by the load, by name */
        }
        qsort(l->v + first, l->n - first, sizeof *l->v, by_name);
    }
    for (size_t i = 0; i < l->n; i++) {
        struct stat st;
        if (stat(l->v[i], &st) == 0)
            l->bytes += (double)st.st_size;
    }
    return 0;
}

/* Rank 0 expands, everyone gets the same list (or the same error). */
static int share_list(pa_ctx *ctx, char **args, int nargs, pa_format want, list *l, char *err,
                      size_t errlen)
{
    MPI_Comm comm = pa_ctx_comm(ctx);
    unsigned long long len = 0;
    char *buf = NULL;
    int rc = 0;
    if (pa_ctx_rank(ctx) == 0) {
        rc = expand(args, nargs, want, l, err, errlen);
        for (size_t i = 0; rc == 0 && i < l->n; i++)
            len += strlen(l->v[i]) + 1;
        if (rc == 0 && !(buf = malloc(len + 1)))
            rc = -1;
        for (size_t i = 0, at = 0; rc == 0 && i < l->n; i++) {
            size_t k = strlen(l->v[i]) + 1;
            memcpy(buf + at, l->v[i], k);
            at += k;
        }
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    if (rc < 0) {
        MPI_Bcast(err, (int)errlen, MPI_CHAR, 0, comm);
        free(buf);
        return -1;
    }
    MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
    MPI_Bcast(&l->bytes, 1, MPI_DOUBLE, 0, comm);
    if (pa_ctx_rank(ctx) != 0 && !(buf = malloc(len + 1)))
        MPI_Abort(comm, 1); /* a few bytes per file: nothing sensible is left to do */
    for (unsigned long long off = 0; off < len; off += 1 << 30) {
        unsigned long long k = len - off < (1ULL << 30) ? len - off : 1ULL << 30;
        MPI_Bcast(buf + off, (int)k, MPI_CHAR, 0, comm);
    }
    if (pa_ctx_rank(ctx) != 0)
        for (unsigned long long at = 0; at < len; at += strlen(buf + at) + 1)
            add(l, buf + at);
    free(buf);
    return 0;
}

/* ------------------------------------------------------------ pack */

static int run_pack(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "pack", *out = NULL;
    pa_files_opts o = {0};
    pa_format format = PA_FORMAT_AUTO;
    pa_h5_opts h5 = {0};
    char **inputs = calloc((size_t)argc + 1, sizeof *inputs), err[1024];
    int ninputs = 0, status;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "-o") == 0) {
            out = v;
        } else if (strcmp(a, "-j") == 0) {
            uint64_t j;
            if (v && num_uint(a, v, 1, 256, &j, err, sizeof err) != 0) {
                free(inputs);
                return cmd_usage(ctx, sub, "%s", err);
            }
            o.threads = v ? (int)j : 0;
        } else if (strcmp(a, "--format") == 0) {
            if (!v || parse_format(v, &format) < 0) {
                free(inputs);
                return cmd_usage(ctx, sub, "--format takes npy, csv, raw or h5");
            }
        } else if (strcmp(a, "--dtype") == 0) {
            if (!v || pa_dtype_parse(v, &o.dtype) != PA_OK) {
                free(inputs);
                return cmd_usage(ctx, sub, "--dtype takes one of" CMD_DTYPES);
            }
        } else if (strcmp(a, "--shape") == 0) {
            /* A file's shape: its stack adds the first dimension. */
            if (v && num_uint_list(a, v, 0, SIZE_MAX, o.shape, PA_MAXDIM - 1, &o.ndim, err,
                                   sizeof err) != 0) {
                free(inputs);
                return cmd_usage(ctx, sub, "%s", err);
            }
        } else if (strcmp(a, "--delimiter") == 0) {
            if (!v || parse_char(v, &o.delimiter) < 0) {
                free(inputs);
                return cmd_usage(ctx, sub, "--delimiter takes one character or 'tab'");
            }
        } else if (strcmp(a, "--comment") == 0) {
            if (!v || parse_char(v, &o.comment) < 0) {
                free(inputs);
                return cmd_usage(ctx, sub, "--comment takes one character");
            }
        } else if (strcmp(a, "--dataset") == 0) {
            if (!v) {
                free(inputs);
                return cmd_usage(ctx, sub, "--dataset needs a path");
            }
            o.dataset = v;
        } else if (strcmp(a, "--place") == 0) {
            if (!v || (strcmp(v, "node") && strcmp(v, "job"))) {
                free(inputs);
                return cmd_usage(ctx, sub, "--place takes node or job");
            }
            o.place = strcmp(v, "job") == 0 ? PA_PLACE_JOB : PA_PLACE_NODE;
        } else {
            takes = 0;
            if (strcmp(a, "--header") == 0)
                o.header = 1;
            else if (strcmp(a, "--no-comments") == 0)
                o.no_comments = 1;
            else if (strcmp(a, "--chunked") == 0)
                h5.layout = PA_H5_CHUNKED;
            else if (a[0] == '-' && a[1]) {
                free(inputs);
                return cmd_usage(ctx, sub, "unknown option '%s'", a);
            } else
                inputs[ninputs++] = argv[i];
        }
        if (takes && !v) {
            free(inputs);
            return cmd_usage(ctx, sub, "%s needs a value", a);
        }
        i += takes;
    }
    dsarg ds;
    if (!out) {
        free(inputs);
        return cmd_usage(ctx, sub, "the output -o FILE.h5:/DATASET is required");
    }
    if (dsarg_parse(out, &ds, err, sizeof err) < 0) {
        free(inputs);
        return cmd_usage(ctx, sub, "-o %s", err);
    }
    if (ninputs == 0) {
        free(inputs);
        return cmd_usage(ctx, sub, "no input files");
    }

    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    list l = {0};
    if (share_list(ctx, inputs, ninputs, format, &l, err, sizeof err) < 0) {
        free(inputs);
        return cmd_fail(ctx, sub, "%s", err);
    }
    progress pr;
    want_progress(ctx, &o, &pr, "pack: reading");
    pa_array *a = NULL;
    int rc = pa_load_files(ctx, (const char *const *)l.v, l.n, format, &o, &a);
    if (rc == PA_OK)
        rc = pa_h5_save(a, ds.file, ds.dataset, &h5);
    if (rc != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
    } else {
        double secs = MPI_Wtime() - t0;
        char detail[PATH_MAX + 1200], shape[PA_MAXDIM * 24] = "";
        size_t s[PA_MAXDIM], len = 0;
        pa_array_shape(a, s);
        for (int k = 0; k < pa_array_ndim(a); k++)
            len += (size_t)snprintf(shape + len, sizeof shape - len, k ? ",%zu" : "%zu", s[k]);
        snprintf(detail, sizeof detail, "%s:%s (%s) %s", ds.file, ds.dataset, shape,
                 pa_dtype_name(pa_array_dtype(a)));
        summary(ctx, sub, l.n, l.bytes, secs, detail);
        status = 0;
    }
    pa_array_free(&a);
    list_free(&l);
    free(inputs);
    return status;
}

/* ------------------------------------------------------------ unpack */

/* The directories that make_dirs created: the deepest one, and the length
 * of the first of them in it (0: none was created), so that a failed unpack
 * can remove what it made. */
typedef struct {
    char path[PATH_MAX];
    size_t first;
} made_dirs;

/* Rank 0 makes the pattern's directory (and its parents) if missing. */
static int make_dirs(const char *pattern, made_dirs *made, char *err, size_t errlen)
{
    made->first = 0;
    /* Without a '/', there is no directory to make (and dirname would
     * return a constant "."). */
    if (!strchr(pattern, '/'))
        return 0;
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", pattern);
    char *dir = made->path;
    snprintf(dir, sizeof made->path, "%s", dirname(d));
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0777) == 0) {
                if (!made->first)
                    made->first = strlen(dir);
            } else if (errno != EEXIST) {
                snprintf(err, errlen, "cannot create directory %.512s: %s", dir, strerror(errno));
                *p = c;
                return -1;
            }
            *p = c;
            if (!c)
                return 0;
        }
    }
}

/* Rank 0, after a failed unpack: removes the directories make_dirs created,
 * deepest first, as far as they are empty (rmdir leaves any other one). */
static void remove_made_dirs(made_dirs *made)
{
    char *dir = made->path;
    while (made->first && strlen(dir) >= made->first && rmdir(dir) == 0) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
}

static int run_unpack(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "unpack", *out = NULL, *in = NULL;
    pa_files_opts o = {0};
    pa_format format = PA_FORMAT_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--big-endian") == 0 || strcmp(a, "--no-comments") == 0 ||
            strcmp(a, "--durable") == 0) {
            *(a[2] == 'b' ? &o.big_endian : a[2] == 'n' ? &o.no_comments : &o.durable) = 1;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (in)
                return cmd_usage(ctx, sub, "one input dataset only (got '%s' and '%s')", in, a);
            in = a;
            continue;
        }
        if (!v)
            return cmd_usage(ctx, sub, "%s needs a value", a);
        if (strcmp(a, "-o") == 0)
            out = v;
        else if (strcmp(a, "--format") == 0) {
            if (parse_format(v, &format) < 0)
                return cmd_usage(ctx, sub, "--format takes npy, csv, raw or h5");
        } else if (strcmp(a, "--delimiter") == 0) {
            if (parse_char(v, &o.delimiter) < 0)
                return cmd_usage(ctx, sub, "--delimiter takes one character or 'tab'");
        } else if (strcmp(a, "--comment") == 0) {
            if (parse_char(v, &o.comment) < 0)
                return cmd_usage(ctx, sub, "--comment takes one character");
        } else if (strcmp(a, "--dataset") == 0)
            o.dataset = v;
        else
            return cmd_usage(ctx, sub, "unknown option '%s'", a);
        i++;
    }
    dsarg ds;
    char err[1024];
    if (!in)
        return cmd_usage(ctx, sub, "the input IN.h5:/DATASET is required");
    if (dsarg_parse(in, &ds, err, sizeof err) < 0)
        return cmd_usage(ctx, sub, "%s", err);
    if (!out)
        return cmd_usage(ctx, sub, "the output -o PATTERN is required, e.g. 'out/part-%%05d.npy'");
    if (pa_files_pattern_check(ctx, out) != PA_OK)
        return cmd_usage(ctx, sub, "%s", pa_errmsg(ctx));

    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    made_dirs made = {.first = 0};
    int mk = pa_ctx_rank(ctx) == 0 ? make_dirs(out, &made, err, sizeof err) : 0;
    MPI_Bcast(&mk, 1, MPI_INT, 0, pa_ctx_comm(ctx));
    if (mk < 0) {
        MPI_Bcast(err, sizeof err, MPI_CHAR, 0, pa_ctx_comm(ctx));
        return cmd_fail(ctx, sub, "%s", err);
    }
    pa_array *a = NULL;
    int rc = pa_h5_load(ctx, ds.file, ds.dataset, NULL, &a);
    progress pr;
    want_progress(ctx, &o, &pr, "unpack: writing");
    if (rc == PA_OK)
        rc = pa_save_files(a, out, format, &o);
    int status = 0;
    if (rc != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", pa_errmsg(ctx));
        if (pa_ctx_rank(ctx) == 0)
            remove_made_dirs(&made);
    } else {
        size_t s[PA_MAXDIM];
        pa_array_shape(a, s);
        double bytes = (double)pa_array_size(a) * (double)pa_dtype_size(pa_array_dtype(a));
        summary(ctx, sub, s[0], bytes, MPI_Wtime() - t0, out);
    }
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_pack = {"pack", "stack many .npy/CSV/raw/HDF5 files into one HDF5 dataset",
                         pack_usage, run_pack};
const pa_cmd cmd_unpack = {"unpack", "write each row of an HDF5 dataset as one file",
                           unpack_usage, run_unpack};
