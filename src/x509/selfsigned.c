/* selfsigned.c - an in-memory self-signed certificate for `parley server` with no --cert. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "../util/mem.h"
#include "x509.h"

int pl_chain_fill_from_leaf(pl_chain *c, X509 *leaf);

static int pl_add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e) return 0;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

int pl_chain_self_signed(pl_chain *out, char *fp, size_t fplen)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    uint8_t serial[16];
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (!k || !x || !name) goto crypto_fail;
    if (pl_random(serial, sizeof serial) < 0) goto crypto_fail;
    serial[0] &= 0x7f; /* positive INTEGER */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    if (!ai || !X509_set_serialNumber(x, ai)) {
        ASN1_INTEGER_free(ai);
        goto crypto_fail;
    }
    ASN1_INTEGER_free(ai);
    if (!X509_set_version(x, 2) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0) ||
        !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) || !X509_set_pubkey(x, k) ||
        !pl_add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
        !pl_add_ext(x, NID_ext_key_usage, "serverAuth") || !X509_sign(x, k, EVP_sha256()))
        goto crypto_fail;
    rc = pl_chain_fill_from_leaf(out, x);
    int len = rc == 0 ? i2d_X509(x, NULL) : -1;
    if (rc == 0) {
        out->der = pl_calloc(1, sizeof *out->der);
        out->der_len = pl_calloc(1, sizeof *out->der_len);
        if (out->der && out->der_len && len > 0 && (out->der[0] = pl_malloc((size_t)len)) != NULL) out->n = 1;
        if (out->n != 1) rc = pl_fail(PL_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    }
    /* A half-filled chain (names, public key, DER) goes whole. */
    if (rc < 0) pl_chain_free(out);
    if (rc == 0) {
        unsigned char *p = out->der[0];
        i2d_X509(x, &p);
        out->der_len[0] = (size_t)len;
        out->key = (pl_pkey *)k;
        k = NULL;
        unsigned char md[32];
        unsigned int mdl = 0;
        X509_digest(x, EVP_sha256(), md, &mdl);
        size_t o = 0;
        for (unsigned i = 0; i < mdl && o + 4 <= fplen; i++)
            o += (size_t)snprintf(fp + o, fplen - o, i ? ":%02X" : "%02X", md[i]);
    }
    X509_NAME_free(name);
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
crypto_fail:
    X509_NAME_free(name);
    X509_free(x);
    EVP_PKEY_free(k);
    PL_BAIL(PL_ERR_CRYPTO, "cannot generate a self-signed certificate");
}
