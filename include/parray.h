/* parray: arrays and array computing across the ranks of an MPI job.
 * Include this one header; it includes one header per concept. */
#ifndef PARRAY_H
#define PARRAY_H

#include "parray/export.h"
#include "parray/error.h"
#include "parray/context.h"
#include "parray/array.h"
#include "parray/blas.h"
#include "parray/compute.h"
#include "parray/expr.h"
#include "parray/h5.h"
#include "parray/files.h"
#include "parray/linalg.h"
#include "parray/scan.h"
#include "parray/sort.h"
#include "parray/reshape.h"

/* Not collective. The library's version, e.g. "0.1.0". */
PA_EXTERN const char *pa_version(void);

#endif
