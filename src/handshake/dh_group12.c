/* dh_group12.c - which DH group a TLS 1.2 server's ServerKeyExchange uses,
 * and whether the client takes it (RFC 7919 3 and 3.1, issue #16).
 *
 * RFC 7919 3: a client that offered FFDHE groups compares dh_p and dh_g
 * with them; a server whose parameters match none "is not compatible" and
 * the client MAY go on "if the selected group is acceptable under local
 * policy" or end with insufficient_security. Parley's local policy (3.1)
 * takes exactly the RFC 3526 primes of 2048 bits and more: what OpenSSL
 * servers send by default (ssl_get_auto_dh), safe primes whose structure is
 * known, so the 1 < Ys < p-1 check is all the validation a public value
 * needs, with no primality test of a server-chosen modulus. The same
 * policy takes an RFC 7919 group the client did not list when it is no
 * larger than the largest it listed. Called after the signature verified. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dh_group12.h"

/* Bits of a big-endian integer. */
static size_t pl_be_bits(pl_cursor v)
{
    while (v.len && v.p[0] == 0) v.p++, v.len--;
    if (!v.len) return 0;
    size_t bits = (v.len - 1) * 8;
    for (uint8_t top = v.p[0]; top; top >>= 1) bits++;
    return bits;
}

/* A named group or an RFC 3526 prime, by its exact bytes; *what describes
 * any prime we know (the weak ones too). */
static uint16_t pl_known_prime(const uint8_t *p, size_t len, const char **what, char *buf, size_t n)
{
    for (uint16_t id = PARLEY_GROUP_FFDHE2048; id <= PARLEY_GROUP_FFDHE8192; id++) {
        const uint8_t *prime;
        size_t pl = pl_ffdhe_prime(id, &prime);
        if (pl && pl == len && memcmp(prime, p, pl) == 0) {
            snprintf(buf, n, "%s (RFC 7919)", parley_group_name(id));
            *what = buf;
            return id;
        }
    }
    return pl_modp_identify(p, len, what);
}

/* The value of a big-endian integer: its bytes without leading zeros. */
static pl_cursor pl_be_value(pl_cursor v)
{
    while (v.len && v.p[0] == 0) v.p++, v.len--;
    return v;
}

int pl_client12_dh_group(const parley_config *cfg, pl_cursor dh_p, pl_cursor dh_g, uint16_t *group)
{
    char buf[64];
    const char *what = NULL;
    /* RFC 7919 3 compares the values of dh_p and dh_g with the groups', and
     * RFC 5246 7.4.3 does not require a minimal encoding: leading zero bytes
     * are stripped before the byte-for-byte comparison. The signature
     * covered the bytes sent; from here on the group is the table's. */
    pl_cursor p = pl_be_value(dh_p), g = pl_be_value(dh_g);
    uint16_t id = pl_known_prime(p.p, p.len, &what, buf, sizeof buf);
    if (!id) {
        if (what)
            PL_BAIL(PL_ERR_INSUFFICIENT_SECURITY, "server's DH group is %s, too weak: Parley accepts RFC 7919 groups and RFC 3526 primes of 2048 bits or more",
                    what);
        PL_BAIL(PL_ERR_INSUFFICIENT_SECURITY,
                "server's DH group is a %zu-bit prime that is neither RFC 7919 nor RFC 3526 (2048 bits or more)", pl_be_bits(p));
    }
    /* RFC 7919 A and RFC 3526 2-7: "The generator is: 2." */
    if (g.len != 1 || g.p[0] != 2) {
        if (g.len <= 4) {
            unsigned long v = 0;
            for (size_t i = 0; i < g.len; i++) v = v << 8 | g.p[i];
            PL_BAIL(PL_ERR_INSUFFICIENT_SECURITY, "server's DH group is %s with generator %lu, not 2", what, v);
        }
        PL_BAIL(PL_ERR_INSUFFICIENT_SECURITY, "server's DH group is %s with a %zu-bit generator, not 2", what, pl_be_bits(g));
    }
    /* The FFDHE groups the client lists bound the exchange it will do, both
     * ways: not larger than the largest (a server must not make us spend an
     * 8192-bit exchange we did not offer) and not smaller than the smallest
     * (an application listing only ffdhe4096 sets a floor). RFC 7919 3: a
     * group the client did not list leaves it free to go on "if the selected
     * group is acceptable under local policy" or to end with
     * insufficient_security. Local policy, the same for a named group we did
     * not list and an RFC 3526 prime (which no list can name): any known safe
     * group within the sizes listed, or of any size (2048 bits or more) when
     * no FFDHE group is listed (RFC 7919 4: the server then picks). */
    int listed_ffdhe = 0;
    size_t max_bits = 0, min_bits = SIZE_MAX;
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const uint8_t *prime;
        size_t pl = pl_kex_group_is_ffdhe(cfg->groups[i]) ? pl_ffdhe_prime(cfg->groups[i], &prime) : 0;
        if (!pl) continue;
        listed_ffdhe = 1;
        if (pl * 8 > max_bits) max_bits = pl * 8;
        if (pl * 8 < min_bits) min_bits = pl * 8;
    }
    size_t bits = pl_be_bits(p);
    int listed = pl_u16_in(cfg->groups, cfg->ngroups, id);
    PL_ENSURE(!listed_ffdhe || listed || bits <= max_bits, PL_ERR_INSUFFICIENT_SECURITY,
              "server's DH group is %s, larger than any FFDHE group offered (up to %zu bits): list ffdhe%zu to accept it", what, max_bits,
              bits);
    PL_ENSURE(!listed_ffdhe || listed || bits >= min_bits, PL_ERR_INSUFFICIENT_SECURITY,
              "server's DH group is %s, smaller than any FFDHE group offered (%zu bits or more)", what, min_bits);
    *group = id;
    return 0;
}
