/* helpers.c - see helpers.h. Tests may use libcrypto directly. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

int vec_load(vec_block **blocks)
{
    char path[1024], line[8192];
    snprintf(path, sizeof path, "%s/tls13_traces.vec", PARLEY_VECTORS);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0, cap = 256;
    vec_block *b = calloc((size_t)cap, sizeof *b), *cur = NULL;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "block ", 6) && n < cap) {
            cur = &b[n++];
            sscanf(line + 6, "%d %7s", &cur->section, cur->role);
            const char *a = strchr(line + 6, ' ');
            a = a ? strchr(a + 1, ' ') : NULL;
            snprintf(cur->action, sizeof cur->action, "%s", a ? a + 1 : "");
        } else if (!strncmp(line, "field ", 6) && cur && cur->nfields < VEC_MAX_FIELDS) {
            char *name = line + 6, *val = strchr(name, ' ');
            int i = cur->nfields++;
            if (val) *val++ = 0;
            snprintf(cur->name[i], sizeof cur->name[i], "%.31s", name);
            size_t hl = val ? strlen(val) : 0;
            cur->value[i] = malloc(hl / 2 + 1);
            cur->len[i] = val ? hex_decode(val, cur->value[i], hl / 2) : 0;
        }
    }
    fclose(f);
    *blocks = b;
    return n;
}

void vec_free(vec_block *b, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < b[i].nfields; j++) free(b[i].value[j]);
    free(b);
}

const uint8_t *vec_field(const vec_block *b, const char *name, size_t *len)
{
    for (int i = 0; i < b->nfields; i++)
        if (!strcmp(b->name[i], name)) {
            if (len) *len = b->len[i];
            return b->value[i];
        }
    return NULL;
}

const vec_block *vec_find(const vec_block *b, int n, int section, const char *role, const char *prefix, int nth)
{
    for (int i = 0; i < n; i++) {
        if (b[i].section != section) continue;
        if (role && strcmp(b[i].role, role)) continue;
        if (strncmp(b[i].action, prefix, strlen(prefix))) continue;
        if (nth-- == 0) return &b[i];
    }
    return NULL;
}

static char g_test_dir[256];
static pid_t g_test_dir_owner;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* The directory goes when the test program ends (not when a forked child does). */
static void remove_test_dir(void)
{
    if (g_test_dir[0] && getpid() == g_test_dir_owner) nftw(g_test_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *test_dir(void)
{
    if (!g_test_dir[0]) {
        snprintf(g_test_dir, sizeof g_test_dir, "/tmp/parley-unit-%d", (int)getpid());
        mkdir(g_test_dir, 0700);
        g_test_dir_owner = getpid();
        atexit(remove_test_dir);
    }
    return g_test_dir;
}

int make_cert(const char *dir, const char *name, const char *kind, const char *host, int nb_days, int na_days)
{
    EVP_PKEY *k = NULL;
    if (!strcmp(kind, "ec256")) k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else if (!strcmp(kind, "ec384")) k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    else if (!strcmp(kind, "ec521")) k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    else if (!strcmp(kind, "ed448")) k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    else if (!strcmp(kind, "rsa2048")) k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    else if (!strcmp(kind, "ed25519")) k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else if (!strcmp(kind, "rsapss")) {
        EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
        if (!g || EVP_PKEY_keygen_init(g) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(g, 2048) != 1 || EVP_PKEY_generate(g, &k) != 1) k = NULL;
        EVP_PKEY_CTX_free(g);
    }
    if (!k) return -1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0);
    X509_set_issuer_name(x, nm);
    X509_gmtime_adj(X509_getm_notBefore(x), (long)nb_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)na_days * 86400);
    X509_set_pubkey(x, k);
    char san[300];
    snprintf(san, sizeof san, "DNS:%s,IP:127.0.0.1", host);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    const EVP_MD *md = strcmp(kind, "ed25519") && strcmp(kind, "ed448") ? EVP_sha256() : NULL;
    if (!X509_sign(x, k, md)) return -1;
    char p[512];
    snprintf(p, sizeof p, "%s/%s.pem", dir, name);
    FILE *f = fopen(p, "w");
    PEM_write_X509(f, x);
    fclose(f);
    snprintf(p, sizeof p, "%s/%s.key", dir, name);
    f = fopen(p, "w");
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
    return 0;
}

void conn_feed(parley_conn *c, const uint8_t *p, size_t len)
{
    size_t used;
    while (len) {
        parley_conn_recv_bytes(c, p, len, &used);
        if (used == 0) break;
        p += used;
        len -= used;
    }
}

size_t conn_take(parley_conn *c, uint8_t *buf, size_t cap)
{
    const uint8_t *d;
    size_t n;
    parley_conn_pending_output(c, &d, &n);
    if (n > cap) n = cap;
    if (n) memcpy(buf, d, n);
    parley_conn_output_sent(c, n);
    return n;
}

void pair_free_queues(pair *p)
{
    for (int d = 0; d < 2; d++) {
        free(p->q[d]);
        p->q[d] = NULL;
        p->qlen[d] = p->qcap[d] = 0;
    }
}

size_t pair_pump(pair *p)
{
    size_t moved = 0;
    for (int dir = 0; dir < 2; dir++) {
        parley_conn *from = dir ? p->server : p->client, *to = dir ? p->client : p->server;
        const uint8_t *d;
        size_t n, used;
        parley_conn_pending_output(from, &d, &n);
        if (n) {
            if (p->qlen[dir] + n > p->qcap[dir]) {
                p->qcap[dir] = (p->qlen[dir] + n) * 2;
                p->q[dir] = realloc(p->q[dir], p->qcap[dir]);
            }
            memcpy(p->q[dir] + p->qlen[dir], d, n);
            if (p->tamper) p->tamper(p->tamper_arg, dir, p->q[dir] + p->qlen[dir], n);
            p->qlen[dir] += n;
            parley_conn_output_sent(from, n);
        }
        /* Deliver what the receiver's record buffer takes now; the rest waits. */
        if (p->qlen[dir]) {
            parley_conn_recv_bytes(to, p->q[dir], p->qlen[dir], &used);
            memmove(p->q[dir], p->q[dir] + used, p->qlen[dir] - used);
            p->qlen[dir] -= used;
            moved += used;
        }
    }
    return moved;
}

int pair_handshake(pair *p, int *crc, int *src)
{
    int c = PARLEY_WANT_READ, s = PARLEY_WANT_READ;
    for (int i = 0; i < 50; i++) {
        c = parley_conn_handshake(p->client);
        s = parley_conn_handshake(p->server);
        size_t moved = pair_pump(p);
        if ((c == PARLEY_OK && s == PARLEY_OK) || c == PARLEY_ERROR || s == PARLEY_ERROR) {
            if (c != PARLEY_ERROR && s != PARLEY_ERROR) break;
            /* deliver the alert, let the peer see it */
            c = parley_conn_handshake(p->client);
            s = parley_conn_handshake(p->server);
            pair_pump(p);
            break;
        }
        if (!moved && c != PARLEY_WANT_KEY_OP && s != PARLEY_WANT_KEY_OP) break;
        if (c == PARLEY_WANT_KEY_OP || s == PARLEY_WANT_KEY_OP) break;
    }
    if (crc) *crc = c;
    if (src) *src = s;
    return (c == PARLEY_OK && s == PARLEY_OK) ? 0 : -1;
}

/* ---- configs and pairs shared by the handshake tests */
parley_config *server_cfg(const char *name)
{
    char c[512], k[512];
    parley_config *cfg = parley_config_new();
    snprintf(c, sizeof c, "%s/%s.pem", test_dir(), name);
    snprintf(k, sizeof k, "%s/%s.key", test_dir(), name);
    assert_int_equal(parley_config_add_cert_files(cfg, c, k), PARLEY_OK);
    return cfg;
}

parley_config *client_cfg(const char *ca_name)
{
    char c[512];
    parley_config *cfg = parley_config_new();
    snprintf(c, sizeof c, "%s/%s.pem", test_dir(), ca_name);
    assert_int_equal(parley_config_set_ca_file(cfg, c), PARLEY_OK);
    return cfg;
}

void make_pair(pair *p, parley_config *ccfg, parley_config *scfg, const char *sni)
{
    memset(p, 0, sizeof *p);
    p->client = parley_conn_new_client(ccfg, sni);
    p->server = parley_conn_new_server(scfg);
    assert_non_null(p->client);
    assert_non_null(p->server);
    parley_config_free(ccfg); /* the connections hold references */
    parley_config_free(scfg);
}

void free_pair(pair *p)
{
    pair_free_queues(p);
    parley_conn_free(p->client);
    parley_conn_free(p->server);
}

/* Send `msg` from a to b and check it arrives intact. */
void exchange(pair *p, parley_conn *a, parley_conn *b, const char *msg)
{
    static uint8_t buf[1 << 18];
    size_t n = 0, total = 0, len = strlen(msg);
    assert_true(len <= sizeof buf);
    assert_int_equal(parley_conn_write(a, (const uint8_t *)msg, len), PARLEY_OK);
    pair_pump(p);
    while (total < len) {
        int rc = parley_conn_read(b, buf + total, sizeof buf - total, &n);
        if (rc == PARLEY_WANT_READ) {
            assert_true(pair_pump(p) > 0);
            continue;
        }
        assert_int_equal(rc, PARLEY_OK);
        total += n;
    }
    assert_int_equal(total, len);
    assert_memory_equal(buf, msg, len);
}


parley_config *only_version(parley_config *cfg, int v)
{
    assert_int_equal(parley_config_set_versions(cfg, v, v), PARLEY_OK);
    return cfg;
}

parley_config *mtls_server(const char *cert, const char *client_ca)
{
    char path[512];
    parley_config *sc = server_cfg(cert);
    snprintf(path, sizeof path, "%s/%s.pem", test_dir(), client_ca);
    assert_int_equal(parley_config_set_client_ca(sc, path), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    return sc;
}

parley_config *mtls_client(const char *ca, const char *cert)
{
    char c[512], k[512];
    parley_config *cc = client_cfg(ca);
    snprintf(c, sizeof c, "%s/%s.pem", test_dir(), cert);
    snprintf(k, sizeof k, "%s/%s.key", test_dir(), cert);
    assert_int_equal(parley_config_add_cert_files(cc, c, k), PARLEY_OK);
    return cc;
}

void expect_alert(parley_conn *failed, parley_conn *other, int alert, const char *text)
{
    if (!strstr(parley_conn_error_string(failed), text))
        fail_msg("error \"%s\" does not contain \"%s\"", parley_conn_error_string(failed), text);
    assert_int_equal(parley_conn_alert_sent(failed), alert);
    assert_int_equal(parley_conn_alert_received(other), alert);
}

void handshake_ok(pair *p, const char *what)
{
    if (pair_handshake(p, NULL, NULL) != 0)
        fail_msg("%s: client \"%s\", server \"%s\"", what, parley_conn_error_string(p->client), parley_conn_error_string(p->server));
}

static int pending_start(parley_key_provider *self, parley_key_op *op)
{
    pending_provider *a = (pending_provider *)self;
    a->pending = op;
    a->calls++;
    return PARLEY_WANT_KEY_OP;
}

static void pending_cancel(parley_key_provider *self, parley_key_op *op)
{
    pending_provider *a = (pending_provider *)self;
    assert_ptr_equal(op, a->pending);
    a->pending = NULL;
    a->cancelled++;
}

void pending_provider_init(pending_provider *a)
{
    memset(a, 0, sizeof *a);
    a->base.start = pending_start;
    a->base.cancel = pending_cancel;
}
