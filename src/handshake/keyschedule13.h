/*
 * keyschedule13.h - the TLS 1.3 key schedule (RFC 8446 7.1) as a small state
 * machine: each derivation asserts the stage it needs (rustls' typestate,
 * done with an enum in C), so secrets cannot be derived out of order.
 */
#ifndef PL_KEYSCHEDULE13_H
#define PL_KEYSCHEDULE13_H

#include <stddef.h>
#include <stdint.h>

#include "../crypto/crypto.h"

enum pl_ks_stage { PL_KS_NONE = 0, PL_KS_EARLY, PL_KS_HANDSHAKE, PL_KS_MASTER };

typedef struct {
    int hash;
    size_t hlen;
    int stage;
    uint8_t secret[PL_MAX_HASH]; /* early, then handshake, then master secret */
    uint8_t c_hs[PL_MAX_HASH], s_hs[PL_MAX_HASH];
    uint8_t c_ap[PL_MAX_HASH], s_ap[PL_MAX_HASH];
    uint8_t exporter[PL_MAX_HASH], resumption[PL_MAX_HASH];
} pl_ks13;

/* HKDF-Expand-Label(Secret, Label, Context, Length), label without "tls13 ". */
PL_MUST_CHECK int pl_ks13_expand_label(int hash, const uint8_t *secret, const char *label,
                                       const uint8_t *ctx, size_t ctxlen, uint8_t *out,
                                       size_t outlen);
/* Derive-Secret with an already computed transcript hash. */
PL_MUST_CHECK int pl_ks13_derive_secret(int hash, const uint8_t *secret, const char *label,
                                        const uint8_t *th, uint8_t *out);

/* Early secret with no PSK (zeros). */
PL_MUST_CHECK int pl_ks13_init(pl_ks13 *ks, int hash);
/* Early secret from a resumption PSK (RFC 8446 7.1). */
PL_MUST_CHECK int pl_ks13_init_psk(pl_ks13 *ks, int hash, const uint8_t *psk, size_t len);
/* The binder for a ClientHello truncated before its binders, given
 * Hash(transcript || truncated ClientHello): HMAC over it with the finished
 * key of Derive-Secret(early, "res binder", "") (RFC 8446 4.2.11.2). */
PL_MUST_CHECK int pl_ks13_binder(const pl_ks13 *ks, const uint8_t *th_partial, uint8_t *out);
/* The PSK a NewSessionTicket stands for: HKDF-Expand-Label(resumption
 * master secret, "resumption", ticket_nonce, Hash.length) (RFC 8446 4.6.1). */
PL_MUST_CHECK int pl_ks13_ticket_psk(int hash, const uint8_t *res_master, const uint8_t *nonce, size_t nlen,
                                     uint8_t *out);
/* Handshake secret from the (EC)DHE secret (NULL for psk_ke: zeros, RFC
 * 8446 7.1); c_hs/s_hs from Hash(CH..SH). */
PL_MUST_CHECK int pl_ks13_handshake(pl_ks13 *ks, const uint8_t *ecdhe, size_t len, const uint8_t *th_ch_sh);
/* Master secret; c_ap/s_ap/exporter from Hash(CH..server Finished). */
PL_MUST_CHECK int pl_ks13_master(pl_ks13 *ks, const uint8_t *th_ch_sfin);
/* Resumption master secret from Hash(CH..client Finished). */
PL_MUST_CHECK int pl_ks13_resumption(pl_ks13 *ks, const uint8_t *th_ch_cfin);
/* Finished verify_data = HMAC(finished_key(base), transcript hash). */
PL_MUST_CHECK int pl_ks13_finished(int hash, const uint8_t *base, const uint8_t *th, uint8_t *out);
/* A received Finished message (header included) checked against
 * HMAC(finished_key(base), th): decode_error for a wrong length,
 * decrypt_error when it does not verify (constant-time compare; RFC 8446
 * 4.4.4). `whose` begins the error text ("the server's Finished"). */
PL_MUST_CHECK int pl_ks13_check_finished(int hash, const uint8_t *base, const uint8_t *th, const uint8_t *msg, size_t len,
                                         const char *whose);
/* Traffic key and IV for an AEAD from a traffic secret. */
PL_MUST_CHECK int pl_ks13_traffic_keys(int hash, int aead, const uint8_t *secret, uint8_t *key,
                                       uint8_t iv[PL_AEAD_NONCE]);
/* application_traffic_secret_N+1 (RFC 8446 7.2), in place. */
PL_MUST_CHECK int pl_ks13_next_traffic(int hash, uint8_t *secret);
void pl_ks13_wipe(pl_ks13 *ks);

#endif
