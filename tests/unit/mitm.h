/* mitm.h - a man in the middle for in-memory pairs (issue #13): every
 * flight between client and server passes through a rewriter that may
 * change one handshake message. Plaintext TLS 1.2 records are re-framed
 * around the rewritten message; TLS 1.3 records are opened with the
 * handshake traffic keys from the key log, rewritten and sealed again under
 * the same sequence number, so the receiver sees exactly the bytes the test
 * chose. TLS 1.3 pairs use TLS_AES_128_GCM_SHA256 (see mitm_pair). */
#ifndef PARLEY_TEST_MITM_H
#define PARLEY_TEST_MITM_H

#include <stddef.h>
#include <stdint.h>

#include "helpers.h"

typedef struct mitm mitm;
/* Rewrite handshake message `type` (body at b, *len bytes, room for cap) in
 * direction dir (0 = client to server). Returns 1 when it changed it; after
 * that, later messages and records pass untouched. */
typedef int (*mitm_fn)(mitm *m, int dir, uint8_t type, uint8_t *b, size_t *len, size_t cap);

struct mitm {
    mitm_fn fn;
    int arg;          /* for fn */
    int done;         /* fn changed a message */
    uint8_t c_hs[32], s_hs[32];
    int have_c, have_s;
    uint64_t seq[2];  /* TLS 1.3 encrypted records seen per direction */
    int ccs[2];       /* a ChangeCipherSpec went this way: TLS 1.2 records after it are encrypted */
    char trace[512];  /* the client's "client certificate" decision (trace detail) */
};

/* make_pair at version v (PARLEY_TLS1_2 or PARLEY_TLS1_3) with m's key log
 * (TLS 1.3: AES-128-GCM; TLS 1.2: ECDHE-ECDSA-AES128-GCM) and the client's
 * "client certificate" trace into m->trace. Both sides log their keys,
 * since each side's flight leaves before the other has derived anything. */
void mitm_pair(pair *p, mitm *m, parley_config *cc, parley_config *sc, int v);
/* The same with the client's server name (NULL: none, no SNI sent). */
void mitm_pair_sni(pair *p, mitm *m, parley_config *cc, parley_config *sc, int v, const char *sni);
/* pair_handshake with every flight passed through m. 0 when both completed;
 * on failure the other side has read the alert. */
int mitm_handshake(pair *p, mitm *m);
/* A trace callback (arg: a mitm) recording the client's "client certificate" decision. */
void mitm_client_trace(void *arg, const parley_conn *c, const parley_trace_event *ev);

/* ---- for rewriters: big-endian fields and extension blocks */
void put16(uint8_t *p, size_t v);
void put24(uint8_t *p, size_t v);
size_t get16(const uint8_t *p);
size_t get24(const uint8_t *p);
/* Offset of a ClientHello body's extensions block. */
size_t ch_ext_at(const uint8_t *b);
/* Replace (or remove) extension `ext` in the extensions block at b+at (u16
 * length first, ending at *len), fixing both lengths; fails the test when
 * the extension is not there. */
void ext_replace(uint8_t *b, size_t *len, size_t at, uint16_t ext, const uint8_t *nb, size_t nl);
void ext_remove(uint8_t *b, size_t *len, size_t at, uint16_t ext);

#endif
