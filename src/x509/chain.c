/* chain.c - loading, describing and naming certificate chains. */
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/mem.h"
#include "policy.h"
#include "x509.h"

/* Internal: fill the chain's names and public key from its leaf. */
int pl_chain_fill_from_leaf(pl_chain *c, X509 *leaf);

static int pl_chain_push(pl_chain *c, X509 *x)
{
    int len = i2d_X509(x, NULL);
    uint8_t *d, *p;
    PL_ENSURE(len > 0, PL_ERR_BAD_CERTIFICATE, "cannot encode certificate");
    uint8_t **nd = pl_malloc((c->n + 1) * sizeof *nd);
    size_t *nl = pl_malloc((c->n + 1) * sizeof *nl);
    d = pl_malloc((size_t)len);
    if (!nd || !nl || !d) {
        pl_free(nd);
        pl_free(nl);
        pl_free(d);
        PL_BAIL(PL_ERR_NOMEM, "out of memory");
    }
    if (c->n) {
        memcpy(nd, c->der, c->n * sizeof *nd);
        memcpy(nl, c->der_len, c->n * sizeof *nl);
    }
    pl_free(c->der);
    pl_free(c->der_len);
    c->der = nd;
    c->der_len = nl;
    p = d;
    i2d_X509(x, &p);
    c->der[c->n] = d;
    c->der_len[c->n] = (size_t)len;
    c->n++;
    return 0;
}

int pl_chain_fill_from_leaf(pl_chain *c, X509 *leaf)
{
    EVP_PKEY *pk = X509_get_pubkey(leaf);
    PL_ENSURE(pk, PL_ERR_BAD_CERTIFICATE, "certificate has no usable public key");
    c->pubkey = (pl_pkey *)pk;
    GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
    c->names = pl_calloc((size_t)n + 1, sizeof *c->names);
    if (!c->names) {
        GENERAL_NAMES_free(gens);
        PL_BAIL(PL_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type != GEN_DNS) continue;
        const char *s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
        int sl = ASN1_STRING_length(g->d.dNSName);
        if (sl <= 0 || (int)strlen(s) != sl) continue;
        /* A name lost to a failed allocation would make SNI matching skip
         * (or, NULL, crash on) this chain: fail the load instead. */
        if (!(c->names[c->nnames] = pl_strdup(s))) {
            GENERAL_NAMES_free(gens);
            PL_BAIL(PL_ERR_NOMEM, "out of memory");
        }
        c->nnames++;
    }
    GENERAL_NAMES_free(gens);
    return 0;
}

/* How many certificates a PEM file holds, counted without libcrypto (the
 * block names PEM_read_bio_X509 accepts, at the start of a line). */
static size_t pl_pem_cert_count(const char *path)
{
    static const char b1[] = "-----BEGIN CERTIFICATE-----", b2[] = "-----BEGIN X509 CERTIFICATE-----";
    char line[256];
    size_t n = 0;
    int at_start = 1;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (at_start && (!strncmp(line, b1, sizeof b1 - 1) || !strncmp(line, b2, sizeof b2 - 1))) n++;
        at_start = strchr(line, '\n') != NULL; /* a longer line goes on in the next piece */
    }
    fclose(f);
    return n;
}

int pl_chain_load_pem(const char *path, pl_chain *out)
{
    BIO *b = BIO_new_file(path, "r");
    X509 *x;
    int rc = 0;
    memset(out, 0, sizeof *out);
    PL_ENSURE(b, PL_ERR_USAGE, "cannot open certificate file %s", path);
    ERR_clear_error();
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (out->n == 0) rc = pl_chain_fill_from_leaf(out, x);
        if (rc == 0) rc = pl_chain_push(out, x);
        X509_free(x);
        if (rc < 0) break;
    }
    /* The loop ends at the end of the file or on an error, e.g. libcrypto
     * out of memory while reading the next certificate (its error queue may
     * then be empty too): a chain cut short there must not load as a
     * shorter chain, sent without its intermediates. */
    size_t want = pl_pem_cert_count(path);
    if (rc == 0 && out->n && out->n != want)
        rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "cannot read certificate %zu of %zu in %s", out->n + 1, want, path);
    ERR_clear_error();
    BIO_free(b);
    if (rc == 0 && out->n == 0) rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "no PEM certificate found in %s", path);
    if (rc < 0) pl_chain_free(out);
    return rc;
}

int pl_key_load_pem(const char *path, pl_pkey **out)
{
    BIO *b = BIO_new_file(path, "r");
    PL_ENSURE(b, PL_ERR_USAGE, "cannot open key file %s", path);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    ERR_clear_error();
    PL_ENSURE(k, PL_ERR_USAGE, "no usable PEM private key in %s", path);
    *out = (pl_pkey *)k;
    return 0;
}

int pl_chain_key_matches(const pl_chain *c, const pl_pkey *key)
{
    return c->pubkey && key && EVP_PKEY_eq((const EVP_PKEY *)c->pubkey, (const EVP_PKEY *)key) == 1;
}

int pl_chain_matches_name(const pl_chain *c, const char *host)
{
    for (size_t i = 0; i < c->nnames; i++)
        if (pl_hostname_match(c->names[i], host)) return 1;
    return 0;
}

void pl_chain_free(pl_chain *c)
{
    for (size_t i = 0; i < c->n; i++) pl_free(c->der[i]);
    for (size_t i = 0; i < c->nnames; i++) pl_free(c->names[i]);
    pl_free(c->der);
    pl_free(c->der_len);
    pl_free(c->names);
    pl_pkey_free(c->pubkey);
    pl_pkey_free(c->key);
    memset(c, 0, sizeof *c);
}

int pl_cert_pubkey(const uint8_t *der, size_t len, pl_pkey **out)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    PL_ENSURE(x && p == der + len, PL_ERR_BAD_CERTIFICATE, "peer certificate is not valid DER");
    EVP_PKEY *k = X509_get_pubkey(x);
    X509_free(x);
    ERR_clear_error();
    PL_ENSURE(k, PL_ERR_UNSUPPORTED_CERTIFICATE, "peer certificate has an unsupported public key");
    *out = (pl_pkey *)k;
    return 0;
}

int pl_cert_leaf_key(const uint8_t *der, size_t len, int key_transport, pl_pkey **out)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    PL_ENSURE(x && p == der + len, PL_ERR_BAD_CERTIFICATE, "peer certificate is not valid DER");
    uint32_t need = key_transport ? X509v3_KU_KEY_ENCIPHERMENT : X509v3_KU_DIGITAL_SIGNATURE;
    /* UINT32_MAX without the extension: every use allowed. */
    int allowed = (X509_get_key_usage(x) & need) != 0;
    EVP_PKEY *k = allowed ? X509_get_pubkey(x) : NULL;
    X509_free(x);
    ERR_clear_error();
    PL_ENSURE(allowed, PL_ERR_UNSUPPORTED_CERTIFICATE, "peer certificate does not allow %s (keyUsage), which %s",
              key_transport ? "key encipherment" : "digital signatures",
              key_transport ? "RSA key exchange needs" : "TLS needs to authenticate it");
    PL_ENSURE(k, PL_ERR_UNSUPPORTED_CERTIFICATE, "peer certificate has an unsupported public key");
    *out = (pl_pkey *)k;
    return 0;
}

/* "2026-01-31 12:00:00 UTC" */
void pl_asn1_time_text(const ASN1_TIME *t, char *out, size_t n);
void pl_asn1_time_text(const ASN1_TIME *t, char *out, size_t n)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        snprintf(out, n, "?");
        return;
    }
    strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int pl_cert_describe(const uint8_t *der, size_t len, char *subject, size_t sl, char *issuer,
                     size_t il, char *nb, size_t nbl, char *na, size_t nal)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    PL_ENSURE(x, PL_ERR_BAD_CERTIFICATE, "certificate is not valid DER");
    /* The peer's text, escaped (names.c): no control byte reaches a summary line. */
    pl_name_slash(X509_get_subject_name(x), subject, sl);
    pl_name_slash(X509_get_issuer_name(x), issuer, il);
    pl_asn1_time_text(X509_get0_notBefore(x), nb, nbl);
    pl_asn1_time_text(X509_get0_notAfter(x), na, nal);
    X509_free(x);
    return 0;
}

int pl_chain_leaf_pem(const pl_chain *c, char *out, size_t len)
{
    const unsigned char *p;
    X509 *x;
    BIO *b;
    char *data;
    long n;
    PL_ENSURE(c->n > 0, PL_ERR_USAGE, "no certificate");
    p = c->der[0];
    x = d2i_X509(NULL, &p, (long)c->der_len[0]);
    b = BIO_new(BIO_s_mem());
    int ok = x && b && PEM_write_bio_X509(b, x);
    X509_free(x);
    n = ok ? BIO_get_mem_data(b, &data) : 0;
    if (!ok || n <= 0 || (size_t)n >= len) {
        BIO_free(b);
        PL_BAIL(PL_ERR_USAGE, "cannot encode the certificate as PEM (buffer of %zu bytes)", len);
    }
    memcpy(out, data, (size_t)n);
    out[n] = 0;
    BIO_free(b);
    return 0;
}

int pl_cert_sans(const uint8_t *der, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    PL_ENSURE(x, PL_ERR_BAD_CERTIFICATE, "certificate is not valid DER");
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && o < outlen; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char text[320];
        int n = 0;
        /* hostname.c: escaped DNS/email/URI, or the IP address; other kinds are left out. */
        if (pl_san_text(g, text, sizeof text) > 0) n = snprintf(out + o, outlen - o, "%s%s", o ? ", " : "", text);
        if (n > 0) o += (size_t)n < outlen - o ? (size_t)n : outlen - o - 1;
    }
    GENERAL_NAMES_free(gens);
    X509_free(x);
    return 0;
}
