/*
 * handshake/post_auth.h - what the connection code needs of the keying
 * material exporters (exporter.c) and of TLS 1.3 post-handshake client
 * authentication (post_auth.c). Included by internal.h.
 */
#ifndef PL_POST_AUTH_H
#define PL_POST_AUTH_H

/* A client identity as the connection reports it (peer_certs,
 * npeer_certs, verify_result): the one a post-handshake exchange proves
 * is staged here until its Finished verifies. */
typedef struct {
    pl_buf *certs;
    int n;
    char *verify;
} pl_pha_id;

/* Post-handshake client authentication state (handshake/post_auth.c). */
typedef struct pl_pha_s {
    pl_pha_id staged; /* server: the chain of the exchange under way */
    struct pl_hash_ctx *base; /* Hash(ClientHello .. client Finished), running state */
    int hash;
    int state;
    int status;        /* server: PARLEY_CLIENT_AUTH_* */
    uint8_t ctx[255];  /* the request's certificate_request_context */
    size_t ctx_len;
} pl_pha;

/* handshake/exporter.c: keep what exporters need as the handshake ends. */
void pl_exporter_keep(parley_conn *c);

/* handshake/post_auth.c (RFC 8446 4.6.2). pl_pha_snapshot: at the end of a
 * TLS 1.3 handshake whose client offered post_handshake_auth, keep the
 * transcript hash through the client Finished (the base of every later
 * exchange). pl_pha_message: a CertificateRequest (client) or Certificate,
 * CertificateVerify, Finished (server) after the handshake; the client may
 * return PL_HS_WAIT_KEY_OP when its signature is pending, and
 * pl_pha_resume goes on with it. */
PL_MUST_CHECK int pl_pha_snapshot(parley_conn *c);
PL_MUST_CHECK int pl_pha_message(parley_conn *c, const uint8_t *msg, size_t len);
PL_MUST_CHECK int pl_pha_resume(parley_conn *c);
void pl_pha_free(parley_conn *c);

#endif
