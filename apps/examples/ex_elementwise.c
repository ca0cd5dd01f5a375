/* Concern 4 of docs/guide.md: element-wise math in parallel, one call per
 * operation or one fused expression.
 *
 * r = sqrt(x*x + y*y) * k, three ways:
 *   - element-wise calls (pa_binary, pa_unary, pa_binary_scalar), one pass
 *     over the arrays per operation, with a full-size temporary;
 *   - pa_eval: the expression compiled once and run by each rank over its
 *     own part in cache-sized blocks, with no full-size temporary;
 *   - a plain loop over this rank's span (pa_array_local), as a reference.
 * pa_eval applies the operations of the text in the text's order, so all
 * three agree bit for bit. Then a compiled expression is evaluated again with
 * another scalar, and an error shows how every rank reports it.
 *
 * Build: mpicc ex_elementwise.c $(pkg-config --cflags --libs parray) -lm
 * Run:   mpirun -n 2 ./ex_elementwise     (exit status 0 when the checks pass) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <parray.h>

#define ROWS 1000
#define COLS 500

#define TRY(call)                                                                                \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_ != PA_OK) {                                                                      \
            if (pa_ctx_rank(ctx) == 0)                                                           \
                fprintf(stderr, "ex_elementwise: %s: %s\n", pa_errname(rc_), pa_errmsg(ctx));    \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)

static int everywhere(int ok)
{
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return ok;
}

/* This rank's part of a and b hold the same bits (they have one layout). */
static int same_local(const pa_array *a, const pa_array *b)
{
    pa_span sa, sb;
    pa_array_local(a, &sa);
    pa_array_local(b, &sb);
    return sa.count == sb.count && memcmp(sa.ptr, sb.ptr, sa.count * sizeof(double)) == 0;
}

int main(int argc, char **argv)
{
    pa_ctx *ctx = NULL;
    pa_array *x = NULL, *y = NULL, *r = NULL, *t = NULL;
    pa_expr *e = NULL;
    int status = 1;
    const double k = 0.5;

    if (pa_init(&argc, &argv, &ctx) != PA_OK) {
        fprintf(stderr, "ex_elementwise: %s\n", pa_errmsg(NULL));
        return 1;
    }
    size_t shape[2] = {ROWS, COLS};
    TRY(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &x));
    TRY(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &y));
    TRY(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &r));
    TRY(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &t));
    TRY(pa_random_normal(x, 7, 0, 0.0, 1.0));
    TRY(pa_random_normal(y, 7, 1, 0.0, 1.0));

    /* One call per operation: t = x*x; r = y*y; t = t + r; t = sqrt(t);
     * t = t * k. out may be one of the inputs. */
    TRY(pa_binary(t, PA_OP_MUL, x, x));
    TRY(pa_binary(r, PA_OP_MUL, y, y));
    TRY(pa_binary(t, PA_OP_ADD, t, r));
    TRY(pa_unary(t, PA_OP_SQRT, t));
    TRY(pa_binary_scalar(t, PA_OP_MUL, t, k));

    /* The same as one fused expression. Names are bound to arrays or scalars. */
    pa_binding b[] = {PA_BIND_ARRAY("r", r), PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y),
                      PA_BIND_SCALAR("k", k)};
    TRY(pa_eval(ctx, "r = sqrt(x*x + y*y) * k", b, 4));

    /* Each rank checks its own part against the plain loop, bit for bit. */
    pa_span xs, ys, rs;
    pa_array_local(x, &xs);
    pa_array_local(y, &ys);
    pa_array_local(r, &rs);
    const double *xp = xs.ptr, *yp = ys.ptr, *rp = rs.ptr;
    int ok = same_local(r, t);
    for (size_t i = 0; ok && i < rs.count; i++)
        ok = rp[i] == sqrt(xp[i] * xp[i] + yp[i] * yp[i]) * k;
    if (!everywhere(ok)) {
        if (pa_ctx_rank(ctx) == 0)
            fprintf(stderr, "ex_elementwise: pa_eval, the calls and the loop disagree\n");
        goto out;
    }

    /* Compile once, evaluate many times: only the scalar changes. The
     * hypotenuse scaled by s, summed, is s times the sum at s = 1. */
    TRY(pa_expr_compile(ctx, "r = hypot(x, y) * s", &e));
    double sum1 = 0, sum;
    for (int s = 1; s <= 4; s *= 2) {
        pa_binding bs[] = {PA_BIND_ARRAY("r", r), PA_BIND_ARRAY("x", x), PA_BIND_ARRAY("y", y),
                           PA_BIND_SCALAR("s", s)};
        TRY(pa_expr_eval(e, bs, 4));
        TRY(pa_reduce(r, PA_RED_SUM, -1, &sum));
        if (s == 1)
            sum1 = sum;
        else if (sum != s * sum1) { /* scaling by 2 or 4 is exact */
            if (pa_ctx_rank(ctx) == 0)
                fprintf(stderr, "ex_elementwise: sum %.17g at s = %d, expected %.17g\n", sum, s,
                        s * sum1);
            goto out;
        }
    }

    /* An error: the name k is not bound. Every rank gets the same code and
     * message, and r is not written. */
    int rc = pa_eval(ctx, "r = x * k", b, 3);
    if (rc != PA_EINVAL || !strstr(pa_errmsg(ctx), "'k'")) {
        if (pa_ctx_rank(ctx) == 0)
            fprintf(stderr, "ex_elementwise: expected PA_EINVAL naming 'k', got %s: %s\n",
                    pa_errname(rc), pa_errmsg(ctx));
        goto out;
    }
    if (pa_ctx_rank(ctx) == 0)
        printf("ex_elementwise: ok: %d ranks; an unbound name gives %s: %s\n", pa_ctx_size(ctx),
               pa_errname(rc), pa_errmsg(ctx));
    status = 0;
out:
    pa_expr_free(&e);
    pa_array_free(&t);
    pa_array_free(&r);
    pa_array_free(&y);
    pa_array_free(&x);
    pa_finalize(&ctx);
    return status;
}
