/* Tests of the transposed copy (transpose_tile.h), called directly: every
 * element size (the register sizes 1, 2, 4, 8 and 16 bytes, and 3 and 12,
 * which have none), in every instruction set this CPU runs (AVX-512 both
 * with the tiles AMD takes and with the strips Intel takes), on shapes
 * around the register blocks and the tiles and large enough to be
 * streamed, at row strides wider than the block, from starts that are not
 * aligned: each element where a scalar copy puts it, and not one byte
 * written outside the destination's elements. */
#include "testutil.h"

#include "transpose_tile.h"

/* Guard bytes around and between the destination's elements. */
#define GUARD 0xa5

/* Transposes a rows x cols block (row stride fs) into one of row stride
 * ts; returns the elements that are wrong or guard bytes overwritten. */
static size_t check_one(pa_isa isa, int strips, size_t es, size_t rows, size_t cols, size_t fs,
                        size_t ts, size_t misalign)
{
    size_t from_bytes = (rows * fs + 1) * es + misalign,
           to_bytes = (cols * ts + 1) * es + misalign;
    unsigned char *from = malloc(from_bytes), *to = malloc(to_bytes);
    if (!from || !to) {
        free(from);
        free(to);
        return 1;
    }
    for (size_t k = 0; k < from_bytes; k++)
        from[k] = (unsigned char)(k * 131 + k / 7);
    memset(to, GUARD, to_bytes);
    unsigned char *f = from + misalign, *t = to + misalign;
    pa__transpose_copy_isa(isa, strips, (const char *)f, (ptrdiff_t)fs, (char *)t, (ptrdiff_t)ts,
                           rows, cols, es);
    size_t bad = 0;
    for (size_t c = 0; c < cols; c++)
        for (size_t i = 0; i < ts; i++) {
            const unsigned char *got = t + (c * ts + i) * es;
            if (i < rows)
                bad += memcmp(got, f + (i * fs + c) * es, es) != 0;
            else
                for (size_t b = 0; b < es; b++)
                    bad += got[b] != GUARD;
        }
    for (size_t b = 0; b < misalign; b++)
        bad += to[b] != GUARD;
    for (size_t b = (cols * ts) * es + misalign; b < to_bytes; b++)
        bad += to[b] != GUARD;
    free(from);
    free(to);
    return bad;
}

START_TEST(test_every_size_isa_shape)
{
    static const size_t sizes[] = {1, 2, 3, 4, 8, 12, 16};
    /* Empty, below one block, one block, blocks and ragged edges, one tile,
     * past a tile, long thin ones, and ones of 1 MiB and more for elements
     * of 8 bytes and up, the wide one for 4 bytes and up (streamed; on
     * Intel in strips, the wide one in several bands of them). */
    static const size_t shapes[][2] = {{0, 5},   {5, 0},   {1, 1},     {3, 7},     {8, 8},
                                       {16, 16}, {17, 33}, {64, 64},   {65, 130},  {131, 67},
                                       {2, 300}, {300, 3}, {400, 400}, {300, 1100}};
    size_t bad = 0, cases = 0;
    char first[200] = "";
    /* Each set with the tiles, and AVX-512 also with Intel's strips. */
    for (int walk = 0; walk < 2 * ((int)pa__cpu_isa() + 1); walk++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
                for (size_t variant = 0; variant < 3; variant++) {
                    int isa = walk / 2, strips = walk % 2;
                    if (strips && isa != PA_ISA_AVX512)
                        continue;
                    size_t rows = shapes[k][0], cols = shapes[k][1];
                    /* Tight strides, wider ones, and wider ones from an
                     * odd start. */
                    size_t fs = cols + (variant ? 5 : 0), ts = rows + (variant ? 3 : 0);
                    size_t misalign = variant == 2 ? sizes[s] : 0;
                    size_t b = check_one((pa_isa)isa, strips, sizes[s], rows, cols, fs, ts,
                                         misalign);
                    if (b && bad == 0)
                        snprintf(first, sizeof first,
                                 "isa %d%s, %zu-byte elements, (%zu, %zu), strides %zu %zu", isa,
                                 strips ? " in strips" : "", sizes[s], rows, cols, fs, ts);
                    bad += b;
                    cases++;
                }
    TU_ASSERT(bad == 0, "%zu wrong bytes or elements; first in %s", bad, first);
    TU_CHECK(cases > 0);
}
END_TEST

/* The dispatching call gives what the CPU's best set gives: the same bytes
 * as the plain copy. */
START_TEST(test_best_isa)
{
    enum { R = 77, C = 91 };
    static double from[R * C], plain[C * R], best[C * R];
    for (size_t k = 0; k < R * C; k++)
        from[k] = (double)k * 0.5 - 3.0;
    pa__transpose_copy_isa(PA_ISA_BASE, 0, (const char *)from, C, (char *)plain, R, R, C, 8);
    pa__transpose_copy((const char *)from, C, (char *)best, R, R, C, 8);
    TU_CHECK(memcmp(plain, best, sizeof best) == 0);
    TU_CHECK(best[3 * R + 5] == from[5 * C + 3]);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("transpose_tile");
    TCase *tc = tu_tcase(s, "transpose_tile");
    tcase_add_test(tc, test_every_size_isa_shape);
    tcase_add_test(tc, test_best_isa);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make);
}
