/*
 * proxy_backend.c - `parley proxy`: the backend side of a connection:
 * connecting once the handshake is done, holding the client's plaintext until
 * then, the PROXY protocol v2 header first, and shutting down its write side.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

struct sockaddr_storage g_backend;

void shutdown_backend(proxy_conn *pc)
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
        /* libuv's codes are negative errno values on Unix: strerror's text. */
        fprintf(stderr, "parley proxy: cannot connect to the backend %s: %s\n", g_opts->backend, strerror(-status));
        g_count.backend_errors++;
        pc->why = "backend unreachable";
        parley_conn_close(pc->tls);
        if (flush_tls(pc) < 0) conn_close(pc, pc->why);
        else conn_finish(pc, pc->why);
        return;
    }
    pc->backend_up = 1;
    if (g_opts->proxy_protocol && send_proxy_header(pc) < 0) {
        conn_close(pc, write_why(pc));
        return;
    }
    if (pc->pending_len) {
        int rc = queue_write(pc, 0, pc->pending, pc->pending_len);
        free(pc->pending);
        pc->pending = NULL;
        pc->pending_len = 0;
        if (rc < 0) {
            conn_close(pc, write_why(pc));
            return;
        }
    }
    /* Connected during 0-RTT: the backend's answer waits until the client's
     * handshake is done (nothing can be written to the client before). */
    if (pc->hs_done) backend_start_reading(pc);
    if (pc->client_done) shutdown_backend(pc);
    update_flow(pc); /* `pending` is gone: the client may be read again */
}

void backend_start_reading(proxy_conn *pc)
{
    if (pc->backend_reading || !pc->backend_up) return;
    pc->backend_reading = 1;
    uv_read_start((uv_stream_t *)&pc->backend, on_alloc, on_backend_read);
}

void connect_backend(proxy_conn *pc)
{
    if (pc->backend_init) return; /* already connecting for early data */
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
int to_backend(proxy_conn *pc, const uint8_t *d, size_t n)
{
    pc->bytes_up += n;
    if (pc->backend_up) return queue_write(pc, 0, d, n);
    uint8_t *p = realloc(pc->pending, pc->pending_len + n);
    if (!p) return -1;
    memcpy(p + pc->pending_len, d, n);
    pc->pending = p;
    pc->pending_len += n;
    update_flow(pc);
    return 0;
}
