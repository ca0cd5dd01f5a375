/* Element-wise math, initialisation, random numbers and reductions. */
#ifndef PARRAY_COMPUTE_H
#define PARRAY_COMPUTE_H

#include "parray/array.h"
#include "parray/export.h"

#endif
