/* Private declarations of CPU masks and affinity (cores.c): the sets of
 * CPUs that the core plan cuts into shares and binds threads to. Not
 * installed. */
#ifndef PARRAY_CORES_PRIVATE_H
#define PARRAY_CORES_PRIVATE_H

#include <stdint.h>

/* CPU masks: bit c of word c / 64, CPU_SETSIZE bits. */
#define PA__MASK_WORDS 16

int pa__mask_count(const uint64_t *mask);
/* Writes up to max CPU numbers of mask to cpus; returns how many in all. */
int pa__mask_list(const uint64_t *mask, int *cpus, int max);
/* The calling thread's affinity now. Returns 0 or -1. */
int pa__mask_now(uint64_t *mask);
/* Binds every thread of the process to mask. Returns 0, or -1 when the
 * calling thread could not be bound. */
int pa__affinity_all(const uint64_t *mask);
/* The same with the calling thread bound to mine and the others to others. */
int pa__affinity_split(const uint64_t *mine, const uint64_t *others);

#endif
