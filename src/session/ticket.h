/*
 * ticket.h - session tickets sealed under named keys (RFC 5077 4's
 * recommended shape): key_name(16) || nonce(12) || AES-256-GCM(session) || tag(16),
 * with the key name as additional data. A ring holds the key that seals (the
 * first) and older keys that still open. A ticket under an unknown key, or one
 * that fails authentication, simply does not open: the handshake goes on in full.
 */
#ifndef PL_TICKET_H
#define PL_TICKET_H

#include <stdint.h>
#include <time.h>

#include "../util/buf.h"

#define PL_TICKET_KEYS 8
#define PL_TICKET_KEY_LEN 48 /* name 16 + AES-256 key 32 */

typedef struct {
    uint8_t name[16];
    uint8_t key[32];
} pl_ticket_key;

typedef struct {
    pl_ticket_key keys[PL_TICKET_KEYS];
    int n;
    time_t made;     /* when the sealing key was made (generated rings rotate) */
    int from_file;
} pl_ticket_ring;

/* Lines of 96 hex digits; the first seals, all open. */
PL_MUST_CHECK int pl_ticket_ring_load(pl_ticket_ring *r, const char *path);
/* A ring of n keys given as bytes (48 each: name 16, key 32); the first
 * seals. Like a file ring it is not rotated by time. */
PL_MUST_CHECK int pl_ticket_ring_from_bytes(pl_ticket_ring *r, const uint8_t *keys, size_t n);
/* A generated ring: one random key. */
PL_MUST_CHECK int pl_ticket_ring_generate(pl_ticket_ring *r);
/* A generated ring rotates: a new sealing key when the old one is older than
 * `period` seconds; the old ones keep opening until pushed out. */
PL_MUST_CHECK int pl_ticket_ring_rotate(pl_ticket_ring *r, time_t now, time_t period);
PL_MUST_CHECK int pl_ticket_seal(const pl_ticket_ring *r, const uint8_t *plain, size_t len, pl_buf *out);
/* 0 and the plaintext, or <0 when the ticket does not open. */
int pl_ticket_open(const pl_ticket_ring *r, const uint8_t *t, size_t len, pl_buf *plain);

#endif
