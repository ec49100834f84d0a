/* helpers.h - shared test helpers: hex, the trace vector file, in-memory
 * client/server pairs, and test certificates made with libcrypto. */
#ifndef PARLEY_TEST_HELPERS_H
#define PARLEY_TEST_HELPERS_H

#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>

size_t hex_decode(const char *hex, uint8_t *out, size_t cap);

/* ---- vectors (tests/vectors/tls13_traces.vec) */
#define VEC_MAX_FIELDS 8
typedef struct {
    int section;
    char role[8];
    char action[160];
    int nfields;
    char name[VEC_MAX_FIELDS][32];
    uint8_t *value[VEC_MAX_FIELDS];
    size_t len[VEC_MAX_FIELDS];
} vec_block;

int vec_load(vec_block **blocks); /* returns count */
void vec_free(vec_block *blocks, int n);
/* Field of a block by name, NULL if absent. */
const uint8_t *vec_field(const vec_block *b, const char *name, size_t *len);
/* The n-th (0-based) block in a section whose action starts with prefix (and role if non-NULL). */
const vec_block *vec_find(const vec_block *b, int n, int section, const char *role, const char *prefix, int nth);

/* ---- test certificates: kind "ec256", "ec384", "ec521", "rsa2048", "rsapss",
 * "ed25519", "ed448".
 * Writes DIR/name.pem and DIR/name.key; the certificate is self-signed for
 * `host` (SAN DNS) and 127.0.0.1, valid from now+nb_days to now+na_days. */
int make_cert(const char *dir, const char *name, const char *kind, const char *host, int nb_days, int na_days);
const char *test_dir(void);

/* ---- in-memory pair */
typedef struct {
    parley_conn *client, *server;
    /* Optional hook to tamper with bytes in flight: dir 0 = client->server. */
    void (*tamper)(void *arg, int dir, uint8_t *p, size_t len);
    void *tamper_arg;
    /* Bytes in flight that the receiver could not take yet (dir 0 = to server). */
    uint8_t *q[2];
    size_t qlen[2], qcap[2];
} pair;
void pair_free_queues(pair *p);

/* Move pending output from each side to the other, once. Returns bytes moved. */
size_t pair_pump(pair *p);
/* Run both handshakes until done or stuck. Returns 0 when both completed. */
int pair_handshake(pair *p, int *client_rc, int *server_rc);
/* Feed raw bytes to a connection. */
void conn_feed(parley_conn *c, const uint8_t *p, size_t len);
/* Take all pending output of a connection into buf; returns length. */
size_t conn_take(parley_conn *c, uint8_t *buf, size_t cap);

/* Configs from test_dir() certificates: a server with NAME.pem/NAME.key, a
 * client trusting CA_NAME.pem. */
parley_config *server_cfg(const char *name);
parley_config *client_cfg(const char *ca_name);
/* Connections for a pair (the configs' references are handed over). */
void make_pair(pair *p, parley_config *ccfg, parley_config *scfg, const char *sni);
void free_pair(pair *p);
/* Send msg from a to b through the pair and check it arrives intact. */
void exchange(pair *p, parley_conn *a, parley_conn *b, const char *msg);

/* ---- configs and verdicts shared by the conformance tests */
/* cfg limited to one version (min = max = v); returns cfg. */
parley_config *only_version(parley_config *cfg, int v);
/* A server with certificate `cert` requiring a client certificate issued by
 * `client_ca`; a client trusting `ca` that presents `cert`. */
parley_config *mtls_server(const char *cert, const char *client_ca);
parley_config *mtls_client(const char *ca, const char *cert);
/* The pair's handshake completes; otherwise fail with both sides' errors,
 * prefixed by `what`. */
void handshake_ok(pair *p, const char *what);
/* `failed` sent `alert` and its error contains `text`; `other` received it. */
void expect_alert(parley_conn *failed, parley_conn *other, int alert, const char *text);

/* An asynchronous key provider that keeps each operation pending for the
 * test to complete (parley_key_op_complete): the latest operation, how many
 * were started and how many cancelled (cancel must name the pending one). */
typedef struct {
    parley_key_provider base;
    parley_key_op *pending;
    int calls, cancelled;
} pending_provider;
void pending_provider_init(pending_provider *a);

#endif
