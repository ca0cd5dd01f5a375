/* What the files of the extension module parray._parray share: the module's
 * state (the one context, its own communicator, the queue of released
 * arrays), the Array type, and the helpers every call uses. The module calls
 * only libparray's public API.
 *
 * The lifetime protocol: an Array that Python drops is never freed by its
 * deallocator (pa_array_free is collective, and garbage collection runs at
 * different moments on different ranks). Its id (a creation number, the same
 * on every rank because creation is collective) goes into the queue instead.
 * Every call that creates an array first runs pyp_collect: the ranks agree
 * (two allreduces on the module's communicator) on the queued ids that every
 * rank has released, and free those, in ascending id order, on every rank. */
#ifndef PARRAY_PY_H
#define PARRAY_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#ifndef PARRAY_PY_MAIN
#define NO_IMPORT_ARRAY
#endif
#define PY_ARRAY_UNIQUE_SYMBOL parray_py_ARRAY_API
#include <numpy/arrayobject.h>
#include <parray.h>
#include <stdint.h>

/* The module's state: one parray context per process. */
typedef struct {
    pa_ctx *ctx;      /* NULL before init and after finalize */
    MPI_Comm comm;    /* the module's own duplicate, for its agreements */
    uint64_t next_id; /* the id of the next array created */
    PyObject *error;  /* parray.Error */
} pyp_state;
extern pyp_state pyp;

/* An array: owns its pa_array until freed (a.free(), a with block's end, or
 * the queue). readonly marks pa.replicate's tables: their views are
 * read-only. Views (a.local(), a.node()) hold a reference to the Array. */
typedef struct {
    PyObject_HEAD pa_array *a;
    uint64_t id;
    int readonly;
    int nviews; /* numpy views alive (their base's destructor counts down) */
    PyObject *weakrefs;
} pyp_array;
extern PyTypeObject pyp_array_type;

/* Raises parray.Error(code, pa_errmsg(ctx)) and returns NULL. */
PyObject *pyp_raise(int code);
/* Raises parray.Error(code, msg) for a failure found here, not in a call. */
PyObject *pyp_raise_msg(int code, const char *msg);
/* Raises parray.Error for a failed call when rc < 0; returns rc < 0. */
int pyp_failed(int rc);
/* The context, or NULL with parray.Error raised when pa.init has not run. */
pa_ctx *pyp_ctx(void);
/* The pa_array of an Array, or NULL with TypeError/parray.Error raised. */
pa_array *pyp_arg(PyObject *o, const char *what);
/* A new Array object owning a (NULL when a is NULL: the error is raised). */
PyObject *pyp_wrap(pa_array *a);
/* Frees o's array at once (collective), unless some rank has views of it
 * (views != 0 here): then every rank raises parray.Error. */
int pyp_free_now(pyp_array *o, int views);
/* Frees the arrays that every rank has released (collective). */
int pyp_collect(void);
/* Creates an array (after pyp_collect); NULL with the error raised. */
pa_array *pyp_create(pa_dtype dtype, int ndim, const size_t *shape, pa_dist dist);
/* numpy dtype (anything np.dtype takes) -> pa_dtype; -1 with TypeError. */
int pyp_dtype(PyObject *o, pa_dtype *dtype);
/* pa_dtype -> numpy descr (new reference). */
PyArray_Descr *pyp_descr(pa_dtype dtype);
/* A shape (int or sequence of ints) -> ndim and dims; -1 with error. */
int pyp_shape(PyObject *o, int *ndim, size_t *shape);
/* A shape as a tuple of ints (new reference). */
PyObject *pyp_shape_tuple(int ndim, const size_t *shape);
/* 'distributed' | 'replicated' -> pa_dist; -1 with ValueError. */
int pyp_dist(PyObject *o, pa_dist *dist);
/* A pa_value as a Python scalar (exact int, bool, float, complex). */
PyObject *pyp_value(const pa_value *v);
/* Queued ids, this rank: live arrays and those waiting. */
Py_ssize_t pyp_live_count(void);
/* Called by an Array's deallocator: queue it for the next collect. */
void pyp_release(pa_array *a, uint64_t id);

/* Method tables of the other files, joined by module.c. */
extern PyMethodDef pyp_compute_methods[];
extern PyMethodDef pyp_io_methods[];
extern PyMethodDef pyp_linalg_methods[];
extern PyMethodDef pyp_timing_methods[];
/* linalg.c: sets the @ slot of Array (before PyType_Ready). */
void pyp_linalg_init(void);
/* compute.c: the array's operators and reductions, for array.c. */
extern PyNumberMethods pyp_array_as_number;
PyObject *pyp_array_richcompare(PyObject *a, PyObject *b, int op);
PyObject *pyp_reduce(PyObject *self, PyObject *args, PyObject *kw);
/* compute.c: one method of Array per reduction (a.sum(axis=None), ...). */
#define PYP_REDUCE_DECL_(N, n) PyObject *pyp_reduce_##n(PyObject *, PyObject *, PyObject *);
PA_REDUCE_LIST(PYP_REDUCE_DECL_)
#undef PYP_REDUCE_DECL_
#define PYP_REDUCE_ENTRY_(N, n)                                                     \
    {#n, (PyCFunction)(void (*)(void))pyp_reduce_##n, METH_VARARGS | METH_KEYWORDS, \
     #n "(axis=None): over the whole array (a Python scalar) or along axis 0 or 1"},
PyObject *pyp_astype(PyObject *self, PyObject *args, PyObject *kw);
PyObject *pyp_copy(PyObject *self, PyObject *noargs);
/* expr.c: the Expr type (pa.compile). */
extern PyTypeObject pyp_expr_type;
extern PyMethodDef pyp_expr_methods[];
/* move.c, io.c: methods of Array. */
PyObject *pyp_to_numpy(PyObject *self, PyObject *args, PyObject *kw);
PyObject *pyp_save_h5(PyObject *self, PyObject *args, PyObject *kw);
PyObject *pyp_save_files(PyObject *self, PyObject *args, PyObject *kw);
extern PyMethodDef pyp_move_methods[];
/* move.c: pa.replicate(o) from rank 0 (collective): a new read-only Array,
 * or NULL with the error raised. */
PyObject *pyp_replicate(PyObject *o);

/* broadcast.c: the output of an element-wise call over arrays[0..n) (n <=
 * 64): numpy's broadcast shape (pa_broadcast_shape, whose message becomes
 * parray.Error), distributed when any array is, else replicated. 0 or -1
 * with the error raised. */
int pyp_broadcast_out(pa_array *const *arrays, int n, int *ndim, size_t *shape, pa_dist *dist);
/* Whether o is a numpy array of 1 or more dimensions (a 0-d one is a
 * number). Such an operand of an operator or of pa.eval becomes a
 * replicated temporary of rank 0's copy, as pa.replicate makes:
 * pyp_ndarray_operand sets *tmp (the Array, owned by the caller) and *a
 * (collective; -1 with the error raised), and pyp_free_operands frees
 * tmps[0..n) after the call: at once when ok (the call succeeded on every
 * rank), else at the next collect. */
int pyp_is_ndarray_operand(PyObject *o);
int pyp_ndarray_operand(PyObject *o, PyObject **tmp, pa_array **a, const char *what);
int pyp_free_operands(PyObject **tmps, int n, int ok);

/* shape.c: indexing (a[i:j:k], a[:, idx]) and the shape methods of Array. */
PyObject *pyp_array_getitem(PyObject *self, PyObject *key);
PyObject *pyp_reshape(PyObject *self, PyObject *args);
PyObject *pyp_transpose(PyObject *self, PyObject *noargs);
PyObject *pyp_get_T(PyObject *self, void *closure);
PyObject *pyp_redistribute(PyObject *self, PyObject *args, PyObject *kw);
extern PyMethodDef pyp_shape_methods[];

/* Runs call without the GIL when work is large (elements or bytes > 2^16),
 * since collective calls wait for other ranks; small calls keep it (the
 * round trip costs more than they do). */
#define PYP_LONG_CALL(big, rc, call)            \
    do {                                        \
        if (big) {                              \
            Py_BEGIN_ALLOW_THREADS rc = (call); \
            Py_END_ALLOW_THREADS                \
        } else {                                \
            rc = (call);                        \
        }                                       \
    } while (0)
#define PYP_BIG(n) ((n) > ((size_t)1 << 16))

#endif
