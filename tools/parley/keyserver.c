/*
 * keyserver.c - `parley keyserver`: holds private keys and answers
 * key-operation requests (docs/keyless.md) from mutually authenticated
 * Parley TLS 1.3 clients. One libuv event loop drives every connection
 * through Parley's sans-I/O core; each operation runs on libuv's worker pool
 * so a slow RSA operation never stalls other clients, and answers are sent
 * in completion order (the protocol's operation ids allow that).
 *
 * What a peer can make it spend is bounded (docs/keyless.md): a connection
 * has --handshake-timeout to authenticate; at most --max-conns connections
 * are open: at the cap a new connection takes the place of the oldest one
 * still unauthenticated, or, when every one is authenticated, it is
 * accepted and closed at once (so a flood of half-open connections cannot
 * lock a reconnecting edge out, and never touches an authenticated one); an
 * authenticated connection has at most --max-inflight operations queued or
 * running, and while it is at that limit, or its unsent answers exceed
 * KS_OUT_HIGH bytes (the client is not reading), the server stops reading
 * from it until the backlog drains: TCP flow control then holds the client.
 * Who gets a connection slot is decided in keyserver_limits.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "keyserver.h"
#include "options.h"

typedef struct {
    uv_work_t work;
    ks_client *c;
    uint8_t req[PARLEY_KEYLESS_REQUEST_SIZE + 64];
    size_t reqlen;
    uint8_t resp[4096];
    size_t resplen;
    int opcode, status;
} ks_job;

static void ks_unref(ks_client *c)
{
    if (--c->refs > 0) return;
    parley_conn_free(c->conn);
    free(c->frames);
    free(c);
}

static void ks_on_close(uv_handle_t *h) { ks_unref((ks_client *)h->data); }

/* One line per client: its identity when it connects; a line at the end
 * only when something went wrong (a refused, cut or misbehaving client).
 * Evictions are counted in the --max-conns line instead. */
static void ks_log_end(ks_client *c, const char *why)
{
    if (why != KS_EVICTED && strcmp(why, "disconnected") && strcmp(why, "closed the connection"))
        fprintf(stderr, "parley keyserver: client %lu %s: %s after %lu operations\n", c->id, c->peer, why, c->ops);
}

void ks_close(ks_client *c, const char *why)
{
    if (c->closing && !c->lingering) return;
    if (!c->lingering) ks_log_end(c, why); /* a lingering one was logged when it began */
    c->closing = 1;
    c->lingering = 0;
    c->srv->nconns--;
    ks_hs_unlink(c);
    uv_close((uv_handle_t *)&c->timer, ks_on_close);
    uv_close((uv_handle_t *)&c->tcp, ks_on_close);
}

static void ks_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void ks_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

/* Lingering after a fatal alert (common.h): the alert is out and the write
 * side shut down; the client's bytes are discarded until it closes, for at
 * most TOOL_LINGER_MS (or --handshake-timeout if shorter) and
 * TOOL_LINGER_BYTES. Closing at once, with its bytes unread, would reset
 * the connection, and the client might never read the alert. */
static void ks_on_linger_timeout(uv_timer_t *t) { ks_close(t->data, "lingered"); }

static void ks_on_linger_shutdown(uv_shutdown_t *req, int status)
{
    ks_client *c = req->data;
    if (c->lingering) {
        if (status < 0) {
            ks_close(c, "lingered");
        } else {
            /* The time bound runs from ks_fail (its timer); here the reading starts. */
            tool_linger_start(&c->linger, uv_now(c->srv->loop), (int)uv_timer_get_due_in(&c->timer));
            uv_read_start((uv_stream_t *)&c->tcp, ks_alloc, ks_on_read);
        }
    }
    ks_unref(c);
}

/* The end of a connection whose TLS failed: lingering if an alert went out,
 * else closed at once. A lingering connection keeps its --max-conns slot and
 * joins the unauthenticated ones, so a new connection at the cap may evict it. */
static void ks_fail(ks_client *c, const char *why)
{
    if (c->closing) return;
    if (!c->conn || parley_conn_alert_sent(c->conn) < 0) {
        ks_close(c, why);
        return;
    }
    /* The bound starts now, not when the shutdown completes (a peer that
     * does not read could delay that for ever), and an unauthenticated
     * connection never outlives its --handshake-timeout. */
    uint64_t ms = (uint64_t)(c->srv->hs_timeout_ms < TOOL_LINGER_MS ? c->srv->hs_timeout_ms : TOOL_LINGER_MS);
    if (c->in_hs && uv_is_active((uv_handle_t *)&c->timer) && uv_timer_get_due_in(&c->timer) < ms)
        ms = uv_timer_get_due_in(&c->timer);
    if (ms == 0) {
        ks_close(c, why);
        return;
    }
    ks_log_end(c, why);
    c->closing = c->lingering = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_timer_stop(&c->timer);
    uv_timer_start(&c->timer, ks_on_linger_timeout, ms, 0);
    ks_hs_add_lingering(c);
    c->shut.data = c;
    c->refs++;
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, ks_on_linger_shutdown) != 0) {
        c->refs--;
        ks_close(c, "lingered");
    }
}

static void ks_frames(ks_client *c);

/* Back-pressure: stop reading from a client that has --max-inflight
 * operations out or does not read its answers; resume when both drain. The
 * client's further requests wait in TCP buffers, and its sends block. */
static void ks_pace(ks_client *c)
{
    if (c->closing || !parley_conn_handshake_done(c->conn)) return;
    size_t out = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    /* Hysteresis: paused, a client resumes only once its answers are down to KS_OUT_LOW. */
    int why = (c->inflight >= c->srv->max_inflight ? 1 : 0) | (out > (c->paused ? KS_OUT_LOW : KS_OUT_HIGH) ? 2 : 0);
    if (why) {
        /* Once per client and reason: it is being held back, not cut. */
        if ((why & 1) && !(c->logged_pause & 1))
            fprintf(stderr, "parley keyserver: client %lu %s: paused reading: %d operations in flight (--max-inflight)\n",
                    c->id, c->peer, c->inflight);
        if ((why & 2) && !(c->logged_pause & 2))
            fprintf(stderr, "parley keyserver: client %lu %s: paused reading: %zu bytes of answers unsent (not reading)\n",
                    c->id, c->peer, out);
        c->logged_pause |= why;
        if (!c->paused) {
            c->paused = 1;
            uv_read_stop((uv_stream_t *)&c->tcp);
        }
    } else if (c->paused) {
        c->paused = 0;
        uv_read_start((uv_stream_t *)&c->tcp, ks_alloc, ks_on_read);
    }
}

static void ks_on_write(uv_write_t *w, int status)
{
    ks_client *c = w->handle->data;
    free(w->data);
    free(w);
    if (status == 0 && c->paused) {
        ks_pace(c);
        ks_frames(c); /* requests read before the pause */
        ks_pace(c);
    }
}

/* Send whatever Parley has queued. */
static void ks_flush(ks_client *c)
{
    const uint8_t *p;
    size_t n;
    if (c->closing) return;
    parley_conn_pending_output(c->conn, &p, &n);
    if (!n) return;
    uv_write_t *w = malloc(sizeof *w);
    char *copy = malloc(n);
    if (!w || !copy) {
        free(w);
        free(copy);
        ks_close(c, "out of memory");
        return;
    }
    memcpy(copy, p, n);
    parley_conn_output_sent(c->conn, n);
    w->data = copy;
    uv_buf_t b = uv_buf_init(copy, (unsigned)n);
    if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, ks_on_write) != 0) {
        free(copy);
        free(w);
        ks_close(c, "write failed");
    }
}

static void ks_work(uv_work_t *w)
{
    ks_job *j = w->data;
    ks_server *s = j->c->srv;
    parley_keyless_msg m;
    int resp;
    size_t used;
    if (parley_keyless_decode(j->req, j->reqlen, &resp, &m, &used) != PARLEY_OK || resp) {
        j->status = -1;
        return;
    }
    j->opcode = m.opcode;
    pthread_rwlock_rdlock(&s->keys_lock);
    if (parley_keystore_answer(s->keys, &m, j->resp, sizeof j->resp, &j->resplen) != PARLEY_OK) j->status = -1;
    pthread_rwlock_unlock(&s->keys_lock);
    if (j->status == 0) {
        parley_keyless_msg r;
        j->status = parley_keyless_decode(j->resp, j->resplen, &resp, &r, &used) == PARLEY_OK ? r.status : -1;
    }
}

static void ks_after_work(uv_work_t *w, int status)
{
    ks_job *j = w->data;
    ks_client *c = j->c;
    (void)status;
    c->inflight--;
    if (!c->closing) {
        if (j->status < 0) {
            ks_close(c, "sent a malformed request");
        } else {
            c->ops++;
            if (c->srv->log_ops)
                fprintf(stderr, "parley keyserver: client %lu: operation %d -> status %d\n", c->id, j->opcode, j->status);
            if (parley_conn_write(c->conn, j->resp, j->resplen) != PARLEY_OK) ks_close(c, parley_conn_error_string(c->conn));
            else ks_flush(c);
        }
        /* A slot is free: requests already read may go, then reading may resume. */
        ks_frames(c);
        ks_pace(c);
    }
    free(j);
    ks_unref(c);
}

/* Complete request frames are handed to the worker pool, at most
 * --max-inflight at a time; the rest wait here (reading is paused meanwhile,
 * so this buffer stays small). */
static void ks_frames(ks_client *c)
{
    size_t off = 0;
    while (!c->closing && c->inflight < c->srv->max_inflight && c->flen - off >= 12) {
        size_t blen = ((size_t)c->frames[off + 8] << 24) | ((size_t)c->frames[off + 9] << 16) |
                      ((size_t)c->frames[off + 10] << 8) | c->frames[off + 11];
        if (blen != PARLEY_KEYLESS_REQUEST_SIZE - 12) {
            /* Every request is 2048 bytes: refuse at the header, buffer nothing. */
            ks_close(c, "sent a frame of the wrong size");
            return;
        }
        if (c->flen - off < 12 + blen) break;
        ks_job *j = calloc(1, sizeof *j);
        if (!j) {
            ks_close(c, "out of memory");
            return;
        }
        j->c = c;
        memcpy(j->req, c->frames + off, 12 + blen);
        j->reqlen = 12 + blen;
        j->work.data = j;
        c->refs++;
        c->inflight++;
        uv_queue_work(c->srv->loop, &j->work, ks_work, ks_after_work);
        off += 12 + blen;
    }
    if (c->closing || off == 0) return;
    memmove(c->frames, c->frames + off, c->flen - off);
    c->flen -= off;
}

static void ks_drive(ks_client *c)
{
    if (!parley_conn_handshake_done(c->conn)) {
        int rc = parley_conn_handshake(c->conn);
        ks_flush(c);
        if (rc == PARLEY_ERROR) {
            ks_fail(c, parley_conn_error_string(c->conn));
            return;
        }
        if (rc != PARLEY_OK) return;
        /* Authenticated: no deadline from here on. An idle pooled edge is not
         * cut (it never pings, so a cut would race its next request); TCP
         * keepalive finds the ones that are gone. */
        uv_timer_stop(&c->timer);
        ks_hs_unlink(c);
        char subj[256] = "?", iss[256], nb[64], na[64];
        parley_conn_peer_cert_info(c->conn, 0, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na);
        fprintf(stderr, "parley keyserver: client %lu %s connected as %s\n", c->id, c->peer, subj);
    }
    for (;;) {
        if (c->fcap - c->flen < 4096) {
            size_t ncap = c->fcap ? c->fcap * 2 : 16384;
            if (ncap > 1 << 20) {
                ks_close(c, "too much unprocessed data");
                return;
            }
            uint8_t *nf = realloc(c->frames, ncap);
            if (!nf) {
                ks_close(c, "out of memory");
                return;
            }
            c->frames = nf;
            c->fcap = ncap;
        }
        size_t n = 0;
        int rc = parley_conn_read(c->conn, c->frames + c->flen, c->fcap - c->flen, &n);
        ks_flush(c);
        if (rc == PARLEY_OK) {
            c->flen += n;
            continue;
        }
        if (rc == PARLEY_CLOSED) ks_close(c, "closed the connection");
        else if (rc == PARLEY_ERROR) ks_fail(c, parley_conn_error_string(c->conn));
        break;
    }
    if (!c->closing) ks_frames(c);
    ks_pace(c);
}

static void ks_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = malloc(16384);
    buf->len = buf->base ? 16384 : 0;
}

static void ks_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    ks_client *c = st->data;
    if (c->lingering) {
        /* Discarded: the end of its stream, an error or the byte bound ends it. */
        if (nread != 0 && tool_linger_read(&c->linger, nread < 0 ? -1 : (long)nread)) ks_close(c, "lingered");
        free(buf->base);
        return;
    }
    if (nread < 0) {
        ks_close(c, nread == UV_EOF ? "disconnected" : uv_strerror((int)nread));
    } else {
        size_t off = 0;
        while (!c->closing && off < (size_t)nread) {
            size_t used = 0;
            parley_conn_recv_bytes(c->conn, (const uint8_t *)buf->base + off, (size_t)nread - off, &used);
            off += used;
            ks_drive(c);
            if (used == 0 && !c->closing) {
                ks_close(c, "stalled");
                break;
            }
        }
    }
    free(buf->base);
}

static void ks_on_handshake_timeout(uv_timer_t *t)
{
    ks_client *c = t->data;
    ks_close(c, "handshake timeout");
}

static void ks_on_connection(uv_stream_t *listener, int status)
{
    ks_server *s = listener->data;
    if (status < 0) return; /* EMFILE: libuv accepts and drops the connection itself */
    if (!ks_admit(s, listener)) return;
    ks_client *c = calloc(1, sizeof *c);
    if (!c) {
        ks_drop_new(s, listener);
        return;
    }
    c->srv = s;
    c->refs = 1;
    c->id = ++s->next_client;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, ks_on_close);
        return;
    }
    s->nconns++;
    ks_hs_append(c);
    if (s->evicted) ks_over_event(s);
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->refs++;
    if (!(c->conn = parley_conn_new_server(s->cfg))) {
        ks_close(c, "cannot make a TLS connection");
        return;
    }
    /* The whole handshake, not each read, has a deadline: a client sending
     * a byte at a time gets no more time than one sending nothing. */
    uv_timer_start(&c->timer, ks_on_handshake_timeout, (uint64_t)s->hs_timeout_ms, 0);
    uv_tcp_keepalive(&c->tcp, 1, 60);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    char host[64] = "?";
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof host);
        else uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof host);
        snprintf(c->peer, sizeof c->peer, "%s:%d", host, ntohs(((struct sockaddr_in *)&ss)->sin_port));
    }
    uv_read_start((uv_stream_t *)&c->tcp, ks_alloc, ks_on_read);
}

static void ks_on_hup(uv_signal_t *h, int sig)
{
    ks_server *s = h->data;
    char err[512];
    (void)sig;
    parley_keystore *n = parley_keystore_load_dir(s->keydir, err, sizeof err);
    if (!n) {
        fprintf(stderr, "parley keyserver: reload failed, keeping the old keys: %s\n", err);
        return;
    }
    pthread_rwlock_wrlock(&s->keys_lock);
    parley_keystore *old = s->keys;
    s->keys = n;
    pthread_rwlock_unlock(&s->keys_lock);
    parley_keystore_free(old);
    fprintf(stderr, "parley keyserver: reloaded %d keys\n", parley_keystore_count(n));
}

int tool_keyserver(int argc, char **argv)
{
    const char *listen_on = "127.0.0.1:8600", *keydir = NULL, *ca = NULL, *cert = NULL, *key = NULL;
    int log_ops = 0, max_conns = 1024, max_inflight = 32, hs_timeout_ms = 10000, check = 0;
    tool_config_load(&argc, &argv); /* --config FILE: its options first */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int at = tool_opt_begin(i);
#define NEXT() tool_opt_value(argc, argv, &i)
        if (!strcmp(a, "--listen")) listen_on = NEXT();
        else if (!strcmp(a, "--keys")) keydir = NEXT();
        else if (!strcmp(a, "--ca")) ca = NEXT();
        else if (!strcmp(a, "--cert")) cert = NEXT();
        else if (!strcmp(a, "--key")) key = NEXT();
        else if (!strcmp(a, "--log-ops")) log_ops = 1;
        else if (!strcmp(a, "--handshake-timeout")) hs_timeout_ms = tool_ms_arg(a, NEXT(), 3600);
        else if (!strcmp(a, "--max-conns")) max_conns = (int)tool_num_arg(a, NEXT(), 1, 1000000);
        else if (!strcmp(a, "--max-inflight")) max_inflight = (int)tool_num_arg(a, NEXT(), 1, 100000);
        else if (!strcmp(a, "--check-config")) check = 1;
        else tool_die("unknown keyserver option %s (see parley --help)", a);
#undef NEXT
        tool_opt_end(at, i);
    }
    if (!keydir || !ca || !cert || !key) tool_die("parley keyserver needs --keys DIR --ca FILE --cert FILE --key FILE");
    char host[256], port[32], err[512];
    tool_opt_point(listen_on);
    if (tool_split_hostport(listen_on, host, sizeof host, port, sizeof port) < 0) tool_die("--listen wants ADDR:PORT");
    ks_server s = {0};
    s.keydir = keydir;
    s.log_ops = log_ops;
    s.hs_timeout_ms = hs_timeout_ms;
    s.max_inflight = max_inflight;
    s.max_conns = check ? max_conns : ks_fit_descriptors(max_conns);
    pthread_rwlock_init(&s.keys_lock, NULL);
    tool_opt_point(keydir);
    if (!(s.keys = parley_keystore_load_dir(keydir, err, sizeof err))) tool_die("%s", err);
    /* The channel: TLS 1.3 only, client certificates from --ca required. */
    s.cfg = parley_config_new();
    tool_opt_point(cert);
    if (parley_config_add_cert_files(s.cfg, cert, key) || parley_config_set_versions(s.cfg, PARLEY_TLS1_3, PARLEY_TLS1_3))
        tool_die("%s", parley_config_error_string(s.cfg));
    tool_opt_point(ca);
    if (parley_config_set_client_ca(s.cfg, ca) || parley_config_set_verify_client(s.cfg, PARLEY_VERIFY_CLIENT_REQUIRE))
        tool_die("%s", parley_config_error_string(s.cfg));
    tool_opt_point(NULL);
    if (check) {
        printf("config ok (%d keys)\n", parley_keystore_count(s.keys));
        parley_config_free(s.cfg);
        parley_keystore_free(s.keys);
        return 0;
    }
    s.loop = uv_default_loop();
    uv_tcp_t listener;
    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, atoi(port), (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(host, atoi(port), (struct sockaddr_in6 *)&addr) != 0)
        tool_die("bad listen address %s", listen_on);
    uv_tcp_init(s.loop, &listener);
    listener.data = &s;
    int rc = uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&listener, 128, ks_on_connection);
    if (rc != 0) {
        fprintf(stderr, "parley keyserver: cannot listen on %s: %s\n", listen_on, uv_strerror(rc));
        return TOOL_EXIT_FAIL;
    }
    uv_timer_init(s.loop, &s.over_timer);
    s.over_timer.data = &s;
    uv_signal_t hup, term;
    uv_signal_init(s.loop, &hup);
    hup.data = &s;
    uv_signal_start(&hup, ks_on_hup, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    (void)term;
    printf("parley keyserver: %d keys, listening on %s\n", parley_keystore_count(s.keys), listen_on);
    fflush(stdout);
    uv_run(s.loop, UV_RUN_DEFAULT);
    return 0;
}
