/* cert_compress_threads_test.c - eight threads race the first use of a
 * config's compressed Certificate (RFC 8879; config_compress.c compresses
 * outside cfg->lock and publishes under it, a loser frees its copy), for each
 * algorithm: every handshake completes compressed, the message is published
 * once, and under ThreadSanitizer (make test-tsan, TSAN_UNIT) there is no
 * report. Adapted from the second review's probe of issue #19. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

enum { THREADS = 8, ROUNDS = 6 };

static parley_config *g_server, *g_client;
static const char *g_alg;
static pthread_barrier_t g_start;
static _Atomic int g_failures;

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&g_start);
    pair p;
    parley_config_ref(g_server);
    parley_config_ref(g_client);
    make_pair(&p, g_client, g_server, "localhost");
    int crc, src;
    size_t plain = 0, wire = 0;
    const char *used = NULL;
    if (pair_handshake(&p, &crc, &src) == 0 && crc == PARLEY_OK && src == PARLEY_OK)
        used = parley_conn_cert_compression(p.client, 0, &plain, &wire);
    if (!used || strcmp(used, g_alg) != 0 || wire >= plain) g_failures++;
    free_pair(&p);
    return NULL;
}

static void test_first_use_race(void **state)
{
    (void)state;
    static const char *algs[] = {"brotli", "zstd", "zlib"};
    for (int round = 0; round < ROUNDS; round++) {
        g_alg = algs[round % 3];
        g_server = server_cfg("rsa2048");
        g_client = client_cfg("rsa2048");
        if (parley_config_set_cert_compression(g_server, g_alg) != PARLEY_OK) {
            /* Built without this algorithm (CMake option OFF). */
            parley_config_free(g_server);
            parley_config_free(g_client);
            continue;
        }
        assert_int_equal(parley_config_set_cert_compression(g_client, g_alg), PARLEY_OK);
        pthread_t t[THREADS];
        pthread_barrier_init(&g_start, NULL, THREADS);
        for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
        for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
        pthread_barrier_destroy(&g_start);
        /* Published once for the plain (not stapled) form, algorithm index a. */
        int a = round % 3 == 0 ? 1 : round % 3 == 1 ? 2 : 0; /* zlib 1, brotli 2, zstd 3 → index id-1 */
        assert_int_equal(g_server->certs[0].cc_state[0][a], 1);
        assert_true(g_server->certs[0].cc_msg[0][a].len > 0);
        parley_config_free(g_server);
        parley_config_free(g_client);
    }
    assert_int_equal(g_failures, 0);
}

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "rsa2048", "rsa2048", "localhost", -1, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_first_use_race)};
    return cmocka_run_group_tests(tests, setup, NULL);
}
