/*
 * early_data.h - the client's 0-RTT early data (early_client.c; RFC 8446
 * 2.3, 4.2.10, 4.5, D.4), as the TLS 1.3 client table and the connection
 * call it. The state lives in pl_hs (early_state, early_suite) and the
 * connection (early_status, early_out).
 */
#ifndef PL_EARLY_DATA_H
#define PL_EARLY_DATA_H

#include "../internal.h"

enum { PL_EARLY_NONE = 0, PL_EARLY_PENDING, PL_EARLY_NO_PSK, PL_EARLY_ACCEPTED, PL_EARLY_REJECTED };
/* The most a client takes to send as early data (parley_conn_set_early_data). */
#define PL_MAX_CLIENT_EARLY_DATA (64 * 1024)
/* Decide, for a first ClientHello whose PSK offer is decided, whether it offers early data. */
void pl_client13_early_decide(parley_conn *c);
PL_MUST_CHECK int pl_client13_write_early_ext(parley_conn *c, pl_buf *b);
/* After the ClientHello: CCS, early traffic keys, the data. */
PL_MUST_CHECK int pl_client13_send_early(parley_conn *c);
/* HelloRetryRequest: no early data in the second ClientHello, which goes in plaintext. */
void pl_client13_early_hrr(parley_conn *c);
/* A TLS 1.2 ServerHello: fatal if early data went out (RFC 8446 D.3). */
PL_MUST_CHECK int pl_client13_early_tls12(parley_conn *c);
/* ServerHello: 1 when the write keys must stay the early ones until EncryptedExtensions. */
int pl_client13_early_sh(parley_conn *c, int psk_selected, uint16_t suite);
/* EncryptedExtensions: the server's answer (has_early_data), checked. */
PL_MUST_CHECK int pl_client13_early_ee(parley_conn *c, int has_early_data);
/* After the server's Finished: EndOfEarlyData under the early keys, then handshake write keys. */
PL_MUST_CHECK int pl_client13_end_early(parley_conn *c);
/* The handshake is done: the copy of the early data is dropped (data not
 * accepted is never resent by the library, RFC 8446 4.2.10). */
void pl_client_early_after_handshake(parley_conn *c);

#endif
