/*
 * policy.c - the certificate and key policy Parley applies on top of
 * libcrypto's path validation, to the VERIFIED path (the one libcrypto built,
 * never the certificates in the order a peer sent them):
 *
 *   - every key on the path, the trust anchor's included (it signs the next
 *     certificate, so its strength is the chain's): RSA of at least
 *     min_rsa_bits, EC on P-256, P-384 or P-521, Ed25519 or Ed448. DSA and
 *     anything else is refused;
 *   - every signature on the path except the anchor's self-signature (which
 *     nobody checks: the anchor is trusted as it is), and every CRL used,
 *     must not use MD5 or SHA-1 (RSA-PSS with SHA-1 included).
 *
 * libcrypto's own security level (X509_VERIFY_PARAM auth_level) stays off
 * (verify.c): we decide, and say why in our words. A key too small or a
 * weak signature is bad_certificate; a key type or curve we do not accept
 * at all is unsupported_certificate (RFC 8446 6.2: insufficient_security is
 * not a certificate alert).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy.h"

/* The NIST name of an accepted curve (RFC 8422 5.1.1: the curves TLS
 * uses), NULL for any other; grp is libcrypto's group name. */
static const char *pl_nist_curve(const char *grp)
{
    return !strcmp(grp, "prime256v1") ? "P-256" : !strcmp(grp, "secp384r1") ? "P-384" : !strcmp(grp, "secp521r1") ? "P-521" : NULL;
}

/* libcrypto's group name of an EC key ("?" when unreadable). */
static void pl_ec_group(EVP_PKEY *k, char *grp, size_t n)
{
    size_t gl = 0;
    if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp, n, &gl) != 1) snprintf(grp, n, "?");
}

void pl_key_text(const X509 *x, char *out, size_t n)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (!k) {
        snprintf(out, n, "unreadable");
        return;
    }
    int id = EVP_PKEY_get_base_id(k);
    char grp[64] = "";
    switch (id) {
    case EVP_PKEY_RSA:
        snprintf(out, n, "RSA %d", EVP_PKEY_get_bits(k));
        break;
    case EVP_PKEY_RSA_PSS:
        snprintf(out, n, "RSA-PSS %d", EVP_PKEY_get_bits(k));
        break;
    case EVP_PKEY_DSA:
        snprintf(out, n, "DSA %d", EVP_PKEY_get_bits(k));
        break;
    case EVP_PKEY_EC:
        pl_ec_group(k, grp, sizeof grp);
        snprintf(out, n, "EC %s", pl_nist_curve(grp) ? pl_nist_curve(grp) : grp);
        break;
    case EVP_PKEY_ED25519:
        snprintf(out, n, "Ed25519");
        break;
    case EVP_PKEY_ED448:
        snprintf(out, n, "Ed448");
        break;
    default:
        snprintf(out, n, "%s", OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown");
        break;
    }
    ERR_clear_error();
}

/* The key rule for one certificate: 0, or a failure naming it. It runs on
 * every certificate of every verified path, so the certificate's name and
 * key text are made only for a sentence that needs them. */
static int pl_policy_key(const X509 *x, int min_rsa_bits, char *warn, size_t wn)
{
    char who[256], kt[80];
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (!k) {
        pl_cert_name(x, who, sizeof who);
        PL_BAIL(PL_ERR_UNSUPPORTED_CERTIFICATE, "certificate for %s has a public key that cannot be read", who);
    }
    int id = EVP_PKEY_get_base_id(k);
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
        int bits = EVP_PKEY_get_bits(k);
        if (bits >= PL_MIN_RSA_BITS && bits >= min_rsa_bits) return 0;
        pl_cert_name(x, who, sizeof who);
        PL_ENSURE(bits >= min_rsa_bits, PL_ERR_BAD_CERTIFICATE, "certificate for %s has an RSA key of %d bits; at least %d are required", who,
                  bits, min_rsa_bits);
        /* Accepted only because an application lowered the minimum. */
        size_t wl = warn ? strlen(warn) : 0;
        if (warn && wl + 1 < wn)
            snprintf(warn + wl, wn - wl, "%swarning: certificate for %s has an RSA key of %d bits, accepted only because the minimum was lowered to %d (insecure)",
                     wl ? "; " : "", who, bits, min_rsa_bits);
        return 0;
    }
    if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) return 0;
    if (id == EVP_PKEY_EC) {
        char grp[64];
        pl_ec_group(k, grp, sizeof grp);
        if (pl_nist_curve(grp)) return 0;
        pl_cert_name(x, who, sizeof who);
        PL_BAIL(PL_ERR_UNSUPPORTED_CERTIFICATE, "certificate for %s has an EC key on curve %s; only P-256, P-384 and P-521 are accepted", who, grp);
    }
    pl_cert_name(x, who, sizeof who);
    pl_key_text(x, kt, sizeof kt);
    PL_BAIL(PL_ERR_UNSUPPORTED_CERTIFICATE, "certificate for %s has a %s key, which is refused (RSA, EC P-256/P-384/P-521, Ed25519 and Ed448 are accepted)",
            who, kt);
}

/* MD5, SHA-1 and their kin: collisions can be made, so a signature over them
 * proves nothing (RFC 9155 for TLS; CA/Browser Forum baseline 7.1.3). */
static const char *pl_weak_md(int mdnid)
{
    switch (mdnid) {
    case NID_md5:
    case NID_md5_sha1: return "MD5";
    case NID_md4: return "MD4";
    case NID_md2: return "MD2";
    case NID_sha1: return "SHA-1";
    default: return NULL;
    }
}

void pl_sig_text(const X509 *x, char *out, size_t n)
{
    int nid = X509_get_signature_nid(x);
    const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
    snprintf(out, n, "%s", ln ? ln : "unknown");
}

/* The signature rule for one certificate (its issuer's signature on it). */
static int pl_policy_sig(X509 *x)
{
    char who[256], alg[80];
    int mdnid = NID_undef, pknid = NID_undef;
    /* X509_get_signature_info reads the hash inside RSA-PSS parameters too. */
    int ok = X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL) == 1;
    ERR_clear_error();
    const char *weak = ok ? pl_weak_md(mdnid) : NULL;
    if (ok && !weak) return 0; /* the common case: no sentence to make */
    pl_cert_name(x, who, sizeof who);
    pl_sig_text(x, alg, sizeof alg);
    PL_ENSURE(ok, PL_ERR_BAD_CERTIFICATE, "certificate for %s is signed with %s, an algorithm that cannot be checked", who, alg);
    PL_BAIL(PL_ERR_BAD_CERTIFICATE, "certificate for %s is signed with %s (%s), which is refused", who, alg, weak);
}

int pl_policy_check_cert(X509 *x, int min_rsa_bits)
{
    PL_GUARD(pl_policy_key(x, min_rsa_bits, NULL, 0));
    return pl_policy_sig(x);
}

int pl_policy_check_path(STACK_OF(X509) *path, int min_rsa_bits, char *warn, size_t wn)
{
    int n = sk_X509_num(path);
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(path, i);
        PL_GUARD(pl_policy_key(x, min_rsa_bits, warn, wn));
        /* The last certificate is the trust anchor: its self-signature is not
         * checked by anyone, so its algorithm does not matter. */
        if (i < n - 1) PL_GUARD(pl_policy_sig(x));
    }
    return 0;
}

/* The hash of a CRL's signature, RSA-PSS parameters included (whose absent
 * hashAlgorithm means SHA-1, RFC 4055 3.1). */
static int pl_crl_md(const X509_CRL *crl)
{
    const X509_ALGOR *alg = NULL;
    int mdnid = NID_undef, pknid = NID_undef, nid = X509_CRL_get_signature_nid(crl);
    if (nid != NID_rsassaPss) return OBJ_find_sigid_algs(nid, &mdnid, &pknid) ? mdnid : NID_undef;
    X509_CRL_get0_signature(crl, NULL, &alg);
    const ASN1_OBJECT *obj = NULL;
    int ptype = 0;
    const void *pval = NULL;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    if (ptype != V_ASN1_SEQUENCE) return NID_sha1;
    const ASN1_STRING *s = pval;
    const unsigned char *p = ASN1_STRING_get0_data(s);
    RSA_PSS_PARAMS *pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(s));
    int md = NID_undef;
    if (pss) md = pss->hashAlgorithm ? OBJ_obj2nid(pss->hashAlgorithm->algorithm) : NID_sha1;
    RSA_PSS_PARAMS_free(pss);
    return md;
}

int pl_crl_is_weak(const X509_CRL *crl)
{
    int weak = pl_weak_md(pl_crl_md(crl)) != NULL;
    ERR_clear_error();
    return weak;
}

int pl_policy_check_crl(const X509_CRL *crl)
{
    char iss[256], alg[80];
    int nid = X509_CRL_get_signature_nid(crl);
    pl_name_slash(X509_CRL_get_issuer(crl), iss, sizeof iss); /* names.c: escaped */
    snprintf(alg, sizeof alg, "%s", nid != NID_undef && OBJ_nid2ln(nid) ? OBJ_nid2ln(nid) : "unknown");
    const char *weak = pl_weak_md(pl_crl_md(crl));
    ERR_clear_error();
    PL_ENSURE(!weak, PL_ERR_BAD_CERTIFICATE, "the CRL from %s is signed with %s (%s), which is refused", iss, alg, weak);
    return 0;
}

/* libcrypto picks the CRL it applies among those the lookup gives it
 * (OpenSSL 3.0 get_crl_sk: one in date at the verification time first,
 * then the newest), so the rule is applied there (verify.c pl_lookup_crls):
 * a CRL signed with MD5 or SHA-1 is dropped when a strong CRL of the issuer
 * would win over it anyway - at least as recent (thisUpdate), or in date
 * while the weak one is not - so an old or expired SHA-1 CRL beside a good
 * SHA-256 one refuses nothing. A weak CRL that libcrypto would prefer stays:
 * dropping it would let libcrypto apply the older strong CRL and miss a
 * revocation only the newer one lists; the run is then refused on it
 * (pl_policy_check_crl), a refusal, never a silent pass. Returns 1 when a
 * weak CRL stays. */
static int pl_crl_newer(const X509_CRL *a, const X509_CRL *b)
{
    int day = 0, sec = 0;
    const ASN1_TIME *ta = X509_CRL_get0_lastUpdate(a), *tb = X509_CRL_get0_lastUpdate(b);
    if (!ta || !tb || !ASN1_TIME_diff(&day, &sec, tb, ta)) return 0;
    return day > 0 || (day == 0 && sec > 0); /* a's thisUpdate after b's */
}

/* thisUpdate <= at <= nextUpdate (no nextUpdate: no end). */
static int pl_crl_in_date(const X509_CRL *c, time_t at)
{
    const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(c), *nu = X509_CRL_get0_nextUpdate(c);
    return tu && X509_cmp_time(tu, &at) <= 0 && (!nu || X509_cmp_time(nu, &at) >= 0);
}

int pl_crls_drop_weak(STACK_OF(X509_CRL) *crls, int64_t at)
{
    time_t t = at ? (time_t)at : time(NULL);
    int n = sk_X509_CRL_num(crls), kept_weak = 0;
    const X509_CRL *newest_strong = NULL;
    for (int i = 0; i < n; i++) {
        const X509_CRL *c = sk_X509_CRL_value(crls, i);
        if (!pl_weak_md(pl_crl_md(c)) && (!newest_strong || pl_crl_newer(c, newest_strong))) newest_strong = c;
    }
    int strong_in_date = newest_strong && pl_crl_in_date(newest_strong, t);
    for (int i = n - 1; i >= 0; i--) {
        X509_CRL *c = sk_X509_CRL_value(crls, i);
        if (!pl_weak_md(pl_crl_md(c))) continue;
        if (newest_strong && (!pl_crl_newer(c, newest_strong) || (strong_in_date && !pl_crl_in_date(c, t))))
            X509_CRL_free(sk_X509_CRL_delete(crls, i));
        else kept_weak = 1;
    }
    ERR_clear_error();
    return kept_weak;
}
