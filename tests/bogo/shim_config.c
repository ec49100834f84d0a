/*
 * shim_config.c - shim_opts into a parley_config, through the public API
 * only. Where BoringSSL's defaults differ from Parley's and the runner's
 * tests assume BoringSSL's, the shim states the setting (static RSA key
 * exchange on, peer verification off unless -verify-peer); where a flag
 * asks for something the API cannot say, the test is unimplemented (89).
 */
#include <stdio.h>
#include <string.h>

#include "shim.h"

static int unimplemented(int *why, const char *what)
{
    *why = shim_unimplemented(what, NULL);
    return -1;
}

static int failed(parley_config *cfg, int *why, const char *what)
{
    fprintf(stderr, "shim: %s: %s\n", what, parley_config_error_string(cfg));
    *why = SHIM_FAIL;
    return -1;
}

/* -cipher is an OpenSSL-style rule list for TLS 1.2 suites ("A:[B|C]:D";
 * equal-preference groups are taken in order). Suites Parley does not have
 * (CBC, 3DES, PSK) are dropped, as a stack without them would; keywords
 * ("ALL", "!AES") are not understood. TLS 1.3 suites are not governed by it
 * (as in BoringSSL) and are appended. */
static int set_ciphers(parley_config *cfg, const char *rule, int *why)
{
    char out[1024] = "";
    char tok[128];
    const char *p = rule;
    while (*p) {
        size_t n = strcspn(p, ":|[]");
        if (n > 0) {
            if (n >= sizeof tok) return unimplemented(why, "long -cipher token");
            memcpy(tok, p, n);
            tok[n] = 0;
            if (strncmp(tok, "TLS_", 4) != 0) return unimplemented(why, "-cipher keyword");
            if (strlen(out) + n + 2 > sizeof out - 128) return unimplemented(why, "a -cipher list this long");
            for (uint16_t id = 1; id != 0; id++) {
                const char *name = parley_cipher_name(id);
                if (strcmp(name, tok) == 0) {
                    if (out[0]) strcat(out, ":");
                    strcat(out, tok);
                    break;
                }
            }
        }
        p += n;
        if (*p) p++;
    }
    if (out[0]) strcat(out, ":");
    strcat(out, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    if (parley_config_set_ciphers(cfg, out) != PARLEY_OK) return failed(cfg, why, "ciphers");
    return 0;
}

static int set_groups(parley_config *cfg, const shim_opts *o, int *why)
{
    char list[512] = "";
    for (size_t i = 0; i < o->ncurves; i++) {
        const char *name = parley_group_name((uint16_t)o->curves[i]);
        if (strcmp(name, "unknown") == 0 || o->curves[i] >= 0xfe00) return unimplemented(why, "a group Parley lacks");
        if (strlen(list) + strlen(name) + 2 > sizeof list) return unimplemented(why, "a -curves list this long");
        if (list[0]) strcat(list, ":");
        strcat(list, name);
    }
    if (parley_config_set_groups(cfg, list) != PARLEY_OK) return failed(cfg, why, "groups");
    return 0;
}

/* -advertise-alpn is the wire form ("\x03foo\x02h2"); Parley takes "foo,h2". */
static int set_client_alpn(parley_config *cfg, const char *wire, int *why)
{
    char list[1024] = "";
    size_t n = strlen(wire), i = 0, o = 0;
    while (i < n) {
        size_t l = (unsigned char)wire[i++];
        if (l == 0 || i + l > n || o + l + 2 > sizeof list) return unimplemented(why, "an ALPN list Parley cannot send");
        if (o) list[o++] = ',';
        memcpy(list + o, wire + i, l);
        o += l;
        i += l;
    }
    list[o] = 0;
    if (parley_config_set_alpn(cfg, list) != PARLEY_OK) return failed(cfg, why, "alpn");
    return 0;
}

/* -signing-prefs / -verify-prefs: code points into Parley's names. Code
 * points Parley does not know (the runner's fake ones) or refuses (SHA-1,
 * SHA-224) are skipped, as a stack without them would; nothing left is
 * unimplemented. */
static int set_schemes(parley_config *cfg, const int *ids, size_t n, int signing, int *why)
{
    char list[512] = "";
    int (*set)(parley_config *, const char *) = signing ? parley_config_set_signing_schemes : parley_config_set_verify_schemes;
    for (size_t i = 0; i < n; i++) {
        const char *name = parley_sigscheme_name((uint16_t)ids[i]);
        if (ids[i] < 0 || ids[i] > 0xffff || strcmp(name, "unknown") == 0) continue;
        /* A name Parley prints but does not take (a legacy scheme): the
         * setter says so and leaves the config as it was. */
        if (set(cfg, name) != PARLEY_OK) continue;
        if (strlen(list) + strlen(name) + 2 > sizeof list) return unimplemented(why, "a long signature scheme list");
        if (list[0]) strcat(list, ":");
        strcat(list, name);
    }
    if (!list[0]) return unimplemented(why, signing ? "-signing-prefs with no scheme Parley signs with"
                                                    : "-verify-prefs with no scheme Parley verifies");
    if (set(cfg, list) != PARLEY_OK) return failed(cfg, why, "signature schemes");
    return 0;
}

/* BoringSSL's shim accepts every chain unless -verify-fail; it then fails
 * with certificate_unknown from the custom callback
 * (-use-custom-verify-callback) and handshake_failure from the legacy one
 * (runner.go, CertificateVerificationFail). */
shim_verify_state shim_verify;

static int verify_cb(void *arg, const parley_conn *conn, const uint8_t *const *der, const size_t *der_len, size_t n)
{
    shim_verify_state *v = arg;
    (void)conn;
    v->called = 1;
    v->n = 0;
    for (size_t i = 0; i < n && i < 16 && der_len[i] <= sizeof v->chain[0]; i++, v->n++) {
        memcpy(v->chain[i], der[i], der_len[i]);
        v->chain_len[i] = der_len[i];
    }
    if (!v->fail) return 0;
    return v->custom ? 46 : 40;
}

parley_config *shim_make_config(const shim_opts *o, parley_session_cache *cache, const uint8_t ticket_keys[48],
                                parley_key_provider *kp, int *why)
{
    shim_verify.fail = o->verify_fail;
    shim_verify.custom = o->use_custom_verify_callback;
    shim_verify.called = 0;
    if (o->renew_ticket || o->implicit_handshake) {
        *why = shim_unimplemented(o->renew_ticket ? "-renew-ticket (a server that renews TLS 1.2 tickets on resumption)"
                                                  : "-implicit-handshake (the explicit form of each test runs)",
                                  NULL);
        return NULL;
    }
    parley_config *cfg = parley_config_new();
    if (!cfg) {
        *why = SHIM_FAIL;
        return NULL;
    }
    uint16_t min = PARLEY_TLS1_2, max = PARLEY_TLS1_3;
    if (o->max_version) {
        if (o->max_version < PARLEY_TLS1_2 || o->max_version > 0x0304) {
            unimplemented(why, "a version below TLS 1.2 or a draft (RFC 8996)");
            goto fail;
        }
        max = (uint16_t)o->max_version;
    }
    if (o->min_version > PARLEY_TLS1_2 && o->min_version <= PARLEY_TLS1_3) min = (uint16_t)o->min_version;
    if (o->no_tls13) max = PARLEY_TLS1_2;
    if (o->no_tls12 && min < PARLEY_TLS1_3) min = PARLEY_TLS1_3;
    /* With every version turned off, the library's own refusal is the result. */
    if (parley_config_set_versions(cfg, min, max) != PARLEY_OK && failed(cfg, why, "versions")) goto fail;
    /* BoringSSL accepts TLS_RSA_* by default and the runner's tests expect it. */
    if (parley_config_allow_rsa_kx(cfg, 1) != PARLEY_OK && failed(cfg, why, "rsa kx")) goto fail;
    if (o->cipher && set_ciphers(cfg, o->cipher, why)) goto fail;
    if (o->ncurves && set_groups(cfg, o, why)) goto fail;
    if (o->nsigning_prefs && set_schemes(cfg, o->signing_prefs, o->nsigning_prefs, 1, why)) goto fail;
    if (o->nverify_prefs && set_schemes(cfg, o->verify_prefs, o->nverify_prefs, 0, why)) goto fail;
    if (o->max_send_fragment || o->send_alert || o->enable_ocsp_stapling || o->ocsp_response ||
        o->expect_ocsp_response) {
        unimplemented(why, "max_send_fragment / alert / OCSP flags");
        goto fail;
    }
    if (o->cert_file && o->key_file) {
        if (kp) {
            if (parley_config_add_cert_with_provider(cfg, o->cert_file, kp) != PARLEY_OK) {
                failed(cfg, why, "certificate with provider");
                goto fail;
            }
        } else if (parley_config_add_cert_files(cfg, o->cert_file, o->key_file) != PARLEY_OK) {
            failed(cfg, why, "certificate");
            goto fail;
        }
    }
    if (o->is_server) {
        if (o->verify_peer || o->require_any_client_cert) {
            /* BoringSSL's shim verifies with a callback that accepts any
             * chain (-trust-cert is not consulted), unless -verify-fail. */
            if (parley_config_set_verify_callback(cfg, verify_cb, &shim_verify) != PARLEY_OK ||
                parley_config_set_verify_client(cfg, o->require_any_client_cert ? PARLEY_VERIFY_CLIENT_REQUIRE
                                                                                 : PARLEY_VERIFY_CLIENT_OPTIONAL) !=
                    PARLEY_OK) {
                failed(cfg, why, "client verification");
                goto fail;
            }
        }
        if (o->select_alpn && !o->decline_alpn && parley_config_set_alpn(cfg, o->select_alpn) != PARLEY_OK &&
            failed(cfg, why, "alpn"))
            goto fail;
        if (o->reject_alpn) {
            unimplemented(why, "-reject-alpn");
            goto fail;
        }
        if (parley_config_set_session_cache(cfg, cache) != PARLEY_OK && failed(cfg, why, "cache")) goto fail;
        if (parley_config_set_ticket_keys(cfg, ticket_keys, 1) != PARLEY_OK && failed(cfg, why, "ticket keys"))
            goto fail;
        if (o->no_ticket && parley_config_set_tickets(cfg, 0) != PARLEY_OK && failed(cfg, why, "tickets")) goto fail;
        /* 14336: what -enable-early-data allows in BoringSSL (its tickets'
         * max_early_data_size; TLS13-MaxEarlyData-Server sends one byte more). */
        if (o->enable_early_data && parley_config_set_max_early_data(cfg, 14336) != PARLEY_OK &&
            failed(cfg, why, "early data"))
            goto fail;
    } else {
        /* The callback decides, as in BoringSSL's shim: every chain passes
         * unless -verify-fail (and then only with -verify-peer: BoringSSL's
         * "soft fail" without it, a failed verification that does not stop
         * the handshake, has no Parley counterpart). It also keeps the chain
         * for -expect-peer-cert-file. The runner's certificates are for
         * "test", whatever -host-name says: the name is not checked, as in
         * BoringSSL's shim. */
        if (o->verify_fail && !o->verify_peer) {
            unimplemented(why, "-verify-fail without -verify-peer (BoringSSL's soft fail)");
            goto fail;
        }
        if (parley_config_set_verify_callback(cfg, verify_cb, &shim_verify) != PARLEY_OK ||
            parley_config_set_verify_hostname(cfg, 0) != PARLEY_OK) {
            failed(cfg, why, "verify callback");
            goto fail;
        }
        if (o->advertise_alpn && set_client_alpn(cfg, o->advertise_alpn, why)) goto fail;
        if (o->no_ticket && parley_config_set_tickets(cfg, 0) != PARLEY_OK && failed(cfg, why, "tickets")) goto fail;
    }
    return cfg;
fail:
    parley_config_free(cfg);
    return NULL;
}
