/* What the libFuzzer targets of fuzz/ share: the property check that stops
 * the run with a message (libFuzzer saves the input as a crash-* file). */
#ifndef PARRAY_FUZZ_H
#define PARRAY_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* Stops the run when cond is false, saying which property failed. */
#define FUZZ_ASSERT(cond, ...)                                                                   \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                        \
            fputc('\n', stderr);                                                                 \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

#endif
