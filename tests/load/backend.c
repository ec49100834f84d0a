/*
 * backend.c - `loadgen backend --listen HOST:PORT`: the plaintext HTTP/1.1
 * keep-alive server behind `parley proxy` in the scenarios. Each request
 * `GET /PATH` is answered with the body "PATH\n", so a client can check that
 * the answer it got is the answer to its own request; `GET /big` gets 4 MiB
 * (for the clients that never read). Requests are pipelined in order. A
 * connection's unparsed input is bounded (8 KiB); past it, the connection is
 * closed. A request with `Connection: close` is answered, then the
 * connection is shut down (as `parley client` asks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define BE_MAX_INPUT 8192
#define BE_BIG (4u << 20)

typedef struct {
    uv_tcp_t tcp;
    int shut; /* answered a `Connection: close`: reads until the peer closes */
    size_t len;
    char in[BE_MAX_INPUT];
} be_conn;

typedef struct {
    uv_write_t req;
    char data[];
} be_write;

static uint8_t g_big[65536];

static void on_closed(uv_handle_t *h) { free(h->data); }

static void on_shut(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void send_copy(be_conn *c, const char *p, size_t n)
{
    be_write *w = malloc(sizeof *w + n);
    if (!w) return;
    memcpy(w->data, p, n);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) free(w);
}

static void send_big(be_conn *c)
{
    /* 64 writes of one static block: no copy, the kernel and libuv queue it. */
    for (unsigned i = 0; i < BE_BIG / sizeof g_big; i++) {
        uv_write_t *w = malloc(sizeof *w);
        uv_buf_t b = uv_buf_init((char *)g_big, sizeof g_big);
        if (!w || uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
            free(w);
            return;
        }
    }
}

static void answer(be_conn *c, const char *req, size_t len)
{
    /* "GET /path HTTP/1.1" */
    const char *sp1 = memchr(req, ' ', len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - req)) : NULL;
    if (!sp2 || sp1[1] != '/') {
        static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send_copy(c, bad, sizeof bad - 1);
        return;
    }
    size_t plen = (size_t)(sp2 - sp1 - 1);
    char head[160], out[BE_MAX_INPUT + 200];
    if (plen == 4 && !memcmp(sp1 + 1, "/big", 4)) {
        int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", BE_BIG);
        send_copy(c, head, (size_t)n);
        send_big(c);
        return;
    }
    int n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%.*s\n", plen + 1, (int)plen, sp1 + 1);
    send_copy(c, out, (size_t)n);
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    be_conn *c = h->data;
    (void)size;
    *b = uv_buf_init(c->in + c->len, (unsigned)(sizeof c->in - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    be_conn *c = s->data;
    (void)b;
    if (n < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    if (c->shut) return; /* discarded; its EOF closes */
    c->len += (size_t)n;
    char *end;
    while ((end = memmem(c->in, c->len, "\r\n\r\n", 4))) {
        size_t used = (size_t)(end - c->in) + 4;
        answer(c, c->in, used);
        if (memmem(c->in, used, "\r\nConnection: close\r\n", 21)) {
            uv_shutdown_t *sh = malloc(sizeof *sh);
            if (sh && uv_shutdown(sh, (uv_stream_t *)&c->tcp, on_shut) != 0) free(sh);
            c->shut = 1;
            c->len = 0;
            return;
        }
        memmove(c->in, c->in + used, c->len - used);
        c->len -= used;
    }
    if (c->len == sizeof c->in) uv_close((uv_handle_t *)&c->tcp, on_closed); /* a request past the bound */
}

static void on_conn(uv_stream_t *server, int status)
{
    if (status < 0) return;
    be_conn *c = calloc(1, sizeof *c);
    if (!c) return;
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int lg_backend_main(int argc, char **argv)
{
    const char *listen = NULL;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--listen") && i + 1 < argc) listen = argv[++i];
    struct sockaddr_storage ss;
    if (!listen || lg_parse_addr(listen, &ss) != 0) {
        fprintf(stderr, "usage: loadgen backend --listen HOST:PORT\n");
        return 2;
    }
    memset(g_big, 'x', sizeof g_big);
    uv_loop_t *loop = uv_default_loop();
    uv_tcp_t srv;
    uv_tcp_init(loop, &srv);
    int rc = uv_tcp_bind(&srv, (struct sockaddr *)&ss, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)&srv, 4096, on_conn);
    if (rc) {
        fprintf(stderr, "loadgen backend: cannot listen on %s: %s\n", listen, uv_strerror(rc));
        return 1;
    }
    printf("loadgen backend: listening on %s\n", listen);
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
