/* verify_report_hard_test.c - the verifier against what a review found:
 * errors placed at their real step (no "ok" for a check that failed or never
 * ran), certificate text escaped (no forged report lines, no raw bytes in an
 * error string, BMPString names readable), the CRL libcrypto used (not any
 * weak one beside it), no warning left from an earlier run, the client CA for
 * PARLEY_PURPOSE_CLIENT, long paths and long reasons never cut, the dates
 * detail on libcrypto's certificate, TRUSTED CERTIFICATE blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pki_helpers.h"

static pki_cert *root, *inter;

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1};
    root = pki_issue("Hard Root", &ca, NULL);
    inter = pki_issue("Hard Inter", &ca, root);
    if (!root || !inter) return -1;
    int rc = pki_write("hroot.pem", NULL, (const pki_cert *const[]){root}, 1);
    rc |= pki_crl("hroot.crl", root, NULL, 0);
    rc |= pki_crl("hinter-rev7.crl", inter, NULL, 7);
    /* An old SHA-1 CRL next to a newer SHA-256 one, and a SHA-1 one alone. */
    rc |= pki_crl_at("hinter-old-sha1.crl", inter, "sha1", 0, -2 * 86400);
    rc |= pki_crl("hinter-new.crl", inter, NULL, 0);
    rc |= pki_crl("hinter-sha1.crl", inter, "sha1", 0);
    /* An old SHA-256 CRL next to a NEWER SHA-1 one (which may list what the
     * old one does not): the weak one must not be dropped in favour of the old. */
    rc |= pki_crl_at("hinter-old.crl", inter, NULL, 0, -2 * 86400);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    pki_free(inter), pki_free(root);
    return 0;
}

static void no_line_break(const parley_verify_result *r)
{
    assert_null(strchr(r->reason, '\n'));
    for (size_t i = 0; i < r->path_len; i++) assert_null(strchr(r->path[i].subject, '\n')), assert_null(strchr(r->path[i].issuer, '\n'));
    for (int c = 0; c < PARLEY_CHECK_COUNT; c++) assert_null(strchr(r->checks[c].detail, '\n'));
}

/* A revoked leaf with an unknown critical extension: libcrypto stops at the
 * extension (check_extensions, before revocation), so revocation was not
 * checked and must not read "ok ... not revoked". */
static void test_critical_extension_before_revocation(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .serial = 7, .crit_ext = 1};
    pki_cert *lf = pki_issue("leaf.test", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    const char *crls[] = {"hroot.crl", "hinter-rev7.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", crls, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_non_null(strstr(r.reason, "critical extension"));
    assert_int_equal(r.checks[PARLEY_CHECK_TRUST].verdict, PARLEY_VERDICT_OK);
    assert_int_equal(r.checks[PARLEY_CHECK_CONSTRAINTS].verdict, PARLEY_VERDICT_FAILED);
    assert_int_equal(r.checks[PARLEY_CHECK_REVOCATION].verdict, PARLEY_VERDICT_NOT_CHECKED);
    assert_int_equal(r.checks[PARLEY_CHECK_DATES].verdict, PARLEY_VERDICT_NOT_CHECKED);
    assert_int_equal(r.checks[PARLEY_CHECK_SIGNATURES].verdict, PARLEY_VERDICT_NOT_CHECKED);
    assert_string_equal(r.checks[PARLEY_CHECK_REVOCATION].detail, "the verification stopped at the constraints failure");
    for (int c = 0; c < PARLEY_CHECK_COUNT; c++) assert_null(strstr(r.checks[c].detail, "not revoked"));
    pki_free(lf);
}

/* The revoked leaf alone: "not checked" names the revocation failure. */
static void test_not_checked_names_failure(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .serial = 7};
    pki_cert *lf = pki_issue("leaf.test", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    const char *crls[] = {"hroot.crl", "hinter-rev7.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", crls, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_int_equal(r.checks[PARLEY_CHECK_REVOCATION].verdict, PARLEY_VERDICT_FAILED);
    assert_string_equal(r.checks[PARLEY_CHECK_DATES].detail, "the verification stopped at the revocation failure");
    pki_free(lf);
}

/* A commonName with line breaks cannot add a "verify: ok" line anywhere. */
static void test_cn_escaped(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .san = "DNS:evil.test"};
    pki_cert *lf = pki_issue("evil\nverify: ok\nx", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", NULL, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_string_equal(r.reason, "certificate for evil\\x0averify: ok\\x0ax does not match host name leaf.test");
    no_line_break(&r);
    /* The handshake's error string too. */
    assert_int_equal(pki_write("hevil.pem", "hevil.key", chain, 2), 0);
    pair p;
    make_pair(&p, client_cfg("hroot"), server_cfg("hevil"), "leaf.test");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_null(strchr(parley_conn_error_string(p.client), '\n'));
    assert_non_null(strstr(parley_conn_error_string(p.client), "evil\\x0averify: ok\\x0ax"));
    free_pair(&p);
    pki_free(lf);
}

/* A BMPString commonName comes out as its text, not empty. */
static void test_bmp_cn(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256", .cn_bmp = 1, .san = "DNS:bmp.test"};
    pki_cert *lf = pki_issue("bmp.test", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", NULL, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_string_equal(r.reason, "certificate for bmp.test does not match host name leaf.test");
    pki_free(lf);
}

/* An old SHA-1 CRL beside a newer SHA-256 one: libcrypto uses the good one,
 * so the chain verifies; a SHA-1 CRL alone is still refused. */
static void test_weak_crl_beside_strong(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256"};
    pki_cert *lf = pki_issue("leaf.test", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    const char *both[] = {"hroot.crl", "hinter-old-sha1.crl", "hinter-new.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", both, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_int_equal(r.checks[PARLEY_CHECK_REVOCATION].verdict, PARLEY_VERDICT_OK);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_REVOCATION].detail, "leaf.test not revoked per the CRL from Hard Inter"));
    const char *weak[] = {"hroot.crl", "hinter-sha1.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", weak, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_string_equal(r.reason, "the CRL from /CN=Hard Inter is signed with sha1WithRSAEncryption (SHA-1), which is refused");
    pki_free(lf);
}

/* A SHA-1 CRL NEWER than every SHA-256 one of the issuer: libcrypto would
 * apply the newest, so dropping the weak one would apply the old strong CRL
 * and could miss a revocation only the newer lists. Refused on the weak CRL. */
static void test_newer_weak_crl_not_dropped(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "ec256"};
    pki_cert *lf = pki_issue("leaf.test", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    const char *crls[] = {"hroot.crl", "hinter-old.crl", "hinter-sha1.crl", NULL};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", crls, 0, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_string_equal(r.reason, "the CRL from /CN=Hard Inter is signed with sha1WithRSAEncryption (SHA-1), which is refused");
    pki_free(lf);
}

/* A run that stops before libcrypto (bad DER) has no warning from the last one. */
static void test_warning_reset(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts o = {.kind = "rsa1024"};
    pki_cert *lf = pki_issue("leaf.test", &o, inter);
    const pki_cert *chain[] = {lf, inter};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", NULL, 1024, "leaf.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_non_null(strstr(r.warning, "insecure"));
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("hroot.pem")), PARLEY_OK);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    const uint8_t *der[] = {junk};
    size_t len[] = {sizeof junk};
    assert_int_equal(parley_verify_chain(cfg, der, len, 1, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_string_equal(r.warning, "");
    parley_config_free(cfg);
    pki_free(lf);
}

/* PARLEY_PURPOSE_CLIENT uses the client CA file even with client
 * verification off in the config (it is what a server would use). */
static void test_client_ca_used(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca = {.ca = 1}, o = {.kind = "ec256"};
    pki_cert *other = pki_issue("Unrelated Root", &ca, NULL), *lf = pki_issue("client.test", &o, inter);
    assert_int_equal(pki_write("hother.pem", NULL, (const pki_cert *const[]){other}, 1), 0);
    size_t l0, l1;
    const uint8_t *der[] = {pki_der(lf, &l0), pki_der(inter, &l1)};
    size_t len[] = {l0, l1};
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("hother.pem")), PARLEY_OK);
    assert_int_equal(parley_config_set_client_ca(cfg, pki_path("hroot.pem")), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(cfg, PARLEY_VERIFY_CLIENT_NONE), PARLEY_OK);
    assert_int_equal(parley_verify_chain(cfg, der, len, 2, NULL, PARLEY_PURPOSE_CLIENT, &r), PARLEY_OK);
    /* A server's chain: the CA file. */
    assert_int_equal(parley_verify_chain(cfg, der, len, 2, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    parley_config_free(cfg);
    /* No client CA file: the CA file for a client's chain too. */
    cfg = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("hroot.pem")), PARLEY_OK);
    assert_int_equal(parley_verify_chain(cfg, der, len, 2, NULL, PARLEY_PURPOSE_CLIENT, &r), PARLEY_OK);
    parley_config_free(cfg);
    pki_free(lf), pki_free(other);
}

/* The longest path the depth allows is reported whole. */
static void test_long_path(void **state)
{
    (void)state;
    enum { N = 20 };
    parley_verify_result r;
    pki_opts ca = {.ca = 1, .kind = "ec256"}, o = {.kind = "ec256"};
    pki_cert *c[N];
    c[N - 1] = pki_issue("Deep Root", &ca, NULL);
    for (int i = N - 2; i > 0; i--) {
        char cn[32];
        snprintf(cn, sizeof cn, "Deep CA %d", i);
        c[i] = pki_issue(cn, &ca, c[i + 1]);
    }
    c[0] = pki_issue("deep.test", &o, c[1]);
    assert_int_equal(pki_write("hdeep.pem", NULL, (const pki_cert *const[]){c[N - 1]}, 1), 0);
    const uint8_t *der[N];
    size_t len[N];
    for (int i = 0; i < N - 1; i++) der[i] = pki_der(c[i], &len[i]);
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("hdeep.pem")), PARLEY_OK);
    assert_int_equal(parley_config_set_max_chain_depth(cfg, 32), PARLEY_OK);
    assert_int_equal(parley_verify_chain(cfg, der, len, N - 1, "deep.test", PARLEY_PURPOSE_SERVER, &r), PARLEY_OK);
    assert_int_equal(r.path_len, N);
    assert_string_equal(r.path[N - 1].subject, "CN = Deep Root");
    assert_true(r.path[N - 1].trust_anchor);
    parley_config_free(cfg);
    for (int i = 0; i < N; i++) pki_free(c[i]);
}

/* Two long names in one sentence: the reason is never cut. */
static void test_long_reason(void **state)
{
    (void)state;
    parley_verify_result r;
    char ou[61];
    memset(ou, 'u', 60), ou[60] = 0;
    pki_opts ca = {.ca = 1, .ou = ou}, mid = {.ca = 1, .ou = ou, .no_cn = 1}, o = {.kind = "ec256"};
    pki_cert *top = pki_issue("Long Root", &ca, NULL), *m = pki_issue("x", &mid, top), *lf = pki_issue("leaf.test", &o, m);
    const pki_cert *chain[] = {lf, m};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_true(strlen(r.reason) > 320);
    const char *tail = ", which is neither a trusted CA nor among the certificates sent (a missing intermediate?)";
    assert_string_equal(r.reason + strlen(r.reason) - strlen(tail), tail);
    assert_non_null(strstr(r.checks[PARLEY_CHECK_TRUST].detail, tail));
    pki_free(lf), pki_free(m), pki_free(top);
}

/* Leaf and intermediate both expired: libcrypto reports the intermediate
 * (it checks from the anchor down), and the detail names the same one. */
static void test_dates_detail_names_reported_cert(void **state)
{
    (void)state;
    parley_verify_result r;
    pki_opts ca = {.ca = 1, .nb_days = -30, .na_days = -5}, o = {.kind = "ec256", .nb_days = -30, .na_days = -2};
    pki_cert *m = pki_issue("Expired Inter", &ca, root), *lf = pki_issue("leaf.test", &o, m);
    const pki_cert *chain[] = {lf, m};
    assert_int_equal(pki_verify(chain, 2, "hroot.pem", NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r), PARLEY_VERIFY_FAILED);
    assert_non_null(strstr(r.reason, "certificate for Expired Inter expired"));
    assert_non_null(strstr(r.checks[PARLEY_CHECK_DATES].detail, "(Expired Inter expired 5 days ago)"));
    assert_null(strstr(r.checks[PARLEY_CHECK_DATES].detail, "(leaf.test expired"));
    pki_free(lf), pki_free(m);
}

/* OpenSSL's TRUSTED CERTIFICATE (trust settings appended) gets a sentence. */
static void test_trusted_certificate_block(void **state)
{
    (void)state;
    char pem[] = "-----BEGIN TRUSTED CERTIFICATE-----\nMAA=\n-----END TRUSTED CERTIFICATE-----\n";
    char err[256];
    parley_cert_list *l = NULL;
    assert_int_equal(parley_cert_list_from_pem((const uint8_t *)pem, strlen(pem), &l, err, sizeof err), PARLEY_ERROR);
    assert_non_null(strstr(err, "TRUSTED CERTIFICATE"));
    assert_non_null(strstr(err, "openssl x509"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_critical_extension_before_revocation),
        cmocka_unit_test(test_not_checked_names_failure),
        cmocka_unit_test(test_cn_escaped),
        cmocka_unit_test(test_bmp_cn),
        cmocka_unit_test(test_weak_crl_beside_strong),
        cmocka_unit_test(test_newer_weak_crl_not_dropped),
        cmocka_unit_test(test_warning_reset),
        cmocka_unit_test(test_client_ca_used),
        cmocka_unit_test(test_long_path),
        cmocka_unit_test(test_long_reason),
        cmocka_unit_test(test_dates_detail_names_reported_cert),
        cmocka_unit_test(test_trusted_certificate_block),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
