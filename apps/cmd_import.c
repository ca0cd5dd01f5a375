/* `parray import` loads one big CSV or .npy file as one dataset of an HDF5
 * file, every rank reading its own part of the file: a CSV's line-aligned
 * byte range parsed straight into the new file where it can
 * (pa_import_csv), a .npy file's run of rows loaded (pa_load_npy) and
 * saved with parallel HDF5. Progress on stderr from rank 0 (progress.h)
 * and a one-line summary, text or JSON. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmd.h"
#include "dsarg.h"
#include "opts.h"
#include "output.h"
#include "progress.h"

static const char usage[] =
    "usage: [mpirun -n N] parray import [OPTIONS] FILE -o OUT.h5:/DATASET\n"
    "\n"
    "Loads one CSV file as a 2-D array (data lines, fields), or one .npy file as\n"
    "its own dtype and shape, and saves it as a dataset of an HDF5 file (the file\n"
    "is replaced safely: a temporary, renamed when complete; its other datasets\n"
    "are kept). Every rank reads its own part of FILE: a CSV is cut into equal\n"
    "byte ranges moved to line starts, each parsed by one rank (numbers exactly\n"
    "as strtod reads them) straight into its rows of the new file (on one node,\n"
    "contiguous, replacing the whole file); a .npy file's rows are read straight\n"
    "into place.\n"
    "Errors name the file, and for CSV the line and column:\n"
    "  parray: import: data.csv:31:14: bad number '1.5q'\n"
    "(To stack many files of one shape into (n, ...), see 'parray pack'.)\n"
    "\n"
    "Options:\n"
    "  -o, --out FILE.h5:/DATASET\n"
    "                       the output dataset (required)\n"
    "  --format F           csv or npy (default: from the extension: .csv, .txt,\n"
    "                       .tsv, .npy)\n"
    "  --dtype D            CSV: the dtype to parse into (default f64), one of\n"
    "                      " CMD_DTYPES "; integer dtypes take integers only\n"
    "  --delimiter C        CSV: the field separator (default ',', tab for .tsv;\n"
    "                       'tab' or ' ': runs of blanks)\n"
    "  --comment C          CSV: the comment character (default '#'): a line that\n"
    "                       starts with it is skipped, and it ends a line's fields\n"
    "  --no-comments        CSV: no comment character; every line that is not\n"
    "                       blank is data\n"
    "  --header             CSV: skip the first line that is not blank or a\n"
    "                       comment (column names)\n"
    "  --chunked            write the dataset chunked (default contiguous), in\n"
    "                       chunks of about 4 MiB that each rank writes whole\n"
    "  --chunk-rows N       chunked, with N rows per chunk\n"
    "  --deflate L          chunked and gzip-compressed at level L (1-9)\n"
    "  --progress           show the progress on stderr even when it is not a\n"
    "                       terminal (a batch log): a line every 10 s or 10%,\n"
    "                       whichever is rarer, and one at the end\n"
    "                       (PARRAY_PROGRESS: 'parray help')\n"
    "  --json               print the summary as one JSON object instead: {\"input\",\n"
    "                       \"bytes\", \"seconds\", \"gb_per_s\", \"load_seconds\", \"file\",\n"
    "                       \"dataset\", \"dtype\", \"shape\": the dataset written}\n"
    "                       (load_seconds: a .npy file's load; a CSV's whole import,\n"
    "                       which parses and writes in one pass)\n"
    "  --json=FILE          the text on stdout, and the JSON object into FILE\n"
    "\n"
    "Prints: import: FILE, BYTES bytes, SECONDS s, GB/s (bytes of the input file\n"
    "over the whole time, loading and saving).\n"
    "Example: mpirun -n 2 parray import big.csv -o big.h5:/x --header\n";

enum {
    O_OUT = 'o',
    O_FORMAT = 2,
    O_DTYPE,
    O_DELIMITER,
    O_COMMENT,
    O_NO_COMMENTS,
    O_HEADER,
    O_CHUNKED,
    O_CHUNK_ROWS,
    O_DEFLATE,
    O_PROGRESS,
    O_JSON
};

static const opt_spec specs[] = {
    {"out", 'o', OPT_VALUE, O_OUT},
    {"format", 0, OPT_VALUE, O_FORMAT},
    {"dtype", 0, OPT_VALUE, O_DTYPE},
    {"delimiter", 0, OPT_VALUE, O_DELIMITER},
    {"comment", 0, OPT_VALUE, O_COMMENT},
    {"no-comments", 0, OPT_FLAG, O_NO_COMMENTS},
    {"header", 0, OPT_FLAG, O_HEADER},
    {"chunked", 0, OPT_FLAG, O_CHUNKED},
    {"chunk-rows", 0, OPT_VALUE, O_CHUNK_ROWS},
    {"deflate", 0, OPT_VALUE, O_DEFLATE},
    {"progress", 0, OPT_FLAG, O_PROGRESS},
    {"json", 0, OPT_OPTIONAL, O_JSON},
};

/* The command line. */
typedef struct {
    const char *input, *extra; /* the file; a second positional (an error) */
    const char *out;
    pa_format format;
    pa_files_opts o;
    int csv_options; /* a CSV option was given (an error for .npy) */
    pa_h5_opts h5;
    int progress;
    output dest;
} import_args;

/* What import prints. */
typedef struct {
    const char *input;
    double bytes, seconds, load_seconds;
    const dsarg *ds;
    output_layout l; /* the dataset written */
} summary;

/* One option into m. Returns 0 or the exit status. */
static int take_option(opts *p, int k, import_args *m)
{
    uint64_t n;
    m->csv_options += k == O_DTYPE || k == O_DELIMITER || k == O_COMMENT || k == O_NO_COMMENTS ||
                      k == O_HEADER;
    switch (k) {
    case O_OUT: m->out = p->value; return 0;
    case O_FORMAT:
        if (strcmp(p->value, "csv") != 0 && strcmp(p->value, "npy") != 0)
            return opts_fail(p, "--format takes csv or npy");
        m->format = p->value[0] == 'c' ? PA_FORMAT_CSV : PA_FORMAT_NPY;
        return 0;
    case O_DTYPE: return opts_dtype(p, &m->o.dtype);
    case O_DELIMITER: return opts_char(p, &m->o.delimiter);
    case O_COMMENT: return opts_char(p, &m->o.comment);
    case O_NO_COMMENTS: m->o.no_comments = 1; return 0;
    case O_HEADER: m->o.header = 1; return 0;
    case O_CHUNKED: m->h5.layout = PA_H5_CHUNKED; return 0;
    case O_CHUNK_ROWS:
        m->h5.layout = PA_H5_CHUNKED;
        if (opts_uint(p, 1, SIZE_MAX, &n))
            return p->status;
        m->h5.chunk_rows = (size_t)n;
        return 0;
    case O_DEFLATE:
        if (opts_uint(p, 1, 9, &n))
            return p->status;
        m->h5.deflate = (int)n;
        return 0;
    case O_PROGRESS: m->progress = 1; return 0;
    case O_JSON: return output_option(&m->dest, p);
    default:
        if (m->input)
            m->extra = m->extra ? m->extra : p->value;
        else
            m->input = p->value;
        return 0;
    }
}

/* The checks that need the whole command line. Returns 0 or the exit
 * status. */
static int check_args(pa_ctx *ctx, import_args *m, dsarg *ds)
{
    const char *sub = "import";
    char err[1024];
    if (!m->input)
        return cmd_usage(ctx, sub, "no input file");
    if (m->extra)
        return cmd_usage(ctx, sub,
                         "one input file only (got '%s' and '%s'); to stack many "
                         "files, use 'parray pack'",
                         m->input, m->extra);
    if (!m->out)
        return cmd_usage(ctx, sub, "the output -o FILE.h5:/DATASET is required");
    if (dsarg_parse(m->out, ds, err, sizeof err) < 0)
        return cmd_usage(ctx, sub, "-o %s", err);
    if (m->format == PA_FORMAT_AUTO) {
        pa_format f = pa_format_of(m->input);
        if (f != PA_FORMAT_CSV && f != PA_FORMAT_NPY)
            return cmd_usage(ctx, sub,
                             "cannot tell the format of '%s' from its extension "
                             "(.csv, .txt, .tsv, .npy): give --format csv or npy",
                             m->input);
        m->format = f;
        const char *dot = strrchr(m->input, '.');
        if (f == PA_FORMAT_CSV && !m->o.delimiter && dot && strcasecmp(dot, ".tsv") == 0)
            m->o.delimiter = '\t';
    }
    if (m->format == PA_FORMAT_NPY && m->csv_options)
        return cmd_usage(ctx, sub,
                         "--dtype, --delimiter, --comment, --no-comments and "
                         "--header are for CSV; a .npy file has its own dtype");
    return 0;
}

/* ------------------------------------------------------------ results */

static void print_text(FILE *f, const void *arg)
{
    const summary *r = arg;
    fprintf(f, "import: %s, %.0f bytes, %.3f s, %.3f GB/s (", r->input, r->bytes, r->seconds,
            output_gb_per_s(r->bytes, r->seconds));
    output_dataset_text(f, r->ds->file, r->ds->dataset, &r->l);
    fprintf(f, ")\n");
}

static void print_json(json_writer *w, const void *arg)
{
    const summary *r = arg;
    json_key(w, "input");
    json_string(w, r->input);
    output_rate_json(w, r->bytes, r->seconds);
    json_key(w, "load_seconds");
    json_double(w, r->load_seconds);
    output_dataset_json(w, r->ds->file, r->ds->dataset, &r->l);
}

/* ------------------------------------------------------------ run */

static int run_import(pa_ctx *ctx, int argc, char **argv)
{
    const char *sub = "import";
    import_args m = {0};
    dsarg ds;
    progress pr = {0};
    opts p;
    opts_begin(&p, ctx, sub, usage, specs, sizeof specs / sizeof specs[0], argc, argv);
    int status = 0;
    for (int k; status == 0 && (k = opts_next(&p)) != OPTS_END;)
        status = k == OPTS_STOP ? opts_stopped(&p) : take_option(&p, k, &m);
    if (status == 0)
        status = check_args(ctx, &m, &ds);
    if (status == 0)
        status = progress_init(&pr, ctx, sub, m.progress);
    if (status)
        return opts_exit_status(status);

    MPI_Barrier(pa_ctx_comm(ctx));
    double t0 = MPI_Wtime();
    /* Rank 0's size of the file, for the progress and the summary; the
     * load itself checks that every rank sees the same file. */
    struct stat st;
    double bytes = pa_ctx_rank(ctx) == 0 && stat(m.input, &st) == 0 ? (double)st.st_size : 0;
    MPI_Bcast(&bytes, 1, MPI_DOUBLE, 0, pa_ctx_comm(ctx));
    progress_start_files(&pr, bytes, &m.o);
    pa_array *a = NULL;
    int rc;
    double t_load;
    summary r = {.input = m.input, .bytes = bytes, .ds = &ds};
    if (m.format == PA_FORMAT_CSV) {
        /* Parsed straight into the new file where it can: the load is the
         * whole import. */
        progress_stage(&pr, "importing %s", m.input);
        rc = pa_import_csv(ctx, m.input, &m.o, ds.file, ds.dataset, &m.h5);
        t_load = MPI_Wtime() - t0;
    } else {
        progress_stage(&pr, "reading %s", m.input);
        rc = pa_load_npy(ctx, m.input, &m.o, &a);
        t_load = MPI_Wtime() - t0;
        progress_stage(&pr, "saving %s:%s", ds.file, ds.dataset);
        if (rc == PA_OK)
            rc = pa_h5_save(a, ds.file, ds.dataset, &m.h5);
    }
    progress_end(&pr, rc == PA_OK);
    r.seconds = MPI_Wtime() - t0;
    r.load_seconds = t_load;
    if (rc == PA_OK && a)
        output_layout_of(a, &r.l);
    else if (rc == PA_OK)
        rc = pa_h5_info(ctx, ds.file, ds.dataset, &r.l.dtype, &r.l.ndim, r.l.shape);
    if (rc != PA_OK)
        status = cmd_fail(ctx, sub, "%s", cmd_errmsg(ctx));
    else
        status = output_write(ctx, sub, &m.dest, print_text, print_json, &r);
    pa_array_free(&a);
    return status;
}

const pa_cmd cmd_import = {"import",
                           "load one big CSV or .npy file, every rank its part, into "
                           "an HDF5 dataset",
                           usage, run_import};
