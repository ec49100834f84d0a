/*
 * record_conformance_test.c - the record layer's limits and alerts (issue
 * #13 item 3), both roles, both versions, with the exact bytes on the wire:
 *   - TLSInnerPlaintext <= 2^14 + 1 counting padding, checked before the
 *     padding is stripped (RFC 8446 5.4); TLSCiphertext <= 2^14 + 256
 *     (RFC 8446 5.2); TLS 1.2: <= 2^14 + 2048 on the wire and <= 2^14
 *     decrypted (RFC 5246 6.2.3, 6.2.1); plaintext records <= 2^14;
 *   - a zero-length alert or handshake record is unexpected_message (RFC
 *     8446 5.1, 5.4), alert lengths other than 2 decode_error (5.1);
 *   - rejected 0-RTT records (RFC 8446 4.2.10): a full one is skipped also
 *     before the server has keys; only records that do not open are skipped.
 * change_cipher_spec is in ccs_conformance_test.c; the shared raw-record
 * helpers in rawrec.h. Protected records are sealed with the sender's live
 * keys (or keys built from its traffic secret), as a peer with its own TLS
 * stack would; every failure is checked three ways: the alert sent, the
 * error text, and the alert record on the wire.
 */
#include "rawrec.h"

static uint8_t big[MAXP + 4096]; /* content for oversized records */
static uint8_t rec[PL_MAX_RECORD12 + 4096];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 1);
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* rcv reads exactly the first len bytes of `big`, and then waits. */
static void reads_back(parley_conn *rcv, size_t len)
{
    static uint8_t got[MAXP];
    size_t m, total = 0;
    int rc;
    while ((rc = parley_conn_read(rcv, got + total, sizeof got - total, &m)) == PARLEY_OK) total += m;
    assert_int_equal(rc, PARLEY_WANT_READ);
    assert_int_equal(total, len);
    assert_memory_equal(got, big, len);
}

/* ============================================== TLS 1.3 size limits */

/* 2^14 - 8 bytes of data with 8 bytes of padding: the inner plaintext is
 * 2^14 + 1 bytes, accepted; with 9 bytes of padding (the example)
 * it is 2^14 + 2: record_overflow, both roles. */
static void test_tls13_inner_plaintext_limit(void **state)
{
    (void)state;
    static uint8_t inner[MAXP + 64];
    for (int role = 0; role < 2; role++) {
        for (size_t pad = 8; pad <= 9; pad++) {
            pair p;
            pair_done(&p, PARLEY_TLS1_3);
            parley_conn *snd = role ? p.client : p.server, *rcv = role ? p.server : p.client;
            size_t n = make_inner(inner, big, MAXP - 8, PL_CT_APPLICATION_DATA, MAXP - 8 + 1 + pad);
            size_t rl = seal_inner(&snd->wr, rec, inner, n);
            assert_int_equal(rl, 5 + MAXP + 1 + (pad - 8) + 16);
            conn_feed(rcv, rec, rl);
            if (pad == 8) {
                reads_back(rcv, MAXP - 8);
            } else {
                fails(rcv, snd, PL_ALERT_RECORD_OVERFLOW, "decrypted record of 16386 bytes (content, type and padding) exceeds 2^14+1");
            }
            free_pair(&p);
        }
    }
}

/* A handshake message padded out to a 2^14 + 256 byte ciphertext (the
 * longest the header check allows): record_overflow in both roles. Padded
 * to an inner plaintext of exactly 2^14 + 1 the same Finished is accepted.
 * Server: the client's Finished; client: the server's Finished. */
static void test_tls13_finished_padded(void **state)
{
    (void)state;
    static uint8_t inner[PL_MAX_CIPHERTEXT];
    for (int role = 0; role < 2; role++) {
        for (int over = 0; over < 2; over++) {
            pair p;
            pair_after_client_hello(&p, PARLEY_TLS1_3);
            parley_conn *snd = p.server, *rcv = p.client;
            int fin = -1, nenc = 0; /* the Finished: the last record of the flight */
            if (role == 1) {
                /* Client's flight (CCS, Finished) to the server. */
                pair_pump(&p);
                assert_int_equal(parley_conn_handshake(p.client), PARLEY_OK);
                snd = p.client;
                rcv = p.server;
            } else {
                /* The ServerHello and CCS first: the client has the server's handshake keys. */
                feed_recs(p.server, p.client, 0, 2);
                assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
            }
            const uint8_t *d;
            size_t off = out_rec(snd, fin, &d);
            for (size_t o = 0; o < off; o += rec_len(d + o)) nenc += d[o] == PL_CT_APPLICATION_DATA;
            /* Open it with the receiver's read secret at its sequence number,
             * and seal it again, padded. */
            uint8_t type;
            size_t plen = open_as(rcv, d + off, (uint64_t)nenc, inner, &type);
            assert_int_equal(type, PL_CT_HANDSHAKE);
            assert_int_equal(inner[0], PL_HS_FINISHED);
            pl_rec_keys w = writer_as(rcv, (uint64_t)nenc);
            size_t n = make_inner(inner, inner, plen, PL_CT_HANDSHAKE, over ? PL_MAX_CIPHERTEXT - PL_AEAD_TAG : MAXP + 1);
            size_t rl = seal_inner(&w, rec, inner, n);
            assert_int_equal(rl, 5 + (over ? PL_MAX_CIPHERTEXT : MAXP + 1 + 16));
            pl_rec_clear(&w);
            if (role == 1) feed_recs(snd, rcv, 0, 1);     /* the CCS */
            else feed_recs(snd, rcv, 2, 2 + nenc);        /* EncryptedExtensions .. CertificateVerify */
            conn_feed(rcv, rec, rl);
            if (over) {
                fails(rcv, NULL, PL_ALERT_RECORD_OVERFLOW, "decrypted record of 16624 bytes (content, type and padding) exceeds 2^14+1");
            } else {
                assert_int_equal(parley_conn_handshake(rcv), PARLEY_OK);
            }
            free_pair(&p);
        }
    }
}

/* RFC 8446 5.2: a TLSCiphertext of 2^14 + 257 bytes is record_overflow,
 * decided on the header (nothing after it is looked at). */
static void test_tls13_ciphertext_limit(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        pair p;
        pair_done(&p, PARLEY_TLS1_3);
        parley_conn *rcv = role ? p.server : p.client;
        const uint8_t hdr[5] = {PL_CT_APPLICATION_DATA, 3, 3, 0x41, 0x01}; /* 16641 */
        conn_feed(rcv, hdr, sizeof hdr);
        fails(rcv, NULL, PL_ALERT_RECORD_OVERFLOW, "encrypted record of 16641 bytes exceeds 2^14+256");
        free_pair(&p);
    }
}

/* Plaintext records (before keys) are at most 2^14 bytes, both versions,
 * both roles (RFC 8446 5.1, RFC 5246 6.2.1). */
static void test_plaintext_record_limit(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        for (int role = 0; role < 2; role++) {
            pair p;
            parley_conn *rcv = plaintext_receiver(&p, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3, role);
            const uint8_t hdr[5] = {PL_CT_HANDSHAKE, 3, 3, 0x40, 0x01}; /* 16385 */
            conn_feed(rcv, hdr, sizeof hdr);
            fails(rcv, NULL, PL_ALERT_RECORD_OVERFLOW, v ? "exceeds the TLS 1.2 limit" : "record of 16385 bytes exceeds 2^14");
            free_pair(&p);
        }
    }
}

/* ============================================== TLS 1.2 size limits */

/* RFC 5246 6.2.3 / 6.2.1: a record that decrypts to 2^14 bytes is
 * accepted, one that decrypts to 2^14 + 1 is record_overflow; a ciphertext
 * of 2^14 + 2049 bytes is record_overflow on its header. Both roles. */
static void test_tls12_limits(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        for (int c = 0; c < 3; c++) {
            pair p;
            pair_done(&p, PARLEY_TLS1_2);
            parley_conn *snd = role ? p.client : p.server, *rcv = role ? p.server : p.client;
            if (c == 2) {
                const uint8_t hdr[5] = {PL_CT_APPLICATION_DATA, 3, 3, 0x48, 0x01}; /* 18433 */
                conn_feed(rcv, hdr, sizeof hdr);
                fails(rcv, snd, PL_ALERT_RECORD_OVERFLOW, "record of 18433 bytes exceeds the TLS 1.2 limit");
                free_pair(&p);
                continue;
            }
            size_t rl = seal12_any(&snd->wr, rec, PL_CT_APPLICATION_DATA, big, MAXP + (size_t)c);
            conn_feed(rcv, rec, rl);
            if (c == 0) {
                reads_back(rcv, MAXP);
            } else {
                fails(rcv, snd, PL_ALERT_RECORD_OVERFLOW, "decrypted record of 16385 bytes exceeds 2^14");
            }
            free_pair(&p);
        }
    }
}

/* ============================================================= alerts */

/* A record whose version major is not 3, before any version is agreed (a
 * server's first record, a client's before the ServerHello): protocol_version,
 * as the TLS 1.2 check after negotiation answers (BoGo
 * GarbageInitialRecordVersion sends 0xffff). */
static void test_record_version_not_tls(void **state)
{
    (void)state;
    static const uint8_t bad[] = {PL_CT_HANDSHAKE, 0xff, 0xff, 0, 1, PL_HS_CLIENT_HELLO};
    for (int role = 0; role < 2; role++) {
        pair p;
        parley_conn *rcv = plaintext_receiver(&p, PARLEY_TLS1_3, role);
        conn_feed(rcv, bad, sizeof bad);
        fails(rcv, NULL, PL_ALERT_PROTOCOL_VERSION, "record version 255.255 is not TLS");
        free_pair(&p);
    }
}

/* RFC 8446 5.4: a zero-length alert is unexpected_message: plaintext before
 * the keys, protected after the handshake; TLS 1.3 and 1.2, both roles. */
static void test_zero_length_alert(void **state)
{
    (void)state;
    static const uint8_t empty_alert[5] = {PL_CT_ALERT, 3, 3, 0, 0};
    for (int v = 0; v < 2; v++) {
        uint16_t ver = v ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        for (int role = 0; role < 2; role++) {
            /* Plaintext: a server before or after the ClientHello, a client after its ClientHello / the ServerHello. */
            pair p;
            parley_conn *rcv = plaintext_receiver(&p, ver, role);
            conn_feed(rcv, empty_alert, sizeof empty_alert);
            fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "zero-length alert record");
            if (v) assert_int_equal(rcv->version, PARLEY_TLS1_2);
            free_pair(&p);

            /* Protected, after the handshake. */
            pair_done(&p, ver);
            parley_conn *snd = role ? p.client : p.server;
            rcv = role ? p.server : p.client;
            send_sealed(snd, rcv, PL_CT_ALERT, NULL, 0);
            fails(rcv, snd, PL_ALERT_UNEXPECTED_MESSAGE, "zero-length alert record");
            free_pair(&p);
        }
    }
}

/* RFC 8446 5.1 / 5.4, RFC 5246 6.2.1: no zero-length handshake fragments,
 * "even if those fragments contain padding": unexpected_message. Plaintext
 * before the keys and protected (TLS 1.3 with 5 bytes of padding) after
 * the handshake; both versions, both roles. */
static void test_zero_length_handshake(void **state)
{
    (void)state;
    static const uint8_t empty_hs[5] = {PL_CT_HANDSHAKE, 3, 3, 0, 0};
    static uint8_t inner[8];
    for (int v = 0; v < 2; v++) {
        uint16_t ver = v ? PARLEY_TLS1_2 : PARLEY_TLS1_3;
        for (int role = 0; role < 2; role++) {
            pair p;
            pair_new(&p, ver);
            assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
            parley_conn *rcv = role ? p.server : p.client;
            conn_feed(rcv, empty_hs, sizeof empty_hs);
            fails(rcv, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "zero-length handshake record");
            free_pair(&p);

            pair_done(&p, ver);
            parley_conn *snd = role ? p.client : p.server;
            rcv = role ? p.server : p.client;
            if (v) {
                send_sealed(snd, rcv, PL_CT_HANDSHAKE, NULL, 0);
            } else {
                size_t rl = seal_inner(&snd->wr, rec, inner, make_inner(inner, NULL, 0, PL_CT_HANDSHAKE, 6));
                conn_feed(rcv, rec, rl);
            }
            fails(rcv, snd, PL_ALERT_UNEXPECTED_MESSAGE, "zero-length handshake record");
            free_pair(&p);
        }
    }
}

/* RFC 8446 5.1: an alert record holds exactly one two-byte alert; 1 or 3
 * bytes are malformed: decode_error (as BoringSSL answers), both versions. */
static void test_alert_wrong_length(void **state)
{
    (void)state;
    static const uint8_t body[3] = {2, PL_ALERT_HANDSHAKE_FAILURE, 0};
    for (int v = 0; v < 2; v++) {
        for (size_t len = 1; len <= 3; len += 2) {
            pair p;
            pair_done(&p, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
            send_sealed(p.client, p.server, PL_CT_ALERT, body, len);
            char words[64];
            snprintf(words, sizeof words, "alert record of %zu bytes", len);
            fails(p.server, p.client, PL_ALERT_DECODE_ERROR, words);
            free_pair(&p);
        }
    }
}

/* ====================================================== rejected 0-RTT */

/* After a HelloRetryRequest the server has no read keys yet and skips the
 * rejected 0-RTT records: a full one (2^14 + 1 + 16 bytes of ciphertext)
 * must not be record_overflow. One past 2^14 + 256 still is. */
static void test_early_data_full_record_after_hrr(void **state)
{
    (void)state;
    static uint8_t ch[4096];
    for (int over = 0; over < 2; over++) {
        parley_config *cc = client_cfg("ec256"), *sc = server_cfg("ec256");
        assert_int_equal(parley_config_set_groups(cc, "x25519:secp384r1"), PARLEY_OK);
        assert_int_equal(parley_config_set_groups(sc, "secp384r1"), PARLEY_OK);
        assert_int_equal(parley_config_set_max_early_data(sc, 65536), PARLEY_OK);
        pair p;
        make_pair(&p, cc, sc, "localhost");
        size_t n = hello_with_early_data(p.client, ch);
        conn_feed(p.server, ch, n);
        size_t clen = over ? PL_MAX_CIPHERTEXT + 1 : MAXP + 1 + PL_AEAD_TAG;
        rec[0] = PL_CT_APPLICATION_DATA;
        rec[1] = rec[2] = 3;
        rec[3] = (uint8_t)(clen >> 8);
        rec[4] = (uint8_t)clen;
        memcpy(rec + 5, big, clen);
        conn_feed(p.server, rec, 5 + clen);
        if (over) {
            fails(p.server, NULL, PL_ALERT_RECORD_OVERFLOW, "encrypted record of 16641 bytes exceeds 2^14+256");
        } else {
            assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
            assert_int_equal(p.server->failed, 0);
            const uint8_t *d;
            out_rec(p.server, 0, &d);
            assert_int_equal(d[5], PL_HS_SERVER_HELLO); /* the HelloRetryRequest */
            assert_int_equal(p.server->in_len, 0);      /* the early record was taken and skipped */
        }
        free_pair(&p);
    }
}

/* While skipping, a record that opens under the client's handshake keys
 * ends the skipping and is checked like any record: one holding only
 * padding is unexpected_message, one with a 2^14 + 2 byte inner plaintext
 * record_overflow (both were skipped or misreported before). */
static void test_early_skip_opened_record_checked(void **state)
{
    (void)state;
    static uint8_t ch[4096], inner[MAXP + 64];
    for (int k = 0; k < 2; k++) {
        parley_config *sc = server_cfg("ec256");
        assert_int_equal(parley_config_set_max_early_data(sc, 65536), PARLEY_OK);
        pair p;
        make_pair(&p, only_version(client_cfg("ec256"), PARLEY_TLS1_3), sc, "localhost");
        size_t n = hello_with_early_data(p.client, ch);
        conn_feed(p.server, ch, n);
        assert_int_equal(parley_conn_handshake(p.server), PARLEY_WANT_READ);
        assert_int_equal(p.server->hs->early_skipping, 1);
        pl_rec_keys w = {0};
        assert_int_equal(pl_rec_install13(&w, p.server->rd.alg, p.server->rd.hash, p.server->rd.secret, 1), 0);
        size_t il = k ? make_inner(inner, big, MAXP - 8, PL_CT_HANDSHAKE, MAXP + 2) : 12;
        if (!k) memset(inner, 0, il);
        size_t rl = seal_inner(&w, rec, inner, il);
        pl_rec_clear(&w);
        conn_feed(p.server, rec, rl);
        if (k) fails(p.server, NULL, PL_ALERT_RECORD_OVERFLOW, "(content, type and padding) exceeds 2^14+1");
        else fails(p.server, NULL, PL_ALERT_UNEXPECTED_MESSAGE, "encrypted record holds only padding");
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13_inner_plaintext_limit),
        cmocka_unit_test(test_tls13_finished_padded),
        cmocka_unit_test(test_tls13_ciphertext_limit),
        cmocka_unit_test(test_plaintext_record_limit),
        cmocka_unit_test(test_tls12_limits),
        cmocka_unit_test(test_record_version_not_tls),
        cmocka_unit_test(test_zero_length_alert),
        cmocka_unit_test(test_zero_length_handshake),
        cmocka_unit_test(test_alert_wrong_length),
        cmocka_unit_test(test_early_data_full_record_after_hrr),
        cmocka_unit_test(test_early_skip_opened_record_checked),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
