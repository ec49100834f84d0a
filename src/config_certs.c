/*
 * config_certs.c - the config's certificates and their keys: loading a chain
 * with its key file, a self-signed one or one with a key provider, encoding
 * their Certificate messages once, the local signing provider, and OCSP
 * staple files.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "handshake/messages.h"

static int pl_local_sign(parley_key_provider *self, parley_key_op *op)
{
    pl_cert_entry *e = (pl_cert_entry *)((char *)self - offsetof(pl_cert_entry, local));
    uint8_t sig[PL_MAX_SIG];
    size_t sl = 0;
    const uint8_t *in;
    size_t inlen;
    parley_key_op_input(op, &in, &inlen);
    if (parley_key_op_type(op) == PARLEY_KEY_OP_RSA_DECRYPT) {
        uint8_t pm[48];
        /* Implicit rejection happens here, where the key is. */
        if (pl_rsa_decrypt_premaster(e->local_key, in, inlen, parley_key_op_client_version(op), pm) < 0) return PARLEY_ERROR;
        int rc = parley_key_op_complete(op, 1, pm, sizeof pm);
        pl_cleanse(pm, sizeof pm);
        return rc;
    }
    if (parley_key_op_type(op) != PARLEY_KEY_OP_SIGN ||
        pl_sig_sign(e->local_key, parley_key_op_scheme(op), in, inlen, sig, &sl, sizeof sig) < 0)
        return PARLEY_ERROR;
    return parley_key_op_complete(op, 1, sig, sl);
}

static int pl_add_entry(parley_config *cfg, pl_chain *chain, parley_key_provider *provider)
{
    if (cfg->ncerts == PL_MAX_CERTS) {
        pl_chain_free(chain);
        return pl_cfg_err(cfg, "too many certificates");
    }
    pl_cert_entry ne;
    memset(&ne, 0, sizeof ne);
    ne.chain = *chain;
    if (pl_pkey_spki_hash(ne.chain.pubkey, ne.key_id) < 0) {
        pl_chain_free(&ne.chain);
        return pl_cfg_err(cfg, "cannot hash the certificate's public key");
    }
    if (pl_certificate_write(&ne.cert_msg, NULL, 0, ne.chain.der, ne.chain.der_len, ne.chain.n) < 0 ||
        pl_certificate12_write(&ne.cert_msg12, ne.chain.der, ne.chain.der_len, ne.chain.n) < 0) {
        pl_chain_free(&ne.chain);
        pl_buf_free(&ne.cert_msg);
        pl_buf_free(&ne.cert_msg12);
        return pl_cfg_err(cfg, pl_last_code() == PL_ERR_NOMEM ? "out of memory" : "certificate chain too large to send");
    }
    /* Only now the slot: e->local must be the slot's own address. */
    pl_cert_entry *e = &cfg->certs[cfg->ncerts];
    *e = ne;
    cfg->ncerts++;
    if (provider) {
        e->provider = provider;
    } else {
        e->local.start = pl_local_sign;
        e->local_key = e->chain.key;
        e->provider = &e->local;
    }
    return PARLEY_OK;
}

int parley_config_add_cert_files(parley_config *cfg, const char *chain_pem, const char *key_pem)
{
    pl_chain chain;
    pl_pkey *key;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, chain_pem);
    PL_CFG_ARG(cfg, key_pem);
    if (cfg->ncerts == PL_MAX_CERTS) return pl_cfg_err(cfg, "too many certificates");
    if (pl_chain_load_pem(chain_pem, &chain) < 0) return pl_cfg_err(cfg, pl_last_message());
    if (pl_key_load_pem(key_pem, &key) < 0) {
        pl_chain_free(&chain);
        return pl_cfg_err(cfg, pl_last_message());
    }
    if (!pl_chain_key_matches(&chain, key)) {
        pl_pkey_free(key);
        pl_chain_free(&chain);
        pl_cfg_errf(cfg, "the private key in %s does not belong to the certificate in %s", key_pem, chain_pem);
        return PARLEY_ERROR;
    }
    chain.key = key;
    return pl_add_entry(cfg, &chain, NULL);
}

int parley_config_add_self_signed(parley_config *cfg, char *fp, size_t fplen)
{
    pl_chain chain;
    PL_CFG_MUTABLE(cfg);
    if (cfg->ncerts == PL_MAX_CERTS) return pl_cfg_err(cfg, "too many certificates");
    if (pl_chain_self_signed(&chain, fp, fplen) < 0) return pl_cfg_err(cfg, pl_last_message());
    return pl_add_entry(cfg, &chain, NULL);
}

int parley_config_add_cert_with_provider(parley_config *cfg, const char *chain_pem, parley_key_provider *provider)
{
    pl_chain chain;
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, chain_pem);
    if (!provider || !provider->start) return pl_cfg_err(cfg, "a key provider needs a start function");
    if (cfg->ncerts == PL_MAX_CERTS) return pl_cfg_err(cfg, "too many certificates");
    if (pl_chain_load_pem(chain_pem, &chain) < 0) return pl_cfg_err(cfg, pl_last_message());
    return pl_add_entry(cfg, &chain, provider);
}

int parley_config_set_ocsp_response_file(parley_config *cfg, int index, const char *path)
{
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, path);
    if (index < 0 || (size_t)index >= cfg->ncerts) return pl_cfg_err(cfg, "no certificate with that index for the OCSP response");
    pl_cert_entry *e = &cfg->certs[index];
    FILE *f = fopen(path, "rb");
    if (!f) {
        pl_cfg_errf(cfg, "cannot open OCSP response %s", path);
        return PARLEY_ERROR;
    }
    uint8_t tmp[4096];
    size_t n;
    int rc = 0;
    /* Read and encode aside; the entry changes only when both worked. A
     * response that does not fit is an error, never a truncated staple. */
    pl_buf ocsp = {0}, msg = {0};
    ocsp.max = 1 << 20;
    while (rc == 0 && (n = fread(tmp, 1, sizeof tmp, f)) > 0) rc = pl_buf_bytes(&ocsp, tmp, n);
    if (rc == 0 && ferror(f)) rc = -1;
    fclose(f);
    if (rc < 0 || ocsp.len == 0) {
        pl_buf_free(&ocsp);
        pl_cfg_errf(cfg, rc < 0 ? "cannot read OCSP response %s (at most 1 MiB)" : "empty OCSP response file %s", path);
        return PARLEY_ERROR;
    }
    /* The TLS 1.3 Certificate with the staple on the leaf (RFC 8446 4.4.2.1), once. */
    pl_buf *b = &msg;
    size_t list, m, ex, sr;
    rc = pl_buf_u8(b, 0);
    if (rc == 0) rc = pl_buf_open(b, 3, &list);
    for (size_t i = 0; rc == 0 && i < e->chain.n; i++) {
        if ((rc = pl_buf_open(b, 3, &m)) < 0 || (rc = pl_buf_bytes(b, e->chain.der[i], e->chain.der_len[i])) < 0 ||
            (rc = pl_buf_close(b, 3, m)) < 0 || (rc = pl_buf_open(b, 2, &ex)) < 0)
            break;
        if (i == 0 && ((rc = pl_buf_u16(b, PL_EXT_STATUS_REQUEST)) < 0 || (rc = pl_buf_open(b, 2, &sr)) < 0 ||
                       (rc = pl_certificate_status_write(b, ocsp.data, ocsp.len)) < 0 || (rc = pl_buf_close(b, 2, sr)) < 0))
            break;
        rc = pl_buf_close(b, 2, ex);
    }
    if (rc == 0) rc = pl_buf_close(b, 3, list);
    if (rc < 0) {
        pl_buf_free(&ocsp);
        pl_buf_free(&msg);
        return pl_cfg_err(cfg, "cannot encode the stapled Certificate message");
    }
    pl_buf_free(&e->ocsp);
    pl_buf_free(&e->cert_msg_ocsp);
    e->ocsp = ocsp;
    e->cert_msg_ocsp = msg;
    return PARLEY_OK;
}

int parley_config_export_cert_pem(const parley_config *cfg, int index, char *pem, size_t len)
{
    if (index < 0 || (size_t)index >= cfg->ncerts) return PARLEY_ERROR;
    return pl_chain_leaf_pem(&cfg->certs[index].chain, pem, len) < 0 ? PARLEY_ERROR : PARLEY_OK;
}
