/* truncation_test.c - the end of the transport without close_notify is
 * reported as PARLEY_TRUNCATED, apart from a clean PARLEY_CLOSED (RFC 8446
 * 6.1), through the sans-I/O API (parley_conn_recv_eof) and the socket
 * layer; during the handshake it is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

static const uint16_t versions[2] = {PARLEY_TLS1_2, PARLEY_TLS1_3};

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static void connected(pair *p, uint16_t version)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, version, version), PARLEY_OK);
    make_pair(p, cc, server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(p, NULL, NULL), 0);
}

/* Read everything the client has, then the status that ends it. */
static int drain(parley_conn *c, char *got, size_t cap)
{
    size_t total = 0, n;
    int rc;
    while ((rc = parley_conn_read(c, (uint8_t *)got + total, cap - 1 - total, &n)) == PARLEY_OK) total += n;
    got[total] = 0;
    return rc;
}

static void test_sans_io(void **state)
{
    (void)state;
    char got[256];
    for (int v = 0; v < 2; v++) {
        /* Data, then the transport ends without close_notify. */
        pair p;
        connected(&p, versions[v]);
        assert_int_equal(parley_conn_write(p.server, (const uint8_t *)"partial answer", 14), PARLEY_OK);
        pair_pump(&p);
        assert_int_equal(drain(p.client, got, sizeof got), PARLEY_WANT_READ);
        assert_int_equal(parley_conn_recv_eof(p.client), PARLEY_OK);
        assert_int_equal(drain(p.client, got, sizeof got), PARLEY_TRUNCATED);
        assert_int_equal(drain(p.client, got, sizeof got), PARLEY_TRUNCATED); /* it stays so */
        free_pair(&p);
        /* The end arrives with data still unread: the data first. */
        connected(&p, versions[v]);
        assert_int_equal(parley_conn_write(p.server, (const uint8_t *)"all of it", 9), PARLEY_OK);
        pair_pump(&p);
        assert_int_equal(parley_conn_recv_eof(p.client), PARLEY_OK);
        assert_int_equal(drain(p.client, got, sizeof got), PARLEY_TRUNCATED);
        assert_string_equal(got, "all of it");
        free_pair(&p);
        /* Half a record, then the end. */
        connected(&p, versions[v]);
        assert_int_equal(parley_conn_write(p.server, (const uint8_t *)"cut in the middle", 17), PARLEY_OK);
        uint8_t rec[256];
        size_t rl = conn_take(p.server, rec, sizeof rec);
        conn_feed(p.client, rec, rl / 2);
        assert_int_equal(parley_conn_recv_eof(p.client), PARLEY_OK);
        assert_int_equal(drain(p.client, got, sizeof got), PARLEY_TRUNCATED);
        assert_string_equal(got, "");
        free_pair(&p);
        /* close_notify, then the end: a clean close. */
        connected(&p, versions[v]);
        assert_int_equal(parley_conn_write(p.server, (const uint8_t *)"bye", 3), PARLEY_OK);
        assert_int_equal(parley_conn_close(p.server), PARLEY_OK);
        pair_pump(&p);
        assert_int_equal(parley_conn_recv_eof(p.client), PARLEY_OK);
        assert_int_equal(drain(p.client, got, sizeof got), PARLEY_CLOSED);
        assert_string_equal(got, "bye");
        free_pair(&p);
        /* The end during the handshake is an error, with no alert to a gone peer. */
        parley_config *cc = client_cfg("ec256");
        assert_int_equal(parley_config_set_versions(cc, versions[v], versions[v]), PARLEY_OK);
        make_pair(&p, cc, server_cfg("ec256"), "localhost");
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_WANT_READ);
        assert_int_equal(parley_conn_recv_eof(p.client), PARLEY_OK);
        assert_int_equal(parley_conn_handshake(p.client), PARLEY_ERROR);
        assert_non_null(strstr(parley_conn_error_string(p.client), "during the handshake"));
        assert_int_equal(parley_conn_alert_sent(p.client), -1);
        size_t n;
        assert_int_equal(parley_conn_read(p.client, (uint8_t *)got, sizeof got, &n), PARLEY_ERROR);
        free_pair(&p);
    }
}

/* The socket layer: a peer that closes its socket without close_notify. */
static void test_fd(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        for (int clean = 0; clean < 2; clean++) {
            int sv[2];
            assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
            parley_config *cc = client_cfg("ec256"), *sc = server_cfg("ec256");
            assert_int_equal(parley_config_set_versions(cc, versions[v], versions[v]), PARLEY_OK);
            parley_conn *c = parley_conn_new_client(cc, "localhost"), *s = parley_conn_new_server(sc);
            parley_config_free(cc);
            parley_config_free(sc);
            parley_conn_set_fd(c, sv[0]);
            parley_conn_set_fd(s, sv[1]);
            /* The handshake: both ends stepped in turn through the core
             * (blocking parley_fd_handshake on both would need two threads). */
            int rc_c = PARLEY_WANT_READ, rc_s = PARLEY_WANT_READ;
            for (int i = 0; i < 50 && !(rc_c == PARLEY_OK && rc_s == PARLEY_OK); i++) {
                rc_c = parley_conn_handshake(c);
                assert_int_equal(parley_fd_flush(c), PARLEY_OK);
                uint8_t buf[16384];
                ssize_t r;
                if (rc_s != PARLEY_OK) {
                    r = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
                    size_t used;
                    if (r > 0) assert_int_equal(parley_conn_recv_bytes(s, buf, (size_t)r, &used), PARLEY_OK);
                }
                rc_s = parley_conn_handshake(s);
                assert_int_equal(parley_fd_flush(s), PARLEY_OK);
                if (rc_c != PARLEY_OK) {
                    r = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
                    size_t used;
                    if (r > 0) assert_int_equal(parley_conn_recv_bytes(c, buf, (size_t)r, &used), PARLEY_OK);
                }
            }
            assert_int_equal(rc_c, PARLEY_OK);
            assert_int_equal(rc_s, PARLEY_OK);
            assert_int_equal(parley_fd_write(s, (const uint8_t *)"answer", 6), PARLEY_OK);
            if (clean) assert_int_equal(parley_fd_close(s), PARLEY_OK);
            shutdown(sv[1], SHUT_WR);
            char got[64];
            size_t total = 0, n;
            int rc;
            while ((rc = parley_fd_read(c, (uint8_t *)got + total, sizeof got - 1 - total, &n)) == PARLEY_OK) total += n;
            got[total] = 0;
            assert_string_equal(got, "answer");
            assert_int_equal(rc, clean ? PARLEY_CLOSED : PARLEY_TRUNCATED);
            parley_conn_free(c);
            parley_conn_free(s);
            close(sv[0]);
            close(sv[1]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sans_io), cmocka_unit_test(test_fd)};
    return cmocka_run_group_tests(tests, setup, NULL);
}
