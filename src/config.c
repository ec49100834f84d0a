/*
 * config.c - parley_config: built once, frozen at the first connection,
 * reference counted, read-only (so shareable across threads) once frozen.
 * Expensive work (loading and encoding certificates, the trust store) happens
 * here, not per connection.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handshake/messages.h"
#include "internal.h"

uint16_t pl_cipher_from_name(const char *name);
uint16_t pl_group_from_name(const char *name);

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
static const uint16_t pl_default_groups[] = {PARLEY_GROUP_X25519,    PARLEY_GROUP_SECP256R1, PARLEY_GROUP_SECP384R1,
                                             PARLEY_GROUP_FFDHE2048, PARLEY_GROUP_FFDHE3072, PARLEY_GROUP_FFDHE4096};
/* Server preference for signatures: ECDSA and Ed25519 are cheapest to make. */
static const uint16_t pl_default_sigalgs[] = {
    PARLEY_SIG_ECDSA_SECP256R1_SHA256, PARLEY_SIG_ECDSA_SECP384R1_SHA384, PARLEY_SIG_ED25519,
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
    cfg->min_version = PARLEY_TLS1_2;
    cfg->max_version = PARLEY_TLS1_3;
    cfg->require_ems = 1;
    cfg->max_depth = 8;
    cfg->crl_expired_fatal = 1;
    cfg->session_lifetime = 7200;
    cfg->ticket_rotation = 86400;
    memcpy(cfg->suites, pl_default_suites, sizeof pl_default_suites);
    cfg->nsuites = sizeof pl_default_suites / sizeof pl_default_suites[0];
    memcpy(cfg->groups, pl_default_groups, sizeof pl_default_groups);
    cfg->ngroups = sizeof pl_default_groups / sizeof pl_default_groups[0];
    memcpy(cfg->sigalgs, pl_default_sigalgs, sizeof pl_default_sigalgs);
    cfg->nsigalgs = sizeof pl_default_sigalgs / sizeof pl_default_sigalgs[0];
    cfg->verify = 1;
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
    }
    pl_trust_free(cfg->trust);
    if (cfg->cache_owned) parley_session_cache_memory_free(cfg->cache);
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
    pl_free(cfg);
}

const char *parley_config_error_string(const parley_config *cfg) { return cfg->err; }

static int pl_cfg_err(parley_config *cfg, const char *msg)
{
    snprintf(cfg->err, sizeof cfg->err, "%s", msg);
    return PARLEY_ERROR;
}

static int pl_cfg_mutable(parley_config *cfg)
{
    if (atomic_load(&cfg->frozen)) {
        pl_cfg_err(cfg, "the configuration is frozen: it is already used by a connection");
        return 0;
    }
    return 1;
}

#define PL_CFG_MUTABLE(cfg)                                                                                            \
    do {                                                                                                               \
        if (!pl_cfg_mutable(cfg)) return PARLEY_ERROR;                                                                 \
    } while (0)

static int pl_trust_setup(parley_config *cfg, pl_trust *t);

int pl_config_freeze(parley_config *cfg, int client);
int pl_config_freeze(parley_config *cfg, int client)
{
    int rc = 0;
    pthread_mutex_lock(&cfg->lock);
    atomic_store(&cfg->frozen, 1);
    if (!client && !cfg->tickets_disabled && cfg->tickets.n == 0 && pl_ticket_ring_generate(&cfg->tickets) < 0) {
        snprintf(cfg->err, sizeof cfg->err, "%s", pl_last_message());
        rc = -1;
    }
    if (!client && !cfg->cache && !cfg->cache_disabled) {
        /* The default: an in-process cache for TLS 1.2 session IDs. */
        cfg->cache = parley_session_cache_memory_new(0);
        cfg->cache_owned = cfg->cache != NULL;
    }
    if (!client && cfg->verify_client && !cfg->client_trust) {
        if (!cfg->client_ca_file) {
            snprintf(cfg->err, sizeof cfg->err, "verifying client certificates needs a client CA file (parley_config_set_client_ca)");
            rc = -1;
        } else {
            /* Installed only whole: a store left without its CRLs, policy or
             * CA names by a failure here would be used as it is by the next
             * connection, which does not run this again. */
            pl_trust *t = NULL;
            if (pl_trust_load(cfg->client_ca_file, &t) < 0 || pl_trust_ca_names(t, &cfg->ca_names) < 0 ||
                pl_trust_setup(cfg, t) < 0) {
                snprintf(cfg->err, sizeof cfg->err, "%s", pl_last_message());
                pl_trust_free(t);
                pl_buf_free(&cfg->ca_names);
                rc = -1;
            } else {
                cfg->client_trust = t;
            }
        }
    }
    if (client && cfg->verify && !cfg->trust_loaded) {
        /* Likewise; a store from an earlier failed attempt is not leaked. */
        pl_trust *t = NULL;
        if (pl_trust_load(cfg->ca_file, &t) < 0 || pl_trust_setup(cfg, t) < 0) {
            snprintf(cfg->err, sizeof cfg->err, "%s", pl_last_message());
            pl_trust_free(t);
            rc = -1;
        } else {
            cfg->trust = t;
            cfg->trust_loaded = 1;
        }
    }
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
    size_t k = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, sep);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0 || l >= sizeof item) {
            snprintf(cfg->err, sizeof cfg->err, "bad %s list: %s", what, list);
            return PARLEY_ERROR;
        }
        memcpy(item, p, l);
        item[l] = 0;
        uint16_t v = lookup(item);
        if (!v) {
            snprintf(cfg->err, sizeof cfg->err, "unknown or unsupported %s: %s", what, item);
            return PARLEY_ERROR;
        }
        if (k == cap) return pl_cfg_err(cfg, "list too long");
        out[k++] = v;
        p += l;
        if (*p) p++;
    }
    if (k == 0) {
        snprintf(cfg->err, sizeof cfg->err, "empty %s list", what);
        return PARLEY_ERROR;
    }
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
    PL_CFG_MUTABLE(cfg);
    size_t o = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0 || l > 255 || o + 1 + l > PL_MAX_ALPN) return pl_cfg_err(cfg, "bad ALPN list");
        cfg->alpn[o++] = (uint8_t)l;
        memcpy(cfg->alpn + o, p, l);
        o += l;
        p += l;
        if (*p) p++;
    }
    cfg->alpn_len = o;
    return PARLEY_OK;
}

static int pl_local_sign(parley_key_provider *self, parley_key_op *op)
{
    pl_cert_entry *e = (pl_cert_entry *)((char *)self - offsetof(pl_cert_entry, local));
    uint8_t sig[PL_MAX_SIG];
    size_t sl = 0;
    const uint8_t *in;
    size_t inlen;
    parley_key_op_input(op, &in, &inlen);
    if (parley_key_op_type(op) == PARLEY_KEY_OP_RSA_DECRYPT) {
        uint8_t pm[48];
        /* Implicit rejection happens here, where the key is. */
        if (pl_rsa_decrypt_premaster(e->local_key, in, inlen, parley_key_op_client_version(op), pm) < 0) return PARLEY_ERROR;
        int rc = parley_key_op_complete(op, 1, pm, sizeof pm);
        pl_cleanse(pm, sizeof pm);
        return rc;
    }
    if (parley_key_op_type(op) != PARLEY_KEY_OP_SIGN ||
        pl_sig_sign(e->local_key, parley_key_op_scheme(op), in, inlen, sig, &sl, sizeof sig) < 0)
        return PARLEY_ERROR;
    return parley_key_op_complete(op, 1, sig, sl);
}

static int pl_add_entry(parley_config *cfg, pl_chain *chain, parley_key_provider *provider)
{
    if (cfg->ncerts == PL_MAX_CERTS) {
        pl_chain_free(chain);
        return pl_cfg_err(cfg, "too many certificates");
    }
    pl_cert_entry *e = &cfg->certs[cfg->ncerts];
    memset(e, 0, sizeof *e);
    e->chain = *chain;
    if (pl_pkey_spki_hash(e->chain.pubkey, e->key_id) < 0) {
        pl_chain_free(&e->chain);
        return pl_cfg_err(cfg, "cannot hash the certificate's public key");
    }
    if (pl_certificate_write(&e->cert_msg, NULL, 0, e->chain.der, e->chain.der_len, e->chain.n) < 0 ||
        pl_certificate12_write(&e->cert_msg12, e->chain.der, e->chain.der_len, e->chain.n) < 0) {
        pl_chain_free(&e->chain);
        pl_buf_free(&e->cert_msg);
        pl_buf_free(&e->cert_msg12);
        return pl_cfg_err(cfg, pl_last_code() == PL_ERR_NOMEM ? "out of memory" : "certificate chain too large to send");
    }
    cfg->ncerts++;
    if (provider) {
        e->provider = provider;
    } else {
        e->local.start = pl_local_sign;
        e->local_key = e->chain.key;
        e->provider = &e->local;
    }
    return PARLEY_OK;
}

int parley_config_add_cert_files(parley_config *cfg, const char *chain_pem, const char *key_pem)
{
    pl_chain chain;
    pl_pkey *key;
    PL_CFG_MUTABLE(cfg);
    if (pl_chain_load_pem(chain_pem, &chain) < 0) return pl_cfg_err(cfg, pl_last_message());
    if (pl_key_load_pem(key_pem, &key) < 0) {
        pl_chain_free(&chain);
        return pl_cfg_err(cfg, pl_last_message());
    }
    if (!pl_chain_key_matches(&chain, key)) {
        pl_pkey_free(key);
        pl_chain_free(&chain);
        snprintf(cfg->err, sizeof cfg->err, "the private key in %s does not belong to the certificate in %s", key_pem, chain_pem);
        return PARLEY_ERROR;
    }
    chain.key = key;
    return pl_add_entry(cfg, &chain, NULL);
}

int parley_config_add_self_signed(parley_config *cfg, char *fp, size_t fplen)
{
    pl_chain chain;
    PL_CFG_MUTABLE(cfg);
    if (pl_chain_self_signed(&chain, fp, fplen) < 0) return pl_cfg_err(cfg, pl_last_message());
    return pl_add_entry(cfg, &chain, NULL);
}

int parley_config_add_cert_with_provider(parley_config *cfg, const char *chain_pem, parley_key_provider *provider)
{
    pl_chain chain;
    PL_CFG_MUTABLE(cfg);
    if (!provider || !provider->start) return pl_cfg_err(cfg, "a key provider needs a start function");
    if (pl_chain_load_pem(chain_pem, &chain) < 0) return pl_cfg_err(cfg, pl_last_message());
    return pl_add_entry(cfg, &chain, provider);
}

int parley_config_set_client_ca(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    pl_free(cfg->client_ca_file);
    pl_free(cfg->ticket_keys_file);
    pl_cleanse(&cfg->tickets, sizeof cfg->tickets);
    for (int i = 0; i < cfg->ncrl_files; i++) pl_free(cfg->crl_files[i]);
    cfg->client_ca_file = pl_strdup(path);
    if (!cfg->verify_client) cfg->verify_client = PARLEY_VERIFY_CLIENT_OPTIONAL;
    return cfg->client_ca_file ? PARLEY_OK : pl_cfg_err(cfg, "out of memory");
}

int parley_config_set_verify_client(parley_config *cfg, int mode)
{
    PL_CFG_MUTABLE(cfg);
    if (mode < PARLEY_VERIFY_CLIENT_NONE || mode > PARLEY_VERIFY_CLIENT_REQUIRE) return pl_cfg_err(cfg, "bad client verification mode");
    cfg->verify_client = mode;
    return PARLEY_OK;
}

int parley_config_add_crl_file(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    if (cfg->ncrl_files == PL_MAX_CRL_FILES) return pl_cfg_err(cfg, "too many CRL files");
    cfg->crl_files[cfg->ncrl_files] = pl_strdup(path);
    if (!cfg->crl_files[cfg->ncrl_files]) return pl_cfg_err(cfg, "out of memory");
    cfg->ncrl_files++;
    return PARLEY_OK;
}

int parley_config_set_crl_expired_fatal(parley_config *cfg, int fatal)
{
    PL_CFG_MUTABLE(cfg);
    cfg->crl_expired_fatal = fatal ? 1 : 0;
    return PARLEY_OK;
}

int parley_config_set_max_chain_depth(parley_config *cfg, int depth)
{
    PL_CFG_MUTABLE(cfg);
    if (depth < 0 || depth > 32) return pl_cfg_err(cfg, "chain depth out of range (0..32)");
    cfg->max_depth = depth;
    return PARLEY_OK;
}

/* Load CRLs and policy into a freshly loaded trust store. */
static int pl_trust_setup(parley_config *cfg, pl_trust *t)
{
    pl_trust_set_policy(t, cfg->max_depth, cfg->crl_expired_fatal);
    pl_trust_set_cache(t, !cfg->verify_cache_off);
    for (int i = 0; i < cfg->ncrl_files; i++) PL_GUARD(pl_trust_add_crl_file(t, cfg->crl_files[i]));
    return 0;
}

int parley_config_set_ocsp_response_file(parley_config *cfg, int index, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    if (index < 0 || (size_t)index >= cfg->ncerts) return pl_cfg_err(cfg, "no certificate with that index for the OCSP response");
    pl_cert_entry *e = &cfg->certs[index];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(cfg->err, sizeof cfg->err, "cannot open OCSP response %s", path);
        return PARLEY_ERROR;
    }
    uint8_t tmp[4096];
    size_t n;
    pl_buf_free(&e->ocsp);
    e->ocsp.max = 1 << 20;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (pl_buf_bytes(&e->ocsp, tmp, n) < 0) break;
    fclose(f);
    if (e->ocsp.len == 0) return pl_cfg_err(cfg, "empty OCSP response file");
    /* The TLS 1.3 Certificate with the staple on the leaf (RFC 8446 4.4.2.1), once. */
    pl_buf *b = &e->cert_msg_ocsp;
    size_t list, m, ex, sr;
    pl_buf_free(b);
    int rc = pl_buf_u8(b, 0);
    if (rc == 0) rc = pl_buf_open(b, 3, &list);
    for (size_t i = 0; rc == 0 && i < e->chain.n; i++) {
        if ((rc = pl_buf_open(b, 3, &m)) < 0 || (rc = pl_buf_bytes(b, e->chain.der[i], e->chain.der_len[i])) < 0 ||
            (rc = pl_buf_close(b, 3, m)) < 0 || (rc = pl_buf_open(b, 2, &ex)) < 0)
            break;
        if (i == 0 && ((rc = pl_buf_u16(b, PL_EXT_STATUS_REQUEST)) < 0 || (rc = pl_buf_open(b, 2, &sr)) < 0 ||
                       (rc = pl_certificate_status_write(b, e->ocsp.data, e->ocsp.len)) < 0 || (rc = pl_buf_close(b, 2, sr)) < 0))
            break;
        rc = pl_buf_close(b, 2, ex);
    }
    if (rc == 0) rc = pl_buf_close(b, 3, list);
    return rc < 0 ? pl_cfg_err(cfg, "cannot encode the stapled Certificate message") : PARLEY_OK;
}

int parley_config_set_ocsp(parley_config *cfg, int mode)
{
    PL_CFG_MUTABLE(cfg);
    if (mode < PARLEY_OCSP_NONE || mode > PARLEY_OCSP_REQUIRE) return pl_cfg_err(cfg, "bad OCSP mode");
    cfg->ocsp_mode = mode;
    return PARLEY_OK;
}

int parley_config_set_session_cache(parley_config *cfg, parley_session_cache *cache)
{
    PL_CFG_MUTABLE(cfg);
    if (cfg->cache_owned) parley_session_cache_memory_free(cfg->cache);
    cfg->cache = cache;
    cfg->cache_owned = 0;
    cfg->cache_disabled = cache == NULL;
    return PARLEY_OK;
}

int parley_config_set_tickets(parley_config *cfg, int enable)
{
    PL_CFG_MUTABLE(cfg);
    cfg->tickets_disabled = !enable;
    return PARLEY_OK;
}

int parley_config_set_ticket_keys_file(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    /* The path first: without it the keys could never be reloaded (SIGHUP). */
    char *p = pl_strdup(path);
    if (!p) return pl_cfg_err(cfg, "out of memory");
    if (pl_ticket_ring_load(&cfg->tickets, path) < 0) {
        pl_free(p);
        return pl_cfg_err(cfg, pl_last_message());
    }
    pl_free(cfg->ticket_keys_file);
    cfg->ticket_keys_file = p;
    return PARLEY_OK;
}

int parley_config_set_ticket_keys(parley_config *cfg, const uint8_t *keys, size_t n)
{
    PL_CFG_MUTABLE(cfg);
    if (pl_ticket_ring_from_bytes(&cfg->tickets, keys, n) < 0) return pl_cfg_err(cfg, pl_last_message());
    return PARLEY_OK;
}

int parley_config_set_ticket_secret(parley_config *cfg, const uint8_t *secret, size_t len)
{
    PL_CFG_MUTABLE(cfg);
    if (pl_ticket_ring_derive(&cfg->tickets, secret, len, time(NULL), cfg->ticket_rotation) < 0)
        return pl_cfg_err(cfg, pl_last_message());
    return PARLEY_OK;
}

int parley_config_set_ticket_secret_file(parley_config *cfg, const char *path)
{
    uint8_t secret[64];
    size_t len = 0;
    PL_CFG_MUTABLE(cfg);
    if (pl_ticket_secret_load(path, secret, sizeof secret, &len) < 0) return pl_cfg_err(cfg, pl_last_message());
    int rc = parley_config_set_ticket_secret(cfg, secret, len);
    pl_cleanse(secret, sizeof secret);
    return rc;
}

int parley_config_set_ticket_rotation(parley_config *cfg, uint32_t seconds)
{
    PL_CFG_MUTABLE(cfg);
    if (seconds == 0) return pl_cfg_err(cfg, "the ticket rotation period is at least one second");
    cfg->ticket_rotation = seconds;
    /* A derived ring made before moves to the period number of the new length. */
    if (cfg->tickets.derived && pl_ticket_ring_rotate(&cfg->tickets, time(NULL), seconds) < 0) return pl_cfg_err(cfg, pl_last_message());
    return PARLEY_OK;
}

int parley_config_reload_ticket_keys(parley_config *cfg)
{
    pl_ticket_ring r;
    if (!cfg->ticket_keys_file) return pl_cfg_err(cfg, "no ticket key file to reload");
    if (pl_ticket_ring_load(&r, cfg->ticket_keys_file) < 0) return pl_cfg_err(cfg, pl_last_message());
    pthread_mutex_lock(&cfg->lock);
    cfg->tickets = r;
    pthread_mutex_unlock(&cfg->lock);
    pl_cleanse(&r, sizeof r);
    return PARLEY_OK;
}

int parley_config_set_psk_ke(parley_config *cfg, int allow)
{
    PL_CFG_MUTABLE(cfg);
    cfg->psk_ke = allow != 0;
    return PARLEY_OK;
}

int parley_config_set_max_early_data(parley_config *cfg, uint32_t bytes)
{
    PL_CFG_MUTABLE(cfg);
    cfg->max_early_data = bytes;
    return PARLEY_OK;
}

int parley_config_set_session_lifetime(parley_config *cfg, uint32_t seconds)
{
    PL_CFG_MUTABLE(cfg);
    if (seconds == 0 || seconds > 7 * 86400) return pl_cfg_err(cfg, "session lifetime must be 1 s .. 7 days");
    cfg->session_lifetime = seconds;
    return PARLEY_OK;
}

int parley_config_set_record_padding(parley_config *cfg, size_t block)
{
    PL_CFG_MUTABLE(cfg);
    if (block > PL_MAX_PLAINTEXT) return pl_cfg_err(cfg, "record padding block larger than a record");
    cfg->record_pad = block;
    return PARLEY_OK;
}

int parley_config_set_ca_file(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    /* The old path stays when the copy fails: no silent fall back to the
     * system's default trust store. */
    char *p = pl_strdup(path);
    if (!p) return pl_cfg_err(cfg, "out of memory");
    pl_free(cfg->ca_file);
    cfg->ca_file = p;
    return PARLEY_OK;
}

int parley_config_set_verify(parley_config *cfg, int verify)
{
    PL_CFG_MUTABLE(cfg);
    cfg->verify = verify ? 1 : 0;
    return PARLEY_OK;
}

int parley_config_set_verify_cache(parley_config *cfg, int enable)
{
    PL_CFG_MUTABLE(cfg);
    cfg->verify_cache_off = !enable;
    return PARLEY_OK;
}

int parley_config_set_time(parley_config *cfg, int64_t t)
{
    PL_CFG_MUTABLE(cfg);
    cfg->now = t;
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
    FILE *f = fopen(path, "a");
    if (!f) {
        snprintf(cfg->err, sizeof cfg->err, "cannot open key log file %s", path);
        return PARLEY_ERROR;
    }
    if (cfg->keylog_file) fclose(cfg->keylog_file);
    cfg->keylog_file = f;
    return PARLEY_OK;
}

int parley_config_export_cert_pem(const parley_config *cfg, int index, char *pem, size_t len)
{
    if (index < 0 || (size_t)index >= cfg->ncerts) return PARLEY_ERROR;
    return pl_chain_leaf_pem(&cfg->certs[index].chain, pem, len) < 0 ? PARLEY_ERROR : PARLEY_OK;
}

int pl_suite_usable(const parley_config *cfg, uint16_t id)
{
    const pl_suite *s = pl_suite_find(id);
    if (!s) return 0;
    if (s->version == 13) return cfg->max_version >= PARLEY_TLS1_3;
    if (cfg->min_version > PARLEY_TLS1_2) return 0;
    return s->kx != PL_KX_RSA || cfg->allow_rsa_kx;
}
