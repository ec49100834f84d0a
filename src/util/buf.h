/*
 * buf.h - owned, growable byte buffer used as the writer.
 *
 * Kept separate from the read-only cursor (anchors.md: do not mix view and
 * owner). Length prefixes are opened with a placeholder and back-filled on
 * close, so encoders never compute lengths by hand (CBB / s2n reservations).
 * `max` caps growth (0 = no cap) so a peer can never make a buffer grow
 * without bound.
 */
#ifndef PL_BUF_H
#define PL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
} pl_buf;

PL_MUST_CHECK int pl_buf_reserve(pl_buf *b, size_t more);
PL_MUST_CHECK int pl_buf_u8(pl_buf *b, uint8_t v);
PL_MUST_CHECK int pl_buf_u16(pl_buf *b, uint16_t v);
PL_MUST_CHECK int pl_buf_u24(pl_buf *b, uint32_t v);
PL_MUST_CHECK int pl_buf_u32(pl_buf *b, uint32_t v);
PL_MUST_CHECK int pl_buf_bytes(pl_buf *b, const void *p, size_t n);
/* Open a length prefix of `width` bytes (1..3); *mark remembers where. */
PL_MUST_CHECK int pl_buf_open(pl_buf *b, int width, size_t *mark);
/* Back-fill it; fails if the content does not fit the width. */
PL_MUST_CHECK int pl_buf_close(pl_buf *b, int width, size_t mark);
/* Drop the first n bytes. */
void pl_buf_consume(pl_buf *b, size_t n);
void pl_buf_reset(pl_buf *b);   /* len = 0, keeps memory (wiped) */
void pl_buf_free(pl_buf *b);    /* wipes and frees */

#endif
