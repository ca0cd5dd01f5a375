/* HDF5 attributes: string and numeric scalars on a dataset, a group or the
 * file's root. Strings are stored as h5py stores them (variable-length
 * UTF-8 scalars, read by h5py as str); numbers as H5T_IEEE_F64LE or
 * H5T_STD_I64LE scalars. Attribute writes change the file in place: they
 * are small metadata writes, done collectively through the MPI-IO driver. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collcheck.h"
#include "h5.h"

typedef enum { ATTR_STR, ATTR_NUM, ATTR_INT } attr_kind;

/* Deterministic argument checks, the same on every rank. */
static int check_args(pa_ctx *ctx, const char *fn, const char *path, const char *object,
                      const char *name)
{
    PA_CHECK_AS(ctx, fn, path, PA_EINVAL, "path is NULL");
    PA_CHECK_AS(ctx, fn, object && object[0], PA_EINVAL,
                "object is NULL or empty (\"/\" for the file)");
    PA_CHECK_AS(ctx, fn, name && name[0], PA_EINVAL, "name is NULL or empty");
    return PA_OK;
}

/* Collective. Opens path and object; *f and *o are valid on every rank on
 * success, and closed on failure. */
static int open_object(pa_ctx *ctx, const char *fn, const char *path, const char *object,
                       unsigned flags, hid_t *f, hid_t *o)
{
    char oname[1024] = "/";
    *o = H5I_INVALID_HID;
    int rc = strcmp(object, "/") == 0 ? PA_OK
                                      : pa__h5_norm_path(ctx, fn, object, oname, sizeof oname);
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    PA_TRY(pa__h5_open(ctx, fn, path, flags, f));
    int found = 1;
    H5O_type_t type;
    if (strcmp(oname, "/") != 0)
        rc = pa__h5_walk(ctx, fn, *f, path, oname, &found, &type);
    if (rc == PA_OK && !found)
        rc = pa__err(ctx, fn, PA_EIO, "%s: no object '%s'", path, oname);
    if (rc == PA_OK && (*o = H5Oopen(*f, oname, H5P_DEFAULT)) < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot open object '%s'", path, oname);
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc < 0) {
        if (*o >= 0)
            H5Oclose(*o);
        H5Fclose(*f);
    }
    return rc;
}

/* A setter's value for the collective check, into buf (PA_CC_ITEM bytes). */
static const char *value_text(attr_kind kind, const void *value, char *buf)
{
    if (kind == ATTR_STR)
        snprintf(buf, PA_CC_ITEM, "'%s'", PA_CC_STR(*(const char *const *)value));
    else if (kind == ATTR_NUM)
        snprintf(buf, PA_CC_ITEM, "%.17g", *(const double *)value);
    else
        snprintf(buf, PA_CC_ITEM, "%" PRId64, *(const int64_t *)value);
    return buf;
}

/* Collective. The three setters: open, replace the attribute, close. */
static int attr_set(pa_ctx *ctx, const char *fn, const char *path, const char *object,
                    const char *name, attr_kind kind, const void *value)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', '%s', '%s', %s", PA_CC_STR(path), PA_CC_STR(object),
                  PA_CC_STR(name), value_text(kind, value, (char[PA_CC_ITEM]){""}));
    pa__h5_quiet();
    int rc = check_args(ctx, fn, path, object, name);
    if (rc == PA_OK && kind == ATTR_STR && !*(const char *const *)value)
        rc = pa__err(ctx, fn, PA_EINVAL, "value is NULL");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    hid_t f, o;
    PA_TRY(open_object(ctx, fn, path, object, H5F_ACC_RDWR, &f, &o));
    int st;
    if (kind == ATTR_STR)
        st = pa__h5_attr_put_str(o, name, *(const char *const *)value);
    else if (kind == ATTR_NUM)
        st = pa__h5_attr_put(o, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, value);
    else
        st = pa__h5_attr_put(o, name, H5T_STD_I64LE, H5T_NATIVE_INT64, value);
    if (st < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot write attribute '%s'", path, object,
                        name);
    if (H5Oclose(o) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close '%s'", path, object);
    if (H5Fclose(f) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close it", path);
    return pa__agree(ctx, ctx->comm, rc);
}

int pa_h5_attr_set_str(pa_ctx *ctx, const char *path, const char *object, const char *name,
                       const char *value)
{
    return attr_set(ctx, __func__, path, object, name, ATTR_STR, &value);
}

int pa_h5_attr_set_num(pa_ctx *ctx, const char *path, const char *object, const char *name,
                       double value)
{
    return attr_set(ctx, __func__, path, object, name, ATTR_NUM, &value);
}

int pa_h5_attr_set_int(pa_ctx *ctx, const char *path, const char *object, const char *name,
                       int64_t value)
{
    return attr_set(ctx, __func__, path, object, name, ATTR_INT, &value);
}

/* Reads one attribute on this rank (the metadata reads are collective, so
 * every rank gets the same bytes). *str is a new string for ATTR_STR. */
static int read_attr(pa_ctx *ctx, const char *fn, const char *path, const char *object,
                     const char *name, hid_t o, attr_kind kind, void *out)
{
    htri_t e = H5Aexists(o, name);
    if (e < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot look up attribute '%s'", path, object,
                          name);
    PA_CHECK_AS(ctx, fn, e > 0, PA_EIO, "%s: %s: no attribute '%s'", path, object, name);
    hid_t at = H5Aopen(o, name, H5P_DEFAULT);
    if (at < 0)
        return pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot open attribute '%s'", path, object,
                          name);
    hid_t type = H5Aget_type(at), space = H5Aget_space(at), mtype = H5I_INVALID_HID;
    int rc = PA_OK;
    if (type < 0 || space < 0)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot read attribute '%s'", path, object,
                        name);
    H5T_class_t cls = rc == PA_OK ? H5Tget_class(type) : H5T_NO_CLASS;
    hssize_t npoints = rc == PA_OK ? H5Sget_simple_extent_npoints(space) : 0;
    if (rc == PA_OK && npoints != 1)
        rc = pa__err(ctx, fn, PA_EFORMAT, "%s: %s: attribute '%s' holds %lld values, not one",
                     path, object, name, (long long)npoints);
    int want = kind == ATTR_STR   ? cls == H5T_STRING
               : kind == ATTR_NUM ? cls == H5T_INTEGER || cls == H5T_FLOAT
                                  : cls == H5T_INTEGER;
    if (rc == PA_OK && !want)
        rc = pa__err(ctx, fn, PA_EFORMAT, "%s: %s: attribute '%s' is not %s", path, object, name,
                     kind == ATTR_STR   ? "a string"
                     : kind == ATTR_NUM ? "a number"
                                        : "an integer");
    if (rc == PA_OK && kind == ATTR_STR) {
        htri_t vl = H5Tis_variable_str(type);
        size_t size = H5Tget_size(type);
        char *s = NULL;
        mtype = H5Tcopy(H5T_C_S1);
        if (vl > 0) {
            char *v = NULL;
            if (mtype < 0 || H5Tset_size(mtype, H5T_VARIABLE) < 0 ||
                H5Tset_cset(mtype, H5Tget_cset(type)) < 0 || H5Aread(at, mtype, &v) < 0)
                rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot read attribute '%s'", path,
                                object, name);
            else if (!(s = strdup(v ? v : "")))
                rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
            if (v)
                H5free_memory(v);
        } else if (!(s = calloc(1, size + 1))) {
            rc = pa__err(ctx, fn, PA_ENOMEM, "out of memory");
        } else if (mtype < 0 || H5Tset_size(mtype, size) < 0 ||
                   H5Tset_cset(mtype, H5Tget_cset(type)) < 0 || H5Aread(at, mtype, s) < 0) {
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot read attribute '%s'", path, object,
                            name);
        }
        if (rc == PA_OK)
            *(char **)out = s;
        else
            free(s);
    } else if (rc == PA_OK) {
        /* HDF5 converts any integer or float to the native type; an
         * out-of-range value (an unsigned beyond int64) is an error, not a
         * wrapped number. */
        mtype = kind == ATTR_NUM ? H5Tcopy(H5T_NATIVE_DOUBLE) : H5Tcopy(H5T_NATIVE_INT64);
        unsigned char buf[16];
        if (kind == ATTR_INT && H5Tget_sign(type) == H5T_SGN_NONE && H5Tget_size(type) >= 8) {
            uint64_t u;
            if (H5Aread(at, H5T_NATIVE_UINT64, &u) < 0)
                rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot read '%s'", path, object, name);
            else if (u > (uint64_t)INT64_MAX)
                rc = pa__err(ctx, fn, PA_EFORMAT,
                             "%s: %s: attribute '%s' = %llu does not fit int64", path, object,
                             name, (unsigned long long)u);
            else {
                int64_t v = (int64_t)u;
                memcpy(buf, &v, sizeof v);
            }
        } else if (mtype < 0 || H5Aread(at, mtype, buf) < 0) {
            rc = pa__h5_err(ctx, fn, PA_EIO, "%s: %s: cannot read '%s'", path, object, name);
        }
        if (rc == PA_OK)
            memcpy(out, buf, kind == ATTR_NUM ? sizeof(double) : sizeof(int64_t));
    }
    if (mtype >= 0)
        H5Tclose(mtype);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    H5Aclose(at);
    return rc;
}

static int attr_get(pa_ctx *ctx, const char *fn, const char *path, const char *object,
                    const char *name, attr_kind kind, void *out)
{
    PA_CHECK(NULL, ctx, PA_EINVAL, "ctx is NULL");
    PA_COLLECTIVE(ctx, fn, "'%s', '%s', '%s'", PA_CC_STR(path), PA_CC_STR(object),
                  PA_CC_STR(name));
    pa__h5_quiet();
    int rc = check_args(ctx, fn, path, object, name);
    if (rc == PA_OK && !out)
        rc = pa__err(ctx, fn, PA_EINVAL, "value is NULL");
    PA_TRY(pa__agree(ctx, ctx->comm, rc));
    hid_t f, o;
    PA_TRY(open_object(ctx, fn, path, object, H5F_ACC_RDONLY, &f, &o));
    char *s = NULL;
    unsigned char val[8];
    rc = read_attr(ctx, fn, path, object, name, o, kind, kind == ATTR_STR ? (void *)&s : val);
    H5Oclose(o);
    if (H5Fclose(f) < 0 && rc == PA_OK)
        rc = pa__h5_err(ctx, fn, PA_EIO, "%s: cannot close it", path);
    rc = pa__agree(ctx, ctx->comm, rc);
    if (rc < 0) {
        free(s);
        return rc;
    }
    if (kind == ATTR_STR)
        *(char **)out = s;
    else
        memcpy(out, val, 8);
    return PA_OK;
}

int pa_h5_attr_get_str(pa_ctx *ctx, const char *path, const char *object, const char *name,
                       char **value)
{
    return attr_get(ctx, __func__, path, object, name, ATTR_STR, value);
}

int pa_h5_attr_get_num(pa_ctx *ctx, const char *path, const char *object, const char *name,
                       double *value)
{
    return attr_get(ctx, __func__, path, object, name, ATTR_NUM, value);
}

int pa_h5_attr_get_int(pa_ctx *ctx, const char *path, const char *object, const char *name,
                       int64_t *value)
{
    return attr_get(ctx, __func__, path, object, name, ATTR_INT, value);
}
