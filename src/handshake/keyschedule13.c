/* keyschedule13.c - RFC 8446 7.1 key schedule; see keyschedule13.h. */
#include "keyschedule13.h"

#include <string.h>

#include "../util/mem.h"

int pl_ks13_expand_label(int hash, const uint8_t *secret, const char *label, const uint8_t *ctx,
                         size_t ctxlen, uint8_t *out, size_t outlen)
{
    /* struct { uint16 length; opaque label<7..255> = "tls13 " + Label;
     *          opaque context<0..255>; } HkdfLabel; */
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t ll = strlen(label), n = 0;
    PL_ENSURE(ll + 6 <= 255 && ctxlen <= 255 && outlen <= 0xffff, PL_ERR_INTERNAL, "HKDF label too long");
    info[n++] = (uint8_t)(outlen >> 8);
    info[n++] = (uint8_t)outlen;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = (uint8_t)ctxlen;
    if (ctxlen) memcpy(info + n, ctx, ctxlen);
    n += ctxlen;
    return pl_hkdf_expand(hash, secret, info, n, out, outlen);
}

int pl_ks13_derive_secret(int hash, const uint8_t *secret, const char *label, const uint8_t *th, uint8_t *out)
{
    size_t hl = pl_hash_len(hash);
    return pl_ks13_expand_label(hash, secret, label, th, hl, out, hl);
}

/* Derive-Secret(secret, "derived", "") needs Hash(""). */
static int pl_ks13_derived(pl_ks13 *ks, uint8_t *out)
{
    uint8_t empty[PL_MAX_HASH];
    PL_GUARD(pl_hash(ks->hash, (const uint8_t *)"", 0, empty));
    return pl_ks13_derive_secret(ks->hash, ks->secret, "derived", empty, out);
}

int pl_ks13_init(pl_ks13 *ks, int hash)
{
    uint8_t zeros[PL_MAX_HASH] = {0};
    memset(ks, 0, sizeof *ks);
    ks->hash = hash;
    ks->hlen = pl_hash_len(hash);
    PL_ENSURE(ks->hlen, PL_ERR_INTERNAL, "bad hash for key schedule");
    /* Early Secret = HKDF-Extract(0, PSK) with PSK = HashLen zeros when none. */
    PL_GUARD(pl_hkdf_extract(hash, NULL, 0, zeros, ks->hlen, ks->secret));
    ks->stage = PL_KS_EARLY;
    return 0;
}

int pl_ks13_init_psk(pl_ks13 *ks, int hash, const uint8_t *psk, size_t len)
{
    memset(ks, 0, sizeof *ks);
    ks->hash = hash;
    ks->hlen = pl_hash_len(hash);
    PL_ENSURE(ks->hlen && len == ks->hlen, PL_ERR_INTERNAL, "PSK length does not fit the hash");
    PL_GUARD(pl_hkdf_extract(hash, NULL, 0, psk, len, ks->secret));
    ks->stage = PL_KS_EARLY;
    return 0;
}

int pl_ks13_binder(const pl_ks13 *ks, const uint8_t *th, uint8_t *out)
{
    uint8_t empty[PL_MAX_HASH], bk[PL_MAX_HASH];
    PL_ENSURE(ks->stage == PL_KS_EARLY, PL_ERR_INTERNAL, "key schedule out of order (binder)");
    PL_GUARD(pl_hash(ks->hash, (const uint8_t *)"", 0, empty));
    PL_GUARD(pl_ks13_derive_secret(ks->hash, ks->secret, "res binder", empty, bk));
    int rc = pl_ks13_finished(ks->hash, bk, th, out);
    pl_cleanse(bk, sizeof bk);
    return rc;
}

int pl_ks13_ticket_psk(int hash, const uint8_t *res_master, const uint8_t *nonce, size_t nlen, uint8_t *out)
{
    size_t hl = pl_hash_len(hash);
    return pl_ks13_expand_label(hash, res_master, "resumption", nonce, nlen, out, hl);
}

int pl_ks13_handshake(pl_ks13 *ks, const uint8_t *ecdhe, size_t len, const uint8_t *th)
{
    uint8_t salt[PL_MAX_HASH], zeros[PL_MAX_HASH] = {0};
    if (!ecdhe) {
        ecdhe = zeros;
        len = ks->hlen;
    }
    PL_ENSURE(ks->stage == PL_KS_EARLY, PL_ERR_INTERNAL, "key schedule out of order (handshake)");
    PL_GUARD(pl_ks13_derived(ks, salt));
    PL_GUARD(pl_hkdf_extract(ks->hash, salt, ks->hlen, ecdhe, len, ks->secret));
    PL_GUARD(pl_ks13_derive_secret(ks->hash, ks->secret, "c hs traffic", th, ks->c_hs));
    PL_GUARD(pl_ks13_derive_secret(ks->hash, ks->secret, "s hs traffic", th, ks->s_hs));
    ks->stage = PL_KS_HANDSHAKE;
    pl_cleanse(salt, sizeof salt);
    return 0;
}

int pl_ks13_master(pl_ks13 *ks, const uint8_t *th)
{
    uint8_t salt[PL_MAX_HASH], zeros[PL_MAX_HASH] = {0};
    PL_ENSURE(ks->stage == PL_KS_HANDSHAKE, PL_ERR_INTERNAL, "key schedule out of order (master)");
    PL_GUARD(pl_ks13_derived(ks, salt));
    PL_GUARD(pl_hkdf_extract(ks->hash, salt, ks->hlen, zeros, ks->hlen, ks->secret));
    PL_GUARD(pl_ks13_derive_secret(ks->hash, ks->secret, "c ap traffic", th, ks->c_ap));
    PL_GUARD(pl_ks13_derive_secret(ks->hash, ks->secret, "s ap traffic", th, ks->s_ap));
    PL_GUARD(pl_ks13_derive_secret(ks->hash, ks->secret, "exp master", th, ks->exporter));
    ks->stage = PL_KS_MASTER;
    pl_cleanse(salt, sizeof salt);
    return 0;
}

int pl_ks13_resumption(pl_ks13 *ks, const uint8_t *th)
{
    PL_ENSURE(ks->stage == PL_KS_MASTER, PL_ERR_INTERNAL, "key schedule out of order (resumption)");
    return pl_ks13_derive_secret(ks->hash, ks->secret, "res master", th, ks->resumption);
}

int pl_ks13_finished(int hash, const uint8_t *base, const uint8_t *th, uint8_t *out)
{
    uint8_t fk[PL_MAX_HASH];
    size_t hl = pl_hash_len(hash);
    PL_GUARD(pl_ks13_expand_label(hash, base, "finished", NULL, 0, fk, hl));
    int rc = pl_hmac(hash, fk, hl, th, hl, out);
    pl_cleanse(fk, sizeof fk);
    return rc;
}

int pl_ks13_traffic_keys(int hash, int aead, const uint8_t *secret, uint8_t *key, uint8_t iv[PL_AEAD_NONCE])
{
    PL_GUARD(pl_ks13_expand_label(hash, secret, "key", NULL, 0, key, pl_aead_key_len(aead)));
    return pl_ks13_expand_label(hash, secret, "iv", NULL, 0, iv, PL_AEAD_NONCE);
}

int pl_ks13_next_traffic(int hash, uint8_t *secret)
{
    uint8_t next[PL_MAX_HASH];
    size_t hl = pl_hash_len(hash);
    PL_GUARD(pl_ks13_expand_label(hash, secret, "traffic upd", NULL, 0, next, hl));
    memcpy(secret, next, hl);
    pl_cleanse(next, sizeof next);
    return 0;
}

void pl_ks13_wipe(pl_ks13 *ks) { pl_cleanse(ks, sizeof *ks); }

int pl_ks13_check_finished(int hash, const uint8_t *base, const uint8_t *th, const uint8_t *msg, size_t len,
                           const char *whose)
{
    uint8_t expect[PL_MAX_HASH];
    size_t hl = pl_hash_len(hash);
    PL_ENSURE(len >= 4 && len - 4 == hl, PL_ERR_DECODE, "Finished has %zu bytes, expected %zu", len >= 4 ? len - 4 : 0, hl);
    PL_GUARD(pl_ks13_finished(hash, base, th, expect));
    int same = pl_ct_memcmp(expect, msg + 4, hl) == 0;
    pl_cleanse(expect, sizeof expect);
    PL_ENSURE(same, PL_ERR_DECRYPT_ERROR, "%s does not verify", whose);
    return 0;
}
