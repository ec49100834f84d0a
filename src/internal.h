/*
 * internal.h - the two objects a user holds (config, connection) and the
 * handshake state that lives only while a handshake runs. Not installed.
 */
#ifndef PL_INTERNAL_H
#define PL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "../include/parley/parley.h"
#include "crypto/crypto.h"
#include "handshake/hello_retry.h"
#include "handshake/keyschedule13.h"
#include "handshake/transcript.h"
#include "record/record.h"
#include "session/session.h"
#include "session/ticket.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/mem.h"
#include "x509/x509.h"

#define PL_MAX_SUITES 16
#define PL_MAX_GROUPS 16
#define PL_MAX_SIGALGS 16
#define PL_MAX_CERTS 8
#define PL_MAX_ALPN 255
/* Largest handshake message accepted (certificate chains are the big ones). */
#define PL_MAX_HS_MESSAGE (128 * 1024)
/* ... except a ClientHello, which a server takes at any size its format
 * allows (RFC 8446 4.1.2, RFC 5246 7.4.1.2): legacy_version (2), random
 * (32), legacy_session_id<0..32> (1 + 32), cipher_suites<2..2^16-2>
 * (2 + 65534), legacy_compression_methods<1..2^8-1> (1 + 255),
 * extensions<8..2^16-1> (2 + 65535). The bound on a message follows its type
 * as soon as its header has arrived (record/receive.c). */
#define PL_MAX_CLIENT_HELLO (2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535)
/* The larger of the two: what handshake reassembly may ever hold. */
#define PL_MAX_HS_ANY (PL_MAX_CLIENT_HELLO > PL_MAX_HS_MESSAGE ? PL_MAX_CLIENT_HELLO : PL_MAX_HS_MESSAGE)
#define PL_MAX_PEER_CERTS 10

/* What a peer can make us do without sending application data is bounded
 * (record/receive.c and handshake/post_handshake.c enforce each; OpenSSL and
 * BoringSSL have the same kind of limits):
 * records in a row that carry nothing (empty, an ignored warning alert, a
 * dropped ChangeCipherSpec), KeyUpdates since the last application data, and
 * refused TLS 1.2 renegotiations (answered with a warning; the next one is
 * fatal). */
#define PL_MAX_EMPTY_RECORDS 32
#define PL_MAX_IGNORED_ALERTS 4 /* of those, ignored alerts (OpenSSL, BoringSSL: the 5th fails) */
#define PL_MAX_KEY_UPDATES 32
#define PL_MAX_TICKETS_WITHOUT_DATA 32
#define PL_MAX_RENEG_WARNINGS 1
/* Post-handshake CertificateRequests a client answers (a signature each)
 * without application data in between (RFC 8446 4.6.2; post_auth.c). */
#define PL_MAX_PHA_WITHOUT_DATA 8
/* The output a peer can make a connection queue (see parley.h, "Output a peer
 * can cause"): this much for everything in a handshake flight but the
 * certificates and the CA names, on top of the config's largest ones
 * (pl_config_out_cap). Hellos with key shares (an FFDHE-8192 share is 1 KiB),
 * ServerKeyExchange, signatures (RSA-8192: 1 KiB), Finished, a ticket (2 KiB
 * at most) and alerts add up to a few KiB; 64 KiB leaves a wide margin. */
#define PL_OUT_CAP_BASE (64 * 1024)

/* Handshake message types (RFC 8446 4). */
enum {
    PL_HS_CLIENT_HELLO = 1,
    PL_HS_SERVER_HELLO = 2,
    PL_HS_NEW_SESSION_TICKET = 4,
    PL_HS_END_OF_EARLY_DATA = 5,
    PL_HS_ENCRYPTED_EXTENSIONS = 8,
    PL_HS_CERTIFICATE = 11,
    PL_HS_SERVER_KEY_EXCHANGE = 12, /* TLS 1.2 */
    PL_HS_CERTIFICATE_REQUEST = 13,
    PL_HS_SERVER_HELLO_DONE = 14,   /* TLS 1.2 */
    PL_HS_CERTIFICATE_VERIFY = 15,
    PL_HS_CLIENT_KEY_EXCHANGE = 16, /* TLS 1.2 */
    PL_HS_FINISHED = 20,
    PL_HS_CERTIFICATE_STATUS = 22,  /* TLS 1.2, RFC 6066 8 */
    PL_HS_KEY_UPDATE = 24,
    PL_HS_COMPRESSED_CERTIFICATE = 25, /* RFC 8879 4 */
    PL_HS_MESSAGE_HASH = 254
};

typedef struct {
    pl_chain chain;
    parley_key_provider *provider;
    /* The built-in provider for a local key (chain.key). */
    parley_key_provider local;
    pl_pkey *local_key;
    /* The Certificate message bodies (TLS 1.3, TLS 1.2), encoded once per config. */
    pl_buf cert_msg, cert_msg12;
    pl_buf ocsp;            /* stapled OCSP response (DER), if any */
    uint8_t key_id[32];     /* SHA-256 of the leaf's SubjectPublicKeyInfo */
    pl_buf cert_msg_ocsp;   /* TLS 1.3 Certificate with the staple on the leaf */
    /* RFC 8879: cert_msg [0] and cert_msg_ocsp [1] compressed with algorithm
     * a+1, made once on first use (config_compress.c: compressed outside
     * cfg->lock, published under it); state
     * 1 = made (len 0: compression saved nothing, send it plain). */
    pl_buf cc_msg[2][3];
    uint8_t cc_state[2][3];
} pl_cert_entry;
void pl_cc_entry_free(pl_cert_entry *e); /* config_compress.c */

struct parley_config {
    atomic_int refs;
    atomic_int frozen;
    pthread_mutex_t lock;
    /* The latest error text of any thread (parley_config_error_string):
     * written and read only under err_lock, never under `lock`, so a
     * failing call never waits for the hot lock nor garbles a reader. */
    pthread_mutex_t err_lock;
    char err[256];
    uint64_t serial; /* unique per config made: names it in a thread's own error text */
    uint16_t min_version, max_version;
    uint16_t suites[PL_MAX_SUITES];
    size_t nsuites;
    uint16_t groups[PL_MAX_GROUPS];
    size_t ngroups;
    /* Signature schemes: sigalgs is what we accept from the peer and
     * advertise (signature_algorithms, CertificateRequest); sign_sigalgs
     * what we may sign with, in preference order. Both default to
     * pl_default_sigalgs (config.c). */
    uint16_t sigalgs[PL_MAX_SIGALGS];
    size_t nsigalgs;
    uint16_t sign_sigalgs[PL_MAX_SIGALGS];
    size_t nsign_sigalgs;
    uint8_t alpn[PL_MAX_ALPN + 1]; /* ProtocolNameList body: len-prefixed names */
    size_t alpn_len;
    pl_cert_entry certs[PL_MAX_CERTS];
    size_t ncerts;
    char *ca_file;
    pl_trust *trust; /* loaded at first client connection */
    int trust_loaded;
    int verify;
    int verify_hostname; /* client: match the server name (1, default) or leave it to the application */
    /* Identities of the trust settings (config.c pl_trust_identity) that
     * sessions are bound to: the client's for servers, the server's for clients. */
    uint8_t trust_id[32], client_trust_id[32];
    uint8_t trust_id_certs[32]; /* client: trust_id and its own certificates */
    int64_t now;
    size_t record_pad;
    /* record_size_limit (RFC 8449; handshake/record_size_limit.c): the
     * limit we advertise, 0 for the protocol maximum, unless turned off. */
    uint16_t rsl_limit;
    int rsl_off;
    int allow_rsa_kx;   /* static RSA key exchange (no forward secrecy): off by default */
    int verify_client;  /* PARLEY_VERIFY_CLIENT_* */
    int verify_client_set; /* set_verify_client was called: set_client_ca keeps its mode */
    int client_auth_deferred; /* server: TLS 1.3 handshakes do not ask; parley_conn_request_client_auth does (post_auth.c) */
    char *client_ca_file;
    /* The application's verification of the peer's chain, instead of ours
     * (parley_config_set_verify_callback; tls12.c pl_take_peer_chain). */
    parley_verify_cb verify_cb;
    void *verify_cb_arg;
    pl_trust *client_trust;
    pl_buf ca_names;    /* certificate_authorities body, from client_trust */
#define PL_MAX_CRL_FILES 16
    char *crl_files[PL_MAX_CRL_FILES];
    int ncrl_files;
    int crl_expired_fatal;
    int max_depth;
    int min_rsa_bits;       /* policy.c: the smallest RSA key on a verified path */
    int verify_cache_off;   /* verify every chain in full, even one seen before */
    int ocsp_mode;      /* client: PARLEY_OCSP_* */
    uint32_t ocsp_max_age; /* client: seconds a staple without nextUpdate stays good */
    parley_session_cache *cache; /* server: TLS 1.2 session IDs */
    pl_ticket_ring tickets;      /* server: TLS 1.2 session tickets (guarded by lock) */
    /* Input buffers of idle connections, reused (guarded by lock). */
#define PL_IN_POOL 32
    uint8_t *in_pool[PL_IN_POOL];
    int in_pool_n;
    int tickets_disabled;
    char *ticket_keys_file;
    uint32_t ticket_rotation; /* seconds: generated and derived rings rotate */
    int cache_owned, cache_disabled;
    uint32_t session_lifetime;
    int require_ems;    /* RFC 7627 extended master secret: 1 refuses a TLS 1.2 peer without it (default 0) */
    int psk_ke;         /* TLS 1.3 resumption without (EC)DHE (psk_ke): off by default */
    uint32_t max_early_data; /* server: advertised in tickets; 0-RTT accepted when RFC 8446 4.2.10 allows */
    /* Server 0-RTT anti-replay store when no session cache is set: an
     * in-process memory cache (bounded; made at freeze, owned). */
    parley_session_cache *replay_store;
#define PL_REPLAY_STORE_CAP 32768 /* its anti-replay records: a quarter, 8192 */
    parley_trace_fn trace;
    void *trace_arg;
    parley_keylog_fn keylog;
    void *keylog_arg;
    FILE *keylog_file;
    /* pl_config_out_cap, set at each freeze (a server freeze may add CA
     * names to a config first frozen as a client); read without the lock by
     * connections on other threads, hence atomic. */
    _Atomic size_t out_cap;
    /* RFC 8879 algorithms in preference order (cert_compress.c); cc_set 0:
     * the default, every built-in one. */
    uint8_t cc_algs[3];
    size_t ncc_algs;
    int cc_set;
};

/* Record why a config call failed (printf format): for this thread and as
 * the config's latest error (config.c; see parley_config_error_string).
 * Takes err_lock only, so it may be called with cfg->lock held. */
void pl_cfg_errf(parley_config *cfg, const char *fmt, ...) PL_PRINTF(2, 3);

/* A pending private-key operation (BoringSSL sign/complete, s2n op object).
 *
 * The hand-over between threads (parley.h, "Threading"): the handshake
 * thread fills the request, stores PENDING and calls start(); the provider
 * may complete from any thread. parley_key_op_complete claims the op
 * (PENDING -> COMPLETING, a compare-and-swap, so a second or concurrent
 * complete fails cleanly instead of racing on `output`), writes output and
 * ok, then stores DONE with release; every reader on the handshake thread
 * loads `state` with acquire (pl_op_state) before it touches output or ok.
 * An atomic rather than a mutex: the library knows no lock of the
 * provider's, complete may run inside start() on the handshake thread, and
 * the handshake thread polls the op without blocking. */
enum { PL_OP_IDLE = 0, PL_OP_PENDING, PL_OP_COMPLETING, PL_OP_DONE };
struct parley_key_op {
    int type;
    _Atomic int state; /* written by both threads: see above */
    int ok;
    int cert_index;
    uint16_t scheme;
    uint16_t client_version;
    uint8_t key_id[32];
    pl_buf input;
    pl_buf output;
    parley_key_provider *provider; /* where a pending operation went */
};

#include "handshake/hs_state.h"

struct parley_conn {
    parley_config *cfg;
    int is_server;
    int failed;              /* sticky error: first fatal error wins */
    int closed_recv, closed_sent;
    int eof;                 /* the transport ended (parley_conn_recv_eof) */
    int alert_sent, alert_received;
    /* Strings allocated when set (an idle connection keeps only what it uses). */
    char *errmsg;            /* the failure, once failed */
    char *refusal;           /* the last refused export / client-auth request (parley_conn_last_refusal) */
    char *verify_result;     /* NULL: the default for the role */
    void *userdata;
    int fd;

    /* Input: raw bytes; one record decrypted in place at a time. The buffer
     * comes from the config's pool when bytes arrive and goes back when the
     * connection is idle (nothing buffered), so idle connections hold none. */
    uint8_t *in;
    size_t in_hw;            /* high-water mark since taken: what to wipe on return */
    size_t in_len;
    size_t app_off, app_len; /* decrypted application data awaiting read */
    size_t app_rec_len;      /* size of the record holding it */
    size_t cur_msg_len;      /* handshake message being handled */
    /* Output: records waiting to be sent. */
    pl_buf out;
    /* Handshake messages being reassembled. */
    pl_buf hsin;
    pl_rec_keys rd, wr;

    pl_hs *hs;
    int hs_done;
    uint16_t version, suite, group, sigscheme;
    uint16_t peer_sigscheme; /* the scheme the peer signed its handshake with (parley_conn_peer_signature_scheme) */
    char *alpn;              /* negotiated protocol, or NULL */
    char *server_name;
    uint8_t client_random[32]; /* kept for the key log */
    pl_buf *peer_certs;      /* PL_MAX_PEER_CERTS, allocated with the first */
    int npeer_certs;
    int key_update_pending;  /* peer asked us to update: one answer, sent when the output is empty or before our next data (RFC 8446 4.6.3) */
    int key_updates;         /* KeyUpdates received since the last application data */
    int tickets_seen;        /* NewSessionTickets received since the last application data */
    int empty_records;       /* records in a row that carried nothing */
    int ignored_alerts;      /* ... of which ignored alerts */
    int reneg_refused;       /* TLS 1.2 renegotiations refused so far */
    int peer_keys_used;      /* TLS 1.3: a record opened under the peer's keys */
    /* TLS 1.2 extended master secret used. It also decides keying material
     * export (RFC 5705, issue #19): a TLS 1.2 connection without EMS must
     * refuse to export (RFC 7627 5.4: its master secret is not bound to its
     * handshake); see pl_conn_export_allowed. */
    int ems;
    int resumed;
    pl_session *sess;        /* client: offered before, resumable after the handshake */
    int client_cert_bound;   /* client: authenticated with its certificate (tls12.c pl_session_base) */
    /* TLS 1.3 client: the resumption master secret, for NewSessionTickets. */
    uint8_t res_secret[PL_MAX_HASH];
    int res_hash;
    /* Keying material exporters (handshake/exporter.c): what they need
     * once the handshake state is gone, kept at its end; wiped with the
     * connection. TLS 1.3: exporter_master_secret; TLS 1.2: the master
     * secret and client_random || server_random. exp_hash 0: none. */
    int exp_hash;
    uint8_t exp_secret[PL_MAX_HASH];
    uint8_t exp_randoms[64];
    /* TLS 1.3 post-handshake client authentication (handshake/post_auth.c):
     * the client offered post_handshake_auth (RFC 8446 4.2.6); pha is
     * allocated at the end of such a handshake only. */
    int pha_offered;
    int pha_requests;        /* client: CertificateRequests since the last application data */
    struct pl_pha_s *pha;
    int early_status;        /* PARLEY_EARLY_DATA_* (early_data.c; the server sets it in early_data_server.c) */
    /* RFC 8879: how our Certificate went out [1] and the peer's came in [0]:
     * algorithm (0 plain), Certificate body bytes, CompressedCertificate bytes. */
    struct {
        uint8_t alg;
        uint32_t plain, wire;
    } cc[2];
    /* record_size_limit (RFC 8449; handshake/record_size_limit.c). */
    uint16_t rsl_sent;       /* the limit we advertised (0: none) */
    uint16_t rsl_peer;       /* negotiated: the peer's limit on our protected records (0: protocol maximum) */
    uint16_t rsl_recv;       /* negotiated: our limit on the peer's protected records (0: protocol maximum) */
    uint16_t rsl_seen;       /* largest protected record received while rsl_recv was 0 (TLS 1.3 client: before EE) */
    /* 0-RTT (RFC 8446 2.3, 4.2.10): PARLEY_EARLY_DATA_* for
     * parley_conn_early_data_status; client: the data of
     * parley_conn_set_early_data, kept until the handshake has sent it
     * (early, or again after the handshake when not accepted). */
    pl_buf early_out;
};

/* May keying material be exported (RFC 5705 / RFC 8446 7.5) from this
 * connection? After the handshake, TLS 1.3 always; TLS 1.2 only with the
 * extended master secret (RFC 7627 5.4). The exporter API (issue #19) must
 * refuse otherwise. */
static inline int pl_conn_export_allowed(const parley_conn *c)
{
    return c->hs_done && (c->version == PARLEY_TLS1_3 || (c->version == PARLEY_TLS1_2 && c->ems));
}

#include "handshake/post_auth.h"

#define PL_IN_CAP (PL_MAX_RECORD12 + 256) /* the larger of the 1.2 and 1.3 limits */

/* conn.c */
int pl_conn_fail(parley_conn *c, int rc);
/* Set (replace) the error / verification result text. An allocation failure
 * leaves the error's fixed name; for the verification result it is an error
 * (a verified peer must not read as "not checked"). */
void pl_conn_set_error(parley_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
PL_MUST_CHECK int pl_conn_set_verify(parley_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A refused call's reason (parley_conn_last_refusal); NULL fmt clears it.
 * Returns PARLEY_ERROR, the refused call's result. */
int pl_conn_refuse(parley_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
PL_MUST_CHECK int pl_conn_set_alpn(parley_conn *c, const uint8_t *p, size_t len);
/* The op's state, loaded with acquire: once DONE is seen, the provider's
 * output and ok are visible to this thread. */
static inline int pl_op_state(const struct parley_key_op *op)
{
    return atomic_load_explicit(&op->state, memory_order_acquire);
}

/* Free (and wipe) a handshake state. */
void pl_hs_free(pl_hs *hs);

/* Exporters and post-handshake authentication: handshake/post_auth.h. */

/* record/send.c: a connection's records out. */
PL_MUST_CHECK int pl_conn_send_handshake(parley_conn *c, uint8_t type, const uint8_t *body, size_t len);
PL_MUST_CHECK int pl_conn_send_ccs(parley_conn *c);
PL_MUST_CHECK int pl_conn_set_write_keys(parley_conn *c, const uint8_t *secret);
/* by_peer: output the peer caused, held to the output cap (pl_peer_room). */
PL_MUST_CHECK int pl_send_handshake(parley_conn *c, uint8_t type, const uint8_t *body, size_t len, int by_peer);
PL_MUST_CHECK int pl_send_alert(parley_conn *c, uint8_t level, uint8_t desc);
/* Application data under the current write keys (records of at most 2^14). */
PL_MUST_CHECK int pl_send_app_data(parley_conn *c, const uint8_t *buf, size_t len);
/* Room under the output cap for n more content bytes the peer caused? */
PL_MUST_CHECK int pl_peer_room(const parley_conn *c, size_t n);
/* Padding for a TLS 1.3 record of len content bytes (RFC 8446 5.4). */
size_t pl_pad(const parley_conn *c, size_t len);

/* record/receive.c: a connection's records in. */
PL_MUST_CHECK int pl_conn_process_records(parley_conn *c, int want_handshake);
PL_MUST_CHECK int pl_conn_next_message(parley_conn *c, const uint8_t **msg, size_t *len);
void pl_conn_drop_message(parley_conn *c, size_t len);
PL_MUST_CHECK int pl_conn_set_read_keys(parley_conn *c, const uint8_t *secret);
/* Buffers of an idle connection go back (input to the config's pool). */
void pl_conn_release_idle(parley_conn *c);
/* The first n bytes of the input (a whole record, handled) are gone. */
void pl_drop_record(parley_conn *c, size_t n);
/* Up to len bytes of the opened data record waiting in the input buffer
 * (application or accepted early data), dropping the record once empty. */
size_t pl_take_app_data(parley_conn *c, uint8_t *buf, size_t len);

/* handshake drivers (client13.c, server13.c, dispatch.c) */
enum { PL_HS_WAIT_OK = 0, PL_HS_WAIT_READ = 1, PL_HS_WAIT_KEY_OP = 2, PL_HS_WAIT_SESSION = 3, PL_HS_WAIT_EARLY = 4 };
enum { PL_LOOKUP_IDLE = 0, PL_LOOKUP_PENDING, PL_LOOKUP_ANSWERED };
/* The largest cache value taken from a cache: a sealed session (a server's
 * is a few hundred bytes) fits with room to spare; anything longer is a miss. */
#define PL_CACHE_VALUE_MAX (PL_MAX_TICKET + 512)
/* A session by id from the config's cache, synchronously or through
 * fetch_start: 1 found, opened (sealed under the ticket ring for this id)
 * and decoded into ss, 0 not, PL_HS_WAIT_SESSION while pending. */
int pl_cache_fetch_session(parley_conn *c, const uint8_t *id, size_t idlen, pl_session *ss);
/* ss encoded, sealed under the ticket ring for id, and stored under id: 0, 1
 * if the cache refused it, <0 on error. */
int pl_cache_store_session(parley_config *cfg, const uint8_t *id, size_t idlen, const pl_session *ss, uint32_t lifetime);
PL_MUST_CHECK int pl_hs_drive(parley_conn *c);
/* handshake/post_handshake.c: a message after the handshake (KeyUpdate,
 * NewSessionTicket, a refused renegotiation); the answer to the peer's
 * update_requested, queued when the output is empty or before_write. */
PL_MUST_CHECK int pl_hs_post_handshake(parley_conn *c, const uint8_t *msg, size_t len);
PL_MUST_CHECK int pl_answer_key_update(parley_conn *c, int before_write);
int pl_client13_start_state(void);
int pl_server13_start_state(void);
/* The client's TLS 1.3 CertificateVerify checked (server13.c; also after the
 * handshake, post_auth.c); `what` names it in the error. */
PL_MUST_CHECK int pl_server13_check_client_cv(parley_conn *c, const uint8_t *msg, size_t len, const char *what);
/* Is this suite offered/accepted under the config (version range, RSA kx)? */
int pl_suite_usable(const parley_config *cfg, uint16_t suite);
/* Is v in list[0..n)? */
static inline int pl_u16_in(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v) return 1;
    return 0;
}
/* RFC 8446 4.1.3: the last 8 bytes of a 1.3-capable server's random when it negotiates 1.2. */
extern const uint8_t pl_downgrade12[8];
/* Client: accept the server's ALPN choice if we offered it (RFC 7301 3.2). */
int pl_client_accept_alpn(parley_conn *c, const uint8_t *proto, size_t len);
/* Keep the peer's chain (DER views, leaf first), take the leaf's key, and
 * verify it: with a verify callback the application does; otherwise a
 * client verifies the server (unless verification is off), a server
 * verifies a client against its client CA store. The leaf's keyUsage must
 * allow what its key will do in every case, unverified included. */
struct pl_certificate_s;
int pl_take_peer_chain(parley_conn *c, const struct pl_certificate_s *ct);
/* Does the verify list (parley_config_set_verify_schemes) hold a scheme a
 * TLS 1.3 CertificateRequest may carry (not PKCS#1 v1.5)? A list of
 * PKCS#1 v1.5 schemes only cannot ask for a TLS 1.3 client certificate. */
static inline int pl_verify_list_has_tls13(const parley_config *cfg)
{
    for (size_t i = 0; i < cfg->nsigalgs; i++)
        if ((cfg->sigalgs[i] & 0xff) != 0x01) return 1;
    return 0;
}
#define PL_NO_TLS13_VERIFY_SCHEME                                                                                      \
    "cannot ask for a TLS 1.3 client certificate: the verify scheme list holds only PKCS#1 v1.5 schemes, which TLS "  \
    "1.3 does not use for handshake signatures (RFC 8446 4.2.3)"
/* Run the application's verify callback on a chain: 0 when it accepts,
 * else the error for the alert it returned (tls12.c). */
PL_MUST_CHECK int pl_app_verify(parley_conn *c, const pl_der *ders, size_t n);
/* Client: the verification result of a resumed session. */
PL_MUST_CHECK int pl_client_set_resumed_verify(parley_conn *c);
/* The verdict on a peer's signature check that returned rc: 0, the same
 * error when memory ran out, else decrypt_error "<whose> signature is invalid". */
PL_MUST_CHECK int pl_peer_signature_verdict(int rc, const char *whose);
/* Client: check a stapled OCSP response (NULL: none) against the policy. */
int pl_client_check_staple(parley_conn *c, const uint8_t *resp, size_t len);
/* The TLS 1.2 session of this connection (version, suite, EMS, master secret,
 * lifetime, server name); the caller adds an id or a ticket. */
void pl_session_from_conn(const parley_conn *c, pl_session *ss, uint64_t created, uint32_t lifetime);
/* What every session starts with: version, suite, creation, lifetime, server name. */
void pl_session_base(const parley_conn *c, pl_session *ss, uint16_t version, uint64_t created, uint32_t lifetime);
/* Client: why session s cannot be offered on this connection (made for
 * another server name, or under other trust settings), or NULL when it can. */
const char *pl_session_unusable(const parley_conn *c, const pl_session *s);
/* Server: did session s verify a client certificate under the current client
 * trust settings? */
int pl_session_client_auth(const parley_config *cfg, const pl_session *s);
/* Client: choose the certificate to answer a CertificateRequest with. */
void pl_choose_client_cert(parley_conn *c, int tls13);
/* ALPN choice by server preference: 1 chose, 0 no ALPN, <0 no_application_protocol. */
int pl_negotiate_alpn(parley_conn *c, int client_sent, pl_cursor client_list);
/* Start a private-key operation; PL_HS_WAIT_KEY_OP while pending, 0 when its
 * result is in hs->op.output, <0 on failure. */
int pl_key_op_run(parley_conn *c, int type, uint16_t scheme, const uint8_t *in, size_t inlen);
/* TLS 1.2 key block -> pending read keys and write keys. */
int pl_tls12_derive_keys(parley_conn *c);
void pl_trace_master(parley_conn *c);

/* TLS 1.3 PSK modes (internal values; on the wire psk_ke = 0, psk_dhe_ke = 1). */
enum { PL_PSK_NONE = 0, PL_PSK_KE, PL_PSK_DHE };
/* tickets.c: sessions sealed into tickets, or kept in the cache; the wall
 * clock in milliseconds (ticket ages, keyless deadlines). */
uint64_t pl_now_ms(void);
PL_MUST_CHECK int pl_ticket_seal_session(parley_config *cfg, const pl_session *ss, pl_buf *out);
/* 1 with *ss filled, 0 when the ticket does not open or decode (never fatal). */
int pl_ticket_open_session(parley_config *cfg, const uint8_t *t, size_t len, pl_session *ss);
/* psk13.c */
PL_MUST_CHECK int pl_client13_psk_usable(parley_conn *c);
PL_MUST_CHECK int pl_client13_write_psk_modes(parley_conn *c, pl_buf *b);
PL_MUST_CHECK int pl_client13_write_psk(parley_conn *c, pl_buf *b);
PL_MUST_CHECK int pl_client13_bind_psk(parley_conn *c, pl_buf *body);
struct pl_client_hello_s;
PL_MUST_CHECK int pl_server13_choose_psk(parley_conn *c, const struct pl_client_hello_s *ch, const uint8_t *msg, size_t len);
PL_MUST_CHECK int pl_server13_send_ticket(parley_conn *c);
/* The budget of rejected early data to skip (RFC 8446 4.2.10), set when a
 * first ClientHello offers early_data that is not accepted. */
void pl_server13_reject_early_data(parley_conn *c);
/* early_data_server.c (server 0-RTT): note what the ticket of identity 0 allows
 * (id: the PSK identity, binder: its binder); decide on a first
 * ClientHello offering early_data (accept: derive the early secret, claim
 * the anti-replay key); the read keys to install with the server's flight. */
void pl_server13_note_ticket(parley_conn *c, const pl_session *ss, pl_cursor id, pl_cursor binder);
PL_MUST_CHECK int pl_server13_early_decide(parley_conn *c, const uint8_t *msg, size_t len, int need_hrr);
/* 0-RTT anti-replay (RFC 8446 8): 1 first use, 0 replay, -1 cannot tell. */
int pl_early_claim(parley_conn *c, const uint8_t key[32], uint32_t lifetime);
PL_MUST_CHECK int pl_client13_ticket(parley_conn *c, const uint8_t *msg, size_t len);

/* suites (names.c) */
enum { PL_KX_NONE = 0, PL_KX_ECDHE, PL_KX_DHE, PL_KX_RSA };
enum { PL_AUTH_ANY = 0, PL_AUTH_ECDSA, PL_AUTH_RSA };
typedef struct {
    uint16_t id;
    const char *name;
    int aead, hash;
    int version; /* 13 or 12 */
    int kx, auth;
} pl_suite;
const pl_suite *pl_suite_find(uint16_t suite);
int pl_suite_params(uint16_t suite, int *aead, int *hash);
const char *pl_hs_type_name(int type);
/* The name of a group as a peer sent it on the wire: the named groups only,
 * "unknown" for anything else, the local PARLEY_GROUP_MODP* labels too
 * (they are never on the wire: a peer's 0xfe08 is not modp2048). */
const char *pl_group_wire_name(uint16_t g);

/* trace.c / keylog.c */
void pl_trace(parley_conn *c, int kind, int msg_type, const char *name, size_t len, const char *detail);
void pl_trace_handshake(parley_conn *c, int sent, const uint8_t *msg, size_t len);
void pl_trace_cert_compression(parley_conn *c, int sent, int alg, size_t plain, size_t wire, const uint8_t *body, size_t len);
void pl_keylog(parley_conn *c, const char *label, const uint8_t *secret, size_t len);

#endif
