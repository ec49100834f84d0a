/* names.c - names for protocol numbers, and the suite table. */
#include <string.h>

#include "internal.h"

/* Every suite Parley speaks: AEAD only (RFC 8446 B.4; RFC 5288, 5289, 7905 for 1.2). */
static const pl_suite pl_suites[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256", PL_AES_128_GCM, PL_SHA256, 13, PL_KX_NONE, PL_AUTH_ANY},
    {0x1302, "TLS_AES_256_GCM_SHA384", PL_AES_256_GCM, PL_SHA384, 13, PL_KX_NONE, PL_AUTH_ANY},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", PL_CHACHA20_POLY1305, PL_SHA256, 13, PL_KX_NONE, PL_AUTH_ANY},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", PL_AES_128_GCM, PL_SHA256, 12, PL_KX_ECDHE, PL_AUTH_ECDSA},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", PL_AES_256_GCM, PL_SHA384, 12, PL_KX_ECDHE, PL_AUTH_ECDSA},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", PL_CHACHA20_POLY1305, PL_SHA256, 12, PL_KX_ECDHE, PL_AUTH_ECDSA},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", PL_AES_128_GCM, PL_SHA256, 12, PL_KX_ECDHE, PL_AUTH_RSA},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", PL_AES_256_GCM, PL_SHA384, 12, PL_KX_ECDHE, PL_AUTH_RSA},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", PL_CHACHA20_POLY1305, PL_SHA256, 12, PL_KX_ECDHE, PL_AUTH_RSA},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", PL_AES_128_GCM, PL_SHA256, 12, PL_KX_DHE, PL_AUTH_RSA},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", PL_AES_256_GCM, PL_SHA384, 12, PL_KX_DHE, PL_AUTH_RSA},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", PL_CHACHA20_POLY1305, PL_SHA256, 12, PL_KX_DHE, PL_AUTH_RSA},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", PL_AES_128_GCM, PL_SHA256, 12, PL_KX_RSA, PL_AUTH_RSA},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", PL_AES_256_GCM, PL_SHA384, 12, PL_KX_RSA, PL_AUTH_RSA},
};

const pl_suite *pl_suite_find(uint16_t suite)
{
    for (size_t i = 0; i < sizeof pl_suites / sizeof pl_suites[0]; i++)
        if (pl_suites[i].id == suite) return &pl_suites[i];
    return NULL;
}

int pl_suite_params(uint16_t suite, int *aead, int *hash)
{
    const pl_suite *s = pl_suite_find(suite);
    if (!s) return 0;
    *aead = s->aead;
    *hash = s->hash;
    return 1;
}

const char *parley_cipher_name(uint16_t suite)
{
    const pl_suite *s = pl_suite_find(suite);
    return s ? s->name : "unknown";
}

uint16_t pl_cipher_from_name(const char *name);
uint16_t pl_cipher_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof pl_suites / sizeof pl_suites[0]; i++)
        if (strcmp(pl_suites[i].name, name) == 0) return pl_suites[i].id;
    return 0;
}

static const struct {
    uint16_t id;
    const char *name;
} pl_groups[] = {
    {PARLEY_GROUP_X25519, "x25519"},
    {PARLEY_GROUP_SECP256R1, "secp256r1"},
    {PARLEY_GROUP_SECP384R1, "secp384r1"},
    {PARLEY_GROUP_SECP521R1, "secp521r1"},
    {PARLEY_GROUP_X448, "x448"},
    {PARLEY_GROUP_FFDHE2048, "ffdhe2048"},
    {PARLEY_GROUP_FFDHE3072, "ffdhe3072"},
    {PARLEY_GROUP_FFDHE4096, "ffdhe4096"},
    {PARLEY_GROUP_FFDHE6144, "ffdhe6144"},
    {PARLEY_GROUP_FFDHE8192, "ffdhe8192"},
    /* Aliases (OpenSSL's spellings), accepted by --groups; never printed. */
    {PARLEY_GROUP_SECP256R1, "P-256"},
    {PARLEY_GROUP_SECP384R1, "P-384"},
    {PARLEY_GROUP_SECP521R1, "P-521"},
    {PARLEY_GROUP_SECP256R1, "prime256v1"},
    {PARLEY_GROUP_X25519, "X25519"},
    {PARLEY_GROUP_X448, "X448"},
};

const char *pl_group_wire_name(uint16_t g)
{
    for (size_t i = 0; i < sizeof pl_groups / sizeof pl_groups[0]; i++)
        if (pl_groups[i].id == g) return pl_groups[i].name;
    return "unknown";
}

const char *parley_group_name(uint16_t g)
{
    const char *n = pl_group_wire_name(g);
    if (strcmp(n, "unknown") != 0) return n;
    /* RFC 3526 primes a TLS 1.2 server sent (not named groups): named here
     * only, so that parley_config_set_groups never takes them. */
    const char *modp = pl_modp_name(g);
    return modp ? modp : "unknown";
}

uint16_t pl_group_from_name(const char *name);
uint16_t pl_group_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof pl_groups / sizeof pl_groups[0]; i++)
        if (strcmp(pl_groups[i].name, name) == 0) return pl_groups[i].id;
    return 0;
}

const char *parley_sigscheme_name(uint16_t s)
{
    switch (s) {
    case 0x0401: return "rsa_pkcs1_sha256";
    case 0x0501: return "rsa_pkcs1_sha384";
    case 0x0601: return "rsa_pkcs1_sha512";
    case 0x0403: return "ecdsa_secp256r1_sha256";
    case 0x0503: return "ecdsa_secp384r1_sha384";
    case 0x0603: return "ecdsa_secp521r1_sha512";
    case 0x0804: return "rsa_pss_rsae_sha256";
    case 0x0805: return "rsa_pss_rsae_sha384";
    case 0x0806: return "rsa_pss_rsae_sha512";
    case 0x0807: return "ed25519";
    case 0x0808: return "ed448";
    case 0x0809: return "rsa_pss_pss_sha256";
    case 0x080a: return "rsa_pss_pss_sha384";
    case 0x080b: return "rsa_pss_pss_sha512";
    /* Legacy schemes Parley refuses (RFC 8446 4.2.3, RFC 9155): named so
     * errors and traces can say what a peer offered. */
    case 0x0201: return "rsa_pkcs1_sha1";
    case 0x0202: return "dsa_sha1";
    case 0x0203: return "ecdsa_sha1";
    case 0x0301: return "rsa_pkcs1_sha224";
    case 0x0302: return "dsa_sha224";
    case 0x0303: return "ecdsa_sha224";
    default: return "unknown";
    }
}

/* The schemes parley_config_set_signing_schemes / _verify_schemes take:
 * those Parley signs and verifies, by the names parley_sigscheme_name
 * prints (the legacy ones it only names are unknown here). */
uint16_t pl_sigscheme_from_name(const char *name);
uint16_t pl_sigscheme_from_name(const char *name)
{
    static const uint16_t known[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805,
                                     0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(parley_sigscheme_name(known[i]), name) == 0) return known[i];
    return 0;
}

const char *parley_version_name(uint16_t v)
{
    switch (v) {
    case 0x0304: return "TLSv1.3";
    case 0x0303: return "TLSv1.2";
    case 0x0302: return "TLSv1.1";
    case 0x0301: return "TLSv1.0";
    case 0x0300: return "SSLv3";
    default: return "unknown";
    }
}

const char *parley_alert_name(int a)
{
    switch (a) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed"; /* RFC 5246: reserved, never sent */
    case 22: return "record_overflow";
    case 30: return "decompression_failure"; /* RFC 5246 7.2.2; reserved in TLS 1.3 */
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable"; /* RFC 6066 5 */
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value"; /* RFC 6066 5 */
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "unknown";
    }
}
