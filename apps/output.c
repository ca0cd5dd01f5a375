/* A subcommand's results as text or JSON, onto stdout or into a file (see
 * output.h). */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

int output_option(output *o, opts *p)
{
    if (p->value && !*p->value)
        return opts_fail(p,
                         "--json=FILE: the file name is empty (--json alone writes to stdout)");
    o->json = 1;
    o->file = p->value;
    return 0;
}

/* The results as one JSON object and a newline onto f. Returns 0, or -1
 * when the writer ran out of memory. */
static int write_json(FILE *f, output_json_fn json, const void *results)
{
    json_writer w;
    json_init_file(&w, f);
    json_begin_object(&w);
    json(&w, results);
    json_end_object(&w);
    json_newline(&w);
    return w.failed ? -1 : 0;
}

static int to_file(const pa_ctx *ctx, const char *sub, const char *file, output_json_fn json,
                   const void *results)
{
    FILE *f = fopen(file, "w");
    if (!f)
        return cmd_fail(ctx, sub, "--json=%s: %s", file, strerror(errno));
    int rc = write_json(f, json, results);
    int err = ferror(f) ? errno : 0;
    if (fclose(f) != 0 && !err)
        err = errno;
    if (rc != 0 || err)
        return cmd_fail(ctx, sub, "--json=%s: %s", file, err ? strerror(err) : "out of memory");
    return 0;
}

int output_write_rank0(const pa_ctx *ctx, const char *sub, const output *o, output_text_fn text,
                       output_json_fn json, const void *results)
{
    if (pa_ctx_rank(ctx) != 0)
        return 0;
    int rc = 0;
    if (o->json && !o->file)
        rc = write_json(stdout, json, results);
    else
        text(stdout, results);
    if (fflush(stdout) != 0 || ferror(stdout) || rc != 0)
        return cmd_fail(ctx, sub, "cannot write the results to stdout: %s",
                        rc != 0 ? "out of memory" : strerror(errno));
    if (o->json && o->file)
        return to_file(ctx, sub, o->file, json, results);
    return 0;
}

int output_write(const pa_ctx *ctx, const char *sub, const output *o, output_text_fn text,
                 output_json_fn json, const void *results)
{
    int status = output_write_rank0(ctx, sub, o, text, json, results);
    MPI_Bcast(&status, 1, MPI_INT, 0, pa_ctx_comm(ctx));
    return status;
}

char *output_shape(char *buf, size_t size, int ndim, const size_t *shape)
{
    size_t at = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < ndim && at < size; k++)
        at += (size_t)snprintf(buf + at, size - at, k ? ",%zu" : "%zu", shape[k]);
    if (at < size)
        snprintf(buf + at, size - at, "%s)", ndim == 1 ? "," : "");
    return buf;
}

void output_shape_json(json_writer *w, int ndim, const size_t *shape)
{
    json_begin_array(w);
    for (int k = 0; k < ndim; k++)
        json_uint(w, shape[k]);
    json_end_array(w);
}

double output_gb_per_s(double bytes, double seconds)
{
    return seconds > 0 ? bytes / seconds / 1e9 : 0.0;
}

void output_rate_json(json_writer *w, double bytes, double seconds)
{
    json_key(w, "bytes");
    json_double(w, bytes);
    json_key(w, "seconds");
    json_double(w, seconds);
    json_key(w, "gb_per_s");
    json_double(w, output_gb_per_s(bytes, seconds));
}

void output_layout_of(const pa_array *a, output_layout *l)
{
    l->dtype = pa_array_dtype(a);
    l->ndim = pa_array_ndim(a);
    pa_array_shape(a, l->shape);
}

void output_dataset_text(FILE *f, const char *file, const char *dataset, const output_layout *l)
{
    char buf[PA_MAXDIM * 24];
    fprintf(f, "%s:%s %s %s", file, dataset, output_shape(buf, sizeof buf, l->ndim, l->shape),
            pa_dtype_name(l->dtype));
}

void output_dataset_json(json_writer *w, const char *file, const char *dataset,
                         const output_layout *l)
{
    json_key(w, "file");
    json_string(w, file);
    json_key(w, "dataset");
    json_string(w, dataset);
    json_key(w, "dtype");
    json_string(w, pa_dtype_name(l->dtype));
    json_key(w, "shape");
    output_shape_json(w, l->ndim, l->shape);
}
