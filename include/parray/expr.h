/* Fused expressions. */
#ifndef PARRAY_EXPR_H
#define PARRAY_EXPR_H

#include "parray/array.h"
#include "parray/export.h"

#endif
