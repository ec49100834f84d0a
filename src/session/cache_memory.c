/* cache_memory.c - the default session cache: in-process, LRU, thread-safe;
 * with 0-RTT anti-replay records (claim) kept apart from the sessions, in a
 * table and bound of their own (a quarter of the session capacity): a live
 * record is never evicted, a session never waits for one (RFC 8446 8). */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "../internal.h"
#include "../util/siphash.h"

#define MC_VAL 512

typedef struct mc_entry {
    struct mc_entry *prev, *next; /* LRU list, most recent first */
    struct mc_entry *hnext;       /* hash chain */
    uint8_t id[32];
    size_t idlen;
    uint8_t val[MC_VAL];
    size_t vlen;
    time_t expires;
} mc_entry;

/* A 0-RTT anti-replay record: a namespace, a table and a list of its own, in
 * the order made (oldest first out when expired). */
typedef struct mc_rec {
    struct mc_rec *next, *hnext;
    uint8_t key[32];
    size_t klen;
    time_t expires;
} mc_rec;

typedef struct {
    parley_session_cache base;
    pthread_mutex_t lock;
    mc_entry **table;
    size_t nbuckets, count, capacity;
    mc_entry *head, *tail;
    uint8_t hkey[16];          /* random: ids and claim keys come from peers (SipHash) */
    mc_rec **ctable;           /* nbuckets chains */
    mc_rec *chead, *ctail;     /* oldest first */
    size_t ccount, ccapacity;
} mc_cache;

/* Keyed: a peer that can choose ids or claim keys (a ticket holder grinding
 * binders) must not be able to put them all in one chain, scanned under the
 * cache's lock. */
static size_t mc_hash(const mc_cache *m, const uint8_t *id, size_t n)
{
    return (size_t)(pl_siphash24(m->hkey, id, n) % m->nbuckets);
}

static void mc_unlink(mc_cache *m, mc_entry *e)
{
    if (e->prev) e->prev->next = e->next;
    else m->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else m->tail = e->prev;
    e->prev = e->next = NULL;
}

static void mc_push_front(mc_cache *m, mc_entry *e)
{
    e->next = m->head;
    e->prev = NULL;
    if (m->head) m->head->prev = e;
    m->head = e;
    if (!m->tail) m->tail = e;
}

static mc_entry **mc_slot(mc_cache *m, const uint8_t *id, size_t n)
{
    mc_entry **pp = &m->table[mc_hash(m, id, n)];
    while (*pp && !((*pp)->idlen == n && memcmp((*pp)->id, id, n) == 0)) pp = &(*pp)->hnext;
    return pp;
}

static mc_rec **mc_cslot(mc_cache *m, const uint8_t *k, size_t n)
{
    mc_rec **pp = &m->ctable[mc_hash(m, k, n)];
    while (*pp && !((*pp)->klen == n && memcmp((*pp)->key, k, n) == 0)) pp = &(*pp)->hnext;
    return pp;
}

static void mc_delete(mc_cache *m, mc_entry **slot)
{
    mc_entry *e = *slot;
    *slot = e->hnext;
    mc_unlink(m, e);
    pl_cleanse(e, sizeof *e);
    pl_free(e);
    m->count--;
}

/* Full: evict the least recently used session (the list holds sessions
 * only: anti-replay records live apart). */
static int mc_make_room(mc_cache *m)
{
    if (!m->tail) return 0;
    mc_delete(m, mc_slot(m, m->tail->id, m->tail->idlen));
    return 1;
}

/* Drop the oldest anti-replay records while they have expired. Records are
 * dropped in the order made: one made with a longer lifetime holds back the
 * younger ones behind it until it expires (fail closed, never a replay). */
static void mc_claims_expire(mc_cache *m, time_t now)
{
    while (m->chead && m->chead->expires <= now) {
        mc_rec *e = m->chead, **slot = mc_cslot(m, e->key, e->klen);
        if (*slot == e) *slot = e->hnext;
        m->chead = e->next;
        if (!m->chead) m->ctail = NULL;
        pl_cleanse(e, sizeof *e);
        pl_free(e);
        m->ccount--;
    }
}

static int mc_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t lifetime)
{
    mc_cache *m = (mc_cache *)self;
    if (idlen == 0 || idlen > 32 || vlen > MC_VAL) return PARLEY_ERROR;
    pthread_mutex_lock(&m->lock);
    mc_entry **slot = mc_slot(m, id, idlen);
    if (*slot) mc_delete(m, slot);
    if (m->count >= m->capacity && !mc_make_room(m)) {
        pthread_mutex_unlock(&m->lock);
        return PARLEY_ERROR;
    }
    mc_entry *e = pl_calloc(1, sizeof *e);
    if (!e) {
        pthread_mutex_unlock(&m->lock);
        return PARLEY_ERROR;
    }
    memcpy(e->id, id, idlen);
    e->idlen = idlen;
    memcpy(e->val, val, vlen);
    e->vlen = vlen;
    e->expires = time(NULL) + (time_t)lifetime;
    slot = mc_slot(m, id, idlen);
    e->hnext = *slot;
    *slot = e;
    mc_push_front(m, e);
    m->count++;
    pthread_mutex_unlock(&m->lock);
    return PARLEY_OK;
}

static int mc_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    mc_cache *m = (mc_cache *)self;
    int rc = PARLEY_ERROR;
    if (idlen == 0 || idlen > 32) return rc;
    pthread_mutex_lock(&m->lock);
    mc_entry **slot = mc_slot(m, id, idlen);
    if (*slot && (*slot)->expires <= time(NULL)) mc_delete(m, slot); /* expired */
    else if (*slot && (*slot)->vlen <= cap) {
        memcpy(val, (*slot)->val, (*slot)->vlen);
        *vlen = (*slot)->vlen;
        mc_unlink(m, *slot);
        mc_push_front(m, *slot);
        rc = PARLEY_OK;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static void mc_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    mc_cache *m = (mc_cache *)self;
    if (idlen == 0 || idlen > 32) return;
    pthread_mutex_lock(&m->lock);
    mc_entry **slot = mc_slot(m, id, idlen);
    if (*slot) mc_delete(m, slot);
    pthread_mutex_unlock(&m->lock);
}

/* 0-RTT anti-replay: 1 recorded now, 0 already recorded and live, -1 the
 * records' area is full of live ones (fail closed; sessions unaffected). */
static int mc_claim(parley_session_cache *self, const uint8_t *key, size_t klen, uint32_t lifetime)
{
    mc_cache *m = (mc_cache *)self;
    int rc = -1;
    if (klen == 0 || klen > 32) return -1;
    time_t now = time(NULL);
    pthread_mutex_lock(&m->lock);
    mc_claims_expire(m, now);
    mc_rec **slot = mc_cslot(m, key, klen);
    if (*slot && (*slot)->expires > now) {
        rc = 0;
    } else if (*slot) {
        (*slot)->expires = now + (time_t)lifetime; /* expired, held back behind an older one: live again */
        rc = 1;
    } else if (m->ccount < m->ccapacity) {
        mc_rec *e = pl_calloc(1, sizeof *e);
        if (e) {
            memcpy(e->key, key, klen);
            e->klen = klen;
            e->expires = now + (time_t)lifetime;
            e->hnext = *slot;
            *slot = e;
            if (m->ctail) m->ctail->next = e;
            else m->chead = e;
            m->ctail = e;
            m->ccount++;
            rc = 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

parley_session_cache *parley_session_cache_memory_new(size_t capacity)
{
    mc_cache *m = pl_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->capacity = capacity ? capacity : 20480;
    m->nbuckets = m->capacity;
    /* Anti-replay records: a quarter as many as sessions (each is a tenth
     * of a session's size), at least 16. */
    m->ccapacity = m->capacity / 4 > 16 ? m->capacity / 4 : 16;
    m->table = pl_calloc(m->nbuckets, sizeof *m->table);
    m->ctable = pl_calloc(m->nbuckets, sizeof *m->ctable);
    if (!m->table || !m->ctable || pl_random(m->hkey, sizeof m->hkey) < 0) {
        pl_free(m->table);
        pl_free(m->ctable);
        pl_free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->base.store = mc_store;
    m->base.fetch = mc_fetch;
    m->base.remove = mc_remove;
    m->base.claim = mc_claim;
    return &m->base;
}

void parley_session_cache_memory_free(parley_session_cache *c)
{
    mc_cache *m = (mc_cache *)c;
    if (!m) return;
    while (m->head) mc_delete(m, mc_slot(m, m->head->id, m->head->idlen));
    mc_claims_expire(m, (time_t)INT64_MAX); /* all of them */
    pthread_mutex_destroy(&m->lock);
    pl_free(m->table);
    pl_free(m->ctable);
    pl_free(m);
}
