/*
 * verify.c - verifying the peer's chain. libcrypto does path building,
 * signatures, validity dates and the serverAuth EKU (X509_PURPOSE_SSL_SERVER
 * checks extendedKeyUsage when the certificate has one). We add the leaf's
 * keyUsage for the use of its key and take the leaf's issuer from the path
 * libcrypto built (for OCSP), never from the order the peer sent. Host names
 * are matched by hostname.c. On the verified path the key and signature
 * policy (policy.c) follows. Failures are turned into the alert RFC 8446 6.2
 * names and a sentence a person understands (verify_reason.c); with a report
 * asked (parley_verify_chain), verify_report.c describes what the run saw.
 */
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../include/parley/parley.h"

#include "policy.h"
#include "x509.h"

/* Chains verified before (see x509.h): a client that meets the same server
 * again skips parsing and verifying its chain. */
#define PL_VCACHE_SLOTS 64
#define PL_VCACHE_TTL 600
typedef struct {
    uint8_t key[32];
    int used;
    int64_t not_before, not_after, stored;
    EVP_PKEY *leaf_key;
    X509 *issuer; /* the leaf's issuer on the verified path */
    char warning[256];
} pl_vcache_entry;

struct pl_trust {
    X509_STORE *store;
    int ncrls;
    int max_depth;
    int crl_expired_fatal;
    int cache_off;
    int min_rsa_bits; /* policy.c */
    int system;      /* loaded from the system default paths */
    pthread_mutex_t lock; /* guards the cache: a config's connections share the store */
    pl_vcache_entry cache[PL_VCACHE_SLOTS];
    int cache_next;
};

static _Thread_local char pl_warning[256];
const char *pl_verify_warning(void) { return pl_warning; }

int pl_trust_add_crl_file(pl_trust *t, const char *path)
{
    /* X509_load_crl_file takes one DER CRL or any number of PEM ones. */
    X509_LOOKUP *lu = X509_STORE_add_lookup(t->store, X509_LOOKUP_file());
    int n = lu ? X509_load_crl_file(lu, path, X509_FILETYPE_PEM) : 0;
    if (n <= 0 && lu) n = X509_load_crl_file(lu, path, X509_FILETYPE_ASN1);
    ERR_clear_error();
    PL_ENSURE(n > 0, PL_ERR_USAGE, "no CRL could be read from %s", path);
    t->ncrls += n;
    return 0;
}

void pl_trust_set_min_rsa_bits(pl_trust *t, int bits) { t->min_rsa_bits = bits; }

void pl_trust_set_policy(pl_trust *t, int max_depth, int crl_expired_fatal)
{
    t->max_depth = max_depth;
    t->crl_expired_fatal = crl_expired_fatal;
}

void pl_date_only(const ASN1_TIME *t, char *out, size_t n)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) snprintf(out, n, "?");
    else strftime(out, n, "%Y-%m-%d", &tm);
}

/* One verification's callback state: the policy, and a date from the CRL
 * libcrypto was applying when it reported revocation or expiry. */
typedef struct {
    const pl_trust *t;
    char crl_date[32];
    char crl_info[480]; /* that CRL for the report: "CRL from <issuer>, thisUpdate .., nextUpdate .." */
    X509_CRL *weak_crl; /* a CRL signed with MD5/SHA-1 given to libcrypto (no other was left) */
} pl_vstate;

/* The store's CRLs for an issuer name, without the weak-signed ones while
 * strong one at least as recent remains (policy.c pl_crls_drop_weak):
 * libcrypto then chooses among those we accept; a weak one newer than every
 * strong one stays and the run is refused on it. */
/* The verification time of a run (policy.h). */
int64_t pl_ctx_time(const X509_STORE_CTX *ctx)
{
    const X509_VERIFY_PARAM *pm = X509_STORE_CTX_get0_param((X509_STORE_CTX *)ctx);
    return (X509_VERIFY_PARAM_get_flags(pm) & X509_V_FLAG_USE_CHECK_TIME) ? (int64_t)X509_VERIFY_PARAM_get_time(pm) : (int64_t)time(NULL);
}

static STACK_OF(X509_CRL) *pl_lookup_crls(const X509_STORE_CTX *ctx, const X509_NAME *nm)
{
    STACK_OF(X509_CRL) *crls = X509_STORE_CTX_get1_crls(ctx, nm);
    pl_vstate *vs = X509_STORE_CTX_get_app_data(ctx);
    if (crls && pl_crls_drop_weak(crls, pl_ctx_time(ctx)) && vs && !vs->weak_crl) {
        /* The weak CRL that stayed (newer than every strong one), not
         * simply the first of the stack, which may be a strong one. */
        for (int i = 0; i < sk_X509_CRL_num(crls) && !vs->weak_crl; i++)
            if (pl_crl_is_weak(sk_X509_CRL_value(crls, i))) vs->weak_crl = sk_X509_CRL_value(crls, i);
        if (vs->weak_crl) X509_CRL_up_ref(vs->weak_crl);
    }
    return crls;
}

/* Record the date for the sentence; an expired CRL is only a warning when
 * the policy says so. The CRL is the one libcrypto chose and checked with
 * the issuer on the verified path; looking CRLs up again by issuer name
 * afterwards could find a look-alike's (same name, other key). */
static int pl_verify_cb(int ok, X509_STORE_CTX *ctx)
{
    pl_vstate *vs = X509_STORE_CTX_get_app_data(ctx);
    const pl_trust *t = vs ? vs->t : NULL;
    int err = X509_STORE_CTX_get_error(ctx);
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
    /* Only the failure the run stops at may name a CRL: a failure without
     * one (no CRL for an issuer) must not carry an earlier CRL's text. */
    if (!ok && vs) vs->crl_info[0] = 0;
    if (!ok && vs && crl) {
        X509_REVOKED *rev = NULL;
        if (err == X509_V_ERR_CERT_REVOKED && X509_CRL_get0_by_cert(crl, &rev, X509_STORE_CTX_get_current_cert(ctx)) == 1 && rev)
            pl_date_only(X509_REVOKED_get0_revocationDate(rev), vs->crl_date, sizeof vs->crl_date);
        else if (err == X509_V_ERR_CRL_HAS_EXPIRED)
            pl_date_only(X509_CRL_get0_nextUpdate(crl), vs->crl_date, sizeof vs->crl_date);
        /* Which CRL said so, with its dates (libcrypto forgets it once the
         * check ends). The run stops at the last one reported (an expired
         * CRL let pass by policy comes before it). */
        {
            char by[256], tu[32], nu[32];
            pl_name_cn(X509_CRL_get_issuer(crl), by, sizeof by);
            pl_date_only(X509_CRL_get0_lastUpdate(crl), tu, sizeof tu);
            pl_date_only(X509_CRL_get0_nextUpdate(crl), nu, sizeof nu);
            snprintf(vs->crl_info, sizeof vs->crl_info, "CRL from %s, thisUpdate %s, nextUpdate %s%s", by, tu, nu,
                     pl_crl_is_weak(crl) ? ", signed with MD5 or SHA-1 (refused by the policy)" : "");
        }
    }
    if (!ok && t && !t->crl_expired_fatal && err == X509_V_ERR_CRL_HAS_EXPIRED) {
        snprintf(pl_warning, sizeof pl_warning, "warning: a CRL used for this chain has expired (past its nextUpdate)");
        if (vs) vs->crl_info[0] = 0; /* let pass: not the failure */
        return 1;
    }
    return ok;
}

void pl_asn1_time_text(const ASN1_TIME *t, char *out, size_t n);

/* Fill each loaded certificate's cached extensions (key usage, basic
 * constraints, key identifiers, the hashes libcrypto keeps) now, on the
 * loading thread. libcrypto computes them at first use, when a chain is
 * verified; left lazy, the first verifications on several threads at once
 * fill the same anchors' caches together (they take the certificate's lock,
 * but the flags are also read without it), which makes thread checkers
 * report every first verification. Certificates that a hashed directory
 * supplies later (the system store) are found per verification and are not
 * shared this way until the store caches them. */
static void pl_trust_warm(X509_STORE *store)
{
    if (!X509_STORE_lock(store)) return;
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        if (x) (void)X509_check_purpose(x, -1, 0);
    }
    X509_STORE_unlock(store);
    ERR_clear_error();
}

int pl_trust_load(const char *cafile, pl_trust **out)
{
    pl_trust *t = OPENSSL_zalloc(sizeof *t);
    PL_ENSURE(t, PL_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&t->lock, NULL);
    t->max_depth = 8;
    t->crl_expired_fatal = 1;
    t->min_rsa_bits = PL_MIN_RSA_BITS;
    t->store = X509_STORE_new();
    int ok = t->store != NULL;
    if (ok && cafile) ok = X509_STORE_load_file(t->store, cafile) == 1;
    else if (ok) ok = (t->system = 1, X509_STORE_set_default_paths(t->store) == 1);
    /* Every verification's CRL lookups go through the weak-signature rule
     * (a store-wide hook: OpenSSL 3.0 has none per X509_STORE_CTX). */
    if (ok) X509_STORE_set_lookup_crls(t->store, pl_lookup_crls);
    if (ok) pl_trust_warm(t->store);
    ERR_clear_error();
    if (!ok) {
        pl_trust_free(t);
        PL_BAIL(PL_ERR_USAGE, "cannot load trusted certificates from %s", cafile ? cafile : "the system store");
    }
    *out = t;
    return 0;
}

struct x509_store_st *pl_trust_x509_store(pl_trust *t) { return t->store; }

void pl_trust_set_cache(pl_trust *t, int enabled) { t->cache_off = !enabled; }

int pl_trust_cached(pl_trust *t)
{
    int n = 0;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < PL_VCACHE_SLOTS; i++) n += t->cache[i].used;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void pl_trust_free(pl_trust *t)
{
    if (!t) return;
    X509_STORE_free(t->store);
    for (int i = 0; i < PL_VCACHE_SLOTS; i++) {
        EVP_PKEY_free(t->cache[i].leaf_key);
        X509_free(t->cache[i].issuer);
    }
    pthread_mutex_destroy(&t->lock);
    OPENSSL_free(t);
}

static void pl_now_text(int64_t now, char *out, size_t n)
{
    time_t tt = now ? (time_t)now : time(NULL);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%d", &tm);
}

int64_t pl_asn1_unix(const ASN1_TIME *a)
{
    struct tm tm;
    if (!a || ASN1_TIME_to_tm(a, &tm) != 1) return 0;
    return (int64_t)timegm(&tm);
}

/* A store with CRLs, or told not to, remembers nothing. */
static int pl_vcache_on(const pl_trust *t) { return !t->ncrls && !t->cache_off; }

/* The key covers every input of the verdict besides the store's contents
 * (one cache per store): purpose, host, the chain's bytes, and the policy
 * (depth, expired-CRL rule, minimum RSA size; a store with CRLs does not
 * cache), so an "ok" made under one policy never answers for another. */
static void pl_vcache_key(const pl_trust *t, const pl_der *chain, size_t n, const char *host, int purpose, uint8_t key[32])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    uint8_t hdr[4] = {(uint8_t)purpose};
    uint8_t pol[6] = {(uint8_t)t->max_depth, (uint8_t)t->crl_expired_fatal, (uint8_t)(t->min_rsa_bits >> 24),
                      (uint8_t)(t->min_rsa_bits >> 16), (uint8_t)(t->min_rsa_bits >> 8), (uint8_t)t->min_rsa_bits};
    unsigned int kl = 0;
    int ok = m && EVP_DigestInit_ex2(m, EVP_sha256(), NULL) && EVP_DigestUpdate(m, hdr, 1) && EVP_DigestUpdate(m, pol, sizeof pol) &&
             EVP_DigestUpdate(m, host ? host : "", host ? strlen(host) + 1 : 1);
    for (size_t i = 0; ok && i < n; i++) {
        hdr[0] = (uint8_t)(chain[i].len >> 16), hdr[1] = (uint8_t)(chain[i].len >> 8), hdr[2] = (uint8_t)chain[i].len;
        ok = EVP_DigestUpdate(m, hdr, 3) && EVP_DigestUpdate(m, chain[i].p, chain[i].len);
    }
    if (!ok || !EVP_DigestFinal_ex(m, key, &kl)) memset(key, 0, 32); /* all-zero: never stored */
    EVP_MD_CTX_free(m);
}

static int pl_vcache_find(pl_trust *t, const uint8_t key[32], int64_t now, pl_pkey **leaf_key, pl_cert **issuer)
{
    static const uint8_t zero[32];
    int hit = 0;
    if (!pl_vcache_on(t) || !memcmp(key, zero, 32)) return 0;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < PL_VCACHE_SLOTS && !hit; i++) {
        pl_vcache_entry *e = &t->cache[i];
        if (!e->used || memcmp(e->key, key, 32) != 0) continue;
        if (now < e->not_before || now > e->not_after || now - e->stored >= PL_VCACHE_TTL || now < e->stored) {
            e->used = 0; /* stale: verify again */
            break;
        }
        if (leaf_key) {
            EVP_PKEY_up_ref(e->leaf_key);
            *leaf_key = (pl_pkey *)e->leaf_key;
        }
        if (issuer) {
            X509_up_ref(e->issuer);
            *issuer = (pl_cert *)e->issuer;
        }
        snprintf(pl_warning, sizeof pl_warning, "%s", e->warning);
        hit = 1;
    }
    pthread_mutex_unlock(&t->lock);
    return hit;
}

static void pl_vcache_store(pl_trust *t, const uint8_t key[32], X509_STORE_CTX *ctx, X509 *leaf, X509 *issuer, int64_t now)
{
    static const uint8_t zero[32];
    if (!pl_vcache_on(t) || !memcmp(key, zero, 32)) return;
    /* The window in which every certificate of the verified path (anchor included) is valid. */
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    int64_t nb = 0, na = INT64_MAX;
    for (int i = 0; path && i < sk_X509_num(path); i++) {
        X509 *x = sk_X509_value(path, i);
        int64_t b = pl_asn1_unix(X509_get0_notBefore(x)), a = pl_asn1_unix(X509_get0_notAfter(x));
        if (!b || !a) return;
        if (b > nb) nb = b;
        if (a < na) na = a;
    }
    EVP_PKEY *k = X509_get_pubkey(leaf);
    if (!k) return;
    X509_up_ref(issuer);
    pthread_mutex_lock(&t->lock);
    pl_vcache_entry *e = &t->cache[t->cache_next++ % PL_VCACHE_SLOTS];
    EVP_PKEY_free(e->leaf_key);
    X509_free(e->issuer);
    e->issuer = issuer;
    memcpy(e->key, key, 32);
    e->not_before = nb;
    e->not_after = na;
    e->stored = now;
    e->leaf_key = k;
    snprintf(e->warning, sizeof e->warning, "%s", pl_warning);
    e->used = 1;
    pthread_mutex_unlock(&t->lock);
}

int pl_verify_chain(pl_trust *t, const pl_der *chain, size_t n, const char *host, int64_t now, int purpose, pl_pkey **leaf_key,
                    pl_cert **issuer_out)
{
    return pl_verify_chain_report(t, chain, n, host, now, purpose, leaf_key, issuer_out, NULL);
}

int pl_verify_chain_report(pl_trust *t, const pl_der *chain, size_t n, const char *host, int64_t now, int purpose, pl_pkey **leaf_key,
                           pl_cert **issuer_out, parley_verify_result *report)
{
    int stage = PL_STAGE_NONE, failed = -1; /* how far this run got, for the report */
    uint8_t ckey[32] = {0}; /* all zero: not remembered */
    int64_t at = now ? now : (int64_t)time(NULL);
    if (leaf_key) *leaf_key = NULL;
    if (issuer_out) *issuer_out = NULL;
    /* Before any exit: a warning belongs to this run only (a cache hit sets its own). */
    pl_warning[0] = 0;
    /* The key hashes the whole chain: only worth it when the store remembers. */
    if (n && pl_vcache_on(t) && !report) {
        pl_vcache_key(t, chain, n, host, purpose, ckey);
        if (pl_vcache_find(t, ckey, at, leaf_key, issuer_out)) return 0;
    }
    int client_auth = (purpose & PL_PURPOSE_ROLE) == PL_PURPOSE_CLIENT;
    const char *role = client_auth ? "client" : "server";
    X509 *leaf = NULL;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = 0;
    char who[256], today[32]; /* who: the leaf's name, made only for a failure's sentence */
    pl_vstate vs = {.t = t};
    if (!untrusted || !ctx) {
        rc = pl_fail(PL_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
        goto out;
    }
    if (n == 0) {
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "the %s sent no certificate", role);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = chain[i].p;
        X509 *x = d2i_X509(NULL, &p, (long)chain[i].len);
        if (!x || p != chain[i].p + chain[i].len) {
            X509_free(x);
            rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate %zu in the chain is not valid DER", i);
            goto out;
        }
        if (i == 0) leaf = x;
        else sk_X509_push(untrusted, x);
    }
    if (!X509_STORE_CTX_init(ctx, t->store, leaf, untrusted)) {
        rc = pl_fail(PL_ERR_INTERNAL, __FILE__, __LINE__, "cannot set up certificate verification");
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_STORE_CTX_set_app_data(ctx, &vs);
    X509_STORE_CTX_set_verify_cb(ctx, pl_verify_cb);
    X509_VERIFY_PARAM_set_depth(param, t->max_depth);
    /* With CRLs given, every certificate of the chain is checked (RFC 5280 6.3). */
    if (t->ncrls) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    /* The purpose checks extendedKeyUsage (serverAuth / clientAuth) when present. */
    X509_VERIFY_PARAM_set_purpose(param, client_auth ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
    if (now) X509_VERIFY_PARAM_set_time(param, (time_t)now);
    /* libcrypto's own key-size and digest rules stay off: policy.c decides,
     * on the verified path, and says why in its own words. */
    X509_VERIFY_PARAM_set_auth_level(param, 0);
    pl_now_text(now, today, sizeof today);
    stage = PL_STAGE_BUILD;
    if (X509_verify_cert(ctx) != 1) {
        int err = X509_STORE_CTX_get_error(ctx);
        X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
        if (!bad) bad = leaf;
        rc = pl_verify_reason(err, bad, leaf, role, vs.crl_date, today, t->max_depth);
        STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
        stage = pl_verify_err_stage(err, &failed, built && X509_STORE_CTX_get_num_untrusted(ctx) < sk_X509_num(built));
        goto out;
    }
    /* The policy, on the path libcrypto verified (policy.c). */
    stage = PL_STAGE_POLICY;
    failed = PARLEY_CHECK_SIGNATURES;
    rc = pl_policy_check_path(X509_STORE_CTX_get0_chain(ctx), t->min_rsa_bits, pl_warning, sizeof pl_warning);
    if (rc) goto out;
    stage = PL_STAGE_CRL_POLICY;
    failed = PARLEY_CHECK_REVOCATION;
    if (vs.weak_crl && (rc = pl_policy_check_crl(vs.weak_crl)) != 0) goto out;
    stage = PL_STAGE_HOST;
    failed = PARLEY_CHECK_HOST;
    if (host && host[0] && !pl_leaf_matches_host(leaf, host)) {
        pl_cert_name(leaf, who, sizeof who);
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "certificate for %s does not match host name %s", who, host);
        goto out;
    }
    /* The TLS purposes accept a leaf whose keyUsage has any of digitalSignature,
     * keyEncipherment or keyAgreement; the key must allow what it will do:
     * sign (CertificateVerify, ServerKeyExchange: RFC 8446 4.4.2.2, RFC 4492
     * 5.6) or, for TLS 1.2 RSA key transport, encrypt the premaster secret
     * (RFC 5246 7.4.2). No keyUsage extension allows everything (RFC 5280 4.2.1.3). */
    stage = PL_STAGE_KEYUSAGE;
    failed = PARLEY_CHECK_USAGE;
    uint32_t need = purpose & PL_PURPOSE_KEY_TRANSPORT ? X509v3_KU_KEY_ENCIPHERMENT : X509v3_KU_DIGITAL_SIGNATURE;
    if (!(X509_get_key_usage(leaf) & need)) {
        pl_cert_name(leaf, who, sizeof who);
        rc = pl_fail(PL_ERR_UNSUPPORTED_CERTIFICATE, __FILE__, __LINE__, "certificate for %s does not allow %s (keyUsage), which %s", who,
                     need == X509v3_KU_DIGITAL_SIGNATURE ? "digital signatures" : "key encipherment",
                     need == X509v3_KU_DIGITAL_SIGNATURE ? "TLS needs to authenticate it" : "RSA key exchange needs");
        goto out;
    }
    /* The leaf's issuer as libcrypto verified it: the certificate after the
     * leaf on the built path, whatever order (or look-alikes) the peer sent;
     * a trusted self-signed leaf is its own issuer. OCSP needs exactly this
     * certificate (RFC 6960 4.1.1 CertID, 4.2.2.2 responder authority). */
    stage = PL_STAGE_DONE;
    failed = -1;
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    X509 *issuer = sk_X509_value(path, sk_X509_num(path) > 1 ? 1 : 0);
    if (!issuer) {
        pl_cert_name(leaf, who, sizeof who);
        rc = pl_fail(PL_ERR_INTERNAL, __FILE__, __LINE__, "the verified path of %s is empty", who);
        goto out;
    }
    if (leaf_key && !(*leaf_key = (pl_pkey *)X509_get_pubkey(leaf))) {
        pl_cert_name(leaf, who, sizeof who);
        rc = pl_fail(PL_ERR_BAD_CERTIFICATE, __FILE__, __LINE__, "the public key of %s cannot be used", who);
        goto out;
    }
    if (issuer_out) {
        X509_up_ref(issuer);
        *issuer_out = (pl_cert *)issuer;
    }
    pl_vcache_store(t, ckey, ctx, leaf, issuer, at);
out:
    if (report) {
        /* A failure after PL_STAGE_DONE (out of memory) is no verdict on the chain. */
        if (rc && stage == PL_STAGE_DONE) stage = PL_STAGE_KEYUSAGE;
        pl_report_fill(report, stage >= PL_STAGE_BUILD ? ctx : NULL, leaf, stage, failed, rc, host, t->ncrls, t->max_depth, at,
                       vs.crl_info);
    }
    ERR_clear_error();
    X509_CRL_free(vs.weak_crl);
    X509_STORE_CTX_free(ctx);
    X509_free(leaf);
    sk_X509_pop_free(untrusted, X509_free);
    return rc;
}

/* Is the store the system's default paths? (trust_digest.c) */
int pl_trust_is_system(const pl_trust *t);
int pl_trust_is_system(const pl_trust *t) { return t->system; }

X509_STORE *pl_trust_store(const pl_trust *t);
X509_STORE *pl_trust_store(const pl_trust *t) { return t->store; }

