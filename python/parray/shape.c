/* New arrays of other shapes, each one collective call of the library
 * (include/parray/reshape.h): a[i:j:k] and a[:, idx] (pa_slice_rows,
 * pa_take_cols), a.reshape, a.T, pa.concatenate and a.redistribute. Each
 * gives a new array (a copy, never a view), and the data moves between
 * nodes within the library's memory bound: nothing is gathered to a rank.
 * Indexing that would need more than one call, or a gather, is refused
 * with a message that names what works. */
#include "_parray.h"

/* The arrays Python released are freed before a call that makes one, as
 * pyp_create does; 0 or -1 with the error raised. */
static int ready(void)
{
    return pyp_collect();
}

/* The new array a call made: wrapped, or NULL with its error raised. */
static PyObject *made(int rc, pa_array *out)
{
    return pyp_failed(rc) ? NULL : pyp_wrap(out);
}

static PyObject *index_error(const char *msg)
{
    PyErr_SetString(PyExc_IndexError, msg);
    return NULL;
}

/* ------------------------------------------------------------ indexing */

/* Whether key is ':' (a slice with nothing given). */
static int is_full(PyObject *key)
{
    if (!PySlice_Check(key))
        return 0;
    PySliceObject *s = (PySliceObject *)key;
    return s->start == Py_None && s->stop == Py_None && s->step == Py_None;
}

/* Whether key is one integer (a Python or numpy int, a 0-d array). */
static int is_integer(PyObject *key)
{
    return PyLong_Check(key) || PyArray_IsScalar(key, Integer) ||
           (PyArray_IsZeroDim(key) && PyArray_ISINTEGER((PyArrayObject *)key));
}

/* A slice bound: None is PA_SLICE_NONE; a bound past int64 is clamped
 * (the library clamps every bound to the axis). */
static int slice_bound(PyObject *o, int64_t *v)
{
    if (o == Py_None) {
        *v = PA_SLICE_NONE;
        return 0;
    }
    PyObject *i = PyNumber_Index(o);
    if (!i)
        return -1;
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    *v = overflow > 0 ? INT64_MAX : overflow < 0 ? INT64_MIN + 1 : x;
    return x == -1 && PyErr_Occurred() ? -1 : 0;
}

/* a[start:stop:step] along axis 0 (key a slice; NULL for a[()], all rows):
 * pa_slice_rows. */
static PyObject *slice_rows(pa_array *a, PyObject *key)
{
    PySliceObject *s = (PySliceObject *)key;
    int64_t start = PA_SLICE_NONE, stop = PA_SLICE_NONE, step = 1;
    if ((s && (slice_bound(s->start, &start) < 0 || slice_bound(s->stop, &stop) < 0 ||
               (s->step != Py_None && slice_bound(s->step, &step) < 0))) ||
        ready() < 0)
        return NULL;
    pa_array *out = NULL;
    int rc;
    PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc, pa_slice_rows(a, start, stop, step, &out));
    return made(rc, out);
}

/* The columns key selects out of ncols, as numpy's a[:, key]: a slice, or
 * a 1-D sequence or numpy array of integers, or of ncols booleans (a
 * mask). A new int64 array, or NULL with IndexError raised. */
static PyArrayObject *column_indices(PyObject *key, size_t ncols)
{
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
            return NULL;
        npy_intp n = PySlice_AdjustIndices((Py_ssize_t)ncols, &start, &stop, step);
        PyArrayObject *idx = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_INT64);
        int64_t *p = idx ? PyArray_DATA(idx) : NULL;
        for (npy_intp i = 0; p && i < n; i++)
            p[i] = start + i * step;
        return idx;
    }
    if (is_integer(key))
        return (PyArrayObject *)index_error(
            "a[:, j]: an integer column index would drop a dimension; take the column as "
            "a[:, [j]] (an (n, 1) array)");
    PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_O(key), *idx = NULL;
    if (!arr)
        return NULL;
    if (PyArray_NDIM(arr) != 1) {
        index_error("a[:, idx]: idx is a slice, or a 1-D list or numpy array of column indices "
                    "or of booleans");
    } else if (PyArray_SIZE(arr) == 0 || PyArray_ISINTEGER(arr)) {
        idx = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)arr, NPY_INT64,
                                                NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    } else if (PyArray_ISBOOL(arr) && (size_t)PyArray_SIZE(arr) != ncols) {
        PyErr_Format(PyExc_IndexError,
                     "boolean index did not match indexed array along axis 1; size of axis is "
                     "%zu but size of corresponding boolean axis is %zd",
                     ncols, (Py_ssize_t)PyArray_SIZE(arr));
    } else if (PyArray_ISBOOL(arr)) {
        PyObject *nz = PyArray_Nonzero(arr);
        if (nz)
            idx = (PyArrayObject *)PyArray_FROM_OTF(PyTuple_GET_ITEM(nz, 0), NPY_INT64,
                                                    NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
        Py_XDECREF(nz);
    } else {
        index_error("arrays used as indices must be of integer (or boolean) type");
    }
    Py_DECREF(arr);
    return idx;
}

/* a[:, key] of a 2-D array: pa_take_cols. */
static PyObject *take_cols(pa_array *a, PyObject *key)
{
    size_t shape[PA_MAXDIM];
    pa_array_shape(a, shape);
    PyArrayObject *idx = column_indices(key, shape[1]);
    if (!idx)
        return NULL;
    pa_array *out = NULL;
    int rc = PA_OK;
    if (ready() == 0)
        PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc,
                      pa_take_cols(a, PyArray_DATA(idx), (size_t)PyArray_SIZE(idx), &out));
    Py_DECREF(idx);
    return PyErr_Occurred() ? NULL : made(rc, out);
}

PyObject *pyp_array_getitem(PyObject *self, PyObject *key)
{
    pa_array *a = pyp_arg(self, "a[...]");
    if (!a)
        return NULL;
    int ndim = pa_array_ndim(a);
    int tuple = PyTuple_Check(key);
    Py_ssize_t n = tuple ? PyTuple_GET_SIZE(key) : 1;
    PyObject **k = tuple ? PySequence_Fast_ITEMS(key) : &key;
    if (n > ndim)
        return PyErr_Format(PyExc_IndexError,
                            "too many indices for array: array is %d-dimensional, but %zd were "
                            "indexed",
                            ndim, n);
    while (n > 1 && is_full(k[n - 1])) /* a[i:j, :] is a[i:j] */
        n--;
    if (n == 2 && ndim == 2 && is_full(k[0]))
        return take_cols(a, k[1]);
    if (n == 2 && ndim == 2)
        return index_error("a[rows, cols]: take one axis at a time, a[i:j:k][:, idx] (each is "
                           "one collective call)");
    if (n >= 2)
        return index_error("only axis 0 (a[i:j:k]) and the columns of a 2-D array (a[:, idx]) "
                           "can be indexed");
    if (n == 0 || PySlice_Check(k[0]))
        return slice_rows(a, n ? k[0] : NULL);
    if (is_integer(k[0]))
        return index_error("a[i]: an integer index would gather an element or a row; take "
                           "a[i:i+1] (a new array), or read a.to_numpy() or a.node()");
    return index_error("a[rows]: rows are a slice, a[i:j:k]; a list, an array or a mask of "
                       "rows is not supported");
}

/* ------------------------------------------------------------ shapes */

/* a.reshape(shape) or a.reshape(d0, d1, ...), C order, one dimension may
 * be -1: pa_reshape. */
PyObject *pyp_reshape(PyObject *self, PyObject *args)
{
    pa_array *a = pyp_arg(self, "reshape");
    if (!a)
        return NULL;
    PyObject *dims = PyTuple_GET_SIZE(args) == 1 && !PyIndex_Check(PyTuple_GET_ITEM(args, 0))
                         ? PyTuple_GET_ITEM(args, 0)
                         : args;
    PyObject *seq = PySequence_Fast(dims, "reshape: a shape, as ints or a tuple of ints");
    if (!seq)
        return NULL;
    Py_ssize_t ndim = PySequence_Fast_GET_SIZE(seq);
    size_t shape[PA_MAXDIM], known = 1;
    int unknown = -1;
    char text[PA_MAXDIM * 24 + 4] = "(";
    for (Py_ssize_t i = 0; i < ndim && i < PA_MAXDIM && !PyErr_Occurred(); i++) {
        long long d = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%lld", i ? "," : "", d);
        if (d == -1 && PyErr_Occurred())
            break;
        if (d == -1 && unknown >= 0)
            PyErr_SetString(PyExc_ValueError, "can only specify one unknown dimension");
        else if (d < -1)
            PyErr_SetString(PyExc_ValueError, "negative dimensions not allowed");
        else if (d == -1)
            unknown = (int)i;
        else
            shape[i] = (size_t)d, known *= (size_t)d;
    }
    Py_DECREF(seq);
    if (PyErr_Occurred())
        return NULL;
    if (ndim < 1 || ndim > PA_MAXDIM)
        return PyErr_Format(PyExc_ValueError, "reshape: 1 to %d dimensions, not %zd", PA_MAXDIM,
                            ndim);
    size_t size = pa_array_size(a);
    if (unknown >= 0) {
        if (known == 0 || size % known)
            return PyErr_Format(PyExc_ValueError,
                                "cannot reshape array of size %zu into shape %s)", size, text);
        shape[unknown] = size / known;
    }
    pa_array *out = NULL;
    int rc;
    if (ready() < 0)
        return NULL;
    PYP_LONG_CALL(PYP_BIG(size), rc, pa_reshape(a, (int)ndim, shape, &out));
    return made(rc, out);
}

/* a.transpose() and a.T of a 2-D array: pa_transpose. */
PyObject *pyp_transpose(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    pa_array *a = pyp_arg(self, "transpose"), *out = NULL;
    int rc;
    if (!a || ready() < 0)
        return NULL;
    PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc, pa_transpose(a, &out));
    return made(rc, out);
}

PyObject *pyp_get_T(PyObject *self, void *closure)
{
    (void)closure;
    return pyp_transpose(self, NULL);
}

/* a.redistribute(dist): a copy with distribution dist, pa_redistribute. */
PyObject *pyp_redistribute(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kws[] = {"dist", NULL};
    PyObject *dist_o;
    pa_dist dist;
    pa_array *a = pyp_arg(self, "redistribute"), *out = NULL;
    int rc;
    if (!a || !PyArg_ParseTupleAndKeywords(args, kw, "O", kws, &dist_o) ||
        pyp_dist(dist_o, &dist) < 0 || ready() < 0)
        return NULL;
    PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc, pa_redistribute(a, dist, &out));
    return made(rc, out);
}

/* pa.concatenate(arrays, axis=0): pa_concat. */
static PyObject *py_concatenate(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"arrays", "axis", NULL};
    PyObject *arrays_o;
    int axis = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i", kws, &arrays_o, &axis))
        return NULL;
    PyObject *seq = PySequence_Fast(arrays_o, "concatenate: a sequence of parray.Array");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) { /* numpy's words; the library's check has no context for them */
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "need at least one array to concatenate");
    }
    pa_array **srcs = PyMem_Calloc((size_t)n, sizeof *srcs);
    size_t size = 0;
    PyObject *r = NULL;
    pa_array *out = NULL;
    int rc;
    for (Py_ssize_t i = 0; srcs && i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "concatenate: arrays[%zd]", i);
        if (!(srcs[i] = pyp_arg(PySequence_Fast_GET_ITEM(seq, i), what)))
            goto done;
        size += pa_array_size(srcs[i]);
    }
    if (!srcs) {
        PyErr_NoMemory();
    } else if (ready() == 0) {
        PYP_LONG_CALL(PYP_BIG(size), rc, pa_concat(srcs, (int)n, axis, &out));
        r = made(rc, out);
    }
done:
    PyMem_Free(srcs);
    Py_DECREF(seq);
    return r;
}

PyMethodDef pyp_shape_methods[] = {
    {"concatenate", (PyCFunction)(void (*)(void))py_concatenate, METH_VARARGS | METH_KEYWORDS,
     "concatenate(arrays, axis=0): numpy.concatenate of parray arrays, a new array "
     "(collective)"},
    {NULL, NULL, 0, NULL}};
