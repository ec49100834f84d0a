/* cert_compress.c - RFC 8879 certificate compression in the TLS 1.3
 * handshake; see cert_compress.h. The config side (the algorithm list and
 * the compressed messages made once per certificate) is config_compress.c. */
#include "cert_compress.h"

#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "messages.h"

int pl_compressed_certificate_parse(const uint8_t *body, size_t len, pl_compressed_certificate *cc)
{
    pl_cursor c = pl_cur(body, len);
    memset(cc, 0, sizeof *cc);
    PL_GUARD(pl_cur_u16(&c, &cc->alg));
    PL_GUARD(pl_cur_u24(&c, &cc->uncompressed_len));
    PL_GUARD(pl_cur_vec24(&c, &cc->data));
    PL_ENSURE(cc->data.len >= 1, PL_ERR_DECODE, "CompressedCertificate has no compressed data");
    return pl_cur_expect_empty(&c);
}

int pl_cc_ext_parse(pl_cursor body, unsigned *algs)
{
    pl_cursor list;
    uint16_t a;
    *algs = 0;
    PL_GUARD(pl_cur_vec8(&body, &list));
    PL_GUARD(pl_cur_expect_empty(&body));
    /* RFC 8879 3: algorithms<2..2^8-2>, two bytes each. */
    PL_ENSURE(list.len >= 2 && list.len % 2 == 0, PL_ERR_DECODE, "compress_certificate list has a bad length (%zu)", list.len);
    while (list.len) {
        PL_GUARD(pl_cur_u16(&list, &a));
        if (a >= 1 && a <= PL_CC_MAX) *algs |= 1u << a;
    }
    return 0;
}

int pl_cc_decode(unsigned offered, const uint8_t *body, size_t len, pl_buf *out, int *alg)
{
    pl_compressed_certificate cc;
    PL_GUARD(pl_compressed_certificate_parse(body, len, &cc));
    /* RFC 8879 4: the algorithm MUST be one of those we listed. */
    PL_ENSURE(cc.alg >= 1 && cc.alg <= PL_CC_MAX && (offered >> cc.alg & 1), PL_ERR_ILLEGAL_PARAMETER,
              "CompressedCertificate uses algorithm %u, which was not offered", cc.alg);
    /* The declared length is checked before anything is allocated: at most
     * what an uncompressed Certificate may be (PL_MAX_HS_MESSAGE, the
     * reassembly limit), and never 0 (no Certificate is empty). */
    PL_ENSURE(cc.uncompressed_len >= 1 && cc.uncompressed_len <= PL_MAX_HS_MESSAGE, PL_ERR_BAD_CERTIFICATE,
              "CompressedCertificate declares %u uncompressed bytes (1..%u allowed)", cc.uncompressed_len, PL_MAX_HS_MESSAGE);
    pl_buf_reset(out);
    PL_GUARD(pl_buf_reserve(out, cc.uncompressed_len));
    PL_GUARD(pl_cc_decompress(cc.alg, cc.data.p, cc.data.len, out->data, cc.uncompressed_len));
    out->len = cc.uncompressed_len;
    *alg = cc.alg;
    return 0;
}

int pl_cc_ext_text(pl_cursor exts, char *out, size_t cap)
{
    uint16_t type, a;
    pl_cursor body, list;
    size_t n = 0;
    out[0] = 0;
    while (exts.len && pl_cur_u16(&exts, &type) == 0 && pl_cur_vec16(&exts, &body) == 0) {
        if (type != PL_EXT_COMPRESS_CERTIFICATE) continue;
        if (pl_cur_vec8(&body, &list) < 0) return 0;
        while (list.len >= 2 && pl_cur_u16(&list, &a) == 0 && n + 8 < cap) {
            const char *nm = pl_cc_name(a);
            int k = nm ? snprintf(out + n, cap - n, "%s%s", n ? " " : "", nm) : snprintf(out + n, cap - n, "%s0x%04x", n ? " " : "", a);
            if (k < 0 || (size_t)k >= cap - n) break;
            n += (size_t)k;
        }
        return 1;
    }
    return 0;
}

int pl_cc_write_ext(parley_conn *c, pl_buf *b)
{
    uint8_t algs[PL_CC_MAX];
    size_t n = pl_cc_config_algs(c->cfg, algs), m, m2;
    if (n == 0) return 0;
    PL_GUARD(pl_buf_u16(b, PL_EXT_COMPRESS_CERTIFICATE));
    PL_GUARD(pl_buf_open(b, 2, &m));
    PL_GUARD(pl_buf_open(b, 1, &m2));
    c->hs->cc_offered = 0;
    for (size_t i = 0; i < n; i++) {
        PL_GUARD(pl_buf_u16(b, algs[i]));
        c->hs->cc_offered |= (uint8_t)(1u << algs[i]);
    }
    PL_GUARD(pl_buf_close(b, 1, m2));
    return pl_buf_close(b, 2, m);
}

/* Our first algorithm the peer listed. */
static void pl_cc_pick(parley_conn *c, unsigned peer)
{
    uint8_t algs[PL_CC_MAX];
    size_t n = pl_cc_config_algs(c->cfg, algs);
    c->hs->cc_send_alg = 0;
    for (size_t i = 0; i < n && !c->hs->cc_send_alg; i++)
        if (peer >> algs[i] & 1) c->hs->cc_send_alg = algs[i];
}

int pl_cc_choose(parley_conn *c, pl_cursor exts)
{
    /* The block was walked when its message was parsed: well formed, no
     * duplicates, so the first compress_certificate is the only one. */
    while (exts.len) {
        uint16_t type;
        pl_cursor body;
        unsigned peer;
        PL_GUARD(pl_cur_u16(&exts, &type));
        PL_GUARD(pl_cur_vec16(&exts, &body));
        if (type != PL_EXT_COMPRESS_CERTIFICATE) continue;
        PL_GUARD(pl_cc_ext_parse(body, &peer));
        pl_cc_pick(c, peer);
        return 0;
    }
    c->hs->cc_send_alg = 0;
    return 0;
}

int pl_cc_choose_cr(parley_conn *c, const uint8_t *body, size_t len)
{
    pl_cursor cur = pl_cur(body, len), ctx, exts;
    /* Already parsed and walked by pl_certificate_request_parse. */
    PL_GUARD(pl_cur_vec8(&cur, &ctx));
    PL_GUARD(pl_cur_vec16(&cur, &exts));
    return pl_cc_choose(c, exts);
}

/* The trace shows the certificates of the uncompressed body (trace.c). */
static void pl_cc_trace(parley_conn *c, int sent, const uint8_t *body, size_t len)
{
    pl_trace_cert_compression(c, sent, c->cc[sent].alg, c->cc[sent].plain, c->cc[sent].wire, body, len);
}

int pl_cc_send_certificate(parley_conn *c, pl_cert_entry *e, int stapled)
{
    const pl_buf *plain = stapled ? &e->cert_msg_ocsp : &e->cert_msg;
    const pl_buf *z = c->hs->cc_send_alg ? pl_cc_entry_get(c->cfg, e, stapled, c->hs->cc_send_alg) : NULL;
    if (!z) return pl_conn_send_handshake(c, PL_HS_CERTIFICATE, plain->data, plain->len);
    PL_GUARD(pl_conn_send_handshake(c, PL_HS_COMPRESSED_CERTIFICATE, z->data, z->len));
    c->cc[1].alg = c->hs->cc_send_alg;
    c->cc[1].plain = (uint32_t)plain->len;
    c->cc[1].wire = (uint32_t)z->len;
    pl_cc_trace(c, 1, plain->data, plain->len);
    return 0;
}

int pl_cc_certificate_body(parley_conn *c, const uint8_t *msg, size_t len, const uint8_t **body, size_t *blen)
{
    int alg;
    if (msg[0] != PL_HS_COMPRESSED_CERTIFICATE) {
        *body = msg + 4;
        *blen = len - 4;
        return 0;
    }
    PL_GUARD(pl_cc_decode(c->hs->cc_offered, msg + 4, len - 4, &c->hs->cc_plain, &alg));
    *body = c->hs->cc_plain.data;
    *blen = c->hs->cc_plain.len;
    c->cc[0].alg = (uint8_t)alg;
    c->cc[0].plain = (uint32_t)c->hs->cc_plain.len;
    c->cc[0].wire = (uint32_t)(len - 4);
    pl_cc_trace(c, 0, *body, *blen);
    return 0;
}

int pl_cc_accepts(const parley_conn *c, uint8_t type, uint8_t expect, uint8_t expect_alt)
{
    return type == PL_HS_COMPRESSED_CERTIFICATE && (expect == PL_HS_CERTIFICATE || expect_alt == PL_HS_CERTIFICATE) &&
           c->hs->cc_offered && c->version == PARLEY_TLS1_3;
}

const char *parley_conn_cert_compression(const parley_conn *conn, int ours, size_t *uncompressed, size_t *compressed)
{
    int i = ours ? 1 : 0;
    if (uncompressed) *uncompressed = conn->cc[i].plain;
    if (compressed) *compressed = conn->cc[i].wire;
    return conn->cc[i].alg ? pl_cc_name(conn->cc[i].alg) : NULL;
}
