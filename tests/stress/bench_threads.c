/*
 * bench_threads.c - in-memory TLS 1.3 handshakes per second with 1, 2 and 4
 * threads over ONE shared server config and ONE shared client config (x25519,
 * ECDSA P-256): full handshakes, then resumed ones (each thread offers a
 * ticket it got once). `make bench-threads`; docs/performance.md has the
 * figure. Rates on a shared machine are only meaningful as ratios measured in
 * the same run; the point is whether they scale with cores (no global lock on
 * the hot path).
 *
 * usage: bench_threads [SECONDS per run, default 3] [MAX_THREADS, default 4]
 */
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static parley_config *g_server, *g_client;
static double g_seconds = 3;
static int g_resume;
static atomic_long g_done, g_failed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void move(parley_conn *from, parley_conn *to)
{
    const uint8_t *d;
    size_t n, used;
    parley_conn_pending_output(from, &d, &n);
    while (n) {
        if (parley_conn_recv_bytes(to, d, n, &used) != PARLEY_OK && !used) break;
        parley_conn_output_sent(from, used);
        parley_conn_pending_output(from, &d, &n);
        if (!used) break;
    }
}

/* One handshake (offering sess when given); with want_session, the client
 * reads the NewSessionTicket and hands out its session. 0 on success. */
static int one(const uint8_t *sess, size_t sl, uint8_t *out, size_t *outl)
{
    parley_conn *c = parley_conn_new_client(g_client, "localhost"), *s = parley_conn_new_server(g_server);
    int ok = 0;
    if (c && s && (!sess || parley_conn_set_session(c, sess, sl) == PARLEY_OK)) {
        for (int i = 0; i < 20; i++) {
            int rc = parley_conn_handshake(c), rs = parley_conn_handshake(s);
            move(c, s);
            move(s, c);
            if (rc == PARLEY_ERROR || rs == PARLEY_ERROR) break;
            if (rc == PARLEY_OK && rs == PARLEY_OK) {
                ok = !sess || (parley_conn_resumed(c) && parley_conn_resumed(s));
                break;
            }
        }
        if (ok && out) {
            uint8_t b[16];
            size_t n = 0;
            parley_conn_write(s, (const uint8_t *)"x", 1);
            move(s, c);
            ok = parley_conn_read(c, b, sizeof b, &n) == PARLEY_OK && n == 1 &&
                 parley_conn_get_session(c, out, 4096, outl) == PARLEY_OK;
        }
    }
    parley_conn_free(c);
    parley_conn_free(s);
    return ok ? 0 : -1;
}

static void *worker(void *arg)
{
    (void)arg;
    uint8_t *sess = malloc(4096);
    size_t sl = 0;
    if (!sess || (g_resume && one(NULL, 0, sess, &sl) != 0)) {
        atomic_fetch_add(&g_failed, 1);
        free(sess);
        return NULL;
    }
    long n = 0, bad = 0;
    double end = now_s() + g_seconds;
    while (now_s() < end) {
        if (one(g_resume ? sess : NULL, sl, NULL, NULL) == 0) n++;
        else bad++;
    }
    atomic_fetch_add(&g_done, n);
    atomic_fetch_add(&g_failed, bad);
    free(sess);
    return NULL;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Handshakes per second of wall time; *cores: CPU time / wall time, the
 * cores the threads kept busy (a lock they queued on would hold it near 1). */
static double run(int threads, double *cores)
{
    pthread_t t[64];
    atomic_store(&g_done, 0);
    double start = now_s(), cpu = cpu_s();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double wall = now_s() - start;
    *cores = (cpu_s() - cpu) / wall;
    return atomic_load(&g_done) / wall;
}

int main(int argc, char **argv)
{
    if (argc > 1) g_seconds = atof(argv[1]);
    int max = argc > 2 ? atoi(argv[2]) : 4;
    if (g_seconds <= 0 || max < 1 || max > 64) {
        fprintf(stderr, "usage: %s [SECONDS] [MAX_THREADS]\n", argv[0]);
        return 2;
    }
    if (make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30) != 0) return 2;
    g_server = server_cfg("ec256");
    g_client = client_cfg("ec256");
    if (parley_config_set_groups(g_server, "x25519") != PARLEY_OK ||
        parley_config_set_groups(g_client, "x25519") != PARLEY_OK ||
        parley_config_set_versions(g_client, PARLEY_TLS1_3, PARLEY_TLS1_3) != PARLEY_OK) {
        fprintf(stderr, "bench_threads: setup failed\n");
        return 2;
    }
    printf("TLS 1.3 x25519 ECDSA P-256, in memory, one shared server and client config, %.0f s per run\n", g_seconds);
    printf("threads  full hs/s  (x 1 thread)  cores busy  resumed hs/s  (x 1 thread)  cores busy\n");
    double full1 = 0, res1 = 0, fc, rc;
    for (int t = 1; t <= max; t *= 2) {
        g_resume = 0;
        double f = run(t, &fc);
        g_resume = 1;
        double r = run(t, &rc);
        if (t == 1) full1 = f, res1 = r;
        printf("%7d  %9.0f  %12.2f  %10.2f  %12.0f  %12.2f  %10.2f\n", t, f, full1 > 0 ? f / full1 : 0, fc, r,
               res1 > 0 ? r / res1 : 0, rc);
        fflush(stdout);
    }
    parley_config_free(g_server);
    parley_config_free(g_client);
    if (atomic_load(&g_failed)) fprintf(stderr, "bench_threads: %ld handshakes failed\n", atomic_load(&g_failed));
    return atomic_load(&g_failed) ? 1 : 0;
}
