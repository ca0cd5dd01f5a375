/* How the program's ranks agree on an outcome that can differ between them
 * (an allocation, a file, a step that failed on one rank): one
 * MPI_Allreduce, before the next collective call, so that no rank is left
 * waiting in a collective that a failed rank skips.
 *
 *   int ok = buf != NULL;
 *   if (!agree_all_ok(comm, ok))
 *       return cmd_fail(ctx, sub, "out of memory");
 */
#ifndef PARRAY_AGREE_H
#define PARRAY_AGREE_H

#include <mpi.h>

/* Collective over comm. Returns 1 when ok is nonzero on every rank, else 0
 * on every rank (also when the allreduce itself fails). */
int agree_all_ok(MPI_Comm comm, int ok);

/* Collective over comm. Returns 0 when failed is zero on every rank. Else
 * the lowest failing rank's msg (len bytes, the same len on every rank) is
 * copied into every rank's msg, and every rank returns -1. The allreduce
 * also synchronises: no rank leaves before every rank entered. */
int agree_failure(MPI_Comm comm, int failed, char *msg, int len);

#endif
