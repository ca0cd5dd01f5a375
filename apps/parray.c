/* The parray program: one binary with subcommands, run under mpirun or as
 * a single rank without it. This file finds the subcommand, answers
 * --help, --version, --man and `help` without starting MPI, and owns
 * MPI_Init/MPI_Finalize around pa_init_comm/pa_finalize. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "help.h"

static const pa_cmd *const commands[] = {&cmd_info, &cmd_bench, &cmd_matmul, &cmd_pack, &cmd_unpack,
                                           &cmd_gen, &cmd_calc, &cmd_stats, &cmd_help};
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

static void vreport(const pa_ctx *ctx, const char *sub, const char *fmt, va_list ap)
{
    if (ctx && pa_ctx_rank(ctx) != 0)
        return;
    fprintf(stderr, "parray: %s: ", sub);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cmd_fail(const pa_ctx *ctx, const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ctx, sub, fmt, ap);
    va_end(ap);
    return 1;
}

int cmd_usage(const pa_ctx *ctx, const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ctx, sub, fmt, ap);
    va_end(ap);
    if (!ctx || pa_ctx_rank(ctx) == 0)
        fprintf(stderr, "Try 'parray %s --help'.\n", sub);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("parray %s\n", pa_version());
        return 0;
    }
    if (strcmp(argv[1], "--man") == 0)
        return help_main(commands, NCOMMANDS, argc, argv);
    const pa_cmd *cmd = find(argv[1]);
    if (!cmd) {
        fprintf(stderr, "parray: unknown subcommand '%s'\n", argv[1]);
        print_help(stderr);
        return 2;
    }
    /* Help needs no MPI: a subcommand's --help answers before pa_init. */
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cmd->usage, stdout);
            return 0;
        }
    if (cmd == &cmd_help) /* needs the table, not MPI */
        return help_main(commands, NCOMMANDS, argc - 1, argv + 1);

    /* The program starts MPI itself, so that after a failed pa_init_comm
     * rank 0 can print the reason before any rank exits (mpirun ends the
     * whole job as soon as one rank exits non-zero). */
    int provided, world_rank = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "parray: %s: MPI_Init_thread failed\n", cmd->name);
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    pa_ctx *ctx = NULL;
    int status = 1;
    if (pa_init_comm(MPI_COMM_WORLD, &ctx) != PA_OK) {
        if (world_rank == 0)
            fprintf(stderr, "parray: %s: %s\n", cmd->name, pa_errmsg(NULL));
    } else {
        status = cmd->run(ctx, argc - 1, argv + 1);
        if (pa_finalize(&ctx) != PA_OK && status == 0 && world_rank == 0)
            status = cmd_fail(NULL, cmd->name, "%s", pa_errmsg(NULL));
    }
    fflush(stdout);
    fflush(stderr);
    /* Everyone has printed what it had to before anyone exits. */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
