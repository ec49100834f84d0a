/* server_hello.c - ServerHello and HelloRetryRequest (RFC 8446 4.1.3, 4.1.4). */
#include <string.h>

#include "messages.h"
#include "record_size_limit.h"

/* SHA-256("HelloRetryRequest") */
const uint8_t pl_hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

/* A TLS 1.2 ServerHello: answers to what a client offers for 1.2. */
static int pl_sh12_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_server_hello *sh = vctx;
    switch (type) {
    case PL_EXT_RENEGOTIATION_INFO: {
        /* RFC 5746 3.4: on an initial handshake, renegotiated_connection is empty. */
        pl_cursor rc;
        PL_GUARD(pl_cur_vec8(b, &rc));
        sh->has_reneg = 1;
        sh->reneg_ok = rc.len == 0;
        break;
    }
    case PL_EXT_EXTENDED_MASTER_SECRET:
        sh->has_ems = 1;
        break;
    case PL_EXT_EC_POINT_FORMATS: {
        /* RFC 8422 5.2: must include uncompressed (0). */
        pl_cursor l;
        PL_GUARD(pl_cur_vec8(b, &l));
        int found = 0;
        while (l.len) {
            uint8_t f;
            PL_GUARD(pl_cur_u8(&l, &f));
            found |= f == 0;
        }
        PL_ENSURE(found, PL_ERR_ILLEGAL_PARAMETER, "server does not accept uncompressed EC points");
        sh->has_point_formats = 1;
        break;
    }
    case PL_EXT_ALPN: {
        pl_cursor list;
        PL_GUARD(pl_cur_vec16(b, &list));
        PL_GUARD(pl_cur_vec8(&list, &sh->alpn));
        PL_ENSURE(sh->alpn.len > 0, PL_ERR_DECODE, "empty ALPN protocol from server");
        PL_GUARD(pl_cur_expect_empty(&list));
        sh->has_alpn = 1;
        break;
    }
    case PL_EXT_SERVER_NAME:
        sh->has_sni_ack = 1;
        break;
    case PL_EXT_STATUS_REQUEST:
        /* RFC 6066 8: empty; a CertificateStatus message will follow Certificate. */
        sh->has_status_request = 1;
        break;
    case PL_EXT_RECORD_SIZE_LIMIT:
        return pl_rsl_parse(b, &sh->record_size_limit); /* RFC 8449 4; whether offered: client12.c */
    case PL_EXT_SESSION_TICKET:
        /* RFC 5077 3.2: empty; a NewSessionTicket will come before the server's CCS. */
        sh->has_ticket = 1;
        break;
    case PL_EXT_SUPPORTED_GROUPS:
        /* We sent it; some servers echo it (extensions.c): ignored. */
        b->len = 0;
        break;
    default:
        PL_BAIL(PL_ERR_UNSUPPORTED_EXTENSION, "server sent extension %s (%u) that was not offered", pl_ext_name(type), type);
    }
    return pl_cur_expect_empty(b);
}

/* Is there a supported_versions extension in this block? (decides 1.3 vs
 * 1.2 rules) *selected: the version it names, 0 if it is too short. */
static int pl_has_supported_versions(pl_cursor exts, uint16_t *selected)
{
    *selected = 0;
    while (exts.len >= 4) {
        uint16_t type;
        pl_cursor body;
        if (pl_cur_u16(&exts, &type) < 0 || pl_cur_vec16(&exts, &body) < 0) return 0;
        if (type == PL_EXT_SUPPORTED_VERSIONS) {
            if (pl_cur_u16(&body, selected) < 0) *selected = 0;
            return 1;
        }
    }
    return 0;
}

static int pl_sh_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_server_hello *sh = vctx;
    switch (type) {
    case PL_EXT_SUPPORTED_VERSIONS:
        PL_GUARD(pl_cur_u16(b, &sh->version));
        break;
    case PL_EXT_KEY_SHARE:
        PL_GUARD(pl_cur_u16(b, &sh->group));
        if (!sh->is_hrr) {
            PL_GUARD(pl_cur_vec16(b, &sh->share));
            PL_ENSURE(sh->share.len > 0, PL_ERR_DECODE, "empty key share in ServerHello");
        }
        sh->has_key_share = 1;
        break;
    case PL_EXT_COOKIE:
        PL_GUARD(pl_cur_vec16(b, &sh->cookie));
        PL_ENSURE(sh->cookie.len > 0, PL_ERR_DECODE, "empty cookie");
        sh->has_cookie = 1;
        break;
    case PL_EXT_PRE_SHARED_KEY:
        PL_GUARD(pl_cur_u16(b, &sh->psk_identity));
        sh->has_psk = 1;
        break;
    default:
        /* RFC 8446 4.1.3/4.2: the client offered nothing else, so anything
         * else is unsolicited. */
        PL_BAIL(PL_ERR_UNSUPPORTED_EXTENSION, "server sent extension %s (%u) that was not offered", pl_ext_name(type), type);
    }
    return pl_cur_expect_empty(b);
}

int pl_server_hello_parse(const uint8_t *body, size_t len, pl_server_hello *sh)
{
    pl_cursor c = pl_cur(body, len), exts;
    memset(sh, 0, sizeof *sh);
    PL_GUARD(pl_cur_u16(&c, &sh->legacy_version));
    PL_GUARD(pl_cur_bytes(&c, 32, &sh->random));
    sh->is_hrr = memcmp(sh->random, pl_hrr_random, 32) == 0;
    PL_GUARD(pl_cur_vec8(&c, &sh->session_id));
    PL_ENSURE(sh->session_id.len <= 32, PL_ERR_DECODE, "legacy_session_id_echo of %zu bytes", sh->session_id.len);
    PL_GUARD(pl_cur_u16(&c, &sh->suite));
    PL_GUARD(pl_cur_u8(&c, &sh->compression));
    if (c.len == 0) return 0; /* a TLS 1.2 ServerHello may have no extensions */
    PL_GUARD(pl_cur_vec16(&c, &exts));
    PL_GUARD(pl_cur_expect_empty(&c));
    uint16_t selected;
    if (!sh->is_hrr && !pl_has_supported_versions(exts, &selected)) return pl_ext_walk(&exts, PL_IN_SH12, pl_sh12_ext, sh);
    /* RFC 8446 4.2.1: supported_versions naming a version before TLS 1.3
     * is illegal_parameter (said before the walk trips on a 1.2 extension). */
    PL_ENSURE(sh->is_hrr || selected == 0 || selected >= PARLEY_TLS1_3, PL_ERR_ILLEGAL_PARAMETER,
              "ServerHello's supported_versions selects 0x%04x, a version before TLS 1.3 (RFC 8446 4.2.1)", selected);
    return pl_ext_walk(&exts, sh->is_hrr ? PL_IN_HRR : PL_IN_SH, pl_sh_ext, sh);
}

int pl_server_hello_write(pl_buf *b, const uint8_t random[32], const uint8_t *sid, size_t sidlen,
                          uint16_t suite, int hrr, uint16_t group, const uint8_t *share, size_t sharelen,
                          int psk_identity)
{
    size_t exts, m;
    PL_GUARD(pl_buf_u16(b, 0x0303));
    PL_GUARD(pl_buf_bytes(b, hrr ? pl_hrr_random : random, 32));
    PL_GUARD(pl_buf_u8(b, (uint8_t)sidlen));
    PL_GUARD(pl_buf_bytes(b, sid, sidlen));
    PL_GUARD(pl_buf_u16(b, suite));
    PL_GUARD(pl_buf_u8(b, 0));
    PL_GUARD(pl_buf_open(b, 2, &exts));
    PL_GUARD(pl_buf_u16(b, PL_EXT_SUPPORTED_VERSIONS));
    PL_GUARD(pl_buf_u16(b, 2));
    PL_GUARD(pl_buf_u16(b, 0x0304));
    if (group) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_KEY_SHARE));
        PL_GUARD(pl_buf_open(b, 2, &m));
        PL_GUARD(pl_buf_u16(b, group));
        if (!hrr) {
            PL_GUARD(pl_buf_u16(b, (uint16_t)sharelen));
            PL_GUARD(pl_buf_bytes(b, share, sharelen));
        }
        PL_GUARD(pl_buf_close(b, 2, m));
    }
    if (psk_identity >= 0) {
        PL_GUARD(pl_buf_u16(b, PL_EXT_PRE_SHARED_KEY));
        PL_GUARD(pl_buf_u16(b, 2));
        PL_GUARD(pl_buf_u16(b, (uint16_t)psk_identity));
    }
    return pl_buf_close(b, 2, exts);
}
