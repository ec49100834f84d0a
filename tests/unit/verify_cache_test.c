/* verify_cache_test.c - a chain verified once is remembered by the client's
 * trust store, but never past a certificate's validity, and not at all when
 * the cache is off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* One handshake with the client config `cc` (a reference is kept by the caller). */
static int handshake_with(parley_config *cc, int *alert)
{
    pair p;
    parley_config_ref(cc);
    make_pair(&p, cc, server_cfg("ec256"), "localhost");
    int rc = pair_handshake(&p, NULL, NULL);
    if (alert) *alert = parley_conn_alert_sent(p.client);
    if (rc == 0) {
        assert_int_equal(parley_conn_peer_cert_count(p.client), 1);
        assert_string_equal(parley_conn_verify_result(p.client), "ok");
    }
    free_pair(&p);
    return rc;
}

static void test_remembered_until_expiry(void **state)
{
    (void)state;
    int alert = -1;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(handshake_with(cc, NULL), 0);
    assert_int_equal(pl_trust_cached(cc->trust), 1);
    assert_int_equal(handshake_with(cc, NULL), 0); /* from the cache */
    assert_int_equal(pl_trust_cached(cc->trust), 1);
    /* Forty days on, the certificate has expired: the cached verification
     * must not stand in for the real one. */
    cc->now = (int64_t)time(NULL) + 40 * 86400;
    assert_true(handshake_with(cc, &alert) != 0);
    assert_int_equal(alert, 45); /* certificate_expired */
    parley_config_free(cc);
}

static void test_cache_off(void **state)
{
    (void)state;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_verify_cache(cc, 0), PARLEY_OK);
    assert_int_equal(handshake_with(cc, NULL), 0);
    assert_int_equal(handshake_with(cc, NULL), 0);
    assert_int_equal(pl_trust_cached(cc->trust), 0);
    parley_config_free(cc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_remembered_until_expiry), cmocka_unit_test(test_cache_off)};
    return cmocka_run_group_tests(tests, setup, NULL);
}
