/* The registry of the bench's experiments. A new experiment adds its
 * declaration to bench.h and its entry here; `parray bench` with no name
 * runs them in this order. The limits come first so that later experiments
 * find them measured. */
#include "bench.h"

const bench_experiment *const bench_experiments[] = {
    &bench_limits, &bench_share,       &bench_io,        &bench_blas,
    &bench_init,   &bench_elementwise, &bench_latency,   &bench_dtypes,
    &bench_order,  &bench_redist,      &bench_broadcast, &bench_axes,
};
const int bench_nexperiments = sizeof(bench_experiments) / sizeof(bench_experiments[0]);
