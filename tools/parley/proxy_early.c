/*
 * proxy_early.c - `parley proxy --early-data`: TLS 1.3 0-RTT data (RFC 8446
 * 2.3) forwarded to the backend before the client's handshake completes. Off
 * by default: early data can be replayed (RFC 8446 8, the library refuses a
 * replay it can see, but see docs/security.md), and only the operator knows
 * whether the backend's requests are safe to repeat. The library holds the
 * per-connection limit (--early-data-limit: tickets advertise it, more is
 * unexpected_message).
 *
 * RFC 8470 5.1: an intermediary that forwards early data MUST add
 * `Early-Data: 1`. So only complete HTTP/1.x request header blocks are
 * forwarded early, each with `Early-Data: 1` after its request line
 * (pipelined requests too, and a block split across early records once it
 * is whole); everything else - a partial block, a request body (a request
 * with Content-Length or Transfer-Encoding ends the early forwarding), what
 * is not HTTP/1.x, and all that follows - is held and sent once the
 * handshake completes, when the client's Finished has made it
 * unreplayable. The backend's answer waits for the handshake too (nothing
 * can be written to the client before it).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"

/* Does the header block [p, p+n) (request line excluded) have the header
 * `name` (case-insensitive, RFC 9110 5.1)? */
static int has_header(const uint8_t *p, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 <= n;) {
        const uint8_t *e = memmem(p + i, n - i, "\r\n", 2);
        size_t l = e ? (size_t)(e - (p + i)) : n - i;
        if (l > nl && p[i + nl] == ':' && strncasecmp((const char *)p + i, name, nl) == 0) return 1;
        i += l + 2;
    }
    return 0;
}

/* Is [p, p+l) a request line of HTTP/1.x? */
static int http1_line(const uint8_t *p, size_t l)
{
    return l >= 9 && (memcmp(p + l - 9, " HTTP/1.1", 9) == 0 || memcmp(p + l - 9, " HTTP/1.0", 9) == 0);
}

/* An HTTP/1.x request header block complete at the start of [p, p+n): 1 with
 * its request line's length (CRLF included) and the block's, else 0. */
static int http1_block(const uint8_t *p, size_t n, size_t *eol, size_t *end)
{
    const uint8_t *e = memmem(p, n, "\r\n", 2), *b = memmem(p, n, "\r\n\r\n", 4);
    if (!e || !b) return 0;
    size_t l = (size_t)(e - p);
    if (!http1_line(p, l)) return 0;
    *eol = l + 2;
    *end = (size_t)(b - p) + 4;
    return 1;
}

/* Forward the complete request header blocks at the start of the held bytes
 * (each with Early-Data: 1); stop holding-for-parse at anything else. */
static int forward_blocks(proxy_conn *pc)
{
    static const char hdr[] = "Early-Data: 1\r\n";
    size_t off = 0, eol, end;
    int rc = 0;
    while (!pc->early_holding && rc == 0) {
        const uint8_t *p = pc->early_held + off;
        size_t n = pc->early_held_len - off;
        if (!http1_block(p, n, &eol, &end)) {
            /* Wait for more early records while the block may still become
             * a whole HTTP/1.x request; a request line that is not one
             * means holding everything. */
            const uint8_t *e = memmem(p, n, "\r\n", 2);
            if (e && !http1_line(p, (size_t)(e - p))) pc->early_holding = 1;
            break;
        }
        rc = to_backend(pc, p, eol);
        if (rc == 0) rc = to_backend(pc, (const uint8_t *)hdr, sizeof hdr - 1);
        if (rc == 0) rc = to_backend(pc, p + eol, end - eol);
        pc->early_bytes += end;
        off += end;
        /* A body follows: held, and so is everything after it. */
        if (has_header(p + eol, end - eol, "content-length") || has_header(p + eol, end - eol, "transfer-encoding"))
            pc->early_holding = 1;
    }
    memmove(pc->early_held, pc->early_held + off, pc->early_held_len - off);
    pc->early_held_len -= off;
    return rc;
}

int proxy_forward_early(proxy_conn *pc)
{
    uint8_t buf[16384];
    size_t len = 0, n = 0;
    /* One record at a time: the library hands out what it opened. */
    while (len < sizeof buf && parley_conn_read_early_data(pc->tls, buf + len, sizeof buf - len, &n) == PARLEY_OK) len += n;
    if (!len) return 0;
    /* Bounded: the library refuses more than --early-data-limit in all. */
    if (!pc->early_held) pc->early_held = malloc(g_opts->early_limit);
    if (!pc->early_held || pc->early_held_len + len > g_opts->early_limit) {
        conn_close(pc, "early data over the limit");
        return -1;
    }
    memcpy(pc->early_held + pc->early_held_len, buf, len);
    pc->early_held_len += len;
    if (pc->early_holding) return 0;
    connect_backend(pc); /* once: it returns at once when already connecting */
    if (pc->closing) return -1;
    if (forward_blocks(pc) < 0) {
        conn_close(pc, write_why(pc));
        return -1;
    }
    return 0;
}

int proxy_release_early(proxy_conn *pc)
{
    int rc = pc->early_held_len ? to_backend(pc, pc->early_held, pc->early_held_len) : 0;
    free(pc->early_held);
    pc->early_held = NULL;
    pc->early_held_len = 0;
    if (rc < 0) conn_close(pc, write_why(pc));
    return rc;
}
