/* alloc_failure_test.c - every allocation of a handshake fails once.
 *
 * A counting allocator goes in through parley_set_allocator() before anything
 * else. Each scenario (configs loaded from files, complete handshakes in
 * memory, data both ways, resumption, close, everything freed) first runs
 * with no failure to count its allocations, then once for each N = 1, 2, ...
 * with the Nth allocation failing, until a run makes fewer than N. Both ends
 * of the pair share the allocator, so the failure lands in either role.
 *
 * Every run must end either in a clean error (PARLEY_ERROR, NULL from a
 * constructor, with a non-empty error string: parley_conn_error_string or
 * parley_config_error_string) or, when the failed allocation was optional,
 * in handshakes that completed with all their state (version, ALPN, server
 * name, verification result, the client's certificate, a working record
 * layer). No crash, no assertion, no hang (every loop is bounded), and no
 * leak: the allocator counts live blocks after every run, and under ASan
 * LeakSanitizer checks every few runs and at exit.
 *
 * ctest runs the CI scenarios (libparley's own allocations): TLS 1.3 and
 * TLS 1.2, both roles, client certificates, tickets and resumption, a
 * HelloRetryRequest, KeyUpdate, close_notify. `make alloc-sweep` runs more
 * scenarios (PARLEY_ALLOC_SWEEP=long: session caches, stateful tickets, the
 * verification cache, config loading, the keyless codec) and with
 * ALLOC_SWEEP_CRYPTO=1 fails libcrypto's allocations too
 * (PARLEY_ALLOC_SWEEP_CRYPTO=1: CRYPTO_set_mem_functions, installed before
 * libcrypto allocates anything). No build option is needed: both hooks are
 * set at run time, first thing in main().
 *
 * Knobs: PARLEY_ALLOC_ONLY=scenario:N (or N-M) runs those cases (then `break
 * af_hit` in gdb stops at the failing allocation); PARLEY_ALLOC_STEP=k fails
 * every k-th allocation only; PARLEY_ALLOC_LSAN_EVERY=k runs LeakSanitizer
 * after every k-th run (default 8; 0: only at exit); PARLEY_ALLOC_VERBOSE=1
 * prints every run's outcome and error strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>
#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "crypto/fetch.h"
#include "helpers.h"
#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define AF_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AF_LSAN 1
#endif
#endif
#ifdef AF_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* ------------------------------------------------------------ allocator */

static unsigned long af_count;   /* allocations since the run began */
static unsigned long af_fail_at; /* 0: none fails */
static unsigned long af_injected; /* failures returned in this run */
static long af_live;             /* libparley blocks not yet freed */
static long af_base;             /* ... when the run began */
static int af_armed;             /* count libcrypto's allocations only during a run */
static int af_crypto;            /* libcrypto's allocations fail too */
static int af_crypto_env;        /* ... as PARLEY_ALLOC_SWEEP_CRYPTO asked (tests may change af_crypto) */
static int af_crypto_all;        /* every libcrypto allocation fails, now */
static int af_verbose;

/* Where an injected failure happens: `break af_hit` in a debugger. */
__attribute__((noinline)) void af_hit(void);
__attribute__((noinline)) void af_hit(void) { __asm__ volatile(""); }

static int af_fail_now(void)
{
    af_count++;
    if (af_fail_at && af_count == af_fail_at) {
        af_hit();
        af_injected++;
        return 1;
    }
    return 0;
}

static void *af_malloc(size_t n)
{
    if (af_fail_now()) return NULL;
    void *p = malloc(n);
    if (p) af_live++;
    return p;
}

static void af_free(void *p)
{
    if (!p) return;
    af_live--;
    free(p);
}

static void *af_c_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    if (af_crypto_all || (af_crypto && af_armed && af_fail_now())) return NULL;
    return malloc(n);
}

static void *af_c_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    if (n && (af_crypto_all || (af_crypto && af_armed && af_fail_now()))) return NULL;
    return realloc(p, n);
}

static void af_c_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

/* ------------------------------------------------------------- checking */

static const char *g_scenario;

/* An API call failed: only allowed when an allocation failed, and it must say why. */
static void af_failed_call(const char *what, const char *why)
{
    if (!af_injected)
        fail_msg("%s: %s failed with no allocation failure: %s", g_scenario, what, why ? why : "(null)");
    if (!why || !why[0]) fail_msg("%s N=%lu: %s failed with an empty error string", g_scenario, af_fail_at, what);
    if (af_verbose) printf("    N=%lu %s: %s\n", af_fail_at, what, why);
    /* Sensible: it says what happened, and an alert it caused blames no one
     * (internal_error, never a protocol alert that accuses the peer). The
     * last three are calls without an error string of their own. */
    /* (With libcrypto failing too, only non-empty: libcrypto reports a failed
     * allocation as the failure of whatever it was doing, e.g. "cannot open
     * certificate file", and a peer may see a protocol alert.) */
    if (af_crypto) return;
    if (!strstr(why, "memory") && strcmp(why, "peer sent alert internal_error (80)") && strcmp(why, "NULL") &&
        strcmp(why, "no resumable session") && strcmp(why, "PARLEY_ERROR"))
        fail_msg("%s N=%lu: %s failed with a misleading error: %s", g_scenario, af_fail_at, what, why);
}

static void af_check(int cond, const char *what)
{
    if (!cond) fail_msg("%s N=%lu: %s", g_scenario, af_fail_at, what);
}

/* ------------------------------------------------------------ fixtures */

static char g_path[8][512];
enum { P_SERVER_CERT, P_SERVER_KEY, P_CLIENT_CERT, P_CLIENT_KEY, P_TICKET_KEYS, P_TICKET_SECRET, P_KEY_DIR };

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static int setup(void **state)
{
    (void)state;
    const char *d = test_dir();
    if (make_cert(d, "server", "ec256", "localhost", -1, 30) || make_cert(d, "client", "ec256", "client.example", -1, 30))
        return -1;
    snprintf(g_path[P_SERVER_CERT], sizeof g_path[0], "%s/server.pem", d);
    snprintf(g_path[P_SERVER_KEY], sizeof g_path[0], "%s/server.key", d);
    snprintf(g_path[P_CLIENT_CERT], sizeof g_path[0], "%s/client.pem", d);
    snprintf(g_path[P_CLIENT_KEY], sizeof g_path[0], "%s/client.key", d);
    snprintf(g_path[P_TICKET_KEYS], sizeof g_path[0], "%s/ticket.keys", d);
    snprintf(g_path[P_TICKET_SECRET], sizeof g_path[0], "%s/ticket.secret", d);
    snprintf(g_path[P_KEY_DIR], sizeof g_path[0], "%s/keys", d);
    /* A key server's directory: one private key as keys/key.pem. */
    char cert[600], key[600], pem[600];
    snprintf(cert, sizeof cert, "%s/key.pem", g_path[P_KEY_DIR]);
    snprintf(key, sizeof key, "%s/key.key", g_path[P_KEY_DIR]);
    snprintf(pem, sizeof pem, "%s/key.pem", g_path[P_KEY_DIR]);
    mkdir(g_path[P_KEY_DIR], 0700);
    if (make_cert(g_path[P_KEY_DIR], "key", "ec256", "localhost", -1, 30) || remove(cert) || rename(key, pem)) return -1;
    if (write_file(g_path[P_TICKET_KEYS], "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n"
                                          "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n") ||
        write_file(g_path[P_TICKET_SECRET], "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"))
        return -1;
    return 0;
}

/* What a scenario's handshakes do. */
typedef struct {
    uint16_t version;
    int hrr;             /* TLS 1.3: the client's first share is x25519, the server wants secp256r1 */
    int client_auth;     /* the server requires a client certificate */
    int resume;          /* a second connection offers the first one's session */
    int cache;           /* sessions in a memory cache: 1.2 session IDs, 1.3 stateful tickets */
    int verify_cache;    /* both clients share one config and its verification cache */
} spec;

#define CFG_OK(cfg, call)                                                                                         \
    do {                                                                                                          \
        if ((call) != PARLEY_OK) {                                                                                \
            af_failed_call(#call, parley_config_error_string(cfg));                                               \
            goto fail;                                                                                            \
        }                                                                                                         \
    } while (0)

#define CFG_OK2(cfg, call)                                                                                        \
    do {                                                                                                          \
        if ((call) != PARLEY_OK) {                                                                                \
            af_failed_call(#call, parley_config_error_string(cfg));                                               \
            goto fail2;                                                                                           \
        }                                                                                                         \
    } while (0)

static parley_config *server_config(const spec *s, parley_session_cache **cache)
{
    parley_config *cfg = parley_config_new();
    if (!cfg) {
        af_failed_call("parley_config_new", "NULL");
        return NULL;
    }
    CFG_OK(cfg, parley_config_add_cert_files(cfg, g_path[P_SERVER_CERT], g_path[P_SERVER_KEY]));
    CFG_OK(cfg, parley_config_set_versions(cfg, s->version, s->version));
    CFG_OK(cfg, parley_config_set_alpn(cfg, "h2,http/1.1"));
    if (s->hrr) CFG_OK(cfg, parley_config_set_groups(cfg, "secp256r1"));
    if (s->client_auth) {
        CFG_OK(cfg, parley_config_set_client_ca(cfg, g_path[P_CLIENT_CERT]));
        CFG_OK(cfg, parley_config_set_verify_client(cfg, PARLEY_VERIFY_CLIENT_REQUIRE));
    }
    if (s->cache) {
        *cache = parley_session_cache_memory_new(64);
        if (!*cache) {
            af_failed_call("parley_session_cache_memory_new", "NULL");
            goto fail;
        }
        CFG_OK(cfg, parley_config_set_session_cache(cfg, *cache));
        CFG_OK(cfg, parley_config_set_tickets(cfg, 0));
    }
    return cfg;
fail:
    parley_config_free(cfg);
    return NULL;
}

static parley_config *client_config(const spec *s)
{
    parley_config *cfg = parley_config_new();
    if (!cfg) {
        af_failed_call("parley_config_new", "NULL");
        return NULL;
    }
    CFG_OK(cfg, parley_config_set_ca_file(cfg, g_path[P_SERVER_CERT]));
    CFG_OK(cfg, parley_config_set_versions(cfg, s->version, s->version));
    CFG_OK(cfg, parley_config_set_alpn(cfg, "h2"));
    if (s->hrr) CFG_OK(cfg, parley_config_set_groups(cfg, "x25519:secp256r1"));
    if (s->client_auth) CFG_OK(cfg, parley_config_add_cert_files(cfg, g_path[P_CLIENT_CERT], g_path[P_CLIENT_KEY]));
    CFG_OK(cfg, parley_config_set_verify_cache(cfg, s->verify_cache));
    return cfg;
fail:
    parley_config_free(cfg);
    return NULL;
}

/* ---------------------------------------------------------- connections */

/* A failed connection call: PARLEY_ERROR with a reason. */
static void conn_failed(parley_conn *c, const char *what)
{
    af_failed_call(what, parley_conn_error_string(c));
}

/* Both handshakes, bounded. 0: both complete; -1: one failed cleanly (the
 * failing side says why; its peer failed too or is still waiting). */
static int af_handshake(pair *p)
{
    int c = PARLEY_WANT_READ, s = PARLEY_WANT_READ, idle = 0;
    for (int i = 0; i < 64; i++) {
        c = parley_conn_handshake(p->client);
        s = parley_conn_handshake(p->server);
        if (c == PARLEY_ERROR || s == PARLEY_ERROR) break;
        if (c == PARLEY_OK && s == PARLEY_OK) return 0;
        af_check(c == PARLEY_OK || c == PARLEY_WANT_READ, "client handshake returned an unexpected status");
        af_check(s == PARLEY_OK || s == PARLEY_WANT_READ, "server handshake returned an unexpected status");
        /* (A failure while taking bytes shows in the next round's status.) */
        if (pair_pump(p)) idle = 0;
        else if (idle++) fail_msg("%s N=%lu: handshake stuck (client %d, server %d)", g_scenario, af_fail_at, c, s);
    }
    af_check(c == PARLEY_ERROR || s == PARLEY_ERROR, "handshake did not finish in 64 rounds");
    /* Let the peer see the alert (if one could be sent). */
    if (c != PARLEY_ERROR) c = parley_conn_handshake(p->client);
    if (s != PARLEY_ERROR) s = parley_conn_handshake(p->server);
    pair_pump(p);
    if (c != PARLEY_ERROR) c = parley_conn_handshake(p->client);
    if (s != PARLEY_ERROR) s = parley_conn_handshake(p->server);
    if (c == PARLEY_ERROR) conn_failed(p->client, "client handshake");
    if (s == PARLEY_ERROR) conn_failed(p->server, "server handshake");
    /* The side that did not fail must not believe the handshake completed
     * with a peer that has given up... unless it had completed first (a
     * client finishes before the server reads its Finished). */
    return -1;
}

/* Send msg from a to b; 0 when it arrived intact, -1 after a clean error. */
static int af_exchange(pair *p, parley_conn *a, parley_conn *b, const char *msg)
{
    uint8_t buf[256];
    size_t len = strlen(msg), total = 0, n = 0;
    if (parley_conn_write(a, (const uint8_t *)msg, len) != PARLEY_OK) {
        conn_failed(a, "parley_conn_write");
        return -1;
    }
    pair_pump(p);
    for (int i = 0; total < len && i < 64; i++) {
        int rc = parley_conn_read(b, buf + total, sizeof buf - total, &n);
        if (rc == PARLEY_WANT_READ) {
            if (pair_pump(p) == 0) {
                /* The sender may have failed after queueing nothing. */
                fail_msg("%s N=%lu: data stuck in flight", g_scenario, af_fail_at);
            }
            continue;
        }
        if (rc == PARLEY_ERROR) {
            conn_failed(b, "parley_conn_read");
            return -1;
        }
        af_check(rc == PARLEY_OK, "read returned an unexpected status");
        total += n;
    }
    af_check(total == len && memcmp(buf, msg, len) == 0, "data arrived corrupted or incomplete");
    return 0;
}

static int af_new_pair_once(pair *p, parley_config *cc, parley_config *sc)
{
    memset(p, 0, sizeof *p);
    p->client = parley_conn_new_client(cc, "localhost");
    if (!p->client) {
        af_failed_call("parley_conn_new_client", parley_config_error_string(cc));
        return -1;
    }
    p->server = parley_conn_new_server(sc);
    if (!p->server) {
        af_failed_call("parley_conn_new_server", parley_config_error_string(sc));
        parley_conn_free(p->client);
        p->client = NULL;
        return -1;
    }
    return 0;
}

/* A constructor that failed for want of memory (the first use of a config
 * loads its trust store, ticket keys and cache) fails cleanly; the same
 * configs must then serve the next connection in full: a transient failure
 * must not leave a config half set up. */
static int af_new_pair(pair *p, parley_config *cc, parley_config *sc)
{
    if (af_new_pair_once(p, cc, sc) == 0) return 0;
    unsigned long injected = af_injected;
    if (af_new_pair_once(p, cc, sc) == 0) return 0;
    af_check(af_injected > injected, "a config stays broken after one failed allocation");
    return -1;
}

static void af_free_pair(pair *p)
{
    pair_free_queues(p);
    parley_conn_free(p->client);
    parley_conn_free(p->server);
    p->client = p->server = NULL;
}

/* A completed handshake has all its state: an allocation that failed
 * without failing the handshake must not have lost any of it. */
static void check_complete(const spec *s, pair *p, int want_resumed, int *resumed)
{
    const char *vr;
    af_check(parley_conn_handshake_done(p->client) && parley_conn_handshake_done(p->server), "handshake not done");
    af_check(parley_conn_version(p->client) == s->version && parley_conn_version(p->server) == s->version,
             "wrong version");
    af_check(parley_conn_alpn(p->client) && !strcmp(parley_conn_alpn(p->client), "h2"), "client lost the ALPN protocol");
    af_check(parley_conn_alpn(p->server) && !strcmp(parley_conn_alpn(p->server), "h2"), "server lost the ALPN protocol");
    af_check(parley_conn_server_name(p->server) && !strcmp(parley_conn_server_name(p->server), "localhost"),
             "server lost the server name");
    *resumed = parley_conn_resumed(p->client);
    af_check(*resumed == parley_conn_resumed(p->server), "client and server disagree on resumption");
    /* Resumption may fall back to a full handshake (the session could not be
     * found or kept), but only when an allocation failed. */
    af_check(*resumed == want_resumed || (want_resumed && af_injected), "resumed when it should not, or not resumed");
    vr = parley_conn_verify_result(p->client);
    af_check(!strncmp(vr, "ok", 2), "client's verification result is not ok");
    if (!*resumed) {
        af_check(parley_conn_peer_cert_count(p->client) == 1, "client lost the server's certificate");
        if (s->version == PARLEY_TLS1_3 && s->hrr)
            af_check(parley_conn_group(p->client) == PARLEY_GROUP_SECP256R1, "HRR did not select secp256r1");
    }
    if (s->client_auth) {
        vr = parley_conn_verify_result(p->server);
        af_check(!strncmp(vr, "ok", 2), "server's verification of the client is not ok");
        if (!*resumed) af_check(parley_conn_peer_cert_count(p->server) == 1, "server lost the client's certificate");
    }
}

/* One connection: handshake, checks, data both ways (the client reads, so a
 * TLS 1.3 ticket is processed), optionally the session out and a KeyUpdate.
 * 0 completed, -1 failed cleanly. */
static int one_connection(const spec *s, parley_config *cc, parley_config *sc, const uint8_t *sess_in, size_t sin_len,
                          uint8_t *sess_out, size_t *sout_len, int want_resumed)
{
    pair p;
    int resumed = 0, rc = -1;
    if (af_new_pair(&p, cc, sc) < 0) return -1;
    if (sin_len && parley_conn_set_session(p.client, sess_in, sin_len) != PARLEY_OK) {
        /* Offering a session allocates; it fails only for want of memory. */
        af_failed_call("parley_conn_set_session", "PARLEY_ERROR");
        goto out;
    }
    if (af_handshake(&p) < 0) goto out;
    check_complete(s, &p, want_resumed, &resumed);
    if (af_exchange(&p, p.client, p.server, "client to server") < 0) goto out;
    if (af_exchange(&p, p.server, p.client, "server to client, after the ticket") < 0) goto out;
    if (sess_out) {
        *sout_len = 0;
        if (parley_conn_get_session(p.client, sess_out, 4096, sout_len) != PARLEY_OK) {
            /* No session: the server issued no ticket or the client could
             * not keep it. Allowed only when an allocation failed. */
            af_failed_call("parley_conn_get_session", "no resumable session");
            *sout_len = 0;
        }
    }
    if (s->version == PARLEY_TLS1_3) {
        if (parley_conn_key_update(p.client, 1) != PARLEY_OK) {
            conn_failed(p.client, "parley_conn_key_update");
            goto out;
        }
        if (af_exchange(&p, p.client, p.server, "after the key update") < 0) goto out;
        if (af_exchange(&p, p.server, p.client, "and back with new keys") < 0) goto out;
    }
    if (parley_conn_close(p.client) != PARLEY_OK) {
        conn_failed(p.client, "parley_conn_close");
        goto out;
    }
    pair_pump(&p);
    {
        uint8_t b[16];
        size_t n;
        int r = parley_conn_read(p.server, b, sizeof b, &n);
        if (r == PARLEY_ERROR) {
            conn_failed(p.server, "parley_conn_read (close)");
            goto out;
        }
        af_check(r == PARLEY_CLOSED, "close_notify not seen");
    }
    rc = 0;
out:
    af_free_pair(&p);
    return rc;
}

/* The handshakes of a spec: a full one, then (resume) one offering its
 * session, or (verify_cache) a second full one with the same client config. */
static int run_spec(const spec *s)
{
    parley_session_cache *cache = NULL;
    parley_config *sc = NULL, *cc = NULL, *cc2 = NULL;
    uint8_t sess[4096];
    size_t sl = 0;
    int rc = -1;
    if (!(sc = server_config(s, &cache))) goto out;
    if (!(cc = client_config(s))) goto out;
    if (one_connection(s, cc, sc, NULL, 0, s->resume ? sess : NULL, &sl, 0) < 0) goto out;
    if (s->resume || s->verify_cache) {
        if (s->verify_cache) {
            parley_config_ref(cc);
            cc2 = cc;
        } else if (!(cc2 = client_config(s))) {
            goto out;
        }
        if (one_connection(s, cc2, sc, sess, sl, NULL, NULL, s->resume && sl > 0) < 0) goto out;
    }
    rc = 0;
out:
    parley_config_free(cc2);
    parley_config_free(cc);
    parley_config_free(sc);
    if (cache) parley_session_cache_memory_free(cache);
    return rc;
}

/* ------------------------------------------------------------- scenarios */

static const spec s13_resume = {PARLEY_TLS1_3, 1, 1, 1, 0, 0};
static const spec s12_resume = {PARLEY_TLS1_2, 0, 1, 1, 0, 0};
static const spec s13_cache = {PARLEY_TLS1_3, 0, 0, 1, 1, 0};
static const spec s12_cache = {PARLEY_TLS1_2, 0, 0, 1, 1, 0};
static const spec s13_vcache = {PARLEY_TLS1_3, 0, 0, 0, 0, 1};

static int sc_tls13(void) { return run_spec(&s13_resume); }
static int sc_tls12(void) { return run_spec(&s12_resume); }
static int sc_tls13_cache(void) { return run_spec(&s13_cache); }
static int sc_tls12_cache(void) { return run_spec(&s12_cache); }
static int sc_tls13_verify_cache(void) { return run_spec(&s13_vcache); }

/* Config loading: every file and generated item a server config takes, its
 * first use (freeze), and a ticket key reload. */
static int sc_config_loading(void)
{
    char fp[128], pem[4096];
    int rc = -1;
    parley_conn *s = NULL;
    parley_config *cfg = parley_config_new();
    if (!cfg) {
        af_failed_call("parley_config_new", "NULL");
        return -1;
    }
    CFG_OK(cfg, parley_config_add_cert_files(cfg, g_path[P_SERVER_CERT], g_path[P_SERVER_KEY]));
    CFG_OK(cfg, parley_config_add_self_signed(cfg, fp, sizeof fp));
    if (parley_config_export_cert_pem(cfg, 1, pem, sizeof pem) != PARLEY_OK) {
        /* A const config has no error string to write (libcrypto's PEM writer failed). */
        af_failed_call("parley_config_export_cert_pem", "PARLEY_ERROR");
        goto fail;
    }
    CFG_OK(cfg, parley_config_set_ciphers(cfg, "TLS_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
    CFG_OK(cfg, parley_config_set_groups(cfg, "x25519:secp256r1:ffdhe2048"));
    CFG_OK(cfg, parley_config_set_alpn(cfg, "h2,http/1.1"));
    CFG_OK(cfg, parley_config_set_client_ca(cfg, g_path[P_CLIENT_CERT]));
    CFG_OK(cfg, parley_config_set_ticket_keys_file(cfg, g_path[P_TICKET_KEYS]));
    if (!(s = parley_conn_new_server(cfg)) && !(s = parley_conn_new_server(cfg))) {
        af_failed_call("parley_conn_new_server", parley_config_error_string(cfg));
        goto fail;
    }
    CFG_OK(cfg, parley_config_reload_ticket_keys(cfg));
    rc = 0;
fail:
    parley_conn_free(s);
    parley_config_free(cfg);
    /* A second config: the ticket ring derived from a secret file. */
    if (rc == 0) {
        rc = -1;
        if (!(cfg = parley_config_new())) {
            af_failed_call("parley_config_new", "NULL");
            return -1;
        }
        CFG_OK2(cfg, parley_config_add_cert_files(cfg, g_path[P_SERVER_CERT], g_path[P_SERVER_KEY]));
        CFG_OK2(cfg, parley_config_set_ticket_secret_file(cfg, g_path[P_TICKET_SECRET]));
        rc = 0;
    fail2:
        parley_config_free(cfg);
    }
    return rc;
}

/* The keyless pieces without a network: a key server's keys, a request
 * encoded and decoded, its answer, the response decoded. */
static int sc_keyless_codec(void)
{
    char err[256] = "";
    uint8_t req[PARLEY_KEYLESS_REQUEST_SIZE], resp[2048], digest[32] = {1, 2, 3};
    size_t rl, sl, used;
    int rc = -1, is_resp;
    char kp[600];
    snprintf(kp, sizeof kp, "%s/key.pem", g_path[P_KEY_DIR]);
    parley_key *key = parley_key_load_pem(kp, err, sizeof err);
    if (!key) {
        af_failed_call("parley_key_load_pem", err);
        return -1;
    }
    parley_keystore *ks = parley_keystore_load_dir(g_path[P_KEY_DIR], err, sizeof err);
    if (!ks) {
        af_failed_call("parley_keystore_load_dir", err);
        goto out;
    }
    parley_keyless_msg m = {0}, d, r;
    m.id = 7;
    m.opcode = PARLEY_KEYLESS_SIGN;
    parley_key_id(key, m.key_id);
    m.scheme = PARLEY_SIG_ECDSA_SECP256R1_SHA256;
    m.payload = digest;
    m.payload_len = sizeof digest;
    if (parley_keyless_encode(&m, 0, req, sizeof req, &rl) != PARLEY_OK) {
        af_failed_call("parley_keyless_encode", "PARLEY_ERROR"); /* it has no error string */
        goto out;
    }
    af_check(parley_keyless_decode(req, rl, &is_resp, &d, &used) == PARLEY_OK && !is_resp, "decode failed");
    if (parley_keystore_answer(ks, &d, resp, sizeof resp, &sl) != PARLEY_OK) {
        af_failed_call("parley_keystore_answer", "PARLEY_ERROR");
        goto out;
    }
    af_check(parley_keyless_decode(resp, sl, &is_resp, &r, &used) == PARLEY_OK && is_resp, "response decode failed");
    if (r.status != PARLEY_KEYLESS_OK) {
        af_failed_call("parley_keystore_answer", "status not OK (out of memory?)");
        goto out;
    }
    rc = 0;
out:
    parley_keystore_free(ks);
    parley_key_free(key);
    return rc;
}

/* The session caches on their own: memory and shared memory. */
static int sc_session_caches(void)
{
    uint8_t id[32] = {9}, val[300] = {1}, out[300];
    size_t ol;
    int rc = -1;
    parley_session_cache *m = parley_session_cache_memory_new(4);
    parley_session_cache *sh = parley_session_cache_shm_new(1 << 16);
    parley_session_cache *all[2] = {m, sh};
    if (!m || !sh) {
        af_failed_call("parley_session_cache_*_new", "NULL");
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 6; k++) {
            id[1] = (uint8_t)k;
            /* A store that fails drops the session: a cache may forget. */
            all[i]->store(all[i], id, sizeof id, val, sizeof val, 60);
        }
        if (all[i]->fetch(all[i], id, sizeof id, out, sizeof out, &ol) == PARLEY_OK)
            af_check(ol == sizeof val && !memcmp(out, val, ol), "cache returned another value");
        all[i]->remove(all[i], id, sizeof id);
    }
    rc = 0;
out:
    if (m) parley_session_cache_memory_free(m);
    if (sh) parley_session_cache_shm_free(sh);
    return rc;
}

typedef struct {
    const char *name;
    int (*run)(void);
    int ci; /* part of the ctest sweep */
} scenario;

static const scenario g_scenarios[] = {
    /* TLS 1.3: HelloRetryRequest, client certificate, ticket, resumption
     * (with HRR again), KeyUpdate, close. */
    {"tls13_mtls_hrr_resume", sc_tls13, 1},
    /* TLS 1.2: ECDHE with a client certificate, ticket resumption, close. */
    {"tls12_mtls_ticket_resume", sc_tls12, 1},
    {"tls13_stateful_ticket_cache", sc_tls13_cache, 0},
    {"tls12_session_id_cache", sc_tls12_cache, 0},
    {"tls13_verify_cache", sc_tls13_verify_cache, 0},
    {"config_loading", sc_config_loading, 0},
    {"keyless_codec", sc_keyless_codec, 0},
    {"session_caches", sc_session_caches, 0},
};

/* ----------------------------------------------------------------- sweep */

static int g_long;
static unsigned long g_step = 1; /* PARLEY_ALLOC_STEP: every k-th allocation (a sampled sweep) */
/* LeakSanitizer after every k-th run (it costs more than the run itself);
 * PARLEY_ALLOC_LSAN_EVERY=1 after each, 0 only at exit (it always runs then). */
static unsigned long g_lsan_every = 8;
#ifdef AF_LSAN
static unsigned long g_runs;
#endif
static const char *g_only; /* "name:N" */

static void af_begin(unsigned long fail_at)
{
    af_count = 0;
    af_injected = 0;
    af_fail_at = fail_at;
    af_base = af_live;
    af_armed = 1;
}

static void af_end_lsan(int lsan)
{
    af_armed = 0;
    (void)lsan; /* (used under ASan only) */
    af_check(af_live == af_base, "libparley blocks leaked (live allocation count not back to where it was)");
#ifdef AF_LSAN
    if (lsan && g_lsan_every && ++g_runs % g_lsan_every == 0 && __lsan_do_recoverable_leak_check())
        fail_msg("%s N=%lu: LeakSanitizer found a leak in this run or one of the %lu before it", g_scenario, af_fail_at,
                 g_lsan_every - 1);
#endif
    af_fail_at = 0;
}

static void af_end(void) { af_end_lsan(1); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sweep(const scenario *sc)
{
    unsigned long total, n, completed = 0, failed = 0;
    double t0 = now_s();
    g_scenario = sc->name;
    /* Warm-up (libcrypto's lazily fetched algorithms), then the count. */
    af_begin(0);
    af_check(sc->run() == 0, "the scenario fails with no allocation failure");
    af_end();
    af_begin(0);
    af_check(sc->run() == 0, "the scenario fails with no allocation failure");
    total = af_count;
    af_end();
    unsigned long from = 1, to = (unsigned long)-1;
    if (g_only) {
        size_t l = strlen(sc->name);
        if (strncmp(g_only, sc->name, l) || g_only[l] != ':') return;
        char *end;
        from = to = strtoul(g_only + l + 1, &end, 10);
        if (*end == '-') to = strtoul(end + 1, NULL, 10); /* name:N-M */
    }
    for (n = from; n <= to; n += g_step) {
        if (af_verbose) {
            printf("  %s N=%lu\n", sc->name, n);
            fflush(stdout);
        }
        af_begin(n);
        int rc = sc->run();
        unsigned long made = af_count, injected = af_injected;
        af_end();
        if (!injected) {
            /* Fewer than n allocations: every one has failed in turn. */
            af_check(rc == 0, "a run without an allocation failure failed");
            break;
        }
        if (rc == 0) completed++;
        else failed++;
        if (af_verbose) printf("    -> %s (%lu allocations)\n", rc == 0 ? "completed" : "failed cleanly", made);
        af_check(n < 4 * total + 1000, "the sweep does not end (allocation counts keep growing)");
    }
    printf("%-30s %6lu allocations; %lu runs: %lu failed cleanly, %lu completed; %.1f s\n", sc->name, total,
           completed + failed, failed, completed, now_s() - t0);
    fflush(stdout);
}

static void test_sweep(void **state)
{
    (void)state;
    af_crypto = af_crypto_env; /* even after a test that failed while changing it */
    for (size_t i = 0; i < sizeof g_scenarios / sizeof g_scenarios[0]; i++)
        if (g_scenarios[i].ci || g_long) sweep(&g_scenarios[i]);
}

/* The digests and AEADs are fetched from libcrypto on first use; a fetch
 * that failed for want of memory must be tried again by the next use, not
 * remembered as NULL for the life of the process (every handshake after it
 * failing). Runs first: nothing may have fetched them yet. */
static void test_failed_fetch_is_not_permanent(void **state)
{
    (void)state;
    af_crypto_all = 1;
    const void *got[6] = {pl_fetch_md(PL_SHA256),          pl_fetch_md(PL_SHA384),
                          pl_fetch_md(PL_SHA512),          pl_fetch_cipher(PL_AES_128_GCM),
                          pl_fetch_cipher(PL_AES_256_GCM), pl_fetch_cipher(PL_CHACHA20_POLY1305)};
    /* The same for the key-share templates and the FFDHE primes (kex.c). */
    const uint8_t *prime;
    uint8_t pub[PL_MAX_KEX_PUB];
    size_t publen;
    pl_kex *k = NULL;
    int kx = pl_kex_generate(PARLEY_GROUP_X25519, &k, pub, &publen);
    size_t plen = pl_ffdhe_prime(PARLEY_GROUP_FFDHE2048, &prime);
    af_crypto_all = 0;
    int failed = 0;
    for (int i = 0; i < 6; i++) failed += got[i] == NULL;
    assert_true(failed > 0); /* libcrypto could not fetch them without memory */
    assert_true(kx < 0 && plen == 0);
    assert_int_equal(pl_ffdhe_prime(PARLEY_GROUP_FFDHE2048, &prime), 256);
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_X25519, &k, pub, &publen), 0);
    pl_kex_free(k);
    assert_int_equal(pl_kex_generate(PARLEY_GROUP_SECP256R1, &k, pub, &publen), 0);
    pl_kex_free(k);
    assert_non_null(pl_fetch_md(PL_SHA256));
    assert_non_null(pl_fetch_md(PL_SHA384));
    assert_non_null(pl_fetch_md(PL_SHA512));
    assert_non_null(pl_fetch_cipher(PL_AES_128_GCM));
    assert_non_null(pl_fetch_cipher(PL_AES_256_GCM));
    assert_non_null(pl_fetch_cipher(PL_CHACHA20_POLY1305));
}

/* Signing while each libcrypto allocation in turn fails: an error, or a
 * signature that fits the buffer and verifies; never a success with a
 * length past the buffer (libcrypto 3.0's ECDSA returns 1 with length
 * (unsigned)-1 when it cannot allocate the DER encoding). */
static void test_sign_under_libcrypto_failure(void **state)
{
    (void)state;
    char err[256], kp[600];
    uint8_t msg[64] = {1}, sig[512];
    snprintf(kp, sizeof kp, "%s/key.pem", g_path[P_KEY_DIR]);
    parley_key *key = parley_key_load_pem(kp, err, sizeof err);
    assert_non_null(key);
    int saved = af_crypto, ok = 0, failed = 0;
    af_crypto = 1;
    g_scenario = "parley_key_sign";
    for (unsigned long n = 1; n < 10000; n++) {
        size_t sl = 0;
        af_begin(n);
        int rc = parley_key_sign(key, PARLEY_SIG_ECDSA_SECP256R1_SHA256, msg, sizeof msg, sig, &sl, sizeof sig);
        unsigned long injected = af_injected;
        af_end();
        if (rc == PARLEY_OK) {
            if (sl > sizeof sig) fail_msg("N=%lu: signing succeeded with a length of %zu", n, sl);
            ok++;
        } else {
            af_check(injected > 0, "signing failed without an allocation failure");
            failed++;
        }
        if (!injected) break;
    }
    af_crypto = saved;
    printf("parley_key_sign under libcrypto allocation failures: %d failed cleanly, %d signed\n", failed, ok);
    assert_true(failed > 0);
    parley_key_free(key);
}

/* Loading a two-certificate chain while each libcrypto allocation in turn
 * fails: an error, or the whole chain; never the leaf alone (PEM reading
 * that stopped on an error looked like the end of the file). */
static void test_chain_load_under_libcrypto_failure(void **state)
{
    (void)state;
    char chain[600];
    snprintf(chain, sizeof chain, "%s/chain2.pem", test_dir());
    FILE *o = fopen(chain, "w"), *i;
    assert_non_null(o);
    for (int k = 0; k < 2; k++) {
        char buf[4096];
        size_t n;
        assert_non_null(i = fopen(g_path[k == 0 ? P_SERVER_CERT : P_CLIENT_CERT], "r"));
        while ((n = fread(buf, 1, sizeof buf, i)) > 0) fwrite(buf, 1, n, o);
        fclose(i);
    }
    fclose(o);
    int saved = af_crypto, ok = 0, failed = 0;
    af_crypto = 1;
    g_scenario = "parley_config_add_cert_files (two certificates)";
    for (unsigned long n = 1; n < 100000; n++) {
        af_begin(n);
        parley_config *cfg = parley_config_new();
        int rc = cfg ? parley_config_add_cert_files(cfg, chain, g_path[P_SERVER_KEY]) : PARLEY_ERROR;
        if (rc == PARLEY_OK) {
            if (cfg->certs[0].chain.n != 2)
                fail_msg("N=%lu: the chain loaded with %zu of its 2 certificates", n, cfg->certs[0].chain.n);
            ok++;
        } else {
            failed++;
        }
        parley_config_free(cfg);
        unsigned long injected = af_injected;
        af_end_lsan(0); /* 7000 runs: LeakSanitizer at exit */
        if (!injected) break;
    }
    af_crypto = saved;
    printf("two-certificate chain under libcrypto allocation failures: %d failed cleanly, %d loaded\n", failed, ok);
    assert_true(failed > 0);
}

/* A server config whose first use failed (here: a CRL file that cannot be
 * read) must fail the same way for the next connection, not serve it with a
 * client trust store that lacks the CRLs (revocation silently off). */
static void test_failed_freeze_is_not_sticky(void **state)
{
    (void)state;
    parley_config *sc = parley_config_new();
    assert_non_null(sc);
    assert_int_equal(parley_config_add_cert_files(sc, g_path[P_SERVER_CERT], g_path[P_SERVER_KEY]), PARLEY_OK);
    assert_int_equal(parley_config_set_client_ca(sc, g_path[P_CLIENT_CERT]), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(sc, "/nonexistent/parley.crl"), PARLEY_OK);
    assert_int_equal(parley_config_set_verify_client(sc, PARLEY_VERIFY_CLIENT_REQUIRE), PARLEY_OK);
    for (int i = 0; i < 2; i++) {
        parley_conn *s = parley_conn_new_server(sc);
        if (s) fail_msg("connection %d was made without the CRL that could not be loaded", i + 1);
        assert_non_null(strstr(parley_config_error_string(sc), "no CRL could be read"));
    }
    parley_config_free(sc);
    /* The same for a client's trust store. */
    parley_config *cc = parley_config_new();
    assert_int_equal(parley_config_set_ca_file(cc, g_path[P_SERVER_CERT]), PARLEY_OK);
    assert_int_equal(parley_config_add_crl_file(cc, "/nonexistent/parley.crl"), PARLEY_OK);
    for (int i = 0; i < 2; i++) assert_null(parley_conn_new_client(cc, "localhost"));
    parley_config_free(cc);
    assert_int_equal(af_live, 0);
}

int main(void)
{
    const char *e;
    /* First of all: no libparley (or libcrypto) allocation may come before. */
    /* libcrypto's hooks are always in (they pass through unless told to
     * fail); PARLEY_ALLOC_SWEEP_CRYPTO=1 counts and fails its allocations too. */
    if (!CRYPTO_set_mem_functions(af_c_malloc, af_c_realloc, af_c_free)) {
        fprintf(stderr, "CRYPTO_set_mem_functions: libcrypto has already allocated\n");
        return 1;
    }
    af_crypto = af_crypto_env = (e = getenv("PARLEY_ALLOC_SWEEP_CRYPTO")) && atoi(e);
    if (parley_set_allocator(af_malloc, af_free) != PARLEY_OK) return 1;
    g_long = (e = getenv("PARLEY_ALLOC_SWEEP")) && !strcmp(e, "long");
    g_only = getenv("PARLEY_ALLOC_ONLY");
    af_verbose = (e = getenv("PARLEY_ALLOC_VERBOSE")) && atoi(e);
    if (g_only) g_long = 1;
    if ((e = getenv("PARLEY_ALLOC_STEP")) && strtoul(e, NULL, 10) > 0) g_step = strtoul(e, NULL, 10);
    if ((e = getenv("PARLEY_ALLOC_LSAN_EVERY"))) g_lsan_every = strtoul(e, NULL, 10);
    printf("allocation-failure sweep: %s scenarios, libcrypto allocations %s\n", g_long ? "all" : "CI",
           af_crypto ? "fail too" : "not failed");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_fetch_is_not_permanent),
        cmocka_unit_test(test_failed_freeze_is_not_sticky),
        cmocka_unit_test(test_sign_under_libcrypto_failure),
        cmocka_unit_test(test_chain_load_under_libcrypto_failure),
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
