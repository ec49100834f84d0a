/* client.c - `parley client`: connect, handshake, send a request, print the
 * response and a summary. Uses only the public API. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client_early.h"
#include "common.h"
#include "ladder.h"
#include "record_size_limit.h"
#include "session_file.h"

typedef struct {
    const char *cafile, *servername, *ciphers, *groups, *alpn, *keylog, *send, *cert, *key, *sess_in, *sess_out;
    const char *cert_compression, *ladder; /* --ladder FILE (ladder_tool.c) */
    int reconnect;
    int min_rsa_bits, insecure_min_rsa_bits; /* the key policy */
    int insecure, trace, json, key_update, timeout, padding, allow_rsa, max_depth, crl_warn, ocsp, psk_ke, require_ems;
    long long at_time, ocsp_max_age;
    const char *rsl; /* --record-size-limit */
    const char *crls[16];
    int ncrls;
    uint16_t vmin, vmax;
    const char *target;
    tool_export exp; /* --export LABEL:LEN */
    const char *early, *early_file; /* --early-data TEXT, --early-data-file FILE */
    char *early_buf;                /* the 0-RTT data, read once */
    size_t early_len;
} client_opts;

/* The summary's cert_compression: line (RFC 8879): how the server's
 * Certificate came, e.g. "brotli (3012 -> 2100 bytes)", or "none". */
static void print_cert_compression(const parley_conn *c)
{
    size_t plain, wire;
    const char *alg = parley_conn_cert_compression(c, 0, &plain, &wire);
    if (alg) printf("cert_compression: %s (%zu -> %zu bytes)\n", alg, plain, wire);
    else printf("cert_compression: none\n");
}

static void client_parse(int argc, char **argv, client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (tool_die("%s needs a value", a), (char *)NULL))
        if (!strcmp(a, "--cafile")) o->cafile = NEXT();
        else if (!strcmp(a, "--servername")) o->servername = NEXT();
        else if (!strcmp(a, "--insecure")) o->insecure = 1;
        else if (!strcmp(a, "--tls1.3")) o->vmin = o->vmax = PARLEY_TLS1_3;
        else if (!strcmp(a, "--tls1.2")) o->vmin = o->vmax = PARLEY_TLS1_2;
        else if (!strcmp(a, "--allow-rsa-kx")) o->allow_rsa = 1;
        else if (!strcmp(a, "--psk-ke")) o->psk_ke = 1;
        else if (!strcmp(a, "--require-ems")) o->require_ems = 1;
        else if (!strcmp(a, "--cert")) o->cert = NEXT();
        else if (!strcmp(a, "--crl")) {
            if (o->ncrls == 16) tool_die("at most 16 --crl files");
            o->crls[o->ncrls++] = NEXT();
        } else if (!strcmp(a, "--crl-expired")) {
            const char *v = NEXT();
            if (strcmp(v, "warn") && strcmp(v, "fail")) tool_die("--crl-expired takes warn or fail");
            o->crl_warn = !strcmp(v, "warn");
        } else if (!strcmp(a, "--max-chain-depth")) o->max_depth = atoi(NEXT()) + 1;
        else if (!strcmp(a, "--min-rsa-bits")) o->min_rsa_bits = tool_rsa_bits_arg(a, NEXT());
        else if (!strcmp(a, "--insecure-min-rsa-bits")) o->insecure_min_rsa_bits = tool_rsa_bits_arg(a, NEXT());
        else if (!strcmp(a, "--ocsp")) {
            const char *v = NEXT();
            if (!strcmp(v, "require")) o->ocsp = PARLEY_OCSP_REQUIRE;
            else if (!strcmp(v, "prefer")) o->ocsp = PARLEY_OCSP_PREFER;
            else tool_die("--ocsp takes require or prefer");
        } else if (!strcmp(a, "--at-time")) o->at_time = atoll(NEXT());
        else if (!strcmp(a, "--ocsp-max-age")) {
            char *end;
            const char *v = NEXT();
            o->ocsp_max_age = strtoll(v, &end, 10);
            if (*v == 0 || *end || o->ocsp_max_age <= 0 || o->ocsp_max_age > 0xffffffffLL)
                tool_die("--ocsp-max-age takes a number of seconds");
        } else if (!strcmp(a, "--sess-in")) o->sess_in = NEXT();
        else if (!strcmp(a, "--sess-out")) o->sess_out = NEXT();
        else if (!strcmp(a, "--reconnect")) o->reconnect = atoi(NEXT());
        else if (!strcmp(a, "--key")) o->key = NEXT();
        else if (!strcmp(a, "--ciphers")) o->ciphers = NEXT();
        else if (!strcmp(a, "--groups")) o->groups = NEXT();
        else if (!strcmp(a, "--alpn")) o->alpn = NEXT();
        else if (!strcmp(a, "--keylog")) o->keylog = NEXT();
        else if (!strcmp(a, "--trace")) o->trace = 1;
        else if (!strcmp(a, "--ladder")) o->ladder = NEXT();
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--send")) o->send = NEXT();
        else if (!strcmp(a, "--early-data")) o->early = NEXT();
        else if (!strcmp(a, "--early-data-file")) o->early_file = NEXT();
        else if (!strcmp(a, "--key-update")) o->key_update = 1;
        else if (!strcmp(a, "--export")) tool_export_parse(NEXT(), &o->exp);
        else if (!strcmp(a, "--timeout")) o->timeout = atoi(NEXT());
        else if (!strcmp(a, "--record-padding")) o->padding = atoi(NEXT());
        else if (!strcmp(a, "--cert-compression")) o->cert_compression = tool_nonempty("--cert-compression", NEXT());
        else if (!strcmp(a, "--record-size-limit")) o->rsl = NEXT();
        else if (a[0] == '-') tool_die("unknown client option %s (see parley --help)", a);
        else if (!o->target) o->target = a;
        else tool_die("unexpected argument %s", a);
#undef NEXT
    }
    if (!o->target) tool_die("usage: parley client [options] HOST:PORT");
    if (!o->cert != !o->key) tool_die("--cert and --key go together");
    if (o->early && o->early_file) tool_die("--early-data and --early-data-file are exclusive");
}

static size_t unescape(const char *in, char *out);

/* The 0-RTT data of --early-data (escapes as --send) or --early-data-file,
 * at most 64 KiB (the library's bound). */
static void client_early_load(client_opts *o)
{
    enum { EARLY_MAX = 64 * 1024 };
    if (!o->early && !o->early_file) return;
    if (!(o->early_buf = malloc(EARLY_MAX + 1))) tool_die("out of memory");
    if (o->early) {
        if (strlen(o->early) > EARLY_MAX) tool_die("--early-data text longer than %d bytes", EARLY_MAX);
        o->early_len = unescape(o->early, o->early_buf);
        if (o->early_len == 0) tool_die("--early-data needs some data (an empty 0-RTT request would wait for nothing)");
        return;
    }
    FILE *f = fopen(o->early_file, "rb");
    if (!f) tool_die("cannot read early data file %s", o->early_file);
    o->early_len = fread(o->early_buf, 1, EARLY_MAX + 1, f);
    fclose(f);
    if (o->early_len > EARLY_MAX) tool_die("--early-data-file %s is longer than %d bytes", o->early_file, EARLY_MAX);
    if (o->early_len == 0) tool_die("--early-data-file %s is empty", o->early_file);
}

static const char *early_name(const parley_conn *c)
{
    int st = parley_conn_early_data_status(c);
    return st == PARLEY_EARLY_DATA_ACCEPTED ? "accepted" : st == PARLEY_EARLY_DATA_REJECTED ? "rejected" : "not offered";
}

static int client_connect(const char *host, const char *port, int timeout)
{
    struct addrinfo hints = {0}, *res, *ai;
    int fd = -1, rc, err = EADDRNOTAVAIL;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
        fprintf(stderr, "parley: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        struct timeval tv = {timeout, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        err = errno; /* the last address's reason is the one told */
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) fprintf(stderr, "parley: cannot connect to %s%s%s:%s: %s\n", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, strerror(err));
    return fd;
}

/* "\r\n" style escapes in --send. */
static size_t unescape(const char *in, char *out)
{
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            out[o++] = *p == 'r' ? '\r' : *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = 0;
    return o;
}


/* The 'error:' reason: the connection's, or (when the library has none,
 * e.g. the server never answered within the timeout) what the tool saw. */
static const char *failure_reason(parley_conn *c, int rc)
{
    const char *e = parley_conn_error_string(c);
    if (e && *e) return e;
    if (rc == PARLEY_WANT_READ) return "no response from the server before the timeout";
    if (rc == PARLEY_WANT_WRITE) return "the server did not take our data before the timeout";
    return "the connection failed without a reason from the library";
}

static void print_failure_rc(parley_conn *c, int rc)
{
    fprintf(stderr, "error: ");
    tool_text_str(stderr, failure_reason(c, rc)); /* may name a certificate */
    fprintf(stderr, "\n");
    if (parley_conn_alert_sent(c) >= 0) fprintf(stderr, "alert: sent %s\n", parley_alert_name(parley_conn_alert_sent(c)));
    if (parley_conn_alert_received(c) >= 0)
        fprintf(stderr, "alert: received %s\n", parley_alert_name(parley_conn_alert_received(c)));
}

static void print_failure(parley_conn *c) { print_failure_rc(c, PARLEY_ERROR); }

/* One connection: handshake (offering *sess if any), request, response,
 * summary. On success the connection's session replaces *sess. */
static int client_once(const client_opts *o, parley_config *cfg, const char *host, const char *port, const char *sni,
                       uint8_t *sess, size_t *sess_len, int quiet_response)
{
    parley_conn *c = parley_conn_new_client(cfg, sni);
    if (!c) {
        fprintf(stderr, "parley: %s\n", parley_config_error_string(cfg));
        return TOOL_EXIT_FAIL;
    }
    if (*sess_len && parley_conn_set_session(c, sess, *sess_len) != PARLEY_OK)
        fprintf(stderr, "parley: the stored session cannot be used here (not a session, or made for another server "
                        "name or under other trust settings); doing a full handshake\n");
    /* 0-RTT when the session allows it; otherwise (not offered, or
     * rejected) the library does not send it (RFC 8446 4.2.10) and the tool
     * does, after the handshake (client_early_fallback). */
    if (o->early_buf && parley_conn_set_early_data(c, (const uint8_t *)o->early_buf, o->early_len) != PARLEY_OK)
        tool_die("the early data cannot be set (more than 64 KiB?)");
    int fd = client_connect(host, port, o->timeout > 0 ? o->timeout : 10);
    if (fd < 0) {
        parley_conn_free(c);
        return TOOL_EXIT_FAIL;
    }
    parley_conn_set_fd(c, fd);
    int rc = parley_fd_handshake(c), status = 0, fail_rc = rc;
    static char exphex[2 * PARLEY_EXPORT_MAX + 512];
    exphex[0] = 0;
    if (rc == PARLEY_OK && o->exp.len) (void)tool_export_hex(c, &o->exp, exphex, sizeof exphex);
    char *resp = NULL;
    size_t resp_len = 0;
    if (rc != PARLEY_OK) {
        print_failure_rc(c, rc);
        status = TOOL_EXIT_FAIL;
        goto done;
    }
    if (o->key_update && (parley_conn_key_update(c, 1) != PARLEY_OK || parley_fd_flush(c) != PARLEY_OK)) {
        print_failure(c);
        status = TOOL_EXIT_FAIL;
        goto done;
    }
    if (o->early_buf && tool_early_fallback(c, (const uint8_t *)o->early_buf, o->early_len) != PARLEY_OK) {
        print_failure(c);
        status = TOOL_EXIT_FAIL;
        goto done;
    }
    char req[4096];
    size_t rl = 0;
    if (o->early_buf && !o->send) {
        /* The early data is the request. */
    } else if (o->send) {
        if (strlen(o->send) >= sizeof req) tool_die("--send text too long");
        rl = unescape(o->send, req);
    } else {
        rl = (size_t)snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: parley/%s\r\nConnection: close\r\n\r\n",
                              sni, PARLEY_VERSION_STRING);
    }
    if (rl && parley_fd_write(c, (const uint8_t *)req, rl) != PARLEY_OK) {
        print_failure(c);
        status = TOOL_EXIT_FAIL;
        goto done;
    }
    for (;;) {
        uint8_t buf[16384];
        size_t n = 0;
        rc = parley_fd_read(c, buf, sizeof buf, &n);
        if (rc == PARLEY_OK) {
            char *nr = realloc(resp, resp_len + n + 1);
            if (!nr) break;
            resp = nr;
            memcpy(resp + resp_len, buf, n);
            resp_len += n;
            resp[resp_len] = 0;
            if (!o->json && !quiet_response) {
                fwrite(buf, 1, n, stdout);
                fflush(stdout);
            }
            continue;
        }
        if (rc == PARLEY_CLOSED) break;
        if (rc == PARLEY_TRUNCATED) {
            /* The response may be cut short (RFC 8446 6.1); servers that
             * close without close_notify do the same, so it is a warning. */
            fprintf(stderr, "parley: connection closed without close_notify (possible truncation)\n");
            break;
        }
        /* A timeout after some response is the server keeping the connection open. */
        if (resp_len == 0 || parley_conn_alert_received(c) >= 0 || parley_conn_alert_sent(c) >= 0) {
            print_failure_rc(c, rc);
            fail_rc = rc;
            status = TOOL_EXIT_FAIL;
        }
        break;
    }
    parley_fd_close(c);

done:;
    char subj[512], iss[512], nb[64], na[64];
    const char *alpn = parley_conn_alpn(c);
    size_t nl = 0;
    if (status == 0 && parley_conn_get_session(c, sess, 4096, &nl) == PARLEY_OK) {
        *sess_len = nl;
    } else if (status == 0) {
        /* Nothing resumable (parley_conn_get_session): a session read with
         * --sess-in is not saved again nor offered on a reconnect. */
        if (o->sess_out || o->reconnect)
            fprintf(stderr, "parley: this connection has no resumable session (the server gave no session id or "
                            "ticket, or TLS 1.2 without the extended master secret); nothing to save\n");
        *sess_len = 0;
    }
    if (status == 0 && quiet_response && !o->json) {
        printf("protocol: %s\n", parley_version_name(parley_conn_version(c)));
        printf("cipher: %s\n", parley_cipher_name(parley_conn_cipher(c)));
        printf("resumed: %s\n", parley_conn_resumed(c) ? "yes" : "no");
        printf("early_data: %s\n", early_name(c));
    } else if (status == 0 && !o->json) {
        printf("\n---\n");
        printf("protocol: %s\n", parley_version_name(parley_conn_version(c)));
        printf("cipher: %s\n", parley_cipher_name(parley_conn_cipher(c)));
        printf("group: %s\n", tool_group(c));
        printf("signature: %s\n", parley_conn_signature_scheme(c) ? parley_sigscheme_name(parley_conn_signature_scheme(c)) : "none");
        printf("alpn: %s\n", alpn ? alpn : "none");
        printf("resumed: %s\n", parley_conn_resumed(c) ? "yes" : "no");
        printf("extended_master_secret: %s\n", parley_conn_ems(c) ? "yes" : "no");
        printf("verify: ");
        tool_text_str(stdout, parley_conn_verify_result(c));
        printf("\n");
        printf("server_name: %s\n", sni);
        tool_print_peer_certs(c); /* peer_cert.N lines (common.c) */
        /* Lines added after the original set, so that scripts reading the
         * summary in order keep working (issue #19). */
        tool_print_record_size_limit(c);
        print_cert_compression(c);
        printf("early_data: %s\n", early_name(c));
        if (o->exp.len) printf("exporter: %s\n", exphex);
    } else if (o->json) {
        printf("{\"ok\": %s, ", status == 0 ? "true" : "false");
        printf("\"protocol\": ");
        tool_json_str(stdout, parley_version_name(parley_conn_version(c)));
        printf(", \"cipher\": ");
        tool_json_str(stdout, parley_cipher_name(parley_conn_cipher(c)));
        printf(", \"group\": ");
        tool_json_str(stdout, tool_group(c));
        printf(", \"signature\": ");
        tool_json_str(stdout, parley_sigscheme_name(parley_conn_signature_scheme(c)));
        printf(", \"alpn\": ");
        tool_json_str(stdout, alpn ? alpn : "none");
        printf(", \"resumed\": %s, \"extended_master_secret\": %s, \"verify\": ", parley_conn_resumed(c) ? "true" : "false",
               parley_conn_ems(c) ? "true" : "false");
        tool_json_str(stdout, parley_conn_verify_result(c));
        printf(", \"server_name\": ");
        tool_json_str(stdout, sni);
        if (o->exp.len) {
            printf(", \"exporter\": ");
            tool_json_str(stdout, exphex);
        }
        printf(", \"cert_compression\": ");
        tool_json_str(stdout, parley_conn_cert_compression(c, 0, NULL, NULL) ? parley_conn_cert_compression(c, 0, NULL, NULL) : "none");
        printf(", \"early_data\": ");
        tool_json_str(stdout, early_name(c));
        printf(", \"error\": ");
        tool_json_str(stdout, status == 0 ? "" : failure_reason(c, fail_rc));
        printf(", \"peer_chain\": [");
        for (int i = 0; i < parley_conn_peer_cert_count(c); i++) {
            if (parley_conn_peer_cert_info(c, i, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na) != PARLEY_OK) continue;
            printf(i ? ", {\"subject\": " : "{\"subject\": ");
            tool_json_str(stdout, subj);
            printf(", \"issuer\": ");
            tool_json_str(stdout, iss);
            printf(", \"not_before\": ");
            tool_json_str(stdout, nb);
            printf(", \"not_after\": ");
            tool_json_str(stdout, na);
            printf("}");
        }
        printf("], \"response\": ");
        tool_json_str(stdout, resp ? resp : "");
        printf("}\n");
    }
    free(resp);
    /* After a fatal alert the server may still be sending: let the alert
     * arrive instead of a reset (RFC 8446 6.2). */
    if (status != 0 && parley_conn_alert_sent(c) >= 0) tool_linger_close(fd, 500);
    else close(fd);
    parley_conn_free(c);
    return status;
}

int tool_client(int argc, char **argv)
{
    client_opts o;
    char host[256], port[32];
    client_parse(argc, argv, &o);
    client_early_load(&o);
    if (tool_split_hostport(o.target, host, sizeof host, port, sizeof port) < 0)
        tool_die("target must be HOST:PORT, got %s", o.target);
    const char *sni = o.servername ? o.servername : host;

    parley_config *cfg = parley_config_new();
    if (o.cafile && parley_config_set_ca_file(cfg, o.cafile)) tool_die("%s", parley_config_error_string(cfg));
    if (o.insecure) {
        parley_config_set_verify(cfg, 0);
        fprintf(stderr, "WARNING: --insecure: the server certificate will NOT be verified; this connection is not authenticated\n");
    }
    if (o.vmin && parley_config_set_versions(cfg, o.vmin, o.vmax)) tool_die("%s", parley_config_error_string(cfg));
    if (o.allow_rsa) parley_config_allow_rsa_kx(cfg, 1);
    if (o.psk_ke) parley_config_set_psk_ke(cfg, 1);
    if (o.require_ems) parley_config_require_ems(cfg, 1);
    if (o.cert && parley_config_add_cert_files(cfg, o.cert, o.key)) tool_die("%s", parley_config_error_string(cfg));
    for (int i = 0; i < o.ncrls; i++)
        if (parley_config_add_crl_file(cfg, o.crls[i])) tool_die("%s", parley_config_error_string(cfg));
    if (o.crl_warn) parley_config_set_crl_expired_fatal(cfg, 0);
    if (o.ocsp) parley_config_set_ocsp(cfg, o.ocsp);
    if (o.at_time) parley_config_set_time(cfg, (int64_t)o.at_time);
    if (o.ocsp_max_age && parley_config_set_ocsp_max_age(cfg, (uint32_t)o.ocsp_max_age))
        tool_die("%s", parley_config_error_string(cfg));
    if (o.max_depth && parley_config_set_max_chain_depth(cfg, o.max_depth - 1)) tool_die("%s", parley_config_error_string(cfg));
    if (tool_rsa_policy(cfg, o.min_rsa_bits, o.insecure_min_rsa_bits, "parley", "RSA keys below 2048 bits, which can be broken"))
        tool_die("%s", parley_config_error_string(cfg));
    if (o.ciphers && parley_config_set_ciphers(cfg, o.ciphers)) tool_die("%s", parley_config_error_string(cfg));
    if (o.groups && parley_config_set_groups(cfg, o.groups)) tool_die("%s", parley_config_error_string(cfg));
    if (o.alpn && parley_config_set_alpn(cfg, o.alpn)) tool_die("%s", parley_config_error_string(cfg));
    const char *kl = o.keylog ? o.keylog : getenv("SSLKEYLOGFILE");
    if (kl && *kl && parley_config_set_keylog_file(cfg, kl)) tool_die("%s", parley_config_error_string(cfg));
    if (o.trace) parley_config_set_trace(cfg, tool_trace, o.json ? stderr : stdout);
    if (o.ladder) ladder_client_start(cfg, o.trace ? (o.json ? stderr : stdout) : NULL);
    if (o.padding && parley_config_set_record_padding(cfg, (size_t)o.padding)) tool_die("%s", parley_config_error_string(cfg));
    if (o.cert_compression && parley_config_set_cert_compression(cfg, o.cert_compression))
        tool_die("%s", parley_config_error_string(cfg));
    if (o.rsl && parley_config_set_record_size_limit(cfg, tool_record_size_limit(o.rsl)))
        tool_die("%s", parley_config_error_string(cfg));

    uint8_t sess[4096]; /* a session holds a ticket of up to 2 KB */
    size_t sess_len = 0;
    if (o.sess_in) sess_len = tool_session_file_read(o.sess_in, sess, sizeof sess);
    int status = 0;
    for (int round = 0; round <= o.reconnect && status == 0; round++) {
        if (round) printf("\n--- reconnect %d\n", round);
        ladder_client_next(); /* the page shows the last connection */
        status = client_once(&o, cfg, host, port, sni, sess, &sess_len, round > 0);
    }
    if (o.sess_out && sess_len) tool_session_file_write(o.sess_out, sess, sess_len);
    if (o.ladder && ladder_client_save(o.ladder, o.target) < 0 && status == 0) status = TOOL_EXIT_FAIL;
    parley_config_free(cfg);
    free(o.early_buf);
    return status;
}
