/* extensions.c - the extension table and the generic extensions-block walker. */
#include <string.h>

#include "../internal.h"
#include "messages.h"

typedef struct {
    uint16_t type;
    int allowed;
    const char *name;
} pl_ext_desc;

/* RFC 8446 4.2: where each recognised TLS 1.3 extension may appear; PL_IN_SH12
 * marks the extensions a TLS 1.2 ServerHello may carry (RFC 5246 7.4.1.4 and
 * the RFCs defining each). */
static const pl_ext_desc pl_ext_table[] = {
    {PL_EXT_SERVER_NAME, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "server_name"},
    {PL_EXT_MAX_FRAGMENT_LENGTH, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "max_fragment_length"},
    {PL_EXT_STATUS_REQUEST, PL_IN_CH | PL_IN_CR | PL_IN_CT | PL_IN_SH12, "status_request"},
    /* Some TLS 1.2 servers echo supported_groups in their ServerHello; no
     * RFC defines it there (RFC 8422 5.2 lists only ec_point_formats) nor
     * forbids it, and we sent it: accepted and ignored, as other clients do. */
    {PL_EXT_SUPPORTED_GROUPS, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "supported_groups"},
    {PL_EXT_EC_POINT_FORMATS, PL_IN_CH | PL_IN_SH12, "ec_point_formats"},
    {PL_EXT_SIGNATURE_ALGORITHMS, PL_IN_CH | PL_IN_CR, "signature_algorithms"},
    {PL_EXT_USE_SRTP, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "use_srtp"},
    {PL_EXT_HEARTBEAT, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "heartbeat"},
    {PL_EXT_ALPN, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "application_layer_protocol_negotiation"},
    {PL_EXT_SCT, PL_IN_CH | PL_IN_CR | PL_IN_CT | PL_IN_SH12, "signed_certificate_timestamp"},
    {PL_EXT_CLIENT_CERT_TYPE, PL_IN_CH | PL_IN_EE, "client_certificate_type"},
    {PL_EXT_SERVER_CERT_TYPE, PL_IN_CH | PL_IN_EE, "server_certificate_type"},
    {PL_EXT_PADDING, PL_IN_CH, "padding"},
    {PL_EXT_ENCRYPT_THEN_MAC, PL_IN_CH | PL_IN_SH12, "encrypt_then_mac"},
    {PL_EXT_EXTENDED_MASTER_SECRET, PL_IN_CH | PL_IN_SH12, "extended_master_secret"},
    {PL_EXT_COMPRESS_CERTIFICATE, PL_IN_CH | PL_IN_CR, "compress_certificate"}, /* RFC 8879 3 */
    {PL_EXT_RECORD_SIZE_LIMIT, PL_IN_CH | PL_IN_EE | PL_IN_SH12, "record_size_limit"},
    {PL_EXT_SESSION_TICKET, PL_IN_CH | PL_IN_SH12, "session_ticket"},
    {PL_EXT_PRE_SHARED_KEY, PL_IN_CH | PL_IN_SH, "pre_shared_key"},
    {PL_EXT_EARLY_DATA, PL_IN_CH | PL_IN_EE | PL_IN_NST, "early_data"},
    {PL_EXT_SUPPORTED_VERSIONS, PL_IN_CH | PL_IN_SH | PL_IN_HRR, "supported_versions"},
    {PL_EXT_COOKIE, PL_IN_CH | PL_IN_HRR, "cookie"},
    {PL_EXT_PSK_KEY_EXCHANGE_MODES, PL_IN_CH, "psk_key_exchange_modes"},
    {PL_EXT_CERTIFICATE_AUTHORITIES, PL_IN_CH | PL_IN_CR, "certificate_authorities"},
    {PL_EXT_OID_FILTERS, PL_IN_CR, "oid_filters"},
    {PL_EXT_POST_HANDSHAKE_AUTH, PL_IN_CH, "post_handshake_auth"},
    {PL_EXT_SIGNATURE_ALGORITHMS_CERT, PL_IN_CH | PL_IN_CR, "signature_algorithms_cert"},
    {PL_EXT_KEY_SHARE, PL_IN_CH | PL_IN_SH | PL_IN_HRR, "key_share"},
    {PL_EXT_RENEGOTIATION_INFO, PL_IN_CH | PL_IN_SH12, "renegotiation_info"},
};

static const pl_ext_desc *pl_ext_find(uint16_t type)
{
    for (size_t i = 0; i < sizeof pl_ext_table / sizeof pl_ext_table[0]; i++)
        if (pl_ext_table[i].type == type) return &pl_ext_table[i];
    return NULL;
}

const char *pl_ext_name(uint16_t type)
{
    const pl_ext_desc *d = pl_ext_find(type);
    return d ? d->name : "unknown";
}

int pl_ext_walk(pl_cursor *block, int in_msg, pl_ext_fn fn, void *ctx)
{
    /* RFC 8446 4.2: at most one extension of each type. A block may hold any
     * number of extensions (a ClientHello's 65535 bytes fit 16383 empty
     * ones), so the types seen are one bit each of a 65536-bit map: no fixed
     * count, and linear in the block. */
    uint8_t seen[65536 / 8];
    memset(seen, 0, sizeof seen);
    while (block->len > 0) {
        uint16_t type;
        pl_cursor body;
        PL_GUARD(pl_cur_u16(block, &type));
        PL_GUARD(pl_cur_vec16(block, &body));
        uint8_t bit = (uint8_t)(1u << (type & 7));
        PL_ENSURE(!(seen[type >> 3] & bit), PL_ERR_ILLEGAL_PARAMETER, "extension %s (%u) appears twice", pl_ext_name(type), type);
        seen[type >> 3] |= bit;
        const pl_ext_desc *d = pl_ext_find(type);
        PL_ENSURE(!d || (d->allowed & in_msg), PL_ERR_ILLEGAL_PARAMETER, "extension %s is not allowed in this message", d ? d->name : "?");
        /* RFC 8446 4.2.11: pre_shared_key MUST be the last extension. */
        PL_ENSURE(!(in_msg == PL_IN_CH && type == PL_EXT_PRE_SHARED_KEY && block->len != 0),
                  PL_ERR_ILLEGAL_PARAMETER, "pre_shared_key is not the last extension");
        if (fn) PL_GUARD(fn(ctx, type, &body));
    }
    return 0;
}

int pl_u16_list_check(const pl_cursor *list, const char *what)
{
    PL_ENSURE(list->len >= 2 && list->len % 2 == 0, PL_ERR_DECODE, "%s list has a bad length (%zu)", what, list->len);
    return 0;
}

int pl_u16_list_has(pl_cursor list, uint16_t v)
{
    uint16_t x;
    while (list.len >= 2) {
        if (pl_cur_u16(&list, &x) < 0) return 0;
        if (x == v) return 1;
    }
    return 0;
}

int pl_sigscheme_is_legacy(uint16_t s)
{
    /* RFC 8446 4.2.3 / RFC 9155: {rsa,dsa,ecdsa} x {SHA-1 (0x02), SHA-224
     * (0x03)}. Parley never signs or accepts them. */
    return (s >> 8) >= 0x02 && (s >> 8) <= 0x03 && (s & 0xff) >= 0x01 && (s & 0xff) <= 0x03;
}

_Static_assert(PL_MAX_SIGALGS <= 32, "pl_sigalgs_offered returns a 32-bit mask");

uint32_t pl_sigalgs_offered(const uint16_t *ours, size_t n, pl_cursor list)
{
    uint32_t mask = 0;
    uint16_t x;
    while (list.len >= 2 && pl_cur_u16(&list, &x) == 0)
        for (size_t j = 0; j < n; j++) mask |= (uint32_t)(ours[j] == x) << j;
    return mask;
}

int pl_sigalgs_legacy_only(pl_cursor list)
{
    uint16_t x;
    int any = 0;
    while (list.len >= 2 && pl_cur_u16(&list, &x) == 0) {
        if (!pl_sigscheme_is_legacy(x)) return 0;
        any = 1;
    }
    return any;
}
