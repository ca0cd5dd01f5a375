/* The CPU's instruction sets that parray's kernels are compiled for, and
 * which of them this CPU runs: the one fact that the compute files and the
 * dtype conversions (dtype.c) both choose by. */
#ifndef PARRAY_ISA_H
#define PARRAY_ISA_H

/* Hot loops compiled for AVX-512, AVX2 and plain x86-64 (SSE2); the
 * dynamic loader picks the clone that the CPU runs (an ifunc). All clones
 * give the same bits: the loops use IEEE 754 basic operations (or the same
 * libm calls, or the same vector math functions, which vmath.c chooses by
 * the CPU) in the same order, and -std=c11 keeps gcc from contracting
 * them into FMAs. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PA_X86_DISPATCH 1 /* target attributes and __builtin_cpu_supports */
#define PA_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PA_SIMD_CLONES
#endif

/* The instruction sets that kernels compiled once per set (kernels_*.c,
 * random.c, dtype.c's conversions, transpose_tile.c) and the streaming
 * copy choose between at run time. */
typedef enum { PA_ISA_BASE, PA_ISA_AVX2, PA_ISA_AVX512 } pa_isa;

/* The best of them this CPU runs. */
pa_isa pa__cpu_isa(void);

/* 1 when the CPU runs AVX-512 with its byte and word instructions (BW),
 * which the kernels of 1- and 2-byte elements need for 512-bit vectors
 * (every AVX-512 CPU but the Xeon Phis has them), else 0. */
int pa__cpu_has_avx512bw(void);

#endif
