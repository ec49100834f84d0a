/* rsl_helpers.c - see rsl_helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rsl_helpers.h"
#include "handshake/messages.h"

int rsl_setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

parley_config *limited(parley_config *cfg, unsigned limit)
{
    assert_int_equal(parley_config_set_record_size_limit(cfg, limit), PARLEY_OK);
    return cfg;
}

/* A pair at version v, AES-128-GCM, with these limits (-1: the default). */
void pair_limits(pair *p, uint16_t v, int climit, int slimit)
{
    parley_config *cc = only_version(client_cfg("ec256"), v), *sc = only_version(server_cfg("ec256"), v);
    assert_int_equal(parley_config_set_ciphers(cc, v == PARLEY_TLS1_3 ? "TLS_AES_128_GCM_SHA256" : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                     PARLEY_OK);
    if (climit >= 0) limited(cc, (unsigned)climit);
    if (slimit >= 0) limited(sc, (unsigned)slimit);
    make_pair(p, cc, sc, "localhost");
}

void limits_are(parley_conn *c, unsigned peer, unsigned ours)
{
    unsigned pv, ov;
    parley_conn_record_size_limit(c, &pv, &ov);
    assert_int_equal(pv, peer);
    assert_int_equal(ov, ours);
}

/* The record_size_limit value in the client's first ClientHello (0: none). */
unsigned offered(parley_config *cfg)
{
    static uint8_t out[4096];
    pl_client_hello ch;
    parley_conn *c = parley_conn_new_client(cfg, "localhost");
    parley_config_free(cfg);
    assert_int_equal(parley_conn_handshake(c), PARLEY_WANT_READ);
    size_t n = conn_take(c, out, sizeof out);
    assert_true(n > 9);
    assert_int_equal(pl_client_hello_parse(out + 9, n - 9, &ch), 0);
    parley_conn_free(c);
    return ch.record_size_limit;
}

