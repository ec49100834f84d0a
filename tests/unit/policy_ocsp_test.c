/* policy_ocsp_test.c - a delegated OCSP responder (RFC 6960 4.2.2.2) speaks
 * for the issuer, so its certificate meets the key and signature policy of
 * the path: an RSA-1024 or SHA-1-signed responder certificate is refused, an
 * RSA-2048 SHA-256 one accepted. Responses are made here with libcrypto and
 * given to pl_ocsp_check (the check a handshake runs on a staple). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "pki_helpers.h"
#include "x509/x509.h"

static pki_cert *ca, *leaf;

static int setup(void **state)
{
    (void)state;
    pki_opts c = {.ca = 1}, l = {.kind = "ec256"};
    ca = pki_issue("OCSP CA", &c, NULL);
    leaf = pki_issue("leaf.test", &l, ca);
    return ca && leaf ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pki_free(leaf), pki_free(ca);
    return 0;
}

/* A "good" response for the leaf signed by a responder certificate of
 * `kind` that the CA signed with `md`; pl_ocsp_check's result under a
 * minimum RSA size of min_rsa (0: the default). */
static int check_with_responder_min(const char *kind, const char *md, int min_rsa)
{
    pki_opts o = {.kind = kind, .md = md, .eku = "OCSPSigning", .san = "DNS:ocsp.test"};
    pki_cert *resp = pki_issue("Delegated Responder", &o, ca);
    assert_non_null(resp);
    X509 *lx = pki_x509(leaf), *cx = pki_x509(ca), *rx = pki_x509(resp);
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), lx, cx);
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    ASN1_TIME *tu = X509_gmtime_adj(NULL, -60), *nu = X509_gmtime_adj(NULL, 3600);
    assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, tu, nu));
    /* Flags 0: ResponderID by name, the responder's certificate included. */
    assert_int_equal(OCSP_basic_sign(bs, rx, pki_pkey(resp), EVP_sha256(), NULL, 0), 1);
    OCSP_RESPONSE *r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    unsigned char *der = NULL;
    int dl = i2d_OCSP_RESPONSE(r, &der);
    assert_true(dl > 0);
    size_t ll;
    const uint8_t *ld = pki_der(leaf, &ll);
    int rc = pl_ocsp_check(ld, ll, (const pl_cert *)cx, der, (size_t)dl, (int64_t)time(NULL), 0, min_rsa);
    OPENSSL_free(der);
    OCSP_RESPONSE_free(r);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(tu), ASN1_TIME_free(nu);
    pki_free(resp);
    return rc;
}

static int check_with_responder(const char *kind, const char *md) { return check_with_responder_min(kind, md, 0); }

static void test_rsa2048_responder_accepted(void **state)
{
    (void)state;
    assert_int_equal(check_with_responder("rsa2048", NULL), 0);
}

static void test_rsa1024_responder_refused(void **state)
{
    (void)state;
    assert_true(check_with_responder("rsa1024", NULL) < 0);
    assert_non_null(strstr(pl_last_message(), "RSA key of 1024 bits"));
}

static void test_sha1_responder_refused(void **state)
{
    (void)state;
    assert_true(check_with_responder("rsa2048", "sha1") < 0);
    assert_non_null(strstr(pl_last_message(), "SHA-1"));
}

/* The config's minimum applies to the responder too: raised to 3072 an
 * RSA-2048 responder is refused; lowered (the insecure setter) to 1024 an
 * RSA-1024 one passes. */
static void test_config_minimum_applies(void **state)
{
    (void)state;
    assert_true(check_with_responder_min("rsa2048", NULL, 3072) < 0);
    assert_non_null(strstr(pl_last_message(), "RSA key of 2048 bits; at least 3072"));
    assert_int_equal(check_with_responder_min("rsa3072", NULL, 3072), 0);
    assert_int_equal(check_with_responder_min("rsa1024", NULL, 1024), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa2048_responder_accepted),
        cmocka_unit_test(test_rsa1024_responder_refused),
        cmocka_unit_test(test_sha1_responder_refused),
        cmocka_unit_test(test_config_minimum_applies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
