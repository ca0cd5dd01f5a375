/* `parray help` and the man page. The top-level help is kept here as a few
 * texts; `parray --help` prints them one after another, and `parray --man`
 * turns the same texts and every subcommand's usage into roff, verbatim in
 * no-fill blocks. One source, so `man parray` and `parray help SUB` say the
 * same thing. */
#include <string.h>

#include "help.h"
#include "opts.h"

/* The parts of the top-level help, in the order `parray --help` prints
 * them. Each becomes one section of the man page. */
static const char NAME_LINE[] = "array computing across the ranks of an MPI job";

static const char SYNOPSIS[] = "usage: parray [--help | --version | --man] SUBCOMMAND [ARGS...]\n"
                               "       parray help [SUBCOMMAND]\n"
                               "       mpirun -n N parray SUBCOMMAND [ARGS...]\n";

static const char DESCRIPTION[] =
    "Array computing across the ranks of an MPI job. Each subcommand runs as\n"
    "one process without mpirun, or on every rank of an MPI job: the ranks of\n"
    "a node share its arrays in memory, and each rank runs on its own share of\n"
    "the node's cores, with as many BLAS threads as its share has cores.\n"
    "\n"
    "Files are read and replaced only when they are regular files (a symbolic\n"
    "link is followed to the file it names); a directory, FIFO, socket or\n"
    "device is refused and left as it is. Every rank must see the same input\n"
    "file and the output's directory (mind node-local disks): otherwise the\n"
    "subcommand fails on every rank, naming the path and the ranks.\n"
    "\n"
    "Saves are crash-safe. A new HDF5 file, or one that holds only the dataset\n"
    "saved, is written as a temporary file and renamed over the old one. A\n"
    "dataset saved into a file that holds others is written in place: under a\n"
    "temporary name in the file, then linked over the old dataset, so that\n"
    "nothing else is copied (adding 10 numbers to a file of 1 GiB writes kB,\n"
    "not the GiB); a job killed while the file is being closed may leave its\n"
    "metadata damaged. --copy (gen, calc, matmul, pack, sort, slice, reshape,\n"
    "transpose, concat) copies the whole file instead, so that a killed job\n"
    "always leaves the old file as it was.\n"
    "\n"
    "HDF5 datasets are read contiguous or chunked; gzip, shuffle and fletcher32\n"
    "chunks are decoded by every rank in parallel, szip through HDF5. A dataset\n"
    "that needs a filter this HDF5 lacks (h5py's lzf, a plugin) is refused,\n"
    "naming the filter: convert it with h5repack -f NONE in.h5 out.h5.\n";

static const char OPTIONS[] =
    "  -h, --help  print this text\n"
    "  --version   print parray's version\n"
    "  --man       print this text and every subcommand's help as the manual\n"
    "              page parray(1), in roff: parray --man | man -l -\n"
    "\n"
    "Every subcommand reads its options the same way: --opt=VALUE or --opt VALUE\n"
    "(-o FILE or -oFILE); a long option may be shortened to a prefix that names\n"
    "only it; options and arguments mix in any order; -- ends the options (for\n"
    "an argument that starts with -); an unknown option is refused, naming the\n"
    "nearest known one. The subcommands that print results (info, stats, gen,\n"
    "calc, matmul, pack, unpack, import, bench) take --json: the results as one\n"
    "JSON object on stdout instead of the text (bench: one per line, the table\n"
    "on stderr), or with --json=FILE the text on stdout and the JSON into\n"
    "FILE. Each one's --help lists its JSON fields.\n";

static const char ENVIRONMENT[] =
    "Read when a subcommand starts; give every rank the same values (a value\n"
    "that differs between ranks fails every rank, naming it).\n"
    "  PARRAY_AFFINITY=share|keep\n"
    "      share (default): bind each rank to a fair, disjoint share of its\n"
    "      node's cores (cut between physical cores, inside one NUMA node when\n"
    "      a machine has at least as many ranks as NUMA nodes), whatever the\n"
    "      launcher's binding; keep: leave the launcher's binding alone (the\n"
    "      BLAS threads then fit inside it)\n"
    "  PARRAY_BLAS_THREADS=T\n"
    "      BLAS threads per rank, instead of the number of cores in its share\n"
    "  PARRAY_RANKS_PER_NODE=K\n"
    "      split each node into emulated nodes of K ranks (to test multi-node\n"
    "      code on one machine)\n"
    "  PARRAY_POOL_MB=M\n"
    "      keep up to M MiB of freed array memory per rank for reuse (default\n"
    "      1024; 0: none)\n"
    "  PARRAY_SORT_BUFFER_MB=M\n"
    "      a sort's buffer per node for the pieces it receives from other\n"
    "      nodes and an argsort's pieces of values, in MiB (default 256)\n"
    "  PARRAY_TOPOLOGY=DESCRIPTION|FILE.xml\n"
    "      a testing aid: plan the cores for a machine described to hwloc (a\n"
    "      synthetic description such as \"pack:2 numa:2 core:8 pu:2\", or an\n"
    "      XML file that lstopo wrote) instead of this one; nothing is bound\n"
    "  PARRAY_MEM_AVAILABLE=BYTES\n"
    "      a testing aid: the memory each node counts as available; by default\n"
    "      the smallest of MemAvailable and the room under the cgroup's memory\n"
    "      limit. An array (or a buffer) larger than that fails at once with a\n"
    "      message, before anything is allocated\n"
    "  PARRAY_CHECK=collectives\n"
    "      debug mode: every collective call first checks that every rank makes\n"
    "      the same call with the same arguments (a mismatch fails it on every\n"
    "      rank, naming both calls), and reductions of replicated arrays check\n"
    "      that the nodes' copies agree; default none (no cost)\n"
    "  PARRAY_CHECK_TIMEOUT=S\n"
    "      in that mode, a rank that waits S seconds (default 60) for the others\n"
    "      to reach a collective call prints the call and the missing ranks,\n"
    "      then aborts the job\n"
    "  PARRAY_LOCK_TIMEOUT=S\n"
    "      a save into a file that another save holds locked waits up to S\n"
    "      seconds (default 60; 0: no wait), then fails\n"
    "  PARRAY_LOCK=auto|require|off\n"
    "      saves lock their file (.NAME.parray-lock beside it) so that saves\n"
    "      into one file take turns; auto (default): where the file system\n"
    "      keeps no locks, warn and save; require: fail there; off: never lock\n"
    "  PARRAY_SUM_READ=auto|intel|forward\n"
    "      the order in which tree sums (sum, mean, var, std, norm2, dot) read\n"
    "      memory; auto (default): by the CPU's maker, intel on Intel and\n"
    "      forward (in address order) on any other; the result is the same\n"
    "      bits in either order, only the speed differs\n"
    "  PARRAY_LOG=off|summary\n"
    "      summary: when the program ends, rank 0 prints on stderr a profile of\n"
    "      the library's collective calls: each call's count, its time on the\n"
    "      slowest and the quickest rank, the bytes of the arrays it touched\n"
    "      and GB/s, and the time spent waiting in agreements and barriers;\n"
    "      default off (no cost)\n"
    "  PARRAY_LOG_FILE=PATH\n"
    "      write that profile to PATH instead of stderr\n"
    "  PARRAY_H5_ALIGN=THRESHOLD,ALIGNMENT\n"
    "      HDF5 objects of at least THRESHOLD bytes start at multiples of\n"
    "      ALIGNMENT (sizes with K, M, G or T, e.g. 1M,4M: a Lustre stripe);\n"
    "      default none, which suits a local disk\n"
    "  PARRAY_MPIIO_HINTS=KEY=VALUE,...\n"
    "      MPI-IO hints every parallel HDF5 file is opened with (striping_unit,\n"
    "      striping_factor, cb_nodes, cb_buffer_size, romio_cb_write, ...; any\n"
    "      key passes through); parray info shows both, and the hints MPI-IO\n"
    "      took for a file in --hints-dir (docs/io.md)\n"
    "  PARRAY_REDIST_BUFFER_MB=M\n"
    "      the buffer per node, in MiB (default 64; 1 to 4095), through which\n"
    "      reshapes, slices, concatenations, transposes and redistributions\n"
    "      move data between nodes (docs/reshape.md)\n"
    "  OPENBLAS_NUM_THREADS, OMP_NUM_THREADS\n"
    "      OpenBLAS's thread count when it is loaded; parray sets the count\n"
    "      from its plan when a subcommand starts, so they need not be set\n"
    "Read by rank 0 only:\n"
    "  PARRAY_PROGRESS=1|0\n"
    "      1: calc, pack, unpack and import show progress on stderr\n"
    "      wherever it goes; 0: never. Unset (the default): only when rank\n"
    "      0's stderr is a terminal, so not under mpirun, which passes each\n"
    "      rank's stderr through a pipe: there, give --progress or mpirun -x\n"
    "      PARRAY_PROGRESS=1. A terminal gets a bar redrawn in place; a log\n"
    "      gets a line each time 10 s and 10% of the work have passed, and\n"
    "      one at the end: 'calc: 45% (4.5 of 10 GB), 3.1 GB/s, 12 s left'\n"
    "Batch jobs (Slurm, PBS) and their binding flags: docs/batch.md.\n";

static const char EXIT_STATUS[] = "0 on success, 1 when the work failed, 2 for a usage error;\n"
                                  "the same on every rank.\n";

static const char MORE[] =
    "'parray help SUBCOMMAND' or 'parray SUBCOMMAND --help' describes one\n"
    "subcommand; 'man parray' shows them all.\n";

static int name_width(const pa_cmd *const *cmds, size_t ncmds)
{
    size_t w = 0;
    for (size_t i = 0; i < ncmds; i++)
        if (strlen(cmds[i]->name) > w)
            w = strlen(cmds[i]->name);
    return (int)w + 1;
}

/* One line of the subcommand list, without its newline. */
static void list_line(char *buf, size_t size, const pa_cmd *cmd, int width)
{
    snprintf(buf, size, "  %-*s %s", width, cmd->name, cmd->summary);
}

void help_print_top(FILE *f, const pa_cmd *const *cmds, size_t ncmds)
{
    char line[256];
    int width = name_width(cmds, ncmds);
    fprintf(f, "%s\n%s\nSubcommands:\n", SYNOPSIS, DESCRIPTION);
    for (size_t i = 0; i < ncmds; i++) {
        list_line(line, sizeof line, cmds[i], width);
        fprintf(f, "%s\n", line);
    }
    fprintf(f, "\nOptions:\n%s\nEnvironment:\n%s\nExit status: %s\n%s", OPTIONS, ENVIRONMENT,
            EXIT_STATUS, MORE);
}

/* Writes len bytes of one line of plain text as a roff text line. The
 * escapes keep the text literal: a leading . or ' would be a request, \ is
 * the escape character, - is a hyphen to groff (\- is the ASCII minus that
 * options need to survive copy and paste), tabs would go to roff's tab
 * stops instead of every 8 columns, and non-ASCII UTF-8 becomes \[uXXXX]
 * so that the page does not depend on the reader's preprocessor. */
static void roff_line(FILE *f, const char *s, size_t len)
{
    if (len == 0) {
        fputs(".sp\n", f); /* a blank input line is a warning in roff */
        return;
    }
    if (s[0] == '.' || s[0] == '\'')
        fputs("\\&", f);
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            fputs("\\e", f);
        } else if (c == '-') {
            fputs("\\-", f);
        } else if (c == '\t') {
            do
                fputc(' ', f);
            while (++col % 8 != 0);
            continue;
        } else if (c < 0x80) {
            fputc(c, f);
        } else {
            /* A UTF-8 sequence: its lead byte says how many bytes follow. */
            int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
            unsigned long cp = more == 3 ? c & 0x07u : more == 2 ? c & 0x0fu : c & 0x1fu;
            for (int k = 0; k < more; k++) {
                unsigned char d = i + 1 < len ? (unsigned char)s[i + 1] : 0;
                if ((d & 0xc0) != 0x80) {
                    more = -1;
                    break;
                }
                cp = cp << 6 | (d & 0x3fu);
                i++;
            }
            if (more < 0)
                fputc('?', f);
            else
                fprintf(f, "\\[u%04lX]", cp);
        }
        col++;
    }
    fputc('\n', f);
}

/* Writes a text of lines as a roff no-fill block: it shows as the program
 * prints it, indented by the page's margin. */
static void roff_block(FILE *f, const char *text)
{
    fputs(".nf\n", f);
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        roff_line(f, text, len);
        text += len + (nl != NULL);
    }
    fputs(".fi\n", f);
}

void help_print_man(FILE *f, const pa_cmd *const *cmds, size_t ncmds)
{
    char line[256];
    int width = name_width(cmds, ncmds);
    /* No date: the page is built from the program, and the same program
     * must give the same page. */
    fprintf(f,
            ".\\\" parray(1), generated by 'parray --man' from the program's help texts.\n"
            ".TH PARRAY 1 \"\" \"parray %s\" \"User Commands\"\n"
            ".SH NAME\n",
            pa_version());
    fprintf(f, "parray \\- %s\n", NAME_LINE); /* the whatis line */
    fputs(".SH SYNOPSIS\n", f);
    roff_block(f, SYNOPSIS);
    fputs(".SH DESCRIPTION\n", f);
    roff_block(f, DESCRIPTION);
    fputs(".SH OPTIONS\n", f);
    roff_block(f, OPTIONS);
    fputs(".SH SUBCOMMANDS\n.nf\n", f);
    for (size_t i = 0; i < ncmds; i++) {
        list_line(line, sizeof line, cmds[i], width);
        roff_line(f, line, strlen(line));
    }
    fputs(".fi\n.sp\n", f);
    roff_block(f, MORE);
    for (size_t i = 0; i < ncmds; i++) {
        fprintf(f, ".SS \"parray %s\"\n", cmds[i]->name);
        roff_block(f, cmds[i]->usage);
    }
    fputs(".SH ENVIRONMENT\n", f);
    roff_block(f, ENVIRONMENT);
    fputs(".SH \"EXIT STATUS\"\n", f);
    roff_block(f, EXIT_STATUS);
    fputs(".SH \"SEE ALSO\"\n"
          ".BR mpirun (1),\n"
          ".BR srun (1),\n"
          ".BR h5dump (1)\n",
          f);
}

static const pa_cmd *find(const pa_cmd *const *cmds, size_t ncmds, const char *name)
{
    for (size_t i = 0; i < ncmds; i++)
        if (strcmp(cmds[i]->name, name) == 0)
            return cmds[i];
    return NULL;
}

int help_main(const pa_cmd *const *cmds, size_t ncmds, int argc, char **argv)
{
    static const opt_spec specs[] = {{"man", 0, OPT_FLAG, 2}};
    const char *name = NULL;
    int man = 0;
    opts p;
    opts_begin(&p, NULL, "help", cmd_help.usage, specs, 1, argc, argv);
    for (int k; (k = opts_next(&p)) != OPTS_END;) {
        if (k == OPTS_STOP)
            return p.status;
        if (k != OPTS_ARG)
            man = 1;
        else if (name)
            return cmd_usage(NULL, "help", "one SUBCOMMAND at most, not '%s' and '%s'", name,
                             p.value);
        else
            name = p.value;
    }
    if (man && name)
        return cmd_usage(NULL, "help", "--man takes no argument, not '%s'", name);
    if (man) {
        help_print_man(stdout, cmds, ncmds);
        return 0;
    }
    if (!name) {
        help_print_top(stdout, cmds, ncmds);
        return 0;
    }
    const pa_cmd *cmd = find(cmds, ncmds, name);
    if (!cmd)
        return cmd_usage(NULL, "help", "unknown subcommand '%s'; 'parray help' lists them", name);
    fputs(cmd->usage, stdout);
    return 0;
}

const pa_cmd cmd_help = {
    .name = "help",
    .summary = "describe parray or one subcommand; --man prints the manual page",
    .usage = "usage: parray help [SUBCOMMAND | --man]\n"
             "\n"
             "With no argument, prints parray's help: the subcommands, the options and\n"
             "the environment. With SUBCOMMAND, prints that subcommand's help, the same\n"
             "text as 'parray SUBCOMMAND --help'. With --man, prints the manual page\n"
             "parray(1) in roff, made of these same texts; 'make install' installs it.\n"
             "Needs no mpirun.\n"
             "\n"
             "Example: parray help matmul\n"
             "         parray help --man | man -l -\n",
    .run = NULL,
};
