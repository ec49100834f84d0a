/*
 * mem.h - allocation and wiping. All library allocations go through
 * pl_malloc/pl_free so a counting hook (benchmarks: bytes per connection) can
 * be installed in one place. pl_cleanse wipes secrets (cannot be optimised out).
 */
#ifndef PL_MEM_H
#define PL_MEM_H

#include <stddef.h>

void *pl_malloc(size_t n);
void *pl_calloc(size_t n, size_t size);
void pl_free(void *p);
void pl_cleanse(void *p, size_t n);
/* Constant-time comparison: 0 when equal. */
int pl_ct_memcmp(const void *a, const void *b, size_t n);
char *pl_strdup(const char *s);

#endif
