/* Parallel HDF5. */
#ifndef PARRAY_H5_H
#define PARRAY_H5_H

#include "parray/array.h"
#include "parray/export.h"

#endif
