/* http1_early.c - see http1_early.h. Only what is certainly a whole HTTP/1.x
 * request header block (RFC 9112 2.1, 3) is forwarded early, so that each
 * gets `Early-Data: 1`; a request with a body ends the early part (its body
 * and what follows are held until the handshake completes). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <string.h>
#include <strings.h>

#include "http1_early.h"

/* Is [p, p+l) a request line of HTTP/1.x? */
static int http1_line(const uint8_t *p, size_t l)
{
    return l >= 9 && (memcmp(p + l - 9, " HTTP/1.1", 9) == 0 || memcmp(p + l - 9, " HTTP/1.0", 9) == 0);
}

/* Does the header block [p, p+n) (request line excluded) have the header
 * `name` (case-insensitive, RFC 9110 5.1)? */
static int has_header(const uint8_t *p, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < n;) {
        const uint8_t *e = memmem(p + i, n - i, "\r\n", 2);
        size_t l = e ? (size_t)(e - (p + i)) : n - i;
        if (l > nl && p[i + nl] == ':' && strncasecmp((const char *)p + i, name, nl) == 0) return 1;
        i += l + 2;
    }
    return 0;
}

int http1_early_next(const uint8_t *p, size_t n, size_t *eol, size_t *end)
{
    const uint8_t *e = memmem(p, n, "\r\n", 2);
    if (!e) return HTTP1_EARLY_WAIT;
    size_t l = (size_t)(e - p);
    if (!http1_line(p, l)) return HTTP1_EARLY_HOLD;
    const uint8_t *b = memmem(p + l, n - l, "\r\n\r\n", 4);
    if (!b) return HTTP1_EARLY_WAIT;
    *eol = l + 2;
    *end = (size_t)(b - p) + 4;
    const uint8_t *h = p + *eol;
    size_t hn = *end - *eol;
    if (has_header(h, hn, "content-length") || has_header(h, hn, "transfer-encoding")) return HTTP1_EARLY_LAST;
    return HTTP1_EARLY_BLOCK;
}
