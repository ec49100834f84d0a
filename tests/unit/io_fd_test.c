/* io_fd_test.c - the socket layer on non-blocking sockets with small socket
 * buffers: calls return WANT_READ / WANT_WRITE and finish when retried. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

static void nonblocking(int fd)
{
    int small = 4096;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
}

static void test_nonblocking_socketpair(void **state)
{
    (void)state;
    int sv[2];
    char path[512], key[512], fp[128];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    nonblocking(sv[0]);
    nonblocking(sv[1]);
    parley_config *sc = parley_config_new(), *cc = parley_config_new();
    assert_int_equal(make_cert(test_dir(), "io", "rsa2048", "localhost", -1, 1), 0);
    snprintf(path, sizeof path, "%s/io.pem", test_dir());
    snprintf(key, sizeof key, "%s/io.key", test_dir());
    assert_int_equal(parley_config_add_cert_files(sc, path, key), PARLEY_OK);
    assert_int_equal(parley_config_set_ca_file(cc, path), PARLEY_OK);
    (void)fp;
    parley_conn *c = parley_conn_new_client(cc, "localhost"), *s = parley_conn_new_server(sc);
    parley_conn_set_fd(c, sv[0]);
    parley_conn_set_fd(s, sv[1]);
    int rc_c = PARLEY_WANT_READ, rc_s = PARLEY_WANT_READ, saw_want = 0;
    for (int i = 0; i < 10000 && !(rc_c == PARLEY_OK && rc_s == PARLEY_OK); i++) {
        if (rc_c != PARLEY_OK) rc_c = parley_fd_handshake(c);
        if (rc_s != PARLEY_OK) rc_s = parley_fd_handshake(s);
        assert_true(rc_c != PARLEY_ERROR && rc_s != PARLEY_ERROR);
        saw_want |= rc_c == PARLEY_WANT_WRITE || rc_s == PARLEY_WANT_WRITE || rc_c == PARLEY_WANT_READ;
    }
    assert_int_equal(rc_c, PARLEY_OK);
    assert_int_equal(rc_s, PARLEY_OK);
    assert_true(saw_want);
    /* 1 MB through 4 KB socket buffers: write returns WANT_WRITE, the
     * reader drains, flush finishes. */
    size_t total = 1 << 20, got = 0;
    uint8_t *data = malloc(total), *back = malloc(total);
    for (size_t i = 0; i < total; i++) data[i] = (uint8_t)(i * 7);
    int w = parley_fd_write(c, data, total), wants = 0;
    while (got < total) {
        if (w == PARLEY_WANT_WRITE) {
            wants++;
            w = parley_fd_flush(c);
        }
        assert_true(w == PARLEY_OK || w == PARLEY_WANT_WRITE);
        size_t n = 0;
        int r = parley_fd_read(s, back + got, total - got, &n);
        assert_true(r == PARLEY_OK || r == PARLEY_WANT_READ);
        got += n;
    }
    assert_true(wants > 0);
    assert_memory_equal(back, data, total);
    /* close_notify arrives as CLOSED. */
    int cl = parley_fd_close(c);
    while (cl == PARLEY_WANT_WRITE) cl = parley_fd_flush(c);
    size_t n;
    int r;
    for (int i = 0; i < 1000 && (r = parley_fd_read(s, back, 16, &n)) == PARLEY_WANT_READ; i++) {
        struct pollfd pfd = {sv[1], POLLIN, 0};
        poll(&pfd, 1, 100);
    }
    assert_int_equal(r, PARLEY_CLOSED);
    free(data);
    free(back);
    parley_conn_free(c);
    parley_conn_free(s);
    parley_config_free(cc);
    parley_config_free(sc);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_nonblocking_socketpair)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
