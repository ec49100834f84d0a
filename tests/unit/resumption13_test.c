/* resumption13_test.c - TLS 1.3 tickets and PSK resumption in memory
 * (RFC 8446 2.2, 4.2.11, 4.6.1): psk_dhe_ke and psk_ke, HelloRetryRequest
 * with a PSK, stateful single-use tickets, and every case that must end in a
 * full handshake (another server name, a tampered ticket, a ticket age
 * outside the window, an expired session, TLS 1.2 only) or in an abort (a
 * binder that does not verify: decrypt_error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"
#include "session/session.h"
#include "util/buf.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

typedef void (*sess_edit)(pl_session *s);

/* A full TLS 1.3 handshake; the client reads the server's data so that the
 * NewSessionTicket is processed, then hands out its session. */
static size_t first_session(parley_config *sc, parley_config *cc, uint8_t *sess, size_t cap)
{
    pair p;
    size_t sl = 0;
    parley_config_ref(sc);
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_3);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    exchange(&p, p.server, p.client, "hello after the ticket");
    if (parley_conn_get_session(p.client, sess, cap, &sl) != PARLEY_OK) sl = 0;
    free_pair(&p);
    return sl;
}

static void edit_session(uint8_t *sess, size_t *sl, sess_edit edit)
{
    pl_session s;
    pl_buf b = {0};
    assert_int_equal(pl_session_decode(sess, *sl, &s), 0);
    edit(&s);
    assert_int_equal(pl_session_encode(&s, &b), 0);
    assert_true(b.len <= 4096);
    memcpy(sess, b.data, b.len);
    *sl = b.len;
    pl_buf_free(&b);
}

/* Whether the last second() had its session refused by parley_conn_set_session. */
static int g_refused;

/* Second connection offering the session. Returns 1 resumed, 0 full
 * handshake, -1 failed (the server's alert in *alert). A session the client
 * refuses to offer (another server name) is a full handshake too. */
static int second(parley_config *sc, parley_config *cc, const char *sni, const uint8_t *sess, size_t sl, int *group,
                  int *alert)
{
    pair p;
    parley_config_ref(sc);
    make_pair(&p, cc, sc, sni);
    g_refused = parley_conn_set_session(p.client, sess, sl) != PARLEY_OK;
    int ok = pair_handshake(&p, NULL, NULL), r = -1;
    if (alert) *alert = parley_conn_alert_sent(p.server);
    if (ok == 0) {
        r = parley_conn_resumed(p.client);
        assert_int_equal(parley_conn_resumed(p.server), r);
        if (group) *group = parley_conn_group(p.client);
        if (r) {
            /* Authenticated by the PSK: no certificate this time. */
            assert_int_equal(parley_conn_peer_cert_count(p.client), 0);
            assert_non_null(strstr(parley_conn_verify_result(p.client), "resumed"));
        }
        exchange(&p, p.client, p.server, "after resumption");
        exchange(&p, p.server, p.client, "and back");
    }
    free_pair(&p);
    return r;
}

static int resume(parley_config *sc, parley_config *(*mk_client)(void), const char *sni, sess_edit edit, int *group,
                  int *alert)
{
    uint8_t sess[4096];
    size_t sl = first_session(sc, mk_client(), sess, sizeof sess);
    if (sl == 0) return -2;
    if (edit) edit_session(sess, &sl, edit);
    return second(sc, mk_client(), sni, sess, sl, group, alert);
}

static parley_config *client13(void)
{
    parley_config *c = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(c, PARLEY_TLS1_3, PARLEY_TLS1_3), PARLEY_OK);
    return c;
}

static parley_config *client13_psk_ke(void)
{
    parley_config *c = client13();
    assert_int_equal(parley_config_set_psk_ke(c, 1), PARLEY_OK);
    return c;
}

static void test_psk_dhe_ke(void **state)
{
    (void)state;
    int group = 0;
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(resume(sc, client13, "localhost", NULL, &group, NULL), 1);
    assert_int_equal(group, 0x001d); /* a fresh x25519 exchange: psk_dhe_ke */
    /* The client offers psk_ke too, but the server does not allow it: still dhe. */
    assert_int_equal(resume(sc, client13_psk_ke, "localhost", NULL, &group, NULL), 1);
    assert_int_equal(group, 0x001d);
    parley_config_free(sc);
}

static void test_psk_ke(void **state)
{
    (void)state;
    int group = -1;
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_psk_ke(sc, 1), PARLEY_OK);
    /* Both sides allow psk_ke: no key exchange, no key_share in the ServerHello. */
    assert_int_equal(resume(sc, client13_psk_ke, "localhost", NULL, &group, NULL), 1);
    assert_int_equal(group, 0);
    /* A client that offers only psk_dhe_ke (the default) still gets it. */
    assert_int_equal(resume(sc, client13, "localhost", NULL, &group, NULL), 1);
    assert_int_equal(group, 0x001d);
    parley_config_free(sc);
}

static parley_config *client13_x25519_first(void)
{
    parley_config *c = client13();
    assert_int_equal(parley_config_set_groups(c, "x25519:secp256r1"), PARLEY_OK);
    return c;
}

static void test_hrr_with_psk(void **state)
{
    (void)state;
    int group = 0;
    /* The server wants secp256r1, the client's share is x25519: a
     * HelloRetryRequest, and the second ClientHello's binder covers it. */
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_groups(sc, "secp256r1"), PARLEY_OK);
    assert_int_equal(resume(sc, client13_x25519_first, "localhost", NULL, &group, NULL), 1);
    assert_int_equal(group, 0x0017);
    parley_config_free(sc);
}

static void flip_ticket(pl_session *s) { s->ticket[s->ticket_len / 2] ^= 1; }
static void wrong_psk(pl_session *s) { s->secret[0] ^= 1; }
static void older_by_a_minute(pl_session *s) { s->issued_ms -= 60000; }
static void age_add_off(pl_session *s) { s->age_add += 60000; } /* claims a minute older still */
static void age_add_under(pl_session *s) { s->age_add -= 1000; } /* claims "younger than 0" */
static void other_sni(pl_session *s) { strcpy(s->sni, "example.com"); }
static void long_lifetime(pl_session *s) { s->lifetime = 3600; }

static void test_full_handshake_cases(void **state)
{
    (void)state;
    int alert = -1;
    parley_config *sc = server_cfg("ec256");
    /* Another server name: the client does not offer the ticket. */
    assert_int_equal(resume(sc, client13, "127.0.0.1", NULL, NULL, NULL), 0);
    assert_true(g_refused);
    /* A session recorded for another name is not offered either. */
    assert_int_equal(resume(sc, client13, "localhost", other_sni, NULL, NULL), 0);
    assert_true(g_refused);
    /* A ticket that does not open: a full handshake, no alert. */
    assert_int_equal(resume(sc, client13, "localhost", flip_ticket, NULL, &alert), 0);
    assert_false(g_refused);
    assert_int_equal(alert, -1);
    /* The client's view of the ticket age off by a minute either way (RFC 8446 8.3). */
    assert_int_equal(resume(sc, client13, "localhost", older_by_a_minute, NULL, NULL), 0);
    assert_int_equal(resume(sc, client13, "localhost", age_add_off, NULL, NULL), 0);
    /* ... but a second's skew is inside the window. */
    assert_int_equal(resume(sc, client13, "localhost", age_add_under, NULL, NULL), 1);
    /* A binder made with the wrong PSK: the handshake is aborted (4.2.11). */
    assert_int_equal(resume(sc, client13, "localhost", wrong_psk, NULL, &alert), -1);
    assert_int_equal(alert, 51); /* decrypt_error */
    parley_config_free(sc);
}

/* After a full handshake the client's session is the ticket it received or
 * none: not the one it offered and the server did not take. */
static void test_offered_session_not_handed_back(void **state)
{
    (void)state;
    parley_config *sc = server_cfg("ec256");
    uint8_t sess[4096], out[4096];
    size_t sl = first_session(sc, client13(), sess, sizeof sess), ol = 0;
    assert_true(sl > 0);
    edit_session(sess, &sl, flip_ticket);
    parley_config_free(sc);
    /* A server that issues no tickets and has no cache. */
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    assert_int_equal(parley_config_set_session_cache(sc, NULL), PARLEY_OK);
    pair p;
    make_pair(&p, client13(), sc, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    exchange(&p, p.server, p.client, "no ticket follows");
    assert_int_equal(parley_conn_get_session(p.client, out, sizeof out, &ol), PARLEY_ERROR);
    free_pair(&p);
}

static void test_expired_on_server(void **state)
{
    (void)state;
    /* The server's sessions live 1 s; the client is told its copy lives an
     * hour, so only the server's own check can refuse it. */
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_session_lifetime(sc, 1), PARLEY_OK);
    uint8_t sess[4096];
    size_t sl = first_session(sc, client13(), sess, sizeof sess);
    assert_true(sl > 0);
    edit_session(sess, &sl, long_lifetime);
    sleep(2);
    assert_int_equal(second(sc, client13(), "localhost", sess, sl, NULL, NULL), 0);
    parley_config_free(sc);
}

static void test_stateful_single_use(void **state)
{
    (void)state;
    /* Sealed tickets off, a cache on: the ticket is a key into the cache,
     * and works once (RFC 8446 8.1). */
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    uint8_t sess[4096];
    size_t sl = first_session(sc, client13(), sess, sizeof sess);
    assert_true(sl > 0);
    assert_int_equal(second(sc, client13(), "localhost", sess, sl, NULL, NULL), 1);
    assert_int_equal(second(sc, client13(), "localhost", sess, sl, NULL, NULL), 0);
    parley_config_free(sc);
    /* Neither tickets nor a cache: no NewSessionTicket, nothing to resume. */
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    assert_int_equal(parley_config_set_session_cache(sc, NULL), PARLEY_OK);
    assert_int_equal(first_session(sc, client13(), sess, sizeof sess), 0);
    parley_config_free(sc);
}

static void test_not_across_versions(void **state)
{
    (void)state;
    /* A TLS 1.3 session offered to a TLS 1.2-only server: a full 1.2 handshake. */
    parley_config *sc = server_cfg("ec256");
    uint8_t sess[4096];
    size_t sl = first_session(sc, client13(), sess, sizeof sess);
    assert_true(sl > 0);
    parley_config *s12 = server_cfg("ec256");
    assert_int_equal(parley_config_set_versions(s12, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    assert_int_equal(second(s12, client_cfg("ec256"), "localhost", sess, sl, NULL, NULL), 0);
    parley_config_free(s12);
    parley_config_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psk_dhe_ke),           cmocka_unit_test(test_psk_ke),
        cmocka_unit_test(test_hrr_with_psk),         cmocka_unit_test(test_full_handshake_cases),
        cmocka_unit_test(test_offered_session_not_handed_back),
        cmocka_unit_test(test_expired_on_server),    cmocka_unit_test(test_stateful_single_use),
        cmocka_unit_test(test_not_across_versions),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
