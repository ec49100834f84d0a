/*
 * client_ops.c - the keyless client's operations: each is encoded, given an
 * id and a deadline, and sent on an up connection (round robin over the up
 * ones, any key server); a connection that drops hands its operations to
 * another (pl_kl_resend). The pool itself (connections, their threads) is
 * client.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

/* Complete and forget pending[i]; caller holds mu. */
void pl_kl_finish(kl_client *k, int i, int ok, const uint8_t *out, size_t len)
{
    parley_key_op_complete(k->pending[i].op, ok, out, len);
    k->pending[i] = k->pending[--k->npending];
    pthread_cond_broadcast(&k->cv);
    if (k->notify) k->notify(k->notify_arg);
}

/* Fail the operations of slot `slot` (-1: all) whose deadline has passed;
 * caller holds mu. 1 if `op` was one of them. */
int pl_kl_expire(kl_client *k, int slot, const parley_key_op *op)
{
    uint64_t now = pl_now_ms();
    int hit = 0;
    for (int i = k->npending - 1; i >= 0; i--) {
        kl_pending *p = &k->pending[i];
        if ((slot >= 0 && p->slot != slot) || now <= p->deadline) continue;
        fprintf(stderr, "parley: keyless: operation %u timed out after %d ms\n", p->id, k->timeout_ms);
        hit |= p->op == op;
        pl_kl_finish(k, i, 0, NULL, 0);
    }
    return hit;
}

/* Index of the pending operation with this id, or -1; caller holds mu. */
int pl_kl_find(kl_client *k, uint32_t id)
{
    for (int i = 0; i < k->npending; i++)
        if (k->pending[i].id == id) return i;
    return -1;
}

/* The request frame of an operation (re-encoded, not kept: a frame is 2 KiB
 * and up to KL_MAX_PENDING may be out); caller holds mu, which keeps `op`
 * alive (cancel takes it). */
static int kl_encode(parley_key_op *op, uint32_t id, uint64_t deadline, uint8_t *frame, size_t cap, size_t *flen)
{
    parley_keyless_msg m = {0};
    const uint8_t *in;
    m.id = id;
    m.opcode = parley_key_op_type(op) == PARLEY_KEY_OP_SIGN ? PARLEY_KEYLESS_SIGN : PARLEY_KEYLESS_RSA_DECRYPT;
    parley_key_op_key_id(op, m.key_id);
    m.scheme = parley_key_op_scheme(op);
    m.client_version = parley_key_op_client_version(op);
    m.deadline_ms = deadline;
    parley_key_op_input(op, &in, &m.payload_len);
    m.payload = in;
    return parley_keyless_encode(&m, 0, frame, cap, flen);
}

/* Send `frame`, the request of pending operation `id`, on an up connection:
 * round robin from `rr` over the up ones, those of server `avoid` (-1: none)
 * only when no other is up (never, with `only_others`: for a hedge, a copy on
 * the same server is no use). The operation's slot is set before its bytes go,
 * so a connection that drops after taking them re-sends it. 0: sent, or the
 * operation is gone (answered or cancelled meanwhile); -1: no connection
 * took it. A connection that drops during the send may leave the request
 * sent twice; the first answer completes it, the second matches no pending
 * id and is dropped. */
static int kl_send_any(kl_client *k, uint32_t id, const uint8_t *frame, size_t flen, unsigned rr, int avoid, int only_others)
{
    int order[KL_MAX_POOL], n = 0, nfirst = 0;
    for (int pass = 0; pass < 2 - !!only_others; pass++) {
        for (int i = 0; i < k->npool; i++)
            if ((k->slots[i].server == avoid) == pass && atomic_load_explicit(&k->slots[i].up, memory_order_relaxed))
                order[n++] = i;
        if (!pass) nfirst = n;
    }
    for (int t = 0; t < n; t++) {
        kl_slot *s = &k->slots[t < nfirst ? order[(rr + (unsigned)t) % (unsigned)nfirst] : order[t]];
        pthread_mutex_lock(&k->mu);
        int i = pl_kl_find(k, id);
        if (i >= 0) k->pending[i].slot = s->index;
        pthread_mutex_unlock(&k->mu);
        if (i < 0) return 0;
        pthread_mutex_lock(&s->lock);
        int rc = atomic_load_explicit(&s->up, memory_order_relaxed) && s->conn ? parley_fd_write(s->conn, frame, flen) : PARLEY_ERROR;
        if (rc == PARLEY_WANT_WRITE) {
            /* The rest is in the connection's output: the slot thread sends it. */
            uint64_t one = 1;
            rc = write(s->wake, &one, sizeof one) == sizeof one ? PARLEY_OK : PARLEY_ERROR;
        }
        /* The connection now owes an answer: its silence is timed from the
         * first request it owes (client.c, kl_silent_ms). */
        if (rc == PARLEY_OK && s->owed++ == 0) s->silent_since = pl_now_ms();
        pthread_mutex_unlock(&s->lock);
        if (rc == PARLEY_OK) return 0;
    }
    return -1;
}

/* Fail pending operation `id` now (if it is still pending). */
static void kl_fail_id(kl_client *k, uint32_t id)
{
    pthread_mutex_lock(&k->mu);
    int i = pl_kl_find(k, id);
    if (i >= 0) pl_kl_finish(k, i, 0, NULL, 0);
    pthread_mutex_unlock(&k->mu);
}

/* Slot s has gone down (kl_drop). */
void pl_kl_resend(kl_slot *s)
{
    kl_client *k = s->owner;
    /* Operations in flight on this connection will not be answered on it:
     * each still within its deadline goes to another connection (another
     * server's first: this one's may be dying too), the rest fail now. One at
     * a time, so that mu is not held while sending; each pass takes one off
     * this slot (this slot is down, so none comes back to it). */
    uint8_t frame[PARLEY_KEYLESS_REQUEST_SIZE + 64];
    int resent = 0, failed = 0;
    for (;;) {
        size_t flen = 0;
        uint32_t id = 0;
        int found = 0, send = 0;
        pthread_mutex_lock(&k->mu);
        for (int i = k->npending - 1; i >= 0 && !found; i--) {
            kl_pending *p = &k->pending[i];
            if (p->slot != s->index) continue;
            found = 1;
            if (!atomic_load(&k->stop) && pl_now_ms() <= p->deadline &&
                kl_encode(p->op, p->id, p->deadline, frame, sizeof frame, &flen) == PARLEY_OK) {
                p->slot = -1;
                id = p->id;
                send = 1;
            } else {
                pl_kl_finish(k, i, 0, NULL, 0);
                failed++;
            }
        }
        pthread_mutex_unlock(&k->mu);
        if (!found) break;
        if (!send) continue;
        unsigned rr = atomic_fetch_add_explicit(&k->rr, 1, memory_order_relaxed);
        if (kl_send_any(k, id, frame, flen, rr, s->server, 0) == 0) {
            resent++;
        } else {
            kl_fail_id(k, id);
            failed++;
        }
    }
    if (resent || failed)
        fprintf(stderr, "parley: keyless: connection %d closed with %d operations in flight: %d re-sent on other connections, %d failed\n",
                s->index, resent + failed, resent, failed);
}

/* Slot s has owed an answer for half a timeout without receiving a byte
 * (called by its own thread, so s cannot drop meanwhile). Each of its
 * operations out for half a timeout or more is sent once more, to another
 * key server's up connection: the first answer completes it, the other then
 * matches no pending id and is dropped. If the silence lasts a whole timeout
 * the connection goes (client.c); this only spares the handshakes waiting on
 * it until then. Each operation is copied at most once, so a key server that
 * is merely slow costs at most one extra request per operation. */
void pl_kl_hedge(kl_slot *s)
{
    kl_client *k = s->owner;
    uint8_t frame[PARLEY_KEYLESS_REQUEST_SIZE + 64];
    int copied = 0;
    if (k->nserv < 2) return;
    for (;;) {
        size_t flen = 0;
        uint32_t id = 0;
        int found = 0;
        uint64_t now = pl_now_ms();
        pthread_mutex_lock(&k->mu);
        for (int i = 0; i < k->npending && !found; i++) {
            kl_pending *p = &k->pending[i];
            /* deadline - timeout is when it was started */
            if (p->slot != s->index || p->hedged || now > p->deadline ||
                now - (p->deadline - (uint64_t)k->timeout_ms) < (uint64_t)k->timeout_ms / 2)
                continue;
            p->hedged = 1; /* even if no copy can go: not tried again every 100 ms */
            if (kl_encode(p->op, p->id, p->deadline, frame, sizeof frame, &flen) == PARLEY_OK) {
                found = 1;
                id = p->id;
            }
        }
        pthread_mutex_unlock(&k->mu);
        if (!found) break;
        unsigned rr = atomic_fetch_add_explicit(&k->rr, 1, memory_order_relaxed);
        int sent = kl_send_any(k, id, frame, flen, rr, s->server, 1) == 0;
        /* Not sent: it still waits on s (kl_send_any may have pointed it
         * at a connection that refused the bytes). */
        pthread_mutex_lock(&k->mu);
        int i = pl_kl_find(k, id);
        if (!sent && i >= 0) k->pending[i].slot = s->index;
        pthread_mutex_unlock(&k->mu);
        copied += sent;
    }
    if (copied)
        fprintf(stderr, "parley: keyless: connection %d silent for %d ms: %d operations copied to another key server\n", s->index,
                k->timeout_ms / 2, copied);
}

int pl_kl_start(parley_key_provider *self, parley_key_op *op)
{
    kl_client *k = (kl_client *)self;
    uint8_t frame[PARLEY_KEYLESS_REQUEST_SIZE + 64];
    size_t flen;
    /* Relaxed: the counter only spreads the load; `up` is a hint here. */
    unsigned rr = atomic_fetch_add_explicit(&k->rr, 1, memory_order_relaxed);
    if (!parley_keyless_connected(self)) return PARLEY_ERROR; /* fail fast; the outage was logged by the slot threads */
    pthread_mutex_lock(&k->mu);
    if (k->npending == KL_MAX_PENDING) {
        pthread_mutex_unlock(&k->mu);
        return PARLEY_ERROR;
    }
    uint32_t id = ++k->next_id;
    uint64_t deadline = pl_now_ms() + (uint64_t)k->timeout_ms;
    if (kl_encode(op, id, deadline, frame, sizeof frame, &flen) != PARLEY_OK) {
        pthread_mutex_unlock(&k->mu);
        return PARLEY_ERROR;
    }
    k->pending[k->npending++] = (kl_pending){op, id, -1, deadline, 0};
    pthread_mutex_unlock(&k->mu);
    if (kl_send_any(k, id, frame, flen, rr, -1, 0) < 0) {
        kl_fail_id(k, id); /* not sent: fail it now rather than at its deadline */
        return PARLEY_OK;
    }
    return PARLEY_WANT_KEY_OP;
}

int parley_keyless_done(parley_key_provider *p, parley_key_op *op)
{
    kl_client *k = (kl_client *)p;
    pthread_mutex_lock(&k->mu);
    int done = parley_key_op_done(op) || pl_kl_expire(k, -1, op);
    pthread_mutex_unlock(&k->mu);
    return done;
}

void pl_kl_cancel(parley_key_provider *p, parley_key_op *op)
{
    kl_client *k = (kl_client *)p;
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < k->npending; i++)
        if (k->pending[i].op == op) {
            /* Its answer, if one comes, matches no pending id and is dropped. */
            k->pending[i] = k->pending[--k->npending];
            break;
        }
    pthread_mutex_unlock(&k->mu);
}

void parley_keyless_set_notify(parley_key_provider *p, void (*fn)(void *arg), void *arg)
{
    kl_client *k = (kl_client *)p;
    pthread_mutex_lock(&k->mu);
    k->notify = fn;
    k->notify_arg = arg;
    pthread_mutex_unlock(&k->mu);
}

int parley_keyless_wait(parley_key_provider *p, parley_key_op *op)
{
    kl_client *k = (kl_client *)p;
    while (!parley_keyless_done(p, op)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_mutex_lock(&k->mu);
        if (!parley_key_op_done(op)) pthread_cond_timedwait(&k->cv, &k->mu, &ts);
        pthread_mutex_unlock(&k->mu);
    }
    return PARLEY_OK;
}

int parley_keyless_connected(parley_key_provider *p)
{
    kl_client *k = (kl_client *)p;
    int n = 0;
    for (int i = 0; i < k->npool; i++) n += atomic_load_explicit(&k->slots[i].up, memory_order_relaxed);
    return n;
}

