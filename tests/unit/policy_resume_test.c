/* policy_resume_test.c - the key policy is part of a session's trust
 * binding (config.c pl_trust_identity): a session whose peer was accepted
 * only through parley_config_set_insecure_min_rsa_bits(1024) is never
 * resumed under the default policy, TLS 1.3 and 1.2, both roles.
 * Server: an RSA-1024 client certificate accepted by an insecure server; a
 * default server sharing its ticket keys (or its memory session cache) must
 * not resume the session: the handshake is a full one, and it refuses the
 * client certificate naming its 1024 bits. Client: an RSA-1024 server
 * certificate accepted by an insecure client; a default client must refuse
 * the session in parley_conn_set_session (and its full handshake refuses the
 * server's certificate). Each has a control: the same session under a second
 * insecure config is resumed, so the refusal is the policy's doing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pki_helpers.h"

#define WEAK_OK "RSA key of 1024 bits, accepted only because"
#define WEAK_REFUSED "certificate for localhost has an RSA key of 1024 bits; at least 2048 are required"

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1}, weak = {.kind = "rsa1024"}, good = {.kind = "rsa2048"};
    pki_cert *root = pki_issue("Root CA", &ca, NULL);
    pki_cert *w = pki_issue("localhost", &weak, root), *g = pki_issue("localhost", &good, root);
    if (!root || !w || !g) return -1;
    int rc = pki_write("rroot.pem", NULL, (const pki_cert *const[]){root}, 1);
    rc |= pki_write("rweak.pem", "rweak.key", (const pki_cert *const[]){w, root}, 2);
    rc |= pki_write("rgood.pem", "rgood.key", (const pki_cert *const[]){g, root}, 2);
    pki_free(w);
    pki_free(g);
    pki_free(root);
    return rc;
}

/* The memory cache, counting lookups: the default server must have found
 * the session and refused it, not missed it. */
typedef struct {
    parley_session_cache base, *inner;
    int fetches;
} counting_cache;
static int cc_store(parley_session_cache *s, const uint8_t *id, size_t il, const uint8_t *v, size_t vl, uint32_t life)
{
    return ((counting_cache *)s)->inner->store(((counting_cache *)s)->inner, id, il, v, vl, life);
}
static int cc_fetch(parley_session_cache *s, const uint8_t *id, size_t il, uint8_t *v, size_t cap, size_t *vl)
{
    counting_cache *c = (counting_cache *)s;
    int rc = c->inner->fetch(c->inner, id, il, v, cap, vl);
    c->fetches += rc == PARLEY_OK;
    return rc;
}
static void cc_remove(parley_session_cache *s, const uint8_t *id, size_t il)
{
    ((counting_cache *)s)->inner->remove(((counting_cache *)s)->inner, id, il);
}

/* A server with the RSA-2048 certificate requiring a client certificate,
 * the same ticket keys every time; with `cache`, tickets off (TLS 1.2:
 * session ids; TLS 1.3: single-use tickets naming a cache entry). */
static parley_config *srv(int insecure, int version, parley_session_cache *cache)
{
    uint8_t keys[48];
    memset(keys, 7, sizeof keys);
    parley_config *sc = only_version(mtls_server("rgood", "rroot"), version);
    assert_int_equal(parley_config_set_ticket_keys(sc, keys, 1), PARLEY_OK);
    if (cache) {
        assert_int_equal(parley_config_set_session_cache(sc, cache), PARLEY_OK);
        assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    }
    if (insecure) assert_int_equal(parley_config_set_insecure_min_rsa_bits(sc, 1024), PARLEY_OK);
    return sc;
}

/* The client (cc, one reference taken) offers `sess` to the server sc. */
static void offer(pair *p, parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl)
{
    parley_config_ref(cc);
    make_pair(p, cc, sc, "localhost");
    assert_int_equal(parley_conn_set_session(p->client, sess, sl), PARLEY_OK);
}

static void server_side(int version, int use_cache)
{
    counting_cache cnt = {.base = {.store = cc_store, .fetch = cc_fetch, .remove = cc_remove}};
    cnt.inner = use_cache ? parley_session_cache_memory_new(0) : NULL;
    parley_session_cache *cache = use_cache ? &cnt.base : NULL;
    uint8_t sess[8192];
    size_t sl = 0;
    pair p;
    parley_config *cc = only_version(mtls_client("rroot", "rweak"), version);
    parley_config_ref(cc);
    make_pair(&p, cc, srv(1, version, cache), "localhost");
    handshake_ok(&p, "insecure server, RSA-1024 client");
    assert_non_null(strstr(parley_conn_verify_result(p.server), WEAK_OK));
    exchange(&p, p.server, p.client, "x"); /* TLS 1.3: the ticket */
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);

    /* Control: another insecure server with the same keys and cache resumes
     * it (and the session it hands out next replaces the single-use one). */
    offer(&p, cc, srv(1, version, cache), sess, sl);
    handshake_ok(&p, "insecure server resuming");
    assert_int_equal(parley_conn_resumed(p.server), 1);
    assert_int_equal(parley_conn_resumed(p.client), 1);
    exchange(&p, p.server, p.client, "y");
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);

    /* The default server: not resumed; its full handshake refuses the key. */
    int fetched = cnt.fetches;
    offer(&p, cc, srv(0, version, cache), sess, sl);
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.server), 0);
    assert_non_null(strstr(parley_conn_error_string(p.server), WEAK_REFUSED));
    assert_int_equal(parley_conn_alert_sent(p.server), 42);
    if (cache) assert_int_equal(cnt.fetches, fetched + 1);
    free_pair(&p);
    parley_config_free(cc);
    if (cache) parley_session_cache_memory_free(cnt.inner);
}

static void client_side(int version)
{
    uint8_t sess[8192];
    size_t sl = 0;
    pair p;
    parley_config *weak = only_version(server_cfg("rweak"), version);
    parley_config *ci = only_version(client_cfg("rroot"), version);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(ci, 1024), PARLEY_OK);
    parley_config_ref(weak);
    make_pair(&p, ci, weak, "localhost");
    handshake_ok(&p, "insecure client, RSA-1024 server");
    assert_non_null(strstr(parley_conn_verify_result(p.client), WEAK_OK));
    exchange(&p, p.server, p.client, "x");
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);

    /* Control: a second insecure client config takes and resumes it. */
    parley_config *ci2 = only_version(client_cfg("rroot"), version);
    assert_int_equal(parley_config_set_insecure_min_rsa_bits(ci2, 1024), PARLEY_OK);
    parley_config_ref(weak);
    make_pair(&p, ci2, weak, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    handshake_ok(&p, "insecure client resuming");
    assert_int_equal(parley_conn_resumed(p.client), 1);
    free_pair(&p);

    /* The default client refuses the session; its full handshake refuses
     * the server's key. */
    parley_config_ref(weak);
    make_pair(&p, only_version(client_cfg("rroot"), version), weak, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_ERROR);
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    expect_alert(p.client, p.server, 42, WEAK_REFUSED);
    free_pair(&p);
    parley_config_free(weak);
}

static void test_server_tickets_13(void **s) { (void)s; server_side(PARLEY_TLS1_3, 0); }
static void test_server_tickets_12(void **s) { (void)s; server_side(PARLEY_TLS1_2, 0); }
static void test_server_cache_13(void **s) { (void)s; server_side(PARLEY_TLS1_3, 1); }
static void test_server_cache_12(void **s) { (void)s; server_side(PARLEY_TLS1_2, 1); }
static void test_client_13(void **s) { (void)s; client_side(PARLEY_TLS1_3); }
static void test_client_12(void **s) { (void)s; client_side(PARLEY_TLS1_2); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_tickets_13), cmocka_unit_test(test_server_tickets_12),
        cmocka_unit_test(test_server_cache_13),   cmocka_unit_test(test_server_cache_12),
        cmocka_unit_test(test_client_13),         cmocka_unit_test(test_client_12),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
