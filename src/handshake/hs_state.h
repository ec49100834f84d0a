/*
 * hs_state.h - pl_hs, the state of one handshake in progress (both versions,
 * both roles): allocated when a handshake starts, wiped and freed when it
 * ends. Included by internal.h at the point where the types it uses are
 * declared; include internal.h, not this file.
 */
#ifndef PL_HS_STATE_H
#define PL_HS_STATE_H

/* Handshake state: allocated for the handshake, freed after it. */
typedef struct {
    int state;
    int hrr_done;           /* a HelloRetryRequest has been sent / received */
    int ccs_sent;
    int ccs_dropped;        /* TLS 1.3: the peer's compatibility CCSs dropped (one per ClientHello, RFC 8446 5, D.4) */
    int cert_requested;     /* server asked for a client certificate */
    uint8_t client_random[32];
    uint8_t server_random[32];
    uint8_t session_id[32];
    size_t session_id_len;
    pl_transcript transcript;
    pl_ks13 ks;
    int aead, hash;
    pl_kex *kex;            /* our ephemeral key */
    uint8_t kex_pub[PL_MAX_KEX_PUB]; /* client: its public share, sent again unchanged
                                      * after a HelloRetryRequest without key_share */
    size_t kex_publen;
    int hrr_keep_share;     /* client: the HelloRetryRequest asked for no new share */
    uint16_t kex_group;
    uint16_t hrr_group;     /* group the HRR asked for */
    pl_ch1_summary ch1;     /* server: what the second ClientHello must repeat (RFC 8446 4.1.2) */
    pl_buf cookie;          /* HRR cookie to echo */
    pl_buf peer_share;      /* server: the client key share chosen */
    pl_buf cert_req_ctx;
    uint16_t peer_sigalgs[32];
    size_t npeer_sigalgs;
    int cert_index;         /* server: chosen certificate */
    pl_pkey *peer_key;
    pl_cert *peer_issuer;   /* client: the leaf's issuer on the verified path (for OCSP) */
    struct parley_key_op op;
    const void *table;      /* the handshake table in use (TLS 1.3 or 1.2) */
    int offered12, offered13; /* client: versions offered (a usable suite for each) */
    int sni_sent;           /* client: our ClientHello carried server_name */
    /* Client authentication. Client: the request and our choice. Server: what came. */
    pl_buf req_sigalgs, req_cas;
    uint8_t req_types;      /* TLS 1.2 CertificateRequest.certificate_types: PL_CERT_TYPE_* bits */
    int client_cert;        /* client: index of the certificate to send, -1 none */
    uint16_t client_scheme;
    int peer_sent_cert;     /* server: the client's chain was not empty */
    int status_requested;   /* server: the client sent status_request */
    int status_acked;       /* client, TLS 1.2: the server will send CertificateStatus */
    int resumed;            /* an abbreviated handshake is under way */
    uint8_t peer_session[32]; /* client: the session id the server gave */
    uint8_t peer_session_len;
    int offered_session;    /* client: a stored session was offered (by id or ticket) */
    int ticket_expected;    /* client: the server will send a NewSessionTicket */
    int issue_ticket;       /* server: send a NewSessionTicket */
    pl_buf new_ticket;      /* client: the ticket just received */
    uint64_t sess_created;  /* server: creation time of the session being resumed */
    int sess_client_auth;   /* server: the resumed session had a verified client certificate */
    /* TLS 1.3 PSK resumption (RFC 8446 4.2.11). */
    int psk_mode;           /* PL_PSK_NONE, PL_PSK_KE, PL_PSK_DHE */
    int psk_offered;        /* client: a ticket is offered */
    int psk_hash;           /* hash of the offered / accepted PSK's suite */
    int psk_index;          /* server: the identity chosen */
    uint8_t psk[PL_MAX_HASH];
    size_t psk_len;
    uint8_t psk_id[32];     /* server: a stateful ticket (cache key) to forget once used */
    size_t psk_id_len;
    int client_psk_modes;   /* server: bit 0 psk_ke, bit 1 psk_dhe_ke offered */
    int early_skipping;     /* server: rejected 0-RTT records are being skipped */
    /* An asynchronous cache lookup (fetch_start): for which id, and its answer. */
    int lookup_state;       /* PL_LOOKUP_IDLE, _PENDING, _ANSWERED */
    uint8_t lookup_id[32];
    size_t lookup_id_len;
    pl_buf lookup_val;      /* empty: not found */
    int lookups_done;       /* per ClientHello: one asynchronous lookup at most */
    uint32_t early_budget;  /* ... and how many more bytes may be skipped */
    /* Server 0-RTT (early_data_server.c, RFC 8446 4.2.10): what the ticket of the
     * first identity allows, noted when the PSK is chosen; then whether the
     * early data is accepted, read under c_early until EndOfEarlyData. */
    int ed_ticket;          /* a ticket was noted (identity 0 accepted) */
    uint16_t ed_suite;
    uint32_t ed_max;        /* the ticket's max_early_data_size */
    char ed_alpn[256];
    uint16_t ed_rsl;        /* the ticket's record_size_limit: early records beyond it are record_overflow */
    uint8_t ed_replay_key[32]; /* anti-replay key: ticket (stateful) or binder (sealed) */
    int ed_stateful;
    int early_reading;      /* the early read keys are installed (until EndOfEarlyData) */
    uint32_t early_left;    /* bytes of early data still allowed */
    uint8_t c_early[PL_MAX_HASH];
    int half_rtt;           /* server: its Finished is out under the application write keys,
                             * the client's Finished not yet read (0.5-RTT, RFC 8446 2.3) */
    /* TLS 1.2 */
    int kx;                 /* PL_KX_ECDHE, PL_KX_DHE, PL_KX_RSA */
    uint16_t client_version; /* ClientHello.legacy_version (RSA premaster check) */
    uint16_t sig_scheme;    /* ServerKeyExchange signature scheme */
    int ems;                /* extended master secret in use */
    int reneg_ok;           /* peer signalled RFC 5746 */
    int peer_point_formats; /* client sent ec_point_formats */
    uint8_t master[48];
    uint8_t session_hash[PL_MAX_HASH];
    pl_buf pm;              /* premaster secret */
    pl_buf my_share;        /* our (EC)DH public value */
    pl_buf ske_params;      /* server: the signed ServerKeyExchange params */
    pl_buf cke;             /* server: the ClientKeyExchange value */
    pl_rec_keys pending_rd; /* read keys the peer's ChangeCipherSpec activates */
    pl_rec_keys pending_wr; /* write keys our ChangeCipherSpec activates */
    int ccs_expected, ccs_seen;
    /* RFC 8879 (cert_compress.c): algorithms we offered as bits 1 << id
     * (client: in the ClientHello; server: in the CertificateRequest), the
     * one to compress our Certificate with (0: send it plain), and the
     * peer's Certificate decompressed. */
    uint8_t cc_offered;
    uint8_t cc_send_alg;
    pl_buf cc_plain;
    /* Client 0-RTT (early_client.c, RFC 8446 4.2.10): where the early
     * data of this ClientHello stands (PL_EARLY_*, handshake/early_data.h)
     * and the session's suite it was protected with. */
    int early_state;
    uint16_t early_suite;
} pl_hs;

#endif
