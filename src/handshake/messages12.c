/* messages12.c - TLS 1.2 handshake message codecs (RFC 5246 7.4, RFC 8422 5.4
 * and 5.7, RFC 7919). Pure parsers: views out, lengths checked, trailing
 * bytes rejected; semantics live in client12.c and server12.c. */
#include <string.h>

#include "../internal.h"
#include "messages.h"

int pl_certificate12_parse(const uint8_t *body, size_t len, pl_certificate *ct)
{
    pl_cursor c = pl_cur(body, len), list;
    memset(ct, 0, sizeof *ct);
    PL_GUARD(pl_cur_vec24(&c, &list));
    PL_GUARD(pl_cur_expect_empty(&c));
    while (list.len) {
        pl_cursor der;
        PL_GUARD(pl_cur_vec24(&list, &der));
        PL_ENSURE(der.len > 0, PL_ERR_DECODE, "empty certificate in chain");
        PL_ENSURE(ct->n < PL_CERT_MAX_ENTRIES, PL_ERR_BAD_CERTIFICATE, "certificate chain longer than %d", PL_CERT_MAX_ENTRIES);
        ct->certs[ct->n++] = der;
    }
    return 0;
}

int pl_certificate12_write(pl_buf *b, uint8_t *const *der, const size_t *der_len, size_t n)
{
    size_t list, m;
    PL_GUARD(pl_buf_open(b, 3, &list));
    for (size_t i = 0; i < n; i++) {
        PL_GUARD(pl_buf_open(b, 3, &m));
        PL_GUARD(pl_buf_bytes(b, der[i], der_len[i]));
        PL_GUARD(pl_buf_close(b, 3, m));
    }
    return pl_buf_close(b, 3, list);
}

int pl_server_key_exchange_parse(const uint8_t *body, size_t len, int kx, pl_server_key_exchange *ske)
{
    pl_cursor c = pl_cur(body, len);
    memset(ske, 0, sizeof *ske);
    const uint8_t *start = c.p;
    if (kx == PL_KX_ECDHE) {
        uint8_t curve_type;
        PL_GUARD(pl_cur_u8(&c, &curve_type));
        /* RFC 8422 5.4: only named_curve (3) is allowed. */
        PL_ENSURE(curve_type == 3, PL_ERR_ILLEGAL_PARAMETER, "ServerKeyExchange curve type %u is not named_curve", curve_type);
        PL_GUARD(pl_cur_u16(&c, &ske->group));
        PL_GUARD(pl_cur_vec8(&c, &ske->point));
        PL_ENSURE(ske->point.len > 0, PL_ERR_DECODE, "empty EC point");
    } else if (kx == PL_KX_DHE) {
        PL_GUARD(pl_cur_vec16(&c, &ske->dh_p));
        PL_GUARD(pl_cur_vec16(&c, &ske->dh_g));
        PL_GUARD(pl_cur_vec16(&c, &ske->dh_ys));
        PL_ENSURE(ske->dh_p.len && ske->dh_g.len && ske->dh_ys.len, PL_ERR_DECODE, "empty DH parameter");
    } else {
        PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "ServerKeyExchange for a key exchange that has none");
    }
    ske->params = pl_cur(start, (size_t)(c.p - start));
    PL_GUARD(pl_cur_u16(&c, &ske->scheme));
    /* RFC 5246 7.4.3 / RFC 8422 5.4: digitally-signed ends in
     * signature<0..2^16-1> (4.7). An empty one is well formed and fails
     * verification (decrypt_error, RFC 5246 7.2.2), not decoding. */
    PL_GUARD(pl_cur_vec16(&c, &ske->signature));
    return pl_cur_expect_empty(&c);
}

int pl_certificate_request12_parse(const uint8_t *body, size_t len, pl_certificate_request12 *cr)
{
    pl_cursor c = pl_cur(body, len), cas;
    PL_GUARD(pl_cur_vec8(&c, &cr->types));
    PL_ENSURE(cr->types.len > 0, PL_ERR_DECODE, "CertificateRequest without certificate types");
    PL_GUARD(pl_cur_vec16(&c, &cr->sigalgs));
    PL_GUARD(pl_u16_list_check(&cr->sigalgs, "signature_algorithms"));
    PL_GUARD(pl_cur_vec16(&c, &cr->cas));
    cas = cr->cas;
    while (cas.len) {
        pl_cursor dn;
        PL_GUARD(pl_cur_vec16(&cas, &dn));
    }
    return pl_cur_expect_empty(&c);
}

uint8_t pl_cert_types_bits(pl_cursor types)
{
    uint8_t bits = 0, t;
    while (pl_cur_u8(&types, &t) == 0) {
        if (t == 1) bits |= PL_CERT_TYPE_RSA;
        if (t == 64) bits |= PL_CERT_TYPE_ECDSA;
    }
    return bits;
}

int pl_client_key_exchange_parse(const uint8_t *body, size_t len, int kx, pl_cursor *value)
{
    pl_cursor c = pl_cur(body, len);
    if (kx == PL_KX_ECDHE) PL_GUARD(pl_cur_vec8(&c, value));
    else PL_GUARD(pl_cur_vec16(&c, value));
    /* ECPoint point<1..2^8-1> (RFC 8422 5.7), dh_Yc<1..2^16-1> (RFC 5246
     * 7.4.7.2). An RSA EncryptedPreMasterSecret is a public-key-encrypted
     * opaque<0..2^16-1> (4.7, 7.4.7.1): an empty one is well formed and gets
     * the implicit rejection of any wrong ciphertext, never an alert of its own. */
    PL_ENSURE(value->len > 0 || kx == PL_KX_RSA, PL_ERR_DECODE, "empty ClientKeyExchange");
    return pl_cur_expect_empty(&c);
}

int pl_new_session_ticket12_parse(const uint8_t *body, size_t len, uint32_t *hint, pl_cursor *ticket)
{
    pl_cursor c = pl_cur(body, len);
    PL_GUARD(pl_cur_u32(&c, hint));
    PL_GUARD(pl_cur_vec16(&c, ticket));
    /* RFC 5077 3.3: ticket<0..2^16-1>. One too large to keep is not an
     * error: the client does not store it (pl_client12_keep_session). */
    return pl_cur_expect_empty(&c);
}
