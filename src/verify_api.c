/*
 * verify_api.c - parley_verify_chain: a peer's chain verified on its own
 * (`parley verify`, applications), through the very function a handshake
 * calls (pl_verify_chain_report, x509/verify.c), with the trust store, CRLs,
 * clock and policy a first connection of this config would load.
 */
#include "config_internal.h"

int pl_config_freeze(parley_config *cfg, int client);
int pl_config_freeze_client_ca(parley_config *cfg);

const char *parley_verify_check_name(int check)
{
    static const char *const names[PARLEY_CHECK_COUNT] = {"dates", "signatures", "trust", "host", "usage", "constraints", "revocation"};
    return check >= 0 && check < PARLEY_CHECK_COUNT ? names[check] : "?";
}

const char *parley_verify_verdict_name(int verdict)
{
    switch (verdict) {
    case PARLEY_VERDICT_OK: return "ok";
    case PARLEY_VERDICT_FAILED: return "FAILED";
    case PARLEY_VERDICT_SKIPPED: return "skipped";
    default: return "not checked";
    }
}

int parley_verify_chain(parley_config *cfg, const uint8_t *const *der, const size_t *der_len, size_t n, const char *host, int purpose,
                        parley_verify_result *res)
{
    if (!cfg) return PARLEY_ERROR;
    if (!res) return pl_cfg_err(cfg, "res is NULL");
    if (n && (!der || !der_len)) return pl_cfg_err(cfg, "der is NULL");
    if (purpose != PARLEY_PURPOSE_SERVER && purpose != PARLEY_PURPOSE_CLIENT) return pl_cfg_err(cfg, "purpose must be PARLEY_PURPOSE_SERVER or PARLEY_PURPOSE_CLIENT");
    /* The same bound a peer's Certificate message meets is larger; this one
     * is the PEM reader's (parley_cert_list). */
    if (n > PARLEY_CERT_LIST_MAX) return pl_cfg_err(cfg, "more than 64 certificates");
    pl_der chain[PARLEY_CERT_LIST_MAX];
    for (size_t i = 0; i < n; i++) {
        if (!der[i]) return pl_cfg_err(cfg, "a certificate is NULL");
        chain[i].p = der[i];
        chain[i].len = der_len[i];
    }
    /* A client's chain is checked against the client CA file whenever one
     * is set (whatever parley_config_set_verify_client says), else, like a
     * server's, against the CA file or the system store. Only that store is
     * loaded: no server state (session cache, ticket keys) is set up. */
    int client_ca = purpose == PARLEY_PURPOSE_CLIENT && cfg->client_ca_file;
    if ((client_ca ? pl_config_freeze_client_ca(cfg) : pl_config_freeze(cfg, 1)) < 0) return PARLEY_ERROR;
    pl_trust *t = client_ca ? cfg->client_trust : cfg->trust;
    if (!t) return pl_cfg_err(cfg, "certificate verification is turned off in this configuration (parley_config_set_verify)");
    int rc = pl_verify_chain_report(t, chain, n, host, cfg->now, purpose == PARLEY_PURPOSE_CLIENT ? PL_PURPOSE_CLIENT : PL_PURPOSE_SERVER,
                                    NULL, NULL, res);
    if (rc == -PL_ERR_NOMEM || rc == -PL_ERR_INTERNAL) {
        pl_cfg_errf(cfg, "%s", pl_last_message());
        return PARLEY_ERROR;
    }
    return rc == 0 ? PARLEY_OK : PARLEY_VERIFY_FAILED;
}
