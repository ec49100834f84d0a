/*
 * bounds.c - what no TLS stack can beat: each handshake's public-key
 * operations measured alone with libcrypto (the "crypto lower bound"), and
 * the raw AEAD speed through EVP on 16 KiB buffers.
 *
 * The bound counts, per side: the key exchange (key generation and the
 * shared secret, without peer-value validation), the server's signature or
 * RSA decryption, and the client's verification of that signature and of the
 * leaf certificate's signature (one ECDSA P-256 verification: the bench CA is
 * P-256).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double bench_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef int (*op_fn)(void *arg);

/* Microseconds per call of fn, over at least 0.15 s of CPU. */
static double per_op(op_fn fn, void *arg)
{
    long n = 0;
    double t0 = bench_thread_cpu(), t;
    do {
        if (fn(arg) != 0) return -1;
        n++;
    } while ((t = bench_thread_cpu() - t0) < 0.15 || n < 5);
    return t * 1e6 / n;
}

static EVP_PKEY *keygen(const char *list)
{
    /* The negotiated group is the first of the row's list ("x25519:secp256r1"). */
    char group[32];
    snprintf(group, sizeof group, "%.*s", (int)strcspn(list, ":"), list);
    if (!strcmp(group, "x25519")) return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    if (!strcmp(group, "secp256r1")) return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *k = NULL;
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0), OSSL_PARAM_END};
    if (c && EVP_PKEY_keygen_init(c) > 0 && EVP_PKEY_CTX_set_params(c, p) > 0) EVP_PKEY_keygen(c, &k);
    EVP_PKEY_CTX_free(c);
    return k;
}

typedef struct {
    const char *group;
    EVP_PKEY *peer;
} kex_arg;

static int kex_op(void *va)
{
    kex_arg *a = va;
    EVP_PKEY *k = keygen(a->group);
    uint8_t out[512];
    size_t n = sizeof out;
    EVP_PKEY_CTX *c = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    int ok = c && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_derive_set_peer_ex(c, a->peer, 0) > 0 && EVP_PKEY_derive(c, out, &n) > 0;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

typedef struct {
    EVP_PKEY *key;
    int rsa;
    uint8_t sig[512];
    size_t siglen;
} sig_arg;

static int sign_op(void *va)
{
    sig_arg *a = va;
    static const uint8_t msg[130] = {1};
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    a->siglen = sizeof a->sig;
    int ok = EVP_DigestSignInit(m, &pc, EVP_sha256(), NULL, a->key) > 0 &&
             (!a->rsa || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0) &&
             EVP_DigestSign(m, a->sig, &a->siglen, msg, sizeof msg) > 0;
    EVP_MD_CTX_free(m);
    return ok ? 0 : -1;
}

static int verify_op(void *va)
{
    sig_arg *a = va;
    static const uint8_t msg[130] = {1};
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    int ok = EVP_DigestVerifyInit(m, &pc, EVP_sha256(), NULL, a->key) > 0 &&
             (!a->rsa || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0) &&
             EVP_DigestVerify(m, a->sig, a->siglen, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(m);
    return ok ? 0 : -1;
}

static int rsa_enc_op(void *va)
{
    sig_arg *a = va;
    static const uint8_t pm[48] = {3, 3};
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(a->key, NULL);
    a->siglen = sizeof a->sig;
    int ok = c && EVP_PKEY_encrypt_init(c) > 0 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
             EVP_PKEY_encrypt(c, a->sig, &a->siglen, pm, sizeof pm) > 0;
    EVP_PKEY_CTX_free(c);
    return ok ? 0 : -1;
}

static int rsa_dec_op(void *va)
{
    sig_arg *a = va;
    uint8_t out[512];
    size_t n = sizeof out;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(a->key, NULL);
    int ok = c && EVP_PKEY_decrypt_init(c) > 0 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
             EVP_PKEY_decrypt(c, out, &n, a->sig, a->siglen) > 0;
    EVP_PKEY_CTX_free(c);
    return ok ? 0 : -1;
}

static EVP_PKEY *load_key(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    return k;
}

double bench_kex_bound(const char *group)
{
    kex_arg k = {group, keygen(group)};
    double us = per_op(kex_op, &k);
    EVP_PKEY_free(k.peer);
    return us;
}

int bench_bound(const bench_cfg *cfg, const char *dir, double *server_us, double *client_us)
{
    sig_arg leaf = {.key = load_key(dir, cfg->cert), .rsa = !strcmp(cfg->cert, "rsa2048")};
    sig_arg ca = {.key = load_key(dir, "ca")};
    if (!leaf.key || !ca.key) return -1;
    double s = 0, c = 0, kx = 0;
    if (cfg->kx_rsa) {
        double enc = per_op(rsa_enc_op, &leaf), dec = per_op(rsa_dec_op, &leaf);
        s += dec;
        c += enc;
    } else {
        kex_arg k = {cfg->group, keygen(cfg->group)};
        kx = per_op(kex_op, &k);
        EVP_PKEY_free(k.peer);
        double sg = per_op(sign_op, &leaf), vf = per_op(verify_op, &leaf);
        s += kx + sg;
        c += kx + vf;
    }
    (void)sign_op(&ca);
    c += per_op(verify_op, &ca); /* the leaf certificate's signature */
    EVP_PKEY_free(leaf.key);
    EVP_PKEY_free(ca.key);
    *server_us = s;
    *client_us = c;
    return s > 0 && c > 0 ? 0 : -1;
}

typedef struct {
    const EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;
    int decrypt;
    uint8_t buf[16384], out[16384], tag[16], key[32], iv[12], aad[5];
} aead_arg;

/* One record's worth: encryption in place; decryption from buf (which stays
 * the same ciphertext) into out, so no copy is needed between rounds. */
static int aead_op(aead_arg *a)
{
    int n = 0;
    uint8_t *dst = a->decrypt ? a->out : a->buf;
    int ok = EVP_CipherInit_ex2(a->ctx, NULL, NULL, a->iv, !a->decrypt, NULL) &&
             (!a->decrypt || EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, 16, a->tag)) &&
             EVP_CipherUpdate(a->ctx, NULL, &n, a->aad, sizeof a->aad) &&
             EVP_CipherUpdate(a->ctx, dst, &n, a->buf, sizeof a->buf) && EVP_CipherFinal_ex(a->ctx, dst, &n) &&
             (a->decrypt || EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, 16, a->tag));
    return ok ? 0 : -1;
}

int bench_raw_aead(const char *suite, int decrypt, double budget, double *bytes, double *cpu)
{
    static aead_arg a;
    memset(&a, 0, sizeof a);
    a.cipher = strstr(suite, "CHACHA") ? EVP_chacha20_poly1305() : strstr(suite, "256") ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
    a.ctx = EVP_CIPHER_CTX_new();
    /* Encrypt once: buf holds a ciphertext and tag holds its tag. */
    int ok = a.ctx && EVP_CipherInit_ex2(a.ctx, a.cipher, a.key, a.iv, 1, NULL) && aead_op(&a) == 0;
    if (ok && decrypt) {
        EVP_CIPHER_CTX_free(a.ctx);
        a.ctx = EVP_CIPHER_CTX_new();
        a.decrypt = 1;
        ok = a.ctx && EVP_CipherInit_ex2(a.ctx, a.cipher, a.key, a.iv, 0, NULL);
    }
    long n = 0;
    double t0 = bench_thread_cpu(), t;
    do {
        /* The clock is a system call: read it once per eight records. */
        for (int i = 0; ok && i < 8; i++, n++) ok = aead_op(&a) == 0;
    } while (ok && (t = bench_thread_cpu() - t0) < budget);
    EVP_CIPHER_CTX_free(a.ctx);
    if (!ok) return -1;
    *bytes += n * 16384.0;
    *cpu += t;
    return 0;
}
