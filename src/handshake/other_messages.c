/*
 * other_messages.c - the small TLS 1.3 messages: EncryptedExtensions,
 * Certificate, CertificateRequest, CertificateVerify content, NewSessionTicket,
 * KeyUpdate (RFC 8446 4.3-4.6).
 */
#include <string.h>

#include "messages.h"
#include "record_size_limit.h"

static int pl_ee_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_encrypted_extensions *ee = vctx;
    switch (type) {
    case PL_EXT_ALPN: {
        /* RFC 7301 3.1: the server returns exactly one protocol name. */
        pl_cursor list;
        PL_GUARD(pl_cur_vec16(b, &list));
        PL_GUARD(pl_cur_vec8(&list, &ee->alpn));
        PL_ENSURE(ee->alpn.len > 0, PL_ERR_DECODE, "empty ALPN protocol from server");
        PL_GUARD(pl_cur_expect_empty(&list));
        ee->has_alpn = 1;
        break;
    }
    case PL_EXT_SERVER_NAME:
        /* RFC 6066 3: the server's acknowledgement is empty. */
        ee->has_sni_ack = 1;
        break;
    case PL_EXT_EARLY_DATA:
        ee->has_early_data = 1;
        break;
    case PL_EXT_SUPPORTED_GROUPS:
        /* RFC 8446 4.2.7: informational; clients MUST NOT act on it before
         * the handshake completes. We ignore it. */
        b->len = 0;
        break;
    case PL_EXT_RECORD_SIZE_LIMIT:
        /* RFC 8449 4; whether it was offered is the client's check (client13.c). */
        return pl_rsl_parse(b, &ee->record_size_limit);
    case PL_EXT_MAX_FRAGMENT_LENGTH:
    case PL_EXT_HEARTBEAT:
    case PL_EXT_USE_SRTP:
    case PL_EXT_CLIENT_CERT_TYPE:
    case PL_EXT_SERVER_CERT_TYPE:
    default:
        /* We offered none of these: unsolicited (RFC 8446 4.2). */
        PL_BAIL(PL_ERR_UNSUPPORTED_EXTENSION, "server sent extension %s (%u) that was not offered", pl_ext_name(type), type);
    }
    return pl_cur_expect_empty(b);
}

int pl_encrypted_extensions_parse(const uint8_t *body, size_t len, pl_encrypted_extensions *ee)
{
    pl_cursor c = pl_cur(body, len), exts;
    memset(ee, 0, sizeof *ee);
    PL_GUARD(pl_cur_vec16(&c, &exts));
    PL_GUARD(pl_cur_expect_empty(&c));
    return pl_ext_walk(&exts, PL_IN_EE, pl_ee_ext, ee);
}

/* Certificate entry extensions: keep the leaf's status_request (the staple).
 * RFC 8446 4.4.2: they must answer the ClientHello's (or CertificateRequest's)
 * extensions, and 4.2: an unrequested one is unsupported_extension. Parley
 * only ever asks for status_request (never SCTs or anything else); whether
 * it asked for that is the caller's check (any_status). */
static int pl_ct_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_certificate *ct = vctx;
    PL_ENSURE(type == PL_EXT_STATUS_REQUEST, PL_ERR_UNSUPPORTED_EXTENSION,
              "certificate entry carries extension %s (%u), which was not requested", pl_ext_name(type), type);
    ct->any_status = 1;
    if (ct->n == 0) {
        PL_GUARD(pl_certificate_status_parse(b->p, b->len, &ct->leaf_ocsp));
        b->len = 0;
    }
    return 0;
}

int pl_certificate_status_parse(const uint8_t *body, size_t len, pl_cursor *response)
{
    pl_cursor c = pl_cur(body, len);
    uint8_t st;
    PL_GUARD(pl_cur_u8(&c, &st));
    PL_ENSURE(st == 1, PL_ERR_DECODE, "certificate status type %u is not ocsp", st);
    PL_GUARD(pl_cur_vec24(&c, response));
    PL_ENSURE(response->len > 0, PL_ERR_DECODE, "empty OCSP response");
    return pl_cur_expect_empty(&c);
}

int pl_certificate_status_write(pl_buf *b, const uint8_t *resp, size_t len)
{
    size_t m;
    PL_GUARD(pl_buf_u8(b, 1));
    PL_GUARD(pl_buf_open(b, 3, &m));
    PL_GUARD(pl_buf_bytes(b, resp, len));
    return pl_buf_close(b, 3, m);
}

int pl_certificate_parse(const uint8_t *body, size_t len, pl_certificate *ct)
{
    pl_cursor c = pl_cur(body, len), list, exts;
    memset(ct, 0, sizeof *ct);
    PL_GUARD(pl_cur_vec8(&c, &ct->context));
    PL_GUARD(pl_cur_vec24(&c, &list));
    PL_GUARD(pl_cur_expect_empty(&c));
    while (list.len) {
        pl_cursor der;
        PL_GUARD(pl_cur_vec24(&list, &der));
        PL_ENSURE(der.len > 0, PL_ERR_DECODE, "empty certificate in chain");
        PL_GUARD(pl_cur_vec16(&list, &exts));
        /* Entry extensions are checked for form and for where they may
         * appear (pl_ct_ext: a stapled status_request the client asked for;
         * anything else, SCTs included, is refused: RFC 8446 4.4.2). */
        PL_GUARD(pl_ext_walk(&exts, PL_IN_CT, pl_ct_ext, ct));
        PL_ENSURE(ct->n < PL_CERT_MAX_ENTRIES, PL_ERR_BAD_CERTIFICATE, "certificate chain longer than %d", PL_CERT_MAX_ENTRIES);
        ct->certs[ct->n++] = der;
    }
    return 0;
}

int pl_certificate_write(pl_buf *b, const uint8_t *ctx, size_t ctxlen, uint8_t *const *der,
                         const size_t *der_len, size_t n)
{
    size_t list, m;
    PL_GUARD(pl_buf_u8(b, (uint8_t)ctxlen));
    PL_GUARD(pl_buf_bytes(b, ctx, ctxlen));
    PL_GUARD(pl_buf_open(b, 3, &list));
    for (size_t i = 0; i < n; i++) {
        PL_GUARD(pl_buf_open(b, 3, &m));
        PL_GUARD(pl_buf_bytes(b, der[i], der_len[i]));
        PL_GUARD(pl_buf_close(b, 3, m));
        PL_GUARD(pl_buf_u16(b, 0)); /* no per-certificate extensions */
    }
    return pl_buf_close(b, 3, list);
}

static int pl_cr_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_certificate_request *cr = vctx;
    if (type == PL_EXT_SIGNATURE_ALGORITHMS) {
        PL_GUARD(pl_cur_vec16(b, &cr->sigalgs));
        PL_GUARD(pl_u16_list_check(&cr->sigalgs, "signature_algorithms"));
        cr->has_sigalgs = 1;
        return pl_cur_expect_empty(b);
    }
    if (type == PL_EXT_CERTIFICATE_AUTHORITIES) {
        /* RFC 8446 4.2.4: DistinguishedName authorities<3..2^16-1>. */
        PL_GUARD(pl_cur_vec16(b, &cr->cas));
        pl_cursor l = cr->cas, dn;
        PL_ENSURE(l.len >= 3, PL_ERR_DECODE, "empty certificate_authorities");
        while (l.len) {
            PL_GUARD(pl_cur_vec16(&l, &dn));
            PL_ENSURE(dn.len > 0, PL_ERR_DECODE, "empty distinguished name");
        }
        cr->has_cas = 1;
        return pl_cur_expect_empty(b);
    }
    return 0;
}

int pl_certificate_request_parse(const uint8_t *body, size_t len, pl_certificate_request *cr)
{
    pl_cursor c = pl_cur(body, len), exts;
    memset(cr, 0, sizeof *cr);
    PL_GUARD(pl_cur_vec8(&c, &cr->context));
    PL_GUARD(pl_cur_vec16(&c, &exts));
    PL_GUARD(pl_cur_expect_empty(&c));
    PL_GUARD(pl_ext_walk(&exts, PL_IN_CR, pl_cr_ext, cr));
    /* RFC 8446 4.3.2: signature_algorithms MUST be specified. */
    PL_ENSURE(cr->has_sigalgs, PL_ERR_MISSING_EXTENSION, "CertificateRequest without signature_algorithms");
    return 0;
}

int pl_certificate_verify_parse(const uint8_t *body, size_t len, pl_certificate_verify *cv)
{
    pl_cursor c = pl_cur(body, len);
    PL_GUARD(pl_cur_u16(&c, &cv->scheme));
    /* RFC 8446 4.4.3 / RFC 5246 7.4.8: signature<0..2^16-1>. An empty
     * signature is well formed; it simply does not verify (decrypt_error,
     * from the verifier), so the parser does not refuse it. */
    PL_GUARD(pl_cur_vec16(&c, &cv->signature));
    return pl_cur_expect_empty(&c);
}

int pl_certificate_verify_content(int server, const uint8_t *th, size_t hlen, pl_buf *out)
{
    /* RFC 8446 4.4.3: 64 spaces, the context string, a zero byte, the hash. */
    static const char sctx[] = "TLS 1.3, server CertificateVerify";
    static const char cctx[] = "TLS 1.3, client CertificateVerify";
    uint8_t spaces[64];
    memset(spaces, 0x20, sizeof spaces);
    PL_GUARD(pl_buf_bytes(out, spaces, sizeof spaces));
    PL_GUARD(pl_buf_bytes(out, server ? sctx : cctx, sizeof sctx)); /* includes the NUL */
    return pl_buf_bytes(out, th, hlen);
}

static int pl_nst_ext(void *vctx, uint16_t type, pl_cursor *b)
{
    pl_new_session_ticket *nst = vctx;
    if (type != PL_EXT_EARLY_DATA) return 0; /* others are ignored (RFC 8446 4.6.1) */
    /* RFC 8446 4.2.10: max_early_data_size. */
    PL_GUARD(pl_cur_u32(b, &nst->max_early_data));
    return pl_cur_expect_empty(b);
}

int pl_new_session_ticket_parse(const uint8_t *body, size_t len, pl_new_session_ticket *nst)
{
    pl_cursor c = pl_cur(body, len), exts;
    PL_GUARD(pl_cur_u32(&c, &nst->lifetime));
    PL_GUARD(pl_cur_u32(&c, &nst->age_add));
    PL_GUARD(pl_cur_vec8(&c, &nst->nonce));
    PL_GUARD(pl_cur_vec16(&c, &nst->ticket));
    PL_ENSURE(nst->ticket.len > 0, PL_ERR_DECODE, "empty session ticket");
    PL_GUARD(pl_cur_vec16(&c, &exts));
    PL_GUARD(pl_cur_expect_empty(&c));
    /* RFC 8446 4.6.1: lifetime at most seven days. */
    PL_ENSURE(nst->lifetime <= 604800, PL_ERR_ILLEGAL_PARAMETER, "ticket lifetime %u exceeds seven days", nst->lifetime);
    nst->max_early_data = 0;
    return pl_ext_walk(&exts, PL_IN_NST, pl_nst_ext, nst);
}

int pl_key_update_parse(const uint8_t *body, size_t len, int *request_update)
{
    pl_cursor c = pl_cur(body, len);
    uint8_t v;
    PL_GUARD(pl_cur_u8(&c, &v));
    PL_GUARD(pl_cur_expect_empty(&c));
    /* RFC 8446 4.6.3: any other value is illegal_parameter. */
    PL_ENSURE(v <= 1, PL_ERR_ILLEGAL_PARAMETER, "KeyUpdate request_update value %u", v);
    *request_update = v;
    return 0;
}
