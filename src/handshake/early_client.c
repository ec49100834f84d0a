/*
 * early_client.c - the client's 0-RTT early data (RFC 8446 2.3, 4.2.10, 7.1,
 * D.3, D.4), called from the TLS 1.3 client table (client13.c).
 *
 * Offered only with a TLS 1.3 ticket that allows at least the data's length
 * (max_early_data_size, recorded in the session), as the first and only PSK
 * identity, under the ticket's suite and, when the session negotiated ALPN,
 * with that protocol among ours (4.2.10: the 0-RTT parameters are those of
 * the PSK). The first flight is ClientHello (with an empty early_data
 * extension), the compatibility CCS (D.4: right after the first ClientHello
 * when offering early data), then the data in application_data records
 * under client_early_traffic_secret. Write keys: early keys from the
 * ClientHello until the server has answered; accepted (early_data in
 * EncryptedExtensions), they stay until EndOfEarlyData follows the server's
 * Finished; otherwise handshake keys from the moment rejection is known (a
 * HelloRetryRequest: plaintext again for the second ClientHello). Data not
 * accepted (or never offered) is not sent again: 4.2.10 says a TLS
 * implementation SHOULD NOT resend early data automatically (and MUST NOT
 * unless the same ALPN protocol is negotiated); the application decides from
 * parley_conn_early_data_status. Early records are sized to the record_size_limit
 * the server gave the connection that made the ticket (RFC 8449 4: records
 * follow the limits of the handshake that produced their keys). A TLS 1.2
 * ServerHello after early data went out ends the connection (D.3).
 */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "early_data.h"
#include "messages.h"

int parley_conn_set_early_data(parley_conn *c, const uint8_t *buf, size_t len)
{
    /* Before the first ClientHello is written: the first flight carries it. */
    if (c->is_server || !c->hs || c->hs->state != pl_client13_start_state() || c->hs->hrr_done || c->failed) return PARLEY_ERROR;
    if (len > PL_MAX_CLIENT_EARLY_DATA || (len && !buf)) return PARLEY_ERROR;
    pl_buf_reset(&c->early_out);
    if (pl_buf_bytes(&c->early_out, buf, len) < 0) {
        pl_buf_free(&c->early_out);
        return PARLEY_ERROR;
    }
    return PARLEY_OK;
}

/* Is proto among the ALPN protocols we offer (a ProtocolNameList body)? */
static int pl_alpn_offered(const parley_config *cfg, const char *proto)
{
    size_t pl = strlen(proto);
    for (size_t i = 0; i < cfg->alpn_len; i += 1 + (size_t)cfg->alpn[i])
        if (cfg->alpn[i] == pl && i + 1 + pl <= cfg->alpn_len && memcmp(cfg->alpn + i + 1, proto, pl) == 0) return 1;
    return 0;
}

void pl_client13_early_decide(parley_conn *c)
{
    pl_hs *hs = c->hs;
    const pl_session *s = c->sess;
    char d[128];
    const char *why = NULL;
    hs->early_state = PL_EARLY_NONE;
    if (hs->hrr_done || !c->early_out.len) return;
    /* psk_offered: a fresh TLS 1.3 ticket for this server name and trust
     * settings whose suite is still offered, sent as the only identity. */
    if (!hs->psk_offered) why = "no TLS 1.3 ticket is offered";
    else if (!s->max_early_data) why = "the ticket allows no early data";
    else if (c->early_out.len > s->max_early_data) why = "the data is longer than the ticket's max_early_data_size";
    else if (s->alpn[0] && !pl_alpn_offered(c->cfg, s->alpn)) why = "the session's ALPN protocol is not offered";
    if (why) {
        /* Not sent at all: the application decides (4.2.10). Dropped now, so
         * that it no longer widens the output cap (pl_peer_room). */
        snprintf(d, sizeof d, "%s: the data is not sent", why);
        pl_trace(c, PARLEY_TRACE_INFO, -1, "early data not offered", 0, d);
        pl_buf_free(&c->early_out);
        return;
    }
    hs->early_state = PL_EARLY_PENDING;
    hs->early_suite = s->suite;
    snprintf(d, sizeof d, "%zu bytes (the ticket allows %u), %s", c->early_out.len, s->max_early_data,
             parley_cipher_name(s->suite));
    pl_trace(c, PARLEY_TRACE_INFO, -1, "early data offered", 0, d);
}

int pl_client13_write_early_ext(parley_conn *c, pl_buf *b)
{
    if (c->hs->early_state != PL_EARLY_PENDING || c->hs->hrr_done) return 0;
    PL_GUARD(pl_buf_u16(b, PL_EXT_EARLY_DATA));
    return pl_buf_u16(b, 0); /* empty in a ClientHello (4.2.10) */
}

int pl_client13_send_early(parley_conn *c)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], secret[PL_MAX_HASH];
    pl_ks13 ks;
    int aead, hash;
    if (hs->early_state != PL_EARLY_PENDING || hs->hrr_done) return 0;
    PL_ENSURE(pl_suite_params(hs->early_suite, &aead, &hash), PL_ERR_INTERNAL, "early data under an unknown suite");
    /* D.4: when offering early data the CCS goes right after the first
     * ClientHello (and not again before the second flight). */
    PL_GUARD(pl_conn_send_ccs(c));
    hs->ccs_sent = 1;
    /* 7.1: client_early_traffic_secret = Derive-Secret(Early Secret from
     * the PSK, "c e traffic", ClientHello), with the PSK's hash. */
    int rc = pl_transcript_hash_with(&hs->transcript, hash, NULL, 0, th);
    if (rc == 0) rc = pl_ks13_init_psk(&ks, hash, c->sess->secret, c->sess->secret_len);
    if (rc == 0) rc = pl_ks13_derive_secret(hash, ks.secret, "c e traffic", th, secret);
    pl_ks13_wipe(&ks);
    if (rc == 0) {
        pl_keylog(c, "CLIENT_EARLY_TRAFFIC_SECRET", secret, pl_hash_len(hash));
        rc = pl_rec_install13(&c->wr, aead, hash, secret, 1);
    }
    pl_cleanse(secret, sizeof secret);
    PL_GUARD(rc);
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "client early traffic (write)", 0, "");
    /* RFC 8449 4: early records are subject to the limits set in the
     * handshake that produced their keys, the ticket's: the server's limit
     * then (0: none), held while these records are framed and padded. */
    uint16_t now_peer = c->rsl_peer;
    c->rsl_peer = c->sess->record_size_limit;
    rc = pl_send_app_data(c, c->early_out.data, c->early_out.len);
    c->rsl_peer = now_peer;
    PL_GUARD(rc);
    pl_trace(c, PARLEY_TRACE_RECORD_SENT, PL_CT_APPLICATION_DATA, "early data", c->early_out.len, "");
    return 0;
}

static void pl_early_rejected(parley_conn *c, const char *why)
{
    char d[160];
    c->early_status = PARLEY_EARLY_DATA_REJECTED;
    snprintf(d, sizeof d, "%s: the data is not sent again (the application decides)", why);
    pl_trace(c, PARLEY_TRACE_INFO, -1, "early data rejected", 0, d);
}

void pl_client13_early_hrr(parley_conn *c)
{
    pl_hs *hs = c->hs;
    if (hs->early_state != PL_EARLY_PENDING) return;
    /* 4.1.2, 4.2.10: no early data after a HelloRetryRequest; the second
     * ClientHello goes in plaintext, without the extension, so an
     * early_data in the EncryptedExtensions that follows was not asked for. */
    hs->early_state = PL_EARLY_NONE;
    pl_rec_clear(&c->wr);
    pl_early_rejected(c, "HelloRetryRequest");
}

int pl_client13_early_tls12(parley_conn *c)
{
    if (c->hs->early_state != PL_EARLY_PENDING) return 0;
    /* D.3: a client that sent 0-RTT data MUST fail a connection whose
     * ServerHello is TLS 1.2 or older. The alert goes in plaintext, which
     * is what such a server reads. */
    c->hs->early_state = PL_EARLY_NONE;
    pl_rec_clear(&c->wr);
    PL_BAIL(PL_ERR_PROTOCOL_VERSION, "server chose TLS 1.2 after we sent early data (RFC 8446 D.3)");
}

int pl_client13_early_sh(parley_conn *c, int psk_selected, uint16_t suite)
{
    pl_hs *hs = c->hs;
    if (hs->early_state != PL_EARLY_PENDING) return 0;
    /* Accepting needs the first identity's PSK and its suite (4.2.10);
     * until EncryptedExtensions says, the server may be reading early keys. */
    if (psk_selected && suite == hs->early_suite) return 1;
    hs->early_state = PL_EARLY_NO_PSK;
    pl_rec_clear(&c->wr); /* handshake keys are installed next */
    pl_early_rejected(c, psk_selected ? "the server resumed with another cipher suite" : "the server did not resume the session");
    return 0;
}

int pl_client13_early_ee(parley_conn *c, int has_early_data)
{
    pl_hs *hs = c->hs;
    if (has_early_data) {
        /* 4.2: an extension we did not send is unsupported_extension. */
        PL_ENSURE(hs->early_state != PL_EARLY_NONE, PL_ERR_UNSUPPORTED_EXTENSION, "server accepted early data that was not offered");
        /* 4.2.10: acceptance needs selected_identity 0 (checked with the
         * ServerHello for any PSK) and the ticket's suite. */
        PL_ENSURE(hs->early_state == PL_EARLY_PENDING, PL_ERR_ILLEGAL_PARAMETER,
                  "server accepted early data without resuming the ticket's PSK and cipher suite");
        /* ... and the ALPN protocol the session negotiated (none if none). */
        const char *got = c->alpn ? c->alpn : "";
        PL_ENSURE(strcmp(got, c->sess->alpn) == 0, PL_ERR_ILLEGAL_PARAMETER,
                  "server accepted early data under ALPN \"%s\", not the session's \"%s\"", got, c->sess->alpn);
        hs->early_state = PL_EARLY_ACCEPTED;
        c->early_status = PARLEY_EARLY_DATA_ACCEPTED;
        pl_trace(c, PARLEY_TRACE_INFO, -1, "early data accepted", 0, "");
        return 0;
    }
    if (hs->early_state != PL_EARLY_PENDING) return 0;
    hs->early_state = PL_EARLY_REJECTED;
    pl_early_rejected(c, "EncryptedExtensions without early_data");
    PL_GUARD(pl_conn_set_write_keys(c, hs->ks.c_hs));
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "client handshake traffic (write)", 0, "");
    return 0;
}

int pl_client13_end_early(parley_conn *c)
{
    pl_hs *hs = c->hs;
    static const uint8_t none[1];
    if (hs->early_state != PL_EARLY_ACCEPTED) return 0;
    /* 4.5: EndOfEarlyData, empty, under the early keys, after the server's
     * Finished; then our flight under the handshake keys. */
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_END_OF_EARLY_DATA, none, 0));
    hs->early_state = PL_EARLY_NONE;
    PL_GUARD(pl_conn_set_write_keys(c, hs->ks.c_hs));
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "client handshake traffic (write)", 0, "");
    return 0;
}

void pl_client_early_after_handshake(parley_conn *c)
{
    /* RFC 8446 4.2.10: early data not accepted is not resent by the library
     * (SHOULD NOT; MUST NOT unless the same ALPN protocol is negotiated): the
     * application sees the status and decides. The copy was kept only to
     * widen the output cap while it could still wait in the output. */
    if (c->is_server || !c->early_out.len) return;
    if (c->early_status != PARLEY_EARLY_DATA_ACCEPTED)
        pl_trace(c, PARLEY_TRACE_INFO, -1, "early data not delivered", c->early_out.len,
                 c->early_status == PARLEY_EARLY_DATA_REJECTED ? "rejected in 0-RTT: not resent (the application decides)"
                                                               : "not offered in 0-RTT: not sent (the application decides)");
    pl_buf_free(&c->early_out);
}
