/* mem.c - allocation wrappers, wiping, constant-time compare. */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include "../../include/parley/parley.h"

/* The allocator: the C library's unless parley_set_allocator() replaced it
 * (before any other call), e.g. to count bytes per connection. */
static void *(*pl_malloc_fn)(size_t) = malloc;
static void (*pl_free_fn)(void *) = free;

int parley_set_allocator(void *(*malloc_fn)(size_t), void (*free_fn)(void *))
{
    if (!malloc_fn || !free_fn) return PARLEY_ERROR;
    pl_malloc_fn = malloc_fn;
    pl_free_fn = free_fn;
    return PARLEY_OK;
}

void *pl_malloc(size_t n) { return pl_malloc_fn(n ? n : 1); }

void *pl_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size) return NULL;
    size_t t = n * size;
    if (t == 0) t = 1;
    void *p = pl_malloc_fn(t);
    if (p) memset(p, 0, t);
    return p;
}

void pl_free(void *p)
{
    if (p) pl_free_fn(p);
}

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
