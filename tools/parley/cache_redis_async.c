/*
 * cache_redis_async.c - the Redis session cache for `parley proxy`, on the
 * worker's libuv loop (hiredis async): nothing waits for Redis. Stores and
 * removals are sent and forgotten; a lookup (fetch_start) returns at once and
 * its answer resumes the handshake through the proxy's callback. A lookup
 * without an answer within 200 ms counts as "not found" (a full handshake),
 * and so does every lookup while Redis is unreachable: the outage is logged
 * once, a reconnection is tried about once a second, and "is back" is logged.
 * Same keys and TTLs as cache_redis.c, so both kinds of server share a Redis.
 *
 * The 0-RTT anti-replay claim (SET NX EX, RFC 8446 8) is the one blocking
 * call: the library needs its answer inside the ClientHello's handling, and
 * a claim that cannot answer must refuse the early data (fail closed), so
 * it goes through a blocking connection of cache_redis.c. It runs only for
 * a ClientHello whose early data would otherwise be accepted (parley proxy
 * --early-data), so a loop without --early-data never waits. With it, the
 * time the loop may spend in claims is bounded so that a slow Redis (or one
 * ticket holder sending ClientHellos against one) cannot stall a worker:
 * one claim at a time (the loop is single-threaded), each within one
 * CLAIM_TIMEOUT_MS deadline for all its steps (a stale connection's SET,
 * reconnect, SELECT, CONFIG GET, SET: cache_redis.c starts no step with
 * too little time left; a failed one then answers -1 at once for a
 * second), and claims start only while less than CLAIM_BUDGET_MS was spent
 * in claims this second of the loop, so at most CLAIM_BUDGET_MS +
 * CLAIM_TIMEOUT_MS a second: past it, claims answer -1 at once (no early
 * data; the handshakes go on in 1-RTT) until the next second. docs/proxy.md.
 */
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define LOOKUP_TIMEOUT_MS 200
#define CLAIM_TIMEOUT_MS 50
#define CLAIM_BUDGET_MS 100 /* per second of the loop: at most a tenth of it */

typedef struct {
    parley_session_cache base;
    char host[256];
    int port, db;
    uv_loop_t *loop;
    redisAsyncContext *ac;
    uint64_t retry_at;
    int down_logged, up;
    tool_lookup_done done;
    parley_session_cache *sync; /* blocking connection for claims only */
    uint64_t claim_window;      /* uv_now() at the start of this second */
    uint64_t claim_spent_ns;    /* time spent in claims within it */
    int budget_logged;
} aredis;

/* One lookup: answered once, by Redis or by its timer, freed after both. */
typedef struct {
    aredis *r;
    parley_conn *conn;
    uv_timer_t timer;
    int answered, replied, timer_closed;
} lookup;

static void ar_down(aredis *r, const char *why)
{
    r->ac = NULL;
    r->up = 0;
    r->retry_at = uv_now(r->loop) + 1000;
    tool_redis_log_down(&r->down_logged, r->host, r->port, why);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    aredis *r = ac->data;
    if (status != REDIS_OK) {
        ar_down(r, ac->errstr);
        return;
    }
    r->up = 1;
    tool_redis_log_up(&r->down_logged, r->host, r->port);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    aredis *r = ac->data;
    if (r->ac == ac) ar_down(r, status == REDIS_OK ? "closed" : ac->errstr);
}

/* The connection, made when needed; NULL while Redis is down (until the retry time). */
static redisAsyncContext *ar_get(aredis *r)
{
    if (r->ac) return r->ac;
    if (uv_now(r->loop) < r->retry_at) return NULL;
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        ar_down(r, ac ? ac->errstr : "cannot connect");
        if (ac) redisAsyncFree(ac);
        return NULL;
    }
    ac->data = r;
    redisLibuvAttach(ac, r->loop);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    /* Commands queue until the connection is up. */
    if (r->db) redisAsyncCommand(ac, NULL, NULL, "SELECT %d", r->db);
    return ac;
}

static void lookup_maybe_free(lookup *l)
{
    if (l->replied && l->timer_closed) free(l);
}

static void on_timer_closed(uv_handle_t *h)
{
    lookup *l = h->data;
    l->timer_closed = 1;
    lookup_maybe_free(l);
}

static void lookup_answer(lookup *l, const uint8_t *val, size_t len)
{
    if (l->answered) return;
    l->answered = 1;
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, on_timer_closed);
    l->r->done(l->conn, val, len);
}

static void on_lookup_timeout(uv_timer_t *t) { lookup_answer(t->data, NULL, 0); }

static void on_get(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    lookup *l = priv;
    redisReply *rep = reply; /* NULL when the connection went away */
    if (rep && rep->type == REDIS_REPLY_STRING) lookup_answer(l, (const uint8_t *)rep->str, rep->len);
    else lookup_answer(l, NULL, 0);
    l->replied = 1;
    lookup_maybe_free(l);
}

static int ar_fetch_start(parley_session_cache *self, parley_conn *conn, const uint8_t *id, size_t idlen)
{
    aredis *r = (aredis *)self;
    char key[96];
    if (tool_redis_key(key, id, idlen) < 0) return PARLEY_ERROR;
    redisAsyncContext *ac = ar_get(r);
    if (!ac) return PARLEY_ERROR; /* Redis is down: a full handshake, now */
    lookup *l = calloc(1, sizeof *l);
    if (!l) return PARLEY_ERROR;
    l->r = r;
    l->conn = conn;
    if (redisAsyncCommand(ac, on_get, l, "GET %s", key) != REDIS_OK) {
        free(l);
        return PARLEY_ERROR;
    }
    uv_timer_init(r->loop, &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, on_lookup_timeout, LOOKUP_TIMEOUT_MS, 0);
    return PARLEY_OK;
}

static int ar_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t lifetime)
{
    aredis *r = (aredis *)self;
    char key[96];
    if (tool_redis_key(key, id, idlen) < 0) return PARLEY_ERROR;
    redisAsyncContext *ac = ar_get(r);
    if (!ac) return PARLEY_ERROR;
    return redisAsyncCommand(ac, NULL, NULL, "SET %s %b EX %u", key, val, vlen, lifetime) == REDIS_OK ? PARLEY_OK : PARLEY_ERROR;
}

static int ar_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    /* Never used: the handshake asks through ar_fetch_start. */
    (void)self, (void)id, (void)idlen, (void)val, (void)cap, (void)vlen;
    return PARLEY_ERROR;
}

static void ar_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    aredis *r = (aredis *)self;
    char key[96];
    if (tool_redis_key(key, id, idlen) < 0) return;
    redisAsyncContext *ac = ar_get(r);
    if (!ac) return;
    redisAsyncCommand(ac, NULL, NULL, "DEL %s", key);
}

static int ar_claim(parley_session_cache *self, const uint8_t *key, size_t klen, uint32_t lifetime)
{
    aredis *r = (aredis *)self;
    if (!r->sync || !r->sync->claim) return -1;
    uint64_t now = uv_now(r->loop);
    if (now - r->claim_window >= 1000) {
        r->claim_window = now;
        r->claim_spent_ns = 0;
    }
    if (r->claim_spent_ns >= (uint64_t)CLAIM_BUDGET_MS * 1000000u) {
        if (!r->budget_logged)
            fprintf(stderr, "parley: session cache: redis %s:%d answers 0-RTT claims too slowly (over %d ms a second): "
                            "early data refused while it lasts\n", r->host, r->port, CLAIM_BUDGET_MS);
        r->budget_logged = 1;
        return -1; /* fail closed, at once */
    }
    uint64_t t0 = uv_hrtime();
    int rc = r->sync->claim(r->sync, key, klen, lifetime);
    r->claim_spent_ns += uv_hrtime() - t0;
    return rc;
}

parley_session_cache *tool_redis_async_cache_new(const char *spec, void *loop, tool_lookup_done done)
{
    aredis *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    if (tool_redis_spec(spec, r->host, sizeof r->host, &r->port, &r->db) < 0) {
        free(r);
        return NULL;
    }
    r->loop = loop;
    r->done = done;
    r->base.store = ar_store;
    r->base.fetch = ar_fetch;
    r->base.remove = ar_remove;
    r->base.fetch_start = ar_fetch_start;
    r->sync = tool_redis_cache_new(spec);
    if (r->sync) tool_redis_cache_set_timeout(r->sync, CLAIM_TIMEOUT_MS);
    r->base.claim = ar_claim;
    return &r->base;
}
