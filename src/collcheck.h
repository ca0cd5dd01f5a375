/* Checks that every rank does the same thing: the settings at pa_init (always),
 * and, in the debug mode PARRAY_CHECK=collectives, every collective call and
 * every reduction of a replicated array.
 *
 * The collective check. Every public collective entry point starts with
 *
 *     PA_COLLECTIVE(ctx, "pa_reduce", "%s, %s, axis %d", PA_CC_ARRAY(a),
 *                   pa_reduce_name(op), axis);
 *
 * as soon as it has a context, before it checks its arguments. When the mode
 * is off that is one load and one branch: the arguments are not evaluated.
 * When it is on, the call's text ("pa_reduce(f64 (100,3), sum, axis -1)") is
 * hashed and sent with the hash, as one fixed-size record, to every other
 * rank of the job on the checker's own duplicate of the job communicator;
 * every rank receives the others' records. A rank's k-th record is its k-th
 * collective call (MPI keeps the order of messages between two ranks), so
 * once all records have come, every rank holds the same table of what each
 * rank called and decides alike: equal hashes pass; otherwise the call fails
 * on every rank with PA_EINVAL and one message naming rank 0's call and the
 * first rank's call that differs. Cost per call and rank: P - 1 eager sends
 * and receives of 256 bytes, polled with sleeps (50 us doubling to 1 ms).
 *
 * A rank that waits longer than PARRAY_CHECK_TIMEOUT seconds (default 60)
 * for the records prints the call it waits in and the ranks whose record has
 * not come, then calls MPI_Abort: the one place where the library ends the
 * job, and only in this debug mode, because the missing rank will never come.
 *
 * Not checked: pa_init and pa_init_comm (no context yet; their settings are
 * compared instead), pa_wait_quiet (collective over a communicator of the
 * caller's, not the job), and pa_array_free and pa_h5_commit/abort given
 * NULL (no-ops without a context). Pointer arguments (buffers, callbacks,
 * user data) are not compared: they differ between ranks by design. */
#ifndef PARRAY_COLLCHECK_H
#define PARRAY_COLLCHECK_H

#include <stddef.h>

#include "internal.h"
#include "profile.h"

/* The top of every public collective call fn of ctx (not NULL): the
 * collective check described above, and the profile's scope
 * (PARRAY_LOG=summary, profile.h). It declares a variable, so it stands
 * in a function's body as a statement of its own, before any label; the
 * variable's cleanup ends the profiled call on every return path. When
 * both modes are off the cost is one load and one branch here, and one
 * branch when the function returns. */
#define PA_COLLECTIVE(ctx, fn, ...)                                                              \
    pa_ctx *pa_call_scope_ __attribute__((cleanup(pa__call_end))) = NULL;                        \
    PA__WATCH(&pa_call_scope_, ctx, fn, __VA_ARGS__)

/* The check alone, for pa_finalize, which frees the context that the
 * scope's cleanup would read (it prints the profile instead). */
#define PA_COLLECTIVE_UNTIMED(ctx, fn, ...) PA__WATCH(NULL, ctx, fn, __VA_ARGS__)

#define PA__WATCH(scope, ctx, fn, ...)                                                           \
    do {                                                                                         \
        if (__builtin_expect((ctx)->watch_calls, 0))                                             \
            PA_TRY(pa__call_watch((scope), (ctx), (fn), __VA_ARGS__));                           \
    } while (0)

/* Collective over ctx's job in the check mode. Opens the profiled call
 * (when the profile is on and scope is not NULL), then the check itself:
 * formats the call's text from fmt, exchanges records, and returns PA_OK
 * or PA_EINVAL (a mismatch) on every rank alike, or PA_EMPI. Aborts the
 * job after the timeout. */
int pa__call_watch(pa_ctx **scope, pa_ctx *ctx, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Descriptions of arguments for the text, into a buffer of the caller's that
 * the macros make (only evaluated when a mode is on). With the profile on,
 * each array described is counted in the call's bytes; with the check off
 * its text is not made. */
#define PA_CC_ITEM 256
#define PA_CC_ARRAY(a) pa__cc_array((a), (char[PA_CC_ITEM]){""})
#define PA_CC_H5_OPTS(o) pa__cc_h5_opts((o), (char[PA_CC_ITEM]){""})
#define PA_CC_FILES_OPTS(o) pa__cc_files_opts((o), (char[PA_CC_ITEM]){""})
#define PA_CC_MATMUL_OPTS(o) pa__cc_matmul_opts((o), (char[PA_CC_ITEM]){""})
#define PA_CC_BIND(b, n) pa__cc_bind((b), (n), (char[PA_CC_ITEM]){""})
#define PA_CC_PATHS(p, n) pa__cc_paths((p), (n), (char[PA_CC_ITEM]){""})
#define PA_CC_STR(s) ((s) ? (s) : "(NULL)")
#define PA_CC_SHAPE(ndim, shape) pa__cc_shape((ndim), (shape), (char[PA_CC_ITEM]){""})
/* "distributed", "replicated", or "dist ?". */
const char *pa__cc_dist(pa_dist d);
/* "f64 (100,3)", "f64 (100,3) replicated", or "NULL". */
const char *pa__cc_array(const pa_array *a, char *buf);
const char *pa__cc_h5_opts(const pa_h5_opts *o, char *buf);
const char *pa__cc_files_opts(const pa_files_opts *o, char *buf);
const char *pa__cc_matmul_opts(const pa_matmul_opts *o, char *buf);
/* "x=f64 (10,) k=2.5" */
const char *pa__cc_bind(const pa_binding *b, int n, char *buf);
/* "3 paths a.npy .. c.npy #<hash of the whole list>" */
const char *pa__cc_paths(const char *const *paths, size_t n, char *buf);
/* "(100,3)", or "(NULL)" */
const char *pa__cc_shape(int ndim, const size_t *shape, char *buf);

/* The replicated check: in the mode, a reduction of a replicated array
 * (computed by each node alone) compares its results, the bytes bytes at
 * out, between nodes. Returns
 * rc unchanged when they agree, or PA_EINVAL on every rank with a message
 * that names the nodes that differ. Collective over the job. */
#define PA_REPLICATED_RESULT(a, fn, rc, out, bytes)                                              \
    (__builtin_expect((a)->ctx->check_collectives, 0) && (a)->dist == PA_REPLICATED              \
         ? pa__collcheck_replicated((a), (fn), (rc), (out), (bytes))                             \
         : (rc))
int pa__collcheck_replicated(const pa_array *a, const char *fn, int rc, const void *out,
                             size_t bytes);

/* pa_init, with the mode on: the checker's communicator and buffers
 * (collective over ctx->comm); free is teardown only. */
int pa__collcheck_init(pa_ctx *ctx);
void pa__collcheck_free(pa_ctx *ctx);

/* Collective over comm. Checks that every rank has the same values[0..n)
 * (a NULL value means unset, which differs from ""): one allreduce of their
 * hashes, and only on a mismatch an allgather of the first differing value
 * to name it, e.g. "PARRAY_RANKS_PER_NODE differs between ranks: '2' on
 * rank 0, unset on rank 1". Returns PA_OK or PA_EINVAL on every rank alike,
 * the message recorded for fn. */
int pa__same_strings(pa_ctx *ctx, MPI_Comm comm, const char *fn, int n, const char *const *names,
                     const char *const *values);

#endif
