/*
 * config_trust.c - how the config authenticates peers: the CA file and
 * client CAs, verification modes, CRLs, chain depth, OCSP policy, the clock,
 * and setting up a freshly loaded trust store (config.c loads it at freeze).
 */
#include <stdio.h>

#include "config_internal.h"

/* *field becomes a copy of path; on failure it keeps its old value (no
 * silent fall back to the system's default trust store). */
static int pl_cfg_set_path(parley_config *cfg, char **field, const char *path)
{
    PL_CFG_ARG(cfg, path);
    char *dup = pl_strdup(path);
    if (!dup) return pl_cfg_nomem(cfg);
    pl_free(*field);
    *field = dup;
    return PARLEY_OK;
}

/* The client CA file only: CRLs, ticket keys and the verification mode
 * belong to their own setters. */
int parley_config_set_client_ca(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    if (pl_cfg_set_path(cfg, &cfg->client_ca_file, path) != PARLEY_OK) return PARLEY_ERROR;
    /* A client CA asks for certificates unless set_verify_client (called
     * before or after) says otherwise: the result does not depend on order. */
    if (!cfg->verify_client_set) cfg->verify_client = PARLEY_VERIFY_CLIENT_OPTIONAL;
    return PARLEY_OK;
}

int parley_config_set_verify_client(parley_config *cfg, int mode)
{
    PL_CFG_MUTABLE(cfg);
    if (mode < PARLEY_VERIFY_CLIENT_NONE || mode > PARLEY_VERIFY_CLIENT_REQUIRE) return pl_cfg_err(cfg, "bad client verification mode");
    cfg->verify_client = mode;
    cfg->verify_client_set = 1;
    return PARLEY_OK;
}

/* TLS 1.3 client authentication after the handshake only (handshake/post_auth.c). */
int parley_config_set_post_handshake_auth(parley_config *cfg, int on)
{
    PL_CFG_MUTABLE(cfg);
    cfg->client_auth_deferred = on != 0;
    return PARLEY_OK;
}

int parley_config_add_crl_file(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, path);
    if (cfg->ncrl_files == PL_MAX_CRL_FILES) return pl_cfg_err(cfg, "too many CRL files");
    char *dup = pl_strdup(path);
    if (!dup) return pl_cfg_nomem(cfg);
    cfg->crl_files[cfg->ncrl_files++] = dup;
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

/* The smallest RSA key on a verified path (policy.c). 2048 bits is the floor
 * of NIST SP 800-131A and the CA/Browser Forum; only the insecure setter,
 * named so that it shows in a review, goes below. */
static int pl_cfg_min_rsa(parley_config *cfg, int bits, int floor)
{
    PL_CFG_MUTABLE(cfg);
    if (bits < floor || bits > 16384) {
        pl_cfg_errf(cfg, "minimum RSA key size out of range (%d..16384)%s", floor,
                    floor > 1024 && bits >= 1024 && bits < floor ? "; below 2048 only with parley_config_set_insecure_min_rsa_bits" : "");
        return PARLEY_ERROR;
    }
    cfg->min_rsa_bits = bits;
    return PARLEY_OK;
}

int parley_config_set_min_rsa_bits(parley_config *cfg, int bits) { return pl_cfg_min_rsa(cfg, bits, PL_MIN_RSA_BITS); }

int parley_config_set_insecure_min_rsa_bits(parley_config *cfg, int bits) { return pl_cfg_min_rsa(cfg, bits, 1024); }

/* Load CRLs and policy into a freshly loaded trust store. */
int pl_trust_setup(parley_config *cfg, pl_trust *t)
{
    pl_trust_set_policy(t, cfg->max_depth, cfg->crl_expired_fatal);
    pl_trust_set_min_rsa_bits(t, cfg->min_rsa_bits);
    pl_trust_set_cache(t, !cfg->verify_cache_off);
    for (int i = 0; i < cfg->ncrl_files; i++) PL_GUARD(pl_trust_add_crl_file(t, cfg->crl_files[i]));
    return 0;
}

int parley_config_set_ocsp(parley_config *cfg, int mode)
{
    PL_CFG_MUTABLE(cfg);
    if (mode < PARLEY_OCSP_NONE || mode > PARLEY_OCSP_REQUIRE) return pl_cfg_err(cfg, "bad OCSP mode");
    cfg->ocsp_mode = mode;
    return PARLEY_OK;
}

int parley_config_set_ocsp_max_age(parley_config *cfg, uint32_t seconds)
{
    PL_CFG_MUTABLE(cfg);
    /* Without it a response without nextUpdate would be good forever. */
    if (seconds == 0 || seconds > 366 * 86400) return pl_cfg_err(cfg, "OCSP maximum age must be 1 s .. 366 days");
    cfg->ocsp_max_age = seconds;
    return PARLEY_OK;
}

int parley_config_set_ca_file(parley_config *cfg, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    return pl_cfg_set_path(cfg, &cfg->ca_file, path);
}

int parley_config_set_verify_callback(parley_config *cfg, parley_verify_cb fn, void *arg)
{
    PL_CFG_MUTABLE(cfg);
    cfg->verify_cb = fn;
    cfg->verify_cb_arg = fn ? arg : NULL;
    return PARLEY_OK;
}

int parley_config_set_verify(parley_config *cfg, int verify)
{
    PL_CFG_MUTABLE(cfg);
    cfg->verify = verify ? 1 : 0;
    return PARLEY_OK;
}

int parley_config_set_verify_hostname(parley_config *cfg, int check)
{
    PL_CFG_MUTABLE(cfg);
    cfg->verify_hostname = check ? 1 : 0;
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
