/*
 * alert_rules_test.c - how received alerts are taken (RFC 8446 6, RFC 5246
 * 7.2), after the handshake, both versions:
 *   - AlertLevel is warning(1) or fatal(2): any other level is out of range,
 *     decode_error (RFC 8446 6.2), not the peer's reason;
 *   - TLS 1.3: every alert but close_notify and user_canceled is an error
 *     alert whatever its level (RFC 8446 6.2): reported as received;
 *   - ignored alerts (user_canceled; TLS 1.2 warnings) among empty records:
 *     the 5th ignored alert in a row fails, however many empty records lie
 *     between them (the run of records without content is 32);
 *   - before the ServerHello, a client offering TLS 1.2 ignores a warning
 *     unrecognized_name (RFC 6066 3), and no other alert.
 */
#include "rawrec.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static void test_unknown_level(void **state)
{
    (void)state;
    static const uint8_t levels[] = {0, 3, 0x42, 0xff};
    for (int v = 0; v < 2; v++) {
        for (size_t l = 0; l < sizeof levels; l++) {
            pair p;
            pair_done(&p, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
            const uint8_t alert[2] = {levels[l], PL_ALERT_UNEXPECTED_MESSAGE};
            send_sealed(p.client, p.server, PL_CT_ALERT, alert, 2);
            fails(p.server, p.client, PL_ALERT_DECODE_ERROR, "alert of unknown level");
            assert_int_equal(parley_conn_alert_received(p.server), -1); /* none */
            free_pair(&p);
        }
    }
}

/* A warning-level unexpected_message: TLS 1.3 ends the connection with it as
 * the peer's reason; TLS 1.2 ignores it. */
static void test_warning_level(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        pair p;
        pair_done(&p, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        static const uint8_t alert[2] = {1, PL_ALERT_UNEXPECTED_MESSAGE};
        send_sealed(p.client, p.server, PL_CT_ALERT, alert, 2);
        if (v) {
            assert_int_equal(drive(p.server, NULL), PARLEY_WANT_READ);
            exchange(&p, p.client, p.server, "a TLS 1.2 warning is ignored");
        } else {
            assert_int_equal(drive(p.server, NULL), PARLEY_ERROR);
            assert_int_equal(parley_conn_alert_received(p.server), PL_ALERT_UNEXPECTED_MESSAGE);
            assert_int_equal(parley_conn_alert_sent(p.server), -1); /* none */
        }
        free_pair(&p);
    }
}

/* Four ignored alerts, each after six empty records, pass (30 records
 * without content); the fifth fails although the run of empty records has
 * room left. */
static void test_ignored_alerts_among_empty_records(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        for (int n = 4; n <= 5; n++) {
            pair p;
            pair_done(&p, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
            const uint8_t alert[2] = {1, v ? PL_ALERT_UNRECOGNIZED_NAME : PL_ALERT_USER_CANCELED};
            for (int i = 0; i < n; i++) {
                for (int e = 0; e < (i < 4 ? 6 : 0); e++) send_sealed(p.client, p.server, PL_CT_APPLICATION_DATA, NULL, 0);
                send_sealed(p.client, p.server, PL_CT_ALERT, alert, 2);
            }
            if (n == 4) {
                assert_int_equal(drive(p.server, NULL), PARLEY_WANT_READ);
                exchange(&p, p.client, p.server, "four ignored alerts");
            } else {
                fails(p.server, p.client, PL_ALERT_UNEXPECTED_MESSAGE, "more than 4 ignored alerts in a row");
            }
            free_pair(&p);
        }
    }
}

/* A plaintext alert record reaches the client after its ClientHello, before
 * any ServerHello; then the handshake goes on with a TLS 1.2 server. */
static int alert_before_server_hello(parley_config *cc, uint8_t level, uint8_t desc, pair *p)
{
    const uint8_t rec[7] = {PL_CT_ALERT, 3, 3, 0, 2, level, desc};
    make_pair(p, cc, only_version(server_cfg("ec256"), PARLEY_TLS1_2), "localhost");
    assert_int_equal(parley_conn_handshake(p->client), PARLEY_WANT_READ);
    conn_feed(p->client, rec, sizeof rec);
    return pair_handshake(p, NULL, NULL);
}

/* RFC 6066 3 lets a TLS 1.2 server send a warning unrecognized_name before
 * its ServerHello: a client offering TLS 1.2 ignores that one warning, and
 * only it; a TLS 1.3-only client, a fatal level or another warning still
 * end the handshake with the peer's alert. */
static void test_sni_warning_before_server_hello(void **state)
{
    (void)state;
    pair p;
    assert_int_equal(alert_before_server_hello(client_cfg("ec256"), 1, PL_ALERT_UNRECOGNIZED_NAME, &p), 0);
    assert_int_equal(parley_conn_version(p.client), PARLEY_TLS1_2);
    free_pair(&p);
    static const uint8_t bad[][2] = {{2, PL_ALERT_UNRECOGNIZED_NAME}, {1, PL_ALERT_UNEXPECTED_MESSAGE}};
    for (size_t i = 0; i < 2; i++) {
        assert_int_not_equal(alert_before_server_hello(client_cfg("ec256"), bad[i][0], bad[i][1], &p), 0);
        assert_int_equal(parley_conn_alert_received(p.client), bad[i][1]);
        free_pair(&p);
    }
    parley_config *only13 = only_version(client_cfg("ec256"), PARLEY_TLS1_3);
    assert_int_not_equal(alert_before_server_hello(only13, 1, PL_ALERT_UNRECOGNIZED_NAME, &p), 0);
    assert_int_equal(parley_conn_alert_received(p.client), PL_ALERT_UNRECOGNIZED_NAME);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_level),
        cmocka_unit_test(test_warning_level),
        cmocka_unit_test(test_ignored_alerts_among_empty_records),
        cmocka_unit_test(test_sni_warning_before_server_hello),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
