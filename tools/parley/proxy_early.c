/*
 * proxy_early.c - `parley proxy --early-data`: TLS 1.3 0-RTT data (RFC 8446
 * 2.3) forwarded to the backend before the client's handshake completes. Off
 * by default: early data can be replayed (RFC 8446 8, the library refuses a
 * replay it can see, but see docs/security.md), and only the operator knows
 * whether the backend's requests are safe to repeat. The library holds the
 * per-connection limit (--early-data-limit: tickets advertise it, more is
 * unexpected_message). An HTTP/1.x request whose header block arrives whole
 * in the first early record gets `Early-Data: 1` after its request line (RFC
 * 8470 5.1), so the backend can answer 425 Too Early; anything else is
 * forwarded as it is. The backend's answer waits for the handshake (nothing
 * can be written to the client before it).
 */
#include <string.h>

#include "proxy.h"

/* The request line of an HTTP/1.x request ending at `eol`, with the header
 * block complete in [p, p+n)? */
static int http1_head(const uint8_t *p, size_t n, size_t *eol)
{
    const uint8_t *e = memmem(p, n, "\r\n", 2);
    if (!e || !memmem(p, n, "\r\n\r\n", 4)) return 0;
    size_t l = (size_t)(e - p);
    if (l < 9 || (memcmp(e - 9, " HTTP/1.1", 9) != 0 && memcmp(e - 9, " HTTP/1.0", 9) != 0)) return 0;
    *eol = l + 2;
    return 1;
}

int proxy_forward_early(proxy_conn *pc)
{
    static const char hdr[] = "Early-Data: 1\r\n";
    uint8_t buf[16384];
    size_t len = 0, n = 0, eol = 0;
    /* One record at a time: the library hands out what it opened. */
    while (len < sizeof buf && parley_conn_read_early_data(pc->tls, buf + len, sizeof buf - len, &n) == PARLEY_OK) len += n;
    if (!len) return 0;
    connect_backend(pc); /* once: it returns at once when already connecting */
    if (pc->closing) return -1;
    int rc;
    if (pc->early_bytes == 0 && http1_head(buf, len, &eol)) {
        rc = to_backend(pc, buf, eol);
        if (rc == 0) rc = to_backend(pc, (const uint8_t *)hdr, sizeof hdr - 1);
        if (rc == 0) rc = to_backend(pc, buf + eol, len - eol);
    } else {
        rc = to_backend(pc, buf, len);
    }
    pc->early_bytes += len;
    if (rc < 0) {
        conn_close(pc, write_why(pc));
        return -1;
    }
    return 0;
}
