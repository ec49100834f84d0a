/* ticket.c - see ticket.h. */
#include "ticket.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../crypto/crypto.h"
#include "../util/mem.h"

/* 2n hex digits to n bytes: 0, or -1 at a character that is not one. */
static int hex_bytes(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) || sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The next line of text[*pos..len) into line[cap], without its end of line and
 * trailing blanks: 1, 0 at the end of the text, -1 for a line too long. */
static int next_line(const char *text, size_t len, size_t *pos, char *line, size_t cap)
{
    if (*pos >= len) return 0;
    const char *s = text + *pos, *nl = memchr(s, '\n', len - *pos);
    size_t l = nl ? (size_t)(nl - s) : len - *pos;
    *pos += l + (nl != NULL);
    if (l >= cap) return -1;
    memcpy(line, s, l);
    line[l] = 0;
    l = strlen(line); /* a NUL ends it early */
    while (l && isspace((unsigned char)line[l - 1])) line[--l] = 0;
    return 1;
}

/* A small text file (key files are a few lines) into buf[cap]. */
static int read_small_file(const char *path, const char *what, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "r");
    PL_ENSURE(f, PL_ERR_USAGE, "cannot open %s %s", what, path);
    *len = fread(buf, 1, cap, f);
    int too_big = *len == cap && fgetc(f) != EOF;
    fclose(f);
    if (too_big) pl_cleanse(buf, cap);
    PL_ENSURE(!too_big, PL_ERR_USAGE, "%s %s is longer than %zu bytes", what, path, cap - 1);
    return 0;
}

int pl_ticket_secret_parse(const char *text, size_t len, const char *name, uint8_t *out, size_t cap, size_t *outlen)
{
    char line[512];
    size_t pos = 0;
    int rc = 1, more; /* rc 1: no line yet */
    while (rc == 1 && (more = next_line(text, len, &pos, line, sizeof line)) != 0) {
        size_t l = more > 0 ? strlen(line) : 0;
        if (more > 0 && (l == 0 || line[0] == '#')) continue;
        if (more < 0 || l < 32 || l > 2 * cap || l % 2 || hex_bytes(line, l / 2, out) < 0) {
            rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "%s: a ticket secret is 32 to %zu hex digits on one line (openssl rand -hex 32)",
                         name, 2 * cap);
        } else {
            *outlen = l / 2;
            rc = 0;
        }
    }
    if (rc == 1) rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "no ticket secret in %s", name);
    pl_cleanse(line, sizeof line);
    return rc;
}

int pl_ticket_secret_load(const char *path, uint8_t *out, size_t cap, size_t *len)
{
    char text[4096];
    size_t n;
    PL_GUARD(read_small_file(path, "the ticket secret", text, sizeof text, &n));
    int rc = pl_ticket_secret_parse(text, n, path, out, cap, len);
    pl_cleanse(text, sizeof text);
    return rc;
}

int pl_ticket_ring_parse(pl_ticket_ring *r, const char *text, size_t len, const char *name)
{
    char line[256];
    uint8_t raw[PL_TICKET_KEYS * PL_TICKET_KEY_LEN];
    size_t n = 0, pos = 0;
    int lineno = 0, rc = 0, more;
    while (rc == 0 && (more = next_line(text, len, &pos, line, sizeof line)) != 0) {
        lineno++;
        size_t l = more > 0 ? strlen(line) : 0;
        if (more > 0 && (l == 0 || line[0] == '#')) continue;
        if (more < 0 || l != 2 * PL_TICKET_KEY_LEN || n == PL_TICKET_KEYS)
            rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "%s line %d: a ticket key is 96 hex digits (at most %d keys)", name,
                         lineno, PL_TICKET_KEYS);
        else if (hex_bytes(line, PL_TICKET_KEY_LEN, raw + n++ * PL_TICKET_KEY_LEN) < 0)
            rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "%s line %d: not hex", name, lineno);
    }
    pl_cleanse(line, sizeof line);
    if (rc == 0 && n == 0) rc = pl_fail(PL_ERR_USAGE, __FILE__, __LINE__, "no ticket key in %s", name);
    /* Keys from a file are rotated by rewriting the file, not by time. */
    if (rc == 0) rc = pl_ticket_ring_from_bytes(r, raw, n);
    pl_cleanse(raw, sizeof raw);
    return rc;
}

int pl_ticket_ring_load(pl_ticket_ring *r, const char *path)
{
    char text[4096];
    size_t n;
    PL_GUARD(read_small_file(path, "ticket key file", text, sizeof text, &n));
    int rc = pl_ticket_ring_parse(r, text, n, path);
    pl_cleanse(text, sizeof text);
    return rc;
}

int pl_ticket_ring_from_bytes(pl_ticket_ring *r, const uint8_t *keys, size_t n)
{
    PL_ENSURE(n >= 1 && n <= PL_TICKET_KEYS, PL_ERR_USAGE, "1 to %d ticket keys", PL_TICKET_KEYS);
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        memcpy(r->keys[i].name, keys + i * PL_TICKET_KEY_LEN, 16);
        memcpy(r->keys[i].key, keys + i * PL_TICKET_KEY_LEN + 16, 32);
    }
    r->n = (int)n;
    r->from_file = 1;
    r->made = time(NULL);
    return 0;
}

int pl_ticket_ring_generate(pl_ticket_ring *r)
{
    memset(r, 0, sizeof *r);
    PL_GUARD(pl_random((uint8_t *)&r->keys[0], sizeof r->keys[0]));
    r->n = 1;
    r->made = time(NULL);
    return 0;
}

/* The keys of a derived ring for period e: e seals, e + 1 opens (another
 * host's clock may have crossed the boundary first), e - 1 ... e - 6 open
 * tickets sealed earlier that are still within their lifetime. */
static int derive_keys(pl_ticket_ring *r, int64_t e)
{
    static const int64_t offsets[PL_TICKET_KEYS] = {0, 1, -1, -2, -3, -4, -5, -6};
    for (int i = 0; i < PL_TICKET_KEYS; i++) {
        uint8_t info[17 + 8];
        uint64_t k = (uint64_t)(e + offsets[i]);
        memcpy(info, "parley ticket key", 17);
        for (int b = 0; b < 8; b++) info[17 + b] = (uint8_t)(k >> (56 - 8 * b));
        PL_GUARD(pl_hkdf_expand(PL_SHA256, r->prk, info, sizeof info, (uint8_t *)&r->keys[i], sizeof r->keys[i]));
    }
    r->n = PL_TICKET_KEYS;
    r->epoch = e;
    return 0;
}

int pl_ticket_ring_derive(pl_ticket_ring *r, const uint8_t *secret, size_t len, time_t now, time_t period)
{
    PL_ENSURE(len >= 16, PL_ERR_USAGE, "a ticket secret needs at least 16 bytes");
    PL_ENSURE(period > 0, PL_ERR_USAGE, "a ticket rotation period is at least one second");
    memset(r, 0, sizeof *r);
    static const uint8_t salt[] = "parley ticket secret";
    PL_GUARD(pl_hkdf_extract(PL_SHA256, salt, sizeof salt - 1, secret, len, r->prk));
    r->derived = 1;
    return derive_keys(r, (int64_t)(now / period));
}

int pl_ticket_ring_rotate(pl_ticket_ring *r, time_t now, time_t period)
{
    if (r->derived) {
        int64_t e = (int64_t)(now / period);
        return e == r->epoch ? 0 : derive_keys(r, e);
    }
    if (r->from_file || now - r->made < period) return 0; /* a shared ring is rotated by whoever writes the file */
    int keep = r->n < PL_TICKET_KEYS ? r->n : PL_TICKET_KEYS - 1;
    memmove(&r->keys[1], &r->keys[0], (size_t)keep * sizeof r->keys[0]);
    PL_GUARD(pl_random((uint8_t *)&r->keys[0], sizeof r->keys[0]));
    r->n = keep + 1;
    r->made = now;
    return 0;
}

/* The key that seals values of one kind under ring key k. Tickets use k's
 * AES key as it is (the format RFC 5077 4 recommends, unchanged so that
 * tickets issued before keep opening). Cache values use a key derived from
 * it, HKDF-Expand(k.key, "parley cache value key", 32) (RFC 5869 2.3; the ring
 * key is uniformly random, so it serves as the PRK): a ticket never opens as a
 * cache value and a cache value never opens as a ticket, though both come
 * from one ring and rotate with it. */
static int kind_key(const pl_ticket_key *k, int kind, uint8_t out[32])
{
    static const uint8_t label[] = "parley cache value key";
    if (kind == PL_SEAL_TICKET) {
        memcpy(out, k->key, 32);
        return 0;
    }
    return pl_hkdf_expand(PL_SHA256, k->key, label, sizeof label - 1, out, 32);
}

/* Additional data: the key name, then (cache values) the cache id, so that a
 * value moved to another id does not open (RFC 5077 5.3: what the server gets
 * back must be exactly what it issued, for that session). */
static size_t kind_aad(const pl_ticket_key *k, const uint8_t *id, size_t idlen, uint8_t aad[16 + PL_SEAL_MAX_ID])
{
    memcpy(aad, k->name, 16);
    if (idlen) memcpy(aad + 16, id, idlen); /* tickets: no id (NULL) */
    return 16 + idlen;
}

int pl_seal_key(const pl_ticket_key *k, int kind, const uint8_t *id, size_t idlen, const uint8_t *plain, size_t len, pl_buf *out)
{
    uint8_t nonce[PL_AEAD_NONCE], key[32], aad[16 + PL_SEAL_MAX_ID];
    PL_ENSURE(idlen <= PL_SEAL_MAX_ID && (kind == PL_SEAL_CACHE || idlen == 0), PL_ERR_INTERNAL, "bad id for a sealed value");
    PL_GUARD(pl_random(nonce, sizeof nonce));
    PL_GUARD(kind_key(k, kind, key));
    size_t aadlen = kind_aad(k, id, idlen, aad);
    pl_aead *a = pl_aead_new(PL_AES_256_GCM, key, 1);
    pl_cleanse(key, sizeof key);
    PL_ENSURE(a, PL_ERR_CRYPTO, "cannot set up ticket encryption");
    int rc = pl_buf_reserve(out, 16 + sizeof nonce + len + PL_AEAD_TAG);
    if (rc == 0) {
        uint8_t *p = out->data + out->len;
        memcpy(p, k->name, 16);
        memcpy(p + 16, nonce, sizeof nonce);
        memcpy(p + 28, plain, len);
        rc = pl_aead_seal(a, nonce, aad, aadlen, p + 28, len, p + 28 + len);
        if (rc == 0) out->len += 28 + len + PL_AEAD_TAG;
    }
    pl_aead_free(a);
    return rc;
}

int pl_seal(const pl_ticket_ring *r, int kind, const uint8_t *id, size_t idlen, const uint8_t *plain, size_t len, pl_buf *out)
{
    PL_ENSURE(r->n > 0, PL_ERR_INTERNAL, "no ticket key");
    return pl_seal_key(&r->keys[0], kind, id, idlen, plain, len, out);
}

int pl_ticket_ring_find(const pl_ticket_ring *r, const uint8_t *t, size_t len)
{
    if (len < 16) return -1;
    for (int i = 0; i < r->n; i++)
        if (pl_ct_memcmp(r->keys[i].name, t, 16) == 0) return i;
    return -1; /* unknown or retired key */
}

int pl_open_key(const pl_ticket_key *k, int kind, const uint8_t *id, size_t idlen, const uint8_t *t, size_t len, pl_buf *plain)
{
    if (len < 28 + PL_AEAD_TAG + 1 || idlen > PL_SEAL_MAX_ID || (kind == PL_SEAL_TICKET && idlen)) return -1;
    if (pl_ct_memcmp(k->name, t, 16) != 0) return -1;
    uint8_t key[32], aad[16 + PL_SEAL_MAX_ID];
    size_t clen = len - 28 - PL_AEAD_TAG, aadlen = kind_aad(k, id, idlen, aad);
    pl_buf_reset(plain);
    if (pl_buf_bytes(plain, t + 28, clen) < 0 || kind_key(k, kind, key) < 0) {
        pl_clear_error();
        pl_buf_reset(plain);
        return -1;
    }
    pl_aead *a = pl_aead_new(PL_AES_256_GCM, key, 0);
    pl_cleanse(key, sizeof key);
    int rc = a ? pl_aead_open(a, t + 16, aad, aadlen, plain->data, clen, t + 28 + clen) : -1;
    pl_aead_free(a);
    pl_clear_error(); /* a bad ticket or cache value is not an error of the connection */
    if (rc < 0) pl_buf_reset(plain);
    return rc < 0 ? -1 : 0;
}

int pl_open(const pl_ticket_ring *r, int kind, const uint8_t *id, size_t idlen, const uint8_t *t, size_t len, pl_buf *plain)
{
    if (len < 28 + PL_AEAD_TAG + 1) return -1;
    int i = pl_ticket_ring_find(r, t, len);
    return i < 0 ? -1 : pl_open_key(&r->keys[i], kind, id, idlen, t, len, plain);
}
