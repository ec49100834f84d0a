/*
 * record_size_limit.c - the record_size_limit extension (RFC 8449); see
 * record_size_limit.h. Negotiated when the client sends it and the server
 * answers (in EncryptedExtensions in TLS 1.3, in the ServerHello in TLS 1.2);
 * then each side keeps its protected records within the other's limit, and
 * a record beyond our own limit is record_overflow. Unprotected records are
 * never subject to it (RFC 8449 4). max_fragment_length (RFC 6066 4), which
 * RFC 8449 5 deprecates, is not implemented: a client never sends it (so the
 * client's "both extensions received" error cannot arise: the server's
 * max_fragment_length alone is already unsupported_extension) and a server
 * ignores it, as 8449 5 requires when both appear.
 */
#include <stdio.h>

#include "../config_internal.h"
#include "../internal.h"
#include "messages.h"
#include "record_size_limit.h"

int pl_rsl_parse(pl_cursor *body, uint16_t *value)
{
    PL_GUARD(pl_cur_u16(body, value));
    PL_GUARD(pl_cur_expect_empty(body));
    /* RFC 8449 4: "An endpoint MUST treat receipt of a smaller value as a
     * fatal error and generate an illegal_parameter alert." */
    PL_ENSURE(*value >= PL_RSL_MIN, PL_ERR_ILLEGAL_PARAMETER, "record_size_limit of %u is below the minimum of %u (RFC 8449 4)",
              *value, PL_RSL_MIN);
    return 0;
}

/* ------------------------------------------------------------ config */

int parley_config_set_record_size_limit(parley_config *cfg, unsigned limit)
{
    PL_CFG_MUTABLE(cfg);
    if (limit && (limit < PL_RSL_MIN || limit > PL_RSL_MAX13))
        return pl_cfg_err(cfg, "record_size_limit must be 0 (off) or 64..16385 (RFC 8449 4)");
    cfg->rsl_off = limit == 0;
    cfg->rsl_limit = (uint16_t)limit;
    return PARLEY_OK;
}

/* What this config advertises when the protocol's maximum is `max` (0:
 * nothing). By default the protocol's maximum: RFC 8449 4 says endpoints
 * SHOULD advertise the extension even without a need to limit records, so
 * that a constrained peer can state its own limit (a server may send it only
 * to a client that sent it). */
static uint16_t pl_rsl_ours(const parley_config *cfg, uint16_t max)
{
    if (cfg->rsl_off) return 0;
    uint16_t v = cfg->rsl_limit ? cfg->rsl_limit : PL_RSL_MAX13;
    return v < max ? v : max;
}

size_t pl_rsl_min_content(const parley_config *cfg)
{
    /* A peer may ask for 64 (TLS 1.3: 63 bytes of content and the type). */
    return cfg->rsl_off ? PL_MAX_PLAINTEXT : PL_RSL_MIN - 1;
}

static int pl_rsl_write(pl_buf *b, uint16_t v)
{
    PL_GUARD(pl_buf_u16(b, PL_EXT_RECORD_SIZE_LIMIT));
    PL_GUARD(pl_buf_u16(b, 2));
    return pl_buf_u16(b, v);
}

static void pl_rsl_trace(parley_conn *c)
{
    char d[96];
    if (!c->cfg->trace) return;
    snprintf(d, sizeof d, "peer's %u (our records), ours %u (the peer's records)", c->rsl_peer, c->rsl_recv);
    pl_trace(c, PARLEY_TRACE_INFO, -1, "record_size_limit", 0, d);
}

/* ------------------------------------------------------------ client */

int pl_rsl_client_offer(parley_conn *c, pl_buf *b)
{
    /* The version is not known yet: the larger maximum when TLS 1.3 is
     * offered (a TLS 1.2 server MUST NOT refuse it, RFC 8449 4). */
    c->rsl_sent = pl_rsl_ours(c->cfg, c->hs->offered13 ? PL_RSL_MAX13 : PL_RSL_MAX12);
    return c->rsl_sent ? pl_rsl_write(b, c->rsl_sent) : 0;
}

int pl_rsl_client_accept(parley_conn *c, uint16_t value)
{
    if (!value) return 0;
    /* RFC 8446 4.2 / RFC 5246 7.4.1.4: only extensions the client sent may
     * come back. */
    PL_ENSURE(c->rsl_sent, PL_ERR_UNSUPPORTED_EXTENSION, "server sent record_size_limit, which was not offered");
    uint16_t max = c->version == PARLEY_TLS1_2 ? PL_RSL_MAX12 : PL_RSL_MAX13;
    /* RFC 8449 4: a client MAY abort with illegal_parameter on a value above
     * the negotiated version's maximum; a server has no reason to send one. */
    PL_ENSURE(value <= max, PL_ERR_ILLEGAL_PARAMETER, "server's record_size_limit of %u exceeds the %s maximum of %u (RFC 8449 4)",
              value, parley_version_name(c->version), max);
    c->rsl_peer = value;
    c->rsl_recv = c->rsl_sent < max ? c->rsl_sent : max;
    /* TLS 1.3: the records that brought EncryptedExtensions were already
     * protected, and the server knew our limit when it sealed them. */
    PL_ENSURE(c->rsl_seen <= c->rsl_recv, PL_ERR_RECORD_OVERFLOW,
              "a record of %u bytes (before EncryptedExtensions) exceeds our record_size_limit of %u (RFC 8449 4)", c->rsl_seen,
              c->rsl_recv);
    pl_rsl_trace(c);
    return 0;
}

/* ------------------------------------------------------------ server */

void pl_rsl_server_accept(parley_conn *c, const pl_client_hello *ch, uint16_t version)
{
    uint16_t max = version == PARLEY_TLS1_2 ? PL_RSL_MAX12 : PL_RSL_MAX13, value = ch->record_size_limit;
    uint16_t ours = pl_rsl_ours(c->cfg, max);
    c->rsl_sent = c->rsl_peer = c->rsl_recv = 0;
    /* Turned off: the value is not acted on (no answer, no limit). Its
     * syntax was still checked by the ClientHello parser: Parley understands
     * the extension (RFC 8446 4.2 lets a server ignore only extensions it
     * does not), so a malformed one (a wrong length, a value below 64) is
     * decode_error / illegal_parameter whatever the configuration. */
    if (!value || !ours) return;
    /* A client that offered TLS 1.3 too could not know under which version
     * its value would be read, and some count the TLS 1.3 type byte in it
     * whatever is negotiated: GnuTLS 3.7 advertises N + 1 and then refuses a
     * TLS 1.2 record of N + 1 bytes ("invalid length"). In TLS 1.2 such a
     * client gets one byte less than it allows: still within its limit. */
    if (version == PARLEY_TLS1_2 && ch->has_versions && pl_u16_list_has(ch->versions, PARLEY_TLS1_3) && value > PL_RSL_MIN)
        value--;
    /* RFC 8449 4: "A server MUST NOT enforce this restriction" (a value
     * above the protocol maximum); "an endpoint MUST NOT send records larger
     * than the protocol-defined limit" whatever the peer allows. */
    c->rsl_peer = value < max ? value : max;
    c->rsl_sent = c->rsl_recv = ours;
    pl_rsl_trace(c);
}

int pl_rsl_server_write(const parley_conn *c, pl_buf *b)
{
    return c->rsl_sent ? pl_rsl_write(b, c->rsl_sent) : 0;
}

/* ------------------------------------------------------------ records */

size_t pl_rsl_content_max(const parley_conn *c)
{
    if (!c->rsl_peer) return PL_MAX_PLAINTEXT;
    /* RFC 8449 4: TLS 1.3 counts the content type byte (and padding). */
    return c->wr.tls12 ? c->rsl_peer : (size_t)c->rsl_peer - 1;
}

size_t pl_rsl_inner_max(const parley_conn *c)
{
    return c->rsl_peer ? c->rsl_peer : PL_MAX_PLAINTEXT + 1;
}

int pl_rsl_check_received(parley_conn *c, size_t n)
{
    if (!c->rsl_recv) {
        /* Not negotiated (yet): a TLS 1.3 client remembers what came before
         * EncryptedExtensions, checked there (pl_rsl_client_accept). */
        if (n > c->rsl_seen) c->rsl_seen = (uint16_t)(n < UINT16_MAX ? n : UINT16_MAX);
        return 0;
    }
    /* RFC 8449 4: "A TLS endpoint that receives a record larger than its
     * advertised limit MUST generate a fatal record_overflow alert." Checked
     * after authentication, like the protocol limits (record.c). */
    PL_ENSURE(n <= c->rsl_recv, PL_ERR_RECORD_OVERFLOW, "decrypted record of %zu bytes exceeds our record_size_limit of %u (RFC 8449 4)",
              n, c->rsl_recv);
    return 0;
}

int pl_rsl_check_early(parley_conn *c, size_t n)
{
    /* RFC 8449 4: "Records are subject to the limits that were set in the
     * handshake that produces the keys that are used to protect those
     * records": 0-RTT keys come from the ticket's connection, whose limit
     * the ticket recorded (0: none advertised, the protocol's maximum). */
    uint16_t lim = c->hs ? c->hs->ed_rsl : 0;
    PL_ENSURE(!lim || n <= lim, PL_ERR_RECORD_OVERFLOW,
              "early data record of %zu bytes exceeds the ticket's record_size_limit of %u (RFC 8449 4)", n, lim);
    return 0;
}

void parley_conn_record_size_limit(const parley_conn *c, unsigned *peer, unsigned *ours)
{
    int on = c->rsl_peer != 0;
    if (peer) *peer = on ? c->rsl_peer : 0;
    if (ours) *ours = on ? c->rsl_recv : 0;
}
