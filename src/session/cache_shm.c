/*
 * cache_shm.c - a session cache shared by the forked workers of one server
 * (like nginx's ssl_session_cache shared:). One anonymous shared mapping made
 * before fork(): a header with a process-shared robust mutex, then fixed-size
 * slots. Lookups scan the slots (a segment of a megabyte holds under two
 * thousand, so a scan costs microseconds) and a full cache evicts the least
 * recently used slot. 0-RTT anti-replay records live apart, in an area of
 * their own (an eighth of the segment, small slots): a live one is never
 * evicted, and sessions never wait for them. A worker killed while holding the lock leaves it
 * EOWNERDEAD: the next locker makes it consistent and drops any slot that was
 * half-written (each write is bracketed by a `writing` mark).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../internal.h"

#define SHM_VAL 512

typedef struct {
    uint8_t used, writing, idlen;
    uint8_t id[32];
    uint16_t vlen;
    uint8_t val[SHM_VAL];
    int64_t expires;
    uint64_t last_used;
} shm_slot;

/* A 0-RTT anti-replay record (RFC 8446 8). */
typedef struct {
    uint8_t used, writing, klen;
    uint8_t key[32];
    int64_t expires;
} shm_rec;

typedef struct {
    pthread_mutex_t lock;
    uint64_t tick;
    size_t nslots, nclaims; /* the claims follow the slots */
    shm_slot slots[];
} shm_seg;

static shm_rec *shm_claims(shm_seg *s) { return (shm_rec *)(void *)(s->slots + s->nslots); }

typedef struct {
    parley_session_cache base;
    shm_seg *seg;
    size_t bytes;
} shm_cache;

static void shm_lock(shm_seg *s)
{
    if (pthread_mutex_lock(&s->lock) == EOWNERDEAD) {
        /* The previous holder died mid-operation: repair and carry on. */
        for (size_t i = 0; i < s->nslots; i++)
            if (s->slots[i].writing) memset(&s->slots[i], 0, sizeof s->slots[i]);
        for (size_t i = 0; i < s->nclaims; i++)
            if (shm_claims(s)[i].writing) memset(&shm_claims(s)[i], 0, sizeof(shm_rec));
        pthread_mutex_consistent(&s->lock);
    }
}

static shm_slot *shm_find(shm_seg *s, const uint8_t *id, size_t n)
{
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].used && s->slots[i].idlen == n && memcmp(s->slots[i].id, id, n) == 0) return &s->slots[i];
    return NULL;
}

/* A slot to write: free or expired, else the least recently used. */
static shm_slot *shm_room(shm_seg *s, time_t now)
{
    shm_slot *lru = NULL;
    for (size_t i = 0; i < s->nslots; i++) {
        shm_slot *c = &s->slots[i];
        if (!c->used || c->expires <= now) return c;
        if (!lru || c->last_used < lru->last_used) lru = c;
    }
    return lru;
}

/* The `writing` mark must reach memory before the record's fields change
 * and be cleared only after they all have: a worker killed in between
 * leaves the mark, and the next locker (EOWNERDEAD) drops the record. The
 * fences keep the compiler (and CPU) from moving the field stores across
 * the mark's stores. */
static void shm_begin_write(uint8_t *writing)
{
    *writing = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void shm_end_write(uint8_t *writing)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *writing = 0;
}

static int shm_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t lifetime)
{
    shm_seg *s = ((shm_cache *)self)->seg;
    if (idlen == 0 || idlen > 32 || vlen > SHM_VAL) return PARLEY_ERROR;
    time_t now = time(NULL);
    shm_lock(s);
    shm_slot *slot = shm_find(s, id, idlen);
    if (!slot) slot = shm_room(s, now); /* full: evict the least recently used */
    if (!slot) {
        pthread_mutex_unlock(&s->lock);
        return PARLEY_ERROR;
    }
    shm_begin_write(&slot->writing);
    slot->used = 1;
    slot->idlen = (uint8_t)idlen;
    memcpy(slot->id, id, idlen);
    memcpy(slot->val, val, vlen);
    slot->vlen = (uint16_t)vlen;
    slot->expires = now + (time_t)lifetime;
    slot->last_used = ++s->tick;
    shm_end_write(&slot->writing);
    pthread_mutex_unlock(&s->lock);
    return PARLEY_OK;
}

static int shm_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    shm_seg *s = ((shm_cache *)self)->seg;
    int rc = PARLEY_ERROR;
    if (idlen == 0 || idlen > 32) return rc;
    shm_lock(s);
    shm_slot *slot = shm_find(s, id, idlen);
    if (slot && slot->expires <= time(NULL)) {
        memset(slot, 0, sizeof *slot);
    } else if (slot && slot->vlen <= cap) {
        memcpy(val, slot->val, slot->vlen);
        *vlen = slot->vlen;
        slot->last_used = ++s->tick;
        rc = PARLEY_OK;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void shm_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    shm_seg *s = ((shm_cache *)self)->seg;
    if (idlen == 0 || idlen > 32) return;
    shm_lock(s);
    shm_slot *slot = shm_find(s, id, idlen);
    if (slot) {
        shm_begin_write(&slot->writing);
        memset(slot, 0, sizeof *slot);
    }
    pthread_mutex_unlock(&s->lock);
}

/* 0-RTT anti-replay for all workers: 1 recorded now, 0 already recorded
 * and live (a replay, maybe on another worker), -1 every record slot holds
 * a live record (fail closed; sessions are unaffected). */
static int shm_claim(parley_session_cache *self, const uint8_t *key, size_t klen, uint32_t lifetime)
{
    shm_seg *s = ((shm_cache *)self)->seg;
    if (klen == 0 || klen > 32) return -1;
    time_t now = time(NULL);
    shm_lock(s);
    shm_rec *cl = shm_claims(s), *free_slot = NULL;
    int rc = -1;
    for (size_t i = 0; i < s->nclaims; i++) {
        if (cl[i].used && cl[i].klen == klen && memcmp(cl[i].key, key, klen) == 0) {
            if (cl[i].expires > now) rc = 0; /* a replay */
            else free_slot = &cl[i];         /* expired: the same key anew */
            break;
        }
        if (!free_slot && (!cl[i].used || cl[i].expires <= now)) free_slot = &cl[i];
    }
    if (rc != 0 && free_slot) {
        shm_begin_write(&free_slot->writing);
        free_slot->used = 1;
        free_slot->klen = (uint8_t)klen;
        memcpy(free_slot->key, key, klen);
        free_slot->expires = now + (time_t)lifetime;
        shm_end_write(&free_slot->writing);
        rc = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

parley_session_cache *parley_session_cache_shm_new(size_t bytes)
{
    if (bytes < sizeof(shm_seg) + 16 * sizeof(shm_slot) + 16 * sizeof(shm_rec)) return NULL;
    shm_cache *c = pl_calloc(1, sizeof *c);
    if (!c) return NULL;
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        pl_free(c);
        return NULL;
    }
    shm_seg *s = m;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&s->lock, &a);
    pthread_mutexattr_destroy(&a);
    /* An eighth of the space for anti-replay records, at least 16; the rest
     * for sessions. */
    size_t body = bytes - sizeof(shm_seg);
    s->nclaims = body / 8 / sizeof(shm_rec) > 16 ? body / 8 / sizeof(shm_rec) : 16;
    s->nslots = (body - s->nclaims * sizeof(shm_rec)) / sizeof(shm_slot);
    c->seg = s;
    c->bytes = bytes;
    c->base.store = shm_store;
    c->base.fetch = shm_fetch;
    c->base.remove = shm_remove;
    c->base.claim = shm_claim;
    return &c->base;
}

void parley_session_cache_shm_free(parley_session_cache *cache)
{
    shm_cache *c = (shm_cache *)cache;
    if (!c) return;
    pl_cleanse(c->seg->slots, c->seg->nslots * sizeof(shm_slot) + c->seg->nclaims * sizeof(shm_rec));
    munmap(c->seg, c->bytes);
    pl_free(c);
}

/* Test hook: take the lock and keep it (a test then dies holding it). */
void pl_shm_test_hold_lock(parley_session_cache *cache);
void pl_shm_test_hold_lock(parley_session_cache *cache)
{
    shm_seg *s = ((shm_cache *)cache)->seg;
    shm_lock(s);
    s->slots[0].writing = 1; /* as if killed in the middle of a write */
}
