/* dh_group12.h - the TLS 1.2 client's choice of whether to take the DH
 * group of a DHE ServerKeyExchange (RFC 7919 3 and 3.1). */
#ifndef PL_DH_GROUP12_H
#define PL_DH_GROUP12_H

#include "../internal.h"

/* The group of dh_p/dh_g: an RFC 7919 named group (PARLEY_GROUP_FFDHE*) or
 * an RFC 3526 prime of 2048 bits or more (PARLEY_GROUP_MODP*), each compared
 * byte for byte in its minimal encoding, generator exactly 2. Anything else
 * is insufficient_security with a sentence naming what the server sent; a
 * named group the client did not list (when it listed some) is
 * illegal_parameter, an RFC 3526 prime larger than every FFDHE group it
 * listed is insufficient_security. */
PL_MUST_CHECK int pl_client12_dh_group(const parley_config *cfg, pl_cursor dh_p, pl_cursor dh_g, uint16_t *group);

#endif
