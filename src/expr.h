/* Private declarations of the fused expressions: the syntax tree that
 * expr_parse.c builds from the text, the register program that
 * expr_eval.c generates from it for one set of bindings, and the compiled
 * expression object that holds both (expr.c: its life cycle).
 *
 * The files call each other in one direction: expr_eval.c calls expr.c
 * (pa_eval compiles and frees) and expr_parse.c (op names); expr.c calls
 * expr_parse.c; expr_parse.c calls neither. */
#ifndef PARRAY_EXPR_PRIV_H
#define PARRAY_EXPR_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include "kernels.h"

/* ------------------------------------------------------------ opcodes */

/* The operations of the language are the kernel layer's ops, with the
 * same values (an expr_op converts to its pa__kop): the unary and binary
 * ops of compute.h (same names, same order), then the comparisons, where,
 * the fused mul-adds that the code generator makes of a*b + c, and copy
 * (an expression that is a bare name or constant). */
typedef enum {
#define EXPR_OP_ENUM_(N, ...) EOP_##N = PA__KOP_##N,
    PA__KERNEL_OPS(EXPR_OP_ENUM_)
#undef EXPR_OP_ENUM_
        EOP_N = PA__KOP_N
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
    expr_op op; /* EN_OP */
    int nargs;  /* EN_OP: 1, 2 or 3 */
    int arg[3]; /* EN_OP: node indices */
    double num; /* EN_NUM */
    int is_int; /* EN_NUM: written without '.' or exponent, a Python int */
    int name;   /* EN_NAME: index in pa_expr.names */
    int col;    /* 1-based column of the node's token, for messages */
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

/* Blocks. A block holds EXPR_BLK_BYTES of the program's widest dtype
 * (1 KiB: 128 f64, 256 f32, 1024 u8), and never fewer than the kernels'
 * PA__KERNEL_BLK elements (so 128 c128, 2 KiB). At 1 KiB the registers an
 * expression uses and the blocks of its inputs stay in L1 between the
 * instructions of one block, and the reads of the inputs and the streaming
 * writes of the output alternate often enough that the memory stays busy
 * with both: sqrt(x*x + y*y) on f64 ran 30% faster than with 8 KiB blocks.
 * Counted in bytes rather than elements, a narrow dtype's block costs the
 * same kernel calls per byte as f64's: with 128-element blocks z = a*b + c
 * on u8 spent most of its time in the calls. An expression with broadcast
 * operands keeps PA__KERNEL_BLK elements, the most a broadcast reader
 * reads at once (broadcast.h). A register is EXPR_REG_BYTES, room for the
 * largest block. */
#define EXPR_BLK_BYTES 1024
#define EXPR_REG_BYTES (PA__KERNEL_BLK * sizeof(pa__elem))
_Static_assert(EXPR_BLK_BYTES % PA__KERNEL_BLK == 0 && EXPR_BLK_BYTES <= EXPR_REG_BYTES,
               "a block of the widest dtype fits a register and is whole kernel blocks");

/* What a conversion instruction does (expr_instr.conv). */
typedef enum {
    EXPR_CONV_NONE,  /* not a conversion: fn computes op */
    EXPR_CONV_VALUE, /* a[0], of dtype from, converted into dtype (pa__convert) */
    EXPR_CONV_TRUTH  /* a uniform a[0] as a condition: 1 where it is not 0, else 0 */
} expr_conv;

typedef struct {
    expr_op op;
    int nargs;
    expr_opd a[3];
    expr_opd dst;   /* ED_REG, or ED_IN with idx -1: the output at the block */
    pa__strides st; /* 1 for a block operand, 0 for a uniform one */
    pa__kernel fn;  /* the op's kernel for its dtype and the store */
    pa_dtype dtype; /* the dtype it computes in (numpy's promotion of its operands) */
    expr_conv conv; /* a conversion instead of fn */
    pa_dtype from;  /* a conversion's source dtype */
} expr_instr;

/* How the result reaches the output array. */
typedef enum {
    EXPR_STORE_REG,    /* computed into a register, then copied: the output is
                          also an input, so it must not be written early */
    EXPR_STORE_DIRECT, /* the last instruction stores into the output */
    EXPR_STORE_STREAM, /* the same, with non-temporal stores (large outputs) */
    EXPR_STORE_SCALAR  /* no output array: scalars alone, the value is the
                          uniform value result_uni (pa_expr_eval_scalar) */
} expr_store;

/* The program for one binding signature (which names are arrays, each
 * name's dtype or scalar kind, the output's dtype, whether the output is
 * also read). */
typedef struct {
    int valid;
    pa_dtype dtype;                         /* the output's */
    uint64_t array_mask;                    /* bit k: name k is bound to an array (k < 64) */
    unsigned char name_type[EXPR_MAXNAMES]; /* per name: the array's dtype, or
                              PA_NDTYPES + 0 (a whole number) or + 1 (another) */
    int out_read;                           /* the output array is also an input */
    expr_store store;
    /* Uniform section: scalar instructions over uni[], run once per eval.
     * uni[0 .. nuni_in) are loaded from numbers and scalar bindings. */
    int nuni;
    expr_instr *uinstr;
    int nuinstr;
    int *uni_node;       /* per uniform value: the leaf node it loads, or -1
                              (computed, or a condition's zero that nothing writes) */
    pa_dtype *uni_dtype; /* per uniform value: its dtype */
    /* Block section: per block, instr[0 .. ninstr) in order. */
    expr_instr *instr;
    int ninstr;
    int nreg;
    size_t widest; /* the largest element size an instruction reads or writes */
    int *in_name;  /* per input slot: the name index */
    int nin;
    int final_reg;      /* EXPR_STORE_REG: the result's register, copied to
                              the output after each block; else -1 */
    int result_uni;     /* EXPR_STORE_SCALAR: the uniform value of the result */
    unsigned char *uni; /* nuni values, one pa__elem each, zeroed when made */
} expr_prog;

/* ------------------------------------------------------------ the object */

struct pa_expr {
    pa_ctx *ctx;
    char *text;
    expr_node *nodes;
    int nnodes, capnodes;
    int root; /* the right-hand side */
    char *out_name;
    int out_col;
    char **names;  /* names read, in order of first appearance */
    int *name_col; /* column of each name's first appearance */
    int nnames, capnames;
    expr_prog prog; /* the program of the last evaluation's signature */
    void *regs;     /* nregs blocks, 64-byte aligned */
    int nregs;
};

/* expr_parse.c: builds e->nodes, names and out_name from e->text. Records
 * "pa_expr_compile: column N: ..." in ctx on a syntax error. */
int pa__expr_parse(pa_ctx *ctx, pa_expr *e);

/* expr.c: frees the program's arrays (the object owns the program;
 * expr_eval.c makes it). */
void pa__expr_prog_free(expr_prog *p);

#endif
