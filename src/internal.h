/* Private declarations shared by the files of libparray: the bodies of the
 * context and array objects, the error helpers, and the internal calls
 * between concepts. Not installed. */
#ifndef PARRAY_INTERNAL_H
#define PARRAY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include "parray.h"

#define PA_ERRMSG_MAX 512
#define PA_CACHE_LINE 64
#define PA_PAGE 4096

/* ------------------------------------------------------------ errors */

/* Records "fn: message" in ctx (or the init message when ctx is NULL) and
 * returns code. */
int pa__err(pa_ctx *ctx, const char *fn, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The buffer behind pa_errmsg(NULL), for the calls that have no context. */
char *pa__init_errmsg(void);

/* Turns an MPI return code into PA_OK or PA_EMPI, recording
 * "fn: what: <MPI_Error_string>". */
int pa__mpi(pa_ctx *ctx, const char *fn, int mpi_rc, const char *what);

/* Collective over comm. Agreement on an outcome that may differ between
 * ranks: one allreduce picks the lowest (most severe) code, and on failure
 * the message of the lowest failing rank is sent to all, so every rank
 * returns the same code with the same message. Returns that code. */
int pa__agree(pa_ctx *ctx, MPI_Comm comm, int rc);

/* Propagate: return the code of a failed call. */
#define PA_TRY(expr)                                                                             \
    do {                                                                                         \
        int pa_try_rc_ = (expr);                                                                 \
        if (pa_try_rc_ < 0)                                                                      \
            return pa_try_rc_;                                                                   \
    } while (0)

/* Check user input: on failure record a message naming the argument. */
#define PA_CHECK(ctx, cond, code, ...)                                                           \
    do {                                                                                         \
        if (!(cond))                                                                             \
            return pa__err((ctx), __func__, (code), __VA_ARGS__);                                \
    } while (0)

/* The same, for a helper that checks on behalf of the public call fn. */
#define PA_CHECK_AS(ctx, fn, cond, code, ...)                                                    \
    do {                                                                                         \
        if (!(cond))                                                                             \
            return pa__err((ctx), (fn), (code), __VA_ARGS__);                                    \
    } while (0)

/* Call MPI and convert its error. */
#define PA_MPI(ctx, call) PA_TRY(pa__mpi((ctx), __func__, (call), #call))

/* Fault injection for tests: true when PARRAY_FAULT names site for this
 * rank ("site@rank" items separated by commas, rank "*" for all). */
int pa__fault(const pa_ctx *ctx, const char *site);

/* ------------------------------------------------------------ context */

typedef struct pa_pool pa_pool;

typedef struct pa_collcheck pa_collcheck;

typedef struct pa_profile pa_profile;

/* PARRAY_LOCK: how saves lock their target (safe_save.c). */
enum {
    PA__LOCK_AUTO,    /* lock; where the file system keeps no locks, warn */
    PA__LOCK_REQUIRE, /* lock; where the file system keeps no locks, fail */
    PA__LOCK_OFF,     /* never lock */
};

struct pa_ctx {
    /* Whether collective calls are watched, by the check or the profile:
     * read at the top of every collective call (collcheck.h), so it comes
     * first. */
    int watch_calls;
    int check_collectives; /* PARRAY_CHECK=collectives */
    int log;               /* PARRAY_LOG: 0 off, 1 summary */
    char *log_file;        /* PARRAY_LOG_FILE, or NULL: stderr */
    pa_profile *profile;   /* profile.c's counters with PARRAY_LOG on, or NULL */
    MPI_Comm comm;         /* parray's duplicate of the job communicator */
    MPI_Comm node_comm;    /* ranks that share memory (an emulated node if set) */
    MPI_Comm leader_comm;  /* node rank 0 of every node; MPI_COMM_NULL elsewhere */
    int rank, size;
    int node, nnodes; /* node id = the leader's rank in leader_comm */
    int node_rank, node_size;
    int emulated; /* PARRAY_RANKS_PER_NODE, or 0 */
    int owns_mpi; /* pa_init initialised MPI and pa_finalize ends it */
    char hostname[256];
    int *node_of;                 /* node id of every job rank */
    int ncores, *cores;           /* this rank's allowed CPUs */
    int node_ncores, *node_cores; /* the union over the node's ranks */
    int blas_threads;             /* this rank's planned BLAS threads */
    int blas_threads_default;     /* what the BLAS had before the plan */
    /* cores.c: the core plan. CPU masks hold bit c in word c / 64. */
    struct hwloc_topology *topo; /* this machine as hwloc sees it (hwloc_topology_t) */
    char *topology;              /* PARRAY_TOPOLOGY: a described machine instead, or NULL */
    int topo_real;               /* topo is this machine, not a described one (cores.c) */
    uint64_t launch_mask[16];    /* the affinity the launcher gave this rank */
    uint64_t allow_mask[16];     /* the machine's usable cores (see cores.c) */
    uint64_t share_mask[16];     /* this rank's fair, disjoint share of them */
    int host_rank, host_size;    /* this rank among the job's ranks on its machine */
    int affinity_keep;           /* PARRAY_AFFINITY=keep (1): the launcher's binding stays */
    int affinity_set;            /* the share is applied to every thread of the rank */
    /* Split mode's part of the node's work, by the shares: this rank takes
     * split_weight of split_total parts, after split_first parts of lower
     * node ranks. split_even: every node rank has the same weight. */
    int split_first, split_weight, split_total, split_even;
    int plan_warn;           /* PA_BLAS_WARN_* bits */
    char *fault;             /* PARRAY_FAULT, or NULL */
    int pool_mb;             /* PARRAY_POOL_MB: the pool's cap per rank */
    int sort_buffer_mb;      /* PARRAY_SORT_BUFFER_MB: a sort's buffer per node */
    int check_timeout;       /* PARRAY_CHECK_TIMEOUT: seconds before the abort */
    pa_collcheck *collcheck; /* collcheck.c's state in the mode, or NULL */
    int lock_mode;           /* PARRAY_LOCK: a PA__LOCK_* */
    int lock_timeout;        /* PARRAY_LOCK_TIMEOUT: seconds a save waits */
    int sum_read;            /* PARRAY_SUM_READ: 0 by the CPU's maker, 1 intel, 2 forward */
    /* PARRAY_H5_ALIGN: HDF5 aligns objects of at least the threshold's
     * bytes to the alignment (1: HDF5's default, no alignment). */
    unsigned long long h5_align_threshold, h5_alignment;
    MPI_Info mpiio_hints; /* PARRAY_MPIIO_HINTS, or MPI_INFO_NULL */
    pa_pool *pool;
    int redist_buffer_mb; /* PARRAY_REDIST_BUFFER_MB: redist.c's buffer per node */
    /* block.c: the bytes of node blocks this rank holds in shared windows
     * (pooled ones too) and their high-water mark since pa_init or the last
     * pa_mem_peak_reset. */
    size_t shm_bytes, shm_peak;
    struct pa_node_gate *gate; /* wait.c: the node's quiet barrier, or NULL */
    MPI_Win gate_win;
    char errmsg[PA_ERRMSG_MAX];
};

/* h5_settings.c: PARRAY_H5_ALIGN and PARRAY_MPIIO_HINTS, whose value s
 * (set and not empty) is parsed into ctx; PA_EINVAL naming the variable
 * `name` and the bad part. Not collective. */
int pa__h5_align_parse(pa_ctx *ctx, const char *name, const char *s);
int pa__mpiio_hints_parse(pa_ctx *ctx, const char *name, const char *s);

/* cgroup.c: the directory of this process's cgroup in the v2 hierarchy
 * (v2 = 1) or in the v1 hierarchy of controller (v2 = 0), with *top the
 * length of its mount point; returns 0 when found. pa__cgroup_up moves dir
 * to its parent and returns 0, or -1 at the mount point. Not collective. */
int pa__cgroup_dir(int v2, const char *controller, char *dir, size_t len, size_t *top);
int pa__cgroup_up(char *dir, size_t top);

/* memory.c: the bytes a new allocation on this machine can count on (the
 * smallest of MemAvailable and the room under each memory limit of this
 * process's cgroups; PARRAY_MEM_AVAILABLE, a testing aid, replaces it),
 * and *source, which figure that is. Not collective; PA_EINVAL for a bad
 * PARRAY_MEM_AVAILABLE. */
int pa__mem_available(pa_ctx *ctx, const char *fn, size_t *bytes, const char **source);
/* Not collective. PA_OK when bytes fit the available memory, else
 * PA_ENOMEM with "fn: WHAT needs X GiB (N bytes) on node K, but Y GiB is
 * available (SOURCE)". */
int pa__mem_check(pa_ctx *ctx, const char *fn, size_t bytes, const char *what);
/* Collective over the job. Each rank asks for bytes more; each node's
 * leader checks the node's sum with pa__mem_check, and the verdict is
 * agreed (pa__agree over the job). */
int pa__mem_check_node(pa_ctx *ctx, const char *fn, size_t bytes, const char *what);

/* cores.c: the machine's topology, this rank's share of its CPUs, bound to
 * every thread of the rank, and the node's union (collective over the job).
 * Allocates ctx->topo, ctx->cores and ctx->node_cores. */
int pa__cores_init(pa_ctx *ctx);

/* wait.c: the node's quiet barrier (pa__wait_quiet over node_comm), in a
 * shared window; collective over node_comm. Free is teardown only. */
int pa__gate_init(pa_ctx *ctx);
void pa__gate_free(pa_ctx *ctx);

/* wait.c: one pause of a polled wait: sleeps *ns, then doubles *ns up to
 * 1 ms. Start with *ns = 0 (the first pause is 50 us). */
void pa__wait_pause(long *ns);

/* blas.c: make and apply the thread plan (not collective). */
int pa__blas_plan(pa_ctx *ctx);

/* Reads an integer environment variable that is not one of pa_init's agreed
 * settings (e.g. a per-node testing aid). Returns PA_OK with *value
 * unchanged when it is unset, PA_EINVAL (message names it) when it is not a
 * whole decimal integer in [min, max]. */
int pa__env_int(pa_ctx *ctx, const char *fn, const char *name, long min, long max, long *value);

/* ------------------------------------------------------------ arrays */

/* How a node block is split among the node's ranks: rank r owns elements
 * [bound[r], bound[r+1]) of the block. Boundaries are multiples of
 * align elements, so no two ranks write one cache line (or one page where
 * the block is large enough). */
typedef struct {
    size_t nelem; /* elements in the node block */
    size_t elsize;
    size_t align; /* boundary alignment in bytes: PA_PAGE or PA_CACHE_LINE */
    int nranks;
    size_t *bound; /* nranks + 1 entries */
} pa_partition;

int pa__partition_make(pa_ctx *ctx, size_t nelem, size_t elsize, int nranks, pa_partition *p);
/* The first element of rank r (0 <= r <= nranks) without building the table. */
size_t pa__partition_bound(size_t nelem, size_t elsize, int nranks, int r);
void pa__partition_free(pa_partition *p);
/* The rank r in [0, nranks) whose range holds element i < nelem. */
int pa__partition_find(size_t nelem, size_t elsize, int nranks, size_t i);
/* Rows [*row0, *row0 + *nrows) of node k when nrows rows are cut into nnodes blocks. */
void pa__rows_of_node(size_t nrows, int nnodes, int k, size_t *row0, size_t *count);
/* The node whose row block holds row. */
int pa__node_of_row(size_t nrows, int nnodes, size_t row);

/* A node block: one shared window. base is the block's first element,
 * aligned to PA_PAGE; bytes is the block's size. */
typedef struct {
    MPI_Win win;
    char *base;
    size_t bytes; /* data bytes in the block */
    size_t mine;  /* bytes this rank asked MPI for (its slice plus padding) */
} pa_block;

/* block.c: node blocks (shared windows), and the pool of windows kept after pa_array_free for reuse. Collective over
 * node_comm in the sense that every rank of a node makes the same calls. */
int pa__pool_init(pa_ctx *ctx, size_t cap_bytes);
/* Takes a cached block of exactly this layout; returns 1 if found. */
int pa__pool_take(pa_ctx *ctx, const pa_partition *p, pa_block *blk);
/* Keeps blk (and takes p's bound table) for reuse, or frees it; drops the
 * oldest entries past the cap. */
int pa__pool_give(pa_ctx *ctx, pa_partition *p, pa_block *blk);
void pa__pool_destroy(pa_ctx *ctx);
/* Whether the pool holds a block of exactly this layout (pa__pool_take
 * would find it). */
int pa__pool_has(const pa_ctx *ctx, const pa_partition *p);
/* Allocates a node block (collective over node_comm) or frees one. */
int pa__block_alloc(pa_ctx *ctx, const pa_partition *p, pa_block *blk);
int pa__block_free(pa_ctx *ctx, pa_block *blk);

struct pa_array {
    pa_ctx *ctx;
    pa_dtype dtype;
    pa_dist dist;
    int ndim;
    size_t shape[PA_MAXDIM];
    size_t size;        /* elements in the whole array */
    size_t rowsize;     /* elements per row of axis 0 */
    size_t row0, nrows; /* the node's rows */
    pa_partition part;  /* the node block split among the node's ranks */
    pa_block block;
};

/* Collective. pa_array_create for a caller that writes every element
 * before anyone reads one: a block taken from the pool keeps its old bytes
 * (a new block is still zeroed, its first touch by each owning rank). */
int pa__array_create_unset(pa_ctx *ctx, pa_dtype dtype, int ndim, const size_t *shape,
                           pa_dist dist, pa_array **out);

/* Window synchronisation of an array (the sync in pa_array_sync). */
int pa__array_sync(pa_array *a);

/* Collective. pa__array_sync and pa__agree(ctx, ctx->comm, rc) in one step:
 * the agreement's allreduce over the job orders the node's stores as the
 * sync's node barrier does. a may have no window yet (a creation that
 * failed before it, with rc < 0). Returns the agreed code. */
int pa__array_sync_agree(pa_array *a, int rc);

/* Not collective. A shape as "(3,4)", "()" or "(5,)" into buf; returns buf. */
const char *pa__shape_str(int ndim, const size_t *shape, char *buf, size_t len);

#endif
