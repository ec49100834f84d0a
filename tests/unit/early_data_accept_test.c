/* early_data_accept_test.c - a client's accepted 0-RTT against a scripted
 * TLS 1.3 server built from the library's own pieces (key schedule, record
 * protection, ServerHello writer), since a parley server does not accept
 * early data (yet): the server reads the ClientHello and opens the early
 * record under client_early_traffic_secret (RFC 8446 7.1), answers
 * ServerHello (the PSK, identity 0), CCS, EncryptedExtensions with
 * early_data and Finished; the client must then send EndOfEarlyData under
 * the early keys, its Finished (over the transcript with EndOfEarlyData)
 * under the handshake keys, and not send the data again (4.2.10, 4.5). A
 * ServerHello with another suite of the same hash, then early_data in
 * EncryptedExtensions, is illegal_parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "helpers.h"
#include "internal.h"
#include "mitm.h"
#include "session/session.h"

static const char DATA[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
#define DLEN (sizeof DATA - 1)

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static parley_config *cli(void)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"), PARLEY_OK);
    return cc;
}

/* A ticket allowing early data, from a parley server (AES-128-GCM). */
static size_t session(uint8_t *sess, size_t cap)
{
    pair p;
    size_t sl = 0;
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_max_early_data(sc, 16384), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(sc, "TLS_AES_128_GCM_SHA256"), PARLEY_OK);
    make_pair(&p, cli(), sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.server, p.client, "ticket");
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
}

/* Open the record at r with k: content into out, its inner type returned. */
static int open_rec(pl_rec_keys *k, const uint8_t *r, uint8_t *out, size_t *len)
{
    uint8_t rec[4096], type;
    size_t rl = get16(r + 3);
    assert_int_equal(r[0], 23);
    assert_true(5 + rl <= sizeof rec);
    memcpy(rec, r, 5 + rl);
    assert_int_equal(pl_rec_open13(k, rec, rec + 5, rl, &type, len), 0);
    memcpy(out, rec + 5, *len);
    return type;
}

static void th_of(const pl_buf *tr, uint8_t *th) { assert_int_equal(pl_hash(PL_SHA256, tr->data, tr->len, th), 0); }

static void add_msg(pl_buf *tr, uint8_t type, const uint8_t *body, size_t len)
{
    assert_int_equal(pl_buf_u8(tr, type), 0);
    assert_int_equal(pl_buf_u24(tr, (uint32_t)len), 0);
    assert_int_equal(pl_buf_bytes(tr, body, len), 0);
}

/* The scripted server answers with `suite` (and early_data in its
 * EncryptedExtensions); the client's verdict and second flight are checked. */
static void scripted(uint16_t suite, int aead)
{
    uint8_t sess[4096], fl[8192], th[32], ce[32], buf[4096], pub[64], shared[64], rnd[32] = {7};
    size_t sl = session(sess, sizeof sess), n, len, publen, slen;
    pl_session ss;
    assert_int_equal(pl_session_decode(sess, sl, &ss), 0);
    assert_int_equal(ss.max_early_data, 16384);
    parley_config *cc = cli();
    parley_conn *c = parley_conn_new_client(cc, "localhost");
    parley_config_free(cc);
    assert_int_equal(parley_conn_set_session(c, sess, sl), PARLEY_OK);
    assert_int_equal(parley_conn_set_early_data(c, (const uint8_t *)DATA, DLEN), PARLEY_OK);
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    n = conn_take(c, fl, sizeof fl);

    /* The server reads ClientHello, CCS, and the early record. */
    const uint8_t *ch = fl + 5;
    size_t chlen = get16(fl + 3), off = 5 + chlen;
    assert_int_equal(fl[0], 22);
    pl_client_hello chp;
    const uint8_t *share;
    size_t sharelen;
    assert_int_equal(pl_client_hello_parse(ch + 4, chlen - 4, &chp), 0);
    assert_true(chp.has_early_data && chp.has_psk);
    assert_int_equal(pl_client_hello_check_shares(&chp), 0);
    assert_int_equal(pl_client_hello_find_share(&chp, PARLEY_GROUP_X25519, &share, &sharelen), 1);
    pl_buf tr = {0};
    assert_int_equal(pl_buf_bytes(&tr, ch, chlen), 0);
    th_of(&tr, th);
    pl_ks13 ks;
    assert_int_equal(pl_ks13_init_psk(&ks, PL_SHA256, ss.secret, ss.secret_len), 0);
    assert_int_equal(pl_ks13_derive_secret(PL_SHA256, ks.secret, "c e traffic", th, ce), 0);
    assert_int_equal(fl[off], 20);
    off += 5 + get16(fl + off + 3);
    pl_rec_keys ek = {0};
    assert_int_equal(pl_rec_install13(&ek, PL_AES_128_GCM, PL_SHA256, ce, 0), 0);
    assert_int_equal(open_rec(&ek, fl + off, buf, &len), 23);
    assert_int_equal(len, DLEN);
    assert_memory_equal(buf, DATA, DLEN);
    off += 5 + get16(fl + off + 3);
    assert_int_equal(off, n);

    /* ServerHello (PSK identity 0, x25519), CCS, {EncryptedExtensions(early_data), Finished}. */
    pl_kex *kx = NULL;
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_X25519, &kx, pub, &publen), 0);
    assert_int_equal(pl_kex_derive(kx, share, sharelen, shared, &slen), 0);
    pl_kex_free(kx);
    pl_buf sh = {0}, out = {0}, enc = {0};
    assert_int_equal(pl_server_hello_write(&sh, rnd, chp.session_id.p, chp.session_id.len, suite, 0, PARLEY_GROUP_X25519,
                                           pub, publen, 0), 0);
    size_t mark = tr.len;
    add_msg(&tr, 2, sh.data, sh.len);
    assert_int_equal(pl_rec_write_plain(&out, 22, tr.data + mark, tr.len - mark), 0);
    assert_int_equal(pl_rec_write_plain(&out, 20, (const uint8_t *)"\x01", 1), 0);
    th_of(&tr, th);
    assert_int_equal(pl_ks13_handshake(&ks, shared, slen, th), 0);
    mark = tr.len;
    add_msg(&tr, 8, (const uint8_t *)"\x00\x04\x00\x2a\x00\x00", 6);
    th_of(&tr, th);
    uint8_t fin[32];
    assert_int_equal(pl_ks13_finished(PL_SHA256, ks.s_hs, th, fin), 0);
    add_msg(&tr, 20, fin, 32);
    pl_rec_keys sk = {0};
    assert_int_equal(pl_rec_install13(&sk, aead, PL_SHA256, ks.s_hs, 1), 0);
    assert_int_equal(pl_buf_bytes(&enc, tr.data + mark, tr.len - mark), 0);
    assert_int_equal(pl_rec_seal13(&sk, &out, 22, enc.data, enc.len, 0), 0);
    conn_feed(c, out.data, out.len);
    int rc = parley_conn_handshake(c);

    if (suite != PARLEY_TLS_AES_128_GCM_SHA256) {
        /* Not the ticket's suite: early data cannot have been accepted. */
        assert_int_equal(rc, PARLEY_ERROR);
        assert_int_equal(parley_conn_alert_sent(c), 47);
        assert_non_null(strstr(parley_conn_error_string(c), "without resuming the ticket's PSK and cipher suite"));
    } else {
        assert_int_equal(rc, PARLEY_OK);
        assert_int_equal(parley_conn_resumed(c), 1);
        assert_int_equal(parley_conn_early_data_status(c), PARLEY_EARLY_DATA_ACCEPTED);
        n = conn_take(c, fl, sizeof fl);
        /* EndOfEarlyData under the early keys (their next sequence number) ... */
        assert_int_equal(open_rec(&ek, fl, buf, &len), 22);
        assert_int_equal(len, 4);
        assert_memory_equal(buf, "\x05\x00\x00\x00", 4);
        add_msg(&tr, 5, NULL, 0);
        off = 5 + get16(fl + 3);
        /* ... then Finished under the client handshake keys, over CH..EndOfEarlyData. */
        pl_rec_keys hk = {0};
        assert_int_equal(pl_rec_install13(&hk, aead, PL_SHA256, ks.c_hs, 0), 0);
        assert_int_equal(open_rec(&hk, fl + off, buf, &len), 22);
        th_of(&tr, th);
        assert_int_equal(pl_ks13_finished(PL_SHA256, ks.c_hs, th, fin), 0);
        assert_int_equal(len, 36);
        assert_memory_equal(buf, "\x14\x00\x00\x20", 4);
        assert_memory_equal(buf + 4, fin, 32);
        pl_rec_clear(&hk);
        /* Nothing else: accepted data is not sent again. */
        assert_int_equal(off + 5 + get16(fl + off + 3), n);
    }
    pl_rec_clear(&ek);
    pl_rec_clear(&sk);
    pl_ks13_wipe(&ks);
    pl_buf_free(&tr);
    pl_buf_free(&sh);
    pl_buf_free(&out);
    pl_buf_free(&enc);
    parley_conn_free(c);
}

static void test_accepted(void **state)
{
    (void)state;
    scripted(PARLEY_TLS_AES_128_GCM_SHA256, PL_AES_128_GCM);
}

static void test_accepted_under_another_suite(void **state)
{
    (void)state;
    scripted(PARLEY_TLS_CHACHA20_POLY1305_SHA256, PL_CHACHA20_POLY1305);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_accepted_under_another_suite),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
