/*
 * config.c - parley_config: built once, frozen at the first connection,
 * reference counted, read-only (so shareable across threads) once frozen.
 * Expensive work (loading and encoding certificates, the trust store) happens
 * here, not per connection. This file: the object's life (defaults, new, ref,
 * free, freeze with the trust identity and the output cap) and the protocol
 * policy setters (versions, suites, groups, ALPN, padding, trace, key log).
 * Certificates: config_certs.c; trust and revocation: config_trust.c;
 * sessions and tickets: config_sessions.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <time.h>

#include "config_internal.h"
#include "handshake/record_size_limit.h"
#include "handshake/messages.h"

uint16_t pl_cipher_from_name(const char *name);
uint16_t pl_group_from_name(const char *name);
uint16_t pl_sigscheme_from_name(const char *name);

/* Defaults: AES-128-GCM first (fast with AES-NI), then ChaCha20, then AES-256. */
static const uint16_t pl_default_suites[] = {
    PARLEY_TLS_AES_128_GCM_SHA256,
    PARLEY_TLS_CHACHA20_POLY1305_SHA256,
    PARLEY_TLS_AES_256_GCM_SHA384,
    /* TLS 1.2: forward-secret ECDHE first, ECDSA before RSA (cheaper to sign). */
    PARLEY_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    PARLEY_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    PARLEY_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    PARLEY_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    PARLEY_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    PARLEY_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    PARLEY_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    PARLEY_TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    PARLEY_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    /* Static RSA last; used only when allowed (parley_config_allow_rsa_kx). */
    PARLEY_TLS_RSA_WITH_AES_128_GCM_SHA256,
    PARLEY_TLS_RSA_WITH_AES_256_GCM_SHA384,
};
/* Groups, in preference order (the server's choice; the client's key_share
 * is the first, x25519). Cheap and common first: x25519, P-256, P-384. The
 * rest are supported, not preferred: x448 and P-521 (RFC 8446 4.2.7) are
 * used only when a client offers nothing earlier, then the RFC 7919 groups
 * up to 4096 bits. ffdhe6144 and ffdhe8192 are supported but not on by
 * default (parley_config_set_groups): a peer that lists only ffdhe8192
 * could otherwise make each handshake cost about 100 times an x25519 one
 * (two 8192-bit operations, ~16 ms) for the price of one ClientHello. */
static const uint16_t pl_default_groups[] = {PARLEY_GROUP_X25519,    PARLEY_GROUP_SECP256R1, PARLEY_GROUP_SECP384R1,
                                             PARLEY_GROUP_X448,      PARLEY_GROUP_SECP521R1, PARLEY_GROUP_FFDHE2048,
                                             PARLEY_GROUP_FFDHE3072, PARLEY_GROUP_FFDHE4096};
/* Server preference for signatures: ECDSA and EdDSA are cheapest to make.
 * SHA-1 and SHA-224 schemes are not here and cannot be configured (RFC
 * 8446 4.2.3, RFC 9155). 0x0603 is ecdsa_secp521r1_sha512 in TLS 1.3 and
 * ECDSA with SHA-512 in TLS 1.2; PKCS#1 v1.5 is TLS 1.2 only. */
static const uint16_t pl_default_sigalgs[] = {
    PARLEY_SIG_ECDSA_SECP256R1_SHA256, PARLEY_SIG_ECDSA_SECP384R1_SHA384, PARLEY_SIG_ECDSA_SECP521R1_SHA512,
    PARLEY_SIG_ED25519,                PARLEY_SIG_ED448,
    PARLEY_SIG_RSA_PSS_RSAE_SHA256,    PARLEY_SIG_RSA_PSS_RSAE_SHA384,    PARLEY_SIG_RSA_PSS_RSAE_SHA512,
    PARLEY_SIG_RSA_PSS_PSS_SHA256,     PARLEY_SIG_RSA_PSS_PSS_SHA384,     PARLEY_SIG_RSA_PSS_PSS_SHA512,
    PARLEY_SIG_RSA_PKCS1_SHA256,       PARLEY_SIG_RSA_PKCS1_SHA384,       PARLEY_SIG_RSA_PKCS1_SHA512};

parley_config *parley_config_new(void)
{
    parley_config *cfg = pl_calloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    atomic_init(&cfg->refs, 1);
    atomic_init(&cfg->frozen, 0);
    pthread_mutex_init(&cfg->lock, NULL);
    pthread_mutex_init(&cfg->err_lock, NULL);
    static atomic_uint_fast64_t serials;
    cfg->serial = atomic_fetch_add(&serials, 1) + 1;
    cfg->min_version = PARLEY_TLS1_2;
    cfg->max_version = PARLEY_TLS1_3;
    /* RFC 7627 is not required by default (as in OpenSSL, BoringSSL, Go and
     * rustls): a TLS 1.2 peer without it gets a full handshake, but its
     * session is never resumable (RFC 7627 5.4, pl_session_resumable). */
    cfg->require_ems = 0;
    cfg->max_depth = 8;
    cfg->min_rsa_bits = PL_MIN_RSA_BITS;
    cfg->crl_expired_fatal = 1;
    cfg->ocsp_max_age = 7 * 86400;
    cfg->session_lifetime = 7200;
    cfg->ticket_rotation = 86400;
    memcpy(cfg->suites, pl_default_suites, sizeof pl_default_suites);
    cfg->nsuites = sizeof pl_default_suites / sizeof pl_default_suites[0];
    memcpy(cfg->groups, pl_default_groups, sizeof pl_default_groups);
    cfg->ngroups = sizeof pl_default_groups / sizeof pl_default_groups[0];
    memcpy(cfg->sigalgs, pl_default_sigalgs, sizeof pl_default_sigalgs);
    cfg->nsigalgs = sizeof pl_default_sigalgs / sizeof pl_default_sigalgs[0];
    memcpy(cfg->sign_sigalgs, pl_default_sigalgs, sizeof pl_default_sigalgs);
    cfg->nsign_sigalgs = cfg->nsigalgs;
    cfg->verify = 1;
    cfg->verify_hostname = 1;
    return cfg;
}

void parley_config_ref(parley_config *cfg) { atomic_fetch_add(&cfg->refs, 1); }

void parley_config_free(parley_config *cfg)
{
    if (!cfg || atomic_fetch_sub(&cfg->refs, 1) != 1) return;
    for (size_t i = 0; i < cfg->ncerts; i++) {
        pl_chain_free(&cfg->certs[i].chain);
        pl_buf_free(&cfg->certs[i].cert_msg);
        pl_buf_free(&cfg->certs[i].cert_msg12);
        pl_buf_free(&cfg->certs[i].ocsp);
        pl_buf_free(&cfg->certs[i].cert_msg_ocsp);
        pl_cc_entry_free(&cfg->certs[i]);
    }
    pl_trust_free(cfg->trust);
    if (cfg->cache_owned) parley_session_cache_memory_free(cfg->cache);
    parley_session_cache_memory_free(cfg->replay_store);
    pl_trust_free(cfg->client_trust);
    pl_buf_free(&cfg->ca_names);
    pl_free(cfg->client_ca_file);
    for (int i = 0; i < cfg->in_pool_n; i++) pl_free(cfg->in_pool[i]);
    pl_free(cfg->ticket_keys_file);
    pl_cleanse(&cfg->tickets, sizeof cfg->tickets);
    for (int i = 0; i < cfg->ncrl_files; i++) pl_free(cfg->crl_files[i]);
    pl_free(cfg->ca_file);
    if (cfg->keylog_file) fclose(cfg->keylog_file);
    pthread_mutex_destroy(&cfg->lock);
    pthread_mutex_destroy(&cfg->err_lock);
    pl_free(cfg);
}

/* Error text: a frozen config is shared by threads, and any of them may
 * fail a call on it (a connection that cannot be made, a refused setter, a
 * ticket key reload). Each thread keeps the text of its own latest failure
 * (with the serial number of the config it was about, so a config freed and
 * another made at the same address is not confused with it), and the config
 * keeps the latest of any thread under err_lock. A reader gets its own
 * thread's text for that config, else a copy of the config's taken under
 * err_lock: never a text another thread is writing. */
static _Thread_local struct {
    uint64_t serial; /* of the config `own` is about; 0: none */
    char own[sizeof ((parley_config *)0)->err];  /* this thread's latest failure */
    char copy[sizeof ((parley_config *)0)->err]; /* a config's latest, as read */
} pl_cfg_tls;

void pl_cfg_errf(parley_config *cfg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pl_cfg_tls.own, sizeof pl_cfg_tls.own, fmt, ap);
    va_end(ap);
    pl_cfg_tls.serial = cfg->serial;
    pthread_mutex_lock(&cfg->err_lock);
    memcpy(cfg->err, pl_cfg_tls.own, sizeof cfg->err);
    pthread_mutex_unlock(&cfg->err_lock);
}

const char *parley_config_error_string(const parley_config *cfg)
{
    if (pl_cfg_tls.serial == cfg->serial) return pl_cfg_tls.own;
    parley_config *m = (parley_config *)cfg; /* the lock, not the config, changes */
    pthread_mutex_lock(&m->err_lock);
    memcpy(pl_cfg_tls.copy, cfg->err, sizeof pl_cfg_tls.copy);
    pthread_mutex_unlock(&m->err_lock);
    return pl_cfg_tls.copy;
}

/* The identity of the trust settings a peer is authenticated under, which
 * every session records and a client checks before offering one (session.h):
 * SHA-256 over the role, whether the chain is verified at all, the policy
 * (host-name check, OCSP mode and maximum age, depth, expired CRLs, the
 * minimum RSA key size, a fixed clock) and the store's certificates and CRLs (pl_trust_digest). A client
 * has a second identity that also covers its own certificates
 * (with_certs), recorded by sessions in which it sent one: such a session
 * must not be resumed by a config without that certificate, since the
 * server takes the resumption as the certificate's holder; a session without
 * client authentication may be. Computed once, when the config freezes. */
static int pl_trust_identity(const parley_config *cfg, pl_trust *t, int client, int verifies, int with_certs, uint8_t out[32])
{
    uint8_t in[128], *p = in;
    memcpy(p, client ? "PTsrv" : "PTcli", 5), p += 5; /* whom the trust authenticates */
    *p++ = (uint8_t)verifies;
    /* The application's verify callback, which decided instead of the
     * store: a session is bound to the callback function and its arg (an
     * arg may carry per-tenant pins). Both are addresses in this process,
     * so such sessions do not resume in another one: fail closed. */
    *p++ = (uint8_t)(cfg->verify_cb != NULL);
    if (cfg->verify_cb) {
        memcpy(p, &cfg->verify_cb, sizeof cfg->verify_cb), p += sizeof cfg->verify_cb;
        memcpy(p, &cfg->verify_cb_arg, sizeof cfg->verify_cb_arg), p += sizeof cfg->verify_cb_arg;
    }
    if (verifies) {
        /* A server's client CAs, not whether it requires a certificate:
         * one verified under them stays verified when the mode changes. */
        *p++ = (uint8_t)(client ? cfg->verify_hostname : 0);
        *p++ = (uint8_t)(client ? cfg->ocsp_mode : 0);
        *p++ = (uint8_t)cfg->max_depth;
        *p++ = (uint8_t)cfg->crl_expired_fatal;
        *p++ = (uint8_t)(cfg->min_rsa_bits >> 8); /* the key policy (policy.c) */
        *p++ = (uint8_t)cfg->min_rsa_bits;
        uint32_t age = client ? cfg->ocsp_max_age : 0;
        uint64_t now = (uint64_t)cfg->now; /* 0: the real clock */
        for (int i = 3; i >= 0; i--) *p++ = (uint8_t)(age >> (8 * i));
        for (int i = 7; i >= 0; i--) *p++ = (uint8_t)(now >> (8 * i));
        PL_GUARD(pl_trust_digest(t, p));
        p += 32;
    }
    if (with_certs) {
        uint8_t leaves[PL_MAX_CERTS * 32];
        size_t n = 0;
        for (size_t i = 0; i < cfg->ncerts && i < PL_MAX_CERTS; i++, n++)
            PL_GUARD(pl_hash(PL_SHA256, cfg->certs[i].chain.der[0], cfg->certs[i].chain.der_len[0], leaves + 32 * n));
        PL_GUARD(pl_hash(PL_SHA256, leaves, 32 * n, p));
        p += 32;
    }
    return pl_hash(PL_SHA256, in, (size_t)(p - in), out);
}

/* The most output a peer can make one connection queue (parley.h, "Output a
 * peer can cause"): every handshake flight this config can send must fit.
 * The variable part of a flight is the certificate content, the largest
 * Certificate message of any certificate (1.3 with its OCSP staple; 1.2 with
 * the staple as its own CertificateStatus), and the CertificateRequest's CA
 * names; everything else fits in PL_OUT_CAP_BASE. Framing: each record adds
 * at most 29 bytes (header, 1.2 explicit nonce, tag; 1.3's type byte is
 * less) plus, with padding, up to one block, and a flight has at most 16
 * records that are not full (one per message and CCS, with room). */
static size_t pl_config_out_cap(const parley_config *cfg)
{
    size_t certs = 0;
    for (size_t i = 0; i < cfg->ncerts; i++) {
        const pl_cert_entry *e = &cfg->certs[i];
        size_t m = e->cert_msg.len;
        if (e->cert_msg_ocsp.len > m) m = e->cert_msg_ocsp.len;
        if (e->cert_msg12.len + e->ocsp.len + 8 > m) m = e->cert_msg12.len + e->ocsp.len + 8;
        if (m > certs) certs = m;
    }
    size_t var = certs + cfg->ca_names.len;
    /* A peer's record_size_limit (RFC 8449) may make records as small as 64. */
    size_t records = var / pl_rsl_min_content(cfg) + 16;
    return PL_OUT_CAP_BASE + var + records * (29 + cfg->record_pad);
}

/* The client CA store, its CA names, policy and identity, with cfg->lock
 * held. Installed only whole: a store left without its CRLs, policy or CA
 * names by a failure here would be used as it is by the next connection,
 * which does not run this again. */
static int pl_client_trust_load_locked(parley_config *cfg)
{
    pl_trust *t = NULL;
    if (pl_trust_load(cfg->client_ca_file, &t) < 0 || pl_trust_ca_names(t, &cfg->ca_names) < 0 || pl_trust_setup(cfg, t) < 0 ||
        pl_trust_identity(cfg, t, 0, 1, 0, cfg->client_trust_id) < 0) {
        pl_cfg_errf(cfg, "%s", pl_last_message());
        pl_trust_free(t);
        pl_buf_free(&cfg->ca_names);
        return -1;
    }
    cfg->client_trust = t;
    return 0;
}

/* parley_verify_chain for PARLEY_PURPOSE_CLIENT with a client CA file: that
 * store alone, without a server's session cache or ticket keys. */
int pl_config_freeze_client_ca(parley_config *cfg);
int pl_config_freeze_client_ca(parley_config *cfg)
{
    int rc = 0;
    pthread_mutex_lock(&cfg->lock);
    atomic_store(&cfg->frozen, 1);
    if (!cfg->client_trust) rc = pl_client_trust_load_locked(cfg);
    pthread_mutex_unlock(&cfg->lock);
    return rc;
}

int pl_config_freeze(parley_config *cfg, int client);
int pl_config_freeze(parley_config *cfg, int client)
{
    int rc = 0;
    pthread_mutex_lock(&cfg->lock);
    atomic_store(&cfg->frozen, 1);
    if (!client && !cfg->cache && !cfg->cache_disabled) {
        /* The default: an in-process cache for TLS 1.2 session IDs. */
        cfg->cache = parley_session_cache_memory_new(0);
        cfg->cache_owned = cfg->cache != NULL;
    }
    if (!client && !cfg->cache && cfg->max_early_data && !cfg->replay_store) {
        /* 0-RTT anti-replay without a cache: an in-process store, bounded
         * (full of live records, it refuses: early data is then rejected). */
        cfg->replay_store = parley_session_cache_memory_new(PL_REPLAY_STORE_CAP);
    }
    /* The ring seals tickets and session-cache values alike (even with
     * tickets off): without shared keys or a shared secret, one generated for
     * this config, which is enough for its own in-process cache. */
    if (!client && (!cfg->tickets_disabled || cfg->cache) && cfg->tickets.n == 0 && pl_ticket_ring_generate(&cfg->tickets) < 0) {
        pl_cfg_errf(cfg, "%s", pl_last_message());
        rc = -1;
    }
    /* A stapled OCSP response is checked against the path Parley verified;
     * under a callback there is none, and "required" would mean "present". */
    if (client && cfg->verify_cb && cfg->ocsp_mode != PARLEY_OCSP_NONE) {
        pl_cfg_errf(cfg, "OCSP checking (parley_config_set_ocsp) needs Parley's own chain verification: it cannot be "
                         "combined with a verify callback");
        rc = -1;
    }
    static const uint8_t zero_id[32];
    if (!client && cfg->verify_client && !cfg->client_trust && !cfg->client_ca_file && cfg->verify_cb) {
        /* The callback verifies: no store, no certificate_authorities (made
         * once: connections of other threads read the identity). */
        if (memcmp(cfg->client_trust_id, zero_id, sizeof zero_id) == 0 &&
            pl_trust_identity(cfg, NULL, 0, 0, 0, cfg->client_trust_id) < 0) {
            pl_cfg_errf(cfg, "%s", pl_last_message());
            rc = -1;
        }
    } else if (!client && cfg->verify_client && !cfg->client_trust) {
        if (!cfg->client_ca_file) {
            pl_cfg_errf(cfg, "verifying client certificates needs a client CA file (parley_config_set_client_ca) or a verify callback (parley_config_set_verify_callback)");
            rc = -1;
        } else if (pl_client_trust_load_locked(cfg) < 0) {
            rc = -1;
        }
    }
    /* certificate_authorities and the 1.2 CertificateRequest carry the names
     * in a 16-bit vector inside a 16-bit extension (RFC 8446 4.2.4). */
    if (rc == 0 && cfg->ca_names.len > 65533) {
        pl_cfg_errf(cfg, "the client CA file names too many CAs (%zu bytes of names; at most 65533 fit a CertificateRequest)",
                 cfg->ca_names.len);
        rc = -1;
    }
    if (client && cfg->verify && !cfg->verify_cb && !cfg->trust_loaded) {
        /* Likewise; a store from an earlier failed attempt is not leaked. */
        pl_trust *t = NULL;
        if (pl_trust_load(cfg->ca_file, &t) < 0 || pl_trust_setup(cfg, t) < 0 ||
            pl_trust_identity(cfg, t, 1, 1, 0, cfg->trust_id) < 0 ||
            pl_trust_identity(cfg, t, 1, 1, 1, cfg->trust_id_certs) < 0) {
            pl_cfg_errf(cfg, "%s", pl_last_message());
            pl_trust_free(t);
            rc = -1;
        } else {
            cfg->trust = t;
            cfg->trust_loaded = 1;
        }
    } else if (client && (!cfg->verify || cfg->verify_cb) && !cfg->trust_loaded) {
        if (pl_trust_identity(cfg, NULL, 1, 0, 0, cfg->trust_id) < 0 ||
            pl_trust_identity(cfg, NULL, 1, 0, 1, cfg->trust_id_certs) < 0) {
            pl_cfg_errf(cfg, "%s", pl_last_message()); /* the failing thread reads why, as for every other path */
            rc = -1;
        }
        else cfg->trust_loaded = 1; /* nothing to load: the identity says "not verified" (or "the callback") */
    }
    size_t cap = pl_config_out_cap(cfg);
    if (cap != atomic_load_explicit(&cfg->out_cap, memory_order_relaxed))
        atomic_store_explicit(&cfg->out_cap, cap, memory_order_relaxed);
    pthread_mutex_unlock(&cfg->lock);
    return rc;
}

int parley_config_set_versions(parley_config *cfg, uint16_t min, uint16_t max)
{
    PL_CFG_MUTABLE(cfg);
    if (min > max) return pl_cfg_err(cfg, "minimum version above maximum");
    if (min < PARLEY_TLS1_2) return pl_cfg_err(cfg, "SSL 3.0, TLS 1.0 and TLS 1.1 are not supported (RFC 8996)");
    if (max > PARLEY_TLS1_3) return pl_cfg_err(cfg, "unknown TLS version");
    cfg->min_version = min;
    cfg->max_version = max;
    return PARLEY_OK;
}

/* Split `list` on `sep`, map each name with `lookup`, fill out[]. */
static int pl_parse_list(parley_config *cfg, const char *list, char sep, uint16_t (*lookup)(const char *),
                         uint16_t *out, size_t cap, size_t *n, const char *what)
{
    char item[64];
    uint16_t tmp[PL_MAX_SUITES > PL_MAX_GROUPS ? (PL_MAX_SUITES > PL_MAX_SIGALGS ? PL_MAX_SUITES : PL_MAX_SIGALGS)
                                               : (PL_MAX_GROUPS > PL_MAX_SIGALGS ? PL_MAX_GROUPS : PL_MAX_SIGALGS)];
    size_t k = 0;
    const char *p = list;
    PL_CFG_ARG(cfg, list);
    if (cap > sizeof tmp / sizeof tmp[0]) return pl_cfg_err(cfg, "list too long");
    while (*p) {
        const char *e = strchr(p, sep);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0 || l >= sizeof item) {
            pl_cfg_errf(cfg, "bad %s list: %s", what, list);
            return PARLEY_ERROR;
        }
        memcpy(item, p, l);
        item[l] = 0;
        uint16_t v = lookup(item);
        if (!v) {
            pl_cfg_errf(cfg, "unknown or unsupported %s: %s", what, item);
            return PARLEY_ERROR;
        }
        if (k == cap) return pl_cfg_err(cfg, "list too long");
        tmp[k++] = v;
        p += l;
        if (*p) p++;
    }
    if (k == 0) {
        pl_cfg_errf(cfg, "empty %s list", what);
        return PARLEY_ERROR;
    }
    memcpy(out, tmp, k * sizeof tmp[0]);
    *n = k;
    return PARLEY_OK;
}

int parley_config_set_ciphers(parley_config *cfg, const char *list)
{
    PL_CFG_MUTABLE(cfg);
    return pl_parse_list(cfg, list, ':', pl_cipher_from_name, cfg->suites, PL_MAX_SUITES, &cfg->nsuites, "cipher suite");
}

int parley_config_set_groups(parley_config *cfg, const char *list)
{
    PL_CFG_MUTABLE(cfg);
    return pl_parse_list(cfg, list, ':', pl_group_from_name, cfg->groups, PL_MAX_GROUPS, &cfg->ngroups, "group");
}

int parley_config_set_signing_schemes(parley_config *cfg, const char *list)
{
    PL_CFG_MUTABLE(cfg);
    return pl_parse_list(cfg, list, ':', pl_sigscheme_from_name, cfg->sign_sigalgs, PL_MAX_SIGALGS, &cfg->nsign_sigalgs,
                         "signature scheme");
}

int parley_config_set_verify_schemes(parley_config *cfg, const char *list)
{
    PL_CFG_MUTABLE(cfg);
    return pl_parse_list(cfg, list, ':', pl_sigscheme_from_name, cfg->sigalgs, PL_MAX_SIGALGS, &cfg->nsigalgs,
                         "signature scheme");
}

int parley_config_allow_rsa_kx(parley_config *cfg, int allow)
{
    PL_CFG_MUTABLE(cfg);
    cfg->allow_rsa_kx = allow ? 1 : 0;
    return PARLEY_OK;
}

int parley_config_require_ems(parley_config *cfg, int require)
{
    PL_CFG_MUTABLE(cfg);
    cfg->require_ems = require ? 1 : 0;
    return PARLEY_OK;
}

int parley_config_set_alpn(parley_config *cfg, const char *list)
{
    uint8_t wire[sizeof cfg->alpn];
    size_t o = 0;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, list);
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0 || l > 255 || o + 1 + l > PL_MAX_ALPN) return pl_cfg_err(cfg, "bad ALPN list");
        wire[o++] = (uint8_t)l;
        memcpy(wire + o, p, l);
        o += l;
        p += l;
        if (*p) p++;
    }
    memcpy(cfg->alpn, wire, o);
    cfg->alpn_len = o;
    return PARLEY_OK;
}

int parley_config_set_record_padding(parley_config *cfg, size_t block)
{
    PL_CFG_MUTABLE(cfg);
    if (block > PL_MAX_PLAINTEXT) return pl_cfg_err(cfg, "record padding block larger than a record");
    cfg->record_pad = block;
    return PARLEY_OK;
}

int parley_config_set_trace(parley_config *cfg, parley_trace_fn fn, void *arg)
{
    PL_CFG_MUTABLE(cfg);
    cfg->trace = fn;
    cfg->trace_arg = arg;
    return PARLEY_OK;
}

int parley_config_set_keylog(parley_config *cfg, parley_keylog_fn fn, void *arg)
{
    PL_CFG_MUTABLE(cfg);
    cfg->keylog = fn;
    cfg->keylog_arg = arg;
    return PARLEY_OK;
}

int parley_config_set_keylog_file(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, path);
    /* The file holds traffic secrets: made owner-only, and never written
     * through a symbolic link (in a shared directory such as /tmp a link
     * planted by another user would receive them). Appended to, since
     * several processes may share one key log. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        pl_cfg_errf(cfg, "cannot open key log file %s: %s", path,
                 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        if (fd >= 0) close(fd);
        return PARLEY_ERROR;
    }
    if (cfg->keylog_file) fclose(cfg->keylog_file);
    cfg->keylog_file = f;
    return PARLEY_OK;
}

int pl_suite_usable(const parley_config *cfg, uint16_t id)
{
    const pl_suite *s = pl_suite_find(id);
    if (!s) return 0;
    if (s->version == 13) return cfg->max_version >= PARLEY_TLS1_3;
    if (cfg->min_version > PARLEY_TLS1_2) return 0;
    return s->kx != PL_KX_RSA || cfg->allow_rsa_kx;
}
