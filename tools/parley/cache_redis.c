/*
 * cache_redis.c - a session cache in Redis, for a fleet of servers: keys
 * "parley:sess:<hex id>", TTL equal to the session lifetime, one reused
 * connection (guarded by a mutex: the server's connection threads share it)
 * with a short timeout. When Redis is unreachable the server logs it once,
 * goes on with full handshakes, retries about once a second, and says when
 * Redis is back. It lives with the tools so that libparley itself depends on
 * libcrypto alone; it implements the public parley_session_cache interface.
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

typedef struct {
    parley_session_cache base;
    char host[256];
    int port, db;
    pthread_mutex_t lock;
    redisContext *rc;
    time_t retry_at;
    int down_logged;
    int timeout_ms;    /* connect and command timeout (200 ms) */
    int evicts;        /* maxmemory-policy is not noeviction: no 0-RTT claims */
    int policy_logged; /* the policy warning was printed */
    uint64_t deadline; /* a claim's one deadline (ms, CLOCK_MONOTONIC), 0: none */
} redis_cache;

/* A step is not started with less than this left before the deadline: a
 * slow Redis would only time it out (a round trip on a LAN is far less). */
#define STEP_MIN_MS 20

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The timeout of the next step: timeout_ms, or what is left of the claim's
 * deadline (0: too little left, do not start it). One deadline for the
 * whole claim (SET on a stale connection, reconnect, SELECT, CONFIG GET,
 * SET) keeps a claim within timeout_ms, so that the caller's per-second
 * claim budget (cache_redis_async.c) holds. */
static int step_ms(const redis_cache *r)
{
    if (!r->deadline) return r->timeout_ms;
    uint64_t now = mono_ms();
    if (now + STEP_MIN_MS > r->deadline) return 0;
    return (int)(r->deadline - now);
}

static int step_timeout(const redis_cache *r, redisContext *c)
{
    int ms = step_ms(r);
    if (ms <= 0) return 0;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return redisSetTimeout(c, tv) == REDIS_OK;
}

/* 0-RTT anti-replay needs records that stay until their TTL (RFC 8446 8):
 * any maxmemory-policy but noeviction (volatile-* included: every record
 * has a TTL) may drop one under memory pressure, and the replay it guarded
 * against would then be accepted. Asked on each new connection (the policy
 * may have been changed); refused (CONFIG renamed or disabled): unknown,
 * warned once, claims go on. Caller holds the lock. */
static void rc_down(redis_cache *r, const char *reason);

/* 0: known or refused; -1: no answer (a timeout or a dead connection: the
 * connection is unusable, and that is not a refusal, so nothing is logged
 * about the policy and it is asked again on the next connection). */
static int rc_check_policy(redis_cache *r, redisContext *c)
{
    redisReply *rep = step_timeout(r, c) ? redisCommand(c, "CONFIG GET maxmemory-policy") : NULL;
    if (!rep) return -1;
    int known = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 && rep->element[1]->type == REDIS_REPLY_STRING;
    if (!known) {
        r->evicts = 0;
        if (!r->policy_logged)
            fprintf(stderr, "parley: session cache: redis %s:%d: cannot read maxmemory-policy (CONFIG GET refused); "
                            "0-RTT anti-replay needs noeviction: make sure it is set\n", r->host, r->port);
        r->policy_logged = 1;
    } else {
        r->evicts = strcmp(rep->element[1]->str, "noeviction") != 0;
        if (r->evicts && !r->policy_logged)
            fprintf(stderr, "parley: session cache: redis %s:%d has maxmemory-policy %s, which may evict 0-RTT "
                            "anti-replay records: early data is refused (set maxmemory-policy noeviction)\n",
                    r->host, r->port, rep->element[1]->str);
        r->policy_logged = r->evicts;
    }
    freeReplyObject(rep);
    return 0;
}

static void rc_down(redis_cache *r, const char *reason)
{
    char why[128];
    /* `reason` may point into the context about to be freed. */
    snprintf(why, sizeof why, "%s", reason);
    if (r->rc) redisFree(r->rc);
    r->rc = NULL;
    r->retry_at = time(NULL) + 1;
    tool_redis_log_down(&r->down_logged, r->host, r->port, why);
}

/* A usable connection, or NULL (caller holds the lock). */
static redisContext *rc_get(redis_cache *r)
{
    if (r->rc) return r->rc;
    if (time(NULL) < r->retry_at) return NULL;
    int ms = step_ms(r);
    if (ms <= 0) return NULL; /* no time left for a connection: not a failure of Redis */
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!c || c->err) {
        rc_down(r, c ? c->errstr : "cannot connect");
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (r->db) {
        redisReply *rep = step_timeout(r, c) ? redisCommand(c, "SELECT %d", r->db) : NULL;
        int ok = rep && rep->type == REDIS_REPLY_STATUS;
        if (rep) freeReplyObject(rep);
        if (!ok) {
            r->rc = c;
            rc_down(r, "SELECT failed");
            return NULL;
        }
    }
    r->rc = c;
    if (rc_check_policy(r, c) < 0) {
        /* No answer in time: down (not "refused"); out of time before asking:
         * closed (the policy unknown), the next claim connects again. */
        if (c->err) rc_down(r, "CONFIG GET timed out");
        else {
            redisFree(c);
            r->rc = NULL;
        }
        return NULL;
    }
    tool_redis_log_up(&r->down_logged, r->host, r->port);
    return c;
}

/* Run a command; a connection that turns out to be dead (Redis restarted)
 * is replaced at once and the command retried once. Caller holds the lock. */
static redisReply *rc_command(redis_cache *r, const char *fmt, const char *key, const uint8_t *val, size_t vlen, uint32_t ttl)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = r->rc == NULL;
        redisContext *c = rc_get(r);
        if (!c) return NULL;
        if (!step_timeout(r, c)) return NULL; /* the claim's deadline is near: give up, the connection kept */
        redisReply *rep = val ? redisCommand(c, fmt, key, val, vlen, ttl) : redisCommand(c, fmt, key);
        if (rep) return rep;
        rc_down(r, c->errstr);
        if (fresh) return NULL; /* a new connection failed: wait for the retry time */
        r->retry_at = 0;        /* a stale one: reconnect now */
    }
    return NULL;
}

void tool_redis_log_down(int *logged, const char *host, int port, const char *why)
{
    if (!*logged) fprintf(stderr, "parley: session cache: redis %s:%d unreachable (%s); continuing with full handshakes\n", host, port, why);
    *logged = 1;
}

void tool_redis_log_up(int *logged, const char *host, int port)
{
    if (*logged) fprintf(stderr, "parley: session cache: redis %s:%d is back\n", host, port);
    *logged = 0;
}

int tool_redis_key(char out[96], const uint8_t *id, size_t n)
{
    if (n == 0 || n > 32) return -1;
    size_t o = (size_t)sprintf(out, "parley:sess:");
    for (size_t i = 0; i < n; i++) o += (size_t)sprintf(out + o, "%02x", id[i]);
    return 0;
}

int tool_redis_spec(const char *spec, char *host, size_t hl, int *port, int *db)
{
    const char *p = spec + strlen("redis://");
    const char *colon = strrchr(p, ':'), *slash = strchr(p, '/');
    if (strncmp(spec, "redis://", 8) != 0 || !colon || (slash && slash < colon) || (size_t)(colon - p) >= hl) return -1;
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = 0;
    *port = atoi(colon + 1);
    *db = slash ? atoi(slash + 1) : 0;
    return 0;
}

static int rc_store(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen, uint32_t lifetime)
{
    redis_cache *r = (redis_cache *)self;
    char key[96];
    int ok = 0;
    if (tool_redis_key(key, id, idlen) < 0) return PARLEY_ERROR;
    pthread_mutex_lock(&r->lock);
    redisReply *rep = rc_command(r, "SET %s %b EX %u", key, val, vlen, lifetime);
    ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep) freeReplyObject(rep);
    pthread_mutex_unlock(&r->lock);
    return ok ? PARLEY_OK : PARLEY_ERROR;
}

static int rc_fetch(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen)
{
    redis_cache *r = (redis_cache *)self;
    char key[96];
    int ok = 0;
    if (tool_redis_key(key, id, idlen) < 0) return PARLEY_ERROR;
    pthread_mutex_lock(&r->lock);
    redisReply *rep = rc_command(r, "GET %s", key, NULL, 0, 0);
    if (rep && rep->type == REDIS_REPLY_STRING && rep->len <= cap) {
        memcpy(val, rep->str, rep->len);
        *vlen = rep->len;
        ok = 1;
    }
    if (rep) freeReplyObject(rep);
    pthread_mutex_unlock(&r->lock);
    return ok ? PARLEY_OK : PARLEY_ERROR;
}

static void rc_remove(parley_session_cache *self, const uint8_t *id, size_t idlen)
{
    redis_cache *r = (redis_cache *)self;
    char key[96];
    if (tool_redis_key(key, id, idlen) < 0) return;
    pthread_mutex_lock(&r->lock);
    redisReply *rep = rc_command(r, "DEL %s", key, NULL, 0, 0);
    if (rep) freeReplyObject(rep);
    pthread_mutex_unlock(&r->lock);
}

static int tool_redis_claim_key(char out[96], const uint8_t *key, size_t n)
{
    if (n == 0 || n > 32) return -1;
    size_t o = (size_t)sprintf(out, "parley:0rtt:");
    for (size_t i = 0; i < n; i++) o += (size_t)sprintf(out + o, "%02x", key[i]);
    return 0;
}

/* 0-RTT anti-replay for the fleet (RFC 8446 8): SET NX EX is atomic in
 * Redis, so of two servers claiming one key exactly one gets OK. Redis must
 * not evict these keys before their TTL: maxmemory-policy noeviction
 * (rc_check_policy; docs/security.md), else -1. Unreachable: -1. Either
 * way the early data is refused and the handshake goes on in 1-RTT. */
static int rc_claim(parley_session_cache *self, const uint8_t *k, size_t klen, uint32_t lifetime)
{
    redis_cache *r = (redis_cache *)self;
    char key[96];
    int rc = -1;
    if (tool_redis_claim_key(key, k, klen) < 0) return -1;
    pthread_mutex_lock(&r->lock);
    if (r->rc && r->evicts) {
        pthread_mutex_unlock(&r->lock);
        return -1;
    }
    r->deadline = mono_ms() + (uint64_t)r->timeout_ms; /* one deadline for the whole claim */
    redisReply *rep = rc_command(r, "SET %s %b NX EX %u", key, (const uint8_t *)"1", 1, lifetime ? lifetime : 1);
    r->deadline = 0;
    if (r->evicts) rc = -1; /* the record could be evicted: fail closed (policy read at connect) */
    else if (rep && rep->type == REDIS_REPLY_STATUS && !strcmp(rep->str, "OK")) rc = 1;
    else if (rep && rep->type == REDIS_REPLY_NIL) rc = 0;
    if (rep) freeReplyObject(rep);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* redis://HOST:PORT[/DB] */
parley_session_cache *tool_redis_cache_new(const char *spec)
{
    redis_cache *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    if (tool_redis_spec(spec, r->host, sizeof r->host, &r->port, &r->db) < 0) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    r->timeout_ms = 200;
    r->base.store = rc_store;
    r->base.fetch = rc_fetch;
    r->base.remove = rc_remove;
    r->base.claim = rc_claim;
    return &r->base;
}

void tool_redis_cache_set_timeout(parley_session_cache *cache, int ms)
{
    redis_cache *r = (redis_cache *)cache;
    pthread_mutex_lock(&r->lock);
    r->timeout_ms = ms > 0 && ms < 1000 ? ms : 200;
    pthread_mutex_unlock(&r->lock);
}

void tool_redis_cache_free(parley_session_cache *cache)
{
    redis_cache *r = (redis_cache *)cache;
    if (!r) return;
    if (r->rc) redisFree(r->rc);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
