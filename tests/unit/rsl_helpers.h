/* rsl_helpers.h - what the record_size_limit tests share
 * (record_size_limit_test.c, record_size_limit_rules_test.c). */
#ifndef RSL_HELPERS_H
#define RSL_HELPERS_H

#include "helpers.h"

enum { A_RECORD_OVERFLOW = 22, A_ILLEGAL_PARAMETER = 47, A_DECODE_ERROR = 50, A_UNSUPPORTED_EXTENSION = 110 };
#define EXT_RSL 28

/* Group setup: the ec256 certificate for localhost. */
int rsl_setup(void **state);
/* cfg with parley_config_set_record_size_limit(limit). */
parley_config *limited(parley_config *cfg, unsigned limit);
/* A pair at version v, AES-128-GCM, with these limits (-1: the default). */
void pair_limits(pair *p, uint16_t v, int climit, int slimit);
/* parley_conn_record_size_limit(c) is (peer, ours). */
void limits_are(parley_conn *c, unsigned peer, unsigned ours);
/* The record_size_limit value in the client's first ClientHello (0: none);
 * takes cfg. */
unsigned offered(parley_config *cfg);

#endif
