/* http1_early.h - what of the 0-RTT bytes `parley proxy --early-data` may
 * forward early (RFC 8470 5.1): a pure scanner, no I/O (fuzzed by
 * tests/fuzz/fuzz_http1_early.c). Strict: only a header block it fully
 * understands is forwarded early; anything another parser could read
 * differently (bare LF or CR, obs-fold, odd field names, duplicate or
 * non-numeric Content-Length, Transfer-Encoding) is held until the
 * handshake completes, so no request can reach the backend early without
 * `Early-Data: 1` (request smuggling, RFC 9112 11.2). */
#ifndef PARLEY_HTTP1_EARLY_H
#define PARLEY_HTTP1_EARLY_H
#include <stddef.h>
#include <stdint.h>

enum {
    HTTP1_EARLY_HOLD = -1, /* not a request we fully understand: hold everything */
    HTTP1_EARLY_WAIT = 0,  /* maybe one once more bytes come */
    HTTP1_EARLY_BLOCK = 1, /* a whole header block in [0, end), request line [0, eol) */
    HTTP1_EARLY_LAST = 2,  /* the same, but what follows is a body or not HTTP: hold all after it */
};
/* The next step for the bytes [p, p+n): 0 < eol < end <= n for the blocks.
 * *marked: the block already carries `Early-Data: 1` (RFC 8470 5.1: add it
 * only if not present; any other value is held). */
int http1_early_next(const uint8_t *p, size_t n, size_t *eol, size_t *end, int *marked);
#endif
