/*
 * conn.c - the connection API: a connection made and freed, its handshake
 * driven, application data read in place and written, close and end of
 * stream, its errors, and what it tells the application afterwards (results,
 * sessions, key operations). Sans I/O: bytes out through pending_output.
 * The records under it are in record/receive.c (bytes in, records, handshake
 * messages) and record/send.c (records out); the messages that come after
 * the handshake in handshake/post_handshake.c. Errors are sticky: the first
 * fatal error queues its alert and every later call returns PARLEY_ERROR.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "handshake/dispatch.h"
#include "handshake/record_size_limit.h"
#include "handshake/early_data.h"
#include "internal.h"

int pl_config_freeze(parley_config *cfg, int client);

static parley_conn *pl_conn_new(parley_config *cfg, int is_server, const char *server_name)
{
    if (!cfg || pl_config_freeze(cfg, !is_server) < 0) return NULL;
    if (is_server && cfg->ncerts == 0) {
        pl_cfg_errf(cfg, "a server needs a certificate (parley_config_add_cert_files)");
        return NULL;
    }
    /* An empty name is no name: never sent as an empty SNI (RFC 6066 3
     * forbids it), and verified as none (pl_take_peer_chain). */
    if (server_name && !server_name[0]) server_name = NULL;
    parley_conn *c = pl_calloc(1, sizeof *c);
    if (c) c->hs = pl_calloc(1, sizeof *c->hs);
    if (!c || !c->hs || (server_name && !(c->server_name = pl_strdup(server_name)))) {
        /* The config's error string is the only way to say why. */
        pl_cfg_errf(cfg, "out of memory for a new connection");
        if (c) pl_free(c->hs);
        pl_free(c);
        return NULL;
    }
    parley_config_ref(cfg);
    c->cfg = cfg;
    c->is_server = is_server;
    c->fd = -1;
    c->alert_sent = c->alert_received = -1;
    c->hsin.max = PL_MAX_HS_ANY + PL_MAX_PLAINTEXT + 4;
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

void pl_hs_free(pl_hs *hs)
{
    if (!hs) return;
    pl_transcript_free(&hs->transcript);
    pl_ks13_wipe(&hs->ks);
    pl_kex_free(hs->kex);
    pl_buf_free(&hs->cookie);
    pl_buf_free(&hs->peer_share);
    pl_buf_free(&hs->cert_req_ctx);
    pl_buf_free(&hs->cc_plain);
    /* A connection freed while its key operation is out (a client gone
     * mid-handshake): the provider must forget the op before its memory goes.
     * PENDING or COMPLETING (a complete running on another thread right now):
     * cancel() returns only once the provider will never touch the op again,
     * which includes waiting out that complete (parley.h, "Threading"). DONE,
     * seen with acquire, means the provider has let go: output is ours. */
    int op_state = pl_op_state(&hs->op);
    if ((op_state == PL_OP_PENDING || op_state == PL_OP_COMPLETING) && hs->op.provider && hs->op.provider->cancel)
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
    pl_pha_free(c);
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
    pl_free(c->refusal);
    pl_free(c->verify_result);
    pl_free(c->alpn);
    pl_buf_free(&c->early_out);
    if (c->sess) pl_cleanse(c->sess, sizeof *c->sess);
    pl_free(c->sess);
    pl_cleanse(c->res_secret, sizeof c->res_secret);
    parley_config_free(c->cfg);
    pl_cleanse(c, sizeof *c);
    pl_free(c);
}

/* ------------------------------------------------------------- errors */

int pl_conn_fail(parley_conn *c, int rc)
{
    if (c->failed) return PARLEY_ERROR;
    int code = PL_CODE(rc);
    if (code <= 0 || code >= PL_ERR__COUNT) code = PL_ERR_INTERNAL;
    c->failed = code;
    pl_conn_set_error(c, "%s", pl_last_code() == code && pl_last_message()[0] ? pl_last_message() : pl_err_name(code));
    /* After the handshake the verification result describes the identity
     * already proven; a post-handshake chain that fails was never it. */
    if (!c->hs_done && (code == PL_ERR_CERTIFICATE_EXPIRED || code == PL_ERR_UNKNOWN_CA || code == PL_ERR_BAD_CERTIFICATE ||
        code == PL_ERR_UNSUPPORTED_CERTIFICATE || code == PL_ERR_CERTIFICATE_REVOKED))
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

int pl_conn_refuse(parley_conn *c, const char *fmt, ...)
{
    char *m = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        m = pl_vformat(fmt, ap); /* NULL when out of memory: "" is reported */
        va_end(ap);
    }
    pl_free(c->refusal);
    c->refusal = m;
    return PARLEY_ERROR;
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
    if (rc == PL_HS_WAIT_EARLY) return PARLEY_EARLY_DATA;
    c->hs_done = 1;
    pl_trace(c, PARLEY_TRACE_INFO, -1, "handshake complete", 0, "");
    pl_exporter_keep(c);
    pl_hs_free(c->hs);
    c->hs = NULL;
    pl_client_early_after_handshake(c); /* not resent: the application decides (RFC 8446 4.2.10) */
    pl_conn_release_idle(c);
    return PARLEY_OK;
}

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
            *n = pl_take_app_data(c, buf, len);
            return PARLEY_OK;
        }
        if (c->closed_recv) return PARLEY_CLOSED;
        const uint8_t *msg;
        size_t mlen;
        /* A post-handshake authentication waiting for its signature holds
         * back every later message (RFC 8446 4.6.2: answered in order). */
        int rc = pl_pha_resume(c);
        if (rc < 0) return pl_conn_fail(c, rc);
        if (rc == PL_HS_WAIT_KEY_OP) return PARLEY_WANT_KEY_OP;
        rc = pl_conn_next_message(c, &msg, &mlen);
        if (rc == 1) {
            rc = pl_hs_post_handshake(c, msg, mlen);
            pl_conn_drop_message(c, mlen);
            if (rc < 0) return pl_conn_fail(c, rc);
            if (rc == PL_HS_WAIT_KEY_OP) return PARLEY_WANT_KEY_OP;
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

/* RFC 8446 2.3, 4.4.4: a TLS 1.3 server may send data after its first
 * flight (0.5-RTT), before it has the client's Finished: to a peer neither
 * authenticated nor known to be live. Parley sends it only once 0-RTT data
 * was accepted: the application then already answers a peer that may be a
 * replay, and a resumption has no client certificate to wait for (4.3.2: no
 * CertificateRequest with a PSK). Any other incomplete handshake, a client,
 * TLS 1.2: the write drives the handshake first, as always. */
static int pl_half_rtt_open(const parley_conn *c)
{
    return c->is_server && c->hs && c->hs->half_rtt && c->version == PARLEY_TLS1_3 &&
           c->early_status == PARLEY_EARLY_DATA_ACCEPTED;
}

int parley_conn_write(parley_conn *c, const uint8_t *buf, size_t len)
{
    if (c->failed) return PARLEY_ERROR;
    if (!c->hs_done && !pl_half_rtt_open(c)) {
        int rc = parley_conn_handshake(c);
        if (rc != PARLEY_OK) return rc;
    }
    if (c->closed_sent) {
        pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "write after close");
        /* A refusal, not a failure: the connection may still read. */
        return pl_conn_refuse(c, "write after close_notify was sent");
    }
    int rc = pl_answer_key_update(c, 1);
    if (rc < 0) return pl_conn_fail(c, rc);
    /* Reserve once for the whole write so sealing never reallocates mid-way.
     * Records carry at most 2^14 bytes, or what the peer's record_size_limit
     * leaves (RFC 8449 4). */
    size_t frag = pl_rsl_content_max(c), recs = len / frag + 1;
    rc = pl_buf_reserve(&c->out, len + recs * (PL_REC_HEADER + PL_GCM_EXPLICIT + 1 + PL_AEAD_TAG + c->cfg->record_pad));
    for (size_t off = 0; rc == 0 && off < len; off += frag) {
        size_t n = len - off < frag ? len - off : frag;
        rc = c->wr.tls12 ? pl_rec_seal12(&c->wr, &c->out, PL_CT_APPLICATION_DATA, buf + off, n)
                         : pl_rec_seal13(&c->wr, &c->out, PL_CT_APPLICATION_DATA, buf + off, n, pl_pad(c, n));
    }
    if (rc < 0) return pl_conn_fail(c, rc);
    return PARLEY_OK;
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
uint16_t parley_conn_peer_signature_scheme(const parley_conn *c) { return c->peer_sigscheme; }
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
    if (!c->failed) return ""; /* a refusal is not a failure: parley_conn_last_refusal */
    return c->errmsg ? c->errmsg : pl_err_name(c->failed);
}
const char *parley_conn_last_refusal(const parley_conn *c) { return c && c->refusal ? c->refusal : ""; }
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
    /* Pending until DONE is seen (acquire): NULL then means the result is
     * visible to this thread and the next handshake call may use it. */
    if (!c->hs) return NULL;
    int st = pl_op_state(&c->hs->op);
    return st == PL_OP_PENDING || st == PL_OP_COMPLETING ? &c->hs->op : NULL;
}

int parley_key_op_type(const parley_key_op *op) { return op->type; }
uint16_t parley_key_op_scheme(const parley_key_op *op) { return op->scheme; }
int parley_key_op_cert_index(const parley_key_op *op) { return op->cert_index; }

void parley_key_op_input(const parley_key_op *op, const uint8_t **data, size_t *len)
{
    *data = op->input.data;
    *len = op->input.len;
}

int parley_key_op_done(const parley_key_op *op)
{
    int st = pl_op_state(op);
    return st != PL_OP_PENDING && st != PL_OP_COMPLETING;
}

/* Any thread, once per op (parley.h, "Threading"). */
int parley_key_op_complete(parley_key_op *op, int ok, const uint8_t *out, size_t len)
{
    /* Claim the op: of two racing completes exactly one gets to write output;
     * the other (and any complete of an op not pending) fails untouched. */
    int expect = PL_OP_PENDING;
    if (!atomic_compare_exchange_strong_explicit(&op->state, &expect, PL_OP_COMPLETING, memory_order_acquire,
                                                 memory_order_relaxed))
        return PARLEY_ERROR;
    pl_buf_reset(&op->output);
    /* -1: the provider's result could not be kept (out of memory here, not its failure). */
    if (ok && len && pl_buf_bytes(&op->output, out, len) < 0) ok = -1;
    op->ok = ok;
    /* Release: output and ok are visible to whoever loads DONE with acquire.
     * The op is not touched after this store: the handshake thread may free
     * it as soon as it sees DONE. */
    atomic_store_explicit(&op->state, PL_OP_DONE, memory_order_release);
    return PARLEY_OK;
}
