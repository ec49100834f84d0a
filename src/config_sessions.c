/*
 * config_sessions.c - resumption on the server side of the config: the
 * session cache, tickets and the ticket key ring (keys, key file and its
 * reload, secret, rotation), PSK modes, early data and session lifetime.
 */
#include <time.h>

#include "config_internal.h"

/* Replace the ticket ring with `r` (wiping the old keys); `r` is wiped. */
static void pl_cfg_set_ring(parley_config *cfg, pl_ticket_ring *r)
{
    pl_cleanse(&cfg->tickets, sizeof cfg->tickets);
    cfg->tickets = *r;
    pl_cleanse(r, sizeof *r);
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

/* The four ring setters share one ring: the last one called owns it. The
 * key file's name is kept only while the ring comes from that file, so a
 * reload (SIGHUP) never puts a file's keys over a ring set another way. */
int parley_config_set_ticket_keys_file(parley_config *cfg, const char *path)
{
    pl_ticket_ring r;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, path);
    char *dup = pl_strdup(path);
    if (!dup) return pl_cfg_nomem(cfg);
    if (pl_ticket_ring_load(&r, path) < 0) {
        pl_free(dup);
        pl_cleanse(&r, sizeof r);
        return pl_cfg_err(cfg, pl_last_message());
    }
    pl_cfg_set_ring(cfg, &r);
    pl_free(cfg->ticket_keys_file);
    cfg->ticket_keys_file = dup;
    return PARLEY_OK;
}

int parley_config_set_ticket_keys(parley_config *cfg, const uint8_t *keys, size_t n)
{
    pl_ticket_ring r;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, keys);
    if (pl_ticket_ring_from_bytes(&r, keys, n) < 0) return pl_cfg_err(cfg, pl_last_message());
    pl_cfg_set_ring(cfg, &r);
    pl_free(cfg->ticket_keys_file);
    cfg->ticket_keys_file = NULL;
    return PARLEY_OK;
}

int parley_config_set_ticket_secret(parley_config *cfg, const uint8_t *secret, size_t len)
{
    pl_ticket_ring r;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, secret);
    if (pl_ticket_ring_derive(&r, secret, len, time(NULL), cfg->ticket_rotation) < 0) {
        pl_cleanse(&r, sizeof r);
        return pl_cfg_err(cfg, pl_last_message());
    }
    pl_cfg_set_ring(cfg, &r);
    pl_free(cfg->ticket_keys_file);
    cfg->ticket_keys_file = NULL;
    return PARLEY_OK;
}

int parley_config_set_ticket_secret_file(parley_config *cfg, const char *path)
{
    uint8_t secret[64];
    size_t len = 0;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, path);
    if (pl_ticket_secret_load(path, secret, sizeof secret, &len) < 0) return pl_cfg_err(cfg, pl_last_message());
    int rc = parley_config_set_ticket_secret(cfg, secret, len);
    pl_cleanse(secret, sizeof secret);
    return rc;
}

int parley_config_set_ticket_rotation(parley_config *cfg, uint32_t seconds)
{
    PL_CFG_MUTABLE(cfg);
    if (seconds == 0) return pl_cfg_err(cfg, "the ticket rotation period is at least one second");
    /* A derived ring made before moves to the period number of the new length. */
    if (cfg->tickets.derived) {
        pl_ticket_ring r = cfg->tickets;
        if (pl_ticket_ring_rotate(&r, time(NULL), seconds) < 0) {
            pl_cleanse(&r, sizeof r);
            return pl_cfg_err(cfg, pl_last_message());
        }
        pl_cfg_set_ring(cfg, &r);
    }
    cfg->ticket_rotation = seconds;
    return PARLEY_OK;
}

int parley_config_reload_ticket_keys(parley_config *cfg)
{
    pl_ticket_ring r;
    if (!cfg->ticket_keys_file) return pl_cfg_err(cfg, "no ticket key file to reload");
    if (pl_ticket_ring_load(&r, cfg->ticket_keys_file) < 0) {
        pl_cleanse(&r, sizeof r);
        return pl_cfg_err(cfg, pl_last_message());
    }
    pthread_mutex_lock(&cfg->lock);
    pl_cfg_set_ring(cfg, &r);
    pthread_mutex_unlock(&cfg->lock);
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
