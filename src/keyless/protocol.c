/*
 * protocol.c - the keyless frame codec (docs/keyless.md).
 *
 *   frame  = version(1) type(1) reserved(2) id(4) length(4) body(length)
 *   body   = TLV*:  tag(1) length(2) value
 * Requests are padded with a PADDING field to exactly 2048 bytes so that an
 * observer of the channel cannot tell a signature from a decryption or one
 * key size from another. Parsing goes through the cursor like every other
 * wire format in Parley.
 */
#include <string.h>

#include "../internal.h"

enum { T_OPCODE = 1, T_KEY_ID = 2, T_SCHEME = 3, T_CLIENT_VERSION = 4, T_PAYLOAD = 5, T_DEADLINE = 6, T_PADDING = 7, T_STATUS = 8 };
#define KL_VERSION 1
#define KL_HEADER 12
#define KL_MAX_BODY 4096

static int kl_tlv(pl_buf *b, uint8_t tag, const void *v, size_t n)
{
    PL_GUARD(pl_buf_u8(b, tag));
    PL_GUARD(pl_buf_u16(b, (uint16_t)n));
    return pl_buf_bytes(b, v, n);
}

int parley_keyless_encode(const parley_keyless_msg *m, int response, uint8_t *out, size_t cap, size_t *len)
{
    pl_buf b = {0};
    uint8_t u8, u16[2], u64[8];
    int rc = 0;
    b.max = KL_HEADER + KL_MAX_BODY;
    if (m->payload_len > 2000) return PARLEY_ERROR;
    rc |= pl_buf_u8(&b, KL_VERSION);
    rc |= pl_buf_u8(&b, response ? 2 : 1);
    rc |= pl_buf_u16(&b, 0);
    rc |= pl_buf_u32(&b, m->id);
    rc |= pl_buf_u32(&b, 0); /* length, filled below */
    if (response) {
        u8 = (uint8_t)m->status;
        rc |= kl_tlv(&b, T_STATUS, &u8, 1);
    } else {
        u8 = (uint8_t)m->opcode;
        rc |= kl_tlv(&b, T_OPCODE, &u8, 1);
        rc |= kl_tlv(&b, T_KEY_ID, m->key_id, 32);
        u16[0] = (uint8_t)(m->scheme >> 8), u16[1] = (uint8_t)m->scheme;
        rc |= kl_tlv(&b, T_SCHEME, u16, 2);
        u16[0] = (uint8_t)(m->client_version >> 8), u16[1] = (uint8_t)m->client_version;
        rc |= kl_tlv(&b, T_CLIENT_VERSION, u16, 2);
        for (int i = 0; i < 8; i++) u64[i] = (uint8_t)(m->deadline_ms >> (56 - 8 * i));
        rc |= kl_tlv(&b, T_DEADLINE, u64, 8);
    }
    if (m->payload_len || response) rc |= kl_tlv(&b, T_PAYLOAD, m->payload, m->payload_len);
    if (!response && rc == 0) {
        /* Pad every request to the same size. */
        size_t pad = PARLEY_KEYLESS_REQUEST_SIZE - b.len - 3;
        if (b.len + 3 > PARLEY_KEYLESS_REQUEST_SIZE) rc = -1;
        else {
            rc |= pl_buf_u8(&b, T_PADDING);
            rc |= pl_buf_u16(&b, (uint16_t)pad);
            rc |= pl_buf_reserve(&b, pad);
            if (rc == 0) {
                memset(b.data + b.len, 0, pad);
                b.len += pad;
            }
        }
    }
    if (rc != 0 || b.len > cap) {
        pl_buf_free(&b);
        return PARLEY_ERROR;
    }
    size_t body = b.len - KL_HEADER;
    b.data[8] = (uint8_t)(body >> 24);
    b.data[9] = (uint8_t)(body >> 16);
    b.data[10] = (uint8_t)(body >> 8);
    b.data[11] = (uint8_t)body;
    memcpy(out, b.data, b.len);
    *len = b.len;
    pl_buf_free(&b);
    return PARLEY_OK;
}

static int kl_decode(const uint8_t *buf, size_t len, int *response, parley_keyless_msg *m, size_t *used)
{
    pl_cursor c = pl_cur(buf, len), body;
    uint8_t version, type;
    uint16_t reserved;
    uint32_t blen;
    memset(m, 0, sizeof *m);
    PL_GUARD(pl_cur_u8(&c, &version));
    PL_GUARD(pl_cur_u8(&c, &type));
    PL_GUARD(pl_cur_u16(&c, &reserved));
    PL_GUARD(pl_cur_u32(&c, &m->id));
    PL_GUARD(pl_cur_u32(&c, &blen));
    PL_ENSURE(version == KL_VERSION && (type == 1 || type == 2) && reserved == 0, PL_ERR_DECODE, "bad keyless frame header");
    PL_ENSURE(blen <= KL_MAX_BODY, PL_ERR_DECODE, "keyless frame of %u bytes", blen);
    /* Every request has the same size (docs/keyless.md): a peer cannot make
     * a key server do more work per byte with short frames. */
    PL_ENSURE(type != 1 || blen == PARLEY_KEYLESS_REQUEST_SIZE - KL_HEADER, PL_ERR_DECODE, "keyless request of %u bytes, not %d",
              blen + KL_HEADER, PARLEY_KEYLESS_REQUEST_SIZE);
    PL_GUARD(pl_cur_sub(&c, blen, &body));
    *response = type == 2;
    unsigned seen = 0;
    while (body.len) {
        uint8_t tag;
        pl_cursor v;
        PL_GUARD(pl_cur_u8(&body, &tag));
        PL_GUARD(pl_cur_vec16(&body, &v));
        PL_ENSURE(tag >= 1 && tag <= 8 && !(seen & (1u << tag)), PL_ERR_DECODE, "unknown or repeated keyless field %u", tag);
        seen |= 1u << tag;
        switch (tag) {
        case T_OPCODE:
        case T_STATUS: {
            uint8_t x;
            PL_GUARD(pl_cur_u8(&v, &x));
            if (tag == T_OPCODE) m->opcode = x;
            else m->status = x;
            break;
        }
        case T_KEY_ID: PL_GUARD(pl_cur_copy(&v, m->key_id, 32)); break;
        case T_SCHEME: PL_GUARD(pl_cur_u16(&v, &m->scheme)); break;
        case T_CLIENT_VERSION: PL_GUARD(pl_cur_u16(&v, &m->client_version)); break;
        case T_DEADLINE: {
            uint32_t hi, lo;
            PL_GUARD(pl_cur_u32(&v, &hi));
            PL_GUARD(pl_cur_u32(&v, &lo));
            m->deadline_ms = ((uint64_t)hi << 32) | lo;
            break;
        }
        case T_PAYLOAD:
            m->payload = v.p;
            m->payload_len = v.len;
            v.len = 0;
            break;
        default: /* padding */
            v.len = 0;
            break;
        }
        PL_GUARD(pl_cur_expect_empty(&v));
    }
    PL_ENSURE(*response ? (seen & (1u << T_STATUS)) != 0 : (seen & (1u << T_OPCODE)) != 0, PL_ERR_DECODE, "keyless frame lacks its opcode or status");
    *used = KL_HEADER + blen;
    return 0;
}

int parley_keyless_decode(const uint8_t *buf, size_t len, int *response, parley_keyless_msg *m, size_t *used)
{
    if (len < KL_HEADER) return PARLEY_WANT_READ;
    size_t blen = ((size_t)buf[8] << 24) | ((size_t)buf[9] << 16) | ((size_t)buf[10] << 8) | buf[11];
    if (blen <= KL_MAX_BODY && len < KL_HEADER + blen) return PARLEY_WANT_READ;
    return kl_decode(buf, len, response, m, used) < 0 ? PARLEY_ERROR : PARLEY_OK;
}
