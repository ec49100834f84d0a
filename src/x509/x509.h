/*
 * x509.h - certificates: loading chains and keys, generating a self-signed
 * certificate, verifying a peer chain (libcrypto X509_verify_cert for path,
 * signatures, dates and EKU; Parley's own RFC 6125 host matching and leaf
 * keyUsage; the key and signature policy of policy.c; a report of the checks
 * for parley_verify_chain), checking a stapled OCSP response against the verified issuer
 * (ocsp.c), and describing certificates for people. Only this directory and src/crypto
 * include OpenSSL headers.
 */
#ifndef PL_X509_H
#define PL_X509_H

#include <stddef.h>
#include <stdint.h>

#include "../crypto/crypto.h"
#include "../util/buf.h"
#include "../util/err.h"

typedef struct {
    const uint8_t *p;
    size_t len;
} pl_der;

/* A certificate chain we present: DER certificates (leaf first), the leaf's
 * public key, the private key (NULL when a provider holds it), and the leaf's
 * DNS names for SNI selection. */
typedef struct {
    uint8_t **der;
    size_t *der_len;
    size_t n;
    pl_pkey *pubkey;
    pl_pkey *key;
    char **names;
    size_t nnames;
} pl_chain;

PL_MUST_CHECK int pl_chain_load_pem(const char *path, pl_chain *out);
PL_MUST_CHECK int pl_key_load_pem(const char *path, pl_pkey **out);
/* Does the private key belong to the leaf? */
int pl_chain_key_matches(const pl_chain *c, const pl_pkey *key);
/* Is `host` one of the leaf's names (RFC 6125 rules)? */
int pl_chain_matches_name(const pl_chain *c, const char *host);
void pl_chain_free(pl_chain *c);
/* The leaf as PEM text; fails when it does not fit. */
PL_MUST_CHECK int pl_chain_leaf_pem(const pl_chain *c, char *out, size_t len);
/* A fresh P-256 key and self-signed certificate for localhost/127.0.0.1/::1,
 * valid from one hour ago for 30 days. fp gets the SHA-256 fingerprint. */
PL_MUST_CHECK int pl_chain_self_signed(pl_chain *out, char *fp, size_t fplen);

/* Public key of a DER certificate. */
PL_MUST_CHECK int pl_cert_pubkey(const uint8_t *der, size_t len, pl_pkey **out);
/* Subject, issuer, notBefore, notAfter as text ("2026-01-31 12:00:00 UTC"). */
PL_MUST_CHECK int pl_cert_describe(const uint8_t *der, size_t len, char *subject, size_t sl,
                                   char *issuer, size_t il, char *nb, size_t nbl, char *na,
                                   size_t nal);

/* subjectAltNames as "DNS:a, IP:1.2.3.4, email:x, URI:u". */
PL_MUST_CHECK int pl_cert_sans(const uint8_t *der, size_t len, char *out, size_t outlen);

/* Trust store: a PEM bundle, or the system default paths when path is NULL. */
typedef struct pl_trust pl_trust;
PL_MUST_CHECK int pl_trust_load(const char *cafile, pl_trust **out);
/* Add the CRLs of a PEM or DER file; revocation checking is then on for the
 * leaf and all intermediates. */
PL_MUST_CHECK int pl_trust_add_crl_file(pl_trust *t, const char *path);
/* Policy for verification beyond the trust anchors. */
void pl_trust_set_policy(pl_trust *t, int max_depth, int crl_expired_fatal);
/* The smallest RSA key accepted anywhere on a verified path (policy.c);
 * PL_MIN_RSA_BITS unless lowered on purpose (insecure). */
#define PL_MIN_RSA_BITS 2048
void pl_trust_set_min_rsa_bits(pl_trust *t, int bits);
void pl_trust_free(pl_trust *t);
/* The store's identity (its certificates and CRLs; for the system store also
 * its locations), for binding sessions to the trust they were verified under. */
PL_MUST_CHECK int pl_trust_digest(pl_trust *t, uint8_t out[32]);
/* The verification cache (on by default) and how many chains it holds. */
void pl_trust_set_cache(pl_trust *t, int enabled);
int pl_trust_cached(pl_trust *t);
/* The libcrypto store inside (tests: its anchors are warmed at load). */
struct x509_store_st *pl_trust_x509_store(pl_trust *t);

/* A certificate kept after verification: reference counted, immutable. */
typedef struct pl_cert pl_cert;
/* The public key of a certificate that is not verified (or verified by the
 * application): valid DER, a key type we know, and a keyUsage (when there
 * is one) allowing what the key will do: digitalSignature, or with
 * key_transport (TLS 1.2 RSA key exchange) keyEncipherment (RFC 8446
 * 4.4.2.2, RFC 5246 7.4.2, RFC 5280 4.2.1.3); else unsupported_certificate. */
PL_MUST_CHECK int pl_cert_leaf_key(const uint8_t *der, size_t len, int key_transport, pl_pkey **out);
/* The leaf (DER) against a host name (RFC 6125): 1 matches, 0 not, -1 not a certificate. */
int pl_der_leaf_matches_host(const uint8_t *der, size_t len, const char *host);
PL_MUST_CHECK int pl_cert_from_der(const uint8_t *der, size_t len, pl_cert **out);
void pl_cert_free(pl_cert *c);

/* Verify a peer chain at time `now` (0: real time) for TLS server
 * authentication (with `host`) or client authentication (host NULL). On
 * failure returns the code whose alert fits (certificate_expired, unknown_ca,
 * bad_certificate, unsupported_certificate ...) with a sentence for people. */
enum { PL_PURPOSE_SERVER = 1, PL_PURPOSE_CLIENT = 2, PL_PURPOSE_ROLE = 3 };
/* OR'ed into the purpose: the leaf's key will encrypt (TLS 1.2 RSA key
 * exchange) rather than sign; its keyUsage, when present, must allow
 * keyEncipherment instead of digitalSignature. */
enum { PL_PURPOSE_KEY_TRANSPORT = 4 };
/* On success *leaf_key (when not NULL) is the leaf's public key, taken from
 * the certificate parsed for verification (no second parse), and *issuer
 * (when not NULL) the leaf's issuer on the VERIFIED path (the leaf itself
 * when the path is a trusted self-signed leaf) - never simply the second
 * certificate the peer sent, which may be a look-alike of the real issuer.
 * A chain verified once is remembered by the trust store (up to 64 chains,
 * keyed by SHA-256 of purpose, host name, the exact DER bytes and the policy
 * it was verified under (maximum depth, expired-CRL rule, minimum RSA size:
 * verify.c pl_vcache_key), holding
 * the leaf key and that issuer) for at most 10 minutes and never past any
 * certificate's validity at `now`; a store with CRLs does not remember. */
PL_MUST_CHECK int pl_verify_chain(pl_trust *t, const pl_der *chain, size_t n, const char *host, int64_t now,
                                  int purpose, pl_pkey **leaf_key, pl_cert **issuer);
/* The same verification (the very same code: pl_verify_chain is this with
 * report NULL), also filling `report` (parley_verify_result, parley.h): the
 * built path and the seven checks as this run saw them (verify_report.c).
 * With a report the cache is neither read nor written. */
struct parley_verify_result;
PL_MUST_CHECK int pl_verify_chain_report(pl_trust *t, const pl_der *chain, size_t n, const char *host, int64_t now,
                                         int purpose, pl_pkey **leaf_key, pl_cert **issuer,
                                         struct parley_verify_result *report);
/* Check a stapled OCSP response (DER) for the certificate `leaf` (DER) whose
 * verified issuer is `issuer` (RFC 6960): responder status; the signer is the
 * issuer itself or a certificate the issuer signed with id-kp-OCSPSigning,
 * valid at `now` (4.2.2.2), looked for among the first 8 certificates the
 * response carries; the certificate id under that issuer (in the
 * response's hash); freshness at `now` with 5 minutes of skew: thisUpdate not
 * in the future, nextUpdate not past, or without nextUpdate thisUpdate no
 * older than max_age seconds; then the status. Every time check uses `now`
 * (0: real time). Revoked: certificate_revoked; anything else wrong:
 * bad_certificate_status_response. A delegated responder's certificate
 * meets the key policy with min_rsa_bits (the config's; 0: the default). */
PL_MUST_CHECK int pl_ocsp_check(const uint8_t *leaf, size_t leaf_len, const pl_cert *issuer, const uint8_t *resp,
                                size_t len, int64_t now, uint32_t max_age, int min_rsa_bits);
/* After a successful verification: a warning to show (e.g. an expired CRL
 * accepted by policy), or "" (thread-local, valid until the next call). */
const char *pl_verify_warning(void);
static inline int pl_verify_server_chain(pl_trust *t, const pl_der *chain, size_t n, const char *host, int64_t now,
                                         int key_transport, pl_pkey **leaf_key, pl_cert **issuer)
{
    return pl_verify_chain(t, chain, n, host, now, PL_PURPOSE_SERVER | (key_transport ? PL_PURPOSE_KEY_TRANSPORT : 0), leaf_key,
                           issuer);
}
/* The subjects of the trusted certificates as a TLS DistinguishedName list
 * body (each a vec16 of DER), for certificate_authorities. */
PL_MUST_CHECK int pl_trust_ca_names(const pl_trust *t, pl_buf *out);
/* Was some certificate of the chain issued by one of the DER names in the
 * DistinguishedName list body `names`? (An empty list matches everything.) */
int pl_chain_issued_by_any(const pl_chain *c, const uint8_t *names, size_t len);

/* Is `host` an IPv4 or IPv6 literal? (Matched against iPAddress SANs, never sent as SNI.) */
int pl_is_ip_literal(const char *host);

/* RFC 6125 6.4: does presented DNS identifier `pattern` match reference `host`? */
int pl_hostname_match(const char *pattern, const char *host);

#endif
