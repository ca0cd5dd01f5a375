/* Tests of the reshapes, slices, column takes, concatenation, transposes
 * and redistribution (reshape.h) and of the engine under them (redist.c):
 * every call against a serial reference computed here on the gathered
 * input, byte for byte (the calls move bytes), on both distributions,
 * every dtype, arrays with fewer rows than ranks (empty nodes), zero-size
 * dimensions, many rounds through a 1 MiB buffer, the refusals with their
 * messages, and the memory bound by its measured peak. */
#include "testutil.h"

#include "internal.h"

#define MAXN 4096

/* Byte b of element i of a test array: differs by element and by byte, so
 * a misplaced or torn element shows; a bool holds 0 or 1. */
static unsigned char pattern(size_t i, size_t b, pa_dtype d)
{
    if (d == PA_BOOL)
        return (unsigned char)(i * 7 % 3 == 1);
    return (unsigned char)(i * 131 + b * 29 + 1 + (i >> 8));
}

/* A new array of the given dtype, shape and distribution, filled with the
 * pattern (also into ref, when not NULL: the whole array in C order). */
static pa_array *filled(pa_ctx *c, pa_dtype d, int ndim, const size_t *shape, pa_dist dist,
                        unsigned char **ref)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, d, ndim, shape, dist, &a), c);
    size_t n = pa_array_size(a), es = pa_dtype_size(d);
    unsigned char *buf = malloc(n * es + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < es; b++)
            buf[i * es + b] = pattern(i, b, d);
    TU_OK(pa_array_scatter(a, 0, buf), c);
    if (ref)
        *ref = buf;
    else
        free(buf);
    return a;
}

/* Collective: a has the shape, the distribution and, in C order, the bytes
 * of want. */
static void expect(pa_array *a, pa_dist dist, int ndim, const size_t *shape,
                   const unsigned char *want, const char *what)
{
    size_t got_shape[PA_MAXDIM];
    pa_array_shape(a, got_shape);
    TU_ASSERT(pa_array_ndim(a) == ndim &&
                  memcmp(got_shape, shape, sizeof(size_t) * (size_t)ndim) == 0,
              "%s: shape", what);
    TU_ASSERT(pa_array_dist(a) == dist, "%s: distribution", what);
    size_t bytes = pa_array_size(a) * pa_dtype_size(pa_array_dtype(a));
    unsigned char *got = malloc(bytes + 1);
    TU_OK(pa_array_gather(a, 0, got), pa_array_ctx(a));
    size_t bad = SIZE_MAX;
    if (tu_rank() == 0)
        for (size_t i = 0; i < bytes && bad == SIZE_MAX; i++)
            if (got[i] != want[i])
                bad = i;
    TU_ASSERT(bad == SIZE_MAX, "%s (%s): byte %zu differs", what,
              pa_dtype_name(pa_array_dtype(a)), bad);
    free(got);
}

/* Collective: expect(), then frees the arrays and the buffers. */
static void expect_free(pa_array **out, pa_array **in, pa_dist dist, int ndim,
                        const size_t *shape, unsigned char *want, unsigned char *ref,
                        const char *what)
{
    expect(*out, dist, ndim, shape, want, what);
    pa_array_free(out);
    pa_array_free(in);
    if (want != ref)
        free(want);
    free(ref);
}

/* Collective: the call failed with PA_EINVAL and its message holds text. */
static void refused(int rc, const char *text)
{
    TU_RC(rc, PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), text) != NULL, "message '%s' lacks '%s'", pa_errmsg(ctx),
              text);
}

static const pa_dist dists[] = {PA_DISTRIBUTED, PA_REPLICATED};

/* ------------------------------------------------------------ reshape */

static void check_reshape(pa_ctx *c, pa_dtype d, pa_dist dist, int nd0, const size_t *s0, int nd1,
                          const size_t *s1)
{
    unsigned char *ref;
    pa_array *a = filled(c, d, nd0, s0, dist, &ref), *b = NULL;
    TU_OK(pa_reshape(a, nd1, s1, &b), c);
    expect_free(&b, &a, dist, nd1, s1, ref, ref, "reshape"); /* C order: the same bytes */
}

START_TEST(test_reshape)
{
    static const struct {
        int nd0;
        size_t s0[3];
        int nd1;
        size_t s1[3];
    } cases[] = {
        {1, {12}, 2, {3, 4}},      {2, {3, 4}, 2, {4, 3}}, {2, {7, 5}, 2, {5, 7}},
        {3, {2, 3, 4}, 2, {4, 6}}, {1, {5}, 2, {5, 1}},    {2, {1, 1}, 1, {1}},
        {2, {0, 3}, 2, {3, 0}},    {1, {0}, 3, {2, 0, 4}}, {2, {61, 3}, 3, {3, 61, 1}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int di = 0; di < 2; di++)
            check_reshape(ctx, PA_F64, dists[di], cases[k].nd0, cases[k].s0, cases[k].nd1,
                          cases[k].s1);
    size_t s0[2] = {9, 7}, s1[1] = {63};
    for (int d = 0; d < PA_NDTYPES; d++)
        check_reshape(ctx, (pa_dtype)d, PA_DISTRIBUTED, 2, s0, 1, s1);
}
END_TEST

/* ------------------------------------------------------------ slices */

/* numpy's slice.indices written out a second way: the selected rows. */
static size_t slice_ref(int64_t n, int64_t start, int64_t stop, int64_t step, int64_t *rows)
{
    size_t count = 0;
    int64_t first, last; /* inclusive range of valid positions to walk */
    if (step > 0) {
        first = start == PA_SLICE_NONE ? 0 : start < 0 ? (start + n < 0 ? 0 : start + n) : start;
        last = stop == PA_SLICE_NONE ? n : stop < 0 ? (stop + n < 0 ? 0 : stop + n) : stop;
        for (int64_t i = first; i < last && i < n; i += step)
            rows[count++] = i;
    } else {
        first = start == PA_SLICE_NONE ? n - 1
                : start < 0            ? start + n
                : start >= n           ? n - 1
                                       : start;
        last = stop == PA_SLICE_NONE ? -1 : stop < 0 ? (stop + n < -1 ? -1 : stop + n) : stop;
        for (int64_t i = first; i > last && i >= 0; i += step)
            rows[count++] = i;
    }
    return count;
}

static void check_slice(pa_dtype d, pa_dist dist, int ndim, const size_t *shape, int64_t start,
                        int64_t stop, int64_t step)
{
    unsigned char *ref;
    pa_array *a = filled(ctx, d, ndim, shape, dist, &ref), *b = NULL;
    TU_OK(pa_slice_rows(a, start, stop, step, &b), ctx);
    static int64_t rows[MAXN];
    size_t count = slice_ref((int64_t)shape[0], start, stop, step, rows);
    size_t row_bytes = pa_array_size(a) / (shape[0] ? shape[0] : 1) * pa_dtype_size(d);
    if (shape[0] == 0)
        row_bytes = 0;
    unsigned char *want = malloc(count * row_bytes + 1);
    for (size_t i = 0; i < count; i++)
        memcpy(want + i * row_bytes, ref + (size_t)rows[i] * row_bytes, row_bytes);
    size_t out_shape[PA_MAXDIM];
    memcpy(out_shape, shape, sizeof(size_t) * (size_t)ndim);
    out_shape[0] = count;
    expect_free(&b, &a, dist, ndim, out_shape, want, ref, "slice_rows");
}

START_TEST(test_slice_rows)
{
    const int64_t N = PA_SLICE_NONE;
    static const int64_t sl[][3] = {
        {N, N, 1},   {2, 9, 1},     {2, 9, 3},       {-3, N, 1},     {N, -4, 2}, {N, N, -1},
        {9, 2, -2},  {-1, -12, -3}, {100, -100, -1}, {-100, 100, 4}, {5, 5, 1},  {7, 2, 1},
        {0, 11, 20}, {N, N, -20},   {3, N, -1},      {N, 3, -1},
    };
    size_t s2[2] = {11, 3}, s1[1] = {2}, s0[2] = {0, 4}, s3[3] = {5, 0, 2};
    for (size_t k = 0; k < sizeof sl / sizeof sl[0]; k++)
        for (int di = 0; di < 2; di++) {
            check_slice(PA_F64, dists[di], 2, s2, sl[k][0], sl[k][1], sl[k][2]);
            check_slice(PA_I16, dists[di], 1, s1, sl[k][0], sl[k][1], sl[k][2]);
            check_slice(PA_F64, dists[di], 2, s0, sl[k][0], sl[k][1], sl[k][2]);
            check_slice(PA_U8, dists[di], 3, s3, sl[k][0], sl[k][1], sl[k][2]);
        }
    for (int d = 0; d < PA_NDTYPES; d++)
        check_slice((pa_dtype)d, PA_DISTRIBUTED, 2, s2, -2, N, -3);
}
END_TEST

/* ------------------------------------------------------------ columns */

static void check_take(pa_dtype d, pa_dist dist, size_t rows, size_t cols, const int64_t *idx,
                       size_t n)
{
    size_t shape[2] = {rows, cols}, es = pa_dtype_size(d);
    unsigned char *ref;
    pa_array *a = filled(ctx, d, 2, shape, dist, &ref), *b = NULL;
    TU_OK(pa_take_cols(a, idx, n, &b), ctx);
    unsigned char *want = malloc(rows * n * es + 1);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < n; j++) {
            size_t c = (size_t)(idx[j] < 0 ? idx[j] + (int64_t)cols : idx[j]);
            memcpy(want + (r * n + j) * es, ref + (r * cols + c) * es, es);
        }
    size_t out_shape[2] = {rows, n};
    expect_free(&b, &a, dist, 2, out_shape, want, ref, "take_cols");
}

START_TEST(test_take_cols)
{
    static const int64_t idx[] = {2, 0, -1, 1, 2, 3, 4, -5};
    for (int di = 0; di < 2; di++) {
        check_take(PA_F64, dists[di], 13, 5, idx, 8);
        check_take(PA_F64, dists[di], 2, 5, idx + 3, 3);
        check_take(PA_F64, dists[di], 0, 5, idx, 2);
        check_take(PA_F64, dists[di], 6, 5, NULL, 0);
    }
    for (int d = 0; d < PA_NDTYPES; d++)
        check_take((pa_dtype)d, PA_DISTRIBUTED, 9, 5, idx, 8);
}
END_TEST

/* ------------------------------------------------------------ concat */

/* Concatenates n arrays of the given dists along axis (0 of 3-D arrays
 * with these row counts, or 1 of 2-D arrays with these column counts). */
static void check_concat(pa_dtype d, int axis, int n, const size_t *lens, const pa_dist *dist)
{
    pa_array *a[4];
    unsigned char *ref[4];
    size_t es = pa_dtype_size(d), total = 0, rows = 6, inner = 2 * 3;
    pa_dist out_dist = PA_REPLICATED;
    for (int i = 0; i < n; i++) {
        size_t s0[3] = {lens[i], 2, 3}, s1[2] = {rows, lens[i]};
        a[i] = axis == 0 ? filled(ctx, d, 3, s0, dist[i], &ref[i])
                         : filled(ctx, d, 2, s1, dist[i], &ref[i]);
        total += lens[i];
        if (dist[i] == PA_DISTRIBUTED)
            out_dist = PA_DISTRIBUTED;
    }
    pa_array *b = NULL;
    TU_OK(pa_concat(a, n, axis, &b), ctx);
    unsigned char *want = malloc((axis == 0 ? total * inner : rows * total) * es + 1), *w = want;
    if (axis == 0)
        for (int i = 0; i < n; i++) {
            memcpy(w, ref[i], lens[i] * inner * es);
            w += lens[i] * inner * es;
        }
    else
        for (size_t r = 0; r < rows; r++)
            for (int i = 0; i < n; i++) {
                memcpy(w, ref[i] + r * lens[i] * es, lens[i] * es);
                w += lens[i] * es;
            }
    size_t s0[3] = {total, 2, 3}, s1[2] = {rows, total};
    expect(b, out_dist, axis == 0 ? 3 : 2, axis == 0 ? s0 : s1, want, "concat");
    pa_array_free(&b);
    for (int i = 0; i < n; i++) {
        pa_array_free(&a[i]);
        free(ref[i]);
    }
    free(want);
}

START_TEST(test_concat)
{
    static const size_t lens[] = {4, 0, 9, 1};
    static const pa_dist mixed[] = {PA_DISTRIBUTED, PA_REPLICATED, PA_REPLICATED, PA_DISTRIBUTED};
    static const pa_dist rep[] = {PA_REPLICATED, PA_REPLICATED, PA_REPLICATED, PA_REPLICATED};
    static const pa_dist dis[] = {PA_DISTRIBUTED, PA_DISTRIBUTED, PA_DISTRIBUTED, PA_DISTRIBUTED};
    for (int axis = 0; axis < 2; axis++) {
        check_concat(PA_F64, axis, 4, lens, mixed);
        check_concat(PA_F64, axis, 4, lens, rep);
        check_concat(PA_F64, axis, 3, lens, dis);
        check_concat(PA_F64, axis, 1, lens + 2, dis);
    }
    for (int d = 0; d < PA_NDTYPES; d++) {
        check_concat((pa_dtype)d, 0, 3, lens, dis);
        check_concat((pa_dtype)d, 1, 3, lens, mixed);
    }
}
END_TEST

/* ------------------------------------------------------------ transpose */

static void check_transpose(pa_ctx *c, pa_dtype d, pa_dist dist, size_t rows, size_t cols)
{
    size_t shape[2] = {rows, cols}, es = pa_dtype_size(d);
    unsigned char *ref;
    pa_array *a = filled(c, d, 2, shape, dist, &ref), *b = NULL;
    TU_OK(pa_transpose(a, &b), c);
    unsigned char *want = malloc(rows * cols * es + 1);
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < cols; k++)
            memcpy(want + (k * rows + r) * es, ref + (r * cols + k) * es, es);
    size_t out_shape[2] = {cols, rows};
    expect_free(&b, &a, dist, 2, out_shape, want, ref, "transpose");
}

START_TEST(test_transpose)
{
    static const size_t shapes[][2] = {{13, 7}, {1, 5},   {5, 1},   {0, 3},
                                       {3, 0},  {2, 300}, {300, 2}, {70, 70}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int di = 0; di < 2; di++)
            check_transpose(ctx, PA_F64, dists[di], shapes[k][0], shapes[k][1]);
    for (int d = 0; d < PA_NDTYPES; d++)
        check_transpose(ctx, (pa_dtype)d, PA_DISTRIBUTED, 37, 41);
    /* Pieces of more than 1 MiB between nodes: transposed and unpacked
     * with streaming stores. */
    check_transpose(ctx, PA_F64, PA_DISTRIBUTED, 2048, 600);
}
END_TEST

/* ------------------------------------------------------------ redistribute */

START_TEST(test_redistribute)
{
    static const size_t shapes[][2] = {{13, 3}, {2, 4}, {0, 2}, {1, 1}, {40, 0}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int from = 0; from < 2; from++)
            for (int to = 0; to < 2; to++) {
                unsigned char *ref;
                pa_array *a = filled(ctx, PA_C128, 2, shapes[k], dists[from], &ref), *b = NULL;
                TU_OK(pa_redistribute(a, dists[to], &b), ctx);
                expect_free(&b, &a, dists[to], 2, shapes[k], ref, ref, "redistribute");
            }
}
END_TEST

/* ------------------------------------------------------------ rounds */

/* A context whose buffer is the smallest, 1 MiB: arrays of a few MiB
 * take many rounds, with windows that end inside rows. */
static pa_ctx *small_buffer_ctx(void)
{
    return tu_env_ctx("PARRAY_REDIST_BUFFER_MB", "1");
}

/* Collective: the 2-D distributed array a (shape s, bytes ref) made
 * replicated, and sliced from row start to its end by step. */
static void check_moves(pa_ctx *c, pa_array *a, const size_t *s, const unsigned char *ref,
                        int64_t start, int64_t step, const char *what)
{
    pa_array *b = NULL;
    TU_OK(pa_redistribute(a, PA_REPLICATED, &b), c);
    expect(b, PA_REPLICATED, 2, s, ref, what);
    pa_array_free(&b);
    TU_OK(pa_slice_rows(a, start, PA_SLICE_NONE, step, &b), c);
    size_t first = (size_t)(start < 0 ? start + (int64_t)s[0] : start);
    size_t count = step > 0 ? (s[0] - first + (size_t)step - 1) / (size_t)step
                            : first / (size_t)-step + 1;
    size_t row = s[1] * pa_dtype_size(pa_array_dtype(a));
    unsigned char *want = malloc(count * row + 1);
    for (size_t i = 0; i < count; i++)
        memcpy(want + i * row, ref + (size_t)((int64_t)first + (int64_t)i * step) * row, row);
    size_t out[2] = {count, s[1]};
    expect(b, PA_DISTRIBUTED, 2, out, want, what);
    pa_array_free(&b);
    free(want);
}

START_TEST(test_rounds)
{
    pa_ctx *c = small_buffer_ctx();
    /* Rows longer than a buffer slot (windows split rows), and many short
     * rows (windows of whole rows). */
    check_transpose(c, PA_F64, PA_DISTRIBUTED, 700, 301);
    check_transpose(c, PA_C128, PA_DISTRIBUTED, 3, 40000);
    size_t s0[2] = {1000, 257}, s1[2] = {257, 1000}, s2[2] = {2, 128500}, s3[1] = {257000};
    check_reshape(c, PA_F64, PA_DISTRIBUTED, 2, s0, 2, s1);
    check_reshape(c, PA_F64, PA_DISTRIBUTED, 2, s2, 1, s3);
    check_reshape(c, PA_F64, PA_DISTRIBUTED, 1, s3, 2, s2);
    unsigned char *ref;
    pa_array *a = filled(c, PA_F32, 2, s0, PA_DISTRIBUTED, &ref);
    check_moves(c, a, s0, ref, -1, -3, "moves in rounds");
    pa_array_free(&a);
    free(ref);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

/* ------------------------------------------------------------ lanes */

/* Two ranks per node and a 1 MiB buffer: at 3 ranks the nodes differ in
 * size (one lane between them), at 4 they have two lanes; in rounds, with
 * strided messages (slices), contiguous ones (reshapes) and transposed
 * pieces received whole into the buffer, then unpacked. */
START_TEST(test_lanes)
{
    tu_env saved = tu_env_save("PARRAY_REDIST_BUFFER_MB");
    setenv("PARRAY_REDIST_BUFFER_MB", "1", 1);
    pa_ctx *c = tu_env_ctx("PARRAY_RANKS_PER_NODE", "2");
    tu_env_restore(&saved);
    TU_CHECK(pa_ctx_nnodes(c) == (tu_size() + 1) / 2);
    check_transpose(c, PA_F64, PA_DISTRIBUTED, 601, 333);
    check_transpose(c, PA_I16, PA_DISTRIBUTED, 2, 5);
    /* Shares of hundreds of source rows, in windows that cut the
     * destination's rows: each piece unpacked as runs of whole 4 KiB
     * lines and a ragged end. */
    check_transpose(c, PA_F64, PA_DISTRIBUTED, 2049, 97);
    check_transpose(c, PA_C128, PA_DISTRIBUTED, 1100, 70);
    size_t s0[2] = {999, 130}, s1[2] = {130, 999}, s2[1] = {1}, s3[2] = {1, 1};
    check_reshape(c, PA_F32, PA_DISTRIBUTED, 2, s0, 2, s1);
    check_reshape(c, PA_F64, PA_DISTRIBUTED, 1, s2, 2, s3);
    unsigned char *ref;
    pa_array *a = filled(c, PA_F64, 2, s0, PA_DISTRIBUTED, &ref);
    check_moves(c, a, s0, ref, 2, 5, "moves in lanes");
    pa_array_free(&a);
    free(ref);
    /* The results are not zeroed when their block comes from the pool
     * (node blocks of 1 MiB or more): the reshape gets the block of the
     * first transpose, of its layout, whose old bytes must all go. */
    size_t s5[2] = {1500, 200}, s6[2] = {200, 1500};
    pa_array *t = NULL, *back = NULL;
    a = filled(c, PA_F64, 2, s5, PA_DISTRIBUTED, &ref);
    TU_OK(pa_transpose(a, &t), c);
    TU_OK(pa_transpose(t, &back), c);
    pa_array_free(&t);
    TU_OK(pa_reshape(back, 2, s6, &t), c);
    expect(t, PA_DISTRIBUTED, 2, s6, ref, "reshape into a pooled block");
    pa_array_free(&t);
    pa_array_free(&back);
    pa_array_free(&a);
    free(ref);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

/* ------------------------------------------------------------ refusals */

START_TEST(test_refusals)
{
    size_t s[2] = {3, 4}, bad[2] = {5, 3}, s3[3] = {3, 4, 1}, col[2] = {3, 5};
    pa_array *a = filled(ctx, PA_F64, 2, s, PA_DISTRIBUTED, NULL), *b = NULL;
    pa_array *i = filled(ctx, PA_I32, 2, s, PA_DISTRIBUTED, NULL);
    pa_array *t = filled(ctx, PA_F64, 3, s3, PA_DISTRIBUTED, NULL);
    pa_array *w = filled(ctx, PA_F64, 2, col, PA_DISTRIBUTED, NULL);
    refused(pa_reshape(a, 2, bad, &b), "cannot reshape array of size 12 into shape (5,3)");
    refused(pa_reshape(a, 0, bad, &b), "ndim = 0");
    refused(pa_slice_rows(a, 0, 3, 0, &b), "slice step cannot be zero");
    int64_t idx[] = {1, 4};
    refused(pa_take_cols(a, idx, 2, &b), "idx[1] = 4 is out of bounds for axis 1 with size 4");
    int64_t neg[] = {-5};
    refused(pa_take_cols(a, neg, 1, &b), "idx[0] = -5 is out of bounds");
    refused(pa_take_cols(t, idx, 1, &b), "src of shape (3,4,1) is not 2-D");
    pa_array *mixed[] = {a, i};
    refused(pa_concat(mixed, 2, 0, &b), "srcs[1] is i32, but srcs[0] is f64");
    pa_array *dims[] = {a, t};
    refused(pa_concat(dims, 2, 0, &b), "the array at index 0 has 2 dimension(s)");
    pa_array *wide[] = {a, w};
    refused(pa_concat(wide, 2, 0, &b),
            "along dimension 1, the array at index 0 has size 4 and the array at index 1 has "
            "size 5");
    refused(pa_concat(wide, 2, 2, &b), "axis 2 is out of bounds for arrays of dimension 2");
    pa_array *three[] = {t, t};
    refused(pa_concat(three, 2, 1, &b), "axis 1: arrays are concatenated along axis 0");
    TU_RC(pa_concat(NULL, 2, 0, &b), PA_EINVAL, NULL);
    TU_CHECK(strstr(pa_errmsg(NULL), "srcs is NULL") != NULL);
    refused(pa_transpose(t, &b), "src of shape (3,4,1) is not 2-D");
    refused(pa_redistribute(a, (pa_dist)7, &b), "dist 7");
    TU_CHECK(b == NULL);
    /* Along axis 1 the same rows concatenate whatever the columns. */
    TU_OK(pa_concat(wide, 2, -1, &b), ctx);
    pa_array_free(&b);
    pa_array_free(&a);
    pa_array_free(&i);
    pa_array_free(&t);
    pa_array_free(&w);
}
END_TEST

/* ------------------------------------------------------------ memory */

/* The memory bound, by its peak: a transpose of an array 32 times the
 * buffer adds at most the output's node block and the buffer (the
 * transposed pieces a round packs and receives) to a node's shared memory
 * (each of the two blocks rounded up to a page), and to each rank's resident peak at most
 * those and a slack of 8 MiB for what MPI and malloc hold (a second copy of
 * the input, 32 MiB, would exceed it); a reshape, which sends from the
 * input and receives into the output, adds its output alone. */
START_TEST(test_memory_bound)
{
    pa_ctx *c = small_buffer_ctx();
    size_t shape[2] = {2048, 2048}, es = 8;
    pa_array *a = filled(c, PA_F64, 2, shape, PA_DISTRIBUTED, NULL), *b = NULL;
    /* Every rank reads its node's whole input first, so that mapping the
     * input's pages (which reading them in the transpose would do) does
     * not count as new memory. */
    pa_span node;
    pa_array_node(a, &node);
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < node.count * es; i += 4096)
        sink ^= ((unsigned char *)node.ptr)[i];
    (void)sink;
    pa_mem_peaks before, after;
    size_t buffer = (size_t)1 << 20, page = 4096, flat[2] = {1, shape[0] * shape[1]};
    /* The reshape first, while no block waits in the pool. (1, n) puts
     * every element on node 0, so half of them cross. */
    TU_OK(pa_mem_peak_reset(c), c);
    TU_OK(pa_mem_peak(c, &before), c);
    TU_OK(pa_reshape(a, 2, flat, &b), c);
    TU_OK(pa_mem_peak(c, &after), c);
    size_t flat_node = flat[1] * es;
    TU_ASSERT(after.node_shm - before.node_shm <= flat_node + page,
              "a reshape grew the shared memory by %zu, bound %zu",
              after.node_shm - before.node_shm, flat_node + page);
    pa_array_free(&b);
    TU_OK(pa_mem_peak_reset(c), c);
    TU_OK(pa_mem_peak(c, &before), c);
    TU_OK(pa_transpose(a, &b), c);
    TU_OK(pa_mem_peak(c, &after), c);
    size_t rows = 0, n = 0, out_node = 0;
    for (int k = 0; k < pa_ctx_nnodes(c); k++) { /* the largest node block */
        size_t row0;
        pa__rows_of_node(shape[1], pa_ctx_nnodes(c), k, &row0, &n);
        rows = n > rows ? n : rows;
    }
    out_node = rows * shape[0] * es;
    TU_ASSERT(after.node_shm - before.node_shm <= out_node + buffer + 2 * page,
              "shared memory grew by %zu, bound %zu", after.node_shm - before.node_shm,
              out_node + buffer + 2 * page);
    TU_ASSERT(after.node_shm > before.node_shm || pa_ctx_nnodes(c) == 1,
              "the peak did not see the output");
    TU_ASSERT(after.rank_vmhwm - before.rank_vmhwm <= out_node + buffer + ((size_t)8 << 20),
              "resident peak grew by %zu, bound %zu", after.rank_vmhwm - before.rank_vmhwm,
              out_node + buffer + ((size_t)8 << 20));
    pa_array_free(&b);
    pa_array_free(&a);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("reshape");
    TCase *tc = tu_tcase(s, "reshape");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_reshape);
    tcase_add_test(tc, test_slice_rows);
    tcase_add_test(tc, test_take_cols);
    tcase_add_test(tc, test_concat);
    tcase_add_test(tc, test_transpose);
    tcase_add_test(tc, test_redistribute);
    tcase_add_test(tc, test_rounds);
    tcase_add_test(tc, test_lanes);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_memory_bound);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
