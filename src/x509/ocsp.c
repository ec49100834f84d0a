/*
 * ocsp.c - checking a stapled OCSP response (RFC 6960, RFC 6066 8, RFC 8446
 * 4.4.2.1) against the leaf and the issuer of the VERIFIED path. Nothing the
 * peer sent decides who the issuer is; the response's own certificates are
 * only candidates for a delegated responder, which the issuer must have
 * signed. Every time check uses the caller's clock (parley_config_set_time),
 * so libcrypto's OCSP_basic_verify (which verifies the responder at the real
 * time and honours "explicit trust" settings on roots) is not used.
 */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "x509.h"

/* Allowed clock difference between us and the responder. */
#define PL_OCSP_SKEW 300
/* Certificates of a response tried as its signer: a response carries its
 * delegated responder (and perhaps that one's issuer); each try may cost two
 * signature checks, so a peer cannot make us spend more than a few. */
#define PL_OCSP_MAX_SIGNER_CERTS 8

static void pl_day(const ASN1_GENERALIZEDTIME *t, char *out, size_t n)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) snprintf(out, n, "?");
    else strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}


/* RFC 6960 4.2.1 ResponderID: byName, or byKey (SHA-1 of the public key bits). */
static int pl_responder_is(const ASN1_OCTET_STRING *keyid, const X509_NAME *name, X509 *x)
{
    if (name) return X509_NAME_cmp(name, X509_get_subject_name(x)) == 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    return keyid && X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) && (int)mdlen == ASN1_STRING_length(keyid) &&
           memcmp(md, ASN1_STRING_get0_data(keyid), mdlen) == 0;
}

/* RFC 6960 4.2.2.2: may `x` sign for certificates of `issuer`? The issuer
 * itself, or a certificate the issuer signed that carries id-kp-OCSPSigning
 * (RFC 5280 4.2.1.12), allows digital signatures (4.2.1.3) and is valid at
 * `now`. On refusal `why` says what was wrong. */
static int pl_responder_authorized(X509 *issuer, X509 *x, time_t now, int min_rsa_bits, char *why, size_t wl)
{
    char name[128];
    if (X509_cmp(x, issuer) == 0) return 1;
    pl_cert_name(x, name, sizeof name); /* escaped (names.c): it goes into the error string */
    EVP_PKEY *ikey = X509_get0_pubkey(issuer);
    if (X509_check_issued(issuer, x) != X509_V_OK || !ikey || X509_verify(x, ikey) != 1) {
        snprintf(why, wl, "the responder certificate %s was not issued by the certificate's issuer", name);
        return 0;
    }
    /* A delegated responder speaks for the issuer: the key and signature
     * policy of the path applies to it too (policy.c), with the config's
     * minimum RSA size (raised, or lowered by the insecure setter). */
    if (pl_policy_check_cert(x, min_rsa_bits > 0 ? min_rsa_bits : PL_MIN_RSA_BITS) < 0) {
        snprintf(why, wl, "the responder certificate: %s", pl_last_message());
        return 0;
    }
    if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(x) & XKU_OCSP_SIGN)) {
        snprintf(why, wl, "the responder certificate %s lacks id-kp-OCSPSigning", name);
        return 0;
    }
    if (!(X509_get_key_usage(x) & X509v3_KU_DIGITAL_SIGNATURE)) {
        snprintf(why, wl, "the keyUsage of the responder certificate %s does not allow signing", name);
        return 0;
    }
    if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0 || X509_cmp_time(X509_get0_notAfter(x), &now) < 0) {
        char nb[32], na[32];
        pl_day(X509_get0_notBefore(x), nb, sizeof nb);
        pl_day(X509_get0_notAfter(x), na, sizeof na);
        snprintf(why, wl, "the responder certificate %s is not valid now (%s to %s)", name, nb, na);
        return 0;
    }
    return 1;
}

/* Does `x`'s key verify the response's signature? (OCSP_basic_verify told
 * to look only at `x` and not to build or check any chain: that is done
 * here, at the configured time.) */
static int pl_signed_by(OCSP_BASICRESP *bs, X509 *x)
{
    STACK_OF(X509) *one = sk_X509_new_null();
    int ok = one && sk_X509_push(one, x) > 0 && OCSP_basic_verify(bs, one, NULL, OCSP_NOINTERN | OCSP_NOVERIFY) == 1;
    sk_X509_free(one);
    return ok;
}

/* The certificate that signed the response: among the issuer and the
 * response's own certificates, one named by the ResponderID, authorized for
 * this issuer, whose key verifies the signature. No order is trusted: every
 * candidate is tried. */
static int pl_find_signer(OCSP_BASICRESP *bs, X509 *issuer, time_t now, int min_rsa_bits, char *why, size_t wl)
{
    const ASN1_OCTET_STRING *keyid = NULL;
    const X509_NAME *name = NULL;
    if (OCSP_resp_get0_id(bs, &keyid, &name) != 1) return 0;
    const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
    int ncand = 1 + (sk_X509_num(certs) < PL_OCSP_MAX_SIGNER_CERTS ? sk_X509_num(certs) : PL_OCSP_MAX_SIGNER_CERTS);
    for (int i = 0; i < ncand; i++) {
        X509 *x = i == 0 ? issuer : sk_X509_value(certs, i - 1);
        if (!x || !pl_responder_is(keyid, name, x) || !pl_responder_authorized(issuer, x, now, min_rsa_bits, why, wl)) continue;
        if (pl_signed_by(bs, x)) return 1;
        snprintf(why, wl, "its signature does not verify");
    }
    return 0;
}

/* The SingleResponse for leaf under issuer, in whichever hash the responder
 * used for its CertID (RFC 6960 4.1.1: SHA-1 is common, SHA-256 allowed). */
static OCSP_SINGLERESP *pl_find_single(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer)
{
    OCSP_SINGLERESP *found = NULL;
    OCSP_CERTID *mine = NULL; /* our id in the hash of the last entry looked at */
    const EVP_MD *mine_md = NULL;
    for (int i = 0; i < OCSP_resp_count(bs) && !found; i++) {
        OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, i);
        const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(sr);
        ASN1_OBJECT *alg = NULL;
        if (!cid || !OCSP_id_get0_info(NULL, &alg, NULL, NULL, (OCSP_CERTID *)cid)) continue;
        const EVP_MD *md = EVP_get_digestbyobj(alg);
        if (!md) continue;
        if (md != mine_md) {
            OCSP_CERTID_free(mine);
            mine = OCSP_cert_to_id(md, leaf, issuer);
            mine_md = mine ? md : NULL;
        }
        if (mine && OCSP_id_cmp(mine, cid) == 0) found = sr;
    }
    OCSP_CERTID_free(mine);
    return found;
}

int pl_ocsp_check(const uint8_t *leaf_der, size_t leaf_len, const pl_cert *issuer_cert, const uint8_t *resp, size_t len,
                  int64_t now, uint32_t max_age, int min_rsa_bits)
{
    const unsigned char *p = resp, *q = leaf_der;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = NULL;
    X509 *issuer = (X509 *)issuer_cert;
    X509 *leaf = d2i_X509(NULL, &q, (long)leaf_len);
    int rc = 0, status, reason;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    char leafname[256] = "?", d1[32], d2[32], why[256] = "no certificate matches its responder id";
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
    if (!leaf || q != leaf_der + leaf_len || !issuer) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "no verified certificate to check the OCSP response for");
        goto out;
    }
    pl_cert_name(leaf, leafname, sizeof leafname);
    bs = OCSP_response_get1_basic(r);
    if (!bs || !pl_find_signer(bs, issuer, tnow, min_rsa_bits, why, sizeof why)) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__,
                     "the stapled OCSP response for %s is not signed by its issuer or an authorized responder (%s)", leafname, why);
        goto out;
    }
    OCSP_SINGLERESP *sr = pl_find_single(bs, leaf, issuer);
    if (!sr) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__, "the stapled OCSP response does not cover the certificate for %s", leafname);
        goto out;
    }
    status = OCSP_single_get0_status(sr, &reason, &rev, &thisupd, &nextupd);
    /* Freshness with five minutes of skew. Without nextUpdate (RFC 6960
     * 4.2.2.1: "newer information is always available") the response is
     * good for max_age after thisUpdate, as OCSP_check_validity's maxsec. */
    pl_day(thisupd, d1, sizeof d1);
    pl_day(nextupd, d2, sizeof d2);
    if (!thisupd || ASN1_TIME_cmp_time_t(thisupd, tnow + PL_OCSP_SKEW) > 0 ||
        (nextupd && ASN1_TIME_cmp_time_t(nextupd, tnow - PL_OCSP_SKEW) < 0)) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__,
                     "the stapled OCSP response for %s is not current (thisUpdate %s, nextUpdate %s)", leafname, d1, nextupd ? d2 : "none");
        goto out;
    }
    if (!nextupd && ASN1_TIME_cmp_time_t(thisupd, tnow - PL_OCSP_SKEW - (time_t)max_age) < 0) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE_STATUS, __FILE__, __LINE__,
                     "the stapled OCSP response for %s is older than the maximum age of %u seconds (thisUpdate %s, no nextUpdate)",
                     leafname, max_age, d1);
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
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    X509_free(leaf);
    return rc;
}
