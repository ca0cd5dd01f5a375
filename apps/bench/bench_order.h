/* The order experiment: bench_order.c owns it and times the scans; the
 * sort figures come from bench_sort.c through the hook below. */
#ifndef PARRAY_BENCH_ORDER_H
#define PARRAY_BENCH_ORDER_H

#include "bench.h"

/* The sort part of `parray bench order`: pa_sort against one process's
 * qsort, pa_median against the sort, and the peak memory of pa_sort,
 * pa_argsort and pa_median, on arrays of its own. Collective, with the rules
 * of bench_experiment.run: it adds its figures and notes to b and returns
 * 0, or -1 on every rank after bench_fail/bench_agree. */
int bench_order_sort(bench *b);

#endif
