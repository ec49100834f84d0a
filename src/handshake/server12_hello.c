/*
 * server12_hello.c - what a TLS 1.2 server decides from the ClientHello:
 * resumption (RFC 5246 7.3, RFC 5077, RFC 7627 5.3), the cipher suite, the
 * certificate and its signature scheme, the (EC)DHE group, EMS and the
 * extensions that only TLS 1.2 reads. The flights that follow are server12.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "messages.h"

static int pl_has_ffdhe(pl_cursor groups)
{
    uint16_t g;
    while (groups.len >= 2) {
        if (pl_cur_u16(&groups, &g) < 0) return 0;
        if (g >= 0x0100 && g <= 0x01ff) return 1;
    }
    return 0;
}

/* RFC 8422 5.1.2: ECPointFormatList <1..2^8-1>. A client that lists any of
 * that RFC's curves in supported_groups must accept uncompressed points, the
 * only form Parley sends and reads: otherwise illegal_parameter. Without
 * supported_groups the RFC sets no MUST: such a client simply gets no ECDHE
 * suite (*ec_ok = 0). Unknown formats are ignored. */
static int pl_check_point_formats(const pl_client_hello *ch, int *ec_ok)
{
    static const uint16_t ec[] = {PARLEY_GROUP_SECP256R1, PARLEY_GROUP_SECP384R1, PARLEY_GROUP_SECP521R1, PARLEY_GROUP_X25519,
                                  PARLEY_GROUP_X448};
    pl_cursor b = ch->point_formats, l;
    int uncompressed = 0, ec_listed = 0;
    uint8_t f;
    PL_GUARD(pl_cur_vec8(&b, &l));
    PL_GUARD(pl_cur_expect_empty(&b));
    PL_ENSURE(l.len > 0, PL_ERR_DECODE, "empty ec_point_formats list");
    while (l.len) {
        PL_GUARD(pl_cur_u8(&l, &f));
        uncompressed |= f == 0;
    }
    for (size_t i = 0; i < sizeof ec / sizeof ec[0]; i++) ec_listed |= ch->has_groups && pl_u16_list_has(ch->groups, ec[i]);
    PL_ENSURE(uncompressed || !ec_listed, PL_ERR_ILLEGAL_PARAMETER,
              "the client's ec_point_formats leave out uncompressed points, which RFC 8422 5.1.2 requires with its curves");
    *ec_ok = uncompressed;
    return 0;
}

/* Does certificate entry e suit suite s, and with which signature scheme?
 * offered: pl_sigalgs_offered of the client's list. An ECDSA certificate
 * refused only for its curve sets *curve_miss to that curve (for the error). */
static int pl_cert_suits(const parley_config *cfg, const pl_cert_entry *e, const pl_suite *s, const pl_client_hello *ch,
                         uint32_t offered, uint16_t *scheme, uint16_t *curve_miss)
{
    const pl_pkey *k = e->chain.pubkey;
    if (s->kx == PL_KX_RSA) {
        *scheme = 0;
        return pl_pkey_is_rsa(k);
    }
    if (s->auth == PL_AUTH_RSA && !pl_pkey_is_rsa(k) && !pl_sig_scheme_fits_key(k, 0x0809, 0)) return 0;
    if (s->auth == PL_AUTH_ECDSA && pl_pkey_is_rsa(k)) return 0;
    /* RFC 8422 5.1: in TLS 1.2 the client's supported_groups also names the
     * curves it can verify, and the server MUST NOT negotiate a handshake
     * the client cannot complete: an ECDSA certificate's curve must be listed. */
    uint16_t curve = pl_pkey_ec_group(k);
    if (curve && ch->has_groups && !pl_u16_list_has(ch->groups, curve)) {
        *curve_miss = curve;
        return 0;
    }
    /* RFC 5246 7.4.1.4.1: without signature_algorithms the client means SHA-1,
     * which Parley does not sign with. */
    if (!ch->has_sigalgs) return 0;
    /* TLS 1.2 lets any ECDSA hash go with any curve; a scheme whose hash
     * matches the curve (TLS 1.3's binding: P-521 with SHA-512) is preferred,
     * then any the key can make. */
    for (int bound = 1; bound >= 0; bound--)
        for (size_t j = 0; j < cfg->nsign_sigalgs; j++) {
            uint16_t sc = cfg->sign_sigalgs[j];
            if ((offered >> j & 1) && pl_sig_scheme_fits_key(k, sc, bound) && pl_sig_scheme_fits_key(k, sc, 0)) {
                /* ECDSA suites sign with ECDSA or EdDSA (RFC 8422 5.1.3), RSA suites with RSA. */
                if (s->auth == PL_AUTH_ECDSA && (sc >> 8) == 0x08 && sc != 0x0807 && sc != 0x0808) continue;
                *scheme = sc;
                return 1;
            }
        }
    return 0;
}

static uint16_t pl_choose_group(const parley_config *cfg, const pl_client_hello *ch, int ffdhe)
{
    for (size_t i = 0; i < cfg->ngroups; i++) {
        uint16_t g = cfg->groups[i];
        if (pl_kex_group_is_ffdhe(g) != ffdhe) continue;
        if (ch->has_groups ? pl_u16_list_has(ch->groups, g) : 1) {
            /* RFC 7919 4: a client listing no FFDHE group lets the server choose. */
            return g;
        }
    }
    if (ffdhe && ch->has_groups && !pl_has_ffdhe(ch->groups)) {
        for (size_t i = 0; i < cfg->ngroups; i++)
            if (pl_kex_group_is_ffdhe(cfg->groups[i])) return cfg->groups[i];
    }
    return 0;
}

/* A session this ClientHello may resume, from its ticket (RFC 5077) or from
 * the cache by id: 1, or 0, or PL_HS_WAIT_SESSION while an asynchronous
 * cache looks it up. Same rules either way. */
static int pl_try_resume(parley_conn *c, const pl_client_hello *ch, pl_session *ss)
{
    parley_config *cfg = c->cfg;
    int found = 0;
    if (!cfg->tickets_disabled && ch->has_ticket && ch->ticket.len) {
        found = pl_ticket_open_session(cfg, ch->ticket.p, ch->ticket.len, ss);
        pl_trace(c, PARLEY_TRACE_INFO, -1, "session ticket", 0, found ? "opened" : "does not open: full handshake");
    }
    if (!found && cfg->cache && ch->session_id.len) {
        found = pl_cache_fetch_session(c, ch->session_id.p, ch->session_id.len, ss);
        if (found == PL_HS_WAIT_SESSION) return found;
    }
    int ok = found && ss->version == PARLEY_TLS1_2 && pl_session_fresh(ss, (uint64_t)time(NULL)) &&
             pl_u16_list_has(ch->suites, ss->suite) && pl_suite_usable(cfg, ss->suite) &&
             /* RFC 6066 3: never resume under another server name. */
             strcmp(ss->sni, ch->has_sni ? ch->sni : "") == 0 &&
             /* A server that requires client certificates resumes only sessions that had one. */
             (cfg->verify_client != PARLEY_VERIFY_CLIENT_REQUIRE || pl_session_client_auth(cfg, ss));
    /* RFC 7627 5.3: a session made with the extended master secret, offered
     * in a ClientHello without it: the server MUST abort (as OpenSSL and
     * BoringSSL do); the client has downgraded or the hello was altered. */
    if (ok && ss->ems && !ch->has_ems) {
        pl_cleanse(ss, sizeof *ss);
        PL_BAIL(PL_ERR_HANDSHAKE_FAILURE,
                "client offers a session made with the extended master secret but does not send the extension (RFC 7627 5.3)");
    }
    /* RFC 7627 5.3/5.4: one made without it is never resumed: a full handshake. */
    ok = ok && pl_session_resumable(ss);
    if (!ok) pl_cleanse(ss, sizeof *ss);
    return ok;
}

int pl_server12_client_hello(parley_conn *c, const void *vch, const uint8_t *msg, size_t len)
{
    const pl_client_hello *ch = vch;
    parley_config *cfg = c->cfg;
    pl_hs *hs = c->hs;
    uint16_t scheme = 0, group = 0;
    const pl_suite *chosen = NULL;
    int cert = -1, known = 0;
    int nullc = 0;
    for (size_t i = 0; i < ch->compression.len; i++) nullc |= ch->compression.p[i] == 0;
    PL_ENSURE(nullc, PL_ERR_ILLEGAL_PARAMETER, "ClientHello does not offer null compression");
    int ec_ok = 1;
    if (ch->has_point_formats) PL_GUARD(pl_check_point_formats(ch, &ec_ok));
    /* RFC 7627 5.1: the extension_data is empty. Checked here, not by the
     * parser: a TLS 1.3 server ignores this extension, whatever it holds. */
    PL_ENSURE(!ch->has_ems || ch->ems_body_len == 0, PL_ERR_DECODE, "extended_master_secret must be empty (it has %zu bytes)",
              ch->ems_body_len);
    /* RFC 5746 3.6: renegotiation_info (empty) or the SCSV signals support. */
    hs->reneg_ok = ch->has_reneg || pl_u16_list_has(ch->suites, 0x00ff);
    if (ch->has_reneg) {
        PL_ENSURE(ch->reneg_info.len == 1 && ch->reneg_info.p[0] == 0, PL_ERR_HANDSHAKE_FAILURE,
                  "non-empty renegotiation_info on an initial handshake");
    }
    /* RFC 7627 5.3. */
    PL_ENSURE(ch->has_ems || !cfg->require_ems, PL_ERR_HANDSHAKE_FAILURE,
              "client does not support the extended master secret (RFC 7627), which is required");
    pl_session ss;
    /* RFC 7627 5.4: without EMS the session will not be resumable, so no
     * ticket: the ServerHello leaves out session_ticket and no
     * NewSessionTicket follows (RFC 5077 3.2). */
    hs->issue_ticket = !cfg->tickets_disabled && ch->has_ticket && ch->has_ems;
    int resume = pl_try_resume(c, ch, &ss);
    if (resume < 0) return resume;
    if (resume == PL_HS_WAIT_SESSION) return resume; /* this handler runs again with the answer */
    if (resume) {
        chosen = pl_suite_find(ss.suite);
        memcpy(hs->master, ss.secret, 48);
        /* Echo the client's session id: that is how it learns of the resumption
         * (RFC 5246 7.4.1.3, RFC 5077 3.4). */
        memcpy(hs->session_id, ch->session_id.p, ch->session_id.len);
        hs->session_id_len = ch->session_id.len;
        hs->sess_created = ss.created;
        hs->sess_client_auth = pl_session_client_auth(cfg, &ss);
        hs->resumed = 1;
        c->resumed = 1;
        cert = 0;
        /* No exchange in an abbreviated handshake: the group is the session's. */
        group = ss.group;
        pl_cleanse(&ss, sizeof ss);
        /* As in TLS 1.3: the client certificate was verified when the session
         * was made, under the current client CAs (pl_session_client_auth). */
        if (hs->sess_client_auth) PL_GUARD(pl_conn_set_verify(c, "ok (resumed session; verified when it was made)"));
    }
    /* Suite: server preference, then a certificate (SNI first) and a group that fit. */
    uint16_t curve_miss = 0;
    uint32_t offered = ch->has_sigalgs ? pl_sigalgs_offered(cfg->sign_sigalgs, cfg->nsign_sigalgs, ch->sigalgs) : 0;
    for (size_t i = 0; i < cfg->nsuites && !chosen; i++) {
        const pl_suite *s = pl_suite_find(cfg->suites[i]);
        if (!s || s->version != 12 || !pl_suite_usable(cfg, s->id) || !pl_u16_list_has(ch->suites, s->id)) continue;
        uint16_t g = 0;
        if (s->kx == PL_KX_ECDHE && (!ec_ok || !(g = pl_choose_group(cfg, ch, 0)))) continue;
        if (s->kx == PL_KX_DHE && !(g = pl_choose_group(cfg, ch, 1))) continue;
        for (int pass = 0; pass < 2 && cert < 0; pass++)
            for (size_t k = 0; k < cfg->ncerts && cert < 0; k++) {
                if (pass == 0 && (!ch->has_sni || !pl_chain_matches_name(&cfg->certs[k].chain, ch->sni))) continue;
                if (pl_cert_suits(cfg, &cfg->certs[k], s, ch, offered, &scheme, &curve_miss)) cert = (int)k;
            }
        if (cert >= 0) {
            chosen = s;
            group = g;
        }
    }
    if (!chosen) {
        pl_cursor l = ch->suites;
        uint16_t v;
        while (l.len >= 2 && pl_cur_u16(&l, &v) == 0) known |= pl_suite_find(v) != NULL;
        if (!known)
            PL_BAIL(PL_ERR_HANDSHAKE_FAILURE, "the client offers no AEAD cipher suite (only CBC, RC4, export or other suites Parley does not implement)");
        /* RFC 5246 7.4.1.4.1 / RFC 9155: SHA-1 (and SHA-224) are refused. */
        PL_ENSURE(!ch->has_sigalgs || !pl_sigalgs_legacy_only(ch->sigalgs), PL_ERR_HANDSHAKE_FAILURE,
                  "the client offers " PL_LEGACY_SIGALGS_REFUSED);
        PL_ENSURE(ch->has_sigalgs, PL_ERR_HANDSHAKE_FAILURE,
                  "the client sends no signature_algorithms, which means SHA-1 only (RFC 5246 7.4.1.4.1), which Parley refuses");
        PL_ENSURE(!curve_miss, PL_ERR_HANDSHAKE_FAILURE,
                  "the client's supported_groups do not list %s, the curve of the ECDSA certificate (RFC 8422 5.1)",
                  parley_group_name(curve_miss));
        PL_BAIL(PL_ERR_HANDSHAKE_FAILURE, "no TLS 1.2 cipher suite in common with the client for the configured certificates");
    }
    PL_GUARD(pl_negotiate_alpn(c, ch->has_alpn, ch->alpn));
    hs->kx = chosen->kx;
    hs->aead = chosen->aead;
    hs->hash = chosen->hash;
    hs->cert_index = cert;
    hs->sig_scheme = scheme;
    hs->ems = ch->has_ems;
    hs->peer_point_formats = ch->has_point_formats;
    hs->status_requested = ch->has_status_request && cfg->certs[cert].ocsp.len > 0;
    hs->client_version = ch->legacy_version;
    c->suite = chosen->id;
    c->group = group;
    c->sigscheme = scheme;
    c->version = PARLEY_TLS1_2;
    c->ems = hs->ems;
    memcpy(hs->client_random, ch->random, 32);
    memcpy(c->client_random, ch->random, 32);
    /* The name binds the session (RFC 6066 3): losing it is an error, not "no SNI". */
    if (ch->has_sni && !c->server_name)
        PL_ENSURE(c->server_name = pl_strdup(ch->sni), PL_ERR_NOMEM, "out of memory");
    if (!hs->resumed && cfg->cache && hs->ems) {
        /* A new session id; the session is stored once the handshake completes. */
        PL_GUARD(pl_random(hs->session_id, 32));
        hs->session_id_len = 32;
    } else if (!hs->resumed) {
        /* RFC 5246 7.4.1.3: an empty session_id says the session will not be
         * cached: no cache, or no EMS (RFC 7627 5.4). */
        hs->session_id_len = 0;
    }
    PL_GUARD(pl_transcript_set_hash(&hs->transcript, hs->hash));
    PL_GUARD(pl_transcript_add(&hs->transcript, msg, len));
    pl_server12_enter(c);
    return 0;
}
