/* http1_early.h - what of the 0-RTT bytes `parley proxy --early-data` may
 * forward early (RFC 8470 5.1): a pure scanner, no I/O (fuzzed by
 * tests/fuzz/fuzz_http1_early.c). */
#ifndef PARLEY_HTTP1_EARLY_H
#define PARLEY_HTTP1_EARLY_H
#include <stddef.h>
#include <stdint.h>

enum {
    HTTP1_EARLY_HOLD = -1, /* not an HTTP/1.x request: hold everything */
    HTTP1_EARLY_WAIT = 0,  /* maybe one once more bytes come */
    HTTP1_EARLY_BLOCK = 1, /* a whole header block in [0, end), request line [0, eol) */
    HTTP1_EARLY_LAST = 2,  /* the same, but a body follows: hold all after it */
};
/* The next step for the bytes [p, p+n): 0 < eol < end <= n for the blocks. */
int http1_early_next(const uint8_t *p, size_t n, size_t *eol, size_t *end);
#endif
