/* Private declarations of the core plan (cores.c): the machine's topology
 * from hwloc, the plan that cuts its usable CPUs into one share per rank,
 * CPU masks, thread affinity and the NUMA binding of a rank's memory. Not
 * installed.
 *
 * The plan itself, pa__cores_share, is a function of a topology and a
 * cpuset only, so that the tests can run it on machines described to hwloc
 * (hwloc_topology_set_synthetic) as well as on this one:
 *
 *     hwloc_topology_init(&topo);
 *     hwloc_topology_set_synthetic(topo, "pack:2 numa:2 core:8 pu:2");
 *     hwloc_topology_load(topo);
 *     pa__cores_share(topo, hwloc_topology_get_allowed_cpuset(topo), r, p, share);
 */
#ifndef PARRAY_CORES_PRIVATE_H
#define PARRAY_CORES_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <hwloc.h>

#include "internal.h"

/* CPU masks: bit c of word c / 64, CPU_SETSIZE bits. */
#define PA__MASK_WORDS 16

int pa__mask_count(const uint64_t *mask);
/* Writes up to max CPU numbers of mask to cpus; returns how many in all. */
int pa__mask_list(const uint64_t *mask, int *cpus, int max);
/* The mask of n CPU numbers. */
void pa__mask_from_list(const int *cpus, int n, uint64_t *mask);

/* The share of rank r of p ranks on the machine topo, whose ranks may use
 * the CPUs allowed together (PU OS numbers), into share. The CPUs are taken
 * in hwloc's order (package by package, NUMA node by NUMA node, the
 * hardware threads of a core side by side) and cut:
 *   - with p below the number of NUMA nodes that hold allowed CPUs, into p
 *     fair runs of whole cores;
 *   - otherwise each NUMA node gets a number of ranks in proportion to its
 *     allowed cores (at least one), and its cores are cut among them, so
 *     that every share lies inside one NUMA node.
 * Cuts fall between cores, so that no two ranks get hardware threads of
 * one core, except where a NUMA node has more ranks than cores: then its
 * CPUs are dealt one by one, several ranks to a CPU when they outnumber
 * the CPUs. Every allowed CPU is in some share. Not collective; no
 * binding, no MPI. Returns 0, or -1 when out of memory. */
int pa__cores_share(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int r, int p,
                    hwloc_cpuset_t share);

/* The calling thread's affinity now (of the machine ctx->topo describes).
 * Returns 0 or -1. */
int pa__mask_now(const pa_ctx *ctx, uint64_t *mask);
/* Binds every thread of the process to mask. Returns 0, or -1 when the
 * calling thread could not be bound. */
int pa__affinity_all(const pa_ctx *ctx, const uint64_t *mask);
/* The same with the calling thread bound to mine and the others to others. */
int pa__affinity_split(const pa_ctx *ctx, const uint64_t *mine, const uint64_t *others);

/* The NUMA nodes to bind the memory of a rank whose CPUs are share to, on
 * the machine topo, into nodes: the one NUMA node that holds every CPU of
 * share, or none (empty) when the machine has one NUMA node (first touch
 * places every page there) or share spans several (bound to one, the
 * pages would lie far from the threads on the others; first touch puts
 * each near the thread that writes it). A function of the topology and the
 * share only, like pa__cores_share. Returns 0, or -1 when out of memory. */
int pa__cores_membind_nodes(hwloc_topology_t topo, hwloc_const_cpuset_t share,
                            hwloc_nodeset_t nodes);

/* Not collective. Binds the whole pages of [addr, addr + len), this rank's
 * part of a node block, to the NUMA node this rank runs on, before the
 * rank first touches them; hwloc's non-strict binding, so a full node
 * spills over instead of failing; the nodes are pa__cores_membind_nodes of
 * the CPUs the rank runs on. Does nothing when there are none, nor on a
 * machine described to hwloc (PARRAY_TOPOLOGY, HWLOC_XMLFILE,
 * HWLOC_SYNTHETIC), whose NUMA nodes are not this machine's, even under
 * HWLOC_THISSYSTEM=1; the test fault site "membind" still fires there.
 * Never fails: a refused binding sets PA_BLAS_WARN_MEMBIND and is reported
 * once on stderr. */
void pa__cores_membind(pa_ctx *ctx, void *addr, size_t len);

/* Teardown: frees the topology. */
void pa__cores_free(pa_ctx *ctx);

#endif
