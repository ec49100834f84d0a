/*
 * crypto.h - Parley's internal crypto interface. Implemented over OpenSSL
 * libcrypto in this directory only; nothing outside src/crypto and src/x509
 * includes an OpenSSL header. Algorithm objects are fetched once (rule:
 * "fetch OpenSSL algorithm objects once", architecture.md).
 */
#ifndef PL_CRYPTO_H
#define PL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

#define PL_MAX_HASH 64
#define PL_MAX_KEY 32
#define PL_AEAD_TAG 16
#define PL_AEAD_NONCE 12

/* ---- hashes, HMAC, HKDF (RFC 5869) */
enum pl_hash_alg { PL_SHA256 = 1, PL_SHA384 = 2, PL_SHA512 = 3 };
size_t pl_hash_len(int alg);

typedef struct pl_hash_ctx pl_hash_ctx;
pl_hash_ctx *pl_hash_new(int alg);
void pl_hash_free(pl_hash_ctx *h);
/* A copy of the running state (NULL when out of memory). */
pl_hash_ctx *pl_hash_dup(const pl_hash_ctx *h);
PL_MUST_CHECK int pl_hash_update(pl_hash_ctx *h, const uint8_t *p, size_t n);
/* Hash of everything so far; the context keeps running. */
PL_MUST_CHECK int pl_hash_peek(const pl_hash_ctx *h, uint8_t *out);
/* The hash of everything so far plus `extra`, without absorbing `extra`. */
PL_MUST_CHECK int pl_hash_peek_with(const pl_hash_ctx *h, const uint8_t *extra, size_t n, uint8_t *out);
PL_MUST_CHECK int pl_hash(int alg, const uint8_t *p, size_t n, uint8_t *out);
PL_MUST_CHECK int pl_hmac(int alg, const uint8_t *key, size_t klen, const uint8_t *p, size_t n,
                          uint8_t *out);
/* A keyed HMAC state for many messages under one key (the TLS 1.2 PRF):
 * the message is p1 || p2. Opaque storage for libcrypto's SHA-2 contexts. */
typedef struct {
    int alg;
    _Alignas(16) uint8_t in[224];
    _Alignas(16) uint8_t out[224];
} pl_hmac_key;
PL_MUST_CHECK int pl_hmac_key_init(pl_hmac_key *k, int alg, const uint8_t *key, size_t klen);
void pl_hmac_key_mac(const pl_hmac_key *k, const uint8_t *p1, size_t n1, const uint8_t *p2, size_t n2, uint8_t *out);
void pl_hmac_key_wipe(pl_hmac_key *k);
PL_MUST_CHECK int pl_hkdf_extract(int alg, const uint8_t *salt, size_t saltlen,
                                  const uint8_t *ikm, size_t ikmlen, uint8_t *prk);
PL_MUST_CHECK int pl_hkdf_expand(int alg, const uint8_t *prk, const uint8_t *info,
                                 size_t infolen, uint8_t *out, size_t outlen);

/* ---- AEAD (AES-GCM, ChaCha20-Poly1305), in place */
enum pl_aead_alg { PL_AES_128_GCM = 1, PL_AES_256_GCM = 2, PL_CHACHA20_POLY1305 = 3 };
size_t pl_aead_key_len(int alg);
typedef struct pl_aead pl_aead;
pl_aead *pl_aead_new(int alg, const uint8_t *key, int encrypt);
/* New key, same cipher and direction (no new context). */
PL_MUST_CHECK int pl_aead_rekey(pl_aead *a, const uint8_t *key);
void pl_aead_free(pl_aead *a);
PL_MUST_CHECK int pl_aead_seal(pl_aead *a, const uint8_t nonce[PL_AEAD_NONCE], const uint8_t *aad,
                               size_t aadlen, uint8_t *buf, size_t len, uint8_t tag[PL_AEAD_TAG]);
/* PL_ERR_BAD_RECORD_MAC when the tag does not verify. */
/* Encrypt the concatenation of parts into out (not in place: the record
 * writer encrypts straight from the caller's buffer, saving a copy). */
PL_MUST_CHECK int pl_aead_seal_to(pl_aead *a, const uint8_t nonce[PL_AEAD_NONCE], const uint8_t *aad, size_t aadlen,
                                  const uint8_t *const *parts, const size_t *lens, int nparts, uint8_t *out,
                                  uint8_t tag[PL_AEAD_TAG]);
PL_MUST_CHECK int pl_aead_open(pl_aead *a, const uint8_t nonce[PL_AEAD_NONCE], const uint8_t *aad,
                               size_t aadlen, uint8_t *buf, size_t len,
                               const uint8_t tag[PL_AEAD_TAG]);

/* ---- (EC)DH key exchange: x25519, x448, secp256r1, secp384r1, secp521r1,
 * the RFC 7919 finite-field groups ffdhe2048..8192 (0x0100..0x0104) and,
 * for a TLS 1.2 client, the RFC 3526 MODP groups (PARLEY_GROUP_MODP*) */
#define PL_MAX_KEX_PUB 1024 /* ffdhe8192 */
#define PL_MAX_KEX_SECRET 1024
int pl_kex_group_is_ffdhe(uint16_t group);
/* The prime of an RFC 7919 group (big-endian, len bytes); 0 when unknown. */
size_t pl_ffdhe_prime(uint16_t group, const uint8_t **p);
int pl_kex_group_supported(uint16_t group);
/* The RFC 3526 MODP groups (modp_groups.c): not named groups, no wire
 * value; PARLEY_GROUP_MODP* are Parley-local ids for parley_conn_group. A
 * TLS 1.2 client meets them in a DHE ServerKeyExchange. */
int pl_kex_group_is_modp(uint16_t group);
/* A finite-field group either way (RFC 7919 or RFC 3526). */
int pl_kex_group_is_ff(uint16_t group);
/* Which well-known prime p[0..len) is, byte for byte: a PARLEY_GROUP_MODP*
 * id; 0 when it is none of them or a known one under 2048 bits (the 1024-bit
 * RFC 2409 and 1536-bit RFC 3526 primes, refused). *what describes a known
 * prime ("the 2048-bit RFC 3526 prime"), NULL for an unknown one. */
uint16_t pl_modp_identify(const uint8_t *p, size_t len, const char **what);
size_t pl_modp_prime(uint16_t group, const uint8_t **p);
const char *pl_modp_name(uint16_t group);           /* "modp2048", NULL if not one */
const char *pl_modp_libcrypto_name(uint16_t group); /* "modp_2048" */
/* The prime of either kind of finite-field group; 0 when unknown. */
size_t pl_ff_prime(uint16_t group, const uint8_t **p);
/* The table against libcrypto's own copies (BN_get_rfc3526_prime_*,
 * BN_get_rfc2409_prime_1024): the number of primes that differ (tests). */
int pl_modp_selfcheck(void);
typedef struct pl_kex pl_kex;
PL_MUST_CHECK int pl_kex_generate(uint16_t group, pl_kex **out, uint8_t *pub, size_t *publen);
/* Validates the peer's share (length, point on curve, not the identity,
 * x25519/x448 all-zero output) and derives the shared secret. */
PL_MUST_CHECK int pl_kex_derive(pl_kex *k, const uint8_t *peer, size_t peerlen, uint8_t *secret,
                                size_t *secretlen);
void pl_kex_free(pl_kex *k);
/* For FFDHE and MODP, whether the shared secret keeps its leading zeros:
 * TLS 1.3 pads it to the prime's length (RFC 8446 7.4.1), TLS 1.2 strips
 * them (RFC 5246 8.1.2; RFC 7919 does not change that). Also the alert for
 * a peer value outside 1 < Y < p-1: handshake_failure in TLS 1.2 (RFC 7919
 * 3 and 4), illegal_parameter in TLS 1.3. Default: TLS 1.3. */
void pl_kex_set_tls12(pl_kex *k);
/* Deterministic key from a raw x25519 private key (tests only). */
PL_MUST_CHECK int pl_kex_x25519_from_private(const uint8_t priv[32], pl_kex **out, uint8_t pub[32]);

/* ---- keys and signatures */
typedef struct pl_pkey pl_pkey; /* an EVP_PKEY */
void pl_pkey_free(pl_pkey *k);
pl_pkey *pl_pkey_up_ref(pl_pkey *k);
/* "RSA 2048", "EC P-256", "Ed25519" ... */
void pl_pkey_describe(const pl_pkey *k, char *out, size_t n);
/* Can this key make/verify this scheme? tls13 excludes PKCS#1 v1.5 and
 * binds ECDSA schemes to their curve (RFC 8446 4.2.3); an RSA key too
 * small for a PSS scheme's hash (RFC 8017 9.1.1) does not fit it. */
int pl_sig_scheme_fits_key(const pl_pkey *k, uint16_t scheme, int tls13);
int pl_sig_scheme_known(uint16_t scheme);
/* The TLS named group of an ECDSA key's curve (secp256r1 0x0017, secp384r1
 * 0x0018, secp521r1 0x0019), 0 for any other key. */
uint16_t pl_pkey_ec_group(const pl_pkey *k);
PL_MUST_CHECK int pl_sig_sign(const pl_pkey *k, uint16_t scheme, const uint8_t *msg, size_t len,
                              uint8_t *sig, size_t *siglen, size_t sigcap);
/* PL_ERR_DECRYPT_ERROR when the signature is wrong. */
PL_MUST_CHECK int pl_sig_verify(const pl_pkey *k, uint16_t scheme, const uint8_t *msg, size_t len,
                                const uint8_t *sig, size_t siglen);
#define PL_MAX_SIG 1024

/* ---- RSA key transport (TLS 1.2 static RSA, RFC 5246 7.4.7.1) */
/* RSAES-PKCS1-v1_5 encryption of a 48-byte premaster to a public key. */
PL_MUST_CHECK int pl_rsa_encrypt_premaster(const pl_pkey *pub, const uint8_t pm[48], uint8_t *out, size_t *outlen,
                                           size_t cap);
/* Decryption with implicit rejection: always yields 48 bytes. On any padding,
 * length or version failure the output is a substitute premaster, chosen in
 * constant time, and no error is returned, so nothing observable depends on
 * where the ciphertext was wrong (Bleichenbacher/ROBOT). The substitute is
 * client_version followed by 46 bytes derived from the ciphertext, the
 * version and a secret of the key: the same request always gets the same
 * answer, valid or not, so even a caller that sees the premaster (a key
 * server's client) learns nothing from repeating it. Errors are returned
 * only for conditions that do not depend on the ciphertext's content. */
PL_MUST_CHECK int pl_rsa_decrypt_premaster(const pl_pkey *key, const uint8_t *ct, size_t ctlen,
                                           uint16_t client_version, uint8_t out[48]);
int pl_pkey_is_rsa(const pl_pkey *k);
/* SHA-256 of the DER SubjectPublicKeyInfo: the keyless key id. */
PL_MUST_CHECK int pl_pkey_spki_hash(const pl_pkey *k, uint8_t out[32]);

/* ---- randomness */
PL_MUST_CHECK int pl_random(uint8_t *out, size_t n);

/* Message of libcrypto's last error (for logs), "" if none. */
const char *pl_crypto_errstr(void);

#endif
