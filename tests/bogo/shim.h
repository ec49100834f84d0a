/*
 * shim.h - the BoGo shim's settings: what BoringSSL's runner asks of one
 * test (tests/bogo/README in docs/testing.md, "BoGo").
 *
 * The runner starts the shim once per test with flags; each connection of
 * the test (the first and -resume-count resumptions) reads its own copy of
 * the settings: "-on-initial-X" applies to the first only, "-on-resume-X"
 * to the resumptions only, plain "-X" to both.
 */
#ifndef PARLEY_BOGO_SHIM_H
#define PARLEY_BOGO_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <parley/parley.h>

/* Exit codes the runner understands. */
enum { SHIM_OK = 0, SHIM_FAIL = 1, SHIM_UNIMPLEMENTED = 89 };

#define SHIM_MAX_LIST 32

typedef struct {
    /* the process (same for every connection) */
    int port;
    uint64_t shim_id;
    int is_server;
    int resume_count;
    int async;

    /* protocol */
    int min_version, max_version; /* 0: unset */
    int no_tls13, no_tls12;
    int curves[SHIM_MAX_LIST];
    size_t ncurves;
    const char *cipher;
    int signing_prefs[SHIM_MAX_LIST];
    size_t nsigning_prefs;
    int verify_prefs[SHIM_MAX_LIST];
    size_t nverify_prefs;

    /* certificates */
    const char *cert_file, *key_file, *trust_cert;
    int verify_peer, require_any_client_cert, verify_fail, use_custom_verify_callback;
    int expect_verify_result;

    /* names and ALPN */
    const char *host_name;
    const char *advertise_alpn; /* wire form: length-prefixed names */
    const char *select_alpn;
    int decline_alpn, reject_alpn;
    const char *expect_alpn;
    const char *expect_server_name;

    /* sessions */
    int no_ticket;
    int expect_session_miss;
    int expect_no_session;
    int expect_ticket_renewal;
    int expect_extended_master_secret;
    int renew_ticket;

    /* results to check */
    int expect_version;
    int expect_curve_id;
    int expect_peer_signature_algorithm;
    int expect_hrr, expect_no_hrr;
    const char *expect_peer_cert_file;
    const char *expect_ocsp_response; /* raw bytes after base64; length below */
    size_t expect_ocsp_response_len;

    /* data phase */
    int shim_writes_first;
    int shim_shuts_down;
    int check_close_notify;
    int read_size;
    int key_update;
    int export_keying_material;
    const char *export_label;
    const char *export_context;
    int use_export_context;
    int renegotiate_freely, renegotiate_once, renegotiate_ignore;
    int expect_total_renegotiations;
    int implicit_handshake;
    int write_different_record_sizes;
    int max_send_fragment;
    int send_alert;
    int enable_ocsp_stapling;
    const char *ocsp_response;
    size_t ocsp_response_len;

    /* 0-RTT (TLS 1.3 early data) */
    int enable_early_data;
    int expect_accept_early_data, expect_reject_early_data;
    int expect_ticket_supports_early_data; /* proved by the resumption accepting it */
    int expect_no_offer_early_data;
    const char *expect_early_data_reason; /* only "accept" or not is observable */
    int expect_cipher;
    const char *expect_advertised_alpn; /* server: the client's list, wire form */
    int expect_session_id, expect_no_session_id; /* server: a session cached under an id */

    int no_op_extra_handshake;
    int use_exporter_between_reads;

    /* flags this shim accepts and that need nothing from it */
    int ignored;
} shim_opts;

/* Says on stderr why the test cannot run here and returns SHIM_UNIMPLEMENTED;
 * with BOGO_SHIM_LOG set, also appends the reason to that file (how
 * tests/bogo/run.sh counts what stands in the way). */
int shim_unimplemented(const char *what, const char *detail);

/* Which connection's settings: the first, a resumption, or a resumption
 * whose early data was rejected ("-on-retry-X": BoringSSL's client retries
 * at 1-RTT with these; Parley goes on within the same handshake, so they are
 * the ones checked after it). */
enum { SHIM_INITIAL = 0, SHIM_RESUME = 1, SHIM_RETRY = 2 };

/* Parse argv into the settings of connection `which` (SHIM_*). Returns SHIM_OK, or SHIM_UNIMPLEMENTED after naming the flag
 * on stderr, or SHIM_FAIL for a malformed value. */
int shim_parse(int argc, char **argv, int which, shim_opts *o);

/* A config for one connection of the test (the server shares `cache` and
 * the ticket keys across the test's connections; kp: the -async key
 * provider, or NULL for the key file). NULL and an exit code in
 * *why when the settings cannot be expressed. */
parley_config *shim_make_config(const shim_opts *o, parley_session_cache *cache, const uint8_t ticket_keys[48],
                                parley_key_provider *kp, int *why);

/* The asynchronous key provider (-async): keeps each operation and completes
 * it on the next call of shim_keyop_run. */
parley_key_provider *shim_keyop_new(const char *key_file);
/* Completes a kept operation, if any; returns 1 when it did. */
int shim_keyop_run(parley_key_provider *p);
void shim_keyop_free(parley_key_provider *p);

/* What the shim's verify callback decides and sees. One per process, so the
 * callback's arg is the same address on every connection (Parley binds a
 * session to the callback and its arg). */
typedef struct {
    int fail;          /* -verify-fail */
    int custom;        /* -use-custom-verify-callback: certificate_unknown, else handshake_failure */
    int called;        /* this connection's callback ran */
    uint8_t chain[16][8192];
    size_t chain_len[16];
    size_t n;          /* the chain it saw last (kept across a resumption) */
} shim_verify_state;
extern shim_verify_state shim_verify;

/* The server's session cache, counting stores (shim_cache.c). */
parley_session_cache *shim_cache_new(void);
int shim_cache_take_stores(parley_session_cache *c); /* since the last call */
void shim_cache_free(parley_session_cache *c);

/* 0-RTT (shim_early.c). */
typedef struct {
    uint8_t data[65536];
    size_t len;
} shim_early_buf;
/* Client: offer "hello" as early data on a resumption when the flags ask;
 * 1 when offered. */
int shim_early_offer(parley_conn *conn, const shim_opts *o, int is_resume, int have_session);
/* Server: after PARLEY_EARLY_DATA, take what has come and echo it (XOR 0xff)
 * at once as 0.5-RTT data (0, or -1 on error). */
int shim_early_collect(parley_conn *conn, shim_early_buf *eb);
/* After the handshake: -expect-accept/reject/no-offer-early-data. */
int shim_early_check(parley_conn *conn, const shim_opts *o);

#endif
