/*
 * pha_test.c - TLS 1.3 post-handshake client authentication (RFC 8446
 * 4.6.2), in memory: a request answered and verified (also after a
 * KeyUpdate, and twice), the refusals of parley_conn_request_client_auth,
 * an empty certificate (optional: recorded; required: certificate_required),
 * and raw messages for each MUST: a CertificateRequest to a client that did
 * not offer post_handshake_auth (unexpected_message), a request with an
 * empty context, a Certificate echoing another context, a wrong Finished
 * (decrypt_error), messages without a request or out of order.
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

#include "helpers.h"
#include "pha_helpers.h"
#include "internal.h"

#define ALERT_UNEXPECTED_MESSAGE 10
#define ALERT_ILLEGAL_PARAMETER 47
#define ALERT_DECRYPT_ERROR 51
#define ALERT_CERTIFICATE_REQUIRED 116

static void pha_pair(pair *p, const char *client_cert, int mode)
{
    parley_config *cc = client_cert ? mtls_client("ec256", client_cert) : client_cfg("ec256");
    make_pair(p, only_version(cc, PARLEY_TLS1_3), pha_server(mode), "localhost");
    handshake_ok(p, "TLS 1.3");
    /* Deferred: the handshake did not ask. */
    assert_int_equal(parley_conn_peer_cert_count(p->server), 0);
    assert_string_equal(parley_conn_verify_result(p->server), "no client certificate");
    assert_int_equal(parley_conn_client_auth_status(p->server), PARLEY_CLIENT_AUTH_NONE);
}

static void test_request_answered(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, "client", PARLEY_VERIFY_CLIENT_REQUIRE);
    assert_true(p.client->pha_offered && p.server->pha_offered);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_PENDING);
    uint8_t ctx1[32];
    memcpy(ctx1, p.server->pha->ctx, 32);
    pha_settle(&p);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_OK);
    assert_string_equal(parley_conn_verify_result(p.server), "ok");
    assert_int_equal(parley_conn_peer_cert_count(p.server), 1);
    exchange(&p, p.client, p.server, "after");
    /* After KeyUpdates both ways: the Finished key follows the newest
     * client_application_traffic_secret (RFC 8446 4.4.4), and a second
     * request has a fresh context (4.6.2). */
    assert_int_equal(parley_conn_key_update(p.client, 1), PARLEY_OK);
    pair_pump(&p);
    pha_settle(&p);
    exchange(&p, p.server, p.client, "updated");
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_memory_not_equal(ctx1, p.server->pha->ctx, 32);
    pha_settle(&p);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_OK);
    exchange(&p, p.client, p.server, "still fine");
    assert_int_equal(p.server->failed, 0);
    assert_int_equal(p.client->failed, 0);
    free_pair(&p);
}

static void test_refusals(void **state)
{
    (void)state;
    pair p;
    /* A client without a certificate does not offer the extension. */
    pha_pair(&p, NULL, PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(p.client->pha_offered, 0);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_ERROR);
    assert_non_null(strstr(parley_conn_last_refusal(p.server), "post_handshake_auth"));
    assert_int_equal(parley_conn_request_client_auth(p.client), PARLEY_ERROR);
    exchange(&p, p.client, p.server, "not failed");
    free_pair(&p);
    /* One request outstanding at a time. */
    pha_pair(&p, "client", PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_ERROR);
    assert_non_null(strstr(parley_conn_last_refusal(p.server), "outstanding"));
    pha_settle(&p);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_OK);
    free_pair(&p);
    /* TLS 1.2: none; and not before the handshake. */
    make_pair(&p, only_version(mtls_client("ec256", "client"), PARLEY_TLS1_2), pha_server(PARLEY_VERIFY_CLIENT_OPTIONAL),
              "localhost");
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_ERROR);
    handshake_ok(&p, "TLS 1.2");
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_ERROR);
    assert_non_null(strstr(parley_conn_last_refusal(p.server), "TLS 1.2"));
    free_pair(&p);
}

/* A certificate the request's CAs did not issue: the client answers with an
 * empty Certificate (and no CertificateVerify). */
static void test_empty_certificate(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, "other", PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    pha_settle(&p);
    assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_EMPTY);
    assert_string_equal(parley_conn_verify_result(p.server), "no client certificate");
    exchange(&p, p.client, p.server, "optional");
    free_pair(&p);
    /* RFC 8446 4.4.2.4: certificate_required when one is required. */
    pha_pair(&p, "other", PARLEY_VERIFY_CLIENT_REQUIRE);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    pha_settle(&p);
    expect_alert(p.server, p.client, ALERT_CERTIFICATE_REQUIRED, "no certificate");
    free_pair(&p);
}

/* RFC 8446 4.6.2: a client that did not send post_handshake_auth MUST
 * treat a CertificateRequest as unexpected_message. The client is made to
 * forget it offered (pha gone) and the server asks anyway. */
static void test_request_without_extension(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, "client", PARLEY_VERIFY_CLIENT_OPTIONAL);
    pl_pha_free(p.client);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    pha_settle(&p);
    expect_alert(p.client, p.server, ALERT_UNEXPECTED_MESSAGE, "not offered");
    free_pair(&p);
}

/* Raw messages at the post-handshake entry point. */
static void test_raw_messages(void **state)
{
    (void)state;
    pair p;
    /* A request with an empty context: illegal_parameter (RFC 8446 4.3.2). */
    static const uint8_t cr_empty_ctx[] = {13, 0, 0, 10, 0, 0, 8, 0, 13, 0, 4, 0, 2, 0x04, 0x03};
    pha_pair(&p, "client", PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.client, cr_empty_ctx, sizeof cr_empty_ctx)), PL_ERR_ILLEGAL_PARAMETER);
    /* A run of requests without application data: the ninth is a flood. */
    uint8_t cr[] = {13, 0, 0, 14, 1, 0, 0, 10, 0, 13, 0, 6, 0, 4, 0x04, 0x03, 0x08, 0x04};
    p.client->pha_requests = 0; /* the refused one above counted */
    for (int i = 1; i <= 8; i++) {
        cr[5] = (uint8_t)i;
        if (pl_hs_post_handshake(p.client, cr, sizeof cr) != 0) fail_msg("request %d: %s", i, pl_last_message());
    }
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.client, cr, sizeof cr)), PL_ERR_UNEXPECTED_MESSAGE);
    p.client->pha_requests = 0; /* as application data does */
    /* Certificate, CertificateVerify or Finished to a client: unexpected. */
    static const uint8_t fin[4 + 32] = {20, 0, 0, 32};
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.client, fin, sizeof fin)), PL_ERR_UNEXPECTED_MESSAGE);
    free_pair(&p);

    /* Server: a Certificate that was not requested; then, requested, a
     * Finished before the Certificate. */
    static const uint8_t empty_cert[] = {11, 0, 0, 4, 0, 0, 0, 0};
    pha_pair(&p, "client", PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.server, empty_cert, sizeof empty_cert)), PL_ERR_UNEXPECTED_MESSAGE);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.server, fin, sizeof fin)), PL_ERR_UNEXPECTED_MESSAGE);
    /* A Certificate with the context of another request (empty here). */
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.server, empty_cert, sizeof empty_cert)), PL_ERR_ILLEGAL_PARAMETER);
    free_pair(&p);

    /* The right context, an empty chain, then a Finished that does not verify. */
    pha_pair(&p, "client", PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    uint8_t cert[4 + 1 + 32 + 3] = {11, 0, 0, 36, 32};
    memcpy(cert + 5, p.server->pha->ctx, 32);
    assert_int_equal(pl_hs_post_handshake(p.server, cert, sizeof cert), 0);
    assert_int_equal(PL_CODE(pl_hs_post_handshake(p.server, fin, sizeof fin)), PL_ERR_DECRYPT_ERROR);
    free_pair(&p);
}

/* The same, end to end: the client's real Finished, but the server's view
 * of the exchange differs by one byte: decrypt_error. */
static void test_finished_wrong(void **state)
{
    (void)state;
    pair p;
    pha_pair(&p, "other", PARLEY_VERIFY_CLIENT_OPTIONAL);
    assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
    assert_int_equal(pl_transcript_add(&p.server->hs->transcript, (const uint8_t *)"x", 1), 0);
    pha_settle(&p);
    expect_alert(p.server, p.client, ALERT_DECRYPT_ERROR, "Finished does not verify");
    free_pair(&p);
}

/* A client whose key is elsewhere: parley_conn_read returns WANT_KEY_OP
 * while the CertificateVerify's signature is out, then goes on; a client
 * freed with its signature out cancels it. */
static void test_async_signature(void **state)
{
    (void)state;
    pending_provider ap;
    pending_provider_init(&ap);
    char path[512];
    snprintf(path, sizeof path, "%s/client.key", test_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    snprintf(path, sizeof path, "%s/client.pem", test_dir());
    for (int round = 0; round < 2; round++) {
        parley_config *cc = only_version(client_cfg("ec256"), PARLEY_TLS1_3);
        assert_int_equal(parley_config_add_cert_with_provider(cc, path, &ap.base), PARLEY_OK);
        pair p;
        make_pair(&p, cc, pha_server(PARLEY_VERIFY_CLIENT_REQUIRE), "localhost");
        handshake_ok(&p, "TLS 1.3");
        assert_int_equal(parley_conn_request_client_auth(p.server), PARLEY_OK);
        pair_pump(&p);
        uint8_t buf[64];
        size_t n;
        assert_int_equal(parley_conn_read(p.client, buf, sizeof buf, &n), PARLEY_WANT_KEY_OP);
        assert_ptr_equal(parley_conn_pending_key_op(p.client), ap.pending);
        /* Asking again does not start it again. */
        assert_int_equal(parley_conn_read(p.client, buf, sizeof buf, &n), PARLEY_WANT_KEY_OP);
        assert_int_equal(ap.calls, round + 1);
        if (round == 1) { /* freed with the signature out */
            free_pair(&p);
            assert_int_equal(ap.cancelled, 1);
            break;
        }
        const uint8_t *in;
        size_t inlen, siglen = 256;
        uint8_t sig[256];
        parley_key_op_input(ap.pending, &in, &inlen);
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key), 1);
        assert_int_equal(EVP_DigestSign(m, sig, &siglen, in, inlen), 1);
        EVP_MD_CTX_free(m);
        assert_int_equal(parley_key_op_complete(ap.pending, 1, sig, siglen), PARLEY_OK);
        assert_int_equal(parley_conn_read(p.client, buf, sizeof buf, &n), PARLEY_WANT_READ);
        pha_settle(&p);
        assert_int_equal(parley_conn_client_auth_status(p.server), PARLEY_CLIENT_AUTH_OK);
        exchange(&p, p.client, p.server, "signed elsewhere");
        free_pair(&p);
    }
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_answered),    cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_empty_certificate),   cmocka_unit_test(test_request_without_extension),
        cmocka_unit_test(test_raw_messages),        cmocka_unit_test(test_finished_wrong),
        cmocka_unit_test(test_async_signature),
    };
    return cmocka_run_group_tests(tests, pha_setup, NULL);
}
