/* client_hello.c - ClientHello parsing (RFC 8446 4.1.2); writing is in client13.c. */
#include <string.h>

#include "messages.h"
#include "record_size_limit.h"

static int pl_ch_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_client_hello *ch = vctx;
    switch (type) {
    case PL_EXT_SERVER_NAME: {
        /* RFC 6066 3: ServerNameList; one host_name entry. */
        pl_cursor list, name;
        uint8_t nt;
        PL_GUARD(pl_cur_vec16(b, &list));
        PL_GUARD(pl_cur_expect_empty(b));
        PL_ENSURE(list.len > 0, PL_ERR_DECODE, "empty server_name list");
        while (list.len) {
            PL_GUARD(pl_cur_u8(&list, &nt));
            PL_GUARD(pl_cur_vec16(&list, &name));
            if (nt != 0) continue;
            PL_ENSURE(!ch->has_sni, PL_ERR_ILLEGAL_PARAMETER, "two host names in server_name");
            PL_ENSURE(name.len > 0 && name.len < sizeof ch->sni, PL_ERR_DECODE, "server_name of %zu bytes", name.len);
            for (size_t i = 0; i < name.len; i++)
                PL_ENSURE(name.p[i] > 0x20 && name.p[i] < 0x7f, PL_ERR_ILLEGAL_PARAMETER, "server_name is not a printable host name");
            memcpy(ch->sni, name.p, name.len);
            ch->sni[name.len] = 0;
            ch->has_sni = 1;
        }
        return 0;
    }
    case PL_EXT_SUPPORTED_VERSIONS:
        PL_GUARD(pl_cur_vec8(b, &ch->versions));
        PL_ENSURE(ch->versions.len >= 2 && ch->versions.len % 2 == 0, PL_ERR_DECODE, "bad supported_versions length");
        ch->has_versions = 1;
        break;
    case PL_EXT_SUPPORTED_GROUPS:
        PL_GUARD(pl_cur_vec16(b, &ch->groups));
        PL_GUARD(pl_u16_list_check(&ch->groups, "supported_groups"));
        ch->has_groups = 1;
        break;
    case PL_EXT_SIGNATURE_ALGORITHMS:
        PL_GUARD(pl_cur_vec16(b, &ch->sigalgs));
        PL_GUARD(pl_u16_list_check(&ch->sigalgs, "signature_algorithms"));
        ch->has_sigalgs = 1;
        break;
    case PL_EXT_SIGNATURE_ALGORITHMS_CERT:
        PL_GUARD(pl_cur_vec16(b, &ch->sigalgs_cert));
        PL_GUARD(pl_u16_list_check(&ch->sigalgs_cert, "signature_algorithms_cert"));
        ch->has_sigalgs_cert = 1;
        break;
    case PL_EXT_KEY_SHARE:
        PL_GUARD(pl_cur_vec16(b, &ch->key_shares));
        ch->has_key_share = 1;
        break;
    case PL_EXT_ALPN: {
        /* RFC 7301 3.1: non-empty list of non-empty names. */
        pl_cursor list, name;
        PL_GUARD(pl_cur_vec16(b, &list));
        PL_ENSURE(list.len > 0, PL_ERR_DECODE, "empty ALPN list");
        ch->alpn = list;
        while (list.len) {
            PL_GUARD(pl_cur_vec8(&list, &name));
            PL_ENSURE(name.len > 0, PL_ERR_DECODE, "empty ALPN protocol name");
        }
        ch->has_alpn = 1;
        break;
    }
    case PL_EXT_COOKIE:
        PL_GUARD(pl_cur_vec16(b, &ch->cookie));
        PL_ENSURE(ch->cookie.len > 0, PL_ERR_DECODE, "empty cookie");
        ch->has_cookie = 1;
        break;
    case PL_EXT_PSK_KEY_EXCHANGE_MODES:
        PL_GUARD(pl_cur_vec8(b, &ch->psk_modes));
        PL_ENSURE(ch->psk_modes.len > 0, PL_ERR_DECODE, "empty psk_key_exchange_modes");
        ch->has_psk_modes = 1;
        break;
    case PL_EXT_PRE_SHARED_KEY: {
        /* RFC 8446 4.2.11: identities<7..2^16-1>, binders<33..2^16-1>, one
         * binder per identity. It is the last extension (pl_ext_walk), so the
         * binders vector ends the message. */
        pl_cursor ids, binders, v;
        uint32_t age;
        size_t nb = 0;
        PL_GUARD(pl_cur_vec16(b, &ids));
        PL_GUARD(pl_cur_vec16(b, &binders));
        ch->psk_ids = ids;
        ch->psk_binders = binders;
        ch->psk_binders_total = 2 + binders.len;
        PL_ENSURE(ids.len > 0 && binders.len > 0, PL_ERR_DECODE, "empty pre_shared_key identities or binders");
        while (ids.len) {
            PL_GUARD(pl_cur_vec16(&ids, &v));
            PL_GUARD(pl_cur_u32(&ids, &age));
            PL_ENSURE(v.len > 0, PL_ERR_DECODE, "empty PSK identity");
            ch->psk_count++;
        }
        while (binders.len) {
            PL_GUARD(pl_cur_vec8(&binders, &v));
            PL_ENSURE(v.len >= 32, PL_ERR_DECODE, "PSK binder of %zu bytes", v.len);
            nb++;
        }
        PL_ENSURE(nb == ch->psk_count, PL_ERR_ILLEGAL_PARAMETER, "%zu PSK identities but %zu binders", ch->psk_count, nb);
        ch->has_psk = 1;
        break;
    }
    case PL_EXT_EARLY_DATA:
        PL_ENSURE(b->len == 0, PL_ERR_DECODE, "early_data in ClientHello must be empty");
        ch->has_early_data = 1;
        break;
    case PL_EXT_EXTENDED_MASTER_SECRET:
        /* Means something only in TLS 1.2, where its body must be empty (RFC
         * 7627 5.1): the TLS 1.2 server checks that; TLS 1.3 ignores it
         * whatever it holds (RFC 8446 4.2: unused extensions are ignored). */
        ch->has_ems = 1;
        ch->ems_body_len = b->len;
        return 0;
    case PL_EXT_RENEGOTIATION_INFO:
        ch->reneg_info = *b; /* checked by the TLS 1.2 server (RFC 5746 3.6) */
        ch->has_reneg = 1;
        return 0;
    case PL_EXT_EC_POINT_FORMATS:
        ch->point_formats = *b; /* checked by the TLS 1.2 server (RFC 8422 5.1.2) */
        ch->has_point_formats = 1;
        return 0;
    case PL_EXT_SESSION_TICKET:
        ch->ticket = *b;
        ch->has_ticket = 1;
        return 0;
    case PL_EXT_RECORD_SIZE_LIMIT:
        /* RFC 8449 4. Checked even when the config turned the extension
         * off: it is understood, only not answered (record_size_limit.c). */
        return pl_rsl_parse(b, &ch->record_size_limit);
    case PL_EXT_STATUS_REQUEST: {
        /* RFC 6066 8: only status_type ocsp (1) means anything to us. */
        uint8_t st;
        PL_GUARD(pl_cur_u8(b, &st));
        ch->has_status_request = st == 1;
        return 0;
    }
    case PL_EXT_POST_HANDSHAKE_AUTH:
        /* RFC 8446 4.2.6: extension_data is zero length (checked below). */
        ch->has_pha = 1;
        break;
    default:
        return 0; /* unknown or unused extensions are ignored (RFC 8446 4.2) */
    }
    return pl_cur_expect_empty(b);
}

int pl_client_hello_parse(const uint8_t *body, size_t len, pl_client_hello *ch)
{
    pl_cursor c = pl_cur(body, len), exts;
    memset(ch, 0, sizeof *ch);
    PL_GUARD(pl_cur_u16(&c, &ch->legacy_version));
    PL_GUARD(pl_cur_bytes(&c, 32, &ch->random));
    PL_GUARD(pl_cur_vec8(&c, &ch->session_id));
    PL_ENSURE(ch->session_id.len <= 32, PL_ERR_DECODE, "legacy_session_id of %zu bytes", ch->session_id.len);
    PL_GUARD(pl_cur_vec16(&c, &ch->suites));
    PL_GUARD(pl_u16_list_check(&ch->suites, "cipher_suites"));
    PL_GUARD(pl_cur_vec8(&c, &ch->compression));
    PL_ENSURE(ch->compression.len > 0, PL_ERR_DECODE, "empty compression_methods");
    if (c.len == 0) return 0; /* SSL 3.0-style hello without extensions */
    PL_GUARD(pl_cur_vec16(&c, &exts));
    PL_GUARD(pl_cur_expect_empty(&c));
    ch->exts = exts;
    return pl_ext_walk(&exts, PL_IN_CH, pl_ch_ext, ch);
}

int pl_client_hello_psk(const pl_client_hello *ch, size_t n, pl_cursor *identity, uint32_t *obf_age, pl_cursor *binder)
{
    pl_cursor ids = ch->psk_ids, binders = ch->psk_binders;
    PL_ENSURE(n < ch->psk_count, PL_ERR_INTERNAL, "no PSK identity %zu", n);
    for (size_t i = 0; i <= n; i++) {
        PL_GUARD(pl_cur_vec16(&ids, identity));
        PL_GUARD(pl_cur_u32(&ids, obf_age));
        PL_GUARD(pl_cur_vec8(&binders, binder));
    }
    return 0;
}

int pl_client_hello_check_shares(const pl_client_hello *ch)
{
    /* RFC 8446 4.2.8: client_shares<0..2^16-1> may hold thousands of entries.
     * Each group at most once, and (when supported_groups is present; the
     * caller requires it for (EC)DHE) only groups it lists, both
     * illegal_parameter. One bit per group, linear in the list: a group's
     * bit is set when supported_groups lists it (all bits without the
     * extension) and cleared by its first share, so a share that finds its
     * bit clear is either a second share or an unlisted group. Entries are
     * only delimited here; a key_exchange is parsed only for the group
     * chosen (pl_kex_derive). */
    uint8_t open[65536 / 8];
    pl_cursor list = ch->key_shares, ke;
    uint16_t g;
    if (!ch->has_groups) {
        memset(open, 0xff, sizeof open);
    } else {
        pl_cursor groups = ch->groups;
        memset(open, 0, sizeof open);
        while (groups.len >= 2) {
            PL_GUARD(pl_cur_u16(&groups, &g));
            open[g >> 3] |= (uint8_t)(1u << (g & 7));
        }
    }
    while (list.len) {
        PL_GUARD(pl_cur_u16(&list, &g));
        PL_GUARD(pl_cur_vec16(&list, &ke));
        /* key_exchange<1..2^16-1>, for every group, known or not. */
        PL_ENSURE(ke.len > 0, PL_ERR_DECODE, "empty key_exchange in key_share");
        uint8_t bit = (uint8_t)(1u << (g & 7));
        if (!(open[g >> 3] & bit)) {
            PL_ENSURE(ch->has_groups && !pl_u16_list_has(ch->groups, g), PL_ERR_ILLEGAL_PARAMETER,
                      "two key shares for group 0x%04x", g);
            PL_BAIL(PL_ERR_ILLEGAL_PARAMETER, "key share for group 0x%04x which supported_groups does not list", g);
        }
        open[g >> 3] &= (uint8_t)~bit;
    }
    return 0;
}

int pl_client_hello_find_share(const pl_client_hello *ch, uint16_t group, const uint8_t **share, size_t *len)
{
    pl_cursor list = ch->key_shares, ke;
    uint16_t g;
    while (list.len) {
        PL_GUARD(pl_cur_u16(&list, &g));
        PL_GUARD(pl_cur_vec16(&list, &ke));
        if (g == group) {
            *share = ke.p;
            *len = ke.len;
            return 1;
        }
    }
    return 0;
}
