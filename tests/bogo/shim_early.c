/*
 * shim_early.c - 0-RTT in the shim (RFC 8446 2.3, 4.2.10). Client: on a
 * resumption with -enable-early-data, the first write ("hello" under
 * -shim-writes-first) goes as early data; if the server does not take it,
 * it is written again after the handshake (BoringSSL's retry; Parley never
 * resends early data itself). Server: early data read during the handshake
 * is echoed (XOR 0xff) at once, as 0.5-RTT data, before the handshake goes on.
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

int shim_early_offer(parley_conn *conn, const shim_opts *o, int is_resume, int have_session)
{
    if (o->is_server || !is_resume || !have_session || !o->enable_early_data || !o->shim_writes_first) return 0;
    return parley_conn_set_early_data(conn, (const uint8_t *)"hello", 5) == PARLEY_OK;
}

int shim_early_collect(parley_conn *conn, shim_early_buf *eb)
{
    for (;;) {
        size_t n = 0;
        if (eb->len == sizeof eb->data) return -1;
        int rc = parley_conn_read_early_data(conn, eb->data + eb->len, sizeof eb->data - eb->len, &n);
        if (rc == PARLEY_WANT_READ) break;
        if (rc != PARLEY_OK) return -1;
        eb->len += n;
    }
    /* The echo goes now, as 0.5-RTT data (RFC 8446 2.3): the runner reads
     * it before it sends its EndOfEarlyData and Finished. */
    for (size_t i = 0; i < eb->len; i++) eb->data[i] ^= 0xff;
    int rc = eb->len ? parley_fd_write(conn, eb->data, eb->len) : PARLEY_OK;
    eb->len = 0;
    return rc == PARLEY_OK ? 0 : -1;
}

int shim_early_check(parley_conn *conn, const shim_opts *o)
{
    int st = parley_conn_early_data_status(conn);
    if (o->expect_accept_early_data && st != PARLEY_EARLY_DATA_ACCEPTED) {
        fprintf(stderr, "shim: expectation failed: early data was not accepted\n");
        return SHIM_FAIL;
    }
    /* As BoringSSL's shim: "rejected" is "not accepted" (also not offered,
     * as on the first connection of EarlyData-NonZeroRTTSession-Server). */
    if (o->expect_reject_early_data && st == PARLEY_EARLY_DATA_ACCEPTED) {
        fprintf(stderr, "shim: expectation failed: early data was not rejected\n");
        return SHIM_FAIL;
    }
    /* BoringSSL's reasons are its own enum; Parley's status tells three of
     * its classes apart: accepted; (client) never offered, for a reason of
     * its own (off, no session, a session or version that cannot carry it,
     * an ALPN protocol that no longer fits); offered and declined by the
     * server. A server sees accepted or not. */
    if (o->expect_early_data_reason) {
        const char *r = o->expect_early_data_reason;
        int want;
        if (strcmp(r, "accept") == 0)
            want = PARLEY_EARLY_DATA_ACCEPTED;
        else if (!o->is_server && (strcmp(r, "disabled") == 0 || strcmp(r, "no_session_offered") == 0 ||
                                   strcmp(r, "unsupported_for_session") == 0 || strcmp(r, "protocol_version") == 0 ||
                                   strcmp(r, "alpn_mismatch") == 0))
            want = PARLEY_EARLY_DATA_NOT_OFFERED;
        else if (!o->is_server)
            want = PARLEY_EARLY_DATA_REJECTED;
        else
            want = -1; /* a server: anything but accepted */
        if (want >= 0 ? st != want : st == PARLEY_EARLY_DATA_ACCEPTED) {
            fprintf(stderr, "shim: expectation failed: early data reason %s, but the status is %d\n", r, st);
            return SHIM_FAIL;
        }
    }
    if (o->expect_no_offer_early_data && !o->is_server && st != PARLEY_EARLY_DATA_NOT_OFFERED) {
        fprintf(stderr, "shim: expectation failed: early data was offered\n");
        return SHIM_FAIL;
    }
    return SHIM_OK;
}
