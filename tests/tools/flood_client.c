/*
 * flood_client.c - the attacker of issue #14 (defect 1), for
 * tests/interop/test_peer_flood_rss.sh: one TLS client on 127.0.0.1 that,
 * after its handshake, sends renegotiation ClientHellos (TLS 1.2: records
 * packed with empty ClientHellos) or KeyUpdate(update_requested) (TLS 1.3,
 * with one byte of application data after every 16 so the KeyUpdate flood
 * limit does not end it) as fast as the target takes them, and never reads.
 * It samples the target's VmRSS (/proc/PID/status) before and during the
 * flood and fails when it grew by more than the limit.
 *
 *   flood_client PORT reneg12|ku13 SECONDS TARGET_PID LIMIT_KB [MAX_MB]
 *
 * Bounded: SECONDS of flooding (and at most MAX_MB megabytes, 16 by default,
 * so that an unbounded target grows by a bounded amount too), one connection,
 * 127.0.0.1 only. Uses internal headers to seal handshake records with the
 * connection's live keys, like the unit tests.
 */
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
    if ((!reneg && strcmp(argv[2], "ku13")) || secs <= 0 || secs > 30 || pid <= 0) return 2;
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
    int closed = 0, stalled = 0;
    double t0 = now_s(), last_sample = t0;
    while (now_s() - t0 < secs) {
        if (!closed && c->out.len == 0 && sent < max_bytes) {
            /* A new batch only when the last one is out: our own memory stays flat. */
            if (reneg) {
                if (pl_rec_seal12(&c->wr, &c->out, PL_CT_HANDSHAKE, hellos, sizeof hellos) < 0) return 2;
            } else {
                for (int i = 0; i < 64; i++) {
                    if (parley_conn_key_update(c, 1) != PARLEY_OK) return 2;
                    if (i % 16 == 15 && parley_conn_write(c, (const uint8_t *)"x", 1) != PARLEY_OK) return 2;
                }
            }
        }
        if (!closed && c->out.len) {
            size_t len = c->out.len;
            int rc = parley_fd_flush(c);
            sent += len - c->out.len;
            if (rc == PARLEY_ERROR) closed = 1; /* the target ended the connection */
            if (rc == PARLEY_WANT_WRITE) {
                stalled = 1;
                struct pollfd p = {fd, POLLOUT, 0};
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
    long after = rss_kb(pid);
    if (after > peak) peak = after;
    printf("flood_client %s: sent %zu bytes in %.1f s on one connection without reading; the target %s; "
           "VmRSS of %d: before %ld kB, peak %ld kB, growth %ld kB (limit %ld kB)\n",
           argv[2], sent, secs, closed ? "closed it" : stalled ? "stopped reading it" : "kept reading", pid, before,
           peak, peak - before, limit);
    parley_conn_free(c);
    close(fd);
    parley_config_free(cfg);
    return before > 0 && peak - before <= limit ? 0 : 1;
}
