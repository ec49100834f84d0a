/*
 * flood_client.c - the attacker of issue #14 (defect 1), for
 * tests/interop/test_peer_flood_rss.sh: one TLS client on 127.0.0.1 that,
 * after its handshake, sends renegotiation ClientHellos (TLS 1.2: records
 * packed with empty ClientHellos) or KeyUpdate(update_requested) (TLS 1.3,
 * with no application data in between) as fast as the target takes them,
 * and never reads while it floods. It samples the target's VmRSS
 * (/proc/PID/status) before and during the flood.
 *
 * It stops flooding after SECONDS or as soon as the target ends the
 * connection (its FIN or RST is seen, without reading, or a send fails), then reads what the target sent (3 s at most)
 * to learn how the connection ended: the alert that came, if any, and
 * whether the transport was closed (EOF or RST) or is still open. It prints
 *
 *   flood_client MODE: sent N bytes ...; ended: alert ALERT, then eof|reset
 *   result: mode=MODE sent=N target_ended=yes|no alert=NAME|none
 *           transport=eof|reset|send failed (...)|open growth_kb=N limit_kb=L
 *
 * "target_ended=yes" means the target closed the transport itself (a send
 * failed with EPIPE/ECONNRESET, or a read saw EOF or RST); a target that
 * merely stopped reading, or that keeps sending warnings, is "no". The exit
 * status is 0 when the target ended the connection and VmRSS grew by at
 * most LIMIT_KB (LIMIT_KB 0: not checked), 1 when not, 2 when the client
 * itself could not run.
 *
 *   flood_client PORT reneg12|ku13 SECONDS TARGET_PID LIMIT_KB [MAX_MB]
 *
 * Bounded: SECONDS of flooding (and at most MAX_MB megabytes, 16 by default,
 * so that an unbounded target grows by a bounded amount too), one connection,
 * 127.0.0.1 only. Uses internal headers to seal handshake records with the
 * connection's live keys, like the unit tests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static long rss_kb(int pid)
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

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        exit(2);
    }
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static parley_conn *connect_tls(parley_config *cfg, int port, int *fdp)
{
    int fd = dial(port);
    parley_conn *c = parley_conn_new_client(cfg, "localhost");
    parley_conn_set_fd(c, fd);
    if (!c || parley_fd_handshake(c) != PARLEY_OK) {
        fprintf(stderr, "flood_client: handshake failed: %s\n", c ? parley_conn_error_string(c) : "no connection");
        exit(2);
    }
    *fdp = fd;
    return c;
}

/* The bytes the library queued, sent by hand so that a failed send leaves
 * the connection usable for reading what the target said before it closed.
 * 0: all sent; 1: the socket is full; -1: the send failed (errno set). */
static int send_out(parley_conn *c, int fd, size_t *sent)
{
    while (c->out.len) {
        ssize_t n = send(fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        if (n <= 0) {
            if (n == 0) errno = EPIPE;
            return -1;
        }
        pl_buf_consume(&c->out, (size_t)n);
        *sent += (size_t)n;
    }
    return 0;
}

/* After the flood: read (no more sending; anything the library queues in
 * answer is dropped) until the transport ends or `secs` pass. *alert gets
 * the alert the target sent (-1 none) and *tls what the library made of the
 * stream; the return value names how the transport ended ("open" when it
 * did not). */
static const char *read_end(parley_conn *c, int fd, double secs, int *alert, char *tls, size_t tls_len)
{
    static char how[96];
    static uint8_t raw[1 << 16], app[1 << 14];
    int tls_done = 0;
    double end = now_s() + secs;
    *alert = -1;
    snprintf(tls, tls_len, "no alert");
    while (now_s() < end) {
        int left = (int)((end - now_s()) * 1000) + 1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left) <= 0) continue;
        ssize_t n = recv(fd, raw, sizeof raw, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n < 0) {
            snprintf(how, sizeof how, "reset (%s)", strerror(errno));
            return how;
        }
        if (n == 0) {
            if (!tls_done) (void)parley_conn_recv_eof(c);
        }
        /* Hand the bytes to the library until it has what it needs: an
         * alert, close_notify or an error ends its part. */
        size_t off = 0;
        while (!tls_done && (off < (size_t)n || n == 0)) {
            size_t took = 0;
            if (n > 0 && parley_conn_recv_bytes(c, raw + off, (size_t)n - off, &took) != PARLEY_OK) took = 0;
            off += took;
            size_t got;
            int rc;
            while ((rc = parley_conn_read(c, app, sizeof app, &got)) == PARLEY_OK) {
            }
            pl_buf_consume(&c->out, c->out.len); /* we are not sending any more */
            if (rc == PARLEY_CLOSED) tls_done = 1, snprintf(tls, tls_len, "close_notify");
            else if (rc == PARLEY_TRUNCATED) tls_done = 1, snprintf(tls, tls_len, "no alert, no close_notify");
            else if (rc == PARLEY_ERROR) {
                tls_done = 1;
                *alert = parley_conn_alert_received(c);
                if (*alert >= 0) snprintf(tls, tls_len, "alert %s", parley_alert_name(*alert));
                else snprintf(tls, tls_len, "our own error: %s", parley_conn_error_string(c));
            }
            if (n == 0 || (took == 0 && rc == PARLEY_WANT_READ)) break;
        }
        if (n == 0) return "eof";
    }
    return "open";
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: flood_client PORT reneg12|ku13 SECONDS TARGET_PID LIMIT_KB [MAX_MB]\n");
        return 2;
    }
    int port = atoi(argv[1]), reneg = !strcmp(argv[2], "reneg12"), pid = atoi(argv[4]);
    double secs = atof(argv[3]);
    long limit = atol(argv[5]);
    size_t max_bytes = (size_t)(argc > 6 ? atol(argv[6]) : 16) << 20;
    if ((!reneg && strcmp(argv[2], "ku13")) || secs <= 0 || secs > 30 || pid <= 0 || limit < 0) return 2;
    parley_config *cfg = parley_config_new();
    uint16_t v = reneg ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
    if (parley_config_set_versions(cfg, v, v) != PARLEY_OK || parley_config_set_verify(cfg, 0) != PARLEY_OK) return 2;

    /* Warm-up: two ordinary connections, so the target's first-connection
     * allocations (pools, caches, a thread's stack) are in the baseline. */
    for (int i = 0; i < 2; i++) {
        int fd;
        parley_conn *c = connect_tls(cfg, port, &fd);
        (void)parley_fd_write(c, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18);
        (void)parley_fd_close(c);
        parley_conn_free(c);
        close(fd);
    }
    /* The baseline once the target has finished with them: its RSS the same
     * over 100 ms (2 s at most). */
    long before = rss_kb(pid);
    for (int i = 0; i < 20; i++) {
        usleep(100 * 1000);
        long r = rss_kb(pid);
        if (r == before) break;
        before = r;
    }
    long peak = before;

    int fd;
    parley_conn *c = connect_tls(cfg, port, &fd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    static uint8_t hellos[PL_MAX_PLAINTEXT];
    for (size_t i = 0; i < sizeof hellos; i += 4) hellos[i] = PL_HS_CLIENT_HELLO; /* empty ClientHellos */
    size_t sent = 0;
    int stalled = 0;
    char send_err[64] = "";
    double t0 = now_s(), last_sample = t0;
    int hung_up = 0;
    while (now_s() - t0 < secs && !send_err[0]) {
        /* Without reading: has the target shut the connection (its FIN, or an
         * RST)? A target that ends it may still drain what we send for a
         * while (parley server lingers up to 1 s), so a send need not fail. */
        struct pollfd h = {fd, POLLRDHUP, 0};
        if (poll(&h, 1, 0) > 0 && (h.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            hung_up = 1;
            break;
        }
        if (c->out.len == 0 && sent < max_bytes) {
            /* A new batch only when the last one is out: our own memory stays flat. */
            if (reneg) {
                if (pl_rec_seal12(&c->wr, &c->out, PL_CT_HANDSHAKE, hellos, sizeof hellos) < 0) return 2;
            } else {
                for (int i = 0; i < 64; i++)
                    if (parley_conn_key_update(c, 1) != PARLEY_OK) return 2;
            }
        }
        if (c->out.len) {
            int rc = send_out(c, fd, &sent);
            if (rc < 0) snprintf(send_err, sizeof send_err, "send failed (%s)", strerror(errno));
            if (rc == 1) {
                stalled = 1;
                struct pollfd p = {fd, POLLOUT | POLLRDHUP, 0};
                (void)poll(&p, 1, 50);
            }
        } else {
            usleep(20 * 1000);
        }
        if (now_s() - last_sample >= 0.05) {
            long r = rss_kb(pid);
            if (r > peak) peak = r;
            last_sample = now_s();
        }
    }
    double flood_s = now_s() - t0;
    long after = rss_kb(pid);
    if (after > peak) peak = after;
    pl_buf_consume(&c->out, c->out.len);

    int alert;
    char tls[160];
    const char *transport = read_end(c, fd, 3.0, &alert, tls, sizeof tls);
    /* A failed send already says the target closed it: RST or FIN came. */
    if (send_err[0] && !strcmp(transport, "open")) transport = send_err;
    int ended = strcmp(transport, "open") != 0;
    printf("flood_client %s: sent %zu bytes in %.2f s on one connection without reading (%s%s); ended: %s, then %s; "
           "VmRSS of %d: before %ld kB, peak %ld kB, growth %ld kB (limit %ld kB)\n",
           argv[2], sent, flood_s, stalled ? "the target stopped reading at times" : "the target kept reading",
           hung_up ? ", until it shut the connection" : "", tls,
           ended ? transport : "the target kept the connection open", pid, before, peak, peak - before, limit);
    printf("result: mode=%s sent=%zu target_ended=%s alert=%s transport=%s growth_kb=%ld limit_kb=%ld\n", argv[2], sent,
           ended ? "yes" : "no", alert >= 0 ? parley_alert_name(alert) : "none", transport, peak - before, limit);
    parley_conn_free(c);
    close(fd);
    parley_config_free(cfg);
    return before > 0 && ended && (limit == 0 || peak - before <= limit) ? 0 : 1;
}
