/*
 * cursor.h - the one bounds-checked reader for all wire data.
 *
 * A pl_cursor is a non-owning view. Every read checks the remaining length and
 * fails with PL_ERR_DECODE instead of overrunning; vecN reads return a child
 * cursor limited to the length prefix (CBS / rustls Reader.sub, anchors.md 1).
 * Parsers finish with pl_cur_expect_empty() so trailing bytes are rejected.
 */
#ifndef PL_CURSOR_H
#define PL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
    const uint8_t *p;
    size_t len;
} pl_cursor;

static inline pl_cursor pl_cur(const uint8_t *p, size_t len)
{
    pl_cursor c = {p, len};
    return c;
}

PL_MUST_CHECK int pl_cur_u8(pl_cursor *c, uint8_t *v);
PL_MUST_CHECK int pl_cur_u16(pl_cursor *c, uint16_t *v);
PL_MUST_CHECK int pl_cur_u24(pl_cursor *c, uint32_t *v);
PL_MUST_CHECK int pl_cur_u32(pl_cursor *c, uint32_t *v);
/* A view of the next n bytes. */
PL_MUST_CHECK int pl_cur_bytes(pl_cursor *c, size_t n, const uint8_t **out);
PL_MUST_CHECK int pl_cur_copy(pl_cursor *c, uint8_t *dst, size_t n);
PL_MUST_CHECK int pl_cur_skip(pl_cursor *c, size_t n);
/* Split off n bytes as a child cursor. */
PL_MUST_CHECK int pl_cur_sub(pl_cursor *c, size_t n, pl_cursor *child);
/* Length-prefixed vectors (1, 2, 3 byte prefix) as child cursors. */
PL_MUST_CHECK int pl_cur_vec8(pl_cursor *c, pl_cursor *child);
PL_MUST_CHECK int pl_cur_vec16(pl_cursor *c, pl_cursor *child);
PL_MUST_CHECK int pl_cur_vec24(pl_cursor *c, pl_cursor *child);
/* PL_ERR_DECODE unless every byte was consumed. */
PL_MUST_CHECK int pl_cur_expect_empty(const pl_cursor *c);

#endif
