/* `parray info`: the layout of the job (nodes, ranks, host names, cores),
 * each rank's BLAS thread plan, the libraries parray runs on, and warnings
 * about layouts that waste cores. numpy.show_config() plus threadpoolctl, for
 * a whole MPI job. Rank 0 gathers one row per rank and prints it as text or
 * as one JSON object. This file parses the options and runs the parts that
 * info.h declares: the table's gather, the report, its output. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "info.h"
#include "opts.h"
#include "output.h"

enum { O_JSON = 2, O_HINTS_DIR };
static const opt_spec specs[] = {{"json", 0, OPT_OPTIONAL, O_JSON},
                                 {"hints-dir", 0, OPT_VALUE, O_HINTS_DIR}};

static int run(pa_ctx *ctx, int argc, char **argv)
{
    output out = {0};
    const char *dir = NULL;
    opts p;
    opts_begin(&p, ctx, "info", cmd_info.usage, specs, 2, argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        if (k == OPTS_STOP)
            return p.status;
        if (k == OPTS_ARG)
            return cmd_usage(ctx, "info", "unexpected argument '%s'", p.value);
        if (k == O_HINTS_DIR)
            dir = p.value;
        else if (output_option(&out, &p))
            return p.status;
    }

    /* The hints MPI-IO takes, asked by every rank together; a failure is
     * reported in its place, not as the command's. */
    info_results results = {.ctx = ctx, .in_effect = MPI_INFO_NULL};
    char *hints_err = NULL;
    if (pa_h5_hints_in_effect(ctx, dir, &results.in_effect) != PA_OK)
        hints_err = strdup(cmd_errmsg(ctx));
    results.hints_err = hints_err;
    results.hints_dir = dir && *dir                             ? dir
                        : getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
                                                                : "/tmp";
    table t;
    int status = info_table_gather(ctx, &t);
    if (status || pa_ctx_rank(ctx) != 0)
        goto out;

    /* Only rank 0 has the table; the other ranks are done. Nothing below
     * talks to them, so a failure here is rank 0's alone, reported and
     * returned as this rank's exit status. */
    report rep = {0};
    if (info_report_make(ctx, &t, &rep)) {
        status = cmd_fail(ctx, "info", "out of memory");
    } else {
        results.rep = &rep;
        results.t = &t;
        status = output_write_rank0(ctx, "info", &out, info_print_text, info_print_json,
                                    &results);
    }
    info_report_free(&rep);
    info_table_free(&t);
out:
    if (results.in_effect != MPI_INFO_NULL)
        MPI_Info_free(&results.in_effect);
    free(hints_err);
    return status;
}

const pa_cmd cmd_info = {
    .name = "info",
    .summary = "nodes, ranks, cores, BLAS threads and libraries of this job, with warnings",
    .usage =
        "usage: parray info [--json[=FILE]] [--hints-dir DIR]\n"
        "       mpirun -n N parray info [--json[=FILE]] [--hints-dir DIR]\n"
        "\n"
        "Reports the layout of the MPI job and what parray runs on, from rank 0:\n"
        "  - the ranks and nodes (emulated ones are marked), the ranks per node and\n"
        "    each node's host name and cores, and the machine under them (from\n"
        "    hwloc): its packages, NUMA nodes, physical cores and hardware threads\n"
        "    per core (SMT);\n"
        "  - for each rank: its node, node rank, host name, the cores it may run on\n"
        "    and their NUMA nodes, its planned BLAS threads and the threads the BLAS\n"
        "    reports in effect;\n"
        "  - the BLAS (openblas_get_config() and its threading model), the MPI\n"
        "    library and standard versions, the HDF5 version and whether it is\n"
        "    parallel, and parray's version;\n"
        "  - the settings parallel HDF5 files are opened with: PARRAY_H5_ALIGN's\n"
        "    alignment and PARRAY_MPIIO_HINTS's MPI-IO hints as given, and the\n"
        "    hints in effect as MPI-IO reports them for a file it opened with them\n"
        "    in --hints-dir (striping_unit, cb_nodes, romio_cb_write,\n"
        "    cb_buffer_size and the hints given; those it did not take are named);\n"
        "  - warnings: BLAS threads above a rank's cores, ranks x threads above a\n"
        "    node's cores, a rank whose cores span NUMA nodes, a thread count that\n"
        "    did not take effect, an OpenMP BLAS.\n"
        "\n"
        "Options:\n"
        "  --json       print the same as one JSON object on stdout instead\n"
        "  --json=FILE  the text on stdout, and the JSON object into FILE\n"
        "  --hints-dir DIR\n"
        "               the directory whose file system the MPI-IO hints in effect\n"
        "               are asked for (a temporary file is opened there and removed;\n"
        "               default $TMPDIR, else /tmp): give the output's directory\n"
        "  --help       print this text\n"
        "\n"
        "JSON: {\"parray_version\", \"mpi_library\", \"mpi_version\",\n"
        "\"mpi_yield_when_idle\" (true, false or null: unknown), \"hdf5_version\",\n"
        "\"hdf5_parallel\", \"h5_align\": {\"threshold\", \"alignment\"} (bytes),\n"
        "\"mpiio_hints\": {key: value} (as given), \"mpiio_hints_in_effect\": {\"dir\",\n"
        "\"hints\": {key: value, or null when absent}, \"not_taken\": [key]} (or\n"
        "{\"dir\", \"error\"}), \"blas\": {\"config\", \"parallel\"}, \"ranks\",\n"
        "\"nodes\",\n"
        "\"emulated\" (PARRAY_RANKS_PER_NODE, or 0), \"node_list\": [{\"node\",\n"
        "\"hostname\", \"hostnames\", \"ranks\", \"cores\", \"packages\", \"numa_nodes\",\n"
        "\"physical_cores\", \"smt\", \"blas_threads\"}], \"rank_list\": [{\"rank\", \"node\",\n"
        "\"node_rank\", \"hostname\", \"cores\", \"numa\", \"launcher_cores\", \"affinity\",\n"
        "\"blas_threads\", \"blas_threads_in_effect\"}], \"warnings\": [text]}; cores\n"
        "are lists of CPU numbers, numa a list of NUMA node numbers.\n"
        "\n"
        "Environment: PARRAY_RANKS_PER_NODE=k splits the job into emulated nodes of\n"
        "k ranks; PARRAY_BLAS_THREADS=t sets the BLAS threads per rank;\n"
        "PARRAY_H5_ALIGN and PARRAY_MPIIO_HINTS: see docs/io.md.\n",
    .run = run,
};
