/*
 * crowd.c - `loadgen crowd`: N TLS connections opened over --ramp-ms, a
 * share of them hostile (hostile.c), the rest well-behaved keep-alive
 * clients. A good client makes a request every --interval-ms and checks
 * that the answer is the one to its own request (the backend echoes the
 * path); after --requests answers it keeps the connection open, with a
 * request every --keepalive-ms (1500 by default; less than the server's idle
 * timeout) so no idle timeout applies, until
 * every good client has connected, so that they are all open at once; then
 * it closes with close_notify. Watched processes (--watch-pid) are sampled
 * every 100 ms for resident memory and descriptors. Prints
 *
 *   crowd: conns=N good=G hostile=H tls12=T
 *   crowd: peak_concurrent_good=P
 *   crowd: requests_sent= answers_ok= answers_bad= lost= handshake_failed= broken=
 *   crowd: all G good connections settled after MS ms (U up)   (once, as it happens)
 *   crowd: hostile kind=NAME started= cut= open_at_end= unreached= cut_ms_max=   (one per kind)
 *   crowd: pid=PID rss_kb_start= rss_kb_peak= rss_kb_end= fds_start= fds_peak= fds_end=
 *   crowd: seconds=S
 *
 * and exits 0 when no request was lost or answered wrongly, every good
 * handshake succeeded and every hostile connection reached the server and was
 * cut by it; 1 otherwise. --hostile-log FILE gets one line per hostile
 * connection (hostile.c), to be joined with the server's own log by port.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define CR_MAX_WATCH 8

typedef struct {
    lg_tls t; /* first */
    int idx, answered, outstanding, up, finished;
    uint64_t last_req;
    size_t len;
    uint8_t buf[512];
    char path[48];
} cr_conn;

typedef struct {
    int pid;
    long rss_start, rss_peak, rss_end;
    int fds_start, fds_peak, fds_end;
} cr_watch;

static struct {
    uv_loop_t *loop;
    parley_config *cfg13, *cfg12;
    struct sockaddr_storage addr;
    const char *sni;
    int conns, hostile_pct, requests, interval, ramp, max_s, tls12_pct, linger, keepalive;
    int launched, good, hostile, tls12, settled, up_now, peak, open_good;
    unsigned sent, ok, bad, lost, hs_failed, broken;
    hostile_stats hs[HOSTILE_KINDS];
    cr_conn **list;
    int nlist;
    cr_watch watch[CR_MAX_WATCH];
    int nwatch;
    uint64_t t0, last_sample;
    uv_timer_t tick;
    int over, said_up;
    const char *hostile_log;
} C;

static void sample(int first)
{
    for (int i = 0; i < C.nwatch; i++) {
        cr_watch *w = &C.watch[i];
        long r = lg_rss_kb(w->pid);
        int f = lg_nfds(w->pid);
        if (first) w->rss_start = w->rss_peak = r, w->fds_start = w->fds_peak = f;
        if (r > w->rss_peak) w->rss_peak = r;
        if (f > w->fds_peak) w->fds_peak = f;
        w->rss_end = r, w->fds_end = f;
    }
}

static void on_freed(lg_tls *t) { (void)t; /* the connection stays in C.list until the end */ }

static void good_end(cr_conn *c, int closed_by_us)
{
    if (c->finished) return;
    c->finished = 1;
    if (c->up) C.up_now--;
    else C.settled++, C.hs_failed++;
    if (c->outstanding) C.lost++;
    if (!closed_by_us && c->up) C.broken++;
    C.open_good--;
}

static void send_request(cr_conn *c)
{
    char req[160];
    snprintf(c->path, sizeof c->path, "/c/%d/%d", c->idx, c->answered);
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", c->path, C.sni);
    c->outstanding = 1;
    c->len = 0;
    c->last_req = lg_now_ms();
    C.sent++;
    lg_tls_write(&c->t, req, (size_t)n);
}

static void on_event(lg_tls *t, int ev, const uint8_t *data, size_t len)
{
    cr_conn *c = (cr_conn *)t;
    if (c->finished || ev == LG_EV_CONNECTED) return;
    if (ev == LG_EV_END) {
        if (!c->up || c->outstanding)
            fprintf(stderr, "crowd: good client %d: %s%s\n", c->idx, c->up ? "ended with a request out: " : "handshake failed: ",
                    t->why);
        good_end(c, 0);
        lg_tls_close(t, 0);
        return;
    }
    if (ev == LG_EV_HANDSHAKE) {
        c->up = 1;
        C.settled++;
        if (++C.up_now > C.peak) C.peak = C.up_now;
        send_request(c);
        return;
    }
    if (!c->outstanding) {
        /* Bytes nobody asked for: wrong. */
        C.bad++;
        fprintf(stderr, "crowd: good client %d: %zu bytes with no request out\n", c->idx, len);
        return;
    }
    int status;
    size_t body;
    long whole = lg_http_feed(c->buf, sizeof c->buf, &c->len, data, len, &status, &body);
    if (whole == 0) return;
    size_t plen = strlen(c->path);
    if (whole < 0 || status != 200 || (size_t)whole != body + plen + 1 || memcmp(c->buf + body, c->path, plen) != 0) {
        C.bad++;
        fprintf(stderr, "crowd: good client %d: wrong answer to %s\n", c->idx, c->path);
    } else if ((size_t)whole != c->len) {
        C.bad++; /* the answer, then more */
        fprintf(stderr, "crowd: good client %d: %zu bytes after the answer to %s\n", c->idx, c->len - (size_t)whole, c->path);
    } else {
        C.ok++;
    }
    c->len = 0;
    c->outstanding = 0;
    c->answered++;
}

static void start_one(int i)
{
    /* Spread the hostile share evenly: with 10 %, every tenth connection. */
    if ((i * C.hostile_pct) % 100 < C.hostile_pct) {
        int kind = C.hostile % HOSTILE_KINDS;
        C.hostile++;
        if (hostile_start(C.loop, (struct sockaddr *)&C.addr, kind, C.sni, C.linger, &C.hs[kind], C.hostile_log) != 0)
            fprintf(stderr, "crowd: cannot start a hostile client\n");
        return;
    }
    cr_conn *c = calloc(1, sizeof *c);
    if (!c) return;
    c->idx = i;
    c->t.on_event = on_event;
    c->t.on_freed = on_freed;
    int v12 = (C.good * C.tls12_pct) % 100 < C.tls12_pct && C.tls12_pct > 0;
    C.tls12 += v12;
    C.good++;
    C.open_good++;
    C.list[C.nlist++] = c;
    lg_tls_start(&c->t, C.loop, (struct sockaddr *)&C.addr, v12 ? C.cfg12 : C.cfg13, C.sni, 0);
}

static void stop(void)
{
    uv_timer_stop(&C.tick);
    uv_close((uv_handle_t *)&C.tick, NULL);
    hostile_stop_all();
    for (int i = 0; i < C.nlist; i++) {
        cr_conn *c = C.list[i];
        if (!c->finished) {
            good_end(c, 1);
            lg_tls_close(&c->t, 0);
        }
    }
}

static void on_tick(uv_timer_t *tm)
{
    (void)tm;
    uint64_t now = lg_now_ms(), el = now - C.t0;
    if (now - C.last_sample >= 100) {
        sample(0);
        C.last_sample = now;
    }
    if (el > (uint64_t)C.max_s * 1000u) {
        fprintf(stderr, "crowd: --max-seconds %d reached\n", C.max_s);
        C.over = 1;
        stop();
        return;
    }
    int want = C.ramp ? (int)(el * (uint64_t)C.conns / (uint64_t)C.ramp) + 1 : C.conns;
    if (want > C.conns) want = C.conns;
    while (C.launched < want) start_one(C.launched++);
    int all_up = C.launched == C.conns && C.settled == C.good;
    if (all_up && !C.said_up) {
        /* For a script that acts once every good client is in (a drain). */
        C.said_up = 1;
        printf("crowd: all %d good connections settled after %llu ms (%d up)\n", C.good, (unsigned long long)el, C.up_now);
    }
    unsigned keepalive = (unsigned)C.keepalive;
    for (int i = 0; i < C.nlist; i++) {
        cr_conn *c = C.list[i];
        if (c->finished || !c->up || c->outstanding) continue;
        if (c->answered >= C.requests && all_up) {
            /* Done, and every good client has had its turn: close cleanly. */
            good_end(c, 1);
            (void)parley_conn_close(c->t.conn);
            lg_tls_flush(&c->t);
            lg_tls_close(&c->t, 0);
        } else if (now - c->last_req >= (c->answered < C.requests ? (unsigned)C.interval : keepalive)) {
            send_request(c);
        }
    }
    if (C.launched == C.conns && C.open_good == 0 && hostile_running() == 0) stop();
}

int lg_crowd_main(int argc, char **argv)
{
    const char *connect = NULL, *ca = NULL;
    C.conns = 1000, C.hostile_pct = 10, C.requests = 3, C.interval = 300, C.ramp = 2000, C.max_s = 120;
    C.linger = 10000, C.sni = "localhost", C.keepalive = 1500;
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--connect")) connect = v;
        else if (!strcmp(a, "--conns")) C.conns = atoi(v);
        else if (!strcmp(a, "--hostile-pct")) C.hostile_pct = atoi(v);
        else if (!strcmp(a, "--requests")) C.requests = atoi(v);
        else if (!strcmp(a, "--interval-ms")) C.interval = atoi(v);
        else if (!strcmp(a, "--ramp-ms")) C.ramp = atoi(v);
        else if (!strcmp(a, "--ca")) ca = v;
        else if (!strcmp(a, "--sni")) C.sni = v;
        else if (!strcmp(a, "--max-seconds")) C.max_s = atoi(v);
        else if (!strcmp(a, "--tls12-pct")) C.tls12_pct = atoi(v);
        else if (!strcmp(a, "--hostile-linger-ms")) C.linger = atoi(v);
        else if (!strcmp(a, "--keepalive-ms")) C.keepalive = atoi(v);
        else if (!strcmp(a, "--hostile-log")) C.hostile_log = v;
        else if (!strcmp(a, "--watch-pid") && C.nwatch < CR_MAX_WATCH) C.watch[C.nwatch++].pid = atoi(v);
        else goto usage;
    }
    if (argc % 2 || !connect || lg_parse_addr(connect, &C.addr) != 0 || C.conns <= 0 || C.conns > 200000 ||
        C.hostile_pct < 0 || C.hostile_pct > 100 || C.requests <= 0 || C.interval <= 0 || C.ramp < 0 || C.max_s <= 0 ||
        C.tls12_pct < 0 || C.tls12_pct > 100 || C.linger <= 0 || C.keepalive <= 0)
        goto usage;
    C.cfg13 = parley_config_new();
    C.cfg12 = parley_config_new();
    if (parley_config_set_versions(C.cfg12, PARLEY_TLS1_2, PARLEY_TLS1_2) != PARLEY_OK ||
        (ca && (parley_config_set_ca_file(C.cfg13, ca) != PARLEY_OK || parley_config_set_ca_file(C.cfg12, ca) != PARLEY_OK)) ||
        (!ca && (parley_config_set_verify(C.cfg13, 0) != PARLEY_OK || parley_config_set_verify(C.cfg12, 0) != PARLEY_OK))) {
        fprintf(stderr, "loadgen crowd: %s\n", parley_config_error_string(C.cfg13));
        return 2;
    }
    C.list = calloc((size_t)C.conns, sizeof *C.list);
    C.loop = uv_default_loop();
    sample(1);
    C.t0 = C.last_sample = lg_now_ms();
    uv_timer_init(C.loop, &C.tick);
    uv_timer_start(&C.tick, on_tick, 0, 10);
    uv_run(C.loop, UV_RUN_DEFAULT);
    sample(0);
    uint64_t secs = (lg_now_ms() - C.t0 + 500) / 1000;
    unsigned hostile_open = 0, hostile_unreached = 0;
    printf("crowd: conns=%d good=%d hostile=%d tls12=%d\n", C.conns, C.good, C.hostile, C.tls12);
    printf("crowd: peak_concurrent_good=%d\n", C.peak);
    printf("crowd: requests_sent=%u answers_ok=%u answers_bad=%u lost=%u handshake_failed=%u broken=%u\n", C.sent, C.ok, C.bad,
           C.lost, C.hs_failed, C.broken);
    for (int k = 0; k < HOSTILE_KINDS; k++) {
        if (!C.hs[k].started) continue;
        printf("crowd: hostile kind=%s started=%u cut=%u open_at_end=%u unreached=%u cut_ms_max=%llu\n", hostile_kind_name(k),
               C.hs[k].started, C.hs[k].cut, C.hs[k].open, C.hs[k].unreached, (unsigned long long)C.hs[k].cut_ms_max);
        hostile_open += C.hs[k].open;
        hostile_unreached += C.hs[k].unreached;
    }
    for (int i = 0; i < C.nwatch; i++) {
        cr_watch *w = &C.watch[i];
        printf("crowd: pid=%d rss_kb_start=%ld rss_kb_peak=%ld rss_kb_end=%ld fds_start=%d fds_peak=%d fds_end=%d\n", w->pid,
               w->rss_start, w->rss_peak, w->rss_end, w->fds_start, w->fds_peak, w->fds_end);
    }
    printf("crowd: seconds=%llu\n", (unsigned long long)secs);
    fflush(stdout);
    for (int i = 0; i < C.nlist; i++) free(C.list[i]);
    free(C.list);
    parley_config_free(C.cfg12);
    parley_config_free(C.cfg13);
    return C.over || C.lost || C.bad || C.hs_failed || C.broken || hostile_open || hostile_unreached ? 1 : 0;
usage:
    fprintf(stderr, "usage: loadgen crowd --connect HOST:PORT [--conns N] [--hostile-pct P] [--requests R] [--interval-ms MS]\n"
                    "       [--ramp-ms MS] [--ca FILE] [--sni NAME] [--max-seconds S] [--tls12-pct P] [--watch-pid PID]...\n"
                    "       [--hostile-linger-ms MS] [--keepalive-ms MS] [--hostile-log FILE]\n");
    return 2;
}
