/* verify_report_detail_test.c - what the report of parley_verify_chain says
 * beyond the verdict: which CRL revoked (issue #16: "which CRL, its dates"),
 * which SAN matched the host, the three ways no trust anchor is reached
 * (missing intermediate, self-signed, untrusted root sent), and a literal
 * backslash in certificate text kept apart from an escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revocation_names_crl),  cmocka_unit_test(test_host_names_matching_san),
        cmocka_unit_test(test_missing_intermediate),  cmocka_unit_test(test_self_signed_untrusted),
        cmocka_unit_test(test_untrusted_root_sent),   cmocka_unit_test(test_backslash_escaped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
