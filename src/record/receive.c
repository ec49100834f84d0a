/*
 * record/receive.c - a connection's incoming records: the input buffer
 * (taken from the config's pool while bytes are buffered), one record at a
 * time checked, opened in place and handled by content type (RFC 8446 5,
 * RFC 5246 6.2): ChangeCipherSpec (RFC 8446 5 / D.4, RFC 5246 7.1), alerts
 * (RFC 8446 6, RFC 5246 7.2.2), rejected 0-RTT skipped and accepted 0-RTT
 * left in place (RFC 8446 4.2.10),
 * application data left in place for parley_conn_read, handshake messages
 * reassembled (RFC 8446 5.1) and handed out one at a time; records without
 * content are counted and bounded; the read keys' installation.
 */
#include <stdio.h>
#include <string.h>

#include "../handshake/record_size_limit.h"
#include "../internal.h"

/* ------------------------------------------------------ idle buffers */

/* The input buffer, from the config's pool when it has one to spare. */
static int pl_conn_take_in(parley_conn *c)
{
    if (c->in) return 0;
    parley_config *cfg = c->cfg;
    pthread_mutex_lock(&cfg->lock);
    if (cfg->in_pool_n) c->in = cfg->in_pool[--cfg->in_pool_n];
    pthread_mutex_unlock(&cfg->lock);
    if (!c->in) c->in = pl_malloc(PL_IN_CAP);
    c->in_hw = 0;
    return c->in ? 0 : -1;
}

void pl_conn_release_idle(parley_conn *c)
{
    /* Idle: no byte of a record and no unread data. The bytes it held
     * (decrypted records) are wiped before the buffer is reused. */
    if (c->in && c->in_len == 0 && c->app_len == 0) {
        parley_config *cfg = c->cfg;
        pl_cleanse(c->in, c->in_hw);
        pthread_mutex_lock(&cfg->lock);
        if (cfg->in_pool_n < PL_IN_POOL) {
            cfg->in_pool[cfg->in_pool_n++] = c->in;
            c->in = NULL;
        }
        pthread_mutex_unlock(&cfg->lock);
        pl_free(c->in);
        c->in = NULL;
    }
    /* Output and handshake reassembly: freed when empty (they regrow on use). */
    if (c->out.len == 0 && c->out.data) pl_buf_free(&c->out);
    if (c->hsin.len == 0 && c->hsin.data) {
        size_t max = c->hsin.max;
        pl_buf_free(&c->hsin);
        c->hsin.max = max;
    }
}

/* -------------------------------------------------------------- input */

int parley_conn_recv_bytes(parley_conn *c, const uint8_t *data, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (c->failed) return PARLEY_ERROR;
    if (len && pl_conn_take_in(c) < 0)
        return pl_conn_fail(c, pl_fail(PL_ERR_NOMEM, __FILE__, __LINE__, "out of memory for the record buffer"));
    size_t space = PL_IN_CAP - c->in_len, n = len < space ? len : space;
    if (n) memcpy(c->in + c->in_len, data, n);
    c->in_len += n;
    if (c->in_len > c->in_hw) c->in_hw = c->in_len;
    *consumed = n;
    return PARLEY_OK;
}

size_t pl_conn_in_space(parley_conn *c, uint8_t **p);
size_t pl_conn_in_space(parley_conn *c, uint8_t **p)
{
    if (pl_conn_take_in(c) < 0) return 0;
    *p = c->in + c->in_len;
    return PL_IN_CAP - c->in_len;
}
void pl_conn_in_added(parley_conn *c, size_t n);
void pl_conn_in_added(parley_conn *c, size_t n)
{
    c->in_len += n;
    if (c->in_len > c->in_hw) c->in_hw = c->in_len;
}

size_t pl_take_app_data(parley_conn *c, uint8_t *buf, size_t len)
{
    size_t take = len < c->app_len ? len : c->app_len;
    memcpy(buf, c->in + c->app_off, take);
    c->app_off += take;
    c->app_len -= take;
    if (c->app_len == 0) pl_drop_record(c, c->app_rec_len);
    return take;
}

void pl_drop_record(parley_conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* A record that carried nothing (an empty fragment, an ignored alert, a
 * dropped ChangeCipherSpec): harmless alone, but each costs us a record's
 * work and a peer could send them forever without the application seeing a
 * byte. Like OpenSSL and BoringSSL (32 empty records; OpenSSL also ends a
 * run of 5 warning alerts) we allow a run of them and fail the next; any
 * record with content ends the run. */
static int pl_empty_record(parley_conn *c)
{
    PL_ENSURE(++c->empty_records <= PL_MAX_EMPTY_RECORDS, PL_ERR_UNEXPECTED_MESSAGE,
              "more than %d records in a row without content (empty records, ignored alerts or ChangeCipherSpec)",
              PL_MAX_EMPTY_RECORDS);
    return 0;
}

static int pl_handle_alert(parley_conn *c, const uint8_t *p, size_t len)
{
    char d[64];
    /* RFC 8446 5.4: an Alert record with zero-length content is
     * unexpected_message (RFC 5246 6.2.1 forbids sending one too; the same
     * answer in TLS 1.2). RFC 8446 5.1: otherwise a record holds exactly one
     * alert, two bytes; any other length is malformed (decode_error, as
     * BoringSSL answers). */
    PL_ENSURE(len > 0, PL_ERR_UNEXPECTED_MESSAGE, "zero-length alert record");
    PL_ENSURE(len == 2, PL_ERR_DECODE, "alert record of %zu bytes", len);
    /* RFC 8446 6 / RFC 5246 7.2: AlertLevel is warning(1) or fatal(2); any
     * other value is out of its range (decode_error, RFC 8446 6.2), not a
     * reason from the peer to report. */
    PL_ENSURE(p[0] == 1 || p[0] == 2, PL_ERR_DECODE, "alert of unknown level %u (description %s)", p[0],
              parley_alert_name(p[1]));
    snprintf(d, sizeof d, "level: %s\ndescription: %s", p[0] == 2 ? "fatal" : "warning", parley_alert_name(p[1]));
    pl_trace(c, PARLEY_TRACE_RECORD_RECEIVED, PL_CT_ALERT, "Alert", 7, d);
    if (p[1] == PL_ALERT_CLOSE_NOTIFY) {
        c->closed_recv = 1;
        PL_ENSURE(c->hs_done, PL_ERR_PEER_ALERT, "peer closed the connection (close_notify) during the handshake");
        return 0;
    }
    /* RFC 8446 6.1: user_canceled is followed by close_notify; ignore it.
     * TLS 1.2 (RFC 5246 7.2.2): a warning-level alert is not fatal (servers
     * send unrecognized_name, peers no_renegotiation). Ignored alerts count
     * as records that carry nothing: a flood of them ends the connection. */
    /* Before the ServerHello no version is in use; a client that offers TLS
     * 1.2 may meet a TLS 1.2 server that answers a server_name it does not
     * know with a warning unrecognized_name first (RFC 6066 3 discourages
     * it, but allows it), which interoperable clients ignore. Only that
     * warning: any other alert before the version is known stays fatal, and
     * a TLS 1.3 server never sends one (RFC 8446 6). */
    int early_sni_warning = !c->is_server && c->version == 0 && c->cfg->min_version <= PARLEY_TLS1_2 && p[0] == 1 &&
                            p[1] == PL_ALERT_UNRECOGNIZED_NAME;
    if (p[1] == PL_ALERT_USER_CANCELED || (c->version == PARLEY_TLS1_2 && p[0] == 1) || early_sni_warning) {
        /* A legitimate peer has no reason for more than a few in a row (one
         * unrecognized_name, one no_renegotiation per refused attempt):
         * like OpenSSL and BoringSSL, the 5th is unexpected_message. */
        PL_ENSURE(++c->ignored_alerts <= PL_MAX_IGNORED_ALERTS, PL_ERR_UNEXPECTED_MESSAGE,
                  "more than %d ignored alerts in a row (the last: %s)", PL_MAX_IGNORED_ALERTS, parley_alert_name(p[1]));
        return pl_empty_record(c);
    }
    /* RFC 8446 6.2: every other alert is fatal, whatever its level. */
    c->alert_received = p[1];
    PL_BAIL(PL_ERR_PEER_ALERT, "peer sent alert %s (%u)", parley_alert_name(p[1]), p[1]);
}

/* Processes at most one record. 1: a record was handled; 0: need more bytes. */
int pl_conn_process_records(parley_conn *c, int want_handshake)
{
    uint8_t type, *payload;
    size_t len, plen;
    (void)want_handshake;
    if (c->app_len) return 0; /* application data must be read first */
    if (c->in_len < PL_REC_HEADER) return 0;
    int v12 = c->version == PARLEY_TLS1_2;
    if (v12) {
        PL_GUARD(pl_rec_check_header12(c->in, pl_rec_active(&c->rd), &type, &len));
    } else {
        /* RFC 8446 5.2: a protected record may be 2^14 + 256 bytes. Rejected
         * 0-RTT records are protected too, also when the server has no read
         * keys yet (after a HelloRetryRequest) and only skips them. */
        int prot = pl_rec_active(&c->rd) || (c->hs && c->hs->early_skipping);
        PL_GUARD(pl_rec_check_header(c->in, prot, &type, &len));
    }
    if (c->in_len < PL_REC_HEADER + len) return 0;
    payload = c->in + PL_REC_HEADER;
    plen = len;
    size_t off = 0;
    if (v12) {
        if (pl_rec_active(&c->rd)) PL_GUARD(pl_rec_open12(&c->rd, c->in, payload, len, &off, &plen));
        if (pl_rec_active(&c->rd)) PL_GUARD(pl_rsl_check_received(c, plen)); /* RFC 8449 4 */
        payload += off;
        if (type == PL_CT_CHANGE_CIPHER_SPEC) {
            /* RFC 5246 7.1: one CCS, after the peer's key exchange, at a
             * message boundary; it switches the read keys. */
            PL_ENSURE(c->hs && !c->hs->ccs_seen, PL_ERR_UNEXPECTED_MESSAGE,
                      c->hs ? "second ChangeCipherSpec record in the handshake" : "ChangeCipherSpec record after the handshake");
            PL_ENSURE(plen == 1 && payload[0] == 1, PL_ERR_UNEXPECTED_MESSAGE,
                      "ChangeCipherSpec record of %zu bytes is not the single byte 1", plen);
            PL_ENSURE(c->hsin.len == 0, PL_ERR_UNEXPECTED_MESSAGE, "ChangeCipherSpec inside a fragmented handshake message");
            PL_ENSURE(c->hs->ccs_expected, PL_ERR_UNEXPECTED_MESSAGE,
                      "unexpected ChangeCipherSpec (out of order: RFC 5246 7.1 puts it after the peer's key exchange)");
            pl_rec_clear(&c->rd);
            c->rd = c->hs->pending_rd;
            memset(&c->hs->pending_rd, 0, sizeof c->hs->pending_rd);
            c->hs->ccs_expected = 0;
            c->hs->ccs_seen = 1;
            pl_trace(c, PARLEY_TRACE_RECORD_RECEIVED, PL_CT_CHANGE_CIPHER_SPEC, "ChangeCipherSpec", 6, "read keys switched");
            pl_drop_record(c, PL_REC_HEADER + len);
            return 1;
        }
        PL_ENSURE(type != PL_CT_APPLICATION_DATA || pl_rec_active(&c->rd), PL_ERR_UNEXPECTED_MESSAGE,
                  "application data before encryption was set up");
    } else if (type == PL_CT_CHANGE_CIPHER_SPEC) {
        /* RFC 8446 5: a plaintext CCS of one byte 0x01 between the first
         * ClientHello and the peer's Finished is dropped; anything else is
         * unexpected_message. A peer sends one at most (D.4: after the
         * server's first handshake message; the client's before its second
         * flight, or right after its first ClientHello when it sends 0-RTT
         * data), so we drop one per ClientHello and refuse more: dropping
         * any number would let a peer feed the handshake an endless stream
         * (issue #13). After a HelloRetryRequest a client that sent 0-RTT
         * data may send its CCS again before its encrypted flight (D.4 does
         * not say which of the two is "the" one): a server drops two then. RFC 8446 5.1: not between the fragments of a
         * handshake message either. A client that did not offer TLS 1.3
         * has no such window (RFC 5246 7.1: the CCS follows the keys). */
        int in_window = c->hs && !c->hs_done && (c->is_server ? c->hs->transcript.h != NULL : c->hs->offered13);
        PL_ENSURE(in_window, PL_ERR_UNEXPECTED_MESSAGE, "ChangeCipherSpec record %s",
                  c->hs_done ? "after the handshake" : c->is_server ? "before the ClientHello" : "before the ServerHello");
        PL_ENSURE(len == 1 && payload[0] == 1, PL_ERR_UNEXPECTED_MESSAGE,
                  "ChangeCipherSpec record of %zu bytes is not the single byte 1", len);
        PL_ENSURE(c->hs->ccs_dropped < 1 + (c->is_server && c->hs->hrr_done), PL_ERR_UNEXPECTED_MESSAGE,
                  "%s ChangeCipherSpec record in the handshake", c->hs->ccs_dropped == 1 ? "second" : "third");
        PL_ENSURE(c->hsin.len == 0, PL_ERR_UNEXPECTED_MESSAGE, "ChangeCipherSpec inside a fragmented handshake message");
        c->hs->ccs_dropped++;
        pl_trace(c, PARLEY_TRACE_RECORD_RECEIVED, PL_CT_CHANGE_CIPHER_SPEC, "ChangeCipherSpec", 6, "ignored (middlebox compatibility)");
        PL_GUARD(pl_empty_record(c));
        pl_drop_record(c, PL_REC_HEADER + len);
        return 1;
    }
    if (!v12 && type == PL_CT_APPLICATION_DATA && c->hs && c->hs->early_skipping) {
        /* RFC 8446 4.2.10: rejected 0-RTT records are skipped: every
         * application_data record before our handshake keys exist (after a
         * HelloRetryRequest), then those that fail to open under them, up to
         * the budget. The first one that opens ends the skipping. */
        int orc = pl_rec_active(&c->rd) ? pl_rec_open13(&c->rd, c->in, payload, len, &type, &plen) : -PL_ERR_BAD_RECORD_MAC;
        /* Only a record that does not open under our keys is skipped; one
         * that opened is checked like any other (an oversized or all-padding
         * record is an error, not early data). */
        if (orc < 0 && PL_CODE(orc) != PL_ERR_BAD_RECORD_MAC) return orc;
        if (orc < 0) {
            size_t n = PL_REC_HEADER + len; /* charged whole: see pl_server13_reject_early_data */
            PL_ENSURE(n <= c->hs->early_budget, PL_ERR_UNEXPECTED_MESSAGE,
                      "more rejected early data than the server skips (%zu-byte record, %u bytes left)", n,
                      (unsigned)c->hs->early_budget);
            c->hs->early_budget -= (uint32_t)n;
            pl_trace(c, PARLEY_TRACE_RECORD_RECEIVED, PL_CT_APPLICATION_DATA, "early data (skipped)", len, "");
            pl_drop_record(c, PL_REC_HEADER + len);
            return 1;
        }
        c->hs->early_skipping = 0;
        c->peer_keys_used = 1;
        PL_GUARD(pl_rsl_check_received(c, len - PL_AEAD_TAG)); /* RFC 8449 4: the whole TLSInnerPlaintext */
        PL_ENSURE(type != PL_CT_CHANGE_CIPHER_SPEC, PL_ERR_UNEXPECTED_MESSAGE, "encrypted ChangeCipherSpec record");
    } else if (v12) {
        /* opened above */
    } else if (pl_rec_active(&c->rd) && type == PL_CT_ALERT && c->is_server && !c->peer_keys_used) {
        /* RFC 8446 5: once the peer's handshake keys are in use, a plaintext
         * record other than CCS is unexpected_message. A server installs the
         * client's read keys when it sends ServerHello, but a client that
         * rejects that ServerHello has no keys and can only send a plaintext
         * alert; and a client that has its keys may not use them for
         * writing yet (OpenSSL 3.0 rejecting our certificate sends unknown_ca
         * in plaintext after our encrypted flight). The client's keys are
         * known to be in use once a record opened under them; until then a
         * plaintext alert is reported as the client's reason. A client gets
         * no such allowance: the server's keys are in use from its
         * ServerHello on (everything after it is encrypted), so the first
         * record after it is already protected. */
    } else if (pl_rec_active(&c->rd)) {
        PL_ENSURE(type == PL_CT_APPLICATION_DATA, PL_ERR_UNEXPECTED_MESSAGE,
                  "received an unprotected record (type %u) after encryption started", type);
        PL_GUARD(pl_rec_open13(&c->rd, c->in, payload, len, &type, &plen));
        /* A record opened under the client's keys, the early key included
         * (RFC 8446 5: the client uses protected records from then on; an
         * on-path plaintext alert must not end an accepted 0-RTT phase). */
        c->peer_keys_used = 1;
        /* RFC 8449 4: the whole TLSInnerPlaintext, against the limit of the
         * handshake that produced the keys: under the early key, the
         * ticket's (the client cannot know this connection's yet). */
        if (c->hs && c->hs->early_reading) PL_GUARD(pl_rsl_check_early(c, len - PL_AEAD_TAG));
        else PL_GUARD(pl_rsl_check_received(c, len - PL_AEAD_TAG));
        PL_ENSURE(type != PL_CT_CHANGE_CIPHER_SPEC, PL_ERR_UNEXPECTED_MESSAGE, "encrypted ChangeCipherSpec record");
    } else {
        PL_ENSURE(type != PL_CT_APPLICATION_DATA, PL_ERR_UNEXPECTED_MESSAGE, "application data before encryption was set up");
    }
    switch (type) {
    case PL_CT_HANDSHAKE:
        /* RFC 8446 5.1: no zero-length handshake fragments. */
        PL_ENSURE(plen > 0, PL_ERR_UNEXPECTED_MESSAGE, "zero-length handshake record");
        {
            int brc = pl_buf_bytes(&c->hsin, payload, plen);
            /* Out of memory is ours, not the peer's fault: internal_error. */
            if (brc < 0 && PL_CODE(brc) == PL_ERR_NOMEM) return brc;
            if (brc < 0) PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "too much unprocessed handshake data");
        }
        /* A fragment is not yet content: the run of empty records ends when
         * a whole message has arrived (pl_conn_next_message), or one-byte
         * fragments of a message that never completes would reset it. */
        break;
    case PL_CT_ALERT:
        /* RFC 8446 5.1: handshake messages are not interleaved with other
         * record types (TLS 1.2 never needs it either); an alert in the middle
         * of one would also let ignored alerts run without bound. */
        PL_ENSURE(c->hsin.len == 0, PL_ERR_UNEXPECTED_MESSAGE, "alert inside a fragmented handshake message");
        PL_GUARD(pl_handle_alert(c, payload, plen));
        break;
    case PL_CT_APPLICATION_DATA:
        /* Accepted 0-RTT data (RFC 8446 4.2.10) is application data under
         * the early key; more than max_early_data_size is unexpected_message. */
        if (!c->hs_done && c->hs && c->hs->early_reading) {
            PL_ENSURE(plen <= c->hs->early_left, PL_ERR_UNEXPECTED_MESSAGE,
                      "more early data than max_early_data_size allows");
            c->hs->early_left -= (uint32_t)plen;
            if (plen) pl_trace(c, PARLEY_TRACE_RECORD_RECEIVED, PL_CT_APPLICATION_DATA, "early data", len, "accepted");
        } else {
            PL_ENSURE(c->hs_done, PL_ERR_UNEXPECTED_MESSAGE, "application data before the handshake completed");
        }
        /* Handshake messages must not be interleaved with other types mid-message. */
        PL_ENSURE(c->hsin.len == 0, PL_ERR_UNEXPECTED_MESSAGE, "application data inside a fragmented handshake message");
        if (plen) {
            c->app_off = PL_REC_HEADER + off;
            c->app_len = plen;
            c->app_rec_len = PL_REC_HEADER + len;
            /* Application data: the peer is doing what connections are for. */
            c->empty_records = 0;
            c->ignored_alerts = 0;
            c->key_updates = 0;
            c->tickets_seen = 0;
            c->pha_requests = 0;
            return 1;
        }
        /* RFC 8446 5.1 / 5246 6.2.1: zero-length application data is allowed,
         * and counted. */
        PL_GUARD(pl_empty_record(c));
        break;
    default:
        PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "record of unknown content type %u", type);
    }
    pl_drop_record(c, PL_REC_HEADER + len);
    return 1;
}

int pl_conn_next_message(parley_conn *c, const uint8_t **msg, size_t *len)
{
    if (c->hsin.len < 4) return 0;
    size_t body = ((size_t)c->hsin.data[1] << 16) | ((size_t)c->hsin.data[2] << 8) | c->hsin.data[3];
    /* Checked as soon as the header is in (this runs after every record), so
     * no more than one record beyond a message's bound is ever buffered. A
     * ClientHello may be as large as its format allows, on a server (a
     * client never takes one); every other message keeps the general limit. */
    size_t max = c->is_server && c->hsin.data[0] == PL_HS_CLIENT_HELLO ? PL_MAX_CLIENT_HELLO : PL_MAX_HS_MESSAGE;
    PL_ENSURE(body <= max, PL_ERR_DECODE, "%s of %zu bytes exceeds the limit of %zu", pl_hs_type_name(c->hsin.data[0]),
              body, max);
    if (c->hsin.len < 4 + body) return 0;
    *msg = c->hsin.data;
    *len = 4 + body;
    c->cur_msg_len = *len;
    c->empty_records = 0; /* a whole message is content */
    c->ignored_alerts = 0;
    return 1;
}

void pl_conn_drop_message(parley_conn *c, size_t len)
{
    pl_buf_consume(&c->hsin, len);
    c->cur_msg_len = 0;
}

int pl_conn_set_read_keys(parley_conn *c, const uint8_t *secret)
{
    /* RFC 8446 5.1: handshake messages MUST NOT span a key change. */
    PL_ENSURE(c->hsin.len <= c->cur_msg_len, PL_ERR_UNEXPECTED_MESSAGE,
              "handshake data after a message that changes keys (not at a record boundary)");
    const pl_hs *hs = c->hs;
    return pl_rec_install13(&c->rd, hs->aead, hs->hash, secret, 0);
}
