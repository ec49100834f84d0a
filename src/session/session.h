/*
 * session.h - resumable session state and its serialization. The encoding is
 * versioned ("PLS" + version byte) and every field is length-checked on the
 * way back in; a session is never trusted beyond what the RFCs allow (the
 * same version, a suite with the same hash, the same SNI, the same EMS
 * state: RFC 5246 7.4.1.2, RFC 7627 5.3, RFC 6066 3), and a client offers
 * one only for the server name and under the trust settings it was made with
 * (pl_session_unusable, handshake/tls12.c).
 */
#ifndef PL_SESSION_H
#define PL_SESSION_H

#include <stdint.h>

#include "../util/buf.h"

#define PL_SESSION_VERSION 6
#define PL_MAX_TICKET 2048

typedef struct {
    uint16_t version;     /* PARLEY_TLS1_2 or PARLEY_TLS1_3 */
    uint16_t suite;
    uint8_t ems;
    uint8_t id[32];
    uint8_t id_len;
    uint8_t secret[48];   /* TLS 1.2 master secret; TLS 1.3 resumption PSK (Hash.length) */
    uint8_t secret_len;
    uint64_t created;     /* Unix seconds of the full handshake that authenticated it */
    uint32_t lifetime;    /* seconds */
    /* TLS 1.3 tickets (RFC 8446 4.6.1): when the ticket was issued (server)
     * or received (client), in Unix milliseconds, and its age obfuscator. */
    uint64_t issued_ms;
    uint32_t age_add;
    uint8_t client_auth;  /* the full handshake verified a client certificate */
    /* The trust settings the peer was authenticated under (format 4): on a
     * client, the server-authentication identity of its config (trust store,
     * verification mode and policy: parley_config.trust_id); on a server, the
     * client-authentication one. All zero: unknown (formats 2 and 3), which
     * matches no config, so such a session counts as unauthenticated. */
    uint8_t trust[32];
    char sni[256];
    uint16_t ticket_len;  /* client: an RFC 5077 ticket to present (0: offer the id) */
    uint8_t ticket[PL_MAX_TICKET];
    /* Format 5, for 0-RTT (RFC 8446 4.2.10: early data is accepted only with
     * the ticket's suite, ALPN and SNI): the max_early_data_size the ticket
     * allowed (0: no early data) and the ALPN protocol the full handshake
     * chose ("" if none). Formats 2-4 read as 0 and "". */
    uint32_t max_early_data;
    char alpn[256];
    /* Format 5, last field: the record_size_limit of the handshake that made
     * the ticket (RFC 8449 4: 0-RTT records are subject to that handshake's
     * limits). Server's ticket: the limit the server advertised (0: none);
     * client's session: the server's limit it received (0: none). 0 or
     * 64..16385. Formats 2-4 read as 0. */
    uint16_t record_size_limit;
    /* Format 6: TLS 1.2, the group of the full handshake's (EC)DHE exchange
     * (0: RSA key exchange), which parley_conn_group reports again when the
     * session is resumed without one (RFC 5246 7.3). TLS 1.3: 0 (a
     * resumption reports the group of its own exchange). Older formats: 0. */
    uint16_t group;
} pl_session;

/* RFC 7627 5.4: a TLS 1.2 session made without the extended master secret
 * is never resumed (its master secret is not bound to the handshake that
 * made it, the triple-handshake attack). Parley treats the RFC's SHOULD NOT
 * as a MUST, in both roles: such a session is not cached, no ticket is
 * issued for it, a client neither keeps nor offers it, and one offered
 * (made by an older build) gets a full handshake. */
int pl_session_resumable(const pl_session *s);
/* Fails (and writes nothing) for a session that is not resumable: no
 * cache value, ticket or client blob can ever hold one. */
PL_MUST_CHECK int pl_session_encode(const pl_session *s, pl_buf *out);
PL_MUST_CHECK int pl_session_decode(const uint8_t *p, size_t len, pl_session *s);
/* Still resumable at `now`? */
int pl_session_fresh(const pl_session *s, uint64_t now);

#endif
