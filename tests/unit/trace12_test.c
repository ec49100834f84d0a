/*
 * trace12_test.c - the trace tells TLS 1.2 as it is: the NewSessionTicket
 * (RFC 5077 3.3: lifetime hint and ticket, no TLS 1.3 fields) is described,
 * not "(malformed)", and a ChangeCipherSpec we send says our write keys
 * switched (RFC 5246 7.1); in TLS 1.3 it stays the compatibility record
 * (RFC 8446 D.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

/* Every event of one side, "<kind> <name> | <detail>" one per line. */
typedef struct {
    char text[32768];
    size_t len;
} events;

static void collect(void *arg, const parley_conn *conn, const parley_trace_event *ev)
{
    events *e = arg;
    (void)conn;
    if (e->len < sizeof e->text)
        e->len += (size_t)snprintf(e->text + e->len, sizeof e->text - e->len, "%d %s | %s\n", ev->kind, ev->name, ev->detail);
    if (e->len >= sizeof e->text) e->len = sizeof e->text - 1;
}

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static void run(int version, events *ce, events *se)
{
    pair p;
    parley_config *cc = only_version(client_cfg("ec256"), version), *sc = only_version(server_cfg("ec256"), version);
    memset(ce, 0, sizeof *ce);
    memset(se, 0, sizeof *se);
    assert_int_equal(parley_config_set_trace(cc, collect, ce), PARLEY_OK);
    assert_int_equal(parley_config_set_trace(sc, collect, se), PARLEY_OK);
    make_pair(&p, cc, sc, "localhost");
    handshake_ok(&p, "trace");
    free_pair(&p);
}

static void test_tls12_ticket_and_ccs(void **state)
{
    (void)state;
    static events ce, se;
    run(PARLEY_TLS1_2, &ce, &se);
    /* The client received the ticket and the server sent it: both describe it. */
    assert_non_null(strstr(ce.text, "2 NewSessionTicket | lifetime_hint: "));
    assert_non_null(strstr(se.text, "1 NewSessionTicket | lifetime_hint: "));
    assert_non_null(strstr(ce.text, "s\nticket: "));
    assert_null(strstr(ce.text, "(malformed)"));
    assert_null(strstr(se.text, "(malformed)"));
    /* Each side's own CCS switches its write keys; none says middlebox. */
    assert_non_null(strstr(ce.text, "3 ChangeCipherSpec | write keys switched"));
    assert_non_null(strstr(se.text, "3 ChangeCipherSpec | write keys switched"));
    assert_non_null(strstr(ce.text, "4 ChangeCipherSpec | read keys switched"));
    assert_null(strstr(ce.text, "middlebox"));
    assert_null(strstr(se.text, "middlebox"));
}

static void test_tls13_ccs_is_compatibility(void **state)
{
    (void)state;
    static events ce, se;
    run(PARLEY_TLS1_3, &ce, &se);
    assert_non_null(strstr(ce.text, "3 ChangeCipherSpec | middlebox compatibility (RFC 8446 D.4)"));
    assert_null(strstr(ce.text, "write keys switched"));
    assert_null(strstr(se.text, "write keys switched"));
    /* The TLS 1.3 ticket keeps its own description. */
    assert_non_null(strstr(se.text, "1 NewSessionTicket | lifetime: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_ticket_and_ccs),
        cmocka_unit_test(test_tls13_ccs_is_compatibility),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
