/* fuzz_det.h - a deterministic client for fuzz_client_resume and its seed
 * generator. Both link with -Wl,--wrap=pl_random,--wrap=pl_kex_generate
 * (tests/fuzz/CMakeLists.txt): while fuzz_det_on is set, the random bytes
 * and the x25519 key share come from a fixed stream restarted by
 * fuzz_det_reset, so the ClientHello of a resumption is the same bytes on
 * every run, and a recorded server flight (encrypted under keys that depend
 * on the client's random and key share) stays valid as a seed. Only the
 * client runs with it on; the generator's server uses the real generator. */
#ifndef PARLEY_FUZZ_DET_H
#define PARLEY_FUZZ_DET_H

#include <stddef.h>
#include <stdint.h>

extern int fuzz_det_on;
/* The 0-RTT data the early-data seed was recorded with (it is part of the
 * client's first flight, which the server's answer depends on). */
#define FUZZ_EARLY_DATA "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"

void fuzz_det_reset(void);

/* Session blob offsets (formats 4 and 5, src/session/session.c): fixed header
 * "PLS" 4, version, suite, ems, id vec8, secret vec8, then created (8),
 * lifetime (4), issued_ms (8), age_add (4). */
size_t fuzz_det_times_offset(const uint8_t *blob, size_t len);
/* A session that is fresh until 2159 (created 2023-11-14, lifetime 2^32-1 s,
 * RFC 8446 caps only what a server advertises) and whose ticket was issued
 * in the far future, so the client's ticket age is always 0
 * (psk13.c pl_client13_write_psk) and its obfuscated_ticket_age is
 * age_add: the ClientHello does not depend on the clock. */
int fuzz_det_pin_times(uint8_t *blob, size_t len);

#endif
