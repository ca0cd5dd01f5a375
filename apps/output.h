/* Where a subcommand's results go, the same for every subcommand that
 * prints results:
 *   (no --json)   text on stdout;
 *   --json        one JSON object on stdout instead of the text;
 *   --json=FILE   the text on stdout, and the JSON object into FILE
 *                 (created or replaced).
 * Rank 0 writes; every JSON text goes through json.h's writer, one object
 * on one line.
 *
 *   output out = {0};
 *   case O_JSON: if (output_option(&out, &p)) return p.status; break;
 *   ...
 *   return output_write(ctx, "gen", &out, print_text, print_json, &result);
 */
#ifndef PARRAY_OUTPUT_H
#define PARRAY_OUTPUT_H

#include <stdio.h>

#include "json.h"
#include "opts.h"

typedef struct {
    int json;         /* --json was given */
    const char *file; /* its FILE, or NULL for stdout */
} output;

/* Takes --json's value as opts_next returned it. Returns 0, or 2 after a
 * usage error (an empty FILE). */
int output_option(output *o, opts *p);

/* The results as text onto f, and as the members of one JSON object (the
 * caller writes neither the braces nor the newline). */
typedef void (*output_text_fn)(FILE *f, const void *results);
typedef void (*output_json_fn)(json_writer *w, const void *results);

/* Not collective: on rank 0 writes the results where o says (other ranks
 * do nothing). Returns 0, or 1 after printing why (a file that cannot be
 * written, a full disk, out of memory). For a subcommand whose other ranks
 * have already returned. */
int output_write_rank0(const pa_ctx *ctx, const char *sub, const output *o, output_text_fn text,
                       output_json_fn json, const void *results);

/* Collective: output_write_rank0, then every rank returns rank 0's status. */
int output_write(const pa_ctx *ctx, const char *sub, const output *o, output_text_fn text,
                 output_json_fn json, const void *results);

/* A shape as the program prints it, numpy's way: "(4,3)", "(3,)", into
 * buf (PA_MAXDIM * 24 bytes hold any). Returns buf. */
char *output_shape(char *buf, size_t size, int ndim, const size_t *shape);
/* A shape as a JSON array: [4,3]. */
void output_shape_json(json_writer *w, int ndim, const size_t *shape);

/* A transfer's speed: bytes over seconds in GB/s (0 for no time), and as
 * the JSON members "bytes", "seconds" and "gb_per_s". Not collective. */
double output_gb_per_s(double bytes, double seconds);
void output_rate_json(json_writer *w, double bytes, double seconds);

/* What a dataset holds, for a summary: its dtype and shape (of an array,
 * or from pa_h5_info). */
typedef struct {
    pa_dtype dtype;
    int ndim;
    size_t shape[PA_MAXDIM];
} output_layout;

/* Not collective. The layout of array a. */
void output_layout_of(const pa_array *a, output_layout *l);

/* The dataset file:dataset that a subcommand wrote or read, holding l: as
 * text, "out.h5:/x (4,3) f64" onto f; as JSON, the members "file",
 * "dataset", "dtype" and "shape". Not collective. */
void output_dataset_text(FILE *f, const char *file, const char *dataset, const output_layout *l);
void output_dataset_json(json_writer *w, const char *file, const char *dataset,
                         const output_layout *l);

#endif
