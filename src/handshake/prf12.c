/* prf12.c - see prf12.h. */
#include "prf12.h"

#include <string.h>

#include "../util/mem.h"

int pl_prf12(int hash, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1, size_t s1len,
             const uint8_t *seed2, size_t s2len, uint8_t *out, size_t outlen)
{
    uint8_t seed[256];
    size_t ll = strlen(label), sl = ll + s1len + s2len;
    PL_ENSURE(sl <= sizeof seed, PL_ERR_INTERNAL, "PRF seed too long");
    memcpy(seed, label, ll);
    if (s1len) memcpy(seed + ll, seed1, s1len);
    if (s2len) memcpy(seed + ll + s1len, seed2, s2len);
    return pl_prf12_seed(hash, secret, slen, seed, sl, out, outlen);
}

int pl_prf12_seed(int hash, const uint8_t *secret, size_t slen, const uint8_t *seed, size_t sl, uint8_t *out,
                  size_t outlen)
{
    /* P_hash(secret, seed) = HMAC(secret, A(1) + seed) || HMAC(secret, A(2) + seed) ...
     * with A(0) = seed = label || seed1 || seed2, A(i) = HMAC(secret, A(i-1)).
     * The key is absorbed once for all the HMACs. */
    uint8_t a[PL_MAX_HASH], t[PL_MAX_HASH];
    size_t hl = pl_hash_len(hash), done = 0;
    pl_hmac_key k;
    PL_ENSURE(hl, PL_ERR_INTERNAL, "PRF without a hash");
    PL_GUARD(pl_hmac_key_init(&k, hash, secret, slen));
    pl_hmac_key_mac(&k, seed, sl, NULL, 0, a);
    while (done < outlen) {
        pl_hmac_key_mac(&k, a, hl, seed, sl, t);
        size_t take = outlen - done < hl ? outlen - done : hl;
        memcpy(out + done, t, take);
        done += take;
        if (done < outlen) pl_hmac_key_mac(&k, a, hl, NULL, 0, a);
    }
    pl_hmac_key_wipe(&k);
    pl_cleanse(t, sizeof t);
    pl_cleanse(a, sizeof a);
    return 0;
}

int pl_master12(int hash, const uint8_t *pm, size_t pmlen, int ems, const uint8_t *session_hash,
                const uint8_t client_random[32], const uint8_t server_random[32], uint8_t master[48])
{
    if (ems)
        return pl_prf12(hash, pm, pmlen, "extended master secret", session_hash, pl_hash_len(hash), NULL, 0, master, 48);
    return pl_prf12(hash, pm, pmlen, "master secret", client_random, 32, server_random, 32, master, 48);
}

int pl_key_block12(int hash, const uint8_t master[48], const uint8_t client_random[32], const uint8_t server_random[32],
                   uint8_t *out, size_t outlen)
{
    /* Note the order: server_random first (RFC 5246 6.3). */
    return pl_prf12(hash, master, 48, "key expansion", server_random, 32, client_random, 32, out, outlen);
}

int pl_finished12(int hash, const uint8_t master[48], int server, const uint8_t *th, uint8_t out[12])
{
    return pl_prf12(hash, master, 48, server ? "server finished" : "client finished", th, pl_hash_len(hash), NULL, 0,
                    out, 12);
}
