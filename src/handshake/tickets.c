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

int pl_cache_lookup(parley_conn *c, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    parley_session_cache *cache = c->cfg->cache;
    pl_hs *hs = c->hs;
    if (!cache || !idlen || idlen > sizeof hs->lookup_id) return 0;
    if (!cache->fetch_start) return cache->fetch(cache, id, idlen, val, cap, vlen) == PARLEY_OK;
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
    if (rc == 0) {
        /* The ring is shared by every connection of the config (and replaced on reload). */
        pthread_mutex_lock(&cfg->lock);
        rc = pl_ticket_ring_rotate(&cfg->tickets, time(NULL), cfg->ticket_rotation);
        if (rc == 0) rc = pl_ticket_seal(&cfg->tickets, plain.data, plain.len, out);
        pthread_mutex_unlock(&cfg->lock);
    }
    pl_cleanse(plain.data, plain.len);
    pl_buf_free(&plain);
    return rc;
}

int pl_ticket_open_session(parley_config *cfg, const uint8_t *t, size_t len, pl_session *ss)
{
    pl_buf plain = {0};
    pthread_mutex_lock(&cfg->lock);
    /* A derived ring idle since an earlier period catches up before opening
     * (a ticket sealed elsewhere in this period must open here). */
    int rc = pl_ticket_ring_rotate(&cfg->tickets, time(NULL), cfg->ticket_rotation);
    if (rc == 0) rc = pl_ticket_open(&cfg->tickets, t, len, &plain);
    pthread_mutex_unlock(&cfg->lock);
    /* A ticket that does not open (unknown or retired key, tampered) or does
     * not decode means a full handshake, never an error. */
    int ok = rc == 0 && pl_session_decode(plain.data, plain.len, ss) == 0;
    pl_cleanse(plain.data, plain.len);
    pl_buf_free(&plain);
    return ok;
}
