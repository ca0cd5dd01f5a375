/* libFuzzer target: the .npy header parser (src/npy.c) on any bytes, both
 * straight from the buffer (pa__npy_parse) and through the file reader
 * (the format's probe and read, on an in-memory file), which parses the
 * first 4 KiB and then, for a longer header, the whole header.
 * Properties:
 * - the reader's answer is the whole buffer's: a header is accepted or
 *   refused the same way however many bytes the first read got;
 * - an accepted header lies within the buffer, its shape has at most
 *   PA_MAXDIM dimensions and a byte count that does not overflow;
 * - the header parray writes for the parsed array parses back to the same
 *   array, byte order and data offset (a multiple of 64);
 * - read gives the file's data bytes, swapped to the host's order;
 * - every refusal records a message. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "files.h"
#include "fuzz.h"

#define FIRST_READ 4096 /* npy.c's first read */

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memfd = memfd_create("fuzz.npy", 0);
    if (memfd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    return 0;
}

/* The parse of the whole buffer: its properties, and the round trip of
 * the header parray writes for it. */
static int parse_whole(const uint8_t *data, size_t size, pa__finfo *info, size_t *off, int *swap)
{
    size_t need = 0;
    int rc = pa__npy_parse(NULL, "fuzz", "f.npy", data, size, info, off, swap, &need);
    if (rc != PA_OK) {
        FUZZ_ASSERT(rc == PA_EFORMAT || rc == PA_ENOTSUP, "code %d", rc);
        FUZZ_ASSERT(strncmp(pa_errmsg(NULL), "fuzz: f.npy: ", 13) == 0, "message '%s'",
                    pa_errmsg(NULL));
        FUZZ_ASSERT(need == 0 || need > size, "need %zu of %zu bytes", need, size);
        return rc;
    }
    FUZZ_ASSERT(*off <= size && *off >= 10, "data offset %zu of %zu", *off, size);
    FUZZ_ASSERT(info->ndim >= 0 && info->ndim <= PA_MAXDIM, "ndim %d", info->ndim);
    size_t count = 1, es = pa_dtype_size(info->dtype);
    FUZZ_ASSERT(es > 0, "dtype %d", (int)info->dtype);
    for (int i = 0; i < info->ndim; i++) {
        FUZZ_ASSERT(!info->shape[i] || count <= SIZE_MAX / es / info->shape[i],
                    "shape overflows");
        count *= info->shape[i];
    }
    FUZZ_ASSERT(count == pa__finfo_count(info), "count %zu", count);

    unsigned char head[1024];
    int big = *swap == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    size_t hl = pa__npy_header(info, big, head, sizeof head);
    FUZZ_ASSERT(hl > 0 && hl % 64 == 0 && head[hl - 1] == '\n', "written header of %zu bytes",
                hl);
    pa__finfo back;
    size_t boff, bneed;
    int bswap;
    rc = pa__npy_parse(NULL, "fuzz", "f.npy", head, hl, &back, &boff, &bswap, &bneed);
    FUZZ_ASSERT(rc == PA_OK, "the written header does not parse: %s", pa_errmsg(NULL));
    FUZZ_ASSERT(pa__finfo_same(&back, info) && boff == hl && (bswap == *swap || es == 1),
                "the written header parses to another array: %.*s", (int)hl, head);
    return PA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pa__finfo info;
    size_t off;
    int swap;
    int rc = parse_whole(data, size, &info, &off, &swap);

    /* The reader as a file would see it: parse from the first FIRST_READ
     * bytes, and again from the whole header when it says it needs more. */
    size_t first = size < FIRST_READ ? size : FIRST_READ, need = 0, poff;
    pa__finfo pinfo;
    int pswap;
    int prc = pa__npy_parse(NULL, "fuzz", "f.npy", data, first, &pinfo, &poff, &pswap, &need);
    if (prc != PA_OK && need > first && need <= size)
        prc = pa__npy_parse(NULL, "fuzz", "f.npy", data, need, &pinfo, &poff, &pswap, &need);
    FUZZ_ASSERT(prc == rc, "the reader's parse gives %d, the whole buffer's %d", prc, rc);
    if (rc == PA_OK)
        FUZZ_ASSERT(pa__finfo_same(&pinfo, &info) && poff == off && pswap == swap,
                    "the reader's parse gives another array");

    /* The format's probe and read on the same bytes as a file. */
    if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
        perror("memfd");
        abort();
    }
    pa__finfo finfo;
    size_t es = rc == PA_OK ? pa_dtype_size(info.dtype) : 0;
    int frc = pa__npy_format.probe(NULL, "fuzz", path, NULL, &finfo);
    int fits = rc == PA_OK && off + pa__finfo_count(&info) * es == size;
    FUZZ_ASSERT((frc == PA_OK) == fits, "probe gives %d (%s), the parse %d", frc,
                frc ? pa_errmsg(NULL) : "", rc);
    if (frc != PA_OK)
        return 0;
    FUZZ_ASSERT(pa__finfo_same(&finfo, &info), "probe gives another array");
    size_t bytes = size - off;
    unsigned char *buf = malloc(bytes + 1);
    FUZZ_ASSERT(buf, "out of memory");
    frc = pa__npy_format.read(NULL, "fuzz", path, NULL, &info, buf);
    FUZZ_ASSERT(frc == PA_OK, "read fails: %s", pa_errmsg(NULL));
    for (size_t i = 0; i < bytes; i++) {
        size_t k = swap ? i / es * es + (es - 1 - i % es) : i;
        FUZZ_ASSERT(buf[i] == data[off + k], "byte %zu of the data", i);
    }
    free(buf);
    return 0;
}
