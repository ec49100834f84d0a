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

/* Everything `parley server` was asked for, parsed once and handed to each
 * worker (or to the single process). */
typedef struct {
    const char *listen_on, *alpn, *ciphers, *groups, *keylog, *export_cert, *client_ca, *verify;
    const char *keyless, *kl_ca, *kl_cert, *kl_key, *cache_spec, *ticket_keys;
    const char *certs[MAX_CERTS], *keys[MAX_CERTS], *ocsps[MAX_CERTS], *crls[16];
    int ncert, nkey, nocsp, ncrl, trace, padding, allow_rsa, crl_warn, kl_timeout, kl_pool, no_tickets, reuseport;
    uint16_t vmin, vmax;
    parley_session_cache *cache;
} server_opts;

static int server_run(const server_opts *o);

int tool_server(int argc, char **argv)
{
    server_opts o = {.listen_on = "127.0.0.1:8443", .kl_timeout = 2000, .kl_pool = 2};
    int workers = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (tool_die("%s needs a value", a), (char *)NULL))
        if (!strcmp(a, "--listen")) o.listen_on = NEXT();
        else if (!strcmp(a, "--cert")) {
            if (o.ncert == MAX_CERTS) tool_die("at most %d certificates", MAX_CERTS);
            o.certs[o.ncert++] = NEXT();
        } else if (!strcmp(a, "--key")) {
            if (o.nkey == MAX_CERTS) tool_die("at most %d keys", MAX_CERTS);
            o.keys[o.nkey++] = NEXT();
        } else if (!strcmp(a, "--alpn")) o.alpn = NEXT();
        else if (!strcmp(a, "--ciphers")) o.ciphers = NEXT();
        else if (!strcmp(a, "--groups")) o.groups = NEXT();
        else if (!strcmp(a, "--keylog")) o.keylog = NEXT();
        else if (!strcmp(a, "--trace")) o.trace = 1;
        else if (!strcmp(a, "--export-cert")) o.export_cert = NEXT();
        else if (!strcmp(a, "--record-padding")) o.padding = atoi(NEXT());
        else if (!strcmp(a, "--tls1.3")) o.vmin = o.vmax = PARLEY_TLS1_3;
        else if (!strcmp(a, "--tls1.2")) o.vmin = o.vmax = PARLEY_TLS1_2;
        else if (!strcmp(a, "--allow-rsa-kx")) o.allow_rsa = 1;
        else if (!strcmp(a, "--client-ca")) o.client_ca = NEXT();
        else if (!strcmp(a, "--verify")) o.verify = NEXT();
        else if (!strcmp(a, "--crl")) {
            if (o.ncrl == 16) tool_die("at most 16 --crl files");
            o.crls[o.ncrl++] = NEXT();
        } else if (!strcmp(a, "--crl-expired")) o.crl_warn = !strcmp(NEXT(), "warn");
        else if (!strcmp(a, "--keyless")) o.keyless = NEXT();
        else if (!strcmp(a, "--workers")) workers = atoi(NEXT());
        else if (!strcmp(a, "--session-cache")) o.cache_spec = NEXT();
        else if (!strcmp(a, "--ticket-keys")) o.ticket_keys = NEXT();
        else if (!strcmp(a, "--no-tickets")) o.no_tickets = 1;
        else if (!strcmp(a, "--keyless-ca")) o.kl_ca = NEXT();
        else if (!strcmp(a, "--keyless-cert")) o.kl_cert = NEXT();
        else if (!strcmp(a, "--keyless-key")) o.kl_key = NEXT();
        else if (!strcmp(a, "--keyless-timeout")) o.kl_timeout = atoi(NEXT());
        else if (!strcmp(a, "--keyless-pool")) o.kl_pool = atoi(NEXT());
        else if (!strcmp(a, "--ocsp-response")) {
            if (o.nocsp == MAX_CERTS) tool_die("at most %d OCSP responses", MAX_CERTS);
            o.ocsps[o.nocsp++] = NEXT();
        }
        else tool_die("unknown server option %s (see parley --help)", a);
#undef NEXT
    }
    if (o.keyless) {
        if (o.nkey) tool_die("with --keyless the private keys stay on the key server: give --cert without --key");
        if (!o.ncert) tool_die("--keyless needs the certificates (--cert)");
        if (!o.kl_ca || !o.kl_cert || !o.kl_key) tool_die("--keyless needs --keyless-ca, --keyless-cert and --keyless-key");
    } else if (o.ncert != o.nkey) tool_die("each --cert needs a --key");
    if (o.cache_spec && !strcmp(o.cache_spec, "none")) {
        o.cache = NULL;
    } else if (o.cache_spec && !strncmp(o.cache_spec, "shm:", 4)) {
        char *end = NULL;
        double v = strtod(o.cache_spec + 4, &end);
        size_t bytes = (size_t)(v * (*end == 'm' || *end == 'M' ? 1048576 : *end == 'k' || *end == 'K' ? 1024 : 1));
        if (!(o.cache = parley_session_cache_shm_new(bytes))) tool_die("cannot make a shared session cache of %s", o.cache_spec + 4);
    } else if (o.cache_spec && !strncmp(o.cache_spec, "memory:", 7)) {
        if (workers > 1) fprintf(stderr, "parley: note: memory:N caches are per worker; use shm:SIZE to share sessions\n");
        o.cache = parley_session_cache_memory_new((size_t)atol(o.cache_spec + 7));
    } else if (o.cache_spec && !strncmp(o.cache_spec, "redis://", 8)) {
        /* Made in the parent: its connection is opened lazily, so each worker opens its own. */
        if (!(o.cache = tool_redis_cache_new(o.cache_spec))) tool_die("--session-cache redis://HOST:PORT[/DB], got %s", o.cache_spec);
    } else if (o.cache_spec) {
        tool_die("--session-cache takes memory:N, shm:SIZE, redis://HOST:PORT[/DB] or none");
    }
    if (workers > 1 && o.ncert == 0) tool_die("--workers needs --cert/--key (each worker would otherwise make its own certificate)");
    if (workers <= 1)
        return server_run(&o);
    /* Forked workers sharing the port (SO_REUSEPORT) and the shm cache. */
    if (workers > 64) workers = 64;
    struct sigaction sa = {0};
    sa.sa_handler = stop_workers;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    o.reuseport = 1; /* every worker binds the port */
    for (int i = 0; i < workers; i++) {
        pid_t pid = fork();
        if (pid < 0) tool_die("fork failed");
        if (pid == 0) {
            /* A worker does not outlive its parent. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            _exit(server_run(&o));
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

static int server_run(const server_opts *o)
{
    char host[256], port[32];
    if (tool_split_hostport(o->listen_on, host, sizeof host, port, sizeof port) < 0) tool_die("--listen wants ADDR:PORT");

    parley_config *cfg = parley_config_new();
    if (o->keyless) {
        /* The channel to the key server: Parley TLS 1.3 with our client certificate. */
        char err[512];
        parley_config *kc = parley_config_new();
        if (parley_config_set_ca_file(kc, o->kl_ca) || parley_config_add_cert_files(kc, o->kl_cert, o->kl_key) ||
            parley_config_set_versions(kc, PARLEY_TLS1_3, PARLEY_TLS1_3))
            tool_die("%s", parley_config_error_string(kc));
        g_keyless = parley_keyless_new(o->keyless, kc, o->kl_pool, o->kl_timeout, err, sizeof err);
        parley_config_free(kc);
        if (!g_keyless) tool_die("%s", err);
        for (int i = 0; i < o->ncert; i++)
            if (parley_config_add_cert_with_provider(cfg, o->certs[i], g_keyless)) tool_die("%s", parley_config_error_string(cfg));
        printf("keyless: private-key operations go to %s\n", o->keyless);
    }
    for (int i = 0; !o->keyless && i < o->ncert; i++)
        if (parley_config_add_cert_files(cfg, o->certs[i], o->keys[i])) tool_die("%s", parley_config_error_string(cfg));
    if (o->nocsp > o->ncert) tool_die("each --ocsp-response goes with a --cert (in the same order)");
    for (int i = 0; i < o->nocsp; i++)
        if (parley_config_set_ocsp_response_file(cfg, i, o->ocsps[i])) tool_die("%s", parley_config_error_string(cfg));
    if (o->ncert == 0) {
        char fp[128];
        if (parley_config_add_self_signed(cfg, fp, sizeof fp)) tool_die("%s", parley_config_error_string(cfg));
        printf("certificate: self-signed for localhost, 127.0.0.1, ::1\nfingerprint: SHA256:%s\n", fp);
    }
    if (o->export_cert) {
        char pem[8192];
        FILE *f = fopen(o->export_cert, "w");
        if (!f || parley_config_export_cert_pem(cfg, 0, pem, sizeof pem) || fputs(pem, f) < 0)
            tool_die("cannot write the certificate to %s", o->export_cert);
        fclose(f);
        printf("certificate written to %s (give it to clients with --cafile)\n", o->export_cert);
    }
    if (o->alpn && parley_config_set_alpn(cfg, o->alpn)) tool_die("%s", parley_config_error_string(cfg));
    if (o->vmin && parley_config_set_versions(cfg, o->vmin, o->vmax)) tool_die("%s", parley_config_error_string(cfg));
    if (o->allow_rsa) parley_config_allow_rsa_kx(cfg, 1);
    if (o->verify && strcmp(o->verify, "optional") && strcmp(o->verify, "require") && strcmp(o->verify, "none"))
        tool_die("--verify takes optional, require or none");
    if (o->verify && strcmp(o->verify, "none") && !o->client_ca) tool_die("--verify %s needs --client-ca FILE", o->verify);
    if (o->client_ca && parley_config_set_client_ca(cfg, o->client_ca)) tool_die("%s", parley_config_error_string(cfg));
    for (int i = 0; i < o->ncrl; i++)
        if (parley_config_add_crl_file(cfg, o->crls[i])) tool_die("%s", parley_config_error_string(cfg));
    if (o->crl_warn) parley_config_set_crl_expired_fatal(cfg, 0);
    if (o->verify)
        parley_config_set_verify_client(cfg, !strcmp(o->verify, "require")    ? PARLEY_VERIFY_CLIENT_REQUIRE
                                             : !strcmp(o->verify, "optional") ? PARLEY_VERIFY_CLIENT_OPTIONAL
                                                                           : PARLEY_VERIFY_CLIENT_NONE);
    if (o->ciphers && parley_config_set_ciphers(cfg, o->ciphers)) tool_die("%s", parley_config_error_string(cfg));
    if (o->groups && parley_config_set_groups(cfg, o->groups)) tool_die("%s", parley_config_error_string(cfg));
    const char *kl = o->keylog ? o->keylog : getenv("SSLKEYLOGFILE");
    if (kl && *kl && parley_config_set_keylog_file(cfg, kl)) tool_die("%s", parley_config_error_string(cfg));
    if (o->trace) parley_config_set_trace(cfg, tool_trace, stdout);
    if (o->cache) parley_config_set_session_cache(cfg, o->cache);
    if (o->no_tickets) parley_config_set_tickets(cfg, 0);
    if (o->ticket_keys && parley_config_set_ticket_keys_file(cfg, o->ticket_keys)) tool_die("%s", parley_config_error_string(cfg));
    if (o->ticket_keys) {
        /* SIGHUP re-reads the ticket keys; accept() is interrupted to do it. */
        struct sigaction hup = {0};
        hup.sa_handler = on_hup;
        sigaction(SIGHUP, &hup, NULL);
    }
    if (o->padding && parley_config_set_record_padding(cfg, (size_t)o->padding)) tool_die("%s", parley_config_error_string(cfg));

    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, port, &hints, &res) != 0) tool_die("cannot resolve %s", o->listen_on);
    int lfd = socket(res->ai_family, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* Workers each bind the same port; the kernel spreads connections. */
    if (o->reuseport) setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (lfd < 0 || bind(lfd, res->ai_addr, res->ai_addrlen) < 0 || listen(lfd, 128) < 0) {
        fprintf(stderr, "parley: cannot listen on %s: %s\n", o->listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    freeaddrinfo(res);
    signal(SIGPIPE, SIG_IGN);
    printf("listening on %s (pid %d)\n", o->listen_on, (int)getpid());
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
