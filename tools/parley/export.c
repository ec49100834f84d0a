/* export.c - `--export LABEL:LEN` of `parley client` and `parley server`
 * (keying material exporters, RFC 8446 7.5 / RFC 5705), and the wait for a
 * post-handshake client certificate of `parley server --post-handshake-auth`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

void tool_export_parse(const char *spec, tool_export *e)
{
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    if (!colon || colon == spec) tool_die("--export wants LABEL:LEN");
    size_t ll = (size_t)(colon - spec);
    /* The library's bounds (parley.h), checked here so a bad flag is an
     * error at start, not a "refused" in the summary. */
    if (ll > PARLEY_EXPORT_MAX_LABEL || ll >= sizeof e->label)
        tool_die("--export LABEL:LEN wants a label of 1 to %d bytes (got %zu)", PARLEY_EXPORT_MAX_LABEL, ll);
    /* Digits only: strtol would take " 5", "+5" and "-0". */
    const char *d = colon + 1;
    size_t nd = strspn(d, "0123456789");
    long n = 0;
    for (size_t i = 0; i < nd && n <= PARLEY_EXPORT_MAX; i++) n = n * 10 + (d[i] - '0');
    if (nd == 0 || d[nd] || n < 1 || n > PARLEY_EXPORT_MAX)
        tool_die("--export LABEL:LEN wants a length of digits from 1 to %d (got \"%s\")", PARLEY_EXPORT_MAX, d);
    memcpy(e->label, spec, ll);
    e->label[ll] = 0;
    e->len = (size_t)n;
}

const char *tool_export_hex(parley_conn *c, const tool_export *e, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t buf[PARLEY_EXPORT_MAX];
    /* No context (use_context 0), as openssl's -keymatexport. */
    if (parley_conn_export_keying_material(c, e->label, NULL, 0, 0, buf, e->len) != PARLEY_OK) {
        snprintf(out, cap, "refused (%s)", parley_conn_last_refusal(c));
        return out;
    }
    if (cap < 2 * e->len + 1) {
        snprintf(out, cap, "too long to print");
        return out;
    }
    for (size_t i = 0; i < e->len; i++) {
        out[2 * i] = hex[buf[i] >> 4];
        out[2 * i + 1] = hex[buf[i] & 15];
    }
    out[2 * e->len] = 0;
    return out;
}

int tool_post_handshake_auth(parley_conn *c, int fd)
{
    /* TLS 1.2 has none (RFC 8446 4.6.2 is TLS 1.3's): the handshake asked. */
    if (parley_conn_version(c) != PARLEY_TLS1_3) return 1;
    /* Refused without failing the connection (the client did not offer
     * post_handshake_auth, RFC 8446 4.2.6): the caller says why and goes on. */
    if (parley_conn_request_client_auth(c) != PARLEY_OK) return parley_conn_error_string(c)[0] ? -1 : 2;
    if (parley_fd_flush(c) != PARLEY_OK) return -1;
    /* Sans I/O rather than parley_fd_read, which would wait on for
     * application data once the answer is in. Application data meanwhile (a
     * pipelined request) is dropped: this is a test server. */
    uint8_t in[4096];
    size_t have = 0, off = 0;
    while (parley_conn_client_auth_status(c) == PARLEY_CLIENT_AUTH_PENDING) {
        uint8_t buf[4096];
        size_t n = 0, used = 0;
        if (off < have) {
            if (parley_conn_recv_bytes(c, in + off, have - off, &used) != PARLEY_OK) return -1;
            off += used;
        }
        int rc = parley_conn_read(c, buf, sizeof buf, &n);
        if (parley_fd_flush(c) == PARLEY_ERROR || rc == PARLEY_ERROR || rc == PARLEY_CLOSED || rc == PARLEY_TRUNCATED)
            return -1;
        if (rc != PARLEY_WANT_READ || off < have) continue;
        if (parley_conn_client_auth_status(c) != PARLEY_CLIENT_AUTH_PENDING) break;
        ssize_t r = recv(fd, in, sizeof in, 0);
        if (r < 0) return -1; /* the socket's timeout */
        if (r == 0) (void)parley_conn_recv_eof(c);
        have = (size_t)r;
        off = 0;
    }
    return 0;
}
