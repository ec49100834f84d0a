/* record.c - see record.h. */
#include "record.h"

#include <string.h>

#include "../handshake/keyschedule13.h"
#include "../util/mem.h"

int pl_rec_install13(pl_rec_keys *k, int aead_alg, int hash, const uint8_t *secret, int encrypt)
{
    uint8_t key[PL_MAX_KEY], iv[PL_AEAD_NONCE];
    size_t hl = pl_hash_len(hash);
    PL_GUARD(pl_ks13_traffic_keys(hash, aead_alg, secret, key, iv));
    int rc = 0;
    if (k->aead && k->alg == aead_alg && !k->tls12) {
        /* Handshake keys to application keys: re-key the same context. */
        rc = pl_aead_rekey(k->aead, key);
    } else {
        pl_rec_clear(k);
        k->aead = pl_aead_new(aead_alg, key, encrypt);
        if (!k->aead) rc = pl_fail(PL_ERR_CRYPTO, __FILE__, __LINE__, "cannot set up record protection");
    }
    pl_cleanse(key, sizeof key);
    if (rc < 0) {
        pl_rec_clear(k);
        return rc;
    }
    memcpy(k->iv, iv, sizeof iv);
    pl_cleanse(iv, sizeof iv);
    k->alg = aead_alg;
    k->hash = hash;
    k->seq = 0;
    memcpy(k->secret, secret, hl);
    return 0;
}

int pl_rec_update13(pl_rec_keys *k, int encrypt)
{
    uint8_t s[PL_MAX_HASH];
    memcpy(s, k->secret, sizeof s);
    PL_GUARD(pl_ks13_next_traffic(k->hash, s));
    int rc = pl_rec_install13(k, k->alg, k->hash, s, encrypt);
    pl_cleanse(s, sizeof s);
    return rc;
}

void pl_rec_clear(pl_rec_keys *k)
{
    pl_aead_free(k->aead);
    pl_cleanse(k, sizeof *k);
}

int pl_rec_check_header(const uint8_t hdr[PL_REC_HEADER], int protected_, uint8_t *type, size_t *len)
{
    *type = hdr[0];
    *len = ((size_t)hdr[3] << 8) | hdr[4];
    PL_ENSURE(*type >= PL_CT_CHANGE_CIPHER_SPEC && *type <= PL_CT_APPLICATION_DATA, PL_ERR_UNEXPECTED_MESSAGE,
              "received a record of unknown type %u (is the peer speaking TLS?)", *type);
    /* legacy_record_version is 0x0301 or 0x0303 in practice; the major must
     * be 3. Another is a version we do not speak: protocol_version (RFC 8446
     * 6.2; what OpenSSL and BoringSSL answer too). */
    PL_ENSURE(hdr[1] == 3, PL_ERR_PROTOCOL_VERSION, "record version %u.%u is not TLS", hdr[1], hdr[2]);
    if (protected_ && *type == PL_CT_APPLICATION_DATA)
        PL_ENSURE(*len <= PL_MAX_CIPHERTEXT, PL_ERR_RECORD_OVERFLOW, "encrypted record of %zu bytes exceeds 2^14+256", *len);
    else
        PL_ENSURE(*len <= PL_MAX_PLAINTEXT, PL_ERR_RECORD_OVERFLOW, "record of %zu bytes exceeds 2^14", *len);
    return 0;
}

int pl_rec_write_plain(pl_buf *out, uint8_t type, const uint8_t *data, size_t len)
{
    /* RFC 8446 5.1: 0x0303 for all records but the initial ClientHello
     * (which may use 0x0301: record/send.c does, through the _v form). */
    return pl_rec_write_plain_v(out, 0x0303, type, data, len);
}

int pl_rec_write_plain_v(pl_buf *out, uint16_t version, uint8_t type, const uint8_t *data, size_t len)
{
    PL_ENSURE(len <= PL_MAX_PLAINTEXT, PL_ERR_INTERNAL, "plaintext record too long");
    PL_GUARD(pl_buf_reserve(out, PL_REC_HEADER + len));
    PL_GUARD(pl_buf_u8(out, type));
    PL_GUARD(pl_buf_u16(out, version));
    PL_GUARD(pl_buf_u16(out, (uint16_t)len));
    return pl_buf_bytes(out, data, len);
}

static void pl_nonce(const pl_rec_keys *k, uint8_t nonce[PL_AEAD_NONCE])
{
    /* RFC 8446 5.3: the 64-bit sequence number, left-padded, XORed with the IV. */
    memcpy(nonce, k->iv, PL_AEAD_NONCE);
    for (int i = 0; i < 8; i++) nonce[PL_AEAD_NONCE - 1 - i] ^= (uint8_t)(k->seq >> (8 * i));
}

int pl_rec_seal13(pl_rec_keys *k, pl_buf *out, uint8_t type, const uint8_t *data, size_t len, size_t pad)
{
    uint8_t nonce[PL_AEAD_NONCE];
    size_t inner = len + 1 + pad, start;
    PL_ENSURE(len <= PL_MAX_PLAINTEXT && inner <= PL_MAX_PLAINTEXT + 1, PL_ERR_INTERNAL, "record too long");
    PL_ENSURE(k->seq != UINT64_MAX, PL_ERR_INTERNAL, "sequence number exhausted");
    PL_GUARD(pl_buf_reserve(out, PL_REC_HEADER + inner + PL_AEAD_TAG));
    start = out->len;
    uint8_t *h = out->data + start;
    size_t clen = inner + PL_AEAD_TAG;
    h[0] = PL_CT_APPLICATION_DATA; /* opaque_type */
    h[1] = 3;
    h[2] = 3;
    h[3] = (uint8_t)(clen >> 8);
    h[4] = (uint8_t)clen;
    uint8_t *p = h + PL_REC_HEADER;
    pl_nonce(k, nonce);
    /* additional_data is the record header (RFC 8446 5.2). The content is
     * encrypted from the caller's buffer into the record (one copy fewer),
     * then the content type and the padding. `data` never lies in `out`:
     * the reserve above may have moved it. */
    static const uint8_t zeros[PL_MAX_PLAINTEXT + 1];
    const uint8_t *parts[3] = {data, &type, zeros};
    size_t lens[3] = {len, 1, pad};
    PL_GUARD(pl_aead_seal_to(k->aead, nonce, h, PL_REC_HEADER, parts, lens, 3, p, p + inner));
    out->len = start + PL_REC_HEADER + clen;
    k->seq++;
    return 0;
}

int pl_rec_open13(pl_rec_keys *k, const uint8_t hdr[PL_REC_HEADER], uint8_t *payload, size_t len,
                  uint8_t *inner_type, size_t *plain_len)
{
    uint8_t nonce[PL_AEAD_NONCE];
    PL_ENSURE(len >= PL_AEAD_TAG + 1, PL_ERR_BAD_RECORD_MAC, "encrypted record of %zu bytes is too short", len);
    PL_ENSURE(k->seq != UINT64_MAX, PL_ERR_INTERNAL, "sequence number exhausted");
    pl_nonce(k, nonce);
    PL_GUARD(pl_aead_open(k->aead, nonce, hdr, PL_REC_HEADER, payload, len - PL_AEAD_TAG, payload + len - PL_AEAD_TAG));
    k->seq++;
    /* RFC 8446 5.4: the whole TLSInnerPlaintext (content, type byte and
     * padding) MUST NOT exceed 2^14 + 1 bytes. Checked on what was
     * decrypted, before the padding is stripped: a bound on the content
     * alone would let padding carry a record past the limit. A record that
     * does not authenticate got bad_record_mac above (RFC 8446 5.2). */
    size_t n = len - PL_AEAD_TAG;
    PL_ENSURE(n <= PL_MAX_PLAINTEXT + 1, PL_ERR_RECORD_OVERFLOW,
              "decrypted record of %zu bytes (content, type and padding) exceeds 2^14+1", n);
    /* Strip zero padding; the last non-zero byte is the content type. */
    while (n > 0 && payload[n - 1] == 0) n--;
    PL_ENSURE(n > 0, PL_ERR_UNEXPECTED_MESSAGE, "encrypted record holds only padding (no content type)");
    *inner_type = payload[n - 1];
    *plain_len = n - 1;
    return 0;
}

/* ------------------------------------------------------------ TLS 1.2 */

int pl_rec_install12(pl_rec_keys *k, int aead_alg, const uint8_t *key, const uint8_t *iv, int encrypt)
{
    pl_rec_clear(k);
    k->aead = pl_aead_new(aead_alg, key, encrypt);
    PL_ENSURE(k->aead, PL_ERR_CRYPTO, "cannot set up record protection");
    k->alg = aead_alg;
    k->tls12 = 1;
    k->seq = 0;
    memcpy(k->iv, iv, aead_alg == PL_CHACHA20_POLY1305 ? PL_AEAD_NONCE : 4);
    return 0;
}

size_t pl_rec_overhead(const pl_rec_keys *k)
{
    if (!k->aead) return PL_REC_HEADER;
    if (k->tls12 && k->alg != PL_CHACHA20_POLY1305) return PL_REC_HEADER + PL_GCM_EXPLICIT + PL_AEAD_TAG;
    return PL_REC_HEADER + PL_AEAD_TAG + (k->tls12 ? 0 : 1);
}

/* additional_data = seq_num + type + version + length (RFC 5246 6.2.3.3) */
static void pl_aad12(const pl_rec_keys *k, uint8_t type, size_t len, uint8_t aad[13])
{
    for (int i = 0; i < 8; i++) aad[i] = (uint8_t)(k->seq >> (56 - 8 * i));
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
}

static void pl_nonce12(const pl_rec_keys *k, uint8_t nonce[PL_AEAD_NONCE], const uint8_t *explicit_nonce)
{
    if (k->alg == PL_CHACHA20_POLY1305) {
        pl_nonce(k, nonce); /* RFC 7905 2: like TLS 1.3 */
    } else {
        memcpy(nonce, k->iv, 4); /* RFC 5288 3: salt || explicit */
        memcpy(nonce + 4, explicit_nonce, PL_GCM_EXPLICIT);
    }
}

int pl_rec_seal12(pl_rec_keys *k, pl_buf *out, uint8_t type, const uint8_t *data, size_t len)
{
    uint8_t nonce[PL_AEAD_NONCE], aad[13], expl[PL_GCM_EXPLICIT];
    size_t ex = k->alg == PL_CHACHA20_POLY1305 ? 0 : PL_GCM_EXPLICIT, start, clen = ex + len + PL_AEAD_TAG;
    PL_ENSURE(len <= PL_MAX_PLAINTEXT, PL_ERR_INTERNAL, "record too long");
    PL_ENSURE(k->seq != UINT64_MAX, PL_ERR_INTERNAL, "sequence number exhausted");
    PL_GUARD(pl_buf_reserve(out, PL_REC_HEADER + clen));
    start = out->len;
    uint8_t *h = out->data + start, *p = h + PL_REC_HEADER;
    h[0] = type;
    h[1] = 3;
    h[2] = 3;
    h[3] = (uint8_t)(clen >> 8);
    h[4] = (uint8_t)clen;
    /* The explicit nonce is the sequence number: unique per key, as RFC 5288 requires. */
    for (int i = 0; i < 8; i++) expl[i] = (uint8_t)(k->seq >> (56 - 8 * i));
    if (ex) memcpy(p, expl, ex);
    pl_aad12(k, type, len, aad);
    pl_nonce12(k, nonce, expl);
    /* From the caller's buffer straight into the record (never from `out`). */
    const uint8_t *parts[1] = {data};
    size_t lens[1] = {len};
    PL_GUARD(pl_aead_seal_to(k->aead, nonce, aad, sizeof aad, parts, lens, 1, p + ex, p + ex + len));
    out->len = start + PL_REC_HEADER + clen;
    k->seq++;
    return 0;
}

int pl_rec_open12(pl_rec_keys *k, const uint8_t hdr[PL_REC_HEADER], uint8_t *payload, size_t len, size_t *plain_off,
                  size_t *plain_len)
{
    uint8_t nonce[PL_AEAD_NONCE], aad[13];
    size_t ex = k->alg == PL_CHACHA20_POLY1305 ? 0 : PL_GCM_EXPLICIT;
    PL_ENSURE(len >= ex + PL_AEAD_TAG, PL_ERR_BAD_RECORD_MAC, "encrypted record of %zu bytes is too short", len);
    PL_ENSURE(k->seq != UINT64_MAX, PL_ERR_INTERNAL, "sequence number exhausted");
    size_t plen = len - ex - PL_AEAD_TAG;
    pl_aad12(k, hdr[0], plen, aad);
    pl_nonce12(k, nonce, payload);
    PL_GUARD(pl_aead_open(k->aead, nonce, aad, sizeof aad, payload + ex, plen, payload + ex + plen));
    k->seq++;
    /* RFC 5246 6.2.1 / 7.2.2: TLSPlaintext.length MUST NOT exceed 2^14
     * (no compression). As in TLS 1.3, a record that does not authenticate
     * is bad_record_mac; record_overflow is for what decrypted. */
    PL_ENSURE(plen <= PL_MAX_PLAINTEXT, PL_ERR_RECORD_OVERFLOW, "decrypted record of %zu bytes exceeds 2^14", plen);
    *plain_off = ex;
    *plain_len = plen;
    return 0;
}

int pl_rec_check_header12(const uint8_t hdr[PL_REC_HEADER], int protected_, uint8_t *type, size_t *len)
{
    *type = hdr[0];
    *len = ((size_t)hdr[3] << 8) | hdr[4];
    PL_ENSURE(*type >= PL_CT_CHANGE_CIPHER_SPEC && *type <= PL_CT_APPLICATION_DATA, PL_ERR_UNEXPECTED_MESSAGE,
              "received a record of unknown type %u", *type);
    PL_ENSURE(hdr[1] == 3 && hdr[2] == 3, PL_ERR_PROTOCOL_VERSION, "record version %u.%u after TLS 1.2 was negotiated", hdr[1], hdr[2]);
    PL_ENSURE(*len <= (protected_ ? (size_t)PL_MAX_CIPHERTEXT12 : (size_t)PL_MAX_PLAINTEXT), PL_ERR_RECORD_OVERFLOW,
              "record of %zu bytes exceeds the TLS 1.2 limit", *len);
    return 0;
}
