/* verify_report_detail_test.c - what the report of parley_verify_chain says
 * beyond the verdict: which CRL revoked (issue #16: "which CRL, its dates"),
 * which SAN matched the host, the three ways no trust anchor is reached
 * (missing intermediate, self-signed, untrusted root sent), and a literal
 * backslash in certificate text kept apart from an escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pki_helpers.h"

static pki_cert *root, *inter, *leaf;

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1}, l = {.kind = "ec256", .san = "DNS:a.test,DNS:*.wild.test,IP:127.0.0.1,IP:::1"};
    root = pki_issue("Root CA", &ca, NULL);
    inter = pki_issue("Intermediate CA", &ca, root);
    leaf = pki_issue("leaf.test", &l, inter);
    if (!root || !inter || !leaf) return -1;
    pki_opts other = {.ca = 1};
    pki_cert *o = pki_issue("Other Root", &other, NULL);
    int rc = pki_write("droot.pem", NULL, (const pki_cert *const[]){root}, 1);
    rc |= o ? pki_write("dother.pem", NULL, (const pki_cert *const[]){o}, 1) : -1;
    rc |= pki_crl("droot.crl", root, NULL, 0);
    rc |= pki_crl("dinter-revoked.crl", inter, NULL, 9);
    /* A good SHA-256 CRL from 3 days ago, in date for 30 days, and a newer
     * SHA-1 one (2 days ago) already expired (1 day ago): libcrypto prefers
     * the CRL in date, so the expired SHA-1 one must not be blamed. */
    rc |= pki_crl_window("dinter-strong-old.crl", inter, NULL, 0, -3 * 86400, 30 * 86400);
    rc |= pki_crl_window("dinter-weak-expired.crl", inter, "sha1", 0, -2 * 86400, -86400);
    /* A SHA-1 CRL alone that revokes the leaf (serial 1). */
    rc |= pki_crl("dinter-weak-rev.crl", inter, "sha1", 1);
    /* An expired CRL (let pass when expired CRLs only warn). */
    rc |= pki_crl_window("dinter-expired.crl", inter, NULL, 0, -10 * 86400, -86400);
    pki_free(o);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    pki_free(leaf), pki_free(inter), pki_free(root);
    return 0;
}

static void test_revocation_names_crl(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .serial = 9};
    pki_cert *rev = pki_issue("leaf.test", &o, inter);
    const pki_cert *chain[] = {rev, inter};
    const char *crls[] = {"droot.crl", "dinter-revoked.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "droot.pem", crls, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    const parley_verify_check *k = &r.checks[PARLEY_CHECK_REVOCATION];
    assert_int_equal(k->verdict, PARLEY_VERDICT_FAILED);
    /* The reason stays the handshake's; the detail adds the CRL. */
    assert_non_null(strstr(r.reason, "certificate for leaf.test was revoked on "));
    assert_null(strstr(r.reason, "CRL from"));
    const char *c = strstr(k->detail, " (CRL from Intermediate CA, thisUpdate 20");
    if (!c) fail_msg("revocation detail: %s", k->detail);
    assert_non_null(strstr(c, ", nextUpdate 20"));
    assert_int_equal(k->detail[strlen(k->detail) - 1], ')');
    pki_free(rev);
}

static void test_host_names_matching_san(void **state)
{
    (void)state;
    parley_verify_result r;
    const pki_cert *chain[] = {leaf, inter};
    const char *host = NULL;
    assert_int_equal(pki_verify(chain, 2, "droot.pem", NULL, 0, "www.wild.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    host = r.checks[PARLEY_CHECK_HOST].detail;
    const char *want = "www.wild.test matched DNS:*.wild.test; its names: DNS:a.test, DNS:*.wild.test";
    if (strncmp(host, want, strlen(want)))
        fail_msg("host detail: %s", host);
    assert_int_equal(pki_verify(chain, 2, "droot.pem", NULL, 0, "A.TEST", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_HOST].detail, "A.TEST matched DNS:a.test;"));
    assert_int_equal(pki_verify(chain, 2, "droot.pem", NULL, 0, "127.0.0.1", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_HOST].detail, "127.0.0.1 matched IP:127.0.0.1;"));
    assert_int_equal(pki_verify(chain, 2, "droot.pem", NULL, 0, "::1", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_HOST].detail, "::1 matched IP:::1;"));
}

/* The intermediate not sent and not trusted: a missing intermediate. */
static void test_missing_intermediate(void **state)
{
    (void)state;
    parley_verify_result r;
    const pki_cert *chain[] = {leaf};
    assert_int_equal(pki_verify(chain, 1, "droot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_int_equal(r.alert, 48); /* unknown_ca */
    assert_string_equal(r.reason, "certificate for leaf.test was issued by /CN=Intermediate CA, which is neither a trusted CA nor "
                                  "among the certificates sent (a missing intermediate?)");
    assert_int_equal(r.checks[PARLEY_CHECK_TRUST].verdict, PARLEY_VERDICT_FAILED);
}

static void test_self_signed_untrusted(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts l = {.kind = "ec256"};
    pki_cert *self = pki_issue("self.test", &l, NULL);
    const pki_cert *chain[] = {self};
    assert_int_equal(pki_verify(chain, 1, "droot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_int_equal(r.alert, 48);
    assert_string_equal(r.reason, "certificate for self.test is self-signed and not trusted");
    pki_free(self);
}

/* The whole chain sent, its root not trusted. */
static void test_untrusted_root_sent(void **state)
{
    (void)state;
    parley_verify_result r;
    const pki_cert *chain[] = {leaf, inter, root};
    assert_int_equal(pki_verify(chain, 3, "dother.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_int_equal(r.alert, 48);
    assert_string_equal(r.reason, "certificate for leaf.test chains to /CN=Root CA, a root that is not trusted");
}

/* A SAN holding the four characters \x0a and one holding a newline must not
 * read the same; nor a commonName with a backslash. */
static void test_backslash_escaped(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts lit = {.kind = "ec256", .san = "DNS:a\\x0a.test"}, nl = {.kind = "ec256", .san = "DNS:a\n.test"};
    pki_cert *l1 = pki_issue("back\\slash", &lit, inter), *l2 = pki_issue("leaf.test", &nl, inter);
    assert_non_null(l1);
    assert_non_null(l2);
    const pki_cert *c1[] = {l1, inter}, *c2[] = {l2, inter};
    assert_int_equal(pki_verify(c1, 2, "droot.pem", NULL, 0, "x.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_string_equal(r.reason, "certificate for back\\\\slash does not match host name x.test");
    if (!strstr(r.checks[PARLEY_CHECK_HOST].detail, "its names: DNS:a\\\\x0a.test)"))
        fail_msg("host detail: %s", r.checks[PARLEY_CHECK_HOST].detail);
    assert_int_equal(pki_verify(c2, 2, "droot.pem", NULL, 0, "x.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    if (!strstr(r.checks[PARLEY_CHECK_HOST].detail, "its names: DNS:a\\x0a.test)"))
        fail_msg("host detail: %s", r.checks[PARLEY_CHECK_HOST].detail);
    /* The path's subject (RFC 2253 text from libcrypto) escapes it once. */
    assert_int_equal(pki_verify(c1, 2, "droot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_string_equal(r.path[0].subject, "CN = back\\\\slash");
    pki_free(l1), pki_free(l2);
}

/* An issuer whose name holds the four characters \x0A and one holding a
 * newline give different reasons (names.c pl_name_slash doubles the
 * backslash of the first), in the missing-intermediate sentence too. */
static void test_issuer_names_escaped(void **state)
{
    (void)state;
    parley_verify_result r;
    char reason2[sizeof r.reason];
    pki_opts ca = {.ca = 1}, l = {.kind = "ec256"};
    pki_cert *i1 = pki_issue("Evil\\x0AInt", &ca, root), *i2 = pki_issue("Evil\nInt", &ca, root);
    assert_non_null(i1);
    assert_non_null(i2);
    pki_cert *l1 = pki_issue("leaf.test", &l, i1), *l2 = pki_issue("leaf.test", &l, i2);
    const pki_cert *c1[] = {l1}, *c2[] = {l2};
    assert_int_equal(pki_verify(c1, 1, "droot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    snprintf(reason2, sizeof reason2, "%s", r.reason);
    assert_int_equal(pki_verify(c2, 1, "droot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    if (!strcmp(reason2, r.reason)) fail_msg("the same reason for both: %s", r.reason);
    if (!strstr(reason2, "/CN=Evil\\\\x0AInt,")) fail_msg("literal: %s", reason2);
    if (!strstr(r.reason, "/CN=Evil\\x0aInt,")) fail_msg("newline: %s", r.reason);
    pki_free(l1), pki_free(l2), pki_free(i1), pki_free(i2);
}

/* An expired SHA-1 CRL newer than a SHA-256 one in date: libcrypto applies
 * the one in date, so the chain verifies (nothing refused for a CRL that was
 * not used). A SHA-1 CRL alone that revokes: the detail says it is weak. */
static void test_weak_crl_by_date(void **state)
{
    (void)state;
    parley_verify_result r;
    const pki_cert *chain[] = {leaf, inter};
    const char *crls[] = {"droot.crl", "dinter-strong-old.crl", "dinter-weak-expired.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "droot.pem", crls, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    const char *weak[] = {"droot.crl", "dinter-weak-rev.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "droot.pem", weak, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    if (!strstr(r.checks[PARLEY_CHECK_REVOCATION].detail, "signed with MD5 or SHA-1 (refused by the policy)"))
        fail_msg("revocation detail: %s", r.checks[PARLEY_CHECK_REVOCATION].detail);
}

/* With expired CRLs only a warning, an expired CRL from the intermediate is
 * let pass; the run then stops at the root's missing CRL, a failure with no
 * CRL at all: its detail must not carry the expired CRL's text. */
static void test_crl_detail_not_stale(void **state)
{
    (void)state;
    parley_verify_result r;
    const uint8_t *der[2];
    size_t len[2];
    der[0] = pki_der(leaf, &len[0]);
    der[1] = pki_der(inter, &len[1]);
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("droot.pem")), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(cfg, pki_path("dinter-expired.crl")), PARLEY_OK);
    assert_int_equal(parley_config_set_crl_expired_fatal(cfg, 0), PARLEY_OK);
    assert_int_equal(parley_verify_chain(cfg, der, len, 2, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    parley_config_free(cfg);
    if (!strstr(r.reason, "no CRL from /CN=Root CA was given")) fail_msg("reason: %s", r.reason);
    if (strstr(r.checks[PARLEY_CHECK_REVOCATION].detail, "CRL from Intermediate CA"))
        fail_msg("stale CRL text: %s", r.checks[PARLEY_CHECK_REVOCATION].detail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revocation_names_crl),  cmocka_unit_test(test_host_names_matching_san),
        cmocka_unit_test(test_missing_intermediate),  cmocka_unit_test(test_self_signed_untrusted),
        cmocka_unit_test(test_untrusted_root_sent),   cmocka_unit_test(test_backslash_escaped),
        cmocka_unit_test(test_issuer_names_escaped), cmocka_unit_test(test_weak_crl_by_date),
        cmocka_unit_test(test_crl_detail_not_stale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
