/*
 * pemlist.c - parley_cert_list: the CERTIFICATE blocks of PEM text (RFC 7468)
 * as DER, for parley_verify_chain, with a clear sentence for each way a file
 * is not that (empty, DER, a key, junk, a corrupt block). Bounded: at most
 * PARLEY_CERT_LIST_MAX_INPUT bytes and PARLEY_CERT_LIST_MAX certificates;
 * every block is decoded within the input and checked as one whole DER
 * certificate (libcrypto's parser, with nothing after it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../include/parley/parley.h"
#include "../util/mem.h"
#include "x509.h"

struct parley_cert_list {
    size_t n;
    uint8_t *der[PARLEY_CERT_LIST_MAX];
    size_t len[PARLEY_CERT_LIST_MAX];
};

static int pl_pem_err(char *err, size_t errlen, const char *fmt, ...) PL_PRINTF(3, 4);
static int pl_pem_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return PARLEY_ERROR;
}

static int pl_b64(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode base64 text [p, end) skipping whitespace; out has room for
 * 3/4 of the input. Returns the length, or -1 for a character outside the
 * alphabet, padding in the middle or a length that is not whole. */
static long pl_b64_decode(const uint8_t *p, const uint8_t *end, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    long o = 0;
    for (; p < end; p++) {
        int c = *p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = pl_b64(c);
        if (v < 0 || pad) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Leftover bits: 0 (no padding), 4 ("==" may follow), 2 ("=" may follow) */
    if (pad > 2 || (bits == 0 && pad) || (bits == 4 && pad != 0 && pad != 2) || (bits == 2 && pad != 0 && pad != 1) || bits == 6) return -1;
    return o;
}

/* The line number of position p (1-based), for messages. */
static int pl_line_of(const uint8_t *start, const uint8_t *p)
{
    int line = 1;
    for (const uint8_t *q = start; q < p; q++) line += *q == '\n';
    return line;
}

static const uint8_t *pl_find(const uint8_t *p, const uint8_t *end, const char *s)
{
    size_t n = strlen(s);
    for (; p && (size_t)(end - p) >= n; p++)
        if (*p == (uint8_t)s[0] && !memcmp(p, s, n)) return p;
    return NULL;
}

void parley_cert_list_free(parley_cert_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) pl_free(l->der[i]);
    pl_free(l);
}

int parley_cert_list_from_pem(const uint8_t *pem, size_t len, parley_cert_list **out, char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!out || (!pem && len)) return pl_pem_err(err, errlen, "no input");
    if (len > PARLEY_CERT_LIST_MAX_INPUT) return pl_pem_err(err, errlen, "input larger than %d bytes", PARLEY_CERT_LIST_MAX_INPUT);
    size_t ws = 0;
    while (ws < len && (pem[ws] == ' ' || pem[ws] == '\t' || pem[ws] == '\r' || pem[ws] == '\n')) ws++;
    if (ws == len) return pl_pem_err(err, errlen, "empty input");
    const uint8_t *end = pem + len;
    /* A DER certificate starts with a SEQUENCE (0x30) and a long length. */
    if (pem[0] == 0x30 && len > 1 && (pem[1] == 0x82 || pem[1] == 0x81 || pem[1] == 0x83) && !pl_find(pem, end, "-----BEGIN "))
        return pl_pem_err(err, errlen, "DER data, not PEM");
    parley_cert_list *l = pl_calloc(1, sizeof *l);
    if (!l) return pl_pem_err(err, errlen, "out of memory");
    char other[64] = "";
    int blocks = 0;
    const uint8_t *p = pem;
    while ((p = pl_find(p, end, "-----BEGIN ")) != NULL) {
        const uint8_t *label = p + 11, *le = pl_find(label, end, "-----");
        blocks++;
        if (!le || le - label > 40 || memchr(label, '\n', (size_t)(le - label))) {
            parley_cert_list_free(l);
            return pl_pem_err(err, errlen, "block %d (line %d): malformed BEGIN line", blocks, pl_line_of(pem, p));
        }
        char name[48];
        snprintf(name, sizeof name, "%.*s", (int)(le - label), (const char *)label);
        char endline[80];
        snprintf(endline, sizeof endline, "-----END %s-----", name);
        const uint8_t *body = le + 5, *bend = pl_find(body, end, endline);
        if (!bend) {
            parley_cert_list_free(l);
            return pl_pem_err(err, errlen, "block %d (line %d, %s): no END line", blocks, pl_line_of(pem, p), name);
        }
        p = bend + strlen(endline);
        /* OpenSSL's own format: the certificate followed by trust settings,
         * which mean nothing here; refused with what to do rather than read
         * as a certificate it is not. */
        if (!strcmp(name, "TRUSTED CERTIFICATE")) {
            size_t k = l->n + 1;
            parley_cert_list_free(l);
            return pl_pem_err(err, errlen,
                              "certificate %zu (line %d): a TRUSTED CERTIFICATE block (OpenSSL's format with trust settings), not a "
                              "plain certificate; convert it with: openssl x509 -in FILE -out cert.pem",
                              k, pl_line_of(pem, body));
        }
        if (strcmp(name, "CERTIFICATE") && strcmp(name, "X509 CERTIFICATE")) {
            if (!other[0]) snprintf(other, sizeof other, "%s", name);
            continue;
        }
        if (l->n == PARLEY_CERT_LIST_MAX) {
            parley_cert_list_free(l);
            return pl_pem_err(err, errlen, "more than %d certificates", PARLEY_CERT_LIST_MAX);
        }
        uint8_t *der = pl_malloc((size_t)(bend - body) / 4 * 3 + 3);
        long dl = der ? pl_b64_decode(body, bend, der) : -1;
        pl_cert *c = NULL;
        const char *why = !der ? "out of memory" : dl <= 0 ? "bad base64" : NULL;
        if (!why && pl_cert_from_der(der, (size_t)dl, &c) < 0) why = "not a valid DER certificate";
        pl_cert_free(c);
        if (why) {
            pl_free(der);
            size_t k = l->n + 1;
            parley_cert_list_free(l);
            /* The line of its BEGIN. */
            return pl_pem_err(err, errlen, "certificate %zu (line %d): %s", k, pl_line_of(pem, body), why);
        }
        l->der[l->n] = der;
        l->len[l->n++] = (size_t)dl;
    }
    if (l->n == 0) {
        parley_cert_list_free(l);
        if (other[0] && strstr(other, "PRIVATE KEY")) return pl_pem_err(err, errlen, "holds a %s, not a certificate", other);
        if (other[0]) return pl_pem_err(err, errlen, "holds a %s block, not a certificate", other);
        return pl_pem_err(err, errlen, "no PEM certificate found");
    }
    *out = l;
    return PARLEY_OK;
}

size_t parley_cert_list_count(const parley_cert_list *l) { return l ? l->n : 0; }

const uint8_t *parley_cert_list_der(const parley_cert_list *l, size_t i, size_t *len)
{
    if (!l || i >= l->n) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = l->len[i];
    return l->der[i];
}
