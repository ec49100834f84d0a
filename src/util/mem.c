/* mem.c - allocation wrappers, wiping, constant-time compare. */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

void *pl_malloc(size_t n) { return malloc(n ? n : 1); }
void *pl_calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void pl_free(void *p) { free(p); }

void pl_cleanse(void *p, size_t n)
{
    /* A volatile function pointer keeps the compiler from dropping the wipe. */
    static void *(*const volatile memset_v)(void *, int, size_t) = memset;
    if (p && n) memset_v(p, 0, n);
}

int pl_ct_memcmp(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++) acc |= (unsigned char)(x[i] ^ y[i]);
    return acc != 0;
}

char *pl_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pl_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
