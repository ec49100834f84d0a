/* http1_early.c - see http1_early.h. Only what is certainly a whole HTTP/1.x
 * request header block (RFC 9112 2.1, 3, 5) in its strictest form is
 * forwarded early, so that each gets `Early-Data: 1`; a request with a body
 * (Content-Length), CONNECT or Upgrade ends the early part (what follows is
 * held until the handshake completes). Anything a lenient backend could
 * split differently - RFC 9112 2.2 lets a recipient take a bare LF as a line
 * end - is held: the whole rest goes after the handshake, unreplayable. */
#include <string.h>
#include <strings.h>

#include "http1_early.h"

/* tchar (RFC 9110 5.6.2). */
static int tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The next line [p+i, p+i+*len) ending in CRLF: 1, with *next after it; 0:
 * not yet whole; -1: a CR not before LF, an LF not after CR, or NUL. */
static int line(const uint8_t *p, size_t n, size_t i, size_t *len, size_t *next)
{
    for (size_t j = i; j < n; j++) {
        if (p[j] == 0 || p[j] == '\n') return -1;
        if (p[j] == '\r') {
            if (j + 1 == n) return 0;
            if (p[j + 1] != '\n') return -1;
            *len = j - i;
            *next = j + 2;
            return 1;
        }
    }
    return 0;
}

/* `token SP request-target SP HTTP/1.x`, nothing more (RFC 9112 3):
 * *connect for CONNECT (RFC 9110 9.3.6: a tunnel follows). */
static int request_line(const uint8_t *p, size_t l, int *connect)
{
    size_t i = 0;
    while (i < l && tchar(p[i])) i++;
    if (i == 0 || i >= l || p[i] != ' ') return 0;
    *connect = i == 7 && memcmp(p, "CONNECT", 7) == 0;
    size_t t = ++i;
    while (i < l && p[i] > 0x20 && p[i] < 0x7f) i++;
    if (i == t || l - i != 9) return 0;
    return memcmp(p + i, " HTTP/1.1", 9) == 0 || memcmp(p + i, " HTTP/1.0", 9) == 0;
}

static int is(const uint8_t *name, size_t nl, const char *want)
{
    return nl == strlen(want) && strncasecmp((const char *)name, want, nl) == 0;
}

int http1_early_next(const uint8_t *p, size_t n, size_t *eol, size_t *end, int *marked)
{
    size_t l, i, next;
    int connect = 0, last = 0, cl = 0, ed = 0;
    int r = line(p, n, 0, &l, &next);
    if (r <= 0) return r < 0 ? HTTP1_EARLY_HOLD : HTTP1_EARLY_WAIT;
    if (!request_line(p, l, &connect)) return HTTP1_EARLY_HOLD;
    *eol = next;
    for (i = next;; i = next) {
        r = line(p, n, i, &l, &next);
        if (r <= 0) return r < 0 ? HTTP1_EARLY_HOLD : HTTP1_EARLY_WAIT;
        if (l == 0) break; /* the empty line: the end of the block */
        const uint8_t *h = p + i;
        size_t k = 0;
        while (k < l && tchar(h[k])) k++; /* a field name, then ':' at once (RFC 9112 5.1) */
        if (k == 0 || k == l || h[k] != ':') return HTTP1_EARLY_HOLD; /* also obs-fold: SP/HTAB first */
        size_t vs = k + 1, ve = l;
        for (size_t j = vs; j < l; j++) /* field-value: VCHAR, obs-text, SP, HTAB (RFC 9110 5.5) */
            if ((h[j] < 0x20 && h[j] != '\t') || h[j] == 0x7f) return HTTP1_EARLY_HOLD;
        while (vs < ve && (h[vs] == ' ' || h[vs] == '\t')) vs++;
        while (ve > vs && (h[ve - 1] == ' ' || h[ve - 1] == '\t')) ve--;
        if (is(h, k, "transfer-encoding")) return HTTP1_EARLY_HOLD; /* chunked framing: held (RFC 9112 6.1) */
        if (is(h, k, "content-length")) {
            /* One, digits only (RFC 9112 6.3: anything else is a framing error). */
            if (cl++ || ve == vs || ve - vs > 18) return HTTP1_EARLY_HOLD;
            for (size_t j = vs; j < ve; j++)
                if (h[j] < '0' || h[j] > '9') return HTTP1_EARLY_HOLD;
            last = 1; /* a body follows: held */
        }
        if (is(h, k, "upgrade")) last = 1; /* what follows may not be HTTP (RFC 9110 7.8) */
        if (is(h, k, "early-data")) {
            /* RFC 8470 5.1: the only defined value is 1; anything else, or twice, is held. */
            if (ed++ || ve - vs != 1 || h[vs] != '1') return HTTP1_EARLY_HOLD;
        }
    }
    *end = next;
    *marked = ed;
    return last || connect ? HTTP1_EARLY_LAST : HTTP1_EARLY_BLOCK;
}
