/* The expression language's front end: a tokenizer and a recursive-descent
 * parser that turn "OUT = EXPR" into a syntax tree, with the column and
 * what was expected for every syntax error. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

#define FN "pa_expr_compile"
/* The parser recurses once per level of nesting: a '(' (grouping or a
 * function call), a unary sign, or the right operand of '**'. Deeper texts
 * are refused rather than recursed into, so that a hostile text cannot
 * overflow the stack (256 levels take a few hundred KiB at most, even under
 * a sanitizer). Flat chains such as x + x + ... + x are loops and have no
 * limit. */
#define MAX_DEPTH 256

static const char *const op_names[EOP_N] = {
#define EXPR_UNARY_NAME_(N, n) [EOP_##N] = #n,
    PA_UNARY_LIST(EXPR_UNARY_NAME_)
#undef EXPR_UNARY_NAME_
#define EXPR_BINARY_NAME_(N, n) [EOP_##N] = #n,
        PA_BINARY_LIST(EXPR_BINARY_NAME_)
#undef EXPR_BINARY_NAME_
            [EOP_LT] = "<",
    [EOP_LE] = "<=",
    [EOP_GT] = ">",
    [EOP_GE] = ">=",
    [EOP_EQ] = "==",
    [EOP_NE] = "!=",
    [EOP_WHERE] = "where",
    [EOP_MULADD] = "muladd",
    [EOP_ADDMUL] = "addmul",
    [EOP_SUBDIV] = "subdiv",
    [EOP_COPY] = "copy",
};

const char *pa__expr_op_name(expr_op op)
{
    return (unsigned)op < EOP_N ? op_names[op] : "?";
}

/* ------------------------------------------------------------ tokens */

typedef enum {
    T_END,
    T_NUM,
    T_NAME,
    T_LP,
    T_RP,
    T_COMMA,
    T_ASSIGN,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
    T_POW,
    T_LSHIFT,
    T_RSHIFT,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_EQ,
    T_NE,
    T_AMP,
    T_PIPE,
    T_CARET,
    T_TILDE
} tok_kind;

typedef struct {
    tok_kind kind;
    size_t pos, len; /* in the text */
    double num;
} token;

typedef struct {
    pa_ctx *ctx;
    pa_expr *e;
    const char *s;
    size_t pos; /* next character to scan */
    token t;    /* the current token */
    int depth;
} parser;

static int col_of(size_t pos)
{
    return (int)pos + 1;
}

/* The current token as the message shows it: 'y', "end of expression". */
static const char *tok_desc(const parser *p, char *buf, size_t len)
{
    if (p->t.kind == T_END)
        return "end of expression";
    size_t n = p->t.len < 24 ? p->t.len : 24;
    snprintf(buf, len, "'%.*s%s'", (int)n, p->s + p->t.pos, p->t.len > n ? "..." : "");
    return buf;
}

/* "column N: expected WHAT, found TOKEN" at the current token. */
static int expected(parser *p, const char *what)
{
    char buf[48];
    return pa__err(p->ctx, FN, PA_EINVAL, "column %d: expected %s, found %s", col_of(p->t.pos),
                   what, tok_desc(p, buf, sizeof buf));
}

/* Opens one level of nesting at the current token, or refuses it past
 * MAX_DEPTH; leave() closes it. */
static int enter(parser *p)
{
    if (++p->depth <= MAX_DEPTH)
        return PA_OK;
    return pa__err(p->ctx, FN, PA_EINVAL,
                   "column %d: expression nested more than %d levels deep (each '(', "
                   "function call, unary sign and '**' nests one level)",
                   col_of(p->t.pos), MAX_DEPTH);
}

static void leave(parser *p)
{
    p->depth--;
}

/* Scans a decimal number at p->pos: digits [. digits] [(e|E) [+-] digits],
 * or . digits ...; returns its length, 0 when the text is not a number, or
 * -1 for a malformed exponent. */
static long scan_number(const char *s)
{
    size_t i = 0, digits = 0;
    while (isdigit((unsigned char)s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (!isdigit((unsigned char)s[j]))
            return -1;
        while (isdigit((unsigned char)s[j]))
            j++;
        i = j;
    }
    return (long)i;
}

static int next(parser *p)
{
    const char *s = p->s;
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')
        p->pos++;
    token *t = &p->t;
    t->pos = p->pos;
    t->len = 1;
    char c = s[p->pos], d = c ? s[p->pos + 1] : 0;
    if (c == 0) {
        t->kind = T_END;
        t->len = 0;
        return PA_OK;
    }
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)d))) {
        long n = scan_number(s + p->pos);
        if (n <= 0)
            return pa__err(p->ctx, FN, PA_EINVAL,
                           "column %d: malformed number: expected digits after the exponent",
                           col_of(p->pos));
        if (isalpha((unsigned char)s[p->pos + (size_t)n]) || s[p->pos + (size_t)n] == '_' ||
            s[p->pos + (size_t)n] == '.')
            return pa__err(p->ctx, FN, PA_EINVAL,
                           "column %d: malformed number '%.*s': expected an operator or ')' "
                           "after it",
                           col_of(p->pos), (int)n + 1, s + p->pos);
        char buf[512];
        if ((size_t)n >= sizeof buf)
            return pa__err(p->ctx, FN, PA_EINVAL, "column %d: number too long", col_of(p->pos));
        memcpy(buf, s + p->pos, (size_t)n);
        buf[n] = 0;
        /* The text is validated above as a plain decimal, so strtod reads
         * exactly it (hex, inf and nan never reach it); an overflow gives
         * +inf as the literal's value, as in C and Python. */
        t->num = strtod(buf, NULL);
        t->kind = T_NUM;
        t->len = (size_t)n;
        p->pos += (size_t)n;
        return PA_OK;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t i = p->pos;
        while (isalnum((unsigned char)s[i]) || s[i] == '_')
            i++;
        t->kind = T_NAME;
        t->len = i - p->pos;
        p->pos = i;
        return PA_OK;
    }
    static const struct {
        const char *text;
        tok_kind kind;
    } ops[] = {
        {"**", T_POW},    {"<<", T_LSHIFT}, {">>", T_RSHIFT}, {"<=", T_LE},  {">=", T_GE},
        {"==", T_EQ},     {"!=", T_NE},     {"(", T_LP},      {")", T_RP},   {",", T_COMMA},
        {"=", T_ASSIGN},  {"+", T_PLUS},    {"-", T_MINUS},   {"*", T_STAR}, {"/", T_SLASH},
        {"%", T_PERCENT}, {"<", T_LT},      {">", T_GT},      {"&", T_AMP},  {"|", T_PIPE},
        {"^", T_CARET},   {"~", T_TILDE},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].text);
        if (strncmp(s + p->pos, ops[k].text, n) == 0) {
            t->kind = ops[k].kind;
            t->len = n;
            p->pos += n;
            return PA_OK;
        }
    }
    if (isprint((unsigned char)c))
        return pa__err(p->ctx, FN, PA_EINVAL, "column %d: unexpected character '%c'",
                       col_of(p->pos), c);
    return pa__err(p->ctx, FN, PA_EINVAL, "column %d: unexpected byte 0x%02x", col_of(p->pos),
                   (unsigned char)c);
}

/* ------------------------------------------------------------ tree */

static int new_node(parser *p, expr_node_kind kind, int col, int *idx)
{
    pa_expr *e = p->e;
    if (e->nnodes == e->capnodes) {
        int cap = e->capnodes ? 2 * e->capnodes : 32;
        expr_node *n = realloc(e->nodes, (size_t)cap * sizeof *n);
        if (!n)
            return pa__err(p->ctx, FN, PA_ENOMEM, "out of memory");
        e->nodes = n;
        e->capnodes = cap;
    }
    expr_node *n = &e->nodes[e->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->col = col;
    *idx = e->nnodes++;
    return PA_OK;
}

static int op_node(parser *p, expr_op op, int col, int nargs, const int *args, int *idx)
{
    PA_TRY(new_node(p, EN_OP, col, idx));
    expr_node *n = &p->e->nodes[*idx];
    n->op = op;
    n->nargs = nargs;
    for (int i = 0; i < nargs; i++)
        n->arg[i] = args[i];
    return PA_OK;
}

/* The index of name (len bytes at s) in e->names, adding it if new. */
static int intern(parser *p, const char *s, size_t len, int col, int *idx)
{
    pa_expr *e = p->e;
    for (int i = 0; i < e->nnames; i++)
        if (strlen(e->names[i]) == len && memcmp(e->names[i], s, len) == 0) {
            *idx = i;
            return PA_OK;
        }
    if (e->nnames == EXPR_MAXNAMES)
        return pa__err(p->ctx, FN, PA_EINVAL,
                       "column %d: more than %d different names in one expression", col,
                       EXPR_MAXNAMES);
    if (e->nnames == e->capnames) {
        int cap = e->capnames ? 2 * e->capnames : 8;
        char **n = realloc(e->names, (size_t)cap * sizeof *n);
        if (!n)
            return pa__err(p->ctx, FN, PA_ENOMEM, "out of memory");
        e->names = n;
        int *c = realloc(e->name_col, (size_t)cap * sizeof *c);
        if (!c)
            return pa__err(p->ctx, FN, PA_ENOMEM, "out of memory");
        e->name_col = c;
        e->capnames = cap;
    }
    char *copy = strndup(s, len);
    if (!copy)
        return pa__err(p->ctx, FN, PA_ENOMEM, "out of memory");
    e->names[e->nnames] = copy;
    e->name_col[e->nnames] = col;
    *idx = e->nnames++;
    return PA_OK;
}

/* ------------------------------------------------------------ grammar
 *
 *   stmt    := NAME '=' cmp END
 *   cmp     := bor [('<' | '<=' | '>' | '>=' | '==' | '!=') bor]
 *   bor     := bxor ('|' bxor)*
 *   bxor    := band ('^' band)*
 *   band    := shift ('&' shift)*
 *   shift   := sum (('<<' | '>>') sum)*
 *   sum     := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := ('-' | '+' | '~') unary | power
 *   power   := primary ['**' unary]
 *   primary := NUMBER | NAME | NAME '(' [cmp (',' cmp)*] ')' | '(' cmp ')'
 *
 * This is Python's grammar for these operators: comparisons bind looser
 * than | ^ & (x > 0 & y < 1 is x > (0 & y) < 1, a chain, refused: write
 * (x > 0) & (y < 1)); ** binds tighter than a unary minus on its left but
 * takes one on its right, and groups to the right through the unary on
 * its right. */

static int parse_cmp(parser *p, int *out);
static int parse_unary(parser *p, int *out);

/* The functions beyond the public ops' names: where, copy (x itself,
 * written out), and numpy's spellings of ops that parray names otherwise. */
static const struct {
    const char *name;
    expr_op op;
} extra_functions[] = {
    {"where", EOP_WHERE}, {"copy", EOP_COPY},    {"arctan2", EOP_ATAN2},
    {"power", EOP_POW},   {"absolute", EOP_ABS}, {"remainder", EOP_MOD},
};

/* The function of a name: its opcode and argument count, or -1. */
static int find_function(const char *s, size_t len, expr_op *op, int *nargs)
{
    *op = EOP_N;
    for (int k = 0; k < EOP_LT; k++)
        if (strlen(op_names[k]) == len && memcmp(op_names[k], s, len) == 0)
            *op = (expr_op)k;
    for (size_t k = 0; k < sizeof extra_functions / sizeof extra_functions[0]; k++) {
        const char *name = extra_functions[k].name;
        if (strlen(name) == len && memcmp(name, s, len) == 0)
            *op = extra_functions[k].op;
    }
    if (*op == EOP_N)
        return -1;
    *nargs = pa__kernel_arity((pa__kop)*op);
    return 0;
}

static int parse_call(parser *p, size_t name_pos, size_t name_len, int *out)
{
    int col = col_of(name_pos);
    expr_op op;
    int want;
    if (find_function(p->s + name_pos, name_len, &op, &want) < 0)
        return pa__err(p->ctx, FN, PA_EINVAL,
                       "column %d: unknown function '%.*s' (the functions are where, copy, "
                       "the unary and binary ops of compute.h)",
                       col, (int)name_len, p->s + name_pos);
    size_t lp = p->t.pos;
    PA_TRY(enter(p));
    PA_TRY(next(p)); /* '(' */
    int args[3], n = 0;
    if (p->t.kind != T_RP) {
        for (;;) {
            int a;
            PA_TRY(parse_cmp(p, &a));
            if (n < 3)
                args[n] = a;
            n++;
            if (p->t.kind != T_COMMA)
                break;
            PA_TRY(next(p));
        }
    }
    if (p->t.kind != T_RP) {
        char buf[48];
        return pa__err(p->ctx, FN, PA_EINVAL,
                       "column %d: expected ')' after function arguments (to close '(' at "
                       "column %d), found %s",
                       col_of(p->t.pos), col_of(lp), tok_desc(p, buf, sizeof buf));
    }
    if (n != want)
        return pa__err(p->ctx, FN, PA_EINVAL, "column %d: %.*s() takes %d argument%s, got %d",
                       col, (int)name_len, p->s + name_pos, want, want == 1 ? "" : "s", n);
    leave(p);
    PA_TRY(next(p));
    return op_node(p, op, col, n, args, out);
}

static int parse_primary(parser *p, int *out)
{
    token t = p->t;
    switch (t.kind) {
    case T_NUM:
        PA_TRY(new_node(p, EN_NUM, col_of(t.pos), out));
        p->e->nodes[*out].num = t.num;
        /* Python's rule: 2 is an int, 2.0, 2. and 2e0 are floats. */
        p->e->nodes[*out].is_int = strcspn(p->s + t.pos, ".eE") >= t.len;
        return next(p);
    case T_NAME: {
        PA_TRY(next(p));
        if (p->t.kind == T_LP)
            return parse_call(p, t.pos, t.len, out);
        int name = 0;
        PA_TRY(intern(p, p->s + t.pos, t.len, col_of(t.pos), &name));
        PA_TRY(new_node(p, EN_NAME, col_of(t.pos), out));
        p->e->nodes[*out].name = name;
        return PA_OK;
    }
    case T_LP: {
        PA_TRY(enter(p));
        PA_TRY(next(p));
        PA_TRY(parse_cmp(p, out));
        if (p->t.kind != T_RP) {
            char buf[48];
            return pa__err(p->ctx, FN, PA_EINVAL,
                           "column %d: expected ')' to close '(' at column %d, found %s",
                           col_of(p->t.pos), col_of(t.pos), tok_desc(p, buf, sizeof buf));
        }
        leave(p);
        return next(p);
    }
    default: return expected(p, "a number, a name, '-' or '('");
    }
}

static int parse_power(parser *p, int *out)
{
    int base;
    PA_TRY(parse_primary(p, &base));
    if (p->t.kind != T_POW) {
        *out = base;
        return PA_OK;
    }
    int col = col_of(p->t.pos);
    PA_TRY(enter(p));
    PA_TRY(next(p));
    int args[2] = {base, 0};
    PA_TRY(parse_unary(p, &args[1]));
    leave(p);
    /* x**2 is x*x, as numexpr computes it: one multiply instead of a call
     * to pow (and exactly square(x)). */
    const expr_node *ex = &p->e->nodes[args[1]];
    if (ex->kind == EN_NUM && ex->num == 2.0)
        return op_node(p, EOP_SQUARE, col, 1, args, out);
    return op_node(p, EOP_POW, col, 2, args, out);
}

static int parse_unary(parser *p, int *out)
{
    tok_kind k = p->t.kind;
    if (k != T_MINUS && k != T_PLUS && k != T_TILDE)
        return parse_power(p, out);
    PA_TRY(enter(p));
    int col = col_of(p->t.pos), a;
    PA_TRY(next(p));
    PA_TRY(parse_unary(p, &a));
    leave(p);
    if (k == T_PLUS) {
        *out = a;
        return PA_OK;
    }
    /* -5 is the number -5 and ~5 the number -6, as Python folds them: a
     * negative integer must fit the integer dtype it meets (NEP 50), where
     * 5 negated or inverted in that dtype would wrap. */
    expr_node *n = &p->e->nodes[a];
    if (n->kind == EN_NUM && (k == T_MINUS || n->is_int)) {
        n->num = k == T_MINUS ? -n->num : -n->num - 1;
        n->col = col;
        *out = a;
        return PA_OK;
    }
    return op_node(p, k == T_MINUS ? EOP_NEG : EOP_INVERT, col, 1, &a, out);
}

/* One level of left-associative binary operators: operand (op operand)*,
 * where op_of gives the opcode of an operator token of the level, or EOP_N
 * for any other token. */
static int parse_level(parser *p, int (*operand)(parser *, int *), expr_op (*op_of)(tok_kind),
                       int *out)
{
    PA_TRY(operand(p, out));
    for (expr_op op; (op = op_of(p->t.kind)) != EOP_N;) {
        int col = col_of(p->t.pos), args[2] = {*out, 0};
        PA_TRY(next(p));
        PA_TRY(operand(p, &args[1]));
        PA_TRY(op_node(p, op, col, 2, args, out));
    }
    return PA_OK;
}

static expr_op term_op(tok_kind k)
{
    return k == T_STAR ? EOP_MUL : k == T_SLASH ? EOP_DIV : k == T_PERCENT ? EOP_MOD : EOP_N;
}

static expr_op sum_op(tok_kind k)
{
    return k == T_PLUS ? EOP_ADD : k == T_MINUS ? EOP_SUB : EOP_N;
}

static expr_op shift_op(tok_kind k)
{
    return k == T_LSHIFT ? EOP_LEFT_SHIFT : k == T_RSHIFT ? EOP_RIGHT_SHIFT : EOP_N;
}

static expr_op band_op(tok_kind k)
{
    return k == T_AMP ? EOP_BITWISE_AND : EOP_N;
}
static expr_op bxor_op(tok_kind k)
{
    return k == T_CARET ? EOP_BITWISE_XOR : EOP_N;
}
static expr_op bor_op(tok_kind k)
{
    return k == T_PIPE ? EOP_BITWISE_OR : EOP_N;
}

static int parse_term(parser *p, int *out)
{
    return parse_level(p, parse_unary, term_op, out);
}
static int parse_sum(parser *p, int *out)
{
    return parse_level(p, parse_term, sum_op, out);
}
static int parse_shift(parser *p, int *out)
{
    return parse_level(p, parse_sum, shift_op, out);
}
static int parse_band(parser *p, int *out)
{
    return parse_level(p, parse_shift, band_op, out);
}
static int parse_bxor(parser *p, int *out)
{
    return parse_level(p, parse_band, bxor_op, out);
}
static int parse_bor(parser *p, int *out)
{
    return parse_level(p, parse_bxor, bor_op, out);
}

static int cmp_op(tok_kind k, expr_op *op)
{
    switch (k) {
    case T_LT: *op = EOP_LT; return 1;
    case T_LE: *op = EOP_LE; return 1;
    case T_GT: *op = EOP_GT; return 1;
    case T_GE: *op = EOP_GE; return 1;
    case T_EQ: *op = EOP_EQ; return 1;
    case T_NE: *op = EOP_NE; return 1;
    default: return 0;
    }
}

static int parse_cmp(parser *p, int *out)
{
    PA_TRY(parse_bor(p, out));
    expr_op op;
    if (cmp_op(p->t.kind, &op)) {
        int col = col_of(p->t.pos), args[2] = {*out, 0};
        PA_TRY(next(p));
        PA_TRY(parse_bor(p, &args[1]));
        PA_TRY(op_node(p, op, col, 2, args, out));
        if (cmp_op(p->t.kind, &op))
            return pa__err(p->ctx, FN, PA_EINVAL,
                           "column %d: comparisons do not chain: expected parentheses "
                           "around one comparison, e.g. (a < b) & (b < c) (comparisons "
                           "bind looser than & | ^, as in Python)",
                           col_of(p->t.pos));
    }
    return PA_OK;
}

int pa__expr_parse(pa_ctx *ctx, pa_expr *e)
{
    parser p = {.ctx = ctx, .e = e, .s = e->text};
    PA_TRY(next(&p));
    if (p.t.kind != T_NAME)
        return expected(&p, "the output name (the text is OUT = EXPR)");
    token out = p.t;
    PA_TRY(next(&p));
    if (p.t.kind != T_ASSIGN)
        return expected(&p, "'=' after the output name");
    e->out_name = strndup(e->text + out.pos, out.len);
    if (!e->out_name)
        return pa__err(ctx, FN, PA_ENOMEM, "out of memory");
    e->out_col = col_of(out.pos);
    PA_TRY(next(&p));
    PA_TRY(parse_cmp(&p, &e->root));
    if (p.t.kind != T_END) {
        if (p.t.kind == T_RP)
            return pa__err(ctx, FN, PA_EINVAL, "column %d: unmatched ')'", col_of(p.t.pos));
        return expected(&p, "an operator or end of expression");
    }
    return PA_OK;
}
