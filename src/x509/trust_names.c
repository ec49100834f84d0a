/*
 * trust_names.c - trust-store names for certificate_authorities and the
 * CertificateRequest, matching our chain to a peer's CA names, and the
 * reference-counted certificate kept after verification.
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#include "x509.h"

X509_STORE *pl_trust_store(const pl_trust *t);

int pl_trust_ca_names(const pl_trust *t, pl_buf *out)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(pl_trust_store(t));
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        unsigned char *der = NULL;
        int len = x ? i2d_X509_NAME(X509_get_subject_name(x), &der) : -1;
        if (len <= 0) continue;
        int rc = pl_buf_u16(out, (uint16_t)len);
        if (rc == 0) rc = pl_buf_bytes(out, der, (size_t)len);
        OPENSSL_free(der);
        PL_GUARD(rc);
    }
    return 0;
}

int pl_chain_issued_by_any(const pl_chain *c, const uint8_t *names, size_t len)
{
    if (len == 0) return 1;
    for (size_t i = 0; i < c->n; i++) {
        const unsigned char *p = c->der[i];
        X509 *x = d2i_X509(NULL, &p, (long)c->der_len[i]);
        unsigned char *der = NULL;
        int dl = x ? i2d_X509_NAME(X509_get_issuer_name(x), &der) : -1;
        X509_free(x);
        size_t off = 0;
        int found = 0;
        while (dl > 0 && off + 2 <= len && !found) {
            size_t nl = ((size_t)names[off] << 8) | names[off + 1];
            if (off + 2 + nl > len) break;
            found = nl == (size_t)dl && memcmp(names + off + 2, der, nl) == 0;
            off += 2 + nl;
        }
        OPENSSL_free(der);
        if (found) return 1;
    }
    return 0;
}

int pl_cert_from_der(const uint8_t *der, size_t len, pl_cert **out)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x || p != der + len) {
        X509_free(x);
        ERR_clear_error();
        PL_BAIL(PL_ERR_BAD_CERTIFICATE, "certificate is not valid DER");
    }
    *out = (pl_cert *)x;
    return 0;
}

void pl_cert_free(pl_cert *c) { X509_free((X509 *)c); }
