/* verify_report_test.c - the report of parley_verify_chain: every verdict
 * each of the seven checks can get (ok, FAILED, skipped, not checked), the
 * path it built, the alert, and the same reason a handshake reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pki_helpers.h"

static pki_cert *root, *inter, *leaf, *other;

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1}, l = {.kind = "ec256"};
    root = pki_issue("Root CA", &ca, NULL);
    other = pki_issue("Other Root", &ca, NULL);
    inter = pki_issue("Intermediate CA", &ca, root);
    leaf = pki_issue("leaf.test", &l, inter);
    if (!root || !inter || !leaf || !other) return -1;
    int rc = pki_write("rroot.pem", NULL, (const pki_cert *const[]){root}, 1);
    rc |= pki_write("rother.pem", NULL, (const pki_cert *const[]){other}, 1);
    rc |= pki_write("rleaf.pem", "rleaf.key", (const pki_cert *const[]){leaf, inter}, 2);
    rc |= pki_crl("rroot.crl", root, NULL, 0);
    rc |= pki_crl("rinter.crl", inter, NULL, 0);
    rc |= pki_crl("rinter-revoked.crl", inter, NULL, 7);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    pki_free(leaf), pki_free(inter), pki_free(root), pki_free(other);
    return 0;
}

static void verdicts(const parley_verify_result *r, const int want[PARLEY_CHECK_COUNT])
{
    for (int c = 0; c < PARLEY_CHECK_COUNT; c++)
        if (r->checks[c].verdict != want[c])
            fail_msg("%s: %s (%s), expected %s", parley_verify_check_name(c), parley_verify_verdict_name(r->checks[c].verdict),
                     r->checks[c].detail, parley_verify_verdict_name(want[c]));
}

enum { OK = PARLEY_VERDICT_OK, FAIL = PARLEY_VERDICT_FAILED, SKIP = PARLEY_VERDICT_SKIPPED, NC = PARLEY_VERDICT_NOT_CHECKED };

static int run(const pki_cert *l, const pki_cert *mid, const char *ca, const char *const *crls, const char *host, int purpose,
               parley_verify_result *r)
{
    const pki_cert *chain[] = {l, mid};
    return pki_verify(chain, mid ? 2 : 1, ca, crls, 0, host, purpose, r);
}

static void test_all_ok(void **state)
{
    (void)state;
    parley_verify_result r;
    const char *crls[] = {"rroot.crl", "rinter.crl", NULL};
    assert_int_equal(run(leaf, inter, "rroot.pem", crls, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    verdicts(&r, (const int[]){OK, OK, OK, OK, OK, OK, OK});
    assert_int_equal(r.alert, 0);
    assert_int_equal(r.path_len, 3);
    assert_string_equal(r.path[0].subject, "CN = leaf.test");
    assert_string_equal(r.path[0].issuer, "CN = Intermediate CA");
    assert_string_equal(r.path[0].key, "EC P-256");
    assert_string_equal(r.path[0].signature, "sha256WithRSAEncryption");
    assert_int_equal(r.path[2].trust_anchor, 1);
    assert_int_equal(r.path[0].trust_anchor, 0);
    assert_true(r.path[0].not_after > r.path[0].not_before);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_DATES].detail, "days left"));
    assert_non_null(strstr(r.checks[PARLEY_CHECK_SIGNATURES].detail, "leaf.test (EC P-256) signed with sha256WithRSAEncryption"));
    assert_non_null(strstr(r.checks[PARLEY_CHECK_TRUST].detail, "Root CA"));
    assert_non_null(strstr(r.checks[PARLEY_CHECK_HOST].detail, "DNS:leaf.test"));
    assert_non_null(strstr(r.checks[PARLEY_CHECK_USAGE].detail, "serverAuth"));
    assert_non_null(strstr(r.checks[PARLEY_CHECK_REVOCATION].detail, "not revoked per the CRL from Intermediate CA"));
    /* Skipped: no host name, no CRL. */
    assert_int_equal(run(leaf, inter, "rroot.pem", NULL, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    verdicts(&r, (const int[]){OK, OK, OK, SKIP, OK, OK, SKIP});
}

static void test_trust_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    const char *crls[] = {"rroot.crl", "rinter.crl", NULL};
    assert_int_equal(run(leaf, inter, "rother.pem", crls, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){NC, NC, FAIL, NC, NC, NC, NC});
    assert_int_equal(r.alert, 48); /* unknown_ca */
    /* Root CA is neither in the store nor sent (test_untrusted_root_sent in
     * verify_report_detail_test: the same root sent). */
    assert_string_equal(r.reason, "certificate for Intermediate CA was issued by /CN=Root CA, which is neither a trusted CA nor "
                                  "among the certificates sent (a missing intermediate?)");
    assert_int_equal(r.path[r.path_len - 1].trust_anchor, 0);
}

static void test_nothing_parsed(void **state)
{
    (void)state;
    parley_verify_result r;
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("rroot.pem")), PARLEY_OK);
    const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    const uint8_t *der[] = {junk};
    size_t len[] = {sizeof junk};
    assert_int_equal(parley_verify_chain(cfg, der, len, 1, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){NC, NC, NC, NC, NC, NC, SKIP});
    assert_string_equal(r.reason, "certificate 0 in the chain is not valid DER");
    assert_int_equal(r.path_len, 0);
    parley_config_free(cfg);
}

static void test_dates_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .nb_days = -40, .na_days = -10};
    pki_cert *old = pki_issue("leaf.test", &o, inter);
    assert_int_equal(run(old, inter, "rroot.pem", NULL, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    /* libcrypto checks dates with the signatures, after trust and revocation. */
    verdicts(&r, (const int[]){FAIL, NC, OK, NC, NC, NC, SKIP});
    assert_int_equal(r.alert, 45);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_DATES].detail, "leaf.test expired 10 days ago"));
    pki_free(old);
}

static void test_signatures_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "rsa1024"};
    pki_cert *weak = pki_issue("leaf.test", &o, inter);
    assert_int_equal(run(weak, inter, "rroot.pem", NULL, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){OK, FAIL, OK, NC, NC, OK, SKIP});
    pki_free(weak);
}

static void test_host_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    assert_int_equal(run(leaf, inter, "rroot.pem", NULL, "other.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){OK, OK, OK, FAIL, NC, OK, SKIP});
    assert_string_equal(r.reason, "certificate for leaf.test does not match host name other.test");
    assert_non_null(strstr(r.checks[PARLEY_CHECK_HOST].detail, "its names: DNS:leaf.test, IP:127.0.0.1"));
    /* An IP literal is matched against iPAddress SANs. */
    assert_int_equal(run(leaf, inter, "rroot.pem", NULL, "127.0.0.1", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_int_equal(run(leaf, inter, "rroot.pem", NULL, "127.0.0.2", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
}

static void test_usage_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .eku = "clientAuth"};
    pki_cert *cl = pki_issue("leaf.test", &o, inter);
    assert_int_equal(run(cl, inter, "rroot.pem", NULL, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){NC, NC, OK, NC, FAIL, NC, SKIP});
    assert_int_equal(r.alert, 43);
    /* The same certificate is fine for a client. */
    assert_int_equal(run(cl, inter, "rroot.pem", NULL, NULL, PARLEY_PURPOSE_CLIENT, &r), PARLEY_OK);
    pki_free(cl);
}

static void test_constraints_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca0 = {.ca = 1, .pathlen0 = 1}, ca = {.ca = 1}, l = {.kind = "ec256"};
    pki_cert *top = pki_issue("Pathlen0 CA", &ca0, root), *mid = pki_issue("Sub CA", &ca, top), *lf = pki_issue("leaf.test", &l, mid);
    const pki_cert *chain[] = {lf, mid, top};
    assert_int_equal(pki_verify(chain, 3, "rroot.pem", NULL, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){NC, NC, OK, NC, NC, FAIL, SKIP});
    assert_string_equal(r.reason, "the chain is longer than the path length constraint of Pathlen0 CA allows");
    pki_free(lf), pki_free(mid), pki_free(top);
}

static void test_revocation_failed(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .serial = 7};
    pki_cert *rev = pki_issue("leaf.test", &o, inter);
    const char *crls[] = {"rroot.crl", "rinter-revoked.crl", NULL};
    assert_int_equal(run(rev, inter, "rroot.pem", crls, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    verdicts(&r, (const int[]){NC, NC, OK, NC, NC, NC, FAIL}); /* name constraints come after */
    assert_int_equal(r.alert, 44);
    pki_free(rev);
}

/* The reason is the one a handshake reports, word for word. */
static void test_same_reason_as_handshake(void **state)
{
    (void)state;
    parley_verify_result r;
    pair p;
    make_pair(&p, client_cfg("rother"), server_cfg("rleaf"), "leaf.test");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(run(leaf, inter, "rother.pem", NULL, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_non_null(strstr(parley_conn_error_string(p.client), r.reason));
    assert_int_equal(parley_conn_alert_sent(p.client), r.alert);
    free_pair(&p);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    parley_verify_result r;
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_verify_chain(cfg, NULL, NULL, 0, NULL, 3, &r), PARLEY_ERROR);
    assert_int_equal(parley_verify_chain(cfg, NULL, NULL, 0, NULL, PARLEY_PURPOSE_SERVER, NULL), PARLEY_ERROR);
    assert_int_equal(parley_config_set_ca_file(cfg, "/nonexistent/ca.pem"), PARLEY_OK);
    assert_int_equal(parley_verify_chain(cfg, NULL, NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(cfg), "/nonexistent/ca.pem"));
    parley_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_ok),          cmocka_unit_test(test_trust_failed),     cmocka_unit_test(test_nothing_parsed),
        cmocka_unit_test(test_dates_failed),    cmocka_unit_test(test_signatures_failed), cmocka_unit_test(test_host_failed),
        cmocka_unit_test(test_usage_failed),    cmocka_unit_test(test_constraints_failed), cmocka_unit_test(test_revocation_failed),
        cmocka_unit_test(test_same_reason_as_handshake), cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
