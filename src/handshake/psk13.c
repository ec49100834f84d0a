/*
 * psk13.c - TLS 1.3 resumption (RFC 8446 2.2, 4.2.9-4.2.11, 4.6.1): the
 * client's offer and binder, the server's choice and binder check, tickets
 * issued and received. The handshake tables (client13.c, server13.c) call in.
 *
 * Choices (docs/architecture.md): psk_dhe_ke by default, psk_ke only when
 * configured on both sides (then a server prefers it); one ticket per handshake; a resumed session keeps
 * the creation time (and client authentication) of the full handshake that
 * made it, so a chain of resumptions never outlives the session lifetime.
 */
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "messages.h"

/* RFC 8446 8.3: how far the client's view of the ticket age may stray from
 * ours (network delay and clock rate) before the ticket is not accepted. */
#define PL_TICKET_AGE_WINDOW_MS 10000u
/* At most this many identities are tried (each costs a ticket opening). */
#define PL_MAX_PSK_TRIES 4
/* Rejected 0-RTT records skipped, in bytes on the wire, when the server
 * advertises no early data (RFC 8446 4.2.10). */
#define PL_DEFAULT_EARLY_SKIP 16384u

static int pl_suite_hash(uint16_t suite)
{
    int aead, hash;
    return pl_suite_params(suite, &aead, &hash) ? hash : 0;
}

/* ------------------------------------------------------------- client */

int pl_client13_psk_usable(parley_conn *c)
{
    const pl_session *s = c->sess;
    if (!s || s->version != PARLEY_TLS1_3 || !s->ticket_len || !pl_session_fresh(s, (uint64_t)time(NULL))) return 0;
    /* RFC 8446 4.6.1: resume only toward the same server name (and trust
     * settings), and with a suite we still offer that has the ticket's hash
     * (4.2.11). */
    if (pl_session_unusable(c, s) || !pl_suite_usable(c->cfg, s->suite)) return 0;
    c->hs->psk_hash = pl_suite_hash(s->suite);
    return c->hs->psk_hash != 0 && s->secret_len == pl_hash_len(c->hs->psk_hash);
}

/* psk_key_exchange_modes goes in every ClientHello offering TLS 1.3: it is
 * also how a server learns it may send tickets (RFC 8446 4.2.9). */
int pl_client13_write_psk_modes(parley_conn *c, pl_buf *b)
{
    PL_GUARD(pl_buf_u16(b, PL_EXT_PSK_KEY_EXCHANGE_MODES));
    PL_GUARD(pl_buf_u16(b, c->cfg->psk_ke ? 3 : 2));
    PL_GUARD(pl_buf_u8(b, c->cfg->psk_ke ? 2 : 1));
    PL_GUARD(pl_buf_u8(b, 1)); /* psk_dhe_ke first: our preference */
    if (c->cfg->psk_ke) PL_GUARD(pl_buf_u8(b, 0));
    return 0;
}

/* pre_shared_key (the last extension) with a zero binder that
 * pl_client13_bind_psk fills in once the rest of the message is final. */
int pl_client13_write_psk(parley_conn *c, pl_buf *b)
{
    const pl_session *s = c->sess;
    size_t hl = pl_hash_len(c->hs->psk_hash), m, m2;
    uint8_t zeros[PL_MAX_HASH] = {0};
    /* RFC 8446 4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add (mod 2^32).
     * Both readings are whole milliseconds, so their difference may exceed
     * the true age by one: one is taken off, so we never claim an age the
     * server has not seen yet (GnuTLS rejects 0-RTT when the client's age
     * exceeds its own; with receipt and use within the same millisecond
     * fractions that happened about one time in six). */
    uint64_t now = pl_now_ms();
    uint32_t age = (uint32_t)(now > s->issued_ms + 1 ? now - s->issued_ms - 1 : 0);
    PL_GUARD(pl_buf_u16(b, PL_EXT_PRE_SHARED_KEY));
    PL_GUARD(pl_buf_open(b, 2, &m));
    PL_GUARD(pl_buf_open(b, 2, &m2));
    PL_GUARD(pl_buf_u16(b, s->ticket_len));
    PL_GUARD(pl_buf_bytes(b, s->ticket, s->ticket_len));
    PL_GUARD(pl_buf_u32(b, age + s->age_add));
    PL_GUARD(pl_buf_close(b, 2, m2));
    PL_GUARD(pl_buf_u16(b, (uint16_t)(1 + hl)));
    PL_GUARD(pl_buf_u8(b, (uint8_t)hl));
    PL_GUARD(pl_buf_bytes(b, zeros, hl));
    return pl_buf_close(b, 2, m);
}

/* The binder covers the transcript so far (after a HelloRetryRequest:
 * message_hash, HRR) and this ClientHello up to its binders (4.2.11.2). */
static int pl_compute_binder(pl_hs *hs, int hash, const uint8_t *psk, size_t psk_len, const uint8_t *body, size_t len,
                             size_t tail, uint8_t *out)
{
    uint8_t th[PL_MAX_HASH];
    pl_buf partial = {0};
    pl_ks13 ks;
    int rc = pl_buf_u8(&partial, PL_HS_CLIENT_HELLO);
    if (rc == 0) rc = pl_buf_u8(&partial, (uint8_t)(len >> 16));
    if (rc == 0) rc = pl_buf_u16(&partial, (uint16_t)len);
    if (rc == 0) rc = pl_buf_bytes(&partial, body, len - tail);
    if (rc == 0) rc = pl_transcript_hash_with(&hs->transcript, hash, partial.data, partial.len, th);
    if (rc == 0) rc = pl_ks13_init_psk(&ks, hash, psk, psk_len);
    if (rc == 0) rc = pl_ks13_binder(&ks, th, out);
    pl_ks13_wipe(&ks);
    pl_buf_free(&partial);
    return rc;
}

int pl_client13_bind_psk(parley_conn *c, pl_buf *body)
{
    size_t hl = pl_hash_len(c->hs->psk_hash);
    PL_ENSURE(body->len > 3 + hl, PL_ERR_INTERNAL, "ClientHello too short for a binder");
    return pl_compute_binder(c->hs, c->hs->psk_hash, c->sess->secret, c->sess->secret_len, body->data, body->len,
                             2 + 1 + hl, body->data + body->len - hl);
}

int pl_client13_ticket(parley_conn *c, const uint8_t *msg, size_t len)
{
    pl_new_session_ticket nst;
    pl_session ss;
    char d[96];
    PL_ENSURE(!c->is_server, PL_ERR_UNEXPECTED_MESSAGE, "client sent NewSessionTicket");
    PL_GUARD(pl_new_session_ticket_parse(msg + 4, len - 4, &nst));
    /* RFC 8446 4.6.1: lifetime 0 means do not use; a ticket larger than a
     * session can carry is dropped (the connection is unaffected). */
    if (!c->res_hash || nst.lifetime == 0 || nst.ticket.len > PL_MAX_TICKET) {
        pl_trace(c, PARLEY_TRACE_INFO, -1, "NewSessionTicket", 0, "not kept");
        return 0;
    }
    pl_session_base(c, &ss, PARLEY_TLS1_3, (uint64_t)time(NULL), nst.lifetime);
    ss.secret_len = (uint8_t)pl_hash_len(c->res_hash);
    PL_GUARD(pl_ks13_ticket_psk(c->res_hash, c->res_secret, nst.nonce.p, nst.nonce.len, ss.secret));
    ss.issued_ms = pl_now_ms();
    ss.age_add = nst.age_add;
    memcpy(ss.ticket, nst.ticket.p, nst.ticket.len);
    ss.ticket_len = (uint16_t)nst.ticket.len;
    /* For 0-RTT on the next connection (RFC 8446 4.2.10, 4.6.1): how much
     * the ticket allows, and the ALPN protocol the early data must use. */
    ss.max_early_data = nst.max_early_data;
    snprintf(ss.alpn, sizeof ss.alpn, "%s", c->alpn ? c->alpn : "");
    ss.record_size_limit = c->rsl_peer; /* RFC 8449 4: early records follow it */
    if (!c->sess && !(c->sess = pl_malloc(sizeof *c->sess))) {
        pl_cleanse(&ss, sizeof ss);
        PL_BAIL(PL_ERR_INTERNAL, "out of memory");
    }
    *c->sess = ss;
    pl_cleanse(&ss, sizeof ss);
    snprintf(d, sizeof d, "lifetime %u s, ticket %zu bytes%s", nst.lifetime, nst.ticket.len,
             nst.max_early_data ? ", allows early data" : "");
    pl_trace(c, PARLEY_TRACE_INFO, -1, "NewSessionTicket kept", 0, d);
    return 0;
}

/* ------------------------------------------------------------- server */

/* The session a PSK identity stands for: a sealed ticket, or (sealed tickets
 * off) a key into the cache. 1 found, 0 not, PL_HS_WAIT_SESSION pending. */
static int pl_identity_session(parley_conn *c, pl_cursor id, pl_session *ss)
{
    parley_config *cfg = c->cfg;
    if (!cfg->tickets_disabled) return pl_ticket_open_session(cfg, id.p, id.len, ss);
    if (!cfg->cache || id.len != 32) return 0;
    int found = pl_cache_fetch_session(c, id.p, id.len, ss);
    if (found == 1) {
        memcpy(c->hs->psk_id, id.p, 32);
        c->hs->psk_id_len = 32;
    }
    return found;
}

/* Why a session that opened cannot be used here, or NULL when it can. */
static const char *pl_psk_unusable(parley_conn *c, const pl_client_hello *ch, const pl_session *ss, int hash,
                                   uint32_t obf_age, uint64_t now_ms)
{
    if (ss->version != PARLEY_TLS1_3) return "not a TLS 1.3 session";
    if (pl_suite_hash(ss->suite) != hash || ss->secret_len != pl_hash_len(hash)) return "its suite has another hash";
    if (!pl_session_fresh(ss, now_ms / 1000)) return "expired";
    if (strcmp(ss->sni, ch->has_sni ? ch->sni : "") != 0) return "made for another server name";
    if (c->cfg->verify_client == PARLEY_VERIFY_CLIENT_REQUIRE && !pl_session_client_auth(c->cfg, ss))
        return "made without a client certificate verified under the current client CAs";
    /* RFC 8446 4.2.11.1, 8.3: the client's idea of the age must match ours. */
    /* Ages are 32-bit millisecond counts (49 days > the 7-day maximum
     * lifetime), so their difference is taken modulo 2^32, signed. */
    uint32_t client_age = obf_age - ss->age_add;
    uint32_t our_age = (uint32_t)(now_ms > ss->issued_ms ? now_ms - ss->issued_ms : 0);
    int64_t skew = (int32_t)(client_age - our_age);
    if (skew > (int64_t)PL_TICKET_AGE_WINDOW_MS || skew < -(int64_t)PL_TICKET_AGE_WINDOW_MS)
        return "ticket age outside the freshness window";
    return NULL;
}

int pl_server13_choose_psk(parley_conn *c, const pl_client_hello *ch, const uint8_t *msg, size_t len)
{
    pl_hs *hs = c->hs;
    int hash = pl_suite_hash(c->suite);
    uint64_t now_ms = pl_now_ms();
    hs->psk_mode = PL_PSK_NONE;
    hs->ed_ticket = 0;
    /* RFC 8446 4.2.9: pre_shared_key needs psk_key_exchange_modes. */
    PL_ENSURE(ch->has_psk_modes, PL_ERR_MISSING_EXTENSION, "pre_shared_key without psk_key_exchange_modes");
    /* A server configured for psk_ke uses it whenever the client offers it:
     * resumption with no public-key operation at all is why one turns it on.
     * Otherwise psk_dhe_ke, which keeps forward secrecy. */
    int can_dhe = (hs->client_psk_modes & 2) && ch->has_key_share && ch->has_groups;
    int mode = (hs->client_psk_modes & 1) && c->cfg->psk_ke ? PL_PSK_KE : can_dhe ? PL_PSK_DHE : PL_PSK_NONE;
    if (mode == PL_PSK_NONE) {
        pl_trace(c, PARLEY_TRACE_INFO, -1, "PSK offered", 0, "no acceptable key exchange mode: full handshake");
        return 0;
    }
    for (size_t i = 0; i < ch->psk_count && i < PL_MAX_PSK_TRIES; i++) {
        pl_cursor id, binder;
        uint32_t obf_age;
        pl_session ss;
        uint8_t expect[PL_MAX_HASH];
        PL_GUARD(pl_client_hello_psk(ch, i, &id, &obf_age, &binder));
        hs->psk_id_len = 0;
        int found = pl_identity_session(c, id, &ss);
        if (found == PL_HS_WAIT_SESSION) return found; /* this ClientHello is handled again with the answer */
        if (!found) {
            pl_trace(c, PARLEY_TRACE_INFO, -1, "PSK identity", 0, "ticket does not open");
            continue;
        }
        const char *why = pl_psk_unusable(c, ch, &ss, hash, obf_age, now_ms);
        if (why) {
            pl_trace(c, PARLEY_TRACE_INFO, -1, "PSK identity not used", 0, why);
            pl_cleanse(&ss, sizeof ss);
            continue;
        }
        /* RFC 8446 4.2.11: a binder that does not verify aborts the handshake. */
        size_t hl = pl_hash_len(hash);
        int rc = binder.len == hl ? pl_compute_binder(hs, hash, ss.secret, ss.secret_len, msg + 4, len - 4,
                                                      ch->psk_binders_total, expect)
                                  : -PL_ERR_DECRYPT_ERROR;
        if (rc == 0 && pl_ct_memcmp(expect, binder.p, hl) != 0) rc = -PL_ERR_DECRYPT_ERROR;
        if (rc < 0) pl_cleanse(&ss, sizeof ss);
        if (rc < 0 && rc != -PL_ERR_DECRYPT_ERROR) return rc;
        PL_ENSURE(rc == 0, PL_ERR_DECRYPT_ERROR, "the PSK binder does not verify");
        memcpy(hs->psk, ss.secret, hl);
        hs->psk_len = hl;
        hs->psk_hash = hash;
        hs->psk_index = (int)i;
        hs->psk_mode = mode;
        hs->sess_created = ss.created;
        hs->sess_client_auth = pl_session_client_auth(c->cfg, &ss);
        /* RFC 8446 4.2.10: only the first identity can carry early data. */
        if (i == 0) pl_server13_note_ticket(c, &ss, id, binder);
        pl_cleanse(&ss, sizeof ss);
        pl_trace(c, PARLEY_TRACE_INFO, -1, "PSK accepted", 0, mode == PL_PSK_DHE ? "psk_dhe_ke" : "psk_ke");
        return 0;
    }
    return 0;
}

void pl_server13_reject_early_data(parley_conn *c)
{
    c->hs->early_skipping = 1;
    /* RFC 8446 4.2.10: skipped "up to the configured max_early_data_size".
     * Records that do not open cannot be told from their padding, so each is
     * charged whole (header, tag and all: a run of tiny or empty records
     * must run out too); a client that sends its whole allowance in full
     * records needs at most 5 + 16 + 1 bytes more per 2^14 of data. */
    uint64_t m = c->cfg->max_early_data, b = m + (m / PL_MAX_PLAINTEXT + 1) * (PL_REC_HEADER + PL_AEAD_TAG + 1);
    c->hs->early_budget = !m ? PL_DEFAULT_EARLY_SKIP : b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
    pl_trace(c, PARLEY_TRACE_INFO, -1, "early data offered", 0, "rejected: its records are skipped");
}

int pl_server13_send_ticket(parley_conn *c)
{
    pl_hs *hs = c->hs;
    parley_config *cfg = c->cfg;
    pl_session ss;
    pl_buf b = {0};
    size_t m, exts;
    uint64_t now = (uint64_t)time(NULL);
    uint8_t nonce = 0; /* one ticket per connection: any nonce is unique (4.6.1) */
    pl_session_base(c, &ss, PARLEY_TLS1_3, hs->resumed ? hs->sess_created : now, cfg->session_lifetime);
    ss.secret_len = (uint8_t)pl_hash_len(hs->hash);
    ss.client_auth = (uint8_t)(hs->resumed ? hs->sess_client_auth : hs->peer_sent_cert);
    ss.issued_ms = pl_now_ms();
    /* RFC 8446 4.2.10: early data is accepted only with this ticket's
     * limit, suite and ALPN (the suite and SNI are in the base). */
    ss.max_early_data = cfg->max_early_data;
    snprintf(ss.alpn, sizeof ss.alpn, "%s", c->alpn ? c->alpn : "");
    ss.record_size_limit = c->rsl_recv; /* RFC 8449 4: early records are held to it */
    /* The ticket lives no longer than the session it continues. */
    uint64_t left = ss.created + ss.lifetime > now ? ss.created + ss.lifetime - now : 0;
    if (left == 0) return 0;
    int rc = pl_random((uint8_t *)&ss.age_add, sizeof ss.age_add);
    if (rc == 0) rc = pl_ks13_ticket_psk(hs->hash, hs->ks.resumption, &nonce, 1, ss.secret);
    if (rc == 0) rc = pl_buf_u32(&b, (uint32_t)left);
    if (rc == 0) rc = pl_buf_u32(&b, ss.age_add);
    if (rc == 0) rc = pl_buf_u8(&b, 1);
    if (rc == 0) rc = pl_buf_u8(&b, nonce);
    if (rc == 0) rc = pl_buf_open(&b, 2, &m);
    if (rc == 0 && !cfg->tickets_disabled) {
        rc = pl_ticket_seal_session(cfg, &ss, &b);
    } else if (rc == 0) {
        /* Stateful: the ticket is a random key into the cache. */
        uint8_t id[32];
        rc = pl_random(id, sizeof id);
        if (rc == 0) rc = pl_cache_store_session(cfg, id, sizeof id, &ss, (uint32_t)left);
        if (rc == 0) rc = pl_buf_bytes(&b, id, sizeof id);
        if (rc == 1) { /* the cache refused it: no ticket this time */
            pl_cleanse(&ss, sizeof ss);
            pl_buf_free(&b);
            return 0;
        }
    }
    pl_cleanse(&ss, sizeof ss);
    if (rc == 0) rc = pl_buf_close(&b, 2, m);
    if (rc == 0) rc = pl_buf_open(&b, 2, &exts);
    if (rc == 0 && cfg->max_early_data) {
        /* RFC 8446 4.2.10: the early data a resumption with this ticket may
         * carry (early_data_server.c decides on acceptance). */
        if ((rc = pl_buf_u16(&b, PL_EXT_EARLY_DATA)) == 0 && (rc = pl_buf_u16(&b, 4)) == 0) rc = pl_buf_u32(&b, cfg->max_early_data);
    }
    if (rc == 0) rc = pl_buf_close(&b, 2, exts);
    if (rc == 0) rc = pl_conn_send_handshake(c, PL_HS_NEW_SESSION_TICKET, b.data, b.len);
    pl_buf_free(&b);
    return rc;
}
