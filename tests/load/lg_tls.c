/*
 * lg_tls.c - one client connection of the load generator: TCP through
 * libuv, TLS through libparley's sans-I/O calls, events to the owner; and the
 * small utilities the modes share (time, addresses, /proc readings, HTTP
 * response framing).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen.h"

typedef struct {
    uv_write_t req;
    lg_tls *t;
    size_t len;
    uint8_t data[];
} lg_write;

static void end(lg_tls *t, const char *fmt, ...)
{
    if (t->ended) return;
    t->ended = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->why_buf, sizeof t->why_buf, fmt, ap);
    va_end(ap);
    t->why = t->why_buf;
    t->on_event(t, LG_EV_END, NULL, 0);
}

/* The TLS connection failed: say why, with the alert if the peer sent one. */
static void end_tls(lg_tls *t)
{
    int a = parley_conn_alert_received(t->conn);
    if (a >= 0) end(t, "alert %s from the server", parley_alert_name(a));
    else end(t, "%s", parley_conn_error_string(t->conn));
}

static void on_write(uv_write_t *req, int status)
{
    lg_write *w = (lg_write *)req;
    lg_tls *t = w->t;
    t->queued -= w->len;
    free(w);
    if (status < 0 && status != UV_ECANCELED && !t->closing) end(t, "write failed: %s", uv_strerror(status));
}

int lg_raw_write(lg_tls *t, const void *buf, size_t len)
{
    if (t->ended || t->closing) return -1;
    const uint8_t *p = buf;
    if (t->queued == 0) {
        /* Straight to the socket when nothing waits; copy only the rest. */
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&t->tcp, &b, 1);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n != UV_EAGAIN) {
            end(t, "write failed: %s", uv_strerror(n));
            return -1;
        }
    }
    if (len == 0) return 0;
    lg_write *w = malloc(sizeof *w + len);
    if (!w) return -1;
    w->t = t;
    w->len = len;
    memcpy(w->data, p, len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&t->tcp, &b, 1, on_write) != 0) {
        free(w);
        end(t, "write failed");
        return -1;
    }
    t->queued += len;
    return 0;
}

int lg_tls_flush(lg_tls *t)
{
    const uint8_t *out;
    size_t len;
    parley_conn_pending_output(t->conn, &out, &len);
    if (!len) return 0;
    int rc = lg_raw_write(t, out, len);
    parley_conn_output_sent(t->conn, len);
    return rc;
}

int lg_tls_write(lg_tls *t, const void *buf, size_t len)
{
    if (t->ended || t->closing) return -1;
    if (parley_conn_write(t->conn, buf, len) != PARLEY_OK) {
        end_tls(t);
        return -1;
    }
    return lg_tls_flush(t);
}

/* Bytes in; handshake or application data out to the owner. */
static void drive(lg_tls *t, const uint8_t *p, size_t n)
{
    static uint8_t app[16384];
    size_t off = 0;
    int stuck = 0;
    for (;;) {
        size_t took = 0;
        if (off < n && parley_conn_recv_bytes(t->conn, p + off, n - off, &took) != PARLEY_OK) {
            end_tls(t);
            return;
        }
        off += took;
        if (!t->hs_done) {
            int rc = parley_conn_handshake(t->conn);
            lg_tls_flush(t);
            if (t->ended || t->closing) return;
            if (rc == PARLEY_ERROR) {
                end_tls(t);
                return;
            }
            if (rc == PARLEY_OK) {
                t->hs_done = 1;
                t->on_event(t, LG_EV_HANDSHAKE, NULL, 0);
                if (t->ended || t->closing) return;
            }
        }
        if (t->hs_done) {
            size_t got;
            int rc;
            while ((rc = parley_conn_read(t->conn, app, sizeof app, &got)) == PARLEY_OK) {
                t->on_event(t, LG_EV_DATA, app, got);
                if (t->ended || t->closing) return;
            }
            lg_tls_flush(t); /* KeyUpdate answers, alerts */
            if (t->ended || t->closing) return;
            if (rc == PARLEY_CLOSED) {
                end(t, "close_notify");
                return;
            }
            if (rc == PARLEY_TRUNCATED) {
                end(t, "truncated (no close_notify)");
                return;
            }
            if (rc == PARLEY_ERROR) {
                end_tls(t);
                return;
            }
        }
        if (off >= n) return;
        /* The record buffer was full; it has been processed now. */
        if (took == 0 && ++stuck > 2) {
            end(t, "input not taken");
            return;
        }
    }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    static char buf[65536];
    (void)h, (void)size;
    *b = uv_buf_init(buf, sizeof buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    lg_tls *t = s->data;
    if (t->ended || t->closing || n == 0) return;
    if (n < 0) {
        if (n == UV_EOF && t->conn) {
            (void)parley_conn_recv_eof(t->conn);
            drive(t, NULL, 0);
        }
        end(t, "%s", n == UV_EOF ? "eof" : uv_strerror((int)n));
        return;
    }
    if (!t->conn) t->on_event(t, LG_EV_DATA, (const uint8_t *)b->base, (size_t)n);
    else drive(t, (const uint8_t *)b->base, (size_t)n);
}

static void on_connect(uv_connect_t *req, int status)
{
    lg_tls *t = req->data;
    if (t->closing) return;
    if (status < 0) {
        end(t, "connect: %s", uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&t->tcp, 1);
    if (!t->no_read) uv_read_start((uv_stream_t *)&t->tcp, on_alloc, on_read);
    t->on_event(t, LG_EV_CONNECTED, NULL, 0);
    if (t->ended || t->closing || !t->conn) return;
    int rc = parley_conn_handshake(t->conn);
    lg_tls_flush(t);
    if (rc == PARLEY_ERROR) end_tls(t);
}

int lg_tls_start(lg_tls *t, uv_loop_t *loop, const struct sockaddr *addr, parley_config *cfg, const char *sni,
                 int no_read)
{
    t->conn = NULL;
    t->no_read = no_read;
    if (cfg && !(t->conn = parley_conn_new_client(cfg, sni))) return -1;
    uv_tcp_init(loop, &t->tcp);
    t->tcp.data = t;
    t->creq.data = t;
    if (uv_tcp_connect(&t->creq, &t->tcp, addr, on_connect) != 0) {
        /* Out of descriptors or ports: the owner hears of it as an end. */
        end(t, "connect failed at once");
        return 0;
    }
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    lg_tls *t = h->data;
    if (t->conn) parley_conn_free(t->conn);
    t->conn = NULL;
    if (t->on_freed) t->on_freed(t);
}

void lg_tls_close(lg_tls *t, int reset)
{
    if (t->closing) return;
    t->closing = 1;
    if (reset && uv_tcp_close_reset(&t->tcp, on_closed) == 0) return;
    uv_close((uv_handle_t *)&t->tcp, on_closed);
}

int lg_tls_peer_gone(lg_tls *t)
{
    uv_os_fd_t fd;
    /* Not knowing is not "gone": the linger time decides then. */
    if (uv_fileno((uv_handle_t *)&t->tcp, &fd) != 0) return 0;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return 0;
    /* CLOSE_WAIT: its FIN came (even with our receive queue full); CLOSE: an RST. */
    return ti.tcpi_state == TCP_CLOSE_WAIT || ti.tcpi_state == TCP_CLOSE || ti.tcpi_state == TCP_LAST_ACK;
}

uint64_t lg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int lg_parse_addr(const char *spec, struct sockaddr_storage *ss)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    int port = atoi(colon + 1);
    if (port <= 0 || port > 65535) return -1;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0) return 0;
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0) return 0;
    return -1;
}

long lg_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    fclose(f);
    return kb;
}

int lg_nfds(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

long lg_http_response_len(const uint8_t *buf, size_t len, int *status, size_t *body_off)
{
    const char *p = (const char *)buf;
    const char *hend = memmem(p, len, "\r\n\r\n", 4);
    if (!hend) return len > 8192 ? -1 : 0;
    size_t hlen = (size_t)(hend - p) + 4;
    if (hlen < 12 || memcmp(p, "HTTP/1.", 7) != 0) return -1;
    *status = atoi(p + 9);
    long clen = -1;
    for (const char *l = memchr(p, '\n', hlen); l && l < hend; l = memchr(l + 1, '\n', (size_t)(hend - l))) {
        if (!strncasecmp(l + 1, "Content-Length:", 15)) clen = atol(l + 16);
    }
    if (clen < 0) return -1;
    *body_off = hlen;
    return hlen + (size_t)clen <= len ? (long)(hlen + (size_t)clen) : 0;
}

long lg_http_feed(uint8_t *buf, size_t cap, size_t *len, const uint8_t *data, size_t n, int *status, size_t *body_off)
{
    if (n > cap - *len) return -1; /* more than any answer here */
    memcpy(buf + *len, data, n);
    *len += n;
    return lg_http_response_len(buf, *len, status, body_off);
}
