/* pki_helpers.h - certificate chains and CRLs made with libcrypto for the
 * verifier's tests (policy_test, verify_report_test, ...): any key type,
 * signature hash, extensions and dates, written as PEM into test_dir(). */
#ifndef PARLEY_TEST_PKI_HELPERS_H
#define PARLEY_TEST_PKI_HELPERS_H

#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pki_cert pki_cert;
typedef struct {
    const char *kind;   /* rsa1024 rsa2048 rsa3072 ec256 ec224 secp256k1 dsa ed25519 (default rsa2048) */
    const char *md;     /* the issuer's hash: sha256 (default), sha1, md5 */
    int ca;             /* basicConstraints CA:TRUE, keyCertSign, cRLSign */
    int pathlen0;       /* with ca: pathlen:0 */
    const char *eku;    /* extendedKeyUsage value, e.g. "clientAuth" (leaf default serverAuth,clientAuth) */
    const char *san;    /* subjectAltName value (leaf default "DNS:<cn>,IP:127.0.0.1") */
    const char *nc;     /* nameConstraints value, e.g. "permitted;DNS:.good.test" */
    int nb_days, na_days; /* validity from now + nb_days to now + na_days (default -1 .. 30) */
    long serial;        /* default 1 */
    int cn_bmp;         /* the commonName as a BMPString (ASCII cn) */
    int no_cn;          /* no commonName */
    const char *ou;     /* four organizationalUnitName entries "<ou> 1".."<ou> 4" */
    int crit_ext;       /* an unknown critical extension (1.3.6.1.4.1.55555.1) */
} pki_opts;

/* Issue a certificate for `cn` (issuer NULL: self-signed). NULL on failure. */
pki_cert *pki_issue(const char *cn, const pki_opts *o, const pki_cert *issuer);
void pki_free(pki_cert *c);
/* Its libcrypto objects (X509 *, EVP_PKEY *), owned by c. */
void *pki_x509(const pki_cert *c);
void *pki_pkey(const pki_cert *c);
/* DER of the certificate (static until the certificate is freed). */
const uint8_t *pki_der(const pki_cert *c, size_t *len);
/* Write certificates (in order) as one PEM file test_dir()/name; key of the
 * first to test_dir()/keyname when keyname is not NULL. Returns 0. */
int pki_write(const char *name, const char *keyname, const pki_cert *const *certs, size_t n);
/* A CRL by `issuer` (hash md, default sha256) revoking serial `revoked`
 * (0: none), written to test_dir()/name. Returns 0. */
int pki_crl(const char *name, const pki_cert *issuer, const char *md, long revoked);
/* The same with thisUpdate `last_secs` from now (pki_crl: -3600). */
int pki_crl_at(const char *name, const pki_cert *issuer, const char *md, long revoked, long last_secs);
/* The same with nextUpdate `next_secs` from now (pki_crl_at: 7 days after thisUpdate). */
int pki_crl_window(const char *name, const pki_cert *issuer, const char *md, long revoked, long last_secs, long next_secs);
/* The full path of test_dir()/name (static buffer). */
const char *pki_path(const char *name);
/* At most PKI_MAX_CHAIN certificates. */
#define PKI_MAX_CHAIN 64
/* parley_verify_chain over certs with a config trusting test_dir()/ca (and
 * CRL files, NULL-terminated list of names, may be NULL), min RSA bits (0:
 * default, < 2048: the insecure setter). Returns its result code. */
int pki_verify(const pki_cert *const *certs, size_t n, const char *ca, const char *const *crls, int min_rsa, const char *host,
               int purpose, parley_verify_result *res);

#endif
