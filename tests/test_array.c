/* Tests of distributed and replicated arrays: the partition (every element
 * owned exactly once, spans that tile the node block in node-rank order,
 * aligned boundaries), visibility of pointer writes after pa_array_sync,
 * replicated copies, owner queries, gather/scatter round trips, empty arrays
 * and more ranks than rows, bad input, a forced allocation failure on one
 * rank, and the memory pool. Every check holds for any number of ranks and
 * any node layout. */
#include "testutil.h"
#include "internal.h"

static const pa_dtype dtypes[] = {PA_F64, PA_F32, PA_I64, PA_I32, PA_U8};
#define NDTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))
static const pa_dist dists[] = {PA_DISTRIBUTED, PA_REPLICATED};

static size_t shape_size(int ndim, const size_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

static size_t shape_rowsize(int ndim, const size_t *shape)
{
    size_t n = 1;
    for (int i = 1; i < ndim; i++)
        n *= shape[i];
    return n;
}

/* ------------------------------------------------------------ patterns */

/* A value for global element i, different for each salt: bits of a hash,
 * stored exactly in every dtype, compared as bytes. */
static uint64_t mix(uint64_t i, unsigned salt)
{
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull + (uint64_t)salt * 0xBF58476D1CE4E5B9ull;
    z ^= z >> 31;
    z *= 0x94D049BB133111EBull;
    z ^= z >> 29;
    return z;
}

static void pat_elem(pa_dtype t, size_t i, unsigned salt, void *out)
{
    uint64_t h = mix(i, salt);
    switch (t) {
    case PA_F64: {
        double v = (double)(h >> 11) * 0x1p-20;
        memcpy(out, &v, sizeof v);
        break;
    }
    case PA_F32: {
        float v = (float)(h >> 40) * 0.25f;
        memcpy(out, &v, sizeof v);
        break;
    }
    case PA_I64: {
        int64_t v = (int64_t)h;
        memcpy(out, &v, sizeof v);
        break;
    }
    case PA_I32: {
        int32_t v = (int32_t)(uint32_t)(h >> 32);
        memcpy(out, &v, sizeof v);
        break;
    }
    default: {
        uint8_t v = (uint8_t)(h >> 56);
        memcpy(out, &v, sizeof v);
        break;
    }
    }
}

/* Writes elements [first, first + n) of pattern salt to p. */
static void pat_fill(void *p, pa_dtype t, size_t first, size_t n, unsigned salt)
{
    size_t es = pa_dtype_size(t);
    for (size_t k = 0; k < n; k++)
        pat_elem(t, first + k, salt, (char *)p + k * es);
}

/* Counts the elements of p that differ from elements [first, first + n) of
 * pattern salt; *where is the first bad global index. */
static size_t pat_bad(const void *p, pa_dtype t, size_t first, size_t n, unsigned salt,
                      size_t *where)
{
    size_t es = pa_dtype_size(t), bad = 0;
    unsigned char want[8];
    for (size_t k = 0; k < n; k++) {
        pat_elem(t, first + k, salt, want);
        if (memcmp((const char *)p + k * es, want, es) != 0) {
            if (bad++ == 0 && where)
                *where = first + k;
        }
    }
    return bad;
}

static size_t zero_bad(const void *p, size_t bytes)
{
    size_t bad = 0;
    for (size_t k = 0; k < bytes; k++)
        bad += ((const unsigned char *)p)[k] != 0;
    return bad;
}

/* ------------------------------------------------------------ partition */

/* NULL when p is a valid split of nelem elements of es bytes among nranks,
 * else what is wrong with it. */
static const char *part_problem(const pa_partition *p, size_t nelem, size_t es, int nranks)
{
    if (p->nranks != nranks)
        return "nranks";
    if (p->nelem != nelem)
        return "nelem";
    if (p->elsize != es)
        return "elsize";
    if (p->align != PA_CACHE_LINE && p->align != PA_PAGE)
        return "align is neither a cache line nor a page";
    if (!p->bound)
        return "no bounds";
    if (p->bound[0] != 0 || p->bound[nranks] != nelem)
        return "bounds do not start at 0 and end at nelem";
    size_t fair = nelem / (size_t)nranks + (nelem % (size_t)nranks != 0);
    for (int r = 0; r < nranks; r++) {
        if (p->bound[r + 1] < p->bound[r])
            return "bounds decrease";
        if (p->bound[r] != nelem && p->bound[r] * es % p->align != 0)
            return "a boundary is not a multiple of align bytes";
        if (p->bound[r + 1] - p->bound[r] > fair + p->align / es)
            return "unbalanced: a range exceeds the fair share by more than align";
    }
    return NULL;
}

START_TEST(test_partition_unit)
{
    static const size_t nelems[] = {
        0,   1,    7,    8,    63,   64,   65,  100,    511,           512,
        513, 1000, 4095, 4096, 4097, 9999, 1e5, 262144, (1 << 20) + 3, 3 << 20};
    static const size_t elsizes[] = {1, 4, 8};
    static const int nranks[] = {1, 2, 3, 4, 5, 7, 16};
    int bad = 0;
    for (size_t a = 0; a < sizeof nelems / sizeof nelems[0]; a++)
        for (size_t b = 0; b < sizeof elsizes / sizeof elsizes[0]; b++)
            for (size_t c = 0; c < sizeof nranks / sizeof nranks[0]; c++) {
                size_t n = nelems[a], es = elsizes[b];
                int nr = nranks[c];
                pa_partition p;
                memset(&p, 0, sizeof p);
                int rc = pa__partition_make(ctx, n, es, nr, &p);
                const char *why = rc != PA_OK ? "pa__partition_make failed"
                                              : part_problem(&p, n, es, nr);
                /* pa__partition_bound and pa__partition_find agree with
                 * the table. */
                for (int r = 0; !why && r <= nr; r++)
                    if (pa__partition_bound(n, es, nr, r) != p.bound[r])
                        why = "pa__partition_bound disagrees with the table";
                for (size_t s = 0; !why && n > 0 && s < 64; s++) {
                    size_t i = s == 63 ? n - 1 : s * n / 63;
                    int r = pa__partition_find(n, es, nr, i);
                    if (r < 0 || r >= nr || i < p.bound[r] || i >= p.bound[r + 1])
                        why = "pa__partition_find disagrees with the bounds";
                }
                if (why) {
                    tu_note(__FILE__, __LINE__, "nelem %zu elsize %zu nranks %d: %s", n, es, nr,
                            why);
                    bad++;
                }
                if (rc == PA_OK)
                    pa__partition_free(&p);
            }
    TU_ASSERT(bad == 0, "%d bad partitions", bad);
}
END_TEST

START_TEST(test_rows_of_node_unit)
{
    static const size_t nrows[] = {0, 1, 2, 3, 4, 5, 7, 10, 101, 1000, 1000003};
    int bad = 0;
    for (size_t a = 0; a < sizeof nrows / sizeof nrows[0]; a++)
        for (int nn = 1; nn <= 9; nn++) {
            size_t next = 0, lo = SIZE_MAX, hi = 0;
            for (int k = 0; k < nn; k++) {
                size_t r0 = 12345, cnt = 12345;
                pa__rows_of_node(nrows[a], nn, k, &r0, &cnt);
                if (r0 != next)
                    bad++;
                next = r0 + cnt;
                lo = cnt < lo ? cnt : lo;
                hi = cnt > hi ? cnt : hi;
                if (cnt > 0 && (pa__node_of_row(nrows[a], nn, r0) != k ||
                                pa__node_of_row(nrows[a], nn, r0 + cnt - 1) != k))
                    bad++;
            }
            if (next != nrows[a] || hi - lo > 1) {
                tu_note(__FILE__, __LINE__, "%zu rows on %d nodes: end %zu, counts %zu..%zu",
                        nrows[a], nn, next, lo, hi);
                bad++;
            }
        }
    TU_ASSERT(bad == 0, "%d bad row splits", bad);
}
END_TEST

/* ------------------------------------------------------------ layout */

/* What every rank knows of its part of an array, gathered over the job. */
typedef struct {
    int rank, node, node_rank, node_size;
    unsigned long long loff, lcnt, noff, ncnt, row0, nrows;
} entry;

static entry *gather_entries(const pa_array *a)
{
    pa_span l, n;
    size_t row0 = 0, nrows = 0;
    pa_array_local(a, &l);
    pa_array_node(a, &n);
    pa_array_node_rows(a, &row0, &nrows);
    entry me = {tu_rank(),
                pa_ctx_node(ctx),
                pa_ctx_node_rank(ctx),
                pa_ctx_node_size(ctx),
                l.offset,
                l.count,
                n.offset,
                n.count,
                row0,
                nrows};
    entry *all = malloc(sizeof(entry) * (size_t)tu_size());
    MPI_Allgather(&me, sizeof me, MPI_BYTE, all, sizeof me, MPI_BYTE, MPI_COMM_WORLD);
    return all;
}

/* The job rank whose local span holds element i (on my node when the array
 * is replicated), from the table; -1 when none, -2 when several. */
static int expected_owner(const entry *e, int n, pa_dist dist, size_t i)
{
    int who = -1;
    for (int r = 0; r < n; r++) {
        if (dist == PA_REPLICATED && e[r].node != pa_ctx_node(ctx))
            continue;
        if (i >= e[r].loff && i < e[r].loff + e[r].lcnt)
            who = who == -1 ? r : -2;
    }
    return who;
}

/* Checks the owner queries against the table for a sample of elements and
 * rows (all of them in small arrays) and for this rank's own span. */
static void check_owners(const pa_array *a, const entry *e, const size_t *shape)
{
    int n = tu_size(), me = tu_rank(), mynode = pa_ctx_node(ctx);
    pa_dist dist = pa_array_dist(a);
    size_t size = pa_array_size(a), rowsize = shape_rowsize(pa_array_ndim(a), shape);
    size_t nsample = 2048, bad = 0;
    char why[256] = "";

    /* Elements: a spread sample, the ends of every span, and my span. */
    size_t extra = (size_t)n * 2 + 1 + 256;
    size_t *idx = malloc(sizeof(size_t) * (nsample + extra)), m = 0;
    if (size <= nsample)
        for (size_t i = 0; i < size; i++)
            idx[m++] = i;
    else
        for (size_t j = 0; j < nsample; j++)
            idx[m++] = j * (size / nsample);
    for (int r = 0; size > 0 && r < n; r++)
        if (e[r].lcnt > 0) {
            idx[m++] = e[r].loff;
            idx[m++] = e[r].loff + e[r].lcnt - 1;
        }
    if (size > 0)
        idx[m++] = size - 1;
    for (size_t j = 0; j < 256 && e[me].lcnt > 0; j++)
        idx[m++] = e[me].loff + j * (e[me].lcnt - 1) / 255;
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        int want = expected_owner(e, n, dist, i);
        int node = -9, rank = -9;
        int rc = pa_array_owner(a, i, &node, &rank);
        int want_node = want >= 0 ? (dist == PA_REPLICATED ? mynode : e[want].node) : -1;
        if (want < 0 || rc != PA_OK || rank != want || node != want_node) {
            if (bad++ == 0)
                snprintf(why, sizeof why,
                         "element %zu: owned by %d span(s) (owner %d), pa_array_owner rc %d "
                         "node %d rank %d, want node %d rank %d",
                         i,
                         want == -2   ? 2
                         : want == -1 ? 0
                                      : 1,
                         want, rc, node, rank, want_node, want);
        }
    }
    free(idx);
    TU_ASSERT(bad == 0, "%zu bad owners; first: %s", bad, why);

    /* Either output may be NULL; out of range is EINVAL. */
    int node = -1, rank = -1;
    int rc1 = size > 0 ? pa_array_owner(a, size - 1, NULL, NULL) : PA_OK;
    int rc2 = size > 0 ? pa_array_owner(a, 0, &node, NULL) : PA_OK;
    int rc3 = size > 0 ? pa_array_owner(a, 0, NULL, &rank) : PA_OK;
    TU_ASSERT(rc1 == PA_OK && rc2 == PA_OK && rc3 == PA_OK, "owner with NULL outputs: %d %d %d",
              rc1, rc2, rc3);
    rc1 = pa_array_owner(a, size, &node, &rank);
    rc2 = pa_array_owner(a, SIZE_MAX, &node, &rank);
    TU_ASSERT(rc1 == PA_EINVAL && rc2 == PA_EINVAL, "owner out of range: %d %d", rc1, rc2);

    /* Rows. */
    size_t nrows = shape[0], rbad = 0;
    size_t step = nrows <= 512 ? 1 : nrows / 512;
    for (size_t row = 0; row < nrows;
         row = (row + step < nrows || row == nrows - 1) ? row + step : nrows - 1) {
        int wnode = -1, wrank = -1;
        for (int r = 0; r < n; r++) /* the node whose rows hold row */
            if (dist == PA_DISTRIBUTED && row >= e[r].row0 && row < e[r].row0 + e[r].nrows)
                wnode = e[r].node;
        if (dist == PA_REPLICATED)
            wnode = mynode;
        if (rowsize > 0)
            wrank = expected_owner(e, n, dist, row * rowsize);
        int rn = -9, rr = -9;
        int rc = pa_array_row_owner(a, row, &rn, &rr);
        int ok = rc == PA_OK && rn == wnode && rr >= 0 && rr < n && e[rr].node == wnode &&
                 (rowsize == 0 || rr == wrank);
        /* A row of no elements has no owning rank: either answer will do. */
        if (rowsize == 0 && rc == PA_EINVAL)
            ok = 1;
        if (!ok && rbad++ == 0)
            snprintf(why, sizeof why, "row %zu: rc %d node %d rank %d, want node %d rank %d", row,
                     rc, rn, rr, wnode, wrank);
        if (row == nrows - 1)
            break;
    }
    TU_ASSERT(rbad == 0, "%zu bad row owners; first: %s", rbad, why);
    rc1 = pa_array_row_owner(a, nrows, &node, &rank);
    TU_ASSERT(rc1 == PA_EINVAL, "row owner out of range: %d", rc1);
}

/* The whole check of an array's layout: getters, node rows, spans that tile
 * the node block in node-rank order and the array (distributed) or hold all
 * of it on each node (replicated), pointers, the partition's alignment, and
 * owners. Collective. */
static void check_array(const pa_array *a, pa_dtype t, int ndim, const size_t *shape,
                        pa_dist dist)
{
    size_t es = pa_dtype_size(t), size = shape_size(ndim, shape);
    size_t rowsize = shape_rowsize(ndim, shape);
    int n = tu_size(), nnodes = pa_ctx_nnodes(ctx), nrank = pa_ctx_node_rank(ctx);
    int nsize = pa_ctx_node_size(ctx);

    /* Getters. */
    size_t got[PA_MAXDIM + 1];
    for (int i = 0; i <= PA_MAXDIM; i++)
        got[i] = 777;
    pa_array_shape(a, got);
    int shape_ok = 1;
    for (int i = 0; i <= PA_MAXDIM; i++)
        if (got[i] != (i < ndim ? shape[i] : 777))
            shape_ok = 0;
    TU_CHECK(pa_array_ctx(a) == ctx);
    TU_ASSERT(pa_array_dtype(a) == t && pa_array_dist(a) == dist && pa_array_ndim(a) == ndim,
              "getters: dtype %d dist %d ndim %d", (int)pa_array_dtype(a), (int)pa_array_dist(a),
              pa_array_ndim(a));
    TU_ASSERT(shape_ok, "pa_array_shape wrote a wrong shape or past ndim");
    TU_ASSERT(pa_array_size(a) == size, "size %zu, want %zu", pa_array_size(a), size);

    /* My spans and rows. */
    pa_span l, nd;
    size_t row0 = 9, nrows = 9;
    int rc1 = pa_array_local(a, &l), rc2 = pa_array_node(a, &nd);
    int rc3 = pa_array_node_rows(a, &row0, &nrows);
    TU_ASSERT(rc1 == PA_OK && rc2 == PA_OK && rc3 == PA_OK, "span getters: %d %d %d", rc1, rc2,
              rc3);
    TU_ASSERT(nd.offset == row0 * rowsize && nd.count == nrows * rowsize,
              "node span [%zu, +%zu) is not rows [%zu, +%zu) of %zu", nd.offset, nd.count, row0,
              nrows, rowsize);
    if (dist == PA_REPLICATED)
        TU_ASSERT(row0 == 0 && nrows == shape[0] && nd.offset == 0 && nd.count == size,
                  "replicated node holds [%zu, +%zu), rows [%zu, +%zu)", nd.offset, nd.count,
                  row0, nrows);
    TU_ASSERT(l.offset >= nd.offset && l.offset + l.count <= nd.offset + nd.count,
              "local [%zu, +%zu) outside node [%zu, +%zu)", l.offset, l.count, nd.offset,
              nd.count);
    TU_ASSERT(l.count == 0 || (char *)l.ptr == (char *)nd.ptr + (l.offset - nd.offset) * es,
              "local ptr %p, node ptr %p, offsets %zu %zu", l.ptr, nd.ptr, l.offset, nd.offset);
    TU_ASSERT(nd.count == 0 || (uintptr_t)nd.ptr % PA_PAGE == 0, "node block at %p", nd.ptr);

    /* The partition behind the local span. */
    const pa_partition *p = &a->part;
    const char *why = part_problem(p, nd.count, es, nsize);
    TU_ASSERT(why == NULL, "partition of %zu x %zu bytes over %d ranks: %s", nd.count, es, nsize,
              why);
    TU_ASSERT(l.offset == nd.offset + p->bound[nrank] &&
                  l.count == p->bound[nrank + 1] - p->bound[nrank],
              "local span [%zu, +%zu) is not the partition's [%zu, %zu)", l.offset, l.count,
              p->bound[nrank], p->bound[nrank + 1]);
    TU_ASSERT(l.count == 0 || (uintptr_t)l.ptr % p->align == 0, "local ptr %p, align %zu", l.ptr,
              p->align);

    /* The job's table: spans tile each node block in node-rank order, and
     * node blocks tile the array in node order (distributed) or are all of
     * it (replicated). */
    entry *e = gather_entries(a);
    int bad = 0;
    char msg[256] = "";
    unsigned long long nextrow = 0, total = 0, lo = ULLONG_MAX, hi = 0;
    for (int k = 0; k < nnodes; k++) {
        int first = -1, members = 0;
        for (int r = 0; r < n; r++)
            if (e[r].node == k) {
                members++;
                if (e[r].node_rank == 0)
                    first = r;
            }
        if (first < 0) {
            snprintf(msg, sizeof msg, "node %d has no leader", k);
            bad++;
            continue;
        }
        const entry *f = &e[first];
        unsigned long long at = f->noff;
        for (int j = 0; j < members; j++) {
            int found = 0;
            for (int r = 0; r < n; r++)
                if (e[r].node == k && e[r].node_rank == j) {
                    found++;
                    if (e[r].loff != at || e[r].noff != f->noff || e[r].ncnt != f->ncnt ||
                        e[r].row0 != f->row0 || e[r].nrows != f->nrows) {
                        snprintf(msg, sizeof msg,
                                 "node %d rank %d: local [%llu, +%llu), expected at %llu", k, j,
                                 e[r].loff, e[r].lcnt, at);
                        bad++;
                    }
                    at = e[r].loff + e[r].lcnt;
                }
            if (found != 1) {
                snprintf(msg, sizeof msg, "node %d has %d ranks numbered %d", k, found, j);
                bad++;
            }
        }
        if (at != f->noff + f->ncnt) {
            snprintf(msg, sizeof msg, "node %d: spans end at %llu, block at %llu", k, at,
                     f->noff + f->ncnt);
            bad++;
        }
        if (dist == PA_DISTRIBUTED) {
            if (f->row0 != nextrow) {
                snprintf(msg, sizeof msg, "node %d starts at row %llu, want %llu", k, f->row0,
                         nextrow);
                bad++;
            }
            nextrow = f->row0 + f->nrows;
            total += f->ncnt;
            lo = f->nrows < lo ? f->nrows : lo;
            hi = f->nrows > hi ? f->nrows : hi;
        } else if (f->noff != 0 || f->ncnt != size) {
            snprintf(msg, sizeof msg, "replicated node %d holds [%llu, +%llu)", k, f->noff,
                     f->ncnt);
            bad++;
        }
    }
    if (dist == PA_DISTRIBUTED && (nextrow != shape[0] || total != size || hi - lo > 1)) {
        snprintf(msg, sizeof msg,
                 "node blocks: rows end at %llu of %zu, %llu of %zu elements, "
                 "%llu..%llu rows per node",
                 nextrow, shape[0], total, size, lo, hi);
        bad++;
    }
    TU_ASSERT(bad == 0, "%d layout problems; last: %s", bad, msg);

    /* The library's own row split. */
    {
        size_t r0 = 0, cnt = 0;
        if (dist == PA_DISTRIBUTED)
            pa__rows_of_node(shape[0], nnodes, pa_ctx_node(ctx), &r0, &cnt);
        else
            cnt = shape[0];
        TU_ASSERT(r0 == row0 && cnt == nrows, "rows [%zu, +%zu), pa__rows_of_node [%zu, +%zu)",
                  row0, nrows, r0, cnt);
    }

    check_owners(a, e, shape);
    free(e);
}

/* Every rank reads its whole node block: all zero. Collective. */
static void check_zero(const pa_array *a)
{
    pa_span nd;
    pa_array_node(a, &nd);
    size_t bad = nd.count ? zero_bad(nd.ptr, nd.count * pa_dtype_size(pa_array_dtype(a))) : 0;
    TU_ASSERT(bad == 0, "%zu nonzero bytes in a new array", bad);
}

/* Every rank reads its whole node block: pattern salt. Collective. */
static void check_node_pattern(const pa_array *a, unsigned salt, const char *what)
{
    pa_span nd;
    pa_array_node(a, &nd);
    size_t where = 0;
    size_t bad = pat_bad(nd.ptr, pa_array_dtype(a), nd.offset, nd.count, salt, &where);
    TU_ASSERT(bad == 0, "%s: %zu of %zu elements of the node block wrong, first at %zu", what,
              bad, nd.count, where);
}

/* Each rank writes pattern salt into its own span; after pa_array_sync every
 * rank of the node reads every element of the node block. Collective. */
static void check_visibility(pa_array *a, unsigned salt)
{
    pa_span l;
    pa_array_local(a, &l);
    pat_fill(l.ptr, pa_array_dtype(a), l.offset, l.count, salt);
    TU_OK(pa_array_sync(a), ctx);
    check_node_pattern(a, salt, "after pa_array_sync");
    /* No rank writes again before every rank has read. */
    TU_OK(pa_array_sync(a), ctx);
}

/* Scatter pattern salt from root 0 and gather it on the last rank, then
 * salt + 1 from the last rank to rank 0; compare bytes. Collective. */
static void check_roundtrip(pa_array *a, unsigned salt)
{
    pa_dtype t = pa_array_dtype(a);
    size_t size = pa_array_size(a), bytes = size * pa_dtype_size(t);
    int rank = tu_rank(), last = tu_size() - 1;
    int roots[2][2] = {{0, last}, {last, 0}};
    unsigned char *buf = malloc(bytes + 1), *back = malloc(bytes + 1);
    for (int k = 0; k < 2; k++) {
        int from = roots[k][0], to = roots[k][1];
        unsigned s = salt + (unsigned)k;
        if (rank == from)
            pat_fill(buf, t, 0, size, s);
        TU_OK(pa_array_scatter(a, from, rank == from ? buf : NULL), ctx);
        check_node_pattern(a, s, "after pa_array_scatter");
        memset(back, 0xEE, bytes + 1);
        TU_OK(pa_array_gather(a, to, rank == to ? back : NULL), ctx);
        size_t where = 0, bad = rank == to ? pat_bad(back, t, 0, size, s, &where) : 0;
        TU_ASSERT(bad == 0, "gather to %d after scatter from %d: %zu of %zu wrong, first %zu", to,
                  from, bad, size, where);
        TU_ASSERT(rank != to || back[bytes] == 0xEE, "gather wrote past the array");
    }
    free(buf);
    free(back);
}

/* Create, check everything, free. */
static void full_check(pa_dtype t, int ndim, const size_t *shape, pa_dist dist, unsigned salt)
{
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, t, ndim, shape, dist, &a), ctx);
    TU_CHECK(a != NULL);
    check_array(a, t, ndim, shape, dist);
    check_zero(a);
    check_visibility(a, salt);
    check_roundtrip(a, salt + 10);
    TU_OK(pa_array_free(&a), ctx);
    TU_CHECK(a == NULL);
}

/* ------------------------------------------------------------ dtypes */

START_TEST(test_dtypes)
{
    static const size_t sizes[] = {8, 4, 8, 4, 1};
    static const char *names[] = {"f64", "f32", "i64", "i32", "u8"};
    int bad = 0;
    for (int i = 0; i < NDTYPES; i++) {
        pa_dtype d = (pa_dtype)-1;
        if (pa_dtype_size(dtypes[i]) != sizes[i] || strcmp(pa_dtype_name(dtypes[i]), names[i]) ||
            pa_dtype_parse(names[i], &d) != PA_OK || d != dtypes[i])
            bad++;
    }
    TU_ASSERT(bad == 0, "%d dtypes with a wrong size, name or parse", bad);
    pa_dtype d = PA_F32;
    TU_CHECK(pa_dtype_size((pa_dtype)99) == 0 && pa_dtype_size((pa_dtype)-1) == 0);
    TU_CHECK(pa_dtype_size(PA_NDTYPES) == 0);
    TU_CHECK(strcmp(pa_dtype_name((pa_dtype)99), "?") == 0);
    TU_CHECK(strcmp(pa_dtype_name((pa_dtype)-1), "?") == 0);
    TU_CHECK(pa_dtype_parse("f128", &d) == PA_EINVAL && d == PA_F32);
    TU_CHECK(pa_dtype_parse("", &d) == PA_EINVAL && d == PA_F32);
}
END_TEST

/* ------------------------------------------------------------ layouts */

START_TEST(test_every_dtype_ndim)
{
    /* Every dtype, ndim 1 to 4, distributed and replicated: layout, zero
     * contents, visibility and round trips. */
    static const size_t shapes[4][4] = {{37}, {9, 5}, {4, 3, 5}, {3, 2, 3, 4}};
    unsigned salt = 1;
    for (int t = 0; t < NDTYPES; t++)
        for (int nd = 1; nd <= 4; nd++)
            for (int d = 0; d < 2; d++)
                full_check(dtypes[t], nd, shapes[nd - 1], dists[d], salt += 100);
}
END_TEST

START_TEST(test_rows_not_multiple)
{
    /* Row counts that do not divide evenly among nodes and ranks, and rows
     * of odd byte sizes so that row and cache-line boundaries differ. */
    static const size_t shapes[][2] = {{101, 3}, {7, 1}, {13, 17}, {1000, 1}, {5, 999}};
    unsigned salt = 7;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 0; t < NDTYPES; t++)
            full_check(dtypes[t], 2, shapes[i], PA_DISTRIBUTED, salt += 100);
}
END_TEST

START_TEST(test_ndim_8)
{
    size_t shape[8] = {3, 1, 2, 1, 2, 1, 2, 3};
    full_check(PA_F64, 8, shape, PA_DISTRIBUTED, 11);
    full_check(PA_U8, 8, shape, PA_REPLICATED, 12);
    size_t wide[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    full_check(PA_I32, 8, wide, PA_DISTRIBUTED, 13);
}
END_TEST

START_TEST(test_empty)
{
    /* Zero-length dimensions: size 0, empty spans, and gather/scatter of
     * nothing. */
    static const size_t s0[1] = {0}, s50[2] = {5, 0}, s03[2] = {0, 3};
    static const struct {
        int ndim;
        const size_t *shape;
    } cases[] = {{1, s0}, {2, s50}, {2, s03}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int d = 0; d < 2; d++)
            for (int t = 0; t < NDTYPES; t += 4) {
                pa_array *a = NULL;
                TU_OK(
                    pa_array_create(ctx, dtypes[t], cases[c].ndim, cases[c].shape, dists[d], &a),
                    ctx);
                TU_CHECK(a != NULL && pa_array_size(a) == 0);
                pa_span l, nd;
                pa_array_local(a, &l);
                pa_array_node(a, &nd);
                TU_ASSERT(l.count == 0 && nd.count == 0, "empty array with spans %zu %zu",
                          l.count, nd.count);
                check_array(a, dtypes[t], cases[c].ndim, cases[c].shape, dists[d]);
                check_visibility(a, 3);
                check_roundtrip(a, 4);
                TU_OK(pa_array_sync(a), ctx);
                int node, rank;
                TU_CHECK(pa_array_owner(a, 0, &node, &rank) == PA_EINVAL);
                TU_OK(pa_array_free(&a), ctx);
            }
}
END_TEST

START_TEST(test_more_ranks_than_rows)
{
    /* Some nodes and ranks get nothing. */
    static const size_t s1[1] = {1}, s23[2] = {2, 3}, s3[1] = {3}, s17[2] = {1, 7};
    unsigned salt = 21;
    for (int t = 0; t < NDTYPES; t++)
        for (int d = 0; d < 2; d++) {
            full_check(dtypes[t], 1, s1, dists[d], salt += 10);
            full_check(dtypes[t], 2, s23, dists[d], salt += 10);
            full_check(dtypes[t], 1, s3, dists[d], salt += 10);
            full_check(dtypes[t], 2, s17, dists[d], salt += 10);
        }
}
END_TEST

START_TEST(test_same_shape_both_dists)
{
    /* One shape made distributed and replicated at once: the same contents
     * through scatter, gathered equal; writes to one leave the other alone. */
    size_t shape[2] = {23, 4};
    pa_array *d = NULL, *r = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &d), ctx);
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_REPLICATED, &r), ctx);
    check_array(d, PA_F64, 2, shape, PA_DISTRIBUTED);
    check_array(r, PA_F64, 2, shape, PA_REPLICATED);
    int rank = tu_rank();
    double *buf = malloc(sizeof(double) * 92), *g1 = malloc(sizeof(double) * 92),
           *g2 = malloc(sizeof(double) * 92);
    if (rank == 0)
        pat_fill(buf, PA_F64, 0, 92, 5);
    TU_OK(pa_array_scatter(d, 0, buf), ctx);
    TU_OK(pa_array_scatter(r, 0, buf), ctx);
    TU_OK(pa_array_gather(d, 0, g1), ctx);
    TU_OK(pa_array_gather(r, 0, g2), ctx);
    TU_CHECK(rank != 0 || (memcmp(g1, buf, 92 * sizeof(double)) == 0 &&
                           memcmp(g2, buf, 92 * sizeof(double)) == 0));
    check_visibility(d, 6);
    check_node_pattern(r, 5, "replicated after writing the distributed twin");
    free(buf);
    free(g1);
    free(g2);
    TU_OK(pa_array_free(&d), ctx);
    TU_OK(pa_array_free(&r), ctx);
}
END_TEST

START_TEST(test_large_page_aligned)
{
    /* 8 MiB: node blocks large enough that slices are page-aligned. */
    size_t shape[1] = {1 << 20};
    for (int d = 0; d < 2; d++) {
        pa_array *a = NULL;
        TU_OK(pa_array_create(ctx, PA_F64, 1, shape, dists[d], &a), ctx);
        check_array(a, PA_F64, 1, shape, dists[d]);
        pa_span nd;
        pa_array_node(a, &nd);
        size_t big = (size_t)pa_ctx_node_size(ctx) * 16 * PA_PAGE;
        TU_ASSERT(nd.count * 8 < big || a->part.align == PA_PAGE,
                  "node block of %zu bytes over %d ranks aligned to %zu, not a page",
                  nd.count * 8, pa_ctx_node_size(ctx), a->part.align);
        check_zero(a);
        check_visibility(a, 41 + (unsigned)d);
        TU_OK(pa_array_free(&a), ctx);
    }
    size_t shape2[2] = {1000, 1031}; /* rows of an odd byte size */
    full_check(PA_F32, 2, shape2, PA_DISTRIBUTED, 43);
}
END_TEST

START_TEST(test_replicate)
{
    /* Write node 0's copy only (the others hold something else), then
     * publish it: every node sees it. Then from the last node. */
    size_t shape[2] = {13, 5};
    int nnodes = pa_ctx_nnodes(ctx), me = pa_ctx_node(ctx);
    for (int t = 0; t < NDTYPES; t++) {
        pa_array *a = NULL;
        TU_OK(pa_array_create(ctx, dtypes[t], 2, shape, PA_REPLICATED, &a), ctx);
        int from[2] = {0, nnodes - 1};
        for (int k = 0; k < 2; k++) {
            unsigned salt = 50 + (unsigned)(10 * t + k);
            pa_span l;
            pa_array_local(a, &l);
            pat_fill(l.ptr, dtypes[t], l.offset, l.count, me == from[k] ? salt : salt + 1000);
            TU_OK(pa_array_sync(a), ctx);
            TU_OK(pa_array_replicate(a, from[k]), ctx);
            check_node_pattern(a, salt, "after pa_array_replicate");
            TU_OK(pa_array_sync(a), ctx);
        }
        /* Bad node numbers. */
        TU_RC(pa_array_replicate(a, -1), PA_EINVAL, ctx);
        TU_RC(pa_array_replicate(a, nnodes), PA_EINVAL, ctx);
        TU_OK(pa_array_free(&a), ctx);
    }
    pa_array *d = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &d), ctx);
    TU_RC(pa_array_replicate(d, 0), PA_EINVAL, ctx);
    TU_OK(pa_array_free(&d), ctx);
}
END_TEST

START_TEST(test_many_arrays)
{
    /* Many arrays alive at once, freed out of order: each keeps its data. */
    enum { N = 12 };
    pa_array *a[N] = {0};
    size_t shape[2] = {17, 3};
    for (int i = 0; i < N; i++) {
        shape[0] = 17 + (size_t)i * 5;
        TU_OK(pa_array_create(ctx, dtypes[i % NDTYPES], 2, shape, dists[i % 2], &a[i]), ctx);
        pa_span l;
        pa_array_local(a[i], &l);
        pat_fill(l.ptr, dtypes[i % NDTYPES], l.offset, l.count, 300 + (unsigned)i);
    }
    for (int i = 0; i < N; i++)
        TU_OK(pa_array_sync(a[i]), ctx);
    static const int order[N] = {3, 0, 11, 5, 7, 1, 2, 10, 4, 9, 6, 8};
    for (int j = 0; j < N; j++) {
        TU_OK(pa_array_free(&a[order[j]]), ctx);
        for (int i = 0; i < N; i++)
            if (a[i])
                check_node_pattern(a[i], 300 + (unsigned)i, "after freeing another array");
    }
}
END_TEST

/* ------------------------------------------------------------ bad input */

static void expect_create_fails(pa_ctx *c, pa_dtype t, int ndim, const size_t *shape,
                                pa_dist dist, const char *argname, const char *what)
{
    pa_array *a = (pa_array *)&what; /* a sentinel that must become NULL */
    int rc = pa_array_create(c, t, ndim, shape, dist, &a);
    TU_ASSERT(rc == PA_EINVAL, "%s: got %s: %s", what, pa_errname(rc), pa_errmsg(c));
    TU_SAME_INT(rc);
    TU_ASSERT(a == NULL, "%s: *out not NULL on failure", what);
    const char *m = pa_errmsg(c);
    TU_ASSERT(m && strstr(m, argname) != NULL, "%s: message '%s' does not name '%s'", what,
              m ? m : "(null)", argname);
    TU_ASSERT(strstr(m, "pa_array_create") != NULL, "%s: message '%s' does not name the call",
              what, m);
    TU_CHECK(tu_same_str(m));
}

START_TEST(test_bad_create)
{
    /* An array made before: bad calls must not touch it. */
    size_t keep_shape[2] = {29, 3};
    pa_array *keep = NULL;
    TU_OK(pa_array_create(ctx, PA_I64, 2, keep_shape, PA_DISTRIBUTED, &keep), ctx);
    pa_span l;
    pa_array_local(keep, &l);
    pat_fill(l.ptr, PA_I64, l.offset, l.count, 77);
    TU_OK(pa_array_sync(keep), ctx);

    size_t shape[9] = {4, 3, 2, 1, 1, 1, 1, 1, 1};
    pa_array *out = NULL;
    expect_create_fails(ctx, PA_F64, 2, NULL, PA_DISTRIBUTED, "shape", "NULL shape");
    int rc = pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, NULL);
    TU_RC(rc, PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "out") != NULL, "NULL out: message '%s'", pa_errmsg(ctx));
    expect_create_fails(ctx, PA_F64, 0, shape, PA_DISTRIBUTED, "ndim", "ndim 0");
    expect_create_fails(ctx, PA_F64, 9, shape, PA_DISTRIBUTED, "ndim", "ndim 9");
    expect_create_fails(ctx, PA_F64, -1, shape, PA_DISTRIBUTED, "ndim", "ndim -1");
    expect_create_fails(ctx, (pa_dtype)99, 2, shape, PA_DISTRIBUTED, "dtype", "dtype 99");
    expect_create_fails(ctx, (pa_dtype)-1, 2, shape, PA_DISTRIBUTED, "dtype", "dtype -1");
    expect_create_fails(ctx, PA_NDTYPES, 2, shape, PA_DISTRIBUTED, "dtype", "PA_NDTYPES");
    expect_create_fails(ctx, PA_F64, 2, shape, (pa_dist)7, "dist", "dist 7");

    size_t over1[2] = {SIZE_MAX / 2, 3};
    expect_create_fails(ctx, PA_U8, 2, over1, PA_DISTRIBUTED, "shape", "product overflow");
    expect_create_fails(ctx, PA_U8, 2, over1, PA_REPLICATED, "shape", "product overflow repl");
    size_t over2[2] = {SIZE_MAX / 4, 1};
    expect_create_fails(ctx, PA_F64, 2, over2, PA_DISTRIBUTED, "shape", "byte overflow");
    size_t over3[4] = {1ull << 20, 1ull << 20, 1ull << 20, 1ull << 20};
    expect_create_fails(ctx, PA_U8, 4, over3, PA_DISTRIBUTED, "shape", "4-d product overflow");

    /* Larger than the node's memory: EINVAL or ENOMEM, the same everywhere,
     * and no hang. */
    size_t huge[1] = {1ull << 40};
    for (int d = 0; d < 2; d++) {
        out = (pa_array *)&out;
        rc = pa_array_create(ctx, PA_F64, 1, huge, dists[d], &out);
        TU_ASSERT(rc == PA_EINVAL || rc == PA_ENOMEM, "8 TiB: got %s: %s", pa_errname(rc),
                  pa_errmsg(ctx));
        TU_SAME_INT(rc);
        TU_CHECK(out == NULL);
        TU_CHECK(tu_same_str(pa_errmsg(ctx)));
        TU_CHECK(pa_errmsg(ctx)[0] != '\0');
    }

    /* The context still works, and the old array is intact. */
    check_node_pattern(keep, 77, "an existing array after bad creates");
    full_check(PA_F64, 2, shape, PA_DISTRIBUTED, 78);
    TU_OK(pa_array_free(&keep), ctx);

    /* No context: the message goes where pa_errmsg(NULL) finds it. */
    expect_create_fails(NULL, PA_F64, 2, shape, PA_DISTRIBUTED, "ctx", "NULL ctx");
}
END_TEST

/* Collective: pa_array_create(shape) fails with PA_ENOMEM on every rank,
 * with a message that names the node block, the need and the figure. */
static void expect_enomem(size_t rows, pa_dist dist, const char *source)
{
    pa_array *out = (pa_array *)&out;
    size_t shape[2] = {rows, 1000};
    int rc = pa_array_create(ctx, PA_F64, 2, shape, dist, &out);
    TU_RC(rc, PA_ENOMEM, ctx);
    TU_CHECK(out == NULL);
    const char *m = pa_errmsg(ctx);
    TU_ASSERT(strstr(m, "pa_array_create: the node block of shape") &&
                  strstr(m, "is available") && strstr(m, source),
              "message '%s'", m);
    TU_CHECK(tu_same_str(m));
}

/* Allocations are checked against the memory each node has available,
 * before anything is allocated: PARRAY_MEM_AVAILABLE (the testing aid)
 * sets the figure, so requests larger than it fail at once whatever the
 * machine holds. The check is per node: a distributed array over k nodes
 * asks each for its k-th. A pooled block of the same layout needs nothing
 * new. pa_mem_check sums the node's ranks. */
START_TEST(test_mem_available)
{
    int nnodes = pa_ctx_nnodes(ctx), node_size = pa_ctx_node_size(ctx);
    tu_env saved = tu_env_save("PARRAY_MEM_AVAILABLE");
    /* 16 MB available per node; a row is 8000 bytes. */
    setenv("PARRAY_MEM_AVAILABLE", "16000000", 1);
    /* 2100 rows (16.8 MB) on each node: refused. */
    expect_enomem(2100, PA_REPLICATED, "(PARRAY_MEM_AVAILABLE)");
    expect_enomem(2100 * (size_t)nnodes, PA_DISTRIBUTED, "(PARRAY_MEM_AVAILABLE)");
    size_t rows = 1900 * (size_t)nnodes;
    pa_array *a = NULL;
    size_t shape[2] = {rows, 1000};
    /* Each node holds 1900 rows (15.2 MB): it fits, however many nodes. */
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    /* Freed into the pool, the same layout comes back with no memory left. */
    TU_OK(pa_array_free(&a), ctx);
    setenv("PARRAY_MEM_AVAILABLE", "0", 1);
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    TU_OK(pa_array_free(&a), ctx);
    /* A small array of another layout needs new memory and fails. */
    expect_enomem(3, PA_DISTRIBUTED, "0 bytes is available (PARRAY_MEM_AVAILABLE)");

    /* pa_mem_check: every rank asks for 1 MB; the node has node_size MB. */
    char avail[32];
    snprintf(avail, sizeof avail, "%d", node_size * 1000000);
    setenv("PARRAY_MEM_AVAILABLE", avail, 1);
    TU_OK(pa_mem_check(ctx, 1000000, "the test buffers"), ctx);
    TU_RC(pa_mem_check(ctx, 1000001, "the test buffers"), PA_ENOMEM, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "pa_mem_check: the test buffers needs") != NULL, "%s",
              pa_errmsg(ctx));
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
    /* Only the last rank asks: the sum is what counts. */
    TU_OK(pa_mem_check(ctx, tu_rank() == tu_size() - 1 ? (size_t)node_size * 1000000 : 0, "x"),
          ctx);
    /* A bad setting is refused, on every rank. */
    setenv("PARRAY_MEM_AVAILABLE", " 5", 1);
    TU_RC(pa_mem_check(ctx, 1, "x"), PA_EINVAL, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "PARRAY_MEM_AVAILABLE=' 5'") != NULL, "%s", pa_errmsg(ctx));
    tu_env_restore(&saved);

    /* Without the aid, the real figure: 2^50 bytes fit no machine. */
    TU_RC(pa_mem_check(ctx, (size_t)1 << 50, "x"), PA_ENOMEM, ctx);
    TU_ASSERT(strstr(pa_errmsg(ctx), "(MemAvailable)") || strstr(pa_errmsg(ctx), "cgroup"), "%s",
              pa_errmsg(ctx));
}
END_TEST

START_TEST(test_bad_other_calls)
{
    /* NULL arrays and spans, bad roots and buffers. */
    pa_array *none = NULL;
    TU_OK(pa_array_free(&none), ctx);
    TU_CHECK(none == NULL);
    int rc = pa_array_free(NULL);
    TU_ASSERT(rc == PA_OK || rc == PA_EINVAL, "pa_array_free(NULL) = %d", rc);

    pa_span s;
    size_t r0, nr;
    int node, rank;
    TU_CHECK(pa_array_local(NULL, &s) == PA_EINVAL);
    TU_CHECK(pa_array_node(NULL, &s) == PA_EINVAL);
    TU_CHECK(pa_array_node_rows(NULL, &r0, &nr) == PA_EINVAL);
    TU_CHECK(pa_array_owner(NULL, 0, &node, &rank) == PA_EINVAL);
    TU_CHECK(pa_array_row_owner(NULL, 0, &node, &rank) == PA_EINVAL);
    TU_CHECK(pa_array_sync(NULL) == PA_EINVAL);
    TU_CHECK(pa_array_gather(NULL, 0, &s) == PA_EINVAL);
    TU_CHECK(pa_array_scatter(NULL, 0, &s) == PA_EINVAL);
    TU_CHECK(pa_array_replicate(NULL, 0) == PA_EINVAL);

    size_t shape[2] = {10, 3};
    pa_array *a = NULL;
    TU_OK(pa_array_create(ctx, PA_F64, 2, shape, PA_DISTRIBUTED, &a), ctx);
    TU_CHECK(pa_array_local(a, NULL) == PA_EINVAL);
    TU_CHECK(pa_array_node(a, NULL) == PA_EINVAL);

    double buf[30] = {0};
    int size = tu_size();
    /* A NULL buffer on the root only: every rank fails alike. */
    TU_RC(pa_array_gather(a, size - 1, NULL), PA_EINVAL, ctx);
    TU_RC(pa_array_scatter(a, size - 1, NULL), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "buf") != NULL);
    TU_CHECK(tu_same_str(pa_errmsg(ctx)));
    /* Roots outside the job. */
    TU_RC(pa_array_gather(a, -1, buf), PA_EINVAL, ctx);
    TU_RC(pa_array_gather(a, size, buf), PA_EINVAL, ctx);
    TU_RC(pa_array_scatter(a, size, buf), PA_EINVAL, ctx);
    TU_CHECK(strstr(pa_errmsg(ctx), "root") != NULL);
    /* The array still works. */
    check_roundtrip(a, 90);
    TU_OK(pa_array_free(&a), ctx);
}
END_TEST

/* ------------------------------------------------------------ faults */

static void expect_alloc_fault(pa_ctx *c, const char *value)
{
    size_t shape[2] = {1000, 3};
    for (int d = 0; d < 2; d++) {
        pa_array *a = (pa_array *)&c;
        int rc = pa_array_create(c, PA_F64, 2, shape, dists[d], &a);
        TU_ASSERT(rc == PA_ENOMEM, "PARRAY_FAULT=%s: got %s: %s", value, pa_errname(rc),
                  pa_errmsg(c));
        TU_SAME_INT(rc);
        TU_CHECK(a == NULL);
        TU_CHECK(pa_errmsg(c)[0] != '\0');
        TU_CHECK(tu_same_str(pa_errmsg(c)));
    }
}

START_TEST(test_fault_alloc)
{
    char v[64];
    int last = tu_size() - 1;
    const char *values[4];
    char one[64], first[64], list[96];
    snprintf(one, sizeof one, "array_alloc@%d", last);
    snprintf(first, sizeof first, "array_alloc@0");
    snprintf(list, sizeof list, "nothing_here@0,array_alloc@%d", last);
    values[0] = one;
    values[1] = first;
    values[2] = "array_alloc@*";
    values[3] = list;
    for (int i = 0; i < 4; i++) {
        snprintf(v, sizeof v, "%s", values[i]);
        pa_ctx *c = tu_fault_ctx(v);
        expect_alloc_fault(c, v);
        /* Repeated failures do not wear anything out or hang. */
        expect_alloc_fault(c, v);
        /* The other context, without faults, is unaffected. */
        full_check(PA_I32, 1, (size_t[]){50}, PA_DISTRIBUTED, 60 + (unsigned)i);
        TU_OK(pa_finalize(&c), NULL);
    }

    /* A fault for a rank outside the job changes nothing. */
    snprintf(v, sizeof v, "array_alloc@%d", tu_size() + 3);
    pa_ctx *c = tu_fault_ctx(v);
    pa_array *a = NULL;
    size_t shape[1] = {100};
    TU_OK(pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &a), c);
    TU_OK(pa_array_free(&a), c);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

/* ------------------------------------------------------------ pool */

/* Create, dirty, free, create the same shape again (the reuse path): zero
 * again and correct. Then another dtype of the same bytes. */
static void pool_cycle(pa_ctx *c)
{
    pa_ctx *saved = ctx;
    ctx = c;                      /* the checks use the global context */
    size_t shape[1] = {8u << 20}; /* 64 MiB of f64 */
    for (int round = 0; round < 3; round++) {
        pa_array *a = NULL;
        TU_OK(pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &a), c);
        if (round == 0)
            check_array(a, PA_F64, 1, shape, PA_DISTRIBUTED);
        check_zero(a);
        check_visibility(a, 500 + (unsigned)round);
        TU_OK(pa_array_free(&a), c);
    }
    size_t shape32[2] = {16u << 10, 1u << 10}; /* the same bytes as f32 */
    pa_array *b = NULL;
    TU_OK(pa_array_create(c, PA_F32, 2, shape32, PA_DISTRIBUTED, &b), c);
    check_array(b, PA_F32, 2, shape32, PA_DISTRIBUTED);
    check_zero(b);
    check_visibility(b, 510);
    TU_OK(pa_array_free(&b), c);
    /* A replicated array of a size the pool may hold, twice. */
    size_t shape8[1] = {3u << 20};
    for (int round = 0; round < 2; round++) {
        TU_OK(pa_array_create(c, PA_U8, 1, shape8, PA_REPLICATED, &b), c);
        check_zero(b);
        check_visibility(b, 520 + (unsigned)round);
        TU_OK(pa_array_free(&b), c);
    }
    ctx = saved;
}

START_TEST(test_pool_reuse)
{
    pool_cycle(ctx);
}
END_TEST

START_TEST(test_pool_off)
{
    tu_env saved = tu_env_save("PARRAY_POOL_MB");
    setenv("PARRAY_POOL_MB", "0", 1);
    pa_ctx *c = NULL;
    int rc = pa_init_comm(MPI_COMM_WORLD, &c);
    tu_env_restore(&saved);
    TU_RC(rc, PA_OK, NULL);
    pool_cycle(c);
    TU_OK(pa_finalize(&c), NULL);
}
END_TEST

START_TEST(test_pool_finalize_with_cached_blocks)
{
    /* A context whose pool holds blocks is finalised cleanly. */
    pa_ctx *c = NULL;
    TU_OK(pa_init_comm(MPI_COMM_WORLD, &c), NULL);
    size_t shape[1] = {4u << 20};
    pa_array *a = NULL;
    TU_OK(pa_array_create(c, PA_F64, 1, shape, PA_DISTRIBUTED, &a), c);
    TU_OK(pa_array_free(&a), c);
    TU_OK(pa_finalize(&c), NULL);
    TU_CHECK(c == NULL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("array");
    TCase *tc = tu_tcase(s, "partition");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_partition_unit);
    tcase_add_test(tc, test_rows_of_node_unit);
    tcase_add_test(tc, test_dtypes);

    tc = tu_tcase(s, "layout");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_every_dtype_ndim);
    tcase_add_test(tc, test_rows_not_multiple);
    tcase_add_test(tc, test_ndim_8);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_more_ranks_than_rows);
    tcase_add_test(tc, test_same_shape_both_dists);
    tcase_add_test(tc, test_large_page_aligned);
    tcase_add_test(tc, test_replicate);
    tcase_add_test(tc, test_many_arrays);

    tc = tu_tcase(s, "bad_input");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_bad_create);
    tcase_add_test(tc, test_bad_other_calls);
    tcase_add_test(tc, test_fault_alloc);
    tcase_add_test(tc, test_mem_available);

    tc = tu_tcase(s, "pool");
    tcase_add_checked_fixture(tc, tu_ctx_setup, tu_ctx_teardown);
    tcase_add_test(tc, test_pool_reuse);
    tcase_add_test(tc, test_pool_off);
    tcase_add_test(tc, test_pool_finalize_with_cached_blocks);
    return s;
}

int main(int argc, char **argv)
{
    return tu_main(argc, argv, make_suite);
}
