/* The generators, a template that random.c includes once per instruction
 * set, with GEN(name) naming the function for that set, GEN_TARGET its
 * target attribute and GEN_LANES the Philox block it uses. Each fills buf
 * with the elements of PHILOX_LANES draws from draw j0 on: 2 (f64, normal,
 * integers) or 4 (f32, and f16 from f32) per draw, element e of draw j at buf[E (j - j0) + e].
 * Every instantiation computes the same bits: only correctly rounded
 * operations (+ - * / sqrt), our own polynomials rather than libm, and
 * -std=c11 keeps gcc from contracting a*b+c into an FMA. No include guard:
 * it is meant to be included several times, and it undefines its three
 * parameters at the end. */

/* The parameters are copied to locals first: through g they could alias
 * buf, and gcc would not vectorise. */
GEN_TARGET static void GEN(uniform_f64)(const gen_args *g, uint64_t j0, double *restrict buf)
{
    uint32_t x[4][PHILOX_LANES];
    GEN_LANES(j0, g->s0, g->s1, g->k0, g->k1, x);
    const double low = g->low, span = g->span, high = g->high, below = g->below;
    for (int i = 0; i < PHILOX_LANES; i++) {
        uint64_t a = ((uint64_t)x[1][i] << 32 | x[0][i]) >> 11;
        uint64_t b = ((uint64_t)x[3][i] << 32 | x[2][i]) >> 11;
        double va = low + span * (u53_to_f64(a) * 0x1p-53);
        double vb = low + span * (u53_to_f64(b) * 0x1p-53);
        /* low + span * u can round up to high; keep the interval open. */
        buf[2 * i] = va < high ? va : below;
        buf[2 * i + 1] = vb < high ? vb : below;
    }
}

GEN_TARGET static void GEN(uniform_f32)(const gen_args *g, uint64_t j0, float *restrict buf)
{
    uint32_t x[4][PHILOX_LANES];
    GEN_LANES(j0, g->s0, g->s1, g->k0, g->k1, x);
    const float low = g->lowf, span = g->spanf, high = g->highf, below = g->belowf;
    /* 24 bits: exactly representable in float, and int32 -> float
     * conversion vectorises everywhere. */
#define U24(w) (low + span * ((float)(int32_t)(x[w][i] >> 8) * 0x1p-24f))
    for (int i = 0; i < PHILOX_LANES; i++) {
        float v0 = U24(0), v1 = U24(1), v2 = U24(2), v3 = U24(3);
        buf[4 * i] = v0 < high ? v0 : below;
        buf[4 * i + 1] = v1 < high ? v1 : below;
        buf[4 * i + 2] = v2 < high ? v2 : below;
        buf[4 * i + 3] = v3 < high ? v3 : below;
    }
#undef U24
}

/* Three loops, so that each vectorises whatever the build's errno setting:
 * under gcc's default -fmath-errno sqrt may set errno, and the branch for
 * that would keep the heavy loop scalar, so the square roots get a short
 * loop of their own. */
GEN_TARGET static void GEN(normal_f64)(const gen_args *g, uint64_t j0, double *restrict buf)
{
    uint32_t x[4][PHILOX_LANES];
    double r[PHILOX_LANES], c[PHILOX_LANES], s[PHILOX_LANES];
    GEN_LANES(j0, g->s0, g->s1, g->k0, g->k1, x);
    const double mean = g->mean, std = g->std;
    for (int i = 0; i < PHILOX_LANES; i++) {
        uint64_t a = ((uint64_t)x[1][i] << 32 | x[0][i]) >> 11;
        uint64_t b = ((uint64_t)x[3][i] << 32 | x[2][i]) >> 11;
        /* u1 = (a + 1) 2^-53 in (0, 1], so the log is finite and <= 0. */
        r[i] = -2.0 * log_u53(u53_to_f64(a + 1));
        cossin_2pi(u53_to_f64(b) * 0x1p-53, &c[i], &s[i]);
    }
    for (int i = 0; i < PHILOX_LANES; i++)
        r[i] = sqrt(r[i]);
    for (int i = 0; i < PHILOX_LANES; i++) {
        buf[2 * i] = mean + std * (r[i] * c[i]);
        buf[2 * i + 1] = mean + std * (r[i] * s[i]);
    }
}

/* Offsets in [0, range): floor(r range / 2^64), Lemire's multiply-shift
 * without the rejection step; range 0 stands for 2^64, whose offset is r. */
GEN_TARGET static void GEN(integers)(const gen_args *g, uint64_t j0, uint64_t *buf)
{
    uint32_t x[4][PHILOX_LANES];
    GEN_LANES(j0, g->s0, g->s1, g->k0, g->k1, x);
    for (int i = 0; i < PHILOX_LANES; i++) {
        uint64_t a = (uint64_t)x[1][i] << 32 | x[0][i];
        uint64_t b = (uint64_t)x[3][i] << 32 | x[2][i];
        buf[2 * i] = g->range ? (uint64_t)(((unsigned __int128)a * g->range) >> 64) : a;
        buf[2 * i + 1] = g->range ? (uint64_t)(((unsigned __int128)b * g->range) >> 64) : b;
    }
}

#undef GEN_ISA
#undef GEN_TARGET
#undef GEN_LANES
