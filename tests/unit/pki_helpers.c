/* pki_helpers.c - see pki_helpers.h. */
#include <openssl/dsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pki_helpers.h"

struct pki_cert {
    X509 *x;
    EVP_PKEY *k;
    unsigned char *der;
    int len;
};

static EVP_PKEY *pki_key(const char *kind)
{
    if (!kind || !strcmp(kind, "rsa2048")) return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!strcmp(kind, "rsa1024")) return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    if (!strcmp(kind, "rsa3072")) return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    if (!strcmp(kind, "ec256")) return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!strcmp(kind, "ec224")) return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-224");
    if (!strcmp(kind, "secp256k1")) return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    if (!strcmp(kind, "ed25519")) return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!strcmp(kind, "dsa")) {
        EVP_PKEY *params = NULL, *k = NULL;
        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
        if (pc && EVP_PKEY_paramgen_init(pc) == 1 && EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 2048) == 1 && EVP_PKEY_paramgen(pc, &params) == 1) {
            EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
            if (kc && EVP_PKEY_keygen_init(kc) == 1) EVP_PKEY_keygen(kc, &k);
            EVP_PKEY_CTX_free(kc);
        }
        EVP_PKEY_free(params);
        EVP_PKEY_CTX_free(pc);
        return k;
    }
    return NULL;
}

static void pki_ext(X509 *x, X509 *iss, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, iss, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (e) X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

static const EVP_MD *pki_md(const char *md, const EVP_PKEY *k)
{
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) return NULL;
    if (md && !strcmp(md, "sha1")) return EVP_sha1();
    if (md && !strcmp(md, "md5")) return EVP_md5();
    return EVP_sha256();
}

pki_cert *pki_issue(const char *cn, const pki_opts *o, const pki_cert *issuer)
{
    pki_opts d = {0};
    if (!o) o = &d;
    pki_cert *c = calloc(1, sizeof *c);
    if (!c || !(c->k = pki_key(o->kind))) {
        free(c);
        return NULL;
    }
    X509 *x = c->x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), o->serial ? o->serial : 1);
    X509_NAME *nm = X509_get_subject_name(x);
    if (o->cn_bmp) {
        /* UCS-2 big-endian, set as it is (no conversion by libcrypto). */
        unsigned char u[128];
        size_t l = strlen(cn) < 64 ? strlen(cn) : 64;
        for (size_t i = 0; i < l; i++) u[2 * i] = 0, u[2 * i + 1] = (unsigned char)cn[i];
        X509_NAME_add_entry_by_NID(nm, NID_commonName, V_ASN1_BMPSTRING, u, (int)(2 * l), -1, 0);
    } else if (!o->no_cn) {
        /* Raw bytes, control characters included (V_ASN1_UTF8STRING: no check). */
        X509_NAME_add_entry_by_NID(nm, NID_commonName, V_ASN1_UTF8STRING, (const unsigned char *)cn, -1, -1, 0);
    }
    for (int i = 1; o->ou && i <= 4; i++) {
        char ou[80];
        snprintf(ou, sizeof ou, "%.60s %d", o->ou, i);
        X509_NAME_add_entry_by_NID(nm, NID_organizationalUnitName, V_ASN1_UTF8STRING, (const unsigned char *)ou, -1, -1, 0);
    }
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x) : nm);
    int nb = o->nb_days ? o->nb_days : -1, na = o->na_days ? o->na_days : 30;
    X509_gmtime_adj(X509_getm_notBefore(x), (long)nb * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)na * 86400);
    X509_set_pubkey(x, c->k);
    X509 *ix = issuer ? issuer->x : x;
    pki_ext(x, ix, NID_subject_key_identifier, "hash");
    pki_ext(x, ix, NID_authority_key_identifier, "keyid:always");
    if (o->ca) {
        char bc[64];
        snprintf(bc, sizeof bc, "critical,CA:TRUE%s", o->pathlen0 ? ",pathlen:0" : "");
        pki_ext(x, ix, NID_basic_constraints, bc);
        pki_ext(x, ix, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
        if (o->nc) pki_ext(x, ix, NID_name_constraints, o->nc);
    } else {
        char san[300];
        snprintf(san, sizeof san, "DNS:%s,IP:127.0.0.1", cn);
        pki_ext(x, ix, NID_basic_constraints, "CA:FALSE");
        pki_ext(x, ix, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        pki_ext(x, ix, NID_ext_key_usage, o->eku ? o->eku : "serverAuth,clientAuth");
        pki_ext(x, ix, NID_subject_alt_name, o->san ? o->san : san);
    }
    if (o->crit_ext) {
        ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, v);
        if (e) X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(v);
        ASN1_OBJECT_free(obj);
    }
    EVP_PKEY *sk = issuer ? issuer->k : c->k;
    if (!X509_sign(x, sk, pki_md(o->md, sk)) || (c->len = i2d_X509(x, &c->der)) <= 0) {
        pki_free(c);
        return NULL;
    }
    return c;
}

void pki_free(pki_cert *c)
{
    if (!c) return;
    X509_free(c->x);
    EVP_PKEY_free(c->k);
    OPENSSL_free(c->der);
    free(c);
}

void *pki_x509(const pki_cert *c) { return c->x; }
void *pki_pkey(const pki_cert *c) { return c->k; }

const uint8_t *pki_der(const pki_cert *c, size_t *len)
{
    *len = (size_t)c->len;
    return c->der;
}

const char *pki_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", test_dir(), name);
    return p;
}

int pki_write(const char *name, const char *keyname, const pki_cert *const *certs, size_t n)
{
    FILE *f = fopen(pki_path(name), "w");
    if (!f) return -1;
    for (size_t i = 0; i < n; i++) PEM_write_X509(f, certs[i]->x);
    fclose(f);
    if (keyname) {
        f = fopen(pki_path(keyname), "w");
        if (!f) return -1;
        PEM_write_PrivateKey(f, certs[0]->k, NULL, NULL, 0, NULL, NULL);
        fclose(f);
    }
    return 0;
}

int pki_crl(const char *name, const pki_cert *issuer, const char *md, long revoked) { return pki_crl_at(name, issuer, md, revoked, -3600); }

int pki_crl_at(const char *name, const pki_cert *issuer, const char *md, long revoked, long last_secs)
{
    return pki_crl_window(name, issuer, md, revoked, last_secs, last_secs + 3600 + 7 * 86400);
}

int pki_crl_window(const char *name, const pki_cert *issuer, const char *md, long revoked, long last_secs, long next_secs)
{
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->x));
    ASN1_TIME *t = X509_gmtime_adj(NULL, last_secs);
    X509_CRL_set1_lastUpdate(crl, t);
    X509_gmtime_adj(t, next_secs);
    X509_CRL_set1_nextUpdate(crl, t);
    if (revoked) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, revoked);
        X509_REVOKED_set_serialNumber(r, s);
        X509_gmtime_adj(t, -1800);
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer->x, NULL, NULL, crl, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (e) X509_CRL_add_ext(crl, e, -1);
    X509_EXTENSION_free(e);
    int ok = X509_CRL_sign(crl, issuer->k, pki_md(md, issuer->k)) > 0;
    FILE *f = fopen(pki_path(name), "w");
    if (f) PEM_write_X509_CRL(f, crl), fclose(f);
    X509_CRL_free(crl);
    return ok && f ? 0 : -1;
}

int pki_verify(const pki_cert *const *certs, size_t n, const char *ca, const char *const *crls, int min_rsa, const char *host,
               int purpose, parley_verify_result *res)
{
    const uint8_t *der[PKI_MAX_CHAIN];
    size_t len[PKI_MAX_CHAIN];
    if (n > PKI_MAX_CHAIN) return PARLEY_ERROR;
    for (size_t i = 0; i < n; i++) der[i] = pki_der(certs[i], &len[i]);
    parley_config *cfg = parley_config_new();
    int rc = parley_config_set_ca_file(cfg, pki_path(ca));
    for (size_t i = 0; rc == 0 && crls && crls[i]; i++) rc = parley_config_add_crl_file(cfg, pki_path(crls[i]));
    if (rc == 0 && min_rsa >= 2048) rc = parley_config_set_min_rsa_bits(cfg, min_rsa);
    else if (rc == 0 && min_rsa) rc = parley_config_set_insecure_min_rsa_bits(cfg, min_rsa);
    if (rc == 0) rc = parley_verify_chain(cfg, der, len, n, host, purpose, res);
    if (rc == PARLEY_ERROR) fprintf(stderr, "pki_verify: %s\n", parley_config_error_string(cfg));
    parley_config_free(cfg);
    return rc;
}
