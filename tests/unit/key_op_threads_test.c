/*
 * key_op_threads_test.c - the key-operation hand-over between threads
 * (parley.h, "Threading"; issue 20, item 1).
 *
 * A provider keeps each operation in a queue that worker threads of its own
 * (pthreads) take from, sign or decrypt with parley_key_sign /
 * parley_key_rsa_decrypt_premaster, and complete, outside the provider's
 * lock, after a random pause. Handshake threads drive in-memory pairs and
 * only poll (parley_conn_pending_key_op / parley_key_op_done, no lock of the
 * provider's), as an event loop does, then read the result through the next
 * parley_conn_handshake(): the only happens-before between the worker's
 * writes and the handshake thread's reads is the op's own hand-over. Some
 * operations complete inside start(); about a quarter of the connections
 * are freed at a random point while their operation is out, racing the
 * worker that is about to complete it (cancel() waits out a complete in
 * flight, the pattern parley.h asks of providers).
 *
 * Every kind of operation, both versions: TLS 1.3 and 1.2 server signatures
 * (CertificateVerify, ServerKeyExchange), TLS 1.2 RSA premaster decryption,
 * and the client's CertificateVerify in both versions. A stale or torn
 * result fails the peer's verification (or the Finished check), so each
 * completed handshake checks the bytes. Under ThreadSanitizer this test is
 * the proof that the hand-over is synchronised (it reported a race on the
 * op's state and output before the fix); under ASan it checks that no
 * cancellation frees memory a worker still writes.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "helpers.h"

#define NWORKERS 2
#define NHS_THREADS 2
#define QCAP 64
#define ITERS 300 /* handshakes per handshake thread per case */

typedef struct {
    parley_key_provider base;
    parley_key *key;
    pthread_mutex_t mu; /* guards queue, nq, inflight, stop */
    pthread_cond_t cv;
    parley_key_op *queue[QCAP];
    int nq;
    parley_key_op *inflight[NWORKERS]; /* taken by a worker, complete() not yet returned */
    int stop;
    pthread_t workers[NWORKERS];
    atomic_uint seed;
    /* Tallies: every started op ends completed or dropped by cancel(). */
    atomic_int started, completed, sync_completed, dropped, cancel_waited, cancels, errors;
} tprov;

static unsigned next_rand(tprov *t) { return atomic_fetch_add(&t->seed, 2654435761u) * 2246822519u >> 7; }

/* A few yields, so that completions land at every point of the handshake
 * thread's polling and of a connection's freeing. */
static void jitter(tprov *t)
{
    for (unsigned n = next_rand(t) % 4; n; n--) sched_yield();
}

/* The result, computed on whichever thread calls it (the getters may be
 * called from any thread while the op is out). */
static int compute(tprov *t, parley_key_op *op, uint8_t *out, size_t *outlen)
{
    const uint8_t *in;
    size_t inlen;
    parley_key_op_input(op, &in, &inlen);
    if (parley_key_op_type(op) == PARLEY_KEY_OP_RSA_DECRYPT) {
        *outlen = 48;
        return parley_key_rsa_decrypt_premaster(t->key, in, inlen, parley_key_op_client_version(op), out);
    }
    return parley_key_sign(t->key, parley_key_op_scheme(op), in, inlen, out, outlen, 1024);
}

static void *worker_main(void *arg)
{
    tprov *t = arg;
    pthread_mutex_lock(&t->mu);
    int w = 0;
    while (w < NWORKERS && t->workers[w] != pthread_self()) w++;
    for (;;) {
        while (!t->stop && t->nq == 0) pthread_cond_wait(&t->cv, &t->mu);
        if (t->stop) break;
        parley_key_op *op = t->queue[0];
        memmove(t->queue, t->queue + 1, (size_t)--t->nq * sizeof t->queue[0]);
        t->inflight[w] = op;
        pthread_mutex_unlock(&t->mu);
        uint8_t out[1024];
        size_t outlen = 0;
        int ok = compute(t, op, out, &outlen) == PARLEY_OK;
        jitter(t);
        /* Outside the lock: the handshake thread synchronises with this
         * through the op alone. */
        if (parley_key_op_complete(op, ok, out, outlen) != PARLEY_OK) atomic_fetch_add(&t->errors, 1);
        else atomic_fetch_add(&t->completed, 1);
        pthread_mutex_lock(&t->mu);
        t->inflight[w] = NULL;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static int tp_start(parley_key_provider *self, parley_key_op *op)
{
    tprov *t = (tprov *)self;
    atomic_fetch_add(&t->started, 1);
    if (next_rand(t) % 8 == 0) {
        /* Completed inside start(), on the handshake thread. */
        uint8_t out[1024];
        size_t outlen = 0;
        int ok = compute(t, op, out, &outlen) == PARLEY_OK;
        if (parley_key_op_complete(op, ok, out, outlen) != PARLEY_OK) atomic_fetch_add(&t->errors, 1);
        atomic_fetch_add(&t->sync_completed, 1);
        return PARLEY_OK;
    }
    pthread_mutex_lock(&t->mu);
    if (t->nq == QCAP) {
        pthread_mutex_unlock(&t->mu);
        atomic_fetch_add(&t->started, -1);
        return PARLEY_ERROR;
    }
    t->queue[t->nq++] = op;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    jitter(t); /* a worker may complete the op before start() returns */
    return PARLEY_WANT_KEY_OP;
}

/* Forget `op`: out of the queue if still there; if a worker holds it, wait
 * until its complete() has returned (after that it never touches op). */
static void tp_cancel(parley_key_provider *self, parley_key_op *op)
{
    tprov *t = (tprov *)self;
    atomic_fetch_add(&t->cancels, 1);
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->nq; i++)
        if (t->queue[i] == op) {
            memmove(t->queue + i, t->queue + i + 1, (size_t)(t->nq - i - 1) * sizeof t->queue[0]);
            t->nq--;
            atomic_fetch_add(&t->dropped, 1);
            break;
        }
    for (int w = 0; w < NWORKERS; w++)
        while (t->inflight[w] == op) {
            atomic_fetch_add(&t->cancel_waited, 1);
            pthread_cond_wait(&t->cv, &t->mu);
        }
    pthread_mutex_unlock(&t->mu);
}

static void tprov_init(tprov *t, const char *keyname)
{
    char path[512], err[256];
    memset(t, 0, sizeof *t);
    t->base.start = tp_start;
    t->base.cancel = tp_cancel;
    snprintf(path, sizeof path, "%s/%s.key", test_dir(), keyname);
    t->key = parley_key_load_pem(path, err, sizeof err);
    if (!t->key) fail_msg("%s: %s", path, err);
    atomic_init(&t->seed, (unsigned)time(NULL));
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    pthread_mutex_lock(&t->mu); /* workers find their index once all are created */
    for (int w = 0; w < NWORKERS; w++) assert_int_equal(pthread_create(&t->workers[w], NULL, worker_main, t), 0);
    pthread_mutex_unlock(&t->mu);
}

static void tprov_free(tprov *t)
{
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    for (int w = 0; w < NWORKERS; w++) pthread_join(t->workers[w], NULL);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    parley_key_free(t->key);
}

typedef struct {
    parley_config *cc, *sc;
    tprov *prov;
    atomic_int done, cancelled, failed;
    char why[256]; /* first failure, written once under `failed` */
} hs_case;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void case_fail(hs_case *hc, const char *what, pair *p)
{
    if (atomic_fetch_add(&hc->failed, 1) == 0)
        snprintf(hc->why, sizeof hc->why, "%s (client: %s; server: %s)", what, parley_conn_error_string(p->client),
                 parley_conn_error_string(p->server));
}

/* One connection: drive both sides, polling while a key operation is out;
 * cancel_at >= 0 frees the pair after that many polls of a pending op. */
static void one_handshake(hs_case *hc, int cancel_at, unsigned r)
{
    pair p;
    memset(&p, 0, sizeof p);
    p.client = parley_conn_new_client(hc->cc, "localhost");
    p.server = parley_conn_new_server(hc->sc);
    if (!p.client || !p.server) {
        case_fail(hc, "connection not created", &p);
        goto out;
    }
    for (int step = 0; step < 100; step++) {
        int crc = parley_conn_handshake(p.client);
        int src = parley_conn_handshake(p.server);
        pair_pump(&p);
        if (crc == PARLEY_OK && src == PARLEY_OK) {
            atomic_fetch_add(&hc->done, 1);
            goto out;
        }
        if (crc == PARLEY_ERROR || src == PARLEY_ERROR) {
            case_fail(hc, "handshake failed", &p);
            goto out;
        }
        parley_conn *waiting = crc == PARLEY_WANT_KEY_OP ? p.client : src == PARLEY_WANT_KEY_OP ? p.server : NULL;
        if (!waiting) continue;
        /* Poll as an event loop would: no lock, the op's state alone. */
        uint64_t give_up = now_ms() + 30000;
        for (int polls = 0;; polls++) {
            parley_key_op *op = parley_conn_pending_key_op(waiting);
            if (!op) break;
            if (polls == cancel_at) {
                atomic_fetch_add(&hc->cancelled, 1);
                goto out; /* freed with the op out, maybe mid-complete */
            }
            if ((r & 1) ? parley_key_op_done(op) : 0) break;
            if (now_ms() > give_up) {
                case_fail(hc, "key operation never completed", &p);
                goto out;
            }
            sched_yield();
        }
    }
    case_fail(hc, "handshake did not finish in 100 steps", &p);
out:
    pair_free_queues(&p);
    if (r & 2) {
        parley_conn_free(p.server);
        parley_conn_free(p.client);
    } else {
        parley_conn_free(p.client);
        parley_conn_free(p.server);
    }
}

static void *hs_thread(void *arg)
{
    hs_case *hc = arg;
    for (int i = 0; i < ITERS && !atomic_load(&hc->failed); i++) {
        unsigned r = next_rand(hc->prov);
        /* A quarter are freed while their op is out, after 0-3 polls. */
        int cancel_at = r % 4 == 0 ? (int)(r >> 4) % 4 : -1;
        one_handshake(hc, cancel_at, r >> 8);
    }
    return NULL;
}

static void run_case(const char *name, parley_config *cc, parley_config *sc, tprov *prov)
{
    hs_case hc;
    memset(&hc, 0, sizeof hc);
    hc.cc = cc;
    hc.sc = sc;
    hc.prov = prov;
    pthread_t th[NHS_THREADS];
    for (int i = 0; i < NHS_THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, hs_thread, &hc), 0);
    for (int i = 0; i < NHS_THREADS; i++) pthread_join(th[i], NULL);
    /* Every op out has ended: nothing left in the queue or in a worker's hands. */
    pthread_mutex_lock(&prov->mu);
    int nq = prov->nq, busy = 0;
    for (int w = 0; w < NWORKERS; w++) busy += prov->inflight[w] != NULL;
    pthread_mutex_unlock(&prov->mu);
    int started = atomic_load(&prov->started), completed = atomic_load(&prov->completed);
    int sync = atomic_load(&prov->sync_completed), dropped = atomic_load(&prov->dropped);
    printf("%s: %d handshakes, %d freed mid-operation; %d ops: %d completed by workers, %d inside start(), %d "
           "dropped by cancel; %d cancels, %d waited for a complete in flight\n",
           name, atomic_load(&hc.done), atomic_load(&hc.cancelled), started, completed, sync, dropped,
           atomic_load(&prov->cancels), atomic_load(&prov->cancel_waited));
    if (atomic_load(&hc.failed)) fail_msg("%s: %s", name, hc.why);
    assert_int_equal(nq, 0);
    assert_int_equal(busy, 0);
    assert_int_equal(atomic_load(&prov->errors), 0);
    assert_int_equal(started, completed + sync + dropped);
    assert_int_equal(atomic_load(&hc.done) + atomic_load(&hc.cancelled), NHS_THREADS * ITERS);
    assert_true(atomic_load(&hc.done) > 0);
    parley_config_free(cc);
    parley_config_free(sc);
}

static parley_config *provider_server(const char *cert, tprov *prov)
{
    char path[512];
    parley_config *sc = parley_config_new();
    snprintf(path, sizeof path, "%s/%s.pem", test_dir(), cert);
    assert_int_equal(parley_config_add_cert_with_provider(sc, path, &prov->base), PARLEY_OK);
    return sc;
}

static parley_config *v12(parley_config *cfg, const char *suite)
{
    only_version(cfg, PARLEY_TLS1_2);
    if (suite) assert_int_equal(parley_config_set_ciphers(cfg, suite), PARLEY_OK);
    assert_int_equal(parley_config_allow_rsa_kx(cfg, 1), PARLEY_OK);
    return cfg;
}

/* Server signatures: TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange. */
static void test_server_sign_threads(void **state)
{
    (void)state;
    tprov prov;
    tprov_init(&prov, "ec256");
    run_case("TLS 1.3 CertificateVerify", only_version(client_cfg("ec256"), PARLEY_TLS1_3),
             only_version(provider_server("ec256", &prov), PARLEY_TLS1_3), &prov);
    run_case("TLS 1.2 ServerKeyExchange", v12(client_cfg("ec256"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
             v12(provider_server("ec256", &prov), NULL), &prov);
    tprov_free(&prov);
}

/* TLS 1.2 static RSA: the premaster decrypted on a worker thread. */
static void test_rsa_decrypt_threads(void **state)
{
    (void)state;
    tprov prov;
    tprov_init(&prov, "rsa2048");
    run_case("TLS 1.2 RSA premaster", v12(client_cfg("rsa2048"), "TLS_RSA_WITH_AES_128_GCM_SHA256"),
             v12(provider_server("rsa2048", &prov), NULL), &prov);
    tprov_free(&prov);
}

/* The client's CertificateVerify, both versions. */
static void test_client_sign_threads(void **state)
{
    (void)state;
    tprov prov;
    char path[512];
    tprov_init(&prov, "client");
    snprintf(path, sizeof path, "%s/client.pem", test_dir());
    for (int v = 0; v < 2; v++) {
        parley_config *cc = client_cfg("ec256");
        assert_int_equal(parley_config_add_cert_with_provider(cc, path, &prov.base), PARLEY_OK);
        parley_config *sc = mtls_server("ec256", "client");
        if (v == 0) run_case("TLS 1.3 client CertificateVerify", only_version(cc, PARLEY_TLS1_3), only_version(sc, PARLEY_TLS1_3), &prov);
        else run_case("TLS 1.2 client CertificateVerify", v12(cc, NULL), v12(sc, NULL), &prov);
    }
    tprov_free(&prov);
}

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "rsa2048", "rsa2048", "localhost", -1, 30) ||
           make_cert(d, "client", "ec256", "client.example", -1, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_sign_threads),
        cmocka_unit_test(test_rsa_decrypt_threads),
        cmocka_unit_test(test_client_sign_threads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
