/*
 * keyless_threads_test.c - the keyless client's shared fields under threads
 * (issue 20, item 2): its round-robin counter (kl_start on several handshake
 * threads at once), each slot's `up` flag (written by the slot threads, read
 * by kl_start and parley_keyless_connected on other threads), the `stop`
 * flag (set by parley_keyless_free while the slot threads poll it) and
 * `logged_down` (the outage logged once while connections fail).
 *
 * An in-process key server on 127.0.0.1 (blocking sockets, a thread per
 * connection) refuses the first connections' TLS (it closes them at once),
 * then answers; two handshake threads run in-memory TLS 1.3 and 1.2
 * handshakes whose signatures the pool carries, and the main thread polls
 * parley_keyless_connected meanwhile. Functionally this passes on the
 * unfixed code too: under ThreadSanitizer it reported the races; it must
 * report none.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#define MAX_CONNS 32
#define ITERS 40 /* handshakes per handshake thread per version */
#define NHS_THREADS 2

typedef struct {
    int lfd, port;
    parley_config *tls;
    parley_keystore *keys;
    atomic_int refuse; /* connections still to close before their handshake */
    atomic_int answered;
    pthread_t acceptor, conns[MAX_CONNS];
    int nconns; /* only the acceptor thread writes it; read after join */
} keysrv;

typedef struct {
    keysrv *ks;
    int fd;
} ks_job;

static void *ks_conn(void *arg)
{
    ks_job *j = arg;
    keysrv *ks = j->ks;
    parley_conn *c = parley_conn_new_server(ks->tls);
    if (!c) goto out;
    parley_conn_set_fd(c, j->fd);
    if (parley_fd_handshake(c) != PARLEY_OK) goto out;
    uint8_t buf[4 * PARLEY_KEYLESS_REQUEST_SIZE], resp[4096];
    size_t have = 0;
    for (;;) {
        size_t n = 0;
        if (parley_fd_read(c, buf + have, sizeof buf - have, &n) != PARLEY_OK) break;
        have += n;
        size_t off = 0, used, rlen;
        parley_keyless_msg m;
        int isresp;
        while (parley_keyless_decode(buf + off, have - off, &isresp, &m, &used) == PARLEY_OK) {
            if (!isresp && parley_keystore_answer(ks->keys, &m, resp, sizeof resp, &rlen) == PARLEY_OK &&
                parley_fd_write(c, resp, rlen) == PARLEY_OK)
                atomic_fetch_add(&ks->answered, 1);
            off += used;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
out:
    parley_conn_free(c);
    close(j->fd);
    free(j);
    return NULL;
}

static void *ks_accept(void *arg)
{
    keysrv *ks = arg;
    for (;;) {
        int fd = accept(ks->lfd, NULL, NULL);
        if (fd < 0) break; /* the listening socket was shut down */
        if (atomic_fetch_sub(&ks->refuse, 1) > 0 || ks->nconns == MAX_CONNS) {
            close(fd); /* the client's TLS fails: logged once, retried with backoff */
            continue;
        }
        ks_job *j = malloc(sizeof *j);
        j->ks = ks;
        j->fd = fd;
        pthread_create(&ks->conns[ks->nconns++], NULL, ks_conn, j);
    }
    return NULL;
}

static char server_crt[600]; /* the TLS server's certificate, its key at the key server */

static void keysrv_start(keysrv *ks, int refuse)
{
    char err[256], path[600];
    memset(ks, 0, sizeof *ks);
    atomic_init(&ks->refuse, refuse);
    snprintf(path, sizeof path, "%s/keys", test_dir());
    ks->keys = parley_keystore_load_dir(path, err, sizeof err);
    if (!ks->keys) fail_msg("%s", err);
    ks->tls = mtls_server("keysrv", "kclient");
    ks->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t al = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ks->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(ks->lfd, 16), 0);
    assert_int_equal(getsockname(ks->lfd, (struct sockaddr *)&a, &al), 0);
    ks->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&ks->acceptor, NULL, ks_accept, ks), 0);
}

static void keysrv_stop(keysrv *ks)
{
    shutdown(ks->lfd, SHUT_RDWR);
    pthread_join(ks->acceptor, NULL);
    close(ks->lfd);
    for (int i = 0; i < ks->nconns; i++) pthread_join(ks->conns[i], NULL); /* they end when the pool closes */
    parley_config_free(ks->tls);
    parley_keystore_free(ks->keys);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef struct {
    parley_key_provider *kl;
    parley_config *cc, *sc;
    atomic_int done, failed;
} hs_run;

static void *hs_thread(void *arg)
{
    hs_run *r = arg;
    for (int i = 0; i < ITERS; i++) {
        pair p;
        memset(&p, 0, sizeof p);
        p.client = parley_conn_new_client(r->cc, "localhost");
        p.server = parley_conn_new_server(r->sc);
        int ok = 0;
        for (int step = 0; step < 50 && p.client && p.server; step++) {
            int crc = parley_conn_handshake(p.client), src = parley_conn_handshake(p.server);
            pair_pump(&p);
            if (crc == PARLEY_OK && src == PARLEY_OK) {
                ok = 1;
                break;
            }
            if (crc == PARLEY_ERROR || src == PARLEY_ERROR) break;
            parley_key_op *op = src == PARLEY_WANT_KEY_OP ? parley_conn_pending_key_op(p.server) : NULL;
            if (op) parley_keyless_wait(r->kl, op); /* the pattern of `parley server` */
        }
        atomic_fetch_add(ok ? &r->done : &r->failed, 1);
        pair_free_queues(&p);
        parley_conn_free(p.client);
        parley_conn_free(p.server);
    }
    return NULL;
}

static void test_keyless_pool_threads(void **state)
{
    (void)state;
    keysrv ks;
    keysrv_start(&ks, 3);
    char addr[64], err[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ks.port);
    parley_config *kc = mtls_client("keysrv", "kclient");
    parley_key_provider *kl = parley_keyless_new(addr, kc, 2, 5000, err, sizeof err);
    assert_non_null(kl);
    parley_config_free(kc); /* the provider holds its reference */
    /* Polled from this thread while the slot threads (re)connect. */
    uint64_t give_up = now_ms() + 20000;
    while (parley_keyless_connected(kl) < 2) {
        assert_true(now_ms() < give_up);
        usleep(10 * 1000);
    }
    for (int v = 0; v < 2; v++) {
        hs_run r;
        memset(&r, 0, sizeof r);
        r.kl = kl;
        r.cc = only_version(client_cfg("ec"), v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        r.sc = only_version(parley_config_new(), v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        assert_int_equal(parley_config_add_cert_with_provider(r.sc, server_crt, kl), PARLEY_OK);
        pthread_t th[NHS_THREADS];
        for (int i = 0; i < NHS_THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, hs_thread, &r), 0);
        int seen = 0;
        for (int i = 0; i < 50; i++) seen += parley_keyless_connected(kl); /* racing the slot threads */
        for (int i = 0; i < NHS_THREADS; i++) pthread_join(th[i], NULL);
        printf("TLS 1.%d: %d handshakes through the pool, %d failed\n", v ? 2 : 3, atomic_load(&r.done), atomic_load(&r.failed));
        assert_true(seen > 0);
        assert_int_equal(atomic_load(&r.failed), 0);
        assert_int_equal(atomic_load(&r.done), NHS_THREADS * ITERS);
        parley_config_free(r.cc);
        parley_config_free(r.sc);
    }
    parley_keyless_free(kl); /* sets stop while the slot threads poll it */
    keysrv_stop(&ks);
    assert_true(atomic_load(&ks.answered) >= 2 * NHS_THREADS * ITERS);
}

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    char keys[600], from[600], to[600];
    snprintf(keys, sizeof keys, "%.580s/keys", d);
    mkdir(keys, 0700);
    if (make_cert(d, "keysrv", "ec256", "localhost", -1, 30) || make_cert(d, "kclient", "ec256", "kclient.example", -1, 30) ||
        make_cert(d, "ec", "ec256", "localhost", -1, 30))
        return -1;
    /* The key server's directory holds the TLS server's private key only. */
    snprintf(from, sizeof from, "%.580s/ec.key", d);
    snprintf(to, sizeof to, "%.580s/ec.pem", keys);
    if (rename(from, to) != 0) return -1;
    snprintf(server_crt, sizeof server_crt, "%.512s/ec.pem", d);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyless_pool_threads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
