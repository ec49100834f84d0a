/* keyless_test.c - the keyless frame codec and a key server's answers. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "helpers.h"
#include "x509/x509.h"

static char keydir[512];
static parley_keystore *ks;
static uint8_t ec_id[32], rsa_id[32];

static int setup(void **state)
{
    (void)state;
    char err[256], p[600];
    snprintf(keydir, sizeof keydir, "%s/keys", test_dir());
    mkdir(keydir, 0700);
    if (make_cert(keydir, "ec", "ec256", "localhost", -1, 1) || make_cert(keydir, "rsa", "rsa2048", "localhost", -1, 1)) return -1;
    /* The key directory holds private keys only: move the certificates out. */
    for (int i = 0; i < 2; i++) {
        const char *n = i ? "rsa" : "ec";
        char from[600], to[600];
        snprintf(from, sizeof from, "%s/%s.pem", keydir, n);
        snprintf(to, sizeof to, "%s/%s.crt", test_dir(), n);
        rename(from, to);
        snprintf(from, sizeof from, "%s/%s.key", keydir, n);
        snprintf(to, sizeof to, "%s/%s.pem", keydir, n);
        rename(from, to);
    }
    ks = parley_keystore_load_dir(keydir, err, sizeof err);
    if (!ks) return -1;
    snprintf(p, sizeof p, "%s/ec.pem", keydir);
    parley_key *k = parley_key_load_pem(p, err, sizeof err);
    parley_key_id(k, ec_id);
    parley_key_free(k);
    snprintf(p, sizeof p, "%s/rsa.pem", keydir);
    k = parley_key_load_pem(p, err, sizeof err);
    parley_key_id(k, rsa_id);
    parley_key_free(k);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    parley_keystore_free(ks);
    return 0;
}

static void test_codec(void **state)
{
    (void)state;
    uint8_t buf[4096];
    size_t len, used;
    int resp;
    parley_keyless_msg m = {.id = 7, .opcode = PARLEY_KEYLESS_SIGN, .scheme = 0x0403, .client_version = 0x0303,
                            .deadline_ms = 1234567890123ull, .payload = (const uint8_t *)"hello", .payload_len = 5};
    memcpy(m.key_id, ec_id, 32);
    assert_int_equal(parley_keyless_encode(&m, 0, buf, sizeof buf, &len), PARLEY_OK);
    assert_int_equal(len, PARLEY_KEYLESS_REQUEST_SIZE);
    parley_keyless_msg d;
    assert_int_equal(parley_keyless_decode(buf, len, &resp, &d, &used), PARLEY_OK);
    assert_int_equal(used, len);
    assert_int_equal(resp, 0);
    assert_int_equal(d.id, 7);
    assert_int_equal(d.opcode, PARLEY_KEYLESS_SIGN);
    assert_int_equal(d.scheme, 0x0403);
    assert_int_equal(d.deadline_ms, 1234567890123ull);
    assert_memory_equal(d.key_id, ec_id, 32);
    assert_int_equal(d.payload_len, 5);
    /* Requests are the same size whatever they carry. */
    m.opcode = PARLEY_KEYLESS_RSA_DECRYPT;
    m.payload_len = 256;
    m.payload = buf + 3000;
    size_t len2;
    assert_int_equal(parley_keyless_encode(&m, 0, buf + 2048, sizeof buf - 2048, &len2), PARLEY_OK);
    assert_int_equal(len2, len);
    /* Every prefix: incomplete, never an error or a crash. */
    for (size_t cut = 0; cut < len; cut++) assert_int_equal(parley_keyless_decode(buf, cut, &resp, &d, &used), PARLEY_WANT_READ);
    /* Malformed: version, type, a repeated field, a missing opcode, a field overrunning its frame. */
    uint8_t bad[4096];
    memcpy(bad, buf, len);
    bad[0] = 2;
    assert_int_equal(parley_keyless_decode(bad, len, &resp, &d, &used), PARLEY_ERROR);
    memcpy(bad, buf, len);
    bad[1] = 3;
    assert_int_equal(parley_keyless_decode(bad, len, &resp, &d, &used), PARLEY_ERROR);
    memcpy(bad, buf, len);
    bad[12 + 4] = 1; /* the key id field's tag becomes a second opcode */
    assert_int_equal(parley_keyless_decode(bad, len, &resp, &d, &used), PARLEY_ERROR);
    memcpy(bad, buf, len);
    bad[12] = 7; /* the opcode field becomes padding */
    assert_int_equal(parley_keyless_decode(bad, len, &resp, &d, &used), PARLEY_ERROR);
    memcpy(bad, buf, len);
    bad[14] = 0xff; /* opcode length runs past the body */
    assert_int_equal(parley_keyless_decode(bad, len, &resp, &d, &used), PARLEY_ERROR);
    /* A request of any other size than 2048 bytes (here: without its padding). */
    size_t unpadded = 4 + 35 + 5 + 5 + 11 + 3 + 5; /* the fields of the first request, before its padding */
    memcpy(bad, buf, 12 + unpadded);
    bad[8] = bad[9] = bad[10] = 0;
    bad[11] = (uint8_t)unpadded;
    assert_int_equal(bad[12 + unpadded], 7); /* the padding's tag came next */
    assert_int_equal(parley_keyless_decode(bad, 12 + unpadded, &resp, &d, &used), PARLEY_ERROR);
}

static int answer(parley_keyless_msg *req, parley_keyless_msg *out, uint8_t *store)
{
    uint8_t frame[4096];
    size_t len, used;
    int resp;
    assert_int_equal(parley_keystore_answer(ks, req, frame, sizeof frame, &len), PARLEY_OK);
    memcpy(store, frame, len);
    assert_int_equal(parley_keyless_decode(store, len, &resp, out, &used), PARLEY_OK);
    assert_int_equal(resp, 1);
    assert_int_equal(out->id, req->id);
    return out->status;
}

static EVP_PKEY *cert_key(const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s.crt", test_dir(), name);
    FILE *f = fopen(p, "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    EVP_PKEY *k = X509_get_pubkey(x);
    X509_free(x);
    return k;
}


/* pm encrypted to the test RSA key with PKCS#1 v1.5, as a TLS 1.2 client does. */
static void encrypt_premaster(const uint8_t pm[48], uint8_t *ct, size_t *ctl)
{
    EVP_PKEY *rpub = cert_key("rsa");
    EVP_PKEY_CTX *ec = EVP_PKEY_CTX_new(rpub, NULL);
    EVP_PKEY_encrypt_init(ec);
    EVP_PKEY_CTX_set_rsa_padding(ec, RSA_PKCS1_PADDING);
    assert_int_equal(EVP_PKEY_encrypt(ec, ct, ctl, pm, 48), 1);
    EVP_PKEY_CTX_free(ec);
    EVP_PKEY_free(rpub);
}
static void test_keystore_answers(void **state)
{
    (void)state;
    uint8_t store[4096];
    parley_keyless_msg r, q = {.id = 1, .opcode = PARLEY_KEYLESS_SIGN, .scheme = 0x0403, .payload = (const uint8_t *)"to be signed",
                               .payload_len = 12};
    assert_int_equal(parley_keystore_count(ks), 2);
    memcpy(q.key_id, ec_id, 32);
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_OK);
    EVP_PKEY *pub = cert_key("ec");
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, pub), 1);
    assert_int_equal(EVP_DigestVerify(m, r.payload, r.payload_len, q.payload, q.payload_len), 1);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(pub);
    /* Typed errors. */
    q.scheme = 0x0804; /* RSA-PSS with an EC key */
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_UNSUPPORTED);
    q.key_id[0] ^= 1;
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_KEY_NOT_FOUND);
    memcpy(q.key_id, ec_id, 32);
    q.scheme = 0x0403;
    q.payload_len = 0;
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_BAD_INPUT);
    q.payload_len = 12;
    q.deadline_ms = 1000; /* 1970 */
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_DEADLINE_PASSED);
    q.deadline_ms = 0;
    q.opcode = 99;
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_UNSUPPORTED);
    q.opcode = PARLEY_KEYLESS_PING;
    assert_int_equal(answer(&q, &r, store), PARLEY_KEYLESS_OK);
    assert_memory_equal(r.payload, "to be signed", 12);
    /* RSA premaster: good, bad (random 48 bytes, no error), and with an EC key. */
    uint8_t pm[48], ct[256];
    size_t ctl = sizeof ct;
    memset(pm, 0x42, 48);
    pm[0] = 3;
    pm[1] = 3;
    encrypt_premaster(pm, ct, &ctl);
    parley_keyless_msg d = {.id = 2, .opcode = PARLEY_KEYLESS_RSA_DECRYPT, .client_version = 0x0303, .payload = ct, .payload_len = ctl};
    memcpy(d.key_id, rsa_id, 32);
    assert_int_equal(answer(&d, &r, store), PARLEY_KEYLESS_OK);
    assert_int_equal(r.payload_len, 48);
    assert_memory_equal(r.payload, pm, 48);
    ct[10] ^= 1;
    assert_int_equal(answer(&d, &r, store), PARLEY_KEYLESS_OK); /* implicit rejection: no error */
    assert_int_equal(r.payload_len, 48);
    assert_memory_not_equal(r.payload, pm, 48);
    memcpy(d.key_id, ec_id, 32);
    assert_int_equal(answer(&d, &r, store), PARLEY_KEYLESS_UNSUPPORTED);
}

/* RSA decryption through the key store: the premaster goes back to the
 * requester, so implicit rejection must be deterministic. A fresh random
 * substitute would answer a repeated bad ciphertext differently while a
 * valid one always gets the same premaster: a padding oracle in two
 * queries. And the substitute starts with the client version, like a real
 * premaster, so its first bytes tell nothing either. */
static void rsa_answer(const uint8_t *ct, size_t ctl, uint16_t version, uint8_t out[48])
{
    uint8_t store[4096];
    parley_keyless_msg r, d = {.id = 9, .opcode = PARLEY_KEYLESS_RSA_DECRYPT, .client_version = version, .payload = ct, .payload_len = ctl};
    memcpy(d.key_id, rsa_id, 32);
    assert_int_equal(answer(&d, &r, store), PARLEY_KEYLESS_OK);
    assert_int_equal(r.payload_len, 48);
    memcpy(out, r.payload, 48);
}

static void test_keystore_rsa_deterministic(void **state)
{
    (void)state;
    uint8_t pm[48], ct[256], bad[256], a[48], b[48];
    size_t ctl = sizeof ct;
    memset(pm, 0x5a, 48);
    pm[0] = 3;
    pm[1] = 3;
    encrypt_premaster(pm, ct, &ctl);
    /* Valid: the real premaster, every time. */
    rsa_answer(ct, ctl, 0x0303, a);
    assert_memory_equal(a, pm, 48);
    rsa_answer(ct, ctl, 0x0303, a);
    assert_memory_equal(a, pm, 48);
    /* Bad padding: the same answer twice, not the premaster, starting with the version. */
    memcpy(bad, ct, ctl);
    bad[17] ^= 0x40;
    rsa_answer(bad, ctl, 0x0303, a);
    rsa_answer(bad, ctl, 0x0303, b);
    assert_memory_equal(a, b, 48);
    assert_memory_not_equal(a, pm, 48);
    assert_int_equal(a[0], 3);
    assert_int_equal(a[1], 3);
    /* A different bad ciphertext: a different answer. */
    bad[18] ^= 0x01;
    rsa_answer(bad, ctl, 0x0303, b);
    assert_memory_not_equal(a, b, 48);
    /* The same bad ciphertext under another client version: another answer. */
    bad[18] ^= 0x01;
    rsa_answer(bad, ctl, 0x0302, b);
    assert_memory_not_equal(a + 2, b + 2, 46);
    assert_int_equal(b[1], 2);
    /* A valid ciphertext with the wrong version: a stable substitute too. */
    rsa_answer(ct, ctl, 0x0302, a);
    rsa_answer(ct, ctl, 0x0302, b);
    assert_memory_equal(a, b, 48);
    assert_memory_not_equal(a + 2, pm + 2, 46);
    /* A wrong-length ciphertext: the same. */
    rsa_answer(ct, ctl - 1, 0x0303, a);
    rsa_answer(ct, ctl - 1, 0x0303, b);
    assert_memory_equal(a, b, 48);
    assert_memory_not_equal(a, pm, 48);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_codec), cmocka_unit_test(test_keystore_answers),
                                       cmocka_unit_test(test_keystore_rsa_deterministic)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
