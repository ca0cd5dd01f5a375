/* The kernels for AVX2 CPUs. F16C converts f16 here and in the AVX-512
 * table (pa__cpu_isa picks them only on a CPU that has it): 2-8x the speed
 * of libgcc's conversion calls, which the base table makes. */
#include "isa.h"

#ifdef PA_X86_DISPATCH
#define K_ISA avx2
#define K_TARGET __attribute__((target("avx2,f16c")))
#define K_TARGET_INT64
#define K_AVX512 0
#include "kernels_template.h"

#define K_STREAM_LINE(dst, line)                                                                 \
    for (int q_ = 0; q_ < 2; q_++)                                                               \
        _mm256_stream_si256((__m256i *)(dst) + q_,                                               \
                            _mm256_load_si256((const __m256i *)(line) + q_));

K_ALL()
#endif
