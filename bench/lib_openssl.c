/* lib_openssl.c - the benchmark adapter for OpenSSL's libssl (the baseline). */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct {
    SSL *ssl;
    BIO *rb, *wb;
    bpipe *in, *out;
} oconn;

static void *o_ctx_new(const bench_cfg *cfg, const char *dir, int server)
{
    char cert[512], key[512], ca[512];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, cfg->cert);
    snprintf(key, sizeof key, "%s/%s.key", dir, cfg->cert);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    int v = cfg->version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    int ok = c && SSL_CTX_set_min_proto_version(c, v) && SSL_CTX_set_max_proto_version(c, v);
    if (ok && cfg->version == 13) ok = SSL_CTX_set_ciphersuites(c, cfg->ossl);
    if (ok && cfg->version == 12) ok = SSL_CTX_set_cipher_list(c, cfg->ossl);
    if (ok && cfg->ossl_groups) ok = SSL_CTX_set1_groups_list(c, cfg->ossl_groups);
    /* OpenSSL's leanest setting for idle connections: free the record buffers between records. */
    if (ok) SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    if (ok && server) {
        ok = SSL_CTX_use_certificate_chain_file(c, cert) == 1 && SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) == 1;
        /* One TLS 1.3 ticket per handshake, as the other two send. */
        SSL_CTX_set_num_tickets(c, 1);
        SSL_CTX_set_session_id_context(c, (const unsigned char *)"bench", 5);
        if (cfg->group && !strncmp(cfg->group, "ffdhe", 5)) SSL_CTX_set_dh_auto(c, 1);
        if (cfg->resume == RESUME_ID) SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        if (cfg->resume == RESUME_TICKET) SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    } else if (ok) {
        ok = SSL_CTX_load_verify_locations(c, ca, NULL) == 1;
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT);
    }
    if (!ok) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

static void o_ctx_free(void *ctx) { SSL_CTX_free(ctx); }

static void *o_conn_new(void *ctx, int server, bpipe *in, bpipe *out)
{
    oconn *o = calloc(1, sizeof *o);
    o->ssl = SSL_new(ctx);
    o->rb = BIO_new(BIO_s_mem());
    o->wb = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(o->rb, -1);
    SSL_set_bio(o->ssl, o->rb, o->wb);
    o->in = in;
    o->out = out;
    if (server) {
        SSL_set_accept_state(o->ssl);
    } else {
        SSL_set_connect_state(o->ssl);
        SSL_set_tlsext_host_name(o->ssl, "localhost");
        SSL_set1_host(o->ssl, "localhost");
    }
    return o;
}

static void o_feed(oconn *o)
{
    if (o->in->len) {
        BIO_write(o->rb, o->in->d + o->in->off, (int)o->in->len);
        o->in->off += o->in->len;
        o->in->len = 0;
    }
}

static void o_drain(oconn *o)
{
    char *p;
    long n = BIO_get_mem_data(o->wb, &p);
    if (n > 0) {
        bpipe_put(o->out, (const uint8_t *)p, (size_t)n);
        (void)BIO_reset(o->wb);
    }
}

static int o_handshake(void *vc)
{
    oconn *o = vc;
    o_feed(o);
    int rc = SSL_do_handshake(o->ssl);
    o_drain(o);
    if (rc == 1) return 1;
    return SSL_get_error(o->ssl, rc) == SSL_ERROR_WANT_READ ? 0 : -1;
}

static int o_write(void *vc, const uint8_t *p, size_t n)
{
    oconn *o = vc;
    int rc = SSL_write(o->ssl, p, (int)n);
    o_drain(o);
    return rc == (int)n ? 0 : -1;
}

static long o_read(void *vc, uint8_t *p, size_t n)
{
    oconn *o = vc;
    long total = 0;
    o_feed(o);
    while ((size_t)total < n) {
        int rc = SSL_read(o->ssl, p + total, (int)(n - (size_t)total));
        if (rc > 0) {
            total += rc;
            continue;
        }
        int e = SSL_get_error(o->ssl, rc);
        o_drain(o);
        return e == SSL_ERROR_WANT_READ ? total : -1;
    }
    o_drain(o);
    return total;
}

static void *o_get_session(void *vc)
{
    SSL_SESSION *s = SSL_get1_session(((oconn *)vc)->ssl);
    if (s && !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}
static int o_set_session(void *vc, void *s) { return SSL_set_session(((oconn *)vc)->ssl, s) == 1 ? 0 : -1; }
static void o_session_free(void *s) { SSL_SESSION_free(s); }
static int o_resumed(void *vc) { return SSL_session_reused(((oconn *)vc)->ssl); }
static void o_conn_free(void *vc)
{
    oconn *o = vc;
    /* As after a close_notify exchange: OpenSSL marks the session of a
     * connection freed without one as not resumable. */
    SSL_set_shutdown(o->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(o->ssl); /* frees the BIOs */
    free(o);
}
static const char *o_error(void *vc)
{
    (void)vc;
    static char b[256];
    ERR_error_string_n(ERR_peek_last_error(), b, sizeof b);
    return b;
}
static long long o_hook_bytes(void) { return bench_crypto_bytes; }

const bench_lib lib_openssl = {"openssl",      o_ctx_new,   o_ctx_free,    o_conn_new,    o_handshake,
                               o_write,        o_read,      o_get_session, o_set_session, o_session_free,
                               o_resumed,      o_conn_free, o_error,       o_hook_bytes};
