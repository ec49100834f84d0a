/* raw_hello.c - see raw_hello.h. */
#include "raw_hello.h"

#include <stdlib.h>
#include <string.h>

static void *rh_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* a test helper: out of memory ends the test run */
    return q;
}

void rh_bytes(rh_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = rh_xrealloc(b->p, b->cap);
    }
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
}
void rh_u8(rh_buf *b, uint8_t v) { rh_bytes(b, &v, 1); }
void rh_u16(rh_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    rh_bytes(b, x, 2);
}
void rh_u24(rh_buf *b, uint32_t v)
{
    uint8_t x[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    rh_bytes(b, x, 3);
}
void rh_buf_free(rh_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void rh_init(raw_hello *h)
{
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
    memset(h, 0, sizeof *h);
    h->legacy_version = 0x0303;
    for (int i = 0; i < 32; i++) h->random[i] = (uint8_t)(0xa0 + i);
    for (int i = 0; i < 32; i++) h->session_id[i] = (uint8_t)(0x50 + i);
    h->session_id_len = 32;
    rh_set_suites(h, suites, 3);
    rh_u8(&h->compression, 0);
}

void rh_free(raw_hello *h)
{
    for (size_t i = 0; i < h->n_ext; i++) free(h->ext[i].body);
    free(h->ext);
    rh_buf_free(&h->suites);
    rh_buf_free(&h->compression);
    memset(h, 0, sizeof *h);
}

static uint8_t *rh_dup(const void *p, size_t n)
{
    uint8_t *d = rh_xrealloc(NULL, n);
    if (n) memcpy(d, p, n);
    return d;
}

void rh_copy(raw_hello *dst, const raw_hello *src)
{
    *dst = *src;
    memset(&dst->suites, 0, sizeof dst->suites);
    memset(&dst->compression, 0, sizeof dst->compression);
    rh_bytes(&dst->suites, src->suites.p, src->suites.len);
    rh_bytes(&dst->compression, src->compression.p, src->compression.len);
    dst->ext = rh_xrealloc(NULL, sizeof *dst->ext * (src->n_ext ? src->n_ext : 1));
    dst->cap_ext = src->n_ext;
    for (size_t i = 0; i < src->n_ext; i++) {
        dst->ext[i] = src->ext[i];
        dst->ext[i].body = rh_dup(src->ext[i].body, src->ext[i].len);
    }
}

void rh_set_suites(raw_hello *h, const uint16_t *suites, size_t n)
{
    h->suites.len = 0;
    for (size_t i = 0; i < n; i++) rh_u16(&h->suites, suites[i]);
}

void rh_insert(raw_hello *h, size_t pos, uint16_t type, const void *body, size_t len)
{
    if (h->n_ext == h->cap_ext) {
        h->cap_ext = h->cap_ext * 2 + 16;
        h->ext = rh_xrealloc(h->ext, sizeof *h->ext * h->cap_ext);
    }
    if (pos > h->n_ext) pos = h->n_ext;
    memmove(h->ext + pos + 1, h->ext + pos, sizeof *h->ext * (h->n_ext - pos));
    h->ext[pos].type = type;
    h->ext[pos].body = rh_dup(body, len);
    h->ext[pos].len = len;
    h->n_ext++;
}

void rh_add(raw_hello *h, uint16_t type, const void *body, size_t len) { rh_insert(h, h->n_ext, type, body, len); }
void rh_add_buf(raw_hello *h, uint16_t type, const rh_buf *body) { rh_add(h, type, body->p, body->len); }

void rh_remove(raw_hello *h, size_t pos)
{
    if (pos >= h->n_ext) return;
    free(h->ext[pos].body);
    memmove(h->ext + pos, h->ext + pos + 1, sizeof *h->ext * (h->n_ext - pos - 1));
    h->n_ext--;
}

void rh_set_body(raw_hello *h, size_t pos, const void *body, size_t len)
{
    free(h->ext[pos].body);
    h->ext[pos].body = rh_dup(body, len);
    h->ext[pos].len = len;
}

void rh_swap(raw_hello *h, size_t i, size_t j)
{
    rh_ext t = h->ext[i];
    h->ext[i] = h->ext[j];
    h->ext[j] = t;
}

int rh_find(const raw_hello *h, uint16_t type)
{
    for (size_t i = 0; i < h->n_ext; i++)
        if (h->ext[i].type == type) return (int)i;
    return -1;
}

void rh_versions_body(rh_buf *b, const uint16_t *v, size_t n)
{
    rh_u8(b, (uint8_t)(2 * n));
    for (size_t i = 0; i < n; i++) rh_u16(b, v[i]);
}

void rh_u16_list_body(rh_buf *b, const uint16_t *v, size_t n)
{
    rh_u16(b, (uint16_t)(2 * n));
    for (size_t i = 0; i < n; i++) rh_u16(b, v[i]);
}

void rh_share(rh_buf *entries, uint16_t group, const void *ke, size_t len)
{
    rh_u16(entries, group);
    rh_u16(entries, (uint16_t)len);
    rh_bytes(entries, ke, len);
}

void rh_key_share_body(rh_buf *b, const rh_buf *entries)
{
    rh_u16(b, (uint16_t)entries->len);
    rh_bytes(b, entries->p, entries->len);
}

void rh_add_tls13(raw_hello *h, const uint16_t *groups, size_t ngroups, const rh_buf *shares)
{
    static const uint16_t v13[] = {0x0304}, sigalgs[] = {0x0403, 0x0804};
    rh_buf b = {0};
    rh_versions_body(&b, v13, 1);
    rh_add_buf(h, 43, &b);
    b.len = 0;
    rh_u16_list_body(&b, groups, ngroups);
    rh_add_buf(h, 10, &b);
    b.len = 0;
    rh_u16_list_body(&b, sigalgs, 2);
    rh_add_buf(h, 13, &b);
    b.len = 0;
    rh_key_share_body(&b, shares);
    rh_add_buf(h, 51, &b);
    rh_buf_free(&b);
}

size_t rh_extensions_len(const raw_hello *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_ext; i++) n += 4 + h->ext[i].len;
    return n;
}

void rh_message(const raw_hello *h, rh_buf *out)
{
    rh_buf body = {0};
    rh_u16(&body, h->legacy_version);
    rh_bytes(&body, h->random, 32);
    rh_u8(&body, (uint8_t)h->session_id_len);
    rh_bytes(&body, h->session_id, h->session_id_len);
    rh_u16(&body, (uint16_t)h->suites.len);
    rh_bytes(&body, h->suites.p, h->suites.len);
    rh_u8(&body, (uint8_t)h->compression.len);
    rh_bytes(&body, h->compression.p, h->compression.len);
    if (!h->no_extensions) {
        rh_u16(&body, (uint16_t)rh_extensions_len(h));
        for (size_t i = 0; i < h->n_ext; i++) {
            rh_u16(&body, h->ext[i].type);
            rh_u16(&body, (uint16_t)h->ext[i].len);
            rh_bytes(&body, h->ext[i].body, h->ext[i].len);
        }
    }
    rh_u8(out, 1);
    rh_u24(out, (uint32_t)body.len);
    rh_bytes(out, body.p, body.len);
    rh_buf_free(&body);
}

void rh_records(const uint8_t *msg, size_t len, size_t frag, rh_buf *out)
{
    if (!frag) frag = 16384;
    for (size_t off = 0; off < len; off += frag) {
        size_t n = len - off < frag ? len - off : frag;
        rh_u8(out, 22);
        rh_u16(out, 0x0301);
        rh_u16(out, (uint16_t)n);
        rh_bytes(out, msg + off, n);
    }
}

void rh_hello_records(const raw_hello *h, rh_buf *out)
{
    rh_buf m = {0};
    rh_message(h, &m);
    rh_records(m.p, m.len, 0, out);
    rh_buf_free(&m);
}
