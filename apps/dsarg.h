/* Dataset arguments of the parray commands: "FILE.h5:/path/to/dataset".
 * The file name may itself contain ':' (and the dataset path does not start
 * without '/'), so the argument is split at its LAST ":/". */
#ifndef PARRAY_DSARG_H
#define PARRAY_DSARG_H

#include <limits.h>
#include <stddef.h>

typedef struct {
    char file[PATH_MAX]; /* "data/x.h5" */
    char dataset[1024];  /* "/group/x", always starting with '/' */
} dsarg;

/* Not collective (deterministic: every rank gets the same answer for the
 * same argument). Splits arg into out->file and out->dataset. Returns 0, or
 * -1 with a one-line reason in err (err may be NULL; the argument is quoted
 * up to 64 bytes, then "...", so 160 bytes hold any reason), e.g.
 *   "'data.h5': expected FILE:/DATASET (no ':/' found)"
 *   "':/x': the file name is empty"
 *   "'a.h5:/': the dataset path is empty"
 *   "'a.h5:/x//y': the dataset path has an empty component". */
int dsarg_parse(const char *arg, dsarg *out, char *err, size_t errlen);

#endif
