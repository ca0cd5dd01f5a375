/* What the parray program's subcommands share: the table entry each one
 * provides, and the one way they report a failure (cmd.c). */
#ifndef PARRAY_CMD_H
#define PARRAY_CMD_H

#include "parray.h"

/* A subcommand runs after pa_init on every rank, with argv[0] its own name.
 * It returns the process exit status, the same on every rank: 0 on success,
 * 1 on failure, 2 on a usage error. */
typedef struct {
    const char *name;
    const char *summary; /* one line for `parray --help` */
    const char *usage;   /* full text for `parray SUB --help` */
    int (*run)(pa_ctx *ctx, int argc, char **argv);
} pa_cmd;

extern const pa_cmd cmd_info;
extern const pa_cmd cmd_bench;
extern const pa_cmd cmd_pack, cmd_unpack, cmd_import;
extern const pa_cmd cmd_matmul;
extern const pa_cmd cmd_gen, cmd_calc, cmd_stats;
extern const pa_cmd cmd_sort;
extern const pa_cmd cmd_slice, cmd_reshape, cmd_transpose, cmd_concat;

/* The dtypes' names for usage texts and messages: " f64 f32 ..." (a string
 * literal, each name after a space). */
#define CMD_DTYPE_NAME(NAME, name, ...) " " #name
#define CMD_DTYPES PA_DTYPE_LIST(CMD_DTYPE_NAME)

/* The one line that explains --copy, after the option in a usage text
 * (`parray help` says more). */
#define CMD_COPY_HELP "copy the whole file instead of saving in place\n"

/* Prints "parray: <sub>: <message>" once, from rank 0 of ctx, to stderr, and
 * returns 1. Use with the same arguments on every rank. */
int cmd_fail(const pa_ctx *ctx, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Usage error: prints "parray: <sub>: <message>" and a hint from rank 0,
 * returns 2. With sub NULL (the program's own options): "parray: <message>". */
int cmd_usage(const pa_ctx *ctx, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pa_errmsg(ctx) in the program's words: without the C call's name, and
 * with the program's options where the library suggests a call, e.g.
 * "pa_expr_eval: dtype mismatch: r is f64, y is f32 (convert one with
 * pa_astype)" becomes "dtype mismatch: r is f64, y is f32 (give --dtype to
 * compute in one dtype)". The text is valid until the next call. */
const char *cmd_errmsg(const pa_ctx *ctx);

/* cmd_errmsg with the library's names of a call's array arguments,
 * argname[0] .. argname[n-1] ("srcs[1]"), replaced by the inputs the
 * program was given for them ("b.h5:/x"). */
const char *cmd_errmsg_inputs(const pa_ctx *ctx, const char *argname, const char *const *inputs,
                              int n);

#endif
