/* hello_retry.c - see hello_retry.h. */
#include <string.h>

#include "../../include/parley/parley.h"
#include "../crypto/crypto.h"
#include "hello_retry.h"
#include "messages.h"

/* RFC 8446 4.1.2 lists what a second ClientHello may change: key_share
 * (replaced by one share for the group the HRR selected), early_data
 * (removed), cookie (added when the HRR had one; this server's HRRs carry
 * none, so a cookie is compared like any other extension), pre_shared_key
 * (ages and binders recomputed, identities removed: 4.2.11 lets the client
 * drop PSKs that do not fit the selected suite, down to none) and padding
 * (added, removed or resized, RFC 7685). Everything else must be repeated
 * byte for byte and in the same order. How each extension is compared: */
enum { PL_CMP_ALL, PL_CMP_TYPE, PL_CMP_SKIP };
static int pl_hrr_compare_how(uint16_t type)
{
    switch (type) {
    case PL_EXT_KEY_SHARE: return PL_CMP_TYPE; /* in its place, any body */
    case PL_EXT_EARLY_DATA:                    /* only in the first (checked apart) */
    case PL_EXT_PRE_SHARED_KEY:                /* always last; may go (checked apart) */
    case PL_EXT_PADDING: return PL_CMP_SKIP;
    default: return PL_CMP_ALL;
    }
}

static int pl_put_len(pl_hash_ctx *h, size_t n)
{
    uint8_t b[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    return pl_hash_update(h, b, 2);
}

/* The digests of the extensions' order and content; the first few named. */
static int pl_ext_digests(pl_cursor exts, pl_ch1_summary *s)
{
    uint8_t *order = s->ext_order, *content = s->ext_content;
    pl_hash_ctx *ho = pl_hash_new(PL_SHA256), *hc = pl_hash_new(PL_SHA256);
    int rc = ho && hc ? 0 : pl_fail(PL_ERR_CRYPTO, __FILE__, __LINE__, "cannot start a hash");
    while (rc == 0 && exts.len) {
        uint16_t type;
        pl_cursor body;
        uint8_t t[2];
        /* The block was walked by pl_client_hello_parse: these reads hold. */
        if ((rc = pl_cur_u16(&exts, &type)) < 0 || (rc = pl_cur_vec16(&exts, &body)) < 0) break;
        int how = pl_hrr_compare_how(type);
        if (how == PL_CMP_SKIP) continue;
        t[0] = (uint8_t)(type >> 8);
        t[1] = (uint8_t)type;
        if ((rc = pl_hash_update(ho, t, 2)) < 0 || (rc = pl_hash_update(hc, t, 2)) < 0) break;
        if (how == PL_CMP_ALL && ((rc = pl_put_len(hc, body.len)) < 0 || (rc = pl_hash_update(hc, body.p, body.len)) < 0)) break;
        if (s->n_named < PL_CH1_NAMED) {
            uint8_t d[PL_CH1_DIGEST];
            if ((rc = pl_hash(PL_SHA256, body.p, how == PL_CMP_ALL ? body.len : 0, d)) < 0) break;
            s->named_type[s->n_named] = type;
            memcpy(s->named_digest[s->n_named++], d, sizeof s->named_digest[0]);
        }
    }
    if (rc == 0) rc = pl_hash_peek(ho, order);
    if (rc == 0) rc = pl_hash_peek(hc, content);
    pl_hash_free(ho);
    pl_hash_free(hc);
    return rc;
}

/* Short digests of the first PL_CH1_PSKS PSK identities (ages and binders
 * may change after an HRR; identities may only be removed). */
static int pl_psk_digests(const pl_client_hello *ch, pl_ch1_summary *s)
{
    uint8_t d[PL_CH1_DIGEST];
    s->n_psk = ch->psk_count;
    for (size_t i = 0; i < ch->psk_count && i < PL_CH1_PSKS; i++) {
        pl_cursor id, binder;
        uint32_t age;
        PL_GUARD(pl_client_hello_psk(ch, i, &id, &age, &binder));
        PL_GUARD(pl_hash(PL_SHA256, id.p, id.len, d));
        memcpy(s->psk_id[i], d, sizeof s->psk_id[i]);
    }
    return 0;
}

int pl_ch1_summarize(const pl_client_hello *ch, pl_ch1_summary *s)
{
    memset(s, 0, sizeof *s);
    s->legacy_version = ch->legacy_version;
    memcpy(s->random, ch->random, 32);
    memcpy(s->session_id, ch->session_id.p, ch->session_id.len); /* <= 32: checked by the parser */
    s->session_id_len = (uint8_t)ch->session_id.len;
    PL_GUARD(pl_hash(PL_SHA256, ch->suites.p, ch->suites.len, s->suites));
    PL_GUARD(pl_hash(PL_SHA256, ch->compression.p, ch->compression.len, s->compression));
    PL_GUARD(pl_ext_digests(ch->exts, s));
    s->has_psk = ch->has_psk;
    s->resume_idx = -1;
    if (ch->has_psk) PL_GUARD(pl_psk_digests(ch, s));
    return 0;
}

int pl_ch2_check(const pl_ch1_summary *s, const pl_client_hello *ch2, uint16_t hrr_group)
{
    pl_ch1_summary t;
    PL_GUARD(pl_ch1_summarize(ch2, &t));
    PL_ENSURE(t.legacy_version == s->legacy_version, PL_ERR_ILLEGAL_PARAMETER,
              "second ClientHello changes legacy_version (0x%04x, was 0x%04x)", t.legacy_version, s->legacy_version);
    PL_ENSURE(memcmp(t.random, s->random, 32) == 0, PL_ERR_ILLEGAL_PARAMETER, "second ClientHello changes random");
    PL_ENSURE(t.session_id_len == s->session_id_len && memcmp(t.session_id, s->session_id, s->session_id_len) == 0,
              PL_ERR_ILLEGAL_PARAMETER, "second ClientHello changes legacy_session_id");
    PL_ENSURE(memcmp(t.suites, s->suites, PL_CH1_DIGEST) == 0, PL_ERR_ILLEGAL_PARAMETER,
              "second ClientHello changes cipher_suites");
    PL_ENSURE(memcmp(t.compression, s->compression, PL_CH1_DIGEST) == 0, PL_ERR_ILLEGAL_PARAMETER,
              "second ClientHello changes legacy_compression_methods");
    /* RFC 8446 4.1.2 / 4.2.10: early data is not permitted after an HRR. */
    PL_ENSURE(!ch2->has_early_data, PL_ERR_ILLEGAL_PARAMETER, "second ClientHello offers early_data");
    PL_ENSURE(!ch2->has_psk || s->has_psk, PL_ERR_ILLEGAL_PARAMETER,
              "second ClientHello adds pre_shared_key, which the first did not offer");
    /* RFC 8446 4.1.2: only PSKs incompatible with the HRR's suite may be
     * removed; the one the server was resuming is compatible. */
    if (s->resume_idx >= 0 && s->resume_idx < PL_CH1_PSKS) {
        int kept = 0;
        for (size_t i = 0; ch2->has_psk && i < t.n_psk && i < PL_CH1_PSKS; i++)
            kept |= memcmp(t.psk_id[i], s->psk_id[s->resume_idx], sizeof t.psk_id[i]) == 0;
        PL_ENSURE(kept, PL_ERR_ILLEGAL_PARAMETER,
                  "second ClientHello drops the PSK the server selected, which fits the HelloRetryRequest's cipher suite");
    }
    /* RFC 8446 4.1.2 / 4.2.11: the client may drop PSKs (those that do not
     * fit the selected suite), not add or change one: the second list is
     * the first with some removed, in the same order. Compared as far as
     * the first list's digests reach. */
    if (ch2->has_psk) {
        size_t known = s->n_psk < PL_CH1_PSKS ? s->n_psk : PL_CH1_PSKS, j = 0;
        PL_ENSURE(t.n_psk <= s->n_psk, PL_ERR_ILLEGAL_PARAMETER, "second ClientHello offers more PSK identities than the first");
        int past = 0; /* an identity was beyond the digests: the rest must be too */
        for (size_t i = 0; i < t.n_psk && i < PL_CH1_PSKS; i++) {
            size_t k = j;
            while (k < known && memcmp(t.psk_id[i], s->psk_id[k], sizeof t.psk_id[i]) != 0) k++;
            if (k == known && s->n_psk > known) {
                /* May be one of those past the digests; then none of the
                 * digested ones may follow it. */
                for (size_t m = 0; m < known; m++)
                    PL_ENSURE(memcmp(t.psk_id[i], s->psk_id[m], sizeof t.psk_id[i]) != 0, PL_ERR_ILLEGAL_PARAMETER,
                              "second ClientHello changes or reorders the PSK identities (it may only remove some)");
                past = 1;
                continue;
            }
            PL_ENSURE(k < known && !past, PL_ERR_ILLEGAL_PARAMETER,
                      "second ClientHello changes or reorders the PSK identities (it may only remove some)");
            j = k + 1;
        }
    }
    PL_ENSURE(memcmp(t.ext_order, s->ext_order, PL_CH1_DIGEST) == 0, PL_ERR_ILLEGAL_PARAMETER,
              "second ClientHello adds, removes or reorders extensions (only key_share, early_data, pre_shared_key and padding may change)");
    if (memcmp(t.ext_content, s->ext_content, PL_CH1_DIGEST) != 0) {
        /* Same types in the same order: name the first that changed, if it
         * is among the first few. */
        for (size_t i = 0; i < s->n_named; i++)
            PL_ENSURE(memcmp(t.named_digest[i], s->named_digest[i], sizeof s->named_digest[i]) == 0, PL_ERR_ILLEGAL_PARAMETER,
                      "second ClientHello changes the content of extension %s (%u) (only key_share, pre_shared_key and padding may change)",
                      pl_ext_name(s->named_type[i]), s->named_type[i]);
        PL_BAIL(PL_ERR_ILLEGAL_PARAMETER,
                "second ClientHello changes the content of an extension (only key_share, pre_shared_key and padding may change)");
    }
    /* RFC 8446 4.1.2: key_share is now a list of one KeyShareEntry, for the
     * group the HRR selected. */
    pl_cursor l = ch2->key_shares, ke;
    uint16_t g = 0;
    size_t n = 0;
    while (l.len) {
        PL_GUARD(pl_cur_u16(&l, &g));
        PL_GUARD(pl_cur_vec16(&l, &ke));
        n++;
    }
    PL_ENSURE(ch2->has_key_share && n == 1 && g == hrr_group, PL_ERR_ILLEGAL_PARAMETER,
              "second ClientHello must carry exactly one key share, for %s (it has %zu%s)", parley_group_name(hrr_group), n,
              n == 1 ? ", for another group" : "");
    return 0;
}
