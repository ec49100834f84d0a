/* key.c - private keys held by the application or a key server (public API
 * over the internal signature and RSA code). */
#include <stdio.h>
#include <string.h>

#include "../internal.h"

struct parley_key {
    pl_pkey *pkey;
    uint8_t id[32];
};

parley_key *parley_key_load_pem(const char *path, char *err, size_t errlen)
{
    parley_key *k = pl_calloc(1, sizeof *k);
    if (!k) {
        if (err) snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (pl_key_load_pem(path, &k->pkey) < 0 || pl_pkey_spki_hash(k->pkey, k->id) < 0) {
        if (err) snprintf(err, errlen, "%s", pl_last_message());
        parley_key_free(k);
        return NULL;
    }
    return k;
}

void parley_key_free(parley_key *k)
{
    if (!k) return;
    pl_pkey_free(k->pkey);
    pl_cleanse(k, sizeof *k);
    pl_free(k);
}

void parley_key_id(const parley_key *k, uint8_t id[32]) { memcpy(id, k->id, 32); }

const char *parley_key_describe(const parley_key *k, char *buf, size_t len)
{
    pl_pkey_describe(k->pkey, buf, len);
    return buf;
}

int parley_key_sign(const parley_key *k, uint16_t scheme, const uint8_t *in, size_t inlen, uint8_t *sig, size_t *siglen,
                    size_t cap)
{
    /* TLS 1.2 rules: any scheme the key can make (1.3's curve binding is the caller's business). */
    if (!pl_sig_scheme_fits_key(k->pkey, scheme, 0)) return PARLEY_ERROR;
    return pl_sig_sign(k->pkey, scheme, in, inlen, sig, siglen, cap) < 0 ? PARLEY_ERROR : PARLEY_OK;
}

int parley_key_rsa_decrypt_premaster(const parley_key *k, const uint8_t *ct, size_t len, uint16_t client_version,
                                     uint8_t out[48])
{
    if (!pl_pkey_is_rsa(k->pkey)) return PARLEY_ERROR;
    return pl_rsa_decrypt_premaster(k->pkey, ct, len, client_version, out) < 0 ? PARLEY_ERROR : PARLEY_OK;
}

int parley_key_op_key_id(const parley_key_op *op, uint8_t id[32])
{
    memcpy(id, op->key_id, 32);
    return PARLEY_OK;
}
