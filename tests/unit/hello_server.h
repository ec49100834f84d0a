/* hello_server.h - raw ClientHellos (raw_hello.h) fed to a fresh server
 * connection, and the verdicts the conformance tests check: the exact
 * alert and error text of a refusal, or the ServerHello of an answer.
 * Servers use test_dir()'s "ec256" certificate (the test's setup makes it). */
#ifndef PARLEY_TEST_HELLO_SERVER_H
#define PARLEY_TEST_HELLO_SERVER_H

#include <parley/parley.h>
#include <stdint.h>

#include "raw_hello.h"

#define EXT_EMS 23
#define EXT_SV 43
#define EXT_GROUPS 10
#define EXT_KEY_SHARE 51

parley_conn *hello_server_new(void);
/* Feed bytes (any amount: the input buffer holds about one record) and run
 * the handshake after each piece. The handshake's last result. */
int hello_feed(parley_conn *s, const uint8_t *p, size_t n);
int hello_send(parley_conn *s, const raw_hello *h);
/* The server failed with `alert` and its error says `words`. */
void hello_refused_by(parley_conn *s, int rc, int alert, const char *words);
/* The server's first message: a ServerHello (not an HRR) for `version`
 * (0x0304 via supported_versions, or 0x0303 without it); its key_share group. */
uint16_t hello_answered(parley_conn *s, int rc, uint16_t version);
/* A TLS 1.3 hello with one x25519 share (a real public key). */
void hello_x25519_share(rh_buf *entries);
void hello13_init(raw_hello *h);
/* A fresh server given h answers with a ServerHello for `version` (see
 * answered); its key_share group. */
uint16_t hello_accepted(const raw_hello *h, uint16_t version);
/* A fresh server given h refuses it with `alert` and says `words`. */
void hello_refused(const raw_hello *h, int alert, const char *words);
/* TLS 1.2 supported_groups {x25519, secp256r1} (the server's ECDSA
 * certificate is on secp256r1, RFC 8422 5.1) and signature_algorithms
 * {ecdsa_secp256r1_sha256}. */
void hello_add_tls12_groups_sigalgs(raw_hello *h);

#endif
