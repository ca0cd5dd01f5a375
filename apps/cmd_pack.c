/* `parray pack` stacks many files of one shape (.npy, CSV, raw, HDF5) into
 * one dataset of an HDF5 file, every rank reading its share of the files
 * and writing its rows with parallel HDF5; `parray unpack` writes the rows
 * of a dataset back as one file each. Both show progress on stderr from
 * rank 0 (progress.h) and end with a one-line summary, text or JSON. */
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
#include "opts.h"
#include "output.h"
#include "progress.h"

static const char pack_usage[] =
    "usage: [mpirun -n N] parray pack [OPTIONS] FILE... | DIR | 'GLOB' -o OUT.h5:/DATASET\n"
    "\n"
    "Stacks n files that hold arrays of one dtype and shape S into the dataset\n"
    "(n, S...) of an HDF5 file: file i becomes row i. Each rank reads its share of\n"
    "the files straight into its rows, then the rows are written with parallel\n"
    "HDF5 (crash-safe: see --copy).\n"
    "Inputs are files in the order given, a directory (its files with a known\n"
    "extension, in name order; not hidden ones) or a quoted glob (in name order).\n"
    "\n"
    "Options:\n"
    "  -o, --out FILE.h5:/DATASET\n"
    "                       the output dataset (required); other datasets of an\n"
    "                       existing file are kept\n"
    "  -j, --threads N      reader threads per rank (default 1): more reads in\n"
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
    "  --copy               " CMD_COPY_HELP
    "  --chunked            write the dataset chunked (default contiguous), in\n"
    "                       chunks of about 4 MiB that each rank writes whole\n"
    "  --progress           show the reading's progress on stderr even when it is\n"
    "                       not a terminal (a batch log): a line every 10 s or\n"
    "                       10%, whichever is rarer, and one at the end\n"
    "                       (PARRAY_PROGRESS: 'parray help')\n"
    "  --json               print the summary as one JSON object instead: {\"files\",\n"
    "                       \"bytes\", \"seconds\", \"gb_per_s\", \"file\", \"dataset\",\n"
    "                       \"dtype\", \"shape\": the dataset written}\n"
    "  --json=FILE          the text on stdout, and the JSON object into FILE\n"
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
    "  -o, --out PATTERN the file names (required)\n"
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
    "  --progress        show the writing's progress on stderr even when it is not\n"
    "                    a terminal, as for pack\n"
    "  --json            print the summary as one JSON object instead: {\"files\",\n"
    "                    \"bytes\", \"seconds\", \"gb_per_s\", \"pattern\", and the\n"
    "                    dataset read: \"file\", \"dataset\", \"dtype\", \"shape\"}\n"
    "  --json=FILE       the text on stdout, and the JSON object into FILE\n"
    "\n"
    "Prints: unpack: FILES files, BYTES bytes, SECONDS s, GB/s (bytes of data).\n"
    "Example: mpirun -n 2 parray unpack frames.h5:/frames -o 'out/f-%05d.npy'\n";

/* ------------------------------------------------------------ options */

static int parse_format(const char *s, pa_format *f)
{
    static const struct {
        const char *name;
        pa_format f;
    } names[] = {{"npy", PA_FORMAT_NPY},
                 {"csv", PA_FORMAT_CSV},
                 {"raw", PA_FORMAT_RAW},
                 {"h5", PA_FORMAT_H5},
                 {"hdf5", PA_FORMAT_H5}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    return -1;
}

/* ------------------------------------------------------------ progress and results */

/* What pack and unpack print. */
typedef struct {
    const char *sub;
    size_t files;
    double bytes, seconds;
    const char *pattern; /* unpack: the files written */
    const dsarg *ds;     /* the dataset pack wrote or unpack read */
    const pa_array *a;   /* its array */
} summary;

static void print_text(FILE *f, const void *arg)
{
    const summary *r = arg;
    fprintf(f, "%s: %zu files, %.0f bytes, %.3f s, %.3f GB/s (", r->sub, r->files, r->bytes,
            r->seconds, output_gb_per_s(r->bytes, r->seconds));
    if (r->pattern)
        fprintf(f, "%s", r->pattern);
    else {
        output_layout l;
        output_layout_of(r->a, &l);
        output_dataset_text(f, r->ds->file, r->ds->dataset, &l);
    }
    fprintf(f, ")\n");
}

static void print_json(json_writer *w, const void *arg)
{
    const summary *r = arg;
    json_key(w, "files");
    json_uint(w, r->files);
    output_rate_json(w, r->bytes, r->seconds);
    if (r->pattern) {
        json_key(w, "pattern");
        json_string(w, r->pattern);
    }
    output_layout l;
    output_layout_of(r->a, &l);
    output_dataset_json(w, r->ds->file, r->ds->dataset, &l);
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

/* ------------------------------------------------------------ options */

enum {
    O_OUT = 'o',
    O_THREADS = 'j',
    O_FORMAT = 2,
    O_DTYPE,
    O_SHAPE,
    O_DELIMITER,
    O_COMMENT,
    O_NO_COMMENTS,
    O_HEADER,
    O_DATASET,
    O_PLACE,
    O_CHUNKED,
    O_BIG_ENDIAN,
    O_DURABLE,
    O_PROGRESS,
    O_COPY,
    O_JSON
};

/* pack's and unpack's options; unpack takes those of its own table only. */
static const opt_spec pack_specs[] = {
    {"out", 'o', OPT_VALUE, O_OUT},        {"threads", 'j', OPT_VALUE, O_THREADS},
    {"format", 0, OPT_VALUE, O_FORMAT},    {"dtype", 0, OPT_VALUE, O_DTYPE},
    {"shape", 0, OPT_VALUE, O_SHAPE},      {"delimiter", 0, OPT_VALUE, O_DELIMITER},
    {"comment", 0, OPT_VALUE, O_COMMENT},  {"no-comments", 0, OPT_FLAG, O_NO_COMMENTS},
    {"header", 0, OPT_FLAG, O_HEADER},     {"dataset", 0, OPT_VALUE, O_DATASET},
    {"place", 0, OPT_VALUE, O_PLACE},      {"chunked", 0, OPT_FLAG, O_CHUNKED},
    {"progress", 0, OPT_FLAG, O_PROGRESS}, {"json", 0, OPT_OPTIONAL, O_JSON},
    {"copy", 0, OPT_FLAG, O_COPY},
};
static const opt_spec unpack_specs[] = {
    {"out", 'o', OPT_VALUE, O_OUT},
    {"format", 0, OPT_VALUE, O_FORMAT},
    {"big-endian", 0, OPT_FLAG, O_BIG_ENDIAN},
    {"delimiter", 0, OPT_VALUE, O_DELIMITER},
    {"comment", 0, OPT_VALUE, O_COMMENT},
    {"no-comments", 0, OPT_FLAG, O_NO_COMMENTS},
    {"dataset", 0, OPT_VALUE, O_DATASET},
    {"progress", 0, OPT_FLAG, O_PROGRESS},
    {"json", 0, OPT_OPTIONAL, O_JSON},
    {"durable", 0, OPT_FLAG, O_DURABLE},
};

/* The command line of pack or unpack. */
typedef struct {
    const char *out;
    char **inputs; /* pack: the files, directories and globs; unpack: one dataset */
    int ninputs;   /* how many were given; the first max_inputs are kept */
    int max_inputs;
    pa_files_opts o;
    pa_format format;
    pa_h5_opts h5;
    int progress;
    output dest;
} move_args;

/* One option into m. Returns 0 or the exit status. */
static int take_option(opts *p, int k, move_args *m)
{
    uint64_t n;
    switch (k) {
    case O_OUT: m->out = p->value; return 0;
    case O_THREADS:
        if (opts_uint(p, 1, 256, &n))
            return p->status;
        m->o.threads = (int)n;
        return 0;
    case O_FORMAT:
        return parse_format(p->value, &m->format)
                   ? opts_fail(p, "--format takes npy, csv, raw or h5")
                   : 0;
    case O_DTYPE: return opts_dtype(p, &m->o.dtype);
    case O_SHAPE:
        /* A file's shape: its stack adds the first dimension. */
        return opts_uint_list(p, 0, SIZE_MAX, m->o.shape, PA_MAXDIM - 1, &m->o.ndim);
    case O_DELIMITER: return opts_char(p, &m->o.delimiter);
    case O_COMMENT: return opts_char(p, &m->o.comment);
    case O_NO_COMMENTS: m->o.no_comments = 1; return 0;
    case O_HEADER: m->o.header = 1; return 0;
    case O_DATASET: m->o.dataset = p->value; return 0;
    case O_PLACE:
        if (strcmp(p->value, "node") != 0 && strcmp(p->value, "job") != 0)
            return opts_fail(p, "--place takes node or job");
        m->o.place = strcmp(p->value, "job") == 0 ? PA_PLACE_JOB : PA_PLACE_NODE;
        return 0;
    case O_CHUNKED: m->h5.layout = PA_H5_CHUNKED; return 0;
    case O_COPY: m->h5.copy = 1; return 0;
    case O_BIG_ENDIAN: m->o.big_endian = 1; return 0;
    case O_DURABLE: m->o.durable = 1; return 0;
    case O_PROGRESS: m->progress = 1; return 0;
    case O_JSON: return output_option(&m->dest, p);
    default:
        if (m->ninputs < m->max_inputs)
            m->inputs[m->ninputs] = (char *)p->value;
        m->ninputs++;
        return 0;
    }
}

/* Returns 0 or the exit status. */
static int parse_args(pa_ctx *ctx, const char *sub, const char *usage, const opt_spec *specs,
                      int nspecs, int argc, char **argv, move_args *m)
{
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, nspecs, argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        if (k == OPTS_STOP)
            return opts_stopped(&p);
        int status = take_option(&p, k, m);
        if (status)
            return status;
    }
    return 0;
}

/* ------------------------------------------------------------ pack */

static int run_pack(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "pack";
    move_args m = {.inputs = calloc((size_t)argc + 1, sizeof(char *)), .max_inputs = argc};
    char err[1024];
    dsarg ds;
    int status = m.inputs ? 0 : cmd_fail(ctx, sub, "out of memory");
    if (status == 0)
        status = parse_args(ctx, sub, pack_usage, pack_specs,
                            sizeof pack_specs / sizeof pack_specs[0], argc, argv, &m);
    if (status == 0 && !m.out)
        status = cmd_usage(ctx, sub, "the output -o FILE.h5:/DATASET is required");
    if (status == 0 && dsarg_parse(m.out, &ds, err, sizeof err) < 0)
        status = cmd_usage(ctx, sub, "-o %s", err);
    if (status == 0 && m.ninputs == 0)
        status = cmd_usage(ctx, sub, "no input files");
    progress pr = {0};
    if (status == 0)
        status = progress_init(&pr, ctx, sub, m.progress);
    if (status) {
        free(m.inputs);
        return opts_exit_status(status);
    }

    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    list l = {0};
    if (share_list(ctx, m.inputs, m.ninputs, m.format, &l, err, sizeof err) < 0) {
        free(m.inputs);
        return cmd_fail(ctx, sub, "%s", err);
    }
    progress_start_files(&pr, l.bytes, &m.o);
    pa_array *a = NULL;
    int rc = pa_load_files(ctx, (const char *const *)l.v, l.n, m.format, &m.o, &a);
    if (rc == PA_OK)
        rc = pa_h5_save(a, ds.file, ds.dataset, &m.h5);
    progress_end(&pr, rc == PA_OK);
    if (rc != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    } else {
        summary r = {.sub = sub,
                     .files = l.n,
                     .bytes = l.bytes,
                     .seconds = MPI_Wtime() - t0,
                     .ds = &ds,
                     .a = a};
        status = output_write(ctx, sub, &m.dest, print_text, print_json, &r);
    }
    pa_array_free(&a);
    list_free(&l);
    free(m.inputs);
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

/* Returns 0 or the exit status. */
static int check_unpack(pa_ctx *ctx, const move_args *m, dsarg *ds)
{
    const char *sub = "unpack";
    char err[1024];
    if (m->ninputs == 0)
        return cmd_usage(ctx, sub, "the input IN.h5:/DATASET is required");
    if (m->ninputs > 1)
        return cmd_usage(ctx, sub, "one input dataset only (got '%s' and '%s')", m->inputs[0],
                         m->inputs[1]);
    if (dsarg_parse(m->inputs[0], ds, err, sizeof err) < 0)
        return cmd_usage(ctx, sub, "%s", err);
    if (!m->out)
        return cmd_usage(ctx, sub,
                         "the output -o PATTERN is required, e.g. 'out/part-%%05d.npy'");
    if (pa_files_pattern_check(ctx, m->out) != PA_OK)
        return cmd_usage(ctx, sub, "%s", cmd_errmsg(ctx));
    return 0;
}

static int run_unpack(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "unpack";
    char *inputs[2];
    move_args m = {.inputs = inputs, .max_inputs = 2};
    dsarg ds;
    progress pr = {0};
    /* Two inputs are kept: a second one is an error that names both. */
    int status = parse_args(ctx, sub, unpack_usage, unpack_specs,
                            sizeof unpack_specs / sizeof unpack_specs[0], argc, argv, &m);
    if (status == 0)
        status = check_unpack(ctx, &m, &ds);
    if (status == 0)
        status = progress_init(&pr, ctx, sub, m.progress);
    if (status)
        return opts_exit_status(status);

    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    char err[1024];
    made_dirs made = {.first = 0};
    int mk = pa_ctx_rank(ctx) == 0 ? make_dirs(m.out, &made, err, sizeof err) : 0;
    MPI_Bcast(&mk, 1, MPI_INT, 0, pa_ctx_comm(ctx));
    if (mk < 0) {
        MPI_Bcast(err, sizeof err, MPI_CHAR, 0, pa_ctx_comm(ctx));
        return cmd_fail(ctx, sub, "%s", err);
    }
    pa_array *a = NULL;
    int rc = pa_h5_load(ctx, ds.file, ds.dataset, NULL, &a);
    double bytes = rc == PA_OK
                       ? (double)pa_array_size(a) * (double)pa_dtype_size(pa_array_dtype(a))
                       : 0;
    progress_start_files(&pr, bytes, &m.o);
    if (rc == PA_OK)
        rc = pa_save_files(a, m.out, m.format, &m.o);
    progress_end(&pr, rc == PA_OK);
    if (rc != PA_OK) {
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
        if (pa_ctx_rank(ctx) == 0)
            remove_made_dirs(&made);
    } else {
        size_t shape[PA_MAXDIM];
        pa_array_shape(a, shape);
        summary r = {.sub = sub,
                     .files = shape[0],
                     .bytes = bytes,
                     .seconds = MPI_Wtime() - t0,
                     .pattern = m.out,
                     .ds = &ds,
                     .a = a};
        status = output_write(ctx, sub, &m.dest, print_text, print_json, &r);
    }
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_pack = {"pack", "stack many .npy/CSV/raw/HDF5 files into one HDF5 dataset",
                         pack_usage, run_pack};
const pa_cmd cmd_unpack = {"unpack", "write each row of an HDF5 dataset as one file",
                           unpack_usage, run_unpack};
