/*
 * shim_flags.c - the runner's flags into shim_opts.
 *
 * One table: a flag's name, its kind and where it goes. A flag not in the
 * table makes the shim exit 89 ("unimplemented"), so the runner counts the
 * test as one Parley's shim does not run rather than as a failure; the
 * tests such flags belong to are listed in config.json with their reason.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

enum kind { K_BOOL, K_INT, K_STR, K_B64, K_INTLIST, K_IGNORE_BOOL, K_IGNORE_STR };

typedef struct {
    const char *name;
    enum kind kind;
    size_t off;     /* the field */
    size_t aux;     /* K_B64: its length field; K_INTLIST: its count field */
} flag_def;

#define F(n, k, field) { n, k, offsetof(shim_opts, field), 0 }
#define FA(n, k, field, aux) { n, k, offsetof(shim_opts, field), offsetof(shim_opts, aux) }
#define IGN(n, k) { n, k, offsetof(shim_opts, ignored), 0 }

static const flag_def flags[] = {
    F("-port", K_INT, port),
    F("-server", K_BOOL, is_server),
    F("-resume-count", K_INT, resume_count),
    F("-async", K_BOOL, async),
    F("-min-version", K_INT, min_version),
    F("-max-version", K_INT, max_version),
    F("-no-tls13", K_BOOL, no_tls13),
    F("-no-tls12", K_BOOL, no_tls12),
    FA("-curves", K_INTLIST, curves, ncurves),
    F("-cipher", K_STR, cipher),
    FA("-signing-prefs", K_INTLIST, signing_prefs, nsigning_prefs),
    FA("-verify-prefs", K_INTLIST, verify_prefs, nverify_prefs),
    F("-cert-file", K_STR, cert_file),
    F("-key-file", K_STR, key_file),
    F("-trust-cert", K_STR, trust_cert),
    F("-verify-peer", K_BOOL, verify_peer),
    F("-require-any-client-certificate", K_BOOL, require_any_client_cert),
    F("-verify-fail", K_BOOL, verify_fail),
    F("-use-custom-verify-callback", K_BOOL, use_custom_verify_callback),
    F("-expect-verify-result", K_BOOL, expect_verify_result),
    F("-host-name", K_STR, host_name),
    F("-advertise-alpn", K_STR, advertise_alpn),
    F("-select-alpn", K_STR, select_alpn),
    F("-decline-alpn", K_BOOL, decline_alpn),
    F("-reject-alpn", K_BOOL, reject_alpn),
    F("-expect-alpn", K_STR, expect_alpn),
    F("-expect-server-name", K_STR, expect_server_name),
    F("-no-ticket", K_BOOL, no_ticket),
    F("-expect-session-miss", K_BOOL, expect_session_miss),
    F("-expect-no-session", K_BOOL, expect_no_session),
    F("-expect-ticket-renewal", K_BOOL, expect_ticket_renewal),
    F("-expect-extended-master-secret", K_BOOL, expect_extended_master_secret),
    F("-renew-ticket", K_BOOL, renew_ticket),
    F("-expect-version", K_INT, expect_version),
    F("-expect-curve-id", K_INT, expect_curve_id),
    F("-expect-peer-signature-algorithm", K_INT, expect_peer_signature_algorithm),
    F("-expect-hrr", K_BOOL, expect_hrr),
    F("-expect-no-hrr", K_BOOL, expect_no_hrr),
    F("-expect-peer-cert-file", K_STR, expect_peer_cert_file),
    FA("-expect-ocsp-response", K_B64, expect_ocsp_response, expect_ocsp_response_len),
    F("-shim-writes-first", K_BOOL, shim_writes_first),
    F("-shim-shuts-down", K_BOOL, shim_shuts_down),
    F("-check-close-notify", K_BOOL, check_close_notify),
    F("-read-size", K_INT, read_size),
    F("-key-update", K_BOOL, key_update),
    F("-export-keying-material", K_INT, export_keying_material),
    F("-export-label", K_STR, export_label),
    F("-export-context", K_STR, export_context),
    F("-use-export-context", K_BOOL, use_export_context),
    F("-expect-total-renegotiations", K_INT, expect_total_renegotiations),
    F("-implicit-handshake", K_BOOL, implicit_handshake),
    F("-write-different-record-sizes", K_BOOL, write_different_record_sizes),
    F("-max-send-fragment", K_INT, max_send_fragment),
    F("-send-alert", K_BOOL, send_alert),
    F("-enable-ocsp-stapling", K_BOOL, enable_ocsp_stapling),
    FA("-ocsp-response", K_B64, ocsp_response, ocsp_response_len),
    F("-enable-early-data", K_BOOL, enable_early_data),
    F("-expect-accept-early-data", K_BOOL, expect_accept_early_data),
    F("-expect-reject-early-data", K_BOOL, expect_reject_early_data),
    F("-expect-ticket-supports-early-data", K_BOOL, expect_ticket_supports_early_data),
    F("-expect-no-offer-early-data", K_BOOL, expect_no_offer_early_data),
    F("-expect-early-data-reason", K_STR, expect_early_data_reason),
    F("-expect-cipher", K_INT, expect_cipher),
    F("-expect-advertised-alpn", K_STR, expect_advertised_alpn),
    F("-expect-session-id", K_BOOL, expect_session_id),
    F("-expect-no-session-id", K_BOOL, expect_no_session_id),
    F("-no-op-extra-handshake", K_BOOL, no_op_extra_handshake),
    /* Parley never speaks SSL 3.0, TLS 1.0 or 1.1 (RFC 8996): nothing to turn off. */
    IGN("-no-tls1", K_IGNORE_BOOL),
    IGN("-no-tls11", K_IGNORE_BOOL),
    IGN("-no-ssl3", K_IGNORE_BOOL),
    F("-use-exporter-between-reads", K_BOOL, use_exporter_between_reads),
    /* Handshake hints only matter to BoringSSL's split handshaker. */
    IGN("-allow-hint-mismatch", K_IGNORE_BOOL),
    /* Parley refuses renegotiation as a client (RFC 5746 is not
     * implemented: docs/security.md); a test that needs it to happen fails
     * on its own expectations, and "-renegotiate-ignore" is what Parley
     * does anyway (a HelloRequest is answered with no_renegotiation). */
    IGN("-renegotiate-ignore", K_IGNORE_BOOL),
    IGN("-renegotiate-freely", K_IGNORE_BOOL),
    IGN("-renegotiate-once", K_IGNORE_BOOL),
    IGN("-renegotiate-explicit", K_IGNORE_BOOL),
    /* Parley's client always checks close_notify ordering itself. */
};

static const flag_def *find_flag(const char *name)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(flags[i].name, name) == 0)
            return &flags[i];
    return NULL;
}

int shim_unimplemented(const char *what, const char *detail)
{
    fprintf(stderr, "shim: unimplemented: %s%s%s\n", what, detail ? " " : "", detail ? detail : "");
    const char *log = getenv("BOGO_SHIM_LOG");
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "%s%s%s\n", what, detail ? " " : "", detail ? detail : "");
        fclose(f);
    }
    return SHIM_UNIMPLEMENTED;
}

static int b64val(int ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Decodes standard base64 into a new buffer (kept for the process's life). */
static int b64decode(const char *in, char **out, size_t *outlen)
{
    size_t n = strlen(in);
    char *buf = malloc(n + 1);
    if (!buf) return -1;
    size_t len = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=') break;
        int v = b64val((unsigned char)in[i]);
        if (v < 0) { free(buf); return -1; }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    buf[len] = 0;
    *out = buf;
    *outlen = len;
    return 0;
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0) return -1;
    *out = (int)v;
    return 0;
}

int shim_parse(int argc, char **argv, int which, shim_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int applies = 1;
        char name[128];
        if (strcmp(arg, "-shim-id") == 0) {
            if (i + 1 >= argc) return SHIM_FAIL;
            o->shim_id = strtoull(argv[++i], NULL, 10);
            continue;
        }
        /* Prefixes may stack ("-on-shim-on-resume-X"). */
        const char *rest = arg;
        for (;;) {
            if (strncmp(rest, "-on-initial-", 12) == 0) {
                applies = applies && which == SHIM_INITIAL;
                rest += 11;
            } else if (strncmp(rest, "-on-resume-", 11) == 0) {
                applies = applies && which == SHIM_RESUME;
                rest += 10;
            } else if (strncmp(rest, "-on-retry-", 10) == 0) {
                applies = applies && which == SHIM_RETRY;
                rest += 9;
            } else if (strncmp(rest, "-on-shim-", 9) == 0) {
                rest += 8;
            } else if (strncmp(rest, "-on-handshaker-", 15) == 0) {
                /* Only BoringSSL's split handshaker reads these. */
                applies = 0;
                rest += 14;
            } else {
                break;
            }
        }
        snprintf(name, sizeof name, "%s", rest);
        const flag_def *f = find_flag(name);
        if (!f) return shim_unimplemented("flag", name);
        char *field = (char *)o + f->off;
        const char *val = NULL;
        if (f->kind != K_BOOL && f->kind != K_IGNORE_BOOL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "shim: %s needs a value\n", arg);
                return SHIM_FAIL;
            }
            val = argv[++i];
        }
        if (!applies) continue;
        switch (f->kind) {
        case K_BOOL: *(int *)field = 1; break;
        case K_IGNORE_BOOL: case K_IGNORE_STR: break;
        case K_STR: *(const char **)field = val; break;
        case K_INT:
            if (parse_int(val, (int *)field) != 0) {
                fprintf(stderr, "shim: bad number for %s: %s\n", arg, val);
                return SHIM_FAIL;
            }
            break;
        case K_INTLIST: {
            size_t *count = (size_t *)((char *)o + f->aux);
            if (*count >= SHIM_MAX_LIST) return shim_unimplemented("list too long", name);
            if (parse_int(val, &((int *)field)[*count]) != 0) return SHIM_FAIL;
            (*count)++;
            break;
        }
        case K_B64: {
            char *dec;
            size_t len;
            if (b64decode(val, &dec, &len) != 0) {
                fprintf(stderr, "shim: bad base64 for %s\n", arg);
                return SHIM_FAIL;
            }
            *(const char **)field = dec;
            *(size_t *)((char *)o + f->aux) = len;
            break;
        }
        }
    }
    return SHIM_OK;
}
