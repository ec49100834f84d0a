/* client_early.c - see client_early.h. */
#include "client_early.h"

#include <stdio.h>
#include <string.h>

/* --early-data not accepted in 0-RTT: the library leaves the decision to
 * the application (RFC 8446 4.2.10: it MUST NOT resend unless the same ALPN
 * protocol is negotiated). The data is the request the user asked to send,
 * so the tool sends it now, before anything else, with a note (and a warning
 * when the ALPN protocol differs from the previous connection's, the one
 * that made the session, when this run knows it). */
int tool_early_fallback(parley_conn *c, const uint8_t *data, size_t len)
{
    static char prev_alpn[256];
    static int prev_known;
    const char *alpn = parley_conn_alpn(c);
    int st = parley_conn_early_data_status(c), rc = PARLEY_OK;
    if (st != PARLEY_EARLY_DATA_ACCEPTED) {
        fprintf(stderr, "parley: early data %s: sending it after the handshake (ALPN %s)\n",
                st == PARLEY_EARLY_DATA_REJECTED ? "rejected" : "not offered", alpn ? alpn : "none");
        if (prev_known && strcmp(prev_alpn, alpn ? alpn : "") != 0)
            fprintf(stderr, "parley: note: the ALPN protocol changed from '%s' to '%s' since the session was made\n",
                    prev_alpn[0] ? prev_alpn : "none", alpn ? alpn : "none");
        if (len) rc = parley_fd_write(c, data, len);
    }
    snprintf(prev_alpn, sizeof prev_alpn, "%s", alpn ? alpn : "");
    prev_known = 1;
    return rc;
}
