/* session_binding_test.c - a client offers a session only where it proves
 * something (issue #14): for the server name it was made for (TLS 1.2 as in
 * TLS 1.3), under the trust settings it was verified under (CA store,
 * verification on or off, host-name check), never in an older format that
 * does not say; a server counts a session's client certificate only under
 * its current client CAs; and a client with no server name fails
 * verification unless the application says it checks the name itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "session/session.h"

static const uint16_t versions[2] = {PARLEY_TLS1_2, PARLEY_TLS1_3};

/* test_dir()/out.pem: a.pem followed by b.pem (a CA store of two anchors). */
static void concat_pem(const char *out, const char *a, const char *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.pem", test_dir(), out);
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    const char *parts[] = {a, b};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s.pem", test_dir(), parts[i]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        int ch;
        while ((ch = fgetc(f)) != EOF) fputc(ch, o);
        fclose(f);
    }
    fclose(o);
}

static int setup(void **state)
{
    (void)state;
    if (make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30) || make_cert(test_dir(), "other", "ec256", "other.test", -1, 30) ||
        make_cert(test_dir(), "cli", "ec256", "client.test", -1, 30))
        return -1;
    /* A second CA store: the server's certificate and one more anchor. */
    concat_pem("both", "ec256", "other");
    return 0;
}

/* A client of `version` trusting CA file `ca` (NULL: verification off). */
static parley_config *client(uint16_t version, const char *ca)
{
    parley_config *c;
    if (ca) {
        c = client_cfg(ca);
    } else {
        c = parley_config_new();
        assert_int_equal(parley_config_set_verify(c, 0), PARLEY_OK);
    }
    assert_int_equal(parley_config_set_versions(c, version, version), PARLEY_OK);
    return c;
}

/* A full handshake; the client reads data so a TLS 1.3 ticket arrives; its session. */
static size_t full(parley_config *sc, parley_config *cc, const char *sni, uint8_t *sess, size_t cap)
{
    pair p;
    size_t sl = 0;
    parley_config_ref(sc);
    make_pair(&p, cc, sc, sni);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    exchange(&p, p.server, p.client, "ticket, please");
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
}

typedef struct {
    int refused;      /* parley_conn_set_session said no */
    int resumed;      /* 1 resumed, 0 full handshake, -1 failed */
    char verify[256];
} offer_result;

/* A second connection offering sess; `bypass` puts the session on the
 * connection directly, past parley_conn_set_session, to test the checks
 * where the offer is written. */
static offer_result offer(parley_config *sc, parley_config *cc, const char *sni, const uint8_t *sess, size_t sl, int bypass)
{
    pair p;
    offer_result r = {0};
    parley_config_ref(sc);
    make_pair(&p, cc, sc, sni);
    if (bypass) {
        p.client->sess = pl_calloc(1, sizeof *p.client->sess);
        assert_int_equal(pl_session_decode(sess, sl, p.client->sess), 0);
    } else {
        r.refused = parley_conn_set_session(p.client, sess, sl) != PARLEY_OK;
    }
    int ok = pair_handshake(&p, NULL, NULL);
    r.resumed = ok == 0 ? parley_conn_resumed(p.client) : -1;
    snprintf(r.verify, sizeof r.verify, "%s", parley_conn_verify_result(p.client));
    if (ok == 0) exchange(&p, p.client, p.server, "after the offer");
    free_pair(&p);
    return r;
}

/* Rewrite the client's record of its session (not the server's ticket). */
static size_t edit(uint8_t *sess, size_t sl, void (*fn)(pl_session *s))
{
    pl_session s;
    pl_buf b = {0};
    assert_int_equal(pl_session_decode(sess, sl, &s), 0);
    fn(&s);
    assert_int_equal(pl_session_encode(&s, &b), 0);
    memcpy(sess, b.data, b.len);
    sl = b.len;
    pl_buf_free(&b);
    return sl;
}

static void made_for_evil(pl_session *s) { strcpy(s->sni, "evil.test"); }

/* Defect 2: a session the client made with evil.test, offered to another
 * name. The server here holds a ticket for "localhost", so it resumes what
 * it is offered: it stands for a server that does not check the name (RFC
 * 6066 3 asks servers to; OpenSSL's TLS 1.2 server does not). Only the
 * client's check stands between it and impersonation. */
static void test_name_binding(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        uint8_t sess[4096];
        parley_config *sc = server_cfg("ec256");
        size_t sl = full(sc, client(versions[v], "ec256"), "localhost", sess, sizeof sess);
        /* The control: offered for its own name, it resumes. */
        offer_result r = offer(sc, client(versions[v], "ec256"), "localhost", sess, sl, 0);
        assert_int_equal(r.refused, 0);
        assert_int_equal(r.resumed, 1);
        assert_string_equal(r.verify, "ok (resumed session; verified when it was made)");
        sl = edit(sess, sl, made_for_evil);
        r = offer(sc, client(versions[v], "ec256"), "localhost", sess, sl, 0);
        assert_int_equal(r.refused, 1);
        assert_int_equal(r.resumed, 0);
        assert_string_equal(r.verify, "ok");
        /* And where the offer is written, should a session get past set_session. */
        r = offer(sc, client(versions[v], "ec256"), "localhost", sess, sl, 1);
        assert_int_equal(r.resumed, 0);
        assert_string_equal(r.verify, "ok");
        parley_config_free(sc);
    }
}

static void verify_name_off(parley_config *c) { assert_int_equal(parley_config_set_verify_hostname(c, 0), PARLEY_OK); }
static void ocsp_age_long(parley_config *c) { assert_int_equal(parley_config_set_ocsp_max_age(c, 366 * 86400), PARLEY_OK); }
static void clock_fixed(parley_config *c) { assert_int_equal(parley_config_set_time(c, (int64_t)time(NULL) + 86400), PARLEY_OK); }

/* Made under client config a, offered under b: 1 offered and resumed, 0 refused. */
static int across(uint16_t version, const char *ca_a, const char *ca_b, void (*tweak_b)(parley_config *), int bypass)
{
    uint8_t sess[4096];
    parley_config *sc = server_cfg("ec256");
    size_t sl = full(sc, client(version, ca_a), "localhost", sess, sizeof sess);
    parley_config *cb = client(version, ca_b);
    if (tweak_b) tweak_b(cb);
    offer_result r = offer(sc, cb, "localhost", sess, sl, bypass);
    parley_config_free(sc);
    assert_true(r.resumed >= 0); /* a refusal is a full handshake, never an error */
    if (r.resumed) assert_int_equal(r.refused, 0);
    if (!bypass) assert_int_equal(r.refused, !r.resumed);
    return r.resumed;
}

/* Defect 2, trust: a session is offered only under the trust settings it
 * was verified under. */
static void test_trust_binding(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        for (int bypass = 0; bypass < 2; bypass++) {
            /* Made with verification off (--insecure): never offered by a verifying client. */
            assert_int_equal(across(versions[v], NULL, "ec256", NULL, bypass), 0);
            /* Verified under another CA store. */
            assert_int_equal(across(versions[v], "ec256", "both", NULL, bypass), 0);
            assert_int_equal(across(versions[v], "both", "ec256", NULL, bypass), 0);
            /* Verified without the host-name check, offered by a client that checks. */
            assert_int_equal(across(versions[v], "ec256", "ec256", verify_name_off, bypass), 0);
            /* Another OCSP maximum age, or a fixed clock: another policy. */
            assert_int_equal(across(versions[v], "ec256", "ec256", ocsp_age_long, bypass), 0);
            assert_int_equal(across(versions[v], "ec256", "ec256", clock_fixed, bypass), 0);
        }
        /* The same CA file in another config object is the same store. */
        assert_int_equal(across(versions[v], "ec256", "ec256", NULL, 0), 1);
        /* Not verifying then and not verifying now: resumed, and not called verified. */
        uint8_t sess[4096];
        parley_config *sc = server_cfg("ec256");
        size_t sl = full(sc, client(versions[v], NULL), "localhost", sess, sizeof sess);
        offer_result r = offer(sc, client(versions[v], NULL), "localhost", sess, sl, 0);
        assert_int_equal(r.resumed, 1);
        assert_string_equal(r.verify, "not verified (verification disabled; resumed session)");
        parley_config_free(sc);
    }
}

/* Format 4 keeps the trust binding (format 5 adds the 0-RTT fields at the
 * end, format 6 the TLS 1.2 group after them); a format-4 session is still read with no early data, and a format-3
 * session (format 4 without the trust binding) with its trust unknown, and
 * never offered. */
static void test_older_format(void **state)
{
    (void)state;
    uint8_t sess[4096];
    parley_config *sc = server_cfg("ec256");
    size_t sl = full(sc, client(PARLEY_TLS1_2, "ec256"), "localhost", sess, sizeof sess);
    pl_session s, d;
    assert_int_equal(pl_session_decode(sess, sl, &s), 0);
    static const uint8_t zero[32];
    assert_memory_not_equal(s.trust, zero, 32);
    assert_int_equal(sess[3], 6);
    /* Format 6 ends with the TLS 1.2 session's (EC)DHE group; format 5 is
     * format 6 without it, and reads as group 0. */
    assert_int_not_equal(s.group, 0);
    assert_int_equal(sess[sl - 2] << 8 | sess[sl - 1], s.group);
    sl -= 2;
    sess[3] = 5;
    assert_int_equal(pl_session_decode(sess, sl, &d), 0);
    assert_int_equal(d.group, 0);
    assert_memory_equal(d.trust, s.trust, 32);
    /* Format 4: drop max_early_data (4 bytes), the empty ALPN (1) and
     * record_size_limit (2). */
    assert_string_equal(s.alpn, "");
    sl -= 7;
    sess[3] = 4;
    assert_int_equal(pl_session_decode(sess, sl, &d), 0);
    assert_memory_equal(d.trust, s.trust, 32);
    assert_int_equal(d.max_early_data, 0);
    /* Format 3: drop the 32 trust bytes after the client-authentication flag. */
    size_t at = 3 + 1 + 2 + 2 + 1 + 1 + s.id_len + 1 + s.secret_len + 8 + 4 + 8 + 4 + 1;
    assert_memory_equal(sess + at, s.trust, 32);
    memmove(sess + at, sess + at + 32, sl - at - 32);
    sl -= 32;
    sess[3] = 3;
    assert_int_equal(pl_session_decode(sess, sl, &d), 0);
    assert_memory_equal(d.secret, s.secret, 48);
    assert_string_equal(d.sni, "localhost");
    assert_memory_equal(d.trust, zero, 32);
    offer_result r = offer(sc, client(PARLEY_TLS1_2, "ec256"), "localhost", sess, sl, 0);
    assert_int_equal(r.refused, 1);
    assert_int_equal(r.resumed, 0);
    parley_config_free(sc);
}

/* The server side of the same class: a client certificate verified under
 * other client CAs does not satisfy a server that requires one now. */
static int resume_mtls(uint16_t version, const char *ca_first, const char *ca_then)
{
    char cli[512], key[512], ca1[512], ca2[512];
    snprintf(cli, sizeof cli, "%s/cli.pem", test_dir());
    snprintf(key, sizeof key, "%s/cli.key", test_dir());
    snprintf(ca1, sizeof ca1, "%s/%s.pem", test_dir(), ca_first);
    snprintf(ca2, sizeof ca2, "%s/%s.pem", test_dir(), ca_then);
    uint8_t keys[48];
    memset(keys, 0x42, sizeof keys); /* both servers open each other's tickets */
    parley_config *s1 = server_cfg("ec256"), *s2 = server_cfg("ec256");
    assert_int_equal(parley_config_set_client_ca(s1, ca1), PARLEY_OK);
    assert_int_equal(parley_config_set_client_ca(s2, ca2), PARLEY_OK);
    parley_config *ss[2] = {s1, s2};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(parley_config_set_verify_client(ss[i], PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
        assert_int_equal(parley_config_set_ticket_keys(ss[i], keys, 1), PARLEY_OK);
        assert_int_equal(parley_config_set_session_cache(ss[i], NULL), PARLEY_OK);
    }
    parley_config *c1 = client(version, "ec256"), *c2 = client(version, "ec256");
    assert_int_equal(parley_config_add_cert_files(c1, cli, key), PARLEY_OK);
    assert_int_equal(parley_config_add_cert_files(c2, cli, key), PARLEY_OK);
    uint8_t sess[4096];
    size_t sl = full(s1, c1, "localhost", sess, sizeof sess);
    pair p;
    parley_config_ref(s2);
    make_pair(&p, c2, s2, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    int r = parley_conn_resumed(p.server);
    /* Resumed or not, the server knows a verified client certificate. */
    assert_non_null(strstr(parley_conn_verify_result(p.server), "ok"));
    free_pair(&p);
    parley_config_free(s1);
    parley_config_free(s2);
    return r;
}

static void test_client_auth_trust(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        assert_int_equal(resume_mtls(versions[v], "cli", "cli"), 1);
        /* Another client CA store: the certificate is asked for again. */
        concat_pem("cliboth", "cli", "other");
        assert_int_equal(resume_mtls(versions[v], "cli", "cliboth"), 0);
    }
}

/* Review of #14: a session in which the client authenticated with its
 * certificate, offered by a config without that certificate, would resume as
 * the certificate's holder (the server takes the resumption as proof of the
 * client certificate of the full handshake). The client's identity covers
 * its own certificates; both ways of offering are checked. */
static void test_client_cert_binding(void **state)
{
    (void)state;
    char cli[512], key[512], ca[512];
    snprintf(cli, sizeof cli, "%s/cli.pem", test_dir());
    snprintf(key, sizeof key, "%s/cli.key", test_dir());
    snprintf(ca, sizeof ca, "%s/cli.pem", test_dir());
    uint8_t keys[48];
    memset(keys, 0x42, sizeof keys);
    for (int v = 0; v < 2; v++) {
        for (int bypass = 0; bypass < 2; bypass++) {
            parley_config *sc = server_cfg("ec256");
            assert_int_equal(parley_config_set_client_ca(sc, ca), PARLEY_OK);
            assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_OPTIONAL), PARLEY_OK);
            assert_int_equal(parley_config_set_ticket_keys(sc, keys, 1), PARLEY_OK);
            parley_config *with = client(versions[v], "ec256");
            assert_int_equal(parley_config_add_cert_files(with, cli, key), PARLEY_OK);
            uint8_t sess[4096];
            size_t sl = full(sc, with, "localhost", sess, sizeof sess);
            /* Same trust store, no client certificate. */
            offer_result r = offer(sc, client(versions[v], "ec256"), "localhost", sess, sl, bypass);
            if (!bypass) assert_int_equal(r.refused, 1);
            assert_int_equal(r.resumed, 0);
            /* The same certificate in another config: resumed. */
            parley_config *again = client(versions[v], "ec256");
            assert_int_equal(parley_config_add_cert_files(again, cli, key), PARLEY_OK);
            r = offer(sc, again, "localhost", sess, sl, bypass);
            assert_int_equal(r.refused, 0);
            assert_int_equal(r.resumed, 1);
            /* The session a resumption hands back stays bound to the certificate. */
            parley_config *third = client(versions[v], "ec256");
            assert_int_equal(parley_config_add_cert_files(third, cli, key), PARLEY_OK);
            pair p;
            parley_config_ref(sc);
            make_pair(&p, third, sc, "localhost");
            assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
            assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
            assert_int_equal(parley_conn_resumed(p.client), 1);
            exchange(&p, p.server, p.client, "a new ticket comes first");
            uint8_t next[4096];
            size_t nl = 0;
            assert_int_equal(parley_conn_get_session(p.client, next, sizeof next, &nl), PARLEY_OK);
            free_pair(&p);
            r = offer(sc, client(versions[v], "ec256"), "localhost", next, nl, bypass);
            if (!bypass) assert_int_equal(r.refused, 1);
            assert_int_equal(r.resumed, 0);
            /* A session without client authentication may be offered by a config with a certificate. */
            sl = full(sc, client(versions[v], "ec256"), "localhost", sess, sizeof sess);
            parley_config *cert = client(versions[v], "ec256");
            assert_int_equal(parley_config_add_cert_files(cert, cli, key), PARLEY_OK);
            r = offer(sc, cert, "localhost", sess, sl, bypass);
            assert_int_equal(r.refused, 0);
            parley_config_free(sc);
        }
    }
}

/* Defect 11: without a server name there is nothing to verify the
 * certificate against; verification fails unless the application said it
 * checks the name itself. */
static void test_null_server_name(void **state)
{
    (void)state;
    const char *names[] = {NULL, ""};
    for (int v = 0; v < 2; v++) {
        for (int n = 0; n < 2; n++) {
            pair p;
            make_pair(&p, client(versions[v], "ec256"), server_cfg("ec256"), names[n]);
            assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
            assert_int_equal(parley_conn_alert_sent(p.client), 42); /* bad_certificate */
            assert_non_null(strstr(parley_conn_error_string(p.client), "no server name"));
            assert_non_null(strstr(parley_conn_verify_result(p.client), "no server name"));
            free_pair(&p);
            /* The application checks the name itself: the chain is still verified. */
            parley_config *cc = client(versions[v], "ec256");
            assert_int_equal(parley_config_set_verify_hostname(cc, 0), PARLEY_OK);
            make_pair(&p, cc, server_cfg("ec256"), names[n]);
            assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
            assert_string_equal(parley_conn_verify_result(p.client), "ok (chain only: the application checks the server name)");
            free_pair(&p);
            /* ... but not a chain from an unknown CA. */
            cc = client(versions[v], "other");
            assert_int_equal(parley_config_set_verify_hostname(cc, 0), PARLEY_OK);
            make_pair(&p, cc, server_cfg("ec256"), names[n]);
            assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
            assert_int_equal(parley_conn_alert_sent(p.client), 48); /* unknown_ca */
            free_pair(&p);
        }
        /* An IP address is a name: matched against the iPAddress SAN. */
        pair p;
        make_pair(&p, client(versions[v], "ec256"), server_cfg("ec256"), "127.0.0.1");
        assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_string_equal(parley_conn_verify_result(p.client), "ok");
        free_pair(&p);
        make_pair(&p, client(versions[v], "ec256"), server_cfg("ec256"), "127.0.0.2");
        assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
        assert_non_null(strstr(parley_conn_error_string(p.client), "does not match host name 127.0.0.2"));
        free_pair(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_binding),     cmocka_unit_test(test_trust_binding),
        cmocka_unit_test(test_older_format),     cmocka_unit_test(test_client_auth_trust),
        cmocka_unit_test(test_null_server_name), cmocka_unit_test(test_client_cert_binding),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
