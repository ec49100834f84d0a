/* ocsp_test.c - a stapled OCSP response is checked against the issuer on the
 * verified path (not the second certificate the peer sent), signed by that
 * issuer or by a responder it delegated to with id-kp-OCSPSigning, no older
 * than the maximum age when it has no nextUpdate, and every time check uses
 * the configured clock. Certificates and responses come from the openssl
 * command line (x509_pki.sh); each case runs over TLS 1.3 and TLS 1.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "helpers.h"
#include "internal.h"

#define ALERT_CERTIFICATE_REVOKED 44
#define ALERT_BAD_STATUS 113

static int64_t made; /* when x509_pki.sh ran (UNIX seconds) */

static int setup(void **state)
{
    (void)state;
    char cmd[1024];
    /* PARLEY_VECTORS is tests/vectors; the script sits next to this file. */
    snprintf(cmd, sizeof cmd, "bash '%s/../unit/x509_pki.sh' '%s'", PARLEY_VECTORS, test_dir());
    if (system(cmd) != 0) return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/now.txt", test_dir());
    FILE *f = fopen(path, "r");
    long long t = 0;
    if (!f || fscanf(f, "%lld", &t) != 1) t = 0;
    if (f) fclose(f);
    made = (int64_t)t;
    return made ? 0 : -1;
}

/* A client trusting only A, requiring a staple, at `at` (0: real time). */
static parley_config *ocsp_client(uint16_t version, int64_t at)
{
    parley_config *cc = client_cfg("a");
    assert_int_equal(parley_config_set_versions(cc, version, version), PARLEY_OK);
    assert_int_equal(parley_config_set_ocsp(cc, PARLEY_OCSP_REQUIRE), PARLEY_OK);
    if (at) assert_int_equal(parley_config_set_time(cc, at), PARLEY_OK);
    return cc;
}

/* One handshake: the server sends chain NAME.pem and staples RESP.der. Returns
 * the alert the client sent (0: none, and then the verify result must say
 * the staple was good). The caller keeps its reference to `cc`. */
static int staple(parley_config *cc, const char *name, const char *resp)
{
    char path[512];
    pair p;
    parley_config *sc = server_cfg(name);
    snprintf(path, sizeof path, "%s/%s.der", test_dir(), resp);
    assert_int_equal(parley_config_set_ocsp_response_file(sc, 0, path), PARLEY_OK);
    parley_config_ref(cc);
    make_pair(&p, cc, sc, "localhost");
    int rc = pair_handshake(&p, NULL, NULL);
    int alert = parley_conn_alert_sent(p.client);
    if (rc == 0) assert_string_equal(parley_conn_verify_result(p.client), "ok (OCSP: good)");
    else if (alert <= 0) fail_msg("handshake failed without an alert: %s", parley_conn_error_string(p.client));
    else print_message("  %s + %s: alert %d, %s\n", name, resp, alert, parley_conn_error_string(p.client));
    free_pair(&p);
    return rc == 0 ? 0 : alert;
}

static int staple_at(uint16_t version, int64_t at, const char *name, const char *resp)
{
    parley_config *cc = ocsp_client(version, at);
    int alert = staple(cc, name, resp);
    parley_config_free(cc);
    return alert;
}

static const uint16_t versions[] = {PARLEY_TLS1_3, PARLEY_TLS1_2};

/* Chain [leaf, A2, A] where A2 is A re-keyed (same name, cross-signed by A)
 * and the leaf was issued, and revoked, by A. A2's "good" answer (its own
 * response or its delegated responder's) is about a different issuer: it
 * must not pass the leaf. A's "revoked" answer must be found and reported,
 * also when the verified chain comes from the verification cache. */
static void test_rekeyed_ca(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(staple_at(versions[i], 0, "rekeyed", "a2-good"), ALERT_BAD_STATUS);
        assert_int_equal(staple_at(versions[i], 0, "rekeyed", "a2resp-good"), ALERT_BAD_STATUS);
        parley_config *cc = ocsp_client(versions[i], 0);
        assert_int_equal(staple(cc, "rekeyed", "a-revoked"), ALERT_CERTIFICATE_REVOKED);
        assert_int_equal(pl_trust_cached(cc->trust), 1); /* the chain verified, then the staple failed */
        assert_int_equal(staple(cc, "rekeyed", "a-revoked"), ALERT_CERTIFICATE_REVOKED); /* chain from the cache */
        assert_int_equal(staple(cc, "rekeyed", "a2-good"), ALERT_BAD_STATUS);
        parley_config_free(cc);
    }
}

/* RFC 6960 4.2.2.2: the issuer itself, or a certificate it issued with
 * id-kp-OCSPSigning; an unrelated key (even one using the CA's name) or a
 * certificate of the issuer without that purpose is refused. */
static void test_responder_authority(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(staple_at(versions[i], 0, "good", "rogue"), ALERT_BAD_STATUS);
        assert_int_equal(staple_at(versions[i], 0, "good", "noeku"), ALERT_BAD_STATUS);
        assert_int_equal(staple_at(versions[i], 0, "good", "deleg"), 0);
    }
}

/* RFC 8879 with a staple: the server compresses its stapled Certificate
 * message (cert_msg_ocsp), not the plain one, and the staple arrives and
 * verifies after decompression; without status_request the plain one. */
static void test_staple_compressed(void **state)
{
    (void)state;
    const char *algs[] = {"zlib", "brotli", "zstd"};
    char path[512];
    for (int a = 0; a < 3; a++)
        for (int ask = 0; ask < 2; ask++) {
            pair p;
            size_t plain = 0;
            parley_config *cc = ocsp_client(PARLEY_TLS1_3, 0), *sc = server_cfg("good");
            if (!ask) assert_int_equal(parley_config_set_ocsp(cc, PARLEY_OCSP_NONE), PARLEY_OK);
            if (parley_config_set_cert_compression(cc, algs[a]) != PARLEY_OK) { /* not built in (PARLEY_WITH_*) */
                parley_config_free(cc);
                parley_config_free(sc);
                continue;
            }
            snprintf(path, sizeof path, "%s/deleg.der", test_dir());
            assert_int_equal(parley_config_set_ocsp_response_file(sc, 0, path), PARLEY_OK);
            make_pair(&p, cc, sc, "localhost");
            handshake_ok(&p, algs[a]);
            assert_string_equal(parley_conn_cert_compression(p.client, 0, &plain, NULL), algs[a]);
            assert_int_equal(plain, ask ? sc->certs[0].cert_msg_ocsp.len : sc->certs[0].cert_msg.len);
            if (ask) assert_string_equal(parley_conn_verify_result(p.client), "ok (OCSP: good)");
            free_pair(&p);
        }
}

/* A response without nextUpdate is good for the maximum age after its
 * thisUpdate: 7 days by default. */
static void test_max_age_default(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(staple_at(versions[i], made + 6 * 86400, "good", "noupd"), 0);
        assert_int_equal(staple_at(versions[i], made + 8 * 86400, "good", "noupd"), ALERT_BAD_STATUS);
    }
}

/* ... and as configured. */
static void test_max_age_configured(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        parley_config *cc = ocsp_client(versions[i], made + 2 * 86400);
        assert_int_equal(parley_config_set_ocsp_max_age(cc, 86400), PARLEY_OK);
        assert_int_equal(staple(cc, "good", "noupd"), ALERT_BAD_STATUS);
        parley_config_free(cc);
        cc = ocsp_client(versions[i], made + 2 * 86400);
        assert_int_equal(parley_config_set_ocsp_max_age(cc, 3 * 86400), PARLEY_OK);
        assert_int_equal(staple(cc, "good", "noupd"), 0);
        assert_int_equal(parley_config_set_ocsp_max_age(cc, 0), PARLEY_ERROR);
        parley_config_free(cc);
    }
}

/* The delegated responder's certificate is checked at the configured time:
 * one that has expired by then is refused, one valid by then (not yet at the
 * real time) is accepted. */
static void test_responder_clock(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(staple_at(versions[i], 0, "good", "expiring"), 0);
        assert_int_equal(staple_at(versions[i], made + 3 * 3600, "good", "expiring"), ALERT_BAD_STATUS);
        assert_int_equal(staple_at(versions[i], made + 2 * 3600, "good", "future"), 0);
    }
}

/* deleg.der with `junk` unrelated certificates put before the responder's
 * own in the response's certificate list (outside the signed data, so the
 * signature still holds), written to OUT.der. */
static void pad_response(int junk, const char *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/deleg.der", test_dir());
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char der[8192], *w = NULL;
    const unsigned char *p = der;
    long n = (long)fread(der, 1, sizeof der, f);
    fclose(f);
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, n);
    snprintf(path, sizeof path, "%s/noeku.pem", test_dir());
    f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    OCSP_BASICRESP *bs = r ? OCSP_response_get1_basic(r) : NULL;
    assert_non_null(bs);
    assert_non_null(x);
    STACK_OF(X509) *certs = (STACK_OF(X509) *)OCSP_resp_get0_certs(bs);
    assert_int_equal(sk_X509_num(certs), 1);
    for (int i = 0; i < junk; i++) {
        X509_up_ref(x);
        assert_true(sk_X509_insert(certs, x, 0) > 0);
    }
    OCSP_RESPONSE *padded = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    snprintf(path, sizeof path, "%s/%s.der", test_dir(), out);
    f = fopen(path, "wb");
    assert_non_null(f);
    n = padded ? i2d_OCSP_RESPONSE(padded, &w) : -1;
    assert_true(n > 0);
    assert_int_equal(fwrite(w, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    OPENSSL_free(w);
    OCSP_RESPONSE_free(padded);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    X509_free(x);
}

/* The responder's certificate is found wherever it is in the response, but
 * only among the first 8 (each candidate may cost two signature checks). */
static void test_signer_search_bound(void **state)
{
    (void)state;
    pad_response(7, "deleg-pad7");
    pad_response(8, "deleg-pad8");
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(staple_at(versions[i], 0, "good", "deleg-pad7"), 0);
        assert_int_equal(staple_at(versions[i], 0, "good", "deleg-pad8"), ALERT_BAD_STATUS);
    }
}

/* The same class for CRLs: the store holds A's CRL and A2's (same issuer
 * name, different key, a different revocation date and nextUpdate).
 * libcrypto checks the leaf against A's, the CRL of its verified issuer; the
 * sentence must name that CRL's dates, not those of the first CRL found by
 * issuer name. Returns the client's error sentence. */
static void crl_sentence(int64_t at, int a2_first, char *out, size_t n)
{
    char a[512], a2[512];
    pair p;
    parley_config *cc = client_cfg("a");
    snprintf(a, sizeof a, "%s/a.crl", test_dir());
    snprintf(a2, sizeof a2, "%s/a2.crl", test_dir());
    assert_int_equal(parley_config_add_crl_file(cc, a2_first ? a2 : a), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(cc, a2_first ? a : a2), PARLEY_OK);
    if (at) assert_int_equal(parley_config_set_time(cc, at), PARLEY_OK);
    make_pair(&p, cc, server_cfg("rekeyed"), "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    snprintf(out, n, "%s", parley_conn_error_string(p.client));
    print_message("  %s\n", out);
    free_pair(&p);
}

static void day(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%d", &tm);
}

/* Does err contain `prefix` followed by the day of t or of t + 5 minutes?
 * (openssl ca ran a moment after `made`, perhaps just past midnight.) */
static void want_day(const char *err, const char *prefix, int64_t t)
{
    char want[2][160], d[32];
    for (int i = 0; i < 2; i++) {
        day(t + i * 300, d, sizeof d);
        snprintf(want[i], sizeof want[i], "%s%s", prefix, d);
    }
    if (!strstr(err, want[0]) && !strstr(err, want[1])) fail_msg("want \"%s\" in \"%s\"", want[0], err);
}

static void test_crl_dates_from_verified_issuer(void **state)
{
    (void)state;
    char err[512];
    for (int a2_first = 0; a2_first < 2; a2_first++) {
        crl_sentence(0, a2_first, err, sizeof err);
        want_day(err, "certificate for localhost was revoked on ", made);
        /* Two days on A's CRL (nextUpdate +1 day) has expired; A2's has not. */
        crl_sentence(made + 2 * 86400, a2_first, err, sizeof err);
        want_day(err, "the CRL for the issuer of localhost expired on ", made + 86400);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rekeyed_ca),       cmocka_unit_test(test_responder_authority),
        cmocka_unit_test(test_staple_compressed),
        cmocka_unit_test(test_max_age_default),  cmocka_unit_test(test_max_age_configured),
        cmocka_unit_test(test_responder_clock),  cmocka_unit_test(test_crl_dates_from_verified_issuer),
        cmocka_unit_test(test_signer_search_bound),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
