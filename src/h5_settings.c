/* How parallel HDF5 files are opened: the file access list of the MPI-IO
 * driver, with the settings for parallel file systems that pa_init parses
 * once from the environment: PARRAY_H5_ALIGN (HDF5's alignment of large
 * objects) and PARRAY_MPIIO_HINTS (the MPI-IO hints every file is opened
 * with). docs/io.md, "Parallel file systems", says what to set. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h5.h"

/* ------------------------------------------------------------ parsing */

/* One size of PARRAY_H5_ALIGN, the n bytes at s: digits, then optionally
 * K, M, G or T (binary: KiB, MiB, GiB, TiB, with or without "iB"). Returns 0,
 * or -1 when it is not one or overflows 64 bits. */
static int parse_size(const char *s, size_t n, unsigned long long *out)
{
    static const char units[] = "KMGT";
    size_t digits = 0;
    unsigned long long v = 0;
    for (; digits < n && s[digits] >= '0' && s[digits] <= '9'; digits++) {
        unsigned d = (unsigned)(s[digits] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (digits == 0)
        return -1;
    const char *u = s + digits;
    size_t ulen = n - digits;
    int shift = 0;
    if (ulen > 0) {
        const char *p = *u ? strchr(units, *u) : NULL;
        if (!p || !(ulen == 1 || (ulen == 3 && strncmp(u + 1, "iB", 2) == 0)))
            return -1;
        shift = 10 * (int)(p - units + 1);
    }
    if (v > UINT64_MAX >> shift)
        return -1;
    *out = v << shift;
    return 0;
}

int pa__h5_align_parse(pa_ctx *ctx, const char *name, const char *s)
{
    const char *comma = strchr(s, ',');
    if (!comma || strchr(comma + 1, ','))
        return pa__err(ctx, "pa_init", PA_EINVAL,
                       "%s='%s' is not THRESHOLD,ALIGNMENT (two sizes such as 1M,4M)", name, s);
    unsigned long long threshold, alignment;
    const char *bad = NULL;
    int badlen = 0;
    if (parse_size(s, (size_t)(comma - s), &threshold) != 0)
        bad = s, badlen = (int)(comma - s);
    else if (parse_size(comma + 1, strlen(comma + 1), &alignment) != 0 || alignment == 0)
        bad = comma + 1, badlen = (int)strlen(comma + 1);
    if (bad)
        return pa__err(ctx, "pa_init", PA_EINVAL,
                       "%s='%s': '%.*s' is not a size (digits, then K, M, G or T; the "
                       "alignment at least 1)",
                       name, s, badlen, bad);
    ctx->h5_align_threshold = threshold;
    ctx->h5_alignment = alignment;
    return PA_OK;
}

/* One KEY=VALUE item of PARRAY_MPIIO_HINTS, the n bytes at item, into
 * info; PA_EINVAL naming the item when it is not one, or when its key came
 * before (a second value would silently win). */
static int put_hint(pa_ctx *ctx, const char *name, const char *s, const char *item, size_t n,
                    MPI_Info info)
{
    const char *eq = memchr(item, '=', n);
    size_t klen = eq ? (size_t)(eq - item) : 0, vlen = eq ? n - klen - 1 : 0;
    if (!eq || klen == 0 || vlen == 0)
        return pa__err(ctx, "pa_init", PA_EINVAL,
                       "%s='%s': '%.*s' is not KEY=VALUE (hints such as "
                       "striping_unit=4194304,romio_cb_write=enable)",
                       name, s, (int)n, item);
    if (klen >= MPI_MAX_INFO_KEY || vlen >= MPI_MAX_INFO_VAL)
        return pa__err(ctx, "pa_init", PA_EINVAL,
                       "%s='%s': '%.*s' is too long (MPI takes keys of %d bytes and values of "
                       "%d at most)",
                       name, s, (int)n, item, MPI_MAX_INFO_KEY - 1, MPI_MAX_INFO_VAL - 1);
    char key[MPI_MAX_INFO_KEY], value[MPI_MAX_INFO_VAL];
    memcpy(key, item, klen);
    key[klen] = '\0';
    memcpy(value, eq + 1, vlen);
    value[vlen] = '\0';
    int len, given;
    PA_TRY(pa__mpi(ctx, "pa_init", MPI_Info_get_valuelen(info, key, &len, &given),
                   "MPI_Info_get_valuelen"));
    PA_CHECK_AS(ctx, "pa_init", !given, PA_EINVAL, "%s='%s': hint '%s' is given twice", name, s,
                key);
    return pa__mpi(ctx, "pa_init", MPI_Info_set(info, key, value), "MPI_Info_set");
}

int pa__mpiio_hints_parse(pa_ctx *ctx, const char *name, const char *s)
{
    MPI_Info info;
    PA_TRY(pa__mpi(ctx, "pa_init", MPI_Info_create(&info), "MPI_Info_create"));
    int rc = PA_OK;
    for (const char *item = s;; item++) {
        size_t n = strcspn(item, ",");
        if ((rc = put_hint(ctx, name, s, item, n, info)) < 0 || item[n] == '\0')
            break;
        item += n;
    }
    if (rc < 0) {
        (void)MPI_Info_free(&info); /* the parse failed already */
        return rc;
    }
    ctx->mpiio_hints = info;
    return PA_OK;
}

/* ------------------------------------------------------------ file access */

/* A file access list for the MPI-IO driver on ctx's communicator, with
 * collective metadata reads and writes: rank 0 reads metadata and
 * broadcasts it, so every rank gets the same answer (and the same error)
 * from every open, lookup and create. The MPI-IO hints and the alignment of
 * the settings apply to every file, so that a save in place aligns its new
 * dataset as a new file would. */
hid_t pa__h5_fapl(pa_ctx *ctx, const char *fn)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, ctx->comm, ctx->mpiio_hints) < 0 ||
        H5Pset_all_coll_metadata_ops(fapl, 1) < 0 || H5Pset_coll_metadata_write(fapl, 1) < 0 ||
        (ctx->h5_alignment > 1 &&
         H5Pset_alignment(fapl, ctx->h5_align_threshold, ctx->h5_alignment) < 0)) {
        pa__h5_err(ctx, fn, PA_EIO, "cannot set up the MPI-IO driver");
        if (fapl >= 0)
            H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

int pa_h5_settings(const pa_ctx *ctx, unsigned long long *threshold,
                   unsigned long long *alignment, MPI_Info *hints)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    if (threshold)
        *threshold = ctx->h5_align_threshold;
    if (alignment)
        *alignment = ctx->h5_alignment;
    if (hints)
        *hints = ctx->mpiio_hints;
    return PA_OK;
}
