/* Symbol export for libparray: the library is built with -fvisibility=hidden,
 * so only declarations marked PA_EXTERN are part of the ABI. */
#ifndef PARRAY_EXPORT_H
#define PARRAY_EXPORT_H

#if defined(PARRAY_BUILDING) && defined(__GNUC__)
#define PA_EXTERN __attribute__((visibility("default")))
#else
#define PA_EXTERN
#endif

#endif
