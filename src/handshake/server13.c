/*
 * server13.c - the TLS 1.3 server handshake (RFC 8446 2, 4), as a table.
 *
 *   WAIT_CH -(no usable share)-> SEND_HRR -> WAIT_CH2 -> SEND_SH
 *           -> SEND_SH (SH, [CCS], EE, Certificate) -> SEND_CV (key op, may pause)
 *           -> SEND_FIN -> [WAIT_CCERT -> WAIT_CCV] -> WAIT_FIN -> [SEND_TICKET] -> DONE
 * With a PSK accepted (psk13.c), SEND_SH goes straight to SEND_FIN: no
 * Certificate, CertificateVerify or CertificateRequest (RFC 8446 2.2, 4.3.2).
 * With 0-RTT accepted (early_data_server.c), SEND_FIN goes to WAIT_EOED: early data
 * is read under the early key until EndOfEarlyData (RFC 8446 2.3, 4.5).
 */
#include <string.h>

#include "cert_compress.h"
#include "dispatch.h"
#include "messages.h"
#include "record_size_limit.h"

enum { S_WAIT_CH = 1, S_SEND_HRR, S_WAIT_CH2, S_SEND_SH, S_SEND_CV, S_SEND_FIN, S_WAIT_FIN, S_WAIT_CCERT, S_WAIT_CCV, S_SEND_TICKET,
       S_WAIT_EOED };

int pl_server13_start_state(void) { return S_WAIT_CH; }

/* Server-side negotiation results carried from WAIT_CH to SEND_SH. */
typedef struct {
    uint16_t suite, group, scheme;
    int need_hrr;
    int cert;
    const uint8_t *share;
    size_t share_len;
} pl_choice;

static int pl_choose_cert(parley_conn *c, const pl_client_hello *ch, pl_choice *ch_out)
{
    parley_config *cfg = c->cfg;
    /* One pass over the client's list, however long (pl_sigalgs_offered). */
    uint32_t offered = pl_sigalgs_offered(cfg->sign_sigalgs, cfg->nsign_sigalgs, ch->sigalgs);
    /* Two passes: first a certificate whose name matches SNI, then any. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cfg->ncerts; i++) {
            const pl_cert_entry *e = &cfg->certs[i];
            if (pass == 0 && (!ch->has_sni || !pl_chain_matches_name(&e->chain, ch->sni))) continue;
            for (size_t j = 0; j < cfg->nsign_sigalgs; j++) {
                uint16_t s = cfg->sign_sigalgs[j];
                if ((offered >> j & 1) && pl_sig_scheme_fits_key(e->chain.pubkey, s, 1)) {
                    ch_out->cert = (int)i;
                    ch_out->scheme = s;
                    return 0;
                }
            }
        }
    }
    /* RFC 8446 4.2.3: SHA-1 and SHA-224 schemes are not for CertificateVerify. */
    PL_ENSURE(!pl_sigalgs_legacy_only(ch->sigalgs), PL_ERR_HANDSHAKE_FAILURE, "the client offers " PL_LEGACY_SIGALGS_REFUSED);
    PL_BAIL(PL_ERR_HANDSHAKE_FAILURE, "no certificate can be signed with a signature algorithm the client offers");
}

/* Which psk_key_exchange_modes the client offered: bit 0 psk_ke, bit 1 psk_dhe_ke. */
static int pl_psk_modes(const pl_client_hello *ch)
{
    pl_cursor l = ch->psk_modes;
    int bits = 0;
    uint8_t m;
    while (l.len && pl_cur_u8(&l, &m) == 0)
        if (m <= 1) bits |= 1 << m;
    return bits;
}

static int pl_negotiate(parley_conn *c, const pl_client_hello *ch, const uint8_t *msg, size_t len, pl_choice *out)
{
    parley_config *cfg = c->cfg;
    pl_hs *hs = c->hs;
    int aead, hash;
    memset(out, 0, sizeof *out);
    /* RFC 8446 4.1.2: exactly one compression method, null. */
    PL_ENSURE(ch->compression.len == 1 && ch->compression.p[0] == 0, PL_ERR_ILLEGAL_PARAMETER,
              "TLS 1.3 ClientHello offers compression");
    /* Cipher suite: server preference. */
    for (size_t i = 0; i < cfg->nsuites && !out->suite; i++)
        if (pl_suite_find(cfg->suites[i])->version == 13 && pl_u16_list_has(ch->suites, cfg->suites[i]))
            out->suite = cfg->suites[i];
    PL_ENSURE(out->suite, PL_ERR_HANDSHAKE_FAILURE, "no cipher suite in common with the client");
    PL_ENSURE(!hs->hrr_done || out->suite == c->suite, PL_ERR_ILLEGAL_PARAMETER, "second ClientHello changes the cipher suite");
    (void)pl_suite_params(out->suite, &aead, &hash);
    hs->aead = aead;
    hs->hash = hash;
    c->suite = out->suite;
    PL_GUARD(pl_transcript_set_hash(&hs->transcript, hash));
    /* A PSK first: when one is accepted, certificates are not needed, and
     * with psk_ke neither is a key share (RFC 8446 4.2.9, 4.2.11). */
    hs->client_psk_modes = ch->has_psk_modes ? pl_psk_modes(ch) : 0;
    PL_GUARD(pl_cc_choose(c, ch->exts)); /* RFC 8879 3: compress our Certificate? (checked even if a PSK makes it moot) */
    hs->psk_mode = PL_PSK_NONE;
    if (ch->has_psk) {
        int rc = pl_server13_choose_psk(c, ch, msg, len);
        if (rc != 0) return rc; /* an error, or PL_HS_WAIT_SESSION */
    }
    if (hs->psk_mode == PL_PSK_NONE) {
        /* RFC 8446 9.2: certificate authentication needs signature_algorithms. */
        PL_ENSURE(ch->has_sigalgs, PL_ERR_MISSING_EXTENSION, "ClientHello has no signature_algorithms");
        PL_GUARD(pl_choose_cert(c, ch, out));
    }
    if (hs->psk_mode != PL_PSK_KE) {
        /* (EC)DHE needs supported_groups and key_share. */
        PL_ENSURE(ch->has_groups && ch->has_key_share, PL_ERR_MISSING_EXTENSION,
                  "ClientHello lacks supported_groups or key_share");
        PL_GUARD(pl_client_hello_check_shares(ch));
        /* Group: a share we can use, in server preference order; otherwise HRR. */
        for (size_t i = 0; i < cfg->ngroups; i++) {
            const uint8_t *share;
            size_t slen;
            int rc = pl_client_hello_find_share(ch, cfg->groups[i], &share, &slen);
            PL_GUARD(rc);
            if (rc == 1 && !out->group) {
                out->group = cfg->groups[i];
                out->share = share;
                out->share_len = slen;
            }
        }
        if (hs->hrr_done) {
            /* RFC 8446 4.1.2: the second ClientHello carries the requested share. */
            PL_ENSURE(out->group == hs->hrr_group && out->share, PL_ERR_ILLEGAL_PARAMETER,
                      "second ClientHello has no key share for %s", parley_group_name(hs->hrr_group));
        }
        if (!out->group) {
            for (size_t i = 0; i < cfg->ngroups && !out->group; i++)
                if (pl_u16_list_has(ch->groups, cfg->groups[i])) out->group = cfg->groups[i];
            PL_ENSURE(out->group, PL_ERR_HANDSHAKE_FAILURE, "no key exchange group in common with the client");
            out->need_hrr = 1;
        }
    }
    int rc = pl_negotiate_alpn(c, ch->has_alpn, ch->alpn);
    return rc < 0 ? rc : 0;
}

/* The highest version both sides speak (RFC 8446 4.2.1, RFC 5246 E.1);
 * anything below TLS 1.2 is refused (RFC 8996). */
static int pl_choose_version(const parley_config *cfg, const pl_client_hello *ch)
{
    /* RFC 8446 D.5 (and E.1 of RFC 5246 as it reads since): a ClientHello
     * with legacy_version 0x0300 or less is refused with protocol_version,
     * whatever supported_versions offers. */
    PL_ENSURE(ch->legacy_version > 0x0300, PL_ERR_PROTOCOL_VERSION,
              "ClientHello legacy_version is 0x%04x (SSL 3.0 or older), which RFC 8446 D.5 requires refusing",
              ch->legacy_version);
    if (ch->has_versions) {
        if (cfg->max_version >= PARLEY_TLS1_3 && pl_u16_list_has(ch->versions, PARLEY_TLS1_3)) return 13;
        if (cfg->min_version <= PARLEY_TLS1_2 && pl_u16_list_has(ch->versions, PARLEY_TLS1_2)) return 12;
        PL_BAIL(PL_ERR_PROTOCOL_VERSION, "no protocol version in common with the client (this server speaks %s%s)",
                cfg->min_version <= PARLEY_TLS1_2 ? "TLS 1.2" : "TLS 1.3",
                cfg->min_version <= PARLEY_TLS1_2 && cfg->max_version >= PARLEY_TLS1_3 ? " and TLS 1.3" : "");
    }
    if (ch->legacy_version >= PARLEY_TLS1_2 && cfg->min_version <= PARLEY_TLS1_2) return 12;
    PL_BAIL(PL_ERR_PROTOCOL_VERSION, "client offered only %s; this server speaks %s", parley_version_name(ch->legacy_version),
            cfg->min_version <= PARLEY_TLS1_2 ? "TLS 1.2 and newer" : "TLS 1.3");
}

static int s_recv_ch(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_client_hello ch;
    pl_choice ch_out;
    PL_GUARD(pl_client_hello_parse(msg + 4, len - 4, &ch));
    /* RFC 8446 4.1.2: the second ClientHello repeats the first but for the
     * changes a HelloRetryRequest permits (hello_retry.c). */
    if (hs->hrr_done) PL_GUARD(pl_ch2_check(&hs->ch1, &ch, hs->hrr_group));
    int version = pl_choose_version(c->cfg, &ch);
    PL_GUARD(version);
    pl_rsl_server_accept(c, &ch, version == 12 ? PARLEY_TLS1_2 : PARLEY_TLS1_3); /* RFC 8449 */
    if (version == 12) {
        PL_ENSURE(!hs->hrr_done, PL_ERR_ILLEGAL_PARAMETER, "second ClientHello no longer offers TLS 1.3");
        return pl_server12_client_hello(c, &ch, msg, len);
    }
    int nrc = pl_negotiate(c, &ch, msg, len, &ch_out);
    if (nrc != 0) return nrc; /* an error, or a session lookup pending */
    if (!hs->hrr_done) { /* the second repeats these (pl_ch2_check) */
        memcpy(hs->client_random, ch.random, 32);
        memcpy(c->client_random, ch.random, 32);
        memcpy(hs->session_id, ch.session_id.p, ch.session_id.len);
        hs->session_id_len = ch.session_id.len;
    }
    c->sigscheme = ch_out.scheme;
    hs->cert_index = ch_out.cert;
    /* The name binds tickets (RFC 6066 3) and EncryptedExtensions: losing it is an error, not "no SNI". */
    if (ch.has_sni && !c->server_name)
        PL_ENSURE(c->server_name = pl_strdup(ch.sni), PL_ERR_NOMEM, "out of memory");
    hs->status_requested = ch.has_status_request;
    /* RFC 8446 4.2.10: accept early data or skip it (early_data_server.c). A
     * second ClientHello never offers it, and after it nothing more is skipped. */
    if (!hs->hrr_done && ch.has_early_data) PL_GUARD(pl_server13_early_decide(c, msg, len, ch_out.need_hrr));
    c->pha_offered = ch.has_pha; /* RFC 8446 4.2.6 */
    if (hs->hrr_done) hs->early_skipping = 0;
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    if (ch_out.need_hrr) {
        hs->hrr_group = ch_out.group;
        PL_GUARD(pl_ch1_summarize(&ch, &hs->ch1));
        hs->ch1.resume_idx = hs->psk_mode != PL_PSK_NONE ? hs->psk_index : -1;
        PL_GUARD(pl_transcript_hrr(&hs->transcript));
        hs->state = S_SEND_HRR;
        return 0;
    }
    /* Keep the client's share: the message buffer is released after this handler. */
    hs->kex_group = ch_out.group;
    pl_buf_reset(&hs->peer_share);
    PL_GUARD(pl_buf_bytes(&hs->peer_share, ch_out.share, ch_out.share_len));
    hs->state = S_SEND_SH;
    return 0;
}

static int s_send_hrr(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_buf b = {0};
    (void)msg;
    (void)len;
    int rc = pl_server_hello_write(&b, NULL, hs->session_id, hs->session_id_len, c->suite, 1, hs->hrr_group, NULL, 0, -1);
    if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_SERVER_HELLO, b.data, b.len);
    pl_buf_free(&b);
    PL_GUARD(rc);
    hs->hrr_done = 1;
    hs->lookups_done = 0; /* the second ClientHello may look its ticket up again */
    /* RFC 8446 D.4: in compatibility mode the CCS follows the first server message. */
    if (hs->session_id_len) {
        PL_GUARD(pl_conn_send_ccs(c));
        hs->ccs_sent = 1;
    }
    hs->state = S_WAIT_CH2;
    return 0;
}

static int s_send_sh(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    uint8_t pub[PL_MAX_KEX_PUB], secret[PL_MAX_KEX_SECRET], th[PL_MAX_HASH];
    size_t publen, slen, m;
    pl_buf b = {0};
    int rc;
    (void)msg;
    (void)len;
    int psk_ke = hs->psk_mode == PL_PSK_KE;
    PL_GUARD(pl_random(hs->server_random, 32));
    publen = slen = 0;
    if (!psk_ke) {
        PL_GUARD(pl_kex_generate(hs->kex_group, &hs->kex, pub, &publen));
        rc = pl_kex_derive(hs->kex, hs->peer_share.data, hs->peer_share.len, secret, &slen);
        pl_buf_free(&hs->peer_share);
        PL_GUARD(rc);
    }
    c->group = psk_ke ? 0 : hs->kex_group;
    c->version = PARLEY_TLS1_3;
    rc = pl_server_hello_write(&b, hs->server_random, hs->session_id, hs->session_id_len, c->suite, 0, c->group, pub, publen,
                               hs->psk_mode ? hs->psk_index : -1);
    if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_SERVER_HELLO, b.data, b.len);
    if (rc == 0 && !hs->ccs_sent && hs->session_id_len) {
        rc = pl_conn_send_ccs(c);
        hs->ccs_sent = 1;
    }
    if (rc == 0) rc = pl_transcript_hash(&hs->transcript, th);
    if (rc == 0) rc = hs->psk_mode ? pl_ks13_init_psk(&hs->ks, hs->hash, hs->psk, hs->psk_len) : pl_ks13_init(&hs->ks, hs->hash);
    if (rc == 0) rc = pl_ks13_handshake(&hs->ks, psk_ke ? NULL : secret, slen, th);
    pl_cleanse(secret, sizeof secret);
    if (rc < 0) goto out;
    pl_keylog(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs->ks.c_hs, hs->ks.hlen);
    pl_keylog(c, "SERVER_HANDSHAKE_TRAFFIC_SECRET", hs->ks.s_hs, hs->ks.hlen);
    if ((rc = pl_conn_set_write_keys(c, hs->ks.s_hs)) < 0) goto out;
    /* 0-RTT accepted: the client's early data comes first, under the early key. */
    hs->early_reading = c->early_status == PARLEY_EARLY_DATA_ACCEPTED;
    if ((rc = pl_conn_set_read_keys(c, hs->early_reading ? hs->c_early : hs->ks.c_hs)) < 0) goto out;
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "handshake traffic keys installed", 0, "");
    /* EncryptedExtensions: ALPN, and an empty server_name when SNI was used. */
    pl_buf_reset(&b);
    size_t exts;
    if ((rc = pl_buf_open(&b, 2, &exts)) < 0) goto out;
    if (c->alpn) {
        size_t al = strlen(c->alpn);
        if ((rc = pl_buf_u16(&b, PL_EXT_ALPN)) < 0 || (rc = pl_buf_open(&b, 2, &m)) < 0 ||
            (rc = pl_buf_u16(&b, (uint16_t)(al + 1))) < 0 || (rc = pl_buf_u8(&b, (uint8_t)al)) < 0 ||
            (rc = pl_buf_bytes(&b, c->alpn, al)) < 0 || (rc = pl_buf_close(&b, 2, m)) < 0)
            goto out;
    }
    if (c->server_name && pl_chain_matches_name(&cfg->certs[hs->cert_index].chain, c->server_name)) {
        if ((rc = pl_buf_u16(&b, PL_EXT_SERVER_NAME)) < 0 || (rc = pl_buf_u16(&b, 0)) < 0) goto out;
    }
    /* RFC 8446 4.2.10: an empty early_data says the early data is accepted. */
    if (hs->early_reading && ((rc = pl_buf_u16(&b, PL_EXT_EARLY_DATA)) < 0 || (rc = pl_buf_u16(&b, 0)) < 0)) goto out;
    if ((rc = pl_rsl_server_write(c, &b)) < 0) goto out; /* RFC 8449 4 */
    if ((rc = pl_buf_close(&b, 2, exts)) < 0) goto out;
    if ((rc = pl_conn_send_handshake(c, PL_HS_ENCRYPTED_EXTENSIONS, b.data, b.len)) < 0) goto out;
    if (hs->psk_mode) {
        /* Resumed: authenticated by the PSK (RFC 8446 2.2). A stateful
         * ticket is single-use (RFC 8446 8.1): forget it now. */
        hs->resumed = c->resumed = 1;
        if (hs->psk_id_len) cfg->cache->remove(cfg->cache, hs->psk_id, hs->psk_id_len);
        if (hs->sess_client_auth && (rc = pl_conn_set_verify(c, "ok (resumed session; verified when it was made)")) < 0)
            goto out;
        hs->state = S_SEND_FIN;
        goto out;
    }
    /* Deferred: asked after the handshake (post_auth.c), but only of a client
     * that can be asked then (RFC 8446 4.2.6). With REQUIRE any other client
     * is asked now, or a required certificate would never be; with OPTIONAL
     * it is not asked at all (a browser would prompt for a certificate the
     * deferring server may never need). */
    if (cfg->verify_client &&
        (!cfg->client_auth_deferred || (!c->pha_offered && cfg->verify_client == PARLEY_VERIFY_CLIENT_REQUIRE))) {
        /* RFC 8446 4.3.2: empty context, signature_algorithms, and the CAs we trust. */
        size_t sa, m2;
        pl_buf_reset(&b);
        if ((rc = pl_buf_u8(&b, 0)) < 0 || (rc = pl_buf_open(&b, 2, &exts)) < 0 ||
            (rc = pl_buf_u16(&b, PL_EXT_SIGNATURE_ALGORITHMS)) < 0 || (rc = pl_buf_open(&b, 2, &sa)) < 0 ||
            (rc = pl_buf_open(&b, 2, &m2)) < 0)
            goto out;
        for (size_t i = 0; i < cfg->nsigalgs; i++)
            if ((cfg->sigalgs[i] & 0xff) != 0x01 && (rc = pl_buf_u16(&b, cfg->sigalgs[i])) < 0) goto out; /* no PKCS#1 in 1.3 */
        /* signature_algorithms<2..2^16-2> (RFC 8446 4.2.3): never empty. */
        if (!pl_verify_list_has_tls13(cfg)) {
            rc = pl_fail(PL_ERR_HANDSHAKE_FAILURE, __FILE__, __LINE__, PL_NO_TLS13_VERIFY_SCHEME);
            goto out;
        }
        if ((rc = pl_buf_close(&b, 2, m2)) < 0 || (rc = pl_buf_close(&b, 2, sa)) < 0) goto out;
        if (cfg->ca_names.len &&
            ((rc = pl_buf_u16(&b, PL_EXT_CERTIFICATE_AUTHORITIES)) < 0 || (rc = pl_buf_u16(&b, (uint16_t)(cfg->ca_names.len + 2))) < 0 ||
             (rc = pl_buf_u16(&b, (uint16_t)cfg->ca_names.len)) < 0 || (rc = pl_buf_bytes(&b, cfg->ca_names.data, cfg->ca_names.len)) < 0))
            goto out;
        if ((rc = pl_cc_write_ext(c, &b)) < 0) goto out; /* RFC 8879 3 */
        if ((rc = pl_buf_close(&b, 2, exts)) < 0 ||
            (rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE_REQUEST, b.data, b.len)) < 0)
            goto out;
        hs->cert_requested = 1;
    }
    pl_cert_entry *ce = &cfg->certs[hs->cert_index];
    /* Encoded once per config; with the OCSP staple when the client asked;
     * compressed (once per algorithm) when it offered (RFC 8879). */
    if ((rc = pl_cc_send_certificate(c, ce, hs->status_requested && ce->ocsp.len)) < 0) goto out;
    hs->state = S_SEND_CV;
out:
    pl_buf_free(&b);
    return rc;
}

static int s_send_cv(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_buf content = {0}, b = {0};
    int rc = 0;
    (void)msg;
    (void)len;
    if (pl_op_state(&hs->op) == PL_OP_IDLE) { /* acquire: the op may be completing elsewhere */
        uint8_t th[PL_MAX_HASH];
        if ((rc = pl_transcript_hash(&hs->transcript, th)) < 0 ||
            (rc = pl_certificate_verify_content(1, th, pl_hash_len(hs->hash), &content)) < 0)
            goto out;
    }
    rc = pl_key_op_run(c, PARLEY_KEY_OP_SIGN, c->sigscheme, content.data, content.len);
    if (rc != 0) goto out;
    if ((rc = pl_buf_u16(&b, c->sigscheme)) < 0 || (rc = pl_buf_u16(&b, (uint16_t)hs->op.output.len)) < 0 ||
        (rc = pl_buf_bytes(&b, hs->op.output.data, hs->op.output.len)) < 0 ||
        (rc = pl_conn_send_handshake(c, PL_HS_CERTIFICATE_VERIFY, b.data, b.len)) < 0)
        goto out;
    hs->state = S_SEND_FIN;
out:
    pl_buf_free(&content);
    pl_buf_free(&b);
    return rc;
}

static int s_send_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH], fin[PL_MAX_HASH];
    (void)msg;
    (void)len;
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_finished(hs->hash, hs->ks.s_hs, th, fin));
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_FINISHED, fin, pl_hash_len(hs->hash)));
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_master(&hs->ks, th));
    pl_keylog(c, "CLIENT_TRAFFIC_SECRET_0", hs->ks.c_ap, hs->ks.hlen);
    pl_keylog(c, "SERVER_TRAFFIC_SECRET_0", hs->ks.s_ap, hs->ks.hlen);
    pl_keylog(c, "EXPORTER_SECRET", hs->ks.exporter, hs->ks.hlen);
    PL_GUARD(pl_conn_set_write_keys(c, hs->ks.s_ap));
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "server application traffic (write)", 0, "");
    hs->half_rtt = 1; /* parley_conn_write may send 0.5-RTT data from here (conn.c) */
    hs->state = hs->early_reading ? S_WAIT_EOED : hs->cert_requested ? S_WAIT_CCERT : S_WAIT_FIN;
    return 0;
}

/* RFC 8446 4.5: EndOfEarlyData (empty, under the early key: the record
 * layer opened it with it) ends the early data; from here the client's
 * handshake traffic key. It goes into the transcript (the dispatcher adds it). */
static int s_recv_eoed(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    (void)msg;
    PL_ENSURE(len == 4, PL_ERR_DECODE, "EndOfEarlyData has a body of %zu bytes", len - 4);
    PL_GUARD(pl_conn_set_read_keys(c, hs->ks.c_hs));
    hs->early_reading = 0;
    pl_cleanse(hs->c_early, sizeof hs->c_early);
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "client handshake traffic (read, after early data)", 0, "");
    hs->state = S_WAIT_FIN; /* with a PSK there is no CertificateRequest */
    return 0;
}

static int s_recv_ccert(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    pl_certificate ct;
    const uint8_t *body;
    size_t blen;
    PL_GUARD(pl_cc_certificate_body(c, msg, len, &body, &blen)); /* RFC 8879 4: maybe compressed */
    PL_GUARD(pl_certificate_parse(body, blen, &ct));
    /* RFC 8446 4.4.2: the context echoes the CertificateRequest's (empty). */
    PL_ENSURE(ct.context.len == 0, PL_ERR_ILLEGAL_PARAMETER, "client Certificate has the wrong request context");
    /* RFC 8446 4.4.2: our CertificateRequest never asks for status_request. */
    PL_ENSURE(!ct.any_status, PL_ERR_UNSUPPORTED_EXTENSION, "client Certificate carries status_request, which was not requested");
    if (ct.n == 0) {
        /* RFC 8446 4.4.2.4: certificate_required when one is required. */
        PL_ENSURE(c->cfg->verify_client != PARLEY_VERIFY_CLIENT_REQUIRE, PL_ERR_CERTIFICATE_REQUIRED,
                  "the client sent no certificate, and one is required");
        hs->state = S_WAIT_FIN;
        return 0;
    }
    PL_GUARD(pl_take_peer_chain(c, &ct));
    hs->peer_sent_cert = 1;
    hs->state = S_WAIT_CCV;
    return 0;
}

/* The client's CertificateVerify over the transcript so far (RFC 8446 4.4.3),
 * in the handshake and after it (post_auth.c): a scheme we asked for, that
 * fits the client's key, and a signature that verifies. */
int pl_server13_check_client_cv(parley_conn *c, const uint8_t *msg, size_t len, const char *what)
{
    pl_hs *hs = c->hs;
    pl_certificate_verify cv;
    uint8_t th[PL_MAX_HASH];
    pl_buf content = {0};
    PL_GUARD(pl_certificate_verify_parse(msg + 4, len - 4, &cv));
    PL_ENSURE(pl_u16_in(c->cfg->sigalgs, c->cfg->nsigalgs, cv.scheme) && (cv.scheme & 0xff) != 0x01, PL_ERR_ILLEGAL_PARAMETER,
              "client signed with %s, which was not requested%s", parley_sigscheme_name(cv.scheme),
              pl_sigscheme_is_legacy(cv.scheme) ? " (a SHA-1/SHA-224 scheme, which Parley refuses)" : "");
    PL_ENSURE(pl_sig_scheme_fits_key(hs->peer_key, cv.scheme, 1), PL_ERR_ILLEGAL_PARAMETER,
              "client's signature scheme %s does not fit its certificate key", parley_sigscheme_name(cv.scheme));
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    int rc = pl_certificate_verify_content(0, th, pl_hash_len(hs->hash), &content);
    if (rc == 0) rc = pl_sig_verify(hs->peer_key, cv.scheme, content.data, content.len, cv.signature.p, cv.signature.len);
    pl_buf_free(&content);
    PL_GUARD(pl_peer_signature_verdict(rc, what));
    c->peer_sigscheme = cv.scheme;
    return 0;
}

static int s_recv_ccv(parley_conn *c, const uint8_t *msg, size_t len)
{
    PL_GUARD(pl_server13_check_client_cv(c, msg, len, "the client's CertificateVerify"));
    c->hs->state = S_WAIT_FIN;
    return 0;
}

static int s_recv_fin(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    uint8_t th[PL_MAX_HASH];
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_check_finished(hs->hash, hs->ks.c_hs, th, msg, len, "the client's Finished"));
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    PL_GUARD(pl_transcript_hash(&hs->transcript, th));
    PL_GUARD(pl_ks13_resumption(&hs->ks, th));
    PL_GUARD(pl_pha_snapshot(c)); /* the transcript through the client Finished, before our ticket */
    PL_GUARD(pl_conn_set_read_keys(c, hs->ks.c_ap));
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "client application traffic (read)", 0, "");
    /* A ticket when we can make one (sealed, or a cache key) and the client
     * can use it: it offered a PSK mode we accept (RFC 8446 4.2.9). */
    int usable = (hs->client_psk_modes & 2) || ((hs->client_psk_modes & 1) && c->cfg->psk_ke);
    hs->state = usable && (!c->cfg->tickets_disabled || c->cfg->cache) ? S_SEND_TICKET : PL_ST_DONE;
    return 0;
}

static int s_send_ticket(parley_conn *c, const uint8_t *msg, size_t len)
{
    (void)msg;
    (void)len;
    PL_GUARD(pl_server13_send_ticket(c));
    c->hs->state = PL_ST_DONE;
    return 0;
}

static const pl_hs_row pl_server13_rows[] = {
    [S_WAIT_CH] = {"WAIT_CLIENT_HELLO", PL_HS_CLIENT_HELLO, 0, 1, s_recv_ch, {S_SEND_SH, S_SEND_HRR}},
    [S_SEND_HRR] = {"SEND_HELLO_RETRY_REQUEST", 0, 0, 0, s_send_hrr, {S_WAIT_CH2}},
    [S_WAIT_CH2] = {"WAIT_SECOND_CLIENT_HELLO", PL_HS_CLIENT_HELLO, 0, 1, s_recv_ch, {S_SEND_SH}},
    [S_SEND_SH] = {"SEND_SERVER_HELLO_TO_CERTIFICATE", 0, 0, 0, s_send_sh, {S_SEND_CV, S_SEND_FIN}},
    [S_SEND_CV] = {"SEND_CERTIFICATE_VERIFY", 0, 0, 0, s_send_cv, {S_SEND_FIN}},
    [S_SEND_FIN] = {"SEND_FINISHED", 0, 0, 0, s_send_fin, {S_WAIT_FIN, S_WAIT_CCERT, S_WAIT_EOED}},
    [S_WAIT_EOED] = {"WAIT_END_OF_EARLY_DATA", PL_HS_END_OF_EARLY_DATA, 0, 0, s_recv_eoed, {S_WAIT_FIN}},
    [S_WAIT_CCERT] = {"WAIT_CLIENT_CERTIFICATE", PL_HS_CERTIFICATE, 0, 0, s_recv_ccert, {S_WAIT_CCV, S_WAIT_FIN}},
    [S_WAIT_CCV] = {"WAIT_CLIENT_CERTIFICATE_VERIFY", PL_HS_CERTIFICATE_VERIFY, 0, 0, s_recv_ccv, {S_WAIT_FIN}},
    [S_WAIT_FIN] = {"WAIT_FINISHED", PL_HS_FINISHED, 0, 1, s_recv_fin, {PL_ST_DONE, S_SEND_TICKET}},
    [S_SEND_TICKET] = {"SEND_NEW_SESSION_TICKET", 0, 0, 0, s_send_ticket, {PL_ST_DONE}},
};

const pl_hs_table pl_server13_table = {"server", pl_server13_rows, sizeof pl_server13_rows / sizeof pl_server13_rows[0]};
