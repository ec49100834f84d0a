/* dhe_wire_test.c - TLS 1.2 DHE values as they come off the wire (issue #16
 * review): a parley server given a ClientKeyExchange dh_Yc outside
 * 1 < Yc < p-1 (RFC 7919 4), and traces that name a peer's group value
 * without the local PARLEY_GROUP_MODP* labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "handshake/messages.h"
#include "hello_server.h"
#include "helpers.h"
#include "internal.h"
#include "mitm.h"
#include "raw_hello.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "rsa2048", "rsa2048", "localhost", -1, 30) ||
           make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

/* ------------------------------- dh_Yc rewritten by a man in the middle */

enum { YC_ZERO, YC_ONE, YC_ONE_PADDED, YC_P_MINUS_1, YC_P, YC_LONGER, YC_OWN_PADDED };

typedef struct {
    mitm m; /* first: the rewriter gets a mitm * */
    uint8_t p[1100];
    size_t plen;
} cke_rw;

/* Notes the server's dh_p, then replaces the client's dh_Yc by the value
 * of mode m.arg (RFC 5246 7.4.7.2: ClientDiffieHellmanPublic, dh_Yc<1..2^16-1>). */
static int rewrite_cke(mitm *mm, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap)
{
    cke_rw *r = (cke_rw *)mm;
    if (dir == 1 && type == PL_HS_SERVER_KEY_EXCHANGE) {
        r->plen = get16(b);
        assert_true(r->plen <= sizeof r->p);
        memcpy(r->p, b + 2, r->plen);
        return 0;
    }
    if (dir != 0 || type != PL_HS_CLIENT_KEY_EXCHANGE) return 0;
    uint8_t y[1102];
    size_t n = 0, pl = r->plen;
    switch (r->m.arg) {
    case YC_ZERO: y[n++] = 0; break;
    case YC_ONE: y[n++] = 1; break;
    case YC_ONE_PADDED: memset(y, 0, 3), y[3] = 1, n = 4; break;
    case YC_P_MINUS_1: memcpy(y, r->p, pl), y[pl - 1] -= 1, n = pl; break;
    case YC_P: memcpy(y, r->p, pl), n = pl; break;
    case YC_LONGER: y[0] = 1, memcpy(y + 1, r->p, pl), n = pl + 1; break; /* 2^(8*plen) + p */
    case YC_OWN_PADDED: y[0] = 0, memcpy(y + 1, b + 2, get16(b)), n = get16(b) + 1; break;
    }
    assert_true(2 + n <= cap);
    put16(b, n);
    memcpy(b + 2, y, n);
    *len = 2 + n;
    return 1;
}

static void cke_run(cke_rw *r, pair *p, int mode)
{
    parley_config *cc = client_cfg("rsa2048"), *sc = server_cfg("rsa2048");
    assert_int_equal(parley_config_set_ciphers(cc, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    assert_int_equal(parley_config_set_ciphers(sc, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), PARLEY_OK);
    memset(r, 0, sizeof *r);
    r->m.fn = rewrite_cke;
    r->m.arg = mode;
    make_pair(p, only_version(cc, PARLEY_TLS1_2), only_version(sc, PARLEY_TLS1_2), "localhost");
    assert_int_equal(mitm_handshake(p, &r->m), -1);
    assert_true(r->m.done);
}

/* RFC 7919 4: "the server MUST verify that 1 < dh_Yc < dh_p - 1. If dh_Yc
 * is out of range, the server MUST terminate the connection with a fatal
 * handshake_failure(40) alert." A value longer than the prime is out of
 * range too, and leading zero bytes do not change a value (RFC 5246 does
 * not require the minimal encoding). */
static void test_cke_out_of_range(void **state)
{
    (void)state;
    static cke_rw r;
    static const int modes[] = {YC_ZERO, YC_ONE, YC_ONE_PADDED, YC_P_MINUS_1, YC_P, YC_LONGER};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        pair p;
        cke_run(&r, &p, modes[i]);
        assert_int_equal(r.plen, 256); /* the server's ffdhe2048 */
        expect_alert(p.server, p.client, 40, "peer's DH public value is out of range (must be 1 < Y < p-1)");
        free_pair(&p);
    }
}

/* The client's own dh_Yc with a zero byte in front: the same value, so the
 * server takes it; the handshake then fails only because the two sides'
 * transcripts differ (the Finished), not on the value. */
static void test_cke_leading_zero(void **state)
{
    (void)state;
    static cke_rw r;
    pair p;
    cke_run(&r, &p, YC_OWN_PADDED);
    const char *err = parley_conn_error_string(p.server);
    int a = parley_conn_alert_sent(p.server);
    if (a == 40 || a == 47 || strstr(err, "DH public value")) fail_msg("server refused a padded dh_Yc: alert %d, \"%s\"", a, err);
    free_pair(&p);
}

/* ------------------------------------------ traces of wire group values */

static char g_ch[4096];

static void trace_ch(void *arg, const parley_conn *c, const parley_trace_event *ev)
{
    (void)arg;
    (void)c;
    if (ev->kind == PARLEY_TRACE_MESSAGE_RECEIVED && ev->msg_type == PL_HS_CLIENT_HELLO)
        snprintf(g_ch, sizeof g_ch, "%s", ev->detail);
}

/* PARLEY_GROUP_MODP2048 (0xfe08) is a local label in RFC 8446 4.2.7's
 * ecdhe_private_use range: a ClientHello offering 0xfe08 is a peer's own
 * group, and the server's trace prints it in hex, not as modp2048. */
static void test_trace_private_use_group(void **state)
{
    (void)state;
    static const uint16_t groups[] = {PARLEY_GROUP_MODP2048, PARLEY_GROUP_X25519};
    static uint8_t ke[256];
    raw_hello h;
    rh_buf shares = {0};
    memset(ke, 0x5a, sizeof ke);
    rh_share(&shares, PARLEY_GROUP_MODP2048, ke, sizeof ke);
    hello_x25519_share(&shares);
    rh_init(&h);
    rh_add_tls13(&h, groups, 2, &shares);
    rh_buf_free(&shares);

    parley_config *cfg = server_cfg("ec256");
    assert_int_equal(parley_config_set_trace(cfg, trace_ch, NULL), PARLEY_OK);
    parley_conn *s = parley_conn_new_server(cfg);
    parley_config_free(cfg);
    assert_non_null(s);
    g_ch[0] = 0;
    (void)hello_send(s, &h);
    parley_conn_free(s);
    rh_free(&h);
    if (!strstr(g_ch, "supported_groups: 0xfe08 x25519\n") || !strstr(g_ch, "key_share: 0xfe08 (256 bytes) x25519 (32 bytes)\n") ||
        strstr(g_ch, "modp"))
        fail_msg("ClientHello trace names 0xfe08 wrongly:\n%s", g_ch);
    /* The local label keeps its name where Parley reports its own choice. */
    assert_string_equal(parley_group_name(PARLEY_GROUP_MODP2048), "modp2048");
    assert_string_equal(pl_group_wire_name(PARLEY_GROUP_MODP2048), "unknown");
    assert_string_equal(pl_group_wire_name(PARLEY_GROUP_FFDHE2048), "ffdhe2048");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cke_out_of_range),
        cmocka_unit_test(test_cke_leading_zero),
        cmocka_unit_test(test_trace_private_use_group),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
