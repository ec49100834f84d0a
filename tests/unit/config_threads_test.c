/* config_threads_test.c - one parley_config shared by threads (parley.h: a
 * frozen config is shareable): handshakes with tickets on several threads
 * while another reloads the ticket keys and fails config calls; the error
 * text each thread reads is its own failure's, whole; the ticket AEAD work
 * runs off the config's lock; trust anchors are warmed when loaded.
 * Worker threads never call cmocka (its asserts jump on the main thread's
 * stack): they count what went wrong and the main thread asserts. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "helpers.h"
#include "internal.h"

#define FROZEN "the configuration is frozen: it is already used by a connection"

static char g_keys[512], g_bad_text[600];
static atomic_int g_stop, g_reloads;

static int setup(void **state)
{
    (void)state;
    snprintf(g_keys, sizeof g_keys, "%s/threads.keys", test_dir());
    snprintf(g_bad_text, sizeof g_bad_text, "%s line 1: a ticket key is 96 hex digits (at most 8 keys)", g_keys);
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* Write the key file atomically (a reload never sees half of it): `n` keys
 * from the seed, or a line that is not a key when n is 0. */
static int write_keys(unsigned seed, int n)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", g_keys);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    if (n == 0) fprintf(f, "not a key\n");
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < 48; i++) fprintf(f, "%02x", (unsigned)((seed + (unsigned)k) * 131u + (unsigned)i * 7u) & 0xff);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) return -1;
    return rename(tmp, g_keys);
}

static parley_config *shared_server(void)
{
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(write_keys(1, 2), 0);
    assert_int_equal(parley_config_set_ticket_keys_file(sc, g_keys), PARLEY_OK);
    return sc;
}

/* ------------------------------------------------------ error text */

typedef struct {
    parley_config *cfg;
    int iterations;
    atomic_int wrong, garbled, done;
    pthread_mutex_t lock; /* guards first_bad */
    char first_bad[300];
} err_run;

static void note_bad(err_run *r, const char *seen)
{
    pthread_mutex_lock(&r->lock);
    if (!r->first_bad[0]) snprintf(r->first_bad, sizeof r->first_bad, "%s", seen);
    pthread_mutex_unlock(&r->lock);
}

/* A setter refused on the frozen config: this thread must read that sentence. */
static void *frozen_setter(void *arg)
{
    err_run *r = arg;
    for (int i = 0; i < r->iterations && !atomic_load(&g_stop); i++) {
        if (parley_config_set_versions(r->cfg, PARLEY_TLS1_2, PARLEY_TLS1_3) != PARLEY_ERROR) atomic_fetch_add(&r->wrong, 1);
        const char *e = parley_config_error_string(r->cfg);
        if (strcmp(e, FROZEN) != 0) {
            atomic_fetch_add(&r->wrong, 1);
            note_bad(r, e);
        }
    }
    atomic_fetch_add(&r->done, 1);
    return NULL;
}

/* Reloads of a bad key file: this thread must read the reload's sentence. */
static void *bad_reloader(void *arg)
{
    err_run *r = arg;
    for (int i = 0; i < r->iterations && !atomic_load(&g_stop); i++) {
        if (parley_config_reload_ticket_keys(r->cfg) != PARLEY_ERROR) atomic_fetch_add(&r->wrong, 1);
        const char *e = parley_config_error_string(r->cfg);
        if (strcmp(e, g_bad_text) != 0) {
            atomic_fetch_add(&r->wrong, 1);
            note_bad(r, e);
        }
    }
    atomic_fetch_add(&r->done, 1);
    return NULL;
}

/* A thread that fails nothing reads the config's latest error: always one
 * of the two sentences, whole. */
static void *reader(void *arg)
{
    err_run *r = arg;
    char copy[300];
    while (atomic_load(&r->done) < 2) {
        snprintf(copy, sizeof copy, "%s", parley_config_error_string(r->cfg));
        if (copy[0] && strcmp(copy, FROZEN) != 0 && strcmp(copy, g_bad_text) != 0) {
            atomic_fetch_add(&r->garbled, 1);
            note_bad(r, copy);
        }
    }
    return NULL;
}

/* Each thread reads the text of its own failure, and nobody reads a mix of
 * two: on the unfixed code the threads wrote one buffer unlocked. */
static void test_error_text_per_thread(void **state)
{
    (void)state;
    parley_config *sc = shared_server();
    parley_conn *c = parley_conn_new_server(sc); /* freezes it */
    assert_non_null(c);
    assert_int_equal(write_keys(0, 0), 0);
    err_run r = {.cfg = sc, .iterations = 20000, .lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t t[3];
    assert_int_equal(pthread_create(&t[0], NULL, frozen_setter, &r), 0);
    assert_int_equal(pthread_create(&t[1], NULL, bad_reloader, &r), 0);
    assert_int_equal(pthread_create(&t[2], NULL, reader, &r), 0);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    if (atomic_load(&r.wrong) || atomic_load(&r.garbled)) print_message("first wrong text: \"%s\"\n", r.first_bad);
    assert_int_equal(atomic_load(&r.wrong), 0);
    assert_int_equal(atomic_load(&r.garbled), 0);
    /* A config made later at the same address does not inherit the text:
     * this thread fails a call on sc first, so that it has a text about it. */
    assert_int_equal(parley_config_set_versions(sc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_ERROR);
    assert_string_not_equal(parley_config_error_string(sc), "");
    parley_conn_free(c);
    parley_config_free(sc);
    parley_config *fresh = parley_config_new();
    assert_string_equal(parley_config_error_string(fresh), "");
    parley_config_free(fresh);
}

/* ------------------------------------------ handshakes under rotation */

typedef struct {
    parley_config *sc, *cc;
    int version;
    atomic_int *failed, *resumed, *full;
    char why[300];
} hs_worker;

/* Read what the server wrote (TLS 1.3: the NewSessionTicket comes first). */
static int read_hello(pair *p)
{
    uint8_t buf[64];
    size_t n = 0;
    if (parley_conn_write(p->server, (const uint8_t *)"hi", 2) != PARLEY_OK) return -1;
    for (int i = 0; i < 20; i++) {
        pair_pump(p);
        int rc = parley_conn_read(p->client, buf, sizeof buf, &n);
        if (rc == PARLEY_OK) return n == 2 && memcmp(buf, "hi", 2) == 0 ? 0 : -1;
        if (rc != PARLEY_WANT_READ) return -1;
    }
    return -1;
}

/* One handshake, offering sess if given; the new session out. 0 ok, -1 failed (why set). */
static int one_handshake(hs_worker *w, const uint8_t *sess, size_t sl, uint8_t *out, size_t *ol, int *resumed)
{
    pair p;
    memset(&p, 0, sizeof p);
    parley_config_ref(w->sc);
    parley_config_ref(w->cc);
    p.client = parley_conn_new_client(w->cc, "localhost");
    p.server = parley_conn_new_server(w->sc);
    int rc = -1;
    if (!p.client || !p.server) {
        /* One text at a time: the pointer is this thread's, valid until its next call. */
        char ce[256];
        snprintf(ce, sizeof ce, "%s", parley_config_error_string(w->cc));
        snprintf(w->why, sizeof w->why, "no connection: %s / %s", ce, parley_config_error_string(w->sc));
    }
    parley_config_free(w->sc);
    parley_config_free(w->cc);
    if (p.client && p.server) {
        if (sess) (void)parley_conn_set_session(p.client, sess, sl);
        if (pair_handshake(&p, NULL, NULL) == 0 && read_hello(&p) == 0) {
            *resumed = parley_conn_resumed(p.client);
            rc = parley_conn_get_session(p.client, out, 4096, ol) == PARLEY_OK ? 0 : -1;
            if (rc < 0) snprintf(w->why, sizeof w->why, "no session after the handshake");
        } else {
            snprintf(w->why, sizeof w->why, "handshake failed: client \"%s\", server \"%s\"", parley_conn_error_string(p.client),
                     parley_conn_error_string(p.server));
        }
    }
    free_pair(&p);
    return rc;
}

static void *hs_thread(void *arg)
{
    hs_worker *w = arg;
    uint8_t sess[4096], next[4096];
    size_t sl = 0, nl = 0;
    /* At least 60 handshakes, and on until the other thread has reloaded
     * the keys 20 times (bounded: a slow machine ends the run anyway). */
    for (int i = 0; !atomic_load(&g_stop) && i < 1000 && (i < 60 || atomic_load(&g_reloads) < 20); i++) {
        int resumed = 0;
        if (one_handshake(w, sl ? sess : NULL, sl, next, &nl, &resumed) < 0) {
            atomic_fetch_add(w->failed, 1);
            return NULL;
        }
        atomic_fetch_add(resumed ? w->resumed : w->full, 1);
        memcpy(sess, next, nl);
        sl = nl;
    }
    return NULL;
}

/* Reloads (good files, and bad ones that are refused) and refused setters
 * while the handshakes run: every reload's outcome and text are its own. */
typedef struct {
    parley_config *sc;
    int reloads, bad_texts;
} chaos_run;

static void *chaos_thread(void *arg)
{
    chaos_run *r = arg;
    for (unsigned i = 2; !atomic_load(&g_stop); i++) {
        int good = i % 3 != 0;
        if (write_keys(i, good ? 2 : 0) < 0) break;
        int rc = parley_config_reload_ticket_keys(r->sc);
        const char *e = parley_config_error_string(r->sc);
        if (good && rc == PARLEY_OK) r->reloads++, atomic_fetch_add(&g_reloads, 1);
        else if (good || rc != PARLEY_ERROR || strcmp(e, g_bad_text) != 0) r->bad_texts++;
        if (parley_config_set_ticket_rotation(r->sc, 5) != PARLEY_ERROR || strcmp(parley_config_error_string(r->sc), FROZEN) != 0)
            r->bad_texts++;
    }
    return NULL;
}

static void handshakes_under_rotation(int version)
{
    parley_config *sc = only_version(shared_server(), version);
    parley_config *cc = only_version(client_cfg("ec256"), version);
    atomic_int failed = 0, resumed = 0, full = 0;
    enum { N = 3 };
    hs_worker w[N];
    chaos_run ch = {.sc = sc};
    pthread_t t[N], tc;
    atomic_store(&g_stop, 0);
    atomic_store(&g_reloads, 0);
    /* Freeze both configs before the threads share them. */
    parley_conn *c0 = parley_conn_new_server(sc), *c1 = parley_conn_new_client(cc, "localhost");
    assert_non_null(c0);
    assert_non_null(c1);
    parley_conn_free(c0);
    parley_conn_free(c1);
    for (int i = 0; i < N; i++) {
        w[i] = (hs_worker){.sc = sc, .cc = cc, .version = version, .failed = &failed, .resumed = &resumed, .full = &full};
        assert_int_equal(pthread_create(&t[i], NULL, hs_thread, &w[i]), 0);
    }
    assert_int_equal(pthread_create(&tc, NULL, chaos_thread, &ch), 0);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    atomic_store(&g_stop, 1);
    pthread_join(tc, NULL);
    for (int i = 0; i < N; i++)
        if (w[i].why[0]) print_message("TLS 1.%d worker %d: %s\n", version == PARLEY_TLS1_3 ? 3 : 2, i, w[i].why);
    print_message("TLS 1.%d: %d full, %d resumed, %d reloads\n", version == PARLEY_TLS1_3 ? 3 : 2, atomic_load(&full),
                  atomic_load(&resumed), ch.reloads);
    assert_int_equal(atomic_load(&failed), 0);
    assert_int_equal(ch.bad_texts, 0);
    assert_true(atomic_load(&full) + atomic_load(&resumed) >= N * 60);
    assert_true(ch.reloads > 0);
    assert_true(atomic_load(&resumed) > 0); /* tickets sealed and opened across reloads */
    parley_config_free(sc);
    parley_config_free(cc);
}

static void test_handshakes_rotation13(void **state)
{
    (void)state;
    handshakes_under_rotation(PARLEY_TLS1_3);
}

static void test_handshakes_rotation12(void **state)
{
    (void)state;
    handshakes_under_rotation(PARLEY_TLS1_2);
}

/* ----------------------------------- ticket AEAD outside the config lock */

/* libcrypto's allocations, watched: one made while this (only) thread holds
 * the watched config's lock is AEAD (or other crypto) work done under it. */
static parley_config *g_watch;
static atomic_int g_under_lock, g_counting, g_allocs;

static void check_lock(void)
{
    if (atomic_load(&g_counting)) atomic_fetch_add(&g_allocs, 1);
    parley_config *cfg = g_watch;
    if (!cfg) return;
    int rc = pthread_mutex_trylock(&cfg->lock);
    if (rc == 0) pthread_mutex_unlock(&cfg->lock);
    else if (rc == EBUSY) atomic_fetch_add(&g_under_lock, 1);
}

static void *watch_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    check_lock();
    return malloc(n);
}

static void *watch_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    check_lock();
    return realloc(p, n);
}

static void watch_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

/* Sealing and opening tickets and cache values copy the key under the lock
 * and run AES-GCM outside it (the lock also guards the buffer pool and the
 * key log: every handshake of every thread would queue behind the AEAD). One
 * thread, so the lock is busy only when this thread holds it. */
static void test_seal_outside_lock(void **state)
{
    (void)state;
    parley_config *sc = shared_server();
    parley_conn *c0 = parley_conn_new_server(sc);
    assert_non_null(c0);
    parley_conn_free(c0);
    pl_session s;
    memset(&s, 0, sizeof s);
    s.version = PARLEY_TLS1_3;
    s.suite = PARLEY_TLS_AES_128_GCM_SHA256;
    s.secret_len = 32;
    pl_buf t = {0};
    pl_session back;
    static const uint8_t id[32] = {1, 2, 3};
    atomic_store(&g_under_lock, 0);
    g_watch = sc;
    int rc_seal = pl_ticket_seal_session(sc, &s, &t);
    int opened = rc_seal == 0 ? pl_ticket_open_session(sc, t.data, t.len, &back) : 0;
    int rc_seal_v = pl_cache_store_session(sc, id, sizeof id, &s, 60); /* the default in-process cache */
    g_watch = NULL;
    assert_int_equal(rc_seal, 0);
    assert_int_equal(opened, 1);
    assert_int_equal(rc_seal_v, 0);
    assert_int_equal(back.suite, s.suite);
    assert_int_equal(atomic_load(&g_under_lock), 0);
    pl_buf_free(&t);
    parley_config_free(sc);
}

/* ------------------------------------------------- warmed trust anchors */

/* Every certificate of a loaded trust store has its extensions cached
 * already, so that first verifications on several threads do not fill them
 * together. Filling them computes the certificate's SHA-1 (libcrypto
 * allocates a digest context); a filled cache answers X509_check_purpose
 * with no allocation at all. */
static void test_anchors_warmed(void **state)
{
    (void)state;
    char ca[512];
    snprintf(ca, sizeof ca, "%s/ec256.pem", test_dir());
    pl_trust *t = NULL;
    assert_int_equal(pl_trust_load(ca, &t), 0);
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(pl_trust_x509_store(t));
    int certs = 0;
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        if (!x) continue;
        certs++;
        atomic_store(&g_allocs, 0);
        atomic_store(&g_counting, 1);
        int ok = X509_check_purpose(x, -1, 0);
        atomic_store(&g_counting, 0);
        assert_int_equal(ok, 1);
        assert_int_equal(atomic_load(&g_allocs), 0);
    }
    assert_true(certs > 0);
    pl_trust_free(t);
}

int main(void)
{
    /* Before libcrypto allocates anything (test_seal_outside_lock). */
    if (!CRYPTO_set_mem_functions(watch_malloc, watch_realloc, watch_free)) {
        fprintf(stderr, "cannot install libcrypto allocation hooks\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_text_per_thread),
        cmocka_unit_test(test_handshakes_rotation13),
        cmocka_unit_test(test_handshakes_rotation12),
        cmocka_unit_test(test_seal_outside_lock),
        cmocka_unit_test(test_anchors_warmed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
