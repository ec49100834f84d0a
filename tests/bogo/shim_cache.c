/*
 * shim_cache.c - the server's session cache, watched: a wrapper over
 * Parley's in-process cache that counts what the library stores, so the
 * shim can check -expect-session-id (a TLS 1.2 session was cached under a
 * session id) and -expect-no-session-id (nothing was: tickets carried it).
 */
#include <stdlib.h>

#include "shim.h"

typedef struct {
    parley_session_cache base; /* first: the library hands this pointer back */
    parley_session_cache *inner;
    int stores;
} shim_cache;

static int c_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen,
                   uint32_t lifetime)
{
    shim_cache *c = (shim_cache *)self;
    c->stores++;
    return c->inner->store(c->inner, id, idlen, val, vlen, lifetime);
}

static int c_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap,
                   size_t *vlen)
{
    shim_cache *c = (shim_cache *)self;
    return c->inner->fetch(c->inner, id, idlen, val, cap, vlen);
}

static void c_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    shim_cache *c = (shim_cache *)self;
    c->inner->remove(c->inner, id, idlen);
}

static int c_claim(parley_session_cache *self, const uint8_t *key, size_t klen, uint32_t lifetime)
{
    shim_cache *c = (shim_cache *)self;
    return c->inner->claim(c->inner, key, klen, lifetime);
}

parley_session_cache *shim_cache_new(void)
{
    shim_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->inner = parley_session_cache_memory_new(64);
    if (!c->inner) {
        free(c);
        return NULL;
    }
    c->base.store = c_store;
    c->base.fetch = c_fetch;
    c->base.remove = c_remove;
    c->base.claim = c->inner->claim ? c_claim : NULL;
    return &c->base;
}

int shim_cache_take_stores(parley_session_cache *self)
{
    shim_cache *c = (shim_cache *)self;
    int n = c->stores;
    c->stores = 0;
    return n;
}

void shim_cache_free(parley_session_cache *self)
{
    shim_cache *c = (shim_cache *)self;
    if (!c) return;
    parley_session_cache_memory_free(c->inner);
    free(c);
}
