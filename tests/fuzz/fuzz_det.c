/* fuzz_det.c - see fuzz_det.h. */
#include "fuzz_det.h"

#include <string.h>

#include "crypto/crypto.h"

int fuzz_det_on;
static uint64_t fuzz_det_state;

void fuzz_det_reset(void) { fuzz_det_state = 0x5061726c65794675ull; /* "ParleyFu" */ }

/* splitmix64: a fixed stream, nothing secret about it. */
static uint64_t fuzz_det_next(void)
{
    uint64_t z = (fuzz_det_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fuzz_det_fill(uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = fuzz_det_next();
        memcpy(out + i, &v, n - i < 8 ? n - i : 8);
    }
}

int __real_pl_random(uint8_t *out, size_t n);
int __wrap_pl_random(uint8_t *out, size_t n);
int __wrap_pl_random(uint8_t *out, size_t n)
{
    if (!fuzz_det_on) return __real_pl_random(out, n);
    fuzz_det_fill(out, n);
    return 0;
}

int __real_pl_kex_generate(uint16_t group, pl_kex **out, uint8_t *pub, size_t *publen);
int __wrap_pl_kex_generate(uint16_t group, pl_kex **out, uint8_t *pub, size_t *publen);
int __wrap_pl_kex_generate(uint16_t group, pl_kex **out, uint8_t *pub, size_t *publen)
{
    /* The client's default key share is x25519; other groups (after a
     * HelloRetryRequest) stay random, so those paths are only reached up to
     * the first encrypted record. */
    if (!fuzz_det_on || group != 0x001d) return __real_pl_kex_generate(group, out, pub, publen);
    uint8_t priv[32];
    fuzz_det_fill(priv, sizeof priv);
    *publen = 32;
    return pl_kex_x25519_from_private(priv, out, pub);
}

size_t fuzz_det_times_offset(const uint8_t *blob, size_t len)
{
    size_t off = 3 + 1 + 2 + 2 + 1;
    if (len < off + 1 || memcmp(blob, "PLS", 3) != 0 || blob[3] < 4 || blob[3] > 6) return 0; /* formats 4 to 6 share this prefix */
    off += 1 + blob[off];
    if (len < off + 1) return 0;
    off += 1 + blob[off];
    return len >= off + 24 ? off : 0;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

int fuzz_det_pin_times(uint8_t *blob, size_t len)
{
    size_t off = fuzz_det_times_offset(blob, len);
    if (!off) return -1;
    put_be(blob + off, 1700000000u, 8);              /* created */
    put_be(blob + off + 8, 0xffffffffu, 4);          /* lifetime */
    put_be(blob + off + 12, 0x7fffffffffffffffull, 8); /* issued_ms */
    return 0;
}
