/*
 * client.c - the keyless client: a key provider whose operations are carried
 * out by `parley keyserver` (docs/keyless.md).
 *
 * A pool of connections, each a Parley TLS 1.3 client with a client
 * certificate, each served by one thread that (re)connects with backoff and
 * reads responses. Operations are pipelined: a request gets an id and goes to
 * an up connection; the response completes the operation whatever order it
 * arrives in. Each operation has a deadline; an operation whose deadline
 * passes, or whose connection drops, completes with failure, so a handshake
 * never waits forever. With no connection up, start() fails at once (the
 * handshake fails fast with internal_error) and the outage is logged once.
 * All access to a connection's parley_conn is under that slot's lock: the
 * reader polls the socket without the lock and reads under it.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "../internal.h"

#define KL_MAX_POOL 16
#define KL_MAX_PENDING 1024

typedef struct kl_client kl_client;

typedef struct {
    kl_client *owner;
    int index;
    pthread_t thread;
    pthread_mutex_t lock; /* guards conn and fd */
    parley_conn *conn;
    int fd;
    int wake;             /* eventfd: a request left bytes for this thread to send */
    _Atomic int up;       /* written under lock; read without it as a hint (kl_start re-checks under lock) */
    _Atomic int tried;    /* the slot's first connect attempt has ended (parley_keyless_new waits for it) */
    uint8_t rbuf[16384];
    size_t rlen;
    char why[320]; /* the last failed connect: "cannot connect to H:P: <strerror>" (slot thread only) */
} kl_slot;

typedef struct {
    parley_key_op *op;
    uint32_t id;
    int slot;
    uint64_t deadline;
} kl_pending;

struct kl_client {
    parley_key_provider base; /* first: the provider handed to the config */
    char host[256], port[16];
    parley_config *tls;
    int timeout_ms, npool;
    _Atomic int stop;   /* set by parley_keyless_free, polled by the slot threads */
    pthread_mutex_t mu; /* guards pending, next_id, logged_down and op completion */
    pthread_cond_t cv;
    kl_pending pending[KL_MAX_PENDING];
    int npending;
    uint32_t next_id;
    int logged_down;    /* under mu, always (kl_connect reads it through kl_quiet) */
    atomic_uint rr;     /* round-robin start: handshake threads call kl_start concurrently */
    void (*notify)(void *arg); /* an operation completed (called with mu held) */
    void *notify_arg;
    kl_slot slots[KL_MAX_POOL];
};

/* Complete and forget pending[i]; caller holds mu. */
static void kl_finish(kl_client *k, int i, int ok, const uint8_t *out, size_t len)
{
    parley_key_op_complete(k->pending[i].op, ok, out, len);
    k->pending[i] = k->pending[--k->npending];
    pthread_cond_broadcast(&k->cv);
    if (k->notify) k->notify(k->notify_arg);
}

/* Fail the operations of slot `slot` (-1: all) whose deadline has passed;
 * caller holds mu. 1 if `op` was one of them. */
static int kl_expire(kl_client *k, int slot, const parley_key_op *op)
{
    uint64_t now = pl_now_ms();
    int hit = 0;
    for (int i = k->npending - 1; i >= 0; i--) {
        kl_pending *p = &k->pending[i];
        if ((slot >= 0 && p->slot != slot) || now <= p->deadline) continue;
        fprintf(stderr, "parley: keyless: operation %u timed out after %d ms\n", p->id, k->timeout_ms);
        hit |= p->op == op;
        kl_finish(k, i, 0, NULL, 0);
    }
    return hit;
}

/* Whether the outage is already logged (its messages are then kept quiet). */
static int kl_quiet(kl_client *k)
{
    pthread_mutex_lock(&k->mu);
    int quiet = k->logged_down;
    pthread_mutex_unlock(&k->mu);
    return quiet;
}

static int kl_connect(kl_slot *s)
{
    kl_client *k = s->owner;
    struct addrinfo hints = {0}, *res, *ai;
    int fd = -1;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(k->host, k->port, &hints, &res), err = EADDRNOTAVAIL;
    s->why[0] = 0;
    if (gai != 0) {
        snprintf(s->why, sizeof s->why, "cannot resolve %s: %s", k->host, gai_strerror(gai));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        struct timeval tv = {2, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        err = errno; /* the last address's reason is the one told */
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(s->why, sizeof s->why, "cannot connect to %s:%s: %s", k->host, k->port, strerror(err));
        return -1;
    }
    parley_conn *c = parley_conn_new_client(k->tls, k->host);
    if (!c) {
        close(fd);
        return -1;
    }
    parley_conn_set_fd(c, fd);
    if (parley_fd_handshake(c) != PARLEY_OK) {
        if (!kl_quiet(k))
            fprintf(stderr, "parley: keyless: TLS to key server %s:%s failed: %s\n", k->host, k->port, parley_conn_error_string(c));
        parley_conn_free(c);
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    pthread_mutex_lock(&s->lock);
    s->conn = c;
    s->fd = fd;
    s->rlen = 0;
    atomic_store(&s->up, 1);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&k->mu);
    if (k->logged_down) fprintf(stderr, "parley: keyless: key server %s:%s is reachable again\n", k->host, k->port);
    k->logged_down = 0;
    pthread_mutex_unlock(&k->mu);
    return 0;
}

static void kl_drop(kl_slot *s)
{
    kl_client *k = s->owner;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->up, 0);
    if (s->conn) parley_conn_free(s->conn);
    if (s->fd >= 0) close(s->fd);
    s->conn = NULL;
    s->fd = -1;
    pthread_mutex_unlock(&s->lock);
    /* Operations in flight on this connection will not be answered. */
    pthread_mutex_lock(&k->mu);
    for (int i = k->npending - 1; i >= 0; i--)
        if (k->pending[i].slot == s->index) kl_finish(k, i, 0, NULL, 0);
    pthread_mutex_unlock(&k->mu);
}

/* Responses: complete the matching operation, in whatever order they come.
 * -1 on a malformed frame: the connection must go (docs/keyless.md), or its
 * bytes would stay in rbuf and every later answer on it would be lost. */
static int kl_dispatch(kl_slot *s)
{
    kl_client *k = s->owner;
    size_t off = 0, used;
    parley_keyless_msg m;
    int resp, rc = PARLEY_OK;
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
                kl_finish(k, i, m.status == PARLEY_KEYLESS_OK, m.payload, m.payload_len);
                break;
            }
        pthread_mutex_unlock(&k->mu);
        off += used;
    }
    memmove(s->rbuf, s->rbuf + off, s->rlen - off);
    s->rlen -= off;
    return rc == PARLEY_ERROR ? -1 : 0;
}

static void *kl_slot_main(void *arg)
{
    kl_slot *s = arg;
    kl_client *k = s->owner;
    int backoff = 100;
    while (!atomic_load(&k->stop)) {
        if (!atomic_load(&s->up)) {
            int rc = kl_connect(s);
            atomic_store(&s->tried, 1);
            if (rc < 0) {
                pthread_mutex_lock(&k->mu);
                if (!k->logged_down) {
                    fprintf(stderr, "parley: keyless: key server %s:%s is unreachable; handshakes fail until it is back%s%s%s\n",
                            k->host, k->port, s->why[0] ? " (" : "", s->why, s->why[0] ? ")" : "");
                    k->logged_down = 1;
                }
                pthread_mutex_unlock(&k->mu);
                for (int t = 0; t < backoff && !atomic_load(&k->stop); t += 50) usleep(50 * 1000);
                backoff = backoff < 2000 ? backoff * 2 : 2000;
                continue;
            }
            backoff = 100;
        }
        /* Requests the caller could not send whole wait in the connection's
         * output: this thread sends the rest when the socket takes it, so
         * that kl_start never blocks an event loop. */
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
        kl_expire(k, s->index, NULL);
        pthread_mutex_unlock(&k->mu);
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
                if (s->rlen == sizeof s->rbuf) break;
                continue;
            }
            if (rc != PARLEY_WANT_READ && rc != PARLEY_WANT_WRITE) broken = 1;
            break;
        }
        pthread_mutex_unlock(&s->lock);
        if (kl_dispatch(s) < 0) {
            fprintf(stderr, "parley: keyless: connection %d: the key server sent a malformed frame\n", s->index);
            broken = 1;
        }
        if (broken) {
            fprintf(stderr, "parley: keyless: connection %d to the key server closed\n", s->index);
            kl_drop(s);
        }
    }
    return NULL;
}

static int kl_start(parley_key_provider *self, parley_key_op *op)
{
    kl_client *k = (kl_client *)self;
    parley_keyless_msg m = {0};
    uint8_t frame[PARLEY_KEYLESS_REQUEST_SIZE + 64];
    size_t flen;
    const uint8_t *in;
    kl_slot *s = NULL;
    /* Relaxed: the counter only spreads the load; `up` is a hint here. */
    unsigned rr = atomic_fetch_add_explicit(&k->rr, 1, memory_order_relaxed);
    for (int t = 0; t < k->npool && !s; t++) {
        kl_slot *c = &k->slots[(rr + (unsigned)t) % (unsigned)k->npool];
        if (atomic_load_explicit(&c->up, memory_order_relaxed)) s = c;
    }
    if (!s) return PARLEY_ERROR; /* fail fast; the outage was logged by the slot thread */
    pthread_mutex_lock(&k->mu);
    if (k->npending == KL_MAX_PENDING) {
        pthread_mutex_unlock(&k->mu);
        return PARLEY_ERROR;
    }
    m.id = ++k->next_id;
    m.opcode = parley_key_op_type(op) == PARLEY_KEY_OP_SIGN ? PARLEY_KEYLESS_SIGN : PARLEY_KEYLESS_RSA_DECRYPT;
    parley_key_op_key_id(op, m.key_id);
    m.scheme = parley_key_op_scheme(op);
    m.client_version = parley_key_op_client_version(op);
    m.deadline_ms = pl_now_ms() + (uint64_t)k->timeout_ms;
    parley_key_op_input(op, &in, &m.payload_len);
    m.payload = in;
    if (parley_keyless_encode(&m, 0, frame, sizeof frame, &flen) != PARLEY_OK) {
        pthread_mutex_unlock(&k->mu);
        return PARLEY_ERROR;
    }
    k->pending[k->npending++] = (kl_pending){op, m.id, s->index, m.deadline_ms};
    pthread_mutex_unlock(&k->mu);
    pthread_mutex_lock(&s->lock);
    int rc = atomic_load_explicit(&s->up, memory_order_relaxed) && s->conn ? parley_fd_write(s->conn, frame, flen) : PARLEY_ERROR;
    if (rc == PARLEY_WANT_WRITE) {
        /* The rest is in the connection's output: the slot thread sends it. */
        uint64_t one = 1;
        rc = write(s->wake, &one, sizeof one) == sizeof one ? PARLEY_OK : PARLEY_ERROR;
    }
    pthread_mutex_unlock(&s->lock);
    if (rc != PARLEY_OK) {
        /* Not sent: fail it now rather than at its deadline. */
        pthread_mutex_lock(&k->mu);
        for (int i = 0; i < k->npending; i++)
            if (k->pending[i].op == op) kl_finish(k, i, 0, NULL, 0);
        pthread_mutex_unlock(&k->mu);
        return PARLEY_OK;
    }
    return PARLEY_WANT_KEY_OP;
}

int parley_keyless_done(parley_key_provider *p, parley_key_op *op)
{
    kl_client *k = (kl_client *)p;
    pthread_mutex_lock(&k->mu);
    int done = parley_key_op_done(op) || kl_expire(k, -1, op);
    pthread_mutex_unlock(&k->mu);
    return done;
}

static void kl_cancel(parley_key_provider *p, parley_key_op *op)
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

parley_key_provider *parley_keyless_new(const char *host_port, parley_config *tls, int pool, int timeout_ms, char *err,
                                        size_t errlen)
{
    const char *colon = strrchr(host_port, ':');
    if (!colon || colon == host_port || (size_t)(colon - host_port) >= 256 || strlen(colon + 1) >= 16) {
        snprintf(err, errlen, "keyless address must be HOST:PORT");
        return NULL;
    }
    kl_client *k = pl_calloc(1, sizeof *k);
    if (!k) return NULL;
    k->base.start = kl_start;
    k->base.cancel = kl_cancel;
    memcpy(k->host, host_port, (size_t)(colon - host_port));
    snprintf(k->port, sizeof k->port, "%s", colon + 1);
    k->tls = tls;
    parley_config_ref(tls);
    k->npool = pool < 1 ? 1 : pool > KL_MAX_POOL ? KL_MAX_POOL : pool;
    k->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    for (int i = 0; i < k->npool; i++) {
        kl_slot *s = &k->slots[i];
        s->owner = k;
        s->index = i;
        s->fd = -1;
        s->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        pthread_mutex_init(&s->lock, NULL);
        pthread_create(&s->thread, NULL, kl_slot_main, s);
    }
    /* kl_start fails at once when no connection is up: that is for an
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
    for (int i = 0; i < k->npool; i++) {
        pthread_join(k->slots[i].thread, NULL);
        kl_drop(&k->slots[i]);
        pthread_mutex_destroy(&k->slots[i].lock);
        if (k->slots[i].wake >= 0) close(k->slots[i].wake);
    }
    pthread_mutex_lock(&k->mu);
    while (k->npending) kl_finish(k, 0, 0, NULL, 0);
    pthread_mutex_unlock(&k->mu);
    parley_config_free(k->tls);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    pl_free(k);
}
