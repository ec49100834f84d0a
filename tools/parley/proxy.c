/*
 * proxy.c - `parley proxy`: terminates TLS and forwards the plaintext to a
 * backend and back. Each worker runs one libuv loop driving Parley's sans-I/O
 * core: bytes from the client socket go into parley_conn_recv_bytes, records
 * out of parley_conn_pending_output go to uv_write, decrypted data to the
 * backend. Nothing blocks: a connection waiting on a keyless operation sits
 * on a list, and the provider's completion notice (a uv_async) drives the
 * ones whose operation is done.
 *
 * Backpressure: when more than PROXY_HIGH bytes wait to be written to one
 * side, reading from the other side stops until they drain below PROXY_LOW,
 * so a slow reader never makes memory grow without bound. The client's own
 * bytes can make TLS output for the client (alerts, KeyUpdate answers,
 * handshake flights), so reading from the client also stops while more than
 * PROXY_HIGH wait to be written to it: a client that sends but never reads
 * holds at most that much, and its idle timeout ends it. Half-close: the
 * client's close_notify (or EOF) shuts down the backend's write side while the
 * answer still flows back; the backend's EOF sends close_notify and closes
 * once it is out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "server_opts.h"

#define PROXY_HIGH (256 * 1024)
#define PROXY_LOW (64 * 1024)
#define PROXY_TICK_MS 100

typedef struct {
    server_opts tls;
    const char *backend, *status;
    const char *redis;           /* redis://... : made per worker, on its loop */
    int proxy_protocol;
    int max_conns;
    int hs_timeout_ms, idle_timeout_ms;
} proxy_opts;

typedef struct proxy_conn {
    uv_tcp_t client, backend;
    uv_timer_t timer;
    uv_connect_t connect_req;
    uv_shutdown_t client_shut, backend_shut;
    parley_conn *tls;
    int handles;                 /* open libuv handles; freed at 0 */
    int backend_init, backend_up, hs_done, closing, finishing;
    int client_paused, backend_paused, key_op_wait, lookup_pending;
    int client_done;             /* close_notify or EOF from the client */
    int backend_shut_sent, backend_eof;
    size_t to_client, to_backend; /* bytes queued in uv writes */
    uint8_t *pending;            /* plaintext waiting for the backend connection */
    size_t pending_len;
    uint64_t started, last_active, bytes_up, bytes_down;
    uint64_t client_stalled_since; /* while to_client > 0: when the client last took bytes */
    char peer[80];
    struct sockaddr_storage peer_addr, local_addr;
    const char *why;             /* how it ended */
    struct proxy_conn *kl_prev, *kl_next; /* on g_kl_waiting while key_op_wait */
} proxy_conn;

typedef struct {
    uv_write_t req;
    proxy_conn *pc;
    size_t len;
    int to_client;
    uint8_t data[];
} proxy_write;

/* One worker's state (each worker is a process with one loop). */
static uv_loop_t *g_loop;
static parley_config *g_cfg;
static const proxy_opts *g_opts;
static server_opts g_tls; /* this worker's TLS options (its own Redis cache) */
static struct sockaddr_storage g_backend;
/* Connections waiting on a keyless operation, and the handle the provider's
 * threads wake when one completes. */
static proxy_conn *g_kl_waiting;
static uv_async_t g_kl_async;

static void kl_wait_add(proxy_conn *pc)
{
    pc->kl_prev = NULL;
    pc->kl_next = g_kl_waiting;
    if (g_kl_waiting) g_kl_waiting->kl_prev = pc;
    g_kl_waiting = pc;
}

static void kl_wait_remove(proxy_conn *pc)
{
    if (pc->kl_prev) pc->kl_prev->kl_next = pc->kl_next;
    else g_kl_waiting = pc->kl_next;
    if (pc->kl_next) pc->kl_next->kl_prev = pc->kl_prev;
    pc->kl_prev = pc->kl_next = NULL;
}
static uv_tcp_t g_listener;
static int g_conns, g_draining;
static uint8_t g_buf[65536];
/* Counters of this worker, served as JSON on --status. */
static struct {
    unsigned long long accepted, full, resumed, failed, timeouts, rejected, backend_errors, bytes_in, bytes_out;
    unsigned long long by_alert[256]; /* failed handshakes by the alert we sent */
    unsigned long long closed_early;  /* the client left during the handshake */
} g_count;

static uint64_t now_ms(void) { return uv_now(g_loop); }

static void conn_free_if_done(proxy_conn *pc)
{
    /* A session lookup still out holds the TLS connection until it answers. */
    if (pc->handles > 0 || pc->lookup_pending) return;
    parley_conn_free(pc->tls);
    free(pc->pending);
    free(pc);
    g_conns--;
    if (g_draining && g_conns == 0) uv_stop(g_loop);
}

static void on_handle_closed(uv_handle_t *h)
{
    proxy_conn *pc = h->data;
    pc->handles--;
    conn_free_if_done(pc);
}

/* One line per connection: who, what was negotiated, how much, how long, how it ended. */
static void log_conn(proxy_conn *pc)
{
    parley_conn *c = pc->tls;
    const char *sni = c ? parley_conn_server_name(c) : NULL;
    fprintf(stderr, "parley proxy: client=%s sni=%s version=%s cipher=%s resumed=%s bytes_in=%llu bytes_out=%llu duration_ms=%llu result=%s\n",
            pc->peer, sni ? sni : "-", pc->hs_done ? parley_version_name(parley_conn_version(c)) : "-",
            pc->hs_done ? parley_cipher_name(parley_conn_cipher(c)) : "-", pc->hs_done && parley_conn_resumed(c) ? "yes" : "no",
            (unsigned long long)pc->bytes_up, (unsigned long long)pc->bytes_down,
            (unsigned long long)(now_ms() - pc->started), pc->why ? pc->why : "ok");
}

/* Close everything now (pending writes are cancelled). */
static void conn_close(proxy_conn *pc, const char *why)
{
    if (pc->closing) return;
    pc->closing = 1;
    if (!pc->why) pc->why = why;
    log_conn(pc);
    g_count.bytes_in += pc->bytes_up;
    g_count.bytes_out += pc->bytes_down;
    if (!pc->hs_done && pc->why && strstr(pc->why, "timeout")) {
        g_count.timeouts++;
    } else if (!pc->hs_done && pc->why && strcmp(pc->why, "over --max-conns") != 0) {
        g_count.failed++;
        int a = pc->tls ? parley_conn_alert_sent(pc->tls) : -1;
        if (a >= 0 && a < 256) g_count.by_alert[a]++;
        else g_count.closed_early++;
    }
    /* Freeing the connection later cancels its key operation, if still out. */
    if (pc->key_op_wait) kl_wait_remove(pc);
    pc->key_op_wait = 0;
    uv_close((uv_handle_t *)&pc->timer, on_handle_closed);
    uv_close((uv_handle_t *)&pc->client, on_handle_closed);
    if (pc->backend_init) uv_close((uv_handle_t *)&pc->backend, on_handle_closed);
}

static void on_client_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close(req->data, NULL);
}

/* Close after what is queued for the client (an alert, close_notify) is out. */
static void conn_finish(proxy_conn *pc, const char *why)
{
    if (pc->closing || pc->finishing) return;
    pc->finishing = 1;
    if (!pc->why) pc->why = why;
    pc->client_shut.data = pc;
    if (uv_shutdown(&pc->client_shut, (uv_stream_t *)&pc->client, on_client_shutdown) != 0) conn_close(pc, why);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_backend_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_write_done(uv_write_t *req, int status)
{
    proxy_write *w = (proxy_write *)req;
    proxy_conn *pc = w->pc;
    int to_client = w->to_client;
    if (to_client) pc->to_client -= w->len;
    else pc->to_backend -= w->len;
    free(w);
    if (pc->closing) return;
    if (status < 0) {
        conn_close(pc, to_client ? "client write failed" : "backend write failed");
        return;
    }
    if (to_client) pc->last_active = pc->client_stalled_since = now_ms(); /* the client is reading */
    /* Backpressure released: the drained side may read again. The client is
     * read again only when what waits for it has drained too. */
    if (pc->client_paused && pc->to_backend < PROXY_LOW && pc->to_client < PROXY_LOW && !pc->finishing &&
        !pc->client_done) {
        pc->client_paused = 0;
        uv_read_start((uv_stream_t *)&pc->client, on_alloc, on_client_read);
    }
    if (pc->backend_paused && pc->to_client < PROXY_LOW && !pc->backend_eof) {
        pc->backend_paused = 0;
        uv_read_start((uv_stream_t *)&pc->backend, on_alloc, on_backend_read);
    }
}

static int queue_write(proxy_conn *pc, int to_client, const uint8_t *data, size_t len)
{
    uv_stream_t *s = to_client ? (uv_stream_t *)&pc->client : (uv_stream_t *)&pc->backend;
    /* Nothing queued on that side: try the socket first, and copy only what
     * it did not take (usually nothing: no allocation per record). */
    if ((to_client ? pc->to_client : pc->to_backend) == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write(s, &b, 1);
        if (n > 0) {
            if (to_client) pc->last_active = now_ms();
            data += n;
            len -= (size_t)n;
            if (len == 0) return 0;
        } else if (n != UV_EAGAIN) {
            return -1;
        }
    }
    proxy_write *w = malloc(sizeof *w + len);
    if (!w) return -1;
    if (to_client && pc->to_client == 0) pc->client_stalled_since = now_ms();
    w->pc = pc;
    w->len = len;
    w->to_client = to_client;
    memcpy(w->data, data, len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    if (uv_write(&w->req, s, &b, 1, on_write_done) != 0) {
        free(w);
        return -1;
    }
    if (to_client) pc->to_client += len;
    else pc->to_backend += len;
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    /* One buffer for the whole loop: every read is handled before the next. */
    *buf = uv_buf_init((char *)g_buf, sizeof g_buf);
}

static void pause_reading(proxy_conn *pc)
{
    /* Plaintext held for a backend still connecting counts too, and so do
     * records waiting for the client: its bytes make some of them. */
    if (!pc->client_paused && (pc->to_backend + pc->pending_len > PROXY_HIGH || pc->to_client > PROXY_HIGH)) {
        pc->client_paused = 1;
        uv_read_stop((uv_stream_t *)&pc->client);
    }
    if (pc->backend_up && !pc->backend_paused && pc->to_client > PROXY_HIGH) {
        pc->backend_paused = 1;
        uv_read_stop((uv_stream_t *)&pc->backend);
    }
}

/* TLS records waiting in the connection go to the client. */
static int flush_tls(proxy_conn *pc)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(pc->tls, &d, &n);
    if (!n) return 0;
    if (queue_write(pc, 1, d, n) < 0) return -1;
    parley_conn_output_sent(pc->tls, n);
    pause_reading(pc);
    return 0;
}

static void shutdown_backend(proxy_conn *pc)
{
    if (!pc->backend_up || pc->backend_shut_sent) return;
    pc->backend_shut_sent = 1;
    pc->backend_shut.data = pc;
    uv_shutdown(&pc->backend_shut, (uv_stream_t *)&pc->backend, NULL);
}

/* PROXY protocol v2 (haproxy.org proxy-protocol.txt 2.2): the client's address to the backend. */
static int send_proxy_header(proxy_conn *pc)
{
    static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    uint8_t h[16 + 36];
    size_t n = 16;
    memcpy(h, sig, 12);
    h[12] = 0x21; /* version 2, PROXY */
    if (pc->peer_addr.ss_family == AF_INET) {
        const struct sockaddr_in *s = (const void *)&pc->peer_addr, *d = (const void *)&pc->local_addr;
        h[13] = 0x11; /* TCP over IPv4 */
        memcpy(h + n, &s->sin_addr, 4);
        memcpy(h + n + 4, &d->sin_addr, 4);
        memcpy(h + n + 8, &s->sin_port, 2);
        memcpy(h + n + 10, &d->sin_port, 2);
        n += 12;
    } else {
        const struct sockaddr_in6 *s = (const void *)&pc->peer_addr, *d = (const void *)&pc->local_addr;
        h[13] = 0x21; /* TCP over IPv6 */
        memcpy(h + n, &s->sin6_addr, 16);
        memcpy(h + n + 16, &d->sin6_addr, 16);
        memcpy(h + n + 32, &s->sin6_port, 2);
        memcpy(h + n + 34, &d->sin6_port, 2);
        n += 36;
    }
    h[14] = (uint8_t)((n - 16) >> 8);
    h[15] = (uint8_t)(n - 16);
    return queue_write(pc, 0, h, n);
}

static void on_backend_connect(uv_connect_t *req, int status)
{
    proxy_conn *pc = req->data;
    if (pc->closing) return;
    if (status < 0) {
        /* The client learns the connection ended (close_notify), not why. */
        fprintf(stderr, "parley proxy: backend %s: %s\n", g_opts->backend, uv_strerror(status));
        g_count.backend_errors++;
        pc->why = "backend unreachable";
        parley_conn_close(pc->tls);
        if (flush_tls(pc) < 0) conn_close(pc, pc->why);
        else conn_finish(pc, pc->why);
        return;
    }
    pc->backend_up = 1;
    if (g_opts->proxy_protocol && send_proxy_header(pc) < 0) {
        conn_close(pc, "out of memory");
        return;
    }
    if (pc->pending_len) {
        int rc = queue_write(pc, 0, pc->pending, pc->pending_len);
        free(pc->pending);
        pc->pending = NULL;
        pc->pending_len = 0;
        if (rc < 0) {
            conn_close(pc, "out of memory");
            return;
        }
    }
    uv_read_start((uv_stream_t *)&pc->backend, on_alloc, on_backend_read);
    if (pc->client_done) shutdown_backend(pc);
    pause_reading(pc);
}

static void connect_backend(proxy_conn *pc)
{
    uv_tcp_init(g_loop, &pc->backend);
    pc->backend.data = pc;
    pc->backend_init = 1;
    pc->handles++;
    uv_tcp_nodelay(&pc->backend, 1);
    pc->connect_req.data = pc;
    if (uv_tcp_connect(&pc->connect_req, &pc->backend, (const struct sockaddr *)&g_backend, on_backend_connect) != 0)
        conn_close(pc, "backend connect failed");
}

/* Plaintext from the client to the backend (held until it is connected). */
static int to_backend(proxy_conn *pc, const uint8_t *d, size_t n)
{
    pc->bytes_up += n;
    if (pc->backend_up) return queue_write(pc, 0, d, n);
    uint8_t *p = realloc(pc->pending, pc->pending_len + n);
    if (!p) return -1;
    memcpy(p + pc->pending_len, d, n);
    pc->pending = p;
    pc->pending_len += n;
    return 0;
}

/* Run the TLS connection as far as the bytes it has allow. */
static void drive(proxy_conn *pc)
{
    if (pc->closing || pc->finishing) return;
    if (!pc->hs_done) {
        int rc = parley_conn_handshake(pc->tls);
        if (flush_tls(pc) < 0) {
            conn_close(pc, "out of memory");
            return;
        }
        if (rc == PARLEY_WANT_SESSION) {
            pc->lookup_pending = 1; /* on_lookup_done drives it on */
            return;
        }
        int was_waiting = pc->key_op_wait;
        pc->key_op_wait = rc == PARLEY_WANT_KEY_OP;
        if (rc == PARLEY_WANT_KEY_OP) {
            if (!was_waiting) kl_wait_add(pc); /* on_key_ops_done drives it on */
            return;
        }
        if (was_waiting) kl_wait_remove(pc);
        if (rc == PARLEY_WANT_READ) return;
        if (rc != PARLEY_OK) {
            pc->why = parley_conn_error_string(pc->tls);
            conn_finish(pc, pc->why);
            return;
        }
        pc->hs_done = 1;
        if (parley_conn_resumed(pc->tls)) g_count.resumed++;
        else g_count.full++;
        connect_backend(pc);
        if (pc->closing) return;
    }
    for (;;) {
        uint8_t buf[16384];
        size_t n = 0;
        int rc = parley_conn_read(pc->tls, buf, sizeof buf, &n);
        if (rc == PARLEY_OK) {
            if (to_backend(pc, buf, n) < 0) {
                conn_close(pc, "out of memory");
                return;
            }
            continue;
        }
        if (rc == PARLEY_CLOSED) {
            /* close_notify: the client is done sending; the answer may still come. */
            pc->client_done = 1;
            shutdown_backend(pc);
            break;
        }
        if (rc != PARLEY_WANT_READ) {
            pc->why = parley_conn_error_string(pc->tls);
            flush_tls(pc);
            conn_finish(pc, pc->why);
            return;
        }
        break;
    }
    if (flush_tls(pc) < 0) conn_close(pc, "out of memory");
    else pause_reading(pc);
}

/* The session cache answered (Redis, or its timeout): the handshake goes on. */
static void on_lookup_done(parley_conn *conn, const uint8_t *val, size_t len)
{
    proxy_conn *pc = parley_conn_get_userdata(conn);
    pc->lookup_pending = 0;
    if (pc->closing) {
        conn_free_if_done(pc);
        return;
    }
    parley_conn_session_found(conn, val, len);
    drive(pc);
}

static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proxy_conn *pc = s->data;
    if (pc->closing) return;
    if (n < 0) {
        if (!pc->hs_done) {
            conn_close(pc, n == UV_EOF ? "client closed during the handshake" : "client read failed");
            return;
        }
        /* EOF without close_notify ends the request side all the same. */
        pc->client_done = 1;
        uv_read_stop(s);
        shutdown_backend(pc); /* or, still connecting, once connected and the request is out */
        if (pc->backend_eof) conn_close(pc, NULL);
        return;
    }
    pc->last_active = now_ms();
    size_t off = 0;
    while (off < (size_t)n) {
        size_t used = 0;
        if (parley_conn_recv_bytes(pc->tls, (const uint8_t *)buf->base + off, (size_t)n - off, &used) != PARLEY_OK) {
            drive(pc);
            return;
        }
        off += used;
        drive(pc); /* consumes records, so the next bytes fit */
        if (pc->closing || pc->finishing) return;
        if (!used) {
            /* A full record buffer nothing could drain (a client sending on
             * while its handshake waits for a key operation): cut it off. */
            conn_close(pc, "client sent more than can be buffered");
            return;
        }
    }
}

static void on_backend_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proxy_conn *pc = s->data;
    if (pc->closing) return;
    if (n < 0) {
        /* The backend is done: close_notify to the client, then close. */
        pc->backend_eof = 1;
        uv_read_stop(s);
        parley_conn_close(pc->tls);
        if (flush_tls(pc) < 0) conn_close(pc, "out of memory");
        else conn_finish(pc, NULL);
        return;
    }
    pc->last_active = now_ms();
    pc->bytes_down += (size_t)n;
    if (parley_conn_write(pc->tls, (const uint8_t *)buf->base, (size_t)n) != PARLEY_OK) {
        pc->why = parley_conn_error_string(pc->tls);
        flush_tls(pc);
        conn_finish(pc, pc->why);
        return;
    }
    if (flush_tls(pc) < 0) conn_close(pc, "out of memory");
}

static void on_timer(uv_timer_t *t)
{
    proxy_conn *pc = t->data;
    uint64_t now = now_ms();
    if (pc->closing) return;
    if (!pc->hs_done) {
        if (now - pc->started > (uint64_t)g_opts->hs_timeout_ms)
            conn_close(pc, "handshake timeout");
        return;
    }
    /* Idle: nothing read from either side, or the client not reading what we
     * send. The second holds even while the client keeps sending: reads alone
     * do not keep a connection alive whose output to the client is stuck. */
    if (now - pc->last_active > (uint64_t)g_opts->idle_timeout_ms ||
        (pc->to_client && now - pc->client_stalled_since > (uint64_t)g_opts->idle_timeout_ms))
        conn_close(pc, "idle timeout");
}

/* The keyless provider says an operation completed (on its thread): wake the loop. */
static void kl_notify(void *arg)
{
    (void)arg;
    uv_async_send(&g_kl_async);
}

/* On the loop: drive every waiting connection whose operation is done (one
 * wake-up may stand for several completions). */
static void on_key_ops_done(uv_async_t *h)
{
    (void)h;
    proxy_conn *pc = g_kl_waiting, *next;
    for (; pc; pc = next) {
        next = pc->kl_next;
        parley_key_op *op = parley_conn_pending_key_op(pc->tls);
        if (op && !parley_keyless_done(server_keyless, op)) continue;
        kl_wait_remove(pc);
        pc->key_op_wait = 0;
        drive(pc);
    }
}

static void on_dropped_close(uv_handle_t *h) { free(h); }

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) return;
    proxy_conn *pc = calloc(1, sizeof *pc);
    if (!pc) {
        /* Accept and close it: a connection left unaccepted makes libuv stop
         * watching the listener until one is accepted, for good. */
        uv_tcp_t *t = malloc(sizeof *t);
        if (!t) return;
        uv_tcp_init(g_loop, t);
        uv_accept(server, (uv_stream_t *)t);
        uv_close((uv_handle_t *)t, on_dropped_close);
        return;
    }
    g_conns++;
    uv_tcp_init(g_loop, &pc->client);
    pc->client.data = pc;
    pc->handles = 2; /* client and timer */
    uv_timer_init(g_loop, &pc->timer);
    pc->timer.data = pc;
    pc->started = pc->last_active = now_ms();
    if (uv_accept(server, (uv_stream_t *)&pc->client) != 0) {
        pc->why = "accept failed";
        conn_close(pc, pc->why);
        return;
    }
    int len = sizeof pc->peer_addr;
    uv_tcp_getpeername(&pc->client, (struct sockaddr *)&pc->peer_addr, &len);
    len = sizeof pc->local_addr;
    uv_tcp_getsockname(&pc->client, (struct sockaddr *)&pc->local_addr, &len);
    char h[64] = "?", p[16] = "?";
    getnameinfo((struct sockaddr *)&pc->peer_addr, sizeof pc->peer_addr, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(pc->peer, sizeof pc->peer, "%s:%s", h, p);
    uv_timer_start(&pc->timer, on_timer, PROXY_TICK_MS, PROXY_TICK_MS);
    g_count.accepted++;
    if (g_conns > g_opts->max_conns) {
        g_count.rejected++;
        conn_close(pc, "over --max-conns");
        return;
    }
    pc->tls = parley_conn_new_server(g_cfg);
    if (!pc->tls) {
        conn_close(pc, "cannot make a TLS connection");
        return;
    }
    parley_conn_set_userdata(pc->tls, pc);
    uv_tcp_nodelay(&pc->client, 1);
    uv_read_start((uv_stream_t *)&pc->client, on_alloc, on_client_read);
}

/* --status: one HTTP answer with this worker's counters as JSON, then close. */
static void on_status_closed(uv_handle_t *h) { free(h); }
static void on_status_written(uv_write_t *req, int status)
{
    (void)status;
    uv_close((uv_handle_t *)req->handle, on_status_closed);
    free(req);
}

static void on_status(uv_stream_t *server, int status)
{
    if (status < 0) return;
    uv_tcp_t *c = malloc(sizeof *c);
    uv_write_t *w = malloc(sizeof *w + 1536);
    if (!c || !w) {
        free(c);
        free(w);
        return;
    }
    uv_tcp_init(g_loop, c);
    if (uv_accept(server, (uv_stream_t *)c) != 0) {
        free(w);
        uv_close((uv_handle_t *)c, on_status_closed);
        return;
    }
    char body[1200], reasons[512] = "", *out = (char *)(w + 1);
    size_t rl = 0;
    /* Failed handshakes by reason: the alert sent, or the client leaving. */
    rl += (size_t)snprintf(reasons + rl, sizeof reasons - rl, "\"client_closed\": %llu", g_count.closed_early);
    for (int i = 0; i < 256 && rl < sizeof reasons - 64; i++)
        if (g_count.by_alert[i]) rl += (size_t)snprintf(reasons + rl, sizeof reasons - rl, ", \"%s\": %llu", parley_alert_name(i), g_count.by_alert[i]);
    int bl = snprintf(body, sizeof body,
                      "{\"pid\": %d, \"open_connections\": %d, \"accepted\": %llu, \"handshakes_full\": %llu, "
                      "\"handshakes_resumed\": %llu, \"handshakes_failed\": %llu, \"handshake_timeouts\": %llu, "
                      "\"rejected_max_conns\": %llu, \"backend_errors\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
                      "\"failed_by_reason\": {%s}}\n",
                      (int)getpid(), g_conns, g_count.accepted, g_count.full, g_count.resumed, g_count.failed, g_count.timeouts,
                      g_count.rejected, g_count.backend_errors, g_count.bytes_in, g_count.bytes_out, reasons);
    int n = snprintf(out, 1536, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                     bl, body);
    uv_buf_t b = uv_buf_init(out, (unsigned)n);
    if (uv_write(w, (uv_stream_t *)c, &b, 1, on_status_written) != 0) {
        free(w);
        uv_close((uv_handle_t *)c, on_status_closed);
    }
}

static int listen_on(const char *spec, int reuseport, uv_tcp_t *h, uv_connection_cb cb)
{
    int fd = tool_bind(spec, reuseport);
    if (fd < 0) return -1;
    uv_tcp_init(g_loop, h);
    return uv_tcp_open(h, fd) == 0 && uv_listen((uv_stream_t *)h, 511, cb) == 0 ? 0 : -1;
}

static uv_timer_t g_drain_timer;
static void on_drain_deadline(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "parley proxy: %d connections still open after 10 s; stopping anyway\n", g_conns);
    uv_stop(g_loop);
}

static void on_signal(uv_signal_t *s, int sig)
{
    if (sig == SIGHUP) {
        if (g_opts->tls.keyless) {
            /* Keyless: the certificates stay; ticket keys are re-read. */
            if (parley_config_reload_ticket_keys(g_cfg) == PARLEY_OK) fprintf(stderr, "parley proxy: ticket keys reloaded\n");
            return;
        }
        /* A new config from the same options re-reads certificates, CRLs and
         * ticket keys; open connections keep the config they started with
         * (each holds a reference), new ones get the new one. */
        parley_config *fresh = server_opts_config(&g_tls, 0);
        if (!fresh) {
            fprintf(stderr, "parley proxy: reload failed; the previous certificates stay\n");
            return;
        }
        parley_config_free(g_cfg);
        g_cfg = fresh;
        fprintf(stderr, "parley proxy: certificates and ticket keys reloaded\n");
        return;
    }
    /* SIGTERM: stop accepting, let the open connections finish (10 s at most). */
    (void)s;
    if (g_draining) return;
    g_draining = 1;
    fprintf(stderr, "parley proxy: stopping (pid %d): %d connections to finish\n", (int)getpid(), g_conns);
    uv_close((uv_handle_t *)&g_listener, NULL);
    uv_timer_init(g_loop, &g_drain_timer);
    uv_timer_start(&g_drain_timer, on_drain_deadline, 10000, 0);
    uv_unref((uv_handle_t *)&g_drain_timer);
    if (g_conns == 0) uv_stop(g_loop);
}

static int proxy_run(void *arg)
{
    const proxy_opts *o = arg;
    g_opts = o;
    g_loop = uv_default_loop();
    g_tls = o->tls;
    if (o->redis && !(g_tls.cache = tool_redis_async_cache_new(o->redis, g_loop, on_lookup_done)))
        tool_die("--session-cache redis://HOST:PORT[/DB], got %s", o->redis);
    g_cfg = server_opts_config(&g_tls, 1);
    if (server_keyless) {
        uv_async_init(g_loop, &g_kl_async, on_key_ops_done);
        uv_unref((uv_handle_t *)&g_kl_async);
        parley_keyless_set_notify(server_keyless, kl_notify, NULL);
    }
    if (listen_on(o->tls.listen_on, o->tls.reuseport, &g_listener, on_connection) < 0) {
        fprintf(stderr, "parley proxy: cannot listen on %s: %s\n", o->tls.listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    static uv_tcp_t status;
    if (o->status && listen_on(o->status, o->tls.reuseport, &status, on_status) < 0) {
        fprintf(stderr, "parley proxy: cannot listen on %s (--status)\n", o->status);
        return TOOL_EXIT_FAIL;
    }
    if (o->status) uv_unref((uv_handle_t *)&status);
    signal(SIGPIPE, SIG_IGN);
    uv_signal_t term, hup;
    uv_signal_init(g_loop, &term);
    uv_signal_start(&term, on_signal, SIGTERM);
    uv_signal_init(g_loop, &hup);
    uv_signal_start(&hup, on_signal, SIGHUP);
    uv_unref((uv_handle_t *)&term);
    uv_unref((uv_handle_t *)&hup);
    printf("proxy listening on %s -> %s (pid %d)\n", o->tls.listen_on, o->backend, (int)getpid());
    fflush(stdout);
    uv_run(g_loop, UV_RUN_DEFAULT);
    if (server_keyless) parley_keyless_set_notify(server_keyless, NULL, NULL);
    fprintf(stderr, "parley proxy: stopped (pid %d)\n", (int)getpid());
    parley_config_free(g_cfg);
    server_opts_keyless_free();
    return 0;
}

static int proxy_run_worker(void *arg) { return proxy_run(arg); }

int tool_proxy(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--config")) {
            tool_read_config(argv[i + 1], &argc, &argv);
            break;
        }
    proxy_opts o = {.tls = {.listen_on = "127.0.0.1:8443", .kl_timeout = 2000, .kl_pool = 2},
                    .hs_timeout_ms = 10000,
                    .idle_timeout_ms = 60000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (tool_die("%s needs a value", a), (char *)NULL))
        if (!strcmp(a, "--backend")) o.backend = NEXT();
        else if (!strcmp(a, "--status")) o.status = NEXT();
        else if (!strcmp(a, "--proxy-protocol")) o.proxy_protocol = 1;
        else if (!strcmp(a, "--max-conns")) o.max_conns = atoi(NEXT());
        else if (!strcmp(a, "--handshake-timeout")) o.hs_timeout_ms = (int)(atof(NEXT()) * 1000);
        else if (!strcmp(a, "--idle-timeout")) o.idle_timeout_ms = (int)(atof(NEXT()) * 1000);
        else if (!server_opt(&o.tls, argc, argv, &i)) tool_die("unknown proxy option %s (see parley --help)", a);
#undef NEXT
    }
    if (!o.backend) tool_die("parley proxy needs --backend HOST:PORT");
    if (o.max_conns < 0) tool_die("--max-conns wants a number of connections >= 1");
    if (o.max_conns == 0) {
        /* Default: as many as the descriptor limit allows (each connection
         * holds two, client and backend; some are kept for listeners, the
         * status port and the key server), so a flood of connections is
         * refused by the cap, with a log line, rather than by EMFILE. */
        struct rlimit rl;
        long fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
        o.max_conns = fds > 128 ? (int)((fds - 64) / 2) : 32;
    }
    char host[256], port[32];
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (tool_split_hostport(o.backend, host, sizeof host, port, sizeof port) < 0 || getaddrinfo(host, port, &hints, &res) != 0)
        tool_die("cannot resolve the backend %s", o.backend);
    memcpy(&g_backend, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    /* Workers share sessions through one shared-memory cache unless told otherwise. */
    if (o.tls.workers > 1 && !o.tls.cache_spec) o.tls.cache_spec = "shm:4m";
    if (o.tls.cache_spec && !strncmp(o.tls.cache_spec, "redis://", 8)) {
        /* Each worker makes its own non-blocking Redis cache on its loop. */
        o.redis = o.tls.hosts_cache = o.tls.cache_spec;
        o.tls.cache_spec = NULL;
    }
    server_opts_finish(&o.tls);
    if (o.tls.workers <= 1) return proxy_run(&o);
    o.tls.reuseport = 1;
    return server_run_workers(o.tls.workers, proxy_run_worker, &o, "proxy");
}
