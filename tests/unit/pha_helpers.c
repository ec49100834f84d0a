/* pha_helpers.c - see pha_helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "pha_helpers.h"

int pha_setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    return make_cert(d, "ec256", "ec256", "localhost", -1, 30) || make_cert(d, "client", "ec256", "client.example", -1, 30) ||
           make_cert(d, "other", "ec256", "other.example", -1, 30);
}

parley_config *pha_server(int mode)
{
    char path[512];
    parley_config *sc = server_cfg("ec256");
    snprintf(path, sizeof path, "%s/client.pem", test_dir());
    assert_int_equal(parley_config_set_client_ca(sc, path), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, mode), PARLEY_OK);
    assert_int_equal(parley_config_set_post_handshake_auth(sc, 1), PARLEY_OK);
    return sc;
}

void pha_settle(pair *p)
{
    uint8_t buf[256];
    size_t n;
    for (int i = 0; i < 50; i++) {
        (void)parley_conn_read(p->client, buf, sizeof buf, &n);
        (void)parley_conn_read(p->server, buf, sizeof buf, &n);
        if (pair_pump(p) == 0) break;
    }
}
