/*
 * verify_reason.c - what a libcrypto verification error means, for people
 * and for the report: the sentence and the alert (RFC 8446 6.2) a failure
 * gets, and which of the seven checks (parley.h PARLEY_CHECK_*) it belongs
 * to and at which step of the run (verify_report.c) it happened.
 */
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "../../include/parley/parley.h"

#include "policy.h"

int pl_verify_reason(int err, X509 *bad, X509 *leaf, const char *role, const char *crl_date, const char *today, int max_depth)
{
    char badname[256], when[32];
    int rc;
    pl_cert_name(bad, badname, sizeof badname);
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        pl_date_only(X509_get0_notAfter(bad), when, sizeof when);
        rc = pl_fail(PL_ERR_CERTIFICATE_EXPIRED, __FILE__, __LINE__, "certificate for %s expired on %s (now %s)", badname, when, today);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        pl_date_only(X509_get0_notBefore(bad), when, sizeof when);
        rc = pl_fail(PL_ERR_CERTIFICATE_EXPIRED, __FILE__, __LINE__, "certificate for %s is not valid until %s (now %s)", badname, when, today);
        break;
    /* No trust anchor reached (unknown_ca, RFC 8446 6.2), said three ways,
     * since the fix differs: a self-signed certificate nobody trusts; a
     * path that ends at a root the peer sent but we do not trust; a
     * certificate whose issuer is neither trusted nor among those sent
     * (most often a server that does not send its intermediate). */
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
        char iss[256], leafname[256];
        pl_name_slash(X509_get_issuer_name(bad), iss, sizeof iss); /* names.c: escaped */
        pl_cert_name(leaf ? leaf : bad, leafname, sizeof leafname);
        int self_issued = (X509_get_extension_flags(bad) & EXFLAG_SI) != 0;
        if (err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN && bad != leaf) {
            char root[256];
            pl_name_slash(X509_get_subject_name(bad), root, sizeof root);
            rc = pl_fail(PL_ERR_UNKNOWN_CA, __FILE__, __LINE__, "certificate for %s chains to %s, a root that is not trusted", leafname, root);
        } else if (err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || self_issued) {
            rc = pl_fail(PL_ERR_UNKNOWN_CA, __FILE__, __LINE__, "certificate for %s is self-signed and not trusted", badname);
        } else {
            rc = pl_fail(PL_ERR_UNKNOWN_CA, __FILE__, __LINE__,
                         "certificate for %s was issued by %s, which is neither a trusted CA nor among the certificates sent (a missing intermediate?)",
                         badname, iss);
        }
        break;
    }
    case X509_V_ERR_INVALID_PURPOSE:
        rc = pl_fail(PL_ERR_UNSUPPORTED_CERTIFICATE, __FILE__, __LINE__, "certificate for %s is not allowed for TLS %s authentication (key usage / extended key usage)", badname, role);
        break;
    case X509_V_ERR_CERT_REVOKED:
        /* The revocation date from the CRL that says so (pl_verify_cb). */
        rc = pl_fail(PL_ERR_CERTIFICATE_REVOKED, __FILE__, __LINE__, "certificate for %s was revoked on %s", badname,
                     crl_date[0] ? crl_date : "an unknown date");
        break;
    case X509_V_ERR_CRL_HAS_EXPIRED:
        rc = pl_fail(PL_ERR_CERTIFICATE_UNKNOWN, __FILE__, __LINE__, "the CRL for the issuer of %s expired on %s (now %s)", badname,
                     crl_date[0] ? crl_date : "?", today);
        break;
    case X509_V_ERR_UNABLE_TO_GET_CRL: {
        char iss[256];
        pl_name_slash(X509_get_issuer_name(bad), iss, sizeof iss); /* names.c: escaped */
        rc = pl_fail(PL_ERR_CERTIFICATE_UNKNOWN, __FILE__, __LINE__, "no CRL from %s was given, so the revocation of %s cannot be checked", iss, badname);
        break;
    }
    case X509_V_ERR_INVALID_CA:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate for %s signs other certificates but is not a CA (basicConstraints CA:TRUE missing)", badname);
        break;
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "the chain is longer than the path length constraint of %s allows", badname);
        break;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "the chain is longer than the configured maximum depth of %d", max_depth);
        break;
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate for %s violates the name constraints of an issuing CA", badname);
        break;
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate for %s signs certificates but its keyUsage does not allow it", badname);
        break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate for %s has an invalid signature", badname);
        break;
    default:
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate for %s rejected: %s", badname, X509_verify_cert_error_string(err));
        break;
    }
    return rc;
}

/* The steps of one run, in the order libcrypto's X509_verify_cert takes them
 * (OpenSSL 3.0 verify_chain: build_chain, check_extensions, check_revocation,
 * internal_verify for signatures and dates, check_name_constraints), then
 * ours (pl_verify_chain_report): the policy, the host name, the leaf's keyUsage. */
int pl_verify_err_stage(int err, int *check, int trusted)
{
    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        *check = PARLEY_CHECK_TRUST;
        return PL_STAGE_BUILD;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        *check = PARLEY_CHECK_CONSTRAINTS;
        return PL_STAGE_BUILD;
    /* check_extensions (OpenSSL 3.0 x509_vfy.c): every certificate's
     * extensions, CA flag, path length and purpose. */
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED:
    case X509_V_ERR_INVALID_POLICY_EXTENSION:
        *check = PARLEY_CHECK_CONSTRAINTS;
        return PL_STAGE_EXTENSIONS;
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS: /* a key the signatures check would refuse */
        *check = PARLEY_CHECK_SIGNATURES;
        return PL_STAGE_EXTENSIONS;
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_INVALID_NON_CA:
        *check = PARLEY_CHECK_USAGE;
        return PL_STAGE_EXTENSIONS;
    /* check_revocation: every CRL error, whatever the CRL's fault. */
    case X509_V_ERR_CERT_REVOKED:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
        *check = PARLEY_CHECK_REVOCATION;
        return PL_STAGE_REVOCATION;
    /* internal_verify: each signature and validity period. */
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        *check = PARLEY_CHECK_DATES;
        return PL_STAGE_SIGDATES;
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        *check = PARLEY_CHECK_USAGE;
        return PL_STAGE_SIGDATES;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        *check = PARLEY_CHECK_SIGNATURES;
        return PL_STAGE_SIGDATES;
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
        *check = PARLEY_CHECK_CONSTRAINTS;
        return PL_STAGE_NAMES;
    default:
        /* An error we do not place: as if it came right after path
         * building (or during it, when the path reached no anchor), so no
         * later check is called ok on a run that may not have made it. */
        *check = PARLEY_CHECK_SIGNATURES;
        return trusted ? PL_STAGE_EXTENSIONS : PL_STAGE_BUILD;
    }
}
