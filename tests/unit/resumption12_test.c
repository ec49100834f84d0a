/* resumption12_test.c - the TLS 1.2 client while it resumes: what the
 * server's plaintext flight (ServerHello, NewSessionTicket, CCS, Finished)
 * can make it store before the Finished authenticates anything; and the
 * group a resumed connection reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "raw_hello.h"
#include "session/session.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static parley_config *client12(void)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    return cc;
}

/* The server's resumption flight with its NewSessionTicket replaced by one
 * carrying a `tl`-byte ticket (any size the format allows, RFC 5077 3.3),
 * re-framed into 16 KiB records; the rest (CCS, Finished) as it was. */
static void big_ticket_flight(const uint8_t *in, size_t n, size_t tl, rh_buf *out)
{
    static uint8_t hs[1 << 17];
    size_t hl = 0, off = 0;
    while (off + 5 <= n && in[off] == 22) { /* plaintext handshake records, before the CCS */
        size_t rl = (size_t)in[off + 3] << 8 | in[off + 4];
        memcpy(hs + hl, in + off + 5, rl);
        hl += rl;
        off += 5 + rl;
    }
    rh_buf msgs = {0};
    int saw = 0;
    for (size_t m = 0; m + 4 <= hl;) {
        size_t bl = (size_t)hs[m + 1] << 16 | (size_t)hs[m + 2] << 8 | hs[m + 3];
        if (hs[m] == PL_HS_NEW_SESSION_TICKET) {
            saw = 1;
            rh_u8(&msgs, PL_HS_NEW_SESSION_TICKET);
            rh_u24(&msgs, (uint32_t)(4 + 2 + tl));
            rh_u16(&msgs, 0), rh_u16(&msgs, 300); /* ticket_lifetime_hint */
            rh_u16(&msgs, (uint16_t)tl);
            for (size_t i = 0; i < tl; i++) rh_u8(&msgs, 0x41);
        } else {
            rh_bytes(&msgs, hs + m, 4 + bl);
        }
        m += 4 + bl;
    }
    assert_true(saw);
    rh_records(msgs.p, msgs.len, 0, out);
    for (size_t i = 0; i + 5 <= out->len; i += 5 + ((size_t)out->p[i + 3] << 8 | out->p[i + 4])) out->p[i + 2] = 3;
    rh_bytes(out, in + off, n - off);
    rh_buf_free(&msgs);
}

/* A resuming client sent a ticket too large for a session (2049 bytes, the
 * format's 65535): it is well formed and not stored. Before the fix it was
 * copied into the 2048-byte session field (heap overflow, seen by ASan),
 * by anyone on the path: this flight is plaintext and unauthenticated. */
static void test_resumed_client_large_ticket(void **state)
{
    (void)state;
    static const size_t sizes[] = {PL_MAX_TICKET + 1, 60000, 65535};
    uint8_t sess[4096];
    size_t sl = 0;
    parley_config *sc = server_cfg("ec256");
    pair p;
    parley_config_ref(sc);
    make_pair(&p, client12(), sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        static uint8_t buf[1 << 17];
        rh_buf flight = {0};
        parley_config_ref(sc);
        make_pair(&p, client12(), sc, "localhost");
        assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
        size_t n = conn_take(p.client, buf, sizeof buf);
        conn_feed(p.server, buf, n);
        (void)parley_conn_handshake(p.server);
        n = conn_take(p.server, buf, sizeof buf);
        big_ticket_flight(buf, n, sizes[k], &flight);
        int rc = PARLEY_WANT_READ;
        for (size_t pos = 0; pos < flight.len && rc == PARLEY_WANT_READ;) {
            size_t used = 0;
            assert_int_equal(parley_conn_recv_bytes(p.client, flight.p + pos, flight.len - pos, &used), PARLEY_OK);
            pos += used;
            rc = parley_conn_handshake(p.client);
        }
        /* The transcript changed, so the server's Finished does not verify. */
        assert_int_equal(rc, PARLEY_ERROR);
        assert_non_null(strstr(parley_conn_error_string(p.client), "Finished"));
        assert_true(!p.client->sess || p.client->sess->ticket_len <= PL_MAX_TICKET);
        rh_buf_free(&flight);
        free_pair(&p);
    }
    parley_config_free(sc);
}

/* RFC 5246 7.3: an abbreviated handshake exchanges no keys; both sides
 * report the group of the full handshake that made the session (a NIST
 * curve here, though the resuming client prefers x25519), also after a second
 * resumption with the ticket the first one renewed. */
static void test_resumed_group_is_the_sessions(void **state)
{
    (void)state;
    uint8_t sess[4096];
    size_t sl = 0;
    parley_config *sc = server_cfg("ec256"), *first = client12();
    /* secp256r1 too: the curve of the ECDSA certificate (RFC 8422 5.1). */
    assert_int_equal(parley_config_set_groups(first, "secp384r1:secp256r1"), PARLEY_OK);
    pair p;
    parley_config_ref(sc);
    make_pair(&p, first, sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    uint16_t g = parley_conn_group(p.client);
    assert_true(g == PARLEY_GROUP_SECP384R1 || g == PARLEY_GROUP_SECP256R1);
    assert_int_equal(parley_conn_group(p.server), g);
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    for (int round = 0; round < 2; round++) {
        parley_config *cc = client12();
        assert_int_equal(parley_config_set_groups(cc, "x25519:secp256r1:secp384r1"), PARLEY_OK);
        parley_config_ref(sc);
        make_pair(&p, cc, sc, "localhost");
        assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
        assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_int_equal(parley_conn_resumed(p.client), 1);
        assert_int_equal(parley_conn_resumed(p.server), 1);
        assert_int_equal(parley_conn_group(p.client), g);
        assert_int_equal(parley_conn_group(p.server), g);
        assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
        free_pair(&p);
    }
    parley_config_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumed_client_large_ticket),
        cmocka_unit_test(test_resumed_group_is_the_sessions),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
