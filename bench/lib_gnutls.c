/* lib_gnutls.c - the benchmark adapter for GnuTLS (the second baseline). */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* TLS 1.2 session-ID resumption needs a server-side store: a small table. */
#define DB_SLOTS 64
typedef struct {
    uint8_t key[32];
    size_t klen;
    gnutls_datum_t val;
} db_slot;

typedef struct {
    int server;
    const bench_cfg *cfg;
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    gnutls_datum_t ticket_key;
    db_slot db[DB_SLOTS];
    int db_next;
} gctx;

typedef struct {
    gnutls_session_t s;
    bpipe *in, *out;
} gconn;

static int g_db_store(void *p, gnutls_datum_t key, gnutls_datum_t data)
{
    gctx *g = p;
    db_slot *d = &g->db[g->db_next++ % DB_SLOTS];
    if (key.size > sizeof d->key) return -1;
    gnutls_free(d->val.data);
    memcpy(d->key, key.data, key.size);
    d->klen = key.size;
    d->val.data = gnutls_malloc(data.size);
    memcpy(d->val.data, data.data, data.size);
    d->val.size = data.size;
    return 0;
}

static gnutls_datum_t g_db_fetch(void *p, gnutls_datum_t key)
{
    gctx *g = p;
    gnutls_datum_t r = {NULL, 0};
    for (int i = 0; i < DB_SLOTS; i++)
        if (g->db[i].klen == key.size && g->db[i].val.data && !memcmp(g->db[i].key, key.data, key.size)) {
            r.data = gnutls_malloc(g->db[i].val.size);
            memcpy(r.data, g->db[i].val.data, g->db[i].val.size);
            r.size = g->db[i].val.size;
        }
    return r;
}

static int g_db_remove(void *p, gnutls_datum_t key)
{
    (void)p;
    (void)key;
    return 0;
}

static void *g_ctx_new(const bench_cfg *cfg, const char *dir, int server)
{
    char cert[512], key[512], ca[512];
    static int inited;
    if (!inited++) gnutls_global_init();
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, cfg->cert);
    snprintf(key, sizeof key, "%s/%s.key", dir, cfg->cert);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    gctx *g = calloc(1, sizeof *g);
    g->server = server;
    g->cfg = cfg;
    int rc = gnutls_certificate_allocate_credentials(&g->cred);
    if (rc == 0 && server) rc = gnutls_certificate_set_x509_key_file(g->cred, cert, key, GNUTLS_X509_FMT_PEM);
    if (rc == 0 && server && cfg->group && !strncmp(cfg->group, "ffdhe", 5))
        rc = gnutls_certificate_set_known_dh_params(g->cred, GNUTLS_SEC_PARAM_MEDIUM);
    if (rc >= 0 && !server) rc = gnutls_certificate_set_x509_trust_file(g->cred, ca, GNUTLS_X509_FMT_PEM) > 0 ? 0 : -1;
    if (rc >= 0) rc = gnutls_priority_init(&g->prio, cfg->gnutls, NULL);
    if (rc >= 0 && server && cfg->resume != RESUME_ID) rc = gnutls_session_ticket_key_generate(&g->ticket_key);
    if (rc < 0) {
        fprintf(stderr, "gnutls: %s\n", gnutls_strerror(rc));
        return NULL;
    }
    return g;
}

static void g_ctx_free(void *vg)
{
    gctx *g = vg;
    gnutls_certificate_free_credentials(g->cred);
    gnutls_priority_deinit(g->prio);
    if (g->ticket_key.data) gnutls_free(g->ticket_key.data);
    for (int i = 0; i < DB_SLOTS; i++) gnutls_free(g->db[i].val.data);
    free(g);
}

static ssize_t g_push(gnutls_transport_ptr_t p, const void *d, size_t n)
{
    gconn *c = p;
    bpipe_put(c->out, d, n);
    return (ssize_t)n;
}

static ssize_t g_pull(gnutls_transport_ptr_t p, void *d, size_t n)
{
    gconn *c = p;
    if (!c->in->len) {
        gnutls_transport_set_errno(c->s, EAGAIN);
        return -1;
    }
    return (ssize_t)bpipe_get(c->in, d, n);
}

static void *g_conn_new(void *vg, int server, bpipe *in, bpipe *out)
{
    gctx *g = vg;
    gconn *c = calloc(1, sizeof *c);
    c->in = in;
    c->out = out;
    gnutls_init(&c->s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK);
    gnutls_priority_set(c->s, g->prio);
    gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, g->cred);
    gnutls_transport_set_ptr(c->s, c);
    gnutls_transport_set_push_function(c->s, g_push);
    gnutls_transport_set_pull_function(c->s, g_pull);
    if (server) {
        if (g->ticket_key.data) gnutls_session_ticket_enable_server(c->s, &g->ticket_key);
        gnutls_db_set_ptr(c->s, g);
        gnutls_db_set_store_function(c->s, g_db_store);
        gnutls_db_set_retrieve_function(c->s, g_db_fetch);
        gnutls_db_set_remove_function(c->s, g_db_remove);
    } else {
        gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, "localhost", 9);
        gnutls_session_set_verify_cert(c->s, "localhost", 0);
    }
    return c;
}

static int g_handshake(void *vc)
{
    gconn *c = vc;
    int rc = gnutls_handshake(c->s);
    if (rc == 0) return 1;
    return rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ? 0 : -1;
}

static int g_write(void *vc, const uint8_t *p, size_t n)
{
    gconn *c = vc;
    while (n) {
        ssize_t rc = gnutls_record_send(c->s, p, n);
        if (rc < 0) return -1;
        p += rc;
        n -= (size_t)rc;
    }
    return 0;
}

static long g_read(void *vc, uint8_t *p, size_t n)
{
    gconn *c = vc;
    long total = 0;
    while ((size_t)total < n) {
        ssize_t rc = gnutls_record_recv(c->s, p + total, n - (size_t)total);
        if (rc > 0) {
            total += rc;
            continue;
        }
        /* GnuTLS answers AGAIN after a post-handshake message (a ticket)
         * even with more records queued: go on while there are bytes. */
        if ((rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) && c->in->len) continue;
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) return total;
        return -1;
    }
    return total;
}

static void *g_get_session(void *vc)
{
    gconn *c = vc;
    gnutls_datum_t *d = calloc(1, sizeof *d);
    if (gnutls_session_get_data2(c->s, d) < 0 || d->size == 0) {
        free(d);
        return NULL;
    }
    return d;
}
static int g_set_session(void *vc, void *vs)
{
    gnutls_datum_t *d = vs;
    return gnutls_session_set_data(((gconn *)vc)->s, d->data, d->size) < 0 ? -1 : 0;
}
static void g_session_free(void *vs)
{
    gnutls_datum_t *d = vs;
    gnutls_free(d->data);
    free(d);
}
static int g_resumed(void *vc) { return gnutls_session_is_resumed(((gconn *)vc)->s); }
static void g_conn_free(void *vc)
{
    gconn *c = vc;
    gnutls_deinit(c->s);
    free(c);
}
static const char *g_error(void *vc)
{
    (void)vc;
    return "gnutls error";
}
static long long g_hook_bytes(void) { return -1; } /* GnuTLS has no allocation hook any more */

const bench_lib lib_gnutls = {"gnutls",       g_ctx_new,   g_ctx_free,    g_conn_new,    g_handshake,
                              g_write,        g_read,      g_get_session, g_set_session, g_session_free,
                              g_resumed,      g_conn_free, g_error,       g_hook_bytes};
