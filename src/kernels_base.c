/* The kernels for any x86-64 CPU (SSE2), or for the build's own target
 * where there is no x86 dispatch: plain C loops that gcc vectorises for
 * the baseline. */
#define K_ISA base
#define K_TARGET
#define K_TARGET_INT64
#define K_AVX512 0
#include "kernels_template.h"

#ifdef __SSE2__
#define K_STREAM_LINE(dst, line)                                                                 \
    for (int q_ = 0; q_ < 4; q_++)                                                               \
        _mm_stream_si128((__m128i *)(dst) + q_, _mm_load_si128((const __m128i *)(line) + q_));
#else
#define K_STREAM_LINE(dst, line) memcpy(dst, line, PA_CACHE_LINE);
#endif

K_ALL()
