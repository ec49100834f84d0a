/* crypto_test.c - key-share validation, signatures per scheme, RFC 6125 host names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "helpers.h"
#include "x509/x509.h"

/* Two key pairs of `group` agree on a secret, and a public value one byte
 * short is illegal_parameter (RFC 8446 4.2.8.2). Returns the public value's length. */
static size_t kex_agrees(uint16_t group)
{
    pl_kex *a, *b;
    uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET], sb[PL_MAX_KEX_SECRET];
    size_t la, lb, ka, kb;
    assert_int_equal(pl_kex_generate(group, &a, pa, &la), 0);
    assert_int_equal(pl_kex_generate(group, &b, pb, &lb), 0);
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), 0);
    assert_int_equal(pl_kex_derive(b, pa, la, sb, &kb), 0);
    assert_int_equal(ka, kb);
    assert_memory_equal(sa, sb, ka);
    assert_int_equal(pl_kex_derive(a, pb, lb - 1, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    pl_kex_free(a);
    pl_kex_free(b);
    return la;
}

/* An EC group's peer point is refused off the curve, compressed (not
 * allowed in TLS 1.3) and as the point at infinity / all zeros. */
static void kex_refuses_bad_points(uint16_t group)
{
    pl_kex *a, *b;
    uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET];
    size_t la, lb, ka;
    assert_int_equal(pl_kex_generate(group, &a, pa, &la), 0);
    assert_int_equal(pl_kex_generate(group, &b, pb, &lb), 0);
    pb[lb - 1] ^= 1; /* flip the last byte of y */
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    pb[lb - 1] ^= 1;
    pb[0] = 0x02;
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    memset(pb, 0, lb);
    pb[0] = 4;
    assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
    pl_kex_free(a);
    pl_kex_free(b);
}

static void test_kex_round_trip_and_validation(void **state)
{
    (void)state;
    const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
    for (int i = 0; i < 3; i++) {
        kex_agrees(groups[i]);
        if (groups[i] != 0x001d) {
            kex_refuses_bad_points(groups[i]);
        } else {
            /* Low-order x25519 point (0): the shared secret would be all zeros. */
            pl_kex *a;
            uint8_t pa[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET];
            size_t la, ka;
            assert_int_equal(pl_kex_generate(groups[i], &a, pa, &la), 0);
            uint8_t zero[32] = {0};
            assert_int_equal(pl_kex_derive(a, zero, 32, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
            uint8_t one[32] = {1};
            assert_int_equal(pl_kex_derive(a, one, 32, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
            pl_kex_free(a);
        }
    }
    pl_kex *k;
    uint8_t p[PL_MAX_KEX_PUB];
    size_t l;
    assert_true(pl_kex_generate(0x0016, &k, p, &l) < 0); /* secp256k1: not a TLS 1.3 group (secp521r1 is, since #13) */
}

static void test_new_group_public_values(void **state)
{
    (void)state;
    pl_kex *a;
    static uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET];
    size_t la, ka;
    const uint16_t ok[] = {PARLEY_GROUP_SECP521R1, PARLEY_GROUP_X448, PARLEY_GROUP_FFDHE6144, PARLEY_GROUP_FFDHE8192};
    const size_t publen[] = {133, 56, 768, 1024};
    for (int i = 0; i < 4; i++) {
        assert_true(pl_kex_group_supported(ok[i]));
        assert_int_equal(kex_agrees(ok[i]), publen[i]);
    }
    /* secp521r1: off the curve, compressed, the identity. */
    kex_refuses_bad_points(PARLEY_GROUP_SECP521R1);
    /* x448: the low-order points u = 0 and u = 1 give an all-zero secret (RFC 7748 6.2). */
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_X448, &a, pa, &la), 0);
    for (int u = 0; u < 2; u++) {
        uint8_t low[56] = {0};
        low[0] = (uint8_t)u;
        int rc = pl_kex_derive(a, low, 56, sa, &ka);
        assert_int_equal(rc, -PL_ERR_ILLEGAL_PARAMETER);
        assert_non_null(strstr(pl_last_message(), "x448"));
    }
    pl_kex_free(a);
    /* ffdhe6144/8192: 1 < Y < p-1 (RFC 7919 5.1), in TLS 1.3 and 1.2 form
     * (illegal_parameter in 1.3; handshake_failure in 1.2, RFC 7919 3 and 4). */
    const uint16_t ff[] = {PARLEY_GROUP_FFDHE6144, PARLEY_GROUP_FFDHE8192};
    for (int i = 0; i < 2; i++) {
        const uint8_t *prime;
        size_t plen = pl_ffdhe_prime(ff[i], &prime);
        assert_int_equal(plen, publen[2 + i]);
        for (int tls12 = 0; tls12 < 2; tls12++) {
            assert_int_equal(pl_kex_generate(ff[i], &a, pa, &la), 0);
            if (tls12) pl_kex_set_tls12(a);
            uint8_t *y = pb;
            const int want = tls12 ? -PL_ERR_HANDSHAKE_FAILURE : -PL_ERR_ILLEGAL_PARAMETER;
            memset(y, 0, plen);
            y[plen - 1] = 1; /* Y = 1 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            memset(y, 0, plen); /* Y = 0 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            memcpy(y, prime, plen); /* Y = p */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            y[plen - 1] -= 1; /* Y = p - 1 */
            assert_int_equal(pl_kex_derive(a, y, plen, sa, &ka), want);
            assert_non_null(strstr(pl_last_message(), "out of range"));
            pl_kex_free(a);
        }
    }
}

static void test_signatures(void **state)
{
    (void)state;
    struct {
        const char *kind;
        uint16_t schemes[4];
        uint16_t wrong;
    } cases[] = {
        {"ec256", {0x0403}, 0x0503},
        {"ec384", {0x0503}, 0x0403},
        {"rsa2048", {0x0804, 0x0805, 0x0806, 0x0401}, 0x0809},
        {"ed25519", {0x0807}, 0x0403},
        {"rsapss", {0x0809, 0x080a, 0x080b}, 0x0804},
    };
    const char *d = test_dir();
    for (int i = 0; i < 5; i++) {
        char path[512];
        pl_pkey *key;
        pl_chain chain;
        assert_int_equal(make_cert(d, cases[i].kind, cases[i].kind, "localhost", -1, 1), 0);
        snprintf(path, sizeof path, "%s/%s.key", d, cases[i].kind);
        assert_int_equal(pl_key_load_pem(path, &key), 0);
        snprintf(path, sizeof path, "%s/%s.pem", d, cases[i].kind);
        assert_int_equal(pl_chain_load_pem(path, &chain), 0);
        assert_true(pl_chain_key_matches(&chain, key));
        assert_false(pl_sig_scheme_fits_key(chain.pubkey, cases[i].wrong, 1));
        for (int j = 0; j < 4 && cases[i].schemes[j]; j++) {
            uint16_t s = cases[i].schemes[j];
            uint8_t sig[PL_MAX_SIG];
            size_t sl;
            const uint8_t msg[] = "content to sign";
            assert_int_equal(pl_sig_sign(key, s, msg, sizeof msg, sig, &sl, sizeof sig), 0);
            assert_int_equal(pl_sig_verify(chain.pubkey, s, msg, sizeof msg, sig, sl), 0);
            /* PKCS#1 v1.5 never fits a TLS 1.3 handshake signature. */
            assert_int_equal(pl_sig_scheme_fits_key(chain.pubkey, s, 1), s != 0x0401);
            sig[sl / 2] ^= 1;
            assert_int_equal(pl_sig_verify(chain.pubkey, s, msg, sizeof msg, sig, sl), -PL_ERR_DECRYPT_ERROR);
            sig[sl / 2] ^= 1;
            assert_int_equal(pl_sig_verify(chain.pubkey, s, msg, sizeof msg - 1, sig, sl), -PL_ERR_DECRYPT_ERROR);
        }
        pl_pkey_free(key);
        pl_chain_free(&chain);
    }
}

/* RFC 4231 test cases 1 and 6 (a key longer than the block) for each hash. */
static void test_hmac_rfc4231(void **state)
{
    (void)state;
    static const struct {
        int alg, key_byte;
        size_t key_len;
        const char *data, *mac;
    } v[] = {
        {PL_SHA256, 0x0b, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {PL_SHA384, 0x0b, 20, "Hi There",
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
        {PL_SHA512, 0x0b, 20, "Hi There",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
        {PL_SHA256, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {PL_SHA384, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"},
        {PL_SHA512, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t key[131], out[64], want[64];
        memset(key, v[i].key_byte, v[i].key_len);
        size_t wl = hex_decode(v[i].mac, want, sizeof want);
        assert_int_equal(pl_hmac(v[i].alg, key, v[i].key_len, (const uint8_t *)v[i].data, strlen(v[i].data), out), 0);
        assert_memory_equal(out, want, wl);
        /* The keyed state gives the same MAC with the message in two parts. */
        pl_hmac_key k;
        assert_int_equal(pl_hmac_key_init(&k, v[i].alg, key, v[i].key_len), 0);
        pl_hmac_key_mac(&k, (const uint8_t *)v[i].data, 3, (const uint8_t *)v[i].data + 3, strlen(v[i].data) - 3, out);
        assert_memory_equal(out, want, wl);
    }
}

/* Random bytes come from a per-thread block: a forked child must not hand out
 * the bytes its parent still holds. */
static void test_random_after_fork(void **state)
{
    (void)state;
    uint8_t first[16], mine[16], childs[16];
    int fds[2];
    assert_int_equal(pl_random(first, sizeof first), 0); /* fills the parent's block */
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t b[16];
        if (pl_random(b, sizeof b) == 0 && write(fds[1], b, sizeof b) == (ssize_t)sizeof b) _exit(0);
        _exit(1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], childs, sizeof childs), (ssize_t)sizeof childs);
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(pl_random(mine, sizeof mine), 0);
    assert_memory_not_equal(mine, childs, sizeof mine);
    assert_memory_not_equal(first, mine, sizeof mine);
}

static void test_hostname_rules(void **state)
{
    (void)state;
    assert_true(pl_hostname_match("example.com", "example.com"));
    assert_true(pl_hostname_match("Example.COM", "example.com"));
    assert_true(pl_hostname_match("example.com.", "example.com"));
    assert_true(pl_hostname_match("example.com", "example.com."));
    assert_false(pl_hostname_match("example.com", "www.example.com"));
    assert_true(pl_hostname_match("*.example.com", "www.example.com"));
    assert_true(pl_hostname_match("*.example.com", "WWW.Example.com"));
    assert_false(pl_hostname_match("*.example.com", "example.com"));        /* one label, not zero */
    assert_false(pl_hostname_match("*.example.com", "a.b.example.com"));    /* not across dots */
    assert_false(pl_hostname_match("*.example.com", ".example.com"));       /* empty label */
    assert_false(pl_hostname_match("*.com", "example.com"));                /* too broad */
    assert_false(pl_hostname_match("w*.example.com", "www.example.com"));   /* partial label */
    assert_false(pl_hostname_match("www.*.com", "www.example.com"));        /* not left-most */
    assert_false(pl_hostname_match("*.example.com", "xn--bcher-kva.example.com")); /* A-label */
    assert_false(pl_hostname_match("", "example.com"));
    assert_false(pl_hostname_match("example.com", ""));
    assert_false(pl_hostname_match("*", "localhost"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kex_round_trip_and_validation),
        cmocka_unit_test(test_new_group_public_values),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_hostname_rules),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_random_after_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
