/* User kernels: a caller's function run on each rank's span of an array
 * (pa_map), or on the span of an output with the same elements of up to
 * two inputs (pa_map2). The call syncs the node afterwards and agrees on
 * the outcome, since the function may fail on some ranks only. */
#include "collcheck.h"
#include "compute.h"

/* The outcome of fn on this rank as a parray code. */
static int fn_rc(pa_ctx *ctx, const char *fn, int rc)
{
    if (rc >= 0)
        return PA_OK;
    int code = rc >= PA_ESTATE ? rc : PA_EINVAL; /* a parray code, or EINVAL */
    return pa__err(ctx, fn, code, "fn failed on rank %d (returned %d)", ctx->rank, rc);
}

int pa_map(pa_array *a, pa_map_fn fn, void *userdata)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s", PA_CC_ARRAY(a));
    PA_CHECK(a->ctx, fn, PA_EINVAL, "fn is NULL");
    pa_span span;
    pa_array_local(a, &span);
    int rc = fn_rc(a->ctx, __func__, fn(&span, userdata));
    /* Publishes what fn wrote to the node's ranks, on every rank whatever
     * fn returned, and agrees so that every rank returns fn's outcome: one
     * allreduce does both. */
    return pa__array_sync_agree(a, rc);
}

int pa_map2(pa_array *out, const pa_array *a, const pa_array *b, pa_map2_fn fn, void *userdata)
{
    PA_TRY(pa__check_array(__func__, out, "out"));
    PA_COLLECTIVE(out->ctx, __func__, "%s, %s, %s", PA_CC_ARRAY(out), PA_CC_ARRAY(a),
                  PA_CC_ARRAY(b));
    PA_TRY(pa__check_match(__func__, out, "out", a, "a", 0));
    if (b)
        PA_TRY(pa__check_match(__func__, out, "out", b, "b", 0));
    PA_CHECK(out->ctx, fn, PA_EINVAL, "fn is NULL");
    /* out's partition decides the elements; a's and b's are read at the
     * same node-block indices, which any rank of the node may read. */
    size_t lo, hi;
    pa__local_range(out, &lo, &hi);
    size_t g = out->row0 * out->rowsize + lo;
    pa_span so = {pa__node_ptr(out, lo), g, hi - lo};
    pa_span sa = {pa__node_ptr(a, lo), g, hi - lo};
    pa_span sb = {b ? pa__node_ptr(b, lo) : NULL, g, hi - lo};
    int rc = fn_rc(out->ctx, __func__, fn(&so, &sa, b ? &sb : NULL, userdata));
    return pa__array_sync_agree(out, rc);
}
