/*
 * ccs_conformance_test.c - change_cipher_spec records (issue #13 item 3),
 * both roles, with the exact bytes on the wire. TLS 1.3 (RFC 8446 5, 5.1,
 * D.4): one plaintext CCS of the single byte 1 is dropped during the
 * handshake (a server: one per ClientHello, so two after a HelloRetryRequest);
 * a second, a wrong body, an encrypted one, one after the
 * handshake, one before the ClientHello and one between the fragments of a
 * handshake message are unexpected_message. TLS 1.2 (RFC 5246 7.1): exactly
 * one, after the peer's key exchange. Helpers in rawrec.h.
 */
#include "mitm.h"
#include "rawrec.h"

static uint8_t rec[PL_MAX_RECORD12 + 4096];

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* ============================================ ChangeCipherSpec, TLS 1.3 */

static const uint8_t ccs[6] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};

/* Up to the point where the receiver may take the peer's CCS: a server
 * that has the ClientHello in its input, a client that has the ServerHello
 * (and the server's own CCS after it if `with_ccs`). */
static parley_conn *ccs_point13(pair *p, int role, int with_ccs)
{
    if (role) {
        pair_new(p, PARLEY_TLS1_3);
        assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
        feed_recs(p->client, p->server, 0, 1);
        return p->server;
    }
    pair_after_client_hello(p, PARLEY_TLS1_3);
    const uint8_t *d;
    size_t off = out_rec(p->server, 1, &d);
    assert_int_equal(d[0], PL_CT_HANDSHAKE);
    assert_int_equal(d[off], PL_CT_CHANGE_CIPHER_SPEC);
    feed_recs(p->server, p->client, 0, with_ccs ? 2 : 1);
    return p->client;
}

/* One CCS is dropped; a second during the handshake is unexpected_message,
 * in both roles (issue #13: not an endless stream). */
static void test_tls13_second_ccs(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        pair p;
        parley_conn *rcv = ccs_point13(&p, role, 1);
        if (role) conn_feed(rcv, ccs, sizeof ccs); /* the client's one (a client sends it here with 0-RTT) */
        conn_feed(rcv, ccs, sizeof ccs);
        fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "second ChangeCipherSpec record in the handshake");
        free_pair(&p);
    }
    /* One is fine: the client's compatibility CCS right after its ClientHello. */
    pair p;
    parley_conn *rcv = ccs_point13(&p, 1, 0);
    conn_feed(rcv, ccs, sizeof ccs);
    assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
    free_pair(&p);
}

/* After a HelloRetryRequest the server drops one CCS per ClientHello: a
 * client that sent 0-RTT data puts one right after its first ClientHello and
 * may send another before its encrypted flight (RFC 8446 5, D.4; BoGo
 * EarlyData-HRR-Server-TLS13). A third is unexpected_message. */
static void test_tls13_ccs_per_client_hello(void **state)
{
    (void)state;
    uint8_t buf[16384];
    for (int extra = 0; extra < 2; extra++) {
        pair p;
        parley_config *sc = server_cfg("ec256"), *cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_versions(sc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
        assert_int_equal(parley_config_set_groups(sc, "secp384r1"), PARLEY_OK); /* not the client's share */
        assert_int_equal(parley_config_set_groups(cc, "x25519:secp384r1"), PARLEY_OK);
        make_pair(&p, cc, sc, "localhost");
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
        size_t n = conn_take(p.client, buf, sizeof buf);
        conn_feed(p.server, buf, n);
        conn_feed(p.server, ccs, sizeof ccs); /* after the first ClientHello */
        assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ); /* HelloRetryRequest */
        pair_pump(&p);
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ); /* the second ClientHello */
        n = conn_take(p.client, buf, sizeof buf);
        int k = 0; /* the client's own CCSs in this flight */
        for (size_t i = 0; i + 5 <= n; i += 5 + get16(buf + i + 3)) k += buf[i] == PL_CT_CHANGE_CIPHER_SPEC;
        assert_true(k <= 1);
        conn_feed(p.server, buf, n);
        for (; k < 1 + extra; k++) conn_feed(p.server, ccs, sizeof ccs);
        if (!extra) {
            assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
            assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        } else {
            fails(p.server, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "third ChangeCipherSpec record in the handshake");
        }
        free_pair(&p);
    }
}

/* A CCS whose body is not the single byte 1 is unexpected_message. */
static void test_tls13_ccs_bad_body(void **state)
{
    (void)state;
    static const uint8_t two[6] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 2};
    static const uint8_t longer[7] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 2, 1, 1};
    static const uint8_t empty[5] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 0};
    for (int role = 0; role < 2; role++) {
        for (int k = 0; k < 3; k++) {
            pair p;
            parley_conn *rcv = ccs_point13(&p, role, 0); /* the bad one in place of the first */
            const uint8_t *r = k == 0 ? two : k == 1 ? longer : empty;
            size_t rl = k == 0 ? sizeof two : k == 1 ? sizeof longer : sizeof empty;
            char words[80];
            snprintf(words, sizeof words, "ChangeCipherSpec record of %zu bytes is not the single byte 1", rl - 5);
            conn_feed(rcv, r, rl);
            fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE, words);
            free_pair(&p);
        }
    }
}

/* After the handshake a CCS is unexpected_message, plaintext or encrypted. */
static void test_tls13_ccs_after_handshake(void **state)
{
    (void)state;
    static const uint8_t one = 1;
    for (int role = 0; role < 2; role++) {
        for (int enc = 0; enc < 2; enc++) {
            pair p;
            pair_done(&p, PARLEY_TLS1_3);
            parley_conn *snd = role ? p.client : p.server, *rcv = role ? p.server : p.client;
            if (enc) send_sealed(snd, rcv, PL_CT_CHANGE_CIPHER_SPEC, &one, 1);
            else conn_feed(rcv, ccs, sizeof ccs);
            fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE,
                  enc ? "encrypted ChangeCipherSpec record" : "ChangeCipherSpec record after the handshake");
            free_pair(&p);
        }
    }
}

/* An encrypted CCS during the handshake (under the handshake keys) is
 * unexpected_message too: the server gets it from the client. */
static void test_tls13_encrypted_ccs_in_handshake(void **state)
{
    (void)state;
    static uint8_t inner[8];
    pair p;
    pair_after_client_hello(&p, PARLEY_TLS1_3);
    pl_rec_keys w = writer_as(p.server, 0); /* the client's handshake keys */
    const uint8_t one = 1;
    size_t rl = seal_inner(&w, rec, inner, make_inner(inner, &one, 1, PL_CT_CHANGE_CIPHER_SPEC, 2));
    pl_rec_clear(&w);
    conn_feed(p.server, rec, rl);
    fails(p.server, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "encrypted ChangeCipherSpec record");
    free_pair(&p);
}

/* RFC 8446 5.1: no other record between the fragments of a handshake
 * message: a CCS there is unexpected_message. Client: the ServerHello in
 * two plaintext records; server: the client's Finished in two protected
 * records (before its ClientHello the server takes no CCS at all). The same
 * split without the CCS is fine. */
static void test_tls13_ccs_inside_fragmented_message(void **state)
{
    (void)state;
    static uint8_t msg[256];
    for (int role = 0; role < 2; role++) {
        for (int with = 0; with < 2; with++) {
            pair p;
            pair_after_client_hello(&p, PARLEY_TLS1_3);
            parley_conn *rcv = p.client;
            const uint8_t *d;
            size_t at = 10;
            if (!role) {
                /* ServerHello: 5 + 10 bytes, [the CCS], the rest. */
                out_rec(p.server, 0, &d);
                size_t body = rec_len(d) - 5;
                const uint8_t h1[5] = {d[0], d[1], d[2], 0, (uint8_t)at};
                const uint8_t h2[5] = {d[0], d[1], d[2], (uint8_t)((body - at) >> 8), (uint8_t)(body - at)};
                conn_feed(rcv, h1, 5);
                conn_feed(rcv, d + 5, at);
                if (with) conn_feed(rcv, ccs, sizeof ccs);
                conn_feed(rcv, h2, 5);
                conn_feed(rcv, d + 5 + at, body - at);
            } else {
                /* The client's flight is CCS, Finished: the Finished in two records, [the CCS] between. */
                pair_pump(&p);
                assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
                rcv = p.server;
                size_t off = out_rec(p.client, 1, &d);
                uint8_t type;
                size_t n = open_as(rcv, d + off, 0, msg, &type);
                assert_int_equal(type, PL_CT_HANDSHAKE);
                pl_rec_keys w = writer_as(rcv, 0);
                uint8_t inner[256];
                size_t rl = seal_inner(&w, rec, inner, make_inner(inner, msg, at, PL_CT_HANDSHAKE, at + 1));
                conn_feed(rcv, rec, rl);
                if (with) conn_feed(rcv, ccs, sizeof ccs);
                rl = seal_inner(&w, rec, inner, make_inner(inner, msg + at, n - at, PL_CT_HANDSHAKE, n - at + 1));
                conn_feed(rcv, rec, rl);
                pl_rec_clear(&w);
            }
            if (with) {
                fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "ChangeCipherSpec inside a fragmented handshake message");
            } else {
                assert_int_equal(parley_conn_handshake(rcv), role ? PARLEY_OK : PARLEY_WANT_READ);
                assert_int_equal(rcv->failed, 0);
            }
            free_pair(&p);
        }
    }
}

/* Outside the window: a server before any ClientHello; a client that
 * offered only TLS 1.2 (its CCS comes after the key exchange, RFC 5246 7.1). */
static void test_ccs_before_hello(void **state)
{
    (void)state;
    pair p;
    pair_new(&p, PARLEY_TLS1_3);
    conn_feed(p.server, ccs, sizeof ccs);
    fails(p.server, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "ChangeCipherSpec record before the ClientHello");
    free_pair(&p);

    pair_new(&p, PARLEY_TLS1_2);
    assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
    conn_feed(p.client, ccs, sizeof ccs);
    fails(p.client, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "ChangeCipherSpec record before the ServerHello");
    free_pair(&p);
}

/* ============================================ ChangeCipherSpec, TLS 1.2 */

/* Both sides up to the peer's CCS in a TLS 1.2 full handshake. Server:
 * the client's flight is ClientKeyExchange, CCS, Finished. Client: the
 * server's is [NewSessionTicket,] CCS, Finished. Returns the receiver; the
 * CCS's index in the sender's output in *ccs_at. */
static parley_conn *ccs_point12(pair *p, int role, parley_conn **snd, int *ccs_at)
{
    pair_after_client_hello(p, PARLEY_TLS1_2);
    pair_pump(p);
    assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
    *snd = p->client;
    if (!role) {
        pair_pump(p);
        assert_int_equal(parley_conn_handshake(p->server), PARLEY_OK);
        *snd = p->server;
    }
    for (*ccs_at = 0;; (*ccs_at)++) {
        const uint8_t *d;
        size_t off = out_rec(*snd, *ccs_at, &d);
        if (d[off] == PL_CT_CHANGE_CIPHER_SPEC) break;
    }
    return role ? p->server : p->client;
}

/* RFC 5246 7.1: one CCS, after the key exchange. A second one (encrypted
 * under the keys the first switched on: a plaintext one would not open) is
 * unexpected_message; so is one with body 2, in both roles, and (server)
 * one between two fragments of the ClientKeyExchange. */
static void test_tls12_ccs(void **state)
{
    (void)state;
    static const uint8_t one = 1;
    static const uint8_t two[6] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 2};
    for (int role = 0; role < 2; role++) {
        for (int k = 0; k < 3; k++) {
            pair p;
            parley_conn *snd;
            int ccs_at;
            parley_conn *rcv = ccs_point12(&p, role, &snd, &ccs_at);
            if (k == 0) {
                feed_recs(snd, rcv, 0, ccs_at + 1);
                snd->wr.seq = 0; /* the Finished was sealed at 0: a CCS there instead */
                send_sealed(snd, rcv, PL_CT_CHANGE_CIPHER_SPEC, &one, 1);
                fails(rcv, snd, PL_ALERT_UNEXPECTED_MESSAGE, "second ChangeCipherSpec record in the handshake");
            } else if (k == 1) {
                feed_recs(snd, rcv, 0, ccs_at);
                conn_feed(rcv, two, sizeof two);
                fails(rcv, snd, PL_ALERT_UNEXPECTED_MESSAGE, "ChangeCipherSpec record of 1 bytes is not the single byte 1");
            } else if (role) {
                /* The ClientKeyExchange in two records, the CCS between them. */
                const uint8_t *d;
                out_rec(snd, 0, &d);
                assert_int_equal(d[5], PL_HS_CLIENT_KEY_EXCHANGE);
                size_t body = rec_len(d) - 5;
                const uint8_t h1[5] = {PL_CT_HANDSHAKE, 3, 3, 0, 2};
                const uint8_t h2[5] = {PL_CT_HANDSHAKE, 3, 3, (uint8_t)((body - 2) >> 8), (uint8_t)(body - 2)};
                conn_feed(rcv, h1, 5);
                conn_feed(rcv, d + 5, 2);
                conn_feed(rcv, ccs, sizeof ccs);
                conn_feed(rcv, h2, 5);
                conn_feed(rcv, d + 7, body - 2);
                fails(rcv, snd, PL_ALERT_UNEXPECTED_MESSAGE, "ChangeCipherSpec inside a fragmented handshake message");
            }
            free_pair(&p);
        }
    }
}

/* A TLS 1.2 CCS before it is due: a server waiting for the
 * ClientKeyExchange, a client that has only the ServerHello. */
static void test_tls12_ccs_early(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        pair p;
        parley_conn *rcv = plaintext_receiver(&p, PARLEY_TLS1_2, role);
        conn_feed(rcv, ccs, sizeof ccs);
        fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "unexpected ChangeCipherSpec (out of order");
        assert_int_equal(rcv->version, PARLEY_TLS1_2);
        free_pair(&p);
    }
}

/* After a TLS 1.2 handshake: an encrypted CCS is unexpected_message. */
static void test_tls12_ccs_after_handshake(void **state)
{
    (void)state;
    static const uint8_t one = 1;
    for (int role = 0; role < 2; role++) {
        pair p;
        pair_done(&p, PARLEY_TLS1_2);
        parley_conn *snd = role ? p.client : p.server, *rcv = role ? p.server : p.client;
        send_sealed(snd, rcv, PL_CT_CHANGE_CIPHER_SPEC, &one, 1);
        fails(rcv, snd, PL_ALERT_UNEXPECTED_MESSAGE, "ChangeCipherSpec record after the handshake");
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13_second_ccs),
        cmocka_unit_test(test_tls13_ccs_per_client_hello),
        cmocka_unit_test(test_tls13_ccs_bad_body),
        cmocka_unit_test(test_tls13_ccs_after_handshake),
        cmocka_unit_test(test_tls13_encrypted_ccs_in_handshake),
        cmocka_unit_test(test_tls13_ccs_inside_fragmented_message),
        cmocka_unit_test(test_ccs_before_hello),
        cmocka_unit_test(test_tls12_ccs),
        cmocka_unit_test(test_tls12_ccs_early),
        cmocka_unit_test(test_tls12_ccs_after_handshake),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
