/* lib_parley.c - the benchmark adapter for libparley. */
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct {
    parley_conn *c;
    bpipe *in, *out;
    int server;
} pconn;

static void *p_ctx_new(const bench_cfg *cfg, const char *dir, int server)
{
    char cert[512], key[512], ca[512];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, cfg->cert);
    snprintf(key, sizeof key, "%s/%s.key", dir, cfg->cert);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    parley_config *c = parley_config_new();
    uint16_t v = cfg->version == 13 ? PARLEY_TLS1_3 : PARLEY_TLS1_2;
    int ok = c && parley_config_set_versions(c, v, v) == PARLEY_OK && parley_config_set_ciphers(c, cfg->suite) == PARLEY_OK &&
             (!cfg->group || parley_config_set_groups(c, cfg->group) == PARLEY_OK);
    if (ok && cfg->kx_rsa) ok = parley_config_allow_rsa_kx(c, 1) == PARLEY_OK;
    if (ok && server) {
        ok = parley_config_add_cert_files(c, cert, key) == PARLEY_OK;
        /* Resumption: 1.2 by id only, by ticket only, or 1.3 tickets. */
        if (ok && cfg->resume == RESUME_ID) ok = parley_config_set_tickets(c, 0) == PARLEY_OK;
        if (ok && cfg->resume == RESUME_TICKET) ok = parley_config_set_session_cache(c, NULL) == PARLEY_OK;
    } else if (ok) {
        ok = parley_config_set_ca_file(c, ca) == PARLEY_OK;
        if (ok && cfg->cold_verify) ok = parley_config_set_verify_cache(c, 0) == PARLEY_OK;
    }
    if (!ok) {
        fprintf(stderr, "parley: %s\n", c ? parley_config_error_string(c) : "no memory");
        parley_config_free(c);
        return NULL;
    }
    return c;
}

static void p_ctx_free(void *ctx) { parley_config_free(ctx); }

static void *p_conn_new(void *ctx, int server, bpipe *in, bpipe *out)
{
    pconn *p = calloc(1, sizeof *p);
    p->c = server ? parley_conn_new_server(ctx) : parley_conn_new_client(ctx, "localhost");
    p->in = in;
    p->out = out;
    p->server = server;
    if (!p->c) {
        free(p);
        return NULL;
    }
    return p;
}

/* Move what the peer sent into the connection, as far as it takes it. */
static void feed(pconn *p)
{
    while (p->in->len) {
        size_t used = 0;
        parley_conn_recv_bytes(p->c, p->in->d + p->in->off, p->in->len, &used);
        if (!used) break;
        p->in->off += used;
        p->in->len -= used;
    }
}

static void drain(pconn *p)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(p->c, &d, &n);
    if (n) {
        bpipe_put(p->out, d, n);
        parley_conn_output_sent(p->c, n);
    }
}

static int p_handshake(void *vc)
{
    pconn *p = vc;
    feed(p);
    int rc = parley_conn_handshake(p->c);
    drain(p);
    return rc == PARLEY_OK ? 1 : rc == PARLEY_WANT_READ ? 0 : -1;
}

static int p_write(void *vc, const uint8_t *d, size_t n)
{
    pconn *p = vc;
    int rc = parley_conn_write(p->c, d, n);
    drain(p);
    return rc == PARLEY_OK ? 0 : -1;
}

static long p_read(void *vc, uint8_t *buf, size_t n)
{
    pconn *p = vc;
    long total = 0;
    for (;;) {
        size_t got = 0;
        feed(p);
        int rc = parley_conn_read(p->c, buf + total, n - (size_t)total, &got);
        if (rc == PARLEY_OK) {
            total += (long)got;
            if ((size_t)total == n) break;
            continue;
        }
        if (rc == PARLEY_WANT_READ && p->in->len == 0) break;
        if (rc == PARLEY_WANT_READ) continue;
        drain(p);
        return -1;
    }
    drain(p);
    return total;
}

typedef struct {
    uint8_t b[4096];
    size_t n;
} psess;

static void *p_get_session(void *vc)
{
    pconn *p = vc;
    psess *s = malloc(sizeof *s);
    if (parley_conn_get_session(p->c, s->b, sizeof s->b, &s->n) != PARLEY_OK) {
        free(s);
        return NULL;
    }
    return s;
}

static int p_set_session(void *vc, void *vs)
{
    pconn *p = vc;
    psess *s = vs;
    return parley_conn_set_session(p->c, s->b, s->n) == PARLEY_OK ? 0 : -1;
}

static void p_session_free(void *s) { free(s); }
static int p_resumed(void *vc) { return parley_conn_resumed(((pconn *)vc)->c); }
static void p_conn_free(void *vc)
{
    pconn *p = vc;
    parley_conn_free(p->c);
    free(p);
}
static const char *p_error(void *vc) { return parley_conn_error_string(((pconn *)vc)->c); }

static long long parley_bytes;
/* Parley's own blocks plus what libcrypto allocates for it. */
static long long p_hook_bytes(void) { return parley_bytes + bench_crypto_bytes; }

/* Parley's own allocation hook: a size header in front of each block. */
static void *count_malloc(size_t n) { return bench_counted_malloc(&parley_bytes, n); }
static void count_free(void *p) { bench_counted_free(&parley_bytes, p); }
void bench_install_parley_hook(void);
void bench_install_parley_hook(void) { parley_set_allocator(count_malloc, count_free); }

const bench_lib lib_parley = {"parley",       p_ctx_new,   p_ctx_free,     p_conn_new,    p_handshake,
                              p_write,        p_read,      p_get_session,  p_set_session, p_session_free,
                              p_resumed,      p_conn_free, p_error,        p_hook_bytes};
