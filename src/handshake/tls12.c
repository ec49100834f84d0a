/* tls12.c - pieces shared by the TLS 1.2 client and server, and by both
 * versions' private-key operations and ALPN choice. */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "messages.h"
#include "prf12.h"

int pl_key_op_run(parley_conn *c, int type, uint16_t scheme, const uint8_t *in, size_t inlen)
{
    pl_hs *hs = c->hs;
    struct parley_key_op *op = &hs->op;
    if (pl_op_state(op) == PL_OP_IDLE) {
        pl_buf_reset(&op->input);
        pl_buf_reset(&op->output);
        PL_GUARD(pl_buf_bytes(&op->input, in, inlen));
        op->type = type;
        op->scheme = scheme;
        op->cert_index = c->is_server ? hs->cert_index : hs->client_cert;
        memcpy(op->key_id, c->cfg->certs[op->cert_index].key_id, 32);
        op->client_version = hs->client_version;
        op->ok = 0;
        parley_key_provider *p = c->cfg->certs[op->cert_index].provider;
        op->provider = p;
        /* Relaxed: start() runs on this thread; handing `op` to another
         * thread is the provider's own synchronisation (its queue, its lock). */
        atomic_store_explicit(&op->state, PL_OP_PENDING, memory_order_relaxed);
        int rc = p->start(p, op);
        if (rc == PARLEY_ERROR) {
            /* The provider refused and keeps nothing (parley.h): ours again. */
            atomic_store_explicit(&op->state, PL_OP_IDLE, memory_order_relaxed);
            PL_BAIL(PL_ERR_INTERNAL, "the private-key provider failed to start the operation");
        }
        if (rc == PARLEY_WANT_KEY_OP) {
            /* Trust start(): the op may complete on another thread at any
             * moment from here, even before this line, so the state is not
             * re-read; the next parley_conn_handshake() finds it done. */
            pl_trace(c, PARLEY_TRACE_INFO, -1, "private-key operation pending", 0,
                     type == PARLEY_KEY_OP_SIGN ? parley_sigscheme_name(scheme) : "RSA premaster decryption");
            return PL_HS_WAIT_KEY_OP;
        }
        /* PARLEY_OK: completed inside start(); the acquire below sees it. */
    }
    /* Acquire pairs with the release in parley_key_op_complete: output and
     * ok are read only after DONE is seen. */
    if (pl_op_state(op) != PL_OP_DONE) return PL_HS_WAIT_KEY_OP;
    atomic_store_explicit(&op->state, PL_OP_IDLE, memory_order_relaxed); /* the provider is done with it */
    PL_ENSURE(op->ok >= 0, PL_ERR_NOMEM, "out of memory for the private-key operation's result");
    PL_ENSURE(op->ok && op->output.len > 0, PL_ERR_INTERNAL, "the private-key provider could not complete the operation");
    return 0;
}

const uint8_t pl_downgrade12[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01}; /* "DOWNGRD" 01 */

int pl_client_accept_alpn(parley_conn *c, const uint8_t *proto, size_t len)
{
    /* An extension we did not send (RFC 8446 4.2, RFC 5246 7.4.1.4): a
     * protocol outside the list we did send is illegal_parameter below. */
    PL_ENSURE(c->cfg->alpn_len, PL_ERR_UNSUPPORTED_EXTENSION, "server sent ALPN, which the client did not offer");
    pl_cursor offered = pl_cur(c->cfg->alpn, c->cfg->alpn_len), name;
    while (offered.len) {
        PL_GUARD(pl_cur_vec8(&offered, &name));
        if (name.len == len && memcmp(name.p, proto, len) == 0) {
            return pl_conn_set_alpn(c, proto, len);
        }
    }
    PL_BAIL(PL_ERR_ILLEGAL_PARAMETER, "server selected an ALPN protocol that was not offered");
}

/* "ok", or "ok (...)" with a policy warning and/or a note that the host
 * name was left to the application. */
static int pl_set_verified(parley_conn *c, int chain_only)
{
    const char *w = pl_verify_warning(), *n = chain_only ? "chain only: the application checks the server name" : "";
    if (w[0] && n[0]) return pl_conn_set_verify(c, "ok (%s; %s)", n, w);
    if (w[0] || n[0]) return pl_conn_set_verify(c, "ok (%s)", w[0] ? w : n);
    return pl_conn_set_verify(c, "ok");
}

int pl_take_peer_chain(parley_conn *c, const pl_certificate *ct)
{
    pl_der ders[PL_CERT_MAX_ENTRIES];
    size_t n = ct->n;
    for (size_t i = 0; i < n; i++) {
        ders[i].p = ct->certs[i].p;
        ders[i].len = ct->certs[i].len;
    }
    if (!c->peer_certs && !(c->peer_certs = pl_calloc(PL_MAX_PEER_CERTS, sizeof *c->peer_certs)))
        PL_BAIL(PL_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n && i < PL_MAX_PEER_CERTS; i++) {
        pl_buf_reset(&c->peer_certs[i]);
        PL_GUARD(pl_buf_bytes(&c->peer_certs[i], ders[i].p, ders[i].len));
        c->npeer_certs = (int)i + 1;
    }
    pl_pkey_free(c->hs->peer_key);
    c->hs->peer_key = NULL;
    pl_cert_free(c->hs->peer_issuer);
    c->hs->peer_issuer = NULL;
    /* TLS 1.2 RSA key exchange encrypts to the key; everything else has it sign. */
    int key_transport = !c->is_server && c->hs->kx == PL_KX_RSA;
    if (c->cfg->verify_cb) {
        /* The application verifies the chain (parley_config_set_verify_callback);
         * the leaf's key must still be one we can use for what it will do. */
        PL_GUARD(pl_cert_leaf_key(ders[0].p, ders[0].len, key_transport, &c->hs->peer_key));
        if (!c->is_server && c->cfg->verify_hostname) {
            /* The callback judges the chain; the name is still Parley's to
             * check unless the application turned that off (RFC 6125 6). */
            const char *host = c->server_name && c->server_name[0] ? c->server_name : NULL;
            PL_ENSURE(host, PL_ERR_BAD_CERTIFICATE,
                      "no server name to verify the certificate against (give one to parley_conn_new_client, or call "
                      "parley_config_set_verify_hostname(cfg, 0) when the application checks the server's identity itself)");
            PL_ENSURE(pl_der_leaf_matches_host(ders[0].p, ders[0].len, host) == 1, PL_ERR_BAD_CERTIFICATE,
                      "the server's certificate is not for %s (no subjectAltName matches)", host);
        }
        PL_GUARD(pl_app_verify(c, ders, n));
        PL_GUARD(pl_conn_set_verify(c, "ok (accepted by the application's verify callback)"));
    } else if (c->is_server) {
        /* Verification hands back the leaf's key (no second parse). */
        PL_GUARD(pl_verify_chain(c->cfg->client_trust, ders, n, NULL, c->cfg->now, PL_PURPOSE_CLIENT, &c->hs->peer_key, NULL));
        PL_GUARD(pl_set_verified(c, 0));
    } else if (c->cfg->verify) {
        /* RFC 6125 6: a chain proves an identity only against a reference
         * name. Without one, verification fails, unless the application has
         * said it checks the server's identity itself (as rustls and Go
         * require a name or an explicit opt-out). */
        const char *host = c->server_name && c->server_name[0] ? c->server_name : NULL;
        PL_ENSURE(host || !c->cfg->verify_hostname, PL_ERR_BAD_CERTIFICATE,
                  "no server name to verify the certificate against (give one to parley_conn_new_client, or call "
                  "parley_config_set_verify_hostname(cfg, 0) when the application checks the server's identity itself)");
        PL_GUARD(pl_verify_server_chain(c->cfg->trust, ders, n, c->cfg->verify_hostname ? host : NULL, c->cfg->now,
                                        key_transport, &c->hs->peer_key, &c->hs->peer_issuer));
        PL_GUARD(pl_set_verified(c, !c->cfg->verify_hostname));
    } else {
        /* Unverified, but the key is used only as its keyUsage allows
         * (RFC 8446 4.4.2.2, RFC 5246 7.4.2, RFC 5280 4.2.1.3). */
        PL_GUARD(pl_cert_leaf_key(ders[0].p, ders[0].len, key_transport, &c->hs->peer_key));
        PL_GUARD(pl_conn_set_verify(c, "not verified (verification disabled)"));
    }
    return 0;
}

/* The application's verdict on the peer's chain: 0, or the alert it names.
 * Alerts that say something about a certificate (or a refusal) are sent as
 * named; any other value is sent as bad_certificate. */
int pl_app_verify(parley_conn *c, const pl_der *ders, size_t n)
{
    static const struct {
        int alert, code;
    } map[] = {{PL_ALERT_HANDSHAKE_FAILURE, PL_ERR_HANDSHAKE_FAILURE},
               {PL_ALERT_BAD_CERTIFICATE, PL_ERR_BAD_CERTIFICATE},
               {PL_ALERT_UNSUPPORTED_CERTIFICATE, PL_ERR_UNSUPPORTED_CERTIFICATE},
               {PL_ALERT_CERTIFICATE_REVOKED, PL_ERR_CERTIFICATE_REVOKED},
               {PL_ALERT_CERTIFICATE_EXPIRED, PL_ERR_CERTIFICATE_EXPIRED},
               {PL_ALERT_CERTIFICATE_UNKNOWN, PL_ERR_CERTIFICATE_UNKNOWN},
               {PL_ALERT_UNKNOWN_CA, PL_ERR_UNKNOWN_CA},
               {PL_ALERT_ACCESS_DENIED, PL_ERR_ACCESS_DENIED},
               {PL_ALERT_INSUFFICIENT_SECURITY, PL_ERR_INSUFFICIENT_SECURITY},
               {PL_ALERT_INTERNAL_ERROR, PL_ERR_INTERNAL}};
    const uint8_t *der[PL_CERT_MAX_ENTRIES];
    size_t len[PL_CERT_MAX_ENTRIES];
    for (size_t i = 0; i < n && i < PL_CERT_MAX_ENTRIES; i++) {
        der[i] = ders[i].p;
        len[i] = ders[i].len;
    }
    int alert = c->cfg->verify_cb(c->cfg->verify_cb_arg, c, der, len, n < PL_CERT_MAX_ENTRIES ? n : PL_CERT_MAX_ENTRIES);
    if (alert == 0) return 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].alert == alert)
            PL_BAIL(map[i].code, "the certificate chain was rejected by the application's verify callback (alert %d)", alert);
    PL_BAIL(PL_ERR_BAD_CERTIFICATE,
            "the certificate chain was rejected by the application's verify callback (it returned %d, not an alert "
            "for a certificate: bad_certificate sent)",
            alert);
}

int pl_peer_signature_verdict(int rc, const char *whose)
{
    if (rc >= 0) return 0;
    /* Only a signature that does not verify is the peer's fault
     * (decrypt_error, RFC 8446 4.4.3, RFC 5246 7.4.8); out of memory while
     * checking it is ours (internal_error). */
    if (PL_CODE(rc) == PL_ERR_NOMEM) return rc;
    /* Keep the verifier's reason (an empty signature, say): copied first,
     * since pl_fail formats into the same thread-local buffer. */
    char why[128];
    snprintf(why, sizeof why, "%s", pl_last_message());
    PL_BAIL(PL_ERR_DECRYPT_ERROR, "%s signature is invalid (%s)", whose, why);
}

int pl_client_set_resumed_verify(parley_conn *c)
{
    /* The session was offered only under the trust settings it was made
     * with (pl_session_unusable), so it was verified exactly as far as this
     * config verifies: fully, or not at all. */
    /* Resuming a session made with our certificate keeps the binding for
     * the tickets this connection receives. */
    if (c->sess && memcmp(c->sess->trust, c->cfg->trust_id_certs, sizeof c->sess->trust) == 0) c->client_cert_bound = 1;
    if (c->cfg->verify_cb)
        return pl_conn_set_verify(c, "ok (resumed session; accepted by the application's verify callback when it was made)");
    if (c->cfg->verify) return pl_conn_set_verify(c, "ok (resumed session; verified when it was made)");
    return pl_conn_set_verify(c, "not verified (verification disabled; resumed session)");
}

int pl_client_check_staple(parley_conn *c, const uint8_t *resp, size_t len)
{
    parley_config *cfg = c->cfg;
    if (!resp) {
        PL_ENSURE(cfg->ocsp_mode != PARLEY_OCSP_REQUIRE, PL_ERR_BAD_CERTIFICATE_STATUS,
                  "the server stapled no OCSP response, and one is required");
        return 0;
    }
    if (cfg->ocsp_mode == PARLEY_OCSP_NONE || !cfg->verify || cfg->verify_cb) return 0;
    /* Against the issuer on the verified path, not the peer's second certificate. */
    PL_ENSURE(c->npeer_certs > 0 && c->hs->peer_issuer, PL_ERR_INTERNAL, "no verified chain to check the OCSP response against");
    PL_GUARD(pl_ocsp_check(c->peer_certs[0].data, c->peer_certs[0].len, c->hs->peer_issuer, resp, len, cfg->now, cfg->ocsp_max_age, cfg->min_rsa_bits));
    PL_GUARD(pl_conn_set_verify(c, "%s (OCSP: good)", parley_conn_verify_result(c)));
    return 0;
}

void pl_session_base(const parley_conn *c, pl_session *ss, uint16_t version, uint64_t created, uint32_t lifetime)
{
    memset(ss, 0, sizeof *ss);
    ss->version = version;
    ss->suite = c->suite;
    ss->created = created;
    ss->lifetime = lifetime;
    snprintf(ss->sni, sizeof ss->sni, "%s", c->server_name ? c->server_name : "");
    /* Under which trust settings the peer was (or was not) authenticated. */
    /* A client that authenticated with its certificate (in this handshake or
     * the one the resumed session began with) binds the session to it. */
    const uint8_t *id = c->is_server ? c->cfg->client_trust_id : c->client_cert_bound ? c->cfg->trust_id_certs : c->cfg->trust_id;
    memcpy(ss->trust, id, sizeof ss->trust);
}

const char *pl_session_unusable(const parley_conn *c, const pl_session *s)
{
    static const uint8_t unknown[32];
    /* RFC 6066 3, RFC 8446 4.6.1: a session authenticates the server it was
     * made with, and only under that name. Checked here, by the client, in
     * both versions: a server that resumes whatever it is offered (RFC 6066
     * only asks servers to check) would otherwise be taken for any host the
     * session is offered to. */
    if (strcmp(s->sni, c->server_name ? c->server_name : "") != 0) return "it was made for another server name";
    if (!pl_session_resumable(s)) return "it was made without the extended master secret (RFC 7627 5.4)";
    /* The server was authenticated under the trust settings of that time: a
     * session made without verification, or under another CA store or
     * policy, proves nothing under ours. */
    if (memcmp(s->trust, unknown, sizeof unknown) == 0)
        return "it does not record the trust settings it was verified under (older session format)";
    if (memcmp(s->trust, c->cfg->trust_id, sizeof s->trust) != 0 && memcmp(s->trust, c->cfg->trust_id_certs, sizeof s->trust) != 0)
        return "it was made under other trust settings (CA store, verification mode or policy) or with a client "
               "certificate this config does not have";
    return NULL;
}

int pl_session_client_auth(const parley_config *cfg, const pl_session *s)
{
    static const uint8_t unknown[32];
    /* A client certificate verified under another client CA store (or an
     * older session that does not say) counts as none. */
    return s->client_auth && memcmp(s->trust, unknown, sizeof unknown) != 0 &&
           memcmp(s->trust, cfg->client_trust_id, sizeof s->trust) == 0;
}

void pl_session_from_conn(const parley_conn *c, pl_session *ss, uint64_t created, uint32_t lifetime)
{
    pl_session_base(c, ss, PARLEY_TLS1_2, created, lifetime);
    ss->ems = (uint8_t)c->hs->ems;
    memcpy(ss->secret, c->hs->master, 48);
    ss->secret_len = 48;
    /* Resumed, c->group is already the original session's. */
    ss->group = c->group;
    /* Server: a session resumed keeps the original handshake's client authentication. */
    ss->client_auth = (uint8_t)(c->hs->resumed ? c->hs->sess_client_auth : c->hs->peer_sent_cert);
}

void pl_choose_client_cert(parley_conn *c, int tls13)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_cursor req = pl_cur(hs->req_sigalgs.data, hs->req_sigalgs.len);
    uint32_t offered = pl_sigalgs_offered(cfg->sign_sigalgs, cfg->nsign_sigalgs, req); /* one pass over the server's list */
    hs->client_cert = -1;
    /* The first certificate, in add order, with a scheme the server takes
     * (in our preference order), an issuer among the requested CAs and, in
     * TLS 1.2, a key type among the requested certificate_types (RFC 5246
     * 7.4.4: rsa_sign, RFC 8422 5.5: ecdsa_sign). */
    for (size_t i = 0; i < cfg->ncerts && hs->client_cert < 0; i++) {
        if (!pl_chain_issued_by_any(&cfg->certs[i].chain, hs->req_cas.data, hs->req_cas.len)) continue;
        if (!tls13 && !(hs->req_types & (pl_pkey_is_rsa(cfg->certs[i].chain.pubkey) ? PL_CERT_TYPE_RSA : PL_CERT_TYPE_ECDSA)))
            continue;
        /* TLS 1.2: a scheme whose hash matches the curve first (as server12_hello.c). */
        for (int bound = 1; bound >= tls13 && hs->client_cert < 0; bound--)
            for (size_t j = 0; j < cfg->nsign_sigalgs; j++) {
                uint16_t sc = cfg->sign_sigalgs[j];
                const pl_pkey *k = cfg->certs[i].chain.pubkey;
                if ((offered >> j & 1) && pl_sig_scheme_fits_key(k, sc, bound) && pl_sig_scheme_fits_key(k, sc, tls13)) {
                    hs->client_cert = (int)i;
                    hs->client_scheme = sc;
                    break;
                }
            }
    }
    pl_trace(c, PARLEY_TRACE_INFO, -1, "client certificate", 0,
             hs->client_cert >= 0            ? parley_sigscheme_name(hs->client_scheme)
             : pl_sigalgs_legacy_only(req) ? "the server accepts " PL_LEGACY_SIGALGS_REFUSED ": sending an empty Certificate"
                                             : "none fits the request: sending an empty Certificate");
    if (hs->client_cert >= 0) c->client_cert_bound = 1; /* sessions from now on are bound to it */
}

int pl_negotiate_alpn(parley_conn *c, int client_sent, pl_cursor client_list)
{
    parley_config *cfg = c->cfg;
    if (!client_sent || !cfg->alpn_len) return 0;
    pl_cursor mine = pl_cur(cfg->alpn, cfg->alpn_len), name;
    /* RFC 7301 3.2: server preference; nothing in common is fatal. */
    while (mine.len) {
        PL_GUARD(pl_cur_vec8(&mine, &name));
        pl_cursor theirs = client_list, t;
        while (theirs.len) {
            PL_GUARD(pl_cur_vec8(&theirs, &t));
            if (t.len == name.len && memcmp(t.p, name.p, t.len) == 0) {
                PL_GUARD(pl_conn_set_alpn(c, name.p, name.len));
                return 1;
            }
        }
    }
    PL_BAIL(PL_ERR_NO_APPLICATION_PROTOCOL, "no application protocol (ALPN) in common with the client");
}

int pl_tls12_derive_keys(parley_conn *c)
{
    pl_hs *hs = c->hs;
    uint8_t kb[2 * 32 + 2 * 12];
    size_t kl = pl_aead_key_len(hs->aead), il = hs->aead == PL_CHACHA20_POLY1305 ? 12 : 4;
    if (!hs->resumed) {
        /* An abbreviated handshake reuses the session's master secret (RFC 5246 7.3). */
        PL_GUARD(pl_master12(hs->hash, hs->pm.data, hs->pm.len, hs->ems, hs->session_hash, hs->client_random,
                             hs->server_random, hs->master));
        pl_trace_master(c);
        pl_buf_free(&hs->pm);
    }
    /* key_block = client_write_key, server_write_key, client_write_IV, server_write_IV (RFC 5246 6.3) */
    PL_GUARD(pl_key_block12(hs->hash, hs->master, hs->client_random, hs->server_random, kb, 2 * kl + 2 * il));
    const uint8_t *ck = kb, *sk = kb + kl, *civ = kb + 2 * kl, *siv = kb + 2 * kl + il;
    int rc = pl_rec_install12(&hs->pending_wr, hs->aead, c->is_server ? sk : ck, c->is_server ? siv : civ, 1);
    if (rc == 0) rc = pl_rec_install12(&hs->pending_rd, hs->aead, c->is_server ? ck : sk, c->is_server ? civ : siv, 0);
    pl_cleanse(kb, sizeof kb);
    return rc;
}

void pl_trace_master(parley_conn *c)
{
    pl_hs *hs = c->hs;
    pl_keylog(c, "CLIENT_RANDOM", hs->master, 48);
    if (!c->cfg->trace) return;
    char d[512];
    size_t o = (size_t)snprintf(d, sizeof d, "client random: ");
    for (int i = 0; i < 32; i++) o += (size_t)snprintf(d + o, sizeof d - o, "%02x", hs->client_random[i]);
    o += (size_t)snprintf(d + o, sizeof d - o, "\nserver random: ");
    for (int i = 0; i < 32; i++) o += (size_t)snprintf(d + o, sizeof d - o, "%02x", hs->server_random[i]);
    const char *kx = hs->kx == PL_KX_ECDHE ? "ECDHE" : hs->kx == PL_KX_DHE ? "DHE" : "RSA";
    snprintf(d + o, sizeof d - o, "\nkey exchange: %s %s (premaster %zu bytes)\nextended master secret: %s", kx,
             hs->kx == PL_KX_RSA ? "" : parley_group_name(c->group), hs->pm.len, hs->ems ? "yes" : "no");
    pl_trace(c, PARLEY_TRACE_KEYS, -1, "master secret derived", 0, d);
}
