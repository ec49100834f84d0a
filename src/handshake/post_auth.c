/*
 * handshake/post_auth.c - TLS 1.3 post-handshake client authentication
 * (RFC 8446 4.6.2).
 *
 * The transcript through the client Finished is kept (a copy of the hash
 * state, only when the client offered post_handshake_auth) as the base of
 * every exchange: its messages are hashed on top of a fresh copy, so one
 * exchange never leaks into the next (RFC 8446 4.4, "Post-Handshake"). An
 * exchange runs in a short-lived handshake state (c->hs) so that the code of
 * the handshake serves it: the chain is verified by pl_take_peer_chain, the
 * client's certificate is chosen by pl_choose_client_cert and signed through
 * the key provider by pl_key_op_run (a paused operation is what
 * parley_conn_pending_key_op returns). The Finished key comes from the
 * client's current application traffic secret (RFC 8446 4.4.4): c->wr on
 * the client, c->rd on the server (after any KeyUpdate, the newest).
 *
 * The exchange's transcript is the handshake's through the client Finished,
 * then CertificateRequest, Certificate, CertificateVerify (and Finished):
 * nothing else (RFC 8446 4.4.1). pl_send_handshake adds nothing to a
 * transcript after the handshake, so a KeyUpdate (ours, or the answer to the
 * peer's) sent while an exchange is open stays out of it; pl_pha_send adds
 * the exchange's own messages.
 *
 * The server publishes the client's chain (peer certificates, verification
 * result) only once the Finished verifies: until then it is staged
 * (pl_pha_id), and the connection reports what earlier exchanges proved.
 *
 * Bounds: a server has at most one request outstanding; a client answers
 * one at a time (later messages wait in the input until the answer is out).
 */
#include <string.h>

#include "../internal.h"
#include "messages.h"

enum { PHA_IDLE = 0, PHA_WAIT_CERT, PHA_WAIT_CV, PHA_WAIT_FIN, PHA_SIGNING };
#define PL_PHA_CTX_LEN 32


int pl_pha_snapshot(parley_conn *c)
{
    if (!c->pha_offered || c->pha || !c->hs || !c->hs->transcript.h) return 0;
    /* Only when a request is possible: a server without client CAs never asks. */
    if (c->is_server && !c->cfg->verify_client) return 0;
    pl_pha *p = pl_calloc(1, sizeof *p);
    PL_ENSURE(p, PL_ERR_NOMEM, "out of memory");
    p->base = pl_hash_dup(c->hs->transcript.h);
    p->hash = c->hs->transcript.hash;
    if (!p->base) {
        pl_free(p);
        PL_BAIL(PL_ERR_NOMEM, "out of memory");
    }
    c->pha = p;
    return 0;
}

static void pl_pha_id_free(pl_pha_id *id)
{
    for (int i = 0; id->certs && i < PL_MAX_PEER_CERTS; i++) pl_buf_free(&id->certs[i]);
    pl_free(id->certs);
    pl_free(id->verify);
    memset(id, 0, sizeof *id);
}

/* Exchange the connection's reported identity with *id. */
static void pl_pha_id_swap(parley_conn *c, pl_pha_id *id)
{
    pl_pha_id t = {c->peer_certs, c->npeer_certs, c->verify_result};
    c->peer_certs = id->certs;
    c->npeer_certs = id->n;
    c->verify_result = id->verify;
    *id = t;
}

void pl_pha_free(parley_conn *c)
{
    if (!c->pha) return;
    pl_pha_id_free(&c->pha->staged);
    pl_hash_free(c->pha->base);
    pl_cleanse(c->pha, sizeof *c->pha);
    pl_free(c->pha);
    c->pha = NULL;
}

/* A handshake state for one exchange, its transcript the kept base. */
static int pl_pha_begin(parley_conn *c)
{
    PL_ENSURE(!c->hs, PL_ERR_INTERNAL, "a handshake state is already in use");
    pl_hs *hs = pl_calloc(1, sizeof *hs);
    PL_ENSURE(hs, PL_ERR_NOMEM, "out of memory");
    hs->client_cert = -1;
    hs->hash = c->pha->hash;
    hs->transcript.hash = c->pha->hash;
    hs->transcript.h = pl_hash_dup(c->pha->base);
    hs->client_version = PARLEY_TLS1_3;
    if (!hs->transcript.h) {
        pl_free(hs);
        PL_BAIL(PL_ERR_NOMEM, "out of memory");
    }
    c->hs = hs;
    return 0;
}

/* One message of the exchange: into its transcript, then out. by_peer:
 * the client's answer, held to the output cap (pl_peer_room). */
static int pl_pha_send(parley_conn *c, uint8_t type, const uint8_t *body, size_t len, int by_peer)
{
    uint8_t h[4] = {type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    if (by_peer) PL_GUARD(pl_peer_room(c, 4 + len)); /* before hashing: a refusal leaves the transcript as it was */
    PL_GUARD(pl_transcript_add(&c->hs->transcript, h, 4));
    PL_GUARD(pl_transcript_add(&c->hs->transcript, body, len));
    return pl_send_handshake(c, type, body, len, by_peer);
}

static void pl_pha_end(parley_conn *c)
{
    pl_hs_free(c->hs);
    c->hs = NULL;
    c->pha->state = PHA_IDLE;
}

/* ------------------------------------------------------------- server */

static int pl_write_cr(parley_conn *c, pl_buf *b)
{
    parley_config *cfg = c->cfg;
    size_t exts, sa, m2;
    /* RFC 8446 4.3.2: a fresh context, signature_algorithms (no PKCS#1 in
     * 1.3), and the CAs we trust. */
    PL_GUARD(pl_buf_u8(b, (uint8_t)c->pha->ctx_len));
    PL_GUARD(pl_buf_bytes(b, c->pha->ctx, c->pha->ctx_len));
    PL_GUARD(pl_buf_open(b, 2, &exts));
    PL_GUARD(pl_buf_u16(b, PL_EXT_SIGNATURE_ALGORITHMS));
    PL_GUARD(pl_buf_open(b, 2, &sa));
    PL_GUARD(pl_buf_open(b, 2, &m2));
    for (size_t i = 0; i < cfg->nsigalgs; i++)
        if ((cfg->sigalgs[i] & 0xff) != 0x01) PL_GUARD(pl_buf_u16(b, cfg->sigalgs[i]));
    PL_ENSURE(pl_verify_list_has_tls13(cfg), PL_ERR_HANDSHAKE_FAILURE, PL_NO_TLS13_VERIFY_SCHEME);
    PL_GUARD(pl_buf_close(b, 2, m2));
    PL_GUARD(pl_buf_close(b, 2, sa));
    if (cfg->ca_names.len) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_CERTIFICATE_AUTHORITIES));
        PL_GUARD(pl_buf_u16(b, (uint16_t)(cfg->ca_names.len + 2)));
        PL_GUARD(pl_buf_u16(b, (uint16_t)cfg->ca_names.len));
        PL_GUARD(pl_buf_bytes(b, cfg->ca_names.data, cfg->ca_names.len));
    }
    return pl_buf_close(b, 2, exts);
}

static int pl_pha_refuse(parley_conn *c, const char *why)
{
    return pl_conn_refuse(c, "post-handshake client authentication refused: %s", why);
}

int parley_conn_request_client_auth(parley_conn *c)
{
    if (!c || c->failed) return PARLEY_ERROR;
    (void)pl_conn_refuse(c, NULL); /* the refusal text is this call's */
    if (!c->is_server) return pl_pha_refuse(c, "only a server asks");
    if (!c->hs_done) return pl_pha_refuse(c, "the handshake is not complete");
    if (c->version != PARLEY_TLS1_3) return pl_pha_refuse(c, "TLS 1.2 has no post-handshake authentication");
    if (c->closed_sent) return pl_pha_refuse(c, "close_notify was sent");
    if ((!c->cfg->client_trust && !c->cfg->verify_cb) || !c->cfg->verify_client)
        return pl_pha_refuse(c, "no client CAs are configured to verify a certificate with");
    if (!c->pha_offered || !c->pha) return pl_pha_refuse(c, "the client did not offer post_handshake_auth (RFC 8446 4.2.6)");
    if (c->pha->state != PHA_IDLE) return pl_pha_refuse(c, "a request is already outstanding");
    pl_buf b = {0};
    /* RFC 8446 4.6.2: a context unique on this connection: 32 random bytes. */
    c->pha->ctx_len = PL_PHA_CTX_LEN;
    int rc = pl_random(c->pha->ctx, PL_PHA_CTX_LEN);
    if (rc == 0) rc = pl_write_cr(c, &b);
    if (rc == 0) rc = pl_pha_begin(c);
    /* The application's request, not the peer's doing: not held to the cap. */
    if (rc == 0) rc = pl_pha_send(c, PL_HS_CERTIFICATE_REQUEST, b.data, b.len, 0);
    pl_buf_free(&b);
    if (rc < 0) return pl_conn_fail(c, rc);
    c->pha->state = PHA_WAIT_CERT;
    c->pha->status = PARLEY_CLIENT_AUTH_PENDING;
    return PARLEY_OK;
}

int parley_conn_client_auth_status(const parley_conn *c) { return c && c->pha ? c->pha->status : PARLEY_CLIENT_AUTH_NONE; }

static int pl_pha_server_cert(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_certificate ct;
    PL_GUARD(pl_certificate_parse(msg + 4, len - 4, &ct));
    /* RFC 8446 4.4.2: the context of the request it answers. */
    PL_ENSURE(ct.context.len == c->pha->ctx_len && memcmp(ct.context.p, c->pha->ctx, ct.context.len) == 0,
              PL_ERR_ILLEGAL_PARAMETER, "client Certificate does not echo the post-handshake request's context");
    /* RFC 8446 4.4.2: our CertificateRequest never asks for status_request. */
    PL_ENSURE(!ct.any_status, PL_ERR_UNSUPPORTED_EXTENSION, "client Certificate carries status_request, which was not requested");
    if (ct.n == 0) {
        /* RFC 8446 4.4.2.4: certificate_required when one is required. */
        PL_ENSURE(c->cfg->verify_client != PARLEY_VERIFY_CLIENT_REQUIRE, PL_ERR_CERTIFICATE_REQUIRED,
                  "the client sent no certificate after the handshake, and one is required");
        /* Staged as no identity at all (reported "no client certificate"):
         * once the Finished verifies, an earlier chain is no longer claimed. */
        pl_pha_id_free(&c->pha->staged);
        c->pha->state = PHA_WAIT_FIN;
    } else {
        /* Verified into an empty identity, which is then kept aside: the
         * connection goes on reporting the earlier one until Finished. */
        pl_pha_id_free(&c->pha->staged);
        pl_pha_id_swap(c, &c->pha->staged);
        int rc = pl_take_peer_chain(c, &ct);
        pl_pha_id_swap(c, &c->pha->staged);
        PL_GUARD(rc);
        c->hs->peer_sent_cert = 1;
        c->pha->state = PHA_WAIT_CV;
    }
    return pl_transcript_add(&c->hs->transcript, msg, len);
}

static int pl_pha_server_cv(parley_conn *c, const uint8_t *msg, size_t len)
{
    PL_GUARD(pl_server13_check_client_cv(c, msg, len, "the client's post-handshake CertificateVerify"));
    c->pha->state = PHA_WAIT_FIN;
    return pl_transcript_add(&c->hs->transcript, msg, len);
}

static int pl_pha_server_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH];
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    /* RFC 8446 4.4.4: the finished key of client_application_traffic_secret_N. */
    PL_GUARD(pl_ks13_check_finished(hs->hash, c->rd.secret, th, msg, len, "the client's post-handshake Finished"));
    /* Proven: publish what this exchange showed (and only that). */
    pl_pha_id_swap(c, &c->pha->staged);
    pl_pha_id_free(&c->pha->staged);
    c->pha->status = hs->peer_sent_cert ? PARLEY_CLIENT_AUTH_OK : PARLEY_CLIENT_AUTH_EMPTY;
    pl_trace(c, PARLEY_TRACE_INFO, -1, "post-handshake client authentication", 0,
             hs->peer_sent_cert ? "certificate verified" : "no certificate");
    pl_pha_end(c);
    return 0;
}

/* ------------------------------------------------------------- client */

/* CertificateVerify from the signature in hs->op (when a certificate was
 * sent), then Finished; the exchange is over. */
static int pl_pha_client_finish(parley_conn *c, int signed_cv)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], fin[PL_MAX_HASH];
    if (signed_cv) {
        pl_buf b = {0};
        int rc = pl_buf_u16(&b, hs->client_scheme);
        if (rc == 0) rc = pl_buf_u16(&b, (uint16_t)hs->op.output.len);
        if (rc == 0) rc = pl_buf_bytes(&b, hs->op.output.data, hs->op.output.len);
        if (rc == 0) rc = pl_pha_send(c, PL_HS_CERTIFICATE_VERIFY, b.data, b.len, 1);
        pl_buf_free(&b);
        PL_GUARD(rc);
    }
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    /* RFC 8446 4.4.4: the finished key of client_application_traffic_secret_N. */
    PL_GUARD(pl_ks13_finished(hs->hash, c->wr.secret, th, fin));
    PL_GUARD(pl_pha_send(c, PL_HS_FINISHED, fin, pl_hash_len(hs->hash), 1));
    pl_cleanse(fin, sizeof fin);
    pl_trace(c, PARLEY_TRACE_INFO, -1, "post-handshake client authentication", 0,
             signed_cv ? "certificate sent" : "empty certificate sent");
    pl_pha_end(c);
    return 0;
}

static int pl_pha_client_request(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_certificate_request cr;
    pl_buf b = {0}, content = {0};
    /* RFC 8446 4.6.2: a client that did not offer post_handshake_auth MUST
     * treat a CertificateRequest as unexpected_message. */
    PL_ENSURE(c->pha, PL_ERR_UNEXPECTED_MESSAGE, "CertificateRequest after the handshake, which was not offered (post_handshake_auth)");
    PL_ENSURE(c->pha->state == PHA_IDLE, PL_ERR_UNEXPECTED_MESSAGE, "CertificateRequest while the previous one is being answered");
    /* Each answer costs a signature: a run of requests with no application
     * data in between is a flood (as KeyUpdate's and NewSessionTicket's). */
    PL_ENSURE(++c->pha_requests <= PL_MAX_PHA_WITHOUT_DATA, PL_ERR_UNEXPECTED_MESSAGE,
              "more than %d post-handshake CertificateRequests without application data in between", PL_MAX_PHA_WITHOUT_DATA);
    PL_GUARD(pl_certificate_request_parse(msg + 4, len - 4, &cr));
    /* RFC 8446 4.3.2: the context is for post-handshake requests; ours
     * must echo it (and an empty one would collide with the handshake's). */
    PL_ENSURE(cr.context.len > 0, PL_ERR_ILLEGAL_PARAMETER, "post-handshake CertificateRequest has an empty context");
    memcpy(c->pha->ctx, cr.context.p, cr.context.len);
    c->pha->ctx_len = cr.context.len;
    PL_GUARD(pl_pha_begin(c));
    pl_hs *hs = c->hs;
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    PL_GUARD(pl_buf_bytes(&hs->req_sigalgs, cr.sigalgs.p, cr.sigalgs.len));
    if (cr.has_cas) PL_GUARD(pl_buf_bytes(&hs->req_cas, cr.cas.p, cr.cas.len));
    pl_choose_client_cert(c, 1);
    const pl_chain *ch = hs->client_cert >= 0 ? &c->cfg->certs[hs->client_cert].chain : NULL;
    int rc = pl_certificate_write(&b, c->pha->ctx, c->pha->ctx_len, ch ? ch->der : NULL, ch ? ch->der_len : NULL, ch ? ch->n : 0);
    if (rc == 0) rc = pl_pha_send(c, PL_HS_CERTIFICATE, b.data, b.len, 1);
    pl_buf_free(&b);
    PL_GUARD(rc);
    if (!ch) return pl_pha_client_finish(c, 0);
    uint8_t th[PL_MAX_HASH];
    rc = pl_transcript_hash(&hs->transcript, th);
    if (rc == 0) rc = pl_certificate_verify_content(0, th, pl_hash_len(hs->hash), &content);
    if (rc == 0) rc = pl_key_op_run(c, PARLEY_KEY_OP_SIGN, hs->client_scheme, content.data, content.len);
    pl_buf_free(&content);
    if (rc < 0) return rc;
    if (rc == PL_HS_WAIT_KEY_OP) {
        c->pha->state = PHA_SIGNING; /* pl_pha_resume goes on when it is done */
        return rc;
    }
    return pl_pha_client_finish(c, 1);
}

int pl_pha_resume(parley_conn *c)
{
    if (!c->pha || c->is_server || c->pha->state != PHA_SIGNING) return 0;
    /* The op is pending or done, never idle here: this only collects it. */
    int rc = pl_key_op_run(c, PARLEY_KEY_OP_SIGN, c->hs->client_scheme, NULL, 0);
    if (rc != 0) return rc;
    return pl_pha_client_finish(c, 1);
}
int pl_pha_message(parley_conn *c, const uint8_t *msg, size_t len)
{
    if (!c->is_server) {
        PL_ENSURE(msg[0] == PL_HS_CERTIFICATE_REQUEST, PL_ERR_UNEXPECTED_MESSAGE, "received %s after the handshake",
                  pl_hs_type_name(msg[0]));
        return pl_pha_client_request(c, msg, len);
    }
    int st = c->pha ? c->pha->state : PHA_IDLE;
    /* RFC 8446 4.6.2: Certificate, CertificateVerify, Finished, in this
     * order, only in answer to our request. */
    if (msg[0] == PL_HS_CERTIFICATE && st == PHA_WAIT_CERT) return pl_pha_server_cert(c, msg, len);
    if (msg[0] == PL_HS_CERTIFICATE_VERIFY && st == PHA_WAIT_CV) return pl_pha_server_cv(c, msg, len);
    if (msg[0] == PL_HS_FINISHED && st == PHA_WAIT_FIN) return pl_pha_server_fin(c, msg, len);
    PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "received %s after the handshake%s", pl_hs_type_name(msg[0]),
            st == PHA_IDLE ? ", without a request" : " out of order in post-handshake authentication");
}
