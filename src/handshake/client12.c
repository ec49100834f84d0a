/*
 * client12.c - the TLS 1.2 client handshake (RFC 5246 7.3), entered from the
 * TLS 1.3 client when the server answers with a TLS 1.2 ServerHello.
 *
 *   WAIT_CERT -> [WAIT_SKE] -> WAIT_CR_OR_SHD -> [WAIT_SHD] -> SEND_FLIGHT
 *   (Certificate?, ClientKeyExchange, CCS, Finished) -> WAIT_FINISHED -> DONE
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dh_group12.h"
#include "dispatch.h"
#include "messages.h"
#include "record_size_limit.h"
#include "prf12.h"

enum { C12_WAIT_CERT = 1, C12_WAIT_SKE, C12_WAIT_CR_SHD, C12_WAIT_SHD, C12_SEND_FLIGHT, C12_WAIT_FIN, C12_SEND_CV, C12_SEND_FIN,
       C12_WAIT_CS, C12_WAIT_NST };

/* The server echoed the session we offered: the abbreviated handshake. */
static int pl_client12_resume(parley_conn *c, const pl_server_hello *sh)
{
    pl_hs *hs = c->hs;
    const pl_session *ss = c->sess;
    PL_ENSURE(sh->suite == ss->suite, PL_ERR_ILLEGAL_PARAMETER, "server resumed the session with a different cipher suite");
    /* RFC 7627 5.3: the EMS state of the resumed session must not change. */
    PL_ENSURE(sh->has_ems == ss->ems, PL_ERR_HANDSHAKE_FAILURE, "server resumed the session with a different extended master secret state");
    memcpy(hs->master, ss->secret, 48);
    hs->resumed = 1;
    c->resumed = 1;
    /* No exchange in an abbreviated handshake: the group is the session's. */
    c->group = ss->group;
    PL_GUARD(pl_client_set_resumed_verify(c));
    PL_GUARD(pl_tls12_derive_keys(c));
    pl_trace(c, PARLEY_TRACE_INFO, -1, "session resumed", 0, "abbreviated handshake (RFC 5246 7.3)");
    /* A new ticket, if announced, comes before the server's CCS (RFC 5077 3.1). */
    hs->ccs_expected = !hs->ticket_expected;
    hs->state = hs->ticket_expected ? C12_WAIT_NST : C12_WAIT_FIN;
    return 0;
}

/* After a full handshake: keep the session the server named, for later.
 * The connection's session is then this one or none: a session offered
 * before and not resumed is dropped, so that parley_conn_get_session never
 * hands back a session this connection did not make. */
static void pl_client12_keep_session(parley_conn *c)
{
    pl_hs *hs = c->hs;
    /* RFC 7627 5.4: without EMS the session is not resumable: not kept. */
    if ((!hs->peer_session_len && !hs->new_ticket.len) || !hs->ems) {
        if (c->sess) pl_cleanse(c->sess, sizeof *c->sess);
        pl_free(c->sess);
        c->sess = NULL;
        if (!hs->ems) pl_trace(c, PARLEY_TRACE_INFO, -1, "session not kept", 0, "no extended master secret: not resumable (RFC 7627 5.4)");
        return;
    }
    if (!c->sess && !(c->sess = pl_calloc(1, sizeof *c->sess))) return;
    pl_session *ss = c->sess;
    pl_session_from_conn(c, ss, (uint64_t)time(NULL), 86400);
    if (hs->new_ticket.len && hs->new_ticket.len <= PL_MAX_TICKET) {
        memcpy(ss->ticket, hs->new_ticket.data, hs->new_ticket.len);
        ss->ticket_len = (uint16_t)hs->new_ticket.len;
    }
    memcpy(ss->id, hs->peer_session, hs->peer_session_len);
    ss->id_len = hs->peer_session_len;
}

int pl_client12_server_hello(parley_conn *c, const void *vsh, const uint8_t *msg, size_t len)
{
    const pl_server_hello *sh = vsh;
    parley_config *cfg = c->cfg;
    pl_hs *hs = c->hs;
    const pl_suite *suite = pl_suite_find(sh->suite);
    PL_ENSURE(hs->offered12 && sh->legacy_version == PARLEY_TLS1_2, PL_ERR_PROTOCOL_VERSION,
              "server chose %s, which is not enabled", parley_version_name(sh->legacy_version));
    PL_ENSURE(!hs->hrr_done, PL_ERR_ILLEGAL_PARAMETER, "TLS 1.2 ServerHello after a HelloRetryRequest");
    /* RFC 8446 4.1.3: a TLS 1.3 client must catch a downgrade to 1.2. */
    if (hs->offered13) {
        PL_ENSURE(memcmp(sh->random + 24, pl_downgrade12, 7) != 0 || (sh->random[31] != 0x01 && sh->random[31] != 0x00),
                  PL_ERR_ILLEGAL_PARAMETER, "downgrade detected: the server supports TLS 1.3 but answered with TLS 1.2");
    }
    PL_ENSURE(suite && suite->version == 12 && pl_u16_in(cfg->suites, cfg->nsuites, sh->suite) && pl_suite_usable(cfg, sh->suite),
              PL_ERR_ILLEGAL_PARAMETER, "server selected cipher suite 0x%04x, which was not offered for TLS 1.2", sh->suite);
    PL_ENSURE(sh->compression == 0, PL_ERR_ILLEGAL_PARAMETER, "server selected compression method %u", sh->compression);
    /* RFC 5746 3.4: an initial handshake needs an empty renegotiation_info. */
    PL_ENSURE(sh->has_reneg, PL_ERR_HANDSHAKE_FAILURE, "server does not support secure renegotiation (RFC 5746)");
    PL_ENSURE(sh->reneg_ok, PL_ERR_HANDSHAKE_FAILURE, "server sent a non-empty renegotiation_info on an initial handshake");
    /* RFC 7627 5.3. */
    PL_ENSURE(sh->has_ems || !cfg->require_ems, PL_ERR_HANDSHAKE_FAILURE,
              "server does not support the extended master secret (RFC 7627), which is required");
    if (sh->has_alpn) PL_GUARD(pl_client_accept_alpn(c, sh->alpn.p, sh->alpn.len));
    /* RFC 6066 3, RFC 5246 7.4.1.4: no acknowledgement of a name we did not send. */
    PL_ENSURE(!sh->has_sni_ack || hs->sni_sent, PL_ERR_UNSUPPORTED_EXTENSION, "server acknowledged a server_name that was not sent");
    PL_ENSURE(!sh->has_status_request || cfg->ocsp_mode, PL_ERR_UNSUPPORTED_EXTENSION, "server acknowledged a status_request that was not sent");
    hs->status_acked = sh->has_status_request;
    memcpy(hs->server_random, sh->random, 32);
    hs->ems = sh->has_ems;
    hs->kx = suite->kx;
    hs->aead = suite->aead;
    hs->hash = suite->hash;
    c->suite = sh->suite;
    c->version = PARLEY_TLS1_2;
    c->ems = hs->ems;
    PL_GUARD(pl_rsl_client_accept(c, sh->record_size_limit));
    PL_GUARD(pl_transcript_set_hash(&hs->transcript, hs->hash));
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    hs->table = &pl_client12_table;
    hs->ticket_expected = sh->has_ticket;
    /* Resumed: the server echoed the id we sent with the session we offered. */
    if (hs->offered_session && sh->session_id.len && sh->session_id.len == hs->session_id_len &&
        memcmp(sh->session_id.p, hs->session_id, hs->session_id_len) == 0)
        return pl_client12_resume(c, sh);
    /* RFC 5246 7.4.1.3: an echoed id means resumption. Without a session
     * offered, ours was the random TLS 1.3 compatibility id (RFC 8446 D.4):
     * the server claims a session that does not exist. */
    PL_ENSURE(!(sh->session_id.len && sh->session_id.len == hs->session_id_len &&
                memcmp(sh->session_id.p, hs->session_id, hs->session_id_len) == 0),
              PL_ERR_ILLEGAL_PARAMETER, "server echoed our session id, but no session was offered to resume");
    memcpy(hs->peer_session, sh->session_id.p, sh->session_id.len);
    hs->peer_session_len = (uint8_t)sh->session_id.len;
    hs->state = C12_WAIT_CERT;
    return 0;
}

static int c12_recv_cert(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_certificate ct;
    PL_GUARD(pl_certificate12_parse(msg + 4, len - 4, &ct));
    PL_ENSURE(ct.n > 0, PL_ERR_BAD_CERTIFICATE, "the server sent an empty certificate chain");
    /* Keep and verify the chain first: a wrong certificate is reported as such. */
    PL_GUARD(pl_take_peer_chain(c, &ct));
    /* The certificate's key must suit the suite (RFC 5246 7.4.2, RFC 8422 5.3). */
    const pl_suite *s = pl_suite_find(c->suite);
    int fits = s->auth == PL_AUTH_ECDSA ? (pl_sig_scheme_fits_key(hs->peer_key, 0x0403, 0) || pl_sig_scheme_fits_key(hs->peer_key, 0x0807, 0) ||
                                           pl_sig_scheme_fits_key(hs->peer_key, 0x0808, 0))
               : s->kx == PL_KX_RSA     ? pl_pkey_is_rsa(hs->peer_key)
                                        : (pl_pkey_is_rsa(hs->peer_key) || pl_sig_scheme_fits_key(hs->peer_key, 0x0809, 0));
    PL_ENSURE(fits, PL_ERR_UNSUPPORTED_CERTIFICATE, "the server's certificate key does not suit %s", s->name);
    /* RFC 8422 5.1: in TLS 1.2 supported_groups also lists the curves the
     * client can verify ECDSA with, and the server MUST NOT negotiate a
     * handshake it cannot complete within them. */
    uint16_t curve = pl_pkey_ec_group(hs->peer_key);
    PL_ENSURE(!curve || pl_u16_in(c->cfg->groups, c->cfg->ngroups, curve), PL_ERR_ILLEGAL_PARAMETER,
              "the server's ECDSA certificate is on %s, which the client did not list in supported_groups (RFC 8422 5.1)",
              parley_group_name(curve));
    if (!hs->status_acked) PL_GUARD(pl_client_check_staple(c, NULL, 0));
    hs->state = hs->status_acked ? C12_WAIT_CS : hs->kx == PL_KX_RSA ? C12_WAIT_CR_SHD : C12_WAIT_SKE;
    return 0;
}

static int c12_recv_cs(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_cursor resp;
    PL_GUARD(pl_certificate_status_parse(msg + 4, len - 4, &resp));
    PL_GUARD(pl_client_check_staple(c, resp.p, resp.len));
    c->hs->state = c->hs->kx == PL_KX_RSA ? C12_WAIT_CR_SHD : C12_WAIT_SKE;
    return 0;
}

static int c12_recv_ske(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_server_key_exchange ske;
    uint16_t group = 0;
    const uint8_t *peer;
    size_t peerlen, publen, slen;
    uint8_t pub[PL_MAX_KEX_PUB], secret[PL_MAX_KEX_SECRET];
    PL_GUARD(pl_server_key_exchange_parse(msg + 4, len - 4, hs->kx, &ske));
    /* The signature covers client_random + server_random + params (RFC 5246
     * 7.4.3). It is checked before the parameters are judged (RFC 7919 3:
     * validate the signature, then compare dh_p/dh_g): a forged message is
     * a bad signature (decrypt_error), whatever group it names. */
    PL_ENSURE(pl_u16_in(cfg->sigalgs, cfg->nsigalgs, ske.scheme), PL_ERR_ILLEGAL_PARAMETER,
              "server signed with %s, which was not offered%s", parley_sigscheme_name(ske.scheme),
              pl_sigscheme_is_legacy(ske.scheme) ? " (a SHA-1/SHA-224 scheme, which Parley refuses)" : "");
    PL_ENSURE(pl_sig_scheme_fits_key(hs->peer_key, ske.scheme, 0), PL_ERR_ILLEGAL_PARAMETER,
              "server's signature scheme %s does not fit its certificate key", parley_sigscheme_name(ske.scheme));
    pl_buf signed_ = {0};
    int rc = pl_buf_bytes(&signed_, hs->client_random, 32);
    if (rc == 0) rc = pl_buf_bytes(&signed_, hs->server_random, 32);
    if (rc == 0) rc = pl_buf_bytes(&signed_, ske.params.p, ske.params.len);
    if (rc == 0) rc = pl_sig_verify(hs->peer_key, ske.scheme, signed_.data, signed_.len, ske.signature.p, ske.signature.len);
    pl_buf_free(&signed_);
    PL_GUARD(pl_peer_signature_verdict(rc, "the server's ServerKeyExchange"));
    c->sigscheme = c->peer_sigscheme = ske.scheme;
    if (hs->kx == PL_KX_ECDHE) {
        group = ske.group;
        PL_ENSURE(pl_u16_in(cfg->groups, cfg->ngroups, group) && !pl_kex_group_is_ffdhe(group), PL_ERR_ILLEGAL_PARAMETER,
                  "server chose curve 0x%04x, which was not offered", group);
        peer = ske.point.p;
        peerlen = ske.point.len;
    } else {
        /* An RFC 7919 group, or an RFC 3526 prime from a server that does
         * not do RFC 7919 (OpenSSL's default), within the sizes we listed. */
        PL_GUARD(pl_client12_dh_group(cfg, ske.dh_p, ske.dh_g, &group));
        peer = ske.dh_ys.p;
        peerlen = ske.dh_ys.len;
    }
    pl_kex_free(hs->kex);
    hs->kex = NULL;
    PL_GUARD(pl_kex_generate(group, &hs->kex, pub, &publen));
    if (hs->kx == PL_KX_DHE) pl_kex_set_tls12(hs->kex);
    rc = pl_kex_derive(hs->kex, peer, peerlen, secret, &slen);
    if (rc == 0) rc = pl_buf_bytes(&hs->pm, secret, slen);
    pl_cleanse(secret, sizeof secret);
    PL_GUARD(rc);
    /* Reported by parley_conn_group only once the exchange succeeded. */
    c->group = group;
    pl_buf_reset(&hs->my_share);
    PL_GUARD(pl_buf_bytes(&hs->my_share, pub, publen));
    hs->state = C12_WAIT_CR_SHD;
    return 0;
}

static int c12_recv_cr_shd(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    if (msg[0] == PL_HS_CERTIFICATE_REQUEST) {
        pl_certificate_request12 cr;
        PL_ENSURE(!hs->cert_requested, PL_ERR_UNEXPECTED_MESSAGE, "second CertificateRequest");
        PL_GUARD(pl_certificate_request12_parse(msg + 4, len - 4, &cr));
        PL_GUARD(pl_buf_bytes(&hs->req_sigalgs, cr.sigalgs.p, cr.sigalgs.len));
        PL_GUARD(pl_buf_bytes(&hs->req_cas, cr.cas.p, cr.cas.len));
        hs->req_types = pl_cert_types_bits(cr.types);
        hs->cert_requested = 1;
        hs->state = C12_WAIT_SHD;
        return 0;
    }
    PL_ENSURE(len == 4, PL_ERR_DECODE, "ServerHelloDone is not empty");
    hs->state = C12_SEND_FLIGHT;
    return 0;
}

static int c12_send_flight(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_buf b = {0};
    size_t m;
    int rc = 0;
    (void)msg;
    (void)len;
    hs->client_version = PARLEY_TLS1_2;
    hs->client_cert = -1;
    if (hs->cert_requested) {
        /* RFC 5246 7.4.6: our chain, or an empty Certificate when none fits. */
        pl_choose_client_cert(c, 0);
        const pl_chain *ch = hs->client_cert >= 0 ? &c->cfg->certs[hs->client_cert].chain : NULL;
        if ((rc = pl_certificate12_write(&b, ch ? ch->der : NULL, ch ? ch->der_len : NULL, ch ? ch->n : 0)) < 0 ||
            (rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE, b.data, b.len)) < 0)
            goto out;
        pl_buf_reset(&b);
    }
    if (hs->kx == PL_KX_RSA) {
        /* RFC 5246 7.4.7.1: premaster = client_version (the offered one) + 46 random bytes. */
        uint8_t pm[48], ct[1024];
        size_t ctl;
        pm[0] = (uint8_t)(hs->client_version >> 8);
        pm[1] = (uint8_t)hs->client_version;
        if ((rc = pl_random(pm + 2, 46)) < 0 || (rc = pl_rsa_encrypt_premaster(hs->peer_key, pm, ct, &ctl, sizeof ct)) < 0 ||
            (rc = pl_buf_bytes(&hs->pm, pm, 48)) < 0 || (rc = pl_buf_u16(&b, (uint16_t)ctl)) < 0 ||
            (rc = pl_buf_bytes(&b, ct, ctl)) < 0) {
            pl_cleanse(pm, sizeof pm);
            goto out;
        }
        pl_cleanse(pm, sizeof pm);
        c->group = 0;
    } else {
        if ((rc = pl_buf_open(&b, hs->kx == PL_KX_ECDHE ? 1 : 2, &m)) < 0 ||
            (rc = pl_buf_bytes(&b, hs->my_share.data, hs->my_share.len)) < 0 ||
            (rc = pl_buf_close(&b, hs->kx == PL_KX_ECDHE ? 1 : 2, m)) < 0)
            goto out;
    }
    if ((rc = pl_conn_send_handshake(c, PL_HS_CLIENT_KEY_EXCHANGE, b.data, b.len)) < 0) goto out;
    /* RFC 7627 3: session_hash covers the messages through ClientKeyExchange. */
    if ((rc = pl_transcript_hash(&hs->transcript, hs->session_hash)) < 0) goto out;
    if ((rc = pl_tls12_derive_keys(c)) < 0) goto out;
    hs->state = hs->client_cert >= 0 ? C12_SEND_CV : C12_SEND_FIN;
out:
    pl_buf_free(&b);
    return rc;
}

/* RFC 5246 7.4.8: the signature covers every handshake message so far. */
static int c12_send_cv(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_buf b = {0};
    (void)msg;
    (void)len;
    int rc = pl_key_op_run(c, PARLEY_KEY_OP_SIGN, hs->client_scheme, hs->transcript.raw.data, hs->transcript.raw.len);
    if (rc != 0) return rc;
    if ((rc = pl_buf_u16(&b, hs->client_scheme)) == 0 && (rc = pl_buf_u16(&b, (uint16_t)hs->op.output.len)) == 0 &&
        (rc = pl_buf_bytes(&b, hs->op.output.data, hs->op.output.len)) == 0)
        rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE_VERIFY, b.data, b.len);
    pl_buf_free(&b);
    PL_GUARD(rc);
    hs->state = C12_SEND_FIN;
    return 0;
}

static int c12_send_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], fin[12];
    (void)msg;
    (void)len;
    PL_GUARD(pl_conn_send_ccs(c));
    c->wr = hs->pending_wr;
    memset(&hs->pending_wr, 0, sizeof hs->pending_wr);
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_finished12(hs->hash, hs->master, 0, th, fin));
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_FINISHED, fin, 12));
    if (hs->resumed) {
        /* Abbreviated handshake: the server's Finished came first; we are done. */
        hs->state = PL_ST_DONE;
        return 0;
    }
    hs->ccs_expected = !hs->ticket_expected;
    hs->state = hs->ticket_expected ? C12_WAIT_NST : C12_WAIT_FIN;
    return 0;
}

/* RFC 5077 3.3: the ticket, before the server's ChangeCipherSpec. */
static int c12_recv_nst(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint32_t hint;
    pl_cursor t;
    PL_GUARD(pl_new_session_ticket12_parse(msg + 4, len - 4, &hint, &t));
    pl_buf_reset(&hs->new_ticket);
    PL_GUARD(pl_buf_bytes(&hs->new_ticket, t.p, t.len));
    if (hs->resumed && c->sess && t.len) {
        /* The new ticket replaces the one resumed (RFC 5077 3.3). One larger
         * than a session holds is well formed but not kept (the old one is
         * then dropped too: the server has moved on from it). */
        int fits = t.len <= PL_MAX_TICKET;
        if (fits) memcpy(c->sess->ticket, t.p, t.len);
        c->sess->ticket_len = fits ? (uint16_t)t.len : 0;
    }
    hs->ccs_expected = 1;
    hs->state = C12_WAIT_FIN;
    return 0;
}

static int c12_recv_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], expect[12];
    /* RFC 5246 7.1: Finished must follow the peer's ChangeCipherSpec. */
    PL_ENSURE(hs->ccs_seen, PL_ERR_UNEXPECTED_MESSAGE, "server Finished before its ChangeCipherSpec");
    PL_ENSURE(len == 4 + 12, PL_ERR_DECODE, "Finished has %zu bytes, expected 12", len - 4);
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_finished12(hs->hash, hs->master, 1, th, expect));
    PL_ENSURE(pl_ct_memcmp(expect, msg + 4, 12) == 0, PL_ERR_DECRYPT_ERROR, "the server's Finished does not verify");
    if (hs->resumed) {
        hs->state = C12_SEND_FIN; /* our CCS and Finished follow the server's */
        return 0;
    }
    pl_client12_keep_session(c);
    hs->state = PL_ST_DONE;
    return 0;
}

static const pl_hs_row pl_client12_rows[] = {
    [C12_WAIT_CERT] = {"WAIT_CERTIFICATE", PL_HS_CERTIFICATE, 0, 0, c12_recv_cert, {C12_WAIT_SKE, C12_WAIT_CR_SHD, C12_WAIT_CS}},
    [C12_WAIT_CS] = {"WAIT_CERTIFICATE_STATUS", PL_HS_CERTIFICATE_STATUS, 0, 0, c12_recv_cs, {C12_WAIT_SKE, C12_WAIT_CR_SHD}},
    [C12_WAIT_SKE] = {"WAIT_SERVER_KEY_EXCHANGE", PL_HS_SERVER_KEY_EXCHANGE, 0, 0, c12_recv_ske, {C12_WAIT_CR_SHD}},
    [C12_WAIT_CR_SHD] = {"WAIT_CERT_REQUEST_OR_HELLO_DONE", PL_HS_SERVER_HELLO_DONE, PL_HS_CERTIFICATE_REQUEST, 0, c12_recv_cr_shd, {C12_WAIT_SHD, C12_SEND_FLIGHT}},
    [C12_WAIT_SHD] = {"WAIT_SERVER_HELLO_DONE", PL_HS_SERVER_HELLO_DONE, 0, 0, c12_recv_cr_shd, {C12_SEND_FLIGHT}},
    [C12_SEND_FLIGHT] = {"SEND_CERTIFICATE_AND_KEY_EXCHANGE", 0, 0, 0, c12_send_flight, {C12_SEND_CV, C12_SEND_FIN}},
    [C12_SEND_CV] = {"SEND_CERTIFICATE_VERIFY", 0, 0, 0, c12_send_cv, {C12_SEND_FIN}},
    [C12_SEND_FIN] = {"SEND_CCS_AND_FINISHED", 0, 0, 0, c12_send_fin, {C12_WAIT_FIN, PL_ST_DONE, C12_WAIT_NST}},
    [C12_WAIT_NST] = {"WAIT_NEW_SESSION_TICKET", PL_HS_NEW_SESSION_TICKET, 0, 0, c12_recv_nst, {C12_WAIT_FIN}},
    [C12_WAIT_FIN] = {"WAIT_FINISHED", PL_HS_FINISHED, 0, 0, c12_recv_fin, {PL_ST_DONE, C12_SEND_FIN}},
};

const pl_hs_table pl_client12_table = {"client (TLS 1.2)", pl_client12_rows, sizeof pl_client12_rows / sizeof pl_client12_rows[0]};
