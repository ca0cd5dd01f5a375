/* The module parray._parray: the context (init, finalize, the communicators
 * as Fortran handles for mpi4py), errors as parray.Error, the dtype and
 * shape conversions, and the registry of arrays with the protocol that frees
 * the ones Python released (see _parray.h). */
#define PARRAY_PY_MAIN
#include "_parray.h"

pyp_state pyp = {NULL, MPI_COMM_NULL, 0, NULL};

/* Every array created and not yet freed, in ascending id order (ids grow),
 * so the list is the same on every rank up to which entries each rank has
 * released (obj NULL). */
typedef struct {
    uint64_t id;
    pa_array *a;
    pyp_array *obj; /* borrowed; NULL once Python released it */
} entry;
static entry *reg;
static size_t nreg, capreg;

static PyArray_Descr *descrs[PA_NDTYPES];

/* ------------------------------------------------------------ errors */

PyObject *pyp_raise(int code)
{
    const char *msg = pa_errmsg(pyp.ctx);
    if (!msg || !*msg)
        msg = pa_strerror(code);
    PyObject *err = PyObject_CallFunction(pyp.error ? pyp.error : PyExc_RuntimeError, "is", code,
                                          msg);
    if (err) {
        PyErr_SetObject((PyObject *)Py_TYPE(err), err);
        Py_DECREF(err);
    }
    return NULL;
}

PyObject *pyp_raise_msg(int code, const char *msg)
{
    PyObject *args = Py_BuildValue("(is)", code, msg);
    if (args) {
        PyErr_SetObject(pyp.error, args);
        Py_DECREF(args);
    }
    return NULL;
}

int pyp_failed(int rc)
{
    if (rc < 0)
        pyp_raise(rc);
    return rc < 0;
}

pa_ctx *pyp_ctx(void)
{
    if (!pyp.ctx)
        pyp_raise_msg(PA_ESTATE, "parray is not initialised: call parray.init()");
    return pyp.ctx;
}

/* ------------------------------------------------------------ conversions */

static int descrs_init(void)
{
#define PYP_DESCR_(NAME, name, T, U, KIND, numpy, ch, ...)          \
    {                                                               \
        PyObject *c = PyUnicode_FromOrdinal(ch);                    \
        if (!c || !PyArray_DescrConverter(c, &descrs[PA_##NAME])) { \
            Py_XDECREF(c);                                          \
            return -1;                                              \
        }                                                           \
        Py_DECREF(c);                                               \
    }
    PA_DTYPE_LIST(PYP_DESCR_)
#undef PYP_DESCR_
    return 0;
}

int pyp_dtype(PyObject *o, pa_dtype *dtype)
{
    PyArray_Descr *d = NULL;
    if (!PyArray_DescrConverter(o, &d))
        return -1;
    for (int i = 0; i < PA_NDTYPES; i++)
        if (PyArray_EquivTypes(d, descrs[i])) {
            Py_DECREF(d);
            *dtype = (pa_dtype)i;
            return 0;
        }
    PyErr_Format(PyExc_TypeError, "dtype %R: parray has no such dtype", (PyObject *)d);
    Py_DECREF(d);
    return -1;
}

PyArray_Descr *pyp_descr(pa_dtype dtype)
{
    Py_INCREF(descrs[dtype]);
    return descrs[dtype];
}

int pyp_shape(PyObject *o, int *ndim, size_t *shape)
{
    if (PyLong_Check(o)) {
        *ndim = 1;
        shape[0] = PyLong_AsSize_t(o);
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *seq = PySequence_Fast(o, "shape: an int or a sequence of ints");
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > PA_MAXDIM) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "shape: 1 to %d dimensions, not %zd", PA_MAXDIM, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        shape[i] = PyLong_AsSize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *ndim = (int)n;
    return 0;
}

PyObject *pyp_shape_tuple(int ndim, const size_t *shape)
{
    PyObject *t = PyTuple_New(ndim);
    for (int i = 0; t && i < ndim; i++) {
        PyObject *d = PyLong_FromSize_t(shape[i]);
        if (!d) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, d);
    }
    return t;
}

int pyp_dist(PyObject *o, pa_dist *dist)
{
    if (!o || o == Py_None || PyUnicode_Check(o)) {
        const char *s = o && o != Py_None ? PyUnicode_AsUTF8(o) : "distributed";
        if (!s)
            return -1;
        if (!strcmp(s, "distributed"))
            *dist = PA_DISTRIBUTED;
        else if (!strcmp(s, "replicated"))
            *dist = PA_REPLICATED;
        else
            s = NULL;
        if (s)
            return 0;
    }
    PyErr_Format(PyExc_ValueError, "dist: 'distributed' or 'replicated', not %R", o);
    return -1;
}

PyObject *pyp_value(const pa_value *v)
{
    switch (v->kind) {
    case 'i': return PyLong_FromLongLong(v->v.i);
    case 'u': return PyLong_FromUnsignedLongLong(v->v.u);
    case 'b': return PyBool_FromLong(v->v.u != 0);
    case 'c': return PyComplex_FromDoubles(v->v.c[0], v->v.c[1]);
    default: return PyFloat_FromDouble(v->v.f);
    }
}

/* ------------------------------------------------------------ the registry */

static int reg_add(pa_array *a, pyp_array *obj)
{
    if (nreg == capreg) {
        size_t cap = capreg ? 2 * capreg : 64;
        entry *r = PyMem_Realloc(reg, cap * sizeof *r);
        if (!r)
            return -1;
        reg = r, capreg = cap;
    }
    obj->id = pyp.next_id++;
    reg[nreg++] = (entry){obj->id, a, obj};
    return 0;
}

static entry *reg_find(uint64_t id)
{
    size_t lo = 0, hi = nreg;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (reg[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nreg && reg[lo].id == id ? &reg[lo] : NULL;
}

/* Frees entry e's array (collective: every rank frees the same id at the
 * same point) and drops e from the list. */
static int reg_free(entry *e)
{
    int rc = pa_array_free(&e->a);
    if (e->obj)
        e->obj->a = NULL;
    memmove(e, e + 1, (size_t)(reg + nreg - (e + 1)) * sizeof *e);
    nreg--;
    return rc;
}

PyObject *pyp_wrap(pa_array *a)
{
    if (!a)
        return NULL;
    pyp_array *o = PyObject_New(pyp_array, &pyp_array_type);
    if (!o || reg_add(a, o) < 0) {
        /* Every rank made this array; a rank that cannot track it frees
         * nothing (a leak is safer than a collective only some ranks make). */
        Py_XDECREF(o);
        return PyErr_NoMemory();
    }
    o->a = a;
    o->readonly = 0;
    o->nviews = 0;
    o->weakrefs = NULL;
    return (PyObject *)o;
}

void pyp_release(pa_array *a, uint64_t id)
{
    entry *e = a ? reg_find(id) : NULL;
    if (e)
        e->obj = NULL;
}

Py_ssize_t pyp_live_count(void)
{
    return (Py_ssize_t)nreg;
}

int pyp_collect(void)
{
    if (!pyp.ctx)
        return 0;
    /* Step 1: the range of ids released anywhere: max of -lo and of hi. */
    int64_t span[2] = {INT64_MIN, -1};
    for (size_t i = 0; i < nreg; i++)
        if (!reg[i].obj) {
            if (span[0] == INT64_MIN)
                span[0] = -(int64_t)reg[i].id;
            span[1] = (int64_t)reg[i].id;
        }
    if (MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_INT64_T, MPI_MAX, pyp.comm) != MPI_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "parray: MPI_Allreduce of released arrays failed");
        return -1;
    }
    if (span[1] < 0)
        return 0;
    /* Step 2: a bitmap over that range of the ids this rank released; its
     * AND over the ranks is the ids every rank released. */
    uint64_t lo = (uint64_t)-span[0], nbits = (uint64_t)span[1] - lo + 1;
    size_t nbytes = (size_t)((nbits + 7) / 8);
    unsigned char *bits = PyMem_Calloc(nbytes, 1);
    if (!bits) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < nreg; i++)
        if (!reg[i].obj && reg[i].id >= lo && reg[i].id - lo < nbits)
            bits[(reg[i].id - lo) / 8] |= (unsigned char)(1u << ((reg[i].id - lo) % 8));
    int rc = MPI_Allreduce(MPI_IN_PLACE, bits, (int)nbytes, MPI_UNSIGNED_CHAR, MPI_BAND,
                           pyp.comm);
    int first = PA_OK;
    for (size_t i = 0; rc == MPI_SUCCESS && i < nreg;) {
        uint64_t k = reg[i].id - lo;
        if (reg[i].id >= lo && k < nbits && (bits[k / 8] >> (k % 8) & 1)) {
            int r = reg_free(&reg[i]);
            if (first == PA_OK)
                first = r;
        } else {
            i++;
        }
    }
    PyMem_Free(bits);
    if (rc != MPI_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "parray: MPI_Allreduce of released arrays failed");
        return -1;
    }
    return pyp_failed(first) ? -1 : 0;
}

pa_array *pyp_create(pa_dtype dtype, int ndim, const size_t *shape, pa_dist dist)
{
    pa_ctx *ctx = pyp_ctx();
    if (!ctx || pyp_collect() < 0)
        return NULL;
    pa_array *a = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = pa_array_create(ctx, dtype, ndim, shape, dist, &a);
    Py_END_ALLOW_THREADS if (pyp_failed(rc)) return NULL;
    return a;
}

/* Frees one array at once (a.free()), collectively: every rank must have
 * made the call on the same array. A rank whose array has numpy views
 * alive refuses, and then every rank raises. */
int pyp_free_now(pyp_array *o, int views)
{
    int bad = views ? pa_ctx_rank(pyp.ctx) : INT32_MAX;
    if (MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MIN, pyp.comm) != MPI_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "parray: MPI_Allreduce in free failed");
        return -1;
    }
    if (bad != INT32_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "free: numpy views of the array are alive on rank %d; drop them first", bad);
        pyp_raise_msg(PA_ESTATE, msg);
        return -1;
    }
    entry *e = reg_find(o->id);
    return e && pyp_failed(reg_free(e)) ? -1 : 0;
}

/* ------------------------------------------------------------ the context */

static PyObject *py_init(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *fcomm = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &fcomm))
        return NULL;
    if (pyp.ctx) {
        return pyp_raise_msg(PA_ESTATE, "init: parray is already initialised");
    }
    int rc;
    if (fcomm == Py_None) {
        Py_BEGIN_ALLOW_THREADS rc = pa_init(NULL, NULL, &pyp.ctx);
        Py_END_ALLOW_THREADS
    } else {
        long f = PyLong_AsLong(fcomm);
        if (PyErr_Occurred())
            return NULL;
        MPI_Comm comm = MPI_Comm_f2c((MPI_Fint)f);
        Py_BEGIN_ALLOW_THREADS rc = pa_init_comm(comm, &pyp.ctx);
        Py_END_ALLOW_THREADS
    }
    if (pyp_failed(rc))
        return NULL;
    if (MPI_Comm_dup(pa_ctx_comm(pyp.ctx), &pyp.comm) != MPI_SUCCESS) {
        pa_finalize(&pyp.ctx);
        PyErr_SetString(PyExc_RuntimeError, "parray: MPI_Comm_dup failed");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Frees every array still held (ascending ids: the same order everywhere),
 * marks the Array objects freed, and finalises the context. */
static PyObject *py_finalize(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    if (!pyp.ctx)
        Py_RETURN_NONE;
    int first = PA_OK;
    while (nreg) {
        int r = reg_free(&reg[0]);
        if (first == PA_OK)
            first = r;
    }
    MPI_Comm_free(&pyp.comm);
    int rc = pa_finalize(&pyp.ctx);
    if (first == PA_OK)
        first = rc;
    if (first < 0)
        return pyp_raise(first);
    Py_RETURN_NONE;
}

static PyObject *comm_handle(MPI_Comm c)
{
    if (c == MPI_COMM_NULL)
        Py_RETURN_NONE;
    return PyLong_FromLong((long)MPI_Comm_c2f(c));
}

/* The communicators as Fortran handles (mpi4py's MPI.Comm.f2py takes them). */
static PyObject *py_comm_handles(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    pa_ctx *ctx = pyp_ctx();
    if (!ctx)
        return NULL;
    return Py_BuildValue("(NNN)", comm_handle(pa_ctx_comm(ctx)),
                         comm_handle(pa_ctx_node_comm(ctx)),
                         comm_handle(pa_ctx_leader_comm(ctx)));
}

static PyObject *py_layout(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    pa_ctx *ctx = pyp_ctx();
    if (!ctx)
        return NULL;
    return Py_BuildValue("{si si si si si si si ss}", "rank", pa_ctx_rank(ctx), "size",
                         pa_ctx_size(ctx), "node", pa_ctx_node(ctx), "nnodes", pa_ctx_nnodes(ctx),
                         "node_rank", pa_ctx_node_rank(ctx), "node_size", pa_ctx_node_size(ctx),
                         "emulated", pa_ctx_emulated(ctx), "hostname", pa_ctx_hostname(ctx));
}

static PyObject *py_initialized(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyBool_FromLong(pyp.ctx != NULL);
}

static PyObject *py_collect(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    if (!pyp_ctx() || pyp_collect() < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_live_arrays(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyLong_FromSsize_t(pyp_live_count());
}

static PyObject *py_abort(PyObject *self, PyObject *args)
{
    (void)self;
    int code = 1;
    if (!PyArg_ParseTuple(args, "|i", &code))
        return NULL;
    MPI_Abort(pyp.ctx ? pa_ctx_comm(pyp.ctx) : MPI_COMM_WORLD, code);
    Py_RETURN_NONE;
}

/* An allreduce of a Python-side flag: the lowest rank where ok is false,
 * or -1 when it holds everywhere (pa.agree builds on it). */
static PyObject *py_agree(PyObject *self, PyObject *args)
{
    (void)self;
    int ok;
    if (!PyArg_ParseTuple(args, "p", &ok) || !pyp_ctx())
        return NULL;
    int bad = ok ? INT32_MAX : pa_ctx_rank(pyp.ctx);
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MIN, pyp.comm);
    Py_END_ALLOW_THREADS if (rc != MPI_SUCCESS)
    {
        PyErr_SetString(PyExc_RuntimeError, "parray: MPI_Allreduce in agree failed");
        return NULL;
    }
    return PyLong_FromLong(bad == INT32_MAX ? -1 : bad);
}

static PyObject *py_set_error(PyObject *self, PyObject *cls)
{
    (void)self;
    Py_XDECREF(pyp.error);
    Py_INCREF(cls);
    pyp.error = cls;
    Py_RETURN_NONE;
}

static PyObject *py_errname(PyObject *self, PyObject *args)
{
    (void)self;
    int code;
    if (!PyArg_ParseTuple(args, "i", &code))
        return NULL;
    return PyUnicode_FromString(pa_errname(code));
}

static PyMethodDef module_methods[] = {
    {"init", py_init, METH_VARARGS, "init(fortran_comm=None): start the context (collective)"},
    {"finalize", py_finalize, METH_NOARGS, "free every array and the context (collective)"},
    {"comm_handles", py_comm_handles, METH_NOARGS, "Fortran handles of comm, node, leaders"},
    {"layout", py_layout, METH_NOARGS, "rank, size, node, ... of this rank"},
    {"initialized", py_initialized, METH_NOARGS, "whether init ran and finalize did not"},
    {"collect", py_collect, METH_NOARGS, "free the arrays every rank released (collective)"},
    {"live_arrays", py_live_arrays, METH_NOARGS, "arrays created and not yet freed here"},
    {"abort", py_abort, METH_VARARGS, "MPI_Abort the job"},
    {"agree", py_agree, METH_VARARGS, "lowest rank where the flag is false, or -1"},
    {"_set_error", py_set_error, METH_O, "the exception class"},
    {"errname", py_errname, METH_VARARGS, "a code's name"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT,
                                        "parray._parray",
                                        "libparray's C API for Python",
                                        -1,
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL,
                                        NULL};

static int add_methods(PyObject *m, PyMethodDef *defs)
{
    for (PyMethodDef *d = defs; d->ml_name; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, PyModule_GetNameObject(m));
        if (!f || PyModule_AddObject(m, d->ml_name, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
    }
    return 0;
}

PyMODINIT_FUNC PyInit__parray(void)
{
    import_array();
    pyp_linalg_init();
    if (descrs_init() < 0 || PyType_Ready(&pyp_array_type) < 0 ||
        PyType_Ready(&pyp_expr_type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    /* numpy's operators defer to Array's: np.float64(2) * a is a parray op. */
    if (PyDict_SetItemString(pyp_array_type.tp_dict, "__array_ufunc__", Py_None) < 0)
        return NULL;
    PyType_Modified(&pyp_array_type);
    Py_INCREF(&pyp_array_type);
    if (add_methods(m, module_methods) < 0 || add_methods(m, pyp_compute_methods) < 0 ||
        add_methods(m, pyp_io_methods) < 0 || add_methods(m, pyp_move_methods) < 0 ||
        add_methods(m, pyp_expr_methods) < 0 || add_methods(m, pyp_linalg_methods) < 0 ||
        add_methods(m, pyp_timing_methods) < 0 || add_methods(m, pyp_shape_methods) < 0 ||
        PyModule_AddObject(m, "Array", (PyObject *)&pyp_array_type) < 0 ||
        PyModule_AddObject(m, "Expr", Py_NewRef((PyObject *)&pyp_expr_type)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    pyp.error = PyExc_RuntimeError;
    Py_INCREF(pyp.error);
    return m;
}
