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
 * `Early-Data: 1` (if not present). So only complete HTTP/1.x request
 * header blocks, in the strict form http1_early.c accepts, are forwarded
 * early, each with `Early-Data: 1` after its request line unless it has it
 * (pipelined requests too, and a block split across early records once it
 * is whole); everything else - a partial block, a request body (a request
 * with Content-Length ends the early forwarding, as do CONNECT and
 * Upgrade), anything ambiguous (bare LF, Transfer-Encoding, ...: request
 * smuggling), and all that follows - is held and sent once the
 * handshake completes, when the client's Finished has made it
 * unreplayable. The backend's answer waits for the handshake too (nothing
 * can be written to the client before it).
 */
#include <stdlib.h>
#include <string.h>

#include "http1_early.h"
#include "proxy.h"

/* A request header block still incomplete past this many bytes is held
 * until the handshake: each early record rescans the pending block, so an
 * unbounded one (a client sending a never-ending header line in tiny
 * records) would cost quadratic time; backends refuse larger heads anyway. */
enum { EARLY_BLOCK_MAX = 16384 };

/* Forward the complete request header blocks at the start of the held bytes
 * (each with Early-Data: 1); stop holding-for-parse at anything else. */
static int forward_blocks(proxy_conn *pc)
{
    static const char hdr[] = "Early-Data: 1\r\n";
    size_t off = 0, eol, end;
    int rc = 0;
    while (!pc->early_holding && rc == 0) {
        const uint8_t *p = pc->early_held + off;
        int marked = 0;
        int k = http1_early_next(p, pc->early_held_len - off, &eol, &end, &marked);
        /* Not yet whole: wait for more early records; not HTTP/1.x: hold. */
        if (k == HTTP1_EARLY_HOLD) pc->early_holding = 1;
        if (k <= 0) break;
        rc = to_backend(pc, p, eol);
        if (rc == 0 && !marked) {
            rc = to_backend(pc, (const uint8_t *)hdr, sizeof hdr - 1);
            pc->bytes_up -= sizeof hdr - 1; /* bytes_in= counts the client's bytes only */
        }
        if (rc == 0) rc = to_backend(pc, p + eol, end - eol);
        pc->early_bytes += end;
        off += end;
        if (k == HTTP1_EARLY_LAST) pc->early_holding = 1; /* a body follows: held, and all after it */
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
    /* Bounded: the library refuses more than --early-data-limit in all; the
     * buffer grows with what came (no limit-sized allocation per connection). */
    if (pc->early_held_len + len > g_opts->early_limit) {
        conn_close(pc, "early data over the limit");
        return -1;
    }
    if (pc->early_held_len + len > pc->early_held_cap) {
        /* Grows geometrically (tiny records must not copy it each time). */
        size_t cap = pc->early_held_cap ? pc->early_held_cap : 4096;
        while (cap < pc->early_held_len + len) cap *= 2;
        if (cap > g_opts->early_limit) cap = g_opts->early_limit;
        uint8_t *h = realloc(pc->early_held, cap);
        if (!h) {
            conn_close(pc, "out of memory");
            return -1;
        }
        pc->early_held = h;
        pc->early_held_cap = cap;
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
    if (pc->early_held_len > EARLY_BLOCK_MAX) pc->early_holding = 1;
    return 0;
}

int proxy_release_early(proxy_conn *pc)
{
    int rc = pc->early_held_len ? to_backend(pc, pc->early_held, pc->early_held_len) : 0;
    free(pc->early_held);
    pc->early_held = NULL;
    pc->early_held_len = pc->early_held_cap = 0;
    if (rc < 0) conn_close(pc, write_why(pc));
    return rc;
}
