/*
 * server12.c - the TLS 1.2 server handshake (RFC 5246 7.3), entered from the
 * TLS 1.3 server's ClientHello handler when 1.2 is the highest common version.
 *
 *   SEND_HELLO (ServerHello, Certificate) -> [SEND_SKE: signature, may pause]
 *   -> SEND_HELLO_DONE -> WAIT_CKE -> DERIVE (RSA decryption may pause)
 *   -> WAIT_FINISHED (after the client's CCS) -> SEND_FINISHED (CCS, Finished) -> DONE
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "messages.h"
#include "prf12.h"
#include "record_size_limit.h"

enum { S12_SEND_HELLO = 1, S12_SEND_SKE, S12_SEND_SHD, S12_WAIT_CKE, S12_DERIVE, S12_WAIT_FIN, S12_SEND_FIN, S12_WAIT_CCERT,
       S12_WAIT_CCV };

/* The ClientHello is decided (server12_hello.c): the TLS 1.2 table runs next. */
void pl_server12_enter(parley_conn *c)
{
    c->hs->table = &pl_server12_table;
    c->hs->state = S12_SEND_HELLO;
}

/* A sealed ticket for the current session (RFC 5077 4), sent as NewSessionTicket. */
static int pl_send_ticket(parley_conn *c)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_session ss;
    pl_buf b = {0};
    size_t m;
    pl_session_from_conn(c, &ss, hs->sess_created ? hs->sess_created : (uint64_t)time(NULL), cfg->session_lifetime);
    int rc = pl_buf_u32(&b, cfg->session_lifetime);
    if (rc == 0) rc = pl_buf_open(&b, 2, &m);
    if (rc == 0) rc = pl_ticket_seal_session(cfg, &ss, &b);
    pl_cleanse(&ss, sizeof ss);
    if (rc == 0) rc = pl_buf_close(&b, 2, m);
    if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_NEW_SESSION_TICKET, b.data, b.len);
    pl_buf_free(&b);
    return rc;
}

static int s12_send_hello(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_buf b = {0};
    size_t exts, m;
    int rc;
    (void)msg;
    (void)len;
    PL_GUARD(pl_random(hs->server_random, 32));
    /* RFC 8446 4.1.3: a TLS 1.3-capable server negotiating 1.2 says so. */
    if (cfg->max_version >= PARLEY_TLS1_3) memcpy(hs->server_random + 24, pl_downgrade12, 8);
    if ((rc = pl_buf_u16(&b, PARLEY_TLS1_2)) < 0 || (rc = pl_buf_bytes(&b, hs->server_random, 32)) < 0 ||
        (rc = pl_buf_u8(&b, (uint8_t)hs->session_id_len)) < 0 || (rc = pl_buf_bytes(&b, hs->session_id, hs->session_id_len)) < 0 ||
        (rc = pl_buf_u16(&b, c->suite)) < 0 || (rc = pl_buf_u8(&b, 0)) < 0 || (rc = pl_buf_open(&b, 2, &exts)) < 0)
        goto out;
    if (hs->reneg_ok && ((rc = pl_buf_u16(&b, PL_EXT_RENEGOTIATION_INFO)) < 0 || (rc = pl_buf_u16(&b, 1)) < 0 ||
                         (rc = pl_buf_u8(&b, 0)) < 0))
        goto out;
    if (hs->ems && ((rc = pl_buf_u16(&b, PL_EXT_EXTENDED_MASTER_SECRET)) < 0 || (rc = pl_buf_u16(&b, 0)) < 0)) goto out;
    if (hs->kx == PL_KX_ECDHE && hs->peer_point_formats &&
        ((rc = pl_buf_u16(&b, PL_EXT_EC_POINT_FORMATS)) < 0 || (rc = pl_buf_u16(&b, 2)) < 0 || (rc = pl_buf_u8(&b, 1)) < 0 ||
         (rc = pl_buf_u8(&b, 0)) < 0))
        goto out;
    if (c->alpn) {
        size_t al = strlen(c->alpn);
        if ((rc = pl_buf_u16(&b, PL_EXT_ALPN)) < 0 || (rc = pl_buf_open(&b, 2, &m)) < 0 ||
            (rc = pl_buf_u16(&b, (uint16_t)(al + 1))) < 0 || (rc = pl_buf_u8(&b, (uint8_t)al)) < 0 ||
            (rc = pl_buf_bytes(&b, c->alpn, al)) < 0 || (rc = pl_buf_close(&b, 2, m)) < 0)
            goto out;
    }
    if (hs->status_requested && ((rc = pl_buf_u16(&b, PL_EXT_STATUS_REQUEST)) < 0 || (rc = pl_buf_u16(&b, 0)) < 0)) goto out;
    if (hs->issue_ticket && ((rc = pl_buf_u16(&b, PL_EXT_SESSION_TICKET)) < 0 || (rc = pl_buf_u16(&b, 0)) < 0)) goto out;
    if (c->server_name && pl_chain_matches_name(&cfg->certs[hs->cert_index].chain, c->server_name) &&
        ((rc = pl_buf_u16(&b, PL_EXT_SERVER_NAME)) < 0 || (rc = pl_buf_u16(&b, 0)) < 0))
        goto out;
    if ((rc = pl_rsl_server_write(c, &b)) < 0) goto out; /* RFC 8449 4 */
    /* RFC 5246 7.4.1.3: the extensions field is optional; with none to send
     * (a client that offered none) it is left out, as a client from before
     * extensions expects. */
    if (b.len == exts + 2) b.len = exts;
    else if ((rc = pl_buf_close(&b, 2, exts)) < 0) goto out;
    if ((rc = pl_conn_send_handshake(c, PL_HS_SERVER_HELLO, b.data, b.len)) < 0)
        goto out;
    if (hs->resumed) {
        /* Abbreviated handshake (RFC 5246 7.3): our CCS and Finished now, the client's follow. */
        pl_trace(c, PARLEY_TRACE_INFO, -1, "session resumed", 0, "abbreviated handshake (RFC 5246 7.3)");
        if ((rc = pl_tls12_derive_keys(c)) < 0) goto out;
        if (hs->issue_ticket && (rc = pl_send_ticket(c)) < 0) goto out;
        hs->state = S12_SEND_FIN;
        goto out;
    }
    const pl_buf *cm = &cfg->certs[hs->cert_index].cert_msg12; /* encoded once per config */
    if ((rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE, cm->data, cm->len)) < 0) goto out;
    if (hs->status_requested) {
        /* RFC 6066 8: CertificateStatus right after Certificate. */
        const pl_buf *o = &cfg->certs[hs->cert_index].ocsp;
        pl_buf_reset(&b);
        if ((rc = pl_certificate_status_write(&b, o->data, o->len)) < 0 ||
            (rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE_STATUS, b.data, b.len)) < 0)
            goto out;
    }
    if (hs->kx == PL_KX_RSA) {
        hs->state = S12_SEND_SHD;
        goto out;
    }
    /* ServerECDHParams (RFC 8422 5.4) or ServerDHParams (RFC 5246 7.4.3). */
    uint8_t pub[PL_MAX_KEX_PUB];
    size_t publen;
    if ((rc = pl_kex_generate(c->group, &hs->kex, pub, &publen)) < 0) goto out;
    if (hs->kx == PL_KX_DHE) pl_kex_set_tls12(hs->kex);
    pl_buf_reset(&hs->ske_params);
    if (hs->kx == PL_KX_ECDHE) {
        if ((rc = pl_buf_u8(&hs->ske_params, 3)) < 0 || (rc = pl_buf_u16(&hs->ske_params, c->group)) < 0 ||
            (rc = pl_buf_u8(&hs->ske_params, (uint8_t)publen)) < 0 || (rc = pl_buf_bytes(&hs->ske_params, pub, publen)) < 0)
            goto out;
    } else {
        const uint8_t *prime;
        size_t pl = pl_ffdhe_prime(c->group, &prime);
        if ((rc = pl_buf_u16(&hs->ske_params, (uint16_t)pl)) < 0 || (rc = pl_buf_bytes(&hs->ske_params, prime, pl)) < 0 ||
            (rc = pl_buf_u16(&hs->ske_params, 1)) < 0 || (rc = pl_buf_u8(&hs->ske_params, 2)) < 0 ||
            (rc = pl_buf_u16(&hs->ske_params, (uint16_t)publen)) < 0 || (rc = pl_buf_bytes(&hs->ske_params, pub, publen)) < 0)
            goto out;
    }
    hs->state = S12_SEND_SKE;
out:
    pl_buf_free(&b);
    return rc;
}

static int s12_send_ske(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_buf in = {0}, b = {0};
    int rc = 0;
    (void)msg;
    (void)len;
    if (pl_op_state(&hs->op) == PL_OP_IDLE) { /* acquire: the op may be completing elsewhere */
        if ((rc = pl_buf_bytes(&in, hs->client_random, 32)) < 0 || (rc = pl_buf_bytes(&in, hs->server_random, 32)) < 0 ||
            (rc = pl_buf_bytes(&in, hs->ske_params.data, hs->ske_params.len)) < 0)
            goto out;
    }
    rc = pl_key_op_run(c, PARLEY_KEY_OP_SIGN, hs->sig_scheme, in.data, in.len);
    if (rc != 0) goto out;
    if ((rc = pl_buf_bytes(&b, hs->ske_params.data, hs->ske_params.len)) < 0 || (rc = pl_buf_u16(&b, hs->sig_scheme)) < 0 ||
        (rc = pl_buf_u16(&b, (uint16_t)hs->op.output.len)) < 0 || (rc = pl_buf_bytes(&b, hs->op.output.data, hs->op.output.len)) < 0 ||
        (rc = pl_conn_send_handshake(c, PL_HS_SERVER_KEY_EXCHANGE, b.data, b.len)) < 0)
        goto out;
    hs->state = S12_SEND_SHD;
out:
    pl_buf_free(&in);
    pl_buf_free(&b);
    return rc;
}

static int s12_send_shd(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    (void)msg;
    (void)len;
    if (cfg->verify_client) {
        /* RFC 5246 7.4.4: certificate types, signature algorithms, CA names. */
        static const uint8_t types[] = {2, 1 /* rsa_sign */, 64 /* ecdsa_sign */};
        pl_buf b = {0};
        size_t m;
        int rc = pl_buf_bytes(&b, types, sizeof types);
        if (rc == 0) rc = pl_buf_open(&b, 2, &m);
        for (size_t i = 0; rc == 0 && i < cfg->nsigalgs; i++) rc = pl_buf_u16(&b, cfg->sigalgs[i]);
        if (rc == 0) rc = pl_buf_close(&b, 2, m);
        if (rc == 0) rc = pl_buf_u16(&b, (uint16_t)cfg->ca_names.len);
        if (rc == 0) rc = pl_buf_bytes(&b, cfg->ca_names.data, cfg->ca_names.len);
        if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE_REQUEST, b.data, b.len);
        pl_buf_free(&b);
        PL_GUARD(rc);
        hs->cert_requested = 1;
    }
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_SERVER_HELLO_DONE, NULL, 0));
    hs->state = hs->cert_requested ? S12_WAIT_CCERT : S12_WAIT_CKE;
    return 0;
}

static int s12_recv_ccert(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_certificate ct;
    PL_GUARD(pl_certificate12_parse(msg + 4, len - 4, &ct));
    if (ct.n == 0) {
        /* RFC 5246 7.4.6: a server that requires one answers handshake_failure. */
        PL_ENSURE(c->cfg->verify_client != PARLEY_VERIFY_CLIENT_REQUIRE, PL_ERR_HANDSHAKE_FAILURE,
                  "the client sent no certificate, and one is required");
    } else {
        PL_GUARD(pl_take_peer_chain(c, &ct));
        hs->peer_sent_cert = 1;
    }
    hs->state = S12_WAIT_CKE;
    return 0;
}

static int s12_recv_ccv(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_certificate_verify cv;
    PL_GUARD(pl_certificate_verify_parse(msg + 4, len - 4, &cv));
    PL_ENSURE(pl_u16_in(c->cfg->sigalgs, c->cfg->nsigalgs, cv.scheme), PL_ERR_ILLEGAL_PARAMETER,
              "client signed with %s, which was not requested%s", parley_sigscheme_name(cv.scheme),
              pl_sigscheme_is_legacy(cv.scheme) ? " (a SHA-1/SHA-224 scheme, which Parley refuses)" : "");
    PL_ENSURE(pl_sig_scheme_fits_key(hs->peer_key, cv.scheme, 0), PL_ERR_ILLEGAL_PARAMETER,
              "client's signature scheme %s does not fit its certificate key", parley_sigscheme_name(cv.scheme));
    /* RFC 5246 7.4.8: the signature covers all handshake messages so far. The
     * raw transcript holds them; the CertificateVerify itself is not yet in it. */
    const pl_buf *raw = &hs->transcript.raw;
    PL_GUARD(pl_peer_signature_verdict(pl_sig_verify(hs->peer_key, cv.scheme, raw->data, raw->len, cv.signature.p, cv.signature.len),
                                       "the client's CertificateVerify"));
    c->peer_sigscheme = cv.scheme;
    hs->ccs_expected = 1;
    hs->state = S12_WAIT_FIN;
    return 0;
}

static int s12_recv_cke(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_cursor v;
    PL_GUARD(pl_client_key_exchange_parse(msg + 4, len - 4, hs->kx, &v));
    pl_buf_reset(&hs->cke);
    PL_GUARD(pl_buf_bytes(&hs->cke, v.p, v.len));
    /* RFC 7627 3: session_hash covers the messages through ClientKeyExchange. */
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    PL_GUARD(pl_transcript_hash(&hs->transcript, hs->session_hash));
    hs->state = S12_DERIVE;
    return 0;
}

static int s12_derive(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    (void)msg;
    (void)len;
    if (hs->kx == PL_KX_RSA) {
        /* The provider decrypts with implicit rejection: 48 bytes, always. */
        int rc = pl_key_op_run(c, PARLEY_KEY_OP_RSA_DECRYPT, 0, hs->cke.data, hs->cke.len);
        if (rc != 0) return rc;
        PL_ENSURE(hs->op.output.len == 48, PL_ERR_INTERNAL, "the key provider returned a %zu-byte premaster", hs->op.output.len);
        PL_GUARD(pl_buf_bytes(&hs->pm, hs->op.output.data, 48));
        pl_buf_reset(&hs->op.output);
    } else {
        uint8_t secret[PL_MAX_KEX_SECRET];
        size_t slen;
        int rc = pl_kex_derive(hs->kex, hs->cke.data, hs->cke.len, secret, &slen);
        if (rc == 0) rc = pl_buf_bytes(&hs->pm, secret, slen);
        pl_cleanse(secret, sizeof secret);
        PL_GUARD(rc);
    }
    pl_buf_free(&hs->cke);
    PL_GUARD(pl_tls12_derive_keys(c));
    /* With a client certificate, its CertificateVerify comes before the CCS. */
    hs->ccs_expected = !hs->peer_sent_cert;
    hs->state = hs->peer_sent_cert ? S12_WAIT_CCV : S12_WAIT_FIN;
    return 0;
}

static int s12_recv_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], expect[12];
    PL_ENSURE(hs->ccs_seen, PL_ERR_UNEXPECTED_MESSAGE, "client Finished before its ChangeCipherSpec");
    PL_ENSURE(len == 4 + 12, PL_ERR_DECODE, "Finished has %zu bytes, expected 12", len - 4);
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_finished12(hs->hash, hs->master, 0, th, expect));
    PL_ENSURE(pl_ct_memcmp(expect, msg + 4, 12) == 0, PL_ERR_DECRYPT_ERROR, "the client's Finished does not verify");
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    hs->state = hs->resumed ? PL_ST_DONE : S12_SEND_FIN;
    return 0;
}

/* After a full handshake: remember the session under its id. */
static void pl_server12_store_session(parley_conn *c)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_session ss;
    if (!cfg->cache || !hs->session_id_len || !hs->ems) return; /* RFC 7627 5.4 */
    /* A client given a ticket resumes with it (RFC 5077 3.4): caching the
     * session under its id too would cost a cache entry (with Redis, a
     * write) per full handshake that no one uses. */
    if (hs->issue_ticket) return;
    pl_session_from_conn(c, &ss, (uint64_t)time(NULL), cfg->session_lifetime);
    memcpy(ss.id, hs->session_id, hs->session_id_len);
    ss.id_len = (uint8_t)hs->session_id_len;
    (void)pl_cache_store_session(cfg, ss.id, ss.id_len, &ss, ss.lifetime);
    pl_cleanse(&ss, sizeof ss);
}

static int s12_send_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], fin[12];
    (void)msg;
    (void)len;
    /* Full handshake: the ticket goes before our CCS (RFC 5077 3.1). On a
     * resumption it was sent right after the ServerHello. */
    if (!hs->resumed && hs->issue_ticket) PL_GUARD(pl_send_ticket(c));
    PL_GUARD(pl_conn_send_ccs(c));
    c->wr = hs->pending_wr;
    memset(&hs->pending_wr, 0, sizeof hs->pending_wr);
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_finished12(hs->hash, hs->master, 1, th, fin));
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_FINISHED, fin, 12));
    if (hs->resumed) {
        hs->ccs_expected = 1; /* now the client's CCS and Finished */
        hs->state = S12_WAIT_FIN;
        return 0;
    }
    pl_server12_store_session(c);
    hs->state = PL_ST_DONE;
    return 0;
}

static const pl_hs_row pl_server12_rows[] = {
    [S12_SEND_HELLO] = {"SEND_SERVER_HELLO_AND_CERTIFICATE", 0, 0, 0, s12_send_hello, {S12_SEND_SKE, S12_SEND_SHD, S12_SEND_FIN}},
    [S12_SEND_SKE] = {"SEND_SERVER_KEY_EXCHANGE", 0, 0, 0, s12_send_ske, {S12_SEND_SHD}},
    [S12_SEND_SHD] = {"SEND_SERVER_HELLO_DONE", 0, 0, 0, s12_send_shd, {S12_WAIT_CKE, S12_WAIT_CCERT}},
    [S12_WAIT_CCERT] = {"WAIT_CLIENT_CERTIFICATE", PL_HS_CERTIFICATE, 0, 0, s12_recv_ccert, {S12_WAIT_CKE}},
    [S12_WAIT_CCV] = {"WAIT_CLIENT_CERTIFICATE_VERIFY", PL_HS_CERTIFICATE_VERIFY, 0, 0, s12_recv_ccv, {S12_WAIT_FIN}},
    [S12_WAIT_CKE] = {"WAIT_CLIENT_KEY_EXCHANGE", PL_HS_CLIENT_KEY_EXCHANGE, 0, 1, s12_recv_cke, {S12_DERIVE}},
    [S12_DERIVE] = {"DERIVE_KEYS", 0, 0, 0, s12_derive, {S12_WAIT_FIN, S12_WAIT_CCV}},
    [S12_WAIT_FIN] = {"WAIT_FINISHED", PL_HS_FINISHED, 0, 1, s12_recv_fin, {S12_SEND_FIN, PL_ST_DONE}},
    [S12_SEND_FIN] = {"SEND_FINISHED", 0, 0, 0, s12_send_fin, {PL_ST_DONE, S12_WAIT_FIN}},
};

const pl_hs_table pl_server12_table = {"server (TLS 1.2)", pl_server12_rows, sizeof pl_server12_rows / sizeof pl_server12_rows[0]};
