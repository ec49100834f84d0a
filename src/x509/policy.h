/*
 * policy.h - the certificate and key policy (policy.c) and the words for
 * certificates that verify.c and verify_report.c share. Only src/x509
 * includes it (it names libcrypto types).
 */
#ifndef PL_X509_POLICY_H
#define PL_X509_POLICY_H

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "x509.h"

/* The key rule and the signature rule over a verified path (leaf first,
 * anchor last): 0, or a failure (bad_certificate / unsupported_certificate)
 * naming the certificate and the key or algorithm. A key below
 * PL_MIN_RSA_BITS accepted because min_rsa_bits was lowered adds a warning
 * to warn (after a "; " when it holds one already). */
int pl_policy_check_path(STACK_OF(X509) *path, int min_rsa_bits, char *warn, size_t wn);
/* The same two rules for one certificate that is not on the path but is
 * trusted through it (a delegated OCSP responder, ocsp.c). */
int pl_policy_check_cert(X509 *x, int min_rsa_bits);
/* A CRL used for the path must not be signed with MD5 or SHA-1. */
int pl_policy_check_crl(const X509_CRL *crl);
/* Is the CRL signed with MD5 or SHA-1 (no error recorded)? */
int pl_crl_is_weak(const X509_CRL *crl);
/* "RSA 2048", "EC P-256", "Ed25519", "DSA 1024", "EC secp256k1" ... */
void pl_key_text(const X509 *x, char *out, size_t n);
/* The signature algorithm's long name: "sha256WithRSAEncryption" ... */
void pl_sig_text(const X509 *x, char *out, size_t n);
/* names.c: the subject's commonName (as UTF-8, whatever its string type),
 * or the whole subject when it has none; a whole name on one line
 * ("CN = a, O = b"); any text. Control bytes and invalid UTF-8 come out as
 * \xNN and a literal backslash as \\, so a certificate cannot add lines
 * to a report or a log, nor text that reads as an escape. */
void pl_cert_name(const X509 *x, char *out, size_t n);
/* A name as "/CN=x/O=y" (X509_NAME_oneline's form), each value escaped as
 * pl_text_escape does (control bytes and invalid UTF-8 as \xNN, a backslash
 * as \\), whole entries only. */
void pl_name_slash(const X509_NAME *nm, char *out, size_t n);
/* The commonName (or whole name) of any name, e.g. a CRL's issuer. */
void pl_name_cn(const X509_NAME *nm, char *out, size_t n);
void pl_name_text(const X509_NAME *nm, char *out, size_t n);
void pl_text_escape(const unsigned char *in, size_t len, char *out, size_t n);

/* hostname.c: does the leaf's subjectAltName match host (a DNS name, or an
 * IP literal against iPAddress entries)? */
int pl_leaf_matches_host(X509 *leaf, const char *host);
/* The same, writing the SAN that matched ("DNS:*.example.com",
 * "IP:127.0.0.1", escaped) to which (may be NULL). */
int pl_leaf_match_san(X509 *leaf, const char *host, char *which, size_t wn);
/* One SAN as text: "DNS:x", "email:x", "URI:x" (escaped as pl_text_escape
 * does) or "IP:a.b.c.d"; other kinds give "". snprintf's return value. */
int pl_san_text(const GENERAL_NAME *g, char *out, size_t n);

/* "2026-01-31" */
void pl_date_only(const ASN1_TIME *t, char *out, size_t n);
/* Unix seconds of an ASN1_TIME, 0 when unreadable (verify.c). */
int64_t pl_asn1_unix(const ASN1_TIME *a);

/* verify_reason.c: the sentence and alert for a libcrypto error (returns
 * pl_fail's value), and the step of the run it happens at with the check
 * (PARLEY_CHECK_*) it fails. */
int pl_verify_reason(int err, X509 *bad, X509 *leaf, const char *role, const char *crl_date, const char *today, int max_depth);
enum {
    PL_STAGE_NONE = 0,       /* not even parsed: nothing was checked */
    PL_STAGE_BUILD,          /* path building, trust */
    PL_STAGE_EXTENSIONS,     /* basicConstraints, path length, purpose (EKU) */
    PL_STAGE_REVOCATION,
    PL_STAGE_SIGDATES,       /* each signature and validity period */
    PL_STAGE_NAMES,          /* name constraints */
    PL_STAGE_POLICY,         /* policy.c: keys and certificate signatures */
    PL_STAGE_CRL_POLICY,     /* policy.c: the signatures of the CRLs used */
    PL_STAGE_HOST,
    PL_STAGE_KEYUSAGE,       /* the leaf's keyUsage for what its key will do */
    PL_STAGE_DONE
};
/* trusted: the path libcrypto built ends at a certificate of the store
 * (where an error libcrypto does not name is placed). */
int pl_verify_err_stage(int err, int *check, int trusted);

/* verify_report.c: fill the report from one run that stopped at `stage`
 * (PL_STAGE_DONE: verified) failing `check` with rc (pl_fail's value). ctx
 * may be NULL (nothing parsed). crl_info: the CRL libcrypto was applying at
 * a revocation failure ("CRL from <issuer>, thisUpdate .., nextUpdate ..")
 * or "". */
struct parley_verify_result;
void pl_report_fill(struct parley_verify_result *r, X509_STORE_CTX *ctx, X509 *leaf, int stage, int check, int rc,
                    const char *host, int ncrls, int max_depth, int64_t at, const char *crl_info);
/* policy.c: drop from a lookup's result the CRLs signed with MD5 or SHA-1
 * that a strong CRL would win libcrypto's choice over anyway (at least as
 * recent, or in date at `at` while the weak one is not); 1 when a weak CRL
 * stays. */
int pl_crls_drop_weak(STACK_OF(X509_CRL) *crls, int64_t at);
/* The verification time of a run: the param's check time, else now. */
int64_t pl_ctx_time(const X509_STORE_CTX *ctx);

#endif
