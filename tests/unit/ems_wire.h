/* ems_wire.h - a TLS 1.2 peer without the extended master secret (RFC 7627),
 * made on the wire, for ems_test.c and ems_resumption_test.c.
 *
 * A Parley client always offers EMS, so a peer "without EMS" is made on the
 * wire: the client's ClientHello has its extended_master_secret extension
 * (00 17 00 00) renamed to a GREASE type (0a 0a 00 00, RFC 8701: ignored)
 * in flight, and the same bytes are changed in the client's own transcript
 * (still buffered: the hash is chosen at ServerHello), so both sides hash the
 * ClientHello the server saw. The server then answers without EMS and both
 * derive the legacy master secret; the handshake completes only if both
 * sides agree on that. The server's plaintext flight is read on the way
 * (and its ServerHello's EMS extension can be renamed too). */
#ifndef PARLEY_TEST_EMS_WIRE_H
#define PARLEY_TEST_EMS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "helpers.h"

typedef struct {
    pair *p;
    int strip_ems;        /* the ClientHello goes without EMS */
    int ems_to_ticket;    /* the ServerHello's EMS extension becomes session_ticket */
    int stripped;         /* done */
    /* What the server sent, from its plaintext records. */
    int sh_seen, sh_sid_len, sh_ems, sh_ticket_ext, nst_seen, ccs_seen;
} wire;

/* A TLS 1.2-only client trusting ec256. */
parley_config *client12(void);
/* A pair between the configs (references taken) with the client offering
 * sess (when not NULL), not yet started. */
void pair_offering(pair *p, parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl);
/* What run_conn changes on the wire: the ClientHello goes without EMS
 * (1, so a 0/1 `strip` can be passed as is); the ServerHello's EMS
 * extension becomes session_ticket. */
enum { WIRE_STRIP_EMS = 1, WIRE_EMS_TO_TICKET = 2 };
/* One connection between the two configs (references taken), changed on
 * the wire as `how` says (WIRE_*), offering sess when given: 0 when both
 * handshakes complete. The pair stays open for the caller's checks. */
int run_conn(pair *p, wire *w, parley_config *cc, parley_config *sc, int how, const uint8_t *sess, size_t sl);
/* A full EMS handshake between the configs (references taken): the
 * client's session blob in sess (room for cap), its length returned. */
size_t ems_session(parley_config *cc, parley_config *sc, uint8_t *sess, size_t cap);

#endif
