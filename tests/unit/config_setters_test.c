/* config_setters_test.c - every parley_config_* setter, in every pair of
 * orders (and twice), and in random permutations, under a reference model:
 *  (a) a setter that fails (bad input, allocation failure) leaves the config
 *      byte for byte as it was;
 *  (b) a setter called twice replaces its value and frees the old one once
 *      (ASan / LeakSanitizer catch the double free and the leak);
 *  (c) after the config is frozen (first connection) every setter is refused
 *      and changes nothing;
 *  (d) a setter never clobbers what another setter set.
 * Each random configuration is then used for a real in-memory handshake.
 * Every file a setter reads is made here, in test_dir(), removed at exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "helpers.h"
#include "internal.h"

/* ------------------------------------------------------------ fixtures */

static char P_SRV[512], P_SRV_KEY[512], P_CLI[512], P_CLI_KEY[512], P_CLI_COPY[512];
static char P_CRL1[512], P_CRL2[512], P_CRL_REVOKED[512], P_CRL_BAD[512];
static char P_OCSP1[512], P_OCSP2[512], P_EMPTY[512];
static char P_TK1[512], P_TK2[512], P_TK_BAD[512], P_SF1[512], P_SF2[512];
static char P_KL1[512], P_KL2[512], P_BUNDLE[512], P_MISSING[512];
static uint8_t TK1[2 * PL_TICKET_KEY_LEN], TK2[PL_TICKET_KEY_LEN]; /* the key files' bytes */
static uint8_t K1[2 * PL_TICKET_KEY_LEN], K2[PL_TICKET_KEY_LEN];   /* set_ticket_keys */
static uint8_t S1[32], S2[16], SF1[32], SF2[20];                   /* secrets, secret files */
static uint8_t OCSP1[100], OCSP2[333];
static int64_t g_later; /* a set_time value: a day from now */
static parley_session_cache *g_cache;
static int g_trace_a, g_trace_b, g_keylog_a, g_keylog_b;

static void path(char *out, const char *name) { snprintf(out, 512, "%s/%s", test_dir(), name); }

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_hex_lines(const char *p, const uint8_t *b, size_t n, size_t per_line)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "# test keys\n");
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x%s", b[i], (i + 1) % per_line == 0 ? "\n" : "");
    fclose(f);
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(seed + 7 * i);
}

/* A CRL issued by the (self-signed) certificate `cert`, revoking serial 1
 * (make_cert's serial) when `revoke`. Valid from yesterday for 30 days. */
static void make_crl(const char *cert, const char *key, const char *out, int revoke)
{
    FILE *f = fopen(cert, "r");
    X509 *ca = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    f = fopen(key, "r");
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(ca);
    assert_non_null(k);
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    ASN1_TIME *t = X509_gmtime_adj(NULL, -86400);
    X509_CRL_set1_lastUpdate(crl, t);
    X509_gmtime_adj(t, 30 * 86400);
    X509_CRL_set1_nextUpdate(crl, t);
    if (revoke) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_new();
        ASN1_INTEGER_set(serial, 1);
        X509_REVOKED_set_serialNumber(r, serial);
        X509_gmtime_adj(t, -3600);
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(serial);
    }
    ASN1_TIME_free(t);
    X509_CRL_sort(crl);
    assert_true(X509_CRL_sign(crl, k, EVP_sha256()) > 0);
    f = fopen(out, "w");
    PEM_write_X509_CRL(f, crl);
    fclose(f);
    X509_CRL_free(crl);
    X509_free(ca);
    EVP_PKEY_free(k);
}

static void copy_file(const char *from, const char *to)
{
    char buf[8192];
    FILE *f = fopen(from, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_file(to, buf, n);
}

/* A key provider holding the server's EC key (for add_cert_with_provider). */
typedef struct {
    parley_key_provider base;
    EVP_PKEY *key;
} ec_provider;

static int ec_start(parley_key_provider *self, parley_key_op *op)
{
    ec_provider *p = (ec_provider *)self;
    const uint8_t *in;
    size_t inlen, sl = 0;
    uint8_t sig[160];
    if (parley_key_op_type(op) != PARLEY_KEY_OP_SIGN || parley_key_op_scheme(op) != PARLEY_SIG_ECDSA_SECP256R1_SHA256)
        return PARLEY_ERROR;
    parley_key_op_input(op, &in, &inlen);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    sl = sizeof sig;
    int ok = EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, p->key) == 1 && EVP_DigestSign(m, sig, &sl, in, inlen) == 1;
    EVP_MD_CTX_free(m);
    return parley_key_op_complete(op, ok, sig, ok ? sl : 0);
}
static ec_provider g_provider = {{ec_start, NULL}, NULL};

static void trace_fn(void *arg, const parley_conn *c, const parley_trace_event *ev)
{
    (void)c, (void)ev;
    (*(int *)arg)++;
}
static void keylog_fn(void *arg, const char *line)
{
    (void)line;
    (*(int *)arg)++;
}

/* Allocation failure injection through the public allocator hook: the
 * g_fail_at-th pl_malloc from now fails (-1: none). */
static long g_fail_at = -1, g_nalloc;
static void *fault_malloc(size_t n)
{
    if (g_fail_at >= 0 && g_nalloc++ == g_fail_at) return NULL;
    return malloc(n);
}

static int setup(void **state)
{
    (void)state;
    if (parley_set_allocator(fault_malloc, free) != PARLEY_OK) return -1;
    if (make_cert(test_dir(), "srv", "ec256", "localhost", -1, 30) || make_cert(test_dir(), "cli", "ec256", "client", -1, 30))
        return -1;
    path(P_SRV, "srv.pem"), path(P_SRV_KEY, "srv.key"), path(P_CLI, "cli.pem"), path(P_CLI_KEY, "cli.key");
    path(P_CLI_COPY, "cli-copy.pem");
    copy_file(P_CLI, P_CLI_COPY);
    path(P_CRL1, "ok1.crl"), path(P_CRL2, "ok2.crl"), path(P_CRL_REVOKED, "revoked.crl"), path(P_CRL_BAD, "bad.crl");
    make_crl(P_CLI, P_CLI_KEY, P_CRL1, 0);
    copy_file(P_CRL1, P_CRL2);
    make_crl(P_CLI, P_CLI_KEY, P_CRL_REVOKED, 1);
    write_file(P_CRL_BAD, "not a CRL\n", 10);
    path(P_OCSP1, "ocsp1.der"), path(P_OCSP2, "ocsp2.der"), path(P_EMPTY, "empty");
    fill(OCSP1, sizeof OCSP1, 1), fill(OCSP2, sizeof OCSP2, 2);
    write_file(P_OCSP1, OCSP1, sizeof OCSP1), write_file(P_OCSP2, OCSP2, sizeof OCSP2), write_file(P_EMPTY, "", 0);
    path(P_TK1, "t1.keys"), path(P_TK2, "t2.keys"), path(P_TK_BAD, "bad.keys");
    fill(TK1, sizeof TK1, 3), fill(TK2, sizeof TK2, 4), fill(K1, sizeof K1, 5), fill(K2, sizeof K2, 6);
    write_hex_lines(P_TK1, TK1, sizeof TK1, PL_TICKET_KEY_LEN);
    write_hex_lines(P_TK2, TK2, sizeof TK2, PL_TICKET_KEY_LEN);
    write_file(P_TK_BAD, "zz not hex\n", 11);
    path(P_SF1, "s1.secret"), path(P_SF2, "s2.secret");
    fill(S1, sizeof S1, 7), fill(S2, sizeof S2, 8), fill(SF1, sizeof SF1, 9), fill(SF2, sizeof SF2, 10);
    write_hex_lines(P_SF1, SF1, sizeof SF1, sizeof SF1);
    write_hex_lines(P_SF2, SF2, sizeof SF2, sizeof SF2);
    path(P_KL1, "k1.log"), path(P_KL2, "k2.log"), path(P_BUNDLE, "bundle.pem"), path(P_MISSING, "no/such/file");
    g_later = (int64_t)time(NULL) + 86400;
    g_cache = parley_session_cache_memory_new(64);
    FILE *f = fopen(P_SRV_KEY, "r");
    g_provider.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return g_cache && g_provider.key ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    parley_session_cache_memory_free(g_cache);
    EVP_PKEY_free(g_provider.key);
    return 0;
}

/* ------------------------------------------------------------ the setters */

enum {
    OP_VERSIONS, OP_CIPHERS, OP_GROUPS, OP_RSA_KX, OP_EMS, OP_ALPN, OP_PADDING, OP_CERT_FILES, OP_SELF_SIGNED,
    OP_PROVIDER, OP_CA_FILE, OP_CLIENT_CA, OP_VERIFY_CLIENT, OP_CRL, OP_CRL_FATAL, OP_DEPTH, OP_OCSP_FILE, OP_OCSP,
    OP_VERIFY, OP_VERIFY_CACHE, OP_TIME, OP_CACHE, OP_LIFETIME, OP_TICKETS, OP_TICKET_KEYS_FILE, OP_TICKET_KEYS,
    OP_TICKET_SECRET, OP_TICKET_SECRET_FILE, OP_ROTATION, OP_RELOAD, OP_PSK_KE, OP_EARLY, OP_TRACE, OP_KEYLOG,
    OP_KEYLOG_FILE, NOPS
};
static const char *const op_name[NOPS] = {
    "set_versions", "set_ciphers", "set_groups", "allow_rsa_kx", "require_ems", "set_alpn", "set_record_padding",
    "add_cert_files", "add_self_signed", "add_cert_with_provider", "set_ca_file", "set_client_ca", "set_verify_client",
    "add_crl_file", "set_crl_expired_fatal", "set_max_chain_depth", "set_ocsp_response_file", "set_ocsp", "set_verify",
    "set_verify_cache", "set_time", "set_session_cache", "set_session_lifetime", "set_tickets", "set_ticket_keys_file",
    "set_ticket_keys", "set_ticket_secret", "set_ticket_secret_file", "set_ticket_rotation", "reload_ticket_keys",
    "set_psk_ke", "set_max_early_data", "set_trace", "set_keylog", "set_keylog_file"};

#define BAD 2 /* variant: invalid input */
static const char *const CIPHERS[2] = {
    "TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"};
static const uint16_t CIPHER_IDS[2][3] = {{0x1301, 0xc02b}, {0x1303, 0x1302, 0xcca9}};
static const size_t NCIPHER[2] = {2, 3};
static const char *const GROUPS[2] = {"x25519:secp256r1", "secp256r1:x25519:ffdhe2048"};
static const uint16_t GROUP_IDS[2][3] = {{PARLEY_GROUP_X25519, PARLEY_GROUP_SECP256R1},
                                         {PARLEY_GROUP_SECP256R1, PARLEY_GROUP_X25519, PARLEY_GROUP_FFDHE2048}};
static const size_t NGROUP[2] = {2, 3};
static const char *const ALPN[2] = {"h2,http/1.1", "http/1.1"};
static const char ALPN_WIRE0[] = "\x02h2\x08http/1.1", ALPN_WIRE1[] = "\x08http/1.1";
static const uint32_t ROTATION[2] = {1000000, 2000000};

/* Call setter `op` with valid value 0 or 1, or with invalid input (BAD). */
static int op_call(parley_config *cfg, int op, int v)
{
    char fp[128];
    switch (op) {
    case OP_VERSIONS:
        return v == BAD ? parley_config_set_versions(cfg, 0x0301, PARLEY_TLS1_3)
                        : parley_config_set_versions(cfg, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
    case OP_CIPHERS:
        /* A valid name before the bad one: a setter must not keep half a list. */
        return parley_config_set_ciphers(cfg, v == BAD ? "TLS_AES_256_GCM_SHA384:TLS_NOPE" : CIPHERS[v]);
    case OP_GROUPS: return parley_config_set_groups(cfg, v == BAD ? "ffdhe4096:nope" : GROUPS[v]);
    case OP_RSA_KX: return parley_config_allow_rsa_kx(cfg, !v);
    case OP_EMS: return parley_config_require_ems(cfg, v);
    case OP_ALPN: return parley_config_set_alpn(cfg, v == BAD ? "spdy/3,,x" : ALPN[v]);
    case OP_PADDING: return parley_config_set_record_padding(cfg, v == BAD ? (size_t)1 << 20 : v ? 256 : 64);
    case OP_CERT_FILES:
        return v == BAD ? parley_config_add_cert_files(cfg, P_SRV, P_CLI_KEY) : parley_config_add_cert_files(cfg, P_SRV, P_SRV_KEY);
    case OP_SELF_SIGNED: return parley_config_add_self_signed(cfg, v ? NULL : fp, v ? 0 : sizeof fp);
    case OP_PROVIDER:
        return v == BAD ? parley_config_add_cert_with_provider(cfg, P_MISSING, &g_provider.base)
                        : parley_config_add_cert_with_provider(cfg, P_SRV, &g_provider.base);
    case OP_CA_FILE: return parley_config_set_ca_file(cfg, v == BAD ? NULL : v ? P_CLI : P_SRV);
    case OP_CLIENT_CA: return parley_config_set_client_ca(cfg, v == BAD ? NULL : v ? P_CLI_COPY : P_CLI);
    case OP_VERIFY_CLIENT:
        return parley_config_set_verify_client(cfg, v == BAD ? 7 : v ? PARLEY_VERIFY_CLIENT_NONE : PARLEY_VERIFY_CLIENT_REQUIRE);
    case OP_CRL: return parley_config_add_crl_file(cfg, v == BAD ? NULL : v ? P_CRL2 : P_CRL1);
    case OP_CRL_FATAL: return parley_config_set_crl_expired_fatal(cfg, v);
    case OP_DEPTH: return parley_config_set_max_chain_depth(cfg, v == BAD ? 99 : v ? 8 : 4);
    case OP_OCSP_FILE: return parley_config_set_ocsp_response_file(cfg, 0, v == BAD ? P_EMPTY : v ? P_OCSP2 : P_OCSP1);
    case OP_OCSP: return parley_config_set_ocsp(cfg, v == BAD ? 9 : v ? PARLEY_OCSP_NONE : PARLEY_OCSP_PREFER);
    case OP_VERIFY: return parley_config_set_verify(cfg, v);
    case OP_VERIFY_CACHE: return parley_config_set_verify_cache(cfg, v);
    case OP_TIME: return parley_config_set_time(cfg, v ? 0 : g_later);
    case OP_CACHE: return parley_config_set_session_cache(cfg, v ? NULL : g_cache);
    case OP_LIFETIME: return parley_config_set_session_lifetime(cfg, v == BAD ? 0 : v ? 600 : 3600);
    case OP_TICKETS: return parley_config_set_tickets(cfg, v);
    case OP_TICKET_KEYS_FILE: return parley_config_set_ticket_keys_file(cfg, v == BAD ? P_TK_BAD : v ? P_TK2 : P_TK1);
    case OP_TICKET_KEYS:
        return v == BAD ? parley_config_set_ticket_keys(cfg, K1, 0) : parley_config_set_ticket_keys(cfg, v ? K2 : K1, v ? 1 : 2);
    case OP_TICKET_SECRET:
        return v == BAD ? parley_config_set_ticket_secret(cfg, S1, 8) : parley_config_set_ticket_secret(cfg, v ? S2 : S1, v ? sizeof S2 : sizeof S1);
    case OP_TICKET_SECRET_FILE: return parley_config_set_ticket_secret_file(cfg, v == BAD ? P_TK_BAD : v ? P_SF2 : P_SF1);
    case OP_ROTATION: return parley_config_set_ticket_rotation(cfg, v == BAD ? 0 : ROTATION[v]);
    case OP_RELOAD: return parley_config_reload_ticket_keys(cfg);
    case OP_PSK_KE: return parley_config_set_psk_ke(cfg, !v);
    case OP_EARLY: return parley_config_set_max_early_data(cfg, v ? 0 : 1024);
    case OP_TRACE: return parley_config_set_trace(cfg, trace_fn, v ? &g_trace_b : &g_trace_a);
    case OP_KEYLOG: return parley_config_set_keylog(cfg, keylog_fn, v ? &g_keylog_b : &g_keylog_a);
    case OP_KEYLOG_FILE: return parley_config_set_keylog_file(cfg, v == BAD ? P_MISSING : v ? P_KL2 : P_KL1);
    }
    fail();
    return PARLEY_ERROR;
}

/* Setters that have an invalid input to try. */
static int op_has_bad(int op)
{
    switch (op) {
    case OP_SELF_SIGNED: case OP_RSA_KX: case OP_EMS: case OP_CRL_FATAL: case OP_VERIFY: case OP_VERIFY_CACHE: case OP_TIME: case OP_CACHE:
    case OP_TICKETS: case OP_RELOAD: case OP_PSK_KE: case OP_EARLY: case OP_TRACE: case OP_KEYLOG:
        return 0;
    }
    return 1;
}

static int is_ring_op(int op)
{
    return op == OP_TICKET_KEYS_FILE || op == OP_TICKET_KEYS || op == OP_TICKET_SECRET || op == OP_TICKET_SECRET_FILE;
}
static int is_cert_op(int op) { return op == OP_CERT_FILES || op == OP_SELF_SIGNED || op == OP_PROVIDER; }

/* What the calls so far should have made of the config. */
typedef struct {
    int last[NOPS];  /* variant of the last successful call, -1: none */
    int count[NOPS]; /* successful calls */
    int ring_last;   /* the ring source that set the ticket ring last, -1: none */
    int ncerts;
} model;

static void model_init(model *m)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < NOPS; i++) m->last[i] = -1;
    m->ring_last = -1;
}

/* Whether a valid call should succeed on a config that is not frozen. */
static int op_expect_ok(const model *m, int op)
{
    if (op == OP_OCSP_FILE) return m->ncerts > 0;
    if (op == OP_RELOAD) return m->ring_last == OP_TICKET_KEYS_FILE;
    if (is_cert_op(op)) return m->ncerts < PL_MAX_CERTS;
    if (op == OP_CRL) return m->count[OP_CRL] < PL_MAX_CRL_FILES;
    return 1;
}

static void model_apply(model *m, int op, int v)
{
    if (op == OP_RELOAD) return;
    m->last[op] = v;
    m->count[op]++;
    if (is_ring_op(op)) m->ring_last = op;
    if (is_cert_op(op)) m->ncerts++;
}

static void ring_equals(const pl_ticket_ring *r, const uint8_t *bytes, int n)
{
    assert_int_equal(r->n, n);
    for (int i = 0; i < n; i++) {
        assert_memory_equal(r->keys[i].name, bytes + i * PL_TICKET_KEY_LEN, 16);
        assert_memory_equal(r->keys[i].key, bytes + i * PL_TICKET_KEY_LEN + 16, 32);
    }
}

static void ring_derived_from(const parley_config *cfg, const uint8_t *secret, size_t len)
{
    pl_ticket_ring r;
    time_t now = time(NULL);
    assert_int_equal(pl_ticket_ring_derive(&r, secret, len, now, cfg->ticket_rotation), 0);
    assert_true(cfg->tickets.derived);
    assert_memory_equal(cfg->tickets.prk, r.prk, sizeof r.prk);
    assert_int_equal(cfg->tickets.n, PL_TICKET_KEYS);
    assert_true(cfg->tickets.epoch == now / cfg->ticket_rotation || cfg->tickets.epoch == now / cfg->ticket_rotation - 1);
    assert_null(cfg->ticket_keys_file); /* a reload must not put a file's keys over this ring */
    pl_cleanse(&r, sizeof r);
}

/* The effect of op's last successful call is visible in cfg (nothing else
 * undid it). */
static void op_check(const parley_config *cfg, const model *m, int op)
{
    int v = m->last[op];
    if (v < 0 && op != OP_RELOAD) return;
    switch (op) {
    case OP_VERSIONS:
        assert_int_equal(cfg->min_version, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        assert_int_equal(cfg->max_version, v ? PARLEY_TLS1_2 : PARLEY_TLS1_3);
        break;
    case OP_CIPHERS:
        assert_int_equal(cfg->nsuites, NCIPHER[v]);
        assert_memory_equal(cfg->suites, CIPHER_IDS[v], NCIPHER[v] * 2);
        break;
    case OP_GROUPS:
        assert_int_equal(cfg->ngroups, NGROUP[v]);
        assert_memory_equal(cfg->groups, GROUP_IDS[v], NGROUP[v] * 2);
        break;
    case OP_RSA_KX: assert_int_equal(cfg->allow_rsa_kx, !v); break;
    case OP_EMS: assert_int_equal(cfg->require_ems, v); break;
    case OP_ALPN:
        assert_int_equal(cfg->alpn_len, v ? sizeof ALPN_WIRE1 - 1 : sizeof ALPN_WIRE0 - 1);
        assert_memory_equal(cfg->alpn, v ? ALPN_WIRE1 : ALPN_WIRE0, cfg->alpn_len);
        break;
    case OP_PADDING: assert_int_equal(cfg->record_pad, v ? 256 : 64); break;
    case OP_CERT_FILES:
    case OP_SELF_SIGNED:
    case OP_PROVIDER: {
        assert_int_equal(cfg->ncerts, m->ncerts);
        int local = 0, provider = 0;
        for (size_t i = 0; i < cfg->ncerts; i++) {
            assert_non_null(cfg->certs[i].chain.der);
            assert_true(cfg->certs[i].cert_msg.len > 0 && cfg->certs[i].cert_msg12.len > 0);
            if (cfg->certs[i].provider == &g_provider.base) provider++;
            else if (cfg->certs[i].provider == &cfg->certs[i].local && cfg->certs[i].local_key) local++;
        }
        assert_int_equal(provider, m->count[OP_PROVIDER]);
        assert_int_equal(local, m->count[OP_CERT_FILES] + m->count[OP_SELF_SIGNED]);
        break;
    }
    case OP_CA_FILE: assert_string_equal(cfg->ca_file, v ? P_CLI : P_SRV); break;
    case OP_CLIENT_CA:
        assert_non_null(cfg->client_ca_file);
        assert_string_equal(cfg->client_ca_file, v ? P_CLI_COPY : P_CLI);
        /* Asking for client certificates is the default a client CA brings;
         * an explicit set_verify_client, before or after, decides. */
        if (m->last[OP_VERIFY_CLIENT] < 0) assert_int_equal(cfg->verify_client, PARLEY_VERIFY_CLIENT_OPTIONAL);
        break;
    case OP_VERIFY_CLIENT:
        assert_int_equal(cfg->verify_client, v ? PARLEY_VERIFY_CLIENT_NONE : PARLEY_VERIFY_CLIENT_REQUIRE);
        break;
    case OP_CRL:
        assert_int_equal(cfg->ncrl_files, m->count[OP_CRL]);
        for (int i = 0; i < cfg->ncrl_files; i++) assert_true(!strcmp(cfg->crl_files[i], P_CRL1) || !strcmp(cfg->crl_files[i], P_CRL2));
        assert_string_equal(cfg->crl_files[cfg->ncrl_files - 1], v ? P_CRL2 : P_CRL1);
        break;
    case OP_CRL_FATAL: assert_int_equal(cfg->crl_expired_fatal, v); break;
    case OP_DEPTH: assert_int_equal(cfg->max_depth, v ? 8 : 4); break;
    case OP_OCSP_FILE: {
        const pl_cert_entry *e = &cfg->certs[0];
        assert_int_equal(e->ocsp.len, v ? sizeof OCSP2 : sizeof OCSP1);
        assert_memory_equal(e->ocsp.data, v ? OCSP2 : OCSP1, e->ocsp.len);
        assert_true(e->cert_msg_ocsp.len > e->cert_msg.len + e->ocsp.len);
        break;
    }
    case OP_OCSP: assert_int_equal(cfg->ocsp_mode, v ? PARLEY_OCSP_NONE : PARLEY_OCSP_PREFER); break;
    case OP_VERIFY: assert_int_equal(cfg->verify, v); break;
    case OP_VERIFY_CACHE: assert_int_equal(cfg->verify_cache_off, !v); break;
    case OP_TIME: assert_true(cfg->now == (v ? 0 : g_later)); break;
    case OP_CACHE:
        assert_ptr_equal(cfg->cache, v ? NULL : g_cache);
        assert_int_equal(cfg->cache_disabled, v);
        assert_int_equal(cfg->cache_owned, 0);
        break;
    case OP_LIFETIME: assert_int_equal(cfg->session_lifetime, v ? 600 : 3600); break;
    case OP_TICKETS: assert_int_equal(cfg->tickets_disabled, !v); break;
    case OP_ROTATION: assert_int_equal(cfg->ticket_rotation, ROTATION[v]); break;
    case OP_PSK_KE: assert_int_equal(cfg->psk_ke, !v); break;
    case OP_EARLY: assert_int_equal(cfg->max_early_data, v ? 0 : 1024); break;
    case OP_TRACE:
        assert_ptr_equal(cfg->trace, trace_fn);
        assert_ptr_equal(cfg->trace_arg, v ? &g_trace_b : &g_trace_a);
        break;
    case OP_KEYLOG:
        assert_ptr_equal(cfg->keylog, keylog_fn);
        assert_ptr_equal(cfg->keylog_arg, v ? &g_keylog_b : &g_keylog_a);
        break;
    case OP_KEYLOG_FILE: assert_non_null(cfg->keylog_file); break;
    case OP_RELOAD:
    case OP_TICKET_KEYS_FILE:
    case OP_TICKET_KEYS:
    case OP_TICKET_SECRET:
    case OP_TICKET_SECRET_FILE:
        /* One ring: the last of the four ring setters owns it. */
        switch (m->ring_last) {
        case -1:
            if (!atomic_load(&cfg->frozen)) assert_int_equal(cfg->tickets.n, 0);
            assert_null(cfg->ticket_keys_file);
            break;
        case OP_TICKET_KEYS_FILE:
            assert_non_null(cfg->ticket_keys_file);
            assert_string_equal(cfg->ticket_keys_file, m->last[OP_TICKET_KEYS_FILE] ? P_TK2 : P_TK1);
            if (m->last[OP_TICKET_KEYS_FILE]) ring_equals(&cfg->tickets, TK2, 1);
            else ring_equals(&cfg->tickets, TK1, 2);
            break;
        case OP_TICKET_KEYS:
            if (m->last[OP_TICKET_KEYS]) ring_equals(&cfg->tickets, K2, 1);
            else ring_equals(&cfg->tickets, K1, 2);
            assert_null(cfg->ticket_keys_file);
            break;
        case OP_TICKET_SECRET:
            if (m->last[OP_TICKET_SECRET]) ring_derived_from(cfg, S2, sizeof S2);
            else ring_derived_from(cfg, S1, sizeof S1);
            break;
        case OP_TICKET_SECRET_FILE:
            if (m->last[OP_TICKET_SECRET_FILE]) ring_derived_from(cfg, SF2, sizeof SF2);
            else ring_derived_from(cfg, SF1, sizeof SF1);
            break;
        }
        break;
    default: fail_msg("no check for setter %d", op);
    }
}

static void check_all(const parley_config *cfg, const model *m)
{
    for (int op = 0; op < NOPS; op++) op_check(cfg, m, op);
}

/* The whole config but its error text, to compare before and after. */
static unsigned char g_snap[sizeof(parley_config)], g_now_bytes[sizeof(parley_config)];
static void snapshot(const parley_config *cfg) { memcpy(g_snap, cfg, sizeof *cfg), memset(g_snap + offsetof(parley_config, err), 0, sizeof cfg->err); }
static int unchanged(const parley_config *cfg)
{
    memcpy(g_now_bytes, cfg, sizeof *cfg);
    memset(g_now_bytes + offsetof(parley_config, err), 0, sizeof cfg->err);
    return memcmp(g_snap, g_now_bytes, sizeof g_snap) == 0;
}

/* One call through the model: success as predicted, effect visible; a
 * failure changes nothing and says why. */
static void do_op(parley_config *cfg, model *m, int op, int v)
{
    int expect = v == BAD ? 0 : op_expect_ok(m, op);
    snapshot(cfg);
    int rc = op_call(cfg, op, v);
    if (rc != (expect ? PARLEY_OK : PARLEY_ERROR))
        fail_msg("%s(variant %d) returned %d, expected %s: %s", op_name[op], v, rc, expect ? "OK" : "an error", parley_config_error_string(cfg));
    if (rc == PARLEY_OK) {
        model_apply(m, op, v);
        op_check(cfg, m, op);
        return;
    }
    if (!unchanged(cfg)) fail_msg("%s(variant %d) failed but changed the config", op_name[op], v);
    if (!parley_config_error_string(cfg)[0]) fail_msg("%s(variant %d) failed without saying why", op_name[op], v);
}

/* Frozen: every setter is refused and changes nothing; the ticket key reload
 * alone is allowed (SIGHUP), and only for a ring from a file. */
static void check_frozen(parley_config *cfg, const model *m)
{
    assert_true(atomic_load(&cfg->frozen));
    for (int op = 0; op < NOPS; op++) {
        for (int v = 0; v <= 1; v++) {
            snapshot(cfg);
            pl_ticket_ring before = cfg->tickets;
            cfg->err[0] = 0;
            int rc = op_call(cfg, op, v);
            if (op == OP_RELOAD) {
                assert_int_equal(rc, m->ring_last == OP_TICKET_KEYS_FILE ? PARLEY_OK : PARLEY_ERROR);
                assert_int_equal(cfg->tickets.n, before.n);
                assert_memory_equal(cfg->tickets.keys, before.keys, sizeof before.keys);
                continue;
            }
            if (rc != PARLEY_ERROR) fail_msg("%s accepted on a frozen config", op_name[op]);
            if (!unchanged(cfg)) fail_msg("%s, refused on a frozen config, changed it", op_name[op]);
            assert_non_null(strstr(parley_config_error_string(cfg), "frozen"));
        }
    }
}

/* Freeze the config as a server does at its first connection. */
static void freeze(parley_config *cfg)
{
    parley_conn *c = parley_conn_new_server(cfg);
    parley_conn_free(c);
}

/* ------------------------------------------------------------ the tests */

/* Every ordered pair of setters, each setter twice (value 0 then 1): both
 * effects stay, the config freezes and refuses everything after, and frees
 * cleanly (LeakSanitizer: the first value of a twice-set setter is freed). */
static void test_every_ordered_pair(void **state)
{
    (void)state;
    for (int a = 0; a < NOPS; a++)
        for (int b = 0; b < NOPS; b++) {
            model m;
            model_init(&m);
            parley_config *cfg = parley_config_new();
            assert_non_null(cfg);
            do_op(cfg, &m, a, 0);
            do_op(cfg, &m, b, a == b ? 1 : 0);
            check_all(cfg, &m);
            freeze(cfg);
            check_frozen(cfg, &m);
            parley_config_free(cfg);
        }
}

/* Every setter's invalid input, after every other setter: nothing changes. */
static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    for (int a = 0; a < NOPS; a++)
        for (int b = 0; b < NOPS; b++) {
            if (!op_has_bad(b)) continue;
            model m;
            model_init(&m);
            parley_config *cfg = parley_config_new();
            do_op(cfg, &m, OP_CERT_FILES, 0); /* so that OCSP's failure is the input's */
            do_op(cfg, &m, a, 0);
            do_op(cfg, &m, b, BAD);
            check_all(cfg, &m);
            parley_config_free(cfg);
        }
}

/* Every setter with each of its allocations failing in turn: an error and an
 * unchanged config until the call finally succeeds. */
static void test_allocation_failure_changes_nothing(void **state)
{
    (void)state;
    for (int op = 0; op < NOPS; op++) {
        for (int prior = 0; prior < 2; prior++) {
            model m;
            model_init(&m);
            parley_config *cfg = parley_config_new();
            do_op(cfg, &m, OP_CERT_FILES, 0);
            if (op == OP_RELOAD) do_op(cfg, &m, OP_TICKET_KEYS_FILE, 0);
            if (prior) do_op(cfg, &m, op, 1); /* a value to replace */
            int done = 0;
            for (long k = 0; k < 1000 && !done; k++) {
                snapshot(cfg);
                g_nalloc = 0;
                g_fail_at = k;
                int rc = op_call(cfg, op, 0);
                g_fail_at = -1;
                if (rc == PARLEY_OK) {
                    model_apply(&m, op, 0);
                    check_all(cfg, &m);
                    done = 1;
                } else if (op != OP_RELOAD && !unchanged(cfg)) {
                    fail_msg("%s with allocation %ld failing changed the config", op_name[op], k);
                } else if (op == OP_RELOAD) {
                    check_all(cfg, &m);
                }
            }
            assert_true(done);
            parley_config_free(cfg);
        }
    }
}

/* xorshift: reproducible permutations. */
static uint64_t g_rng;
static uint32_t rnd(uint32_t n)
{
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng % n);
}

/* Random permutations of all setters, each called once or twice (sometimes
 * with invalid input first) on a server config; then a real handshake with a
 * client that trusts every certificate the server has and presents its own,
 * then every setter refused. */
static void test_random_permutations_handshake(void **state)
{
    (void)state;
    const int runs = getenv("PARLEY_CONFIG_RUNS") ? atoi(getenv("PARLEY_CONFIG_RUNS")) : 300;
    int done = 0;
    for (int run = 0; run < runs; run++) {
        g_rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(run + 1) * 0x2545f4914f6cdd1dull;
        int seq[2 * NOPS], n = 0;
        for (int op = 0; op < NOPS; op++) {
            seq[n++] = op;
            if (rnd(2)) seq[n++] = op;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int)rnd((uint32_t)i + 1), t = seq[i];
            seq[i] = seq[j], seq[j] = t;
        }
        model m;
        model_init(&m);
        parley_config *sc = parley_config_new();
        for (int i = 0; i < n; i++) {
            if (op_has_bad(seq[i]) && rnd(4) == 0) do_op(sc, &m, seq[i], BAD);
            do_op(sc, &m, seq[i], (int)rnd(2));
        }
        check_all(sc, &m);
        /* The client trusts what the server may send. */
        FILE *f = fopen(P_BUNDLE, "w");
        for (int i = 0; i < (int)sc->ncerts; i++) {
            char pem[8192];
            assert_int_equal(parley_config_export_cert_pem(sc, i, pem, sizeof pem), PARLEY_OK);
            fputs(pem, f);
        }
        fclose(f);
        parley_config *cc = parley_config_new();
        assert_int_equal(parley_config_set_ca_file(cc, P_BUNDLE), PARLEY_OK);
        assert_int_equal(parley_config_add_cert_files(cc, P_CLI, P_CLI_KEY), PARLEY_OK);
        assert_int_equal(parley_config_set_alpn(cc, "http/1.1"), PARLEY_OK);
        pair p;
        parley_config_ref(sc);
        make_pair(&p, cc, sc, "localhost");
        int crc, src;
        if (pair_handshake(&p, &crc, &src) != 0)
            fail_msg("run %d: handshake failed (%d/%d): client: %s; server: %s", run, crc, src, parley_conn_error_string(p.client),
                     parley_conn_error_string(p.server));
        if (m.last[OP_VERIFY_CLIENT] != 1) assert_string_equal(parley_conn_verify_result(p.server), "ok");
        exchange(&p, p.client, p.server, "configured in any order");
        free_pair(&p);
        check_all(sc, &m);
        check_frozen(sc, &m);
        parley_config_free(sc);
        done++;
    }
    assert_int_equal(done, runs);
}

/* The application drops its config while connections still use it (the
 * proxy's SIGHUP reload does exactly that): the connections keep theirs. */
static void test_free_with_live_connections(void **state)
{
    (void)state;
    parley_config *sc = parley_config_new(), *cc = parley_config_new();
    assert_int_equal(parley_config_add_cert_files(sc, P_SRV, P_SRV_KEY), PARLEY_OK);
    assert_int_equal(parley_config_set_ticket_keys_file(sc, P_TK1), PARLEY_OK);
    assert_int_equal(parley_config_set_ca_file(cc, P_SRV), PARLEY_OK);
    pair p;
    make_pair(&p, cc, sc, "localhost"); /* drops the application's references */
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    exchange(&p, p.server, p.client, "still mine");
    free_pair(&p);
}

/* SIGHUP on a frozen config in use: a good key file replaces the ring, a bad
 * or missing one keeps it; a ring that did not come from a file is never
 * replaced by one named earlier. */
static void test_reload_ticket_keys(void **state)
{
    (void)state;
    char reload[512];
    path(reload, "reload.keys");
    write_hex_lines(reload, TK1, sizeof TK1, PL_TICKET_KEY_LEN);
    parley_config *sc = parley_config_new(), *cc = parley_config_new();
    assert_int_equal(parley_config_add_cert_files(sc, P_SRV, P_SRV_KEY), PARLEY_OK);
    assert_int_equal(parley_config_set_ticket_keys_file(sc, reload), PARLEY_OK);
    assert_int_equal(parley_config_set_ca_file(cc, P_SRV), PARLEY_OK);
    pair p;
    parley_config_ref(sc);
    make_pair(&p, cc, sc, "localhost");
    assert_int_equal(pair_handshake(&p, NULL, NULL), 0);
    write_hex_lines(reload, TK2, sizeof TK2, PL_TICKET_KEY_LEN);
    assert_int_equal(parley_config_reload_ticket_keys(sc), PARLEY_OK);
    ring_equals(&sc->tickets, TK2, 1);
    write_file(reload, "garbage\n", 8);
    assert_int_equal(parley_config_reload_ticket_keys(sc), PARLEY_ERROR);
    ring_equals(&sc->tickets, TK2, 1);
    remove(reload);
    assert_int_equal(parley_config_reload_ticket_keys(sc), PARLEY_ERROR);
    ring_equals(&sc->tickets, TK2, 1);
    exchange(&p, p.client, p.server, "after reloads");
    free_pair(&p);
    parley_config_free(sc);

    /* The file named first, the ring set from memory after: nothing to reload. */
    sc = parley_config_new();
    assert_int_equal(parley_config_set_ticket_keys_file(sc, P_TK1), PARLEY_OK);
    assert_int_equal(parley_config_set_ticket_keys(sc, K2, 1), PARLEY_OK);
    assert_int_equal(parley_config_reload_ticket_keys(sc), PARLEY_ERROR);
    ring_equals(&sc->tickets, K2, 1);
    parley_config_free(sc);
}

/* A trust store that failed to load at the first connection (here: a CRL file
 * that cannot be read) must fail every later connection too, not serve them
 * with a half-built store that lacks the CRLs listed after the bad one (a
 * revoked client certificate would then be accepted). */
static void test_failed_trust_setup_never_half_used(void **state)
{
    (void)state;
    /* The revoking CRL alone: the client's certificate is refused. */
    parley_config *sc = parley_config_new(), *cc = parley_config_new();
    assert_int_equal(parley_config_add_cert_files(sc, P_SRV, P_SRV_KEY), PARLEY_OK);
    assert_int_equal(parley_config_set_client_ca(sc, P_CLI), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(sc, P_CRL_REVOKED), PARLEY_OK);
    assert_int_equal(parley_config_set_ca_file(cc, P_SRV), PARLEY_OK);
    assert_int_equal(parley_config_add_cert_files(cc, P_CLI, P_CLI_KEY), PARLEY_OK);
    pair p;
    make_pair(&p, cc, sc, "localhost");
    assert_int_not_equal(pair_handshake(&p, NULL, NULL), 0);
    free_pair(&p);

    /* An unreadable CRL first, then the revoking one. */
    sc = parley_config_new();
    assert_int_equal(parley_config_add_cert_files(sc, P_SRV, P_SRV_KEY), PARLEY_OK);
    assert_int_equal(parley_config_set_client_ca(sc, P_CLI), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(sc, P_CRL_BAD), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(sc, P_CRL_REVOKED), PARLEY_OK);
    for (int i = 0; i < 3; i++) {
        parley_conn *c = parley_conn_new_server(sc);
        if (c) {
            parley_conn_free(c);
            fail_msg("connection %d accepted a config whose CRLs did not load", i + 1);
        }
        assert_non_null(strstr(parley_config_error_string(sc), "bad.crl"));
    }
    parley_config_free(sc);

    /* The client side: the same, and no store leaked per attempt. */
    cc = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cc, P_SRV), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(cc, P_CRL_BAD), PARLEY_OK);
    for (int i = 0; i < 3; i++) {
        parley_conn *c = parley_conn_new_client(cc, "localhost");
        if (c) {
            parley_conn_free(c);
            fail_msg("client connection %d accepted a config whose CRLs did not load", i + 1);
        }
        assert_null(cc->trust);
    }
    parley_config_free(cc);
}

/* The certificate table's bound: the ninth certificate is refused, nothing
 * leaks, the eight stay. */
static void test_certificate_limit(void **state)
{
    (void)state;
    model m;
    model_init(&m);
    parley_config *cfg = parley_config_new();
    for (int i = 0; i < PL_MAX_CERTS + 2; i++) do_op(cfg, &m, i % 2 ? OP_PROVIDER : OP_CERT_FILES, 0);
    assert_int_equal(cfg->ncerts, PL_MAX_CERTS);
    for (int i = 0; i < PL_MAX_CRL_FILES + 2; i++) do_op(cfg, &m, OP_CRL, i % 2);
    check_all(cfg, &m);
    parley_config_free(cfg);
}

/* An OCSP response larger than the 1 MiB the setter reads is refused, and
 * the staple set before stays (before: the call failed but had already
 * replaced the staple with the response's first MiB, which TLS 1.2 would
 * send truncated, and freed the TLS 1.3 Certificate message built for it). */
static void test_ocsp_response_too_large(void **state)
{
    (void)state;
    char big[512];
    path(big, "big.ocsp");
    size_t n = (1u << 20) + 1;
    uint8_t *b = calloc(1, n);
    assert_non_null(b);
    write_file(big, b, n);
    free(b);
    model m;
    model_init(&m);
    parley_config *cfg = parley_config_new();
    do_op(cfg, &m, OP_CERT_FILES, 0);
    do_op(cfg, &m, OP_OCSP_FILE, 1);
    snapshot(cfg);
    assert_int_equal(parley_config_set_ocsp_response_file(cfg, 0, big), PARLEY_ERROR);
    assert_true(unchanged(cfg));
    check_all(cfg, &m);
    parley_config_free(cfg);
    remove(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_ordered_pair),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_allocation_failure_changes_nothing),
        cmocka_unit_test(test_random_permutations_handshake),
        cmocka_unit_test(test_free_with_live_connections),
        cmocka_unit_test(test_reload_ticket_keys),
        cmocka_unit_test(test_failed_trust_setup_never_half_used),
        cmocka_unit_test(test_certificate_limit),
        cmocka_unit_test(test_ocsp_response_too_large),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
