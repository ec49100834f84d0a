/* ocsp.c - checking a stapled OCSP response (RFC 6960, RFC 6066 8, RFC 8446 4.4.2.1). */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "x509.h"

/* pl_trust is defined in verify.c; only its store is needed here. */
X509_STORE *pl_trust_store(const pl_trust *t);

static void pl_day(const ASN1_GENERALIZEDTIME *t, char *out, size_t n)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) snprintf(out, n, "?");
    else strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

int pl_ocsp_check(const pl_trust *t, const pl_der *chain, size_t n, const uint8_t *resp, size_t len, int64_t now)
{
    const unsigned char *p = resp;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *issuer = NULL;
    X509_STORE_CTX *sctx = NULL;
    int rc = 0, status, reason;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    char leafname[256] = "?", d1[32], d2[32];
    time_t tnow = now ? (time_t)now : time(NULL);
    if (!r || p != resp + len) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__, "the stapled OCSP response is not valid DER");
        goto out;
    }
    if (OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__, "the stapled OCSP response says the responder failed (%s)",
                     OCSP_response_status_str(OCSP_response_status(r)));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *q = chain[i].p;
        X509 *x = d2i_X509(NULL, &q, (long)chain[i].len);
        if (x) sk_X509_push(certs, x);
    }
    if (sk_X509_num(certs) == 0) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "no certificate to check the OCSP response for");
        goto out;
    }
    X509 *leaf = sk_X509_value(certs, 0);
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, leafname, sizeof leafname);
    /* The issuer: next in the chain, or from the trust store. */
    if (sk_X509_num(certs) > 1) {
        issuer = sk_X509_value(certs, 1);
        X509_up_ref(issuer);
    } else if ((sctx = X509_STORE_CTX_new()) && X509_STORE_CTX_init(sctx, pl_trust_store(t), leaf, NULL)) {
        X509_STORE_CTX_get1_issuer(&issuer, sctx, leaf);
    }
    bs = OCSP_response_get1_basic(r);
    /* Signed by the issuer or by a responder the issuer delegated to (RFC 6960 4.2.2.2). */
    if (!bs || OCSP_basic_verify(bs, certs, pl_trust_store(t), 0) <= 0) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__,
                     "the stapled OCSP response for %s is not signed by its issuer or an authorized responder", leafname);
        goto out;
    }
    id = issuer ? OCSP_cert_to_id(NULL, leaf, issuer) : NULL;
    if (!id || OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__, "the stapled OCSP response does not cover the certificate for %s", leafname);
        goto out;
    }
    /* Freshness, with five minutes of clock skew. */
    pl_day(thisupd, d1, sizeof d1);
    pl_day(nextupd, d2, sizeof d2);
    if (ASN1_TIME_cmp_time_t(thisupd, tnow + 300) > 0 || (nextupd && ASN1_TIME_cmp_time_t(nextupd, tnow - 300) < 0)) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__,
                     "the stapled OCSP response for %s is not current (thisUpdate %s, nextUpdate %s)", leafname, d1, nextupd ? d2 : "none");
        goto out;
    }
    if (status == V_OCSP_CERTSTATUS_REVOKED) {
        pl_day(rev, d1, sizeof d1);
        rc = pl_fail(PL_ERR_CERTIFICATE_REVOKED, __FILE__, __LINE__, "certificate for %s was revoked on %s (stapled OCSP response)", leafname, d1);
    } else if (status != V_OCSP_CERTSTATUS_GOOD) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__, "the OCSP responder does not know the certificate for %s", leafname);
    }
out:
    ERR_clear_error();
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    X509_free(issuer);
    X509_STORE_CTX_free(sctx);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}
