/*
 * record_size_limit.h - the record_size_limit extension (RFC 8449), both
 * roles, both versions: the extension's body, what each side advertises and
 * accepts, how large the records we send may be under the peer's limit, and
 * our own limit held against the peer's records. record_size_limit.c.
 */
#ifndef PL_RECORD_SIZE_LIMIT_H
#define PL_RECORD_SIZE_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "../../include/parley/parley.h"
#include "../util/buf.h"
#include "../util/cursor.h"

/* RFC 8449 4: no value below 64; the protocol-defined maximum is 2^14 in
 * TLS 1.2 and 2^14 + 1 in TLS 1.3 (the limit counts TLSInnerPlaintext:
 * content, type byte and padding). */
#define PL_RSL_MIN 64
#define PL_RSL_MAX12 16384
#define PL_RSL_MAX13 16385

/* The extension body: a uint16 RecordSizeLimit and nothing else
 * (decode_error), at least 64 (illegal_parameter). Pure: for the ClientHello,
 * EncryptedExtensions and TLS 1.2 ServerHello parsers (and the fuzzer). */
PL_MUST_CHECK int pl_rsl_parse(pl_cursor *body, uint16_t *value);

/* Client: record_size_limit for the ClientHello (nothing when the config
 * turned it off); remembers what was advertised. */
PL_MUST_CHECK int pl_rsl_client_offer(parley_conn *c, pl_buf *b);
/* Client: the server's value from EncryptedExtensions or the TLS 1.2
 * ServerHello (0: absent), after c->version is set. */
PL_MUST_CHECK int pl_rsl_client_accept(parley_conn *c, uint16_t value);
/* Server: the client's record_size_limit (ch->record_size_limit, 0:
 * absent) once the version is chosen (PARLEY_TLS1_2 / PARLEY_TLS1_3);
 * decides what the server answers. */
struct pl_client_hello_s;
void pl_rsl_server_accept(parley_conn *c, const struct pl_client_hello_s *ch, uint16_t version);
/* Server: our answer in EncryptedExtensions / the TLS 1.2 ServerHello, if any. */
PL_MUST_CHECK int pl_rsl_server_write(const parley_conn *c, pl_buf *b);

/* Sending: the most content one protected record may carry under the peer's
 * limit (2^14 when none was negotiated), and in TLS 1.3 the most
 * TLSInnerPlaintext (content, type and padding) may take. */
size_t pl_rsl_content_max(const parley_conn *c);
size_t pl_rsl_inner_max(const parley_conn *c);
/* Receiving: a protected record that opened with n bytes of plaintext (TLS
 * 1.3: the whole TLSInnerPlaintext, padding included) is held to the limit we
 * advertised once the peer knows it: record_overflow beyond it. */
PL_MUST_CHECK int pl_rsl_check_received(parley_conn *c, size_t n);
/* Server, records under the 0-RTT key: held to the ticket's limit
 * (hs->ed_rsl, RFC 8449 4), record_overflow beyond it. */
PL_MUST_CHECK int pl_rsl_check_early(parley_conn *c, size_t n);
/* The smallest content per record a peer can make a connection of this
 * config use (for the output cap, config.c). */
size_t pl_rsl_min_content(const parley_config *cfg);

#endif
