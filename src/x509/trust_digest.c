/*
 * trust_digest.c - the identity of a trust store (pl_trust_digest), which
 * sessions are bound to (config.c pl_trust_identity, session.h): a session
 * verified under one set of anchors and CRLs never resumes under another.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>

#include "x509.h"

int pl_trust_is_system(const pl_trust *t);

static int pl_cmp32(const void *a, const void *b) { return memcmp(a, b, 32); }

/* The identity of a trust store for binding sessions to it (session.h): the
 * SHA-256 over the sorted SHA-256 digests of the DER of every certificate and
 * CRL it holds, so that the same bundle in another order is the same store.
 * The system store also names its locations: certificates in its directory
 * are looked up lazily, so they cannot all be counted here. */
int pl_trust_digest(pl_trust *t, uint8_t out[32])
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(pl_trust_x509_store(t));
    int n = sk_X509_OBJECT_num(objs), k = 0, ok = 1;
    uint8_t (*d)[32] = OPENSSL_malloc(n > 0 ? (size_t)n * 32 : 32);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned int ol = 0;
    ok = d && m && EVP_DigestInit_ex2(m, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(m, "parley trust store", 18);
    for (int i = 0; ok && i < n; i++) {
        X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
        unsigned char *der = NULL;
        int len = -1;
        if (X509_OBJECT_get_type(o) == X509_LU_X509) len = i2d_X509(X509_OBJECT_get0_X509(o), &der);
        else if (X509_OBJECT_get_type(o) == X509_LU_CRL) len = i2d_X509_CRL(X509_OBJECT_get0_X509_CRL(o), &der);
        else continue;
        unsigned int dl = 0;
        ok = len > 0 && EVP_Digest(der, (size_t)len, d[k], &dl, EVP_sha256(), NULL) == 1;
        OPENSSL_free(der);
        k++;
    }
    if (ok && k) qsort(d, (size_t)k, 32, pl_cmp32);
    for (int i = 0; ok && i < k; i++) ok = EVP_DigestUpdate(m, d[i], 32);
    if (ok && pl_trust_is_system(t)) {
        const char *f = X509_get_default_cert_file(), *dir = X509_get_default_cert_dir();
        const char *fe = getenv(X509_get_default_cert_file_env()), *de = getenv(X509_get_default_cert_dir_env());
        const char *parts[] = {"system", f, dir, fe ? fe : "", de ? de : ""};
        for (size_t i = 0; ok && i < sizeof parts / sizeof parts[0]; i++)
            ok = EVP_DigestUpdate(m, parts[i], strlen(parts[i]) + 1);
    }
    ok = ok && EVP_DigestFinal_ex(m, out, &ol) == 1 && ol == 32;
    EVP_MD_CTX_free(m);
    OPENSSL_free(d);
    ERR_clear_error();
    PL_ENSURE(ok, PL_ERR_INTERNAL, "cannot compute the identity of the trust store");
    return 0;
}

