/* policy_handshake_test.c - the key policy in handshakes: a client refuses
 * a server whose certificate has an RSA-1024 key (bad_certificate, the size
 * in the reason) over TLS 1.3 and 1.2; a server refuses such a client
 * certificate; the verification cache and the session trust identity cover
 * the policy, so an "ok" remembered under one policy never answers for a
 * stricter one. A 1024-bit key never gets an RSA-PSS scheme whose hash is
 * too large for it (RFC 8017 9.1.1), as server or as client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "pki_helpers.h"

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1}, weak = {.kind = "rsa1024"}, good = {.kind = "rsa2048"};
    pki_cert *root = pki_issue("Root CA", &ca, NULL);
    pki_cert *w = pki_issue("localhost", &weak, root), *g = pki_issue("localhost", &good, root);
    if (!root || !w || !g) return -1;
    int rc = pki_write("proot.pem", NULL, (const pki_cert *const[]){root}, 1);
    rc |= pki_write("weak.pem", "weak.key", (const pki_cert *const[]){w, root}, 2);
    rc |= pki_write("good.pem", "good.key", (const pki_cert *const[]){g, root}, 2);
    pki_free(w);
    pki_free(g);
    pki_free(root);
    return rc;
}

static void refused_rsa1024_server(int version)
{
    pair p;
    make_pair(&p, only_version(client_cfg("proot"), version), only_version(server_cfg("weak"), version), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    expect_alert(p.client, p.server, 42, "certificate for localhost has an RSA key of 1024 bits; at least 2048 are required");
    free_pair(&p);
}

static void test_client_refuses_rsa1024_server_13(void **state)
{
    (void)state;
    refused_rsa1024_server(PARLEY_TLS1_3);
}

static void test_client_refuses_rsa1024_server_12(void **state)
{
    (void)state;
    refused_rsa1024_server(PARLEY_TLS1_2);
}

static void test_insecure_client_accepts_with_warning(void **state)
{
    (void)state;
    pair p;
    parley_config *cc = client_cfg("proot");
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(cc, 1024), PARLEY_OK);
    make_pair(&p, cc, server_cfg("weak"), "localhost");
    handshake_ok(&p, "insecure minimum");
    assert_non_null(strstr(parley_conn_verify_result(p.client), "RSA key of 1024 bits, accepted only because"));
    free_pair(&p);
}

static void test_server_refuses_rsa1024_client(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, mtls_client("proot", "weak"), mtls_server("good", "proot"), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    /* TLS 1.3: the client is done before the server reads its certificate,
     * so only the server's side is checked here. */
    assert_non_null(strstr(parley_conn_error_string(p.server), "certificate for localhost has an RSA key of 1024 bits"));
    assert_int_equal(parley_conn_alert_sent(p.server), 42);
    free_pair(&p);
}

/* Verified "ok" and remembered under the default policy; the same trust
 * store with a stricter one must verify again, and refuse. */
static void test_cache_keyed_on_policy(void **state)
{
    (void)state;
    parley_config *cc = client_cfg("proot");
    pair p;
    parley_config_ref(cc);
    make_pair(&p, cc, server_cfg("good"), "localhost");
    handshake_ok(&p, "default policy");
    free_pair(&p);
    assert_int_equal(pl_trust_cached(cc->trust), 1);
    pl_trust_set_min_rsa_bits(cc->trust, 3072);
    parley_config_ref(cc);
    make_pair(&p, cc, server_cfg("good"), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    expect_alert(p.client, p.server, 42, "RSA key of 2048 bits; at least 3072 are required");
    free_pair(&p);
    parley_config_free(cc);
}

/* Sessions are bound to the trust identity: a session verified under a
 * lower minimum must not be offered under a higher one. */
static void test_trust_identity_covers_policy(void **state)
{
    (void)state;
    parley_config *a = client_cfg("proot"), *b = client_cfg("proot");
    assert_int_equal(parley_config_set_min_rsa_bits(b, 3072), PARLEY_OK);
    pair p, q;
    make_pair(&p, a, server_cfg("good"), "localhost");
    make_pair(&q, b, server_cfg("good"), "localhost");
    assert_int_not_equal(memcmp(a->trust_id, b->trust_id, 32), 0);
    free_pair(&p);
    free_pair(&q);
}

/* RFC 8017 9.1.1: rsa_pss_*_sha512 needs a modulus of at least 1040 bits
 * (emLen >= 2 * 64 + 2), so a 1024-bit key cannot make it. A server asked
 * only for it has no scheme (handshake_failure, nothing signed); offered
 * SHA-384 as well, it signs with that. */
static void pss_large_server(int version)
{
    pair p;
    parley_config *cc = only_version(client_cfg("proot"), version);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(cc, 1024), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_schemes(cc, "rsa_pss_rsae_sha512"), PARLEY_OK);
    make_pair(&p, cc, only_version(server_cfg("weak"), version), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_alert_sent(p.server), 40);
    free_pair(&p);
    cc = only_version(client_cfg("proot"), version);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(cc, 1024), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_schemes(cc, "rsa_pss_rsae_sha512:rsa_pss_rsae_sha384"), PARLEY_OK);
    make_pair(&p, cc, only_version(server_cfg("weak"), version), "localhost");
    handshake_ok(&p, "rsa1024 server, sha512 and sha384 offered");
    assert_int_equal(parley_conn_signature_scheme(p.client), PARLEY_SIG_RSA_PSS_RSAE_SHA384);
    free_pair(&p);
}

static void test_pss_sha512_too_large_for_rsa1024_13(void **state)
{
    (void)state;
    pss_large_server(PARLEY_TLS1_3);
}

static void test_pss_sha512_too_large_for_rsa1024_12(void **state)
{
    (void)state;
    pss_large_server(PARLEY_TLS1_2);
}

/* The client's CertificateVerify skips the scheme its 1024-bit key cannot
 * make, though it is the first of its own list. */
static void test_pss_large_client_cert(void **state)
{
    (void)state;
    pair p;
    parley_config *sc = mtls_server("good", "proot");
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(sc, 1024), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_schemes(sc, "rsa_pss_rsae_sha512:rsa_pss_rsae_sha384"), PARLEY_OK);
    parley_config *cc = mtls_client("proot", "weak");
    assert_int_equal(parley_config_set_signing_schemes(cc, "rsa_pss_rsae_sha512:rsa_pss_rsae_sha384"), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    handshake_ok(&p, "rsa1024 client certificate, sha512 and sha384 asked for");
    assert_int_equal(parley_conn_peer_signature_scheme(p.server), PARLEY_SIG_RSA_PSS_RSAE_SHA384);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_refuses_rsa1024_server_13), cmocka_unit_test(test_client_refuses_rsa1024_server_12),
        cmocka_unit_test(test_insecure_client_accepts_with_warning), cmocka_unit_test(test_server_refuses_rsa1024_client),
        cmocka_unit_test(test_cache_keyed_on_policy),            cmocka_unit_test(test_trust_identity_covers_policy),
        cmocka_unit_test(test_pss_sha512_too_large_for_rsa1024_13), cmocka_unit_test(test_pss_sha512_too_large_for_rsa1024_12),
        cmocka_unit_test(test_pss_large_client_cert),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
