/* Error codes. Every call returns PA_OK (0) or a negative PA_E* code; the
 * message with its context is kept in the context (pa_errmsg). */
#ifndef PARRAY_ERROR_H
#define PARRAY_ERROR_H

#include "parray/export.h"

/* The one list of codes: X(name, value, description). */
#define PA_ERRNO_MAP(X)                                                                          \
    X(OK, 0, "success")                                                                          \
    X(EINVAL, -1, "invalid argument")                                                            \
    X(ENOMEM, -2, "out of memory")                                                               \
    X(EMPI, -3, "MPI error")                                                                     \
    X(EIO, -4, "I/O error")                                                                      \
    X(ENOTSUP, -5, "not supported")                                                              \
    X(EFORMAT, -6, "bad data format")                                                            \
    X(ESTATE, -7, "call not valid in this state")                                                \
    X(ENUMERIC, -8, "numerical failure")

typedef enum {
#define PA_ERRNO_ENUM(name, value, text) PA_##name = value,
    PA_ERRNO_MAP(PA_ERRNO_ENUM)
#undef PA_ERRNO_ENUM
} pa_errno;

/* Not collective. A static description of code ("invalid argument"), or
 * "unknown error" for a value that is not a parray code. */
PA_EXTERN const char *pa_strerror(int code);

/* Not collective. The code's name ("PA_EINVAL"), or "PA_EUNKNOWN". */
PA_EXTERN const char *pa_errname(int code);

#endif
