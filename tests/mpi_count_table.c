/* Prints, for each public collective call, the MPI calls it makes (counted
 * by the PMPI shim tests/mpi_count.c) on parray's job, node and leaders'
 * communicators, and the bytes each rank puts into them: the figures of
 * docs/scaling.md. Every call runs once unmeasured (pools, caches), then
 * once measured, on small arrays (1,000 elements, 16 x 16 matrices).
 *
 * usage: mpirun -n P tests/mpi_count_table DIR   (DIR: a temporary directory)
 * One line per call: "call | kind@comm calls [bytes] ...", each count the
 * largest over the ranks, as "min-max" where ranks differ. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_count.h"
#include "parray.h"

#define N 1000
#define M 16

typedef struct {
    pa_ctx *ctx;
    const char *dir;
    char h5[512], h5b[512], csv[512], npy[512];
    pa_array *t, *a, *b, *z, *r, *i32, *q, *A, *B, *C, *L, *w, *x, *y, *rows;
    pa_expr *e;
} st;

#define ARR(v) PA_BIND_ARRAY(#v, s->v)

static int scale_fn(const pa_span *sp, void *u)
{
    (void)u;
    for (size_t i = 0; i < sp->count; i++)
        ((double *)sp->ptr)[i] *= 1.0;
    return 0;
}

static int add_fn(const pa_span *o, const pa_span *a, const pa_span *b, void *u)
{
    (void)u;
    for (size_t i = 0; i < o->count; i++)
        ((double *)o->ptr)[i] = ((const double *)a->ptr)[i] + ((const double *)b->ptr)[i];
    return 0;
}

/* clang-format off */
static int c_create(st *s) { pa_array *t; size_t n = N; int rc = pa_array_create(s->ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &t); pa_array_free(&t); return rc; }
static int p_free(st *s) { size_t n = N; return pa_array_create(s->ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &s->t); }
static int c_free(st *s) { return pa_array_free(&s->t); }
static int c_mem_check(st *s) { return pa_mem_check(s->ctx, 1000, "test"); }
static int c_sync(st *s) { return pa_array_sync(s->a); }
static int c_gather(st *s) { static double buf[N]; return pa_array_gather(s->a, 0, buf); }
static int c_scatter(st *s) { static double buf[N]; return pa_array_scatter(s->a, 0, buf); }
static int c_replicate(st *s) { return pa_array_replicate(s->r, 0); }
static int c_zeros(st *s) { return pa_zeros(s->z); }
static int c_full(st *s) { return pa_full(s->z, 2.0); }
static int c_arange(st *s) { return pa_arange(s->z, 0, 1); }
static int c_linspace(st *s) { return pa_linspace(s->z, 0, 1, 1); }
static int c_copy(st *s) { return pa_copy(s->z, s->a); }
static int c_astype(st *s) { return pa_astype(s->i32, s->a); }
static int c_uniform(st *s) { return pa_random_uniform(s->z, 1, 0, 0, 1); }
static int c_unary(st *s) { return pa_unary(s->z, PA_OP_SQRT, s->a); }
static int c_binary(st *s) { return pa_binary(s->z, PA_OP_ADD, s->a, s->b); }
static int c_binary_scalar(st *s) { return pa_binary_scalar(s->z, PA_OP_MUL, s->a, 2.0); }
static int c_binary_int(st *s) { return pa_binary(s->q, PA_OP_DIV, s->q, s->q); }
static int c_map(st *s) { return pa_map(s->z, scale_fn, NULL); }
static int c_map2(st *s) { return pa_map2(s->z, s->a, s->b, add_fn, NULL); }
static int c_sum(st *s) { double v; return pa_reduce(s->a, PA_RED_SUM, -1, &v); }
static int c_max(st *s) { double v; return pa_reduce(s->a, PA_RED_MAX, -1, &v); }
static int c_argmax(st *s) { double v; return pa_reduce(s->a, PA_RED_ARGMAX, -1, &v); }
static int c_sum_axis(st *s) { static double v[M]; return pa_reduce(s->A, PA_RED_SUM, 0, v); }
static int c_var(st *s) { double v; return pa_var(s->a, -1, 0, &v); }
static int c_dot(st *s) { double v; return pa_dot(s->a, s->b, &v); }
static int c_eval(st *s) { pa_binding bd[] = {ARR(z), ARR(a), ARR(b)}; return pa_eval(s->ctx, "z = a*b + 1", bd, 3); }
static int c_expr_eval(st *s) { pa_binding bd[] = {ARR(z), ARR(a), ARR(b)}; return pa_expr_eval(s->e, bd, 3); }
static int c_h5_save_new(st *s) { pa_h5_opts o = {.truncate = 1}; return pa_h5_save(s->a, s->h5, "/a", &o); }
static int c_h5_save_add(st *s) { return pa_h5_save(s->b, s->h5b, "/b", NULL); }
static int c_h5_load(st *s) { pa_array *t; int rc = pa_h5_load(s->ctx, s->h5, "/a", NULL, &t); pa_array_free(&t); return rc; }
static int c_h5_read(st *s) { return pa_h5_read(s->z, s->h5, "/a", NULL); }
static int c_h5_info(st *s) { pa_dtype d; int nd; size_t sh[PA_MAXDIM]; return pa_h5_info(s->ctx, s->h5, "/a", &d, &nd, sh); }
static int c_h5_load_rows(st *s) { pa_array *t; int rc = pa_h5_load_rows(s->ctx, s->h5, "/a", 0, 100, NULL, &t); pa_array_free(&t); return rc; }
static int c_h5_rows(st *s)
{
    pa_h5_writer *w;
    size_t n = N;
    int rc = pa_h5_create(s->ctx, s->h5b, "/w", PA_F64, 1, &n, NULL, &w);
    if (rc == PA_OK)
        rc = pa_h5_write_rows(w, s->a, 0);
    return rc == PA_OK ? pa_h5_commit(&w) : rc;
}
static int c_attr_set(st *s) { return pa_h5_attr_set_num(s->ctx, s->h5, "/a", "k", 1.5); }
static int c_attr_get(st *s) { double v; return pa_h5_attr_get_num(s->ctx, s->h5, "/a", "k", &v); }
static int c_save_csv(st *s) { return pa_save_csv(s->A, s->csv, NULL); }
static int c_load_csv(st *s) { pa_array *t; int rc = pa_load_csv(s->ctx, s->csv, NULL, &t); pa_array_free(&t); return rc; }
static int c_save_files(st *s) { return pa_save_files(s->A, s->npy, PA_FORMAT_NPY, NULL); }
static int c_load_files(st *s)
{
    char p[M][600];
    const char *ps[M];
    for (int i = 0; i < M; i++) {
        snprintf(p[i], sizeof p[i], "%s/f%02d.npy", s->dir, i);
        ps[i] = p[i];
    }
    pa_array *t;
    int rc = pa_load_files(s->ctx, ps, M, PA_FORMAT_NPY, NULL, &t);
    pa_array_free(&t);
    return rc;
}
static int c_matmul(st *s) { return pa_matmul(s->C, s->A, s->B, NULL); }
static int c_matvec(st *s) { return pa_matvec(s->y, s->A, s->x, NULL); }
static int c_cholesky(st *s) { return pa_cholesky(s->L, s->B); }
static int c_solve(st *s) { return pa_solve(s->L, s->B, s->B); }
/* clang-format on */

static const struct {
    const char *name;
    int (*fn)(st *);
    int (*prep)(st *); /* before each call, not counted; may be NULL */
} calls[] = {
    {"pa_mem_check", c_mem_check, NULL},
    {"pa_array_create", c_create, NULL},
    {"pa_array_free", c_free, p_free},
    {"pa_array_sync", c_sync, NULL},
    {"pa_array_gather", c_gather, NULL},
    {"pa_array_scatter", c_scatter, NULL},
    {"pa_array_replicate", c_replicate, NULL},
    {"pa_zeros", c_zeros, NULL},
    {"pa_full", c_full, NULL},
    {"pa_arange", c_arange, NULL},
    {"pa_linspace", c_linspace, NULL},
    {"pa_copy", c_copy, NULL},
    {"pa_astype", c_astype, NULL},
    {"pa_random_uniform", c_uniform, NULL},
    {"pa_unary", c_unary, NULL},
    {"pa_binary", c_binary, NULL},
    {"pa_binary_scalar", c_binary_scalar, NULL},
    {"pa_binary i32 div", c_binary_int, NULL},
    {"pa_map", c_map, NULL},
    {"pa_map2", c_map2, NULL},
    {"pa_reduce sum", c_sum, NULL},
    {"pa_reduce max", c_max, NULL},
    {"pa_reduce argmax", c_argmax, NULL},
    {"pa_reduce sum axis 0", c_sum_axis, NULL},
    {"pa_var", c_var, NULL},
    {"pa_dot", c_dot, NULL},
    {"pa_eval", c_eval, NULL},
    {"pa_expr_eval", c_expr_eval, NULL},
    {"pa_h5_save new file", c_h5_save_new, NULL},
    {"pa_h5_save add dataset", c_h5_save_add, NULL},
    {"pa_h5_load", c_h5_load, NULL},
    {"pa_h5_read", c_h5_read, NULL},
    {"pa_h5_info", c_h5_info, NULL},
    {"pa_h5_load_rows", c_h5_load_rows, NULL},
    {"pa_h5_create+write_rows+commit", c_h5_rows, NULL},
    {"pa_h5_attr_set_num", c_attr_set, NULL},
    {"pa_h5_attr_get_num", c_attr_get, NULL},
    {"pa_save_csv", c_save_csv, NULL},
    {"pa_load_csv", c_load_csv, NULL},
    {"pa_save_files", c_save_files, NULL},
    {"pa_load_files", c_load_files, NULL},
    {"pa_matmul", c_matmul, NULL},
    {"pa_matvec", c_matvec, NULL},
    {"pa_cholesky", c_cholesky, NULL},
    {"pa_solve", c_solve, NULL},
};

static int make(st *s)
{
    size_t n = N, mm[2] = {M, M}, m = M;
    int rc = 0;
    rc |= pa_array_create(s->ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &s->a);
    rc |= pa_array_create(s->ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &s->b);
    rc |= pa_array_create(s->ctx, PA_F64, 1, &n, PA_DISTRIBUTED, &s->z);
    rc |= pa_array_create(s->ctx, PA_I32, 1, &n, PA_DISTRIBUTED, &s->i32);
    rc |= pa_array_create(s->ctx, PA_I32, 1, &n, PA_DISTRIBUTED, &s->q);
    rc |= pa_array_create(s->ctx, PA_F64, 1, &n, PA_REPLICATED, &s->r);
    rc |= pa_array_create(s->ctx, PA_F64, 2, mm, PA_DISTRIBUTED, &s->A);
    rc |= pa_array_create(s->ctx, PA_F64, 2, mm, PA_REPLICATED, &s->B);
    rc |= pa_array_create(s->ctx, PA_F64, 2, mm, PA_DISTRIBUTED, &s->C);
    rc |= pa_array_create(s->ctx, PA_F64, 2, mm, PA_REPLICATED, &s->L);
    rc |= pa_array_create(s->ctx, PA_F64, 1, &m, PA_REPLICATED, &s->x);
    rc |= pa_array_create(s->ctx, PA_F64, 1, &m, PA_DISTRIBUTED, &s->y);
    rc |= pa_random_uniform(s->a, 1, 1, 1, 2) | pa_random_uniform(s->b, 1, 2, 1, 2);
    rc |= pa_full(s->q, 3) | pa_random_uniform(s->A, 1, 3, 0, 1);
    /* B: a symmetric positive definite matrix, 2 on the diagonal, 1 off it. */
    rc |= pa_full(s->B, 1.0);
    pa_span sp;
    pa_array_node(s->B, &sp);
    if (pa_ctx_node_rank(s->ctx) == 0)
        for (int i = 0; i < M; i++)
            ((double *)sp.ptr)[i * M + i] = 2.0;
    rc |= pa_array_sync(s->B);
    rc |= pa_expr_compile(s->ctx, "z = a*b + 1", &s->e);
    snprintf(s->h5, sizeof s->h5, "%s/a.h5", s->dir);
    snprintf(s->h5b, sizeof s->h5b, "%s/b.h5", s->dir);
    snprintf(s->csv, sizeof s->csv, "%s/a.csv", s->dir);
    snprintf(s->npy, sizeof s->npy, "%s/f%%02d.npy", s->dir);
    /* b.h5 holds another dataset, so that a save into it adds one. */
    rc |= pa_h5_save(s->a, s->h5b, "/other", NULL);
    rc |= pa_h5_save(s->a, s->h5, "/a", NULL) | pa_save_csv(s->A, s->csv, NULL);
    rc |= pa_save_files(s->A, s->npy, PA_FORMAT_NPY, NULL);
    return rc;
}

/* One line: each kind@comm with a call on any rank, its calls and bytes
 * as "min-max" over the ranks where they differ. */
static void report(st *s, const char *name)
{
    long mine[2 * MPI_COUNT_NKINDS * MPI_COUNT_NCOMMS],
        lo[2 * MPI_COUNT_NKINDS * MPI_COUNT_NCOMMS], hi[2 * MPI_COUNT_NKINDS * MPI_COUNT_NCOMMS];
    int k = 0;
    for (int i = 0; i < MPI_COUNT_NKINDS; i++)
        for (int c = 0; c < MPI_COUNT_NCOMMS; c++) {
            mine[k++] = mpi_count_calls(i, c);
            mine[k++] = mpi_count_bytes(i, c);
        }
    MPI_Comm comm = pa_ctx_comm(s->ctx);
    PMPI_Allreduce(mine, lo, k, MPI_LONG, MPI_MIN, comm);
    PMPI_Allreduce(mine, hi, k, MPI_LONG, MPI_MAX, comm);
    if (pa_ctx_rank(s->ctx) != 0)
        return;
    printf("%-32s |", name);
    k = 0;
    for (int i = 0; i < MPI_COUNT_NKINDS; i++)
        for (int c = 0; c < MPI_COUNT_NCOMMS; c++, k += 2) {
            if (hi[k] == 0)
                continue;
            /* A window's calls have no communicator to name. */
            if (i == MPI_COUNT_WIN_SYNC)
                printf(" %s ", mpi_count_kind_names[i]);
            else
                printf(" %s@%s ", mpi_count_kind_names[i], mpi_count_comm_names[c]);
            if (lo[k] == hi[k])
                printf("%ld", hi[k]);
            else
                printf("%ld-%ld", lo[k], hi[k]);
            if (hi[k + 1])
                printf(lo[k + 1] == hi[k + 1] ? " [%ld B]" : " [%ld-%ld B]", lo[k + 1],
                       hi[k + 1]);
            printf(";");
        }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mpirun -n P %s DIR\n", argv[0]);
        return 2;
    }
    st s = {.dir = argv[1]};
    if (pa_init(&argc, &argv, &s.ctx) != PA_OK) {
        fprintf(stderr, "pa_init: %s\n", pa_errmsg(NULL));
        return 1;
    }
    mpi_count_watch(s.ctx);
    int rc = make(&s);
    if (pa_ctx_rank(s.ctx) == 0)
        printf("%d ranks, %d nodes of %d\n", pa_ctx_size(s.ctx), pa_ctx_nnodes(s.ctx),
               pa_ctx_node_size(s.ctx));
    for (size_t i = 0; rc == PA_OK && i < sizeof calls / sizeof calls[0]; i++) {
        int (*prep)(st *) = calls[i].prep;
        rc = (prep ? prep(&s) : 0) | calls[i].fn(&s) | (prep ? prep(&s) : 0);
        mpi_count_reset();
        if (getenv("MPI_COUNT_TRACE") && pa_ctx_rank(s.ctx) == 0)
            fprintf(stderr, "== %s\n", calls[i].name); /* the trace's calls follow */
        rc |= calls[i].fn(&s);
        report(&s, calls[i].name);
    }
    if (rc != PA_OK && pa_ctx_rank(s.ctx) == 0)
        fprintf(stderr, "failed: %s\n", pa_errmsg(s.ctx));
    pa_array *all[] = {s.a, s.b, s.z, s.r, s.i32, s.q, s.A, s.B, s.C, s.L, s.w, s.x, s.y};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        pa_array_free(&all[i]);
    pa_expr_free(&s.e);
    pa_finalize(&s.ctx);
    return rc != PA_OK;
}
