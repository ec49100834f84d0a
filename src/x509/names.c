/*
 * names.c - a certificate's text (names, SANs) made safe to put into a
 * reason, a report line or a handshake's error string. A peer chooses these
 * bytes: a commonName "evil\nverify: ok" must not print a forged line, and a
 * BMPString must not come out empty. Control bytes (< 0x20, 0x7f) and bytes
 * that are not valid UTF-8 become \xNN; a backslash becomes \\ (so a SAN
 * holding the four characters "\x0a" cannot pass for an escaped newline);
 * valid UTF-8 text stays as it is.
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

/* The length of the valid UTF-8 sequence at p (RFC 3629 3: shortest form,
 * no surrogates, at most U+10FFFF), or 0. */
static size_t pl_utf8_len(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000;
    else return 0;
    if (left < n) return 0;
    unsigned cp = c & (0xff >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* bs: write a backslash as \\ (raw text); 0 for text whose backslashes
 * are already escapes (X509_NAME_print_ex's RFC 2253 output writes a
 * literal backslash as \\ itself). */
static void pl_escape(const unsigned char *in, size_t len, char *out, size_t n, int bs)
{
    size_t o = 0;
    if (!n) return;
    for (size_t i = 0; i < len;) {
        size_t u = pl_utf8_len(in + i, len - i);
        if (u == 1 && (in[i] < 0x20 || in[i] == 0x7f)) u = 0;
        if (u == 1 && bs && in[i] == '\\') {
            if (o + 2 >= n) break;
            out[o++] = '\\', out[o++] = '\\', i++;
        } else if (u) {
            if (o + u >= n) break; /* never cut a character in two */
            memcpy(out + o, in + i, u);
            o += u, i += u;
        } else {
            if (o + 4 >= n) break;
            snprintf(out + o, n - o, "\\x%02x", in[i]);
            o += 4, i++;
        }
    }
    out[o] = 0;
}

void pl_text_escape(const unsigned char *in, size_t len, char *out, size_t n) { pl_escape(in, len, out, n, 1); }

void pl_name_slash(const X509_NAME *nm, char *out, size_t n)
{
    size_t o = 0;
    if (!n) return;
    out[0] = 0;
    for (int i = 0; i < X509_NAME_entry_count(nm) && o + 1 < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
        unsigned char *u = NULL;
        int ul = ASN1_STRING_to_UTF8(&u, s);
        char val[256];
        /* Whatever its string type, as UTF-8; the value escaped with a
         * backslash doubled, so "\x0a" typed in a name never reads as an
         * escaped newline. */
        if (ul >= 0) pl_escape(u, (size_t)ul, val, sizeof val, 1);
        else pl_escape(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), val, sizeof val, 1);
        OPENSSL_free(u);
        int w = snprintf(out + o, n - o, "/%s=%s", sn ? sn : "?", val);
        if (w < 0 || (size_t)w >= n - o) {
            out[o] = 0; /* a whole entry or none: never half a character */
            break;
        }
        o += (size_t)w;
    }
    ERR_clear_error();
}

void pl_name_text(const X509_NAME *nm, char *out, size_t n)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long l = 0;
    if (n) out[0] = 0;
    /* RFC 2253-style escaping (control characters as \NN), UTF-8 kept. */
    if (b && X509_NAME_print_ex(b, nm, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) l = BIO_get_mem_data(b, &p);
    if (l > 0) pl_escape((const unsigned char *)p, (size_t)l, out, n, 0);
    else {
        pl_name_slash(nm, out, n);
    }
    BIO_free(b);
    ERR_clear_error();
}

void pl_cert_name(const X509 *x, char *out, size_t n) { pl_name_cn(X509_get_subject_name(x), out, n); }

void pl_name_cn(const X509_NAME *nm, char *out, size_t n)
{
    int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
    const ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)) : NULL;
    unsigned char *u = NULL;
    /* Whatever its string type (BMPString, UniversalString ...), as UTF-8. */
    int ul = s ? ASN1_STRING_to_UTF8(&u, s) : -1;
    if (ul >= 0) pl_text_escape(u, (size_t)ul, out, n);
    else if (s) pl_text_escape(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), out, n);
    else pl_name_text(nm, out, n);
    OPENSSL_free(u);
    ERR_clear_error();
}
