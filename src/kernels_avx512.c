/* The kernels for AVX-512 CPUs with BW and DQ (every AVX-512 CPU but the
 * Xeon Phis; kernels.c runs the AVX2 table on the others). With BW the
 * byte and word ops are 512 bits wide too, and the line buffer of a u8 or
 * i16 kernel is one register: with AVX512F alone gcc computed it in two
 * 256-bit halves, stored them, and reloaded the line as one 512-bit load,
 * which the store buffer cannot forward. With DQ the 64-bit integer
 * kernels' products are vector ones (i64 ** and * ran an element at a
 * time); only those kernels take it, as no other one needs it (on the
 * whole table, f32 sin measured lower, 0.68-0.88x of the triad, though
 * within its spread from run to run, 0.79-0.97x). Not VL: with it gcc's
 * f16 loops of general strides propagate another NaN than the other
 * tables do. */
#include "isa.h"

#ifdef PA_X86_DISPATCH
#define K_ISA avx512
#define K_TARGET __attribute__((target("avx512f,avx512bw,f16c")))
#define K_TARGET_INT64 __attribute__((target("avx512dq")))
#define K_AVX512 1 /* K_VLINE, k_parts, k_div8 and k_ipow16 */
#include "kernels_template.h"

#define K_STREAM_LINE(dst, line)                                                                 \
    _mm512_stream_si512((void *)(dst), _mm512_load_si512((const void *)(line)));

K_ALL()
#endif
