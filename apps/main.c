/* The parray program: one binary with subcommands, run under mpirun or as
 * a single rank without it. This file finds the subcommand, answers
 * --help, --version, --man and `help` without starting MPI, and owns
 * MPI_Init/MPI_Finalize around pa_init_comm/pa_finalize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "help.h"
#include "opts.h"

static const pa_cmd *const commands[] = {&cmd_info,    &cmd_bench,     &cmd_matmul, &cmd_pack,
                                         &cmd_unpack,  &cmd_import,    &cmd_gen,    &cmd_calc,
                                         &cmd_stats,   &cmd_help,      &cmd_sort,   &cmd_slice,
                                         &cmd_reshape, &cmd_transpose, &cmd_concat};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_help(FILE *f)
{
    help_print_top(f, commands, NCOMMANDS);
}

static const pa_cmd *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i]->name;
    const char *near = opts_nearest(name, names, (int)NCOMMANDS);
    if (near)
        fprintf(stderr, "parray: unknown subcommand '%s' (did you mean %s?)\n", name, near);
    else
        fprintf(stderr, "parray: unknown subcommand '%s'\n", name);
    print_help(stderr);
    return 2;
}

/* Whether a subcommand's arguments ask for its help: --help or -h before
 * any `--` (abbreviations are answered by the subcommand's parser). */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

enum { O_HELP = 2, O_VERSION, O_MAN };

static const opt_spec top_specs[] = {
    {"help", 'h', OPT_FLAG, O_HELP},
    {"version", 0, OPT_FLAG, O_VERSION},
    {"man", 0, OPT_FLAG, O_MAN},
};

/* The program's own options, before the subcommand: answers --help,
 * --version and --man. Returns the subcommand's index in argv, or 0 with
 * the exit status in *status. */
static int top_options(int argc, char **argv, int *status)
{
    opts p;
    opts_begin_in_order(&p, NULL, NULL, top_specs, 3, argc, argv);
    int k = opts_next(&p);
    *status = 0;
    switch (k) {
    case OPTS_ARG: return p.next - 1;
    case OPTS_STOP: *status = p.status; break;
    case OPTS_END:
        print_help(stderr);
        *status = 2;
        break;
    case O_HELP: print_help(stdout); break;
    case O_VERSION: printf("parray %s\n", pa_version()); break;
    case O_MAN:
        k = opts_next(&p);
        if (k == OPTS_STOP)
            *status = p.status;
        else if (k != OPTS_END)
            *status = cmd_usage(NULL, NULL, "--man takes no argument, not '%s'",
                                k == OPTS_ARG ? p.value : p.name);
        else
            help_print_man(stdout, commands, NCOMMANDS);
        break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int status;
    int at = top_options(argc, argv, &status);
    if (!at)
        return status;
    const pa_cmd *cmd = find(argv[at]);
    if (!cmd)
        return unknown_command(argv[at]);
    /* Help needs no MPI: a subcommand's --help answers before pa_init. */
    if (wants_help(argc - at, argv + at)) {
        fputs(cmd->usage, stdout);
        return 0;
    }
    if (cmd == &cmd_help) /* needs the table, not MPI */
        return help_main(commands, NCOMMANDS, argc - at, argv + at);

    /* The program starts MPI itself, so that after a failed pa_init_comm
     * rank 0 can print the reason before any rank exits (mpirun ends the
     * whole job as soon as one rank exits non-zero). */
    int provided, world_rank = 0;
    status = 1;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "parray: %s: MPI_Init_thread failed\n", cmd->name);
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    pa_ctx *ctx = NULL;
    if (pa_init_comm(MPI_COMM_WORLD, &ctx) != PA_OK) {
        if (world_rank == 0)
            fprintf(stderr, "parray: %s: %s\n", cmd->name, cmd_errmsg(NULL));
    } else {
        status = cmd->run(ctx, argc - at, argv + at);
        if (pa_finalize(&ctx) != PA_OK && status == 0 && world_rank == 0)
            status = cmd_fail(NULL, cmd->name, "%s", cmd_errmsg(NULL));
    }
    fflush(stdout);
    fflush(stderr);
    /* Everyone has printed what it had to before anyone exits. */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
