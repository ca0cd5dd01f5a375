/* The C side of the per-call figures of `python -m parray.bench`: a loop of
 * the library calls that pa.eval (pa_expr_eval of its compiled text) and
 * Array.sum (pa_reduce_value) make, run from C, so that the bench times
 * both loops side by side in one run and the difference is what the step
 * from Python costs. For the bench only. */
#include "_parray.h"

/* calls of e (z = a*b + c) when e is given, else of the sum of a into *v. */
static int loop(pa_expr *e, Py_ssize_t calls, const pa_binding *bind, pa_value *v)
{
    int rc = PA_OK;
    for (Py_ssize_t i = 0; i < calls && rc == PA_OK; i++)
        rc = e ? pa_expr_eval(e, bind, 4) : pa_reduce_value(bind[1].array, PA_RED_SUM, -1, v);
    return rc;
}

static PyObject *py_c_loop(PyObject *self, PyObject *args)
{
    (void)self;
    const char *what;
    Py_ssize_t calls;
    PyObject *zo, *ao, *bo, *co;
    if (!PyArg_ParseTuple(args, "snOOOO", &what, &calls, &zo, &ao, &bo, &co))
        return NULL;
    pa_array *z = pyp_arg(zo, "z"), *a = z ? pyp_arg(ao, "a") : NULL;
    pa_array *b = a ? pyp_arg(bo, "b") : NULL, *c = b ? pyp_arg(co, "c") : NULL;
    if (!c)
        return NULL;
    int eval = !strcmp(what, "eval");
    if (!eval && strcmp(what, "sum"))
        return PyErr_Format(PyExc_ValueError, "_c_loop: 'eval' or 'sum', not '%s'", what);
    if (calls < 1)
        return PyErr_Format(PyExc_ValueError, "_c_loop: calls must be 1 or more");
    pa_binding bind[] = {PA_BIND_ARRAY("z", z), PA_BIND_ARRAY("a", a), PA_BIND_ARRAY("b", b),
                         PA_BIND_ARRAY("c", c)};
    pa_expr *e = NULL;
    pa_value v;
    int rc = eval ? pa_expr_compile(pyp.ctx, "z = a*b + c", &e) : PA_OK;
    if (rc == PA_OK)
        PYP_LONG_CALL(1, rc, loop(e, calls, bind, &v));
    pa_expr_free(&e);
    if (pyp_failed(rc))
        return NULL;
    return eval ? Py_NewRef(Py_None) : pyp_value(&v);
}

PyMethodDef pyp_timing_methods[] = {
    {"_c_loop", py_c_loop, METH_VARARGS,
     "_c_loop(what, calls, z, a, b, c): calls of pa_expr_eval of 'z = a*b + c' ('eval') or "
     "of pa_reduce_value sum of a ('sum') from C, for the bench (collective)"},
    {NULL, NULL, 0, NULL}};
