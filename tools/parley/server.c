/*
 * server.c - `parley server`: accepts TLS connections and answers each HTTP
 * request with a small page describing the connection. One thread per
 * connection with blocking sockets and timeouts, so a stuck or hostile client
 * only holds its own thread (the libuv event loop arrives with `parley proxy`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define MAX_CERTS 8

static parley_key_provider *g_keyless; /* set with --keyless */
static volatile sig_atomic_t g_hup;
static void on_hup(int sig)
{
    (void)sig;
    g_hup = 1;
}
static pid_t g_workers[64];
static int g_nworkers;

/* The parent passes SIGTERM / SIGINT on to its workers, then ends. */
static void stop_workers(int sig)
{
    for (int i = 0; i < g_nworkers; i++) kill(g_workers[i], SIGTERM);
    _exit(sig == SIGTERM ? 0 : 1);
}

/* A handshake on a blocking socket; a pending key operation is waited for. */
static int serve_handshake(parley_conn *c)
{
    for (;;) {
        int rc = parley_fd_handshake(c);
        if (rc != PARLEY_WANT_KEY_OP) return rc;
        if (!g_keyless) return PARLEY_ERROR;
        /* NULL: the answer already came; the handshake simply goes on. */
        parley_key_op *op = parley_conn_pending_key_op(c);
        if (op) parley_keyless_wait(g_keyless, op);
    }
}

typedef struct {
    parley_config *cfg;
    int fd;
    unsigned long id;
    char peer[96];
    int trace;
} conn_job;

static void *serve_one(void *arg)
{
    conn_job *j = arg;
    parley_conn *c = parley_conn_new_server(j->cfg);
    if (!c) {
        fprintf(stderr, "parley: [%lu] cannot create connection: %s\n", j->id, parley_config_error_string(j->cfg));
        goto out;
    }
    parley_conn_set_userdata(c, (void *)(uintptr_t)j->id);
    parley_conn_set_fd(c, j->fd);
    if (serve_handshake(c) != PARLEY_OK) {
        fprintf(stderr, "parley: [%lu] %s: handshake failed: %s", j->id, j->peer, parley_conn_error_string(c));
        if (parley_conn_alert_sent(c) >= 0) fprintf(stderr, " (alert sent: %s)", parley_alert_name(parley_conn_alert_sent(c)));
        if (parley_conn_alert_received(c) >= 0) fprintf(stderr, " (alert received: %s)", parley_alert_name(parley_conn_alert_received(c)));
        fprintf(stderr, "\n");
        goto out;
    }
    const char *sni = parley_conn_server_name(c), *alpn = parley_conn_alpn(c);
    fprintf(stderr, "parley: [%lu] %s: %s %s %s sni=%s alpn=%s\n", j->id, j->peer,
            parley_version_name(parley_conn_version(c)), parley_cipher_name(parley_conn_cipher(c)),
            parley_conn_resumed(c) ? "resumed" : parley_conn_group(c) ? parley_group_name(parley_conn_group(c)) : "rsa",
            sni ? sni : "none", alpn ? alpn : "none");
    /* Read one request: up to the end of the HTTP header, 16 KiB at most. */
    char req[16384];
    size_t rl = 0;
    int rc = PARLEY_OK;
    while (rl < sizeof req - 1) {
        size_t n = 0;
        rc = parley_fd_read(c, (uint8_t *)req + rl, sizeof req - 1 - rl, &n);
        if (rc != PARLEY_OK) break;
        rl += n;
        req[rl] = 0;
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    if (rl == 0) {
        if (rc == PARLEY_ERROR) fprintf(stderr, "parley: [%lu] %s: %s\n", j->id, j->peer, parley_conn_error_string(c));
        goto close;
    }
    char body[4096], resp[4600], who[1200] = "none";
    if (parley_conn_peer_cert_count(c) > 0) {
        char subj[512], iss[512], nb[64], na[64];
        char sans[256] = "";
        (void)parley_conn_peer_cert_sans(c, 0, sans, sizeof sans);
        if (parley_conn_peer_cert_info(c, 0, subj, sizeof subj, iss, sizeof iss, nb, sizeof nb, na, sizeof na) == PARLEY_OK)
            snprintf(who, sizeof who, "%s (issuer %s, verify: %s%s%s)", subj, iss, parley_conn_verify_result(c),
                     sans[0] ? ", " : "", sans);
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
                      "pid: %d\n",
                      PARLEY_VERSION_STRING, parley_version_name(parley_conn_version(c)),
                      parley_cipher_name(parley_conn_cipher(c)),
                      parley_conn_resumed(c) ? "none" : parley_conn_group(c) ? parley_group_name(parley_conn_group(c)) : "rsa",
                      parley_conn_signature_scheme(c) ? parley_sigscheme_name(parley_conn_signature_scheme(c)) : "none",
                      parley_conn_resumed(c) ? "yes" : "no", parley_conn_ems(c) ? "yes" : "no",
                      sni ? sni : "none", alpn ? alpn : "none", who, (int)getpid());
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", bl,
                     body);
    if (parley_fd_write(c, (const uint8_t *)resp, (size_t)n) != PARLEY_OK)
        fprintf(stderr, "parley: [%lu] %s: write failed: %s\n", j->id, j->peer, parley_conn_error_string(c));
close:
    parley_fd_close(c);
    /* Linger briefly so the client reads the response and close_notify before the FIN. */
    shutdown(j->fd, SHUT_WR);
    {
        uint8_t drain[512];
        struct timeval tv = {1, 0};
        setsockopt(j->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        while (recv(j->fd, drain, sizeof drain, 0) > 0) {
        }
    }
out:
    parley_conn_free(c);
    close(j->fd);
    parley_config_free(j->cfg);
    free(j);
    return NULL;
}

static int server_run(const char *listen_on, const char *alpn, const char *ciphers, const char *groups, const char *keylog,
                      const char **certs, const char **keys, int ncert, int nkey, int trace, int padding, int allow_rsa,
                      uint16_t vmin, uint16_t vmax, const char *export_cert, const char *client_ca, const char *verify,
                      const char *keyless, const char *kl_ca, const char *kl_cert, const char *kl_key, int kl_timeout,
                      int kl_pool, const char **crls, int ncrl, int crl_warn, const char **ocsps, int nocsp,
                      parley_session_cache *cache, int reuseport, const char *ticket_keys, int no_tickets);

int tool_server(int argc, char **argv)
{
    const char *listen_on = "127.0.0.1:8443", *alpn = NULL, *ciphers = NULL, *groups = NULL, *keylog = NULL;
    const char *export_cert = NULL, *client_ca = NULL, *verify = NULL;
    const char *keyless = NULL, *kl_ca = NULL, *kl_cert = NULL, *kl_key = NULL;
    int kl_timeout = 2000, kl_pool = 2;
    const char *certs[MAX_CERTS], *keys[MAX_CERTS], *ocsps[MAX_CERTS];
    int nocsp = 0;
    int ncert = 0, nkey = 0, trace = 0, padding = 0, allow_rsa = 0, ncrl = 0, crl_warn = 0, workers = 0;
    const char *cache_spec = NULL, *ticket_keys = NULL;
    int no_tickets = 0;
    const char *crls[16];
    uint16_t vmin = 0, vmax = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (tool_die("%s needs a value", a), (char *)NULL))
        if (!strcmp(a, "--listen")) listen_on = NEXT();
        else if (!strcmp(a, "--cert")) {
            if (ncert == MAX_CERTS) tool_die("at most %d certificates", MAX_CERTS);
            certs[ncert++] = NEXT();
        } else if (!strcmp(a, "--key")) {
            if (nkey == MAX_CERTS) tool_die("at most %d keys", MAX_CERTS);
            keys[nkey++] = NEXT();
        } else if (!strcmp(a, "--alpn")) alpn = NEXT();
        else if (!strcmp(a, "--ciphers")) ciphers = NEXT();
        else if (!strcmp(a, "--groups")) groups = NEXT();
        else if (!strcmp(a, "--keylog")) keylog = NEXT();
        else if (!strcmp(a, "--trace")) trace = 1;
        else if (!strcmp(a, "--export-cert")) export_cert = NEXT();
        else if (!strcmp(a, "--record-padding")) padding = atoi(NEXT());
        else if (!strcmp(a, "--tls1.3")) vmin = vmax = PARLEY_TLS1_3;
        else if (!strcmp(a, "--tls1.2")) vmin = vmax = PARLEY_TLS1_2;
        else if (!strcmp(a, "--allow-rsa-kx")) allow_rsa = 1;
        else if (!strcmp(a, "--client-ca")) client_ca = NEXT();
        else if (!strcmp(a, "--verify")) verify = NEXT();
        else if (!strcmp(a, "--crl")) {
            if (ncrl == 16) tool_die("at most 16 --crl files");
            crls[ncrl++] = NEXT();
        } else if (!strcmp(a, "--crl-expired")) crl_warn = !strcmp(NEXT(), "warn");
        else if (!strcmp(a, "--keyless")) keyless = NEXT();
        else if (!strcmp(a, "--workers")) workers = atoi(NEXT());
        else if (!strcmp(a, "--session-cache")) cache_spec = NEXT();
        else if (!strcmp(a, "--ticket-keys")) ticket_keys = NEXT();
        else if (!strcmp(a, "--no-tickets")) no_tickets = 1;
        else if (!strcmp(a, "--keyless-ca")) kl_ca = NEXT();
        else if (!strcmp(a, "--keyless-cert")) kl_cert = NEXT();
        else if (!strcmp(a, "--keyless-key")) kl_key = NEXT();
        else if (!strcmp(a, "--keyless-timeout")) kl_timeout = atoi(NEXT());
        else if (!strcmp(a, "--keyless-pool")) kl_pool = atoi(NEXT());
        else if (!strcmp(a, "--ocsp-response")) {
            if (nocsp == MAX_CERTS) tool_die("at most %d OCSP responses", MAX_CERTS);
            ocsps[nocsp++] = NEXT();
        }
        else tool_die("unknown server option %s (see parley --help)", a);
#undef NEXT
    }
    if (keyless) {
        if (nkey) tool_die("with --keyless the private keys stay on the key server: give --cert without --key");
        if (!ncert) tool_die("--keyless needs the certificates (--cert)");
        if (!kl_ca || !kl_cert || !kl_key) tool_die("--keyless needs --keyless-ca, --keyless-cert and --keyless-key");
    } else if (ncert != nkey) tool_die("each --cert needs a --key");
    parley_session_cache *cache = NULL;
    if (cache_spec && !strcmp(cache_spec, "none")) {
        cache = NULL;
    } else if (cache_spec && !strncmp(cache_spec, "shm:", 4)) {
        char *end = NULL;
        double v = strtod(cache_spec + 4, &end);
        size_t bytes = (size_t)(v * (*end == 'm' || *end == 'M' ? 1048576 : *end == 'k' || *end == 'K' ? 1024 : 1));
        if (!(cache = parley_session_cache_shm_new(bytes))) tool_die("cannot make a shared session cache of %s", cache_spec + 4);
    } else if (cache_spec && !strncmp(cache_spec, "memory:", 7)) {
        if (workers > 1) fprintf(stderr, "parley: note: memory:N caches are per worker; use shm:SIZE to share sessions\n");
        cache = parley_session_cache_memory_new((size_t)atol(cache_spec + 7));
    } else if (cache_spec && !strncmp(cache_spec, "redis://", 8)) {
        /* Made in the parent: its connection is opened lazily, so each worker opens its own. */
        if (!(cache = tool_redis_cache_new(cache_spec))) tool_die("--session-cache redis://HOST:PORT[/DB], got %s", cache_spec);
    } else if (cache_spec) {
        tool_die("--session-cache takes memory:N, shm:SIZE, redis://HOST:PORT[/DB] or none");
    }
    if (workers > 1 && ncert == 0) tool_die("--workers needs --cert/--key (each worker would otherwise make its own certificate)");
    if (workers <= 1)
        return server_run(listen_on, alpn, ciphers, groups, keylog, certs, keys, ncert, nkey, trace, padding, allow_rsa, vmin, vmax,
                      export_cert, client_ca, verify, keyless, kl_ca, kl_cert, kl_key, kl_timeout, kl_pool, crls, ncrl, crl_warn,
                      ocsps, nocsp, cache, workers > 1, ticket_keys, no_tickets);
    /* Forked workers sharing the port (SO_REUSEPORT) and the shm cache. */
    if (workers > 64) workers = 64;
    struct sigaction sa = {0};
    sa.sa_handler = stop_workers;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (int i = 0; i < workers; i++) {
        pid_t pid = fork();
        if (pid < 0) tool_die("fork failed");
        if (pid == 0) {
            /* A worker does not outlive its parent. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            _exit(server_run(listen_on, alpn, ciphers, groups, keylog, certs, keys, ncert, nkey, trace, padding, allow_rsa, vmin, vmax,
                      export_cert, client_ca, verify, keyless, kl_ca, kl_cert, kl_key, kl_timeout, kl_pool, crls, ncrl, crl_warn,
                      ocsps, nocsp, cache, 1, ticket_keys, no_tickets));
        }
        g_workers[g_nworkers++] = pid;
    }
    printf("parley server: %d workers\n", workers);
    fflush(stdout);
    int status = 0, alive = workers;
    while (alive > 0) {
        int st;
        pid_t w = wait(&st);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        alive--;
        if (WIFSIGNALED(st)) fprintf(stderr, "parley server: worker %d ended by signal %d; %d workers left\n", (int)w, WTERMSIG(st), alive);
    }
    return status;
}

static int server_run(const char *listen_on, const char *alpn, const char *ciphers, const char *groups, const char *keylog,
                      const char **certs, const char **keys, int ncert, int nkey, int trace, int padding, int allow_rsa,
                      uint16_t vmin, uint16_t vmax, const char *export_cert, const char *client_ca, const char *verify,
                      const char *keyless, const char *kl_ca, const char *kl_cert, const char *kl_key, int kl_timeout,
                      int kl_pool, const char **crls, int ncrl, int crl_warn, const char **ocsps, int nocsp,
                      parley_session_cache *cache, int reuseport, const char *ticket_keys, int no_tickets)
{
    char host[256], port[32];
    if (tool_split_hostport(listen_on, host, sizeof host, port, sizeof port) < 0) tool_die("--listen wants ADDR:PORT");

    parley_config *cfg = parley_config_new();
    if (keyless) {
        /* The channel to the key server: Parley TLS 1.3 with our client certificate. */
        char err[512];
        parley_config *kc = parley_config_new();
        if (parley_config_set_ca_file(kc, kl_ca) || parley_config_add_cert_files(kc, kl_cert, kl_key) ||
            parley_config_set_versions(kc, PARLEY_TLS1_3, PARLEY_TLS1_3))
            tool_die("%s", parley_config_error_string(kc));
        g_keyless = parley_keyless_new(keyless, kc, kl_pool, kl_timeout, err, sizeof err);
        parley_config_free(kc);
        if (!g_keyless) tool_die("%s", err);
        for (int i = 0; i < ncert; i++)
            if (parley_config_add_cert_with_provider(cfg, certs[i], g_keyless)) tool_die("%s", parley_config_error_string(cfg));
        printf("keyless: private-key operations go to %s\n", keyless);
    }
    for (int i = 0; !keyless && i < ncert; i++)
        if (parley_config_add_cert_files(cfg, certs[i], keys[i])) tool_die("%s", parley_config_error_string(cfg));
    if (nocsp > ncert) tool_die("each --ocsp-response goes with a --cert (in the same order)");
    for (int i = 0; i < nocsp; i++)
        if (parley_config_set_ocsp_response_file(cfg, i, ocsps[i])) tool_die("%s", parley_config_error_string(cfg));
    if (ncert == 0) {
        char fp[128];
        if (parley_config_add_self_signed(cfg, fp, sizeof fp)) tool_die("%s", parley_config_error_string(cfg));
        printf("certificate: self-signed for localhost, 127.0.0.1, ::1\nfingerprint: SHA256:%s\n", fp);
    }
    if (export_cert) {
        char pem[8192];
        FILE *f = fopen(export_cert, "w");
        if (!f || parley_config_export_cert_pem(cfg, 0, pem, sizeof pem) || fputs(pem, f) < 0)
            tool_die("cannot write the certificate to %s", export_cert);
        fclose(f);
        printf("certificate written to %s (give it to clients with --cafile)\n", export_cert);
    }
    if (alpn && parley_config_set_alpn(cfg, alpn)) tool_die("%s", parley_config_error_string(cfg));
    if (vmin && parley_config_set_versions(cfg, vmin, vmax)) tool_die("%s", parley_config_error_string(cfg));
    if (allow_rsa) parley_config_allow_rsa_kx(cfg, 1);
    if (verify && strcmp(verify, "optional") && strcmp(verify, "require") && strcmp(verify, "none"))
        tool_die("--verify takes optional, require or none");
    if (verify && strcmp(verify, "none") && !client_ca) tool_die("--verify %s needs --client-ca FILE", verify);
    if (client_ca && parley_config_set_client_ca(cfg, client_ca)) tool_die("%s", parley_config_error_string(cfg));
    for (int i = 0; i < ncrl; i++)
        if (parley_config_add_crl_file(cfg, crls[i])) tool_die("%s", parley_config_error_string(cfg));
    if (crl_warn) parley_config_set_crl_expired_fatal(cfg, 0);
    if (verify)
        parley_config_set_verify_client(cfg, !strcmp(verify, "require")    ? PARLEY_VERIFY_CLIENT_REQUIRE
                                             : !strcmp(verify, "optional") ? PARLEY_VERIFY_CLIENT_OPTIONAL
                                                                           : PARLEY_VERIFY_CLIENT_NONE);
    if (ciphers && parley_config_set_ciphers(cfg, ciphers)) tool_die("%s", parley_config_error_string(cfg));
    if (groups && parley_config_set_groups(cfg, groups)) tool_die("%s", parley_config_error_string(cfg));
    const char *kl = keylog ? keylog : getenv("SSLKEYLOGFILE");
    if (kl && *kl && parley_config_set_keylog_file(cfg, kl)) tool_die("%s", parley_config_error_string(cfg));
    if (trace) parley_config_set_trace(cfg, tool_trace, stdout);
    if (cache) parley_config_set_session_cache(cfg, cache);
    if (no_tickets) parley_config_set_tickets(cfg, 0);
    if (ticket_keys && parley_config_set_ticket_keys_file(cfg, ticket_keys)) tool_die("%s", parley_config_error_string(cfg));
    if (ticket_keys) {
        /* SIGHUP re-reads the ticket keys; accept() is interrupted to do it. */
        struct sigaction hup = {0};
        hup.sa_handler = on_hup;
        sigaction(SIGHUP, &hup, NULL);
    }
    if (padding && parley_config_set_record_padding(cfg, (size_t)padding)) tool_die("%s", parley_config_error_string(cfg));

    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, port, &hints, &res) != 0) tool_die("cannot resolve %s", listen_on);
    int lfd = socket(res->ai_family, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* Workers each bind the same port; the kernel spreads connections. */
    if (reuseport) setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (lfd < 0 || bind(lfd, res->ai_addr, res->ai_addrlen) < 0 || listen(lfd, 128) < 0) {
        fprintf(stderr, "parley: cannot listen on %s: %s\n", listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    freeaddrinfo(res);
    signal(SIGPIPE, SIG_IGN);
    printf("listening on %s (pid %d)\n", listen_on, (int)getpid());
    fflush(stdout);
    unsigned long next_id = 1;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
        if (g_hup) {
            g_hup = 0;
            if (parley_config_reload_ticket_keys(cfg) == PARLEY_OK) fprintf(stderr, "parley: ticket keys reloaded\n");
            else fprintf(stderr, "parley: ticket keys not reloaded: %s\n", parley_config_error_string(cfg));
        }
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            fprintf(stderr, "parley: accept failed: %s\n", strerror(errno));
            continue;
        }
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        conn_job *j = calloc(1, sizeof *j);
        if (!j) {
            close(fd);
            continue;
        }
        j->fd = fd;
        j->id = next_id++;
        j->cfg = cfg;
        parley_config_ref(cfg);
        char h[64] = "?", p[16] = "?";
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(j->peer, sizeof j->peer, "%s:%s", h, p);
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, serve_one, j) != 0) {
            close(fd);
            parley_config_free(cfg);
            free(j);
        }
        pthread_attr_destroy(&at);
    }
}
