/*
 * client.c - the keyless client: a key provider whose operations are carried
 * out by `parley keyserver` (docs/keyless.md).
 *
 * Up to KL_MAX_SERVERS key servers, each with a pool of connections (each a
 * Parley TLS 1.3 client with a client certificate, each served by one thread
 * that (re)connects with backoff and reads responses). Operations are
 * pipelined: a request gets an id and goes to an up connection (round robin,
 * any server); the response completes the operation whatever order it arrives
 * in. Each operation has a deadline; an operation whose deadline passes
 * completes with failure, so a handshake never waits forever. When a
 * connection drops, its operations still within their deadline are re-sent on
 * another up connection (another server's first); they fail only when none is
 * up. With no connection up, start() fails at once (the handshake fails fast
 * with internal_error) and each server's outage is logged once.
 * A key server that hangs keeps its connections up: a connection silent
 * (owing an answer, receiving nothing) for half a timeout has its operations
 * copied to another server (client_ops.c, pl_kl_hedge); for a whole timeout,
 * it and its server's other connections are dropped (kl_not_answering).
 * All access to a connection's parley_conn is under that slot's lock: the
 * reader polls the socket without the lock and reads under it.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

/* Whether server sv's outage is already logged (its messages are then kept quiet). */
static int kl_quiet(kl_client *k, int sv)
{
    pthread_mutex_lock(&k->mu);
    int quiet = k->logged_down[sv];
    pthread_mutex_unlock(&k->mu);
    return quiet;
}

/* Wait until fd is ready for `ev`, polling k->stop every 100 ms so that
 * parley_keyless_free never waits on a connect: 0 ready, -1 past `deadline`
 * or stopping. */
static int kl_wait_fd(kl_client *k, int fd, short ev, uint64_t deadline)
{
    while (!atomic_load(&k->stop)) {
        uint64_t now = pl_now_ms();
        if (now >= deadline) return -1;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, deadline - now < 100 ? (int)(deadline - now) : 100);
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
    return -1;
}

/* One connect attempt: TCP connect and TLS handshake, non-blocking, within
 * KL_CONNECT_MS together (a server that accepts and never answers, or sends
 * a byte a second, cannot hold the slot longer). */
static int kl_connect(kl_slot *s)
{
    kl_client *k = s->owner;
    const kl_addr *a = &k->addrs[s->server];
    struct addrinfo hints = {0}, *res, *ai;
    int fd = -1;
    uint64_t deadline = pl_now_ms() + KL_CONNECT_MS;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(a->host, a->port, &hints, &res), err = EADDRNOTAVAIL;
    s->why[0] = 0;
    if (gai != 0) {
        snprintf(s->why, sizeof s->why, "cannot resolve %s: %s", a->host, gai_strerror(gai));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        err = errno; /* the last address's reason is the one told */
        if (err == EINPROGRESS) {
            socklen_t len = sizeof err;
            if (kl_wait_fd(k, fd, POLLOUT, deadline) < 0) err = ETIMEDOUT;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
            if (err == 0) break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(s->why, sizeof s->why, "cannot connect to %s:%s: %s", a->host, a->port, strerror(err));
        return -1;
    }
    parley_conn *c = parley_conn_new_client(k->tls, a->host);
    if (!c) {
        close(fd);
        return -1;
    }
    parley_conn_set_fd(c, fd);
    int rc;
    while ((rc = parley_fd_handshake(c)) == PARLEY_WANT_READ || rc == PARLEY_WANT_WRITE)
        if (kl_wait_fd(k, fd, rc == PARLEY_WANT_READ ? POLLIN : POLLOUT, deadline) < 0) break;
    if (rc != PARLEY_OK) {
        char e[160];
        if (rc == PARLEY_ERROR) snprintf(e, sizeof e, "%s", parley_conn_error_string(c));
        else snprintf(e, sizeof e, "no handshake within %d ms", KL_CONNECT_MS);
        if (!kl_quiet(k, s->server) && !atomic_load(&k->stop))
            fprintf(stderr, "parley: keyless: TLS to key server %s:%s failed: %s\n", a->host, a->port, e);
        /* A key server being killed can accept and then reset: the outage
         * line still says why. */
        snprintf(s->why, sizeof s->why, "TLS with %s:%s failed: %s", a->host, a->port, e);
        parley_conn_free(c);
        close(fd);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    s->conn = c;
    s->fd = fd;
    s->rlen = 0;
    s->owed = 0;
    atomic_store(&s->kill, 0); /* a kill meant for the connection before this one */
    atomic_store(&s->up, 1);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&k->mu);
    if (k->logged_down[s->server]) fprintf(stderr, "parley: keyless: key server %s:%s is reachable again\n", a->host, a->port);
    k->logged_down[s->server] = 0;
    pthread_mutex_unlock(&k->mu);
    return 0;
}

static void kl_drop(kl_slot *s)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->up, 0);
    if (s->conn) parley_conn_free(s->conn);
    if (s->fd >= 0) close(s->fd);
    s->conn = NULL;
    s->fd = -1;
    s->owed = 0;
    pthread_mutex_unlock(&s->lock);
    pl_kl_resend(s);
}

/* Responses: complete the matching operation, in whatever order they come;
 * the number of responses (matched or not: each pays one request the
 * connection owed). -1 on a malformed frame: the connection must go (docs/keyless.md), or its
 * bytes would stay in rbuf and every later answer on it would be lost. */
static int kl_dispatch(kl_slot *s)
{
    kl_client *k = s->owner;
    size_t off = 0, used;
    parley_keyless_msg m;
    int resp, rc = PARLEY_OK, n = 0;
    while (off < s->rlen && (rc = parley_keyless_decode(s->rbuf + off, s->rlen - off, &resp, &m, &used)) == PARLEY_OK) {
        if (!resp) {
            rc = PARLEY_ERROR; /* a request, from the key server */
            break;
        }
        pthread_mutex_lock(&k->mu);
        for (int i = 0; i < k->npending; i++)
            if (k->pending[i].id == m.id) {
                if (m.status != PARLEY_KEYLESS_OK)
                    fprintf(stderr, "parley: keyless: key server answered operation %u with error %d\n", m.id, m.status);
                pl_kl_finish(k, i, m.status == PARLEY_KEYLESS_OK, m.payload, m.payload_len);
                break;
            }
        pthread_mutex_unlock(&k->mu);
        off += used;
        n++;
    }
    memmove(s->rbuf, s->rbuf + off, s->rlen - off);
    s->rlen -= off;
    return rc == PARLEY_ERROR ? -1 : n;
}

/* What server sv being down means, for its outage line (scripts grep the
 * single-server wording). */
static const char *kl_outage_effect(kl_client *k, int sv)
{
    if (k->nserv == 1) return "handshakes fail until it is back";
    for (int i = 0; i < k->npool; i++)
        if (k->slots[i].server != sv && atomic_load_explicit(&k->slots[i].up, memory_order_relaxed))
            return "its operations go to the other key servers until it is back";
    return "handshakes fail until a key server is back";
}

/* How long slot s has owed an answer without receiving a byte; 0 when it
 * owes none. */
static int kl_silent_ms(kl_slot *s)
{
    int ms = 0;
    pthread_mutex_lock(&s->lock);
    if (s->conn && s->owed > 0) ms = (int)(pl_now_ms() - s->silent_since);
    pthread_mutex_unlock(&s->lock);
    return ms;
}

/* Slot s has owed an answer for a whole timeout and received nothing: its
 * key server hangs (SIGSTOPped, wedged, partitioned) though its TCP
 * connections stay up, so nothing ever drops them. Drop s as if it had
 * closed (its operations still in time go to the other servers) and have
 * the server's other connections dropped too: they would hang the same way,
 * each costing its handshakes half a timeout before the hedge. Reconnecting
 * uses the usual backoff; to a SIGSTOPped server the TCP connect succeeds
 * (its kernel still accepts) and the TLS handshake gives up after
 * KL_CONNECT_MS. The outage is logged once, like one of connecting. */
static void kl_not_answering(kl_slot *s, int silent_ms)
{
    kl_client *k = s->owner;
    const kl_addr *a = &k->addrs[s->server];
    pthread_mutex_lock(&k->mu);
    if (!k->logged_down[s->server]) {
        fprintf(stderr, "parley: keyless: key server %s:%s is not answering; %s (nothing received on connection %d for %d ms)\n",
                a->host, a->port, kl_outage_effect(k, s->server), s->index, silent_ms);
        k->logged_down[s->server] = 1;
    }
    pthread_mutex_unlock(&k->mu);
    for (int i = 0; i < k->npool; i++) {
        kl_slot *o = &k->slots[i];
        if (o == s || o->server != s->server || !atomic_load(&o->up)) continue;
        atomic_store(&o->kill, 1);
        uint64_t one = 1; /* wake its thread: it drops its own connection (only a slot's thread may) */
        ssize_t r = write(o->wake, &one, sizeof one);
        (void)r;
    }
    fprintf(stderr, "parley: keyless: connection %d to the key server dropped: nothing received for %d ms (%s:%s)\n", s->index,
            silent_ms, a->host, a->port);
    kl_drop(s);
}

static void *kl_slot_main(void *arg)
{
    kl_slot *s = arg;
    kl_client *k = s->owner;
    const kl_addr *a = &k->addrs[s->server];
    int backoff = KL_BACKOFF_MIN;
    while (!atomic_load(&k->stop)) {
        if (!atomic_load(&s->up)) {
            int rc = kl_connect(s);
            atomic_store(&s->tried, 1);
            if (rc < 0) {
                pthread_mutex_lock(&k->mu);
                if (!k->logged_down[s->server]) {
                    fprintf(stderr, "parley: keyless: key server %s:%s is unreachable; %s%s%s%s\n", a->host, a->port,
                            kl_outage_effect(k, s->server), s->why[0] ? " (" : "", s->why, s->why[0] ? ")" : "");
                    k->logged_down[s->server] = 1;
                }
                pthread_mutex_unlock(&k->mu);
                for (int t = 0; t < backoff && !atomic_load(&k->stop); t += 50) usleep(50 * 1000);
                backoff = backoff * 2 < KL_BACKOFF_MAX ? backoff * 2 : KL_BACKOFF_MAX;
                continue;
            }
            backoff = KL_BACKOFF_MIN;
        }
        /* Requests the caller could not send whole wait in the connection's
         * output: this thread sends the rest when the socket takes it, so
         * that starting an operation never blocks an event loop. */
        const uint8_t *unsent;
        size_t nunsent = 0;
        pthread_mutex_lock(&s->lock);
        if (s->conn) parley_conn_pending_output(s->conn, &unsent, &nunsent);
        pthread_mutex_unlock(&s->lock);
        struct pollfd pfd[2] = {{s->fd, (short)(POLLIN | (nunsent ? POLLOUT : 0)), 0}, {s->wake, POLLIN, 0}};
        int pr = poll(pfd, 2, 100);
        /* Deadlines are kept here, so that an event loop waiting for the
         * notification hears of a key server that never answers. */
        pthread_mutex_lock(&k->mu);
        pl_kl_expire(k, s->index, NULL);
        pthread_mutex_unlock(&k->mu);
        if (atomic_exchange(&s->kill, 0) && atomic_load(&s->up)) {
            fprintf(stderr, "parley: keyless: connection %d to the key server dropped: %s:%s is not answering\n", s->index, a->host,
                    a->port);
            kl_drop(s);
            continue;
        }
        /* Bytes waiting to be read are an answer: no verdict on silence then. */
        if (!(pr > 0 && (pfd[0].revents & POLLIN))) {
            int silent = kl_silent_ms(s);
            if (silent > k->timeout_ms) {
                kl_not_answering(s, silent);
                continue;
            }
            if (silent >= k->timeout_ms / 2) pl_kl_hedge(s);
        }
        if (pr <= 0) continue;
        if (pfd[1].revents) {
            uint64_t woken; /* the count does not matter: it only woke us */
            ssize_t r = read(s->wake, &woken, sizeof woken);
            (void)r;
        }
        int broken = 0;
        pthread_mutex_lock(&s->lock);
        if ((pfd[0].revents & POLLOUT) && s->conn && parley_fd_flush(s->conn) == PARLEY_ERROR) broken = 1;
        for (; !broken && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR));) {
            size_t n = 0;
            int rc = parley_fd_read(s->conn, s->rbuf + s->rlen, sizeof s->rbuf - s->rlen, &n);
            if (rc == PARLEY_OK) {
                s->rlen += n;
                if (n) s->silent_since = pl_now_ms(); /* a byte: not silent, whatever it still owes */
                if (s->rlen == sizeof s->rbuf) break;
                continue;
            }
            if (rc != PARLEY_WANT_READ && rc != PARLEY_WANT_WRITE) broken = 1;
            break;
        }
        pthread_mutex_unlock(&s->lock);
        int answered = kl_dispatch(s);
        if (answered > 0) {
            pthread_mutex_lock(&s->lock);
            s->owed = s->owed > answered ? s->owed - answered : 0;
            pthread_mutex_unlock(&s->lock);
        }
        if (answered < 0) {
            fprintf(stderr, "parley: keyless: connection %d: the key server sent a malformed frame (%s:%s)\n", s->index, a->host,
                    a->port);
            broken = 1;
        }
        if (broken) {
            fprintf(stderr, "parley: keyless: connection %d to the key server closed (%s:%s)\n", s->index, a->host, a->port);
            kl_drop(s);
        }
    }
    return NULL;
}

parley_key_provider *parley_keyless_new(const char *host_port, parley_config *tls, int pool, int timeout_ms, char *err,
                                        size_t errlen)
{
    kl_addr addrs[KL_MAX_SERVERS];
    int nserv = pl_kl_parse_addrs(host_port, addrs, err, errlen);
    if (nserv < 0) return NULL;
    /* `pool` connections per server; slots interleave the servers, so the
     * first nserv slots are one connection to each. Only those slots are
     * allocated (each holds a 16 KiB read buffer). */
    int npool = nserv * (pool < 1 ? 1 : pool > KL_MAX_PER_SERVER ? KL_MAX_PER_SERVER : pool);
    kl_client *k = pl_calloc(1, sizeof *k + (size_t)npool * sizeof(kl_slot));
    if (!k) return NULL;
    k->base.start = pl_kl_start;
    k->base.cancel = pl_kl_cancel;
    memcpy(k->addrs, addrs, sizeof addrs);
    k->nserv = nserv;
    k->tls = tls;
    parley_config_ref(tls);
    k->npool = npool;
    k->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    for (int i = 0; i < k->npool; i++) {
        kl_slot *s = &k->slots[i];
        s->owner = k;
        s->index = i;
        s->server = i % nserv;
        s->fd = -1;
        s->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        pthread_mutex_init(&s->lock, NULL);
    }
    /* Threads only once every slot is set up: a slot thread reads the other
     * slots (kl_outage_effect, re-sending). */
    for (int i = 0; i < k->npool; i++) pthread_create(&k->slots[i].thread, NULL, kl_slot_main, &k->slots[i]);
    /* Starting an operation fails at once when no connection is up: that is for an
     * outage, not for a pool still making its first connections. So return
     * once one is up or every slot's first attempt has ended (a key server
     * that refuses is known within milliseconds), and within the operation
     * deadline in any case: the first handshakes of a program that starts
     * serving right after this call are then not refused. */
    for (int t = 0; t < k->timeout_ms; t += 5) {
        int up = 0, tried = 0;
        for (int i = 0; i < k->npool; i++) {
            up += atomic_load(&k->slots[i].up);
            tried += atomic_load(&k->slots[i].tried);
        }
        if (up || tried == k->npool) break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return &k->base;
}

void parley_keyless_free(parley_key_provider *p)
{
    kl_client *k = (kl_client *)p;
    if (!k) return;
    atomic_store(&k->stop, 1);
    /* Every thread ends before any slot goes: a slot thread re-sending a
     * dropped connection's operations takes other slots' locks. */
    for (int i = 0; i < k->npool; i++) pthread_join(k->slots[i].thread, NULL);
    for (int i = 0; i < k->npool; i++) {
        kl_drop(&k->slots[i]);
        pthread_mutex_destroy(&k->slots[i].lock);
        if (k->slots[i].wake >= 0) close(k->slots[i].wake);
    }
    pthread_mutex_lock(&k->mu);
    while (k->npending) pl_kl_finish(k, 0, 0, NULL, 0);
    pthread_mutex_unlock(&k->mu);
    parley_config_free(k->tls);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    pl_free(k);
}
