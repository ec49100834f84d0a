/*
 * handshake/exporter.c - keying material exporters: RFC 8446 7.5 (TLS 1.3)
 * and RFC 5705 (TLS 1.2, only with the extended master secret: RFC 7627
 * 5.4). What they need outlives the handshake state: pl_exporter_keep copies
 * it onto the connection as the handshake completes (parley_conn_free wipes
 * the whole connection). The early exporter (RFC 8446 7.5,
 * early_exporter_master_secret) is not offered: Parley accepts no 0-RTT data.
 */
#include <string.h>

#include "../internal.h"
#include "prf12.h"

void pl_exporter_keep(parley_conn *c)
{
    pl_hs *hs = c->hs;
    c->exp_hash = 0;
    if (!hs) return;
    if (c->version == PARLEY_TLS1_3 && hs->ks.stage == PL_KS_MASTER) {
        memcpy(c->exp_secret, hs->ks.exporter, hs->ks.hlen);
        c->exp_hash = hs->ks.hash;
    } else if (c->version == PARLEY_TLS1_2 && hs->hash) {
        /* RFC 5705 4: PRF(master_secret, label, client_random + server_random
         * [+ context]); a resumed session has its old master secret and
         * this connection's randoms. */
        memcpy(c->exp_secret, hs->master, 48);
        memcpy(c->exp_randoms, hs->client_random, 32);
        memcpy(c->exp_randoms + 32, hs->server_random, 32);
        c->exp_hash = hs->hash;
    }
}

/* RFC 5705 4: labels the TLS PRF uses itself (RFC 5246, RFC 7627) must not
 * be exporter labels: an exporter under them could reproduce the key block,
 * the Finished values or the master secret's derivation. */
static int pl_label_reserved(const char *label)
{
    static const char *const reserved[] = {"client finished", "server finished", "master secret",
                                           "key expansion", "extended master secret"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(label, reserved[i]) == 0) return 1;
    return 0;
}

static int pl_export13(parley_conn *c, const char *label, const uint8_t *ctx, size_t ctxlen, uint8_t *out, size_t len)
{
    /* TLS-Exporter(label, context, length) = HKDF-Expand-Label(
     *     Derive-Secret(exporter_master_secret, label, ""), "exporter",
     *     Hash(context), length); no context is the same as an empty one. */
    uint8_t empty[PL_MAX_HASH], hc[PL_MAX_HASH], tmp[PL_MAX_HASH];
    int h = c->exp_hash;
    PL_GUARD(pl_hash(h, (const uint8_t *)"", 0, empty));
    PL_GUARD(pl_hash(h, ctx ? ctx : (const uint8_t *)"", ctxlen, hc));
    int rc = pl_ks13_derive_secret(h, c->exp_secret, label, empty, tmp);
    if (rc == 0) rc = pl_ks13_expand_label(h, tmp, "exporter", hc, pl_hash_len(h), out, len);
    pl_cleanse(tmp, sizeof tmp);
    return rc;
}

static int pl_export12(parley_conn *c, const char *label, const uint8_t *ctx, size_t ctxlen, int use_ctx, uint8_t *out,
                       size_t len)
{
    /* seed = label || client_random || server_random [|| uint16 length || context] */
    size_t ll = strlen(label), sl = ll + 64 + (use_ctx ? 2 + ctxlen : 0);
    uint8_t *seed = pl_malloc(sl);
    PL_ENSURE(seed, PL_ERR_NOMEM, "out of memory for the exporter seed");
    memcpy(seed, label, ll);
    memcpy(seed + ll, c->exp_randoms, 64);
    if (use_ctx) {
        seed[ll + 64] = (uint8_t)(ctxlen >> 8);
        seed[ll + 65] = (uint8_t)ctxlen;
        if (ctxlen) memcpy(seed + ll + 66, ctx, ctxlen);
    }
    int rc = pl_prf12_seed(c->exp_hash, c->exp_secret, 48, seed, sl, out, len);
    pl_free(seed);
    return rc;
}

static int pl_export_refuse(parley_conn *c, const char *why)
{
    /* A refusal, not a failure: the connection goes on (parley.h). */
    return pl_conn_refuse(c, "keying material export refused: %s", why);
}

int parley_conn_export_keying_material(parley_conn *c, const char *label, const uint8_t *context, size_t context_len,
                                       int use_context, uint8_t *out, size_t len)
{
    if (!c || !label || !out) return PARLEY_ERROR;
    if (c->failed) return PARLEY_ERROR;
    (void)pl_conn_refuse(c, NULL); /* the refusal text is this call's */
    if (!c->hs_done) return pl_export_refuse(c, "the handshake is not complete");
    /* RFC 7627 5.4: no export from a TLS 1.2 session without EMS. */
    if (!pl_conn_export_allowed(c))
        return pl_export_refuse(c, "the TLS 1.2 handshake did not use the extended master secret (RFC 7627 5.4)");
    if (!c->exp_hash) return pl_export_refuse(c, "no exporter secret was kept");
    size_t ll = strlen(label);
    /* An empty label: RFC 5705 4 does not forbid one, and BoringSSL and
     * OpenSSL export under it (BoGo's runner does). In TLS 1.3 "tls13 " + ""
     * is 6 bytes, one short of HkdfLabel's label<7..255> (RFC 8446 7.1); the
     * encoding is unambiguous and both peers derive the same bytes, so it is
     * allowed for interoperability. */
    if (ll > PARLEY_EXPORT_MAX_LABEL) return pl_export_refuse(c, "the label must have at most 249 bytes");
    if (pl_label_reserved(label)) return pl_export_refuse(c, "the label is reserved for the TLS PRF (RFC 5705 4)");
    if (len == 0 || len > PARLEY_EXPORT_MAX) return pl_export_refuse(c, "the length must be 1 to 8160 bytes");
    if (context_len > 0xffff || (context_len && !context))
        return pl_export_refuse(c, "the context must have at most 65535 bytes (RFC 5705 4)");
    int rc = c->version == PARLEY_TLS1_3 ? pl_export13(c, label, context, context_len, out, len)
                                         : pl_export12(c, label, context, context_len, use_context, out, len);
    if (rc < 0) {
        pl_cleanse(out, len);
        return pl_export_refuse(c, pl_last_message()[0] ? pl_last_message() : "internal error");
    }
    return PARLEY_OK;
}
