/*
 * rawrec.h - raw records against a live in-memory connection (issue #13),
 * shared by record_conformance_test.c and ccs_conformance_test.c: pairs at
 * a version, records located in a connection's output and fed to its peer,
 * records sealed at any length with a side's live keys or with keys built
 * from a traffic secret, and `fails`: the next step of a connection ends
 * with this alert (sent, and on the wire: read back, decrypted when
 * protected) and this error text. rawrec.c is linked into every unit
 * test (tests/CMakeLists.txt).
 */
#ifndef PARLEY_TEST_RAWREC_H
#define PARLEY_TEST_RAWREC_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

#define MAXP PL_MAX_PLAINTEXT /* 2^14 */

/* A pair whose client offers only version v (ec256 certificates). */
void pair_new(pair *p, uint16_t v);

/* pair_new, then the client's ClientHello delivered: the server has taken
 * it and its first flight waits in its output. */
void pair_after_client_hello(pair *p, uint16_t v);

/* pair_new in the plaintext phase, and the receiver of the test's next
 * record: the server (TLS 1.3: before the ClientHello; TLS 1.2: after it,
 * its answer discarded) or the client (after sending its ClientHello; TLS
 * 1.2: and given the ServerHello, so TLS 1.2 is in use). */
parley_conn *plaintext_receiver(pair *p, uint16_t v, int server);

/* Runs c (its handshake, then reads): the result; the bytes read in *got. */
int drive(parley_conn *c, size_t *got);

/* A completed handshake, and everything sent delivered and read (tickets):
 * the next record either side gets is the test's. */
void pair_done(pair *p, uint16_t v);

/* The whole record at r: header and fragment. */
size_t rec_len(const uint8_t *r);

/* Offset of record idx in the connection's pending output (-1: the last). */
size_t out_rec(parley_conn *c, int idx, const uint8_t **d);

/* Feed records [from, to) of a's pending output to b (to -1: all). */
void feed_recs(parley_conn *a, parley_conn *b, int from, int to);

/* Discard c's pending output. */
void drop_output(parley_conn *c);

/* The alert record c put on the wire last carries `alert`: read from the
 * bytes (plaintext), decrypted with c's write secret (TLS 1.3), or given to
 * the peer, which must report it received (TLS 1.2). */
void alert_on_wire(parley_conn *c, parley_conn *peer, int alert);

/* The next step of c fails: it sent `alert` (also on the wire) and its
 * error says `words`. */
void fails(parley_conn *c, parley_conn *peer, int alert, const char *words);

/* ---- sealing, any length */

/* A TLS 1.3 record whose TLSInnerPlaintext is exactly `inner` (n bytes, any
 * length), sealed with k at its sequence number; the record in out. */
size_t seal_inner(pl_rec_keys *k, uint8_t *out, const uint8_t *inner, size_t n);

/* TLSInnerPlaintext: content, type, then zeros up to `inner` bytes. */
size_t make_inner(uint8_t *buf, const uint8_t *content, size_t len, uint8_t type, size_t inner);

/* A TLS 1.2 AEAD record of `len` plaintext bytes (any length), sealed with k. */
size_t seal12_any(pl_rec_keys *k, uint8_t *out, uint8_t type, const uint8_t *data, size_t len);

/* Open a TLS 1.3 record of rcv's peer with rcv's read secret at sequence
 * number seq (rcv's own keys are not touched): content into buf. */
size_t open_as(parley_conn *rcv, const uint8_t *r, uint64_t seq, uint8_t *buf, uint8_t *type);

/* Write keys equal to what rcv reads now (its peer's), at seq. */
pl_rec_keys writer_as(parley_conn *rcv, uint64_t seq);

/* Seal with c's live write keys (pl_rec_seal13 / 12) and send to peer. */
void send_sealed(parley_conn *c, parley_conn *peer, uint8_t type, const uint8_t *data, size_t len);

/* The client's first ClientHello (one record) with an early_data extension
 * appended, into out; the client's output dropped. Returns its length. */
size_t hello_with_early_data(parley_conn *client, uint8_t *out);

#endif
