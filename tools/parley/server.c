/*
 * server.c - `parley server`: accepts TLS connections and answers each HTTP
 * request with a small page describing the connection. One thread per
 * connection with blocking sockets and timeouts, so a stuck or hostile client
 * only holds its own thread (the libuv event loop arrives with `parley proxy`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ladder.h"
#include "options.h"
#include "server_limits.h"
#include "server_opts.h"
#include "workers.h"

static volatile sig_atomic_t g_hup;
static void on_hup(int sig)
{
    (void)sig;
    g_hup = 1;
}

/* A handshake on a blocking socket; a pending key operation is waited for.
 * Accepted 0-RTT data (RFC 8446 2.3) goes into early[0..cap), *elen bytes;
 * anything past cap is read and dropped (the request buffer's bound). The
 * server's flight has been sent before (parley_fd_handshake flushes). */
static int serve_handshake(parley_conn *c, char *early, size_t cap, size_t *elen)
{
    for (;;) {
        int rc = parley_fd_handshake(c);
        if (rc == PARLEY_EARLY_DATA) {
            uint8_t sink[4096];
            size_t n = 0;
            while (*elen < cap ? parley_conn_read_early_data(c, (uint8_t *)early + *elen, cap - *elen, &n) == PARLEY_OK
                               : parley_conn_read_early_data(c, sink, sizeof sink, &n) == PARLEY_OK)
                if (*elen < cap) *elen += n;
            continue;
        }
        if (rc != PARLEY_WANT_KEY_OP) return rc;
        if (!server_keyless) return PARLEY_ERROR;
        /* NULL: the answer already came (seen with acquire, so its bytes are
         * visible to this thread); the handshake simply goes on. Otherwise
         * wait on the provider, then drive the handshake from this thread
         * again (parley.h, key providers, "Threading"). */
        parley_key_op *op = parley_conn_pending_key_op(c);
        if (op) parley_keyless_wait(server_keyless, op);
    }
}

typedef struct {
    parley_config *cfg;
    int fd;
    unsigned long id;
    char peer[96];
    int trace;
    conn_slot *slot;
} conn_job;

/* --max-conns, --handshake-timeout and --request-timeout (server_limits.c). */
static int g_max_conns = 1024, g_hs_timeout_ms = 10000, g_req_timeout_ms = 10000;
/* How long to drain after a fatal alert (tool_linger_drain): TOOL_LINGER_MS,
 * or --handshake-timeout if that is shorter. */
static int g_linger_ms = TOOL_LINGER_MS;

/* --export LABEL:LEN (logged per connection) and --post-handshake-auth PATH
 * (a request for PATH asks for a client certificate first: export.c). */
static tool_export g_export;
static const char *g_pha_path;
/* --ladder-dir DIR, --ladder-max N (default 100): one page per connection (ladder_tool.c). */
static const char *g_ladder_dir;
static int g_ladder_max = 100;

/* The request line's path is `path`: "METHOD PATH ..." */
static int request_path_is(const char *req, const char *path)
{
    const char *sp = strchr(req, ' ');
    size_t pl = strlen(path);
    return sp && strncmp(sp + 1, path, pl) == 0 && (sp[1 + pl] == ' ' || sp[1 + pl] == '\r' || sp[1 + pl] == '\n');
}

static void *serve_one(void *arg)
{
    conn_job *j = arg;
    ladder_server_begin();
    parley_conn *c = parley_conn_new_server(j->cfg);
    if (!c) {
        fprintf(stderr, "parley: [%lu] cannot create connection: %s\n", j->id, parley_config_error_string(j->cfg));
        goto out;
    }
    parley_conn_set_userdata(c, (void *)(uintptr_t)j->id);
    parley_conn_set_fd(c, j->fd);
    /* Read one request: up to the end of the HTTP header, 16 KiB at most;
     * 0-RTT data first (it may hold the whole request). */
    char req[16384];
    size_t rl = 0;
    int hs = serve_handshake(c, req, sizeof req - 1, &rl);
    size_t early_len = rl;
    req[rl] = 0;
    if (hs != PARLEY_OK) {
        if (limits_timed_out(j->slot) == LIMITS_CUT_HANDSHAKE)
            fprintf(stderr, "parley: [%lu] %s: handshake failed: not complete within %d ms (--handshake-timeout)", j->id,
                    j->peer, g_hs_timeout_ms);
        else
            fprintf(stderr, "parley: [%lu] %s: handshake failed: %s", j->id, j->peer, parley_conn_error_string(c));
        if (parley_conn_alert_sent(c) >= 0) fprintf(stderr, " (alert sent: %s)", parley_alert_name(parley_conn_alert_sent(c)));
        if (parley_conn_alert_received(c) >= 0) fprintf(stderr, " (alert received: %s)", parley_alert_name(parley_conn_alert_received(c)));
        /* Whether 0-RTT data was taken (a replayer never finishes its handshake). */
        if (rl || parley_conn_early_data_status(c) == PARLEY_EARLY_DATA_REJECTED)
            fprintf(stderr, rl ? " early=1" : " early=rejected");
        fprintf(stderr, "\n");
        /* The alert is written (parley_fd_handshake flushes it): deliver it
         * rather than reset it away with the client's unread bytes. The slot
         * stays taken (--max-conns) while this lasts; the watchdog's
         * handshake deadline still bounds it. */
        if (parley_conn_alert_sent(c) >= 0) tool_linger_drain(j->fd, g_linger_ms);
        goto out;
    }
    limits_handshake_done(j->slot);
    const char *sni = parley_conn_server_name(c), *alpn = parley_conn_alpn(c);
    /* early=1: request bytes came as 0-RTT data (they may have been
     * replayed, RFC 8446 8); early=rejected: offered and not accepted. */
    int eds = parley_conn_early_data_status(c);
    fprintf(stderr, "parley: [%lu] %s: %s %s %s sni=%s alpn=%s ems=%s%s\n", j->id, j->peer,
            parley_version_name(parley_conn_version(c)), parley_cipher_name(parley_conn_cipher(c)),
            parley_conn_resumed(c) ? "resumed" : parley_conn_group(c) ? parley_group_name(parley_conn_group(c)) : "rsa",
            sni ? sni : "none", alpn ? alpn : "none", parley_conn_ems(c) ? "yes" : "no",
            early_len ? " early=1" : eds == PARLEY_EARLY_DATA_REJECTED ? " early=rejected" : "");
    if (g_export.len) {
        static _Thread_local char hex[2 * PARLEY_EXPORT_MAX + 512];
        fprintf(stderr, "parley: [%lu] %s: exporter: %s\n", j->id, j->peer, tool_export_hex(c, &g_export, hex, sizeof hex));
    }
    size_t cc_plain = 0, cc_wire = 0;
    const char *cc = parley_conn_cert_compression(c, 1, &cc_plain, &cc_wire);
    char ccs[96] = "none";
    if (cc) {
        snprintf(ccs, sizeof ccs, "%s (%zu -> %zu bytes)", cc, cc_plain, cc_wire);
        fprintf(stderr, "parley: [%lu] %s: cert_compression: %s\n", j->id, j->peer, ccs);
    }
    const char *ccc = parley_conn_cert_compression(c, 0, &cc_plain, &cc_wire);
    if (ccc)
        fprintf(stderr, "parley: [%lu] %s: client_cert_compression: %s (%zu -> %zu bytes)\n", j->id, j->peer, ccc, cc_plain,
                cc_wire);
    int rc = PARLEY_OK;
    while (rl < sizeof req - 1 && !strstr(req, "\r\n\r\n") && !strstr(req, "\n\n")) {
        size_t n = 0;
        rc = parley_fd_read(c, (uint8_t *)req + rl, sizeof req - 1 - rl, &n);
        if (rc != PARLEY_OK) break;
        rl += n;
        req[rl] = 0;
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    /* The watchdog shut the socket: whatever was read is not a request. */
    if (limits_timed_out(j->slot)) {
        fprintf(stderr, "parley: [%lu] %s: request not complete within %d ms (--request-timeout)\n", j->id, j->peer,
                g_req_timeout_ms);
        goto close;
    }
    /* The request may have been cut short (RFC 8446 6.1): say so. */
    if (rc == PARLEY_TRUNCATED)
        fprintf(stderr, "parley: [%lu] %s: connection closed without close_notify (possible truncation)\n", j->id, j->peer);
    if (rl == 0) {
        if (rc == PARLEY_ERROR) fprintf(stderr, "parley: [%lu] %s: %s\n", j->id, j->peer, parley_conn_error_string(c));
        goto close;
    }
    /* RFC 8446 4.6.2: this resource needs a client certificate; ask now. */
    const char *pha = NULL;
    if (g_pha_path && request_path_is(req, g_pha_path)) {
        int pr = tool_post_handshake_auth(c, j->fd);
        if (pr < 0) {
            const char *e = parley_conn_error_string(c); /* failed, or else the request was refused */
            if (!e[0]) e = parley_conn_last_refusal(c);
            fprintf(stderr, "parley: [%lu] %s: post-handshake authentication failed: %s", j->id, j->peer,
                    e[0] ? e : "the connection ended before the answer");
            if (parley_conn_alert_sent(c) >= 0) fprintf(stderr, " (alert sent: %s)", parley_alert_name(parley_conn_alert_sent(c)));
            if (parley_conn_alert_received(c) >= 0)
                fprintf(stderr, " (alert received: %s)", parley_alert_name(parley_conn_alert_received(c)));
            fprintf(stderr, "\n");
            goto close;
        }
        static _Thread_local char refused[300];
        if (pr == 2) snprintf(refused, sizeof refused, "not possible: %s", parley_conn_last_refusal(c));
        pha = pr == 2   ? refused
              : pr == 1 ? "not in TLS 1.2 (the handshake asked)"
              : parley_conn_client_auth_status(c) == PARLEY_CLIENT_AUTH_OK ? "ok"
                                                                          : "no certificate";
        fprintf(stderr, "parley: [%lu] %s: post-handshake authentication: %s (verify: %s)\n", j->id, j->peer, pha,
                parley_conn_verify_result(c));
    }
    char body[4096], resp[4600], who[1200] = "none";
    if (parley_conn_peer_cert_count(c) > 0) {
        char subj[512], iss[512], nb[64], na[64];
        char sans[256] = "";
        (void)parley_conn_peer_cert_sans(c, 0, sans, sizeof sans);
        if (parley_conn_peer_cert_info(c, 0, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na) == PARLEY_OK)
            if (snprintf(who, sizeof who, "%s (issuer %s, verify: %s%s%s)", subj, iss, parley_conn_verify_result(c),
                         sans[0] ? ", " : "", sans) >= (int)sizeof who)
                memcpy(who + sizeof who - 4, "...", 4); /* a long identity is cut, visibly */
        /* The client's names go into the response and the log: no control
         * byte of theirs may start a line there. */
        for (char *w = who; *w; w++)
            if ((unsigned char)*w < 0x20 || *w == 0x7f) *w = '?';
    }
    int bl = snprintf(body, sizeof body,
                      "Hello from parley %s\n"
                      "protocol: %s\n"
                      "cipher: %s\n"
                      "group: %s\n"
                      "signature: %s\n"
                      "resumed: %s\n"
                      "extended_master_secret: %s\n"
                      "sni: %s\n"
                      "alpn: %s\n"
                      "client_certificate: %s\n"
                      "cert_compression: %s\n"
                      "pid: %d\n"
                      "early_data: %s\n",
                      PARLEY_VERSION_STRING, parley_version_name(parley_conn_version(c)),
                      parley_cipher_name(parley_conn_cipher(c)),
                      tool_group(c),
                      parley_conn_signature_scheme(c) ? parley_sigscheme_name(parley_conn_signature_scheme(c)) : "none",
                      parley_conn_resumed(c) ? "yes" : "no", parley_conn_ems(c) ? "yes" : "no",
                      sni ? sni : "none", alpn ? alpn : "none", who, ccs, (int)getpid(),
                      early_len ? "yes (the request came in 0-RTT data)"
                      : eds == PARLEY_EARLY_DATA_ACCEPTED ? "accepted"
                      : eds == PARLEY_EARLY_DATA_REJECTED ? "rejected" : "not offered");
    if (pha && bl > 0 && (size_t)bl < sizeof body)
        bl += snprintf(body + bl, sizeof body - (size_t)bl, "post_handshake_auth: %s\n", pha);
    /* Early-Data: 1 tells the client its request was read from early data
     * (RFC 8470 names the header; here it is informative only). */
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n%s", bl,
                     early_len ? "Early-Data: 1\r\n" : "", body);
    if (parley_fd_write(c, (const uint8_t *)resp, (size_t)n) != PARLEY_OK)
        fprintf(stderr, "parley: [%lu] %s: write failed: %s\n", j->id, j->peer, parley_conn_error_string(c));
close:
    parley_fd_close(c);
    /* Linger so the client reads the response (or the fatal alert) and
     * close_notify before the FIN rather than a reset: after a response a
     * second at most in all, as before, after an alert TOOL_LINGER_MS; and
     * TOOL_LINGER_BYTES at most, so a client that keeps sending does not keep
     * the thread. */
    tool_linger_drain(j->fd, parley_conn_alert_sent(c) >= 0 ? g_linger_ms : 1000);
out:
    ladder_server_end(j->id, j->peer);
    parley_conn_free(c);
    limits_release(j->slot);
    close(j->fd);
    parley_config_free(j->cfg);
    free(j);
    return NULL;
}


static int server_run(const server_opts *o);

/* The built-in page speaks HTTP/1.x only. --alpn h2 alone is refused at
 * start. With h2 among others, h2 goes to the end of the server's
 * preference list (RFC 7301 3.2: the server's order decides): a client that
 * offers HTTP/1.x gets it; only a client offering h2 and nothing else in
 * common still gets h2 (test_server_vs_peers.sh: gnutls-cli --alpn h2 then
 * sends an HTTP/1 request, and the page answers it). */
static void server_alpn_http1(server_opts *o)
{
    if (!o->alpn) return;
    size_t n = strlen(o->alpn);
    char *out = malloc(n + 2), *copy = strdup(o->alpn);
    if (!out || !copy) tool_die("out of memory");
    out[0] = 0;
    int h2 = 0, others = 0;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "h2")) {
            h2 = 1;
            continue;
        }
        others++;
        if (out[0]) strcat(out, ",");
        strcat(out, t);
    }
    free(copy);
    if (h2 && !others) {
        tool_opt_point(o->alpn);
        tool_die("--alpn h2: the built-in page speaks HTTP/1.x only; add http/1.1 (or serve HTTP/2 behind parley proxy)");
    }
    if (h2) strcat(strcat(out, ","), "h2");
    /* Unchanged (no h2, or already last): keep the option's own string, so
     * an error about it still names its config line (tool_opt_where). */
    static char *rewritten; /* the process's for its life (reachable: no leak report) */
    if (!strcmp(out, o->alpn)) free(out);
    else o->alpn = rewritten = out;
}

static int server_run_worker(void *arg) { return server_run(arg); }

int tool_server(int argc, char **argv)
{
    server_opts o = {.listen_on = "127.0.0.1:8443", .kl_timeout = 2000, .kl_pool = 2};
    int check = 0;
    tool_config_load(&argc, &argv); /* --config FILE: its options first */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int at = tool_opt_begin(i);
        if (!strcmp(a, "--max-conns")) g_max_conns = (int)tool_num_arg(a, tool_opt_value(argc, argv, &i), 1, 1000000);
        else if (!strcmp(a, "--handshake-timeout")) g_hs_timeout_ms = tool_ms_arg(a, tool_opt_value(argc, argv, &i), 3600);
        else if (!strcmp(a, "--request-timeout")) g_req_timeout_ms = tool_ms_arg(a, tool_opt_value(argc, argv, &i), 3600);
        else if (!strcmp(a, "--export")) tool_export_parse(tool_opt_value(argc, argv, &i), &g_export);
        else if (!strcmp(a, "--ladder-dir")) g_ladder_dir = tool_opt_value(argc, argv, &i);
        else if (!strcmp(a, "--ladder-max")) g_ladder_max = (int)tool_num_arg(a, tool_opt_value(argc, argv, &i), 1, 1000000);
        else if (!strcmp(a, "--post-handshake-auth")) g_pha_path = tool_opt_value(argc, argv, &i);
        else if (!strcmp(a, "--check-config")) check = 1;
        else if (!server_opt(&o, argc, argv, &i))
            tool_die("unknown server option %s (see parley --help)", a);
        tool_opt_end(at, i);
    }
    server_alpn_http1(&o);
    server_opts_finish(&o);
    if (check) return server_opts_check(&o);
    if (g_pha_path && !o.client_ca) tool_die("--post-handshake-auth needs --client-ca FILE");
    if (g_ladder_dir && access(g_ladder_dir, W_OK | X_OK) != 0) tool_die("--ladder-dir %s: %s", g_ladder_dir, strerror(errno));
    if (g_hs_timeout_ms < g_linger_ms) g_linger_ms = g_hs_timeout_ms;
    char host[256], port[32];
    if (tool_split_hostport(o.listen_on, host, sizeof host, port, sizeof port) < 0) tool_die("--listen wants ADDR:PORT");
    if (o.workers <= 1) return server_run(&o);
    /* One socket made here, before the fork: every worker accepts from its
     * one queue, so a killed worker leaves no queued connection behind (as
     * one socket per worker with SO_REUSEPORT did: docs/deploy.md). Its
     * queue is as long as the workers' were together (the kernel caps it at
     * net.core.somaxconn). */
    if ((o.listen_fd = workers_listen(o.listen_on, 128 * o.workers)) < 0) {
        fprintf(stderr, "parley: cannot listen on %s: %s\n", o.listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    /* The server's workers stop at SIGTERM at once (its default action). */
    workers_spec w = {.workers = o.workers, .run = server_run_worker, .arg = &o, .what = "server", .drain_ms = 0,
                      .fds = {o.listen_fd}, .nfds = 1};
    int rc = workers_run(&w);
    server_opts_cache_free(&o);
    return rc;
}

static int server_run(const server_opts *o)
{
    parley_config *cfg = server_opts_config(o, 1);
    /* TLS 1.3 handshakes do not ask; requests for the path do (RFC 8446 4.6.2). */
    if (g_pha_path && parley_config_set_post_handshake_auth(cfg, 1) != PARLEY_OK) tool_die("%s", parley_config_error_string(cfg));
    if (g_ladder_dir) ladder_server_setup(cfg, g_ladder_dir, g_ladder_max, o->trace);
    /* SIGHUP re-reads the ticket keys (--ticket-keys); accept() is
     * interrupted to do it. Without a file it is logged and ignored: a
     * reload signal must never end the server (its default action). */
    struct sigaction hup = {0};
    hup.sa_handler = on_hup;
    sigaction(SIGHUP, &hup, NULL);

    int lfd = o->listen_fd > 0 ? o->listen_fd : tool_bind(o->listen_on);
    if (lfd < 0 || (o->listen_fd <= 0 && listen(lfd, 128) < 0)) {
        fprintf(stderr, "parley: cannot listen on %s: %s\n", o->listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    signal(SIGPIPE, SIG_IGN);
    /* The watchdog thread (limits_init) must never take SIGHUP: only this
     * thread's accept() is interrupted to reload, so a SIGHUP that went to
     * the watchdog waited for the next connection (and a test that waits for
     * the reload line first waited in vain). Held here, the thread inherits
     * it held; worker_ready() lets it through to this thread. */
    sigset_t hupset;
    sigemptyset(&hupset);
    sigaddset(&hupset, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hupset, NULL);
    g_max_conns = limits_fit_descriptors(g_max_conns);
    if (limits_init(g_max_conns, g_hs_timeout_ms, g_req_timeout_ms) < 0) {
        fprintf(stderr, "parley: cannot start the connection watchdog\n");
        return TOOL_EXIT_FAIL;
    }
    /* Ready: a SIGHUP held until now is handled, and the supervisor knows
     * that a failure from here on is not a start-up error. */
    worker_ready();
    printf("listening on %s (pid %d)\n", o->listen_on, (int)getpid());
    fflush(stdout);
    unsigned long next_id = 1;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
        if (g_hup) {
            g_hup = 0;
            if (!o->ticket_keys) fprintf(stderr, "parley: SIGHUP: nothing to reload (no --ticket-keys) (pid %d)\n", (int)getpid());
            else if (parley_config_reload_ticket_keys(cfg) == PARLEY_OK) fprintf(stderr, "parley: ticket keys reloaded\n");
            else fprintf(stderr, "parley: ticket keys not reloaded: %s\n", parley_config_error_string(cfg));
        }
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            /* Out of descriptors the connection stays queued and accept()
             * fails again at once: back off, log once a second. */
            limits_accept_failed(lfd, errno);
            continue;
        }
        char h[64] = "?", p[16] = "?";
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
        unsigned long id = next_id++;
        /* Past the cap the connection is closed at once: the threads already
         * serving are not slowed, and a flood of connections cannot run the
         * process out of threads or descriptors. */
        conn_slot *slot = limits_admit(fd);
        if (!slot) {
            char peer[96];
            snprintf(peer, sizeof peer, "%s:%s", h, p);
            limits_refused(peer); /* one line a second at most, with a count */
            close(fd);
            continue;
        }
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        conn_job *j = calloc(1, sizeof *j);
        if (!j) {
            limits_release(slot);
            close(fd);
            continue;
        }
        j->fd = fd;
        j->id = id;
        j->cfg = cfg;
        j->slot = slot;
        parley_config_ref(cfg);
        snprintf(j->peer, sizeof j->peer, "%s:%s", h, p);
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, serve_one, j) != 0) {
            limits_release(slot);
            close(fd);
            parley_config_free(cfg);
            free(j);
        }
        pthread_attr_destroy(&at);
    }
}
