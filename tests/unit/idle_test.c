/* idle_test.c - an idle connection gives its buffers back (the input buffer
 * to the config's pool, output and reassembly freed) and takes them again
 * when bytes come; a partial record keeps its buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static int read_would_block(parley_conn *c)
{
    uint8_t b[64];
    size_t n;
    return parley_conn_read(c, b, sizeof b, &n) == PARLEY_WANT_READ;
}

static void test_idle_buffers(void **state)
{
    (void)state;
    pair p;
    make_pair(&p, client_cfg("ec256"), server_cfg("ec256"), "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    for (int round = 0; round < 3; round++) {
        exchange(&p, p.client, p.server, "request");
        exchange(&p, p.server, p.client, "response");
        pair_pump(&p);
        assert_true(read_would_block(p.server));
        assert_true(read_would_block(p.client));
        /* Nothing buffered: no input, output or reassembly buffer held. */
        assert_null(p.server->in);
        assert_null(p.server->out.data);
        assert_null(p.server->hsin.data);
        assert_null(p.client->in);
        /* The server's buffer went to its config's pool for the next one. */
        assert_true(p.server->cfg->in_pool_n >= 1);
    }
    /* Half a record: the buffer stays with the connection until the rest comes. */
    uint8_t rec[256];
    assert_int_equal(parley_conn_write(p.client, (const uint8_t *)"split in two", 12), PARLEY_OK);
    size_t n = conn_take(p.client, rec, sizeof rec);
    assert_true(n > 10);
    conn_feed(p.server, rec, 5);
    assert_true(read_would_block(p.server));
    assert_non_null(p.server->in);
    conn_feed(p.server, rec + 5, n - 5);
    uint8_t b[64];
    size_t got = 0;
    assert_int_equal(parley_conn_read(p.server, b, sizeof b, &got), PARLEY_OK);
    assert_int_equal(got, 12);
    assert_memory_equal(b, "split in two", 12);
    free_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_idle_buffers)};
    return cmocka_run_group_tests(tests, setup, NULL);
}
