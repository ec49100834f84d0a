/* cursor.c - bounds-checked reads; see cursor.h. */
#include "cursor.h"

#include <string.h>

#define PL_NEED(c, n) PL_ENSURE((c)->len >= (n), PL_ERR_DECODE, "message truncated: need %zu bytes, %zu left", (size_t)(n), (c)->len)

int pl_cur_u8(pl_cursor *c, uint8_t *v)
{
    PL_NEED(c, 1);
    *v = c->p[0];
    c->p += 1;
    c->len -= 1;
    return 0;
}

int pl_cur_u16(pl_cursor *c, uint16_t *v)
{
    PL_NEED(c, 2);
    *v = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->len -= 2;
    return 0;
}

int pl_cur_u24(pl_cursor *c, uint32_t *v)
{
    PL_NEED(c, 3);
    *v = ((uint32_t)c->p[0] << 16) | ((uint32_t)c->p[1] << 8) | c->p[2];
    c->p += 3;
    c->len -= 3;
    return 0;
}

int pl_cur_u32(pl_cursor *c, uint32_t *v)
{
    PL_NEED(c, 4);
    *v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    c->len -= 4;
    return 0;
}

int pl_cur_bytes(pl_cursor *c, size_t n, const uint8_t **out)
{
    PL_NEED(c, n);
    *out = c->p;
    c->p += n;
    c->len -= n;
    return 0;
}

int pl_cur_copy(pl_cursor *c, uint8_t *dst, size_t n)
{
    PL_NEED(c, n);
    if (n) memcpy(dst, c->p, n);
    c->p += n;
    c->len -= n;
    return 0;
}

int pl_cur_skip(pl_cursor *c, size_t n)
{
    PL_NEED(c, n);
    c->p += n;
    c->len -= n;
    return 0;
}

int pl_cur_sub(pl_cursor *c, size_t n, pl_cursor *child)
{
    PL_NEED(c, n);
    child->p = c->p;
    child->len = n;
    c->p += n;
    c->len -= n;
    return 0;
}

int pl_cur_vec8(pl_cursor *c, pl_cursor *child)
{
    uint8_t n;
    PL_GUARD(pl_cur_u8(c, &n));
    return pl_cur_sub(c, n, child);
}

int pl_cur_vec16(pl_cursor *c, pl_cursor *child)
{
    uint16_t n;
    PL_GUARD(pl_cur_u16(c, &n));
    return pl_cur_sub(c, n, child);
}

int pl_cur_vec24(pl_cursor *c, pl_cursor *child)
{
    uint32_t n;
    PL_GUARD(pl_cur_u24(c, &n));
    return pl_cur_sub(c, n, child);
}

int pl_cur_expect_empty(const pl_cursor *c)
{
    PL_ENSURE(c->len == 0, PL_ERR_DECODE, "%zu unexpected trailing bytes", c->len);
    return 0;
}
