/* hello_server.c - see hello_server.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "helpers.h"
#include "internal.h"
#include "raw_hello.h"

#include "hello_server.h"

parley_conn *hello_server_new(void)
{
    parley_config *cfg = server_cfg("ec256");
    parley_conn *s = parley_conn_new_server(cfg);
    parley_config_free(cfg);
    assert_non_null(s);
    return s;
}

/* Feed bytes (any amount: the input buffer holds about one record) and run
 * the handshake after each piece. The handshake's last result. */
int hello_feed(parley_conn *s, const uint8_t *p, size_t n)
{
    int rc = PARLEY_WANT_READ;
    while (n) {
        size_t used = 0;
        assert_int_equal(parley_conn_recv_bytes(s, p, n, &used), PARLEY_OK);
        p += used;
        n -= used;
        rc = parley_conn_handshake(s);
        if (rc == PARLEY_ERROR) return rc;
        assert_true(used > 0 || rc != PARLEY_WANT_READ);
    }
    return rc;
}

int hello_send(parley_conn *s, const raw_hello *h)
{
    rh_buf r = {0};
    rh_hello_records(h, &r);
    int rc = hello_feed(s, r.p, r.len);
    rh_buf_free(&r);
    return rc;
}

/* The server failed with `alert` and its error says `words`. */
void hello_refused_by(parley_conn *s, int rc, int alert, const char *words)
{
    assert_int_equal(rc, PARLEY_ERROR);
    if (!strstr(parley_conn_error_string(s), words)) fail_msg("error \"%s\" lacks \"%s\"", parley_conn_error_string(s), words);
    assert_int_equal(parley_conn_alert_sent(s), alert);
}

/* The server's first message: a ServerHello (not an HRR) for `version`
 * (0x0304 via supported_versions, or 0x0303 without it); its key_share group. */
uint16_t hello_answered(parley_conn *s, int rc, uint16_t version)
{
    const uint8_t *d;
    size_t n;
    if (rc != PARLEY_WANT_READ) fail_msg("handshake failed: %s", parley_conn_error_string(s));
    parley_conn_pending_output(s, &d, &n);
    assert_true(n > 9);
    assert_int_equal(d[0], 22);
    assert_int_equal(d[5], PL_HS_SERVER_HELLO);
    size_t body = (size_t)d[6] << 16 | (size_t)d[7] << 8 | d[8];
    pl_server_hello sh;
    assert_int_equal(pl_server_hello_parse(d + 9, body, &sh), 0);
    assert_false(sh.is_hrr);
    if (version == 0x0304) assert_int_equal(sh.version, 0x0304);
    else assert_int_equal(sh.version, 0);
    return sh.group;
}

/* A TLS 1.3 hello with one x25519 share (a real public key). */
void hello_x25519_share(rh_buf *entries)
{
    uint8_t pub[PL_MAX_KEX_PUB];
    size_t n;
    pl_kex *k = NULL;
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_X25519, &k, pub, &n), 0);
    pl_kex_free(k);
    rh_share(entries, PARLEY_GROUP_X25519, pub, n);
}

void hello13_init(raw_hello *h)
{
    static const uint16_t groups[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1};
    rh_buf shares = {0};
    rh_init(h);
    hello_x25519_share(&shares);
    rh_add_tls13(h, groups, 2, &shares);
    rh_buf_free(&shares);
}

/* A fresh server given h answers with a ServerHello for `version` (see
 * answered); its key_share group. */
uint16_t hello_accepted(const raw_hello *h, uint16_t version)
{
    parley_conn *s = hello_server_new();
    uint16_t group = hello_answered(s, hello_send(s, h), version);
    parley_conn_free(s);
    return group;
}

/* A fresh server given h refuses it with `alert` and says `words`. */
void hello_refused(const raw_hello *h, int alert, const char *words)
{
    parley_conn *s = hello_server_new();
    hello_refused_by(s, hello_send(s, h), alert, words);
    parley_conn_free(s);
}

/* TLS 1.2 supported_groups {x25519, secp256r1} (the server's ECDSA
 * certificate is on secp256r1, RFC 8422 5.1) and signature_algorithms
 * {ecdsa_secp256r1_sha256}. */
void hello_add_tls12_groups_sigalgs(raw_hello *h)
{
    static const uint16_t groups[] = {PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1}, sigalgs[] = {0x0403};
    rh_buf b = {0};
    rh_u16_list_body(&b, groups, 2);
    rh_add_buf(h, EXT_GROUPS, &b);
    b.len = 0;
    rh_u16_list_body(&b, sigalgs, 1);
    rh_add_buf(h, 13, &b);
    rh_buf_free(&b);
}
