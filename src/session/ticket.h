/*
 * ticket.h - session tickets sealed under named keys (RFC 5077 4's
 * recommended shape): key_name(16) || nonce(12) || AES-256-GCM(session) || tag(16),
 * with the key name as additional data. A ring holds the key that seals (the
 * first) and older keys that still open. A ticket under an unknown key, or one
 * that fails authentication, simply does not open: the handshake goes on in full.
 * The same ring seals the values of the session cache, under keys derived
 * for that use alone (pl_seal), so that holding the ticket keys (or the ticket
 * secret) is what a fleet sharing a cache needs, and all it must protect.
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
    /* A derived ring: keys computed from a shared secret and the period number,
     * so that processes and hosts holding the secret rotate in step. */
    int derived;
    uint8_t prk[32];
    int64_t epoch;   /* the period number keys[0] belongs to */
} pl_ticket_ring;

/* Lines of 96 hex digits; the first seals, all open. _parse: from memory. */
PL_MUST_CHECK int pl_ticket_ring_load(pl_ticket_ring *r, const char *path);
PL_MUST_CHECK int pl_ticket_ring_parse(pl_ticket_ring *r, const char *text, size_t len, const char *name);
/* A ring of n keys given as bytes (48 each: name 16, key 32); the first
 * seals. Like a file ring it is not rotated by time. */
PL_MUST_CHECK int pl_ticket_ring_from_bytes(pl_ticket_ring *r, const uint8_t *keys, size_t n);
/* A generated ring: one random key. */
PL_MUST_CHECK int pl_ticket_ring_generate(pl_ticket_ring *r);
/* A ticket secret file: its first line (not a '#' comment), 32 to 2*cap hex
 * digits. _parse reads the same from memory (name is for messages). */
PL_MUST_CHECK int pl_ticket_secret_load(const char *path, uint8_t *out, size_t cap, size_t *len);
PL_MUST_CHECK int pl_ticket_secret_parse(const char *text, size_t len, const char *name, uint8_t *out, size_t cap, size_t *outlen);
/* A ring derived from a shared secret (at least 16 bytes). Key e is
 * HKDF-Expand(PRK, "parley ticket key" || e, 48) with e = floor(time / period):
 * every holder of the secret seals with the same key in the same period,
 * without talking to the others. */
PL_MUST_CHECK int pl_ticket_ring_derive(pl_ticket_ring *r, const uint8_t *secret, size_t len, time_t now, time_t period);
/* A generated ring rotates: a new sealing key when the old one is older than
 * `period` seconds; the old ones keep opening until pushed out. A derived ring
 * moves to period floor(now / period): it seals with that period's key and
 * opens with the next one (a clock a little ahead elsewhere) and the six
 * before it. A ring from a file or from bytes does not rotate by time. */
PL_MUST_CHECK int pl_ticket_ring_rotate(pl_ticket_ring *r, time_t now, time_t period);
/* What the ring seals: tickets, and session-cache values (see pl_seal). */
enum { PL_SEAL_TICKET = 0, PL_SEAL_CACHE = 1 };
#define PL_SEAL_MAX_ID 32
/* plain sealed under the ring's first key, appended to out:
 * key_name(16) || nonce(12) || AES-256-GCM(plain) || tag(16).
 * PL_SEAL_TICKET: the key as it is, the key name as additional data (no id).
 * PL_SEAL_CACHE: a key derived from it for cache values only, and the key
 * name || id (the cache key the value is stored under, at most 32 bytes) as
 * additional data. Each kind opens only as that kind and, for cache values,
 * only under the same id: a shared cache (Redis) can neither read a session
 * nor change, move or forge one (it can still drop values or hand back an
 * older one it saw under the same id). */
PL_MUST_CHECK int pl_seal(const pl_ticket_ring *r, int kind, const uint8_t *id, size_t idlen, const uint8_t *plain, size_t len,
                          pl_buf *out);
/* 0 and the plaintext, or -1 (no error recorded) when it does not open:
 * unknown or retired key, another kind or id, tampering. */
int pl_open(const pl_ticket_ring *r, int kind, const uint8_t *id, size_t idlen, const uint8_t *t, size_t len, pl_buf *plain);
/* The same with one key, which a caller copies out of a shared ring under
 * its lock and then uses without it (handshake/tickets.c): the AEAD work of
 * every handshake stays off the config's lock. pl_ticket_ring_find: the
 * index of the key named by t's first 16 bytes, or -1. */
PL_MUST_CHECK int pl_seal_key(const pl_ticket_key *k, int kind, const uint8_t *id, size_t idlen, const uint8_t *plain, size_t len,
                              pl_buf *out);
int pl_open_key(const pl_ticket_key *k, int kind, const uint8_t *id, size_t idlen, const uint8_t *t, size_t len, pl_buf *plain);
int pl_ticket_ring_find(const pl_ticket_ring *r, const uint8_t *t, size_t len);

#endif
