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
 * One round at a time over all lanes: gcc vectorises each round's loop
 * (measured faster than keeping a lane's four words in registers through
 * ten unrolled rounds, and than 64-bit lanes, where gcc emulates a full
 * 64x64 multiply). */
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

#endif
