/* Private declarations of the quiet wait (wait.c): ranks that idle while
 * others compute wait without spinning on a core. Not installed. */
#ifndef PARRAY_WAIT_PRIVATE_H
#define PARRAY_WAIT_PRIVATE_H

#include <mpi.h>

#include "internal.h"

/* Completes req without spinning: MPI_Test, then nanosleep from 50 us
 * doubling to 1 ms, until done. Returns PA_OK or PA_EMPI (as fn). */
int pa__wait_req(pa_ctx *ctx, const char *fn, MPI_Request *req);
/* A quiet barrier over comm: over ctx->node_comm the node gate (futex
 * sleep in shared memory, on Linux), else MPI_Ibarrier completed by
 * pa__wait_req. */
int pa__wait_quiet(pa_ctx *ctx, const char *fn, MPI_Comm comm);

#endif
