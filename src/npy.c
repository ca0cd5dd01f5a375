/* The .npy format (NumPy's format specification, versions 1.0, 2.0 and
 * 3.0): a magic string, a version, the header length (2 bytes in 1.0, 4 in
 * 2.0 and 3.0), a Python dict literal with 'descr', 'fortran_order' and
 * 'shape', padded so the data starts at a multiple of 64 bytes, then the
 * data. Reads either byte order; writes version 1.0 (2.0 only if the header
 * would not fit), C order. One file per row of a stack (the format table),
 * or one big file that every rank reads its own part of (pa_load_npy). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collcheck.h"
#include "dtype.h"
#include "files.h"

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define ALIGN 64
/* The first read of a file: enough for any header parray writes and for
 * the data of small files, so that most reads need one call for the
 * header. */
#define FIRST_READ 4096

static const int host_little = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

/* ------------------------------------------------------------ parsing */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string ('...' or "...") without escapes, into buf. */
static int string_lit(cursor *c, char *buf, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap)
            return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

static int word(cursor *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* Maps a descr such as "<f8" to a dtype and whether its data is swapped. */
static int parse_descr(pa_ctx *ctx, const char *fn, const char *path, const char *d,
                       pa_dtype *dtype, int *swap)
{
    char order = '=';
    if (*d == '<' || *d == '>' || *d == '|' || *d == '=')
        order = *d++;
    char kind = *d;
    /* The item size: one or two digits, nothing else (strtol would take
     * " 8" and "+8"). */
    const char *digits = kind ? d + 1 : d;
    size_t nd = strspn(digits, "0123456789");
    long size = nd >= 1 && nd <= 2 && digits[nd] == '\0' ? strtol(digits, NULL, 10) : 0;
    if (size <= 0)
        return pa__err(ctx, fn, PA_EFORMAT, "%s: .npy descr '%s' is not a NumPy type string",
                       path, d);
    /* The table's descr without its byte order: kind letter and size. */
    for (int i = 0; i < PA_NDTYPES; i++) {
        const char *t = pa__dtypes[i].npy_descr[0] + 1;
        if (t[0] == kind && strtol(t + 1, NULL, 10) == size) {
            *dtype = (pa_dtype)i;
            *swap = size > 1 && ((order == '>' && host_little) || (order == '<' && !host_little));
            return PA_OK;
        }
    }
    char names[128];
    return pa__err(ctx, fn, PA_ENOTSUP, "%s: .npy dtype '%s' is not one parray holds (%s)", path,
                   d, pa__dtype_names(PA__KINDS_ALL, PA__NAMES_NPY, names, sizeof names));
}

static int parse_shape(cursor *c, pa__finfo *info)
{
    if (!eat(c, '('))
        return 0;
    info->ndim = 0;
    for (;;) {
        skip_ws(c);
        if (eat(c, ')'))
            return 1;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return 0;
        size_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            size_t dgt = (size_t)(*c->p++ - '0');
            if (v > (SIZE_MAX - dgt) / 10)
                return 0;
            v = v * 10 + dgt;
        }
        if (c->p < c->end && *c->p == 'L') /* Python 2 longs */
            c->p++;
        if (info->ndim == PA_MAXDIM)
            return -1;
        info->shape[info->ndim++] = v;
        if (!eat(c, ','))
            return eat(c, ')') ? 1 : 0;
    }
}

int pa__npy_parse(pa_ctx *ctx, const char *fn, const char *path, const unsigned char *buf,
                  size_t len, pa__finfo *info, size_t *data_off, int *swap, size_t *need)
{
    *need = 0;
    if (len < MAGIC_LEN + 2 || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
        return pa__err(ctx, fn, PA_EFORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", path);
    int major = buf[6], minor = buf[7];
    if (major < 1 || major > 3 || minor != 0)
        return pa__err(ctx, fn, PA_EFORMAT,
                       "%s: .npy format version %d.%d is not 1.0, 2.0 or 3.0", path, major,
                       minor);
    size_t lenbytes = major == 1 ? 2 : 4, start = MAGIC_LEN + 2 + lenbytes;
    if (len < start) {
        *need = start;
        return pa__err(ctx, fn, PA_EFORMAT, "%s: truncated .npy header", path);
    }
    size_t hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    if (lenbytes == 4)
        hlen |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    if (len < start + hlen) {
        *need = start + hlen;
        return pa__err(ctx, fn, PA_EFORMAT, "%s: truncated .npy header (%zu of %zu bytes)", path,
                       len, start + hlen);
    }
    /* Version 3.0 headers are UTF-8 and 1.0/2.0 latin-1; the keys and values
     * parray accepts are ASCII either way, so bytes are parsed as they are. */
    cursor c = {(const char *)buf + start, (const char *)buf + start + hlen};
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    char key[32], descr[64];
    if (!eat(&c, '{'))
        goto bad;
    while (!eat(&c, '}')) {
        if (!string_lit(&c, key, sizeof key) || !eat(&c, ':'))
            goto bad;
        if (strcmp(key, "descr") == 0) {
            skip_ws(&c);
            if (c.p < c.end && *c.p == '[') {
                char names[128];
                return pa__err(
                    ctx, fn, PA_ENOTSUP, "%s: .npy holds a structured dtype; parray holds %s",
                    path, pa__dtype_names(PA__KINDS_ALL, PA__NAMES_NPY, names, sizeof names));
            }
            if (!string_lit(&c, descr, sizeof descr))
                goto bad;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (word(&c, "True"))
                fortran = 1;
            else if (!word(&c, "False"))
                goto bad;
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            int r = parse_shape(&c, info);
            if (r < 0)
                return pa__err(ctx, fn, PA_ENOTSUP, "%s: .npy array has more than %d dimensions",
                               path, PA_MAXDIM);
            if (!r)
                goto bad;
            have_shape = 1;
        } else {
            return pa__err(ctx, fn, PA_EFORMAT, "%s: .npy header has an unknown key '%s'", path,
                           key);
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}'))
                goto bad;
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return pa__err(ctx, fn, PA_EFORMAT,
                       "%s: .npy header lacks one of 'descr', 'fortran_order', 'shape'", path);
    PA_TRY(parse_descr(ctx, fn, path, descr, &info->dtype, swap));
    /* In one dimension (or none) Fortran and C order are the same bytes. */
    if (fortran && info->ndim > 1)
        return pa__err(ctx, fn, PA_ENOTSUP,
                       "%s: .npy array is in Fortran order (fortran_order: True); parray reads "
                       "C order only: save it transposed or as np.ascontiguousarray",
                       path);
    size_t count = 1, es = pa_dtype_size(info->dtype);
    for (int i = 0; i < info->ndim; i++) {
        if (info->shape[i] && count > SIZE_MAX / es / info->shape[i])
            return pa__err(ctx, fn, PA_EFORMAT, "%s: .npy shape overflows", path);
        count *= info->shape[i];
    }
    *data_off = start + hlen;
    return PA_OK;
bad:
    return pa__err(ctx, fn, PA_EFORMAT, "%s: .npy header is not a valid dict near byte %zu", path,
                   (size_t)(c.p - (const char *)buf));
}

size_t pa__npy_header(const pa__finfo *info, int big_endian, unsigned char *buf, size_t cap)
{
    char dict[512], shape[PA_MAXDIM * 24 + 8];
    size_t n = 0;
    n += (size_t)snprintf(shape + n, sizeof shape - n, "(");
    for (int i = 0; i < info->ndim; i++)
        n += (size_t)snprintf(shape + n, sizeof shape - n, i ? ", %zu" : "%zu", info->shape[i]);
    snprintf(shape + n, sizeof shape - n, info->ndim == 1 ? ",)" : ")");
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                      pa__dtypes[info->dtype].npy_descr[big_endian != 0], shape);
    /* Version 1.0 stores the header length in 2 bytes; a longer header
     * needs 2.0 (4 bytes). The header ends in '\n' and pads to ALIGN. */
    size_t pre = MAGIC_LEN + 2 + 2;
    size_t total = (pre + (size_t)dl + 1 + ALIGN - 1) / ALIGN * ALIGN;
    int major = 1;
    if (total - pre > 65535) {
        major = 2;
        pre += 2;
        total = (pre + (size_t)dl + 1 + ALIGN - 1) / ALIGN * ALIGN;
    }
    if (total > cap)
        return 0;
    size_t hlen = total - pre;
    memcpy(buf, MAGIC, MAGIC_LEN);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + pre, dict, (size_t)dl);
    memset(buf + pre + dl, ' ', total - pre - (size_t)dl - 1);
    buf[total - 1] = '\n';
    return total;
}

/* ------------------------------------------------------------ data */

/* Reverses the bytes of each of count elements of size es (a one-byte
 * element has no order; a complex element swaps each part, so its caller
 * passes the part's size). */
static void byteswap(void *buf, size_t count, size_t es)
{
    if (es == 8) {
        uint64_t *p = buf;
        for (size_t i = 0; i < count; i++)
            p[i] = __builtin_bswap64(p[i]);
    } else if (es == 4) {
        uint32_t *p = buf;
        for (size_t i = 0; i < count; i++)
            p[i] = __builtin_bswap32(p[i]);
    } else if (es == 2) {
        uint16_t *p = buf;
        for (size_t i = 0; i < count; i++)
            p[i] = __builtin_bswap16(p[i]);
    } else {
        unsigned char *p = buf;
        for (size_t i = 0; i < count * es; i += es)
            for (size_t a = i, b = i + es - 1; a < b; a++, b--) {
                unsigned char t = p[a];
                p[a] = p[b];
                p[b] = t;
            }
    }
}

/* Opens path and parses its header; head holds the first bytes (at most
 * FIRST_READ) so a small file's data need not be read twice. */
static int open_npy(pa_ctx *ctx, const char *fn, const char *path, int *fd, size_t *size,
                    unsigned char *head, size_t *headlen, pa__finfo *info, size_t *off, int *swap)
{
    PA_TRY(pa__file_open_input(ctx, fn, path, fd, size));
    *headlen = *size < FIRST_READ ? *size : FIRST_READ;
    int rc = pa__read_at(ctx, fn, path, *fd, head, *headlen, 0);
    size_t need = 0;
    if (rc == PA_OK)
        rc = pa__npy_parse(ctx, fn, path, head, *headlen, info, off, swap, &need);
    if (rc < 0 && need > *headlen && need <= *size) {
        /* A header longer than the first read: read it whole. */
        unsigned char *big = malloc(need);
        rc = big ? pa__read_at(ctx, fn, path, *fd, big, need, 0)
                 : pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        if (rc == PA_OK)
            rc = pa__npy_parse(ctx, fn, path, big, need, info, off, swap, &need);
        free(big);
    }
    if (rc == PA_OK) {
        size_t want = *off + pa__finfo_count(info) * pa_dtype_size(info->dtype);
        if (*size != want)
            rc = pa__err(ctx, fn, PA_EFORMAT, "%s: .npy file is %zu bytes; its header says %zu",
                         path, *size, want);
    }
    if (rc < 0)
        close(*fd);
    return rc;
}

static int npy_probe(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     pa__finfo *info)
{
    (void)o;
    int fd, swap;
    size_t size, headlen, off;
    unsigned char head[FIRST_READ];
    PA_TRY(open_npy(ctx, fn, path, &fd, &size, head, &headlen, info, &off, &swap));
    close(fd);
    return PA_OK;
}

static int npy_read(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                    const pa__finfo *want, void *buf)
{
    (void)o;
    int fd, swap;
    size_t size, headlen, off;
    unsigned char head[FIRST_READ];
    pa__finfo info;
    PA_TRY(open_npy(ctx, fn, path, &fd, &size, head, &headlen, &info, &off, &swap));
    int rc = PA_OK;
    if (!pa__finfo_same(&info, want)) {
        char s1[PA_MAXDIM * 24], s2[PA_MAXDIM * 24];
        rc = pa__err(
            ctx, fn, PA_EINVAL, "%s: holds %s %s, unlike the first file's %s %s", path,
            pa_dtype_name(info.dtype), pa__shape_str(info.ndim, info.shape, s1, sizeof s1),
            pa_dtype_name(want->dtype), pa__shape_str(want->ndim, want->shape, s2, sizeof s2));
    }
    if (rc == PA_OK) {
        /* The data already read with the header, then the rest straight into
         * buf. A header longer than head ends past it: then nothing of the
         * data is in head (and head + off would point outside it). */
        size_t es = pa_dtype_size(info.dtype), bytes = pa__finfo_count(&info) * es;
        size_t have = headlen > off ? headlen - off : 0;
        if (have > bytes)
            have = bytes;
        if (have > 0)
            memcpy(buf, head + off, have);
        rc = pa__read_at(ctx, fn, path, fd, (char *)buf + have, bytes - have, off + have);
        if (rc == PA_OK && swap)
            byteswap(buf, pa__finfo_count(&info), es);
    }
    close(fd);
    return rc;
}

#define SWAP_CHUNK ((size_t)1 << 20)

static int npy_write(pa_ctx *ctx, const char *fn, const char *path, const pa_files_opts *o,
                     const pa__finfo *info, const void *buf)
{
    int big = o && o->big_endian;
    unsigned char head[1024];
    size_t hl = pa__npy_header(info, big, head, sizeof head);
    if (hl == 0)
        return pa__err(ctx, fn, PA_EINVAL, "%s: .npy header too long", path);
    pa__tmpfile t;
    PA_TRY(pa__tmp_open(ctx, fn, path, o, &t));
    size_t es = pa_dtype_size(info->dtype), count = pa__finfo_count(info);
    int rc = pa__write_at(ctx, fn, path, t.fd, head, hl, 0);
    if (rc == PA_OK && (big == host_little) && es > 1) {
        /* Store the other byte order: swap a chunk at a time into a copy. */
        char *tmp = malloc(SWAP_CHUNK);
        if (!tmp)
            rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        size_t per = SWAP_CHUNK / es;
        for (size_t i = 0; rc == PA_OK && i < count; i += per) {
            size_t k = count - i < per ? count - i : per;
            memcpy(tmp, (const char *)buf + i * es, k * es);
            byteswap(tmp, k, es);
            rc = pa__write_at(ctx, fn, path, t.fd, tmp, k * es, hl + i * es);
        }
        free(tmp);
    } else if (rc == PA_OK) {
        rc = pa__write_at(ctx, fn, path, t.fd, buf, count * es, hl);
    }
    if (rc == PA_OK)
        return pa__tmp_commit(ctx, fn, &t);
    return pa__tmp_abort(ctx, fn, &t, rc);
}

const pa__format pa__npy_format = {".npy", npy_probe, npy_read, npy_write};

/* ------------------------------------------------------------ one big file */

/* The piece of a rank's part read between two progress calls. */
#define PROGRESS_PIECE ((size_t)64 << 20)

/* Reads len bytes at off into buf, calling o->progress (if any) after each
 * piece. */
static int read_part(pa_ctx *ctx, const char *fn, const char *path, int fd, char *buf, size_t len,
                     size_t off, const pa_files_opts *o)
{
    size_t piece = o && o->progress ? PROGRESS_PIECE : len;
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        PA_TRY(pa__read_at(ctx, fn, path, fd, buf + at, n, off + at));
        if (o && o->progress)
            o->progress(o->progress_arg, at + n, len);
    }
    return PA_OK;
}

int pa_load_npy(pa_ctx *ctx, const char *path, const pa_files_opts *opts, pa_array **out)
{
    const char *fn = __func__;
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', %s", PA_CC_STR(path), PA_CC_FILES_OPTS(opts));
    PA_CHECK(ctx, out, PA_EINVAL, "out is NULL");
    *out = NULL;
    PA_CHECK(ctx, path, PA_EINVAL, "path is NULL");
    /* Every rank reads its part of the file: all must see the same one. */
    PA_TRY(pa__file_agree(ctx, ctx->comm, fn, path, PA__FILE_INPUT, NULL));

    /* Every rank parses the header itself (the same bytes give the same
     * answer), so nothing of it needs sending. */
    int fd = -1, swap = 0;
    size_t size, headlen, off;
    unsigned char head[FIRST_READ];
    pa__finfo info;
    int rc = open_npy(ctx, fn, path, &fd, &size, head, &headlen, &info, &off, &swap);
    if (rc < 0)
        fd = -1; /* open_npy closed it */
    else if (info.ndim == 0)
        rc = pa__err(ctx, fn, PA_ENOTSUP,
                     "%s: .npy holds a 0-d array (shape ()); parray arrays have 1 to %d "
                     "dimensions: save it with shape (1,)",
                     path, PA_MAXDIM);
    if ((rc = pa__agree(ctx, ctx->comm, rc)) == PA_OK)
        rc = pa_array_create(ctx, info.dtype, info.ndim, info.shape, PA_DISTRIBUTED, out);
    if (rc == PA_OK) {
        /* This rank's span of its node's block is one contiguous run of
         * the file's C-order data: read it straight into place. */
        pa_span s;
        pa_array_local(*out, &s);
        size_t es = pa_dtype_size(info.dtype);
        rc = read_part(ctx, fn, path, fd, s.ptr, s.count * es, off + s.offset * es, opts);
        if (rc == PA_OK && swap)
            byteswap(s.ptr, s.count, es);
        /* The agreement is also the node sync that shows each rank's part
         * to the others. */
        if ((rc = pa__array_sync_agree(*out, rc)) < 0)
            pa_array_free(out);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}
