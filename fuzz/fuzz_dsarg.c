/* libFuzzer target: the dataset-argument parser (apps/dsarg.c) on any
 * bytes. A split must give back the argument: the file, ':', then the
 * dataset, which starts with '/', has no empty component and no later
 * ":/"; a refusal must quote the argument and say why, whole, in a
 * buffer of 256 bytes whatever the argument's length.
 * FUZZ_SOURCES: apps/dsarg.c */
#include <stdint.h>
#include <string.h>

#include "dsarg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The argument is a C string: it ends at the first NUL. */
    char *arg = malloc(size + 1);
    if (!arg)
        return 0;
    memcpy(arg, data, size);
    arg[size] = '\0';
    static dsarg out;
    char err[256];
    err[0] = '\0';
    if (dsarg_parse(arg, &out, err, sizeof err) == 0) {
        size_t fl = strlen(out.file), dl = strlen(out.dataset);
        FUZZ_ASSERT(fl > 0 && fl + 1 + dl == strlen(arg) && memcmp(arg, out.file, fl) == 0 &&
                        arg[fl] == ':' && strcmp(arg + fl + 1, out.dataset) == 0,
                    "'%s' split into '%s' and '%s'", arg, out.file, out.dataset);
        FUZZ_ASSERT(out.dataset[0] == '/' && dl >= 2 && out.dataset[dl - 1] != '/' &&
                        !strstr(out.dataset, "//") && !strstr(out.dataset, ":/"),
                    "dataset '%s' of '%s'", out.dataset, arg);
    } else {
        const char *why = strstr(err, "': ");
        FUZZ_ASSERT(err[0] == '\'' && why && why[3] && strlen(err) + 1 < sizeof err,
                    "a refusal without its reason, or cut short: '%s'", err);
    }
    free(arg);
    return 0;
}
