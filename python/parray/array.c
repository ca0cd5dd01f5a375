/* The Array type: an owner of one pa_array, its getters, the zero-copy numpy
 * views of this rank's part and of the node's block, sync, and the frees
 * that happen at once (a.free(), the end of a with block). */
#include "_parray.h"

pa_array *pyp_arg(PyObject *o, const char *what)
{
    if (!PyObject_TypeCheck(o, &pyp_array_type)) {
        PyErr_Format(PyExc_TypeError, "%s: a parray.Array, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    pyp_array *p = (pyp_array *)o;
    if (!p->a) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s: the array was freed", what);
        pyp_raise_msg(PA_ESTATE, msg);
    }
    return p->a;
}

static void array_dealloc(PyObject *self)
{
    pyp_array *o = (pyp_array *)self;
    if (o->weakrefs)
        PyObject_ClearWeakRefs(self);
    pyp_release(o->a, o->id);
    Py_TYPE(self)->tp_free(self);
}

/* The base object of a view: keeps the Array alive and counts its views. */
static void view_base_free(PyObject *capsule)
{
    pyp_array *o = PyCapsule_GetPointer(capsule, "parray.view");
    o->nviews--;
    Py_DECREF(o);
}

/* A numpy array of ndim dims over ptr, writable unless the array is a
 * read-only table, whose base holds the Array. */
static PyObject *view(pyp_array *o, void *ptr, int ndim, npy_intp *dims)
{
    static char empty; /* numpy allocates when given NULL data */
    PyArray_Descr *d = pyp_descr(pa_array_dtype(o->a));
    int flags = NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED |
                (o->readonly ? 0 : NPY_ARRAY_WRITEABLE);
    PyObject *v = PyArray_NewFromDescr(&PyArray_Type, d, ndim, dims, NULL, ptr ? ptr : &empty,
                                       flags, NULL);
    if (!v)
        return NULL;
    PyObject *base = PyCapsule_New(o, "parray.view", view_base_free);
    if (!base) {
        Py_DECREF(v);
        return NULL;
    }
    Py_INCREF(o);
    o->nviews++;
    if (PyArray_SetBaseObject((PyArrayObject *)v, base) < 0) {
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

static PyObject *array_local(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    pa_array *a = pyp_arg(self, "local");
    pa_span s;
    if (!a || pyp_failed(pa_array_local(a, &s)))
        return NULL;
    npy_intp n = (npy_intp)s.count;
    return view((pyp_array *)self, s.ptr, 1, &n);
}

static PyObject *array_node(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    pa_array *a = pyp_arg(self, "node");
    pa_span s;
    size_t row0, nrows, shape[PA_MAXDIM];
    if (!a || pyp_failed(pa_array_node(a, &s)) ||
        pyp_failed(pa_array_node_rows(a, &row0, &nrows)))
        return NULL;
    int ndim = pa_array_ndim(a);
    pa_array_shape(a, shape);
    npy_intp dims[PA_MAXDIM];
    dims[0] = (npy_intp)nrows;
    for (int i = 1; i < ndim; i++)
        dims[i] = (npy_intp)shape[i];
    return view((pyp_array *)self, s.ptr, ndim, dims);
}

static PyObject *array_sync(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    pa_array *a = pyp_arg(self, "sync");
    int rc;
    if (!a)
        return NULL;
    Py_BEGIN_ALLOW_THREADS rc = pa_array_sync(a);
    Py_END_ALLOW_THREADS if (pyp_failed(rc)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *array_free(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    pyp_array *o = (pyp_array *)self;
    if (!o->a)
        Py_RETURN_NONE;
    if (!pyp_ctx() || pyp_free_now(o, o->nviews > 0) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *array_enter(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    if (!pyp_arg(self, "with"))
        return NULL;
    Py_INCREF(self);
    return self;
}

static PyObject *array_exit(PyObject *self, PyObject *args)
{
    (void)args;
    PyObject *r = array_free(self, NULL);
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static PyObject *get_shape(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "shape");
    if (!a)
        return NULL;
    size_t shape[PA_MAXDIM];
    pa_array_shape(a, shape);
    return pyp_shape_tuple(pa_array_ndim(a), shape);
}

static PyObject *get_dtype(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "dtype");
    return a ? (PyObject *)pyp_descr(pa_array_dtype(a)) : NULL;
}

static PyObject *get_ndim(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "ndim");
    return a ? PyLong_FromLong(pa_array_ndim(a)) : NULL;
}

static PyObject *get_size(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "size");
    return a ? PyLong_FromSize_t(pa_array_size(a)) : NULL;
}

static PyObject *get_dist(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "dist");
    if (!a)
        return NULL;
    return PyUnicode_FromString(pa_array_dist(a) == PA_REPLICATED ? "replicated" : "distributed");
}

static PyObject *get_local_offset(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "local_offset");
    pa_span s;
    if (!a || pyp_failed(pa_array_local(a, &s)))
        return NULL;
    return PyLong_FromSize_t(s.offset);
}

static PyObject *get_node_rows(PyObject *self, void *closure)
{
    (void)closure;
    pa_array *a = pyp_arg(self, "node_rows");
    size_t row0, nrows;
    if (!a || pyp_failed(pa_array_node_rows(a, &row0, &nrows)))
        return NULL;
    return Py_BuildValue("(nn)", (Py_ssize_t)row0, (Py_ssize_t)nrows);
}

static PyObject *get_freed(PyObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((pyp_array *)self)->a == NULL);
}

static PyObject *get_readonly(PyObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(((pyp_array *)self)->readonly);
}

static PyObject *array_repr(PyObject *self)
{
    pyp_array *o = (pyp_array *)self;
    if (!o->a)
        return PyUnicode_FromString("parray.Array(<freed>)");
    PyObject *shape = get_shape(self, NULL);
    if (!shape)
        return NULL;
    PyObject *dt = (PyObject *)pyp_descr(pa_array_dtype(o->a));
    PyObject *r = PyUnicode_FromFormat("parray.Array(shape=%R, dtype=%S, dist='%s')", shape, dt,
                                       pa_array_dist(o->a) == PA_REPLICATED ? "replicated"
                                                                            : "distributed");
    Py_DECREF(dt);
    Py_DECREF(shape);
    return r;
}

static Py_ssize_t array_len(PyObject *self)
{
    pa_array *a = pyp_arg(self, "len");
    if (!a)
        return -1;
    size_t shape[PA_MAXDIM];
    pa_array_shape(a, shape);
    return (Py_ssize_t)shape[0];
}

static PyMappingMethods array_as_mapping = {array_len, pyp_array_getitem, NULL};

static PyMethodDef array_methods[] = {
    {"local", array_local, METH_NOARGS, "this rank's part: a flat numpy view, no copy"},
    {"node", array_node, METH_NOARGS, "the node's block (node_rows of the rows): a numpy view"},
    {"sync", array_sync, METH_NOARGS,
     "make writes through views visible to the node (collective)"},
    {"free", array_free, METH_NOARGS, "free the array now (collective)"},
    {"__enter__", array_enter, METH_NOARGS, NULL},
    {"__exit__", array_exit, METH_VARARGS, NULL},
    {"to_numpy", (PyCFunction)(void (*)(void))pyp_to_numpy, METH_VARARGS | METH_KEYWORDS,
     "to_numpy(root=0): the whole array on root (None: on every rank); None elsewhere"},
    {"save_h5", (PyCFunction)(void (*)(void))pyp_save_h5, METH_VARARGS | METH_KEYWORDS,
     "save_h5(path, dataset, ...): crash-safe save (collective)"},
    {"save_files", (PyCFunction)(void (*)(void))pyp_save_files, METH_VARARGS | METH_KEYWORDS,
     "save_files(pattern, format=None, ...): one file per row (collective)"},
    {"reduce", (PyCFunction)(void (*)(void))pyp_reduce, METH_VARARGS | METH_KEYWORDS,
     "reduce(op, axis=None, ddof=0): sum, mean, ... as a Python scalar or numpy array"},
    PA_REDUCE_LIST(PYP_REDUCE_ENTRY_){
        "astype", (PyCFunction)(void (*)(void))pyp_astype, METH_VARARGS | METH_KEYWORDS,
        "astype(dtype): a new array converted as numpy's astype (collective)"},
    {"copy", pyp_copy, METH_NOARGS, "a new array with the same contents (collective)"},
    {"reshape", pyp_reshape, METH_VARARGS,
     "reshape(shape): a new array of the elements in C order; one dimension may be -1 "
     "(collective)"},
    {"transpose", pyp_transpose, METH_NOARGS,
     "the transpose of a 2-D array, a new array (collective)"},
    {"redistribute", (PyCFunction)(void (*)(void))pyp_redistribute, METH_VARARGS | METH_KEYWORDS,
     "redistribute(dist): a copy, 'distributed' or 'replicated' (collective)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef array_getset[] = {
    {"shape", get_shape, NULL, "the global shape", NULL},
    {"dtype", get_dtype, NULL, "the numpy dtype", NULL},
    {"ndim", get_ndim, NULL, NULL, NULL},
    {"size", get_size, NULL, "elements in the whole array", NULL},
    {"dist", get_dist, NULL, "'distributed' or 'replicated'", NULL},
    {"local_offset", get_local_offset, NULL, "flat index of local()[0] in the array", NULL},
    {"node_rows", get_node_rows, NULL, "(row0, nrows): the rows of node()", NULL},
    {"freed", get_freed, NULL, "whether the array was freed", NULL},
    {"readonly", get_readonly, NULL, "whether views are read-only", NULL},
    {"T", pyp_get_T, NULL,
     "a.transpose(): the transpose of a 2-D array, a new array (collective)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pyp_array_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "parray.Array",
    .tp_basicsize = sizeof(pyp_array),
    .tp_dealloc = array_dealloc,
    .tp_repr = array_repr,
    .tp_as_number = &pyp_array_as_number,
    .tp_as_mapping = &array_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An array spread over the ranks of the job (see parray.zeros, ...)",
    .tp_richcompare = pyp_array_richcompare,
    .tp_weaklistoffset = offsetof(pyp_array, weakrefs),
    .tp_methods = array_methods,
    .tp_getset = array_getset,
};
