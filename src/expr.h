/* Private declarations of the fused expressions: the syntax tree that
 * expr_parse.c builds from the text, the register program that
 * expr_eval.c generates from it for one set of bindings, and the compiled
 * expression object that holds both. */
#ifndef PARRAY_EXPR_PRIV_H
#define PARRAY_EXPR_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include "internal.h"

/* ------------------------------------------------------------ opcodes */

/* The operations of the language: the unary and binary ops of compute.h
 * (same names, same order, so EOP_<NAME> - EOP_UNARY0 is the pa_unary_op),
 * then the comparisons and where, which compute.h does not have. */
typedef enum {
#define EXPR_UNARY_ENUM_(N, n) EOP_##N,
    PA_UNARY_LIST(EXPR_UNARY_ENUM_)
#undef EXPR_UNARY_ENUM_
#define EXPR_BINARY_ENUM_(N, n) EOP_##N,
    PA_BINARY_LIST(EXPR_BINARY_ENUM_)
#undef EXPR_BINARY_ENUM_
    EOP_LT, EOP_LE, EOP_GT, EOP_GE, EOP_EQ, EOP_NE,
    EOP_WHERE,
    EOP_MULADD, /* a*b + c, fused by the code generator */
    EOP_ADDMUL, /* c + a*b */
    EOP_COPY, /* out = a: an expression that is a bare name or constant */
    EOP_N
} expr_op;

#define EOP_UNARY0 EOP_NEG
#define EOP_BINARY0 EOP_ADD
#define EOP_IS_UNARY(op) ((op) < EOP_BINARY0)
#define EOP_IS_BINARY(op) ((op) >= EOP_BINARY0 && (op) <= EOP_NE)

/* Not collective. The name of an opcode ("add", "<", "where"). */
const char *pa__expr_op_name(expr_op op);

/* ------------------------------------------------------------ syntax tree */

/* The names an expression may read: one bit each in expr_prog.array_mask.
 * The parser refuses more. */
#define EXPR_MAXNAMES 64

typedef enum { EN_NUM, EN_NAME, EN_OP } expr_node_kind;

typedef struct {
    expr_node_kind kind;
    expr_op op;     /* EN_OP */
    int nargs;      /* EN_OP: 1, 2 or 3 */
    int arg[3];     /* EN_OP: node indices */
    double num;     /* EN_NUM */
    int is_int;     /* EN_NUM: written without '.' or exponent, a Python int */
    int name;       /* EN_NAME: index in pa_expr.names */
    int col;        /* 1-based column of the node's token, for messages */
} expr_node;

/* ------------------------------------------------------------ register program */

/* Where an operand lives during evaluation of one block:
 *   ED_REG:  register idx, a block-sized buffer;
 *   ED_IN:   the input array of slot idx, at the block's offset (read in
 *            place, never copied);
 *   ED_UNI:  uniform value idx, the same for every element (a number, a
 *            scalar binding, or a subexpression of those, computed once per
 *            evaluation). */
typedef enum { ED_REG, ED_IN, ED_UNI } expr_opd_kind;

typedef struct {
    expr_opd_kind kind;
    int idx;
} expr_opd;

/* One kernel: o[i] = op(a[i], b[i], c[i]) for n elements, where a
 * scalar operand is one element read for every i. The operands are never
 * the same memory as o (the kernels' pointers are restrict: the code
 * generator and ops.c guarantee it). Returns the PA_OPERR_* bits of
 * integer ops. */
typedef int (*expr_kernel)(void *o, const void *a, const void *b, const void *c, size_t n);

/* Elements per block. A register of f64 is 1 KiB, so the registers an
 * expression uses and the blocks of its inputs stay in L1 between the
 * instructions of one block, and the reads of the inputs and the streaming
 * writes of the output alternate often enough that the memory stays busy
 * with both: sqrt(x*x + y*y) ran 30% faster than with 1024-element blocks,
 * and the kernel call per instruction and block costs a few percent. A
 * full block is also the trip count the ordinary kernels vectorise. */
#define EXPR_BLK 128

/* Kernel forms: which operands are vectors (V, EXPR_BLK-long blocks) and
 * which are scalars (S, one element). */
enum { F_V, F_VV, F_VS, F_SV, F_VVV, F_FILL, NFORMS };

/* expr_eval.c, not collective: the kernel of op for dtype d and operand
 * form, built for the best instruction set this CPU runs; nt selects the
 * form with streaming stores. The element-wise ops (ops.c) run on these
 * too. */
expr_kernel pa__expr_kernel(pa_dtype d, expr_op op, int form, int nt);

/* What a conversion instruction does (expr_instr.conv). */
typedef enum {
    EXPR_CONV_NONE,  /* not a conversion: fn computes op */
    EXPR_CONV_VALUE, /* a varying a[0], of dtype from, converted into dtype
                        (pa__convert) */
    EXPR_CONV_TRUTH  /* a uniform a[0] as a condition: 1 where it is not 0, else 0 */
} expr_conv;

typedef struct {
    expr_op op;
    int nargs;
    expr_opd a[3];
    expr_opd dst;   /* ED_REG, or ED_IN with idx -1: the output at the block */
    int form;       /* the operand kinds (expr_eval.c's F_*) */
    expr_kernel fn; /* the op's kernel for the dtype, form and store */
    pa_dtype dtype; /* the dtype it computes in (numpy's promotion of its operands) */
    expr_conv conv; /* a conversion instead of fn */
    pa_dtype from;  /* a conversion's source dtype */
} expr_instr;

/* How the result reaches the output array. */
typedef enum {
    EXPR_STORE_REG,    /* computed into a register, then copied: the output is
                          also an input, so it must not be written early */
    EXPR_STORE_DIRECT, /* the last instruction stores into the output */
    EXPR_STORE_STREAM  /* the same, with non-temporal stores (large outputs) */
} expr_store;

/* The program for one binding signature (which names are arrays, each
 * name's dtype or scalar kind, the output's dtype, whether the output is
 * also read). */
typedef struct {
    int valid;
    pa_dtype dtype;        /* the output's */
    uint64_t array_mask;   /* bit k: name k is bound to an array (k < 64) */
    unsigned char name_type[EXPR_MAXNAMES]; /* per name: the array's dtype, or
                              PA_NDTYPES + 0 (a whole number) or + 1 (another) */
    int out_read;          /* the output array is also an input */
    expr_store store;
    /* Uniform section: scalar instructions over uni[], run once per eval.
     * uni[0 .. nuni_in) are loaded from numbers and scalar bindings. */
    int nuni;
    expr_instr *uinstr;
    int nuinstr;
    int *uni_node;         /* per uniform value: the leaf node it loads, or -1
                              (computed, or a condition's zero that nothing writes) */
    pa_dtype *uni_dtype;   /* per uniform value: its dtype */
    /* Block section: per block, instr[0 .. ninstr) in order. */
    expr_instr *instr;
    int ninstr;
    int nreg;
    int *splat;            /* per register: uniform value it holds for the whole
                              evaluation (filled once), or -1 */
    int *in_name;          /* per input slot: the name index */
    int nin;
    int final_reg;         /* EXPR_STORE_REG: the result's register, copied to
                              the output after each block; else -1 */
    expr_kernel fill[PA_EXPR_MAXREG]; /* per splat register: its dtype's fill kernel */
    unsigned char *uni;    /* nuni values, one pa__elem each, zeroed when made */
} expr_prog;

/* ------------------------------------------------------------ the object */

struct pa_expr {
    pa_ctx *ctx;
    char *text;
    expr_node *nodes;
    int nnodes, capnodes;
    int root;              /* the right-hand side */
    char *out_name;
    int out_col;
    char **names;          /* names read, in order of first appearance */
    int *name_col;         /* column of each name's first appearance */
    int nnames, capnames;
    expr_prog prog;        /* the program of the last evaluation's signature */
    void *regs;            /* nregs blocks, 64-byte aligned */
    int nregs;
};

/* expr_parse.c: builds e->nodes, names and out_name from e->text. Records
 * "pa_expr_compile: column N: ..." in ctx on a syntax error. */
int pa__expr_parse(pa_ctx *ctx, pa_expr *e);

/* expr_eval.c: frees the program's arrays. */
void pa__expr_prog_free(expr_prog *p);

#endif
