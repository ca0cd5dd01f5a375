/* The element-wise kernels' template: opdefs.h's lists instantiated for
 * every dtype of PA_DTYPE_LIST whose kind has the op, each with a plain and
 * a streaming-store form, and the table of them (K_ALL). Each of
 * kernels_base.c, kernels_avx2.c and kernels_avx512.c defines the
 * instruction set's settings, includes this file and expands K_ALL() once,
 * so that make builds the three tables in parallel:
 *   K_ISA           the table's suffix (pa__kernels_<K_ISA>)
 *   K_TARGET        the target attribute of every kernel
 *   K_TARGET_INT64  the one the 64-bit integer dtypes' kernels add
 *   K_AVX512        1 in the AVX-512 table, whose registers hold a line:
 *                   a few ops a line at a time in GNU C vectors (K_VLINE),
 *                   complex parts taken apart by lines (k_parts) and the
 *                   intrinsic loops (k_div8, k_ipow16)
 *   K_STREAM_LINE   the streaming store of one 64-byte line
 * kernels.c looks the tables up. */
#ifndef PARRAY_KERNELS_TEMPLATE_H
#define PARRAY_KERNELS_TEMPLATE_H

#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "kernels.h"

/* ------------------------------------------------------------ loops */

/* A loop body declares the element's operands x (y, z) of type T for
 * index i (LOADS: the operands read per element; a stride-0 operand is
 * read once before the loop) and computes r = E of the output's type O
 * (T, or _Bool for a predicate); the loop stores r.
 *
 * KRANGE stores into o over a range of i. KLOOP covers n elements in
 * full blocks of PA__KERNEL_BLK, each a loop of constant trip count, which
 * gcc vectorises at -O2 (its cheap cost model does not vectorise loops of
 * unknown count that would need a scalar epilogue), then the rest: so a
 * caller's block of several kernel blocks (the expression VM's 1 KiB of u8)
 * runs vectorised too.
 *
 * KLOOP_NT is the streaming form: it computes 64-byte lines into a line
 * buffer that gcc keeps in vector registers and writes each line with
 * non-temporal stores (K_STREAM_LINE, one per instruction set), so the
 * output goes to memory without being read first and without a second
 * pass. This made z = a*b + c 15% faster than computing a block into a
 * buffer and streaming the buffer out. On Intel it also prefetches each
 * unit-stride operand's line 1 KiB ahead (k_prefetch_bytes).
 *
 * K_IVDEP tells the compiler that the loop carries no dependence from one
 * element to the next, which is what lets it vectorise (at -O2, without
 * run-time alias checks) although the pointers are not restrict. It holds
 * for every call the kernels allow: the output is no operand, or is one at
 * the same stride (in place), where element i is read before its own
 * result is stored and no other element is touched. */
#if defined(__clang__)
#define K_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define K_IVDEP _Pragma("GCC ivdep")
#else
#define K_IVDEP
#endif
/* The distance in bytes at which the streaming loops of three operands
 * (KP_PAT) prefetch them: 1 KiB on Intel. There, with the hardware prefetchers alone,
 * z = a*b + c ran at 0.81-1.01x of the triad over f64, f32, i16, u8 and
 * c128, some dtype under 0.9x in 5 runs of 7; prefetching 1 KiB ahead, at
 * 0.89-1.06x, under 0.9x in 2 runs of 10 (512 B and 2 KiB: 0.92-0.99x),
 * the builds alternated. AMD, which met the targets without, takes none. */
static inline size_t k_prefetch_bytes(void)
{
    return pa__cpu_is_intel() ? 1024 : 0;
}
#define KRANGE(from, to, LOADS, E)                                                               \
    K_IVDEP for (size_t i = (from); i < (to); i++)                                               \
    {                                                                                            \
        LOADS                                                                                    \
        O r = (E);                                                                               \
        o[i] = r;                                                                                \
    }
#define KLOOP(LOADS, E)                                                                          \
    {                                                                                            \
        size_t i0 = 0;                                                                           \
        for (; i0 + PA__KERNEL_BLK <= n; i0 += PA__KERNEL_BLK)                                   \
            K_IVDEP for (size_t k = 0; k < PA__KERNEL_BLK; k++)                                  \
            {                                                                                    \
                size_t i = i0 + k;                                                               \
                LOADS                                                                            \
                O r = (E);                                                                       \
                o[i] = r;                                                                        \
            }                                                                                    \
        KRANGE(i0, n, LOADS, E)                                                                  \
    }
#define KLOOP_NT(LOADS, E, PREFETCH)                                                             \
    {                                                                                            \
        const size_t pf_ = k_prefetch_bytes();                                                   \
        (void)pf_; /* unused but where three operands have unit stride */                        \
        enum { LINE = PA_CACHE_LINE / sizeof(O) };                                               \
        size_t pad = PA_CACHE_LINE - ((uintptr_t)o & (PA_CACHE_LINE - 1)), i0;                   \
        size_t head = (pad & (PA_CACHE_LINE - 1)) / sizeof(O);                                   \
        if (head > n)                                                                            \
            head = n;                                                                            \
        KRANGE(0, head, LOADS, E)                                                                \
        for (i0 = head; i0 + LINE <= n; i0 += LINE) {                                            \
            O line[LINE] __attribute__((aligned(PA_CACHE_LINE)));                                \
            PREFETCH                                                                             \
            K_IVDEP for (size_t k = 0; k < LINE; k++)                                            \
            {                                                                                    \
                size_t i = i0 + k;                                                               \
                (void)i;                                                                         \
                LOADS                                                                            \
                line[k] = (E);                                                                   \
            }                                                                                    \
            K_STREAM_LINE(o + i0, line);                                                         \
        }                                                                                        \
        KRANGE(i0, n, LOADS, E)                                                                  \
    }

/* The stride patterns. An operand's letter is 1 (unit stride, read per
 * element), 0 (stride 0, read once) or N (the op does not read it).
 * KPAT(A, B, C, E) is the vectorised loop taken when the output's stride
 * is 1 and the operands' are A, B, C; KGEN(...) the general loop, where
 * R marks an operand the op reads. */
/* clang-format off */
#define KC_1(s) (s) == 1 &&
#define KC_0(s) (s) == 0 &&
#define KC_N(s)
#define KH_1(v, p)
#define KH_0(v, p) const T v = *(p); (void)v;
#define KH_N(v, p)
#define KP_1(p) if (pf_) __builtin_prefetch((const char *)((p) + i0) + pf_);
/* Only a loop that reads three unit-stride operands prefetches them (the
 * pattern 111, and a line kernel of 3 operands): with one or two the
 * hardware prefetchers keep up, and the prefetches made pa_binary and
 * pa_unary over large arrays 3-6% slower. */
#define KP_ALL_111 ~, 1
#define KP_PAT(A, B, C) PA__WHEN(PA__PROBE(KP_ALL_##A##B##C), KP_1(a) KP_1(b) KP_1(c))
#define KP_LINE2() do { } while (0)
/* A quotient's line kernel does enough work per line that the core keeps
 * few lines in flight: prefetched, a c128 a / b ran at 1.5x the speed. */
#define KP_LINE_QUOTIENT() do { KP_1(a) KP_1(b) } while (0)
#define KP_LINE3() do { KP_1(a) KP_1(b) KP_1(c) } while (0)
#define KV_1(v, p) T v = (p)[i]; (void)v;
#define KV_0(v, p)
#define KV_N(v, p)
#define KG_R(v, p, s) T v = (p)[(ptrdiff_t)i * (s)]; (void)v;
#define KG_N(v, p, s)
#define KPAT(A, B, C, E)                                                               \
    if (st->o == 1 && KC_##A(st->a) KC_##B(st->b) KC_##C(st->c) 1) {                  \
        KH_##A(x, a) KH_##B(y, b) KH_##C(z, c)                                         \
        if (nt)                                                                        \
            KLOOP_NT(KV_##A(x, a) KV_##B(y, b) KV_##C(z, c), E,                        \
                     KP_PAT(A, B, C))                                                   \
        else                                                                           \
            KLOOP(KV_##A(x, a) KV_##B(y, b) KV_##C(z, c), E)                           \
        return err;                                                                    \
    }
#define KGEN(A, B, C, E)                                                               \
    {                                                                                  \
        const ptrdiff_t so = st->o, sa = st->a, sb = st->b, sc = st->c;                \
        (void)sa;                                                                      \
        (void)sb;                                                                      \
        (void)sc;                                                                      \
        for (size_t i = 0; i < n; i++) {                                               \
            KG_##A(x, a, sa) KG_##B(y, b, sb) KG_##C(z, c, sc)                         \
            O r = (E);                                                                 \
            o[(ptrdiff_t)i * so] = r;                                                  \
        }                                                                              \
        return err;                                                                    \
    }
#define K_BODY1(E) KPAT(1, N, N, E) KPAT(0, N, N, E) KGEN(R, N, N, E)
#define K_BODY2(E) KPAT(1, 1, N, E) KPAT(1, 0, N, E) KPAT(0, 1, N, E) KGEN(R, R, N, E)
#define K_BODY3(E)                                                                     \
    KPAT(1, 1, 1, E) KPAT(1, 1, 0, E) KPAT(1, 0, 1, E) KPAT(0, 1, 1, E)                \
    KPAT(1, 0, 0, E) KPAT(0, 1, 0, E) KPAT(0, 0, 1, E) KGEN(R, R, R, E)
/* clang-format on */

/* Products (and complex quotients, K_CDIV_FN) computed a line at a time
 * with GNU C vectors, where gcc's vectorisation of the element loop does
 * more work than the op needs, or none. K_VLINE is that loop for the
 * kernels K_VLINE_<DT>_<N> lists, taken where every operand and the output
 * have unit stride: per 64-byte line, the product of the lines at a and b
 * by K_VLINE_FN_<DT>_<N> in vectors of type K_VLINE_T_<DT>, plus the line
 * at c for a ternary op, stored as the element loop stores.
 *
 * Bytes (u8, i8: x*y, x*y + z, z + x*y). x86 has no byte multiply: gcc
 * widened each half of a line to words, multiplied and packed them back,
 * 13 instructions a line, 6 of them shuffles, and z = a*b + c on u8 ran at
 * 0.88x of f64's at memory speed (the work per line leaves fewer lines in
 * flight). The line as 32 words multiplied twice has the even bytes'
 * products in the low bytes of x*y and the odd bytes' in the high bytes of
 * (x >> 8) * (y & 0xff00), in 6 instructions, and the same bits: a
 * product's low byte depends on the operands' low bytes only, and sums
 * wrap modulo 256 as the element loop's do.
 *
 * Complex (c64, c128: x*y + z, z + x*y). gcc vectorises numpy's schoolbook
 * product (opdefs.h's pa_cmul) by taking a line's real and imaginary parts
 * apart and putting them back together, 6 shuffles a line, and fused with
 * the add that ran slower than a mul and an add apart. Within each pair of
 * lanes instead: x times y's real part, plus x with its parts swapped times
 * y's imaginary part with the real lane negated, (ac + -(bd), bc + ad):
 * pa_cmul's bits, since a product of a negated operand is the negated
 * product and a sum of two terms does not depend on their order, with a
 * NaN part made the default NaN as there.
 *
 * The AVX-512 table only (K_AVX512), whose registers hold a line: in
 * the narrower tables gcc moved the 64-byte vectors through the stack, and
 * there the element loops stay. */
typedef uint16_t k_words __attribute__((vector_size(PA_CACHE_LINE)));
typedef uint8_t k_bytes __attribute__((vector_size(PA_CACHE_LINE)));
typedef double k_f64s __attribute__((vector_size(PA_CACHE_LINE)));
typedef int64_t k_i64s __attribute__((vector_size(PA_CACHE_LINE)));
typedef float k_f32s __attribute__((vector_size(PA_CACHE_LINE)));
typedef int32_t k_i32s __attribute__((vector_size(PA_CACHE_LINE)));
/* Half a line: one part of each complex element of a line. */
typedef double k_f64h __attribute__((vector_size(PA_CACHE_LINE / 2)));
typedef int64_t k_i64h __attribute__((vector_size(PA_CACHE_LINE / 2)));
typedef float k_f32h __attribute__((vector_size(PA_CACHE_LINE / 2)));
typedef int32_t k_i32h __attribute__((vector_size(PA_CACHE_LINE / 2)));
#define K_VLINE_U8_MUL ~, 1
#define K_VLINE_U8_MULADD ~, 1
#define K_VLINE_U8_ADDMUL ~, 1
#define K_VLINE_I8_MUL ~, 1
#define K_VLINE_I8_MULADD ~, 1
#define K_VLINE_I8_ADDMUL ~, 1
#define K_VLINE_C64_MULADD ~, 1
#define K_VLINE_C64_ADDMUL ~, 1
#define K_VLINE_C128_MULADD ~, 1
#define K_VLINE_C128_ADDMUL ~, 1
#define K_VLINE_C64_DIV ~, 1
#define K_VLINE_C128_DIV ~, 1
#define K_VLINE_T_U8 k_bytes
#define K_VLINE_T_I8 k_bytes
#define K_VLINE_T_C64 k_f32s
#define K_VLINE_T_C128 k_f64s
/* Each kernel's line function: the product, or the quotient. */
#define K_VLINE_FN_U8_MUL k_mulbytes
#define K_VLINE_FN_U8_MULADD k_mulbytes
#define K_VLINE_FN_U8_ADDMUL k_mulbytes
#define K_VLINE_FN_I8_MUL k_mulbytes
#define K_VLINE_FN_I8_MULADD k_mulbytes
#define K_VLINE_FN_I8_ADDMUL k_mulbytes
#define K_VLINE_FN_C64_MULADD k_cmul_f
#define K_VLINE_FN_C64_ADDMUL k_cmul_f
#define K_VLINE_FN_C128_MULADD k_cmul_d
#define K_VLINE_FN_C128_ADDMUL k_cmul_d
#define K_VLINE_FN_C64_DIV k_cdiv_f
#define K_VLINE_FN_C128_DIV k_cdiv_d
/* The lanes of a complex line: each pair's real part twice, its imaginary
 * part twice, the pair swapped, and the sign bit of each real lane.
 * K_SHUFFLE(v, VI, M) is v's lanes M, with gcc's builtin or clang's (the
 * fuzz build compiles this file with clang). */
/* clang-format off */
#define K_RE_D 0, 0, 2, 2, 4, 4, 6, 6
#define K_IM_D 1, 1, 3, 3, 5, 5, 7, 7
#define K_SWAP_D 1, 0, 3, 2, 5, 4, 7, 6
#define K_SIGN_D INT64_MIN, 0, INT64_MIN, 0, INT64_MIN, 0, INT64_MIN, 0
#define K_RE_F 0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14
#define K_IM_F 1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15
#define K_SWAP_F 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14
#define K_SIGN_F INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0, \
                 INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0
/* A line's real parts, its imaginary parts, and the two halves zipped. */
#define K_EVEN_D 0, 2, 4, 6
#define K_ODD_D 1, 3, 5, 7
#define K_ZIP_D 0, 4, 1, 5, 2, 6, 3, 7
#define K_EVEN_F 0, 2, 4, 6, 8, 10, 12, 14
#define K_ODD_F 1, 3, 5, 7, 9, 11, 13, 15
#define K_ZIP_F 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15
/* clang-format on */
#if defined(__clang__)
#define K_SHUFFLE(v, VI, M) __builtin_shufflevector(v, v, M)
#else
#define K_SHUFFLE(v, VI, M) __builtin_shuffle(v, (VI){M})
#endif
#define K_LOADS2 KV_1(x, a) KV_1(y, b)
#define K_LOADS3 KV_1(x, a) KV_1(y, b) KV_1(z, c)
/* The products write their line to r (a vector argument or result of
 * another width than the target's would change the ABI, which clang warns
 * of). */
/* A line function's head: the lines at x and y as u and v (of type VL),
 * the result to *r; the body that follows closes it. */
#define K_LINE_FN(name, VR, VL)                                                                  \
    K_TARGET static inline __attribute__((always_inline)) void K(name)(VR * r, const void *x,    \
                                                                       const void *y)            \
    {                                                                                            \
        VL u, v;                                                                                 \
        memcpy(&u, x, sizeof u);                                                                 \
        memcpy(&v, y, sizeof v);
/* x's lanes where mask m's are set, else y's; x's lanes where they are
 * numbers, else the default NaN. */
#define K_SEL(VI, m, x, y) (((VI)(x) & (m)) | ((VI)(y) & ~(m)))
#define K_QNAN(VR, VI, R, x) (VR) K_SEL(VI, (x) == (x), x, (VR){0} + (R)NAN)
#define K_VLINE_FNS()                                                                            \
    K_LINE_FN(k_mulbytes, k_bytes, k_words)                                                      \
    *r = (k_bytes)(((u * v) & 0xff) | ((u >> 8) * (v & 0xff00)));                                \
    }                                                                                            \
    K_CMUL_FN(k_cmul_d, double, k_f64s, k_i64s, _D)                                              \
    K_CMUL_FN(k_cmul_f, float, k_f32s, k_i32s, _F)                                               \
    K_CDIV_FN(k_cdiv_d, double, k_f64s, k_f64h, k_i64h, INT64_MAX, K_EVEN_D, K_ODD_D, K_ZIP_D)   \
    K_CDIV_FN(k_cdiv_f, float, k_f32s, k_f32h, k_i32h, INT32_MAX, K_EVEN_F, K_ODD_F, K_ZIP_F)
#define K_CMUL_FN(name, R, VR, VI, S)                                                            \
    K_LINE_FN(name, VR, VR)                                                                      \
    VR t = u * K_SHUFFLE(v, VI, K_RE##S);                                                        \
    VR w = K_SHUFFLE(u, VI, K_SWAP##S) * K_SHUFFLE(v, VI, K_IM##S);                              \
    VR p = t + (VR)((VI)w ^ (VI){K_SIGN##S});                                                    \
    *r = K_QNAN(VR, VI, R, p);                                                                   \
    }
/* The quotient of a complex line: its parts apart (a half vector of the
 * real parts, one of the imaginary parts), numpy's Smith division of each
 * lane as opdefs.h's pa_cdiv divides, with the branches as selects (of
 * the larger part of the divisor: the same operations on the same values,
 * a sum's terms in either order), then the parts together again. A zero
 * divisor, whose lanes divide by |c| = +0, is rare: its quotients are
 * computed only in a line that has one. */
#define K_CDIV_FN(name, R, VR, VH, VI, ABS, EVEN, ODD, ZIP)                                      \
    K_LINE_FN(name, VR, VR)                                                                      \
    VH a = __builtin_shufflevector(u, u, EVEN), b = __builtin_shufflevector(u, u, ODD);          \
    VH c = __builtin_shufflevector(v, v, EVEN), d = __builtin_shufflevector(v, v, ODD);          \
    VH ac = (VH)((VI)c & ABS), ad = (VH)((VI)d & ABS);                                           \
    VI big = ac >= ad; /* false where c or d is NaN, as Smith's else */                          \
    VH p = (VH)K_SEL(VI, big, c, d), q = (VH)K_SEL(VI, big, d, c);                               \
    VH s = (VH)K_SEL(VI, big, a, b), t = (VH)K_SEL(VI, big, b, a);                               \
    VH rat = q / p, scl = (R)1 / (p + q * rat);                                                  \
    VH re = (s + t * rat) * scl;                                                                 \
    VH im = (VH)K_SEL(VI, big, (b - a * rat) * scl, (b * rat - a) * scl);                        \
    VI zero = (ac == 0) & (ad == 0);                                                             \
    VI none = {0};                                                                               \
    if (__builtin_expect(memcmp(&zero, &none, sizeof zero) != 0, 0)) {                           \
        re = (VH)K_SEL(VI, zero, a / ac, re);                                                    \
        im = (VH)K_SEL(VI, zero, b / ac, im);                                                    \
    }                                                                                            \
    re = K_QNAN(VH, VI, R, re);                                                                  \
    im = K_QNAN(VH, VI, R, im);                                                                  \
    *r = __builtin_shufflevector(re, im, ZIP);                                                   \
    }
#define K_VLINE(ARITY, DT, N, E)                                                                 \
    PA__WHEN(K_AVX512, PA__WHEN(PA__PROBE(K_VLINE_##DT##_##N),                                   \
                                K_VLINE_LOOP(ARITY, E, K_VLINE_T_##DT, K_VLINE_FN_##DT##_##N,    \
                                             K_VLINE_SUM_##N, K_VLINE_PF_##N)))
/* The sum of product p and addend w in the order the op writes it, so that
 * of two NaNs the same one comes through as in the element loop. */
#define K_VLINE_SUM_MUL(p, w) (p)
#define K_VLINE_SUM_DIV(p, w) (p)
/* Its prefetches (kernels of 3 operands and quotients only, see KP_PAT). */
#define K_VLINE_PF_MUL KP_LINE2
#define K_VLINE_PF_MULADD KP_LINE3
#define K_VLINE_PF_ADDMUL KP_LINE3
#define K_VLINE_PF_DIV KP_LINE_QUOTIENT
#define K_VLINE_SUM_MULADD(p, w) ((p) + (w))
#define K_VLINE_SUM_ADDMUL(p, w) ((w) + (p))
#define K_VLINE_LOOP(ARITY, E, VT, FN, SUM, PF)                                                  \
    if (st->o == 1 && st->a == 1 && st->b == 1 && (ARITY == 2 || st->c == 1)) {                  \
        enum { LINE = PA_CACHE_LINE / sizeof(O) };                                               \
        const size_t pf_ = nt ? k_prefetch_bytes() : 0;                                          \
        (void)pf_; /* unused where the line kernel does not prefetch */                          \
        size_t i0 = 0;                                                                           \
        if (nt) {                                                                                \
            size_t pad = PA_CACHE_LINE - ((uintptr_t)o & (PA_CACHE_LINE - 1));                   \
            i0 = (pad & (PA_CACHE_LINE - 1)) / sizeof(O);                                        \
            if (i0 > n)                                                                          \
                i0 = n;                                                                          \
            KRANGE(0, i0, K_LOADS##ARITY, E)                                                     \
        }                                                                                        \
        for (; i0 + LINE <= n; i0 += LINE) {                                                     \
            VT line __attribute__((aligned(PA_CACHE_LINE)));                                     \
            PF();                                                                                \
            K(FN)(&line, a + i0, b + i0);                                                        \
            if (ARITY == 3) {                                                                    \
                VT w;                                                                            \
                memcpy(&w, c + i0, sizeof w);                                                    \
                line = SUM(line, w);                                                             \
            }                                                                                    \
            if (nt) {                                                                            \
                K_STREAM_LINE(o + i0, &line)                                                     \
            } else {                                                                             \
                memcpy(o + i0, &line, sizeof line);                                              \
            }                                                                                    \
        }                                                                                        \
        KRANGE(i0, n, K_LOADS##ARITY, E)                                                         \
        return err;                                                                              \
    }

/* The blocked kernels' (K_VMATH, K_WIDE) first block of at most B
 * elements: when they stream, it ends at a line of the output, so that
 * every later block stores whole lines (K_STREAM_BLOCK: block i0's m
 * elements at ov). */
#define K_FIRST_BLOCK(B, stream)                                                                 \
    ((stream) && k_head(o) >= sizeof(O) ? k_head(o) / sizeof(O) : (B))
/* The bytes from o to the next line. */
static inline size_t k_head(const void *o)
{
    return (PA_CACHE_LINE - ((uintptr_t)o & (PA_CACHE_LINE - 1))) & (PA_CACHE_LINE - 1);
}
#define K_STREAM_BLOCK(ov, m)                                                                    \
    do {                                                                                         \
        enum { LINE_ = PA_CACHE_LINE / sizeof(O) };                                              \
        size_t k_ = 0;                                                                           \
        for (; k_ + LINE_ <= (m); k_ += LINE_)                                                   \
            K_STREAM_LINE(o + i0 + k_, (ov) + k_)                                                \
        for (; k_ < (m); k_++)                                                                   \
            o[i0 + k_] = (ov)[k_];                                                               \
    } while (0)
/* Block i0's m results from buf into o as the element loops store them:
 * streaming, whole lines through ov (K_STREAM_BLOCK), else at o's stride. */
#define K_STORE_BLOCK(buf, m)                                                                    \
    if (stream) {                                                                                \
        K_IVDEP for (size_t k = 0; k < (m); k++) ov[k] = (O)(buf)[k];                            \
        K_STREAM_BLOCK(ov, m);                                                                   \
    } else if (so == 1) {                                                                        \
        K_IVDEP for (size_t k = 0; k < (m); k++) o[i0 + k] = (O)(buf)[k];                        \
    } else {                                                                                     \
        K_IVDEP for (size_t k = 0; k < (m); k++) o[(ptrdiff_t)(i0 + k) * so] = (O)(buf)[k];      \
    }
/* The transcendental functions of the float dtypes (vmath.h), a block of
 * K_VM_BLK elements at a time: gathered at any stride into buffers of the
 * computing type V (double for f64 and c128, float for f32 and c64), computed by
 * libmvec a vector at a time, and stored as the element loop stores (f16
 * rounds on the store); streaming, the block's whole lines with
 * K_STREAM_LINE, after a first block that ends at a line of the output.
 * Every stride pattern takes this loop. Element by element, libm's sin ran
 * f64 at 0.06-0.5x of the triad; an element's result does not depend on
 * where it falls (vmath.h), so the bits are those of opdefs.h's element
 * form. k_vm_fn holds each op's function plus 1, 0 for the other ops. */
#define K_VM_FN(N, fn, A) [PA__KOP_##N] = PA__VM_##N + 1,
static const unsigned char k_vm_fn[PA__KOP_N] = {PA_VMATH_FNS(K_VM_FN)};
/* A complex dtype's abs and angle are hypot(real, imag) and atan2(imag,
 * real) of its parts (numpy's npy_cabs and npy_carg), gathered apart into
 * the two buffers (libm's cabs an element at a time ran c128 abs at 0.13x
 * of the triad). */
static const unsigned char k_vm_cx_fn[PA__KOP_N] = {
    [PA__KOP_ABS] = PA__VM_HYPOT + 1, [PA__KOP_ANGLE] = PA__VM_ATAN2 + 1};
#define K_VM_BLK (2048 / sizeof(T))
/* 1 for a real float T, 2 for a complex one, 0 for the others. */
#define K_VM_KIND(T)                                                                             \
    _Generic((T)0, double : 1, float : 1, double _Complex : 2, float _Complex : 2, default : 0)
#define K_VM_V(T) __typeof__(_Generic((T)0, double : 0.0, double _Complex : 0.0, default : 0.0f))
#define K_VM_CALL(V) _Generic((V)0, double : pa__vm_f64, default : pa__vm_f32)
/* The operand at p from element i0, m > 0 of them (the first outside the
 * loop, which tells gcc that buf is written before it is read); PART is
 * __real__ (a real element itself) or __imag__. */
#define K_VM_GATHER(buf, p, s, PART)                                                             \
    buf[0] = (V)PART(p)[(ptrdiff_t)i0 * (s)];                                                    \
    if ((s) == 1)                                                                                \
        K_IVDEP for (size_t k = 1; k < m; k++) buf[k] = (V)PART(p)[i0 + k];                      \
    else                                                                                         \
        K_IVDEP for (size_t k = 1; k < m; k++) buf[k] = (V)PART(p)[(ptrdiff_t)(i0 + k) * (s)]
/* The real (im 0) or imaginary (im 1) parts of m complex elements at p
 * (unit stride; p points at the first real part), into buf: a line of
 * parts from two lines of elements by one two-source permute. gcc makes
 * K_VM_GATHER of a complex operand a load and a store per element (c128
 * abs 1.26 ns an element in the caches, against 0.76 this way); with its
 * full cost model it built vectors from element loads, faster in the
 * caches and slower from memory. The AVX-512 table takes it (K_AVX512:
 * its lines are registers). */
/* clang-format off */
#define K_PARTS_D(P) P, P + 2, P + 4, P + 6, P + 8, P + 10, P + 12, P + 14
#define K_PARTS_F(P) K_PARTS_D(P), K_PARTS_D(P + 16)
/* clang-format on */
#define K_PARTS_FN(name, R, VR, PARTS)                                                           \
    static inline __attribute__((always_inline)) void name(R *buf, const R *p, size_t m, int im) \
    {                                                                                            \
        enum { W = sizeof(VR) / sizeof(R) };                                                     \
        size_t k = 0;                                                                            \
        for (; k + W <= m; k += W) {                                                             \
            VR lo, hi, v;                                                                        \
            memcpy(&lo, p + 2 * k, sizeof lo);                                                   \
            memcpy(&hi, p + 2 * k + W, sizeof hi);                                               \
            v = im ? __builtin_shufflevector(lo, hi, PARTS(1))                                   \
                   : __builtin_shufflevector(lo, hi, PARTS(0));                                  \
            memcpy(buf + k, &v, sizeof v);                                                       \
        }                                                                                        \
        for (; k < m; k++)                                                                       \
            buf[k] = p[2 * k + (size_t)im];                                                      \
    }
K_PARTS_FN(k_parts_f64, double, k_f64s, K_PARTS_D)
K_PARTS_FN(k_parts_f32, float, k_f32s, K_PARTS_F)
#define K_PARTS(buf, p, m, im)                                                                   \
    _Generic((buf), double * : k_parts_f64, default : k_parts_f32)(buf, p, m, im)
/* A later block of a unit-stride operand, asked for while this one
 * computes: without, the gather waited for memory with the core idle (f64
 * sin ran at 4 ns an element on Intel, libmvec's part of it 0.8 ns). On
 * Intel the block after next into L2 (prefetcht1) ran 3-10% faster than
 * the next block into L1, and blocks of 2 KiB of the operand faster than 1
 * or 4 KiB. On AMD (Zen 4) the next block into L1 ran about 10% faster
 * than the block after next into L2, taken in turns in one process (f32
 * and f64 sin and exp, f32 tanh; f32 log and c128 abs the same). */
#define K_VM_PREFETCH(p, s)                                                                      \
    if ((s) == 1)                                                                                \
        for (size_t q = 0; q < K_VM_BLK * sizeof(T); q += PA_CACHE_LINE) {                       \
            const char *next_ = (const char *)((p) + i0 + m) + q;                                \
            if (vm_l2_)                                                                          \
                __builtin_prefetch(next_ + K_VM_BLK * sizeof(T), 0, 2);                          \
            else                                                                                 \
                __builtin_prefetch(next_, 0, 3);                                                 \
        }
#define K_VMATH(ARITY, N)                                                                        \
    if ((K_VM_KIND(T) == 1 && k_vm_fn[PA__KOP_##N]) ||                                           \
        (K_VM_KIND(T) == 2 && k_vm_cx_fn[PA__KOP_##N])) {                                        \
        typedef K_VM_V(T) V;                                                                     \
        const int cx_ = K_VM_KIND(T) == 2, angle_ = cx_ && PA__KOP_##N == PA__KOP_ANGLE;         \
        const pa__vm_fn f_ =                                                                     \
            (pa__vm_fn)((cx_ ? k_vm_cx_fn[PA__KOP_##N] : k_vm_fn[PA__KOP_##N]) - 1);             \
        V xv[K_VM_BLK], yv[K_VM_BLK];                                                            \
        O ov[K_VM_BLK] __attribute__((aligned(PA_CACHE_LINE)));                                  \
        const ptrdiff_t so = st->o, sa = st->a, sb = ARITY == 2 ? st->b : 0;                     \
        const int stream = nt && so == 1, vm_l2_ = pa__cpu_is_intel();                           \
        size_t m = K_FIRST_BLOCK(K_VM_BLK, stream);                                              \
        for (size_t i0 = 0; i0 < n; i0 += m, m = K_VM_BLK) {                                     \
            if (m > n - i0)                                                                      \
                m = n - i0;                                                                      \
            if (cx_ && sa == 1 && K_AVX512) {                                                    \
                K_PARTS(xv, (const V *)(const void *)(a + i0), m, angle_);                       \
                K_PARTS(yv, (const V *)(const void *)(a + i0), m, !angle_);                      \
            } else if (angle_) {                                                                 \
                K_VM_GATHER(xv, a, sa, __imag__);                                                \
                K_VM_GATHER(yv, a, sa, __real__);                                                \
            } else {                                                                             \
                K_VM_GATHER(xv, a, sa, __real__);                                                \
                if (cx_) {                                                                       \
                    K_VM_GATHER(yv, a, sa, __imag__);                                            \
                } else if (ARITY == 2) {                                                         \
                    K_VM_GATHER(yv, b, sb, __real__);                                            \
                }                                                                                \
            }                                                                                    \
            K_VM_PREFETCH(a, sa);                                                                \
            if (ARITY == 2) {                                                                    \
                K_VM_PREFETCH(b, sb);                                                            \
            }                                                                                    \
            K_VM_CALL(V)(f_, xv, ARITY == 2 || cx_ ? yv : NULL, m);                              \
            K_STORE_BLOCK(xv, m);                                                                \
        }                                                                                        \
        return err;                                                                              \
    }

/* Integer power, K_INT_BLK elements at a time: square-and-multiply over
 * the bits of the block's largest exponent, for every element alike (a
 * multiply by 1 where an element's bit is 0), so that gcc vectorises the
 * steps; a negative exponent gives 0 and PA_OPERR_NEGPOW, as the element
 * form (pa_ipow). The loop that stops at each element's last bit, one
 * element at a time, ran i32 ** (exponents to 99) at 0.05x of the triad,
 * and a narrow type's every bit of the exponent ran i16 ** at 0.37x. The
 * bits are the element form's: the extra steps multiply by 1. */
#define K_INT_BLK 512
#define K_IPOW_POW ~, 1
#define K_IPOW(INT, N) PA__WHEN(PA__SEL(INT, 0, PA__PROBE(K_IPOW_##N)), K_IPOW_())
#define K_IPOW_()                                                                                \
    {                                                                                            \
        enum { B = K_INT_BLK };                                                                  \
        U rv[B], bv[B], ev[B];                                                                   \
        O ov[B] __attribute__((aligned(PA_CACHE_LINE)));                                         \
        const ptrdiff_t so = st->o, sa = st->a, sb = st->b;                                      \
        const int stream = nt && so == 1;                                                        \
        size_t m = K_FIRST_BLOCK(B, stream);                                                     \
        for (size_t i0 = 0; i0 < n; i0 += m, m = B) {                                            \
            if (m > n - i0)                                                                      \
                m = n - i0;                                                                      \
            K_BLOCK_GATHER(bv, a, sa, U, 0);                                                     \
            K_BLOCK_GATHER(ev, b, sb, U, 0);                                                     \
            /* Whole blocks, whose constant count gcc vectorises at -O2. */                      \
            U all = 0;                                                                           \
            int neg = 0;                                                                         \
            for (size_t k = 0; k < B; k++) {                                                     \
                const U keep = (U)((U)PA_INEG_P((T)ev[k]) - (U)1);                               \
                neg |= !keep;                                                                    \
                ev[k] &= keep;                                                                   \
                rv[k] = (U)(1u & keep);                                                          \
                all |= ev[k];                                                                    \
            }                                                                                    \
            err |= neg * PA_OPERR_NEGPOW;                                                        \
            for (; all; all >>= 1)                                                               \
                for (size_t k = 0; k < B; k++)                                                   \
                    K_IPOW_STEP(rv[k], bv[k], ev[k]);                                            \
            K_STORE_BLOCK(rv, m);                                                                \
        }                                                                                        \
        return err;                                                                              \
    }
#define K_IPOW_STEP(r, b, e)                                                                     \
    do {                                                                                         \
        const U on_ = (U)(0u - ((e)&1u)); /* masks, not a branch that mispredicts */             \
        r = (U)(PA_UW(r) * (U)(((b)&on_) | (1u & ~on_)));                                        \
        b = (U)(PA_UW(b) * (b));                                                                 \
        e >>= 1;                                                                                 \
    } while (0)
/* The operand at p from element i0, m of them, into buf as type C, and
 * pad past them; an operand read once (stride 0) fills the whole block. */
#define K_BLOCK_GATHER(buf, p, s, C, pad)                                                        \
    if ((s) == 0) {                                                                              \
        for (size_t k = 0; k < B; k++)                                                           \
            buf[k] = (C)(p)[0];                                                                  \
    } else {                                                                                     \
        if ((s) == 1)                                                                            \
            memcpy(buf, (p) + i0, m * sizeof(T));                                                \
        else                                                                                     \
            for (size_t k = 0; k < m; k++)                                                       \
                buf[k] = (C)(p)[(ptrdiff_t)(i0 + k) * (s)];                                      \
        for (size_t k = m; k < B; k++)                                                           \
            buf[k] = (pad);                                                                      \
    }

/* 64-bit integer //, fmod and mod, K_INT_BLK elements at a time: a block
 * whose operands all lie in [-2^52, 2^52) divides in double vectors as the
 * 32-bit types do (exact there, opdefs.h's PA_IQUOT, and the product of
 * the quotient and y, |x - r| < 2^53, is exact too), any other block an
 * element at a time by the element form E (x86's idiv: i64 // ran at
 * 0.57x of the triad). Both give the same bits. */
#define K_IDIV64_ON_DIV ~, 1
#define K_IDIV64_ON_FMOD ~, 1
#define K_IDIV64_ON_MOD ~, 1
#define K_IDIV64_FLOORED_DIV 1
#define K_IDIV64_FLOORED_FMOD 0
#define K_IDIV64_FLOORED_MOD 1
#define K_IDIV64(INT, N, E)                                                                      \
    PA__WHEN(PA__SEL(INT, 0, PA__PROBE(K_IDIV64_ON_##N)),                                        \
             if (sizeof(T) == 8) K_IDIV64_(E, K_IDIV64_FLOORED_##N, PA__KOP_##N != PA__KOP_DIV))
#define K_IDIV64_(E, FLOORED, REM)                                                               \
    {                                                                                            \
        enum { B = K_INT_BLK };                                                                  \
        T xv[B], yv[B], rv[B];                                                                   \
        O ov[B] __attribute__((aligned(PA_CACHE_LINE)));                                         \
        const ptrdiff_t so = st->o, sa = st->a, sb = st->b;                                      \
        const int stream = nt && so == 1, is_signed = PA_INEG_P((T)-1);                          \
        const uint64_t off = is_signed ? 1ull << 52 : 0, top = off + (1ull << 52);               \
        size_t m = K_FIRST_BLOCK(B, stream);                                                     \
        for (size_t i0 = 0; i0 < n; i0 += m, m = B) {                                            \
            if (m > n - i0)                                                                      \
                m = n - i0;                                                                      \
            K_BLOCK_GATHER(xv, a, sa, T, 0);                                                     \
            K_BLOCK_GATHER(yv, b, sb, T, 1); /* no false zero */                                 \
            int far = 0;                                                                         \
            for (size_t k = 0; k < B; k++)                                                       \
                far |= (((uint64_t)(U)xv[k] + off) | ((uint64_t)(U)yv[k] + off)) >= top;         \
            if (!far) {                                                                          \
                for (size_t k = 0; k < B; k++) {                                                 \
                    const int nz = yv[k] != 0;                                                   \
                    const double xd = (double)xv[k], yd = (double)yv[k] + !nz;                   \
                    const double q = PA_IQUOT(xd, yd, FLOORED);                                  \
                    err |= !nz * PA_OPERR_DIVZERO;                                               \
                    rv[k] = (T)((REM ? xd - q * yd : q) * nz);                                   \
                }                                                                                \
            } else {                                                                             \
                for (size_t k = 0; k < m; k++) {                                                 \
                    const T x = xv[k], y = yv[k];                                                \
                    rv[k] = (E);                                                                 \
                }                                                                                \
            }                                                                                    \
            K_STORE_BLOCK(rv, m);                                                                \
        }                                                                                        \
        return err;                                                                              \
    }

/* 8-bit integer //, fmod and mod, 64 lanes a step (the AVX-512 table, on
 * a CPU with VBMI: Ice Lake and later, Zen 4). The quotient of the
 * magnitudes, |x| // |y|, is the high half of |x| * M[|y|] in 16-bit
 * lanes, where M[y] = ceil(2^16 / y) comes from byte tables by vpermi2b.
 * Exact: |x| M[y] / 2^16 exceeds |x| / y by less than 255 / 2^16 < 1/256,
 * and a quotient's fraction is at most 1 - 1/y. y = 1 takes |x| itself,
 * and y = 0 gives 0 and PA_OPERR_DIVZERO, as the element form does. The
 * signs are numpy's: floor division, C's remainder (fmod, x's sign) and
 * Python's (mod, y's sign). In f32 (opdefs.h's PA_IDIV_IN_FLOAT) u8 // ran
 * at 0.31-0.38x of the triad on Intel and 0.65x on AMD: four conversions
 * and a division for every 16 lanes. Unit strides and scalars only. */
/* A unit-stride output and two operands of stride 1 or 0 (a scalar). */
#define K_UNIT_OR_SCALAR(st) ((st)->o == 1 && (size_t)(st)->a <= 1 && (size_t)(st)->b <= 1)
#define K_DIV8_OP_DIV 0
#define K_DIV8_OP_FMOD 1
#define K_DIV8_OP_MOD 2
#define K_IDIV8(INT, N)                                                                          \
    PA__WHEN(PA__SEL(INT, 0, PA__PROBE(K_IDIV64_ON_##N)), PA__WHEN(K_AVX512, K_IDIV8_(N)))
#define K_IDIV8_(N)                                                                              \
    if (sizeof(T) == 1 && K_UNIT_OR_SCALAR(st) && k_vbmi())                                      \
        return k_div8((uint8_t *)o, (const uint8_t *)a, (const uint8_t *)b, n, st->a, st->b,     \
                      PA_INEG_P((T)-1), K_DIV8_OP_##N, nt);
#if K_AVX512
/* The elements of width w of the next step from the output address at,
 * left of them to go: 64 bytes, or when streaming up to the next line (so
 * that the later steps store whole aligned lines; none where w does not
 * divide the distance, as at an odd address of a 16-bit output). */
static inline size_t k_step(uintptr_t at, size_t w, size_t left, int nt)
{
    size_t len = nt && (at & 63) ? (64 - (at & 63)) / w : 0;
    len = len ? len : 64 / w;
    return len < left ? len : left;
}
/* The mask of the c low bits, c <= 64. */
static inline uint64_t k_low_bits(size_t c)
{
    return c >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << c) - 1;
}
static int k_vbmi(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vbmi") != 0;
}
/* M[y]'s low and high bytes, M[0] = M[1] = 0. */
#define KD8_M(y) ((y) < 2 ? 0 : (65536 + (y)-1) / (y))
#define KD8_LO(y) (KD8_M(y) & 255)
#define KD8_HI(y) (KD8_M(y) >> 8)
#define KD8_4(S, y) S(y), S(y + 1), S(y + 2), S(y + 3)
#define KD8_16(S, y) KD8_4(S, y), KD8_4(S, y + 4), KD8_4(S, y + 8), KD8_4(S, y + 12)
#define KD8_64(S, y) KD8_16(S, y), KD8_16(S, y + 16), KD8_16(S, y + 32), KD8_16(S, y + 48)
#define KD8_256(S) KD8_64(S, 0), KD8_64(S, 64), KD8_64(S, 128), KD8_64(S, 192)
static const uint8_t k_div8_lo[256] __attribute__((aligned(64))) = {KD8_256(KD8_LO)};
static const uint8_t k_div8_hi[256] __attribute__((aligned(64))) = {KD8_256(KD8_HI)};
#define KD8_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))
/* Table t's entry for each byte of y (the four 64-byte parts at t). */
KD8_TARGET static inline __m512i k_div8_look(const uint8_t *t, __m512i y)
{
    const __m512i low = _mm512_permutex2var_epi8(_mm512_load_si512(t), y,
                                                 _mm512_load_si512(t + 64));
    const __m512i high = _mm512_permutex2var_epi8(_mm512_load_si512(t + 128), y,
                                                  _mm512_load_si512(t + 192));
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(y), low, high);
}
/* The bytes of the 16-bit products of a and b's bytes (each product < 256). */
KD8_TARGET static inline __m512i k_div8_mul(__m512i a, __m512i b)
{
    const __m512i z = _mm512_setzero_si512();
    return _mm512_packus_epi16(
        _mm512_mullo_epi16(_mm512_unpacklo_epi8(a, z), _mm512_unpacklo_epi8(b, z)),
        _mm512_mullo_epi16(_mm512_unpackhi_epi8(a, z), _mm512_unpackhi_epi8(b, z)));
}
KD8_TARGET static int k_div8(uint8_t *o, const uint8_t *a, const uint8_t *b, size_t n,
                             ptrdiff_t sa, ptrdiff_t sb, int is_signed, int op, int nt)
{
    const __m512i z = _mm512_setzero_si512(), one = _mm512_set1_epi8(1);
    __mmask64 zeros = 0;
    for (size_t i = 0; i < n;) {
        const size_t len = k_step((uintptr_t)(o + i), 1, n - i, nt);
        const __mmask64 k = k_low_bits(len);
        const __m512i x = sa ? _mm512_maskz_loadu_epi8(k, a + i) : _mm512_set1_epi8((char)a[0]);
        const __m512i y = sb ? _mm512_maskz_loadu_epi8(k, b + i) : _mm512_set1_epi8((char)b[0]);
        const __m512i ax = is_signed ? _mm512_abs_epi8(x) : x;
        const __m512i ay = is_signed ? _mm512_abs_epi8(y) : y;
        const __m512i ml = k_div8_look(k_div8_lo, ay), mh = k_div8_look(k_div8_hi, ay);
        const __m512i q0 = _mm512_mulhi_epu16(_mm512_unpacklo_epi8(ax, z),
                                              _mm512_unpacklo_epi8(ml, mh));
        const __m512i q1 = _mm512_mulhi_epu16(_mm512_unpackhi_epi8(ax, z),
                                              _mm512_unpackhi_epi8(ml, mh));
        const __m512i qa = _mm512_mask_mov_epi8(_mm512_packus_epi16(q0, q1),
                                                _mm512_cmpeq_epi8_mask(ay, one), ax);
        const __m512i ra = _mm512_sub_epi8(ax, k_div8_mul(qa, ay));
        __m512i r;
        if (!is_signed) {
            r = op == K_DIV8_OP_DIV ? qa : ra;
        } else {
            const __mmask64 sx = _mm512_movepi8_mask(x), sy = _mm512_movepi8_mask(y);
            const __mmask64 diff = sx ^ sy, inexact = _mm512_test_epi8_mask(ra, ra);
            if (op == K_DIV8_OP_DIV) {
                /* -(|q| + 1) when the signs differ and the division is inexact. */
                const __m512i t = _mm512_mask_add_epi8(qa, diff & inexact, qa, one);
                r = _mm512_mask_sub_epi8(t, diff, z, t);
            } else {
                r = _mm512_mask_sub_epi8(ra, sx, z, ra);
                if (op == K_DIV8_OP_MOD)
                    r = _mm512_mask_add_epi8(r, diff & inexact, r, y);
            }
        }
        const __mmask64 nonzero = _mm512_test_epi8_mask(y, y);
        zeros |= k & ~nonzero;
        r = _mm512_maskz_mov_epi8(nonzero, r);
        if (nt && len == 64)
            _mm512_stream_si512((void *)(o + i), r);
        else
            _mm512_mask_storeu_epi8(o + i, k, r);
        i += len;
    }
    return zeros ? PA_OPERR_DIVZERO : 0;
}
#endif

/* Integer power of the 8- and 16-bit dtypes (the AVX-512 table): K_IPOW's
 * square-and-multiply in 16-bit lanes held in registers, a multiply under
 * a mask where the exponent's bit is set, over the bits of each vector's
 * largest exponent, 64 bytes of output a step; the low bits of the
 * products are the wrapped power's, and a negative exponent gives 0 and
 * PA_OPERR_NEGPOW, as the element form. Through memory a block at a time
 * (K_IPOW), u8 ** ran at 0.29x of the triad and i16 ** at 0.36-0.57x. */
#define K_IPOW16(INT, N)                                                                         \
    PA__WHEN(PA__SEL(INT, 0, PA__PROBE(K_IPOW_##N)), PA__WHEN(K_AVX512, K_IPOW16_()))
#define K_IPOW16_()                                                                              \
    if (sizeof(T) <= 2 && K_UNIT_OR_SCALAR(st))                                                  \
        return k_ipow16(o, a, b, n, st->a, st->b, sizeof(T), PA_INEG_P((T)-1), nt);
#if K_AVX512
#define KP16_TARGET __attribute__((target("avx512f,avx512bw")))
/* x ** e in the 32 lanes of 16 bits; *neg gets the lanes whose e < 0. */
KP16_TARGET static inline __m512i k_ipow_words(__m512i x, __m512i e, int is_signed,
                                               __mmask32 *neg)
{
    *neg = is_signed ? _mm512_movepi16_mask(e) : 0;
    e = _mm512_maskz_mov_epi16(~*neg, e);
    __m512i r = _mm512_maskz_mov_epi16(~*neg, _mm512_set1_epi16(1));
    const unsigned top = (unsigned)_mm512_reduce_or_epi32(e);
    const unsigned all = (top | top >> 16) & 0xffffu;
    for (unsigned bit = 1; bit <= all; bit <<= 1) {
        r = _mm512_mask_mullo_epi16(r, _mm512_test_epi16_mask(e, _mm512_set1_epi16((short)bit)),
                                    r, x);
        x = _mm512_mullo_epi16(x, x);
    }
    return r;
}
/* 32 elements of width w at p (all p[0] when s is 0) as 16-bit lanes. */
KP16_TARGET static inline __m512i k_ipow_in(const void *p, ptrdiff_t s, size_t i, __mmask32 k,
                                            size_t w, int is_signed)
{
    if (w == 2)
        return s ? _mm512_maskz_loadu_epi16(k, (const int16_t *)p + i)
                 : _mm512_set1_epi16(*(const int16_t *)p);
    const __m256i v = s ? _mm512_castsi512_si256(
                              _mm512_maskz_loadu_epi8(k, (const int8_t *)p + i))
                        : _mm256_set1_epi8(*(const char *)p);
    return is_signed ? _mm512_cvtepi8_epi16(v) : _mm512_cvtepu8_epi16(v);
}
KP16_TARGET static int k_ipow16(void *o, const void *a, const void *b, size_t n, ptrdiff_t sa,
                                ptrdiff_t sb, size_t w, int is_signed, int nt)
{
    __mmask32 negs = 0;
    for (size_t i = 0; i < n;) {
        const uintptr_t at = (uintptr_t)((char *)o + i * w);
        const size_t len = k_step(at, w, n - i, nt);
        __m512i r = _mm512_setzero_si512();
        for (size_t h = 0; h * 32 < len; h++) {
            const size_t j = i + h * 32, c = len - h * 32 < 32 ? len - h * 32 : 32;
            const __mmask32 k = (__mmask32)k_low_bits(c);
            __mmask32 neg;
            const __m512i p = k_ipow_words(k_ipow_in(a, sa, j, k, w, is_signed),
                                           k_ipow_in(b, sb, j, k, w, is_signed), is_signed, &neg);
            negs |= neg & k;
            if (w == 2)
                r = p;
            else if (h == 0)
                r = _mm512_inserti64x4(r, _mm512_cvtepi16_epi8(p), 0);
            else
                r = _mm512_inserti64x4(r, _mm512_cvtepi16_epi8(p), 1);
        }
        const __mmask64 kb = k_low_bits(len * w);
        if (nt && len * w == 64 && !(at & 63))
            _mm512_stream_si512((void *)at, r);
        else
            _mm512_mask_storeu_epi8((void *)at, kb, r);
        i += len;
    }
    return negs ? PA_OPERR_NEGPOW : 0;
}
#endif

/* A dtype that computes in a wider one's kernels (kernels.h's PA__WIDE:
 * f16 in f32's), K_WIDE_BLK elements at a time: each operand's block is
 * converted to the wide type WT (unit stride with F16C in the AVX2 and
 * AVX-512 tables; gcc 12 converts _Float16 an element at a time, which ran
 * at 0.2-0.4x of the triad), the wide dtype W's kernel of the op computes
 * it at unit stride (0 for an operand read once), and the result is
 * converted back, or stored as it is for a predicate's bool, as the
 * element loop stores (streaming, whole lines after a first block that
 * ends at a line of the output). The bits are the wide op's rounded once
 * to the dtype, as numpy's float16 loops give them, but for a NaN from
 * two or three operands, which is the default quiet NaN, as a complex
 * part's is: when two operands are NaN, x86 passes on the first one's,
 * and gcc orders a commutative op's operands one way in a vector loop and
 * another in an element loop, so the tables' NaNs differed (f16's operands
 * have more NaN bit patterns than f32's; numpy's NaNs differ likewise). */
#define K_WIDE_BLK 1024
#define K_WIDE(ARITY, W, WT, N) K_WIDE_(ARITY, W, WT, N)
#define K_WIDE_(ARITY, W, WT, N)                                                                 \
    {                                                                                            \
        typedef __typeof__(_Generic((O)0, T : (WT)0, default : (O)0)) R;                         \
        enum { B = K_WIDE_BLK };                                                                 \
        WT xv[B], yv[(ARITY) > 1 ? B : 1], zv[(ARITY) > 2 ? B : 1];                              \
        R rv[B];                                                                                 \
        O ov[B] __attribute__((aligned(PA_CACHE_LINE)));                                         \
        const pa__strides ws = {.o = 1, .a = st->a != 0, .b = st->b != 0, .c = st->c != 0};      \
        const ptrdiff_t so = st->o;                                                              \
        const int stream = nt && so == 1, canon = (ARITY) > 1;                                   \
        size_t m = K_FIRST_BLOCK(B, stream);                                                     \
        for (size_t i0 = 0; i0 < n; i0 += m, m = B) {                                            \
            if (m > n - i0)                                                                      \
                m = n - i0;                                                                      \
            K_WIDE_IN(xv, a, st->a);                                                             \
            if ((ARITY) > 1)                                                                     \
                K_WIDE_IN(yv, b, st->b);                                                         \
            if ((ARITY) > 2)                                                                     \
                K_WIDE_IN(zv, c, st->c);                                                         \
            err |= K(k_##W##_##N)(rv, xv, yv, zv, m, &ws);                                       \
            if (stream) {                                                                        \
                K_WIDE_OUT(ov, rv, m);                                                           \
                K_STREAM_BLOCK(ov, m);                                                           \
            } else if (so == 1) {                                                                \
                K_WIDE_OUT(o + i0, rv, m);                                                       \
            } else {                                                                             \
                for (size_t k = 0; k < m; k++)                                                   \
                    o[(ptrdiff_t)(i0 + k) * so] = (O)K_WIDE_NAN(rv[k]);                          \
            }                                                                                    \
        }                                                                                        \
        return err;                                                                              \
    }
/* Block i0 of m elements of the operand at p, stride s, into buf. */
#define K_WIDE_IN(buf, p, s)                                                                     \
    do {                                                                                         \
        if ((s) == 0)                                                                            \
            buf[0] = (p)[0];                                                                     \
        else if ((s) == 1)                                                                       \
            K_CAT2(K_HALF_IN, K_ISA)(buf, (p) + i0, m);                                          \
        else                                                                                     \
            for (size_t k = 0; k < m; k++)                                                       \
                buf[k] = (p)[(ptrdiff_t)(i0 + k) * (s)];                                         \
    } while (0)
/* m results at r to the output's type at d: f16 through K_HALF_OUT (a NaN
 * made the default one where canon), a bool as it is. */
#define K_WIDE_OUT(d, r, m)                                                                      \
    do {                                                                                         \
        if (_Generic((O)0, PA_HALF : 1, default : 0))                                            \
            K_CAT2(K_HALF_OUT, K_ISA)((d), (r), (m));                                            \
        else                                                                                     \
            for (size_t k = 0; k < (m); k++)                                                     \
                (d)[k] = (O)(r)[k];                                                              \
    } while (0)
#define K_WIDE_NAN(v) (canon ? pa_half_nan(v) : (v))
/* f16 to float and back for m elements, per instruction set: F16C's
 * conversions round to nearest even and quiet a NaN as the casts
 * (libgcc's) do. */
#define K_HALF_IN_base(d, s, m)                                                                  \
    for (size_t r_ = 0; r_ < (m); r_++)                                                          \
    (d)[r_] = (s)[r_]
#define K_HALF_OUT_base(d, s, m)                                                                 \
    for (size_t r_ = 0; r_ < (m); r_++)                                                          \
    (d)[r_] = K_WIDE_NAN((s)[r_])
/* The vector part of a conversion in, W elements a step: LD loads W f16
 * (vector VH), CVT widens, ST stores the floats; and out: LD loads W
 * floats (vector VF), NANSEL makes a NaN the default one where canon, CVT
 * narrows to nearest even, ST stores the f16. */
#define K_HALF_IN_VEC(d, s, m, W, VH, LD, CVT, ST)                                               \
    do {                                                                                         \
        size_t k_ = 0;                                                                           \
        for (; k_ + (W) <= (m); k_ += (W))                                                       \
            ST((float *)(void *)((d) + k_), CVT(LD((const VH *)((s) + k_))));                    \
        K_HALF_IN_base((d) + k_, (s) + k_, (m)-k_);                                              \
    } while (0)
#define K_HALF_OUT_VEC(d, s, m, W, VF, LD, SET1, NANSEL, CVT, VH, ST)                            \
    do {                                                                                         \
        size_t k_ = 0;                                                                           \
        const VF nan_ = SET1(NAN);                                                               \
        for (; k_ + (W) <= (m); k_ += (W)) {                                                     \
            VF v_ = LD((const float *)(const void *)((s) + k_));                                 \
            if (canon)                                                                           \
                v_ = NANSEL(v_, nan_);                                                           \
            ST((VH *)(void *)((d) + k_), CVT(v_, _MM_FROUND_TO_NEAREST_INT));                    \
        }                                                                                        \
        K_HALF_OUT_base((d) + k_, (s) + k_, (m)-k_);                                             \
    } while (0)
#define K_NAN_SEL_avx2(v, nan) _mm256_blendv_ps(v, nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q))
#define K_NAN_SEL_avx512(v, nan)                                                                 \
    _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan)
#define K_HALF_IN_avx2(d, s, m)                                                                  \
    K_HALF_IN_VEC(d, s, m, 8, __m128i, _mm_loadu_si128, _mm256_cvtph_ps, _mm256_storeu_ps)
#define K_HALF_OUT_avx2(d, s, m)                                                                 \
    K_HALF_OUT_VEC(d, s, m, 8, __m256, _mm256_loadu_ps, _mm256_set1_ps, K_NAN_SEL_avx2,          \
                   _mm256_cvtps_ph, __m128i, _mm_storeu_si128)
#define K_HALF_IN_avx512(d, s, m)                                                                \
    K_HALF_IN_VEC(d, s, m, 16, __m256i, _mm256_loadu_si256, _mm512_cvtph_ps, _mm512_storeu_ps)
#define K_HALF_OUT_avx512(d, s, m)                                                               \
    K_HALF_OUT_VEC(d, s, m, 16, __m512, _mm512_loadu_ps, _mm512_set1_ps, K_NAN_SEL_avx512,       \
                   _mm512_cvtps_ph, __m256i, _mm256_storeu_si256)

/* ------------------------------------------------------------ kernels */

/* The kernels are compiled once per instruction set (K_ISA: base x86-64,
 * AVX2, AVX-512), and the lookups pick the table. K(name) is the name for
 * the instruction set being compiled. All instruction sets give the same
 * bits: the ops are IEEE 754 basic operations, the same libm calls or the
 * same vector math functions (vmath.h chooses them by the CPU), and
 * -std=c11 keeps gcc from contracting them into FMAs. */
#define K_CAT(name, isa) name##_##isa
#define K_CAT2(name, isa) K_CAT(name, isa)
#define K(name) K_CAT2(name, K_ISA)

/* Each kernel is a static inline function with typed pointers, not
 * restrict so that the output may be an operand (K_IVDEP vectorises the
 * loops), and two functions of type pa__kernel, with ordinary and with
 * streaming stores, into which the inline body is inlined with nt
 * constant. T, U
 * and err are the names opdefs.h's expressions use; O is the output's
 * element type, OT: CT, or _Bool for a predicate, or the part type CU for
 * the ops that give a complex dtype's part (PA__TO_PART). */
/* The ops whose kernels gcc vectorises only when it may assume that no
 * floating-point exception traps (which parray never enables): floor and
 * ceil, whose rounding instruction it otherwise issues one element at a
 * time (f32 floor ran at 0.38x of the triad), and the integer division
 * ops of the dtypes that divide in double (opdefs.h's PA__DIV_IN_DOUBLE),
 * which convert and round. The results are the same;
 * only the inexact flag, which nothing reads, may differ. */
#define K_NO_TRAPS_FLOOR ~, 1
#define K_NO_TRAPS_CEIL ~, 1
#define K_INT_DIV_DIV ~, 1
#define K_INT_DIV_FMOD ~, 1
#define K_INT_DIV_MOD ~, 1
/* And those it vectorises only by its full cost model, which weighs the
 * shuffles against the loop: real and imag, which read every other part
 * of a complex array (a c128 real ran at 0.6x of the triad). */
#define K_COSTED_REAL ~, 1
#define K_COSTED_IMAG ~, 1
#define K_COSTED_POW ~, 1
/* And the 64-bit integer dtypes' kernels take K_TARGET_INT64 too. */
#define K_INT64_I64 ~, 1
#define K_INT64_U64 ~, 1
#define K_ATTRS(DT, N)                                                                           \
    K_TARGET PA__WHEN(PA__PROBE(K_INT64_##DT), K_TARGET_INT64)                                   \
        PA__WHEN(PA__PROBE(K_NO_TRAPS_##N), PA_NO_TRAPS)                                         \
            PA__WHEN(PA__SEL(PA__PROBE(K_INT_DIV_##N), 0, PA__PROBE(PA__DIV_IN_DOUBLE_##DT)),    \
                     PA_NO_TRAPS) PA__WHEN(PA__PROBE(K_COSTED_##N),                              \
                                           __attribute__((optimize("vect-cost-model=dynamic"))))
#define K_DEF(ARITY, DT, CT, CU, OT, N, E, INT)                                                  \
    K_ATTRS(DT, N)                                                                               \
    static inline __attribute__((always_inline)) int K(k_##DT##_##N##_t)(                        \
        OT *const o, const CT *const a, const CT *const b, const CT *const c, size_t n,          \
        const pa__strides *st, const int nt)                                                     \
    {                                                                                            \
        typedef CT T;                                                                            \
        typedef CU U;                                                                            \
        typedef OT O;                                                                            \
        (void)sizeof(U);                                                                         \
        (void)b;                                                                                 \
        (void)c;                                                                                 \
        int err = 0;                                                                             \
        PA__WHEN(PA__IN_WIDE(DT, N), K_WIDE(ARITY, PA__WIDE_OF_##DT, PA__WIDE_T_##DT, N))        \
        PA__WHEN(PA__NOT(PA__IN_WIDE(DT, N)),                                                    \
                 K_VMATH(ARITY, N) K_IPOW16(INT, N) K_IPOW(INT, N) K_IDIV8(INT, N)               \
                     K_IDIV64(INT, N, E) K_VLINE(ARITY, DT, N, E) K_BODY##ARITY(E))              \
    }                                                                                            \
    K_ATTRS(DT, N)                                                                               \
    static int K(k_##DT##_##N)(void *o, const void *a, const void *b, const void *c, size_t n,   \
                               const pa__strides *st)                                            \
    {                                                                                            \
        return K(k_##DT##_##N##_t)(o, a, b, c, n, st, 0);                                        \
    }                                                                                            \
    K_ATTRS(DT, N)                                                                               \
    static int K(k_##DT##_##N##_nt)(void *o, const void *a, const void *b, const void *c,        \
                                    size_t n, const pa__strides *st)                             \
    {                                                                                            \
        return K(k_##DT##_##N##_t)(o, a, b, c, n, st, 1);                                        \
    }

/* The instantiations: each op of a list (outer) for each dtype (inner,
 * with the op's entry as the list's pass-through argument) whose kind has
 * it, in the op's float or integer form. */
#define K_OP1(N, n, iok, FE, IE) PA_DTYPE_LIST_WITH(K_DT, (1, N, iok, FE, IE))
#define K_OP2(N, n, iok, FE, IE) PA_DTYPE_LIST_WITH(K_DT, (2, N, iok, FE, IE))
#define K_OP3(N, n, iok, FE, IE) PA_DTYPE_LIST_WITH(K_DT, (3, N, iok, FE, IE))
#define K_DT(OP, DT, dt, CT, CU, KIND, ...) PA__DT_CALL(K_DT_, DT, CT, CU, KIND, PA__DT_UNPACK OP)
#define K_DT_(DT, CT, CU, KIND, ARITY, N, iok, FE, IE)                                           \
    PA__WHEN(                                                                                    \
        PA__OP_HAS(KIND, N, iok),                                                                \
        K_DEF(ARITY, DT, CT, CU,                                                                 \
              PA__SEL(PA__OP_IS_PREDICATE(N), PA__SEL(PA__TO_PART(KIND, N), CT, CU), _Bool), N,  \
              PA__SEL(PA__IS_INT(KIND), FE, IE), PA__IS_NUMINT(KIND)))

/* The table: [dtype][op][streaming], NULL where the dtype's kind lacks
 * the op. */
#define KT_OP(N, n, iok, FE, IE) PA_DTYPE_LIST_WITH(KT_DT, (N, iok))
#define KT_DT(OP, DT, dt, CT, CU, KIND, ...) PA__DT_CALL(KT_DT_, DT, KIND, PA__DT_UNPACK OP)
#define KT_DT_(DT, KIND, N, iok)                                                                 \
    PA__WHEN(PA__OP_HAS(KIND, N, iok),                                                           \
             [PA_##DT][PA__KOP_##N] = {K(k_##DT##_##N), K(k_##DT##_##N##_nt)}, )

/* Every kernel and the table, for the instruction set K_ISA. */
#define K_ALL()                                                                                  \
    PA__WHEN(K_AVX512, K_VLINE_FNS())                                                            \
    PA_UNARY_OPS(K_OP1)                                                                          \
    PA_BINARY_OPS(K_OP2)                                                                         \
    PA_COMPARE_OPS(K_OP2)                                                                        \
    PA_TERNARY_OPS(K_OP3)                                                                        \
    PA_COPY_OPS(K_OP1)                                                                           \
    const pa__kernel_table K(pa__kernels) = {PA__KERNEL_OPS(KT_OP)};

#endif
