/* Computing from Python: the creation calls (empty, zeros, full, arange,
 * linspace, the random arrays), the operators of Array (each one compiled
 * expression of the library, so dtypes follow its numpy promotion), and the
 * reductions, which return Python scalars (exact ints for integer dtypes). */
#include "_parray.h"
#include <math.h>

/* ------------------------------------------------------------ creation */

/* Parses (shape, dtype, dist) from kw-able arguments and creates the array. */
static PyObject *create(PyObject *shape_o, PyObject *dtype_o, PyObject *dist_o, pa_dtype def)
{
    int ndim;
    size_t shape[PA_MAXDIM];
    pa_dtype dt = def;
    pa_dist dist;
    if (pyp_shape(shape_o, &ndim, shape) < 0 ||
        (dtype_o && dtype_o != Py_None && pyp_dtype(dtype_o, &dt) < 0) ||
        pyp_dist(dist_o, &dist) < 0)
        return NULL;
    return pyp_wrap(pyp_create(dt, ndim, shape, dist));
}

/* Runs fill over o's array (a new array: on failure it is dropped and
 * freed at the next collect) and returns o, or NULL. */
#define FILL(o, rc_expr)                                         \
    do {                                                         \
        if (!(o))                                                \
            return NULL;                                         \
        pa_array *a = ((pyp_array *)(o))->a;                     \
        int rc;                                                  \
        PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc, (rc_expr)); \
        if (pyp_failed(rc))                                      \
            Py_CLEAR(o);                                         \
        return (o);                                              \
    } while (0)

static PyObject *py_empty(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"shape", "dtype", "dist", NULL};
    PyObject *shape, *dtype = NULL, *dist = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO", kws, &shape, &dtype, &dist))
        return NULL;
    return create(shape, dtype, dist, PA_F64);
}

static PyObject *py_full(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"shape", "fill_value", "dtype", "dist", NULL};
    PyObject *shape, *dtype = NULL, *dist = NULL;
    double v;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Od|OO", kws, &shape, &v, &dtype, &dist))
        return NULL;
    PyObject *o = create(shape, dtype, dist, PA_F64);
    FILL(o, pa_full(a, v));
}

static PyObject *py_ones(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"shape", "dtype", "dist", NULL};
    PyObject *shape, *dtype = NULL, *dist = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO", kws, &shape, &dtype, &dist))
        return NULL;
    PyObject *o = create(shape, dtype, dist, PA_F64);
    FILL(o, pa_ones(a));
}

/* numpy.arange(start, stop, step): ceil((stop - start) / step) elements,
 * i64 when every argument is an int, else f64. */
static PyObject *py_arange(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"start", "stop", "step", "dtype", "dist", NULL};
    PyObject *o_start, *o_stop = Py_None, *o_step = NULL, *dtype = NULL, *dist = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOO", kws, &o_start, &o_stop, &o_step, &dtype,
                                     &dist))
        return NULL;
    if (o_stop == Py_None)
        o_stop = o_start, o_start = NULL;
    int ints = PyLong_Check(o_stop) && (!o_start || PyLong_Check(o_start)) &&
               (!o_step || PyLong_Check(o_step));
    double start = o_start ? PyFloat_AsDouble(o_start) : 0, stop = PyFloat_AsDouble(o_stop);
    double step = o_step ? PyFloat_AsDouble(o_step) : 1;
    if (PyErr_Occurred())
        return NULL;
    if (step == 0)
        return PyErr_Format(PyExc_ValueError, "arange: step is 0");
    double n = ceil((stop - start) / step);
    PyObject *shape = PyLong_FromDouble(n > 0 ? n : 0);
    if (!shape)
        return NULL;
    PyObject *o = create(shape, dtype, dist, ints ? PA_I64 : PA_F64);
    Py_DECREF(shape);
    FILL(o, pa_arange(a, start, step));
}

static PyObject *py_linspace(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"start", "stop", "num", "endpoint", "dtype", "dist", NULL};
    double start, stop;
    PyObject *num = NULL, *dtype = NULL, *dist = NULL;
    int endpoint = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "dd|OpOO", kws, &start, &stop, &num, &endpoint,
                                     &dtype, &dist))
        return NULL;
    PyObject *n = num ? Py_NewRef(num) : PyLong_FromLong(50);
    PyObject *o = create(n, dtype, dist, PA_F64);
    Py_DECREF(n);
    FILL(o, pa_linspace(a, start, stop, endpoint));
}

/* The random calls: (shape, two parameters, dtype, seed, stream, dist). */
static PyObject *random_create(PyObject *args, PyObject *kw, const char *p1, const char *p2,
                               PyObject **v1, PyObject **v2, unsigned long long *seed,
                               unsigned long long *stream, pa_dtype def)
{
    char *kws[] = {"shape", (char *)p1, (char *)p2, "dtype", "seed", "stream", "dist", NULL};
    PyObject *shape, *dtype = NULL, *dist = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOKKO", kws, &shape, v1, v2, &dtype, seed,
                                     stream, &dist))
        return NULL;
    return create(shape, dtype, dist, def);
}

/* uniform and normal: two float parameters with defaults d1 and d2. */
static PyObject *random_floats(PyObject *args, PyObject *kw, const char *p1, const char *p2,
                               double d1, double d2,
                               int (*fill)(pa_array *, uint64_t, uint64_t, double, double))
{
    PyObject *v1 = NULL, *v2 = NULL;
    unsigned long long seed = 0, stream = 0;
    PyObject *o = random_create(args, kw, p1, p2, &v1, &v2, &seed, &stream, PA_F64);
    double x1 = v1 ? PyFloat_AsDouble(v1) : d1, x2 = v2 ? PyFloat_AsDouble(v2) : d2;
    if (PyErr_Occurred())
        Py_CLEAR(o);
    FILL(o, fill(a, seed, stream, x1, x2));
}

static PyObject *py_random_uniform(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return random_floats(args, kw, "low", "high", 0, 1, pa_random_uniform);
}

static PyObject *py_random_normal(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return random_floats(args, kw, "mean", "std", 0, 1, pa_random_normal);
}

/* Integers in [low, high); a high past int64 (u64's upper range) goes
 * through pa_random_unsigned, whose range includes its last value. */
static PyObject *py_random_integers(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    PyObject *lo = NULL, *hi = NULL;
    unsigned long long seed = 0, stream = 0;
    PyObject *o = random_create(args, kw, "low", "high", &lo, &hi, &seed, &stream, PA_I64);
    if (o && (!lo || !hi)) {
        Py_CLEAR(o);
        PyErr_SetString(PyExc_TypeError, "integers: low and high are needed");
    }
    if (!o)
        return NULL;
    int overflow;
    long long h = PyLong_AsLongLongAndOverflow(hi, &overflow);
    if (overflow > 0) {
        PyObject *one = PyLong_FromLong(1), *last = one ? PyNumber_Subtract(hi, one) : NULL;
        unsigned long long ul = PyLong_AsUnsignedLongLong(lo);
        unsigned long long ulast = last ? PyLong_AsUnsignedLongLong(last) : 0;
        Py_XDECREF(one);
        Py_XDECREF(last);
        if (PyErr_Occurred())
            Py_CLEAR(o);
        FILL(o, pa_random_unsigned(a, seed, stream, ul, ulast));
    }
    long long l = PyLong_AsLongLong(lo);
    if (PyErr_Occurred())
        Py_CLEAR(o);
    FILL(o, pa_random_integers(a, seed, stream, l, h));
}

static PyObject *py_random_bool(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"shape", "p", "seed", "stream", "dist", NULL};
    PyObject *shape, *dist = NULL;
    double p = 0.5;
    unsigned long long seed = 0, stream = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|dKKO", kws, &shape, &p, &seed, &stream, &dist))
        return NULL;
    PyObject *o = create(shape, NULL, dist, PA_BOOL);
    FILL(o, pa_random_bool(a, seed, stream, p));
}

PyObject *pyp_astype(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kws[] = {"dtype", NULL};
    PyObject *dtype_o;
    pa_dtype dt;
    pa_array *src = pyp_arg(self, "astype");
    if (!src || !PyArg_ParseTupleAndKeywords(args, kw, "O", kws, &dtype_o) ||
        pyp_dtype(dtype_o, &dt) < 0)
        return NULL;
    size_t shape[PA_MAXDIM];
    pa_array_shape(src, shape);
    PyObject *o = pyp_wrap(pyp_create(dt, pa_array_ndim(src), shape, pa_array_dist(src)));
    FILL(o, pa_astype(a, src));
}

PyObject *pyp_copy(PyObject *self, PyObject *noargs)
{
    (void)noargs;
    pa_array *src = pyp_arg(self, "copy");
    if (!src)
        return NULL;
    size_t shape[PA_MAXDIM];
    pa_array_shape(src, shape);
    PyObject *o = pyp_wrap(
        pyp_create(pa_array_dtype(src), pa_array_ndim(src), shape, pa_array_dist(src)));
    FILL(o, pa_copy(a, src));
}

/* ------------------------------------------------------------ operators */

/* Each operator is one expression over the names a and b; a scalar operand
 * is bound as a scalar, which the library treats as numpy treats a Python
 * scalar (NEP 50). True division computes in a float dtype as numpy's /
 * does (a*1.0 is a itself for floats, f64 for integers); floor division
 * is floor(a / b) (floor is the identity on integers, whose / floors). */
enum {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_TDIV,
    OP_FDIV,
    OP_MOD,
    OP_POW,
    OP_LSH,
    OP_RSH,
    OP_AND,
    OP_OR,
    OP_XOR,
    OP_LT,
    OP_LE,
    OP_EQ,
    OP_NE,
    OP_GT,
    OP_GE,
    NOPS
};
static const char *op_text[NOPS] = {"r = a + b",
                                    "r = a - b",
                                    "r = a * b",
                                    "r = (a * 1.0) / b",
                                    "r = floor(a / b)",
                                    "r = a % b",
                                    "r = a ** b",
                                    "r = a << b",
                                    "r = a >> b",
                                    "r = bitwise_and(a, b)",
                                    "r = bitwise_or(a, b)",
                                    "r = bitwise_xor(a, b)",
                                    "r = a < b",
                                    "r = a <= b",
                                    "r = a == b",
                                    "r = a != b",
                                    "r = a > b",
                                    "r = a >= b"};
static pa_expr *op_expr[NOPS];

/* Whether o can be an operand: an array, a number (a 0-d numpy array is
 * one) or a numpy array. */
static int is_operand(PyObject *o)
{
    return PyObject_TypeCheck(o, &pyp_array_type) || PyArray_Check(o) || PyFloat_Check(o) ||
           PyLong_Check(o) || PyArray_IsScalar(o, Number);
}

/* Binds an operand (is_operand holds): an array, a number as a scalar, or a
 * numpy array as a replicated temporary *tmp (freed by the caller). 0 or
 * -1 with the error raised. */
static int operand(PyObject *o, pa_binding *b, pa_dtype *dt, double *v, PyObject **tmp)
{
    if (pyp_is_ndarray_operand(o)) {
        if (pyp_ndarray_operand(o, tmp, &b->array, "operator") < 0)
            return -1;
    } else if (PyObject_TypeCheck(o, &pyp_array_type)) {
        if (!(b->array = pyp_arg(o, "operator")))
            return -1;
    } else {
        b->value = *v = PyFloat_AsDouble(o);
        *dt = PA_EXPR_SCALAR;
        return PyErr_Occurred() ? -1 : 0;
    }
    *dt = pa_array_dtype(b->array);
    return 0;
}

/* x op y into out: x itself for the in-place operators, else a new array
 * of the expression's dtype and the operands' broadcast shape. */
static PyObject *binop(int op, PyObject *x, PyObject *y, int inplace)
{
    pa_binding b[3] = {{"r", NULL, 0}, {"a", NULL, 0}, {"b", NULL, 0}};
    pa_dtype dts[2];
    double vals[2];
    PyObject *tmps[2] = {NULL, NULL}, *out = NULL;
    if (!is_operand(x) || !is_operand(y))
        Py_RETURN_NOTIMPLEMENTED;
    if (!pyp_ctx() || operand(x, &b[1], &dts[0], &vals[0], &tmps[0]) < 0 ||
        operand(y, &b[2], &dts[1], &vals[1], &tmps[1]) < 0)
        goto done;
    if (!op_expr[op] && pyp_failed(pa_expr_compile(pyp.ctx, op_text[op], &op_expr[op])))
        goto done;
    pa_expr *e = op_expr[op];
    if (inplace) {
        out = Py_NewRef(x);
    } else {
        /* names in the order the text reads them: a, then b */
        pa_array *arrays[2];
        int n = 0, ndim;
        size_t shape[PA_MAXDIM];
        pa_dist dist;
        pa_dtype dt;
        for (int i = 1; i <= 2; i++)
            if (b[i].array)
                arrays[n++] = b[i].array;
        if (pyp_failed(pa_expr_dtype(e, dts, vals, &dt)) ||
            pyp_broadcast_out(arrays, n, &ndim, shape, &dist) < 0 ||
            !(out = pyp_wrap(pyp_create(dt, ndim, shape, dist))))
            goto done;
    }
    b[0].array = ((pyp_array *)out)->a;
    int rc;
    PYP_LONG_CALL(PYP_BIG(pa_array_size(b[0].array)), rc, pa_expr_eval(e, b, 3));
    if (pyp_failed(rc))
        Py_CLEAR(out);
done:
    if (pyp_free_operands(tmps, 2, out != NULL) < 0)
        Py_CLEAR(out);
    return out;
}

#define BINARY_SLOTS_(name, OP)                           \
    static PyObject *nb_##name(PyObject *x, PyObject *y)  \
    {                                                     \
        return binop(OP, x, y, 0);                        \
    }                                                     \
    static PyObject *nb_i##name(PyObject *x, PyObject *y) \
    {                                                     \
        return binop(OP, x, y, 1);                        \
    }
BINARY_SLOTS_(add, OP_ADD)
BINARY_SLOTS_(sub, OP_SUB)
BINARY_SLOTS_(mul, OP_MUL)
BINARY_SLOTS_(tdiv, OP_TDIV)
BINARY_SLOTS_(fdiv, OP_FDIV)
BINARY_SLOTS_(mod, OP_MOD)
BINARY_SLOTS_(lsh, OP_LSH)
BINARY_SLOTS_(rsh, OP_RSH)
BINARY_SLOTS_(and, OP_AND)
BINARY_SLOTS_(or, OP_OR)
BINARY_SLOTS_(xor, OP_XOR)
#undef BINARY_SLOTS_

static PyObject *nb_pow(PyObject *x, PyObject *y, PyObject *mod)
{
    if (mod != Py_None)
        Py_RETURN_NOTIMPLEMENTED;
    return binop(OP_POW, x, y, 0);
}

static PyObject *nb_ipow(PyObject *x, PyObject *y, PyObject *mod)
{
    if (mod != Py_None)
        Py_RETURN_NOTIMPLEMENTED;
    return binop(OP_POW, x, y, 1);
}

PyObject *pyp_array_richcompare(PyObject *x, PyObject *y, int op)
{
    static const int ops[] = {[Py_LT] = OP_LT, [Py_LE] = OP_LE, [Py_EQ] = OP_EQ,
                              [Py_NE] = OP_NE, [Py_GT] = OP_GT, [Py_GE] = OP_GE};
    return binop(ops[op], x, y, 0);
}

/* out = op(a) in a's dtype, into a new array (or out when given). */
static PyObject *unop(pa_unary_op op, PyObject *x, PyObject *out_o)
{
    pa_array *a = pyp_arg(x, pa_unary_name(op));
    if (!a)
        return NULL;
    PyObject *out;
    if (out_o && out_o != Py_None) {
        if (!pyp_arg(out_o, "out"))
            return NULL;
        out = Py_NewRef(out_o);
    } else {
        size_t shape[PA_MAXDIM];
        pa_array_shape(a, shape);
        out = pyp_wrap(pyp_create(pa_array_dtype(a), pa_array_ndim(a), shape, pa_array_dist(a)));
        if (!out)
            return NULL;
    }
    int rc;
    PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc, pa_unary(((pyp_array *)out)->a, op, a));
    if (pyp_failed(rc))
        Py_CLEAR(out);
    return out;
}

static PyObject *nb_neg(PyObject *x)
{
    return unop(PA_OP_NEG, x, NULL);
}
static PyObject *nb_abs(PyObject *x)
{
    return unop(PA_OP_ABS, x, NULL);
}
static PyObject *nb_invert(PyObject *x)
{
    return unop(PA_OP_INVERT, x, NULL);
}
static PyObject *nb_pos(PyObject *x)
{
    return pyp_copy(x, NULL);
}

static int nb_bool(PyObject *x)
{
    (void)x;
    PyErr_SetString(PyExc_TypeError,
                    "the truth value of a parray.Array is ambiguous: use a.any() or a.all()");
    return -1;
}

PyNumberMethods pyp_array_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_sub,
    .nb_multiply = nb_mul,
    .nb_remainder = nb_mod,
    .nb_power = nb_pow,
    .nb_negative = nb_neg,
    .nb_positive = nb_pos,
    .nb_absolute = nb_abs,
    .nb_bool = nb_bool,
    .nb_invert = nb_invert,
    .nb_lshift = nb_lsh,
    .nb_rshift = nb_rsh,
    .nb_and = nb_and,
    .nb_xor = nb_xor,
    .nb_or = nb_or,
    .nb_inplace_add = nb_iadd,
    .nb_inplace_subtract = nb_isub,
    .nb_inplace_multiply = nb_imul,
    .nb_inplace_remainder = nb_imod,
    .nb_inplace_power = nb_ipow,
    .nb_inplace_lshift = nb_ilsh,
    .nb_inplace_rshift = nb_irsh,
    .nb_inplace_and = nb_iand,
    .nb_inplace_xor = nb_ixor,
    .nb_inplace_or = nb_ior,
    .nb_floor_divide = nb_fdiv,
    .nb_true_divide = nb_tdiv,
    .nb_inplace_floor_divide = nb_ifdiv,
    .nb_inplace_true_divide = nb_itdiv,
    .nb_matrix_multiply = NULL, /* set by linalg.c's pyp_matmul at import */
};

/* _parray.unary(name, a, out=None) and _parray.binary(name, a, b, out=None). */
static PyObject *py_unary(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kws[] = {"op", "a", "out", NULL};
    const char *name;
    PyObject *a, *out = NULL;
    pa_unary_op op;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sO|O", kws, &name, &a, &out))
        return NULL;
    if (pa_unary_parse(name, &op) < 0)
        return PyErr_Format(PyExc_ValueError, "unary: no op named '%s'", name);
    return unop(op, a, out);
}

/* ------------------------------------------------------------ reductions */

/* Fills a numpy array of n results of v's dtype. */
static PyObject *values_array(const pa_value *v, size_t n)
{
    npy_intp dim = (npy_intp)n;
    PyObject *r = PyArray_Empty(1, &dim, pyp_descr(n ? v[0].dtype : PA_F64), 0);
    for (size_t i = 0; r && i < n; i++) {
        PyObject *x = pyp_value(&v[i]);
        if (!x ||
            PyArray_SETITEM((PyArrayObject *)r, PyArray_GETPTR1((PyArrayObject *)r, i), x) < 0)
            Py_CLEAR(r);
        Py_XDECREF(x);
    }
    return r;
}

static PyObject *reduce_op(PyObject *self, pa_reduce_op op, PyObject *args, PyObject *kw)
{
    static char *kws[] = {"axis", "ddof", NULL};
    PyObject *axis_o = Py_None;
    double ddof = 0;
    pa_array *a = pyp_arg(self, pa_reduce_name(op));
    if (!a || !PyArg_ParseTupleAndKeywords(args, kw, "|Od", kws, &axis_o, &ddof))
        return NULL;
    int axis = axis_o == Py_None ? -1 : (int)PyLong_AsLong(axis_o);
    if (PyErr_Occurred())
        return NULL;
    size_t shape[PA_MAXDIM], n = 1;
    pa_array_shape(a, shape);
    if (axis == 0 || axis == 1) {
        if (pa_array_ndim(a) != 2)
            return PyErr_Format(PyExc_ValueError, "%s: axis %d needs a 2-D array",
                                pa_reduce_name(op), axis);
        n = shape[1 - axis];
    } else if (axis != -1) {
        return PyErr_Format(PyExc_ValueError, "%s: axis is None, 0 or 1", pa_reduce_name(op));
    }
    int big = PYP_BIG(pa_array_size(a)), rc;
    if (ddof != 0 && (op == PA_RED_VAR || op == PA_RED_STD)) {
        npy_intp dim = (npy_intp)n;
        PyObject *r = PyArray_Empty(1, &dim, pyp_descr(PA_F64), 0);
        double *out = r ? PyArray_DATA((PyArrayObject *)r) : NULL;
        if (!r)
            return NULL;
        PYP_LONG_CALL(big, rc, (op == PA_RED_VAR ? pa_var : pa_std)(a, axis, ddof, out));
        if (pyp_failed(rc))
            Py_CLEAR(r);
        if (r && axis == -1)
            Py_SETREF(r, PyFloat_FromDouble(out[0]));
        return r;
    }
    pa_value one, *v = n > 1 ? PyMem_Calloc(n, sizeof *v) : &one;
    if (!v)
        return PyErr_NoMemory();
    PYP_LONG_CALL(big, rc, pa_reduce_value(a, op, axis, v));
    PyObject *r = pyp_failed(rc) ? NULL : axis == -1 ? pyp_value(v) : values_array(v, n);
    if (v != &one)
        PyMem_Free(v);
    return r;
}

#define PYP_REDUCE_DEF_(N, n)                                              \
    PyObject *pyp_reduce_##n(PyObject *self, PyObject *args, PyObject *kw) \
    {                                                                      \
        return reduce_op(self, PA_RED_##N, args, kw);                      \
    }
PA_REDUCE_LIST(PYP_REDUCE_DEF_)
#undef PYP_REDUCE_DEF_

PyObject *pyp_reduce(PyObject *self, PyObject *args, PyObject *kw)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    pa_reduce_op op;
    const char *name = n ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(args, 0)) : NULL;
    if (!name)
        return PyErr_Format(PyExc_TypeError, "reduce: the first argument names the op");
    if (pa_reduce_parse(name, &op) < 0)
        return PyErr_Format(PyExc_ValueError, "reduce: no reduction named '%s'", name);
    PyObject *rest = PyTuple_GetSlice(args, 1, n);
    PyObject *r = rest ? reduce_op(self, op, rest, kw) : NULL;
    Py_XDECREF(rest);
    return r;
}

static PyObject *py_dot(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *x, *y;
    if (!PyArg_ParseTuple(args, "OO", &x, &y))
        return NULL;
    pa_array *a = pyp_arg(x, "dot"), *b = a ? pyp_arg(y, "dot") : NULL;
    double r;
    int rc;
    if (!b)
        return NULL;
    PYP_LONG_CALL(PYP_BIG(pa_array_size(a)), rc, pa_dot(a, b, &r));
    return pyp_failed(rc) ? NULL : PyFloat_FromDouble(r);
}

#define KW_ METH_VARARGS | METH_KEYWORDS
#define FN_(f) (PyCFunction)(void (*)(void))(f)
PyMethodDef pyp_compute_methods[] = {
    {"empty", FN_(py_empty), KW_, "empty(shape, dtype=float64, dist='distributed') (zeroed)"},
    {"zeros", FN_(py_empty), KW_, "zeros(shape, dtype=float64, dist='distributed')"},
    {"ones", FN_(py_ones), KW_, "ones(shape, dtype=float64, dist='distributed')"},
    {"full", FN_(py_full), KW_, "full(shape, fill_value, dtype=float64, dist='distributed')"},
    {"arange", FN_(py_arange), KW_, "arange([start,] stop[, step], dtype=None, dist=...)"},
    {"linspace", FN_(py_linspace), KW_, "linspace(start, stop, num=50, endpoint=True, ...)"},
    {"random_uniform", FN_(py_random_uniform), KW_, "see parray.random.uniform"},
    {"random_normal", FN_(py_random_normal), KW_, "see parray.random.normal"},
    {"random_integers", FN_(py_random_integers), KW_, "see parray.random.integers"},
    {"random_bool", FN_(py_random_bool), KW_, "see parray.random.bool"},
    {"unary", FN_(py_unary), KW_, "unary(op, a, out=None): an op of compute.h by name"},
    {"dot", py_dot, METH_VARARGS, "dot(a, b): sum(a*b) by the tree sum, a float"},
    {NULL, NULL, 0, NULL}};
