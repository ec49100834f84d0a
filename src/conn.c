/*
 * conn.c - one connection: the sans-I/O core. Bytes in (recv_bytes), records
 * deframed and decrypted in place one at a time, handshake messages
 * reassembled and handed to the state machine, application data read in
 * place; bytes out (pending_output). Errors are sticky: the first fatal error
 * queues its alert and every later call returns PARLEY_ERROR.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "handshake/dispatch.h"
#include "handshake/messages.h"
#include "internal.h"

int pl_config_freeze(parley_config *cfg, int client);

static parley_conn *pl_conn_new(parley_config *cfg, int is_server, const char *server_name)
{
    if (!cfg || pl_config_freeze(cfg, !is_server) < 0) return NULL;
    if (is_server && cfg->ncerts == 0) {
        snprintf(cfg->err, sizeof cfg->err, "a server needs a certificate (parley_config_add_cert_files)");
        return NULL;
    }
    /* An empty name is no name: never sent as an empty SNI (RFC 6066 3
     * forbids it), and verified as none (pl_take_peer_chain). */
    if (server_name && !server_name[0]) server_name = NULL;
    parley_conn *c = pl_calloc(1, sizeof *c);
    if (c) c->hs = pl_calloc(1, sizeof *c->hs);
    if (!c || !c->hs || (server_name && !(c->server_name = pl_strdup(server_name)))) {
        /* The config's error string is the only way to say why. */
        snprintf(cfg->err, sizeof cfg->err, "out of memory for a new connection");
        if (c) pl_free(c->hs);
        pl_free(c);
        return NULL;
    }
    parley_config_ref(cfg);
    c->cfg = cfg;
    c->is_server = is_server;
    c->fd = -1;
    c->alert_sent = c->alert_received = -1;
    c->hsin.max = PL_MAX_HS_MESSAGE + PL_MAX_PLAINTEXT + 4;
    c->hs->state = is_server ? pl_server13_start_state() : pl_client13_start_state();
    c->hs->client_cert = -1;
    /* A server verifying clients may need the raw messages (TLS 1.2 CertificateVerify). */
    c->hs->transcript.keep_raw = is_server && cfg->verify_client;
    return c;
}

parley_conn *parley_conn_new_client(parley_config *cfg, const char *server_name)
{
    return pl_conn_new(cfg, 0, server_name);
}

parley_conn *parley_conn_new_server(parley_config *cfg) { return pl_conn_new(cfg, 1, NULL); }

static void pl_hs_free(pl_hs *hs)
{
    if (!hs) return;
    pl_transcript_free(&hs->transcript);
    pl_ks13_wipe(&hs->ks);
    pl_kex_free(hs->kex);
    pl_buf_free(&hs->cookie);
    pl_buf_free(&hs->peer_share);
    pl_buf_free(&hs->cert_req_ctx);
    /* A connection freed while its key operation is out (a client gone
     * mid-handshake): the provider must forget the op before its memory goes. */
    if (hs->op.state == PL_OP_PENDING && hs->op.provider && hs->op.provider->cancel)
        hs->op.provider->cancel(hs->op.provider, &hs->op);
    pl_buf_free(&hs->op.input);
    pl_buf_free(&hs->op.output);
    pl_buf_free(&hs->pm);
    pl_buf_free(&hs->my_share);
    pl_buf_free(&hs->ske_params);
    pl_buf_free(&hs->cke);
    pl_buf_free(&hs->req_sigalgs);
    pl_buf_free(&hs->new_ticket);
    pl_buf_free(&hs->lookup_val);
    pl_buf_free(&hs->req_cas);
    pl_rec_clear(&hs->pending_rd);
    pl_rec_clear(&hs->pending_wr);
    pl_pkey_free(hs->peer_key);
    pl_cert_free(hs->peer_issuer);
    pl_cleanse(hs, sizeof *hs);
    pl_free(hs);
}

void parley_conn_free(parley_conn *c)
{
    if (!c) return;
    pl_hs_free(c->hs);
    pl_rec_clear(&c->rd);
    pl_rec_clear(&c->wr);
    c->in_len = c->app_len = 0;
    pl_conn_release_idle(c);
    pl_buf_free(&c->out);
    pl_buf_free(&c->hsin);
    for (int i = 0; c->peer_certs && i < PL_MAX_PEER_CERTS; i++) pl_buf_free(&c->peer_certs[i]);
    pl_free(c->peer_certs);
    pl_free(c->server_name);
    pl_free(c->errmsg);
    pl_free(c->verify_result);
    pl_free(c->alpn);
    if (c->sess) pl_cleanse(c->sess, sizeof *c->sess);
    pl_free(c->sess);
    pl_cleanse(c->res_secret, sizeof c->res_secret);
    parley_config_free(c->cfg);
    pl_cleanse(c, sizeof *c);
    pl_free(c);
}

/* ------------------------------------------------------------- output */

/* Padding to hide lengths (RFC 8446 5.4): fill the inner plaintext (content +
 * type byte) up to a multiple of the configured block, within 2^14 + 1. */
static size_t pl_pad(const parley_conn *c, size_t len)
{
    size_t b = c->cfg->record_pad, inner = len + 1;
    if (!b) return 0;
    size_t pad = (b - inner % b) % b;
    if (inner + pad > PL_MAX_PLAINTEXT + 1) pad = PL_MAX_PLAINTEXT + 1 - inner;
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
static int pl_peer_room(const parley_conn *c, size_t n)
{
    size_t need = n + (n / PL_MAX_PLAINTEXT + 1) * (PL_REC_HEADER + PL_GCM_EXPLICIT + 1 + PL_AEAD_TAG + c->cfg->record_pad);
    PL_ENSURE(c->out.len + need <= c->cfg->out_cap, PL_ERR_INTERNAL,
              "%zu bytes of output wait for the peer, which is not reading them (limit %zu)", c->out.len, c->cfg->out_cap);
    return 0;
}

static int pl_send_handshake(parley_conn *c, uint8_t type, const uint8_t *body, size_t len, int by_peer)
{
    if (by_peer) PL_GUARD(pl_peer_room(c, 4 + len));
    pl_buf m = {0};
    int rc = pl_buf_u8(&m, type);
    if (rc == 0) rc = pl_buf_u24(&m, (uint32_t)len);
    if (rc == 0) rc = pl_buf_bytes(&m, body, len);
    if (rc == 0 && c->hs) rc = pl_transcript_add(&c->hs->transcript, m.data, m.len);
    if (rc == 0) pl_trace_handshake(c, 1, m.data, m.len);
    /* Fragment into records of at most 2^14 bytes (RFC 8446 5.1). */
    for (size_t off = 0; rc == 0 && off < m.len; off += PL_MAX_PLAINTEXT) {
        size_t n = m.len - off < PL_MAX_PLAINTEXT ? m.len - off : PL_MAX_PLAINTEXT;
        rc = pl_send_record(c, PL_CT_HANDSHAKE, m.data + off, n);
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
    pl_trace(c, PARLEY_TRACE_RECORD_SENT, PL_CT_CHANGE_CIPHER_SPEC, "ChangeCipherSpec", 6, "middlebox compatibility (RFC 8446 D.4)");
    return pl_rec_write_plain(&c->out, PL_CT_CHANGE_CIPHER_SPEC, &one, 1);
}

static int pl_send_alert(parley_conn *c, uint8_t level, uint8_t desc)
{
    uint8_t a[2] = {level, desc};
    char d[64];
    snprintf(d, sizeof d, "level: %s\ndescription: %s", level == 2 ? "fatal" : "warning", parley_alert_name(desc));
    pl_trace(c, PARLEY_TRACE_RECORD_SENT, PL_CT_ALERT, "Alert", 7, d);
    return pl_send_record(c, PL_CT_ALERT, a, 2);
}

int pl_conn_fail(parley_conn *c, int rc)
{
    if (c->failed) return PARLEY_ERROR;
    int code = PL_CODE(rc);
    if (code <= 0 || code >= PL_ERR__COUNT) code = PL_ERR_INTERNAL;
    c->failed = code;
    pl_conn_set_error(c, "%s", pl_last_code() == code && pl_last_message()[0] ? pl_last_message() : pl_err_name(code));
    if (code == PL_ERR_CERTIFICATE_EXPIRED || code == PL_ERR_UNKNOWN_CA || code == PL_ERR_BAD_CERTIFICATE ||
        code == PL_ERR_UNSUPPORTED_CERTIFICATE || code == PL_ERR_CERTIFICATE_REVOKED)
        if (pl_conn_set_verify(c, "%s", parley_conn_error_string(c)) < 0) { /* the role's default text stays */ }
    int alert = pl_err_alert(code);
    if (alert >= 0 && !c->closed_sent) {
        /* Best effort: if even the alert cannot be encoded there is nothing more to do. */
        if (pl_send_alert(c, 2, (uint8_t)alert) == 0) c->alert_sent = alert;
        c->closed_sent = 1;
    }
    pl_hs_free(c->hs);
    c->hs = NULL;
    return PARLEY_ERROR;
}

static char *pl_vformat(const char *fmt, va_list ap)
{
    char tmp[512];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    return pl_strdup(tmp);
}

void pl_conn_set_error(parley_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = pl_vformat(fmt, ap); /* NULL when out of memory: the code's name is reported */
    va_end(ap);
    pl_free(c->errmsg);
    c->errmsg = m;
}

int pl_conn_set_verify(parley_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = pl_vformat(fmt, ap); /* formatted before the old text goes: it may be an argument */
    va_end(ap);
    pl_free(c->verify_result);
    c->verify_result = m;
    PL_ENSURE(m, PL_ERR_NOMEM, "out of memory");
    return 0;
}

int pl_conn_set_alpn(parley_conn *c, const uint8_t *p, size_t len)
{
    char *a = pl_malloc(len + 1);
    PL_ENSURE(a, PL_ERR_INTERNAL, "out of memory");
    memcpy(a, p, len);
    a[len] = 0;
    pl_free(c->alpn);
    c->alpn = a;
    return 0;
}

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

static void pl_drop_record(parley_conn *c, size_t n)
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
    PL_ENSURE(len == 2, PL_ERR_DECODE, "alert record of %zu bytes", len);
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
    if (p[1] == PL_ALERT_USER_CANCELED || (c->version == PARLEY_TLS1_2 && p[0] == 1)) return pl_empty_record(c);
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
    if (v12) PL_GUARD(pl_rec_check_header12(c->in, pl_rec_active(&c->rd), &type, &len));
    else PL_GUARD(pl_rec_check_header(c->in, pl_rec_active(&c->rd), &type, &len));
    if (c->in_len < PL_REC_HEADER + len) return 0;
    payload = c->in + PL_REC_HEADER;
    plen = len;
    size_t off = 0;
    if (v12) {
        if (pl_rec_active(&c->rd)) PL_GUARD(pl_rec_open12(&c->rd, c->in, payload, len, &off, &plen));
        payload += off;
        if (type == PL_CT_CHANGE_CIPHER_SPEC) {
            /* RFC 5246 7.1: one CCS, after the peer's key exchange, at a
             * message boundary; it switches the read keys. */
            PL_ENSURE(c->hs && c->hs->ccs_expected && plen == 1 && payload[0] == 1 && c->hsin.len == 0,
                      PL_ERR_UNEXPECTED_MESSAGE, "unexpected ChangeCipherSpec");
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
         * unexpected_message. */
        int in_window = !c->hs_done && (!c->is_server || (c->hs && c->hs->transcript.h));
        PL_ENSURE(in_window && len == 1 && payload[0] == 1, PL_ERR_UNEXPECTED_MESSAGE,
                  "unexpected ChangeCipherSpec record");
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
        int skip = !pl_rec_active(&c->rd) || pl_rec_open13(&c->rd, c->in, payload, len, &type, &plen) < 0;
        if (skip) {
            size_t n = len > PL_AEAD_TAG + 1 ? len - PL_AEAD_TAG - 1 : 0;
            PL_ENSURE(n <= c->hs->early_budget, PL_ERR_UNEXPECTED_MESSAGE, "more early data than the server allows");
            c->hs->early_budget -= (uint32_t)n;
            pl_trace(c, PARLEY_TRACE_RECORD_RECEIVED, PL_CT_APPLICATION_DATA, "early data (skipped)", len, "");
            pl_drop_record(c, PL_REC_HEADER + len);
            return 1;
        }
        c->hs->early_skipping = 0;
        c->peer_keys_used = 1;
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
        c->peer_keys_used = 1;
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
        c->empty_records = 0;
        break;
    case PL_CT_ALERT:
        PL_GUARD(pl_handle_alert(c, payload, plen));
        break;
    case PL_CT_APPLICATION_DATA:
        PL_ENSURE(c->hs_done, PL_ERR_UNEXPECTED_MESSAGE, "application data before the handshake completed");
        /* Handshake messages must not be interleaved with other types mid-message. */
        PL_ENSURE(c->hsin.len == 0, PL_ERR_UNEXPECTED_MESSAGE, "application data inside a fragmented handshake message");
        if (plen) {
            c->app_off = PL_REC_HEADER + off;
            c->app_len = plen;
            c->app_rec_len = PL_REC_HEADER + len;
            /* Application data: the peer is doing what connections are for. */
            c->empty_records = 0;
            c->key_updates = 0;
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
    PL_ENSURE(body <= PL_MAX_HS_MESSAGE, PL_ERR_DECODE, "%s of %zu bytes exceeds the limit of %d",
              pl_hs_type_name(c->hsin.data[0]), body, PL_MAX_HS_MESSAGE);
    if (c->hsin.len < 4 + body) return 0;
    *msg = c->hsin.data;
    *len = 4 + body;
    c->cur_msg_len = *len;
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

int pl_conn_set_write_keys(parley_conn *c, const uint8_t *secret)
{
    const pl_hs *hs = c->hs;
    return pl_rec_install13(&c->wr, hs->aead, hs->hash, secret, 1);
}

/* ---------------------------------------------------------- public API */

void parley_conn_pending_output(parley_conn *c, const uint8_t **data, size_t *len)
{
    *data = c->out.data;
    *len = c->out.len;
}

void parley_conn_output_sent(parley_conn *c, size_t n) { pl_buf_consume(&c->out, n); }

int parley_conn_recv_eof(parley_conn *c)
{
    c->eof = 1;
    return c->failed ? PARLEY_ERROR : PARLEY_OK;
}

/* The transport ended mid-handshake: nothing more can come. No alert (RFC
 * 8446 6.2 alerts go to a peer that listens; this one has gone). */
static int pl_conn_eof_in_handshake(parley_conn *c)
{
    if (!c->failed) {
        c->failed = PL_ERR_IO;
        pl_conn_set_error(c, "the peer closed the connection during the handshake");
    }
    c->closed_sent = 1;
    return PARLEY_ERROR;
}

int parley_conn_handshake(parley_conn *c)
{
    if (c->failed) return PARLEY_ERROR;
    if (c->hs_done) return PARLEY_OK;
    int rc = pl_hs_drive(c);
    if (rc < 0) return pl_conn_fail(c, rc);
    if (rc == PL_HS_WAIT_READ && c->eof) return pl_conn_eof_in_handshake(c);
    if (rc == PL_HS_WAIT_READ) return PARLEY_WANT_READ;
    if (rc == PL_HS_WAIT_KEY_OP) return PARLEY_WANT_KEY_OP;
    if (rc == PL_HS_WAIT_SESSION) return PARLEY_WANT_SESSION;
    c->hs_done = 1;
    pl_trace(c, PARLEY_TRACE_INFO, -1, "handshake complete", 0, "");
    pl_hs_free(c->hs);
    c->hs = NULL;
    pl_conn_release_idle(c);
    return PARLEY_OK;
}

static int pl_answer_key_update(parley_conn *c, int before_write);

int parley_conn_read(parley_conn *c, uint8_t *buf, size_t len, size_t *n)
{
    *n = 0;
    if (c->failed) return PARLEY_ERROR;
    if (!c->hs_done) {
        int rc = parley_conn_handshake(c);
        if (rc != PARLEY_OK) return rc;
    }
    for (;;) {
        if (c->app_len) {
            size_t take = len < c->app_len ? len : c->app_len;
            memcpy(buf, c->in + c->app_off, take);
            c->app_off += take;
            c->app_len -= take;
            if (c->app_len == 0) pl_drop_record(c, c->app_rec_len);
            *n = take;
            return PARLEY_OK;
        }
        if (c->closed_recv) return PARLEY_CLOSED;
        const uint8_t *msg;
        size_t mlen;
        int rc = pl_conn_next_message(c, &msg, &mlen);
        if (rc == 1) {
            rc = pl_hs_post_handshake(c, msg, mlen);
            pl_conn_drop_message(c, mlen);
            if (rc < 0) return pl_conn_fail(c, rc);
            continue;
        }
        if (rc == 0) rc = pl_conn_process_records(c, 0);
        if (rc < 0) return pl_conn_fail(c, rc);
        if (rc == 0) {
            rc = pl_answer_key_update(c, 0);
            if (rc < 0) return pl_conn_fail(c, rc);
            /* The application has read everything there is: idle until more
             * bytes come, so the buffers can go (taken again on arrival). */
            pl_conn_release_idle(c);
            /* RFC 8446 6.1 / RFC 5246 7.2.1: an end of stream without
             * close_notify (a partial record left over, or none) may be a
             * truncation attack; the caller must be able to tell. */
            return c->eof ? PARLEY_TRUNCATED : PARLEY_WANT_READ;
        }
    }
}

int parley_conn_write(parley_conn *c, const uint8_t *buf, size_t len)
{
    if (c->failed) return PARLEY_ERROR;
    if (!c->hs_done) {
        int rc = parley_conn_handshake(c);
        if (rc != PARLEY_OK) return rc;
    }
    if (c->closed_sent) {
        pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "write after close");
        pl_conn_set_error(c, "write after close_notify was sent");
        return PARLEY_ERROR;
    }
    int rc = pl_answer_key_update(c, 1);
    if (rc < 0) return pl_conn_fail(c, rc);
    /* Reserve once for the whole write so sealing never reallocates mid-way. */
    size_t recs = len / PL_MAX_PLAINTEXT + 1;
    rc = pl_buf_reserve(&c->out, len + recs * (PL_REC_HEADER + PL_GCM_EXPLICIT + 1 + PL_AEAD_TAG + c->cfg->record_pad));
    for (size_t off = 0; rc == 0 && off < len; off += PL_MAX_PLAINTEXT) {
        size_t n = len - off < PL_MAX_PLAINTEXT ? len - off : PL_MAX_PLAINTEXT;
        rc = c->wr.tls12 ? pl_rec_seal12(&c->wr, &c->out, PL_CT_APPLICATION_DATA, buf + off, n)
                         : pl_rec_seal13(&c->wr, &c->out, PL_CT_APPLICATION_DATA, buf + off, n, pl_pad(c, n));
    }
    if (rc < 0) return pl_conn_fail(c, rc);
    return PARLEY_OK;
}

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
static int pl_answer_key_update(parley_conn *c, int before_write)
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
    default:
        PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "received %s after the handshake", pl_hs_type_name(msg[0]));
    }
}

int parley_conn_close(parley_conn *c)
{
    if (c->closed_sent) return c->failed ? PARLEY_ERROR : PARLEY_OK;
    int rc = pl_send_alert(c, 1, PL_ALERT_CLOSE_NOTIFY);
    c->closed_sent = 1;
    return rc < 0 ? pl_conn_fail(c, rc) : PARLEY_OK;
}

int pl_hs_drive(parley_conn *c)
{
    return pl_hs_run(c, c->is_server ? &pl_server13_table : &pl_client13_table);
}

/* ------------------------------------------------------------- results */

uint16_t parley_conn_version(const parley_conn *c) { return c->version; }
uint16_t parley_conn_cipher(const parley_conn *c) { return c->suite; }
uint16_t parley_conn_group(const parley_conn *c) { return c->group; }
uint16_t parley_conn_signature_scheme(const parley_conn *c) { return c->sigscheme; }
const char *parley_conn_alpn(const parley_conn *c) { return c->alpn; }
const char *parley_conn_server_name(const parley_conn *c) { return c->server_name; }
int parley_conn_resumed(const parley_conn *c) { return c->resumed; }

int parley_conn_get_session(const parley_conn *c, uint8_t *buf, size_t cap, size_t *len)
{
    pl_buf b = {0};
    /* TLS 1.2: an id or a ticket; TLS 1.3: a ticket (it arrives after the handshake). */
    if (c->is_server || !c->hs_done || !c->sess || (!c->sess->id_len && !c->sess->ticket_len) ||
        (c->sess->version == PARLEY_TLS1_3 && !c->sess->ticket_len))
        return PARLEY_ERROR;
    int rc = pl_session_encode(c->sess, &b);
    if (rc == 0 && b.len <= cap) {
        memcpy(buf, b.data, b.len);
        *len = b.len;
    } else {
        rc = -1;
    }
    pl_buf_free(&b);
    return rc < 0 ? PARLEY_ERROR : PARLEY_OK;
}

int parley_conn_session_found(parley_conn *c, const uint8_t *val, size_t len)
{
    if (!c->is_server || !c->hs || c->hs->lookup_state != PL_LOOKUP_PENDING) return PARLEY_ERROR;
    pl_buf_reset(&c->hs->lookup_val);
    /* A value longer than any sealed session is not one: a miss, not kept. */
    if (val && len && len <= PL_CACHE_VALUE_MAX && pl_buf_bytes(&c->hs->lookup_val, val, len) < 0) pl_buf_reset(&c->hs->lookup_val);
    c->hs->lookup_state = PL_LOOKUP_ANSWERED;
    return PARLEY_OK;
}

int parley_conn_set_session(parley_conn *c, const uint8_t *buf, size_t len)
{
    pl_session s;
    if (c->is_server || !c->hs || c->hs->state != pl_client13_start_state() || c->hs->hrr_done) return PARLEY_ERROR;
    if (pl_session_decode(buf, len, &s) < 0) {
        pl_cleanse(&s, sizeof s); /* a partly decoded secret */
        return PARLEY_ERROR;
    }
    /* Not for this connection: refused here, so the application learns it;
     * the connection is unaffected and its handshake is a full one. */
    const char *why = pl_session_unusable(c, &s);
    if (why) {
        pl_trace(c, PARLEY_TRACE_INFO, -1, "session not offered", 0, why);
        pl_cleanse(&s, sizeof s);
        return PARLEY_ERROR;
    }
    if (!c->sess && !(c->sess = pl_malloc(sizeof *c->sess))) return PARLEY_ERROR;
    *c->sess = s;
    pl_cleanse(&s, sizeof s);
    return PARLEY_OK;
}
int parley_conn_ems(const parley_conn *c) { return c->version == PARLEY_TLS1_3 ? 1 : c->ems; }
uint16_t parley_key_op_client_version(const parley_key_op *op) { return op->client_version; }
int parley_conn_is_server(const parley_conn *c) { return c->is_server; }
int parley_conn_handshake_done(const parley_conn *c) { return c->hs_done; }
const char *parley_conn_verify_result(const parley_conn *c)
{
    if (c->verify_result) return c->verify_result;
    return c->is_server ? "no client certificate" : "not checked";
}
int parley_conn_peer_cert_count(const parley_conn *c) { return c->npeer_certs; }
const char *parley_conn_error_string(const parley_conn *c)
{
    if (!c->failed) return "";
    return c->errmsg ? c->errmsg : pl_err_name(c->failed);
}
int parley_conn_alert_sent(const parley_conn *c) { return c->alert_sent; }
int parley_conn_alert_received(const parley_conn *c) { return c->alert_received; }
void parley_conn_set_userdata(parley_conn *c, void *p) { c->userdata = p; }
void *parley_conn_get_userdata(const parley_conn *c) { return c->userdata; }

int parley_conn_peer_cert_info(const parley_conn *c, int i, char *subject, size_t sl, char *issuer, size_t il,
                               char *not_before, size_t nbl, char *not_after, size_t nal)
{
    if (i < 0 || i >= c->npeer_certs) return PARLEY_ERROR;
    return pl_cert_describe(c->peer_certs[i].data, c->peer_certs[i].len, subject, sl, issuer, il, not_before, nbl,
                            not_after, nal) < 0
               ? PARLEY_ERROR
               : PARLEY_OK;
}

int parley_conn_peer_cert_sans(const parley_conn *c, int i, char *out, size_t len)
{
    if (i < 0 || i >= c->npeer_certs || len == 0) return PARLEY_ERROR;
    return pl_cert_sans(c->peer_certs[i].data, c->peer_certs[i].len, out, len) < 0 ? PARLEY_ERROR : PARLEY_OK;
}

/* -------------------------------------------------------- key operations */

parley_key_op *parley_conn_pending_key_op(parley_conn *c)
{
    return c->hs && c->hs->op.state == PL_OP_PENDING ? &c->hs->op : NULL;
}

int parley_key_op_type(const parley_key_op *op) { return op->type; }
uint16_t parley_key_op_scheme(const parley_key_op *op) { return op->scheme; }
int parley_key_op_cert_index(const parley_key_op *op) { return op->cert_index; }

void parley_key_op_input(const parley_key_op *op, const uint8_t **data, size_t *len)
{
    *data = op->input.data;
    *len = op->input.len;
}

int parley_key_op_done(const parley_key_op *op) { return op->state != PL_OP_PENDING; }

int parley_key_op_complete(parley_key_op *op, int ok, const uint8_t *out, size_t len)
{
    if (op->state != PL_OP_PENDING) return PARLEY_ERROR;
    pl_buf_reset(&op->output);
    /* -1: the provider's result could not be kept (out of memory here, not its failure). */
    if (ok && len && pl_buf_bytes(&op->output, out, len) < 0) ok = -1;
    op->ok = ok;
    op->state = PL_OP_DONE;
    return PARLEY_OK;
}
