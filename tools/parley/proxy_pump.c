/*
 * proxy_pump.c - `parley proxy`: moves the bytes. What the client sends goes
 * into the TLS connection, its plaintext to the backend; what the backend
 * sends goes out as TLS records to the client.
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
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

typedef struct {
    uv_write_t req;
    proxy_conn *pc;
    size_t len;
    int to_client;
    uint8_t data[];
} proxy_write;

static uint8_t g_buf[65536];

/* Why a write failed, for the log's result=: a client's RST is said as such. */
static const char *write_failed(int to_client, int err)
{
    if (!to_client) return "backend write failed";
    return err == UV_ECONNRESET ? "client reset the connection" : "client write failed";
}

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
        conn_close(pc, write_failed(to_client, status));
        return;
    }
    if (to_client) pc->last_active = pc->client_stalled_since = now_ms(); /* the client is reading */
    update_flow(pc);
}

int queue_write(proxy_conn *pc, int to_client, const uint8_t *data, size_t len)
{
    uv_stream_t *s = to_client ? (uv_stream_t *)&pc->client : (uv_stream_t *)&pc->backend;
    /* Nothing queued on that side: try the socket first, and copy only what
     * it did not take (usually nothing: no allocation per record). */
    if ((to_client ? pc->to_client : pc->to_backend) == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write(s, &b, 1);
        if (n > 0) {
            if (to_client) {
                pc->last_active = now_ms();
                pc->client_handed += (size_t)n;
            }
            data += n;
            len -= (size_t)n;
            if (len == 0) {
                update_flow(pc);
                return 0;
            }
        } else if (n != UV_EAGAIN) {
            /* The peer is gone (EPIPE, ECONNRESET): not a shortage of memory. */
            pc->write_error = write_failed(to_client, n);
            return -1;
        }
    }
    proxy_write *w = malloc(sizeof *w + len);
    if (!w) {
        pc->write_error = "out of memory";
        return -1;
    }
    if (to_client && pc->to_client == 0) pc->client_stalled_since = now_ms();
    w->pc = pc;
    w->len = len;
    w->to_client = to_client;
    memcpy(w->data, data, len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    int rc = uv_write(&w->req, s, &b, 1, on_write_done);
    if (rc != 0) {
        free(w);
        pc->write_error = write_failed(to_client, rc);
        return -1;
    }
    if (to_client) {
        pc->to_client += len;
        pc->client_handed += len;
    } else {
        pc->to_backend += len;
    }
    update_flow(pc);
    return 0;
}

void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    /* One buffer for the whole loop: every read is handled before the next. */
    *buf = uv_buf_init((char *)g_buf, sizeof g_buf);
}

/* The one place that decides, from what is queued now, whether each side may
 * be read. Called after every change of the queued bytes (a write queued,
 * taken whole by uv_try_write or completed; plaintext held for or flushed to
 * a backend still connecting): a resume tied to one of those paths only
 * (once, the write callback) left a client paused for good when the socket
 * took everything at once and no callback ever ran. */
void update_flow(proxy_conn *pc)
{
    if (pc->closing || pc->lingering) return; /* lingering: the client only, and only to discard */
    size_t up = pc->to_backend + pc->pending_len;
    /* Plaintext held for a backend still connecting counts too, and so do
     * records waiting for the client: its bytes make some of them. */
    if (!pc->client_paused && (up > PROXY_HIGH || pc->to_client > PROXY_HIGH)) {
        pc->client_paused = 1;
        uv_read_stop((uv_stream_t *)&pc->client);
    } else if (pc->client_paused && up < PROXY_LOW && pc->to_client < PROXY_LOW && !pc->finishing && !pc->client_done) {
        /* The client is read again only when what waits for it has drained too. */
        pc->client_paused = 0;
        uv_read_start((uv_stream_t *)&pc->client, on_alloc, on_client_read);
    }
    if (!pc->backend_up) return;
    if (!pc->backend_paused && pc->to_client > PROXY_HIGH) {
        pc->backend_paused = 1;
        uv_read_stop((uv_stream_t *)&pc->backend);
    } else if (pc->backend_paused && pc->to_client < PROXY_LOW && !pc->backend_eof) {
        pc->backend_paused = 0;
        uv_read_start((uv_stream_t *)&pc->backend, on_alloc, on_backend_read);
    }
}

/* TLS records waiting in the connection go to the client. */
int flush_tls(proxy_conn *pc)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(pc->tls, &d, &n);
    if (!n) return 0;
    if (queue_write(pc, 1, d, n) < 0) return -1;
    parley_conn_output_sent(pc->tls, n);
    return 0;
}

/* Run the TLS connection as far as the bytes it has allow. */
void drive(proxy_conn *pc)
{
    if (pc->closing || pc->finishing) return;
    if (!pc->hs_done) {
        int rc;
        /* 0-RTT data (only with --early-data) goes to the backend now, one
         * record at a time, in a loop: a client sending many small early
         * records must not deepen the stack. */
        while ((rc = parley_conn_handshake(pc->tls)) == PARLEY_EARLY_DATA)
            if (proxy_forward_early(pc) < 0) return;
        if (flush_tls(pc) < 0) {
            conn_close(pc, write_why(pc));
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
        if (proxy_release_early(pc) < 0) return; /* no longer replayable: the held 0-RTT bytes */
        backend_start_reading(pc);
    }
    for (;;) {
        uint8_t buf[16384];
        size_t n = 0;
        int rc = parley_conn_read(pc->tls, buf, sizeof buf, &n);
        if (rc == PARLEY_OK) {
            if (to_backend(pc, buf, n) < 0) {
                conn_close(pc, write_why(pc));
                return;
            }
            continue;
        }
        if (rc == PARLEY_CLOSED || rc == PARLEY_TRUNCATED) {
            /* close_notify: the client is done sending; the answer may still
             * come. An end of stream without it (RFC 8446 6.1: maybe a
             * truncation) ends the request side the same way, with a FIN, not
             * a reset: HTTP clients commonly close so after reading their
             * answer, and the backend tells a cut request by its own framing.
             * What the proxy can tell is shown: the log line and a counter. */
            if (rc == PARLEY_TRUNCATED && !pc->truncated) {
                pc->truncated = 1;
                g_count.truncated++;
            }
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
    if (flush_tls(pc) < 0) conn_close(pc, write_why(pc));
}

void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proxy_conn *pc = s->data;
    if (pc->closing) return;
    if (pc->lingering) {
        /* Discarded; the end of the client's stream, an error or the byte
         * bound ends the lingering (on_client_shutdown). */
        if (n != 0 && tool_linger_read(&pc->linger, n < 0 ? -1 : (long)n)) conn_close(pc, NULL);
        return;
    }
    if (n < 0) {
        pc->client_eof = 1;
        if (!pc->hs_done) {
            conn_close(pc, n == UV_EOF             ? "client closed during the handshake"
                           : n == UV_ECONNRESET ? "client reset the connection during the handshake"
                                                : "client read failed");
            return;
        }
        if (n != UV_EOF) {
            /* An RST (or another read error): the client has thrown away
             * whatever it had and can receive nothing more, so there is no
             * answer to wait for; a record it cut in half is dropped with the
             * connection. Said as what it is, not as the write that would
             * fail next. */
            conn_close(pc, n == UV_ECONNRESET ? "client reset the connection" : "client read failed");
            return;
        }
        /* The end of the client's stream: the library hands out what it
         * still holds, then says whether close_notify came (CLOSED) or not
         * (TRUNCATED: a partial record is dropped); drive() passes both on
         * and ends the request side (the backend's write side is shut down
         * now or, still connecting, once connected and the request is out). */
        uv_read_stop(s);
        pc->client_paused = 0;
        parley_conn_recv_eof(pc->tls);
        drive(pc);
        if (pc->closing) return;
        if (!pc->client_done) {
            /* drive() stopped early (finishing): the request side ends all the same. */
            pc->client_done = 1;
            shutdown_backend(pc);
        }
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

void on_backend_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proxy_conn *pc = s->data;
    if (pc->closing || pc->lingering) return;
    if (n < 0) {
        /* The backend is done: close_notify to the client, then close. */
        pc->backend_eof = 1;
        uv_read_stop(s);
        parley_conn_close(pc->tls);
        if (flush_tls(pc) < 0) conn_close(pc, write_why(pc));
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
    if (flush_tls(pc) < 0) conn_close(pc, write_why(pc));
}
