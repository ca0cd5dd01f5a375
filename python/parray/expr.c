/* Fused expressions from Python: pa.eval("r = sqrt(x*x + y*y)", x=a, y=b)
 * and pa.compile(text), an Expr called with the same keywords. Keywords
 * bind the expression's names to arrays, to numbers or to numpy arrays
 * (replicated for the call, as the operators do); an output name left
 * unbound gets a new array of the expression's dtype (numpy's promotion,
 * as the library computes it) and the broadcast shape of the arrays it
 * reads. */
#include "_parray.h"

typedef struct {
    PyObject_HEAD pa_expr *e;
} pyp_expr;

/* Most bindings one call takes: the library reads at most 64 names. */
#define MAXBIND 72

/* Binds name to value; a numpy array becomes the replicated *tmp. */
static int bind_one(PyObject *name, PyObject *value, pa_binding *b, PyObject **tmp)
{
    if (!(b->name = PyUnicode_AsUTF8(name)))
        return -1;
    b->array = NULL;
    if (pyp_is_ndarray_operand(value))
        return pyp_ndarray_operand(value, tmp, &b->array, b->name);
    if (PyObject_TypeCheck(value, &pyp_array_type)) {
        b->array = pyp_arg(value, b->name);
        return b->array ? 0 : -1;
    }
    b->value = PyFloat_AsDouble(value);
    if (PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "eval: %s: a parray.Array, a numpy array or a number",
                     b->name);
        return -1;
    }
    return 0;
}

static const pa_binding *find(const pa_binding *b, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(b[i].name, name))
            return &b[i];
    return NULL;
}

/* A new output array for e when its output name is unbound, or NULL with
 * the error raised (or with none, when some input name is unbound: the
 * library's eval then names it). */
static PyObject *new_output(pa_expr *e, const pa_binding *b, int n)
{
    int nn = pa_expr_nnames(e), narrays = 0;
    pa_dtype dts[64];
    double vals[64];
    pa_array *arrays[64];
    for (int i = 0; i < nn; i++) {
        const pa_binding *x = find(b, n, pa_expr_name(e, i));
        if (!x)
            return NULL;
        dts[i] = x->array ? pa_array_dtype(x->array) : PA_EXPR_SCALAR;
        vals[i] = x->value;
        if (x->array)
            arrays[narrays++] = x->array;
    }
    if (!narrays) {
        pyp_raise_msg(PA_EINVAL, "eval: no array operand to shape the output");
        return NULL;
    }
    int ndim;
    size_t shape[PA_MAXDIM];
    pa_dist dist;
    pa_dtype dt;
    if (pyp_failed(pa_expr_dtype(e, dts, vals, &dt)) ||
        pyp_broadcast_out(arrays, narrays, &ndim, shape, &dist) < 0)
        return NULL;
    return pyp_wrap(pyp_create(dt, ndim, shape, dist));
}

/* Evaluates e with kw's bindings; returns the output array. */
static PyObject *run(pa_expr *e, PyObject *kw)
{
    pa_binding b[MAXBIND];
    PyObject *tmps[MAXBIND] = {NULL};
    int n = 0;
    PyObject *name, *value, *out = NULL;
    Py_ssize_t pos = 0;
    if (kw && PyDict_GET_SIZE(kw) >= MAXBIND - 1)
        return PyErr_Format(PyExc_ValueError, "eval: at most %d names", MAXBIND - 2);
    while (kw && PyDict_Next(kw, &pos, &name, &value)) {
        if (bind_one(name, value, &b[n], &tmps[n]) < 0)
            goto done;
        n++;
    }
    const char *oname = pa_expr_output(e);
    const pa_binding *ob = find(b, n, oname);
    size_t size = 0;
    if (ob && tmps[ob - b]) {
        PyErr_Format(PyExc_TypeError, "eval: the output %s: a parray.Array, not a numpy array",
                     oname);
        goto done;
    } else if (ob) {
        out = ob->array ? Py_NewRef(PyDict_GetItemString(kw, oname)) : NULL;
    } else {
        out = new_output(e, b, n);
        if (PyErr_Occurred())
            goto done;
        if (out)
            b[n++] = (pa_binding){oname, ((pyp_array *)out)->a, 0};
    }
    for (int i = 0; i < n; i++)
        if (b[i].array)
            size = pa_array_size(b[i].array);
    int rc;
    PYP_LONG_CALL(PYP_BIG(size), rc, pa_expr_eval(e, b, n));
    if (pyp_failed(rc))
        Py_CLEAR(out);
    else if (!out)
        out = Py_NewRef(Py_None);
done:
    if (pyp_free_operands(tmps, MAXBIND, out != NULL) < 0)
        Py_CLEAR(out);
    return out;
}

/* The compiled expressions of pa.eval, by text, so that a loop pays the
 * compile once; cleared when it holds 256. */
static PyObject *cache;

static PyObject *compile(PyObject *text_o)
{
    const char *text = PyUnicode_AsUTF8(text_o);
    if (!text || !pyp_ctx())
        return NULL;
    pyp_expr *o = PyObject_New(pyp_expr, &pyp_expr_type);
    if (!o)
        return NULL;
    o->e = NULL;
    if (pyp_failed(pa_expr_compile(pyp.ctx, text, &o->e)))
        Py_CLEAR(o);
    return (PyObject *)o;
}

static PyObject *py_eval(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text))
        return NULL;
    if (!cache && !(cache = PyDict_New()))
        return NULL;
    PyObject *e = PyDict_GetItemWithError(cache, text);
    if (!e) {
        if (PyErr_Occurred() || !(e = compile(text)))
            return NULL;
        if (PyDict_GET_SIZE(cache) >= 256)
            PyDict_Clear(cache);
        int r = PyDict_SetItem(cache, text, e);
        Py_DECREF(e);
        if (r < 0)
            return NULL;
    }
    return run(((pyp_expr *)e)->e, kw);
}

static PyObject *py_compile(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text))
        return NULL;
    return compile(text);
}

static PyObject *expr_call(PyObject *self, PyObject *args, PyObject *kw)
{
    if (PyTuple_GET_SIZE(args))
        return PyErr_Format(PyExc_TypeError, "Expr: bind the names by keyword");
    return run(((pyp_expr *)self)->e, kw);
}

static PyObject *expr_names(PyObject *self, void *closure)
{
    (void)closure;
    pa_expr *e = ((pyp_expr *)self)->e;
    int n = pa_expr_nnames(e);
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++)
        PyTuple_SET_ITEM(t, i, PyUnicode_FromString(pa_expr_name(e, i)));
    return t;
}

static PyObject *expr_output(PyObject *self, void *closure)
{
    (void)closure;
    return PyUnicode_FromString(pa_expr_output(((pyp_expr *)self)->e));
}

static void expr_dealloc(PyObject *self)
{
    pa_expr_free(&((pyp_expr *)self)->e);
    Py_TYPE(self)->tp_free(self);
}

static PyGetSetDef expr_getset[] = {
    {"names", expr_names, NULL, "the names the expression reads", NULL},
    {"output", expr_output, NULL, "the output name", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pyp_expr_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "parray.Expr",
    .tp_basicsize = sizeof(pyp_expr),
    .tp_dealloc = expr_dealloc,
    .tp_call = expr_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A compiled expression: call it with the names bound by keyword (collective)",
    .tp_getset = expr_getset,
};

PyMethodDef pyp_expr_methods[] = {
    {"eval", (PyCFunction)(void (*)(void))py_eval, METH_VARARGS | METH_KEYWORDS,
     "eval(text, **names): evaluate 'out = expr' (collective); returns the output array"},
    {"compile", py_compile, METH_VARARGS, "compile(text): an Expr (not collective)"},
    {NULL, NULL, 0, NULL}};
