/* Arrays spread over the ranks of a job. A distributed array cuts axis 0
 * into one contiguous block of rows per node; a replicated array keeps one
 * whole copy per node. Either way a node's block is one MPI-3 shared window
 * that every rank of the node reaches through a plain pointer, and each rank
 * owns (first touches, and computes on) one contiguous flat range of it. */
#ifndef PARRAY_ARRAY_H
#define PARRAY_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include "parray/context.h"
#include "parray/export.h"

/* The one list of dtypes, one line each, in the order of pa_dtype (whose
 * values are part of the ABI: a new dtype goes at the end). Every per-dtype
 * table and kernel of the library is generated from it. The columns:
 * X(C, NAME, name, T, U, KIND, numpy, char, descr, H5MEM, H5FILE):
 *   NAME    the enum constant, PA_<NAME>;
 *   name    parray's name ("f64");
 *   T       the C element type;
 *   U       for an integer T, the unsigned type of its width (integer
 *           arithmetic wraps through it, as numpy's does); for a complex
 *           T, the type of its real and imaginary parts; else T;
 *   KIND    FLOAT, SINT (signed integer), UINT (unsigned integer), BOOL
 *           (C's _Bool: one byte, 0 or 1) or COMPLEX; a float computes in
 *           its own type, f16 (PA_HALF) in float;
 *   numpy   numpy's name (numpy.float64) and char its character code
 *           (numpy.dtype(...).char on Linux x86-64);
 *   descr   the .npy type string without its byte order;
 *   H5MEM   the HDF5 memory type H5T_<H5MEM>, H5FILE the little-endian
 *           type H5T_<H5FILE> that parray writes to files (bool's are
 *           built in dtype.c: h5py's enum over int8 of FALSE and TRUE).
 * C is passed through unchanged, for a list expanded inside another list;
 * PA_DTYPE_LIST(X) calls X without it. */
#define PA_DTYPE_LIST_WITH(X, C)                                                                 \
    X(C, F64, f64, double, double, FLOAT, float64, 'd', f8, NATIVE_DOUBLE, IEEE_F64LE)           \
    X(C, F32, f32, float, float, FLOAT, float32, 'f', f4, NATIVE_FLOAT, IEEE_F32LE)              \
    X(C, I64, i64, int64_t, uint64_t, SINT, int64, 'l', i8, NATIVE_INT64, STD_I64LE)             \
    X(C, I32, i32, int32_t, uint32_t, SINT, int32, 'i', i4, NATIVE_INT32, STD_I32LE)             \
    X(C, U8, u8, uint8_t, uint8_t, UINT, uint8, 'B', u1, NATIVE_UINT8, STD_U8LE)                 \
    X(C, I8, i8, int8_t, uint8_t, SINT, int8, 'b', i1, NATIVE_INT8, STD_I8LE)                    \
    X(C, I16, i16, int16_t, uint16_t, SINT, int16, 'h', i2, NATIVE_INT16, STD_I16LE)             \
    X(C, U16, u16, uint16_t, uint16_t, UINT, uint16, 'H', u2, NATIVE_UINT16, STD_U16LE)          \
    X(C, U32, u32, uint32_t, uint32_t, UINT, uint32, 'I', u4, NATIVE_UINT32, STD_U32LE)          \
    X(C, U64, u64, uint64_t, uint64_t, UINT, uint64, 'L', u8, NATIVE_UINT64, STD_U64LE)          \
    X(C, F16, f16, PA_HALF, PA_HALF, FLOAT, float16, 'e', f2, NATIVE_FLOAT16, IEEE_F16LE)        \
    X(C, BOOL, bool, _Bool, _Bool, BOOL, bool, '?', b1, PA_BOOL_MEM, PA_BOOL_FILE)               \
    X(C, C64, c64, float _Complex, float, COMPLEX, complex64, 'F', c8, PA_C64, PA_C64LE)         \
    X(C, C128, c128, double _Complex, double, COMPLEX, complex128, 'D', c16, PA_C128, PA_C128LE)
#define PA_DTYPE_LIST(X) PA_DTYPE_LIST_WITH(PA_DTYPE_CALL_, X)
/* f16's C type: _Float16 (gcc 12, clang 15), or before clang 15 its
 * __fp16 (the same IEEE half, computed in float). A macro, not a
 * typedef, so that a compiler with neither still reads this header. */
#if defined(__clang__) && __clang_major__ < 15
#define PA_HALF __fp16
#else
#define PA_HALF _Float16
#endif
#define PA_DTYPE_CALL_(X, ...) X(__VA_ARGS__)

typedef enum {
#define PA_DTYPE_ENUM(NAME, ...) PA_##NAME,
    PA_DTYPE_LIST(PA_DTYPE_ENUM)
#undef PA_DTYPE_ENUM
        PA_NDTYPES
} pa_dtype;
typedef enum { PA_DISTRIBUTED, PA_REPLICATED } pa_dist;

#define PA_MAXDIM 8

typedef struct pa_array pa_array;

/* A rank's or a node's piece of an array: count elements at ptr, which are
 * elements [offset, offset + count) of the whole array in C order. */
typedef struct {
    void *ptr;
    size_t offset;
    size_t count;
} pa_span;

/* Not collective. Bytes per element (0 for an unknown dtype) and the name
 * ("f64", ..., "?" for an unknown dtype). pa_dtype_parse maps a name back and
 * returns PA_EINVAL for an unknown one. */
PA_EXTERN size_t pa_dtype_size(pa_dtype dtype);
PA_EXTERN const char *pa_dtype_name(pa_dtype dtype);
PA_EXTERN int pa_dtype_parse(const char *name, pa_dtype *dtype);

/* Not collective. numpy's type promotion (numpy.promote_types): *out is
 * the dtype in which an element-wise op on arrays of dtypes a and b
 * computes, e.g. i16 and f32 give f32, u8 and i8 give i16, i32 and f32
 * give f64, u64 and i64 give f64. PA_EINVAL for an unknown dtype.
 * docs/compute.md has the rules, and those for scalar operands. */
PA_EXTERN int pa_dtype_promote(pa_dtype a, pa_dtype b, pa_dtype *out);

/* Collective. Creates an array of the given dtype and shape (ndim 1 to
 * PA_MAXDIM; dimensions may be 0), distributed by rows or replicated per
 * node. Each rank touches its own part first, so its pages are placed near
 * it. The contents are zero. On success *out is the new array (free it
 * with pa_array_free); on failure *out is NULL and every rank returns the
 * same code: PA_EINVAL for bad arguments (with the argument named in
 * pa_errmsg), PA_ENOMEM when the memory cannot be had on some node. Before
 * anything is allocated, each node's leader checks the node's block
 * against the memory the node has available (as pa_mem_check does, unless
 * a pooled block of the same layout will serve), so a request that cannot
 * fit fails at once with a message that gives the need and the figure,
 * e.g. "the node block of shape (4000000000,) f64 needs 29.8 GiB (...) on
 * node 0, but 22.1 GiB is available (MemAvailable)", instead of a process
 * killed when it touches its pages. */
PA_EXTERN int pa_array_create(pa_ctx *ctx, pa_dtype dtype, int ndim, const size_t *shape,
                              pa_dist dist, pa_array **out);

/* Collective. Frees *a and sets it to NULL; a NULL *a is a no-op. Large
 * blocks go to the context's pool for reuse by a later create of the same
 * layout (see PARRAY_POOL_MB). */
PA_EXTERN int pa_array_free(pa_array **a);

/* Not collective. Getters. pa_array_shape writes ndim dimensions to shape. */
PA_EXTERN pa_ctx *pa_array_ctx(const pa_array *a);
PA_EXTERN pa_dtype pa_array_dtype(const pa_array *a);
PA_EXTERN pa_dist pa_array_dist(const pa_array *a);
PA_EXTERN int pa_array_ndim(const pa_array *a);
PA_EXTERN void pa_array_shape(const pa_array *a, size_t *shape);
PA_EXTERN size_t pa_array_size(const pa_array *a); /* elements in the whole array */

/* Not collective. This rank's own part (pa_array_local) or its whole node
 * block (pa_array_node). Every rank of the node may read and write anywhere
 * in the node block; see pa_array_sync for when writes become visible. */
PA_EXTERN int pa_array_local(const pa_array *a, pa_span *span);
PA_EXTERN int pa_array_node(const pa_array *a, pa_span *span);

/* Not collective. The rows [*row0, *row0 + *nrows) of axis 0 held by this
 * rank's node (all rows for a replicated array). */
PA_EXTERN int pa_array_node_rows(const pa_array *a, size_t *row0, size_t *nrows);

/* Not collective. Who owns element index (a flat C-order index) or the first
 * element of row: the node that holds it and the job rank whose local part
 * contains it. For a replicated array every node holds it; *node is then
 * this rank's node and *rank the owner in this node. Returns PA_EINVAL for
 * an index out of range, and for any row of an array whose rows are empty
 * (such as shape (5,0)). Either output may be NULL. */
PA_EXTERN int pa_array_owner(const pa_array *a, size_t index, int *node, int *rank);
PA_EXTERN int pa_array_row_owner(const pa_array *a, size_t row, int *node, int *rank);

/* Collective. Makes every write that any rank made through pointers to its
 * node's block before the call visible to every rank of the node after it:
 * MPI_Win_sync, a node barrier, MPI_Win_sync. */
PA_EXTERN int pa_array_sync(pa_array *a);

/* Collective. Copies the whole array, in C order, to buf on job rank root
 * (buf is ignored on other ranks; from a replicated array, root's node copy)
 * or from buf on root into the array (into every node's copy when
 * replicated). For small arrays and tests: the array may hold at most
 * 2^31-1 elements (MPI int counts and displacements). */
PA_EXTERN int pa_array_gather(pa_array *a, int root, void *buf);
PA_EXTERN int pa_array_scatter(pa_array *a, int root, const void *buf);

/* Collective. Publishes node from_node's copy of a replicated array to the
 * other nodes, over the leaders: for a program that wrote one node's copy
 * through pointers. Returns PA_EINVAL for a distributed array. */
PA_EXTERN int pa_array_replicate(pa_array *a, int from_node);

#endif
