/* Node blocks: one MPI-3 shared window per array per node, in which every
 * rank of the node allocates its own slice, plus a small pool that keeps
 * large windows after pa_array_free so that a later array of the same
 * layout skips the first-touch cost (freed memory is slow to get back on a
 * VM). The pool is capped by PARRAY_POOL_MB (default 1024 MiB per rank's
 * node blocks; 0 turns it off). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "internal.h"

/* Blocks smaller than this are cheap to make again and are not pooled. */
#define POOL_MIN_BYTES ((size_t)1 << 20)

/* At most this many windows are kept (MPI implementations limit how many
 * shared windows a process may hold). */
#define POOL_ENTRIES 16

typedef struct {
    pa_block blk;
    pa_partition part; /* the layout the block was made for */
} pool_entry;

struct pa_pool {
    size_t cap, used; /* node block bytes */
    int n;
    pool_entry e[POOL_ENTRIES]; /* oldest first */
};

/* The free space of the file system behind the shared mapping at addr (a
 * tmpfs such as /dev/shm), or SIZE_MAX when it cannot be told. Touching
 * pages past a full tmpfs kills the process with SIGBUS, so the leader
 * checks before anyone touches. */
static size_t shm_free_bytes(const void *addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return SIZE_MAX;
    size_t free_bytes = SIZE_MAX;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &path_at) < 2 || !path_at)
            continue;
        if ((unsigned long)addr < lo || (unsigned long)addr >= hi)
            continue;
        char *path = line + path_at, *slash = strrchr(path, '/');
        if (path[0] == '/' && slash) {
            *slash = '\0';
            struct statvfs vfs;
            if (statvfs(slash == path ? "/" : path, &vfs) == 0)
                free_bytes = (size_t)vfs.f_bavail * vfs.f_frsize;
        }
        break;
    }
    fclose(f);
    return free_bytes;
}

int pa__block_alloc(pa_ctx *ctx, const pa_partition *p, pa_block *blk)
{
    int r = ctx->node_rank;
    /* The leader asks for one page more, so that the block can start on a
     * page boundary whatever header MPI puts before the first segment. */
    MPI_Aint mine = (MPI_Aint)((p->bound[r + 1] - p->bound[r]) * p->elsize);
    if (r == 0)
        mine += PA_PAGE;
    MPI_Info info;
    PA_MPI(ctx, MPI_Info_create(&info));
    void *ptr = NULL;
    blk->win = MPI_WIN_NULL;
    int rc = MPI_Info_set(info, "alloc_shared_noncontig", "false");
    if (rc == MPI_SUCCESS)
        rc = MPI_Win_allocate_shared(mine, 1, info, ctx->node_comm, &ptr, &blk->win);
    MPI_Info_free(&info);
    PA_MPI(ctx, rc);
    /* Counted from here, so that every later failure's pa__block_free
     * takes back what is added. */
    blk->mine = (size_t)mine;
    ctx->shm_bytes += blk->mine;
    if (ctx->shm_bytes > ctx->shm_peak)
        ctx->shm_peak = ctx->shm_bytes;
    PA_MPI(ctx, MPI_Win_set_errhandler(blk->win, MPI_ERRORS_RETURN));

    /* The block must be one contiguous range: each rank's segment must
     * follow the one before it. */
    MPI_Aint size0;
    int disp;
    char *base0, *seg;
    PA_MPI(ctx, MPI_Win_shared_query(blk->win, 0, &size0, &disp, &base0));
    char *expect = base0 + size0;
    for (int q = 1; q < p->nranks && rc == MPI_SUCCESS; q++) {
        MPI_Aint size;
        PA_MPI(ctx, MPI_Win_shared_query(blk->win, q, &size, &disp, &seg));
        if (size > 0 && seg != expect) {
            pa__block_free(ctx, blk);
            return pa__err(ctx, "pa_array_create", PA_ENOTSUP,
                           "the MPI library gave a shared window that is not contiguous");
        }
        expect += size;
    }
    blk->base = (char *)(((uintptr_t)base0 + PA_PAGE - 1) & ~(uintptr_t)(PA_PAGE - 1));
    blk->bytes = p->nelem * p->elsize;

    if (r == 0 && blk->bytes >= POOL_MIN_BYTES) {
        size_t avail = shm_free_bytes(base0);
        if (avail < blk->bytes)
            return pa__err(ctx, "pa_array_create", PA_ENOMEM,
                           "node %d needs %zu bytes of shared memory, but its file system "
                           "has %zu bytes free",
                           ctx->node, blk->bytes, avail);
    }
    if (pa__fault(ctx, "array_alloc"))
        return pa__err(ctx, "pa_array_create", PA_ENOMEM,
                       "cannot allocate %zu bytes on rank %d (injected fault PARRAY_FAULT)",
                       blk->mine, ctx->rank);
    return PA_OK;
}

int pa__block_free(pa_ctx *ctx, pa_block *blk)
{
    if (blk->win == MPI_WIN_NULL)
        return PA_OK;
    int rc = pa__mpi(ctx, __func__, MPI_Win_free(&blk->win), "MPI_Win_free");
    ctx->shm_bytes -= blk->mine;
    blk->win = MPI_WIN_NULL;
    blk->base = NULL;
    return rc;
}

int pa__pool_init(pa_ctx *ctx, size_t cap_bytes)
{
    ctx->pool = calloc(1, sizeof *ctx->pool);
    PA_CHECK(ctx, ctx->pool, PA_ENOMEM, "out of memory");
    ctx->pool->cap = cap_bytes;
    return PA_OK;
}

static void entry_remove(pa_pool *pool, int i)
{
    pool->used -= pool->e[i].blk.bytes;
    memmove(&pool->e[i], &pool->e[i + 1], sizeof(pool_entry) * (size_t)(pool->n - i - 1));
    pool->n--;
}

static void entry_drop(pa_ctx *ctx, int i)
{
    pool_entry *e = &ctx->pool->e[i];
    /* Cleanup: the window is freed right after; an error here has nowhere
     * better to go than the free's own result. */
    (void)MPI_Win_unlock_all(e->blk.win);
    pa__block_free(ctx, &e->blk);
    free(e->part.bound);
    entry_remove(ctx->pool, i);
}

static int same_layout(const pa_partition *a, const pa_partition *b)
{
    return a->nranks == b->nranks && a->elsize == b->elsize && a->nelem == b->nelem &&
           memcmp(a->bound, b->bound, sizeof(size_t) * ((size_t)a->nranks + 1)) == 0;
}

int pa__pool_has(const pa_ctx *ctx, const pa_partition *p)
{
    for (int i = 0; i < ctx->pool->n; i++)
        if (same_layout(&ctx->pool->e[i].part, p))
            return 1;
    return 0;
}

int pa__pool_take(pa_ctx *ctx, const pa_partition *p, pa_block *blk)
{
    pa_pool *pool = ctx->pool;
    for (int i = pool->n - 1; i >= 0; i--) {
        if (same_layout(&pool->e[i].part, p)) {
            *blk = pool->e[i].blk;
            free(pool->e[i].part.bound);
            entry_remove(pool, i);
            return 1;
        }
    }
    return 0;
}

int pa__pool_give(pa_ctx *ctx, pa_partition *p, pa_block *blk)
{
    pa_pool *pool = ctx->pool;
    /* Every rank of the node makes the same decisions here, because the
     * node's ranks make the same calls with the same layouts; so windows are
     * freed (a collective over the node) in the same order on all of them.
     * Nothing here allocates, so nothing can fail on one rank only. */
    if (blk->bytes < POOL_MIN_BYTES || blk->bytes > pool->cap) {
        (void)MPI_Win_unlock_all(blk->win); /* reported by the free below, if at all */
        return pa__block_free(ctx, blk);
    }
    while (pool->n > 0 && (pool->used + blk->bytes > pool->cap || pool->n == POOL_ENTRIES))
        entry_drop(ctx, 0);
    pool->e[pool->n++] = (pool_entry){*blk, *p};
    pool->used += blk->bytes;
    p->bound = NULL; /* the entry owns the partition now */
    blk->win = MPI_WIN_NULL;
    return PA_OK;
}

void pa__pool_destroy(pa_ctx *ctx)
{
    if (!ctx->pool)
        return;
    while (ctx->pool->n > 0)
        entry_drop(ctx, 0);
    free(ctx->pool);
    ctx->pool = NULL;
}
