/*
 * verify_report.c - the report of one verification (parley_verify_result):
 * the path libcrypto built, and the seven checks as that run saw them. The
 * run stops at its first failure (the verdict and the reason are that
 * failure's, the same a handshake reports); a check all of whose steps came
 * before the failing step is "ok", the failing one "FAILED", the others "not
 * checked". Steps (policy.h PL_STAGE_*) follow the run's real order.
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../include/parley/parley.h"

#include "policy.h"

/* Append to a fixed buffer, cutting what does not fit. */
static void pl_cat(char *out, size_t n, const char *fmt, ...) PL_PRINTF(3, 4);
static void pl_cat(char *out, size_t n, const char *fmt, ...)
{
    size_t l = strlen(out);
    if (l + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + l, n - l, fmt, ap);
    va_end(ap);
}


static void pl_fill_path(parley_verify_result *r, STACK_OF(X509) *path, int trusted)
{
    int n = sk_X509_num(path);
    for (int i = 0; i < n && r->path_len < PARLEY_VERIFY_MAX_PATH; i++) {
        X509 *x = sk_X509_value(path, i);
        parley_verify_cert *c = &r->path[r->path_len++];
        pl_name_text(X509_get_subject_name(x), c->subject, sizeof c->subject);
        pl_name_text(X509_get_issuer_name(x), c->issuer, sizeof c->issuer);
        pl_key_text(x, c->key, sizeof c->key);
        pl_sig_text(x, c->signature, sizeof c->signature);
        c->not_before = pl_asn1_unix(X509_get0_notBefore(x));
        c->not_after = pl_asn1_unix(X509_get0_notAfter(x));
        /* The end of a path that reached trust. A certificate from the store
         * at the end of a path that did not (an intermediate trusted without
         * its root: no partial chains) is no anchor. */
        c->trust_anchor = i == n - 1 && trusted;
    }
}

static void pl_dates_ok(char *d, size_t dn, STACK_OF(X509) *path, int64_t at)
{
    int n = sk_X509_num(path), first = -1;
    int64_t min = INT64_MAX;
    for (int i = 0; i < n; i++) {
        int64_t na = pl_asn1_unix(X509_get0_notAfter(sk_X509_value(path, i)));
        if (na < min) min = na, first = i;
    }
    char who[256] = "?", day[32] = "?";
    if (first >= 0) {
        pl_cert_name(sk_X509_value(path, first), who, sizeof who);
        pl_date_only(X509_get0_notAfter(sk_X509_value(path, first)), day, sizeof day);
    }
    snprintf(d, dn, "all %d certificates are valid now; the first to expire is %s, on %s (%lld days left)", n, who, day,
             (long long)((min - at) / 86400));
}

/* The certificate libcrypto reported (it checks from the anchor down, so
 * the first bad one from the leaf up can be another). */
static void pl_dates_failed(char *d, size_t dn, X509 *x, int64_t at)
{
    if (!x) return;
    int64_t nb = pl_asn1_unix(X509_get0_notBefore(x)), na = pl_asn1_unix(X509_get0_notAfter(x));
    char who[256];
    pl_cert_name(x, who, sizeof who);
    if (na < at) pl_cat(d, dn, " (%s expired %lld days ago)", who, (long long)((at - na) / 86400));
    else if (nb > at) pl_cat(d, dn, " (%s becomes valid in %lld days)", who, (long long)((nb - at + 86399) / 86400));
}

static void pl_sigs_ok(char *d, size_t dn, STACK_OF(X509) *path)
{
    int n = sk_X509_num(path);
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(path, i);
        char who[256], key[32], alg[64];
        pl_cert_name(x, who, sizeof who);
        pl_key_text(x, key, sizeof key);
        pl_sig_text(x, alg, sizeof alg);
        if (i < n - 1) pl_cat(d, dn, "%s%s (%s) signed with %s", i ? "; " : "", who, key, alg);
        else pl_cat(d, dn, "%s%s (%s), the anchor: its self-signature is not checked", i ? "; " : "", who, key);
    }
}

static void pl_usage_text(char *d, size_t dn, X509 *leaf)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } ku[] = {{X509v3_KU_DIGITAL_SIGNATURE, "digitalSignature"}, {X509v3_KU_NON_REPUDIATION, "nonRepudiation"},
              {X509v3_KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {X509v3_KU_DATA_ENCIPHERMENT, "dataEncipherment"},
              {X509v3_KU_KEY_AGREEMENT, "keyAgreement"},         {X509v3_KU_KEY_CERT_SIGN, "keyCertSign"},
              {X509v3_KU_CRL_SIGN, "cRLSign"}},
      xku[] = {{XKU_SSL_SERVER, "serverAuth"}, {XKU_SSL_CLIENT, "clientAuth"}, {XKU_SMIME, "emailProtection"},
               {XKU_CODE_SIGN, "codeSigning"}, {XKU_OCSP_SIGN, "OCSPSigning"}, {XKU_TIMESTAMP, "timeStamping"},
               {XKU_ANYEKU, "anyExtendedKeyUsage"}};
    uint32_t k = X509_get_key_usage(leaf), x = X509_get_extended_key_usage(leaf);
    if (k == UINT32_MAX) pl_cat(d, dn, "no keyUsage (any use)");
    else {
        pl_cat(d, dn, "keyUsage:");
        for (size_t i = 0; i < sizeof ku / sizeof ku[0]; i++)
            if (k & ku[i].bit) pl_cat(d, dn, " %s", ku[i].name);
    }
    if (x == UINT32_MAX) pl_cat(d, dn, "; no extendedKeyUsage (any purpose)");
    else {
        pl_cat(d, dn, "; extendedKeyUsage:");
        for (size_t i = 0; i < sizeof xku / sizeof xku[0]; i++)
            if (x & xku[i].bit) pl_cat(d, dn, " %s", xku[i].name);
    }
}

static void pl_constraints_ok(char *d, size_t dn, STACK_OF(X509) *path, int max_depth)
{
    int n = sk_X509_num(path), any = 0;
    pl_cat(d, dn, "%d intermediate(s), at most %d allowed", n > 2 ? n - 2 : 0, max_depth);
    for (int i = 1; i < n; i++) {
        X509 *x = sk_X509_value(path, i);
        char who[256];
        pl_cert_name(x, who, sizeof who);
        long pl = X509_get_pathlen(x);
        if (pl >= 0) pl_cat(d, dn, "; %s pathlen:%ld", who, pl), any = 1;
        if (X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0) pl_cat(d, dn, "; %s has name constraints, met", who), any = 1;
    }
    if (!any) pl_cat(d, dn, "; no path length or name constraints on the path");
}

/* For each certificate but the anchor, the CRL libcrypto applied: among its
 * issuer's CRLs that the lookup gave (verify.c pl_lookup_crls, the same weak
 * rule) and the issuer on the path signed, the newest (OpenSSL 3.0
 * get_crl_sk's choice between equals). The certificate is looked up in it. */
static void pl_revocation_ok(char *d, size_t dn, X509_STORE_CTX *ctx, STACK_OF(X509) *path)
{
    int n = sk_X509_num(path);
    for (int i = 0; i + 1 < n; i++) {
        X509 *x = sk_X509_value(path, i), *iss = sk_X509_value(path, i + 1);
        STACK_OF(X509_CRL) *crls = X509_STORE_CTX_get1_crls(ctx, X509_get_issuer_name(x));
        X509_CRL *use = NULL;
        char who[256], by[256];
        pl_cert_name(x, who, sizeof who);
        pl_cert_name(iss, by, sizeof by);
        if (crls) (void)pl_crls_drop_weak(crls, pl_ctx_time(ctx));
        for (int j = 0; j < sk_X509_CRL_num(crls); j++) {
            X509_CRL *crl = sk_X509_CRL_value(crls, j);
            if (X509_CRL_verify(crl, X509_get0_pubkey(iss)) != 1) continue;
            if (!use || ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_lastUpdate(use)) > 0) use = crl;
        }
        if (use) {
            char tu[32], nu[32];
            X509_REVOKED *rev = NULL;
            pl_date_only(X509_CRL_get0_lastUpdate(use), tu, sizeof tu);
            pl_date_only(X509_CRL_get0_nextUpdate(use), nu, sizeof nu);
            int listed = X509_CRL_get0_by_cert(use, &rev, x) == 1;
            pl_cat(d, dn, "%s%s %s the CRL from %s (thisUpdate %s, nextUpdate %s)", d[0] ? "; " : "", who,
                   listed ? "is listed as revoked by" : "not revoked per", by, tu, nu);
        } else {
            pl_cat(d, dn, "%sno CRL from %s found for %s", d[0] ? "; " : "", by, who);
        }
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
    }
    ERR_clear_error();
}

static void pl_host_names(char *d, size_t dn, X509 *leaf)
{
    unsigned char *der = NULL;
    int len = i2d_X509(leaf, &der);
    char sans[400] = "";
    if (len > 0 && pl_cert_sans(der, (size_t)len, sans, sizeof sans) < 0) sans[0] = 0;
    OPENSSL_free(der);
    if (sans[0]) pl_cat(d, dn, "its names: %s", sans);
    else pl_cat(d, dn, "it has no subjectAltName");
}

void pl_report_fill(parley_verify_result *r, X509_STORE_CTX *ctx, X509 *leaf, int stage, int check, int rc, const char *host,
                    int ncrls, int max_depth, int64_t at, const char *crl_info)
{
    /* The last step of each check (PARLEY_CHECK_* order). */
    static const int last[PARLEY_CHECK_COUNT] = {PL_STAGE_SIGDATES, PL_STAGE_POLICY, PL_STAGE_BUILD, PL_STAGE_HOST,
                                                 PL_STAGE_KEYUSAGE, PL_STAGE_NAMES,  PL_STAGE_REVOCATION};
    char reason[sizeof r->reason];
    snprintf(reason, sizeof reason, "%s", rc ? pl_last_message() : "ok");
    memset(r, 0, sizeof *r);
    r->ok = rc == 0;
    r->alert = rc ? pl_err_alert(-rc) : 0;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    snprintf(r->warning, sizeof r->warning, "%s", pl_verify_warning());
    STACK_OF(X509) *path = ctx ? X509_STORE_CTX_get0_chain(ctx) : NULL;
    int trusted = stage > PL_STAGE_BUILD;
    if (path) pl_fill_path(r, path, trusted);
    for (int c = 0; c < PARLEY_CHECK_COUNT; c++) {
        parley_verify_check *k = &r->checks[c];
        char *d = k->detail;
        size_t dn = sizeof k->detail;
        if ((c == PARLEY_CHECK_HOST && (!host || !host[0])) || (c == PARLEY_CHECK_REVOCATION && !ncrls)) {
            k->verdict = PARLEY_VERDICT_SKIPPED;
            snprintf(d, dn, c == PARLEY_CHECK_HOST ? "no host name given" : "no CRL given");
        } else if (rc && c == check) {
            k->verdict = PARLEY_VERDICT_FAILED;
            snprintf(d, dn, "%s", reason);
            if (c == PARLEY_CHECK_DATES && ctx) pl_dates_failed(d, dn, X509_STORE_CTX_get_current_cert(ctx), at);
            if (c == PARLEY_CHECK_HOST && leaf) pl_cat(d, dn, " ("), pl_host_names(d, dn, leaf), pl_cat(d, dn, ")");
            /* The reason is the handshake's; the report adds which CRL. */
            if (c == PARLEY_CHECK_REVOCATION && crl_info && crl_info[0]) pl_cat(d, dn, " (%s)", crl_info);
        } else if (last[c] < stage && path) {
            k->verdict = PARLEY_VERDICT_OK;
            switch (c) {
            case PARLEY_CHECK_DATES: pl_dates_ok(d, dn, path, at); break;
            case PARLEY_CHECK_SIGNATURES: pl_sigs_ok(d, dn, path); break;
            case PARLEY_CHECK_TRUST: {
                char anchor[256];
                pl_name_text(X509_get_subject_name(sk_X509_value(path, sk_X509_num(path) - 1)), anchor, sizeof anchor);
                pl_cat(d, dn, "reached trust anchor: %s", anchor);
                break;
            }
            case PARLEY_CHECK_HOST: {
                char san[300] = "";
                (void)pl_leaf_match_san(leaf, host, san, sizeof san);
                pl_cat(d, dn, "%s matched %s; ", host, san[0] ? san : "?"), pl_host_names(d, dn, leaf);
                break;
            }
            case PARLEY_CHECK_USAGE: pl_usage_text(d, dn, leaf); break;
            case PARLEY_CHECK_CONSTRAINTS: pl_constraints_ok(d, dn, path, max_depth); break;
            default:
                pl_revocation_ok(d, dn, ctx, path);
                if (stage < PL_STAGE_CRL_POLICY) pl_cat(d, dn, "; the CRLs' signature algorithms were not checked");
                break;
            }
        } else {
            k->verdict = PARLEY_VERDICT_NOT_CHECKED;
            /* Name where the run stopped: the failing line may come after this one. */
            if (rc && check >= 0) snprintf(d, dn, "the verification stopped at the %s failure", parley_verify_check_name(check));
            else snprintf(d, dn, "the verification stopped before this check");
        }
    }
    ERR_clear_error();
}
