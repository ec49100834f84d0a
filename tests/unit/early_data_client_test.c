/* early_data_client_test.c - the client's 0-RTT early data in memory (RFC
 * 8446 2.3, 4.2.10, 4.5, D.4) against a parley server, which advertises
 * max_early_data_size in its tickets and skips the early records it does
 * not read (so every offer here is rejected; acceptance is tested against
 * openssl s_server in tests/interop/test_early_data_client.sh): the first
 * flight (ClientHello with early_data, CCS, the data under the early
 * traffic secret), offered only when the ticket allows the length, not
 * after a HelloRetryRequest, never resent by the library once rejected or
 * not offered (RFC 8446 4.2.10: the application decides); the session
 * records max_early_data, ALPN and the server's record_size_limit, to which
 * early records are sized (RFC 8449 4); the API's bounds; and a man in the middle adding early_data to
 * EncryptedExtensions when it cannot have been accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/early_data.h"
#include "helpers.h"
#include "internal.h"
#include "mitm.h"
#include "session/session.h"

static const uint8_t tkey[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const char DATA[] = "GET /zero-rtt HTTP/1.1\r\nHost: localhost\r\n\r\n";
#define DLEN (sizeof DATA - 1)

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* Servers share one ticket key, so a fresh config (setters open) resumes
 * the sessions another made. To reject early data whatever its 0-RTT
 * policy, the second server chooses another ALPN protocol than the
 * session's (RFC 8446 4.2.10: a server accepts only with the same one), so
 * these tests hold for a server that accepts 0-RTT as well as for one that
 * skips it. */
static parley_config *srv(uint32_t max_early, const char *alpn, const char *groups)
{
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_ticket_keys(sc, tkey, 1), PARLEY_OK);
    if (max_early) assert_int_equal(parley_config_set_max_early_data(sc, max_early), PARLEY_OK);
    if (alpn) assert_int_equal(parley_config_set_alpn(sc, alpn), PARLEY_OK);
    if (groups) assert_int_equal(parley_config_set_groups(sc, groups), PARLEY_OK);
    return sc;
}

static char g_early_secret[200];
static void keylog(void *arg, const char *line)
{
    (void)arg;
    if (!strncmp(line, "CLIENT_EARLY_TRAFFIC_SECRET ", 28)) snprintf(g_early_secret, sizeof g_early_secret, "%s", strrchr(line, ' ') + 1);
}

static parley_config *cli(const char *alpn)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256"), PARLEY_OK);
    assert_int_equal(parley_config_set_keylog(cc, keylog, NULL), PARLEY_OK);
    if (alpn) assert_int_equal(parley_config_set_alpn(cc, alpn), PARLEY_OK);
    return cc;
}

/* A full handshake with a server advertising max_early; the ticket read. */
static size_t session(uint32_t max_early, const char *calpn, const char *salpn, uint8_t *sess, size_t cap)
{
    pair p;
    size_t sl = 0;
    make_pair(&p, cli(calpn), srv(max_early, salpn, NULL), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.server, p.client, "the ticket comes first");
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
}

/* The record types of a flight (at most 8). */
static int rec_types(const uint8_t *b, size_t n, uint8_t *types)
{
    int k = 0;
    for (size_t i = 0; i + 5 <= n && k < 8; i += 5 + get16(b + i + 3)) types[k++] = b[i];
    return k;
}

/* Does the ClientHello in the first record of b carry extension ext? */
static int ch_has_ext(const uint8_t *b, uint16_t ext)
{
    const uint8_t *body = b + 5 + 4;
    size_t at = ch_ext_at(body), i = at + 2, end = at + 2 + get16(body + at);
    assert_int_equal(b[5], 1);
    for (; i + 4 <= end; i += 4 + get16(body + i + 2))
        if (get16(body + i) == ext) return 1;
    return 0;
}

/* Everything the server reads (handshake first), appended to got. */
static size_t server_reads(parley_conn *s, uint8_t *got, size_t cap)
{
    size_t total = 0, n;
    while (total < cap && parley_conn_read(s, got + total, cap - total, &n) == PARLEY_OK) total += n;
    return total;
}

/* The data was not delivered (rejected or not offered: the library does not
 * resend it, RFC 8446 4.2.10); the server reads only what the application
 * writes next, `after`. */
static void not_delivered(pair *p, const char *after)
{
    uint8_t got[4096];
    assert_int_equal(parley_conn_write(p->client, (const uint8_t *)after, strlen(after)), PARLEY_OK);
    pair_pump(p);
    size_t n = server_reads(p->server, got, sizeof got);
    assert_int_equal(n, strlen(after));
    assert_memory_equal(got, after, strlen(after));
}

/* A second connection offering sess with DATA as early data; the client's
 * first flight in flight (n bytes). */
static size_t second(pair *p, parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl, uint8_t *flight,
                     size_t cap)
{
    make_pair(p, cc, sc, "localhost");
    assert_int_equal(parley_conn_set_session(p->client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p->client, (const uint8_t *)DATA, DLEN), PARLEY_OK);
    g_early_secret[0] = 0;
    assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
    size_t n = conn_take(p->client, flight, cap);
    conn_feed(p->server, flight, n);
    return n;
}

/* Offered: ClientHello (early_data before pre_shared_key, which is last),
 * CCS, the data under client_early_traffic_secret; the server skips it, so
 * rejected, and the library does not send it again (RFC 8446 4.2.10). */
static void test_offered_rejected_not_resent(void **state)
{
    (void)state;
    uint8_t sess[4096], fl[8192], t[8];
    size_t sl = session(16384, "h2,http/1.1", "h2", sess, sizeof sess);
    pair p;
    size_t n = second(&p, cli("h2,http/1.1"), srv(16384, "http/1.1", NULL), sess, sl, fl, sizeof fl);
    assert_int_equal(rec_types(fl, n, t), 3);
    assert_int_equal(t[0], 22);
    assert_int_equal(t[1], 20); /* D.4: the CCS right after the first ClientHello */
    assert_int_equal(t[2], 23);
    assert_true(ch_has_ext(fl, 42));
    /* The early record opens under CLIENT_EARLY_TRAFFIC_SECRET (AES-128-GCM, the ticket's suite). */
    uint8_t secret[32];
    assert_int_equal(hex_decode(g_early_secret, secret, sizeof secret), 32);
    size_t r = 5 + get16(fl + 3);
    r += 5 + get16(fl + r + 3);
    pl_rec_keys k = {0};
    uint8_t type, rec[2048];
    size_t plen, rl = get16(fl + r + 3);
    memcpy(rec, fl + r, 5 + rl);
    assert_int_equal(pl_rec_install13(&k, PL_AES_128_GCM, PL_SHA256, secret, 0), 0);
    assert_int_equal(pl_rec_open13(&k, rec, rec + 5, rl, &type, &plen), 0);
    pl_rec_clear(&k);
    assert_int_equal(type, 23);
    assert_int_equal(plen, DLEN);
    assert_memory_equal(rec + 5, DATA, DLEN);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_NOT_OFFERED); /* undecided */
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.client), 1);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_REJECTED);
    not_delivered(&p, "and then this");
    free_pair(&p);
}

/* A ticket allowing no early data, or less than the data: not offered (no
 * extension, no CCS before the server's answer, no early record); the data
 * is not sent at all. Exactly the allowance: offered. */
static void test_not_offered_when_ticket_disallows(void **state)
{
    (void)state;
    uint8_t sess[4096], fl[8192], t[8];
    static const uint32_t allow[] = {0, DLEN - 1, DLEN};
    for (int i = 0; i < 3; i++) {
        size_t sl = session(allow[i], "h2,http/1.1", "h2", sess, sizeof sess);
        pl_session s;
        assert_int_equal(pl_session_decode(sess, sl, &s), 0);
        assert_int_equal(s.max_early_data, allow[i]); /* recorded from the NewSessionTicket */
        pair p;
        size_t n = second(&p, cli("h2,http/1.1"), srv(allow[i], "http/1.1", NULL), sess, sl, fl, sizeof fl);
        int offered = allow[i] == DLEN;
        assert_int_equal(rec_types(fl, n, t), offered ? 3 : 1);
        assert_int_equal(ch_has_ext(fl, 42), offered);
        assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_int_equal(parley_conn_resumed(p.client), 1);
        assert_int_equal(parley_conn_early_data_status(p.client),
                         offered ? PARLEY_EARLY_DATA_REJECTED : PARLEY_EARLY_DATA_NOT_OFFERED);
        not_delivered(&p, "next");
        free_pair(&p);
    }
    /* No session at all: not offered, and not sent after the (full) handshake. */
    pair p;
    make_pair(&p, cli(NULL), srv(16384, NULL, NULL), "localhost");
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)DATA, DLEN), PARLEY_OK);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_NOT_OFFERED);
    not_delivered(&p, "x");
    free_pair(&p);
}

/* A HelloRetryRequest: the second ClientHello is one plaintext record
 * without early_data (RFC 8446 4.1.2, 4.2.10) and no second CCS; rejected,
 * and not resent. */
static void test_hrr_drops_early_data(void **state)
{
    (void)state;
    uint8_t sess[4096], fl[8192], t[8];
    size_t sl = session(16384, NULL, NULL, sess, sizeof sess);
    pair p;
    parley_config *cc = cli(NULL);
    assert_int_equal(parley_config_set_groups(cc, "x25519:secp256r1"), PARLEY_OK);
    size_t n = second(&p, cc, srv(16384, NULL, "secp256r1"), sess, sl, fl, sizeof fl);
    assert_int_equal(rec_types(fl, n, t), 3);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ); /* HRR (and its CCS) */
    n = conn_take(p.server, fl, sizeof fl);
    conn_feed(p.client, fl, n);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    n = conn_take(p.client, fl, sizeof fl);
    assert_int_equal(rec_types(fl, n, t), 1);
    assert_int_equal(t[0], 22);
    assert_false(ch_has_ext(fl, 42));
    assert_true(ch_has_ext(fl, 41)); /* the PSK is still offered */
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_REJECTED);
    conn_feed(p.server, fl, n);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.client), 1);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_REJECTED);
    not_delivered(&p, "after the retry");
    free_pair(&p);
}

/* A TLS 1.2 ServerHello after 0-RTT data went out: the client ends the
 * connection (RFC 8446 D.3), its alert in plaintext. */
static void test_tls12_answer_after_early_data(void **state)
{
    (void)state;
    uint8_t sess[4096], fl[8192];
    size_t sl = session(16384, NULL, NULL, sess, sizeof sess);
    parley_config *cc = cli(NULL), *sc = srv(16384, NULL, NULL);
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_3), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    assert_int_equal(parley_config_set_versions(sc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    pair p;
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)DATA, DLEN), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    size_t n = conn_take(p.client, fl, sizeof fl);
    conn_feed(p.server, fl, 5 + get16(fl + 3)); /* the ClientHello alone: a TLS 1.2 answer */
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    n = conn_take(p.server, fl, sizeof fl);
    conn_feed(p.client, fl, n);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_ERROR);
    assert_int_equal(parley_conn_alert_sent(p.client), 70); /* protocol_version */
    assert_non_null(strstr(parley_conn_error_string(p.client), "D.3"));
    n = conn_take(p.client, fl, sizeof fl);
    assert_int_equal(n, 7);
    assert_memory_equal(fl, "\x15\x03\x03\x00\x02\x02\x46", 7); /* plaintext */
    free_pair(&p);
}

/* ALPN: the session records the protocol; early data is offered only when
 * that protocol is offered again (RFC 8446 4.2.10). */
static void test_alpn_recorded_and_required(void **state)
{
    (void)state;
    uint8_t sess[4096], fl[8192], t[8];
    size_t sl = session(16384, "h2,http/1.1", "h2", sess, sizeof sess);
    pl_session s;
    assert_int_equal(pl_session_decode(sess, sl, &s), 0);
    assert_string_equal(s.alpn, "h2");
    pair p;
    size_t n = second(&p, cli("http/1.1"), srv(16384, "h2,http/1.1", NULL), sess, sl, fl, sizeof fl);
    assert_int_equal(rec_types(fl, n, t), 1);
    assert_false(ch_has_ext(fl, 42));
    free_pair(&p);
    n = second(&p, cli("http/1.1,h2"), srv(16384, "h2,http/1.1", NULL), sess, sl, fl, sizeof fl);
    assert_int_equal(rec_types(fl, n, t), 3);
    assert_true(ch_has_ext(fl, 42));
    free_pair(&p);
}

/* The API's bounds: client only, before the handshake, at most 64 KiB. */
static void test_api_bounds(void **state)
{
    (void)state;
    static uint8_t big[PL_MAX_CLIENT_EARLY_DATA + 1];
    pair p;
    make_pair(&p, cli(NULL), srv(0, NULL, NULL), "localhost");
    assert_int_equal(parley_conn_set_early_data(p.server, big, 10), PARLEY_ERROR);
    assert_int_equal(parley_conn_set_early_data(p.client, big, sizeof big), PARLEY_ERROR);
    assert_int_equal(parley_conn_set_early_data(p.client, NULL, 1), PARLEY_ERROR);
    assert_int_equal(parley_conn_set_early_data(p.client, big, sizeof big - 1), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)DATA, DLEN), PARLEY_OK); /* replaces */
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)DATA, DLEN), PARLEY_ERROR);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    not_delivered(&p, "after"); /* not offered (no session): not sent */
    assert_int_equal(parley_conn_early_data_status(p.server), PARLEY_EARLY_DATA_NOT_OFFERED);
    free_pair(&p);
}

/* 64 KiB of early data still unsent when the server's flight comes: the
 * application's data does not count against the cap on output the peer
 * causes (parley.h), so the client answers instead of failing. */
static void test_large_early_data_unsent(void **state)
{
    (void)state;
    static uint8_t big[PL_MAX_CLIENT_EARLY_DATA], got[PL_MAX_CLIENT_EARLY_DATA + 64];
    uint8_t sess[4096];
    const uint8_t *d;
    size_t sl = session(PL_MAX_CLIENT_EARLY_DATA, "h2,http/1.1", "h2", sess, sizeof sess), n, used, off = 0;
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    pair p;
    make_pair(&p, cli("h2,http/1.1"), srv(PL_MAX_CLIENT_EARLY_DATA, "http/1.1", NULL), "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, big, sizeof big), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    parley_conn_pending_output(p.client, &d, &n);
    assert_true(n > sizeof big);
    while (off < n) { /* the server takes it all (it skips the early records) ... */
        assert_int_equal(parley_conn_recv_bytes(p.server, d + off, n - off, &used), PARLEY_OK);
        off += used;
        assert_int_not_equal(parley_conn_handshake(p.server), PARLEY_ERROR);
    }
    uint8_t fl[8192];
    size_t fn = conn_take(p.server, fl, sizeof fl);
    conn_feed(p.client, fl, fn); /* ... but none of it has left the client yet */
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
    assert_int_equal(parley_conn_early_data_status(p.client), PARLEY_EARLY_DATA_REJECTED);
    parley_conn_output_sent(p.client, n); /* now it has */
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    for (int i = 0; i < 8; i++) pair_pump(&p);
    /* Rejected: not resent (RFC 8446 4.2.10); only what comes next arrives. */
    assert_int_equal(parley_conn_write(p.client, (const uint8_t *)"end", 3), PARLEY_OK);
    size_t total = 0;
    for (int i = 0; i < 8; i++) {
        pair_pump(&p);
        total += server_reads(p.server, got + total, sizeof got - total);
    }
    assert_int_equal(total, 3);
    assert_memory_equal(got, "end", 3);
    free_pair(&p);
}

/* ---- a man in the middle adds early_data to EncryptedExtensions */

static int add_ee_early(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    if (dir != 1 || type != 8) return 0;
    assert_true(*len + 4 <= cap);
    memcpy(b + *len, "\x00\x2a\x00\x00", 4);
    put16(b, get16(b) + 4);
    *len += 4;
    return 1;
}

/* The client's verdict on the doctored EncryptedExtensions. */
static void ee_refused(parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl, int early, int alert,
                       const char *words)
{
    pair p;
    mitm m = {.fn = add_ee_early};
    mitm_pair(&p, &m, cc, sc, PARLEY_TLS1_3);
    if (sess) assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    if (early) assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)DATA, DLEN), PARLEY_OK);
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    assert_int_equal(parley_conn_alert_sent(p.client), alert);
    assert_non_null(strstr(parley_conn_error_string(p.client), words));
    free_pair(&p);
}

static void test_ee_early_data_not_acceptable(void **state)
{
    (void)state;
    uint8_t sess[4096], other[48];
    size_t sl = session(16384, "h2,http/1.1", "h2", sess, sizeof sess);
    /* Not offered (no early data set): unsupported_extension (RFC 8446 4.2). */
    ee_refused(cli("h2"), srv(16384, "h2", NULL), sess, sl, 0, 110, "not offered");
    /* Offered, but the server did not resume (another ticket key): illegal_parameter (4.2.10). */
    memset(other, 7, sizeof other);
    parley_config *sc = srv(16384, "h2", NULL);
    assert_int_equal(parley_config_set_ticket_keys(sc, other, 1), PARLEY_OK);
    ee_refused(cli("h2"), sc, sess, sl, 1, 47, "without resuming");
    /* Offered and resumed, but under another ALPN protocol than the session's. */
    ee_refused(cli("h2,http/1.1"), srv(16384, "http/1.1,h2", NULL), sess, sl, 1, 47, "ALPN");
}

/* The ServerHello selects identity 1 of our one identity: illegal_parameter
 * (RFC 8446 4.2.11; with early_data 4.2.10 says the same for any but 0). */
static int sh_identity_1(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    (void)m;
    (void)cap;
    if (dir != 1 || type != 2) return 0;
    size_t at = 2 + 32;
    at += 1 + b[at] + 3; /* session id, suite, compression */
    ext_replace(b, len, at, 41, (const uint8_t *)"\x00\x01", 2);
    return 1;
}

static void test_sh_other_identity(void **state)
{
    (void)state;
    uint8_t sess[4096];
    size_t sl = session(16384, NULL, NULL, sess, sizeof sess);
    pair p;
    mitm m = {.fn = sh_identity_1};
    mitm_pair(&p, &m, cli(NULL), srv(16384, NULL, NULL), PARLEY_TLS1_3);
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(p.client, (const uint8_t *)DATA, DLEN), PARLEY_OK);
    assert_int_not_equal(mitm_handshake(&p, &m), 0);
    assert_true(m.done);
    assert_int_equal(parley_conn_alert_sent(p.client), 47);
    assert_non_null(strstr(parley_conn_error_string(p.client), "PSK that was not offered"));
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offered_rejected_not_resent),
        cmocka_unit_test(test_not_offered_when_ticket_disallows),
        cmocka_unit_test(test_hrr_drops_early_data),
        cmocka_unit_test(test_alpn_recorded_and_required),
        cmocka_unit_test(test_tls12_answer_after_early_data),
        cmocka_unit_test(test_api_bounds),
        cmocka_unit_test(test_large_early_data_unsent),
        cmocka_unit_test(test_ee_early_data_not_acceptable),
        cmocka_unit_test(test_sh_other_identity),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
