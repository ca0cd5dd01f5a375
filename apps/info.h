/* `parray info`'s parts, private to its files: the per-rank table that
 * rank 0 gathers (info_table.c), the report made from it (info_report.c:
 * the node summary, the libraries, the warnings), and their text and JSON
 * (info_print.c). cmd_info.c parses the options, then runs them in that
 * order.
 *
 * To report something new per rank, add a column: an entry in the enum and
 * one line in info_columns. The gather, the rank table and the JSON follow
 * from that table; warnings and the node summary read the columns they
 * need. */
#ifndef PARRAY_INFO_H
#define PARRAY_INFO_H

#include <stdio.h>

#include "json.h"
#include "parray.h"

/* ------------------------------------------------------------ the table */

typedef enum { KIND_INT, KIND_STR, KIND_CPUS } col_kind;

typedef struct {
    const char *key;   /* JSON key in "rank_list"; NULL: not listed per rank */
    const char *title; /* rank table header; NULL: not in the table */
    col_kind kind;
    int (*get_int)(const pa_ctx *ctx);
    const char *(*get_str)(const pa_ctx *ctx);
    int (*get_cpus)(const pa_ctx *ctx, int *cpus, int max); /* as pa_ctx_cores */
} column;

enum {
    COL_RANK,
    COL_NODE,
    COL_NODE_RANK,
    COL_HOST,
    COL_CORES,
    COL_BLAS,
    COL_BLAS_EFFECT,
    COL_LAUNCH,
    COL_AFFINITY,
    COL_NUMA, /* the last shown, so that the columns before keep their places */
    COL_NODE_CORES,
    COL_PLAN_WARN,
    COL_PACKAGES,
    COL_NUMA_NODES,
    COL_PHYSICAL_CORES,
    COL_SMT,
    NCOLS
};

extern const column info_columns[NCOLS];

/* The node's machine in the node summary (the values of its leader). */
typedef struct {
    const char *title, *key;
    int col;
} machine_col;
extern const machine_col info_machine_cols[];
#define NMACHINE 4 /* the entries of info_machine_cols */

/* One rank's value of one column, on rank 0. Strings and CPU lists point
 * into the column's gather buffer. */
typedef struct {
    int i;
    const char *s;
    const int *cpus;
    int n;
} cell;

typedef struct {
    int nranks;
    cell *cells;       /* nranks rows of NCOLS */
    void *bufs[NCOLS]; /* what the cells point into */
} table;

#define CELL(t, r, c) ((t)->cells[(size_t)(r)*NCOLS + (c)])

/* Collective. Fills t (on rank 0) with every rank's value of every column.
 * Returns 0, or an exit status after reporting. */
int info_table_gather(const pa_ctx *ctx, table *t);
void info_table_free(table *t);

/* ------------------------------------------------------------ the report */

typedef struct {
    int nranks;
    int *ranks;        /* the node's ranks, ascending */
    int leader;        /* its node rank 0 */
    const char **host; /* distinct host names of its ranks */
    int nhosts;
    int threads; /* planned BLAS threads summed over its ranks */
} node_sum;

typedef struct {
    char parray[64];
    char mpi_library[MPI_MAX_LIBRARY_VERSION_STRING];
    char mpi_version[32];
    int mpi_yield; /* mpi_yield_when_idle: 1, 0, or -1 unknown */
    char hdf5_version[32];
    int hdf5_parallel;
    const char *blas_config;
    const char *blas_parallel;
    int nnodes, emulated;
    node_sum *nodes;
    char **warnings;
    int nwarnings;
} report;

/* On rank 0: the report on the job from the table: the libraries, the node
 * summary and the warnings. Returns 0, or 1 when out of memory. */
int info_report_make(const pa_ctx *ctx, const table *t, report *rep);
void info_report_free(report *rep);

/* ------------------------------------------------------------ the output */

/* What info prints: the report and rank 0's table. */
typedef struct {
    const report *rep;
    const table *t;
    const pa_ctx *ctx;     /* for the settings parallel HDF5 files are opened with */
    const char *hints_dir; /* the directory the hints in effect are for */
    MPI_Info in_effect;    /* MPI-IO's hints for a file there, or MPI_INFO_NULL */
    const char *hints_err; /* why in_effect is MPI_INFO_NULL */
} info_results;

/* info_results as text and as the members of the JSON object (output.h). */
void info_print_text(FILE *f, const void *results);
void info_print_json(json_writer *w, const void *results);

#endif
