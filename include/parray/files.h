/* Many files at once: .npy, CSV, raw binary. */
#ifndef PARRAY_FILES_H
#define PARRAY_FILES_H

#include "parray/array.h"
#include "parray/export.h"

#endif
