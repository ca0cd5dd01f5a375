/* `parray info`'s output: the job, the nodes, the ranks, the libraries and
 * the warnings as text tables, or as one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "strbuf.h"

/* Prints a table of nrows rows (the first is the header) of ncols cells,
 * each column as wide as its widest cell, indented by two spaces. */
static void print_table(FILE *f, char **cells, int nrows, int ncols)
{
    size_t width[16] = {0};
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncols && c < 16; c++) {
            size_t w = strlen(cells[r * ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (int r = 0; r < nrows; r++) {
        fputs("  ", f);
        for (int c = 0; c < ncols; c++) {
            const char *s = cells[r * ncols + c];
            if (c == ncols - 1)
                fprintf(f, "%s\n", s);
            else
                fprintf(f, "%-*s  ", (int)width[c < 16 ? c : 15], s);
        }
    }
}

static void json_ints(json_writer *w, const int *v, int n)
{
    json_begin_array(w);
    for (int i = 0; i < n; i++)
        json_int(w, v[i]);
    json_end_array(w);
}

static char *cell_text(const table *t, int r, int c)
{
    strbuf b = {0};
    const cell *x = &CELL(t, r, c);
    switch (info_columns[c].kind) {
    case KIND_INT: strbuf_printf(&b, "%d", x->i); break;
    case KIND_STR: strbuf_printf(&b, "%s", x->s); break;
    case KIND_CPUS: strbuf_ranges(&b, x->cpus, x->n); break;
    }
    return strbuf_take(&b);
}

static void free_cells(char **cells, int n)
{
    if (!cells)
        return;
    for (int i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

static void print_ranks(FILE *f, const table *t)
{
    int shown[NCOLS], ncols = 0;
    for (int c = 0; c < NCOLS; c++)
        if (info_columns[c].title)
            shown[ncols++] = c;
    int nrows = t->nranks + 1, n = nrows * ncols;
    char **cells = calloc((size_t)n, sizeof *cells);
    if (!cells)
        return;
    for (int j = 0; j < ncols; j++)
        cells[j] = strbuf_dup(info_columns[shown[j]].title);
    for (int r = 0; r < t->nranks; r++)
        for (int j = 0; j < ncols; j++)
            cells[(r + 1) * ncols + j] = cell_text(t, r, shown[j]);
    for (int i = 0; i < n; i++)
        if (!cells[i])
            goto out;
    print_table(f, cells, nrows, ncols);
out:
    free_cells(cells, n);
}

static void print_nodes(FILE *f, const report *rep, const table *t)
{
    enum { NC = 5 + NMACHINE };
    int nrows = rep->nnodes + 1, n = nrows * NC;
    char **cells = calloc((size_t)n, sizeof *cells);
    if (!cells)
        return;
    /* The machine's columns last, so that the others keep their places. */
    const char *head[NC] = {"node", "host", "ranks", "cores", "BLAS threads"};
    for (int j = 0; j < NMACHINE; j++)
        head[5 + j] = info_machine_cols[j].title;
    for (int j = 0; j < NC; j++)
        cells[j] = strbuf_dup(head[j]);
    for (int k = 0; k < rep->nnodes; k++) {
        const node_sum *nd = &rep->nodes[k];
        strbuf b[NC] = {{0}};
        strbuf_printf(&b[0], "%d", k);
        for (int i = 0; i < nd->nhosts; i++)
            strbuf_printf(&b[1], "%s%s", i ? "," : "", nd->host[i]);
        strbuf_ranges(&b[2], nd->ranks, nd->nranks);
        strbuf_printf(&b[2], " (%d)", nd->nranks);
        if (nd->nranks) {
            const cell *x = &CELL(t, nd->leader, COL_NODE_CORES);
            strbuf_ranges(&b[3], x->cpus, x->n);
            strbuf_printf(&b[3], " (%d)", x->n);
            for (int j = 0; j < NMACHINE; j++)
                strbuf_printf(&b[5 + j], "%d", CELL(t, nd->leader, info_machine_cols[j].col).i);
        }
        strbuf_printf(&b[4], "%d", nd->threads);
        for (int j = 0; j < NC; j++)
            cells[(k + 1) * NC + j] = strbuf_take(&b[j]);
    }
    for (int i = 0; i < n; i++)
        if (!cells[i])
            goto out;
    print_table(f, cells, nrows, NC);
out:
    free_cells(cells, n);
}

/* "2", or "2,2,1" when the nodes differ. */
static void ranks_per_node_text(strbuf *b, const report *rep)
{
    int same = 1;
    for (int k = 1; k < rep->nnodes; k++)
        same &= rep->nodes[k].nranks == rep->nodes[0].nranks;
    for (int k = 0; k < (same ? 1 : rep->nnodes); k++)
        strbuf_printf(b, "%s%d", k ? "," : "", rep->nodes[k].nranks);
}

/* The settings parallel HDF5 files are opened with (PARRAY_H5_ALIGN,
 * PARRAY_MPIIO_HINTS: the same on every rank), as text into f, or with w
 * as the JSON members "h5_align" {"threshold", "alignment"} (bytes; 1 and 1
 * when unset) and "mpiio_hints" {key: value} (the hints as given). */
static void print_file_settings(FILE *f, json_writer *w, const pa_ctx *ctx)
{
    unsigned long long threshold = 1, alignment = 1;
    MPI_Info hints = MPI_INFO_NULL;
    pa_h5_settings(ctx, &threshold, &alignment, &hints);
    int nkeys = 0;
    if (hints != MPI_INFO_NULL && MPI_Info_get_nkeys(hints, &nkeys) != MPI_SUCCESS)
        nkeys = 0;
    if (w) {
        json_key(w, "h5_align");
        json_begin_object(w);
        json_key(w, "threshold");
        json_uint(w, threshold);
        json_key(w, "alignment");
        json_uint(w, alignment);
        json_end_object(w);
        json_key(w, "mpiio_hints");
        json_begin_object(w);
    } else {
        fprintf(f, "\nParallel HDF5 files\n");
        if (alignment > 1)
            fprintf(f,
                    "  alignment     objects of %llu bytes or more start at multiples of %llu "
                    "(PARRAY_H5_ALIGN)\n",
                    threshold, alignment);
        else
            fprintf(f, "  alignment     none (PARRAY_H5_ALIGN)\n");
        fprintf(f, "  MPI-IO hints  %s", nkeys ? "" : "none (PARRAY_MPIIO_HINTS)\n");
    }
    for (int i = 0; i < nkeys; i++) {
        char key[MPI_MAX_INFO_KEY + 1], value[MPI_MAX_INFO_VAL + 1];
        int found = 0;
        if (MPI_Info_get_nthkey(hints, i, key) != MPI_SUCCESS ||
            MPI_Info_get(hints, key, MPI_MAX_INFO_VAL, value, &found) != MPI_SUCCESS || !found)
            continue;
        if (w) {
            json_key(w, key);
            json_string(w, value);
        } else {
            fprintf(f, "%s%s=%s", i ? "," : "", key, value);
        }
    }
    if (w)
        json_end_object(w);
    else if (nkeys)
        fprintf(f, " (PARRAY_MPIIO_HINTS)\n");
}

void info_print_text(FILE *f, const void *arg)
{
    const report *rep = ((const info_results *)arg)->rep;
    const table *t = ((const info_results *)arg)->t;
    strbuf per = {0};
    ranks_per_node_text(&per, rep);
    char *pn = strbuf_take(&per);
    fprintf(f, "parray %s\n\nJob\n", rep->parray);
    fprintf(f, "  ranks           %d\n", t->nranks);
    fprintf(f, "  nodes           %d", rep->nnodes);
    if (rep->emulated)
        fprintf(f, " (emulated, PARRAY_RANKS_PER_NODE=%d)", rep->emulated);
    fprintf(f, "\n  ranks per node  %s\n", pn);
    free(pn);

    fprintf(f, "\nNodes\n");
    print_nodes(f, rep, t);
    fprintf(f, "\nRanks\n");
    print_ranks(f, t);

    fprintf(f, "\nLibraries\n");
    fprintf(f, "  parray  %s\n", rep->parray);
    fprintf(f, "  BLAS    %s (%s)\n", rep->blas_config, rep->blas_parallel);
    fprintf(f, "  MPI     %s (MPI standard %s)\n", rep->mpi_library, rep->mpi_version);
    if (rep->mpi_yield >= 0)
        fprintf(f, "          ranks waiting in MPI %s (mpi_yield_when_idle=%d)\n",
                rep->mpi_yield ? "yield their core" : "spin on their core", rep->mpi_yield);
    fprintf(f, "  HDF5    %s (%s)\n", rep->hdf5_version,
            rep->hdf5_parallel ? "parallel" : "serial, no parallel support");
    print_file_settings(f, NULL, ((const info_results *)arg)->ctx);

    if (rep->nwarnings == 0) {
        fprintf(f, "\nWarnings: none\n");
        return;
    }
    fprintf(f, "\nWarnings\n");
    for (int i = 0; i < rep->nwarnings; i++)
        fprintf(f, "  - %s\n", rep->warnings[i]);
}

static void json_key_string(json_writer *w, const char *key, const char *v)
{
    json_key(w, key);
    json_string(w, v);
}

static void json_key_int(json_writer *w, const char *key, int v)
{
    json_key(w, key);
    json_int(w, v);
}

void info_print_json(json_writer *w, const void *arg)
{
    const report *rep = ((const info_results *)arg)->rep;
    const table *t = ((const info_results *)arg)->t;
    json_key_string(w, "parray_version", rep->parray);
    json_key_string(w, "mpi_library", rep->mpi_library);
    json_key_string(w, "mpi_version", rep->mpi_version);
    json_key(w, "mpi_yield_when_idle");
    if (rep->mpi_yield < 0)
        json_null(w);
    else
        json_bool(w, rep->mpi_yield);
    json_key_string(w, "hdf5_version", rep->hdf5_version);
    json_key(w, "hdf5_parallel");
    json_bool(w, rep->hdf5_parallel);
    print_file_settings(NULL, w, ((const info_results *)arg)->ctx);
    json_key(w, "blas");
    json_begin_object(w);
    json_key_string(w, "config", rep->blas_config);
    json_key_string(w, "parallel", rep->blas_parallel);
    json_end_object(w);
    json_key_int(w, "ranks", t->nranks);
    json_key_int(w, "nodes", rep->nnodes);
    json_key_int(w, "emulated", rep->emulated);

    json_key(w, "node_list");
    json_begin_array(w);
    for (int k = 0; k < rep->nnodes; k++) {
        const node_sum *nd = &rep->nodes[k];
        json_begin_object(w);
        json_key_int(w, "node", k);
        json_key_string(w, "hostname", nd->nhosts ? nd->host[0] : "");
        json_key(w, "hostnames");
        json_begin_array(w);
        for (int i = 0; i < nd->nhosts; i++)
            json_string(w, nd->host[i]);
        json_end_array(w);
        json_key(w, "ranks");
        json_ints(w, nd->ranks, nd->nranks);
        json_key(w, "cores");
        if (nd->nranks) {
            const cell *x = &CELL(t, nd->leader, COL_NODE_CORES);
            json_ints(w, x->cpus, x->n);
        } else {
            json_ints(w, NULL, 0);
        }
        for (int j = 0; j < NMACHINE; j++)
            json_key_int(w, info_machine_cols[j].key,
                         nd->nranks ? CELL(t, nd->leader, info_machine_cols[j].col).i : 0);
        json_key_int(w, "blas_threads", nd->threads);
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "rank_list");
    json_begin_array(w);
    for (int r = 0; r < t->nranks; r++) {
        json_begin_object(w);
        for (int c = 0; c < NCOLS; c++) {
            const column *col = &info_columns[c];
            const cell *x = &CELL(t, r, c);
            if (!col->key)
                continue;
            json_key(w, col->key);
            if (col->kind == KIND_INT)
                json_int(w, x->i);
            else if (col->kind == KIND_STR)
                json_string(w, x->s);
            else
                json_ints(w, x->cpus, x->n);
        }
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "warnings");
    json_begin_array(w);
    for (int i = 0; i < rep->nwarnings; i++)
        json_string(w, rep->warnings[i]);
    json_end_array(w);
}
