/*
 * proxy_conn.c - `parley proxy`: a connection's life around the bytes it
 * carries: waiting on the session cache and on keyless operations, its
 * handshake and idle timer, and its end (closing at once or once the client's
 * output is out, the log line, the counters, freeing).
 */
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include "proxy.h"

#ifdef __linux__
#include <linux/sockios.h> /* SIOCOUTQ */
#include <sys/ioctl.h>
#endif

/* Connections waiting on a keyless operation (g_kl_async is the handle the
 * provider's threads wake when one completes). */
static proxy_conn *g_kl_waiting;
uv_async_t g_kl_async;

void kl_wait_add(proxy_conn *pc)
{
    pc->kl_prev = NULL;
    pc->kl_next = g_kl_waiting;
    if (g_kl_waiting) g_kl_waiting->kl_prev = pc;
    g_kl_waiting = pc;
}

void kl_wait_remove(proxy_conn *pc)
{
    if (pc->kl_prev) pc->kl_prev->kl_next = pc->kl_next;
    else g_kl_waiting = pc->kl_next;
    if (pc->kl_next) pc->kl_next->kl_prev = pc->kl_prev;
    pc->kl_prev = pc->kl_next = NULL;
}

/* Memory back to the system once the proxy is idle: glibc keeps what a crowd
 * of connections freed in its arenas, so a proxy that served 10,000
 * connections would otherwise stay at its peak size for good (issue #17:
 * memory back to the baseline). Done at most once per second, only when no
 * connection is open, so it costs nothing under load. */
static uv_timer_t g_trim_timer;
static int g_trim_init;

static void on_trim(uv_timer_t *t)
{
    (void)t;
#ifdef __GLIBC__
    if (g_conns == 0) malloc_trim(0);
#endif
}

static void trim_when_idle(void)
{
    if (!g_trim_init) {
        uv_timer_init(g_loop, &g_trim_timer);
        uv_unref((uv_handle_t *)&g_trim_timer);
        g_trim_init = 1;
    }
    if (!uv_is_active((uv_handle_t *)&g_trim_timer)) uv_timer_start(&g_trim_timer, on_trim, 1000, 0);
}

static void conn_free_if_done(proxy_conn *pc)
{
    /* A session lookup still out holds the TLS connection until it answers. */
    if (pc->handles > 0 || pc->lookup_pending) return;
    parley_conn_free(pc->tls);
    free(pc->pending);
    free(pc->early_held);
    free(pc);
    g_conns--;
    if (g_draining && g_conns == 0) uv_stop(g_loop);
    else if (g_conns == 0) trim_when_idle();
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
    const char *alpn = c && pc->hs_done ? parley_conn_alpn(c) : NULL;
    /* eof=truncated (only then, after the existing fields): the client's
     * stream ended without close_notify (RFC 8446 6.1). early=1 (only then,
     * last): request bytes came as 0-RTT data and were forwarded early.
     * alpn= is the protocol chosen (RFC 7301 3.2), "-" when none was. */
    fprintf(stderr, "parley proxy: client=%s sni=%s version=%s cipher=%s resumed=%s alpn=%s bytes_in=%llu bytes_out=%llu duration_ms=%llu result=%s%s%s\n",
            pc->peer, sni ? sni : "-", pc->hs_done ? parley_version_name(parley_conn_version(c)) : "-",
            pc->hs_done ? parley_cipher_name(parley_conn_cipher(c)) : "-", pc->hs_done && parley_conn_resumed(c) ? "yes" : "no",
            alpn ? alpn : "-",
            (unsigned long long)pc->bytes_up, (unsigned long long)pc->bytes_down,
            (unsigned long long)(now_ms() - pc->started), pc->why ? pc->why : "ok", pc->truncated ? " eof=truncated" : "",
            pc->early_bytes ? " early=1" : "");
}

/* Connections refused over --max-conns are logged one by one up to
 * PROXY_REFUSED_BURST per PROXY_REFUSED_WINDOW_MS; the rest are counted and
 * told in one line when the window ends (and all in --status
 * rejected_max_conns): a flood of connections does not become a flood of
 * log lines. */
#define PROXY_REFUSED_BURST 20
#define PROXY_REFUSED_WINDOW_MS 5000
static uv_timer_t g_refused_timer;
static int g_refused_timer_init;
static uint64_t g_refused_window;
static unsigned g_refused_logged;
static unsigned long long g_refused_unlogged;

static void on_refused_window_end(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "parley proxy: %llu more connections refused over --max-conns in %d s (not logged one by one)\n",
            g_refused_unlogged, PROXY_REFUSED_WINDOW_MS / 1000);
    g_refused_unlogged = 0;
}

/* Whether this refusal gets its own log line; if not, it is counted. */
static int refused_log_line(void)
{
    uint64_t now = now_ms();
    if (!g_refused_logged || now - g_refused_window >= PROXY_REFUSED_WINDOW_MS) {
        g_refused_window = now;
        g_refused_logged = 0;
    }
    if (g_refused_logged < PROXY_REFUSED_BURST) {
        g_refused_logged++;
        return 1;
    }
    if (g_refused_unlogged++ == 0) {
        if (!g_refused_timer_init) {
            uv_timer_init(g_loop, &g_refused_timer);
            uv_unref((uv_handle_t *)&g_refused_timer);
            g_refused_timer_init = 1;
        }
        uv_timer_start(&g_refused_timer, on_refused_window_end, g_refused_window + PROXY_REFUSED_WINDOW_MS - now, 0);
    }
    return 0;
}

/* Close everything now (pending writes are cancelled). */
void conn_close(proxy_conn *pc, const char *why)
{
    if (pc->closing) return;
    pc->closing = 1;
    if (!pc->why) pc->why = why;
    if (strcmp(pc->why ? pc->why : "", "over --max-conns") != 0 || refused_log_line()) log_conn(pc);
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

/* How long to drain (common.h, "Lingering"): TOOL_LINGER_MS, or
 * --handshake-timeout if that is shorter. */
static int linger_ms(const proxy_conn *pc, uint64_t now)
{
    int ms = g_opts->hs_timeout_ms < TOOL_LINGER_MS ? g_opts->hs_timeout_ms : TOOL_LINGER_MS;
    /* A connection that never completed its handshake does not outlive
     * --handshake-timeout by lingering. */
    if (!pc->hs_done) {
        uint64_t end = pc->started + (uint64_t)g_opts->hs_timeout_ms;
        uint64_t left = end > now ? end - now : 0;
        if (left < (uint64_t)ms) ms = (int)left;
    }
    return ms;
}

static void on_client_shutdown(uv_shutdown_t *req, int status)
{
    proxy_conn *pc = req->data;
    /* Written and shut down. Closing now, with the client's bytes unread,
     * would send a reset that can destroy the alert (or close_notify) before
     * the client reads it: read and discard until the client closes, within
     * the bounds of tool_linger (on_client_read, on_timer). The connection
     * still counts against --max-conns meanwhile. */
    if (status < 0 || pc->closing || pc->client_eof) {
        conn_close(pc, NULL);
        return;
    }
    uint64_t now = now_ms();
    int ms = linger_ms(pc, now);
    if (ms == 0) {
        conn_close(pc, NULL);
        return;
    }
    pc->lingering = 1;
    tool_linger_start(&pc->linger, now, ms);
    /* Nothing more goes to the client: the backend is not read meanwhile. */
    if (pc->backend_up && !pc->backend_eof) uv_read_stop((uv_stream_t *)&pc->backend);
    pc->client_paused = 0;
    uv_read_stop((uv_stream_t *)&pc->client);
    uv_read_start((uv_stream_t *)&pc->client, on_alloc, on_client_read);
}

/* Close after what is queued for the client (an alert, close_notify) is out,
 * and the client has closed too (on_client_shutdown). */
void conn_finish(proxy_conn *pc, const char *why)
{
    if (pc->closing || pc->finishing) return;
    pc->finishing = 1;
    if (!pc->why) pc->why = why;
    pc->client_shut.data = pc;
    if (uv_shutdown(&pc->client_shut, (uv_stream_t *)&pc->client, on_client_shutdown) != 0) conn_close(pc, why);
}

/* The session cache answered (Redis, or its timeout): the handshake goes on. */
void on_lookup_done(parley_conn *conn, const uint8_t *val, size_t len)
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

/* How many of the bytes handed to the client's socket the client has taken
 * (acknowledged by its TCP): handed, less what libuv still queues and what
 * the kernel holds unacknowledged (SIOCOUTQ); -1 where that is unknown.
 *
 * Why not the write completions alone: the kernel's send buffer autotunes to
 * megabytes, and a write completes only when it has room again, so a client
 * reading slowly but steadily (80 KB/s) saw no completion for longer than
 * --idle-timeout and was cut while still reading. Bounding SO_SNDBUF instead
 * would make completions frequent but cap every connection's throughput on
 * long paths; asking the kernel costs one ioctl a second, and only while
 * bytes are in flight. A client that does not read still stops taking bytes
 * once its receive window is full, so it is still cut (issue #14). */
static int64_t client_taken_now(proxy_conn *pc)
{
#ifdef SIOCOUTQ
    uv_os_fd_t fd;
    int unacked = 0;
    if (uv_fileno((uv_handle_t *)&pc->client, &fd) != 0 || ioctl(fd, SIOCOUTQ, &unacked) != 0 || unacked < 0) return -1;
    uint64_t held = (uint64_t)uv_stream_get_write_queue_size((uv_stream_t *)&pc->client) + (uint64_t)unacked;
    return pc->client_handed > held ? (int64_t)(pc->client_handed - held) : 0;
#else
    (void)pc;
    return -1;
#endif
}

void on_timer(uv_timer_t *t)
{
    proxy_conn *pc = t->data;
    uint64_t now = now_ms();
    if (pc->closing) return;
    if (pc->lingering) {
        /* Within the tick (PROXY_TICK_MS) of the bound. */
        if (tool_linger_left_ms(&pc->linger, now) == 0) conn_close(pc, NULL);
        return;
    }
    if (!pc->hs_done) {
        if (now - pc->started > (uint64_t)g_opts->hs_timeout_ms)
            conn_close(pc, "handshake timeout");
        return;
    }
    /* Bytes in flight to the client: has it taken more since the last look?
     * That is progress, as a write completing is. */
    if (pc->client_handed > pc->client_taken && now - pc->taken_checked >= PROXY_TAKEN_CHECK_MS) {
        pc->taken_checked = now;
        int64_t taken = client_taken_now(pc);
        if (taken > (int64_t)pc->client_taken) {
            pc->client_taken = (uint64_t)taken;
            pc->last_active = pc->client_stalled_since = now;
        }
    }
    /* Idle: nothing read from either side, or the client not taking what we
     * send. The second holds even while the client keeps sending: reads alone
     * do not keep a connection alive whose output to the client is stuck. */
    if (now - pc->last_active > (uint64_t)g_opts->idle_timeout_ms ||
        (pc->to_client && now - pc->client_stalled_since > (uint64_t)g_opts->idle_timeout_ms))
        conn_close(pc, "idle timeout");
}

/* The keyless provider says an operation completed (on its thread): wake the loop. */
void kl_notify(void *arg)
{
    (void)arg;
    uv_async_send(&g_kl_async);
}

/* On the loop: drive every waiting connection whose operation is done (one
 * wake-up may stand for several completions). The completion ran on a pool
 * thread; parley_conn_pending_key_op / parley_keyless_done see it with
 * acquire (and under the provider's lock), and the loop thread alone touches
 * the connection (parley.h, key providers, "Threading"). */
void on_key_ops_done(uv_async_t *h)
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
