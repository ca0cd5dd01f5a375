/* Moving whole arrays between numpy and parray: scatter from a root's
 * ndarray (pa.from_numpy, pa.replicate) and gather to a root or to every
 * rank (a.to_numpy). */
#include "_parray.h"

/* Root's ndarray in C order and native byte order; what every rank learns
 * from root: {ok, dtype, ndim, shape...} (ok 0 when root's input is bad:
 * then every rank raises, root with the reason). */
static PyArrayObject *root_input(PyObject *obj, int root, int64_t *head)
{
    PyArrayObject *arr = NULL;
    memset(head, 0, (2 + PA_MAXDIM) * sizeof *head);
    if (pa_ctx_rank(pyp.ctx) == root) {
        pa_dtype dt;
        arr = (PyArrayObject *)PyArray_FROM_OF(obj, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_NOTSWAPPED);
        if (arr && pyp_dtype((PyObject *)PyArray_DESCR(arr), &dt) == 0) {
            int nd = PyArray_NDIM(arr);
            if (nd >= 1 && nd <= PA_MAXDIM) {
                head[0] = 1, head[1] = dt, head[2] = nd;
                for (int i = 0; i < nd; i++)
                    head[3 + i] = PyArray_DIM(arr, i);
            } else {
                PyErr_Format(PyExc_ValueError, "from_numpy: 1 to %d dimensions, not %d",
                             PA_MAXDIM, nd);
            }
        }
    }
    if (MPI_Bcast(head, 3 + PA_MAXDIM, MPI_INT64_T, root, pyp.comm) != MPI_SUCCESS) {
        Py_XDECREF(arr);
        PyErr_SetString(PyExc_RuntimeError, "parray: MPI_Bcast in from_numpy failed");
        return NULL;
    }
    if (!head[0]) {
        if (pa_ctx_rank(pyp.ctx) != root) {
            char msg[120];
            snprintf(msg, sizeof msg, "from_numpy: rank %d's ndarray cannot be scattered", root);
            pyp_raise_msg(PA_EINVAL, msg);
        }
        Py_CLEAR(arr);
        return NULL;
    }
    return arr ? arr : (PyArrayObject *)Py_NewRef(Py_None);
}

static PyObject *scatter(PyObject *obj, int root, pa_dist dist, int readonly)
{
    int64_t head[3 + PA_MAXDIM];
    if (!pyp_ctx())
        return NULL;
    if (root < 0 || root >= pa_ctx_size(pyp.ctx))
        return PyErr_Format(PyExc_ValueError, "root: a rank, 0 to %d, not %d",
                            pa_ctx_size(pyp.ctx) - 1, root);
    PyArrayObject *arr = root_input(obj, root, head);
    if (!arr)
        return NULL;
    size_t shape[PA_MAXDIM];
    for (int i = 0; i < head[2]; i++)
        shape[i] = (size_t)head[3 + i];
    pa_array *a = pyp_create((pa_dtype)head[1], (int)head[2], shape, dist);
    int rc = PA_OK;
    if (a) {
        const void *buf = (PyObject *)arr != Py_None ? PyArray_DATA(arr) : NULL;
        Py_BEGIN_ALLOW_THREADS rc = pa_array_scatter(a, root, buf);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(arr);
    PyObject *o = pyp_wrap(a);
    if (o && pyp_failed(rc))
        Py_CLEAR(o); /* the registry frees it at the next collect */
    if (o)
        ((pyp_array *)o)->readonly = readonly;
    return o;
}

static PyObject *py_from_numpy(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"array", "root", "dist", NULL};
    PyObject *obj, *dist_o = NULL;
    int root = 0;
    pa_dist dist;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|iO", kws, &obj, &root, &dist_o) ||
        pyp_dist(dist_o, &dist) < 0)
        return NULL;
    return scatter(obj, root, dist, 0);
}

static PyObject *py_replicate(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"array", "root", NULL};
    PyObject *obj;
    int root = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i", kws, &obj, &root))
        return NULL;
    return scatter(obj, root, PA_REPLICATED, 1);
}

PyObject *pyp_replicate(PyObject *o)
{
    return scatter(o, 0, PA_REPLICATED, 1);
}

PyObject *pyp_to_numpy(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kws[] = {"root", NULL};
    PyObject *root_o = NULL;
    pa_array *a = pyp_arg(self, "to_numpy");
    if (!a || !PyArg_ParseTupleAndKeywords(args, kw, "|O", kws, &root_o))
        return NULL;
    int all = root_o == Py_None, root = 0;
    if (root_o && !all && (root = PyLong_AsLong(root_o)) == -1 && PyErr_Occurred())
        return NULL;
    int rank = pa_ctx_rank(pyp.ctx);
    size_t shape[PA_MAXDIM];
    npy_intp dims[PA_MAXDIM];
    int ndim = pa_array_ndim(a);
    pa_array_shape(a, shape);
    for (int i = 0; i < ndim; i++)
        dims[i] = (npy_intp)shape[i];
    PyObject *out = NULL;
    if (all || rank == root)
        out = PyArray_Empty(ndim, dims, pyp_descr(pa_array_dtype(a)), 0);
    /* A rank whose buffer could not be had makes every rank fail here,
     * before the gather, so no rank waits in it alone. */
    int bad = (all || rank == root) && !out;
    if (MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, pyp.comm) != MPI_SUCCESS || bad) {
        Py_XDECREF(out);
        if (!PyErr_Occurred())
            pyp_raise_msg(PA_ENOMEM, "to_numpy: a rank could not allocate the result");
        return NULL;
    }
    static char unused; /* buf off root: ignored by the gather */
    void *buf = out ? PyArray_DATA((PyArrayObject *)out) : &unused;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = pa_array_gather(a, root, buf);
    Py_END_ALLOW_THREADS if (rc == PA_OK && all)
    {
        MPI_Datatype t;
        MPI_Type_contiguous((int)pa_dtype_size(pa_array_dtype(a)), MPI_BYTE, &t);
        MPI_Type_commit(&t);
        Py_BEGIN_ALLOW_THREADS if (MPI_Bcast(buf, (int)pa_array_size(a), t, root, pyp.comm) !=
                                   MPI_SUCCESS) rc = PA_EMPI;
        Py_END_ALLOW_THREADS MPI_Type_free(&t);
    }
    if (rc < 0) {
        Py_XDECREF(out);
        return pyp_raise(rc);
    }
    if (!out)
        Py_RETURN_NONE;
    return out;
}

PyMethodDef pyp_move_methods[] = {
    {"from_numpy", (PyCFunction)(void (*)(void))py_from_numpy, METH_VARARGS | METH_KEYWORDS,
     "from_numpy(array, root=0, dist='distributed'): scatter root's ndarray (collective)"},
    {"replicate", (PyCFunction)(void (*)(void))py_replicate, METH_VARARGS | METH_KEYWORDS,
     "replicate(array, root=0): a read-only node-shared table of root's ndarray (collective)"},
    {NULL, NULL, 0, NULL}};
