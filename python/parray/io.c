/* I/O from Python: parallel HDF5 (load_h5, a.save_h5, h5_info,
 * attributes), many files at once (load_files, a.save_files), and one big
 * .npy or CSV file (load_npy, load_csv). Every call releases the GIL. */
#include "_parray.h"

#define IO_CALL(rc, call)                   \
    do {                                    \
        Py_BEGIN_ALLOW_THREADS rc = (call); \
        Py_END_ALLOW_THREADS                \
    } while (0)

/* A new array from a loader, after the collect that creation calls make. */
#define LOAD(call)                                    \
    do {                                              \
        pa_array *out = NULL;                         \
        int rc;                                       \
        if (!pyp_ctx() || pyp_collect() < 0)          \
            return NULL;                              \
        IO_CALL(rc, call);                            \
        return pyp_failed(rc) ? NULL : pyp_wrap(out); \
    } while (0)

#define DONE(rc)            \
    do {                    \
        if (pyp_failed(rc)) \
            return NULL;    \
        Py_RETURN_NONE;     \
    } while (0)

static PyObject *py_load_h5(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"path", "dataset", "dist", "independent", NULL};
    const char *path, *ds;
    PyObject *dist_o = NULL;
    int indep = 0;
    pa_h5_opts o = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|Op", kws, &path, &ds, &dist_o, &indep) ||
        pyp_dist(dist_o, &o.dist) < 0)
        return NULL;
    o.xfer = indep ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE;
    LOAD(pa_h5_load(pyp.ctx, path, ds, &o, &out));
}

PyObject *pyp_save_h5(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kws[] = {"path",     "dataset", "chunked", "chunk_rows",  "deflate",
                          "truncate", "durable", "copy",    "independent", NULL};
    const char *path, *ds;
    int chunked = 0, indep = 0;
    Py_ssize_t chunk_rows = 0;
    pa_h5_opts o = {0};
    pa_array *a = pyp_arg(self, "save_h5");
    if (!a || !PyArg_ParseTupleAndKeywords(args, kw, "ss|pnipppp", kws, &path, &ds, &chunked,
                                           &chunk_rows, &o.deflate, &o.truncate, &o.durable,
                                           &o.copy, &indep))
        return NULL;
    o.layout = chunked ? PA_H5_CHUNKED : PA_H5_CONTIGUOUS;
    o.chunk_rows = (size_t)chunk_rows;
    o.xfer = indep ? PA_H5_INDEPENDENT : PA_H5_COLLECTIVE;
    int rc;
    IO_CALL(rc, pa_h5_save(a, path, ds, &o));
    DONE(rc);
}

static PyObject *py_h5_info(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path, *ds;
    pa_dtype dt;
    int ndim, rc;
    size_t shape[PA_MAXDIM];
    if (!PyArg_ParseTuple(args, "ss", &path, &ds) || !pyp_ctx())
        return NULL;
    IO_CALL(rc, pa_h5_info(pyp.ctx, path, ds, &dt, &ndim, shape));
    if (pyp_failed(rc))
        return NULL;
    PyObject *t = pyp_shape_tuple(ndim, shape);
    return t ? Py_BuildValue("(NN)", (PyObject *)pyp_descr(dt), t) : NULL;
}

/* set_attr(path, object, name, value): str, int (int64) or float. */
static PyObject *py_set_attr(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path, *obj, *name;
    PyObject *v;
    int rc;
    if (!PyArg_ParseTuple(args, "sssO", &path, &obj, &name, &v) || !pyp_ctx())
        return NULL;
    if (PyUnicode_Check(v)) {
        const char *s = PyUnicode_AsUTF8(v);
        if (!s)
            return NULL;
        IO_CALL(rc, pa_h5_attr_set_str(pyp.ctx, path, obj, name, s));
    } else if (PyLong_Check(v) && !PyBool_Check(v)) {
        long long i = PyLong_AsLongLong(v);
        if (PyErr_Occurred())
            return NULL;
        IO_CALL(rc, pa_h5_attr_set_int(pyp.ctx, path, obj, name, i));
    } else {
        double d = PyFloat_AsDouble(v);
        if (PyErr_Occurred())
            return NULL;
        IO_CALL(rc, pa_h5_attr_set_num(pyp.ctx, path, obj, name, d));
    }
    DONE(rc);
}

/* get_attr(path, object, name): an int for an integer attribute, a float
 * for a float one, a str for a string. The calls agree on their errors, so
 * every rank takes the same path through the three tries. */
static PyObject *py_get_attr(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path, *obj, *name;
    int rc;
    if (!PyArg_ParseTuple(args, "sss", &path, &obj, &name) || !pyp_ctx())
        return NULL;
    int64_t i;
    IO_CALL(rc, pa_h5_attr_get_int(pyp.ctx, path, obj, name, &i));
    if (rc == PA_OK)
        return PyLong_FromLongLong(i);
    if (rc != PA_EFORMAT)
        return pyp_raise(rc);
    double d;
    IO_CALL(rc, pa_h5_attr_get_num(pyp.ctx, path, obj, name, &d));
    if (rc == PA_OK)
        return PyFloat_FromDouble(d);
    if (rc != PA_EFORMAT)
        return pyp_raise(rc);
    char *s = NULL;
    IO_CALL(rc, pa_h5_attr_get_str(pyp.ctx, path, obj, name, &s));
    if (pyp_failed(rc))
        return NULL;
    PyObject *r = PyUnicode_FromString(s);
    free(s);
    return r;
}

static int format_of(const char *name, pa_format *f)
{
    static const char *names[] = {"auto", "npy", "csv", "raw", "h5"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, names[i])) {
            *f = (pa_format)i;
            return 0;
        }
    PyErr_Format(PyExc_ValueError, "format: auto, npy, csv, raw or h5, not '%s'", name);
    return -1;
}

/* The options of the many-files calls that Python passes by keyword. */
static int files_opts(PyObject *dtype_o, PyObject *shape_o, const char *dataset, int threads,
                      int job, pa_files_opts *o)
{
    o->dataset = dataset;
    o->threads = threads;
    o->place = job ? PA_PLACE_JOB : PA_PLACE_NODE;
    if (dtype_o && dtype_o != Py_None && pyp_dtype(dtype_o, &o->dtype) < 0)
        return -1;
    if (shape_o && shape_o != Py_None && pyp_shape(shape_o, &o->ndim, o->shape) < 0)
        return -1;
    return 0;
}

static PyObject *py_load_files(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"paths",   "format",  "dtype",     "shape",
                          "dataset", "threads", "place_job", NULL};
    PyObject *paths_o, *dtype_o = NULL, *shape_o = NULL;
    const char *fmt = "auto", *dataset = NULL;
    int threads = 0, job = 0;
    pa_format f;
    pa_files_opts o = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|sOOzip", kws, &paths_o, &fmt, &dtype_o,
                                     &shape_o, &dataset, &threads, &job) ||
        format_of(fmt, &f) < 0 || files_opts(dtype_o, shape_o, dataset, threads, job, &o) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(paths_o, "load_files: paths is a sequence of str");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **paths = PyMem_Calloc(n ? (size_t)n : 1, sizeof *paths);
    PyObject *r = NULL;
    for (Py_ssize_t i = 0; paths && i < n; i++)
        if (!(paths[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i))))
            goto out;
    if (!paths) {
        PyErr_NoMemory();
        goto out;
    }
    if (pyp_ctx() && pyp_collect() == 0) {
        pa_array *a = NULL;
        int rc;
        IO_CALL(rc, pa_load_files(pyp.ctx, paths, (size_t)n, f, &o, &a));
        r = pyp_failed(rc) ? NULL : pyp_wrap(a);
    }
out:
    PyMem_Free(paths);
    Py_DECREF(seq);
    return r;
}

PyObject *pyp_save_files(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kws[] = {"pattern", "format", "dataset", "durable", "big_endian", NULL};
    const char *pattern, *fmt = "auto", *dataset = NULL;
    pa_format f;
    pa_files_opts o = {0};
    pa_array *a = pyp_arg(self, "save_files");
    if (!a ||
        !PyArg_ParseTupleAndKeywords(args, kw, "s|szpp", kws, &pattern, &fmt, &dataset,
                                     &o.durable, &o.big_endian) ||
        format_of(fmt, &f) < 0)
        return NULL;
    o.dataset = dataset;
    int rc;
    IO_CALL(rc, pa_save_files(a, pattern, f, &o));
    DONE(rc);
}

static PyObject *py_load_npy(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    LOAD(pa_load_npy(pyp.ctx, path, NULL, &out));
}

static PyObject *py_load_csv(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"path", "dtype", "delimiter", "header", NULL};
    const char *path;
    PyObject *dtype_o = NULL;
    int delim = 0, header = 0;
    pa_files_opts o = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|OCp", kws, &path, &dtype_o, &delim, &header) ||
        files_opts(dtype_o, NULL, NULL, 0, 0, &o) < 0)
        return NULL;
    o.delimiter = (char)delim;
    o.header = header;
    LOAD(pa_load_csv(pyp.ctx, path, &o, &out));
}

#define KW_ METH_VARARGS | METH_KEYWORDS
#define FN_(f) (PyCFunction)(void (*)(void))(f)
PyMethodDef pyp_io_methods[] = {
    {"load_h5", FN_(py_load_h5), KW_, "load_h5(path, dataset, dist=..., independent=False)"},
    {"h5_info", py_h5_info, METH_VARARGS, "h5_info(path, dataset): (dtype, shape)"},
    {"set_attr", py_set_attr, METH_VARARGS, "set_attr(path, object, name, value)"},
    {"get_attr", py_get_attr, METH_VARARGS, "get_attr(path, object, name)"},
    {"load_files", FN_(py_load_files), KW_, "load_files(paths, format='auto', ...)"},
    {"load_npy", py_load_npy, METH_VARARGS, "load_npy(path): one .npy read by every rank"},
    {"load_csv", FN_(py_load_csv), KW_, "load_csv(path, dtype=float64, ...)"},
    {NULL, NULL, 0, NULL}};
