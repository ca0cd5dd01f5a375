/* pa_value, the exact result of a reduction in numpy's result type: its
 * value as a double and as text that reads back to the same value. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compute.h"

void pa__value_of(pa_value *v, pa_dtype d, const void *elem)
{
    memset(v, 0, sizeof *v);
    v->dtype = d;
    switch (pa__dtypes[d].kind) {
    case PA__KIND_BOOL:
    case PA__KIND_UINT:
        v->kind = pa__dtypes[d].kind == PA__KIND_BOOL ? 'b' : 'u';
        pa__dtypes[d].to_i64(&v->v.i, elem, 1); /* the low 64 bits: a u64 exactly */
        break;
    case PA__KIND_SINT:
        v->kind = 'i';
        pa__dtypes[d].to_i64(&v->v.i, elem, 1);
        break;
    case PA__KIND_FLOAT:
        v->kind = 'f';
        pa__dtypes[d].to_f64(&v->v.f, elem, 1);
        break;
    case PA__KIND_COMPLEX: {
        /* Two floats of half the size, as numpy lays a complex out. */
        v->kind = 'c';
        if (pa__dtypes[d].size == 2 * sizeof(float)) {
            float parts[2];
            memcpy(parts, elem, sizeof parts);
            v->v.c[0] = parts[0];
            v->v.c[1] = parts[1];
        } else {
            memcpy(v->v.c, elem, sizeof v->v.c);
        }
        break;
    }
    }
}

double pa_value_double(const pa_value *v)
{
    switch (v->kind) {
    case 'i': return (double)v->v.i;
    case 'u':
    case 'b': return (double)v->v.u;
    case 'f': return v->v.f;
    case 'c': return v->v.c[0];
    default: return NAN;
    }
}

/* The printf digits that read a float of size bytes back exactly: IEEE
 * half, single, double. */
static int float_digits(size_t size)
{
    return size <= 2 ? 5 : size <= 4 ? 9 : 17;
}

const char *pa_value_str(const pa_value *v, char *buf, size_t cap)
{
    int dig = float_digits(pa_dtype_size(v->dtype) / (v->kind == 'c' ? 2 : 1));
    switch (v->kind) {
    case 'i': snprintf(buf, cap, "%lld", (long long)v->v.i); break;
    case 'u': snprintf(buf, cap, "%llu", (unsigned long long)v->v.u); break;
    case 'b': snprintf(buf, cap, "%s", v->v.u ? "True" : "False"); break;
    case 'f': snprintf(buf, cap, "%.*g", dig, v->v.f); break;
    case 'c': /* Python's and numpy's: a real part of +0 is left out */
        if (v->v.c[0] == 0 && !signbit(v->v.c[0]))
            snprintf(buf, cap, "%.*gj", dig, v->v.c[1]);
        else
            snprintf(buf, cap, "(%.*g%+.*gj)", dig, v->v.c[0], dig, v->v.c[1]);
        break;
    default: snprintf(buf, cap, "?"); break;
    }
    return buf;
}
