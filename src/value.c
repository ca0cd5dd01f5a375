/* pa_value, the exact result of a reduction in numpy's result type: its
 * value as a double and as text that reads back to the same value. */
#include <math.h>
#include <stdio.h>

#include "parray/compute.h"

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
    case 'c': snprintf(buf, cap, "(%.*g%+.*gj)", dig, v->v.c[0], dig, v->v.c[1]); break;
    default: snprintf(buf, cap, "?"); break;
    }
    return buf;
}
