/* session_test.c - session encoding, the memory cache (LRU, expiry), and
 * TLS 1.2 session-ID resumption in memory, with the cases that must fall
 * back to a full handshake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"
#include "session/session.h"
#include "session/ticket.h"

static int setup(void **state)
{
    (void)state;
    return make_cert(test_dir(), "ec256", "ec256", "localhost", -1, 30);
}

static void test_encoding(void **state)
{
    (void)state;
    pl_session s = {.version = 0x0303, .suite = 0xc02b, .ems = 1, .id_len = 32, .secret_len = 48, .created = 1700000000, .lifetime = 60};
    memset(s.id, 7, 32);
    memset(s.secret, 9, 48);
    strcpy(s.sni, "example.com");
    pl_buf b = {0};
    assert_int_equal(pl_session_encode(&s, &b), 0);
    pl_session d;
    assert_int_equal(pl_session_decode(b.data, b.len, &d), 0);
    assert_memory_equal(&d.secret, s.secret, 48);
    assert_string_equal(d.sni, "example.com");
    assert_int_equal(d.created, 1700000000);
    assert_true(pl_session_fresh(&d, 1700000059));
    assert_false(pl_session_fresh(&d, 1700000060));
    for (size_t cut = 0; cut < b.len; cut++) assert_int_equal(pl_session_decode(b.data, cut, &d), -PL_ERR_DECODE);
    b.data[3] = 9; /* format version */
    assert_int_equal(pl_session_decode(b.data, b.len, &d), -PL_ERR_DECODE);
    pl_buf_free(&b);
    /* Format 2, as earlier builds wrote TLS 1.2 sessions (no issue time, age_add
     * or client-auth flag): still read, with client authentication unknown. */
    static const uint8_t v2_head[] = {'P', 'L', 'S', 2, 0x03, 0x03, 0xc0, 0x2b, 1, 2, 0xaa, 0xbb, 48};
    static const uint8_t v2_tail[] = {0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, 0, 0, 0x1c, 0x20, 3, 'a', '.', 'b', 0, 0};
    pl_buf v2 = {0};
    uint8_t secret[48];
    memset(secret, 5, sizeof secret);
    assert_int_equal(pl_buf_bytes(&v2, v2_head, sizeof v2_head), 0);
    assert_int_equal(pl_buf_bytes(&v2, secret, sizeof secret), 0);
    assert_int_equal(pl_buf_bytes(&v2, v2_tail, sizeof v2_tail), 0);
    assert_int_equal(pl_session_decode(v2.data, v2.len, &d), 0);
    assert_int_equal(d.version, 0x0303);
    assert_int_equal(d.suite, 0xc02b);
    assert_int_equal(d.id_len, 2);
    assert_memory_equal(d.secret, secret, 48);
    assert_int_equal(d.created, 1700000000);
    assert_int_equal(d.lifetime, 7200);
    assert_int_equal(d.issued_ms, 1700000000000ull);
    assert_int_equal(d.client_auth, 0);
    assert_string_equal(d.sni, "a.b");
    for (size_t cut = 0; cut < v2.len; cut++) assert_int_equal(pl_session_decode(v2.data, cut, &d), -PL_ERR_DECODE);
    /* A format-2 blob never held a TLS 1.3 session. */
    v2.data[5] = 0x04;
    assert_int_equal(pl_session_decode(v2.data, v2.len, &d), -PL_ERR_DECODE);
    pl_buf_free(&v2);
}

static void test_memory_cache(void **state)
{
    (void)state;
    parley_session_cache *c = parley_session_cache_memory_new(2);
    uint8_t v[16];
    size_t vl;
    assert_int_equal(c->store(c, (const uint8_t *)"a", 1, (const uint8_t *)"A", 1, 60), PARLEY_OK);
    assert_int_equal(c->store(c, (const uint8_t *)"b", 1, (const uint8_t *)"B", 1, 60), PARLEY_OK);
    assert_int_equal(c->fetch(c, (const uint8_t *)"a", 1, v, sizeof v, &vl), PARLEY_OK); /* a is now most recent */
    assert_int_equal(c->store(c, (const uint8_t *)"c", 1, (const uint8_t *)"C", 1, 60), PARLEY_OK); /* evicts b */
    assert_int_equal(c->fetch(c, (const uint8_t *)"b", 1, v, sizeof v, &vl), PARLEY_ERROR);
    assert_int_equal(c->fetch(c, (const uint8_t *)"a", 1, v, sizeof v, &vl), PARLEY_OK);
    assert_int_equal(v[0], 'A');
    c->remove(c, (const uint8_t *)"a", 1);
    assert_int_equal(c->fetch(c, (const uint8_t *)"a", 1, v, sizeof v, &vl), PARLEY_ERROR);
    assert_int_equal(c->store(c, (const uint8_t *)"e", 1, (const uint8_t *)"E", 1, 1), PARLEY_OK);
    sleep(2);
    assert_int_equal(c->fetch(c, (const uint8_t *)"e", 1, v, sizeof v, &vl), PARLEY_ERROR); /* expired */
    parley_session_cache_memory_free(c);
}

/* A full 1.2 handshake, then a second connection offering its session. */
static int resume_once(parley_config *sc, const char *sni1, const char *sni2)
{
    pair p;
    uint8_t sess[1024];
    size_t sl;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    parley_config_ref(sc);
    make_pair(&p, cc, sc, sni1);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_resumed(p.client), 0);
    if (parley_conn_get_session(p.client, sess, sizeof sess, &sl) != PARLEY_OK) {
        free_pair(&p);
        return -2; /* the server named no session: nothing to resume */
    }
    free_pair(&p);
    cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    parley_config_ref(sc);
    make_pair(&p, cc, sc, sni2);
    /* The client refuses a session made for another name (RFC 6066 3) and
     * does a full handshake. */
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), strcmp(sni1, sni2) == 0 ? PARLEY_OK : PARLEY_ERROR);
    int ok = pair_handshake(&p, NULL, NULL);
    int resumed = ok == 0 ? parley_conn_resumed(p.client) : -1;
    if (ok == 0) {
        assert_int_equal(parley_conn_resumed(p.server), resumed);
        exchange(&p, p.client, p.server, "after resumption");
    }
    free_pair(&p);
    return resumed;
}

static void test_resumption12(void **state)
{
    (void)state;
    parley_config *sc = server_cfg("ec256");
    assert_int_equal(resume_once(sc, "localhost", "localhost"), 1);
    /* Another server name: a full handshake (RFC 6066 3). */
    assert_int_equal(resume_once(sc, "localhost", "127.0.0.1"), 0);
    parley_config_free(sc);
    /* No cache and no tickets: the server names no session, there is none to offer. */
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_session_cache(sc, NULL), PARLEY_OK);
    assert_int_equal(parley_config_set_tickets(sc, 0), PARLEY_OK);
    assert_int_equal(resume_once(sc, "localhost", "localhost"), -2);
    parley_config_free(sc);
    /* No cache, tickets on (the default): resumed from the ticket alone. */
    sc = server_cfg("ec256");
    assert_int_equal(parley_config_set_session_cache(sc, NULL), PARLEY_OK);
    assert_int_equal(resume_once(sc, "localhost", "localhost"), 1);
    parley_config_free(sc);
    /* A session blob that is not one is refused. */
    parley_config *cc = client_cfg("ec256");
    parley_conn *c = parley_conn_new_client(cc, "localhost");
    assert_int_equal(parley_conn_set_session(c, (const uint8_t *)"garbage", 7), PARLEY_ERROR);
    parley_conn_free(c);
    parley_config_free(cc);
}

void pl_shm_test_hold_lock(parley_session_cache *cache);

static void test_shm_cache_across_processes(void **state)
{
    (void)state;
    parley_session_cache *c = parley_session_cache_shm_new(64 * 1024);
    assert_non_null(c);
    uint8_t v[16];
    size_t vl;
    /* A child process stores; the parent fetches. */
    pid_t pid = fork();
    if (pid == 0) _exit(c->store(c, (const uint8_t *)"child", 5, (const uint8_t *)"made by child", 13, 60) == PARLEY_OK ? 0 : 1);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(c->fetch(c, (const uint8_t *)"child", 5, v, sizeof v, &vl), PARLEY_OK);
    assert_memory_equal(v, "made by child", 13);
    /* A child dies holding the lock in the middle of a write: the others go on. */
    pid = fork();
    if (pid == 0) {
        pl_shm_test_hold_lock(c);
        kill(getpid(), SIGKILL);
    }
    waitpid(pid, &st, 0);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(c->store(c, (const uint8_t *)"after", 5, (const uint8_t *)"still works", 11, 60), PARLEY_OK);
    assert_int_equal(c->fetch(c, (const uint8_t *)"after", 5, v, sizeof v, &vl), PARLEY_OK);
    /* LRU eviction when full: a small segment, many sessions. */
    for (int i = 0; i < 500; i++) {
        uint8_t id[4] = {(uint8_t)(i >> 8), (uint8_t)i, 1, 2};
        assert_int_equal(c->store(c, id, 4, (const uint8_t *)"x", 1, 60), PARLEY_OK);
    }
    uint8_t last[4] = {(uint8_t)(499 >> 8), (uint8_t)499, 1, 2}, first[4] = {0, 0, 1, 2};
    assert_int_equal(c->fetch(c, last, 4, v, sizeof v, &vl), PARLEY_OK);
    assert_int_equal(c->fetch(c, first, 4, v, sizeof v, &vl), PARLEY_ERROR);
    parley_session_cache_shm_free(c);
}

/* A full handshake against a, then the session offered to b. */
static int ticket_across(parley_config *a, parley_config *b, void (*mangle)(uint8_t *sess, size_t len))
{
    pair p;
    uint8_t sess[4096];
    size_t sl;
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    parley_config_ref(a);
    make_pair(&p, cc, a, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    assert_int_equal(parley_conn_get_session(p.client, sess, sizeof sess, &sl), PARLEY_OK);
    free_pair(&p);
    if (mangle) mangle(sess, sl);
    cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    parley_config_ref(b);
    make_pair(&p, cc, b, "localhost");
    assert_int_equal(parley_conn_set_session(p.client, sess, sl), PARLEY_OK);
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0); /* never an error, at worst a full handshake */
    int r = parley_conn_resumed(p.client);
    free_pair(&p);
    return r;
}

/* Flip a byte inside the ticket (the last bytes of the session blob are the ticket's tag). */
/* The client blob ends with the ticket, then (format 5) max_early_data (4
 * bytes), the ALPN (1 length byte, empty here), record_size_limit (2) and
 * (format 6) the group (2): flip a ticket byte. */
static void flip_ticket(uint8_t *sess, size_t len) { sess[len - 5 - 2 - 2 - 1] ^= 1; }

static void write_keys(const char *path, const char *first, const char *second)
{
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", first);
    if (second) fprintf(f, "%s\n", second);
    fclose(f);
}

static void test_tickets12(void **state)
{
    (void)state;
    const char *k1 = "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const char *k2 = "ffeeddccbbaa99887766554433221100f0f1f2f3f4f5f6f7f8f9fafbfcfdfeffe0e1e2e3e4e5e6e7e8e9eaebecedeeef";
    char f1[512], f2[512], f3[512];
    snprintf(f1, sizeof f1, "%s/keys1", test_dir());
    snprintf(f2, sizeof f2, "%s/keys2", test_dir());
    snprintf(f3, sizeof f3, "%s/keys3", test_dir());
    write_keys(f1, k1, NULL);
    write_keys(f2, k2, k1); /* k2 seals now, k1 still opens */
    write_keys(f3, k2, NULL); /* k1 retired */
    parley_config *a = server_cfg("ec256"), *b = server_cfg("ec256"), *c = server_cfg("ec256"), *d = server_cfg("ec256");
    parley_config *cfgs[] = {a, b, c, d};
    const char *files[] = {f1, f1, f2, f3};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(parley_config_set_session_cache(cfgs[i], NULL), PARLEY_OK); /* tickets only */
        assert_int_equal(parley_config_set_ticket_keys_file(cfgs[i], files[i]), PARLEY_OK);
    }
    assert_int_equal(ticket_across(a, b, NULL), 1);  /* two servers sharing a key file */
    assert_int_equal(ticket_across(a, c, NULL), 1);  /* rotated: the old key still opens */
    assert_int_equal(ticket_across(a, d, NULL), 0);  /* retired key: full handshake */
    assert_int_equal(ticket_across(a, a, flip_ticket), 0); /* tampered: full handshake */
    for (int i = 0; i < 4; i++) parley_config_free(cfgs[i]);
    parley_config *bad = parley_config_new();
    write_keys(f1, "not hex", NULL);
    assert_int_equal(parley_config_set_ticket_keys_file(bad, f1), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(bad), "96 hex digits"));
    parley_config_free(bad);
}

/* Rings derived from one secret rotate in step: the same key in the same
 * period, the next period's key opens (a clock ahead elsewhere), six earlier
 * periods open, the seventh does not; another secret never opens. */
static void test_ticket_secret_ring(void **state)
{
    (void)state;
    const time_t P = 3600, T = 1000 * 3600 + 17;
    uint8_t secret[32], other[32];
    memset(secret, 0x5a, sizeof secret);
    memset(other, 0xa5, sizeof other);
    pl_ticket_ring a, b, c;
    assert_int_equal(pl_ticket_ring_derive(&a, secret, sizeof secret, T, P), 0);
    assert_int_equal(pl_ticket_ring_derive(&b, secret, sizeof secret, T + 5, P), 0);
    assert_memory_equal(&a.keys[0], &b.keys[0], sizeof a.keys[0]);
    pl_buf t = {0}, plain = {0};
    const uint8_t msg[] = "a session";
    assert_int_equal(pl_seal(&a, PL_SEAL_TICKET, NULL, 0, msg, sizeof msg, &t), 0);
    assert_int_equal(pl_open(&b, PL_SEAL_TICKET, NULL, 0, t.data, t.len, &plain), 0);
    assert_memory_equal(plain.data, msg, sizeof msg);
    /* b's clock is a period behind: a's key is its "next" one. */
    assert_int_equal(pl_ticket_ring_rotate(&b, T - P, P), 0);
    assert_int_equal(pl_open(&b, PL_SEAL_TICKET, NULL, 0, t.data, t.len, &plain), 0);
    /* Six periods later it still opens; seven, and it is retired. */
    assert_int_equal(pl_ticket_ring_rotate(&b, T + 6 * P, P), 0);
    assert_int_equal(pl_open(&b, PL_SEAL_TICKET, NULL, 0, t.data, t.len, &plain), 0);
    assert_int_equal(pl_ticket_ring_rotate(&b, T + 7 * P, P), 0);
    assert_int_equal(pl_open(&b, PL_SEAL_TICKET, NULL, 0, t.data, t.len, &plain), -1);
    /* A new period seals under a new key name. */
    assert_memory_not_equal(a.keys[0].name, b.keys[0].name, 16);
    assert_int_equal(pl_ticket_ring_derive(&c, other, sizeof other, T, P), 0);
    assert_int_equal(pl_open(&c, PL_SEAL_TICKET, NULL, 0, t.data, t.len, &plain), -1);
    assert_true(pl_ticket_ring_derive(&c, secret, 15, T, P) < 0);
    pl_clear_error();
    pl_buf_free(&t);
    pl_buf_free(&plain);
}

/* The same through the API: servers given one secret resume each other's
 * tickets; a server with another secret gives a full handshake. */
static void test_ticket_secret_config(void **state)
{
    (void)state;
    uint8_t secret[32], other[32];
    memset(secret, 0x11, sizeof secret);
    memset(other, 0x22, sizeof other);
    /* b reads the same secret from a file (with a comment line first). */
    char path[512];
    snprintf(path, sizeof path, "%s/secret", test_dir());
    write_keys(path, "# ticket secret", "1111111111111111111111111111111111111111111111111111111111111111");
    parley_config *a = server_cfg("ec256"), *b = server_cfg("ec256"), *c = server_cfg("ec256");
    parley_config *cfgs[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(parley_config_set_session_cache(cfgs[i], NULL), PARLEY_OK);
        assert_int_equal(parley_config_set_ticket_rotation(cfgs[i], 600), PARLEY_OK);
        if (i == 1) assert_int_equal(parley_config_set_ticket_secret_file(cfgs[i], path), PARLEY_OK);
        else assert_int_equal(parley_config_set_ticket_secret(cfgs[i], i == 2 ? other : secret, 32), PARLEY_OK);
    }
    assert_int_equal(ticket_across(a, b, NULL), 1);
    assert_int_equal(ticket_across(a, c, NULL), 0);
    for (int i = 0; i < 3; i++) parley_config_free(cfgs[i]);
    parley_config *d = parley_config_new();
    assert_int_equal(parley_config_set_ticket_secret(d, secret, 8), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(d), "16 bytes"));
    assert_int_equal(parley_config_set_ticket_rotation(d, 0), PARLEY_ERROR);
    const char *bad[] = {"1111", "11111111111111111111111111111111x1", "111111111111111111111111111111111", NULL};
    for (int i = 0; bad[i]; i++) {
        write_keys(path, bad[i], NULL);
        assert_int_equal(parley_config_set_ticket_secret_file(d, path), PARLEY_ERROR);
        assert_non_null(strstr(parley_config_error_string(d), "hex digits"));
    }
    write_keys(path, "# nothing but a comment", NULL);
    assert_int_equal(parley_config_set_ticket_secret_file(d, path), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(d), "no ticket secret"));
    parley_config_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_encoding), cmocka_unit_test(test_memory_cache),
                                       cmocka_unit_test(test_resumption12), cmocka_unit_test(test_shm_cache_across_processes),
                                       cmocka_unit_test(test_tickets12), cmocka_unit_test(test_ticket_secret_ring),
                                       cmocka_unit_test(test_ticket_secret_config)};
    return cmocka_run_group_tests(tests, setup, NULL);
}
