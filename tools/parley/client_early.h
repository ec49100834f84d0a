/*
 * client_early.h - parley client --early-data: what the tool does with data
 * the server did not accept in 0-RTT (the library no longer resends it,
 * RFC 8446 4.2.10). client_early.c.
 */
#ifndef TOOL_CLIENT_EARLY_H
#define TOOL_CLIENT_EARLY_H

#include <stddef.h>
#include <stdint.h>

#include <parley/parley.h>

/* After a successful handshake of a connection given --early-data: when the
 * status is not ACCEPTED, write the data now (a note on stderr). PARLEY_OK or
 * the write's error. */
int tool_early_fallback(parley_conn *c, const uint8_t *data, size_t len);

#endif
