/*
 * record/send.c - a connection's outgoing records: handshake messages added
 * to the transcript and framed into records of at most 2^14 bytes (RFC 8446
 * 5.1), TLS 1.3 padding (RFC 8446 5.4), the middlebox ChangeCipherSpec (RFC
 * 8446 D.4), alerts (RFC 8446 6, RFC 5246 7.2), the cap on output a peer can
 * make us queue, and the write keys' installation. Everything is appended to
 * the connection's out buffer; sending it is the caller's business.
 */
#include <stdio.h>

#include "../handshake/record_size_limit.h"
#include "../internal.h"

/* Padding to hide lengths (RFC 8446 5.4): fill the inner plaintext (content +
 * type byte) up to a multiple of the configured block, within 2^14 + 1 and
 * within the peer's record_size_limit, which counts the padding (RFC 8449 4). */
size_t pl_pad(const parley_conn *c, size_t len)
{
    size_t b = c->cfg->record_pad, inner = len + 1, max = pl_rsl_inner_max(c);
    if (!b || inner >= max) return 0;
    size_t pad = (b - inner % b) % b;
    if (inner + pad > max) pad = max - inner;
    return pad;
}

static int pl_send_record(parley_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
    if (pl_rec_active(&c->wr) && c->wr.tls12) return pl_rec_seal12(&c->wr, &c->out, type, data, len);
    if (pl_rec_active(&c->wr)) return pl_rec_seal13(&c->wr, &c->out, type, data, len, pl_pad(c, len));
    return pl_rec_write_plain(&c->out, type, data, len);
}

/* Output caused by the peer's bytes (handshake flights, alerts, KeyUpdate
 * answers) is queued only while it fits under the config's cap: a peer that
 * does not read cannot make the buffer grow; the connection fails instead.
 * What the application asks for (its data, close_notify, its KeyUpdates)
 * is its own memory and is never refused; the final fatal alert is one
 * record and is best effort. n: content bytes about to be queued. */
int pl_peer_room(const parley_conn *c, size_t n)
{
    size_t need = n + (n / pl_rsl_content_max(c) + 1) * (PL_REC_HEADER + PL_GCM_EXPLICIT + 1 + PL_AEAD_TAG + c->cfg->record_pad);
    size_t cap = atomic_load_explicit(&c->cfg->out_cap, memory_order_relaxed);
    /* A client's 0-RTT data (at most 64 KiB) is the application's own and
     * may still wait in the output when the server's flight is answered:
     * it widens the cap for the handshake instead of counting against it.
     * early_out is kept only for data that went out in the first flight
     * (early_client.c), in records sized to the ticket's limit (RFC 8449 4). */
    if (c->hs && c->early_out.len) {
        size_t ef = c->sess && c->sess->record_size_limit ? (size_t)c->sess->record_size_limit - 1 : PL_MAX_PLAINTEXT;
        cap += c->early_out.len + (c->early_out.len / ef + 1) * (PL_REC_HEADER + 1 + PL_AEAD_TAG + c->cfg->record_pad);
    }
    PL_ENSURE(c->out.len + need <= cap, PL_ERR_INTERNAL,
              "%zu bytes of output wait for the peer, which is not reading them (limit %zu)", c->out.len, cap);
    return 0;
}

int pl_send_handshake(parley_conn *c, uint8_t type, const uint8_t *body, size_t len, int by_peer)
{
    if (by_peer) PL_GUARD(pl_peer_room(c, 4 + len));
    pl_buf m = {0};
    int rc = pl_buf_u8(&m, type);
    if (rc == 0) rc = pl_buf_u24(&m, (uint32_t)len);
    if (rc == 0) rc = pl_buf_bytes(&m, body, len);
    /* The handshake's transcript takes every message of the handshake. After
     * it, a post-handshake authentication's transcript takes only its own
     * messages (RFC 8446 4.4.1), which post_auth.c adds itself: a KeyUpdate
     * or NewSessionTicket sent meanwhile is no part of it. */
    if (rc == 0 && c->hs && !c->hs_done) rc = pl_transcript_add(&c->hs->transcript, m.data, m.len);
    if (rc == 0) pl_trace_handshake(c, 1, m.data, m.len);
    /* Fragment into records of at most 2^14 bytes (RFC 8446 5.1), or what
     * the peer's record_size_limit leaves for content in a protected record
     * (RFC 8449 4: unprotected records are not subject to it). */
    size_t frag = pl_rec_active(&c->wr) ? pl_rsl_content_max(c) : PL_MAX_PLAINTEXT;
    /* RFC 8446 5.1 (and RFC 5246 E.1): the initial ClientHello's records
     * may say 0x0301, which servers that only know older versions expect;
     * the second ClientHello after a HelloRetryRequest says 0x0303. */
    int initial_ch = type == PL_HS_CLIENT_HELLO && !c->is_server && c->hs && !c->hs->hrr_done && !pl_rec_active(&c->wr);
    for (size_t off = 0; rc == 0 && off < m.len; off += frag) {
        size_t n = m.len - off < frag ? m.len - off : frag;
        rc = initial_ch ? pl_rec_write_plain_v(&c->out, 0x0301, PL_CT_HANDSHAKE, m.data + off, n)
                        : pl_send_record(c, PL_CT_HANDSHAKE, m.data + off, n);
    }
    pl_buf_free(&m);
    return rc;
}

int pl_conn_send_handshake(parley_conn *c, uint8_t type, const uint8_t *body, size_t len)
{
    return pl_send_handshake(c, type, body, len, 1);
}

int pl_conn_send_ccs(parley_conn *c)
{
    static const uint8_t one = 1;
    PL_GUARD(pl_peer_room(c, 1));
    /* TLS 1.2 (RFC 5246 7.1): our pending write keys take effect right
     * after this record (the callers install them next); in TLS 1.3 it is
     * only the compatibility-mode record and changes nothing. */
    pl_trace(c, PARLEY_TRACE_RECORD_SENT, PL_CT_CHANGE_CIPHER_SPEC, "ChangeCipherSpec", 6,
             c->version == PARLEY_TLS1_2 ? "write keys switched" : "middlebox compatibility (RFC 8446 D.4)");
    return pl_rec_write_plain(&c->out, PL_CT_CHANGE_CIPHER_SPEC, &one, 1);
}

/* Application data sealed under the current write keys (application keys,
 * or a client's early keys for 0-RTT, RFC 8446 4.2.10) in records of at
 * most 2^14 bytes, or what c->rsl_peer leaves (RFC 8449 4; for 0-RTT the
 * caller sets the ticket's limit there); never in plaintext. The caller's own data: not held to
 * the output cap, reserved once so sealing never reallocates mid-way. */
int pl_send_app_data(parley_conn *c, const uint8_t *buf, size_t len)
{
    PL_ENSURE(pl_rec_active(&c->wr), PL_ERR_INTERNAL, "application data before any write keys");
    size_t frag = pl_rsl_content_max(c), recs = len / frag + 1;
    PL_GUARD(pl_buf_reserve(&c->out, len + recs * (PL_REC_HEADER + PL_GCM_EXPLICIT + 1 + PL_AEAD_TAG + c->cfg->record_pad)));
    for (size_t off = 0; off < len; off += frag) {
        size_t n = len - off < frag ? len - off : frag;
        PL_GUARD(pl_send_record(c, PL_CT_APPLICATION_DATA, buf + off, n));
    }
    return 0;
}

int pl_send_alert(parley_conn *c, uint8_t level, uint8_t desc)
{
    uint8_t a[2] = {level, desc};
    char d[64];
    snprintf(d, sizeof d, "level: %s\ndescription: %s", level == 2 ? "fatal" : "warning", parley_alert_name(desc));
    pl_trace(c, PARLEY_TRACE_RECORD_SENT, PL_CT_ALERT, "Alert", 7, d);
    return pl_send_record(c, PL_CT_ALERT, a, 2);
}

int pl_conn_set_write_keys(parley_conn *c, const uint8_t *secret)
{
    const pl_hs *hs = c->hs;
    return pl_rec_install13(&c->wr, hs->aead, hs->hash, secret, 1);
}
