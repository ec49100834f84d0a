/*
 * main.c - `parley_bench`: Parley, OpenSSL and GnuTLS measured in the same run,
 * in memory, one thread (issue #8). Every number is CPU time of the calls of
 * one side (CLOCK_THREAD_CPUTIME_ID around each call), so the two sides of a
 * pair sharing one thread do not blur each other.
 *
 * usage: parley_bench PKI_DIR SECONDS IDLE_CONNS RESULTS_JSON
 *   PKI_DIR holds ca.{pem,key}, ec256.{pem,key}, rsa2048.{pem,key} (bench/run.sh makes them).
 */
#include <malloc.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ------------------------------------------------------------ plumbing */

/* Where an empty pipe starts writing: not 1-63 bytes past the source modulo
 * 4096. On this kind of CPU (AMD EPYC, fast "rep movsb", glibc 2.36) a 16 KB
 * memcpy whose destination sits there takes ~9 us instead of ~0.3 us (4K
 * aliasing); the harness's own copy must not decide a library's throughput
 * by where its output buffer happened to be allocated. */
static size_t bpipe_start(const bpipe *p, const uint8_t *src)
{
    size_t d = ((uintptr_t)p->d - (uintptr_t)src) & 4095;
    return d && d < 64 ? 64 : 0;
}

void bpipe_put(bpipe *p, const uint8_t *data, size_t n)
{
    if (p->len == 0) p->off = p->d ? bpipe_start(p, data) : 0;
    if (p->off + p->len + n > p->cap) {
        if (p->off) {
            memmove(p->d, p->d + p->off, p->len);
            p->off = 0;
        }
        if (p->len + n + 64 > p->cap) {
            p->cap = (p->len + n) * 2 + 64;
            p->d = realloc(p->d, p->cap);
        }
        if (p->len == 0) p->off = bpipe_start(p, data);
    }
    memcpy(p->d + p->off + p->len, data, n);
    p->len += n;
}

size_t bpipe_get(bpipe *p, uint8_t *out, size_t n)
{
    if (n > p->len) n = p->len;
    memcpy(out, p->d + p->off, n);
    p->off += n;
    p->len -= n;
    return n;
}

void bpipe_free(bpipe *p)
{
    free(p->d);
    memset(p, 0, sizeof *p);
}

void *bench_counted_malloc(long long *counter, size_t n)
{
    long long *h = malloc(n + 16); /* the size in front, 16 bytes to keep alignment */
    if (!h) return NULL;
    h[0] = (long long)n;
    *counter += (long long)n;
    return h + 2;
}

void bench_counted_free(long long *counter, void *p)
{
    if (!p) return;
    long long *h = (long long *)p - 2;
    *counter -= h[0];
    free(h);
}

/* libcrypto's allocations, counted (OpenSSL's libssl and Parley both use it). */
long long bench_crypto_bytes;
static void *c_malloc(size_t n, const char *f, int l)
{
    (void)f;
    (void)l;
    return bench_counted_malloc(&bench_crypto_bytes, n);
}
static void c_free(void *p, const char *f, int l)
{
    (void)f;
    (void)l;
    bench_counted_free(&bench_crypto_bytes, p);
}
static void *c_realloc(void *p, size_t n, const char *f, int l)
{
    if (!p) return c_malloc(n, f, l);
    long long *h = (long long *)p - 2;
    size_t old = (size_t)h[0];
    void *q = c_malloc(n, f, l);
    if (q) memcpy(q, p, old < n ? old : n);
    c_free(p, f, l);
    return q;
}
void bench_install_crypto_hook(void) { CRYPTO_set_mem_functions(c_malloc, c_realloc, c_free); }
void bench_install_parley_hook(void);

/* ------------------------------------------------------------ configurations */

#define GT13 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:"
#define GT12 "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:"
static const bench_cfg HS[] = {
    {"tls13_x25519_ecdsa_p256", 13, "x25519", "ec256", "TLS_AES_128_GCM_SHA256", 0, 0, "TLS_AES_128_GCM_SHA256", "X25519",
     GT13 "+AES-128-GCM:-GROUP-ALL:+GROUP-X25519", 0},
    /* The same, with Parley's client verifying every chain in full (the others always do). */
    {"tls13_x25519_ecdsa_p256 (no verify cache)", 13, "x25519", "ec256", "TLS_AES_128_GCM_SHA256", 0, 0, "TLS_AES_128_GCM_SHA256",
     "X25519", GT13 "+AES-128-GCM:-GROUP-ALL:+GROUP-X25519", 1},
    {"tls13_x25519_rsa2048", 13, "x25519", "rsa2048", "TLS_AES_128_GCM_SHA256", 0, 0, "TLS_AES_128_GCM_SHA256", "X25519",
     GT13 "+AES-128-GCM:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls13_secp256r1_ecdsa_p256", 13, "secp256r1", "ec256", "TLS_AES_128_GCM_SHA256", 0, 0, "TLS_AES_128_GCM_SHA256", "P-256",
     GT13 "+AES-128-GCM:-GROUP-ALL:+GROUP-SECP256R1", 0},
    /* A TLS 1.2 server (OpenSSL's and Parley's) wants the certificate's curve among the
     * client's groups (RFC 8422 5.1); x25519 is still the one negotiated. */
    {"tls12_ecdhe_ecdsa", 12, "x25519:secp256r1", "ec256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0, 0, "ECDHE-ECDSA-AES128-GCM-SHA256",
     "X25519:P-256", GT12 "+ECDHE-ECDSA:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls12_ecdhe_rsa", 12, "x25519", "rsa2048", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0, 0, "ECDHE-RSA-AES128-GCM-SHA256",
     "X25519", GT12 "+ECDHE-RSA:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls12_rsa", 12, NULL, "rsa2048", "TLS_RSA_WITH_AES_128_GCM_SHA256", 1, 0, "AES128-GCM-SHA256", NULL, GT12 "+RSA", 0},
    {"tls12_dhe_ffdhe2048", 12, "ffdhe2048", "rsa2048", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0, 0, "DHE-RSA-AES128-GCM-SHA256",
     "ffdhe2048", GT12 "+DHE-RSA:-GROUP-ALL:+GROUP-FFDHE2048", 0},
};
static const bench_cfg RES[] = {
    {"tls13_psk_dhe_x25519", 13, "x25519", "ec256", "TLS_AES_128_GCM_SHA256", 0, RESUME_PSK13, "TLS_AES_128_GCM_SHA256", "X25519",
     GT13 "+AES-128-GCM:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls12_session_id", 12, "x25519:secp256r1", "ec256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0, RESUME_ID,
     "ECDHE-ECDSA-AES128-GCM-SHA256", "X25519:P-256", GT12 "+ECDHE-ECDSA:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls12_ticket", 12, "x25519:secp256r1", "ec256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0, RESUME_TICKET,
     "ECDHE-ECDSA-AES128-GCM-SHA256", "X25519:P-256", GT12 "+ECDHE-ECDSA:-GROUP-ALL:+GROUP-X25519", 0},
};
static const bench_cfg BULK[] = {
    {"tls13_aes_128_gcm", 13, "x25519", "ec256", "TLS_AES_128_GCM_SHA256", 0, 0, "TLS_AES_128_GCM_SHA256", "X25519",
     GT13 "+AES-128-GCM:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls13_aes_256_gcm", 13, "x25519", "ec256", "TLS_AES_256_GCM_SHA384", 0, 0, "TLS_AES_256_GCM_SHA384", "X25519",
     GT13 "+AES-256-GCM:-GROUP-ALL:+GROUP-X25519", 0},
    {"tls13_chacha20_poly1305", 13, "x25519", "ec256", "TLS_CHACHA20_POLY1305_SHA256", 0, 0, "TLS_CHACHA20_POLY1305_SHA256",
     "X25519", GT13 "+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-X25519", 0},
};
#define NLIB 3
static const bench_lib *LIBS[NLIB] = {&lib_parley, &lib_openssl, &lib_gnutls};

/* ------------------------------------------------------------ results */

#define NAN_V (-1.0) /* "null": the library cannot do it, or it failed */
typedef struct {
    char config[96];
    const char *metric, *unit;
    double v[NLIB], bound;
    int lower_better;
} row;
static row rows[128];
static int nrows;

static row *add_row(const char *config, const char *metric, const char *unit, int lower_better)
{
    row *r = &rows[nrows++];
    snprintf(r->config, sizeof r->config, "%s", config);
    r->metric = metric;
    r->unit = unit;
    r->lower_better = lower_better;
    r->bound = NAN_V;
    for (int i = 0; i < NLIB; i++) r->v[i] = NAN_V;
    return r;
}

/* ------------------------------------------------------------ one pair */

typedef struct {
    const bench_lib *L;
    void *c, *s;
    bpipe c2s, s2c;
} bpair;

/* Reading the thread CPU clock is a system call (about a microsecond); what
 * one read costs inside a timed interval is measured once and taken off
 * every interval, so a 10 us resumption is not counted as 12. */
static double timer_bias;
#define TIMED(acc, expr)                                                                                                \
    do {                                                                                                               \
        double t0_ = bench_thread_cpu();                                                                               \
        expr;                                                                                                          \
        (acc) += bench_thread_cpu() - t0_ - timer_bias;                                                                \
    } while (0)

static void calibrate_timer(void)
{
    double acc = 0;
    for (int i = 0; i < 20000; i++) TIMED(acc, (void)0);
    timer_bias = acc / 20000;
}

/* New connections, a handshake (offering sess), and the client's read past it
 * (TLS 1.3 tickets arrive then). 0 on success. */
static int pair_open(bpair *p, const bench_lib *L, void *cctx, void *sctx, void *sess, double *cs, double *ss)
{
    int cd = 0, sd = 0, rc = 0;
    memset(p, 0, sizeof *p);
    p->L = L;
    TIMED(*cs, p->c = L->conn_new(cctx, 0, &p->s2c, &p->c2s); if (p->c && sess) rc = L->set_session(p->c, sess));
    TIMED(*ss, p->s = L->conn_new(sctx, 1, &p->c2s, &p->s2c));
    if (!p->c || !p->s || rc < 0) return -1;
    for (int i = 0; i < 64 && !(cd && sd); i++) {
        if (!cd) {
            TIMED(*cs, rc = L->handshake(p->c));
            if (rc < 0) return -1;
            cd = rc;
        }
        if (!sd) {
            TIMED(*ss, rc = L->handshake(p->s));
            if (rc < 0) return -1;
            sd = rc;
        }
    }
    if (!(cd && sd)) return -1;
    uint8_t b[16];
    long n;
    TIMED(*cs, n = L->read(p->c, b, sizeof b));
    return n == 0 ? 0 : -1;
}

static void pair_close(bpair *p, double *cs, double *ss)
{
    TIMED(*cs, if (p->c) p->L->conn_free(p->c));
    TIMED(*ss, if (p->s) p->L->conn_free(p->s));
    bpipe_free(&p->c2s);
    bpipe_free(&p->s2c);
}

static void fail(const bench_lib *L, const bench_cfg *cfg, bpair *p, const char *what)
{
    fprintf(stderr, "  %s %s: %s failed (%s)\n", L->name, cfg->name, what, p && p->c ? L->error(p->c) : "setup");
}

/* ------------------------------------------------------------ measurements */

static double secs = 1.0;

/* BENCH_LIBS / BENCH_ONLY (substrings) narrow a run, e.g. for a profiler. */
static int lib_on(const bench_lib *L)
{
    const char *f = getenv("BENCH_LIBS");
    return !f || strstr(f, L->name);
}
static int cfg_on(const char *name)
{
    const char *f = getenv("BENCH_ONLY");
    return !f || strstr(name, f);
}

/* The libraries take turns: ROUNDS slices each, so a noisy neighbour on a
 * shared machine slows all three alike instead of whichever ran at the time. */
#define ROUNDS 8
typedef struct {
    void *sctx, *cctx, *sess;
    double cs, ss;
    long n;
    int ok;
} lib_run;

static void runs_open(lib_run *r, const bench_cfg *cfg, const char *dir)
{
    for (int l = 0; l < NLIB; l++) {
        const bench_lib *L = LIBS[l];
        memset(&r[l], 0, sizeof r[l]);
        if (!lib_on(L)) continue;
        r[l].sctx = L->ctx_new(cfg, dir, 1);
        r[l].cctx = r[l].sctx ? L->ctx_new(cfg, dir, 0) : NULL;
        r[l].ok = r[l].cctx != NULL;
        if (!r[l].ok) fail(L, cfg, NULL, "configuration");
    }
}

static void runs_close(lib_run *r)
{
    for (int l = 0; l < NLIB; l++) {
        if (r[l].sess) LIBS[l]->session_free(r[l].sess);
        if (r[l].cctx) LIBS[l]->ctx_free(r[l].cctx);
        if (r[l].sctx) LIBS[l]->ctx_free(r[l].sctx);
    }
}

/* One handshake of library l (resuming r->sess when set); 0 on success. */
static int one_handshake(const bench_cfg *cfg, int l, lib_run *r, double *cs, double *ss)
{
    const bench_lib *L = LIBS[l];
    bpair p;
    int ok = pair_open(&p, L, r->cctx, r->sctx, r->sess, cs, ss) == 0;
    if (ok && r->sess && !(L->resumed(p.c) && L->resumed(p.s))) {
        fprintf(stderr, "  (not resumed: client %d, server %d)\n", L->resumed(p.c), L->resumed(p.s));
        ok = 0;
    }
    if (ok && r->sess && cfg->version == 13) {
        /* TLS 1.3 tickets are single-use (RFC 8446 C.4; OpenSSL's client
         * enforces it): go on with the one just received. */
        void *next = L->get_session(p.c);
        ok = next != NULL;
        if (ok) {
            L->session_free(r->sess);
            r->sess = next;
        }
    }
    if (!ok) fail(L, cfg, &p, r->sess ? "resumption" : "handshake");
    pair_close(&p, cs, ss);
    return ok ? 0 : -1;
}

static void run_rounds(const bench_cfg *cfg, lib_run *r)
{
    for (int l = 0; l < NLIB; l++) { /* warm-up */
        double w = 0;
        for (int i = 0; r[l].ok && i < 3; i++) r[l].ok = one_handshake(cfg, l, &r[l], &w, &w) == 0;
    }
    for (int round = 1; round <= ROUNDS; round++)
        for (int l = 0; l < NLIB; l++)
            while (r[l].ok && (r[l].cs + r[l].ss < secs * round / ROUNDS || r[l].n < 2 * round)) {
                r[l].ok = one_handshake(cfg, l, &r[l], &r[l].cs, &r[l].ss) == 0;
                r[l].n++;
            }
}

static void full_handshakes(const bench_cfg *cfg, const char *dir)
{
    row *rs = add_row(cfg->name, "server_us_per_handshake", "us", 1);
    row *rc = add_row(cfg->name, "client_us_per_handshake", "us", 1);
    row *rh = add_row(cfg->name, "handshakes_per_s", "1/s", 0);
    double bs, bc;
    if (bench_bound(cfg, dir, &bs, &bc) == 0) {
        rs->bound = bs;
        rc->bound = bc;
        rh->bound = 1e6 / (bs + bc);
    }
    lib_run r[NLIB];
    runs_open(r, cfg, dir);
    run_rounds(cfg, r);
    for (int l = 0; l < NLIB; l++) {
        if (!r[l].ok || !r[l].n) continue;
        rs->v[l] = r[l].ss * 1e6 / r[l].n;
        rc->v[l] = r[l].cs * 1e6 / r[l].n;
        rh->v[l] = r[l].n / (r[l].cs + r[l].ss);
    }
    runs_close(r);
}

static void resumed_handshakes(const bench_cfg *cfg, const char *dir)
{
    row *rs = add_row(cfg->name, "server_us_per_resumed_handshake", "us", 1);
    row *rh = add_row(cfg->name, "resumed_handshakes_per_s", "1/s", 0);
    if (cfg->resume == RESUME_PSK13) {
        /* psk_dhe_ke: each side still makes a key exchange. */
        double kx = bench_kex_bound(cfg->group);
        if (kx > 0) {
            rs->bound = kx;
            rh->bound = 1e6 / (2 * kx);
        }
    }
    lib_run r[NLIB];
    runs_open(r, cfg, dir);
    for (int l = 0; l < NLIB; l++) {
        /* A full handshake first, for the session to resume. */
        const bench_lib *L = LIBS[l];
        double w = 0;
        bpair p;
        if (!r[l].ok) continue;
        r[l].ok = pair_open(&p, L, r[l].cctx, r[l].sctx, NULL, &w, &w) == 0 && (r[l].sess = L->get_session(p.c)) != NULL;
        if (!r[l].ok) fail(L, cfg, &p, "first handshake or its session");
        pair_close(&p, &w, &w);
    }
    run_rounds(cfg, r);
    for (int l = 0; l < NLIB; l++) {
        if (!r[l].ok || !r[l].n) continue;
        rs->v[l] = r[l].ss * 1e6 / r[l].n;
        rh->v[l] = r[l].n / (r[l].cs + r[l].ss);
    }
    runs_close(r);
}

/* 16 KiB writes from the client, read by the server; the libraries and the
 * raw AEAD take turns in rounds, like the handshakes. */
static void bulk(const bench_cfg *cfg, const char *dir)
{
    row *re = add_row(cfg->name, "encrypt_mb_s", "MB/s", 0);
    row *rd = add_row(cfg->name, "decrypt_mb_s", "MB/s", 0);
    static uint8_t chunk[16384], got[16384];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)i;
    lib_run r[NLIB];
    bpair p[NLIB];
    long long bytes[NLIB] = {0};
    double raw_b[2] = {0}, raw_t[2] = {0};
    int raw_ok = 1;
    runs_open(r, cfg, dir);
    for (int l = 0; l < NLIB; l++) {
        double w = 0;
        if (!r[l].ok) continue;
        r[l].ok = pair_open(&p[l], LIBS[l], r[l].cctx, r[l].sctx, NULL, &w, &w) == 0;
        if (!r[l].ok) fail(LIBS[l], cfg, &p[l], "handshake");
    }
    for (int round = 1; round <= ROUNDS; round++) {
        double slice = secs / 2 * round / ROUNDS;
        for (int l = 0; l < NLIB; l++) {
            const bench_lib *L = LIBS[l];
            while (r[l].ok && (r[l].cs < slice || r[l].ss < slice)) {
                int rc;
                long n = 0, k;
                TIMED(r[l].cs, rc = L->write(p[l].c, chunk, sizeof chunk));
                while (rc == 0 && n < (long)sizeof got) {
                    TIMED(r[l].ss, k = L->read(p[l].s, got + n, sizeof got - (size_t)n));
                    if (k <= 0) break;
                    n += k;
                }
                r[l].ok = rc == 0 && n == (long)sizeof got && !memcmp(got, chunk, sizeof got);
                if (!r[l].ok) fail(L, cfg, &p[l], "bulk transfer");
                bytes[l] += (long long)sizeof chunk;
            }
        }
        for (int d = 0; d < 2 && raw_ok; d++)
            raw_ok = bench_raw_aead(cfg->suite, d, secs / 2 / ROUNDS, &raw_b[d], &raw_t[d]) == 0;
    }
    for (int l = 0; l < NLIB; l++) {
        double w = 0;
        if (r[l].ok) {
            re->v[l] = bytes[l] / r[l].cs / 1e6;
            rd->v[l] = bytes[l] / r[l].ss / 1e6;
        }
        if (r[l].cctx) pair_close(&p[l], &w, &w);
    }
    if (raw_ok) {
        re->bound = raw_b[0] / raw_t[0] / 1e6;
        rd->bound = raw_b[1] / raw_t[1] / 1e6;
    }
    runs_close(r);
}

static long long heap_now(void) { return (long long)mallinfo2().uordblks; }

/* Bytes held per established idle connection of one side: n pairs made and
 * used (one small message each way), the other side freed, then counted by
 * the heap (mallinfo2) and by the library's hook where it has one. */
static void idle_memory(const bench_cfg *cfg, const char *dir, int n)
{
    char name[96];
    row *r[2][2];
    const char *metric[2] = {"server_bytes_per_idle_conn", "client_bytes_per_idle_conn"};
    for (int side = 0; side < 2; side++) {
        snprintf(name, sizeof name, "%s, %d idle, mallinfo2", cfg->name, n);
        r[side][0] = add_row(name, metric[side], "bytes", 1);
        snprintf(name, sizeof name, "%s, %d idle, alloc hook", cfg->name, n);
        r[side][1] = add_row(name, metric[side], "bytes", 1);
    }
    bpair *pairs = calloc((size_t)n, sizeof *pairs);
    for (int l = 0; l < NLIB; l++) {
        const bench_lib *L = LIBS[l];
        if (!lib_on(L)) continue;
        for (int side = 0; side < 2; side++) {
            void *sctx = L->ctx_new(cfg, dir, 1), *cctx = sctx ? L->ctx_new(cfg, dir, 0) : NULL;
            double w = 0;
            int ok = cctx != NULL;
            bpair warm;
            if (ok && pair_open(&warm, L, cctx, sctx, NULL, &w, &w) == 0) pair_close(&warm, &w, &w);
            malloc_trim(0);
            long long h0 = heap_now(), k0 = L->hook_bytes();
            int made = 0;
            for (int i = 0; ok && i < n; i++, made++) {
                uint8_t b[8];
                int step = 0;
                ok = pair_open(&pairs[i], L, cctx, sctx, NULL, &w, &w) == 0 && ++step &&
                     L->write(pairs[i].c, (const uint8_t *)"ping", 4) == 0 && ++step && L->read(pairs[i].s, b, 4) == 4 &&
                     ++step && L->write(pairs[i].s, (const uint8_t *)"pong", 4) == 0 && ++step &&
                     L->read(pairs[i].c, b, 4) == 4 && ++step &&
                     /* Idle: each side has read everything ("would block"). */
                     L->read(pairs[i].s, b, sizeof b) == 0 && L->read(pairs[i].c, b, sizeof b) == 0;
                if (!ok) fprintf(stderr, "  (idle connection: failed after step %d)\n", step);
                if (!ok) fail(L, cfg, &pairs[i], "idle connection");
                /* The wire is empty now: the queues are not part of either side. */
                bpipe_free(&pairs[i].c2s);
                bpipe_free(&pairs[i].s2c);
            }
            /* Free the other side, keep this one. */
            for (int i = 0; i < made; i++) {
                void **other = side == 0 ? &pairs[i].c : &pairs[i].s;
                if (*other) L->conn_free(*other);
                *other = NULL;
            }
            if (ok) {
                r[side][0]->v[l] = (double)(heap_now() - h0) / n;
                long long k1 = L->hook_bytes();
                if (k0 >= 0 && k1 >= 0) r[side][1]->v[l] = (double)(k1 - k0) / n;
            }
            for (int i = 0; i < made; i++) {
                void *mine = side == 0 ? pairs[i].s : pairs[i].c;
                if (mine) L->conn_free(mine);
            }
            memset(pairs, 0, sizeof *pairs * (size_t)n);
            if (cctx) L->ctx_free(cctx);
            if (sctx) L->ctx_free(sctx);
        }
    }
    free(pairs);
}

/* ------------------------------------------------------------ output */

static void print_num(FILE *f, double v)
{
    if (v < 0) fprintf(f, "null");
    else fprintf(f, "%.6g", v);
}

static double best_peer(const row *r)
{
    double a = r->v[1], b = r->v[2];
    if (a < 0) return b;
    if (b < 0) return a;
    return r->lower_better ? (a < b ? a : b) : (a > b ? a : b);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s PKI_DIR SECONDS IDLE_CONNS RESULTS_JSON\n", argv[0]);
        return 2;
    }
    /* Before any allocation by libcrypto or libparley. */
    bench_install_crypto_hook();
    bench_install_parley_hook();
    const char *dir = argv[1];
    secs = atof(argv[2]);
    calibrate_timer();
    fprintf(stderr, "thread CPU clock: %.2f us per read, taken off each timed call\n", timer_bias * 1e6);
    int idle = atoi(argv[3]);
    for (size_t i = 0; i < sizeof HS / sizeof HS[0]; i++) {
        if (!cfg_on(HS[i].name)) continue;
        fprintf(stderr, "full handshakes: %s\n", HS[i].name);
        full_handshakes(&HS[i], dir);
    }
    for (size_t i = 0; i < sizeof RES / sizeof RES[0]; i++) {
        if (!cfg_on(RES[i].name)) continue;
        fprintf(stderr, "resumed handshakes: %s\n", RES[i].name);
        resumed_handshakes(&RES[i], dir);
    }
    for (size_t i = 0; i < sizeof BULK / sizeof BULK[0]; i++) {
        if (!cfg_on(BULK[i].name)) continue;
        fprintf(stderr, "bulk: %s\n", BULK[i].name);
        bulk(&BULK[i], dir);
    }
    if (cfg_on("idle")) {
        fprintf(stderr, "idle connections: 1 and %d\n", idle);
        idle_memory(&HS[0], dir, 1);
        idle_memory(&HS[0], dir, idle);
    }

    FILE *f = fopen(argv[4], "w");
    if (!f) {
        perror(argv[4]);
        return 1;
    }
    fprintf(f, "[\n");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        fprintf(f, "  {\"config\": \"%s\", \"metric\": \"%s\", \"unit\": \"%s\", \"parley\": ", r->config, r->metric, r->unit);
        print_num(f, r->v[0]);
        fprintf(f, ", \"openssl\": ");
        print_num(f, r->v[1]);
        fprintf(f, ", \"gnutls\": ");
        print_num(f, r->v[2]);
        fprintf(f, ", \"bound\": ");
        print_num(f, r->bound);
        fprintf(f, "}%s\n", i + 1 < nrows ? "," : "");
    }
    fprintf(f, "]\n");
    fclose(f);

    printf("%-44s %-32s %11s %11s %11s %11s %8s\n", "config", "metric", "parley", "openssl", "gnutls", "bound", "p/best");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        char v[4][24];
        double vals[4] = {r->v[0], r->v[1], r->v[2], r->bound};
        for (int j = 0; j < 4; j++) {
            if (vals[j] < 0) snprintf(v[j], sizeof v[j], "-");
            else snprintf(v[j], sizeof v[j], "%.1f", vals[j]);
        }
        double b = best_peer(r);
        char ratio[24] = "-";
        if (b > 0 && r->v[0] >= 0) snprintf(ratio, sizeof ratio, "%.2f%s", r->v[0] / b, r->lower_better ? "" : "x");
        printf("%-44s %-32s %11s %11s %11s %11s %8s\n", r->config, r->metric, v[0], v[1], v[2], v[3], ratio);
    }
    printf("p/best: Parley / the better of OpenSSL and GnuTLS on that row; for us and bytes lower is better,\n"
           "for rates (marked x) higher is better.\n");
    return 0;
}
