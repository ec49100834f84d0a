/*
 * config_internal.h - what the config files (config.c, config_certs.c,
 * config_trust.c, config_sessions.c) share and no other file includes: the
 * rule every setter follows and the helpers that keep it.
 */
#ifndef PL_CONFIG_INTERNAL_H
#define PL_CONFIG_INTERNAL_H

#include <stdio.h>

#include "internal.h"

static inline int pl_cfg_err(parley_config *cfg, const char *msg)
{
    pl_cfg_errf(cfg, "%s", msg);
    return PARLEY_ERROR;
}

static inline int pl_cfg_mutable(parley_config *cfg)
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

/* Every setter follows one rule: validate and build the new value aside
 * (allocations, file reads, parsing), then install it and free the old one in
 * a step that cannot fail. So a failing setter (bad input, no memory, a bad
 * file) leaves the config exactly as it was, a setter called twice frees the
 * old value once, and a setter touches only the fields it owns. */
#define PL_CFG_ARG(cfg, p)                                                                                             \
    do {                                                                                                               \
        if (!(p)) return pl_cfg_err(cfg, #p " is NULL");                                                               \
    } while (0)

static inline int pl_cfg_nomem(parley_config *cfg) { return pl_cfg_err(cfg, "out of memory"); }

/* Load CRLs and policy into a freshly loaded trust store (config_trust.c). */
int pl_trust_setup(parley_config *cfg, pl_trust *t);

#endif
