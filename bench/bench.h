/*
 * bench.h - the in-memory benchmark (issue #8): one process, one thread,
 * client and server of the same library talking through byte queues. Each
 * library is an adapter (lib_parley.c, lib_openssl.c, lib_gnutls.c) behind
 * the same small interface; main.c drives them and times each side's calls
 * with the thread CPU clock.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* A byte queue: one direction of the in-memory "wire". */
typedef struct {
    uint8_t *d;
    size_t off, len, cap;
} bpipe;
void bpipe_put(bpipe *p, const uint8_t *data, size_t n);
size_t bpipe_get(bpipe *p, uint8_t *out, size_t n);
void bpipe_free(bpipe *p);

enum { RESUME_NONE = 0, RESUME_ID, RESUME_TICKET, RESUME_PSK13 };

typedef struct {
    const char *name;    /* row name in results.json */
    int version;         /* 12 or 13 */
    const char *group;   /* "x25519", "secp256r1", "ffdhe2048"; NULL for static RSA */
    const char *cert;    /* "ec256" or "rsa2048": files DIR/NAME.pem, DIR/NAME.key, CA DIR/ca.pem */
    const char *suite;   /* IANA name */
    int kx_rsa;          /* TLS 1.2 static RSA */
    int resume;          /* RESUME_*: how the server may resume (1.2: id or ticket only) */
    const char *ossl;    /* OpenSSL: TLS 1.3 ciphersuite or TLS 1.2 cipher list; group list */
    const char *ossl_groups;
    const char *gnutls;  /* GnuTLS priority string */
    int cold_verify;     /* Parley's client verifies every chain in full (no verification cache) */
} bench_cfg;

typedef struct bench_lib {
    const char *name;
    /* A context (config) for one side; NULL when the library cannot do it. */
    void *(*ctx_new)(const bench_cfg *cfg, const char *dir, int server);
    void (*ctx_free)(void *ctx);
    void *(*conn_new)(void *ctx, int server, bpipe *in, bpipe *out);
    /* 1 handshake done, 0 call again after the peer ran, -1 failed. */
    int (*handshake)(void *conn);
    int (*write)(void *conn, const uint8_t *p, size_t n); /* 0 ok, -1 error */
    /* Bytes read (>0), 0 nothing available yet, -1 error. */
    long (*read)(void *conn, uint8_t *p, size_t n);
    /* Client: the session to resume later (after reading past the handshake
     * for TLS 1.3 tickets); NULL if none. */
    void *(*get_session)(void *conn);
    int (*set_session)(void *conn, void *sess);
    void (*session_free)(void *sess);
    int (*resumed)(void *conn);
    void (*conn_free)(void *conn);
    const char *(*error)(void *conn);
    /* Optional allocation-counting hook: bytes the library holds now (-1: none). */
    long long (*hook_bytes)(void);
} bench_lib;

extern const bench_lib lib_parley, lib_openssl, lib_gnutls;

/* Allocation counting shared by the hooks (main.c installs them first): each
 * block carries its size, *counter holds the bytes outstanding. */
void *bench_counted_malloc(long long *counter, size_t n);
void bench_counted_free(long long *counter, void *p);
extern long long bench_crypto_bytes; /* libcrypto (CRYPTO_set_mem_functions) */
void bench_install_crypto_hook(void);

/* Crypto lower bounds (bounds.c), microseconds per handshake for each side,
 * and raw AEAD speed over 16 KiB buffers. */
int bench_bound(const bench_cfg *cfg, const char *dir, double *server_us, double *client_us);
/* Raw AEAD over 16 KiB buffers for about `budget` CPU seconds: adds to *bytes and *cpu. */
int bench_raw_aead(const char *suite, int decrypt, double budget, double *bytes, double *cpu);
/* One side's key exchange alone (key generation and shared secret), us. */
double bench_kex_bound(const char *group);

double bench_thread_cpu(void);

#endif
