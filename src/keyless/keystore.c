/* keystore.c - a key server's keys, and its answer to one request. The
 * answer carries a signature, a premaster (decrypted with deterministic implicit rejection,
 * so the key server is neither a padding nor a raw-RSA oracle) or a typed
 * error; never key material, and never an operation it was not asked for. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"

#define KS_MAX 256

struct parley_keystore {
    parley_key *keys[KS_MAX];
    int n;
};

parley_keystore *parley_keystore_load_dir(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open key directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    parley_keystore *ks = pl_calloc(1, sizeof *ks);
    struct dirent *e;
    if (!ks) snprintf(err, errlen, "out of memory");
    while (ks && (e = readdir(d)) != NULL) {
        /* NAME.pem or NAME.key (the usual name of a private key), PEM in
         * either case. Both for one NAME is refused, naming both: one may
         * be a certificate, or two different keys; which one is meant is
         * not for the key server to guess (docs/keyless.md). */
        size_t l = strlen(e->d_name);
        int pem = l >= 5 && strcmp(e->d_name + l - 4, ".pem") == 0;
        if (l < 5 || (!pem && strcmp(e->d_name + l - 4, ".key") != 0)) continue;
        char path[4096], other[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(other, sizeof other, "%s/%.*s%s", dir, (int)(l - 4), e->d_name, pem ? ".key" : ".pem");
        if (access(other, F_OK) == 0) {
            snprintf(err, errlen, "both %s and %s in the key directory: keep one (the key) and move the other away",
                     pem ? other : path, pem ? path : other);
            parley_keystore_free(ks);
            ks = NULL;
            break;
        }
        parley_key *k = parley_key_load_pem(path, err, errlen);
        if (!k || ks->n == KS_MAX) {
            if (!k) {
                char why[256]; /* the loader's reason, e.g. out of memory */
                snprintf(why, sizeof why, "%s", errlen ? err : "");
                snprintf(err, errlen, "cannot load a private key from %s: %s", path, why);
            }
            else snprintf(err, errlen, "more than %d keys", KS_MAX);
            parley_key_free(k);
            parley_keystore_free(ks);
            ks = NULL;
            break;
        }
        ks->keys[ks->n++] = k;
    }
    closedir(d);
    if (ks && ks->n == 0) {
        snprintf(err, errlen, "no private key (NAME.key or NAME.pem) in %s", dir);
        parley_keystore_free(ks);
        ks = NULL;
    }
    return ks;
}

void parley_keystore_free(parley_keystore *ks)
{
    if (!ks) return;
    for (int i = 0; i < ks->n; i++) parley_key_free(ks->keys[i]);
    pl_free(ks);
}

int parley_keystore_count(const parley_keystore *ks) { return ks->n; }

int parley_keystore_answer(const parley_keystore *ks, const parley_keyless_msg *req, uint8_t *out, size_t cap, size_t *len)
{
    parley_keyless_msg r = {0};
    uint8_t result[1024];
    size_t rlen = 0;
    const parley_key *key = NULL;
    r.id = req->id;
    r.status = PARLEY_KEYLESS_OK;
    for (int i = 0; i < ks->n && !key; i++) {
        uint8_t id[32];
        parley_key_id(ks->keys[i], id);
        if (memcmp(id, req->key_id, 32) == 0) key = ks->keys[i];
    }
    if (req->deadline_ms && pl_now_ms() > req->deadline_ms) {
        r.status = PARLEY_KEYLESS_DEADLINE_PASSED;
    } else if (req->opcode == PARLEY_KEYLESS_PING) {
        r.payload = req->payload;
        r.payload_len = req->payload_len;
    } else if (req->opcode != PARLEY_KEYLESS_SIGN && req->opcode != PARLEY_KEYLESS_RSA_DECRYPT) {
        r.status = PARLEY_KEYLESS_UNSUPPORTED;
    } else if (!key) {
        r.status = PARLEY_KEYLESS_KEY_NOT_FOUND;
    } else if (req->payload_len == 0 || req->payload_len > 1900) {
        r.status = PARLEY_KEYLESS_BAD_INPUT;
    } else if (req->opcode == PARLEY_KEYLESS_SIGN) {
        if (parley_key_sign(key, req->scheme, req->payload, req->payload_len, result, &rlen, sizeof result) != PARLEY_OK)
            r.status = PARLEY_KEYLESS_UNSUPPORTED; /* the key cannot make this scheme */
    } else {
        if (parley_key_rsa_decrypt_premaster(key, req->payload, req->payload_len, req->client_version, result) != PARLEY_OK)
            r.status = PARLEY_KEYLESS_UNSUPPORTED; /* not an RSA key */
        else
            rlen = 48;
    }
    if (r.status == PARLEY_KEYLESS_OK && req->opcode != PARLEY_KEYLESS_PING) {
        r.payload = result;
        r.payload_len = rlen;
    }
    int rc = parley_keyless_encode(&r, 1, out, cap, len);
    pl_cleanse(result, sizeof result);
    return rc;
}
