/* The `help` subcommand and the man page: `parray help`, `parray --help`,
 * `parray help SUBCOMMAND` and `parray --man` all print from the same texts
 * (the top-level help below and each subcommand's `usage`), so the man page
 * cannot drift from what the program says. */
#ifndef PARRAY_HELP_H
#define PARRAY_HELP_H

#include <stddef.h>
#include <stdio.h>

#include "cmd.h"

/* The table entry of `parray help`. Its run is NULL: help needs the whole
 * command table and no MPI, so the dispatcher calls help_main instead,
 * before pa_init. */
extern const pa_cmd cmd_help;

/* Prints the top-level help (usage, description, the subcommands of cmds
 * with their summaries, options, environment) to f. */
void help_print_top(FILE *f, const pa_cmd *const *cmds, size_t ncmds);

/* Prints the man page parray(1) in roff (man macros) to f: the top-level
 * help and every subcommand's usage text, verbatim. */
void help_print_man(FILE *f, const pa_cmd *const *cmds, size_t ncmds);

/* Runs `parray help [SUBCOMMAND | --man]`; argv[0] is "help". Needs no
 * MPI.
 * Returns the exit status: 0, or 2 for an unknown subcommand or extra
 * arguments. */
int help_main(const pa_cmd *const *cmds, size_t ncmds, int argc, char **argv);

#endif
