/*
 * tickets.c - a session in and out of a ticket, for both versions: sealed
 * under the config's ring (RFC 5077 4's shape, see session/ticket.h), or,
 * for TLS 1.3 when sealed tickets are off but a cache is set, a random
 * cache key (a "stateful" ticket, RFC 8446 4.6.1 leaves the contents to the
 * server; the cache makes it single-use).
 */
#include <string.h>
#include <time.h>

#include "../internal.h"

/* The raw value under id: 1 found (in val), 0 not, PL_HS_WAIT_SESSION while
 * an asynchronous cache is asked. */
static int pl_cache_lookup(parley_conn *c, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    parley_session_cache *cache = c->cfg->cache;
    pl_hs *hs = c->hs;
    if (!cache || !idlen || idlen > sizeof hs->lookup_id) return 0;
    if (!cache->fetch_start) {
        /* The length is the cache's word: never trusted past our buffer. */
        *vlen = 0;
        return cache->fetch(cache, id, idlen, val, cap, vlen) == PARLEY_OK && *vlen > 0 && *vlen <= cap;
    }
    /* The handler that asked runs again once the answer is in (the message
     * stays queued): hand it the answer if it is for the same id. */
    if (hs->lookup_state == PL_LOOKUP_ANSWERED && hs->lookup_id_len == idlen && memcmp(hs->lookup_id, id, idlen) == 0) {
        hs->lookup_state = PL_LOOKUP_IDLE;
        hs->lookups_done++;
        int found = hs->lookup_val.len > 0 && hs->lookup_val.len <= cap;
        if (found) {
            memcpy(val, hs->lookup_val.data, hs->lookup_val.len);
            *vlen = hs->lookup_val.len;
        }
        pl_buf_free(&hs->lookup_val);
        return found;
    }
    /* Still waiting for the answer: the handshake was driven again early. */
    if (hs->lookup_state == PL_LOOKUP_PENDING) return PL_HS_WAIT_SESSION;
    /* One round trip per ClientHello: a second PSK identity is not looked up
     * (the handler restarts from the first after each answer). */
    if (hs->lookups_done) return 0;
    memcpy(hs->lookup_id, id, idlen);
    hs->lookup_id_len = idlen;
    hs->lookup_state = PL_LOOKUP_PENDING;
    if (cache->fetch_start(cache, c, id, idlen) != PARLEY_OK) {
        hs->lookup_state = PL_LOOKUP_IDLE;
        return 0;
    }
    /* It may have been answered already, from within fetch_start. */
    if (hs->lookup_state == PL_LOOKUP_ANSWERED) return pl_cache_lookup(c, id, idlen, val, cap, vlen);
    return PL_HS_WAIT_SESSION;
}

/* plain sealed as `kind` under the config's ring, after rotating it. The
 * ring is shared by every connection of the config and replaced on reload or
 * rotation, hence the lock; but only the sealing key is copied under it (48
 * bytes, then wiped): the AEAD set-up and sealing run outside, so that
 * handshakes on other threads (and the buffer pool and key log, under the
 * same lock) do not wait for them. A key retired while a copy seals still
 * seals that one value, as if the rotation had come a moment later. */
static int pl_ring_seal(parley_config *cfg, int kind, const uint8_t *id, size_t idlen, const pl_buf *plain, pl_buf *out)
{
    pl_ticket_key k;
    memset(&k, 0, sizeof k);
    pthread_mutex_lock(&cfg->lock);
    int rc = pl_ticket_ring_rotate(&cfg->tickets, time(NULL), cfg->ticket_rotation);
    if (rc == 0 && cfg->tickets.n > 0) k = cfg->tickets.keys[0];
    else if (rc == 0) rc = pl_fail(PL_ERR_INTERNAL, __FILE__, __LINE__, "no ticket key");
    pthread_mutex_unlock(&cfg->lock);
    if (rc == 0) rc = pl_seal_key(&k, kind, id, idlen, plain->data, plain->len, out);
    pl_cleanse(&k, sizeof k);
    return rc;
}

/* The session sealed as `kind` in t[0..len), if it opens and decodes: 1, else
 * 0, never an error of the connection (RFC 5077 3.1-3.2: a ticket the server
 * cannot verify or use means a full handshake; the same for a cache value).
 * As for sealing, the key named by the ticket is copied under the lock and
 * used outside it. */
static int pl_ring_open(parley_config *cfg, int kind, const uint8_t *id, size_t idlen, const uint8_t *t, size_t len, pl_session *ss)
{
    pl_buf plain = {0};
    pl_ticket_key k;
    memset(&k, 0, sizeof k);
    pthread_mutex_lock(&cfg->lock);
    /* A derived ring idle since an earlier period catches up before opening
     * (a ticket sealed elsewhere in this period must open here). */
    int rc = pl_ticket_ring_rotate(&cfg->tickets, time(NULL), cfg->ticket_rotation), i = -1;
    if (rc == 0) i = pl_ticket_ring_find(&cfg->tickets, t, len);
    if (i >= 0) k = cfg->tickets.keys[i];
    pthread_mutex_unlock(&cfg->lock);
    if (i >= 0) rc = pl_open_key(&k, kind, id, idlen, t, len, &plain);
    else rc = -1; /* unknown or retired key */
    pl_cleanse(&k, sizeof k);
    int ok = rc == 0 && pl_session_decode(plain.data, plain.len, ss) == 0;
    if (!ok) pl_clear_error();
    pl_cleanse(plain.data, plain.len);
    pl_buf_free(&plain);
    return ok;
}

/* Cache values are sealed, never the session in the clear: the cache (a
 * Redis shared by hosts, a shared-memory segment, an application's own) is
 * outside what the server trusts. A value that does not open under this
 * id (tampered, moved from another id, sealed under a key this server does not
 * hold, a plaintext session as earlier builds stored) is a miss. Why: RFC
 * 5246 F.1.4, whoever obtains a master secret can impersonate its party
 * until the session is retired (and, in 1.2, decrypt every connection
 * resumed from it); RFC 5077 5.3, state that comes back must be protected
 * against forgery and alteration (there: tickets; here the cache is the same
 * outside store); RFC 8446 4.6.1 lets a ticket be a database key, and the
 * database entry is held to the same rules. */
int pl_cache_fetch_session(parley_conn *c, const uint8_t *id, size_t idlen, pl_session *ss)
{
    uint8_t val[PL_CACHE_VALUE_MAX];
    size_t vlen = 0;
    int rc = pl_cache_lookup(c, id, idlen, val, sizeof val, &vlen);
    if (rc == 1) rc = pl_ring_open(c->cfg, PL_SEAL_CACHE, id, idlen, val, vlen, ss);
    pl_cleanse(val, sizeof val);
    return rc;
}

int pl_cache_store_session(parley_config *cfg, const uint8_t *id, size_t idlen, const pl_session *ss, uint32_t lifetime)
{
    pl_buf plain = {0}, sealed = {0}; /* pl_buf_free wipes them */
    int rc = idlen <= PL_SEAL_MAX_ID ? pl_session_encode(ss, &plain) : 1;
    if (rc == 0) rc = pl_ring_seal(cfg, PL_SEAL_CACHE, id, idlen, &plain, &sealed);
    if (rc == 0 && cfg->cache->store(cfg->cache, id, idlen, sealed.data, sealed.len, lifetime) != PARLEY_OK) rc = 1;
    pl_buf_free(&plain);
    pl_buf_free(&sealed);
    return rc;
}

uint64_t pl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pl_ticket_seal_session(parley_config *cfg, const pl_session *ss, pl_buf *out)
{
    pl_buf plain = {0};
    int rc = pl_session_encode(ss, &plain);
    if (rc == 0) rc = pl_ring_seal(cfg, PL_SEAL_TICKET, NULL, 0, &plain, out);
    pl_buf_free(&plain);
    return rc;
}

int pl_ticket_open_session(parley_config *cfg, const uint8_t *t, size_t len, pl_session *ss)
{
    /* A ticket that does not open (unknown or retired key, tampered) or does
     * not decode means a full handshake, never an error. */
    return pl_ring_open(cfg, PL_SEAL_TICKET, NULL, 0, t, len, ss);
}
