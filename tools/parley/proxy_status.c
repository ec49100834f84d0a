/*
 * proxy_status.c - `parley proxy`: the worker's counters, and --status, which
 * answers any request with them as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "proxy.h"

proxy_counters g_count;

/* --status: one HTTP answer with this worker's counters as JSON, then close. */
static void on_status_closed(uv_handle_t *h) { free(h); }
static void on_status_written(uv_write_t *req, int status)
{
    (void)status;
    uv_close((uv_handle_t *)req->handle, on_status_closed);
    free(req);
}

void on_status(uv_stream_t *server, int status)
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
                      "\"rejected_max_conns\": %llu, \"backend_errors\": %llu, \"truncated\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
                      "\"failed_by_reason\": {%s}}\n",
                      (int)getpid(), g_conns, g_count.accepted, g_count.full, g_count.resumed, g_count.failed, g_count.timeouts,
                      g_count.rejected, g_count.backend_errors, g_count.truncated, g_count.bytes_in, g_count.bytes_out, reasons);
    int n = snprintf(out, 1536, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                     bl, body);
    uv_buf_t b = uv_buf_init(out, (unsigned)n);
    if (uv_write(w, (uv_stream_t *)c, &b, 1, on_status_written) != 0) {
        free(w);
        uv_close((uv_handle_t *)c, on_status_closed);
    }
}
