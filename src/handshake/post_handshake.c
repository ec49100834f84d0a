/*
 * handshake/post_handshake.c - what happens after the handshake: a
 * KeyUpdate received, answered and sent (RFC 8446 4.6.3, one at the end of
 * its record, 5.1), a NewSessionTicket handed to the client (RFC 8446
 * 4.6.1), and TLS 1.2 renegotiation refused (RFC 5746 4.2, RFC 5246 7.2.2).
 */
#include "../internal.h"
#include "messages.h"

/* by_peer: an answer to the peer's update_requested (held to the output cap). */
static int pl_send_key_update(parley_conn *c, int request, int by_peer)
{
    uint8_t v = (uint8_t)(request ? 1 : 0);
    PL_GUARD(pl_send_handshake(c, PL_HS_KEY_UPDATE, &v, 1, by_peer));
    PL_GUARD(pl_rec_update13(&c->wr, 1));
    c->key_update_pending = 0; /* any update of ours answers every request so far */
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "application traffic secret updated (write)", 0, "");
    return 0;
}

/* RFC 8446 4.6.3: the answer to update_requested must precede our next
 * application data; requests received meanwhile are all answered by one
 * update. It is queued when the output is empty (so at most one answer ever
 * waits there, however many requests come) or, at the latest, just before
 * the application's next write. */
int pl_answer_key_update(parley_conn *c, int before_write)
{
    if (!c->key_update_pending || c->closed_sent || c->failed) return 0;
    if (!before_write && c->out.len) return 0;
    return pl_send_key_update(c, 0, !before_write);
}

int parley_conn_key_update(parley_conn *c, int request_peer)
{
    if (c->failed) return PARLEY_ERROR;
    if (!c->hs_done || c->closed_sent || c->version != PARLEY_TLS1_3) return PARLEY_ERROR; /* TLS 1.3 only */
    int rc = pl_send_key_update(c, request_peer, 0);
    return rc < 0 ? pl_conn_fail(c, rc) : PARLEY_OK;
}

int pl_hs_post_handshake(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_trace_handshake(c, 0, msg, len);
    if (c->version == PARLEY_TLS1_2) {
        /* Renegotiation is refused (RFC 5746 4.2 / 5246 7.2.2): a HelloRequest
         * to a client or a ClientHello to a server is answered with a warning
         * no_renegotiation and otherwise ignored, PL_MAX_RENEG_WARNINGS times
         * (a peer may try once and carry on when refused); a peer that tries
         * again is not carrying on, and each attempt would cost us an alert
         * for 4 bytes (a record of empty ClientHellos made us queue 7.7 times
         * its size), so the next is fatal (unexpected_message, as BoringSSL
         * and OpenSSL end a renegotiation they do not allow). */
        if ((!c->is_server && msg[0] == 0) || (c->is_server && msg[0] == PL_HS_CLIENT_HELLO)) {
            PL_ENSURE(len == 4 || msg[0] == PL_HS_CLIENT_HELLO, PL_ERR_DECODE, "HelloRequest is not empty");
            PL_ENSURE(++c->reneg_refused <= PL_MAX_RENEG_WARNINGS, PL_ERR_UNEXPECTED_MESSAGE,
                      "the peer tried to renegotiate again after it was refused (no_renegotiation)");
            if (!c->closed_sent) {
                PL_GUARD(pl_peer_room(c, 2));
                PL_GUARD(pl_send_alert(c, 1, PL_ALERT_NO_RENEGOTIATION));
            }
            return 0;
        }
        PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "received %s after the TLS 1.2 handshake", pl_hs_type_name(msg[0]));
    }
    switch (msg[0]) {
    case PL_HS_NEW_SESSION_TICKET:
        /* Each ticket costs a key derivation and a session to keep: a run of
         * them with no application data in between is a flood, like
         * KeyUpdate's (servers send one to a few, RFC 8446 4.6.1). */
        PL_ENSURE(++c->tickets_seen <= PL_MAX_TICKETS_WITHOUT_DATA, PL_ERR_UNEXPECTED_MESSAGE,
                  "more than %d NewSessionTickets without application data in between", PL_MAX_TICKETS_WITHOUT_DATA);
        return pl_client13_ticket(c, msg, len);
    case PL_HS_KEY_UPDATE: {
        int request;
        PL_GUARD(pl_key_update_parse(msg + 4, len - 4, &request));
        /* RFC 8446 5.1: KeyUpdate must end its record. */
        PL_ENSURE(c->hsin.len == len, PL_ERR_UNEXPECTED_MESSAGE, "KeyUpdate is not at the end of a record");
        /* Each update costs a key derivation and, when requested, an answer:
         * a run of them with no application data in between is a flood
         * (BoringSSL's kMaxKeyUpdates is 32 too). */
        PL_ENSURE(++c->key_updates <= PL_MAX_KEY_UPDATES, PL_ERR_UNEXPECTED_MESSAGE,
                  "more than %d KeyUpdates without application data in between", PL_MAX_KEY_UPDATES);
        PL_GUARD(pl_rec_update13(&c->rd, 0));
        pl_trace(c, PARLEY_TRACE_KEYS, -1, "application traffic secret updated (read)", 0, "");
        /* RFC 8446 4.6.3: answer update_requested with our own update, one
         * for however many requests arrive before it goes (pl_answer_key_update). */
        if (request) c->key_update_pending = 1;
        return 0;
    }
    case PL_HS_CERTIFICATE_REQUEST:
    case PL_HS_CERTIFICATE:
    case PL_HS_CERTIFICATE_VERIFY:
    case PL_HS_FINISHED:
        /* Post-handshake client authentication (post_auth.c, RFC 8446 4.6.2). */
        return pl_pha_message(c, msg, len);
    default:
        PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "received %s after the handshake", pl_hs_type_name(msg[0]));
    }
}
