/*
 * client13.c - the TLS 1.3 client handshake (RFC 8446 2, 4), as a table.
 *
 *   SEND_CH -> WAIT_SH -(HRR)-> SEND_CH -> WAIT_SH
 *           -> WAIT_EE -> WAIT_CERT_CR -> [WAIT_CERT] -> WAIT_CV -> WAIT_FIN -> SEND_FIN -> DONE
 * A ticket offered and accepted (psk13.c) goes from WAIT_EE to WAIT_FIN.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cert_compress.h"
#include "dispatch.h"
#include "early_data.h"
#include "messages.h"
#include "record_size_limit.h"

/* State 0 is unused so that 0 in a row's next[] means "no entry". */
enum { C_SEND_CH = 1, C_WAIT_SH, C_WAIT_EE, C_WAIT_CERT_CR, C_WAIT_CERT, C_WAIT_CV, C_WAIT_FIN, C_SEND_FIN, C_SEND_CCV, C_SEND_FINISHED };

int pl_client13_start_state(void) { return C_SEND_CH; }

static int pl_write_ch(parley_conn *c, pl_buf *b, const uint8_t *pub, size_t publen)
{
    parley_config *cfg = c->cfg;
    pl_hs *hs = c->hs;
    size_t exts, m, m2;
    PL_GUARD(pl_buf_u16(b, 0x0303));
    PL_GUARD(pl_buf_bytes(b, hs->client_random, 32));
    PL_GUARD(pl_buf_u8(b, (uint8_t)hs->session_id_len));
    PL_GUARD(pl_buf_bytes(b, hs->session_id, hs->session_id_len));
    PL_GUARD(pl_buf_open(b, 2, &m));
    for (size_t i = 0; i < cfg->nsuites; i++)
        if (pl_suite_usable(cfg, cfg->suites[i])) PL_GUARD(pl_buf_u16(b, cfg->suites[i]));
    PL_GUARD(pl_buf_close(b, 2, m));
    PL_GUARD(pl_buf_u8(b, 1));
    PL_GUARD(pl_buf_u8(b, 0)); /* null compression only */
    PL_GUARD(pl_buf_open(b, 2, &exts));
    hs->sni_sent = c->server_name && !pl_is_ip_literal(c->server_name);
    if (hs->sni_sent) {
        /* RFC 6066 3: literal IP addresses are not permitted in SNI. */
        size_t nl = strlen(c->server_name);
        PL_GUARD(pl_buf_u16(b, PL_EXT_SERVER_NAME));
        PL_GUARD(pl_buf_open(b, 2, &m));
        PL_GUARD(pl_buf_open(b, 2, &m2));
        PL_GUARD(pl_buf_u8(b, 0));
        PL_GUARD(pl_buf_u16(b, (uint16_t)nl));
        PL_GUARD(pl_buf_bytes(b, c->server_name, nl));
        PL_GUARD(pl_buf_close(b, 2, m2));
        PL_GUARD(pl_buf_close(b, 2, m));
    }
    int offer12 = hs->offered12, offer13 = hs->offered13;
    if (offer13) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_SUPPORTED_VERSIONS));
        PL_GUARD(pl_buf_open(b, 2, &m));
        PL_GUARD(pl_buf_open(b, 1, &m2));
        PL_GUARD(pl_buf_u16(b, PARLEY_TLS1_3));
        if (offer12) PL_GUARD(pl_buf_u16(b, PARLEY_TLS1_2));
        PL_GUARD(pl_buf_close(b, 1, m2));
        PL_GUARD(pl_buf_close(b, 2, m));
    }
    if (cfg->ocsp_mode) {
        /* RFC 6066 8: status_request, ocsp, no responder ids, no extensions. */
        static const uint8_t sr[] = {0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00};
        PL_GUARD(pl_buf_bytes(b, sr, sizeof sr));
    }
    if (offer12) {
        /* TLS 1.2: uncompressed points (RFC 8422 5.1.2), extended master
         * secret (RFC 7627), an empty renegotiation_info (RFC 5746 3.4). */
        static const uint8_t ext12[] = {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};
        PL_GUARD(pl_buf_bytes(b, ext12, sizeof ext12));
        /* RFC 5077 3.2: session_ticket, with our ticket or empty to ask for one. */
        const pl_session *ss = hs->offered_session ? c->sess : NULL;
        size_t tl = ss ? ss->ticket_len : 0;
        PL_GUARD(pl_buf_u16(b, PL_EXT_SESSION_TICKET));
        PL_GUARD(pl_buf_u16(b, (uint16_t)tl));
        PL_GUARD(pl_buf_bytes(b, ss ? ss->ticket : NULL, tl));
    }
    PL_GUARD(pl_buf_u16(b, PL_EXT_SUPPORTED_GROUPS));
    PL_GUARD(pl_buf_open(b, 2, &m));
    PL_GUARD(pl_buf_open(b, 2, &m2));
    for (size_t i = 0; i < cfg->ngroups; i++) PL_GUARD(pl_buf_u16(b, cfg->groups[i]));
    PL_GUARD(pl_buf_close(b, 2, m2));
    PL_GUARD(pl_buf_close(b, 2, m));
    if (offer13) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_KEY_SHARE));
        PL_GUARD(pl_buf_open(b, 2, &m));
        PL_GUARD(pl_buf_open(b, 2, &m2));
        PL_GUARD(pl_buf_u16(b, hs->kex_group));
        PL_GUARD(pl_buf_u16(b, (uint16_t)publen));
        PL_GUARD(pl_buf_bytes(b, pub, publen));
        PL_GUARD(pl_buf_close(b, 2, m2));
        PL_GUARD(pl_buf_close(b, 2, m));
    }
    PL_GUARD(pl_buf_u16(b, PL_EXT_SIGNATURE_ALGORITHMS));
    PL_GUARD(pl_buf_open(b, 2, &m));
    PL_GUARD(pl_buf_open(b, 2, &m2));
    for (size_t i = 0; i < cfg->nsigalgs; i++) PL_GUARD(pl_buf_u16(b, cfg->sigalgs[i]));
    PL_GUARD(pl_buf_close(b, 2, m2));
    PL_GUARD(pl_buf_close(b, 2, m));
    if (cfg->alpn_len) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_ALPN));
        PL_GUARD(pl_buf_u16(b, (uint16_t)(cfg->alpn_len + 2)));
        PL_GUARD(pl_buf_u16(b, (uint16_t)cfg->alpn_len));
        PL_GUARD(pl_buf_bytes(b, cfg->alpn, cfg->alpn_len));
    }
    if (hs->cookie.len) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_COOKIE));
        PL_GUARD(pl_buf_u16(b, (uint16_t)(hs->cookie.len + 2)));
        PL_GUARD(pl_buf_u16(b, (uint16_t)hs->cookie.len));
        PL_GUARD(pl_buf_bytes(b, hs->cookie.data, hs->cookie.len));
    }
    PL_GUARD(pl_rsl_client_offer(c, b)); /* RFC 8449 */
    PL_GUARD(pl_client13_write_early_ext(c, b)); /* early_client.c: 0-RTT offered */
    if (offer13) PL_GUARD(pl_client13_write_psk_modes(c, b));
    /* RFC 8446 4.2.6: willing to authenticate after the handshake when we
     * have a certificate to do it with (post_auth.c). */
    c->pha_offered = offer13 && cfg->ncerts > 0;
    if (c->pha_offered) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_POST_HANDSHAKE_AUTH));
        PL_GUARD(pl_buf_u16(b, 0)); /* empty extension_data */
    }
    if (offer13) PL_GUARD(pl_cc_write_ext(c, b)); /* RFC 8879 3 */
    /* RFC 8446 4.2.11: pre_shared_key is the last extension. */
    if (hs->psk_offered) PL_GUARD(pl_client13_write_psk(c, b));
    return pl_buf_close(b, 2, exts);
}

static int c_send_ch(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t pub[PL_MAX_KEX_PUB];
    size_t publen;
    pl_buf b = {0};
    (void)msg;
    (void)len;
    if (!hs->hrr_done) {
        /* TLS 1.2 client authentication signs the raw messages: keep them
         * when we might have to (RFC 5246 7.4.8). */
        hs->transcript.keep_raw = c->cfg->ncerts > 0 && c->cfg->min_version <= PARLEY_TLS1_2;
        PL_GUARD(pl_random(hs->client_random, 32));
        memcpy(c->client_random, hs->client_random, 32);
        /* A stored TLS 1.2 session is offered by its id (RFC 5246 7.4.1.2);
         * the same field serves TLS 1.3 compatibility mode. */
        if (c->sess && c->sess->version == PARLEY_TLS1_2 && pl_session_fresh(c->sess, (uint64_t)time(NULL)) &&
            !pl_session_unusable(c, c->sess)) {
            /* Offer the session's id when it has one, also beside a ticket: a
             * server that accepts the ticket echoes whatever id we send (RFC
             * 5077 3.4), and one that cannot open it may still know the id. */
            if (c->sess->id_len) {
                memcpy(hs->session_id, c->sess->id, c->sess->id_len);
                hs->session_id_len = c->sess->id_len;
            }
            hs->offered_session = c->sess->ticket_len || c->sess->id_len;
        }
        hs->kex_group = c->cfg->groups[0];
        hs->psk_offered = pl_client13_psk_usable(c);
    } else {
        hs->kex_group = hs->hrr_group;
        /* RFC 8446 4.1.4: keep the PSK only if it fits the HRR's suite hash. */
        if (hs->psk_offered && hs->psk_hash != hs->hash) hs->psk_offered = 0;
    }
    /* Offer a version only with at least one usable suite for it. */
    hs->offered12 = hs->offered13 = 0;
    for (size_t i = 0; i < c->cfg->nsuites; i++) {
        if (!pl_suite_usable(c->cfg, c->cfg->suites[i])) continue;
        hs->offered13 |= pl_suite_find(c->cfg->suites[i])->version == 13;
        hs->offered12 |= pl_suite_find(c->cfg->suites[i])->version == 12;
    }
    PL_ENSURE(hs->offered12 || hs->offered13, PL_ERR_USAGE, "no cipher suite is usable with the configured versions");
    if (!hs->offered13) hs->psk_offered = 0;
    if (!hs->hrr_done && hs->session_id_len == 0 && (hs->offered13 || hs->offered_session)) {
        /* RFC 8446 D.4: a non-empty session id puts us in middlebox
         * compatibility mode (the server answers with a CCS); RFC 5077 3.4:
         * with a ticket, the server's echo of it says the ticket was taken.
         * Otherwise a TLS 1.2 client with no session to resume sends an
         * empty one (RFC 5246 7.4.1.2). */
        hs->session_id_len = 32;
        PL_GUARD(pl_random(hs->session_id, 32));
    }
    if (!hs->hrr_done) pl_client13_early_decide(c);
    publen = 0;
    if (hs->hrr_done && hs->hrr_keep_share && hs->kex) {
        /* RFC 8446 4.1.2: the second ClientHello changes key_share only when
         * the HelloRetryRequest named a group; a cookie alone keeps it. */
        memcpy(pub, hs->kex_pub, hs->kex_publen);
        publen = hs->kex_publen;
    } else {
        pl_kex_free(hs->kex);
        hs->kex = NULL;
        if (hs->offered13) PL_GUARD(pl_kex_generate(hs->kex_group, &hs->kex, pub, &publen));
        PL_ENSURE(publen <= sizeof hs->kex_pub, PL_ERR_INTERNAL, "key share too long");
        memcpy(hs->kex_pub, pub, publen);
        hs->kex_publen = publen;
    }
    hs->client_version = PARLEY_TLS1_2;
    if (hs->hrr_done && !hs->ccs_sent) {
        /* RFC 8446 D.4: the compatibility CCS goes before our second flight,
         * which after a HelloRetryRequest is the second ClientHello (early
         * data offered sent it after the first ClientHello already). */
        PL_GUARD(pl_conn_send_ccs(c));
        hs->ccs_sent = 1;
    }
    int rc = pl_write_ch(c, &b, pub, publen);
    if (rc == 0 && hs->psk_offered) rc = pl_client13_bind_psk(c, &b);
    if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_CLIENT_HELLO, b.data, b.len);
    pl_buf_free(&b);
    PL_GUARD(rc);
    PL_GUARD(pl_client13_send_early(c)); /* CCS, early keys, the data (if offered) */
    hs->state = C_WAIT_SH;
    return 0;
}

static int c_handle_hrr(parley_conn *c, const pl_server_hello *sh, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    int aead, hash;
    /* RFC 8446 4.1.4: a second HRR is unexpected_message. */
    PL_ENSURE(!hs->hrr_done, PL_ERR_UNEXPECTED_MESSAGE, "server sent a second HelloRetryRequest");
    /* RFC 8446 5.1: a ServerHello (this one too) ends its record; the server
     * waits for our second ClientHello, so nothing can follow it yet. */
    PL_ENSURE(c->hsin.len <= len, PL_ERR_UNEXPECTED_MESSAGE,
              "handshake data after the HelloRetryRequest in the same record");
    PL_ENSURE(sh->has_key_share || sh->has_cookie, PL_ERR_ILLEGAL_PARAMETER,
              "HelloRetryRequest would not change the ClientHello");
    if (sh->has_key_share) {
        PL_ENSURE(pl_u16_in(c->cfg->groups, c->cfg->ngroups, sh->group), PL_ERR_ILLEGAL_PARAMETER,
                  "HelloRetryRequest asks for group 0x%04x, which was not offered", sh->group);
        PL_ENSURE(sh->group != hs->kex_group, PL_ERR_ILLEGAL_PARAMETER,
                  "HelloRetryRequest asks for group %s, for which a key share was already sent", parley_group_name(sh->group));
        hs->hrr_group = sh->group;
        hs->hrr_keep_share = 0;
    } else {
        hs->hrr_group = hs->kex_group;
        hs->hrr_keep_share = 1;
    }
    PL_ENSURE(pl_suite_params(sh->suite, &aead, &hash), PL_ERR_ILLEGAL_PARAMETER, "bad suite in HelloRetryRequest");
    hs->aead = aead;
    hs->hash = hash;
    c->suite = sh->suite;
    if (sh->has_cookie) PL_GUARD(pl_buf_bytes(&hs->cookie, sh->cookie.p, sh->cookie.len));
    PL_GUARD(pl_transcript_set_hash(&hs->transcript, hash));
    PL_GUARD(pl_transcript_hrr(&hs->transcript));
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    pl_client13_early_hrr(c);
    hs->hrr_done = 1;
    pl_trace(c, PARLEY_TRACE_INFO, -1, "HelloRetryRequest", 0, parley_group_name(hs->hrr_group));
    hs->state = C_SEND_CH;
    return 0;
}

static int c_recv_sh(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_server_hello sh;
    uint8_t secret[PL_MAX_KEX_SECRET], th[PL_MAX_HASH];
    size_t slen;
    int aead, hash;
    PL_GUARD(pl_server_hello_parse(msg + 4, len - 4, &sh));
    /* RFC 8446 D.5: legacy_version 0x0300 or less is protocol_version, in a
     * ServerHello or HelloRetryRequest as in a ClientHello, whatever
     * supported_versions says. */
    PL_ENSURE(sh.legacy_version > 0x0300, PL_ERR_PROTOCOL_VERSION,
              "ServerHello legacy_version is 0x%04x (SSL 3.0 or older), which RFC 8446 D.5 requires refusing", sh.legacy_version);
    if (sh.version == 0 && !sh.is_hrr) {
        /* No supported_versions: the server chose TLS 1.2 or older (RFC 8446 4.2.1). */
        PL_ENSURE(hs->offered12, PL_ERR_PROTOCOL_VERSION, "server chose %s, but only TLS 1.3 was offered",
                  parley_version_name(sh.legacy_version));
        PL_GUARD(pl_client13_early_tls12(c)); /* not after 0-RTT (RFC 8446 D.3) */
        return pl_client12_server_hello(c, &sh, msg, len);
    }
    PL_ENSURE(hs->offered13, PL_ERR_ILLEGAL_PARAMETER, "server selected TLS 1.3, which was not offered");
    PL_ENSURE(sh.version == PARLEY_TLS1_3, PL_ERR_ILLEGAL_PARAMETER, "server selected version 0x%04x, which was not offered", sh.version);
    /* RFC 8446 4.1.3: legacy_version is 0x0303. Another value is a version
     * we do not speak: protocol_version, as the TLS 1.2 path (client12.c)
     * and the D.5 check above answer for the same field. */
    PL_ENSURE(sh.legacy_version == 0x0303, PL_ERR_PROTOCOL_VERSION, "ServerHello legacy_version is 0x%04x, not 0x0303 (RFC 8446 4.1.3)",
              sh.legacy_version);
    PL_ENSURE(sh.session_id.len == hs->session_id_len && memcmp(sh.session_id.p, hs->session_id, hs->session_id_len) == 0,
              PL_ERR_ILLEGAL_PARAMETER, "ServerHello does not echo our legacy_session_id");
    PL_ENSURE(sh.compression == 0, PL_ERR_ILLEGAL_PARAMETER, "server selected compression method %u", sh.compression);
    PL_ENSURE(pl_u16_in(cfg->suites, cfg->nsuites, sh.suite) && pl_suite_find(sh.suite)->version == 13, PL_ERR_ILLEGAL_PARAMETER,
              "server selected cipher suite 0x%04x, which was not offered for TLS 1.3", sh.suite);
    PL_ENSURE(!hs->hrr_done || sh.suite == c->suite, PL_ERR_ILLEGAL_PARAMETER,
              "ServerHello cipher suite differs from the HelloRetryRequest's");
    if (sh.is_hrr) return c_handle_hrr(c, &sh, msg, len);
    (void)pl_suite_params(sh.suite, &aead, &hash);
    if (sh.has_psk) {
        /* RFC 8446 4.2.11: the one identity we offered, with a suite of its hash. */
        PL_ENSURE(hs->psk_offered && sh.psk_identity == 0, PL_ERR_ILLEGAL_PARAMETER, "server selected a PSK that was not offered");
        PL_ENSURE(hash == hs->psk_hash, PL_ERR_ILLEGAL_PARAMETER, "server resumed with a cipher suite of another hash");
        /* psk_ke (no key_share) only if we offered it (4.2.9). */
        PL_ENSURE(sh.has_key_share || cfg->psk_ke, PL_ERR_MISSING_EXTENSION, "ServerHello has no key_share");
    }
    PL_ENSURE(!sh.has_cookie, PL_ERR_ILLEGAL_PARAMETER, "cookie in ServerHello");
    PL_ENSURE(sh.has_key_share || sh.has_psk, PL_ERR_MISSING_EXTENSION, "ServerHello has no key_share");
    slen = 0;
    if (sh.has_key_share) {
        PL_ENSURE(sh.group == hs->kex_group, PL_ERR_ILLEGAL_PARAMETER,
                  "server's key share is for group 0x%04x, not the one we sent (%s)", sh.group, parley_group_name(hs->kex_group));
        PL_GUARD(pl_kex_derive(hs->kex, sh.share.p, sh.share.len, secret, &slen));
    }
    memcpy(hs->server_random, sh.random, 32);
    hs->aead = aead;
    hs->hash = hash;
    c->suite = sh.suite;
    c->group = sh.has_key_share ? sh.group : 0;
    c->version = PARLEY_TLS1_3;
    hs->resumed = c->resumed = sh.has_psk;
    if (!sh.has_psk && c->sess) {
        /* A full handshake: the offered session did not resume here. Drop it,
         * so that parley_conn_get_session hands out only a ticket this
         * connection received, never the one it offered (as TLS 1.2 does). */
        pl_cleanse(c->sess, sizeof *c->sess);
        pl_free(c->sess);
        c->sess = NULL;
    }
    int rc = pl_transcript_set_hash(&hs->transcript, hash);
    if (rc == 0) rc = pl_transcript_add(&hs->transcript, msg, len);
    if (rc == 0) rc = pl_transcript_hash(&hs->transcript, th);
    if (rc == 0) rc = sh.has_psk ? pl_ks13_init_psk(&hs->ks, hash, c->sess->secret, c->sess->secret_len) : pl_ks13_init(&hs->ks, hash);
    if (rc == 0) rc = pl_ks13_handshake(&hs->ks, sh.has_key_share ? secret : NULL, slen, th);
    pl_cleanse(secret, sizeof secret);
    PL_GUARD(rc);
    pl_keylog(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs->ks.c_hs, hs->ks.hlen);
    pl_keylog(c, "SERVER_HANDSHAKE_TRAFFIC_SECRET", hs->ks.s_hs, hs->ks.hlen);
    PL_GUARD(pl_conn_set_read_keys(c, hs->ks.s_hs));
    /* Install our handshake write keys now: any alert we send from here on
     * is protected, as RFC 8446 6 expects. The middlebox-compatibility CCS is
     * always written in plaintext, so it can still precede our Finished.
     * Early data that may still be accepted keeps the early write keys until
     * EncryptedExtensions says (early_client.c). */
    if (!hs->ccs_sent) {
        /* RFC 8446 D.4: in compatibility mode nothing encrypted may precede
         * our CCS, and an alert about the server's flight would be: send it
         * now, ahead of whatever we write next under the handshake keys. */
        PL_GUARD(pl_conn_send_ccs(c));
        hs->ccs_sent = 1;
    }
    if (pl_client13_early_sh(c, sh.has_psk, sh.suite)) {
        pl_trace(c, PARLEY_TRACE_KEYS, -1, "handshake traffic keys installed (read)", 0, "");
    } else {
        PL_GUARD(pl_conn_set_write_keys(c, hs->ks.c_hs));
        pl_trace(c, PARLEY_TRACE_KEYS, -1, "handshake traffic keys installed", 0, "");
    }
    hs->state = C_WAIT_EE;
    return 0;
}

static int c_recv_ee(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_encrypted_extensions ee;
    PL_GUARD(pl_encrypted_extensions_parse(msg + 4, len - 4, &ee));
    /* RFC 8446 4.2, RFC 6066 3: no acknowledgement of a name we did not send. */
    PL_ENSURE(!ee.has_sni_ack || c->hs->sni_sent, PL_ERR_UNSUPPORTED_EXTENSION,
              "server acknowledged a server_name that was not sent");
    if (ee.has_alpn) PL_GUARD(pl_client_accept_alpn(c, ee.alpn.p, ee.alpn.len));
    PL_GUARD(pl_rsl_client_accept(c, ee.record_size_limit));
    PL_GUARD(pl_client13_early_ee(c, ee.has_early_data)); /* 0-RTT accepted or not (RFC 8446 4.2.10) */
    if (c->hs->resumed) {
        /* Authenticated by the PSK: the server's Finished comes next (RFC 8446 2.2). */
        PL_GUARD(pl_client_set_resumed_verify(c));
        c->hs->state = C_WAIT_FIN;
        return 0;
    }
    c->hs->state = C_WAIT_CERT_CR;
    return 0;
}

static int c_recv_cert(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_certificate ct;
    if (msg[0] == PL_HS_CERTIFICATE_REQUEST) {
        pl_certificate_request cr;
        PL_GUARD(pl_certificate_request_parse(msg + 4, len - 4, &cr));
        /* RFC 8446 4.3.2: the context is empty except after the handshake. */
        PL_ENSURE(cr.context.len == 0, PL_ERR_DECODE, "CertificateRequest in the handshake has a non-empty request context");
        PL_GUARD(pl_buf_bytes(&hs->cert_req_ctx, cr.context.p, cr.context.len));
        PL_GUARD(pl_buf_bytes(&hs->req_sigalgs, cr.sigalgs.p, cr.sigalgs.len));
        if (cr.has_cas) PL_GUARD(pl_buf_bytes(&hs->req_cas, cr.cas.p, cr.cas.len));
        PL_GUARD(pl_cc_choose_cr(c, msg + 4, len - 4)); /* RFC 8879 3: compress ours? */
        hs->cert_requested = 1;
        hs->state = C_WAIT_CERT;
        return 0;
    }
    const uint8_t *body;
    size_t blen;
    PL_GUARD(pl_cc_certificate_body(c, msg, len, &body, &blen)); /* RFC 8879 4: maybe compressed */
    PL_GUARD(pl_certificate_parse(body, blen, &ct));
    PL_ENSURE(ct.context.len == 0, PL_ERR_ILLEGAL_PARAMETER, "server Certificate has a non-empty request context");
    /* RFC 8446 4.4.2, 4.2: a staple only in answer to our status_request. */
    PL_ENSURE(!ct.any_status || c->cfg->ocsp_mode, PL_ERR_UNSUPPORTED_EXTENSION,
              "server stapled an OCSP response, which was not requested");
    /* RFC 8446 4.4.2.4: an empty server Certificate is decode_error. */
    PL_ENSURE(ct.n > 0, PL_ERR_DECODE, "server sent an empty certificate chain");
    PL_GUARD(pl_take_peer_chain(c, &ct));
    PL_GUARD(pl_client_check_staple(c, ct.leaf_ocsp.len ? ct.leaf_ocsp.p : NULL, ct.leaf_ocsp.len));
    hs->state = C_WAIT_CV;
    return 0;
}

static int c_recv_cv(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_certificate_verify cv;
    uint8_t th[PL_MAX_HASH];
    pl_buf content = {0};
    PL_GUARD(pl_certificate_verify_parse(msg + 4, len - 4, &cv));
    /* RFC 8446 4.4.3: the scheme must be one we offered and fit the key. */
    PL_ENSURE(pl_u16_in(c->cfg->sigalgs, c->cfg->nsigalgs, cv.scheme), PL_ERR_ILLEGAL_PARAMETER,
              "server signed with %s, which was not offered%s", parley_sigscheme_name(cv.scheme),
              pl_sigscheme_is_legacy(cv.scheme) ? " (a SHA-1/SHA-224 scheme, which Parley refuses)" : "");
    PL_ENSURE(pl_sig_scheme_fits_key(hs->peer_key, cv.scheme, 1), PL_ERR_ILLEGAL_PARAMETER,
              "server's signature scheme %s does not fit its certificate key", parley_sigscheme_name(cv.scheme));
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    int rc = pl_certificate_verify_content(1, th, pl_hash_len(hs->hash), &content);
    if (rc == 0) rc = pl_sig_verify(hs->peer_key, cv.scheme, content.data, content.len, cv.signature.p, cv.signature.len);
    pl_buf_free(&content);
    PL_GUARD(pl_peer_signature_verdict(rc, "the server's CertificateVerify"));
    c->sigscheme = c->peer_sigscheme = cv.scheme;
    hs->state = C_WAIT_FIN;
    return 0;
}

static int c_recv_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH];
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_check_finished(hs->hash, hs->ks.s_hs, th, msg, len, "the server's Finished"));
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_master(&hs->ks, th));
    pl_keylog(c, "CLIENT_TRAFFIC_SECRET_0", hs->ks.c_ap, hs->ks.hlen);
    pl_keylog(c, "SERVER_TRAFFIC_SECRET_0", hs->ks.s_ap, hs->ks.hlen);
    pl_keylog(c, "EXPORTER_SECRET", hs->ks.exporter, hs->ks.hlen);
    PL_GUARD(pl_conn_set_read_keys(c, hs->ks.s_ap));
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "server application traffic (read)", 0, "");
    hs->state = C_SEND_FIN;
    return 0;
}

static int c_send_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    (void)msg;
    (void)len;
    PL_GUARD(pl_client13_end_early(c)); /* accepted 0-RTT: EndOfEarlyData first (RFC 8446 4.5) */
    /* The compatibility CCS went out already (c_send_ch or c_recv_sh). */
    hs->state = C_SEND_FINISHED;
    if (hs->cert_requested) {
        /* RFC 8446 4.4.2: our chain, or an empty Certificate when none fits. */
        pl_buf b = {0};
        pl_choose_client_cert(c, 1);
        const pl_chain *ch = hs->client_cert >= 0 ? &c->cfg->certs[hs->client_cert].chain : NULL;
        /* With the handshake's empty context our message is the one the
         * config encoded: compressed when the server offered (RFC 8879). */
        if (ch && hs->cert_req_ctx.len == 0) {
            PL_GUARD(pl_cc_send_certificate(c, &c->cfg->certs[hs->client_cert], 0));
            hs->state = C_SEND_CCV;
            return 0;
        }
        int rc = pl_certificate_write(&b, hs->cert_req_ctx.data, hs->cert_req_ctx.len, ch ? ch->der : NULL,
                                      ch ? ch->der_len : NULL, ch ? ch->n : 0);
        if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE, b.data, b.len);
        pl_buf_free(&b);
        PL_GUARD(rc);
        if (ch) hs->state = C_SEND_CCV;
    }
    return 0;
}

static int c_send_ccv(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_buf content = {0}, b = {0};
    int rc = 0;
    (void)msg;
    (void)len;
    if (pl_op_state(&hs->op) == PL_OP_IDLE) { /* acquire: the op may be completing elsewhere */
        uint8_t th[PL_MAX_HASH];
        if ((rc = pl_transcript_hash(&hs->transcript, th)) < 0 ||
            (rc = pl_certificate_verify_content(0, th, pl_hash_len(hs->hash), &content)) < 0)
            goto out;
    }
    rc = pl_key_op_run(c, PARLEY_KEY_OP_SIGN, hs->client_scheme, content.data, content.len);
    if (rc != 0) goto out;
    if ((rc = pl_buf_u16(&b, hs->client_scheme)) < 0 || (rc = pl_buf_u16(&b, (uint16_t)hs->op.output.len)) < 0 ||
        (rc = pl_buf_bytes(&b, hs->op.output.data, hs->op.output.len)) < 0 ||
        (rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE_VERIFY, b.data, b.len)) < 0)
        goto out;
    hs->state = C_SEND_FINISHED;
out:
    pl_buf_free(&content);
    pl_buf_free(&b);
    return rc;
}

static int c_send_finished(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], fin[PL_MAX_HASH];
    (void)msg;
    (void)len;
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_finished(hs->hash, hs->ks.c_hs, th, fin));
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_FINISHED, fin, pl_hash_len(hs->hash)));
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_resumption(&hs->ks, th));
    PL_GUARD(pl_pha_snapshot(c)); /* the transcript through our Finished */
    /* Kept for the NewSessionTickets that may follow (RFC 8446 4.6.1). */
    memcpy(c->res_secret, hs->ks.resumption, hs->ks.hlen);
    c->res_hash = hs->hash;
    PL_GUARD(pl_conn_set_write_keys(c, hs->ks.c_ap));
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "client application traffic (write)", 0, "");
    hs->state = PL_ST_DONE;
    return 0;
}

static const pl_hs_row pl_client13_rows[] = {
    [C_SEND_CH] = {"SEND_CLIENT_HELLO", 0, 0, 0, c_send_ch, {C_WAIT_SH}},
    [C_WAIT_SH] = {"WAIT_SERVER_HELLO", PL_HS_SERVER_HELLO, 0, 1, c_recv_sh, {C_WAIT_EE, C_SEND_CH}},
    [C_WAIT_EE] = {"WAIT_ENCRYPTED_EXTENSIONS", PL_HS_ENCRYPTED_EXTENSIONS, 0, 0, c_recv_ee, {C_WAIT_CERT_CR, C_WAIT_FIN}},
    [C_WAIT_CERT_CR] = {"WAIT_CERT_OR_CERT_REQUEST", PL_HS_CERTIFICATE, PL_HS_CERTIFICATE_REQUEST, 0, c_recv_cert, {C_WAIT_CV, C_WAIT_CERT}},
    [C_WAIT_CERT] = {"WAIT_CERTIFICATE", PL_HS_CERTIFICATE, 0, 0, c_recv_cert, {C_WAIT_CV}},
    [C_WAIT_CV] = {"WAIT_CERTIFICATE_VERIFY", PL_HS_CERTIFICATE_VERIFY, 0, 0, c_recv_cv, {C_WAIT_FIN}},
    [C_WAIT_FIN] = {"WAIT_FINISHED", PL_HS_FINISHED, 0, 1, c_recv_fin, {C_SEND_FIN}},
    [C_SEND_FIN] = {"SEND_CCS_AND_CERTIFICATE", 0, 0, 0, c_send_fin, {C_SEND_CCV, C_SEND_FINISHED}},
    [C_SEND_CCV] = {"SEND_CERTIFICATE_VERIFY", 0, 0, 0, c_send_ccv, {C_SEND_FINISHED}},
    [C_SEND_FINISHED] = {"SEND_FINISHED", 0, 0, 0, c_send_finished, {PL_ST_DONE}},
};

const pl_hs_table pl_client13_table = {"client", pl_client13_rows, sizeof pl_client13_rows / sizeof pl_client13_rows[0]};
