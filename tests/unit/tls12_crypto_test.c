/* tls12_crypto_test.c - TLS 1.2 building blocks: the PRF against libcrypto's
 * independent TLS1-PRF, RSA premaster decryption with implicit rejection,
 * FFDHE groups, and 1.2 record protection. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rsa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "handshake/prf12.h"
#include "record/record.h"
#include "x509/x509.h"
#include "helpers.h"

static void ossl_prf(const char *md, const uint8_t *secret, size_t sl, const uint8_t *seed, size_t seedl, uint8_t *out, size_t n)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[4];
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
    p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, sl);
    p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seedl);
    p[3] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_KDF_derive(c, out, n, p), 1);
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
}

static void test_prf_matches_libcrypto(void **state)
{
    (void)state;
    uint8_t secret[48], cr[32], sr[32], a[200], b[200], seed[256];
    for (int i = 0; i < 48; i++) secret[i] = (uint8_t)(i * 3 + 1);
    for (int i = 0; i < 32; i++) cr[i] = (uint8_t)i, sr[i] = (uint8_t)(0xa0 + i);
    const struct { int hash; const char *md; } h[] = {{PL_SHA256, "SHA256"}, {PL_SHA384, "SHA384"}};
    for (int k = 0; k < 2; k++)
        for (size_t n = 1; n <= 200; n += 13) {
            assert_int_equal(pl_prf12(h[k].hash, secret, 48, "key expansion", sr, 32, cr, 32, a, n), 0);
            memcpy(seed, "key expansion", 13);
            memcpy(seed + 13, sr, 32);
            memcpy(seed + 45, cr, 32);
            ossl_prf(h[k].md, secret, 48, seed, 77, b, n);
            assert_memory_equal(a, b, n);
        }
    /* Master secret with and without extended master secret. */
    uint8_t m1[48], m2[48], sh[32] = {7};
    assert_int_equal(pl_master12(PL_SHA256, secret, 48, 0, NULL, cr, sr, m1), 0);
    memcpy(seed, "master secret", 13);
    memcpy(seed + 13, cr, 32);
    memcpy(seed + 45, sr, 32);
    ossl_prf("SHA256", secret, 48, seed, 77, m2, 48);
    assert_memory_equal(m1, m2, 48);
    assert_int_equal(pl_master12(PL_SHA256, secret, 48, 1, sh, cr, sr, m1), 0);
    memcpy(seed, "extended master secret", 22);
    memcpy(seed + 22, sh, 32);
    ossl_prf("SHA256", secret, 48, seed, 54, m2, 48);
    assert_memory_equal(m1, m2, 48);
}

static pl_pkey *rsa_key(pl_pkey **pub)
{
    char path[512];
    pl_pkey *k;
    pl_chain chain;
    assert_int_equal(make_cert(test_dir(), "rsakx", "rsa2048", "localhost", -1, 1), 0);
    snprintf(path, sizeof path, "%s/rsakx.key", test_dir());
    assert_int_equal(pl_key_load_pem(path, &k), 0);
    snprintf(path, sizeof path, "%s/rsakx.pem", test_dir());
    assert_int_equal(pl_chain_load_pem(path, &chain), 0);
    *pub = pl_pkey_up_ref(chain.pubkey);
    pl_chain_free(&chain);
    return k;
}

/* Raw RSA "encryption" of an arbitrary 256-byte block, for crafting bad paddings. */
static void raw_encrypt(pl_pkey *pub, const uint8_t em[256], uint8_t ct[256])
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)pub, NULL);
    size_t n = 256;
    assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
    assert_int_equal(EVP_PKEY_encrypt(c, ct, &n, em, 256), 1);
    EVP_PKEY_CTX_free(c);
}

static void good_em(uint8_t em[256], const uint8_t pm[48])
{
    em[0] = 0;
    em[1] = 2;
    for (int i = 2; i < 256 - 49; i++) em[i] = (uint8_t)(1 + i % 250);
    em[256 - 49] = 0;
    memcpy(em + 256 - 48, pm, 48);
}

static void test_rsa_implicit_rejection(void **state)
{
    (void)state;
    pl_pkey *pub, *key = rsa_key(&pub);
    uint8_t pm[48], ct[512], out[48], out2[48], em[256];
    size_t ctl;
    assert_true(pl_pkey_is_rsa(key));
    assert_int_equal(pl_random(pm, 48), 0);
    pm[0] = 3;
    pm[1] = 3;
    /* A good ciphertext decrypts. */
    assert_int_equal(pl_rsa_encrypt_premaster(pub, pm, ct, &ctl, sizeof ct), 0);
    assert_int_equal(ctl, 256);
    assert_int_equal(pl_rsa_decrypt_premaster(key, ct, ctl, 0x0303, out), 0);
    assert_memory_equal(out, pm, 48);
    /* Our hand-made encoding is accepted too (the crafting below is sound). */
    good_em(em, pm);
    raw_encrypt(pub, em, ct);
    assert_int_equal(pl_rsa_decrypt_premaster(key, ct, 256, 0x0303, out), 0);
    assert_memory_equal(out, pm, 48);
    /* Each defect: no error, 48 bytes, not the premaster, the same substitute
     * each time (deterministic implicit rejection), different per defect. */
    uint8_t seen[7][48];
    for (int defect = 0; defect < 7; defect++) {
        good_em(em, pm);
        size_t len = 256;
        switch (defect) {
        case 0: em[0] = 1; break;                 /* first byte not zero */
        case 1: em[1] = 1; break;                 /* block type 1, not 2 */
        case 2: em[100] = 0; break;               /* zero inside the padding: wrong length */
        case 3: em[256 - 49] = 7; break;          /* no separator */
        case 4: em[256 - 48] = 3, em[256 - 47] = 1; break; /* wrong version */
        case 5: len = 255; break;                 /* short ciphertext */
        default: em[2] = 0; break;                /* padding string too short */
        }
        raw_encrypt(pub, em, ct);
        assert_int_equal(pl_rsa_decrypt_premaster(key, ct, len, 0x0303, out), 0);
        assert_int_equal(pl_rsa_decrypt_premaster(key, ct, len, 0x0303, out2), 0);
        assert_memory_not_equal(out, pm, 48);
        assert_memory_equal(out, out2, 48);
        assert_int_equal(out[0], 3); /* starts with client_version, like a real premaster */
        assert_int_equal(out[1], 3);
        for (int j = 0; j < defect; j++) assert_memory_not_equal(out, seen[j], 48);
        memcpy(seen[defect], out, 48);
    }
    /* A ciphertext larger than the modulus: same silent behaviour. */
    memset(ct, 0xff, 256);
    assert_int_equal(pl_rsa_decrypt_premaster(key, ct, 256, 0x0303, out), 0);
    pl_pkey_free(key);
    pl_pkey_free(pub);
}

static void test_ffdhe(void **state)
{
    (void)state;
    for (uint16_t g = 0x0100; g <= 0x0102; g++) {
        pl_kex *a, *b;
        static uint8_t pa[PL_MAX_KEX_PUB], pb[PL_MAX_KEX_PUB], sa[PL_MAX_KEX_SECRET], sb[PL_MAX_KEX_SECRET];
        size_t la, lb, ka, kb;
        const uint8_t *prime;
        size_t plen = pl_ffdhe_prime(g, &prime);
        assert_int_equal(plen, (size_t)256 + (size_t)(g - 0x0100) * 128);
        assert_int_equal(pl_kex_generate(g, &a, pa, &la), 0);
        assert_int_equal(pl_kex_generate(g, &b, pb, &lb), 0);
        assert_int_equal(la, plen);
        assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), 0);
        assert_int_equal(pl_kex_derive(b, pa, la, sb, &kb), 0);
        assert_int_equal(ka, plen); /* TLS 1.3: padded */
        assert_memory_equal(sa, sb, ka);
        /* 1 and p-1 are out of range, as are 0 and p. */
        uint8_t bad[512] = {0};
        bad[plen - 1] = 1;
        assert_int_equal(pl_kex_derive(a, bad, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
        memcpy(bad, prime, plen);
        bad[plen - 1] -= 1;
        assert_int_equal(pl_kex_derive(a, bad, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
        memcpy(bad, prime, plen);
        assert_int_equal(pl_kex_derive(a, bad, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
        memset(bad, 0, plen);
        assert_int_equal(pl_kex_derive(a, bad, plen, sa, &ka), -PL_ERR_ILLEGAL_PARAMETER);
        /* TLS 1.2 accepts an unpadded value and strips the secret. */
        pl_kex_set_tls12(a);
        pl_kex_set_tls12(b);
        assert_int_equal(pl_kex_derive(a, pb, lb, sa, &ka), 0);
        assert_int_equal(pl_kex_derive(b, pa, la, sb, &kb), 0);
        assert_int_equal(ka, kb);
        assert_memory_equal(sa, sb, ka);
        assert_true(sa[0] != 0);
        pl_kex_free(a);
        pl_kex_free(b);
    }
}

static void test_records12(void **state)
{
    (void)state;
    const int algs[] = {PL_AES_128_GCM, PL_AES_256_GCM, PL_CHACHA20_POLY1305};
    uint8_t key[32], iv[12];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 12; i++) iv[i] = (uint8_t)(0x40 + i);
    for (int a = 0; a < 3; a++) {
        pl_rec_keys w = {0}, r = {0};
        pl_buf out = {0};
        assert_int_equal(pl_rec_install12(&w, algs[a], key, iv, 1), 0);
        assert_int_equal(pl_rec_install12(&r, algs[a], key, iv, 0), 0);
        const char *msgs[] = {"first", "second record", ""};
        for (int m = 0; m < 3; m++) {
            pl_buf_reset(&out);
            size_t ml = strlen(msgs[m]);
            assert_int_equal(pl_rec_seal12(&w, &out, PL_CT_APPLICATION_DATA, (const uint8_t *)msgs[m], ml), 0);
            assert_int_equal(out.len, pl_rec_overhead(&w) + ml);
            uint8_t type;
            size_t len, off, pl;
            assert_int_equal(pl_rec_check_header12(out.data, 1, &type, &len), 0);
            assert_int_equal(type, PL_CT_APPLICATION_DATA); /* 1.2 records show their real type */
            if (algs[a] != PL_CHACHA20_POLY1305) assert_int_equal(out.data[12], m); /* explicit nonce = seq */
            assert_int_equal(pl_rec_open12(&r, out.data, out.data + 5, len, &off, &pl), 0);
            assert_int_equal(pl, ml);
            assert_memory_equal(out.data + 5 + off, msgs[m], ml);
        }
        /* The type is authenticated: a record relabelled as handshake fails. */
        pl_buf_reset(&out);
        assert_int_equal(pl_rec_seal12(&w, &out, PL_CT_APPLICATION_DATA, (const uint8_t *)"x", 1), 0);
        out.data[0] = PL_CT_HANDSHAKE;
        size_t off, pl;
        assert_int_equal(pl_rec_open12(&r, out.data, out.data + 5, out.len - 5, &off, &pl), -PL_ERR_BAD_RECORD_MAC);
        pl_buf_free(&out);
        pl_rec_clear(&w);
        pl_rec_clear(&r);
    }
    uint8_t type;
    size_t len;
    uint8_t h[5] = {23, 3, 3, 0x48, 0x00}; /* 2^14 + 2048: allowed */
    assert_int_equal(pl_rec_check_header12(h, 1, &type, &len), 0);
    h[4] = 1;
    assert_int_equal(pl_rec_check_header12(h, 1, &type, &len), -PL_ERR_RECORD_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf_matches_libcrypto),
        cmocka_unit_test(test_rsa_implicit_rejection),
        cmocka_unit_test(test_ffdhe),
        cmocka_unit_test(test_records12),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
