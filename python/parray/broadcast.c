/* Broadcasting from Python: the output that the operators and pa.eval make
 * for operands of different shapes, and numpy arrays as operands. The
 * library broadcasts (pa_binary, pa_expr_eval); the binding only sizes the
 * output by the library's own rule (pa_broadcast_shape) and never checks
 * shapes itself. */
#include "_parray.h"

int pyp_broadcast_out(pa_array *const *arrays, int n, int *ndim, size_t *shape, pa_dist *dist)
{
    int ndims[64];
    size_t shapes[64][PA_MAXDIM];
    const size_t *ptrs[64];
    *dist = PA_REPLICATED;
    for (int i = 0; i < n; i++) {
        ndims[i] = pa_array_ndim(arrays[i]);
        pa_array_shape(arrays[i], shapes[i]);
        ptrs[i] = shapes[i];
        /* A distributed operand makes a distributed output: the library
         * refuses a distributed operand with a replicated output's rows. */
        if (pa_array_dist(arrays[i]) == PA_DISTRIBUTED)
            *dist = PA_DISTRIBUTED;
    }
    return pyp_failed(pa_broadcast_shape(pyp.ctx, n, ndims, ptrs, ndim, shape)) ? -1 : 0;
}

int pyp_is_ndarray_operand(PyObject *o)
{
    return PyArray_Check(o) && PyArray_NDIM((PyArrayObject *)o) > 0;
}

int pyp_ndarray_operand(PyObject *o, PyObject **tmp, pa_array **a, const char *what)
{
    *tmp = pyp_replicate(o);
    return *tmp && (*a = pyp_arg(*tmp, what)) ? 0 : -1;
}

int pyp_free_operands(PyObject **tmps, int n, int ok)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (!tmps[i])
            continue;
        /* After a call that succeeded on every rank, every rank is here:
         * free at once. After a failure, leave it to the next collect. */
        if (ok && rc == 0 && pyp_free_now((pyp_array *)tmps[i], 0) < 0)
            rc = -1;
        Py_CLEAR(tmps[i]);
    }
    return rc;
}
