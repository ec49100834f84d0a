/* buf.c - growable writer; see buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

int pl_buf_reserve(pl_buf *b, size_t more)
{
    size_t need, ncap;
    uint8_t *nd;
    PL_ENSURE(more <= SIZE_MAX - b->len, PL_ERR_INTERNAL, "buffer size overflow");
    need = b->len + more;
    if (need <= b->cap) return 0;
    PL_ENSURE(b->max == 0 || need <= b->max, PL_ERR_INTERNAL, "buffer limit of %zu bytes exceeded", b->max);
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap *= 2;
    if (b->max && ncap > b->max) ncap = b->max;
    /* Not realloc: the old contents may be secret and must be wiped. */
    nd = pl_malloc(ncap);
    PL_ENSURE(nd != NULL, PL_ERR_NOMEM, "out of memory");
    if (b->len) memcpy(nd, b->data, b->len);
    if (b->data) {
        pl_cleanse(b->data, b->cap);
        pl_free(b->data);
    }
    b->data = nd;
    b->cap = ncap;
    return 0;
}

int pl_buf_u8(pl_buf *b, uint8_t v)
{
    PL_GUARD(pl_buf_reserve(b, 1));
    b->data[b->len++] = v;
    return 0;
}

int pl_buf_u16(pl_buf *b, uint16_t v)
{
    PL_GUARD(pl_buf_reserve(b, 2));
    b->data[b->len++] = (uint8_t)(v >> 8);
    b->data[b->len++] = (uint8_t)v;
    return 0;
}

int pl_buf_u24(pl_buf *b, uint32_t v)
{
    PL_ENSURE(v < (1u << 24), PL_ERR_INTERNAL, "value too large for 24 bits");
    PL_GUARD(pl_buf_reserve(b, 3));
    b->data[b->len++] = (uint8_t)(v >> 16);
    b->data[b->len++] = (uint8_t)(v >> 8);
    b->data[b->len++] = (uint8_t)v;
    return 0;
}

int pl_buf_u32(pl_buf *b, uint32_t v)
{
    PL_GUARD(pl_buf_reserve(b, 4));
    b->data[b->len++] = (uint8_t)(v >> 24);
    b->data[b->len++] = (uint8_t)(v >> 16);
    b->data[b->len++] = (uint8_t)(v >> 8);
    b->data[b->len++] = (uint8_t)v;
    return 0;
}

int pl_buf_bytes(pl_buf *b, const void *p, size_t n)
{
    if (n == 0) return 0;
    PL_GUARD(pl_buf_reserve(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int pl_buf_open(pl_buf *b, int width, size_t *mark)
{
    PL_ENSURE(width >= 1 && width <= 3, PL_ERR_INTERNAL, "bad length width");
    PL_GUARD(pl_buf_reserve(b, (size_t)width));
    *mark = b->len;
    memset(b->data + b->len, 0, (size_t)width);
    b->len += (size_t)width;
    return 0;
}

int pl_buf_close(pl_buf *b, int width, size_t mark)
{
    size_t n = b->len - mark - (size_t)width;
    PL_ENSURE(n < ((size_t)1 << (8 * width)), PL_ERR_INTERNAL, "vector of %zu bytes does not fit a %d-byte length", n, width);
    for (int i = width - 1; i >= 0; i--) {
        b->data[mark + (size_t)i] = (uint8_t)n;
        n >>= 8;
    }
    return 0;
}

void pl_buf_consume(pl_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void pl_buf_reset(pl_buf *b)
{
    if (b->data) pl_cleanse(b->data, b->len);
    b->len = 0;
}

void pl_buf_free(pl_buf *b)
{
    if (b->data) {
        pl_cleanse(b->data, b->cap);
        pl_free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}
