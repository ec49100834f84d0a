/* fuzz_verify.c - the verifier's input: the first byte picks a mode, the
 * rest is either PEM text (parley_cert_list_from_pem; mode 2 puts the
 * trusted anchor before its certificates) or DER certificates each behind a
 * 2-byte big-endian length; the certificates found are then
 * verified by parley_verify_chain (path building, the policy, the report)
 * against a fixed trust store (a self-signed anchor made at start) at a
 * fixed time, for the host "localhost". Nothing may crash, hang or leak.
 *
 * With bit 0x20 of the first byte, a valid root -> intermediate -> leaf
 * chain made at start (and CRLs from the root and the intermediate in the
 * config) is the input's frame, so the signature, date, CRL and policy rules
 * of a verifying path are reached (bits 0xc0): 0 the leaf with bytes changed
 * (the rest: 3-byte offset/xor triples), 1 the intermediate changed likewise,
 * 2 the good chain then extra DER certificates (2-byte lengths), 3 a DER leaf
 * from the input before the good intermediate. The test itself uses libcrypto
 * to make the chain (the library under test is only called through parley.h). */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "x509/x509.h"

static parley_config *cfg, *cfg_chain;
static uint8_t anchor_der[4096];
static size_t anchor_len;
static unsigned char *leaf_der, *inter_der;
static size_t leaf_len, inter_len;

static void fz_ext(X509 *x, X509 *iss, int nid, const char *v)
{
    X509V3_CTX c;
    X509V3_set_ctx_nodb(&c);
    X509V3_set_ctx(&c, iss, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &c, nid, v);
    if (e) X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

/* An EC P-256 certificate for cn signed by (ix, ik), or self-signed. */
static X509 *fz_cert(const char *cn, int ca, EVP_PKEY *k, X509 *ix, EVP_PKEY *ik)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 2 : 3);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(ix ? ix : x));
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
    X509_set_pubkey(x, k);
    fz_ext(x, ix ? ix : x, NID_subject_key_identifier, "hash");
    fz_ext(x, ix ? ix : x, NID_authority_key_identifier, "keyid:always");
    fz_ext(x, ix ? ix : x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    fz_ext(x, ix ? ix : x, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (!ca) fz_ext(x, ix, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_sign(x, ik ? ik : k, EVP_sha256());
    return x;
}

static int fz_crl(FILE *f, X509 *iss, EVP_PKEY *k)
{
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(iss));
    ASN1_TIME *t = X509_gmtime_adj(NULL, -3600);
    X509_CRL_set1_lastUpdate(crl, t);
    X509_gmtime_adj(t, 7L * 86400);
    X509_CRL_set1_nextUpdate(crl, t);
    ASN1_TIME_free(t);
    int ok = X509_CRL_sign(crl, k, EVP_sha256()) > 0 && PEM_write_X509_CRL(f, crl);
    X509_CRL_free(crl);
    return ok ? 0 : -1;
}

/* root -> intermediate -> leaf, the root in a CA file, both CRLs in the config. */
static int fz_chain_init(void)
{
    char ca[] = "/tmp/fuzz_verify_root.XXXXXX", crls[] = "/tmp/fuzz_verify_crl.XXXXXX";
    EVP_PKEY *rk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *ik = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
             *lk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!rk || !ik || !lk) return -1;
    X509 *root = fz_cert("Fuzz Root", 1, rk, NULL, NULL), *inter = fz_cert("Fuzz Inter", 1, ik, root, rk),
         *leaf = fz_cert("localhost", 0, lk, inter, ik);
    int l1 = i2d_X509(leaf, &leaf_der), l2 = i2d_X509(inter, &inter_der);
    int fd1 = mkstemp(ca), fd2 = mkstemp(crls);
    FILE *f1 = fd1 >= 0 ? fdopen(fd1, "w") : NULL, *f2 = fd2 >= 0 ? fdopen(fd2, "w") : NULL;
    int rc = l1 > 0 && l2 > 0 && f1 && f2 && PEM_write_X509(f1, root) && fz_crl(f2, root, rk) == 0 && fz_crl(f2, inter, ik) == 0 ? 0 : -1;
    if (f1) fclose(f1);
    if (f2) fclose(f2);
    leaf_len = l1 > 0 ? (size_t)l1 : 0, inter_len = l2 > 0 ? (size_t)l2 : 0;
    X509_free(root), X509_free(inter), X509_free(leaf);
    EVP_PKEY_free(rk), EVP_PKEY_free(ik), EVP_PKEY_free(lk);
    cfg_chain = parley_config_new();
    if (rc || !cfg_chain || parley_config_set_ca_file(cfg_chain, ca) || parley_config_add_crl_file(cfg_chain, crls) ||
        parley_config_set_time(cfg_chain, (int64_t)time(NULL)))
        rc = -1;
    /* Load now, and check the frame verifies (else the mode fuzzes nothing). */
    parley_verify_result r;
    const uint8_t *der[] = {leaf_der, inter_der};
    size_t len[] = {leaf_len, inter_len};
    if (rc == 0 && parley_verify_chain(cfg_chain, der, len, 2, "localhost", PARLEY_PURPOSE_SERVER, &r) != PARLEY_OK) {
        fprintf(stderr, "fuzz_verify: the frame chain does not verify: %s\n", r.reason);
        rc = -1;
    }
    unlink(ca), unlink(crls);
    return rc;
}

/* The chain modes (bit 0x20). */
static void fz_chain_one(int sub, const char *host, int purpose, const uint8_t *data, size_t size)
{
    static uint8_t a[8192], b[8192];
    const uint8_t *der[PARLEY_CERT_LIST_MAX];
    size_t len[PARLEY_CERT_LIST_MAX], n = 0;
    if (leaf_len > sizeof a || inter_len > sizeof b) return;
    memcpy(a, leaf_der, leaf_len), memcpy(b, inter_der, inter_len);
    if (sub <= 1) {
        uint8_t *m = sub == 0 ? a : b;
        size_t ml = sub == 0 ? leaf_len : inter_len;
        for (size_t i = 0; i + 3 <= size; i += 3) m[(((size_t)data[i] << 8) | data[i + 1]) % ml] ^= data[i + 2];
        der[n] = a, len[n++] = leaf_len;
        der[n] = b, len[n++] = inter_len;
    } else {
        if (sub == 2) der[n] = a, len[n++] = leaf_len, der[n] = b, len[n++] = inter_len;
        while (size >= 2 && n < PARLEY_CERT_LIST_MAX - 1) {
            size_t cl = ((size_t)data[0] << 8) | data[1];
            if (cl > size - 2) cl = size - 2;
            der[n] = data + 2, len[n++] = cl;
            data += 2 + cl, size -= 2 + cl;
            if (sub == 3) break; /* one leaf */
        }
        if (sub == 3) der[n] = b, len[n++] = inter_len;
    }
    parley_verify_result r;
    (void)parley_verify_chain(cfg_chain, der, len, n, host, purpose, &r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pl_chain anchor;
    char fp[128], pem[8192], path[] = "/tmp/fuzz_verify_ca.XXXXXX";
    if (pl_chain_self_signed(&anchor, fp, sizeof fp) < 0 || pl_chain_leaf_pem(&anchor, pem, sizeof pem) < 0) return -1;
    if (anchor.der_len[0] > sizeof anchor_der) return -1;
    memcpy(anchor_der, anchor.der[0], anchor.der_len[0]);
    anchor_len = anchor.der_len[0];
    pl_chain_free(&anchor);
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem)) return -1;
    close(fd);
    cfg = parley_config_new();
    if (!cfg || parley_config_set_ca_file(cfg, path) || parley_config_set_time(cfg, (int64_t)time(NULL))) return -1;
    /* Load now (the file is removed next). */
    parley_verify_result r;
    if (parley_verify_chain(cfg, NULL, NULL, 0, NULL, PARLEY_PURPOSE_SERVER, &r) == PARLEY_ERROR) return -1;
    unlink(path);
    return fz_chain_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int mode = data[0] & 3, purpose = data[0] & 4 ? PARLEY_PURPOSE_CLIENT : PARLEY_PURPOSE_SERVER;
    const char *host = data[0] & 8 ? NULL : data[0] & 16 ? "127.0.0.1" : "localhost";
    int chain_mode = data[0] & 32, sub = data[0] >> 6;
    data++, size--;
    if (chain_mode) {
        fz_chain_one(sub, host, purpose, data, size);
        return 0;
    }
    const uint8_t *der[PARLEY_CERT_LIST_MAX];
    size_t len[PARLEY_CERT_LIST_MAX], n = 0;
    parley_cert_list *l = NULL;
    if (mode == 1) {
        /* DER certificates behind 2-byte lengths. */
        while (size >= 2 && n < PARLEY_CERT_LIST_MAX) {
            size_t cl = ((size_t)data[0] << 8) | data[1];
            if (cl > size - 2) cl = size - 2;
            der[n] = data + 2, len[n++] = cl;
            data += 2 + cl, size -= 2 + cl;
        }
    } else {
        /* Mode 2: the anchor itself first (a trusted self-signed leaf: the
         * path verifies, so the policy and the report's ok lines run). */
        if (mode == 2) der[n] = anchor_der, len[n++] = anchor_len;
        char err[256];
        if (parley_cert_list_from_pem(data, size, &l, err, sizeof err) != PARLEY_OK) return 0;
        for (size_t i = 0; i < parley_cert_list_count(l) && n < PARLEY_CERT_LIST_MAX; i++, n++) der[n] = parley_cert_list_der(l, i, &len[n]);
    }
    parley_verify_result r;
    (void)parley_verify_chain(cfg, der, len, n, host, purpose, &r);
    parley_cert_list_free(l);
    return 0;
}
