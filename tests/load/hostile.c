/*
 * hostile.c - the hostile clients of the crowd (issue #17): seven ways a
 * peer misbehaves, each on one connection, each needing the server to cut it
 * by a limit of its own. A connection counts as cut when the server ended it
 * (its FIN or RST seen without reading, via TCP_INFO, or a failed write or
 * read); as open if it still stands after the linger time, when we close it
 * ourselves. The reset kind ends its own connection (an RST in the middle of
 * a record) and counts as cut at once: what matters there is what the server
 * logs and frees.
 *
 * Everything is bounded: at most 16 MiB sent per connection, one batch in
 * flight at a time.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* to seal renegotiation ClientHellos with the live keys, as tests/tools/flood_client.c */
#include "loadgen.h"

#define HO_MAX_SENT (16u << 20)
#define HO_TICK_MS 50

typedef struct ho_conn ho_conn;
struct ho_conn {
    lg_tls t; /* first */
    ho_conn *prev, *next;
    int kind, connected, done, port;
    uint64_t started, deadline, next_act;
    size_t sent;
    hostile_stats *st;
};

static const char *const g_names[HOSTILE_KINDS] = {"slowloris", "garbage", "max_client_hello", "reneg_flood",
                                                   "keyupdate_flood", "reset_mid_record", "never_reads"};
static ho_conn *g_list;
static unsigned g_running;
static uv_timer_t g_timer;
static int g_timer_on;
static parley_config *g_cfg12, *g_cfg13;
static FILE *g_log;

const char *hostile_kind_name(int kind) { return kind >= 0 && kind < HOSTILE_KINDS ? g_names[kind] : "?"; }
unsigned hostile_running(void) { return g_running; }

static void on_freed(lg_tls *t) { free(t); }

/* The connection is over: cut by the server, or (open) given up by us. */
static void finish(ho_conn *h, int cut)
{
    if (h->done) return;
    h->done = 1;
    uint64_t ms = lg_now_ms() - h->started;
    const char *outcome = !h->connected ? "unreached" : cut ? "cut" : "open";
    if (!h->connected) h->st->unreached++;
    else if (cut) {
        h->st->cut++;
        if (ms > h->st->cut_ms_max) h->st->cut_ms_max = ms;
    } else h->st->open++;
    if (g_log) fprintf(g_log, "hostile kind=%s port=%d outcome=%s ms=%llu\n", g_names[h->kind], h->port, outcome, (unsigned long long)ms);
    g_running--;
    if (h->prev) h->prev->next = h->next;
    else g_list = h->next;
    if (h->next) h->next->prev = h->prev;
    lg_tls_close(&h->t, !cut);
    if (!g_running && g_timer_on) uv_timer_stop(&g_timer);
}

static const uint8_t g_hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};

/* One step of the misbehaviour, every HO_TICK_MS while nothing waits to go out. */
static void act(ho_conn *h, uint64_t now)
{
    static uint8_t block[PL_MAX_PLAINTEXT];
    lg_tls *t = &h->t;
    if (t->queued || h->sent >= HO_MAX_SENT || now < h->next_act) return;
    switch (h->kind) {
    case HOSTILE_SLOWLORIS: {
        /* A plausible ClientHello start, then zeros, one byte per 500 ms. */
        uint8_t b = h->sent < sizeof g_hello_start ? g_hello_start[h->sent] : 0;
        lg_raw_write(t, &b, 1);
        h->sent++;
        h->next_act = now + 500;
        break;
    }
    case HOSTILE_GARBAGE:
        if (h->sent == 0) {
            /* Plain HTTP to the TLS port, then bytes that frame nothing. */
            static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
            lg_raw_write(t, http, sizeof http - 1);
            for (size_t i = 0; i < 512; i++) block[i] = (uint8_t)(i * 131 + 7);
            lg_raw_write(t, block, 512);
            h->sent = 512 + sizeof http;
        }
        break;
    case HOSTILE_BIG_HELLO: {
        /* A ClientHello announcing 2^24-1 bytes, then full records of it, as
         * fast as the socket takes them: a server that buffered it would grow
         * by megabytes a second. */
        uint8_t hdr[5] = {0x16, 0x03, 0x01, (uint8_t)(sizeof block >> 8), (uint8_t)(sizeof block & 0xff)};
        for (int i = 0; i < 16 && !t->queued && !t->ended && !t->closing; i++) {
            memset(block, 0x41, sizeof block);
            if (h->sent == 0) block[0] = 0x01, block[1] = block[2] = block[3] = 0xff;
            lg_raw_write(t, hdr, sizeof hdr);
            lg_raw_write(t, block, sizeof block);
            h->sent += sizeof hdr + sizeof block;
        }
        break;
    }
    case HOSTILE_RENEG_FLOOD:
        if (!t->hs_done) return;
        /* Records packed with empty ClientHellos (RFC 5746 renegotiation attempts). */
        memset(block, 0, sizeof block);
        for (size_t i = 0; i < sizeof block; i += 4) block[i] = PL_HS_CLIENT_HELLO;
        if (pl_rec_seal12(&t->conn->wr, &t->conn->out, PL_CT_HANDSHAKE, block, sizeof block) < 0) return;
        h->sent += sizeof block;
        lg_tls_flush(t);
        break;
    case HOSTILE_KU_FLOOD:
        if (!t->hs_done) return;
        for (int i = 0; i < 64; i++) (void)parley_conn_key_update(t->conn, 1);
        h->sent += 64 * 22;
        lg_tls_flush(t);
        break;
    case HOSTILE_RESET: {
        if (!t->hs_done) return;
        static const char req[] = "GET /reset HTTP/1.1\r\nHost: localhost\r\n\r\n";
        const uint8_t *out;
        size_t len;
        (void)parley_conn_write(t->conn, (const uint8_t *)req, sizeof req - 1);
        parley_conn_pending_output(t->conn, &out, &len);
        lg_raw_write(t, out, len / 2); /* half a record */
        parley_conn_output_sent(t->conn, len);
        lg_tls_close(t, 1); /* the RST; finish's own close is then a no-op */
        finish(h, 1);
        break;
    }
    case HOSTILE_NEVER_READS: {
        if (!t->hs_done) return;
        static const char req[] = "GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n";
        lg_tls_write(t, req, sizeof req - 1);
        h->sent += sizeof req - 1;
        h->next_act = now + 200;
        break;
    }
    }
}

static void on_tick(uv_timer_t *tm)
{
    (void)tm;
    uint64_t now = lg_now_ms();
    for (ho_conn *h = g_list, *next; h; h = next) {
        next = h->next;
        if (!h->connected) {
            if (now > h->deadline) finish(h, 0);
            continue;
        }
        if (lg_tls_peer_gone(&h->t)) finish(h, 1);
        else if (now > h->deadline) finish(h, 0);
        else act(h, now);
    }
}

static void on_event(lg_tls *t, int ev, const uint8_t *data, size_t len)
{
    ho_conn *h = (ho_conn *)t;
    (void)data, (void)len;
    if (h->done) return;
    if (ev == LG_EV_END) {
        finish(h, 1); /* the server ended it (or refused it) */
    } else if (ev == LG_EV_CONNECTED) {
        h->connected = 1;
        struct sockaddr_storage ss;
        int sl = sizeof ss;
        if (uv_tcp_getsockname(&t->tcp, (struct sockaddr *)&ss, &sl) == 0)
            h->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
        act(h, lg_now_ms());
    } else if (ev == LG_EV_HANDSHAKE) {
        /* From here on these clients never read. */
        uv_read_stop((uv_stream_t *)&t->tcp);
        act(h, lg_now_ms());
    }
}

int hostile_start(uv_loop_t *loop, const struct sockaddr *addr, int kind, const char *sni, int linger_ms,
                  hostile_stats *st, const char *log_path)
{
    if (log_path && !g_log && !(g_log = fopen(log_path, "w"))) return -1;
    if (!g_cfg12) {
        g_cfg12 = parley_config_new();
        g_cfg13 = parley_config_new();
        if (!g_cfg12 || !g_cfg13 || parley_config_set_versions(g_cfg12, PARLEY_TLS1_2, PARLEY_TLS1_2) ||
            parley_config_set_versions(g_cfg13, PARLEY_TLS1_3, PARLEY_TLS1_3) || parley_config_set_verify(g_cfg12, 0) ||
            parley_config_set_verify(g_cfg13, 0))
            return -1;
    }
    ho_conn *h = calloc(1, sizeof *h);
    if (!h) return -1;
    h->kind = kind;
    h->st = st;
    h->t.on_event = on_event;
    h->t.on_freed = on_freed;
    h->started = lg_now_ms();
    h->deadline = h->started + (uint64_t)linger_ms;
    parley_config *cfg = NULL;
    if (kind == HOSTILE_RENEG_FLOOD) cfg = g_cfg12;
    else if (kind >= HOSTILE_KU_FLOOD) cfg = g_cfg13;
    st->started++;
    g_running++;
    h->next = g_list;
    if (g_list) g_list->prev = h;
    g_list = h;
    if (!g_timer_on) {
        uv_timer_init(loop, &g_timer);
        g_timer_on = 1;
    }
    if (!uv_is_active((uv_handle_t *)&g_timer)) uv_timer_start(&g_timer, on_tick, HO_TICK_MS, HO_TICK_MS);
    return lg_tls_start(&h->t, loop, addr, cfg, sni, 0);
}

void hostile_stop_all(void)
{
    while (g_list) finish(g_list, 0);
    if (g_timer_on) uv_close((uv_handle_t *)&g_timer, NULL), g_timer_on = 0;
    if (g_log) fclose(g_log), g_log = NULL;
}
