/* pha_helpers.h - what the post-handshake authentication tests share
 * (pha_test.c, pha_interleave_test.c): their certificates, a server that
 * defers client authentication, and pumping a pair until it is quiet. */
#ifndef PHA_HELPERS_H
#define PHA_HELPERS_H

#include "helpers.h"

/* Group setup: certificates ec256 (localhost), client (client.example, the
 * CA clients are checked against) and other (other.example). */
int pha_setup(void **state);
/* A server trusting `client` for clients, asking only after the handshake
 * (parley_config_set_post_handshake_auth), with verification `mode`. */
parley_config *pha_server(int mode);
/* Both sides read and the pair is pumped until nothing moves. */
void pha_settle(pair *p);

#endif
