/* dh_group12.h - the TLS 1.2 client's choice of whether to take the DH
 * group of a DHE ServerKeyExchange (RFC 7919 3 and 3.1). */
#ifndef PL_DH_GROUP12_H
#define PL_DH_GROUP12_H

#include "../internal.h"

/* The group of dh_p/dh_g: an RFC 7919 named group (PARLEY_GROUP_FFDHE*) or
 * an RFC 3526 prime of 2048 bits or more (PARLEY_GROUP_MODP*), each compared
 * by value (leading zero bytes stripped, then byte for byte with the
 * table), generator 2. Anything else (a weak or unknown prime, another
 * generator) is insufficient_security with a sentence naming what the
 * server sent. A known group not itself listed, larger than the largest
 * or smaller than the smallest FFDHE group the client listed (when it
 * listed any), is insufficient_security too (RFC 7919 3: local policy);
 * one within those sizes is taken. Call it only after the ServerKeyExchange signature verified
 * (RFC 7919 3), so a forged message is a bad signature, not a weak group. */
PL_MUST_CHECK int pl_client12_dh_group(const parley_config *cfg, pl_cursor dh_p, pl_cursor dh_g, uint16_t *group);

#endif
