/* Matrix multiply and LAPACK solvers under the BLAS thread plan. */
#ifndef PARRAY_LINALG_H
#define PARRAY_LINALG_H

#include "parray/array.h"
#include "parray/export.h"

#endif
