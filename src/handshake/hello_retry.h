/*
 * hello_retry.h - the second ClientHello against the first (RFC 8446 4.1.2).
 * After a HelloRetryRequest the first ClientHello lives on only as a hash in
 * the transcript, so what the second must repeat is kept as a small summary:
 * the short fields themselves, digests of the long ones.
 */
#ifndef PL_HELLO_RETRY_H
#define PL_HELLO_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

#define PL_CH1_DIGEST 32 /* SHA-256 */

typedef struct {
    uint16_t legacy_version;
    uint8_t random[32];
    uint8_t session_id[32];
    uint8_t session_id_len;
    uint8_t suites[PL_CH1_DIGEST];      /* cipher_suites */
    uint8_t compression[PL_CH1_DIGEST]; /* legacy_compression_methods */
    uint8_t ext_order[PL_CH1_DIGEST];   /* the types of the extensions compared, in order */
    uint8_t ext_content[PL_CH1_DIGEST]; /* ... with their bodies (key_share's excepted) */
    /* The first PL_CH1_NAMED extensions compared, each with a short digest
     * of its body: only to name the one that changed. */
#define PL_CH1_NAMED 32
    uint16_t named_type[PL_CH1_NAMED];
    uint8_t named_digest[PL_CH1_NAMED][8];
    uint8_t n_named;
    /* pre_shared_key: a short digest of each of the first PL_CH1_PSKS
     * identities (the second may only remove some, RFC 8446 4.1.2). */
#define PL_CH1_PSKS 16
    uint8_t psk_id[PL_CH1_PSKS][8];
    size_t n_psk; /* all identities, also those past PL_CH1_PSKS */
    unsigned has_psk : 1;
    /* Set by the server after pl_ch1_summarize: the identity it was going
     * to resume (-1: none). It fits the HRR's suite, so the second
     * ClientHello may not drop it (RFC 8446 4.1.2). */
    int resume_idx;
} pl_ch1_summary;

struct pl_client_hello_s;
/* Summarise a (parsed) first ClientHello. */
PL_MUST_CHECK int pl_ch1_summarize(const struct pl_client_hello_s *ch, pl_ch1_summary *s);
/* The second ClientHello is the first with only the changes RFC 8446 4.1.2
 * permits after a HelloRetryRequest that selected hrr_group (and carried no
 * cookie): 0, or illegal_parameter naming what changed. */
PL_MUST_CHECK int pl_ch2_check(const pl_ch1_summary *s, const struct pl_client_hello_s *ch2, uint16_t hrr_group);

#endif
