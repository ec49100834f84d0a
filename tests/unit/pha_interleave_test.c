/*
 * pha_interleave_test.c - TLS 1.3 post-handshake client authentication
 * (RFC 8446 4.6.2) beside the other post-handshake messages and the
 * identity it reports (from an adversarial review):
 * - the exchange's transcript holds only its own messages (RFC 8446 4.4.1):
 *   a KeyUpdate of the server's, the server's answer to the client's
 *   update_requested, a NewSessionTicket sent while a request is out, and a
 *   client KeyUpdate while its signature is pending all leave it alone;
 * - the client's chain is published only when its Finished verifies
 *   (application data read meanwhile does not see it; a chain that fails
 *   leaves the earlier identity), and a later empty answer clears it;
 * - a deferring server still asks in the handshake a client that did not
 *   offer post_handshake_auth (REQUIRE stays a requirement);
 * - refusals do not make parley_conn_error_string non-empty
 *   (parley_conn_last_refusal says why);
 * - a CertificateRequest without signature_algorithms (missing_extension,
 *   RFC 8446 4.3.2), and one after a TLS 1.2 handshake (unexpected_message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "pha_helpers.h"
#include "internal.h"

#define ALERT_CERTIFICATE_REQUIRED 116

static void pha_pair(pair *p, int mode)
{
    make_pair(p, only_version(mtls_client("ec256", "client"), PARLEY_TLS1_3), pha_server(mode), "localhost");
    handshake_ok(p, "TLS 1.3");
    assert_int_equal(parley_conn_peer_cert_count(p->server), 0);
}

static void expect_ok(pair *p)
{
    if (p->server->failed || p->client->failed)
        fail_msg("server: '%s', client: '%s'", parley_conn_error_string(p->server), parley_conn_error_string(p->client));
    assert_int_equal(parley_conn_client_auth_status(p->server), PARLEY_CLIENT_AUTH_OK);
    assert_int_equal(parley_conn_peer_cert_count(p->server), 1);
    assert_string_equal(parley_conn_verify_result(p->server), "ok");
    exchange(p, p->client, p->server, "after");
}

/* The server updates its keys while its request is out. */
static void test_server_key_update(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, PARLEY_VERIFY_CLIENT_REQUIRE);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_int_equal(parley_conn_key_update(p.server, 0), PARLEY_OK);
    pha_settle(&p);
    expect_ok(&p);
    free_pair(&p);
}

/* The client's KeyUpdate (update_requested) crosses the request: the
 * server's automatic answer goes out while the request is open. */
static void test_crossing_key_update(void **state)
{
    (void)state;
    for (int req = 0; req < 2; req++) {
        pair p;
        pha_pair(&p, PARLEY_VERIFY_CLIENT_REQUIRE);
        assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
        assert_int_equal(parley_conn_key_update(p.client, req), PARLEY_OK);
        pha_settle(&p);
        expect_ok(&p);
        free_pair(&p);
    }
}

/* A NewSessionTicket sent while the request is out (as a server issuing
 * tickets after the handshake would). */
static void test_ticket_during_request(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, PARLEY_VERIFY_CLIENT_REQUIRE);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    /* lifetime 60, age_add 0, nonce 00, ticket AA, no extensions (RFC 8446 4.6.1) */
    static const uint8_t nst[] = {0, 0, 0, 60, 0, 0, 0, 0, 1, 0, 0, 1, 0xaa, 0, 0};
    assert_int_equal(pl_send_handshake(p.server, PL_HS_NEW_SESSION_TICKET, nst, sizeof nst, 0), 0);
    pha_settle(&p);
    expect_ok(&p);
    free_pair(&p);
}

/* A client whose signature is pending (PARLEY_WANT_KEY_OP) after it has
 * sent its Certificate. */
static void async_pair(pair *p, pending_provider *ap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/client.pem", test_dir());
    parley_config *cc = only_version(client_cfg("ec256"), PARLEY_TLS1_3);
    assert_int_equal(parley_config_add_cert_with_provider(cc, path, &ap->base), PARLEY_OK);
    make_pair(p, cc, pha_server(PARLEY_VERIFY_CLIENT_REQUIRE), "localhost");
    handshake_ok(p, "TLS 1.3");
    assert_int_equal(parley_conn_request_client_auth(p->server), PARLEY_OK);
    pair_pump(p);
    uint8_t buf[64];
    size_t n;
    assert_int_equal(parley_conn_read(p->client, buf, sizeof buf, &n), PARLEY_WANT_KEY_OP);
}

static void sign_pending(pending_provider *ap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/client.key", test_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    const uint8_t *in;
    size_t inlen, siglen = 256;
    uint8_t sig[256];
    parley_key_op_input(ap->pending, &in, &inlen);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &siglen, in, inlen), 1);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(key);
    assert_int_equal(parley_key_op_complete(ap->pending, 1, sig, siglen), PARLEY_OK);
}

/* The client updates its keys while its signature is out: allowed, and
 * the CertificateVerify and Finished then go under the new keys. */
static void test_key_update_while_signing(void **state)
{
    (void)state;
    pending_provider ap;
    pending_provider_init(&ap);
    pair p;
    async_pair(&p, &ap);
    assert_int_equal(parley_conn_key_update(p.client, 0), PARLEY_OK);
    assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    sign_pending(&ap);
    pha_settle(&p);
    expect_ok(&p);
    free_pair(&p);
}

/* RFC 8446 4.4.4: the chain is proven by CertificateVerify and Finished.
 * Application data that comes after the Certificate alone is read with no
 * client identity reported. */
static void test_unproven_chain(void **state)
{
    (void)state;
    pending_provider ap;
    pending_provider_init(&ap);
    pair p;
    async_pair(&p, &ap);
    assert_int_equal(parley_conn_write(p.client, (const uint8_t *)"GET /admin", 10), PARLEY_OK);
    pair_pump(&p);
    uint8_t buf[64];
    size_t n = 0;
    assert_int_equal(parley_conn_read(p.server, buf, sizeof buf, &n), PARLEY_OK);
    assert_int_equal(n, 10);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_PENDING);
    assert_int_equal(parley_conn_peer_cert_count(p.server), 0);
    assert_string_equal(parley_conn_verify_result(p.server), "no client certificate");
    /* Once signed, it is. */
    sign_pending(&ap);
    pha_settle(&p);
    expect_ok(&p);
    free_pair(&p);
}

/* A second exchange whose chain does not verify leaves the first's identity. */
static void test_failed_chain_keeps_identity(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    pha_settle(&p);
    expect_ok(&p);
    /* A Certificate with other.pem, which the client CAs did not issue. */
    char path[512], subj[256];
    snprintf(path, sizeof path, "%s/other.pem", test_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t *der = NULL;
    int dl = i2d_X509(x, &der);
    X509_free(x);
    assert_true(dl > 0 && dl < 4000);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    uint8_t msg[4200];
    size_t body = 1 + 32 + 3 + 3 + (size_t)dl + 2, o = 0;
    msg[o++] = PL_HS_CERTIFICATE;
    msg[o++] = 0, msg[o++] = (uint8_t)(body >> 8), msg[o++] = (uint8_t)body;
    msg[o++] = 32;
    memcpy(msg + o, p.server->pha->ctx, 32), o += 32;
    size_t list = 3 + (size_t)dl + 2;
    msg[o++] = 0, msg[o++] = (uint8_t)(list >> 8), msg[o++] = (uint8_t)list;
    msg[o++] = 0, msg[o++] = (uint8_t)(dl >> 8), msg[o++] = (uint8_t)dl;
    memcpy(msg + o, der, (size_t)dl), o += (size_t)dl;
    msg[o++] = 0, msg[o++] = 0;
    OPENSSL_free(der);
    int rc = pl_hs_post_handshake(p.server, msg, o);
    assert_true(rc < 0);
    assert_int_equal(parley_conn_peer_cert_count(p.server), 1);
    char iss[256], nb[64], na[64];
    assert_int_equal(parley_conn_peer_cert_info(p.server, 0, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na),
                     PARLEY_OK);
    assert_non_null(strstr(subj, "client.example"));
    (void)pl_conn_fail(p.server, rc); /* as parley_conn_read does */
    assert_string_equal(parley_conn_verify_result(p.server), "ok");
    assert_int_equal(parley_conn_peer_cert_count(p.server), 1);
    free_pair(&p);
}

/* A completed exchange reports exactly what it proved: an empty answer to
 * a second request clears the first's chain. */
static void test_empty_answer_clears(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    pha_settle(&p);
    expect_ok(&p);
    size_t saved = p.client->cfg->ncerts; /* the client answers the next one empty */
    p.client->cfg->ncerts = 0;
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    pha_settle(&p);
    p.client->cfg->ncerts = saved;
    assert_int_equal(p.server->failed, 0);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_EMPTY);
    assert_int_equal(parley_conn_peer_cert_count(p.server), 0);
    assert_string_equal(parley_conn_verify_result(p.server), "no client certificate");
    free_pair(&p);
}

/* RFC 8446 4.2.6: a client that did not offer post_handshake_auth cannot be
 * asked later; a deferring server asks it in the handshake, so a required
 * certificate is required. */
static void test_require_without_offer(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_3), pha_server(PARLEY_VERIFY_CLIENT_REQUIRE), "localhost");
    int crc, src;
    (void)pair_handshake(&p, &crc, &src);
    assert_int_equal(p.server->pha_offered, 0);
    assert_int_not_equal(p.server->failed, 0);
    assert_int_equal(parley_conn_alert_sent(p.server), ALERT_CERTIFICATE_REQUIRED);
    free_pair(&p);
    /* OPTIONAL: such a client is not asked at all, in the handshake or after
     * it (the request is refused without failing the connection). */
    make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_3), pha_server(PARLEY_VERIFY_CLIENT_OPTIONAL), "localhost");
    assert_int_equal(pair_handshake(&p, &crc, &src), 0);
    assert_int_equal(crc, PARLEY_OK);
    assert_int_equal(src, PARLEY_OK);
    assert_int_equal(p.server->pha_offered, 0);
    assert_int_equal(parley_conn_peer_cert_count(p.server), 0);
    assert_string_equal(parley_conn_verify_result(p.server), "no client certificate");
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_ERROR);
    assert_int_equal(p.server->failed, 0);
    assert_non_null(strstr(parley_conn_last_refusal(p.server), "did not offer post_handshake_auth"));
    free_pair(&p);
}

/* Refusals leave parley_conn_error_string empty; parley_conn_last_refusal
 * tells the latest refusal, and a later success clears it. */
static void test_refusal_text(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, PARLEY_VERIFY_CLIENT_OPTIONAL);
    uint8_t out[16];
    assert_string_equal(parley_conn_last_refusal(p.client), "");
    assert_int_equal(parley_conn_export_keying_material(p.client, "master secret", NULL, 0, 0, out, 16), PARLEY_ERROR);
    assert_string_equal(parley_conn_error_string(p.client), "");
    assert_non_null(strstr(parley_conn_last_refusal(p.client), "reserved"));
    assert_int_equal(parley_conn_export_keying_material(p.client, "EXPERIMENTAL ok", NULL, 0, 0, out, 16), PARLEY_OK);
    assert_string_equal(parley_conn_last_refusal(p.client), "");
    assert_int_equal(parley_conn_request_client_auth(p.client), PARLEY_ERROR);
    assert_string_equal(parley_conn_error_string(p.client), "");
    assert_non_null(strstr(parley_conn_last_refusal(p.client), "only a server asks"));
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_string_equal(parley_conn_last_refusal(p.server), "");
    /* Writing after close_notify is refused the same way (reading goes on). */
    assert_int_equal(parley_conn_close(p.client), PARLEY_OK);
    assert_int_equal(parley_conn_write(p.client, (const uint8_t *)"x", 1), PARLEY_ERROR);
    assert_string_equal(parley_conn_error_string(p.client), "");
    assert_non_null(strstr(parley_conn_last_refusal(p.client), "write after close_notify"));
    free_pair(&p);
}

/* RFC 8446 4.3.2: signature_algorithms MUST be in a CertificateRequest;
 * 9.2: a missing mandatory extension is missing_extension. */
static void test_request_without_sigalgs(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, PARLEY_VERIFY_CLIENT_OPTIONAL);
    static const uint8_t cr[] = {13, 0, 0, 4, 1, 7, 0, 0}; /* context 07, no extensions */
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.client, cr, sizeof cr)), PL_ERR_MISSING_EXTENSION);
    assert_null(p.client->hs);
    free_pair(&p);
}

/* A client that offered post_handshake_auth but negotiated TLS 1.2: a
 * CertificateRequest after the handshake is no request it can answer
 * (RFC 8446 4.6.2 is TLS 1.3's; RFC 5246 7.4.4 has none after it). */
static void test_request_after_tls12(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, mtls_client("ec256", "client"), only_version(pha_server(PARLEY_VERIFY_CLIENT_OPTIONAL), PARLEY_TLS1_2),
              "localhost");
    handshake_ok(&p, "TLS 1.2");
    static const uint8_t cr[] = {13, 0, 0, 14, 1, 7, 0, 10, 0, 13, 0, 6, 0, 4, 0x04, 0x03, 0x08, 0x04};
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.client, cr, sizeof cr)), PL_ERR_UNEXPECTED_MESSAGE);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_key_update),         cmocka_unit_test(test_crossing_key_update),
        cmocka_unit_test(test_ticket_during_request),     cmocka_unit_test(test_key_update_while_signing),
        cmocka_unit_test(test_unproven_chain),            cmocka_unit_test(test_failed_chain_keeps_identity),
        cmocka_unit_test(test_empty_answer_clears),       cmocka_unit_test(test_require_without_offer),
        cmocka_unit_test(test_refusal_text),              cmocka_unit_test(test_request_without_sigalgs),
        cmocka_unit_test(test_request_after_tls12),
    };
    return cmocka_run_group_tests(tests, pha_setup, NULL);
}
