/*
 * alert_rules_test.c - how received alerts are taken (RFC 8446 6, RFC 5246
 * 7.2), after the handshake, both versions:
 *   - AlertLevel is warning(1) or fatal(2): any other level is out of range,
 *     decode_error (RFC 8446 6.2), not the peer's reason;
 *   - TLS 1.3: every alert but close_notify and user_canceled is an error
 *     alert whatever its level (RFC 8446 6.2): reported as received;
 *   - ignored alerts (user_canceled; TLS 1.2 warnings) among empty records:
 *     the 5th ignored alert in a row fails, however many empty records lie
 *     between them (the run of records without content is 32).
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_level),
        cmocka_unit_test(test_warning_level),
        cmocka_unit_test(test_ignored_alerts_among_empty_records),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
