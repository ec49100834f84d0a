/*
 * messages.h - TLS 1.3 handshake message codecs. Each parse function is pure
 * (bytes of the message body in, a struct of views out, cursor-checked,
 * trailing bytes rejected) so it can be fuzzed alone; semantic checks that
 * need connection state live in the state machines (client13.c, server13.c).
 */
#ifndef PL_MESSAGES_H
#define PL_MESSAGES_H

#include <stdint.h>

#include "../util/buf.h"
#include "../util/cursor.h"

/* Extension types (IANA). */
enum {
    PL_EXT_SERVER_NAME = 0,
    PL_EXT_MAX_FRAGMENT_LENGTH = 1,
    PL_EXT_STATUS_REQUEST = 5,
    PL_EXT_SUPPORTED_GROUPS = 10,
    PL_EXT_EC_POINT_FORMATS = 11,
    PL_EXT_SIGNATURE_ALGORITHMS = 13,
    PL_EXT_USE_SRTP = 14,
    PL_EXT_HEARTBEAT = 15,
    PL_EXT_ALPN = 16,
    PL_EXT_SCT = 18,
    PL_EXT_CLIENT_CERT_TYPE = 19,
    PL_EXT_SERVER_CERT_TYPE = 20,
    PL_EXT_PADDING = 21,
    PL_EXT_ENCRYPT_THEN_MAC = 22,
    PL_EXT_EXTENDED_MASTER_SECRET = 23,
    PL_EXT_COMPRESS_CERTIFICATE = 27, /* RFC 8879 */
    PL_EXT_RECORD_SIZE_LIMIT = 28,
    PL_EXT_SESSION_TICKET = 35,
    PL_EXT_PRE_SHARED_KEY = 41,
    PL_EXT_EARLY_DATA = 42,
    PL_EXT_SUPPORTED_VERSIONS = 43,
    PL_EXT_COOKIE = 44,
    PL_EXT_PSK_KEY_EXCHANGE_MODES = 45,
    PL_EXT_CERTIFICATE_AUTHORITIES = 47,
    PL_EXT_OID_FILTERS = 48,
    PL_EXT_POST_HANDSHAKE_AUTH = 49,
    PL_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
    PL_EXT_KEY_SHARE = 51,
    PL_EXT_RENEGOTIATION_INFO = 0xff01
};

/* Messages an extension may appear in (RFC 8446 4.2 table). */
enum {
    PL_IN_CH = 1 << 0,
    PL_IN_SH = 1 << 1,
    PL_IN_EE = 1 << 2,
    PL_IN_CT = 1 << 3,
    PL_IN_CR = 1 << 4,
    PL_IN_NST = 1 << 5,
    PL_IN_HRR = 1 << 6,
    PL_IN_SH12 = 1 << 7 /* a TLS 1.2 ServerHello */
};

typedef int (*pl_ext_fn)(void *ctx, uint16_t type, pl_cursor *body);
/* Walk an extensions block: rejects duplicates and recognised extensions in a
 * message that may not carry them (illegal_parameter, RFC 8446 4.2), and in a
 * ClientHello a pre_shared_key that is not last. Calls fn for each. */
PL_MUST_CHECK int pl_ext_walk(pl_cursor *block, int in_msg, pl_ext_fn fn, void *ctx);
const char *pl_ext_name(uint16_t type);

typedef struct pl_client_hello_s {
    uint16_t legacy_version;
    const uint8_t *random;
    pl_cursor session_id;
    pl_cursor suites;        /* u16 list */
    pl_cursor compression;   /* u8 list */
    pl_cursor exts;          /* the whole extensions block (empty without one) */
    pl_cursor versions;      /* supported_versions: u16 list */
    pl_cursor groups;        /* supported_groups: u16 list */
    pl_cursor sigalgs;       /* signature_algorithms: u16 list */
    pl_cursor sigalgs_cert;
    pl_cursor key_shares;    /* KeyShareEntry list */
    pl_cursor alpn;          /* ProtocolNameList body */
    pl_cursor cookie;
    pl_cursor psk_modes;
    pl_cursor reneg_info;    /* raw renegotiation_info body */
    pl_cursor ticket;        /* session_ticket (RFC 5077): empty = wants one */
    pl_cursor psk_ids;       /* pre_shared_key: PskIdentity list body */
    pl_cursor psk_binders;   /* ... and PskBinderEntry list body */
    size_t psk_binders_total; /* bytes of the binders vector with its length: the tail a binder does not cover */
    size_t psk_count;        /* identities (= binders) */
    size_t ems_body_len;     /* extended_master_secret: must be 0 in TLS 1.2 (RFC 7627 5.1) */
    pl_cursor point_formats; /* raw ec_point_formats body: read by the TLS 1.2 server only */
    char sni[256];
    uint16_t record_size_limit; /* RFC 8449, at least 64; 0: absent */
    unsigned has_versions : 1, has_groups : 1, has_sigalgs : 1, has_sigalgs_cert : 1,
        has_key_share : 1, has_alpn : 1, has_cookie : 1, has_psk : 1, has_psk_modes : 1,
        has_sni : 1, has_early_data : 1, has_ems : 1, has_reneg : 1, has_point_formats : 1, has_status_request : 1,
        has_ticket : 1, has_pha : 1;
} pl_client_hello;

PL_MUST_CHECK int pl_client_hello_parse(const uint8_t *body, size_t len, pl_client_hello *ch);
/* Check a ClientHello's key_share list once (RFC 8446 4.2.8): well formed,
 * no key_exchange empty, no group twice, none that supported_groups lacks. */
PL_MUST_CHECK int pl_client_hello_check_shares(const pl_client_hello *ch);
/* Find the key share for `group` in a ClientHello's key_share list (checked
 * first with pl_client_hello_check_shares): 1 found, 0 not. */
PL_MUST_CHECK int pl_client_hello_find_share(const pl_client_hello *ch, uint16_t group,
                                             const uint8_t **share, size_t *len);

/* The HelloRetryRequest "random" (RFC 8446 4.1.3). */
extern const uint8_t pl_hrr_random[32];

typedef struct {
    uint16_t legacy_version;
    const uint8_t *random;
    pl_cursor session_id;
    uint16_t suite;
    uint8_t compression;
    int is_hrr;
    uint16_t version;       /* from supported_versions, 0 if absent */
    uint16_t group;         /* key_share group (SH) or selected_group (HRR) */
    pl_cursor share;        /* SH key_exchange */
    pl_cursor cookie;
    pl_cursor alpn;         /* TLS 1.2: the selected protocol */
    uint16_t record_size_limit; /* TLS 1.2: RFC 8449, at least 64; 0: absent */
    uint16_t psk_identity;  /* pre_shared_key: selected_identity */
    unsigned has_key_share : 1, has_cookie : 1, has_psk : 1;
    /* TLS 1.2 extensions */
    unsigned has_ems : 1, has_reneg : 1, reneg_ok : 1, has_alpn : 1, has_sni_ack : 1, has_point_formats : 1,
        has_status_request : 1, has_ticket : 1;
} pl_server_hello;

PL_MUST_CHECK int pl_server_hello_parse(const uint8_t *body, size_t len, pl_server_hello *sh);
/* group 0 (psk_ke) omits key_share; psk_identity < 0 omits pre_shared_key. */
PL_MUST_CHECK int pl_server_hello_write(pl_buf *b, const uint8_t random[32], const uint8_t *sid,
                                        size_t sidlen, uint16_t suite, int hrr, uint16_t group,
                                        const uint8_t *share, size_t sharelen, int psk_identity);
/* The n-th identity of a ClientHello's pre_shared_key, with its binder. */
PL_MUST_CHECK int pl_client_hello_psk(const pl_client_hello *ch, size_t n, pl_cursor *identity, uint32_t *obf_age,
                                      pl_cursor *binder);

typedef struct {
    pl_cursor alpn;   /* the one selected protocol name */
    uint16_t record_size_limit; /* RFC 8449, at least 64; 0: absent */
    unsigned has_alpn : 1, has_sni_ack : 1, has_early_data : 1;
} pl_encrypted_extensions;
PL_MUST_CHECK int pl_encrypted_extensions_parse(const uint8_t *body, size_t len, pl_encrypted_extensions *ee);

#define PL_CERT_MAX_ENTRIES 10
typedef struct pl_certificate_s {
    pl_cursor context;
    size_t n;
    pl_cursor certs[PL_CERT_MAX_ENTRIES];
    pl_cursor leaf_ocsp;    /* TLS 1.3: OCSPResponse stapled on the leaf, if any */
    int any_status;         /* some entry carries status_request: the caller checks it was asked for */
} pl_certificate;
PL_MUST_CHECK int pl_certificate_parse(const uint8_t *body, size_t len, pl_certificate *ct);
PL_MUST_CHECK int pl_certificate_write(pl_buf *b, const uint8_t *ctx, size_t ctxlen,
                                       uint8_t *const *der, const size_t *der_len, size_t n);

typedef struct {
    pl_cursor context;
    pl_cursor sigalgs;
    pl_cursor cas;          /* certificate_authorities: DistinguishedName list body */
    unsigned has_sigalgs : 1, has_cas : 1;
} pl_certificate_request;
PL_MUST_CHECK int pl_certificate_request_parse(const uint8_t *body, size_t len, pl_certificate_request *cr);

typedef struct {
    uint16_t scheme;
    pl_cursor signature;
} pl_certificate_verify;
PL_MUST_CHECK int pl_certificate_verify_parse(const uint8_t *body, size_t len, pl_certificate_verify *cv);
/* The content covered by a CertificateVerify signature (RFC 8446 4.4.3). */
PL_MUST_CHECK int pl_certificate_verify_content(int server, const uint8_t *th, size_t hlen, pl_buf *out);

typedef struct {
    uint32_t lifetime;
    uint32_t age_add;
    pl_cursor nonce, ticket;
    uint32_t max_early_data; /* early_data extension, 0 if absent */
} pl_new_session_ticket;
PL_MUST_CHECK int pl_new_session_ticket_parse(const uint8_t *body, size_t len, pl_new_session_ticket *nst);

PL_MUST_CHECK int pl_key_update_parse(const uint8_t *body, size_t len, int *request_update);

/* ---- TLS 1.2 (RFC 5246 7.4, RFC 8422 5, RFC 7919) */
/* Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
PL_MUST_CHECK int pl_certificate12_parse(const uint8_t *body, size_t len, pl_certificate *ct);
PL_MUST_CHECK int pl_certificate12_write(pl_buf *b, uint8_t *const *der, const size_t *der_len, size_t n);

typedef struct {
    /* ECDHE: named group and point; DHE: p, g, Ys. */
    uint16_t group;
    pl_cursor point;
    pl_cursor dh_p, dh_g, dh_ys;
    pl_cursor params;       /* the signed span (ServerECDHParams / ServerDHParams) */
    uint16_t scheme;
    pl_cursor signature;
} pl_server_key_exchange;
/* kx: PL_KX_ECDHE (1) or PL_KX_DHE (2). */
PL_MUST_CHECK int pl_server_key_exchange_parse(const uint8_t *body, size_t len, int kx, pl_server_key_exchange *ske);

typedef struct {
    pl_cursor types;
    pl_cursor sigalgs;
    pl_cursor cas;
} pl_certificate_request12;
/* The certificate types (RFC 5246 7.4.4, RFC 8422 5.5) a TLS 1.2 client can
 * answer with, as bits: rsa_sign (1) and ecdsa_sign (64). */
#define PL_CERT_TYPE_RSA 1
#define PL_CERT_TYPE_ECDSA 2
uint8_t pl_cert_types_bits(pl_cursor types);
PL_MUST_CHECK int pl_certificate_request12_parse(const uint8_t *body, size_t len, pl_certificate_request12 *cr);

/* ClientKeyExchange: ECDHE point<1..255>, DHE Yc<1..2^16-1>, RSA EncryptedPreMasterSecret<0..2^16-1>. */
/* TLS 1.2 NewSessionTicket (RFC 5077 3.3): lifetime hint, ticket (may be empty). */
PL_MUST_CHECK int pl_new_session_ticket12_parse(const uint8_t *body, size_t len, uint32_t *hint, pl_cursor *ticket);
/* CertificateStatus (RFC 6066 8): status_type ocsp(1), OCSPResponse<1..2^24-1>;
 * the same body is the TLS 1.3 status_request CertificateEntry extension. */
PL_MUST_CHECK int pl_certificate_status_parse(const uint8_t *body, size_t len, pl_cursor *response);
PL_MUST_CHECK int pl_certificate_status_write(pl_buf *b, const uint8_t *resp, size_t len);
PL_MUST_CHECK int pl_client_key_exchange_parse(const uint8_t *body, size_t len, int kx, pl_cursor *value);

/* A u16 list (suites, groups, sigalgs): even length, non-empty. */
PL_MUST_CHECK int pl_u16_list_check(const pl_cursor *list, const char *what);
int pl_u16_list_has(pl_cursor list, uint16_t v);
/* A SHA-1 or SHA-224 signature scheme (0x0201..0x0203, 0x0301..0x0303),
 * which Parley refuses in both versions; and whether a non-empty
 * signature_algorithms list holds nothing else. */
int pl_sigscheme_is_legacy(uint16_t s);
int pl_sigalgs_legacy_only(pl_cursor list);
/* Which of our schemes (bit j for ours[j], n <= PL_MAX_SIGALGS) a peer's
 * signature_algorithms list offers: one pass over its list, however long,
 * so that choosing among certificates and schemes then costs no more per
 * certificate than our own short list. */
uint32_t pl_sigalgs_offered(const uint16_t *ours, size_t n, pl_cursor list);
#define PL_LEGACY_SIGALGS_REFUSED "only SHA-1/SHA-224 signature schemes, which Parley refuses"

#endif
