/*
 * rate.c - `loadgen rate`: new TLS connections at a steady rate, spread
 * round robin over one or more addresses, each doing one HTTP request; and,
 * with --hold K, K keep-alive connections opened first that make a request
 * every 500 ms for the whole run (the connections already established when
 * something is killed). Results per second of start time, so a script can
 * see what happened when:
 *
 *   rate: start unix_ms=WALL_CLOCK_MS                            (when t=0 began)
 *   rate: t=SEC started= ok= failed= full= resumed= fail_max_ms= ok_p50_ms= ok_max_ms=
 *   rate: fail t=SEC addr=HOST:PORT ms=DURATION why=REASON       (the first 20)
 *   rate: total started= ok= failed= full= resumed= hold=K hold_requests= hold_broken=
 *               last_fail_ms= last_fail_unix_ms=
 *
 * last_fail_ms is when the last failed attempt started (ms after the run's
 * start; -1: none), last_fail_unix_ms the same on the wall clock. With
 * --resume each new connection offers a session an earlier one got, each
 * session offered once (RFC 8446 C.4: a client should not reuse a ticket, and
 * a server's stateful tickets are single-use): the sessions wait in a small
 * pool, newest first; with none there, a full handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "loadgen.h"

#define RT_MAX_ADDRS 8
#define RT_MAX_FAIL_LINES 20
#define RT_POOL 32

typedef struct rt_conn rt_conn;
struct rt_conn {
    lg_tls t; /* first */
    rt_conn *prev, *next;
    uint64_t start, deadline, last_req;
    int addr, hold, sec, answered, outstanding;
    size_t len;
    uint8_t buf[8192];
};

typedef struct {
    unsigned started, ok, failed, full, resumed;
    uint64_t fail_max, ok_max;
    uint32_t *lat;
    size_t nlat, cap;
} rt_sec;

static struct {
    uv_loop_t *loop;
    parley_config *cfg;
    const char *sni, *path;
    struct sockaddr_storage addrs[RT_MAX_ADDRS];
    const char *names[RT_MAX_ADDRS];
    int naddr, rate, seconds, timeout_ms, resume, hold, holds_up, holds_settled, running, stopping;
    uint64_t t0, t0_unix, launched, rr;
    rt_conn *active;
    rt_sec *secs;
    int nsecs, fail_lines;
    unsigned hold_requests, hold_broken;
    long long last_fail;
    struct {
        uint8_t blob[8192];
        size_t len;
    } pool[RT_POOL];
    int npool;
    uv_timer_t tick;
} R;

static uint64_t unix_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void unlink_conn(rt_conn *c)
{
    if (c->prev) c->prev->next = c->next;
    else if (R.active == c) R.active = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void on_freed(lg_tls *t) { free(t); }

static void send_request(rt_conn *c)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", R.path, R.sni ? R.sni : "localhost");
    c->last_req = lg_now_ms();
    c->outstanding = 1;
    c->len = 0;
    lg_tls_write(&c->t, req, (size_t)n);
}

/* One attempt ends: count it in the second it started. */
static void attempt_done(rt_conn *c, int ok, const char *why)
{
    uint64_t now = lg_now_ms(), ms = now - c->start;
    rt_sec *s = &R.secs[c->sec < R.nsecs ? c->sec : R.nsecs - 1];
    if (ok) {
        s->ok++;
        if (parley_conn_resumed(c->t.conn)) s->resumed++;
        else s->full++;
        if (ms > s->ok_max) s->ok_max = ms;
        if (s->nlat == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 64;
            s->lat = realloc(s->lat, s->cap * sizeof *s->lat);
        }
        s->lat[s->nlat++] = (uint32_t)ms;
        if (R.resume) {
            size_t len;
            /* Into the pool; when full, the oldest goes. */
            if (R.npool == RT_POOL) memmove(&R.pool[0], &R.pool[1], sizeof R.pool[0] * (RT_POOL - 1)), R.npool--;
            if (parley_conn_get_session(c->t.conn, R.pool[R.npool].blob, sizeof R.pool[0].blob, &len) == PARLEY_OK)
                R.pool[R.npool++].len = len;
        }
    } else {
        s->failed++;
        if (ms > s->fail_max) s->fail_max = ms;
        long long at = (long long)(c->start - R.t0);
        if (at > R.last_fail) R.last_fail = at;
        if (R.fail_lines++ < RT_MAX_FAIL_LINES)
            printf("rate: fail t=%d addr=%s ms=%llu why=%s\n", c->sec, R.names[c->addr], (unsigned long long)ms, why);
    }
    unlink_conn(c);
    if (ok) {
        (void)parley_conn_close(c->t.conn);
        lg_tls_flush(&c->t);
    }
    lg_tls_close(&c->t, 0);
}

static void hold_broken(rt_conn *c, const char *why)
{
    if (!c->t.hs_done) R.holds_settled++; /* an established one was counted then */
    R.hold_broken++;
    printf("rate: hold connection to %s broken: %s\n", R.names[c->addr], why);
    unlink_conn(c);
    lg_tls_close(&c->t, 0);
}

static void on_event(lg_tls *t, int ev, const uint8_t *data, size_t len)
{
    rt_conn *c = (rt_conn *)t;
    if (ev == LG_EV_CONNECTED) return;
    if (ev == LG_EV_END) {
        if (c->hold) hold_broken(c, t->why);
        else attempt_done(c, 0, t->why);
        return;
    }
    if (ev == LG_EV_HANDSHAKE) {
        if (c->hold) {
            R.holds_up++;
            R.holds_settled++;
            return;
        }
        send_request(c);
        return;
    }
    /* LG_EV_DATA: the answer. */
    int status;
    size_t body;
    long whole = lg_http_feed(c->buf, sizeof c->buf, &c->len, data, len, &status, &body);
    if (whole == 0) return;
    if (whole < 0 || status != 200) {
        if (c->hold) hold_broken(c, "bad answer");
        else attempt_done(c, 0, "bad answer");
        return;
    }
    if (c->hold) {
        c->outstanding = 0;
        R.hold_requests++;
        return;
    }
    attempt_done(c, 1, NULL);
}

static rt_conn *open_conn(int hold, uint64_t now)
{
    rt_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->t.on_event = on_event;
    c->t.on_freed = on_freed;
    c->hold = hold;
    c->addr = (int)(R.rr++ % (uint64_t)R.naddr);
    /* The tick's clock, so that a launch is counted in the second the rate
     * schedule put it in (never past the last one). */
    c->start = now;
    c->deadline = c->start + (uint64_t)R.timeout_ms;
    c->sec = hold ? 0 : (int)((c->start - R.t0) / 1000);
    c->next = R.active;
    if (R.active) R.active->prev = c;
    R.active = c;
    lg_tls_start(&c->t, R.loop, (struct sockaddr *)&R.addrs[c->addr], R.cfg, R.sni, 0);
    if (!hold && R.resume && R.npool && c->t.conn) {
        R.npool--; /* the newest, used once */
        (void)parley_conn_set_session(c->t.conn, R.pool[R.npool].blob, R.pool[R.npool].len);
    }
    return c;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void report(void)
{
    unsigned st = 0, ok = 0, failed = 0, full = 0, res = 0;
    for (int i = 0; i < R.nsecs; i++) {
        rt_sec *s = &R.secs[i];
        if (i == R.seconds && !s->started && !s->ok && !s->failed) break; /* the spare bucket, empty */
        uint32_t p50 = 0;
        if (s->nlat) {
            qsort(s->lat, s->nlat, sizeof *s->lat, cmp_u32);
            p50 = s->lat[s->nlat / 2];
        }
        printf("rate: t=%d started=%u ok=%u failed=%u full=%u resumed=%u fail_max_ms=%llu ok_p50_ms=%u ok_max_ms=%llu\n", i,
               s->started, s->ok, s->failed, s->full, s->resumed, (unsigned long long)s->fail_max, p50,
               (unsigned long long)s->ok_max);
        st += s->started, ok += s->ok, failed += s->failed, full += s->full, res += s->resumed;
        free(s->lat);
    }
    printf("rate: total started=%u ok=%u failed=%u full=%u resumed=%u hold=%d hold_requests=%u hold_broken=%u "
           "last_fail_ms=%lld last_fail_unix_ms=%lld\n",
           st, ok, failed, full, res, R.hold, R.hold_requests, R.hold_broken, R.last_fail,
           R.last_fail < 0 ? -1 : (long long)R.t0_unix + R.last_fail);
    fflush(stdout);
}

static void on_tick(uv_timer_t *tm)
{
    uint64_t now = lg_now_ms();
    /* Timeouts and the hold connections' requests. */
    for (rt_conn *c = R.active, *next; c; c = next) {
        next = c->next;
        if (c->hold) {
            if (!c->t.hs_done) {
                if (now > c->deadline) hold_broken(c, "handshake timeout");
            } else if (c->outstanding && now - c->last_req > (uint64_t)R.timeout_ms) {
                hold_broken(c, "request timeout");
            } else if (!c->outstanding && R.running && now - c->last_req >= 500) {
                send_request(c);
            }
        } else if (now > c->deadline) {
            attempt_done(c, 0, "timeout");
        }
    }
    if (!R.running) {
        if (R.holds_settled < R.hold) return; /* the held connections come first */
        R.running = 1;
        R.t0 = now;
        R.t0_unix = unix_ms();
        /* The wall-clock start, so a script can place its own events (a kill)
         * in the per-second lines. */
        printf("rate: start unix_ms=%llu\n", (unsigned long long)R.t0_unix);
        return;
    }
    uint64_t el = now - R.t0;
    if (el < (uint64_t)R.seconds * 1000u) {
        uint64_t want = el * (uint64_t)R.rate / 1000u + 1;
        while (R.launched < want) {
            R.launched++;
            rt_conn *c = open_conn(0, now);
            if (c) R.secs[c->sec].started++;
        }
        return;
    }
    /* The run is over: wait for the attempts still out, then end the holds. */
    for (rt_conn *c = R.active; c; c = c->next)
        if (!c->hold) return;
    while (R.active) {
        rt_conn *c = R.active;
        if (c->outstanding) R.hold_broken++, printf("rate: hold connection to %s: request unanswered at the end\n", R.names[c->addr]);
        unlink_conn(c);
        (void)parley_conn_close(c->t.conn);
        lg_tls_flush(&c->t);
        lg_tls_close(&c->t, 0);
    }
    uv_timer_stop(tm);
    uv_close((uv_handle_t *)tm, NULL);
}

int lg_rate_main(int argc, char **argv)
{
    const char *connect = NULL, *ca = NULL, *tls = NULL;
    int no_verify = 0;
    R.rate = 10, R.seconds = 10, R.timeout_ms = 5000, R.path = "/", R.last_fail = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--resume")) R.resume = 1;
        else if (!strcmp(a, "--no-verify")) no_verify = 1;
        else if (!v) goto usage;
        else if (!strcmp(a, "--connect")) connect = v, i++;
        else if (!strcmp(a, "--rate")) R.rate = atoi(v), i++;
        else if (!strcmp(a, "--seconds")) R.seconds = atoi(v), i++;
        else if (!strcmp(a, "--ca")) ca = v, i++;
        else if (!strcmp(a, "--sni")) R.sni = v, i++;
        else if (!strcmp(a, "--tls")) tls = v, i++;
        else if (!strcmp(a, "--hold")) R.hold = atoi(v), i++;
        else if (!strcmp(a, "--path")) R.path = v, i++;
        else if (!strcmp(a, "--timeout-ms")) R.timeout_ms = atoi(v), i++;
        else goto usage;
    }
    if (!connect || R.rate <= 0 || R.rate > 100000 || R.seconds <= 0 || R.seconds > 3600 || R.hold < 0 ||
        R.hold > 10000 || R.timeout_ms <= 0)
        goto usage;
    char *list = strdup(connect);
    for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
        if (R.naddr == RT_MAX_ADDRS || lg_parse_addr(s, &R.addrs[R.naddr]) != 0) goto usage;
        R.names[R.naddr++] = s;
    }
    R.cfg = parley_config_new();
    if (tls && strcmp(tls, "1.2") && strcmp(tls, "1.3")) goto usage;
    uint16_t v = tls && !strcmp(tls, "1.2") ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
    if ((tls && parley_config_set_versions(R.cfg, v, v) != PARLEY_OK) ||
        (ca && parley_config_set_ca_file(R.cfg, ca) != PARLEY_OK) ||
        (no_verify && parley_config_set_verify(R.cfg, 0) != PARLEY_OK)) {
        fprintf(stderr, "loadgen rate: %s\n", parley_config_error_string(R.cfg));
        return 2;
    }
    R.nsecs = R.seconds + 1;
    R.secs = calloc((size_t)R.nsecs, sizeof *R.secs);
    R.loop = uv_default_loop();
    for (int i = 0; i < R.hold; i++) open_conn(1, lg_now_ms());
    uv_timer_init(R.loop, &R.tick);
    uv_timer_start(&R.tick, on_tick, 0, 5);
    uv_run(R.loop, UV_RUN_DEFAULT);
    report();
    parley_config_free(R.cfg);
    return 0;
usage:
    fprintf(stderr, "usage: loadgen rate --connect HOST:PORT[,HOST:PORT...] [--rate N] [--seconds S] [--ca FILE]\n"
                    "       [--sni NAME] [--resume] [--tls 1.2|1.3] [--hold K] [--path P] [--timeout-ms MS] [--no-verify]\n");
    return 2;
}
