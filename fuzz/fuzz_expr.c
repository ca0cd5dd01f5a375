/* libFuzzer target: the expression compiler and evaluator (src/expr_parse.c,
 * src/expr_eval.c) on any text, checked against a reference interpreter
 * written here from the language of include/parray/expr.h.
 * The text is compiled and, when it compiles, evaluated in f64 with x, y,
 * z and r bound to arrays of awkward values (zeros of both signs,
 * subnormals, the largest doubles, infinities, NaN) and k, c to scalars;
 * 300 elements, so two full blocks and a part, and for some short texts
 * also 2^17 + 3 elements, enough for the streaming stores.
 * Properties:
 * - the library accepts exactly the texts the reference grammar accepts
 *   (texts nested deeper than the reference's own limit are not compared),
 *   and names the column of every syntax error;
 * - the output name and the names read, in order, are the reference's;
 * - an unbound or scalar output or an unbound name is PA_EINVAL;
 * - every element equals the reference's bit for bit (any NaN equals any
 *   NaN): the reference does the same operations in the same order with
 *   the same libm calls, on one element at a time.
 * The reference computes in f64 alone. A text whose values depend on other
 * dtypes (a comparison's bool used in arithmetic, % << >> & | ^ ~, the
 * functions it does not compute) is parsed and named as above, and the
 * library may refuse it for a dtype (PA_ENOTSUP), but its values are not
 * compared: test_expr and ops_numpy.sh check those against numpy.
 * The reference parses by recursive descent with an explicit depth limit,
 * and evaluates its nodes in the order they were made (children first), so
 * neither can overflow the stack. */
#include <math.h>
#include <sanitizer/lsan_interface.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "opdefs.h"
#include "parray.h"

/* ------------------------------------------------------------ reference syntax tree */

typedef enum { R_NUM, R_NAME, R_UN, R_BIN, R_WHERE } rkind;

typedef struct {
    rkind kind;
    double num;                   /* R_NUM */
    int name;                     /* R_NAME: index in names */
    double (*f1)(double);         /* R_UN */
    double (*f2)(double, double); /* R_BIN */
    int arg[3];
    int cmp; /* a comparison: its value is a bool */
} rnode;

/* clang-format off */
static double r_neg(double x) { return -x; }
static double r_square(double x) { return x * x; }
static double r_reciprocal(double x) { return 1.0 / x; }
static double r_add(double x, double y) { return x + y; }
static double r_sub(double x, double y) { return x - y; }
static double r_mul(double x, double y) { return x * y; }
static double r_div(double x, double y) { return x / y; }
static double r_minimum(double x, double y) { return (x != x || x < y) ? x : y; }
static double r_maximum(double x, double y) { return (x != x || x > y) ? x : y; }
static double r_lt(double x, double y) { return x < y; }
static double r_le(double x, double y) { return x <= y; }
static double r_gt(double x, double y) { return x > y; }
static double r_ge(double x, double y) { return x >= y; }
static double r_eq(double x, double y) { return x == y; }
static double r_ne(double x, double y) { return x != y; }
/* clang-format on */

/* The functions of the language; round is rint (half to even). */
/* clang-format off */
static const struct {
    const char *name;
    int nargs;
    double (*f1)(double);
    double (*f2)(double, double);
} funcs[] = {
    {"neg", 1, r_neg, NULL},       {"abs", 1, fabs, NULL},
    {"sqrt", 1, sqrt, NULL},       {"exp", 1, exp, NULL},
    {"log", 1, log, NULL},         {"log10", 1, log10, NULL},
    {"log1p", 1, log1p, NULL},     {"expm1", 1, expm1, NULL},
    {"sin", 1, sin, NULL},         {"cos", 1, cos, NULL},
    {"tan", 1, tan, NULL},         {"tanh", 1, tanh, NULL},
    {"floor", 1, floor, NULL},     {"ceil", 1, ceil, NULL},
    {"round", 1, rint, NULL},      {"square", 1, r_square, NULL},
    {"reciprocal", 1, r_reciprocal, NULL},
    {"add", 2, NULL, r_add},       {"sub", 2, NULL, r_sub},
    {"mul", 2, NULL, r_mul},       {"div", 2, NULL, r_div},
    {"pow", 2, NULL, pow},         {"minimum", 2, NULL, r_minimum},
    {"maximum", 2, NULL, r_maximum}, {"hypot", 2, NULL, hypot},
    {"atan2", 2, NULL, atan2},     {"fmod", 2, NULL, fmod},
    {"where", 3, NULL, NULL},
};
/* clang-format on */

/* ------------------------------------------------------------ reference parser */

/* Deeper nesting than this is not compared: the library refuses nesting
 * past its own limit, which is larger. */
#define REF_DEPTH 200
#define NAME_MAX_READ 64

/* clang-format off */
enum { T_END, T_NUM, T_NAME, T_LP, T_RP, T_COMMA, T_ASSIGN, T_PLUS, T_MINUS, T_STAR,
       T_SLASH, T_POW, T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE, T_PERCENT, T_SHL, T_SHR, T_AMP,
       T_BAR, T_CARET, T_TILDE };
/* clang-format on */

typedef struct {
    const char *s;
    size_t pos;
    int tk;
    size_t tpos, tlen;
    double num;
    int depth;
    int too_deep;
    rnode *nodes;
    int nnodes, cap;
    char *names[NAME_MAX_READ + 1];
    int nnames, names_over;
    char *out;
    int unmodeled; /* values the reference does not compute (see the top) */
} ref;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The next token; 0 for a character or number the language does not have. */
static int lex(ref *r)
{
    const char *s = r->s;
    while (s[r->pos] == ' ' || s[r->pos] == '\t' || s[r->pos] == '\n' || s[r->pos] == '\r')
        r->pos++;
    size_t p = r->pos;
    r->tpos = p;
    char c = s[p];
    if (c == '\0') {
        r->tk = T_END;
        return 1;
    }
    if (is_digit(c) || (c == '.' && is_digit(s[p + 1]))) {
        size_t i = p, digits = 0;
        while (is_digit(s[i]))
            i++, digits++;
        if (s[i] == '.')
            for (i++; is_digit(s[i]); i++)
                digits++;
        if (s[i] == 'e' || s[i] == 'E') {
            i++;
            if (s[i] == '+' || s[i] == '-')
                i++;
            if (!is_digit(s[i]))
                return 0;
            while (is_digit(s[i]))
                i++;
        }
        (void)digits;
        if (is_alpha(s[i]) || s[i] == '_' || s[i] == '.' || i - p >= 512)
            return 0;
        r->num = strtod(s + p, NULL);
        r->tk = T_NUM;
        r->pos = i;
        return 1;
    }
    if (is_alpha(c) || c == '_') {
        size_t i = p;
        while (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_')
            i++;
        r->tk = T_NAME;
        r->tlen = i - p;
        r->pos = i;
        return 1;
    }
    static const struct {
        const char *text;
        int tk;
    } ops[] = {
        {"**", T_POW},   {"<<", T_SHL},  {">>", T_SHR},  {"%", T_PERCENT}, {"&", T_AMP},
        {"|", T_BAR},    {"^", T_CARET}, {"~", T_TILDE}, {"<=", T_LE},     {">=", T_GE},
        {"==", T_EQ},    {"!=", T_NE},   {"(", T_LP},    {")", T_RP},      {",", T_COMMA},
        {"=", T_ASSIGN}, {"+", T_PLUS},  {"-", T_MINUS}, {"*", T_STAR},    {"/", T_SLASH},
        {"<", T_LT},     {">", T_GT},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].text);
        if (strncmp(s + p, ops[k].text, n) == 0) {
            r->tk = ops[k].tk;
            r->pos += n;
            return 1;
        }
    }
    return 0;
}

static int node(ref *r, rnode n)
{
    if (r->nnodes == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->nodes = realloc(r->nodes, (size_t)r->cap * sizeof *r->nodes);
        FUZZ_ASSERT(r->nodes, "out of memory");
    }
    r->nodes[r->nnodes] = n;
    return r->nnodes++;
}

/* f2 NULL: an op the reference does not compute. */
static int bin(ref *r, double (*f2)(double, double), int a, int b)
{
    r->unmodeled |= !f2;
    return node(r, (rnode){.kind = R_BIN, .f2 = f2, .arg = {a, b}});
}

/* The library's functions beyond funcs: every unary and binary op of
 * compute.h, and numpy's spellings. The reference parses them but does not
 * compute them. */
#define OTHER1_(N, n, ...) {#n, 1},
#define OTHER2_(N, n, ...) {#n, 2},
static const struct {
    const char *name;
    int nargs;
} other_funcs[] = {
    PA_UNARY_OPS(OTHER1_) PA_BINARY_OPS(OTHER2_){"copy", 1},
    {"arctan2", 2},
    {"power", 2},
    {"absolute", 1},
    {"remainder", 2},
};

/* The number of arguments of a function the reference does not compute,
 * or 0. */
static int other_nargs(const char *name, size_t len)
{
    for (size_t f = 0; f < sizeof other_funcs / sizeof other_funcs[0]; f++)
        if (strlen(other_funcs[f].name) == len && memcmp(other_funcs[f].name, name, len) == 0)
            return other_funcs[f].nargs;
    return 0;
}

/* Each parse function returns the node, or -1 on a syntax error (or when
 * the text is nested deeper than REF_DEPTH: r->too_deep). */
static int p_cmp(ref *r);
static int p_unary(ref *r);

static int deeper(ref *r)
{
    if (++r->depth > REF_DEPTH) {
        r->too_deep = 1;
        return 0;
    }
    return 1;
}

static int p_primary(ref *r)
{
    if (r->tk == T_NUM) {
        int n = node(r, (rnode){.kind = R_NUM, .num = r->num});
        return lex(r) ? n : -1;
    }
    if (r->tk == T_NAME) {
        const char *name = r->s + r->tpos;
        size_t len = r->tlen;
        if (!lex(r))
            return -1;
        if (r->tk == T_LP) {
            size_t f = 0;
            while (f < sizeof funcs / sizeof funcs[0] &&
                   !(strlen(funcs[f].name) == len && memcmp(funcs[f].name, name, len) == 0))
                f++;
            int other = f == sizeof funcs / sizeof funcs[0] ? other_nargs(name, len) : 0;
            if ((f == sizeof funcs / sizeof funcs[0] && !other) || !lex(r))
                return -1;
            int args[3], n = 0;
            if (r->tk != T_RP)
                for (;;) {
                    int a = p_cmp(r);
                    if (a < 0)
                        return -1;
                    if (n < 3)
                        args[n] = a;
                    n++;
                    if (r->tk != T_COMMA)
                        break;
                    if (!lex(r))
                        return -1;
                }
            if (r->tk != T_RP || n != (other ? other : funcs[f].nargs) || !lex(r))
                return -1;
            r->unmodeled |= other != 0;
            rnode nd = {.arg = {args[0]}};
            if (!other)
                nd.f1 = funcs[f].f1, nd.f2 = funcs[f].f2;
            nd.kind = n == 1 ? R_UN : n == 2 ? R_BIN : R_WHERE;
            for (int j = 1; j < n; j++)
                nd.arg[j] = args[j];
            return node(r, nd);
        }
        int k = 0;
        while (k < r->nnames &&
               !(strlen(r->names[k]) == len && memcmp(r->names[k], name, len) == 0))
            k++;
        if (k == r->nnames) {
            if (k == NAME_MAX_READ) {
                r->names_over = 1; /* more names than any binding: no need to keep them */
                k = 0;
            } else {
                r->names[r->nnames++] = strndup(name, len);
            }
        }
        return node(r, (rnode){.kind = R_NAME, .name = k});
    }
    if (r->tk == T_LP) {
        if (!deeper(r) || !lex(r))
            return -1;
        int n = p_cmp(r);
        if (n < 0 || r->tk != T_RP || !lex(r))
            return -1;
        r->depth--;
        return n;
    }
    return -1;
}

static int p_power(ref *r)
{
    int base = p_primary(r);
    if (base < 0 || r->tk != T_POW)
        return base;
    if (!deeper(r) || !lex(r))
        return -1;
    int e = p_unary(r);
    if (e < 0)
        return -1;
    r->depth--;
    /* x**2 is x*x when the exponent is the number 2 itself. */
    if (r->nodes[e].kind == R_NUM && r->nodes[e].num == 2.0)
        return node(r, (rnode){.kind = R_UN, .f1 = r_square, .arg = {base}});
    return bin(r, pow, base, e);
}

static int p_unary(ref *r)
{
    if (r->tk != T_MINUS && r->tk != T_PLUS && r->tk != T_TILDE)
        return p_power(r);
    int minus = r->tk == T_MINUS, tilde = r->tk == T_TILDE;
    if (!deeper(r) || !lex(r))
        return -1;
    int a = p_unary(r);
    if (a < 0)
        return -1;
    r->depth--;
    r->unmodeled |= tilde;
    return minus   ? node(r, (rnode){.kind = R_UN, .f1 = r_neg, .arg = {a}})
           : tilde ? node(r, (rnode){.kind = R_UN, .arg = {a}})
                   : a;
}

/* operand ((tk1 | tk2) operand)*, grouping to the left: term and sum. */
static int p_chain(ref *r, int (*operand)(ref *), int tk1, double (*f1)(double, double), int tk2,
                   double (*f2)(double, double))
{
    int a = operand(r);
    while (a >= 0 && (r->tk == tk1 || r->tk == tk2)) {
        double (*f)(double, double) = r->tk == tk1 ? f1 : f2;
        if (!lex(r))
            return -1;
        int b = operand(r);
        a = b < 0 ? -1 : bin(r, f, a, b);
    }
    return a;
}

static int p_term(ref *r)
{
    int a = p_unary(r);
    while (a >= 0 && (r->tk == T_STAR || r->tk == T_SLASH || r->tk == T_PERCENT)) {
        double (*f)(double, double) = r->tk == T_STAR ? r_mul : r->tk == T_SLASH ? r_div : NULL;
        if (!lex(r))
            return -1;
        int b = p_unary(r);
        a = b < 0 ? -1 : bin(r, f, a, b);
    }
    return a;
}

static int p_sum(ref *r)
{
    return p_chain(r, p_term, T_PLUS, r_add, T_MINUS, r_sub);
}

/* Python's levels below the sums: shifts, &, ^, | (not computed). */
static int p_shift(ref *r)
{
    return p_chain(r, p_sum, T_SHL, NULL, T_SHR, NULL);
}
static int p_band(ref *r)
{
    return p_chain(r, p_shift, T_AMP, NULL, T_AMP, NULL);
}
static int p_bxor(ref *r)
{
    return p_chain(r, p_band, T_CARET, NULL, T_CARET, NULL);
}
static int p_bor(ref *r)
{
    return p_chain(r, p_bxor, T_BAR, NULL, T_BAR, NULL);
}

static double (*cmp_fn(int tk))(double, double)
{
    switch (tk) {
    case T_LT: return r_lt;
    case T_LE: return r_le;
    case T_GT: return r_gt;
    case T_GE: return r_ge;
    case T_EQ: return r_eq;
    case T_NE: return r_ne;
    default: return NULL;
    }
}

static int p_cmp(ref *r)
{
    if (!deeper(r))
        return -1;
    int a = p_bor(r);
    double (*f)(double, double) = a >= 0 ? cmp_fn(r->tk) : NULL;
    if (f) {
        if (!lex(r))
            return -1;
        int b = p_bor(r);
        if (b < 0 || cmp_fn(r->tk)) /* comparisons do not chain */
            return -1;
        a = bin(r, f, a, b);
        r->nodes[a].cmp = 1;
    }
    r->depth--;
    return a;
}

/* Parses "OUT = EXPR"; returns the root, or -1. */
static int ref_parse(ref *r, const char *text)
{
    r->s = text;
    if (!lex(r) || r->tk != T_NAME)
        return -1;
    r->out = strndup(text + r->tpos, r->tlen);
    if (!lex(r) || r->tk != T_ASSIGN || !lex(r))
        return -1;
    int root = p_cmp(r);
    if (root < 0 || r->tk != T_END)
        return -1;
    /* A comparison's bool read by anything but where's condition computes
     * in dtypes the reference does not have. */
    for (int k = 0; k < r->nnodes; k++) {
        const rnode *nd = &r->nodes[k];
        int nargs = nd->kind == R_UN ? 1 : nd->kind == R_BIN ? 2 : nd->kind == R_WHERE ? 3 : 0;
        for (int j = nd->kind == R_WHERE; j < nargs; j++)
            r->unmodeled |= r->nodes[nd->arg[j]].cmp;
    }
    return root;
}

static void ref_free(ref *r)
{
    for (int k = 0; k < r->nnames; k++)
        free(r->names[k]);
    free(r->nodes);
    free(r->out);
}

/* ------------------------------------------------------------ the bindings */

/* Values that find the corners of every op. */
/* clang-format off */
static const double awkward[] = {
    0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5, 3.0, 1e-300, 5e-324, -2.2250738585072014e-308,
    1e300, -1e308, 1.7976931348623157e308, INFINITY, -INFINITY, NAN, 3.141592653589793,
    0.1, -7.0, 100.0, 710.0, -745.5, 1.5, 9007199254740993.0, -0.75, 1e-8, 4.0,
};
/* clang-format on */
#define NAWK (sizeof awkward / sizeof awkward[0])

enum { NARR = 4, SMALL = 300, LARGE = (1 << 17) + 3 };
static const char *const arr_names[NARR] = {"x", "y", "z", "r"};
static const double scal_val[2] = {2.5, -3.0};
static const char *const scal_names[2] = {"k", "c"};

typedef struct {
    size_t n;
    pa_array *a[NARR];
    double *init[NARR]; /* the values each array starts with */
} set;

static pa_ctx *ctx;
static set small, large;

static void set_create(set *s, size_t n)
{
    s->n = n;
    for (int j = 0; j < NARR; j++) {
        FUZZ_ASSERT(pa_array_create(ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &s->a[j]) == PA_OK, "%s",
                    pa_errmsg(ctx));
        s->init[j] = malloc(n * sizeof(double));
        for (size_t i = 0; i < n; i++)
            s->init[j][i] = awkward[(i * (size_t)(2 * j + 1) + (size_t)j * 5) % NAWK];
        pa_span sp;
        pa_array_local(s->a[j], &sp);
        memcpy(sp.ptr, s->init[j], n * sizeof(double));
        pa_array_sync(s->a[j]);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* One rank, MPI as a singleton (no mpirun); as root, Open MPI wants
     * to be told that is meant. */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    /* What MPI_Init allocates stays to the end (MPI is never finalised):
     * not leaks. */
    __lsan_disable();
    int rc = pa_init(NULL, NULL, &ctx);
    __lsan_enable();
    if (rc != PA_OK) {
        fprintf(stderr, "pa_init: %s\n", pa_errmsg(NULL));
        abort();
    }
    set_create(&small, SMALL);
    set_create(&large, LARGE);
    return 0;
}

/* ------------------------------------------------------------ the check */

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* The index of name in list, or -1. */
static int find(const char *const *list, int n, const char *name)
{
    for (int j = 0; j < n; j++)
        if (strcmp(list[j], name) == 0)
            return j;
    return -1;
}

/* Evaluates e over set s and compares the elements at stride step with
 * the reference's. */
static void check_eval(pa_expr *e, const ref *r, int root, set *s, size_t step)
{
    pa_binding b[NARR + 2];
    for (int j = 0; j < NARR; j++)
        b[j] = (pa_binding)PA_BIND_ARRAY(arr_names[j], s->a[j]);
    for (int j = 0; j < 2; j++)
        b[NARR + j] = (pa_binding)PA_BIND_SCALAR(scal_names[j], scal_val[j]);
    int out = find(arr_names, NARR, r->out), bound = out >= 0 && !r->names_over;
    for (int k = 0; k < r->nnames; k++)
        bound &= find(arr_names, NARR, r->names[k]) >= 0 || find(scal_names, 2, r->names[k]) >= 0;

    int rc = pa_expr_eval(e, b, NARR + 2);
    if (!bound) {
        FUZZ_ASSERT(rc == PA_EINVAL, "an unbound name gives %d: %s", rc, pa_errmsg(ctx));
        return;
    }
    if (rc != PA_OK) {
        /* The one refusal of a valid text: more registers than there are;
         * and for a text the reference does not compute, an op that a
         * dtype lacks. */
        FUZZ_ASSERT((rc == PA_EINVAL && strstr(pa_errmsg(ctx), "registers")) ||
                        (rc == PA_ENOTSUP && r->unmodeled),
                    "%s", pa_errmsg(ctx));
        return;
    }
    if (r->unmodeled) {
        pa_span sp;
        pa_array_local(s->a[out], &sp);
        memcpy(sp.ptr, s->init[out], s->n * sizeof(double));
        pa_array_sync(s->a[out]);
        return;
    }
    pa_span sp;
    pa_array_local(s->a[out], &sp);
    const double *got = sp.ptr;
    double *val = malloc((size_t)r->nnodes * sizeof *val);
    FUZZ_ASSERT(val, "out of memory");
    for (size_t i = 0; i < s->n; i += step) {
        for (int k = 0; k < r->nnodes; k++) {
            const rnode *nd = &r->nodes[k];
            switch (nd->kind) {
            case R_NUM: val[k] = nd->num; break;
            case R_NAME: {
                int a = find(arr_names, NARR, r->names[nd->name]);
                val[k] = a >= 0 ? s->init[a][i]
                                : scal_val[find(scal_names, 2, r->names[nd->name])];
                break;
            }
            case R_UN: val[k] = nd->f1(val[nd->arg[0]]); break;
            case R_BIN: val[k] = nd->f2(val[nd->arg[0]], val[nd->arg[1]]); break;
            case R_WHERE:
                val[k] = val[nd->arg[0]] != 0 ? val[nd->arg[1]] : val[nd->arg[2]];
                break;
            }
        }
        FUZZ_ASSERT(same(got[i], val[root]), "element %zu of %zu: %.17g, the reference %.17g", i,
                    s->n, got[i], val[root]);
    }
    free(val);
    /* The output back to its first values for the next input. */
    memcpy(sp.ptr, s->init[out], s->n * sizeof(double));
    pa_array_sync(s->a[out]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size);
    FUZZ_ASSERT(text, "out of memory");
    ref r = {0};
    int root = ref_parse(&r, text);
    pa_expr *e = NULL;
    int rc = pa_expr_compile(ctx, text, &e);
    if (!r.too_deep) {
        FUZZ_ASSERT((rc == PA_OK) == (root >= 0), "the library says %s, the reference %s",
                    rc == PA_OK ? "valid" : pa_errmsg(ctx), root >= 0 ? "valid" : "invalid");
        if (rc != PA_OK)
            FUZZ_ASSERT(rc == PA_EINVAL &&
                            strncmp(pa_errmsg(ctx), "pa_expr_compile: column ", 24) == 0,
                        "code %d, message '%s'", rc, pa_errmsg(ctx));
    }
    if (rc == PA_OK && root >= 0) {
        FUZZ_ASSERT(strcmp(pa_expr_output(e), r.out) == 0, "output '%s', the reference '%s'",
                    pa_expr_output(e), r.out);
        if (!r.names_over) {
            FUZZ_ASSERT(pa_expr_nnames(e) == r.nnames, "%d names, the reference %d",
                        pa_expr_nnames(e), r.nnames);
            for (int k = 0; k < r.nnames; k++)
                FUZZ_ASSERT(strcmp(pa_expr_name(e, k), r.names[k]) == 0, "name %d '%s', '%s'", k,
                            pa_expr_name(e, k), r.names[k]);
        }
        check_eval(e, &r, root, &small, 1);
        /* The large set (streaming stores), sampled, for one short text in
         * eight (it is slow); then the small set again, through the
         * program cache's change of signature. */
        unsigned sum = 0;
        for (size_t i = 0; i < size; i++)
            sum += data[i];
        if (size < 64 && sum % 8 == 0) {
            check_eval(e, &r, root, &large, 97);
            check_eval(e, &r, root, &small, 1);
        }
    }
    pa_expr_free(&e);
    ref_free(&r);
    free(text);
    return 0;
}
