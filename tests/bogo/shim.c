/*
 * shim.c - the BoGo shim: BoringSSL's TLS test runner drives libparley
 * through it (docs/testing.md, "BoGo"). Public API only, like the tools.
 *
 * The runner listens on 127.0.0.1:-port and starts the shim with the test's
 * flags. For each connection of the test (the first, then -resume-count
 * resumptions) the shim connects, sends -shim-id as 8 little-endian bytes,
 * runs the handshake in the role the flags say, checks what the flags
 * expect, then echoes: every byte read comes back XORed with 0xff, until
 * the runner closes. Exit 0: passed; 1: failed (the reason on stderr, which
 * the runner matches against the test's expected error through
 * config.json's ErrorMap); 89: the test needs something this shim does not
 * do (shim_flags.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"

/* What the trace callback shows that no getter does: whether a
 * HelloRetryRequest happened, and the ALPN list a client offered (the
 * ClientHello's "alpn: a b c" line, docs/ladder.md). */
typedef struct {
    int saw_hrr;
    char client_alpn[1024];
} shim_trace;

static void on_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev)
{
    (void)conn;
    shim_trace *t = arg;
    if (ev->name && strcmp(ev->name, "HelloRetryRequest") == 0) t->saw_hrr = 1;
    if (ev->kind == PARLEY_TRACE_MESSAGE_RECEIVED && ev->name && strcmp(ev->name, "ClientHello") == 0 && ev->detail) {
        const char *a = strstr(ev->detail, "alpn:");
        if (a && (a == ev->detail || a[-1] == '\n')) {
            size_t n = strcspn(a + 5, "\n");
            snprintf(t->client_alpn, sizeof t->client_alpn, "%.*s", (int)n, a + 5);
        }
    }
}

/* "\x03foo\x02h2" as the trace prints it: " foo h2". */
static void alpn_wire_to_text(const char *wire, char *out, size_t cap)
{
    size_t n = strlen(wire), i = 0, o = 0;
    out[0] = 0;
    while (i < n && o + 2 < cap) {
        size_t l = (unsigned char)wire[i++];
        if (i + l > n || o + l + 2 > cap) break;
        out[o++] = ' ';
        memcpy(out + o, wire + i, l);
        o += l;
        i += l;
    }
    out[o] = 0;
}

static int connect_runner(const shim_opts *o)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)o->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        perror("shim: connect");
        close(fd);
        return -1;
    }
    uint8_t id[8];
    for (int i = 0; i < 8; i++) id[i] = (uint8_t)(o->shim_id >> (8 * i));
    if (write(fd, id, sizeof id) != (ssize_t)sizeof id) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The reason a connection failed, in the form config.json's ErrorMap
 * names: "alert sent: NAME", "alert received: NAME" and Parley's sentence. */
static int report(parley_conn *conn, const char *what)
{
    int sent = parley_conn_alert_sent(conn), recvd = parley_conn_alert_received(conn);
    fprintf(stderr, "shim: %s failed: %s", what, parley_conn_error_string(conn));
    if (sent >= 0) fprintf(stderr, " [alert sent: %s]", parley_alert_name(sent));
    if (recvd >= 0) fprintf(stderr, " [alert received: %s]", parley_alert_name(recvd));
    fprintf(stderr, "\n");
    return SHIM_FAIL;
}

static int expect_fail(const char *msg)
{
    fprintf(stderr, "shim: expectation failed: %s\n", msg);
    return SHIM_FAIL;
}

/* Run a blocking call, doing kept key operations (-async) as it pauses and
 * taking early data as it comes (server). */
static int drive_handshake(parley_conn *conn, parley_key_provider *kp, shim_early_buf *eb)
{
    for (;;) {
        int rc = parley_fd_handshake(conn);
        if (rc == PARLEY_WANT_KEY_OP && kp && shim_keyop_run(kp)) continue;
        if (rc == PARLEY_EARLY_DATA && shim_early_collect(conn, eb) == 0) continue;
        return rc;
    }
}

static int write_all(parley_conn *conn, const uint8_t *buf, size_t len)
{
    return parley_fd_write(conn, buf, len) == PARLEY_OK ? 0 : -1;
}

/* -expect-peer-cert-file: the chain the verify callback saw is the file's
 * (leaf first). On a resumption the callback is not called: the chain is
 * the one the session was made with, which the shim kept. */
static int check_peer_chain(parley_conn *conn, const char *path)
{
    FILE *f = fopen(path, "rb");
    static uint8_t pem[65536];
    size_t len = f ? fread(pem, 1, sizeof pem, f) : 0;
    if (f) fclose(f);
    parley_cert_list *list = NULL;
    char err[256];
    if (!len || parley_cert_list_from_pem(pem, len, &list, err, sizeof err) != PARLEY_OK)
        return expect_fail("cannot read the expected peer certificate file");
    int rc = SHIM_OK;
    if (!shim_verify.called && !parley_conn_resumed(conn)) rc = expect_fail("no peer chain was seen");
    else if (parley_cert_list_count(list) != shim_verify.n) rc = expect_fail("peer chain length differs");
    for (size_t i = 0; rc == SHIM_OK && i < shim_verify.n; i++) {
        size_t dl;
        const uint8_t *d = parley_cert_list_der(list, i, &dl);
        if (dl != shim_verify.chain_len[i] || memcmp(d, shim_verify.chain[i], dl) != 0)
            rc = expect_fail("peer certificate differs from the expected file");
    }
    parley_cert_list_free(list);
    return rc;
}

/* A session was (or was not) there to keep, against the test's wish. */
static int session_mismatch(int got)
{
    return expect_fail(got ? "new session was cached, but we expected the opposite"
                           : "new session was not cached, but we expected the opposite");
}

static int check_results(parley_conn *conn, const shim_opts *o, int is_resume, const shim_trace *t)
{
    char msg[2400];
    if (o->expect_version && parley_conn_version(conn) != o->expect_version) {
        snprintf(msg, sizeof msg, "version %04x, want %04x", parley_conn_version(conn), o->expect_version);
        return expect_fail(msg);
    }
    if (o->expect_cipher && parley_conn_cipher(conn) != o->expect_cipher) {
        snprintf(msg, sizeof msg, "cipher %04x, want %04x", parley_conn_cipher(conn), o->expect_cipher);
        return expect_fail(msg);
    }
    int want_resume = is_resume && !o->expect_session_miss;
    if (parley_conn_resumed(conn) != want_resume)
        return expect_fail(parley_conn_resumed(conn) ? "session unexpectedly reused" : "session not reused");
    if (o->expect_curve_id && parley_conn_group(conn) != o->expect_curve_id) {
        snprintf(msg, sizeof msg, "group %04x, want %04x", parley_conn_group(conn), o->expect_curve_id);
        return expect_fail(msg);
    }
    /* Parley reports the scheme the peer signed THIS handshake with (0 on
     * resumption: nothing signed); BoringSSL the session's. */
    if (o->expect_peer_signature_algorithm && !parley_conn_resumed(conn) &&
        parley_conn_peer_signature_scheme(conn) != o->expect_peer_signature_algorithm) {
        snprintf(msg, sizeof msg, "peer signature scheme %04x, want %04x", parley_conn_peer_signature_scheme(conn),
                 o->expect_peer_signature_algorithm);
        return expect_fail(msg);
    }
    /* BoringSSL: the result is a failure exactly when -verify-fail (with
     * verification off, the "soft fail": Parley then does not verify). */
    const char *vr = parley_conn_verify_result(conn);
    int verified = strncmp(vr, "ok", 2) == 0 || strcmp(vr, "no client certificate") == 0; /* X509_V_OK */
    if (o->expect_verify_result && verified == o->verify_fail) {
        snprintf(msg, sizeof msg, "verify result: %s", parley_conn_verify_result(conn));
        return expect_fail(msg);
    }
    if (o->expect_alpn) { /* "" expects none */
        const char *got = parley_conn_alpn(conn);
        if (strcmp(got ? got : "", o->expect_alpn) != 0) {
            snprintf(msg, sizeof msg, "ALPN '%s', want '%s'", got ? got : "", o->expect_alpn);
            return expect_fail(msg);
        }
    }
    if (o->expect_server_name) {
        const char *got = parley_conn_server_name(conn);
        if (!got || strcmp(got, o->expect_server_name) != 0) return expect_fail("server name mismatch");
    }
    if (o->expect_peer_cert_file && check_peer_chain(conn, o->expect_peer_cert_file) != SHIM_OK) return SHIM_FAIL;
    if (o->expect_advertised_alpn) {
        char want[1024];
        alpn_wire_to_text(o->expect_advertised_alpn, want, sizeof want);
        if (strcmp(want, t->client_alpn) != 0) {
            snprintf(msg, sizeof msg, "client offered ALPN '%s', want '%s'", t->client_alpn, want);
            return expect_fail(msg);
        }
    }
    if (o->expect_extended_master_secret && !parley_conn_ems(conn)) return expect_fail("no extended master secret");
    if (o->expect_hrr && !t->saw_hrr) return expect_fail("no HelloRetryRequest");
    if (o->expect_no_hrr && t->saw_hrr) return expect_fail("unexpected HelloRetryRequest");
    return SHIM_OK;
}

static int exchange(parley_conn *conn, const shim_opts *o, parley_key_provider *kp, int hello_sent)
{
    if (o->export_keying_material > 0) {
        uint8_t out[1024];
        size_t n = (size_t)o->export_keying_material;
        const char *ctx = o->export_context ? o->export_context : "";
        if (n > sizeof out) return expect_fail("export too long");
        if (parley_conn_export_keying_material(conn, o->export_label ? o->export_label : "", (const uint8_t *)ctx,
                                               strlen(ctx), o->use_export_context, out, n) != PARLEY_OK) {
            fprintf(stderr, "shim: export refused: %s\n", parley_conn_last_refusal(conn));
            return SHIM_FAIL;
        }
        if (write_all(conn, out, n)) return report(conn, "write");
    }
    if (o->write_different_record_sizes) {
        static const size_t sizes[] = {0, 1, 255, 256, 257, 16383, 16384, 16385, 32767, 32768, 32769};
        static uint8_t buf[32769];
        memset(buf, 0x42, sizeof buf);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            if (sizes[i] && write_all(conn, buf, sizes[i])) return report(conn, "write");
        return SHIM_OK;
    }
    if (o->shim_writes_first && !hello_sent && write_all(conn, (const uint8_t *)"hello", 5))
        return report(conn, "write");
    if (o->shim_shuts_down) return SHIM_OK;
    size_t rsize = o->read_size > 0 ? (size_t)o->read_size : 512;
    uint8_t *buf = malloc(rsize);
    if (!buf) return SHIM_FAIL;
    for (;;) {
        size_t n = 0;
        int rc = parley_fd_read(conn, buf, rsize, &n);
        if (rc == PARLEY_WANT_KEY_OP && kp && shim_keyop_run(kp)) continue;
        if (rc == PARLEY_CLOSED || rc == PARLEY_TRUNCATED) break; /* clean or unclean: both end the echo */
        if (rc != PARLEY_OK) {
            free(buf);
            return report(conn, "read");
        }
        if (o->use_exporter_between_reads) {
            uint8_t x;
            if (parley_conn_export_keying_material(conn, "EXPERIMENTAL shim", NULL, 0, 0, &x, 1) != PARLEY_OK) {
                fprintf(stderr, "shim: failed to export keying material: %s\n", parley_conn_last_refusal(conn));
                free(buf);
                return SHIM_FAIL;
            }
        }
        if (o->key_update && parley_conn_key_update(conn, 0) != PARLEY_OK) {
            free(buf);
            return report(conn, "key update");
        }
        for (size_t i = 0; i < n; i++) buf[i] ^= 0xff;
        if (write_all(conn, buf, n)) {
            free(buf);
            return report(conn, "write");
        }
    }
    free(buf);
    return SHIM_OK;
}

/* One connection of the test. *session carries the client's session from
 * one connection to the next. */
static int run_connection(int argc, char **argv, int index, parley_session_cache *cache,
                          const uint8_t ticket_keys[48], uint8_t *session, size_t *session_len)
{
    shim_opts o, retry;
    int rc = shim_parse(argc, argv, index > 0 ? SHIM_RESUME : SHIM_INITIAL, &o);
    if (rc == SHIM_OK) rc = shim_parse(argc, argv, SHIM_RETRY, &retry);
    if (rc != SHIM_OK) return rc;
    int why = SHIM_FAIL;
    /* -async: the key operations go through the shim's provider, which
     * keeps each one for a turn (shim_keyop.c). */
    parley_key_provider *kp = NULL;
    if (o.async && o.cert_file && o.key_file && !(kp = shim_keyop_new(o.key_file))) return SHIM_FAIL;
    parley_config *cfg = shim_make_config(&o, cache, ticket_keys, kp, &why);
    if (!cfg) {
        shim_keyop_free(kp);
        return why;
    }
    shim_trace t = {0};
    parley_config_set_trace(cfg, on_trace, &t);
    int fd = connect_runner(&o);
    if (fd < 0) return SHIM_FAIL;
    parley_conn *conn = o.is_server ? parley_conn_new_server(cfg) : parley_conn_new_client(cfg, o.host_name);
    if (!conn) {
        fprintf(stderr, "shim: new connection: %s\n", parley_config_error_string(cfg));
        close(fd);
        parley_config_free(cfg);
        shim_keyop_free(kp);
        return SHIM_FAIL;
    }
    int have_session = !o.is_server && *session_len &&
                       parley_conn_set_session(conn, session, *session_len) == PARLEY_OK;
    int early_offered = shim_early_offer(conn, &o, index > 0, have_session);
    parley_conn_set_fd(conn, fd);
    static shim_early_buf eb;
    eb.len = 0;
    rc = drive_handshake(conn, kp, &eb);
    if (rc != PARLEY_OK) {
        rc = report(conn, "handshake");
        goto out;
    }
    if ((rc = shim_early_check(conn, &o)) != SHIM_OK) goto out;
    /* (Not when the resumption must not offer it: the ticket's support is
     * then unchecked, and the test checks the rest.) */
    if (index > 0 && !o.is_server && o.expect_ticket_supports_early_data && o.enable_early_data &&
        !o.expect_no_offer_early_data && parley_conn_early_data_status(conn) == PARLEY_EARLY_DATA_NOT_OFFERED) {
        rc = expect_fail("the ticket did not allow early data (none was offered)");
        goto out;
    }
    int early_accepted = parley_conn_early_data_status(conn) == PARLEY_EARLY_DATA_ACCEPTED;
    /* A client whose early data was rejected goes on as BoringSSL's retry:
     * the -on-retry- settings describe the rest of the connection. */
    const shim_opts *after = &o;
    if (!o.is_server && early_offered && !early_accepted) {
        retry.enable_early_data = 0;
        after = &retry;
    }
    rc = check_results(conn, after, index > 0, &t);
    if (rc != SHIM_OK) goto out;
    int stores = shim_cache_take_stores(cache);
    if (o.is_server && index == 0 && o.expect_session_id && stores == 0) {
        rc = expect_fail("session was not cached on the server");
        goto out;
    }
    if (o.is_server && index == 0 && o.expect_no_session_id && stores > 0) {
        rc = expect_fail("session was unexpectedly cached on the server");
        goto out;
    }
    if (o.no_op_extra_handshake && parley_conn_handshake(conn) != PARLEY_OK) {
        rc = expect_fail("an extra handshake call was not a no-op");
        goto out;
    }
    uint16_t version = parley_conn_version(conn);
    if (!o.is_server && version == PARLEY_TLS1_2) {
        /* After a resumption too: the server may have renewed the ticket
         * (RFC 5077 3.3), and the next connection must offer the new one. */
        size_t len = 0;
        static uint8_t offered[8192];
        size_t offered_len = *session_len;
        memcpy(offered, session, offered_len);
        int got = parley_conn_get_session(conn, session, 8192, &len) == PARLEY_OK;
        /* -expect-ticket-renewal: the resumed session came with a new
         * ticket, so the session to offer next is not the one offered. */
        if (parley_conn_resumed(conn) && o.expect_ticket_renewal &&
            (!got || (len == offered_len && memcmp(session, offered, len) == 0))) {
            rc = expect_fail("the ticket was not renewed");
            goto out;
        }
        if (got != !o.expect_no_session && !parley_conn_resumed(conn)) {
            rc = session_mismatch(got);
            goto out;
        }
        *session_len = got ? len : 0;
    }
    rc = exchange(conn, after, kp, early_offered && early_accepted);
    if (rc != SHIM_OK) goto out;
    if (after->expect_total_renegotiations > 0) {
        rc = expect_fail("Parley does not renegotiate");
        goto out;
    }
    if (!o.is_server && version == PARLEY_TLS1_3) {
        size_t len = 0;
        int got = parley_conn_get_session(conn, session, 8192, &len) == PARLEY_OK;
        int want = !after->expect_no_session && !after->shim_shuts_down;
        if (got != want) {
            rc = session_mismatch(got);
            goto out;
        }
        if (got) *session_len = len;
    }
    if (parley_fd_close(conn) == PARLEY_ERROR && !o.shim_shuts_down) {
        /* The runner may already have gone: a failed close_notify is no failure. */
    }
    if (o.shim_shuts_down && o.check_close_notify) {
        uint8_t b[64];
        size_t n;
        int r;
        /* BoringSSL's SSL_shutdown, whose contract the runner tests: after
         * our close_notify only the peer's may come; application data is
         * an error (a KeyUpdate or an ignored alert is not). */
        while ((r = parley_fd_read(conn, b, sizeof b, &n)) == PARLEY_OK && n == 0) {
        }
        if (r == PARLEY_OK) {
            fprintf(stderr, "shim: application data after our close_notify\n");
            rc = SHIM_FAIL;
            goto out;
        }
        if (r != PARLEY_CLOSED) {
            fprintf(stderr, "shim: waiting for close_notify: status %d\n", r);
            rc = report(conn, "waiting for close_notify");
            goto out;
        }
    }
    rc = SHIM_OK;
out:
    parley_conn_free(conn);
    close(fd);
    parley_config_free(cfg);
    shim_keyop_free(kp);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    /* The runner asks once whether BoringSSL's split handshaker exists. */
    if (argc == 2 && strcmp(argv[1], "-is-handshaker-supported") == 0) {
        printf("No\n");
        return SHIM_OK;
    }
    shim_opts o;
    int rc = shim_parse(argc, argv, 0, &o);
    if (rc != SHIM_OK) return rc;
    /* Check the resumption's flags up front: an unimplemented one there
     * must not turn into a failure after the first connection. */
    shim_opts r;
    if ((rc = shim_parse(argc, argv, 1, &r)) != SHIM_OK) return rc;
    /* -expect-ticket-supports-early-data: Parley has no getter for a
     * ticket's max_early_data_size; a resumption proves it (the client offers
     * early data only under a ticket that allows it: checked there), and
     * without one the shim cannot. */
    if (o.expect_ticket_supports_early_data && o.resume_count == 0)
        return shim_unimplemented("-expect-ticket-supports-early-data without a resumption", NULL);
    parley_session_cache *cache = shim_cache_new();
    uint8_t ticket_keys[48];
    for (size_t i = 0; i < sizeof ticket_keys; i++) ticket_keys[i] = (uint8_t)(i * 7 + 1);
    static uint8_t session[8192];
    size_t session_len = 0;
    for (int i = 0; i <= o.resume_count; i++) {
        rc = run_connection(argc, argv, i, cache, ticket_keys, session, &session_len);
        if (rc != SHIM_OK) break;
    }
    shim_cache_free(cache);
    return rc;
}
