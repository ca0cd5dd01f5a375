/* The per-call profile, PARRAY_LOG=summary: how many times each public
 * collective call ran, how long it took on each rank, and how many bytes
 * of arrays it touched; and, as their own rows, the time spent waiting in
 * agreements (pa__agree and the file check's allreduce) and barriers.
 * pa_finalize gathers every rank's counters with one MPI_Reduce and rank 0
 * prints one table (to stderr, or to PARRAY_LOG_FILE).
 *
 * Protocol. Every public collective call starts with PA_COLLECTIVE
 * (collcheck.h), which declares a scope variable whose cleanup runs when
 * the function returns, on every return path. With the profile off the
 * cost is the collective check's existing test of ctx->watch_calls at the
 * top and one test of the scope (NULL) at the end. With it on:
 *
 *     PA_COLLECTIVE(ctx, "pa_reduce", ...)   pa__profile_begin: the call's
 *                                            row, found by name in the
 *                                            compile-time list below; a call
 *                                            made inside another one (say
 *                                            pa_array_create in pa_h5_load)
 *                                            is part of the outer call's time
 *                                            and is not counted itself
 *     ... the call ...                       PA_PROFILE_WAIT rows add up
 *     return rc;                             pa__profile_end: count, time
 *
 * Bytes: the arrays a call is given (those its PA_COLLECTIVE line names
 * with PA_CC_ARRAY or PA_CC_BIND, each counted whole: size x element size)
 * plus the arrays it creates (a load's result). Rows that are not data
 * movement (pa_array_free, pa_array_sync) show none.
 *
 * The table's rows are indexed by the list, never by names seen at run
 * time, so every rank reduces the same fixed-size vector even when ranks
 * made different calls. */
#ifndef PARRAY_PROFILE_H
#define PARRAY_PROFILE_H

#include "internal.h"

/* THE PUBLIC COLLECTIVE CALLS that PA_COLLECTIVE times, with whether their
 * arrays' bytes are data they move (1) or not (0). tests/profile.sh checks
 * that this is every call the headers say is collective, less pa_init,
 * pa_init_comm and pa_finalize (no context to time them in) and
 * pa_wait_quiet (the caller's communicator). */
#define PA__PROFILE_CALLS(X)                                                                     \
    X(pa_mem_check, 0)                                                                           \
    X(pa_array_create, 1)                                                                        \
    X(pa_array_free, 0)                                                                          \
    X(pa_array_sync, 0)                                                                          \
    X(pa_array_gather, 1)                                                                        \
    X(pa_array_scatter, 1)                                                                       \
    X(pa_array_replicate, 1)                                                                     \
    X(pa_zeros, 1)                                                                               \
    X(pa_ones, 1)                                                                                \
    X(pa_full, 1)                                                                                \
    X(pa_arange, 1)                                                                              \
    X(pa_linspace, 1)                                                                            \
    X(pa_copy, 1)                                                                                \
    X(pa_astype, 1)                                                                              \
    X(pa_random_uniform, 1)                                                                      \
    X(pa_random_normal, 1)                                                                       \
    X(pa_random_integers, 1)                                                                     \
    X(pa_random_unsigned, 1)                                                                     \
    X(pa_random_bool, 1)                                                                         \
    X(pa_unary, 1)                                                                               \
    X(pa_binary, 1)                                                                              \
    X(pa_binary_scalar, 1)                                                                       \
    X(pa_scalar_binary, 1)                                                                       \
    X(pa_map, 1)                                                                                 \
    X(pa_map2, 1)                                                                                \
    X(pa_reduce, 1)                                                                              \
    X(pa_reduce_value, 1)                                                                        \
    X(pa_var, 1)                                                                                 \
    X(pa_std, 1)                                                                                 \
    X(pa_dot, 1)                                                                                 \
    X(pa_expr_eval, 1)                                                                           \
    X(pa_eval, 1)                                                                                \
    X(pa_h5_save, 1)                                                                             \
    X(pa_h5_load, 1)                                                                             \
    X(pa_h5_read, 1)                                                                             \
    X(pa_h5_info, 0)                                                                             \
    X(pa_h5_load_rows, 1)                                                                        \
    X(pa_h5_read_rows, 1)                                                                        \
    X(pa_h5_create, 0)                                                                           \
    X(pa_h5_write_rows, 1)                                                                       \
    X(pa_h5_commit, 0)                                                                           \
    X(pa_h5_abort, 0)                                                                            \
    X(pa_h5_attr_set_str, 0)                                                                     \
    X(pa_h5_attr_set_num, 0)                                                                     \
    X(pa_h5_attr_set_int, 0)                                                                     \
    X(pa_h5_attr_get_str, 0)                                                                     \
    X(pa_h5_attr_get_num, 0)                                                                     \
    X(pa_h5_attr_get_int, 0)                                                                     \
    X(pa_load_files, 1)                                                                          \
    X(pa_save_files, 1)                                                                          \
    X(pa_load_csv, 1)                                                                            \
    X(pa_load_npy, 1)                                                                            \
    X(pa_save_csv, 1)                                                                            \
    X(pa_matmul, 1)                                                                              \
    X(pa_matvec, 1)                                                                              \
    X(pa_solve, 1)                                                                               \
    X(pa_cholesky, 1)                                                                            \
    X(pa_cholesky_solve, 1)                                                                      \
    X(pa_eigh, 1)                                                                                \
    X(pa_lstsq, 1)                                                                               \
    X(pa_cumsum, 1)                                                                              \
    X(pa_cumprod, 1)                                                                             \
    X(pa_histogram, 1)                                                                           \
    X(pa_histogram_edges, 1)                                                                     \
    X(pa_h5_hints_in_effect, 0)                                                                  \
    X(pa_dot_value, 1)                                                                           \
    X(pa_sort, 1)                                                                                \
    X(pa_argsort, 1)                                                                             \
    X(pa_quantile, 1)                                                                            \
    X(pa_percentile, 1)                                                                          \
    X(pa_median, 1)                                                                              \
    X(pa_reshape, 1)                                                                             \
    X(pa_slice_rows, 1)                                                                          \
    X(pa_take_cols, 1)                                                                           \
    X(pa_concat, 1)                                                                              \
    X(pa_transpose, 1)                                                                           \
    X(pa_redistribute, 1)                                                                        \
    X(pa_mem_peak, 0)                                                                            \
    X(pa_mem_peak_reset, 0)                                                                      \
    X(pa_quantile_by, 1)                                                                         \
    X(pa_percentile_by, 1)                                                                       \
    X(pa_topk, 1)                                                                                \
    X(pa_unique, 1)                                                                              \
    X(pa_reduce_axes, 1)                                                                         \
    X(pa_reduce_axes_ddof, 1)                                                                    \
    X(pa_import_csv, 1)

/* The waits, rows after the calls'. */
typedef enum {
    PA__WAIT_AGREE,   /* pa__agree and the file check's allreduce */
    PA__WAIT_BARRIER, /* node barriers (pa__array_sync, matmul) and quiet waits */
    PA__NWAITS
} pa__wait_kind;

/* Times call (an expression of type int, an MPI call say) as a wait of
 * kind for ctx (which may be NULL) when the profile is on; otherwise it is
 * just call, behind one branch. */
/* clang-format off */
#define PA_PROFILE_WAIT(ctx, kind, call)                                       \
    (__builtin_expect((ctx) != NULL && (ctx)->profile != NULL, 0)              \
         ? __extension__({                                                     \
               double pa_wait_t0_ = MPI_Wtime();                               \
               int pa_wait_rc_ = (call);                                       \
               pa__profile_wait((ctx), (kind), pa_wait_t0_);                   \
               pa_wait_rc_;                                                    \
           })                                                                  \
         : (call))
/* clang-format on */

/* A created array's bytes go to the open call (pa_array_create). */
#define PA_PROFILE_CREATED(a)                                                                    \
    do {                                                                                         \
        if (__builtin_expect((a)->ctx->profile != NULL, 0))                                      \
            pa__profile_created(a);                                                              \
    } while (0)

/* Not collective. Opens the call fn of ctx (the profile on): *scope = ctx. */
void pa__profile_begin(pa_ctx **scope, pa_ctx *ctx, const char *fn);
/* Not collective. Closes the open call: its count, time and bytes. */
void pa__profile_end(pa_ctx *ctx);
/* Not collective. An array named in the arguments of the call about to
 * open (PA_CC_ARRAY, evaluated before pa__profile_begin). */
void pa__profile_arg(const pa_array *a);
void pa__profile_created(const pa_array *a);
void pa__profile_wait(pa_ctx *ctx, pa__wait_kind kind, double t0);

/* The scope's cleanup (collcheck.h): ends the call that *scope (a context,
 * or NULL with the profile off) opened. */
static inline void pa__call_end(pa_ctx **scope)
{
    if (__builtin_expect(*scope != NULL, 0))
        pa__profile_end(*scope);
}

/* pa_init, after the settings: with PARRAY_LOG=summary, the counters, and
 * on rank 0 PARRAY_LOG_FILE opened for writing (the caller agrees). */
int pa__profile_init(pa_ctx *ctx);
/* pa_finalize: collective over the job when the profile is on (a no-op
 * otherwise). One MPI_Reduce of every rank's counters to rank 0, which
 * prints the table; the outcome is agreed. */
int pa__profile_report(pa_ctx *ctx);
/* Teardown only. */
void pa__profile_free(pa_ctx *ctx);

#endif
