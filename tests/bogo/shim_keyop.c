/*
 * shim_keyop.c - the private-key hook under -async: every operation is
 * kept (the handshake pauses with PARLEY_WANT_KEY_OP) and done on the
 * shim's next turn, as BoringSSL's shim does with its async private key
 * method. One connection at a time, so one slot.
 */
#include <stdio.h>
#include <stdlib.h>

#include "shim.h"

typedef struct {
    parley_key_provider base; /* first: the library hands this pointer back */
    parley_key *key;
    parley_key_op *pending;
} shim_provider;

static int kp_start(parley_key_provider *self, parley_key_op *op)
{
    shim_provider *p = (shim_provider *)self;
    if (p->pending) return PARLEY_ERROR;
    p->pending = op;
    return PARLEY_WANT_KEY_OP;
}

static void kp_cancel(parley_key_provider *self, parley_key_op *op)
{
    shim_provider *p = (shim_provider *)self;
    if (p->pending == op) p->pending = NULL;
}

parley_key_provider *shim_keyop_new(const char *key_file)
{
    char err[256];
    shim_provider *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->key = parley_key_load_pem(key_file, err, sizeof err);
    if (!p->key) {
        fprintf(stderr, "shim: key %s: %s\n", key_file, err);
        free(p);
        return NULL;
    }
    p->base.start = kp_start;
    p->base.cancel = kp_cancel;
    return &p->base;
}

int shim_keyop_run(parley_key_provider *self)
{
    shim_provider *p = (shim_provider *)self;
    parley_key_op *op = p->pending;
    if (!op) return 0;
    p->pending = NULL;
    const uint8_t *in;
    size_t inlen;
    parley_key_op_input(op, &in, &inlen);
    if (parley_key_op_type(op) == PARLEY_KEY_OP_RSA_DECRYPT) {
        uint8_t out[48];
        int ok = parley_key_rsa_decrypt_premaster(p->key, in, inlen, parley_key_op_client_version(op), out) == PARLEY_OK;
        parley_key_op_complete(op, ok, out, sizeof out);
    } else {
        uint8_t sig[1024];
        size_t siglen = 0;
        int ok = parley_key_sign(p->key, parley_key_op_scheme(op), in, inlen, sig, &siglen, sizeof sig) == PARLEY_OK;
        parley_key_op_complete(op, ok, sig, siglen);
    }
    return 1;
}

void shim_keyop_free(parley_key_provider *self)
{
    shim_provider *p = (shim_provider *)self;
    if (!p) return;
    parley_key_free(p->key);
    free(p);
}
