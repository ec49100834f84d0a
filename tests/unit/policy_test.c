/* policy_test.c - the certificate and key policy (src/x509/policy.c), one
 * test per rule, through parley_verify_chain (the code a handshake runs) on
 * chains made with libcrypto (pki_helpers.c): key sizes and types on every
 * certificate of the verified path, MD5/SHA-1 signatures on certificates
 * (not the anchor's self-signature) and CRLs; the setters' ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pki_helpers.h"

static pki_cert *root, *inter;

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1};
    root = pki_issue("Root CA", &ca, NULL);
    inter = pki_issue("Intermediate CA", &ca, root);
    if (!root || !inter) return -1;
    return pki_write("root.pem", NULL, (const pki_cert *const[]){root}, 1);
}

static int teardown(void **state)
{
    (void)state;
    pki_free(inter);
    pki_free(root);
    return 0;
}

/* Verify leaf + intermediate against root.pem for leaf.test. */
static int check(pki_cert *leaf, pki_cert *mid, int min_rsa, const char *const *crls, parley_verify_result *r)
{
    const pki_cert *chain[] = {leaf, mid};
    return pki_verify(chain, 2, "root.pem", crls, min_rsa, "leaf.test", PARLEY_PURPOSE_SERVER, r);
}

static void expect_refused(int rc, const parley_verify_result *r, int alert, int check_id, const char *reason)
{
    assert_int_equal(rc, PARLEY_VERIFY_FAILED);
    assert_int_equal(r->ok, 0);
    if (strcmp(r->reason, reason)) fail_msg("reason \"%s\", expected \"%s\"", r->reason, reason);
    assert_int_equal(r->alert, alert);
    assert_int_equal(r->checks[check_id].verdict, PARLEY_VERDICT_FAILED);
}

static pki_cert *leaf_of(const char *kind, const char *md, const pki_cert *issuer)
{
    pki_opts o = {.kind = kind, .md = md};
    pki_cert *c = pki_issue("leaf.test", &o, issuer);
    assert_non_null(c);
    return c;
}

static void test_rsa1024_leaf_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("rsa1024", NULL, inter);
    expect_refused(check(leaf, inter, 0, NULL, &r), &r, 42, PARLEY_CHECK_SIGNATURES,
                   "certificate for leaf.test has an RSA key of 1024 bits; at least 2048 are required");
    pki_free(leaf);
}

static void test_rsa1024_intermediate_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca = {.ca = 1, .kind = "rsa1024"};
    pki_cert *weak = pki_issue("Weak CA", &ca, root), *leaf = leaf_of("ec256", NULL, weak);
    expect_refused(check(leaf, weak, 0, NULL, &r), &r, 42, PARLEY_CHECK_SIGNATURES,
                   "certificate for Weak CA has an RSA key of 1024 bits; at least 2048 are required");
    pki_free(leaf);
    pki_free(weak);
}

static void test_rsa2048_ok(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("rsa2048", NULL, inter);
    assert_int_equal(check(leaf, inter, 0, NULL, &r), PARLEY_OK);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.reason, "ok");
    assert_string_equal(r.warning, "");
    assert_int_equal(r.path_len, 3);
    assert_string_equal(r.path[0].key, "RSA 2048");
    pki_free(leaf);
}

static void test_min_3072_refuses_2048(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("ec256", NULL, inter);
    /* The intermediate (2048) is the first on the path below 3072. */
    expect_refused(check(leaf, inter, 3072, NULL, &r), &r, 42, PARLEY_CHECK_SIGNATURES,
                   "certificate for Intermediate CA has an RSA key of 2048 bits; at least 3072 are required");
    pki_free(leaf);
}

static void test_insecure_1024_accepts_with_warning(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("rsa1024", NULL, inter);
    assert_int_equal(check(leaf, inter, 1024, NULL, &r), PARLEY_OK);
    assert_non_null(strstr(r.warning, "certificate for leaf.test has an RSA key of 1024 bits, accepted only because"));
    pki_free(leaf);
}

static void test_weak_curves_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("ec224", NULL, inter);
    expect_refused(check(leaf, inter, 0, NULL, &r), &r, 43, PARLEY_CHECK_SIGNATURES,
                   "certificate for leaf.test has an EC key on curve secp224r1; only P-256, P-384 and P-521 are accepted");
    pki_free(leaf);
    leaf = leaf_of("secp256k1", NULL, inter);
    expect_refused(check(leaf, inter, 0, NULL, &r), &r, 43, PARLEY_CHECK_SIGNATURES,
                   "certificate for leaf.test has an EC key on curve secp256k1; only P-256, P-384 and P-521 are accepted");
    pki_free(leaf);
}

static void test_dsa_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("dsa", NULL, inter);
    expect_refused(check(leaf, inter, 0, NULL, &r), &r, 43, PARLEY_CHECK_SIGNATURES,
                   "certificate for leaf.test has a DSA 2048 key, which is refused (RSA, EC P-256/P-384/P-521, Ed25519 and Ed448 are accepted)");
    pki_free(leaf);
}

static void test_ed25519_ok(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca = {.ca = 1, .kind = "ed25519"};
    pki_cert *edca = pki_issue("Ed CA", &ca, root), *leaf = leaf_of("ed25519", NULL, edca);
    assert_int_equal(check(leaf, edca, 0, NULL, &r), PARLEY_OK);
    assert_string_equal(r.path[0].key, "Ed25519");
    assert_string_equal(r.path[0].signature, "ED25519");
    pki_free(leaf);
    pki_free(edca);
}

static void test_sha1_intermediate_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca = {.ca = 1, .md = "sha1"};
    pki_cert *sha1ca = pki_issue("Intermediate CA", &ca, root), *leaf = leaf_of("ec256", NULL, sha1ca);
    expect_refused(check(leaf, sha1ca, 0, NULL, &r), &r, 42, PARLEY_CHECK_SIGNATURES,
                   "certificate for Intermediate CA is signed with sha1WithRSAEncryption (SHA-1), which is refused");
    pki_free(leaf);
    pki_free(sha1ca);
}

static void test_md5_leaf_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("ec256", "md5", inter);
    expect_refused(check(leaf, inter, 0, NULL, &r), &r, 42, PARLEY_CHECK_SIGNATURES,
                   "certificate for leaf.test is signed with md5WithRSAEncryption (MD5), which is refused");
    pki_free(leaf);
}

/* The anchor's self-signature is nobody's evidence: its hash does not matter. */
static void test_sha1_anchor_accepted(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca = {.ca = 1, .md = "sha1"};
    pki_cert *old = pki_issue("Old Root", &ca, NULL), *leaf = leaf_of("ec256", NULL, old);
    assert_int_equal(pki_write("oldroot.pem", NULL, (const pki_cert *const[]){old}, 1), 0);
    const pki_cert *chain[] = {leaf};
    assert_int_equal(pki_verify(chain, 1, "oldroot.pem", NULL, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_string_equal(r.path[1].signature, "sha1WithRSAEncryption");
    assert_int_equal(r.path[1].trust_anchor, 1);
    pki_free(leaf);
    pki_free(old);
}

static void test_sha1_crl_refused(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_cert *leaf = leaf_of("ec256", NULL, inter);
    assert_int_equal(pki_crl("root.crl", root, NULL, 0), 0);
    assert_int_equal(pki_crl("inter-sha256.crl", inter, NULL, 0), 0);
    assert_int_equal(pki_crl("inter-sha1.crl", inter, "sha1", 0), 0);
    const char *good[] = {"root.crl", "inter-sha256.crl", NULL}, *bad[] = {"root.crl", "inter-sha1.crl", NULL};
    assert_int_equal(check(leaf, inter, 0, good, &r), PARLEY_OK);
    assert_int_equal(r.checks[PARLEY_CHECK_REVOCATION].verdict, PARLEY_VERDICT_OK);
    expect_refused(check(leaf, inter, 0, bad, &r), &r, 42, PARLEY_CHECK_REVOCATION,
                   "the CRL from /CN=Intermediate CA is signed with sha1WithRSAEncryption (SHA-1), which is refused");
    pki_free(leaf);
}

static void test_setter_ranges(void **state)
{
    (void)state;
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_min_rsa_bits(cfg, 1024), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(cfg), "parley_config_set_insecure_min_rsa_bits"));
    assert_int_equal(parley_config_set_min_rsa_bits(cfg, 2047), PARLEY_ERROR);
    assert_int_equal(parley_config_set_min_rsa_bits(cfg, 16385), PARLEY_ERROR);
    assert_int_equal(parley_config_set_min_rsa_bits(cfg, 2048), PARLEY_OK);
    assert_int_equal(parley_config_set_min_rsa_bits(cfg, 16384), PARLEY_OK);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(cfg, 1023), PARLEY_ERROR);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(cfg, 16385), PARLEY_ERROR);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(cfg, 1024), PARLEY_OK);
    parley_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa1024_leaf_refused),      cmocka_unit_test(test_rsa1024_intermediate_refused),
        cmocka_unit_test(test_rsa2048_ok),                cmocka_unit_test(test_min_3072_refuses_2048),
        cmocka_unit_test(test_insecure_1024_accepts_with_warning), cmocka_unit_test(test_weak_curves_refused),
        cmocka_unit_test(test_dsa_refused),               cmocka_unit_test(test_ed25519_ok),
        cmocka_unit_test(test_sha1_intermediate_refused), cmocka_unit_test(test_md5_leaf_refused),
        cmocka_unit_test(test_sha1_anchor_accepted),      cmocka_unit_test(test_sha1_crl_refused),
        cmocka_unit_test(test_setter_ranges),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
