/* cache_claim_test.c - the 0-RTT anti-replay record (parley_session_cache
 * .claim, RFC 8446 8) of the memory and shared-memory caches: first use 1,
 * again 0 (also from a forked worker), a namespace apart from sessions,
 * expiry, and when every place holds a live record: -1 (the server then
 * refuses early data) and no live record is evicted for a session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"
#include "util/siphash.h"

static void key(uint8_t k[32], unsigned i)
{
    memset(k, 0, 32);
    memcpy(k, &i, sizeof i);
}

static void claims(parley_session_cache *c, size_t slots, unsigned min_claims)
{
    uint8_t k[32], v[8] = {1}, out[16];
    size_t ol;
    key(k, 1);
    assert_non_null(c->claim);
    assert_int_equal(c->claim(c, k, 32, 60), 1);
    assert_int_equal(c->claim(c, k, 32, 60), 0); /* a replay */
    /* Sessions live apart: the same bytes as a session id are not a claim. */
    assert_int_equal(c->fetch(c, k, 32, out, sizeof out, &ol), PARLEY_ERROR);
    assert_int_equal(c->store(c, k, 32, v, sizeof v, 60), PARLEY_OK);
    assert_int_equal(c->claim(c, k, 32, 60), 0);
    c->remove(c, k, 32); /* removing the session leaves the claim */
    assert_int_equal(c->claim(c, k, 32, 60), 0);
    /* Expired records are claimed again. */
    key(k, 2);
    assert_int_equal(c->claim(c, k, 32, 0), 1);
    assert_int_equal(c->claim(c, k, 32, 60), 1);
    /* Full of live claims: -1 (fail closed), and a session cannot evict
     * one; sessions are still stored and found (the claims have an area
     * of their own, a fraction of the cache). */
    unsigned i = 3;
    int rc;
    while ((rc = c->claim(c, (key(k, i), k), 32, 60)) == 1 && i < 4 * slots) i++;
    assert_int_equal(rc, -1);
    assert_true(i >= min_claims);
    for (unsigned j = 1; j < i; j++) assert_int_equal(c->claim(c, (key(k, j), k), 32, 60), 0);
    for (unsigned j = 100000; j < 100000 + 3 * slots; j++) assert_int_equal(c->store(c, (key(k, j), k), 32, v, sizeof v, 60), PARLEY_OK);
    key(k, 100000 + 3 * slots - 1);
    assert_int_equal(c->fetch(c, k, 32, out, sizeof out, &ol), PARLEY_OK);
    for (unsigned j = 1; j < i; j++) assert_int_equal(c->claim(c, (key(k, j), k), 32, 60), 0);
}

/* Sessions and claims mixed at capacity (the reviewer's lock-up: the oldest
 * entries all live claims, stores and claims then failed while evictable
 * sessions remained): sessions keep being stored, claims keep being made
 * up to their own bound. */
static void mixed(parley_session_cache *c, size_t slots)
{
    uint8_t k[32], v[64] = {1}, out[64];
    size_t ol;
    unsigned claimed = 0;
    for (unsigned r = 0; r < 4 * slots; r++) {
        assert_int_equal(c->store(c, (key(k, 1000000 + r), k), 32, v, sizeof v, 600), PARLEY_OK);
        if (r % 8 == 0 && c->claim(c, (key(k, 2000000 + r), k), 32, 600) == 1) claimed++;
        assert_int_equal(c->fetch(c, (key(k, 1000000 + r), k), 32, out, sizeof out, &ol), PARLEY_OK);
    }
    assert_true(claimed >= slots / 8);
    /* The claims made are all still live. */
    for (unsigned r = 0; r < 4 * slots; r += 8) {
        int rc = c->claim(c, (key(k, 2000000 + r), k), 32, 600);
        assert_true(rc == 0 || rc == -1);
    }
}

static void memory_cache(void **state)
{
    (void)state;
    parley_session_cache *c = parley_session_cache_memory_new(100);
    claims(c, 100, 16);
    parley_session_cache_memory_free(c);
    c = parley_session_cache_memory_new(200);
    mixed(c, 200);
    parley_session_cache_memory_free(c);
}

static void shm_cache(void **state)
{
    (void)state;
    parley_session_cache *c = parley_session_cache_shm_new(64 * 1024);
    uint8_t k[32];
    key(k, 7777);
    /* A record made by another process (a forked worker) is seen here. */
    pid_t pid = fork();
    if (pid == 0) _exit(c->claim(c, k, 32, 60) == 1 ? 0 : 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(c->claim(c, k, 32, 60), 0);
    parley_session_cache_shm_free(c);
    c = parley_session_cache_shm_new(64 * 1024);
    claims(c, 64 * 1024 / 600, 16);
    parley_session_cache_shm_free(c);
    c = parley_session_cache_shm_new(64 * 1024);
    mixed(c, 64 * 1024 / 600);
    parley_session_cache_shm_free(c);
}

/* The memory cache's buckets are SipHash-2-4 under a random key: the
 * reference vector of the SipHash paper (appendix A): key 00..0f, message
 * 00..0e, 0xa129ca6149be45e5. */
static void test_siphash_vector(void **state)
{
    (void)state;
    uint8_t k[16], m[15];
    for (int i = 0; i < 16; i++) k[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++) m[i] = (uint8_t)i;
    assert_true(pl_siphash24(k, m, 15) == 0xa129ca6149be45e5ull);
    assert_true(pl_siphash24(k, m, 0) == 0x726fdb47dd0e0e31ull); /* empty message, same key */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vector),
        cmocka_unit_test(memory_cache),
        cmocka_unit_test(shm_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
