/* Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as
 * easy as 1, 2, 3", SC'11; the Random123 library): a counter-based
 * generator, out = bijection_key(counter), with 128-bit counters, 64-bit
 * keys and 10 rounds. One scalar block, and a block of PHILOX_LANES
 * counters in structure-of-arrays form written so that gcc vectorises
 * each round across the lanes (32x32->64-bit multiplies: pmuludq). */
#ifndef PARRAY_PHILOX_H
#define PARRAY_PHILOX_H

#include <stdint.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* the key schedule's Weyl increments */
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_ROUNDS 10

/* Counters per vector block. 64 lanes: four AVX-512 vectors (or eight
 * AVX2 vectors) per word, enough independent work to hide the multiply
 * latency, and 1 KiB per word, well inside L1. */
#define PHILOX_LANES 64

/* One round: the two multiplies' high halves are mixed into the other
 * words with the round key; the low halves pass through. */
static inline __attribute__((always_inline)) void philox_round(uint32_t c[4], uint32_t k0,
                                                               uint32_t k1)
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0], p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = (uint32_t)p1;
    c[2] = n2;
    c[3] = (uint32_t)p0;
}

static inline void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]}, k0 = key[0], k1 = key[1];
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        if (r) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        philox_round(c, k0, k1);
    }
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = c[3];
}

/* x[w][i] = word w of philox({j0 + i low, j0 + i high, s0, s1}, key) for
 * i < PHILOX_LANES: the draws j0 .. j0 + PHILOX_LANES - 1 of one stream.
 * The portable form goes one round at a time over all lanes, which gcc
 * vectorises (32x32->64-bit multiplies: pmuludq). */
static inline __attribute__((always_inline)) void philox_lanes(uint64_t j0, uint32_t s0,
                                                               uint32_t s1, uint32_t k0,
                                                               uint32_t k1,
                                                               uint32_t x[4][PHILOX_LANES])
{
    uint32_t *c0 = x[0], *c1 = x[1], *c2 = x[2], *c3 = x[3];
    for (int i = 0; i < PHILOX_LANES; i++) {
        uint64_t j = j0 + (uint64_t)i;
        c0[i] = (uint32_t)j;
        c1[i] = (uint32_t)(j >> 32);
        c2[i] = s0;
        c3[i] = s1;
    }
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        for (int i = 0; i < PHILOX_LANES; i++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * c0[i], p1 = (uint64_t)PHILOX_M1 * c2[i];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[i] ^ k0;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[i] ^ k1;
            c0[i] = n0;
            c1[i] = (uint32_t)p1;
            c2[i] = n2;
            c3[i] = (uint32_t)p0;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PHILOX_HAVE_AVX512 1
#include <immintrin.h>

/* The same as philox_lanes with AVX-512 intrinsics, about 2.4x faster here
 * (in cache). A draw's four words sit in the low halves of 64-bit lanes,
 * 8 draws per vector, so vpmuludq gives each full 64-bit product in place:
 * vpshufd swaps its halves to bring the high word down (on the shuffle
 * port, leaving the multiplier port to the multiplies), and one vpternlogq
 * does both xors. The upper halves carry garbage that no multiply or the
 * final narrowing reads. Four vectors per word in flight, all rounds
 * unrolled, so everything stays in registers. Only for functions compiled
 * with the avx512f target. */
#define PHILOX_VECS 4
static inline __attribute__((always_inline, target("avx512f"))) void
philox_lanes_avx512(uint64_t j0, uint32_t s0, uint32_t s1, uint32_t k0, uint32_t k1,
                    uint32_t x[4][PHILOX_LANES])
{
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (int blk = 0; blk < PHILOX_LANES; blk += 8 * PHILOX_VECS) {
        __m512i c0[PHILOX_VECS], c1[PHILOX_VECS], c2[PHILOX_VECS], c3[PHILOX_VECS];
#pragma GCC unroll 8
        for (int v = 0; v < PHILOX_VECS; v++) {
            __m512i j = _mm512_add_epi64(_mm512_set1_epi64((long long)(j0 + blk + 8 * v)), iota);
            c0[v] = j;
            c1[v] = _mm512_srli_epi64(j, 32);
            c2[v] = _mm512_set1_epi64(s0);
            c3[v] = _mm512_set1_epi64(s1);
        }
        uint32_t rk0 = k0, rk1 = k1;
#pragma GCC unroll 10
        for (int r = 0; r < PHILOX_ROUNDS; r++) {
            __m512i key0 = _mm512_set1_epi64(rk0), key1 = _mm512_set1_epi64(rk1);
#pragma GCC unroll 8
            for (int v = 0; v < PHILOX_VECS; v++) {
                __m512i p0 = _mm512_mul_epu32(c0[v], m0), p1 = _mm512_mul_epu32(c2[v], m1);
                /* 0x96: a ^ b ^ c */
                c0[v] = _mm512_ternarylogic_epi64(_mm512_shuffle_epi32(p1, _MM_PERM_CDAB), c1[v],
                                                  key0, 0x96);
                c2[v] = _mm512_ternarylogic_epi64(_mm512_shuffle_epi32(p0, _MM_PERM_CDAB), c3[v],
                                                  key1, 0x96);
                c1[v] = p1;
                c3[v] = p0;
            }
            rk0 += PHILOX_W0;
            rk1 += PHILOX_W1;
        }
#pragma GCC unroll 8
        for (int v = 0; v < PHILOX_VECS; v++) {
            uint32_t *o = &x[0][blk + 8 * v];
            _mm256_storeu_si256((__m256i *)o, _mm512_cvtepi64_epi32(c0[v]));
            _mm256_storeu_si256((__m256i *)(o + PHILOX_LANES), _mm512_cvtepi64_epi32(c1[v]));
            _mm256_storeu_si256((__m256i *)(o + 2 * PHILOX_LANES), _mm512_cvtepi64_epi32(c2[v]));
            _mm256_storeu_si256((__m256i *)(o + 3 * PHILOX_LANES), _mm512_cvtepi64_epi32(c3[v]));
        }
    }
}
#endif

#endif
