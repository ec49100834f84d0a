/* session.c - see session.h. */
#include "session.h"

#include <string.h>

#include "../util/cursor.h"
#include "../util/mem.h"

int pl_session_resumable(const pl_session *s) { return s->version != 0x0303 || s->ems; }

int pl_session_encode(const pl_session *s, pl_buf *out)
{
    size_t snl = strlen(s->sni), al = strlen(s->alpn);
    PL_ENSURE(pl_session_resumable(s), PL_ERR_INTERNAL,
              "a TLS 1.2 session without the extended master secret is not resumable (RFC 7627 5.4)");
    PL_GUARD(pl_buf_bytes(out, "PLS", 3));
    PL_GUARD(pl_buf_u8(out, PL_SESSION_VERSION));
    PL_GUARD(pl_buf_u16(out, s->version));
    PL_GUARD(pl_buf_u16(out, s->suite));
    PL_GUARD(pl_buf_u8(out, s->ems));
    PL_GUARD(pl_buf_u8(out, s->id_len));
    PL_GUARD(pl_buf_bytes(out, s->id, s->id_len));
    PL_GUARD(pl_buf_u8(out, s->secret_len));
    PL_GUARD(pl_buf_bytes(out, s->secret, s->secret_len));
    PL_GUARD(pl_buf_u32(out, (uint32_t)(s->created >> 32)));
    PL_GUARD(pl_buf_u32(out, (uint32_t)s->created));
    PL_GUARD(pl_buf_u32(out, s->lifetime));
    PL_GUARD(pl_buf_u32(out, (uint32_t)(s->issued_ms >> 32)));
    PL_GUARD(pl_buf_u32(out, (uint32_t)s->issued_ms));
    PL_GUARD(pl_buf_u32(out, s->age_add));
    PL_GUARD(pl_buf_u8(out, s->client_auth));
    PL_GUARD(pl_buf_bytes(out, s->trust, sizeof s->trust));
    PL_GUARD(pl_buf_u8(out, (uint8_t)snl));
    PL_GUARD(pl_buf_bytes(out, s->sni, snl));
    PL_GUARD(pl_buf_u16(out, s->ticket_len));
    PL_GUARD(pl_buf_bytes(out, s->ticket, s->ticket_len));
    PL_GUARD(pl_buf_u32(out, s->max_early_data));
    PL_GUARD(pl_buf_u8(out, (uint8_t)al));
    PL_GUARD(pl_buf_bytes(out, s->alpn, al));
    PL_GUARD(pl_buf_u16(out, s->record_size_limit));
    return pl_buf_u16(out, s->group);
}

int pl_session_decode(const uint8_t *p, size_t len, pl_session *s)
{
    pl_cursor c = pl_cur(p, len), v;
    const uint8_t *magic;
    uint8_t ver;
    uint32_t hi, lo;
    memset(s, 0, sizeof *s);
    PL_GUARD(pl_cur_bytes(&c, 3, &magic));
    PL_ENSURE(memcmp(magic, "PLS", 3) == 0, PL_ERR_DECODE, "not a Parley session");
    PL_GUARD(pl_cur_u8(&c, &ver));
    /* Formats 2 (TLS 1.2 sessions of earlier builds) and 3 (no trust
     * binding) are still read, so that a fleet upgraded host by host keeps
     * resuming the sessions and tickets the others wrote; only format 6 is
     * written (4 plus the 0-RTT fields and the ticket's record_size_limit,
     * then the TLS 1.2 group). Their trust is unknown (all zero): a client does not offer
     * them, a server does not count their client authentication. */
    PL_ENSURE(ver >= 2 && ver <= PL_SESSION_VERSION, PL_ERR_DECODE, "session format version %u is not supported", ver);
    PL_GUARD(pl_cur_u16(&c, &s->version));
    PL_GUARD(pl_cur_u16(&c, &s->suite));
    PL_GUARD(pl_cur_u8(&c, &s->ems));
    PL_GUARD(pl_cur_vec8(&c, &v));
    PL_ENSURE(v.len <= 32, PL_ERR_DECODE, "bad session id length");
    memcpy(s->id, v.p, v.len);
    s->id_len = (uint8_t)v.len;
    PL_GUARD(pl_cur_vec8(&c, &v));
    /* TLS 1.2: a 48-byte master secret; TLS 1.3: a PSK of the suite hash's length. */
    PL_ENSURE(s->version == 0x0303 ? v.len == 48 : ver > 2 && s->version == 0x0304 && (v.len == 32 || v.len == 48), PL_ERR_DECODE,
              "bad session version or secret length");
    memcpy(s->secret, v.p, v.len);
    s->secret_len = (uint8_t)v.len;
    PL_GUARD(pl_cur_u32(&c, &hi));
    PL_GUARD(pl_cur_u32(&c, &lo));
    s->created = ((uint64_t)hi << 32) | lo;
    PL_GUARD(pl_cur_u32(&c, &s->lifetime));
    if (ver == 2) {
        /* Not recorded then: issued when created; no client authentication
         * known, so a server that requires it does not resume the session. */
        s->issued_ms = s->created * 1000u;
    } else {
        PL_GUARD(pl_cur_u32(&c, &hi));
        PL_GUARD(pl_cur_u32(&c, &lo));
        s->issued_ms = ((uint64_t)hi << 32) | lo;
        PL_GUARD(pl_cur_u32(&c, &s->age_add));
        PL_GUARD(pl_cur_u8(&c, &s->client_auth));
        PL_ENSURE(s->client_auth <= 1, PL_ERR_DECODE, "bad session flags");
    }
    if (ver >= 4) {
        const uint8_t *t;
        PL_GUARD(pl_cur_bytes(&c, sizeof s->trust, &t));
        memcpy(s->trust, t, sizeof s->trust);
    }
    PL_GUARD(pl_cur_vec8(&c, &v));
    memcpy(s->sni, v.p, v.len);
    s->sni[v.len] = 0;
    for (size_t i = 0; i < v.len; i++) PL_ENSURE(v.p[i] > 0x20 && v.p[i] < 0x7f, PL_ERR_DECODE, "bad session server name");
    PL_GUARD(pl_cur_vec16(&c, &v));
    PL_ENSURE(v.len <= PL_MAX_TICKET, PL_ERR_DECODE, "session ticket of %zu bytes", v.len);
    memcpy(s->ticket, v.p, v.len);
    s->ticket_len = (uint16_t)v.len;
    if (ver >= 5) {
        PL_GUARD(pl_cur_u32(&c, &s->max_early_data));
        PL_GUARD(pl_cur_vec8(&c, &v));
        memcpy(s->alpn, v.p, v.len);
        s->alpn[v.len] = 0;
        for (size_t i = 0; i < v.len; i++) PL_ENSURE(v.p[i] != 0, PL_ERR_DECODE, "bad session ALPN");
        /* RFC 8449 4: none (0), or 64 up to the TLS 1.3 maximum 2^14 + 1. */
        PL_GUARD(pl_cur_u16(&c, &s->record_size_limit));
        PL_ENSURE(s->record_size_limit == 0 || (s->record_size_limit >= 64 && s->record_size_limit <= 16385), PL_ERR_DECODE,
                  "bad session record_size_limit %u", s->record_size_limit);
    }
    if (ver >= 6) PL_GUARD(pl_cur_u16(&c, &s->group));
    return pl_cur_expect_empty(&c);
}

int pl_session_fresh(const pl_session *s, uint64_t now) { return now >= s->created && now - s->created < s->lifetime; }
