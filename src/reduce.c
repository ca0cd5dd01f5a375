/* Reductions: sums (sum, mean, var, std, norm2, dot) by a fixed pairwise
 * tree over global indices, so that they are bit-identical for every rank
 * count and layout; integer sums and counts (any, all), exact in 64 bits;
 * and scans (min, max, argmin, argmax). The last two give the same result
 * whatever the order. Each result is written as a double (pa_reduce) or
 * exactly in numpy's result type (pa_reduce_value) through one sink.
 *
 * The tree. Over the positions 0 .. n-1 of a line (the whole array in C
 * order, a row, or a column), the leaves are the elements converted to
 * double (and transformed: squared, ...), in aligned blocks of 64. A
 * block is 8 rows of 8 (position 8i + j is row i, lane j): each lane's 8
 * leaves are summed pairwise, ((r0 + r1) + (r2 + r3)) + ((r4 + r5) +
 * (r6 + r7)), then the 8 lane sums pairwise in the same shape. Above the
 * blocks, node (L, k) for L >= 6 covers [k 2^L, (k+1) 2^L) and its value
 * is the sum of its two children's. Wherever a child lies wholly past n
 * it is left out (the parent has the other child's value), and the root
 * is the smallest node of level >= 6 that covers [0, n).
 *
 * Why lanes first: in memory a block is 8 cache lines, and adding lines
 * lane by lane takes vertical adds only. A tree over neighbours needs
 * lane shuffles in every line, each waiting for its load, and a core
 * keeps fewer lines in flight: it summed at 0.77-0.86x of the read limit
 * where this order reaches the read (docs/compute.md).
 *
 * Decomposition. A rank holds a contiguous range [s, e) of positions. It
 * cuts the whole blocks in it into maximal aligned nodes (a node clipped
 * at n counts as inside when e = n) and computes each one's value
 * locally; the elements of a block it holds only part of go as leaves.
 * These fragments (at most 2 x 58 nodes and 2 x 63 leaves per rank) go to
 * every rank, which evaluates the tree from the root down to the
 * fragments, taking a cut block from its leaves. Since a node's value
 * depends only on the elements it covers, every layout gives the same
 * bits. Locally, a node of up to 2^12 elements is taken from its block
 * values (one vector template for every dtype, cloned per instruction
 * set, reading memory in the order that suits the CPU's maker), larger
 * ones as the sum of their halves, and a clipped one as its full left
 * part plus the rest (a right fold over the binary digits of its
 * length). */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "collcheck.h"
#include "compute.h"
#include "reduce.h"
#include "reduce_complex.h"

#define NODE_BITS 12  /* full nodes up to 2^12 elements are taken from their block values */
#define MAX_FRAGS 256 /* per rank: two maximal nodes per level >= 6, and two cut blocks' leaves */
#define COL_TILE 256  /* columns per tile in axis-0 sums */

/* ------------------------------------------------------------ leaves and blocks */

/* A leaf is its element converted to double, then: as is (sum, mean),
 * (x - mu)^2 (var), x^2 (norm2) or x*y (dot). */
typedef enum { XF_ID, XF_SQDEV, XF_SQ, XF_MUL, NXF } xform;

/* Block kernels: o[k] = the value of the full block at x + 64k (and y),
 * for k < nb. Leaf kernels: o[k] = leaf k, its mean mu[k * mu_step]. y is
 * the second operand of XF_MUL, and read by it only. */
typedef void (*blocks_fn)(const void *x, const void *y, double mu, double *o, size_t nb);
typedef void (*leaves_fn)(const void *x, const void *y, const double *mu, size_t mu_step,
                          double *o, size_t n);

/* The blocks in GNU C vectors of 8 doubles: one zmm with AVX-512, two ymm
 * or four xmm in the other clones. A vector is a block's 8 lanes, or 8
 * consecutive nodes of one level. Every add is one of the tree's, pair for
 * pair, so each clone gives the same bits. The helpers are always inlined,
 * so no vector crosses a call (the library is built with -Wno-psabi, for
 * gcc's note that such calls changed ABI without AVX-512 in gcc 4.6). */
typedef double v8d __attribute__((vector_size(64)));
typedef long long v8i64 __attribute__((vector_size(64)));
#define INLINE static inline __attribute__((always_inline))

/* Nodes k..k+7 (in a) and k+8..k+15 (in b) of a level, k a multiple of
 * 16, to their 8 parents: left child plus right child. */
INLINE v8d up(v8d a, v8d b)
{
    const v8i64 left = {0, 2, 4, 6, 8, 10, 12, 14}, right = {1, 3, 5, 7, 9, 11, 13, 15};
    return __builtin_shuffle(a, b, left) + __builtin_shuffle(a, b, right);
}

/* Eight vectors in the tree's shape: lane by lane (a block's rows), or
 * 64 consecutive nodes (8 blocks' lanes) to their 8 ancestors 3 levels up. */
INLINE v8d rows8(v8d v0, v8d v1, v8d v2, v8d v3, v8d v4, v8d v5, v8d v6, v8d v7)
{
    return ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7));
}
INLINE v8d up3(v8d v0, v8d v1, v8d v2, v8d v3, v8d v4, v8d v5, v8d v6, v8d v7)
{
    return up(up(up(v0, v1), up(v2, v3)), up(up(v4, v5), up(v6, v7)));
}

/* One node 3 levels above the 8 in v (or the one block whose lanes v is). */
INLINE double top3(v8d v)
{
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

#define LEAF_ID(v, w) (v)
/* clang-format off */
#define LEAF_SQDEV(v, w) (((v) - mu) * ((v) - mu))
/* clang-format on */
#define LEAF_SQ(v, w) ((v) * (v))
#define LEAF_MUL(v, w) ((v) * (w))

/* gcc -O2 vectorises only loops that need no runtime checks or epilogue
 * (its "very cheap" cost model); the leaf loop is worth both, and a clone
 * per instruction set. */
#define VEC PA_SIMD_CLONES __attribute__((optimize("vect-cost-model=dynamic")))

/* How the block kernels walk memory, chosen at run time by the CPU's maker
 * (read_way), because the two makers' hardware prefetchers follow
 * different walks. Both ways do the same adds, so they give the same bits.
 *
 * WAY_INTEL, as tuned on Sapphire Rapids: a group's 64 row loads in one
 * expression, which the core keeps in flight together (0.97x of the read
 * side by side, against 0.93x through an array of lanes), and each line
 * prefetched 1 KiB ahead next to its load (1.01-1.02x; without it
 * 0.96-0.99x, at 2 KiB and more 0.92-0.97x). gcc evaluates the arguments
 * of that expression last first, so a group of 8 blocks is read from its
 * last block down to its first, each block upwards.
 *
 * WAY_FORWARD, for AMD and any other maker: every line in address order, no
 * software prefetch, and vectors of at most 32 bytes (clones for AVX2 and
 * baseline only). On Zen 4 the Intel way read at 0.4-0.75x of the 64-byte
 * read limit, no faster than a scalar loop, with or without the prefetch:
 * its prefetchers do not follow a walk that steps back 512 bytes per block
 * inside each 4 KiB group, so every line waits for memory. In address order
 * the sum reads at 0.90-0.96x of the limit with AVX-512 and at 1.08-1.26x
 * with AVX2 (side by side on the same array; Zen 4 splits a 64-byte load
 * in two, and its 32-byte read limit is 1.07-1.14x of the 64-byte one),
 * and a prefetch only adds loads (1 KiB ahead it cost a quarter). */
typedef enum { WAY_INTEL, WAY_FORWARD, NWAY } read_way_t;

#ifdef PA_X86_DISPATCH
#define CLONES_32 __attribute__((target_clones("avx2", "default")))
#else
#define CLONES_32
#endif

/* The way by the maker, unless PARRAY_SUM_READ names one (1 intel, 2
 * forward: the ways' order). */
static read_way_t read_way(const pa_ctx *ctx)
{
    if (ctx->sum_read)
        return (read_way_t)(ctx->sum_read - 1);
    return pa__cpu_is_intel() ? WAY_INTEL : WAY_FORWARD;
}

/* The values of the 8 blocks at p (q) from their lanes L, in WAY_INTEL's
 * one expression, in one statement that names them first to last (the
 * Intel way's f32 with AVX-512, below), or in a loop over the blocks.
 * Integers, whose tree sums (mean, var, norm2) matter less, take the loop
 * in both ways, for a third of the code. */
#define GROUP_UNROLLED(L)                                                                        \
    return up3(L(p, q, mu), L(p + 64, q + 64, mu), L(p + 128, q + 128, mu),                      \
               L(p + 192, q + 192, mu), L(p + 256, q + 256, mu), L(p + 320, q + 320, mu),        \
               L(p + 384, q + 384, mu), L(p + 448, q + 448, mu))
#define GROUP_FORWARD(L)                                                                         \
    v8d g0 = L(p, q, mu), g1 = L(p + 64, q + 64, mu), g2 = L(p + 128, q + 128, mu),              \
        g3 = L(p + 192, q + 192, mu), g4 = L(p + 256, q + 256, mu),                              \
        g5 = L(p + 320, q + 320, mu), g6 = L(p + 384, q + 384, mu),                              \
        g7 = L(p + 448, q + 448, mu);                                                            \
    return up3(g0, g1, g2, g3, g4, g5, g6, g7)
#define GROUP_LOOP(L)                                                                            \
    v8d g[8];                                                                                    \
    for (int k = 0; k < 8; k++)                                                                  \
        g[k] = L(p + 64 * k, q + 64 * k, mu);                                                    \
    return up3(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])

/* Per way W (its prefetch distance PF in bytes, 0 for none, its group G
 * and the clones of its kernels) and dtype T: 8 elements as doubles, the leaves of a block's row i
 * (and a prefetch PF ahead where the row starts a line, of y's line too
 * where two: next to the loads, as measured; a loop of them per block ran
 * at 0.87-0.92x), a block's lanes, 8 blocks, and the block kernel of each
 * transform. Blocks are 64-byte aligned in the array's memory when it is. */
#define WAY_FNS(DT, T, xf, LEAF, two, W, PF, G, CLONES)                                          \
    INLINE v8d row_##DT##_##xf##_##W(const T *p, const T *q, double mu, size_t i)                \
    {                                                                                            \
        v8d v = load8_##DT(p);                                                                   \
        if ((PF) && i * 8 * sizeof(T) % 64 == 0) { /* row i starts a line */                     \
            __builtin_prefetch((const char *)p + (PF));                                          \
            if (two)                                                                             \
                __builtin_prefetch((const char *)q + (PF));                                      \
        }                                                                                        \
        (void)q, (void)mu;                                                                       \
        return LEAF(v, load8y_##DT(q));                                                          \
    }                                                                                            \
    INLINE v8d lanes_##DT##_##xf##_##W(const T *p, const T *q, double mu)                        \
    {                                                                                            \
        return rows8(row_##DT##_##xf##_##W(p, q, mu, 0),                                         \
                     row_##DT##_##xf##_##W(p + 8, q + 8, mu, 1),                                 \
                     row_##DT##_##xf##_##W(p + 16, q + 16, mu, 2),                               \
                     row_##DT##_##xf##_##W(p + 24, q + 24, mu, 3),                               \
                     row_##DT##_##xf##_##W(p + 32, q + 32, mu, 4),                               \
                     row_##DT##_##xf##_##W(p + 40, q + 40, mu, 5),                               \
                     row_##DT##_##xf##_##W(p + 48, q + 48, mu, 6),                               \
                     row_##DT##_##xf##_##W(p + 56, q + 56, mu, 7));                              \
    }                                                                                            \
    INLINE v8d group8_##DT##_##xf##_##W(const T *p, const T *q, double mu)                       \
    {                                                                                            \
        G(lanes_##DT##_##xf##_##W);                                                              \
    }                                                                                            \
    CLONES static void blocks_##DT##_##xf##_##W(const void *x, const void *y, double mu,         \
                                                double *o, size_t nb)                            \
    {                                                                                            \
        const T *p = x, *q = y ? y : x; /* q: in bounds where unused */                          \
        size_t b = 0;                                                                            \
        for (; b + 8 <= nb; b += 8, p += 512, q += 512) {                                        \
            v8d v = group8_##DT##_##xf##_##W(p, q, mu);                                          \
            memcpy(o + b, &v, sizeof v);                                                         \
        }                                                                                        \
        for (; b < nb; b++, p += 64, q += 64)                                                    \
            o[b] = top3(lanes_##DT##_##xf##_##W(p, q, mu));                                      \
    }
/* Both ways' block kernels and the leaf kernel of each transform. */
#define XF_FNS(DT, T, is_int, xf, LEAF, two)                                                     \
    WAY_FNS(DT, T, xf, LEAF, two, intel, 1024, PA__SEL(is_int, GROUP_UNROLLED, GROUP_LOOP),      \
            PA_SIMD_CLONES)                                                                      \
    WAY_FNS(DT, T, xf, LEAF, two, fwd, 0, GROUP_LOOP, CLONES_32)                                 \
    VEC static void leaves_##DT##_##xf(const void *x, const void *y, const double *mu_,          \
                                       size_t mu_step, double *o, size_t n)                      \
    {                                                                                            \
        const T *restrict p = x, *restrict q = y;                                                \
        (void)q;                                                                                 \
        for (size_t k = 0; k < n; k++) {                                                         \
            double mu = mu_[k * mu_step], v = elem_##DT(p, k);                                   \
            (void)mu;                                                                            \
            o[k] = LEAF(v, elemy_##DT(q, k));                                                    \
        }                                                                                        \
    }
#define XF_ALL(C, DT, nm, T, U, KIND, ...)                                                       \
    PA__WHEN(PA__NOT(PA__IS_COMPLEX(KIND)), XF_ALL_(DT, T, KIND))
#define XF_ALL_(DT, T, KIND)                                                                     \
    typedef PA__SEL(PA__IS_BOOL(KIND), T, uint8_t) v8_##DT                                       \
        __attribute__((vector_size(8 * sizeof(T)))); /* bool as its bytes */                     \
    INLINE v8d load8_##DT(const T *p)                                                            \
    {                                                                                            \
        v8_##DT v;                                                                               \
        memcpy(&v, p, sizeof v);                                                                 \
        return __builtin_convertvector(v, v8d);                                                  \
    }                                                                                            \
    INLINE v8d load8y_##DT(const T *p)                                                           \
    {                                                                                            \
        return load8_##DT(p);                                                                    \
    }                                                                                            \
    INLINE double elem_##DT(const T *p, size_t k)                                                \
    {                                                                                            \
        return (double)p[k];                                                                     \
    }                                                                                            \
    INLINE double elemy_##DT(const T *p, size_t k)                                               \
    {                                                                                            \
        return (double)p[k];                                                                     \
    }                                                                                            \
    XF_FNS(DT, T, PA__IS_INT(KIND), id, LEAF_ID, 0)                                              \
    XF_FNS(DT, T, PA__IS_INT(KIND), sqdev, LEAF_SQDEV, 0)                                        \
    XF_FNS(DT, T, PA__IS_INT(KIND), sq, LEAF_SQ, 0)                                              \
    XF_FNS(DT, T, PA__IS_INT(KIND), mul, LEAF_MUL, 1)
PA_DTYPE_LIST_WITH(XF_ALL, ~)

/* clang-format off */
#define XF_WAY(DT, W)                                                                  \
    {blocks_##DT##_id_##W, blocks_##DT##_sqdev_##W, blocks_##DT##_sq_##W, blocks_##DT##_mul_##W}
/* clang-format on */
#define XF_ROW(C, DT, nm, T, U, KIND, ...) PA__WHEN(PA__NOT(PA__IS_COMPLEX(KIND)), XF_ROW_(DT))
#define XF_ROW_(DT)                                                                              \
    [PA_##DT] = {{[WAY_INTEL] = XF_WAY(DT, intel), [WAY_FORWARD] = XF_WAY(DT, fwd)},             \
                 {leaves_##DT##_id, leaves_##DT##_sqdev, leaves_##DT##_sq, leaves_##DT##_mul}},
static const struct {
    blocks_fn blocks[NWAY][NXF];
    leaves_fn leaves[NXF];
} xf_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(XF_ROW, ~)};

/* The parts of complex elements, read in place: a part's tree sum reads
 * the complex array itself, its positions its elements, and takes part k
 * (0 real, 1 imaginary) of each as the leaf (of x, and for a dot's y part
 * ky), so it adds what the same sum over an array of that part would,
 * without that array. A row of 8 elements is two 64-byte vectors of
 * c128, one of c64, whose even or odd lanes are the part. */
typedef float v8f __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
INLINE v8d part8_C128(const double _Complex *p, int k)
{
    v8d a, b;
    memcpy(&a, p, sizeof a);
    memcpy(&b, p + 4, sizeof b);
    return k ? __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
             : __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
}
INLINE v8d part8_C64(const float _Complex *p, int k)
{
    v16f a;
    memcpy(&a, p, sizeof a);
    v8f v = k ? __builtin_shufflevector(a, a, 1, 3, 5, 7, 9, 11, 13, 15)
              : __builtin_shufflevector(a, a, 0, 2, 4, 6, 8, 10, 12, 14);
    return __builtin_convertvector(v, v8d);
}
#define PART_ELEM(C, PT)                                                                         \
    INLINE double part_##C(const PT _Complex *p, size_t i, int k)                                \
    {                                                                                            \
        PT v[2];                                                                                 \
        memcpy(v, p + i, sizeof v);                                                              \
        return (double)v[k];                                                                     \
    }
PART_ELEM(C64, float)
PART_ELEM(C128, double)

/* View V of complex dtype C (element T): x's part kx, y's part ky. */
#define PART_VIEW(V, C, T, kx, ky)                                                               \
    INLINE v8d load8_##V(const T *p)                                                             \
    {                                                                                            \
        return part8_##C(p, kx);                                                                 \
    }                                                                                            \
    INLINE v8d load8y_##V(const T *p)                                                            \
    {                                                                                            \
        return part8_##C(p, ky);                                                                 \
    }                                                                                            \
    INLINE double elem_##V(const T *p, size_t i)                                                 \
    {                                                                                            \
        return part_##C(p, i, kx);                                                               \
    }                                                                                            \
    INLINE double elemy_##V(const T *p, size_t i)                                                \
    {                                                                                            \
        return part_##C(p, i, ky);                                                               \
    }
/* A part's every transform; the mixed parts of a dot its products alone. */
#define PART_SUMS(V, C, T, k)                                                                    \
    PART_VIEW(V, C, T, k, k)                                                                     \
    XF_FNS(V, T, 0, id, LEAF_ID, 0)                                                              \
    XF_FNS(V, T, 0, sqdev, LEAF_SQDEV, 0)                                                        \
    XF_FNS(V, T, 0, sq, LEAF_SQ, 0)                                                              \
    XF_FNS(V, T, 0, mul, LEAF_MUL, 1)
#define PART_DOT(V, C, T, kx, ky)                                                                \
    PART_VIEW(V, C, T, kx, ky)                                                                   \
    XF_FNS(V, T, 0, mul, LEAF_MUL, 1)
#define PART_DTYPE(C, T)                                                                         \
    PART_SUMS(C##_RE, C, T, 0)                                                                   \
    PART_SUMS(C##_IM, C, T, 1)                                                                   \
    PART_DOT(C##_RE_IM, C, T, 0, 1)                                                              \
    PART_DOT(C##_IM_RE, C, T, 1, 0)
PART_DTYPE(C64, float _Complex)
PART_DTYPE(C128, double _Complex)

/* clang-format off */
#define PART_ROW_MUL(V)                                                                          \
    {{[WAY_INTEL] = {[XF_MUL] = blocks_##V##_mul_intel},                                         \
      [WAY_FORWARD] = {[XF_MUL] = blocks_##V##_mul_fwd}},                                        \
     {[XF_MUL] = leaves_##V##_mul}}
#define PART_ROW(V)                                                                              \
    {{[WAY_INTEL] = XF_WAY(V, intel), [WAY_FORWARD] = XF_WAY(V, fwd)},                           \
     {leaves_##V##_id, leaves_##V##_sqdev, leaves_##V##_sq, leaves_##V##_mul}}
#define PART_ROWS(C)                                                                             \
    {[PA__PART_RE] = PART_ROW(C##_RE), [PA__PART_IM] = PART_ROW(C##_IM),                         \
     [PA__PART_RE_IM] = PART_ROW_MUL(C##_RE_IM), [PA__PART_IM_RE] = PART_ROW_MUL(C##_IM_RE)}
/* clang-format on */
/* The parts' kernels: c64's, then c128's. */
static const struct {
    blocks_fn blocks[NWAY][NXF];
    leaves_fn leaves[NXF];
} part_table[2][PA__NPARTS] = {PART_ROWS(C64), PART_ROWS(C128)};

/* f32 on the forward way, with AVX-512: a row's 8 floats in one 32-byte
 * load that converts into 8 doubles (vcvtps2pd zmm). gcc compiles the
 * generic conversion in halves (a load, an extract and two conversions
 * per row, even in the AVX-512 clone), four times the f64 kernel's
 * instructions per byte: on Zen 4 the f32 sum was bound by them, at
 * 0.64-0.73x of the read limit. This kernel runs 1.7x faster in cache.
 * Its loads are 32 bytes wide, as the forward way wants, and its adds are
 * the same, so the bits are too.
 * The Intel way takes the same loader on Sapphire Rapids, but its f32
 * group (2 KiB, where f64's is a 4 KiB page) read in its own order, last
 * block first, left the sum at 0.56-0.76x of the read, with the loader or
 * without, and its 1 KiB prefetch only made it worse: there it reads the
 * 8 blocks first to last with no software prefetch, at 0.82-0.91x of the
 * read where the old kernels gave 0.74-0.81x, alternated with them. */
#ifdef PA_X86_DISPATCH
#pragma GCC push_options
#pragma GCC target("avx512f")
INLINE v8d load8_F32_x512(const float *p)
{
    return (v8d)_mm512_cvtps_pd(_mm256_loadu_ps(p));
}
INLINE v8d load8y_F32_x512(const float *p)
{
    return load8_F32_x512(p);
}
WAY_FNS(F32_x512, float, id, LEAF_ID, 0, fwd, 0, GROUP_LOOP, )
WAY_FNS(F32_x512, float, sqdev, LEAF_SQDEV, 0, fwd, 0, GROUP_LOOP, )
WAY_FNS(F32_x512, float, sq, LEAF_SQ, 0, fwd, 0, GROUP_LOOP, )
WAY_FNS(F32_x512, float, mul, LEAF_MUL, 1, fwd, 0, GROUP_LOOP, )
WAY_FNS(F32_x512, float, id, LEAF_ID, 0, intel, 0, GROUP_FORWARD, )
WAY_FNS(F32_x512, float, sqdev, LEAF_SQDEV, 0, intel, 0, GROUP_FORWARD, )
WAY_FNS(F32_x512, float, sq, LEAF_SQ, 0, intel, 0, GROUP_FORWARD, )
WAY_FNS(F32_x512, float, mul, LEAF_MUL, 1, intel, 0, GROUP_FORWARD, )
#pragma GCC pop_options
static const blocks_fn f32_x512[NWAY][NXF] = {
    [WAY_INTEL] = XF_WAY(F32_x512, intel), [WAY_FORWARD] = XF_WAY(F32_x512, fwd)};
#endif

/* The block kernel of dtype d, way and transform xf. */
static blocks_fn blocks_of(pa_dtype d, read_way_t way, xform xf)
{
#ifdef PA_X86_DISPATCH
    if (d == PA_F32 && pa__cpu_isa() == PA_ISA_AVX512)
        return f32_x512[way][xf];
#endif
    return xf_table[d].blocks[way][xf];
}

/* ------------------------------------------------------------ local tree values */

/* v[0 .. w) = the pairwise value of the k <= 8 vectors of w at v, v +
 * stride, ... (a lane's rows, or a block's lanes), column by column, the
 * missing ones past k left out; the vectors are overwritten. */
INLINE void pairwise8(double *v, int k, size_t w, size_t stride)
{
    for (int step = 1; step < 8; step *= 2)
        for (int i = 0; i + step < k; i += 2 * step) {
            double *l = v + (size_t)i * stride, *r = v + (size_t)(i + step) * stride;
            for (size_t j = 0; j < w; j++)
                l[j] = l[j] + r[j];
        }
}

/* out[0 .. w) = the values of w blocks side by side from their first m
 * (1..64) leaves, v[k w + j] being leaf k of block j: each lane in place
 * over its rows (8 w apart), then the lanes (w apart). v is overwritten;
 * out may be v. */
INLINE void block_of_leaves(double *v, size_t m, size_t w, double *out)
{
    int nl = m < 8 ? (int)m : 8;
    for (int j = 0; j < nl; j++)
        pairwise8(v + (size_t)j * w, (int)((m - (size_t)j + 7) / 8), w, 8 * w);
    pairwise8(v, nl, w, w);
    memmove(out, v, sizeof(double) * w);
}

/* The root over m (a power of two, <= 64) consecutive full nodes of one
 * level in v (overwritten): pairs of vectors up while there are 16 or
 * more, then top3 of the last 8; a few pairs by hand. In vectors, the
 * upper levels add little to the block kernel's work, which waits on the
 * memory with it. */
PA_SIMD_CLONES static double root_of(double *v, size_t m)
{
    for (; m >= 16; m /= 2)
        for (size_t i = 0; i < m; i += 16) {
            v8d a, b;
            memcpy(&a, v + i, sizeof a);
            memcpy(&b, v + i + 8, sizeof b);
            a = up(a, b);
            memcpy(v + i / 2, &a, sizeof a);
        }
    if (m == 8) {
        v8d a;
        memcpy(&a, v, sizeof a);
        return top3(a);
    }
    for (; m > 1; m /= 2)
        for (size_t i = 0; i < m / 2; i++)
            v[i] = v[2 * i] + v[2 * i + 1];
    return v[0];
}

/* ------------------------------------------------------------ lines of float arrays */

/* Axis reductions of the float dtypes read their elements straight into
 * vectors, with no copy of the leaves, and add them in the tree's order
 * with each vector lane a separate line, so each result has
 * block_of_leaves's bits. A leaf that is missing (past a line's end) is
 * -0.0, which leaves every value unchanged (x + -0.0 is x, -0.0 and NaN
 * included), as leaving the leaf out does.
 *
 * Columns (cols_fn): o[b w + j] = the value of column j's full block b
 * (its 64 rows from x + 64 b c, rows c elements apart) for the w <=
 * COL_TILE columns at x and nb blocks; mu: the columns' means (XF_SQDEV)
 * or NULL. A vector is 8 columns of a row, read in address order. The
 * last vector of a tile ends at its last column (overlapping the one
 * before, whose lanes it recomputes with the same bits) when w >= 8; when
 * w < 8 it reads the 8 - w elements past each row's columns, which the
 * caller keeps inside the array.
 *
 * Short lines (lines_fn): o[i] = the value of line i of len <= 64
 * positions (a cut block), lines contiguous and one after another from
 * x, for i < 8 n8: 8 lines at a time, each row of 8 positions of a line
 * read as a vector; with nt the results go out with streaming stores (o
 * is then 64-byte aligned). A line whose length is not a
 * multiple of 8 reads past its end, into the next line and, for the last
 * of them, past x's lines: the caller keeps 8 elements there. */
typedef void (*cols_fn)(const void *x, size_t c, size_t w, const double *mu, double *o,
                        size_t nb);
typedef void (*lines_fn)(const void *x, size_t len, size_t n8, double *o, int nt);

/* The value of the block whose row i has lanes ROWS(DT, LEAF, i, r)
 * (which fills v8d r[8]): each lane over its 8 rows, in the order the
 * rows come, as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)) by
 * partial sums (a 1 row, s0 2, s1 4), then rows8 over the lanes. These
 * adds give the bits: every other walk of a block (NARROW_BY_PASS,
 * NARROW_BY_VEC) makes the same ones. */
#define BLOCK_OF_ROWS(ROWS, DT, LEAF, out)                                                       \
    do {                                                                                         \
        v8d r_[8], a_[8], s0_[8], s1_[8];                                                        \
        ROWS(DT, LEAF, 0, r_);                                                                   \
        LANES_DO(a_[l] = r_[l]);                                                                 \
        ROWS(DT, LEAF, 1, r_);                                                                   \
        LANES_DO(s0_[l] = a_[l] + r_[l]);                                                        \
        ROWS(DT, LEAF, 2, r_);                                                                   \
        LANES_DO(a_[l] = r_[l]);                                                                 \
        ROWS(DT, LEAF, 3, r_);                                                                   \
        LANES_DO(s1_[l] = s0_[l] + (a_[l] + r_[l]));                                             \
        ROWS(DT, LEAF, 4, r_);                                                                   \
        LANES_DO(a_[l] = r_[l]);                                                                 \
        ROWS(DT, LEAF, 5, r_);                                                                   \
        LANES_DO(s0_[l] = a_[l] + r_[l]);                                                        \
        ROWS(DT, LEAF, 6, r_);                                                                   \
        LANES_DO(a_[l] = r_[l]);                                                                 \
        ROWS(DT, LEAF, 7, r_);                                                                   \
        LANES_DO(s1_[l] = s1_[l] + (s0_[l] + (a_[l] + r_[l])));                                  \
        (out) = rows8(s1_[0], s1_[1], s1_[2], s1_[3], s1_[4], s1_[5], s1_[6], s1_[7]);           \
    } while (0)
#define LANES_DO(stmt) _Pragma("GCC unroll 8") for (int l = 0; l < 8; l++) stmt

/* v with its lanes from n on set to -0.0 (missing leaves), by a mask from
 * a table (gcc 12 fails to compile a vector comparison here in the AVX2
 * clone). */
INLINE v8d keep_lanes(v8d v, size_t n)
{
#define ALL_ ~0ll
    static const long long keep_first[9][8] = {{0},
                                               {ALL_},
                                               {ALL_, ALL_},
                                               {ALL_, ALL_, ALL_},
                                               {ALL_, ALL_, ALL_, ALL_},
                                               {ALL_, ALL_, ALL_, ALL_, ALL_},
                                               {ALL_, ALL_, ALL_, ALL_, ALL_, ALL_},
                                               {ALL_, ALL_, ALL_, ALL_, ALL_, ALL_, ALL_},
                                               {ALL_, ALL_, ALL_, ALL_, ALL_, ALL_, ALL_, ALL_}};
#undef ALL_
    v8i64 keep, bits, neg0;
    v8d m0 = {-0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0};
    memcpy(&keep, keep_first[n < 8 ? n : 8], sizeof keep);
    memcpy(&bits, &v, sizeof v);
    memcpy(&neg0, &m0, sizeof m0);
    bits = (bits & keep) | (neg0 & ~keep);
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Where the columns' vector g of a tile of w begins. */
INLINE size_t col_vec_start(size_t g, size_t w)
{
    return g * 8 + 8 <= w ? g * 8 : w >= 8 ? w - 8 : 0;
}

/* Rows 8i .. 8i + 7 of a block of columns (p, c, mu in scope). */
#define COL_ROWS(DT, LEAF, i, r)                                                                 \
    LANES_DO(r[l] = LEAF(load8_##DT(p + (8 * (size_t)(i) + (size_t)l) * c), 0))
#define COLS_FN(DT, T, xf, LEAF, W, CLONES)                                                      \
    CLONES static void cols_##DT##_##xf##_##W(const void *x, size_t c, size_t w,                 \
                                              const double *mu_, double *o, size_t nb)           \
    {                                                                                            \
        v8d mus[COL_TILE / 8];                                                                   \
        size_t ng = (w + 7) / 8;                                                                 \
        for (size_t g = 0; g < ng; g++)                                                          \
            for (size_t i = 0, k0 = col_vec_start(g, w); i < 8; i++)                             \
                mus[g][i] = mu_ && k0 + i < w ? mu_[k0 + i] : 0.0;                               \
        for (size_t b = 0; b < nb; b++, o += w) {                                                \
            const char *ahead = (const char *)x + (64 * b * c + 128 * c) * sizeof(T);            \
            for (size_t k = 0; k < 64 * c * sizeof(T); k += 64)                                  \
                __builtin_prefetch(ahead + k);                                                   \
            for (size_t g = 0; g < ng; g++) {                                                    \
                size_t k0 = col_vec_start(g, w);                                                 \
                const T *p = (const T *)x + 64 * b * c + k0;                                     \
                v8d mu = mus[g], v;                                                              \
                (void)mu;                                                                        \
                BLOCK_OF_ROWS(COL_ROWS, DT, LEAF, v);                                            \
                memcpy(o + k0, &v, sizeof(double) * (w < 8 ? w : 8));                            \
            }                                                                                    \
        }                                                                                        \
    }
/* Narrow columns (cols_fn for a tile of whole rows, w = c <= NARROW_COLS):
 * the 8 rows of a block-row are 8c contiguous elements, c vectors, and
 * lane l of vector v is row 8i + j (lane j of the block-row i), column k,
 * with 8v + l = j c + k, the same in every block-row. So each lane over
 * its rows is vertical adds of the block-rows' vectors v, with no
 * shuffle, into s: the 8 x c matrix of the lanes' sums, row j lane j of
 * every column, over which the lanes go in vertical adds of its rows.
 * mu's vectors follow the same mapping. s has one vector more, zeroed, so
 * that the last columns' vector may read past the matrix.
 *
 * The block's walk (WALK) differs by way, with BLOCK_OF_ROWS's adds. The
 * forward way reads the block-rows as BLOCK_OF_ROWS reads rows (reading
 * the 8 block-rows side by side left Zen 4's prefetchers behind). The
 * Intel way reads vector v of the 8 block-rows side by side, so each s[v]
 * is one rows8 with no partial sum through memory, and prefetches each
 * line PF blocks ahead: on Sapphire Rapids, a (1e7, 10) f64 column mean
 * at 2 ranks went from 0.83-0.85x to 0.92-1.01x of the read limit (bench
 * axes). */
#define NARROW_COLS 32
#define NARROW_PASS(DT, LEAF, i, stmt)                                                           \
    for (size_t v = 0; v < c; v++) {                                                             \
        v8d mu = mus[v], r = LEAF(load8_##DT(p + 8 * ((i)*c + v)), 0);                           \
        (void)mu;                                                                                \
        stmt;                                                                                    \
    }
#define NARROW_BY_PASS(DT, LEAF, PF)                                                             \
    v8d a[NARROW_COLS], s0[NARROW_COLS], s1[NARROW_COLS];                                        \
    NARROW_PASS(DT, LEAF, 0, s1[v] = r);                                                         \
    NARROW_PASS(DT, LEAF, 1, s1[v] = s1[v] + r);                                                 \
    NARROW_PASS(DT, LEAF, 2, a[v] = r);                                                          \
    NARROW_PASS(DT, LEAF, 3, s1[v] = s1[v] + (a[v] + r));                                        \
    NARROW_PASS(DT, LEAF, 4, s0[v] = r);                                                         \
    NARROW_PASS(DT, LEAF, 5, s0[v] = s0[v] + r);                                                 \
    NARROW_PASS(DT, LEAF, 6, a[v] = r);                                                          \
    NARROW_PASS(DT, LEAF, 7, s[v] = s1[v] + (s0[v] + (a[v] + r)))
#define NARROW_BY_VEC(DT, LEAF, PF)                                                              \
    for (size_t v = 0; v < c; v++) {                                                             \
        v8d mu = mus[v], r[8];                                                                   \
        (void)mu;                                                                                \
        LANES_DO(r[l] = LEAF(load8_##DT(p + 8 * (l * c + v)), 0));                               \
        LANES_DO(__builtin_prefetch((const char *)(p + 8 * (l * c + v) + (PF)*64 * c)));         \
        s[v] = rows8(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);                            \
    }
#define NARROW_FN(DT, T, xf, LEAF, W, PF, CLONES, WALK)                                          \
    CLONES static void narrow_##DT##_##xf##_##W(const void *x, size_t c, size_t w,               \
                                                const double *mu_, double *o, size_t nb)         \
    {                                                                                            \
        v8d mus[NARROW_COLS], s[NARROW_COLS + 1] = {{0}};                                        \
        (void)w;                                                                                 \
        for (size_t v = 0; v < c; v++)                                                           \
            for (size_t l = 0; l < 8; l++)                                                       \
                mus[v][l] = mu_ ? mu_[(8 * v + l) % c] : 0.0;                                    \
        const T *p = x;                                                                          \
        const double *S = (const double *)s;                                                     \
        for (size_t b = 0; b < nb; b++, p += 64 * c, o += c) {                                   \
            WALK(DT, LEAF, PF);                                                                  \
            for (size_t k = 0; k < c; k += 8) {                                                  \
                v8d r[8], t;                                                                     \
                LANES_DO(memcpy(&r[l], S + l * c + k, sizeof r[l]));                             \
                t = rows8(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);                       \
                memcpy(o + k, &t, sizeof(double) * (c - k < 8 ? c - k : 8));                     \
            }                                                                                    \
        }                                                                                        \
    }
/* The 8 doubles v to the 64-byte aligned o with streaming stores: four
 * of 16 bytes, which every clone has (no 64-byte store is written once
 * for all clones); back to back, they fill the line's write-combining
 * buffer at once. */
INLINE void stream_line(double *o, v8d v)
{
#ifdef __SSE2__
    for (int k = 0; k < 4; k++)
        _mm_stream_pd(o + 2 * k, _mm_set_pd(v[2 * k + 1], v[2 * k]));
#else
    memcpy(o, &v, sizeof v);
#endif
}
/* 8 lines of len <= 64 from p: row i of their block (positions 8i ..
 * 8i + 7, -0.0 past len) read as 8 vectors into rows[i], rows[i][l]
 * being line l's; each lane pairwise over the rows there are, as
 * pairwise8 (the rows past them left out), then up3 over the 8 lines'
 * lane vectors, whose lane l is rows8 over line l's lanes: 14 shuffles
 * for the 8 lines, where transposing took 24 for each row of 8. The
 * way's prefetch PF bytes ahead covers the 8 lines' bytes, a loop per 8
 * lines (their loads step back and forth inside them), into L2 only
 * (prefetcht1): on Sapphire Rapids 2 KiB ahead that way read (1e7, 10)
 * f64 rows 5-7% faster than 1 KiB ahead into L1, which held the L1's fill
 * buffers, and 2 KiB into L1 was slower still. The 8 results go
 * to o, with streaming stores when nt (o is then 64-byte aligned). Lines
 * of up to 32 positions take a body of their own row count, whose rows
 * stay in registers (with the count a variable they went through the
 * stack): 1.25x faster in cache for (n, 10) f64 rows. */
#define LINES_FN(DT, T, xf, LEAF, W, PF)                                                         \
    INLINE void lines8_##DT##_##xf##_##W(const T *p, size_t len, size_t nr, double *o, int nt)   \
    {                                                                                            \
        v8d rows[8][8];                                                                          \
        if (PF)                                                                                  \
            for (size_t k = 0; k < 8 * len * sizeof(T); k += 64)                                 \
                __builtin_prefetch((const char *)p + (PF) + k, 0, 2);                            \
        size_t i = 0; /* nr >= 1 */                                                              \
        _Pragma("GCC unroll 8") do                                                               \
        {                                                                                        \
            if (8 * i + 8 <= len)                                                                \
                LANES_DO(rows[i][l] = LEAF(load8_##DT(p + l * len + 8 * i), 0));                 \
            else                                                                                 \
                LANES_DO(rows[i][l] = keep_lanes(LEAF(load8_##DT(p + l * len + 8 * i), 0),       \
                                                 len - 8 * i));                                  \
        }                                                                                        \
        while (++i < nr)                                                                         \
            ;                                                                                    \
        _Pragma("GCC unroll 3") for (size_t step = 1; step < 8; step *= 2)                       \
            _Pragma("GCC unroll 4") for (i = 0; i + step < nr; i += 2 * step)                    \
                LANES_DO(rows[i][l] = rows[i][l] + rows[i + step][l]);                           \
        v8d *r = rows[0], v = up3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);               \
        if (nt)                                                                                  \
            stream_line(o, v);                                                                   \
        else                                                                                     \
            memcpy(o, &v, sizeof v);                                                             \
    }                                                                                            \
    PA_SIMD_CLONES static void lines_##DT##_##xf##_##W(const void *x, size_t len, size_t n8,     \
                                                       double *o, int nt)                        \
    {                                                                                            \
        const T *p = x;                                                                          \
        size_t nr = (len + 7) / 8;                                                               \
        for (size_t g = 0; g < n8; g++, p += 8 * len, o += 8)                                    \
            switch (nr) {                                                                        \
            case 1: lines8_##DT##_##xf##_##W(p, len, 1, o, nt); break;                           \
            case 2: lines8_##DT##_##xf##_##W(p, len, 2, o, nt); break;                           \
            case 3: lines8_##DT##_##xf##_##W(p, len, 3, o, nt); break;                           \
            case 4: lines8_##DT##_##xf##_##W(p, len, 4, o, nt); break;                           \
            default: lines8_##DT##_##xf##_##W(p, len, nr, o, nt);                                \
            }                                                                                    \
    }
/* Per float dtype: the column kernels of both ways (their clones as the
 * block kernels') for the transforms of axis sums, and the short lines'
 * of both ways (every clone in each) for those without a mean. */
#define FAST_ALL(C, DT, nm, T, U, KIND, ...) PA__WHEN(PA__IS_FLOAT(KIND), FAST_ALL_(DT, T))
#define FAST_ALL_(DT, T)                                                                         \
    COLS_FN(DT, T, id, LEAF_ID, intel, PA_SIMD_CLONES)                                           \
    COLS_FN(DT, T, sqdev, LEAF_SQDEV, intel, PA_SIMD_CLONES)                                     \
    COLS_FN(DT, T, sq, LEAF_SQ, intel, PA_SIMD_CLONES)                                           \
    COLS_FN(DT, T, id, LEAF_ID, fwd, CLONES_32)                                                  \
    COLS_FN(DT, T, sqdev, LEAF_SQDEV, fwd, CLONES_32)                                            \
    COLS_FN(DT, T, sq, LEAF_SQ, fwd, CLONES_32)                                                  \
    NARROW_FN(DT, T, id, LEAF_ID, intel, 2, PA_SIMD_CLONES, NARROW_BY_VEC)                       \
    NARROW_FN(DT, T, sqdev, LEAF_SQDEV, intel, 2, PA_SIMD_CLONES, NARROW_BY_VEC)                 \
    NARROW_FN(DT, T, sq, LEAF_SQ, intel, 2, PA_SIMD_CLONES, NARROW_BY_VEC)                       \
    NARROW_FN(DT, T, id, LEAF_ID, fwd, 0, CLONES_32, NARROW_BY_PASS)                             \
    NARROW_FN(DT, T, sqdev, LEAF_SQDEV, fwd, 0, CLONES_32, NARROW_BY_PASS)                       \
    NARROW_FN(DT, T, sq, LEAF_SQ, fwd, 0, CLONES_32, NARROW_BY_PASS)                             \
    LINES_FN(DT, T, id, LEAF_ID, intel, 2048)                                                    \
    LINES_FN(DT, T, sq, LEAF_SQ, intel, 2048)                                                    \
    LINES_FN(DT, T, id, LEAF_ID, fwd, 0)                                                         \
    LINES_FN(DT, T, sq, LEAF_SQ, fwd, 0)
PA_DTYPE_LIST_WITH(FAST_ALL, ~)

/* clang-format off */
#define COLS_WAY(DT, W) {cols_##DT##_id_##W, cols_##DT##_sqdev_##W, cols_##DT##_sq_##W, NULL}
#define NARROW_WAY(DT, W) {narrow_##DT##_id_##W, narrow_##DT##_sqdev_##W, narrow_##DT##_sq_##W, NULL}
#define LINES_WAY(DT, W) {[XF_ID] = lines_##DT##_id_##W, [XF_SQ] = lines_##DT##_sq_##W}
/* clang-format on */
#define FAST_ROW(C, DT, nm, T, U, KIND, ...) PA__WHEN(PA__IS_FLOAT(KIND), FAST_ROW_(DT))
#define FAST_ROW_(DT)                                                                            \
    [PA_##DT] = {{[WAY_INTEL] = COLS_WAY(DT, intel), [WAY_FORWARD] = COLS_WAY(DT, fwd)},         \
                 {[WAY_INTEL] = NARROW_WAY(DT, intel), [WAY_FORWARD] = NARROW_WAY(DT, fwd)},     \
                 {[WAY_INTEL] = LINES_WAY(DT, intel), [WAY_FORWARD] = LINES_WAY(DT, fwd)}},
/* The float dtypes' kernels by way and transform; NULL: the general path. */
static const struct {
    cols_fn cols[NWAY][NXF];
    cols_fn narrow[NWAY][NXF];
    lines_fn lines[NWAY][NXF];
} fast_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(FAST_ROW, ~)};

/* What a tree sum reads: the elements of one dtype and transform, and
 * the axis kernels of a float dtype (NULL otherwise). */
typedef struct {
    blocks_fn blocks;
    leaves_fn leaves;
    size_t es; /* element size */
    double mu;
    cols_fn cols, narrow;
    lines_fn lines;
} tsum;

/* The tree sum of a's elements, or of a part of a complex a's (with the
 * general kernels alone: no axis kernel reads a part). */
static tsum tsum_of(const pa_array *a, pa__part part, xform xf, double mu)
{
    pa_dtype d = a->dtype;
    read_way_t way = read_way(a->ctx);
    if (part != PA__PART_WHOLE) {
        int c128 = pa_dtype_size(d) == 16;
        tsum t = {part_table[c128][part].blocks[way][xf],
                  part_table[c128][part].leaves[xf],
                  pa_dtype_size(d),
                  mu,
                  NULL,
                  NULL,
                  NULL};
        return t;
    }
    tsum t = {blocks_of(d, way, xf),
              xf_table[d].leaves[xf],
              pa_dtype_size(d),
              mu,
              fast_table[d].cols[way][xf],
              fast_table[d].narrow[way][xf],
              fast_table[d].lines[way][xf]};
    return t;
}

/* Where a tree sum reads the positions of its line: contiguous memory at
 * x (and y for XF_MUL), position q at x + q es; or a line of an axis
 * reduction (ln, see below), whose positions are gathered into its
 * buffer piece by piece (the tree never reads more than 2^NODE_BITS
 * positions at once). */
typedef struct line line;
typedef struct {
    const char *x, *y;
    line *ln;
} src;

static const char *line_gather(line *ln, size_t q, size_t n);

/* The n positions from q of s, contiguous. */
static const char *src_at(const tsum *t, const src *s, size_t q, size_t n)
{
    return s->ln ? line_gather(s->ln, q, n) : s->x + q * t->es;
}

/* The most tree sums taken over the same positions at once: the four
 * products of a complex dot. */
#define MAX_SUMS 4

/* The values out[k] of a full node of 2^b positions from q, b >= 6, for
 * the nt tree sums t[k] over the same positions (the parts of complex
 * elements): each 2^NODE_BITS positions are read from memory by the first
 * sum, and found in the cache by the others. */
static void full_node(const tsum *t, int nt, const src *s, size_t q, int b, double *out)
{
    if (b > NODE_BITS) {
        size_t half = (size_t)1 << (b - 1);
        double r[MAX_SUMS];
        full_node(t, nt, s, q, b - 1, out);
        full_node(t, nt, s, q + half, b - 1, r);
        for (int k = 0; k < nt; k++)
            out[k] = out[k] + r[k];
        return;
    }
    double v[(size_t)1 << (NODE_BITS - 6)];
    size_t m = (size_t)1 << (b - 6);
    const char *x = src_at(t, s, q, m * 64);
    for (int k = 0; k < nt; k++) {
        t[k].blocks(x, s->y ? s->y + q * t->es : NULL, t[k].mu, v, m);
        out[k] = root_of(v, m);
    }
}

/* The values out[k] (of the nt tree sums t[k]) of a node whose first m >=
 * 1 positions (from q) are all that is left of it before the end: its
 * full parts by the binary digits of m (levels >= 6), largest first, then
 * the cut block of the last m mod 64, folded from the right. */
static void clipped_node(const tsum *t, int nt, const src *s, size_t q, size_t m, double *out)
{
    double part[64][MAX_SUMS];
    int np = 0;
    size_t off = 0;
    for (int b = 63; b >= 6; b--)
        if (m >> b & 1) {
            full_node(t, nt, s, q + off, b, part[np++]);
            off += (size_t)1 << b;
        }
    if (off < m) {
        double v[64];
        q += off;
        const char *x = src_at(t, s, q, m - off);
        for (int k = 0; k < nt; k++) {
            t[k].leaves(x, s->y ? s->y + q * t->es : NULL, &t[k].mu, 0, v, m - off);
            block_of_leaves(v, m - off, 1, &part[np][k]);
        }
        np++;
    }
    for (int k = 0; k < nt; k++) {
        out[k] = part[np - 1][k];
        for (int j = np - 2; j >= 0; j--)
            out[k] = part[j][k] + out[k];
    }
}

/* ------------------------------------------------------------ fragments */

/* A node of level >= 6, or (level 0) the leaf at pos of a block that no
 * one rank holds whole. */
typedef struct {
    uint64_t pos; /* first position */
    int64_t level;
    double v;
} frag;

/* The root's level: the smallest L >= 6 with 2^L >= n. */
static int root_level(size_t n)
{
    int L = 6;
    while (((size_t)1 << L) < n)
        L++;
    return L;
}

/* Appends the positions [p, q) as leaves. */
static int cut_leaves(size_t p, size_t q, int nf, uint64_t *pos, int *lev, size_t *len)
{
    for (; p < q; p++) {
        pos[nf] = p;
        lev[nf] = 0;
        len[nf] = 1;
        nf++;
    }
    return nf;
}

/* Cuts [s, e) of a line of n positions into maximal aligned nodes over its
 * whole blocks and leaves for the rest; writes (position, level, length)
 * of each. Returns the count. */
static int cut(size_t s, size_t e, size_t n, uint64_t *pos, int *lev, size_t *len)
{
    if (s >= e)
        return 0;
    /* The whole blocks: [b0, b1), b1 = e at the end of the line. */
    size_t b0 = (s + 63) / 64 * 64, b1 = e == n ? e : e / 64 * 64;
    if (b0 >= b1)
        return cut_leaves(s, e, 0, pos, lev, len);
    int nf = cut_leaves(s, b0, 0, pos, lev, len), Lroot = root_level(n);
    for (size_t p = b0; p < b1;) {
        int L = p == 0 ? Lroot : __builtin_ctzll(p);
        if (L > Lroot)
            L = Lroot;
        for (;; L--) {
            size_t span = (size_t)1 << L;
            if ((L < 63 && p + span <= b1) || (b1 == n && n - p <= span))
                break;
        }
        size_t m = (size_t)1 << L;
        if (m > n - p)
            m = n - p;
        pos[nf] = p;
        lev[nf] = L;
        len[nf] = m;
        nf++;
        p += m;
    }
    return cut_leaves(b1, e, nf, pos, lev, len);
}

/* The value of node (L, start) from the sorted fragments, consuming them
 * from *cur. Fragment values are vals[k * stride]. A block with no
 * fragment of its own is made of leaves, which are next in order. */
static double eval(const frag *f, const double *vals, size_t stride, size_t *cur, int L,
                   size_t start, size_t n)
{
    const frag *c = &f[*cur];
    if (c->pos == start && c->level == L) {
        double v = vals ? vals[*cur * stride] : c->v;
        (*cur)++;
        return v;
    }
    if (L == 6) {
        size_t m = n - start < 64 ? n - start : 64;
        double v[64], b;
        for (size_t k = 0; k < m; k++, (*cur)++)
            v[k] = vals ? vals[*cur * stride] : f[*cur].v;
        block_of_leaves(v, m, 1, &b);
        return b;
    }
    size_t half = (size_t)1 << (L - 1);
    double l = eval(f, vals, stride, cur, L - 1, start, n);
    if (start + half >= n)
        return l;
    return l + eval(f, vals, stride, cur, L - 1, start + half, n);
}

static int frag_cmp(const void *a, const void *b)
{
    const frag *x = a, *y = b;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* MPI_Allgatherv of items of len elements of type base each (one
 * contiguous datatype, so that the counts stay item counts): each rank
 * gives n items from send, and recv gets cnt[r] items at dsp[r] from rank
 * r. Errors are recorded as fn's. */
static int gatherv_items(pa_ctx *ctx, const char *fn, const void *send, int n, void *recv,
                         const int *cnt, const int *dsp, int len, MPI_Datatype base,
                         MPI_Comm comm)
{
    MPI_Datatype t;
    int rc = pa__mpi(ctx, fn, MPI_Type_contiguous(len, base, &t), "MPI_Type_contiguous");
    if (rc == PA_OK)
        rc = pa__mpi(ctx, fn, MPI_Type_commit(&t), "MPI_Type_commit");
    if (rc == PA_OK)
        rc = pa__mpi(ctx, fn, MPI_Allgatherv(send, n, t, recv, cnt, dsp, t, comm),
                     "MPI_Allgatherv");
    MPI_Type_free(&t);
    return rc;
}

/* Gathers every rank's fragments (and, with ncols > 0, their value
 * vectors) on every rank of comm. *all and *allvals are malloc'ed, sorted
 * by position. */
static int gather_frags(pa_ctx *ctx, MPI_Comm comm, const frag *mine, int nmine,
                        const double *myvals, size_t ncols, frag **all, double **allvals,
                        int *nall)
{
    int np, rc = PA_OK;
    *all = NULL;
    *allvals = NULL;
    PA_MPI(ctx, MPI_Comm_size(comm, &np));
    int *cnt = malloc(sizeof(int) * 2 * (size_t)np);
    if (!cnt)
        return pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    int *dsp = cnt + np;
    rc = pa__mpi(ctx, __func__, MPI_Allgather(&nmine, 1, MPI_INT, cnt, 1, MPI_INT, comm),
                 "MPI_Allgather");
    int tot = 0;
    for (int r = 0; rc == PA_OK && r < np; r++) {
        dsp[r] = tot;
        tot += cnt[r];
    }
    frag *f = NULL;
    double *v = NULL;
    if (rc == PA_OK) {
        f = malloc(sizeof(frag) * (size_t)(tot ? tot : 1));
        v = ncols ? malloc(sizeof(double) * ncols * (size_t)(tot ? tot : 1)) : NULL;
        if (!f || (ncols && !v))
            rc = pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    }
    /* Every rank of comm reaches here with the same rc so far (the
     * allgather either failed everywhere or nowhere); agree on the
     * allocations before the next collective. */
    rc = pa__agree(ctx, comm, rc);
    if (rc == PA_OK)
        rc = gatherv_items(ctx, __func__, mine, nmine, f, cnt, dsp, (int)sizeof(frag), MPI_BYTE,
                           comm);
    if (rc == PA_OK && ncols)
        rc = gatherv_items(ctx, __func__, myvals, nmine, v, cnt, dsp, (int)ncols, MPI_DOUBLE,
                           comm);
    free(cnt);
    if (rc != PA_OK) {
        free(f);
        free(v);
        return rc;
    }
    if (ncols) {
        /* Sort the fragments with their vectors: by index permutation. */
        for (int i = 0; i < tot; i++)
            f[i].v = (double)i;
        qsort(f, (size_t)tot, sizeof(frag), frag_cmp);
        double *sv = malloc(sizeof(double) * ncols * (size_t)(tot ? tot : 1));
        if (!sv) {
            free(f);
            free(v);
            return pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
        }
        for (int i = 0; i < tot; i++)
            memcpy(sv + (size_t)i * ncols, v + (size_t)f[i].v * ncols, sizeof(double) * ncols);
        free(v);
        v = sv;
    } else {
        qsort(f, (size_t)tot, sizeof(frag), frag_cmp);
    }
    *all = f;
    *allvals = v;
    *nall = tot;
    return PA_OK;
}

/* ------------------------------------------------------------ results */

/* Where a call's results go: doubles (pa_reduce), pa_values
 * (pa_reduce_value) or the elements of a result array (pa_reduce_axes) at
 * p, of the result type dtype, whose numpy kind is kind. The computing
 * paths write each result through put_f (a float result) or put_bits (an
 * integer or bool result as its 64 bits, two's complement for kind 'i'),
 * and so serve every call. */
typedef enum { SINK_DOUBLES, SINK_VALUES, SINK_ELEMENTS } sink_form;
typedef struct {
    void *p;
    sink_form form;
    pa_dtype dtype;
    char kind;
} sink;

static size_t sink_size(const sink *s)
{
    return s->form == SINK_VALUES     ? sizeof(pa_value)
           : s->form == SINK_ELEMENTS ? pa_dtype_size(s->dtype)
                                      : sizeof(double);
}

/* Result j of s, zeroed, of s's dtype and kind (SINK_VALUES only). */
static pa_value *typed_at(const sink *s, size_t j)
{
    pa_value *v = (pa_value *)s->p + j;
    memset(v, 0, sizeof *v); /* the replicated check hashes every byte */
    v->dtype = s->dtype;
    v->kind = s->kind;
    return v;
}

/* A float result is an f64 (sums, means, ...) or a's own float (min, max),
 * which the element form stores converted exactly. */
static void put_f(const sink *s, size_t j, double v)
{
    if (s->form == SINK_VALUES)
        typed_at(s, j)->v.f = v;
    else if (s->form == SINK_DOUBLES || pa_dtype_size(s->dtype) == sizeof(double))
        ((double *)s->p)[j] = v;
    else
        pa__from_double((char *)s->p + j * pa_dtype_size(s->dtype), s->dtype, v);
}

/* The sink's results as doubles, where they are stored as such; NULL
 * where each goes through put_f. */
static double *sink_doubles(const sink *s)
{
    return s->form == SINK_DOUBLES ||
                   (s->form == SINK_ELEMENTS && pa_dtype_size(s->dtype) == sizeof(double))
               ? s->p
               : NULL;
}

/* Results [j, j + n) of s from v: at once where s holds doubles. */
static void put_fs(const sink *s, size_t j, const double *v, size_t n)
{
    double *d = sink_doubles(s);
    if (d)
        memcpy(d + j, v, sizeof(double) * n);
    else
        for (size_t i = 0; i < n; i++)
            put_f(s, j + i, v[i]);
}

/* Only f64 results are read back (mean, var, std, norm2). */
static double get_f(const sink *s, size_t j)
{
    return s->form == SINK_VALUES ? ((const pa_value *)s->p)[j].v.f : ((const double *)s->p)[j];
}

static void put_bits(const sink *s, size_t j, uint64_t bits)
{
    int is_signed = s->kind == 'i';
    if (s->form == SINK_DOUBLES) {
        ((double *)s->p)[j] = is_signed ? (double)(int64_t)bits : (double)bits;
    } else if (s->form == SINK_ELEMENTS) {
        /* The low bytes of a little-endian integer are its value modulo
         * the dtype's width (a bool is 0 or 1). */
        size_t es = pa_dtype_size(s->dtype);
        memcpy((char *)s->p + j * es, &bits, es);
    } else if (is_signed) {
        typed_at(s, j)->v.i = (int64_t)bits;
    } else {
        typed_at(s, j)->v.u = bits;
    }
}

/* The sink of op's results on dtype d at p: numpy's result type (see
 * pa_reduce in compute.h). The accumulators are the 8-byte dtypes of a
 * kind; a kind with none (bool, and unsigned until u64) sums into i64. */
static sink result_sink(pa_reduce_op op, pa_dtype d, void *p, sink_form form)
{
    pa__kind k = pa__dtypes[d].kind;
    pa_dtype i64 = pa__dtype_find(PA__KIND_SINT, 8), rd = d;
    char kind = 0;
    switch (op) {
    case PA_RED_SUM:
        rd = pa__dtype_find(k, 8);
        if (rd == PA_NDTYPES)
            rd = i64;
        break;
    case PA_RED_MEAN:
    case PA_RED_VAR:
    case PA_RED_STD:
    case PA_RED_NORM2: rd = pa__dtype_find(PA__KIND_FLOAT, 8); break;
    case PA_RED_MIN:
    case PA_RED_MAX: break;
    case PA_RED_ARGMIN:
    case PA_RED_ARGMAX: rd = i64; break;
    case PA_RED_ANY:
    case PA_RED_ALL:
        rd = pa__dtype_find(PA__KIND_BOOL, 1);
        if (rd == PA_NDTYPES)
            rd = pa__dtype_find(PA__KIND_UINT, 1);
        kind = 'b';
        break;
    case PA_NREDUCE: assert(0); break;
    }
    /* numpy's kind letter is the .npy descr's second character ("<i8"). */
    sink s = {p, form, rd, kind ? kind : pa__dtypes[rd].npy_descr[0][1]};
    return s;
}

/* ------------------------------------------------------------ geometry */

/* The communicator over which a's pieces add up to the whole array: the
 * job for a distributed array, the node for a replicated one (every node
 * computes the whole result itself). */
static MPI_Comm red_comm(const pa_array *a)
{
    return a->dist == PA_REPLICATED ? a->ctx->node_comm : a->ctx->comm;
}

/* The rows (node-relative) whose reductions this rank computes: those
 * whose first element lies in its span. A row may run into the next
 * rank's span; any rank of the node may read it. */
static void my_rows(const pa_array *a, size_t *r0, size_t *r1)
{
    size_t lo, hi, c = a->rowsize;
    pa__local_range(a, &lo, &hi);
    *r0 = c ? (lo + c - 1) / c : 0;
    *r1 = c ? (hi + c - 1) / c : 0;
    if (*r1 > a->nrows)
        *r1 = a->nrows;
    if (*r0 > *r1)
        *r0 = *r1;
}

/* Collective over comm. *mine: a sink like out with room for n per-row
 * results (one spare, so that n = 0 still allocates; the caller frees
 * mine->p), or PA_ENOMEM on every rank when any rank lacks it (recorded
 * as fn's). */
static int alloc_rows(pa_ctx *ctx, MPI_Comm comm, const char *fn, const sink *out, size_t n,
                      sink *mine)
{
    *mine = *out;
    mine->p = malloc(sink_size(out) * (n + 1));
    int rc = pa__agree(ctx, comm, mine->p ? PA_OK : pa__err(ctx, fn, PA_ENOMEM, "out of memory"));
    if (rc < 0) {
        free(mine->p);
        mine->p = NULL;
    }
    return rc;
}

/* Gathers per-row results (this rank's rows [r0, r1) of the node, global
 * rows from a->row0 + r0) into out[0 .. shape[0]) on every rank. */
static int gather_rows(const pa_array *a, size_t r0, size_t r1, const sink *mine, const sink *out)
{
    pa_ctx *ctx = a->ctx;
    MPI_Comm comm = red_comm(a);
    int np;
    PA_MPI(ctx, MPI_Comm_size(comm, &np));
    long my[2] = {(long)(a->row0 + r0), (long)(r1 - r0)};
    long *all = malloc(sizeof(long) * 2 * (size_t)np);
    int *cnt = malloc(sizeof(int) * 2 * (size_t)np);
    int rc = all && cnt ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    rc = pa__agree(ctx, comm, rc);
    if (rc == PA_OK)
        rc = pa__mpi(ctx, __func__, MPI_Allgather(my, 2, MPI_LONG, all, 2, MPI_LONG, comm),
                     "MPI_Allgather");
    if (rc == PA_OK) {
        for (int r = 0; r < np; r++) {
            cnt[r] = (int)all[2 * r + 1];
            cnt[np + r] = (int)all[2 * r];
        }
        rc = gatherv_items(ctx, __func__, mine->p, (int)(r1 - r0), out->p, cnt, cnt + np,
                           (int)sink_size(out), MPI_BYTE, comm);
    }
    free(all);
    free(cnt);
    return rc;
}

void pa__red_geom_make(const pa_array *a, unsigned reduced_mask, pa__red_geom *g)
{
    memset(g, 0, sizeof *g);
    g->keeps_rows = !(reduced_mask & 1);
    g->nout = g->len = 1;
    /* From the last axis to the first, so that strides are known and an
     * axis merges into its inner neighbour of the same class when that
     * one ends where it starts. The lists are built innermost first. */
    size_t sh[2][PA_MAXDIM], st[2][PA_MAXDIM], stride = 1;
    int cnt[2] = {0, 0}, prev = -1;
    for (int d = a->ndim - 1; d >= 0; d--) {
        size_t n = a->shape[d];
        int red = reduced_mask >> d & 1, k = cnt[red];
        if (red)
            g->len *= n;
        else
            g->nout *= n;
        if (n != 1) {
            if (prev == red && st[red][k - 1] * sh[red][k - 1] == stride) {
                sh[red][k - 1] *= n;
            } else {
                sh[red][k] = n;
                st[red][k] = stride;
                cnt[red]++;
            }
            prev = red;
        }
        stride *= n;
    }
    g->nk = cnt[0];
    g->nr = cnt[1];
    for (int i = 0; i < g->nk; i++) {
        g->kshape[i] = sh[0][g->nk - 1 - i];
        g->kstride[i] = st[0][g->nk - 1 - i];
    }
    for (int i = 0; i < g->nr; i++) {
        g->rshape[i] = sh[1][g->nr - 1 - i];
        g->rstride[i] = st[1][g->nr - 1 - i];
    }
}

/* K(j): the offset of output j's line in a (global element index). */
static size_t kept_offset(const pa__red_geom *g, size_t j)
{
    size_t off = 0;
    for (int d = g->nk - 1; d >= 0; d--) {
        off += j % g->kshape[d] * g->kstride[d];
        j /= g->kshape[d];
    }
    return off;
}

/* R(q), and in *left the positions from q to the end of its run: the
 * positions along the innermost reduced axis, run_stride apart. */
static size_t reduced_offset(const pa__red_geom *g, size_t q, size_t *left)
{
    if (g->nr == 0) {
        *left = g->len - q;
        return 0;
    }
    size_t off = 0, inner = g->rshape[g->nr - 1];
    *left = inner - q % inner;
    for (int d = g->nr - 1; d >= 0; d--) {
        off += q % g->rshape[d] * g->rstride[d];
        q /= g->rshape[d];
    }
    return off;
}

static size_t run_stride(const pa__red_geom *g)
{
    return g->nr ? g->rstride[g->nr - 1] : 1;
}

/* Whether each line is contiguous in memory (reduced axes last). */
static int lines_contiguous(const pa__red_geom *g)
{
    return g->nr == 0 || (g->nr == 1 && g->rstride[0] == 1);
}

/* A line of a: position q is node element base + R(q) (base is the
 * line's K(j) minus the node block's first global index, modulo 2^64:
 * only positions in the node block are read). */
struct line {
    const pa_array *a;
    const pa__red_geom *g;
    size_t base;
    char *buf; /* 2^NODE_BITS elements, where positions are gathered */
};

/* Calls fn on each run of positions [q, q + n) of ln: n elements at p,
 * stride elements apart, the first at position q. */
typedef void (*run_fn)(const char *p, size_t n, size_t stride, size_t q, void *acc);
static void line_runs(const line *ln, size_t q, size_t n, run_fn fn, void *acc)
{
    size_t stride = run_stride(ln->g);
    while (n) {
        size_t left, off = reduced_offset(ln->g, q, &left), k = left < n ? left : n;
        fn(pa__node_ptr(ln->a, ln->base + off), k, stride, q, acc);
        q += k;
        n -= k;
    }
}

/* Where gather_run copies: the buffer, the position at its start and
 * the element size. */
typedef struct {
    char *dst;
    size_t q0, es;
} gather_to;

/* A run copied into the buffer at its position, in the element's width
 * (a copy of constant size per element, not a call per element). */
static void gather_run(const char *p, size_t n, size_t stride, size_t q, void *acc)
{
    const gather_to *to = acc;
    char *d = to->dst + (q - to->q0) * to->es;
#define GATHER_AS(T)                                                                             \
    for (size_t i = 0; i < n; i++)                                                               \
        memcpy(d + i * sizeof(T), p + i * stride * sizeof(T), sizeof(T));                        \
    return
    switch (to->es) {
    case 1: GATHER_AS(uint8_t);
    case 2: GATHER_AS(uint16_t);
    case 4: GATHER_AS(uint32_t);
    case 8: GATHER_AS(uint64_t);
    default: GATHER_AS(pa__elem); /* a complex element, whose part the kernels take */
    }
#undef GATHER_AS
}

static const char *line_gather(line *ln, size_t q, size_t n)
{
    gather_to to = {ln->buf, q, ln->a->part.elsize};
    line_runs(ln, q, n, gather_run, &to);
    return ln->buf;
}

/* ------------------------------------------------------------ jobs */

/* One rank's part of a reduction: the whole array into one result
 * (pa_reduce's axis -1), or the lines of g. When g keeps rows, the rank
 * reduces the whole lines of its rows (my_rows), which are outputs [j0,
 * j0 + n); otherwise its positions [q0, q1) of every line (those of its
 * rows), and it writes outputs [j0, j0 + n). Result i of a sink is output
 * j0 + i. */
typedef struct {
    const pa_array *a;
    const pa__red_geom *g; /* NULL: the whole array */
    size_t g0;             /* the node block's first global index */
    size_t j0, n;
    size_t q0, q1;
    pa__part part; /* what the tree sums read of each element */
} job;

static job job_whole(const pa_array *a, pa__part part)
{
    job jb = {a, NULL, a->row0 * a->rowsize, 0, 1, 0, 0, part};
    return jb;
}

/* The job of g on part of a; outputs [jlo, jhi) when g reduces axis 0. */
static job job_lines(const pa_array *a, pa__part part, const pa__red_geom *g, size_t jlo,
                     size_t jhi)
{
    size_t r0, r1;
    my_rows(a, &r0, &r1);
    job jb = {a, g, a->row0 * a->rowsize, jlo, jhi - jlo, 0, 0, part};
    size_t per_row = a->shape[0] ? (g->keeps_rows ? g->nout : g->len) / a->shape[0] : 0;
    if (g->keeps_rows) {
        jb.j0 = (a->row0 + r0) * per_row;
        jb.n = (r1 - r0) * per_row;
    } else {
        jb.q0 = (a->row0 + r0) * per_row;
        jb.q1 = (a->row0 + r1) * per_row;
    }
    return jb;
}

/* Output j's line. */
static line job_line(const job *jb, size_t j, char *buf)
{
    line ln = {jb->a, jb->g, kept_offset(jb->g, j) - jb->g0, buf};
    return ln;
}

/* Room for the positions a line gathers (2^NODE_BITS elements of up to
 * 16 bytes: a complex array's parts are read from its elements). */
typedef struct {
    _Alignas(64) char b[((size_t)1 << NODE_BITS) * sizeof(pa__elem)];
} line_buf;

/* ------------------------------------------------------------ tree sums */

/* Whole-array tree sums out[k] of xform over part[k] of a (and b for
 * XF_MUL), with mean mu[k] for XF_SQDEV, for k < nt <= MAX_SUMS, in one
 * read of a (and b). A single sum gathers its fragments' values with
 * them; several, as vectors. */
static int sum_whole(const pa_array *a, const pa_array *b, const pa__part *part, int nt, xform xf,
                     const double *mu, double *out)
{
    pa_ctx *ctx = a->ctx;
    size_t n = a->size;
    if (n == 0) {
        for (int k = 0; k < nt; k++)
            out[k] = 0.0;
        return PA_OK;
    }
    tsum t[MAX_SUMS];
    for (int k = 0; k < nt; k++)
        t[k] = tsum_of(a, part[k], xf, mu ? mu[k] : 0.0);
    size_t lo, hi, g0 = a->row0 * a->rowsize;
    pa__local_range(a, &lo, &hi);
    uint64_t pos[MAX_FRAGS];
    int lev[MAX_FRAGS];
    size_t len[MAX_FRAGS];
    int nf = cut(g0 + lo, g0 + hi, n, pos, lev, len);
    frag mine[MAX_FRAGS];
    double myvals[MAX_FRAGS * MAX_SUMS];
    for (int f = 0; f < nf; f++) {
        size_t i = (size_t)pos[f] - g0;
        double *v = myvals + f * nt;
        mine[f].pos = pos[f];
        mine[f].level = lev[f];
        src at = {pa__node_ptr(a, i), b ? pa__node_ptr(b, i) : NULL, NULL};
        if (lev[f] == 0)
            for (int k = 0; k < nt; k++)
                t[k].leaves(at.x, at.y, &t[k].mu, 0, &v[k], 1);
        else
            clipped_node(t, nt, &at, 0, len[f], v);
        mine[f].v = v[0];
    }
    frag *all;
    double *vals;
    int nall, cols = nt > 1 ? nt : 0;
    PA_TRY(gather_frags(ctx, red_comm(a), mine, nf, myvals, (size_t)cols, &all, &vals, &nall));
    for (int k = 0; k < nt; k++) {
        size_t cur = 0;
        out[k] = eval(all, vals ? vals + k : NULL, (size_t)cols, &cur, root_level(n), 0, n);
    }
    free(all);
    free(vals);
    return PA_OK;
}

/* The column-wise tree value of rows [0, m) at x (row length c, columns
 * [j0, j0 + w)), into v[0 .. w): block by block (by the float dtypes'
 * column kernel, up to 64 full blocks at a time, or from the leaves of
 * up to 64 rows in rows[], then their lanes), and a binary counter over
 * the blocks merges equal-level neighbours (the full nodes), then a right
 * fold. stack has room for 66 levels of w doubles, rows for 64 w. A
 * single row (a leaf fragment) is its leaves. */
static void col_node(const tsum *t, const char *x, size_t c, size_t j0, size_t w, size_t m,
                     const double *mu, double *stack, int *level, double *rows, double *v)
{
    int top = 0, narrow = w == c && c <= NARROW_COLS && t->narrow;
    cols_fn cols = narrow ? t->narrow : t->cols;
    for (size_t r0 = 0; r0 < m;) {
        size_t nb = cols ? (m - r0) / 64 : 0, mr = 64;
        if (nb > 64)
            nb = 64;
        /* A tile of w < 8 reads up to x's column j0 + 8 of each row: the
         * last block's last row must have that many elements after it. */
        while (nb && !narrow && w < 8 && j0 + 8 > (m - r0 - 64 * nb + 1) * c)
            nb--;
        if (nb) {
            cols(x + (r0 * c + j0) * t->es, c, w, mu ? mu + j0 : NULL, rows, nb);
        } else {
            nb = 1;
            mr = m - r0 < 64 ? m - r0 : 64;
            if (w == c && !mu) /* the rows are contiguous: one call for all of them */
                t->leaves(x + r0 * c * t->es, NULL, &t->mu, 0, rows, mr * w);
            else
                for (size_t r = 0; r < mr; r++)
                    t->leaves(x + ((r0 + r) * c + j0) * t->es, NULL, mu ? mu + j0 : &t->mu,
                              mu ? 1 : 0, rows + r * w, w);
            block_of_leaves(rows, mr, w, rows);
        }
        for (size_t b = 0; b < nb; b++) {
            memcpy(stack + (size_t)top * w, rows + b * w, sizeof(double) * w);
            level[top++] = 6;
            while (top >= 2 && level[top - 1] == level[top - 2]) {
                double *l = stack + (size_t)(top - 2) * w, *rr = l + w;
                for (size_t j = 0; j < w; j++)
                    l[j] = l[j] + rr[j];
                level[top - 2]++;
                top--;
            }
        }
        r0 += nb * mr;
    }
    if (top == 0) /* m == 0: not called so, but keep the read in bounds */
        return;
    memcpy(v, stack + (size_t)(top - 1) * w, sizeof(double) * w);
    for (int k = top - 2; k >= 0; k--)
        for (size_t j = 0; j < w; j++)
            v[j] = stack[(size_t)k * w + j] + v[j];
}

/* The tree value of positions [q, q + m) of output j's line: a leaf
 * (level 0) or a node, clipped at the end of the line. */
static double line_frag(const job *jb, const tsum *t, size_t j, size_t q, size_t m, int level,
                        line_buf *buf)
{
    line ln = job_line(jb, j, buf->b);
    src s = {NULL, NULL, &ln};
    if (lines_contiguous(jb->g)) { /* read in place */
        s.x = pa__node_ptr(jb->a, ln.base + q);
        s.ln = NULL;
        q = 0;
    }
    double v;
    if (level > 0) {
        clipped_node(t, 1, &s, q, m, &v);
        return v;
    }
    t->leaves(src_at(t, &s, q, 1), NULL, &t->mu, 0, &v, 1);
    return v;
}

/* Rows-reducing tree sums: each rank cuts its positions of the lines into
 * fragments whose values are vectors over the outputs, and every rank
 * evaluates the tree of the outputs it writes. Where the lines are the
 * columns of a (rows, columns) view (reduced axes first, kept axes last),
 * the fragments are column nodes (col_node) read row by row. mu: each
 * output's mean for XF_SQDEV. */
static int tree_across(const job *jb, xform xf, const double *mu, const sink *out)
{
    const pa_array *a = jb->a;
    const pa__red_geom *g = jb->g;
    pa_ctx *ctx = a->ctx;
    size_t m = g->len, c = g->nout;
    tsum t = tsum_of(a, jb->part, xf, 0.0);
    uint64_t pos[MAX_FRAGS];
    int lev[MAX_FRAGS];
    size_t len[MAX_FRAGS];
    int nf = cut(jb->q0, jb->q1, m, pos, lev, len);
    int cols = g->nk == 1 && g->kstride[0] == 1;
    size_t tile = c < COL_TILE ? c : COL_TILE;
    frag mine[MAX_FRAGS];
    double *vals = malloc(sizeof(double) * c * (size_t)(nf ? nf : 1));
    double *stack = cols ? malloc(sizeof(double) * tile * (66 + 64)) : NULL;
    line_buf *buf = cols ? NULL : malloc(sizeof *buf);
    int level[66];
    int rc = vals && (cols ? stack != NULL : buf != NULL)
                 ? PA_OK
                 : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    double *rows = stack ? stack + tile * 66 : NULL;
    for (int k = 0; rc == PA_OK && k < nf; k++) {
        mine[k].pos = pos[k];
        mine[k].level = lev[k];
        mine[k].v = 0;
        double *v = vals + (size_t)k * c;
        if (cols) {
            const char *x = pa__node_ptr(a, pos[k] * c - jb->g0);
            for (size_t j0 = 0; j0 < c; j0 += tile) {
                size_t w = c - j0 < tile ? c - j0 : tile;
                col_node(&t, x, c, j0, w, len[k], mu, stack, level, rows, v + j0);
            }
            continue;
        }
        for (size_t j = 0; j < c; j++) {
            t.mu = mu ? mu[j] : 0.0;
            v[j] = line_frag(jb, &t, j, pos[k], len[k], lev[k], buf);
        }
    }
    free(stack);
    free(buf);
    rc = pa__agree(ctx, red_comm(a), rc);
    frag *all = NULL;
    double *allv = NULL;
    int nall;
    if (rc == PA_OK)
        rc = gather_frags(ctx, red_comm(a), mine, nf, vals, c, &all, &allv, &nall);
    free(vals);
    if (rc < 0)
        return rc;
    int Lroot = root_level(m);
    for (size_t i = 0; i < jb->n; i++) {
        size_t cur = 0;
        put_f(out, i, eval(all, allv + jb->j0 + i, c, &cur, Lroot, 0, m));
    }
    free(all);
    free(allv);
    return PA_OK;
}

/* put_fs past the caches, for results written once and read later by
 * others: the Intel way's result of a (n, 10) row sum is a tenth of the
 * bytes read, and a store that misses reads its line first. The caller
 * fences. */
static void put_fs_stream(const sink *s, size_t j, const double *v, size_t n)
{
    double *d = sink_doubles(s);
    if (d)
        pa__stream_copy(d + j, v, sizeof(double) * n);
    else
        put_fs(s, j, v, n);
}

/* Rows-keeping lines of len <= 64 positions, contiguous and one after
 * another (line i of jb at x + i len): 64 lines at a time, by the float
 * dtypes' short-line kernel 8 lines at a time, or their leaves side by
 * side (v[k 64 + j]: leaf k of line j) and the block of each from them at
 * once, so that a short line costs no call of its own. A line of up to 64
 * positions is one (cut) block of the tree. The Intel way streams large
 * results straight from the kernel, each 8 lines' results one whole line:
 * on Sapphire Rapids a (1e7, 10) f64 row sum ran at 0.64-0.67x of the
 * read limit with them streamed from a buffer per 64 lines, and at
 * 0.79-0.87x with them streamed by the kernel (0.89-0.94x with its
 * prefetch into L2, see LINES_FN). */
static void short_lines(const job *jb, const tsum *t, const sink *out)
{
    size_t len = jb->g->len;
    /* Results that fit a core's L2 stay there for whoever reads them next. */
    int stream = read_way(jb->a->ctx) == WAY_INTEL &&
                 jb->n * sizeof(double) >= PA_STREAM_MIN_BYTES;
    double leaves[64 * 64], v[64 * 64], res[64];
    const char *x = pa__node_ptr(jb->a, jb->j0 * len - jb->g0);
    /* Streamed results go out from the kernel, 8 to a whole line; those
     * before the output's first 64-byte line go the leaves' way. */
    double *d = stream && t->lines ? sink_doubles(out) : NULL;
    size_t head = d ? ((64 - ((uintptr_t)d & 63)) & 63) / sizeof(double) : 0;
    for (size_t i0 = 0, w; i0 < jb->n; i0 += w) {
        w = jb->n - i0 < 64 ? jb->n - i0 : 64;
        if (i0 < head && w > head - i0)
            w = head - i0;
        size_t n8 = t->lines ? w / 8 : 0; /* 0 before the head: w < 8 */
        /* The kernel reads up to 8 - len % 8 elements past its last line. */
        if (n8 && len % 8 && (jb->n - i0 - 8 * n8) * len < 8 - len % 8)
            n8--;
        if (n8) {
            w = 8 * n8;
            t->lines(x + i0 * len * t->es, len, n8, d ? d + i0 : res, d != NULL);
            if (d)
                continue;
        } else {
            t->leaves(x + i0 * len * t->es, NULL, &t->mu, 0, leaves, w * len);
            for (size_t j = 0; j < w; j++)
                for (size_t k = 0; k < len; k++)
                    v[k * w + j] = leaves[j * len + k];
            block_of_leaves(v, len, w, res);
        }
        if (stream)
            put_fs_stream(out, i0, res, w);
        else
            put_fs(out, i0, res, w);
    }
    if (stream)
        pa__stream_fence();
}

/* Tree sums of xform over jb into out. mu: XF_SQDEV's means, one per
 * result of out for the whole array and rows-keeping lines, one per
 * output for rows-reducing ones. Rows-keeping lines need no
 * communication: each is read whole by the rank that holds its row. */
static int tree_sums(const job *jb, xform xf, const double *mu, const sink *out)
{
    if (!jb->g) {
        double v;
        PA_TRY(sum_whole(jb->a, NULL, &jb->part, 1, xf, mu, &v));
        put_f(out, 0, v);
        return PA_OK;
    }
    if (!jb->g->keeps_rows)
        return tree_across(jb, xf, mu, out);
    tsum t = tsum_of(jb->a, jb->part, xf, 0.0);
    const pa__red_geom *g = jb->g;
    if (!mu && g->len <= 64 && lines_contiguous(g) && g->nk <= 1 &&
        (g->nk == 0 || g->kstride[0] == g->len)) {
        short_lines(jb, &t, out);
        return PA_OK;
    }
    line_buf buf;
    for (size_t i = 0; i < jb->n; i++) {
        t.mu = mu ? mu[i] : 0.0;
        put_f(out, i, line_frag(jb, &t, jb->j0 + i, 0, jb->g->len, 6, &buf));
    }
    return PA_OK;
}

/* ------------------------------------------------------------ counts and integer sums */

/* Integer sums (modulo 2^64: numpy's wrapping sum in i64 or u64, the same
 * bits) and counts of the elements that are not zero (any, all; NaN is
 * not zero). Order does not matter, so each rank sums its own part and
 * one allreduce adds them. n elements at x, stride apart. A signed
 * element converts to uint64_t modulo 2^64, which is its two's complement.
 *
 * Contiguous elements (stride 1) take loops of their own, which gcc
 * vectorises: elements of 1 or 2 bytes add up in int32_t first, 2^15 at a
 * time (whose sum fits), so that a vector widens 8 of them, not 4 to 64
 * bits. A u8 sum read at 1 GB/s strided, against 7 for an f64 sum. */
typedef uint64_t (*usum_fn)(const void *x, size_t n, size_t stride);
#define SMALL_RUN 32768
#define USUM_FN(name, T, TERM)                                                                   \
    VEC static uint64_t name(const void *x, size_t n, size_t stride)                             \
    {                                                                                            \
        const T *p = x;                                                                          \
        uint64_t s = 0;                                                                          \
        if (stride != 1) {                                                                       \
            for (size_t i = 0; i < n; i++)                                                       \
                s += (uint64_t)TERM(p[i * stride]);                                              \
        } else if (sizeof(T) > 2) {                                                              \
            for (size_t i = 0; i < n; i++)                                                       \
                s += (uint64_t)TERM(p[i]);                                                       \
        } else {                                                                                 \
            for (size_t i0 = 0; i0 < n; i0 += SMALL_RUN) {                                       \
                size_t end = n - i0 < SMALL_RUN ? n : i0 + SMALL_RUN;                            \
                int32_t t = 0;                                                                   \
                for (size_t i = i0; i < end; i++)                                                \
                    t += (int32_t)TERM(p[i]);                                                    \
                s += (uint64_t)(int64_t)t;                                                       \
            }                                                                                    \
        }                                                                                        \
        return s;                                                                                \
    }
#define ISUM_TERM(v) (v)
#define NONZERO_TERM(v) ((v) != 0)
#define USUM_FNS(C, DT, nm, T, U, KIND, ...)                                                     \
    PA__WHEN(PA__IS_INT(KIND), USUM_FN(isum_##DT, T, ISUM_TERM))                                 \
    USUM_FN(nonzero_##DT, T, NONZERO_TERM)
PA_DTYPE_LIST_WITH(USUM_FNS, ~)
#define ISUM_ENTRY(C, DT, nm, T, U, KIND, ...) PA__WHEN(PA__IS_INT(KIND), [PA_##DT] = isum_##DT, )
#define NONZERO_ENTRY(C, DT, ...) [PA_##DT] = nonzero_##DT,
/* The integer dtypes' sums (NULL for the others), and every dtype's count. */
static const usum_fn isum_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(ISUM_ENTRY, ~)};
static const usum_fn nonzero_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(NONZERO_ENTRY, ~)};

#ifdef PA_X86_DISPATCH
/* Contiguous sums of 1- and 2-byte integers with AVX512BW, for the Intel
 * way. The loops above widen through int32 in 32-byte vectors (the
 * avx512f clone has no byte or word instructions) with one chain of adds:
 * on Sapphire Rapids u8 summed at 14 GB/s in cache and 0.31-0.38x of the
 * read limit from memory, i16 at 0.63-0.77x. Here 64 bytes take a load, a
 * psadbw (bytes into 8 u64 lanes) or a pmaddwd by ones (words into 16
 * int32 lanes) and an add, in 4 chains, with each line prefetched 1 KiB
 * ahead as the Intel way does (without it 0.79-0.92x). The flip xor maps
 * the other signedness onto the one the instruction sums (i8 as x + 128,
 * u16 as x - 2^15), which the total then takes back, modulo 2^64. */
#pragma GCC push_options
#pragma GCC target("avx512bw")
#define SUM4_LINES(ADD, LINE, step)                                                              \
    for (; i + 4 * (step) <= end; i += 4 * (step)) {                                             \
        for (int k = 0; k < 4; k++)                                                              \
            __builtin_prefetch(p + i + k * (step) + 1024 / sizeof *p);                           \
        s0 = ADD(s0, LINE(0)), s1 = ADD(s1, LINE(step));                                         \
        s2 = ADD(s2, LINE(2 * (step))), s3 = ADD(s3, LINE(3 * (step)));                          \
    }
static uint64_t bytes_x512(const uint8_t *p, size_t n, uint8_t flip)
{
    const __m512i f = _mm512_set1_epi8((char)flip), z = _mm512_setzero_si512();
    __m512i s0 = z, s1 = z, s2 = z, s3 = z;
#define BYTES_LINE(o) _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(p + i + (o)), f), z)
    size_t i = 0, end = n;
    SUM4_LINES(_mm512_add_epi64, BYTES_LINE, 64)
    for (; i + 64 <= n; i += 64)
        s0 = _mm512_add_epi64(s0, BYTES_LINE(0));
    if (i < n) {
        __mmask64 m = ~0ULL >> (64 - (n - i));
        __m512i v = _mm512_maskz_mov_epi8(m,
                                          _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p + i), f));
        s1 = _mm512_add_epi64(s1, _mm512_sad_epu8(v, z));
    }
    s0 = _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3));
    return (uint64_t)_mm512_reduce_add_epi64(s0) - (uint64_t)flip * n;
}
/* Words add up in int32 lanes for runs of WORDS_RUN x 4 lines: a lane of
 * a chain gains at most 2^16 in magnitude per line, 2^30 per run (plus
 * the last run's tail lines), so each chain is widened to int64 on its
 * own. */
#define WORDS_RUN 16384
/* The 16 int32 lanes of s as the sums of 8 int64 lanes. */
static __m512i widen_words(__m512i s)
{
    return _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(s)),
                            _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(s, 1)));
}
static uint64_t words_x512(const uint16_t *p, size_t n, uint16_t flip)
{
    const __m512i f = _mm512_set1_epi16((short)flip), one = _mm512_set1_epi16(1);
    const __m512i z = _mm512_setzero_si512();
    __m512i acc = z;
#define WORDS_LINE(o) _mm512_madd_epi16(_mm512_xor_si512(_mm512_loadu_si512(p + i + (o)), f), one)
    size_t i = 0;
    do {
        size_t end = n - i < 128 * WORDS_RUN ? n : i + 128 * WORDS_RUN;
        __m512i s0 = z, s1 = z, s2 = z, s3 = z;
        SUM4_LINES(_mm512_add_epi32, WORDS_LINE, 32)
        if (end == n) {
            for (; i + 32 <= n; i += 32)
                s0 = _mm512_add_epi32(s0, WORDS_LINE(0));
            if (i < n) {
                __mmask32 m = ~0U >> (32 - (n - i));
                __m512i v = _mm512_maskz_mov_epi16(
                    m, _mm512_xor_si512(_mm512_maskz_loadu_epi16(m, p + i), f));
                s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(v, one));
                i = n;
            }
        }
        /* Each chain widened on its own: their sum may not fit int32. */
        acc = _mm512_add_epi64(acc, widen_words(s0));
        acc = _mm512_add_epi64(acc, widen_words(s1));
        acc = _mm512_add_epi64(acc, widen_words(s2));
        acc = _mm512_add_epi64(acc, widen_words(s3));
    } while (i < n);
    return (uint64_t)_mm512_reduce_add_epi64(acc) + (flip ? (uint64_t)32768 * n : 0);
}
#pragma GCC pop_options

/* A signed or unsigned dtype's sum through them where contiguous and
 * narrow enough (bool keeps its loop: its bytes are 0 or 1 by C's _Bool). */
#define ISUM_X512(C, DT, nm, T, U, KIND, ...)                                                    \
    PA__WHEN(PA__IS_INT(KIND), PA__WHEN(PA__NOT(PA__IS_BOOL(KIND)), ISUM_X512_(DT, T, KIND)))
#define ISUM_X512_(DT, T, KIND)                                                                  \
    static uint64_t isum_##DT##_x512(const void *x, size_t n, size_t stride)                     \
    {                                                                                            \
        int sgn = PA__KIND(KIND) == PA__KIND_SINT;                                               \
        if (stride != 1 || sizeof(T) > 2)                                                        \
            return isum_##DT(x, n, stride);                                                      \
        return sizeof(T) == 1 ? bytes_x512(x, n, sgn ? 0x80 : 0)                                 \
                              : words_x512(x, n, sgn ? 0 : 0x8000);                              \
    }
PA_DTYPE_LIST_WITH(ISUM_X512, ~)
#define ISUM_X512_ENTRY(C, DT, nm, T, U, KIND, ...)                                              \
    PA__WHEN(PA__IS_INT(KIND),                                                                   \
             [PA_##DT] = PA__SEL(PA__IS_BOOL(KIND), isum_##DT##_x512, isum_##DT), )
static const usum_fn isum_x512_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(ISUM_X512_ENTRY, ~)};
#endif

/* The integer sum of dtype d, on the read way of ctx. */
static usum_fn isum_of(const pa_ctx *ctx, pa_dtype d)
{
    (void)ctx;
#ifdef PA_X86_DISPATCH
    if (read_way(ctx) == WAY_INTEL && pa__cpu_has_avx512bw())
        return isum_x512_table[d];
#endif
    return isum_table[d];
}

/* Result j of op from the total s of a line of len elements: the sum, or
 * any/all from the count of elements that are not zero. */
static void put_usum(const sink *out, size_t j, pa_reduce_op op, uint64_t s, size_t len)
{
    put_bits(out, j, op == PA_RED_ANY ? s != 0 : op == PA_RED_ALL ? s == len : s);
}

/* A line's runs summed (line_runs' accumulator). */
typedef struct {
    usum_fn fn;
    uint64_t s;
} usum_acc;

static void usum_run(const char *p, size_t n, size_t stride, size_t q, void *acc)
{
    usum_acc *u = acc;
    (void)q;
    u->s += u->fn(p, n, stride);
}

/* Integer sum, any or all over jb (lines of len elements). The whole
 * array takes one collective, the allreduce of its total, and so do
 * rows-reducing lines (their totals' buffer agreed on first);
 * rows-keeping lines none. */
static int usums(const job *jb, pa_reduce_op op, size_t len, const sink *out)
{
    const pa_array *a = jb->a;
    pa_ctx *ctx = a->ctx;
    MPI_Comm comm = red_comm(a);
    usum_acc u = {op == PA_RED_SUM ? isum_of(ctx, a->dtype) : nonzero_table[a->dtype], 0};
    const pa__red_geom *g = jb->g;
    if (g && g->keeps_rows) {
        for (size_t i = 0; i < jb->n; i++) {
            line ln = job_line(jb, jb->j0 + i, NULL);
            u.s = 0;
            line_runs(&ln, 0, g->len, usum_run, &u);
            put_usum(out, i, op, u.s, len);
        }
        return PA_OK;
    }
    size_t nout = g ? g->nout : 1;
    uint64_t *s = calloc(nout, sizeof *s);
    int rc = pa__agree(ctx, comm, s ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory"));
    if (rc < 0) {
        free(s);
        return rc;
    }
    if (g) {
        for (size_t j = 0; j < nout; j++) {
            line ln = job_line(jb, j, NULL);
            u.s = 0;
            line_runs(&ln, jb->q0, jb->q1 - jb->q0, usum_run, &u);
            s[j] = u.s;
        }
    } else {
        size_t lo, hi;
        pa__local_range(a, &lo, &hi);
        s[0] = u.fn(pa__node_ptr(a, lo), hi - lo, 1);
    }
    rc = pa__mpi(ctx, __func__,
                 MPI_Allreduce(MPI_IN_PLACE, s, (int)nout, MPI_UINT64_T, MPI_SUM, comm),
                 "MPI_Allreduce");
    for (size_t i = 0; rc == PA_OK && i < jb->n; i++)
        put_usum(out, i, op, s[jb->j0 + i], len);
    free(s);
    return rc;
}

/* ------------------------------------------------------------ scans */

/* A partial min/max/argmin/argmax over some elements of a line: the best
 * value and its first index, the first NaN, and (floats) whether a -0.0
 * or +0.0 was seen, so that the min of zeros is -0.0 in every layout. An
 * integer value is kept as its key, which orders every integer dtype as
 * uint64_t does: the value itself for unsigned dtypes, the two's
 * complement with the sign bit flipped for signed ones. */
typedef struct {
    double f;      /* float dtypes */
    uint64_t key;  /* integer dtypes */
    uint64_t idx;  /* first index of the best value */
    uint64_t nidx; /* first NaN */
    int32_t has, nan, neg0, pos0;
} scan;

#define SIGN_FLIP ((uint64_t)1 << 63)

/* Scans n elements at x with stride (elements), whose line positions are
 * p0, p0 + 1, ..., into *s (overwritten); want_max picks max over min. */
#define SCAN_FN(C, DT, nm, T, U, KIND, ...)                                                      \
    PA__WHEN(PA__NOT(PA__IS_COMPLEX(KIND)), SCAN_FN_(DT, T, KIND))
#define SCAN_FN_(DT, T, KIND)                                                                    \
    static void scan_##DT(const void *x, size_t n, size_t stride, uint64_t p0, int want_max,     \
                          scan *s)                                                               \
    {                                                                                            \
        enum { is_int = PA__IS_INT(KIND) };                                                      \
        const T *p = x;                                                                          \
        T best = 0;                                                                              \
        memset(s, 0, sizeof *s);                                                                 \
        for (size_t k = 0; k < n; k++) {                                                         \
            T v = p[k * stride];                                                                 \
            if (!is_int && v != v) {                                                             \
                s->nan = 1;                                                                      \
                s->nidx = p0 + k;                                                                \
                break;                                                                           \
            }                                                                                    \
            if (!is_int && v == 0) {                                                             \
                if (signbit((double)v))                                                          \
                    s->neg0 = 1;                                                                 \
                else                                                                             \
                    s->pos0 = 1;                                                                 \
            }                                                                                    \
            if (!s->has || (want_max ? v > best : v < best)) {                                   \
                s->has = 1;                                                                      \
                s->idx = p0 + k;                                                                 \
                best = v;                                                                        \
            }                                                                                    \
        }                                                                                        \
        PA__SEL(PA__IS_INT(KIND), s->f = (double)best,                                           \
                s->key = (uint64_t)best ^ (PA__KIND(KIND) == PA__KIND_SINT ? SIGN_FLIP : 0));    \
    }
PA_DTYPE_LIST_WITH(SCAN_FN, ~)
typedef void (*scan_fn)(const void *, size_t, size_t, uint64_t, int, scan *);
#define SCAN_ENTRY(C, DT, nm, T, U, KIND, ...)                                                   \
    PA__WHEN(PA__NOT(PA__IS_COMPLEX(KIND)), [PA_##DT] = scan_##DT, )
static const scan_fn scan_table[PA_NDTYPES] = {PA_DTYPE_LIST_WITH(SCAN_ENTRY, ~)};

/* Merges scan b into a: the order of merges does not change the result
 * (ties go to the smaller index). */
static void scan_merge(scan *a, const scan *b, int is_int, int want_max)
{
    if (b->nan && (!a->nan || b->nidx < a->nidx)) {
        a->nan = 1;
        a->nidx = b->nidx;
    }
    a->neg0 |= b->neg0;
    a->pos0 |= b->pos0;
    if (!b->has)
        return;
    int better;
    if (!a->has)
        better = 1;
    else if (is_int)
        better = want_max ? b->key > a->key : b->key < a->key;
    else
        better = want_max ? b->f > a->f : b->f < a->f;
    int tie = a->has && (is_int ? b->key == a->key : b->f == a->f);
    if (better || (tie && b->idx < a->idx)) {
        a->f = b->f;
        a->key = b->key;
        a->idx = b->idx;
        a->has = 1;
    }
}

/* Result j of a scan: the index, or the value (NaN if any; -0.0 for a zero
 * min if a -0.0 was seen, +0.0 for a zero max if a +0.0 was). */
static void put_scan(const sink *out, size_t j, const scan *s, int is_int, int want_max,
                     int want_index)
{
    if (want_index)
        put_bits(out, j, s->nan ? s->nidx : s->idx);
    else if (s->nan)
        put_f(out, j, NAN);
    else if (is_int)
        put_bits(out, j, out->kind == 'i' ? s->key ^ SIGN_FLIP : s->key);
    else if (s->f == 0)
        put_f(out, j, want_max ? (s->pos0 ? 0.0 : -0.0) : (s->neg0 ? -0.0 : 0.0));
    else
        put_f(out, j, s->f);
}

/* A line's runs scanned (line_runs' accumulator). */
typedef struct {
    scan_fn fn;
    int is_int, want_max;
    scan s;
} scan_acc;

static void scan_run(const char *p, size_t n, size_t stride, size_t q, void *acc)
{
    scan_acc *sa = acc;
    scan part;
    sa->fn(p, n, stride, q, sa->want_max, &part);
    scan_merge(&sa->s, &part, sa->is_int, sa->want_max);
}

/* This rank's scan of output j's positions [q, q + n). */
static scan scan_line(const job *jb, scan_acc *sa, size_t j, size_t q, size_t n)
{
    line ln = job_line(jb, j, NULL);
    memset(&sa->s, 0, sizeof sa->s);
    line_runs(&ln, q, n, scan_run, sa);
    return sa->s;
}

/* min, max, argmin or argmax over jb: rows-keeping lines locally, the
 * whole array and rows-reducing lines by an allgather of every rank's
 * partial scans, merged in rank order. */
static int scans(const job *jb, int want_max, int want_index, const sink *out)
{
    const pa_array *a = jb->a;
    pa_ctx *ctx = a->ctx;
    MPI_Comm comm = red_comm(a);
    const pa__red_geom *g = jb->g;
    scan_acc sa = {
        .fn = scan_table[a->dtype], .is_int = pa__dtype_is_int(a->dtype), .want_max = want_max};
    if (g && g->keeps_rows) {
        for (size_t i = 0; i < jb->n; i++) {
            scan s = scan_line(jb, &sa, jb->j0 + i, 0, g->len);
            put_scan(out, i, &s, sa.is_int, want_max, want_index);
        }
        return PA_OK;
    }
    size_t nout = g ? g->nout : 1;
    int np;
    PA_MPI(ctx, MPI_Comm_size(comm, &np));
    scan *mine = calloc(nout, sizeof(scan));
    scan *all = malloc(sizeof(scan) * nout * (size_t)np);
    int rc = pa__agree(ctx, comm,
                       mine && all ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory"));
    if (rc == PA_OK) {
        if (g) {
            for (size_t j = 0; j < nout; j++)
                mine[j] = scan_line(jb, &sa, j, jb->q0, jb->q1 - jb->q0);
        } else {
            size_t lo, hi;
            pa__local_range(a, &lo, &hi);
            sa.fn(pa__node_ptr(a, lo), hi - lo, 1, jb->g0 + lo, want_max, mine);
        }
        MPI_Datatype st;
        rc = pa__mpi(ctx, __func__,
                     MPI_Type_contiguous((int)(sizeof(scan) * nout), MPI_BYTE, &st),
                     "MPI_Type_contiguous");
        if (rc == PA_OK)
            rc = pa__mpi(ctx, __func__, MPI_Type_commit(&st), "MPI_Type_commit");
        if (rc == PA_OK)
            rc = pa__mpi(ctx, __func__, MPI_Allgather(mine, 1, st, all, 1, st, comm),
                         "MPI_Allgather");
        MPI_Type_free(&st);
    }
    for (size_t i = 0; rc == PA_OK && i < jb->n; i++) {
        scan s = {0};
        for (int r = 0; r < np; r++)
            scan_merge(&s, &all[(size_t)r * nout + jb->j0 + i], sa.is_int, want_max);
        put_scan(out, i, &s, sa.is_int, want_max, want_index);
    }
    free(mine);
    free(all);
    return rc;
}

/* ------------------------------------------------------------ entry points */

static const char *const red_names[PA_NREDUCE] = {
#define RED_NAME(N, n) [PA_RED_##N] = #n,
    PA_REDUCE_LIST(RED_NAME)
#undef RED_NAME
};

const char *pa_reduce_name(pa_reduce_op op)
{
    return (int)op >= 0 && op < PA_NREDUCE ? red_names[op] : "?";
}

int pa_reduce_parse(const char *name, pa_reduce_op *op)
{
    PA_CHECK(NULL, name && op, PA_EINVAL, "name and op must not be NULL");
    for (int i = 0; i < PA_NREDUCE; i++)
        if (strcmp(name, red_names[i]) == 0) {
            *op = (pa_reduce_op)i;
            return PA_OK;
        }
    return pa__err(NULL, __func__, PA_EINVAL, "unknown reduction '%s'", name);
}

/* The count of results of a reduction along axis (a valid one). */
static size_t results_of(const pa_array *a, int axis)
{
    return axis < 0 ? 1 : axis == 0 ? a->shape[1] : a->shape[0];
}

/* The reductions of a complex a (reduce_complex.c, and
 * reduce_order_complex.c for min, max, argmin and argmax), after the
 * checks: any and all count it here as every dtype; sum and mean into
 * doubles are PA_ENOTSUP, which would drop the imaginary part. */
static int reduce_complex(const char *fn, const pa_array *a, pa_reduce_op op, int axis,
                          double ddof, void *out, int typed, size_t nout)
{
    int real_result = op == PA_RED_NORM2 || op == PA_RED_VAR || op == PA_RED_STD;
    if (op == PA_RED_MIN || op == PA_RED_MAX || op == PA_RED_ARGMIN || op == PA_RED_ARGMAX)
        return nout ? pa__reduce_order_complex(fn, a, op, axis, out, typed, nout) : PA_OK;
    PA_CHECK_AS(a->ctx, fn, typed || real_result, PA_ENOTSUP,
                "the %s of %s is complex, which a double cannot hold: use pa_reduce_value",
                pa_reduce_name(op), pa_dtype_name(a->dtype));
    return nout ? pa__reduce_complex(fn, a, op, axis, ddof, out, typed, nout) : PA_OK;
}

/* The variance of a line of len elements whose squared deviations from
 * their mean sum to sq, with ddof: NaN where len - ddof <= 0. */
static double var_of(double sq, size_t len, double ddof)
{
    double d = (double)len - ddof;
    return d > 0 ? sq / d : NAN;
}

/* var (std with take_sqrt) over jb's lines of len with ddof, into out:
 * the means first, then the squares of the deviations from them (not the
 * cancellation-prone mean of squares minus the squared mean). A
 * rows-reducing job needs every output's mean, so its means come from a
 * job over all outputs. */
static int var_job(const job *jb, double ddof, int take_sqrt, size_t len, const sink *out)
{
    pa_ctx *ctx = jb->a->ctx;
    job means_job = *jb;
    if (jb->g && !jb->g->keeps_rows) {
        means_job.j0 = 0;
        means_job.n = jb->g->nout;
    }
    double *mu = malloc(sizeof(double) * (means_job.n + 1));
    sink means = {mu, SINK_DOUBLES, out->dtype, out->kind};
    int rc = pa__agree(ctx, red_comm(jb->a),
                       mu ? PA_OK : pa__err(ctx, __func__, PA_ENOMEM, "out of memory"));
    if (rc == PA_OK)
        rc = tree_sums(&means_job, XF_ID, NULL, &means);
    for (size_t j = 0; rc == PA_OK && j < means_job.n; j++)
        mu[j] /= (double)len;
    if (rc == PA_OK)
        rc = tree_sums(jb, XF_SQDEV, mu, out);
    for (size_t i = 0; rc == PA_OK && i < jb->n; i++) {
        double v = var_of(get_f(out, i), len, ddof);
        put_f(out, i, take_sqrt ? sqrt(v) : v);
    }
    free(mu);
    return rc;
}

/* Empty lines (len 0): numpy's sum of nothing is 0, its mean and variance
 * are NaN; nothing is true of it (any) and everything is (all). */
static void put_empty(pa_reduce_op op, const sink *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (out->kind == 'f')
            put_f(out, i, op == PA_RED_SUM || op == PA_RED_NORM2 ? 0.0 : NAN);
        else
            put_bits(out, i, op == PA_RED_ALL);
    }
}

/* The reduction op (ddof for var and std) of jb's lines of len elements
 * (a real dtype; len > 0 for the scans) into out. */
static int reduce_job(const job *jb, pa_reduce_op op, double ddof, size_t len, const sink *out)
{
    int want_max = op == PA_RED_MAX || op == PA_RED_ARGMAX;
    if (len == 0) {
        put_empty(op, out, jb->n);
        return PA_OK;
    }
    switch (op) {
    case PA_RED_SUM:
        if (pa__dtype_is_int(jb->a->dtype))
            return usums(jb, op, len, out);
        return tree_sums(jb, XF_ID, NULL, out);
    case PA_RED_ANY:
    case PA_RED_ALL: return usums(jb, op, len, out);
    case PA_RED_MEAN:
        PA_TRY(tree_sums(jb, XF_ID, NULL, out));
        for (size_t i = 0; i < jb->n; i++)
            put_f(out, i, get_f(out, i) / (double)len);
        return PA_OK;
    case PA_RED_VAR:
    case PA_RED_STD: return var_job(jb, ddof, op == PA_RED_STD, len, out);
    case PA_RED_NORM2:
        PA_TRY(tree_sums(jb, XF_SQ, NULL, out));
        for (size_t i = 0; i < jb->n; i++)
            put_f(out, i, sqrt(get_f(out, i)));
        return PA_OK;
    case PA_RED_MIN:
    case PA_RED_MAX: return scans(jb, want_max, 0, out);
    case PA_RED_ARGMIN:
    case PA_RED_ARGMAX: return scans(jb, want_max, 1, out);
    case PA_NREDUCE: break;
    }
    assert(0);
    return PA_EINVAL;
}

pa_dtype pa__reduce_dtype(pa_reduce_op op, pa_dtype d)
{
    return result_sink(op, d, NULL, SINK_DOUBLES).dtype;
}

/* The dtype whose results a reduction of part of a's elements has. */
static pa_dtype part_dtype(const pa_array *a, pa__part part)
{
    return part == PA__PART_WHOLE ? a->dtype : pa__dtype_real(a->dtype);
}

int pa__reduce_lines(const char *fn, const pa_array *a, pa__part part, pa_reduce_op op,
                     double ddof, const pa__red_geom *g, pa_array *out)
{
    (void)fn;
    size_t lo, hi;
    pa_dtype d = part_dtype(a, part);
    pa__local_range(out, &lo, &hi);
    if (g->len == 0) { /* a has no elements, so no rows to own: write out's span */
        sink s = result_sink(op, d, pa__node_ptr(out, lo), SINK_ELEMENTS);
        put_empty(op, &s, hi - lo);
        return PA_OK;
    }
    job jb = job_lines(a, part, g, lo, hi);
    /* A rows-keeping out has a's rows (the node partition is a function
     * of the rows and nodes alone), so this rank's rows are there too. */
    assert(!g->keeps_rows || (out->row0 == a->row0 && out->nrows == a->nrows));
    size_t first = g->keeps_rows ? jb.j0 - out->row0 * out->rowsize : lo;
    sink s = result_sink(op, d, pa__node_ptr(out, first), SINK_ELEMENTS);
    return pa__agree(a->ctx, a->ctx->comm, reduce_job(&jb, op, ddof, g->len, &s));
}

/* op (ddof for var and std) of the real array a along axis (-1: whole,
 * or 0 or 1 of a 2-D array) into out's results on every rank: along axis
 * 1 each rank reduces its rows, which are gathered. */
static int reduce_along(const char *fn, const pa_array *a, pa__part part, pa_reduce_op op,
                        double ddof, int axis, const sink *out)
{
    if (axis < 0) {
        job jb = job_whole(a, part);
        return reduce_job(&jb, op, ddof, a->size, out);
    }
    pa__red_geom g;
    pa__red_geom_make(a, 1u << axis, &g);
    if (axis == 0) {
        job jb = job_lines(a, part, &g, 0, g.nout);
        return reduce_job(&jb, op, ddof, g.len, out);
    }
    job jb = job_lines(a, part, &g, 0, 0);
    sink mine;
    PA_TRY(alloc_rows(a->ctx, red_comm(a), fn, out, jb.n, &mine));
    int rc = pa__agree(a->ctx, red_comm(a), reduce_job(&jb, op, ddof, g.len, &mine));
    if (rc == PA_OK)
        rc = gather_rows(a, jb.j0 - a->row0, jb.j0 - a->row0 + jb.n, &mine, out);
    free(mine.p);
    return rc;
}

/* pa_reduce, pa_reduce_value (typed), pa_var and pa_std after their
 * PA_COLLECTIVE: the checks, then complex arrays, empty ones and the
 * rest. */
static int reduce_checked(const char *fn, const pa_array *a, pa_reduce_op op, int axis,
                          double ddof, void *out, int typed)
{
    pa_ctx *ctx = a->ctx;
    PA_CHECK_AS(ctx, fn, out, PA_EINVAL, "out is NULL");
    char sb[PA_MAXDIM * 24];
    PA_CHECK_AS(ctx, fn, axis == -1 || ((axis == 0 || axis == 1) && a->ndim == 2), PA_EINVAL,
                "axis = %d: must be -1 (whole array), or 0 or 1 of a 2-D array (a is %s; "
                "pa_reduce_axes takes any axes)",
                axis, pa__array_shape_str(a, sb, sizeof sb));
    PA_CHECK_AS(ctx, fn, (int)op >= 0 && op < PA_NREDUCE, PA_EINVAL, "op %d is not a reduction",
                (int)op);
    size_t nout = results_of(a, axis);
    size_t len = axis < 0 ? a->size : axis == 0 ? a->shape[0] : a->shape[1];
    int scan_op = op == PA_RED_MIN || op == PA_RED_MAX || op == PA_RED_ARGMIN ||
                  op == PA_RED_ARGMAX;
    PA_CHECK_AS(ctx, fn, len > 0 || !scan_op, PA_EINVAL, "%s of a zero-size %s has no value",
                red_names[op], axis < 0 ? "array" : "axis");
    if (pa__dtype_is_complex(a->dtype) && op != PA_RED_ANY && op != PA_RED_ALL)
        return reduce_complex(fn, a, op, axis, ddof, out, typed, nout);
    if (nout == 0)
        return PA_OK;
    sink s = result_sink(op, a->dtype, out, typed ? SINK_VALUES : SINK_DOUBLES);
    int rc = PA_OK;
    if (len == 0) /* every rank writes every result: no rank may have rows */
        put_empty(op, &s, nout);
    else
        rc = reduce_along(fn, a, PA__PART_WHOLE, op, ddof, axis, &s);
    return PA_REPLICATED_RESULT(a, fn, rc, out, nout * sink_size(&s));
}

int pa__reduce_parts(const char *fn, const pa_array *a, pa_reduce_op op, int axis, double ddof,
                     double *out, size_t nout)
{
    static const pa__part parts[2] = {PA__PART_RE, PA__PART_IM};
    size_t len = axis < 0 ? a->size : a->shape[axis];
    int rc = PA_OK;
    if (axis < 0 && len > 0 && op == PA_RED_VAR) {
        /* Both parts' means in one read of the array, then both parts'
         * squared deviations in another, as var_job's. */
        double mu[2], sq[2] = {0, 0};
        rc = sum_whole(a, NULL, parts, 2, XF_ID, NULL, mu);
        for (int k = 0; k < 2; k++)
            mu[k] /= (double)len;
        if (rc == PA_OK)
            rc = sum_whole(a, NULL, parts, 2, XF_SQDEV, mu, sq);
        for (int k = 0; k < 2; k++)
            out[k] = var_of(sq[k], len, ddof);
    } else if (axis < 0 && len > 0 && (op == PA_RED_SUM || op == PA_RED_NORM2)) {
        /* Both parts' sums in one read of the array. */
        double v[2];
        rc = sum_whole(a, NULL, parts, 2, op == PA_RED_SUM ? XF_ID : XF_SQ, NULL, v);
        for (int k = 0; k < 2; k++)
            out[k] = op == PA_RED_NORM2 ? sqrt(v[k]) : v[k];
    } else {
        for (int k = 0; k < 2 && rc == PA_OK; k++) {
            sink s = result_sink(op, part_dtype(a, parts[k]), out + k * nout, SINK_DOUBLES);
            if (len == 0)
                put_empty(op, &s, nout);
            else if (nout > 0)
                rc = reduce_along(fn, a, parts[k], op, ddof, axis, &s);
        }
    }
    return PA_REPLICATED_RESULT(a, fn, rc, out, 2 * nout * sizeof *out);
}

int pa__dot_parts(const char *fn, const pa_array *a, const pa_array *b, const pa__part *part,
                  int n, double *out)
{
    int rc = sum_whole(a, b, part, n, XF_MUL, NULL, out);
    return PA_REPLICATED_RESULT(a, fn, rc, out, (size_t)n * sizeof *out);
}

int pa_reduce(const pa_array *a, pa_reduce_op op, int axis, double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %s, axis %d", PA_CC_ARRAY(a), pa_reduce_name(op), axis);
    return reduce_checked(__func__, a, op, axis, 0.0, out, 0);
}

int pa_reduce_value(const pa_array *a, pa_reduce_op op, int axis, pa_value *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %s, axis %d", PA_CC_ARRAY(a), pa_reduce_name(op), axis);
    return reduce_checked(__func__, a, op, axis, 0.0, out, 1);
}

/* pa_var and pa_std. */
static int var_checked(const char *fn, const pa_array *a, int axis, double ddof, int take_sqrt,
                       double *out)
{
    PA_TRY(pa__check_array(fn, a, "a"));
    PA_COLLECTIVE(a->ctx, fn, "%s, axis %d, ddof %.17g", PA_CC_ARRAY(a), axis, ddof);
    return reduce_checked(fn, a, take_sqrt ? PA_RED_STD : PA_RED_VAR, axis, ddof, out, 0);
}

int pa_var(const pa_array *a, int axis, double ddof, double *out)
{
    return var_checked(__func__, a, axis, ddof, 0, out);
}

int pa_std(const pa_array *a, int axis, double ddof, double *out)
{
    return var_checked(__func__, a, axis, ddof, 1, out);
}

int pa_dot(const pa_array *a, const pa_array *b, double *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %s", PA_CC_ARRAY(a), PA_CC_ARRAY(b));
    PA_TRY(pa__check_match(__func__, a, "a", b, "b", 1));
    PA_CHECK(a->ctx, out, PA_EINVAL, "out is NULL");
    PA_CHECK(a->ctx, !pa__dtype_is_complex(a->dtype), PA_ENOTSUP,
             "the dot of %s is complex, which a double cannot hold: use pa_dot_value",
             pa_dtype_name(a->dtype));
    const pa__part whole = PA__PART_WHOLE;
    int rc = sum_whole(a, b, &whole, 1, XF_MUL, NULL, out);
    return PA_REPLICATED_RESULT(a, __func__, rc, out, sizeof *out);
}

int pa_dot_value(const pa_array *a, const pa_array *b, pa_value *out)
{
    PA_TRY(pa__check_array(__func__, a, "a"));
    PA_COLLECTIVE(a->ctx, __func__, "%s, %s", PA_CC_ARRAY(a), PA_CC_ARRAY(b));
    PA_TRY(pa__check_match(__func__, a, "a", b, "b", 1));
    PA_CHECK(a->ctx, out, PA_EINVAL, "out is NULL");
    if (pa__dtype_is_complex(a->dtype))
        return pa__vdot_complex(__func__, a, b, out);
    double d;
    PA_TRY(pa_dot(a, b, &d));
    sink s = result_sink(PA_RED_NORM2, a->dtype, out, 1);
    put_f(&s, 0, d);
    return PA_OK;
}
