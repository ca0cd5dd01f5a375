/* Dataset arguments "FILE.h5:/path/to/dataset", split at the last ":/" so
 * that file names with ':' in them (times, URLs-like names) still work. */
#include <stdio.h>
#include <string.h>

#include "dsarg.h"

/* The argument is quoted up to QUOTE_MAX bytes, so that the reason fits in
 * the caller's buffer however long the argument is. */
#define QUOTE_MAX 64

static int fail(char *err, size_t errlen, const char *arg, const char *why)
{
    if (err && errlen) {
        int cut = strlen(arg) > QUOTE_MAX;
        snprintf(err, errlen, "'%.*s%s': %s", QUOTE_MAX, arg, cut ? "..." : "", why);
    }
    return -1;
}

int dsarg_parse(const char *arg, dsarg *out, char *err, size_t errlen)
{
    if (!arg)
        return fail(err, errlen, "(null)", "no argument");
    const char *sep = NULL;
    for (const char *p = strstr(arg, ":/"); p; p = strstr(p + 1, ":/"))
        sep = p;
    if (!sep)
        return fail(err, errlen, arg, "expected FILE:/DATASET (no ':/' found)");
    size_t flen = (size_t)(sep - arg);
    const char *ds = sep + 1;
    if (flen == 0)
        return fail(err, errlen, arg, "the file name is empty");
    if (flen >= sizeof out->file)
        return fail(err, errlen, arg, "the file name is too long");
    if (ds[1] == '\0')
        return fail(err, errlen, arg, "the dataset path is empty");
    if (strlen(ds) >= sizeof out->dataset)
        return fail(err, errlen, arg, "the dataset path is too long");
    if (strstr(ds, "//") || ds[strlen(ds) - 1] == '/')
        return fail(err, errlen, arg, "the dataset path has an empty component");
    memcpy(out->file, arg, flen);
    out->file[flen] = '\0';
    snprintf(out->dataset, sizeof out->dataset, "%s", ds);
    return 0;
}
