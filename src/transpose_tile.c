/* The transposed copy (transpose_tile.h): register transposes of N x N
 * blocks for each element size and instruction set from one macro, a tile
 * walk around them, and element copies at a tile's ragged edges. */
#include <stdint.h>
#include <string.h>

#include "compute.h"
#include "transpose_tile.h"

#ifdef PA_X86_DISPATCH
#include <immintrin.h>
#endif

/* The register transposes take their masks as vectors, which gcc's
 * __builtin_shuffle does; other compilers (clang builds the fuzz targets)
 * copy element by element. */
#if defined(__GNUC__) && !defined(__clang__)
#define TILE_REGISTERS 1
#endif

/* The side of a tile in elements: the source lines of a tile's rows and
 * the destination lines of its columns (at most 64 x 64 x 16 bytes each)
 * stay in L2 while the tile's blocks use them, and the walk revisits a
 * tile's pages only for its neighbour. */
#define TILE 64

/* The destination rows of a band of strips (source columns; 8 KiB of
 * each source row for f64). In one process bands of 512 bytes ran at 0.8x
 * of bands of 1 to 4 KiB; a (8193, 4096) f64 transpose at 4 ranks as 2
 * nodes took 0.91-0.95x the time with bands of 8 KiB that it took with
 * 1 KiB (16 and 32 KiB ran as 8), as each row's longer run lets the
 * prefetcher follow it. The band's carried lines, 64 KiB on the stack,
 * live in L2. */
#define STRIP_ROWS 1024

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Element copies of the rows x cols block that the registers leave. */
static void copy_elements(const char *from, ptrdiff_t fs, char *to, ptrdiff_t ts, size_t rows,
                          size_t cols, size_t es)
{
    ptrdiff_t e = (ptrdiff_t)es;
    for (size_t c = 0; c < cols; c++)
        for (size_t i = 0; i < rows; i++)
            memcpy(to + ((ptrdiff_t)c * ts + (ptrdiff_t)i) * e,
                   from + ((ptrdiff_t)i * fs + (ptrdiff_t)c) * e, es);
}

/* One N x N register transpose of ES-byte elements held in vectors of VB
 * bytes (N = VB / ES), as lanes of type U (an element is ES / sizeof(U)
 * lanes). Stage h swaps bit h of the row index with bit h of the column
 * index: rows i and i + h exchange their off-diagonal h-element halves.
 * After the stages h = N/2, ..., 1 every bit is swapped, which is the
 * transpose. The masks fold to constants once the loops are unrolled, and
 * the compiler picks the ISA's shuffles for them. Then the tile walk of
 * that kernel. */
#define TRANSPOSE_KERNEL(ISA, TARGET, ES, U, VB, S)                                              \
    typedef U vec_##ISA##_##ES __attribute__((vector_size(VB)));                                 \
    typedef U vecu_##ISA##_##ES __attribute__((vector_size(VB), aligned(1), may_alias));         \
    TARGET static inline void regs_##ISA##_##ES(const char *from, ptrdiff_t fs,                  \
                                                vec_##ISA##_##ES *r)                             \
    {                                                                                            \
        enum { N = (VB) / (ES), K = (ES) / sizeof(U), L = (VB) / sizeof(U) };                    \
        typedef vec_##ISA##_##ES V;                                                              \
        const V iota = lane_index_##ISA##_##ES.v;                                                \
        _Pragma("GCC unroll 64") for (int i = 0; i < N; i++)                                     \
            r[i] = *(const vecu_##ISA##_##ES *)(from + (ptrdiff_t)i * fs * (ES));                \
        _Pragma("GCC unroll 8") for (int h = N / 2; h >= 1; h /= 2)                              \
            _Pragma("GCC unroll 64") for (int i = 0; i < N; i++) if (!(i & h))                   \
        {                                                                                        \
            const U hk = (U)(h * K);                                                             \
            V upper = (V)((iota & hk) != 0) & (U)(L - hk);                                       \
            V a = r[i], b = r[i + h];                                                            \
            r[i] = __builtin_shuffle(a, b, iota + upper);                                        \
            r[i + h] = __builtin_shuffle(a, b, iota + hk + upper);                               \
        }                                                                                        \
    }                                                                                            \
    TARGET static void block_##ISA##_##ES(const char *from, ptrdiff_t fs, char *to,              \
                                          ptrdiff_t ts, int stream)                              \
    {                                                                                            \
        enum { N = (VB) / (ES) };                                                                \
        typedef vec_##ISA##_##ES V;                                                              \
        V r[N];                                                                                  \
        (void)stream;                                                                            \
        regs_##ISA##_##ES(from, fs, r);                                                          \
        _Pragma("GCC unroll 64") for (int i = 0; i < N; i++)                                     \
            STORE_##ISA(to + (ptrdiff_t)i * ts * (ES), r[i], V, vecu_##ISA##_##ES, VB, stream);  \
    }                                                                                            \
    STRIPS_##S(ISA, TARGET, ES, U, VB)                                                           \
        TARGET static void tiles_##ISA##_##ES(const char *from, ptrdiff_t fs, char *to,          \
                                              ptrdiff_t ts, size_t rows, size_t cols, int lines) \
    {                                                                                            \
        enum { N = (VB) / (ES) };                                                                \
        int stream = rows * cols * (ES) >= PA_STREAM_MIN_BYTES;                                  \
        if (lines && stream && STRIPS_CALL_##S(ES, from, fs, to, ts, rows, cols))                \
            return;                                                                              \
        for (size_t i0 = 0; i0 < rows; i0 += TILE)                                               \
            for (size_t c0 = 0; c0 < cols; c0 += TILE) {                                         \
                size_t i1 = i0 + TILE < rows ? i0 + TILE : rows;                                 \
                size_t c1 = c0 + TILE < cols ? c0 + TILE : cols;                                 \
                size_t ib = i0 + (i1 - i0) / N * N, cb = c0 + (c1 - c0) / N * N;                 \
                for (size_t i = i0; i < ib; i += N)                                              \
                    for (size_t c = c0; c < cb; c += N)                                          \
                        block_##ISA##_##ES(from + ((ptrdiff_t)i * fs + (ptrdiff_t)c) * (ES), fs, \
                                           to + ((ptrdiff_t)c * ts + (ptrdiff_t)i) * (ES), ts,   \
                                           stream);                                              \
                copy_elements(from + ((ptrdiff_t)i0 * fs + (ptrdiff_t)cb) * (ES), fs,            \
                              to + ((ptrdiff_t)cb * ts + (ptrdiff_t)i0) * (ES), ts, i1 - i0,     \
                              c1 - cb, ES);                                                      \
                copy_elements(from + ((ptrdiff_t)ib * fs + (ptrdiff_t)c0) * (ES), fs,            \
                              to + ((ptrdiff_t)c0 * ts + (ptrdiff_t)ib) * (ES), ts, i1 - ib,     \
                              cb - c0, ES);                                                      \
            }                                                                                    \
    }

/* Intel's walk of a streamed output, whose rows need not be line-aligned:
 * bands of W source columns (W = STRIP_ROWS destination rows, W elements of each
 * source row), each walked down all rows a block at a time. Destination
 * row j's line at element i - p (p its first element's offset in its
 * line) is the last p elements of its previous block and the first of
 * this one (d[j] is its element N - p, the first line after its head), so
 * every store is a whole aligned line, streamed, but a row's first and
 * last, stored plainly. Returns 0 when `to` is not ES-aligned, so that no
 * row can be, and for fewer than N rows or columns, which the tiles copy
 * as well. */
#define STRIPS_KERNEL(ISA, TARGET, ES, U, VB)                                                    \
    TARGET static int strips_##ISA##_##ES(const char *from, ptrdiff_t fs, char *to,              \
                                          ptrdiff_t ts, size_t rows, size_t cols)                \
    {                                                                                            \
        enum { N = (VB) / (ES), K = (ES) / sizeof(U), L = (VB) / sizeof(U) };                    \
        enum { W = STRIP_ROWS };                                                                 \
        typedef vec_##ISA##_##ES V;                                                              \
        if ((uintptr_t)to % (ES) || rows < N || cols < N)                                        \
            return 0;                                                                            \
        const V iota = lane_index_##ISA##_##ES.v;                                                \
        size_t ib = rows / N * N, cb = cols / N * N;                                             \
        V carry[W];                                                                              \
        U shift[W];                                                                              \
        char *d[W];                                                                              \
        for (size_t c0 = 0; c0 < cb; c0 += W) {                                                  \
            size_t nj = min_size(W, cb - c0);                                                    \
            for (size_t j = 0; j < nj; j += N) {                                                 \
                V r[N];                                                                          \
                regs_##ISA##_##ES(from + (ptrdiff_t)(c0 + j) * (ES), fs, r);                     \
                _Pragma("GCC unroll 64") for (int k = 0; k < N; k++)                             \
                {                                                                                \
                    char *at = to + (ptrdiff_t)(c0 + j + (size_t)k) * ts * (ES);                 \
                    size_t p = (uintptr_t)at % (VB) / (ES);                                      \
                    memcpy(at, &r[k], (N - p) * (ES));                                           \
                    d[j + k] = at + (N - p) * (ES);                                              \
                    shift[j + k] = (U)(L - p * K);                                               \
                    carry[j + k] = r[k];                                                         \
                }                                                                                \
            }                                                                                    \
            size_t i = N;                                                                        \
            for (; i + 2 * N <= ib; i += 2 * N)                                                  \
                STRIP_STEP(ISA, ES, 2);                                                          \
            for (; i < ib; i += N)                                                               \
                STRIP_STEP(ISA, ES, 1);                                                          \
            for (size_t j = 0; j < nj; j++) {                                                    \
                size_t p = (L - shift[j]) / K;                                                   \
                memcpy(d[j] + (ptrdiff_t)(ib - N) * (ES), (char *)&carry[j] + (N - p) * (ES),    \
                       p * (ES));                                                                \
            }                                                                                    \
        }                                                                                        \
        copy_elements(from + (ptrdiff_t)cb * (ES), fs, to + (ptrdiff_t)cb * ts * (ES), ts, rows, \
                      cols - cb, ES);                                                            \
        copy_elements(from + (ptrdiff_t)ib * fs * (ES), fs, to + (ptrdiff_t)ib * (ES), ts,       \
                      rows - ib, cb, ES);                                                        \
        return 1;                                                                                \
    }

/* P block rows of a band of strips from source row i: each destination
 * row's next P lines, one after the other, so that the memory switches
 * between rows half as often. Two at a time, a (2048, 2048) f64 block
 * went into rows 16 KiB apart at 11.6-11.8 GB/s against 9.0-9.2 one at a
 * time (4- and 16-byte elements alike), and into rows 8193 elements apart
 * as fast as before; a (8192, 4096) f64 transpose took 13.5-13.8 ms
 * against 16.8-17.1 on 2 ranks, and 33.9-35.0 against 37.0-37.8 at 4 ranks
 * as 2 nodes. */
#define STRIP_STEP(ISA, ES, P)                                                                   \
    for (size_t j = 0; j < nj; j += N) {                                                         \
        V r[P][N];                                                                               \
        for (int q = 0; q < (P); q++)                                                            \
            regs_##ISA##_##ES(                                                                   \
                from + ((ptrdiff_t)(i + (size_t)q * N) * fs + (ptrdiff_t)(c0 + j)) * (ES), fs,   \
                r[q]);                                                                           \
        _Pragma("GCC unroll 64") for (int k = 0; k < N; k++)                                     \
        {                                                                                        \
            V prev = carry[j + k];                                                               \
            for (int q = 0; q < (P); q++) {                                                      \
                V line = __builtin_shuffle(prev, r[q][k], iota + shift[j + k]);                  \
                STREAM_##ISA(d[j + k] + (ptrdiff_t)(i + (size_t)q * N - N) * (ES), line);        \
                prev = r[q][k];                                                                  \
            }                                                                                    \
            carry[j + k] = prev;                                                                 \
        }                                                                                        \
    }

/* The lane indices 0, 1, ... of a vector, which the masks are built from. */
#define LANE_INDEX(ISA, ES, U, VB)                                                               \
    static const union {                                                                         \
        U a[64];                                                                                 \
        U v __attribute__((vector_size(VB)));                                                    \
    } lane_index_##ISA##_##ES = {                                                                \
        {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, \
         22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, \
         44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63}};

/* Every element size for one instruction set of VB-byte vectors; blocks
 * of at most 16 x 16 elements, so that a block's rows fit the registers.
 * The strips (S: the instruction set's, or none) take the sizes whose
 * block rows can be whole lines, 4 bytes and up. */
#define VB_FOR(VB, ES) ((VB) < 16 * (ES) ? (VB) : 16 * (ES))
#define ONE_SIZE(ISA, TARGET, VB, ES, U, S)                                                      \
    LANE_INDEX(ISA, ES, U, VB_FOR(VB, ES))                                                       \
    TRANSPOSE_KERNEL(ISA, TARGET, ES, U, VB_FOR(VB, ES), S)
#define ALL_SIZES(ISA, TARGET, VB)                                                               \
    ONE_SIZE(ISA, TARGET, VB, 1, uint8_t, none)                                                  \
    ONE_SIZE(ISA, TARGET, VB, 2, uint16_t, none)                                                 \
    ONE_SIZE(ISA, TARGET, VB, 4, uint32_t, ISA)                                                  \
    ONE_SIZE(ISA, TARGET, VB, 8, uint64_t, ISA)                                                  \
    ONE_SIZE(ISA, TARGET, VB, 16, uint64_t, ISA)                                                 \
    TARGET static int tiles_##ISA(const char *from, ptrdiff_t fs, char *to, ptrdiff_t ts,        \
                                  size_t rows, size_t cols, size_t es, int lines)                \
    {                                                                                            \
        switch (es) {                                                                            \
        case 1: tiles_##ISA##_1(from, fs, to, ts, rows, cols, lines); break;                     \
        case 2: tiles_##ISA##_2(from, fs, to, ts, rows, cols, lines); break;                     \
        case 4: tiles_##ISA##_4(from, fs, to, ts, rows, cols, lines); break;                     \
        case 8: tiles_##ISA##_8(from, fs, to, ts, rows, cols, lines); break;                     \
        case 16: tiles_##ISA##_16(from, fs, to, ts, rows, cols, lines); break;                   \
        default: return 0;                                                                       \
        }                                                                                        \
        FENCE_##ISA();                                                                           \
        return 1;                                                                                \
    }

/* A row of a block to its destination. AVX-512 rows of 64 bytes are whole
 * cache lines: stored past the caches when aligned and the output is large
 * (stream), so that the line is not read first; a large output would not
 * stay in the cache anyway. */
#define STORE_base(at, row, V, VU, VB, stream) (*(VU *)(at) = (row))
#define STORE_avx2 STORE_base
#define STORE_avx512(at, row, V, VU, VB, stream)                                                 \
    do {                                                                                         \
        if ((VB) == 64 && (stream) && !((uintptr_t)(at)&63))                                     \
            STREAM_avx512(at, row);                                                              \
        else                                                                                     \
            *(VU *)(at) = (row);                                                                 \
    } while (0)

/* Only AVX-512 has rows of whole lines (of 4, 8 and 16-byte elements)
 * for the strips. */
#define STRIPS_none(ISA, TARGET, ES, U, VB)
#define STRIPS_base STRIPS_none
#define STRIPS_avx2 STRIPS_none
#define STRIPS_avx512 STRIPS_KERNEL
#define STRIPS_CALL_none(ES, from, fs, to, ts, rows, cols) 0
#define STRIPS_CALL_base STRIPS_CALL_none
#define STRIPS_CALL_avx2 STRIPS_CALL_none
#define STRIPS_CALL_avx512(ES, from, fs, to, ts, rows, cols)                                     \
    strips_avx512_##ES(from, fs, to, ts, rows, cols)
/* A 64-byte vector to the aligned line at, past the caches. */
#define STREAM_avx512(at, row)                                                                   \
    do {                                                                                         \
        union {                                                                                  \
            __typeof__(row) vec;                                                                 \
            __m512i line;                                                                        \
        } u_ = {row};                                                                            \
        _mm512_stream_si512((void *)(at), u_.line);                                              \
    } while (0)

/* Streamed stores are weakly ordered: a fence makes them visible before
 * whatever the caller does next (an MPI send of the packed rows, a node
 * barrier before another rank reads them). */
#define FENCE_base()
#define FENCE_avx2()
#define FENCE_avx512() _mm_sfence()

/* clang-format off */
#ifdef TILE_REGISTERS
ALL_SIZES(base, , 16)
#endif
#ifdef PA_X86_DISPATCH
ALL_SIZES(avx2, __attribute__((target("avx2"))), 32)
ALL_SIZES(avx512, __attribute__((target("avx512f"))), 64)
#endif
/* clang-format on */

void pa__transpose_copy_isa(pa_isa isa, int strips, const char *from, ptrdiff_t fs, char *to,
                            ptrdiff_t ts, size_t rows, size_t cols, size_t es)
{
    int done = 0, lines = strips && isa == PA_ISA_AVX512;
#ifdef PA_X86_DISPATCH
    if (isa == PA_ISA_AVX512)
        done = tiles_avx512(from, fs, to, ts, rows, cols, es, lines);
    else if (isa == PA_ISA_AVX2)
        done = tiles_avx2(from, fs, to, ts, rows, cols, es, lines);
    else
        done = tiles_base(from, fs, to, ts, rows, cols, es, lines);
#elif defined(TILE_REGISTERS)
    done = tiles_base(from, fs, to, ts, rows, cols, es, lines);
#endif
    (void)isa;
    (void)lines;
    /* Another element size has no registers of its own. */
    if (!done)
        copy_elements(from, fs, to, ts, rows, cols, es);
}

void pa__transpose_copy(const char *from, ptrdiff_t fs, char *to, ptrdiff_t ts, size_t rows,
                        size_t cols, size_t es)
{
    /* Intel stores a row that is not line-aligned at a fraction of the
     * bandwidth of aligned streamed lines (0.3x against 1.2x of a memcpy on
     * a Sapphire Rapids), so it takes the strips; AMD keeps its tiles,
     * which it ran at 0.94x of the alltoallv. */
    pa__transpose_copy_isa(pa__cpu_isa(), pa__cpu_is_intel(), from, fs, to, ts, rows, cols, es);
}
