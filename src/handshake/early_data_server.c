/*
 * early_data_server.c - TLS 1.3 0-RTT early data on the server (RFC 8446 2.3,
 * 4.2.10, 8): whether the early data of a first ClientHello is accepted,
 * the anti-replay claim, the early read secret, and handing the data to the
 * application. Records under the early key are opened in record/receive.c
 * and left in the input buffer like application data (no allocation); the
 * handshake returns PARLEY_EARLY_DATA until the application has read them.
 *
 * Anti-replay (RFC 8446 8; docs/security.md), fail closed:
 * - stateful tickets (tickets off + cache): single-use tickets (8.1): the
 *   session is removed from the cache when used (server13.c), and the
 *   ticket id is claimed for the span in which a second use could still
 *   find it there (concurrent handshakes, a removal not yet done) and pass
 *   the ticket-age check; not for the ticket's whole life, or ~1 0-RTT
 *   resumption a second would fill the records' area for hours;
 * - sealed (stateless) tickets: ClientHello recording (8.2): the binder,
 *   which stands for the whole ClientHello, is claimed for the span in
 *   which the ticket-age check would accept that ClientHello again;
 *   outside it the age check refuses it.
 * That span: twice the age window, a second of rounding, and PL_ED_SKEW_S
 * for the clocks of the hosts that share the cache (docs/security.md).
 * Claims go to the session cache (shared memory, Redis: one answer for the
 * whole fleet); without a cache, to an in-process bounded store (one process
 * only). A claim that cannot answer, or a cache without `claim`, means the
 * early data is rejected; the handshake goes on in 1-RTT.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "messages.h"

/* Must match psk13.c's PL_TICKET_AGE_WINDOW_MS (RFC 8446 8.3). */
#define PL_ED_WINDOW_S 10u
/* How far apart the clocks of servers sharing one anti-replay store may be
 * (they each check ticket ages against their own clock, and a record's TTL
 * runs on the store's): docs/security.md asks for NTP, well within this. */
#define PL_ED_SKEW_S 10u
/* How long an anti-replay record lives (RFC 8446 8.2, 8.3). */
#define PL_ED_CLAIM_S (2 * PL_ED_WINDOW_S + 1 + PL_ED_SKEW_S)

void pl_server13_note_ticket(parley_conn *c, const pl_session *ss, pl_cursor id, pl_cursor binder)
{
    pl_hs *hs = c->hs;
    hs->ed_ticket = 1;
    hs->ed_suite = ss->suite;
    hs->ed_max = ss->max_early_data;
    snprintf(hs->ed_alpn, sizeof hs->ed_alpn, "%s", ss->alpn);
    hs->ed_rsl = ss->record_size_limit; /* RFC 8449 4: the ticket's limit on early records */
    hs->ed_stateful = c->cfg->tickets_disabled;
    /* Namespaced (the label) so a claim key never equals a session id. */
    pl_buf b = {0};
    const char *label = hs->ed_stateful ? "parley 0-RTT ticket" : "parley 0-RTT binder";
    pl_cursor v = hs->ed_stateful ? id : binder;
    int rc = pl_buf_bytes(&b, label, strlen(label));
    if (rc == 0) rc = pl_buf_bytes(&b, v.p, v.len);
    if (rc == 0) rc = pl_hash(PL_SHA256, b.data, b.len, hs->ed_replay_key);
    if (rc < 0) hs->ed_ticket = 0; /* no key: no early data */
    pl_buf_free(&b);
}

int pl_early_claim(parley_conn *c, const uint8_t key[32], uint32_t lifetime)
{
    parley_config *cfg = c->cfg;
    parley_session_cache *st = cfg->cache ? cfg->cache : cfg->replay_store;
    if (!st || !st->claim) return -1;
    int r = st->claim(st, key, 32, lifetime);
    return r == 1 ? 1 : r == 0 ? 0 : -1;
}

/* Why the early data cannot be accepted, or NULL (RFC 8446 4.2.10). */
static const char *pl_early_refusal(parley_conn *c, int need_hrr)
{
    pl_hs *hs = c->hs;
    if (!c->cfg->max_early_data) return "this server accepts none";
    if (hs->psk_mode == PL_PSK_NONE) return "no PSK accepted";
    if (hs->psk_index != 0 || !hs->ed_ticket) return "the PSK is not the first identity";
    if (!hs->ed_max) return "the ticket allows none";
    if (c->suite != hs->ed_suite) return "the cipher suite is not the ticket's";
    if (strcmp(c->alpn ? c->alpn : "", hs->ed_alpn) != 0) return "the ALPN protocol is not the ticket's";
    if (need_hrr || hs->hrr_done) return "a HelloRetryRequest is needed";
    return NULL;
}

int pl_server13_early_decide(parley_conn *c, const uint8_t *msg, size_t len, int need_hrr)
{
    pl_hs *hs = c->hs;
    char d[128];
    const char *why = pl_early_refusal(c, need_hrr);
    if (!why) {
        /* Anti-replay last: a refusal for another reason spends no record. */
        int r = pl_early_claim(c, hs->ed_replay_key, PL_ED_CLAIM_S);
        if (r == 0) why = "replay: this ClientHello or ticket was already used for early data";
        if (r < 0) why = "the anti-replay store cannot answer (fail closed)";
    }
    if (why) {
        c->early_status = PARLEY_EARLY_DATA_REJECTED;
        snprintf(d, sizeof d, "rejected: %s", why);
        pl_trace(c, PARLEY_TRACE_INFO, -1, "early data offered", 0, d);
        pl_server13_reject_early_data(c);
        return 0;
    }
    /* RFC 8446 7.1: client_early_traffic_secret = Derive-Secret(early
     * secret, "c e traffic", ClientHello). */
    uint8_t th[PL_MAX_HASH];
    pl_ks13 ks;
    int rc = pl_transcript_hash_with(&hs->transcript, hs->hash, msg, len, th);
    if (rc == 0) rc = pl_ks13_init_psk(&ks, hs->hash, hs->psk, hs->psk_len);
    if (rc == 0) rc = pl_ks13_derive_secret(hs->hash, ks.secret, "c e traffic", th, hs->c_early);
    pl_ks13_wipe(&ks);
    PL_GUARD(rc);
    pl_keylog(c, "CLIENT_EARLY_TRAFFIC_SECRET", hs->c_early, pl_hash_len(hs->hash));
    /* The ticket's limit, and never more than this server allows now. */
    hs->early_left = hs->ed_max < c->cfg->max_early_data ? hs->ed_max : c->cfg->max_early_data;
    c->early_status = PARLEY_EARLY_DATA_ACCEPTED;
    snprintf(d, sizeof d, "accepted: up to %u bytes (%s)", hs->early_left,
             hs->ed_stateful ? "single-use ticket" : "ClientHello recorded");
    pl_trace(c, PARLEY_TRACE_INFO, -1, "early data offered", 0, d);
    return 0;
}

int parley_conn_read_early_data(parley_conn *c, uint8_t *buf, size_t len, size_t *n)
{
    *n = 0;
    if (c->failed) return PARLEY_ERROR;
    if (!c->is_server || !c->hs || !c->hs->early_reading || !c->app_len || !len) return PARLEY_WANT_READ;
    *n = pl_take_app_data(c, buf, len);
    return PARLEY_OK;
}
