/* fuzz_http1_early.c - the scanner that picks what `parley proxy
 * --early-data` forwards early (tools/parley/http1_early.c): arbitrary bytes,
 * scanned as the proxy does (block after block until it waits or holds).
 * Differential oracle: every block forwarded early is re-parsed by a lenient
 * parser, as a backend that takes bare LF as a line end (RFC 9112 2.2),
 * trims whitespace before ':' and unfolds obs-fold would: it must see one
 * request ending exactly where the scanner's block ends, with its request
 * line ending at eol, no Transfer-Encoding, at most one Content-Length, and
 * (for a plain BLOCK) no body, CONNECT or Upgrade; and what the backend gets
 * (the block, plus the proxy's `Early-Data: 1` unless the scanner said the
 * block is marked) has exactly one Early-Data field, valued 1 (RFC 8470). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http1_early.h"

/* Does the lenient name [p, p+l) (trailing SP/HTAB trimmed) equal want? */
static int named(const uint8_t *p, size_t l, const char *want)
{
    while (l && (p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
    return l == strlen(want) && strncasecmp((const char *)p, want, l) == 0;
}

/* Is the lenient value [p, p+l) (SP/HTAB trimmed both ends) exactly "1"? */
static int value_one(const uint8_t *p, size_t l)
{
    while (l && (p[0] == ' ' || p[0] == '\t')) p++, l--;
    while (l && (p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
    return l == 1 && p[0] == '1';
}

static void lenient(const uint8_t *p, size_t n, size_t eol, size_t end, int k, int marked)
{
    size_t i = 0, line_no = 0, cl = 0, ed_one = 0, ed_other = 0;
    int body = 0;
    for (;;) {
        const uint8_t *lf = memchr(p + i, '\n', n - i);
        if (!lf) abort(); /* the scanner's block must end in a line end the lenient parse sees */
        size_t e = (size_t)(lf - p), l = e - i;
        if (l && p[e - 1] == '\r') l--;
        for (size_t j = i; j < i + l; j++)
            if (p[j] == '\r' || p[j] == 0) abort(); /* a CR or NUL the scanner let through */
        if (line_no++ == 0) {
            if (e + 1 != eol) abort(); /* request line boundary */
            if (l >= 8 && memcmp(p + i, "CONNECT ", 8) == 0) body = 1;
        } else if (l == 0) {
            if (e + 1 != end) abort(); /* the block boundary */
            break;
        } else {
            if (p[i] == ' ' || p[i] == '\t') abort(); /* obs-fold forwarded */
            const uint8_t *c = memchr(p + i, ':', l);
            if (!c) abort();
            size_t nl = (size_t)(c - (p + i));
            if (named(p + i, nl, "transfer-encoding")) abort();
            if (named(p + i, nl, "content-length") && ++cl > 1) abort();
            if (named(p + i, nl, "content-length") || named(p + i, nl, "upgrade")) body = 1;
            if (named(p + i, nl, "early-data")) {
                if (value_one(c + 1, l - nl - 1)) ed_one++;
                else ed_other++;
            }
        }
        i = e + 1;
    }
    if (k == HTTP1_EARLY_BLOCK && body) abort(); /* more followed that was not held */
    /* The backend must see exactly one Early-Data: 1 and no other value:
     * the client's own when marked, else the one the proxy adds. */
    if (ed_other || ed_one != (marked ? 1u : 0u)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, eol = 0, end = 0;
    for (;;) {
        int marked = 0;
        int k = http1_early_next(data + off, size - off, &eol, &end, &marked);
        if (k <= 0) break;
        if (!(eol >= 14 && eol < end && end <= size - off)) abort();
        if (memcmp(data + off + eol - 2, "\r\n", 2) != 0 || memcmp(data + off + end - 4, "\r\n\r\n", 4) != 0) abort();
        lenient(data + off, size - off, eol, end, k, marked);
        off += end;
        if (k == HTTP1_EARLY_LAST) break;
    }
    return 0;
}
