/*
 * parley.h - the whole public API of libparley.
 *
 * Two objects: a parley_config (built once, frozen on first use, reference
 * counted, safe to share between threads once frozen) and a parley_conn (one
 * connection, client or server, not thread-safe).
 *
 * The core is sans-I/O: hand received bytes to parley_conn_recv_bytes(), take
 * bytes to send from parley_conn_pending_output() / parley_conn_output_sent().
 * parley_fd_* wrap that for a socket (blocking or non-blocking).
 *
 * Every call returns a parley_status. Negative means the connection has failed
 * for good: the alert has been queued for sending and parley_conn_error_string()
 * says why in one sentence.
 *
 * Contracts: pointer arguments MUST NOT be NULL unless stated. Strings are
 * NUL-terminated UTF-8.
 */
#ifndef PARLEY_H
#define PARLEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_VERSION_STRING "0.1.0"

typedef enum {
    PARLEY_OK = 0,
    PARLEY_WANT_READ = 1,   /* feed more received bytes */
    PARLEY_WANT_WRITE = 2,  /* send pending output first */
    PARLEY_WANT_KEY_OP = 3, /* a private-key operation is pending (see key provider) */
    PARLEY_CLOSED = 4,      /* peer sent close_notify (or we closed) */
    PARLEY_WANT_SESSION = 5, /* a session-cache lookup is pending (see fetch_start) */
    PARLEY_TRUNCATED = 6,   /* the transport ended without close_notify: the data
                             * read may have been cut short by an attacker (RFC 8446 6.1) */
    PARLEY_EARLY_DATA = 7,  /* server: 0-RTT data is ready (parley_conn_read_early_data),
                             * then call parley_conn_handshake again */
    PARLEY_ERROR = -1       /* fatal; see parley_conn_error_string() */
} parley_status;

/* Protocol versions (wire values). */
#define PARLEY_TLS1_2 0x0303
#define PARLEY_TLS1_3 0x0304

/* TLS 1.3 cipher suites (IANA values). */
#define PARLEY_TLS_AES_128_GCM_SHA256 0x1301
#define PARLEY_TLS_AES_256_GCM_SHA384 0x1302
#define PARLEY_TLS_CHACHA20_POLY1305_SHA256 0x1303

/* TLS 1.2 cipher suites (AEAD only). */
#define PARLEY_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 0xc02b
#define PARLEY_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 0xc02c
#define PARLEY_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 0xcca9
#define PARLEY_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 0xc02f
#define PARLEY_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 0xc030
#define PARLEY_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 0xcca8
#define PARLEY_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 0x009e
#define PARLEY_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 0x009f
#define PARLEY_TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 0xccaa
#define PARLEY_TLS_RSA_WITH_AES_128_GCM_SHA256 0x009c
#define PARLEY_TLS_RSA_WITH_AES_256_GCM_SHA384 0x009d

/* Named groups. */
#define PARLEY_GROUP_SECP256R1 0x0017
#define PARLEY_GROUP_SECP384R1 0x0018
#define PARLEY_GROUP_SECP521R1 0x0019
#define PARLEY_GROUP_X25519 0x001d
#define PARLEY_GROUP_X448 0x001e
#define PARLEY_GROUP_FFDHE2048 0x0100
#define PARLEY_GROUP_FFDHE3072 0x0101
#define PARLEY_GROUP_FFDHE4096 0x0102
#define PARLEY_GROUP_FFDHE6144 0x0103
#define PARLEY_GROUP_FFDHE8192 0x0104
/* Not named groups: the RFC 3526 MODP primes a TLS 1.2 client accepts in a
 * DHE ServerKeyExchange from a server that does not use RFC 7919 (OpenSSL's
 * default), recognised by comparing the prime. parley_conn_group reports
 * them with these Parley-local labels, never sent or read on the wire and
 * not accepted by parley_config_set_groups. Their values lie in RFC 8446
 * 4.2.7's ecdhe_private_use range (0xfe00..0xfeff), which a peer may use
 * for a group of its own: a peer's 0xfe08 is not modp2048 (traces of wire
 * values print it in hex). parley_group_name gives "modp2048" ... "modp8192". */
#define PARLEY_GROUP_MODP2048 0xfe08
#define PARLEY_GROUP_MODP3072 0xfe0c
#define PARLEY_GROUP_MODP4096 0xfe10
#define PARLEY_GROUP_MODP6144 0xfe18
#define PARLEY_GROUP_MODP8192 0xfe20

/* Signature schemes. */
#define PARLEY_SIG_RSA_PKCS1_SHA256 0x0401
#define PARLEY_SIG_RSA_PKCS1_SHA384 0x0501
#define PARLEY_SIG_RSA_PKCS1_SHA512 0x0601
#define PARLEY_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define PARLEY_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define PARLEY_SIG_ECDSA_SECP521R1_SHA512 0x0603 /* TLS 1.2: ECDSA with SHA-512, any curve */
#define PARLEY_SIG_RSA_PSS_RSAE_SHA256 0x0804
#define PARLEY_SIG_RSA_PSS_RSAE_SHA384 0x0805
#define PARLEY_SIG_RSA_PSS_RSAE_SHA512 0x0806
#define PARLEY_SIG_ED25519 0x0807
#define PARLEY_SIG_ED448 0x0808
#define PARLEY_SIG_RSA_PSS_PSS_SHA256 0x0809
#define PARLEY_SIG_RSA_PSS_PSS_SHA384 0x080a
#define PARLEY_SIG_RSA_PSS_PSS_SHA512 0x080b

typedef struct parley_config parley_config;
typedef struct parley_conn parley_conn;

/* ---------------------------------------------------------------- config */

parley_config *parley_config_new(void);
/* Reference counting: a connection holds a reference; free drops one. Each
 * new or ref is matched by exactly one free: the application may free its
 * config while connections still use it (they keep it alive), but freeing
 * it once more than that is a use after free. */
void parley_config_ref(parley_config *cfg);
void parley_config_free(parley_config *cfg);

/* Setters return PARLEY_OK or PARLEY_ERROR (after freeze, or bad input);
 * parley_config_error_string() then says why. A setter that fails (bad
 * input, NULL pointer, unreadable file, no memory) leaves the config exactly
 * as it was; a setter called again replaces its earlier value; a setter only
 * changes what it names. The config freezes at its first connection; then
 * every setter but parley_config_reload_ticket_keys is refused. A trust store
 * (CA file, client CA, CRLs) is loaded then, whole: if any part of it fails
 * the connection fails, and the next connection tries again from scratch.
 *
 * Error text and threads: a config shared by threads may fail calls on
 * several at once (parley_conn_new_* returning NULL, a refused setter,
 * parley_config_reload_ticket_keys). parley_config_error_string(cfg) returns,
 * when the calling thread's latest failed config call was on cfg, that
 * call's text; otherwise a copy of cfg's latest failure on any thread ("" if
 * none). Either is one whole sentence, never mixed with another thread's.
 * The pointer is to the calling thread's own storage: it stays valid on that
 * thread until its next failing config call or its next
 * parley_config_error_string call (copy the text to keep it longer), and is
 * not to be handed to another thread. Setting a config up (its setters)
 * finishes before the config is shared: a setter running while another
 * thread makes the config's first connection races with it (the frozen
 * check cannot order the two). */
const char *parley_config_error_string(const parley_config *cfg);

/* Version range; default (PARLEY_TLS1_2, PARLEY_TLS1_3). Anything older is refused (RFC 8996). */
int parley_config_set_versions(parley_config *cfg, uint16_t min, uint16_t max);
/* Colon-separated IANA names, e.g. "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256". */
int parley_config_set_ciphers(parley_config *cfg, const char *list);
/* Colon-separated, in preference order, e.g. "x25519:secp256r1:ffdhe2048".
 * Names: x25519, secp256r1, secp384r1, x448, secp521r1, ffdhe2048, ffdhe3072,
 * ffdhe4096, ffdhe6144, ffdhe8192 (also P-256, P-384, P-521, prime256v1,
 * X25519, X448). The first is sent as the TLS 1.3 key share; ffdhe groups
 * serve TLS 1.2 DHE (RFC 7919) and TLS 1.3. Default: x25519, secp256r1,
 * secp384r1, x448, secp521r1, ffdhe2048, ffdhe3072, ffdhe4096 (x448,
 * secp521r1 and the ffdhe groups are supported, not preferred). ffdhe6144
 * and ffdhe8192 must be named: each costs a server about 100 times an
 * x25519 exchange, which any client could otherwise ask for. A TLS 1.2
 * client accepts a DH group it lists, or any RFC 7919 group or RFC 3526
 * prime (see PARLEY_GROUP_MODP2048) within the sizes of the ffdhe groups
 * it lists, no larger than the largest and no smaller than the smallest
 * (RFC 7919 3: local policy; outside: insufficient_security); listing no
 * ffdhe group accepts any of these. */
int parley_config_set_groups(parley_config *cfg, const char *list);
/* Signature schemes, colon-separated, by the names parley_sigscheme_name
 * prints, e.g. "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:ed25519".
 * Known: ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384,
 * ecdsa_secp521r1_sha512, ed25519, ed448, rsa_pss_rsae_sha256/384/512,
 * rsa_pss_pss_sha256/384/512, rsa_pkcs1_sha256/384/512 (PKCS#1 v1.5: TLS
 * 1.2 only, never for a TLS 1.3 handshake signature). SHA-1 and SHA-224
 * schemes cannot be configured (RFC 9155, RFC 8446 4.2.3). At most 16.
 * Default for both lists: the ECDSA schemes, ed25519, ed448, the RSA-PSS
 * schemes, then PKCS#1 v1.5, in that order.
 * - signing: the schemes this side may sign with (server: CertificateVerify
 *   or ServerKeyExchange; client: CertificateVerify), in preference order:
 *   the first that the peer offered and the certificate's key can make
 *   wins, and a certificate with no such scheme is not used.
 * - verify: the schemes advertised (signature_algorithms in the
 *   ClientHello, the CertificateRequest's list) and the only ones a peer's
 *   signature is accepted in (else illegal_parameter). */
int parley_config_set_signing_schemes(parley_config *cfg, const char *list);
int parley_config_set_verify_schemes(parley_config *cfg, const char *list);
/* TLS 1.2 static RSA key exchange: no forward secrecy, so off by default on
 * both sides; on, the TLS_RSA_WITH_* suites are offered / accepted. */
int parley_config_allow_rsa_kx(parley_config *cfg, int allow);
/* RFC 7627 extended master secret (TLS 1.2). Default 0: it is used whenever
 * the peer supports it, and a peer without it gets a full handshake with the
 * legacy master secret, whose session is never resumable (not cached, no
 * ticket, never offered: RFC 7627 5.4), and parley_conn_ems() says 0.
 * 1 (strict): a TLS 1.2 peer without it is refused with handshake_failure. */
int parley_config_require_ems(parley_config *cfg, int require);

/* Comma-separated ALPN protocols in preference order, e.g. "h2,http/1.1". */
int parley_config_set_alpn(parley_config *cfg, const char *list);

/* TLS 1.3 certificate compression (RFC 8879): comma-separated algorithms
 * among "zlib", "brotli", "zstd" in preference order; "" or "none" turns it
 * off. Default: every one built in (brotli, zstd, zlib; each may be left
 * out at build time, PARLEY_WITH_*), and naming one that is not built in is
 * an error. Both roles offer the list (client: ClientHello; server:
 * CertificateRequest) and accept a compressed certificate in any of them;
 * each sends its own Certificate compressed with its first algorithm the
 * peer offered, when that saves bytes. The compressed form of each
 * certificate is made once, on first use, not per handshake. A received
 * one may declare at most 128 KiB uncompressed; anything that does not
 * decompress to exactly the declared length is bad_certificate. */
int parley_config_set_cert_compression(parley_config *cfg, const char *list);

/* Pad every protected record's plaintext to a multiple of `block` bytes
 * (RFC 8446 5.4), hiding exact lengths; 0 (default) sends no padding. */
int parley_config_set_record_padding(parley_config *cfg, size_t block);

/* record_size_limit (RFC 8449), both roles, both versions: the largest
 * protected record plaintext (TLS 1.3: content, type byte and padding) this
 * side will receive, 64..16385 (16384 is advertised in TLS 1.2); 0 turns the
 * extension off (neither sent nor answered). Default: on, advertising the
 * protocol maximum (RFC 8449 4 says to advertise it even without a need, so
 * that a constrained peer can state its own limit). Whatever limit the peer
 * advertises is honoured for every protected record sent to it, padding
 * included; a protected record beyond ours is record_overflow. */
int parley_config_set_record_size_limit(parley_config *cfg, unsigned limit);

/* Certificate chain (PEM, leaf first) with its private key (PEM). Repeatable;
 * the server picks by SNI and by the client's signature algorithms. */
int parley_config_add_cert_files(parley_config *cfg, const char *chain_pem, const char *key_pem);
/* Generates a self-signed ECDSA P-256 certificate for "localhost" and 127.0.0.1
 * in memory. fingerprint receives "AB:CD:..." (SHA-256 of the DER). */
int parley_config_add_self_signed(parley_config *cfg, char *fingerprint, size_t fingerprint_len);

/* The leaf certificate of entry `index` (add order) as PEM, NUL-terminated.
 * Lets a caller publish a generated self-signed certificate to its clients. */
int parley_config_export_cert_pem(const parley_config *cfg, int index, char *pem, size_t len);

/* Trust store: a PEM bundle; without one the system default paths are used. */
int parley_config_set_ca_file(parley_config *cfg, const char *path);
/* Server: ask for client certificates and verify them against `path` (a PEM
 * bundle whose subjects are also sent as certificate_authorities). Asking is
 * PARLEY_VERIFY_CLIENT_OPTIONAL unless parley_config_set_verify_client sets
 * the mode (called before or after). */
int parley_config_set_client_ca(parley_config *cfg, const char *path);
enum { PARLEY_VERIFY_CLIENT_NONE = 0, PARLEY_VERIFY_CLIENT_OPTIONAL = 1, PARLEY_VERIFY_CLIENT_REQUIRE = 2 };
/* REQUIRE: no certificate ends the handshake (certificate_required in TLS 1.3,
 * handshake_failure in 1.2). A client's certificates are the ones added with
 * parley_config_add_cert_files; it picks one that fits the request. */
int parley_config_set_verify_client(parley_config *cfg, int mode);

/* Certificate revocation lists (PEM or DER, repeatable), checked for the
 * leaf and every intermediate of the peer's chain, in both roles. A
 * certificate whose issuer has no CRL among them fails verification. */
int parley_config_add_crl_file(parley_config *cfg, const char *path);
/* An expired CRL (past nextUpdate): 1 (default) fails, 0 only warns (the
 * warning appears in parley_conn_verify_result). */
int parley_config_set_crl_expired_fatal(parley_config *cfg, int fatal);
/* Longest accepted chain (intermediates between leaf and trust anchor); default 8. */
int parley_config_set_max_chain_depth(parley_config *cfg, int depth);
/* Certificate policy (both roles, and parley_verify_chain): the smallest RSA
 * key accepted on the verified path, trust anchor included; 2048..16384,
 * default 2048. Whatever the value, EC keys must be on P-256, P-384 or P-521,
 * Ed25519 and Ed448 are accepted, DSA and other key types are refused, and
 * no certificate on the path but the anchor (whose self-signature nobody
 * checks) nor any CRL used may be signed with MD5 or SHA-1. */
int parley_config_set_min_rsa_bits(parley_config *cfg, int bits);
/* INSECURE: the same, accepting 1024..16384. RSA keys below 2048 bits can be
 * factored by a well-funded attacker; only for testing old systems. Every
 * verification that accepted such a key says so in its warning
 * (parley_conn_verify_result, parley_verify_result.warning). */
int parley_config_set_insecure_min_rsa_bits(parley_config *cfg, int bits);

/* Server: staple this DER OCSP response for certificate `index` (add order)
 * when the client asks (status_request; RFC 6066 8, RFC 8446 4.4.2.1). */
int parley_config_set_ocsp_response_file(parley_config *cfg, int index, const char *path);
/* Client: ask for a stapled OCSP response. PREFER checks one if stapled;
 * REQUIRE also fails without one (bad_certificate_status_response). */
enum { PARLEY_OCSP_NONE = 0, PARLEY_OCSP_PREFER = 1, PARLEY_OCSP_REQUIRE = 2 };
int parley_config_set_ocsp(parley_config *cfg, int mode);
/* Client: a stapled response without nextUpdate is accepted for at most
 * `seconds` after its thisUpdate (like OCSP_check_validity's maxsec), at the
 * configured clock with 5 minutes of skew; 1 s .. 366 days, default 7 days.
 * A response with nextUpdate is good until then. The response must be
 * signed by the issuer on the verified path or by a certificate that issuer
 * signed with id-kp-OCSPSigning, valid at the configured clock. */
int parley_config_set_ocsp_max_age(parley_config *cfg, uint32_t seconds);

/* The application verifies the peer's certificate chain, instead of
 * Parley (both roles; parley_config_set_verify, the CA files, CRLs, depth
 * and key-size policy are then not applied to the chain). A client still
 * checks the host name (parley_config_set_verify_hostname, on by default:
 * the callback judges the chain, Parley the name; turn it off when the
 * callback checks the identity itself). OCSP (parley_config_set_ocsp)
 * cannot be combined with a callback: the first connection of such a
 * config fails. fn(arg, conn, der, der_len, n) gets the chain as the peer
 * sent it, leaf first (1 <= n <= 10; a longer chain is refused with
 * bad_certificate before fn is called; der[i] is valid only during the call), and returns 0 to accept or a TLS alert number to
 * fail the handshake with that alert: handshake_failure (40),
 * bad_certificate (42), unsupported_certificate (43), certificate_revoked
 * (44), certificate_expired (45), certificate_unknown (46), unknown_ca (48),
 * access_denied (49), insufficient_security (71), internal_error (80); any
 * other value sends bad_certificate. parley_conn_verify_result then says
 * "ok (accepted by the application's verify callback)".
 * What still applies: the leaf must be valid DER with a key type Parley
 * supports and a keyUsage allowing what its key does in the handshake
 * (digitalSignature, or keyEncipherment for TLS 1.2 RSA key exchange:
 * RFC 8446 4.4.2.2, RFC 5246 7.4.2), checked before fn is called
 * (unsupported_certificate); the peer's CertificateVerify /
 * ServerKeyExchange signature and its scheme are checked after it.
 * A server with a callback may ask for client certificates
 * (parley_config_set_verify_client) without a client CA file: its
 * CertificateRequest then carries no certificate_authorities.
 * Not called on resumption (the session was accepted when it was made;
 * a session is resumed only under the same callback function and arg,
 * which are addresses: sessions made under a callback do not resume in
 * another process) nor
 * when the peer sends no certificate (parley_config_set_verify_client
 * decides). Threading: called on the thread driving the handshake (or
 * parley_conn_read, for TLS 1.3 post-handshake client authentication),
 * inside that call. fn may call the parley_conn_* result getters on conn
 * (version, cipher, server name, ALPN ...) but must not drive it
 * (handshake, read, write, close, free) nor change the config. NULL
 * removes the callback (the default). */
typedef int (*parley_verify_cb)(void *arg, const parley_conn *conn, const uint8_t *const *der, const size_t *der_len,
                                size_t n);
int parley_config_set_verify_callback(parley_config *cfg, parley_verify_cb fn, void *arg);

/* Turn certificate verification off (client). Dangerous; the tool says so.
 * The server's key is still used only as its keyUsage allows. */
int parley_config_set_verify(parley_config *cfg, int verify);
/* Client: match the server's certificate to the server name given to
 * parley_conn_new_client (DNS names against dNSName SANs, an IP address
 * against iPAddress SANs). On by default, and then a connection made with a
 * NULL or empty server name fails verification (bad_certificate). 0 means
 * the application checks the server's identity itself (after the handshake,
 * with parley_conn_peer_cert_sans, a pinned key ...): the chain is still
 * verified, the name is not, and the result says "ok (chain only: ...)". */
int parley_config_set_verify_hostname(parley_config *cfg, int check);
/* A chain verified once is remembered (keyed by its exact bytes, the host
 * name and the trust store) for up to 10 minutes and never past the validity
 * of any certificate in it, so a client meeting the same server again skips
 * parsing and verifying it; a store with CRLs does not remember. On by
 * default; 0 verifies every chain in full. */
int parley_config_set_verify_cache(parley_config *cfg, int enable);
/* Injectable clock for certificate validity checks (0 = real time): the
 * chain, CRLs, OCSP freshness and the OCSP responder's certificate. */
int parley_config_set_time(parley_config *cfg, int64_t unix_seconds);

/* ------------------------------------------------ verifying chains on their own */

/* The checks a handshake makes on a peer's chain, run on their own (e.g.
 * `parley verify`): exactly the code a handshake runs, with the config's CRLs,
 * clock (parley_config_set_time), maximum depth and policy, and its trust
 * store: for PARLEY_PURPOSE_CLIENT the client CA file whenever
 * parley_config_set_client_ca set one (whatever parley_config_set_verify_client
 * says); otherwise (PARLEY_PURPOSE_SERVER, or no client CA file) the CA file
 * of parley_config_set_ca_file, or the system store. The config is frozen and
 * only that store is loaded (no session cache or ticket keys are made). */
enum { PARLEY_PURPOSE_SERVER = 1, PARLEY_PURPOSE_CLIENT = 2 };
/* parley_verify_chain's result when the chain is not verified (PARLEY_OK:
 * verified; PARLEY_ERROR: it could not run, parley_config_error_string says why). */
enum { PARLEY_VERIFY_FAILED = 8 };
/* The seven checks, in the order they are reported. */
enum {
    PARLEY_CHECK_DATES = 0,       /* validity dates of every certificate on the path */
    PARLEY_CHECK_SIGNATURES = 1,  /* each issuer's signature, key and algorithm policy */
    PARLEY_CHECK_TRUST = 2,       /* a trust anchor reached */
    PARLEY_CHECK_HOST = 3,        /* the leaf's SANs against the host name */
    PARLEY_CHECK_USAGE = 4,       /* keyUsage / extendedKeyUsage for the purpose */
    PARLEY_CHECK_CONSTRAINTS = 5, /* basicConstraints, path length, name constraints, depth */
    PARLEY_CHECK_REVOCATION = 6,  /* the CRLs given */
    PARLEY_CHECK_COUNT = 7
};
/* A check's verdict. NOT_CHECKED: the verification stopped at an earlier
 * failure before this check was complete (detail: "the verification stopped
 * at the <check name> failure"); SKIPPED: nothing to check (no host
 * name, no CRL given). */
enum { PARLEY_VERDICT_NOT_CHECKED = 0, PARLEY_VERDICT_OK = 1, PARLEY_VERDICT_FAILED = 2, PARLEY_VERDICT_SKIPPED = 3 };
/* The longest path parley_config_set_max_chain_depth allows (32
 * intermediates, the leaf and the anchor): a path is never cut. */
#define PARLEY_VERIFY_MAX_PATH 34
typedef struct {
    char subject[256];   /* one line, e.g. "CN = leaf.test, O = Example"; control bytes
                          * and invalid UTF-8 as \xNN, like every certificate text
                          * in the result (reason, details) */
    char issuer[256];
    char key[32];        /* "RSA 2048", "EC P-256", "Ed25519", "DSA 1024" ... */
    char signature[64];  /* "sha256WithRSAEncryption", "ecdsa-with-SHA256", "ED25519" ... */
    int64_t not_before, not_after; /* UNIX seconds */
    int trust_anchor;    /* the anchor from the trust store (last on the path) */
} parley_verify_cert;
typedef struct {
    int verdict;         /* PARLEY_VERDICT_* */
    char detail[1280];   /* a sentence for people (a FAILED one starts with the reason) */
} parley_verify_check;
/* Caller-allocated; nothing in it needs freeing. */
typedef struct parley_verify_result {
    int ok;              /* 1: verified */
    int alert;           /* the alert a handshake would send (0 when ok): 42
                          * bad_certificate, 43 unsupported_certificate, 44
                          * certificate_revoked, 45 certificate_expired, 46
                          * certificate_unknown, 48 unknown_ca */
    char reason[1024];   /* "ok", or the exact sentence a handshake reports
                          * (room for two 255-byte names, escaped: never cut) */
    char warning[256];   /* "" or e.g. an expired CRL accepted, a key accepted
                          * only through parley_config_set_insecure_min_rsa_bits */
    size_t path_len;     /* the path built, leaf first */
    parley_verify_cert path[PARLEY_VERIFY_MAX_PATH];
    parley_verify_check checks[PARLEY_CHECK_COUNT];
} parley_verify_result;
/* Verify n DER certificates (the leaf first, then candidate intermediates in
 * any order, at most 64) for `purpose`, and `host` (a DNS name or an IP
 * literal, matched against iPAddress SANs; NULL: no name check). Returns
 * PARLEY_OK, PARLEY_VERIFY_FAILED (res->reason says why) or PARLEY_ERROR.
 * The verification cache is not used. Thread-safe on a frozen config. */
int parley_verify_chain(parley_config *cfg, const uint8_t *const *der, const size_t *der_len, size_t n,
                        const char *host, int purpose, parley_verify_result *res);
/* "dates", "signatures", "trust", "host", "usage", "constraints", "revocation". */
const char *parley_verify_check_name(int check);
/* "ok", "FAILED", "skipped", "not checked". */
const char *parley_verify_verdict_name(int verdict);

/* PEM certificates for parley_verify_chain, read without OpenSSL in the
 * application: every CERTIFICATE block of `pem` (other blocks, e.g. a key next
 * to the certificate, are ignored when there is a certificate; an OpenSSL
 * TRUSTED CERTIFICATE block is an error saying how to convert it). Input of at
 * most PARLEY_CERT_LIST_MAX_INPUT bytes and PARLEY_CERT_LIST_MAX certificates.
 * PARLEY_OK with *out set, or PARLEY_ERROR with a sentence in err: "empty
 * input", "DER data, not PEM", "holds a PRIVATE KEY, not a certificate",
 * "no PEM certificate found", "certificate 2 (line 31): bad base64" ... */
#define PARLEY_CERT_LIST_MAX 64
#define PARLEY_CERT_LIST_MAX_INPUT (1024 * 1024)
typedef struct parley_cert_list parley_cert_list;
int parley_cert_list_from_pem(const uint8_t *pem, size_t len, parley_cert_list **out, char *err, size_t errlen);
size_t parley_cert_list_count(const parley_cert_list *list);
/* The i-th certificate's DER (valid until the list is freed), NULL past the end. */
const uint8_t *parley_cert_list_der(const parley_cert_list *list, size_t i, size_t *len);
void parley_cert_list_free(parley_cert_list *list);

/* ------------------------------------------------ private-key providers */

/* An operation the handshake needs from whoever holds the private key. */
typedef struct parley_key_op parley_key_op;
enum parley_key_op_type {
    PARLEY_KEY_OP_SIGN = 1,
    /* TLS 1.2 static RSA: input is the encrypted premaster; the result must
     * be 48 bytes, a random premaster on any failure (implicit rejection,
     * RFC 5246 7.4.7.1), never an error that depends on the ciphertext. */
    PARLEY_KEY_OP_RSA_DECRYPT = 2
};

/* Threading. The "handshake thread" is whichever thread drives the
 * connection (parley_conn_handshake, parley_fd_handshake, parley_conn_free);
 * it may change between calls, as for any parley_conn, but never runs two of
 * them at once.
 * - start() and cancel() are called on the handshake thread, from inside
 *   parley_conn_handshake() / parley_conn_free().
 * - The parley_key_op_* getters (type, scheme, input, client_version,
 *   cert_index, key_id) may be called from any thread between start() and
 *   the operation's completion; the provider hands `op` to its own threads
 *   with its own synchronisation (a queue under its lock).
 * - parley_key_op_complete() may be called from any thread, inside start()
 *   or later, exactly once per started operation (a second call returns
 *   PARLEY_ERROR and changes nothing). It publishes the result with release
 *   ordering; the library reads it with acquire, so no further locking is
 *   needed for the result itself. After calling it the provider must not
 *   touch `op` again: the handshake thread may free it at once.
 * - Waking the handshake thread is the application's job: complete() wakes
 *   nobody. Use a notification of the provider's (the keyless provider's
 *   parley_keyless_set_notify, which must only wake the loop, or
 *   parley_keyless_wait for a thread per connection), then call
 *   parley_conn_handshake() on the handshake thread; parley_key_op_done() /
 *   parley_conn_pending_key_op() == NULL tell that the result is there.
 * - Not allowed on the provider's threads: any parley_conn_* call on the
 *   connection (handshake, read, write, free ...), parley_conn_pending_key_op
 *   included, and any use of `op` after complete() or after cancel() returned.
 * - cancel() races complete(): when the connection is freed while the op is
 *   out, cancel() must return only once the provider will never touch `op`
 *   again, which includes waiting for a complete() already running on another
 *   thread (hold one lock around complete() and in cancel(), or mark the op
 *   in flight and have cancel() wait for the mark to clear). cancel() may
 *   also come for an op whose complete() has just finished (the connection
 *   saw it pending an instant before): it must then do nothing, so a
 *   provider must not free per-op state in both complete() and cancel(). */
typedef struct parley_key_provider parley_key_provider;
struct parley_key_provider {
    /* Start an operation (on the handshake thread). Either complete it now
     * (parley_key_op_complete, then return PARLEY_OK) or keep `op` and return
     * PARLEY_WANT_KEY_OP; the handshake then pauses, and the caller completes
     * the op later, from any thread, and calls parley_conn_handshake() again
     * on the handshake thread. The op may complete before start() returns
     * WANT_KEY_OP; the handshake then goes on at the next call. Return
     * PARLEY_ERROR to fail, keeping nothing. */
    int (*start)(parley_key_provider *self, parley_key_op *op);
    /* Optional: forget a kept `op` for good, because its connection is being
     * freed (parley_conn_free calls it on the handshake thread, while the op
     * is not yet completed, possibly while a complete() runs elsewhere).
     * After it returns the provider must never touch `op` again. Without it,
     * a caller must not free a connection whose operation is still pending
     * (parley_key_op_done() is 0). */
    void (*cancel)(parley_key_provider *self, parley_key_op *op);
};

int parley_key_op_type(const parley_key_op *op);
uint16_t parley_key_op_scheme(const parley_key_op *op); /* signature scheme */
/* For SIGN: the message to sign (the scheme names the hash). */
void parley_key_op_input(const parley_key_op *op, const uint8_t **data, size_t *len);
/* For RSA_DECRYPT: the version the client offered (ClientHello.legacy_version). */
uint16_t parley_key_op_client_version(const parley_key_op *op);
/* Index of the certificate (in add order) whose key is wanted. */
int parley_key_op_cert_index(const parley_key_op *op);
/* Deliver the result (copied). ok=0 fails the handshake with internal_error.
 * Any thread, once (see "Threading" above); PARLEY_ERROR if the op is not
 * pending (already completed). */
int parley_key_op_complete(parley_key_op *op, int ok, const uint8_t *out, size_t len);
/* Whether `op` has been completed (its result is then visible to the caller's
 * thread). Any thread, while the op is alive. */
int parley_key_op_done(const parley_key_op *op);

/* Certificate chain with a provider instead of a local key (keyless). */
int parley_config_add_cert_with_provider(parley_config *cfg, const char *chain_pem,
                                         parley_key_provider *provider);

/* The key id of certificate `index`'s public key: SHA-256 of its
 * SubjectPublicKeyInfo (how a key server names keys). */
int parley_key_op_key_id(const parley_key_op *op, uint8_t id[32]);
/* The operation a connection is waiting on (WANT_KEY_OP), or NULL once it
 * is completed (the result is then visible: call parley_conn_handshake()).
 * Handshake thread only. */
parley_key_op *parley_conn_pending_key_op(parley_conn *conn);

/* ------------------------------------------------- keys held by the caller */

/* A private key for a key server or an application's own provider. */
typedef struct parley_key parley_key;
parley_key *parley_key_load_pem(const char *path, char *err, size_t errlen);
void parley_key_free(parley_key *key);
/* SHA-256 of the key's SubjectPublicKeyInfo. */
void parley_key_id(const parley_key *key, uint8_t id[32]);
/* "RSA 2048", "EC P-256", "Ed25519". */
const char *parley_key_describe(const parley_key *key, char *buf, size_t len);
/* Sign with a TLS signature scheme; PARLEY_ERROR if the key cannot. */
int parley_key_sign(const parley_key *key, uint16_t scheme, const uint8_t *in, size_t inlen, uint8_t *sig, size_t *siglen,
                    size_t cap);
/* RSA premaster decryption with implicit rejection: always 48 bytes (on any
 * padding, length or version failure, client_version followed by 46 bytes
 * derived from the ciphertext and a secret of the key: the same ciphertext
 * always gets the same answer, so the answer is safe to hand to the
 * requester), PARLEY_ERROR only when the key is not RSA. */
int parley_key_rsa_decrypt_premaster(const parley_key *key, const uint8_t *ct, size_t len, uint16_t client_version,
                                     uint8_t out[48]);

/* ------------------------------------------------- the keyless protocol
 * Frames exchanged with `parley keyserver` (docs/keyless.md). */
#define PARLEY_KEYLESS_REQUEST_SIZE 2048 /* every request frame has this size */
enum parley_keyless_opcode { PARLEY_KEYLESS_SIGN = 1, PARLEY_KEYLESS_RSA_DECRYPT = 2, PARLEY_KEYLESS_PING = 3 };
enum parley_keyless_status {
    PARLEY_KEYLESS_OK = 0,
    PARLEY_KEYLESS_KEY_NOT_FOUND = 1,
    PARLEY_KEYLESS_BAD_INPUT = 2,
    PARLEY_KEYLESS_UNSUPPORTED = 3,
    PARLEY_KEYLESS_DEADLINE_PASSED = 4,
    PARLEY_KEYLESS_INTERNAL = 5
};
typedef struct {
    uint32_t id;
    int opcode;            /* request */
    int status;            /* response */
    uint8_t key_id[32];
    uint16_t scheme;       /* SIGN */
    uint16_t client_version; /* RSA_DECRYPT */
    uint64_t deadline_ms;  /* Unix time in ms; 0 = none */
    const uint8_t *payload;
    size_t payload_len;
} parley_keyless_msg;
/* Encode a request (padded to PARLEY_KEYLESS_REQUEST_SIZE) or a response. */
int parley_keyless_encode(const parley_keyless_msg *m, int response, uint8_t *out, size_t cap, size_t *len);
/* Decode one frame at the start of buf: PARLEY_OK with *used set,
 * PARLEY_WANT_READ if incomplete, PARLEY_ERROR if malformed. Views point into buf. */
int parley_keyless_decode(const uint8_t *buf, size_t len, int *response, parley_keyless_msg *m, size_t *used);

/* A key server's keys and its answer to one request. */
typedef struct parley_keystore parley_keystore;
/* Load every *.pem private key in dir. */
parley_keystore *parley_keystore_load_dir(const char *dir, char *err, size_t errlen);
void parley_keystore_free(parley_keystore *ks);
int parley_keystore_count(const parley_keystore *ks);
/* Answer a decoded request: fills the response frame (never key material). */
int parley_keystore_answer(const parley_keystore *ks, const parley_keyless_msg *req, uint8_t *out, size_t cap, size_t *len);

/* ------------------------------------------------- keyless client provider
 * A key provider that sends each operation to `parley keyserver` over Parley
 * TLS 1.3 with the client certificate in `tls` (a client config: trust
 * anchors, certificate and key). `host_port` is HOST:PORT or a comma list of
 * up to 8 ("a:8600,b:8600"; a malformed entry: NULL, and err names it). Each
 * key server gets `pool` connections (1..16); they carry pipelined operations,
 * round robin over the up ones; each has a deadline; an operation whose
 * connection drops is re-sent on another (any key server) while its deadline
 * lasts; when no connection is up, operations fail at once and the pool
 * reconnects with backoff (50 ms doubling to 500 ms). Returns once the first
 * connection is up or every first attempt has failed, waiting at most
 * timeout_ms, so operations started right after it find the pool up. */
parley_key_provider *parley_keyless_new(const char *host_port, parley_config *tls, int pool, int timeout_ms, char *err,
                                        size_t errlen);
/* Block until `op` (started by this provider) completes or times out; for
 * callers that run one connection per thread. */
int parley_keyless_wait(parley_key_provider *p, parley_key_op *op);
/* Whether `op` has completed (or passed its deadline, then it fails). */
int parley_keyless_done(parley_key_provider *p, parley_key_op *op);
/* For event loops: fn(arg) is called whenever an operation completes,
 * answered, failed or timed out (deadlines are enforced by the provider within
 * about 100 ms). It runs on one of the provider's threads with its lock held:
 * it must only wake the loop (uv_async_send, a write to an eventfd), which
 * then calls parley_conn_handshake() for connections whose op is done. Set it
 * before the first operation. */
void parley_keyless_set_notify(parley_key_provider *p, void (*fn)(void *arg), void *arg);
/* Connections currently up. */
int parley_keyless_connected(parley_key_provider *p);
/* Joins the pool threads and fails the operations still out. Bounded: a pool
 * thread connecting to a key server that hangs notices within about 100 ms
 * (docs/keyless.md, "The client side"). */
void parley_keyless_free(parley_key_provider *p);

/* ------------------------------------------------------------ memory */

/* Replace the allocator for everything libparley allocates itself (not
 * libcrypto's allocations: see CRYPTO_set_mem_functions). Call it before any
 * other function; the benchmark uses it to count bytes per connection. */
int parley_set_allocator(void *(*malloc_fn)(size_t), void (*free_fn)(void *));

/* ------------------------------------------------------------ sessions */

/* A session cache (server side). The library stores under each id (a TLS
 * 1.2 session id, or with tickets off a TLS 1.3 ticket: 32 random bytes) an
 * opaque sealed value of a few hundred bytes: key name (16) || nonce (12) ||
 * AES-256-GCM(session) || tag (16), under a key derived for cache values from
 * the config's ticket keys (generated, parley_config_set_ticket_keys*, or
 * parley_config_set_ticket_secret), with the id as additional data. The cache
 * never sees a master secret or PSK in the clear, and a value opens only
 * under the id it was stored under, on a server holding that ticket key.
 * What comes back from fetch or parley_conn_session_found is checked: a value
 * that does not open (changed, moved to another id, sealed under a key this
 * server does not hold or no longer holds, not sealed at all) is a miss, and
 * the handshake goes on in full; it is never an error. So a cache, or whoever
 * can write to it (a shared Redis), can deny resumption (drop, refuse, or
 * keep values that were removed: a single-use TLS 1.3 cache ticket can then be
 * used again by the client it was issued to, within its lifetime) and see ids,
 * sizes and timing; it cannot read a session, forge one, extend one, move one
 * to another id or change what it says (such as whether a client certificate
 * was verified). What must be protected is the ticket keys or secret:
 * whoever has them and the cache can decrypt resumed TLS 1.2 traffic and mint
 * sessions. Servers that share a cache must share the ticket keys or secret,
 * or each misses the others' sessions. `lifetime` is in seconds.
 * Implementations must be thread-safe when the config is shared by threads. */
typedef struct parley_session_cache parley_session_cache;
struct parley_session_cache {
    int (*store)(parley_session_cache *self, const uint8_t *id, size_t idlen, const uint8_t *val, size_t vlen,
                 uint32_t lifetime);
    /* PARLEY_OK with *vlen set, or PARLEY_ERROR when absent or expired. */
    int (*fetch)(parley_session_cache *self, const uint8_t *id, size_t idlen, uint8_t *val, size_t cap, size_t *vlen);
    void (*remove)(parley_session_cache *self, const uint8_t *id, size_t idlen);
    /* Optional, for event loops: begin a lookup and answer it later with
     * parley_conn_session_found(conn, ...). PARLEY_OK when started (the
     * handshake then returns PARLEY_WANT_SESSION until the answer comes; call
     * parley_conn_handshake again after it), PARLEY_ERROR to treat the
     * session as unknown. When set, fetch is not used by the handshake. */
    int (*fetch_start)(parley_session_cache *self, parley_conn *conn, const uint8_t *id, size_t idlen);
    /* Optional, for 0-RTT anti-replay (RFC 8446 8; docs/security.md): record
     * `key` (klen bytes, a namespace of its own, apart from session ids) as
     * used for `lifetime` seconds, atomically across every process and host
     * that shares the cache. 1: first use, now recorded; 0: seen before (a
     * replay); -1: cannot tell (unreachable, full): the early data is then
     * rejected and the handshake goes on in 1-RTT (fail closed). Called
     * synchronously, also by a cache with fetch_start: it must answer within
     * a short timeout. A live record must never be evicted to make room,
     * and records must not take room from sessions (a bound of their own,
     * so neither can starve the other). Shared stores must not evict
     * (Redis: maxmemory-policy noeviction, docs/security.md).
     * Without it (NULL: keep the struct zeroed), a server using this cache
     * never accepts early data. Added at the end: caches that zero their
     * struct keep working. */
    int (*claim)(parley_session_cache *self, const uint8_t *key, size_t klen, uint32_t lifetime);
};
/* The answer to a fetch_start: the value, or NULL / 0 when there is none
 * (copied; opened and checked like a value from fetch; one longer than any
 * sealed session is taken as none). */
int parley_conn_session_found(parley_conn *conn, const uint8_t *val, size_t len);
/* In-process LRU cache of at most `capacity` sessions (the default, 20480),
 * and apart from them up to capacity/4 0-RTT anti-replay records. */
parley_session_cache *parley_session_cache_memory_new(size_t capacity);
void parley_session_cache_memory_free(parley_session_cache *cache);
/* One fixed-size shared memory segment for the worker processes of one
 * server: create it before fork(). LRU eviction when full (an eighth of the
 * segment holds 0-RTT anti-replay records apart); a robust lock, so
 * a worker killed while holding it cannot stall the others. */
parley_session_cache *parley_session_cache_shm_new(size_t bytes);
void parley_session_cache_shm_free(parley_session_cache *cache);
/* Server: the cache to use (not owned); NULL disables session IDs. */
int parley_config_set_session_cache(parley_config *cfg, parley_session_cache *cache);
/* Server: how long sessions may be resumed (seconds, default 7200). */
int parley_config_set_session_lifetime(parley_config *cfg, uint32_t seconds);

/* Server: session tickets, on by default: TLS 1.2 (RFC 5077) and TLS 1.3
 * (one NewSessionTicket after each handshake, RFC 8446 4.6.1), sealed with
 * AES-256-GCM under a ring of named keys: generated and rotated daily, or
 * loaded from a file shared by a fleet (one key per line, 96 hex digits as
 * `openssl rand -hex 48` prints; the first seals, every line opens). With
 * tickets off and a session cache set, TLS 1.3 tickets are single-use keys
 * into the cache instead. The same keys seal the session cache's values, with
 * tickets on or off (see parley_session_cache). */
int parley_config_set_tickets(parley_config *cfg, int enable);
/* The four ring setters below (key file, keys, secret, secret file) set the
 * same ring: the last call decides. */
int parley_config_set_ticket_keys_file(parley_config *cfg, const char *path);
/* The same ring from memory: n keys of 48 bytes (name 16, AES-256 key 32),
 * the first seals. Not rotated by time. */
int parley_config_set_ticket_keys(parley_config *cfg, const uint8_t *keys, size_t n);
/* A ring derived from a secret (at least 16 bytes) held by every process or
 * host that should open each other's tickets, e.g. made before fork() for all
 * workers: period e = time / rotation seals with HKDF-Expand(HKDF-Extract(
 * "parley ticket secret", secret), "parley ticket key" || e (8 bytes, big
 * endian), 48); e + 1 and e - 1 ... e - 6 still open. They rotate in step
 * without exchanging keys (clocks must agree within one period). */
int parley_config_set_ticket_secret(parley_config *cfg, const uint8_t *secret, size_t len);
/* The secret from a file: one line of 32 to 128 hex digits (openssl rand -hex 32). */
int parley_config_set_ticket_secret_file(parley_config *cfg, const char *path);
/* How often generated and derived ticket keys rotate (default 86400 s). */
int parley_config_set_ticket_rotation(parley_config *cfg, uint32_t seconds);
/* Re-read the ticket key file (allowed while connections use the config,
 * e.g. on SIGHUP); the old ring stays if the file is bad. PARLEY_ERROR when
 * the ring did not come from parley_config_set_ticket_keys_file. */
int parley_config_reload_ticket_keys(parley_config *cfg);

/* TLS 1.3 resumption without a new (EC)DHE exchange (psk_ke: no forward
 * secrecy for the resumed connection, and no public-key operation). Off by
 * default: psk_dhe_ke only. A client offers it beside psk_dhe_ke; a server
 * that allows it uses it whenever the client offers it. */
int parley_config_set_psk_ke(parley_config *cfg, int allow);
/* Server: the max_early_data_size advertised in TLS 1.3 tickets (default 0,
 * none). With it set, 0-RTT early data is accepted on a resumed connection
 * when RFC 8446 4.2.10 allows it (see "Early data" below). */
int parley_config_set_max_early_data(parley_config *cfg, uint32_t bytes);

/* Early data (0-RTT, TLS 1.3: RFC 8446 2.3, 4.2.10, 8). Early data can be
 * replayed by an attacker: a server must only act on it in ways that are
 * safe to repeat. A server accepts a given first flight's early data at most
 * once per anti-replay store: the session cache's `claim` (shared memory:
 * every forked worker; Redis: a fleet), or without a cache an in-process
 * store (one process). A store that cannot answer means the early data is
 * rejected and the handshake goes on in 1-RTT (docs/security.md). */
enum { PARLEY_EARLY_DATA_NOT_OFFERED = 0, PARLEY_EARLY_DATA_ACCEPTED = 1, PARLEY_EARLY_DATA_REJECTED = 2 };
/* Client: data to send as early data in the first flight when the session
 * given to parley_conn_set_session allows it (a TLS 1.3 ticket with
 * max_early_data_size >= len), in records no larger than the record_size_limit
 * the server gave the connection that made the session (RFC 8449 4). Copied;
 * call before the first parley_conn_handshake. PARLEY_ERROR on a server, once
 * the handshake has begun, or for more than 64 KiB. The library sends the
 * data only as early data, never again: once the handshake is complete and
 * parley_conn_early_data_status says PARLEY_EARLY_DATA_REJECTED (the server
 * did not take it) or _NOT_OFFERED (no TLS 1.3 session, a ticket allowing
 * less than len, the session's ALPN protocol not among ours), the data has
 * NOT been delivered and the application decides whether to write it again
 * (RFC 8446 4.2.10: an implementation SHOULD NOT resend early data
 * automatically, and MUST NOT unless the connection negotiated the same ALPN
 * protocol as the session: compare parley_conn_alpn with the protocol the
 * session was made under before resending it as is). The status is
 * NOT_OFFERED until the server has answered. */
int parley_conn_set_early_data(parley_conn *conn, const uint8_t *buf, size_t len);
/* Server: after parley_conn_handshake returned PARLEY_EARLY_DATA, the early
 * data received so far: PARLEY_OK with *n > 0, or PARLEY_WANT_READ when all
 * of it has been read (call parley_conn_handshake again). */
int parley_conn_read_early_data(parley_conn *conn, uint8_t *buf, size_t len, size_t *n);
/* Both roles: PARLEY_EARLY_DATA_NOT_OFFERED, _ACCEPTED or _REJECTED. */
int parley_conn_early_data_status(const parley_conn *conn);

/* Client: the session of a completed handshake, for a later connection
 * (a versioned blob holding secrets: store it like a key). PARLEY_ERROR if
 * the connection has no resumable session: the server gave neither a session
 * id nor a ticket, or (TLS 1.2) the handshake did not use the extended master
 * secret (RFC 7627 5.4: such a session is never resumed; a session offered
 * before and not resumed is not returned either). In TLS 1.3 the session
 * comes with the server's NewSessionTicket, after the handshake: read first. */
int parley_conn_get_session(const parley_conn *conn, uint8_t *buf, size_t cap, size_t *len);
/* Client: offer this session on the next handshake (before it starts).
 * PARLEY_ERROR when it is not a session, or not one for this connection: a
 * session is offered only for the server name it was made for and under the
 * trust settings it was made under (CA store and CRLs, verification on or
 * off, host-name check, OCSP mode, chain depth, the verify callback and its
 * arg); sessions in the older
 * formats (before trust binding) record no trust settings and are never
 * offered, nor TLS 1.2 sessions made without the extended master secret
 * (RFC 7627 5.4). The connection is unaffected by a refusal: its handshake is a full one. */
int parley_conn_set_session(parley_conn *conn, const uint8_t *buf, size_t len);

/* ----------------------------------------------------- trace and keylog */

enum parley_trace_kind {
    PARLEY_TRACE_MESSAGE_SENT = 1,     /* a handshake message we sent */
    PARLEY_TRACE_MESSAGE_RECEIVED = 2, /* a handshake message we received */
    PARLEY_TRACE_RECORD_SENT = 3,      /* a non-handshake record sent (CCS, alert) */
    PARLEY_TRACE_RECORD_RECEIVED = 4,
    PARLEY_TRACE_KEYS = 5,             /* a traffic secret was installed */
    PARLEY_TRACE_INFO = 6              /* a negotiation decision */
};

typedef struct {
    int kind;             /* enum parley_trace_kind */
    int msg_type;         /* handshake type or content type, -1 when none */
    const char *name;     /* "ClientHello", "Alert", "client handshake traffic" ... */
    size_t length;        /* bytes on the wire (message body + header) */
    const char *detail;   /* key fields, one "key: value" per line, may be "" */
} parley_trace_event;

typedef void (*parley_trace_fn)(void *arg, const parley_conn *conn, const parley_trace_event *ev);
int parley_config_set_trace(parley_config *cfg, parley_trace_fn fn, void *arg);

/* Called with one NSS key log line (no newline), e.g. "CLIENT_HANDSHAKE_TRAFFIC_SECRET ..." */
typedef void (*parley_keylog_fn)(void *arg, const char *line);
int parley_config_set_keylog(parley_config *cfg, parley_keylog_fn fn, void *arg);
/* Appends lines to a file (the SSLKEYLOGFILE convention). */
int parley_config_set_keylog_file(parley_config *cfg, const char *path);

/* ------------------------------------------------------------ connection */

parley_conn *parley_conn_new_client(parley_config *cfg, const char *server_name);
parley_conn *parley_conn_new_server(parley_config *cfg);
void parley_conn_free(parley_conn *conn);

/* Sans-I/O: input. Copies up to len bytes; *consumed says how many were taken
 * (fewer when the internal record buffer is full: process, then retry). */
int parley_conn_recv_bytes(parley_conn *conn, const uint8_t *data, size_t len, size_t *consumed);
/* Sans-I/O: the transport reached end of stream (a read returned 0). After
 * it, parley_conn_read hands out what is buffered and then returns
 * PARLEY_CLOSED if close_notify came, PARLEY_TRUNCATED if not; a handshake
 * in progress fails. (parley_fd_* do this themselves.) */
int parley_conn_recv_eof(parley_conn *conn);
/* Sans-I/O: output. Bytes waiting to go to the peer, and how many were sent.
 *
 * Output a peer can cause is bounded. The rule: what the library queues of
 * its own accord in answer to the peer's bytes (handshake flights, alerts,
 * KeyUpdate answers) is queued only while the pending output stays within a
 * cap; a peer that sends but does not read makes the connection fail
 * (internal_error, "... the peer ... is not reading them") instead of making
 * the buffer grow. The cap is 64 KiB plus the config's largest certificate
 * content (chain with OCSP staple, CA names for client authentication) plus
 * framing and padding for it, so every handshake flight the config can send
 * fits. What the application asks for (parley_conn_write,
 * parley_conn_key_update, parley_conn_close) is the caller's own memory and is
 * never refused: an application that writes much must send it (or stop
 * writing) itself. Besides the cap: a TLS 1.2 renegotiation is refused with a
 * warning once and is fatal the second time; answers to KeyUpdate
 * update_requested are coalesced (queued only into empty output, or before
 * the next write: RFC 8446 4.6.3) and more than 32 KeyUpdates without
 * application data in between, more than 32 records in a row without
 * content (empty, ignored alerts, dropped ChangeCipherSpec), or more than 4
 * ignored alerts in a row (user_canceled, TLS 1.2 warnings), end the
 * connection with unexpected_message. */
void parley_conn_pending_output(parley_conn *conn, const uint8_t **data, size_t *len);
void parley_conn_output_sent(parley_conn *conn, size_t n);

/* Advance the handshake. PARLEY_OK once it is complete. */
int parley_conn_handshake(parley_conn *conn);
/* Application data. read: PARLEY_OK with *n > 0, WANT_READ, CLOSED,
 * TRUNCATED (end of stream without close_notify) or ERROR. */
int parley_conn_read(parley_conn *conn, uint8_t *buf, size_t len, size_t *n);
/* Encrypts all of buf into pending output (split into records). Before the
 * handshake is complete it first advances the handshake, and returns what
 * parley_conn_handshake would (nothing is written unless that is PARLEY_OK),
 * with one exception, 0.5-RTT data (RFC 8446 2.3, 4.4.4): on a TLS 1.3
 * server whose parley_conn_early_data_status is PARLEY_EARLY_DATA_ACCEPTED
 * and whose Finished has been sent (as whenever parley_conn_handshake has
 * returned PARLEY_EARLY_DATA), the data is written at once, before the
 * client's Finished, without advancing the handshake. It then goes to a
 * peer that is not yet authenticated: the client's Finished has not been
 * checked, so the client may not be live, and the 0-RTT data being answered
 * may be a replay (docs/security.md); answer only what is safe to send to
 * whoever replays that data (e.g. no state changes, nothing secret beyond
 * what the request itself entitles). Never on a client, in TLS 1.2, before
 * the server's Finished, or when early data was not accepted. The typical
 * flow: parley_conn_handshake returns PARLEY_EARLY_DATA,
 * parley_conn_read_early_data, parley_conn_write (the reply), then
 * parley_conn_handshake again until PARLEY_OK. */
int parley_conn_write(parley_conn *conn, const uint8_t *buf, size_t len);
/* Queue a KeyUpdate (request_peer: ask the peer to update too). TLS 1.3 only. */
int parley_conn_key_update(parley_conn *conn, int request_peer);
/* Queue close_notify. */
int parley_conn_close(parley_conn *conn);

/* Keying material exporters (RFC 8446 7.5 for TLS 1.3, RFC 5705 for TLS
 * 1.2): len bytes derived from the connection's secrets under `label` and an
 * optional context, the same on both ends. use_context: 0 exports without a
 * context, 1 with context[0..context_len) (which may be empty). RFC 5705
 * tells the two apart in TLS 1.2; in TLS 1.3 no context is an empty one
 * (RFC 8446 7.5). Refused (PARLEY_ERROR, the connection is NOT failed, and
 * parley_conn_last_refusal says why) before the handshake is complete, on a
 * TLS 1.2 connection without the extended master secret (RFC 7627 5.4), for
 * a label longer than PARLEY_EXPORT_MAX_LABEL (an empty one is allowed), for the labels
 * the TLS PRF uses itself ("client finished", "server finished", "master
 * secret", "key expansion", "extended master secret": RFC 5705 4), for len
 * 0 or above PARLEY_EXPORT_MAX (255 x 32, what HKDF-Expand gives with
 * SHA-256) and for a context above 65535 bytes. The 0-RTT (early) exporter
 * is not offered. */
#define PARLEY_EXPORT_MAX 8160
#define PARLEY_EXPORT_MAX_LABEL 249
int parley_conn_export_keying_material(parley_conn *conn, const char *label, const uint8_t *context,
                                       size_t context_len, int use_context, uint8_t *out, size_t len);

/* TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2).
 * Client: it offers post_handshake_auth in its ClientHello when it has a
 * certificate configured, and answers a server's request from within
 * parley_conn_read (Certificate, CertificateVerify through the key
 * provider, Finished); a paused key operation makes parley_conn_read return
 * PARLEY_WANT_KEY_OP until it completes.
 * Server: queue a CertificateRequest (send the pending output). PARLEY_ERROR
 * (the connection is not failed; parley_conn_last_refusal says why) unless
 * the handshake is complete, TLS 1.3, the client offered post_handshake_auth,
 * client CAs are configured (parley_config_set_client_ca) and no request is
 * outstanding. The answer is handled by parley_conn_read; then
 * parley_conn_client_auth_status says how it went and parley_conn_verify_result
 * and the peer certificate calls describe the client's chain. The chain is
 * published only when the client's Finished has verified (RFC 8446 4.4.4):
 * while the answer is pending, and if it fails, they describe what earlier
 * exchanges proved. After each completed exchange they describe exactly what
 * it proved: an empty Certificate clears an earlier chain (no certificate,
 * "no client certificate"), and fails the connection (certificate_required)
 * when client certificates are required (PARLEY_VERIFY_CLIENT_REQUIRE). */
int parley_conn_request_client_auth(parley_conn *conn);
/* Server: with client CAs set (parley_config_set_client_ca), TLS 1.3
 * handshakes do not ask for a client certificate: the application asks
 * afterwards, when it needs one, with parley_conn_request_client_auth (the
 * verification mode then applies to that answer). Handshakes that cannot
 * be followed by a request still ask when a certificate is required: TLS
 * 1.2 as configured, and TLS 1.3 with a client that did not offer
 * post_handshake_auth (RFC 8446 4.2.6) under PARLEY_VERIFY_CLIENT_REQUIRE,
 * so REQUIRE keeps requiring a certificate. Under OPTIONAL such a TLS 1.3
 * client is not asked at all (a later request is refused: see
 * parley_conn_last_refusal). Off by default. */
int parley_config_set_post_handshake_auth(parley_config *cfg, int on);
enum {
    PARLEY_CLIENT_AUTH_NONE = 0,    /* never requested after the handshake */
    PARLEY_CLIENT_AUTH_PENDING = 1, /* requested, the answer has not come yet */
    PARLEY_CLIENT_AUTH_OK = 2,      /* a certificate came and verified */
    PARLEY_CLIENT_AUTH_EMPTY = 3    /* the client sent no certificate */
};
int parley_conn_client_auth_status(const parley_conn *conn);

/* Results, valid once the handshake is complete (some earlier). */
uint16_t parley_conn_version(const parley_conn *conn);
uint16_t parley_conn_cipher(const parley_conn *conn);
/* parley_conn_group: the group of this handshake's (EC)DHE exchange; 0 for
 * RSA key exchange and TLS 1.3 psk_ke. A TLS 1.2 resumption exchanges no
 * keys (RFC 5246 7.3) and reports the group of the full handshake that made
 * the session (0 for a session of an older format that did not record it). */
uint16_t parley_conn_group(const parley_conn *conn);
/* The scheme of the server's handshake signature (TLS 1.3
 * CertificateVerify, TLS 1.2 ServerKeyExchange), in both roles; 0 when none
 * (resumption, RSA key exchange). */
uint16_t parley_conn_signature_scheme(const parley_conn *conn);
/* The scheme of the PEER's handshake signature: on a client the server's
 * (as parley_conn_signature_scheme), on a server the client's
 * CertificateVerify; 0 when the peer signed nothing in this handshake. */
uint16_t parley_conn_peer_signature_scheme(const parley_conn *conn);
const char *parley_conn_alpn(const parley_conn *conn);        /* NULL if none */
const char *parley_conn_server_name(const parley_conn *conn); /* SNI sent/received or NULL */
int parley_conn_resumed(const parley_conn *conn); /* 1 after an abbreviated handshake */
/* Certificate compression (RFC 8879) on this connection: ours 0 for the
 * peer's Certificate as received, 1 for ours as sent. Returns the
 * algorithm's name ("brotli", ...) and sets the Certificate body's length
 * and the CompressedCertificate body's length (either pointer may be NULL),
 * or NULL when that Certificate was not compressed (or not sent). */
const char *parley_conn_cert_compression(const parley_conn *conn, int ours, size_t *uncompressed, size_t *compressed);
/* TLS 1.2: was the extended master secret (RFC 7627) used? (1 for TLS 1.3) */
int parley_conn_ems(const parley_conn *conn);
/* record_size_limit (RFC 8449) negotiated on this connection: *peer gets the
 * peer's limit on the records we send, *ours our limit on the records it
 * sends (TLS 1.2: at most 16384); both 0 when it was not negotiated. Either
 * pointer may be NULL. */
void parley_conn_record_size_limit(const parley_conn *conn, unsigned *peer, unsigned *ours);
int parley_conn_is_server(const parley_conn *conn);
int parley_conn_handshake_done(const parley_conn *conn);
/* Verification of the peer's chain: "ok", "not verified ...", "no client
 * certificate", or the reason it failed. */
const char *parley_conn_verify_result(const parley_conn *conn);
/* Peer chain (the server's, or a client's certificate on a server), one entry
 * per certificate: subject, issuer and validity as text. */
int parley_conn_peer_cert_count(const parley_conn *conn);
int parley_conn_peer_cert_info(const parley_conn *conn, int i, char *subject, size_t sl,
                               char *issuer, size_t il, char *not_before, size_t nbl,
                               char *not_after, size_t nal);
/* subjectAltNames of peer certificate i as "DNS:a, IP:1.2.3.4, email:x" ("" if none). */
int parley_conn_peer_cert_sans(const parley_conn *conn, int i, char *out, size_t len);
/* Error: the reason in one sentence, and the alert sent (-1 none) / received.
 * "" while the connection has not failed (a refused call does not fail it). */
const char *parley_conn_error_string(const parley_conn *conn);
/* Why the latest call of parley_conn_export_keying_material or
 * parley_conn_request_client_auth was refused (PARLEY_ERROR on a connection
 * that goes on), or "" when that call succeeded. Valid until the next such
 * call. */
const char *parley_conn_last_refusal(const parley_conn *conn);
int parley_conn_alert_sent(const parley_conn *conn);
int parley_conn_alert_received(const parley_conn *conn);
/* Opaque user pointer. */
void parley_conn_set_userdata(parley_conn *conn, void *p);
void *parley_conn_get_userdata(const parley_conn *conn);

/* Names for numbers (static strings; "unknown" when unknown). */
const char *parley_version_name(uint16_t v);
const char *parley_cipher_name(uint16_t suite);
const char *parley_group_name(uint16_t group);
const char *parley_sigscheme_name(uint16_t scheme);
const char *parley_alert_name(int alert);

/* ---------------------------------------------------------- socket layer */

/* Attach a connected socket. Blocking sockets: calls finish or fail.
 * Non-blocking sockets: calls may return WANT_READ / WANT_WRITE; poll and retry. */
void parley_conn_set_fd(parley_conn *conn, int fd);
int parley_fd_handshake(parley_conn *conn);
int parley_fd_read(parley_conn *conn, uint8_t *buf, size_t len, size_t *n);
int parley_fd_write(parley_conn *conn, const uint8_t *buf, size_t len);
int parley_fd_flush(parley_conn *conn);
int parley_fd_close(parley_conn *conn); /* sends close_notify, flushes */

#ifdef __cplusplus
}
#endif
#endif
