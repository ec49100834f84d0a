/*
 * trace.c - structured handshake events for the trace callback. The detail
 * text is built only when a callback is set; it re-reads each message with
 * the same parsers the state machines use (so a trace can never show fields
 * the handshake did not see).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "handshake/cert_compress.h"
#include "handshake/messages.h"
#include "internal.h"

typedef struct {
    char *p;
    size_t cap, len;
} pl_text;

static void pl_tx(pl_text *t, const char *fmt, ...) PL_PRINTF(2, 3);
static void pl_tx(pl_text *t, const char *fmt, ...)
{
    va_list ap;
    if (t->len >= t->cap) return;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

static void pl_tx_hex(pl_text *t, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) pl_tx(t, "%02x", p[i]);
}

static void pl_tx_list(pl_text *t, const char *label, pl_cursor l, const char *(*name)(uint16_t))
{
    uint16_t v;
    pl_tx(t, "%s:", label);
    while (l.len >= 2 && pl_cur_u16(&l, &v) == 0) {
        const char *n = name(v);
        if (strcmp(n, "unknown") == 0) pl_tx(t, " 0x%04x", v);
        else pl_tx(t, " %s", n);
    }
    pl_tx(t, "\n");
}

/* A group value a peer sent: named groups by name, anything else (the
 * local PARLEY_GROUP_MODP* labels included, never on the wire) in hex. */
static void pl_tx_group(pl_text *t, uint16_t g)
{
    const char *n = pl_group_wire_name(g);
    if (strcmp(n, "unknown") == 0) pl_tx(t, "0x%04x", g);
    else pl_tx(t, "%s", n);
}

static const char *pl_vname(uint16_t v) { return parley_version_name(v); }

static void pl_tx_alpn(pl_text *t, pl_cursor l)
{
    pl_cursor n;
    pl_tx(t, "alpn:");
    while (l.len && pl_cur_vec8(&l, &n) == 0) pl_tx(t, " %.*s", (int)n.len, (const char *)n.p);
    pl_tx(t, "\n");
}

/* A Certificate body: each certificate's subject, issuer and validity. */
static int pl_tx_certs(pl_text *t, const uint8_t *b, size_t bl, int v12)
{
    pl_certificate ct;
    if ((v12 ? pl_certificate12_parse(b, bl, &ct) : pl_certificate_parse(b, bl, &ct)) < 0) return -1;
    pl_tx(t, "certificates: %zu\n", ct.n);
    for (size_t i = 0; i < ct.n; i++) {
        char s[256], is[256], nb[40], na[40];
        if (pl_cert_describe(ct.certs[i].p, ct.certs[i].len, s, sizeof s, is, sizeof is, nb, sizeof nb, na, sizeof na) == 0)
            pl_tx(t, "[%zu] subject: %s\n    issuer: %s\n    valid: %s .. %s\n", i, s, is, nb, na);
    }
    return 0;
}

static void pl_describe(parley_conn *c, pl_text *t, const uint8_t *msg, size_t len)
{
    const uint8_t *b = msg + 4;
    size_t bl = len - 4;
    int v12 = c->version == PARLEY_TLS1_2;
    switch (msg[0]) {
    case PL_HS_CLIENT_HELLO: {
        pl_client_hello ch;
        if (pl_client_hello_parse(b, bl, &ch) < 0) break;
        pl_tx(t, "random: ");
        pl_tx_hex(t, ch.random, 32);
        pl_tx(t, "\nsession_id: %zu bytes\n", ch.session_id.len);
        pl_tx_list(t, "cipher_suites", ch.suites, parley_cipher_name);
        if (ch.has_sni) pl_tx(t, "server_name: %s\n", ch.sni);
        if (ch.has_versions) pl_tx_list(t, "supported_versions", ch.versions, pl_vname);
        if (ch.has_groups) pl_tx_list(t, "supported_groups", ch.groups, pl_group_wire_name);
        if (ch.has_key_share) {
            pl_cursor l = ch.key_shares, ke;
            uint16_t g;
            pl_tx(t, "key_share:");
            while (l.len && pl_cur_u16(&l, &g) == 0 && pl_cur_vec16(&l, &ke) == 0) {
                pl_tx(t, " ");
                pl_tx_group(t, g);
                pl_tx(t, " (%zu bytes)", ke.len);
            }
            pl_tx(t, "\n");
        }
        if (ch.has_sigalgs) pl_tx_list(t, "signature_algorithms", ch.sigalgs, parley_sigscheme_name);
        if (ch.has_alpn) pl_tx_alpn(t, ch.alpn);
        if (ch.has_cookie) pl_tx(t, "cookie: %zu bytes\n", ch.cookie.len);
        if (ch.has_psk) pl_tx(t, "pre_shared_key: %zu identities offered\n", ch.psk_count);
        char cc[64];
        if (pl_cc_ext_text(ch.exts, cc, sizeof cc)) pl_tx(t, "compress_certificate: %s\n", cc);
        return;
    }
    case PL_HS_CERTIFICATE_REQUEST: {
        /* TLS 1.3 (context, extensions): RFC 8879's offer for client certificates. */
        pl_cursor cr = pl_cur(b, bl), ctx, exts;
        char cc[64];
        if (v12) return; /* the 1.2 message has no extensions */
        if (pl_cur_vec8(&cr, &ctx) < 0 || pl_cur_vec16(&cr, &exts) < 0) break;
        if (pl_cc_ext_text(exts, cc, sizeof cc)) pl_tx(t, "compress_certificate: %s\n", cc);
        return;
    }
    case PL_HS_COMPRESSED_CERTIFICATE: {
        pl_compressed_certificate z;
        if (pl_compressed_certificate_parse(b, bl, &z) < 0) break;
        pl_tx(t, "algorithm: %s\nuncompressed_length: %u\ncompressed: %zu bytes\n",
              pl_cc_name(z.alg) ? pl_cc_name(z.alg) : "unknown", z.uncompressed_len, z.data.len);
        return;
    }
    case PL_HS_SERVER_HELLO: {
        pl_server_hello sh;
        if (pl_server_hello_parse(b, bl, &sh) < 0) break;
        if (sh.is_hrr) pl_tx(t, "HelloRetryRequest\n");
        else {
            pl_tx(t, "random: ");
            pl_tx_hex(t, sh.random, 32);
            pl_tx(t, "\n");
        }
        pl_tx(t, "cipher_suite: %s\n", parley_cipher_name(sh.suite));
        if (sh.version) pl_tx(t, "version: %s\n", parley_version_name(sh.version));
        if (sh.has_key_share) {
            pl_tx(t, "%s: ", sh.is_hrr ? "selected_group" : "key_share");
            pl_tx_group(t, sh.group);
            if (sh.is_hrr) pl_tx(t, "\n");
            else pl_tx(t, " (%zu bytes)\n", sh.share.len);
        }
        if (sh.has_cookie) pl_tx(t, "cookie: %zu bytes\n", sh.cookie.len);
        /* RFC 8446 4.2.11: the server resumes with the PSK it selected. */
        if (sh.has_psk) pl_tx(t, "pre_shared_key: identity %u selected (resumption)\n", sh.psk_identity);
        return;
    }
    case PL_HS_ENCRYPTED_EXTENSIONS: {
        pl_encrypted_extensions ee;
        if (pl_encrypted_extensions_parse(b, bl, &ee) < 0) break;
        if (ee.has_alpn) pl_tx(t, "alpn: %.*s\n", (int)ee.alpn.len, (const char *)ee.alpn.p);
        if (ee.has_sni_ack) pl_tx(t, "server_name: acknowledged\n");
        return;
    }
    case PL_HS_CERTIFICATE:
        if (pl_tx_certs(t, b, bl, v12) < 0) break;
        return;
    case PL_HS_CERTIFICATE_VERIFY: {
        pl_certificate_verify cv;
        if (pl_certificate_verify_parse(b, bl, &cv) < 0) break;
        pl_tx(t, "signature_scheme: %s\nsignature: %zu bytes\n", parley_sigscheme_name(cv.scheme), cv.signature.len);
        return;
    }
    case PL_HS_FINISHED:
        pl_tx(t, "verify_data: ");
        pl_tx_hex(t, b, bl);
        pl_tx(t, "\n");
        return;
    case PL_HS_NEW_SESSION_TICKET: {
        pl_new_session_ticket nst;
        if (v12) {
            /* RFC 5077 3.3: only ticket_lifetime_hint and the ticket; the
             * TLS 1.3 parser (age_add, nonce, extensions) calls it malformed. */
            uint32_t hint;
            pl_cursor tk;
            if (pl_new_session_ticket12_parse(b, bl, &hint, &tk) < 0) break;
            pl_tx(t, "lifetime_hint: %u s\nticket: %zu bytes\n", hint, tk.len);
            return;
        }
        if (pl_new_session_ticket_parse(b, bl, &nst) < 0) break;
        pl_tx(t, "lifetime: %u s\nticket: %zu bytes\n", nst.lifetime, nst.ticket.len);
        return;
    }
    case PL_HS_SERVER_KEY_EXCHANGE: {
        pl_server_key_exchange ske;
        const pl_suite *s = pl_suite_find(c->suite);
        if (!s || pl_server_key_exchange_parse(b, bl, s->kx, &ske) < 0) break;
        if (s->kx == PL_KX_ECDHE) {
            pl_tx(t, "curve: ");
            pl_tx_group(t, ske.group);
            pl_tx(t, "\npublic: %zu bytes\n", ske.point.len);
        }
        else pl_tx(t, "dh_p: %zu bits\ndh_Ys: %zu bytes\n", ske.dh_p.len * 8, ske.dh_ys.len);
        pl_tx(t, "signature_scheme: %s\nsignature: %zu bytes\n", parley_sigscheme_name(ske.scheme), ske.signature.len);
        return;
    }
    case PL_HS_CLIENT_KEY_EXCHANGE: {
        const pl_suite *s = pl_suite_find(c->suite);
        pl_cursor v;
        if (!s || pl_client_key_exchange_parse(b, bl, s->kx, &v) < 0) break;
        pl_tx(t, "%s: %zu bytes\n", s->kx == PL_KX_RSA ? "encrypted premaster" : "public", v.len);
        return;
    }
    case PL_HS_SERVER_HELLO_DONE:
        return;
    case PL_HS_KEY_UPDATE:
        if (bl == 1) pl_tx(t, "request_update: %s\n", b[0] ? "update_requested" : "update_not_requested");
        return;
    default:
        return;
    }
    pl_tx(t, "(malformed)\n");
}

void pl_trace(parley_conn *c, int kind, int msg_type, const char *name, size_t len, const char *detail)
{
    parley_config *cfg = c->cfg;
    if (!cfg->trace) return;
    parley_trace_event ev = {kind, msg_type, name, len, detail ? detail : ""};
    cfg->trace(cfg->trace_arg, c, &ev);
}

void pl_trace_handshake(parley_conn *c, int sent, const uint8_t *msg, size_t len)
{
    char buf[4096];
    pl_text t = {buf, sizeof buf, 0};
    if (!c->cfg->trace) return;
    buf[0] = 0;
    pl_describe(c, &t, msg, len);
    const char *name = pl_hs_type_name(msg[0]);
    if (msg[0] == PL_HS_SERVER_HELLO && len >= 4 + 2 + 32 && memcmp(msg + 6, pl_hrr_random, 32) == 0)
        name = "HelloRetryRequest";
    pl_trace(c, sent ? PARLEY_TRACE_MESSAGE_SENT : PARLEY_TRACE_MESSAGE_RECEIVED, msg[0], name, len, buf);
}

/* RFC 8879: the Certificate inside a CompressedCertificate is never a
 * message of its own on the wire, so the trace of the compression carries
 * the certificates (subject, issuer, validity) of the uncompressed body. */
void pl_trace_cert_compression(parley_conn *c, int sent, int alg, size_t plain, size_t wire, const uint8_t *body, size_t len)
{
    char buf[4096];
    pl_text t = {buf, sizeof buf, 0};
    if (!c->cfg->trace) return;
    buf[0] = 0;
    pl_tx(&t, "%s (%zu -> %zu bytes)\n", pl_cc_name(alg) ? pl_cc_name(alg) : "unknown", plain, wire);
    if (pl_tx_certs(&t, body, len, 0) < 0) pl_tx(&t, "(malformed)\n");
    pl_trace(c, PARLEY_TRACE_INFO, PL_HS_COMPRESSED_CERTIFICATE, sent ? "certificate compressed" : "certificate decompressed", 0, buf);
}
