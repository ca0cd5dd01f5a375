/* Linear algebra and the machine from Python: matmul (and @), solve,
 * cholesky, eigh, lstsq with new outputs, the BLAS thread plan, and
 * pa.info(), the facts of `parray info --json` that the public API gives,
 * gathered over the ranks. */
#include "_parray.h"

/* A new array of dtype like a's, shape (d0[, d1]), distributed as dist. */
static PyObject *output(pa_array *like, int ndim, size_t d0, size_t d1, pa_dist dist)
{
    size_t shape[2] = {d0, d1};
    return pyp_wrap(pyp_create(pa_array_dtype(like), ndim, shape, dist));
}

#define LINALG_CALL(out, call)                                  \
    do {                                                        \
        int rc;                                                 \
        Py_BEGIN_ALLOW_THREADS rc = (call);                     \
        Py_END_ALLOW_THREADS if (pyp_failed(rc)) Py_CLEAR(out); \
    } while (0)

static size_t dim(pa_array *a, int i)
{
    size_t shape[PA_MAXDIM];
    pa_array_shape(a, shape);
    return i < pa_array_ndim(a) ? shape[i] : 1;
}

/* A @ B: C has A's distribution (replicated when A is), A's rows and B's
 * columns; a 1-D B is a vector (pa_matvec). */
static PyObject *matmul(PyObject *x, PyObject *y)
{
    pa_array *A = pyp_arg(x, "matmul"), *B = A ? pyp_arg(y, "matmul") : NULL;
    if (!B)
        return NULL;
    int vec = pa_array_ndim(B) == 1;
    PyObject *C = output(A, vec ? 1 : 2, dim(A, 0), dim(B, 1), pa_array_dist(A));
    if (!C)
        return NULL;
    pa_array *c = ((pyp_array *)C)->a;
    LINALG_CALL(C, vec ? pa_matvec(c, A, B, NULL) : pa_matmul(c, A, B, NULL));
    return C;
}

static PyObject *nb_matmul(PyObject *x, PyObject *y)
{
    if (!PyObject_TypeCheck(x, &pyp_array_type) || !PyObject_TypeCheck(y, &pyp_array_type))
        Py_RETURN_NOTIMPLEMENTED;
    return matmul(x, y);
}

static PyObject *py_matmul(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *x, *y;
    if (!PyArg_ParseTuple(args, "OO", &x, &y))
        return NULL;
    return matmul(x, y);
}

/* X of A's columns and B's right-hand sides (B 1-D: a vector). */
static PyObject *solver(PyObject *args, const char *what,
                        int (*f)(pa_array *, pa_array *, pa_array *))
{
    PyObject *x, *y;
    if (!PyArg_ParseTuple(args, "OO", &x, &y))
        return NULL;
    pa_array *A = pyp_arg(x, what), *B = A ? pyp_arg(y, what) : NULL;
    if (!B)
        return NULL;
    int nd = pa_array_ndim(B);
    PyObject *X = output(A, nd, dim(A, 1), dim(B, 1), PA_REPLICATED);
    if (!X)
        return NULL;
    LINALG_CALL(X, f(((pyp_array *)X)->a, A, B));
    return X;
}

static PyObject *py_solve(PyObject *self, PyObject *args)
{
    (void)self;
    return solver(args, "solve", pa_solve);
}

static PyObject *py_lstsq(PyObject *self, PyObject *args)
{
    (void)self;
    return solver(args, "lstsq", pa_lstsq);
}

static PyObject *py_cholesky(PyObject *self, PyObject *x)
{
    (void)self;
    pa_array *A = pyp_arg(x, "cholesky");
    if (!A)
        return NULL;
    PyObject *L = output(A, 2, dim(A, 0), dim(A, 1), PA_REPLICATED);
    if (!L)
        return NULL;
    LINALG_CALL(L, pa_cholesky(((pyp_array *)L)->a, A));
    return L;
}

/* (w, V) as numpy.linalg.eigh. */
static PyObject *py_eigh(PyObject *self, PyObject *x)
{
    (void)self;
    pa_array *A = pyp_arg(x, "eigh");
    if (!A)
        return NULL;
    PyObject *w = output(A, 1, dim(A, 0), 0, PA_REPLICATED);
    PyObject *V = w ? output(A, 2, dim(A, 0), dim(A, 1), PA_REPLICATED) : NULL;
    if (!V) {
        Py_XDECREF(w);
        return NULL;
    }
    LINALG_CALL(w, pa_eigh(((pyp_array *)w)->a, ((pyp_array *)V)->a, A));
    if (!w) {
        Py_DECREF(V);
        return NULL;
    }
    return Py_BuildValue("(NN)", w, V);
}

static PyObject *cpu_list(const pa_ctx *ctx, pa_cores_kind kind)
{
    int n = pa_blas_plan_cores(ctx, kind, NULL, 0);
    int *cpus = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof *cpus);
    if (!cpus)
        return PyErr_NoMemory();
    pa_blas_plan_cores(ctx, kind, cpus, n);
    PyObject *l = PyList_New(n > 0 ? n : 0);
    for (int i = 0; l && i < n; i++)
        PyList_SET_ITEM(l, i, PyLong_FromLong(cpus[i]));
    PyMem_Free(cpus);
    return l;
}

/* This rank's plan: pa_blas_plan's fields, its CPU lists and warnings. */
static PyObject *py_blas_plan(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    pa_ctx *ctx = pyp_ctx();
    pa_blas_plan p;
    if (!ctx || pyp_failed(pa_blas_plan_get(ctx, &p)))
        return NULL;
    PyObject *warn = PyList_New(0);
    for (int b = 0; warn && b < PA_BLAS_NWARN; b++)
        if (p.warnings & (1 << b)) {
            PyObject *s = PyUnicode_FromString(pa_blas_warning_text(1 << b));
            if (!s || PyList_Append(warn, s) < 0)
                Py_CLEAR(warn);
            Py_XDECREF(s);
        }
    return Py_BuildValue("{si si si si si si si si si si si sN sN sN sN ss si}", "threads",
                         p.threads, "threads_in_effect", p.threads_in_effect, "threads_default",
                         p.threads_default, "keep", p.keep, "applied", p.applied, "host_rank",
                         p.host_rank, "host_size", p.host_size, "nallowed", p.nallowed, "nshare",
                         p.nshare, "nlaunch", p.nlaunch, "nnode", p.nnode, "share",
                         cpu_list(ctx, PA_CORES_SHARE), "launch", cpu_list(ctx, PA_CORES_LAUNCH),
                         "node", cpu_list(ctx, PA_CORES_NODE), "warnings", warn, "blas_config",
                         pa_blas_config(), "blas_parallel", pa_blas_parallel());
}

/* One rank's row of pa.info()'s rank_list. */
static PyObject *rank_row(pa_ctx *ctx)
{
    PyObject *plan = py_blas_plan(NULL, NULL);
    if (!plan)
        return NULL;
    return Py_BuildValue("{si si si ss sN}", "rank", pa_ctx_rank(ctx), "node", pa_ctx_node(ctx),
                         "node_rank", pa_ctx_node_rank(ctx), "hostname", pa_ctx_hostname(ctx),
                         "blas", plan);
}

/* Collective. pa.info(): the job's layout and every rank's plan, on every
 * rank (each rank's row is pickled by Python and gathered here as bytes). */
static PyObject *py_info_rows(PyObject *self, PyObject *dumps)
{
    (void)self;
    pa_ctx *ctx = pyp_ctx();
    if (!ctx)
        return NULL;
    PyObject *row = rank_row(ctx);
    PyObject *bytes = row ? PyObject_CallOneArg(dumps, row) : NULL;
    Py_XDECREF(row);
    /* A rank that failed still takes part, with an empty row. */
    int len = bytes ? (int)PyBytes_GET_SIZE(bytes) : 0, size = pa_ctx_size(ctx);
    int *lens = PyMem_Calloc((size_t)size, sizeof *lens),
        *offs = PyMem_Calloc((size_t)size, sizeof *offs);
    PyObject *rows = NULL;
    char *all = NULL;
    if (!lens || !offs)
        goto out;
    if (MPI_Allgather(&len, 1, MPI_INT, lens, 1, MPI_INT, pyp.comm) != MPI_SUCCESS)
        goto out;
    size_t total = 0;
    for (int r = 0; r < size; r++)
        offs[r] = (int)total, total += (size_t)lens[r];
    if (!(all = PyMem_Malloc(total ? total : 1)))
        goto out;
    if (MPI_Allgatherv(bytes ? PyBytes_AS_STRING(bytes) : "", len, MPI_BYTE, all, lens, offs,
                       MPI_BYTE, pyp.comm) != MPI_SUCCESS)
        goto out;
    rows = PyList_New(size);
    for (int r = 0; rows && r < size; r++)
        PyList_SET_ITEM(rows, r, PyBytes_FromStringAndSize(all + offs[r], lens[r]));
out:
    PyMem_Free(all);
    PyMem_Free(lens);
    PyMem_Free(offs);
    Py_XDECREF(bytes);
    if (!rows && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "parray: info: MPI failed");
    return rows;
}

static PyObject *py_h5_settings(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    unsigned long long thr, align;
    MPI_Info hints;
    if (!pyp_ctx() || pyp_failed(pa_h5_settings(pyp.ctx, &thr, &align, &hints)))
        return NULL;
    PyObject *h = PyDict_New();
    int n = 0;
    if (h && hints != MPI_INFO_NULL)
        MPI_Info_get_nkeys(hints, &n);
    for (int i = 0; h && i < n; i++) {
        char key[MPI_MAX_INFO_KEY + 1], val[1024];
        int flag;
        MPI_Info_get_nthkey(hints, i, key);
        MPI_Info_get(hints, key, sizeof val - 1, val, &flag);
        PyObject *v = PyUnicode_FromString(flag ? val : "");
        if (!v || PyDict_SetItemString(h, key, v) < 0)
            Py_CLEAR(h);
        Py_XDECREF(v);
    }
    return Py_BuildValue("{s{sKsK}sN}", "h5_align", "threshold", thr, "alignment", align,
                         "mpiio_hints", h);
}

PyMethodDef pyp_linalg_methods[] = {
    {"matmul", py_matmul, METH_VARARGS, "matmul(A, B): A @ B (collective)"},
    {"solve", py_solve, METH_VARARGS, "solve(A, B): X of A X = B, replicated (collective)"},
    {"lstsq", py_lstsq, METH_VARARGS, "lstsq(A, B): least squares X, replicated (collective)"},
    {"cholesky", py_cholesky, METH_O, "cholesky(A): lower L, A = L L^T (collective)"},
    {"eigh", py_eigh, METH_O, "eigh(A): (w, V) as numpy.linalg.eigh (collective)"},
    {"blas_plan", py_blas_plan, METH_NOARGS, "this rank's BLAS thread plan (not collective)"},
    {"info_rows", py_info_rows, METH_O, "every rank's row, pickled by the given dumps"},
    {"h5_settings", py_h5_settings, METH_NOARGS, "PARRAY_H5_ALIGN and PARRAY_MPIIO_HINTS"},
    {NULL, NULL, 0, NULL}};

/* Called by module init: @ on arrays. */
void pyp_linalg_init(void)
{
    pyp_array_as_number.nb_matrix_multiply = nb_matmul;
}
