/* The compiled expression object, which owns the syntax tree (made by
 * expr_parse.c) and the cached register program (made by expr_eval.c):
 * its life cycle (pa_expr_compile, pa_expr_free) and the name getters. */
#include <stdlib.h>
#include <string.h>

#include "expr.h"

void pa__expr_prog_free(expr_prog *p)
{
    free(p->uinstr);
    free(p->instr);
    free(p->uni_node);
    free(p->uni_dtype);
    free(p->in_name);
    free(p->uni);
    memset(p, 0, sizeof *p);
}

int pa_expr_compile(pa_ctx *ctx, const char *text, pa_expr **out)
{
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    *out = NULL;
    PA_CHECK(ctx, ctx, PA_EINVAL, "ctx is NULL");
    PA_CHECK(ctx, text, PA_EINVAL, "text is NULL");
    pa_expr *e = calloc(1, sizeof *e);
    if (!e)
        return pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    e->ctx = ctx;
    e->text = strdup(text);
    int rc = e->text ? pa__expr_parse(ctx, e)
                     : pa__err(ctx, __func__, PA_ENOMEM, "out of memory");
    if (rc != PA_OK) {
        pa_expr_free(&e);
        return rc;
    }
    *out = e;
    return PA_OK;
}

void pa_expr_free(pa_expr **pe)
{
    if (!pe || !*pe)
        return;
    pa_expr *e = *pe;
    pa__expr_prog_free(&e->prog);
    for (int i = 0; i < e->nnames; i++)
        free(e->names[i]);
    free(e->names);
    free(e->name_col);
    free(e->nodes);
    free(e->out_name);
    free(e->text);
    free(e->regs);
    free(e);
    *pe = NULL;
}

const char *pa_expr_output(const pa_expr *e)
{
    return e ? e->out_name : NULL;
}
int pa_expr_nnames(const pa_expr *e)
{
    return e ? e->nnames : 0;
}

const char *pa_expr_name(const pa_expr *e, int i)
{
    return e && i >= 0 && i < e->nnames ? e->names[i] : NULL;
}
